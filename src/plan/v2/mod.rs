//! What the HTTP ([`super::http`]) and WebSocket ([`super::ws`]) planners share as
//! apigatewayv2 APIs: stages and deployments. At most one deployment for the stages with
//! auto-deploy off that do not serve the planned configuration, then each stage created or
//! updated to the settings the spec manages ([`plan_stages`]); the update-stage groups
//! ([`StageUpdate`]) and how a plan shows them. Each kind's op type says how it spells these
//! ops ([`V2Op`]); each kind's route setting how settings merge and read back
//! ([`RouteSettings`]).

pub mod simulate;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::state::rest::AccessLog;
use crate::state::v2::{ObservedStage, ObservedV2, RouteSettings, Stage};

use super::{deployment_serves, Action, Change, FieldChange, Plan, PlanOptions};

/// The groups of stage settings an update-stage call sends. Each group is sent whole (the
/// service replaces it), so it carries the full wanted value, not a delta.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StageUpdate<R> {
    pub description: Option<String>,
    pub auto_deploy: Option<bool>,
    /// Point the stage at the deployment created in this run.
    pub deploy: bool,
    /// Changed variables; `""` removes one (the API's convention).
    pub variables: BTreeMap<String, String>,
    pub default_route_settings: Option<R>,
    /// Every route setting the stage should have, when any of them changed.
    pub route_settings: Option<BTreeMap<String, R>>,
    pub access_log: Option<AccessLog>,
}

impl<R: PartialEq + Default> StageUpdate<R> {
    pub fn is_empty(&self) -> bool {
        *self == StageUpdate::default()
    }
}

/// The stage and deployment ops of one kind, borrowed (the simulator and the executor act on
/// them the same way for both kinds).
#[derive(Debug, Clone, Copy)]
pub enum StageOp<'a, R> {
    /// create-deployment (no stage): the snapshot stages with auto-deploy off are pointed at.
    CreateDeployment { description: &'a str },
    /// create-stage with every setting; `deploy` points it at the deployment created in
    /// this run.
    CreateStage {
        name: &'a str,
        def: &'a Stage<R>,
        deploy: bool,
    },
    /// update-stage: only the groups that changed are sent.
    UpdateStage {
        name: &'a str,
        update: &'a StageUpdate<R>,
    },
    /// delete-route-settings (a route's settings on one stage).
    DeleteRouteSettings { stage: &'a str, route_key: &'a str },
}

/// A kind's op type, as far as stages and deployments go.
pub trait V2Op: Sized {
    type Setting: RouteSettings;
    fn create_deployment(description: String) -> Self;
    fn create_stage(name: String, def: Stage<Self::Setting>, deploy: bool) -> Self;
    fn update_stage(name: String, update: StageUpdate<Self::Setting>) -> Self;
    /// The op as a stage op, when it is one.
    fn stage_op(&self) -> Option<StageOp<'_, Self::Setting>>;
}

/// Whether a stage deploys itself: its wanted auto-deploy, else the one it has.
pub fn auto_deploys<R>(want: &Stage<R>, have: Option<&ObservedStage<R>>) -> bool {
    want.auto_deploy
        .or(have.and_then(|h| h.settings.auto_deploy))
        .unwrap_or(false)
}

/// Whether stage `name` serves a deployment of the configuration `mark` stands for.
pub fn serves<A: ObservedV2>(mark: &str, observed: Option<&A>, name: &str) -> bool {
    observed
        .and_then(|o| {
            let st = o.stages().get(name)?;
            let dep = o.deployments().get(st.deployment_id.as_deref()?)?;
            Some(deployment_serves(dep.description.as_deref(), mark))
        })
        .unwrap_or(false)
}

/// At most one deployment (described `description`, which starts with `mark`), for the
/// stages with auto-deploy off that do not serve `mark` (all of them with
/// `opts.force_deploy`), then each stage created or updated to the settings `stages` manage
/// (`opts.prune`: per-route settings not declared are dropped). Shared by `apply` and
/// `deploy`.
pub fn plan_stages<O, A>(
    p: &mut Plan<O>,
    observed: Option<&A>,
    stages: &BTreeMap<String, Stage<O::Setting>>,
    mark: &str,
    description: &str,
    reason: &str,
    opts: PlanOptions,
) where
    O: V2Op,
    A: ObservedV2<Setting = O::Setting>,
{
    let stale: Vec<&String> = stages
        .iter()
        .filter(|(name, w)| {
            let h = observed.and_then(|o| o.stages().get(*name));
            !auto_deploys(w, h) && (opts.force_deploy || !serves(mark, observed, name))
        })
        .map(|(name, _)| name)
        .collect();
    if !stale.is_empty() {
        let names: Vec<&str> = stale.iter().map(|s| s.as_str()).collect();
        p.push(
            Change::new(Action::Create, "deployment", &names.join(", ")).fields(vec![
                FieldChange {
                    field: "reason".into(),
                    old: None,
                    new: Some(reason.into()),
                },
            ]),
            O::create_deployment(description.to_string()),
        );
    }
    for (name, w) in stages {
        let deploy = stale.contains(&name);
        match observed.and_then(|o| o.stages().get(name)) {
            None => p.push(
                Change::new(Action::Create, "stage", name).fields(stage_fields(
                    w,
                    &Stage::default(),
                    |s| s,
                )),
                O::create_stage(name.clone(), w.clone(), deploy),
            ),
            Some(h) => {
                let (mut update, mut fields) = stage_update(w, &h.settings, opts.prune);
                if deploy {
                    update.deploy = true;
                    fields.insert(
                        0,
                        FieldChange {
                            field: "deployment".into(),
                            old: h.deployment_id.clone(),
                            new: Some("(new deployment)".into()),
                        },
                    );
                }
                if !update.is_empty() {
                    p.push(
                        Change::new(Action::Update, "stage", name).fields(fields),
                        O::update_stage(name.clone(), update),
                    );
                }
            }
        }
    }
}

/// The update-stage groups that differ between `want` (managed settings) and `have`.
fn stage_update<R: RouteSettings>(
    want: &Stage<R>,
    have: &Stage<R>,
    prune: bool,
) -> (StageUpdate<R>, Vec<FieldChange>) {
    let mut u = StageUpdate::default();
    if want.description.is_some() && want.description != have.description {
        u.description = want.description.clone();
    }
    if let Some(a) = want.auto_deploy {
        if have.auto_deploy.unwrap_or(false) != a {
            u.auto_deploy = Some(a);
        }
    }
    for (k, v) in &want.variables {
        if have.variables.get(k) != Some(v) {
            u.variables.insert(k.clone(), v.clone());
        }
    }
    for k in have.variables.keys() {
        if !want.variables.contains_key(k) {
            u.variables.insert(k.clone(), String::new());
        }
    }
    let drs = have
        .default_route_settings
        .clone()
        .overlay(&want.default_route_settings);
    if drs.clone().settled() != have.default_route_settings.clone().settled() {
        u.default_route_settings = Some(drs);
    }
    let mut routes: BTreeMap<String, R> = BTreeMap::new();
    let mut routes_changed = false;
    for (k, w) in &want.route_settings {
        let h = have.route_settings.get(k).cloned();
        let merged = h.clone().unwrap_or_default().overlay(w);
        routes_changed |= h.map(R::settled) != Some(merged.clone().settled());
        routes.insert(k.clone(), merged);
    }
    if !prune {
        // Settings the spec does not declare stay as they are (sent again, unchanged).
        for (k, h) in &have.route_settings {
            routes.entry(k.clone()).or_insert_with(|| h.clone());
        }
    }
    if routes_changed {
        u.route_settings = Some(routes);
    }
    if want.access_log.is_some() && want.access_log != have.access_log {
        u.access_log = want.access_log.clone();
    }
    let fields = stage_fields(&applied(have, &u), have, R::settled);
    (u, fields)
}

/// What a stage looks like after `u` is applied to `have` (for field-level display).
fn applied<R: Clone>(have: &Stage<R>, u: &StageUpdate<R>) -> Stage<R> {
    let mut s = have.clone();
    if u.description.is_some() {
        s.description = u.description.clone();
    }
    if u.auto_deploy.is_some() {
        s.auto_deploy = u.auto_deploy;
    }
    for (k, v) in &u.variables {
        if v.is_empty() {
            s.variables.remove(k);
        } else {
            s.variables.insert(k.clone(), v.clone());
        }
    }
    if let Some(d) = &u.default_route_settings {
        s.default_route_settings = d.clone();
    }
    if let Some(r) = &u.route_settings {
        s.route_settings = r.clone();
    }
    if u.access_log.is_some() {
        s.access_log = u.access_log.clone();
    }
    s
}

/// Field-level differences between two stages, as the plan shows them; `read` is how route
/// settings read back (`settled` for a stage that exists, as is for a new one).
fn stage_fields<R: RouteSettings>(
    new: &Stage<R>,
    old: &Stage<R>,
    read: fn(R) -> R,
) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut push = |field: String, o: Option<String>, n: Option<String>| {
        if o != n {
            out.push(FieldChange {
                field,
                old: o,
                new: n,
            });
        }
    };
    push(
        "description".into(),
        old.description.clone(),
        new.description.clone(),
    );
    push(
        "auto_deploy".into(),
        old.auto_deploy.map(|b| b.to_string()),
        new.auto_deploy.map(|b| b.to_string()),
    );
    let keys: BTreeSet<&String> = old.variables.keys().chain(new.variables.keys()).collect();
    for k in keys {
        push(
            format!("variables.{k}"),
            old.variables.get(k).cloned(),
            new.variables.get(k).cloned(),
        );
    }
    let mut settings = |label: &str, o: R, n: R| {
        for ((field, o), (_, n)) in o.shown().into_iter().zip(n.shown()) {
            push(format!("{label}{field}"), o, n);
        }
    };
    settings(
        "",
        read(old.default_route_settings.clone()),
        read(new.default_route_settings.clone()),
    );
    let keys: BTreeSet<&String> = old
        .route_settings
        .keys()
        .chain(new.route_settings.keys())
        .collect();
    for k in keys {
        let o = old
            .route_settings
            .get(k)
            .cloned()
            .map(R::settled)
            .unwrap_or_default();
        let n = new
            .route_settings
            .get(k)
            .cloned()
            .map(R::settled)
            .unwrap_or_default();
        settings(&format!("{k} "), o, n);
    }
    push(
        "access_log.destination".into(),
        old.access_log.as_ref().map(|a| a.destination_arn.clone()),
        new.access_log.as_ref().map(|a| a.destination_arn.clone()),
    );
    push(
        "access_log.format".into(),
        old.access_log.as_ref().map(|a| a.format.clone()),
        new.access_log.as_ref().map(|a| a.format.clone()),
    );
    out
}

/// The settings a stage has after an apply: `have` with what `want` manages applied.
pub fn stage_after<R: RouteSettings>(want: &Stage<R>, have: &Stage<R>, prune: bool) -> Stage<R> {
    applied(have, &stage_update(want, have, prune).0)
}
