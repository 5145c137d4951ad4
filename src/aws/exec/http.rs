//! The HTTP API executor: runs a plan's [`HttpOp`]s against the account (one at a time, or
//! concurrently in the order [`crate::plan::http::deps`] allows), learning the ids create
//! calls return (API, integrations, routes, authorizers, deployment).
//!
//! Routes name integrations by target key and authorizers by name; the executor sends the
//! ids (`integrations/{id}`, `AuthorizerId`). What counts as done when an op is re-run after
//! a lost answer (as in [`super::rest`]): a delete answered NotFound; create-route,
//! create-authorizer and create-stage answered ConflictException adopt the object of that key
//! or name (real AWS refuses duplicates; the emulator accepts them, which the reader then
//! shows as duplicates for the next plan to delete); a stage adopted that way is still given
//! the op's settings and deployment; the transport hands those conflicts straight back
//! ([`crate::aws::pace::conflict_means_exists`]), and when the lookup finds nothing the
//! conflict was a concurrent modification and the create is tried again after a backoff
//! ([`super::retry_while_busy`]); add-permission as in `exec`. A create that got no
//! answer is looked for before it is sent again ([`crate::aws::recover`]).
//! Errors are classified by code, never by message text.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_apigatewayv2::types as v2;

use super::domains::CreatedTargets;
use super::v2::{
    answered_id, api, apply_stage_op, create_or_adopt, id_of, keep, route_ids_of, AdoptKind,
    SdkRouteSetting,
};
use super::{
    deleted, fill_placeholders, hash_map, lambda::permission_call, run_concurrent, ExecEvent,
    ExecFailure, ExecReport, ForkExecutor, OpExecutor, OpOutcome,
};
use crate::aws::error::{classify, AwsError};
use crate::aws::recover::{create_or_find, Identity, Made};
use crate::aws::Clients;
use crate::plan::http::deps;
use crate::plan::http::ops::HttpOp;
use crate::plan::v2::V2Op;
use crate::state::http::{Authorizer, Cors, Integration, ObservedHttpApi, Route, RouteSetting};

/// Runs ops against one HTTP API.
pub struct HttpExecutor<'c> {
    clients: &'c Clients,
    /// The API's id: `Some` for an existing API, set by `CreateApi`.
    pub api_id: Option<String>,
    /// Target key -> integration id.
    pub integration_ids: BTreeMap<String, String>,
    /// Route key -> route id.
    pub route_ids: BTreeMap<String, String>,
    /// Authorizer name -> id.
    pub authorizer_ids: BTreeMap<String, String>,
    /// The deployment created in this run.
    pub deployment_id: Option<String>,
    /// Domain name -> DNS target, as the domains' create answers in this run gave them.
    pub domain_targets: CreatedTargets,
}

fn v2_cors(c: &Cors) -> v2::Cors {
    let list = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
    v2::Cors::builder()
        .set_allow_origins(list(&c.allow_origins))
        .set_allow_methods(list(&c.allow_methods))
        .set_allow_headers(list(&c.allow_headers))
        .set_expose_headers(list(&c.expose_headers))
        .set_max_age(c.max_age)
        .allow_credentials(c.allow_credentials)
        .build()
}

fn jwt(a: &Authorizer) -> Option<v2::JwtConfiguration> {
    (a.kind == "JWT").then(|| {
        v2::JwtConfiguration::builder()
            .set_issuer(a.issuer.clone())
            .set_audience(Some(a.audience.clone()))
            .build()
    })
}

impl SdkRouteSetting for RouteSetting {
    fn sdk(&self) -> v2::RouteSettings {
        v2::RouteSettings::builder()
            .set_detailed_metrics_enabled(self.metrics)
            .set_throttling_rate_limit(self.throttle_rate)
            .set_throttling_burst_limit(self.throttle_burst)
            .build()
    }
}

/// Delete the object `$key` names (its id from `$self.$ids`) with `$call`, then forget it.
macro_rules! delete_by_id {
    ($self:ident, $op:ident, $call:ident, $setter:ident, $what:literal, $ids:ident, $key:expr) => {{
        let id = Self::id_of($op, $what, &$self.$ids, $key)?;
        let res = $self
            .clients
            .apigw2
            .$call()
            .api_id($self.api($op)?)
            .$setter(id)
            .send()
            .await;
        let outcome = deleted($op, res)?;
        $self.$ids.remove($key);
        Ok(outcome)
    }};
}

impl<'c> HttpExecutor<'c> {
    /// An executor for an API that does not exist yet (the plan starts with `CreateApi`).
    pub fn new(clients: &'c Clients) -> Self {
        HttpExecutor {
            clients,
            api_id: None,
            integration_ids: BTreeMap::new(),
            route_ids: BTreeMap::new(),
            authorizer_ids: BTreeMap::new(),
            deployment_id: None,
            domain_targets: CreatedTargets::new(),
        }
    }

    /// An executor for an existing API, seeded with the ids read from it.
    pub fn for_api(clients: &'c Clients, observed: &ObservedHttpApi) -> Self {
        HttpExecutor {
            clients,
            api_id: Some(observed.id.clone()),
            integration_ids: observed.integration_ids.clone(),
            route_ids: observed.route_ids.clone(),
            authorizer_ids: observed.authorizer_ids.clone(),
            deployment_id: None,
            domain_targets: CreatedTargets::new(),
        }
    }

    /// Run `ops` in order; stop at the first failure.
    pub async fn run(
        &mut self,
        ops: &[HttpOp],
        on_event: &mut dyn FnMut(ExecEvent<HttpOp>),
    ) -> Result<ExecReport, ExecFailure> {
        self.run_with(ops, on_event, 1).await
    }

    /// Run `ops` with up to `max_in_flight` at once, each as soon as the ops it depends on
    /// ([`crate::plan::http::deps`]) have finished (see [`super::run_concurrent`]).
    pub async fn run_with(
        &mut self,
        ops: &[HttpOp],
        on_event: &mut dyn FnMut(ExecEvent<HttpOp>),
        max_in_flight: usize,
    ) -> Result<ExecReport, ExecFailure> {
        run_concurrent(
            self,
            ops,
            deps::scheduler(ops),
            deps::changes_ids,
            on_event,
            max_in_flight,
        )
        .await
    }

    fn api(&self, op: &str) -> Result<String, AwsError> {
        api(op, &self.api_id)
    }

    fn id_of(
        op: &str,
        what: &str,
        ids: &BTreeMap<String, String>,
        key: &str,
    ) -> Result<String, AwsError> {
        id_of(op, what, ids, key)
    }

    fn fill(&self, op: &str, s: &str) -> Result<String, AwsError> {
        fill_placeholders(
            op,
            s,
            self.api_id.as_deref(),
            self.deployment_id.as_deref(),
            &self.authorizer_ids,
        )
    }

    /// A route's target and authorizer as ids.
    fn route_ids_of(
        &self,
        op: &str,
        def: &Route,
    ) -> Result<(Option<String>, Option<String>), AwsError> {
        route_ids_of(
            op,
            &self.integration_ids,
            &self.authorizer_ids,
            &def.target,
            &def.authorizer,
        )
    }

    /// Apply one op (see the module documentation for what counts as done).
    pub async fn apply_one(&mut self, op: &HttpOp) -> Result<OpOutcome, AwsError> {
        let name = op.aws_name();
        let gw = &self.clients.apigw2;
        match op {
            HttpOp::CreateApi {
                name: api_name,
                description,
                disable_execute_api_endpoint,
                cors,
                tags,
            } => {
                let req = gw
                    .create_api()
                    .name(api_name)
                    .protocol_type(v2::ProtocolType::Http)
                    .set_description(description.clone())
                    .set_disable_execute_api_endpoint(disable_execute_api_endpoint.then_some(true))
                    .set_cors_configuration(cors.as_ref().map(v2_cors))
                    .set_tags(hash_map(tags));
                // No answer: look for the API (name and tags) before creating it again.
                let identity = Identity::HttpApi {
                    name: api_name,
                    tags,
                };
                let made = create_or_find(self.clients, identity, || {
                    let r = req.clone();
                    async move { r.send().await.map_err(|e| classify(name, e)) }
                })
                .await?;
                let (id, outcome): (String, fn(String) -> OpOutcome) = match made {
                    Made::Created(out) => (answered_id(name, "API", out.api_id())?, |id| {
                        OpOutcome::Created { id }
                    }),
                    Made::Adopted(id) => (id, |id| OpOutcome::Adopted { id }),
                };
                self.api_id = Some(id.clone());
                self.integration_ids.clear();
                self.route_ids.clear();
                self.authorizer_ids.clear();
                Ok(outcome(id))
            }
            HttpOp::UpdateApi {
                description,
                disable_execute_api_endpoint,
                cors,
            } => {
                gw.update_api()
                    .api_id(self.api(name)?)
                    .set_description(description.clone())
                    .set_disable_execute_api_endpoint(*disable_execute_api_endpoint)
                    .set_cors_configuration(cors.as_ref().map(v2_cors))
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
            HttpOp::DeleteCorsConfiguration => {
                let res = gw
                    .delete_cors_configuration()
                    .api_id(self.api(name)?)
                    .send()
                    .await;
                deleted(name, res)
            }
            HttpOp::CreateAuthorizer {
                name: auth_name,
                def,
            } => {
                let api = self.api(name)?;
                let req = gw
                    .create_authorizer()
                    .api_id(&api)
                    .name(auth_name)
                    .authorizer_type(v2::AuthorizerType::from(def.kind.as_str()))
                    .set_identity_source(Some(def.identity_source.clone()))
                    .set_jwt_configuration(jwt(def))
                    .set_authorizer_uri(def.authorizer_uri.clone())
                    .set_authorizer_payload_format_version(def.payload_format_version.clone())
                    .set_authorizer_result_ttl_in_seconds(def.ttl_seconds)
                    .set_enable_simple_responses(def.simple_responses);
                // No answer: look for the authorizer (by name) before creating it again.
                let identity = Identity::HttpAuthorizer {
                    api: &api,
                    name: auth_name,
                };
                let res = create_or_adopt(
                    self.clients,
                    name,
                    AdoptKind::Authorizer.what(),
                    identity,
                    || {
                        let r = req.clone();
                        async move {
                            r.send()
                                .await
                                .map(|o| o.authorizer_id().map(str::to_string))
                                .map_err(|e| classify(name, e))
                        }
                    },
                )
                .await?;
                Ok(self.record(AdoptKind::Authorizer, auth_name, res))
            }
            HttpOp::UpdateAuthorizer {
                name: auth_name,
                def,
            } => {
                gw.update_authorizer()
                    .api_id(self.api(name)?)
                    .authorizer_id(Self::id_of(
                        name,
                        "authorizer",
                        &self.authorizer_ids,
                        auth_name,
                    )?)
                    .authorizer_type(v2::AuthorizerType::from(def.kind.as_str()))
                    .set_identity_source(Some(def.identity_source.clone()))
                    .set_jwt_configuration(jwt(def))
                    .set_authorizer_uri(def.authorizer_uri.clone())
                    .set_authorizer_payload_format_version(def.payload_format_version.clone())
                    .set_authorizer_result_ttl_in_seconds(def.ttl_seconds)
                    .set_enable_simple_responses(def.simple_responses)
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
            HttpOp::DeleteAuthorizer { name: auth_name } => delete_by_id!(
                self,
                name,
                delete_authorizer,
                authorizer_id,
                "authorizer",
                authorizer_ids,
                auth_name
            ),
            HttpOp::CreateIntegration { key, def } => {
                let api = self.api(name)?;
                let req = integration_request(gw.create_integration().api_id(&api), def);
                // No answer: look for an integration with this configuration that is not
                // already known, before creating it again.
                let known = self.integration_ids.values().cloned().collect();
                let identity = Identity::Integration {
                    api: &api,
                    def,
                    known: &known,
                };
                let made = create_or_find(self.clients, identity, || {
                    let r = req.clone();
                    async move { r.send().await.map_err(|e| classify(name, e)) }
                })
                .await?;
                let (id, outcome): (String, fn(String) -> OpOutcome) = match made {
                    Made::Created(out) => (
                        answered_id(name, "integration", out.integration_id())?,
                        |id| OpOutcome::Created { id },
                    ),
                    Made::Adopted(id) => (id, |id| OpOutcome::Adopted { id }),
                };
                self.integration_ids.insert(key.clone(), id.clone());
                Ok(outcome(id))
            }
            HttpOp::UpdateIntegration {
                key,
                def,
                removed_parameters,
            } => {
                let mut params: HashMap<String, String> = removed_parameters
                    .iter()
                    .map(|k| (k.clone(), String::new()))
                    .collect();
                params.extend(def.request_parameters.clone());
                gw.update_integration()
                    .api_id(self.api(name)?)
                    .integration_id(Self::id_of(
                        name,
                        "integration",
                        &self.integration_ids,
                        key,
                    )?)
                    .integration_type(v2::IntegrationType::from(def.kind.as_str()))
                    .integration_uri(&def.uri)
                    .set_integration_method(def.method.clone())
                    .set_payload_format_version(def.payload_format_version.clone())
                    .timeout_in_millis(
                        def.timeout_ms
                            .unwrap_or(crate::state::http::DEFAULT_TIMEOUT_MS),
                    )
                    .set_request_parameters((!params.is_empty()).then_some(params))
                    .set_credentials_arn(def.credentials_arn.clone())
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
            HttpOp::DeleteIntegration { key } => delete_by_id!(
                self,
                name,
                delete_integration,
                integration_id,
                "integration",
                integration_ids,
                key
            ),
            HttpOp::CreateRoute { route_key, def } => {
                let api = self.api(name)?;
                let (target, authorizer) = self.route_ids_of(name, def)?;
                let req = gw
                    .create_route()
                    .api_id(&api)
                    .route_key(route_key)
                    .set_target(target)
                    .authorization_type(v2::AuthorizationType::from(
                        def.authorization_type.as_str(),
                    ))
                    .set_authorizer_id(authorizer)
                    .set_authorization_scopes(
                        (!def.authorization_scopes.is_empty())
                            .then(|| def.authorization_scopes.clone()),
                    );
                // No answer: look for the route (by route key) before creating it again.
                let identity = Identity::Route {
                    api: &api,
                    route_key,
                };
                let res = create_or_adopt(
                    self.clients,
                    name,
                    AdoptKind::Route.what(),
                    identity,
                    || {
                        let r = req.clone();
                        async move {
                            r.send()
                                .await
                                .map(|o| o.route_id().map(str::to_string))
                                .map_err(|e| classify(name, e))
                        }
                    },
                )
                .await?;
                Ok(self.record(AdoptKind::Route, route_key, res))
            }
            HttpOp::UpdateRoute { route_key, def } => {
                let (target, authorizer) = self.route_ids_of(name, def)?;
                gw.update_route()
                    .api_id(self.api(name)?)
                    .route_id(Self::id_of(name, "route", &self.route_ids, route_key)?)
                    .set_target(target)
                    .authorization_type(v2::AuthorizationType::from(
                        def.authorization_type.as_str(),
                    ))
                    // An empty id detaches a route from its former authorizer.
                    .authorizer_id(authorizer.unwrap_or_default())
                    .set_authorization_scopes(Some(def.authorization_scopes.clone()))
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
            HttpOp::DeleteRoute { route_key } => delete_by_id!(
                self,
                name,
                delete_route,
                route_id,
                "route",
                route_ids,
                route_key
            ),
            HttpOp::AddPermission { .. } | HttpOp::RemovePermission { .. } => {
                let perm = op.permission().expect("a permission op");
                permission_call(self.clients, name, perm, |s| self.fill(name, s)).await
            }
            HttpOp::CreateDeployment { .. }
            | HttpOp::CreateStage { .. }
            | HttpOp::UpdateStage { .. }
            | HttpOp::DeleteRouteSettings { .. } => {
                let stage_op = op.stage_op().expect("a stage op");
                apply_stage_op(
                    self.clients,
                    name,
                    &self.api_id,
                    &mut self.deployment_id,
                    stage_op,
                )
                .await
            }
            HttpOp::Domain(d) => {
                crate::aws::exec::domains::apply_domain_with(
                    self.clients,
                    crate::aws::read::domains::DomainApi::Http,
                    self.api_id.as_deref(),
                    d,
                    &mut self.domain_targets,
                )
                .await
            }
            HttpOp::DeleteApi { id } => {
                let res = gw.delete_api().api_id(id).send().await;
                let outcome = deleted(name, res)?;
                self.integration_ids.clear();
                self.route_ids.clear();
                self.authorizer_ids.clear();
                Ok(outcome)
            }
        }
    }

    /// Record the id of the route / authorizer `key` that [`create_or_adopt`] created or
    /// adopted; its outcome.
    fn record(
        &mut self,
        kind: AdoptKind,
        key: &str,
        (id, outcome): (String, OpOutcome),
    ) -> OpOutcome {
        let ids = match kind {
            AdoptKind::Route => &mut self.route_ids,
            AdoptKind::Authorizer => &mut self.authorizer_ids,
        };
        ids.insert(key.to_string(), id);
        outcome
    }
}

fn integration_request(
    b: aws_sdk_apigatewayv2::operation::create_integration::builders::CreateIntegrationFluentBuilder,
    def: &Integration,
) -> aws_sdk_apigatewayv2::operation::create_integration::builders::CreateIntegrationFluentBuilder {
    b.integration_type(v2::IntegrationType::from(def.kind.as_str()))
        .integration_uri(&def.uri)
        .set_integration_method(def.method.clone())
        .set_payload_format_version(def.payload_format_version.clone())
        .set_timeout_in_millis(def.timeout_ms)
        .set_request_parameters(hash_map(&def.request_parameters))
        .set_credentials_arn(def.credentials_arn.clone())
}

impl ForkExecutor for HttpExecutor<'_> {
    fn fork(&self) -> Self {
        HttpExecutor {
            clients: self.clients,
            api_id: self.api_id.clone(),
            integration_ids: self.integration_ids.clone(),
            route_ids: self.route_ids.clone(),
            authorizer_ids: self.authorizer_ids.clone(),
            deployment_id: self.deployment_id.clone(),
            domain_targets: self.domain_targets.clone(),
        }
    }

    /// Objects inside the API are created and deleted concurrently: each copy hands back
    /// the one id its op learned or dropped (routes start only after the integration and
    /// authorizer they use finished, so they see those ids). The API, the deployment and
    /// the stages are barriers: nothing else is in flight, and their copy becomes the state.
    fn merge(&mut self, fork: Self, op: &HttpOp, _exclusive: bool) {
        use HttpOp::*;
        match op {
            CreateIntegration { key, .. }
            | UpdateIntegration { key, .. }
            | DeleteIntegration { key } => {
                keep(&mut self.integration_ids, &fork.integration_ids, key)
            }
            CreateAuthorizer { name, .. }
            | UpdateAuthorizer { name, .. }
            | DeleteAuthorizer { name } => {
                keep(&mut self.authorizer_ids, &fork.authorizer_ids, name)
            }
            CreateRoute { route_key, .. }
            | UpdateRoute { route_key, .. }
            | DeleteRoute { route_key } => keep(&mut self.route_ids, &fork.route_ids, route_key),
            AddPermission { .. } | RemovePermission { .. } => {}
            _ => *self = fork,
        }
    }
}

impl OpExecutor for HttpExecutor<'_> {
    type Op = HttpOp;
    async fn apply(&mut self, op: &HttpOp) -> Result<OpOutcome, AwsError> {
        self.apply_one(op).await
    }
    fn current_api_id(&self) -> Option<String> {
        self.api_id.clone()
    }
    fn current_deployment_id(&self) -> Option<String> {
        self.deployment_id.clone()
    }
}
