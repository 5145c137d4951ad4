//! The WebSocket API executor (the counterpart of [`super::http`]): runs a plan's [`WsOp`]s
//! against the account, one at a time or concurrently in the order
//! [`crate::plan::ws::deps`] allows, learning the ids create calls return (API, integrations,
//! routes, route responses, authorizers, deployment).
//!
//! What counts as done when an op is re-run after a lost answer is as for HTTP APIs: a
//! delete answered NotFound; create-route and create-authorizer answered ConflictException
//! adopt the object of that key or name; create-stage answered ConflictException adopts the
//! stage and still gives it the op's settings; a create that got no answer is looked for
//! before it is sent again ([`crate::aws::recover`]), a route response and an integration
//! response by their key; create-integration-response answered ConflictException adopts the
//! response of that key and gives it the op's settings; create-route-response answered
//! ConflictException adopts the route response of that key. The transport hands those
//! conflicts straight back ([`crate::aws::pace::conflict_means_exists`]); when the lookup
//! finds nothing, the conflict was a concurrent modification and the create is tried again
//! after a backoff ([`super::retry_while_busy`]).
//! Lambda integrations and authorizers are sent as invocation URIs (WebSocket APIs take no
//! bare function ARN). Errors are classified by code, never by message text.

use std::collections::BTreeMap;

use aws_sdk_apigatewayv2::types as v2;

use super::v2::{
    answered_id, api, apply_stage_op, create_or_adopt, id_of, keep, route_ids_of, AdoptKind,
    SdkRouteSetting,
};
use super::{
    deleted, fill_placeholders, hash_map, internal, lambda::permission_call, retry_while_busy,
    run_concurrent, ExecEvent, ExecFailure, ExecReport, ForkExecutor, OpExecutor, OpOutcome,
    Settled,
};
use crate::aws::error::{classify, AwsError, ErrorKind};
use crate::aws::recover::{create_or_find, find, Identity, Made};
use crate::aws::Clients;
use crate::plan::desired::lambda_uri;
use crate::plan::v2::V2Op;
use crate::plan::ws::deps;
use crate::plan::ws::ops::WsOp;
use crate::state::ws::{
    Integration, IntegrationResponse, ObservedWsApi, Route, RouteSetting, DEFAULT_KEY,
};

/// Runs ops against one HTTP API.
pub struct WsExecutor<'c> {
    clients: &'c Clients,
    /// The API's id: `Some` for an existing API, set by `CreateApi`.
    pub api_id: Option<String>,
    /// Target key -> integration id.
    pub integration_ids: BTreeMap<String, String>,
    /// Route key -> route id.
    pub route_ids: BTreeMap<String, String>,
    /// Authorizer name -> id.
    pub authorizer_ids: BTreeMap<String, String>,
    /// Route key -> id of its `$default` route response.
    pub route_response_ids: BTreeMap<String, String>,
    /// Target key -> integration response key -> id.
    pub integration_response_ids: BTreeMap<String, BTreeMap<String, String>>,
    /// The deployment created in this run.
    pub deployment_id: Option<String>,
}

impl SdkRouteSetting for RouteSetting {
    fn sdk(&self) -> v2::RouteSettings {
        v2::RouteSettings::builder()
            .set_logging_level(self.logging_level.as_deref().map(v2::LoggingLevel::from))
            .set_data_trace_enabled(self.data_trace)
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

impl<'c> WsExecutor<'c> {
    /// An executor for an API that does not exist yet (the plan starts with `CreateApi`).
    pub fn new(clients: &'c Clients) -> Self {
        WsExecutor {
            clients,
            api_id: None,
            integration_ids: BTreeMap::new(),
            route_ids: BTreeMap::new(),
            authorizer_ids: BTreeMap::new(),
            route_response_ids: BTreeMap::new(),
            integration_response_ids: BTreeMap::new(),
            deployment_id: None,
        }
    }

    /// An executor for an existing API, seeded with the ids read from it.
    pub fn for_api(clients: &'c Clients, observed: &ObservedWsApi) -> Self {
        WsExecutor {
            clients,
            api_id: Some(observed.id.clone()),
            integration_ids: observed.integration_ids.clone(),
            route_ids: observed.route_ids.clone(),
            authorizer_ids: observed.authorizer_ids.clone(),
            route_response_ids: observed.route_response_ids.clone(),
            integration_response_ids: observed.integration_response_ids.clone(),
            deployment_id: None,
        }
    }

    /// Run `ops` in order; stop at the first failure.
    pub async fn run(
        &mut self,
        ops: &[WsOp],
        on_event: &mut dyn FnMut(ExecEvent<WsOp>),
    ) -> Result<ExecReport, ExecFailure> {
        self.run_with(ops, on_event, 1).await
    }

    /// Run `ops` with up to `max_in_flight` at once, each as soon as the ops it depends on
    /// ([`crate::plan::ws::deps`]) have finished (see [`super::run_concurrent`]).
    pub async fn run_with(
        &mut self,
        ops: &[WsOp],
        on_event: &mut dyn FnMut(ExecEvent<WsOp>),
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
    pub async fn apply_one(&mut self, op: &WsOp) -> Result<OpOutcome, AwsError> {
        let name = op.aws_name();
        let gw = &self.clients.apigw2;
        match op {
            WsOp::CreateApi {
                name: api_name,
                description,
                route_selection_expression,
                api_key_selection_expression,
                tags,
            } => {
                let req = gw
                    .create_api()
                    .name(api_name)
                    .protocol_type(v2::ProtocolType::Websocket)
                    .route_selection_expression(route_selection_expression)
                    .set_api_key_selection_expression(api_key_selection_expression.clone())
                    .set_description(description.clone())
                    .set_tags(hash_map(tags));
                // No answer: look for the API (name and tags) before creating it again.
                let identity = Identity::WsApi {
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
                self.route_response_ids.clear();
                self.integration_response_ids.clear();
                Ok(outcome(id))
            }
            WsOp::UpdateApi {
                description,
                route_selection_expression,
                api_key_selection_expression,
            } => {
                gw.update_api()
                    .api_id(self.api(name)?)
                    .set_description(description.clone())
                    .set_route_selection_expression(route_selection_expression.clone())
                    .set_api_key_selection_expression(api_key_selection_expression.clone())
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
            WsOp::CreateAuthorizer {
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
                    .set_authorizer_uri(def.authorizer_uri.clone());
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
            WsOp::UpdateAuthorizer {
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
                    .set_authorizer_uri(def.authorizer_uri.clone())
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
            WsOp::DeleteAuthorizer { name: auth_name } => delete_by_id!(
                self,
                name,
                delete_authorizer,
                authorizer_id,
                "authorizer",
                authorizer_ids,
                auth_name
            ),
            WsOp::CreateIntegration { key, def } => {
                let api = self.api(name)?;
                let region = &self.clients.region;
                let req = integration_request(gw.create_integration().api_id(&api), def, region);
                // No answer: look for an integration with this configuration that is not
                // already known, before creating it again.
                let known = self.integration_ids.values().cloned().collect();
                let identity = Identity::WsIntegration {
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
            WsOp::UpdateIntegration { key, def } => {
                let (uri, method) = integration_target(def, &self.clients.region);
                gw.update_integration()
                    .api_id(self.api(name)?)
                    .integration_id(Self::id_of(
                        name,
                        "integration",
                        &self.integration_ids,
                        key,
                    )?)
                    .integration_type(v2::IntegrationType::from(def.kind.as_str()))
                    .set_integration_uri(uri)
                    .set_integration_method(method)
                    .timeout_in_millis(
                        def.timeout_ms
                            .unwrap_or(crate::state::ws::DEFAULT_TIMEOUT_MS),
                    )
                    .set_credentials_arn(def.credentials_arn.clone())
                    .set_request_templates(hash_map(&def.request_templates))
                    .set_template_selection_expression(def.template_selection_expression.clone())
                    .set_passthrough_behavior(
                        def.passthrough_behavior
                            .as_deref()
                            .map(v2::PassthroughBehavior::from),
                    )
                    .set_content_handling_strategy(
                        def.content_handling
                            .as_deref()
                            .map(v2::ContentHandlingStrategy::from),
                    )
                    // The planner's map: declared keys, and a removed one as "" (the
                    // service merges); nothing when the spec is silent about them.
                    .set_request_parameters(hash_map(&def.request_parameters))
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
            WsOp::DeleteIntegration { key } => {
                let outcome = delete_by_id!(
                    self,
                    name,
                    delete_integration,
                    integration_id,
                    "integration",
                    integration_ids,
                    key
                );
                // Its integration responses went with it.
                self.integration_response_ids.remove(key);
                outcome
            }
            WsOp::CreateIntegrationResponse {
                integration,
                key,
                def,
            } => {
                let api = self.api(name)?;
                let iid = Self::id_of(name, "integration", &self.integration_ids, integration)?;
                let req = gw
                    .create_integration_response()
                    .api_id(&api)
                    .integration_id(&iid)
                    .integration_response_key(key)
                    .set_response_templates(hash_map(&def.templates))
                    .set_template_selection_expression(def.template_selection_expression.clone())
                    .set_content_handling_strategy(
                        def.content_handling
                            .as_deref()
                            .map(v2::ContentHandlingStrategy::from),
                    );
                // No answer: look for the response (by key) before creating it again.
                let identity = Identity::IntegrationResponse {
                    api: &api,
                    integration: &iid,
                    key,
                };
                let (this, req, api, iid) = (&*self, &req, &api, &iid);
                let (id, created) = retry_while_busy(|| async move {
                    let made = create_or_find(this.clients, identity, || {
                        let r = req.clone();
                        async move { r.send().await.map_err(|e| classify(name, e)) }
                    })
                    .await;
                    let e = match made {
                        Ok(Made::Created(out)) => {
                            let id = out.integration_response_id();
                            let id = answered_id(name, "integration response", id)?;
                            return Ok(Settled::Done((id, true)));
                        }
                        Ok(Made::Adopted(id)) => return Ok(Settled::Done((id, false))),
                        Err(e) if e.kind == ErrorKind::Conflict => e,
                        Err(e) => return Err(e),
                    };
                    // The key is taken (another run, or an attempt whose answer was lost and
                    // whose retry was not the first to land): adopt that response and give it
                    // the op's settings. Nothing there: the conflict was a concurrent
                    // modification, and the create is tried again.
                    let Some(found) = find(this.clients, &identity).await? else {
                        return Ok(Settled::Busy(e));
                    };
                    this.update_integration_response(name, api, iid, &found, key, def)
                        .await?;
                    Ok(Settled::Done((found, false)))
                })
                .await?;
                self.integration_response_ids
                    .entry(integration.clone())
                    .or_default()
                    .insert(key.clone(), id.clone());
                Ok(if created {
                    OpOutcome::Created { id }
                } else {
                    OpOutcome::Adopted { id }
                })
            }
            WsOp::UpdateIntegrationResponse {
                integration,
                key,
                def,
            } => {
                let api = self.api(name)?;
                let iid = Self::id_of(name, "integration", &self.integration_ids, integration)?;
                let id = self.integration_response_id(name, integration, key)?;
                self.update_integration_response(name, &api, &iid, &id, key, def)
                    .await?;
                Ok(OpOutcome::Applied)
            }
            WsOp::DeleteIntegrationResponse { integration, key } => {
                let iid = Self::id_of(name, "integration", &self.integration_ids, integration)?;
                let id = self.integration_response_id(name, integration, key)?;
                let res = gw
                    .delete_integration_response()
                    .api_id(self.api(name)?)
                    .integration_id(iid)
                    .integration_response_id(id)
                    .send()
                    .await;
                let outcome = deleted(name, res)?;
                if let Some(ids) = self.integration_response_ids.get_mut(integration) {
                    ids.remove(key);
                }
                Ok(outcome)
            }
            WsOp::CreateRoute { route_key, def } => {
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
                    .set_route_response_selection_expression(
                        def.route_response_selection_expression.clone(),
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
            WsOp::UpdateRoute { route_key, def } => {
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
                    // An empty expression makes a two-way route one-way again.
                    .route_response_selection_expression(
                        def.route_response_selection_expression
                            .clone()
                            .unwrap_or_default(),
                    )
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
            WsOp::DeleteRoute { route_key } => {
                let outcome = delete_by_id!(
                    self,
                    name,
                    delete_route,
                    route_id,
                    "route",
                    route_ids,
                    route_key
                );
                // Its route responses went with it.
                self.route_response_ids.remove(route_key);
                outcome
            }
            WsOp::CreateRouteResponse { route_key } => {
                let api = self.api(name)?;
                let route = Self::id_of(name, "route", &self.route_ids, route_key)?;
                let req = gw
                    .create_route_response()
                    .api_id(&api)
                    .route_id(&route)
                    .route_response_key(DEFAULT_KEY);
                // No answer: look for the route response (by key) before creating it again.
                let identity = Identity::RouteResponse {
                    api: &api,
                    route: &route,
                    key: DEFAULT_KEY,
                };
                // The key taken (an attempt whose answer was lost, or another run): that
                // route response is adopted (it has no settings of its own).
                let (id, outcome) =
                    create_or_adopt(self.clients, name, "route response", identity, || {
                        let r = req.clone();
                        async move {
                            r.send()
                                .await
                                .map(|o| o.route_response_id().map(str::to_string))
                                .map_err(|e| classify(name, e))
                        }
                    })
                    .await?;
                self.route_response_ids.insert(route_key.clone(), id);
                Ok(outcome)
            }
            WsOp::DeleteRouteResponse { route_key } => {
                let id = Self::id_of(name, "route response", &self.route_response_ids, route_key)?;
                if id.is_empty() {
                    return Err(internal(
                        name,
                        format!("the id of route `{route_key}`'s route response could not be read"),
                    ));
                }
                let res = gw
                    .delete_route_response()
                    .api_id(self.api(name)?)
                    .route_id(Self::id_of(name, "route", &self.route_ids, route_key)?)
                    .route_response_id(id)
                    .send()
                    .await;
                let outcome = deleted(name, res)?;
                self.route_response_ids.remove(route_key);
                Ok(outcome)
            }
            WsOp::AddPermission { .. } | WsOp::RemovePermission { .. } => {
                let perm = op.permission().expect("a permission op");
                permission_call(self.clients, name, perm, |s| self.fill(name, s)).await
            }
            WsOp::CreateDeployment { .. }
            | WsOp::CreateStage { .. }
            | WsOp::UpdateStage { .. }
            | WsOp::DeleteRouteSettings { .. } => {
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
            WsOp::DeleteApi { id } => {
                let res = gw.delete_api().api_id(id).send().await;
                let outcome = deleted(name, res)?;
                self.integration_ids.clear();
                self.route_ids.clear();
                self.authorizer_ids.clear();
                self.route_response_ids.clear();
                self.integration_response_ids.clear();
                Ok(outcome)
            }
        }
    }

    fn integration_response_id(
        &self,
        op: &str,
        integration: &str,
        key: &str,
    ) -> Result<String, AwsError> {
        self.integration_response_ids
            .get(integration)
            .and_then(|ids| ids.get(key))
            .cloned()
            .ok_or_else(|| {
                internal(
                    op,
                    format!("no id known for integration response `{key}` of `{integration}`"),
                )
            })
    }

    /// update-integration-response with every setting (the template map whole). Whether the
    /// service drops keys the map leaves out is not established, so the planner never asks
    /// an update to remove one: it replaces the response instead (`plan::ws`).
    async fn update_integration_response(
        &self,
        op: &str,
        api: &str,
        integration_id: &str,
        id: &str,
        key: &str,
        def: &IntegrationResponse,
    ) -> Result<(), AwsError> {
        self.clients
            .apigw2
            .update_integration_response()
            .api_id(api)
            .integration_id(integration_id)
            .integration_response_id(id)
            .integration_response_key(key)
            .set_response_templates(Some(
                def.templates
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ))
            .set_template_selection_expression(def.template_selection_expression.clone())
            .set_content_handling_strategy(
                def.content_handling
                    .as_deref()
                    .map(v2::ContentHandlingStrategy::from),
            )
            .send()
            .await
            .map_err(|e| classify(op, e))?;
        Ok(())
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

/// The URI and method an integration is sent with: Lambda integrations as the invocation
/// URI with POST.
fn integration_target(def: &Integration, region: &str) -> (Option<String>, Option<String>) {
    match def.kind.as_str() {
        "AWS_PROXY" | "AWS" => (Some(lambda_uri(region, &def.uri)), Some("POST".into())),
        "MOCK" => (None, None),
        _ => (Some(def.uri.clone()), def.method.clone()),
    }
}

fn integration_request(
    b: aws_sdk_apigatewayv2::operation::create_integration::builders::CreateIntegrationFluentBuilder,
    def: &Integration,
    region: &str,
) -> aws_sdk_apigatewayv2::operation::create_integration::builders::CreateIntegrationFluentBuilder {
    let (uri, method) = integration_target(def, region);
    b.integration_type(v2::IntegrationType::from(def.kind.as_str()))
        .set_integration_uri(uri)
        .set_integration_method(method)
        // Sent even when it is the default: an emulator that fills in another (moto: 30000)
        // would otherwise read as a difference.
        .timeout_in_millis(
            def.timeout_ms
                .unwrap_or(crate::state::ws::DEFAULT_TIMEOUT_MS),
        )
        .set_credentials_arn(def.credentials_arn.clone())
        .set_request_templates(hash_map(&def.request_templates))
        .set_template_selection_expression(def.template_selection_expression.clone())
        .set_passthrough_behavior(
            def.passthrough_behavior
                .as_deref()
                .map(v2::PassthroughBehavior::from),
        )
        .set_content_handling_strategy(
            def.content_handling
                .as_deref()
                .map(v2::ContentHandlingStrategy::from),
        )
        .set_request_parameters(hash_map(&def.request_parameters))
}

impl ForkExecutor for WsExecutor<'_> {
    fn fork(&self) -> Self {
        WsExecutor {
            clients: self.clients,
            api_id: self.api_id.clone(),
            integration_ids: self.integration_ids.clone(),
            route_ids: self.route_ids.clone(),
            authorizer_ids: self.authorizer_ids.clone(),
            route_response_ids: self.route_response_ids.clone(),
            integration_response_ids: self.integration_response_ids.clone(),
            deployment_id: self.deployment_id.clone(),
        }
    }

    /// Objects inside the API are created and deleted concurrently: each copy hands back
    /// the one id its op learned or dropped (routes start only after the integration and
    /// authorizer they use finished, so they see those ids). The API, the deployment and
    /// the stages are barriers: nothing else is in flight, and their copy becomes the state.
    fn merge(&mut self, fork: Self, op: &WsOp, _exclusive: bool) {
        use WsOp::*;
        match op {
            CreateIntegration { key, .. } | UpdateIntegration { key, .. } => {
                keep(&mut self.integration_ids, &fork.integration_ids, key)
            }
            DeleteIntegration { key } => {
                keep(&mut self.integration_ids, &fork.integration_ids, key);
                self.integration_response_ids.remove(key);
            }
            CreateIntegrationResponse {
                integration, key, ..
            }
            | UpdateIntegrationResponse {
                integration, key, ..
            }
            | DeleteIntegrationResponse { integration, key } => {
                let learned = fork
                    .integration_response_ids
                    .get(integration)
                    .and_then(|ids| ids.get(key));
                let ids = self
                    .integration_response_ids
                    .entry(integration.clone())
                    .or_default();
                match learned {
                    Some(id) => ids.insert(key.clone(), id.clone()),
                    None => ids.remove(key),
                };
            }
            CreateAuthorizer { name, .. }
            | UpdateAuthorizer { name, .. }
            | DeleteAuthorizer { name } => {
                keep(&mut self.authorizer_ids, &fork.authorizer_ids, name)
            }
            CreateRoute { route_key, .. }
            | UpdateRoute { route_key, .. }
            | DeleteRoute { route_key } => {
                keep(&mut self.route_ids, &fork.route_ids, route_key);
                keep(
                    &mut self.route_response_ids,
                    &fork.route_response_ids,
                    route_key,
                );
            }
            CreateRouteResponse { route_key } | DeleteRouteResponse { route_key } => keep(
                &mut self.route_response_ids,
                &fork.route_response_ids,
                route_key,
            ),
            AddPermission { .. } | RemovePermission { .. } => {}
            _ => *self = fork,
        }
    }
}

impl OpExecutor for WsExecutor<'_> {
    type Op = WsOp;
    async fn apply(&mut self, op: &WsOp) -> Result<OpOutcome, AwsError> {
        self.apply_one(op).await
    }
    fn current_api_id(&self) -> Option<String> {
        self.api_id.clone()
    }
    fn current_deployment_id(&self) -> Option<String> {
        self.deployment_id.clone()
    }
}
