//! `gwctl validate SPEC...`: parse and check spec files without calling AWS.
//!
//! Text output: every diagnostic of every file on stderr, then a summary line per failing
//! file; `ok: FILE (...)` on stdout per valid file. JSON output (`--output json`): one
//! document on stdout, `{"schema_version":1,"files":[...]}` (see docs/json.md).

use std::io::{IsTerminal, Write};

use serde::{Deserialize, Serialize};

use super::{ColorChoice, GlobalArgs, OutputFormat, ValidateArgs};
use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::engine::multi::ManyError;
use crate::spec::model::Spec;
use crate::spec::{self, Diagnostic, LoadOptions, Loaded, Severity};

/// Version of the JSON document printed by `validate --output json`.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub schema_version: u32,
    pub files: Vec<FileReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileReport {
    pub file: String,
    pub ok: bool,
    pub diagnostics: Vec<DiagnosticJson>,
    /// The environments checked (every one the spec declares, or `--env`'s); absent when
    /// the spec declares none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
}

/// One diagnostic in a JSON document (defined in `output`, which every verb's failure
/// document uses too).
pub use crate::output::DiagnosticJson;

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stderr().is_terminal()
        }
    }
}

pub fn run(args: &ValidateArgs, global: &GlobalArgs) -> i32 {
    let inputs = match super::vars::gather(global) {
        Ok(i) => i,
        Err(f) => {
            let printer = global.printer();
            printer.error(f.message.as_deref().unwrap_or_default(), f.hint.as_deref());
            if printer.json() {
                let m = f.message.unwrap_or_default();
                printer.document(&crate::output::failure_doc(
                    "validate",
                    &m,
                    f.hint.as_deref(),
                    &[],
                ));
            }
            return crate::exit::ERROR;
        }
    };
    let mut results: Vec<(String, Loaded, Vec<String>)> = args
        .specs
        .iter()
        .map(|p| {
            let (loaded, envs) = load_each_environment(p, global, &inputs);
            (p.display().to_string(), loaded, envs)
        })
        .collect();
    same_api(&args.specs, &mut results, global);
    let failed = results.iter().any(|(_, l, _)| l.has_errors());

    let mut out = std::io::stdout().lock();
    // A closed stdout (`| head`) ends quietly; nothing else is worth reporting then.
    let _ = match global.output {
        OutputFormat::Json => write_json(&mut out, &results),
        OutputFormat::Text => write_text(&mut out, &results, global),
    };
    if failed {
        crate::exit::ERROR
    } else {
        crate::exit::OK
    }
}

/// Two specs that describe the same API (kind and name) in the same region and profile are
/// refused by `plan` and `apply` with both (`engine::multi::check_distinct`): the second
/// one gets that error here too, so `validate A.yaml B.yaml` passes only what a run of both
/// accepts on that account.
fn same_api(paths: &[PathBuf], results: &mut [(String, Loaded, Vec<String>)], g: &GlobalArgs) {
    use crate::engine::multi::check_distinct;
    type Group<'a> = Vec<(usize, &'a Spec)>;
    let mut groups: BTreeMap<(Option<String>, Option<String>), Group<'_>> = BTreeMap::new();
    for (i, (p, (_, loaded, _))) in paths.iter().zip(results.iter()).enumerate() {
        let (Some(spec), Ok(text)) = (&loaded.spec, std::fs::read_to_string(p)) else {
            continue;
        };
        let aws = super::multi::region_and_profile(&text, g);
        groups.entry(aws).or_default().push((i, spec));
    }
    // check_distinct gives one error per spec naming an API an earlier one names, in order:
    // the error a prefix adds is its last spec's.
    let mut found: Vec<(usize, Diagnostic)> = Vec::new();
    for group in groups.values() {
        let specs: Vec<&Spec> = group.iter().map(|(_, s)| *s).collect();
        let mut before = 0;
        for (n, (i, spec)) in group.iter().enumerate() {
            let errors = check_distinct(&specs[..=n], None);
            if errors.len() > before {
                if let Some(e @ ManyError::SameApi { .. }) = errors.last() {
                    let d = Diagnostic::file_level(
                        Severity::Error,
                        &spec.file,
                        e.to_string(),
                        Some(e.hint()),
                    );
                    found.push((*i, d));
                }
            }
            before = errors.len();
        }
    }
    for (i, d) in found {
        let loaded = &mut results[i].1;
        loaded.diagnostics.push(d);
        loaded.spec = None;
    }
}

/// Load `path` once per environment to check: `--env`'s, else every environment the spec
/// declares (offline: the region the flags, AWS_REGION or the environment name, else a
/// placeholder, and a placeholder account, so shape checks run on substituted ARNs).
/// Diagnostics of every run are merged; one found in some environments only says which.
fn load_each_environment(
    path: &std::path::Path,
    global: &GlobalArgs,
    inputs: &spec::vars::Inputs,
) -> (Loaded, Vec<String>) {
    let opts = LoadOptions { lint: true };
    let envs = super::vars::environments_of(path);
    let checked: Vec<Option<String>> = match (&global.env, envs.names.is_empty()) {
        (Some(e), _) => vec![Some(e.clone())],
        (None, true) => vec![None],
        (None, false) => envs.names.iter().cloned().map(Some).collect(),
    };
    let mut runs: Vec<(Option<String>, Loaded)> = checked
        .iter()
        .map(|env| {
            let (env_region, _) = env.as_deref().map_or((None, None), |e| envs.aws_of(e));
            let inputs = spec::vars::Inputs {
                env: env.clone(),
                region: Some(super::vars::offline_region(
                    global.region.as_deref(),
                    env_region,
                )),
                account_id: Some(super::vars::placeholder_account()),
                ..inputs.clone()
            };
            (env.clone(), spec::load_with_inputs(path, &opts, &inputs))
        })
        .collect();
    let names: Vec<String> = if envs.names.is_empty() {
        Vec::new()
    } else {
        checked.iter().flatten().cloned().collect()
    };
    if runs.len() == 1 {
        let (_, loaded) = runs.pop().expect("one run");
        return (loaded, names);
    }
    let mut merged: Vec<Diagnostic> = Vec::new();
    let in_run = |l: &Loaded, d: &Diagnostic| {
        l.diagnostics
            .iter()
            .any(|x| x.pos() == d.pos() && x.message == d.message && x.file == d.file)
    };
    for (env, loaded) in &runs {
        for d in &loaded.diagnostics {
            if merged.iter().any(|m| {
                m.pos() == d.pos()
                    && m.file == d.file
                    && (m.message == d.message
                        || m.message
                            .starts_with(&format!("{} (environment", d.message)))
            }) {
                continue;
            }
            let everywhere = runs.iter().all(|(_, l)| in_run(l, d));
            let mut d = d.clone();
            if !everywhere {
                let envs: Vec<String> = runs
                    .iter()
                    .filter(|(_, l)| in_run(l, &d))
                    .filter_map(|(e, _)| e.as_ref().map(|e| format!("`{e}`")))
                    .collect();
                d.message = format!("{} (environment {})", d.message, envs.join(", "));
            }
            let _ = env;
            merged.push(d);
        }
    }
    merged.sort_by_key(|x| (x.line == 0, x.line, x.col));
    let has_errors = merged.iter().any(Diagnostic::is_error);
    let spec = if has_errors {
        None
    } else {
        runs.into_iter().next().and_then(|(_, l)| l.spec)
    };
    (
        Loaded {
            spec,
            diagnostics: merged,
        },
        names,
    )
}

fn write_json(
    out: &mut impl Write,
    results: &[(String, Loaded, Vec<String>)],
) -> std::io::Result<()> {
    let report = Report {
        schema_version: SCHEMA_VERSION,
        files: results
            .iter()
            .map(|(file, l, envs)| FileReport {
                file: file.clone(),
                ok: !l.has_errors(),
                diagnostics: l.diagnostics.iter().map(DiagnosticJson::from).collect(),
                environments: envs.clone(),
            })
            .collect(),
    };
    // Control and bidi characters in messages become `\uXXXX` escapes (crate::term).
    let text = crate::term::to_json_pretty(&report).map_err(std::io::Error::other)?;
    writeln!(out, "{text}")
}

fn write_text(
    out: &mut impl Write,
    results: &[(String, Loaded, Vec<String>)],
    global: &GlobalArgs,
) -> std::io::Result<()> {
    let color = use_color(global.color);
    let mut err = std::io::stderr().lock();
    for (file, loaded, envs) in results {
        let shown: Vec<&Diagnostic> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.is_error() || !global.quiet)
            .collect();
        for d in &shown {
            write!(err, "{}", d.render(color))?;
            writeln!(err)?;
        }
        let (errors, warnings) = (loaded.errors(), loaded.warnings());
        if loaded.has_errors() {
            let problems = if errors == 1 { "problem" } else { "problems" };
            let mut line = format!("{errors} {problems} in {file}");
            if warnings > 0 && !global.quiet {
                line.push_str(&format!(
                    " (and {warnings} warning{})",
                    if warnings == 1 { "" } else { "s" }
                ));
            }
            let label = if color {
                "\x1b[1;31merror\x1b[0m"
            } else {
                "error"
            };
            writeln!(err, "{label}: {}", crate::term::escape(&line))?;
        } else if let Some(spec) = &loaded.spec {
            let mut line = format!("ok: {file} ({})", spec::summary(spec));
            if !envs.is_empty() {
                let shown: Vec<String> = envs.iter().map(|e| format!("`{e}`")).collect();
                line.insert_str(
                    line.len() - 1,
                    &format!(
                        ", environment{} {}",
                        if envs.len() == 1 { "" } else { "s" },
                        shown.join(", ")
                    ),
                );
            }
            if warnings > 0 {
                line.push_str(&format!(
                    ", {warnings} warning{}",
                    if warnings == 1 { "" } else { "s" }
                ));
            }
            writeln!(out, "{}", crate::term::escape(&line))?;
        }
    }
    Ok(())
}
