//! `integration:` of a route: its type, target, templates, parameters and responses.

use std::collections::BTreeMap;

use crate::spec::model::*;
use crate::spec::yaml::{Node, Value};

use super::{
    choice, int_in, is_http_url, is_role_arn, list, nonempty, reference, text, text_map,
    unknown_method, Cx, MapReader, Names,
};

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

pub(super) fn read_integration(
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
                super::PAYLOAD_FORMAT_VERSIONS,
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
        template_selection: None,
        ws_responses: None,
        ws_request_parameters: None,
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
        // WebSocket integrations are read in `ws.rs`.
        ApiKind::WebSocket => false,
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

pub(super) fn status_code(cx: &mut Cx, n: &Node) -> Option<String> {
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
