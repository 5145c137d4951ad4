//! End-to-end tests of WebSocket APIs (`kind: websocket`): the real `gwctl` binary against
//! the local emulator (moto) behind the strict proxy, with the account read back through the
//! SDK. specs/chat.yaml applies, re-applies with zero writes, shows drift made behind its
//! back and reverts it, and is destroyed leaving nothing gwctl created.
//!
//! The chat spec's stage deploys itself (auto-deploy), so moto's missing create-deployment
//! for v2 APIs is not on this path; `aws_ws_offline` covers it with exact requests.

use crate::support;
use crate::support::cli::{apply_json, gwctl, ok, repo, text, w, writes};
use gwctl::cli::lifecycle::{DeployDoc, DestroyDoc, ShowDoc};

const FUNCTIONS: &[&str] = &[
    "chat-connect",
    "chat-disconnect",
    "chat-send",
    "chat-default",
    "chat-authorizer",
];

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

async fn api_ids(c: &gwctl::aws::Clients) -> Vec<String> {
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

/// The routes as (route key, authorization type, route response selection), sorted.
async fn routes(c: &gwctl::aws::Clients, id: &str) -> Vec<(String, String, Option<String>)> {
    let out = c.apigw2.get_routes().api_id(id).send().await.unwrap();
    let mut r: Vec<_> = out
        .items()
        .iter()
        .map(|r| {
            (
                r.route_key().unwrap().to_string(),
                r.authorization_type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
                r.route_response_selection_expression().map(str::to_string),
            )
        })
        .collect();
    r.sort();
    r
}

#[tokio::test]
async fn the_chat_spec_applies_reapplies_with_zero_writes_and_reports_its_urls() {
    let em = support::emulator().await;
    em.create_functions(FUNCTIONS).await;
    let c = em.clients().await;
    let spec = repo("specs/chat.yaml");

    let first = apply_json(&em, &spec);
    assert_eq!(first.result, "applied");
    assert_eq!(first.api.kind, "websocket");
    assert_eq!(
        writes(&first),
        w(&[
            ("AddPermission", 5),
            ("CreateApi", 1),
            ("CreateAuthorizer", 1),
            ("CreateIntegration", 4),
            ("CreateRoute", 4),
            ("CreateRouteResponse", 1),
            ("CreateStage", 1),
        ])
    );
    let id = first.api.id.clone().unwrap();
    assert_eq!(first.stages.len(), 1);
    let prod = &first.stages[0];
    assert_eq!(
        prod.invoke_url,
        format!("wss://{id}.execute-api.us-east-1.amazonaws.com/prod")
    );
    assert_eq!(
        prod.callback_url.as_deref(),
        Some(
            format!("https://{id}.execute-api.us-east-1.amazonaws.com/prod/@connections").as_str()
        )
    );
    assert_eq!(prod.logging_level, "ERROR");
    assert!(prod.metrics);

    // Read back: one WEBSOCKET API with the route selection, four routes (only `$connect`
    // authorized, by the authorizer; `$default` two-way: its route response was created,
    // moto cannot list route responses), the
    // stage's settings, one statement per function scoped to the API.
    let api = c.apigw2.get_api().api_id(&id).send().await.unwrap();
    assert_eq!(api.protocol_type().unwrap().as_str(), "WEBSOCKET");
    assert_eq!(
        api.route_selection_expression(),
        Some("$request.body.action")
    );
    assert_eq!(
        routes(&c, &id).await,
        vec![
            ("$connect".into(), "CUSTOM".into(), None),
            ("$default".into(), "NONE".into(), Some("$default".into())),
            ("$disconnect".into(), "NONE".into(), None),
            ("sendmessage".into(), "NONE".into(), None),
        ]
    );
    let stage = c
        .apigw2
        .get_stage()
        .api_id(&id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    assert_eq!(stage.auto_deploy(), Some(true));
    let send = &stage.route_settings().unwrap()["sendmessage"];
    assert_eq!(
        (send.throttling_rate_limit(), send.throttling_burst_limit()),
        (Some(50.0), Some(100))
    );
    for f in FUNCTIONS {
        assert_eq!(sids(&c, f).await.len(), 1, "{f}");
    }

    // Second apply: nothing to do, not one write; `plan` agrees.
    let second = apply_json(&em, &spec);
    assert_eq!(second.result, "no_changes");
    assert_eq!(writes(&second), vec![]);
    assert_eq!(second.calls.writes, 0);
    let plan = gwctl(
        &em,
        &["plan", spec.to_str().unwrap(), "--detailed-exitcode"],
    );
    let (out, _) = ok(&plan);
    assert!(out.contains("No changes. websocket api `chat`"), "{out}");
    assert_eq!(api_ids(&c).await.len(), 1);

    // The text report and `show` give both URLs.
    let o = gwctl(&em, &["apply", spec.to_str().unwrap(), "--yes"]);
    let (out, _) = ok(&o);
    assert!(
        out.contains(&format!(
            "stage    prod  wss://{id}.execute-api.us-east-1.amazonaws.com/prod\n"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "callback https://{id}.execute-api.us-east-1.amazonaws.com/prod/@connections"
        )),
        "{out}"
    );
    let o = gwctl(&em, &["show", spec.to_str().unwrap(), "--output", "json"]);
    let doc: ShowDoc = serde_json::from_str(&ok(&o).0).unwrap();
    assert_eq!(doc.api.kind, "websocket");
    assert_eq!(doc.drift, Some(0));
    assert_eq!(
        doc.stages[0].callback_url.as_deref(),
        prod.callback_url.as_deref()
    );
}

#[tokio::test]
async fn drift_made_behind_gwctls_back_is_shown_and_reverted() {
    let em = support::emulator().await;
    em.create_functions(FUNCTIONS).await;
    let c = em.clients().await;
    let spec = repo("specs/chat.yaml");
    let id = apply_json(&em, &spec).api.id.unwrap();

    // Someone points `$disconnect` at the integration of `sendmessage` and changes the
    // route selection expression.
    let all = c.apigw2.get_routes().api_id(&id).send().await.unwrap();
    let route = |key: &str| {
        all.items()
            .iter()
            .find(|r| r.route_key() == Some(key))
            .unwrap()
            .clone()
    };
    let (disconnect, send) = (route("$disconnect"), route("sendmessage"));
    assert_ne!(disconnect.target(), send.target());
    c.apigw2
        .update_route()
        .api_id(&id)
        .route_id(disconnect.route_id().unwrap())
        .target(send.target().unwrap())
        .send()
        .await
        .unwrap();
    c.apigw2
        .update_api()
        .api_id(&id)
        .route_selection_expression("$request.body.type")
        .send()
        .await
        .unwrap();

    let o = gwctl(
        &em,
        &["plan", spec.to_str().unwrap(), "--detailed-exitcode"],
    );
    assert_eq!(o.status.code(), Some(2), "drift: exit 2");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("~ route $disconnect"), "{out}");
    assert!(out.contains("route_selection_expression"), "{out}");

    let doc = apply_json(&em, &spec);
    assert_eq!(writes(&doc), w(&[("UpdateApi", 1), ("UpdateRoute", 1)]));
    let api = c.apigw2.get_api().api_id(&id).send().await.unwrap();
    assert_eq!(
        api.route_selection_expression(),
        Some("$request.body.action")
    );
    let after = c.apigw2.get_routes().api_id(&id).send().await.unwrap();
    let target = |key: &str| {
        after
            .items()
            .iter()
            .find(|r| r.route_key() == Some(key))
            .and_then(|r| r.target())
            .map(str::to_string)
    };
    assert_eq!(target("$disconnect").as_deref(), disconnect.target());
    assert_eq!(target("sendmessage").as_deref(), send.target());
    assert_eq!(apply_json(&em, &spec).calls.writes, 0);
}

#[tokio::test]
async fn destroy_leaves_nothing_gwctl_created_and_is_idempotent() {
    let em = support::emulator().await;
    em.create_functions(FUNCTIONS).await;
    let c = em.clients().await;
    let spec = repo("specs/chat.yaml");
    let id = apply_json(&em, &spec).api.id.unwrap();
    // A statement someone else added stays.
    c.lambda
        .add_permission()
        .function_name("chat-send")
        .statement_id("someone-else")
        .action("lambda:InvokeFunction")
        .principal("s3.amazonaws.com")
        .send()
        .await
        .unwrap();

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
    let doc: DestroyDoc = serde_json::from_str(&ok(&o).0).unwrap();
    assert_eq!(doc.result, "destroyed");
    let api = doc.api.unwrap();
    assert_eq!(
        (api.kind.as_str(), api.id.as_deref()),
        ("websocket", Some(id.as_str()))
    );
    assert!(api_ids(&c).await.is_empty());
    for f in FUNCTIONS {
        let left = sids(&c, f).await;
        if *f == "chat-send" {
            assert_eq!(left, vec!["someone-else".to_string()]);
        } else {
            assert!(left.is_empty(), "{f}: {left:?}");
        }
    }

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
    let doc: DestroyDoc = serde_json::from_str(&ok(&o).0).unwrap();
    assert_eq!(doc.result, "absent");
    assert_eq!(doc.calls.writes, 0);
}

#[tokio::test]
async fn deploy_names_a_stage_that_deploys_itself_and_makes_no_call() {
    let em = support::emulator().await;
    em.create_functions(FUNCTIONS).await;
    let spec = repo("specs/chat.yaml");
    let id = apply_json(&em, &spec).api.id.unwrap();
    let o = gwctl(
        &em,
        &[
            "deploy",
            spec.to_str().unwrap(),
            "--stage",
            "prod",
            "--output",
            "json",
        ],
    );
    let doc: DeployDoc = serde_json::from_str(&ok(&o).0).unwrap();
    assert_eq!(doc.result, "automatic");
    assert_eq!(doc.api.kind, "websocket");
    assert_eq!(doc.calls.writes, 0);
    assert_eq!(
        doc.stages[0].invoke_url,
        format!("wss://{id}.execute-api.us-east-1.amazonaws.com/prod")
    );
    assert_eq!(
        doc.stages[0].callback_url.as_deref(),
        Some(
            format!("https://{id}.execute-api.us-east-1.amazonaws.com/prod/@connections").as_str()
        )
    );
}

#[tokio::test]
async fn execution_logging_needs_the_accounts_cloudwatch_role_before_any_write() {
    let em = support::emulator().await;
    em.create_functions(FUNCTIONS).await;
    em.set_cloudwatch_role(None);
    let c = em.clients().await;
    let spec = repo("specs/chat.yaml");
    let o = gwctl(&em, &["apply", spec.to_str().unwrap(), "--yes"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("stage `prod` logs at ERROR"), "{err}");
    assert!(api_ids(&c).await.is_empty(), "nothing was created");
}

#[tokio::test]
async fn a_saved_websocket_plan_applies_exactly_its_ops() {
    let em = support::emulator().await;
    em.create_functions(FUNCTIONS).await;
    let c = em.clients().await;
    let spec = repo("specs/chat.yaml");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chat.plan");
    let f = file.to_str().unwrap();

    ok(&gwctl(&em, &["plan", spec.to_str().unwrap(), "--out", f]));
    let pf: gwctl::cli::planfile::PlanFile =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(pf.kind, "websocket");
    assert!(pf.ops.is_empty());
    let ops: Vec<gwctl::plan::ws::ops::WsOp> =
        serde_json::from_value(serde_json::Value::Array(pf.kind_ops["ws_ops"].clone())).unwrap();
    assert_eq!(ops[0].aws_name(), "CreateApi");
    assert_eq!(ops.len(), 17, "{ops:?}");

    let doc = apply_json(&em, &file);
    assert_eq!(
        (doc.result.as_str(), doc.api.kind.as_str()),
        ("applied", "websocket")
    );
    assert_eq!(doc.calls.writes, 17);
    assert_eq!(api_ids(&c).await.len(), 1);
    assert_eq!(apply_json(&em, &spec).calls.writes, 0);
}

#[tokio::test]
async fn a_websocket_api_is_found_by_id_or_name_exported_and_refused_by_rest_only_verbs_and_openapi(
) {
    let em = support::emulator().await;
    em.create_functions(FUNCTIONS).await;
    let spec = repo("specs/chat.yaml");
    let id = apply_json(&em, &spec).api.id.unwrap();
    for args in [
        vec!["show", "--api-id", id.as_str(), "--output", "json"],
        vec!["show", "--api", "chat", "--output", "json"],
    ] {
        let doc: ShowDoc = serde_json::from_str(&ok(&gwctl(&em, &args)).0).unwrap();
        assert_eq!(doc.api.kind, "websocket", "{args:?}");
        assert_eq!(doc.api.id.as_deref(), Some(id.as_str()));
        assert_eq!(doc.stages[0].name, "prod");
    }
    let o = gwctl(&em, &["verify", spec.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "`chat` is a websocket api: verify finds rest apis from a spec in this version"
        ),
        "{err}"
    );
    // export writes its spec by id and by name (the same text), and it plans empty;
    // OpenAPI has no WebSocket form: refused by id and by name, nothing on stdout, never read
    // as an HTTP API.
    let by_id = ok(&gwctl(&em, &["export", "--api-id", id.as_str()])).0;
    let by_name = ok(&gwctl(&em, &["export", "--api", "chat"])).0;
    assert_eq!(by_id, by_name);
    assert!(by_id.contains("kind: websocket"), "{by_id}");
    assert!(by_id.contains("Nothing was left out."), "{by_id}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chat.yaml");
    std::fs::write(&file, &by_id).unwrap();
    let o = gwctl(
        &em,
        &[
            "plan",
            file.to_str().unwrap(),
            "--api-id",
            id.as_str(),
            "--detailed-exitcode",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{by_id}\n{:?}", text(&o));
    for (args, name) in [
        (
            vec!["export", "--format", "openapi", "--api-id", id.as_str()],
            "chat",
        ),
        (
            vec!["export", "--format", "openapi", "--api", "chat"],
            "chat",
        ),
    ] {
        let o = gwctl(&em, &args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}: nothing partial on stdout");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&format!(
                "`{name}` is a websocket api: it has no OpenAPI form (API Gateway takes OpenAPI for rest and http apis only)"
            )),
            "{args:?}: {err}"
        );
    }
}

/// A two-way MOCK route answering through an integration response (the docs' `ping`).
const PING: &str = r#"
api: {name: ping-ws, kind: websocket}
routes:
  - route: ping
    response: true
    integration:
      type: mock
      template_selection: \$default
      request_templates: {$default: '{"statusCode": 200}'}
      responses:
        - key: $default
          template_selection: \$default
          templates: {$default: '{"pong": true}'}
stages:
  prod: {auto_deploy: true}
"#;

/// The integration responses of the API's only integration as (key, templates).
async fn integration_responses(
    c: &gwctl::aws::Clients,
    id: &str,
) -> (String, Vec<(String, String, Option<String>)>) {
    let ints = c.apigw2.get_integrations().api_id(id).send().await.unwrap();
    assert_eq!(ints.items().len(), 1);
    let iid = ints.items()[0].integration_id().unwrap().to_string();
    let out = c
        .apigw2
        .get_integration_responses()
        .api_id(id)
        .integration_id(&iid)
        .send()
        .await
        .unwrap();
    let mut rs: Vec<_> = out
        .items()
        .iter()
        .map(|r| {
            (
                r.integration_response_id().unwrap().to_string(),
                r.integration_response_key().unwrap().to_string(),
                r.response_templates()
                    .and_then(|t| t.get("$default").cloned()),
            )
        })
        .collect();
    rs.sort();
    (iid, rs)
}

#[tokio::test]
async fn a_two_way_mock_route_gets_its_integration_response_and_drift_in_it_is_reverted() {
    let em = support::emulator().await;
    let c = em.clients().await;
    let dir = tempfile::tempdir().unwrap();
    let spec = support::cli::write(&dir, "ping.yaml", PING);

    let first = apply_json(&em, &spec);
    assert_eq!(first.result, "applied");
    assert_eq!(
        writes(&first),
        w(&[
            ("CreateApi", 1),
            ("CreateIntegration", 1),
            ("CreateIntegrationResponse", 1),
            ("CreateRoute", 1),
            ("CreateRouteResponse", 1),
            ("CreateStage", 1),
        ])
    );
    let id = first.api.id.clone().unwrap();
    let (iid, rs) = integration_responses(&c, &id).await;
    assert_eq!(rs.len(), 1, "{rs:?}");
    assert_eq!(
        (rs[0].1.as_str(), rs[0].2.as_deref()),
        ("$default", Some(r#"{"pong": true}"#))
    );

    // Re-apply: not one write.
    let second = apply_json(&em, &spec);
    assert_eq!(second.result, "no_changes");
    assert_eq!(second.calls.writes, 0);

    // Someone changes the template behind gwctl's back: the plan shows it, apply reverts it
    // with one update, in place.
    c.apigw2
        .update_integration_response()
        .api_id(&id)
        .integration_id(&iid)
        .integration_response_id(&rs[0].0)
        .response_templates("$default", r#"{"pong": "by hand"}"#)
        .send()
        .await
        .unwrap();
    let o = gwctl(
        &em,
        &["plan", spec.to_str().unwrap(), "--detailed-exitcode"],
    );
    assert_eq!(o.status.code(), Some(2), "drift: exit 2");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("~ integration_response mock: $default"),
        "{out}"
    );
    let doc = apply_json(&em, &spec);
    assert_eq!(writes(&doc), w(&[("UpdateIntegrationResponse", 1)]));
    let (_, after) = integration_responses(&c, &id).await;
    assert_eq!(after[0].0, rs[0].0, "updated in place");
    assert_eq!(after[0].2.as_deref(), Some(r#"{"pong": true}"#));
    assert_eq!(apply_json(&em, &spec).calls.writes, 0);

    // Destroy leaves nothing.
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
    let doc: DestroyDoc = serde_json::from_str(&ok(&o).0).unwrap();
    assert_eq!(doc.result, "destroyed");
    assert!(api_ids(&c).await.is_empty());
}

/// Two responses on a two-way MOCK route: `$default` with two templates and a selection
/// expression, `/4\d\d/` with content handling.
const PING_TWO: &str = r#"
api: {name: ping-ws-export, kind: websocket}
routes:
  - route: ping
    response: true
    integration:
      type: mock
      template_selection: \$default
      request_templates: {$default: '{"statusCode": 200}'}
      responses:
        - key: $default
          template_selection: \$default
          templates: {$default: '{"pong": true}', json: '{"pong": "json"}'}
        - {key: '/4\d\d/', templates: {$default: '{"error": true}'}, content_handling: CONVERT_TO_TEXT}
stages:
  prod: {auto_deploy: true}
"#;

#[tokio::test]
async fn integration_responses_export_and_plan_empty_and_a_dropped_template_is_replaced() {
    let em = support::emulator().await;
    let c = em.clients().await;
    let dir = tempfile::tempdir().unwrap();
    let spec = support::cli::write(&dir, "ping2.yaml", PING_TWO);
    let first = apply_json(&em, &spec);
    assert_eq!(first.result, "applied");
    let id = first.api.id.clone().unwrap();

    // Export, then the export plans empty against the same API and applies without a write.
    let (exported, file) = export_plans_empty(
        &em,
        &dir,
        &id,
        &[
            "responses:",
            "$default",
            r#"{"pong": "json"}"#,
            r"/4\d\d/",
            "CONVERT_TO_TEXT",
        ],
    );
    let o = gwctl(
        &em,
        &[
            "apply",
            file.to_str().unwrap(),
            "--api-id",
            &id,
            "--yes",
            "--output",
            "json",
        ],
    );
    let doc: gwctl::output::ApplyDoc = serde_json::from_str(&ok(&o).0).unwrap();
    assert_eq!(doc.calls.writes, 0, "{exported}");

    // The spec drops the `json` template: the response is replaced (an update might keep
    // the key), and the next apply writes nothing.
    let dropped = PING_TWO.replace(r#", json: '{"pong": "json"}'"#, "");
    assert_ne!(dropped, PING_TWO);
    let spec = support::cli::write(&dir, "ping2.yaml", &dropped);
    let doc = apply_json(&em, &spec);
    let ws = writes(&doc);
    assert!(
        ws.contains(&("DeleteIntegrationResponse".to_string(), 1))
            && ws.contains(&("CreateIntegrationResponse".to_string(), 1))
            && !ws.iter().any(|(op, _)| op == "UpdateIntegrationResponse"),
        "{ws:?}"
    );
    let ints = c
        .apigw2
        .get_integrations()
        .api_id(&id)
        .send()
        .await
        .unwrap();
    let iid = ints.items()[0].integration_id().unwrap();
    let live = c
        .apigw2
        .get_integration_responses()
        .api_id(&id)
        .integration_id(iid)
        .send()
        .await
        .unwrap();
    let default = live
        .items()
        .iter()
        .find(|r| r.integration_response_key() == Some("$default"))
        .unwrap();
    let keys: Vec<&String> = default.response_templates().unwrap().keys().collect();
    assert_eq!(keys, ["$default"]);
    assert_eq!(apply_json(&em, &spec).calls.writes, 0);

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
    let doc: DestroyDoc = serde_json::from_str(&ok(&o).0).unwrap();
    assert_eq!(doc.result, "destroyed");
}

/// Integrations with request parameters: `$connect` maps a handshake query string (a
/// `$connect`-only source), `send` maps a field of the message and a static value.
const RELAY: &str = r#"
api: {name: relay-ws, kind: websocket}
routes:
  - route: $connect
    integration:
      type: http_proxy
      uri: https://backend.example.com/connect
      request_parameters:
        integration.request.header.X-Tenant: route.request.querystring.tenant
  - route: send
    integration:
      type: http
      uri: https://backend.example.com/send
      request_parameters:
        integration.request.querystring.x: route.request.body.x
        integration.request.header.X-Static: "'v'"
stages:
  prod: {auto_deploy: true}
"#;

const SEND_URI: &str = "https://backend.example.com/send";
const CONNECT_URI: &str = "https://backend.example.com/connect";

/// `gwctl export --api-id ID`: nothing left out, every one of `parts` in the exported spec,
/// and `plan EXPORTED --api-id ID --detailed-exitcode` exits 0. The export and its file.
fn export_plans_empty(
    em: &support::Emulator,
    dir: &tempfile::TempDir,
    id: &str,
    parts: &[&str],
) -> (String, std::path::PathBuf) {
    let (exported, err) = ok(&gwctl(em, &["export", "--api-id", id]));
    assert!(!err.contains("left out"), "{err}");
    for part in parts {
        assert!(exported.contains(part), "{part} missing:\n{exported}");
    }
    let file = support::cli::write(dir, "exported.yaml", &exported);
    let o = gwctl(
        em,
        &[
            "plan",
            file.to_str().unwrap(),
            "--api-id",
            id,
            "--detailed-exitcode",
        ],
    );
    let (plan, perr) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{plan}\n{perr}\n{exported}");
    (exported, file)
}

/// The live integration of `uri`: its id and request parameters.
async fn integration_of(
    c: &gwctl::aws::Clients,
    id: &str,
    uri: &str,
) -> (String, std::collections::BTreeMap<String, String>) {
    let ints = c.apigw2.get_integrations().api_id(id).send().await.unwrap();
    let i = ints
        .items()
        .iter()
        .find(|i| i.integration_uri() == Some(uri))
        .unwrap_or_else(|| panic!("no integration of {uri}: {ints:?}"));
    let params = i
        .request_parameters()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    (i.integration_id().unwrap().to_string(), params)
}

fn map(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn integration_request_parameters_apply_revert_drift_export_and_a_removed_one_goes() {
    let em = support::emulator().await;
    let c = em.clients().await;
    let dir = tempfile::tempdir().unwrap();
    let spec = support::cli::write(&dir, "relay.yaml", RELAY);
    let declared = map(&[
        ("integration.request.querystring.x", "route.request.body.x"),
        ("integration.request.header.X-Static", "'v'"),
    ]);

    // First apply: each integration created with its map in the create, nothing updated.
    let first = apply_json(&em, &spec);
    assert_eq!(first.result, "applied");
    assert_eq!(
        writes(&first),
        w(&[
            ("CreateApi", 1),
            ("CreateIntegration", 2),
            ("CreateRoute", 2),
            ("CreateStage", 1),
        ])
    );
    let id = first.api.id.clone().unwrap();
    let (iid, live) = integration_of(&c, &id, SEND_URI).await;
    assert_eq!(live, declared);
    assert_eq!(
        integration_of(&c, &id, CONNECT_URI).await.1,
        map(&[(
            "integration.request.header.X-Tenant",
            "route.request.querystring.tenant"
        )])
    );

    // Re-apply: not one write.
    let second = apply_json(&em, &spec);
    assert_eq!(second.result, "no_changes");
    assert_eq!(second.calls.writes, 0);

    // Behind gwctl's back: one value changed, one key added (the whole map is sent, so AWS's
    // merge and moto's replace leave the same map).
    c.apigw2
        .update_integration()
        .api_id(&id)
        .integration_id(&iid)
        .request_parameters(
            "integration.request.querystring.x",
            "route.request.body.other",
        )
        .request_parameters("integration.request.header.X-Static", "'v'")
        .request_parameters("integration.request.header.X-Hand", "'by hand'")
        .send()
        .await
        .unwrap();
    assert_eq!(integration_of(&c, &id, SEND_URI).await.1.len(), 3);
    let o = gwctl(
        &em,
        &["plan", spec.to_str().unwrap(), "--detailed-exitcode"],
    );
    assert_eq!(o.status.code(), Some(2), "drift: exit 2\n{:?}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!("~ integration http:POST {SEND_URI}")),
        "{out}"
    );
    assert!(out.contains("request_parameters"), "{out}");
    assert!(
        !out.contains(CONNECT_URI),
        "only `send`'s integration: {out}"
    );

    // Apply reverts it in place: the live map is exactly the declared one, then 0 writes.
    let doc = apply_json(&em, &spec);
    assert_eq!(writes(&doc), w(&[("UpdateIntegration", 1)]));
    let (after_id, after) = integration_of(&c, &id, SEND_URI).await;
    assert_eq!(after_id, iid, "updated in place");
    assert_eq!(after, declared);
    assert_eq!(apply_json(&em, &spec).calls.writes, 0);

    // Export holds the maps and plans empty against the same API.
    export_plans_empty(
        &em,
        &dir,
        &id,
        &[
            "request_parameters",
            "integration.request.querystring.x",
            "route.request.body.x",
            "integration.request.header.X-Static",
            "'v'",
            "integration.request.header.X-Tenant",
            "route.request.querystring.tenant",
        ],
    );

    // The spec drops `X-Static`: one update, and the live map lacks it.
    let dropped = RELAY.replace("        integration.request.header.X-Static: \"'v'\"\n", "");
    assert_ne!(dropped, RELAY);
    let spec = support::cli::write(&dir, "relay.yaml", &dropped);
    let doc = apply_json(&em, &spec);
    assert_eq!(writes(&doc), w(&[("UpdateIntegration", 1)]));
    assert_eq!(
        integration_of(&c, &id, SEND_URI).await.1,
        map(&[("integration.request.querystring.x", "route.request.body.x")])
    );
    assert_eq!(apply_json(&em, &spec).calls.writes, 0);

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
    let doc: DestroyDoc = serde_json::from_str(&ok(&o).0).unwrap();
    assert_eq!(doc.result, "destroyed");
    assert!(api_ids(&c).await.is_empty());
}
