//! `routes:`: one route each (method, path, function, auth, parameters, method responses);
//! paths are checked in `path.rs`, integrations read in `integration.rs`.

use std::collections::BTreeMap;

use crate::spec::limits;
use crate::spec::model::*;
use crate::spec::suggest::{self, one_of};
use crate::spec::yaml::{Node, Value};

use super::{
    auth_ref, boolean, check_path, entries, list, nonempty, read_integration, read_route_cache,
    read_throttle, reference, status_code, text, text_list, text_map, unknown_method, Cx,
    MapReader, Names, METHOD_RESPONSE_KEYS,
};

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
    "cache",
    "request",
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
                Some(format!("write one of {}", one_of(super::METHODS))),
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
                    template_selection: None,
                    ws_responses: None,
                    ws_request_parameters: None,
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
            limits::count(cx, s, items.len(), 0, limits::ROUTE_SCOPES);
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
    let cache = m
        .only(cx, "cache", ApiKind::Rest)
        .and_then(|c| read_route_cache(cx, c, &request_parameters));
    let method_responses = m
        .only(cx, "method_responses", ApiKind::Rest)
        .map(|mr| read_method_responses(cx, mr, names))
        .unwrap_or_default();
    let request = m
        .only(cx, "request", ApiKind::Rest)
        .and_then(|r| super::read_request(cx, r, names));
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
        cache,
        response: false,
        request,
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

/// Models a spec may name: API Gateway creates `Empty` and `Error` in every REST API.
pub(crate) const BUILTIN_MODELS: &[&str] = &["Empty", "Error"];

fn read_method_responses(cx: &mut Cx, n: &Node, names: &Names) -> Vec<(MethodResponseDef, Pos)> {
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
                } else if !BUILTIN_MODELS.contains(&v.value.as_str())
                    && !names.models.contains(&v.value)
                {
                    let mut known: Vec<&str> = BUILTIN_MODELS.to_vec();
                    known.extend(names.models.iter().map(String::as_str));
                    let hint = suggest::hint(&v.value, known.iter().copied()).or_else(|| {
                        Some(format!(
                            "the built-in models are {}; define others under `models:`",
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
