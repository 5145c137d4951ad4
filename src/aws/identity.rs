//! Who the credentials in effect are: the account id for a spec's `${aws.account_id}`.
//!
//! One GetCallerIdentity per run, made only when the spec uses `${aws.account_id}`. STS is
//! not API Gateway's quota (its own is hundreds of calls per second), so it is not paced;
//! throttling is retried by the SDK's standard retry policy from the shared config.

use aws_config::SdkConfig;

use super::error::{classify, internal, AwsError};

/// The twelve-digit account of the credentials in `sdk`.
pub async fn account_id(sdk: &SdkConfig) -> Result<String, AwsError> {
    let client = aws_sdk_sts::Client::new(sdk);
    let out = client
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| classify("GetCallerIdentity", e))?;
    out.account()
        .filter(|a| crate::spec::arn::is_account(a))
        .map(str::to_string)
        .ok_or_else(|| {
            internal(
                "GetCallerIdentity",
                "the answer names no twelve-digit account".into(),
            )
        })
}
