//! API Gateway's account settings (one per account and region): the IAM role API Gateway
//! assumes to write execution and access logs to CloudWatch Logs.
//!
//! A stage that logs to CloudWatch fails with "CloudWatch Logs role ARN must be set in account
//! settings to enable logging" while this role is unset. The role is shared by every API in
//! the region, often configured by another team: gwctl reads it, sets it only when it is
//! unset and asked to (`gwctl doctor --fix-logging-role`), never replaces a different role and
//! never resets it (not even on `destroy`).

use aws_sdk_apigateway::types::{Op as PatchOp, PatchOperation};

use super::error::{classify, AwsError};
use super::Clients;

/// The patch path of the role in update-account.
pub const CLOUDWATCH_ROLE_PATH: &str = "/cloudwatchRoleArn";

/// The role API Gateway writes CloudWatch logs with in this account and region
/// (get-account); `None` when unset.
pub async fn cloudwatch_role(c: &Clients) -> Result<Option<String>, AwsError> {
    let out = c
        .apigw
        .get_account()
        .send()
        .await
        .map_err(|e| classify("GetAccount", e))?;
    Ok(out
        .cloudwatch_role_arn()
        .filter(|a| !a.trim().is_empty())
        .map(str::to_string))
}

/// What [`ensure_cloudwatch_role`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleOutcome {
    /// The role was unset; it is now `role` (one update-account call).
    Set,
    /// The role already was `role`: nothing to do, no write.
    AlreadySet,
    /// Another role is configured: left as it is (no write).
    Refused { existing: String },
}

/// Set the account's CloudWatch role to `role` only when no role is configured. Reads once;
/// writes at most once; never replaces a different role.
pub async fn ensure_cloudwatch_role(c: &Clients, role: &str) -> Result<RoleOutcome, AwsError> {
    match cloudwatch_role(c).await? {
        Some(existing) if existing == role => Ok(RoleOutcome::AlreadySet),
        Some(existing) => Ok(RoleOutcome::Refused { existing }),
        None => {
            c.apigw
                .update_account()
                .patch_operations(
                    PatchOperation::builder()
                        .op(PatchOp::Replace)
                        .path(CLOUDWATCH_ROLE_PATH)
                        .value(role)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| classify("UpdateAccount", e))?;
            Ok(RoleOutcome::Set)
        }
    }
}

/// Whether `s` looks like an IAM role ARN: `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`
/// (the one ARN parser, in `spec::arn`).
pub use crate::spec::arn::is_role_arn;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_are_recognised() {
        assert!(is_role_arn(
            "arn:aws:iam::123456789012:role/apigw-cloudwatch"
        ));
        assert!(is_role_arn(
            "arn:aws:iam::123456789012:role/service-role/apigw"
        ));
        assert!(!is_role_arn("apigw-cloudwatch"));
        assert!(!is_role_arn("arn:aws:iam::123456789012:user/bob"));
        assert!(!is_role_arn("arn:aws:iam::1234:role/x"));
        assert!(!is_role_arn("arn:aws:iam:us-east-1:123456789012:role/x"));
        assert!(!is_role_arn("arn:aws:iam::123456789012:role/"));
    }
}
