//! `gwctl deploy`, `gwctl destroy` and `gwctl show` for HTTP APIs (apigatewayv2): what they
//! decide is the engine's ([`crate::engine::lifecycle`]); this renders it.
//!
//! The rules are REST's (src/cli/lifecycle.rs): destroy removes gwctl's permission statements
//! and then the API, refuses an API without gwctl's ownership tag unless `--force`, and is
//! idempotent; deploy creates one deployment shared by the stages named, only for stages that
//! do not serve the API's current configuration (unless `--force`), and creates missing
//! stages. What differs: a stage with auto-deploy on is deployed by API Gateway itself, so
//! deploy only says so; the `$default` stage is served at the API's root URL.

use std::time::Instant;

use crate::aws::Clients;
use crate::engine::find::Located;
use crate::engine::http::{effective, EffectiveStage};
use crate::engine::lifecycle::{
    exec_failed, http_read_notes, http_stage_current, plan_deploy_http,
};
use crate::engine::{prepare, Http};
use crate::output::{calls_doc, plan_doc, render_plan, ApiDoc, Printer, SCHEMA_VERSION};
use crate::state::http::{ObservedHttpApi, Stage};

use super::apply::{on_off, throttle_text};
use super::http::stage_doc;
use super::lifecycle::{drift_line, show_json, DeployDoc, ShowStageDoc};
use super::rest::Target;
use super::{DeployArgs, Failure};

/// An HTTP API a verb acts on, found from a spec, `--api NAME` or `--api-id ID`.
pub(super) type LocatedHttp = Located<Http>;

fn api_doc(loc: &LocatedHttp) -> ApiDoc {
    ApiDoc {
        name: loc.api.config.name.clone(),
        kind: "http".into(),
        id: Some(loc.api.id.clone()),
        owned: loc.owned,
    }
}

/// What the reader could not read completely, as warnings (the deployment list only when
/// `manual`, a stage concerned has auto-deploy off: what it serves cannot be known then).
fn warn_reads(printer: &Printer, api: &ObservedHttpApi, manual: bool) {
    for n in http_read_notes(api, manual) {
        printer.warn(&n);
    }
}

/// `gwctl deploy --stage NAME...` of an HTTP API.
pub(super) async fn deploy(
    clients: &Clients,
    args: &DeployArgs,
    loc: LocatedHttp,
    printer: &Printer,
    started: Instant,
) -> Result<i32, Failure> {
    let crate::engine::lifecycle::HttpDeploy {
        stages,
        automatic,
        plan,
        opts,
    } = plan_deploy_http(
        &loc,
        &args.stage,
        args.description.as_deref(),
        args.force,
        &clients.region,
    );
    let automatic: Vec<&str> = automatic.iter().map(String::as_str).collect();
    warn_reads(printer, &loc.api, automatic.len() < stages.len());
    let doc = api_doc(&loc);
    let (name, id) = (&loc.api.config.name, &loc.api.id);
    if !printer.json() {
        for n in &automatic {
            printer.data(&format!(
                "automatic: stage {n} of `{name}` ({id}) has auto-deploy on; API Gateway deploys \
                 every change to it itself"
            ));
        }
        if plan.is_empty() && automatic.len() < stages.len() {
            let current: Vec<&str> = stages
                .keys()
                .map(String::as_str)
                .filter(|n| !automatic.contains(n))
                .collect();
            printer.data(&format!(
                "up to date: {} already serve(s) the current configuration of `{name}` ({id})",
                current.join(", "),
            ));
        } else if !plan.is_empty() {
            printer.data_painted(&render_plan(printer, name, Some(id), &plan));
        }
    }
    let mut deployment_id = None;
    if !plan.is_empty() {
        let rep = super::http::run_ops(clients, Some(&loc.api), &plan.ops, printer)
            .await
            .map_err(exec_failed("deploy", "what exists"))
            .map_err(Failure::from)?;
        deployment_id = rep.deployment_id;
    }
    let effective = effective(&stages, Some(&loc.api), &plan.ops, opts.prune);
    let docs: Vec<_> = effective
        .iter()
        .map(|st: &EffectiveStage| {
            let dep = if st.deployed_now {
                deployment_id.clone()
            } else {
                st.served.clone()
            };
            stage_doc(&st.name, &st.settings, dep, id, &clients.region)
        })
        .collect();
    let result = match (plan.is_empty(), automatic.len() == stages.len()) {
        (false, _) => "deployed",
        (true, true) => "automatic",
        (true, false) => "up_to_date",
    };
    if printer.json() {
        let pd = plan_doc("deploy", doc.clone(), &plan);
        printer.document(&DeployDoc {
            schema_version: SCHEMA_VERSION,
            command: "deploy".into(),
            result: result.into(),
            api: doc,
            deployment_id,
            changes: pd.changes,
            stages: docs,
            calls: calls_doc(&clients.calls.snapshot(), started.elapsed().as_secs_f64()),
        });
        return Ok(crate::exit::OK);
    }
    let mut s = String::new();
    for (st, eff) in docs.iter().zip(effective.iter().map(|e| &e.settings)) {
        let auto = eff.auto_deploy.unwrap_or(false);
        s.push_str(&stage_text(
            &st.name,
            &st.invoke_url,
            st.deployment_id.as_deref(),
            if auto { "auto-deploy on" } else { "" },
            eff,
        ));
    }
    printer.data(&s);
    Ok(crate::exit::OK)
}

/// Two lines about a stage: its URL; what it serves (`state`), metrics, throttling, access
/// logs.
fn stage_text(name: &str, url: &str, deployment: Option<&str>, state: &str, eff: &Stage) -> String {
    let d = eff.default_route_settings;
    let served = match (deployment, state.is_empty()) {
        (Some(dep), true) => format!("deployment {dep}"),
        (Some(dep), false) => format!("deployment {dep} ({state})"),
        (None, true) => "deployment -".to_string(),
        (None, false) => state.to_string(),
    };
    format!(
        "stage    {name}  {url}\n         {served}, metrics {}, throttling {}, access logs {}\n",
        on_off(d.metrics.unwrap_or(false)),
        throttle_text(d.throttle_rate, d.throttle_burst),
        eff.access_log
            .as_ref()
            .map(|a| format!("to {}", a.destination_arn))
            .unwrap_or_else(|| "off".into())
    )
}

/// `gwctl show` of an HTTP API: every stage with its URL, what it serves, its settings, and
/// the drift from a spec.
pub(super) async fn show(
    clients: &Clients,
    loc: LocatedHttp,
    printer: &Printer,
) -> Result<i32, Failure> {
    let drift = match &loc.spec {
        Some(s) => {
            let target = Target {
                api_id: Some(loc.api.id.clone()),
                ..Default::default()
            };
            let prep = prepare::<Http>(clients, s.clone(), &target).await?;
            Some(prep.plan.changes.len())
        }
        None => None,
    };
    let stages: Vec<ShowStageDoc> = loc
        .api
        .stages
        .iter()
        .map(|(name, st)| {
            let auto = st.settings.auto_deploy.unwrap_or(false);
            let doc = stage_doc(
                name,
                &st.settings,
                st.deployment_id.clone(),
                &loc.api.id,
                &clients.region,
            );
            ShowStageDoc {
                current: http_stage_current(&loc.api, name),
                auto_deploy: auto,
                name: doc.name,
                invoke_url: doc.invoke_url,
                deployment_id: doc.deployment_id,
                logging_level: doc.logging_level,
                data_trace: doc.data_trace,
                metrics: doc.metrics,
                throttle_rate: doc.throttle_rate,
                throttle_burst: doc.throttle_burst,
                access_log_destination: doc.access_log_destination,
            }
        })
        .collect();
    warn_reads(printer, &loc.api, stages.iter().any(|s| !s.auto_deploy));
    if show_json(printer, api_doc(&loc), &stages, drift) {
        return Ok(crate::exit::OK);
    }
    let mut s = format!(
        "api      {} ({}), http{}\n",
        loc.api.config.name,
        loc.api.id,
        if loc.owned {
            ""
        } else {
            ", not created by gwctl"
        }
    );
    for st in &stages {
        let state = match (st.auto_deploy, st.current) {
            (true, _) => "auto-deploy on: API Gateway deploys every change",
            (false, true) => "serves the current configuration",
            (false, false) => "behind the API's current configuration: `gwctl deploy` moves it",
        };
        s.push_str(&stage_text(
            &st.name,
            &st.invoke_url,
            st.deployment_id.as_deref(),
            state,
            &loc.api.stages[&st.name].settings,
        ));
    }
    s.push_str(&drift_line(drift));
    printer.data(&s);
    Ok(crate::exit::OK)
}
