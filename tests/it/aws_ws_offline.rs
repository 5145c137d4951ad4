//! WebSocket APIs offline (aws-smithy-mocks): what the emulator cannot show, as
//! `aws_http_offline` does for HTTP APIs. The exact requests of create-deployment,
//! create-stage on that deployment and update-stage with execution logging (moto lacks
//! create-deployment and update-stage for v2 APIs), and of the calls that make a two-way
//! route: the API with its route selection expression, a Lambda integration as an invocation
//! URI, the route with its route response selection expression, and its route response;
//! the request parameters create-integration carries, and update-integration's map when the
//! spec drops one (sent `""`, since the service merges; moto replaces the map instead).
//! And, over the scripted service of `support::scripted` (gwctl's real paced transport),
//! what create-integration-response does when its answer is lost or the key is taken.

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
use gwctl::state::ws::{
    Integration, IntegrationResponse, ObservedWsApi, Route, RouteSetting, Stage,
};

use crate::support::scripted::{self, lost_then, ok, Reply};

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

// ---------------------------------------------------------------------------------------
// Integration responses whose create got no answer, or met one already there
// ---------------------------------------------------------------------------------------

const IR_PATH: &str = "/v2/apis/w1/integrations/int1/integrationresponses";

/// An executor for API `w1` whose MOCK integration `mock:` is `int1`.
fn ws_on_w1(c: &Clients) -> WsExecutor<'_> {
    let observed = ObservedWsApi {
        id: "w1".into(),
        integration_ids: [("mock:".to_string(), "int1".to_string())].into(),
        ..Default::default()
    };
    WsExecutor::for_api(c, &observed)
}

/// `/4\d\d/` with two templates, a selection expression and content handling.
fn create_error_response() -> WsOp {
    WsOp::CreateIntegrationResponse {
        integration: "mock:".into(),
        key: "/4\\d\\d/".into(),
        def: IntegrationResponse {
            templates: [
                ("$default".to_string(), r#"{"error": true}"#.to_string()),
                ("json".to_string(), r#"{"error": "json"}"#.to_string()),
            ]
            .into(),
            template_selection_expression: Some("\\$default".into()),
            content_handling: Some("CONVERT_TO_TEXT".into()),
        },
    }
}

/// The request body gwctl sends for [`create_error_response`] (create and update alike).
fn error_response_body() -> serde_json::Value {
    serde_json::json!({
        "integrationResponseKey": "/4\\d\\d/",
        "responseTemplates": {"$default": r#"{"error": true}"#, "json": r#"{"error": "json"}"#},
        "templateSelectionExpression": "\\$default",
        "contentHandlingStrategy": "CONVERT_TO_TEXT"
    })
}

/// The create is applied and its answer lost (the connection drops, then a 5xx): the
/// executor lists the integration's responses, finds the key and adopts its id; no second
/// create is sent. Not found, the create is sent once more, after the lookup.
#[tokio::test(start_paused = true)]
async fn an_integration_response_whose_create_answer_was_lost_is_found_by_key_not_duplicated() {
    let listed = || {
        ok(r#"{"items":[
            {"integrationResponseId":"ir0","integrationResponseKey":"$default"},
            {"integrationResponseId":"ir7","integrationResponseKey":"/4\\d\\d/"}]}"#)
    };
    let dropped: fn() -> Reply = || Reply::Drop;
    let server_error: fn() -> Reply = || {
        Reply::Json(
            500,
            r#"{"__type":"InternalFailure","message":"internal"}"#.into(),
        )
    };
    for lost in [dropped, server_error] {
        let (c, fake) = scripted::clients(move |r, n| match (r.method.as_str(), r.path.as_str()) {
            ("POST", IR_PATH) => lost_then(n, lost()),
            ("GET", IR_PATH) => listed(),
            _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
        });
        let mut ex = ws_on_w1(&c);
        let outcome = ex.apply_one(&create_error_response()).await.unwrap();
        assert_eq!(outcome, OpOutcome::Adopted { id: "ir7".into() });
        assert_eq!(
            fake.requests(),
            [format!("POST {IR_PATH}"), format!("GET {IR_PATH}")]
        );
        assert_eq!(fake.bodies("POST", IR_PATH), [error_response_body()]);
        assert_eq!(ex.integration_response_ids["mock:"]["/4\\d\\d/"], "ir7");
    }

    // The lost create never arrived: the lookup finds only `$default`, so it is sent again.
    let (c, fake) = scripted::clients(|r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", IR_PATH) if n == 0 => Reply::Drop,
        ("POST", IR_PATH) => Reply::Json(
            201,
            r#"{"integrationResponseId":"ir8","integrationResponseKey":"/4\\d\\d/"}"#.into(),
        ),
        ("GET", IR_PATH) => {
            ok(r#"{"items":[{"integrationResponseId":"ir0","integrationResponseKey":"$default"}]}"#)
        }
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = ws_on_w1(&c);
    let outcome = ex.apply_one(&create_error_response()).await.unwrap();
    assert_eq!(outcome, OpOutcome::Created { id: "ir8".into() });
    assert_eq!(
        fake.requests(),
        [
            format!("POST {IR_PATH}"),
            format!("GET {IR_PATH}"),
            format!("POST {IR_PATH}")
        ]
    );
    assert_eq!(
        fake.bodies("POST", IR_PATH),
        [error_response_body(), error_response_body()]
    );
}

/// CreateIntegrationResponse answered ConflictException (the key is taken: another run, or
/// an earlier attempt whose answer was lost): the transport hands the conflict straight back
/// (no retries as a concurrent modification: `pace::conflict_means_exists`), and the executor
/// finds the response by key, adopts it and updates it to the op's settings, every template,
/// the selection expression and the content handling with it. Exactly one create, one lookup
/// and one update; no second response is created.
#[tokio::test(start_paused = true)]
async fn an_integration_response_whose_key_is_taken_is_adopted_and_given_the_op_settings() {
    let (c, fake) = scripted::clients(|r, _| match (r.method.as_str(), r.path.as_str()) {
        ("POST", IR_PATH) => Reply::Json(
            409,
            r#"{"__type":"ConflictException","message":"Integration response already exists"}"#
                .into(),
        ),
        ("GET", IR_PATH) => ok(r#"{"items":[
            {"integrationResponseId":"ir0","integrationResponseKey":"$default"},
            {"integrationResponseId":"ir7","integrationResponseKey":"/4\\d\\d/",
             "responseTemplates":{"$default":"stale"}}]}"#),
        ("PATCH", p) if p == format!("{IR_PATH}/ir7") => {
            ok(r#"{"integrationResponseId":"ir7","integrationResponseKey":"/4\\d\\d/"}"#)
        }
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = ws_on_w1(&c);
    let outcome = ex.apply_one(&create_error_response()).await.unwrap();
    assert_eq!(outcome, OpOutcome::Adopted { id: "ir7".into() });
    assert_eq!(
        fake.requests(),
        [
            format!("POST {IR_PATH}"),
            format!("GET {IR_PATH}"),
            format!("PATCH {IR_PATH}/ir7")
        ]
    );
    assert_eq!(fake.bodies("POST", IR_PATH), [error_response_body()]);
    assert_eq!(
        fake.bodies("PATCH", &format!("{IR_PATH}/ir7")),
        [error_response_body()]
    );
    assert_eq!(ex.integration_response_ids["mock:"]["/4\\d\\d/"], "ir7");
}

/// CreateIntegrationResponse answered ConflictException with no response of that key on
/// lookup: the conflict was a concurrent modification. The executor sends the create again
/// after a backoff, and it succeeds; nothing is updated.
#[tokio::test(start_paused = true)]
async fn an_integration_response_conflict_with_nothing_there_is_created_again_by_the_executor() {
    let (c, fake) = scripted::clients(|r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", IR_PATH) if n == 0 => Reply::Json(
            409,
            r#"{"__type":"ConflictException","message":"Integration response already exists"}"#
                .into(),
        ),
        ("POST", IR_PATH) => Reply::Json(
            201,
            r#"{"integrationResponseId":"ir8","integrationResponseKey":"/4\\d\\d/"}"#.into(),
        ),
        ("GET", IR_PATH) => {
            ok(r#"{"items":[{"integrationResponseId":"ir0","integrationResponseKey":"$default"}]}"#)
        }
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = ws_on_w1(&c);
    let outcome = ex.apply_one(&create_error_response()).await.unwrap();
    assert_eq!(outcome, OpOutcome::Created { id: "ir8".into() });
    assert_eq!(
        fake.requests(),
        [
            format!("POST {IR_PATH}"),
            format!("GET {IR_PATH}"),
            format!("POST {IR_PATH}")
        ]
    );
    assert_eq!(
        fake.bodies("POST", IR_PATH),
        [error_response_body(), error_response_body()]
    );
    assert_eq!(ex.integration_response_ids["mock:"]["/4\\d\\d/"], "ir8");
}

// ---------------------------------------------------------------------------------------
// Routes and route responses whose key is taken
// ---------------------------------------------------------------------------------------

const ROUTES: &str = "/v2/apis/w1/routes";
const ROUTE_RESPONSES: &str = "/v2/apis/w1/routes/r1/routeresponses";
const TAKEN: &str = r#"{"__type":"ConflictException","message":"already exists"}"#;

/// A two-way `$default` route, then its route response.
fn two_way_route_ops() -> [WsOp; 2] {
    [
        WsOp::CreateRoute {
            route_key: "$default".into(),
            def: Route {
                target: Some("mock:".into()),
                authorization_type: "NONE".into(),
                route_response_selection_expression: Some("$default".into()),
                ..Default::default()
            },
        },
        WsOp::CreateRouteResponse {
            route_key: "$default".into(),
        },
    ]
}

/// CreateRoute and CreateRouteResponse answered ConflictException (the key is taken: an
/// earlier attempt whose answer was lost, or another run): the transport hands the conflict
/// straight back, and the executor lists the routes / the route's responses once and adopts
/// the one of that key. Exactly one create and one lookup each.
#[tokio::test(start_paused = true)]
async fn a_ws_route_and_route_response_whose_key_is_taken_are_adopted_after_one_lookup() {
    let (c, fake) = scripted::clients(|r, _| match (r.method.as_str(), r.path.as_str()) {
        ("POST", _) => Reply::Json(409, TAKEN.into()),
        ("GET", ROUTES) => ok(
            r#"{"items":[{"routeId":"r0","routeKey":"$connect"},{"routeId":"r1","routeKey":"$default"}]}"#,
        ),
        ("GET", ROUTE_RESPONSES) => {
            ok(r#"{"items":[{"routeResponseId":"rr1","routeResponseKey":"$default"}]}"#)
        }
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = ws_on_w1(&c);
    let mut outcomes = Vec::new();
    for op in &two_way_route_ops() {
        outcomes.push(ex.apply_one(op).await.unwrap());
    }
    assert_eq!(
        outcomes,
        [
            OpOutcome::Adopted { id: "r1".into() },
            OpOutcome::Adopted { id: "rr1".into() }
        ]
    );
    assert_eq!(
        fake.requests(),
        [
            format!("POST {ROUTES}"),
            format!("GET {ROUTES}"),
            format!("POST {ROUTE_RESPONSES}"),
            format!("GET {ROUTE_RESPONSES}")
        ]
    );
    assert_eq!(ex.route_ids["$default"], "r1");
    assert_eq!(ex.route_response_ids["$default"], "rr1");
}

/// The same conflicts with nothing of that key on lookup: a concurrent modification. The
/// executor sends each create again after a backoff, and it succeeds.
#[tokio::test(start_paused = true)]
async fn a_ws_route_and_route_response_conflict_with_nothing_there_are_created_again() {
    let (c, fake) = scripted::clients(|r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", _) if n == 0 => Reply::Json(409, TAKEN.into()),
        ("POST", ROUTES) => Reply::Json(201, r#"{"routeId":"r1","routeKey":"$default"}"#.into()),
        ("POST", ROUTE_RESPONSES) => Reply::Json(
            201,
            r#"{"routeResponseId":"rr9","routeResponseKey":"$default"}"#.into(),
        ),
        ("GET", _) => ok(r#"{"items":[]}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = ws_on_w1(&c);
    let mut outcomes = Vec::new();
    for op in &two_way_route_ops() {
        outcomes.push(ex.apply_one(op).await.unwrap());
    }
    assert_eq!(
        outcomes,
        [
            OpOutcome::Created { id: "r1".into() },
            OpOutcome::Created { id: "rr9".into() }
        ]
    );
    assert_eq!(
        fake.requests(),
        [
            format!("POST {ROUTES}"),
            format!("GET {ROUTES}"),
            format!("POST {ROUTES}"),
            format!("POST {ROUTE_RESPONSES}"),
            format!("GET {ROUTE_RESPONSES}"),
            format!("POST {ROUTE_RESPONSES}")
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Integration request parameters: the maps create-integration and update-integration carry
// ---------------------------------------------------------------------------------------

/// `send` maps a field of the message, a static value and a context value to its backend.
const PARAMS_SPEC: &str = r#"
api: {name: relay-ws, kind: websocket}
routes:
  - route: send
    integration:
      type: http
      uri: https://backend.example.com/send
      request_parameters:
        integration.request.querystring.x: route.request.body.x
        integration.request.header.X-Static: "'v'"
        integration.request.header.X-Conn: context.connectionId
stages:
  prod: {auto_deploy: true}
"#;

const SEND_KEY: &str = "http:POST https://backend.example.com/send";

fn params_plan(yaml: &str, observed: Option<&ObservedWsApi>) -> Vec<WsOp> {
    use crate::support::offline::{functions, load, REGION};
    let spec = load(yaml);
    let d = gwctl::plan::ws::desired(&spec, &functions(&spec), REGION);
    gwctl::plan::ws::plan(
        &d,
        observed,
        &Default::default(),
        gwctl::plan::PlanOptions::default(),
    )
    .ops
}

/// The create carries the declared map as it is.
#[tokio::test(start_paused = true)]
async fn create_integration_carries_the_declared_request_parameters() {
    let ops = params_plan(PARAMS_SPEC, None);
    let create = ops
        .iter()
        .find(|o| matches!(o, WsOp::CreateIntegration { key, .. } if key == SEND_KEY))
        .unwrap_or_else(|| panic!("{ops:#?}"));
    let path = "/v2/apis/w1/integrations";
    let (c, fake) = scripted::clients(move |r, _| match (r.method.as_str(), r.path.as_str()) {
        ("POST", p) if p == path => Reply::Json(201, r#"{"integrationId":"int1"}"#.into()),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let observed = ObservedWsApi {
        id: "w1".into(),
        ..Default::default()
    };
    let mut ex = WsExecutor::for_api(&c, &observed);
    let outcome = ex.apply_one(create).await.unwrap();
    assert_eq!(outcome, OpOutcome::Created { id: "int1".into() });
    assert_eq!(fake.requests(), [format!("POST {path}")]);
    let bodies = fake.bodies("POST", path);
    assert_eq!(
        bodies,
        [serde_json::json!({
            "integrationType": "HTTP",
            "integrationUri": "https://backend.example.com/send",
            "integrationMethod": "POST",
            "timeoutInMillis": 29000,
            "requestParameters": {
                "integration.request.querystring.x": "route.request.body.x",
                "integration.request.header.X-Static": "'v'",
                "integration.request.header.X-Conn": "context.connectionId"
            }
        })]
    );
}

/// The spec drops `X-Static` from an integration that has all three: the one update sends
/// the kept keys with their values and the dropped one with `""` (the service merges the map
/// it is sent, so leaving the key out would keep it).
#[tokio::test(start_paused = true)]
async fn update_integration_sends_a_removed_request_parameter_empty_and_the_kept_ones() {
    let first = params_plan(PARAMS_SPEC, None);
    let (live, _) = gwctl::plan::ws::simulate::apply(None, Default::default(), &first)
        .expect("the first plan applies");
    assert_eq!(
        live.config.integrations[SEND_KEY].request_parameters.len(),
        3
    );
    let dropped = PARAMS_SPEC.replace("        integration.request.header.X-Static: \"'v'\"\n", "");
    assert_ne!(dropped, PARAMS_SPEC);
    let ops = params_plan(&dropped, Some(&live));
    assert_eq!(
        ops.iter().map(|o| o.aws_name()).collect::<Vec<_>>(),
        ["UpdateIntegration"],
        "{ops:#?}"
    );

    let path = format!(
        "/v2/apis/{}/integrations/{}",
        live.id, live.integration_ids[SEND_KEY]
    );
    let answer = path.clone();
    let (c, fake) = scripted::clients(move |r, _| match (r.method.as_str(), r.path.as_str()) {
        ("PATCH", p) if p == answer => ok(r#"{}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = WsExecutor::for_api(&c, &live);
    assert_eq!(ex.apply_one(&ops[0]).await.unwrap(), OpOutcome::Applied);
    assert_eq!(fake.requests(), [format!("PATCH {path}")]);
    let bodies = fake.bodies("PATCH", &path);
    assert_eq!(
        bodies,
        [serde_json::json!({
            "integrationType": "HTTP",
            "integrationUri": "https://backend.example.com/send",
            "integrationMethod": "POST",
            "timeoutInMillis": 29000,
            "requestParameters": {
                "integration.request.querystring.x": "route.request.body.x",
                "integration.request.header.X-Conn": "context.connectionId",
                "integration.request.header.X-Static": ""
            }
        })]
    );
}
