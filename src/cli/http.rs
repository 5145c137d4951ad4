//! What only the HTTP API verbs render (`deploy`, `show`): `plan` and `apply` are the same
//! for every kind of API ([`super::apply`]).

use crate::aws::exec::{ExecFailure, ExecReport};
use crate::aws::Clients;
use crate::engine::Http;
use crate::output::{Printer, StageDoc};
use crate::plan::HttpOp;
use crate::state::http::{ObservedHttpApi, Stage};

use super::report::CliReporter;

/// Run HTTP ops with the engine, showing progress.
pub(super) async fn run_ops(
    clients: &Clients,
    observed: Option<&ObservedHttpApi>,
    ops: &[HttpOp],
    printer: &Printer,
) -> Result<ExecReport, ExecFailure> {
    crate::engine::run::<Http>(clients, observed, ops, &CliReporter::new(printer)).await
}

/// One stage's JSON part: `eff` are its settings in effect, `deployment_id` what it serves.
pub fn stage_doc(
    name: &str,
    eff: &Stage,
    deployment_id: Option<String>,
    api_id: &str,
    region: &str,
) -> StageDoc {
    super::apply::stage_doc(crate::engine::http::stage_report(
        name,
        eff,
        deployment_id,
        api_id,
        region,
    ))
}
