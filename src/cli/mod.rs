//! Command-line definitions (clap) and dispatch. Each verb lives in its own module and
//! returns an exit code from [`crate::exit`].

pub mod apply;
pub mod completions;
pub mod cors;
pub mod doctor;
pub mod export;
pub mod lifecycle;
pub mod multi;
pub mod plan;
pub mod planfile;
pub mod reference;
pub mod report;
pub mod rest;
pub mod schema;
pub mod validate;
pub mod vars;
pub mod verify;
pub mod version;

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "gwctl",
    version = version::LONG,
    about = "Provision Amazon API Gateway (REST, HTTP and WebSocket APIs) from a declarative YAML spec",
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
    /// Cap gwctl's API Gateway calls at RATE per second (default: the account quota, 10/s
    /// burst 40); lower it when other jobs share the account, `off` for emulators
    #[arg(
        long,
        global = true,
        value_name = "RATE",
        env = "GWCTL_MAX_RPS",
        long_help = "Cap gwctl's API Gateway control-plane calls at RATE per second, burst 4 s \
worth (default: the account quota of 10 calls/s, burst 40, shared with every other tool and \
job in the account and region). Per-operation quotas (CreateRestApi 1 per 3 s, \
CreateDeployment 1 per 5 s, ...) always apply. Lower it when other jobs use the same account \
at the same time; `off` disables pacing (local emulators). Throttled calls are retried with \
backoff either way. Also GWCTL_MAX_RPS."
    )]
    pub max_rps: Option<crate::aws::pace::Pacing>,
    /// The environment of the spec's `environments:` to use (also GWCTL_ENV)
    #[arg(long = "env", global = true, value_name = "NAME", env = "GWCTL_ENV")]
    pub env: Option<String>,
    /// Set the spec's variable NAME (repeatable; wins over GWCTL_VAR_NAME, --var-file, the
    /// environment's value and the default)
    #[arg(long = "var", global = true, value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variable values from a YAML file of `NAME: VALUE` lines (repeatable; a later
    /// file wins)
    #[arg(long = "var-file", global = true, value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
}

/// `--output` and `--color` values live in [`crate::output`] (rendering takes plain values).
pub use crate::output::{ColorChoice, OutputFormat};

impl GlobalArgs {
    /// The printer these options ask for.
    pub fn printer(&self) -> crate::output::Printer {
        crate::output::Printer::new(self.output, self.color, self.quiet, self.verbose)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check spec files without calling AWS
    #[command(
        after_help = "EXAMPLES:\n  gwctl validate specs/todo.yaml\n  gwctl validate specs/*.yaml\n\nEvery problem is reported as file:line:col with the line and a caret. Every spec is checked, and two specs that describe the same API (kind and name, in one region and profile) are refused as plan and apply refuse them. Exit 0 when every spec is valid, 1 on any error in any spec."
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
    /// Check region, credentials, a spec's functions and the account's CloudWatch Logs role
    #[command(
        after_help = "EXAMPLES:\n  gwctl doctor\n  gwctl doctor specs/todo.yaml\n  gwctl doctor --fix-logging-role arn:aws:iam::123456789012:role/apigw-cloudwatch\n\nEach problem comes with what to set or run. Stages that log to CloudWatch (`logging`, \n`data_trace`, an `access_log` to a log group) need API Gateway's account-level CloudWatch \nLogs role; --fix-logging-role sets it only when none is set, never replaces another role, \nand gwctl never resets it (not on destroy either). Exit 1 when a check fails."
    )]
    Doctor(doctor::DoctorArgs),
    /// Print the gwctl spec of a live API (to adopt it), or an OpenAPI 3.0 document of a spec or a live API
    #[command(after_help = export::AFTER_HELP)]
    Export(export::ExportArgs),
    /// Print the JSON Schema of the spec language (editor completion and checks)
    #[command(
        after_help = "EXAMPLES:\n  gwctl schema > gwctl.schema.json\n\nThen start a spec with `# yaml-language-server: $schema=./gwctl.schema.json` (docs/editors.md)."
    )]
    Schema(schema::SchemaArgs),
    /// Print shell completions for bash, zsh or fish
    #[command(
        after_help = "EXAMPLES:\n  gwctl completions bash > ~/.local/share/bash-completion/completions/gwctl\n  gwctl completions zsh > \"${fpath[1]}/_gwctl\"\n  gwctl completions fish > ~/.config/fish/completions/gwctl.fish"
    )]
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff), or write one page per verb to a directory
    #[command(
        after_help = "EXAMPLES:\n  gwctl man | man -l -\n  gwctl man --dir /usr/local/share/man/man1"
    )]
    Man(completions::ManArgs),
    /// Add or remove CORS on an existing REST API: preflight methods and error responses
    Cors(cors::CorsArgs),
    /// Send real CORS requests to a deployed stage: would a browser accept the answers?
    #[command(
        after_help = "EXAMPLES:\n  gwctl verify specs/todo.yaml\n  gwctl verify specs/todo.yaml --stage prod --output json\n  gwctl verify --url https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod \\\n      --origin https://app.example.com --path /todos --method PUT\n  gwctl --endpoint-url http://127.0.0.1:4566 verify specs/todo.yaml   # LocalStack\n\nFor each route a preflight (OPTIONS with Origin, Access-Control-Request-Method and \n-Headers), and for each stage and origin one request to a path no route serves (API \nGateway's own error must carry CORS headers too). Each answer is judged by the browser's \nrules; exit 1 when any would be refused, naming the header. Only requests to the invoke URL \nare sent besides the reads that find the API."
    )]
    Verify(verify::VerifyArgs),
    /// Print the version, the git commit and the build date
    #[command(
        after_help = "EXAMPLES:\n  gwctl version\n  gwctl version --output json\n\n`gwctl --version` prints the same line."
    )]
    Version(version::VersionArgs),
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
    /// REST: deploy the current configuration to the stage's canary only, with PERCENT of
    /// its traffic (default: the spec's `canary.percent`)
    #[arg(long, value_name = "PERCENT", num_args = 0..=1, conflicts_with_all = ["promote", "rollback"])]
    pub canary: Option<Option<f64>>,
    /// REST: make the stage's canary its deployment (and its variables the stage's), then
    /// remove the canary
    #[arg(long, conflicts_with = "rollback")]
    pub promote: bool,
    /// REST: remove the stage's canary; the stage keeps its deployment
    #[arg(long)]
    pub rollback: bool,
}

impl DeployArgs {
    /// The canary verb asked for, if any.
    pub fn canary_action(&self) -> Option<crate::engine::CanaryAction> {
        use crate::engine::CanaryAction;
        match (self.canary, self.promote, self.rollback) {
            (Some(percent), _, _) => Some(CanaryAction::Deploy { percent }),
            (None, true, _) => Some(CanaryAction::Promote),
            (None, false, true) => Some(CanaryAction::Rollback),
            (None, false, false) => None,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct DestroyArgs {
    /// The spec whose API to delete
    #[arg(value_name = "SPEC", required_unless_present = "api_id")]
    pub spec: Option<PathBuf>,
    /// More specs: their APIs are found and shown together, confirmed once and deleted at
    /// the same time
    #[arg(value_name = "SPEC", conflicts_with = "api_id")]
    pub more: Vec<PathBuf>,
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
    /// More spec files: their APIs are read and planned at the same time, shown one after
    /// the other (not with `--out`: a saved plan holds one API)
    #[arg(value_name = "SPEC")]
    pub more: Vec<PathBuf>,
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
    /// More spec files: all are checked before any call, their plans shown together and
    /// confirmed once, their APIs applied at the same time within the account's quotas (not
    /// with a PLANFILE: a saved plan holds one API)
    #[arg(value_name = "SPEC")]
    pub more: Vec<PathBuf>,
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
    /// A new REST API: create it from its OpenAPI definition (CreateRestApi with the
    /// ownership tag, one PutRestApi), then make only the calls the definition did not cover;
    /// the end state is the same (docs/design.md, "The definition path")
    #[arg(long)]
    pub definition: bool,
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
    /// The spec's problems, when that is what failed (printed on stderr already; in JSON
    /// mode they are part of the error document).
    pub diagnostics: Vec<crate::spec::Diagnostic>,
    /// What the error document says when `message` is None (the problem was printed).
    pub summary: Option<String>,
    /// `diagnostics` are still to be printed (on stderr, before the message): the engine
    /// returns them, it does not print.
    pub print_diagnostics: bool,
}

impl Failure {
    pub fn msg(message: String, hint: Option<String>) -> Failure {
        Failure {
            message: Some(message),
            hint,
            code: crate::exit::ERROR,
            json_reported: false,
            diagnostics: Vec::new(),
            summary: None,
            print_diagnostics: false,
        }
    }
    pub fn reported() -> Failure {
        Failure {
            message: None,
            hint: None,
            code: crate::exit::ERROR,
            json_reported: false,
            diagnostics: Vec::new(),
            summary: None,
            print_diagnostics: false,
        }
    }
    /// The spec `path` has errors, printed already: `diagnostics` go into the JSON error
    /// document.
    pub fn invalid_spec(
        path: &std::path::Path,
        diagnostics: &[crate::spec::Diagnostic],
    ) -> Failure {
        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
        Failure {
            summary: Some(format!(
                "{errors} problem{} in {}",
                if errors == 1 { "" } else { "s" },
                path.display()
            )),
            diagnostics: diagnostics.to_vec(),
            ..Failure::reported()
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

/// The engine's typed errors, rendered: the message and hint gwctl prints, and the
/// diagnostics at spec lines that go before them (and into the JSON error document).
impl From<crate::engine::EngineError> for Failure {
    fn from(e: crate::engine::EngineError) -> Failure {
        Failure {
            diagnostics: e.diagnostics().to_vec(),
            print_diagnostics: true,
            ..Failure::msg(e.to_string(), e.hint())
        }
    }
}

/// Build the AWS clients from the global options.
pub async fn connect(g: &GlobalArgs) -> Result<crate::aws::Clients, Failure> {
    // The flags, else the selected environment's (the AWS_* variables win over it).
    let (region, profile) = vars::aws_defaults(g);
    let opts = crate::aws::config::AwsOptions {
        profile,
        region,
        endpoint_url: g.endpoint_url.clone(),
        ..Default::default()
    };
    // Resolve the credentials once up front: a missing region or credentials is reported
    // with what to set, before any call (the message and its `hint:` line apart).
    let config_failure = |e: crate::aws::config::ConfigError| {
        let (message, hint) = doctor::split_hint(&e.to_string());
        Failure::msg(message, hint)
    };
    let sdk = crate::aws::config::load_sdk_config(&opts)
        .await
        .map_err(config_failure)?;
    crate::aws::config::check_credentials(&sdk)
        .await
        .map_err(config_failure)?;
    let clients = crate::aws::config::clients_paced(&sdk, &opts, g.max_rps.unwrap_or_default())
        .map_err(config_failure)?;
    // `${aws.account_id}`: one STS call, only when the spec uses it.
    let account = if vars::needs_account() {
        Some(
            crate::aws::identity::account_id(&sdk)
                .await
                .map_err(|e| Failure::aws(e, None))?,
        )
    } else {
        None
    };
    vars::connected(&clients.region, account);
    Ok(clients)
}

/// Run a verb. A failure is printed once on stderr; with `--output json` it is also one
/// error document on stdout ([`crate::output::FailureDoc`]) unless the verb's own document
/// carried it already, so scripts never parse stderr.
fn block_on<F: std::future::Future<Output = Result<i32, Failure>>>(
    command: &str,
    printer: &crate::output::Printer,
    f: F,
) -> i32 {
    crate::cancel::install();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let message = format!("cannot start the async runtime: {e}");
            printer.error(&message, None);
            if printer.json() {
                printer.document(&crate::output::failure_doc(command, &message, None, &[]));
            }
            return crate::exit::ERROR;
        }
    };
    let code = match rt.block_on(f) {
        Ok(code) => code,
        Err(fail) => {
            if fail.print_diagnostics {
                for d in &fail.diagnostics {
                    eprint!("{}", d.render(printer.color));
                }
            }
            // After Ctrl-C the interruption report (what was and was not applied) was
            // printed instead.
            if !fail.json_reported && !crate::cancel::honoured() {
                if let Some(m) = &fail.message {
                    printer.error(m, fail.hint.as_deref());
                }
                let message = fail.message.as_ref().or(fail.summary.as_ref());
                if let (true, Some(m)) = (printer.json(), message) {
                    printer.document(&crate::output::failure_doc(
                        command,
                        m,
                        fail.hint.as_deref(),
                        &fail.diagnostics,
                    ));
                }
            }
            fail.code
        }
    };
    if crate::cancel::honoured() {
        crate::exit::INTERRUPTED
    } else {
        code
    }
}

#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// Spec files to check
    #[arg(required = true, value_name = "SPEC")]
    pub specs: Vec<PathBuf>,
}

/// The clap command: [`Cli`] with the EXIT STATUS section added to every verb's help. Used
/// to parse arguments, and to generate completions, the man page and docs/cli.md.
pub fn command() -> clap::Command {
    let mut cmd = Cli::command();
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, |s| {
            let text = match s.get_after_help() {
                Some(h) => format!("{h}\n\n{}", crate::exit::HELP),
                None => crate::exit::HELP.to_string(),
            };
            s.after_help(text)
        });
    }
    cmd
}

/// `--output json` (or `--output=json`) among raw arguments clap refused.
fn wants_json(args: &[String]) -> bool {
    args.iter().any(|a| a == "--output=json")
        || args
            .windows(2)
            .any(|w| w[0] == "--output" && w[1] == "json")
}

/// The verb among raw arguments (`cors enable` as one), `gwctl` when there is none.
fn verb_of(args: &[String]) -> String {
    let names: Vec<String> = command()
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    match args.iter().position(|a| names.contains(a)) {
        Some(i) if args[i] == "cors" => match args.get(i + 1).map(String::as_str) {
            Some(sub @ ("enable" | "disable")) => format!("cors {sub}"),
            _ => "cors".into(),
        },
        Some(i) => args[i].clone(),
        None => "gwctl".into(),
    }
}

/// The spec path a verb acts on (for [`vars::install`]).
fn spec_path(command: &Command) -> Option<PathBuf> {
    use Command as C;
    match command {
        C::Plan(a) => Some(a.spec.clone()),
        C::Apply(a) => Some(a.spec.clone()),
        C::Deploy(a) => a.spec.clone(),
        C::Destroy(a) => a.spec.clone(),
        C::Show(a) => a.spec.clone(),
        C::Doctor(a) => a.spec.clone(),
        C::Verify(a) => a.spec.clone(),
        C::Cors(a) => match &a.command {
            cors::CorsCommand::Enable(e) => e.target.spec.clone(),
            cors::CorsCommand::Disable(d) => d.target.spec.clone(),
        },
        _ => None,
    }
}

/// Parse arguments and run the verb; returns the exit code.
pub fn main() -> i32 {
    let parsed = command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                crate::exit::ERROR
            } else {
                crate::exit::OK
            };
            if e.use_stderr() {
                // clap quotes the arguments it refuses: escaped like everything gwctl prints.
                let text = e.render().to_string();
                eprint!("{}", crate::term::escape(&text));
                let args: Vec<String> = std::env::args().skip(1).collect();
                if wants_json(&args) {
                    // Scripts asked for JSON: the refusal is an error document too.
                    let message = text
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .trim_start_matches("error: ");
                    let doc = crate::output::failure_doc(&verb_of(&args), message, None, &[]);
                    println!(
                        "{}",
                        crate::term::to_json_pretty(&doc).expect("documents serialise")
                    );
                }
            } else {
                let _ = e.print();
            }
            return code;
        }
    };
    if cli.global.verbose && !cli.global.quiet {
        // --verbose: each AWS call on stderr as it completes (see crate::aws::trace).
        let printer = cli.global.printer();
        crate::aws::trace::observe(move |r| printer.debug(&crate::aws::trace::line(r)));
    }
    let spec_source = spec_path(&cli.command).and_then(|p| planfile::spec_source(&p));
    if let Err(fail) = vars::install(&cli.global, spec_source) {
        let printer = cli.global.printer();
        return block_on("gwctl", &printer, async { Err(fail) });
    }
    match &cli.command {
        Command::Validate(args) => validate::run(args, &cli.global),
        Command::Plan(args) => {
            let printer = cli.global.printer();
            if args.more.is_empty() {
                block_on("plan", &printer, plan::plan(args, &cli.global, &printer))
            } else {
                block_on(
                    "plan",
                    &printer,
                    multi::plan_many(args, &cli.global, &printer),
                )
            }
        }
        Command::Apply(args) => {
            let printer = cli.global.printer();
            if args.more.is_empty() {
                block_on("apply", &printer, apply::apply(args, &cli.global, &printer))
            } else {
                block_on(
                    "apply",
                    &printer,
                    multi::apply_many(args, &cli.global, &printer),
                )
            }
        }
        Command::Deploy(args) => {
            let printer = cli.global.printer();
            block_on(
                "deploy",
                &printer,
                lifecycle::deploy(args, &cli.global, &printer),
            )
        }
        Command::Destroy(args) => {
            let printer = cli.global.printer();
            if args.more.is_empty() {
                block_on(
                    "destroy",
                    &printer,
                    lifecycle::destroy(args, &cli.global, &printer),
                )
            } else {
                block_on(
                    "destroy",
                    &printer,
                    multi::destroy_many(args, &cli.global, &printer),
                )
            }
        }
        Command::Show(args) => {
            let printer = cli.global.printer();
            block_on(
                "show",
                &printer,
                lifecycle::show(args, &cli.global, &printer),
            )
        }
        Command::Doctor(args) => {
            let printer = cli.global.printer();
            block_on("doctor", &printer, doctor::run(args, &cli.global, &printer))
        }
        Command::Export(args) => {
            let printer = cli.global.printer();
            block_on("export", &printer, export::run(args, &cli.global, &printer))
        }
        Command::Schema(args) => schema::run(args, &cli.global.printer()),
        Command::Completions(args) => completions::completions(args),
        Command::Man(args) => completions::man(args, &cli.global.printer()),
        Command::Version(args) => version::run(args, &cli.global.printer()),
        Command::Cors(args) => {
            let printer = cli.global.printer();
            // The command name its own documents carry (`cors enable`, `cors disable`).
            let name = match &args.command {
                cors::CorsCommand::Enable(_) => "cors enable",
                cors::CorsCommand::Disable(_) => "cors disable",
            };
            block_on(name, &printer, cors::run(args, &cli.global, &printer))
        }
        Command::Verify(args) => {
            let printer = cli.global.printer();
            block_on(
                "verify",
                &printer,
                verify::verify(args, &cli.global, &printer),
            )
        }
    }
}
