//! `gwctl export --format openapi SPEC`: a spec's API as an OpenAPI 3.0 document with API
//! Gateway's extensions, offline (no AWS call). The renderer is the planner's
//! ([`crate::plan::openapi`]); exporting a live API (`--api`, `--api-id`) and gwctl YAML
//! (`--format yaml`) belong to the export of live APIs.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Failure, GlobalArgs};
use crate::output::Printer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// OpenAPI 3.0 (JSON) with the x-amazon-apigateway-* extensions
    Openapi,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// The spec whose API to render
    #[arg(value_name = "SPEC", required = true)]
    pub spec: Option<PathBuf>,
    /// What to write
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Write the document to FILE instead of stdout
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Write the document even when part of the API cannot be expressed in it (each part
    /// left out is named on stderr either way)
    #[arg(long)]
    pub allow_partial: bool,
}

pub const AFTER_HELP: &str = "EXAMPLES:\n  gwctl export --format openapi specs/todo.yaml > todo.openapi.json\n  gwctl --region eu-west-1 export --format openapi specs/todo.yaml --output-file todo.json\n  aws apigateway import-rest-api --parameters endpointConfigurationTypes=REGIONAL \\\n      --body fileb://todo.json\n\nNo AWS call is made. Functions named without an ARN are written with API Gateway's \n${AWS::AccountId} variable (and ${AWS::Region} unless --region or AWS_REGION gives the \nregion), which import-rest-api and put-rest-api replace. The endpoint type is not part of \nthe document (import-rest-api takes it as a parameter). What the document cannot express \n(stages, API keys, usage plans, Lambda permissions are never in it; others are named) is \nlisted on stderr; then nothing is written and the exit status is 1 unless --allow-partial.";

pub fn run(args: &ExportArgs, global: &GlobalArgs, printer: &Printer) -> Result<i32, Failure> {
    let ExportFormat::Openapi = args.format;
    let path = args.spec.as_ref().expect("clap requires SPEC");
    let spec = super::rest::load_spec(path, printer)?;
    let region = global
        .region
        .clone()
        .or_else(|| std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()));
    let rendered = crate::plan::openapi::render_spec(&spec, region.as_deref());
    for o in &rendered.omitted {
        printer.warn(&format!("not in the OpenAPI document: {o}"));
    }
    if !rendered.omitted.is_empty() && !args.allow_partial {
        return Err(Failure::msg(
            format!(
                "{} part{} of `{}` cannot be expressed in OpenAPI",
                rendered.omitted.len(),
                if rendered.omitted.len() == 1 { "" } else { "s" },
                spec.api.name.value
            ),
            Some("--allow-partial writes the document without them".into()),
        ));
    }
    match &args.output_file {
        Some(file) => {
            let text =
                crate::term::to_json_pretty(&rendered.document).expect("documents serialise");
            std::fs::write(file, format!("{text}\n")).map_err(|e| {
                Failure::msg(format!("cannot write `{}`: {e}", file.display()), None)
            })?;
            printer.info(&format!("wrote {}", file.display()));
        }
        None => printer.document(&rendered.document),
    }
    Ok(crate::exit::OK)
}
