//! The OpenAPI renderer, on models the real spec loader and desired builder produce.

use serde_json::{json, Value};

use super::{render, Mode};
use crate::plan::rest::desired;
use crate::plan::rest::tests::{resolve, spec, todo_yaml, REGION};

fn rendered(yaml: &str) -> super::Rendered {
    let s = spec(yaml);
    let f = resolve(&s);
    render(&desired::rest(&s, &f, REGION).config, Mode::Document)
}

fn seed(name: &str) -> String {
    std::fs::read_to_string(format!("{}/specs/{name}", env!("CARGO_MANIFEST_DIR")))
        .expect("seed spec")
}

#[test]
fn todo_renders_proxy_integrations_mock_preflights_and_gateway_responses() {
    let r = rendered(&todo_yaml());
    assert!(r.omitted.is_empty(), "{:?}", r.omitted);
    let d = &r.document;
    assert_eq!(d["openapi"], "3.0.1");
    assert_eq!(d["info"]["title"], "todo-api");
    assert_eq!(
        d["info"]["description"],
        "Todo CRUD API (Lambda proxy integrations)"
    );
    let get = &d["paths"]["/todos/{id}"]["get"]["x-amazon-apigateway-integration"];
    assert_eq!(get["type"], "aws_proxy");
    assert_eq!(get["httpMethod"], "POST");
    assert_eq!(
        get["uri"],
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:todo-get/invocations"
    );
    // The path template parameter is declared once, on the path item.
    assert_eq!(
        d["paths"]["/todos/{id}"]["parameters"],
        json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}])
    );
    // CORS: a MOCK OPTIONS with its templated 200 and headers, and the gateway responses.
    let opt = &d["paths"]["/todos"]["options"];
    let mock = &opt["x-amazon-apigateway-integration"];
    assert_eq!(mock["type"], "mock");
    assert!(mock["requestTemplates"]["application/json"]
        .as_str()
        .unwrap()
        .ends_with("{\"statusCode\": 200}"));
    let ok = &mock["responses"]["default"];
    assert_eq!(ok["statusCode"], "200");
    assert_eq!(
        ok["responseParameters"]["method.response.header.Access-Control-Allow-Origin"],
        "'http://localhost:3000'"
    );
    assert!(opt["responses"]["200"]["headers"]["Access-Control-Allow-Origin"].is_object());
    assert!(opt.get("security").is_none());
    let g = &d["x-amazon-apigateway-gateway-responses"];
    assert_eq!(
        g["DEFAULT_4XX"]["responseParameters"]
            ["gatewayresponse.header.Access-Control-Allow-Origin"],
        "'http://localhost:3000'"
    );
    assert!(g["DEFAULT_5XX"].is_object());
    assert_eq!(d["x-amazon-apigateway-api-key-source"], "HEADER");
}

#[test]
fn custom_lambda_renders_templates_selection_patterns_and_models() {
    let r = rendered(&seed("hoge-custom.yaml"));
    assert!(r.omitted.is_empty(), "{:?}", r.omitted);
    let d = &r.document;
    let get = &d["paths"]["/{hoge}"]["get"];
    let i = &get["x-amazon-apigateway-integration"];
    assert_eq!(i["type"], "aws");
    assert_eq!(
        i["credentials"],
        "arn:aws:iam::123456789012:role/apigateway-invoke-lambda"
    );
    assert!(i["requestTemplates"]["application/json"]
        .as_str()
        .unwrap()
        .contains("$input.params().path.keySet()"));
    assert_eq!(i["responses"]["default"], json!({"statusCode": "200"}));
    let bad = &i["responses"]["^\\[400:.*"];
    assert_eq!(bad["statusCode"], "400");
    assert!(bad["responseTemplates"]["application/json"]
        .as_str()
        .unwrap()
        .contains("errorMessage"));
    assert_eq!(
        get["responses"]["400"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Error"
    );
    assert_eq!(
        d["components"]["schemas"]["Empty"],
        json!({"title": "Empty Schema", "type": "object"})
    );
    assert!(d["components"]["schemas"]["Error"]["properties"]["message"].is_object());
}

#[test]
fn api_keys_iam_and_authorizers_become_security_schemes_per_operation() {
    let yaml = r#"version: 1
api: {name: secure, kind: rest, api_key_source: AUTHORIZER, binary_media_types: [image/png]}
functions: {f: f, auth: auth-fn}
authorizers:
  tok: {type: token, function: auth, identity_source: method.request.header.X-Token, ttl: 60}
  pool: {type: cognito, user_pool_arns: ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123"]}
routes:
  - {path: /a, method: GET, function: f, auth: tok, api_key_required: true}
  - {path: /b, method: POST, function: f, auth: pool, scopes: [read]}
  - {path: /c, method: ANY, function: f, auth: iam}
  - {path: /d, method: GET, function: f, auth: none}
"#;
    let r = rendered(yaml);
    assert!(r.omitted.is_empty(), "{:?}", r.omitted);
    let d = &r.document;
    assert_eq!(
        d["paths"]["/a"]["get"]["security"],
        json!([{"tok": [], "api_key": []}])
    );
    assert_eq!(
        d["paths"]["/b"]["post"]["security"],
        json!([{"pool": ["read"]}])
    );
    assert_eq!(
        d["paths"]["/c"]["x-amazon-apigateway-any-method"]["security"],
        json!([{"sigv4": []}])
    );
    assert!(d["paths"]["/d"]["get"].get("security").is_none());
    let s = &d["components"]["securitySchemes"];
    assert_eq!(s["api_key"]["name"], "x-api-key");
    assert_eq!(s["sigv4"]["x-amazon-apigateway-authtype"], "awsSigv4");
    assert_eq!(s["tok"]["name"], "X-Token");
    assert_eq!(s["tok"]["x-amazon-apigateway-authorizer"]["type"], "token");
    assert_eq!(
        s["tok"]["x-amazon-apigateway-authorizer"]["authorizerResultTtlInSeconds"],
        60
    );
    assert!(s["tok"]["x-amazon-apigateway-authorizer"]["authorizerUri"]
        .as_str()
        .unwrap()
        .contains("function:auth-fn/invocations"));
    assert_eq!(
        s["pool"]["x-amazon-apigateway-authorizer"]["providerARNs"],
        json!(["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123"])
    );
    assert_eq!(d["x-amazon-apigateway-api-key-source"], "AUTHORIZER");
    assert_eq!(
        d["x-amazon-apigateway-binary-media-types"],
        json!(["image/png"])
    );
}

#[test]
fn output_is_deterministic_and_names_what_it_cannot_carry() {
    let a = serde_json::to_string(&rendered(&todo_yaml()).document).unwrap();
    let b = serde_json::to_string(&rendered(&todo_yaml()).document).unwrap();
    assert_eq!(a, b);

    // Two integration responses with the same selection pattern cannot both be keyed by it.
    let s = spec(&todo_yaml());
    let f = resolve(&s);
    let mut config = desired::rest(&s, &f, REGION).config;
    let i = config
        .resources
        .get_mut("/todos")
        .unwrap()
        .methods
        .get_mut("GET")
        .unwrap()
        .integration
        .as_mut()
        .unwrap();
    for status in ["200", "201"] {
        i.responses.insert(status.into(), Default::default());
    }
    let r = render(&config, Mode::Document);
    assert_eq!(
        r.omitted,
        vec!["GET /todos: integration response 201 (its selection pattern `default` is used by another)"]
    );
    let kept: &Value = &r.document["paths"]["/todos"]["get"]["x-amazon-apigateway-integration"]
        ["responses"]["default"]["statusCode"];
    assert_eq!(kept, "200");
}

#[test]
fn a_body_declares_the_path_parameters_on_every_method_and_no_placeholder_responses() {
    let s = spec(
        r#"version: 1
api: {name: b, kind: rest}
functions: {f: f}
routes:
  - {path: "/t", method: GET, function: f, auth: none}
  - {path: "/p/{proxy+}", method: ANY, function: f, auth: none}
"#,
    );
    let body = render(&desired::rest(&s, &resolve(&s), REGION).config, Mode::Body).document;
    assert_eq!(body["paths"]["/t"]["get"]["responses"], json!({}));
    let any = &body["paths"]["/p/{proxy+}"]["x-amazon-apigateway-any-method"];
    // `{proxy+}` is the parameter `proxy`, as gwctl's put-method declares it.
    assert_eq!(
        any["parameters"],
        json!([{"name": "proxy", "in": "path", "required": true, "schema": {"type": "string"}}])
    );

    let s = spec(
        r#"version: 1
api: {name: b, kind: rest}
functions: {f: f}
routes:
  - {path: "/t/{id}", method: GET, function: f, auth: none}
  - {path: "/t/{id}", method: PUT, function: f, auth: none, request_parameters: {method.request.path.id: true, method.request.querystring.v: false}}
"#,
    );
    let config = desired::rest(&s, &resolve(&s), REGION).config;
    let body = render(&config, Mode::Body).document;
    let item = &body["paths"]["/t/{id}"];
    assert!(item.get("parameters").is_none());
    // GET does not declare `id`: it is in the body with it, as a put-method would make it
    // (an import declares it by itself anyway).
    assert_eq!(
        item["get"]["parameters"],
        json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}])
    );
    assert_eq!(
        item["put"]["parameters"],
        json!([
            {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
            {"name": "v", "in": "query", "required": false, "schema": {"type": "string"}}
        ])
    );
    // The document form declares the path parameter once, for the whole path.
    let doc = render(&config, Mode::Document).document;
    let item = &doc["paths"]["/t/{id}"];
    assert_eq!(item["parameters"][0]["name"], "id");
    assert_eq!(
        item["put"]["parameters"],
        json!([{"name": "v", "in": "query", "required": false, "schema": {"type": "string"}}])
    );
    assert!(item["get"]["responses"]["default"].is_object());
}

/// A route's cache key parameters are part of its integration in the document.
#[test]
fn cache_key_parameters_are_in_the_integration() {
    let r = rendered(
        r#"
api: {name: cached}
functions: {list: list-items}
default_auth: none
stages: {prod: {cache: {size: "0.5"}}}
routes:
  - path: /items
    method: GET
    function: list
    request_parameters: {method.request.querystring.page: false}
    cache: {ttl: 60, key_parameters: [method.request.querystring.page]}
"#,
    );
    let i = &r.document["paths"]["/items"]["get"]["x-amazon-apigateway-integration"];
    assert_eq!(
        i["cacheKeyParameters"],
        json!(["method.request.querystring.page"])
    );
}
