//! WebSocket APIs (apigatewayv2, protocol WEBSOCKET): the desired configuration built from a
//! spec, and the pure planner that diffs it against the observed API into ordered [`WsOp`]s.
//! Mirrors [`crate::plan::http`].
//!
//! Order of a plan: the API (create, attributes); authorizers and integrations (before the
//! routes that use them); routes (create, rewire), their route responses; then removed
//! routes' stage settings, route responses and the routes themselves; integrations and
//! authorizers no route uses any more; Lambda permissions; at most one deployment (stages
//! with auto-deploy off only); stages.

pub mod deps;
pub mod export;
pub mod ops;
pub mod simulate;

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use crate::spec::model::DEFAULT_ROUTE_SELECTION;
use crate::spec::model::{AuthRef, AuthorizerKind, IntegrationDef, IntegrationKind, Spec};
use crate::state::rest::{AccessLog, Policies};
use crate::state::ws::{
    integration_keys, Authorizer, Integration, ObservedStage, ObservedWsApi, Route, RouteSetting,
    Stage, WsApi, DEFAULT_KEY,
};
use crate::state::{ResolvedFunction, DEPLOYMENT_MARK};

use super::desired::{hex, lambda_uri, owner_tags, Undeclared};
use super::permissions::{
    add_api_permission, add_authorizer_permission, permission_changes, DesiredPermission,
};
use super::{
    deployment_reason, deployment_serves, diff_fields, Action, Change, FieldChange, Plan,
    PlanOptions,
};
use ops::{StageUpdate, WsOp};

/// Everything the planner needs to know about what the spec wants on a WebSocket API.
#[derive(Debug, Clone)]
pub struct DesiredWs {
    pub config: WsApi,
    /// User tags plus gwctl's ownership tag.
    pub tags: BTreeMap<String, String>,
    /// Stage name -> settings. `None` fields are not managed.
    pub stages: BTreeMap<String, Stage>,
    pub permissions: Vec<DesiredPermission>,
    /// Warnings about the configuration itself, shown with the plan.
    pub notes: Vec<String>,
    /// The settings the spec leaves out, which keep their live values.
    pub undeclared: Undeclared,
}

impl DesiredWs {
    /// The desired state with every setting the spec leaves out set to its live value (see
    /// [`crate::plan::rest::desired::DesiredRest::keep_undeclared`]). Idempotent.
    pub fn keep_undeclared(&self, observed: Option<&ObservedWsApi>) -> DesiredWs {
        let mut d = self.clone();
        let Some(o) = observed else {
            return d;
        };
        let u = &self.undeclared;
        if u.description {
            d.config.description = o.config.description.clone();
        }
        if u.api_key_selection {
            d.config.api_key_selection_expression = o.config.api_key_selection_expression.clone();
        }
        for (name, st) in d.stages.iter_mut() {
            let Some(h) = o.stages.get(name) else {
                continue;
            };
            if u.stage_variables.contains(name) {
                st.variables = h.settings.variables.clone();
            }
            // Per-route settings of routes the spec keeps, where the spec declares none: as
            // they are (those of routes that go are deleted with them).
            for (rk, rs) in &h.settings.route_settings {
                if d.config.routes.contains_key(rk) {
                    st.route_settings
                        .entry(rk.clone())
                        .or_insert_with(|| rs.clone());
                }
            }
        }
        d
    }
}

/// A WebSocket API plan.
pub type WsPlan = Plan<WsOp>;

/// Build the desired WebSocket API configuration.
pub fn desired(spec: &Spec, functions: &[ResolvedFunction], region: &str) -> DesiredWs {
    let func = |key: &str| functions.iter().find(|f| f.key == key);
    let mut permissions: BTreeMap<String, DesiredPermission> = BTreeMap::new();
    let mut config = WsApi {
        name: spec.api.name.value.clone(),
        description: spec.api.description.clone(),
        route_selection_expression: spec
            .api
            .route_selection
            .as_ref()
            .map(|r| r.value.clone())
            .unwrap_or_else(|| DEFAULT_ROUTE_SELECTION.into()),
        api_key_selection_expression: spec.api.api_key_selection.clone(),
        ..Default::default()
    };

    for a in &spec.authorizers {
        // Lambda REQUEST authorizers only (validation refuses the others).
        let AuthorizerKind::Request {
            function,
            identity_sources,
            ..
        } = &a.kind
        else {
            continue;
        };
        let f = func(function);
        if let Some(f) = f {
            add_authorizer_permission(&mut permissions, f, &a.name.value, region);
        }
        config.authorizers.insert(
            a.name.value.clone(),
            Authorizer {
                kind: "REQUEST".into(),
                identity_source: identity_sources.clone(),
                authorizer_uri: f.map(|f| lambda_uri(region, &f.invoke_arn())),
            },
        );
    }

    // One integration per distinct target (and configuration), shared by its routes.
    let mut route_integrations = Vec::new();
    for r in &spec.routes {
        let mut i = integration(&r.integration, &func);
        i.normalize();
        if let IntegrationKind::LambdaProxy { function } | IntegrationKind::Lambda { function } =
            &r.integration.kind
        {
            // A role in `credentials` invokes the function without a resource policy.
            if let (Some(f), None) = (func(function), &r.integration.credentials) {
                add_api_permission(&mut permissions, f, region);
            }
        }
        route_integrations.push(i);
    }
    let mut unique: Vec<Integration> = Vec::new();
    for i in &route_integrations {
        if !unique.contains(i) {
            unique.push(i.clone());
        }
    }
    let keys = integration_keys(&unique);
    for (k, i) in keys.iter().zip(&unique) {
        config.integrations.insert(k.clone(), i.clone());
    }

    for (r, i) in spec.routes.iter().zip(&route_integrations) {
        let target = unique.iter().position(|u| u == i).map(|n| keys[n].clone());
        let (authorization_type, authorizer) = match spec.effective_auth(r) {
            AuthRef::None => ("NONE", None),
            AuthRef::Iam => ("AWS_IAM", None),
            AuthRef::Authorizer(name) => ("CUSTOM", Some(name)),
        };
        config.routes.insert(
            r.path.value.clone(),
            Route {
                target,
                authorization_type: authorization_type.into(),
                authorizer,
                route_response_selection_expression: r.response.then(|| DEFAULT_KEY.to_string()),
            },
        );
        if r.response {
            config.route_responses.insert(r.path.value.clone());
        }
    }
    config.normalize();
    let tags = owner_tags(spec);

    let stages = spec
        .stages
        .iter()
        .map(|s| {
            let route_settings = spec
                .routes
                .iter()
                .filter_map(|r| {
                    let t = r.throttle?;
                    Some((
                        r.path.value.clone(),
                        RouteSetting {
                            throttle_rate: Some(t.rate),
                            throttle_burst: Some(t.burst),
                            ..Default::default()
                        },
                    ))
                })
                .collect();
            let stage = Stage {
                description: s.description.clone(),
                auto_deploy: s.auto_deploy,
                variables: s.variables.clone().unwrap_or_default(),
                default_route_settings: RouteSetting {
                    logging_level: s.logging.map(|l| l.as_aws().to_string()),
                    data_trace: s.data_trace,
                    metrics: s.metrics,
                    throttle_rate: s.throttle.map(|t| t.rate),
                    throttle_burst: s.throttle.map(|t| t.burst),
                },
                route_settings,
                access_log: s.access_log.as_ref().map(|a| AccessLog {
                    destination_arn: a.destination_arn.value.clone(),
                    format: a.format.clone(),
                }),
            };
            (s.name.value.clone(), stage)
        })
        .collect();

    DesiredWs {
        undeclared: Undeclared::of(spec),
        notes: Vec::new(),
        config,
        tags,
        stages,
        permissions: permissions.into_values().collect(),
    }
}

/// `gwctl:config=<sha256>` of what a deployment of `config` snapshots (routes, integrations,
/// authorizers, CORS): the description of every deployment gwctl creates, compared with
/// what a stage with auto-deploy off serves.
pub fn config_mark(config: &WsApi) -> String {
    format!(
        "{DEPLOYMENT_MARK}{}",
        &hex(&Sha256::digest(config.deployed_part()))[..32]
    )
}

/// The configuration after the plan is applied: the desired one, plus what the plan keeps
/// without declaring it (an adopted API without `--prune`).
pub fn predicted_config(desired: &WsApi, observed: Option<&WsApi>, prune: bool) -> WsApi {
    let mut c = desired.clone();
    if let (false, Some(o)) = (prune, observed) {
        for (k, r) in &o.routes {
            c.routes.entry(k.clone()).or_insert_with(|| r.clone());
        }
        for (k, i) in &o.integrations {
            c.integrations.entry(k.clone()).or_insert_with(|| i.clone());
        }
        for (k, a) in &o.authorizers {
            c.authorizers.entry(k.clone()).or_insert_with(|| a.clone());
        }
        for k in &o.route_responses {
            if !desired.routes.contains_key(k) {
                c.route_responses.insert(k.clone());
            }
        }
    }
    c
}

fn integration<'a>(
    def: &IntegrationDef,
    func: &impl Fn(&str) -> Option<&'a ResolvedFunction>,
) -> Integration {
    let (kind, uri, method) = match &def.kind {
        IntegrationKind::LambdaProxy { function } | IntegrationKind::Lambda { function } => (
            if matches!(def.kind, IntegrationKind::Lambda { .. }) {
                "AWS"
            } else {
                "AWS_PROXY"
            },
            func(function)
                .map(|f| f.invoke_arn())
                .unwrap_or_else(|| function.value.clone()),
            None,
        ),
        IntegrationKind::HttpProxy { uri, http_method } => (
            "HTTP_PROXY",
            uri.value.clone(),
            Some(http_method.as_str().to_string()),
        ),
        IntegrationKind::Http { uri, http_method } => (
            "HTTP",
            uri.value.clone(),
            Some(http_method.as_str().to_string()),
        ),
        IntegrationKind::Mock => ("MOCK", String::new(), None),
    };
    Integration {
        kind: kind.into(),
        uri,
        method,
        timeout_ms: def.timeout_ms.map(|t| t as i32),
        credentials_arn: def.credentials.as_ref().map(|c| c.value.clone()),
        request_templates: def.request_templates.clone(),
        template_selection_expression: def.template_selection.clone(),
        passthrough_behavior: def.passthrough_behavior.clone(),
        content_handling: def.content_handling.clone(),
    }
}

/// Plan a WebSocket API. `observed` is None when the API does not exist yet.
pub fn plan(
    desired: &DesiredWs,
    observed: Option<&ObservedWsApi>,
    policies: &Policies,
    opts: PlanOptions,
) -> WsPlan {
    // Settings the spec leaves out are diffed against their own live values: never changed.
    let desired = &desired.keep_undeclared(observed);
    let mut p = WsPlan::default();
    let empty = WsApi::default();
    let have = observed.map(|o| &o.config).unwrap_or(&empty);
    let want = &desired.config;

    // 1. The API.
    match observed {
        None => p.push(
            Change::new(Action::Create, "ws_api", &want.name),
            WsOp::CreateApi {
                name: want.name.clone(),
                description: want.description.clone(),
                route_selection_expression: want.route_selection_expression.clone(),
                api_key_selection_expression: want.api_key_selection_expression.clone(),
                tags: desired.tags.clone(),
            },
        ),
        Some(_) => plan_api(&mut p, want, have),
    }

    // 2. Authorizers and integrations before the routes that use them.
    for (name, w) in &want.authorizers {
        match have.authorizers.get(name) {
            None => p.push(
                Change::new(Action::Create, "authorizer", name),
                WsOp::CreateAuthorizer {
                    name: name.clone(),
                    def: w.clone(),
                },
            ),
            Some(h) if h != w => p.push(
                Change::new(Action::Update, "authorizer", name)
                    .fields(diff_fields(Some(h), Some(w))),
                WsOp::UpdateAuthorizer {
                    name: name.clone(),
                    def: w.clone(),
                },
            ),
            Some(_) => {}
        }
    }
    for (key, w) in &want.integrations {
        match have.integrations.get(key) {
            None => p.push(
                Change::new(Action::Create, "integration", key),
                WsOp::CreateIntegration {
                    key: key.clone(),
                    def: w.clone(),
                },
            ),
            Some(h) if h != w => p.push(
                Change::new(Action::Update, "integration", key)
                    .fields(diff_fields(Some(&h.shown()), Some(&w.shown()))),
                WsOp::UpdateIntegration {
                    key: key.clone(),
                    def: w.clone(),
                },
            ),
            Some(_) => {}
        }
    }

    // 3. Routes: new ones, rewired ones.
    for (key, w) in &want.routes {
        match have.routes.get(key) {
            None => p.push(
                Change::new(Action::Create, "route", key),
                WsOp::CreateRoute {
                    route_key: key.clone(),
                    def: w.clone(),
                },
            ),
            Some(h) if h != w => p.push(
                Change::new(Action::Update, "route", key).fields(diff_fields(Some(h), Some(w))),
                WsOp::UpdateRoute {
                    route_key: key.clone(),
                    def: w.clone(),
                },
            ),
            Some(_) => {}
        }
    }
    // Two-way routes answer with a `$default` route response; a declared one-way route has
    // none.
    for key in want.routes.keys() {
        let (w, h) = (
            want.route_responses.contains(key),
            have.route_responses.contains(key),
        );
        if w && !h {
            p.push(
                Change::new(Action::Create, "route_response", key),
                WsOp::CreateRouteResponse {
                    route_key: key.clone(),
                },
            );
        } else if h && !w {
            p.push(
                Change::new(Action::Delete, "route_response", key),
                WsOp::DeleteRouteResponse {
                    route_key: key.clone(),
                },
            );
        }
    }

    // 4. What the spec does not declare: deleted on owned APIs (and with --prune), otherwise
    //    listed as kept. The route settings of removed routes, the routes, then integrations
    //    and authorizers no route uses any more.
    if let Some(o) = observed {
        for (stage, st) in &o.stages {
            // Only the settings of routes that go: a declared route's settings the spec
            // does not declare stay as they are. On a stage the spec does not declare too: a
            // route with stage settings cannot be deleted.
            let declared = desired.stages.get(stage);
            for rk in st.settings.route_settings.keys() {
                let wanted = declared.is_some_and(|w| w.route_settings.contains_key(rk));
                if !wanted && !want.routes.contains_key(rk) {
                    p.remove_extra(
                        opts.prune,
                        Change::new(Action::Delete, "route_settings", &format!("{stage} {rk}")),
                        WsOp::DeleteRouteSettings {
                            stage: stage.clone(),
                            route_key: rk.clone(),
                        },
                    );
                }
            }
        }
    }
    for key in have.routes.keys().filter(|k| !want.routes.contains_key(*k)) {
        p.remove_extra(
            opts.prune,
            Change::new(Action::Delete, "route", key),
            WsOp::DeleteRoute {
                route_key: key.clone(),
            },
        );
    }
    for key in have
        .integrations
        .keys()
        .filter(|k| !want.integrations.contains_key(*k))
    {
        p.remove_extra(
            opts.prune,
            Change::new(Action::Delete, "integration", key),
            WsOp::DeleteIntegration { key: key.clone() },
        );
    }
    for name in have
        .authorizers
        .keys()
        .filter(|k| !want.authorizers.contains_key(*k))
    {
        p.remove_extra(
            opts.prune,
            Change::new(Action::Delete, "authorizer", name),
            WsOp::DeleteAuthorizer { name: name.clone() },
        );
    }

    // 5. Lambda permissions.
    let api_id = observed.map(|o| o.id.as_str());
    let authorizer_ids = observed
        .map(|o| o.authorizer_ids.clone())
        .unwrap_or_default();
    for (change, ops) in permission_changes(&desired.permissions, policies, api_id, &authorizer_ids)
    {
        p.push_all(change, ops.into_iter().map(WsOp::from).collect());
    }

    // 6. One deployment, for the stages with auto-deploy off that do not serve this
    //    configuration (auto-deploy stages are deployed by API Gateway itself); 7. stages.
    let mark = config_mark(&predicted_config(
        want,
        observed.map(|o| &o.config),
        opts.prune,
    ));
    let api_changed = p.ops.iter().any(|op| {
        !matches!(
            op,
            WsOp::AddPermission { .. } | WsOp::RemovePermission { .. }
        )
    });
    let reason = deployment_reason(api_changed);
    plan_stages(
        &mut p,
        observed,
        &desired.stages,
        &mark,
        &mark,
        reason,
        opts,
    );
    p
}

/// Whether a stage deploys itself: its wanted auto-deploy, else the one it has.
pub fn auto_deploys(want: &Stage, have: Option<&ObservedStage>) -> bool {
    want.auto_deploy
        .or(have.and_then(|h| h.settings.auto_deploy))
        .unwrap_or(false)
}

/// At most one deployment (described `description`, which starts with `mark`), for the
/// stages with auto-deploy off that do not serve `mark` (all of them with
/// `opts.force_deploy`), then each stage created or updated to the settings `stages` manage
/// (`opts.prune`: per-route settings not declared are dropped). Shared by `apply` and
/// `deploy`.
pub fn plan_stages(
    p: &mut WsPlan,
    observed: Option<&ObservedWsApi>,
    stages: &BTreeMap<String, Stage>,
    mark: &str,
    description: &str,
    reason: &str,
    opts: PlanOptions,
) {
    let stale: Vec<&String> = stages
        .iter()
        .filter(|(name, w)| {
            let h = observed.and_then(|o| o.stages.get(*name));
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
            WsOp::CreateDeployment {
                description: description.to_string(),
            },
        );
    }
    for (name, w) in stages {
        let deploy = stale.contains(&name);
        match observed.and_then(|o| o.stages.get(name)) {
            None => p.push(
                Change::new(Action::Create, "stage", name).fields(stage_fields(
                    w,
                    &Stage::default(),
                    |s| s,
                )),
                WsOp::CreateStage {
                    name: name.clone(),
                    def: w.clone(),
                    deploy,
                },
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
                        WsOp::UpdateStage {
                            name: name.clone(),
                            update,
                        },
                    );
                }
            }
        }
    }
}

/// `gwctl destroy`: the permission statements gwctl added for the API, then the API.
pub fn plan_destroy(observed: &ObservedWsApi, policies: &Policies) -> WsPlan {
    let id = observed.id.clone();
    let name = &observed.config.name;
    super::permissions::plan_destroy(
        &id,
        name,
        "ws_api",
        policies,
        WsOp::DeleteApi { id: id.clone() },
    )
}

/// Whether stage `name` serves a deployment of the configuration `mark` stands for.
pub fn serves(mark: &str, observed: Option<&ObservedWsApi>, name: &str) -> bool {
    observed
        .and_then(|o| {
            let st = o.stages.get(name)?;
            let dep = o.deployments.get(st.deployment_id.as_deref()?)?;
            Some(deployment_serves(dep.description.as_deref(), mark))
        })
        .unwrap_or(false)
}

fn plan_api(p: &mut WsPlan, want: &WsApi, have: &WsApi) {
    let mut fields = Vec::new();
    let mut description = None;
    let mut route_selection = None;
    let mut api_key_selection = None;
    if want.description != have.description {
        description = Some(want.description.clone().unwrap_or_default());
        fields.push(FieldChange::of(
            "description",
            &have.description,
            &want.description,
        ));
    }
    if want.route_selection_expression != have.route_selection_expression {
        route_selection = Some(want.route_selection_expression.clone());
        fields.push(FieldChange::of(
            "route_selection_expression",
            &have.route_selection_expression,
            &want.route_selection_expression,
        ));
    }
    if want.api_key_selection_expression.is_some()
        && want.api_key_selection_expression != have.api_key_selection_expression
    {
        api_key_selection = want.api_key_selection_expression.clone();
        fields.push(FieldChange::of(
            "api_key_selection_expression",
            &have.api_key_selection_expression,
            &want.api_key_selection_expression,
        ));
    }
    if !fields.is_empty() {
        p.push(
            Change::new(Action::Update, "ws_api", &want.name).fields(fields),
            WsOp::UpdateApi {
                description,
                route_selection_expression: route_selection,
                api_key_selection_expression: api_key_selection,
            },
        );
    }
}

/// `have` with the settings `want` manages laid over it.
fn overlay(have: RouteSetting, want: &RouteSetting) -> RouteSetting {
    RouteSetting {
        logging_level: want.logging_level.clone().or(have.logging_level),
        data_trace: want.data_trace.or(have.data_trace),
        metrics: want.metrics.or(have.metrics),
        throttle_rate: want.throttle_rate.or(have.throttle_rate),
        throttle_burst: want.throttle_burst.or(have.throttle_burst),
    }
}

/// Read-back form of a route setting: detailed metrics and data trace absent mean off.
/// (Logging absent is left as is: a route without its own level uses the stage's.)
fn settled(s: RouteSetting) -> RouteSetting {
    RouteSetting {
        metrics: Some(s.metrics.unwrap_or(false)),
        data_trace: Some(s.data_trace.unwrap_or(false)),
        ..s
    }
}

/// The update-stage groups that differ between `want` (managed settings) and `have`.
fn stage_update(want: &Stage, have: &Stage, prune: bool) -> (StageUpdate, Vec<FieldChange>) {
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
    let drs = overlay(
        have.default_route_settings.clone(),
        &want.default_route_settings,
    );
    if settled(drs.clone()) != settled(have.default_route_settings.clone()) {
        u.default_route_settings = Some(drs);
    }
    let mut routes: BTreeMap<String, RouteSetting> = BTreeMap::new();
    let mut routes_changed = false;
    for (k, w) in &want.route_settings {
        let h = have.route_settings.get(k).cloned();
        let merged = overlay(h.clone().unwrap_or_default(), w);
        routes_changed |= h.map(settled) != Some(settled(merged.clone()));
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
    let fields = stage_fields(&applied(have, &u), have, settled);
    (u, fields)
}

/// What a stage looks like after `u` is applied to `have` (for field-level display).
fn applied(have: &Stage, u: &StageUpdate) -> Stage {
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
fn stage_fields(
    new: &Stage,
    old: &Stage,
    read: fn(RouteSetting) -> RouteSetting,
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
    let settings =
        |label: &str,
         o: RouteSetting,
         n: RouteSetting,
         push: &mut dyn FnMut(String, Option<String>, Option<String>)| {
            push(
                format!("{label}logging"),
                o.logging_level.clone(),
                n.logging_level.clone(),
            );
            push(
                format!("{label}data_trace"),
                o.data_trace.map(|b| b.to_string()),
                n.data_trace.map(|b| b.to_string()),
            );
            push(
                format!("{label}metrics"),
                o.metrics.map(|b| b.to_string()),
                n.metrics.map(|b| b.to_string()),
            );
            push(
                format!("{label}throttle.rate"),
                o.throttle_rate.map(|v| v.to_string()),
                n.throttle_rate.map(|v| v.to_string()),
            );
            push(
                format!("{label}throttle.burst"),
                o.throttle_burst.map(|v| v.to_string()),
                n.throttle_burst.map(|v| v.to_string()),
            );
        };
    settings(
        "",
        read(old.default_route_settings.clone()),
        read(new.default_route_settings.clone()),
        &mut push,
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
            .map(settled)
            .unwrap_or_default();
        let n = new
            .route_settings
            .get(k)
            .cloned()
            .map(settled)
            .unwrap_or_default();
        settings(&format!("{k} "), o, n, &mut push);
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
pub fn stage_after(want: &Stage, have: &Stage, prune: bool) -> Stage {
    applied(have, &stage_update(want, have, prune).0)
}

#[cfg(test)]
mod tests;
