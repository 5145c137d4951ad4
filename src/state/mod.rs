//! What exists in AWS, in the same shapes the planner derives from the spec.
//!
//! `rest::RestApi` is used twice: as the *desired* configuration (built from the spec by
//! `plan::rest::desired`) and as the *observed* configuration (read from the account by
//! `aws::read`). Both sides are normalised the same way (`normalize`) so that equal
//! configurations compare equal, whatever defaults the service fills in.

pub mod domains;
pub mod http;
pub mod resource_policy;
pub mod rest;
pub mod usage;
pub mod v2;
pub mod ws;

/// Tag gwctl writes on every API it creates; `find` uses it to recognise its own APIs.
pub const OWNER_TAG_KEY: &str = "gwctl:managed-by";
pub const OWNER_TAG_VALUE: &str = "gwctl";
/// Prefix of the description gwctl writes on deployments: `gwctl:config=<sha256>`.
pub const DEPLOYMENT_MARK: &str = "gwctl:config=";

/// A Lambda function resolved with get-function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedFunction {
    /// Spec-local key.
    pub key: String,
    /// Unqualified function ARN as returned by get-function (`Configuration.FunctionArn`).
    pub function_arn: String,
    /// Function name (last ARN segment).
    pub name: String,
    /// Alias or version used by the spec, if any.
    pub qualifier: Option<String>,
    /// Account id and region, taken from the ARN.
    pub account: String,
    pub region: String,
}

impl ResolvedFunction {
    /// The ARN API Gateway invokes (qualified when the spec names an alias/version).
    pub fn invoke_arn(&self) -> String {
        match &self.qualifier {
            Some(q) => format!("{}:{}", self.function_arn, q),
            None => self.function_arn.clone(),
        }
    }
}

/// One statement of a Lambda resource policy, reduced to what gwctl compares.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct PolicyStatement {
    pub sid: String,
    pub effect: String,
    /// `Principal.Service` when the principal is a service.
    pub principal_service: Option<String>,
    pub action: String,
    pub resource: String,
    /// `Condition.ArnLike.AWS:SourceArn`.
    pub source_arn: Option<String>,
}

/// The Lambda function an API Gateway invocation URI calls:
/// `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations` -> `{arn}`.
pub fn function_from_uri(uri: &str) -> Option<String> {
    let start = uri.find(":lambda:path/")?;
    let rest = &uri[start..];
    let f = rest.find("/functions/")? + "/functions/".len();
    let rest = &rest[f..];
    let end = rest.find("/invocations")?;
    Some(rest[..end].to_string())
}
