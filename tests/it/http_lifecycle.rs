//! End-to-end tests of `destroy`, `show`, `deploy` and saved plans for HTTP APIs: the real
//! `gwctl` binary against the local emulator (moto), the account read back with the SDK.
//!
//! moto 5.2.5 has no create-deployment for HTTP APIs (404), so a deploy that creates a
//! deployment (stages with auto-deploy off) is covered offline in
//! `tests/aws_http_lifecycle_offline.rs`; here the stages deploy automatically.

use crate::support;
use crate::support::cli::{apply_json, gwctl, ok, repo, text};
use gwctl::cli::lifecycle::{DeployDoc, DestroyDoc, ShowDoc};

fn parse<T: serde::de::DeserializeOwned>(out: &str) -> T {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("JSON: {e}\n{out}"))
}

/// Write calls by operation (reads start with Get/List), sorted by name.
fn writes(by_operation: &std::collections::BTreeMap<String, usize>) -> Vec<(String, usize)> {
    by_operation
        .iter()
        .filter(|(op, _)| !["Get", "List"].iter().any(|p| op.starts_with(p)))
        .map(|(op, n)| (op.clone(), *n))
        .collect()
}

fn w(ops: &[(&str, usize)]) -> Vec<(String, usize)> {
    ops.iter().map(|(o, n)| (o.to_string(), *n)).collect()
}

/// The statement ids in a function's policy (none when it has no policy).
async fn sids(c: &gwctl::aws::Clients, function: &str) -> Vec<String> {
    match c.lambda.get_policy().function_name(function).send().await {
        Ok(p) => gwctl::aws::read::parse_policy(p.policy().unwrap())
            .unwrap()
            .into_iter()
            .map(|s| s.sid)
            .collect(),
        Err(_) => Vec::new(),
    }
}

async fn http_api_ids(c: &gwctl::aws::Clients) -> Vec<String> {
    c.apigw2
        .get_apis()
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .map(|a| a.api_id().unwrap().to_string())
        .collect()
}

/// Delete the route `key` behind gwctl's back.
async fn delete_route(c: &gwctl::aws::Clients, id: &str, key: &str) {
    let routes = c.apigw2.get_routes().api_id(id).send().await.unwrap();
    let route = routes
        .items()
        .iter()
        .find(|r| r.route_key() == Some(key))
        .unwrap();
    c.apigw2
        .delete_route()
        .api_id(id)
        .route_id(route.route_id().unwrap())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn destroy_removes_gwctls_statements_then_the_api_and_is_idempotent() {
    let em = support::emulator().await;
    em.create_functions(&["items-handler"]).await;
    let c = em.clients().await;
    let spec = repo("specs/items-http.yaml");
    let id = apply_json(&em, &spec).api.id.unwrap();
    // A statement someone else added stays.
    c.lambda
        .add_permission()
        .function_name("items-handler")
        .statement_id("someone-else")
        .action("lambda:InvokeFunction")
        .principal("s3.amazonaws.com")
        .send()
        .await
        .unwrap();
    let sid = format!("gwctl-{id}-items-handler");
    assert_eq!(
        sids(&c, "items-handler").await,
        vec![sid.clone(), "someone-else".into()]
    );

    let o = gwctl(
        &em,
        &[
            "destroy",
            spec.to_str().unwrap(),
            "--yes",
            "--output",
            "json",
        ],
    );
    let doc: DestroyDoc = parse(&ok(&o).0);
    assert_eq!(doc.result, "destroyed");
    let api = doc.api.unwrap();
    assert_eq!(
        (api.kind.as_str(), api.id.as_deref()),
        ("http", Some(id.as_str()))
    );
    let changes: Vec<(&str, &str)> = doc
        .changes
        .iter()
        .map(|c| (c.kind.as_str(), c.name.as_str()))
        .collect();
    assert_eq!(
        changes,
        vec![
            ("permission", format!("items-handler ({sid})").as_str()),
            ("http_api", format!("items-api ({id})").as_str()),
        ]
    );
    assert_eq!(
        writes(&doc.calls.by_operation),
        w(&[("DeleteApi", 1), ("RemovePermission", 1)])
    );
    assert!(http_api_ids(&c).await.is_empty());
    assert_eq!(
        sids(&c, "items-handler").await,
        vec!["someone-else".to_string()]
    );

    // Again: nothing to do, not one write.
    let o = gwctl(
        &em,
        &[
            "destroy",
            spec.to_str().unwrap(),
            "--yes",
            "--output",
            "json",
        ],
    );
    let doc: DestroyDoc = parse(&ok(&o).0);
    assert_eq!(doc.result, "absent");
    assert_eq!(doc.calls.writes, 0);
}

#[tokio::test]
async fn destroy_by_id_refuses_an_http_api_gwctl_did_not_create_unless_forced() {
    let em = support::emulator().await;
    let c = em.clients().await;
    let id = c
        .apigw2
        .create_api()
        .name("hand-made")
        .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
        .send()
        .await
        .unwrap()
        .api_id()
        .unwrap()
        .to_string();

    // The id is not a REST API's: gwctl finds it with get-api.
    let o = gwctl(&em, &["destroy", "--api-id", &id, "--yes"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(
        err.contains(&format!(
            "refusing to destroy `hand-made` ({id}): gwctl did not create it"
        )),
        "{err}"
    );
    assert_eq!(http_api_ids(&c).await, vec![id.clone()]);

    let o = gwctl(
        &em,
        &[
            "destroy", "--api-id", &id, "--yes", "--force", "--output", "json",
        ],
    );
    let doc: DestroyDoc = parse(&ok(&o).0);
    assert_eq!(doc.result, "destroyed");
    assert!(!doc.api.unwrap().owned);
    assert_eq!(writes(&doc.calls.by_operation), w(&[("DeleteApi", 1)]));
    assert!(http_api_ids(&c).await.is_empty());

    // An id that is neither kind's: an error naming the id, nothing written.
    let o = gwctl(&em, &["destroy", "--api-id", "nosuchapi0", "--yes"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains("check `--api-id` and the region"), "{err}");
}

#[tokio::test]
async fn show_reports_stages_urls_and_drift_by_spec_name_and_id() {
    let em = support::emulator().await;
    em.create_functions(&["items-handler"]).await;
    let c = em.clients().await;
    let spec = repo("specs/items-http.yaml");
    let id = apply_json(&em, &spec).api.id.unwrap();

    let o = gwctl(&em, &["show", spec.to_str().unwrap(), "--output", "json"]);
    let doc: ShowDoc = parse(&ok(&o).0);
    assert_eq!(doc.api.kind, "http");
    assert_eq!(doc.api.id.as_deref(), Some(id.as_str()));
    assert!(doc.api.owned);
    assert_eq!(doc.drift, Some(0));
    assert_eq!(doc.stages.len(), 1);
    let st = &doc.stages[0];
    assert_eq!(st.name, "$default");
    assert_eq!(
        st.invoke_url,
        format!("https://{id}.execute-api.us-east-1.amazonaws.com")
    );
    assert!(st.auto_deploy && st.current && st.metrics);
    assert_eq!(st.logging_level, "OFF");
    assert_eq!(st.access_log_destination, None);

    // By name and by id, no spec: the same stages, no drift figure.
    for args in [["--api", "items-api"], ["--api-id", id.as_str()]] {
        let o = gwctl(&em, &["show", args[0], args[1], "--output", "json"]);
        let by: ShowDoc = parse(&ok(&o).0);
        assert_eq!(by.stages, doc.stages);
        assert_eq!(by.drift, None);
    }

    // A route deleted behind gwctl's back is drift.
    delete_route(&c, &id, "POST /items").await;
    let o = gwctl(&em, &["show", spec.to_str().unwrap()]);
    let (out, _) = ok(&o);
    assert!(
        out.contains(&format!("api      items-api ({id}), http\n")),
        "{out}"
    );
    assert!(
        out.contains("auto-deploy on: API Gateway deploys every change, metrics on"),
        "{out}"
    );
    assert!(
        out.contains("drift    1 change(s) between the spec and the account"),
        "{out}"
    );
}

#[tokio::test]
async fn deploy_to_an_auto_deploy_stage_says_so_and_creates_a_missing_one() {
    let em = support::emulator().await;
    em.create_functions(&["items-handler"]).await;
    let c = em.clients().await;
    let spec = repo("specs/items-http.yaml");
    let id = apply_json(&em, &spec).api.id.unwrap();

    let o = gwctl(
        &em,
        &[
            "deploy",
            "--stage",
            "$default",
            spec.to_str().unwrap(),
            "--output",
            "json",
        ],
    );
    let doc: DeployDoc = parse(&ok(&o).0);
    assert_eq!(doc.result, "automatic");
    assert_eq!(doc.api.kind, "http");
    assert!(doc.changes.is_empty());
    assert_eq!(doc.calls.writes, 0);
    assert_eq!(doc.deployment_id, None);
    assert_eq!(
        doc.stages[0].invoke_url,
        format!("https://{id}.execute-api.us-east-1.amazonaws.com")
    );
    let o = gwctl(
        &em,
        &["deploy", "--stage", "$default", "--api", "items-api"],
    );
    let (out, _) = ok(&o);
    assert!(
        out.contains("automatic: stage $default of `items-api`"),
        "{out}"
    );

    // A stage the spec declares with auto-deploy on, missing: created, no deployment.
    let dir = tempfile::tempdir().unwrap();
    let preview = dir.path().join("items-http.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(
        &preview,
        text.replace(
            "stages:\n",
            "stages:\n  preview:\n    auto_deploy: true\n    variables: {mode: preview}\n",
        ),
    )
    .unwrap();
    let o = gwctl(
        &em,
        &[
            "deploy",
            "--stage",
            "preview",
            preview.to_str().unwrap(),
            "--output",
            "json",
        ],
    );
    let doc: DeployDoc = parse(&ok(&o).0);
    assert_eq!(doc.result, "deployed");
    assert_eq!(writes(&doc.calls.by_operation), w(&[("CreateStage", 1)]));
    assert_eq!(
        doc.stages[0].invoke_url,
        format!("https://{id}.execute-api.us-east-1.amazonaws.com/preview")
    );
    let stage = c
        .apigw2
        .get_stage()
        .api_id(&id)
        .stage_name("preview")
        .send()
        .await
        .unwrap();
    assert_eq!(stage.auto_deploy(), Some(true));
    assert_eq!(
        stage
            .stage_variables()
            .unwrap()
            .get("mode")
            .map(String::as_str),
        Some("preview")
    );
    // Now it exists and deploys itself: nothing to do.
    let o = gwctl(
        &em,
        &[
            "deploy",
            "--stage",
            "preview",
            preview.to_str().unwrap(),
            "--output",
            "json",
        ],
    );
    let doc: DeployDoc = parse(&ok(&o).0);
    assert_eq!((doc.result.as_str(), doc.calls.writes), ("automatic", 0));
}

/// `plan --out FILE` / `apply FILE` for an HTTP API: the file holds the HTTP ops; applying it
/// makes exactly them; a plan made stale by a change in between is refused with no write.
#[tokio::test]
async fn saved_http_plans_apply_exactly_and_refuse_when_stale() {
    let em = support::emulator().await;
    em.create_functions(&["items-handler"]).await;
    let c = em.clients().await;
    let spec = repo("specs/items-http.yaml");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("items.plan");
    let f = file.to_str().unwrap();

    ok(&gwctl(&em, &["plan", spec.to_str().unwrap(), "--out", f]));
    let pf: gwctl::cli::planfile::PlanFile =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(pf.kind, "http");
    assert!(pf.ops.is_empty());
    assert_eq!(pf.api_id, None);
    let http_ops: Vec<gwctl::plan::HttpOp> =
        serde_json::from_value(serde_json::Value::Array(pf.kind_ops["http_ops"].clone())).unwrap();
    let first: Vec<&str> = http_ops.iter().map(|o| o.aws_name()).collect();
    assert_eq!(first[0], "CreateApi");
    assert_eq!(first.len(), 9, "{first:?}");

    let doc = apply_json(&em, &file);
    assert_eq!(
        (doc.result.as_str(), doc.api.kind.as_str()),
        ("applied", "http")
    );
    assert_eq!(doc.calls.writes, 9);
    let id = doc.api.id.unwrap();
    assert_eq!(http_api_ids(&c).await, vec![id.clone()]);

    // A plan of the converged API, then a route deleted behind gwctl's back: stale.
    ok(&gwctl(&em, &["plan", spec.to_str().unwrap(), "--out", f]));
    delete_route(&c, &id, "GET /items").await;
    let o = gwctl(&em, &["apply", f, "--output", "json"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("refusing to apply a stale plan"), "{err}");
    let count = |c: gwctl::aws::Clients, id: String| async move {
        c.apigw2
            .get_routes()
            .api_id(id)
            .send()
            .await
            .unwrap()
            .items()
            .len()
    };
    assert_eq!(count(c.clone(), id.clone()).await, 3, "nothing was written");

    // A new plan puts the route back, exactly.
    ok(&gwctl(&em, &["plan", spec.to_str().unwrap(), "--out", f]));
    let doc = apply_json(&em, &file);
    assert_eq!(writes(&doc.calls.by_operation), w(&[("CreateRoute", 1)]));
    assert_eq!(count(c.clone(), id.clone()).await, 4);
}
