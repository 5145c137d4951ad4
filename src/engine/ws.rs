//! WebSocket APIs (apigatewayv2, protocol WEBSOCKET) as a [`Flavour`], beside
//! [`super::http`]: the stage settings in effect after a run, with each stage's `wss://` URL
//! and the `@connections` callback URL backends post to clients through.

use std::collections::{BTreeMap, BTreeSet};

use crate::aws::error::AwsError;
use crate::aws::exec::ws::WsExecutor;
use crate::aws::exec::{ExecEvent, ExecFailure, ExecReport, MAX_IN_FLIGHT};
use crate::aws::read::ws as read_ws;
use crate::aws::Clients;
use crate::plan::ws::ops::WsOp;
use crate::plan::ws::{stage_after, DesiredWs, WsPlan};
use crate::plan::PlanOptions;
use crate::spec::model::Spec;
use crate::state::rest::ApiSummary;
use crate::state::ws::{callback_url, wss_url, ObservedWsApi, Stage};
use crate::state::{function_from_uri, ResolvedFunction};

use super::find::Located;
use super::flavour::{Deploy, Parts, Prepared, Verb};
use super::lifecycle::{deployment_description, named_stages, DEPLOY_REASON};
use super::report::{DeployedStage, KeyReport, ShowStage, Shown, StageReport};
use super::rest::split_qualifier;
use super::{EngineError, Flavour};

/// WebSocket APIs.
pub struct Ws;

/// `deploy`'s plan options: it never removes settings (per-route settings the spec does not
/// declare stay); `force_deploy` is `--force`.
const DEPLOY_OPTS: PlanOptions = PlanOptions {
    prune: false,
    force_deploy: false,
};

impl Flavour for Ws {
    const LABEL: &'static str = "websocket api";
    const NAME: &'static str = "websocket";
    const OPS_FIELD: &'static str = "ws_ops";
    const SUPPORTS: &'static [Verb] = &[];
    type Observed = ObservedWsApi;
    type Desired = DesiredWs;
    type Op = WsOp;
    type Extra = ();
    type ObservedExtra = ();
    type StageSettings = Stage;

    fn api_id(api: &ObservedWsApi) -> &str {
        &api.id
    }
    fn api_name(api: &ObservedWsApi) -> &str {
        &api.config.name
    }
    fn tags(api: &ObservedWsApi) -> &BTreeMap<String, String> {
        &api.tags
    }
    async fn list(clients: &Clients, name: &str) -> Result<Vec<ApiSummary>, AwsError> {
        read_ws::find_ws_apis(clients, name).await
    }
    async fn read(
        clients: &Clients,
        id: &str,
        _listed: Option<&ApiSummary>,
    ) -> Result<ObservedWsApi, AwsError> {
        read_ws::read_ws_api(clients, id).await
    }
    fn desired(
        spec: &Spec,
        functions: &[ResolvedFunction],
        region: &str,
        observed: Option<&ObservedWsApi>,
    ) -> DesiredWs {
        crate::plan::ws::desired(spec, functions, region).keep_undeclared(observed)
    }
    fn invoked(api: &ObservedWsApi) -> BTreeSet<(String, Option<String>)> {
        observed_functions(api)
    }
    fn extra(_: &Spec) -> Result<(), EngineError> {
        Ok(())
    }
    async fn read_extra(_: &Clients, _: &Spec) -> Result<(), AwsError> {
        Ok(())
    }
    fn check_extra(_: &Spec, _: &(), _: &()) -> Result<(), EngineError> {
        Ok(())
    }
    fn plan(p: &Parts<'_, Self>, opts: PlanOptions) -> WsPlan {
        crate::plan::ws::plan(p.desired, p.observed, p.policies, opts)
    }
    async fn export(
        _: &Clients,
        api: &Self::Observed,
        ctx: &crate::plan::export::ExportContext,
    ) -> Result<crate::plan::export::Exported, EngineError> {
        // Everything the spec says is in the observed API: no other read.
        Ok(crate::plan::ws::export::export(api, ctx))
    }
    fn creates_api(op: &WsOp) -> bool {
        matches!(op, WsOp::CreateApi { .. })
    }
    fn delete_ours(desired: &DesiredWs, id: &str) -> Vec<WsOp> {
        let mut ops: Vec<WsOp> = desired
            .permissions
            .iter()
            .map(|perm| WsOp::RemovePermission {
                function: perm.function.clone(),
                function_key: perm.function_key.clone(),
                statement_id: perm.statement_id.replace(crate::plan::API_ID, id),
            })
            .collect();
        ops.push(WsOp::DeleteApi { id: id.into() });
        ops
    }
    async fn plan_destroy(clients: &Clients, api: &ObservedWsApi) -> Result<WsPlan, EngineError> {
        let fns: Vec<_> = observed_functions(api).into_iter().collect();
        let policies = crate::aws::read::read_policies(clients, &fns).await?;
        Ok(crate::plan::ws::plan_destroy(api, &policies))
    }
    fn notes(prep: &Prepared<Ws>, _applying: bool) -> Vec<String> {
        notes(prep)
    }
    fn stages_needing_logging_role(spec: &Spec, region: &str) -> Vec<String> {
        // Execution logs, data trace and access logs of WebSocket APIs all go through the
        // account's CloudWatch Logs role.
        crate::plan::ws::desired(spec, &[], region)
            .stages
            .iter()
            .filter_map(|(name, st)| {
                let d = &st.default_route_settings;
                let logs = d
                    .logging_level
                    .as_deref()
                    .is_some_and(|l| !l.eq_ignore_ascii_case("OFF"))
                    || d.data_trace == Some(true);
                (logs || st.access_log.is_some()).then(|| format!("`{name}`"))
            })
            .collect()
    }
    async fn before_writes(clients: &Clients, ops: &[WsOp]) -> Result<Option<String>, EngineError> {
        // Execution logging of WebSocket APIs goes through the account's CloudWatch Logs
        // role, as for REST APIs.
        let Some(reason) = logging_reason(ops) else {
            return Ok(None);
        };
        match crate::aws::account::cloudwatch_role(clients).await {
            Ok(Some(_)) => Ok(None),
            Ok(None) => Err(EngineError::NoLoggingRole {
                reason,
                region: clients.region.clone(),
            }),
            Err(e) => Ok(Some(format!(
                "could not check API Gateway's CloudWatch Logs role ({reason}): {e}"
            ))),
        }
    }
    fn describe(_: &Prepared<Ws>) -> Vec<String> {
        vec![Self::NAME.to_string()]
    }
    async fn stages_after(
        clients: &Clients,
        prep: &Prepared<Ws>,
        api_id: &str,
        run: Option<&ExecReport>,
    ) -> Vec<StageReport> {
        stage_reports(
            prep,
            api_id,
            &clients.region,
            run.and_then(|r| r.deployment_id.clone()),
        )
    }
    async fn keys_after(
        _: &Clients,
        _: &Prepared<Ws>,
        _: Option<&ExecReport>,
        _: bool,
    ) -> Result<Vec<KeyReport>, EngineError> {
        Ok(Vec::new())
    }
    fn describe_api(_: &ObservedWsApi) -> Vec<String> {
        vec![Self::NAME.to_string()]
    }
    fn show_stages(api: &ObservedWsApi, region: &str) -> Vec<ShowStage> {
        api.stages
            .iter()
            .map(|(name, st)| {
                let mut stage = stage_report(
                    name,
                    &st.settings,
                    st.deployment_id.clone(),
                    &api.id,
                    region,
                );
                // `show` reads auto-deploy in what the stage serves, not among its settings.
                stage
                    .shown
                    .retain(|s| !matches!(s, Shown::Switch("auto-deploy", _)));
                stage.routes.clear();
                ShowStage {
                    stage,
                    current: stage_current(api, name),
                    auto_deploy: st.settings.auto_deploy.unwrap_or(false),
                }
            })
            .collect()
    }
    fn read_notes(api: &ObservedWsApi, manual: bool) -> Vec<String> {
        read_notes(api, manual)
    }
    fn changed_env_vars(_: &[WsOp], _: &[WsOp]) -> Vec<String> {
        Vec::new()
    }
    fn reuse_saved(_: &mut Prepared<Ws>, _: &[WsOp]) {}
    fn plan_deploy(
        loc: &Located<Ws>,
        names: &[String],
        description: Option<&str>,
        force: bool,
        region: &str,
    ) -> Deploy<Ws> {
        use crate::plan::ws::{auto_deploys, config_mark, plan_stages};
        let spec_stages = match &loc.spec {
            Some(s) => {
                crate::plan::ws::desired(s, &[], region)
                    .keep_undeclared(Some(&loc.api))
                    .stages
            }
            None => BTreeMap::new(),
        };
        let stages = named_stages(names, &spec_stages, |n| {
            loc.api.stages.get(n).map(|s| s.settings.clone())
        });
        // Stages that exist with auto-deploy on: API Gateway deploys every change to them.
        let automatic: Vec<String> = stages
            .iter()
            .filter(|(n, w)| {
                let have = loc.api.stages.get(*n);
                have.is_some() && auto_deploys(w, have)
            })
            .map(|(n, _)| n.clone())
            .collect();
        let up_to_date = stages
            .keys()
            .filter(|n| !automatic.contains(n))
            .cloned()
            .collect();
        let mark = config_mark(&loc.api.config);
        let description = deployment_description(&mark, description);
        let mut plan = WsPlan::default();
        plan_stages(
            &mut plan,
            Some(&loc.api),
            &stages,
            &mark,
            &description,
            DEPLOY_REASON,
            PlanOptions {
                force_deploy: force,
                ..DEPLOY_OPTS
            },
        );
        Deploy {
            stages,
            automatic,
            up_to_date,
            plan,
        }
    }
    fn deployed_stages(
        api: &ObservedWsApi,
        deploy: &Deploy<Ws>,
        region: &str,
        deployment_id: Option<&str>,
    ) -> Vec<DeployedStage> {
        effective(
            &deploy.stages,
            Some(api),
            &deploy.plan.ops,
            DEPLOY_OPTS.prune,
        )
        .into_iter()
        .map(|st| {
            let dep = if st.deployed_now {
                deployment_id.map(str::to_string)
            } else {
                st.served
            };
            let mut stage = stage_report(&st.name, &st.settings, dep, &api.id, region);
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
    async fn execute(
        clients: &Clients,
        observed: Option<&ObservedWsApi>,
        ops: &[WsOp],
        on_event: &mut dyn FnMut(ExecEvent<'_, WsOp>),
    ) -> Result<ExecReport, ExecFailure> {
        let mut exec = match observed {
            Some(o) => WsExecutor::for_api(clients, o),
            None => WsExecutor::new(clients),
        };
        exec.run_with(ops, on_event, MAX_IN_FLIGHT).await
    }
}

/// The Lambda functions a live WebSocket API invokes (Lambda integrations and authorizers), as
/// (unqualified ARN, qualifier).
pub fn observed_functions(o: &ObservedWsApi) -> BTreeSet<(String, Option<String>)> {
    let integrations = o
        .config
        .integrations
        .values()
        .filter(|i| matches!(i.kind.as_str(), "AWS_PROXY" | "AWS"))
        .map(|i| i.uri.clone());
    let authorizers = o
        .config
        .authorizers
        .values()
        .filter_map(|a| a.authorizer_uri.as_deref().and_then(function_from_uri));
    integrations
        .chain(authorizers)
        .map(|f| split_qualifier(&f))
        .collect()
}

/// Why a plan needs the account's CloudWatch Logs role: a stage it creates or updates logs
/// (ERROR or INFO), traces data or sends access logs.
pub fn logging_reason(ops: &[WsOp]) -> Option<String> {
    ops.iter().find_map(|op| {
        let (name, settings, access_log) = match op {
            WsOp::CreateStage { name, def, .. } => (
                name,
                Some(&def.default_route_settings),
                def.access_log.as_ref(),
            ),
            WsOp::UpdateStage { name, update } => (
                name,
                update.default_route_settings.as_ref(),
                update.access_log.as_ref(),
            ),
            _ => return None,
        };
        if access_log.is_some() {
            return Some(format!(
                "stage `{name}` sends access logs to CloudWatch Logs"
            ));
        }
        let s = settings?;
        match s.logging_level.as_deref() {
            Some(l) if !l.eq_ignore_ascii_case("OFF") => {
                Some(format!("stage `{name}` logs at {l}"))
            }
            _ if s.data_trace == Some(true) => Some(format!("stage `{name}` turns on data trace")),
            _ => None,
        }
    })
}

/// The note when the deployment list could not be read and a stage has auto-deploy off.
pub const DEPLOYMENTS_UNREAD: &str =
    "the deployment list could not be read (GetDeployments: not found); stages with \
     auto-deploy off are deployed again";

/// Warnings about the configuration and about what could not be read.
pub fn notes(prep: &Prepared<Ws>) -> Vec<String> {
    let mut n = prep.desired.notes.clone();
    if let Some(o) = &prep.observed {
        n.extend(o.notes.iter().cloned());
        let manual = prep.desired.stages.iter().any(|(name, w)| {
            !w.auto_deploy
                .or(o.stages.get(name).and_then(|h| h.settings.auto_deploy))
                .unwrap_or(false)
        });
        if !o.deployments_complete && manual {
            n.push(DEPLOYMENTS_UNREAD.into());
        }
    }
    n
}

/// A stage after `ops` ran: its settings in effect, the deployment it served before, and
/// whether this run deployed it.
pub struct EffectiveStage {
    pub name: String,
    pub settings: Stage,
    pub served: Option<String>,
    pub deployed_now: bool,
}

/// [`EffectiveStage`] of each stage of `stages` after `ops` ran on `observed`.
pub fn effective(
    stages: &BTreeMap<String, Stage>,
    observed: Option<&ObservedWsApi>,
    ops: &[WsOp],
    prune: bool,
) -> Vec<EffectiveStage> {
    stages
        .iter()
        .map(|(name, want)| {
            let have = observed.and_then(|o| o.stages.get(name));
            let settings = stage_after(
                want,
                &have.map(|h| h.settings.clone()).unwrap_or_default(),
                prune,
            );
            let deployed_now = ops.iter().any(|op| match op {
                WsOp::CreateStage {
                    name: n, deploy, ..
                } => n == name && *deploy,
                WsOp::UpdateStage { name: n, update } => n == name && update.deploy,
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

/// [`effective`] for a prepared plan.
pub fn effective_stages(prep: &Prepared<Ws>) -> Vec<EffectiveStage> {
    effective(
        &prep.desired.stages,
        prep.observed.as_ref(),
        &prep.plan.ops,
        prep.opts.prune,
    )
}

/// One stage's report: `eff` are its settings in effect, `deployment_id` what it serves.
pub fn stage_report(
    name: &str,
    eff: &Stage,
    deployment_id: Option<String>,
    api_id: &str,
    region: &str,
) -> StageReport {
    let d = &eff.default_route_settings;
    let access_log_destination = eff.access_log.as_ref().map(|a| a.destination_arn.clone());
    let metrics = d.metrics.unwrap_or(false);
    let logging_level = d.logging_level.clone().unwrap_or_else(|| "OFF".into());
    let data_trace = d.data_trace.unwrap_or(false);
    StageReport {
        invoke_url: wss_url(api_id, region, name),
        callback_url: Some(callback_url(api_id, region, name)),
        deployment_id,
        name: name.to_string(),
        logging_level: logging_level.clone(),
        data_trace,
        metrics,
        throttle_rate: d.throttle_rate,
        throttle_burst: d.throttle_burst,
        tracing: false,
        // WebSocket APIs have no cache and no canary.
        cache: None,
        canary: None,
        shown: vec![
            Shown::Switch("auto-deploy", eff.auto_deploy.unwrap_or(false)),
            Shown::Value("logging", logging_level),
            Shown::Switch("data trace", data_trace),
            Shown::Switch("metrics", metrics),
            Shown::Throttle(d.throttle_rate, d.throttle_burst),
            Shown::AccessLogs(access_log_destination.clone()),
        ],
        routes: eff
            .route_settings
            .iter()
            .map(|(rk, rs)| (rk.clone(), rs.throttle_rate, rs.throttle_burst))
            .collect(),
        access_log_destination,
    }
}

/// The settings in effect per stage after a successful apply (`new_deployment`: the
/// deployment created in this run), with each stage's invoke URL.
pub fn stage_reports(
    prep: &Prepared<Ws>,
    api_id: &str,
    region: &str,
    new_deployment: Option<String>,
) -> Vec<StageReport> {
    effective_stages(prep)
        .into_iter()
        .map(|st| {
            let deployment_id = if st.deployed_now {
                new_deployment.clone()
            } else {
                st.served
            };
            stage_report(&st.name, &st.settings, deployment_id, api_id, region)
        })
        .collect()
}

/// The WebSocket stage `name` serves the API's current configuration (API Gateway deploys every
/// change to a stage with auto-deploy on).
pub fn stage_current(api: &ObservedWsApi, name: &str) -> bool {
    let mark = crate::plan::ws::config_mark(&api.config);
    let auto = api
        .stages
        .get(name)
        .is_some_and(|s| s.settings.auto_deploy.unwrap_or(false));
    auto || crate::plan::ws::serves(&mark, Some(api), name)
}

/// Warnings about what the reader could not read completely (the deployment list only when
/// `manual`, a stage concerned has auto-deploy off: what it serves cannot be known then).
pub fn read_notes(api: &ObservedWsApi, manual: bool) -> Vec<String> {
    let mut n = api.notes.clone();
    if !api.deployments_complete && manual {
        n.push(DEPLOYMENTS_UNREAD.to_string());
    }
    n
}
