//! Rendering: human text, JSON documents, progress. One [`Printer`] owns stdout (data) and
//! stderr (progress, warnings, logs).

use std::io::{IsTerminal, Write};

use serde::{Deserialize, Serialize};

use crate::plan::{Action, Plan, PlanOp};

/// `--output`: text for people, JSON for scripts. Defined here, not in `cli`, so rendering
/// takes plain values and never imports the command line (cli re-exports it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// `--color`: when to colour output (NO_COLOR is honoured with `auto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Version of every JSON document gwctl prints (docs/json.md). Changes within a version
/// are additive only.
pub const SCHEMA_VERSION: u32 = 1;

/// Writes data to stdout and everything else to stderr, honouring --output, --quiet,
/// --verbose and --color / NO_COLOR.
#[derive(Debug, Clone)]
pub struct Printer {
    pub format: OutputFormat,
    pub quiet: bool,
    pub verbose: bool,
    /// Colour on stderr/stdout text.
    pub color: bool,
    /// stderr is a terminal (progress bars, prompts).
    pub stderr_tty: bool,
    /// Colour in the data on stdout: with `--color auto` only when stdout is a terminal too,
    /// so `gwctl plan > plan.txt` writes no escape codes ([`Printer::data`] removes them).
    pub data_color: bool,
}

impl Printer {
    /// A printer for `--output`, `--color`, `--quiet` and `--verbose` as given.
    pub fn new(format: OutputFormat, color: ColorChoice, quiet: bool, verbose: bool) -> Printer {
        let stderr_tty = std::io::stderr().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let term_ok = !no_color && std::env::var("TERM").as_deref() != Ok("dumb");
        let choice = color;
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stderr_tty && term_ok,
        };
        let data_color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => std::io::stdout().is_terminal() && term_ok,
        };
        Printer {
            format,
            quiet,
            verbose,
            color,
            stderr_tty,
            data_color,
        }
    }

    pub fn json(&self) -> bool {
        self.format == OutputFormat::Json
    }

    /// Data on stdout, terminal-safe: every control character in it is escaped visibly
    /// ([`crate::term`]). A closed pipe (`gwctl plan | head`) ends the process quietly.
    pub fn data(&self, text: &str) {
        self.stdout(&crate::term::escape(text));
    }

    /// Data on stdout that gwctl painted with [`Printer::paint`] around parts it escaped with
    /// [`crate::term::escape`]: gwctl's own colour codes are kept when stdout takes colour
    /// (`gwctl plan > plan.txt` writes none), anything else is escaped.
    pub fn data_painted(&self, text: &str) {
        self.stdout(&crate::term::painted(text, self.data_color));
    }

    fn stdout(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let r = out.write_all(text.as_bytes()).and_then(|_| {
            if !text.ends_with('\n') && !text.is_empty() {
                out.write_all(b"\n")?;
            }
            out.flush()
        });
        if let Err(e) = r {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(crate::exit::OK);
            }
        }
    }

    /// A JSON document on stdout; control and bidi characters in its strings are `\uXXXX`
    /// escapes ([`crate::term::json`]).
    pub fn document<T: Serialize>(&self, doc: &T) {
        let text = crate::term::to_json_pretty(doc).expect("documents serialise");
        self.stdout(&text);
    }

    /// Progress and information on stderr (suppressed by --quiet).
    pub fn info(&self, text: &str) {
        if !self.quiet {
            eprintln!("{}", crate::term::escape(text));
        }
    }

    /// Details shown with --verbose only.
    pub fn debug(&self, text: &str) {
        if self.verbose && !self.quiet {
            eprintln!("{}", self.paint(&crate::term::escape(text), "2"));
        }
    }

    pub fn warn(&self, text: &str) {
        eprintln!(
            "{}: {}",
            self.paint("warning", "33;1"),
            crate::term::escape(text)
        );
    }

    pub fn error(&self, text: &str, hint: Option<&str>) {
        eprintln!(
            "{}: {}",
            self.paint("error", "31;1"),
            crate::term::escape(text)
        );
        if let Some(h) = hint {
            eprintln!("{}: {}", self.paint("hint", "36"), crate::term::escape(h));
        }
    }

    /// Wrap in an ANSI SGR code when colour is on. `text` must be safe already (gwctl's own
    /// words, or [`crate::term::escape`]d).
    pub fn paint(&self, text: &str, sgr: &str) -> String {
        if self.color {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// The plan as text (what `plan` prints and `apply` shows before changing anything), to
/// print with [`Printer::data_painted`]: names and values are escaped ([`crate::term`]).
pub fn render_plan<O: PlanOp>(
    p: &Printer,
    api_name: &str,
    api_id: Option<&str>,
    plan: &Plan<O>,
) -> String {
    use crate::term::escape;
    let kind = O::API_LABEL;
    let api_name = escape(api_name);
    let api_id = api_id.map(escape);
    let api_id = api_id.as_deref();
    let mut s = String::new();
    let kept = |s: &mut String| {
        for k in &plan.kept {
            s.push_str(&format!(
                "  = {} (not in spec: kept; `--prune` deletes it)\n",
                escape(k)
            ));
        }
    };
    if plan.is_empty() {
        s.push_str(&format!(
            "No changes. {kind} `{api_name}`{} matches the spec.\n",
            api_id.map(|i| format!(" ({i})")).unwrap_or_default()
        ));
        kept(&mut s);
        return s;
    }
    s.push_str(&format!(
        "{kind} `{api_name}` ({}):\n",
        api_id.unwrap_or("new")
    ));
    for ch in &plan.changes {
        let sgr = match ch.action {
            Action::Create => "32",
            Action::Update => "33",
            Action::Delete => "31",
            Action::Replace => "35",
        };
        s.push_str(&format!(
            "  {} {} {}\n",
            p.paint(ch.action.symbol(), sgr),
            escape(&ch.kind),
            escape(&ch.name)
        ));
        for f in &ch.fields {
            let new = f
                .new
                .as_deref()
                .map(trim_value)
                .unwrap_or_else(|| "(none)".into());
            if ch.action == Action::Create && f.old.is_none() {
                s.push_str(&format!("      {}: {new}\n", escape(&f.field)));
            } else {
                let old = f
                    .old
                    .as_deref()
                    .map(trim_value)
                    .unwrap_or_else(|| "(none)".into());
                s.push_str(&format!("      {}: {old} -> {new}\n", escape(&f.field)));
            }
        }
    }
    kept(&mut s);
    let (c, u, d) = plan.summary();
    s.push_str(&format!(
        "Plan: {c} to create, {u} to change, {d} to delete ({} calls).\n",
        plan.ops.len()
    ));
    s
}

/// One line, at most 120 characters; long values keep their start and their end (where
/// ARNs and URIs carry what differs) around an ellipsis; control characters escaped.
fn trim_value(v: &str) -> String {
    crate::term::escape(&cut_value(v)).into_owned()
}

fn cut_value(v: &str) -> String {
    let one_line = v.replace('\n', "\\n");
    let chars: Vec<char> = one_line.chars().collect();
    if chars.len() > 120 {
        let head: String = chars[..40].iter().collect();
        let tail: String = chars[chars.len() - 77..].iter().collect();
        format!("{head}...{tail}")
    } else {
        one_line
    }
}

/// `plan --output json` and the `plan` part of `apply --output json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PlanDoc {
    pub schema_version: u32,
    pub command: String,
    pub api: ApiDoc,
    pub changes: Vec<ChangeDoc>,
    pub summary: SummaryDoc,
    /// Objects the spec does not declare that an adopted API keeps (`kind name`).
    #[serde(default)]
    pub not_in_spec: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ApiDoc {
    pub name: String,
    pub kind: String,
    /// None when the API does not exist yet.
    pub id: Option<String>,
    /// Whether gwctl created (owns) this API.
    pub owned: bool,
    /// The spec's environment (`--env`), when it declares environments (plan and apply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The variables and built-ins the spec used, with their sources (plan and apply).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<crate::spec::vars::UsedValue>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChangeDoc {
    /// create | update | delete | replace
    pub action: String,
    pub kind: String,
    pub name: String,
    pub fields: Vec<FieldDoc>,
    /// AWS operations this change makes, in order.
    pub calls: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FieldDoc {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SummaryDoc {
    pub create: usize,
    pub update: usize,
    pub delete: usize,
    /// Write calls the plan makes.
    pub calls: usize,
}

pub fn plan_doc<O: PlanOp>(command: &str, api: ApiDoc, plan: &Plan<O>) -> PlanDoc {
    let (create, update, delete) = plan.summary();
    PlanDoc {
        schema_version: SCHEMA_VERSION,
        command: command.to_string(),
        api,
        changes: plan
            .changes
            .iter()
            .map(|c| ChangeDoc {
                action: serde_json::to_value(c.action)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                kind: c.kind.clone(),
                name: c.name.clone(),
                fields: c
                    .fields
                    .iter()
                    .map(|f| FieldDoc {
                        field: f.field.clone(),
                        old: f.old.clone(),
                        new: f.new.clone(),
                    })
                    .collect(),
                calls: c
                    .ops
                    .iter()
                    .map(|i| plan.ops[*i].aws_name().to_string())
                    .collect(),
            })
            .collect(),
        summary: SummaryDoc {
            create,
            update,
            delete,
            calls: plan.ops.len(),
        },
        not_in_spec: plan.kept.clone(),
    }
}

/// `apply --output json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ApplyDoc {
    pub schema_version: u32,
    pub command: String,
    /// `applied`, `no_changes`, `failed`, `interrupted`.
    pub result: String,
    pub api: ApiDoc,
    pub changes: Vec<ChangeDoc>,
    pub summary: SummaryDoc,
    pub stages: Vec<StageDoc>,
    pub calls: CallsDoc,
    /// Present when result is `failed`: the call that failed and what was not applied.
    pub error: Option<ErrorDoc>,
    pub notes: Vec<String>,
    /// The spec's API keys (REST), in spec order.
    #[serde(default)]
    pub api_keys: Vec<ApiKeyDoc>,
    /// The spec's custom domain names (`domains:`): where DNS must point, and the custom URL
    /// of each mapping of this API. Absent without `domains:`. Added within schema version 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<DomainDoc>,
}

/// A custom domain name in `apply` and `show` documents (docs/json.md).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DomainDoc {
    pub name: String,
    /// `REGIONAL` or `EDGE`.
    pub endpoint: String,
    /// The name an alias (or CNAME) record for the domain points at: the regional domain
    /// name, or the CloudFront distribution of an edge domain. `null` until it exists.
    pub dns_target: Option<String>,
    /// The Route 53 hosted zone of `dns_target` (for an alias record).
    pub hosted_zone_id: Option<String>,
    /// `dns:`: the Route 53 hosted zone where gwctl keeps the domain's A and AAAA alias
    /// records (absent without `dns:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_zone: Option<String>,
    /// Each mapping of this API on the domain.
    pub mappings: Vec<MappingDoc>,
}

/// One mapping of a custom domain to a stage of the API.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MappingDoc {
    pub stage: String,
    /// `https://DOMAIN/BASE_PATH` (`https://DOMAIN/` for the root).
    pub url: String,
}

/// An API key of the spec, in `apply` reports. The value only with `--show-secrets`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyDoc {
    pub name: String,
    /// None when the key does not exist (a failed apply).
    pub id: Option<String>,
    /// `generated` (by AWS), `env` (from the environment variable the spec names) or
    /// `existing` (referenced by id).
    pub source: String,
    /// The key's value: only with `apply --show-secrets`, otherwise null.
    pub value: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StageDoc {
    pub name: String,
    pub invoke_url: String,
    /// WebSocket APIs: the `@connections` URL backends post to clients through (absent for
    /// the other kinds). Added within schema version 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    pub deployment_id: Option<String>,
    pub logging_level: String,
    pub data_trace: bool,
    pub metrics: bool,
    pub throttle_rate: Option<f64>,
    pub throttle_burst: Option<i32>,
    pub tracing: bool,
    pub access_log_destination: Option<String>,
    /// REST: the stage's cache cluster, only while it is on. Added within schema version 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheDoc>,
}

/// A REST stage's canary release (docs/json.md).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CanaryDoc {
    /// The deployment the canary serves.
    pub deployment_id: Option<String>,
    /// Its share of the stage's traffic, in percent.
    pub percent: f64,
    /// It serves the API's current configuration.
    pub current: bool,
}

/// A REST stage's cache cluster (docs/json.md).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CacheDoc {
    /// GB, e.g. `0.5`.
    pub size: Option<String>,
    /// The stage-wide TTL in seconds.
    pub ttl_seconds: Option<i32>,
    pub encrypted: bool,
}

impl CacheDoc {
    pub fn of(size: Option<String>, ttl_seconds: Option<i32>, encrypted: bool) -> CacheDoc {
        CacheDoc {
            size,
            ttl_seconds,
            encrypted,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CallsDoc {
    pub total: usize,
    pub reads: usize,
    pub writes: usize,
    pub failed: usize,
    pub retries: usize,
    /// Operation name -> count, sorted by name.
    pub by_operation: std::collections::BTreeMap<String, usize>,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ErrorDoc {
    pub message: String,
    pub failed_call: Option<String>,
    pub applied_calls: usize,
    pub not_applied_calls: usize,
}

/// A spec problem in a JSON document (`validate --output json`, docs/json.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiagnosticJson {
    /// `error` or `warning`.
    pub severity: String,
    pub file: String,
    /// 1-based; `null` when the problem has no position.
    pub line: Option<u32>,
    pub col: Option<u32>,
    pub message: String,
    pub hint: Option<String>,
}

impl From<&crate::spec::Diagnostic> for DiagnosticJson {
    fn from(d: &crate::spec::Diagnostic) -> Self {
        DiagnosticJson {
            severity: d.severity.as_str().to_string(),
            file: d.file.display().to_string(),
            line: (d.line > 0).then_some(d.line),
            col: (d.line > 0).then_some(d.col),
            message: d.message.clone(),
            hint: d.hint.clone(),
        }
    }
}

/// What [`calls_doc`] needs to know of one recorded call. `aws::CallRecord` implements it;
/// rendering does not import `aws`.
pub trait CallSummary {
    fn operation(&self) -> &str;
    fn is_write(&self) -> bool;
    fn ok(&self) -> bool;
    /// HTTP attempts made (1 + retries).
    fn attempts(&self) -> u32;
}

/// What every verb prints on stdout with `--output json` when it fails before (or instead
/// of) its own document: an invalid spec, a missing region or profile, an AWS error, a
/// refused plan file. The exit code is the same as in text mode.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FailureDoc {
    pub schema_version: u32,
    pub command: String,
    /// Always `error`.
    pub result: String,
    pub error: FailureErrorDoc,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FailureErrorDoc {
    /// One line, as `error:` on stderr.
    pub message: String,
    /// What to do about it, as `hint:` on stderr.
    pub hint: Option<String>,
    /// The spec's problems when the spec is what failed (as in `validate --output json`).
    pub diagnostics: Vec<DiagnosticJson>,
}

pub fn failure_doc(
    command: &str,
    message: &str,
    hint: Option<&str>,
    diagnostics: &[crate::spec::Diagnostic],
) -> FailureDoc {
    FailureDoc {
        schema_version: SCHEMA_VERSION,
        command: command.to_string(),
        result: "error".into(),
        error: FailureErrorDoc {
            message: message.to_string(),
            hint: hint.map(str::to_string),
            diagnostics: diagnostics.iter().map(Into::into).collect(),
        },
    }
}

/// Summarise a call log.
pub fn calls_doc<C: CallSummary>(calls: &[C], seconds: f64) -> CallsDoc {
    let mut by = std::collections::BTreeMap::new();
    for c in calls {
        *by.entry(c.operation().to_string()).or_insert(0) += 1;
    }
    let writes = calls.iter().filter(|c| c.is_write()).count();
    CallsDoc {
        total: calls.len(),
        reads: calls.len() - writes,
        writes,
        failed: calls.iter().filter(|c| !c.ok()).count(),
        retries: calls
            .iter()
            .map(|c| c.attempts().saturating_sub(1) as usize)
            .sum(),
        by_operation: by,
        seconds: (seconds * 1000.0).round() / 1000.0,
    }
}

/// Progress of an apply: an indicatif bar on a terminal, one plain line per step otherwise.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    plain: bool,
    total: usize,
}

impl Progress {
    pub fn new(p: &Printer, total: usize) -> Progress {
        if p.quiet || total == 0 {
            return Progress {
                bar: None,
                plain: false,
                total,
            };
        }
        // --verbose prints a line per AWS call: plain step lines read better around them.
        // CI logs (`CI` set, even with a terminal) get plain lines too.
        if p.stderr_tty && !p.verbose && !running_in_ci() {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(total as u64),
                indicatif::ProgressDrawTarget::stderr(),
            );
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} [{bar:30}] {pos}/{len} {msg} (eta {eta})",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            Progress {
                bar: Some(bar),
                plain: false,
                total,
            }
        } else {
            Progress {
                bar: None,
                plain: true,
                total,
            }
        }
    }

    pub fn start(&self, index: usize, label: &str) {
        if let Some(b) = &self.bar {
            b.set_message(crate::term::escape(label).into_owned());
        } else if self.plain {
            eprintln!(
                "[{}/{}] {}",
                index + 1,
                self.total,
                crate::term::escape(label)
            );
        }
    }

    pub fn finish_one(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }

    pub fn done(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// `CI` is set to something other than `false` / `0` (GitHub Actions, GitLab CI, and most
/// others set `CI=true`).
pub fn running_in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// A short label for an op, for progress lines ([`crate::plan::PlanOp::label`]).
pub fn op_label(op: &crate::plan::Op) -> String {
    crate::plan::PlanOp::label(op)
}
