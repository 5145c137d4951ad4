//! What the models of both kinds (`rest::simulate`, `http::simulate`) share: the errors
//! they raise where AWS would, and Lambda's add/remove-permission.

use std::collections::BTreeMap;

use crate::state::rest::Policies;
use crate::state::PolicyStatement;

use super::permissions::PermissionOp;
use super::API_ID;

/// Errors the model raises where AWS would (so the planner's ordering is checked too).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error("{0}: no API to act on")]
    NoApi(&'static str),
    #[error("{op}: `{what}` does not exist")]
    Missing { op: &'static str, what: String },
    #[error("{op}: `{what}` already exists (ConflictException)")]
    Conflict { op: &'static str, what: String },
}

/// A Lambda permission op as the service does it (`api` = API id and authorizer ids).
pub(crate) fn permission(
    policies: &mut Policies,
    op: &'static str,
    api: (&str, &BTreeMap<String, String>),
    perm: PermissionOp,
) -> Result<(), SimError> {
    match perm {
        PermissionOp::Add {
            function,
            statement_id,
            source_arn,
            ..
        } => add_statement(policies, op, api, &function, &statement_id, &source_arn),
        PermissionOp::Remove {
            function,
            statement_id,
            ..
        } => remove_statement(policies, op, api.0, &function, &statement_id),
    }
}

/// Lambda add-permission as the service does it: placeholders filled with `api` = (API id,
/// authorizer ids), a statement id that exists already is a ConflictException.
fn add_statement(
    policies: &mut Policies,
    op: &'static str,
    api: (&str, &BTreeMap<String, String>),
    function: &str,
    statement_id: &str,
    source_arn: &str,
) -> Result<(), SimError> {
    let (id, authorizer_ids) = api;
    let sid = statement_id.replace(API_ID, id);
    let mut src = source_arn.replace(API_ID, id);
    for (n, aid) in authorizer_ids {
        src = src.replace(&crate::plan::authorizer_id_placeholder(n), aid);
    }
    let list = policies.entry(function.to_string()).or_default();
    if list.iter().any(|s| s.sid == sid) {
        return Err(SimError::Conflict { op, what: sid });
    }
    list.push(PolicyStatement {
        sid,
        effect: "Allow".into(),
        principal_service: Some("apigateway.amazonaws.com".into()),
        action: "lambda:InvokeFunction".into(),
        resource: function.to_string(),
        source_arn: Some(src),
    });
    Ok(())
}

/// Lambda remove-permission: a missing statement is ResourceNotFound.
fn remove_statement(
    policies: &mut Policies,
    op: &'static str,
    api_id: &str,
    function: &str,
    statement_id: &str,
) -> Result<(), SimError> {
    let sid = statement_id.replace(API_ID, api_id);
    let list = policies.entry(function.to_string()).or_default();
    let before = list.len();
    list.retain(|s| s.sid != sid);
    if list.len() == before {
        return Err(SimError::Missing { op, what: sid });
    }
    Ok(())
}
