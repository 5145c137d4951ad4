//! `gwctl deploy`, `gwctl destroy` and `gwctl show`.

use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::aws::Clients;
use crate::engine::find::{self, Which};
use crate::engine::lifecycle::{exec_failed, plan_deploy_rest};
use crate::engine::{prepare, Flavour, Rest};
use crate::output::{
    calls_doc, plan_doc, render_plan, ApiDoc, CallsDoc, ChangeDoc, Printer, StageDoc, SummaryDoc,
    SCHEMA_VERSION,
};
use crate::plan::{Plan, PlanOp};
use crate::spec::model::Spec;

use super::apply::{confirm_changes, run_ops, stage_docs};
use super::rest::{load_spec, Purpose, Target};
use super::{connect, DeployArgs, DestroyArgs, Failure, GlobalArgs, ShowArgs};

/// The REST API a verb acts on: a spec, `--api NAME` or `--api-id ID`.
pub(super) type Located = find::Located<Rest>;

pub(super) async fn locate(
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
pub(super) async fn locate_loaded(
    clients: &Clients,
    spec: Option<Spec>,
    api_name: Option<&str>,
    api_id: Option<&str>,
    purpose: Purpose,
) -> Result<Option<Located>, Failure> {
    Ok(find::locate::<Rest>(clients, spec, api_name, api_id, purpose).await?)
}

/// Load the spec (if any) and tell which kind of API the verb acts on
/// ([`crate::engine::find::which`]).
pub(super) async fn which(
    clients: &Clients,
    spec_path: Option<&Path>,
    api_name: Option<&str>,
    api_id: Option<&str>,
    purpose: Purpose,
    printer: &Printer,
) -> Result<Which, Failure> {
    let spec = match spec_path {
        Some(p) => Some(load_spec(p, printer)?),
        None => None,
    };
    Ok(find::which(clients, spec, api_name, api_id, purpose).await?)
}

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
    let spec = match which(
        clients,
        spec_path,
        api_name,
        args.api_id.as_deref(),
        Purpose::Deploy,
        printer,
    )
    .await?
    {
        Which::Rest(spec) => spec.map(|s| *s),
        Which::Http(loc) => {
            let loc = loc.ok_or_else(|| not_found(spec_path, api_name))?;
            return super::http_lifecycle::deploy(clients, args, *loc, printer, started).await;
        }
        Which::Ws(loc) => {
            let loc = loc.ok_or_else(|| not_found(spec_path, api_name))?;
            return Err(crate::engine::EngineError::UnsupportedKind {
                name: loc.api.config.name.clone(),
                kind: crate::engine::Ws::LABEL,
            }
            .into());
        }
    };
    let loc = locate_loaded(
        clients,
        spec,
        api_name,
        args.api_id.as_deref(),
        Purpose::Deploy,
    )
    .await?
    .ok_or_else(|| not_found(spec_path, api_name))?;

    let crate::engine::lifecycle::RestDeploy { stages, plan } = plan_deploy_rest(
        &loc,
        &args.stage,
        args.description.as_deref(),
        args.force,
        &clients.region,
    );
    let api_doc = ApiDoc {
        name: loc.api.config.name.clone(),
        kind: "rest".into(),
        id: Some(loc.api.id.clone()),
        owned: loc.owned,
    };
    if !printer.json() {
        if plan.is_empty() {
            printer.data(&format!(
                "up to date: {} already serve(s) the current configuration of `{}` ({})",
                args.stage.join(", "),
                loc.api.config.name,
                loc.api.id
            ));
        } else {
            printer.data_painted(&render_plan(
                printer,
                &loc.api.config.name,
                Some(&loc.api.id),
                &plan,
            ));
        }
    }
    let mut deployment_id = None;
    if !plan.is_empty() {
        super::doctor::require_logging_role(clients, &plan.ops, printer).await?;
        let rep = run_ops(clients, Some(&loc.api), &plan.ops, printer)
            .await
            .map_err(exec_failed("deploy", "what exists"))
            .map_err(Failure::from)?;
        deployment_id = rep.deployment_id;
    }
    let docs = stage_docs(
        &stages,
        &loc.api,
        &loc.api.id,
        clients,
        deployment_id.clone(),
    );
    let calls = calls_doc(&clients.calls.snapshot(), started.elapsed().as_secs_f64());
    let result = if plan.is_empty() {
        "up_to_date"
    } else {
        "deployed"
    };
    if printer.json() {
        let pd = plan_doc("deploy", api_doc.clone(), &plan);
        printer.document(&DeployDoc {
            schema_version: SCHEMA_VERSION,
            command: "deploy".into(),
            result: result.into(),
            api: api_doc,
            deployment_id,
            changes: pd.changes,
            stages: docs,
            calls,
        });
    } else {
        let mut s = String::new();
        for st in &docs {
            s.push_str(&format!(
                "stage    {}  {}\n         deployment {}, logging {}, metrics {}\n",
                st.name,
                st.invoke_url,
                st.deployment_id.as_deref().unwrap_or("-"),
                st.logging_level,
                if st.metrics { "on" } else { "off" }
            ));
        }
        printer.data(&s);
    }
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
    let drift = match &loc.spec {
        Some(s) => {
            let target = Target {
                api_id: Some(id.to_string()),
                ..Default::default()
            };
            let prep = prepare::<F>(clients, s.clone(), &target).await?;
            Some(prep.plan.changes.len())
        }
        None => None,
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
            }
        })
        .collect();
    let api = ApiDoc {
        name: name.to_string(),
        kind: F::NAME.into(),
        id: Some(id.to_string()),
        owned: loc.owned,
    };
    if show_json(printer, api, &stages, drift) {
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
            super::apply::shown_text(&st.stage.shown)
        ));
        if let Some(url) = &st.stage.callback_url {
            s.push_str(&format!("         callback {url}\n"));
        }
    }
    s.push_str(&drift_line(drift));
    printer.data(&s);
    Ok(crate::exit::OK)
}

/// In JSON mode print `show`'s document and say so (true); in text mode do nothing.
pub(super) fn show_json(
    printer: &Printer,
    api: ApiDoc,
    stages: &[ShowStageDoc],
    drift: Option<usize>,
) -> bool {
    if printer.json() {
        printer.document(&ShowDoc {
            schema_version: SCHEMA_VERSION,
            command: "show".into(),
            api,
            stages: stages.to_vec(),
            drift,
        });
    }
    printer.json()
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
