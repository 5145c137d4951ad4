//! HTTP APIs (apigatewayv2): the desired configuration built from a spec, and the pure
//! planner that diffs it against the observed API into ordered [`HttpOp`]s.
//!
//! Order of a plan: the API (create, attributes, CORS); authorizers and integrations (before
//! the routes that use them); routes (create, rewire, then removed routes' stage settings and
//! the routes themselves); integrations and authorizers no route uses any more; Lambda
//! permissions; at most one deployment (stages with auto-deploy off only); stages.

pub mod deps;
pub mod export;
pub mod openapi;
pub mod ops;
pub mod simulate;

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use crate::spec::model::{
    AuthRef, AuthorizerKind, HttpMethod, IntegrationDef, IntegrationKind, Spec,
};
use crate::state::http::{
    integration_keys, route_key, Authorizer, Cors, HttpApi, Integration, ObservedHttpApi, Route,
    RouteSetting, Stage, DEFAULT_PAYLOAD_FORMAT,
};
use crate::state::rest::{AccessLog, Policies};
use crate::state::{ResolvedFunction, DEPLOYMENT_MARK};

use super::desired::{hex, lambda_uri, owner_tags, Undeclared, DEFAULT_CORS_HEADERS};
use super::permissions::{
    add_api_permission, add_authorizer_permission, permission_changes, DesiredPermission,
};
pub use super::v2::{auto_deploys, plan_stages, serves, stage_after};
use super::{
    deployment_reason, diff_fields, hand_deployment_serves, Action, Change, FieldChange, Plan,
    PlanOptions,
};
use ops::HttpOp;

/// Everything the planner needs to know about what the spec wants on an HTTP API.
#[derive(Debug, Clone)]
pub struct DesiredHttp {
    pub config: HttpApi,
    /// User tags plus gwctl's ownership tag.
    pub tags: BTreeMap<String, String>,
    /// Stage name -> settings. `None` fields are not managed.
    pub stages: BTreeMap<String, Stage>,
    pub permissions: Vec<DesiredPermission>,
    /// Warnings about the configuration itself (e.g. preflight requests an authorized
    /// catch-all route would capture), shown with the plan.
    pub notes: Vec<String>,
    /// The settings the spec leaves out, which keep their live values.
    pub undeclared: Undeclared,
}

impl DesiredHttp {
    /// The desired state with every setting the spec leaves out set to its live value (see
    /// [`crate::plan::rest::desired::DesiredRest::keep_undeclared`]). Idempotent.
    pub fn keep_undeclared(&self, observed: Option<&ObservedHttpApi>) -> DesiredHttp {
        let mut d = self.clone();
        let Some(o) = observed else {
            return d;
        };
        let u = &self.undeclared;
        if u.description {
            d.config.description = o.config.description.clone();
        }
        if u.disable_execute_api_endpoint {
            d.config.disable_execute_api_endpoint = o.config.disable_execute_api_endpoint;
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
                    st.route_settings.entry(rk.clone()).or_insert(*rs);
                }
            }
        }
        d
    }
}

/// An HTTP API plan.
pub type HttpPlan = Plan<HttpOp>;

/// Build the desired HTTP API configuration.
pub fn desired(spec: &Spec, functions: &[ResolvedFunction], region: &str) -> DesiredHttp {
    let func = |key: &str| functions.iter().find(|f| f.key == key);
    let mut permissions: BTreeMap<String, DesiredPermission> = BTreeMap::new();
    let mut config = HttpApi {
        name: spec.api.name.value.clone(),
        description: spec.api.description.clone(),
        disable_execute_api_endpoint: spec.api.disable_execute_api_endpoint.unwrap_or(false),
        cors: spec.cors.as_ref().map(|c| cors(c, spec)),
        ..Default::default()
    };

    for a in &spec.authorizers {
        let def = match &a.kind {
            AuthorizerKind::Jwt {
                issuer,
                audience,
                identity_source,
            } => Authorizer {
                kind: "JWT".into(),
                identity_source: vec![identity_source.clone()],
                issuer: Some(issuer.value.clone()),
                audience: audience.clone(),
                ..Default::default()
            },
            AuthorizerKind::Request {
                function,
                identity_sources,
                ttl_seconds,
                payload_format_version,
                simple_responses,
            } => {
                let f = func(function);
                if let Some(f) = f {
                    add_authorizer_permission(&mut permissions, f, &a.name.value, region);
                }
                Authorizer {
                    kind: "REQUEST".into(),
                    identity_source: identity_sources.clone(),
                    authorizer_uri: f.map(|f| lambda_uri(region, &f.invoke_arn())),
                    payload_format_version: Some(
                        payload_format_version
                            .clone()
                            .unwrap_or_else(|| DEFAULT_PAYLOAD_FORMAT.into()),
                    ),
                    ttl_seconds: Some(*ttl_seconds as i32),
                    simple_responses: Some(*simple_responses),
                    ..Default::default()
                }
            }
            // TOKEN and Cognito authorizers exist only on REST APIs (validation refuses them).
            AuthorizerKind::Token { .. } | AuthorizerKind::Cognito { .. } => continue,
        };
        config.authorizers.insert(a.name.value.clone(), def);
    }

    // One integration per distinct target (and configuration), shared by its routes.
    let mut route_integrations = Vec::new();
    for r in &spec.routes {
        let mut i = integration(spec, &r.integration, &func);
        i.normalize();
        if let IntegrationKind::LambdaProxy { function } = &r.integration.kind {
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
            AuthRef::Authorizer(name) => match spec.authorizer(&name).map(|a| &a.kind) {
                Some(AuthorizerKind::Jwt { .. }) => ("JWT", Some(name)),
                _ => ("CUSTOM", Some(name)),
            },
        };
        config.routes.insert(
            route_key(r.method.as_str(), &r.path.value),
            Route {
                target,
                authorization_type: authorization_type.into(),
                authorizer,
                authorization_scopes: r.scopes.clone(),
            },
        );
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
                        route_key(r.method.as_str(), &r.path.value),
                        RouteSetting {
                            metrics: None,
                            throttle_rate: Some(t.rate),
                            throttle_burst: Some(t.burst),
                        },
                    ))
                })
                .collect();
            let stage = Stage {
                description: s.description.clone(),
                auto_deploy: s.auto_deploy,
                variables: s.variables.clone().unwrap_or_default(),
                default_route_settings: RouteSetting {
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

    DesiredHttp {
        undeclared: Undeclared::of(spec),
        notes: preflight_notes(spec),
        config,
        tags,
        stages,
        permissions: permissions.into_values().collect(),
    }
}

/// `gwctl:config=<sha256>` of what a deployment of `config` snapshots (routes, integrations,
/// authorizers, CORS): the description of every deployment gwctl creates, compared with
/// what a stage with auto-deploy off serves.
pub fn config_mark(config: &HttpApi) -> String {
    format!(
        "{DEPLOYMENT_MARK}{}",
        &hex(&Sha256::digest(config.deployed_part()))[..32]
    )
}

/// The configuration after the plan is applied: the desired one, plus what the plan keeps
/// without declaring it (an adopted API without `--prune`).
pub fn predicted_config(desired: &HttpApi, observed: Option<&HttpApi>, prune: bool) -> HttpApi {
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
        if c.cors.is_none() {
            c.cors = o.cors.clone();
        }
    }
    c
}

/// The API's CORS configuration. Without explicit methods, the methods the routes use (`*`
/// when a route takes any method).
fn cors(c: &crate::spec::model::CorsDef, spec: &Spec) -> Cors {
    let allow_methods = if c.methods.is_empty() {
        let methods: BTreeSet<&str> = spec.routes.iter().map(|r| r.method.as_str()).collect();
        if methods.contains(HttpMethod::Any.as_str()) {
            vec!["*".to_string()]
        } else {
            methods.into_iter().map(str::to_string).collect()
        }
    } else {
        c.methods.clone()
    };
    Cors {
        allow_origins: c.origins.clone(),
        allow_methods,
        allow_headers: if c.headers.is_empty() {
            DEFAULT_CORS_HEADERS.iter().map(|h| h.to_string()).collect()
        } else {
            c.headers.clone()
        },
        expose_headers: c.expose_headers.clone(),
        max_age: c.max_age.map(|a| a as i32),
        allow_credentials: c.credentials,
    }
}

fn integration<'a>(
    spec: &Spec,
    def: &IntegrationDef,
    func: &impl Fn(&str) -> Option<&'a ResolvedFunction>,
) -> Integration {
    let (kind, uri, method, payload) = match &def.kind {
        IntegrationKind::LambdaProxy { function } | IntegrationKind::Lambda { function } => (
            "AWS_PROXY",
            func(function)
                .map(|f| f.invoke_arn())
                .unwrap_or_else(|| function.value.clone()),
            None,
            Some(
                def.payload_format_version
                    .clone()
                    .or_else(|| spec.api.payload_format_version.clone())
                    .unwrap_or_else(|| DEFAULT_PAYLOAD_FORMAT.into()),
            ),
        ),
        IntegrationKind::HttpProxy { uri, http_method }
        | IntegrationKind::Http { uri, http_method } => (
            "HTTP_PROXY",
            uri.value.clone(),
            Some(http_method.as_str().to_string()),
            None,
        ),
        // MOCK integrations exist only on REST APIs (validation refuses them).
        IntegrationKind::Mock => ("MOCK", String::new(), None, None),
    };
    Integration {
        kind: kind.into(),
        uri,
        method,
        payload_format_version: payload,
        timeout_ms: def.timeout_ms.map(|t| t as i32),
        request_parameters: def.request_parameters.clone(),
        credentials_arn: def.credentials.as_ref().map(|c| c.value.clone()),
    }
}

/// Issue 4's warning: with CORS on, an authorized `ANY` or `$default` route also matches the
/// browser's unauthenticated preflight `OPTIONS` requests.
fn preflight_notes(spec: &Spec) -> Vec<String> {
    if spec.cors.is_none() {
        return Vec::new();
    }
    spec.routes
        .iter()
        .filter(|r| r.method.value == HttpMethod::Any && spec.effective_auth(r) != AuthRef::None)
        .map(|r| {
            format!(
                "route `{}` has authorization and also matches browsers' preflight `OPTIONS` requests, \
                 which carry no credentials and would be refused; add an `OPTIONS` route with \
                 `auth: none` for those paths, or list methods instead of `ANY`",
                route_key(r.method.as_str(), &r.path.value)
            )
        })
        .collect()
}

/// Plan an HTTP API. `observed` is None when the API does not exist yet.
pub fn plan(
    desired: &DesiredHttp,
    observed: Option<&ObservedHttpApi>,
    policies: &Policies,
    opts: PlanOptions,
) -> HttpPlan {
    // Settings the spec leaves out are diffed against their own live values: never changed.
    let desired = &desired.keep_undeclared(observed);
    let mut p = HttpPlan::default();
    let empty = HttpApi::default();
    let have = observed.map(|o| &o.config).unwrap_or(&empty);
    let want = &desired.config;

    // 1. The API and its CORS configuration.
    match observed {
        None => p.push(
            Change::new(Action::Create, "http_api", &want.name),
            HttpOp::CreateApi {
                name: want.name.clone(),
                description: want.description.clone(),
                disable_execute_api_endpoint: want.disable_execute_api_endpoint,
                cors: want.cors.clone(),
                tags: desired.tags.clone(),
            },
        ),
        Some(_) => plan_api(&mut p, want, have, opts.prune),
    }

    // 2. Authorizers and integrations before the routes that use them.
    for (name, w) in &want.authorizers {
        match have.authorizers.get(name) {
            None => p.push(
                Change::new(Action::Create, "authorizer", name),
                HttpOp::CreateAuthorizer {
                    name: name.clone(),
                    def: w.clone(),
                },
            ),
            Some(h) if h != w => p.push(
                Change::new(Action::Update, "authorizer", name)
                    .fields(diff_fields(Some(h), Some(w))),
                HttpOp::UpdateAuthorizer {
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
                HttpOp::CreateIntegration {
                    key: key.clone(),
                    def: w.clone(),
                },
            ),
            Some(h) if h != w => p.push(
                Change::new(Action::Update, "integration", key)
                    .fields(diff_fields(Some(&h.shown()), Some(&w.shown()))),
                HttpOp::UpdateIntegration {
                    key: key.clone(),
                    def: w.clone(),
                    removed_parameters: h
                        .request_parameters
                        .keys()
                        .filter(|k| !w.request_parameters.contains_key(*k))
                        .cloned()
                        .collect(),
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
                HttpOp::CreateRoute {
                    route_key: key.clone(),
                    def: w.clone(),
                },
            ),
            Some(h) if h != w => p.push(
                Change::new(Action::Update, "route", key).fields(diff_fields(Some(h), Some(w))),
                HttpOp::UpdateRoute {
                    route_key: key.clone(),
                    def: w.clone(),
                },
            ),
            Some(_) => {}
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
                        HttpOp::DeleteRouteSettings {
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
            HttpOp::DeleteRoute {
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
            HttpOp::DeleteIntegration { key: key.clone() },
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
            HttpOp::DeleteAuthorizer { name: name.clone() },
        );
    }

    // 5. Lambda permissions.
    let api_id = observed.map(|o| o.id.as_str());
    let authorizer_ids = observed
        .map(|o| o.authorizer_ids.clone())
        .unwrap_or_default();
    for (change, ops) in permission_changes(&desired.permissions, policies, api_id, &authorizer_ids)
    {
        p.push_all(change, ops.into_iter().map(HttpOp::from).collect());
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
            HttpOp::AddPermission { .. } | HttpOp::RemovePermission { .. }
        )
    });
    let reason = deployment_reason(api_changed);
    let adopted = observed.map(|o| {
        let mut o = o.clone();
        for d in o.deployments.values_mut() {
            if hand_deployment_serves(d.description.as_deref(), opts, api_changed) {
                d.description = Some(mark.clone());
            }
        }
        o
    });
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
pub fn plan_destroy(observed: &ObservedHttpApi, policies: &Policies) -> HttpPlan {
    let id = observed.id.clone();
    let name = &observed.config.name;
    super::permissions::plan_destroy(
        &id,
        name,
        "http_api",
        policies,
        HttpOp::DeleteApi { id: id.clone() },
    )
}

fn plan_api(p: &mut HttpPlan, want: &HttpApi, have: &HttpApi, prune: bool) {
    let mut fields = Vec::new();
    let mut description = None;
    let mut disable = None;
    let mut cors = None;
    if want.description != have.description {
        description = Some(want.description.clone().unwrap_or_default());
        fields.push(FieldChange::of(
            "description",
            &have.description,
            &want.description,
        ));
    }
    if want.disable_execute_api_endpoint != have.disable_execute_api_endpoint {
        disable = Some(want.disable_execute_api_endpoint);
        fields.push(FieldChange::of(
            "disable_execute_api_endpoint",
            &have.disable_execute_api_endpoint,
            &want.disable_execute_api_endpoint,
        ));
    }
    if want.cors.is_some() && want.cors != have.cors {
        cors = want.cors.clone();
        fields.extend(
            diff_fields(have.cors.as_ref(), want.cors.as_ref())
                .into_iter()
                .map(|f| FieldChange {
                    field: format!("cors.{}", f.field),
                    ..f
                }),
        );
    }
    if !fields.is_empty() {
        p.push(
            Change::new(Action::Update, "http_api", &want.name).fields(fields),
            HttpOp::UpdateApi {
                description,
                disable_execute_api_endpoint: disable,
                cors,
            },
        );
    }
    if want.cors.is_none() && have.cors.is_some() {
        p.remove_extra(
            prune,
            Change::new(Action::Delete, "cors", &want.name),
            HttpOp::DeleteCorsConfiguration,
        );
    }
}

#[cfg(test)]
mod tests;
