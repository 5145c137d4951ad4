//! When a preflight method or a gateway response someone else made (the console's "Enable
//! CORS", SAM's `Cors:`, an aws-CLI recipe) answers browsers exactly as the piece a `cors:`
//! block declares, so gwctl adopts it with zero writes (and `gwctl export` writes `cors:`).
//!
//! Both pieces are brought into a canonical form, and equal forms are equivalent. What the
//! canonical form forgets is what no browser can tell apart (docs/design.md, "CORS pieces
//! made elsewhere"):
//! - header names' case (`method.response.header.access-control-allow-origin`), and the
//!   `required` flag of a method response's declared headers (it only feeds SDK generation);
//! - in `Access-Control-Allow-Headers`, `-Expose-Headers` and `Vary`: order, case,
//!   whitespace and repetitions of the names; in `-Allow-Methods`: order, whitespace,
//!   repetitions, `OPTIONS` (never preflighted) and methods the resource does not have (the
//!   actual request fails with API Gateway's 403 either way); in `-Max-Age`: leading zeros;
//!   whitespace around any static value inside its quotes;
//! - the preflight's MOCK request template's spelling: any `application/json` template that
//!   is the JSON `{"statusCode": 200}` once VTL `##` comment lines are dropped (gwctl's
//!   marker, the console's and SAM's spellings); its timeout, URI and HTTP method (a MOCK
//!   calls nothing);
//! - a preflight's response body (static integration response templates, without `$` or
//!   `#`: browsers ignore a preflight's body) and its method response's models;
//! - on `DEFAULT_4XX`/`DEFAULT_5XX`: gwctl's `X-Gwctl-Cors` marker, and
//!   `Access-Control-Allow-Headers`, `-Allow-Methods` and `-Max-Age` (browsers read them
//!   only on a successful preflight, and these responses are errors); a body template left
//!   out (AWS then serves its default body, which gwctl writes explicitly).
//!
//! Everything else must match: the origin (or the mapping expression that echoes it) and
//! the VTL template that chooses it, credentials (`'true'` exactly), the method's
//! authorization (none, no API key, no request parameters), the MOCK type, the passthrough
//! behaviour, one integration response `200` for every request, no other header.

use std::collections::{BTreeMap, BTreeSet};

use crate::state::rest::{GatewayResponse, Method};

use super::DEFAULT_ERROR_TEMPLATE;

/// A CORS header's value: a static value (canonical text) or a mapping expression.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Val {
    Static(String),
    Expr(String),
}

/// Canonical pieces: header (lower case) -> value, and the VTL response template if any.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Canon {
    headers: BTreeMap<String, Val>,
    template: Option<(String, String)>,
}

const GATEWAY_IGNORED: [&str; 4] = [
    "access-control-allow-headers",
    "access-control-allow-methods",
    "access-control-max-age",
    "x-gwctl-cors",
];

fn names(s: &str, lower: bool) -> String {
    let set: BTreeSet<String> = s
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| {
            if lower {
                x.to_ascii_lowercase()
            } else {
                x.to_string()
            }
        })
        .collect();
    set.into_iter().collect::<Vec<_>>().join(",")
}

/// `allowed`: the methods the resource has (`ANY` expanded, `OPTIONS` left out).
fn value(name: &str, raw: &str, allowed: &BTreeSet<String>) -> Val {
    let raw = raw.trim();
    let Some(s) = raw
        .strip_prefix('\'')
        .and_then(|r| r.strip_suffix('\''))
        .filter(|_| raw.len() >= 2)
    else {
        return Val::Expr(raw.to_string());
    };
    let s = s.trim();
    Val::Static(match name {
        "access-control-allow-headers" | "access-control-expose-headers" | "vary" => names(s, true),
        "access-control-allow-methods" => {
            let kept: BTreeSet<&str> = s
                .split(',')
                .map(str::trim)
                .filter(|m| allowed.contains(*m))
                .collect();
            kept.into_iter().collect::<Vec<_>>().join(",")
        }
        "access-control-max-age" => match s.parse::<u64>() {
            Ok(n) => n.to_string(),
            Err(_) => s.to_string(),
        },
        _ => s.to_string(),
    })
}

/// Header parameters `prefix<Name>` -> canonical map; `None` when a key has another prefix
/// or two keys differ only in case.
fn headers(
    params: &BTreeMap<String, String>,
    prefix: &str,
    allowed: &BTreeSet<String>,
) -> Option<BTreeMap<String, Val>> {
    let mut out = BTreeMap::new();
    for (k, v) in params {
        let name = k.strip_prefix(prefix)?.to_ascii_lowercase();
        let val = value(&name, v, allowed);
        if out.insert(name, val).is_some() {
            return None;
        }
    }
    Some(out)
}

/// Whether a MOCK request template yields `{"statusCode": 200}`.
fn status_200(template: &str) -> bool {
    let body: String = template
        .lines()
        .filter(|l| !l.trim_start().starts_with("##"))
        .collect::<Vec<_>>()
        .join("\n");
    serde_json::from_str::<serde_json::Value>(&body).ok()
        == Some(serde_json::json!({"statusCode": 200}))
}

fn is_vtl(t: &str) -> bool {
    t.contains('$') || t.contains('#')
}

/// The canonical form of a preflight method, `None` when it is not one (see the module
/// documentation).
fn preflight(m: &Method, allowed: &BTreeSet<String>) -> Option<Canon> {
    if m.authorization_type != "NONE"
        || m.authorizer.is_some()
        || !m.authorization_scopes.is_empty()
        || m.api_key_required
        || !m.request_parameters.is_empty()
    {
        return None;
    }
    let i = m.integration.as_ref()?;
    let passthrough = i.passthrough_behavior.as_deref();
    if i.kind != "MOCK"
        || i.credentials.is_some()
        || !i.request_parameters.is_empty()
        || i.content_handling.is_some()
        || !matches!(passthrough, None | Some("WHEN_NO_MATCH"))
        || !i.cache_key_parameters.is_empty()
        || i.request_templates.len() != 1
        || i.responses.len() != 1
        || m.method_responses.len() != 1
    {
        return None;
    }
    let (ct, t) = i.request_templates.iter().next()?;
    if !ct.eq_ignore_ascii_case("application/json") || !status_200(t) {
        return None;
    }
    let r = i.responses.get("200")?;
    if !matches!(r.selection_pattern.as_deref(), None | Some("")) || r.content_handling.is_some() {
        return None;
    }
    let headers = headers(&r.response_parameters, "method.response.header.", allowed)?;
    let vtl: Vec<(&String, &String)> = r
        .response_templates
        .iter()
        .filter(|(_, t)| is_vtl(t))
        .collect();
    let template = match vtl.as_slice() {
        [] => None,
        [(ct, t)] if r.response_templates.len() == 1 => {
            Some((ct.to_ascii_lowercase(), t.trim().to_string()))
        }
        _ => return None,
    };
    let mr = m.method_responses.get("200")?;
    if mr.response_models.values().any(|v| v != "Empty") {
        return None;
    }
    let declared: BTreeSet<String> = mr
        .response_parameters
        .keys()
        .map(|k| {
            k.strip_prefix("method.response.header.")
                .map(str::to_ascii_lowercase)
        })
        .collect::<Option<_>>()?;
    let mapped: BTreeSet<String> = headers.keys().cloned().collect();
    let extra: Vec<&String> = declared.difference(&mapped).collect();
    // Every mapped header is declared (AWS requires it); gwctl declares the origin also
    // when a template sets it.
    if !mapped.is_subset(&declared)
        || !(extra.is_empty() || (template.is_some() && extra == ["access-control-allow-origin"]))
    {
        return None;
    }
    if !headers.contains_key("access-control-allow-origin") && template.is_none() {
        return None;
    }
    Some(Canon { headers, template })
}

/// The methods a preflight on a resource with `methods` answers for (`ANY` expanded,
/// `OPTIONS` left out).
pub fn resource_methods<'a>(methods: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for m in methods {
        match m {
            "OPTIONS" => {}
            "ANY" => out.extend(super::ANY_METHODS.iter().map(|s| s.to_string())),
            other => {
                out.insert(other.to_string());
            }
        }
    }
    out
}

/// Whether `have` answers browsers as `want` does, on a resource with `methods`.
pub fn same_preflight<'a>(
    want: &Method,
    have: &Method,
    methods: impl IntoIterator<Item = &'a str>,
) -> bool {
    let allowed = resource_methods(methods);
    match (preflight(want, &allowed), preflight(have, &allowed)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Whether `m` has the shape of a preflight (any origin, headers and methods).
pub fn is_preflight_shaped<'a>(m: &Method, methods: impl IntoIterator<Item = &'a str>) -> bool {
    preflight(m, &resource_methods(methods)).is_some()
}

fn gateway(g: &GatewayResponse) -> Option<Canon> {
    if g.status_code.is_some() {
        return None;
    }
    let default_body = g.response_templates.is_empty()
        || (g.response_templates.len() == 1
            && g.response_templates.iter().all(|(ct, t)| {
                ct.eq_ignore_ascii_case("application/json") && t.trim() == DEFAULT_ERROR_TEMPLATE
            }));
    if !default_body {
        return None;
    }
    let mut headers = headers(
        &g.response_parameters,
        "gatewayresponse.header.",
        &BTreeSet::new(),
    )?;
    headers.retain(|k, _| !GATEWAY_IGNORED.contains(&k.as_str()));
    headers
        .contains_key("access-control-allow-origin")
        .then_some(Canon {
            headers,
            template: None,
        })
}

/// Whether gateway response `have` carries to browsers what `want` does.
pub fn same_gateway_response(want: &GatewayResponse, have: &GatewayResponse) -> bool {
    match (gateway(want), gateway(have)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Whether `g` is a default gateway response that only adds CORS headers.
pub fn is_cors_gateway_response(g: &GatewayResponse) -> bool {
    gateway(g).is_some()
}
