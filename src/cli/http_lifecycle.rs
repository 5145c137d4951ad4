//! `gwctl deploy`, `gwctl destroy` and `gwctl show` for HTTP APIs (apigatewayv2), and
//! [`which`]: whether the API a verb names is a REST or an HTTP API.
//!
//! The rules are REST's (src/cli/lifecycle.rs): destroy removes gwctl's permission statements
//! and then the API, refuses an API without gwctl's ownership tag unless `--force`, and is
//! idempotent; deploy creates one deployment shared by the stages named, only for stages that
//! do not serve the API's current configuration (unless `--force`), and creates missing
//! stages. What differs: a stage with auto-deploy on is deployed by API Gateway itself, so
//! deploy only says so; the `$default` stage is served at the API's root URL.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use crate::aws::read::{self, http as read_http};
use crate::aws::Clients;
use crate::output::{calls_doc, plan_doc, render_plan, ApiDoc, Printer, SCHEMA_VERSION};
use crate::plan::http::{
    auto_deploys, config_mark, desired, plan_destroy, plan_stages, serves, HttpPlan,
};
use crate::plan::PlanOptions;
use crate::spec::model::{ApiKind, Spec};
use crate::state::http::{ObservedHttpApi, Stage};

use super::apply::{on_off, throttle_text};
use super::http::{effective, observed_functions, stage_doc, DEPLOYMENTS_UNREAD};
use super::lifecycle::{
    confirm_destroy, deployment_description, drift_line, exec_failed, named_stages, pick_named,
    refuse_unowned, report_destroyed, show_json, DeployDoc, ShowStageDoc,
};
use super::rest::{is_owned, load_spec, Purpose, Target};
use super::{DeployArgs, DestroyArgs, Failure};

/// An HTTP API a verb acts on, found from a spec, `--api NAME` or `--api-id ID`.
pub(super) struct LocatedHttp {
    pub(super) spec: Option<Spec>,
    pub(super) api: ObservedHttpApi,
    pub(super) owned: bool,
}

/// What [`which`] found.
pub(super) enum Which {
    /// A REST API (or nothing that says otherwise): the REST verb goes on with the spec.
    Rest(Option<Box<Spec>>),
    /// An HTTP API; `None` when the spec's API does not exist.
    Http(Option<Box<LocatedHttp>>),
}

/// Load the spec (if any) and tell which kind of API the verb acts on. A spec says its kind;
/// `--api-id` alone is looked up with get-rest-api, then get-api (by error kind only);
/// `--api NAME` alone is an HTTP API when only HTTP APIs carry that name.
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
    let id_hint = Some("check `--api-id` and the region");
    if let Some(s) = &spec {
        if s.api.kind != ApiKind::Http {
            return Ok(Which::Rest(spec.map(Box::new)));
        }
        let target = Target {
            api_id: api_id.map(str::to_string),
            purpose,
            ..Default::default()
        };
        let found = super::http::find_api(clients, s, &target).await?;
        return Ok(Which::Http(found.map(|(api, owned)| {
            Box::new(LocatedHttp {
                spec: spec.clone(),
                api,
                owned,
            })
        })));
    }
    let id = match (api_id, api_name) {
        (Some(id), _) => {
            let kind = read_http::api_kind(clients, id)
                .await
                .map_err(|e| Failure::aws(e, id_hint))?;
            if kind == ApiKind::Rest {
                return Ok(Which::Rest(None));
            }
            id.to_string()
        }
        (None, Some(name)) => {
            let found = read_http::find_http_apis(clients, name)
                .await
                .map_err(|e| Failure::aws(e, None))?;
            let Some(id) = pick_named("http api", name, &found)? else {
                return Ok(Which::Rest(None));
            };
            let rest = read::rest::find_rest_apis(clients, name)
                .await
                .map_err(|e| Failure::aws(e, None))?;
            if let Some(r) = rest.first() {
                return Err(Failure::msg(
                    format!(
                        "`{name}` names both a rest api (`{}`) and an http api (`{id}`)",
                        r.id
                    ),
                    Some("pass `--api-id ID`".into()),
                ));
            }
            id
        }
        // The REST verb reports what is missing.
        (None, None) => return Ok(Which::Rest(None)),
    };
    let api = read_http::read_http_api(clients, &id)
        .await
        .map_err(|e| Failure::aws(e, id_hint))?;
    let owned = is_owned(&api.tags);
    Ok(Which::Http(Some(Box::new(LocatedHttp {
        spec: None,
        api,
        owned,
    }))))
}

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
    for n in &api.notes {
        printer.warn(n);
    }
    if !api.deployments_complete && manual {
        printer.warn(DEPLOYMENTS_UNREAD);
    }
}

/// `gwctl destroy` of an HTTP API: gwctl's statements on the functions its integrations and
/// authorizers invoke, then delete-api.
pub(super) async fn destroy(
    clients: &Clients,
    args: &DestroyArgs,
    loc: LocatedHttp,
    printer: &Printer,
    started: Instant,
) -> Result<i32, Failure> {
    refuse_unowned(&loc.api.config.name, &loc.api.id, loc.owned, args.force)?;
    let fns: Vec<_> = observed_functions(&loc.api).into_iter().collect();
    let policies = read::read_policies(clients, &fns)
        .await
        .map_err(|e| Failure::aws(e, None))?;
    let plan = plan_destroy(&loc.api, &policies);
    let doc = api_doc(&loc);
    confirm_destroy(args, printer, &doc, &plan)?;
    super::http::run_ops(clients, Some(&loc.api), &plan.ops, printer)
        .await
        .map_err(exec_failed("destroy", "what is left"))?;
    report_destroyed(clients, printer, started, doc, &plan);
    Ok(crate::exit::OK)
}

/// `gwctl deploy --stage NAME...` of an HTTP API.
pub(super) async fn deploy(
    clients: &Clients,
    args: &DeployArgs,
    loc: LocatedHttp,
    printer: &Printer,
    started: Instant,
) -> Result<i32, Failure> {
    let spec_stages: BTreeMap<String, Stage> = match &loc.spec {
        Some(s) => {
            desired(s, &[], &clients.region)
                .keep_undeclared(Some(&loc.api))
                .stages
        }
        None => BTreeMap::new(),
    };
    let stages = named_stages(&args.stage, &spec_stages, |n| {
        loc.api.stages.get(n).map(|s| s.settings.clone())
    });
    // Stages that exist with auto-deploy on: API Gateway deploys every change to them.
    let automatic: Vec<&str> = stages
        .iter()
        .filter(|(n, w)| {
            let have = loc.api.stages.get(*n);
            have.is_some() && auto_deploys(w, have)
        })
        .map(|(n, _)| n.as_str())
        .collect();
    warn_reads(printer, &loc.api, automatic.len() < stages.len());
    let mark = config_mark(&loc.api.config);
    let description = deployment_description(&mark, args.description.as_deref());
    // Deploying never removes settings: per-route settings the spec does not declare stay.
    let opts = PlanOptions {
        prune: false,
        force_deploy: args.force,
    };
    let mut plan = HttpPlan::default();
    plan_stages(
        &mut plan,
        Some(&loc.api),
        &stages,
        &mark,
        &description,
        "the stage does not serve the API's current configuration",
        opts,
    );
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
            .map_err(exec_failed("deploy", "what exists"))?;
        deployment_id = rep.deployment_id;
    }
    let effective = effective(&stages, Some(&loc.api), &plan.ops, opts.prune);
    let docs: Vec<_> = effective
        .iter()
        .map(|(n, eff, served, now)| {
            let dep = if *now {
                deployment_id.clone()
            } else {
                served.clone()
            };
            stage_doc(n, eff, dep, id, &clients.region)
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
    for (st, (_, eff, _, _)) in docs.iter().zip(&effective) {
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
            let prep = super::http::prepare(clients, s.clone(), &target, printer).await?;
            Some(prep.plan.changes.len())
        }
        None => None,
    };
    let mark = config_mark(&loc.api.config);
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
                current: auto || serves(&mark, Some(&loc.api), name),
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
