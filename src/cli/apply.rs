//! `gwctl apply` and `gwctl plan` for REST APIs (HTTP API specs are handed to [`super::http`]).

use std::io::{BufRead, IsTerminal, Write};
use std::time::Instant;

use crate::aws::exec::ExecFailure;
use crate::aws::Clients;
use crate::engine::{prepare, Rest};
use crate::output::{
    calls_doc, op_label, plan_doc, render_plan, ApiDoc, ApiKeyDoc, ApplyDoc, ErrorDoc, PlanDoc,
    Printer, StageDoc, SCHEMA_VERSION,
};
use crate::spec::model::ApiKind;
use crate::state::rest::{ObservedRestApi, Stage};

use super::planfile::{self, SavedOps};
use super::report::CliReporter;
use super::rest::{invoke_url, load_spec, load_spec_linted, Prepared, Target};
use super::{connect, ApplyArgs, Failure, GlobalArgs, PlanArgs};

pub(super) const PROXY_CORS_NOTE: &str =
    "Lambda proxy responses pass through API Gateway untouched: \
your functions must set Access-Control-Allow-Origin on their own responses (gwctl configures \
the preflight and the gateway's own error responses)";

fn api_doc(prep: &Prepared, api_id: Option<String>) -> ApiDoc {
    ApiDoc {
        name: prep.spec.api.name.value.clone(),
        kind: "rest".into(),
        id: api_id,
        owned: prep.owned,
    }
}

pub async fn plan(args: &PlanArgs, g: &GlobalArgs, printer: &Printer) -> Result<i32, Failure> {
    let spec = load_spec(&args.spec, printer)?;
    if spec.api.kind == ApiKind::Http {
        return super::http::plan(args, g, printer, spec).await;
    }
    let clients = connect(g).await?;
    let target = Target {
        api_id: args.api_id.clone(),
        prune: args.prune,
        force_deploy: false,
    };
    let prep = prepare::<Rest>(&clients, spec, &target).await?;
    let api_id = prep.observed.as_ref().map(|o| o.id.clone());
    finish_plan(
        args,
        printer,
        &clients,
        api_doc(&prep, api_id),
        &prep.plan,
        || {
            (
                prep.fingerprint(&clients.region),
                SavedOps::Rest(prep.plan.ops.clone()),
            )
        },
        &[],
    )
}

/// The end of `gwctl plan` for either kind of API: the plan file when `--out` is given
/// (`saved` gives the fingerprint of what was read, and the ops), the plan on stdout,
/// `warnings` on stderr, and the exit code.
pub(super) fn finish_plan<O: crate::plan::PlanOp>(
    args: &PlanArgs,
    printer: &Printer,
    clients: &Clients,
    api: ApiDoc,
    plan: &crate::plan::Plan<O>,
    saved: impl FnOnce() -> (String, SavedOps),
    warnings: &[String],
) -> Result<i32, Failure> {
    if let Some(out) = &args.out {
        let (fingerprint, ops) = saved();
        planfile::write_out(
            out,
            args,
            &clients.region,
            api.id.clone(),
            fingerprint,
            ops,
            printer,
        )?;
    }
    if printer.json() {
        printer.document(&plan_doc("plan", api, plan));
    } else {
        show_plan(printer, &api.name, api.id.as_deref(), plan);
    }
    for w in warnings {
        printer.warn(w);
    }
    printer.debug(&format!("{} read calls", clients.calls.len()));
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        crate::exit::CHANGES
    } else {
        crate::exit::OK
    })
}

pub async fn apply(args: &ApplyArgs, g: &GlobalArgs, printer: &Printer) -> Result<i32, Failure> {
    let started = Instant::now();
    let saved = planfile::load(&args.spec)?;
    // Lint warnings (routes without authorization) are listed once per apply.
    let spec = match &saved {
        Some(pf) => load_spec_linted(
            std::path::Path::new(&pf.spec_path),
            Some(&pf.spec_text),
            printer,
        )?,
        None => load_spec_linted(&args.spec, None, printer)?,
    };
    if spec.api.kind == ApiKind::Http {
        let clients = connect(g).await?;
        return super::http::apply_plan_with(&clients, args, printer, spec, saved.as_ref()).await;
    }
    let clients = connect(g).await?;
    let target = planfile::target(saved.as_ref(), args);
    printer.info(&format!(
        "reading rest api `{}` in {}",
        spec.api.name.value, clients.region
    ));
    let prep = prepare::<Rest>(&clients, spec, &target).await?;
    if let Some(pf) = &saved {
        // Apply exactly the saved plan, and only if the account is as it was planned.
        pf.check(
            &args.spec,
            &clients.region,
            "rest",
            &prep.fingerprint(&clients.region),
            prep.plan.ops == pf.ops,
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
    let mut notes = Vec::new();
    let has_proxy = prep.spec.cors.is_some()
        && prep.desired.config.resources.values().any(|r| {
            r.methods.values().any(|m| {
                m.integration
                    .as_ref()
                    .is_some_and(|i| i.kind == "AWS_PROXY")
            })
        });
    if has_proxy {
        notes.push(PROXY_CORS_NOTE.to_string());
    }

    if prep.plan.is_empty() {
        let o = prep
            .observed
            .as_ref()
            .expect("an empty plan means the API exists");
        let stages = stage_docs(&prep.desired.stages, o, &o.id, &clients, None);
        let keys = key_docs(&prep, &[], &[], args.show_secrets, &clients).await?;
        report(
            printer,
            &prep,
            "no_changes",
            o.id.clone(),
            stages,
            &clients,
            started,
            None,
            notes,
            keys,
        );
        return Ok(crate::exit::OK);
    }

    super::doctor::require_logging_role(&clients, &prep.plan.ops, printer).await?;
    if saved.is_none() {
        confirm(args, printer)?;
    }

    let (prep, result) = crate::engine::converge::execute_converging(
        &clients,
        prep,
        &target,
        &CliReporter::new(printer),
    )
    .await?;
    let ops = prep.plan.ops.clone();
    match result {
        Ok(rep) => {
            let api_id = rep.api_id.clone().unwrap_or_default();
            let mut observed = prep.observed.clone().unwrap_or_default();
            // Report the stage settings in effect as the service now has them (one read),
            // not as predicted: defaults the service fills in show up as they are.
            if ops.iter().any(|op| {
                matches!(
                    op,
                    crate::plan::Op::CreateStage { .. } | crate::plan::Op::UpdateStage { .. }
                )
            }) {
                if let Ok(stages) = crate::aws::read::read_stages(&clients, &api_id).await {
                    observed.stages = stages;
                }
            }
            let stages = stage_docs(
                &prep.desired.stages,
                &observed,
                &api_id,
                &clients,
                rep.deployment_id.clone(),
            );
            let keys = key_docs(&prep, &ops, &rep.outcomes, args.show_secrets, &clients).await?;
            report(
                printer, &prep, "applied", api_id, stages, &clients, started, None, notes, keys,
            );
            Ok(crate::exit::OK)
        }
        Err(fail) => {
            let interrupted = crate::cancel::is_interruption(&fail.error);
            let failed_op = ops.get(fail.failed).filter(|_| !interrupted).map(op_label);
            let (err, failure) = exec_failure(&fail, failed_op, ops.len());
            let api_id = fail.api_id.clone().unwrap_or_default();
            report(
                printer,
                &prep,
                if interrupted { "interrupted" } else { "failed" },
                api_id,
                Vec::new(),
                &clients,
                started,
                Some(err),
                notes,
                Vec::new(),
            );
            if interrupted {
                // run_ops listed what was and was not applied; block_on exits 130.
                return Err(Failure::reported());
            }
            Err(failure.already_json(printer.json()))
        }
    }
}

/// The plan as text on stdout.
pub(super) fn show_plan<O: crate::plan::PlanOp>(
    printer: &Printer,
    api_name: &str,
    api_id: Option<&str>,
    plan: &crate::plan::Plan<O>,
) {
    printer.data(&render_plan(printer, api_name, api_id, plan));
}

/// What a run that stopped at `fail` reports: the JSON error part and the message.
pub(super) fn exec_failure(
    fail: &ExecFailure,
    failed_op: Option<String>,
    total: usize,
) -> (ErrorDoc, Failure) {
    let err = ErrorDoc {
        message: fail.error.to_string(),
        failed_call: failed_op.clone(),
        applied_calls: fail.completed.len(),
        not_applied_calls: total - fail.completed.len(),
    };
    let failure = Failure::msg(
        format!(
            "{} failed: {}; {} of {} calls were applied, {} were not",
            failed_op.unwrap_or_default(),
            fail.error,
            err.applied_calls,
            total,
            err.not_applied_calls
        ),
        Some("fix the cause and run `gwctl apply` again: it continues from what exists".into()),
    );
    (err, failure)
}

/// Run REST ops with the engine, showing progress (a bar on a terminal, plain lines otherwise).
pub(super) async fn run_ops(
    clients: &Clients,
    observed: Option<&ObservedRestApi>,
    ops: &[crate::plan::Op],
    printer: &Printer,
) -> Result<crate::aws::exec::ExecReport, ExecFailure> {
    crate::engine::run::<Rest>(clients, observed, ops, &CliReporter::new(printer)).await
}

/// Ask on a terminal unless `--yes`; in CI (no terminal) proceed unless
/// `--require-approval`.
pub(super) fn confirm(args: &ApplyArgs, printer: &Printer) -> Result<(), Failure> {
    confirm_changes(
        args.yes,
        args.require_approval,
        printer,
        "Apply these changes?",
    )
}

/// Ask on a terminal unless `yes`; without a terminal proceed unless `require_approval`.
pub(super) fn confirm_changes(
    yes: bool,
    require_approval: bool,
    printer: &Printer,
    question: &str,
) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    let interactive = std::io::stdin().is_terminal() && printer.stderr_tty;
    if !interactive {
        if require_approval {
            return Err(Failure::msg(
                "changes need approval and there is no terminal to ask on".into(),
                Some("review the plan and re-run with `--yes`".into()),
            ));
        }
        return Ok(());
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    if matches!(line.trim(), "y" | "Y" | "yes" | "YES") {
        Ok(())
    } else {
        Err(Failure::msg("cancelled; nothing was changed".into(), None))
    }
}

/// The settings in effect per stage after a successful apply: what the spec manages,
/// over what was observed.
pub(super) fn stage_docs(
    stages: &std::collections::BTreeMap<String, Stage>,
    observed: &ObservedRestApi,
    api_id: &str,
    clients: &Clients,
    new_deployment: Option<String>,
) -> Vec<StageDoc> {
    crate::engine::rest::effective_stages(stages, observed, new_deployment.as_deref())
        .into_iter()
        .map(|st| {
            let eff = st.settings;
            let all = eff.method_settings.get("*/*").cloned().unwrap_or_default();
            StageDoc {
                invoke_url: invoke_url(api_id, &clients.region, &st.name),
                name: st.name,
                deployment_id: st.deployment_id,
                logging_level: all.logging_level.clone().unwrap_or_else(|| "OFF".into()),
                data_trace: all.data_trace.unwrap_or(false),
                metrics: all.metrics.unwrap_or(false),
                throttle_rate: all.throttle_rate,
                throttle_burst: all.throttle_burst,
                tracing: eff.tracing_enabled.unwrap_or(false),
                access_log_destination: eff.access_log.map(|a| a.destination_arn),
            }
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn report(
    printer: &Printer,
    prep: &Prepared,
    result: &str,
    api_id: String,
    stages: Vec<StageDoc>,
    clients: &Clients,
    started: Instant,
    error: Option<ErrorDoc>,
    notes: Vec<String>,
    api_keys: Vec<ApiKeyDoc>,
) {
    let mut body = format!(
        "api      {} ({api_id}), rest, {}\n",
        prep.spec.api.name.value, prep.desired.config.endpoint_type
    );
    for st in &stages {
        body.push_str(&format!("stage    {}  {}\n", st.name, st.invoke_url));
        body.push_str(&format!(
            "         logging {}, data trace {}, metrics {}, tracing {}, throttling {}{}\n",
            st.logging_level,
            on_off(st.data_trace),
            on_off(st.metrics),
            on_off(st.tracing),
            throttle_text(st.throttle_rate, st.throttle_burst),
            st.access_log_destination
                .as_ref()
                .map(|a| format!(", access logs to {a}"))
                .unwrap_or_default()
        ));
    }
    for k in &api_keys {
        let id = k.id.as_deref().unwrap_or("-");
        match &k.value {
            Some(v) => body.push_str(&format!("api key  {}  {id}  {v}\n", k.name)),
            None => body.push_str(&format!(
                "api key  {}  {id}  (value {}; `--show-secrets` prints it)\n",
                k.name,
                match k.source.as_str() {
                    "generated" => "generated by AWS",
                    "env" => "from the environment",
                    _ => "of an existing key",
                }
            )),
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
            api_keys,
            body,
        },
    );
}

/// An apply report, whatever the API kind.
pub(super) struct ReportParts {
    /// The plan as applied (`plan_doc("apply", ...)`).
    pub doc: PlanDoc,
    /// `applied`, `no_changes`, `failed`.
    pub result: String,
    pub stages: Vec<StageDoc>,
    pub error: Option<ErrorDoc>,
    pub notes: Vec<String>,
    pub api_keys: Vec<ApiKeyDoc>,
    /// Text lines about the API and its stages (kind-specific), shown after the summary.
    pub body: String,
}

/// Print the report: the JSON document, or (unless the run failed, which the error message
/// reports) the summary line, `body`, the calls made, and the notes on stderr.
pub(super) fn emit_report(printer: &Printer, clients: &Clients, started: Instant, r: ReportParts) {
    let calls = clients.calls.snapshot();
    let calls = calls_doc(&calls, started.elapsed().as_secs_f64());
    if printer.json() {
        printer.document(&ApplyDoc {
            schema_version: SCHEMA_VERSION,
            command: "apply".into(),
            api: r.doc.api,
            changes: if r.result == "no_changes" {
                vec![]
            } else {
                r.doc.changes
            },
            result: r.result,
            summary: r.doc.summary,
            stages: r.stages,
            calls,
            error: r.error,
            notes: r.notes,
            api_keys: r.api_keys,
        });
        return;
    }
    if r.error.is_some() {
        return;
    }
    let mut s = String::new();
    if r.result != "no_changes" {
        s.push_str(&format!(
            "applied: {} created, {} changed, {} deleted\n",
            r.doc.summary.create, r.doc.summary.update, r.doc.summary.delete
        ));
    }
    s.push_str(&r.body);
    s.push_str(&format!(
        "calls    {} ({} reads, {} writes{}) in {:.1}s\n",
        calls.total,
        calls.reads,
        calls.writes,
        if calls.retries > 0 {
            format!(", {} retries", calls.retries)
        } else {
            String::new()
        },
        calls.seconds
    ));
    printer.data(&s);
    for n in &r.notes {
        printer.info(&format!("note: {n}"));
    }
}

/// `rate 100 burst 50`, or `account default` when neither is set.
pub(super) fn throttle_text(rate: Option<f64>, burst: Option<i32>) -> String {
    match (rate, burst) {
        (None, None) => "account default".to_string(),
        (r, b) => format!(
            "rate {} burst {}",
            r.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
            b.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
        ),
    }
}

pub(super) fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// The spec's API keys after a successful run: ids from the run's create answers or from
/// what was read; values only with `--show-secrets` (one read that asks for them).
async fn key_docs(
    prep: &Prepared,
    ops: &[crate::plan::Op],
    outcomes: &[crate::aws::exec::OpOutcome],
    show_secrets: bool,
    clients: &Clients,
) -> Result<Vec<ApiKeyDoc>, Failure> {
    use crate::aws::exec::OpOutcome;
    use crate::plan::usage_ops::UsageOp;
    let mut ids = crate::plan::usage::current_key_ids(&prep.extra, &prep.observed_extra);
    for (op, outcome) in ops.iter().zip(outcomes) {
        if let (
            crate::plan::Op::Usage(UsageOp::CreateApiKey { name, .. }),
            OpOutcome::Created { id },
        ) = (op, outcome)
        {
            ids.insert(name.clone(), Some(id.clone()));
        }
    }
    let values = if show_secrets && !prep.extra.keys.is_empty() {
        let wanted = ids.values().flatten().cloned().collect();
        crate::aws::read_usage::api_key_values(clients, &wanted)
            .await
            .map_err(|e| Failure::aws(e, None))?
    } else {
        Default::default()
    };
    Ok(prep
        .extra
        .keys
        .iter()
        .map(|k| {
            let id = ids.get(&k.name).cloned().flatten();
            ApiKeyDoc {
                name: k.name.clone(),
                value: id
                    .as_ref()
                    .and_then(|i| values.get(i))
                    .map(|v| v.value.clone()),
                id,
                source: crate::plan::usage::source_label(&k.source).to_string(),
            }
        })
        .collect())
}
