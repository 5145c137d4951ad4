//! `gwctl verify`: would a browser accept what the deployed API answers?
//!
//! The rules are the Fetch standard's CORS check and CORS-preflight check, as browsers apply
//! them: a preflight must answer 2xx; `Access-Control-Allow-Origin` must be exactly the
//! request's origin, or `*` when no credentials are sent (one value only); with credentials
//! `Access-Control-Allow-Credentials` must be `true`; `Access-Control-Allow-Methods` must
//! list the method unless it is a CORS-safelisted one (`GET`, `HEAD`, `POST`) or the list is
//! `*` without credentials; `Access-Control-Allow-Headers` must list every requested header
//! (case-insensitively), where `*` without credentials covers all but `Authorization`.
//! An error response (the request that must fail) passes the CORS check or the browser
//! hides it from the page.
//!
//! This module is pure (no I/O): [`http`] sends the requests.

pub mod http;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Methods a browser never needs listed in `Access-Control-Allow-Methods`.
const SAFELISTED_METHODS: [&str; 3] = ["GET", "HEAD", "POST"];

/// The path requested for the "must fail" check (no API has it, unless a greedy route
/// catches everything; then the check is skipped, not failed).
pub const UNKNOWN_PATH: &str = "/gwctl-verify-unknown-path";

/// A response as far as CORS is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// Header names lowercased, in the order received (a name may repeat).
    pub headers: Vec<(String, String)>,
}

impl Response {
    /// Every value of header `name` (case-insensitive).
    pub fn all(&self, name: &str) -> Vec<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The CORS-related headers (and `Vary`), for reports.
    pub fn cors_headers(&self) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in &self.headers {
            if k.starts_with("access-control-") || k == "vary" {
                out.entry(k.clone())
                    .and_modify(|e| {
                        e.push_str(", ");
                        e.push_str(v);
                    })
                    .or_insert_with(|| v.clone());
            }
        }
        out
    }
}

/// What one probe asks, as a browser would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    pub origin: String,
    /// The request is credentialed (`credentials: "include"`).
    pub credentials: bool,
    /// The method of the actual request (`Access-Control-Request-Method`).
    pub method: String,
    /// Non-safelisted request headers the page sends (`Access-Control-Request-Headers`).
    pub headers: Vec<String>,
}

fn list(values: &[&str]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The CORS check (every cross-origin response): problems, each naming the header.
pub fn cors_check(r: &Response, p: &Probe) -> Vec<String> {
    let mut out = Vec::new();
    let acao = r.all("access-control-allow-origin");
    match acao.as_slice() {
        [] => out.push("missing `Access-Control-Allow-Origin`".to_string()),
        [one] => {
            let v = one.trim();
            if v.contains(',') {
                out.push(format!(
                    "`Access-Control-Allow-Origin` has several values (`{v}`); browsers accept exactly one"
                ));
            } else if v == "*" {
                if p.credentials {
                    out.push(
                        "`Access-Control-Allow-Origin` is `*`, which browsers refuse for requests with credentials"
                            .to_string(),
                    );
                }
            } else if v != p.origin {
                out.push(format!(
                    "`Access-Control-Allow-Origin` is `{v}`, not the origin `{}`",
                    p.origin
                ));
            }
        }
        many => out.push(format!(
            "`Access-Control-Allow-Origin` is sent {} times; browsers accept exactly one",
            many.len()
        )),
    }
    if p.credentials {
        match r.all("access-control-allow-credentials").as_slice() {
            [] => out.push(
                "missing `Access-Control-Allow-Credentials` (must be `true` for requests with credentials)"
                    .to_string(),
            ),
            [v] if v.trim() == "true" => {}
            vs => out.push(format!(
                "`Access-Control-Allow-Credentials` is `{}`, not `true`",
                vs.join(", ")
            )),
        }
    }
    out
}

/// The CORS-preflight check: status, the CORS check, methods and headers.
pub fn preflight_check(r: &Response, p: &Probe) -> Vec<String> {
    let mut out = Vec::new();
    if !(200..300).contains(&r.status) {
        out.push(format!(
            "status {}: a preflight needs a 2xx answer (is `OPTIONS` missing, or behind an authorizer or API key?)",
            r.status
        ));
    }
    out.extend(cors_check(r, p));
    let methods_values = r.all("access-control-allow-methods");
    let methods = list(&methods_values);
    let method_ok = methods.contains(&p.method)
        || SAFELISTED_METHODS.contains(&p.method.as_str())
        || (!p.credentials && methods.iter().any(|m| m == "*"));
    if !method_ok {
        if methods_values.is_empty() {
            out.push(format!(
                "missing `Access-Control-Allow-Methods` (the request uses `{}`)",
                p.method
            ));
        } else {
            out.push(format!(
                "`Access-Control-Allow-Methods` (`{}`) does not list `{}`",
                methods.join(","),
                p.method
            ));
        }
    }
    let headers_values = r.all("access-control-allow-headers");
    let allowed: Vec<String> = list(&headers_values)
        .into_iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let star = !p.credentials && allowed.iter().any(|h| h == "*");
    let missing: Vec<String> = p
        .headers
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .filter(|h| !(allowed.contains(h) || (star && h != "authorization")))
        .collect();
    if !missing.is_empty() {
        if headers_values.is_empty() {
            out.push(format!(
                "missing `Access-Control-Allow-Headers` (the request sends `{}`)",
                missing.join(", ")
            ));
        } else {
            out.push(format!(
                "`Access-Control-Allow-Headers` (`{}`) does not list `{}`",
                allowed.join(","),
                missing.join(", ")
            ));
        }
    }
    out
}

/// A concrete request path for a resource path: parameters get a sample value
/// (`/todos/{id}` -> `/todos/gwctl-verify`, `/{proxy+}` -> `/gwctl-verify`).
pub fn sample_path(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.starts_with('{') && seg.ends_with('}') {
                "gwctl-verify"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Where a stage is invoked: `base` (a URL, optionally with `{api_id}` and `{stage}`; without
/// them `/{api_id}/{stage}` is appended), or the AWS invoke URL.
pub fn stage_url(base: Option<&str>, api_id: &str, region: &str, stage: &str) -> String {
    match base {
        Some(b) if b.contains("{api_id}") || b.contains("{stage}") => b
            .replace("{api_id}", api_id)
            .replace("{stage}", stage)
            .trim_end_matches('/')
            .to_string(),
        Some(b) => format!("{}/{api_id}/{stage}", b.trim_end_matches('/')),
        None => format!("https://{api_id}.execute-api.{region}.amazonaws.com/{stage}"),
    }
}

/// The invoke base for an endpoint URL gwctl's AWS calls go to (a local emulator):
/// LocalStack serves stages at `{endpoint}/_aws/execute-api/{api_id}/{stage}`.
pub fn emulator_invoke_base(endpoint_url: &str) -> String {
    format!("{}/_aws/execute-api", endpoint_url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests;
