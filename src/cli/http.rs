//! `gwctl plan` and `gwctl apply` for HTTP APIs (apigatewayv2): the same flow as REST
//! (resolve functions, find the API by name and ownership tag, read, plan, confirm, execute,
//! report) with the HTTP planner, executor and report.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use crate::aws::exec::http::HttpExecutor;
use crate::aws::exec::{ExecEvent, ExecFailure, ExecReport};
use crate::aws::read::http as read_http;
use crate::aws::Clients;
use crate::output::{plan_doc, ApiDoc, Printer, Progress, StageDoc};
use crate::plan::http::{desired, plan as plan_http, stage_after, DesiredHttp, HttpPlan};
use crate::plan::HttpOp;
use crate::plan::PlanOptions;
use crate::spec::model::Spec;
use crate::state::http::{invoke_url, ObservedHttpApi, Stage};
use crate::state::rest::Policies;
use crate::state::ResolvedFunction;

use super::apply::{
    confirm, emit_report, exec_failure, finish_plan, on_off, show_plan, throttle_text, ReportParts,
};
use super::planfile::{self, PlanFile, SavedOps};
use super::rest::{
    find_by, function_from_uri, is_owned, read_policies_for, resolve_or_report, split_qualifier,
    Target,
};
use super::{connect, ApplyArgs, Failure, GlobalArgs, PlanArgs};

/// Everything `plan` computed for an HTTP API, kept for `apply` to execute and report.
pub struct PreparedHttp {
    pub spec: Spec,
    pub functions: Vec<ResolvedFunction>,
    pub desired: DesiredHttp,
    pub observed: Option<ObservedHttpApi>,
    /// gwctl created this API (ownership tag present), or will create it.
    pub owned: bool,
    pub policies: Policies,
    pub plan: HttpPlan,
    /// Plan options in effect (`prune` is true for owned APIs).
    pub opts: PlanOptions,
}

/// Find the HTTP API the spec describes: by name plus gwctl's ownership tag, or by `--api-id`.
pub async fn find_api(
    clients: &Clients,
    spec: &Spec,
    target: &Target,
) -> Result<Option<(ObservedHttpApi, bool)>, Failure> {
    find_by(
        spec,
        target,
        "http api",
        |id, _| async move { read_http::read_http_api(clients, &id).await },
        || read_http::find_http_apis(clients, &spec.api.name.value),
        |a: &ObservedHttpApi| (a.config.name.clone(), is_owned(&a.tags)),
    )
    .await
}

/// Read everything and plan. Makes only read calls.
pub async fn prepare(
    clients: &Clients,
    spec: Spec,
    target: &Target,
    printer: &Printer,
) -> Result<PreparedHttp, Failure> {
    let functions = resolve_or_report(clients, &spec, printer).await?;
    let (observed, owned) = match find_api(clients, &spec, target).await? {
        Some((api, owned)) => (Some(api), owned),
        None => (None, true),
    };
    // Settings the spec leaves out keep their live values (for the plan and the report).
    let desired = desired(&spec, &functions, &clients.region).keep_undeclared(observed.as_ref());

    let invoked = observed
        .as_ref()
        .map(observed_functions)
        .unwrap_or_default();
    let policies = read_policies_for(clients, &functions, invoked).await?;

    let opts = PlanOptions {
        prune: owned || target.prune,
        force_deploy: target.force_deploy,
    };
    let plan = plan_http(&desired, observed.as_ref(), &policies, opts);
    Ok(PreparedHttp {
        spec,
        functions,
        desired,
        observed,
        owned,
        policies,
        plan,
        opts,
    })
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

fn api_doc(prep: &PreparedHttp, api_id: Option<String>) -> ApiDoc {
    ApiDoc {
        name: prep.spec.api.name.value.clone(),
        kind: "http".into(),
        id: api_id,
        owned: prep.owned,
    }
}

/// The note when the deployment list could not be read and a stage has auto-deploy off.
pub(super) const DEPLOYMENTS_UNREAD: &str =
    "the deployment list could not be read (GetDeployments: not found); stages with \
     auto-deploy off are deployed again";

/// Warnings about the configuration and about what could not be read.
fn notes(prep: &PreparedHttp) -> Vec<String> {
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

/// `gwctl plan` for an HTTP API spec (already loaded and validated).
pub async fn plan(
    args: &PlanArgs,
    g: &GlobalArgs,
    printer: &Printer,
    spec: Spec,
) -> Result<i32, Failure> {
    let clients = connect(g).await?;
    plan_with(&clients, args, printer, spec).await
}

/// [`plan`] with the clients given (tests use offline or emulator clients).
pub async fn plan_with(
    clients: &Clients,
    args: &PlanArgs,
    printer: &Printer,
    spec: Spec,
) -> Result<i32, Failure> {
    let target = Target {
        api_id: args.api_id.clone(),
        prune: args.prune,
        force_deploy: false,
        ..Default::default()
    };
    let prep = prepare(clients, spec, &target, printer).await?;
    let api_id = prep.observed.as_ref().map(|o| o.id.clone());
    finish_plan(
        args,
        printer,
        clients,
        api_doc(&prep, api_id),
        &prep.plan,
        || {
            (
                planfile::fingerprint_http(&prep, &clients.region),
                SavedOps::Http(prep.plan.ops.clone()),
            )
        },
        &notes(&prep),
    )
}

/// `gwctl apply` for an HTTP API spec (already loaded and validated).
pub async fn apply(
    args: &ApplyArgs,
    g: &GlobalArgs,
    printer: &Printer,
    spec: Spec,
) -> Result<i32, Failure> {
    let clients = connect(g).await?;
    apply_with(&clients, args, printer, spec).await
}

/// [`apply`] with the clients given (tests use offline or emulator clients).
pub async fn apply_with(
    clients: &Clients,
    args: &ApplyArgs,
    printer: &Printer,
    spec: Spec,
) -> Result<i32, Failure> {
    apply_plan_with(clients, args, printer, spec, None).await
}

/// [`apply_with`], or with `saved` (a plan file `gwctl plan --out` wrote for this spec):
/// apply exactly its ops, and only if the account is as it was planned (no confirmation:
/// the plan was reviewed).
pub async fn apply_plan_with(
    clients: &Clients,
    args: &ApplyArgs,
    printer: &Printer,
    spec: Spec,
    saved: Option<&PlanFile>,
) -> Result<i32, Failure> {
    let started = Instant::now();
    let target = planfile::target(saved, args);
    printer.info(&format!(
        "reading http api `{}` in {}",
        spec.api.name.value, clients.region
    ));
    let prep = prepare(clients, spec, &target, printer).await?;
    if let Some(pf) = saved {
        pf.check(
            &args.spec,
            &clients.region,
            "http",
            &planfile::fingerprint_http(&prep, &clients.region),
            prep.plan.ops == pf.http_ops,
            &[],
        )?;
    }
    let observed_id = prep.observed.as_ref().map(|o| o.id.clone());
    if !printer.json() {
        show_plan(
            printer,
            &prep.spec.api.name.value,
            observed_id.as_deref(),
            &prep.plan,
        );
    }
    let notes = notes(&prep);

    if prep.plan.is_empty() {
        let id = observed_id.expect("an empty plan means the API exists");
        let stages = stage_docs(&prep, &id, &clients.region, None);
        report(
            printer,
            clients,
            started,
            &prep,
            "no_changes",
            id,
            stages,
            None,
            notes,
        );
        return Ok(crate::exit::OK);
    }

    if saved.is_none() {
        confirm(args, printer)?;
    }

    let (prep, result) =
        super::converge::execute_converging(clients, prep, &target, printer).await?;
    let ops = prep.plan.ops.clone();
    match result {
        Ok(rep) => {
            let api_id = rep.api_id.clone().unwrap_or_default();
            let stages = stage_docs(&prep, &api_id, &clients.region, rep.deployment_id.clone());
            report(
                printer, clients, started, &prep, "applied", api_id, stages, None, notes,
            );
            Ok(crate::exit::OK)
        }
        Err(fail) => {
            let interrupted = crate::cancel::is_interruption(&fail.error);
            let failed_op = ops
                .get(fail.failed)
                .filter(|_| !interrupted)
                .map(HttpOp::label);
            let (err, failure) = exec_failure(&fail, failed_op, ops.len());
            let api_id = fail.api_id.clone().unwrap_or_default();
            report(
                printer,
                clients,
                started,
                &prep,
                if interrupted { "interrupted" } else { "failed" },
                api_id,
                Vec::new(),
                Some(err),
                notes,
            );
            if interrupted {
                // run_ops listed what was and was not applied; block_on exits 130.
                return Err(Failure::reported());
            }
            Err(failure.already_json(printer.json()))
        }
    }
}

/// Run HTTP ops with the executor (seeded with the ids of `observed`), showing progress.
pub(super) async fn run_ops(
    clients: &Clients,
    observed: Option<&ObservedHttpApi>,
    ops: &[HttpOp],
    printer: &Printer,
) -> Result<ExecReport, ExecFailure> {
    let progress = Progress::new(printer, ops.len());
    let mut exec = match observed {
        Some(o) => HttpExecutor::for_api(clients, o),
        None => HttpExecutor::new(clients),
    };
    let mut on_event = |e: ExecEvent<HttpOp>| match e {
        ExecEvent::Started { index, op, .. } => progress.start(index, &op.label()),
        ExecEvent::Finished { .. } | ExecEvent::Failed { .. } => progress.finish_one(),
    };
    crate::cancel::set_phase(crate::cancel::Phase::Executing);
    let result = exec
        .run_with(ops, &mut on_event, crate::aws::exec::MAX_IN_FLIGHT)
        .await;
    crate::cancel::set_phase(crate::cancel::Phase::Done);
    progress.done();
    if let Err(f) = &result {
        if crate::cancel::is_interruption(&f.error) {
            let labels: Vec<String> = ops.iter().map(HttpOp::label).collect();
            super::apply::report_interruption(printer, &labels, &f.completed);
        }
    }
    result
}

/// One stage's report: `eff` are its settings in effect, `deployment_id` what it serves.
pub fn stage_doc(
    name: &str,
    eff: &Stage,
    deployment_id: Option<String>,
    api_id: &str,
    region: &str,
) -> StageDoc {
    let d = eff.default_route_settings;
    StageDoc {
        invoke_url: invoke_url(api_id, region, name),
        deployment_id,
        name: name.to_string(),
        // HTTP APIs have access logs, not execution logging.
        logging_level: "OFF".into(),
        data_trace: false,
        metrics: d.metrics.unwrap_or(false),
        throttle_rate: d.throttle_rate,
        throttle_burst: d.throttle_burst,
        tracing: false,
        access_log_destination: eff.access_log.as_ref().map(|a| a.destination_arn.clone()),
    }
}

/// The settings in effect per stage after a successful apply (`new_deployment`: the
/// deployment created in this run), with each stage's invoke URL.
pub fn stage_docs(
    prep: &PreparedHttp,
    api_id: &str,
    region: &str,
    new_deployment: Option<String>,
) -> Vec<StageDoc> {
    effective_stages(prep)
        .into_iter()
        .map(|(name, eff, deployment_id, deployed_now)| {
            let deployment_id = if deployed_now {
                new_deployment.clone()
            } else {
                deployment_id
            };
            stage_doc(&name, &eff, deployment_id, api_id, region)
        })
        .collect()
}

/// (name, settings in effect, deployment served before, deployed in this run) per spec stage.
fn effective_stages(prep: &PreparedHttp) -> Vec<(String, Stage, Option<String>, bool)> {
    effective(
        &prep.desired.stages,
        prep.observed.as_ref(),
        &prep.plan.ops,
        prep.opts.prune,
    )
}

/// [`effective_stages`] of the stages `stages` after `ops` ran on `observed`.
pub(super) fn effective(
    stages: &BTreeMap<String, Stage>,
    observed: Option<&ObservedHttpApi>,
    ops: &[HttpOp],
    prune: bool,
) -> Vec<(String, Stage, Option<String>, bool)> {
    stages
        .iter()
        .map(|(name, want)| {
            let have = observed.and_then(|o| o.stages.get(name));
            let eff = stage_after(
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
            (
                name.clone(),
                eff,
                have.and_then(|h| h.deployment_id.clone()),
                deployed_now,
            )
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn report(
    printer: &Printer,
    clients: &Clients,
    started: Instant,
    prep: &PreparedHttp,
    result: &str,
    api_id: String,
    stages: Vec<StageDoc>,
    error: Option<crate::output::ErrorDoc>,
    notes: Vec<String>,
) {
    let mut body = format!("api      {} ({api_id}), http\n", prep.spec.api.name.value);
    let effective = effective_stages(prep);
    for (st, (_, eff, _, _)) in stages.iter().zip(&effective) {
        body.push_str(&format!("stage    {}  {}\n", st.name, st.invoke_url));
        body.push_str(&format!(
            "         auto-deploy {}, metrics {}, throttling {}, access logs {}\n",
            on_off(eff.auto_deploy.unwrap_or(false)),
            on_off(st.metrics),
            throttle_text(st.throttle_rate, st.throttle_burst),
            st.access_log_destination
                .as_ref()
                .map(|a| format!("to {a}"))
                .unwrap_or_else(|| "off".into())
        ));
        for (rk, rs) in &eff.route_settings {
            body.push_str(&format!(
                "         route {rk}: throttling {}\n",
                throttle_text(rs.throttle_rate, rs.throttle_burst)
            ));
        }
    }
    emit_report(
        printer,
        clients,
        started,
        ReportParts {
            doc: plan_doc("apply", api_doc(prep, Some(api_id)), &prep.plan),
            result: result.to_string(),
            stages,
            error,
            notes,
            api_keys: Vec::new(),
            body,
        },
    );
}
