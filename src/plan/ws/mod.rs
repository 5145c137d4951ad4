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
    integration_keys, Authorizer, Integration, IntegrationResponse, ObservedWsApi, Route,
    RouteSetting, Stage, WsApi, DEFAULT_KEY,
};
use crate::state::{ResolvedFunction, DEPLOYMENT_MARK};

use super::desired::{hex, lambda_uri, owner_tags, Undeclared};
use super::permissions::{
    add_api_permission, add_authorizer_permission, permission_changes, DesiredPermission,
};
pub use super::v2::{auto_deploys, plan_stages, serves, stage_after};
use super::{deployment_reason, diff_fields, Action, Change, FieldChange, Plan, PlanOptions};
use ops::WsOp;

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
    /// Keys of the integrations whose routes all leave `request_parameters` out: their live
    /// request parameters stay as they are.
    pub silent_request_parameters: BTreeSet<String>,
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
        for key in &self.silent_request_parameters {
            if let (Some(w), Some(h)) = (
                d.config.integrations.get_mut(key),
                o.config.integrations.get(key),
            ) {
                w.request_parameters = h.request_parameters.clone();
            }
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
    // An integration owns its request parameters when a route using it declares them
    // (routes sharing it declare the same ones, or none: it is one integration).
    let mut silent_request_parameters: BTreeSet<String> = keys.iter().cloned().collect();
    for (r, i) in spec.routes.iter().zip(&route_integrations) {
        if let (Some(_), Some(n)) = (
            &r.integration.ws_request_parameters,
            unique.iter().position(|u| u == i),
        ) {
            silent_request_parameters.remove(&keys[n]);
        }
    }
    // Integration responses of the integrations whose spec declares `responses:` (routes
    // sharing an integration declare the same ones: validation sees to it).
    for (r, i) in spec.routes.iter().zip(&route_integrations) {
        let (Some(declared), Some(n)) = (
            &r.integration.ws_responses,
            unique.iter().position(|u| u == i),
        ) else {
            continue;
        };
        config
            .integration_responses
            .entry(keys[n].clone())
            .or_insert_with(|| {
                declared
                    .iter()
                    .map(|d| {
                        (
                            d.key.clone(),
                            IntegrationResponse {
                                templates: d.templates.clone(),
                                template_selection_expression: d.template_selection.clone(),
                                content_handling: d.content_handling.clone(),
                            },
                        )
                    })
                    .collect()
            });
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
        silent_request_parameters,
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
/// without declaring it (an adopted API without `--prune`), plus what no plan touches: the
/// integration responses of the integrations whose spec declares none. This is the API as
/// `show` and `deploy` will read it, so the deployment apply makes is described by the mark
/// they compute.
pub fn predicted_config(desired: &WsApi, observed: Option<&WsApi>, prune: bool) -> WsApi {
    let mut c = desired.clone();
    let Some(o) = observed else {
        return c;
    };
    if !prune {
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
    for (k, rs) in &o.integration_responses {
        if c.integrations.contains_key(k) && !desired.integration_responses.contains_key(k) {
            c.integration_responses.insert(k.clone(), rs.clone());
        }
    }
    c
}

/// [`predicted_config`] as the spec declares it: request parameters only where the spec
/// declares them, integration responses only of the integrations whose spec declares them.
/// A stage whose deployment carries this mark serves the spec: what was made by hand and
/// never deployed does not make apply redeploy.
fn declared_config(desired: &DesiredWs, predicted: &WsApi) -> WsApi {
    let mut c = predicted.clone();
    for (k, i) in c.integrations.iter_mut() {
        if desired.silent_request_parameters.contains(k)
            || !desired.config.integrations.contains_key(k)
        {
            i.request_parameters.clear();
        }
    }
    c.integration_responses
        .retain(|k, _| desired.config.integration_responses.contains_key(k));
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
        request_parameters: def.ws_request_parameters.clone().unwrap_or_default(),
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
                    def: Integration {
                        request_parameters: sent_request_parameters(
                            h,
                            w,
                            desired.silent_request_parameters.contains(key),
                        ),
                        ..w.clone()
                    },
                },
            ),
            Some(_) => {}
        }
    }

    // Integration responses, of the integrations whose spec declares `responses:` only: that
    // set is owned (one the spec does not list goes); an integration whose spec is silent
    // keeps whatever it has.
    plan_integration_responses(&mut p, want, have);

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
    // New deployments carry the mark of the API as it will be (what `show` and `deploy`
    // compute from the live API); a stage also serves when its deployment carries the mark
    // of what the spec declares (hand-made request parameters or integration responses on
    // integrations the spec is silent about are not a reason to redeploy).
    let predicted = predicted_config(want, observed.map(|o| &o.config), opts.prune);
    let mark = config_mark(&predicted);
    let declared = config_mark(&declared_config(desired, &predicted));
    let adopted = observed.map(|o| {
        let mut o = o.clone();
        for d in o.deployments.values_mut() {
            if crate::plan::deployment_serves(d.description.as_deref(), &declared) {
                d.description = Some(mark.clone());
            }
        }
        o
    });
    let api_changed = p.ops.iter().any(|op| {
        !matches!(
            op,
            WsOp::AddPermission { .. } | WsOp::RemovePermission { .. }
        )
    });
    let reason = deployment_reason(api_changed);
    plan_stages(
        &mut p,
        adopted.as_ref(),
        &desired.stages,
        &mark,
        &mark,
        reason,
        opts,
    );
    p
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

fn plan_integration_responses(p: &mut WsPlan, want: &WsApi, have: &WsApi) {
    let none = BTreeMap::new();
    for (ikey, wants) in &want.integration_responses {
        // An integration about to be created has none yet.
        let haves = have.integration_responses.get(ikey).unwrap_or(&none);
        for (key, w) in wants {
            let name = format!("{ikey} {key}");
            match haves.get(key) {
                None => p.push(
                    Change::new(Action::Create, "integration_response", &name),
                    WsOp::CreateIntegrationResponse {
                        integration: ikey.clone(),
                        key: key.clone(),
                        def: w.clone(),
                    },
                ),
                // UpdateIntegrationResponse cannot be trusted to drop what it is not sent (a
                // template key, a selection expression, a content handling): the v2 API
                // merges maps as far as can be told (docs/design.md). Such a change deletes
                // the response and creates it again.
                Some(h) if h != w && drops_a_setting(h, w) => p.push_all(
                    Change::new(Action::Replace, "integration_response", &name)
                        .fields(diff_fields(Some(h), Some(w))),
                    vec![
                        WsOp::DeleteIntegrationResponse {
                            integration: ikey.clone(),
                            key: key.clone(),
                        },
                        WsOp::CreateIntegrationResponse {
                            integration: ikey.clone(),
                            key: key.clone(),
                            def: w.clone(),
                        },
                    ],
                ),
                Some(h) if h != w => p.push(
                    Change::new(Action::Update, "integration_response", &name)
                        .fields(diff_fields(Some(h), Some(w))),
                    WsOp::UpdateIntegrationResponse {
                        integration: ikey.clone(),
                        key: key.clone(),
                        def: w.clone(),
                    },
                ),
                Some(_) => {}
            }
        }
        for key in haves.keys().filter(|k| !wants.contains_key(*k)) {
            p.push(
                Change::new(
                    Action::Delete,
                    "integration_response",
                    &format!("{ikey} {key}"),
                ),
                WsOp::DeleteIntegrationResponse {
                    integration: ikey.clone(),
                    key: key.clone(),
                },
            );
        }
    }
}

/// The request parameters an UpdateIntegration from `have` to `want` sends. The service
/// merges the map it is sent into the live one, so a key to remove goes with the value `""`
/// (as Terraform's apigatewayv2 integration does). Nothing when the spec is silent about
/// them (`want` holds the live ones then).
fn sent_request_parameters(
    have: &Integration,
    want: &Integration,
    silent: bool,
) -> BTreeMap<String, String> {
    if silent {
        return BTreeMap::new();
    }
    let mut sent = want.request_parameters.clone();
    for k in have.request_parameters.keys() {
        sent.entry(k.clone()).or_default();
    }
    sent
}

/// Whether going from `have` to `want` removes something an update would have to clear
/// by leaving it out: a template key, the template selection expression or the content
/// handling.
fn drops_a_setting(have: &IntegrationResponse, want: &IntegrationResponse) -> bool {
    have.templates
        .keys()
        .any(|k| !want.templates.contains_key(k))
        || (have.template_selection_expression.is_some()
            && want.template_selection_expression.is_none())
        || (have.content_handling.is_some() && want.content_handling.is_none())
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

#[cfg(test)]
mod tests;
