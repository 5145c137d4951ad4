//! `gwctl plan|apply A.yaml B.yaml ...`: several APIs in one run (docs/cli.md "Several specs
//! in one run"). Every spec is checked before any call; the engine
//! ([`crate::engine::multi`]) reads, plans and applies the APIs at the same time under the
//! run's one pacer; this module renders one combined plan, asks once, and reports each API.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::aws::Clients;
use crate::engine::multi::{
    self, check_distinct, with_any, AnyDoomed, AnyPrepared, AnyRun, Doomed, NotPrepared, Outcome,
    Run,
};
use crate::engine::{Event, Flavour, Prepared, Reporter, Target};
use crate::output::{
    calls_doc, plan_doc, ApiDoc, ApiKeyDoc, CallsDoc, ChangeDoc, ErrorDoc, Printer, StageDoc,
    SummaryDoc, SCHEMA_VERSION,
};
use crate::spec::model::Spec;

use super::apply::{api_body, api_doc, confirm, key_docs, show_plan, stage_doc};
use super::report::report_interruption;
use super::rest::{load_spec, load_spec_linted};
use super::{connect, ApplyArgs, DestroyArgs, Failure, GlobalArgs, PlanArgs};

/// `gwctl apply A.yaml B.yaml ... --output json` (one spec keeps [`crate::output::ApplyDoc`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ManyApplyDoc {
    pub schema_version: u32,
    pub command: String,
    /// `applied` (every API applied or unchanged), `no_changes` (none changed), `failed` (at
    /// least one API failed: see each API's `result`), `interrupted`.
    pub result: String,
    /// One per spec, in the order the specs were given.
    pub apis: Vec<ManyApiDoc>,
    /// Every call of the run (the APIs share the clients, so calls are not split by API).
    pub calls: CallsDoc,
}

/// One API of [`ManyApplyDoc`]: what [`crate::output::ApplyDoc`] says about it, and its spec.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ManyApiDoc {
    /// The spec file, as given.
    pub spec: String,
    /// `applied`, `no_changes`, `failed`, `interrupted`.
    pub result: String,
    pub api: ApiDoc,
    pub changes: Vec<ChangeDoc>,
    pub summary: SummaryDoc,
    pub stages: Vec<StageDoc>,
    pub error: Option<ErrorDoc>,
    pub notes: Vec<String>,
    pub api_keys: Vec<ApiKeyDoc>,
}

/// `gwctl plan A.yaml B.yaml ... --output json` (one spec keeps [`crate::output::PlanDoc`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ManyPlanDoc {
    pub schema_version: u32,
    pub command: String,
    /// One per spec, in the order the specs were given.
    pub apis: Vec<ManyPlanApiDoc>,
}

/// One API of [`ManyPlanDoc`]: what [`crate::output::PlanDoc`] says about it, its spec, and
/// the error when it could not be planned.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ManyPlanApiDoc {
    pub spec: String,
    pub api: ApiDoc,
    pub changes: Vec<ChangeDoc>,
    pub summary: SummaryDoc,
    pub not_in_spec: Vec<String>,
    /// Why this API could not be planned (then `changes` is empty).
    pub error: Option<ErrorDoc>,
}

/// Every spec path of a `plan` or `apply`.
fn paths(first: &Path, more: &[PathBuf]) -> Vec<PathBuf> {
    std::iter::once(first.to_path_buf())
        .chain(more.iter().cloned())
        .collect()
}

/// Load every spec (each one's problems are printed), then check them against each other;
/// refuse saved plans among them. Nothing is called: any problem in any spec stops the run
/// with all of them reported.
fn load_all(
    paths: &[PathBuf],
    g: &GlobalArgs,
    api_id: Option<&str>,
    lint: bool,
    printer: &Printer,
) -> Result<Vec<Spec>, Failure> {
    one_region(paths, g)?;
    let mut specs = Vec::new();
    let mut diagnostics = Vec::new();
    let mut bad = Vec::new();
    for p in paths {
        if super::planfile::load(p)?.is_some() {
            return Err(Failure::msg(
                format!(
                    "`{}` is a saved plan: a saved plan is applied on its own",
                    p.display()
                ),
                Some(
                    "run `gwctl apply PLANFILE` alone; plans of several specs cannot be saved"
                        .into(),
                ),
            ));
        }
        let loaded = if lint {
            load_spec_linted(p, None, printer)
        } else {
            load_spec(p, printer)
        };
        match loaded {
            Ok(s) => specs.push(s),
            Err(f) => {
                diagnostics.extend(f.diagnostics);
                bad.push(p.display().to_string());
            }
        }
    }
    if !bad.is_empty() {
        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
        return Err(Failure {
            summary: Some(format!(
                "{errors} problem{} in {}; nothing was called",
                if errors == 1 { "" } else { "s" },
                bad.join(", ")
            )),
            diagnostics,
            ..Failure::reported()
        });
    }
    let refs: Vec<&Spec> = specs.iter().collect();
    let errors = check_distinct(&refs, api_id);
    if let Some(last) = errors.last() {
        for e in &errors[..errors.len() - 1] {
            printer.error(&e.to_string(), Some(&e.hint()));
        }
        return Err(Failure::msg(last.to_string(), Some(last.hint())));
    }
    Ok(specs)
}

/// One run is one (region, profile): one set of clients, one pacer. The region and profile
/// come from the flags, else from the first spec's selected environment (`connect`), so
/// every spec whose environment names others is refused, as is `${aws.*}` (its values are
/// known only once connected, before the spec is loaded: one spec per run then).
fn one_region(paths: &[PathBuf], g: &GlobalArgs) -> Result<(), Failure> {
    let mut first: Option<(Option<String>, Option<String>)> = None;
    for p in paths {
        let Ok(text) = std::fs::read_to_string(p) else {
            continue; // loading reports it
        };
        if text.contains("${aws.") {
            return Err(Failure::msg(
                format!(
                    "{} uses `${{aws.*}}`: such a spec is applied on its own",
                    p.display()
                ),
                Some("run gwctl with this spec alone".into()),
            ));
        }
        let aws = region_and_profile(&text, g);
        match &first {
            None => first = Some(aws),
            Some(f) if *f == aws => {}
            Some(_) => {
                return Err(Failure::msg(
                    format!(
                        "{}'s environment names another region or profile than the first spec's: one run works in one region and profile",
                        p.display()
                    ),
                    Some("run gwctl once per region and profile (each has its own quotas)".into()),
                ))
            }
        }
    }
    Ok(())
}

/// The region and profile a run with the spec `text` works in, as `vars::aws_defaults`
/// decides: the flags, then the AWS_* variables, then the selected environment's (`None`:
/// the SDK's default).
pub(super) fn region_and_profile(text: &str, g: &GlobalArgs) -> (Option<String>, Option<String>) {
    let envs = crate::spec::vars::environments(text);
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.is_empty());
    let (region, profile) = match envs.selected(g.env.as_deref()) {
        Some(name) => envs.aws_of(name),
        None => (None, None),
    };
    let region = match set("AWS_REGION") || set("AWS_DEFAULT_REGION") {
        true => None,
        false => region.map(str::to_string),
    };
    let profile = match set("AWS_PROFILE") {
        true => None,
        false => profile.map(str::to_string),
    };
    (g.region.clone().or(region), g.profile.clone().or(profile))
}

/// Tells what happens to one API of a run on stderr, each line naming the API (a progress
/// bar per API would overwrite the others').
struct ApiReporter<'p> {
    printer: &'p Printer,
    name: String,
}

impl Reporter for ApiReporter<'_> {
    fn event(&self, event: Event<'_>) {
        let (p, name) = (self.printer, &self.name);
        match event {
            Event::RunStarted { total } => p.info(&format!("{name}: {total} call(s) to make")),
            Event::OpStarted { label, .. } => p.debug(&format!("{name}: {label}")),
            Event::OpFinished => {}
            Event::RunDone => p.info(&format!("{name}: done")),
            Event::Interrupted { labels, completed } => {
                p.info(&format!("{name}:"));
                report_interruption(p, labels, completed)
            }
            Event::Replanning { op, message } => p.warn(&format!(
                "{name}: the api changed while applying ({op}: {message}); planning again"
            )),
            Event::LostRace {
                kind, winner, ours, ..
            } => p.warn(&format!(
                "{name}: another gwctl run created this {kind} at the same time (`{winner}`); keeping the oldest and deleting ours (`{ours}`)"
            )),
            Event::Resuming { left } => p.info(&format!(
                "{name}: the other run stopped with {left} call(s) left to make; applying them"
            )),
            Event::Definition { refused: None } => p.info(&format!(
                "{name}: created the api from its definition (PutRestApi); completing what it did not build"
            )),
            Event::Definition {
                refused: Some(message),
            } => p.warn(&format!(
                "{name}: PutRestApi refused the definition ({message}); continuing granularly from what exists"
            )),
        }
    }
}

/// The error part of an API that could not be read or planned.
fn not_prepared_error(np: &NotPrepared) -> ErrorDoc {
    ErrorDoc {
        message: np.error.to_string(),
        failed_call: None,
        applied_calls: 0,
        not_applied_calls: 0,
    }
}

fn not_prepared_api(np: &NotPrepared) -> ApiDoc {
    ApiDoc {
        name: np.name.clone(),
        kind: np.kind.split(' ').next().unwrap_or_default().to_string(),
        id: None,
        owned: false,
        environment: None,
        variables: vec![],
    }
}

/// Print why `np` could not be planned (its diagnostics first).
fn print_not_prepared(printer: &Printer, np: &NotPrepared) {
    for d in np.error.diagnostics() {
        eprint!("{}", d.render(printer.color));
    }
    printer.error(
        &format!("{} ({}): {}", np.name, np.file.display(), np.error),
        np.error.hint().as_deref(),
    );
}

fn no_summary() -> SummaryDoc {
    SummaryDoc {
        create: 0,
        update: 0,
        delete: 0,
        calls: 0,
    }
}

/// `gwctl plan A.yaml B.yaml ...`.
pub async fn plan_many(args: &PlanArgs, g: &GlobalArgs, printer: &Printer) -> Result<i32, Failure> {
    if args.out.is_some() {
        return Err(Failure::msg(
            "`--out` saves the plan of one spec; several specs were given".into(),
            Some("save one plan per spec: `gwctl plan SPEC --out FILE`".into()),
        ));
    }
    let specs = load_all(
        &paths(&args.spec, &args.more),
        g,
        args.api_id.as_deref(),
        false,
        printer,
    )?;
    let clients = connect(g).await?;
    plan_many_with(&clients, args, printer, specs).await
}

/// [`plan_many`] with the clients given and the specs loaded and checked.
pub async fn plan_many_with(
    clients: &Clients,
    args: &PlanArgs,
    printer: &Printer,
    specs: Vec<Spec>,
) -> Result<i32, Failure> {
    let target = Target {
        api_id: args.api_id.clone(),
        prune: args.prune,
        ..Default::default()
    };
    let files: Vec<String> = specs.iter().map(|s| s.file.display().to_string()).collect();
    let prepared = multi::prepare_all(clients, specs, &target).await;
    let mut apis = Vec::new();
    let (mut changes, mut failed) = (false, Vec::new());
    for (file, p) in files.into_iter().zip(&prepared) {
        match p {
            Ok(p) => {
                let doc = with_any!(AnyPrepared, p, p => plan_part(printer, p));
                changes |= !doc.changes.is_empty();
                apis.push(ManyPlanApiDoc { spec: file, ..doc });
            }
            Err(np) => {
                print_not_prepared(printer, np);
                failed.push(np.name.clone());
                apis.push(ManyPlanApiDoc {
                    spec: file,
                    api: not_prepared_api(np),
                    changes: vec![],
                    summary: no_summary(),
                    not_in_spec: vec![],
                    error: Some(not_prepared_error(np)),
                });
            }
        }
    }
    if printer.json() {
        printer.document(&ManyPlanDoc {
            schema_version: SCHEMA_VERSION,
            command: "plan".into(),
            apis,
        });
    }
    printer.debug(&format!("{} read calls", clients.calls.len()));
    if !failed.is_empty() {
        return Err(
            some_failed(&failed, prepared.len(), "planned", "plan").already_json(printer.json())
        );
    }
    Ok(if args.detailed_exitcode && changes {
        crate::exit::CHANGES
    } else {
        crate::exit::OK
    })
}

/// Show one API's plan (text mode); whether it has changes.
fn show_one<F: Flavour>(printer: &Printer, prep: &Prepared<F>) -> bool {
    let id = prep.observed.as_ref().map(|o| F::api_id(o).to_string());
    if !printer.json() {
        show_plan(
            printer,
            &prep.spec.api.name.value,
            id.as_deref(),
            &prep.plan,
        );
    }
    !prep.plan.is_empty()
}

/// One API's plan: shown (text mode) with its warnings, and its JSON part (`spec` empty).
fn plan_part<F: Flavour>(printer: &Printer, prep: &Prepared<F>) -> ManyPlanApiDoc {
    let id = prep.observed.as_ref().map(|o| F::api_id(o).to_string());
    if !printer.json() {
        show_plan(
            printer,
            &prep.spec.api.name.value,
            id.as_deref(),
            &prep.plan,
        );
    }
    for w in F::notes(prep, false) {
        printer.warn(&format!("{}: {w}", prep.spec.api.name.value));
    }
    let doc = plan_doc("plan", api_doc(prep, id), &prep.plan);
    ManyPlanApiDoc {
        spec: String::new(),
        api: doc.api,
        changes: doc.changes,
        summary: doc.summary,
        not_in_spec: doc.not_in_spec,
        error: None,
    }
}

/// The failure of a run in which the APIs `failed` (of `total`) could not be `what`.
fn some_failed(failed: &[String], total: usize, what: &str, verb: &str) -> Failure {
    Failure::msg(
        format!(
            "{} of {total} APIs could not be {what}: {}",
            failed.len(),
            failed
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Some(format!(
            "fix the cause and run `gwctl {verb}` with the same specs again: it continues from what exists"
        )),
    )
}

/// `gwctl apply A.yaml B.yaml ...`.
pub async fn apply_many(
    args: &ApplyArgs,
    g: &GlobalArgs,
    printer: &Printer,
) -> Result<i32, Failure> {
    let specs = load_all(
        &paths(&args.spec, &args.more),
        g,
        args.api_id.as_deref(),
        true,
        printer,
    )?;
    let clients = connect(g).await?;
    apply_many_with(&clients, args, printer, specs).await
}

/// [`apply_many`] with the clients given (one set: one pacer for the account and region)
/// and the specs loaded and checked.
pub async fn apply_many_with(
    clients: &Clients,
    args: &ApplyArgs,
    printer: &Printer,
    specs: Vec<Spec>,
) -> Result<i32, Failure> {
    let started = Instant::now();
    let target = super::planfile::target(None, args);
    printer.info(&format!(
        "reading {} apis in {}",
        specs.len(),
        clients.region
    ));
    let files: Vec<String> = specs.iter().map(|s| s.file.display().to_string()).collect();
    let total = specs.len();
    let prepared = multi::prepare_all(clients, specs, &target).await;

    // The combined plan, API by API in spec order, and the APIs that could not be planned.
    let mut slots: Vec<Option<ManyApiDoc>> = Vec::new();
    let mut preps = Vec::new();
    let mut any_changes = false;
    for (file, p) in files.iter().zip(prepared) {
        match p {
            Ok(p) => {
                any_changes |= with_any!(AnyPrepared, &p, p => show_one(printer, p));
                slots.push(None);
                preps.push(p);
            }
            Err(np) => {
                print_not_prepared(printer, &np);
                slots.push(Some(ManyApiDoc {
                    spec: file.clone(),
                    result: "failed".into(),
                    api: not_prepared_api(&np),
                    changes: vec![],
                    summary: no_summary(),
                    stages: vec![],
                    error: Some(not_prepared_error(&np)),
                    notes: vec![],
                    api_keys: vec![],
                }));
            }
        }
    }
    if any_changes {
        confirm(args, printer)?;
    }

    let reporters: Vec<ApiReporter> = preps
        .iter()
        .map(|p| ApiReporter {
            printer,
            name: with_any!(AnyPrepared, p, p => p.spec.api.name.value.clone()),
        })
        .collect();
    let reporters: Vec<&dyn Reporter> = reporters.iter().map(|r| r as &dyn Reporter).collect();
    let runs = multi::apply_all(clients, preps, &target, &reporters, args.show_secrets).await;

    let mut text = String::new();
    let mut runs = runs.into_iter();
    let mut apis = Vec::new();
    for (file, slot) in files.iter().zip(slots) {
        let doc = match slot {
            Some(doc) => doc,
            None => {
                let run = runs.next().expect("one run per prepared api");
                let (doc, body) = with_any!(AnyRun, run, r => run_part(printer, *r));
                text.push_str(&body);
                ManyApiDoc {
                    spec: file.clone(),
                    ..doc
                }
            }
        };
        apis.push(doc);
    }
    let failed: Vec<String> = apis
        .iter()
        .filter(|a| a.result == "failed" || a.result == "interrupted")
        .map(|a| a.api.name.clone())
        .collect();
    let interrupted = apis.iter().any(|a| a.result == "interrupted");
    let calls = calls_doc(&clients.calls.snapshot(), started.elapsed().as_secs_f64());
    if printer.json() {
        let result = if interrupted {
            "interrupted"
        } else if !failed.is_empty() {
            "failed"
        } else if apis.iter().all(|a| a.result == "no_changes") {
            "no_changes"
        } else {
            "applied"
        };
        printer.document(&ManyApplyDoc {
            schema_version: SCHEMA_VERSION,
            command: "apply".into(),
            result: result.into(),
            apis,
            calls,
        });
    } else {
        text.push_str(&format!(
            "calls    {} ({} reads, {} writes{}) for {total} apis in {:.1}s\n",
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
        printer.data(&text);
    }
    if interrupted {
        return Err(Failure::reported());
    }
    if !failed.is_empty() {
        return Err(some_failed(&failed, total, "applied", "apply").already_json(printer.json()));
    }
    Ok(crate::exit::OK)
}

/// One API's report after the run: its JSON part (`spec` empty) and its text (on stdout
/// with the others'; a failure is printed on stderr at once).
fn run_part<F: Flavour>(printer: &Printer, run: Run<F>) -> (ManyApiDoc, String) {
    let Run {
        name,
        owned,
        prep,
        warnings,
        outcome,
    } = run;
    for w in &warnings {
        printer.warn(&format!("{name}: {w}"));
    }
    let (api, changes, summary, notes) = match &prep {
        Some(p) => {
            let d = plan_doc("apply", api_doc(p, None), &p.plan);
            (d.api, d.changes, d.summary, F::notes(p, true))
        }
        None => (
            ApiDoc {
                name: name.clone(),
                kind: F::NAME.into(),
                id: None,
                owned,
                environment: None,
                variables: vec![],
            },
            vec![],
            no_summary(),
            vec![],
        ),
    };
    let mut doc = ManyApiDoc {
        spec: String::new(),
        result: String::new(),
        api,
        changes,
        summary,
        stages: vec![],
        error: None,
        notes,
        api_keys: vec![],
    };
    let mut body = String::new();
    match outcome {
        Outcome::NoChanges {
            api_id,
            stages,
            keys,
        }
        | Outcome::Applied {
            api_id,
            stages,
            keys,
        } => {
            let p = prep
                .as_ref()
                .expect("a run that did not fail keeps its plan");
            let applied = !p.plan.is_empty();
            doc.result = if applied { "applied" } else { "no_changes" }.into();
            if applied {
                body.push_str(&format!(
                    "applied: {} created, {} changed, {} deleted\n",
                    doc.summary.create, doc.summary.update, doc.summary.delete
                ));
            } else {
                doc.changes.clear();
                body.push_str("no changes\n");
            }
            body.push_str(&api_body(p, &api_id, &stages, &keys));
            doc.api.id = Some(api_id);
            doc.stages = stages.into_iter().map(stage_doc).collect();
            doc.api_keys = key_docs(keys);
            for n in &doc.notes {
                printer.info(&format!("{name}: note: {n}"));
            }
        }
        Outcome::Failed {
            api_id,
            failed_op,
            applied,
            total,
            interrupted,
            error,
        } => {
            doc.result = if interrupted { "interrupted" } else { "failed" }.into();
            doc.api.id = api_id.clone();
            doc.error = Some(ErrorDoc {
                message: error.to_string(),
                failed_call: failed_op.clone(),
                applied_calls: applied,
                not_applied_calls: total - applied,
            });
            if !interrupted {
                for d in error.diagnostics() {
                    eprint!("{}", d.render(printer.color));
                }
                printer.error(
                    &format!(
                        "{name}: {}{error}; {applied} of {total} calls were applied, {} were not",
                        failed_op.map(|o| format!("{o}: ")).unwrap_or_default(),
                        total - applied
                    ),
                    error.hint().as_deref(),
                );
            }
            body.push_str(&format!(
                "failed: {name} ({}): {applied} of {total} calls applied\n",
                api_id.as_deref().unwrap_or("-")
            ));
        }
    }
    (doc, body)
}

/// `gwctl destroy A.yaml B.yaml ... --output json` (one spec keeps
/// [`super::lifecycle::DestroyDoc`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ManyDestroyDoc {
    pub schema_version: u32,
    pub command: String,
    /// `destroyed` (every API deleted or absent), `absent` (none existed), `failed`.
    pub result: String,
    /// One per spec, in the order the specs were given.
    pub apis: Vec<ManyDestroyApiDoc>,
    pub calls: CallsDoc,
}

/// One API of [`ManyDestroyDoc`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ManyDestroyApiDoc {
    pub spec: String,
    /// `destroyed`, `absent`, `failed`.
    pub result: String,
    /// None when absent.
    pub api: Option<ApiDoc>,
    pub changes: Vec<ChangeDoc>,
    pub summary: Option<SummaryDoc>,
    pub error: Option<ErrorDoc>,
}

/// `gwctl destroy A.yaml B.yaml ...`.
pub async fn destroy_many(
    args: &DestroyArgs,
    g: &GlobalArgs,
    printer: &Printer,
) -> Result<i32, Failure> {
    let first = args
        .spec
        .as_deref()
        .expect("clap: several specs start with one");
    let specs = load_all(&paths(first, &args.more), g, None, false, printer)?;
    let clients = connect(g).await?;
    destroy_many_with(&clients, args, printer, specs).await
}

/// [`destroy_many`] with the clients given and the specs loaded and checked.
pub async fn destroy_many_with(
    clients: &Clients,
    args: &DestroyArgs,
    printer: &Printer,
    specs: Vec<Spec>,
) -> Result<i32, Failure> {
    let started = Instant::now();
    let files: Vec<String> = specs.iter().map(|s| s.file.display().to_string()).collect();
    let total = specs.len();
    let found = multi::plan_destroy_all(clients, specs, args.force).await;
    let mut apis: Vec<ManyDestroyApiDoc> = Vec::new();
    let mut doomed = Vec::new();
    let mut slot_of = Vec::new();
    for (file, f) in files.iter().zip(found) {
        let mut doc = ManyDestroyApiDoc {
            spec: file.clone(),
            result: "absent".into(),
            api: None,
            changes: vec![],
            summary: None,
            error: None,
        };
        match f {
            Ok(None) => {
                if !printer.json() {
                    printer.data(&format!(
                        "nothing to destroy for {file}: no api gwctl manages by that name"
                    ));
                }
            }
            Ok(Some(d)) => {
                let pd = with_any!(AnyDoomed, &d, d => doomed_doc(printer, d));
                doc.api = Some(pd.api);
                doc.changes = pd.changes;
                doc.summary = Some(pd.summary);
                slot_of.push(apis.len());
                doomed.push(d);
            }
            Err(np) => {
                print_not_prepared(printer, &np);
                doc.result = "failed".into();
                doc.api = Some(not_prepared_api(&np));
                doc.error = Some(not_prepared_error(&np));
            }
        }
        apis.push(doc);
    }
    if !doomed.is_empty() {
        super::apply::confirm_changes(
            args.yes,
            args.require_approval,
            printer,
            &format!("Destroy these {} APIs?", doomed.len()),
        )?;
    }
    let reporters: Vec<ApiReporter> = doomed
        .iter()
        .map(|d| ApiReporter {
            printer,
            name: with_any!(AnyDoomed, d, d => doomed_name(d)),
        })
        .collect();
    let reporters: Vec<&dyn Reporter> = reporters.iter().map(|r| r as &dyn Reporter).collect();
    let results = multi::destroy_all(clients, &doomed, &reporters).await;
    let mut text = String::new();
    for (slot, r) in slot_of.into_iter().zip(results) {
        let doc = &mut apis[slot];
        let api = doc.api.clone().expect("a found api");
        let id = api.id.as_deref().unwrap_or("-");
        match r {
            Ok(()) => {
                doc.result = "destroyed".into();
                text.push_str(&format!(
                    "destroyed {} api `{}` ({id})\n",
                    api.kind, api.name
                ));
            }
            Err(e) => {
                printer.error(&format!("{}: {e}", api.name), e.hint().as_deref());
                doc.result = "failed".into();
                doc.error = Some(ErrorDoc {
                    message: e.to_string(),
                    failed_call: None,
                    applied_calls: 0,
                    not_applied_calls: 0,
                });
            }
        }
    }
    let failed: Vec<String> = apis
        .iter()
        .filter(|a| a.result == "failed")
        .map(|a| a.api.as_ref().map(|a| a.name.clone()).unwrap_or_default())
        .collect();
    if printer.json() {
        let result = if !failed.is_empty() {
            "failed"
        } else if apis.iter().all(|a| a.result == "absent") {
            "absent"
        } else {
            "destroyed"
        };
        printer.document(&ManyDestroyDoc {
            schema_version: SCHEMA_VERSION,
            command: "destroy".into(),
            result: result.into(),
            apis,
            calls: calls_doc(&clients.calls.snapshot(), started.elapsed().as_secs_f64()),
        });
    } else if !text.is_empty() {
        printer.data(&text);
    }
    if !failed.is_empty() {
        return Err(
            some_failed(&failed, total, "destroyed", "destroy").already_json(printer.json())
        );
    }
    Ok(crate::exit::OK)
}

/// The name of the API `d` deletes.
fn doomed_name<F: Flavour>(d: &Doomed<F>) -> String {
    F::api_name(&d.loc.api).to_string()
}

/// Show (text mode) the deletions of one API; their JSON part.
fn doomed_doc<F: Flavour>(printer: &Printer, d: &Doomed<F>) -> crate::output::PlanDoc {
    let api = ApiDoc {
        name: F::api_name(&d.loc.api).to_string(),
        kind: F::NAME.into(),
        id: Some(F::api_id(&d.loc.api).to_string()),
        owned: d.loc.owned,
        environment: None,
        variables: vec![],
    };
    if !printer.json() {
        printer.data_painted(&crate::output::render_plan(
            printer,
            &api.name,
            api.id.as_deref(),
            &d.plan,
        ));
    }
    plan_doc("destroy", api, &d.plan)
}
