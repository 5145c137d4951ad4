//! The node tree into the model, collecting every problem instead of stopping at the first.
//!
//! [`Cx`] (`../cx.rs`) holds the diagnostics; [`MapReader`] reads one YAML mapping key by
//! key, with typed getters that report wrong types, and `finish()` reports the keys nobody
//! asked for (with a did-you-mean from the keys that mapping allows). Checks that need only
//! one value (ranges, formats, ARNs, which API kind a key applies to, references to names)
//! happen here, where the node and its position are at hand; checks over the whole route
//! table are in `check.rs`.
//!
//! This file reads the top level and holds the keys of every section (the schema reads
//! them too); `node.rs` is the reader itself, `ident.rs` the formats of AWS identifiers, and
//! one file per group of sections: `api.rs` (api, functions), `auth.rs` (authorizers),
//! `cors.rs`, `route.rs` (routes, with their paths in `path.rs` and integrations in
//! `integration.rs`), `stages.rs` (stages, throttle) and `usage.rs` (api keys, usage plans).

mod api;
mod auth;
mod cache;
mod canary;
mod cors;
mod domains;
mod ident;
mod integration;
mod models;
mod node;
mod path;
mod policy;
mod route;
mod stages;
mod usage;
mod ws;

use std::collections::BTreeMap;

use super::diag::Severity;
use super::model::*;
use super::yaml::{Node, Value};

pub(crate) use super::cx::{kind_name, Cx};
pub(crate) use api::*;
pub(crate) use auth::*;
pub(crate) use cache::*;
pub(crate) use canary::*;
pub(crate) use cors::*;
pub(crate) use domains::{
    check_certificate_region, DNS_KEYS, DOMAIN_ENDPOINTS, DOMAIN_KEYS, MTLS_KEYS, SECURITY_POLICIES,
};
pub(crate) use ident::*;
pub(crate) use integration::*;
pub(crate) use models::{read_request, REQUEST_KEYS, VALIDATE_KINDS};
pub(crate) use node::*;
pub(crate) use path::*;
pub(crate) use policy::{POLICY_KEYS, STATEMENT_KEYS};
pub(crate) use route::*;
pub(crate) use stages::*;
pub(crate) use ws::{
    API_KEY_SELECTIONS, WS_INTEGRATION_KEYS, WS_INTEGRATION_RESPONSE_KEYS, WS_ROUTE_KEYS,
};

use api::{read_api, read_functions};
use auth::read_authorizers;
use cors::read_cors;
use stages::read_stages;
use usage::{read_api_keys, read_usage_plans};

// ---------------------------------------------------------------- the spec

pub(crate) const TOP_KEYS: &[&str] = &[
    "version",
    "api",
    "functions",
    "authorizers",
    "default_auth",
    "cors",
    "routes",
    "stages",
    "api_keys",
    "usage_plans",
    "domains",
    "models",
    "variables",
    "environments",
];

/// Keys of `functions.NAME` when written as a mapping.
pub(crate) const FUNCTION_KEYS: &[&str] = &["name", "arn", "alias"];
pub(crate) const THROTTLE_KEYS: &[&str] = &["rate", "burst"];
pub(crate) const ACCESS_LOG_KEYS: &[&str] = &["destination", "format"];
pub(crate) const API_KEY_KEYS: &[&str] = &["description", "enabled", "value_from_env", "id"];
pub(crate) const USAGE_PLAN_KEYS: &[&str] = &[
    "description",
    "throttle",
    "quota",
    "stages",
    "keys",
    "method_throttle",
];
pub(crate) const QUOTA_KEYS: &[&str] = &["limit", "period", "offset"];
/// Values of the fixed-choice keys (matched case-insensitively).
pub(crate) const API_KINDS: &[&str] = &["rest", "http", "websocket"];
pub(crate) const ENDPOINT_TYPES: &[&str] = &["REGIONAL", "EDGE", "PRIVATE"];
pub(crate) const PAYLOAD_FORMAT_VERSIONS: &[&str] = &["2.0", "1.0"];
pub(crate) const API_KEY_SOURCES: &[&str] = &["HEADER", "AUTHORIZER"];
pub(crate) const LOG_LEVELS: &[&str] = &["OFF", "ERROR", "INFO"];
pub(crate) const QUOTA_PERIODS: &[&str] = &["DAY", "WEEK", "MONTH"];

/// Read a whole spec. Returns a model even when there were errors (parts that could not be
/// read are left out) so whole-spec checks can still run; the caller decides what to expose.
pub(crate) fn read_spec(cx: &mut Cx, root: &Node) -> Option<Spec> {
    let Value::Map(_) = &root.value else {
        if root.value == Value::Null {
            cx.push(
                Severity::Error,
                Pos::default(),
                0,
                "spec file is empty",
                Some("a spec starts with `api: {name: my-api}` and a list of `routes:`".into()),
            );
        } else {
            cx.err(
                root,
                format!(
                    "a spec must be a mapping at the top level, found {}",
                    found(root)
                ),
                Some("a spec starts with `api: {name: my-api}` and a list of `routes:`".into()),
            );
        }
        return None;
    };
    // `x-...` keys are free for the user, e.g. to hold YAML anchors merged into routes.
    let mut m = MapReader::open(cx, root, "the spec", TOP_KEYS)?.ignore_prefix("x-");

    if let Some(v) = m.get("version") {
        match &v.value {
            Value::Int(1) => {}
            Value::Int(_) | Value::Float(_) => cx.err(
                v,
                format!("unsupported spec version `{}`", v.raw),
                Some("this gwctl reads `version: 1`".into()),
            ),
            _ => cx.err(
                v,
                format!("`version` must be an integer, found {}", found(v)),
                Some("write `version: 1`".into()),
            ),
        }
    }

    let api = match m.req(cx, "api") {
        Some(n) => read_api(cx, n),
        None => None,
    };
    let api = api.unwrap_or_else(|| ApiDef {
        name: At::new(String::new(), Pos::default()),
        description: None,
        kind: cx.kind,
        endpoint: EndpointType::Regional,
        binary_media_types: None,
        tags: BTreeMap::new(),
        disable_execute_api_endpoint: None,
        payload_format_version: None,
        api_key_source: None,
        route_selection: None,
        api_key_selection: None,
        endpoint_declared: false,
        policy: None,
        vpc_endpoint_ids: None,
    });

    let mut names = Names::default();
    // Collect every defined name first so references resolve regardless of order, and a
    // definition with a problem in its body does not also make each use "unknown".
    for (section, out) in [
        ("functions", &mut names.functions),
        ("stages", &mut names.stages),
        ("api_keys", &mut names.api_keys),
        ("models", &mut names.models),
    ] {
        if let Some(Value::Map(es)) = m.entries_of(section) {
            out.extend(es.iter().map(|(k, _)| k.key_text()));
        }
    }
    if let Some(Value::Map(es)) = m.entries_of("authorizers") {
        for (k, v) in es {
            let ty = match &v.value {
                Value::Map(fields) => fields
                    .iter()
                    .find(|(fk, _)| fk.key_text() == "type")
                    .and_then(|(_, tv)| tv.as_text())
                    .and_then(|t| {
                        AUTHORIZER_TYPES
                            .iter()
                            .find(|o| o.eq_ignore_ascii_case(&t))
                            .copied()
                    }),
                _ => None,
            };
            names.authorizers.push((k.key_text(), ty));
        }
    }

    let functions = m
        .get("functions")
        .map(|n| read_functions(cx, n))
        .unwrap_or_default();
    let authorizers = m
        .get("authorizers")
        .map(|n| read_authorizers(cx, n, &names))
        .unwrap_or_default();
    let default_auth = match m.get("default_auth") {
        Some(n) if cx.kind == ApiKind::WebSocket => {
            cx.err(
                m.key("default_auth").unwrap_or(n),
                "`default_auth` is not supported on websocket apis",
                Some("only the `$connect` route is authorized: write `auth:` on it".into()),
            );
            None
        }
        Some(n) => auth_ref(cx, n, "default_auth", &names),
        None => None,
    };
    let cors = match m.get("cors") {
        Some(n) if cx.kind == ApiKind::WebSocket => {
            ws::refuse_cors(cx, m.key("cors").unwrap_or(n));
            None
        }
        Some(n) => read_cors(cx, n),
        None => None,
    };
    let stages = m
        .get("stages")
        .map(|n| {
            // Stages were written, even if none could be read (a null or invalid stage):
            // then the errors say so, and "no `stages`" would be wrong.
            cx.stages_written = match &n.value {
                Value::Null => false,
                Value::Map(es) => !es.is_empty(),
                _ => true,
            };
            read_stages(cx, n)
        })
        .unwrap_or_default();
    let api_keys = m
        .only(cx, "api_keys", ApiKind::Rest)
        .map(|n| read_api_keys(cx, n))
        .unwrap_or_default();
    let models = m
        .only(cx, "models", ApiKind::Rest)
        .map(|n| models::read_models(cx, n, &names))
        .unwrap_or_default();
    let routes = match m.req(cx, "routes") {
        Some(n) if cx.kind == ApiKind::WebSocket => ws::read_ws_routes(cx, n, &names),
        Some(n) => read_routes(cx, n, &names, default_auth.as_ref()),
        None => Vec::new(),
    };
    let usage_plans = m
        .only(cx, "usage_plans", ApiKind::Rest)
        .map(|n| read_usage_plans(cx, n, &names, &routes))
        .unwrap_or_default();
    let domains = m
        .only_in(cx, "domains", &[ApiKind::Rest, ApiKind::Http])
        .map(|n| domains::read_domains(cx, n, &names));
    m.finish(cx);

    Some(Spec {
        file: cx.src.file.to_path_buf(),
        api,
        functions,
        authorizers,
        default_auth,
        cors,
        routes,
        stages,
        api_keys,
        usage_plans,
        domains,
        models,
        vars: Default::default(),
    })
}
