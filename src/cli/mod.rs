//! Command-line definitions (clap) and dispatch. Each verb lives in its own module and
//! returns an exit code from [`crate::exit`].

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
    #[command(after_help = "EXAMPLES:\n  gwctl validate specs/todo.yaml\n  gwctl validate specs/*.yaml\n\nEvery problem is reported as file:line:col with the line and a caret. Exit 1 on any error.")]
    Validate(ValidateArgs),
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
            let code = if e.use_stderr() { crate::exit::ERROR } else { crate::exit::OK };
            let _ = e.print();
            return code;
        }
    };
    match &cli.command {
        Command::Validate(args) => validate::run(args, &cli.global),
    }
}
