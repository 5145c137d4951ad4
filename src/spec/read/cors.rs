//! `cors:`, the origin and header-name checks it uses, and the HTTP method names.

use crate::spec::model::*;
use crate::spec::suggest::{self, one_of};
use crate::spec::yaml::{Node, Value};

use super::{boolean, int_in, text_list, Cx, MapReader};

pub(crate) const CORS_KEYS: &[&str] = &[
    "origins",
    "methods",
    "headers",
    "expose_headers",
    "max_age",
    "credentials",
    "gateway_responses",
];

pub const DEFAULT_CORS_HEADERS: &[&str] = &[
    "Content-Type",
    "Authorization",
    "X-Amz-Date",
    "X-Api-Key",
    "X-Amz-Security-Token",
];

pub(crate) fn is_header_name(s: &str) -> bool {
    s == "*"
        || (!s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_!#$%&'*+.^`|~".contains(c)))
}

/// Why `o` is not an origin gwctl can write (`*`, or a scheme, a host and an optional port;
/// the characters are limited so that it can go into a quoted API Gateway value and a VTL
/// string literal unchanged).
pub(crate) fn origin_problem(o: &str) -> Option<(String, Option<String>)> {
    if o == "*" {
        return None;
    }
    let Some(rest) = o
        .strip_prefix("https://")
        .or_else(|| o.strip_prefix("http://"))
    else {
        return Some((
            format!("origin `{o}` must start with `https://` or `http://`"),
            Some("an origin is a scheme and a host, e.g. `https://app.example.com`, or `*`".into()),
        ));
    };
    if rest.is_empty() {
        return Some((format!("origin `{o}` has no host"), None));
    }
    if let Some(host) = rest.strip_suffix('/') {
        if !host.contains('/') {
            return Some((
                format!("origin `{o}` must not end with `/`"),
                Some(format!(
                    "browsers send origins without a trailing slash; write `{}`",
                    o.trim_end_matches('/')
                )),
            ));
        }
    }
    if rest.contains(['/', '?', '#']) {
        return Some((
            format!("origin `{o}` must not have a path"),
            Some("an origin is only a scheme, a host and an optional port".into()),
        ));
    }
    if rest.contains('*') {
        return Some((
            format!("wildcard origin `{o}` is not supported"),
            Some("list each origin, or use `*` alone".into()),
        ));
    }
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some((format!("origin `{o}` contains whitespace"), None));
    }
    if let Some(c) = rest
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || ".-:[]".contains(*c)))
    {
        return Some((
            format!("origin `{o}` contains `{c}`, which an origin cannot"),
            Some("an origin is only a scheme, a host and an optional port".into()),
        ));
    }
    None
}

pub(super) fn read_cors(cx: &mut Cx, n: &Node) -> Option<CorsDef> {
    let mut m = MapReader::open(cx, n, "`cors`", CORS_KEYS)?;
    let mut origins = Vec::new();
    let mut star = None;
    if let Some(o) = m.req(cx, "origins") {
        let list = text_list(cx, o, "origins");
        if list.is_empty() && matches!(o.value, Value::Seq(_)) {
            cx.err(o, "`origins` must not be empty", None);
        }
        for t in &list {
            if let Some((msg, hint)) = origin_problem(&t.value) {
                cx.err_at(t.pos, msg, hint);
            } else {
                if t.value == "*" {
                    star = Some(t.pos);
                }
                origins.push(t.value.clone());
            }
        }
        if let Some(p) = star {
            if list.len() > 1 {
                cx.warn_at(
                    p,
                    "`*` allows every origin, so the other origins are redundant",
                    None,
                );
            }
        }
    }
    let mut methods = Vec::new();
    if let Some(ms) = m.get("methods") {
        for t in text_list(cx, ms, "methods") {
            if t.value == "*" {
                methods.push(t.value);
            } else if let Some(hm) = HttpMethod::parse(&t.value) {
                if hm == HttpMethod::Any {
                    cx.err_at(
                        t.pos,
                        "`ANY` is not a cors method",
                        Some("list the methods, or write `*`".into()),
                    );
                } else {
                    methods.push(hm.as_str().to_string());
                }
            } else {
                unknown_method(cx, t.pos, &t.value);
            }
        }
    }
    let mut star_header: Option<Pos> = None;
    let mut header_list = |m: &mut MapReader, cx: &mut Cx, key: &str| -> Option<Vec<String>> {
        let node = m.get(key)?;
        if key == "headers" && matches!(&node.value, Value::Seq(items) if items.is_empty()) {
            // apply would otherwise send the default headers: an empty list is refused, so
            // what the spec says and what API Gateway serves never differ.
            cx.err(
                node,
                "`cors.headers` must not be empty",
                Some("leave `headers` out for the default headers (Content-Type, Authorization, X-Amz-Date, X-Api-Key, X-Amz-Security-Token), or list the headers your front end sends".into()),
            );
        }
        let mut out = Vec::new();
        for t in text_list(cx, node, key) {
            if t.value == "*" && key == "headers" {
                star_header = Some(t.pos);
            }
            if t.value.contains('\'') {
                cx.err_at(
                    t.pos,
                    format!(
                        "header name `{}` contains `'`, which API Gateway values cannot carry",
                        t.value
                    ),
                    None,
                );
            } else if is_header_name(&t.value) {
                out.push(t.value);
            } else {
                cx.err_at(t.pos, format!("`{}` is not a header name", t.value), None);
            }
        }
        Some(out)
    };
    let headers = header_list(&mut m, cx, "headers")
        .unwrap_or_else(|| DEFAULT_CORS_HEADERS.iter().map(|s| s.to_string()).collect());
    let expose_headers = header_list(&mut m, cx, "expose_headers").unwrap_or_default();
    let max_age = m
        .get("max_age")
        .and_then(|a| int_in(cx, a, "max_age", 0, 86400))
        .map(|a| a as u32);
    let credentials_node = m.get("credentials");
    let credentials = credentials_node
        .and_then(|c| boolean(cx, c, "credentials"))
        .unwrap_or(false);
    if credentials {
        if let Some(p) = star {
            cx.err_at(
                p,
                "`*` origin with `credentials: true` is refused by browsers",
                Some("list the exact origins that may send credentials".into()),
            );
        }
        if let Some(p) = star_header {
            cx.err_at(
                p,
                "`*` in `headers` with `credentials: true` is taken literally by browsers",
                Some(
                    "list the headers your front end sends, e.g. `[Content-Type, Authorization]`"
                        .into(),
                ),
            );
        }
    }
    let gateway_responses = match m.get("gateway_responses") {
        Some(g) if cx.kind != ApiKind::Rest => {
            cx.err(
                g,
                "`cors.gateway_responses` is only for rest apis",
                Some("an http api answers CORS itself, errors included".into()),
            );
            true
        }
        Some(g) => boolean(cx, g, "cors.gateway_responses").unwrap_or(true),
        None => true,
    };
    cx.star_origin = star;
    m.finish(cx);
    Some(CorsDef {
        pos: n.pos,
        origins,
        methods,
        headers,
        expose_headers,
        max_age,
        credentials,
        gateway_responses,
    })
}

pub(crate) const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY",
];

pub(crate) fn unknown_method(cx: &mut Cx, pos: Pos, m: &str) {
    let hint = suggest::hint(&m.to_ascii_uppercase(), METHODS.iter().copied())
        .or_else(|| Some(format!("expected {}", one_of(METHODS))));
    cx.err_at(pos, format!("unknown http method `{m}`"), hint);
}
