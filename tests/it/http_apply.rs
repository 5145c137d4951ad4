//! End-to-end tests of `plan` / `apply` for HTTP APIs: the real `gwctl` binary against the
//! local emulator (moto), with the account read back through the SDK and counted — the
//! emulator accepts duplicate route keys (the strict proxy in front of it does not), and every
//! read-back asserts exact counts.
//!
//! What moto 5.2.5 lacks (create-deployment, get-deployments, update-stage, the authorizer
//! list) is covered offline in `tests/aws_http_offline.rs`; here named stages use auto-deploy.

use std::path::PathBuf;

use crate::support;
use crate::support::cli::{apply_json, gwctl, ok, repo, text, w, writes};
use gwctl::output::PlanDoc;

fn variant(dir: &tempfile::TempDir, file: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let text = std::fs::read_to_string(repo("specs/items-http.yaml")).unwrap();
    let changed = edit(text.clone());
    assert_ne!(changed, text, "the edit must change the spec");
    let p = dir.path().join(file);
    std::fs::write(&p, changed).unwrap();
    p
}

/// Routes as (route key, target) and the number of integrations, read with the SDK.
async fn routes_and_integrations(
    c: &gwctl::aws::Clients,
    api_id: &str,
) -> (Vec<(String, String)>, usize) {
    let routes = c.apigw2.get_routes().api_id(api_id).send().await.unwrap();
    let mut r: Vec<(String, String)> = routes
        .items()
        .iter()
        .map(|r| {
            (
                r.route_key().unwrap_or_default().to_string(),
                r.target().unwrap_or_default().to_string(),
            )
        })
        .collect();
    r.sort();
    let integrations = c
        .apigw2
        .get_integrations()
        .api_id(api_id)
        .send()
        .await
        .unwrap();
    (r, integrations.items().len())
}

async fn http_api_count(c: &gwctl::aws::Clients) -> usize {
    c.apigw2.get_apis().send().await.unwrap().items().len()
}

#[tokio::test]
async fn items_http_applies_then_reapplies_with_zero_writes() {
    let em = support::emulator().await;
    em.create_functions(&["items-handler"]).await;
    let c = em.clients().await;
    let spec = repo("specs/items-http.yaml");

    let first = apply_json(&em, &spec);
    assert_eq!(first.result, "applied");
    assert_eq!(first.api.kind, "http");
    assert_eq!(
        writes(&first),
        w(&[
            ("AddPermission", 1),
            ("CreateApi", 1),
            ("CreateAuthorizer", 1),
            ("CreateIntegration", 1),
            ("CreateRoute", 4),
            ("CreateStage", 1),
        ])
    );
    let id = first.api.id.clone().unwrap();
    assert_eq!(first.stages.len(), 1);
    assert_eq!(first.stages[0].name, "$default");
    assert_eq!(
        first.stages[0].invoke_url,
        format!("https://{id}.execute-api.us-east-1.amazonaws.com")
    );
    assert!(first.stages[0].metrics);

    // Read back: one API, four routes on one shared integration, the JWT authorizer, CORS,
    // the stage with auto-deploy and POST throttled, one permission.
    assert_eq!(http_api_count(&c).await, 1);
    let (routes, integrations) = routes_and_integrations(&c, &id).await;
    assert_eq!(integrations, 1, "one integration shared by the four routes");
    let keys: Vec<&str> = routes.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "DELETE /items/{id}",
            "GET /items",
            "GET /items/{id}",
            "POST /items"
        ]
    );
    assert!(routes.iter().all(|(_, t)| *t == routes[0].1));
    let api = c.apigw2.get_api().api_id(&id).send().await.unwrap();
    let cors = api.cors_configuration().unwrap();
    assert_eq!(cors.allow_origins(), ["https://app.example.com"]);
    assert_eq!(cors.max_age(), Some(600));
    assert_eq!(
        api.tags()
            .unwrap()
            .get("gwctl:managed-by")
            .map(String::as_str),
        Some("gwctl")
    );
    let route = c
        .apigw2
        .get_routes()
        .api_id(&id)
        .send()
        .await
        .unwrap()
        .items()[0]
        .clone();
    assert_eq!(route.authorization_type().unwrap().as_str(), "JWT");
    let auth = c
        .apigw2
        .get_authorizer()
        .api_id(&id)
        .authorizer_id(route.authorizer_id().unwrap())
        .send()
        .await
        .unwrap();
    let jwt = auth.jwt_configuration().unwrap();
    assert_eq!(
        jwt.issuer(),
        Some("https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example")
    );
    assert_eq!(jwt.audience(), ["example-app-client-id"]);
    let stage = c
        .apigw2
        .get_stage()
        .api_id(&id)
        .stage_name("$default")
        .send()
        .await
        .unwrap();
    assert_eq!(stage.auto_deploy(), Some(true));
    let post = &stage.route_settings().unwrap()["POST /items"];
    assert_eq!(
        (post.throttling_rate_limit(), post.throttling_burst_limit()),
        (Some(100.0), Some(50))
    );
    let policy = c
        .lambda
        .get_policy()
        .function_name("items-handler")
        .send()
        .await
        .unwrap();
    let statements = gwctl::aws::read::parse_policy(policy.policy().unwrap()).unwrap();
    assert_eq!(statements.len(), 1);
    assert_eq!(statements[0].sid, format!("gwctl-{id}-items-handler"));
    assert_eq!(
        statements[0].source_arn.as_deref(),
        Some(format!("arn:aws:execute-api:us-east-1:123456789012:{id}/*").as_str())
    );

    // Second apply: nothing to do, not one write.
    let second = apply_json(&em, &spec);
    assert_eq!(second.result, "no_changes");
    assert_eq!(writes(&second), vec![]);
    assert_eq!(second.calls.writes, 0);
    assert_eq!(second.api.id.as_deref(), Some(id.as_str()));
    // the emulator's missing authorizer list is said, not hidden
    assert!(
        second
            .notes
            .iter()
            .any(|n| n.contains("authorizer list could not be read")),
        "{:?}",
        second.notes
    );
    let plan = gwctl(
        &em,
        &["plan", spec.to_str().unwrap(), "--detailed-exitcode"],
    );
    let (out, _) = ok(&plan);
    assert!(out.contains("No changes. http api `items-api`"), "{out}");
    assert_eq!(http_api_count(&c).await, 1);
}

#[tokio::test]
async fn removing_a_route_deletes_exactly_that_route() {
    let em = support::emulator().await;
    em.create_functions(&["items-handler"]).await;
    let c = em.clients().await;
    let first = apply_json(&em, &repo("specs/items-http.yaml"));
    let id = first.api.id.unwrap();
    let (before, _) = routes_and_integrations(&c, &id).await;

    let dir = tempfile::tempdir().unwrap();
    let spec = variant(&dir, "items.yaml", |t| {
        t.replace(
            "  - {path: \"/items/{id}\", method: DELETE, function: items}\n",
            "",
        )
    });
    let plan = gwctl(&em, &["plan", spec.to_str().unwrap(), "--output", "json"]);
    let (out, _) = ok(&plan);
    let doc: PlanDoc = serde_json::from_str(&out).unwrap();
    assert_eq!(doc.api.kind, "http");
    assert_eq!(doc.changes.len(), 1);
    assert_eq!(
        (
            doc.changes[0].action.as_str(),
            doc.changes[0].kind.as_str(),
            doc.changes[0].name.as_str()
        ),
        ("delete", "route", "DELETE /items/{id}")
    );

    let doc = apply_json(&em, &spec);
    assert_eq!(writes(&doc), w(&[("DeleteRoute", 1)]));
    let (after, integrations) = routes_and_integrations(&c, &id).await;
    let expected: Vec<_> = before
        .into_iter()
        .filter(|(k, _)| k != "DELETE /items/{id}")
        .collect();
    assert_eq!(after, expected);
    assert_eq!(integrations, 1);
    assert_eq!(apply_json(&em, &spec).calls.writes, 0);
}

#[tokio::test]
async fn changing_a_routes_function_rewires_only_that_route() {
    let em = support::emulator().await;
    em.create_functions(&["items-handler", "items-get"]).await;
    let c = em.clients().await;
    let first = apply_json(&em, &repo("specs/items-http.yaml"));
    let id = first.api.id.unwrap();
    let (before, _) = routes_and_integrations(&c, &id).await;

    let dir = tempfile::tempdir().unwrap();
    let spec = variant(&dir, "items.yaml", |t| {
        t.replace(
            "functions:\n  items: items-handler\n",
            "functions:\n  items: items-handler\n  get: items-get\n",
        )
        .replace(
            "{path: \"/items/{id}\", method: GET, function: items}",
            "{path: \"/items/{id}\", method: GET, function: get}",
        )
    });
    let doc = apply_json(&em, &spec);
    assert_eq!(
        writes(&doc),
        w(&[
            ("AddPermission", 1),
            ("CreateIntegration", 1),
            ("UpdateRoute", 1)
        ])
    );
    let (after, integrations) = routes_and_integrations(&c, &id).await;
    assert_eq!(integrations, 2);
    for ((k, t_before), (k2, t_after)) in before.iter().zip(&after) {
        assert_eq!(k, k2);
        if k == "GET /items/{id}" {
            assert_ne!(t_before, t_after, "the route moved to the new integration");
        } else {
            assert_eq!(t_before, t_after, "{k} untouched");
        }
    }
    let integration_id = after
        .iter()
        .find(|(k, _)| k == "GET /items/{id}")
        .unwrap()
        .1
        .trim_start_matches("integrations/")
        .to_string();
    let i = c
        .apigw2
        .get_integration()
        .api_id(&id)
        .integration_id(integration_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        i.integration_uri(),
        Some("arn:aws:lambda:us-east-1:123456789012:function:items-get")
    );
    assert_eq!(apply_json(&em, &spec).calls.writes, 0);
}

#[tokio::test]
async fn default_and_named_stages_report_their_invoke_urls() {
    let em = support::emulator().await;
    em.create_functions(&["app-fn"]).await;
    let c = em.clients().await;
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("staged.yaml");
    std::fs::write(
        &spec,
        r#"api: {name: staged-http, kind: http}
functions:
  app: app-fn
default_auth: none
routes:
  - {path: /todos, method: GET, function: app}
  - {path: $default, function: app}
stages:
  $default:
    auto_deploy: true
    throttle: {rate: 50, burst: 100}
    access_log:
      destination: arn:aws:logs:us-east-1:123456789012:log-group:/apigw/staged
      format: '{"requestId":"$context.requestId","status":"$context.status"}'
  beta:
    auto_deploy: true
    metrics: true
    variables: {version: v2}
"#,
    )
    .unwrap();
    let doc = apply_json(&em, &spec);
    let id = doc.api.id.clone().unwrap();
    let urls: Vec<(&str, &str)> = doc
        .stages
        .iter()
        .map(|s| (s.name.as_str(), s.invoke_url.as_str()))
        .collect();
    let root = format!("https://{id}.execute-api.us-east-1.amazonaws.com");
    let beta = format!("{root}/beta");
    assert_eq!(
        urls,
        vec![("$default", root.as_str()), ("beta", beta.as_str())]
    );
    let d = &doc.stages[0];
    assert_eq!((d.throttle_rate, d.throttle_burst), (Some(50.0), Some(100)));
    assert_eq!(
        d.access_log_destination.as_deref(),
        Some("arn:aws:logs:us-east-1:123456789012:log-group:/apigw/staged")
    );
    assert!(doc.stages[1].metrics);
    assert_eq!(
        writes(&doc),
        w(&[
            ("AddPermission", 1),
            ("CreateApi", 1),
            ("CreateIntegration", 1),
            ("CreateRoute", 2),
            ("CreateStage", 2),
        ])
    );
    let stages = c.apigw2.get_stages().api_id(&id).send().await.unwrap();
    assert_eq!(stages.items().len(), 2);
    // the text report shows the same URLs
    let o = gwctl(&em, &["apply", spec.to_str().unwrap(), "--yes"]);
    let (out, _) = ok(&o);
    assert!(
        out.contains(&format!("stage    $default  {root}\n")),
        "{out}"
    );
    assert!(out.contains(&format!("stage    beta  {beta}\n")), "{out}");
    assert!(out.contains("throttling rate 50 burst 100"), "{out}");
}

/// A second route with an existing key (AWS answers ConflictException; moto accepts it, so
/// the test makes it on moto itself, behind the strict proxy's back). gwctl must see the
/// duplicate and delete it, not count it as the route the spec wants.
#[tokio::test]
async fn a_duplicate_route_made_behind_gwctls_back_is_deleted() {
    let em = support::emulator().await;
    em.create_functions(&["items-handler"]).await;
    let c = em.clients().await;
    let spec = repo("specs/items-http.yaml");
    let id = apply_json(&em, &spec).api.id.unwrap();
    // An exact copy of `GET /items` (same target and authorizer): whichever of the two the
    // reader keeps (the first by id; moto's ids are random), one delete converges.
    let original = c
        .apigw2
        .get_routes()
        .api_id(&id)
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .find(|r| r.route_key() == Some("GET /items"))
        .unwrap()
        .clone();
    em.moto_clients()
        .await
        .apigw2
        .create_route()
        .api_id(&id)
        .route_key("GET /items")
        .set_target(original.target().map(str::to_string))
        .set_authorization_type(original.authorization_type().cloned())
        .set_authorizer_id(original.authorizer_id().map(str::to_string))
        .send()
        .await
        .unwrap();
    assert_eq!(routes_and_integrations(&c, &id).await.0.len(), 5);

    let doc = apply_json(&em, &spec);
    assert_eq!(writes(&doc), w(&[("DeleteRoute", 1)]));
    let (after, _) = routes_and_integrations(&c, &id).await;
    assert_eq!(after.len(), 4);
    assert_eq!(after.iter().filter(|(k, _)| k == "GET /items").count(), 1);
    assert_eq!(apply_json(&em, &spec).calls.writes, 0);
}

#[tokio::test]
async fn an_http_api_gwctl_did_not_create_is_never_duplicated() {
    let em = support::emulator().await;
    em.create_functions(&["items-handler"]).await;
    let c = em.clients().await;
    let other = c
        .apigw2
        .create_api()
        .name("items-api")
        .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
        .send()
        .await
        .unwrap();
    let o = gwctl(
        &em,
        &[
            "apply",
            repo("specs/items-http.yaml").to_str().unwrap(),
            "--yes",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("http api `items-api` exists") && err.contains("gwctl did not create it"),
        "{err}"
    );
    assert!(
        err.contains(&format!("--api-id {}", other.api_id().unwrap())),
        "{err}"
    );
    assert_eq!(http_api_count(&c).await, 1);
}

#[tokio::test]
async fn a_missing_function_stops_before_any_write() {
    let em = support::emulator().await;
    let c = em.clients().await;
    let o = gwctl(
        &em,
        &[
            "apply",
            repo("specs/items-http.yaml").to_str().unwrap(),
            "--yes",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("specs/items-http.yaml:12:10"), "{err}");
    assert!(err.contains("`items-handler`"), "{err}");
    assert_eq!(http_api_count(&c).await, 0);
}

/// JWT and Lambda REQUEST authorizers on one HTTP API: scopes on the JWT route, one invoke
/// permission for the authorizer function scoped to its authorizer, one for the route
/// function scoped to the API; a TTL change updates that authorizer alone, in place.
#[tokio::test]
async fn jwt_and_lambda_authorizers_apply_with_scoped_permissions() {
    let em = support::emulator().await;
    em.create_functions(&["app-fn", "my-authorizer"]).await;
    let c = em.clients().await;
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("secured.yaml");
    // The planner tests' fixture, on a `$default` auto-deploy stage (moto has no deployments).
    let text = std::fs::read_to_string(repo("tests/fixtures/http-secured.yaml"))
        .unwrap()
        .replace(
            "  prod: {auto_deploy: false}",
            "  $default: {auto_deploy: true}",
        );
    assert!(text.contains("$default"));
    std::fs::write(&spec, &text).unwrap();
    let doc = apply_json(&em, &spec);
    assert_eq!(
        writes(&doc),
        w(&[
            ("AddPermission", 2),
            ("CreateApi", 1),
            ("CreateAuthorizer", 2),
            ("CreateIntegration", 1),
            ("CreateRoute", 2),
            ("CreateStage", 1),
        ])
    );
    let id = doc.api.id.unwrap();
    let routes = c.apigw2.get_routes().api_id(&id).send().await.unwrap();
    assert_eq!(routes.items().len(), 2);
    let admin = routes
        .items()
        .iter()
        .find(|r| r.route_key() == Some("POST /admin"))
        .unwrap();
    assert_eq!(admin.authorization_type().unwrap().as_str(), "CUSTOM");
    let items = routes
        .items()
        .iter()
        .find(|r| r.route_key() == Some("GET /items"))
        .unwrap();
    assert_eq!(items.authorization_scopes(), ["items/read"]);
    let lambda_auth = c
        .apigw2
        .get_authorizer()
        .api_id(&id)
        .authorizer_id(admin.authorizer_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(lambda_auth.authorizer_result_ttl_in_seconds(), Some(300));
    assert_eq!(lambda_auth.enable_simple_responses(), Some(true));
    let sources = |f: &str| {
        let c = c.clone();
        let f = f.to_string();
        async move {
            let p = c.lambda.get_policy().function_name(f).send().await.unwrap();
            gwctl::aws::read::parse_policy(p.policy().unwrap())
                .unwrap()
                .into_iter()
                .map(|s| s.source_arn.unwrap_or_default())
                .collect::<Vec<_>>()
        }
    };
    let arn = format!("arn:aws:execute-api:us-east-1:123456789012:{id}");
    assert_eq!(sources("app-fn").await, vec![format!("{arn}/*")]);
    assert_eq!(
        sources("my-authorizer").await,
        vec![format!(
            "{arn}/authorizers/{}",
            admin.authorizer_id().unwrap()
        )]
    );
    assert_eq!(apply_json(&em, &spec).calls.writes, 0);

    std::fs::write(&spec, text.replace("ttl: 300", "ttl: 60")).unwrap();
    let doc = apply_json(&em, &spec);
    assert_eq!(writes(&doc), w(&[("UpdateAuthorizer", 1)]));
    let after = c
        .apigw2
        .get_authorizer()
        .api_id(&id)
        .authorizer_id(admin.authorizer_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(after.authorizer_result_ttl_in_seconds(), Some(60));
    assert_eq!(apply_json(&em, &spec).calls.writes, 0);
}

/// Two applies of the same HTTP spec started together leave exactly one API, complete: the
/// run whose API is newer deletes it (and its statements) and finishes on the older one.
#[tokio::test]
async fn two_http_applies_started_together_leave_exactly_one_api() {
    let em = support::emulator().await;
    let spec = repo("specs/items-http.yaml");
    let mut races = 0;
    // At least two rounds, and more (up to four) until both runs did create an API in the
    // same moment: a run that starts later finds the other's API instead.
    for round in 0..4 {
        if round >= 2 && races >= 1 {
            break;
        }
        em.reset();
        em.create_functions(&["items-handler"]).await;
        let spawn = || {
            support::cli::command(&em, &["apply", spec.to_str().unwrap(), "--yes"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn gwctl")
        };
        let (a, b) = (spawn(), spawn());
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        for o in [&a, &b] {
            let (out, err) = text(o);
            assert_eq!(o.status.code(), Some(0), "round {round}\n{out}\n{err}");
        }
        races += [&a, &b]
            .iter()
            .filter(|o| text(o).1.contains("another gwctl run created http api"))
            .count();
        let c = em.clients().await;
        assert_eq!(http_api_count(&c).await, 1, "round {round}");
        // A run that found the other's API half made writes into it at the same time. A
        // second route with the same key is refused (by AWS, and by the strict proxy), and
        // gwctl then plans again; a second integration is accepted (AWS too), and so is a
        // second HTTP authorizer by moto. So a next apply may only remove such duplicates
        // (and point routes at the survivors); after it, nothing at all.
        let again = apply_json(&em, &spec);
        assert!(
            writes(&again)
                .iter()
                .all(|(op, _)| op.starts_with("Delete") || op == "UpdateRoute"),
            "round {round}: {:?}",
            writes(&again)
        );
        let settled = apply_json(&em, &spec);
        assert_eq!(
            settled.calls.writes,
            0,
            "round {round}: {:?}\n--- run a:\n{}\n--- run b:\n{}",
            writes(&settled),
            text(&a).1,
            text(&b).1
        );
        let id = settled.api.id.clone().unwrap();
        let (routes, integrations) = routes_and_integrations(&c, &id).await;
        let mut keys: Vec<&str> = routes.iter().map(|(k, _)| k.as_str()).collect();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "round {round}: no duplicate route key");
        assert_eq!(integrations, 1, "round {round}: one integration per target");
    }
    // Both runs read "no API" and create one: the race this test is about did happen.
    assert!(races >= 1, "no run met a twin in 4 rounds");
}
