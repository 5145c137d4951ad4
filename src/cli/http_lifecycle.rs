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
use crate::engine::http::read_notes;
use crate::engine::http::{effective, EffectiveStage};
use crate::engine::lifecycle::{exec_failed, plan_deploy_http};
use crate::engine::Http;
use crate::output::{calls_doc, plan_doc, render_plan, ApiDoc, Printer, SCHEMA_VERSION};
use crate::state::http::{ObservedHttpApi, Stage};

use super::apply::{on_off, throttle_text};
use super::http::stage_doc;
use super::lifecycle::DeployDoc;
use super::{DeployArgs, Failure};

/// An HTTP API a verb acts on, found from a spec, `--api NAME` or `--api-id ID`.
pub(super) type LocatedHttp = Located<Http>;

fn api_doc(loc: &LocatedHttp) -> ApiDoc {
    ApiDoc {
        name: loc.api.config.name.clone(),
        kind: "http".into(),
        id: Some(loc.api.id.clone()),
        owned: loc.owned,
        environment: None,
        variables: Vec::new(),
    }
}

/// What the reader could not read completely, as warnings (the deployment list only when
/// `manual`, a stage concerned has auto-deploy off: what it serves cannot be known then).
fn warn_reads(printer: &Printer, api: &ObservedHttpApi, manual: bool) {
    for n in read_notes(api, manual) {
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
