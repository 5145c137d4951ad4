//! Unit tests of the AWS limits (limits.rs): each one just under and just over its number,
//! fixed limits as errors, raisable ones as warnings, each at the position it is about.

use std::path::Path;

use super::diag::Severity;
use super::*;

fn load(text: &str) -> Loaded {
    load_str(Path::new("t.yaml"), text)
}

/// The one diagnostic whose message contains `needle`.
#[track_caller]
fn find(l: &Loaded, needle: &str) -> Diagnostic {
    let hits: Vec<&Diagnostic> = l
        .diagnostics
        .iter()
        .filter(|d| d.message.contains(needle))
        .collect();
    assert_eq!(hits.len(), 1, "{needle}: {:#?}", l.diagnostics);
    hits[0].clone()
}

#[track_caller]
fn none(l: &Loaded, needle: &str) {
    assert!(
        !l.diagnostics.iter().any(|d| d.message.contains(needle)),
        "{:#?}",
        l.diagnostics
    );
}

const ROUTE: &str = "routes:\n  - {path: /x, method: GET, function: f}\n";

fn rest_with(stages: &str, extra: &str) -> String {
    format!("api: {{name: a}}\nfunctions: {{f: f}}\n{ROUTE}stages:\n{stages}{extra}")
}

fn map_of(n: usize, f: impl Fn(usize) -> String) -> String {
    let items: Vec<String> = (0..n).map(f).collect();
    format!("{{{}}}", items.join(", "))
}

#[test]
fn stage_variables_per_stage_is_a_fixed_limit_of_100() {
    let vars = |n| map_of(n, |i| format!("v{i}: x"));
    let l = load(&rest_with(
        &format!("  prod: {{variables: {}}}\n", vars(100)),
        "",
    ));
    assert!(!l.has_errors(), "{:#?}", l.diagnostics);
    let l = load(&rest_with(
        &format!("  prod: {{variables: {}}}\n", vars(101)),
        "",
    ));
    let d = find(&l, "stage variables per stage");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(
        d.message,
        "101 stage variables per stage; API Gateway allows 100"
    );
    assert_eq!((d.line, d.col), (6, 21));
}

#[test]
fn access_log_format_is_at_most_3_kb() {
    let dest = "arn:aws:logs:us-east-1:123456789012:log-group:g";
    let stage = |len: usize| {
        let fmt = format!("$context.requestId {}", "x".repeat(len - 19));
        format!("  prod: {{access_log: {{destination: \"{dest}\", format: \"{fmt}\"}}}}\n")
    };
    assert!(!load(&rest_with(&stage(3072), "")).has_errors());
    let l = load(&rest_with(&stage(3073), ""));
    let d = find(&l, "access log `format` is 3073 bytes");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.line, 6);
}

#[test]
fn api_tags_count_gwctls_own_tag() {
    let text = |n| {
        format!(
            "api: {{name: a, tags: {}}}\nfunctions: {{f: f}}\n{ROUTE}stages: {{prod: {{}}}}\n",
            map_of(n, |i| format!("k{i}: v"))
        )
    };
    assert!(!load(&text(49)).has_errors());
    let l = load(&text(50));
    let d = find(&l, "tags per api");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(
        d.message,
        "51 tags per api (with 1 gwctl adds); API Gateway allows 50"
    );
    assert_eq!((d.line, d.col), (1, 22));
}

#[test]
fn stages_and_authorizers_per_api_warn_at_the_eleventh() {
    let stages: String = (0..11).map(|i| format!("  s{i}: {{}}\n")).collect();
    let l = load(&rest_with(&stages, ""));
    assert!(!l.has_errors());
    let d = find(&l, "stages per api");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.message, "11 stages per api; API Gateway allows 10");
    assert_eq!((d.line, d.col), (16, 3));
    let ten: String = (0..10).map(|i| format!("  s{i}: {{}}\n")).collect();
    none(&load(&rest_with(&ten, "")), "stages per api");

    let auths = |n| {
        let a: String = (0..n)
            .map(|i| format!("  a{i}: {{type: token, function: f}}\n"))
            .collect();
        format!("api: {{name: a}}\nfunctions: {{f: f}}\nauthorizers:\n{a}{ROUTE}stages: {{prod: {{}}}}\n")
    };
    let l = load(&auths(11));
    assert!(!l.has_errors(), "{:#?}", l.diagnostics);
    let d = find(&l, "authorizers per api");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!((d.line, d.col), (14, 3));
    none(&load(&auths(10)), "authorizers per api");
}

#[test]
fn usage_plans_per_api_key_warn_at_the_eleventh() {
    let plans = |n: usize| {
        let p: String = (0..n)
            .map(|i| format!("  p{i}: {{stages: [prod], keys: [web]}}\n"))
            .collect();
        rest_with(
            "  prod: {}\n",
            &format!("api_keys: {{web: {{}}}}\nusage_plans:\n{p}"),
        )
    };
    none(&load(&plans(10)), "usage plans");
    let l = load(&plans(11));
    assert!(!l.has_errors());
    let d = find(&l, "is in 11 usage plans");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!((d.line, d.col), (19, 32));
}

#[test]
fn http_scopes_per_route_and_jwt_audiences_are_fixed_limits() {
    let text = |scopes: usize, auds: usize| {
        let list = |n: usize, p: &str| {
            (0..n)
                .map(|i| format!("{p}{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "api: {{name: a, kind: http}}\nfunctions: {{f: f}}\nauthorizers:\n  j: {{type: jwt, issuer: \"https://i.example\", audience: [{}]}}\nroutes:\n  - {{path: /x, method: GET, function: f, auth: j, scopes: [{}]}}\nstages: {{$default: {{auto_deploy: true}}}}\n",
            list(auds, "aud"),
            list(scopes, "s")
        )
    };
    let l = load(&text(10, 50));
    assert!(!l.has_errors(), "{:#?}", l.diagnostics);
    let l = load(&text(11, 51));
    let d = find(&l, "scopes per route");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.message, "11 scopes per route; API Gateway allows 10");
    assert_eq!(d.line, 6);
    let d = find(&l, "audiences per jwt authorizer");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.line, 4);
}
