//! `gwctl deploy` of HTTP APIs offline (aws-smithy-mocks): the deployment path the emulator
//! lacks (create-deployment answers 404 there). Exact requests: one deployment shared by the
//! stages named, an existing stage moved to it, a missing one created on it; nothing written
//! when every stage serves the current configuration.

use std::sync::{Arc, Mutex};

use aws_sdk_apigateway::Client as V1;
use aws_sdk_apigatewayv2::operation::create_deployment::{
    CreateDeploymentInput, CreateDeploymentOutput,
};
use aws_sdk_apigatewayv2::operation::create_stage::{CreateStageInput, CreateStageOutput};
use aws_sdk_apigatewayv2::operation::update_stage::{UpdateStageInput, UpdateStageOutput};
use aws_sdk_apigatewayv2::types as v2;
use aws_sdk_apigatewayv2::Client as V2;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use gwctl::aws::{CallLog, Clients};
use gwctl::cli::{DeployArgs, OutputFormat};
use gwctl::output::Printer;
use gwctl::state::http::{HttpApi, Route};

const FN_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:items-handler";

fn not_found(kind: &'static str) -> impl Fn() -> HttpResponse {
    move || {
        let mut r = HttpResponse::new(
            StatusCode::try_from(404).unwrap(),
            SdkBody::from(r#"{"message":"not found"}"#),
        );
        r.headers_mut().insert("x-amzn-errortype", kind);
        r
    }
}

fn clients(apigw: &[&Rule], apigw2: &[&Rule]) -> Clients {
    Clients {
        apigw: mock_client!(aws_sdk_apigateway, RuleMode::MatchAny, apigw),
        apigw2: mock_client!(aws_sdk_apigatewayv2, RuleMode::MatchAny, apigw2),
        lambda: mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &[]),
        route53: gwctl::aws::idle_route53(),
        region: "us-east-1".into(),
        calls: CallLog::default(),
    }
}

fn printer() -> Printer {
    Printer {
        format: OutputFormat::Json,
        quiet: true,
        verbose: false,
        color: false,
        stderr_tty: false,
        data_color: false,
    }
}

/// The mark of the configuration the read rules below describe (one route `GET /items` on
/// the Lambda integration), as gwctl's deployments carry it.
fn current_mark() -> String {
    let key = format!("lambda:{FN_ARN}");
    let mut config = HttpApi {
        name: "items-api".into(),
        ..Default::default()
    };
    config.integrations.insert(
        key.clone(),
        gwctl::state::http::Integration {
            kind: "AWS_PROXY".into(),
            uri: FN_ARN.into(),
            payload_format_version: Some("2.0".into()),
            ..Default::default()
        },
    );
    config.routes.insert(
        "GET /items".into(),
        Route {
            target: Some(key),
            authorization_type: "NONE".into(),
            ..Default::default()
        },
    );
    gwctl::plan::http::config_mark(&config)
}

/// Every read of the API `h1`: stage `prod` (auto-deploy off) serving `dep0`, described
/// `prod_serves`.
fn read_rules(prod_serves: String) -> Vec<Rule> {
    vec![
        mock!(V2::get_api).then_output(|| {
            aws_sdk_apigatewayv2::operation::get_api::GetApiOutput::builder()
                .api_id("h1")
                .name("items-api")
                .protocol_type(v2::ProtocolType::Http)
                .tags("gwctl:managed-by", "gwctl")
                .build()
        }),
        mock!(V2::get_routes).then_output(|| {
            aws_sdk_apigatewayv2::operation::get_routes::GetRoutesOutput::builder()
                .items(
                    v2::Route::builder()
                        .route_id("r1")
                        .route_key("GET /items")
                        .target("integrations/int1")
                        .authorization_type(v2::AuthorizationType::None)
                        .build(),
                )
                .build()
        }),
        mock!(V2::get_integrations).then_output(|| {
            aws_sdk_apigatewayv2::operation::get_integrations::GetIntegrationsOutput::builder()
                .items(
                    v2::Integration::builder()
                        .integration_id("int1")
                        .integration_type(v2::IntegrationType::AwsProxy)
                        .integration_uri(FN_ARN)
                        .payload_format_version("2.0")
                        .build(),
                )
                .build()
        }),
        mock!(V2::get_authorizers).then_output(|| {
            aws_sdk_apigatewayv2::operation::get_authorizers::GetAuthorizersOutput::builder()
                .build()
        }),
        mock!(V2::get_stages).then_output(|| {
            aws_sdk_apigatewayv2::operation::get_stages::GetStagesOutput::builder()
                .items(
                    v2::Stage::builder()
                        .stage_name("prod")
                        .deployment_id("dep0")
                        .auto_deploy(false)
                        .stage_variables("v", "1")
                        .build(),
                )
                .build()
        }),
        mock!(V2::get_deployments).then_output(move || {
            aws_sdk_apigatewayv2::operation::get_deployments::GetDeploymentsOutput::builder()
                .items(
                    v2::Deployment::builder()
                        .deployment_id("dep0")
                        .description(prod_serves.clone())
                        .build(),
                )
                .build()
        }),
    ]
}

fn args(stages: &[&str], description: Option<&str>) -> DeployArgs {
    DeployArgs {
        stage: stages.iter().map(|s| s.to_string()).collect(),
        spec: None,
        api: None,
        api_id: Some("h1".into()),
        description: description.map(str::to_string),
        force: false,
        canary: None,
        promote: false,
        rollback: false,
    }
}

/// `deploy --stage prod --stage qa --api-id h1 --description "release 42"` when prod serves
/// an older configuration: get-rest-api answers NotFound (so h1 is looked up as an HTTP API),
/// then exactly one create-deployment, prod moved to it (only the deployment id is sent: a
/// stage the spec does not declare keeps its settings), qa created on it.
#[tokio::test]
async fn deploy_creates_one_deployment_for_the_stages_named_with_exact_requests() {
    let deployments: Arc<Mutex<Vec<CreateDeploymentInput>>> = Arc::default();
    let created: Arc<Mutex<Vec<CreateStageInput>>> = Arc::default();
    let updated: Arc<Mutex<Vec<UpdateStageInput>>> = Arc::default();
    let (d, c, u) = (deployments.clone(), created.clone(), updated.clone());
    let rest = mock!(V1::get_rest_api)
        .match_requests(|r| r.rest_api_id() == Some("h1"))
        .then_http_response(not_found("NotFoundException"));
    let mut rules = read_rules("gwctl:config=00000000000000000000000000000000".into());
    rules.push(mock!(V2::create_deployment).then_compute_output(move |i| {
        d.lock().unwrap().push(i.clone());
        CreateDeploymentOutput::builder()
            .deployment_id("dep1")
            .build()
    }));
    rules.push(mock!(V2::update_stage).then_compute_output(move |i| {
        u.lock().unwrap().push(i.clone());
        UpdateStageOutput::builder().build()
    }));
    rules.push(mock!(V2::create_stage).then_compute_output(move |i| {
        c.lock().unwrap().push(i.clone());
        CreateStageOutput::builder().build()
    }));
    let cl = clients(&[&rest], &rules.iter().collect::<Vec<_>>());
    let code = gwctl::cli::lifecycle::deploy_with(
        &cl,
        &args(&["prod", "qa"], Some("release 42")),
        &printer(),
    )
    .await
    .unwrap_or_else(|f| panic!("{:?}", f.message));
    assert_eq!(code, 0);
    assert_eq!(rest.num_calls(), 1);
    let mark = current_mark();
    assert_eq!(
        *deployments.lock().unwrap(),
        vec![CreateDeploymentInput::builder()
            .api_id("h1")
            .description(format!("{mark} release 42"))
            .build()
            .unwrap()]
    );
    assert_eq!(
        *updated.lock().unwrap(),
        vec![UpdateStageInput::builder()
            .api_id("h1")
            .stage_name("prod")
            .deployment_id("dep1")
            .build()
            .unwrap()]
    );
    assert_eq!(
        *created.lock().unwrap(),
        vec![CreateStageInput::builder()
            .api_id("h1")
            .stage_name("qa")
            .deployment_id("dep1")
            .build()
            .unwrap()]
    );
}

/// When prod already serves the current configuration, deploy writes nothing (no rule
/// answers a write here, so one would fail); `--force` deploys anyway.
#[tokio::test]
async fn deploy_writes_nothing_when_the_stage_serves_the_configuration_unless_forced() {
    let rest = mock!(V1::get_rest_api).then_http_response(not_found("NotFoundException"));
    let rules = read_rules(current_mark());
    let cl = clients(&[&rest], &rules.iter().collect::<Vec<_>>());
    let code = gwctl::cli::lifecycle::deploy_with(&cl, &args(&["prod"], None), &printer())
        .await
        .unwrap_or_else(|f| panic!("{:?}", f.message));
    assert_eq!(code, 0);
    assert_eq!(rules[5].num_calls(), 1, "get-deployments read once");

    let deployment = mock!(V2::create_deployment)
        .match_requests(|r| r.api_id() == Some("h1"))
        .then_output(|| {
            CreateDeploymentOutput::builder()
                .deployment_id("dep2")
                .build()
        });
    let update = mock!(V2::update_stage)
        .match_requests(|r| r.stage_name() == Some("prod") && r.deployment_id() == Some("dep2"))
        .then_output(|| UpdateStageOutput::builder().build());
    let mut all: Vec<&Rule> = rules.iter().collect();
    all.extend([&deployment, &update]);
    let cl = clients(&[&rest], &all);
    let mut forced = args(&["prod"], None);
    forced.force = true;
    gwctl::cli::lifecycle::deploy_with(&cl, &forced, &printer())
        .await
        .unwrap_or_else(|f| panic!("{:?}", f.message));
    assert_eq!((deployment.num_calls(), update.num_calls()), (1, 1));
}
