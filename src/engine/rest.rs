//! REST APIs (API Gateway v1) as a [`Flavour`], with what only REST has: API keys and usage
//! plans planned with the API, and the stage settings in effect after an apply.

use crate::state::usage::{salt_from_bytes, SALT_LEN};
use std::collections::{BTreeMap, BTreeSet};

use crate::aws::error::AwsError;
use crate::aws::exec::rest::Executor;
use crate::aws::exec::{ExecEvent, ExecFailure, ExecReport, MAX_IN_FLIGHT};
use crate::aws::read::{self, rest as read_rest, usage as read_usage};
use crate::aws::Clients;
use crate::plan::export::{ExportContext, Exported};
use crate::plan::rest::desired::{self, DesiredRest};
use crate::plan::usage::{self, DesiredUsage, KeySource};
use crate::plan::PlanOptions;
use crate::plan::{Op, Plan};
use crate::spec::model::Spec;
use crate::spec::Severity;
use crate::state::rest::{ApiSummary, MethodSetting, ObservedRestApi, Stage};
use crate::state::usage::ObservedUsage;
use crate::state::{function_from_uri, ResolvedFunction};

use super::find::Located;
use super::flavour::{CanaryAction, Deploy, Parts, Prepared, Verb};
use super::lifecycle::{deployment_description, named_stages, DEPLOY_REASON};
use super::report::{
    CacheReport, CanaryReport, DeployedStage, KeyReport, ShowStage, Shown, StageReport,
};
use super::{EngineError, Flavour};

/// The note on a REST API with CORS and Lambda proxy integrations.
pub const PROXY_CORS_NOTE: &str = "Lambda proxy responses pass through API Gateway untouched: \
your functions must set Access-Control-Allow-Origin on their own responses (gwctl configures \
the preflight and the gateway's own error responses)";

/// REST APIs.
pub struct Rest;

impl Flavour for Rest {
    const LABEL: &'static str = "rest api";
    const NAME: &'static str = "rest";
    const OPS_FIELD: &'static str = "ops";
    const SUPPORTS: &'static [Verb] = &[Verb::Cors, Verb::Verify, Verb::Canary];
    const HAS_DEFINITION: bool = true;
    type Observed = ObservedRestApi;
    type Desired = DesiredRest;
    type Op = Op;
    type Extra = DesiredUsage;
    type ObservedExtra = ObservedUsage;
    type StageSettings = Stage;

    fn fingerprinted(api: &ObservedRestApi) -> std::borrow::Cow<'_, ObservedRestApi> {
        std::borrow::Cow::Owned(api.fingerprinted())
    }
    fn api_id(api: &ObservedRestApi) -> &str {
        &api.id
    }
    fn api_name(api: &ObservedRestApi) -> &str {
        &api.config.name
    }
    fn tags(api: &ObservedRestApi) -> &BTreeMap<String, String> {
        &api.tags
    }
    async fn list(clients: &Clients, name: &str) -> Result<Vec<ApiSummary>, AwsError> {
        read_rest::find_rest_apis(clients, name).await
    }
    async fn read(
        clients: &Clients,
        id: &str,
        listed: Option<&ApiSummary>,
    ) -> Result<ObservedRestApi, AwsError> {
        match listed {
            Some(listed) => read_rest::read_listed_rest_api(clients, listed).await,
            None => read_rest::read_rest_api(clients, id).await,
        }
    }
    async fn read_for_spec(
        clients: &Clients,
        spec: &Spec,
        api: &mut ObservedRestApi,
    ) -> Result<(), AwsError> {
        // Models and validators only when the spec declares them (or a method uses them:
        // then `read` has them already): an API without either costs no call.
        if !spec.models.is_empty() || spec.routes.iter().any(|r| r.request.is_some()) {
            read_rest::read_validation(clients, api).await?;
        }
        Ok(())
    }
    fn desired(
        spec: &Spec,
        functions: &[ResolvedFunction],
        region: &str,
        observed: Option<&ObservedRestApi>,
    ) -> DesiredRest {
        desired::rest(spec, functions, region).keep_undeclared(observed)
    }
    fn invoked(api: &ObservedRestApi) -> BTreeSet<(String, Option<String>)> {
        observed_functions(api)
    }
    fn extra(spec: &Spec) -> Result<DesiredUsage, EngineError> {
        usage_from_env(spec)
    }
    async fn read_extra(clients: &Clients, spec: &Spec) -> Result<ObservedUsage, AwsError> {
        read_usage::read_usage(clients, &spec.api.name.value).await
    }
    fn check_extra(
        spec: &Spec,
        extra: &DesiredUsage,
        observed: &ObservedUsage,
    ) -> Result<(), EngineError> {
        check_key_ids(spec, extra, observed)
    }
    fn plan(p: &Parts<'_, Self>, opts: PlanOptions) -> Plan {
        let mut plan = crate::plan::rest::plan(p.desired, p.observed, p.policies, opts);
        usage::plan_usage(
            &mut plan,
            p.extra,
            p.observed_extra,
            p.observed.map(|o| o.id.as_str()),
        );
        plan
    }
    async fn export(
        clients: &Clients,
        api: &ObservedRestApi,
        ctx: &ExportContext,
    ) -> Result<Exported, EngineError> {
        let (usage, foreign) =
            read_usage::read_usage_covering(clients, &api.config.name, Some(&api.id)).await?;
        Ok(crate::plan::rest::export::export(
            api, &usage, &foreign, ctx,
        ))
    }
    fn creates_api(op: &Op) -> bool {
        matches!(op, Op::CreateRestApi { .. })
    }
    fn delete_ours(desired: &DesiredRest, id: &str) -> Vec<Op> {
        let mut ops: Vec<Op> = desired
            .permissions
            .iter()
            .map(|perm| Op::RemovePermission {
                function: perm.function.clone(),
                function_key: perm.function_key.clone(),
                statement_id: perm.statement_id.replace(crate::plan::API_ID, id),
            })
            .collect();
        ops.push(Op::DeleteRestApi { id: id.into() });
        ops
    }
    async fn plan_destroy(clients: &Clients, api: &ObservedRestApi) -> Result<Plan, EngineError> {
        let fns: Vec<_> = observed_functions(api).into_iter().collect();
        let (policies, usage) = tokio::try_join!(
            read::read_policies(clients, &fns),
            read_usage::read_usage(clients, &api.config.name),
        )?;
        // The usage plans and API keys gwctl created for the API go first, then the API.
        let mut plan = Plan::default();
        usage::plan_destroy_usage(&mut plan, &usage);
        usage::append(&mut plan, crate::plan::rest::plan_destroy(api, &policies));
        Ok(plan)
    }
    fn notes(prep: &Prepared<Rest>, applying: bool) -> Vec<String> {
        let has_proxy = prep.spec.cors.is_some()
            && prep.desired.config.resources.values().any(|r| {
                r.methods.values().any(|m| {
                    m.integration
                        .as_ref()
                        .is_some_and(|i| i.kind == "AWS_PROXY")
                })
            });
        let mut notes = Vec::new();
        if applying && has_proxy {
            notes.push(PROXY_CORS_NOTE.to_string());
        }
        if applying && prep.desired.config.endpoint_type == "PRIVATE" {
            notes.push(PRIVATE_NOTE.to_string());
        }
        notes.extend(prep.domain_notes.iter().cloned());
        notes
    }
    fn stages_needing_logging_role(spec: &Spec, region: &str) -> Vec<String> {
        let desired = desired::rest(spec, &[], region);
        desired
            .stages
            .iter()
            .filter_map(|(name, st)| {
                let logs = st.method_settings.values().any(|m| {
                    m.logging_level
                        .as_deref()
                        .is_some_and(|l| !l.eq_ignore_ascii_case("OFF"))
                        || m.data_trace == Some(true)
                });
                let access = st
                    .access_log
                    .as_ref()
                    .is_some_and(|a| a.destination_arn.contains(":logs:"));
                (logs || access).then(|| format!("`{name}`"))
            })
            .collect()
    }
    async fn before_writes(clients: &Clients, ops: &[Op]) -> Result<Option<String>, EngineError> {
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
    fn describe(prep: &Prepared<Rest>) -> Vec<String> {
        api_traits(&prep.desired.config)
    }
    async fn stages_after(
        clients: &Clients,
        prep: &Prepared<Rest>,
        api_id: &str,
        run: Option<&ExecReport>,
    ) -> Vec<StageReport> {
        let mut observed = prep.observed.clone().unwrap_or_default();
        // Report the stage settings in effect as the service now has them (one read), not as
        // predicted: defaults the service fills in show up as they are.
        if run.is_some()
            && prep
                .plan
                .ops
                .iter()
                .any(|op| matches!(op, Op::CreateStage { .. } | Op::UpdateStage { .. }))
        {
            if let Ok(stages) = read_rest::read_stages(clients, api_id).await {
                observed.stages = stages;
            }
        }
        stage_reports(
            &prep.desired.stages,
            &observed,
            api_id,
            &clients.region,
            run.and_then(|r| r.deployment_id.as_deref()),
        )
    }
    async fn keys_after(
        clients: &Clients,
        prep: &Prepared<Rest>,
        run: Option<&ExecReport>,
        show_secrets: bool,
    ) -> Result<Vec<KeyReport>, EngineError> {
        key_reports(clients, prep, run, show_secrets).await
    }
    fn describe_api(api: &ObservedRestApi) -> Vec<String> {
        api_traits(&api.config)
    }
    fn show_stages(api: &ObservedRestApi, region: &str) -> Vec<ShowStage> {
        api.stages
            .iter()
            .map(|(name, st)| {
                let all = st
                    .settings
                    .method_settings
                    .get("*/*")
                    .cloned()
                    .unwrap_or_default();
                let logging_level = all.logging_level.unwrap_or_else(|| "OFF".into());
                let metrics = all.metrics.unwrap_or(false);
                let cache = cache_report(&st.settings);
                let mut shown = vec![
                    Shown::Value("logging", logging_level.clone()),
                    Shown::Switch("metrics", metrics),
                ];
                if let Some(c) = &cache {
                    shown.push(Shown::Value("cache", c.text()));
                }
                let canary = st.settings.canary.as_ref().map(|c| CanaryReport {
                    deployment_id: c.deployment_id.clone(),
                    percent: c.percent.unwrap_or(0.0),
                    current: serves_current(api, c.deployment_id.as_deref()),
                });
                if let Some(c) = &canary {
                    shown.push(Shown::Value("canary", c.text()));
                }
                ShowStage {
                    stage: StageReport {
                        name: name.clone(),
                        invoke_url: invoke_url(&api.id, region, name),
                        callback_url: None,
                        deployment_id: st.deployment_id.clone(),
                        shown,
                        cache,
                        canary,
                        logging_level,
                        data_trace: all.data_trace.unwrap_or(false),
                        metrics,
                        throttle_rate: all.throttle_rate,
                        throttle_burst: all.throttle_burst,
                        tracing: st.settings.tracing_enabled.unwrap_or(false),
                        access_log_destination: st
                            .settings
                            .access_log
                            .as_ref()
                            .map(|a| a.destination_arn.clone()),
                        routes: Vec::new(),
                    },
                    current: stage_current(api, name),
                    auto_deploy: false,
                }
            })
            .collect()
    }
    fn read_notes(_: &ObservedRestApi, _: bool) -> Vec<String> {
        Vec::new()
    }
    fn changed_env_vars(saved: &[Op], now: &[Op]) -> Vec<String> {
        changed_env_vars(saved, now)
    }
    fn reuse_saved(prep: &mut Prepared<Rest>, saved: &[Op]) {
        usage::reuse_salts(&mut prep.plan.ops, saved, &prep.extra);
    }
    async fn put_definition(
        clients: &Clients,
        desired: &DesiredRest,
        api_id: &str,
    ) -> Option<Result<(), AwsError>> {
        use crate::plan::rest::openapi::{render, Mode};
        // What the body cannot carry is left to the planner that runs after it.
        let body = render(&desired.config, Mode::Body).document.to_string();
        Some(crate::aws::definition::put_rest_api(clients, api_id, body.into_bytes()).await)
    }
    fn plan_deploy(
        loc: &Located<Rest>,
        names: &[String],
        description: Option<&str>,
        force: bool,
        region: &str,
    ) -> Deploy<Rest> {
        // Stage settings come from the spec when one is given and declares the stage.
        let spec_stages = match &loc.spec {
            Some(s) => {
                desired::rest(s, &[], region)
                    .keep_undeclared(Some(&loc.api))
                    .stages
            }
            None => BTreeMap::new(),
        };
        let stages = named_stages(names, &spec_stages, |n| {
            loc.api.stages.get(n).map(|s| s.settings.clone())
        });
        let (mark, alias) =
            desired::marks(&loc.api.config, desired::policy_mark(loc.spec.as_ref()));
        let api = desired::with_alias(&loc.api, &mark, alias.as_deref());
        let description = deployment_description(&mark, description);
        let mut plan = Plan::default();
        crate::plan::rest::plan_stages(
            &mut plan,
            Some(&api),
            &stages,
            &mark,
            &description,
            force,
            DEPLOY_REASON,
        );
        Deploy {
            stages,
            automatic: Vec::new(),
            up_to_date: names.to_vec(),
            plan,
        }
    }
    fn plan_canary(
        loc: &Located<Rest>,
        stages: &[String],
        action: CanaryAction,
        description: Option<&str>,
        force: bool,
    ) -> Result<Deploy<Rest>, EngineError> {
        use crate::plan::rest::canary::{self, CanaryError};
        let [stage] = stages else {
            return Err(CanaryError::OneStage.into());
        };
        let stage = stage.as_str();
        let declared = loc
            .spec
            .as_ref()
            .and_then(|s| s.stages.iter().find(|st| st.name.value == stage))
            .and_then(|st| st.canary.clone());
        let plan = match action {
            CanaryAction::Deploy { percent } => {
                let percent = percent
                    .or_else(|| declared.as_ref().and_then(|c| c.percent))
                    .ok_or_else(|| CanaryError::NoPercent(stage.to_string()))?;
                let variables = declared.and_then(|c| c.variables).unwrap_or_default();
                let (mark, alias) =
                    desired::marks(&loc.api.config, desired::policy_mark(loc.spec.as_ref()));
                let api = desired::with_alias(&loc.api, &mark, alias.as_deref());
                let description = deployment_description(&mark, description);
                canary::plan_canary(&api, stage, &mark, &description, percent, &variables, force)?
            }
            CanaryAction::Promote => canary::plan_promote(&loc.api, stage)?,
            CanaryAction::Rollback => canary::plan_rollback(&loc.api, stage)?,
        };
        let settings = loc
            .api
            .stages
            .get(stage)
            .map(|s| s.settings.clone())
            .unwrap_or_default();
        Ok(Deploy {
            stages: BTreeMap::from([(stage.to_string(), settings)]),
            automatic: Vec::new(),
            up_to_date: vec![stage.to_string()],
            plan,
        })
    }
    fn deployed_stages(
        api: &ObservedRestApi,
        deploy: &Deploy<Rest>,
        region: &str,
        deployment_id: Option<&str>,
    ) -> Vec<DeployedStage> {
        stage_reports(&deploy.stages, api, &api.id, region, deployment_id)
            .into_iter()
            .map(|mut stage| {
                stage.shown = vec![
                    Shown::Value("logging", stage.logging_level.clone()),
                    Shown::Switch("metrics", stage.metrics),
                ];
                DeployedStage {
                    stage,
                    auto_deploy: false,
                }
            })
            .collect()
    }
    const DOMAIN_API: Option<crate::aws::read::domains::DomainApi> =
        Some(crate::aws::read::domains::DomainApi::Rest);
    fn domain_op(op: crate::plan::domains::DomainOp) -> Option<Op> {
        Some(Op::Domain(op))
    }
    async fn execute(
        clients: &Clients,
        observed: Option<&ObservedRestApi>,
        ops: &[Op],
        on_event: &mut dyn FnMut(ExecEvent<'_, Op>),
    ) -> Result<ExecReport, ExecFailure> {
        let mut exec = match observed {
            Some(o) => Executor::for_api(clients, o),
            None => Executor::new(clients),
        };
        exec.run_with(ops, on_event, MAX_IN_FLIGHT).await
    }
}

/// Split a (possibly qualified) function ARN into (unqualified, qualifier); anything that
/// is not a Lambda function ARN is returned unchanged (the one ARN parser, in `spec::arn`).
pub use crate::spec::arn::split_qualifier;

/// The Lambda functions a live API invokes (integrations and authorizers), as
/// (unqualified ARN, qualifier).
pub fn observed_functions(o: &ObservedRestApi) -> BTreeSet<(String, Option<String>)> {
    let mut fns = BTreeSet::new();
    for res in o.config.resources.values() {
        for m in res.methods.values() {
            if let Some(uri) = m.integration.as_ref().and_then(|i| i.uri.as_deref()) {
                if let Some(f) = function_from_uri(uri) {
                    fns.insert(split_qualifier(&f));
                }
            }
        }
    }
    for a in o.config.authorizers.values() {
        if let Some(f) = a.authorizer_uri.as_deref().and_then(function_from_uri) {
            fns.insert(split_qualifier(&f));
        }
    }
    fns
}

/// A new salt for one key's value digest: [`SALT_LEN`] bytes from the operating system's
/// random source. Panics only if the OS has no random source at all (then no salt is safe).
pub fn new_salt() -> String {
    let mut salt = [0u8; SALT_LEN];
    getrandom::getrandom(&mut salt).expect("the operating system's random source");
    salt_from_bytes(salt)
}

/// The spec's API keys and usage plans, with the digests of the key values the environment
/// holds; a variable that is missing (or too short a value) gets a diagnostic at the key's line.
fn usage_from_env(spec: &Spec) -> Result<DesiredUsage, EngineError> {
    let env = |var: &str| std::env::var(var).ok();
    usage::desired(spec, &env, &new_salt).map_err(|errors| EngineError::KeyValuesMissing {
        count: errors.len(),
        diagnostics: errors
            .iter()
            .map(|e| {
                crate::spec::diagnostic_at(
                    spec,
                    e.pos(),
                    Severity::Error,
                    e.to_string(),
                    Some(
                        "export the variable before running gwctl (the value is never printed)"
                            .into(),
                    ),
                )
            })
            .collect(),
    })
}

/// Keys the spec references by `id` must exist.
fn check_key_ids(
    spec: &Spec,
    usage: &DesiredUsage,
    observed: &ObservedUsage,
) -> Result<(), EngineError> {
    let diagnostics: Vec<_> = usage
        .keys
        .iter()
        .filter_map(|k| match &k.source {
            KeySource::Existing { id } if !observed.key_names.contains_key(id) => {
                Some(crate::spec::diagnostic_at(
                    spec,
                    k.pos,
                    Severity::Error,
                    format!(
                        "api key `{}` refers to key id `{id}`, which does not exist",
                        k.name
                    ),
                    Some(
                        "check the id (`aws apigateway get-api-keys`) and the region gwctl uses"
                            .into(),
                    ),
                ))
            }
            _ => None,
        })
        .collect();
    if diagnostics.is_empty() {
        return Ok(());
    }
    Err(EngineError::KeyIdsMissing {
        count: diagnostics.len(),
        diagnostics,
    })
}

/// `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`
pub fn invoke_url(api_id: &str, region: &str, stage: &str) -> String {
    format!("https://{api_id}.execute-api.{region}.amazonaws.com/{stage}")
}

/// The stage's cache as a report: `None` while its cache cluster is off.
fn cache_report(st: &Stage) -> Option<CacheReport> {
    if st.cache_cluster_enabled != Some(true) {
        return None;
    }
    let all = st.method_settings.get("*/*");
    Some(CacheReport {
        size: st.cache_cluster_size.clone(),
        ttl_seconds: all.and_then(|a| a.cache_ttl),
        encrypted: all.and_then(|a| a.cache_encrypted).unwrap_or(false),
    })
}

/// The report of each stage of `stages` after a run: its settings in effect (over what
/// `observed` holds) and the deployment it serves (`new_deployment`, created in this run).
pub fn stage_reports(
    stages: &BTreeMap<String, Stage>,
    observed: &ObservedRestApi,
    api_id: &str,
    region: &str,
    new_deployment: Option<&str>,
) -> Vec<StageReport> {
    effective_stages(stages, observed, new_deployment)
        .into_iter()
        .map(|st| {
            let eff = st.settings;
            let all = eff.method_settings.get("*/*").cloned().unwrap_or_default();
            let logging_level = all.logging_level.clone().unwrap_or_else(|| "OFF".into());
            let access_log_destination = eff.access_log.as_ref().map(|a| a.destination_arn.clone());
            let data_trace = all.data_trace.unwrap_or(false);
            let metrics = all.metrics.unwrap_or(false);
            let tracing = eff.tracing_enabled.unwrap_or(false);
            let mut shown = vec![
                Shown::Value("logging", logging_level.clone()),
                Shown::Switch("data trace", data_trace),
                Shown::Switch("metrics", metrics),
                Shown::Switch("tracing", tracing),
                Shown::Throttle(all.throttle_rate, all.throttle_burst),
            ];
            if access_log_destination.is_some() {
                shown.push(Shown::AccessLogs(access_log_destination.clone()));
            }
            let cache = cache_report(&eff);
            if let Some(c) = &cache {
                shown.push(Shown::Value("cache", c.text()));
            }
            StageReport {
                cache,
                canary: None,
                invoke_url: invoke_url(api_id, region, &st.name),
                callback_url: None,
                name: st.name,
                deployment_id: st.deployment_id,
                logging_level,
                data_trace,
                metrics,
                throttle_rate: all.throttle_rate,
                throttle_burst: all.throttle_burst,
                tracing,
                access_log_destination,
                shown,
                routes: Vec::new(),
            }
        })
        .collect()
}

/// The spec's API keys after a run: ids from the run's create answers or from what was read;
/// values only with `show_secrets` (one read that asks for them).
async fn key_reports(
    clients: &Clients,
    prep: &Prepared<Rest>,
    run: Option<&ExecReport>,
    show_secrets: bool,
) -> Result<Vec<KeyReport>, EngineError> {
    use crate::aws::exec::OpOutcome;
    use crate::plan::usage_ops::UsageOp;
    let mut ids = usage::current_key_ids(&prep.extra, &prep.observed_extra);
    if let Some(run) = run {
        for (op, outcome) in prep.plan.ops.iter().zip(&run.outcomes) {
            if let (Op::Usage(UsageOp::CreateApiKey { name, .. }), OpOutcome::Created { id }) =
                (op, outcome)
            {
                ids.insert(name.clone(), Some(id.clone()));
            }
        }
    }
    let values = if show_secrets && !prep.extra.keys.is_empty() {
        let wanted = ids.values().flatten().cloned().collect();
        read_usage::api_key_values(clients, &wanted).await?
    } else {
        Default::default()
    };
    Ok(prep
        .extra
        .keys
        .iter()
        .map(|k| {
            let id = ids.get(&k.name).cloned().flatten();
            KeyReport {
                name: k.name.clone(),
                value: id
                    .as_ref()
                    .and_then(|i| values.get(i))
                    .map(|v| v.value.clone()),
                id,
                source: usage::source_label(&k.source).to_string(),
            }
        })
        .collect())
}

/// The environment variables holding API key values whose key ops differ between the saved
/// plan and planning again (`now`): the value changed since the plan was made. Only names;
/// the ops carry no value.
pub fn changed_env_vars(saved: &[Op], now: &[Op]) -> Vec<String> {
    use crate::plan::usage_ops::UsageOp;
    type ByVar<'a> = BTreeMap<&'a str, Vec<&'a Op>>;
    fn group(ops: &[Op]) -> ByVar<'_> {
        let mut m: ByVar<'_> = BTreeMap::new();
        for op in ops {
            if let Op::Usage(UsageOp::CreateApiKey {
                value_from_env: Some(var),
                ..
            }) = op
            {
                m.entry(var.as_str()).or_default().push(op);
            }
        }
        m
    }
    let (a, b) = (group(saved), group(now));
    let vars: BTreeSet<&str> = a.keys().chain(b.keys()).copied().collect();
    vars.into_iter()
        .filter(|v| a.get(v) != b.get(v))
        .map(str::to_string)
        .collect()
}

/// How to give API Gateway a CloudWatch Logs role (`account`: the account id, when known).
pub fn role_hint(account: Option<&str>) -> String {
    format!(
        "create an IAM role that apigateway.amazonaws.com may assume, with the managed policy \
         AmazonAPIGatewayPushToCloudWatchLogs, then run `gwctl doctor --fix-logging-role \
         arn:aws:iam::{}:role/NAME` (it sets the role only while none is set)",
        account.unwrap_or("ACCOUNT")
    )
}

/// Why the ops need the account's CloudWatch role: the first stage change that turns
/// execution logging, data trace or CloudWatch access logging on. Pure.
pub fn logging_reason(ops: &[Op]) -> Option<String> {
    ops.iter().find_map(|op| {
        let Op::UpdateStage { name, patches } = op else {
            return None;
        };
        patches.iter().find_map(|p| {
            let v = p.value.as_deref().unwrap_or_default();
            if p.op == "remove" {
                None
            } else if p.path.ends_with("/logging/loglevel") && !v.eq_ignore_ascii_case("OFF") {
                Some(format!("stage `{name}` logs at {v}"))
            } else if p.path.ends_with("/logging/dataTrace") && v == "true" {
                Some(format!("stage `{name}` turns on data trace"))
            } else if p.path == "/accessLogSettings/destinationArn" && v.contains(":logs:") {
                Some(format!(
                    "stage `{name}` sends access logs to CloudWatch Logs"
                ))
            } else {
                None
            }
        })
    })
}

/// A stage after a run: the settings in effect, and the deployment it serves.
pub struct EffectiveStage {
    pub name: String,
    pub settings: Stage,
    pub deployment_id: Option<String>,
}

/// The settings in effect per stage of `stages` (what the spec manages, over what `observed`
/// holds), and the deployment each serves (`new_deployment`, created in this run, if any).
pub fn effective_stages(
    stages: &BTreeMap<String, Stage>,
    observed: &ObservedRestApi,
    new_deployment: Option<&str>,
) -> Vec<EffectiveStage> {
    stages
        .iter()
        .map(|(name, want)| {
            let have = observed.stages.get(name);
            let mut settings: Stage = have.map(|h| h.settings.clone()).unwrap_or_default();
            overlay(&mut settings, want);
            EffectiveStage {
                name: name.clone(),
                settings,
                deployment_id: new_deployment
                    .map(str::to_string)
                    .or_else(|| have.and_then(|h| h.deployment_id.clone())),
            }
        })
        .collect()
}

/// `want`'s settings over `eff`: what the spec sets wins, the rest stays as it was.
fn overlay(eff: &mut Stage, want: &Stage) {
    if want.description.is_some() {
        eff.description = want.description.clone();
    }
    eff.variables = want.variables.clone();
    for (k, w) in &want.method_settings {
        let e: &mut MethodSetting = eff.method_settings.entry(k.clone()).or_default();
        if w.logging_level.is_some() {
            e.logging_level = w.logging_level.clone();
        }
        if w.data_trace.is_some() {
            e.data_trace = w.data_trace;
        }
        if w.metrics.is_some() {
            e.metrics = w.metrics;
        }
        if w.throttle_rate.is_some() {
            e.throttle_rate = w.throttle_rate;
        }
        if w.throttle_burst.is_some() {
            e.throttle_burst = w.throttle_burst;
        }
        if w.caching_enabled.is_some() {
            e.caching_enabled = w.caching_enabled;
        }
        if w.cache_ttl.is_some() {
            e.cache_ttl = w.cache_ttl;
        }
        if w.cache_encrypted.is_some() {
            e.cache_encrypted = w.cache_encrypted;
        }
    }
    if want.cache_cluster_enabled.is_some() {
        eff.cache_cluster_enabled = want.cache_cluster_enabled;
        if want.cache_cluster_enabled == Some(false) {
            eff.cache_cluster_size = None;
        } else if eff.cache_cluster_size.is_none() {
            // API Gateway's size for a cluster turned on without one.
            eff.cache_cluster_size = Some("0.5".into());
        }
    }
    if want.cache_cluster_size.is_some() {
        eff.cache_cluster_size = want.cache_cluster_size.clone();
    }
    if want.tracing_enabled.is_some() {
        eff.tracing_enabled = want.tracing_enabled;
    }
    if want.access_log.is_some() {
        eff.access_log = want.access_log.clone();
    }
}

/// The REST stage `name` serves the API's current configuration.
pub fn stage_current(api: &ObservedRestApi, name: &str) -> bool {
    serves_current(
        api,
        api.stages
            .get(name)
            .and_then(|st| st.deployment_id.as_deref()),
    )
}

/// The deployment `id` of `api` serves the API's current configuration (with or without
/// its resource policy: whether a spec declares it is not known here, see
/// `desired::marks`).
fn serves_current(api: &ObservedRestApi, id: Option<&str>) -> bool {
    use crate::plan::rest::desired::{marks, PolicyMark};
    let (mark, alias) = marks(&api.config, PolicyMark::Unknown);
    id.and_then(|d| api.deployments.get(d)).is_some_and(|d| {
        [Some(mark.as_str()), alias.as_deref()]
            .into_iter()
            .flatten()
            .any(|m| crate::plan::deployment_serves(d.description.as_deref(), m))
    })
}

/// Why the invoke URLs of a private API fail from where gwctl runs.
const PRIVATE_NOTE: &str = "the api is PRIVATE: its invoke URLs answer only inside a VPC with an \
execute-api interface endpoint (private DNS on), or at \
https://{api-id}-{vpce-id}.execute-api.{region}.amazonaws.com/{stage} through an endpoint in \
`vpc_endpoint_ids`; the resource policy decides who may call it";

/// How a REST API reads after its name and id: `rest, PRIVATE, resource policy (2
/// statements), vpc endpoints vpce-...`.
fn api_traits(config: &crate::state::rest::RestApi) -> Vec<String> {
    let mut out = vec![Rest::NAME.to_string(), config.endpoint_type.to_string()];
    if let Some(p) = &config.policy {
        let n = p["Statement"].as_array().map_or(0, Vec::len);
        let s = if n == 1 { "" } else { "s" };
        out.push(format!("resource policy ({n} statement{s})"));
    }
    if !config.vpc_endpoint_ids.is_empty() {
        out.push(format!(
            "vpc endpoints {}",
            config.vpc_endpoint_ids.join(" ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::rest::ops::Patch;

    fn stage(patches: Vec<Patch>) -> Op {
        Op::UpdateStage {
            name: "prod".into(),
            patches,
        }
    }

    #[test]
    fn only_stage_changes_that_turn_cloudwatch_logging_on_need_the_role() {
        assert_eq!(logging_reason(&[]), None);
        assert_eq!(
            logging_reason(&[stage(vec![
                Patch::replace("/*/*/metrics/enabled", "true"),
                Patch::replace("/*/*/logging/loglevel", "OFF"),
                Patch::replace("/*/*/logging/dataTrace", "false"),
                Patch::replace(
                    "/accessLogSettings/destinationArn",
                    "arn:aws:firehose:us-east-1:123456789012:deliverystream/amazon-apigateway-x"
                ),
            ])]),
            None
        );
        assert_eq!(
            logging_reason(&[stage(vec![Patch::replace("/*/*/logging/loglevel", "INFO")])])
                .as_deref(),
            Some("stage `prod` logs at INFO")
        );
        assert_eq!(
            logging_reason(&[stage(vec![Patch::replace(
                "/~1todos/GET/logging/dataTrace",
                "true"
            )])])
            .as_deref(),
            Some("stage `prod` turns on data trace")
        );
        assert_eq!(
            logging_reason(&[stage(vec![Patch::replace(
                "/accessLogSettings/destinationArn",
                "arn:aws:logs:us-east-1:123456789012:log-group:api"
            )])])
            .as_deref(),
            Some("stage `prod` sends access logs to CloudWatch Logs")
        );
    }

    #[test]
    fn stages_logging_to_cloudwatch_need_the_accounts_role() {
        let load = |yaml: &str| {
            let loaded = crate::spec::load_str(std::path::Path::new("t.yaml"), yaml);
            loaded.spec.expect("valid spec")
        };
        let todo = include_str!("../../specs/todo.yaml");
        assert_eq!(
            Rest::stages_needing_logging_role(&load(todo), "us-east-1"),
            vec!["`prod`".to_string()]
        );
        let quiet = todo.replace("logging: INFO", "logging: OFF");
        assert_ne!(quiet, todo);
        assert!(Rest::stages_needing_logging_role(&load(&quiet), "us-east-1").is_empty());
        // HTTP APIs deliver their access logs without the account's role.
        let http = include_str!("../../specs/items-http.yaml");
        assert!(
            crate::engine::Http::stages_needing_logging_role(&load(http), "us-east-1").is_empty()
        );
    }

    /// `show` says what a stage's canary serves and its share (issue 18 item 5).
    #[test]
    fn show_reports_the_canary_and_whether_it_serves_the_current_configuration() {
        use crate::state::rest::{Canary, Deployment, ObservedStage};
        let mut api = ObservedRestApi {
            id: "a1".into(),
            ..Default::default()
        };
        let mark = crate::plan::rest::desired::config_mark(&api.config);
        for (id, desc) in [("d1", "gwctl:config=old"), ("d2", mark.as_str())] {
            api.deployments.insert(
                id.into(),
                Deployment {
                    id: id.into(),
                    description: Some(desc.into()),
                },
            );
        }
        let mut st = ObservedStage {
            deployment_id: Some("d1".into()),
            ..Default::default()
        };
        st.settings.canary = Some(Canary {
            deployment_id: Some("d2".into()),
            percent: Some(10.0),
            variables: Some(Default::default()),
        });
        api.stages.insert("prod".into(), st);
        api.stages.insert("dev".into(), ObservedStage::default());
        let shown = Rest::show_stages(&api, "us-east-1");
        let prod = shown.iter().find(|s| s.stage.name == "prod").unwrap();
        assert_eq!(
            prod.stage.canary,
            Some(CanaryReport {
                deployment_id: Some("d2".into()),
                percent: 10.0,
                current: true,
            })
        );
        assert!(prod.stage.shown.contains(&Shown::Value(
            "canary",
            "10% on deployment d2 (current)".into()
        )));
        let dev = shown.iter().find(|s| s.stage.name == "dev").unwrap();
        assert_eq!(dev.stage.canary, None);
    }

    #[test]
    fn each_new_salt_is_fresh_and_has_the_salt_length() {
        let (a, b) = (new_salt(), new_salt());
        assert_ne!(a, b, "each key gets its own salt");
        assert_eq!(a.len(), SALT_LEN * 2);
        assert!(crate::state::usage::ValueTag::new_keyed("a-value", a).is_some());
    }

    #[test]
    fn function_arn_is_taken_from_integration_uri() {
        let uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:todo-get:live/invocations";
        let f = function_from_uri(uri).unwrap();
        assert_eq!(
            f,
            "arn:aws:lambda:us-east-1:123456789012:function:todo-get:live"
        );
        assert_eq!(
            split_qualifier(&f),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:todo-get".to_string(),
                Some("live".to_string())
            )
        );
        assert_eq!(function_from_uri("https://example.com/x"), None);
    }

    #[test]
    fn only_lambda_function_arns_are_split() {
        // An eight-part ARN of another service has no qualifier to split off.
        let arn = "arn:aws:states:us-east-1:123456789012:execution:machine:run";
        assert_eq!(split_qualifier(arn), (arn.to_string(), None));
    }

    /// A saved plan made by a build that did not read the stage cache settings is not
    /// refused after upgrading: a stage without caching, read now (every cache field at the
    /// service's default), fingerprints as that build read it (no cache field).
    #[test]
    fn a_stage_without_caching_fingerprints_as_before_gwctl_read_the_cache() {
        use crate::engine::Prepared;
        use crate::state::rest::{MethodSetting, ObservedStage, Stage};
        let spec = crate::plan::rest::tests::spec(
            "api: {name: a}\nfunctions: {f: f}\nroutes:\n  - {path: /x, method: GET, function: f}\nstages: {prod: {}}\n",
        );
        let prepared = |settings: Stage| Prepared::<Rest> {
            desired: desired::rest(&spec, &[], "eu-west-1"),
            spec: spec.clone(),
            functions: Vec::new(),
            observed: Some(ObservedRestApi {
                id: "a1".into(),
                stages: BTreeMap::from([(
                    "prod".to_string(),
                    ObservedStage {
                        deployment_id: Some("d1".into()),
                        settings,
                    },
                )]),
                ..Default::default()
            }),
            owned: true,
            policies: Default::default(),
            plan: Plan::default(),
            opts: Default::default(),
            extra: Default::default(),
            observed_extra: Default::default(),
            domains: None,
            domain_notes: Vec::new(),
        };
        // As a build before caching read the stage: no cache field.
        let logging = MethodSetting {
            logging_level: Some("INFO".into()),
            data_trace: Some(false),
            metrics: Some(true),
            throttle_rate: Some(10.0),
            throttle_burst: Some(5),
            ..Default::default()
        };
        let before = Stage {
            tracing_enabled: Some(false),
            method_settings: BTreeMap::from([("*/*".to_string(), logging.clone())]),
            ..Default::default()
        };
        // As this build reads it: every cache field at the service's default.
        let now = Stage {
            cache_cluster_enabled: Some(false),
            method_settings: BTreeMap::from([(
                "*/*".to_string(),
                MethodSetting {
                    caching_enabled: Some(false),
                    cache_ttl: Some(300),
                    cache_encrypted: Some(false),
                    ..logging
                },
            )]),
            ..before.clone()
        };
        let saved = prepared(before).fingerprint("eu-west-1");
        assert_eq!(prepared(now.clone()).fingerprint("eu-west-1"), saved);
        // A cache setting away from its default is still seen.
        let changes: [fn(&mut Stage); 4] = [
            |s: &mut Stage| s.cache_cluster_enabled = Some(true),
            |s: &mut Stage| s.method_settings.get_mut("*/*").unwrap().cache_ttl = Some(60),
            |s: &mut Stage| s.method_settings.get_mut("*/*").unwrap().caching_enabled = Some(true),
            |s: &mut Stage| s.method_settings.get_mut("*/*").unwrap().cache_encrypted = Some(true),
        ];
        for change in changes {
            let mut changed = now.clone();
            change(&mut changed);
            assert_ne!(prepared(changed).fingerprint("eu-west-1"), saved);
        }
    }
}
