//! Applying a plan so that the account converges even when something else changes it at the
//! same time, for every kind of API: another gwctl run of the same spec, a console edit, or a
//! create whose answer was lost and was retried.
//!
//! - A ConflictException means the account changed under this run: plan again from what is
//!   there now instead of failing half-way.
//! - When this run created the API, make sure it is the only one: the oldest API carrying
//!   gwctl's tag wins (ties: the smaller id, so every run agrees); a run whose API lost
//!   deletes it (with the permission statements it added), watches while the winning run
//!   makes progress, and applies what is left of its spec to the winner. API Gateway records
//!   creation times in whole seconds, so the check waits until two seconds after the run
//!   started: an API created in the same second by another run is visible by then.

use std::time::{Duration, Instant};

use crate::aws::error::ErrorKind;
use crate::aws::exec::{ExecFailure, ExecReport};
use crate::aws::Clients;
use crate::state::rest::ApiSummary;

use super::find::is_owned;
use super::{prepare, run, EngineError, Event, Flavour, Prepared, Reporter, Target};

/// Run the plan of `prep`, converging as the module documentation describes. Returns the
/// plan that was run last (re-planned after a conflict or a lost race) and its result.
pub async fn execute_converging<F: Flavour>(
    clients: &Clients,
    mut prep: Prepared<F>,
    target: &Target,
    reporter: &dyn Reporter,
) -> Result<(Prepared<F>, Result<ExecReport, ExecFailure>), EngineError> {
    let mut target = target.clone();
    // The API this run created, and when: checked for a concurrent twin once the run
    // stops conflicting.
    let mut created: Option<(String, Instant)> = None;
    if target.definition && F::HAS_DEFINITION && prep.creates_api() {
        // The definition path: CreateRestApi (owned from its first moment, so a run killed
        // after it finds the API again and goes on granularly), one PutRestApi of the whole
        // definition, then the ordinary plan against what AWS built completes it. A refused
        // definition leaves the granular path to do everything. Either way the end state is
        // the one the planner converges to.
        let run_started = Instant::now();
        let first = &prep.plan.ops[..1];
        let created_api = run::<F>(clients, None, first, reporter).await;
        let id = match created_api {
            Ok(r) => r.api_id.clone().unwrap_or_default(),
            Err(f) => return Ok((prep, Err(f))),
        };
        if let Some(put) = F::put_definition(clients, &prep.desired, &id).await {
            let message = put.err().map(|e| e.to_string());
            reporter.event(Event::Definition {
                refused: message.as_deref(),
            });
        }
        created = Some((id.clone(), run_started));
        target.api_id = Some(id.clone());
        prep = prepare::<F>(clients, prep.spec.clone(), &target).await?;
    }
    for _ in 0..4 {
        let creates = prep.creates_api();
        let run_started = Instant::now();
        let result = run::<F>(clients, prep.observed.as_ref(), &prep.plan.ops, reporter).await;
        let ours = match &result {
            Ok(r) => r.api_id.clone(),
            Err(f) => f.api_id.clone(),
        };
        if let (true, Some(id)) = (creates, &ours) {
            created = Some((id.clone(), run_started));
        }
        if let (Err(f), Some(id)) = (&result, &ours) {
            if f.error.kind == ErrorKind::Conflict {
                reporter.event(Event::Replanning {
                    op: f.op,
                    message: &f.error.message,
                });
                target.api_id = Some(id.clone());
                prep = prepare::<F>(clients, prep.spec.clone(), &target).await?;
                if prep.plan.is_empty() {
                    return Ok((prep, Ok(empty_report(id.clone()))));
                }
                continue;
            }
        }
        let Some((ours, created_at)) = created.take() else {
            return Ok((prep, result));
        };
        if let Some(rest) = Duration::from_secs(2).checked_sub(created_at.elapsed()) {
            tokio::time::sleep(rest).await;
        }
        let name = prep.spec.api.name.value.clone();
        let owned: Vec<ApiSummary> = F::list(clients, &name)
            .await?
            .into_iter()
            .filter(|a| is_owned(&a.tags))
            .collect();
        let winner = match owned.first() {
            Some(w) if w.id != ours && owned.iter().any(|a| a.id == ours) => w.id.clone(),
            _ => return Ok((prep, result)),
        };
        reporter.event(Event::LostRace {
            kind: F::LABEL,
            name: &name,
            winner: &winner,
            ours: &ours,
        });
        // Our statements first (a statement that is not there counts as removed), then
        // our API: nothing this run added is left behind.
        let cleanup = F::delete_ours(&prep.desired, &ours);
        run::<F>(clients, None, &cleanup, reporter)
            .await
            .map_err(|f| EngineError::DuplicateNotDeleted {
                id: ours.clone(),
                error: Box::new(f.error),
            })?;
        // The winning run is still applying: writing to its API now would race with it.
        // Watch (read-only) while what the account holds keeps changing; once it stops
        // changing the other run has finished or failed, and whatever is left is ours.
        target = Target {
            api_id: Some(winner.clone()),
            ..target.clone()
        };
        let mut last_seen = String::new();
        let mut stalled = 0;
        loop {
            tokio::time::sleep(Duration::from_secs(3)).await;
            prep = prepare::<F>(clients, prep.spec.clone(), &target).await?;
            if prep.plan.is_empty() {
                return Ok((prep, Ok(empty_report(winner))));
            }
            // Progress is any change in what the account holds (a count of remaining
            // calls can rise while a method is half made).
            let seen = prep.fingerprint(&clients.region);
            if seen != last_seen {
                last_seen = seen;
                stalled = 0;
            } else {
                stalled += 1;
                if stalled >= 2 {
                    break;
                }
            }
        }
        reporter.event(Event::Resuming {
            left: prep.plan.ops.len(),
        });
    }
    Err(EngineError::GaveUpConverging)
}

fn empty_report(api_id: String) -> ExecReport {
    ExecReport {
        api_id: Some(api_id),
        deployment_id: None,
        outcomes: Vec::new(),
    }
}
