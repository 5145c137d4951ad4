//! The benchmark's pieces (scripts/bench/), which scripts/bench.sh runs but CI does not:
//! the baselines do the job gwctl does, the aws-CLI scripts are generated for it, and the
//! benchmark computes the same lower bound as gwctl.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::support;
use crate::support::quota::{counts, generate_spec, python, QuotaProxy};
use crate::support::Emulator;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// The shape of a REST API: per path, per method, the integration type, the integration
/// responses' header names; the customised gateway responses; the stage's logging.
async fn shape(em: &Emulator, name: &str) -> BTreeMap<String, String> {
    let c = em.clients().await;
    let apis = c.apigw.get_rest_apis().limit(500).send().await.unwrap();
    let ids: Vec<String> = apis
        .items()
        .iter()
        .filter(|a| a.name() == Some(name))
        .filter_map(|a| a.id().map(str::to_string))
        .collect();
    assert_eq!(ids.len(), 1, "one API named {name}");
    let id = &ids[0];
    let mut out = BTreeMap::new();
    let res = c
        .apigw
        .get_resources()
        .rest_api_id(id)
        .embed("methods")
        .limit(500)
        .send()
        .await
        .unwrap();
    for r in res.items() {
        for (verb, m) in r.resource_methods().into_iter().flatten() {
            let i = m.method_integration().expect("an integration");
            let mut headers: Vec<String> = i
                .integration_responses()
                .into_iter()
                .flatten()
                .flat_map(|(_, ir)| ir.response_parameters().into_iter().flatten())
                .map(|(k, _)| k.clone())
                .collect();
            headers.sort();
            out.insert(
                format!("{verb} {}", r.path().unwrap()),
                format!(
                    "{} {} {}",
                    i.r#type().unwrap().as_str(),
                    m.authorization_type().unwrap_or(""),
                    headers.join(",")
                ),
            );
        }
    }
    let gr = c
        .apigw
        .get_gateway_responses()
        .rest_api_id(id)
        .send()
        .await
        .unwrap();
    for g in gr.items().iter().filter(|g| !g.default_response()) {
        let mut keys: Vec<&String> = g
            .response_parameters()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
            // gwctl's ownership marker (docs/cors.md) is bookkeeping, not the CORS a
            // baseline has to build
            .filter(|k| !k.eq_ignore_ascii_case("gatewayresponse.header.X-Gwctl-Cors"))
            .collect();
        keys.sort();
        out.insert(
            format!("gateway {}", g.response_type().unwrap().as_str()),
            format!("{keys:?}"),
        );
    }
    let st = c
        .apigw
        .get_stage()
        .rest_api_id(id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    let all = &st.method_settings().unwrap()["*/*"];
    out.insert(
        "stage prod".into(),
        format!("{:?} {}", all.logging_level(), all.metrics_enabled()),
    );
    out
}

fn boto3(endpoint: &str, model: &Path, mode: &str) -> serde_json::Value {
    let out = Command::new(python())
        .arg(Path::new(REPO).join("scripts/bench/baseline_boto3.py"))
        .args(["--model", model.to_str().unwrap(), "--mode", mode])
        .args(["--endpoint", endpoint])
        .env("AWS_ACCESS_KEY_ID", support::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .output()
        .expect("run the boto3 baseline");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn gwctl_apply(endpoint: &str, spec: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_gwctl"))
        .args(["--max-rps", "off", "apply", spec.to_str().unwrap(), "--yes"])
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", support::REGION)
        .env("AWS_ACCESS_KEY_ID", support::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .output()
        .expect("run gwctl");
    assert_eq!(o.status.code(), Some(0), "{o:?}");
}

#[tokio::test]
async fn the_boto3_baseline_builds_what_gwctl_builds_and_reruns_with_per_object_reads() {
    let em = support::emulator().await;
    // 7 routes use 7 functions
    let names: Vec<String> = (0..7).map(|i| format!("bench-fn-{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    em.create_functions(&refs).await;
    let dir = tempfile::tempdir().unwrap();
    let spec = generate_spec(&dir.path().join("a"), 7, false, "bench-same");
    let model = dir.path().join("a/model.json");

    gwctl_apply(&em.endpoint(), &spec);
    let by_gwctl = shape(&em, "bench-same").await;
    // 7 routes, 3 preflights, 2 gateway responses, the stage
    assert_eq!(by_gwctl.len(), 13, "{by_gwctl:#?}");
    assert_eq!(
        by_gwctl["OPTIONS /r0"],
        "MOCK NONE method.response.header.Access-Control-Allow-Headers,\
         method.response.header.Access-Control-Allow-Methods,\
         method.response.header.Access-Control-Allow-Origin,\
         method.response.header.Access-Control-Max-Age"
    );

    em.reset();
    em.create_functions(&refs).await;
    let proxy = QuotaProxy::start(&em, &["--no-quotas"]);
    let created = boto3(&proxy.endpoint(), &model, "create");
    assert_eq!(created["ok"], true);
    assert_eq!(shape(&em, "bench-same").await, by_gwctl);
    let first = proxy.stats();
    assert_eq!(
        counts(&first, "calls", "apigateway")["PutMethod"],
        7 + 3,
        "7 routes and a preflight on each of the 3 resources"
    );
    assert_eq!(counts(&first, "calls", "lambda")["AddPermission"], 7);

    // Re-run: one read per object, nothing created, but a redeployment every time.
    proxy.reset();
    let again = boto3(&proxy.endpoint(), &model, "update");
    assert_eq!(again["ok"], true);
    let ag = counts(&proxy.stats(), "calls", "apigateway");
    assert_eq!(ag["GetMethod"], 7 + 3);
    let writes: BTreeMap<_, _> = ag.iter().filter(|(op, _)| !op.starts_with("Get")).collect();
    assert_eq!(
        writes,
        BTreeMap::from([
            (&"CreateDeployment".to_string(), &1),
            (&"UpdateStage".to_string(), &1)
        ])
    );
}

#[test]
fn the_aws_cli_scripts_make_one_call_per_api_call() {
    let dir = tempfile::tempdir().unwrap();
    generate_spec(dir.path(), 12, true, "bench-cli");
    for script in ["awscli-create.sh", "awscli-update.sh"] {
        let path = dir.path().join(script);
        let ok = Command::new("bash")
            .arg("-n")
            .arg(&path)
            .status()
            .expect("bash");
        assert!(ok.success(), "{script} is not valid bash");
    }
    let create = std::fs::read_to_string(dir.path().join("awscli-create.sh")).unwrap();
    let n = |s: &str, call: &str| s.matches(call).count();
    // 13 routes over 6 resources (5 + 5 + 2 routes, and GET /extra)
    assert_eq!(n(&create, "$AWS apigateway create-resource "), 6);
    assert_eq!(n(&create, "$AWS apigateway put-method "), 13 + 6);
    assert_eq!(n(&create, "$AWS apigateway put-integration-response "), 6);
    assert_eq!(n(&create, "$AWS lambda add-permission "), 10);
    assert_eq!(n(&create, "$AWS apigateway create-deployment "), 1);
    let update = std::fs::read_to_string(dir.path().join("awscli-update.sh")).unwrap();
    assert_eq!(n(&update, "$AWS apigateway get-method "), 13 + 6);
    assert_eq!(n(&update, "$AWS lambda get-policy "), 10);
}

#[test]
fn the_benchmarks_lower_bound_is_gwctls() {
    let cases: Vec<BTreeMap<String, usize>> = vec![
        BTreeMap::from([("PutMethod".into(), 140), ("GetRestApis".into(), 1)]),
        BTreeMap::from([("CreateDeployment".into(), 3)]),
        BTreeMap::from([("CreateResource".into(), 40), ("PutIntegration".into(), 10)]),
        BTreeMap::from([("GetResources".into(), 12)]),
    ];
    for calls in cases {
        let ours = gwctl::aws::pace::lower_bound_seconds(&calls);
        let doc = serde_json::json!({ "apigateway": calls });
        let code = format!(
            "import json,sys; sys.path.insert(0, {dir:?}); import bench, quota_proxy; \
             print(bench.lower_bound(json.loads({doc:?}), quota_proxy.QUOTAS))",
            dir = format!("{REPO}/scripts/bench"),
            doc = doc.to_string()
        );
        let out = Command::new(python())
            .args(["-c", &code])
            .env("PYTHONPATH", format!("{REPO}/scripts"))
            .output()
            .expect("python");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        assert!(
            (ours - theirs).abs() < 1e-9,
            "{calls:?}: {ours} vs {theirs}"
        );
    }
}
