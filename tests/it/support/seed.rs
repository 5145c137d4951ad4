//! Seed 003's REST API built by hand, one SDK call per aws-cli command of the tutorial:
//! create-rest-api, get-resources (the root), create-resource `items`, put-method `GET`,
//! put-integration `AWS_PROXY`, create-deployment to `prod`. With `extras`, also what people
//! add by hand around it: a second resource `/orders` with the tutorial's "Enable CORS on
//! resource" steps (MOCK `OPTIONS`, `'*'` origin), and a `DEFAULT_5XX` customised in the
//! console. Returns the API id.

use aws_sdk_apigateway::types as agt;
use gwctl::aws::Clients;

pub const API_NAME: &str = "my-rest-api";

pub async fn build(c: &Clients, function_arn: &str, extras: bool) -> String {
    let gw = &c.apigw;
    let api = gw.create_rest_api().name(API_NAME).send().await.unwrap();
    let id = api.id().unwrap().to_string();
    let roots = gw.get_resources().rest_api_id(&id).send().await.unwrap();
    let root = roots.items()[0].id().unwrap().to_string();
    let uri = format!(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    );
    let parts: &[&str] = if extras {
        &["items", "orders"]
    } else {
        &["items"]
    };
    for part in parts {
        let r = gw
            .create_resource()
            .rest_api_id(&id)
            .parent_id(&root)
            .path_part(*part)
            .send()
            .await
            .unwrap();
        let rid = r.id().unwrap().to_string();
        let (method, integration) = put(c, &id, &rid, "GET");
        method.send().await.unwrap();
        integration
            .r#type(agt::IntegrationType::AwsProxy)
            .integration_http_method("POST")
            .uri(&uri)
            .send()
            .await
            .unwrap();
        if *part == "orders" {
            hand_made_preflight(c, &id, &rid).await;
        }
    }
    if extras {
        gw.put_gateway_response()
            .rest_api_id(&id)
            .response_type(agt::GatewayResponseType::Default5Xx)
            .response_parameters("gatewayresponse.header.Access-Control-Allow-Origin", "'*'")
            .send()
            .await
            .unwrap();
    }
    gw.create_deployment()
        .rest_api_id(&id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    id
}

/// put-method (no authorization) and the put-integration to complete, for `verb`.
fn put(
    c: &Clients,
    api: &str,
    rid: &str,
    verb: &str,
) -> (
    aws_sdk_apigateway::operation::put_method::builders::PutMethodFluentBuilder,
    aws_sdk_apigateway::operation::put_integration::builders::PutIntegrationFluentBuilder,
) {
    (
        c.apigw
            .put_method()
            .rest_api_id(api)
            .resource_id(rid)
            .http_method(verb)
            .authorization_type("NONE"),
        c.apigw
            .put_integration()
            .rest_api_id(api)
            .resource_id(rid)
            .http_method(verb),
    )
}

/// The tutorial's "Enable CORS on resource" steps, verbatim.
async fn hand_made_preflight(c: &Clients, api: &str, rid: &str) {
    let (method, integration) = put(c, api, rid, "OPTIONS");
    method.send().await.unwrap();
    integration
        .r#type(agt::IntegrationType::Mock)
        .request_templates("application/json", "{\"statusCode\": 200}")
        .send()
        .await
        .unwrap();
    let mut mr = c
        .apigw
        .put_method_response()
        .rest_api_id(api)
        .resource_id(rid)
        .http_method("OPTIONS")
        .status_code("200");
    let mut ir = c
        .apigw
        .put_integration_response()
        .rest_api_id(api)
        .resource_id(rid)
        .http_method("OPTIONS")
        .status_code("200");
    for (h, v) in [
        (
            "Access-Control-Allow-Headers",
            "'Content-Type,Authorization'",
        ),
        (
            "Access-Control-Allow-Methods",
            "'GET,POST,PUT,DELETE,OPTIONS'",
        ),
        ("Access-Control-Allow-Origin", "'*'"),
    ] {
        mr = mr.response_parameters(format!("method.response.header.{h}"), true);
        ir = ir.response_parameters(format!("method.response.header.{h}"), v);
    }
    mr.send().await.unwrap();
    ir.send().await.unwrap();
}
