//! Route paths: the characters and parameters each kind of API accepts, with positions
//! that point inside the path.

use crate::spec::diag::Severity;
use crate::spec::model::*;
use crate::spec::yaml::Node;

use super::Cx;

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
    cx.push(Severity::Error, pos, len, msg, hint);
}

/// Characters of a literal path segment. REST: CreateResource refuses any other
/// (`BadRequestException: Resource's path part only allow a-zA-Z0-9._- and curly braces at
/// the beginning and the end`, e.g. aws/aws-cdk#22477; `:` is accepted by the API). HTTP
/// APIs take the unreserved and `:@` characters of RFC 3986 in a route key.
fn is_literal_char(kind: ApiKind, c: char) -> bool {
    match kind {
        ApiKind::Rest => c.is_ascii_alphanumeric() || "-._:".contains(c),
        ApiKind::Http | ApiKind::WebSocket => c.is_ascii_alphanumeric() || "-._~:@".contains(c),
    }
}

fn literal_chars(kind: ApiKind) -> &'static str {
    match kind {
        ApiKind::Rest => "letters, digits and `-._:`",
        ApiKind::Http | ApiKind::WebSocket => "letters, digits and `-._~:@`",
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
