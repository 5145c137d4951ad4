//! Canary releases of a REST stage (issue 18 item 5): what `deploy --canary`, `--promote`
//! and `--rollback` do to a stage, and the settings of an existing canary that `apply`
//! keeps as the spec declares them. Pure: planned from the observed API alone.
//!
//! - `--canary [N]`: one create-deployment with `stageName` and `canarySettings` (the
//!   stage must exist: AWS refuses a canary on a missing stage). A canary that already
//!   serves the current configuration is not deployed again (`--force` does); only its
//!   share and variables are patched when they differ.
//! - `--promote`: one update-stage as AWS documents it (copy
//!   `/canarySettings/deploymentId` to `/deploymentId`, `/canarySettings/percentTraffic`
//!   to `0.0`), with the canary's variable overrides written into the stage's variables
//!   one by one (`replace /variables/NAME`: the stage's other variables stay), then one
//!   update-stage `remove /canarySettings` (promoting does not remove the canary on AWS).
//!   A re-run after an interruption converges: a stage whose canary is gone has nothing
//!   left to promote.
//! - `--rollback`: one update-stage `remove /canarySettings`; the stage keeps serving its
//!   deployment.
//! - `apply` never creates or removes a canary; when one exists and the spec declares
//!   `canary: {percent, variables}`, differing values are patched
//!   (`/canarySettings/percentTraffic`, `/canarySettings/stageVariableOverrides/NAME`).

use std::collections::BTreeMap;

use super::ops::{Op, Patch};
use crate::plan::{deployment_serves, Action, Change, FieldChange, Plan};
use crate::state::rest::{Canary, ObservedRestApi};

/// Why a canary verb cannot be planned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CanaryError {
    #[error("stage `{0}` does not exist")]
    NoStage(String),
    #[error("no share of traffic for the canary of stage `{0}`")]
    NoPercent(String),
    #[error("a canary's share of traffic is 0 to 100 percent, not `{0}`")]
    BadPercent(f64),
    #[error("a canary belongs to one stage: name exactly one `--stage`")]
    OneStage,
}

/// `0.0`, `10.0`, `12.5`: API Gateway's percentTraffic is a double.
fn percent_text(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{p:.1}")
    } else {
        p.to_string()
    }
}

/// The update-stage patches bringing an existing canary `have` to what `want` declares.
pub fn canary_patches(want: &Canary, have: &Canary) -> (Vec<Patch>, Vec<FieldChange>) {
    let mut patches = Vec::new();
    let mut fields = Vec::new();
    if let Some(p) = want.percent {
        if have.percent != Some(p) {
            patches.push(Patch::replace(
                "/canarySettings/percentTraffic",
                percent_text(p),
            ));
            fields.push(FieldChange::of(
                "canary.percent",
                &have.percent,
                &want.percent,
            ));
        }
    }
    if let Some(vars) = &want.variables {
        let empty = BTreeMap::new();
        let live = have.variables.as_ref().unwrap_or(&empty);
        for (k, v) in vars {
            if live.get(k) != Some(v) {
                patches.push(Patch::replace(
                    format!("/canarySettings/stageVariableOverrides/{k}"),
                    v.clone(),
                ));
                fields.push(FieldChange::of(
                    &format!("canary.variables.{k}"),
                    &live.get(k),
                    &Some(v),
                ));
            }
        }
        for (k, v) in live {
            if !vars.contains_key(k) {
                patches.push(Patch::remove(format!(
                    "/canarySettings/stageVariableOverrides/{k}"
                )));
                fields.push(FieldChange::of(
                    &format!("canary.variables.{k}"),
                    &Some(v),
                    &None::<&String>,
                ));
            }
        }
    }
    (patches, fields)
}

fn live_canary<'a>(
    observed: &'a ObservedRestApi,
    stage: &str,
) -> Result<Option<&'a Canary>, CanaryError> {
    let st = observed
        .stages
        .get(stage)
        .ok_or_else(|| CanaryError::NoStage(stage.to_string()))?;
    Ok(st.settings.canary.as_ref())
}

/// `deploy --stage STAGE --canary`: the current configuration (`mark`, described
/// `description`) to the stage's canary with `percent` of its traffic and `variables`.
pub fn plan_canary(
    observed: &ObservedRestApi,
    stage: &str,
    mark: &str,
    description: &str,
    percent: f64,
    variables: &BTreeMap<String, String>,
    force: bool,
) -> Result<Plan, CanaryError> {
    if !(0.0..=100.0).contains(&percent) {
        return Err(CanaryError::BadPercent(percent));
    }
    let live = live_canary(observed, stage)?;
    let mut p = Plan::default();
    let want = Canary {
        deployment_id: None,
        percent: Some(percent),
        variables: Some(variables.clone()),
    };
    let serves = live.is_some_and(|c| {
        c.deployment_id
            .as_deref()
            .and_then(|d| observed.deployments.get(d))
            .is_some_and(|d| deployment_serves(d.description.as_deref(), mark))
    });
    if let (Some(have), true, false) = (live, serves, force) {
        let (patches, fields) = canary_patches(&want, have);
        if !patches.is_empty() {
            p.push(
                Change::new(Action::Update, "canary", stage).fields(fields),
                Op::UpdateStage {
                    name: stage.to_string(),
                    patches,
                },
            );
        }
        return Ok(p);
    }
    let mut fields = vec![
        FieldChange::of(
            "deployment",
            &live.and_then(|c| c.deployment_id.clone()),
            &Some("(new deployment)".to_string()),
        ),
        FieldChange::of("percent", &live.and_then(|c| c.percent), &Some(percent)),
    ];
    if !variables.is_empty() {
        fields.push(FieldChange::of(
            "variables",
            &live.and_then(|c| c.variables.clone()),
            &Some(variables.clone()),
        ));
    }
    p.push(
        Change::new(
            if live.is_some() {
                Action::Update
            } else {
                Action::Create
            },
            "canary",
            stage,
        )
        .fields(fields),
        Op::CreateCanaryDeployment {
            stage: stage.to_string(),
            description: description.to_string(),
            percent,
            variables: variables.clone(),
        },
    );
    Ok(p)
}

/// `deploy --stage STAGE --promote`: the canary's deployment and variables become the
/// stage's, then the canary is removed. Nothing when the stage has no canary.
pub fn plan_promote(observed: &ObservedRestApi, stage: &str) -> Result<Plan, CanaryError> {
    let mut p = Plan::default();
    let Some(c) = live_canary(observed, stage)? else {
        return Ok(p);
    };
    let st = &observed.stages[stage];
    let mut ops = Vec::new();
    let mut fields = Vec::new();
    if let Some(dep) = &c.deployment_id {
        let mut patches = vec![
            Patch::copy("/canarySettings/deploymentId", "/deploymentId"),
            Patch::replace("/canarySettings/percentTraffic", "0.0"),
        ];
        fields.push(FieldChange::of(
            "deployment",
            &st.deployment_id,
            &Some(dep.clone()),
        ));
        for (k, v) in c.variables.iter().flatten() {
            if st.settings.variables.get(k) != Some(v) {
                patches.push(Patch::replace(format!("/variables/{k}"), v.clone()));
                fields.push(FieldChange::of(
                    &format!("variables.{k}"),
                    &st.settings.variables.get(k),
                    &Some(v),
                ));
            }
        }
        ops.push(Op::UpdateStage {
            name: stage.to_string(),
            patches,
        });
    }
    fields.push(FieldChange::of(
        "canary",
        &c.percent.map(|p| format!("{}%", percent_text(p))),
        &None::<String>,
    ));
    ops.push(Op::UpdateStage {
        name: stage.to_string(),
        patches: vec![Patch::remove("/canarySettings")],
    });
    p.push_all(
        Change::new(Action::Update, "stage", stage).fields(fields),
        ops,
    );
    Ok(p)
}

/// `deploy --stage STAGE --rollback`: the canary is removed, the stage keeps serving its
/// deployment. Nothing when the stage has no canary.
pub fn plan_rollback(observed: &ObservedRestApi, stage: &str) -> Result<Plan, CanaryError> {
    let mut p = Plan::default();
    let Some(c) = live_canary(observed, stage)? else {
        return Ok(p);
    };
    p.push(
        Change::new(Action::Delete, "canary", stage).fields(vec![FieldChange::of(
            "deployment",
            &c.deployment_id,
            &None::<String>,
        )]),
        Op::UpdateStage {
            name: stage.to_string(),
            patches: vec![Patch::remove("/canarySettings")],
        },
    );
    Ok(p)
}
