//! Reliability under faults: with 10 % of the calls failing — answered 500, 503 or 429,
//! dropped before they reach the emulator, or dropped *after* it applied them (the create
//! succeeded, gwctl never heard) — repeated applies end with exactly the spec: one API, no
//! duplicated resource, method, statement, key or plan, nothing missing, and a plan with no
//! changes. The faults come from `scripts/quota_proxy.py` (quotas off, fixed seeds); the
//! counts are read straight from the emulator, not through the proxy.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;
use std::time::Instant;

use crate::support;
use crate::support::inventory::{self, Inventory};
use crate::support::quota::{counts, generate_spec, QuotaProxy};
use crate::support::{repo, Emulator, TODO_FUNCTIONS};

/// At most this many applies may be needed to converge (a fault can stop an apply; the
/// next one plans from what is there).
const MAX_APPLIES: usize = 5;

/// 10 % of the calls to API Gateway and Lambda: 2 % each of 500, 503, 429, a connection
/// dropped before forwarding, and one dropped after the emulator applied the call.
pub(crate) fn ten_percent(seed: u64) -> Vec<String> {
    let mut args: Vec<String> = [
        "--no-quotas",
        "--fault-500",
        "0.02",
        "--fault-503",
        "0.02",
        "--fault-429",
        "0.02",
        "--fault-drop-before",
        "0.02",
        "--fault-drop-after",
        "0.02",
        "--fault-services",
        "apigateway,apigatewayv2,lambda",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push("--fault-seed".into());
    args.push(seed.to_string());
    args
}

fn gwctl(endpoint: &str, args: &[&str]) -> Output {
    let mut all = args.to_vec();
    all.extend(["--max-rps", "off"]);
    support::gwctl_command(endpoint, &all)
        .output()
        .expect("run gwctl")
}

/// Apply `spec` through `endpoint` until an apply exits 0, at most [`MAX_APPLIES`] times;
/// the number of applies it took.
fn apply_until_converged(endpoint: &str, spec: &Path) -> usize {
    let mut failures = Vec::new();
    for n in 1..=MAX_APPLIES {
        let started = Instant::now();
        let o = gwctl(endpoint, &["apply", spec.to_str().unwrap(), "--yes"]);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        eprintln!(
            "apply {n} of {}: exit {:?} in {:.1?}",
            spec.display(),
            o.status.code(),
            started.elapsed()
        );
        if o.status.code() == Some(0) {
            return n;
        }
        assert_eq!(o.status.code(), Some(1), "apply {n}:\n{err}");
        let last = err.lines().rfind(|l| l.contains("error"));
        failures.push(last.unwrap_or_default().to_string());
    }
    panic!("no apply of {MAX_APPLIES} converged: {failures:#?}");
}

/// `plan --detailed-exitcode` straight to the emulator: 0 = nothing to change.
fn assert_no_changes(em: &Emulator, spec: &Path) {
    let o = gwctl(
        &em.endpoint(),
        &["plan", spec.to_str().unwrap(), "--detailed-exitcode"],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "plan after converging:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Faults injected, by kind (`drop_after`, `500`, ...), over every service.
fn injected_by_kind(proxy: &QuotaProxy) -> BTreeMap<String, usize> {
    let stats = proxy.stats();
    let mut out = BTreeMap::new();
    for service in ["apigateway", "apigatewayv2", "lambda"] {
        for (k, n) in counts(&stats, "injected", service) {
            let kind = k.rsplit(' ').next().unwrap_or_default().to_string();
            *out.entry(kind).or_default() += n;
        }
    }
    out
}

/// Faults of `kind` injected on creates (`Create*`, `AddPermission`).
fn injected_on_creates(proxy: &QuotaProxy, kind: &str) -> BTreeMap<String, usize> {
    let stats = proxy.stats();
    let mut out = BTreeMap::new();
    for service in ["apigateway", "apigatewayv2", "lambda"] {
        for (k, n) in counts(&stats, "injected", service) {
            if let Some(op) = k.strip_suffix(&format!(" {kind}")) {
                if op.starts_with("Create") || op == "AddPermission" {
                    *out.entry(op.to_string()).or_default() += n;
                }
            }
        }
    }
    out
}

fn todo_expected() -> Inventory {
    let resources: BTreeMap<String, Vec<String>> = [
        ("/todos", &["GET", "POST", "OPTIONS"][..]),
        ("/todos/{id}", &["GET", "PUT", "DELETE", "OPTIONS"][..]),
    ]
    .iter()
    .map(|(p, m)| (p.to_string(), m.iter().map(|s| s.to_string()).collect()))
    .collect();
    Inventory::expected(&resources, TODO_FUNCTIONS, &["prod"])
}

#[tokio::test]
async fn todo_yaml_under_ten_percent_faults_converges_to_exactly_the_spec() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let spec = repo("specs/todo.yaml");
    let args = ten_percent(11);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let proxy = QuotaProxy::start(&em, &args);

    let applies = apply_until_converged(&proxy.endpoint(), &spec);
    let injected = injected_by_kind(&proxy);
    eprintln!("todo.yaml: converged after {applies} apply(s); faults injected: {injected:?}");
    let total: usize = injected.values().sum();
    assert!(total >= 3, "faults injected: {injected:?}");

    let inv = inventory::read(&em, "todo-api", TODO_FUNCTIONS).await;
    assert_eq!(inv.anonymous(), todo_expected());
    assert_no_changes(&em, &spec);
}

/// Every create of an apply (API, resources, permissions, key, plan, stage, deployment)
/// has a 50 % chance of being applied with its answer lost, on top of the 10 % mix: gwctl
/// must find what it made instead of making it twice.
#[tokio::test]
async fn lost_answers_on_creates_are_found_not_duplicated() {
    let em = support::emulator().await;
    let functions = [
        "create-task",
        "list-tasks",
        "get-task",
        "update-task",
        "delete-task",
    ];
    em.create_functions(&functions).await;
    let spec = repo("specs/tasks-apikey.yaml");
    let proxy = QuotaProxy::start(
        &em,
        &[
            "--no-quotas",
            "--fault-drop-after",
            "0.5",
            "--fault-services",
            "apigateway,lambda",
            "--fault-ops",
            "CreateRestApi,CreateResource,AddPermission,CreateApiKey,CreateUsagePlan,\
             CreateUsagePlanKey,CreateStage,CreateDeployment",
            "--fault-seed",
            "5",
        ],
    );
    let applies = apply_until_converged(&proxy.endpoint(), &spec);
    let lost = injected_on_creates(&proxy, "drop_after");
    eprintln!("tasks-apikey.yaml: converged after {applies} apply(s); answers lost: {lost:?}");
    // with a 50 % share over ~15 creates, several of them, of several kinds
    assert!(lost.values().sum::<usize>() >= 4, "{lost:?}");
    assert!(lost.len() >= 3, "{lost:?}");

    let inv = inventory::read(&em, "task-api", &functions).await;
    let resources: BTreeMap<String, Vec<String>> = [
        ("/tasks", &["GET", "POST", "OPTIONS"][..]),
        ("/tasks/{task_id}", &["GET", "PUT", "DELETE", "OPTIONS"][..]),
    ]
    .iter()
    .map(|(p, m)| (p.to_string(), m.iter().map(|s| s.to_string()).collect()))
    .collect();
    let expected = Inventory {
        api_keys: vec!["web-client".into()],
        usage_plans: vec!["basic".into()],
        ..Inventory::expected(&resources, &functions, &["prod"])
    };
    assert_eq!(inv.anonymous(), expected);
    assert_no_changes(&em, &spec);
}

/// The puts AWS refuses to repeat (PutMethod and PutMethodResponse on what exists: 409
/// ConflictException) lose 70 % of their answers after they were applied: the re-sent call is
/// refused by the strict proxy as AWS would, and gwctl must see that what it asked for is
/// there and go on at once: one refused re-send per lost answer (not a round of
/// "concurrent modification" retries), and the first apply succeeds.
#[tokio::test]
async fn lost_answers_on_puts_are_found_not_retried() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let spec = repo("specs/todo.yaml");
    let proxy = QuotaProxy::start(
        &em,
        &[
            "--no-quotas",
            "--fault-drop-after",
            "0.7",
            "--fault-ops",
            "PutMethod,PutMethodResponse",
            "--fault-seed",
            "3",
        ],
    );
    let o = gwctl(
        &proxy.endpoint(),
        &["apply", spec.to_str().unwrap(), "--yes"],
    );
    let stats = proxy.stats();
    let refused = counts(&stats, "refused", "apigateway");
    let lost = counts(&stats, "injected", "apigateway");
    eprintln!("refused: {refused:?}; lost: {lost:?}");
    assert_eq!(
        o.status.code(),
        Some(0),
        "the first apply converges:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for op in ["PutMethod", "PutMethodResponse"] {
        let n_lost = lost.get(&format!("{op} drop_after")).copied().unwrap_or(0);
        let n_refused = refused
            .get(&format!("{op} ConflictException"))
            .copied()
            .unwrap_or(0);
        assert_eq!(
            n_refused, n_lost,
            "{op}: refused {refused:?}, lost {lost:?}"
        );
    }
    // answers were lost and re-sends refused, so the point was made
    assert!(
        lost.get("PutMethod drop_after").copied().unwrap_or(0) >= 1,
        "{lost:?}"
    );
    let inv = inventory::read(&em, "todo-api", TODO_FUNCTIONS).await;
    assert_eq!(inv.anonymous(), todo_expected());
    assert_no_changes(&em, &spec);
}

#[tokio::test]
async fn a_100_route_spec_under_ten_percent_faults_converges_to_exactly_the_spec() {
    let em = support::emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let spec = generate_spec(dir.path(), 100, false, "faults-100");
    let functions = inventory::generated_functions(dir.path());
    let functions: Vec<&str> = functions.iter().map(String::as_str).collect();
    em.create_functions(&functions).await;
    let args = ten_percent(23);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let proxy = QuotaProxy::start(&em, &args);

    let started = Instant::now();
    let applies = apply_until_converged(&proxy.endpoint(), &spec);
    let injected = injected_by_kind(&proxy);
    let lost = injected_on_creates(&proxy, "drop_after");
    eprintln!(
        "100 routes: converged after {applies} apply(s) in {:.1?}; faults injected: \
         {injected:?}; answers lost on creates: {lost:?}",
        started.elapsed()
    );
    // ~600 calls at 10 %: every kind of fault happens
    for kind in ["500", "503", "429", "drop_before", "drop_after"] {
        assert!(
            injected.get(kind).copied().unwrap_or(0) >= 2,
            "{kind}: {injected:?}"
        );
    }

    let inv = inventory::read(&em, "faults-100", &functions).await;
    let resources = inventory::generated_resources(dir.path());
    assert_eq!(resources.len(), 40);
    assert_eq!(
        inv.anonymous(),
        Inventory::expected(&resources, &functions, &["prod"])
    );
    assert_no_changes(&em, &spec);
}

/// A 20-route HTTP API spec over five functions, named `name`; and its sorted route keys.
fn http_spec(dir: &Path, name: &str, functions: &[&str]) -> (std::path::PathBuf, Vec<String>) {
    let mut yaml = format!(
        "version: 1\napi:\n  name: {name}\n  kind: http\ndefault_auth: none\n\
         cors:\n  origins: [https://app.example.com]\nfunctions:\n"
    );
    for f in functions {
        yaml.push_str(&format!("  {f}: {f}\n"));
    }
    yaml.push_str("routes:\n");
    let mut keys = Vec::new();
    for i in 0..20 {
        let (path, method) = if i % 2 == 0 {
            (format!("/r{}", i / 2), "GET")
        } else {
            (format!("/r{}/{{id}}", i / 2), "PUT")
        };
        yaml.push_str(&format!(
            "  - {{path: \"{path}\", method: {method}, function: {}}}\n",
            functions[i % functions.len()]
        ));
        keys.push(format!("{method} {path}"));
    }
    keys.sort();
    yaml.push_str("stages:\n  $default:\n    auto_deploy: true\n");
    let spec = dir.join(format!("{name}.yaml"));
    std::fs::write(&spec, yaml).unwrap();
    (spec, keys)
}

/// One HTTP or WebSocket API named `name` with exactly `keys` as routes, one integration
/// and one statement per function, and an empty plan.
async fn assert_exactly_the_http_spec(
    em: &Emulator,
    spec: &Path,
    name: &str,
    keys: &[String],
    functions: &[&str],
) {
    let c = em.clients().await;
    let apis: Vec<String> = c
        .apigw2
        .get_apis()
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .filter(|a| a.name() == Some(name))
        .filter_map(|a| a.api_id().map(str::to_string))
        .collect();
    assert_eq!(apis.len(), 1, "{name}: {apis:?}");
    let routes = c.apigw2.get_routes().api_id(&apis[0]).send().await.unwrap();
    let mut have: Vec<String> = routes
        .items()
        .iter()
        .filter_map(|r| r.route_key().map(str::to_string))
        .collect();
    have.sort();
    assert_eq!(have, keys, "{name}");
    let integrations = c
        .apigw2
        .get_integrations()
        .api_id(&apis[0])
        .send()
        .await
        .unwrap();
    assert_eq!(integrations.items().len(), functions.len(), "{name}");
    // every function's policy: exactly one gwctl statement, the one for this API
    let statements = inventory::read(em, name, functions).await.statements;
    for f in functions {
        let sids = &statements[*f];
        assert_eq!(sids.len(), 1, "{name} {f}: {sids:?}");
        assert!(sids[0].contains(&apis[0]), "{name} {f}: {sids:?}");
    }
    assert_no_changes(em, spec);
}

/// HTTP APIs (apigatewayv2) under faults: the 10 % mix on a 20-route spec over five
/// functions, then half of every create's answers lost (CreateApi, CreateIntegration,
/// CreateRoute, AddPermission, CreateStage) on a second API. The emulator cannot list HTTP
/// authorizers, so the specs declare none; the authorizer lookup is proven offline
/// (`tests/aws_recover.rs`).
#[tokio::test]
async fn http_apis_under_faults_converge_to_exactly_the_spec() {
    let em = support::emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let args = ten_percent(31);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let proxy = QuotaProxy::start(&em, &args);

    let functions = [
        "http-fn-0",
        "http-fn-1",
        "http-fn-2",
        "http-fn-3",
        "http-fn-4",
    ];
    em.create_functions(&functions).await;
    let (spec, keys) = http_spec(dir.path(), "faults-http", &functions);
    let applies = apply_until_converged(&proxy.endpoint(), &spec);
    let injected = injected_by_kind(&proxy);
    eprintln!("http: converged after {applies} apply(s); faults injected: {injected:?}");
    assert!(injected.values().sum::<usize>() >= 3, "{injected:?}");
    assert_exactly_the_http_spec(&em, &spec, "faults-http", &keys, &functions).await;

    // A second API on other functions, with half of every create's answers lost.
    proxy.reset();
    proxy.set_faults(
        r#"{"share_429": 0, "share_500": 0, "share_503": 0, "share_drop_before": 0,
            "share_drop_after": 0.5, "seed": 9,
            "operations": ["CreateApi", "CreateIntegration", "CreateRoute", "AddPermission",
                           "CreateStage"]}"#,
    );
    let others = [
        "http-fn-5",
        "http-fn-6",
        "http-fn-7",
        "http-fn-8",
        "http-fn-9",
    ];
    em.create_functions(&others).await;
    let (spec, keys) = http_spec(dir.path(), "faults-http-2", &others);
    let applies = apply_until_converged(&proxy.endpoint(), &spec);
    let lost = injected_on_creates(&proxy, "drop_after");
    eprintln!("http creates: converged after {applies} apply(s); answers lost: {lost:?}");
    assert!(lost.values().sum::<usize>() >= 8, "{lost:?}");
    assert!(lost.contains_key("CreateRoute"), "{lost:?}");
    assert_exactly_the_http_spec(&em, &spec, "faults-http-2", &keys, &others).await;
}

/// A 20-route WebSocket API spec over five functions, named `name`; and its sorted route
/// keys (one-way routes: moto cannot list route responses).
fn ws_spec(dir: &Path, name: &str, functions: &[&str]) -> (std::path::PathBuf, Vec<String>) {
    let mut yaml = format!("version: 1\napi:\n  name: {name}\n  kind: websocket\nfunctions:\n");
    for f in functions {
        yaml.push_str(&format!("  {f}: {f}\n"));
    }
    yaml.push_str("routes:\n");
    let mut keys: Vec<String> = ["$connect", "$disconnect", "$default"]
        .iter()
        .map(|k| k.to_string())
        .collect();
    keys.extend((0..17).map(|i| format!("action{i}")));
    for (i, k) in keys.iter().enumerate() {
        yaml.push_str(&format!(
            "  - {{route: {k}, function: {}}}\n",
            functions[i % functions.len()]
        ));
    }
    keys.sort();
    yaml.push_str("stages:\n  prod:\n    auto_deploy: true\n");
    let spec = dir.join(format!("{name}.yaml"));
    std::fs::write(&spec, yaml).unwrap();
    (spec, keys)
}

/// WebSocket APIs under faults, as HTTP APIs above: the 10 % mix on a 20-route spec, then
/// half of every create's answers lost on a second API; each ends with exactly the spec (one
/// API, its route keys once each, one integration and one statement per function, an empty
/// plan).
#[tokio::test]
async fn websocket_apis_under_faults_converge_to_exactly_the_spec() {
    let em = support::emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let args = ten_percent(47);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let proxy = QuotaProxy::start(&em, &args);

    let functions = ["ws-fn-0", "ws-fn-1", "ws-fn-2", "ws-fn-3", "ws-fn-4"];
    em.create_functions(&functions).await;
    let (spec, keys) = ws_spec(dir.path(), "faults-ws", &functions);
    let applies = apply_until_converged(&proxy.endpoint(), &spec);
    let injected = injected_by_kind(&proxy);
    eprintln!("websocket: converged after {applies} apply(s); faults injected: {injected:?}");
    assert!(injected.values().sum::<usize>() >= 3, "{injected:?}");
    assert_exactly_the_http_spec(&em, &spec, "faults-ws", &keys, &functions).await;

    proxy.reset();
    proxy.set_faults(
        r#"{"share_429": 0, "share_500": 0, "share_503": 0, "share_drop_before": 0,
            "share_drop_after": 0.5, "seed": 11,
            "operations": ["CreateApi", "CreateIntegration", "CreateRoute", "AddPermission",
                           "CreateStage"]}"#,
    );
    let others = ["ws-fn-5", "ws-fn-6", "ws-fn-7", "ws-fn-8", "ws-fn-9"];
    em.create_functions(&others).await;
    let (spec, keys) = ws_spec(dir.path(), "faults-ws-2", &others);
    let applies = apply_until_converged(&proxy.endpoint(), &spec);
    let lost = injected_on_creates(&proxy, "drop_after");
    eprintln!("websocket creates: converged after {applies} apply(s); answers lost: {lost:?}");
    assert!(lost.values().sum::<usize>() >= 8, "{lost:?}");
    assert!(lost.contains_key("CreateRoute"), "{lost:?}");
    assert_exactly_the_http_spec(&em, &spec, "faults-ws-2", &keys, &others).await;
}
