//! What the HTTP ([`super::http`]) and WebSocket ([`super::ws`]) flavours share as
//! apigatewayv2 APIs: the stage settings in effect after a run ([`effective`]), `deploy`'s
//! plan (a deployment for the stages with auto-deploy off that do not serve the API's
//! configuration, [`plan_deploy`]), what `show` and `deploy` report per stage, and the notes
//! about a deployment list that could not be read. Each kind says how one stage is reported
//! (its URLs and the settings it shows).

use std::collections::BTreeMap;

use crate::plan::v2::{auto_deploys, plan_stages, serves, stage_after, StageOp, V2Op};
use crate::plan::{Plan, PlanOptions};
use crate::state::v2::{ObservedV2, RouteSettings, Stage};

use super::lifecycle::{deployment_description, named_stages, DEPLOY_REASON};
use super::report::{DeployedStage, ShowStage, Shown, StageReport};

/// `deploy`'s plan options: it never removes settings (per-route settings the spec does not
/// declare stay); `force_deploy` is `--force`.
pub const DEPLOY_OPTS: PlanOptions = PlanOptions {
    prune: false,
    force_deploy: false,
};

/// The note when the deployment list could not be read and a stage has auto-deploy off.
pub const DEPLOYMENTS_UNREAD: &str =
    "the deployment list could not be read (GetDeployments: not found); stages with \
     auto-deploy off are deployed again";

/// How a kind reports one stage: `eff` are its settings in effect, `deployment_id` what it
/// serves, with the API's id and region for its URLs.
pub type ReportStage<R> = fn(&str, &Stage<R>, Option<String>, &str, &str) -> StageReport;

/// Warnings about the configuration (`desired_notes`) and about what could not be read.
pub fn notes<A: ObservedV2>(
    desired_notes: &[String],
    stages: &BTreeMap<String, Stage<A::Setting>>,
    observed: Option<&A>,
) -> Vec<String> {
    let mut n = desired_notes.to_vec();
    if let Some(o) = observed {
        n.extend(o.notes().iter().cloned());
        let manual = stages.iter().any(|(name, w)| {
            !w.auto_deploy
                .or(o.stages().get(name).and_then(|h| h.settings.auto_deploy))
                .unwrap_or(false)
        });
        if !o.deployments_complete() && manual {
            n.push(DEPLOYMENTS_UNREAD.into());
        }
    }
    n
}

/// Warnings about what the reader could not read completely (the deployment list only when
/// `manual`, a stage concerned has auto-deploy off: what it serves cannot be known then).
pub fn read_notes<A: ObservedV2>(api: &A, manual: bool) -> Vec<String> {
    let mut n = api.notes().to_vec();
    if !api.deployments_complete() && manual {
        n.push(DEPLOYMENTS_UNREAD.to_string());
    }
    n
}

/// A stage after `ops` ran: its settings in effect, the deployment it served before, and
/// whether this run deployed it.
pub struct EffectiveStage<R> {
    pub name: String,
    pub settings: Stage<R>,
    pub served: Option<String>,
    pub deployed_now: bool,
}

/// [`EffectiveStage`] of each stage of `stages` after `ops` ran on `observed`.
pub fn effective<O, A>(
    stages: &BTreeMap<String, Stage<O::Setting>>,
    observed: Option<&A>,
    ops: &[O],
    prune: bool,
) -> Vec<EffectiveStage<O::Setting>>
where
    O: V2Op,
    A: ObservedV2<Setting = O::Setting>,
{
    stages
        .iter()
        .map(|(name, want)| {
            let have = observed.and_then(|o| o.stages().get(name));
            let settings = stage_after(
                want,
                &have.map(|h| h.settings.clone()).unwrap_or_default(),
                prune,
            );
            let deployed_now = ops.iter().any(|op| match op.stage_op() {
                Some(StageOp::CreateStage {
                    name: n, deploy, ..
                }) => n == name && deploy,
                Some(StageOp::UpdateStage { name: n, update }) => n == name && update.deploy,
                _ => false,
            });
            EffectiveStage {
                name: name.clone(),
                settings,
                served: have.and_then(|h| h.deployment_id.clone()),
                deployed_now,
            }
        })
        .collect()
}

/// The settings in effect per stage after a successful apply (`new_deployment`: the
/// deployment created in this run), each reported by `report`.
pub fn stage_reports<R: RouteSettings>(
    effective: Vec<EffectiveStage<R>>,
    api_id: &str,
    region: &str,
    new_deployment: Option<String>,
    report: ReportStage<R>,
) -> Vec<StageReport> {
    effective
        .into_iter()
        .map(|st| {
            let deployment_id = if st.deployed_now {
                new_deployment.clone()
            } else {
                st.served
            };
            report(&st.name, &st.settings, deployment_id, api_id, region)
        })
        .collect()
}

/// Stage `name` serves the configuration `mark` stands for, or deploys itself (API Gateway
/// deploys every change to a stage with auto-deploy on).
pub fn stage_current<A: ObservedV2>(api: &A, mark: &str, name: &str) -> bool {
    let auto = api
        .stages()
        .get(name)
        .is_some_and(|s| s.settings.auto_deploy.unwrap_or(false));
    auto || serves(mark, Some(api), name)
}

/// `show`'s stages of `api` (whose configuration `mark` stands for).
pub fn show_stages<A: ObservedV2>(
    api: &A,
    api_id: &str,
    mark: &str,
    region: &str,
    report: ReportStage<A::Setting>,
) -> Vec<ShowStage> {
    api.stages()
        .iter()
        .map(|(name, st)| {
            let mut stage = report(name, &st.settings, st.deployment_id.clone(), api_id, region);
            // `show` reads auto-deploy in what the stage serves, not among its settings.
            stage
                .shown
                .retain(|s| !matches!(s, Shown::Switch("auto-deploy", _)));
            stage.routes.clear();
            ShowStage {
                stage,
                current: stage_current(api, mark, name),
                auto_deploy: st.settings.auto_deploy.unwrap_or(false),
            }
        })
        .collect()
}

/// `deploy`'s stages and plan, as [`super::flavour::Deploy`] holds them: the stages named
/// (with the settings `spec_stages` declares, else those they have), the ones that deploy
/// themselves, the ones the `up to date` line names, and the plan. `mark` stands for the
/// API's current configuration.
#[allow(clippy::type_complexity)]
pub fn plan_deploy<O, A>(
    api: &A,
    spec_stages: &BTreeMap<String, Stage<O::Setting>>,
    names: &[String],
    mark: &str,
    description: Option<&str>,
    force: bool,
) -> (
    BTreeMap<String, Stage<O::Setting>>,
    Vec<String>,
    Vec<String>,
    Plan<O>,
)
where
    O: V2Op,
    A: ObservedV2<Setting = O::Setting>,
{
    let stages = named_stages(names, spec_stages, |n| {
        api.stages().get(n).map(|s| s.settings.clone())
    });
    // Stages that exist with auto-deploy on: API Gateway deploys every change to them.
    let automatic: Vec<String> = stages
        .iter()
        .filter(|(n, w)| {
            let have = api.stages().get(*n);
            have.is_some() && auto_deploys(w, have)
        })
        .map(|(n, _)| n.clone())
        .collect();
    let up_to_date = stages
        .keys()
        .filter(|n| !automatic.contains(n))
        .cloned()
        .collect();
    let description = deployment_description(mark, description);
    let mut plan = Plan::default();
    plan_stages(
        &mut plan,
        Some(api),
        &stages,
        mark,
        &description,
        DEPLOY_REASON,
        PlanOptions {
            force_deploy: force,
            ..DEPLOY_OPTS
        },
    );
    (stages, automatic, up_to_date, plan)
}

/// The stages `deploy` moved (`ops` ran on `api`; `deployment_id`: the deployment created),
/// each reported by `report`.
pub fn deployed_stages<O, A>(
    api: &A,
    api_id: &str,
    stages: &BTreeMap<String, Stage<O::Setting>>,
    ops: &[O],
    region: &str,
    deployment_id: Option<&str>,
    report: ReportStage<O::Setting>,
) -> Vec<DeployedStage>
where
    O: V2Op,
    A: ObservedV2<Setting = O::Setting>,
{
    effective(stages, Some(api), ops, DEPLOY_OPTS.prune)
        .into_iter()
        .map(|st| {
            let dep = if st.deployed_now {
                deployment_id.map(str::to_string)
            } else {
                st.served
            };
            let mut stage = report(&st.name, &st.settings, dep, api_id, region);
            // `deploy` reads auto-deploy in what the stage serves, not among its settings.
            stage
                .shown
                .retain(|s| !matches!(s, Shown::Switch("auto-deploy", _)));
            DeployedStage {
                stage,
                auto_deploy: st.settings.auto_deploy.unwrap_or(false),
            }
        })
        .collect()
}
