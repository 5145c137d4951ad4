//! The strict proxy (`scripts/quota_proxy.py --strict`) every emulator test goes through:
//! each call moto wrongly accepts is sent twice, straight to the test endpoint, and the second
//! answer must be AWS's (HTTP status, `x-amzn-ErrorType`, JSON body in the service's format),
//! with nothing created by it. The statuses and types are AWS's as recorded by LocalStack's
//! snapshot tests against AWS and by AWS's own error output (docs/testing.md).

use serde_json::Value;

use crate::support::quota::QuotaProxy;
use crate::support::{self, call_at, RawResponse};

/// `(status, x-amzn-ErrorType, body)` of a call expected to be refused.
#[track_caller]
fn refused(r: &RawResponse) -> (u16, String, Value) {
    let kind = r.header("x-amzn-errortype").unwrap_or_default();
    let body: Value = serde_json::from_str(&r.body)
        .unwrap_or_else(|e| panic!("a JSON error body ({e}): {}", r.body));
    (r.status, kind, body)
}

#[track_caller]
fn created(r: &RawResponse) -> Value {
    assert!(
        (200..300).contains(&r.status),
        "the first call is accepted: {} {}",
        r.status,
        r.body
    );
    serde_json::from_str(&r.body).unwrap_or(Value::Null)
}

/// API Gateway's error body: exactly `{"message": ...}`.
#[track_caller]
fn apigateway_error(r: &RawResponse, status: u16, kind: &str, message: &str) {
    let (got_status, got_kind, body) = refused(r);
    assert_eq!(
        (got_status, got_kind.as_str()),
        (status, kind),
        "{}",
        r.body
    );
    assert_eq!(body, serde_json::json!({ "message": message }));
}

/// A REST API and its root resource id, made through `endpoint`.
fn rest_api(endpoint: &str) -> (String, String) {
    let api = created(&call_at(
        endpoint,
        "POST",
        "/restapis",
        Some(r#"{"name":"strict-api"}"#),
    ));
    let id = api["id"].as_str().unwrap().to_string();
    let resources = created(&call_at(
        endpoint,
        "GET",
        &format!("/restapis/{id}/resources"),
        None,
    ));
    let root = resources["item"][0]["id"].as_str().unwrap().to_string();
    (id, root)
}

#[tokio::test]
async fn every_emulator_test_talks_to_the_strict_proxy() {
    let em = support::emulator().await;
    assert!(
        !support::lenient(),
        "GWCTL_EMULATOR_LENIENT is for debugging only: CI runs every emulator test strict"
    );
    assert_ne!(em.endpoint(), em.moto_endpoint());
    let stats = call_at(&em.endpoint(), "GET", "/__quota/stats", None);
    let stats: Value = serde_json::from_str(&stats.body).unwrap();
    assert_eq!(stats["strict"], true, "{stats}");
    // and the quota simulator the pacing and fault tests start is strict too
    let proxy = QuotaProxy::start(&em, &["--no-quotas"]);
    assert_eq!(proxy.stats()["strict"], true);
}

#[tokio::test]
async fn create_resource_for_a_path_part_the_parent_has_is_409_conflict() {
    let em = support::emulator().await;
    let ep = em.endpoint();
    let (api, root) = rest_api(&ep);
    let path = format!("/restapis/{api}/resources/{root}");
    created(&call_at(&ep, "POST", &path, Some(r#"{"pathPart":"pets"}"#)));
    let again = call_at(&ep, "POST", &path, Some(r#"{"pathPart":"pets"}"#));
    apigateway_error(
        &again,
        409,
        "ConflictException",
        "Another resource with the same parent already has this name: pets",
    );
    // nothing was created by the refused call (read from moto itself)
    let all = call_at(
        &em.moto_endpoint(),
        "GET",
        &format!("/restapis/{api}/resources"),
        None,
    );
    let all: Value = serde_json::from_str(&all.body).unwrap();
    let pets = all["item"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["pathPart"] == "pets")
        .count();
    assert_eq!(pets, 1);
    // the same part under another parent is fine, as on AWS
    let pets_id = all["item"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["pathPart"] == "pets")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    created(&call_at(
        &ep,
        "POST",
        &format!("/restapis/{api}/resources/{pets_id}"),
        Some(r#"{"pathPart":"pets"}"#),
    ));
}

#[tokio::test]
async fn put_method_on_an_existing_method_is_409_conflict() {
    let em = support::emulator().await;
    let ep = em.endpoint();
    let (api, root) = rest_api(&ep);
    let path = format!("/restapis/{api}/resources/{root}/methods/GET");
    let body = Some(r#"{"authorizationType":"NONE"}"#);
    created(&call_at(&ep, "PUT", &path, body));
    apigateway_error(
        &call_at(&ep, "PUT", &path, body),
        409,
        "ConflictException",
        "Method already exists for this resource",
    );
}

#[tokio::test]
async fn put_integration_on_a_method_that_does_not_exist_is_404_not_found() {
    let em = support::emulator().await;
    let ep = em.endpoint();
    let (api, root) = rest_api(&ep);
    let methods = format!("/restapis/{api}/resources/{root}/methods");
    let mock = Some(r#"{"type":"MOCK"}"#);
    apigateway_error(
        &call_at(&ep, "PUT", &format!("{methods}/POST/integration"), mock),
        404,
        "NotFoundException",
        "Invalid Method identifier specified",
    );
    // with the method, the same call is accepted
    created(&call_at(
        &ep,
        "PUT",
        &format!("{methods}/POST"),
        Some(r#"{"authorizationType":"NONE"}"#),
    ));
    created(&call_at(
        &ep,
        "PUT",
        &format!("{methods}/POST/integration"),
        mock,
    ));
}

#[tokio::test]
async fn create_stage_with_an_existing_name_is_409_conflict_for_rest_and_http_apis() {
    let em = support::emulator().await;
    let ep = em.endpoint();
    let (api, root) = rest_api(&ep);
    let methods = format!("/restapis/{api}/resources/{root}/methods/GET");
    created(&call_at(
        &ep,
        "PUT",
        &methods,
        Some(r#"{"authorizationType":"NONE"}"#),
    ));
    created(&call_at(
        &ep,
        "PUT",
        &format!("{methods}/integration"),
        Some(r#"{"type":"MOCK"}"#),
    ));
    let deployment = created(&call_at(
        &ep,
        "POST",
        &format!("/restapis/{api}/deployments"),
        Some("{}"),
    ));
    let stage =
        serde_json::json!({"stageName": "prod", "deploymentId": deployment["id"]}).to_string();
    let stages = format!("/restapis/{api}/stages");
    created(&call_at(&ep, "POST", &stages, Some(&stage)));
    apigateway_error(
        &call_at(&ep, "POST", &stages, Some(&stage)),
        409,
        "ConflictException",
        "Stage already exists",
    );

    let http = created(&call_at(
        &ep,
        "POST",
        "/v2/apis",
        Some(r#"{"name":"strict-http","protocolType":"HTTP"}"#),
    ));
    let stages = format!("/v2/apis/{}/stages", http["apiId"].as_str().unwrap());
    created(&call_at(
        &ep,
        "POST",
        &stages,
        Some(r#"{"stageName":"beta"}"#),
    ));
    apigateway_error(
        &call_at(&ep, "POST", &stages, Some(r#"{"stageName":"beta"}"#)),
        409,
        "ConflictException",
        "Stage already exists",
    );
}

#[tokio::test]
async fn create_route_with_an_existing_route_key_is_409_conflict() {
    let em = support::emulator().await;
    let ep = em.endpoint();
    let http = created(&call_at(
        &ep,
        "POST",
        "/v2/apis",
        Some(r#"{"name":"strict-http","protocolType":"HTTP"}"#),
    ));
    let id = http["apiId"].as_str().unwrap();
    let routes = format!("/v2/apis/{id}/routes");
    created(&call_at(
        &ep,
        "POST",
        &routes,
        Some(r#"{"routeKey":"GET /a"}"#),
    ));
    let (status, kind, body) = refused(&call_at(
        &ep,
        "POST",
        &routes,
        Some(r#"{"routeKey":"GET /a"}"#),
    ));
    assert_eq!((status, kind.as_str()), (409, "ConflictException"));
    assert!(body["message"].is_string(), "{body}");
    // another key is fine
    created(&call_at(
        &ep,
        "POST",
        &routes,
        Some(r#"{"routeKey":"GET /b"}"#),
    ));
    let listed = call_at(&em.moto_endpoint(), "GET", &routes, None);
    let listed: Value = serde_json::from_str(&listed.body).unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2, "{listed}");
}

#[tokio::test]
async fn api_key_value_and_usage_plan_key_duplicates_are_409_conflict() {
    let em = support::emulator().await;
    let ep = em.endpoint();
    let key = created(&call_at(
        &ep,
        "POST",
        "/apikeys",
        Some(r#"{"name":"k1","value":"strict-value-0123456789","enabled":true}"#),
    ));
    apigateway_error(
        &call_at(
            &ep,
            "POST",
            "/apikeys",
            Some(r#"{"name":"k2","value":"strict-value-0123456789","enabled":true}"#),
        ),
        409,
        "ConflictException",
        "API Key already exists",
    );
    let plan = created(&call_at(
        &ep,
        "POST",
        "/usageplans",
        Some(r#"{"name":"strict-plan"}"#),
    ));
    let keys = format!("/usageplans/{}/keys", plan["id"].as_str().unwrap());
    let body = serde_json::json!({"keyId": key["id"], "keyType": "API_KEY"}).to_string();
    created(&call_at(&ep, "POST", &keys, Some(&body)));
    let (status, kind, body) = refused(&call_at(&ep, "POST", &keys, Some(&body)));
    assert_eq!((status, kind.as_str()), (409, "ConflictException"));
    assert!(body["message"].is_string(), "{body}");
}

#[tokio::test]
async fn add_permission_with_an_existing_statement_id_is_409_resource_conflict() {
    let em = support::emulator().await;
    em.create_functions(&["strict-fn"]).await;
    let ep = em.endpoint();
    let policy = "/2015-03-31/functions/strict-fn/policy";
    let grant = r#"{"StatementId":"s1","Action":"lambda:InvokeFunction","Principal":"apigateway.amazonaws.com"}"#;
    created(&call_at(&ep, "POST", policy, Some(grant)));
    let again = call_at(&ep, "POST", policy, Some(grant));
    let (status, kind, body) = refused(&again);
    assert_eq!((status, kind.as_str()), (409, "ResourceConflictException"));
    // Lambda's error format, not API Gateway's
    assert_eq!(
        body,
        serde_json::json!({
            "Type": "User",
            "message": "The statement id (s1) provided already exists. Please provide a new \
                        statement id, or remove the existing statement."
        })
    );
    // another statement id is fine
    created(&call_at(
        &ep,
        "POST",
        policy,
        Some(&grant.replace("\"s1\"", "\"s2\"")),
    ));
}

#[tokio::test]
async fn the_quota_simulator_refuses_duplicates_too_and_counts_them() {
    let em = support::emulator().await;
    let proxy = QuotaProxy::start(&em, &["--no-quotas"]);
    let ep = proxy.endpoint();
    let (api, root) = rest_api(&ep);
    let path = format!("/restapis/{api}/resources/{root}/methods/GET");
    let body = Some(r#"{"authorizationType":"NONE"}"#);
    created(&call_at(&ep, "PUT", &path, body));
    assert_eq!(call_at(&ep, "PUT", &path, body).status, 409);
    let stats = proxy.stats();
    assert_eq!(
        stats["refused"]["apigateway"]["PutMethod ConflictException"], 1,
        "{stats}"
    );
}

#[tokio::test]
async fn a_missing_method_or_integration_is_404_not_found_on_get_and_delete() {
    let em = support::emulator().await;
    let ep = em.endpoint();
    let (api, root) = rest_api(&ep);
    let method = format!("/restapis/{api}/resources/{root}/methods/GET");
    let integration = format!("{method}/integration");
    apigateway_error(
        &call_at(&ep, "DELETE", &method, None),
        404,
        "NotFoundException",
        "Invalid Method identifier specified",
    );
    created(&call_at(
        &ep,
        "PUT",
        &method,
        Some(r#"{"authorizationType":"NONE"}"#),
    ));
    // a method without an integration: moto answers 200 `{}`, AWS 404
    for verb in ["GET", "DELETE"] {
        apigateway_error(
            &call_at(&ep, verb, &integration, None),
            404,
            "NotFoundException",
            "Invalid Integration identifier specified",
        );
    }
    created(&call_at(
        &ep,
        "PUT",
        &integration,
        Some(r#"{"type":"MOCK"}"#),
    ));
    assert_eq!(
        created(&call_at(&ep, "GET", &integration, None))["type"],
        "MOCK"
    );
    let deleted = call_at(&ep, "DELETE", &integration, None);
    assert!((200..300).contains(&deleted.status), "{}", deleted.body);
    let deleted = call_at(&ep, "DELETE", &method, None);
    assert!((200..300).contains(&deleted.status), "{}", deleted.body);
}

#[tokio::test]
async fn create_authorizer_with_a_name_the_rest_api_has_is_400_bad_request() {
    let em = support::emulator().await;
    let ep = em.endpoint();
    let (api, _) = rest_api(&ep);
    let path = format!("/restapis/{api}/authorizers");
    let body = |name: &str| {
        serde_json::json!({
            "name": name,
            "type": "TOKEN",
            "identitySource": "method.request.header.Authorization",
            "authorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/\
                arn:aws:lambda:us-east-1:123456789012:function:auth/invocations",
        })
        .to_string()
    };
    created(&call_at(&ep, "POST", &path, Some(&body("jwt"))));
    apigateway_error(
        &call_at(&ep, "POST", &path, Some(&body("jwt"))),
        400,
        "BadRequestException",
        "Authorizer name must be unique. Authorizer jwt already exists in this RestApi.",
    );
    created(&call_at(&ep, "POST", &path, Some(&body("other"))));
}

#[tokio::test]
async fn create_model_or_request_validator_with_a_name_the_rest_api_has_is_409_conflict() {
    let em = support::emulator().await;
    let ep = em.endpoint();
    let (api, _) = rest_api(&ep);
    // moto replaces a model of the same name and adds a second validator of a name.
    let models = format!("/restapis/{api}/models");
    let model = |name: &str| {
        serde_json::json!({
            "name": name,
            "contentType": "application/json",
            "schema": "{\"type\":\"object\"}",
        })
        .to_string()
    };
    created(&call_at(&ep, "POST", &models, Some(&model("Item"))));
    let (status, kind, _) = refused(&call_at(&ep, "POST", &models, Some(&model("Item"))));
    assert_eq!((status, kind.as_str()), (409, "ConflictException"));
    created(&call_at(&ep, "POST", &models, Some(&model("Order"))));

    let validators = format!("/restapis/{api}/requestvalidators");
    let validator =
        |name: &str| serde_json::json!({"name": name, "validateRequestBody": true}).to_string();
    created(&call_at(&ep, "POST", &validators, Some(&validator("body"))));
    let (status, kind, _) = refused(&call_at(&ep, "POST", &validators, Some(&validator("body"))));
    assert_eq!((status, kind.as_str()), (409, "ConflictException"));
    let listed = created(&call_at(&ep, "GET", &validators, None));
    assert_eq!(listed["item"].as_array().map(Vec::len), Some(1), "{listed}");
}
