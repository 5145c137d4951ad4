//! Issue 18 item 2 end to end (the real `gwctl` binary against moto behind the strict
//! proxy): a private REST API with a resource policy and a VPC endpoint is created in one
//! call, plans empty, has console drift of its policy reverted, and is destroyed; an adopted
//! API's policy the spec does not declare is left alone. VPC endpoint changes are
//! `update-rest-api` operations moto ignores: they are checked offline, request by request
//! (`the_requests_carry_the_policy_and_endpoint_operations`).

use std::sync::{Arc, Mutex};

use aws_sdk_apigateway::operation::create_rest_api::{CreateRestApiInput, CreateRestApiOutput};
use aws_sdk_apigateway::operation::update_rest_api::{UpdateRestApiInput, UpdateRestApiOutput};
use aws_sdk_apigateway::types as agt;
use aws_sdk_apigateway::types::{EndpointType, Op as PatchOp, PatchOperation};
use aws_sdk_apigateway::Client as ApigwClient;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};

use gwctl::aws::exec::rest::Executor;
use gwctl::aws::exec::OpOutcome;
use gwctl::aws::{CallLog, Clients};
use gwctl::plan::rest::ops::{Op, Patch};
use gwctl::state::rest::ObservedRestApi;

use crate::support;
use crate::support::cli::{apply_json, gwctl, ok, text, w, write, writes};

const VPCE: &str = "vpce-0123456789abcdef0";

fn private_spec(name: &str, allowed: &str) -> String {
    format!(
        "version: 1
api:
  name: {name}
  endpoint: PRIVATE
  vpc_endpoint_ids: [{VPCE}]
  policy:
    Version: \"2012-10-17\"
    Statement:
      - {{Effect: Allow, Principal: \"*\", Action: execute-api:Invoke, Resource: execute-api:/*}}
      - Effect: Deny
        Principal: \"*\"
        Action: execute-api:Invoke
        Resource: execute-api:/*
        Condition: {{StringNotEquals: {{aws:SourceVpce: {allowed}}}}}
functions: {{items: items-fn}}
default_auth: none
routes:
  - {{path: /items, method: GET, function: items}}
stages:
  prod: {{}}
"
    )
}

/// `plan SPEC --detailed-exitcode`: 0 when nothing is left to change (stdout otherwise).
fn plan_exit(em: &support::Emulator, spec: &std::path::Path) -> (i32, String) {
    let o = gwctl(em, &["plan", spec.to_str().unwrap(), "--detailed-exitcode"]);
    let (out, err) = text(&o);
    let code = o.status.code().unwrap_or(-1);
    assert!(code != 1, "plan failed:\n{out}\n{err}");
    (code, out)
}

#[tokio::test]
async fn a_private_api_with_a_policy_applies_plans_empty_reverts_drift_and_is_destroyed() {
    let em = support::emulator().await;
    em.create_functions(&["items-fn"]).await;
    let c = em.clients().await;
    let dir = tempfile::tempdir().unwrap();
    let spec = write(&dir, "private.yaml", &private_spec("orders-private", VPCE));

    let doc = apply_json(&em, &spec);
    // The policy and the VPC endpoint ride on create-rest-api: no update-rest-api.
    let made = writes(&doc);
    assert!(made.contains(&("CreateRestApi".to_string(), 1)), "{made:?}");
    assert!(
        doc.notes
            .iter()
            .any(|n| n.starts_with("the api is PRIVATE")),
        "{:?}",
        doc.notes
    );
    assert!(
        !made.iter().any(|(op, _)| op == "UpdateRestApi"),
        "{made:?}"
    );
    let id = doc.api.id.clone().expect("api id");
    let api = c
        .apigw
        .get_rest_api()
        .rest_api_id(&id)
        .send()
        .await
        .unwrap();
    let ec = api.endpoint_configuration().unwrap();
    assert_eq!(ec.types(), &[agt::EndpointType::Private]);
    assert_eq!(ec.vpc_endpoint_ids(), &[VPCE.to_string()]);
    let stored: serde_json::Value = serde_json::from_str(api.policy().unwrap()).unwrap();
    assert_eq!(stored["Statement"].as_array().unwrap().len(), 2);

    assert_eq!(plan_exit(&em, &spec).0, 0, "a second plan is empty");
    let o = gwctl(&em, &["show", "--api-id", &id]);
    let (out, _) = ok(&o);
    assert!(
        out.contains(
            "PRIVATE, resource policy (2 statements), vpc endpoints vpce-0123456789abcdef0"
        ),
        "{out}"
    );

    // Console drift: the Deny statement removed by hand, the expanded ARN written out.
    let hand = format!(
        "{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":\"*\",\
         \"Action\":\"execute-api:Invoke\",\"Resource\":\"arn:aws:execute-api:{}:123456789012:{id}/*\"}}]}}",
        support::REGION
    );
    c.apigw
        .update_rest_api()
        .rest_api_id(&id)
        .patch_operations(
            agt::PatchOperation::builder()
                .op(agt::Op::Replace)
                .path("/policy")
                .value(hand)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (code, out) = plan_exit(&em, &spec);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("policy"), "{out}");
    let doc = apply_json(&em, &spec);
    assert_eq!(
        writes(&doc),
        w(&[("UpdateRestApi", 1)]),
        "drift needs no deployment"
    );
    assert_eq!(plan_exit(&em, &spec).0, 0, "drift reverted");

    // A changed policy is updated, then deployed (a stage serves its deployment's policy).
    let wider = write(
        &dir,
        "wider.yaml",
        &private_spec("orders-private", &format!("[{VPCE}, vpce-01234567]")),
    );
    let doc = apply_json(&em, &wider);
    assert_eq!(
        writes(&doc),
        w(&[("CreateDeployment", 1), ("UpdateRestApi", 1)])
    );
    assert_eq!(plan_exit(&em, &wider).0, 0);

    let o = gwctl(&em, &["destroy", wider.to_str().unwrap(), "--yes"]);
    ok(&o);
    let apis = c.apigw.get_rest_apis().send().await.unwrap();
    assert!(apis.items().iter().all(|a| a.id() != Some(id.as_str())));
}

#[tokio::test]
async fn an_adopted_apis_undeclared_policy_is_left_alone() {
    let em = support::emulator().await;
    em.create_functions(&["items-fn"]).await;
    let c = em.clients().await;
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}"#;
    let api = c
        .apigw
        .create_rest_api()
        .name("hand-made")
        .policy(policy)
        .endpoint_configuration(
            agt::EndpointConfiguration::builder()
                .types(agt::EndpointType::Regional)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let id = api.id().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let spec = write(
        &dir,
        "adopt.yaml",
        "version: 1\napi: {name: hand-made}\nfunctions: {items: items-fn}\ndefault_auth: none\n\
         routes:\n  - {path: /items, method: GET, function: items}\nstages:\n  prod: {}\n",
    );
    let o = gwctl(
        &em,
        &[
            "apply",
            spec.to_str().unwrap(),
            "--api-id",
            &id,
            "--yes",
            "--output",
            "json",
        ],
    );
    let (out, _) = ok(&o);
    let doc: gwctl::output::ApplyDoc = serde_json::from_str(&out).unwrap();
    let made = writes(&doc);
    assert!(
        !made.iter().any(|(op, _)| op == "UpdateRestApi"),
        "{made:?}"
    );
    assert!(!doc.changes.iter().any(|c| c.kind == "rest_api"), "{out}");
    let after = c
        .apigw
        .get_rest_api()
        .rest_api_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(after.policy(), Some(policy));
}

fn mock_clients(rules: &[&Rule]) -> Clients {
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

/// What create-rest-api and update-rest-api carry for a policy and VPC endpoints (moto
/// ignores the VPC endpoint operations of update-rest-api, so they are checked here,
/// offline, request by request).
#[tokio::test]
async fn the_requests_carry_the_policy_and_endpoint_operations() {
    let created: Arc<Mutex<Vec<CreateRestApiInput>>> = Arc::default();
    let updated: Arc<Mutex<Vec<UpdateRestApiInput>>> = Arc::default();
    let (c_log, u_log) = (created.clone(), updated.clone());
    let create = mock!(ApigwClient::create_rest_api).then_compute_output(move |i| {
        c_log.lock().unwrap().push(i.clone());
        CreateRestApiOutput::builder()
            .id("a1")
            .root_resource_id("r0")
            .build()
    });
    let update = mock!(ApigwClient::update_rest_api).then_compute_output(move |i| {
        u_log.lock().unwrap().push(i.clone());
        UpdateRestApiOutput::builder().build()
    });
    let c = mock_clients(&[&create, &update]);

    // The plan of a new private API, as the planner makes it.
    let spec = support::offline::load(&private_spec("p", VPCE));
    let fns = support::offline::functions(&spec);
    let desired = gwctl::plan::rest::desired::rest(&spec, &fns, "us-east-1");
    let plan = gwctl::plan::rest::plan(
        &desired,
        None,
        &Default::default(),
        gwctl::plan::PlanOptions::default(),
    );
    let mut ex = Executor::for_api(&c, &ObservedRestApi::default());
    assert!(matches!(
        ex.apply_one(&plan.ops[0]).await.unwrap(),
        OpOutcome::Created { .. }
    ));
    let sent = created.lock().unwrap()[0].clone();
    let ec = sent.endpoint_configuration().unwrap();
    assert_eq!(ec.types(), &[EndpointType::Private]);
    assert_eq!(ec.vpc_endpoint_ids(), &[VPCE.to_string()]);
    let policy: serde_json::Value = serde_json::from_str(sent.policy().unwrap()).unwrap();
    assert_eq!(
        policy["Statement"][0]["Resource"],
        serde_json::json!(["execute-api:/*"])
    );

    let op = Op::UpdateRestApi {
        patches: vec![
            Patch::replace("/endpointConfiguration/types/REGIONAL", "PRIVATE"),
            Patch {
                op: "remove".into(),
                path: "/endpointConfiguration/vpcEndpointIds".into(),
                value: Some("vpce-01234567".into()),
                from: None,
            },
            Patch::add("/endpointConfiguration/vpcEndpointIds", VPCE),
            Patch::replace("/policy", r#"{"Statement":[]}"#),
        ],
    };
    assert_eq!(ex.apply_one(&op).await.unwrap(), OpOutcome::Applied);
    let got = updated.lock().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rest_api_id(), Some("a1"));
    let patch = |op: PatchOp, path: &str, value: &str| {
        PatchOperation::builder()
            .op(op)
            .path(path)
            .value(value)
            .build()
    };
    assert_eq!(
        got[0].patch_operations(),
        [
            patch(
                PatchOp::Replace,
                "/endpointConfiguration/types/REGIONAL",
                "PRIVATE"
            ),
            patch(
                PatchOp::Remove,
                "/endpointConfiguration/vpcEndpointIds",
                "vpce-01234567"
            ),
            patch(PatchOp::Add, "/endpointConfiguration/vpcEndpointIds", VPCE),
            patch(PatchOp::Replace, "/policy", r#"{"Statement":[]}"#),
        ]
    );
}
