//! WebSocket APIs (`kind: websocket`): the route selection expression, routes by route key
//! (`$connect`, `$disconnect`, `$default`, custom keys) and their integrations. Authorizers
//! and stages are read by `auth.rs` and `stages.rs`, which know the kind.

use std::collections::BTreeMap;

use crate::spec::model::*;
use crate::spec::yaml::{Node, Value};

use super::{
    auth_ref, boolean, choice, int_in, is_http_url, is_role_arn, list, nonempty, read_throttle,
    reference, text, text_map, unknown_method, Cx, MapReader, Names, CONTENT_HANDLINGS,
    PASSTHROUGH_BEHAVIORS,
};

/// Keys of a route of a WebSocket API.
pub(crate) const WS_ROUTE_KEYS: &[&str] = &[
    "route",
    "function",
    "integration",
    "auth",
    "throttle",
    "response",
];
/// Keys of a WebSocket integration (which ones a type allows: [`ws_integration_keys`]).
pub(crate) const WS_INTEGRATION_KEYS: &[&str] = &[
    "type",
    "function",
    "uri",
    "http_method",
    "timeout_ms",
    "credentials",
    "request_templates",
    "template_selection",
    "passthrough_behavior",
    "content_handling",
    "request_parameters",
    "responses",
];
/// Keys of an integration response of a WebSocket custom integration.
pub(crate) const WS_INTEGRATION_RESPONSE_KEYS: &[&str] =
    &["key", "templates", "template_selection", "content_handling"];
/// The predefined route keys; any other key is matched against the route selection
/// expression's value.
pub(crate) const PREDEFINED_ROUTES: &[&str] = &["$connect", "$disconnect", "$default"];
/// The API key selection expressions API Gateway accepts.
pub(crate) const API_KEY_SELECTIONS: &[&str] = &[
    "$request.header.x-api-key",
    "$context.authorizer.usageIdentifierKey",
];
/// WebSocket integrations time out after at most 29 s.
const MAX_TIMEOUT_MS: i64 = 29_000;

fn ws_integration_keys(ty: &str) -> &'static [&'static str] {
    match ty {
        "lambda_proxy" => &["type", "function", "timeout_ms", "credentials"],
        "lambda" => &[
            "type",
            "function",
            "timeout_ms",
            "credentials",
            "request_templates",
            "template_selection",
            "passthrough_behavior",
            "content_handling",
            "request_parameters",
            "responses",
        ],
        "http_proxy" => &[
            "type",
            "uri",
            "http_method",
            "timeout_ms",
            "request_parameters",
        ],
        "http" => &[
            "type",
            "uri",
            "http_method",
            "timeout_ms",
            "request_templates",
            "template_selection",
            "passthrough_behavior",
            "content_handling",
            "request_parameters",
            "responses",
        ],
        _ => &[
            "type",
            "request_templates",
            "template_selection",
            "passthrough_behavior",
            "responses",
        ],
    }
}

/// `cors:` on a WebSocket API: an error (the protocol has no CORS).
pub(super) fn refuse_cors(cx: &mut Cx, key: &Node) {
    cx.err(
        key,
        "`cors` is not supported on websocket apis",
        Some("websocket apis have no cors configuration; remove `cors:`".into()),
    );
}

/// A selection expression that reads the message body: `$request.body.NAME` (a JSON path of
/// names joined by `.`).
pub(super) fn selection_expression(cx: &mut Cx, n: &Node, what: &str) -> Option<At<String>> {
    let t = nonempty(cx, n, what)?;
    let ok = t.value.strip_prefix("$request.body.").is_some_and(|path| {
        path.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
    });
    if ok {
        Some(t)
    } else {
        cx.err(
            n,
            format!("`{}` is not a route selection expression", t.value),
            Some(format!(
                "write `$request.body.NAME`, the message's JSON field naming the route (default `{DEFAULT_ROUTE_SELECTION}`)"
            )),
        );
        None
    }
}

pub(super) fn api_key_selection(cx: &mut Cx, n: &Node) -> Option<String> {
    choice(cx, n, "api_key_selection", API_KEY_SELECTIONS).map(str::to_string)
}

/// A route key: a predefined one, or 1 to 128 printable characters without spaces that do
/// not start with `$`.
fn route_key(cx: &mut Cx, n: &Node) -> Option<At<String>> {
    let t = nonempty(cx, n, "route")?;
    let k = t.value.as_str();
    if PREDEFINED_ROUTES.contains(&k) {
        return Some(t);
    }
    let problem = if k.starts_with('$') {
        Some(format!("unknown predefined route `{k}`"))
    } else if k.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some(format!("route key `{k}` contains spaces"))
    } else if k.chars().count() > 128 {
        Some("route keys have at most 128 characters".to_string())
    } else {
        None
    };
    match problem {
        None => Some(t),
        Some(msg) => {
            cx.err(
                n,
                msg,
                Some(
                    "write `$connect`, `$disconnect`, `$default` or the value of the route selection expression, e.g. `sendmessage`"
                        .into(),
                ),
            );
            None
        }
    }
}

/// `routes:` of a WebSocket API. Each [`RouteDef`] has the route key as `path` and method
/// ANY.
pub(super) fn read_ws_routes(cx: &mut Cx, n: &Node, names: &Names) -> Vec<RouteDef> {
    let Some(items) = list(cx, n, "routes") else {
        return Vec::new();
    };
    if items.is_empty() {
        cx.err(
            n,
            "`routes` is empty",
            Some("a websocket api needs at least one route, e.g. `- {route: $default, function: handler}`".into()),
        );
    }
    let mut out: Vec<RouteDef> = Vec::new();
    for item in items {
        let Some(r) = read_ws_route(cx, item, names) else {
            continue;
        };
        if let Some(first) = out.iter().find(|o| o.path.value == r.path.value) {
            cx.err_at(
                r.path.pos,
                format!("duplicate route `{}`", r.path.value),
                Some(format!("first defined on line {}", first.pos.line)),
            );
            continue;
        }
        if let Some((other, at)) = responses_conflict(&out, &r) {
            cx.err_at(
                at,
                format!(
                    "routes `{other}` and `{}` share one integration but declare different `responses`",
                    r.path.value
                ),
                Some("routes with the same integration settings use one integration: give them the same `responses`, or declare them on one route only".into()),
            );
            continue;
        }
        out.push(r);
    }
    out
}

/// An earlier route whose integration has the same settings as `r`'s (so the two share one
/// integration) but other declared `responses`: its route key, and where `r` declares them.
fn responses_conflict(earlier: &[RouteDef], r: &RouteDef) -> Option<(String, Pos)> {
    let mine = r.integration.ws_responses.as_ref()?;
    let at = mine.first().map(|x| x.pos).unwrap_or(r.integration.pos);
    earlier.iter().find_map(|o| {
        let theirs = o.integration.ws_responses.as_ref()?;
        (same_settings(&o.integration, &r.integration) && !same_responses(theirs, mine))
            .then(|| (o.path.value.clone(), at))
    })
}

fn same_responses(a: &[WsIntegrationResponseDef], b: &[WsIntegrationResponseDef]) -> bool {
    let strip = |v: &[WsIntegrationResponseDef]| {
        let mut v: Vec<_> = v
            .iter()
            .map(|x| WsIntegrationResponseDef {
                pos: Pos::default(),
                ..x.clone()
            })
            .collect();
        v.sort_by(|x, y| x.key.cmp(&y.key));
        v
    };
    strip(a) == strip(b)
}

/// Whether two integrations have the same settings (positions and `responses` aside).
fn same_settings(a: &IntegrationDef, b: &IntegrationDef) -> bool {
    let kind = |i: &IntegrationDef| match &i.kind {
        IntegrationKind::LambdaProxy { function } => format!("lambda_proxy {}", function.value),
        IntegrationKind::Lambda { function } => format!("lambda {}", function.value),
        IntegrationKind::HttpProxy { uri, http_method } => {
            format!("http_proxy {} {}", http_method.as_str(), uri.value)
        }
        IntegrationKind::Http { uri, http_method } => {
            format!("http {} {}", http_method.as_str(), uri.value)
        }
        IntegrationKind::Mock => "mock".to_string(),
    };
    kind(a) == kind(b)
        && a.timeout_ms == b.timeout_ms
        && a.request_templates == b.request_templates
        && a.passthrough_behavior == b.passthrough_behavior
        && a.content_handling == b.content_handling
        && a.credentials.as_ref().map(|c| &c.value) == b.credentials.as_ref().map(|c| &c.value)
        && a.template_selection == b.template_selection
        && a.ws_request_parameters.clone().unwrap_or_default()
            == b.ws_request_parameters.clone().unwrap_or_default()
}

fn read_ws_route(cx: &mut Cx, n: &Node, names: &Names) -> Option<RouteDef> {
    let mut m = MapReader::open(cx, n, "route", WS_ROUTE_KEYS)?;
    // A REST route's `request:` (request validation) has no WebSocket counterpart.
    if let (Some(k), Some(_)) = (m.key("request"), m.take("request")) {
        cx.err(
            k,
            "`request` is only supported on rest apis",
            Some("websocket apis have no request validation; remove `request`".into()),
        );
    }
    let key = m.req(cx, "route").and_then(|k| route_key(cx, k));
    let function = m.get("function");
    let integration_node = m.get("integration");
    let integration = match (function, integration_node) {
        (Some(_), Some(i)) => {
            cx.err(
                m.key("integration").unwrap_or(i),
                "a route has either `function:` or `integration:`, not both",
                Some("`function: NAME` is short for `integration: {type: lambda_proxy, function: NAME}`".into()),
            );
            None
        }
        (Some(f), None) => nonempty(cx, f, "function").and_then(|t| {
            reference(cx, f, &t.value, &names.functions, "function", "functions").then(|| {
                IntegrationDef {
                    pos: t.pos,
                    kind: IntegrationKind::LambdaProxy { function: t },
                    timeout_ms: None,
                    request_templates: BTreeMap::new(),
                    passthrough_behavior: None,
                    content_handling: None,
                    request_parameters: BTreeMap::new(),
                    responses: Vec::new(),
                    credentials: None,
                    payload_format_version: None,
                    template_selection: None,
                    ws_responses: None,
                    ws_request_parameters: None,
                }
            })
        }),
        (None, Some(i)) => {
            read_ws_integration(cx, i, names, key.as_ref().map(|k| k.value.as_str()))
        }
        (None, None) if m.has_typo_of("function") || m.has_typo_of("integration") => None,
        (None, None) => {
            cx.err(
                n,
                "route has no target",
                Some("add `function: NAME` (a lambda proxy) or an `integration:` block".into()),
            );
            None
        }
    };
    let auth_node = m.get("auth");
    let auth = auth_node.and_then(|a| auth_ref(cx, a, "auth", names));
    if let (Some(a), Some(k)) = (&auth, &key) {
        if a.value != AuthRef::None && k.value != "$connect" {
            cx.err(
                auth_node.unwrap_or(n),
                format!("route `{}` cannot be authorized", k.value),
                Some(
                    "websocket apis authorize a client once, on `$connect`: move `auth:` there"
                        .into(),
                ),
            );
        }
    }
    let throttle = m
        .get("throttle")
        .and_then(|t| read_throttle(cx, t, "`throttle`"));
    let response = m
        .get("response")
        .and_then(|r| boolean(cx, r, "response"))
        .unwrap_or(false);
    m.finish(cx);
    if let (true, Some(i), Some(k)) = (response, &integration, &key) {
        let ty = match i.kind {
            IntegrationKind::Lambda { .. } => Some("lambda"),
            IntegrationKind::Http { .. } => Some("http"),
            IntegrationKind::Mock => Some("mock"),
            _ => None,
        };
        if let (Some(ty), None) = (ty, &i.ws_responses) {
            cx.warn(
                integration_node.unwrap_or(n),
                format!(
                    "two-way route `{}` sends nothing back: its `{ty}` integration declares no `responses`",
                    k.value
                ),
                Some("API Gateway answers a two-way route with a non-proxy integration through an integration response: add `responses: [{key: $default}]`".into()),
            );
        }
    }
    Some(RouteDef {
        pos: n.pos,
        path: key?,
        method: At::new(HttpMethod::Any, n.pos),
        integration: integration?,
        auth,
        scopes: Vec::new(),
        api_key_required: false,
        api_key_required_declared: None,
        request_parameters: BTreeMap::new(),
        method_responses: Vec::new(),
        throttle,
        cache: None,
        response,
        request: None,
    })
}

/// `route`: the route's key, when it could be read (`route.request.header.*` and
/// `route.request.querystring.*` sources exist on `$connect` only).
fn read_ws_integration(
    cx: &mut Cx,
    n: &Node,
    names: &Names,
    route: Option<&str>,
) -> Option<IntegrationDef> {
    let ty_node = match &n.value {
        Value::Map(es) => es
            .iter()
            .find(|(k, _)| k.key_text() == "type")
            .map(|(_, v)| v),
        _ => None,
    };
    let ty = match ty_node {
        Some(t) => choice(cx, t, "type", super::INTEGRATION_TYPES)?,
        None => "lambda_proxy",
    };
    let what = format!("a `{ty}` integration");
    let mut m =
        MapReader::open(cx, n, &what, ws_integration_keys(ty))?.elsewhere(WS_INTEGRATION_KEYS);
    m.get("type");
    let mut ok = true;
    // Proxies hand the backend's answer to the client as it is: API Gateway has no
    // integration responses for them.
    if let (true, Some(k), Some(_)) = (
        matches!(ty, "lambda_proxy" | "http_proxy"),
        m.key("responses"),
        m.take("responses"),
    ) {
        cx.err(
            k,
            format!("a `{ty}` integration has no integration responses"),
            Some(format!(
                "a proxy passes the backend's answer through as it is; remove `responses`, or use `type: {}` to map the answer with templates",
                ty.trim_end_matches("_proxy")
            )),
        );
        ok = false;
    }
    let kind = match ty {
        "lambda_proxy" | "lambda" => m
            .req(cx, "function")
            .and_then(|f| {
                let t = nonempty(cx, f, "function")?;
                reference(cx, f, &t.value, &names.functions, "function", "functions").then_some(t)
            })
            .map(|function| {
                if ty == "lambda" {
                    IntegrationKind::Lambda { function }
                } else {
                    IntegrationKind::LambdaProxy { function }
                }
            }),
        "http_proxy" | "http" => {
            let uri = m.req_text(cx, "uri").and_then(|u| {
                if is_http_url(&u.value) {
                    Some(u)
                } else {
                    cx.err_at(
                        u.pos,
                        format!(
                            "integration `uri` `{}` is not an http or https url",
                            u.value
                        ),
                        Some(
                            "write an absolute url, e.g. `https://backend.example.com/messages`"
                                .into(),
                        ),
                    );
                    None
                }
            });
            // A message has no method: the backend is called with POST unless told.
            let http_method = match m.get("http_method") {
                Some(hm) => text(cx, hm, "http_method").and_then(|t| {
                    let parsed = HttpMethod::parse(&t.value);
                    if parsed.is_none() {
                        unknown_method(cx, t.pos, &t.value);
                    }
                    parsed
                }),
                None => Some(HttpMethod::Post),
            };
            match (uri, http_method) {
                (Some(uri), Some(http_method)) if ty == "http" => {
                    Some(IntegrationKind::Http { uri, http_method })
                }
                (Some(uri), Some(http_method)) => {
                    Some(IntegrationKind::HttpProxy { uri, http_method })
                }
                _ => None,
            }
        }
        _ => Some(IntegrationKind::Mock),
    };
    ok &= kind.is_some();
    let timeout_ms = m.get("timeout_ms").and_then(|t| {
        let v = int_in(cx, t, "timeout_ms", 50, MAX_TIMEOUT_MS).map(|v| v as u32);
        ok &= v.is_some();
        v
    });
    let credentials = m.opt_text(cx, "credentials").and_then(|c| {
        if is_role_arn(&c.value) {
            Some(c)
        } else {
            cx.err_at(
                c.pos,
                format!("`{}` is not an iam role arn", c.value),
                Some("write `arn:aws:iam::ACCOUNT:role/NAME`".into()),
            );
            None
        }
    });
    let mut request_templates = BTreeMap::new();
    if let Some(t) = m.get("request_templates") {
        for (k, v) in text_map(cx, t, "request_templates") {
            if k.value.is_empty() || v.value.is_empty() {
                cx.err_at(
                    if k.value.is_empty() { k.pos } else { v.pos },
                    "request templates need a key and a template",
                    Some(
                        "key templates by the value of `template_selection`, e.g. `$default`"
                            .into(),
                    ),
                );
                continue;
            }
            request_templates.insert(k.value, v.value);
        }
    }
    let template_selection = m
        .opt_text(cx, "template_selection")
        .map(|t| t.value)
        .filter(|t| !t.is_empty());
    let passthrough_behavior = m
        .get("passthrough_behavior")
        .and_then(|p| choice(cx, p, "passthrough_behavior", PASSTHROUGH_BEHAVIORS))
        .map(str::to_string);
    let content_handling = m
        .get("content_handling")
        .and_then(|c| choice(cx, c, "content_handling", CONTENT_HANDLINGS))
        .map(str::to_string);
    let ws_responses = m.get("responses").map(|r| read_ws_responses(cx, r));
    let ws_request_parameters = m
        .get("request_parameters")
        .map(|p| read_ws_request_parameters(cx, p, route));
    m.finish(cx);
    if !ok {
        return None;
    }
    Some(IntegrationDef {
        pos: n.pos,
        kind: kind?,
        timeout_ms,
        request_templates,
        passthrough_behavior,
        content_handling,
        request_parameters: BTreeMap::new(),
        responses: Vec::new(),
        credentials,
        payload_format_version: None,
        template_selection,
        ws_responses,
        ws_request_parameters,
    })
}

/// The sources a WebSocket integration request parameter can be mapped from that exist on
/// `$connect` only (the handshake is the one HTTP request with headers and a query string).
const CONNECT_ONLY_SOURCES: &[&str] = &[
    "route.request.header.",
    "route.request.querystring.",
    "route.request.multivalueheader.",
    "route.request.multivaluequerystring.",
];

/// A route request parameter or variable name: `^[a-zA-Z0-9._$-]+$` (API Gateway's pattern).
fn parameter_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '$' | '-'))
}

/// Whether `target` is `integration.request.{header|querystring|path}.NAME`.
fn ws_parameter_target_ok(target: &str) -> bool {
    ["header", "querystring", "path"].iter().any(|loc| {
        target
            .strip_prefix("integration.request.")
            .and_then(|t| t.strip_prefix(loc))
            .and_then(|t| t.strip_prefix('.'))
            .is_some_and(parameter_name_ok)
    })
}

/// Whether `source` is a mapping expression API Gateway accepts for a WebSocket integration
/// request parameter: a route request header or query string (single- or multi-valued),
/// `route.request.body.JSONPATH`, `context.NAME`, `stageVariables.NAME` or a `'static'`
/// value.
fn ws_parameter_source_ok(source: &str) -> bool {
    if source.len() >= 2 && source.starts_with('\'') && source.ends_with('\'') {
        return true;
    }
    if let Some(path) = source.strip_prefix("route.request.body.") {
        return !path.is_empty() && !path.chars().any(char::is_whitespace);
    }
    CONNECT_ONLY_SOURCES
        .iter()
        .chain(&["context.", "stageVariables."])
        .any(|p| source.strip_prefix(p).is_some_and(parameter_name_ok))
}

/// `request_parameters:` of a WebSocket integration: integration request parameter -> the
/// route request data, variable or static value it is mapped from.
fn read_ws_request_parameters(
    cx: &mut Cx,
    n: &Node,
    route: Option<&str>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in text_map(cx, n, "request_parameters") {
        if !ws_parameter_target_ok(&k.value) {
            cx.err_at(
                k.pos,
                format!("`{}` is not an integration request parameter", k.value),
                Some("write `integration.request.header.NAME`, `integration.request.querystring.NAME` or `integration.request.path.NAME`".into()),
            );
            continue;
        }
        if !ws_parameter_source_ok(&v.value) {
            cx.err_at(
                v.pos,
                format!("`{}` is not a websocket request parameter source", v.value),
                Some("write `route.request.header.NAME`, `route.request.querystring.NAME`, `route.request.body.PATH`, `context.NAME`, `stageVariables.NAME` or a quoted static value such as `\"'text'\"`".into()),
            );
            continue;
        }
        if let Some(route) = route.filter(|r| *r != "$connect") {
            if CONNECT_ONLY_SOURCES.iter().any(|p| v.value.starts_with(p)) {
                cx.err_at(
                    v.pos,
                    format!("`{}` exists on `$connect` only, not on route `{route}`", v.value),
                    Some("only the `$connect` handshake has headers and a query string; map `route.request.body.PATH`, `context.NAME` or `stageVariables.NAME` instead".into()),
                );
                continue;
            }
        }
        out.insert(k.value, v.value);
    }
    out
}

/// `responses:` of a WebSocket custom integration: integration responses by key, each
/// `$default` or a `/regex/`, at most once.
fn read_ws_responses(cx: &mut Cx, n: &Node) -> Vec<WsIntegrationResponseDef> {
    let items = list(cx, n, "responses").unwrap_or(&[]);
    let mut out: Vec<WsIntegrationResponseDef> = Vec::new();
    for item in items {
        let Some(r) = read_ws_response(cx, item) else {
            continue;
        };
        if let Some(first) = out.iter().find(|o| o.key == r.key) {
            cx.err_at(
                r.pos,
                format!("duplicate integration response key `{}`", r.key),
                Some(format!("first defined on line {}", first.pos.line)),
            );
            continue;
        }
        out.push(r);
    }
    out
}

/// An integration response key API Gateway accepts: `$default` or `/EXPRESSION/`.
pub(crate) fn is_ws_response_key(k: &str) -> bool {
    k == DEFAULT_RESPONSE_KEY || (k.len() > 2 && k.starts_with('/') && k.ends_with('/'))
}

const DEFAULT_RESPONSE_KEY: &str = "$default";

fn read_ws_response(cx: &mut Cx, n: &Node) -> Option<WsIntegrationResponseDef> {
    let mut m = MapReader::open(cx, n, "integration response", WS_INTEGRATION_RESPONSE_KEYS)?;
    let key_node = m.req(cx, "key");
    let key = key_node.and_then(|k| {
        let t = nonempty(cx, k, "key")?;
        if is_ws_response_key(&t.value) {
            Some(t)
        } else {
            cx.err(
                k,
                format!("`{}` is not an integration response key", t.value),
                Some("write `$default`, or a regular expression between slashes matched against the backend's status, e.g. `/4\\d\\d/`".into()),
            );
            None
        }
    });
    let mut templates = BTreeMap::new();
    if let Some(t) = m.get("templates") {
        for (k, v) in text_map(cx, t, "templates") {
            if k.value.is_empty() || v.value.is_empty() {
                cx.err_at(
                    if k.value.is_empty() { k.pos } else { v.pos },
                    "response templates need a key and a template",
                    Some("key templates by the value of `template_selection`, e.g. `$default`; API Gateway stores an empty template as null".into()),
                );
                continue;
            }
            templates.insert(k.value, v.value);
        }
    }
    let template_selection = m
        .opt_text(cx, "template_selection")
        .map(|t| t.value)
        .filter(|t| !t.is_empty());
    let content_handling = m
        .get("content_handling")
        .and_then(|c| choice(cx, c, "content_handling", CONTENT_HANDLINGS))
        .map(str::to_string);
    m.finish(cx);
    let key = key?;
    Some(WsIntegrationResponseDef {
        pos: key.pos,
        key: key.value,
        templates,
        template_selection,
        content_handling,
    })
}
