//! Command-line definitions (clap) and dispatch. Each verb lives in its own module and
//! returns an exit code from [`crate::exit`].

pub mod apply;
pub mod http;
pub mod lifecycle;
pub mod planfile;
pub mod rest;
pub mod validate;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "gwctl",
    version,
    about = "Provision Amazon API Gateway (REST and HTTP APIs) from a declarative YAML spec",
    long_about = "gwctl reads one spec file describing an API, reads what already exists in the \
AWS account, works out the smallest set of changes and makes them: resources, methods, \
integrations, CORS, Lambda permissions, one deployment per real change, stage settings.",
    after_help = crate::exit::HELP,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every verb accepts.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Output format: `text` for people, `json` for scripts (documented in docs/json.md)
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// When to colour output (NO_COLOR is honoured)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only errors and data
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Show each AWS call with its duration and attempts
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// AWS named profile (also AWS_PROFILE)
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// AWS region (also AWS_REGION)
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Send every AWS call to this endpoint, e.g. a local emulator (also AWS_ENDPOINT_URL)
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check spec files without calling AWS
    #[command(
        after_help = "EXAMPLES:\n  gwctl validate specs/todo.yaml\n  gwctl validate specs/*.yaml\n\nEvery problem is reported as file:line:col with the line and a caret. Exit 1 on any error."
    )]
    Validate(ValidateArgs),
    /// Show what apply would change, without changing anything
    #[command(
        after_help = "EXAMPLES:\n  gwctl plan specs/todo.yaml\n  gwctl plan specs/todo.yaml --detailed-exitcode   # 0 no changes, 2 changes, 1 error\n  gwctl plan specs/todo.yaml --output json\n\nOnly read calls are made. `+` create, `~` change (field: old -> new), `-` delete, `±` replace."
    )]
    Plan(PlanArgs),
    /// Make the account match the spec: create, change and delete, then deploy
    #[command(
        after_help = "EXAMPLES:\n  gwctl apply specs/todo.yaml\n  gwctl apply specs/todo.yaml --yes --output json\n  gwctl apply specs/tasks-apikey.yaml --show-secrets   # print the API key values (stdout only)\n  gwctl --endpoint-url http://127.0.0.1:5000 apply specs/todo.yaml\n\nThe plan is printed first. On a terminal gwctl asks before changing anything unless --yes; \nwithout a terminal (CI) it proceeds unless --require-approval. A second apply with no \nchanges makes no write call. A deployment is created only when a stage does not serve \nthe spec's configuration."
    )]
    Apply(ApplyArgs),
    /// Deploy the API's current configuration to a stage (only if it does not serve it yet)
    #[command(
        after_help = "EXAMPLES:\n  gwctl deploy --stage prod specs/todo.yaml\n  gwctl deploy --stage dev --stage qa --api todo-api\n  gwctl deploy --stage prod --api-id a1b2c3d4e5 --description \"release 42\"\n\nA deployment is created only when a stage does not serve the API's current configuration \n(--force creates one anyway); all stages named share one deployment. A missing stage is \ncreated, with the spec's settings when a SPEC declares it."
    )]
    Deploy(DeployArgs),
    /// Delete the API and the Lambda permissions gwctl added for it
    #[command(
        after_help = "EXAMPLES:\n  gwctl destroy specs/todo.yaml\n  gwctl destroy --api-id a1b2c3d4e5 --yes\n\nThe deletions are shown first; on a terminal gwctl asks unless --yes. gwctl refuses to \ndelete an API it did not create unless --force. Nothing else in the functions' policies \nis touched, and the account's CloudWatch role is never reset."
    )]
    Destroy(DestroyArgs),
    /// Show what is deployed per stage, the invoke URLs, logging, and drift from a spec
    #[command(
        after_help = "EXAMPLES:\n  gwctl show specs/todo.yaml\n  gwctl show --api todo-api --output json"
    )]
    Show(ShowArgs),
}

#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    /// Stage to deploy to (repeat for several; they share one deployment)
    #[arg(long, required = true, value_name = "NAME")]
    pub stage: Vec<String>,
    /// A spec: finds its API, and gives the stage its settings when it declares it
    #[arg(value_name = "SPEC", conflicts_with_all = ["api"])]
    pub spec: Option<PathBuf>,
    /// The API's name (must be unique in the account and region)
    #[arg(long, value_name = "NAME")]
    pub api: Option<String>,
    /// The API's id
    #[arg(long, value_name = "ID")]
    pub api_id: Option<String>,
    /// Text added to the deployment's description
    #[arg(long)]
    pub description: Option<String>,
    /// Create a deployment even when the stages serve the current configuration
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DestroyArgs {
    /// The spec whose API to delete
    #[arg(value_name = "SPEC", required_unless_present = "api_id")]
    pub spec: Option<PathBuf>,
    /// The API's id
    #[arg(long, value_name = "ID")]
    pub api_id: Option<String>,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Refuse to proceed without --yes when there is no terminal to ask on
    #[arg(long)]
    pub require_approval: bool,
    /// Delete an API gwctl did not create
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// A spec: finds its API and reports drift from it
    #[arg(value_name = "SPEC", conflicts_with_all = ["api"])]
    pub spec: Option<PathBuf>,
    /// The API's name
    #[arg(long, value_name = "NAME")]
    pub api: Option<String>,
    /// The API's id
    #[arg(long, value_name = "ID")]
    pub api_id: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// The spec file
    #[arg(value_name = "SPEC")]
    pub spec: PathBuf,
    /// Exit 2 when there are changes, 0 when there are none (1 on error)
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Use this API (adopt it if gwctl did not create it) instead of finding it by name
    #[arg(long, value_name = "ID")]
    pub api_id: Option<String>,
    /// On an adopted API, also delete what the spec does not declare
    #[arg(long)]
    pub prune: bool,
    /// Save the plan to FILE; `gwctl apply FILE` applies exactly it
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    /// The spec file, or a plan file saved by `gwctl plan --out`
    #[arg(value_name = "SPEC|PLANFILE")]
    pub spec: PathBuf,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Refuse to proceed without --yes when there is no terminal to ask on
    #[arg(long)]
    pub require_approval: bool,
    /// Use this API (adopt it if gwctl did not create it) instead of finding it by name
    #[arg(long, value_name = "ID")]
    pub api_id: Option<String>,
    /// On an adopted API, also delete what the spec does not declare
    #[arg(long)]
    pub prune: bool,
    /// Create a deployment even when every stage serves the current configuration
    #[arg(long)]
    pub force: bool,
    /// Print the values of the spec's API keys (on stdout only, never in logs)
    #[arg(long)]
    pub show_secrets: bool,
}

/// An error at the edge of a command: printed once, then mapped to an exit code.
#[derive(Debug)]
pub struct Failure {
    /// None when the problem was already reported (e.g. spec diagnostics).
    pub message: Option<String>,
    pub hint: Option<String>,
    pub code: i32,
    /// In JSON mode the document on stdout already carries the error.
    pub json_reported: bool,
}

impl Failure {
    pub fn msg(message: String, hint: Option<String>) -> Failure {
        Failure {
            message: Some(message),
            hint,
            code: crate::exit::ERROR,
            json_reported: false,
        }
    }
    pub fn reported() -> Failure {
        Failure {
            message: None,
            hint: None,
            code: crate::exit::ERROR,
            json_reported: false,
        }
    }
    pub fn aws(e: crate::aws::error::AwsError, hint: Option<&str>) -> Failure {
        let hint = hint.map(str::to_string).or_else(|| {
            match e.kind {
            crate::aws::error::ErrorKind::AccessDenied => Some(
                "check the credentials in effect (AWS_PROFILE, --profile) and their IAM permissions"
                    .into(),
            ),
            crate::aws::error::ErrorKind::Transport => {
                Some("check the network, --endpoint-url / AWS_ENDPOINT_URL and --region".into())
            }
            _ => None,
        }
        });
        Failure::msg(e.to_string(), hint)
    }
    pub fn already_json(mut self, yes: bool) -> Failure {
        self.json_reported = yes;
        self
    }
}

/// Build the AWS clients from the global options.
pub async fn connect(g: &GlobalArgs) -> Result<crate::aws::Clients, Failure> {
    let opts = crate::aws::config::AwsOptions {
        profile: g.profile.clone(),
        region: g.region.clone(),
        endpoint_url: g.endpoint_url.clone(),
        ..Default::default()
    };
    crate::aws::config::connect(&opts)
        .await
        .map_err(|e| Failure::msg(e.to_string(), None))
}

fn block_on<F: std::future::Future<Output = Result<i32, Failure>>>(
    printer: &crate::output::Printer,
    f: F,
) -> i32 {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            printer.error(&format!("cannot start the async runtime: {e}"), None);
            return crate::exit::ERROR;
        }
    };
    match rt.block_on(f) {
        Ok(code) => code,
        Err(fail) => {
            if let Some(m) = &fail.message {
                if !fail.json_reported {
                    printer.error(m, fail.hint.as_deref());
                }
            }
            fail.code
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// Spec files to check
    #[arg(required = true, value_name = "SPEC")]
    pub specs: Vec<PathBuf>,
}

/// Parse arguments and run the verb; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                crate::exit::ERROR
            } else {
                crate::exit::OK
            };
            let _ = e.print();
            return code;
        }
    };
    match &cli.command {
        Command::Validate(args) => validate::run(args, &cli.global),
        Command::Plan(args) => {
            let printer = crate::output::Printer::new(&cli.global);
            block_on(&printer, apply::plan(args, &cli.global, &printer))
        }
        Command::Apply(args) => {
            let printer = crate::output::Printer::new(&cli.global);
            block_on(&printer, apply::apply(args, &cli.global, &printer))
        }
        Command::Deploy(args) => {
            let printer = crate::output::Printer::new(&cli.global);
            block_on(&printer, lifecycle::deploy(args, &cli.global, &printer))
        }
        Command::Destroy(args) => {
            let printer = crate::output::Printer::new(&cli.global);
            block_on(&printer, lifecycle::destroy(args, &cli.global, &printer))
        }
        Command::Show(args) => {
            let printer = crate::output::Printer::new(&cli.global);
            block_on(&printer, lifecycle::show(args, &cli.global, &printer))
        }
    }
}
