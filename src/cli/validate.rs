//! `gwctl validate SPEC...`: parse and check spec files without calling AWS.
//!
//! Text output: every diagnostic of every file on stderr, then a summary line per failing
//! file; `ok: FILE (...)` on stdout per valid file. JSON output (`--output json`): one
//! document on stdout, `{"schema_version":1,"files":[...]}` (see docs/json.md).

use std::io::{IsTerminal, Write};

use serde::{Deserialize, Serialize};

use super::{ColorChoice, GlobalArgs, OutputFormat, ValidateArgs};
use crate::spec::{self, Diagnostic, LoadOptions, Loaded};

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
    let opts = LoadOptions { lint: true };
    let results: Vec<(String, Loaded)> = args
        .specs
        .iter()
        .map(|p| (p.display().to_string(), spec::load_with(p, &opts)))
        .collect();
    let failed = results.iter().any(|(_, l)| l.has_errors());

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

fn write_json(out: &mut impl Write, results: &[(String, Loaded)]) -> std::io::Result<()> {
    let report = Report {
        schema_version: SCHEMA_VERSION,
        files: results
            .iter()
            .map(|(file, l)| FileReport {
                file: file.clone(),
                ok: !l.has_errors(),
                diagnostics: l.diagnostics.iter().map(DiagnosticJson::from).collect(),
            })
            .collect(),
    };
    // Control and bidi characters in messages become `\uXXXX` escapes (crate::term).
    let text = crate::term::to_json_pretty(&report).map_err(std::io::Error::other)?;
    writeln!(out, "{text}")
}

fn write_text(
    out: &mut impl Write,
    results: &[(String, Loaded)],
    global: &GlobalArgs,
) -> std::io::Result<()> {
    let color = use_color(global.color);
    let mut err = std::io::stderr().lock();
    for (file, loaded) in results {
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
