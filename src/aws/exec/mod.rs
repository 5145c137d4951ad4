//! The executors: run a plan's ops against the account, in the order the plan's dependencies
//! allow, and learn the ids the create calls return.
//!
//! This module holds what every kind of API shares: the concurrent run loop
//! ([`run_concurrent`], driving any [`ForkExecutor`]), the outcome, event, report and failure
//! types, placeholder filling ([`fill_placeholders`]) and the outcome of a delete
//! ([`deleted`]). Each kind's op -> SDK calls live beside each other: [`rest`] (REST APIs,
//! with their usage plans and API keys in `usage`), [`http`] (HTTP APIs); [`lambda`] holds
//! the Lambda permission calls both use.
//!
//! Errors are classified by code ([`crate::aws::error::classify`]), never by message text.

pub mod domains;
pub mod http;
pub mod lambda;
mod models;
pub mod rest;
mod usage;
pub mod v2;
pub mod ws;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::error::{classify, AwsError};
use crate::plan::deps::Scheduler;
use crate::plan::rest::ops::{Op, DEPLOYMENT_ID};
use crate::plan::PlanOp;
use crate::plan::API_ID;

/// How many ops [`rest::Executor::run_with`] keeps in flight by default (the quota buckets
/// decide the pace; this only bounds how far ahead calls queue for them).
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

/// What a running op hands back to [`rest::Executor::run_with`] when gwctl itself fails it.
pub(crate) use super::error::internal;

pub(crate) fn hash_map<V: Clone>(m: &BTreeMap<String, V>) -> Option<HashMap<String, V>> {
    (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
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

/// A put or attach call refused as existing: `Ok` with the ConflictException, for the
/// executor to settle by reading back (`Executor::settle_put_conflict`); any other
/// outcome is final (`Err(outcome)`).
pub(crate) fn refused_as_existing<O>(
    res: Result<O, AwsError>,
) -> Result<AwsError, Result<OpOutcome, AwsError>> {
    match res {
        Ok(_) => Err(Ok(OpOutcome::Applied)),
        Err(e) if e.kind == super::error::ErrorKind::Conflict => Ok(e),
        Err(e) => Err(Err(e)),
    }
}

/// The ARN tag-resource and untag-resource take for an API Gateway resource of both API
/// families outside an API (`/apikeys/{id}`, `/domainnames/{name}`) in `region`:
/// `arn:aws:apigateway:{region}::{path}` (the `aws` partition).
pub(crate) fn apigateway_arn(region: &str, path: &str) -> String {
    format!("arn:aws:apigateway:{region}::{path}")
}

/// After attempt `attempt` of an op met a ConflictException that its lookup showed to be a
/// concurrent modification (nothing there): wait a backoff ([`RetryKind::Conflict`]) and say
/// whether to try again (at most [`CONFLICT_ATTEMPTS`] attempts; none after an interrupt).
///
/// [`RetryKind::Conflict`]: crate::aws::pace::RetryKind::Conflict
pub(crate) async fn conflict_backoff(attempt: u32) -> bool {
    if attempt >= CONFLICT_ATTEMPTS || crate::cancel::requested() {
        return false;
    }
    let policy = crate::aws::pace::RetryPolicy::default();
    let delay = policy.delay(
        crate::aws::pace::RetryKind::Conflict,
        attempt,
        None,
        crate::aws::pace::jitter_unit(),
    );
    tokio::time::sleep(delay).await;
    true
}

/// What one attempt of a create ended with, after a ConflictException was looked into.
pub(crate) enum Settled<T> {
    /// Created, or what exists adopted.
    Done(T),
    /// The create answered ConflictException and the lookup found nothing: a concurrent
    /// modification, worth another attempt.
    Busy(AwsError),
}

/// Run `attempt` until it is [`Settled::Done`] or fails; after a [`Settled::Busy`] try again
/// after a backoff ([`conflict_backoff`]), and return the conflict when the attempts are
/// spent. For the creates the transport hands back on a ConflictException
/// ([`crate::aws::pace::conflict_means_exists`]).
pub(crate) async fn retry_while_busy<T, F, Fut>(mut attempt: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Settled<T>, AwsError>>,
{
    let mut n = 1;
    loop {
        match attempt().await? {
            Settled::Done(v) => return Ok(v),
            Settled::Busy(e) => {
                if !conflict_backoff(n).await {
                    return Err(e);
                }
            }
        }
        n += 1;
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
