//! HTTP APIs offline (aws-smithy-mocks): what the emulator cannot show. The exact requests of
//! create-deployment, create-stage on that deployment and update-stage; the reader's paging,
//! keying and its fallbacks when the authorizer or deployment list is missing; and a whole
//! `apply` of a spec whose named stage has auto-deploy off.

use std::sync::{Arc, Mutex};

use aws_sdk_apigatewayv2::operation::create_deployment::{
    CreateDeploymentInput, CreateDeploymentOutput,
};
use aws_sdk_apigatewayv2::operation::create_stage::{CreateStageInput, CreateStageOutput};
use aws_sdk_apigatewayv2::operation::update_stage::{UpdateStageInput, UpdateStageOutput};
use aws_sdk_apigatewayv2::types as v2;
use aws_sdk_apigatewayv2::Client as V2;
use aws_sdk_lambda::Client as LambdaClient;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use gwctl::aws::exec::http::HttpExecutor;
use gwctl::aws::exec::{ExecEvent, OpOutcome};
use gwctl::aws::read::http::read_http_api;
use gwctl::aws::{CallLog, Clients};
use gwctl::plan::http::ops::{HttpOp, StageUpdate};
use gwctl::state::http::{Authorizer, Integration, ObservedHttpApi, Route, RouteSetting, Stage};
use gwctl::state::rest::AccessLog;

const MARK: &str = "gwctl:config=0123456789abcdef0123456789abcdef";
const FN_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:items-handler";

fn http(status: u16, body: &str) -> HttpResponse {
    HttpResponse::new(
        StatusCode::try_from(status).unwrap(),
        SdkBody::from(body.to_string()),
    )
}

/// What moto answers for an operation it does not implement: an HTML page.
fn html(status: u16) -> HttpResponse {
    let mut r = http(status, "<!doctype html><title>not implemented</title>");
    r.headers_mut()
        .insert("content-type", "text/html; charset=utf-8");
    r
}

fn clients(apigw2: &[&Rule], lambda: &[&Rule]) -> Clients {
    Clients {
        apigw: mock_client!(aws_sdk_apigateway, RuleMode::MatchAny, &[]),
        apigw2: mock_client!(aws_sdk_apigatewayv2, RuleMode::MatchAny, apigw2),
        lambda: mock_client!(aws_sdk_lambda, RuleMode::MatchAny, lambda),
        route53: gwctl::aws::idle_route53(),
        region: "us-east-1".into(),
        calls: CallLog::default(),
    }
}

fn observed(id: &str) -> ObservedHttpApi {
    ObservedHttpApi {
        id: id.into(),
        integration_ids: [("lambda:items".to_string(), "int1".to_string())].into(),
        route_ids: [("GET /items".to_string(), "r1".to_string())].into(),
        authorizer_ids: [("jwt".to_string(), "au1".to_string())].into(),
        ..Default::default()
    }
}

fn no_events(_: ExecEvent<HttpOp>) {}

/// A deployment, a new stage on it (auto-deploy off) and an existing stage moved to it:
/// exactly these requests, with the ids learned on the way.
#[tokio::test]
async fn deployment_then_stages_on_it_send_exactly_these_requests() {
    let deployments: Arc<Mutex<Vec<CreateDeploymentInput>>> = Arc::default();
    let created: Arc<Mutex<Vec<CreateStageInput>>> = Arc::default();
    let updated: Arc<Mutex<Vec<UpdateStageInput>>> = Arc::default();
    let (d, c, u) = (deployments.clone(), created.clone(), updated.clone());
    let rules = [
        mock!(V2::create_deployment).then_compute_output(move |i| {
            d.lock().unwrap().push(i.clone());
            CreateDeploymentOutput::builder()
                .deployment_id("dep1")
                .build()
        }),
        mock!(V2::create_stage).then_compute_output(move |i| {
            c.lock().unwrap().push(i.clone());
            CreateStageOutput::builder().build()
        }),
        mock!(V2::update_stage).then_compute_output(move |i| {
            u.lock().unwrap().push(i.clone());
            UpdateStageOutput::builder().build()
        }),
    ];
    let cl = clients(&rules.iter().collect::<Vec<_>>(), &[]);
    let mut ex = HttpExecutor::for_api(&cl, &observed("h1"));
    let throttle = RouteSetting {
        metrics: None,
        throttle_rate: Some(100.0),
        throttle_burst: Some(50),
    };
    let ops = vec![
        HttpOp::CreateDeployment {
            description: MARK.into(),
        },
        HttpOp::CreateStage {
            name: "canary".into(),
            def: Stage {
                auto_deploy: Some(false),
                variables: [("version".to_string(), "v2".to_string())].into(),
                route_settings: [("POST /items".to_string(), throttle)].into(),
                ..Default::default()
            },
            deploy: true,
        },
        HttpOp::UpdateStage {
            name: "prod".into(),
            update: StageUpdate {
                deploy: true,
                variables: [("old".to_string(), String::new())].into(),
                default_route_settings: Some(RouteSetting {
                    metrics: Some(true),
                    throttle_rate: Some(50.0),
                    throttle_burst: Some(100),
                }),
                route_settings: Some([("POST /items".to_string(), throttle)].into()),
                access_log: Some(AccessLog {
                    destination_arn: "arn:aws:logs:us-east-1:123456789012:log-group:x".into(),
                    format: "$context.requestId".into(),
                }),
                ..Default::default()
            },
        },
    ];
    let rep = ex.run(&ops, &mut no_events).await.unwrap();
    assert_eq!(rep.deployment_id.as_deref(), Some("dep1"));
    assert_eq!(
        rep.outcomes,
        vec![
            OpOutcome::Created { id: "dep1".into() },
            OpOutcome::Applied,
            OpOutcome::Applied
        ]
    );

    let route_settings = |s: RouteSetting| {
        v2::RouteSettings::builder()
            .set_detailed_metrics_enabled(s.metrics)
            .set_throttling_rate_limit(s.throttle_rate)
            .set_throttling_burst_limit(s.throttle_burst)
            .build()
    };
    assert_eq!(
        *deployments.lock().unwrap(),
        vec![CreateDeploymentInput::builder()
            .api_id("h1")
            .description(MARK)
            .build()
            .unwrap()]
    );
    assert_eq!(
        *created.lock().unwrap(),
        vec![CreateStageInput::builder()
            .api_id("h1")
            .stage_name("canary")
            .deployment_id("dep1")
            .auto_deploy(false)
            .stage_variables("version", "v2")
            .route_settings("POST /items", route_settings(throttle))
            .build()
            .unwrap()]
    );
    assert_eq!(
        *updated.lock().unwrap(),
        vec![UpdateStageInput::builder()
            .api_id("h1")
            .stage_name("prod")
            .deployment_id("dep1")
            .stage_variables("old", "")
            .default_route_settings(route_settings(RouteSetting {
                metrics: Some(true),
                throttle_rate: Some(50.0),
                throttle_burst: Some(100),
            }))
            .route_settings("POST /items", route_settings(throttle))
            .access_log_settings(
                v2::AccessLogSettings::builder()
                    .destination_arn("arn:aws:logs:us-east-1:123456789012:log-group:x")
                    .format("$context.requestId")
                    .build()
            )
            .build()
            .unwrap()]
    );
}

/// A stage can only be pointed at a deployment created in this run: nothing is sent
/// otherwise.
#[tokio::test]
async fn a_stage_update_without_a_deployment_fails_before_any_call() {
    let rule = mock!(V2::update_stage).then_output(|| UpdateStageOutput::builder().build());
    let cl = clients(&[&rule], &[]);
    let mut ex = HttpExecutor::for_api(&cl, &observed("h1"));
    let op = HttpOp::UpdateStage {
        name: "prod".into(),
        update: StageUpdate {
            deploy: true,
            ..Default::default()
        },
    };
    let err = ex.apply_one(&op).await.unwrap_err();
    assert!(err.message.contains("no deployment was created"), "{err}");
    assert_eq!(rule.num_calls(), 0);
}

/// A route that loses its authorizer is sent an empty authorizer id and no scopes (the
/// service would otherwise keep both); its target is the integration's id.
#[tokio::test]
async fn update_route_detaches_the_authorizer_and_sends_ids() {
    let rule = mock!(V2::update_route)
        .match_requests(|r| {
            r.api_id() == Some("h1")
                && r.route_id() == Some("r1")
                && r.target() == Some("integrations/int1")
                && r.authorization_type() == Some(&v2::AuthorizationType::None)
                && r.authorizer_id() == Some("")
                && r.authorization_scopes().is_empty()
        })
        .then_output(|| {
            aws_sdk_apigatewayv2::operation::update_route::UpdateRouteOutput::builder().build()
        });
    let jwt_rule = mock!(V2::update_route)
        .match_requests(|r| {
            r.authorization_type() == Some(&v2::AuthorizationType::Jwt)
                && r.authorizer_id() == Some("au1")
                && r.authorization_scopes() == ["items/read"]
        })
        .then_output(|| {
            aws_sdk_apigatewayv2::operation::update_route::UpdateRouteOutput::builder().build()
        });
    let cl = clients(&[&rule, &jwt_rule], &[]);
    let mut ex = HttpExecutor::for_api(&cl, &observed("h1"));
    let mut def = Route {
        target: Some("lambda:items".into()),
        authorization_type: "NONE".into(),
        authorizer: None,
        authorization_scopes: vec![],
    };
    let op = |def: &Route| HttpOp::UpdateRoute {
        route_key: "GET /items".into(),
        def: def.clone(),
    };
    assert_eq!(ex.apply_one(&op(&def)).await.unwrap(), OpOutcome::Applied);
    def.authorization_type = "JWT".into();
    def.authorizer = Some("jwt".into());
    def.authorization_scopes = vec!["items/read".into()];
    assert_eq!(ex.apply_one(&op(&def)).await.unwrap(), OpOutcome::Applied);
    assert_eq!((rule.num_calls(), jwt_rule.num_calls()), (1, 1));
}

/// A JWT authorizer changes in place: update-authorizer on the same id with the new issuer
/// and audience.
#[tokio::test]
async fn jwt_authorizer_changes_are_sent_in_place() {
    let rule = mock!(V2::update_authorizer)
        .match_requests(|r| {
            let jwt = r.jwt_configuration();
            r.api_id() == Some("h1")
                && r.authorizer_id() == Some("au1")
                && r.authorizer_type() == Some(&v2::AuthorizerType::Jwt)
                && r.identity_source() == ["$request.header.Authorization"]
                && jwt.and_then(|j| j.issuer()) == Some("https://issuer.example.com/b")
                && jwt.map(|j| j.audience()) == Some(&["a".to_string(), "b".to_string()][..])
                && r.authorizer_uri().is_none()
                && r.authorizer_result_ttl_in_seconds().is_none()
        })
        .then_output(|| {
            aws_sdk_apigatewayv2::operation::update_authorizer::UpdateAuthorizerOutput::builder()
                .build()
        });
    let cl = clients(&[&rule], &[]);
    let mut ex = HttpExecutor::for_api(&cl, &observed("h1"));
    let op = HttpOp::UpdateAuthorizer {
        name: "jwt".into(),
        def: Authorizer {
            kind: "JWT".into(),
            identity_source: vec!["$request.header.Authorization".into()],
            issuer: Some("https://issuer.example.com/b".into()),
            audience: vec!["a".into(), "b".into()],
            ..Default::default()
        },
    };
    assert_eq!(ex.apply_one(&op).await.unwrap(), OpOutcome::Applied);
    assert_eq!(rule.num_calls(), 1);
}

/// A parameter mapping the integration no longer has is sent with an empty value.
#[tokio::test]
async fn update_integration_removes_parameters_with_empty_values() {
    let rule = mock!(V2::update_integration)
        .match_requests(|r| {
            let p = r.request_parameters().cloned().unwrap_or_default();
            r.integration_id() == Some("int1")
                && r.integration_type() == Some(&v2::IntegrationType::AwsProxy)
                && r.integration_uri() == Some(FN_ARN)
                && r.payload_format_version() == Some("2.0")
                && r.timeout_in_millis() == Some(30_000)
                && p.len() == 2
                && p.get("overwrite:header.x-old").map(String::as_str) == Some("")
                && p.get("append:header.x-new").map(String::as_str) == Some("1")
        })
        .then_output(|| {
            aws_sdk_apigatewayv2::operation::update_integration::UpdateIntegrationOutput::builder()
                .build()
        });
    let cl = clients(&[&rule], &[]);
    let mut ex = HttpExecutor::for_api(&cl, &observed("h1"));
    let op = HttpOp::UpdateIntegration {
        key: "lambda:items".into(),
        def: Integration {
            kind: "AWS_PROXY".into(),
            uri: FN_ARN.into(),
            payload_format_version: Some("2.0".into()),
            request_parameters: [("append:header.x-new".to_string(), "1".to_string())].into(),
            ..Default::default()
        },
        removed_parameters: vec!["overwrite:header.x-old".into()],
    };
    assert_eq!(ex.apply_one(&op).await.unwrap(), OpOutcome::Applied);
    assert_eq!(rule.num_calls(), 1);
}

/// Deletes answered NotFound are done (a route setting the emulator cannot delete reads as
/// NotFound too, which is why removing a throttled route is not an emulator test).
#[tokio::test]
async fn deletes_answered_not_found_count_as_done() {
    let rule = mock!(V2::delete_route_settings).then_http_response(|| {
        let mut r = http(404, r#"{"message":"Invalid route key"}"#);
        r.headers_mut()
            .insert("x-amzn-errortype", "NotFoundException");
        r
    });
    let cl = clients(&[&rule], &[]);
    let mut ex = HttpExecutor::for_api(&cl, &observed("h1"));
    let op = HttpOp::DeleteRouteSettings {
        stage: "prod".into(),
        route_key: "POST /items".into(),
    };
    assert_eq!(ex.apply_one(&op).await.unwrap(), OpOutcome::AlreadyGone);
}

fn api_rule() -> Rule {
    mock!(V2::get_api).then_output(|| {
        aws_sdk_apigatewayv2::operation::get_api::GetApiOutput::builder()
            .api_id("h1")
            .name("items-api")
            .protocol_type(v2::ProtocolType::Http)
            .tags("gwctl:managed-by", "gwctl")
            .cors_configuration(
                v2::Cors::builder()
                    .allow_origins("https://app.example.com")
                    .allow_headers("content-type")
                    .build(),
            )
            .build()
    })
}

fn route(id: &str, key: &str, authorizer: Option<&str>) -> v2::Route {
    v2::Route::builder()
        .route_id(id)
        .route_key(key)
        .target("integrations/int1")
        .authorization_type(if authorizer.is_some() {
            v2::AuthorizationType::Jwt
        } else {
            v2::AuthorizationType::None
        })
        .set_authorizer_id(authorizer.map(str::to_string))
        .build()
}

fn routes_rules() -> [Rule; 2] {
    [
        mock!(V2::get_routes)
            .match_requests(|r| r.next_token().is_none())
            .then_output(|| {
                aws_sdk_apigatewayv2::operation::get_routes::GetRoutesOutput::builder()
                    .items(route("r1", "GET /items", Some("au1")))
                    .items(route("r2", "POST /items", Some("au1")))
                    .next_token("page2")
                    .build()
            }),
        mock!(V2::get_routes)
            .match_requests(|r| r.next_token() == Some("page2"))
            .then_output(|| {
                aws_sdk_apigatewayv2::operation::get_routes::GetRoutesOutput::builder()
                    .items(route("r3", "$default", None))
                    .build()
            }),
    ]
}

fn integrations_rule() -> Rule {
    mock!(V2::get_integrations).then_output(|| {
        aws_sdk_apigatewayv2::operation::get_integrations::GetIntegrationsOutput::builder()
            .items(
                v2::Integration::builder()
                    .integration_id("int1")
                    .integration_type(v2::IntegrationType::AwsProxy)
                    .integration_uri(FN_ARN)
                    .integration_method("POST")
                    .payload_format_version("2.0")
                    .timeout_in_millis(30_000)
                    .build(),
            )
            .build()
    })
}

fn stages_rule() -> Rule {
    mock!(V2::get_stages).then_output(|| {
        aws_sdk_apigatewayv2::operation::get_stages::GetStagesOutput::builder()
            .items(
                v2::Stage::builder()
                    .stage_name("prod")
                    .deployment_id("dep1")
                    .auto_deploy(false)
                    .default_route_settings(
                        v2::RouteSettings::builder()
                            .detailed_metrics_enabled(true)
                            .build(),
                    )
                    .route_settings(
                        "POST /items",
                        v2::RouteSettings::builder()
                            .throttling_rate_limit(100.0)
                            .throttling_burst_limit(50)
                            .build(),
                    )
                    .build(),
            )
            .build()
    })
}

fn jwt_authorizer() -> v2::Authorizer {
    v2::Authorizer::builder()
        .authorizer_id("au1")
        .name("cognito-jwt")
        .authorizer_type(v2::AuthorizerType::Jwt)
        .identity_source("$request.header.Authorization")
        .jwt_configuration(
            v2::JwtConfiguration::builder()
                .issuer("https://issuer.example.com")
                .audience("client")
                .build(),
        )
        .build()
}

/// The answers every reader test shares: the API, two pages of routes, integrations, stages.
struct Common {
    api: Rule,
    routes: [Rule; 2],
    integrations: Rule,
    stages: Rule,
}

impl Common {
    fn new() -> Common {
        Common {
            api: api_rule(),
            routes: routes_rules(),
            integrations: integrations_rule(),
            stages: stages_rule(),
        }
    }

    /// Clients answering with these rules plus `more` (authorizers, deployments).
    fn clients(&self, more: &[&Rule]) -> Clients {
        let mut rules = vec![
            &self.api,
            &self.routes[0],
            &self.routes[1],
            &self.integrations,
            &self.stages,
        ];
        rules.extend_from_slice(more);
        clients(&rules, &[])
    }
}

/// Six list/get calls (plus one per further page), ids mapped to keys and names.
#[tokio::test]
async fn reader_follows_pages_and_keys_what_it_reads() {
    let common = Common::new();
    let authorizers = mock!(V2::get_authorizers).then_output(|| {
        aws_sdk_apigatewayv2::operation::get_authorizers::GetAuthorizersOutput::builder()
            .items(jwt_authorizer())
            .items(
                v2::Authorizer::builder()
                    .authorizer_id("au2")
                    .name("unused")
                    .authorizer_type(v2::AuthorizerType::Jwt)
                    .identity_source("$request.header.Authorization")
                    .jwt_configuration(
                        v2::JwtConfiguration::builder()
                            .issuer("https://other.example.com")
                            .audience("x")
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let deployments = mock!(V2::get_deployments).then_output(|| {
        aws_sdk_apigatewayv2::operation::get_deployments::GetDeploymentsOutput::builder()
            .items(
                v2::Deployment::builder()
                    .deployment_id("dep1")
                    .description(MARK)
                    .build(),
            )
            .build()
    });
    let cl = common.clients(&[&authorizers, &deployments]);
    let o = read_http_api(&cl, "h1").await.unwrap();
    for (rule, calls) in [
        (&common.api, 1),
        (&common.routes[0], 1),
        (&common.routes[1], 1),
        (&common.integrations, 1),
        (&authorizers, 1),
        (&common.stages, 1),
        (&deployments, 1),
    ] {
        assert_eq!(rule.num_calls(), calls);
    }
    let key = format!("lambda:{FN_ARN}");
    assert_eq!(
        o.integration_ids,
        [(key.clone(), "int1".to_string())].into()
    );
    let routes: Vec<&String> = o.config.routes.keys().collect();
    assert_eq!(routes, vec!["$default", "GET /items", "POST /items"]);
    let get = &o.config.routes["GET /items"];
    assert_eq!(get.target.as_deref(), Some(key.as_str()));
    assert_eq!(get.authorizer.as_deref(), Some("cognito-jwt"));
    assert_eq!(
        o.config.authorizers.len(),
        2,
        "an unused authorizer is seen too"
    );
    assert!(o.authorizers_complete && o.deployments_complete);
    assert!(o.notes.is_empty());
    // defaults folded: POST method and 30 s timeout of a Lambda proxy read as "not set"
    let i = &o.config.integrations[&key];
    assert_eq!((i.method.as_deref(), i.timeout_ms), (None, None));
    let prod = &o.stages["prod"];
    assert_eq!(prod.deployment_id.as_deref(), Some("dep1"));
    assert_eq!(o.deployments["dep1"].description.as_deref(), Some(MARK));
    assert_eq!(
        prod.settings.route_settings["POST /items"].throttle_rate,
        Some(100.0)
    );
    assert_eq!(
        o.config.cors.as_ref().unwrap().allow_headers,
        vec!["content-type"]
    );
}

/// moto answers get-authorizers with an HTML 500 and get-deployments with an HTML 404. The
/// reader then reads the authorizers routes refer to one by one and says so.
#[tokio::test]
async fn reader_falls_back_by_error_kind_and_says_so() {
    let common = Common::new();
    let list = mock!(V2::get_authorizers).then_http_response(|| html(500));
    let one = mock!(V2::get_authorizer)
        .match_requests(|r| r.api_id() == Some("h1") && r.authorizer_id() == Some("au1"))
        .then_output(|| {
            let a = jwt_authorizer();
            aws_sdk_apigatewayv2::operation::get_authorizer::GetAuthorizerOutput::builder()
                .authorizer_id("au1")
                .name("cognito-jwt")
                .authorizer_type(v2::AuthorizerType::Jwt)
                .identity_source("$request.header.Authorization")
                .set_jwt_configuration(a.jwt_configuration().cloned())
                .build()
        });
    let deployments = mock!(V2::get_deployments).then_http_response(|| html(404));
    let cl = common.clients(&[&list, &one, &deployments]);
    let o = read_http_api(&cl, "h1").await.unwrap();
    assert!(list.num_calls() >= 1);
    assert_eq!(one.num_calls(), 1, "au1 once, though two routes use it");
    assert!(!o.authorizers_complete);
    assert!(!o.deployments_complete);
    assert_eq!(o.config.authorizers.len(), 1);
    let a = &o.config.authorizers["cognito-jwt"];
    assert_eq!(a.issuer.as_deref(), Some("https://issuer.example.com"));
    assert_eq!(o.notes.len(), 1, "{:?}", o.notes);
    assert!(o.notes[0].contains("authorizer list could not be read"));
    assert!(o.deployments.is_empty());
}

/// Any other failure of the authorizer list is an error, not a fallback.
#[tokio::test]
async fn reader_does_not_fall_back_on_access_denied() {
    let common = Common::new();
    let list = mock!(V2::get_authorizers).then_http_response(|| {
        let mut r = http(403, r#"{"message":"denied"}"#);
        r.headers_mut()
            .insert("x-amzn-errortype", "AccessDeniedException");
        r
    });
    let one = mock!(V2::get_authorizer).then_output(|| {
        aws_sdk_apigatewayv2::operation::get_authorizer::GetAuthorizerOutput::builder().build()
    });
    let deployments = mock!(V2::get_deployments).then_output(|| {
        aws_sdk_apigatewayv2::operation::get_deployments::GetDeploymentsOutput::builder().build()
    });
    let cl = common.clients(&[&list, &one, &deployments]);
    let err = read_http_api(&cl, "h1").await.unwrap_err();
    assert_eq!(err.kind, gwctl::aws::error::ErrorKind::AccessDenied);
    assert_eq!(one.num_calls(), 0);
}

/// A whole `apply` on an empty account of a spec whose named stage has auto-deploy off:
/// one deployment, and the stage created on it.
#[tokio::test]
async fn apply_with_a_named_stage_without_auto_deploy_deploys_once() {
    let spec_text = r#"api: {name: staged, kind: http}
functions:
  items: items-handler
default_auth: none
routes:
  - {path: /items, method: GET, function: items}
stages:
  prod: {auto_deploy: false, variables: {v: "1"}}
"#;
    let loaded = gwctl::spec::load_str(std::path::Path::new("staged.yaml"), spec_text);
    let spec = loaded.spec.expect("valid spec");

    let get_function = mock!(LambdaClient::get_function)
        .match_requests(|r| r.function_name() == Some("items-handler"))
        .then_output(|| {
            aws_sdk_lambda::operation::get_function::GetFunctionOutput::builder()
                .configuration(
                    aws_sdk_lambda::types::FunctionConfiguration::builder()
                        .function_arn(FN_ARN)
                        .build(),
                )
                .build()
        });
    let get_policy = mock!(LambdaClient::get_policy).then_http_response(|| {
        let mut r = http(404, r#"{"Message":"no policy"}"#);
        r.headers_mut()
            .insert("x-amzn-errortype", "ResourceNotFoundException");
        r
    });
    let add_permission = mock!(LambdaClient::add_permission)
        .match_requests(|r| {
            r.function_name() == Some(FN_ARN)
                && r.statement_id() == Some("gwctl-h1-items-handler")
                && r.source_arn() == Some("arn:aws:execute-api:us-east-1:123456789012:h1/*")
        })
        .then_output(|| {
            aws_sdk_lambda::operation::add_permission::AddPermissionOutput::builder().build()
        });
    let get_apis = mock!(V2::get_apis).then_output(|| {
        aws_sdk_apigatewayv2::operation::get_apis::GetApisOutput::builder().build()
    });
    let create_api = mock!(V2::create_api)
        .match_requests(|r| {
            r.name() == Some("staged")
                && r.protocol_type() == Some(&v2::ProtocolType::Http)
                && r.tags()
                    .and_then(|t| t.get("gwctl:managed-by"))
                    .map(String::as_str)
                    == Some("gwctl")
                && r.cors_configuration().is_none()
        })
        .then_output(|| {
            aws_sdk_apigatewayv2::operation::create_api::CreateApiOutput::builder()
                .api_id("h1")
                .build()
        });
    let create_integration = mock!(V2::create_integration)
        .match_requests(|r| {
            r.integration_uri() == Some(FN_ARN)
                && r.integration_type() == Some(&v2::IntegrationType::AwsProxy)
                && r.payload_format_version() == Some("2.0")
                && r.timeout_in_millis().is_none()
        })
        .then_output(|| {
            aws_sdk_apigatewayv2::operation::create_integration::CreateIntegrationOutput::builder()
                .integration_id("int1")
                .build()
        });
    let create_route = mock!(V2::create_route)
        .match_requests(|r| {
            r.route_key() == Some("GET /items")
                && r.target() == Some("integrations/int1")
                && r.authorization_type() == Some(&v2::AuthorizationType::None)
                && r.authorizer_id().is_none()
        })
        .then_output(|| {
            aws_sdk_apigatewayv2::operation::create_route::CreateRouteOutput::builder()
                .route_id("r1")
                .build()
        });
    let create_deployment = mock!(V2::create_deployment)
        .match_requests(|r| {
            r.api_id() == Some("h1")
                && r.stage_name().is_none()
                && r.description()
                    .is_some_and(|d| d.starts_with("gwctl:config="))
        })
        .then_output(|| {
            CreateDeploymentOutput::builder()
                .deployment_id("dep1")
                .build()
        });
    let create_stage = mock!(V2::create_stage)
        .match_requests(|r| {
            r.stage_name() == Some("prod")
                && r.deployment_id() == Some("dep1")
                && r.auto_deploy() == Some(false)
                && r.stage_variables()
                    .and_then(|v| v.get("v"))
                    .map(String::as_str)
                    == Some("1")
        })
        .then_output(|| CreateStageOutput::builder().build());
    let v2_rules = [
        &get_apis,
        &create_api,
        &create_integration,
        &create_route,
        &create_deployment,
        &create_stage,
    ];
    let cl = clients(&v2_rules, &[&get_function, &get_policy, &add_permission]);
    let args = gwctl::cli::ApplyArgs {
        spec: "staged.yaml".into(),
        more: vec![],
        yes: true,
        require_approval: false,
        api_id: None,
        prune: false,
        force: false,
        show_secrets: false,
        definition: false,
    };
    let printer = gwctl::output::Printer {
        format: gwctl::cli::OutputFormat::Json,
        quiet: true,
        verbose: false,
        color: false,
        stderr_tty: false,
        data_color: false,
    };
    let code = gwctl::cli::apply::apply_with::<gwctl::engine::Http>(&cl, &args, &printer, spec)
        .await
        .unwrap_or_else(|f| panic!("{:?}", f.message));
    assert_eq!(code, 0);
    for (rule, n) in [
        (&get_function, 1),
        // finding the API, then the twin check after creating it
        (&get_apis, 2),
        (&create_api, 1),
        (&create_integration, 1),
        (&create_route, 1),
        (&add_permission, 1),
        (&create_deployment, 1),
        (&create_stage, 1),
    ] {
        assert_eq!(rule.num_calls(), n);
    }
}

/// An API that already matches its spec, with a named stage (auto-deploy off) serving a
/// deployment of exactly this configuration: the plan is empty, `apply` makes no write (no
/// write call has a rule here, so one would fail), and the stage reports `/{stage}`.
#[tokio::test]
async fn a_converged_api_with_a_manual_stage_plans_nothing_and_reports_its_url() {
    let spec_text = r#"api: {name: items-api, kind: http}
functions:
  items: items-handler
default_auth: none
routes:
  - {path: /items, method: GET, function: items}
stages:
  prod: {auto_deploy: false}
"#;
    let load = || {
        gwctl::spec::load_str(std::path::Path::new("items.yaml"), spec_text)
            .spec
            .expect("valid spec")
    };
    // The mark of the spec's configuration, as a deployment gwctl made would carry it.
    let resolved = vec![gwctl::state::ResolvedFunction {
        key: "items".into(),
        function_arn: FN_ARN.into(),
        name: "items-handler".into(),
        qualifier: None,
        account: "123456789012".into(),
        region: "us-east-1".into(),
    }];
    let desired = gwctl::plan::http::desired(&load(), &resolved, "us-east-1");
    let mark = gwctl::plan::http::config_mark(&desired.config);

    let get_function = mock!(LambdaClient::get_function).then_output(|| {
        aws_sdk_lambda::operation::get_function::GetFunctionOutput::builder()
            .configuration(
                aws_sdk_lambda::types::FunctionConfiguration::builder()
                    .function_arn(FN_ARN)
                    .build(),
            )
            .build()
    });
    let get_policy = mock!(LambdaClient::get_policy).then_output(|| {
        aws_sdk_lambda::operation::get_policy::GetPolicyOutput::builder()
            .policy(format!(
                r#"{{"Statement":[{{"Sid":"gwctl-h1-items-handler","Effect":"Allow",
                "Principal":{{"Service":"apigateway.amazonaws.com"}},"Action":"lambda:InvokeFunction",
                "Resource":"{FN_ARN}","Condition":{{"ArnLike":{{"AWS:SourceArn":
                "arn:aws:execute-api:us-east-1:123456789012:h1/*"}}}}}}]}}"#
            ))
            .build()
    });
    let get_apis = mock!(V2::get_apis).then_output(|| {
        aws_sdk_apigatewayv2::operation::get_apis::GetApisOutput::builder()
            .items(
                v2::Api::builder()
                    .api_id("h1")
                    .name("items-api")
                    .protocol_type(v2::ProtocolType::Http)
                    .route_selection_expression("$request.method $request.path")
                    .tags("gwctl:managed-by", "gwctl")
                    .build(),
            )
            .build()
    });
    let get_api = mock!(V2::get_api).then_output(|| {
        aws_sdk_apigatewayv2::operation::get_api::GetApiOutput::builder()
            .api_id("h1")
            .name("items-api")
            .protocol_type(v2::ProtocolType::Http)
            .tags("gwctl:managed-by", "gwctl")
            .build()
    });
    let routes = mock!(V2::get_routes).then_output(|| {
        aws_sdk_apigatewayv2::operation::get_routes::GetRoutesOutput::builder()
            .items(route("r1", "GET /items", None))
            .build()
    });
    let integrations = integrations_rule();
    let authorizers = mock!(V2::get_authorizers).then_output(|| {
        aws_sdk_apigatewayv2::operation::get_authorizers::GetAuthorizersOutput::builder().build()
    });
    let stages = mock!(V2::get_stages).then_output(|| {
        aws_sdk_apigatewayv2::operation::get_stages::GetStagesOutput::builder()
            .items(
                v2::Stage::builder()
                    .stage_name("prod")
                    .deployment_id("dep1")
                    .auto_deploy(false)
                    .build(),
            )
            .build()
    });
    let m = mark.clone();
    let deployments = mock!(V2::get_deployments).then_output(move || {
        aws_sdk_apigatewayv2::operation::get_deployments::GetDeploymentsOutput::builder()
            .items(
                v2::Deployment::builder()
                    .deployment_id("dep1")
                    .description(m.clone())
                    .build(),
            )
            .build()
    });
    let v2_rules = [
        &get_apis,
        &get_api,
        &routes,
        &integrations,
        &authorizers,
        &stages,
        &deployments,
    ];
    let cl = clients(&v2_rules, &[&get_function, &get_policy]);
    let printer = gwctl::output::Printer {
        format: gwctl::cli::OutputFormat::Text,
        quiet: true,
        verbose: false,
        color: false,
        stderr_tty: false,
        data_color: false,
    };
    let prep = gwctl::engine::prepare::<gwctl::engine::Http>(
        &cl,
        load(),
        &gwctl::engine::Target::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(prep.plan.is_empty(), "{:#?}", prep.plan.changes);
    let docs = gwctl::engine::http::stage_reports(&prep, "h1", "us-east-1", None);
    assert_eq!(docs.len(), 1);
    assert_eq!(
        docs[0].invoke_url,
        "https://h1.execute-api.us-east-1.amazonaws.com/prod"
    );
    assert_eq!(docs[0].deployment_id.as_deref(), Some("dep1"));

    let args = gwctl::cli::ApplyArgs {
        spec: "items.yaml".into(),
        more: vec![],
        yes: true,
        require_approval: false,
        api_id: None,
        prune: false,
        force: false,
        show_secrets: false,
        definition: false,
    };
    let code = gwctl::cli::apply::apply_with::<gwctl::engine::Http>(&cl, &args, &printer, load())
        .await
        .unwrap_or_else(|f| panic!("{:?}", f.message));
    assert_eq!(code, 0);
    // Every read ran once per pass (prepare, then apply); a write would have found no rule
    // and failed the test.
    assert_eq!(get_api.num_calls(), 2);
    assert_eq!(stages.num_calls(), 2);
}
