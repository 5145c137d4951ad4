//! `gwctl cors enable|disable` end to end against the emulator (moto): an API built by hand
//! the seed 003 aws-cli way, read back in full before and after. moto has no data plane, so
//! these tests check what is stored; tests/cors_localstack.rs checks what is served.

use crate::support;
use crate::support::{gwctl_at, repo, stdout_ok as ok, Emulator, TODO_FUNCTIONS};
use aws_sdk_apigateway::types as agt;
use gwctl::output::ApplyDoc;

fn gwctl(em: &Emulator, args: &[&str]) -> std::process::Output {
    gwctl_at(&em.endpoint(), args)
}

fn cors_json(em: &Emulator, args: &[&str]) -> ApplyDoc {
    let mut all = args.to_vec();
    all.extend(["--yes", "--output", "json"]);
    let out = ok(&gwctl(em, &all));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("cors JSON: {e}\n{out}"))
}

fn writes(doc: &ApplyDoc) -> Vec<(String, usize)> {
    doc.calls
        .by_operation
        .iter()
        .filter(|(op, _)| !op.starts_with("Get"))
        .map(|(op, n)| (op.clone(), *n))
        .collect()
}

/// Everything gwctl's reader sees of an API, as JSON (ids, resources with methods and
/// integrations, gateway responses, stages, deployments, tags).
async fn read_back(em: &Emulator, id: &str) -> serde_json::Value {
    let c = em.clients().await;
    let api = gwctl::aws::read::rest::read_rest_api(&c, id).await.unwrap();
    serde_json::to_value(&api).unwrap()
}

/// Seed 003 by hand (support::seed, with the hand-made CORS extras); returns the id.
async fn seed_003(em: &Emulator) -> String {
    let arn = em.create_functions(&["MyFunction"]).await.remove(0);
    support::seed::build(&em.clients().await, &arn, true).await
}

const ENABLE_APP_ORIGIN: &[&str] = &[
    "cors",
    "enable",
    "--api",
    "my-rest-api",
    "--origin",
    "https://app.example.com",
    "--max-age",
    "600",
];

#[tokio::test]
async fn enable_then_disable_on_a_hand_made_api_leaves_it_exactly_as_before() {
    let em = support::emulator().await;
    let id = seed_003(&em).await;
    let before = read_back(&em, &id).await;

    let on = cors_json(&em, ENABLE_APP_ORIGIN);
    assert_eq!(on.command, "cors enable");
    assert_eq!(on.result, "applied");
    assert!(!on.api.owned);
    let changed: Vec<(&str, &str, &str)> = on
        .changes
        .iter()
        .map(|c| (c.action.as_str(), c.kind.as_str(), c.name.as_str()))
        .collect();
    assert_eq!(
        changed,
        vec![
            ("create", "method", "OPTIONS /items"),
            ("create", "gateway_response", "DEFAULT_4XX"),
        ]
    );
    assert_eq!(
        writes(&on),
        vec![
            ("PutGatewayResponse".to_string(), 1),
            ("PutIntegration".to_string(), 1),
            ("PutIntegrationResponse".to_string(), 1),
            ("PutMethod".to_string(), 1),
            ("PutMethodResponse".to_string(), 1),
        ]
    );
    // What a person made is reported (first among the notes) and left as it is.
    assert_eq!(on.notes.len(), 3, "{:?}", on.notes);
    assert!(on.notes[0].starts_with("`OPTIONS /orders` was not made by gwctl"));
    assert!(on.notes[1].starts_with("gateway response `DEFAULT_5XX` was customised outside gwctl"));
    assert!(on.notes[2].starts_with("Lambda proxy responses pass through API Gateway untouched"));

    let enabled = read_back(&em, &id).await;
    let options = &enabled["config"]["resources"]["/items"]["methods"]["OPTIONS"];
    assert_eq!(options["authorization_type"], "NONE");
    assert_eq!(options["api_key_required"], false);
    let params = &options["integration"]["responses"]["200"]["response_parameters"];
    assert_eq!(
        params["method.response.header.Access-Control-Allow-Origin"],
        "'https://app.example.com'"
    );
    assert_eq!(
        params["method.response.header.Access-Control-Allow-Methods"],
        "'GET,OPTIONS'"
    );
    assert_eq!(
        params["method.response.header.Access-Control-Max-Age"],
        "'600'"
    );
    assert!(
        options["integration"]["request_templates"]["application/json"]
            .as_str()
            .unwrap()
            .starts_with("## gwctl:cors")
    );
    assert_eq!(
        enabled["config"]["resources"]["/orders"],
        before["config"]["resources"]["/orders"]
    );
    assert_eq!(
        enabled["config"]["gateway_responses"]["DEFAULT_5XX"],
        before["config"]["gateway_responses"]["DEFAULT_5XX"]
    );
    // Without --deploy the stage is not touched.
    assert_eq!(enabled["stages"], before["stages"]);
    assert_eq!(enabled["deployments"], before["deployments"]);

    // Enable twice: zero writes.
    let again = cors_json(&em, ENABLE_APP_ORIGIN);
    assert_eq!(again.result, "no_changes");
    assert_eq!(again.calls.writes, 0);
    assert!(again.changes.is_empty());

    // Disable: exactly what enable added goes, and the API reads back as before.
    let off = cors_json(&em, &["cors", "disable", "--api-id", &id]);
    let removed: Vec<(&str, &str)> = off
        .changes
        .iter()
        .map(|c| (c.action.as_str(), c.name.as_str()))
        .collect();
    assert_eq!(
        removed,
        vec![("delete", "OPTIONS /items"), ("delete", "DEFAULT_4XX")]
    );
    assert_eq!(
        writes(&off),
        vec![
            ("DeleteGatewayResponse".to_string(), 1),
            ("DeleteMethod".to_string(), 1),
        ]
    );
    let after = read_back(&em, &id).await;
    assert_eq!(after, before);
    // And again: nothing of gwctl's is left to remove.
    let off_again = cors_json(&em, &["cors", "disable", "--api-id", &id]);
    assert_eq!(off_again.result, "no_changes");
    assert_eq!(off_again.calls.writes, 0);
}

#[tokio::test]
async fn enable_with_the_spec_builds_what_apply_builds_and_deploys_once() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let spec = repo("specs/todo.yaml");
    let s = spec.to_str().unwrap();
    let out = ok(&gwctl(&em, &["apply", s, "--yes", "--output", "json"]));
    let applied: ApplyDoc = serde_json::from_str(&out).unwrap();
    let id = applied.api.id.unwrap();

    let off = cors_json(&em, &["cors", "disable", s, "--deploy", "prod"]);
    assert_eq!(off.summary.delete, 4);
    assert_eq!(off.calls.by_operation.get("CreateDeployment"), Some(&1));
    assert_eq!(off.stages[0].name, "prod");
    let o = gwctl(&em, &["plan", s, "--detailed-exitcode"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "cors is missing from the account now"
    );

    let on = cors_json(&em, &["cors", "enable", s, "--deploy", "prod"]);
    assert_eq!(on.summary.create, 5, "4 CORS pieces and the deployment");
    assert_eq!(on.calls.by_operation.get("CreateDeployment"), Some(&1));
    assert_eq!(
        on.stages[0].invoke_url,
        format!("https://{id}.execute-api.us-east-1.amazonaws.com/prod")
    );
    // The spec's own plan sees exactly what apply would have built, deployed.
    let o = gwctl(&em, &["plan", s, "--detailed-exitcode"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );

    let again = cors_json(&em, &["cors", "enable", s, "--deploy", "prod"]);
    assert_eq!(again.result, "no_changes");
    assert_eq!(again.calls.writes, 0);
}

#[tokio::test]
async fn text_output_shows_the_plan_and_scoped_disable_keeps_shared_pieces() {
    let em = support::emulator().await;
    let id = seed_003(&em).await;
    let o = gwctl(
        &em,
        &[
            "cors",
            "enable",
            "--api-id",
            &id,
            "--resource",
            "/items",
            "--origin",
            "*",
            "--yes",
        ],
    );
    let out = ok(&o);
    assert!(out.contains("  + method OPTIONS /items\n"), "{out}");
    assert!(out.contains("  + gateway_response DEFAULT_4XX\n"), "{out}");
    assert!(out.contains("Plan: 2 to create, 0 to change, 0 to delete (5 calls)."));
    assert!(out.contains("applied: 2 created, 0 changed, 0 deleted"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("warning: gateway response `DEFAULT_5XX` was customised outside gwctl"));
    assert!(err.contains("note: stages serve a deployment"), "{err}");

    let o = gwctl(
        &em,
        &[
            "cors",
            "disable",
            "--api-id",
            &id,
            "--resource",
            "/nope",
            "--yes",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("error: the api has no resource `/nope`"));

    let out = ok(&gwctl(
        &em,
        &["cors", "enable", "--api-id", &id, "--origin", "*", "--yes"],
    ));
    assert!(
        out.contains("No changes. CORS on rest api `my-rest-api`"),
        "{out}"
    );
}

#[test]
fn flag_mistakes_are_refused_before_any_aws_call() {
    // Nothing listens on port 9: an AWS call would fail with a connection error instead.
    let o = gwctl_at(
        "http://127.0.0.1:9",
        &[
            "cors",
            "enable",
            "--api",
            "x",
            "--origin",
            "*",
            "--credentials",
            "--origin",
            "https://a.example/",
            "--methods",
            "GET,ANY",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("origin `https://a.example/` must not end with `/`"),
        "{err}"
    );
    assert!(
        err.contains("`ANY` is not a method browsers can be allowed"),
        "{err}"
    );
    assert!(
        err.contains("`*` origin with `--credentials` is refused by browsers"),
        "{err}"
    );
    assert!(!err.contains("127.0.0.1:9"), "no AWS call was made: {err}");
}

#[tokio::test]
async fn deploy_keeps_the_variables_of_a_stage_the_spec_does_not_declare() {
    let em = support::emulator().await;
    let id = seed_003(&em).await;
    let c = em.clients().await;
    c.apigw
        .update_stage()
        .rest_api_id(&id)
        .stage_name("prod")
        .patch_operations(
            agt::PatchOperation::builder()
                .op(agt::Op::Replace)
                .path("/variables/backend")
                .value("blue")
                .build(),
        )
        .send()
        .await
        .unwrap();
    ok(&gwctl(
        &em,
        &["deploy", "--stage", "prod", "--api-id", &id, "--force"],
    ));
    let stage = c
        .apigw
        .get_stage()
        .rest_api_id(&id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    assert_eq!(
        stage
            .variables()
            .and_then(|v| v.get("backend"))
            .map(String::as_str),
        Some("blue")
    );
}
