//! Offline tests of the readers (`gwctl::aws::read`): canned service answers in, `state`
//! shapes out. No network: the SDK clients answer from aws-smithy-mocks rules, and the
//! canned answers are JSON bodies, so the SDK's own deserialisation runs too.

use std::collections::BTreeMap;
use std::path::PathBuf;

use aws_sdk_apigateway::Client as ApigwClient;
use aws_sdk_lambda::Client as LambdaClient;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use gwctl::aws::error::ErrorKind;
use gwctl::aws::read::rest::{find_rest_apis, read_rest_api};
use gwctl::aws::read::{read_policies, resolve_functions};
use gwctl::aws::{CallLog, Clients};
use gwctl::spec::model::{ApiDef, ApiKind, At, EndpointType, FunctionDef, Pos, Spec};
use gwctl::state::rest::{
    AccessLog, Authorizer, GatewayResponse, Integration, IntegrationResponse, Method,
    MethodResponse, MethodSetting, Resource, RestApi,
};
use gwctl::state::PolicyStatement;

fn json(status: u16, body: &str) -> HttpResponse {
    HttpResponse::new(
        StatusCode::try_from(status).unwrap(),
        SdkBody::from(body.to_string()),
    )
}

fn error(status: u16, code: &str, message: &str) -> HttpResponse {
    let mut r = json(status, &format!(r#"{{"message":"{message}"}}"#));
    r.headers_mut().insert("x-amzn-errortype", code.to_string());
    r
}

fn apigw2() -> aws_sdk_apigatewayv2::Client {
    use aws_sdk_apigatewayv2::config::{BehaviorVersion, Region};
    aws_sdk_apigatewayv2::Client::from_conf(
        aws_sdk_apigatewayv2::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .build(),
    )
}

fn clients(apigw_rules: &[&Rule], lambda_rules: &[&Rule]) -> Clients {
    Clients {
        apigw: mock_client!(aws_sdk_apigateway, RuleMode::MatchAny, apigw_rules),
        apigw2: apigw2(),
        lambda: mock_client!(aws_sdk_lambda, RuleMode::MatchAny, lambda_rules),
        route53: gwctl::aws::idle_route53(),
        region: "us-east-1".into(),
        calls: CallLog::default(),
    }
}

const LAMBDA_URI: &str = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:todo-list/invocations";
const AUTH_URI: &str = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations";

fn rest_api_body() -> String {
    r#"{"id":"a1","name":"todo","description":"","createdDate":1700000000,
        "apiKeySource":"HEADER","endpointConfiguration":{"types":["REGIONAL"]},
        "binaryMediaTypes":["image/png","application/octet-stream"],
        "tags":{"gwctl:managed-by":"gwctl","team":"web"},"rootResourceId":"root1"}"#
        .to_string()
}

/// Page 1: the root and `/todos` (GET: Lambda proxy behind a TOKEN authorizer, with the
/// defaults real AWS fills in: timeout 29000, passthrough WHEN_NO_MATCH).
fn resources_page1() -> String {
    format!(
        r#"{{"position":"page2","item":[
        {{"id":"root1","path":"/"}},
        {{"id":"r1","parentId":"root1","pathPart":"todos","path":"/todos","resourceMethods":{{
          "GET":{{"httpMethod":"GET","authorizationType":"CUSTOM","authorizerId":"au1",
            "apiKeyRequired":true,"requestParameters":{{"method.request.querystring.q":false}},
            "methodIntegration":{{"type":"AWS_PROXY","httpMethod":"POST","uri":"{LAMBDA_URI}",
              "passthroughBehavior":"WHEN_NO_MATCH","timeoutInMillis":29000,
              "cacheNamespace":"r1","cacheKeyParameters":[]}}}}}}}}]}}"#
    )
}

/// Page 2: `/todos/{id}` with a CORS OPTIONS (MOCK, method and integration responses, an
/// empty template the console wrote) and a custom Lambda POST with a timeout and templates.
fn resources_page2() -> String {
    format!(
        r#"{{"item":[
        {{"id":"r2","parentId":"r1","pathPart":"{{id}}","path":"/todos/{{id}}","resourceMethods":{{
          "OPTIONS":{{"httpMethod":"OPTIONS","authorizationType":"NONE","apiKeyRequired":false,
            "methodResponses":{{"200":{{"statusCode":"200","responseParameters":{{
              "method.response.header.Access-Control-Allow-Origin":false}},
              "responseModels":{{"application/json":"Empty"}}}}}},
            "methodIntegration":{{"type":"MOCK","requestTemplates":{{"application/json":"{{\"statusCode\": 200}}"}},
              "passthroughBehavior":"WHEN_NO_MATCH","timeoutInMillis":29000,
              "integrationResponses":{{"200":{{"statusCode":"200","selectionPattern":"",
                "responseParameters":{{"method.response.header.Access-Control-Allow-Origin":"'*'"}},
                "responseTemplates":{{"application/json":""}}}}}}}}}},
          "POST":{{"httpMethod":"POST","authorizationType":"COGNITO_USER_POOLS","authorizerId":"au2",
            "authorizationScopes":["write","read"],"apiKeyRequired":false,
            "methodIntegration":{{"type":"AWS","httpMethod":"POST","uri":"{LAMBDA_URI}",
              "requestTemplates":{{"application/json":"{{\"id\": \"$input.params('id')\"}}"}},
              "passthroughBehavior":"WHEN_NO_TEMPLATES","contentHandling":"CONVERT_TO_TEXT",
              "timeoutInMillis":5000,
              "integrationResponses":{{
                "200":{{"statusCode":"200"}},
                "400":{{"statusCode":"400","selectionPattern":".*error.*",
                  "responseTemplates":{{"application/json":"{{\"e\": 1}}"}}}}}}}}}}}}}}]}}"#
    )
}

fn authorizers_body() -> String {
    format!(
        r#"{{"item":[
        {{"id":"au1","name":"token-auth","type":"TOKEN","authorizerUri":"{AUTH_URI}",
          "identitySource":"method.request.header.Authorization",
          "identityValidationExpression":"^Bearer .+$","authorizerResultTtlInSeconds":300}},
        {{"id":"au2","name":"users","type":"COGNITO_USER_POOLS",
          "providerARNs":["arn:aws:cognito-idp:us-east-1:123456789012:userpool/b",
                          "arn:aws:cognito-idp:us-east-1:123456789012:userpool/a"],
          "identitySource":"method.request.header.Authorization"}}]}}"#
    )
}

fn gateway_responses_body() -> String {
    r#"{"item":[
        {"responseType":"DEFAULT_4XX","defaultResponse":false,
         "responseParameters":{"gatewayresponse.header.Access-Control-Allow-Origin":"'*'"},
         "responseTemplates":{"application/json":"{\"message\":$context.error.messageString}"}},
        {"responseType":"DEFAULT_5XX","defaultResponse":true,
         "responseTemplates":{"application/json":"{\"message\":$context.error.messageString}"}},
        {"responseType":"UNAUTHORIZED","defaultResponse":false,"statusCode":"401"}]}"#
        .to_string()
}

fn stages_body() -> String {
    r#"{"item":[{"stageName":"prod","deploymentId":"d2","description":"",
        "tracingEnabled":false,"variables":{"env":"prod"},
        "accessLogSettings":{"destinationArn":"arn:aws:logs:us-east-1:123456789012:log-group:x",
                             "format":"$context.requestId"},
        "methodSettings":{
          "*/*":{"metricsEnabled":true,"loggingLevel":"INFO","dataTraceEnabled":false,
                 "throttlingBurstLimit":5000,"throttlingRateLimit":10000.0,"cachingEnabled":false,
                 "cacheTtlInSeconds":300,"cacheDataEncrypted":false,
                 "requireAuthorizationForCacheControl":true,
                 "unauthorizedCacheControlHeaderStrategy":"SUCCEED_WITH_RESPONSE_HEADER"},
          "~1todos~1{id}/GET":{"metricsEnabled":false,"loggingLevel":"OFF","dataTraceEnabled":false,
                 "throttlingBurstLimit":50,"throttlingRateLimit":20.0}}},
        {"stageName":"dev","deploymentId":"d1"}]}"#
        .to_string()
}

fn deployments_body() -> String {
    r#"{"item":[{"id":"d1","description":"","createdDate":1700000001},
                 {"id":"d2","description":"gwctl:config=abc","createdDate":1700000002}]}"#
        .to_string()
}

fn read_rules() -> Vec<Rule> {
    let api = rest_api_body();
    let p1 = resources_page1();
    let p2 = resources_page2();
    let auths = authorizers_body();
    let gws = gateway_responses_body();
    let stages = stages_body();
    let deps = deployments_body();
    vec![
        mock!(ApigwClient::get_rest_api)
            .match_requests(|r| r.rest_api_id() == Some("a1"))
            .then_http_response(move || json(200, &api)),
        mock!(ApigwClient::get_resources)
            .match_requests(|r| {
                r.rest_api_id() == Some("a1")
                    && r.position().is_none()
                    && r.limit() == Some(500)
                    && r.embed() == ["methods".to_string()]
            })
            .then_http_response(move || json(200, &p1)),
        mock!(ApigwClient::get_resources)
            .match_requests(|r| {
                r.position() == Some("page2") && r.embed() == ["methods".to_string()]
            })
            .then_http_response(move || json(200, &p2)),
        mock!(ApigwClient::get_authorizers)
            .match_requests(|r| r.rest_api_id() == Some("a1"))
            .then_http_response(move || json(200, &auths)),
        mock!(ApigwClient::get_gateway_responses)
            .match_requests(|r| r.rest_api_id() == Some("a1"))
            .then_http_response(move || json(200, &gws)),
        mock!(ApigwClient::get_stages)
            .match_requests(|r| r.rest_api_id() == Some("a1"))
            .then_http_response(move || json(200, &stages)),
        mock!(ApigwClient::get_deployments)
            .match_requests(|r| r.rest_api_id() == Some("a1"))
            .then_http_response(move || json(200, &deps)),
    ]
}

fn map<V: Clone>(pairs: &[(&str, V)]) -> BTreeMap<String, V> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn expected_config() -> RestApi {
    let get = Method {
        authorization_type: "CUSTOM".into(),
        authorizer: Some("token-auth".into()),
        authorization_scopes: vec![],
        api_key_required: true,
        request_parameters: map(&[("method.request.querystring.q", false)]),
        method_responses: BTreeMap::new(),
        integration: Some(Integration {
            kind: "AWS_PROXY".into(),
            http_method: Some("POST".into()),
            uri: Some(LAMBDA_URI.into()),
            // 29000 and WHEN_NO_MATCH are the defaults: normalised away.
            timeout_ms: None,
            passthrough_behavior: None,
            ..Default::default()
        }),
        ..Default::default()
    };
    let options = Method {
        authorization_type: "NONE".into(),
        method_responses: map(&[(
            "200",
            MethodResponse {
                response_models: map(&[("application/json", "Empty".to_string())]),
                response_parameters: map(&[(
                    "method.response.header.Access-Control-Allow-Origin",
                    false,
                )]),
            },
        )]),
        integration: Some(Integration {
            kind: "MOCK".into(),
            request_templates: map(&[("application/json", "{\"statusCode\": 200}".to_string())]),
            responses: map(&[(
                "200",
                IntegrationResponse {
                    // "" is the default response: normalised to None.
                    selection_pattern: None,
                    // The empty template reads as no template.
                    response_templates: BTreeMap::new(),
                    response_parameters: map(&[(
                        "method.response.header.Access-Control-Allow-Origin",
                        "'*'".to_string(),
                    )]),
                    content_handling: None,
                },
            )]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let post = Method {
        authorization_type: "COGNITO_USER_POOLS".into(),
        authorizer: Some("users".into()),
        // Sorted by normalisation.
        authorization_scopes: vec!["read".into(), "write".into()],
        api_key_required: false,
        integration: Some(Integration {
            kind: "AWS".into(),
            http_method: Some("POST".into()),
            uri: Some(LAMBDA_URI.into()),
            request_templates: map(&[(
                "application/json",
                "{\"id\": \"$input.params('id')\"}".to_string(),
            )]),
            passthrough_behavior: Some("WHEN_NO_TEMPLATES".into()),
            content_handling: Some("CONVERT_TO_TEXT".into()),
            timeout_ms: Some(5000),
            responses: map(&[
                ("200", IntegrationResponse::default()),
                (
                    "400",
                    IntegrationResponse {
                        selection_pattern: Some(".*error.*".into()),
                        response_templates: map(&[("application/json", "{\"e\": 1}".to_string())]),
                        ..Default::default()
                    },
                ),
            ]),
            ..Default::default()
        }),
        ..Default::default()
    };
    RestApi {
        name: "todo".into(),
        description: None,
        endpoint_type: "REGIONAL".into(),
        binary_media_types: vec!["application/octet-stream".into(), "image/png".into()],
        // HEADER is the default: normalised to None.
        api_key_source: None,
        policy: None,
        vpc_endpoint_ids: vec![],
        models: BTreeMap::new(),
        request_validators: BTreeMap::new(),
        resources: map(&[
            ("/", Resource::default()),
            (
                "/todos",
                Resource {
                    methods: map(&[("GET", get)]),
                },
            ),
            (
                "/todos/{id}",
                Resource {
                    methods: map(&[("OPTIONS", options), ("POST", post)]),
                },
            ),
        ]),
        authorizers: map(&[
            (
                "token-auth",
                Authorizer {
                    kind: "TOKEN".into(),
                    authorizer_uri: Some(AUTH_URI.into()),
                    identity_source: Some("method.request.header.Authorization".into()),
                    identity_validation_expression: Some("^Bearer .+$".into()),
                    ttl_seconds: Some(300),
                    provider_arns: vec![],
                },
            ),
            (
                "users",
                Authorizer {
                    kind: "COGNITO_USER_POOLS".into(),
                    authorizer_uri: None,
                    identity_source: Some("method.request.header.Authorization".into()),
                    identity_validation_expression: None,
                    // absent in the answer: AWS applies (and normalisation assumes) 300 s
                    ttl_seconds: Some(300),
                    provider_arns: vec![
                        "arn:aws:cognito-idp:us-east-1:123456789012:userpool/a".into(),
                        "arn:aws:cognito-idp:us-east-1:123456789012:userpool/b".into(),
                    ],
                },
            ),
        ]),
        gateway_responses: map(&[
            (
                "DEFAULT_4XX",
                GatewayResponse {
                    status_code: None,
                    response_parameters: map(&[(
                        "gatewayresponse.header.Access-Control-Allow-Origin",
                        "'*'".to_string(),
                    )]),
                    response_templates: map(&[(
                        "application/json",
                        "{\"message\":$context.error.messageString}".to_string(),
                    )]),
                },
            ),
            (
                "UNAUTHORIZED",
                GatewayResponse {
                    status_code: Some("401".into()),
                    ..Default::default()
                },
            ),
        ]),
    }
}

#[tokio::test]
async fn read_rest_api_maps_every_answer_into_normalised_state() {
    let rules = read_rules();
    let refs: Vec<&Rule> = rules.iter().collect();
    let c = clients(&refs, &[]);

    let observed = read_rest_api(&c, "a1").await.expect("read succeeds");

    let expected = expected_config();
    // Field by field first, so a failure names the part that differs.
    assert_eq!(observed.config.resources, expected.resources);
    assert_eq!(observed.config.authorizers, expected.authorizers);
    assert_eq!(
        observed.config.gateway_responses,
        expected.gateway_responses
    );
    assert_eq!(observed.config, expected);

    assert_eq!(observed.id, "a1");
    assert_eq!(
        observed.tags,
        map(&[
            ("gwctl:managed-by", "gwctl".to_string()),
            ("team", "web".to_string())
        ])
    );
    assert_eq!(
        observed.resource_ids,
        map(&[
            ("/", "root1".to_string()),
            ("/todos", "r1".to_string()),
            ("/todos/{id}", "r2".to_string()),
        ])
    );
    assert_eq!(
        observed.authorizer_ids,
        map(&[
            ("token-auth", "au1".to_string()),
            ("users", "au2".to_string())
        ])
    );

    let prod = &observed.stages["prod"];
    assert_eq!(prod.deployment_id.as_deref(), Some("d2"));
    assert_eq!(prod.settings.description, None);
    assert_eq!(prod.settings.variables, map(&[("env", "prod".to_string())]));
    assert_eq!(prod.settings.tracing_enabled, Some(false));
    assert_eq!(
        prod.settings.access_log,
        Some(AccessLog {
            destination_arn: "arn:aws:logs:us-east-1:123456789012:log-group:x".into(),
            format: "$context.requestId".into(),
        })
    );
    assert_eq!(
        prod.settings.method_settings,
        map(&[
            (
                "*/*",
                MethodSetting {
                    logging_level: Some("INFO".into()),
                    data_trace: Some(false),
                    metrics: Some(true),
                    throttle_rate: Some(10000.0),
                    throttle_burst: Some(5000),
                    caching_enabled: Some(false),
                    cache_ttl: Some(300),
                    cache_encrypted: Some(false),
                }
            ),
            (
                "/todos/{id}/GET",
                MethodSetting {
                    logging_level: Some("OFF".into()),
                    data_trace: Some(false),
                    metrics: Some(false),
                    throttle_rate: Some(20.0),
                    throttle_burst: Some(50),
                    // Fields the answer leaves out read as the SDK's zero values.
                    caching_enabled: Some(false),
                    cache_ttl: Some(0),
                    cache_encrypted: Some(false),
                }
            ),
        ])
    );
    let dev = &observed.stages["dev"];
    assert_eq!(dev.deployment_id.as_deref(), Some("d1"));
    assert!(dev.settings.method_settings.is_empty());
    assert!(dev.settings.variables.is_empty());
    assert_eq!(dev.settings.access_log, None);

    assert_eq!(
        observed.deployments.keys().cloned().collect::<Vec<_>>(),
        vec!["d1".to_string(), "d2".to_string()]
    );
    assert_eq!(observed.deployments["d1"].description, None);
    assert_eq!(
        observed.deployments["d2"].description.as_deref(),
        Some("gwctl:config=abc")
    );

    // One call per list, plus the second resources page.
    let calls: Vec<usize> = rules.iter().map(Rule::num_calls).collect();
    assert_eq!(calls, vec![1, 1, 1, 1, 1, 1, 1]);
}

#[tokio::test]
async fn read_rest_api_fails_with_a_classified_error_when_the_api_is_gone() {
    let rule = mock!(ApigwClient::get_rest_api)
        .then_http_response(|| error(404, "NotFoundException", "Invalid API identifier"));
    let others = [
        mock!(ApigwClient::get_resources).then_http_response(|| json(200, r#"{"item":[]}"#)),
        mock!(ApigwClient::get_authorizers).then_http_response(|| json(200, r#"{"item":[]}"#)),
        mock!(ApigwClient::get_gateway_responses)
            .then_http_response(|| json(200, r#"{"item":[]}"#)),
        mock!(ApigwClient::get_stages).then_http_response(|| json(200, r#"{"item":[]}"#)),
        mock!(ApigwClient::get_deployments).then_http_response(|| json(200, r#"{"item":[]}"#)),
    ];
    let mut refs: Vec<&Rule> = vec![&rule];
    refs.extend(others.iter());
    let c = clients(&refs, &[]);
    let err = read_rest_api(&c, "gone").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert_eq!(err.operation, "GetRestApi");
}

#[tokio::test]
async fn find_rest_apis_follows_pages_and_keeps_exact_names_oldest_first() {
    let page1 = mock!(ApigwClient::get_rest_apis)
        .match_requests(|r| r.position().is_none() && r.limit() == Some(500))
        .then_http_response(|| {
            json(
                200,
                r#"{"position":"p2","item":[
                {"id":"b2","name":"todo","createdDate":1700000200,"tags":{"gwctl:managed-by":"gwctl"}},
                {"id":"x1","name":"todo-old","createdDate":1600000000}]}"#,
            )
        });
    let page2 = mock!(ApigwClient::get_rest_apis)
        .match_requests(|r| r.position() == Some("p2"))
        .then_http_response(|| {
            json(
                200,
                r#"{"item":[{"id":"a1","name":"todo","createdDate":1700000100},
                             {"id":"y1","name":"Todo","createdDate":1500000000}]}"#,
            )
        });
    let c = clients(&[&page1, &page2], &[]);
    let found = find_rest_apis(&c, "todo").await.unwrap();
    let ids: Vec<&str> = found.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, vec!["a1", "b2"]);
    assert_eq!(found[0].created_epoch, Some(1_700_000_100));
    assert!(found[0].tags.is_empty());
    assert_eq!(
        found[1].tags,
        map(&[("gwctl:managed-by", "gwctl".to_string())])
    );
    assert_eq!((page1.num_calls(), page2.num_calls()), (1, 1));
}

fn spec_with_functions(functions: Vec<FunctionDef>) -> Spec {
    Spec {
        file: PathBuf::from("specs/todo.yaml"),
        api: ApiDef {
            name: At::new("todo".into(), Pos { line: 2, col: 9 }),
            description: None,
            kind: ApiKind::Rest,
            endpoint: EndpointType::Regional,
            binary_media_types: None,
            tags: BTreeMap::new(),
            disable_execute_api_endpoint: None,
            payload_format_version: None,
            api_key_source: None,
            route_selection: None,
            api_key_selection: None,
            endpoint_declared: false,
            policy: None,
            vpc_endpoint_ids: None,
        },
        functions,
        models: vec![],
        authorizers: vec![],
        default_auth: None,
        cors: None,
        routes: vec![],
        stages: vec![],
        api_keys: vec![],
        usage_plans: vec![],
        domains: None,
        vars: Default::default(),
    }
}

fn function(key: &str, name: &str, qualifier: Option<&str>, line: u32) -> FunctionDef {
    FunctionDef {
        key: At::new(key.into(), Pos { line, col: 3 }),
        name_or_arn: At::new(name.into(), Pos { line, col: 12 }),
        qualifier: qualifier.map(str::to_string),
    }
}

#[tokio::test]
async fn resolve_functions_makes_one_call_each_and_reports_every_missing_function() {
    let found = mock!(LambdaClient::get_function)
        .match_requests(|r| r.function_name() == Some("todo-list"))
        .then_http_response(|| {
            json(
                200,
                r#"{"Configuration":{"FunctionName":"todo-list",
                "FunctionArn":"arn:aws:lambda:eu-west-1:111122223333:function:todo-list"}}"#,
            )
        });
    // Real AWS answers the qualified ARN when a qualifier is given.
    let aliased = mock!(LambdaClient::get_function)
        .match_requests(|r| r.function_name() == Some("todo-get") && r.qualifier() == Some("live"))
        .then_http_response(|| {
            json(
                200,
                r#"{"Configuration":{"FunctionName":"todo-get",
                "FunctionArn":"arn:aws:lambda:eu-west-1:111122223333:function:todo-get:live"}}"#,
            )
        });
    let missing = mock!(LambdaClient::get_function)
        .match_requests(|r| r.function_name() == Some("todo-nope"))
        .then_http_response(|| {
            error(
                404,
                "ResourceNotFoundException",
                "Function not found: arn:aws:lambda:eu-west-1:111122223333:function:todo-nope",
            )
        });
    let missing2 = mock!(LambdaClient::get_function)
        .match_requests(|r| r.function_name() == Some("todo-gone"))
        .then_http_response(|| error(404, "ResourceNotFoundException", "Function not found"));
    let c = clients(&[], &[&found, &aliased, &missing, &missing2]);

    let spec = spec_with_functions(vec![
        function("list", "todo-list", None, 5),
        function("get", "todo-get", Some("live"), 6),
        function("nope", "todo-nope", None, 7),
        function("gone", "todo-gone", None, 8),
    ]);
    let errors = resolve_functions(&c, &spec).await.unwrap_err();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].key, "nope");
    assert_eq!(errors[0].pos, Pos { line: 7, col: 12 });
    assert_eq!(errors[0].error.kind, ErrorKind::NotFound);
    let msg = errors[0].to_string();
    assert!(
        msg.starts_with("specs/todo.yaml:7:12: function `nope` refers to Lambda function `todo-nope`, which does not exist"),
        "{msg}"
    );
    assert!(msg.contains("\nhint: "), "{msg}");
    assert_eq!(errors[1].key, "gone");
    assert!(errors[1].to_string().starts_with("specs/todo.yaml:8:12: "));
    // One get-function per function, no retries, nothing else.
    assert_eq!(
        [&found, &aliased, &missing, &missing2].map(|r| r.num_calls()),
        [1, 1, 1, 1]
    );

    let spec = spec_with_functions(vec![
        function("list", "todo-list", None, 5),
        function("get", "todo-get", Some("live"), 6),
    ]);
    let resolved = resolve_functions(&c, &spec).await.unwrap();
    assert_eq!(resolved.len(), 2);
    assert_eq!(resolved[0].key, "list");
    assert_eq!(
        resolved[0].function_arn,
        "arn:aws:lambda:eu-west-1:111122223333:function:todo-list"
    );
    assert_eq!(resolved[0].name, "todo-list");
    assert_eq!(resolved[0].qualifier, None);
    assert_eq!(resolved[0].account, "111122223333");
    assert_eq!(resolved[0].region, "eu-west-1");
    assert_eq!(
        resolved[1].function_arn,
        "arn:aws:lambda:eu-west-1:111122223333:function:todo-get"
    );
    assert_eq!(resolved[1].qualifier.as_deref(), Some("live"));
    assert_eq!(
        resolved[1].invoke_arn(),
        "arn:aws:lambda:eu-west-1:111122223333:function:todo-get:live"
    );
}

#[tokio::test]
async fn read_policies_parses_statements_and_treats_no_policy_as_empty() {
    const F: &str = "arn:aws:lambda:us-east-1:123456789012:function:f";
    const G: &str = "arn:aws:lambda:us-east-1:123456789012:function:g";
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Id": "default",
        "Statement": [
            {"Sid": "gwctl-a1-f", "Effect": "Allow",
             "Principal": {"Service": "apigateway.amazonaws.com"},
             "Action": "lambda:InvokeFunction", "Resource": F,
             "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:a1/*"}}},
            // A statement of another qualifier (the emulator returns the whole policy).
            {"Sid": "other", "Effect": "Allow",
             "Principal": {"Service": "apigateway.amazonaws.com"},
             "Action": "lambda:InvokeFunction", "Resource": format!("{F}:live")}
        ]
    })
    .to_string();
    let body = serde_json::json!({"Policy": policy, "RevisionId": "r1"}).to_string();
    let f = mock!(LambdaClient::get_policy)
        .match_requests(|r| r.function_name() == Some(F) && r.qualifier().is_none())
        .then_http_response(move || json(200, &body));
    let g = mock!(LambdaClient::get_policy)
        .match_requests(|r| r.function_name() == Some(G) && r.qualifier() == Some("live"))
        .then_http_response(|| {
            error(
                404,
                "ResourceNotFoundException",
                "The resource you requested does not exist.",
            )
        });
    let c = clients(&[], &[&f, &g]);
    let policies = read_policies(
        &c,
        &[
            (F.to_string(), None),
            (G.to_string(), Some("live".to_string())),
            // Asked twice: read once.
            (F.to_string(), None),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        policies.keys().cloned().collect::<Vec<_>>(),
        vec![F.to_string(), format!("{G}:live")]
    );
    assert_eq!(
        policies[F],
        vec![PolicyStatement {
            sid: "gwctl-a1-f".into(),
            effect: "Allow".into(),
            principal_service: Some("apigateway.amazonaws.com".into()),
            action: "lambda:InvokeFunction".into(),
            resource: F.into(),
            source_arn: Some("arn:aws:execute-api:us-east-1:123456789012:a1/*".into()),
        }]
    );
    assert!(policies[&format!("{G}:live")].is_empty());
    assert_eq!((f.num_calls(), g.num_calls()), (1, 1));
}

#[tokio::test]
async fn read_policies_propagates_errors_other_than_not_found() {
    let denied = mock!(LambdaClient::get_policy)
        .then_http_response(|| error(403, "AccessDeniedException", "not allowed"));
    let c = clients(&[], &[&denied]);
    let err = read_policies(
        &c,
        &[("arn:aws:lambda:us-east-1:1:function:f".into(), None)],
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::AccessDenied);
    assert_eq!(err.operation, "GetPolicy");
}
