//! CORS proven on a real data plane: LocalStack (host mode) serves the REST APIs gwctl
//! applies, and these tests send the requests a browser would (`OPTIONS` preflights with
//! `Origin`, requests that fail) with a client independent of gwctl's.
//!
//! What LocalStack 2026.3.0 can and cannot prove (docs/cors.md):
//! - MOCK preflights, mapping-template origin echo and deployments: served for real;
//! - the headers of gateway responses (DEFAULT_4XX / DEFAULT_5XX): stored by its control plane
//!   but not applied by its data plane (`handlers/gateway_exception.py`: "TODO apply
//!   responseParameters"). The tests assert the stored configuration and the 4XX status, and
//!   assert the gap itself, so that a LocalStack that starts applying them fails here and the
//!   assertion gets upgraded to require the header.
//!
//! Needs `scripts/localstack.sh install`; fails (never skips) without it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support;
use crate::support::localstack::{self, LocalStack};
use crate::support::{repo, stdout_ok as ok, RawResponse, TODO_FUNCTIONS};
use gwctl::aws::exec::rest::Executor;
use gwctl::cli::verify::VerifyDoc;
use gwctl::output::ApplyDoc;
use gwctl::plan::Op;

const MULTI_ORIGIN: &str = "tests/fixtures/cors/multi-origin.yaml";

fn gwctl(ls: &LocalStack, args: &[&str]) -> Output {
    support::gwctl_at(&ls.endpoint(), args)
}

fn apply(ls: &LocalStack, spec: &Path) -> ApplyDoc {
    let out = ok(&gwctl(
        ls,
        &["apply", spec.to_str().unwrap(), "--yes", "--output", "json"],
    ));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("apply JSON: {e}\n{out}"))
}

/// Create the functions `file` uses, apply a copy of it whose API is named `name` (names
/// must differ between tests: LocalStack keeps its state for the whole test binary), and
/// return the API id and the copy's path.
async fn apply_as(
    ls: &LocalStack,
    dir: &tempfile::TempDir,
    file: &str,
    name: &str,
) -> (String, PathBuf) {
    ls.create_functions(TODO_FUNCTIONS).await;
    let text = std::fs::read_to_string(repo(file)).unwrap();
    let original = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("name: "))
        .expect("the spec names its api")
        .to_string();
    let spec = dir.path().join(format!("{name}.yaml"));
    std::fs::write(
        &spec,
        text.replacen(&format!("name: {original}"), &format!("name: {name}"), 1),
    )
    .unwrap();
    (apply(ls, &spec).api.id.unwrap(), spec)
}

/// The `Access-Control-*` and `Vary` headers of a response.
fn cors_headers(r: &RawResponse) -> BTreeMap<String, String> {
    r.headers
        .iter()
        .filter(|(k, _)| k.starts_with("access-control-") || k == "vary")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A 200 answer whose CORS headers are exactly `want`.
#[track_caller]
fn assert_preflight(r: &RawResponse, want: &BTreeMap<String, String>) {
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(&cors_headers(r), want, "{r:?}");
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn preflight(
    ls: &LocalStack,
    api: &str,
    stage: &str,
    path: &str,
    origin: &str,
    method: &str,
) -> RawResponse {
    ls.invoke(
        "OPTIONS",
        api,
        stage,
        path,
        &[
            ("Origin", origin),
            ("Access-Control-Request-Method", method),
            (
                "Access-Control-Request-Headers",
                "content-type,authorization",
            ),
        ],
    )
}

/// The gateway responses as LocalStack's control plane stores them.
async fn stored_gateway_response(ls: &LocalStack, api: &str, t: &str) -> BTreeMap<String, String> {
    let c = ls.clients().await;
    let g = c
        .apigw
        .get_gateway_response()
        .rest_api_id(api)
        .response_type(aws_sdk_apigateway::types::GatewayResponseType::from(t))
        .send()
        .await
        .unwrap();
    g.response_parameters()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// LocalStack's gap, asserted so that it is noticed when it closes.
fn assert_localstack_drops_gateway_response_headers(r: &RawResponse) {
    assert_eq!(
        r.header("x-localstack").as_deref(),
        Some("true"),
        "not LocalStack?"
    );
    assert_eq!(
        r.header("access-control-allow-origin"),
        None,
        "LocalStack now applies gateway response headers: make this test require \
         Access-Control-Allow-Origin on API Gateway's own errors"
    );
}

#[tokio::test]
async fn todo_preflights_answer_exactly_the_configured_headers() {
    let ls = localstack::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (api, spec) = apply_as(&ls, &dir, "specs/todo.yaml", "todo-api-preflight").await;
    // A second apply converges on LocalStack too (it fills in gateway-response templates
    // the way AWS does).
    let again = apply(&ls, &spec);
    assert_eq!(again.result, "no_changes");
    assert_eq!(again.calls.writes, 0);

    const O: &str = "http://localhost:3000";
    let common = [
        ("access-control-allow-origin", O),
        ("access-control-allow-headers", "Content-Type,Authorization"),
        ("access-control-max-age", "600"),
    ];
    for (path, methods, method) in [
        ("/todos", "GET,OPTIONS,POST", "POST"),
        ("/todos/42", "DELETE,GET,OPTIONS,PUT", "PUT"),
    ] {
        let mut want = map(&common);
        want.insert("access-control-allow-methods".into(), methods.into());
        assert_preflight(&preflight(&ls, &api, "prod", path, O, method), &want);
    }
    // The preflight is unauthenticated even though nothing else is served: no Lambda runs.
    let r = preflight(&ls, &api, "prod", "/todos", "https://evil.example", "POST");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some(O),
        "a single origin is static: the browser compares it and refuses evil.example"
    );
}

#[tokio::test]
async fn errors_are_4xx_and_their_gateway_responses_carry_the_headers() {
    let ls = localstack::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (api, _) = apply_as(&ls, &dir, MULTI_ORIGIN, "shop-api-errors").await;
    const A: &str = "https://app.example.com";

    // Unknown path: API Gateway's own 403.
    let unknown = ls.invoke("GET", &api, "live", "/nope", &[("Origin", A)]);
    assert_eq!(unknown.status, 403, "{unknown:?}");
    assert!(unknown.body.contains("Missing Authentication Token"));
    // Refused for a missing API key: 403 before any integration runs.
    let no_key = ls.invoke("POST", &api, "live", "/orders", &[("Origin", A)]);
    assert_eq!(no_key.status, 403, "{no_key:?}");
    assert_eq!(
        no_key.header("x-amzn-errortype").as_deref(),
        Some("ForbiddenException")
    );
    // Both fall back to DEFAULT_4XX, which carries the CORS headers (echoing the origin: no
    // credentials here) and gwctl's marker.
    for t in ["DEFAULT_4XX", "DEFAULT_5XX"] {
        let stored = stored_gateway_response(&ls, &api, t).await;
        assert_eq!(
            stored,
            map(&[
                (
                    "gatewayresponse.header.Access-Control-Allow-Origin",
                    "method.request.header.Origin"
                ),
                (
                    "gatewayresponse.header.Access-Control-Allow-Headers",
                    "'Content-Type,X-Api-Key'"
                ),
                (
                    "gatewayresponse.header.Access-Control-Expose-Headers",
                    "'X-Request-Id'"
                ),
                ("gatewayresponse.header.Vary", "'Origin'"),
                ("gatewayresponse.header.X-Gwctl-Cors", "'1'"),
            ]),
            "{t}"
        );
    }
    assert_localstack_drops_gateway_response_headers(&unknown);
    assert_localstack_drops_gateway_response_headers(&no_key);
}

#[tokio::test]
async fn two_origins_are_each_echoed_and_a_third_is_not() {
    let ls = localstack::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (api, _) = apply_as(&ls, &dir, MULTI_ORIGIN, "shop-api-origins").await;
    let configured = [
        ("access-control-allow-headers", "Content-Type,X-Api-Key"),
        ("access-control-allow-methods", "GET,OPTIONS,POST"),
        ("access-control-expose-headers", "X-Request-Id"),
        ("access-control-max-age", "300"),
        ("vary", "Origin"),
    ];
    for origin in ["https://app.example.com", "http://localhost:5173"] {
        let mut want = map(&configured);
        want.insert("access-control-allow-origin".into(), origin.into());
        assert_preflight(
            &preflight(&ls, &api, "live", "/orders", origin, "POST"),
            &want,
        );
    }
    // A third origin: the same answer, but no Access-Control-Allow-Origin.
    let third = preflight(&ls, &api, "live", "/orders", "https://evil.example", "POST");
    assert_preflight(&third, &map(&configured));
    // The origin header's case does not matter.
    let lower = ls.invoke(
        "OPTIONS",
        &api,
        "live",
        "/orders",
        &[("origin", "http://localhost:5173")],
    );
    assert_eq!(
        lower.header("access-control-allow-origin").as_deref(),
        Some("http://localhost:5173")
    );
}

#[tokio::test]
async fn verify_passes_then_names_the_header_broken_by_hand() {
    let ls = localstack::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (api, spec) = apply_as(&ls, &dir, "specs/todo.yaml", "todo-api-verify").await;
    let s = spec.to_str().unwrap();

    // Preflights: every route passes, on both of LocalStack's path styles.
    let out = ok(&gwctl(
        &ls,
        &["verify", s, "--check", "preflight", "--output", "json"],
    ));
    let doc: VerifyDoc = serde_json::from_str(&out).unwrap();
    assert_eq!(doc.result, "ok");
    assert_eq!(doc.summary.total, 5);
    assert_eq!(doc.summary.ok, 5);
    assert!(doc.checks[0].url.starts_with(&format!(
        "{}/_aws/execute-api/{api}/prod/todos",
        ls.endpoint()
    )));
    let base = format!(
        "{}/restapis/{{api_id}}/{{stage}}/_user_request_",
        ls.endpoint()
    );
    let o = gwctl(
        &ls,
        &["verify", s, "--check", "preflight", "--invoke-base", &base],
    );
    let text = ok(&o);
    assert!(text.contains("5 checks: 5 ok, 0 failed"), "{text}");

    // The must-fail request: LocalStack drops the gateway response headers, and verify says
    // so by name (on AWS the same check passes).
    let o = gwctl(&ls, &["verify", s]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("error GET /gwctl-verify-unknown-path: missing `Access-Control-Allow-Origin`"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("LocalStack ignores the headers"));

    // Break CORS by hand the way a console edit would: the preflight of /todos loses
    // Access-Control-Allow-Headers; then deploy it.
    // (LocalStack ignores update-integration-response's `remove`: the response is deleted
    // and put again without the header, as the console does.)
    let c = ls.clients().await;
    let observed = gwctl::aws::read::rest::read_rest_api(&c, &api)
        .await
        .unwrap();
    let options = &observed.config.resources["/todos"].methods["OPTIONS"];
    let mut response = options.integration.as_ref().unwrap().responses["200"].clone();
    assert!(response
        .response_parameters
        .remove("method.response.header.Access-Control-Allow-Headers")
        .is_some());
    let by_hand = [
        Op::DeleteIntegrationResponse {
            path: "/todos".into(),
            method: "OPTIONS".into(),
            status: "200".into(),
        },
        Op::PutIntegrationResponse {
            path: "/todos".into(),
            method: "OPTIONS".into(),
            status: "200".into(),
            def: response,
        },
    ];
    Executor::for_api(&c, &observed)
        .run(&by_hand, &mut |_| {})
        .await
        .expect("edit the preflight by hand");
    ok(&gwctl(
        &ls,
        &["deploy", "--stage", "prod", "--api-id", &api],
    ));
    let r = preflight(&ls, &api, "prod", "/todos", "http://localhost:3000", "POST");
    assert_eq!(r.header("access-control-allow-headers"), None, "{r:?}");

    let o = gwctl(&ls, &["verify", s, "--check", "preflight"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("preflight POST /todos: missing `Access-Control-Allow-Headers` (the request sends `content-type, authorization`)"),
        "{err}"
    );
    assert!(
        err.contains("a browser would refuse 2 of 5 answers"),
        "{err}"
    );

    // `gwctl apply` puts it back, and verify passes again after the deployment it makes.
    let fixed = apply(&ls, &spec);
    assert_eq!(fixed.result, "applied");
    ok(&gwctl(&ls, &["verify", s, "--check", "preflight"]));
}

#[tokio::test]
async fn cors_enable_and_disable_on_a_hand_made_api_are_served() {
    let ls = localstack::start().await;
    ls.create_functions(&["todo-get"]).await;
    // Seed 003 by hand: an API, /items, GET to a Lambda proxy, a deployment to `prod`.
    let arn = format!(
        "arn:aws:lambda:us-east-1:{}:function:todo-get",
        localstack::ACCOUNT_ID
    );
    let api_id = support::seed::build(&ls.clients().await, &arn, false).await;
    const A: &str = "https://a.example";
    const B: &str = "https://b.example";
    let before = preflight(&ls, &api_id, "prod", "/items", A, "GET");
    assert_eq!(before.status, 403, "no preflight before: {before:?}");

    let out = ok(&gwctl(
        &ls,
        &[
            "cors", "enable", "--api-id", &api_id, "--origin", A, "--origin", B, "--deploy",
            "prod", "--yes", "--output", "json",
        ],
    ));
    let doc: ApplyDoc = serde_json::from_str(&out).unwrap();
    assert_eq!(doc.result, "applied");
    assert_eq!(doc.stages[0].name, "prod");
    for origin in [A, B] {
        let r = preflight(&ls, &api_id, "prod", "/items", origin, "GET");
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("access-control-allow-origin").as_deref(),
            Some(origin)
        );
        assert_eq!(
            r.header("access-control-allow-methods").as_deref(),
            Some("GET,OPTIONS")
        );
    }

    let out = ok(&gwctl(
        &ls,
        &[
            "cors", "disable", "--api-id", &api_id, "--deploy", "prod", "--yes", "--output", "json",
        ],
    ));
    let doc: ApplyDoc = serde_json::from_str(&out).unwrap();
    assert_eq!(doc.summary.delete, 3);
    let after = preflight(&ls, &api_id, "prod", "/items", A, "GET");
    assert_eq!(after.status, 403, "the preflight is gone again: {after:?}");
}
