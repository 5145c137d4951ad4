//! The Lambda permission calls both kinds of API make (a permission op lets API Gateway
//! invoke a function): add-permission after a look at the policy, remove-permission.
//!
//! Idempotence under retries: add-permission answered ResourceConflictException is done only
//! when the policy already holds a statement with that id that grants exactly what the op
//! asks ([`OpOutcome::AlreadyPresent`]); otherwise it is an error, or, with no such statement,
//! a concurrent modification tried again after a backoff ([`super::CONFLICT_ATTEMPTS`]). A remove
//! answered NotFound is done ([`OpOutcome::AlreadyGone`]).

use super::{conflict_backoff, deleted, OpOutcome};
use crate::aws::error::{classify, AwsError, ErrorKind};
use crate::aws::read::{get_policy, split_function_arn};
use crate::aws::recover::{create_or_find, find, grants, Identity, Made};
use crate::aws::Clients;
use crate::plan::permissions::PermissionOp;

/// Principal and action of every permission gwctl adds.
pub use crate::plan::permissions::{APIGATEWAY_PRINCIPAL, INVOKE_ACTION};

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
            None if conflict_backoff(attempt).await => attempt += 1,
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
