//! `gwctl apply`, for every kind of API: arguments in, one engine call ([`crate::engine`],
//! generic over the kind's [`Flavour`]), the result rendered as text or JSON. The kind is
//! told apart once, by [`crate::engine::with_flavour`]. Also the pieces other verbs render with
//! (confirmation, stage settings, the report).

use std::io::{BufRead, IsTerminal, Write};
use std::time::Instant;

use crate::aws::exec::ExecFailure;
use crate::aws::Clients;
use crate::engine::domains::DomainReport;
use crate::engine::report::{KeyReport, Shown, StageReport};
use crate::engine::{prepare, Flavour, Prepared};
use crate::output::{
    calls_doc, plan_doc, render_plan, ApiDoc, ApiKeyDoc, ApplyDoc, ErrorDoc, PlanDoc, Printer,
    StageDoc, SCHEMA_VERSION,
};
use crate::plan::PlanOp;
use crate::spec::model::Spec;

use super::planfile::{self, PlanFile};
use super::report::CliReporter;
use super::rest::load_spec_linted;
use super::{connect, ApplyArgs, Failure, GlobalArgs};

pub(super) fn api_doc<F: Flavour>(prep: &Prepared<F>, api_id: Option<String>) -> ApiDoc {
    ApiDoc {
        name: prep.spec.api.name.value.clone(),
        kind: F::NAME.into(),
        id: api_id,
        owned: prep.owned,
        environment: prep.spec.vars.environment.clone(),
        variables: prep.spec.vars.variables.clone(),
    }
}

pub async fn apply(args: &ApplyArgs, g: &GlobalArgs, printer: &Printer) -> Result<i32, Failure> {
    let saved = planfile::load(&args.spec)?;
    // A spec using `${aws.region}` / `${aws.account_id}` is loaded once they are known.
    let early = if super::vars::needs_aws() {
        match &saved {
            Some(pf) => super::rest::precheck(
                std::path::Path::new(&pf.spec_path),
                Some(&pf.spec_text),
                printer,
            )?,
            None => super::rest::precheck(&args.spec, None, printer)?,
        }
        Some(connect(g).await?)
    } else {
        None
    };
    // Lint warnings (routes without authorization) are listed once per apply.
    let spec = match &saved {
        Some(pf) => load_spec_linted(
            std::path::Path::new(&pf.spec_path),
            Some(&pf.spec_text),
            printer,
        )?,
        None => load_spec_linted(&args.spec, None, printer)?,
    };
    if let Some(pf) = &saved {
        // The plan was made with these values: another value is another plan.
        pf.check_vars(&args.spec, &spec.vars)?;
    }
    let clients = match early {
        Some(c) => c,
        None => connect(g).await?,
    };
    crate::engine::with_flavour!(
        spec.api.kind,
        apply_plan_with(&clients, args, printer, spec, saved.as_ref())
    )
}

/// [`apply`] with the clients given and the spec loaded (tests use offline or emulator
/// clients).
pub async fn apply_with<F: Flavour>(
    clients: &Clients,
    args: &ApplyArgs,
    printer: &Printer,
    spec: Spec,
) -> Result<i32, Failure> {
    apply_plan_with::<F>(clients, args, printer, spec, None).await
}

/// [`apply_with`], or with `saved` (a plan file `gwctl plan --out` wrote for this spec):
/// apply exactly its ops, and only if the account is as it was planned (no confirmation:
/// the plan was reviewed).
pub async fn apply_plan_with<F: Flavour>(
    clients: &Clients,
    args: &ApplyArgs,
    printer: &Printer,
    spec: Spec,
    saved: Option<&PlanFile>,
) -> Result<i32, Failure> {
    let started = Instant::now();
    let target = planfile::target(saved, args);
    printer.info(&format!(
        "reading {} `{}` in {}",
        F::LABEL,
        spec.api.name.value,
        clients.region
    ));
    let mut prep = prepare::<F>(clients, spec, &target).await?;
    if let Some(pf) = saved {
        let saved_ops = F::from_any(&pf.saved_ops());
        if let Some(ops) = &saved_ops {
            // What each plan draws afresh (REST: key digest salts) is taken from the saved plan.
            F::reuse_saved(&mut prep, ops);
        }
        // Apply exactly the saved plan, and only if the account is as it was planned.
        pf.check(
            &args.spec,
            &clients.region,
            F::NAME,
            &prep.fingerprint(&clients.region),
            saved_ops.as_deref() == Some(&prep.plan.ops[..]),
            &saved_ops
                .as_deref()
                .map(|ops| F::changed_env_vars(ops, &prep.plan.ops))
                .unwrap_or_default(),
        )?;
    }
    let observed_id = prep.observed.as_ref().map(|o| F::api_id(o).to_string());
    if !printer.json() {
        show_plan(
            printer,
            &prep.spec.api.name.value,
            observed_id.as_deref(),
            &prep.plan,
        );
    }
    let notes = F::notes(&prep, true);

    if prep.plan.is_empty() {
        let id = observed_id.expect("an empty plan means the API exists");
        let stages = F::stages_after(clients, &prep, &id, None).await;
        let keys = F::keys_after(clients, &prep, None, args.show_secrets).await?;
        let domains =
            crate::engine::flavour::domains_after(clients, &prep, Some(&id), false).await?;
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
            keys,
            domains,
        );
        return Ok(crate::exit::OK);
    }

    if let Some(w) = F::before_writes(clients, &prep.plan.ops).await? {
        printer.warn(&w);
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
    let ops = &prep.plan.ops;
    match result {
        Ok(rep) => {
            let api_id = rep.api_id.clone().unwrap_or_default();
            let stages = F::stages_after(clients, &prep, &api_id, Some(&rep)).await;
            let keys = F::keys_after(clients, &prep, Some(&rep), args.show_secrets).await?;
            let domains =
                crate::engine::flavour::domains_after(clients, &prep, Some(&api_id), true).await?;
            report(
                printer, clients, started, &prep, "applied", api_id, stages, None, notes, keys,
                domains,
            );
            Ok(crate::exit::OK)
        }
        Err(fail) => {
            let interrupted = crate::cancel::is_interruption(&fail.error);
            let failed_op = ops
                .get(fail.failed)
                .filter(|_| !interrupted)
                .map(PlanOp::label);
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
                Vec::new(),
                Vec::new(),
            );
            if interrupted {
                // The reporter listed what was and was not applied; block_on exits 130.
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
    printer.data_painted(&render_plan(printer, api_name, api_id, plan));
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
    eprint!("{} [y/N] ", crate::term::escape(question));
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    if matches!(line.trim(), "y" | "Y" | "yes" | "YES") {
        Ok(())
    } else {
        Err(Failure::msg("cancelled; nothing was changed".into(), None))
    }
}

/// A stage's JSON part.
pub(super) fn stage_doc(s: StageReport) -> StageDoc {
    StageDoc {
        name: s.name,
        invoke_url: s.invoke_url,
        callback_url: s.callback_url,
        deployment_id: s.deployment_id,
        logging_level: s.logging_level,
        data_trace: s.data_trace,
        metrics: s.metrics,
        throttle_rate: s.throttle_rate,
        throttle_burst: s.throttle_burst,
        tracing: s.tracing,
        access_log_destination: s.access_log_destination,
        cache: s
            .cache
            .map(|c| crate::output::CacheDoc::of(c.size, c.ttl_seconds, c.encrypted)),
    }
}

/// A stage's settings as text: `metrics on, throttling account default, ...`.
pub(super) fn shown_text(shown: &[Shown]) -> String {
    shown
        .iter()
        .map(|s| match s {
            Shown::Value(label, v) => format!("{label} {v}"),
            Shown::Switch(label, b) => format!("{label} {}", on_off(*b)),
            Shown::Throttle(r, b) => format!("throttling {}", throttle_text(*r, *b)),
            Shown::AccessLogs(Some(a)) => format!("access logs to {a}"),
            Shown::AccessLogs(None) => "access logs off".to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[allow(clippy::too_many_arguments)]
fn report<F: Flavour>(
    printer: &Printer,
    clients: &Clients,
    started: Instant,
    prep: &Prepared<F>,
    result: &str,
    api_id: String,
    stages: Vec<StageReport>,
    error: Option<ErrorDoc>,
    notes: Vec<String>,
    keys: Vec<KeyReport>,
    domains: Vec<DomainReport>,
) {
    let mut body = api_body(prep, &api_id, &stages, &keys);
    body.push_str(&domain_body(&domains));
    emit_report(
        printer,
        clients,
        started,
        ReportParts {
            doc: plan_doc("apply", api_doc(prep, Some(api_id)), &prep.plan),
            result: result.to_string(),
            stages: stages.into_iter().map(stage_doc).collect(),
            error,
            notes,
            api_keys: key_docs(keys),
            domains: domain_docs(domains),
            body,
        },
    );
}

/// The text lines of the spec's custom domains: where DNS must point, and each custom URL.
pub(super) fn domain_body(domains: &[DomainReport]) -> String {
    let mut s = String::new();
    for d in domains {
        let target = match &d.target {
            Some(t) => format!("dns target {} (hosted zone {})", t.name, t.hosted_zone_id),
            None => "dns target - (the domain does not exist)".to_string(),
        };
        s.push_str(&format!("domain   {}  {}, {target}\n", d.name, d.endpoint));
        if let Some(zone) = &d.dns_zone {
            s.push_str(&format!(
                "         alias records A, AAAA kept in hosted zone {zone}\n"
            ));
        }
        for (stage, url) in &d.urls {
            s.push_str(&format!("         {url} -> stage {stage}\n"));
        }
    }
    s
}

/// The custom domains' JSON part.
pub(super) fn domain_docs(domains: Vec<DomainReport>) -> Vec<crate::output::DomainDoc> {
    domains
        .into_iter()
        .map(|d| crate::output::DomainDoc {
            name: d.name,
            endpoint: d.endpoint,
            dns_target: d.target.as_ref().map(|t| t.name.clone()),
            hosted_zone_id: d.target.map(|t| t.hosted_zone_id),
            dns_zone: d.dns_zone,
            mappings: d
                .urls
                .into_iter()
                .map(|(stage, url)| crate::output::MappingDoc { stage, url })
                .collect(),
        })
        .collect()
}

/// The text lines about the API `prep` (`api_id`) after a run: its stages with their
/// settings, and its API keys.
pub(super) fn api_body<F: Flavour>(
    prep: &Prepared<F>,
    api_id: &str,
    stages: &[StageReport],
    keys: &[KeyReport],
) -> String {
    let mut body = format!(
        "api      {} ({api_id}), {}\n",
        prep.spec.api.name.value,
        F::describe(prep).join(", ")
    );
    for st in stages {
        body.push_str(&format!("stage    {}  {}\n", st.name, st.invoke_url));
        if let Some(url) = &st.callback_url {
            body.push_str(&format!("         callback {url}\n"));
        }
        body.push_str(&format!("         {}\n", shown_text(&st.shown)));
        for (route, rate, burst) in &st.routes {
            body.push_str(&format!(
                "         route {route}: throttling {}\n",
                throttle_text(*rate, *burst)
            ));
        }
    }
    for k in keys {
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
    body
}

/// The API keys' JSON part.
pub(super) fn key_docs(keys: Vec<KeyReport>) -> Vec<ApiKeyDoc> {
    keys.into_iter()
        .map(|k| ApiKeyDoc {
            name: k.name,
            id: k.id,
            value: k.value,
            source: k.source,
        })
        .collect()
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
    /// The spec's custom domains (`domains:`).
    pub domains: Vec<crate::output::DomainDoc>,
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
            domains: r.domains,
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
