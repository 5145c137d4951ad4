//! `gwctl export` of a REST API: the observed API (and the usage plans and keys gwctl made
//! for it) as a spec, plus what the spec language cannot say ([`LeftOut`]). Pure.
//!
//! CORS is written as a `cors:` block when every preflight and both gateway responses are
//! exactly what that block makes (checked by building them again, [`super::cors::add_to`]);
//! otherwise the `OPTIONS` methods are routes like any other (MOCK integrations with their
//! responses), so nothing is lost.

use std::collections::{BTreeMap, BTreeSet};

use crate::plan::desired::DEFAULT_CORS_HEADERS;
use crate::plan::export::{
    finish, lambda_function, only_stage, throttle, ExportContext, Exported, Functions, LeftOut,
};
use crate::spec::model::{CorsDef, Pos};
use crate::spec::write::{Map, Value};
use crate::state::rest::{
    GatewayResponse, Integration, Method, MethodSetting, ObservedRestApi, RestApi,
};
use crate::state::usage::ObservedUsage;
use crate::state::OWNER_TAG_KEY;

use super::cors::equiv::{
    is_cors_gateway_response, is_preflight_shaped, same_gateway_response, same_preflight,
};
use super::cors::{add_to, GATEWAY_RESPONSE_TYPES};
use crate::spec::{is_header_name, origin_problem, CACHE_SIZES};

/// Usage plans that cover the API but that gwctl did not make: (id, name).
pub type ForeignPlans = Vec<(String, String)>;

/// The spec of `api`; `usage` holds the plans and keys gwctl made for it, `foreign` the
/// other plans that cover it.
pub fn export(
    api: &ObservedRestApi,
    usage: &ObservedUsage,
    foreign: &ForeignPlans,
    ctx: &ExportContext,
) -> Exported {
    let api = &match only_stage(api, ctx, |a: &mut ObservedRestApi| &mut a.stages) {
        Ok(a) => a,
        Err(missing) => return missing,
    };
    // The path parameters a resource path implies are not the spec's (`method::implied_by_path`).
    let mut api = api.clone();
    super::method::strip_implied(&mut api.config);
    let api = &api;
    let mut left = Vec::new();
    let mut functions = Functions::default();
    let c = &api.config;

    let mut doc = Map::block();
    doc.push("version", 1);
    doc.push("api", api_section(api, &mut left));

    let cors = recognise_cors(c);
    let mut authorizers = Map::block();
    for (name, a) in &c.authorizers {
        match authorizer(name, a, &mut functions, ctx) {
            Ok(m) => {
                authorizers.push(name.clone(), m);
            }
            Err(l) => left.push(l),
        }
    }
    let exported_authorizers: BTreeSet<String> =
        authorizers.entries.iter().map(|e| e.key.clone()).collect();

    // Routes: every method, but the preflights of a recognised `cors:` block.
    let mut routes: Vec<(String, String, &Method)> = Vec::new();
    for (path, res) in &c.resources {
        if res.methods.is_empty() && !c.resources.keys().any(|p| is_below(p, path)) && path != "/" {
            left.push(LeftOut::new(
                format!("resource {path}"),
                "*",
                "a resource without methods (a spec declares routes; their paths' resources are made for them)",
            ));
        }
        for (verb, m) in &res.methods {
            if verb == "OPTIONS" && cors.is_some() {
                continue;
            }
            routes.push((path.clone(), verb.clone(), m));
        }
    }
    let models = super::models::export_models(c, &mut left);
    let exported_models: BTreeSet<String> = models.entries.iter().map(|e| e.key.clone()).collect();
    let default_auth = most_common_auth(&routes, &exported_authorizers);
    let (throttles, caches) = route_settings(api, &routes, &mut left);
    let mut route_list = Vec::new();
    for (path, verb, m) in &routes {
        let object = format!("method {verb} {path}");
        match route(
            path,
            verb,
            m,
            &default_auth,
            &exported_authorizers,
            &mut functions,
            ctx,
            &exported_models,
            &mut left,
        ) {
            Some(mut r) => {
                super::models::export_request(&mut r, &object, m, c, &exported_models, &mut left);
                if let Some(t) = throttles.get(&format!("{path}/{verb}")) {
                    r.push("throttle", throttle(t.0, t.1));
                }
                if let Some((enabled, ttl, params)) = caches.get(&format!("{path}/{verb}")) {
                    let mut c = Map::new();
                    if !enabled {
                        c.push("enabled", false);
                    }
                    c.opt("ttl", *ttl);
                    if !params.is_empty() {
                        c.push("key_parameters", params.clone());
                    }
                    r.push("cache", c);
                }
                route_list.push(Value::Map(r));
            }
            None => left.push(LeftOut::new(
                object,
                "*",
                "not exported: see the other entries for this method",
            )),
        }
    }

    let fsec = functions.section();
    if !fsec.is_empty() {
        doc.push("functions", fsec);
    }
    if !authorizers.is_empty() {
        doc.push("authorizers", authorizers);
    }
    doc.push("default_auth", default_auth.clone());
    if let Some(cors) = &cors {
        doc.push("cors", cors_section(cors));
    }
    for t in c.gateway_responses.keys() {
        if cors.is_none() || !GATEWAY_RESPONSE_TYPES.contains(&t.as_str()) {
            left.push(LeftOut::new(
                format!("gateway response {t}"),
                "*",
                "customised gateway responses are not in the spec language (gwctl writes them only for `cors:`)",
            ));
        }
    }
    if !models.is_empty() {
        doc.push("models", models);
    }
    doc.push("routes", Value::Seq(route_list));
    let stages = stages_section(api, &mut left);
    doc.push("stages", stages);
    usage_section(&mut doc, api, usage, foreign, &mut left);
    finish("rest", &c.name, &api.id, &ctx.region, &doc, left)
}

fn is_below(p: &str, parent: &str) -> bool {
    p.len() > parent.len()
        && p.starts_with(parent)
        && (parent == "/" || p[parent.len()..].starts_with('/'))
}

fn api_section(api: &ObservedRestApi, left: &mut Vec<LeftOut>) -> Map {
    let c = &api.config;
    let mut m = Map::block();
    m.push("name", c.name.clone());
    m.push("kind", "rest");
    m.opt("description", c.description.clone());
    m.push("endpoint", c.endpoint_type.clone());
    if !c.binary_media_types.is_empty() {
        m.push("binary_media_types", c.binary_media_types.clone());
    }
    m.opt("api_key_source", c.api_key_source.clone());
    if !c.vpc_endpoint_ids.is_empty() {
        m.push("vpc_endpoint_ids", c.vpc_endpoint_ids.clone());
    }
    if let Some(p) = &c.policy {
        match crate::plan::export::json(p) {
            Some(v) => {
                m.push("policy", v);
            }
            None => left.push(LeftOut::new(
                "api",
                "policy",
                "a resource policy with a null in it",
            )),
        }
    }
    let tags = user_tags(&api.tags);
    if !tags.is_empty() {
        m.push("tags", tags);
    }
    m
}

/// The API's tags but gwctl's own (the ownership tag, written by `apply`) and AWS's.
pub fn user_tags(tags: &BTreeMap<String, String>) -> Map {
    let mut m = Map::new();
    for (k, v) in tags {
        if k == OWNER_TAG_KEY || k.starts_with("gwctl:") || k.starts_with("aws:") {
            continue;
        }
        m.push(k.clone(), v.clone());
    }
    m
}

fn authorizer(
    name: &str,
    a: &crate::state::rest::Authorizer,
    functions: &mut Functions,
    ctx: &ExportContext,
) -> Result<Map, LeftOut> {
    let object = format!("authorizer {name}");
    let mut m = Map::new();
    let function = |functions: &mut Functions| -> Result<String, LeftOut> {
        a.authorizer_uri
            .as_deref()
            .and_then(|u| lambda_function(u, &ctx.region))
            .and_then(|arn| functions.key(&arn, ctx))
            .ok_or_else(|| {
                LeftOut::new(
                    object.clone(),
                    "authorizerUri",
                    "not a Lambda function gwctl can name",
                )
            })
    };
    match a.kind.as_str() {
        "TOKEN" => {
            m.push("type", "token");
            m.push("function", function(functions)?);
            m.opt("identity_source", a.identity_source.clone());
            m.opt(
                "validation_expression",
                a.identity_validation_expression.clone(),
            );
            m.opt("ttl", a.ttl_seconds);
        }
        "REQUEST" => {
            m.push("type", "request");
            m.push("function", function(functions)?);
            if let Some(s) = &a.identity_source {
                let sources: Vec<String> = s.split(',').map(|s| s.trim().to_string()).collect();
                m.push("identity_sources", sources);
            }
            m.opt("ttl", a.ttl_seconds);
        }
        "COGNITO_USER_POOLS" => {
            if a.ttl_seconds != Some(crate::state::rest::DEFAULT_AUTHORIZER_TTL) {
                return Err(LeftOut::new(
                    object,
                    "authorizerResultTtlInSeconds",
                    "a cognito authorizer's ttl other than 300 s",
                ));
            }
            m.push("type", "cognito");
            m.push("user_pool_arns", a.provider_arns.clone());
            m.opt("identity_source", a.identity_source.clone());
        }
        other => {
            return Err(LeftOut::new(
                object,
                "type",
                &format!("authorizer type `{other}`"),
            ));
        }
    }
    Ok(m)
}

/// `none`, `iam` or an authorizer name.
fn auth_of(m: &Method) -> String {
    match (m.authorization_type.as_str(), &m.authorizer) {
        ("AWS_IAM", _) => "iam".into(),
        ("CUSTOM" | "COGNITO_USER_POOLS", Some(a)) => a.clone(),
        _ => "none".into(),
    }
}

/// The authorization most routes have (`none` on a tie), the spec's `default_auth`.
fn most_common_auth(
    routes: &[(String, String, &Method)],
    authorizers: &BTreeSet<String>,
) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (_, _, m) in routes {
        let a = auth_of(m);
        if a == "none" || a == "iam" || authorizers.contains(&a) {
            *counts.entry(a).or_default() += 1;
        }
    }
    let none = counts.get("none").copied().unwrap_or(0);
    counts
        .into_iter()
        .filter(|(_, n)| *n > none)
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(a, _)| a)
        .unwrap_or_else(|| "none".into())
}

/// The fields of a per-method setting that are its own: the service returns every field
/// (absent ones as their defaults, or as the stage-wide value), so a field equal to the
/// stage-wide setting or, where that has none, to AWS's default is not the method's.
/// Caching keeps both of its fields when either is the method's own (`apply` sets both).
fn own_fields(s: &MethodSetting, all: Option<&MethodSetting>) -> MethodSetting {
    fn own<T: PartialEq + Clone>(
        v: &Option<T>,
        stage: Option<&Option<T>>,
        default: T,
    ) -> Option<T> {
        let v = v.as_ref()?;
        match stage.and_then(|s| s.as_ref()) {
            Some(x) if x == v => None,
            None if *v == default => None,
            _ => Some(v.clone()),
        }
    }
    let a = all;
    let throttle_default = |v: f64| v <= 0.0;
    let rate = s
        .throttle_rate
        .filter(|r| match a.and_then(|a| a.throttle_rate) {
            Some(x) => x != *r,
            None => !throttle_default(*r),
        });
    let burst = s
        .throttle_burst
        .filter(|b| match a.and_then(|a| a.throttle_burst) {
            Some(x) => x != *b,
            None => *b > 0,
        });
    let (rate, burst) = if rate.is_some() || burst.is_some() {
        (s.throttle_rate, s.throttle_burst)
    } else {
        (None, None)
    };
    let enabled = own(&s.caching_enabled, a.map(|a| &a.caching_enabled), false);
    let ttl = own(&s.cache_ttl, a.map(|a| &a.cache_ttl), DEFAULT_CACHE_TTL);
    let (caching_enabled, cache_ttl) = if enabled.is_some() || ttl.is_some() {
        (s.caching_enabled, ttl)
    } else {
        (None, None)
    };
    MethodSetting {
        logging_level: own(
            &s.logging_level,
            a.map(|a| &a.logging_level),
            "OFF".to_string(),
        ),
        data_trace: own(&s.data_trace, a.map(|a| &a.data_trace), false),
        metrics: own(&s.metrics, a.map(|a| &a.metrics), false),
        throttle_rate: rate,
        throttle_burst: burst,
        caching_enabled,
        cache_ttl,
        cache_encrypted: own(&s.cache_encrypted, a.map(|a| &a.cache_encrypted), false),
    }
}

/// `caching/ttlInSeconds` when none is set.
const DEFAULT_CACHE_TTL: i32 = 300;

/// A method's own caching on one stage: `caching/enabled`, `caching/ttlInSeconds`.
type StageCache = (Option<bool>, Option<i32>);

/// A route's cache as the spec says it: enabled, TTL, key parameters.
type RouteCache = (bool, Option<i32>, Vec<String>);

/// Whether a stage caches (its cluster on and stage-wide caching on), as `cache:` makes it.
fn stage_caches(st: &crate::state::rest::Stage) -> bool {
    st.cache_cluster_enabled == Some(true)
        && st
            .method_settings
            .get("*/*")
            .is_some_and(|a| a.caching_enabled == Some(true))
}

/// Per-route settings: a method setting with only a throttle and a cache (`caching/enabled`,
/// `caching/ttlInSeconds`) is the route's `throttle` (the same on every stage) and `cache`
/// (the same on every stage that caches, absent on the others, as `apply` sets it);
/// anything else per method is left out. The route's cache key parameters (on its
/// integration) go with its cache.
fn route_settings(
    api: &ObservedRestApi,
    routes: &[(String, String, &Method)],
    left: &mut Vec<LeftOut>,
) -> (BTreeMap<String, (f64, i32)>, BTreeMap<String, RouteCache>) {
    let known: BTreeSet<String> = routes.iter().map(|(p, v, _)| format!("{p}/{v}")).collect();
    let mut per_key: BTreeMap<String, Vec<Option<(f64, i32)>>> = BTreeMap::new();
    let mut cache_per_key: BTreeMap<String, BTreeMap<String, StageCache>> = BTreeMap::new();
    let mut cached_raw: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (stage, st) in &api.stages {
        for (key, s) in &st.settings.method_settings {
            if key == "*/*" {
                continue;
            }
            if s.caching_enabled == Some(true) {
                cached_raw
                    .entry(key.clone())
                    .or_default()
                    .insert(stage.clone());
            }
            let s = &own_fields(s, st.settings.method_settings.get("*/*"));
            let only_ours = MethodSetting {
                throttle_rate: s.throttle_rate,
                throttle_burst: s.throttle_burst,
                caching_enabled: s.caching_enabled,
                cache_ttl: s.cache_ttl,
                ..Default::default()
            } == *s;
            let throttle = match (s.throttle_rate, s.throttle_burst) {
                (Some(r), Some(b)) => Some(Some((r, b))),
                (None, None) => Some(None),
                _ => None,
            };
            match (only_ours, throttle, known.contains(key)) {
                (true, Some(t), true) => {
                    if t.is_some() {
                        per_key.entry(key.clone()).or_default().push(t);
                    }
                    if s.caching_enabled.is_some() || s.cache_ttl.is_some() {
                        cache_per_key
                            .entry(key.clone())
                            .or_default()
                            .insert(stage.clone(), (s.caching_enabled, s.cache_ttl));
                    }
                }
                _ => left.push(LeftOut::new(
                    format!("stage {stage}"),
                    format!("methodSettings {key}"),
                    "per-method settings other than a route's throttle and cache",
                )),
            }
        }
    }
    for (key, list) in per_key {
        let first = list[0];
        if list.len() == api.stages.len() && list.iter().all(|t| *t == first) {
            if let Some(t) = first {
                out.insert(key, t);
            }
        } else {
            left.push(LeftOut::new(
                format!("method {key}"),
                "throttle",
                "a route throttle that differs between stages (a spec route's throttle applies to every stage)",
            ));
        }
    }
    let cached: BTreeSet<&String> = api
        .stages
        .iter()
        .filter(|(_, st)| stage_caches(&st.settings))
        .map(|(n, _)| n)
        .collect();
    let mut caches = BTreeMap::new();
    for (path, verb, m) in routes {
        let key = format!("{path}/{verb}");
        let params = m
            .integration
            .as_ref()
            .map(|i| i.cache_key_parameters.clone())
            .unwrap_or_default();
        let mut per_stage = cache_per_key.remove(&key).unwrap_or_default();
        if per_stage.is_empty() && params.is_empty() {
            continue;
        }
        if per_stage.is_empty() {
            // Key parameters on a method cached as its stage is (nothing else of its own).
            let raw = cached_raw.remove(&key).unwrap_or_default();
            per_stage = raw
                .into_iter()
                .filter(|s| cached.contains(s))
                .map(|s| (s, (Some(true), None)))
                .collect();
        }
        let first = per_stage.values().next().copied();
        let same = !cached.is_empty()
            && per_stage.len() == cached.len()
            && per_stage.keys().all(|s| cached.contains(s))
            && per_stage.values().all(|v| Some(*v) == first);
        let declared = params.iter().all(|p| m.request_parameters.contains_key(p));
        match first {
            Some((Some(enabled), ttl)) if same && declared => {
                caches.insert(key, (enabled, ttl, params));
            }
            _ => left.push(LeftOut::new(
                format!("method {verb} {path}"),
                "cache",
                "a method cache that is not the same on every caching stage, or cache key parameters without a method cache on them (a spec route's `cache` is set on every stage with a `cache`)",
            )),
        }
    }
    (out, caches)
}

#[allow(clippy::too_many_arguments)]
fn route(
    path: &str,
    verb: &str,
    m: &Method,
    default_auth: &str,
    authorizers: &BTreeSet<String>,
    functions: &mut Functions,
    ctx: &ExportContext,
    exported: &BTreeSet<String>,
    left: &mut Vec<LeftOut>,
) -> Option<Map> {
    let object = format!("method {verb} {path}");
    let mut r = Map::new();
    r.push("path", path);
    r.push("method", verb);
    let Some(i) = &m.integration else {
        left.push(LeftOut::new(
            object,
            "integration",
            "a method without integration (every spec route has one)",
        ));
        return None;
    };
    let auth = auth_of(m);
    if auth != "none" && auth != "iam" && !authorizers.contains(&auth) {
        left.push(LeftOut::new(
            object.clone(),
            "authorizerId",
            "its authorizer is not exported",
        ));
        return None;
    }
    let integration = integration(&object, i, functions, ctx, left)?;
    match integration {
        Value::Str(f) => {
            r.push("function", f);
        }
        other => {
            r.push("integration", other);
        }
    }
    if auth != default_auth {
        r.push("auth", auth);
    }
    if !m.authorization_scopes.is_empty() {
        r.push("scopes", m.authorization_scopes.clone());
    }
    if m.api_key_required {
        r.push("api_key_required", true);
    }
    if !m.request_parameters.is_empty() {
        let mut p = Map::new();
        for (k, v) in &m.request_parameters {
            p.push(k.clone(), *v);
        }
        r.push("request_parameters", p);
    }
    if !m.method_responses.is_empty() {
        let mut list = Vec::new();
        for (status, mr) in &m.method_responses {
            let mut e = Map::new();
            e.push("status", status.clone());
            if !mr.response_models.is_empty() {
                let mut models = Map::new();
                for (ct, model) in &mr.response_models {
                    if model == "Empty" || model == "Error" || exported.contains(model) {
                        models.push(ct.clone(), model.clone());
                    } else {
                        left.push(LeftOut::new(
                            object.clone(),
                            format!("methodResponses {status} model {ct}"),
                            "the model is not exported",
                        ));
                    }
                }
                if !models.is_empty() {
                    e.push("models", models);
                }
            }
            if !mr.response_parameters.is_empty() {
                let mut p = Map::new();
                for (k, v) in &mr.response_parameters {
                    p.push(k.clone(), *v);
                }
                e.push("parameters", p);
            }
            list.push(Value::Map(e));
        }
        r.push("method_responses", Value::Seq(list));
    }
    Some(r)
}

/// A route's integration: `Value::Str(function key)` for the plain Lambda proxy shorthand,
/// else the `integration:` mapping. `None` when it cannot be written.
fn integration(
    object: &str,
    i: &Integration,
    functions: &mut Functions,
    ctx: &ExportContext,
    left: &mut Vec<LeftOut>,
) -> Option<Value> {
    let mut m = Map::new();
    let lambda = |functions: &mut Functions, left: &mut Vec<LeftOut>| -> Option<String> {
        let key = i
            .uri
            .as_deref()
            .and_then(|u| lambda_function(u, &ctx.region))
            .and_then(|arn| functions.key(&arn, ctx));
        if key.is_none() || i.http_method.as_deref() != Some("POST") {
            left.push(LeftOut::new(
                object,
                "integration uri",
                "an AWS integration that is not a Lambda function invoked with POST (service integrations are not in the spec language)",
            ));
            return None;
        }
        key
    };
    let (templates_ok, responses_ok) = match i.kind.as_str() {
        "AWS_PROXY" => {
            let f = lambda(functions, left)?;
            let plain = i.credentials.is_none()
                && i.timeout_ms.is_none()
                && i.request_parameters.is_empty()
                && i.request_templates.is_empty()
                && i.responses.is_empty()
                && i.passthrough_behavior.is_none()
                && i.content_handling.is_none();
            if plain {
                return Some(Value::Str(f));
            }
            m.push("type", "lambda_proxy");
            m.push("function", f);
            (false, false)
        }
        "AWS" => {
            let f = lambda(functions, left)?;
            m.push("type", "lambda");
            m.push("function", f);
            (true, true)
        }
        "HTTP_PROXY" | "HTTP" => {
            m.push(
                "type",
                if i.kind == "HTTP" {
                    "http"
                } else {
                    "http_proxy"
                },
            );
            m.push("uri", i.uri.clone().unwrap_or_default());
            m.opt("http_method", i.http_method.clone());
            (i.kind == "HTTP", i.kind == "HTTP")
        }
        "MOCK" => {
            m.push("type", "mock");
            (true, true)
        }
        other => {
            left.push(LeftOut::new(
                object,
                "integration type",
                &format!("integration type `{other}`"),
            ));
            return None;
        }
    };
    m.opt("timeout_ms", i.timeout_ms);
    if let Some(c) = &i.credentials {
        if matches!(i.kind.as_str(), "AWS" | "AWS_PROXY") {
            m.push("credentials", c.clone());
        } else {
            left.push(LeftOut::new(
                object,
                "integration credentials",
                "credentials on an http or mock integration",
            ));
        }
    }
    if !i.request_parameters.is_empty() {
        if i.kind == "MOCK" {
            left.push(LeftOut::new(
                object,
                "integration requestParameters",
                "request parameters on a mock integration",
            ));
        } else {
            let mut p = Map::new();
            for (k, v) in &i.request_parameters {
                p.push(k.clone(), v.clone());
            }
            m.push("request_parameters", p);
        }
    }
    let mut unsupported = |field: &str| {
        left.push(LeftOut::new(
            object,
            format!("integration {field}"),
            &format!("not in the spec language for a {} integration", i.kind),
        ))
    };
    if templates_ok {
        if !i.request_templates.is_empty() {
            let mut t = Map::new();
            for (k, v) in &i.request_templates {
                t.push(k.clone(), v.clone());
            }
            m.push("request_templates", t);
        }
        m.opt("passthrough_behavior", i.passthrough_behavior.clone());
    } else {
        if !i.request_templates.is_empty() {
            unsupported("requestTemplates");
        }
        if i.passthrough_behavior.is_some() {
            unsupported("passthroughBehavior");
        }
    }
    if i.kind == "AWS" || i.kind == "HTTP" {
        m.opt("content_handling", i.content_handling.clone());
    } else if i.content_handling.is_some() {
        unsupported("contentHandling");
    }
    if responses_ok {
        let mut list = Vec::new();
        for (status, r) in &i.responses {
            let mut e = Map::new();
            e.push("status", status.clone());
            e.opt("selection_pattern", r.selection_pattern.clone());
            if !r.response_templates.is_empty() {
                let mut t = Map::new();
                for (k, v) in &r.response_templates {
                    t.push(k.clone(), v.clone());
                }
                e.push("templates", t);
            }
            if !r.response_parameters.is_empty() {
                let mut p = Map::new();
                for (k, v) in &r.response_parameters {
                    p.push(k.clone(), v.clone());
                }
                e.push("parameters", p);
            }
            e.opt("content_handling", r.content_handling.clone());
            list.push(Value::Map(e));
        }
        if !list.is_empty() {
            m.push("responses", Value::Seq(list));
        }
    } else if !i.responses.is_empty() {
        unsupported("integrationResponses");
    }
    Some(Value::Map(m))
}

fn unquote(v: &str) -> Option<&str> {
    v.strip_prefix('\'')?.strip_suffix('\'')
}

fn list_of(v: Option<&str>) -> Vec<String> {
    v.map(|s| {
        s.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// The `cors:` block whose pieces answer browsers exactly as the API's preflights and gateway
/// responses do ([`super::cors::equiv`]: gwctl's own, the console's, SAM's), when there is one.
pub fn recognise_cors(c: &RestApi) -> Option<CorsDef> {
    let gateway: Vec<Option<&GatewayResponse>> = GATEWAY_RESPONSE_TYPES
        .iter()
        .map(|t| c.gateway_responses.get(*t))
        .collect();
    let gateway_responses = match gateway.as_slice() {
        [Some(a), Some(b)] if is_cors_gateway_response(a) && is_cors_gateway_response(b) => true,
        [None, None] => false,
        _ => return None,
    };
    let preflights: Vec<(&Method, &BTreeMap<String, Method>)> = c
        .resources
        .values()
        .filter_map(|r| Some((r.methods.get("OPTIONS")?, &r.methods)))
        .collect();
    if !preflights
        .iter()
        .all(|(m, all)| is_preflight_shaped(m, all.keys().map(String::as_str)))
    {
        return None;
    }
    let Some((first, _)) = preflights.first() else {
        return cors_without_preflights(c);
    };
    let first = first.integration.as_ref()?.responses.get("200")?;
    let header = |name: &str| {
        first
            .response_parameters
            .iter()
            .find(|(k, _)| {
                k.strip_prefix("method.response.header.")
                    .is_some_and(|h| h.eq_ignore_ascii_case(name))
            })
            .and_then(|(_, v)| unquote(v.trim()))
            .map(str::trim)
    };
    let origins = match first.response_templates.values().find(|t| t.contains('$')) {
        Some(t) => t
            .split("$origin == \"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .filter(|o| !o.is_empty())
            .map(str::to_string)
            .collect(),
        None => vec![header("Access-Control-Allow-Origin")?.to_string()],
    };
    let base = CorsDef {
        pos: Pos::default(),
        origins,
        methods: Vec::new(),
        headers: spec_headers(header("Access-Control-Allow-Headers")),
        expose_headers: list_of(header("Access-Control-Expose-Headers")),
        max_age: header("Access-Control-Max-Age").and_then(|a| a.parse().ok()),
        credentials: header("Access-Control-Allow-Credentials") == Some("true"),
        gateway_responses,
    };
    if !writable(&base) {
        return None;
    }
    // Without `methods`, then limited to the methods the preflights allow.
    let mut allowed: BTreeSet<String> = BTreeSet::new();
    for (m, _) in &preflights {
        if let Some(r) = m.integration.as_ref().and_then(|i| i.responses.get("200")) {
            let v = r
                .response_parameters
                .iter()
                .find(|(k, _)| {
                    k.eq_ignore_ascii_case("method.response.header.Access-Control-Allow-Methods")
                })
                .and_then(|(_, v)| unquote(v.trim()));
            allowed.extend(
                list_of(v)
                    .into_iter()
                    .filter(|m| m != "OPTIONS" && METHOD_NAMES.contains(&m.as_str())),
            );
        }
    }
    let limited = CorsDef {
        methods: allowed.into_iter().collect(),
        ..base.clone()
    };
    [base, limited].into_iter().find(|cors| rebuilds(c, cors))
}

/// The methods a `cors.methods` list may name.
const METHOD_NAMES: [&str; 6] = ["DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"];

/// A live `Access-Control-Allow-Headers` value as `cors.headers` (empty: the default list).
fn spec_headers(v: Option<&str>) -> Vec<String> {
    let headers = list_of(v);
    let canon =
        |l: &[String]| -> BTreeSet<String> { l.iter().map(|h| h.to_ascii_lowercase()).collect() };
    let default: Vec<String> = DEFAULT_CORS_HEADERS.iter().map(|s| s.to_string()).collect();
    if canon(&headers) == canon(&default) {
        return Vec::new();
    }
    let mut seen = BTreeSet::new();
    headers
        .into_iter()
        .filter(|h| seen.insert(h.to_ascii_lowercase()))
        .collect()
}

/// Whether the spec reader takes this block back (origins, header names, max age).
fn writable(c: &CorsDef) -> bool {
    !c.origins.is_empty()
        && c.origins.iter().all(|o| origin_problem(o).is_none())
        && c.headers
            .iter()
            .chain(&c.expose_headers)
            .all(|h| is_header_name(h))
        && c.max_age.is_none_or(|a| a <= 86400)
        && !(c.credentials && c.origins.iter().any(|o| o == "*"))
}

/// gwctl's gateway responses without any preflight: a `cors:` block whose `methods` leave
/// out every method the routes have (what the error responses carry is all there is to read).
fn cors_without_preflights(c: &RestApi) -> Option<CorsDef> {
    let g = c.gateway_responses.get(GATEWAY_RESPONSE_TYPES[0])?;
    let header = |name: &str| {
        g.response_parameters
            .iter()
            .find(|(k, _)| {
                k.strip_prefix("gatewayresponse.header.")
                    .is_some_and(|h| h.eq_ignore_ascii_case(name))
            })
            .and_then(|(_, v)| unquote(v.trim()))
            .map(str::trim)
    };
    let used: BTreeSet<&str> = c
        .resources
        .values()
        .flat_map(|r| r.methods.keys().map(String::as_str))
        .collect();
    if used.contains("ANY") {
        return None;
    }
    let cors = CorsDef {
        pos: Pos::default(),
        origins: vec![header("Access-Control-Allow-Origin")?.to_string()],
        methods: METHOD_NAMES
            .into_iter()
            .filter(|m| !used.contains(m))
            .map(str::to_string)
            .collect(),
        headers: spec_headers(header("Access-Control-Allow-Headers")),
        expose_headers: list_of(header("Access-Control-Expose-Headers")),
        max_age: None,
        credentials: header("Access-Control-Allow-Credentials") == Some("true"),
        gateway_responses: true,
    };
    (writable(&cors) && rebuilds(c, &cors)).then_some(cors)
}

/// Whether `cors` builds the preflights and gateway responses `c` has, or ones that answer
/// browsers the same ([`super::cors::equiv`]); everything else is `c`'s own by construction.
fn rebuilds(c: &RestApi, cors: &CorsDef) -> bool {
    let mut rebuilt = c.clone();
    for r in rebuilt.resources.values_mut() {
        r.methods.remove("OPTIONS");
    }
    for t in GATEWAY_RESPONSE_TYPES {
        rebuilt.gateway_responses.remove(t);
    }
    add_to(&mut rebuilt, cors);
    rebuilt.normalize();
    let mut have = c.clone();
    have.normalize();
    let preflights_match = have.resources.iter().all(|(path, r)| {
        let want = rebuilt
            .resources
            .get(path)
            .and_then(|w| w.methods.get("OPTIONS"));
        match (want, r.methods.get("OPTIONS")) {
            (None, None) => true,
            (Some(w), Some(h)) => {
                w == h || same_preflight(w, h, r.methods.keys().map(String::as_str))
            }
            _ => false,
        }
    });
    preflights_match
        && GATEWAY_RESPONSE_TYPES.iter().all(|t| {
            match (
                rebuilt.gateway_responses.get(*t),
                have.gateway_responses.get(*t),
            ) {
                (None, None) => true,
                (Some(w), Some(h)) => w == h || same_gateway_response(w, h),
                _ => false,
            }
        })
}

fn cors_section(c: &CorsDef) -> Map {
    let mut m = Map::new();
    m.push("origins", c.origins.clone());
    if !c.methods.is_empty() {
        m.push("methods", c.methods.clone());
    }
    if !c.headers.is_empty() {
        m.push("headers", c.headers.clone());
    }
    if !c.expose_headers.is_empty() {
        m.push("expose_headers", c.expose_headers.clone());
    }
    m.opt("max_age", c.max_age);
    if c.credentials {
        m.push("credentials", true);
    }
    if !c.gateway_responses {
        m.push("gateway_responses", false);
    }
    m
}

fn stages_section(api: &ObservedRestApi, left: &mut Vec<LeftOut>) -> Map {
    let mut out = Map::block();
    for (name, st) in &api.stages {
        let s = &st.settings;
        let mut m = Map::new();
        m.opt("description", s.description.clone());
        if !s.variables.is_empty() {
            let mut v = Map::new();
            for (k, val) in &s.variables {
                v.push(k.clone(), val.clone());
            }
            m.push("variables", v);
        }
        // AWS's defaults (a new stage has them) are left out: an adopted stage keeps them.
        if let Some(all) = s.method_settings.get("*/*") {
            m.opt("logging", all.logging_level.clone().filter(|l| l != "OFF"));
            m.opt("data_trace", all.data_trace.filter(|d| *d));
            m.opt("metrics", all.metrics.filter(|d| *d));
            match (all.throttle_rate, all.throttle_burst) {
                (Some(r), Some(b)) => {
                    m.push("throttle", throttle(r, b));
                }
                (None, None) => {}
                _ => left.push(LeftOut::new(
                    format!("stage {name}"),
                    "throttle",
                    "a stage throttle with only one of rate and burst",
                )),
            }
        }
        m.opt("tracing", s.tracing_enabled.filter(|t| *t));
        let all = s.method_settings.get("*/*");
        let caching = all.and_then(|a| a.caching_enabled).unwrap_or(false);
        match (s.cache_cluster_enabled.unwrap_or(false), caching) {
            (false, false) => {} // AWS's default
            (true, true) => {
                let mut c = Map::new();
                match s.cache_cluster_size.as_deref() {
                    Some(z) if CACHE_SIZES.contains(&z) => {
                        c.push("size", z);
                    }
                    None => {}
                    Some(z) => left.push(LeftOut::new(
                        format!("stage {name}"),
                        "cacheClusterSize",
                        &format!("cache size `{z}`, which is not one API Gateway offers"),
                    )),
                }
                c.opt("ttl", all.and_then(|a| a.cache_ttl));
                c.opt("encrypted", all.and_then(|a| a.cache_encrypted));
                m.push("cache", c);
            }
            _ => left.push(LeftOut::new(
                format!("stage {name}"),
                "cacheClusterEnabled",
                "a cache cluster without stage-wide caching, or caching without a cluster (a spec's stage `cache` turns both on or off)",
            )),
        }
        if let Some(c) = &s.canary {
            let mut cm = Map::new();
            cm.opt("percent", c.percent);
            if let Some(v) = c.variables.as_ref().filter(|v| !v.is_empty()) {
                let mut vm = Map::new();
                for (k, val) in v {
                    vm.push(k.clone(), val.clone());
                }
                cm.push("variables", vm);
            }
            // Its deployment is `gwctl deploy --canary`'s to choose, not the spec's.
            m.push("canary", cm);
        }
        if let Some(a) = &s.access_log {
            let mut l = Map::new();
            l.push("destination", a.destination_arn.clone());
            l.push("format", a.format.clone());
            m.push("access_log", l);
        }
        out.push(name.clone(), m);
    }
    out
}

fn usage_section(
    doc: &mut Map,
    api: &ObservedRestApi,
    usage: &ObservedUsage,
    foreign: &ForeignPlans,
    left: &mut Vec<LeftOut>,
) {
    for (id, name) in foreign {
        left.push(LeftOut::new(
            format!("usage plan {name} ({id})"),
            "*",
            "covers this api but was not made by gwctl, which manages only the plans it creates",
        ));
    }
    let prefix = format!("{}:", api.id);
    let mut plans = Map::block();
    let mut key_refs: BTreeMap<String, Map> = BTreeMap::new();
    let mut seen_plans = BTreeSet::new();
    for p in &usage.plans {
        if !seen_plans.insert(p.name.clone()) {
            continue; // a duplicate of an interrupted run: the planner keeps the first
        }
        let object = format!("usage plan {}", p.name);
        let mut m = Map::new();
        m.opt("description", p.def.description.clone());
        if let Some(t) = p.def.throttle {
            m.push("throttle", throttle(t.rate, t.burst));
        }
        if let Some(q) = &p.def.quota {
            let mut qm = Map::new();
            qm.push("limit", q.limit).push("period", q.period.clone());
            if q.offset != 0 {
                qm.push("offset", q.offset);
            }
            m.push("quota", qm);
        }
        let mut stages = Vec::new();
        let mut method_throttle = Map::new();
        for (k, per_method) in &p.def.api_stages {
            let Some(stage) = k.strip_prefix(&prefix) else {
                left.push(LeftOut::new(
                    object.clone(),
                    format!("apiStages {k}"),
                    "a stage of another api",
                ));
                continue;
            };
            if !api.stages.contains_key(stage) {
                left.push(LeftOut::new(
                    object.clone(),
                    format!("apiStages {k}"),
                    "a stage not exported (`--stage`)",
                ));
                continue;
            }
            stages.push(stage.to_string());
            for (mk, t) in per_method {
                // `/tasks/POST` -> `POST /tasks` (the root is `//GET`).
                let Some((path, method)) = mk.rsplit_once('/') else {
                    continue;
                };
                let path = if path.is_empty() { "/" } else { path };
                method_throttle.push(format!("{method} {path}"), throttle(t.rate, t.burst));
            }
        }
        m.push("stages", stages);
        let mut keys = Vec::new();
        for kid in &p.key_ids {
            let owned = usage.keys.iter().find(|k| &k.id == kid);
            let name = match owned {
                Some(k) => k.name.clone(),
                None => usage
                    .key_names
                    .get(kid)
                    .cloned()
                    .unwrap_or_else(|| kid.clone()),
            };
            if key_refs.contains_key(&name) {
                keys.push(name);
                continue;
            }
            let mut km = Map::new();
            match owned {
                Some(k) => {
                    km.opt("description", k.def.description.clone());
                    km.push("enabled", k.def.enabled);
                }
                None => {
                    km.push("id", kid.clone());
                }
            }
            key_refs.insert(name.clone(), km);
            keys.push(name);
        }
        if !keys.is_empty() {
            m.push("keys", keys);
        }
        if !method_throttle.is_empty() {
            m.push("method_throttle", method_throttle);
        }
        plans.push(p.name.clone(), m);
    }
    // Keys gwctl made for the api that no plan holds.
    for k in &usage.keys {
        if !key_refs.contains_key(&k.name) {
            let mut km = Map::new();
            km.opt("description", k.def.description.clone());
            km.push("enabled", k.def.enabled);
            key_refs.insert(k.name.clone(), km);
        }
    }
    if !key_refs.is_empty() {
        let mut keys = Map::block();
        for (name, km) in key_refs {
            keys.push(name, km);
        }
        doc.commented(
            "api_keys",
            keys,
            vec!["Key values stay with AWS: gwctl never reads or prints them.".into()],
        );
    }
    if !plans.is_empty() {
        doc.push("usage_plans", plans);
    }
}
