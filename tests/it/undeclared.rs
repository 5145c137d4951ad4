//! Issue 15 item 2 end to end (the real `gwctl` binary against moto): a setting the spec
//! does not declare is never changed, on an adopted API (`--api-id`) and on one gwctl
//! created alike, and a second plan is empty.

use std::path::PathBuf;

use aws_sdk_apigateway::types as agt;
use aws_sdk_apigatewayv2::types as v2;

use crate::support;
use crate::support::cli::{gwctl, ok, text, write};

fn rest_spec(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    write(
        dir,
        "rest.yaml",
        &format!(
            "version: 1\napi: {{name: {name}, kind: rest}}\nfunctions: {{items: items-fn}}\n\
             routes:\n  - {{path: /items, method: GET, function: items}}\nstages:\n  prod: {{}}\n"
        ),
    )
}

/// `plan SPEC [--api-id ID] --detailed-exitcode`: 0 when nothing is left to change.
fn plan_exit(em: &support::Emulator, spec: &std::path::Path, api_id: Option<&str>) -> i32 {
    let mut args = vec!["plan", spec.to_str().unwrap(), "--detailed-exitcode"];
    if let Some(id) = api_id {
        args.extend(["--api-id", id]);
    }
    let o = gwctl(em, &args);
    let (out, err) = text(&o);
    let code = o.status.code().unwrap_or(-1);
    assert!(code != 1, "plan failed:\n{out}\n{err}");
    if code != 0 {
        eprintln!("plan not empty:\n{out}\n{err}");
    }
    code
}

fn variables() -> std::collections::HashMap<String, String> {
    [("color", "blue"), ("backend", "v2")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn an_adopted_rest_api_keeps_its_description_key_source_stage_variables_and_route_settings() {
    let em = support::emulator().await;
    let arns = em.create_functions(&["items-fn"]).await;
    let c = em.clients().await;
    let gw = &c.apigw;
    // Built by hand: description, API keys read from the authorizer, a stage with variables.
    let api = gw
        .create_rest_api()
        .name("hand-api")
        .description("made in the console")
        .api_key_source(agt::ApiKeySourceType::Authorizer)
        .send()
        .await
        .unwrap();
    let id = api.id().unwrap().to_string();
    let root = gw
        .get_resources()
        .rest_api_id(&id)
        .send()
        .await
        .unwrap()
        .items()[0]
        .id()
        .unwrap()
        .to_string();
    let items = gw
        .create_resource()
        .rest_api_id(&id)
        .parent_id(&root)
        .path_part("items")
        .send()
        .await
        .unwrap();
    let rid = items.id().unwrap();
    gw.put_method()
        .rest_api_id(&id)
        .resource_id(rid)
        .http_method("GET")
        .authorization_type("NONE")
        .api_key_required(true)
        .send()
        .await
        .unwrap();
    gw.put_integration()
        .rest_api_id(&id)
        .resource_id(rid)
        .http_method("GET")
        .r#type(agt::IntegrationType::AwsProxy)
        .integration_http_method("POST")
        .timeout_in_millis(10_000)
        .uri(format!(
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{}/invocations",
            arns[0]
        ))
        .send()
        .await
        .unwrap();
    gw.create_deployment()
        .rest_api_id(&id)
        .stage_name("prod")
        .set_variables(Some(variables()))
        .send()
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let spec = rest_spec(&dir, "hand-api");
    let o = gwctl(&em, &["plan", spec.to_str().unwrap(), "--api-id", &id]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    for field in ["description", "api_key_source", "variables"] {
        assert!(!out.contains(field), "the plan touches `{field}`:\n{out}");
    }
    assert!(!out.contains("(none)"), "{out}");
    ok(&gwctl(
        &em,
        &["apply", spec.to_str().unwrap(), "--yes", "--api-id", &id],
    ));

    let after = gw.get_rest_api().rest_api_id(&id).send().await.unwrap();
    assert_eq!(after.description(), Some("made in the console"));
    assert_eq!(
        after.api_key_source(),
        Some(&agt::ApiKeySourceType::Authorizer)
    );
    let stage = gw
        .get_stage()
        .rest_api_id(&id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    assert_eq!(stage.variables(), Some(&variables()));
    // The route's settings it does not declare: the API key requirement and the timeout.
    let method = gw
        .get_method()
        .rest_api_id(&id)
        .resource_id(rid)
        .http_method("GET")
        .send()
        .await
        .unwrap();
    assert_eq!(method.api_key_required(), Some(true));
    assert_eq!(
        method.method_integration().map(|i| i.timeout_in_millis()),
        Some(10_000)
    );
    assert_eq!(
        plan_exit(&em, &spec, Some(&id)),
        0,
        "a second plan is empty"
    );
}

#[tokio::test]
async fn an_adopted_http_api_keeps_its_description_and_stage_variables() {
    let em = support::emulator().await;
    em.create_functions(&["items-fn"]).await;
    let c = em.clients().await;
    let api = c
        .apigw2
        .create_api()
        .name("hand-http")
        .description("made in the console")
        .protocol_type(v2::ProtocolType::Http)
        .send()
        .await
        .unwrap();
    let id = api.api_id().unwrap().to_string();
    // moto has no HTTP deployments: an auto-deploy stage, as the other HTTP tests use.
    c.apigw2
        .create_stage()
        .api_id(&id)
        .stage_name("$default")
        .auto_deploy(true)
        .set_stage_variables(Some(variables()))
        .send()
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let spec = write(
        &dir,
        "http.yaml",
        "version: 1\napi: {name: hand-http, kind: http}\nfunctions: {items: items-fn}\n\
         routes:\n  - {path: /items, method: GET, function: items}\n\
         stages:\n  $default: {auto_deploy: true}\n",
    );
    let o = gwctl(&em, &["plan", spec.to_str().unwrap(), "--api-id", &id]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    for field in ["description", "variables"] {
        assert!(!out.contains(field), "the plan touches `{field}`:\n{out}");
    }
    ok(&gwctl(
        &em,
        &["apply", spec.to_str().unwrap(), "--yes", "--api-id", &id],
    ));

    let after = c.apigw2.get_api().api_id(&id).send().await.unwrap();
    assert_eq!(after.description(), Some("made in the console"));
    let stage = c
        .apigw2
        .get_stage()
        .api_id(&id)
        .stage_name("$default")
        .send()
        .await
        .unwrap();
    assert_eq!(stage.stage_variables(), Some(&variables()));
    assert_eq!(
        plan_exit(&em, &spec, Some(&id)),
        0,
        "a second plan is empty"
    );
}

#[tokio::test]
async fn stage_variables_added_by_hand_to_an_api_gwctl_created_stay() {
    let em = support::emulator().await;
    em.create_functions(&["items-fn"]).await;
    let c = em.clients().await;
    let dir = tempfile::tempdir().unwrap();
    let spec = rest_spec(&dir, "owned-api");
    ok(&gwctl(&em, &["apply", spec.to_str().unwrap(), "--yes"]));
    let apis = c.apigw.get_rest_apis().send().await.unwrap();
    let id = apis
        .items()
        .iter()
        .find(|a| a.name() == Some("owned-api"))
        .and_then(|a| a.id())
        .unwrap()
        .to_string();
    let mut update = c.apigw.update_stage().rest_api_id(&id).stage_name("prod");
    for (k, v) in variables() {
        update = update.patch_operations(
            agt::PatchOperation::builder()
                .op(agt::Op::Replace)
                .path(format!("/variables/{k}"))
                .value(v)
                .build(),
        );
    }
    update.send().await.unwrap();

    assert_eq!(plan_exit(&em, &spec, None), 0, "nothing to change");
    ok(&gwctl(&em, &["apply", spec.to_str().unwrap(), "--yes"]));
    let stage = c
        .apigw
        .get_stage()
        .rest_api_id(&id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    assert_eq!(stage.variables(), Some(&variables()));

    // Declared, `variables` is the complete set: one listed, the other removed.
    let declared = write(
        &dir,
        "declared.yaml",
        &std::fs::read_to_string(&spec)
            .unwrap()
            .replace("prod: {}", "prod: {variables: {color: red}}"),
    );
    ok(&gwctl(&em, &["apply", declared.to_str().unwrap(), "--yes"]));
    let stage = c
        .apigw
        .get_stage()
        .rest_api_id(&id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    let want: std::collections::HashMap<String, String> =
        [("color".to_string(), "red".to_string())].into();
    assert_eq!(stage.variables(), Some(&want));
}
