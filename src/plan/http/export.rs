//! `gwctl export` of an HTTP API: the observed API as a spec, plus what the spec language
//! cannot say ([`LeftOut`]). Pure.

use std::collections::{BTreeMap, BTreeSet};

use crate::plan::export::{
    self, access_log, authorizers, finish, only_stage, push_functions_and_authorizers,
    stage_throttle, throttle, unused_integrations, variables, ExportContext, Exported, Functions,
    LeftOut, RouteThrottle,
};
use crate::plan::rest::export::user_tags;
use crate::spec::write::{Map, Value};
use crate::state::http::{
    Authorizer, Integration, ObservedHttpApi, Route, DEFAULT_KEY, DEFAULT_PAYLOAD_FORMAT,
};

/// The spec of `api`.
pub fn export(api: &ObservedHttpApi, ctx: &ExportContext) -> Exported {
    let api = &match only_stage(api, ctx, |a: &mut ObservedHttpApi| &mut a.stages) {
        Ok(a) => a,
        Err(missing) => return missing,
    };
    let mut left = Vec::new();
    let mut functions = Functions::default();
    let c = &api.config;
    let mut doc = Map::block();
    doc.push("version", 1);

    let mut a = Map::block();
    a.push("name", c.name.clone());
    a.push("kind", "http");
    a.opt("description", c.description.clone());
    if c.disable_execute_api_endpoint {
        a.push("disable_execute_api_endpoint", true);
    }
    let tags = user_tags(&api.tags);
    if !tags.is_empty() {
        a.push("tags", tags);
    }
    doc.push("api", a);

    let (authorizers, known) = authorizers(
        &c.authorizers,
        |name, def| authorizer(name, def, &mut functions, ctx),
        &mut left,
    );
    unused_integrations(
        c.integrations.keys(),
        c.routes.values().map(|r| r.target.as_ref()),
        &mut left,
    );

    let auths: Vec<String> = c.routes.values().map(auth_of).collect();
    let default_auth = most_common(&auths, &known);
    let throttles = route_throttles(api, &mut left);
    let mut routes = Vec::new();
    for (key, r) in &c.routes {
        let object = format!("route {key}");
        match route(
            key,
            r,
            &default_auth,
            &known,
            api,
            &mut functions,
            ctx,
            &mut left,
        ) {
            Some(mut m) => {
                if let Some(t) = throttles.get(key) {
                    m.push("throttle", throttle(t.0, t.1));
                }
                routes.push(Value::Map(m));
            }
            None => left.push(LeftOut::new(
                object,
                "*",
                "not exported: see the other entries for this route",
            )),
        }
    }

    push_functions_and_authorizers(&mut doc, &functions, authorizers);
    doc.push("default_auth", default_auth);
    if let Some(cors) = &c.cors {
        if let Some(m) = cors_section(cors, &mut left) {
            doc.push("cors", m);
        }
    }
    doc.push("routes", Value::Seq(routes));
    doc.push("stages", stages(api, &mut left));
    finish("http", &c.name, &api.id, &ctx.region, &doc, left)
}

fn authorizer(
    name: &str,
    a: &Authorizer,
    functions: &mut Functions,
    ctx: &ExportContext,
) -> Result<Map, LeftOut> {
    let object = format!("authorizer {name}");
    let mut m = Map::new();
    match a.kind.as_str() {
        "JWT" => {
            m.push("type", "jwt");
            m.push("issuer", a.issuer.clone().unwrap_or_default());
            m.push("audience", a.audience.clone());
            match a.identity_source.as_slice() {
                [one] => {
                    m.push("identity_source", one.clone());
                }
                _ => {
                    return Err(LeftOut::new(
                        object,
                        "identitySource",
                        "a jwt authorizer with other than one identity source",
                    ));
                }
            }
        }
        "REQUEST" => {
            let f = a
                .authorizer_uri
                .as_deref()
                .and_then(|u| crate::plan::export::lambda_function(u, &ctx.region))
                .and_then(|arn| functions.key(&arn, ctx))
                .ok_or_else(|| {
                    LeftOut::new(
                        object.clone(),
                        "authorizerUri",
                        "not a Lambda function gwctl can name",
                    )
                })?;
            m.push("type", "request");
            m.push("function", f);
            if !a.identity_source.is_empty() {
                m.push("identity_sources", a.identity_source.clone());
            }
            m.push("ttl", a.ttl_seconds.unwrap_or(0));
            m.opt("payload_format_version", a.payload_format_version.clone());
            if a.simple_responses == Some(true) {
                m.push("simple_responses", true);
            }
        }
        other => {
            return Err(LeftOut::new(
                object,
                "authorizerType",
                &format!("authorizer type `{other}`"),
            ))
        }
    }
    Ok(m)
}

fn auth_of(r: &Route) -> String {
    match (r.authorization_type.as_str(), &r.authorizer) {
        ("AWS_IAM", _) => "iam".into(),
        ("JWT" | "CUSTOM", Some(a)) => a.clone(),
        _ => "none".into(),
    }
}

fn most_common(auths: &[String], known: &BTreeSet<String>) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for a in auths {
        if a == "none" || a == "iam" || known.contains(a) {
            *counts.entry(a).or_default() += 1;
        }
    }
    let none = counts.get("none").copied().unwrap_or(0);
    counts
        .into_iter()
        .filter(|(_, n)| *n > none)
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(a, _)| a.to_string())
        .unwrap_or_else(|| "none".into())
}

/// Per-route throttles, when the same on every stage and nothing else is set per route.
fn route_throttles(api: &ObservedHttpApi, left: &mut Vec<LeftOut>) -> BTreeMap<String, (f64, i32)> {
    let settings = api
        .stages
        .iter()
        .flat_map(|(stage, st)| {
            st.settings
                .route_settings
                .iter()
                .map(move |(route, s)| RouteThrottle {
                    stage,
                    route,
                    throttle_only: s.metrics.is_none() || s.metrics == Some(false),
                    rate: s.throttle_rate,
                    burst: s.throttle_burst,
                })
        })
        .collect();
    export::route_throttles(
        settings,
        api.stages.len(),
        |r| api.config.routes.contains_key(r),
        left,
    )
}

#[allow(clippy::too_many_arguments)]
fn route(
    key: &str,
    r: &Route,
    default_auth: &str,
    known: &BTreeSet<String>,
    api: &ObservedHttpApi,
    functions: &mut Functions,
    ctx: &ExportContext,
    left: &mut Vec<LeftOut>,
) -> Option<Map> {
    let object = format!("route {key}");
    let mut m = Map::new();
    if key == DEFAULT_KEY {
        m.push("path", DEFAULT_KEY);
    } else {
        let Some((method, path)) = key.split_once(' ') else {
            left.push(LeftOut::new(
                object,
                "routeKey",
                "a route key gwctl cannot read",
            ));
            return None;
        };
        m.push("path", path);
        m.push("method", method);
    }
    let Some(i) = r
        .target
        .as_ref()
        .and_then(|t| api.config.integrations.get(t))
    else {
        left.push(LeftOut::new(
            object,
            "target",
            "a route without an integration gwctl can read",
        ));
        return None;
    };
    match integration(&object, i, functions, ctx, left)? {
        Value::Str(f) => {
            m.push("function", f);
        }
        other => {
            m.push("integration", other);
        }
    }
    let auth = auth_of(r);
    if auth != "none" && auth != "iam" && !known.contains(&auth) {
        left.push(LeftOut::new(
            object,
            "authorizerId",
            "its authorizer is not exported",
        ));
        return None;
    }
    if auth != default_auth {
        m.push("auth", auth);
    }
    if !r.authorization_scopes.is_empty() {
        m.push("scopes", r.authorization_scopes.clone());
    }
    Some(m)
}

fn integration(
    object: &str,
    i: &Integration,
    functions: &mut Functions,
    ctx: &ExportContext,
    left: &mut Vec<LeftOut>,
) -> Option<Value> {
    let mut m = Map::new();
    match i.kind.as_str() {
        "AWS_PROXY" => {
            let Some(f) = functions.key(&i.uri, ctx) else {
                left.push(LeftOut::new(
                    object,
                    "integrationUri",
                    "a Lambda integration gwctl cannot name",
                ));
                return None;
            };
            let payload = i
                .payload_format_version
                .as_deref()
                .unwrap_or(DEFAULT_PAYLOAD_FORMAT);
            if payload == DEFAULT_PAYLOAD_FORMAT
                && i.timeout_ms.is_none()
                && i.request_parameters.is_empty()
                && i.credentials_arn.is_none()
            {
                return Some(Value::Str(f));
            }
            m.push("type", "lambda_proxy");
            m.push("function", f);
            m.push("payload_format_version", payload);
            m.opt("credentials", i.credentials_arn.clone());
        }
        "HTTP_PROXY" => {
            m.push("type", "http_proxy");
            m.push("uri", i.uri.clone());
            m.opt("http_method", i.method.clone());
            if i.payload_format_version.is_some() {
                left.push(LeftOut::new(
                    object,
                    "payloadFormatVersion",
                    "an http proxy's payload format other than 1.0",
                ));
            }
            if i.credentials_arn.is_some() {
                left.push(LeftOut::new(
                    object,
                    "credentialsArn",
                    "credentials on an http proxy",
                ));
            }
        }
        other => {
            left.push(LeftOut::new(
                object,
                "integrationType",
                &format!("integration type `{other}`"),
            ));
            return None;
        }
    }
    m.opt("timeout_ms", i.timeout_ms);
    if !i.request_parameters.is_empty() {
        let mut p = Map::new();
        for (k, v) in &i.request_parameters {
            p.push(k.clone(), v.clone());
        }
        m.push("request_parameters", p);
    }
    Some(Value::Map(m))
}

fn cors_section(c: &crate::state::http::Cors, left: &mut Vec<LeftOut>) -> Option<Map> {
    let mut m = Map::new();
    if c.allow_origins.is_empty() {
        left.push(LeftOut::new("cors", "allowOrigins", "cors without origins"));
        return None;
    }
    m.push("origins", c.allow_origins.clone());
    if c.allow_methods.is_empty() {
        left.push(LeftOut::new(
            "cors",
            "allowMethods",
            "an empty list (a spec without methods allows the routes' methods)",
        ));
    } else {
        m.push("methods", c.allow_methods.clone());
    }
    if c.allow_headers.is_empty() {
        left.push(LeftOut::new(
            "cors",
            "allowHeaders",
            "an empty list (a spec without headers allows the default ones)",
        ));
    } else {
        m.push("headers", c.allow_headers.clone());
    }
    if !c.expose_headers.is_empty() {
        m.push("expose_headers", c.expose_headers.clone());
    }
    m.opt("max_age", c.max_age);
    if c.allow_credentials {
        m.push("credentials", true);
    }
    Some(m)
}

fn stages(api: &ObservedHttpApi, left: &mut Vec<LeftOut>) -> Map {
    let mut out = Map::block();
    for (name, st) in &api.stages {
        let s = &st.settings;
        let mut m = Map::new();
        m.opt("description", s.description.clone());
        m.opt("auto_deploy", s.auto_deploy);
        variables(&mut m, &s.variables);
        let d = s.default_route_settings;
        m.opt("metrics", d.metrics.filter(|m| *m));
        stage_throttle(&mut m, name, d.throttle_rate, d.throttle_burst, left);
        access_log(&mut m, s.access_log.as_ref());
        out.push(name.clone(), m);
    }
    out
}
