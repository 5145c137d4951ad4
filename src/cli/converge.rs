//! Applying a plan so that the account converges even when something else changes it at the
//! same time, for both kinds of API: another gwctl run of the same spec, a console edit, or a
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

use crate::aws::error::{AwsError, ErrorKind};
use crate::aws::exec::{ExecFailure, ExecReport};
use crate::aws::Clients;
use crate::output::Printer;
use crate::spec::model::Spec;
use crate::state::rest::ApiSummary;

use super::http::PreparedHttp;
use super::rest::{is_owned, Prepared, Target};
use super::Failure;

/// What the convergence loop needs from a prepared plan of either kind of API.
pub(super) trait Prep: Sized {
    /// `rest api` or `http api`, for messages.
    const KIND: &'static str;
    fn spec(&self) -> &Spec;
    fn is_empty(&self) -> bool;
    fn len(&self) -> usize;
    /// The plan starts by creating the API.
    fn creates_api(&self) -> bool;
    /// What the account holds, as compared between two reads (the plan file's fingerprint).
    fn fingerprint(&self, region: &str) -> String;
    async fn prepare(
        clients: &Clients,
        spec: Spec,
        target: &Target,
        printer: &Printer,
    ) -> Result<Self, Failure>;
    async fn run(&self, clients: &Clients, printer: &Printer) -> Result<ExecReport, ExecFailure>;
    /// The APIs named `name` (oldest first, ties by id).
    async fn list(clients: &Clients, name: &str) -> Result<Vec<ApiSummary>, AwsError>;
    /// Delete the API `ours` this run created, after the permission statements it added.
    async fn delete_ours(
        &self,
        clients: &Clients,
        ours: &str,
        printer: &Printer,
    ) -> Result<(), ExecFailure>;
}

impl Prep for Prepared {
    const KIND: &'static str = "rest api";
    fn spec(&self) -> &Spec {
        &self.spec
    }
    fn is_empty(&self) -> bool {
        self.plan.is_empty()
    }
    fn len(&self) -> usize {
        self.plan.ops.len()
    }
    fn creates_api(&self) -> bool {
        matches!(
            self.plan.ops.first(),
            Some(crate::plan::Op::CreateRestApi { .. })
        )
    }
    fn fingerprint(&self, region: &str) -> String {
        super::planfile::fingerprint(self, region)
    }
    async fn prepare(
        clients: &Clients,
        spec: Spec,
        target: &Target,
        printer: &Printer,
    ) -> Result<Self, Failure> {
        super::rest::prepare(clients, spec, target, printer).await
    }
    async fn run(&self, clients: &Clients, printer: &Printer) -> Result<ExecReport, ExecFailure> {
        super::apply::run_ops(clients, self.observed.as_ref(), &self.plan.ops, printer).await
    }
    async fn list(clients: &Clients, name: &str) -> Result<Vec<ApiSummary>, AwsError> {
        crate::aws::read::rest::find_rest_apis(clients, name).await
    }
    async fn delete_ours(
        &self,
        clients: &Clients,
        ours: &str,
        printer: &Printer,
    ) -> Result<(), ExecFailure> {
        use crate::plan::Op;
        let mut cleanup: Vec<Op> = self
            .desired
            .permissions
            .iter()
            .map(|perm| Op::RemovePermission {
                function: perm.function.clone(),
                function_key: perm.function_key.clone(),
                statement_id: perm.statement_id.replace(crate::plan::API_ID, ours),
            })
            .collect();
        cleanup.push(Op::DeleteRestApi { id: ours.into() });
        super::apply::run_ops(clients, None, &cleanup, printer)
            .await
            .map(|_| ())
    }
}

impl Prep for PreparedHttp {
    const KIND: &'static str = "http api";
    fn spec(&self) -> &Spec {
        &self.spec
    }
    fn is_empty(&self) -> bool {
        self.plan.is_empty()
    }
    fn len(&self) -> usize {
        self.plan.ops.len()
    }
    fn creates_api(&self) -> bool {
        matches!(
            self.plan.ops.first(),
            Some(crate::plan::HttpOp::CreateApi { .. })
        )
    }
    fn fingerprint(&self, region: &str) -> String {
        super::planfile::fingerprint_http(self, region)
    }
    async fn prepare(
        clients: &Clients,
        spec: Spec,
        target: &Target,
        printer: &Printer,
    ) -> Result<Self, Failure> {
        super::http::prepare(clients, spec, target, printer).await
    }
    async fn run(&self, clients: &Clients, printer: &Printer) -> Result<ExecReport, ExecFailure> {
        super::http::run_ops(clients, self.observed.as_ref(), &self.plan.ops, printer).await
    }
    async fn list(clients: &Clients, name: &str) -> Result<Vec<ApiSummary>, AwsError> {
        crate::aws::read::http::find_http_apis(clients, name).await
    }
    async fn delete_ours(
        &self,
        clients: &Clients,
        ours: &str,
        printer: &Printer,
    ) -> Result<(), ExecFailure> {
        use crate::plan::HttpOp;
        let mut cleanup: Vec<HttpOp> = self
            .desired
            .permissions
            .iter()
            .map(|perm| HttpOp::RemovePermission {
                function: perm.function.clone(),
                function_key: perm.function_key.clone(),
                statement_id: perm.statement_id.replace(crate::plan::API_ID, ours),
            })
            .collect();
        cleanup.push(HttpOp::DeleteApi { id: ours.into() });
        super::http::run_ops(clients, None, &cleanup, printer)
            .await
            .map(|_| ())
    }
}

/// Run the plan of `prep`, converging as the module documentation describes. Returns the
/// plan that was run last (re-planned after a conflict or a lost race) and its result.
pub(super) async fn execute_converging<P: Prep>(
    clients: &Clients,
    mut prep: P,
    target: &Target,
    printer: &Printer,
) -> Result<(P, Result<ExecReport, ExecFailure>), Failure> {
    let kind = P::KIND;
    let mut target = target.clone();
    // The API this run created, and when: checked for a concurrent twin once the run
    // stops conflicting.
    let mut created: Option<(String, Instant)> = None;
    for _ in 0..4 {
        let creates = prep.creates_api();
        let run_started = Instant::now();
        let result = prep.run(clients, printer).await;
        let ours = match &result {
            Ok(r) => r.api_id.clone(),
            Err(f) => f.api_id.clone(),
        };
        if let (true, Some(id)) = (creates, &ours) {
            created = Some((id.clone(), run_started));
        }
        if let (Err(f), Some(id)) = (&result, &ours) {
            if f.error.kind == ErrorKind::Conflict {
                printer.warn(&format!(
                    "the api changed while applying ({}: {}); planning again",
                    f.op, f.error.message
                ));
                target.api_id = Some(id.clone());
                prep = P::prepare(clients, prep.spec().clone(), &target, printer).await?;
                if prep.is_empty() {
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
        let name = prep.spec().api.name.value.clone();
        let owned: Vec<ApiSummary> = P::list(clients, &name)
            .await
            .map_err(|e| Failure::aws(e, None))?
            .into_iter()
            .filter(|a| is_owned(&a.tags))
            .collect();
        let winner = match owned.first() {
            Some(w) if w.id != ours && owned.iter().any(|a| a.id == ours) => w.id.clone(),
            _ => return Ok((prep, result)),
        };
        printer.warn(&format!(
            "another gwctl run created {kind} `{name}` at the same time (`{winner}`); keeping the oldest and deleting ours (`{ours}`)"
        ));
        // Our statements first (a statement that is not there counts as removed), then
        // our API: nothing this run added is left behind.
        prep.delete_ours(clients, &ours, printer)
            .await
            .map_err(|f| {
                Failure::msg(
                    format!("could not delete the duplicate api `{ours}`: {}", f.error),
                    Some(format!("delete it with `gwctl destroy --api-id {ours}`")),
                )
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
            prep = P::prepare(clients, prep.spec().clone(), &target, printer).await?;
            if prep.is_empty() {
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
        printer.info(&format!(
            "the other run stopped with {} call(s) left to make; applying them",
            prep.len()
        ));
    }
    Err(Failure::msg(
        "gave up converging: the api kept changing under this run".into(),
        Some("run `gwctl apply` again when the other runs have finished".into()),
    ))
}

fn empty_report(api_id: String) -> ExecReport {
    ExecReport {
        api_id: Some(api_id),
        deployment_id: None,
        outcomes: Vec::new(),
    }
}
