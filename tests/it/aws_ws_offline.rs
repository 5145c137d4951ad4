//! WebSocket APIs offline (aws-smithy-mocks): what the emulator cannot show, as
//! `aws_http_offline` does for HTTP APIs. The exact requests of create-deployment,
//! create-stage on that deployment and update-stage with execution logging (moto lacks
//! create-deployment and update-stage for v2 APIs), and of the calls that make a two-way
//! route: the API with its route selection expression, a Lambda integration as an invocation
//! URI, the route with its route response selection expression, and its route response.

use std::sync::{Arc, Mutex};

use aws_sdk_apigatewayv2::operation::create_api::{CreateApiInput, CreateApiOutput};
use aws_sdk_apigatewayv2::operation::create_deployment::{
    CreateDeploymentInput, CreateDeploymentOutput,
};
use aws_sdk_apigatewayv2::operation::create_integration::{
    CreateIntegrationInput, CreateIntegrationOutput,
};
use aws_sdk_apigatewayv2::operation::create_route::{CreateRouteInput, CreateRouteOutput};
use aws_sdk_apigatewayv2::operation::create_route_response::{
    CreateRouteResponseInput, CreateRouteResponseOutput,
};
use aws_sdk_apigatewayv2::operation::create_stage::{CreateStageInput, CreateStageOutput};
use aws_sdk_apigatewayv2::operation::update_stage::{UpdateStageInput, UpdateStageOutput};
use aws_sdk_apigatewayv2::types as v2;
use aws_sdk_apigatewayv2::Client as V2;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};

use gwctl::aws::exec::ws::WsExecutor;
use gwctl::aws::exec::{ExecEvent, OpOutcome};
use gwctl::aws::{CallLog, Clients};
use gwctl::plan::ws::ops::{StageUpdate, WsOp};
use gwctl::state::ws::{Integration, ObservedWsApi, Route, RouteSetting, Stage};

const MARK: &str = "gwctl:config=0123456789abcdef0123456789abcdef";
const FN_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:chat-default";

fn clients(apigw2: &[&Rule]) -> Clients {
    Clients {
        apigw: mock_client!(aws_sdk_apigateway, RuleMode::MatchAny, &[]),
        apigw2: mock_client!(aws_sdk_apigatewayv2, RuleMode::MatchAny, apigw2),
        lambda: mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &[]),
        route53: gwctl::aws::idle_route53(),
        region: "us-east-1".into(),
        calls: CallLog::default(),
    }
}

fn no_events(_: ExecEvent<WsOp>) {}

/// Every input of one operation, as a mock rule recorded it.
type Recorded<T> = Arc<Mutex<Vec<T>>>;

/// Records every input of one operation (one handle to read, one for the rule).
fn recorder<T>() -> (Recorded<T>, Recorded<T>) {
    let a: Arc<Mutex<Vec<T>>> = Arc::default();
    (a.clone(), a)
}

#[tokio::test]
async fn deployment_then_stages_with_logging_send_exactly_these_requests() {
    let (deployments, d) = recorder::<CreateDeploymentInput>();
    let (created, c) = recorder::<CreateStageInput>();
    let (updated, u) = recorder::<UpdateStageInput>();
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
    let cl = clients(&rules.iter().collect::<Vec<_>>());
    let observed = ObservedWsApi {
        id: "w1".into(),
        ..Default::default()
    };
    let mut ex = WsExecutor::for_api(&cl, &observed);
    let logging = RouteSetting {
        logging_level: Some("INFO".into()),
        data_trace: Some(true),
        metrics: Some(true),
        throttle_rate: Some(100.0),
        throttle_burst: Some(200),
    };
    let per_route = RouteSetting {
        throttle_rate: Some(5.0),
        throttle_burst: Some(10),
        ..Default::default()
    };
    let ops = vec![
        WsOp::CreateDeployment {
            description: MARK.into(),
        },
        WsOp::CreateStage {
            name: "dev".into(),
            def: Stage {
                auto_deploy: Some(false),
                default_route_settings: logging.clone(),
                route_settings: [("sendmessage".to_string(), per_route.clone())].into(),
                ..Default::default()
            },
            deploy: true,
        },
        WsOp::UpdateStage {
            name: "prod".into(),
            update: StageUpdate {
                deploy: true,
                default_route_settings: Some(RouteSetting {
                    logging_level: Some("ERROR".into()),
                    ..Default::default()
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
    assert_eq!(
        *deployments.lock().unwrap(),
        vec![CreateDeploymentInput::builder()
            .api_id("w1")
            .description(MARK)
            .build()
            .unwrap()]
    );
    assert_eq!(
        *created.lock().unwrap(),
        vec![CreateStageInput::builder()
            .api_id("w1")
            .stage_name("dev")
            .deployment_id("dep1")
            .auto_deploy(false)
            .default_route_settings(
                v2::RouteSettings::builder()
                    .logging_level(v2::LoggingLevel::Info)
                    .data_trace_enabled(true)
                    .detailed_metrics_enabled(true)
                    .throttling_rate_limit(100.0)
                    .throttling_burst_limit(200)
                    .build()
            )
            .route_settings(
                "sendmessage",
                v2::RouteSettings::builder()
                    .throttling_rate_limit(5.0)
                    .throttling_burst_limit(10)
                    .build()
            )
            .build()
            .unwrap()]
    );
    assert_eq!(
        *updated.lock().unwrap(),
        vec![UpdateStageInput::builder()
            .api_id("w1")
            .stage_name("prod")
            .deployment_id("dep1")
            .default_route_settings(
                v2::RouteSettings::builder()
                    .logging_level(v2::LoggingLevel::Error)
                    .build()
            )
            .build()
            .unwrap()]
    );
}

#[tokio::test]
async fn a_two_way_route_to_lambda_sends_exactly_these_requests() {
    let (apis, a) = recorder::<CreateApiInput>();
    let (integrations, i) = recorder::<CreateIntegrationInput>();
    let (routes, r) = recorder::<CreateRouteInput>();
    let (responses, rr) = recorder::<CreateRouteResponseInput>();
    let rules = [
        mock!(V2::create_api).then_compute_output(move |x| {
            a.lock().unwrap().push(x.clone());
            CreateApiOutput::builder().api_id("w9").build()
        }),
        mock!(V2::create_integration).then_compute_output(move |x| {
            i.lock().unwrap().push(x.clone());
            CreateIntegrationOutput::builder()
                .integration_id("int1")
                .build()
        }),
        mock!(V2::create_route).then_compute_output(move |x| {
            r.lock().unwrap().push(x.clone());
            CreateRouteOutput::builder().route_id("r1").build()
        }),
        mock!(V2::create_route_response).then_compute_output(move |x| {
            rr.lock().unwrap().push(x.clone());
            CreateRouteResponseOutput::builder()
                .route_response_id("rr1")
                .build()
        }),
    ];
    let cl = clients(&rules.iter().collect::<Vec<_>>());
    let mut ex = WsExecutor::new(&cl);
    let key = format!("lambda:{FN_ARN}");
    let ops = vec![
        WsOp::CreateApi {
            name: "chat".into(),
            description: None,
            route_selection_expression: "$request.body.action".into(),
            api_key_selection_expression: None,
            tags: [("gwctl:managed-by".to_string(), "gwctl".to_string())].into(),
        },
        WsOp::CreateIntegration {
            key: key.clone(),
            def: Integration {
                kind: "AWS_PROXY".into(),
                uri: FN_ARN.into(),
                ..Default::default()
            },
        },
        WsOp::CreateRoute {
            route_key: "$default".into(),
            def: Route {
                target: Some(key),
                authorization_type: "NONE".into(),
                authorizer: None,
                route_response_selection_expression: Some("$default".into()),
            },
        },
        WsOp::CreateRouteResponse {
            route_key: "$default".into(),
        },
    ];
    let rep = ex.run(&ops, &mut no_events).await.unwrap();
    assert_eq!(
        rep.outcomes,
        vec![
            OpOutcome::Created { id: "w9".into() },
            OpOutcome::Created { id: "int1".into() },
            OpOutcome::Created { id: "r1".into() },
            OpOutcome::Created { id: "rr1".into() },
        ]
    );
    assert_eq!(ex.route_response_ids["$default"], "rr1");
    assert_eq!(
        *apis.lock().unwrap(),
        vec![CreateApiInput::builder()
            .name("chat")
            .protocol_type(v2::ProtocolType::Websocket)
            .route_selection_expression("$request.body.action")
            .tags("gwctl:managed-by", "gwctl")
            .build()
            .unwrap()]
    );
    assert_eq!(
        *integrations.lock().unwrap(),
        vec![CreateIntegrationInput::builder()
            .api_id("w9")
            .integration_type(v2::IntegrationType::AwsProxy)
            .integration_uri(format!(
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FN_ARN}/invocations"
            ))
            .integration_method("POST")
            .timeout_in_millis(29_000)
            .build()
            .unwrap()]
    );
    assert_eq!(
        *routes.lock().unwrap(),
        vec![CreateRouteInput::builder()
            .api_id("w9")
            .route_key("$default")
            .target("integrations/int1")
            .authorization_type(v2::AuthorizationType::None)
            .route_response_selection_expression("$default")
            .build()
            .unwrap()]
    );
    assert_eq!(
        *responses.lock().unwrap(),
        vec![CreateRouteResponseInput::builder()
            .api_id("w9")
            .route_id("r1")
            .route_response_key("$default")
            .build()
            .unwrap()]
    );
}
