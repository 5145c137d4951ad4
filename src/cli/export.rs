//! `gwctl export`: parse the arguments, ask the engine for the spec of a live API, print it
//! (stdout or `--output-file`) and what it leaves out (stderr).

use std::path::PathBuf;

use clap::Args;
use serde::{Deserialize, Serialize};

use super::{connect, Failure, GlobalArgs};
use crate::output::Printer;

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["api", "api_id"])))]
pub struct ExportArgs {
    /// The API's name (must be unique in the account and region)
    #[arg(long, value_name = "NAME")]
    pub api: Option<String>,
    /// The API's id
    #[arg(long, value_name = "ID")]
    pub api_id: Option<String>,
    /// Write the spec to FILE instead of stdout
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Export only this stage (default: every stage)
    #[arg(long, value_name = "NAME")]
    pub stage: Option<String>,
    /// Write the spec even when the API has settings the spec language cannot say (they are
    /// listed on stderr and in the file's header)
    #[arg(long)]
    pub allow_partial: bool,
}

/// `gwctl export --output json`: the spec as text, and what it leaves out.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExportDoc {
    pub schema_version: u32,
    pub command: String,
    /// The spec (YAML text); `null` when it was written to `--output-file` or refused.
    pub spec: Option<String>,
    /// Where the spec was written, when `--output-file` was given and it was written.
    pub output_file: Option<String>,
    pub left_out: Vec<LeftOutDoc>,
    /// False when something was left out and `--allow-partial` was not given: no spec.
    pub complete: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LeftOutDoc {
    pub object: String,
    pub field: String,
    pub reason: String,
}

pub async fn export(args: &ExportArgs, g: &GlobalArgs, printer: &Printer) -> Result<i32, Failure> {
    let clients = connect(g).await?;
    let out = crate::engine::export::export(
        &clients,
        args.api.as_deref(),
        args.api_id.as_deref(),
        args.stage.as_deref(),
    )
    .await?
    .ok_or_else(|| super::lifecycle::not_found(None, args.api.as_deref()))?;
    let refused = !out.left_out.is_empty() && !args.allow_partial;
    if !printer.json() {
        for l in &out.left_out {
            printer.warn(&format!("left out: {l}"));
        }
    }
    let mut doc = ExportDoc {
        schema_version: 1,
        command: "export".into(),
        spec: None,
        output_file: None,
        left_out: out
            .left_out
            .iter()
            .map(|l| LeftOutDoc {
                object: l.object.clone(),
                field: l.field.clone(),
                reason: l.reason.clone(),
            })
            .collect(),
        complete: out.left_out.is_empty(),
    };
    if refused {
        let n = out.left_out.len();
        let message = format!(
            "{n} setting{} of the api cannot be said in a spec; nothing was written",
            if n == 1 { "" } else { "s" }
        );
        let hint = "`--allow-partial` writes the spec without them (its header lists them; an adopted api keeps them as they are)";
        if printer.json() {
            printer.document(&doc);
        }
        return Err(Failure {
            json_reported: printer.json(),
            ..Failure::msg(message, Some(hint.into()))
        });
    }
    match &args.output_file {
        Some(path) => {
            std::fs::write(path, &out.yaml).map_err(|e| {
                Failure::msg(format!("cannot write `{}`: {e}", path.display()), None)
            })?;
            doc.output_file = Some(path.display().to_string());
            if printer.json() {
                printer.document(&doc);
            } else {
                printer.info(&format!("wrote {}", path.display()));
            }
        }
        None if printer.json() => {
            doc.spec = Some(out.yaml);
            printer.document(&doc);
        }
        None => printer.data(&out.yaml),
    }
    Ok(crate::exit::OK)
}
