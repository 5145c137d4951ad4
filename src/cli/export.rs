//! `gwctl export`: parse the arguments, then
//! - `--format yaml` (the default) with `--api NAME | --api-id ID`: ask the engine for the
//!   gwctl spec of a live API, print it (stdout or `--output-file`) and what it leaves out
//!   (stderr);
//! - `--format openapi SPEC`: a spec's API as an OpenAPI 3.0 document with API Gateway's
//!   extensions, offline (no AWS call). The renderer is the planner's
//!   ([`crate::plan::openapi`]);
//! - `--format openapi --api NAME | --api-id ID`: the same document of a live REST or HTTP
//!   API, rendered from the spec `export` writes of it (WebSocket APIs have no OpenAPI form).

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};

use super::{connect, Failure, GlobalArgs};
use crate::output::Printer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ExportFormat {
    /// The gwctl spec (YAML) of a live API (`--api`, `--api-id`)
    #[default]
    Yaml,
    /// OpenAPI 3.0 (JSON) of a SPEC or a live REST or HTTP API, with the
    /// x-amazon-apigateway-* extensions
    Openapi,
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["api", "api_id", "spec"])))]
pub struct ExportArgs {
    /// The spec whose API to render (`--format openapi`)
    #[arg(value_name = "SPEC", conflicts_with_all = ["api", "api_id", "stage"])]
    pub spec: Option<PathBuf>,
    /// What to write
    #[arg(long, value_enum, default_value_t = ExportFormat::Yaml)]
    pub format: ExportFormat,
    /// The API's name (must be unique in the account and region)
    #[arg(long, value_name = "NAME")]
    pub api: Option<String>,
    /// The API's id
    #[arg(long, value_name = "ID")]
    pub api_id: Option<String>,
    /// Write the spec (or document) to FILE instead of stdout
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Export only this stage (default: every stage; the gwctl spec only)
    #[arg(long, value_name = "NAME")]
    pub stage: Option<String>,
    /// Write the spec (or document) even when part of the API cannot be expressed in it
    /// (each part left out is named on stderr either way, and in a spec's header)
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
        printer.info(&crate::plan::export::NOT_EXPORTED.join(" "));
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

pub const AFTER_HELP: &str = "EXAMPLES:\n  gwctl export --api-id a1b2c3d4e5 > api.yaml\n  gwctl export --api todo-api --output-file todo.yaml\n  gwctl export --api-id a1b2c3d4e5 --stage prod --allow-partial\n  gwctl export --format openapi specs/todo.yaml > todo.openapi.json\n  gwctl export --format openapi --api-id a1b2c3d4e5 > live.openapi.json\n  aws apigateway import-rest-api --parameters endpointConfigurationTypes=REGIONAL \\\n      --body fileb://todo.openapi.json\n\nThe gwctl spec of a live API (REST, HTTP or WebSocket): only read calls are made; key values \nare never read. What the spec language cannot say is listed on stderr (object and field) and \nexport exits 1 without printing anything, unless --allow-partial (the file's header lists it). \nAdopt the API with `gwctl apply api.yaml --api-id ID`. CORS \nmade by gwctl, the console's \"Enable CORS\" or SAM is written as `cors:`, stage caches and \ncanaries as `cache:` and `canary:`.\n\n--format openapi SPEC: no AWS call is made. Functions named without an ARN are written with \nAPI Gateway's ${AWS::AccountId} variable (and ${AWS::Region} unless --region or AWS_REGION \ngives the region), which import-rest-api and put-rest-api replace. The endpoint type is not \npart of the document (import-rest-api takes it as a parameter). What the document cannot \nexpress (stages, API keys, usage plans, Lambda permissions are never in it; others are \nnamed) is listed on stderr; then nothing is written and the exit status is 1 unless \n--allow-partial.\n\n--format openapi --api NAME | --api-id ID: the same document of a live REST or HTTP API, \nrendered from the spec export writes of it (with the functions' real ARNs); what that spec \nleaves out is named on stderr too. WebSocket APIs have no OpenAPI form: refused.";

/// `gwctl export`, either format.
pub async fn run(args: &ExportArgs, g: &GlobalArgs, printer: &Printer) -> Result<i32, Failure> {
    match (args.format, &args.spec) {
        (ExportFormat::Openapi, Some(_)) => openapi(args, g, printer),
        (ExportFormat::Yaml, None) => export(args, g, printer).await,
        (ExportFormat::Yaml, Some(_)) => Err(Failure::msg(
            "a SPEC is exported with `--format openapi`; the gwctl spec is written of a live api"
                .into(),
            Some("pass `--api NAME` or `--api-id ID`, or `--format openapi SPEC`".into()),
        )),
        (ExportFormat::Openapi, None) => openapi_live(args, g, printer).await,
    }
}

/// `--format openapi --api NAME | --api-id ID`: the live API's spec (what `export` writes)
/// rendered as for a SPEC. What the spec leaves out and what OpenAPI cannot express are both
/// named on stderr; either refuses the document unless `--allow-partial`.
async fn openapi_live(
    args: &ExportArgs,
    g: &GlobalArgs,
    printer: &Printer,
) -> Result<i32, Failure> {
    if args.stage.is_some() {
        return Err(Failure::msg(
            "an OpenAPI document has no stages: `--stage` goes with the gwctl spec".into(),
            Some("drop `--stage`".into()),
        ));
    }
    let clients = connect(g).await?;
    let (out, rendered) = crate::engine::export::export_openapi(
        &clients,
        args.api.as_deref(),
        args.api_id.as_deref(),
    )
    .await?
    .ok_or_else(|| super::lifecycle::not_found(None, args.api.as_deref()))?;
    for l in &out.left_out {
        printer.warn(&format!("left out: {l}"));
    }
    let name = args
        .api
        .clone()
        .or_else(|| args.api_id.clone())
        .unwrap_or_default();
    write_document(args, printer, &rendered, &name, out.left_out.len())
}

fn openapi(args: &ExportArgs, global: &GlobalArgs, printer: &Printer) -> Result<i32, Failure> {
    let path = args.spec.as_ref().expect("checked by run");
    let spec = super::rest::load_spec(path, printer)?;
    let region = global
        .region
        .clone()
        .or_else(|| std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()));
    let rendered = crate::plan::openapi::render_spec(&spec, region.as_deref());
    write_document(args, printer, &rendered, &spec.api.name.value, 0)
}

/// Print (or write) an OpenAPI document; refused when `left_out` (parts of the API its spec
/// leaves out) or the document's omissions are not zero, unless `--allow-partial`.
fn write_document(
    args: &ExportArgs,
    printer: &Printer,
    rendered: &crate::plan::openapi::Rendered,
    name: &str,
    left_out: usize,
) -> Result<i32, Failure> {
    for o in &rendered.omitted {
        printer.warn(&format!("not in the OpenAPI document: {o}"));
    }
    let missing = rendered.omitted.len() + left_out;
    if missing > 0 && !args.allow_partial {
        return Err(Failure::msg(
            format!(
                "{missing} part{} of `{}` cannot be expressed in OpenAPI",
                if missing == 1 { "" } else { "s" },
                name
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
