//! End-to-end tests of the REST verbs, run as a user would: the real `gwctl` binary against
//! the local emulator (exit code, stdout, stderr), with the account read back through the SDK.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support;
use crate::support::{repo, Emulator, TODO_FUNCTIONS};
use gwctl::cli::lifecycle::{DeployDoc, DestroyDoc, ShowDoc};
use gwctl::output::{ApplyDoc, PlanDoc};

/// Run gwctl against the emulator with dummy credentials and no profile.
fn gwctl(em: &Emulator, args: &[&str]) -> Output {
    support::gwctl_at(&em.endpoint(), args)
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn ok(o: &Output) -> (String, String) {
    let (out, err) = text(o);
    assert_eq!(o.status.code(), Some(0), "stdout:\n{out}\nstderr:\n{err}");
    (out, err)
}

fn apply_json(em: &Emulator, spec: &Path) -> ApplyDoc {
    let o = gwctl(
        em,
        &["apply", spec.to_str().unwrap(), "--yes", "--output", "json"],
    );
    let (out, _) = ok(&o);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("apply JSON: {e}\n{out}"))
}

fn writes(doc: &ApplyDoc) -> Vec<(String, usize)> {
    doc.calls
        .by_operation
        .iter()
        .filter(|(op, _)| !["Get", "List"].iter().any(|p| op.starts_with(p)))
        .map(|(op, n)| (op.clone(), *n))
        .collect()
}

fn n(doc: &ApplyDoc, op: &str) -> usize {
    doc.calls.by_operation.get(op).copied().unwrap_or(0)
}

/// Copy of specs/todo.yaml with `edit` applied, in a temp dir.
fn todo_variant(dir: &tempfile::TempDir, file: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let text = std::fs::read_to_string(repo("specs/todo.yaml")).unwrap();
    let p = dir.path().join(file);
    std::fs::write(&p, edit(text)).unwrap();
    p
}

async fn rest_api_ids(em: &Emulator, name: &str) -> Vec<String> {
    let c = em.clients().await;
    let out = c.apigw.get_rest_apis().limit(500).send().await.unwrap();
    out.items()
        .iter()
        .filter(|a| a.name() == Some(name))
        .filter_map(|a| a.id().map(str::to_string))
        .collect()
}

async fn policy_sids(em: &Emulator, function: &str) -> Vec<String> {
    let c = em.clients().await;
    match c.lambda.get_policy().function_name(function).send().await {
        Ok(out) => {
            let v: serde_json::Value = serde_json::from_str(out.policy().unwrap_or("{}")).unwrap();
            v["Statement"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s["Sid"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        }
        Err(_) => vec![],
    }
}

#[tokio::test]
async fn first_apply_of_todo_builds_the_api_and_the_second_makes_no_write() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let spec = repo("specs/todo.yaml");

    let first = apply_json(&em, &spec);
    assert_eq!(first.result, "applied");
    assert_eq!(first.schema_version, 1);
    assert_eq!(n(&first, "CreateRestApi"), 1);
    assert_eq!(n(&first, "CreateResource"), 2);
    assert_eq!(n(&first, "PutMethod"), 7, "5 routes + 2 OPTIONS");
    assert_eq!(n(&first, "AddPermission"), 5);
    assert_eq!(n(&first, "CreateDeployment"), 1);
    let api_id = first.api.id.clone().unwrap();
    assert_eq!(first.stages.len(), 1);
    let prod = &first.stages[0];
    assert_eq!(
        prod.invoke_url,
        format!("https://{api_id}.execute-api.us-east-1.amazonaws.com/prod")
    );
    assert_eq!(prod.logging_level, "INFO");
    assert!(prod.metrics);

    // Read the account back with the SDK: exactly what the seed builds by hand.
    assert_eq!(rest_api_ids(&em, "todo-api").await, vec![api_id.clone()]);
    let c = em.clients().await;
    let res = c
        .apigw
        .get_resources()
        .rest_api_id(&api_id)
        .embed("methods")
        .send()
        .await
        .unwrap();
    let mut paths: Vec<&str> = res.items().iter().filter_map(|r| r.path()).collect();
    paths.sort();
    assert_eq!(paths, vec!["/", "/todos", "/todos/{id}"]);
    for r in res.items() {
        let Some(methods) = r.resource_methods() else {
            continue;
        };
        for (verb, m) in methods {
            let integ = m.method_integration().expect("integration");
            if verb == "OPTIONS" {
                assert_eq!(integ.r#type().map(|t| t.as_str()), Some("MOCK"));
                let ir = &integ.integration_responses().unwrap()["200"];
                let params = ir.response_parameters().unwrap();
                assert_eq!(
                    params["method.response.header.Access-Control-Allow-Origin"],
                    "'http://localhost:3000'"
                );
                assert!(params.contains_key("method.response.header.Access-Control-Allow-Methods"));
                assert_eq!(m.authorization_type(), Some("NONE"));
            } else {
                assert_eq!(integ.r#type().map(|t| t.as_str()), Some("AWS_PROXY"));
                assert_eq!(integ.http_method(), Some("POST"));
                assert!(integ.uri().unwrap().ends_with("/invocations"));
            }
        }
    }
    for f in TODO_FUNCTIONS {
        let sids = policy_sids(&em, f).await;
        assert_eq!(sids, vec![format!("gwctl-{api_id}-{f}")], "{f}");
    }
    let deps = c
        .apigw
        .get_deployments()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap();
    assert_eq!(deps.items().len(), 1);
    let stage = c
        .apigw
        .get_stage()
        .rest_api_id(&api_id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    let all = &stage.method_settings().unwrap()["*/*"];
    assert_eq!(all.logging_level(), Some("INFO"));
    assert!(all.metrics_enabled());

    // Second apply: no write at all.
    let second = apply_json(&em, &spec);
    assert_eq!(second.result, "no_changes");
    assert_eq!(second.calls.writes, 0, "{:?}", writes(&second));
    assert!(second.changes.is_empty());
    assert_eq!(rest_api_ids(&em, "todo-api").await.len(), 1);

    // And plan agrees: exit 0 with --detailed-exitcode, no write.
    let o = gwctl(
        &em,
        &["plan", spec.to_str().unwrap(), "--detailed-exitcode"],
    );
    let (out, _) = ok(&o);
    assert!(out.contains("No changes"), "{out}");
}

#[tokio::test]
async fn text_report_prints_the_invoke_url_on_stdout_and_progress_on_stderr() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let o = gwctl(
        &em,
        &["apply", repo("specs/todo.yaml").to_str().unwrap(), "--yes"],
    );
    let (out, err) = ok(&o);
    assert!(out.contains("+ method GET /todos"), "{out}");
    assert!(
        out.contains(".execute-api.us-east-1.amazonaws.com/prod"),
        "{out}"
    );
    assert!(out.contains("logging INFO"), "{out}");
    assert!(
        err.contains("[1/"),
        "plain progress lines without a terminal: {err}"
    );
    assert!(
        !err.contains('\u{1b}'),
        "no control characters without a terminal"
    );
    assert!(!out.contains("[1/"), "progress never on stdout");
}

#[tokio::test]
async fn changing_one_routes_function_changes_only_that_integration_and_permission() {
    let em = support::emulator().await;
    let mut fns = TODO_FUNCTIONS.to_vec();
    fns.push("todo-get-v2");
    em.create_functions(&fns).await;
    let dir = tempfile::tempdir().unwrap();
    let first = apply_json(&em, &todo_variant(&dir, "v1.yaml", |t| t));
    let api_id = first.api.id.unwrap();

    let changed = todo_variant(&dir, "v2.yaml", |t| {
        t.replace("todo-get: todo-get", "todo-get: todo-get-v2")
    });
    let doc = apply_json(&em, &changed);
    // create-deployment moves the stage itself (stageName). The strict proxy in front of
    // moto does that as AWS does (moto alone replaces the stage, settings lost, and gwctl
    // restores them with one UpdateStage: only with GWCTL_EMULATOR_LENIENT).
    let mut expected = vec![
        ("AddPermission".to_string(), 1),
        ("CreateDeployment".to_string(), 1),
        ("PutIntegration".to_string(), 1),
        ("RemovePermission".to_string(), 1),
    ];
    if support::lenient() {
        expected.push(("UpdateStage".to_string(), 1));
    }
    assert_eq!(writes(&doc), expected);
    let prod = &doc.stages[0];
    assert_eq!(prod.name, "prod");
    assert_eq!(prod.logging_level, "INFO", "{prod:?}");
    assert!(prod.metrics, "{prod:?}");
    assert!(prod.deployment_id.is_some());
    assert_ne!(
        prod.deployment_id, first.stages[0].deployment_id,
        "the new deployment"
    );
    assert_eq!(policy_sids(&em, "todo-get").await, Vec::<String>::new());
    assert_eq!(
        policy_sids(&em, "todo-get-v2").await,
        vec![format!("gwctl-{api_id}-todo-get-v2")]
    );
    let again = apply_json(&em, &changed);
    assert_eq!(again.calls.writes, 0);
}

#[tokio::test]
async fn removing_a_route_removes_it_from_the_api_and_the_stage() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let dir = tempfile::tempdir().unwrap();
    let first = apply_json(&em, &todo_variant(&dir, "v3.yaml", |t| t));
    let api_id = first.api.id.unwrap();
    let first_dep = first.stages[0].deployment_id.clone().unwrap();

    // remove the three /todos/{id} routes: methods and the emptied resource go
    let gone = todo_variant(&dir, "v4.yaml", |t| {
        t.lines()
            .filter(|l| !l.contains("/todos/{id}"))
            .collect::<Vec<_>>()
            .join("\n")
    });
    let doc = apply_json(&em, &gone);
    assert_eq!(n(&doc, "DeleteResource"), 1);
    assert_eq!(n(&doc, "CreateDeployment"), 1);
    let new_dep = doc.stages[0].deployment_id.clone().unwrap();
    assert_ne!(new_dep, first_dep);

    let c = em.clients().await;
    let res = c
        .apigw
        .get_resources()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap();
    assert!(res.items().iter().all(|r| r.path() != Some("/todos/{id}")));
    let stage = c
        .apigw
        .get_stage()
        .rest_api_id(&api_id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    assert_eq!(
        stage.deployment_id(),
        Some(new_dep.as_str()),
        "stage serves the new deployment"
    );
    // the permissions of the functions no longer used are gone too
    for f in ["todo-get", "todo-update", "todo-delete"] {
        assert!(policy_sids(&em, f).await.is_empty(), "{f}");
    }
    assert_eq!(apply_json(&em, &gone).calls.writes, 0);
}

#[tokio::test]
async fn seed_004_custom_integration_applies_with_templates_and_selection_patterns() {
    let em = support::emulator().await;
    em.create_functions(&["lambdemo"]).await;
    let doc = apply_json(&em, &repo("specs/hoge-custom.yaml"));
    let api_id = doc.api.id.clone().unwrap();
    assert_eq!(doc.stages[0].name, "snapshot");
    assert_eq!(doc.stages[0].logging_level, "INFO");
    let c = em.clients().await;
    let res = c
        .apigw
        .get_resources()
        .rest_api_id(&api_id)
        .embed("methods")
        .send()
        .await
        .unwrap();
    let r = res
        .items()
        .iter()
        .find(|r| r.path() == Some("/{hoge}"))
        .unwrap();
    let m = &r.resource_methods().unwrap()["GET"];
    let integ = m.method_integration().unwrap();
    assert_eq!(integ.r#type().map(|t| t.as_str()), Some("AWS"));
    assert!(integ.request_templates().unwrap()["application/json"].contains("$input.params().path"));
    let bad = &integ.integration_responses().unwrap()["400"];
    assert_eq!(bad.selection_pattern(), Some("^\\[400:.*"));
    assert!(bad.response_templates().unwrap()["application/json"].contains("errorMessage"));
    assert_eq!(
        m.method_responses().unwrap()["400"]
            .response_models()
            .unwrap()["application/json"],
        "Error"
    );
    let stage = c
        .apigw
        .get_stage()
        .rest_api_id(&api_id)
        .stage_name("snapshot")
        .send()
        .await
        .unwrap();
    assert_eq!(
        stage.method_settings().unwrap()["*/*"].logging_level(),
        Some("INFO")
    );
    assert_eq!(
        apply_json(&em, &repo("specs/hoge-custom.yaml"))
            .calls
            .writes,
        0
    );
}

#[tokio::test]
async fn plan_lists_everything_on_an_empty_account_and_writes_nothing() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let spec = repo("specs/todo.yaml");
    let o = gwctl(
        &em,
        &[
            "plan",
            spec.to_str().unwrap(),
            "--output",
            "json",
            "--detailed-exitcode",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "changes present");
    let doc: PlanDoc = serde_json::from_slice(&o.stdout).unwrap();
    assert!(doc.changes.iter().all(|c| c.action == "create"));
    assert!(doc.changes.iter().any(|c| c.kind == "rest_api"));
    assert_eq!(doc.api.id, None);
    assert!(
        rest_api_ids(&em, "todo-api").await.is_empty(),
        "plan wrote nothing"
    );
    let o = gwctl(&em, &["plan", spec.to_str().unwrap()]);
    let (out, _) = ok(&o);
    assert!(out.contains("+ rest_api todo-api"), "{out}");
}

#[tokio::test]
async fn drift_made_behind_gwctls_back_is_shown_and_reverted() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let spec = repo("specs/todo.yaml");
    let first = apply_json(&em, &spec);
    let api_id = first.api.id.unwrap();
    let c = em.clients().await;
    // console-style edits: a different integration URI on GET /todos, stage log level ERROR
    let res = c
        .apigw
        .get_resources()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap();
    let todos = res
        .items()
        .iter()
        .find(|r| r.path() == Some("/todos"))
        .unwrap();
    let evil = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:todo-delete/invocations";
    c.apigw
        .put_integration()
        .rest_api_id(&api_id)
        .resource_id(todos.id().unwrap())
        .http_method("GET")
        .r#type(aws_sdk_apigateway::types::IntegrationType::AwsProxy)
        .integration_http_method("POST")
        .uri(evil)
        .send()
        .await
        .unwrap();
    c.apigw
        .update_stage()
        .rest_api_id(&api_id)
        .stage_name("prod")
        .patch_operations(
            aws_sdk_apigateway::types::PatchOperation::builder()
                .op(aws_sdk_apigateway::types::Op::Replace)
                .path("/*/*/logging/loglevel")
                .value("ERROR")
                .build(),
        )
        .send()
        .await
        .unwrap();

    let o = gwctl(
        &em,
        &["plan", spec.to_str().unwrap(), "--detailed-exitcode"],
    );
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("~ integration GET /todos"), "{out}");
    assert!(out.contains("function:todo-delete/invocations ->"), "{out}");
    assert!(out.contains("logging: ERROR -> INFO"), "{out}");

    let fix = apply_json(&em, &spec);
    assert_eq!(n(&fix, "PutIntegration"), 1);
    assert_eq!(n(&fix, "UpdateStage"), 1);
    let o = gwctl(
        &em,
        &["plan", spec.to_str().unwrap(), "--detailed-exitcode"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).0);
}

#[tokio::test]
async fn deploy_twice_creates_one_deployment() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let spec = repo("specs/todo.yaml");
    let first = apply_json(&em, &spec);
    let api_id = first.api.id.unwrap();
    let run = |args: &[&str]| -> DeployDoc {
        let o = gwctl(&em, args);
        let (out, _) = ok(&o);
        serde_json::from_str(&out).unwrap()
    };
    // prod already serves the spec: nothing to do, even twice
    let d = run(&[
        "deploy",
        "--stage",
        "prod",
        spec.to_str().unwrap(),
        "--output",
        "json",
    ]);
    assert_eq!(d.result, "up_to_date");
    // a new stage gets one deployment; the second call creates none
    let d1 = run(&[
        "deploy", "--stage", "qa", "--api", "todo-api", "--output", "json",
    ]);
    assert_eq!(d1.result, "deployed");
    assert_eq!(d1.calls.by_operation.get("CreateDeployment"), Some(&1));
    let d2 = run(&[
        "deploy", "--stage", "qa", "--api", "todo-api", "--output", "json",
    ]);
    assert_eq!(d2.result, "up_to_date");
    assert_eq!(d2.calls.writes, 0);
    let c = em.clients().await;
    let deps = c
        .apigw
        .get_deployments()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap();
    assert_eq!(deps.items().len(), 2, "one from apply, one for qa");
    // --force always deploys
    let d3 = run(&[
        "deploy", "--stage", "qa", "--api-id", &api_id, "--force", "--output", "json",
    ]);
    assert_eq!(d3.result, "deployed");
}

#[tokio::test]
async fn destroy_removes_the_api_and_gwctls_statements_and_refuses_foreign_apis() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let spec = repo("specs/todo.yaml");
    apply_json(&em, &spec);
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
    let (out, _) = ok(&o);
    let doc: DestroyDoc = serde_json::from_str(&out).unwrap();
    assert_eq!(doc.result, "destroyed");
    assert!(rest_api_ids(&em, "todo-api").await.is_empty());
    for f in TODO_FUNCTIONS {
        assert!(policy_sids(&em, f).await.is_empty(), "{f}");
    }
    // idempotent
    let o = gwctl(&em, &["destroy", spec.to_str().unwrap(), "--yes"]);
    ok(&o);

    // an API made by hand (no ownership tag) is refused without --force
    let c = em.clients().await;
    let foreign = c
        .apigw
        .create_rest_api()
        .name("todo-api")
        .send()
        .await
        .unwrap();
    let id = foreign.id().unwrap().to_string();
    let o = gwctl(&em, &["destroy", "--api-id", &id, "--yes"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains("gwctl did not create it"), "{err}");
    assert_eq!(rest_api_ids(&em, "todo-api").await, vec![id]);
}

#[tokio::test]
async fn an_api_gwctl_did_not_create_is_never_duplicated_and_adopted_only_on_request() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let c = em.clients().await;
    let foreign = c
        .apigw
        .create_rest_api()
        .name("todo-api")
        .send()
        .await
        .unwrap();
    let id = foreign.id().unwrap().to_string();
    let spec = repo("specs/todo.yaml");
    let o = gwctl(&em, &["apply", spec.to_str().unwrap(), "--yes"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains(&format!("--api-id {id}")), "{err}");
    assert_eq!(
        rest_api_ids(&em, "todo-api").await,
        vec![id.clone()],
        "no second API"
    );

    let o = gwctl(
        &em,
        &[
            "apply",
            spec.to_str().unwrap(),
            "--yes",
            "--api-id",
            &id,
            "--output",
            "json",
        ],
    );
    let (out, _) = ok(&o);
    let doc: ApplyDoc = serde_json::from_str(&out).unwrap();
    assert!(!doc.api.owned);
    assert_eq!(doc.api.id.as_deref(), Some(id.as_str()));
    let show = gwctl(&em, &["show", "--api-id", &id, "--output", "json"]);
    let (out, _) = ok(&show);
    let s: ShowDoc = serde_json::from_str(&out).unwrap();
    assert!(s.stages.iter().any(|st| st.name == "prod" && st.current));
}

#[tokio::test]
async fn two_tagged_apis_with_the_same_name_are_refused_with_their_ids() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let c = em.clients().await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let a = c
            .apigw
            .create_rest_api()
            .name("todo-api")
            .tags("gwctl:managed-by", "gwctl")
            .send()
            .await
            .unwrap();
        ids.push(a.id().unwrap().to_string());
    }
    let o = gwctl(
        &em,
        &["apply", repo("specs/todo.yaml").to_str().unwrap(), "--yes"],
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    for id in &ids {
        assert!(err.contains(id.as_str()), "{err}");
    }
    assert!(err.contains("--api-id"), "{err}");
}

#[tokio::test]
async fn a_saved_plan_is_applied_exactly_and_refused_when_stale() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let dir = tempfile::tempdir().unwrap();
    let spec = todo_variant(&dir, "v5.yaml", |t| t);
    apply_json(&em, &spec);
    let changed = todo_variant(&dir, "v6.yaml", |t| {
        t.replace("metrics: true", "metrics: false")
    });
    let planfile = dir.path().join("plan.json");
    ok(&gwctl(
        &em,
        &[
            "plan",
            changed.to_str().unwrap(),
            "--out",
            planfile.to_str().unwrap(),
        ],
    ));
    // someone changes the stage in between
    let other = todo_variant(&dir, "v7.yaml", |t| {
        t.replace("logging: INFO", "logging: ERROR")
    });
    ok(&gwctl(&em, &["apply", other.to_str().unwrap(), "--yes"]));
    let o = gwctl(&em, &["apply", planfile.to_str().unwrap()]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains("changed since the plan"), "{err}");
    // a fresh plan applies exactly
    ok(&gwctl(
        &em,
        &[
            "plan",
            changed.to_str().unwrap(),
            "--out",
            planfile.to_str().unwrap(),
        ],
    ));
    let o = gwctl(
        &em,
        &["apply", planfile.to_str().unwrap(), "--output", "json"],
    );
    let (out, _) = ok(&o);
    let doc: ApplyDoc = serde_json::from_str(&out).unwrap();
    assert_eq!(doc.result, "applied");
    assert!(!doc.stages[0].metrics);
    assert_eq!(doc.stages[0].logging_level, "INFO");
}

#[tokio::test]
async fn a_missing_function_is_reported_at_its_spec_line_before_any_write() {
    let em = support::emulator().await;
    em.create_functions(&["todo-create", "todo-list", "todo-update", "todo-delete"])
        .await;
    let o = gwctl(
        &em,
        &["apply", repo("specs/todo.yaml").to_str().unwrap(), "--yes"],
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains("`todo-get` does not exist"), "{err}");
    assert!(err.contains("specs/todo.yaml:16:"), "{err}");
    assert!(
        rest_api_ids(&em, "todo-api").await.is_empty(),
        "nothing written"
    );
}

#[tokio::test]
async fn two_applies_started_together_leave_exactly_one_api() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let spec = repo("specs/todo.yaml");
    for round in 0..3 {
        em.reset();
        em.create_functions(TODO_FUNCTIONS).await;
        let spawn = || {
            support::gwctl_command(&em.endpoint(), &["apply", spec.to_str().unwrap(), "--yes"])
                .spawn()
                .expect("spawn gwctl")
        };
        let (a, b) = (spawn(), spawn());
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        for o in [&a, &b] {
            let (out, err) = text(o);
            assert_eq!(o.status.code(), Some(0), "round {round}\n{out}\n{err}");
        }
        let ids = rest_api_ids(&em, "todo-api").await;
        assert_eq!(ids.len(), 1, "round {round}: {ids:?}");
        // and the survivor is complete: nothing left to do. (Two runs adding the same
        // statement within milliseconds can both pass the look-before-add; AWS, and the
        // strict proxy, refuse the second, and gwctl finds the statement there. moto alone
        // keeps both, so with GWCTL_EMULATOR_LENIENT a next apply may remove such a
        // duplicate.)
        let again = apply_json(&em, &spec);
        assert!(
            writes(&again)
                .iter()
                .all(|(op, _)| op == "RemovePermission" && support::lenient()),
            "round {round}: {:?}",
            writes(&again)
        );
        let settled = apply_json(&em, &spec);
        assert_eq!(
            settled.calls.writes,
            0,
            "round {round}: {:?}",
            writes(&settled)
        );
        for f in TODO_FUNCTIONS {
            let sids = policy_sids(&em, f).await;
            assert_eq!(
                sids,
                vec![format!("gwctl-{}-{f}", ids[0])],
                "round {round}: {f}\n--- run a:\n{}\n--- run b:\n{}",
                text(&a).1,
                text(&b).1
            );
        }
    }
}
