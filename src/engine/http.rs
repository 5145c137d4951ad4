//! HTTP APIs (apigatewayv2) as a [`Flavour`], with the stage settings in effect after a run
//! and the notes about what could not be read.

use std::collections::{BTreeMap, BTreeSet};

use crate::aws::error::AwsError;
use crate::aws::exec::http::HttpExecutor;
use crate::aws::exec::{ExecEvent, ExecFailure, ExecReport, MAX_IN_FLIGHT};
use crate::aws::read::http as read_http;
use crate::aws::Clients;
use crate::plan::export::{ExportContext, Exported};
use crate::plan::http::{stage_after, DesiredHttp, HttpPlan};
use crate::plan::HttpOp;
use crate::plan::PlanOptions;
use crate::spec::model::Spec;
use crate::state::http::{invoke_url, ObservedHttpApi, Stage};
use crate::state::rest::ApiSummary;
use crate::state::{function_from_uri, ResolvedFunction};

use super::find::Located;
use super::flavour::{Deploy, Parts, Prepared, Verb};
use super::lifecycle::{deployment_description, named_stages, DEPLOY_REASON};
use super::report::{DeployedStage, KeyReport, ShowStage, Shown, StageReport};
use super::rest::split_qualifier;
use super::{EngineError, Flavour};

/// HTTP APIs.
pub struct Http;

/// `deploy`'s plan options: it never removes settings (per-route settings the spec does not
/// declare stay); `force_deploy` is `--force`.
const DEPLOY_OPTS: PlanOptions = PlanOptions {
    prune: false,
    force_deploy: false,
};

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
    fn read_notes(api: &ObservedHttpApi, manual: bool) -> Vec<String> {
        read_notes(api, manual)
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
        use crate::plan::http::{auto_deploys, config_mark, plan_stages};
        let spec_stages = match &loc.spec {
            Some(s) => {
                crate::plan::http::desired(s, &[], region)
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
        let mut plan = HttpPlan::default();
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
        api: &ObservedHttpApi,
        deploy: &Deploy<Http>,
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

/// The note when the deployment list could not be read and a stage has auto-deploy off.
pub const DEPLOYMENTS_UNREAD: &str =
    "the deployment list could not be read (GetDeployments: not found); stages with \
     auto-deploy off are deployed again";

/// Warnings about the configuration and about what could not be read.
pub fn notes(prep: &Prepared<Http>) -> Vec<String> {
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
    if prep.desired.config.disable_execute_api_endpoint {
        n.push(
            "`disable_execute_api_endpoint` is on: the execute-api URLs below refuse every \
             request; clients need a custom domain name"
                .into(),
        );
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
    observed: Option<&ObservedHttpApi>,
    ops: &[HttpOp],
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
                HttpOp::CreateStage {
                    name: n, deploy, ..
                } => n == name && *deploy,
                HttpOp::UpdateStage { name: n, update } => n == name && update.deploy,
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
pub fn effective_stages(prep: &Prepared<Http>) -> Vec<EffectiveStage> {
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

/// The HTTP stage `name` serves the API's current configuration (API Gateway deploys every
/// change to a stage with auto-deploy on).
pub fn stage_current(api: &ObservedHttpApi, name: &str) -> bool {
    let mark = crate::plan::http::config_mark(&api.config);
    let auto = api
        .stages
        .get(name)
        .is_some_and(|s| s.settings.auto_deploy.unwrap_or(false));
    auto || crate::plan::http::serves(&mark, Some(api), name)
}

/// Warnings about what the reader could not read completely (the deployment list only when
/// `manual`, a stage concerned has auto-deploy off: what it serves cannot be known then).
pub fn read_notes(api: &ObservedHttpApi, manual: bool) -> Vec<String> {
    let mut n = api.notes.clone();
    if !api.deployments_complete && manual {
        n.push(DEPLOYMENTS_UNREAD.to_string());
    }
    n
}
