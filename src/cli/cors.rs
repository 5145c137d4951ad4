//! `gwctl cors enable` and `gwctl cors disable`: CORS on a REST API that already exists, made
//! by gwctl or by hand, with or without a spec. Only CORS pieces change (the preflight
//! `OPTIONS` methods and the `DEFAULT_4XX`/`DEFAULT_5XX` gateway responses); what gwctl did
//! not make is recognised by the absence of its markers (`plan::rest::cors`) and left alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Subcommand};

use crate::aws::Clients;
use crate::engine::find;
use crate::engine::Rest;
use crate::output::{calls_doc, plan_doc, render_plan, ApiDoc, ApplyDoc, Printer, SCHEMA_VERSION};
use crate::plan::rest::cors::{plan_disable, plan_enable, CorsPlan};
use crate::plan::rest::desired::{marks, with_alias, PolicyMark};
use crate::plan::rest::plan_stages;
use crate::spec::model::{CorsDef, HttpMethod, Pos, Spec};
use crate::state::rest::{ObservedRestApi, Stage};

use super::apply::{confirm_changes, stage_doc};
use super::lifecycle::not_found;
use super::rest::{load_spec, Purpose};
use super::{connect, Failure, GlobalArgs};
use crate::engine::rest::PROXY_CORS_NOTE;

#[derive(Debug, Args)]
pub struct CorsArgs {
    #[command(subcommand)]
    pub command: CorsCommand,
}

#[derive(Debug, Subcommand)]
pub enum CorsCommand {
    /// Add the CORS preflight and error-response headers to an existing REST API
    #[command(
        after_help = "EXAMPLES:\n  gwctl cors enable --api todo-api --origin https://app.example.com\n  gwctl cors enable --api-id a1b2c3d4e5 --origin https://a.example --deploy prod\n  gwctl cors enable --api todo-api --origin '*' --resource /todos\n  gwctl cors enable specs/todo.yaml          # the spec's `cors` block\n\nThe changes are shown first; on a terminal gwctl asks unless --yes. Only CORS pieces change: \nan unauthenticated MOCK OPTIONS method per resource (Allow-Methods = the resource's methods) \nand the DEFAULT_4XX/DEFAULT_5XX gateway responses. A preflight or gateway response gwctl did \nnot make is left as it is. Running it again makes no change. Lambda proxy responses must \nstill set their own Access-Control-Allow-Origin (API Gateway passes them through)."
    )]
    Enable(EnableArgs),
    /// Remove the CORS pieces gwctl added, and nothing else
    #[command(
        after_help = "EXAMPLES:\n  gwctl cors disable --api todo-api\n  gwctl cors disable --api-id a1b2c3d4e5 --resource /todos --deploy prod\n\nDeletes the OPTIONS methods and gateway responses that carry gwctl's marker (see \ndocs/cors.md), never ones made by hand; the gateway responses go once no gwctl preflight \nis left. `cors enable` then `cors disable` leaves the API as it was."
    )]
    Disable(DisableArgs),
}

/// Which API, which resources, and what to do after.
#[derive(Debug, Clone, Args)]
pub struct CorsTarget {
    /// A spec: finds its API (and, for `enable`, gives the `cors` block)
    #[arg(value_name = "SPEC", conflicts_with = "api")]
    pub spec: Option<PathBuf>,
    /// The API's name (must be unique in the account and region)
    #[arg(long, value_name = "NAME")]
    pub api: Option<String>,
    /// The API's id
    #[arg(long, value_name = "ID")]
    pub api_id: Option<String>,
    /// Only this resource path, e.g. `/todos` (repeat for several; default: every resource)
    #[arg(long, value_name = "PATH")]
    pub resource: Vec<String>,
    /// Afterwards deploy to this stage (created if missing) unless it serves the result already
    #[arg(long, value_name = "STAGE")]
    pub deploy: Option<String>,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Refuse to proceed without --yes when there is no terminal to ask on
    #[arg(long)]
    pub require_approval: bool,
}

#[derive(Debug, Clone, Args)]
pub struct EnableArgs {
    #[command(flatten)]
    pub target: CorsTarget,
    /// An origin allowed to call the API: `https://app.example.com` or `*` (repeat for several; default `*`)
    #[arg(long, value_name = "ORIGIN", conflicts_with = "spec")]
    pub origin: Vec<String>,
    /// Methods browsers may use, e.g. `GET,POST` (default: each resource's own methods)
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        conflicts_with = "spec"
    )]
    pub methods: Vec<String>,
    /// Request headers browsers may send (default: Content-Type, X-Amz-Date, Authorization, X-Api-Key, X-Amz-Security-Token)
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        conflicts_with = "spec"
    )]
    pub headers: Vec<String>,
    /// Response headers scripts may read
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        conflicts_with = "spec"
    )]
    pub expose_headers: Vec<String>,
    /// Seconds browsers may cache a preflight answer (0-86400)
    #[arg(long, value_name = "SECONDS", conflicts_with = "spec")]
    pub max_age: Option<u32>,
    /// Allow credentials (cookies, Authorization); needs explicit origins
    #[arg(long, conflicts_with = "spec")]
    pub credentials: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DisableArgs {
    #[command(flatten)]
    pub target: CorsTarget,
}

/// The `cors` settings given as flags, checked like the spec's `cors` block.
fn cors_from_flags(a: &EnableArgs) -> Result<CorsDef, Failure> {
    let mut problems = Vec::new();
    let origins = if a.origin.is_empty() {
        vec!["*".to_string()]
    } else {
        a.origin.clone()
    };
    for o in &origins {
        if let Some((msg, hint)) = crate::spec::origin_problem(o) {
            problems.push(match hint {
                Some(h) => format!("{msg} ({h})"),
                None => msg,
            });
        }
    }
    let mut methods = Vec::new();
    for m in &a.methods {
        let m = m.trim();
        match HttpMethod::parse(m) {
            _ if m == "*" => methods.push("*".to_string()),
            Some(HttpMethod::Any) | None => {
                problems.push(format!("`{m}` is not a method browsers can be allowed"))
            }
            Some(hm) => methods.push(hm.as_str().to_string()),
        }
    }
    let names = |list: &[String], problems: &mut Vec<String>| -> Vec<String> {
        let mut out = Vec::new();
        for h in list.iter().map(|h| h.trim()) {
            if h.contains('\'') || !crate::spec::is_header_name(h) {
                problems.push(format!("`{h}` is not a header name"));
            } else {
                out.push(h.to_string());
            }
        }
        out
    };
    let headers = names(&a.headers, &mut problems);
    let expose_headers = names(&a.expose_headers, &mut problems);
    if let Some(age) = a.max_age {
        if age > 86_400 {
            problems.push(format!("`--max-age {age}` is above 86400"));
        }
    }
    if a.credentials {
        if origins.iter().any(|o| o == "*") {
            problems.push(
                "`*` origin with `--credentials` is refused by browsers: list the exact origins"
                    .into(),
            );
        }
        if headers.iter().any(|h| h == "*") {
            problems.push("`*` in `--headers` with `--credentials` is taken literally by browsers: list the headers".into());
        }
    }
    if !problems.is_empty() {
        return Err(Failure::msg(
            problems.join("\n"),
            Some("see `gwctl cors enable --help`".into()),
        ));
    }
    Ok(CorsDef {
        pos: Pos::default(),
        gateway_responses: true,
        origins,
        methods,
        headers: if headers.is_empty() {
            crate::plan::desired::DEFAULT_CORS_HEADERS
                .iter()
                .map(|s| s.to_string())
                .collect()
        } else {
            headers
        },
        expose_headers,
        max_age: a.max_age,
        credentials: a.credentials,
    })
}

pub async fn run(args: &CorsArgs, g: &GlobalArgs, printer: &Printer) -> Result<i32, Failure> {
    match &args.command {
        CorsCommand::Enable(a) => execute(&a.target, Some(a), g, printer).await,
        CorsCommand::Disable(a) => execute(&a.target, None, g, printer).await,
    }
}

/// `enable` is `Some` for `cors enable`, `None` for `cors disable`.
async fn execute(
    t: &CorsTarget,
    enable: Option<&EnableArgs>,
    g: &GlobalArgs,
    printer: &Printer,
) -> Result<i32, Failure> {
    let started = Instant::now();
    let command = if enable.is_some() {
        "cors enable"
    } else {
        "cors disable"
    };
    // Flags are checked before any AWS call.
    let flag_cors = match enable {
        Some(a) if t.spec.is_none() => Some(cors_from_flags(a)?),
        _ => None,
    };
    let clients = connect(g).await?;
    let loc = locate(
        &clients,
        t.spec.as_deref(),
        t.api.as_deref(),
        t.api_id.as_deref(),
        printer,
    )
    .await?
    .ok_or_else(|| not_found(t.spec.as_deref(), t.api.as_deref()))?;
    let api = &loc.api;
    let resources: Vec<String> = t
        .resource
        .iter()
        .map(|r| {
            let r = r.trim_end_matches('/');
            if r.is_empty() {
                "/".to_string()
            } else {
                r.to_string()
            }
        })
        .collect();

    let mut notes = Vec::new();
    let planned = match enable {
        Some(_) => {
            let cors = match (&flag_cors, &loc.spec) {
                (Some(c), _) => c.clone(),
                (None, Some(s)) => s.cors.clone().ok_or_else(|| {
                    Failure::msg(
                        format!(
                            "`{}` has no `cors` block",
                            t.spec.as_deref().unwrap_or(std::path::Path::new("")).display()
                        ),
                        Some(
                            "add one (docs/spec.md#cors), or give the settings as flags instead of a SPEC"
                                .into(),
                        ),
                    )
                })?,
                (None, None) => unreachable!("flags are read when no SPEC is given"),
            };
            warn_star_with_auth(printer, api, &cors);
            if has_proxy_integration(api) {
                notes.push(PROXY_CORS_NOTE.to_string());
            }
            plan_enable(&api.config, &cors, &resources)
        }
        None => plan_disable(&api.config, &resources),
    };
    let CorsPlan {
        mut plan,
        after,
        left_alone,
    } = planned.map_err(|e| {
        Failure::msg(
            format!("{e} (`{}`, {})", api.config.name, api.id),
            Some("resource paths are as API Gateway shows them, e.g. `/todos/{id}`".into()),
        )
    })?;
    let deploy_stages: BTreeMap<String, Stage> = match &t.deploy {
        Some(stage) => {
            // The stage keeps its settings: only its deployment moves.
            let keep = api
                .stages
                .get(stage)
                .map(|s| s.settings.clone())
                .unwrap_or_default();
            BTreeMap::from([(stage.clone(), keep)])
        }
        None => BTreeMap::new(),
    };
    if !deploy_stages.is_empty() {
        let (mark, alias) = marks(&after, PolicyMark::Unknown);
        plan_stages(
            &mut plan,
            Some(&with_alias(api, &mark, alias.as_deref())),
            &deploy_stages,
            &mark,
            &mark,
            false,
            "the stage does not serve the API's CORS configuration",
        );
    }

    let api_doc = ApiDoc {
        name: api.config.name.clone(),
        kind: "rest".into(),
        id: Some(api.id.clone()),
        owned: loc.owned,
        environment: None,
        variables: Vec::new(),
    };
    if !printer.json() {
        if plan.is_empty() {
            printer.data(&format!(
                "No changes. CORS on rest api `{}` ({}) is already {}.",
                api.config.name,
                api.id,
                if enable.is_some() {
                    "as asked"
                } else {
                    "free of gwctl's pieces"
                }
            ));
        } else {
            printer.data_painted(&render_plan(
                printer,
                &api.config.name,
                Some(&api.id),
                &plan,
            ));
        }
    }
    for l in &left_alone {
        printer.warn(l);
    }
    let mut deployment_id = None;
    if !plan.is_empty() {
        confirm_changes(
            t.yes,
            t.require_approval,
            printer,
            &format!("Apply these {command} changes?"),
        )?;
        let rep = run_ops(&clients, Some(api), &plan.ops, printer)
            .await
            .map_err(|f| {
                Failure::msg(
                    format!(
                        "{} failed: {}; {} of {} calls were applied",
                        f.op,
                        f.error,
                        f.completed.len(),
                        f.total
                    ),
                    Some(format!(
                        "fix the cause and run `gwctl {command}` again: it continues from what exists"
                    )),
                )
            })?;
        deployment_id = rep.deployment_id;
    }
    let stages = stage_docs(&deploy_stages, api, &api.id, &clients, deployment_id);
    let calls = calls_doc(&clients.calls.snapshot(), started.elapsed().as_secs_f64());
    let result = if plan.is_empty() {
        "no_changes"
    } else {
        "applied"
    };
    if printer.json() {
        // The document `apply` prints; what was left alone goes first among the notes.
        let pd = plan_doc(command, api_doc, &plan);
        let mut all_notes = left_alone;
        all_notes.extend(notes);
        printer.document(&ApplyDoc {
            schema_version: SCHEMA_VERSION,
            command: command.into(),
            result: result.into(),
            api: pd.api,
            changes: pd.changes,
            summary: pd.summary,
            stages,
            calls,
            error: None,
            notes: all_notes,
            api_keys: Vec::new(),
            domains: Vec::new(),
        });
        return Ok(crate::exit::OK);
    }
    let mut s = String::new();
    if !plan.is_empty() {
        let (c, u, d) = plan.summary();
        s.push_str(&format!("applied: {c} created, {u} changed, {d} deleted\n"));
    }
    for st in &stages {
        s.push_str(&format!(
            "stage    {}  {} (deployment {})\n",
            st.name,
            st.invoke_url,
            st.deployment_id.as_deref().unwrap_or("-")
        ));
    }
    if t.deploy.is_none() && !plan.is_empty() && !api.stages.is_empty() {
        notes.push(format!(
            "stages serve a deployment: the change reaches them after `gwctl deploy --stage NAME --api-id {}` (or run with `--deploy NAME`)",
            api.id
        ));
    }
    s.push_str(&format!(
        "calls    {} ({} reads, {} writes) in {:.1}s\n",
        calls.total, calls.reads, calls.writes, calls.seconds
    ));
    printer.data(&s);
    for n in &notes {
        printer.info(&format!("note: {n}"));
    }
    Ok(crate::exit::OK)
}

fn has_proxy_integration(api: &ObservedRestApi) -> bool {
    api.config.resources.values().any(|r| {
        r.methods.values().any(|m| {
            m.integration
                .as_ref()
                .is_some_and(|i| i.kind == "AWS_PROXY")
        })
    })
}

/// `*` lets any web site call an API whose methods need a token or key with a user's
/// credentials in hand (the same warning `validate` gives for specs).
fn warn_star_with_auth(printer: &Printer, api: &ObservedRestApi, cors: &CorsDef) {
    if !cors.origins.iter().any(|o| o == "*") {
        return;
    }
    let authorized = api.config.resources.values().any(|r| {
        r.methods.iter().any(|(verb, m)| {
            verb != "OPTIONS" && (m.authorization_type != "NONE" || m.api_key_required)
        })
    });
    if authorized {
        printer.warn("`*` origin on an api with authorization: any web site can call it with a user's token; list the origins of your front end with `--origin`");
    }
}

/// Run REST ops with the engine, showing progress (a bar on a terminal, plain lines otherwise).
async fn run_ops(
    clients: &Clients,
    observed: Option<&ObservedRestApi>,
    ops: &[crate::plan::Op],
    printer: &Printer,
) -> Result<crate::aws::exec::ExecReport, crate::aws::exec::ExecFailure> {
    crate::engine::run::<Rest>(
        clients,
        observed,
        ops,
        &super::report::CliReporter::new(printer),
    )
    .await
}

/// The settings in effect per REST stage after a run: what the spec manages, over what was
/// observed.
fn stage_docs(
    stages: &std::collections::BTreeMap<String, Stage>,
    observed: &ObservedRestApi,
    api_id: &str,
    clients: &Clients,
    new_deployment: Option<String>,
) -> Vec<crate::output::StageDoc> {
    crate::engine::rest::stage_reports(
        stages,
        observed,
        api_id,
        &clients.region,
        new_deployment.as_deref(),
    )
    .into_iter()
    .map(stage_doc)
    .collect()
}

/// The REST API a verb acts on: a spec, `--api NAME` or `--api-id ID`.
type Located = find::Located<Rest>;

async fn locate(
    clients: &Clients,
    spec_path: Option<&Path>,
    api_name: Option<&str>,
    api_id: Option<&str>,
    printer: &Printer,
) -> Result<Option<Located>, Failure> {
    let spec = match spec_path {
        Some(p) => Some(load_spec(p, printer)?),
        None => None,
    };
    if let Some(s) = &spec {
        crate::engine::check_supports(s.api.kind, crate::engine::Verb::Cors, &s.api.name.value)?;
    }
    locate_loaded(clients, spec, api_name, api_id, Purpose::Converge).await
}

/// [`locate`] with the spec (if any) already loaded: a REST API.
async fn locate_loaded(
    clients: &Clients,
    spec: Option<Spec>,
    api_name: Option<&str>,
    api_id: Option<&str>,
    purpose: Purpose,
) -> Result<Option<Located>, Failure> {
    Ok(find::locate::<Rest>(clients, spec, api_name, api_id, purpose).await?)
}
