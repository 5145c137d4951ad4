//! `gwctl plan` and `gwctl apply` for HTTP APIs (apigatewayv2): the same flow as REST
//! (resolve functions, find the API by name and ownership tag, read, plan, confirm, execute,
//! report) with the HTTP planner, executor and report.

use std::time::Instant;

use crate::aws::exec::{ExecFailure, ExecReport};
use crate::aws::Clients;
use crate::engine::http::{effective_stages, notes};
use crate::engine::{prepare, Http};
use crate::output::{plan_doc, ApiDoc, Printer, StageDoc};
use crate::plan::HttpOp;
use crate::spec::model::Spec;
use crate::state::http::{invoke_url, ObservedHttpApi, Stage};

use super::apply::{
    confirm, emit_report, exec_failure, finish_plan, on_off, show_plan, throttle_text, ReportParts,
};
use super::planfile::{self, PlanFile, SavedOps};
use super::report::CliReporter;
use super::rest::Target;
use super::{connect, ApplyArgs, Failure, GlobalArgs, PlanArgs};

/// A prepared HTTP API plan.
pub type PreparedHttp = crate::engine::Prepared<Http>;

fn api_doc(prep: &PreparedHttp, api_id: Option<String>) -> ApiDoc {
    ApiDoc {
        name: prep.spec.api.name.value.clone(),
        kind: "http".into(),
        id: api_id,
        owned: prep.owned,
    }
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
    };
    let prep = prepare::<Http>(clients, spec, &target).await?;
    let api_id = prep.observed.as_ref().map(|o| o.id.clone());
    finish_plan(
        args,
        printer,
        clients,
        api_doc(&prep, api_id),
        &prep.plan,
        || {
            (
                prep.fingerprint(&clients.region),
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
    let prep = prepare::<Http>(clients, spec, &target).await?;
    if let Some(pf) = saved {
        pf.check(
            &args.spec,
            &clients.region,
            "http",
            &prep.fingerprint(&clients.region),
            prep.plan.ops == pf.http_ops,
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

    let (prep, result) = crate::engine::converge::execute_converging(
        clients,
        prep,
        &target,
        &CliReporter::new(printer),
    )
    .await?;
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

/// Run HTTP ops with the engine, showing progress.
pub(super) async fn run_ops(
    clients: &Clients,
    observed: Option<&ObservedHttpApi>,
    ops: &[HttpOp],
    printer: &Printer,
) -> Result<ExecReport, ExecFailure> {
    crate::engine::run::<Http>(clients, observed, ops, &CliReporter::new(printer)).await
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
        .map(|st| {
            let deployment_id = if st.deployed_now {
                new_deployment.clone()
            } else {
                st.served
            };
            stage_doc(&st.name, &st.settings, deployment_id, api_id, region)
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
    for (st, eff) in stages.iter().zip(effective.iter().map(|e| &e.settings)) {
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
