//! Canary releases (issue 18 item 5): deploy to the canary, apply keeps its declared
//! settings, promote and rollback, each planned, applied in the simulator and planned again.

use super::canary::{plan_canary, plan_promote, plan_rollback, CanaryError};
use super::desired::{self, config_mark};
use super::ops::Op;
use super::plan;
use super::simulate;
use super::tests::{resolve, spec, REGION};
use crate::plan::{Plan, PlanOptions};
use crate::state::rest::{ObservedRestApi, Policies};

type Account = (ObservedRestApi, Policies);

fn spec_v(version: &str, canary: &str) -> String {
    format!(
        r#"
api: {{name: canaried}}
functions: {{list: list-items}}
default_auth: none
stages:
  prod:
    variables: {{backend: v1, table: items}}
{canary}
routes:
  - {{path: /{version}, method: GET, function: list}}
"#
    )
}

const CANARY: &str = "    canary: {percent: 10, variables: {backend: v2}}";

fn desired_of(yaml: &str) -> desired::DesiredRest {
    let s = spec(yaml);
    desired::rest(&s, &resolve(&s), REGION)
}

fn apply(yaml: &str, account: Option<Account>) -> (Plan, Account) {
    let d = desired_of(yaml);
    let (api, pol) = account.map_or((None, Policies::new()), |(a, p)| (Some(a), p));
    let p = plan(&d, api.as_ref(), &pol, PlanOptions::default());
    let after = simulate::apply(api, pol, &p.ops).expect("plan applies");
    (p, after)
}

fn replan(yaml: &str, account: &Account) -> Plan {
    plan(
        &desired_of(yaml),
        Some(&account.0),
        &account.1,
        PlanOptions::default(),
    )
}

fn run(p: &Plan, account: Account) -> Account {
    simulate::apply(Some(account.0), account.1, &p.ops).expect("plan applies")
}

/// v1 applied, then v2 deployed to the canary with 10 % and `backend: v2`.
fn with_canary() -> (Account, String) {
    let (_, acct) = apply(&spec_v("v1", CANARY), None);
    let v2 = spec_v("v2", CANARY);
    // The API changes (a new route), the stage keeps serving v1: as `deploy --canary`
    // runs after an apply of the definition only, modelled here by applying the API part.
    let d = desired_of(&v2);
    let mark = config_mark(&d.config);
    let mut p = replan(&v2, &acct);
    // Keep the API changes, not the deployment: the canary gets it instead.
    let keep: Vec<Op> = p
        .ops
        .drain(..)
        .filter(|o| !matches!(o, Op::CreateDeployment { .. } | Op::UpdateStage { .. }))
        .collect();
    let acct = simulate::apply(Some(acct.0), acct.1, &keep).unwrap();
    let vars = [("backend".to_string(), "v2".to_string())].into();
    let p = plan_canary(&acct.0, "prod", &mark, &mark, 10.0, &vars, false).unwrap();
    assert_eq!(p.ops.len(), 1);
    match &p.ops[0] {
        Op::CreateCanaryDeployment {
            stage,
            percent,
            variables,
            ..
        } => {
            assert_eq!(stage, "prod");
            assert_eq!(*percent, 10.0);
            assert_eq!(variables, &vars);
        }
        o => panic!("{o:?}"),
    }
    (run(&p, acct), mark)
}

#[test]
fn deploy_to_the_canary_leaves_the_stage_and_is_not_repeated() {
    let (acct, mark) = with_canary();
    let st = &acct.0.stages["prod"];
    let canary = st.settings.canary.as_ref().expect("a canary");
    assert_eq!(canary.percent, Some(10.0));
    assert_ne!(canary.deployment_id, st.deployment_id, "the stage keeps v1");
    let vars = [("backend".to_string(), "v2".to_string())].into();
    let again = plan_canary(&acct.0, "prod", &mark, &mark, 10.0, &vars, false).unwrap();
    assert!(again.ops.is_empty(), "{:?}", again.ops);
    // A new share is a patch of the canary, not a deployment.
    let more = plan_canary(&acct.0, "prod", &mark, &mark, 25.0, &vars, false).unwrap();
    assert_eq!(more.ops.len(), 1);
    let Op::UpdateStage { patches, .. } = &more.ops[0] else {
        panic!("{:?}", more.ops)
    };
    assert_eq!(patches[0].path, "/canarySettings/percentTraffic");
    assert_eq!(patches[0].value.as_deref(), Some("25.0"));
    // `--force` deploys again.
    let forced = plan_canary(&acct.0, "prod", &mark, &mark, 10.0, &vars, true).unwrap();
    assert!(matches!(forced.ops[0], Op::CreateCanaryDeployment { .. }));
    // apply does not release what the canary is trying to everyone.
    let p = replan(&spec_v("v2", CANARY), &acct);
    assert!(p.ops.is_empty(), "{:#?}", p.changes);
}

#[test]
fn a_canary_on_a_missing_stage_is_refused_before_any_call() {
    let (acct, mark) = with_canary();
    let e = plan_canary(
        &acct.0,
        "beta",
        &mark,
        &mark,
        10.0,
        &Default::default(),
        false,
    );
    assert_eq!(e.unwrap_err(), CanaryError::NoStage("beta".into()));
    assert!(plan_promote(&acct.0, "beta").is_err());
    assert!(plan_rollback(&acct.0, "beta").is_err());
}

#[test]
fn canary_drift_is_shown_and_reverted_by_apply_and_kept_when_undeclared() {
    let (mut acct, _) = with_canary();
    {
        let c = acct.0.stages.get_mut("prod").unwrap();
        let c = c.settings.canary.as_mut().unwrap();
        c.percent = Some(50.0);
        c.variables
            .as_mut()
            .unwrap()
            .insert("extra".into(), "x".into());
    }
    let v2 = spec_v("v2", CANARY);
    let p = replan(&v2, &acct);
    let fields: Vec<&str> = p
        .changes
        .iter()
        .flat_map(|c| c.fields.iter().map(|f| f.field.as_str()))
        .collect();
    assert!(fields.contains(&"canary.percent"), "{fields:?}");
    assert!(fields.contains(&"canary.variables.extra"), "{fields:?}");
    let acct2 = run(&p, acct.clone());
    assert!(replan(&v2, &acct2).ops.is_empty());
    assert_eq!(
        acct2.0.stages["prod"]
            .settings
            .canary
            .as_ref()
            .unwrap()
            .percent,
        Some(10.0)
    );
    // A spec without `canary` leaves the live canary as it is.
    let silent = spec_v("v2", "");
    let p = replan(&silent, &acct);
    assert!(p.ops.is_empty(), "{:#?}", p.changes);
}

#[test]
fn promote_makes_the_canary_the_stage_and_removes_it() {
    let (acct, _) = with_canary();
    let canary_dep = acct.0.stages["prod"]
        .settings
        .canary
        .as_ref()
        .unwrap()
        .deployment_id
        .clone();
    let p = plan_promote(&acct.0, "prod").unwrap();
    let patches: Vec<Vec<(String, String, Option<String>)>> = p
        .ops
        .iter()
        .map(|o| match o {
            Op::UpdateStage { patches, .. } => patches
                .iter()
                .map(|p| (p.op.clone(), p.path.clone(), p.from.clone()))
                .collect(),
            o => panic!("{o:?}"),
        })
        .collect();
    assert_eq!(
        patches,
        vec![
            vec![
                (
                    "copy".into(),
                    "/deploymentId".into(),
                    Some("/canarySettings/deploymentId".into())
                ),
                (
                    "replace".into(),
                    "/canarySettings/percentTraffic".into(),
                    None
                ),
                ("replace".into(), "/variables/backend".into(), None),
            ],
            vec![("remove".into(), "/canarySettings".into(), None)],
        ]
    );
    let acct = run(&p, acct);
    let st = &acct.0.stages["prod"];
    assert_eq!(st.deployment_id, canary_dep);
    assert_eq!(st.settings.canary, None);
    assert_eq!(st.settings.variables["backend"], "v2");
    assert_eq!(
        st.settings.variables["table"], "items",
        "other variables stay"
    );
    assert!(plan_promote(&acct.0, "prod").unwrap().ops.is_empty());
    // The stage now serves v2: apply has no deployment to make (it would set `backend`
    // back to the spec's `v1`: the spec's variables are the stage's).
    let p = replan(&spec_v("v2", ""), &acct);
    assert!(
        !p.ops.iter().any(|o| o.aws_name() == "CreateDeployment"),
        "{:?}",
        p.ops
    );
}

#[test]
fn rollback_removes_the_canary_and_keeps_the_stage() {
    let (acct, _) = with_canary();
    let before = acct.0.stages["prod"].deployment_id.clone();
    let p = plan_rollback(&acct.0, "prod").unwrap();
    assert_eq!(p.ops.len(), 1);
    let acct = run(&p, acct);
    assert_eq!(acct.0.stages["prod"].deployment_id, before);
    assert_eq!(acct.0.stages["prod"].settings.canary, None);
    assert!(plan_rollback(&acct.0, "prod").unwrap().ops.is_empty());
    // The configuration is no longer served anywhere: apply deploys it to the stage.
    let p = replan(&spec_v("v2", ""), &acct);
    assert!(p.ops.iter().any(|o| o.aws_name() == "CreateDeployment"));
}
