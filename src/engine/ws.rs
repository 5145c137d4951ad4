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
use crate::plan::ws::{DesiredWs, WsPlan};
use crate::plan::PlanOptions;
use crate::spec::model::Spec;
use crate::state::rest::ApiSummary;
use crate::state::ws::{callback_url, wss_url, ObservedWsApi, RouteSetting, Stage};
use crate::state::{function_from_uri, ResolvedFunction};

use super::find::Located;
use super::flavour::{Deploy, Parts, Prepared, Verb};
use super::report::{DeployedStage, KeyReport, ShowStage, Shown, StageReport};
use super::rest::split_qualifier;
use super::v2;
use super::{EngineError, Flavour};

/// WebSocket APIs.
pub struct Ws;

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
        let mark = crate::plan::ws::config_mark(&api.config);
        v2::show_stages(api, &api.id, &mark, region, stage_report)
    }
    fn read_notes(api: &ObservedWsApi, manual: bool) -> Vec<String> {
        v2::read_notes(api, manual)
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
        let spec_stages = match &loc.spec {
            Some(s) => {
                crate::plan::ws::desired(s, &[], region)
                    .keep_undeclared(Some(&loc.api))
                    .stages
            }
            None => BTreeMap::new(),
        };
        let mark = crate::plan::ws::config_mark(&loc.api.config);
        let (stages, automatic, up_to_date, plan) =
            v2::plan_deploy(&loc.api, &spec_stages, names, &mark, description, force);
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
        v2::deployed_stages(
            api,
            &api.id,
            &deploy.stages,
            &deploy.plan.ops,
            region,
            deployment_id,
            stage_report,
        )
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

/// Warnings about the configuration and about what could not be read.
pub fn notes(prep: &Prepared<Ws>) -> Vec<String> {
    v2::notes(
        &prep.desired.notes,
        &prep.desired.stages,
        prep.observed.as_ref(),
    )
}

/// The settings in effect of a stage after a run.
pub type EffectiveStage = v2::EffectiveStage<RouteSetting>;

/// [`v2::effective`] for a prepared plan.
pub fn effective_stages(prep: &Prepared<Ws>) -> Vec<EffectiveStage> {
    v2::effective(
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
    v2::stage_reports(
        effective_stages(prep),
        api_id,
        region,
        new_deployment,
        stage_report,
    )
}
