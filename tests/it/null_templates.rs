//! Regression (issue 3, item 2; awslabs/aws-sdk-rust#1443): API Gateway stores an empty
//! template as `null` and returns `"responseTemplates": {"application/json": null}`; the Rust
//! SDK then rejects the whole response ("dense map cannot contain null values"). gwctl's
//! clients must read such APIs anyway.

use crate::support;

use aws_smithy_runtime_api::client::result::SdkError;

/// Builds `GET /items` with a MOCK integration, then writes an empty response template through
/// a raw request, as the AWS console does. Returns (api id, resource id).
async fn api_with_an_empty_template(em: &support::Emulator) -> (String, String) {
    let c = em.clients().await;
    let api = c
        .apigw
        .create_rest_api()
        .name("nulls")
        .send()
        .await
        .unwrap();
    let api_id = api.id().unwrap().to_string();
    let root = api.root_resource_id().unwrap();
    let res = c
        .apigw
        .create_resource()
        .rest_api_id(&api_id)
        .parent_id(root)
        .path_part("items")
        .send()
        .await
        .unwrap();
    let rid = res.id().unwrap().to_string();
    c.apigw
        .put_method()
        .rest_api_id(&api_id)
        .resource_id(&rid)
        .http_method("GET")
        .authorization_type("NONE")
        .send()
        .await
        .unwrap();
    c.apigw
        .put_integration()
        .rest_api_id(&api_id)
        .resource_id(&rid)
        .http_method("GET")
        .r#type(aws_sdk_apigateway::types::IntegrationType::Mock)
        .request_templates("application/json", r#"{"statusCode": 200}"#)
        .send()
        .await
        .unwrap();
    c.apigw
        .put_method_response()
        .rest_api_id(&api_id)
        .resource_id(&rid)
        .http_method("GET")
        .status_code("200")
        .send()
        .await
        .unwrap();

    let path = format!("/restapis/{api_id}/resources/{rid}/methods/GET/integration/responses/200");
    let (status, body) = em.raw(
        "PUT",
        &path,
        Some(r#"{"responseTemplates":{"application/json":""}}"#),
    );
    assert_eq!(status, 201, "{body}");

    // What the service returns now: the key is there, its value is null.
    let (status, body) = em.raw("GET", &path, None);
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let templates = json["responseTemplates"].as_object().unwrap();
    assert!(templates.contains_key("application/json"), "{body}");
    assert!(templates["application/json"].is_null(), "{body}");

    (api_id, rid)
}

#[tokio::test]
async fn apis_with_null_templates_can_be_read() {
    let em = support::emulator().await;
    let (api_id, rid) = api_with_an_empty_template(&em).await;
    let c = em.clients().await;

    let resources = c
        .apigw
        .get_resources()
        .rest_api_id(&api_id)
        .embed("methods")
        .send()
        .await
        .expect("get-resources with embed=methods reads an API with a null template");
    let items = resources.items();
    let item = items.iter().find(|r| r.id() == Some(&rid)).unwrap();
    assert_eq!(item.path(), Some("/items"));
    let method = &item.resource_methods().unwrap()["GET"];
    let integration = method.method_integration().unwrap();
    assert_eq!(
        integration.r#type(),
        Some(&aws_sdk_apigateway::types::IntegrationType::Mock)
    );
    assert_eq!(
        integration.request_templates().unwrap()["application/json"],
        r#"{"statusCode": 200}"#
    );
    // The null entry reads as absent; the response itself is kept.
    let response = &integration.integration_responses().unwrap()["200"];
    assert_eq!(response.status_code(), Some("200"));
    assert!(response
        .response_templates()
        .is_none_or(|t| !t.contains_key("application/json")));

    let method = c
        .apigw
        .get_method()
        .rest_api_id(&api_id)
        .resource_id(&rid)
        .http_method("GET")
        .send()
        .await
        .expect("get-method reads a method with a null template");
    assert_eq!(method.authorization_type(), Some("NONE"));

    c.apigw
        .get_integration_response()
        .rest_api_id(&api_id)
        .resource_id(&rid)
        .http_method("GET")
        .status_code("200")
        .send()
        .await
        .expect("get-integration-response reads a null template");

    let calls = c.calls.snapshot();
    assert_eq!(calls.len(), 3);
    assert!(calls.iter().all(|c| c.ok), "{calls:#?}");
}

#[tokio::test]
async fn without_the_interceptor_the_sdk_fails_on_null_templates() {
    // Shows the regression test above can fail: the same read through a plain SDK client.
    let em = support::emulator().await;
    let (api_id, rid) = api_with_an_empty_template(&em).await;
    let plain = aws_sdk_apigateway::Client::new(&em.sdk_config().await);

    let err = plain
        .get_resources()
        .rest_api_id(&api_id)
        .embed("methods")
        .send()
        .await
        .expect_err("a plain SDK client rejects null map values");
    assert_dense_map_error(&err);

    let err = plain
        .get_method()
        .rest_api_id(&api_id)
        .resource_id(&rid)
        .http_method("GET")
        .send()
        .await
        .expect_err("a plain SDK client rejects null map values");
    assert_dense_map_error(&err);
}

/// The SDK's failure mode for this bug: the 200 response cannot be deserialized.
fn assert_dense_map_error<E: std::fmt::Debug, R: std::fmt::Debug>(err: &SdkError<E, R>) {
    let text = format!("{err:?}");
    assert!(matches!(err, SdkError::ServiceError(_)), "{text}");
    assert!(
        text.contains("dense map cannot contain null values"),
        "{text}"
    );
}
