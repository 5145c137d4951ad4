//! The executor: runs a plan's [`Op`]s against the account, in order, and learns the ids the
//! create calls return (API, resources, authorizers, deployment).
//!
//! Idempotence under retries (an op may be re-run after a lost answer or an interrupted
//! apply, so "already in the wanted state" must count as done):
//! - a delete answered NotFound is done ([`OpOutcome::AlreadyGone`]);
//! - create-resource answered ConflictException (the path exists) adopts the existing
//!   resource's id ([`OpOutcome::Adopted`]);
//! - add-permission answered ResourceConflictException is done only when the policy already
//!   holds a statement with that id that grants exactly what the op asks
//!   ([`OpOutcome::AlreadyPresent`]); otherwise it is an error;
//! - create-stage answered ConflictException adopts the stage and still applies the op's
//!   deployment and settings;
//! - put-method and put-method-response answered ConflictException (AWS refuses to put what
//!   exists; a re-send after a lost answer meets the first attempt) are done when what exists
//!   is exactly what the op asks ([`OpOutcome::AlreadyPresent`]); with nothing there the
//!   conflict was a concurrent modification (tried again, as below); otherwise the conflict
//!   goes up and the apply plans again;
//! - a create that got no answer is looked for before it is sent again
//!   ([`crate::aws::recover`]); found, it is adopted ([`OpOutcome::Adopted`]).
//!
//! - a ConflictException on create-resource, add-permission, put-method or
//!   put-method-response with nothing found on lookup
//!   was a concurrent modification: the op is tried again after a backoff
//!   ([`super::CONFLICT_ATTEMPTS`]). Every other throttled, failed or conflicting answer is retried
//!   below, by the paced transport ([`crate::aws::pace`]).
//!
//! Errors are classified by code ([`crate::aws::error::classify`]), never by message text.
//!
//! [`Executor::run_with`] runs independent ops concurrently, in the order
//! [`crate::plan::rest::deps`] allows (what runs is never changed, only when); [`Executor::run`] is
//! the same with one op at a time.
//!
//! Empty template strings are never written: API Gateway stores `""` as `null` and answers
//! `null` inside the template map afterwards (which the SDK cannot read, and which reads back
//! as "no template" anyway), so an empty entry is skipped and an all-empty map is not sent.
use std::collections::{BTreeMap, HashMap};

use aws_sdk_apigateway::types as agt;

use super::domains::CreatedTargets;
use super::lambda::permission_call;
use super::{
    conflict_backoff, deleted, fill_placeholders, hash_map, internal, refused_as_existing,
    run_concurrent, ExecEvent, ExecFailure, ExecReport, ForkExecutor, OpExecutor, OpOutcome,
};
use crate::aws::error::{classify, AwsError, ErrorKind};
use crate::aws::read::rest::get_resources;
use crate::aws::recover::{adopt_rest_stage, create_or_find, settle_rest_stage, Identity, Made};
use crate::aws::Clients;
use crate::plan::deps::Scheduler;
use crate::plan::rest::deps::changes_ids;
use crate::plan::rest::ops::{Op, Patch, DEPLOYMENT_ID};
use crate::state::rest::ObservedRestApi;

/// Runs ops against one REST API.
pub struct Executor<'c> {
    pub(super) clients: &'c Clients,
    /// The API's id: `Some` for an existing API, set by `CreateRestApi`.
    pub api_id: Option<String>,
    /// Resource path -> id (seeded from the observed API, kept up to date by the run).
    pub resource_ids: BTreeMap<String, String>,
    /// Authorizer name -> id.
    pub authorizer_ids: BTreeMap<String, String>,
    /// Request validator name -> id.
    pub validator_ids: BTreeMap<String, String>,
    /// The deployment created in this run.
    pub deployment_id: Option<String>,
    /// Placeholder (`{api_key_id:NAME}`, `{usage_plan_id:NAME}`) -> id of the API keys and
    /// usage plans created in this run.
    pub usage_ids: BTreeMap<String, String>,
    /// Set by an attempt whose ConflictException was not "already exists" (nothing found on
    /// lookup): the op is worth another try.
    conflict_busy: bool,
    /// Domain name -> DNS target, as the domains' create answers in this run gave them.
    pub domain_targets: CreatedTargets,
}

/// The method AWS holds is exactly what a put-method of `def` (with the authorization type
/// and authorizer id as sent) makes.
fn method_is(
    found: &aws_sdk_apigateway::operation::get_method::GetMethodOutput,
    auth_type: &str,
    authorizer_id: Option<&str>,
    validator_id: Option<&str>,
    def: &crate::state::rest::Method,
) -> bool {
    let models: BTreeMap<String, String> = found
        .request_models()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let mut scopes = found.authorization_scopes().to_vec();
    scopes.sort();
    let mut wanted = def.authorization_scopes.clone();
    wanted.sort();
    let params: BTreeMap<String, bool> = found
        .request_parameters()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), *v)).collect())
        .unwrap_or_default();
    found.authorization_type() == Some(auth_type)
        && found.authorizer_id() == authorizer_id
        && found.api_key_required().unwrap_or(false) == def.api_key_required
        && scopes == wanted
        && params == def.request_parameters
        && found.request_validator_id() == validator_id
        && models == def.request_models
}

/// The method response AWS holds is exactly `def`.
fn method_response_is(
    found: &aws_sdk_apigateway::operation::get_method_response::GetMethodResponseOutput,
    def: &crate::state::rest::MethodResponse,
) -> bool {
    let models: BTreeMap<String, String> = found
        .response_models()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let params: BTreeMap<String, bool> = found
        .response_parameters()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), *v)).collect())
        .unwrap_or_default();
    models == def.response_models && params == def.response_parameters
}

/// Template maps as sent: empty templates are skipped (see the module documentation).
fn template_map(m: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    let out: HashMap<String, String> = m
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (!out.is_empty()).then_some(out)
}

impl ForkExecutor for Executor<'_> {
    fn fork(&self) -> Self {
        Executor::fork(self)
    }
}

impl OpExecutor for Executor<'_> {
    type Op = Op;
    async fn apply(&mut self, op: &Op) -> Result<OpOutcome, AwsError> {
        self.apply_one(op).await
    }
    fn current_api_id(&self) -> Option<String> {
        self.api_id.clone()
    }
    fn current_deployment_id(&self) -> Option<String> {
        self.deployment_id.clone()
    }
}

impl<'c> Executor<'c> {
    /// An executor for an API that does not exist yet (the plan starts with `CreateRestApi`).
    pub fn new(clients: &'c Clients) -> Self {
        Executor {
            clients,
            api_id: None,
            resource_ids: BTreeMap::new(),
            authorizer_ids: BTreeMap::new(),
            validator_ids: BTreeMap::new(),
            deployment_id: None,
            usage_ids: BTreeMap::new(),
            conflict_busy: false,
            domain_targets: CreatedTargets::new(),
        }
    }

    /// An executor for an existing API, seeded with the ids read from it.
    pub fn for_api(clients: &'c Clients, observed: &ObservedRestApi) -> Self {
        Executor {
            clients,
            api_id: Some(observed.id.clone()),
            resource_ids: observed.resource_ids.clone(),
            authorizer_ids: observed.authorizer_ids.clone(),
            validator_ids: observed.validator_ids.clone(),
            deployment_id: None,
            usage_ids: BTreeMap::new(),
            conflict_busy: false,
            domain_targets: CreatedTargets::new(),
        }
    }

    /// A copy of what this executor knows, to run one op on.
    fn fork(&self) -> Executor<'c> {
        Executor {
            clients: self.clients,
            api_id: self.api_id.clone(),
            resource_ids: self.resource_ids.clone(),
            authorizer_ids: self.authorizer_ids.clone(),
            validator_ids: self.validator_ids.clone(),
            deployment_id: self.deployment_id.clone(),
            usage_ids: self.usage_ids.clone(),
            conflict_busy: false,
            domain_targets: self.domain_targets.clone(),
        }
    }

    /// Run `ops` one at a time, in order; stop at the first failure.
    pub async fn run(
        &mut self,
        ops: &[Op],
        on_event: &mut dyn FnMut(ExecEvent),
    ) -> Result<ExecReport, ExecFailure> {
        self.run_with(ops, on_event, 1).await
    }

    /// Run `ops` with up to `max_in_flight` at once: each op starts as soon as the ops it
    /// depends on ([`crate::plan::rest::deps::dependencies`]) have finished; the quota buckets
    /// decide when its calls go. Ops that change the ids this executor knows run one at a
    /// time, on its own state; the others run on a copy. After a failure nothing new
    /// starts, the ops in flight finish, and the failure lists exactly what completed.
    /// Events come as ops start and finish (interleaved when concurrent).
    pub async fn run_with(
        &mut self,
        ops: &[Op],
        on_event: &mut dyn FnMut(ExecEvent),
        max_in_flight: usize,
    ) -> Result<ExecReport, ExecFailure> {
        run_concurrent(
            self,
            ops,
            Scheduler::new(ops),
            changes_ids,
            on_event,
            max_in_flight,
        )
        .await
    }

    /// A put refused because the thing exists (409), with `found` what a read of it
    /// answered (`Ok(true)`: exactly what the op asks). This op's own earlier attempt whose
    /// answer was lost: done. Nothing there: a concurrent modification, worth a retry (the
    /// conflict loop). A different one was made meanwhile: the conflict goes up and the apply
    /// plans again from what is there.
    pub(super) fn settle_put_conflict(
        &mut self,
        e: AwsError,
        found: Result<bool, AwsError>,
    ) -> Result<OpOutcome, AwsError> {
        match found {
            Ok(true) => Ok(OpOutcome::AlreadyPresent),
            Err(g) if g.is_not_found() => {
                self.conflict_busy = true;
                Err(e)
            }
            _ => Err(e),
        }
    }

    pub(super) fn api(&self, op: &str) -> Result<String, AwsError> {
        self.api_id.clone().ok_or_else(|| {
            internal(
                op,
                "no API id: the plan acts on an API that was neither found nor created".into(),
            )
        })
    }

    fn resource(&self, op: &str, path: &str) -> Result<String, AwsError> {
        self.resource_ids
            .get(path)
            .cloned()
            .ok_or_else(|| internal(op, format!("no id known for resource `{path}`")))
    }

    fn authorizer(&self, op: &str, name: &str) -> Result<String, AwsError> {
        self.authorizer_ids
            .get(name)
            .cloned()
            .ok_or_else(|| internal(op, format!("no id known for authorizer `{name}`")))
    }

    pub(super) fn validator(&self, op: &str, name: &str) -> Result<String, AwsError> {
        self.validator_ids
            .get(name)
            .cloned()
            .ok_or_else(|| internal(op, format!("no id known for request validator `{name}`")))
    }

    /// Replace `{api_id}`, `{deployment_id}` and `{authorizer_id:NAME}` in `s`.
    pub fn fill(&self, op: &str, s: &str) -> Result<String, AwsError> {
        fill_placeholders(
            op,
            s,
            self.api_id.as_deref(),
            self.deployment_id.as_deref(),
            &self.authorizer_ids,
        )
    }

    pub(super) fn patches(
        &self,
        op: &str,
        patches: &[Patch],
    ) -> Result<Vec<agt::PatchOperation>, AwsError> {
        patches
            .iter()
            .map(|p| {
                Ok(agt::PatchOperation::builder()
                    .op(agt::Op::from(p.op.as_str()))
                    .path(&p.path)
                    .set_value(p.value.as_deref().map(|v| self.fill(op, v)).transpose()?)
                    .set_from(p.from.clone())
                    .build())
            })
            .collect()
    }

    /// Apply one op (see the module documentation for what counts as done). Throttled and
    /// failed calls are retried by the paced transport; an op whose conflict turned out to
    /// be a concurrent modification is tried again here, up to [`super::CONFLICT_ATTEMPTS`] times.
    pub async fn apply_one(&mut self, op: &Op) -> Result<OpOutcome, AwsError> {
        let mut attempt = 1;
        loop {
            self.conflict_busy = false;
            let result = self.apply_once(op).await;
            if result.is_ok() || !self.conflict_busy || !conflict_backoff(attempt).await {
                return result;
            }
            attempt += 1;
        }
    }

    async fn apply_once(&mut self, op: &Op) -> Result<OpOutcome, AwsError> {
        let name = op.aws_name();
        let gw = &self.clients.apigw;
        match op {
            Op::CreateRestApi {
                name: api_name,
                description,
                endpoint_type,
                binary_media_types,
                api_key_source,
                policy,
                vpc_endpoint_ids,
                tags,
            } => {
                let req = gw
                    .create_rest_api()
                    .name(api_name)
                    .set_description(description.clone())
                    .endpoint_configuration(
                        agt::EndpointConfiguration::builder()
                            .types(agt::EndpointType::from(endpoint_type.as_str()))
                            .set_vpc_endpoint_ids(
                                (!vpc_endpoint_ids.is_empty()).then(|| vpc_endpoint_ids.clone()),
                            )
                            .build(),
                    )
                    .set_policy(policy.clone())
                    .set_binary_media_types(
                        (!binary_media_types.is_empty()).then(|| binary_media_types.clone()),
                    )
                    .set_api_key_source(api_key_source.as_deref().map(agt::ApiKeySourceType::from))
                    .set_tags(hash_map(tags));
                // No answer: look for the API (name and tags) before creating it again.
                let identity = Identity::RestApi {
                    name: api_name,
                    tags,
                };
                let made = create_or_find(self.clients, identity, || {
                    let r = req.clone();
                    async move { r.send().await.map_err(|e| classify(name, e)) }
                })
                .await?;
                let (id, root, outcome) = match made {
                    Made::Created(out) => {
                        let id = out
                            .id()
                            .ok_or_else(|| internal(name, "the answer carries no API id".into()))?
                            .to_string();
                        let root = out.root_resource_id().map(str::to_string);
                        (id.clone(), root, OpOutcome::Created { id })
                    }
                    Made::Adopted(id) => (id.clone(), None, OpOutcome::Adopted { id }),
                };
                self.api_id = Some(id.clone());
                self.resource_ids.clear();
                self.authorizer_ids.clear();
                match root {
                    Some(root) => {
                        self.resource_ids.insert("/".into(), root);
                    }
                    None => {
                        for r in get_resources(self.clients, &id, false).await? {
                            if let (Some(p), Some(rid)) = (r.path(), r.id()) {
                                self.resource_ids.insert(p.to_string(), rid.to_string());
                            }
                        }
                    }
                }
                Ok(outcome)
            }
            Op::DeleteRestApi { id } => {
                self.resource_ids.clear();
                self.authorizer_ids.clear();
                match gw.delete_rest_api().rest_api_id(id).send().await {
                    Ok(_) => Ok(OpOutcome::Applied),
                    Err(e) => {
                        let e = classify(name, e);
                        // Already gone (e.g. a retried destroy): done.
                        if e.is_not_found() {
                            Ok(OpOutcome::AlreadyGone)
                        } else {
                            Err(e)
                        }
                    }
                }
            }
            Op::UpdateRestApi { patches } => {
                gw.update_rest_api()
                    .rest_api_id(self.api(name)?)
                    .set_patch_operations(Some(self.patches(name, patches)?))
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
            Op::CreateResource {
                path,
                parent,
                path_part,
            } => {
                let api = self.api(name)?;
                let req = gw
                    .create_resource()
                    .rest_api_id(&api)
                    .parent_id(self.resource(name, parent)?)
                    .path_part(path_part);
                // No answer: look for the path before creating it again.
                let identity = Identity::Resource { api: &api, path };
                let res = create_or_find(self.clients, identity, || {
                    let r = req.clone();
                    async move { r.send().await.map_err(|e| classify(name, e)) }
                })
                .await;
                match res {
                    Ok(Made::Adopted(id)) => {
                        self.resource_ids.insert(path.clone(), id.clone());
                        Ok(OpOutcome::Adopted { id })
                    }
                    Ok(Made::Created(out)) => {
                        let id = out
                            .id()
                            .ok_or_else(|| internal(name, "the answer carries no id".into()))?
                            .to_string();
                        self.resource_ids.insert(path.clone(), id.clone());
                        Ok(OpOutcome::Created { id })
                    }
                    Err(e) => {
                        if e.kind != ErrorKind::Conflict {
                            return Err(e);
                        }
                        // The path exists already (e.g. created by an earlier attempt whose
                        // answer was lost): adopt it.
                        let existing = get_resources(self.clients, &api, false)
                            .await?
                            .into_iter()
                            .find(|r| r.path() == Some(path.as_str()))
                            .and_then(|r| r.id().map(str::to_string));
                        match existing {
                            Some(id) => {
                                self.resource_ids.insert(path.clone(), id.clone());
                                Ok(OpOutcome::Adopted { id })
                            }
                            None => {
                                // Nothing there: a concurrent modification, worth a retry.
                                self.conflict_busy = true;
                                Err(e)
                            }
                        }
                    }
                }
            }
            Op::DeleteResource { path } => {
                let res = gw
                    .delete_resource()
                    .rest_api_id(self.api(name)?)
                    .resource_id(self.resource(name, path)?)
                    .send()
                    .await;
                let outcome = deleted(name, res)?;
                let prefix = format!("{}/", path.trim_end_matches('/'));
                self.resource_ids
                    .retain(|p, _| p != path && !p.starts_with(&prefix));
                Ok(outcome)
            }
            Op::PutMethod { path, method, def } => {
                let authorizer_id = match &def.authorizer {
                    Some(a) => Some(self.authorizer(name, a)?),
                    None => None,
                };
                let validator_id = match &def.request_validator {
                    Some(v) => Some(self.validator(name, v)?),
                    None => None,
                };
                let auth_type = if def.authorization_type.is_empty() {
                    "NONE"
                } else {
                    def.authorization_type.as_str()
                };
                let (api, resource) = (self.api(name)?, self.resource(name, path)?);
                let res = gw
                    .put_method()
                    .rest_api_id(&api)
                    .resource_id(&resource)
                    .http_method(method)
                    .authorization_type(auth_type)
                    .set_authorizer_id(authorizer_id.clone())
                    .set_authorization_scopes(
                        (!def.authorization_scopes.is_empty())
                            .then(|| def.authorization_scopes.clone()),
                    )
                    .api_key_required(def.api_key_required)
                    .set_request_parameters(hash_map(&def.request_parameters))
                    .set_request_validator_id(validator_id.clone())
                    .set_request_models(hash_map(&def.request_models))
                    .send()
                    .await;
                let e = match refused_as_existing(res.map_err(|e| classify(name, e))) {
                    Ok(conflict) => conflict,
                    Err(outcome) => return outcome,
                };
                // AWS refuses a put-method on a method that exists (409). After a lost
                // answer it is this op's own earlier attempt: done when the method is exactly
                // what this op asks. No method: the conflict was a concurrent modification,
                // tried again. A different one was made meanwhile: the conflict goes up and
                // the apply plans again from what is there.
                let found = gw
                    .get_method()
                    .rest_api_id(&api)
                    .resource_id(&resource)
                    .http_method(method)
                    .send()
                    .await
                    .map_err(|g| classify("GetMethod", g));
                let found = found.map(|m| {
                    method_is(
                        &m,
                        auth_type,
                        authorizer_id.as_deref(),
                        validator_id.as_deref(),
                        def,
                    )
                });
                self.settle_put_conflict(e, found)
            }
            Op::DeleteMethod { path, method } => {
                let res = gw
                    .delete_method()
                    .rest_api_id(self.api(name)?)
                    .resource_id(self.resource(name, path)?)
                    .http_method(method)
                    .send()
                    .await;
                deleted(name, res)
            }
            Op::PutMethodResponse {
                path,
                method,
                status,
                def,
            } => {
                let (api, resource) = (self.api(name)?, self.resource(name, path)?);
                let res = gw
                    .put_method_response()
                    .rest_api_id(&api)
                    .resource_id(&resource)
                    .http_method(method)
                    .status_code(status)
                    .set_response_models(hash_map(&def.response_models))
                    .set_response_parameters(hash_map(&def.response_parameters))
                    .send()
                    .await;
                let e = match refused_as_existing(res.map_err(|e| classify(name, e))) {
                    Ok(conflict) => conflict,
                    Err(outcome) => return outcome,
                };
                // As for put-method: a response that exists is refused (409); done when it
                // is exactly this one.
                let found = gw
                    .get_method_response()
                    .rest_api_id(&api)
                    .resource_id(&resource)
                    .http_method(method)
                    .status_code(status)
                    .send()
                    .await
                    .map_err(|g| classify("GetMethodResponse", g));
                self.settle_put_conflict(e, found.map(|r| method_response_is(&r, def)))
            }
            Op::DeleteMethodResponse {
                path,
                method,
                status,
            } => {
                let res = gw
                    .delete_method_response()
                    .rest_api_id(self.api(name)?)
                    .resource_id(self.resource(name, path)?)
                    .http_method(method)
                    .status_code(status)
                    .send()
                    .await;
                deleted(name, res)
            }
            Op::PutIntegration { path, method, def } => {
                gw.put_integration()
                    .rest_api_id(self.api(name)?)
                    .resource_id(self.resource(name, path)?)
                    .http_method(method)
                    .r#type(agt::IntegrationType::from(def.kind.as_str()))
                    .set_integration_http_method(def.http_method.clone())
                    .set_uri(def.uri.clone())
                    .set_credentials(def.credentials.clone())
                    .set_request_templates(template_map(&def.request_templates))
                    .set_request_parameters(hash_map(&def.request_parameters))
                    .set_passthrough_behavior(def.passthrough_behavior.clone())
                    .set_content_handling(
                        def.content_handling
                            .as_deref()
                            .map(agt::ContentHandlingStrategy::from),
                    )
                    .set_timeout_in_millis(def.timeout_ms)
                    .set_cache_key_parameters(
                        (!def.cache_key_parameters.is_empty())
                            .then(|| def.cache_key_parameters.clone()),
                    )
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
            Op::PutIntegrationResponse {
                path,
                method,
                status,
                def,
            } => {
                gw.put_integration_response()
                    .rest_api_id(self.api(name)?)
                    .resource_id(self.resource(name, path)?)
                    .http_method(method)
                    .status_code(status)
                    .set_selection_pattern(def.selection_pattern.clone())
                    .set_response_templates(template_map(&def.response_templates))
                    .set_response_parameters(hash_map(&def.response_parameters))
                    .set_content_handling(
                        def.content_handling
                            .as_deref()
                            .map(agt::ContentHandlingStrategy::from),
                    )
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
            Op::DeleteIntegrationResponse {
                path,
                method,
                status,
            } => {
                let res = gw
                    .delete_integration_response()
                    .rest_api_id(self.api(name)?)
                    .resource_id(self.resource(name, path)?)
                    .http_method(method)
                    .status_code(status)
                    .send()
                    .await;
                deleted(name, res)
            }
            Op::PutGatewayResponse { response_type, def } => {
                gw.put_gateway_response()
                    .rest_api_id(self.api(name)?)
                    .response_type(agt::GatewayResponseType::from(response_type.as_str()))
                    .set_status_code(def.status_code.clone())
                    .set_response_parameters(hash_map(&def.response_parameters))
                    .set_response_templates(template_map(&def.response_templates))
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
            Op::DeleteGatewayResponse { response_type } => {
                let res = gw
                    .delete_gateway_response()
                    .rest_api_id(self.api(name)?)
                    .response_type(agt::GatewayResponseType::from(response_type.as_str()))
                    .send()
                    .await;
                deleted(name, res)
            }
            Op::CreateAuthorizer {
                name: auth_name,
                def,
            } => {
                let api = self.api(name)?;
                let req = gw
                    .create_authorizer()
                    .rest_api_id(&api)
                    .name(auth_name)
                    .r#type(agt::AuthorizerType::from(def.kind.as_str()))
                    .set_authorizer_uri(def.authorizer_uri.clone())
                    .set_identity_source(def.identity_source.clone())
                    .set_identity_validation_expression(def.identity_validation_expression.clone())
                    .set_authorizer_result_ttl_in_seconds(def.ttl_seconds)
                    .set_provider_arns(
                        (!def.provider_arns.is_empty()).then(|| def.provider_arns.clone()),
                    );
                // No answer: look for the authorizer (by name) before creating it again.
                let identity = Identity::RestAuthorizer {
                    api: &api,
                    name: auth_name,
                };
                let made = create_or_find(self.clients, identity, || {
                    let r = req.clone();
                    async move { r.send().await.map_err(|e| classify(name, e)) }
                })
                .await?;
                let (id, outcome) = match made {
                    Made::Created(out) => {
                        let id = out
                            .id()
                            .ok_or_else(|| {
                                internal(name, "the answer carries no authorizer id".into())
                            })?
                            .to_string();
                        (id.clone(), OpOutcome::Created { id })
                    }
                    Made::Adopted(id) => (id.clone(), OpOutcome::Adopted { id }),
                };
                self.authorizer_ids.insert(auth_name.clone(), id);
                Ok(outcome)
            }
            Op::UpdateAuthorizer {
                name: auth_name,
                patches,
            } => {
                gw.update_authorizer()
                    .rest_api_id(self.api(name)?)
                    .authorizer_id(self.authorizer(name, auth_name)?)
                    .set_patch_operations(Some(self.patches(name, patches)?))
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
            Op::DeleteAuthorizer { name: auth_name } => {
                let res = gw
                    .delete_authorizer()
                    .rest_api_id(self.api(name)?)
                    .authorizer_id(self.authorizer(name, auth_name)?)
                    .send()
                    .await;
                let outcome = deleted(name, res)?;
                self.authorizer_ids.remove(auth_name);
                Ok(outcome)
            }
            Op::CreateModel { .. }
            | Op::UpdateModel { .. }
            | Op::DeleteModel { .. }
            | Op::CreateRequestValidator { .. }
            | Op::UpdateRequestValidator { .. }
            | Op::DeleteRequestValidator { .. } => self.apply_validation(op).await,
            Op::AddPermission { .. } | Op::RemovePermission { .. } => {
                let perm = op.permission().expect("a permission op");
                permission_call(self.clients, name, perm, |s| self.fill(name, s)).await
            }
            Op::CreateDeployment { description, stage } => {
                let out = gw
                    .create_deployment()
                    .rest_api_id(self.api(name)?)
                    .description(description)
                    .set_stage_name(stage.as_ref().map(|s| s.name.clone()))
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                let id = out
                    .id()
                    .ok_or_else(|| internal(name, "the answer carries no deployment id".into()))?
                    .to_string();
                self.deployment_id = Some(id.clone());
                if let Some(moved) = stage {
                    // On AWS the stage kept its settings (a read); an emulator that replaced
                    // the stage gets them back, so it never silently loses its logging,
                    // variables or throttling.
                    let api = self.api(name)?;
                    settle_rest_stage(self.clients, &api, &moved.name, &id, &moved.settings)
                        .await?;
                }
                Ok(OpOutcome::Created { id })
            }
            Op::CreateCanaryDeployment {
                stage,
                description,
                percent,
                variables,
            } => {
                let out = gw
                    .create_deployment()
                    .rest_api_id(self.api(name)?)
                    .stage_name(stage)
                    .description(description)
                    .canary_settings(
                        agt::DeploymentCanarySettings::builder()
                            .percent_traffic(*percent)
                            .set_stage_variable_overrides(hash_map(variables))
                            .use_stage_cache(false)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                let id = out
                    .id()
                    .ok_or_else(|| internal(name, "the answer carries no deployment id".into()))?
                    .to_string();
                Ok(OpOutcome::Created { id })
            }
            Op::CreateStage {
                name: stage,
                description,
                variables,
                tracing_enabled,
            } => {
                let deployment = self.fill(name, DEPLOYMENT_ID)?;
                let api = self.api(name)?;
                let res = gw
                    .create_stage()
                    .rest_api_id(&api)
                    .stage_name(stage)
                    .deployment_id(&deployment)
                    .set_description(description.clone())
                    .set_variables(hash_map(variables))
                    .tracing_enabled(*tracing_enabled)
                    .send()
                    .await
                    .map_err(|e| classify(name, e));
                match res {
                    Ok(_) => Ok(OpOutcome::Applied),
                    // The stage exists (an attempt whose answer was lost, or another run):
                    // adopt it, and still give it what this op asks.
                    Err(e) if e.kind == ErrorKind::Conflict => {
                        adopt_rest_stage(self.clients, &api, &deployment, op).await?;
                        Ok(OpOutcome::Adopted { id: stage.clone() })
                    }
                    Err(e) => Err(e),
                }
            }
            Op::Usage(u) => self.apply_usage(u).await,
            Op::Domain(d) => {
                crate::aws::exec::domains::apply_domain_with(
                    self.clients,
                    crate::aws::read::domains::DomainApi::Rest,
                    self.api_id.as_deref(),
                    d,
                    &mut self.domain_targets,
                )
                .await
            }
            Op::UpdateStage {
                name: stage,
                patches,
            } => {
                gw.update_stage()
                    .rest_api_id(self.api(name)?)
                    .stage_name(stage)
                    .set_patch_operations(Some(self.patches(name, patches)?))
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
        }
    }
}
