//! `gwctl export` of a WebSocket API: the observed API as a spec (routes by route key, their
//! integrations with their integration responses, two-way routes' `$default` route responses, Lambda REQUEST authorizers,
//! stages), plus what the spec language cannot say ([`LeftOut`]). Pure, like
//! [`crate::plan::http::export`].

use std::collections::{BTreeMap, BTreeSet};

use crate::plan::export::{
    self, access_log, authorizers, finish, lambda_function, only_stage,
    push_functions_and_authorizers, stage_throttle, throttle, unused_integrations, variables,
    ExportContext, Exported, Functions, LeftOut, RouteThrottle,
};
use crate::plan::rest::export::user_tags;
use crate::spec::model::DEFAULT_ROUTE_SELECTION;
use crate::spec::write::{Map, Value};
use crate::state::ws::{
    Authorizer, Integration, IntegrationResponse, ObservedWsApi, Route, DEFAULT_KEY,
    DEFAULT_TIMEOUT_MS,
};

/// The spec of `api`.
pub fn export(api: &ObservedWsApi, ctx: &ExportContext) -> Exported {
    let api = &match only_stage(api, ctx, |a: &mut ObservedWsApi| &mut a.stages) {
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
    a.push("kind", "websocket");
    a.opt("description", c.description.clone());
    if c.route_selection_expression != DEFAULT_ROUTE_SELECTION {
        if c.route_selection_expression.starts_with("$request.body.") {
            a.push("route_selection", c.route_selection_expression.clone());
        } else {
            left.push(LeftOut::new(
                "api",
                "routeSelectionExpression",
                "a route selection other than `$request.body.NAME`",
            ));
        }
    }
    a.opt("api_key_selection", c.api_key_selection_expression.clone());
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

    let throttles = route_throttles(api, &mut left);
    let mut routes = Vec::new();
    for (key, r) in &c.routes {
        match route(key, r, &known, api, &mut functions, ctx, &mut left) {
            Some(mut m) => {
                if let Some(t) = throttles.get(key) {
                    m.push("throttle", throttle(t.0, t.1));
                }
                routes.push(Value::Map(m));
            }
            None => left.push(LeftOut::new(
                format!("route {key}"),
                "*",
                "not exported: see the other entries for this route",
            )),
        }
    }

    push_functions_and_authorizers(&mut doc, &functions, authorizers);
    doc.push("routes", Value::Seq(routes));
    doc.push("stages", stages(api, &mut left));
    finish("websocket", &c.name, &api.id, &ctx.region, &doc, left)
}

fn authorizer(
    name: &str,
    a: &Authorizer,
    functions: &mut Functions,
    ctx: &ExportContext,
) -> Result<Map, LeftOut> {
    let object = format!("authorizer {name}");
    if a.kind != "REQUEST" {
        return Err(LeftOut::new(
            object,
            "authorizerType",
            &format!("authorizer type `{}`", a.kind),
        ));
    }
    if a.identity_source.is_empty() {
        return Err(LeftOut::new(
            object,
            "identitySource",
            "a request authorizer without identity sources",
        ));
    }
    let f = a
        .authorizer_uri
        .as_deref()
        .and_then(|u| lambda_function(u, &ctx.region))
        .and_then(|arn| functions.key(&arn, ctx))
        .ok_or_else(|| {
            LeftOut::new(
                object.clone(),
                "authorizerUri",
                "not a Lambda function gwctl can name",
            )
        })?;
    let mut m = Map::new();
    m.push("type", "request");
    m.push("function", f);
    m.push("identity_sources", a.identity_source.clone());
    Ok(m)
}

/// Per-route throttles, when the same on every stage and nothing else is set per route.
fn route_throttles(api: &ObservedWsApi, left: &mut Vec<LeftOut>) -> BTreeMap<String, (f64, i32)> {
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
                    throttle_only: s.metrics != Some(true)
                        && s.data_trace != Some(true)
                        && s.logging_level.as_deref().is_none_or(|l| l == "OFF"),
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

fn route(
    key: &str,
    r: &Route,
    known: &BTreeSet<String>,
    api: &ObservedWsApi,
    functions: &mut Functions,
    ctx: &ExportContext,
    left: &mut Vec<LeftOut>,
) -> Option<Map> {
    let object = format!("route {key}");
    if crate::state::http::base_key(key) != key {
        left.push(LeftOut::new(
            object,
            "routeKey",
            "a route key the api has twice",
        ));
        return None;
    }
    let mut m = Map::new();
    m.push("route", key);
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
    let responses = r
        .target
        .as_ref()
        .and_then(|t| api.config.integration_responses.get(t));
    match integration(&object, i, responses, functions, ctx, left)? {
        Value::Str(f) => {
            m.push("function", f);
        }
        other => {
            m.push("integration", other);
        }
    }
    if r.authorization_type != "NONE" && key != "$connect" {
        // The spec authorizes on `$connect` only (the client is authorized once).
        left.push(LeftOut::new(
            object,
            "authorizationType",
            "authorization on a route other than `$connect`",
        ));
        return None;
    }
    match (r.authorization_type.as_str(), &r.authorizer) {
        ("NONE", _) => {}
        ("AWS_IAM", _) => {
            m.push("auth", "iam");
        }
        ("CUSTOM", Some(a)) if known.contains(a) => {
            m.push("auth", a.clone());
        }
        _ => {
            left.push(LeftOut::new(
                object,
                "authorizerId",
                "its authorizer is not exported",
            ));
            return None;
        }
    }
    let two_way = api.config.route_responses.contains(key);
    match (two_way, r.route_response_selection_expression.as_deref()) {
        (true, Some(DEFAULT_KEY)) => {
            m.push("response", true);
        }
        (false, None) => {}
        _ => {
            left.push(LeftOut::new(
                object,
                "routeResponseSelectionExpression",
                "route responses other than one `$default` response of a two-way route",
            ));
        }
    }
    Some(m)
}

fn integration(
    object: &str,
    i: &Integration,
    responses: Option<&BTreeMap<String, IntegrationResponse>>,
    functions: &mut Functions,
    ctx: &ExportContext,
    left: &mut Vec<LeftOut>,
) -> Option<Value> {
    let mut m = Map::new();
    let ty = match i.kind.as_str() {
        "AWS_PROXY" => "lambda_proxy",
        "AWS" => "lambda",
        "HTTP_PROXY" => "http_proxy",
        "HTTP" => "http",
        "MOCK" => "mock",
        other => {
            left.push(LeftOut::new(
                object,
                "integrationType",
                &format!("integration type `{other}`"),
            ));
            return None;
        }
    };
    m.push("type", ty);
    // Only when it has any: an integration whose spec is silent keeps what it has.
    let takes_parameters = matches!(ty, "lambda" | "http" | "http_proxy");
    if !i.request_parameters.is_empty() && !takes_parameters {
        left.push(LeftOut::new(
            object,
            "requestParameters",
            &format!("request parameters of a {ty} integration"),
        ));
    }
    match ty {
        "lambda_proxy" | "lambda" => {
            let Some(f) = functions.key(&i.uri, ctx) else {
                left.push(LeftOut::new(
                    object,
                    "integrationUri",
                    "a Lambda integration gwctl cannot name",
                ));
                return None;
            };
            if ty == "lambda_proxy" && i.timeout_ms.is_none() && i.credentials_arn.is_none() {
                return Some(Value::Str(f));
            }
            m.push("function", f);
        }
        "http_proxy" | "http" => {
            m.push("uri", i.uri.clone());
            m.opt("http_method", i.method.clone().filter(|m| m != "POST"));
        }
        _ => {}
    }
    match i.timeout_ms {
        Some(t) if ty == "mock" && t != DEFAULT_TIMEOUT_MS => {
            left.push(LeftOut::new(object, "timeoutInMillis", "a mock's timeout"));
        }
        // AWS allows 50-29000 ms; moto fills in 30000 when none is given.
        Some(t) if !(50..=DEFAULT_TIMEOUT_MS).contains(&t) => {
            left.push(LeftOut::new(
                object,
                "timeoutInMillis",
                "a timeout outside 50-29000 ms",
            ));
        }
        t if ty != "mock" => {
            m.opt("timeout_ms", t);
        }
        _ => {}
    }
    if let Some(c) = &i.credentials_arn {
        if matches!(ty, "lambda_proxy" | "lambda") {
            m.push("credentials", c.clone());
        } else {
            left.push(LeftOut::new(
                object,
                "credentialsArn",
                "credentials on an integration other than Lambda",
            ));
        }
    }
    if takes_parameters && !i.request_parameters.is_empty() {
        let mut p = Map::new();
        for (k, v) in &i.request_parameters {
            p.push(k.clone(), v.clone());
        }
        m.push("request_parameters", p);
    }
    if matches!(ty, "lambda" | "http" | "mock") {
        if !i.request_templates.is_empty() {
            let mut t = Map::new();
            for (k, v) in &i.request_templates {
                t.push(k.clone(), v.clone());
            }
            m.push("request_templates", t);
        }
        m.opt(
            "template_selection",
            i.template_selection_expression.clone(),
        );
        m.opt("passthrough_behavior", i.passthrough_behavior.clone());
        if ty == "mock" {
            if i.content_handling.is_some() {
                left.push(LeftOut::new(
                    object,
                    "contentHandlingStrategy",
                    "content handling on a mock",
                ));
            }
        } else {
            m.opt("content_handling", i.content_handling.clone());
        }
        // Only when it has any: an integration whose spec is silent keeps what it has.
        if let Some(rs) = responses.filter(|rs| !rs.is_empty()) {
            m.push(
                "responses",
                Value::Seq(
                    rs.iter()
                        .map(|(k, r)| Value::Map(integration_response(k, r)))
                        .collect(),
                ),
            );
        }
    }
    Some(Value::Map(m))
}

fn integration_response(key: &str, r: &IntegrationResponse) -> Map {
    let mut m = Map::new();
    m.push("key", key);
    if !r.templates.is_empty() {
        let mut t = Map::new();
        for (k, v) in &r.templates {
            t.push(k.clone(), v.clone());
        }
        m.push("templates", t);
    }
    m.opt(
        "template_selection",
        r.template_selection_expression.clone(),
    );
    m.opt("content_handling", r.content_handling.clone());
    m
}

fn stages(api: &ObservedWsApi, left: &mut Vec<LeftOut>) -> Map {
    let mut out = Map::block();
    for (name, st) in &api.stages {
        let s = &st.settings;
        let mut m = Map::new();
        m.opt("description", s.description.clone());
        m.opt("auto_deploy", s.auto_deploy);
        variables(&mut m, &s.variables);
        let d = &s.default_route_settings;
        m.opt(
            "logging",
            d.logging_level
                .as_ref()
                .map(|l| l.to_ascii_uppercase())
                .filter(|l| l != "OFF"),
        );
        m.opt("data_trace", d.data_trace.filter(|t| *t));
        m.opt("metrics", d.metrics.filter(|m| *m));
        stage_throttle(&mut m, name, d.throttle_rate, d.throttle_burst, left);
        access_log(&mut m, s.access_log.as_ref());
        out.push(name.clone(), m);
    }
    out
}
