//! gwctl against the quota simulator (`scripts/quota_proxy.py` in front of the emulator), which
//! enforces API Gateway's published control-plane quotas as AWS does (429
//! TooManyRequestsException) and counts every call per operation:
//! - a generated 100-route API applies with zero throttled or failed calls, in about the time
//!   its calls need under the quotas; a no-op re-apply and `plan` make at most 8 API Gateway
//!   calls and 2 Lambda reads per function, and no write; one more route costs a handful of
//!   writes;
//! - a generated 50-route WebSocket API applies with zero throttled calls, near its bound, and
//!   a no-op re-apply and `plan` make one call per list and no write;
//! - the reads before planning overlap: planning waits for get-function then get-policy, not
//!   for every read in turn;
//! - with 10 % of the calls answered 429 and 10 % answered 500, the apply still converges and
//!   a re-apply makes no write;
//! - the simulator's quota table is gwctl's, and it names operations as the SDK does.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support;
use crate::support::quota::{counts, generate_spec, QuotaProxy};
use crate::support::Emulator;
use gwctl::aws::pace::{self, APIGATEWAY_ACCOUNT, APIGATEWAY_QUOTAS, LAMBDA_QUOTAS};
use gwctl::output::{ApplyDoc, PlanDoc};

const FUNCTIONS: usize = 10;

fn function_names() -> Vec<String> {
    (0..FUNCTIONS).map(|i| format!("bench-fn-{i}")).collect()
}

async fn create_functions(em: &Emulator, n: usize) {
    let names = function_names();
    let names: Vec<&str> = names.iter().take(n).map(String::as_str).collect();
    em.create_functions(&names).await;
}

/// Run gwctl with every AWS call sent to `endpoint`.
fn gwctl(endpoint: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gwctl"))
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", support::REGION)
        .env("AWS_ACCESS_KEY_ID", support::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", "gwctl-test-secret")
        .env_remove("AWS_PROFILE")
        .env_remove("GWCTL_MAX_RPS")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env_remove("CI")
        .output()
        .expect("run gwctl")
}

fn apply(endpoint: &str, spec: &Path) -> (ApplyDoc, Duration) {
    let started = Instant::now();
    let o = gwctl(
        endpoint,
        &["apply", spec.to_str().unwrap(), "--yes", "--output", "json"],
    );
    let took = started.elapsed();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout:\n{out}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let doc = serde_json::from_str(&out).unwrap_or_else(|e| panic!("apply JSON: {e}\n{out}"));
    (doc, took)
}

fn writes(by_op: &BTreeMap<String, usize>) -> BTreeMap<String, usize> {
    by_op
        .iter()
        .filter(|(op, _)| !op.starts_with("Get") && !op.starts_with("List"))
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

fn total(m: &BTreeMap<String, usize>) -> usize {
    m.values().sum()
}

/// Failed calls in an apply report other than the expected "no policy yet" answers (get-policy
/// answers 404 for a function without a resource policy; that is a read's normal result).
fn unexpected_failures(doc: &ApplyDoc) -> usize {
    doc.calls.failed
        - doc
            .calls
            .by_operation
            .get("GetPolicy")
            .copied()
            .unwrap_or(0)
            .min(doc.calls.failed)
}

#[tokio::test]
async fn the_simulator_enforces_gwctls_table_and_names_operations_like_the_sdk() {
    let em = support::emulator().await;
    create_functions(&em, 5).await;
    let proxy = QuotaProxy::start(&em, &[]);

    let table = proxy.table();
    let ag = &table["apigateway"];
    assert_eq!(ag["total"]["rate"].as_f64(), Some(APIGATEWAY_ACCOUNT.rate));
    assert_eq!(
        ag["total"]["burst"].as_f64(),
        Some(APIGATEWAY_ACCOUNT.burst)
    );
    let theirs = ag["operations"].as_object().unwrap();
    assert_eq!(theirs.len(), APIGATEWAY_QUOTAS.len());
    for (op, q) in APIGATEWAY_QUOTAS {
        let t = &theirs[*op];
        assert!(
            (t["rate"].as_f64().unwrap() - q.rate).abs() < 1e-9
                && t["burst"].as_f64() == Some(q.burst),
            "{op}: {t} vs {q:?}"
        );
    }
    let lambda = table["lambda"]["operations"].as_object().unwrap();
    assert_eq!(lambda.len(), LAMBDA_QUOTAS.len());
    for (op, q) in LAMBDA_QUOTAS {
        assert_eq!(lambda[*op]["rate"].as_f64(), Some(q.rate), "{op}");
    }
    assert_eq!(
        table["lambda"]["total"]["rate"].as_f64(),
        Some(pace::LAMBDA_CONTROL_PLANE.rate)
    );

    // The operations the simulator counts are the ones gwctl's call log records.
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/todo.yaml");
    let dir = tempfile::tempdir().unwrap();
    let todo = dir.path().join("todo.yaml");
    std::fs::write(
        &todo,
        std::fs::read_to_string(spec)
            .unwrap()
            .replace("todo-create", "bench-fn-0")
            .replace("todo-list", "bench-fn-1")
            .replace("todo-get", "bench-fn-2")
            .replace("todo-update", "bench-fn-3")
            .replace("todo-delete", "bench-fn-4"),
    )
    .unwrap();
    let (doc, _) = apply(&proxy.endpoint(), &todo);
    assert_eq!(doc.result, "applied");
    let stats = proxy.stats();
    let mut seen = counts(&stats, "calls", "apigateway");
    for (op, n) in counts(&stats, "calls", "lambda") {
        *seen.entry(op).or_default() += n;
    }
    assert_eq!(seen, doc.calls.by_operation);
    assert_eq!(stats["throttled"], serde_json::json!({}));
}

/// A WebSocket API of 50 routes (`$connect`, `$disconnect`, `$default` and 47 custom keys)
/// over the functions, one stage deploying itself.
fn websocket_spec(dir: &Path) -> std::path::PathBuf {
    let mut y = String::from("api: {name: bench-ws-50, kind: websocket}\nfunctions:\n");
    for f in function_names() {
        y.push_str(&format!("  {f}: {f}\n"));
    }
    y.push_str("routes:\n");
    let mut keys: Vec<String> = ["$connect", "$disconnect", "$default"]
        .iter()
        .map(|k| k.to_string())
        .collect();
    keys.extend((0..47).map(|i| format!("action{i}")));
    for (i, k) in keys.iter().enumerate() {
        y.push_str(&format!(
            "  - {{route: {k}, function: bench-fn-{}}}\n",
            i % FUNCTIONS
        ));
    }
    y.push_str("stages:\n  prod: {auto_deploy: true, metrics: true}\n");
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join("ws.yaml");
    std::fs::write(&p, y).unwrap();
    p
}

#[tokio::test]
async fn a_50_route_websocket_api_applies_within_its_quota_bound_and_reapplies_in_a_handful_of_reads(
) {
    let em = support::emulator().await;
    create_functions(&em, FUNCTIONS).await;
    let proxy = QuotaProxy::start(&em, &[]);
    let dir = tempfile::tempdir().unwrap();
    let spec = websocket_spec(dir.path());
    // moto loads a service's backend on its first call (its Lambda policies take over a
    // second): a plan (reads only) warms it up, then the counters and buckets start afresh.
    let o = gwctl(&proxy.endpoint(), &["plan", spec.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    proxy.reset();

    let (first, took) = apply(&proxy.endpoint(), &spec);
    let stats = proxy.stats();
    let apigw = counts(&stats, "calls", "apigateway");
    assert_eq!(first.result, "applied");
    assert_eq!(stats["throttled"], serde_json::json!({}), "no 429 at all");
    assert_eq!(first.calls.retries, 0);
    assert!(first.error.is_none());
    // One integration and one permission per function, not per route.
    assert_eq!(
        writes(&first.calls.by_operation),
        BTreeMap::from(
            [
                ("AddPermission", FUNCTIONS),
                ("CreateApi", 1),
                ("CreateIntegration", FUNCTIONS),
                ("CreateRoute", 50),
                ("CreateStage", 1),
            ]
            .map(|(k, v)| (k.to_string(), v))
        )
    );
    let bound = pace::lower_bound_seconds(&apigw);
    // From the first call the simulator saw to the last: the wall time without the process
    // start (spec parsing, SDK set-up), which is no part of API Gateway's quota.
    let window = stats["last_call"].as_f64().unwrap() - stats["first_call"].as_f64().unwrap();
    eprintln!(
        "websocket first apply: {} API Gateway calls in {:.2} s ({window:.2} s from the first \
         call to the last), bound {bound:.2} s, ratio {:.2} ({:.2})",
        total(&apigw),
        took.as_secs_f64(),
        took.as_secs_f64() / bound,
        window / bound,
    );
    // Issue 19's target is 1.1x the bound: docs/benchmarks.md measures where the time goes
    // (the writes take exactly what the pacer allows, which keeps 3 % of each rate and one
    // token of the burst in hand; before them two Lambda round trips; before the first call
    // the process start). Here, on a shared CI machine whose load stretches every emulator
    // call, a generous margin over it.
    assert!(
        window < 1.1 * bound + 1.0,
        "{window:.2} s from the first call to the last, for a bound of {bound:.2} s"
    );
    assert!(
        took.as_secs_f64() < 1.1 * bound + 2.0,
        "{took:?} for a bound of {bound:.2} s"
    );

    // No-op re-apply and plan: reads only, a handful of them.
    for verb in ["apply", "plan"] {
        proxy.reset();
        let args: Vec<&str> = if verb == "apply" {
            vec!["apply", spec.to_str().unwrap(), "--yes", "--output", "json"]
        } else {
            vec![
                "plan",
                spec.to_str().unwrap(),
                "--detailed-exitcode",
                "--output",
                "json",
            ]
        };
        let o = gwctl(&proxy.endpoint(), &args);
        assert_eq!(o.status.code(), Some(0), "{verb}: {o:?}");
        let stats = proxy.stats();
        let apigw = counts(&stats, "calls", "apigateway");
        let lambda = counts(&stats, "calls", "lambda");
        assert!(
            writes(&apigw).is_empty() && writes(&lambda).is_empty(),
            "{stats}"
        );
        // The listing, then the API, its routes, integrations, authorizers, stages and
        // deployments: one call each, whatever the number of routes (moto answers
        // get-authorizers with a 500, which the transport retries: attempts are counted).
        let mut apigw = apigw;
        assert!(apigw.remove("GetAuthorizers").unwrap_or(0) >= 1, "{verb}");
        assert_eq!(
            apigw,
            BTreeMap::from(
                [
                    "GetApis",
                    "GetApi",
                    "GetRoutes",
                    "GetIntegrations",
                    "GetStages",
                    "GetDeployments"
                ]
                .map(|op| (op.to_string(), 1))
            ),
            "{verb}"
        );
        assert!(total(&lambda) <= 2 * FUNCTIONS, "{verb}: {lambda:?}");
        eprintln!(
            "websocket no-op {verb}: {} + {} calls",
            total(&apigw),
            total(&lambda)
        );
    }
}

/// The reads before the first write overlap: finding the API (API Gateway) runs beside the
/// functions (Lambda), every function is read in one round, and each policy only waits for
/// the functions. With every call held 500 ms by the simulator, each read must arrive before
/// the round trips it does not depend on could have finished.
#[tokio::test]
async fn reads_before_planning_overlap_so_planning_waits_two_round_trips_not_every_read() {
    const HOLD: f64 = 0.5;
    let em = support::emulator().await;
    create_functions(&em, FUNCTIONS).await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("calls.log");
    let proxy = QuotaProxy::start(
        &em,
        &["--latency-ms", "500", "--log", log.to_str().unwrap()],
    );
    let spec = websocket_spec(dir.path());
    let o = gwctl(&proxy.endpoint(), &["plan", spec.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");

    // `SECONDS SERVICE OPERATION RESULT PATH`, one line per call as it arrives.
    let text = std::fs::read_to_string(&log).unwrap();
    let calls: Vec<(f64, String)> = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].parse().unwrap(), f[2].to_string())
        })
        .collect();
    let t0 = calls.iter().map(|c| c.0).fold(f64::INFINITY, f64::min);
    let arrivals = |op: &str| -> Vec<f64> {
        calls
            .iter()
            .filter(|c| c.1 == op)
            .map(|c| c.0 - t0)
            .collect()
    };
    let (functions, apis, policies) = (
        arrivals("GetFunction"),
        arrivals("GetApis"),
        arrivals("GetPolicy"),
    );
    assert_eq!(
        (functions.len(), apis.len(), policies.len()),
        (FUNCTIONS, 1, FUNCTIONS),
        "{text}"
    );
    // One round of get-function, with get-apis beside it: all sent before any answer.
    for t in functions.iter().chain(&apis) {
        assert!(*t < HOLD, "sent {t:.3} s after the first call:\n{text}");
    }
    // Each get-policy after the get-functions, not after get-apis and the reads in turn.
    for t in &policies {
        assert!(
            *t < 2.0 * HOLD,
            "get-policy {t:.3} s after the first call:\n{text}"
        );
    }
}

#[tokio::test]
async fn a_100_route_api_applies_within_the_quotas_and_reapplies_in_a_handful_of_reads() {
    let em = support::emulator().await;
    create_functions(&em, FUNCTIONS).await;
    let proxy = QuotaProxy::start(&em, &[]);
    let dir = tempfile::tempdir().unwrap();
    let spec = generate_spec(&dir.path().join("a"), 100, false, "bench-100");
    let spec_plus = generate_spec(&dir.path().join("b"), 100, true, "bench-100");

    // First apply: every call admitted, none retried or failed, in about the bound.
    let (first, took) = apply(&proxy.endpoint(), &spec);
    let stats = proxy.stats();
    let apigw = counts(&stats, "calls", "apigateway");
    assert_eq!(first.result, "applied");
    assert_eq!(stats["throttled"], serde_json::json!({}), "no 429 at all");
    assert_eq!(first.calls.retries, 0);
    assert_eq!(unexpected_failures(&first), 0, "{:?}", first.calls);
    assert!(first.error.is_none());
    // 40 resources; 100 routes + 40 OPTIONS methods; CORS on 40 resources
    assert_eq!(apigw["CreateResource"], 40);
    assert_eq!(apigw["PutMethod"], 140);
    assert_eq!(apigw["PutIntegration"], 140);
    assert_eq!(apigw["PutIntegrationResponse"], 40);
    assert_eq!(apigw["CreateDeployment"], 1);
    // One get-function and one permission per function, not per route.
    let by_op = &first.calls.by_operation;
    assert_eq!(by_op["GetFunction"], FUNCTIONS);
    assert_eq!(by_op["AddPermission"], FUNCTIONS);
    let bound = pace::lower_bound_seconds(&apigw);
    let ratio = took.as_secs_f64() / bound;
    eprintln!(
        "first apply: {} API Gateway calls in {:.1} s, bound {bound:.1} s, ratio {ratio:.2}",
        total(&apigw),
        took.as_secs_f64()
    );
    assert!(bound > 30.0, "{bound}");
    // (the benchmark reports the ratio, ~1.05 here; a busy CI machine gets slack)
    assert!(ratio < 1.5, "{ratio}");

    // The account was built as the spec says.
    let c = em.clients().await;
    let api_id = first.api.id.clone().unwrap();
    let res = c
        .apigw
        .get_resources()
        .rest_api_id(&api_id)
        .embed("methods")
        .limit(500)
        .send()
        .await
        .unwrap();
    assert_eq!(res.items().len(), 41);
    let methods: usize = res
        .items()
        .iter()
        .map(|r| r.resource_methods().map_or(0, |m| m.len()))
        .sum();
    assert_eq!(methods, 140);

    // No-op re-apply and plan: reads only, a handful of them.
    for verb in ["apply", "plan"] {
        proxy.reset();
        let started = Instant::now();
        let o = if verb == "apply" {
            gwctl(
                &proxy.endpoint(),
                &["apply", spec.to_str().unwrap(), "--yes", "--output", "json"],
            )
        } else {
            gwctl(
                &proxy.endpoint(),
                &[
                    "plan",
                    spec.to_str().unwrap(),
                    "--detailed-exitcode",
                    "--output",
                    "json",
                ],
            )
        };
        let took = started.elapsed();
        assert_eq!(o.status.code(), Some(0), "{verb}: {o:?}");
        let stats = proxy.stats();
        let apigw = counts(&stats, "calls", "apigateway");
        let lambda = counts(&stats, "calls", "lambda");
        assert!(
            writes(&apigw).is_empty() && writes(&lambda).is_empty(),
            "{stats}"
        );
        // Issue 8's target: at most 8. The listing that finds the API also gives its
        // attributes (no get-rest-api); then resources (methods embedded), authorizers,
        // gateway responses, stages, deployments, usage plans, API keys.
        assert_eq!(
            apigw,
            BTreeMap::from(
                [
                    "GetRestApis",
                    "GetResources",
                    "GetAuthorizers",
                    "GetGatewayResponses",
                    "GetStages",
                    "GetDeployments",
                    "GetUsagePlans",
                    "GetApiKeys"
                ]
                .map(|op| (op.to_string(), 1))
            ),
            "{verb}"
        );
        assert!(total(&lambda) <= 2 * FUNCTIONS, "{verb}: {lambda:?}");
        assert_eq!(lambda["GetFunction"], FUNCTIONS);
        assert_eq!(stats["throttled"], serde_json::json!({}));
        eprintln!(
            "no-op {verb}: {} + {} calls in {took:?}",
            total(&apigw),
            total(&lambda)
        );
        // target < 1.5 s (measured ~0.6 s); a busy CI machine gets slack
        assert!(took < Duration::from_secs(4), "{verb} took {took:?}");
        if verb == "apply" {
            let doc: ApplyDoc = serde_json::from_slice(&o.stdout).unwrap();
            assert_eq!(doc.result, "no_changes");
            assert_eq!(doc.calls.writes, 0);
        } else {
            let doc: PlanDoc = serde_json::from_slice(&o.stdout).unwrap();
            assert!(doc.changes.is_empty());
        }
    }

    // One more route, on a new path: the route, the new resource and its CORS preflight
    // (7 API writes), and one deployment that also moves the stage (the proxy does what AWS
    // does with create-deployment's stageName: the stage keeps its settings).
    proxy.reset();
    let (plus, _) = apply(&proxy.endpoint(), &spec_plus);
    let w = writes(&counts(&proxy.stats(), "calls", "apigateway"));
    assert_eq!(
        w,
        BTreeMap::from([
            ("CreateDeployment".to_string(), 1),
            ("CreateResource".to_string(), 1),
            ("PutIntegration".to_string(), 2),
            ("PutIntegrationResponse".to_string(), 1),
            ("PutMethod".to_string(), 2),
            ("PutMethodResponse".to_string(), 1),
        ])
    );
    assert_eq!(plus.calls.writes, 8, "issue 8's target: at most 8");
    // The stage kept its settings and serves the change: nothing left to do.
    let o = gwctl(
        &proxy.endpoint(),
        &[
            "plan",
            spec_plus.to_str().unwrap(),
            "--detailed-exitcode",
            "--output",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
}

#[tokio::test]
async fn with_429s_and_500s_injected_the_apply_converges_and_reapplies_without_writes() {
    let em = support::emulator().await;
    create_functions(&em, FUNCTIONS).await;
    let proxy = QuotaProxy::start(
        &em,
        &[
            "--fault-429",
            "0.1",
            "--fault-500",
            "0.1",
            "--fault-seed",
            "8",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let spec = generate_spec(dir.path(), 20, false, "bench-faults");

    let (first, took) = apply(&proxy.endpoint(), &spec);
    assert_eq!(first.result, "applied");
    assert!(first.error.is_none());
    let stats = proxy.stats();
    eprintln!(
        "apply with faults: {} calls, {} retries in {took:?}: {}",
        first.calls.total, first.calls.retries, stats["injected"]
    );
    let injected = counts(&stats, "injected", "apigateway");
    let n429: usize = injected
        .iter()
        .filter(|(k, _)| k.ends_with(" 429"))
        .map(|(_, v)| v)
        .sum();
    let n500: usize = injected
        .iter()
        .filter(|(k, _)| k.ends_with(" 500"))
        .map(|(_, v)| v)
        .sum();
    assert!(n429 >= 3 && n500 >= 3, "faults injected: {injected:?}");
    // A 500 to a create that is not idempotent may come after the service applied it: the
    // transport hands it back (a failed call), and the executor looks before creating
    // again. Which calls draw a fault depends on the concurrent order.
    let looked_up: usize = injected
        .iter()
        .filter(|(k, _)| {
            k.strip_suffix(" 500")
                .is_some_and(gwctl::aws::pace::ambiguous_if_unanswered)
        })
        .map(|(_, v)| v)
        .sum();
    let throttled = total(&counts(&stats, "throttled", "apigateway"));
    assert_eq!(
        first.calls.retries,
        n429 + (n500 - looked_up) + throttled,
        "each other fault (and each 429 of the quotas) retried once more: {injected:?}"
    );
    assert_eq!(
        unexpected_failures(&first),
        looked_up,
        "{:?} {injected:?}",
        first.calls
    );

    // Faults stay on: the re-apply reads (with retries) and writes nothing.
    let (again, took) = apply(&proxy.endpoint(), &spec);
    eprintln!(
        "re-apply with faults: {} calls in {took:?}",
        again.calls.total
    );
    assert_eq!(again.result, "no_changes");
    assert_eq!(again.calls.writes, 0);

    // And the account holds exactly the spec: one API, 8 resources + root, 28 methods,
    // one statement per function.
    let c = em.clients().await;
    let apis = c.apigw.get_rest_apis().limit(500).send().await.unwrap();
    let ids: Vec<&str> = apis
        .items()
        .iter()
        .filter(|a| a.name() == Some("bench-faults"))
        .filter_map(|a| a.id())
        .collect();
    assert_eq!(ids.len(), 1);
    let res = c
        .apigw
        .get_resources()
        .rest_api_id(ids[0])
        .embed("methods")
        .send()
        .await
        .unwrap();
    assert_eq!(res.items().len(), 9);
    let methods: usize = res
        .items()
        .iter()
        .map(|r| r.resource_methods().map_or(0, |m| m.len()))
        .sum();
    assert_eq!(methods, 28);
    for f in function_names() {
        let p = c
            .lambda
            .get_policy()
            .function_name(&f)
            .send()
            .await
            .unwrap();
        let doc: serde_json::Value = serde_json::from_str(p.policy().unwrap()).unwrap();
        assert_eq!(doc["Statement"].as_array().unwrap().len(), 1, "{f}");
    }
}

/// Connections dropped before the call reaches the service (no answer at all) are retried
/// for reads and idempotent writes; a create that is not idempotent is not repeated blindly.
#[tokio::test]
async fn reads_that_get_no_answer_are_retried() {
    let em = support::emulator().await;
    create_functions(&em, 5).await;
    let dir = tempfile::tempdir().unwrap();
    let spec = generate_spec(dir.path(), 5, false, "bench-drops");
    // Build the API without faults, then plan it with 30 % of its reads dropped.
    let clean = QuotaProxy::start(&em, &[]);
    let (first, _) = apply(&clean.endpoint(), &spec);
    assert_eq!(first.result, "applied");
    let reads = "GetRestApis,GetResources,GetAuthorizers,GetGatewayResponses,GetStages,\
                 GetDeployments,GetUsagePlans,GetApiKeys";
    let proxy = QuotaProxy::start(
        &em,
        &[
            "--fault-drop-before",
            "0.3",
            "--fault-ops",
            reads,
            "--fault-seed",
            "3",
        ],
    );
    let o = gwctl(
        &proxy.endpoint(),
        &[
            "plan",
            spec.to_str().unwrap(),
            "--detailed-exitcode",
            "--output",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let stats = proxy.stats();
    let dropped: usize = counts(&stats, "injected", "apigateway").values().sum();
    assert!(dropped >= 1, "{stats}");
    // the eight reads of a plan (see above), each answered once in the end
    assert_eq!(total(&counts(&stats, "calls", "apigateway")), 8);

    // A dropped CreateRestApi is not sent again blindly: each attempt is followed by a look
    // for the API (gwctl::aws::recover); nothing found, it is sent again, a bounded number
    // of times; then the apply stops, and says so.
    let proxy = QuotaProxy::start(
        &em,
        &["--fault-drop-before", "1", "--fault-ops", "CreateRestApi"],
    );
    let other = generate_spec(&dir.path().join("o"), 5, false, "bench-drops-2");
    let o = gwctl(
        &proxy.endpoint(),
        &[
            "apply",
            other.to_str().unwrap(),
            "--yes",
            "--output",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let doc: ApplyDoc = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc.result, "failed");
    let attempts = gwctl::aws::recover::CREATE_ATTEMPTS as usize;
    assert_eq!(doc.calls.by_operation["CreateRestApi"], attempts);
    let injected = counts(&proxy.stats(), "injected", "apigateway");
    assert_eq!(injected["CreateRestApi drop_before"], attempts);
    let calls = counts(&proxy.stats(), "calls", "apigateway");
    // the plan's look for the API, then one look after each lost create
    assert_eq!(calls["GetRestApis"], 1 + attempts, "{calls:?}");
}
