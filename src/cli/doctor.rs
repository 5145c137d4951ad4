//! `gwctl doctor [SPEC]`: check that this machine and account can run the spec, and explain
//! the fix for each problem, before anything is changed:
//!
//! 1. an AWS region is configured, and credentials resolve (through the same chain every verb
//!    uses: flags, `AWS_*` environment, profiles with SSO / assume-role / credential_process,
//!    web identity, containers, instance metadata);
//! 2. with a SPEC: the spec is valid and every Lambda function it references exists;
//! 3. API Gateway's account-level CloudWatch Logs role (execution and access logging fail
//!    with "CloudWatch Logs role ARN must be set in account settings" without it).
//!
//! `--fix-logging-role ROLE_ARN` sets that role when none is set; it never replaces a role
//! that is set (often by another team), and gwctl never resets it.
//!
//! [`require_logging_role`] is the same role check for `apply` and `deploy`: one get-account
//! read, only when the plan turns logging on, before any write.

use std::path::PathBuf;

use clap::Args;
use serde::{Deserialize, Serialize};

use crate::aws::account::{self, RoleOutcome};
use crate::aws::config::{self, AwsOptions};
use crate::aws::{read, Clients};
use crate::output::{Printer, SCHEMA_VERSION};

use super::rest::load_spec;
use super::{Failure, GlobalArgs};

#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// A spec: also check it is valid and that its Lambda functions exist, and whether its
    /// stages need the CloudWatch role
    #[arg(value_name = "SPEC")]
    pub spec: Option<PathBuf>,
    /// Set API Gateway's CloudWatch Logs role for this account and region to ROLE_ARN, only
    /// when no role is set (never replaces another role)
    #[arg(long, value_name = "ROLE_ARN")]
    pub fix_logging_role: Option<String>,
}

/// `gwctl doctor --output json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DoctorDoc {
    pub schema_version: u32,
    pub command: String,
    /// No check failed (warnings allowed). The exit code is 1 when false.
    pub ok: bool,
    /// The region in effect, when one is configured.
    pub region: Option<String>,
    pub checks: Vec<CheckDoc>,
    /// API Gateway's CloudWatch Logs role in this account and region (after any fix), when
    /// it could be read and is set.
    pub cloudwatch_role_arn: Option<String>,
    /// With `--fix-logging-role`: `set`, `already_set` or `refused`.
    pub role_fix: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CheckDoc {
    /// `region`, `credentials`, `spec`, `functions`, `cloudwatch_role`.
    pub name: String,
    /// `ok`, `warn` or `fail`.
    pub status: String,
    pub message: String,
    /// What to do about it (for `warn` and `fail`).
    pub hint: Option<String>,
}

struct Report {
    checks: Vec<CheckDoc>,
}

impl Report {
    fn add(&mut self, name: &str, status: &str, message: String, hint: Option<String>) {
        self.checks.push(CheckDoc {
            name: name.into(),
            status: status.into(),
            message,
            hint,
        });
    }
    fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.status == "fail")
    }
}

/// Split a [`config::ConfigError`] message into the message and its `hint:` line.
pub(super) fn split_hint(text: &str) -> (String, Option<String>) {
    match text.split_once("\nhint: ") {
        Some((m, h)) => (m.to_string(), Some(h.to_string())),
        None => (text.to_string(), None),
    }
}

use crate::engine::role_hint;

pub async fn run(args: &DoctorArgs, g: &GlobalArgs, printer: &Printer) -> Result<i32, Failure> {
    let mut r = Report { checks: Vec::new() };
    if let Some(role) = &args.fix_logging_role {
        if !account::is_role_arn(role) {
            return Err(Failure::msg(
                format!("`{role}` is not an IAM role ARN"),
                Some("write `arn:aws:iam::ACCOUNT:role/NAME`".into()),
            ));
        }
    }
    let spec = match &args.spec {
        Some(p) => match load_spec(p, printer) {
            Ok(s) => {
                r.add(
                    "spec",
                    "ok",
                    format!("`{}`: {}", p.display(), crate::spec::summary(&s)),
                    None,
                );
                Some(s)
            }
            Err(_) => {
                r.add(
                    "spec",
                    "fail",
                    format!("`{}` has errors (shown above)", p.display()),
                    Some(format!("`gwctl validate {}` lists them", p.display())),
                );
                None
            }
        },
        None => None,
    };

    let opts = AwsOptions {
        profile: g.profile.clone(),
        region: g.region.clone(),
        endpoint_url: g.endpoint_url.clone(),
        ..Default::default()
    };
    let mut region = None;
    let mut role_arn = None;
    let mut role_fix = None;
    let clients = match config::load_sdk_config(&opts).await {
        Err(e) => {
            let (m, h) = split_hint(&e.to_string());
            r.add("region", "fail", m, h);
            None
        }
        Ok(sdk) => {
            let name = sdk.region().map(|x| x.to_string()).unwrap_or_default();
            r.add("region", "ok", name.clone(), None);
            region = Some(name);
            match config::check_credentials(&sdk).await {
                Err(e) => {
                    let (m, h) = split_hint(&e.to_string());
                    r.add("credentials", "fail", m, h);
                    None
                }
                Ok(()) => {
                    let profile = g
                        .profile
                        .clone()
                        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()));
                    r.add(
                        "credentials",
                        "ok",
                        match profile {
                            Some(p) => format!("found (profile `{p}`)"),
                            None => "found".into(),
                        },
                        None,
                    );
                    match config::clients_from(&sdk, &opts) {
                        Ok(c) => Some(c),
                        Err(e) => {
                            let (m, h) = split_hint(&e.to_string());
                            r.add("region", "fail", m, h);
                            None
                        }
                    }
                }
            }
        }
    };

    if let Some(clients) = &clients {
        // Functions first: their ARNs give the account id for the role hint.
        let mut account_id = None;
        if let Some(spec) = &spec {
            match read::resolve_functions(clients, spec).await {
                Ok(fns) => {
                    account_id = fns.first().map(|f| f.account.clone());
                    r.add(
                        "functions",
                        "ok",
                        format!("{} of {} found", fns.len(), spec.functions.len()),
                        None,
                    );
                }
                Err(errors) => {
                    for e in &errors {
                        let hint = if e.error.is_not_found() {
                            Some("create the function first, or fix its name, ARN or alias (the region and account must be the ones gwctl uses)".to_string())
                        } else {
                            None
                        };
                        r.add(
                            "functions",
                            "fail",
                            format!(
                                "{}:{}: function `{}`: {}",
                                spec.file.display(),
                                e.pos.line,
                                e.key,
                                if e.error.is_not_found() {
                                    format!("Lambda function `{}` does not exist", e.name_or_arn)
                                } else {
                                    e.error.to_string()
                                }
                            ),
                            hint,
                        );
                    }
                }
            }
        }
        role_check(
            clients,
            args,
            spec.as_ref(),
            account_id.as_deref(),
            &mut r,
            &mut role_arn,
            &mut role_fix,
        )
        .await;
    }

    let ok = !r.failed();
    if printer.json() {
        printer.document(&DoctorDoc {
            schema_version: SCHEMA_VERSION,
            command: "doctor".into(),
            ok,
            region,
            checks: r.checks,
            cloudwatch_role_arn: role_arn,
            role_fix,
        });
    } else {
        use crate::term::escape;
        let mut s = String::new();
        for (i, c) in r.checks.iter().enumerate() {
            let (label, sgr) = match c.status.as_str() {
                "ok" => ("ok  ", "32"),
                "warn" => ("warn", "33"),
                _ => ("fail", "31;1"),
            };
            // Painted: the rest is escaped (messages quote names and AWS's answers).
            s.push_str(&format!(
                "{}  {:<17}{}\n",
                printer.paint(label, sgr),
                escape(&c.name),
                escape(&c.message)
            ));
            // The same hint for several checks in a row (missing functions): once, at the end.
            let next_hint = r.checks.get(i + 1).and_then(|n| n.hint.as_deref());
            if let Some(h) = c.hint.as_deref().filter(|h| next_hint != Some(*h)) {
                s.push_str(&format!(
                    "      {}: {}\n",
                    printer.paint("hint", "36"),
                    escape(h)
                ));
            }
        }
        printer.data_painted(&s);
    }
    Ok(if ok {
        crate::exit::OK
    } else {
        crate::exit::ERROR
    })
}

/// The spec's stages whose logging needs the account's CloudWatch Logs role (the kind's rule).
async fn logging_role_stages<F: crate::engine::Flavour>(
    spec: &crate::spec::Spec,
    region: &str,
) -> Vec<String> {
    F::stages_needing_logging_role(spec, region)
}

/// The CloudWatch role: read it, fix it when asked, and judge it against the spec's stages.
async fn role_check(
    clients: &Clients,
    args: &DoctorArgs,
    spec: Option<&crate::spec::Spec>,
    account_id: Option<&str>,
    r: &mut Report,
    role_arn: &mut Option<String>,
    role_fix: &mut Option<String>,
) {
    const NAME: &str = "cloudwatch_role";
    let region = &clients.region;
    if let Some(want) = &args.fix_logging_role {
        match account::ensure_cloudwatch_role(clients, want).await {
            Ok(RoleOutcome::Set) => {
                *role_arn = Some(want.clone());
                *role_fix = Some("set".into());
                r.add(
                    NAME,
                    "ok",
                    format!("set to `{want}` in {region} (no role was set)"),
                    None,
                );
            }
            Ok(RoleOutcome::AlreadySet) => {
                *role_arn = Some(want.clone());
                *role_fix = Some("already_set".into());
                r.add(
                    NAME,
                    "ok",
                    format!("already `{want}` in {region}; nothing to do"),
                    None,
                );
            }
            Ok(RoleOutcome::Refused { existing }) => {
                *role_fix = Some("refused".into());
                r.add(
                    NAME,
                    "fail",
                    format!(
                        "API Gateway already uses the role `{existing}` in {region}; refusing to replace it with `{want}`"
                    ),
                    Some(format!(
                        "the role is shared by every API in the region (maybe set by another team): gwctl never replaces it. Logging already works with `{existing}`; to change it anyway, use the console or `aws apigateway update-account`"
                    )),
                );
                *role_arn = Some(existing);
            }
            Err(e) => r.add(
                NAME,
                "fail",
                format!("could not set the CloudWatch Logs role: {e}"),
                Some(
                    "the role must exist and trust apigateway.amazonaws.com; the credentials need `apigateway:PATCH` on `/account` and `iam:PassRole` on the role"
                        .into(),
                ),
            ),
        }
        return;
    }
    let needs: Vec<String> = match spec {
        Some(s) => crate::engine::with_flavour!(s.api.kind, logging_role_stages(s, region)),
        None => Vec::new(),
    };
    match account::cloudwatch_role(clients).await {
        Ok(Some(arn)) => {
            r.add(NAME, "ok", format!("`{arn}` in {region}"), None);
            *role_arn = Some(arn);
        }
        Ok(None) if !needs.is_empty() => r.add(
            NAME,
            "fail",
            format!(
                "not set in {region}: stage {} logs to CloudWatch, and API Gateway refuses that until the account has a CloudWatch Logs role",
                needs.join(", ")
            ),
            Some(role_hint(account_id)),
        ),
        Ok(None) => r.add(
            NAME,
            "warn",
            format!(
                "not set in {region}: stages cannot log to CloudWatch (`logging`, `data_trace` or an `access_log` to a log group) until it is"
            ),
            Some(role_hint(account_id)),
        ),
        Err(e) => r.add(
            NAME,
            "fail",
            format!("could not read API Gateway's account settings: {e}"),
            Some("the credentials need `apigateway:GET` on `/account`".into()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_split_into_message_and_hint() {
        assert_eq!(
            split_hint("no AWS region configured\nhint: pass `--region`"),
            (
                "no AWS region configured".to_string(),
                Some("pass `--region`".to_string())
            )
        );
        assert_eq!(split_hint("plain"), ("plain".to_string(), None));
    }
}
