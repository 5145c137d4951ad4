//! Canary releases (issue 18 item 5). moto implements no canary (create-deployment ignores
//! `canarySettings`, get-stages answers none), so the executor's requests are checked
//! offline, exactly; what `deploy --canary|--promote|--rollback` plans is tested in the
//! planner (`src/plan/rest/canary_tests.rs`); here the binary's refusals, which make no
//! write (docs/testing.md).

use std::sync::{Arc, Mutex};

use aws_sdk_apigateway::operation::create_deployment::{
    CreateDeploymentInput, CreateDeploymentOutput,
};
use aws_sdk_apigateway::operation::update_stage::{UpdateStageInput, UpdateStageOutput};
use aws_sdk_apigateway::types::{DeploymentCanarySettings, Op as PatchOp, PatchOperation};
use aws_sdk_apigateway::Client as ApigwClient;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};

use gwctl::aws::exec::rest::Executor;
use gwctl::aws::exec::OpOutcome;
use gwctl::aws::{CallLog, Clients};
use gwctl::plan::rest::ops::{Op, Patch};
use gwctl::state::rest::ObservedRestApi;

use crate::support;
use crate::support::cli::{gwctl, text, write};

fn clients(rules: &[&Rule]) -> Clients {
    use aws_sdk_apigatewayv2::config::{BehaviorVersion, Region};
    let lambda_rules: &[&Rule] = &[];
    Clients {
        apigw: mock_client!(aws_sdk_apigateway, RuleMode::Sequential, rules),
        apigw2: aws_sdk_apigatewayv2::Client::from_conf(
            aws_sdk_apigatewayv2::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .build(),
        ),
        lambda: mock_client!(aws_sdk_lambda, RuleMode::Sequential, lambda_rules),
        route53: gwctl::aws::idle_route53(),
        region: "us-east-1".into(),
        calls: CallLog::default(),
    }
}

fn api() -> ObservedRestApi {
    ObservedRestApi {
        id: "a1".into(),
        ..Default::default()
    }
}

/// `deploy --canary 10`: one create-deployment naming the stage, with the canary's share and
/// variable overrides (AWS then points only the canary at the new deployment).
#[tokio::test]
async fn a_canary_deployment_names_the_stage_and_carries_the_canary_settings() {
    let seen: Arc<Mutex<Vec<CreateDeploymentInput>>> = Arc::default();
    let log = seen.clone();
    let rule = mock!(ApigwClient::create_deployment).then_compute_output(move |i| {
        log.lock().unwrap().push(i.clone());
        CreateDeploymentOutput::builder().id("d9").build()
    });
    let c = clients(&[&rule]);
    let mut ex = Executor::for_api(&c, &api());
    let op = Op::CreateCanaryDeployment {
        stage: "prod".into(),
        description: "gwctl:config=abc".into(),
        percent: 10.0,
        variables: [("backend".to_string(), "v2".to_string())].into(),
    };
    assert_eq!(
        ex.apply_one(&op).await.unwrap(),
        OpOutcome::Created { id: "d9".into() }
    );
    let expected = CreateDeploymentInput::builder()
        .rest_api_id("a1")
        .stage_name("prod")
        .description("gwctl:config=abc")
        .canary_settings(
            DeploymentCanarySettings::builder()
                .percent_traffic(10.0)
                .stage_variable_overrides("backend", "v2")
                .use_stage_cache(false)
                .build(),
        )
        .build()
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![expected]);
    // The stage's own deployment did not move: no later op may point a stage at it.
    assert_eq!(ex.deployment_id, None);
}

/// `deploy --promote`: the copy operation AWS documents carries `from`.
#[tokio::test]
async fn promotion_sends_the_documented_copy_operation() {
    let seen: Arc<Mutex<Vec<UpdateStageInput>>> = Arc::default();
    let log = seen.clone();
    let rule = mock!(ApigwClient::update_stage).then_compute_output(move |i| {
        log.lock().unwrap().push(i.clone());
        UpdateStageOutput::builder().build()
    });
    let c = clients(&[&rule]);
    let mut ex = Executor::for_api(&c, &api());
    let op = Op::UpdateStage {
        name: "prod".into(),
        patches: vec![
            Patch::copy("/canarySettings/deploymentId", "/deploymentId"),
            Patch::replace("/canarySettings/percentTraffic", "0.0"),
        ],
    };
    assert_eq!(ex.apply_one(&op).await.unwrap(), OpOutcome::Applied);
    let expected = UpdateStageInput::builder()
        .rest_api_id("a1")
        .stage_name("prod")
        .patch_operations(
            PatchOperation::builder()
                .op(PatchOp::Copy)
                .from("/canarySettings/deploymentId")
                .path("/deploymentId")
                .build(),
        )
        .patch_operations(
            PatchOperation::builder()
                .op(PatchOp::Replace)
                .path("/canarySettings/percentTraffic")
                .value("0.0")
                .build(),
        )
        .build()
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![expected]);
}

/// A canary on a stage that does not exist, on an HTTP API, or on two stages is refused
/// with a clear message, and nothing is written.
#[tokio::test]
async fn canary_verbs_refuse_what_aws_would_and_write_nothing() {
    let em = support::emulator().await;
    em.create_functions(&["canary-fn"]).await;
    let dir = tempfile::tempdir().unwrap();
    let rest = write(
        &dir,
        "rest.yaml",
        "api: {name: canary-cli}\nfunctions: {f: canary-fn}\ndefault_auth: none\n\
         stages: {prod: {canary: {percent: 10}}}\n\
         routes:\n  - {path: /items, method: GET, function: f}\n",
    );
    let r = rest.to_str().unwrap();
    let o = gwctl(&em, &["apply", r, "--yes"]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));

    let o = gwctl(&em, &["deploy", r, "--stage", "beta", "--canary", "10"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(err.contains("error: stage `beta` does not exist"), "{err}");
    assert!(
        err.contains("AWS creates a canary on an existing stage only"),
        "{err}"
    );

    let o = gwctl(
        &em,
        &["deploy", r, "--stage", "prod", "--stage", "dev", "--canary"],
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("name exactly one `--stage`"), "{err}");

    let o = gwctl(&em, &["deploy", r, "--stage", "prod", "--canary", "150"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("0 to 100 percent"), "{err}");

    let o = gwctl(
        &em,
        &["deploy", r, "--stage", "prod", "--canary", "--promote"],
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot be used with"), "{err}");

    let http = write(
        &dir,
        "http.yaml",
        "api: {name: canary-http, kind: http}\nfunctions: {f: canary-fn}\ndefault_auth: none\n\
         stages: {$default: {auto_deploy: true}}\n\
         routes:\n  - {path: /items, method: GET, function: f}\n",
    );
    let h = http.to_str().unwrap();
    let o = gwctl(&em, &["apply", h, "--yes"]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let o = gwctl(&em, &["deploy", h, "--stage", "$default", "--rollback"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("supports rest apis"), "{err}");

    // No refusal wrote anything: the rest stage still has no canary and one deployment.
    let c = em.clients().await;
    let apis = c.apigw.get_rest_apis().send().await.unwrap();
    let id = apis
        .items()
        .iter()
        .find(|a| a.name() == Some("canary-cli"))
        .and_then(|a| a.id())
        .unwrap()
        .to_string();
    let deps = c
        .apigw
        .get_deployments()
        .rest_api_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(deps.items().len(), 1);
}

/// `gwctl deploy --api-id a1 --stage prod --canary 10` through the CLI, offline: the API
/// read in its usual calls, then exactly one create-deployment naming the stage with the
/// canary's share (no spec: no variable overrides), and no update-stage (the stage keeps
/// its deployment: no rule answers one, so sending one fails the run).
#[tokio::test]
async fn deploy_canary_through_the_cli_sends_one_canary_deployment() {
    use aws_sdk_apigateway::operation::get_authorizers::GetAuthorizersOutput;
    use aws_sdk_apigateway::operation::get_deployments::GetDeploymentsOutput;
    use aws_sdk_apigateway::operation::get_gateway_responses::GetGatewayResponsesOutput;
    use aws_sdk_apigateway::operation::get_resources::GetResourcesOutput;
    use aws_sdk_apigateway::operation::get_rest_api::GetRestApiOutput;
    use aws_sdk_apigateway::operation::get_stages::GetStagesOutput;
    use aws_sdk_apigateway::types::{Deployment, Resource, Stage};
    use gwctl::cli::{DeployArgs, OutputFormat};
    use gwctl::output::Printer;

    let sent: Arc<Mutex<Vec<CreateDeploymentInput>>> = Arc::default();
    let log = sent.clone();
    let rules = [
        mock!(ApigwClient::get_rest_api).then_output(|| {
            GetRestApiOutput::builder()
                .id("a1")
                .name("canary-api")
                .tags("gwctl:managed-by", "gwctl")
                .build()
        }),
        mock!(ApigwClient::get_resources).then_output(|| {
            GetResourcesOutput::builder()
                .items(Resource::builder().id("r0").path("/").build())
                .build()
        }),
        mock!(ApigwClient::get_authorizers).then_output(|| GetAuthorizersOutput::builder().build()),
        mock!(ApigwClient::get_gateway_responses)
            .then_output(|| GetGatewayResponsesOutput::builder().build()),
        mock!(ApigwClient::get_stages).then_output(|| {
            GetStagesOutput::builder()
                .item(
                    Stage::builder()
                        .stage_name("prod")
                        .deployment_id("d1")
                        .build(),
                )
                .build()
        }),
        mock!(ApigwClient::get_deployments).then_output(|| {
            GetDeploymentsOutput::builder()
                .items(
                    Deployment::builder()
                        .id("d1")
                        .description("gwctl:config=old")
                        .build(),
                )
                .build()
        }),
        mock!(ApigwClient::create_deployment).then_compute_output(move |i| {
            log.lock().unwrap().push(i.clone());
            CreateDeploymentOutput::builder().id("d2").build()
        }),
    ];
    let refs: Vec<&Rule> = rules.iter().collect();
    let c = Clients {
        apigw: mock_client!(aws_sdk_apigateway, RuleMode::MatchAny, &refs),
        ..clients(&[])
    };
    let args = DeployArgs {
        stage: vec!["prod".into()],
        spec: None,
        api: None,
        api_id: Some("a1".into()),
        description: None,
        force: false,
        canary: Some(Some(10.0)),
        promote: false,
        rollback: false,
    };
    let printer = Printer {
        format: OutputFormat::Json,
        quiet: true,
        verbose: false,
        color: false,
        stderr_tty: false,
        data_color: false,
    };
    let code = gwctl::cli::lifecycle::deploy_with(&c, &args, &printer)
        .await
        .unwrap_or_else(|f| panic!("{:?}", f.message));
    assert_eq!(code, 0);
    let sent = sent.lock().unwrap();
    assert_eq!(sent.len(), 1);
    let d = &sent[0];
    assert_eq!(d.rest_api_id(), Some("a1"));
    assert_eq!(d.stage_name(), Some("prod"));
    assert!(d.description().unwrap().starts_with("gwctl:config="));
    let cs = d.canary_settings().expect("canary settings");
    assert_eq!(cs.percent_traffic(), 10.0);
    assert_eq!(cs.stage_variable_overrides(), None);
    // No rule answers update-stage: had deploy moved the stage, it would have failed above.
}
