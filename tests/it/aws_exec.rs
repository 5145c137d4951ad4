//! The executor (`gwctl::aws::exec`): the exact requests it sends for plan ops (offline,
//! with aws-smithy-mocks), and the write-then-read round trip against the emulator.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_apigateway::operation::put_integration::{PutIntegrationInput, PutIntegrationOutput};
use aws_sdk_apigateway::types::{EndpointType, IntegrationType, Op as PatchOp, PatchOperation};
use aws_sdk_apigateway::Client as ApigwClient;
use aws_sdk_lambda::operation::add_permission::{AddPermissionInput, AddPermissionOutput};
use aws_sdk_lambda::Client as LambdaClient;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use gwctl::aws::error::ErrorKind;
use gwctl::aws::exec::rest::Executor;
use gwctl::aws::exec::{ExecEvent, OpOutcome};
use gwctl::aws::read::read_policies;
use gwctl::aws::read::rest::{find_rest_apis, read_listed_rest_api, read_rest_api};
use gwctl::aws::{CallLog, Clients};
use gwctl::plan::rest::ops::{Op, Patch};
use gwctl::state::rest::{
    Authorizer, GatewayResponse, Integration, IntegrationResponse, Method, MethodResponse,
    ObservedRestApi, Resource, RestApi,
};
use gwctl::state::{OWNER_TAG_KEY, OWNER_TAG_VALUE};

use crate::support;

const FN_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:todo-list";
const FN_URI: &str = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:todo-list/invocations";

fn json(status: u16, body: &str) -> HttpResponse {
    HttpResponse::new(
        StatusCode::try_from(status).unwrap(),
        SdkBody::from(body.to_string()),
    )
}

fn error(status: u16, code: &str) -> HttpResponse {
    let mut r = json(status, r#"{"message":"canned error"}"#);
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

fn clients(mode: RuleMode, apigw_rules: &[&Rule], lambda_rules: &[&Rule]) -> Clients {
    Clients {
        apigw: mock_client!(aws_sdk_apigateway, mode, apigw_rules),
        apigw2: apigw2(),
        lambda: mock_client!(aws_sdk_lambda, mode, lambda_rules),
        route53: gwctl::aws::idle_route53(),
        region: "us-east-1".into(),
        calls: CallLog::default(),
    }
}

fn observed(resources: &[(&str, &str)], authorizers: &[(&str, &str)]) -> ObservedRestApi {
    ObservedRestApi {
        id: "a1".into(),
        resource_ids: resources
            .iter()
            .map(|(p, i)| (p.to_string(), i.to_string()))
            .collect(),
        authorizer_ids: authorizers
            .iter()
            .map(|(n, i)| (n.to_string(), i.to_string()))
            .collect(),
        ..Default::default()
    }
}

fn no_events(_: ExecEvent) {}

/// (b) A Lambda proxy integration is exactly: type AWS_PROXY, integration method POST, the
/// function's `/invocations` URI, and nothing else (defaults are not sent).
#[tokio::test]
async fn put_integration_for_a_lambda_proxy_sends_exactly_the_proxy_request() {
    let seen: Arc<Mutex<Vec<PutIntegrationInput>>> = Arc::default();
    let log = seen.clone();
    let rule = mock!(ApigwClient::put_integration).then_compute_output(move |i| {
        log.lock().unwrap().push(i.clone());
        PutIntegrationOutput::builder().build()
    });
    let c = clients(RuleMode::Sequential, &[&rule], &[]);
    let mut ex = Executor::for_api(&c, &observed(&[("/", "root"), ("/todos", "r1")], &[]));
    let op = Op::PutIntegration {
        path: "/todos".into(),
        method: "GET".into(),
        def: Integration {
            kind: "AWS_PROXY".into(),
            http_method: Some("POST".into()),
            uri: Some(FN_URI.into()),
            ..Default::default()
        },
    };
    let outcome = ex.apply_one(&op).await.unwrap();
    assert_eq!(outcome, OpOutcome::Applied);

    let expected = PutIntegrationInput::builder()
        .rest_api_id("a1")
        .resource_id("r1")
        .http_method("GET")
        .r#type(IntegrationType::AwsProxy)
        .integration_http_method("POST")
        .uri(FN_URI)
        .build()
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![expected]);
    assert!(FN_URI.ends_with("/invocations"));
}

/// (b) add-permission: the unqualified ARN as FunctionName plus the qualifier, API Gateway
/// as principal, invoke as action, and the statement id / source ARN with `{api_id}` filled.
#[tokio::test]
async fn add_permission_sends_unqualified_function_qualifier_and_filled_ids() {
    let seen: Arc<Mutex<Vec<AddPermissionInput>>> = Arc::default();
    let log = seen.clone();
    let rule = mock!(LambdaClient::add_permission).then_compute_output(move |i| {
        log.lock().unwrap().push(i.clone());
        AddPermissionOutput::builder().statement("{}").build()
    });
    // the policy is read first (no policy yet: 404), then the statement is added
    let no_policy = mock!(LambdaClient::get_policy)
        .match_requests(|r| r.function_name() == Some(FN_ARN) && r.qualifier() == Some("live"))
        .then_http_response(|| error(404, "ResourceNotFoundException"));
    let c = clients(RuleMode::Sequential, &[], &[&no_policy, &rule]);
    let mut ex = Executor::for_api(&c, &observed(&[("/", "root")], &[]));
    let op = Op::AddPermission {
        function: format!("{FN_ARN}:live"),
        function_key: "list".into(),
        statement_id: "gwctl-{api_id}-todo-list-live".into(),
        source_arn: "arn:aws:execute-api:us-east-1:123456789012:{api_id}/*".into(),
    };
    assert_eq!(ex.apply_one(&op).await.unwrap(), OpOutcome::Applied);

    let expected = AddPermissionInput::builder()
        .function_name(FN_ARN)
        .qualifier("live")
        .statement_id("gwctl-a1-todo-list-live")
        .action("lambda:InvokeFunction")
        .principal("apigateway.amazonaws.com")
        .source_arn("arn:aws:execute-api:us-east-1:123456789012:a1/*")
        .build()
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![expected]);
}

/// (c) A run on a new API: ids learned from create answers feed the later calls, and
/// `{api_id}`, `{authorizer_id:NAME}` and `{deployment_id}` are replaced.
#[tokio::test]
async fn run_learns_ids_and_fills_placeholders_in_order() {
    let rules = [
        mock!(ApigwClient::create_rest_api)
            .match_requests(|r| {
                r.name() == Some("todo")
                    && r.description() == Some("todo api")
                    && r.endpoint_configuration().map(|e| e.types())
                        == Some(&[EndpointType::Regional][..])
                    && r.binary_media_types().is_empty()
                    && r.api_key_source().is_none()
                    && r.tags()
                        .and_then(|t| t.get("gwctl:managed-by"))
                        .map(String::as_str)
                        == Some("gwctl")
            })
            .then_http_response(|| {
                json(
                    201,
                    r#"{"id":"new1","name":"todo","rootResourceId":"root1"}"#,
                )
            }),
        mock!(ApigwClient::create_resource)
            .match_requests(|r| {
                r.rest_api_id() == Some("new1")
                    && r.parent_id() == Some("root1")
                    && r.path_part() == Some("todos")
            })
            .then_http_response(|| json(201, r#"{"id":"res1","path":"/todos"}"#)),
        mock!(ApigwClient::create_resource)
            .match_requests(|r| r.parent_id() == Some("res1") && r.path_part() == Some("{id}"))
            .then_http_response(|| json(201, r#"{"id":"res2","path":"/todos/{id}"}"#)),
        mock!(ApigwClient::create_authorizer)
            .match_requests(|r| {
                r.name() == Some("tok")
                    && r.r#type().map(|t| t.as_str()) == Some("TOKEN")
                    && r.identity_source() == Some("method.request.header.Authorization")
                    && r.authorizer_result_ttl_in_seconds() == Some(300)
                    && r.provider_arns().is_empty()
            })
            .then_http_response(|| json(201, r#"{"id":"au9","name":"tok"}"#)),
        mock!(ApigwClient::put_method)
            .match_requests(|r| {
                r.resource_id() == Some("res2")
                    && r.http_method() == Some("GET")
                    && r.authorization_type() == Some("CUSTOM")
                    && r.authorizer_id() == Some("au9")
                    && r.api_key_required() == Some(false)
            })
            .then_http_response(|| json(201, r#"{"httpMethod":"GET"}"#)),
        mock!(ApigwClient::create_deployment)
            .match_requests(|r| {
                r.description() == Some("gwctl:config=abc") && r.stage_name().is_none()
            })
            .then_http_response(|| json(201, r#"{"id":"dep7"}"#)),
        mock!(ApigwClient::create_stage)
            .match_requests(|r| {
                r.stage_name() == Some("prod")
                    && r.deployment_id() == Some("dep7")
                    && r.variables().and_then(|v| v.get("env")).map(String::as_str) == Some("prod")
            })
            .then_http_response(|| json(201, r#"{"stageName":"prod"}"#)),
        mock!(ApigwClient::update_stage)
            .match_requests(|r| {
                r.patch_operations()
                    == [
                        PatchOperation::builder()
                            .op(PatchOp::Replace)
                            .path("/*/*/logging/loglevel")
                            .value("INFO")
                            .build(),
                        PatchOperation::builder()
                            .op(PatchOp::Replace)
                            .path("/deploymentId")
                            .value("dep7")
                            .build(),
                    ]
            })
            .then_http_response(|| json(200, r#"{"stageName":"prod"}"#)),
    ];
    let perm = mock!(LambdaClient::add_permission)
        .match_requests(|r| {
            r.function_name() == Some("arn:aws:lambda:us-east-1:123456789012:function:auth")
                && r.qualifier().is_none()
                && r.statement_id() == Some("gwctl-new1-authorizer-tok")
                && r.source_arn()
                    == Some("arn:aws:execute-api:us-east-1:123456789012:new1/authorizers/au9")
        })
        .then_http_response(|| json(201, r#"{"Statement":"{}"}"#));
    let no_policy = mock!(LambdaClient::get_policy)
        .then_http_response(|| error(404, "ResourceNotFoundException"));
    let refs: Vec<&Rule> = rules.iter().collect();
    let c = clients(RuleMode::Sequential, &refs, &[&no_policy, &perm]);

    let ops = vec![
        Op::CreateRestApi {
            name: "todo".into(),
            description: Some("todo api".into()),
            endpoint_type: "REGIONAL".into(),
            binary_media_types: vec![],
            api_key_source: None,
            policy: None,
            vpc_endpoint_ids: vec![],
            tags: BTreeMap::from([("gwctl:managed-by".to_string(), "gwctl".to_string())]),
        },
        Op::CreateResource {
            path: "/todos".into(),
            parent: "/".into(),
            path_part: "todos".into(),
        },
        Op::CreateResource {
            path: "/todos/{id}".into(),
            parent: "/todos".into(),
            path_part: "{id}".into(),
        },
        Op::CreateAuthorizer {
            name: "tok".into(),
            def: Authorizer {
                kind: "TOKEN".into(),
                authorizer_uri: Some(FN_URI.into()),
                identity_source: Some("method.request.header.Authorization".into()),
                identity_validation_expression: None,
                ttl_seconds: Some(300),
                provider_arns: vec![],
            },
        },
        Op::PutMethod {
            path: "/todos/{id}".into(),
            method: "GET".into(),
            def: Method {
                authorization_type: "CUSTOM".into(),
                authorizer: Some("tok".into()),
                ..Default::default()
            },
        },
        Op::AddPermission {
            function: "arn:aws:lambda:us-east-1:123456789012:function:auth".into(),
            function_key: "auth".into(),
            statement_id: "gwctl-{api_id}-authorizer-tok".into(),
            source_arn:
                "arn:aws:execute-api:us-east-1:123456789012:{api_id}/authorizers/{authorizer_id:tok}"
                    .into(),
        },
        Op::CreateDeployment {
            description: "gwctl:config=abc".into(),
            stage: None,
        },
        Op::CreateStage {
            name: "prod".into(),
            description: None,
            variables: BTreeMap::from([("env".to_string(), "prod".to_string())]),
            tracing_enabled: false,
        },
        Op::UpdateStage {
            name: "prod".into(),
            patches: vec![
                Patch::replace("/*/*/logging/loglevel", "INFO"),
                Patch::replace("/deploymentId", "{deployment_id}"),
            ],
        },
    ];

    let mut events = Vec::new();
    let mut ex = Executor::new(&c);
    let report = ex
        .run(&ops, &mut |e| {
            events.push(match e {
                ExecEvent::Started { index, total, .. } => format!("start {index}/{total}"),
                ExecEvent::Finished { index, .. } => format!("done {index}"),
                ExecEvent::Failed { index, .. } => format!("failed {index}"),
            })
        })
        .await
        .unwrap();

    assert_eq!(report.api_id.as_deref(), Some("new1"));
    assert_eq!(report.deployment_id.as_deref(), Some("dep7"));
    let created = |id: &str| OpOutcome::Created { id: id.into() };
    assert_eq!(
        report.outcomes,
        vec![
            created("new1"),
            created("res1"),
            created("res2"),
            created("au9"),
            OpOutcome::Applied,
            OpOutcome::Applied,
            created("dep7"),
            OpOutcome::Applied,
            OpOutcome::Applied,
        ]
    );
    assert_eq!(
        ex.resource_ids,
        BTreeMap::from([
            ("/".to_string(), "root1".to_string()),
            ("/todos".to_string(), "res1".to_string()),
            ("/todos/{id}".to_string(), "res2".to_string()),
        ])
    );
    assert_eq!(
        ex.authorizer_ids,
        BTreeMap::from([("tok".to_string(), "au9".to_string())])
    );
    let expected_events: Vec<String> = (0..ops.len())
        .flat_map(|i| [format!("start {i}/9"), format!("done {i}")])
        .collect();
    assert_eq!(events, expected_events);
    assert!(rules.iter().all(|r| r.num_calls() == 1));
    assert_eq!(perm.num_calls(), 1);
}

#[tokio::test]
async fn unknown_placeholders_fail_before_any_call() {
    let perm = mock!(LambdaClient::add_permission)
        .then_http_response(|| json(201, r#"{"Statement":"{}"}"#));
    let stage = mock!(ApigwClient::update_stage).then_http_response(|| json(200, "{}"));
    let c = clients(RuleMode::MatchAny, &[&stage], &[&perm]);
    let mut ex = Executor::for_api(&c, &observed(&[("/", "root")], &[]));

    let err = ex
        .apply_one(&Op::AddPermission {
            function: FN_ARN.into(),
            function_key: "list".into(),
            statement_id: "s".into(),
            source_arn: "arn:x:{api_id}/authorizers/{authorizer_id:missing}".into(),
        })
        .await
        .unwrap_err();
    assert!(err.message.contains("`missing`"), "{err}");

    let err = ex
        .apply_one(&Op::UpdateStage {
            name: "prod".into(),
            patches: vec![Patch::replace("/deploymentId", "{deployment_id}")],
        })
        .await
        .unwrap_err();
    assert!(err.message.contains("no deployment"), "{err}");
    assert_eq!((perm.num_calls(), stage.num_calls()), (0, 0));

    // Not placeholders: `{id}`-style path parameters pass through untouched.
    assert_eq!(ex.fill("X", "/todos/{id}").unwrap(), "/todos/{id}");
    assert_eq!(
        ex.fill("X", "{api_id}/{api_id}").unwrap(),
        "a1/a1".to_string()
    );
}

/// (d) Deleting what is already gone counts as done, and forgets the ids.
#[tokio::test]
async fn deletes_answered_not_found_count_as_done() {
    let apigw = [
        mock!(ApigwClient::delete_method).then_http_response(|| error(404, "NotFoundException")),
        mock!(ApigwClient::delete_method_response)
            .then_http_response(|| error(404, "NotFoundException")),
        mock!(ApigwClient::delete_integration_response)
            .then_http_response(|| error(404, "NotFoundException")),
        mock!(ApigwClient::delete_gateway_response)
            .then_http_response(|| error(404, "NotFoundException")),
        mock!(ApigwClient::delete_authorizer)
            .match_requests(|r| r.authorizer_id() == Some("au1"))
            .then_http_response(|| error(404, "NotFoundException")),
        mock!(ApigwClient::delete_resource)
            .match_requests(|r| r.resource_id() == Some("r1"))
            .then_http_response(|| error(404, "NotFoundException")),
    ];
    let lambda = mock!(LambdaClient::remove_permission)
        .match_requests(|r| {
            r.function_name() == Some(FN_ARN)
                && r.qualifier() == Some("live")
                && r.statement_id() == Some("gwctl-a1-todo-list")
        })
        .then_http_response(|| error(404, "ResourceNotFoundException"));
    let refs: Vec<&Rule> = apigw.iter().collect();
    let c = clients(RuleMode::Sequential, &refs, &[&lambda]);
    let mut ex = Executor::for_api(
        &c,
        &observed(
            &[
                ("/", "root"),
                ("/todos", "r1"),
                ("/todos/{id}", "r2"),
                ("/todosx", "r3"),
            ],
            &[("tok", "au1")],
        ),
    );
    let ops = vec![
        Op::DeleteMethod {
            path: "/todos/{id}".into(),
            method: "GET".into(),
        },
        Op::DeleteMethodResponse {
            path: "/todos/{id}".into(),
            method: "GET".into(),
            status: "200".into(),
        },
        Op::DeleteIntegrationResponse {
            path: "/todos/{id}".into(),
            method: "GET".into(),
            status: "200".into(),
        },
        Op::DeleteGatewayResponse {
            response_type: "DEFAULT_4XX".into(),
        },
        Op::DeleteAuthorizer { name: "tok".into() },
        Op::DeleteResource {
            path: "/todos".into(),
        },
        Op::RemovePermission {
            function: format!("{FN_ARN}:live"),
            function_key: "list".into(),
            statement_id: "gwctl-{api_id}-todo-list".into(),
        },
    ];
    let report = ex.run(&ops, &mut no_events).await.unwrap();
    assert_eq!(report.outcomes, vec![OpOutcome::AlreadyGone; 7]);
    // `/todos` and its child are forgotten; the sibling `/todosx` is not.
    assert_eq!(
        ex.resource_ids,
        BTreeMap::from([
            ("/".to_string(), "root".to_string()),
            ("/todosx".to_string(), "r3".to_string()),
        ])
    );
    assert!(ex.authorizer_ids.is_empty());
    assert!(apigw.iter().all(|r| r.num_calls() == 1));
    assert_eq!(lambda.num_calls(), 1);
}

#[tokio::test]
async fn a_failure_stops_the_run_and_says_what_was_applied() {
    let ok = mock!(ApigwClient::delete_method).then_http_response(|| json(202, "{}"));
    let bad =
        mock!(ApigwClient::put_method).then_http_response(|| error(400, "BadRequestException"));
    let never = mock!(ApigwClient::put_integration).then_http_response(|| json(201, "{}"));
    let c = clients(RuleMode::MatchAny, &[&ok, &bad, &never], &[]);
    let mut ex = Executor::for_api(&c, &observed(&[("/", "root"), ("/a", "ra")], &[]));
    let ops = vec![
        Op::DeleteMethod {
            path: "/a".into(),
            method: "POST".into(),
        },
        Op::PutMethod {
            path: "/a".into(),
            method: "GET".into(),
            def: Method::default(),
        },
        Op::PutIntegration {
            path: "/a".into(),
            method: "GET".into(),
            def: Integration {
                kind: "MOCK".into(),
                ..Default::default()
            },
        },
    ];
    let mut failed_events = Vec::new();
    let failure = ex
        .run(&ops, &mut |e| {
            if let ExecEvent::Failed { index, error, .. } = e {
                failed_events.push((index, error.kind));
            }
        })
        .await
        .unwrap_err();
    assert_eq!(failure.completed, vec![0]);
    assert_eq!(failure.failed, 1);
    assert_eq!(failure.total, 3);
    assert_eq!(failure.op, "PutMethod");
    assert_eq!(failure.outcomes, vec![OpOutcome::Applied]);
    assert_eq!(failure.api_id.as_deref(), Some("a1"));
    assert_eq!(failure.error.kind, ErrorKind::BadRequest);
    assert_eq!(
        failure.to_string(),
        "step 2 of 3 failed: PutMethod: canned error"
    );
    assert_eq!(failed_events, vec![(1, ErrorKind::BadRequest)]);
    assert_eq!(never.num_calls(), 0);
}

#[tokio::test]
async fn create_resource_conflict_adopts_the_existing_resource() {
    let conflict =
        mock!(ApigwClient::create_resource).then_http_response(|| error(409, "ConflictException"));
    let lookup = mock!(ApigwClient::get_resources)
        .match_requests(|r| r.rest_api_id() == Some("a1") && r.embed().is_empty())
        .then_http_response(|| {
            json(
                200,
                r#"{"item":[{"id":"root","path":"/"},
                   {"id":"exists1","parentId":"root","pathPart":"todos","path":"/todos"}]}"#,
            )
        });
    let c = clients(RuleMode::Sequential, &[&conflict, &lookup], &[]);
    let mut ex = Executor::for_api(&c, &observed(&[("/", "root")], &[]));
    let outcome = ex
        .apply_one(&Op::CreateResource {
            path: "/todos".into(),
            parent: "/".into(),
            path_part: "todos".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        outcome,
        OpOutcome::Adopted {
            id: "exists1".into()
        }
    );
    assert_eq!(ex.resource_ids["/todos"], "exists1");
}

/// put-method and put-method-response answered 409 ConflictException (AWS: it exists; after
/// a lost answer, this op's own first attempt) read it back: done when it is exactly what the
/// op asks; tried again when nothing is there (a concurrent modification); else the conflict
/// is the answer (the apply plans again).
#[tokio::test]
async fn a_put_refused_as_existing_is_done_only_when_what_exists_is_the_ops() {
    let put_method = Op::PutMethod {
        path: "/".into(),
        method: "GET".into(),
        def: Method {
            authorization_type: "NONE".into(),
            api_key_required: true,
            request_parameters: BTreeMap::from([("method.request.path.id".to_string(), true)]),
            ..Default::default()
        },
    };
    let same = r#"{"httpMethod":"GET","authorizationType":"NONE","apiKeyRequired":true,
        "requestParameters":{"method.request.path.id":true}}"#;
    let other = r#"{"httpMethod":"GET","authorizationType":"NONE","apiKeyRequired":false,
        "requestParameters":{"method.request.path.id":true}}"#;
    for (found, done) in [(same, true), (other, false)] {
        let put =
            mock!(ApigwClient::put_method).then_http_response(|| error(409, "ConflictException"));
        let get = mock!(ApigwClient::get_method)
            .match_requests(|r| {
                r.rest_api_id() == Some("a1")
                    && r.resource_id() == Some("root")
                    && r.http_method() == Some("GET")
            })
            .then_http_response(move || json(200, found));
        let c = clients(RuleMode::Sequential, &[&put, &get], &[]);
        let mut ex = Executor::for_api(&c, &observed(&[("/", "root")], &[]));
        let res = ex.apply_one(&put_method).await;
        if done {
            assert_eq!(res.unwrap(), OpOutcome::AlreadyPresent);
        } else {
            assert_eq!(res.unwrap_err().kind, ErrorKind::Conflict);
        }
        assert_eq!((put.num_calls(), get.num_calls()), (1, 1));
    }

    // no method at all: the conflict was a concurrent modification, and the put is tried again
    let put = mock!(ApigwClient::put_method).then_http_response(|| error(409, "ConflictException"));
    let missing =
        mock!(ApigwClient::get_method).then_http_response(|| error(404, "NotFoundException"));
    let again = mock!(ApigwClient::put_method).then_http_response(|| json(201, same));
    let c = clients(RuleMode::Sequential, &[&put, &missing, &again], &[]);
    let mut ex = Executor::for_api(&c, &observed(&[("/", "root")], &[]));
    assert_eq!(ex.apply_one(&put_method).await.unwrap(), OpOutcome::Applied);
    assert_eq!(
        (put.num_calls(), missing.num_calls(), again.num_calls()),
        (1, 1, 1)
    );

    let put_response = Op::PutMethodResponse {
        path: "/".into(),
        method: "OPTIONS".into(),
        status: "200".into(),
        def: MethodResponse {
            response_parameters: BTreeMap::from([(
                "method.response.header.Access-Control-Allow-Origin".to_string(),
                false,
            )]),
            ..Default::default()
        },
    };
    let same = r#"{"statusCode":"200","responseParameters":
        {"method.response.header.Access-Control-Allow-Origin":false}}"#;
    let other = r#"{"statusCode":"200","responseModels":{"application/json":"Empty"}}"#;
    for (found, done) in [(same, true), (other, false)] {
        let put = mock!(ApigwClient::put_method_response)
            .then_http_response(|| error(409, "ConflictException"));
        let get = mock!(ApigwClient::get_method_response)
            .match_requests(|r| {
                r.http_method() == Some("OPTIONS") && r.status_code() == Some("200")
            })
            .then_http_response(move || json(200, found));
        let c = clients(RuleMode::Sequential, &[&put, &get], &[]);
        let mut ex = Executor::for_api(&c, &observed(&[("/", "root")], &[]));
        let res = ex.apply_one(&put_response).await;
        if done {
            assert_eq!(res.unwrap(), OpOutcome::AlreadyPresent);
        } else {
            assert_eq!(res.unwrap_err().kind, ErrorKind::Conflict);
        }
        assert_eq!((put.num_calls(), get.num_calls()), (1, 1));
    }
}

fn policy_with(sid: &str, source: &str) -> String {
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": sid, "Effect": "Allow",
            "Principal": {"Service": "apigateway.amazonaws.com"},
            "Action": "lambda:InvokeFunction", "Resource": FN_ARN,
            "Condition": {"ArnLike": {"AWS:SourceArn": source}}
        }]
    })
    .to_string();
    serde_json::json!({ "Policy": policy }).to_string()
}

#[tokio::test]
async fn add_permission_conflict_is_done_only_when_the_statement_matches() {
    let source = "arn:aws:execute-api:us-east-1:123456789012:a1/*";
    let op = Op::AddPermission {
        function: FN_ARN.into(),
        function_key: "list".into(),
        statement_id: "gwctl-{api_id}-todo-list".into(),
        source_arn: "arn:aws:execute-api:us-east-1:123456789012:{api_id}/*".into(),
    };

    // Same statement already there: done.
    let conflict = mock!(LambdaClient::add_permission)
        .then_http_response(|| error(409, "ResourceConflictException"));
    let body = policy_with("gwctl-a1-todo-list", source);
    let policy = mock!(LambdaClient::get_policy)
        .match_requests(|r| r.function_name() == Some(FN_ARN) && r.qualifier().is_none())
        .then_http_response(move || json(200, &body));
    let absent = mock!(LambdaClient::get_policy)
        .then_http_response(|| error(404, "ResourceNotFoundException"));
    let c = clients(RuleMode::Sequential, &[], &[&absent, &conflict, &policy]);
    let mut ex = Executor::for_api(&c, &observed(&[("/", "root")], &[]));
    assert_eq!(ex.apply_one(&op).await.unwrap(), OpOutcome::AlreadyPresent);

    // Same id, different grant: an error naming the statement.
    let conflict = mock!(LambdaClient::add_permission)
        .then_http_response(|| error(409, "ResourceConflictException"));
    let body = policy_with(
        "gwctl-a1-todo-list",
        "arn:aws:execute-api:us-east-1:123456789012:other/*",
    );
    let policy = mock!(LambdaClient::get_policy).then_http_response(move || json(200, &body));
    let absent = mock!(LambdaClient::get_policy)
        .then_http_response(|| error(404, "ResourceNotFoundException"));
    let c = clients(RuleMode::Sequential, &[], &[&absent, &conflict, &policy]);
    let mut ex = Executor::for_api(&c, &observed(&[("/", "root")], &[]));
    let err = ex.apply_one(&op).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Conflict);
    assert!(
        err.message.contains("`gwctl-a1-todo-list`") && err.message.contains("other/*"),
        "{err}"
    );
}

/// create-resource answered Conflict with no resource at that path: a concurrent
/// modification of the API, tried again after a backoff.
#[tokio::test(start_paused = true)]
async fn create_resource_conflict_without_the_path_is_retried() {
    let conflict =
        mock!(ApigwClient::create_resource).then_http_response(|| error(409, "ConflictException"));
    let lookup = mock!(ApigwClient::get_resources)
        .then_http_response(|| json(200, r#"{"item":[{"id":"root","path":"/"}]}"#));
    let created = mock!(ApigwClient::create_resource)
        .then_http_response(|| json(201, r#"{"id":"new9","path":"/todos"}"#));
    let c = clients(RuleMode::Sequential, &[&conflict, &lookup, &created], &[]);
    let mut ex = Executor::for_api(&c, &observed(&[("/", "root")], &[]));
    let outcome = ex
        .apply_one(&Op::CreateResource {
            path: "/todos".into(),
            parent: "/".into(),
            path_part: "todos".into(),
        })
        .await
        .unwrap();
    assert_eq!(outcome, OpOutcome::Created { id: "new9".into() });
    assert_eq!(ex.resource_ids["/todos"], "new9");
}

/// Look before adding: a statement already granting the same is not added again, whether
/// a concurrent run or an earlier attempt with a lost answer put it there. (AWS would refuse
/// the duplicate; emulators accept it; gwctl relies on neither.)
#[tokio::test]
async fn add_permission_is_not_sent_when_the_statement_is_already_there() {
    let source = "arn:aws:execute-api:us-east-1:123456789012:a1/*";
    let body = policy_with("gwctl-a1-todo-list", source);
    let policy = mock!(LambdaClient::get_policy).then_http_response(move || json(200, &body));
    let add = mock!(LambdaClient::add_permission)
        .then_http_response(|| json(201, r#"{"Statement":"{}"}"#));
    let c = clients(RuleMode::MatchAny, &[], &[&policy, &add]);
    let mut ex = Executor::for_api(&c, &observed(&[("/", "root")], &[]));
    let op = Op::AddPermission {
        function: FN_ARN.into(),
        function_key: "list".into(),
        statement_id: "gwctl-{api_id}-todo-list".into(),
        source_arn: "arn:aws:execute-api:us-east-1:123456789012:{api_id}/*".into(),
    };
    assert_eq!(ex.apply_one(&op).await.unwrap(), OpOutcome::AlreadyPresent);
    assert_eq!(add.num_calls(), 0, "no add-permission sent");
    assert_eq!(policy.num_calls(), 1);
}

/// Empty templates are never written (API Gateway would store them as null).
#[tokio::test]
async fn empty_templates_are_not_sent() {
    let integration = mock!(ApigwClient::put_integration)
        .match_requests(|r| {
            r.request_templates().map(|t| t.len()) == Some(1)
                && r.request_templates()
                    .unwrap()
                    .get("application/json")
                    .map(String::as_str)
                    == Some("{\"statusCode\": 200}")
        })
        .then_http_response(|| json(201, "{}"));
    let response = mock!(ApigwClient::put_integration_response)
        .match_requests(|r| {
            r.response_templates().is_none()
                && r.selection_pattern().is_none()
                && r.response_parameters().map(|p| p.len()) == Some(1)
        })
        .then_http_response(|| json(201, "{}"));
    let gateway = mock!(ApigwClient::put_gateway_response)
        .match_requests(|r| {
            r.response_templates().is_none()
                && r.status_code().is_none()
                && r.response_type().map(|t| t.as_str()) == Some("DEFAULT_4XX")
        })
        .then_http_response(|| json(201, "{}"));
    let c = clients(
        RuleMode::Sequential,
        &[&integration, &response, &gateway],
        &[],
    );
    let mut ex = Executor::for_api(&c, &observed(&[("/", "root"), ("/a", "ra")], &[]));
    let ops = vec![
        Op::PutIntegration {
            path: "/a".into(),
            method: "OPTIONS".into(),
            def: Integration {
                kind: "MOCK".into(),
                request_templates: BTreeMap::from([
                    (
                        "application/json".to_string(),
                        "{\"statusCode\": 200}".to_string(),
                    ),
                    ("text/plain".to_string(), String::new()),
                ]),
                ..Default::default()
            },
        },
        Op::PutIntegrationResponse {
            path: "/a".into(),
            method: "OPTIONS".into(),
            status: "200".into(),
            def: IntegrationResponse {
                selection_pattern: None,
                response_templates: BTreeMap::from([(
                    "application/json".to_string(),
                    String::new(),
                )]),
                response_parameters: BTreeMap::from([(
                    "method.response.header.Access-Control-Allow-Origin".to_string(),
                    "'*'".to_string(),
                )]),
                content_handling: None,
            },
        },
        Op::PutGatewayResponse {
            response_type: "DEFAULT_4XX".into(),
            def: GatewayResponse {
                status_code: None,
                response_parameters: BTreeMap::new(),
                response_templates: BTreeMap::from([(
                    "application/json".to_string(),
                    String::new(),
                )]),
            },
        },
    ];
    let report = ex.run(&ops, &mut no_events).await.unwrap();
    assert_eq!(report.outcomes, vec![OpOutcome::Applied; 3]);
}

// ---------------------------------------------------------------------------------------
// Against the emulator: write X with the executor, read back X with the reader.
// ---------------------------------------------------------------------------------------

fn lambda_uri(function_arn: &str) -> String {
    format!(
        "arn:aws:apigateway:{}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
        support::REGION
    )
}

fn strings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A small API in every shape the planner writes: a Lambda proxy GET, a custom Lambda POST
/// behind a TOKEN authorizer (templates, selection patterns, method responses, timeout,
/// passthrough), a CORS OPTIONS (MOCK with method and integration responses carrying the
/// Access-Control-* headers), and a customised gateway response.
fn small_api(function_arn: &str) -> RestApi {
    let cors_params = [
        "method.response.header.Access-Control-Allow-Origin",
        "method.response.header.Access-Control-Allow-Methods",
        "method.response.header.Access-Control-Allow-Headers",
    ];
    let options = Method {
        authorization_type: "NONE".into(),
        method_responses: BTreeMap::from([(
            "200".to_string(),
            MethodResponse {
                response_models: strings(&[("application/json", "Empty")]),
                response_parameters: cors_params.iter().map(|p| (p.to_string(), false)).collect(),
            },
        )]),
        integration: Some(Integration {
            kind: "MOCK".into(),
            request_templates: strings(&[("application/json", "{\"statusCode\": 200}")]),
            responses: BTreeMap::from([(
                "200".to_string(),
                IntegrationResponse {
                    response_parameters: strings(&[
                        (cors_params[0], "'https://app.example.com'"),
                        (cors_params[1], "'GET,OPTIONS,POST'"),
                        (cors_params[2], "'Content-Type,Authorization'"),
                    ]),
                    ..Default::default()
                },
            )]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let get = Method {
        authorization_type: "NONE".into(),
        integration: Some(Integration {
            kind: "AWS_PROXY".into(),
            http_method: Some("POST".into()),
            uri: Some(lambda_uri(function_arn)),
            ..Default::default()
        }),
        ..Default::default()
    };
    let post = Method {
        authorization_type: "CUSTOM".into(),
        authorizer: Some("token-auth".into()),
        request_parameters: BTreeMap::from([("method.request.path.id".to_string(), true)]),
        method_responses: BTreeMap::from([
            ("200".to_string(), MethodResponse::default()),
            ("400".to_string(), MethodResponse::default()),
        ]),
        integration: Some(Integration {
            kind: "AWS".into(),
            http_method: Some("POST".into()),
            uri: Some(lambda_uri(function_arn)),
            request_templates: strings(&[(
                "application/json",
                "{\"id\": \"$input.params('id')\"}",
            )]),
            passthrough_behavior: Some("WHEN_NO_TEMPLATES".into()),
            timeout_ms: Some(5000),
            responses: BTreeMap::from([
                ("200".to_string(), IntegrationResponse::default()),
                (
                    "400".to_string(),
                    IntegrationResponse {
                        selection_pattern: Some(".*\"status\":400.*".into()),
                        response_templates: strings(&[(
                            "application/json",
                            "$input.path('$.errorMessage')",
                        )]),
                        ..Default::default()
                    },
                ),
            ]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut api = RestApi {
        name: "round-trip".into(),
        description: Some("written by the executor".into()),
        endpoint_type: "REGIONAL".into(),
        resources: BTreeMap::from([
            ("/".to_string(), Resource::default()),
            (
                "/todos".to_string(),
                Resource {
                    methods: BTreeMap::from([
                        ("GET".to_string(), get),
                        ("OPTIONS".to_string(), options),
                    ]),
                },
            ),
            (
                "/todos/{id}".to_string(),
                Resource {
                    methods: BTreeMap::from([("POST".to_string(), post)]),
                },
            ),
        ]),
        authorizers: BTreeMap::from([(
            "token-auth".to_string(),
            Authorizer {
                kind: "TOKEN".into(),
                authorizer_uri: Some(lambda_uri(function_arn)),
                identity_source: Some("method.request.header.Authorization".into()),
                identity_validation_expression: None,
                ttl_seconds: Some(300),
                provider_arns: vec![],
            },
        )]),
        gateway_responses: BTreeMap::from([(
            "DEFAULT_4XX".to_string(),
            GatewayResponse {
                status_code: None,
                response_parameters: strings(&[(
                    "gatewayresponse.header.Access-Control-Allow-Origin",
                    "'https://app.example.com'",
                )]),
                response_templates: strings(&[(
                    "application/json",
                    "{\"message\":$context.error.messageString}",
                )]),
            },
        )]),
        ..Default::default()
    };
    api.normalize();
    api
}

/// A naive "create everything" plan for `api`, in the order the planner uses.
fn create_ops(api: &RestApi) -> Vec<Op> {
    let mut ops = vec![Op::CreateRestApi {
        name: api.name.clone(),
        description: api.description.clone(),
        endpoint_type: api.endpoint_type.clone(),
        binary_media_types: api.binary_media_types.clone(),
        api_key_source: api.api_key_source.clone(),
        policy: None,
        vpc_endpoint_ids: vec![],
        tags: strings(&[(OWNER_TAG_KEY, OWNER_TAG_VALUE)]),
    }];
    for (name, def) in &api.authorizers {
        ops.push(Op::CreateAuthorizer {
            name: name.clone(),
            def: def.clone(),
        });
    }
    // BTreeMap order puts every parent path before its children.
    for path in api.resources.keys().filter(|p| p.as_str() != "/") {
        let (parent, part) = path.rsplit_once('/').unwrap();
        ops.push(Op::CreateResource {
            path: path.clone(),
            parent: if parent.is_empty() { "/" } else { parent }.to_string(),
            path_part: part.to_string(),
        });
    }
    for (path, res) in &api.resources {
        for (verb, m) in &res.methods {
            let (path, method) = (path.clone(), verb.clone());
            ops.push(Op::PutMethod {
                path: path.clone(),
                method: method.clone(),
                def: m.clone(),
            });
            for (status, def) in &m.method_responses {
                ops.push(Op::PutMethodResponse {
                    path: path.clone(),
                    method: method.clone(),
                    status: status.clone(),
                    def: def.clone(),
                });
            }
            if let Some(i) = &m.integration {
                ops.push(Op::PutIntegration {
                    path: path.clone(),
                    method: method.clone(),
                    def: i.clone(),
                });
                for (status, def) in &i.responses {
                    ops.push(Op::PutIntegrationResponse {
                        path: path.clone(),
                        method: method.clone(),
                        status: status.clone(),
                        def: def.clone(),
                    });
                }
            }
        }
    }
    for (t, def) in &api.gateway_responses {
        ops.push(Op::PutGatewayResponse {
            response_type: t.clone(),
            def: def.clone(),
        });
    }
    ops
}

fn permission(function_arn: &str) -> Op {
    Op::AddPermission {
        function: function_arn.to_string(),
        function_key: "list".into(),
        statement_id: "gwctl-{api_id}-todo-list".into(),
        source_arn: format!(
            "arn:aws:execute-api:{}:{}:{{api_id}}/*",
            support::REGION,
            support::ACCOUNT_ID
        ),
    }
}

fn deploy_ops() -> Vec<Op> {
    vec![
        Op::CreateDeployment {
            description: "gwctl:config=round-trip".into(),
            stage: None,
        },
        Op::CreateStage {
            name: "prod".into(),
            description: Some("production".into()),
            variables: strings(&[("env", "prod")]),
            tracing_enabled: false,
        },
        Op::UpdateStage {
            name: "prod".into(),
            patches: vec![
                Patch::replace("/*/*/logging/loglevel", "INFO"),
                Patch::replace("/*/*/metrics/enabled", "true"),
            ],
        },
    ]
}

#[tokio::test]
async fn emulator_write_then_read_back_gives_the_same_configuration() {
    let em = support::emulator().await;
    let arns = em.create_functions(&["todo-list"]).await;
    let c = em.clients().await;

    let desired = small_api(&arns[0]);
    let mut ops = create_ops(&desired);
    ops.push(permission(&arns[0]));
    ops.extend(deploy_ops());

    let mut ex = Executor::new(&c);
    let report = ex
        .run(&ops, &mut no_events)
        .await
        .expect("every op applies");
    let api_id = report.api_id.clone().unwrap();
    let deployment_id = report.deployment_id.clone().unwrap();

    // One write per op, nothing hidden; an added permission reads the policy first.
    let adds = ops
        .iter()
        .filter(|o| matches!(o, Op::AddPermission { .. }))
        .count();
    assert_eq!(c.calls.len(), ops.len() + adds);
    assert_eq!(c.calls.writes(), ops.len());

    let observed = read_rest_api(&c, &api_id).await.expect("read back");
    // The whole API in six reads (every list fits in one page).
    let reads: Vec<String> = c.calls.snapshot()[ops.len() + adds..]
        .iter()
        .map(|r| r.operation.clone())
        .collect();
    let mut sorted = reads.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "GetAuthorizers",
            "GetDeployments",
            "GetGatewayResponses",
            "GetResources",
            "GetRestApi",
            "GetStages"
        ]
    );

    // Field by field, so a failure names what did not survive the round trip.
    assert_eq!(observed.config.name, desired.name);
    assert_eq!(observed.config.description, desired.description);
    assert_eq!(observed.config.endpoint_type, desired.endpoint_type);
    assert_eq!(observed.config.api_key_source, desired.api_key_source);
    assert_eq!(observed.config.authorizers, desired.authorizers);
    assert_eq!(observed.config.gateway_responses, desired.gateway_responses);
    assert_eq!(
        observed.config.resources.keys().collect::<Vec<_>>(),
        desired.resources.keys().collect::<Vec<_>>()
    );
    for (path, res) in &desired.resources {
        for (verb, m) in &res.methods {
            let got = &observed.config.resources[path].methods[verb];
            assert_eq!(got.integration, m.integration, "{verb} {path} integration");
            assert_eq!(got, m, "{verb} {path}");
        }
        assert_eq!(&observed.config.resources[path], res, "{path}");
    }
    assert_eq!(observed.config, desired);

    // Found by listing, the API reads the same without get-rest-api (five reads, not six):
    // every attribute get-rest-api gives is also in the get-rest-apis item.
    let listed = find_rest_apis(&c, &desired.name).await.expect("listed");
    assert_eq!(listed.len(), 1);
    let before = c.calls.snapshot().len();
    let via_listing = read_listed_rest_api(&c, &listed[0]).await.expect("read");
    let mut reads: Vec<String> = c.calls.snapshot()[before..]
        .iter()
        .map(|r| r.operation.clone())
        .collect();
    reads.sort();
    assert_eq!(
        reads,
        [
            "GetAuthorizers",
            "GetDeployments",
            "GetGatewayResponses",
            "GetResources",
            "GetStages"
        ]
    );
    assert_eq!(
        serde_json::to_value(&via_listing).unwrap(),
        serde_json::to_value(&observed).unwrap()
    );

    // The ids the executor learned are the ones the reader finds.
    assert_eq!(observed.resource_ids, ex.resource_ids);
    assert_eq!(observed.authorizer_ids, ex.authorizer_ids);
    assert_eq!(observed.tags, strings(&[(OWNER_TAG_KEY, OWNER_TAG_VALUE)]));

    // One deployment, the stage on it, logging and metrics stage-wide.
    assert_eq!(
        observed.deployments.keys().collect::<Vec<_>>(),
        vec![&deployment_id]
    );
    assert_eq!(
        observed.deployments[&deployment_id].description.as_deref(),
        Some("gwctl:config=round-trip")
    );
    let prod = &observed.stages["prod"];
    assert_eq!(prod.deployment_id.as_deref(), Some(deployment_id.as_str()));
    assert_eq!(prod.settings.description.as_deref(), Some("production"));
    assert_eq!(prod.settings.variables, strings(&[("env", "prod")]));
    assert_eq!(prod.settings.tracing_enabled, Some(false));
    assert_eq!(
        prod.settings.method_settings.keys().collect::<Vec<_>>(),
        vec!["*/*"]
    );
    let all = &prod.settings.method_settings["*/*"];
    assert_eq!(all.logging_level.as_deref(), Some("INFO"));
    assert_eq!(all.metrics, Some(true));
    assert_eq!(all.data_trace, Some(false));

    // Exactly one statement, scoped to this API.
    let policies = read_policies(&c, &[(arns[0].clone(), None)]).await.unwrap();
    let statements = &policies[&arns[0]];
    assert_eq!(statements.len(), 1, "{statements:?}");
    assert_eq!(statements[0].sid, format!("gwctl-{api_id}-todo-list"));
    assert_eq!(
        statements[0].source_arn.as_deref(),
        Some(format!("arn:aws:execute-api:us-east-1:123456789012:{api_id}/*").as_str())
    );
    assert_eq!(
        statements[0].principal_service.as_deref(),
        Some("apigateway.amazonaws.com")
    );
    assert_eq!(statements[0].action, "lambda:InvokeFunction");
}

#[tokio::test]
async fn emulator_path_specific_stage_settings_read_back_unescaped() {
    let em = support::emulator().await;
    let c = em.clients().await;
    let mut api = RestApi {
        name: "settings".into(),
        endpoint_type: "REGIONAL".into(),
        resources: BTreeMap::from([
            ("/".to_string(), Resource::default()),
            (
                "/todos".to_string(),
                Resource {
                    methods: BTreeMap::from([(
                        "GET".to_string(),
                        Method {
                            authorization_type: "NONE".into(),
                            integration: Some(Integration {
                                kind: "MOCK".into(),
                                request_templates: strings(&[(
                                    "application/json",
                                    "{\"statusCode\": 200}",
                                )]),
                                ..Default::default()
                            }),
                            ..Default::default()
                        },
                    )]),
                },
            ),
        ]),
        ..Default::default()
    };
    api.normalize();
    let mut ops = create_ops(&api);
    ops.extend(deploy_ops());
    ops.push(Op::UpdateStage {
        name: "prod".into(),
        patches: vec![
            Patch::replace("/~1todos/GET/throttling/rateLimit", "20"),
            Patch::replace("/~1todos/GET/throttling/burstLimit", "50"),
        ],
    });
    let mut ex = Executor::new(&c);
    let report = ex.run(&ops, &mut no_events).await.unwrap();
    let observed = read_rest_api(&c, report.api_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(observed.config, api);
    let settings = &observed.stages["prod"].settings.method_settings;
    assert_eq!(
        settings.keys().collect::<Vec<_>>(),
        vec!["*/*", "/todos/GET"]
    );
    assert_eq!(settings["/todos/GET"].throttle_rate, Some(20.0));
    assert_eq!(settings["/todos/GET"].throttle_burst, Some(50));
}

#[tokio::test]
async fn emulator_find_rest_apis_returns_every_api_of_that_name() {
    let em = support::emulator().await;
    let c = em.clients().await;
    let create = |name: &str| Op::CreateRestApi {
        name: name.into(),
        description: None,
        endpoint_type: "REGIONAL".into(),
        binary_media_types: vec![],
        api_key_source: None,
        policy: None,
        vpc_endpoint_ids: vec![],
        tags: strings(&[(OWNER_TAG_KEY, OWNER_TAG_VALUE)]),
    };
    let mut ids = Vec::new();
    for name in ["twins", "twins", "twins-not"] {
        let mut ex = Executor::new(&c);
        let report = ex.run(&[create(name)], &mut no_events).await.unwrap();
        ids.push(report.api_id.unwrap());
    }
    let found = find_rest_apis(&c, "twins").await.unwrap();
    let mut found_ids: Vec<String> = found.iter().map(|a| a.id.clone()).collect();
    found_ids.sort();
    let mut expected = vec![ids[0].clone(), ids[1].clone()];
    expected.sort();
    assert_eq!(found_ids, expected);
    for a in &found {
        assert_eq!(a.name, "twins");
        assert_eq!(a.tags, strings(&[(OWNER_TAG_KEY, OWNER_TAG_VALUE)]));
        assert!(a.created_epoch.is_some());
    }
    assert!(find_rest_apis(&c, "nothing-by-this-name")
        .await
        .unwrap()
        .is_empty());
}

/// A template written as "" (the console does this) comes back as `null`; the reader must
/// still read the API, and see no template.
#[tokio::test]
async fn emulator_empty_template_written_raw_reads_back_as_no_template() {
    let em = support::emulator().await;
    let c = em.clients().await;
    let mut api = RestApi {
        name: "null-template".into(),
        endpoint_type: "REGIONAL".into(),
        resources: BTreeMap::from([(
            "/".to_string(),
            Resource {
                methods: BTreeMap::from([(
                    "OPTIONS".to_string(),
                    Method {
                        authorization_type: "NONE".into(),
                        method_responses: BTreeMap::from([(
                            "200".to_string(),
                            MethodResponse::default(),
                        )]),
                        integration: Some(Integration {
                            kind: "MOCK".into(),
                            request_templates: strings(&[(
                                "application/json",
                                "{\"statusCode\": 200}",
                            )]),
                            responses: BTreeMap::from([(
                                "200".to_string(),
                                IntegrationResponse::default(),
                            )]),
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                )]),
            },
        )]),
        ..Default::default()
    };
    api.normalize();
    let mut ex = Executor::new(&c);
    let report = ex.run(&create_ops(&api), &mut no_events).await.unwrap();
    let api_id = report.api_id.unwrap();
    let root = &ex.resource_ids["/"];
    let (status, body) = em.raw(
        "PUT",
        &format!("/restapis/{api_id}/resources/{root}/methods/OPTIONS/integration/responses/200"),
        Some(r#"{"responseTemplates":{"application/json":""}}"#),
    );
    assert!(status < 300, "{status} {body}");
    assert!(
        body.contains("null"),
        "the emulator stores \"\" as null: {body}"
    );

    let observed = read_rest_api(&c, &api_id)
        .await
        .expect("readable despite null");
    assert_eq!(observed.config, api);
}

/// `run_with` starts independent ops without waiting for earlier ones, holds dependent ones
/// back until what they need has finished, and after a failure reports exactly the set of
/// ops that completed (which can include ops after the failed one that were in flight).
#[tokio::test]
async fn run_with_overlaps_independent_ops_and_reports_the_exact_completed_set() {
    let put_a = mock!(ApigwClient::put_method)
        .match_requests(|r| r.resource_id() == Some("ra"))
        .then_http_response(|| error(400, "BadRequestException"));
    let put_b = mock!(ApigwClient::put_method)
        .match_requests(|r| r.resource_id() == Some("rb"))
        .then_http_response(|| json(201, "{}"));
    let gateway = mock!(ApigwClient::put_gateway_response).then_http_response(|| json(201, "{}"));
    let integ_a = mock!(ApigwClient::put_integration).then_http_response(|| json(201, "{}"));
    let c = clients(
        RuleMode::MatchAny,
        &[&put_a, &put_b, &gateway, &integ_a],
        &[],
    );
    let mut ex = Executor::for_api(
        &c,
        &observed(&[("/", "root"), ("/a", "ra"), ("/b", "rb")], &[]),
    );
    let ops = vec![
        Op::PutMethod {
            path: "/a".into(),
            method: "GET".into(),
            def: Method::default(),
        },
        Op::PutIntegration {
            path: "/a".into(),
            method: "GET".into(),
            def: Integration {
                kind: "MOCK".into(),
                ..Default::default()
            },
        },
        Op::PutMethod {
            path: "/b".into(),
            method: "GET".into(),
            def: Method::default(),
        },
        Op::PutGatewayResponse {
            response_type: "DEFAULT_4XX".into(),
            def: GatewayResponse::default(),
        },
    ];
    let mut events = Vec::new();
    let failure = ex
        .run_with(
            &ops,
            &mut |e| {
                events.push(match e {
                    ExecEvent::Started { index, .. } => format!("start {index}"),
                    ExecEvent::Finished { index, .. } => format!("done {index}"),
                    ExecEvent::Failed { index, .. } => format!("failed {index}"),
                })
            },
            8,
        )
        .await
        .unwrap_err();
    let at = |e: &str| events.iter().position(|x| x == e).unwrap_or(usize::MAX);
    // Ops 0, 2 and 3 are independent: all started before the first one ended.
    assert!(
        at("start 2") < at("failed 0") && at("start 3") < at("failed 0"),
        "{events:?}"
    );
    // Op 1 needs op 0, which failed: never started.
    assert_eq!(at("start 1"), usize::MAX, "{events:?}");
    assert_eq!(integ_a.num_calls(), 0);
    assert_eq!(failure.failed, 0);
    assert_eq!(failure.completed, vec![2, 3]);
    assert_eq!(
        failure.outcomes,
        vec![OpOutcome::Applied, OpOutcome::Applied]
    );
    assert_eq!(failure.error.kind, ErrorKind::BadRequest);
}

/// A patch operation as sent: op, path, value.
type PatchSent = (String, String, Option<String>);

/// create-deployment with a stage moves that existing stage in the same call (`stageName`),
/// then reads it back: on AWS the stage kept its settings and nothing more is sent; a stage
/// that came back without them (moto replaces the stage) gets exactly the missing settings.
#[tokio::test]
async fn a_deployment_that_moves_a_stage_checks_it_and_restores_lost_settings() {
    use gwctl::plan::rest::ops::MovedStage;
    use gwctl::state::rest::{MethodSetting, Stage};
    let settings = Stage {
        description: Some("production".into()),
        method_settings: BTreeMap::from([(
            "*/*".to_string(),
            MethodSetting {
                logging_level: Some("INFO".into()),
                metrics: Some(true),
                ..Default::default()
            },
        )]),
        ..Default::default()
    };
    let op = Op::CreateDeployment {
        description: "gwctl:config=abc".into(),
        stage: Some(MovedStage {
            name: "prod".into(),
            settings,
        }),
    };
    let kept = r#"{"item":[{"stageName":"prod","deploymentId":"dep2","description":"production",
        "methodSettings":{"*/*":{"loggingLevel":"INFO","metricsEnabled":true}}}]}"#;
    let replaced = r#"{"item":[{"stageName":"prod","deploymentId":"dep2"}]}"#;
    for (stages, expect_patch) in [(kept, false), (replaced, true)] {
        let deploy = mock!(ApigwClient::create_deployment)
            .match_requests(|r| {
                r.stage_name() == Some("prod")
                    && r.description() == Some("gwctl:config=abc")
                    && r.rest_api_id() == Some("a1")
            })
            .then_http_response(|| json(201, r#"{"id":"dep2"}"#));
        let read = mock!(ApigwClient::get_stages)
            .match_requests(|r| r.rest_api_id() == Some("a1"))
            .then_http_response(move || json(200, stages));
        let sent: Arc<Mutex<Vec<PatchSent>>> = Arc::default();
        let seen = sent.clone();
        let update = mock!(ApigwClient::update_stage)
            .match_requests(move |r| {
                let mut ops: Vec<PatchSent> = r
                    .patch_operations()
                    .iter()
                    .map(|p| {
                        (
                            p.op().map(|o| o.as_str().to_string()).unwrap_or_default(),
                            p.path().unwrap_or_default().to_string(),
                            p.value().map(str::to_string),
                        )
                    })
                    .collect();
                seen.lock().unwrap().append(&mut ops);
                r.stage_name() == Some("prod")
            })
            .then_http_response(|| json(200, r#"{"stageName":"prod"}"#));
        let c = clients(RuleMode::Sequential, &[&deploy, &read, &update], &[]);
        let mut ex = Executor::for_api(&c, &observed(&[("/", "root")], &[]));
        let outcome = ex.apply_one(&op).await.unwrap();
        assert_eq!(outcome, OpOutcome::Created { id: "dep2".into() });
        let ops = (deploy.num_calls(), read.num_calls(), update.num_calls());
        if expect_patch {
            assert_eq!(
                ops,
                (1, 1, 1),
                "create-deployment, get-stages, update-stage"
            );
            let mut got = sent.lock().unwrap().clone();
            got.sort();
            let want = |path: &str, v: &str| {
                ("replace".to_string(), path.to_string(), Some(v.to_string()))
            };
            assert_eq!(
                got,
                vec![
                    want("/*/*/logging/loglevel", "INFO"),
                    want("/*/*/metrics/enabled", "true"),
                    want("/description", "production"),
                ]
            );
        } else {
            assert_eq!(ops, (1, 1, 0), "create-deployment, get-stages");
            assert!(sent.lock().unwrap().is_empty());
        }
    }
}
