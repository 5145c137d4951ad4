//! From a validated spec (plus the functions it references, resolved) to the desired REST
//! configuration, in exactly the shapes the reader produces for the observed side.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::plan::desired::{hex, lambda_uri, owner_tags, Undeclared};
use crate::spec::model::{
    AuthRef, AuthorizerKind, IntegrationDef, IntegrationKind, RouteDef, Spec,
};
use crate::state::rest::{
    AccessLog, Authorizer, Canary, GatewayResponse, Integration, IntegrationResponse, Method,
    MethodResponse, MethodSetting, ObservedRestApi, Resource, RestApi, Stage,
};
use crate::state::{resource_policy, ResolvedFunction, DEPLOYMENT_MARK};

/// Invoke permissions (their scope and statement ids) are planned in [`crate::plan::permissions`].
pub use crate::plan::permissions::DesiredPermission;
pub(crate) use crate::plan::permissions::{add_api_permission, add_authorizer_permission};

/// Everything the planner needs to know about what the spec wants on a REST API.
#[derive(Debug, Clone)]
pub struct DesiredRest {
    pub config: RestApi,
    /// User tags plus gwctl's ownership tag.
    pub tags: BTreeMap<String, String>,
    /// Stage name -> settings. `None` fields are not managed.
    pub stages: BTreeMap<String, Stage>,
    pub permissions: Vec<DesiredPermission>,
    /// The settings the spec leaves out, which keep their live values.
    pub undeclared: Undeclared,
    /// The region (the resource policy's `execute-api:/` shorthand stands for this
    /// region's ARN of the API).
    pub region: String,
}

impl DesiredRest {
    /// The desired state with every setting the spec leaves out set to its live value
    /// (`observed`; unchanged when the API does not exist yet, so a new API gets AWS's
    /// defaults). The planner diffs this, so it never changes an undeclared setting, and the
    /// plan shows the value the API will really have. Idempotent.
    pub fn keep_undeclared(&self, observed: Option<&ObservedRestApi>) -> DesiredRest {
        let mut d = self.clone();
        let Some(o) = observed else {
            return d;
        };
        let u = &self.undeclared;
        if u.description {
            d.config.description = o.config.description.clone();
        }
        if u.api_key_source {
            d.config.api_key_source = o.config.api_key_source.clone();
        }
        if u.binary_media_types {
            d.config.binary_media_types = o.config.binary_media_types.clone();
        }
        if u.endpoint_type {
            d.config.endpoint_type = o.config.endpoint_type.clone();
        }
        if u.vpc_endpoint_ids {
            d.config.vpc_endpoint_ids = o.config.vpc_endpoint_ids.clone();
        }
        if u.policy {
            d.config.policy = o.config.policy.clone();
        } else if let Some(p) = &d.config.policy {
            // The API's own ARN is the shorthand (both sides, see state::resource_policy).
            d.config.policy = Some(resource_policy::normalise(p, Some(&o.id), &self.region));
        }
        for (name, st) in d.stages.iter_mut() {
            if let (true, Some(h)) = (u.stage_variables.contains(name), o.stages.get(name)) {
                st.variables = h.settings.variables.clone();
            }
        }
        for (path, res) in d.config.resources.iter_mut() {
            for (verb, want) in res.methods.iter_mut() {
                let (Some(m), Some(have)) = (
                    u.methods.get(&format!("{path} {verb}")),
                    o.config
                        .resources
                        .get(path)
                        .and_then(|r| r.methods.get(verb)),
                ) else {
                    continue;
                };
                if m.api_key_required {
                    want.api_key_required = have.api_key_required;
                }
                if m.request {
                    super::models::keep_undeclared_request(want, have, o);
                }
                // Integration settings only carry over to an integration of the same type.
                let (Some(wi), Some(hi)) = (want.integration.as_mut(), have.integration.as_ref())
                else {
                    continue;
                };
                if wi.kind != hi.kind {
                    continue;
                }
                if m.timeout {
                    wi.timeout_ms = hi.timeout_ms;
                }
                if m.passthrough_behavior {
                    wi.passthrough_behavior = hi.passthrough_behavior.clone();
                }
                if m.content_handling {
                    wi.content_handling = hi.content_handling.clone();
                }
                if m.cache_key_parameters {
                    wi.cache_key_parameters = hi.cache_key_parameters.clone();
                }
            }
        }
        // Preflights and gateway responses made elsewhere that `cors:` would only respell.
        super::cors::adopt_equivalent(&mut d.config, &o.config);
        d
    }
}

/// What a deployment snapshots: everything but the API's own attributes (name,
/// description, endpoint type), which a deployment does not capture.
#[derive(serde::Serialize)]
struct Deployable<'a> {
    resources: &'a BTreeMap<String, crate::state::rest::Resource>,
    authorizers: &'a BTreeMap<String, Authorizer>,
    gateway_responses: &'a BTreeMap<String, GatewayResponse>,
    binary_media_types: &'a Vec<String>,
    api_key_source: &'a Option<String>,
    /// A changed resource policy takes effect with the next deployment. Left out when there
    /// is none, so the mark of an API without a policy is what earlier gwctl wrote.
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: &'a Option<serde_json::Value>,
    /// The models the spec declares (deployed with the API: a changed schema validates
    /// only after a deployment). Left out when there are none, so the mark of an API without
    /// models is what earlier gwctl wrote.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    models: &'a BTreeMap<String, crate::state::rest::Model>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    request_validators: &'a BTreeMap<String, crate::state::rest::RequestValidator>,
}

/// `gwctl:config=<sha256>` of what a deployment of `config` snapshots: written as the
/// description of every deployment gwctl creates, and compared with what a stage serves
/// to decide whether a deployment is needed (`apply` and `deploy` alike).
pub fn config_mark(config: &RestApi) -> String {
    mark_with(config, &config.policy)
}

/// [`config_mark`] of `config` with `policy` as its resource policy.
fn mark_with(config: &RestApi, policy: &Option<serde_json::Value>) -> String {
    let d = Deployable {
        resources: &config.resources,
        authorizers: &config.authorizers,
        gateway_responses: &config.gateway_responses,
        binary_media_types: &config.binary_media_types,
        api_key_source: &config.api_key_source,
        policy,
        models: &config.models,
        request_validators: &config.request_validators,
    };
    let canonical = serde_json::to_vec(&d).expect("config serialises");
    format!(
        "{DEPLOYMENT_MARK}{}",
        &hex(&Sha256::digest(&canonical))[..32]
    )
}

/// Whether the spec declares the resource policy, for [`marks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyMark {
    /// `api.policy` is in the spec: the policy is part of what a stage must serve.
    Declared,
    /// The spec leaves the policy alone (a policy set by hand keeps its live value): it is
    /// not hashed, so a policy set by hand never makes gwctl deploy.
    Undeclared,
    /// No spec (`deploy`, `show` and `cors` given `--api`/`--api-id`): either mark serves.
    Unknown,
}

/// The mark a new deployment of `config` carries, and another mark a stage may carry and
/// still serve `config` ([`with_alias`]). The resource policy is hashed only when the spec
/// declares it: a REST API whose policy was set by hand, with no `policy:` in the spec, is
/// marked as earlier gwctl marked it, so upgrading deploys nothing. Without a spec a
/// deployment is marked with the live policy, and both marks serve.
pub fn marks(config: &RestApi, policy: PolicyMark) -> (String, Option<String>) {
    let full = config_mark(config);
    if config.policy.is_none() {
        return (full, None);
    }
    let bare = mark_with(config, &None);
    match policy {
        PolicyMark::Declared => (full, None),
        PolicyMark::Undeclared => (bare, Some(full)),
        PolicyMark::Unknown => (full, Some(bare)),
    }
}

/// [`PolicyMark`] of a spec (`None`: no spec).
pub fn policy_mark(spec: Option<&Spec>) -> PolicyMark {
    match spec {
        Some(s) if s.api.policy.is_some() => PolicyMark::Declared,
        Some(_) => PolicyMark::Undeclared,
        None => PolicyMark::Unknown,
    }
}

/// `api` with every deployment marked `alias` taken to carry `mark` (only the copy: used to
/// decide which stages serve `mark`, never written).
pub fn with_alias(api: &ObservedRestApi, mark: &str, alias: Option<&str>) -> ObservedRestApi {
    let mut api = api.clone();
    if let Some(alias) = alias {
        for d in api.deployments.values_mut() {
            if crate::plan::deployment_serves(d.description.as_deref(), alias) {
                d.description = Some(mark.to_string());
            }
        }
    }
    api
}

/// All prefixes of a path, parents first: `/a/{b}` -> [`/a`, `/a/{b}`] (the root is implied).
pub fn path_prefixes(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        cur.push('/');
        cur.push_str(seg);
        out.push(cur.clone());
    }
    out
}

/// Parent path and last segment of a resource path (`/a/b` -> (`/a`, `b`), `/a` -> (`/`, `a`)).
pub fn split_parent(path: &str) -> (String, String) {
    match path.rfind('/') {
        Some(0) => ("/".to_string(), path[1..].to_string()),
        Some(i) => (path[..i].to_string(), path[i + 1..].to_string()),
        None => ("/".to_string(), path.to_string()),
    }
}

/// Build the desired REST configuration.
pub fn rest(spec: &Spec, functions: &[ResolvedFunction], region: &str) -> DesiredRest {
    let func = |key: &str| functions.iter().find(|f| f.key == key);
    let mut config = RestApi {
        name: spec.api.name.value.clone(),
        description: spec.api.description.clone(),
        endpoint_type: spec.api.endpoint.as_aws().to_string(),
        binary_media_types: spec.api.binary_media_types.clone().unwrap_or_default(),
        api_key_source: spec.api.api_key_source.clone(),
        policy: spec
            .api
            .policy
            .as_ref()
            .map(|p| resource_policy::normalise(p, None, region)),
        vpc_endpoint_ids: {
            let mut ids = spec.api.vpc_endpoint_ids.clone().unwrap_or_default();
            ids.sort();
            ids
        },
        ..Default::default()
    };
    config.resources.insert("/".into(), Resource::default());

    // Authorizers.
    let mut permissions: BTreeMap<String, DesiredPermission> = BTreeMap::new();
    for a in &spec.authorizers {
        let name = a.name.value.clone();
        let def = match &a.kind {
            AuthorizerKind::Token {
                function,
                identity_source,
                validation_expression,
                ttl_seconds,
            } => {
                let f = func(function);
                if let Some(f) = f {
                    add_authorizer_permission(&mut permissions, f, &name, region);
                }
                Authorizer {
                    kind: "TOKEN".into(),
                    authorizer_uri: f.map(|f| lambda_uri(region, &f.invoke_arn())),
                    identity_source: Some(identity_source.clone()),
                    identity_validation_expression: validation_expression.clone(),
                    ttl_seconds: Some(*ttl_seconds as i32),
                    provider_arns: vec![],
                }
            }
            AuthorizerKind::Request {
                function,
                identity_sources,
                ttl_seconds,
                ..
            } => {
                let f = func(function);
                if let Some(f) = f {
                    add_authorizer_permission(&mut permissions, f, &name, region);
                }
                Authorizer {
                    kind: "REQUEST".into(),
                    authorizer_uri: f.map(|f| lambda_uri(region, &f.invoke_arn())),
                    identity_source: (!identity_sources.is_empty())
                        .then(|| identity_sources.join(", ")),
                    identity_validation_expression: None,
                    ttl_seconds: Some(*ttl_seconds as i32),
                    provider_arns: vec![],
                }
            }
            AuthorizerKind::Cognito {
                user_pool_arns,
                identity_source,
            } => Authorizer {
                kind: "COGNITO_USER_POOLS".into(),
                authorizer_uri: None,
                identity_source: Some(identity_source.clone()),
                identity_validation_expression: None,
                // The spec has no TTL for user pools; AWS applies (and returns) 300 when none
                // is sent, so gwctl sends and expects exactly that.
                ttl_seconds: Some(crate::state::rest::DEFAULT_AUTHORIZER_TTL),
                provider_arns: user_pool_arns.iter().map(|a| a.value.clone()).collect(),
            },
            // JWT authorizers exist only on HTTP APIs (validation rejects them on REST).
            AuthorizerKind::Jwt { .. } => continue,
        };
        config.authorizers.insert(name, def);
    }

    // Routes.
    for route in &spec.routes {
        for p in path_prefixes(&route.path) {
            config.resources.entry(p).or_default();
        }
        let method = route_method(spec, route, &func, region, &mut permissions);
        config
            .resources
            .entry(route.path.value.clone())
            .or_default()
            .methods
            .insert(route.method.as_str().to_string(), method);
    }

    // CORS: an unauthenticated MOCK OPTIONS on every resource that has routes, and the
    // gateway's own 4XX/5XX responses carrying the same headers (see `plan::cors`).
    if let Some(cors) = &spec.cors {
        super::cors::add_to(&mut config, cors);
    }
    super::models::add_to(&mut config, spec);
    config.normalize();
    let tags = owner_tags(spec);

    let stages = spec
        .stages
        .iter()
        .map(|s| {
            let mut st = Stage {
                description: s.description.clone(),
                variables: s.variables.clone().unwrap_or_default(),
                tracing_enabled: s.tracing,
                access_log: s.access_log.as_ref().map(|a| AccessLog {
                    destination_arn: a.destination_arn.value.clone(),
                    format: a.format.clone(),
                }),
                ..Default::default()
            };
            let mut all = MethodSetting {
                logging_level: s.logging.map(|l| l.as_aws().to_string()),
                data_trace: s.data_trace,
                metrics: s.metrics,
                throttle_rate: s.throttle.map(|t| t.rate),
                throttle_burst: s.throttle.map(|t| t.burst),
                ..Default::default()
            };
            st.canary = s.canary.as_ref().map(|c| Canary {
                deployment_id: None,
                percent: c.percent,
                variables: c.variables.clone(),
            });
            if let Some(c) = &s.cache {
                st.cache_cluster_enabled = Some(c.enabled);
                st.cache_cluster_size = c.size.clone();
                all.caching_enabled = Some(c.enabled);
                all.cache_ttl = c.ttl.map(|t| t as i32);
                all.cache_encrypted = c.encrypted;
            }
            if all != MethodSetting::default() {
                st.method_settings.insert("*/*".into(), all);
            }
            let cached_stage = s.cache.as_ref().is_some_and(|c| c.enabled);
            for r in &spec.routes {
                let mut setting = MethodSetting::default();
                if let Some(t) = r.throttle {
                    setting.throttle_rate = Some(t.rate);
                    setting.throttle_burst = Some(t.burst);
                }
                // A route's cache is set on the stages that have one (validation refuses a
                // route cache when no stage has one).
                if let (Some(c), true) = (&r.cache, cached_stage) {
                    setting.caching_enabled = Some(c.enabled);
                    setting.cache_ttl = c.ttl.map(|t| t as i32);
                }
                if setting != MethodSetting::default() {
                    st.method_settings
                        .insert(format!("{}/{}", r.path.value, r.method.as_str()), setting);
                }
            }
            (s.name.value.clone(), st)
        })
        .collect();

    DesiredRest {
        config,
        tags,
        stages,
        permissions: permissions.into_values().collect(),
        undeclared: Undeclared::of(spec),
        region: region.to_string(),
    }
}

fn route_method<'a>(
    spec: &Spec,
    route: &RouteDef,
    func: &impl Fn(&str) -> Option<&'a ResolvedFunction>,
    region: &str,
    permissions: &mut BTreeMap<String, DesiredPermission>,
) -> Method {
    let (authorization_type, authorizer) = match spec.effective_auth(route) {
        AuthRef::None => ("NONE".to_string(), None),
        AuthRef::Iam => ("AWS_IAM".to_string(), None),
        AuthRef::Authorizer(name) => {
            let kind = match spec.authorizer(&name).map(|a| &a.kind) {
                Some(AuthorizerKind::Cognito { .. }) => "COGNITO_USER_POOLS",
                _ => "CUSTOM",
            };
            (kind.to_string(), Some(name))
        }
    };
    let mut integration = integration(&route.integration, func, region, permissions);
    if let Some(c) = &route.cache {
        integration.cache_key_parameters = c.key_parameters.clone();
    }
    Method {
        authorization_type,
        authorizer,
        authorization_scopes: route.scopes.clone(),
        api_key_required: route.api_key_required,
        request_parameters: route.request_parameters.clone(),
        method_responses: route
            .method_responses
            .iter()
            .map(|r| {
                (
                    r.status.clone(),
                    MethodResponse {
                        response_models: r.models.clone(),
                        response_parameters: r.parameters.clone(),
                    },
                )
            })
            .collect(),
        integration: Some(integration),
        // Set from the route's `request` by `models::add_to`.
        request_validator: None,
        request_models: BTreeMap::new(),
    }
}

fn integration<'a>(
    def: &IntegrationDef,
    func: &impl Fn(&str) -> Option<&'a ResolvedFunction>,
    region: &str,
    permissions: &mut BTreeMap<String, DesiredPermission>,
) -> Integration {
    let mut lambda = |key: &str| -> Option<String> {
        let f = func(key)?;
        // A role in `credentials` lets API Gateway invoke the function without a
        // resource-policy statement: least privilege means adding none then.
        if def.credentials.is_none() {
            add_api_permission(permissions, f, region);
        }
        Some(lambda_uri(region, &f.invoke_arn()))
    };
    let (kind, http_method, uri) = match &def.kind {
        IntegrationKind::LambdaProxy { function } => {
            ("AWS_PROXY", Some("POST".to_string()), lambda(function))
        }
        IntegrationKind::Lambda { function } => ("AWS", Some("POST".to_string()), lambda(function)),
        IntegrationKind::HttpProxy { uri, http_method } => (
            "HTTP_PROXY",
            Some(http_method.as_str().to_string()),
            Some(uri.value.clone()),
        ),
        IntegrationKind::Http { uri, http_method } => (
            "HTTP",
            Some(http_method.as_str().to_string()),
            Some(uri.value.clone()),
        ),
        IntegrationKind::Mock => ("MOCK", None, None),
    };
    Integration {
        kind: kind.to_string(),
        http_method,
        uri,
        credentials: def.credentials.as_ref().map(|c| c.value.clone()),
        // Empty templates are never written: API Gateway stores "" as null.
        request_templates: def
            .request_templates
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        request_parameters: def.request_parameters.clone(),
        passthrough_behavior: def.passthrough_behavior.clone(),
        content_handling: def.content_handling.clone(),
        timeout_ms: def.timeout_ms.map(|t| t as i32),
        cache_key_parameters: Vec::new(),
        responses: def
            .responses
            .iter()
            .map(|r| {
                (
                    r.status.clone(),
                    IntegrationResponse {
                        selection_pattern: r.selection_pattern.clone(),
                        response_templates: r
                            .templates
                            .iter()
                            .filter(|(_, v)| !v.is_empty())
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                        response_parameters: r.parameters.clone(),
                        content_handling: r.content_handling.clone(),
                    },
                )
            })
            .collect(),
    }
}

/// The velocity template that echoes the request's Origin when it is one of several
/// allowed origins (moved to [`super::cors`]).
pub use super::cors::origin_echo_template;
