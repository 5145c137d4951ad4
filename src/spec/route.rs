//! Routes, their integrations and paths.

use std::collections::BTreeMap;

use super::model::*;
use super::read::{
    auth_ref, boolean, choice, entries, int_in, is_http_url, is_role_arn, list, nonempty,
    read_throttle, reference, text, text_list, text_map, unknown_method, Cx, MapReader, Names,
};
use super::suggest::one_of;
use super::yaml::{Node, Value};

pub(crate) const ROUTE_KEYS: &[&str] = &[
    "path",
    "method",
    "function",
    "integration",
    "auth",
    "scopes",
    "api_key_required",
    "request_parameters",
    "throttle",
    "method_responses",
];

pub(crate) fn read_routes(
    cx: &mut Cx,
    n: &Node,
    names: &Names,
    default_auth: Option<&At<AuthRef>>,
) -> Vec<RouteDef> {
    let Some(items) = list(cx, n, "routes") else {
        return Vec::new();
    };
    if items.is_empty() {
        cx.err(
            n,
            "`routes` is empty",
            Some("an api needs at least one route, e.g. `- {path: /items, method: GET, function: list-items}`".into()),
        );
    }
    items
        .iter()
        .filter_map(|i| read_route(cx, i, names, default_auth))
        .collect()
}

/// Position and width of `len` characters starting `offset` characters into a scalar's
/// value, when the scalar is written plainly or simply quoted; else the whole node.
pub(crate) fn sub_span(n: &Node, value: &str, offset: usize, len: usize) -> (Pos, u32) {
    let quote = if n.raw == value {
        Some(0)
    } else if n.raw.len() >= 2
        && (n.raw.starts_with('"') || n.raw.starts_with('\''))
        && n.raw.get(1..n.raw.len() - 1) == Some(value)
    {
        Some(1)
    } else {
        None
    };
    match quote {
        Some(q) if n.pos.line > 0 => (
            Pos {
                line: n.pos.line,
                col: n.pos.col + q + offset as u32,
            },
            len.max(1) as u32,
        ),
        _ => (n.pos, n.len),
    }
}

fn err_sub(
    cx: &mut Cx,
    n: &Node,
    value: &str,
    offset: usize,
    len: usize,
    msg: String,
    hint: Option<String>,
) {
    let (pos, len) = sub_span(n, value, offset, len);
    cx.push(super::diag::Severity::Error, pos, len, msg, hint);
}

/// Characters of a literal path segment. REST: CreateResource refuses any other
/// (`BadRequestException: Resource's path part only allow a-zA-Z0-9._- and curly braces at
/// the beginning and the end`, e.g. aws/aws-cdk#22477; `:` is accepted by the API). HTTP
/// APIs take the unreserved and `:@` characters of RFC 3986 in a route key.
fn is_literal_char(kind: ApiKind, c: char) -> bool {
    match kind {
        ApiKind::Rest => c.is_ascii_alphanumeric() || "-._:".contains(c),
        ApiKind::Http => c.is_ascii_alphanumeric() || "-._~:@".contains(c),
    }
}

fn literal_chars(kind: ApiKind) -> &'static str {
    match kind {
        ApiKind::Rest => "letters, digits and `-._:`",
        ApiKind::Http => "letters, digits and `-._~:@`",
    }
}

/// Check a route path; reports every problem. Returns whether it is usable.
pub(crate) fn check_path(cx: &mut Cx, n: &Node, path: &str) -> bool {
    if path == "$default" {
        if cx.is_rest() {
            cx.err(
                n,
                "rest apis have no `$default` route",
                Some("catch every path with `path: /{proxy+}` and `method: ANY`".into()),
            );
            return false;
        }
        return true;
    }
    if !path.starts_with('/') {
        cx.err(
            n,
            format!("path `{path}` must start with `/`"),
            Some(format!("write `/{}`", path.trim_start_matches('/'))),
        );
        return false;
    }
    if path == "/" {
        return true;
    }
    if path.chars().all(|c| c == '/') {
        cx.err(
            n,
            format!("path `{path}` has an empty segment"),
            Some("the root path is `/`".into()),
        );
        return false;
    }
    let mut ok = true;
    if path.ends_with('/') {
        err_sub(
            cx,
            n,
            path,
            path.chars().count() - 1,
            1,
            format!("path `{path}` must not end with `/`"),
            Some(format!("write `{}`", path.trim_end_matches('/'))),
        );
        ok = false;
    }
    let body = path.trim_end_matches('/');
    let mut seen_params: Vec<&str> = Vec::new();
    let segments: Vec<&str> = body[1..].split('/').collect();
    let mut offset: usize = 1; // chars into `path`
    for (i, seg) in segments.iter().enumerate() {
        let seg_len = seg.chars().count();
        let last = i == segments.len() - 1;
        if seg.is_empty() {
            err_sub(
                cx,
                n,
                path,
                offset.saturating_sub(1),
                2,
                format!("path `{path}` has an empty segment"),
                Some("remove the doubled `/`".into()),
            );
            ok = false;
        } else if seg.starts_with('{') && seg.ends_with('}') && seg_len >= 2 {
            let inner = &seg[1..seg.len() - 1];
            let (name, greedy) = match inner.strip_suffix('+') {
                Some(nm) => (nm, true),
                None => (inner, false),
            };
            let name_ok = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
            if !name_ok {
                err_sub(
                    cx,
                    n,
                    path,
                    offset,
                    seg_len,
                    format!("invalid path parameter `{seg}`"),
                    Some("parameter names have letters, digits, `_`, `-` or `.`, e.g. `{id}` or `{proxy+}`".into()),
                );
                ok = false;
            } else if greedy && !last {
                err_sub(
                    cx,
                    n,
                    path,
                    offset,
                    seg_len,
                    format!("`{seg}` must be the last segment of a path"),
                    Some("a greedy parameter takes the rest of the path".into()),
                );
                ok = false;
            } else if seen_params.contains(&name) {
                err_sub(
                    cx,
                    n,
                    path,
                    offset,
                    seg_len,
                    format!("path parameter `{name}` appears twice in `{path}`"),
                    Some("give each parameter its own name".into()),
                );
                ok = false;
            } else {
                seen_params.push(name);
            }
        } else if seg.contains(['{', '}']) {
            err_sub(
                cx,
                n,
                path,
                offset,
                seg_len,
                format!("a path parameter must be a whole segment, found `{seg}`"),
                Some("write `/{name}` between slashes".into()),
            );
            ok = false;
        } else if let Some((ci, c)) = seg
            .chars()
            .enumerate()
            .find(|(_, c)| !is_literal_char(cx.kind, *c))
        {
            err_sub(
                cx,
                n,
                path,
                offset + ci,
                1,
                format!("invalid character `{c}` in path `{path}`"),
                Some(format!(
                    "path segments of {} apis have {}",
                    cx.kind_name(),
                    literal_chars(cx.kind)
                )),
            );
            ok = false;
        }
        offset += seg_len + 1;
    }
    ok
}

fn read_route(
    cx: &mut Cx,
    n: &Node,
    names: &Names,
    default_auth: Option<&At<AuthRef>>,
) -> Option<RouteDef> {
    let mut m = MapReader::open(cx, n, "route", ROUTE_KEYS)?;
    let mut ok = true;

    let path_node = m.req(cx, "path");
    let path = path_node.and_then(|p| nonempty(cx, p, "path").map(|t| (t, p)));
    let path = match path {
        Some((t, p)) => {
            ok &= check_path(cx, p, &t.value);
            Some(t)
        }
        None => {
            ok = false;
            None
        }
    };
    let is_default = path.as_ref().is_some_and(|p| p.value == "$default");

    let method = match m.get("method") {
        Some(mn) => match text(cx, mn, "method") {
            Some(t) => match HttpMethod::parse(&t.value) {
                Some(hm) if is_default && hm != HttpMethod::Any => {
                    cx.err(
                        mn,
                        "the `$default` route has no method",
                        Some("remove `method:` or write `method: ANY`".into()),
                    );
                    None
                }
                Some(hm) => Some(At::new(hm, t.pos)),
                None => {
                    unknown_method(cx, t.pos, &t.value);
                    None
                }
            },
            None => None,
        },
        None if is_default => path.as_ref().map(|p| At::new(HttpMethod::Any, p.pos)),
        None if m.has_typo_of("method") => None,
        None => {
            cx.err(
                n,
                "missing `method` in route",
                Some(format!("write one of {}", one_of(super::read::METHODS))),
            );
            None
        }
    };
    ok &= method.is_some();
    let route_method = method.as_ref().map_or(HttpMethod::Any, |m| m.value);

    // Target: `function:` shorthand (Lambda proxy) or an `integration:` block.
    let function = m.get("function");
    let integration_node = m.get("integration");
    let integration = match (function, integration_node) {
        (Some(_), Some(i)) => {
            let key = m.key("integration").unwrap_or(i);
            cx.err(
                key,
                "a route has either `function:` or `integration:`, not both",
                Some("`function: NAME` is short for `integration: {type: lambda_proxy, function: NAME}`".into()),
            );
            None
        }
        (Some(f), None) => nonempty(cx, f, "function").and_then(|t| {
            reference(cx, f, &t.value, &names.functions, "function", "functions").then(|| {
                let def = IntegrationDef {
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
                };
                (def, Vec::new())
            })
        }),
        (None, Some(i)) => read_integration(cx, i, route_method, names),
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
    ok &= integration.is_some();

    let auth = m.get("auth").and_then(|a| auth_ref(cx, a, "auth", names));
    let mut scopes = Vec::new();
    if let Some(s) = m.get("scopes") {
        if let (Value::Seq(items), false) = (&s.value, cx.is_rest()) {
            super::limits::count(cx, s, items.len(), 0, super::limits::ROUTE_SCOPES);
        }
        scopes = text_list(cx, s, "scopes")
            .into_iter()
            .map(|t| t.value)
            .collect();
        let effective = auth.as_ref().or(default_auth).map(|a| &a.value);
        let auth_desc = match effective {
            Some(AuthRef::Authorizer(name)) => match names.authorizer_type(name) {
                Some("cognito") | Some("jwt") => None,
                Some(t) => Some(format!("`{name}` (a `{t}` authorizer)")),
                None => None,
            },
            Some(AuthRef::Iam) => Some("`iam`".to_string()),
            Some(AuthRef::None) | None => Some("none".to_string()),
        };
        if let Some(desc) = auth_desc {
            let key = m.key("scopes").unwrap_or(s);
            cx.err(
                key,
                "`scopes` need a cognito or jwt authorizer",
                Some(format!("this route's authorization is {desc}")),
            );
        }
    }
    let api_key_required_declared = m
        .only(cx, "api_key_required", ApiKind::Rest)
        .and_then(|a| boolean(cx, a, "api_key_required"));
    let api_key_required = api_key_required_declared.unwrap_or(false);

    let mut request_parameters = BTreeMap::new();
    if let Some(rp) = m.only(cx, "request_parameters", ApiKind::Rest) {
        for (k, v) in entries(cx, rp, "request_parameters").unwrap_or(&[]) {
            let key = k.key_text();
            let Some(required) = boolean(cx, v, &format!("request_parameters.{key}")) else {
                continue;
            };
            let parts: Vec<&str> = key.splitn(4, '.').collect();
            let valid = parts.len() == 4
                && parts[0] == "method"
                && parts[1] == "request"
                && matches!(
                    parts[2],
                    "path"
                        | "querystring"
                        | "header"
                        | "multivalueheader"
                        | "multivaluequerystring"
                )
                && !parts[3].is_empty();
            if !valid {
                cx.err(
                    k,
                    format!("`{key}` is not a method request parameter"),
                    Some("write `method.request.querystring.NAME`, `method.request.header.NAME` or `method.request.path.NAME`".into()),
                );
                continue;
            }
            if parts[2] == "path" {
                if let Some(p) = &path {
                    let in_path = p.value.split('/').any(|seg| {
                        seg.strip_prefix('{')
                            .and_then(|s| s.strip_suffix('}'))
                            .map(|s| s.trim_end_matches('+'))
                            == Some(parts[3])
                    });
                    if !in_path {
                        cx.err(
                            k,
                            format!("path `{}` has no parameter `{{{}}}`", p.value, parts[3]),
                            None,
                        );
                        continue;
                    }
                }
            }
            request_parameters.insert(key, required);
        }
    }
    if cx.is_rest() {
        if let (Some(i), Some(p)) = (integration_node, &path) {
            ok &= declare_mapped_parameters(cx, i, &p.value, &mut request_parameters);
        }
    }
    let throttle = m
        .get("throttle")
        .and_then(|t| read_throttle(cx, t, "`throttle`"));
    let method_responses = m
        .only(cx, "method_responses", ApiKind::Rest)
        .map(|mr| read_method_responses(cx, mr))
        .unwrap_or_default();
    m.finish(cx);

    // Integration responses need a method response with the same status.
    if let Some((integ, positions)) = &integration {
        check_responses_match(cx, integ, positions, &method_responses);
    }
    let integration = integration.map(|(i, _)| i);

    if !ok {
        return None;
    }
    Some(RouteDef {
        pos: n.pos,
        path: path?,
        method: method?,
        integration: integration?,
        auth,
        scopes,
        api_key_required,
        api_key_required_declared,
        request_parameters,
        method_responses: method_responses.into_iter().map(|(d, _)| d).collect(),
        throttle,
    })
}

/// PutIntegration refuses a `request_parameters` value `method.request.KIND.NAME` that the
/// method does not declare (`BadRequestException: Invalid mapping expression specified: ...
/// Invalid mapping expression parameter specified: method.request.path.id`, e.g.
/// aws/aws-cdk#17318), even for a parameter of the resource path. So every such source is
/// declared on the method: a header or query string as optional (`false`), a path
/// parameter as required (`true`) when the route's path has it; one the path lacks is an
/// error here, before any call; a multi-value source declares the single-valued parameter
/// of its name (PutMethod's locations are `querystring`, `path` and `header`). Declared
/// parameters are part of the route, so the plan
/// shows them and gwctl owns them. A route that declares the parameter itself keeps its
/// `required` value. Returns whether every source is usable.
fn declare_mapped_parameters(
    cx: &mut Cx,
    integration: &Node,
    path: &str,
    declared: &mut BTreeMap<String, bool>,
) -> bool {
    let Value::Map(es) = &integration.value else {
        return true;
    };
    let Some((_, rp)) = es
        .iter()
        .find(|(k, _)| k.key_text() == "request_parameters")
    else {
        return true;
    };
    let Value::Map(params) = &rp.value else {
        return true;
    };
    let mut ok = true;
    for (_, v) in params {
        let Value::Str(source) = &v.value else {
            continue;
        };
        let Some(rest) = source.trim().strip_prefix("method.request.") else {
            continue;
        };
        let Some((kind, name)) = rest.split_once('.') else {
            continue; // `method.request.body`
        };
        let known = matches!(
            kind,
            "path" | "querystring" | "header" | "multivalueheader" | "multivaluequerystring"
        );
        if !known || name.is_empty() {
            continue; // `method.request.body.JSONPath`, or refused by AWS's own syntax
        }
        // PutMethod declares `querystring`, `path` or `header` parameters; a multi-value
        // source reads the parameter of that name (declared as itself if the route did).
        let location = match kind {
            "multivalueheader" => "header",
            "multivaluequerystring" => "querystring",
            other => other,
        };
        let key = format!("method.request.{location}.{name}");
        if declared.contains_key(&key)
            || declared.contains_key(&format!("method.request.{kind}.{name}"))
        {
            continue;
        }
        if kind == "path" {
            let in_path = path.split('/').any(|seg| {
                seg.strip_prefix('{')
                    .and_then(|s| s.strip_suffix('}'))
                    .map(|s| s.trim_end_matches('+'))
                    == Some(name)
            });
            if !in_path {
                cx.err(
                    v,
                    format!("`{source}` maps a path parameter `{{{name}}}` that path `{path}` does not have"),
                    Some("path parameters come from the route's path, e.g. `/items/{id}`".into()),
                );
                ok = false;
                continue;
            }
        }
        declared.insert(key, kind == "path");
    }
    ok
}

fn check_responses_match(
    cx: &mut Cx,
    integ: &IntegrationDef,
    positions: &[Pos],
    method_responses: &[(MethodResponseDef, Pos)],
) {
    for (i, r) in integ.responses.iter().enumerate() {
        let pos = positions.get(i).copied().unwrap_or(integ.pos);
        match method_responses.iter().find(|(m, _)| m.status == r.status) {
            None => cx.err_at(
                pos,
                format!("integration response `{}` has no method response", r.status),
                Some(format!(
                    "add `- {{status: {}}}` to the route's `method_responses`",
                    r.status
                )),
            ),
            Some((mr, _)) => {
                for p in r.parameters.keys() {
                    if !mr.parameters.contains_key(p) {
                        cx.err_at(
                            pos,
                            format!("`{p}` is not declared in method response `{}`", r.status),
                            Some(format!(
                                "add `parameters: {{{p}: false}}` to that method response"
                            )),
                        );
                    }
                }
            }
        }
    }
}

pub(crate) const INTEGRATION_TYPES: &[&str] =
    &["lambda_proxy", "lambda", "http_proxy", "http", "mock"];
pub(crate) const ALL_INTEGRATION_KEYS: &[&str] = &[
    "type",
    "function",
    "uri",
    "http_method",
    "timeout_ms",
    "credentials",
    "request_templates",
    "passthrough_behavior",
    "content_handling",
    "request_parameters",
    "payload_format_version",
    "responses",
];

pub(crate) const PASSTHROUGH_BEHAVIORS: &[&str] = &["WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"];
pub(crate) const CONTENT_HANDLINGS: &[&str] = &["CONVERT_TO_TEXT", "CONVERT_TO_BINARY"];
pub(crate) const INTEGRATION_RESPONSE_KEYS: &[&str] = &[
    "status",
    "selection_pattern",
    "templates",
    "parameters",
    "content_handling",
];
pub(crate) const METHOD_RESPONSE_KEYS: &[&str] = &["status", "models", "parameters"];

fn read_integration(
    cx: &mut Cx,
    n: &Node,
    route_method: HttpMethod,
    names: &Names,
) -> Option<(IntegrationDef, Vec<Pos>)> {
    let ty_node = match &n.value {
        Value::Map(es) => es
            .iter()
            .find(|(k, _)| k.key_text() == "type")
            .map(|(_, v)| v),
        _ => None,
    };
    let ty = match ty_node {
        Some(t) => choice(cx, t, "type", INTEGRATION_TYPES)?,
        None => "lambda_proxy",
    };
    let allowed: &'static [&'static str] = match ty {
        "lambda_proxy" => &[
            "type",
            "function",
            "timeout_ms",
            "credentials",
            "request_parameters",
            "payload_format_version",
        ],
        "lambda" => &[
            "type",
            "function",
            "timeout_ms",
            "credentials",
            "request_templates",
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
            "passthrough_behavior",
            "content_handling",
            "request_parameters",
            "responses",
        ],
        _ => &[
            "type",
            "request_templates",
            "passthrough_behavior",
            "responses",
        ],
    };
    let what = format!("a `{ty}` integration");
    let mut m = MapReader::open(cx, n, &what, allowed)?.elsewhere(ALL_INTEGRATION_KEYS);
    m.get("type");
    if !cx.is_rest() && matches!(ty, "lambda" | "http" | "mock") {
        cx.err(
            ty_node.unwrap_or(n),
            format!("`{ty}` integrations are only supported on rest apis"),
            Some("http apis support `lambda_proxy` and `http_proxy` integrations".into()),
        );
        return None;
    }
    let mut ok = true;

    let kind = match ty {
        "lambda_proxy" | "lambda" => {
            let f = m.req(cx, "function");
            let t = f.and_then(|f| {
                let t = nonempty(cx, f, "function")?;
                reference(cx, f, &t.value, &names.functions, "function", "functions").then_some(t)
            });
            t.map(|function| {
                if ty == "lambda" {
                    IntegrationKind::Lambda { function }
                } else {
                    IntegrationKind::LambdaProxy { function }
                }
            })
        }
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
                            "write an absolute url, e.g. `https://backend.example.com/items/{id}`"
                                .into(),
                        ),
                    );
                    None
                }
            });
            let http_method = match m.get("http_method") {
                Some(hm) => text(cx, hm, "http_method").and_then(|t| {
                    let parsed = HttpMethod::parse(&t.value);
                    if parsed.is_none() {
                        unknown_method(cx, t.pos, &t.value);
                    }
                    parsed
                }),
                None => Some(route_method),
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
        let max = if cx.is_rest() { 29_000 } else { 30_000 };
        match &t.value {
            Value::Int(v) if !(50..=max).contains(v) => {
                cx.err(
                    t,
                    format!("`timeout_ms` must be between 50 and {max}, found `{v}`"),
                    Some(format!(
                        "{} api integrations time out after at most {} s",
                        cx.kind_name(),
                        max / 1000
                    )),
                );
                ok = false;
                None
            }
            _ => int_in(cx, t, "timeout_ms", 50, max).map(|v| v as u32),
        }
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
    let request_templates = m
        .get("request_templates")
        .map(|t| templates(cx, t, "request_templates"))
        .unwrap_or_default();
    let passthrough_behavior = m
        .get("passthrough_behavior")
        .and_then(|p| choice(cx, p, "passthrough_behavior", PASSTHROUGH_BEHAVIORS))
        .map(str::to_string);
    let content_handling = m
        .get("content_handling")
        .and_then(|c| choice(cx, c, "content_handling", CONTENT_HANDLINGS))
        .map(str::to_string);
    let mut request_parameters = BTreeMap::new();
    if let Some(rp) = m.get("request_parameters") {
        for (k, v) in text_map(cx, rp, "request_parameters") {
            if integration_parameter_ok(cx.kind, &k.value) {
                request_parameters.insert(k.value, v.value);
            } else {
                cx.err_at(
                    k.pos,
                    format!("`{}` is not an integration request parameter", k.value),
                    Some(if cx.is_rest() {
                        "write `integration.request.header.NAME`, `integration.request.querystring.NAME` or `integration.request.path.NAME`".into()
                    } else {
                        "write `append:header.NAME`, `overwrite:querystring.NAME`, `overwrite:path` or `remove:header.NAME`".into()
                    }),
                );
            }
        }
    }
    let payload_format_version = m
        .only(cx, "payload_format_version", ApiKind::Http)
        .and_then(|p| {
            choice(
                cx,
                p,
                "payload_format_version",
                super::read::PAYLOAD_FORMAT_VERSIONS,
            )
        })
        .map(str::to_string);

    let mut responses = Vec::new();
    let mut positions = Vec::new();
    if let Some(rs) = m.get("responses") {
        let items = list(cx, rs, "responses").unwrap_or(&[]);
        let mut default_at: Option<Pos> = None;
        for item in items {
            let Some(r) = read_integration_response(cx, item) else {
                continue;
            };
            if responses
                .iter()
                .any(|p: &IntegrationResponseDef| p.status == r.status)
            {
                cx.err(
                    item,
                    format!("duplicate integration response `{}`", r.status),
                    Some("give each status one response; match several errors with one `selection_pattern`".into()),
                );
                continue;
            }
            if r.selection_pattern.is_none() {
                if let Some(first) = default_at {
                    cx.err(
                        item,
                        format!(
                            "a second default integration response (the first is on line {})",
                            first.line
                        ),
                        Some("all but one response need a `selection_pattern`".into()),
                    );
                    continue;
                }
                default_at = Some(item.pos);
            }
            positions.push(status_pos(item));
            responses.push(r);
        }
    } else if matches!(ty, "lambda" | "http" | "mock") && cx.is_rest() {
        cx.warn(
            n,
            format!("a `{ty}` integration without `responses` answers every call with an error"),
            Some("add `responses: [{status: 200}]` and a matching `method_responses` entry".into()),
        );
    }
    m.finish(cx);

    if !ok {
        return None;
    }
    let def = IntegrationDef {
        pos: n.pos,
        kind: kind?,
        timeout_ms,
        request_templates,
        passthrough_behavior,
        content_handling,
        request_parameters,
        responses,
        credentials,
        payload_format_version,
    };
    Some((def, positions))
}

fn status_pos(item: &Node) -> Pos {
    if let Value::Map(es) = &item.value {
        if let Some((_, v)) = es.iter().find(|(k, _)| k.key_text() == "status") {
            return v.pos;
        }
    }
    item.pos
}

fn integration_parameter_ok(kind: ApiKind, key: &str) -> bool {
    match kind {
        ApiKind::Rest => {
            let parts: Vec<&str> = key.splitn(4, '.').collect();
            parts.len() == 4
                && parts[0] == "integration"
                && parts[1] == "request"
                && matches!(
                    parts[2],
                    "header"
                        | "querystring"
                        | "path"
                        | "multivalueheader"
                        | "multivaluequerystring"
                )
                && !parts[3].is_empty()
        }
        ApiKind::Http => match key.split_once(':') {
            Some(("append" | "overwrite" | "remove", target)) => {
                target == "path"
                    || target
                        .strip_prefix("header.")
                        .or_else(|| target.strip_prefix("querystring."))
                        .is_some_and(|n| !n.is_empty())
            }
            _ => false,
        },
    }
}

/// Mapping templates: content type → template text. Empty templates are refused: API
/// Gateway stores `""` as `null`, which breaks readers (and the Rust SDK).
fn templates(cx: &mut Cx, n: &Node, what: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in text_map(cx, n, what) {
        if !k.value.contains('/') {
            cx.err_at(
                k.pos,
                format!("`{}` is not a content type", k.value),
                Some("templates are keyed by content type, e.g. `application/json`".into()),
            );
            continue;
        }
        if v.value.is_empty() {
            cx.err_at(
                v.pos,
                format!("empty template for `{}`", k.value),
                Some("API Gateway stores an empty template as null; leave the content type out instead".into()),
            );
            continue;
        }
        out.insert(k.value, v.value);
    }
    out
}

fn status_code(cx: &mut Cx, n: &Node) -> Option<String> {
    let t = text(cx, n, "status")?;
    let ok = t.value.len() == 3
        && t.value.chars().all(|c| c.is_ascii_digit())
        && ("100"..="599").contains(&t.value.as_str());
    if !ok {
        cx.err(
            n,
            format!("`{}` is not an http status code", t.value),
            Some("write a code from 100 to 599, e.g. `200`".into()),
        );
        return None;
    }
    Some(t.value)
}

fn read_integration_response(cx: &mut Cx, n: &Node) -> Option<IntegrationResponseDef> {
    let mut m = MapReader::open(cx, n, "integration response", INTEGRATION_RESPONSE_KEYS)?;
    let status = m.req(cx, "status").and_then(|s| status_code(cx, s));
    let selection_pattern = m.get("selection_pattern").and_then(|p| {
        let t = text(cx, p, "selection_pattern")?;
        if t.value.is_empty() {
            cx.err(
                p,
                "empty `selection_pattern`",
                Some("leave `selection_pattern` out for the default response".into()),
            );
            return None;
        }
        Some(t.value)
    });
    let templates = m
        .get("templates")
        .map(|t| templates(cx, t, "templates"))
        .unwrap_or_default();
    let mut parameters = BTreeMap::new();
    if let Some(p) = m.get("parameters") {
        for (k, v) in text_map(cx, p, "parameters") {
            if k.value
                .strip_prefix("method.response.header.")
                .is_some_and(|h| !h.is_empty())
            {
                parameters.insert(k.value, v.value);
            } else {
                cx.err_at(
                    k.pos,
                    format!("`{}` is not a method response header", k.value),
                    Some("write `method.response.header.NAME`".into()),
                );
            }
        }
    }
    let content_handling = m
        .get("content_handling")
        .and_then(|c| choice(cx, c, "content_handling", CONTENT_HANDLINGS))
        .map(str::to_string);
    m.finish(cx);
    Some(IntegrationResponseDef {
        status: status?,
        selection_pattern,
        templates,
        parameters,
        content_handling,
    })
}

/// Models a spec may name: API Gateway creates `Empty` and `Error` in every REST API.
pub(crate) const BUILTIN_MODELS: &[&str] = &["Empty", "Error"];

fn read_method_responses(cx: &mut Cx, n: &Node) -> Vec<(MethodResponseDef, Pos)> {
    let mut out: Vec<(MethodResponseDef, Pos)> = Vec::new();
    for item in list(cx, n, "method_responses").unwrap_or(&[]) {
        let Some(mut m) = MapReader::open(cx, item, "method response", METHOD_RESPONSE_KEYS) else {
            continue;
        };
        let status = m.req(cx, "status").and_then(|s| status_code(cx, s));
        let mut models = BTreeMap::new();
        if let Some(ms) = m.get("models") {
            for (k, v) in text_map(cx, ms, "models") {
                if !k.value.contains('/') {
                    cx.err_at(k.pos, format!("`{}` is not a content type", k.value), None);
                } else if !BUILTIN_MODELS.contains(&v.value.as_str()) {
                    let hint = super::suggest::hint(&v.value, BUILTIN_MODELS.iter().copied())
                        .or_else(|| {
                            Some(format!(
                                "spec v1 knows the built-in models {}",
                                one_of(BUILTIN_MODELS)
                            ))
                        });
                    cx.err_at(v.pos, format!("unknown model `{}`", v.value), hint);
                } else {
                    models.insert(k.value, v.value);
                }
            }
        }
        let mut parameters = BTreeMap::new();
        if let Some(ps) = m.get("parameters") {
            for (k, v) in entries(cx, ps, "parameters").unwrap_or(&[]) {
                let key = k.key_text();
                let Some(b) = boolean(cx, v, &format!("parameters.{key}")) else {
                    continue;
                };
                if key
                    .strip_prefix("method.response.header.")
                    .is_some_and(|h| !h.is_empty())
                {
                    parameters.insert(key, b);
                } else {
                    cx.err(
                        k,
                        format!("`{key}` is not a method response header"),
                        Some("write `method.response.header.NAME`".into()),
                    );
                }
            }
        }
        m.finish(cx);
        let Some(status) = status else { continue };
        if out.iter().any(|(d, _)| d.status == status) {
            cx.err(item, format!("duplicate method response `{status}`"), None);
            continue;
        }
        out.push((
            MethodResponseDef {
                status,
                models,
                parameters,
            },
            item.pos,
        ));
    }
    out
}
