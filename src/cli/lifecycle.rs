//! `gwctl deploy`, `gwctl destroy` and `gwctl show`.

use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::aws::Clients;
use crate::engine::find;
use crate::engine::lifecycle::exec_failed;
use crate::engine::{prepare, Flavour};
use crate::output::{
    calls_doc, plan_doc, render_plan, ApiDoc, CallsDoc, ChangeDoc, Printer, StageDoc, SummaryDoc,
    SCHEMA_VERSION,
};
use crate::plan::{Plan, PlanOp};

use super::apply::{confirm_changes, shown_text, stage_doc};
use super::rest::{load_spec, Purpose, Target};
use super::{connect, DeployArgs, DestroyArgs, Failure, GlobalArgs, ShowArgs};

pub(super) fn not_found(spec_path: Option<&Path>, api_name: Option<&str>) -> Failure {
    let what = match (spec_path, api_name) {
        (Some(p), _) => format!("the api of `{}`", p.display()),
        (None, Some(n)) => format!("`{n}`"),
        _ => "the api".into(),
    };
    Failure::msg(
        format!("{what} does not exist in this account and region"),
        Some("create it with `gwctl apply SPEC`".into()),
    )
}

/// `gwctl deploy --output json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DeployDoc {
    pub schema_version: u32,
    pub command: String,
    /// `deployed` or `up_to_date`.
    pub result: String,
    pub api: ApiDoc,
    pub deployment_id: Option<String>,
    pub changes: Vec<ChangeDoc>,
    pub stages: Vec<StageDoc>,
    pub calls: CallsDoc,
}

pub async fn deploy(args: &DeployArgs, g: &GlobalArgs, printer: &Printer) -> Result<i32, Failure> {
    let clients = connect(g).await?;
    deploy_with(&clients, args, printer).await
}

/// [`deploy`] with the clients given (tests use offline or emulator clients).
pub async fn deploy_with(
    clients: &Clients,
    args: &DeployArgs,
    printer: &Printer,
) -> Result<i32, Failure> {
    let started = Instant::now();
    let (spec_path, api_name) = (args.spec.as_deref(), args.api.as_deref());
    let spec = match spec_path {
        Some(p) => Some(load_spec(p, printer)?),
        None => None,
    };
    let located = find::locate_any(
        clients,
        spec,
        api_name,
        args.api_id.as_deref(),
        Purpose::Deploy,
    )
    .await?
    .ok_or_else(|| not_found(spec_path, api_name))?;
    crate::engine::with_located!(located, deploy_located(clients, args, printer, started))
}

/// `gwctl deploy --stage NAME...` of the API `loc`, whatever its kind: what the kind plans
/// ([`Flavour::plan_deploy`]), run, and each stage as it then is
/// ([`Flavour::deployed_stages`]).
async fn deploy_located<F: Flavour>(
    loc: find::Located<F>,
    clients: &Clients,
    args: &DeployArgs,
    printer: &Printer,
    started: Instant,
) -> Result<i32, Failure> {
    let deploy = match args.canary_action() {
        None => F::plan_deploy(
            &loc,
            &args.stage,
            args.description.as_deref(),
            args.force,
            &clients.region,
        ),
        Some(action) => F::plan_canary(
            &loc,
            &args.stage,
            action,
            args.description.as_deref(),
            args.force,
        )?,
    };
    for w in F::read_notes(&loc.api, deploy.any_manual()) {
        printer.warn(&w);
    }
    let (name, id) = (F::api_name(&loc.api), F::api_id(&loc.api));
    let api_doc = ApiDoc {
        name: name.to_string(),
        kind: F::NAME.into(),
        id: Some(id.to_string()),
        owned: loc.owned,
        environment: None,
        variables: Vec::new(),
    };
    let plan = &deploy.plan;
    if !printer.json() {
        for n in &deploy.automatic {
            printer.data(&format!(
                "automatic: stage {n} of `{name}` ({id}) has auto-deploy on; API Gateway deploys \
                 every change to it itself"
            ));
        }
        if plan.is_empty() && deploy.any_manual() {
            printer.data(&format!(
                "up to date: {} already serve(s) the current configuration of `{name}` ({id})",
                deploy.up_to_date.join(", "),
            ));
        } else if !plan.is_empty() {
            printer.data_painted(&render_plan(printer, name, Some(id), plan));
        }
    }
    let mut deployment_id = None;
    if !plan.is_empty() {
        if let Some(w) = F::before_writes(clients, &plan.ops).await? {
            printer.warn(&w);
        }
        let rep = crate::engine::run::<F>(
            clients,
            Some(&loc.api),
            &plan.ops,
            &super::report::CliReporter::new(printer),
        )
        .await
        .map_err(exec_failed("deploy", "what exists"))?;
        deployment_id = rep.deployment_id;
    }
    let stages = F::deployed_stages(&loc.api, &deploy, &clients.region, deployment_id.as_deref());
    if printer.json() {
        let pd = plan_doc("deploy", api_doc.clone(), plan);
        printer.document(&DeployDoc {
            schema_version: SCHEMA_VERSION,
            command: "deploy".into(),
            result: deploy.result().into(),
            api: api_doc,
            deployment_id,
            changes: pd.changes,
            stages: stages.into_iter().map(|s| stage_doc(s.stage)).collect(),
            calls: calls_doc(&clients.calls.snapshot(), started.elapsed().as_secs_f64()),
        });
        return Ok(crate::exit::OK);
    }
    let mut s = String::new();
    for st in &stages {
        let served = match (&st.stage.deployment_id, st.auto_deploy) {
            (Some(dep), false) => format!("deployment {dep}"),
            (Some(dep), true) => format!("deployment {dep} (auto-deploy on)"),
            (None, false) => "deployment -".to_string(),
            (None, true) => "auto-deploy on".to_string(),
        };
        s.push_str(&format!(
            "stage    {}  {}\n         {served}, {}\n",
            st.stage.name,
            st.stage.invoke_url,
            shown_text(&st.stage.shown)
        ));
    }
    printer.data(&s);
    Ok(crate::exit::OK)
}

/// `gwctl destroy --output json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DestroyDoc {
    pub schema_version: u32,
    pub command: String,
    /// `destroyed` or `absent`.
    pub result: String,
    pub api: Option<ApiDoc>,
    pub changes: Vec<ChangeDoc>,
    pub summary: Option<SummaryDoc>,
    pub calls: CallsDoc,
}

pub async fn destroy(
    args: &DestroyArgs,
    g: &GlobalArgs,
    printer: &Printer,
) -> Result<i32, Failure> {
    let clients = connect(g).await?;
    destroy_with(&clients, args, printer).await
}

/// [`destroy`] with the clients given (tests use offline or emulator clients).
pub async fn destroy_with(
    clients: &Clients,
    args: &DestroyArgs,
    printer: &Printer,
) -> Result<i32, Failure> {
    let started = Instant::now();
    let spec = match &args.spec {
        Some(p) => Some(load_spec(p, printer)?),
        None => None,
    };
    match find::locate_any(
        clients,
        spec,
        None,
        args.api_id.as_deref(),
        Purpose::Destroy,
    )
    .await?
    {
        None => Ok(destroyed_absent(clients, printer, started)),
        Some(located) => {
            crate::engine::with_located!(located, destroy_located(clients, args, printer, started))
        }
    }
}

/// `gwctl destroy` of the API `loc`, whatever its kind: gwctl's permission statements on the
/// functions it invokes (REST: and the API keys and usage plans gwctl created for it), then
/// the API.
async fn destroy_located<F: Flavour>(
    loc: find::Located<F>,
    clients: &Clients,
    args: &DestroyArgs,
    printer: &Printer,
    started: Instant,
) -> Result<i32, Failure> {
    let plan = crate::engine::lifecycle::plan_destroy(clients, &loc, args.force).await?;
    let api_doc = ApiDoc {
        name: F::api_name(&loc.api).to_string(),
        kind: F::NAME.into(),
        id: Some(F::api_id(&loc.api).to_string()),
        owned: loc.owned,
        environment: None,
        variables: Vec::new(),
    };
    confirm_destroy(args, printer, &api_doc, &plan)?;
    crate::engine::run::<F>(
        clients,
        Some(&loc.api),
        &plan.ops,
        &super::report::CliReporter::new(printer),
    )
    .await
    .map_err(exec_failed("destroy", "what is left"))?;
    report_destroyed(clients, printer, started, api_doc, &plan);
    Ok(crate::exit::OK)
}

/// Nothing to destroy is success: destroy is idempotent.
pub(super) fn destroyed_absent(clients: &Clients, printer: &Printer, started: Instant) -> i32 {
    if printer.json() {
        printer.document(&DestroyDoc {
            schema_version: SCHEMA_VERSION,
            command: "destroy".into(),
            result: "absent".into(),
            api: None,
            changes: vec![],
            summary: None,
            calls: calls_doc(&clients.calls.snapshot(), started.elapsed().as_secs_f64()),
        });
    } else {
        printer.data("nothing to destroy: no api gwctl manages by that name");
    }
    crate::exit::OK
}

/// Show the deletions (text mode) and ask on a terminal unless `--yes`.
pub(super) fn confirm_destroy<O: PlanOp>(
    args: &DestroyArgs,
    printer: &Printer,
    api: &ApiDoc,
    plan: &Plan<O>,
) -> Result<(), Failure> {
    if !printer.json() {
        printer.data_painted(&render_plan(printer, &api.name, api.id.as_deref(), plan));
    }
    confirm_changes(
        args.yes,
        args.require_approval,
        printer,
        "Destroy this API?",
    )
}

/// The report of a completed destroy, whatever the API kind.
pub(super) fn report_destroyed<O: PlanOp>(
    clients: &Clients,
    printer: &Printer,
    started: Instant,
    api_doc: ApiDoc,
    plan: &Plan<O>,
) {
    let pd = plan_doc("destroy", api_doc.clone(), plan);
    if printer.json() {
        printer.document(&DestroyDoc {
            schema_version: SCHEMA_VERSION,
            command: "destroy".into(),
            result: "destroyed".into(),
            api: Some(api_doc),
            changes: pd.changes,
            summary: Some(pd.summary),
            calls: calls_doc(&clients.calls.snapshot(), started.elapsed().as_secs_f64()),
        });
        return;
    }
    {
        let count = |kind: &str| {
            plan.changes
                .iter()
                .filter(|c| c.kind == kind && c.action == crate::plan::Action::Delete)
                .count()
        };
        let mut extra = String::new();
        for (kind, what) in [("usage_plan", "usage plan(s)"), ("api_key", "api key(s)")] {
            if count(kind) > 0 {
                extra.push_str(&format!(", {} {what}", count(kind)));
            }
        }
        printer.data(&format!(
            "destroyed {} api `{}` ({}){extra} and {} permission statement(s) gwctl had added",
            api_doc.kind,
            api_doc.name,
            api_doc.id.as_deref().unwrap_or("-"),
            count("permission")
        ));
    }
}

/// `gwctl show --output json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ShowDoc {
    pub schema_version: u32,
    pub command: String,
    pub api: ApiDoc,
    pub stages: Vec<ShowStageDoc>,
    /// Changes `apply` would make (only with a SPEC); None without one.
    pub drift: Option<usize>,
    /// The SPEC's custom domains (`domains:`), as in `apply`'s document. Added within
    /// schema version 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<crate::output::DomainDoc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ShowStageDoc {
    pub name: String,
    pub invoke_url: String,
    /// WebSocket APIs: the `@connections` callback URL. Added within schema version 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    pub deployment_id: Option<String>,
    /// The stage serves the API's current configuration.
    pub current: bool,
    pub logging_level: String,
    pub data_trace: bool,
    pub metrics: bool,
    pub throttle_rate: Option<f64>,
    pub throttle_burst: Option<i32>,
    /// HTTP APIs: API Gateway deploys every change to the stage itself (then `current` is
    /// true). Added within schema version 1; absent from earlier builds' documents (false).
    #[serde(default)]
    pub auto_deploy: bool,
    /// Where the stage's access logs go, `null` when off. Added within schema version 1.
    #[serde(default)]
    pub access_log_destination: Option<String>,
    /// REST: the cache cluster, only while it is on. Added within schema version 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<crate::output::CacheDoc>,
    /// REST: the stage's canary release, only when it has one. Added within schema version 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<crate::output::CanaryDoc>,
    /// The custom domain URLs that reach the stage (only with a SPEC declaring `domains:`).
    /// Added within schema version 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_urls: Vec<String>,
}

pub async fn show(args: &ShowArgs, g: &GlobalArgs, printer: &Printer) -> Result<i32, Failure> {
    let clients = connect(g).await?;
    let (spec_path, api_name) = (args.spec.as_deref(), args.api.as_deref());
    let spec = match spec_path {
        Some(p) => Some(load_spec(p, printer)?),
        None => None,
    };
    let located = find::locate_any(
        &clients,
        spec,
        api_name,
        args.api_id.as_deref(),
        Purpose::Show,
    )
    .await?
    .ok_or_else(|| not_found(spec_path, api_name))?;
    crate::engine::with_located!(located, show_located(&clients, printer))
}

/// `gwctl show` of the API `loc`, whatever its kind: every stage with its URL, what it
/// serves, its settings, and the drift from a spec.
async fn show_located<F: Flavour>(
    loc: find::Located<F>,
    clients: &Clients,
    printer: &Printer,
) -> Result<i32, Failure> {
    let (name, id) = (F::api_name(&loc.api), F::api_id(&loc.api));
    let (drift, domains) = match &loc.spec {
        Some(s) => {
            let target = Target {
                api_id: Some(id.to_string()),
                ..Default::default()
            };
            let prep = prepare::<F>(clients, s.clone(), &target).await?;
            let domains =
                crate::engine::flavour::domains_after(clients, &prep, Some(id), false).await?;
            (Some(prep.plan.changes.len()), domains)
        }
        None => (None, Vec::new()),
    };
    let custom_urls = |stage: &str| -> Vec<String> {
        domains
            .iter()
            .flat_map(|d| &d.urls)
            .filter(|(s, _)| s == stage)
            .map(|(_, u)| u.clone())
            .collect()
    };
    let shown = F::show_stages(&loc.api, &clients.region);
    for w in F::read_notes(&loc.api, shown.iter().any(|s| !s.auto_deploy)) {
        printer.warn(&w);
    }
    let stages: Vec<ShowStageDoc> = shown
        .iter()
        .map(|s| {
            let st = s.stage.clone();
            ShowStageDoc {
                name: st.name,
                invoke_url: st.invoke_url,
                callback_url: st.callback_url,
                deployment_id: st.deployment_id,
                current: s.current,
                logging_level: st.logging_level,
                data_trace: st.data_trace,
                metrics: st.metrics,
                throttle_rate: st.throttle_rate,
                throttle_burst: st.throttle_burst,
                auto_deploy: s.auto_deploy,
                access_log_destination: st.access_log_destination,
                cache: st
                    .cache
                    .map(|c| crate::output::CacheDoc::of(c.size, c.ttl_seconds, c.encrypted)),
                canary: st.canary.map(|c| crate::output::CanaryDoc {
                    deployment_id: c.deployment_id,
                    percent: c.percent,
                    current: c.current,
                }),
                custom_urls: custom_urls(&s.stage.name),
            }
        })
        .collect();
    let api = ApiDoc {
        name: name.to_string(),
        kind: F::NAME.into(),
        id: Some(id.to_string()),
        owned: loc.owned,
        environment: None,
        variables: Vec::new(),
    };
    if printer.json() {
        printer.document(&ShowDoc {
            schema_version: SCHEMA_VERSION,
            command: "show".into(),
            api,
            stages,
            drift,
            domains: super::apply::domain_docs(domains),
        });
        return Ok(crate::exit::OK);
    }
    let mut s = format!(
        "api      {name} ({id}), {}{}\n",
        F::describe_api(&loc.api).join(", "),
        if loc.owned {
            ""
        } else {
            ", not created by gwctl"
        }
    );
    for st in &shown {
        let state = match (st.auto_deploy, st.current) {
            (true, _) => "auto-deploy on: API Gateway deploys every change",
            (false, true) => "serves the current configuration",
            (false, false) => "behind the API's current configuration: `gwctl deploy` moves it",
        };
        let served = match &st.stage.deployment_id {
            Some(dep) => format!("deployment {dep} ({state})"),
            None => state.to_string(),
        };
        s.push_str(&format!(
            "stage    {}  {}\n         {served}, {}\n",
            st.stage.name,
            st.stage.invoke_url,
            shown_text(&st.stage.shown)
        ));
        if let Some(url) = &st.stage.callback_url {
            s.push_str(&format!("         callback {url}\n"));
        }
        for url in custom_urls(&st.stage.name) {
            s.push_str(&format!("         custom {url}\n"));
        }
    }
    s.push_str(&super::apply::domain_body(&domains));
    s.push_str(&drift_line(drift));
    printer.data(&s);
    Ok(crate::exit::OK)
}

/// `show`'s drift line (empty without a spec).
pub(super) fn drift_line(drift: Option<usize>) -> String {
    match drift {
        Some(0) => "drift    none: the account matches the spec\n".into(),
        Some(n) => {
            format!("drift    {n} change(s) between the spec and the account: see `gwctl plan`\n")
        }
        None => String::new(),
    }
}
