//! REST authorizers end to end: the real `gwctl` binary against the emulator, the account
//! read back with the SDK. Lambda TOKEN and REQUEST authorizers, a Cognito user pool with
//! per-route scopes, IAM, `auth: none` beside a default authorizer; one permission per Lambda
//! authorizer scoped to it; a TTL change updates that authorizer in place; an authorizer the
//! routes still use is deleted only after they moved away.

use crate::support;
use crate::support::cli::{apply_json, gwctl, w, write, writes};
use crate::support::Emulator;

const FUNCTIONS: &[&str] = &["auth-app", "auth-token", "auth-request"];
const POOL: &str = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc123";

const SPEC: &str = r#"
api: {name: auth-api}
functions:
  app: auth-app
  tok-fn: auth-token
  req-fn: auth-request
authorizers:
  tok:
    type: token
    function: tok-fn
    identity_source: method.request.header.Authorization
    ttl: 300
  req:
    type: request
    function: req-fn
    identity_sources: [method.request.header.X-Tenant, method.request.querystring.key]
    ttl: 60
  pool:
    type: cognito
    user_pool_arns: [arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc123]
default_auth: tok
routes:
  - {path: /reports, method: GET, function: app}
  - {path: /tenants, method: GET, function: app, auth: req}
  - {path: /me, method: GET, function: app, auth: pool, scopes: [profile, email]}
  - {path: /admin, method: POST, function: app, auth: iam}
  - {path: /health, method: GET, function: app, auth: none}
stages:
  prod: {}
"#;

/// Statements of a function's policy as (sid, source ARN).
async fn statements(em: &Emulator, function: &str) -> Vec<(String, String)> {
    let c = em.clients().await;
    let Ok(out) = c.lambda.get_policy().function_name(function).send().await else {
        return vec![];
    };
    let v: serde_json::Value = serde_json::from_str(out.policy().unwrap_or("{}")).unwrap();
    v["Statement"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| {
                    (
                        s["Sid"].as_str().unwrap_or_default().to_string(),
                        s["Condition"]["ArnLike"]["AWS:SourceArn"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Authorizers by name: (id, type, ttl, identity source, provider ARNs).
async fn authorizers(
    em: &Emulator,
    api_id: &str,
) -> std::collections::BTreeMap<String, (String, String, Option<i32>, String, Vec<String>)> {
    let c = em.clients().await;
    let out = c
        .apigw
        .get_authorizers()
        .rest_api_id(api_id)
        .send()
        .await
        .unwrap();
    out.items()
        .iter()
        .map(|a| {
            (
                a.name().unwrap().to_string(),
                (
                    a.id().unwrap().to_string(),
                    a.r#type().unwrap().as_str().to_string(),
                    a.authorizer_result_ttl_in_seconds(),
                    a.identity_source().unwrap_or_default().to_string(),
                    a.provider_arns().to_vec(),
                ),
            )
        })
        .collect()
}

/// Methods by `VERB /path`: (authorization type, authorizer id, sorted scopes).
async fn methods(
    em: &Emulator,
    api_id: &str,
) -> std::collections::BTreeMap<String, (String, Option<String>, Vec<String>)> {
    let c = em.clients().await;
    let res = c
        .apigw
        .get_resources()
        .rest_api_id(api_id)
        .embed("methods")
        .send()
        .await
        .unwrap();
    let mut out = std::collections::BTreeMap::new();
    for r in res.items() {
        for (verb, m) in r.resource_methods().into_iter().flatten() {
            let mut scopes = m.authorization_scopes().to_vec();
            scopes.sort();
            out.insert(
                format!("{verb} {}", r.path().unwrap()),
                (
                    m.authorization_type().unwrap_or_default().to_string(),
                    m.authorizer_id().map(str::to_string),
                    scopes,
                ),
            );
        }
    }
    out
}

#[tokio::test]
async fn token_request_and_cognito_authorizers_apply_with_scoped_permissions() {
    let em = support::emulator().await;
    em.create_functions(FUNCTIONS).await;
    let dir = tempfile::tempdir().unwrap();
    let spec = write(&dir, "auth.yaml", SPEC);

    let first = apply_json(&em, &spec);
    assert_eq!(first.result, "applied");
    let api_id = first.api.id.clone().unwrap();
    let auth_changes: Vec<(&str, &str)> = first
        .changes
        .iter()
        .filter(|c| c.kind == "authorizer")
        .map(|c| (c.action.as_str(), c.name.as_str()))
        .collect();
    assert_eq!(
        auth_changes,
        vec![("create", "pool"), ("create", "req"), ("create", "tok")]
    );

    let auths = authorizers(&em, &api_id).await;
    assert_eq!(auths.len(), 3);
    let (tok_id, kind, ttl, source, _) = &auths["tok"];
    assert_eq!(
        (kind.as_str(), *ttl, source.as_str()),
        ("TOKEN", Some(300), "method.request.header.Authorization")
    );
    let (req_id, kind, ttl, source, _) = &auths["req"];
    assert_eq!(
        (kind.as_str(), *ttl, source.as_str()),
        (
            "REQUEST",
            Some(60),
            "method.request.header.X-Tenant, method.request.querystring.key"
        )
    );
    let (pool_id, kind, _, _, pools) = &auths["pool"];
    assert_eq!(kind, "COGNITO_USER_POOLS");
    assert_eq!(pools, &vec![POOL.to_string()]);

    let m = methods(&em, &api_id).await;
    let entry = |k: &str| m.get(k).cloned().unwrap_or_else(|| panic!("{k}: {m:#?}"));
    assert_eq!(
        entry("GET /reports"),
        ("CUSTOM".into(), Some(tok_id.clone()), vec![]),
        "the default authorizer"
    );
    assert_eq!(
        entry("GET /tenants"),
        ("CUSTOM".into(), Some(req_id.clone()), vec![])
    );
    assert_eq!(
        entry("GET /me"),
        (
            "COGNITO_USER_POOLS".into(),
            Some(pool_id.clone()),
            vec!["email".to_string(), "profile".to_string()]
        ),
        "cognito scopes on this route only"
    );
    assert_eq!(entry("POST /admin"), ("AWS_IAM".into(), None, vec![]));
    assert_eq!(
        entry("GET /health"),
        ("NONE".into(), None, vec![]),
        "`auth: none` opts out of default_auth"
    );

    // Exactly one permission per Lambda authorizer, scoped to that authorizer.
    let base = format!(
        "arn:aws:execute-api:us-east-1:{}:{api_id}",
        support::ACCOUNT_ID
    );
    assert_eq!(
        statements(&em, "auth-token").await,
        vec![(
            format!("gwctl-{api_id}-authorizer-tok"),
            format!("{base}/authorizers/{tok_id}")
        )]
    );
    assert_eq!(
        statements(&em, "auth-request").await,
        vec![(
            format!("gwctl-{api_id}-authorizer-req"),
            format!("{base}/authorizers/{req_id}")
        )]
    );
    assert_eq!(
        statements(&em, "auth-app").await,
        vec![(format!("gwctl-{api_id}-auth-app"), format!("{base}/*"))]
    );

    // Re-apply: nothing to do, no write.
    let second = apply_json(&em, &spec);
    assert_eq!(second.result, "no_changes");
    assert_eq!(writes(&second), vec![], "{:#?}", second.changes);
}

#[tokio::test]
async fn changing_one_ttl_updates_only_that_authorizer() {
    let em = support::emulator().await;
    em.create_functions(FUNCTIONS).await;
    let dir = tempfile::tempdir().unwrap();
    let first = apply_json(&em, &write(&dir, "a.yaml", SPEC));
    let api_id = first.api.id.clone().unwrap();
    let before = authorizers(&em, &api_id).await;
    let methods_before = methods(&em, &api_id).await;

    let changed = write(&dir, "b.yaml", &SPEC.replace("ttl: 60", "ttl: 120"));
    let o = gwctl(&em, &["plan", changed.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("~ authorizer req"), "{out}");
    assert!(out.contains("ttl: 60 -> 120"), "{out}");

    let doc = apply_json(&em, &changed);
    assert_eq!(
        writes(&doc),
        w(&[("CreateDeployment", 1), ("UpdateAuthorizer", 1)]),
        "one authorizer update, no method replaced, one deployment (which moves the stage)"
    );
    let after = authorizers(&em, &api_id).await;
    assert_eq!(after["req"].2, Some(120));
    assert_eq!(after["req"].0, before["req"].0, "updated in place: same id");
    assert_eq!(after["tok"], before["tok"]);
    assert_eq!(after["pool"], before["pool"]);
    assert_eq!(methods(&em, &api_id).await, methods_before);
    assert_eq!(writes(&apply_json(&em, &changed)), vec![]);
}

#[tokio::test]
async fn an_authorizer_still_in_use_is_deleted_after_its_routes_move_away() {
    let em = support::emulator().await;
    em.create_functions(FUNCTIONS).await;
    let dir = tempfile::tempdir().unwrap();
    let first = apply_json(&em, &write(&dir, "a.yaml", SPEC));
    let api_id = first.api.id.clone().unwrap();

    // `req` goes; GET /tenants falls back to the default authorizer.
    let without = SPEC
        .replace(
            "  req:\n    type: request\n    function: req-fn\n    identity_sources: [method.request.header.X-Tenant, method.request.querystring.key]\n    ttl: 60\n",
            "",
        )
        .replace("  req-fn: auth-request\n", "")
        .replace(", auth: req}", "}");
    assert!(!without.contains("  req:") && !without.contains("auth: req"));
    let doc = apply_json(&em, &write(&dir, "b.yaml", &without));
    let order: Vec<(String, String, String)> = doc
        .changes
        .iter()
        .map(|c| (c.action.clone(), c.kind.clone(), c.name.clone()))
        .collect();
    let moved = order
        .iter()
        .position(|(a, k, n)| a == "replace" && k == "method" && n == "GET /tenants")
        .unwrap_or_else(|| panic!("{order:#?}"));
    let deleted = order
        .iter()
        .position(|(a, k, n)| a == "delete" && k == "authorizer" && n == "req")
        .unwrap_or_else(|| panic!("{order:#?}"));
    assert!(moved < deleted, "{order:#?}");
    assert_eq!(
        writes(&doc),
        w(&[
            ("CreateDeployment", 1),
            ("DeleteAuthorizer", 1),
            ("DeleteMethod", 1),
            ("PutIntegration", 1),
            ("PutMethod", 1),
            ("RemovePermission", 1),
        ])
    );
    let auths = authorizers(&em, &api_id).await;
    assert!(!auths.contains_key("req"));
    assert_eq!(
        methods(&em, &api_id).await["GET /tenants"],
        ("CUSTOM".into(), Some(auths["tok"].0.clone()), vec![])
    );
    assert!(statements(&em, "auth-request").await.is_empty());
    assert_eq!(
        writes(&apply_json(&em, &write(&dir, "c.yaml", &without))),
        vec![]
    );
}

async fn validation_expression(em: &Emulator, api_id: &str, id: &str) -> Option<String> {
    let c = em.clients().await;
    c.apigw
        .get_authorizer()
        .rest_api_id(api_id)
        .authorizer_id(id)
        .send()
        .await
        .unwrap()
        .identity_validation_expression()
        .map(str::to_string)
}

/// moto drops `identityValidationExpression` on create-authorizer (emulators.md) but keeps it
/// on update-authorizer. gwctl reads what the service returns and does not paper over it:
/// the second apply patches the expression in place (one call), the third has nothing to
/// do. On AWS the first apply already stores it (the create request carries it: see
/// tests/aws_exec_usage.rs).
#[tokio::test]
async fn a_validation_expression_the_emulator_dropped_is_patched_in_place() {
    let em = support::emulator().await;
    em.create_functions(FUNCTIONS).await;
    let dir = tempfile::tempdir().unwrap();
    let text = SPEC.replace(
        "    identity_source: method.request.header.Authorization\n    ttl: 300",
        "    identity_source: method.request.header.Authorization\n    validation_expression: '^Bearer [-0-9a-zA-Z._]+$'\n    ttl: 300",
    );
    assert_ne!(text, SPEC);
    let spec = write(&dir, "v.yaml", &text);
    let first = apply_json(&em, &spec);
    let api_id = first.api.id.clone().unwrap();
    let tok_id = authorizers(&em, &api_id).await["tok"].0.clone();
    assert_eq!(
        validation_expression(&em, &api_id, &tok_id).await,
        None,
        "dropped by moto"
    );

    let second = apply_json(&em, &spec);
    assert_eq!(writes(&second), w(&[("UpdateAuthorizer", 1)]));
    let change = &second.changes[0];
    assert_eq!(
        (change.kind.as_str(), change.name.as_str()),
        ("authorizer", "tok")
    );
    assert_eq!(change.fields[0].field, "validation_expression");
    assert_eq!(change.fields[0].old, None);
    assert_eq!(
        validation_expression(&em, &api_id, &tok_id)
            .await
            .as_deref(),
        Some("^Bearer [-0-9a-zA-Z._]+$")
    );
    assert_eq!(writes(&apply_json(&em, &spec)), vec![]);
}

/// Lint (issue 5, seed 003 "use authorization on all endpoints"): apply lists routes with no
/// authorization once, as a warning on stderr; routes with `iam`, an authorizer or an
/// explicit `auth: none` are not listed.
#[tokio::test]
async fn apply_lists_routes_without_authorization_once() {
    let em = support::emulator().await;
    em.create_functions(&["auth-app"]).await;
    let dir = tempfile::tempdir().unwrap();
    let spec = write(
        &dir,
        "open.yaml",
        r#"
api: {name: open-api}
functions:
  app: auth-app
routes:
  - {path: /a, method: GET, function: app}
  - {path: /b, method: POST, function: app}
  - {path: /c, method: GET, function: app, auth: iam}
  - {path: /d, method: GET, function: app, auth: none}
stages:
  prod: {}
"#,
    );
    let o = gwctl(&em, &["apply", spec.to_str().unwrap(), "--yes"]);
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    let warning = "warning: 2 routes have no authorization: `GET /a`, `POST /b`";
    assert_eq!(err.matches(warning).count(), 1, "{err}");
    assert!(
        !out.contains("no authorization"),
        "warnings stay off stdout"
    );
    // plan does not repeat the lint (it is an apply-time and validate-time listing)
    let o = gwctl(&em, &["plan", spec.to_str().unwrap()]);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("no authorization"));
}
