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
//!   ([`CONFLICT_ATTEMPTS`]). Every other throttled, failed or conflicting answer is retried
//!   below, by the paced transport ([`crate::aws::pace`]).
//!
//! Errors are classified by code ([`crate::aws::error::classify`]), never by message text.
//!
//! [`Executor::run_with`] runs independent ops concurrently, in the order
//! [`crate::plan::deps`] allows (what runs is never changed, only when); [`Executor::run`] is
//! the same with one op at a time.
//!
//! Empty template strings are never written: API Gateway stores `""` as `null` and answers
//! `null` inside the template map afterwards (which the SDK cannot read, and which reads back
//! as "no template" anyway), so an empty entry is skipped and an all-empty map is not sent.

mod usage;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use aws_sdk_apigateway::types as agt;
use serde::Serialize;

use super::error::{classify, AwsError, ErrorKind};
use super::read::{get_policy, get_resources, split_function_arn};
use super::recover::{
    adopt_rest_stage, create_or_find, find, grants, settle_rest_stage, Identity, Made,
};
use super::Clients;
use crate::plan::deps::{changes_ids, Scheduler};
use crate::plan::ops::{Op, Patch, API_ID, DEPLOYMENT_ID};
use crate::plan::permissions::PermissionOp;
use crate::plan::PlanOp;
use crate::state::rest::ObservedRestApi;

/// Principal and action of every permission gwctl adds.
pub use crate::plan::permissions::{APIGATEWAY_PRINCIPAL, INVOKE_ACTION};

/// How many ops [`Executor::run_with`] keeps in flight by default (the quota buckets decide
/// the pace; this only bounds how far ahead calls queue for them).
pub const MAX_IN_FLIGHT: usize = 8;
/// Attempts of an op whose ConflictException turned out to be a concurrent modification.
pub const CONFLICT_ATTEMPTS: u32 = 6;

/// What one op did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum OpOutcome {
    /// The call succeeded.
    Applied,
    /// The call created an object with this id (API, resource, authorizer, deployment).
    Created { id: String },
    /// The object already existed (create answered Conflict); its id was looked up.
    Adopted { id: String },
    /// A delete found nothing to delete.
    AlreadyGone,
    /// The permission statement, method or method response was already there, identical
    /// (a put AWS refuses to repeat, after an attempt whose answer was lost).
    AlreadyPresent,
}

/// Progress events, for the CLI's progress display (`O`: the op type of the plan).
#[derive(Debug)]
pub enum ExecEvent<'a, O = Op> {
    Started {
        index: usize,
        total: usize,
        op: &'a O,
    },
    Finished {
        index: usize,
        total: usize,
        op: &'a O,
        outcome: &'a OpOutcome,
        elapsed: Duration,
    },
    Failed {
        index: usize,
        total: usize,
        op: &'a O,
        error: &'a AwsError,
    },
}

/// The result of a run that applied every op.
#[derive(Debug, Clone, Serialize)]
pub struct ExecReport {
    /// The API's id (created in this run or given).
    pub api_id: Option<String>,
    /// The deployment created in this run, if any.
    pub deployment_id: Option<String>,
    /// One outcome per op, in op order.
    pub outcomes: Vec<OpOutcome>,
}

/// A run stopped at its first failing op.
#[derive(Debug, thiserror::Error)]
#[error("step {} of {total} failed: {error}", failed + 1)]
pub struct ExecFailure {
    /// Indices of the ops that were applied, sorted: exactly the set that completed (in a
    /// concurrent run it can hold ops after `failed` that were in flight when it failed).
    pub completed: Vec<usize>,
    /// Index of the op that failed (the lowest, if several failed at once); no op outside
    /// `completed` was applied, and none was started after the failure.
    pub failed: usize,
    pub total: usize,
    /// AWS operation name of the failed op.
    pub op: &'static str,
    /// Outcomes of the completed ops (same order as `completed`).
    pub outcomes: Vec<OpOutcome>,
    /// The API id known when the run stopped (an API created before the failure stays).
    pub api_id: Option<String>,
    pub deployment_id: Option<String>,
    #[source]
    pub error: AwsError,
}

/// Runs ops against one REST API.
pub struct Executor<'c> {
    clients: &'c Clients,
    /// The API's id: `Some` for an existing API, set by `CreateRestApi`.
    pub api_id: Option<String>,
    /// Resource path -> id (seeded from the observed API, kept up to date by the run).
    pub resource_ids: BTreeMap<String, String>,
    /// Authorizer name -> id.
    pub authorizer_ids: BTreeMap<String, String>,
    /// The deployment created in this run.
    pub deployment_id: Option<String>,
    /// Placeholder (`{api_key_id:NAME}`, `{usage_plan_id:NAME}`) -> id of the API keys and
    /// usage plans created in this run.
    pub usage_ids: BTreeMap<String, String>,
    /// Set by an attempt whose ConflictException was not "already exists" (nothing found on
    /// lookup): the op is worth another try.
    conflict_busy: bool,
}

/// What a running op hands back to [`Executor::run_with`] when gwctl itself fails it.
pub(crate) use super::error::internal;

pub(crate) fn hash_map<V: Clone>(m: &BTreeMap<String, V>) -> Option<HashMap<String, V>> {
    (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// The method AWS holds is exactly what a put-method of `def` (with the authorization type
/// and authorizer id as sent) makes.
fn method_is(
    found: &aws_sdk_apigateway::operation::get_method::GetMethodOutput,
    auth_type: &str,
    authorizer_id: Option<&str>,
    def: &crate::state::rest::Method,
) -> bool {
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

/// What the shared run loop needs from an executor of one plan's op type.
pub(crate) trait OpExecutor {
    type Op: PlanOp;
    /// Apply one op; see the module documentation for what counts as done.
    async fn apply(&mut self, op: &Self::Op) -> Result<OpOutcome, AwsError>;
    /// The API id known now (created in this run or given).
    fn current_api_id(&self) -> Option<String>;
    /// The deployment created in this run, if any.
    fn current_deployment_id(&self) -> Option<String>;
}

/// An executor [`run_concurrent`] can drive: independent ops run on copies (`fork`); what a
/// copy learned is merged back when its op succeeds ([`ForkExecutor::merge`]).
pub(crate) trait ForkExecutor: OpExecutor + Sized {
    fn fork(&self) -> Self;
    /// Keep what the copy that ran `op` (successfully) learned. By default an exclusive op's
    /// copy becomes the state (it ran alone among the ops that change ids) and the others
    /// learned nothing to keep.
    fn merge(&mut self, fork: Self, _op: &Self::Op, exclusive: bool) {
        if exclusive {
            *self = fork;
        }
    }
}

/// Run `ops` with up to `max_in_flight` at once, in the order `scheduler` allows: each op
/// starts as soon as the ops it depends on have finished; the quota buckets decide when its
/// calls go. Every op runs on a copy of the executor, merged back when it succeeds; ops for
/// which `exclusive` holds run one at a time among themselves. After a
/// failure nothing new starts, the ops in flight finish, and the failure lists exactly what
/// completed. Events come as ops start and finish (interleaved when concurrent).
pub(crate) async fn run_concurrent<'a, E: ForkExecutor + 'a>(
    exec: &mut E,
    ops: &'a [E::Op],
    mut scheduler: Scheduler,
    exclusive: impl Fn(&E::Op) -> bool,
    on_event: &mut dyn FnMut(ExecEvent<E::Op>),
    max_in_flight: usize,
) -> Result<ExecReport, ExecFailure> {
    type Done<E> = (usize, E, Result<OpOutcome, AwsError>, Duration);
    let total = ops.len();
    let mut outcomes: Vec<Option<OpOutcome>> = vec![None; total];
    let mut first_failure: Option<(usize, AwsError)> = None;
    let mut running: Vec<Pin<Box<dyn Future<Output = Done<E>> + 'a>>> = Vec::new();
    let mut cancelled = false;
    loop {
        // Ctrl-C: the calls in flight finish; no other starts (see crate::cancel).
        cancelled = cancelled || crate::cancel::requested();
        while let Some(index) = (!cancelled)
            .then(|| scheduler.next(max_in_flight))
            .flatten()
        {
            let op = &ops[index];
            on_event(ExecEvent::Started { index, total, op });
            let mut fork = exec.fork();
            running.push(Box::pin(async move {
                let start = Instant::now();
                let result = fork.apply(op).await;
                (index, fork, result, start.elapsed())
            }));
        }
        if running.is_empty() {
            break;
        }
        let (index, fork, result, elapsed) = std::future::poll_fn(|cx| {
            for k in 0..running.len() {
                if let Poll::Ready(done) = running[k].as_mut().poll(cx) {
                    drop(running.swap_remove(k));
                    return Poll::Ready(done);
                }
            }
            Poll::Pending
        })
        .await;
        let op = &ops[index];
        match result {
            Ok(outcome) => {
                exec.merge(fork, op, exclusive(op));
                scheduler.finished(index);
                on_event(ExecEvent::Finished {
                    index,
                    total,
                    op,
                    outcome: &outcome,
                    elapsed,
                });
                outcomes[index] = Some(outcome);
            }
            Err(error) => {
                scheduler.failed(index);
                on_event(ExecEvent::Failed {
                    index,
                    total,
                    op,
                    error: &error,
                });
                if first_failure.as_ref().is_none_or(|(i, _)| index < *i) {
                    first_failure = Some((index, error));
                }
            }
        }
    }
    if cancelled && first_failure.is_none() {
        if let Some(next) = outcomes.iter().position(Option::is_none) {
            first_failure = Some((next, AwsError::interrupted(ops[next].aws_name())));
        }
    }
    if let Some((failed, error)) = first_failure {
        let (completed, outcomes): (Vec<usize>, Vec<OpOutcome>) = outcomes
            .into_iter()
            .enumerate()
            .filter_map(|(i, o)| o.map(|o| (i, o)))
            .unzip();
        return Err(ExecFailure {
            completed,
            failed,
            total,
            op: ops[failed].aws_name(),
            outcomes,
            api_id: exec.current_api_id(),
            deployment_id: exec.current_deployment_id(),
            error,
        });
    }
    Ok(ExecReport {
        api_id: exec.current_api_id(),
        deployment_id: exec.current_deployment_id(),
        outcomes: outcomes
            .into_iter()
            .map(|o| o.expect("every op finished"))
            .collect(),
    })
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

/// Replace `{api_id}`, `{deployment_id}` and `{authorizer_id:NAME}` in `s` with the ids
/// known now; a placeholder whose id is unknown is an error naming it.
pub(crate) fn fill_placeholders(
    op: &str,
    s: &str,
    api_id: Option<&str>,
    deployment_id: Option<&str>,
    authorizer_ids: &BTreeMap<String, String>,
) -> Result<String, AwsError> {
    let mut out = s.to_string();
    if out.contains(API_ID) {
        let id = api_id.ok_or_else(|| {
            internal(
                op,
                "no API id: the plan acts on an API that was neither found nor created".into(),
            )
        })?;
        out = out.replace(API_ID, id);
    }
    if out.contains(DEPLOYMENT_ID) {
        let id = deployment_id.ok_or_else(|| {
            internal(
                op,
                "no deployment was created in this run to point the stage at".into(),
            )
        })?;
        out = out.replace(DEPLOYMENT_ID, id);
    }
    const AUTH: &str = "{authorizer_id:";
    while let Some(start) = out.find(AUTH) {
        let Some(len) = out[start..].find('}') else {
            return Err(internal(op, format!("unterminated placeholder in `{s}`")));
        };
        let end = start + len;
        let name = out[start + AUTH.len()..end].to_string();
        let id = authorizer_ids
            .get(&name)
            .ok_or_else(|| internal(op, format!("no id known for authorizer `{name}`")))?;
        out.replace_range(start..=end, id);
    }
    Ok(out)
}

/// lambda add-permission for API Gateway (`sid` and `source` already filled in), after a
/// look at the policy: a statement already granting exactly this is not added again. A
/// ResourceConflictException counts as done only when the policy already holds a statement
/// with that id granting exactly this.
pub(crate) async fn add_permission(
    clients: &Clients,
    op: &str,
    function: &str,
    sid: &str,
    source: &str,
) -> Result<OpOutcome, AwsError> {
    let (base, qualifier) = split_function_arn(function);
    // Look before adding: another run, or an earlier attempt whose answer was lost, may
    // have added it already. AWS would refuse a duplicate, but emulators accept it, and
    // gwctl never relies on the service refusing. A lost answer is looked for the same
    // way before adding again ([`create_or_find`]).
    let identity = Identity::Permission {
        function: &base,
        qualifier: qualifier.as_deref(),
        sid,
        source,
    };
    if find(clients, &identity).await?.is_some() {
        return Ok(OpOutcome::AlreadyPresent);
    }
    let req = clients
        .lambda
        .add_permission()
        .function_name(&base)
        .set_qualifier(qualifier.clone())
        .statement_id(sid)
        .action(INVOKE_ACTION)
        .principal(APIGATEWAY_PRINCIPAL)
        .source_arn(source);
    let policy = crate::aws::pace::RetryPolicy::default();
    let mut attempt = 1;
    loop {
        let res = create_or_find(clients, identity, || {
            let r = req.clone();
            async move { r.send().await.map_err(|e| classify(op, e)) }
        })
        .await;
        let e = match res {
            Ok(Made::Created(_)) => return Ok(OpOutcome::Applied),
            Ok(Made::Adopted(_)) => return Ok(OpOutcome::AlreadyPresent),
            Err(e) if e.kind != ErrorKind::Conflict => return Err(e),
            Err(e) => e,
        };
        // Same statement id already there: done only if it grants the same.
        let existing = get_policy(clients, &base, qualifier.as_deref()).await?;
        match existing.iter().find(|s| s.sid == sid) {
            Some(s) if grants(s, sid, source) => return Ok(OpOutcome::AlreadyPresent),
            Some(s) => {
                return Err(AwsError {
                    message: format!(
                        "statement `{sid}` already exists on `{function}` with a different \
                         grant (source ARN `{}`)",
                        s.source_arn.as_deref().unwrap_or("none")
                    ),
                    ..e
                })
            }
            // No such statement: the conflict was a concurrent modification of the policy
            // (another add or remove in flight); try again after a backoff.
            None if attempt < CONFLICT_ATTEMPTS && !crate::cancel::requested() => {
                let unit = crate::aws::pace::jitter_unit();
                let delay =
                    policy.delay(crate::aws::pace::RetryKind::Conflict, attempt, None, unit);
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            None => return Err(e),
        }
    }
}

/// Run a Lambda permission op: placeholders filled with `fill`, then the statement added
/// ([`add_permission`]) or removed ([`remove_permission`]).
pub(crate) async fn permission_call(
    clients: &Clients,
    op: &str,
    perm: PermissionOp,
    fill: impl Fn(&str) -> Result<String, AwsError>,
) -> Result<OpOutcome, AwsError> {
    match perm {
        PermissionOp::Add {
            function,
            statement_id,
            source_arn,
            ..
        } => {
            let (sid, source) = (fill(&statement_id)?, fill(&source_arn)?);
            add_permission(clients, op, &function, &sid, &source).await
        }
        PermissionOp::Remove {
            function,
            statement_id,
            ..
        } => remove_permission(clients, op, &function, &fill(&statement_id)?).await,
    }
}

/// lambda remove-permission (`sid` already filled in); NotFound means it is gone already.
pub(crate) async fn remove_permission(
    clients: &Clients,
    op: &str,
    function: &str,
    sid: &str,
) -> Result<OpOutcome, AwsError> {
    let (base, qualifier) = split_function_arn(function);
    let res = clients
        .lambda
        .remove_permission()
        .function_name(base)
        .set_qualifier(qualifier)
        .statement_id(sid)
        .send()
        .await;
    deleted(op, res)
}

impl<'c> Executor<'c> {
    /// An executor for an API that does not exist yet (the plan starts with `CreateRestApi`).
    pub fn new(clients: &'c Clients) -> Self {
        Executor {
            clients,
            api_id: None,
            resource_ids: BTreeMap::new(),
            authorizer_ids: BTreeMap::new(),
            deployment_id: None,
            usage_ids: BTreeMap::new(),
            conflict_busy: false,
        }
    }

    /// An executor for an existing API, seeded with the ids read from it.
    pub fn for_api(clients: &'c Clients, observed: &ObservedRestApi) -> Self {
        Executor {
            clients,
            api_id: Some(observed.id.clone()),
            resource_ids: observed.resource_ids.clone(),
            authorizer_ids: observed.authorizer_ids.clone(),
            deployment_id: None,
            usage_ids: BTreeMap::new(),
            conflict_busy: false,
        }
    }

    /// A copy of what this executor knows, to run one op on.
    fn fork(&self) -> Executor<'c> {
        Executor {
            clients: self.clients,
            api_id: self.api_id.clone(),
            resource_ids: self.resource_ids.clone(),
            authorizer_ids: self.authorizer_ids.clone(),
            deployment_id: self.deployment_id.clone(),
            usage_ids: self.usage_ids.clone(),
            conflict_busy: false,
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
    /// depends on ([`crate::plan::deps::dependencies`]) have finished; the quota buckets
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

    fn api(&self, op: &str) -> Result<String, AwsError> {
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

    fn patches(&self, op: &str, patches: &[Patch]) -> Result<Vec<agt::PatchOperation>, AwsError> {
        patches
            .iter()
            .map(|p| {
                Ok(agt::PatchOperation::builder()
                    .op(agt::Op::from(p.op.as_str()))
                    .path(&p.path)
                    .set_value(p.value.as_deref().map(|v| self.fill(op, v)).transpose()?)
                    .build())
            })
            .collect()
    }

    /// Apply one op (see the module documentation for what counts as done). Throttled and
    /// failed calls are retried by the paced transport; an op whose conflict turned out to
    /// be a concurrent modification is tried again here, up to [`CONFLICT_ATTEMPTS`] times.
    pub async fn apply_one(&mut self, op: &Op) -> Result<OpOutcome, AwsError> {
        let policy = crate::aws::pace::RetryPolicy::default();
        let mut attempt = 1;
        loop {
            self.conflict_busy = false;
            let result = self.apply_once(op).await;
            if result.is_ok() || !self.conflict_busy || attempt >= CONFLICT_ATTEMPTS {
                return result;
            }
            let delay = policy.delay(
                crate::aws::pace::RetryKind::Conflict,
                attempt,
                None,
                crate::aws::pace::jitter_unit(),
            );
            tokio::time::sleep(delay).await;
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
                tags,
            } => {
                let req = gw
                    .create_rest_api()
                    .name(api_name)
                    .set_description(description.clone())
                    .endpoint_configuration(
                        agt::EndpointConfiguration::builder()
                            .types(agt::EndpointType::from(endpoint_type.as_str()))
                            .build(),
                    )
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
                    .send()
                    .await;
                let Err(e) = res else {
                    return Ok(OpOutcome::Applied);
                };
                let e = classify(name, e);
                if e.kind != ErrorKind::Conflict {
                    return Err(e);
                }
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
                match found {
                    Ok(m) if method_is(&m, auth_type, authorizer_id.as_deref(), def) => {
                        Ok(OpOutcome::AlreadyPresent)
                    }
                    Err(g) if g.is_not_found() => {
                        // Nothing there: a concurrent modification, worth a retry.
                        self.conflict_busy = true;
                        Err(e)
                    }
                    _ => Err(e),
                }
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
                let Err(e) = res else {
                    return Ok(OpOutcome::Applied);
                };
                let e = classify(name, e);
                if e.kind != ErrorKind::Conflict {
                    return Err(e);
                }
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
                match found {
                    Ok(r) if method_response_is(&r, def) => Ok(OpOutcome::AlreadyPresent),
                    Err(g) if g.is_not_found() => {
                        self.conflict_busy = true;
                        Err(e)
                    }
                    _ => Err(e),
                }
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

/// The outcome of a delete call: NotFound means it is already gone.
pub(crate) fn deleted<O, E, R>(
    op: &str,
    res: Result<O, aws_smithy_runtime_api::client::result::SdkError<E, R>>,
) -> Result<OpOutcome, AwsError>
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
    R: std::fmt::Debug + super::error::HasStatus,
{
    match res {
        Ok(_) => Ok(OpOutcome::Applied),
        Err(e) => {
            let e = classify(op, e);
            if e.is_not_found() {
                Ok(OpOutcome::AlreadyGone)
            } else {
                Err(e)
            }
        }
    }
}
