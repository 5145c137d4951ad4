//! Models and request validation on REST APIs (issue 18 item 3). End to end on moto (the
//! real binary): models (one referencing another), shared request validators and each
//! method's validator and body model are applied, a second plan is empty, drift made by hand
//! (a validator's setting changed, a model deleted) is shown and reverted, `destroy` leaves
//! nothing. Moto has no update-model, so a changed schema is checked offline with the exact
//! request, as is create-model's (docs/testing.md).

use std::sync::{Arc, Mutex};

use aws_sdk_apigateway::operation::create_model::{CreateModelInput, CreateModelOutput};
use aws_sdk_apigateway::operation::update_model::{UpdateModelInput, UpdateModelOutput};
use aws_sdk_apigateway::types::{Op as PatchOp, PatchOperation};
use aws_sdk_apigateway::Client as ApigwClient;
use aws_smithy_mocks::mock;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use gwctl::aws::error::ErrorKind;
use gwctl::aws::exec::rest::Executor;
use gwctl::aws::exec::OpOutcome;
use gwctl::plan::rest::ops::Op;
use gwctl::state::rest::ObservedRestApi;

use crate::support;
use crate::support::cli::{gwctl, ok, plan_exit, write};
use crate::support::offline::mock_clients as clients;

const SPEC: &str = r##"version: 1
api: {name: models-e2e}
functions: {create: models-create, list: models-list}
stages: {prod: {}}
models:
  Item:
    type: object
    required: [sku]
    properties:
      sku: {type: string}
  Order:
    type: object
    required: [item]
    properties:
      item: {$ref: "#/models/Item"}
      quantity: {type: integer, minimum: 1}
routes:
  - path: /orders
    method: POST
    function: create
    request: {validate: body, body: {application/json: Order}}
  - path: /orders
    method: GET
    function: list
    request_parameters: {method.request.querystring.page: true}
    request: {validate: parameters}
  - path: /items
    method: POST
    function: create
    request: {validate: body, body: {application/json: Item}}
"##;

#[tokio::test]
async fn models_and_validators_are_applied_kept_reverted_and_destroyed() {
    let em = support::emulator().await;
    em.create_functions(&["models-create", "models-list"]).await;
    let dir = tempfile::tempdir().unwrap();
    let spec = write(&dir, "models.yaml", SPEC);
    let s = spec.to_str().unwrap();
    ok(&gwctl(&em, &["apply", s, "--yes"]));
    assert_eq!(plan_exit(&em, &spec).0, 0, "a second plan is empty");

    let c = em.clients().await;
    let gw = &c.apigw;
    let apis = gw.get_rest_apis().send().await.unwrap();
    let id = apis
        .items()
        .iter()
        .find(|a| a.name() == Some("models-e2e"))
        .and_then(|a| a.id())
        .unwrap()
        .to_string();
    let models = gw.get_models().rest_api_id(&id).send().await.unwrap();
    let order = models
        .items()
        .iter()
        .find(|m| m.name() == Some("Order"))
        .expect("Order created");
    assert_eq!(order.description(), Some("gwctl:managed"));
    let schema: serde_json::Value = serde_json::from_str(order.schema().unwrap()).unwrap();
    assert_eq!(
        schema["properties"]["item"]["$ref"],
        format!("https://apigateway.amazonaws.com/restapis/{id}/models/Item")
    );
    // One validator per kind, shared by the two `validate: body` routes.
    let validators = gw
        .get_request_validators()
        .rest_api_id(&id)
        .send()
        .await
        .unwrap();
    let mut names: Vec<&str> = validators.items().iter().filter_map(|v| v.name()).collect();
    names.sort();
    assert_eq!(names, ["gwctl-validate-body", "gwctl-validate-parameters"]);
    let body_id = validators
        .items()
        .iter()
        .find(|v| v.name() == Some("gwctl-validate-body"))
        .and_then(|v| v.id())
        .unwrap()
        .to_string();
    let resources = gw
        .get_resources()
        .rest_api_id(&id)
        .embed("methods")
        .send()
        .await
        .unwrap();
    let orders = resources
        .items()
        .iter()
        .find(|r| r.path() == Some("/orders"))
        .unwrap();
    let post = &orders.resource_methods().unwrap()["POST"];
    assert_eq!(post.request_validator_id(), Some(body_id.as_str()));
    assert_eq!(post.request_models().unwrap()["application/json"], "Order");

    // Drift made by hand: the body validator stops checking bodies, a model is deleted.
    gw.update_request_validator()
        .rest_api_id(&id)
        .request_validator_id(&body_id)
        .patch_operations(
            PatchOperation::builder()
                .op(PatchOp::Replace)
                .path("/validateRequestBody")
                .value("false")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (code, out) = plan_exit(&em, &spec);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("gwctl-validate-body"), "{out}");
    ok(&gwctl(&em, &["apply", s, "--yes"]));
    assert_eq!(plan_exit(&em, &spec).0, 0, "drift reverted");
    let validators = gw
        .get_request_validators()
        .rest_api_id(&id)
        .send()
        .await
        .unwrap();
    assert!(validators
        .items()
        .iter()
        .all(|v| v.name() != Some("gwctl-validate-body") || v.validate_request_body()));

    // Dropping validation from the spec removes what gwctl made, and nothing else.
    gw.create_model()
        .rest_api_id(&id)
        .name("Console")
        .content_type("application/json")
        .schema("{\"type\":\"string\"}")
        .send()
        .await
        .unwrap();
    let plain = SPEC
        .split("models:\n")
        .next()
        .unwrap()
        .to_string()
        + "routes:\n  - {path: /orders, method: POST, function: create}\n  - {path: /orders, method: GET, function: list}\n  - {path: /items, method: POST, function: create}\n";
    let plain_spec = write(&dir, "models.yaml", &plain);
    ok(&gwctl(
        &em,
        &["apply", plain_spec.to_str().unwrap(), "--yes"],
    ));
    assert_eq!(plan_exit(&em, &plain_spec).0, 0, "a second plan is empty");
    let models = gw.get_models().rest_api_id(&id).send().await.unwrap();
    let left: Vec<&str> = models
        .items()
        .iter()
        .filter_map(|m| m.name())
        .filter(|n| !["Empty", "Error"].contains(n))
        .collect();
    assert_eq!(left, ["Console"], "gwctl's models gone, the console's kept");
    let validators = gw
        .get_request_validators()
        .rest_api_id(&id)
        .send()
        .await
        .unwrap();
    assert!(validators.items().is_empty());

    ok(&gwctl(
        &em,
        &["destroy", plain_spec.to_str().unwrap(), "--yes"],
    ));
    let apis = gw.get_rest_apis().send().await.unwrap();
    assert!(!apis.items().iter().any(|a| a.name() == Some("models-e2e")));
}

/// create-model marks the model as gwctl's and writes a reference to another model as AWS
/// wants it; update-model (which moto lacks) replaces `/schema` the same way.
#[tokio::test]
async fn create_and_update_model_send_the_exact_requests() {
    let created: Arc<Mutex<Vec<CreateModelInput>>> = Arc::default();
    let updated: Arc<Mutex<Vec<UpdateModelInput>>> = Arc::default();
    let create = {
        let log = created.clone();
        mock!(ApigwClient::create_model).then_compute_output(move |i| {
            log.lock().unwrap().push(i.clone());
            CreateModelOutput::builder().name("Order").build()
        })
    };
    let update = {
        let log = updated.clone();
        mock!(ApigwClient::update_model).then_compute_output(move |i| {
            log.lock().unwrap().push(i.clone());
            UpdateModelOutput::builder().build()
        })
    };
    let c = clients(&[&create, &update]);
    let observed = ObservedRestApi {
        id: "a1".into(),
        ..Default::default()
    };
    let mut ex = Executor::for_api(&c, &observed);
    let schema =
        serde_json::json!({"type": "object", "properties": {"item": {"$ref": "#/models/Item"}}});
    let op = Op::CreateModel {
        name: "Order".into(),
        content_type: "application/json".into(),
        schema: schema.clone(),
    };
    assert_eq!(ex.apply_one(&op).await.unwrap(), OpOutcome::Applied);
    let op = Op::UpdateModel {
        name: "Order".into(),
        schema,
    };
    assert_eq!(ex.apply_one(&op).await.unwrap(), OpOutcome::Applied);
    let want = serde_json::json!({
        "type": "object",
        "properties": {"item": {"$ref": "https://apigateway.amazonaws.com/restapis/a1/models/Item"}}
    });
    let created = created.lock().unwrap().clone();
    assert_eq!(created.len(), 1);
    let c0 = &created[0];
    assert_eq!(
        (
            c0.rest_api_id(),
            c0.name(),
            c0.content_type(),
            c0.description()
        ),
        (
            Some("a1"),
            Some("Order"),
            Some("application/json"),
            Some("gwctl:managed")
        )
    );
    let sent: serde_json::Value = serde_json::from_str(c0.schema().unwrap()).unwrap();
    assert_eq!(sent, want);
    let updated = updated.lock().unwrap().clone();
    assert_eq!(updated.len(), 1);
    assert_eq!(
        (updated[0].rest_api_id(), updated[0].model_name()),
        (Some("a1"), Some("Order"))
    );
    let patch = &updated[0].patch_operations()[0];
    assert_eq!(updated[0].patch_operations().len(), 1);
    assert_eq!(
        (patch.op(), patch.path()),
        (Some(&PatchOp::Replace), Some("/schema"))
    );
    let sent: serde_json::Value = serde_json::from_str(patch.value().unwrap()).unwrap();
    assert_eq!(sent, want);
}

fn answer(status: u16, body: &str, error: Option<&str>) -> HttpResponse {
    let mut r = HttpResponse::new(
        StatusCode::try_from(status).unwrap(),
        SdkBody::from(body.to_string()),
    );
    r.headers_mut()
        .insert("content-type", "application/json".to_string());
    if let Some(code) = error {
        r.headers_mut().insert("x-amzn-errortype", code.to_string());
    }
    r
}

/// A create whose name exists (AWS's 409; after a lost answer, this op's own first attempt)
/// is done when what exists is exactly what the op asks, adopted for a validator (its id is
/// then known), and otherwise the conflict is the answer (the apply plans again).
#[tokio::test]
async fn a_create_refused_as_existing_is_done_only_when_it_is_the_ops() {
    let create_model = Op::CreateModel {
        name: "Item".into(),
        content_type: "application/json".into(),
        schema: serde_json::json!({"type": "object"}),
    };
    let same =
        r#"{"name":"Item","contentType":"application/json","schema":"{ \"type\": \"object\" }"}"#;
    let other =
        r#"{"name":"Item","contentType":"application/json","schema":"{\"type\":\"string\"}"}"#;
    for (found, done) in [(same, true), (other, false)] {
        let create = mock!(ApigwClient::create_model).then_http_response(|| {
            answer(409, r#"{"message":"exists"}"#, Some("ConflictException"))
        });
        let get = mock!(ApigwClient::get_model)
            .match_requests(|r| r.rest_api_id() == Some("a1") && r.model_name() == Some("Item"))
            .then_http_response(move || answer(200, found, None));
        let c = clients(&[&create, &get]);
        let mut ex = Executor::for_api(
            &c,
            &ObservedRestApi {
                id: "a1".into(),
                ..Default::default()
            },
        );
        let res = ex.apply_one(&create_model).await;
        if done {
            assert_eq!(res.unwrap(), OpOutcome::AlreadyPresent);
        } else {
            assert_eq!(res.unwrap_err().kind, ErrorKind::Conflict);
        }
        assert_eq!((create.num_calls(), get.num_calls()), (1, 1));
    }

    let create = mock!(ApigwClient::create_request_validator)
        .then_http_response(|| answer(409, r#"{"message":"exists"}"#, Some("ConflictException")));
    let list = mock!(ApigwClient::get_request_validators).then_http_response(|| {
        answer(
            200,
            r#"{"item":[{"id":"v9","name":"gwctl-validate-body","validateRequestBody":true,"validateRequestParameters":false}]}"#,
            None,
        )
    });
    let c = clients(&[&create, &list]);
    let mut ex = Executor::for_api(
        &c,
        &ObservedRestApi {
            id: "a1".into(),
            ..Default::default()
        },
    );
    let op = Op::CreateRequestValidator {
        name: "gwctl-validate-body".into(),
        body: true,
        parameters: false,
    };
    assert_eq!(
        ex.apply_one(&op).await.unwrap(),
        OpOutcome::Adopted { id: "v9".into() }
    );
    assert_eq!(ex.validator_ids["gwctl-validate-body"], "v9");
}
