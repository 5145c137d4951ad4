//! HTTP APIs (apigatewayv2) as a [`Flavour`], with the stage settings in effect after a run
//! and the notes about what could not be read.

use std::collections::{BTreeMap, BTreeSet};

use crate::aws::error::AwsError;
use crate::aws::exec::http::HttpExecutor;
use crate::aws::exec::{ExecEvent, ExecFailure, ExecReport, MAX_IN_FLIGHT};
use crate::aws::read::http as read_http;
use crate::aws::Clients;
use crate::plan::export::{ExportContext, Exported};
use crate::plan::http::{DesiredHttp, HttpPlan};
use crate::plan::HttpOp;
use crate::plan::PlanOptions;
use crate::spec::model::Spec;
use crate::state::http::{invoke_url, ObservedHttpApi, RouteSetting, Stage};
use crate::state::rest::ApiSummary;
use crate::state::{function_from_uri, ResolvedFunction};

use super::find::Located;
use super::flavour::{Deploy, Parts, Prepared, Verb};
use super::report::{DeployedStage, KeyReport, ShowStage, Shown, StageReport};
use super::rest::split_qualifier;
use super::v2;
use super::{EngineError, Flavour};

/// HTTP APIs.
pub struct Http;

impl Flavour for Http {
    const LABEL: &'static str = "http api";
    const NAME: &'static str = "http";
    const OPS_FIELD: &'static str = "http_ops";
    const SUPPORTS: &'static [Verb] = &[];
    type Observed = ObservedHttpApi;
    type Desired = DesiredHttp;
    type Op = HttpOp;
    type Extra = ();
    type ObservedExtra = ();
    type StageSettings = Stage;

    fn api_id(api: &ObservedHttpApi) -> &str {
        &api.id
    }
    fn api_name(api: &ObservedHttpApi) -> &str {
        &api.config.name
    }
    fn tags(api: &ObservedHttpApi) -> &BTreeMap<String, String> {
        &api.tags
    }
    async fn list(clients: &Clients, name: &str) -> Result<Vec<ApiSummary>, AwsError> {
        read_http::find_http_apis(clients, name).await
    }
    async fn read(
        clients: &Clients,
        id: &str,
        _listed: Option<&ApiSummary>,
    ) -> Result<ObservedHttpApi, AwsError> {
        read_http::read_http_api(clients, id).await
    }
    fn desired(
        spec: &Spec,
        functions: &[ResolvedFunction],
        region: &str,
        observed: Option<&ObservedHttpApi>,
    ) -> DesiredHttp {
        crate::plan::http::desired(spec, functions, region).keep_undeclared(observed)
    }
    fn invoked(api: &ObservedHttpApi) -> BTreeSet<(String, Option<String>)> {
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
    fn plan(p: &Parts<'_, Self>, opts: PlanOptions) -> HttpPlan {
        crate::plan::http::plan(p.desired, p.observed, p.policies, opts)
    }
    async fn export(
        _: &Clients,
        api: &ObservedHttpApi,
        ctx: &ExportContext,
    ) -> Result<Exported, EngineError> {
        Ok(crate::plan::http::export::export(api, ctx))
    }
    fn creates_api(op: &HttpOp) -> bool {
        matches!(op, HttpOp::CreateApi { .. })
    }
    fn delete_ours(desired: &DesiredHttp, id: &str) -> Vec<HttpOp> {
        let mut ops: Vec<HttpOp> = desired
            .permissions
            .iter()
            .map(|perm| HttpOp::RemovePermission {
                function: perm.function.clone(),
                function_key: perm.function_key.clone(),
                statement_id: perm.statement_id.replace(crate::plan::API_ID, id),
            })
            .collect();
        ops.push(HttpOp::DeleteApi { id: id.into() });
        ops
    }
    async fn plan_destroy(
        clients: &Clients,
        api: &ObservedHttpApi,
    ) -> Result<HttpPlan, EngineError> {
        let fns: Vec<_> = observed_functions(api).into_iter().collect();
        let policies = crate::aws::read::read_policies(clients, &fns).await?;
        Ok(crate::plan::http::plan_destroy(api, &policies))
    }
    fn notes(prep: &Prepared<Http>, _applying: bool) -> Vec<String> {
        let mut n = notes(prep);
        n.extend(prep.domain_notes.iter().cloned());
        n
    }
    fn stages_needing_logging_role(_: &Spec, _: &str) -> Vec<String> {
        // HTTP APIs deliver access logs through CloudWatch Logs log delivery (the caller's
        // `logs:CreateLogDelivery`), not through the account's CloudWatch Logs role.
        Vec::new()
    }
    async fn before_writes(_: &Clients, _: &[HttpOp]) -> Result<Option<String>, EngineError> {
        Ok(None)
    }
    fn describe(_: &Prepared<Http>) -> Vec<String> {
        vec![Self::NAME.to_string()]
    }
    async fn stages_after(
        clients: &Clients,
        prep: &Prepared<Http>,
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
        _: &Prepared<Http>,
        _: Option<&ExecReport>,
        _: bool,
    ) -> Result<Vec<KeyReport>, EngineError> {
        Ok(Vec::new())
    }
    fn describe_api(_: &ObservedHttpApi) -> Vec<String> {
        vec![Self::NAME.to_string()]
    }
    fn show_stages(api: &ObservedHttpApi, region: &str) -> Vec<ShowStage> {
        let mark = crate::plan::http::config_mark(&api.config);
        v2::show_stages(api, &api.id, &mark, region, stage_report)
    }
    fn read_notes(api: &ObservedHttpApi, manual: bool) -> Vec<String> {
        v2::read_notes(api, manual)
    }
    fn changed_env_vars(_: &[HttpOp], _: &[HttpOp]) -> Vec<String> {
        Vec::new()
    }
    fn reuse_saved(_: &mut Prepared<Http>, _: &[HttpOp]) {}
    fn plan_deploy(
        loc: &Located<Http>,
        names: &[String],
        description: Option<&str>,
        force: bool,
        region: &str,
    ) -> Deploy<Http> {
        let spec_stages = match &loc.spec {
            Some(s) => {
                crate::plan::http::desired(s, &[], region)
                    .keep_undeclared(Some(&loc.api))
                    .stages
            }
            None => BTreeMap::new(),
        };
        let mark = crate::plan::http::config_mark(&loc.api.config);
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
        api: &ObservedHttpApi,
        deploy: &Deploy<Http>,
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
    const DOMAIN_API: Option<crate::aws::read::domains::DomainApi> =
        Some(crate::aws::read::domains::DomainApi::Http);
    fn domain_op(op: crate::plan::domains::DomainOp) -> Option<HttpOp> {
        Some(HttpOp::Domain(op))
    }
    async fn execute(
        clients: &Clients,
        observed: Option<&ObservedHttpApi>,
        ops: &[HttpOp],
        on_event: &mut dyn FnMut(ExecEvent<'_, HttpOp>),
    ) -> Result<ExecReport, ExecFailure> {
        let mut exec = match observed {
            Some(o) => HttpExecutor::for_api(clients, o),
            None => HttpExecutor::new(clients),
        };
        exec.run_with(ops, on_event, MAX_IN_FLIGHT).await
    }
}

/// The Lambda functions a live HTTP API invokes (Lambda integrations and authorizers), as
/// (unqualified ARN, qualifier).
pub fn observed_functions(o: &ObservedHttpApi) -> BTreeSet<(String, Option<String>)> {
    let integrations = o
        .config
        .integrations
        .values()
        .filter(|i| i.kind == "AWS_PROXY")
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

/// Warnings about the configuration and about what could not be read.
pub fn notes(prep: &Prepared<Http>) -> Vec<String> {
    let mut n = v2::notes(
        &prep.desired.notes,
        &prep.desired.stages,
        prep.observed.as_ref(),
    );
    if prep.desired.config.disable_execute_api_endpoint {
        n.push(
            "`disable_execute_api_endpoint` is on: the execute-api URLs below refuse every \
             request; clients need a custom domain name"
                .into(),
        );
    }
    n
}

/// The settings in effect of a stage after a run.
pub type EffectiveStage = v2::EffectiveStage<RouteSetting>;

/// [`v2::effective`] for a prepared plan.
pub fn effective_stages(prep: &Prepared<Http>) -> Vec<EffectiveStage> {
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
    let d = eff.default_route_settings;
    let access_log_destination = eff.access_log.as_ref().map(|a| a.destination_arn.clone());
    let metrics = d.metrics.unwrap_or(false);
    StageReport {
        invoke_url: invoke_url(api_id, region, name),
        callback_url: None,
        deployment_id,
        name: name.to_string(),
        // HTTP APIs have access logs, not execution logging.
        logging_level: "OFF".into(),
        data_trace: false,
        metrics,
        throttle_rate: d.throttle_rate,
        throttle_burst: d.throttle_burst,
        tracing: false,
        shown: vec![
            Shown::Switch("auto-deploy", eff.auto_deploy.unwrap_or(false)),
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
        // HTTP APIs have no cache.
        cache: None,
        canary: None,
    }
}

/// The settings in effect per stage after a successful apply (`new_deployment`: the
/// deployment created in this run), with each stage's invoke URL.
pub fn stage_reports(
    prep: &Prepared<Http>,
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
