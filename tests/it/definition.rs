//! The definition path (`gwctl apply --definition`) on LocalStack, which implements
//! PutRestApi, behind the strict quota proxy with the published quotas: a new REST API is
//! created with its ownership tag, given its whole definition in one PutRestApi, and
//! completed by the ordinary planner; the result is the granular path's, object for object,
//! and a run killed between the create and the put converges.
//!
//! Needs LocalStack (`scripts/localstack.sh install`); fails (never skips) without it.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support;
use crate::support::localstack::{self, LocalStack};
use crate::support::quota::{counts, generate_spec, QuotaProxy};
use crate::support::stdout_ok;
use gwctl::output::ApplyDoc;
use gwctl::state::rest::ObservedRestApi;

const FUNCTIONS: usize = 10;

async fn functions(ls: &LocalStack) {
    let names: Vec<String> = (0..FUNCTIONS).map(|i| format!("bench-fn-{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    ls.create_functions(&refs).await;
}

fn apply(endpoint: &str, spec: &Path, extra: &[&str]) -> ApplyDoc {
    let mut args = vec!["apply", spec.to_str().unwrap(), "--yes", "--output", "json"];
    args.extend_from_slice(extra);
    let out = stdout_ok(&support::gwctl_at(endpoint, &args));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("apply JSON: {e}\n{out}"))
}

/// `plan --detailed-exitcode` says there is nothing to do (exit 0).
#[track_caller]
fn assert_plan_empty(endpoint: &str, spec: &Path) {
    let out = support::gwctl_at(
        endpoint,
        &["plan", spec.to_str().unwrap(), "--detailed-exitcode"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "plan after apply is not empty:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The API as gwctl reads it, with what differs between two APIs by construction (ids,
/// name, the deployment's id and time) taken out, for an object-for-object comparison.
async fn inventory(ls: &LocalStack, id: &str) -> serde_json::Value {
    let api: ObservedRestApi = gwctl::aws::read::rest::read_rest_api(&ls.clients().await, id)
        .await
        .expect("read the api");
    let stages: BTreeMap<String, _> = api
        .stages
        .iter()
        .map(|(name, s)| {
            let served = s
                .deployment_id
                .as_ref()
                .and_then(|d| api.deployments.get(d))
                .and_then(|d| d.description.clone());
            (name.clone(), (served, s.settings.clone()))
        })
        .collect();
    let mut tags = api.tags.clone();
    tags.remove("Name");
    serde_json::json!({
        "config": gwctl::state::rest::RestApi { name: String::new(), ..api.config.clone() },
        "resources": api.resource_ids.keys().collect::<Vec<_>>(),
        "authorizers": api.authorizer_ids.keys().collect::<Vec<_>>(),
        "stages": stages,
        "deployments": api.deployments.len(),
        "tags": tags,
    })
}

fn api_gateway_calls(proxy: &QuotaProxy) -> (BTreeMap<String, usize>, usize) {
    let stats = proxy.stats();
    let throttled: usize = counts(&stats, "throttled", "apigateway").values().sum();
    (counts(&stats, "calls", "apigateway"), throttled)
}

fn writes(calls: &BTreeMap<String, usize>) -> BTreeMap<String, usize> {
    calls
        .iter()
        .filter(|(k, _)| !k.starts_with("Get"))
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn definition_path_builds_the_granular_api_of_30_routes_with_cors_in_few_calls() {
    let ls = localstack::start().await;
    functions(&ls).await;
    let dir = tempfile::tempdir().unwrap();
    let gran = generate_spec(&dir.path().join("g"), 30, false, "definition-granular-30");
    let def = generate_spec(&dir.path().join("d"), 30, false, "definition-put-30");
    let proxy = QuotaProxy::start_upstream(&ls.endpoint(), &[]);

    let g = apply(&proxy.endpoint(), &gran, &[]);
    let (g_calls, g_throttled) = api_gateway_calls(&proxy);
    proxy.reset();
    let started = Instant::now();
    let d = apply(&proxy.endpoint(), &def, &["--definition"]);
    let d_wall = started.elapsed();
    let (d_calls, d_throttled) = api_gateway_calls(&proxy);
    eprintln!(
        "granular: {} calls; definition: {} calls in {d_wall:?}",
        g_calls.values().sum::<usize>(),
        d_calls.values().sum::<usize>()
    );
    assert_eq!(
        (g_throttled, d_throttled),
        (0, 0),
        "no 429 reaches gwctl's budget"
    );

    // The definition made every resource and method (those of `/rG/{id}` too: they declare
    // `id`, as gwctl's put-method does, see `Mode::Body`); what is left granular is the
    // gateway responses (LocalStack's importer skips them), the stage and the deployment.
    let w = writes(&d_calls);
    let want = |list: &[(&str, usize)]| -> BTreeMap<String, usize> {
        list.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    };
    assert_eq!(
        w,
        want(&[
            ("CreateRestApi", 1),
            ("PutRestApi", 1),
            ("PutGatewayResponse", 2),
            ("CreateDeployment", 1),
            ("CreateStage", 1),
            ("UpdateStage", 1),
        ])
    );
    // The granular path: 12 resources and 42 methods, one by one.
    assert_eq!(
        writes(&g_calls),
        want(&[
            ("CreateRestApi", 1),
            ("CreateResource", 12),
            ("PutMethod", 42),
            ("PutIntegration", 42),
            ("PutMethodResponse", 12),
            ("PutIntegrationResponse", 12),
            ("PutGatewayResponse", 2),
            ("CreateDeployment", 1),
            ("CreateStage", 1),
            ("UpdateStage", 1),
        ])
    );

    assert_plan_empty(&proxy.endpoint(), &def);
    assert_plan_empty(&proxy.endpoint(), &gran);
    let (gi, di) = (g.api.id.unwrap(), d.api.id.unwrap());
    assert_eq!(inventory(&ls, &gi).await, inventory(&ls, &di).await);
}

/// `apply --definition` of `spec` through `cut` (whose faults catch the PutRestApi),
/// SIGKILLed as soon as the proxy injected a fault into its PutRestApi.
fn apply_killed_at_the_put(cut: &QuotaProxy, spec: &Path) {
    use std::io::BufRead;
    let mut child = support::gwctl_command(
        &cut.endpoint(),
        &["apply", spec.to_str().unwrap(), "--yes", "--definition"],
    )
    .spawn()
    .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = std::io::BufReader::new(stderr).lines();
    loop {
        let line = lines
            .next()
            .expect("gwctl ended before creating the api")
            .unwrap();
        if line.contains("CreateRestApi") {
            break;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while counts(&cut.stats(), "injected", "apigateway").is_empty() {
        assert!(Instant::now() < deadline, "no PutRestApi was sent");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread")]
async fn definition_path_killed_between_create_and_put_converges() {
    let ls = localstack::start().await;
    functions(&ls).await;
    let dir = tempfile::tempdir().unwrap();
    let spec = generate_spec(&dir.path().join("k"), 10, false, "definition-killed-10");
    // Every PutRestApi is dropped before it reaches LocalStack (gwctl retries it, as it
    // does any call that got no answer): the run is killed while the api exists, tagged and
    // empty, the state a kill between the create and the put leaves.
    let cut = QuotaProxy::start_upstream(
        &ls.endpoint(),
        &["--fault-ops", "PutRestApi", "--fault-drop-before", "1"],
    );
    apply_killed_at_the_put(&cut, &spec);
    let stats = cut.stats();
    let calls = counts(&stats, "calls", "apigateway");
    assert_eq!(calls.get("CreateRestApi"), Some(&1), "{calls:?}");
    assert_eq!(calls.get("PutRestApi"), None, "{calls:?}");
    assert!(
        counts(&stats, "injected", "apigateway").contains_key("PutRestApi drop_before"),
        "{stats}"
    );

    // The next run finds the api by its tag and completes it; nothing is duplicated.
    let proxy = QuotaProxy::start_upstream(&ls.endpoint(), &[]);
    let doc = apply(&proxy.endpoint(), &spec, &["--definition"]);
    let (calls, _) = api_gateway_calls(&proxy);
    assert_eq!(calls.get("CreateRestApi"), None, "{calls:?}");
    // An API that exists is never given a definition: what is missing is put granularly.
    assert_eq!(calls.get("PutRestApi"), None, "{calls:?}");
    let found = gwctl::aws::read::rest::find_rest_apis(&ls.clients().await, "definition-killed-10")
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "one api of that name");
    assert_eq!(Some(found[0].id.clone()), doc.api.id);
    assert_plan_empty(&proxy.endpoint(), &spec);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_definition_continues_granularly_and_says_so_in_one_line() {
    let ls = localstack::start().await;
    functions(&ls).await;
    let dir = tempfile::tempdir().unwrap();
    let spec = generate_spec(&dir.path().join("r"), 5, false, "definition-refused-5");
    let proxy = QuotaProxy::start_upstream(
        &ls.endpoint(),
        &["--fault-ops", "PutRestApi", "--fault-500", "1"],
    );
    let out = support::gwctl_at(
        &proxy.endpoint(),
        &["apply", spec.to_str().unwrap(), "--yes", "--definition"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let refused: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("PutRestApi refused the definition"))
        .collect();
    assert_eq!(refused.len(), 1, "{err}");
    assert!(
        refused[0].ends_with("continuing granularly from what exists"),
        "{err}"
    );
    // Everything was made granularly: 2 resources, 7 methods (5 routes, 2 preflights).
    let (calls, _) = api_gateway_calls(&proxy);
    let w = writes(&calls);
    assert_eq!(w.get("CreateResource"), Some(&2), "{w:?}");
    assert_eq!(w.get("PutMethod"), Some(&7), "{w:?}");
    assert_plan_empty(&proxy.endpoint(), &spec);
}

/// HTTP APIs have no definition path (no emulator here implements ImportApi): with
/// `--definition` a new HTTP API is made with exactly the granular calls.
#[tokio::test]
async fn http_apis_are_created_granularly_with_or_without_definition() {
    use crate::support::cli::{apply_json, writes};
    let em = support::emulator().await;
    em.create_functions(&["items-handler"]).await;
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(support::repo("specs/items-http.yaml")).unwrap();
    let named = |name: &str| {
        support::cli::write(
            &dir,
            &format!("{name}.yaml"),
            &text.replacen("name: items-api", &format!("name: {name}"), 1),
        )
    };
    let granular = apply_json(&em, &named("items-granular"));
    let spec = named("items-definition");
    let out = stdout_ok(&support::gwctl_at(
        &em.endpoint(),
        &[
            "apply",
            spec.to_str().unwrap(),
            "--yes",
            "--definition",
            "--output",
            "json",
        ],
    ));
    let definition: ApplyDoc = serde_json::from_str(&out).unwrap();
    assert_eq!(writes(&definition), writes(&granular));
    assert!(!writes(&definition).is_empty());
}

/// A 30-route spec with what a body can and cannot carry: templated paths at several
/// depths (`/gG/{id}`, `/gG/{id}/items/{item}`, `/files/{proxy+}`), a TOKEN authorizer,
/// API-key routes with a key and a usage plan, CORS (preflights and gateway responses),
/// binary media types and request parameters. Key and plan names carry the API's name, so
/// two of them live side by side in one account.
fn rich_spec(dir: &Path, name: &str) -> std::path::PathBuf {
    let mut routes = String::new();
    for g in 0..5 {
        let f = |i: usize| format!("f{}", (g * 6 + i) % 8);
        routes += &format!(
            "  - {{path: /g{g}, method: GET, function: {}}}\n\
             \x20 - {{path: /g{g}, method: POST, function: {}, auth: tok}}\n\
             \x20 - {{path: \"/g{g}/{{id}}\", method: GET, function: {}, api_key_required: true}}\n\
             \x20 - {{path: \"/g{g}/{{id}}\", method: PUT, function: {}, auth: tok, api_key_required: true}}\n\
             \x20 - {{path: \"/g{g}/{{id}}/items/{{item}}\", method: GET, function: {}, request_parameters: {{method.request.querystring.page: false, method.request.header.X-Trace: true}}}}\n",
            f(0),
            f(1),
            f(2),
            f(3),
            f(4)
        );
        if g < 4 {
            routes += &format!(
                "  - {{path: \"/g{g}/{{id}}/items/{{item}}\", method: DELETE, function: {}, request_parameters: {{method.request.path.item: true}}}}\n",
                f(5)
            );
        } else {
            routes += "  - {path: \"/files/{proxy+}\", method: ANY, function: f7}\n";
        }
    }
    let text = format!(
        "version: 1\n\
         api:\n  name: {name}\n  kind: rest\n  description: both paths, one API\n  api_key_source: HEADER\n  binary_media_types: [image/png, application/octet-stream]\n\
         functions:\n{fns}  auth: bench-fn-9\n\
         authorizers:\n  tok:\n    type: token\n    function: auth\n    identity_source: method.request.header.Authorization\n    ttl: 300\n\
         default_auth: none\n\
         cors:\n  origins: [\"https://app.example\"]\n  headers: [Content-Type, Authorization, X-Api-Key]\n\
         routes:\n{routes}\
         stages:\n  prod: {{description: production}}\n\
         api_keys:\n  {name}-key: {{description: the key, enabled: true}}\n\
         usage_plans:\n  {name}-plan:\n    stages: [prod]\n    keys: [{name}-key]\n    throttle: {{rate: 10, burst: 20}}\n",
        fns = (0..8)
            .map(|i| format!("  f{i}: bench-fn-{i}\n"))
            .collect::<String>(),
    );
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("spec.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Issue 17: the definition path and the granular path build the same API object for
/// object from a spec with templated paths, an authorizer, API keys, CORS and binary
/// media types; the definition path puts every method in its one PutRestApi, and both
/// re-plan empty.
#[tokio::test(flavor = "multi_thread")]
async fn both_paths_build_the_same_api_with_authorizers_keys_cors_and_templated_paths() {
    let ls = localstack::start().await;
    functions(&ls).await;
    let dir = tempfile::tempdir().unwrap();
    let gran = rich_spec(&dir.path().join("g"), "definition-rich-granular");
    let def = rich_spec(&dir.path().join("d"), "definition-rich-put");
    let proxy = QuotaProxy::start_upstream(&ls.endpoint(), &[]);

    let g = apply(&proxy.endpoint(), &gran, &[]);
    let (g_calls, g_throttled) = api_gateway_calls(&proxy);
    proxy.reset();
    let d = apply(&proxy.endpoint(), &def, &["--definition"]);
    let (d_calls, d_throttled) = api_gateway_calls(&proxy);
    assert_eq!((g_throttled, d_throttled), (0, 0));
    let w = writes(&d_calls);
    for granular_only in [
        "CreateResource",
        "PutMethod",
        "PutIntegration",
        "PutMethodResponse",
        "PutIntegrationResponse",
        "CreateAuthorizer",
    ] {
        assert_eq!(w.get(granular_only), None, "{granular_only}: {w:?}");
    }
    assert_eq!(writes(&g_calls).get("PutMethod"), Some(&(30 + 16)));

    assert_plan_empty(&proxy.endpoint(), &def);
    assert_plan_empty(&proxy.endpoint(), &gran);
    let (gi, di) = (g.api.id.unwrap(), d.api.id.unwrap());
    let (gi, di) = (inventory(&ls, &gi).await, inventory(&ls, &di).await);
    // The comparison covers what the spec makes: spot-check that it is there.
    let api = &di["config"];
    assert_eq!(
        api["binary_media_types"],
        serde_json::json!(["application/octet-stream", "image/png"])
    );
    assert!(api["authorizers"]["tok"].is_object(), "{api}");
    assert_eq!(api["gateway_responses"].as_object().unwrap().len(), 2);
    let put = &api["resources"]["/g1/{id}"]["methods"]["PUT"];
    assert_eq!(put["authorization_type"], "CUSTOM");
    assert_eq!(put["api_key_required"], true);
    assert_eq!(
        put["request_parameters"],
        serde_json::json!({"method.request.path.id": true})
    );
    assert_eq!(
        api["resources"]["/g1/{id}/items/{item}"]["methods"]["GET"]["request_parameters"],
        serde_json::json!({
            "method.request.header.X-Trace": true,
            "method.request.path.id": true,
            "method.request.path.item": true,
            "method.request.querystring.page": false,
        })
    );
    assert_eq!(gi, di);
}

/// gwctl's statements for API `id` in each function's policy (other tests' APIs share the
/// functions on this LocalStack).
async fn statements_of(ls: &LocalStack, id: &str, functions: &[String]) -> BTreeMap<String, usize> {
    let c = ls.clients().await;
    let mut out = BTreeMap::new();
    for f in functions {
        let policy = c.lambda.get_policy().function_name(f).send().await;
        let n = policy
            .ok()
            .and_then(|p| p.policy().map(str::to_string))
            .map(|p| {
                let v: serde_json::Value = serde_json::from_str(&p).unwrap();
                v["Statement"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter(|s| {
                                s["Sid"]
                                    .as_str()
                                    .is_some_and(|s| s.starts_with(&format!("gwctl-{id}-")))
                            })
                            .count()
                    })
                    .unwrap_or(0)
            })
            .unwrap_or(0);
        out.insert(f.clone(), n);
    }
    out
}

/// Exactly the generated spec in `dir`, named `name`: one API, every path once with exactly
/// its methods (preflights included), the stage, one statement per function, an empty plan.
async fn assert_exactly_the_generated_spec(ls: &LocalStack, dir: &Path, name: &str) {
    use crate::support::inventory::{self, Inventory};
    let inv = inventory::read_from(&ls.clients().await, name, &[]).await;
    let resources = inventory::generated_resources(dir);
    assert_eq!(inv, Inventory::expected(&resources, &[], &["prod"]));
    let found = gwctl::aws::read::rest::find_rest_apis(&ls.clients().await, name)
        .await
        .unwrap();
    let functions = inventory::generated_functions(dir);
    let want: BTreeMap<String, usize> = functions.iter().map(|f| (f.clone(), 1)).collect();
    assert_eq!(statements_of(ls, &found[0].id, &functions).await, want);
    assert_plan_empty(&ls.endpoint(), &dir.join("spec.yaml"));
}

/// docs/reliability.md's fault row on the definition path: 10 % of the calls to API Gateway
/// and Lambda fail (2 % each of 500, 503, 429, dropped before reaching LocalStack, dropped
/// after LocalStack applied them). Applies with `--definition` until one exits 0 (at most 5)
/// end with exactly the spec. (A lost PutRestApi answer is `definition_path_killed_mid_put_
/// converges`; a refused one `a_refused_definition_continues_granularly_...`.)
#[tokio::test(flavor = "multi_thread")]
async fn definition_path_under_faults_converges_to_exactly_the_spec() {
    let ls = localstack::start().await;
    functions(&ls).await;
    let dir = tempfile::tempdir().unwrap();
    let spec = generate_spec(dir.path(), 30, false, "definition-faults-30");
    let args = crate::faults::ten_percent(17);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let proxy = QuotaProxy::start_upstream(&ls.endpoint(), &args);
    let mut applies = 0;
    loop {
        applies += 1;
        assert!(applies <= 5, "no apply of 5 converged");
        let o = support::gwctl_at(
            &proxy.endpoint(),
            &[
                "apply",
                spec.to_str().unwrap(),
                "--yes",
                "--definition",
                "--max-rps",
                "off",
            ],
        );
        if o.status.code() == Some(0) {
            break;
        }
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let stats = proxy.stats();
    let calls = counts(&stats, "calls", "apigateway");
    assert!(
        calls.contains_key("PutRestApi"),
        "the definition path ran: {calls:?}"
    );
    let mut injected = counts(&stats, "injected", "apigateway");
    injected.extend(counts(&stats, "injected", "lambda"));
    eprintln!("converged after {applies} apply(s); injected: {injected:?}");
    assert!(injected.values().sum::<usize>() >= 3, "{injected:?}");
    assert_exactly_the_generated_spec(&ls, dir.path(), "definition-faults-30").await;
}

/// docs/reliability.md's SIGKILL row on the definition path, mid-put: LocalStack applies the
/// PutRestApi but its answer never comes back, and the run is killed while it waits. The
/// next apply finds the API by its tag (no second create, no second put) and completes only
/// what the body does not carry.
#[tokio::test(flavor = "multi_thread")]
async fn definition_path_killed_mid_put_converges() {
    let ls = localstack::start().await;
    functions(&ls).await;
    let dir = tempfile::tempdir().unwrap();
    let spec = generate_spec(dir.path(), 10, false, "definition-midput-10");
    let cut = QuotaProxy::start_upstream(
        &ls.endpoint(),
        &["--fault-ops", "PutRestApi", "--fault-drop-after", "1"],
    );
    apply_killed_at_the_put(&cut, &spec);
    let stats = cut.stats();
    let calls = counts(&stats, "calls", "apigateway");
    assert_eq!(calls.get("CreateRestApi"), Some(&1), "{calls:?}");
    // Forwarded to LocalStack, applied there, and the answer dropped (not in `calls`).
    assert!(
        counts(&stats, "injected", "apigateway").contains_key("PutRestApi drop_after"),
        "{stats}"
    );
    assert_eq!(
        calls.get("CreateDeployment"),
        None,
        "killed mid-put: {calls:?}"
    );

    let proxy = QuotaProxy::start_upstream(&ls.endpoint(), &[]);
    apply(&proxy.endpoint(), &spec, &["--definition"]);
    let (calls, throttled) = api_gateway_calls(&proxy);
    assert_eq!(throttled, 0);
    // The body was applied: only what it does not carry is left.
    let want: BTreeMap<String, usize> = [
        ("PutGatewayResponse", 2),
        ("CreateDeployment", 1),
        ("CreateStage", 1),
        ("UpdateStage", 1),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), *v))
    .collect();
    assert_eq!(writes(&calls), want);
    assert_exactly_the_generated_spec(&ls, dir.path(), "definition-midput-10").await;
}
