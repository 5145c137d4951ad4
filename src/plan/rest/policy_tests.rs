//! Resource policies, endpoint types and VPC endpoints of REST APIs: planned, simulated and
//! planned again (no SDK, no network).

use std::collections::BTreeMap;

use serde_json::json;

use super::desired;
use super::ops::{Op, Patch};
use super::plan;
use super::simulate;
use super::tests::{resolve, spec, REGION};
use crate::plan::{Plan, PlanOptions};
use crate::state::rest::{ObservedRestApi, Policies};

const PRIVATE: &str = r#"
api:
  name: internal
  endpoint: PRIVATE
  vpc_endpoint_ids: [vpce-0123456789abcdef0]
  policy:
    Version: "2012-10-17"
    Statement:
      - {Effect: Allow, Principal: "*", Action: execute-api:Invoke, Resource: execute-api:/*}
      - Effect: Deny
        Principal: "*"
        Action: execute-api:Invoke
        Resource: execute-api:/*
        Condition: {StringNotEquals: {aws:SourceVpce: vpce-0123456789abcdef0}}
functions: {f: f}
routes:
  - {path: /x, method: GET, function: f}
stages: {prod: {}}
"#;

fn desired_of(yaml: &str) -> desired::DesiredRest {
    let s = spec(yaml);
    desired::rest(&s, &resolve(&s), REGION)
}

/// The account: the API and the Lambda policies.
type Account = (ObservedRestApi, Policies);

fn apply(yaml: &str, observed: Option<Account>, opts: PlanOptions) -> (Plan, Account) {
    let d = desired_of(yaml);
    let (api, pol) = observed.map(|(a, p)| (Some(a), p)).unwrap_or_default();
    let p = plan(&d, api.as_ref(), &pol, opts);
    let account = simulate::apply(api, pol, &p.ops).expect("plan applies");
    (p, account)
}

fn plan_on(yaml: &str, account: &Account, opts: PlanOptions) -> Plan {
    plan(&desired_of(yaml), Some(&account.0), &account.1, opts)
}

fn names(p: &Plan) -> Vec<&'static str> {
    p.ops.iter().map(|o| o.aws_name()).collect()
}

fn api_patches(p: &Plan) -> Vec<Patch> {
    p.ops
        .iter()
        .find_map(|o| match o {
            Op::UpdateRestApi { patches } => Some(patches.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

fn is_empty_after(yaml: &str, account: &Account) {
    let again = plan_on(yaml, account, PlanOptions::default());
    assert!(again.is_empty(), "{:#?}", again.changes);
}

#[test]
fn a_private_api_is_created_with_its_policy_and_endpoints_in_one_call() {
    let (p, acc) = apply(PRIVATE, None, PlanOptions::default());
    match &p.ops[0] {
        Op::CreateRestApi {
            endpoint_type,
            policy,
            vpc_endpoint_ids,
            ..
        } => {
            assert_eq!(endpoint_type, "PRIVATE");
            assert_eq!(
                vpc_endpoint_ids,
                &vec!["vpce-0123456789abcdef0".to_string()]
            );
            let sent: serde_json::Value = serde_json::from_str(policy.as_deref().unwrap()).unwrap();
            // The shorthand is sent as written: API Gateway expands it to the new API's ARN.
            assert_eq!(sent["Statement"][0]["Resource"], json!(["execute-api:/*"]));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        names(&p).iter().filter(|n| **n == "UpdateRestApi").count(),
        0
    );
    is_empty_after(PRIVATE, &acc);
}

#[test]
fn policy_drift_is_reverted_without_a_deployment() {
    let (_, mut acc) = apply(PRIVATE, None, PlanOptions::default());
    // Someone edits the policy in the console (and does not deploy): the Deny is gone. The
    // stage still serves the spec's policy, so reverting it needs no deployment (the rule
    // of every other part of the API, docs/design.md).
    acc.0.config.policy = Some(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": ["execute-api:Invoke"],
         "Resource": ["execute-api:/*"]}]}));
    let p = plan_on(PRIVATE, &acc, PlanOptions::default());
    assert_eq!(names(&p), vec!["UpdateRestApi"], "{:#?}", p.changes);
    let patches = api_patches(&p);
    assert_eq!(patches.len(), 1);
    assert_eq!(
        (patches[0].op.as_str(), patches[0].path.as_str()),
        ("replace", "/policy")
    );
    let sent: serde_json::Value =
        serde_json::from_str(patches[0].value.as_deref().unwrap()).unwrap();
    assert_eq!(sent["Statement"].as_array().unwrap().len(), 2);
    assert_eq!(p.changes[0].fields[0].field, "policy");
    let acc = simulate::apply(Some(acc.0), acc.1, &p.ops).unwrap();
    is_empty_after(PRIVATE, &acc);
}

#[test]
fn a_changed_policy_is_updated_then_deployed() {
    let (_, acc) = apply(PRIVATE, None, PlanOptions::default());
    let wider = PRIVATE.replace(
        "aws:SourceVpce: vpce-0123456789abcdef0}",
        "aws:SourceVpce: [vpce-0123456789abcdef0, vpce-01234567]}",
    );
    assert_ne!(wider, PRIVATE);
    let p = plan_on(&wider, &acc, PlanOptions::default());
    assert_eq!(
        names(&p),
        vec!["UpdateRestApi", "CreateDeployment"],
        "{:#?}",
        p.changes
    );
    let acc = simulate::apply(Some(acc.0), acc.1, &p.ops).unwrap();
    is_empty_after(&wider, &acc);
}

#[test]
fn the_expanded_arn_api_gateway_stores_is_no_drift() {
    let (_, mut acc) = apply(PRIVATE, None, PlanOptions::default());
    let api = &mut acc.0;
    // What the reader makes of AWS's answer: the API's own ARN folded into the shorthand.
    let returned = PRIVATE_POLICY_AS_AWS_RETURNS.replace("{id}", &api.id);
    let doc = crate::state::resource_policy::parse_returned(&returned).unwrap();
    api.config.policy = Some(crate::state::resource_policy::normalise(
        &doc,
        Some(&api.id),
        REGION,
    ));
    is_empty_after(PRIVATE, &acc);
}

const PRIVATE_POLICY_AS_AWS_RETURNS: &str = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"execute-api:Invoke\",\"Resource\":\"arn:aws:execute-api:us-east-1:123456789012:{id}\/*\",\"Condition\":{\"StringNotEquals\":{\"aws:SourceVpce\":\"vpce-0123456789abcdef0\"}}},{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"execute-api:Invoke\",\"Resource\":\"arn:aws:execute-api:us-east-1:123456789012:{id}\/*\"}]}"#;

#[test]
fn an_undeclared_policy_and_endpoint_type_keep_their_live_values() {
    let plain = PRIVATE
        .replace("  endpoint: PRIVATE\n", "")
        .replace("  vpc_endpoint_ids: [vpce-0123456789abcdef0]\n", "");
    let plain = format!(
        "{}{}",
        &plain[..plain.find("  policy:").unwrap()],
        &plain[plain.find("functions:").unwrap()..]
    );
    assert!(
        !plain.contains("policy") && !plain.contains("PRIVATE"),
        "{plain}"
    );
    let (_, acc) = apply(PRIVATE, None, PlanOptions::default());
    // Adopted (no prune) or owned: the live policy, type and endpoints stay.
    for prune in [false, true] {
        let opts = PlanOptions {
            prune,
            ..Default::default()
        };
        let p = plan_on(&plain, &acc, opts);
        assert!(p.is_empty(), "{:#?}", p.changes);
    }
}

#[test]
fn endpoint_type_and_vpc_endpoints_change_in_one_update() {
    let (_, acc) = apply(PRIVATE, None, PlanOptions::default());
    let moved = PRIVATE.replace(
        "vpc_endpoint_ids: [vpce-0123456789abcdef0]",
        "vpc_endpoint_ids: [vpce-0123456789abcdef1, vpce-01234567]",
    );
    let p = plan_on(&moved, &acc, PlanOptions::default());
    assert_eq!(names(&p), vec!["UpdateRestApi"], "{:#?}", p.changes);
    let got: Vec<(String, String, Option<String>)> = api_patches(&p)
        .into_iter()
        .map(|p| (p.op, p.path, p.value))
        .collect();
    let path = "/endpointConfiguration/vpcEndpointIds".to_string();
    assert_eq!(
        got,
        vec![
            (
                "remove".into(),
                path.clone(),
                Some("vpce-0123456789abcdef0".into())
            ),
            ("add".into(), path.clone(), Some("vpce-01234567".into())),
            ("add".into(), path, Some("vpce-0123456789abcdef1".into())),
        ]
    );
    let acc = simulate::apply(Some(acc.0), acc.1, &p.ops).unwrap();
    is_empty_after(&moved, &acc);

    // Back to REGIONAL (a public API with a policy): the type and the endpoints go.
    let public = PRIVATE
        .replace("endpoint: PRIVATE", "endpoint: REGIONAL")
        .replace("  vpc_endpoint_ids: [vpce-0123456789abcdef0]\n", "");
    let p = plan_on(&public, &acc, PlanOptions::default());
    let patches = api_patches(&p);
    assert_eq!(patches[0].path, "/endpointConfiguration/types/PRIVATE");
    assert_eq!(patches[0].value.as_deref(), Some("REGIONAL"));
    assert_eq!(patches.iter().filter(|p| p.op == "remove").count(), 2);
    let acc = simulate::apply(Some(acc.0), acc.1, &p.ops).unwrap();
    is_empty_after(&public, &acc);
}

#[test]
fn a_policy_is_part_of_what_a_deployment_serves_but_no_policy_keeps_the_old_mark() {
    let with = desired_of(PRIVATE).config;
    let mut without = with.clone();
    without.policy = None;
    assert_ne!(desired::config_mark(&with), desired::config_mark(&without));
    // The mark of an API without a policy is computed from exactly what earlier gwctl
    // hashed (no `policy` key), so upgrading deploys nothing.
    #[derive(serde::Serialize)]
    struct Earlier<'a> {
        resources: &'a BTreeMap<String, crate::state::rest::Resource>,
        authorizers: &'a BTreeMap<String, crate::state::rest::Authorizer>,
        gateway_responses: &'a BTreeMap<String, crate::state::rest::GatewayResponse>,
        binary_media_types: &'a Vec<String>,
        api_key_source: &'a Option<String>,
    }
    let canonical = Earlier {
        resources: &without.resources,
        authorizers: &without.authorizers,
        gateway_responses: &without.gateway_responses,
        binary_media_types: &without.binary_media_types,
        api_key_source: &without.api_key_source,
    };
    use sha2::{Digest, Sha256};
    let digest =
        crate::plan::desired::hex(&Sha256::digest(serde_json::to_vec(&canonical).unwrap()));
    assert_eq!(
        desired::config_mark(&without),
        format!("{}{}", crate::state::DEPLOYMENT_MARK, &digest[..32])
    );
}

const PUBLIC: &str = r#"
api: {name: public}
functions: {f: f}
routes:
  - {path: /x, method: GET, function: f}
stages: {prod: {}}
"#;

#[test]
fn a_policy_set_by_hand_with_no_policy_in_the_spec_deploys_nothing() {
    let (_, mut acc) = apply(PUBLIC, None, PlanOptions::default());
    // The stage serves the deployment gwctl made (no policy then); a policy is set by hand.
    // The spec says nothing of it: the policy keeps its live value, and the stage still
    // serves the spec's configuration, so nothing is deployed (owned and adopted alike).
    for hand in ["execute-api:/*", "execute-api:/prod/GET/x"] {
        acc.0.config.policy = Some(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": ["execute-api:Invoke"],
             "Resource": [hand]}]}));
        for prune in [false, true] {
            let opts = PlanOptions {
                prune,
                ..PlanOptions::default()
            };
            let p = plan_on(PUBLIC, &acc, opts);
            assert!(p.is_empty(), "{hand} prune={prune}: {:#?}", p.changes);
        }
        // `deploy` and `show` without a spec agree: the stage's mark serves.
        let (mark, alias) = desired::marks(&acc.0.config, desired::PolicyMark::Unknown);
        let served = acc
            .0
            .deployments
            .values()
            .next()
            .unwrap()
            .description
            .clone();
        assert_ne!(served.as_deref(), Some(mark.as_str()));
        assert_eq!(served, alias);
    }
    // Declaring the policy makes it part of what the stage must serve: one deployment.
    let declared = desired::marks(&acc.0.config, desired::PolicyMark::Declared);
    assert_eq!(declared, (desired::config_mark(&acc.0.config), None));
}
