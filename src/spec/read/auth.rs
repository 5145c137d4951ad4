//! `authorizers:`: token, request, cognito (REST) and jwt, request (HTTP) authorizers.

use crate::spec::limits;
use crate::spec::model::*;
use crate::spec::yaml::{Node, Value};

use super::{
    boolean, choice, entries, int_in, is_http_url, is_user_pool_arn, kind_name, nonempty,
    reference, text_list, Cx, MapReader, Names, PAYLOAD_FORMAT_VERSIONS,
};

pub(crate) const AUTHORIZER_TYPES: &[&str] = &["token", "request", "cognito", "jwt"];
pub(crate) const ALL_AUTHORIZER_KEYS: &[&str] = &[
    "type",
    "function",
    "identity_source",
    "identity_sources",
    "validation_expression",
    "ttl",
    "payload_format_version",
    "simple_responses",
    "user_pool_arns",
    "issuer",
    "audience",
];

pub(super) fn read_authorizers(cx: &mut Cx, n: &Node, names: &Names) -> Vec<AuthorizerDef> {
    let Some(es) = entries(cx, n, "authorizers") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in es {
        let name = At::new(k.key_text(), k.pos);
        if matches!(
            name.value.as_str(),
            "none" | "iam" | "NONE" | "IAM" | "AWS_IAM"
        ) {
            cx.err(
                k,
                format!("`{}` is reserved and cannot name an authorizer", name.value),
                Some("`auth: none` and `auth: iam` have fixed meanings; pick another name".into()),
            );
            continue;
        }
        if let Some(kind) = read_authorizer(cx, &name.value, v, names) {
            out.push(AuthorizerDef { name, kind });
        }
    }
    out
}

fn identity_source_ok(kind: ApiKind, s: &str, header_only: bool) -> bool {
    let prefixes: &[&str] = match (kind, header_only) {
        (ApiKind::Rest, true) => &["method.request.header."],
        (ApiKind::Rest, false) => &[
            "method.request.header.",
            "method.request.querystring.",
            "method.request.multivalueheader.",
            "method.request.multivaluequerystring.",
            "stageVariables.",
            "context.",
        ],
        (ApiKind::WebSocket, _) => &[
            "route.request.header.",
            "route.request.querystring.",
            "stageVariables.",
            "context.",
        ],
        (ApiKind::Http, _) => &[
            "$request.header.",
            "$request.querystring.",
            "$context.",
            "$stageVariables.",
        ],
    };
    prefixes
        .iter()
        .any(|p| s.strip_prefix(p).is_some_and(|rest| !rest.is_empty()))
}

fn identity_hint(kind: ApiKind, header_only: bool) -> String {
    match (kind, header_only) {
        (ApiKind::Rest, true) => "write `method.request.header.NAME`".into(),
        (ApiKind::Rest, false) => "write `method.request.header.NAME`, `method.request.querystring.NAME`, `stageVariables.NAME` or `context.NAME`".into(),
        (ApiKind::WebSocket, _) => "write `route.request.header.NAME`, `route.request.querystring.NAME`, `stageVariables.NAME` or `context.NAME`".into(),
        (ApiKind::Http, _) => "write `$request.header.NAME`, `$request.querystring.NAME`, `$context.NAME` or `$stageVariables.NAME`".into(),
    }
}

fn read_authorizer(cx: &mut Cx, name: &str, v: &Node, names: &Names) -> Option<AuthorizerKind> {
    let what = format!("authorizer `{name}`");
    // Read `type` first: it decides which keys are allowed.
    let ty = {
        let mut peek = MapReader::open(cx, v, &what, &[])?;
        let t = peek.req(cx, "type");
        t.and_then(|t| choice(cx, t, "type", AUTHORIZER_TYPES).map(|c| (c, t)))
    };
    let (ty, ty_node) = ty?;
    let (allowed, only): (&'static [&'static str], Option<ApiKind>) = match ty {
        "token" => (
            &[
                "type",
                "function",
                "identity_source",
                "validation_expression",
                "ttl",
            ],
            Some(ApiKind::Rest),
        ),
        "request" => (
            &[
                "type",
                "function",
                "identity_sources",
                "ttl",
                "payload_format_version",
                "simple_responses",
            ],
            None,
        ),
        "cognito" => (
            &["type", "user_pool_arns", "identity_source"],
            Some(ApiKind::Rest),
        ),
        _ => (
            &["type", "issuer", "audience", "identity_source"],
            Some(ApiKind::Http),
        ),
    };
    let what = format!("`{ty}` authorizer `{name}`");
    let mut m = MapReader::open(cx, v, &what, allowed)?.elsewhere(ALL_AUTHORIZER_KEYS);
    m.get("type");
    if let Some(k) = only {
        if k != cx.kind {
            let hint = match ty {
                _ if cx.kind == ApiKind::WebSocket => "websocket apis use a lambda `request` authorizer on `$connect`, e.g. `identity_sources: [route.request.querystring.token]`",
                "jwt" => "rest apis use a `cognito` authorizer for user pools, or a lambda `token` or `request` authorizer",
                "cognito" => "on http apis use `type: jwt` with issuer `https://cognito-idp.REGION.amazonaws.com/POOL_ID` and the app client id as `audience`",
                _ => "on http apis use a lambda `request` authorizer with `identity_sources: [$request.header.Authorization]`",
            };
            cx.err(
                ty_node,
                format!(
                    "`{ty}` authorizers are only supported on {} apis",
                    kind_name(k)
                ),
                Some(hint.into()),
            );
            m.finish(cx);
            return None;
        }
    }
    let default_ttl = if cx.is_rest() { 300 } else { 0 };
    let ttl = |m: &mut MapReader, cx: &mut Cx| -> u32 {
        m.get("ttl")
            .and_then(|t| int_in(cx, t, "ttl", 0, 3600))
            .map_or(default_ttl, |t| t as u32)
    };
    let function = |m: &mut MapReader, cx: &mut Cx| -> Option<At<String>> {
        let f = m.req(cx, "function")?;
        let t = nonempty(cx, f, "function")?;
        reference(cx, f, &t.value, &names.functions, "function", "functions").then_some(t)
    };
    let kind = cx.kind;
    let result = match ty {
        "token" => {
            let function = function(&mut m, cx);
            let identity_source = match m.get("identity_source") {
                Some(s) => {
                    let t = nonempty(cx, s, "identity_source");
                    match t {
                        Some(t) if identity_source_ok(kind, &t.value, true) => t.value,
                        Some(t) => {
                            cx.err(
                                s,
                                format!(
                                    "invalid identity source `{}` for a token authorizer",
                                    t.value
                                ),
                                Some(identity_hint(kind, true)),
                            );
                            String::new()
                        }
                        None => String::new(),
                    }
                }
                None => "method.request.header.Authorization".into(),
            };
            let validation_expression = m.opt_text(cx, "validation_expression").map(|t| t.value);
            let ttl_seconds = ttl(&mut m, cx);
            function.map(|function| AuthorizerKind::Token {
                function,
                identity_source,
                validation_expression,
                ttl_seconds,
            })
        }
        "request" => {
            let function = function(&mut m, cx);
            let mut identity_sources = Vec::new();
            if let Some(s) = m.get("identity_sources") {
                for t in text_list(cx, s, "identity_sources") {
                    if identity_source_ok(kind, &t.value, false) {
                        identity_sources.push(t.value);
                    } else {
                        cx.err_at(
                            t.pos,
                            format!("invalid identity source `{}`", t.value),
                            Some(identity_hint(kind, false)),
                        );
                    }
                }
            }
            let ttl_seconds = if kind == ApiKind::WebSocket {
                // CreateAuthorizer takes no result TTL for WebSocket APIs.
                m.only_in(cx, "ttl", &[ApiKind::Rest, ApiKind::Http]);
                0
            } else {
                ttl(&mut m, cx)
            };
            if kind == ApiKind::WebSocket && !m.has("identity_sources") {
                cx.err(
                    v,
                    format!("{what} needs `identity_sources` on a websocket api"),
                    Some("e.g. `identity_sources: [route.request.querystring.token]`".into()),
                );
            }
            if ttl_seconds > 0 && identity_sources.is_empty() && !m.has("identity_sources") {
                cx.err(
                    v,
                    format!("{what} with caching (`ttl` > 0) needs `identity_sources`"),
                    Some("list the request parts that identify a caller, or set `ttl: 0`".into()),
                );
            }
            let payload_format_version = m
                .only(cx, "payload_format_version", ApiKind::Http)
                .and_then(|p| choice(cx, p, "payload_format_version", PAYLOAD_FORMAT_VERSIONS))
                .map(str::to_string);
            let simple_node = m.only(cx, "simple_responses", ApiKind::Http);
            let simple_responses = simple_node
                .and_then(|s| boolean(cx, s, "simple_responses"))
                .unwrap_or(false);
            if simple_responses && payload_format_version.as_deref() == Some("1.0") {
                cx.err(
                    simple_node.unwrap_or(v),
                    "`simple_responses` needs `payload_format_version: \"2.0\"`",
                    None,
                );
            }
            function.map(|function| AuthorizerKind::Request {
                function,
                identity_sources,
                ttl_seconds,
                payload_format_version: if kind == ApiKind::Http {
                    Some(payload_format_version.unwrap_or_else(|| "2.0".into()))
                } else {
                    None
                },
                simple_responses,
            })
        }
        "cognito" => {
            let mut user_pool_arns = Vec::new();
            if let Some(a) = m.req(cx, "user_pool_arns") {
                let list = text_list(cx, a, "user_pool_arns");
                if list.is_empty() && matches!(a.value, Value::Seq(_)) {
                    cx.err(a, "`user_pool_arns` must not be empty", None);
                }
                for t in list {
                    if is_user_pool_arn(&t.value) {
                        user_pool_arns.push(t);
                    } else {
                        cx.err_at(
                            t.pos,
                            format!("`{}` is not a cognito user pool arn", t.value),
                            Some(
                                "write `arn:aws:cognito-idp:REGION:ACCOUNT:userpool/REGION_ID`"
                                    .into(),
                            ),
                        );
                    }
                }
            }
            let identity_source = match m.get("identity_source") {
                Some(s) => match nonempty(cx, s, "identity_source") {
                    Some(t) if identity_source_ok(kind, &t.value, true) => t.value,
                    Some(t) => {
                        cx.err(
                            s,
                            format!(
                                "invalid identity source `{}` for a cognito authorizer",
                                t.value
                            ),
                            Some(identity_hint(kind, true)),
                        );
                        String::new()
                    }
                    None => String::new(),
                },
                None => "method.request.header.Authorization".into(),
            };
            (!user_pool_arns.is_empty()).then_some(AuthorizerKind::Cognito {
                user_pool_arns,
                identity_source,
            })
        }
        _ => {
            let issuer = m.req_text(cx, "issuer");
            let issuer = match issuer {
                Some(i) if i.value.starts_with("https://") && is_http_url(&i.value) => Some(i),
                Some(i) => {
                    cx.err_at(
                        i.pos,
                        format!("jwt `issuer` must be an https url, found `{}`", i.value),
                        Some(
                            "for cognito: `https://cognito-idp.REGION.amazonaws.com/POOL_ID`"
                                .into(),
                        ),
                    );
                    None
                }
                None => None,
            };
            let mut audience = Vec::new();
            if let Some(a) = m.req(cx, "audience") {
                if let Value::Seq(items) = &a.value {
                    limits::count(cx, a, items.len(), 0, limits::JWT_AUDIENCES);
                }
                audience = text_list(cx, a, "audience")
                    .into_iter()
                    .map(|t| t.value)
                    .collect();
                if audience.is_empty() && matches!(a.value, Value::Seq(_)) {
                    cx.err(
                        a,
                        "`audience` must not be empty",
                        Some(
                            "list the app client ids (cognito) or audiences the tokens carry"
                                .into(),
                        ),
                    );
                }
            }
            let identity_source = match m.get("identity_source") {
                Some(s) => match nonempty(cx, s, "identity_source") {
                    Some(t)
                        if t.value.starts_with("$request.header.")
                            || t.value.starts_with("$request.querystring.") =>
                    {
                        t.value
                    }
                    Some(t) => {
                        cx.err(
                            s,
                            format!("invalid identity source `{}` for a jwt authorizer", t.value),
                            Some("write `$request.header.Authorization` or `$request.querystring.NAME`".into()),
                        );
                        String::new()
                    }
                    None => String::new(),
                },
                None => "$request.header.Authorization".into(),
            };
            match issuer {
                Some(issuer) if !audience.is_empty() => Some(AuthorizerKind::Jwt {
                    issuer,
                    audience,
                    identity_source,
                }),
                _ => None,
            }
        }
    };
    m.finish(cx);
    result
}
