//! The one place AWS configuration is resolved: `--profile`, `--region` and `--endpoint-url`
//! first, then the `AWS_*` environment and the shared config files, then the standard
//! credential chain (environment, profiles with SSO / assume-role / credential_process, web
//! identity, containers, instance metadata) — all through aws-config.
//!
//! [`connect`] builds one [`SdkConfig`] and the three clients from it, with gwctl's
//! interceptors attached. It resolves no credentials (so it stays fast and works offline);
//! [`check_credentials`] does, for verbs that want to fail early with a clear message:
//!
//! ```no_run
//! # async fn f(opts: gwctl::aws::config::AwsOptions) -> Result<(), gwctl::aws::config::ConfigError> {
//! use gwctl::aws::config::{check_credentials, clients_from, load_sdk_config};
//! let sdk = load_sdk_config(&opts).await?;
//! check_credentials(&sdk).await?;
//! let clients = clients_from(&sdk, &opts)?;
//! # let _ = clients; Ok(()) }
//! ```

use std::error::Error as StdError;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::Credentials;

use super::interceptors::{CallRecorder, StripNullMapValues};
use super::{CallLog, Clients};

/// AWS settings given on the command line. `None` leaves the decision to the environment and
/// the shared config files, exactly as the AWS CLI does.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// `--profile`: named profile from `~/.aws/config` (else `AWS_PROFILE`, else `default`).
    pub profile: Option<String>,
    /// `--region` (else `AWS_REGION` / `AWS_DEFAULT_REGION`, else the profile's `region`).
    pub region: Option<String>,
    /// `--endpoint-url`: every service call goes there (else `AWS_ENDPOINT_URL_<SERVICE>`,
    /// `AWS_ENDPOINT_URL`, the profile's `endpoint_url` / `services` section).
    pub endpoint_url: Option<String>,
    /// Fixed credentials instead of the standard chain. The CLI leaves this `None`; tests use it
    /// to talk to the local emulator without touching the process environment.
    pub credentials: Option<Credentials>,
}

/// What is missing or wrong in the AWS configuration, and what to set.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no AWS region configured\nhint: pass `--region REGION` (e.g. `--region us-east-1`), set \
         AWS_REGION, or add `region = REGION` to profile `{profile}` in ~/.aws/config"
    )]
    MissingRegion { profile: String },

    #[error(
        "invalid endpoint URL `{url}`: {reason}\nhint: give a URL like `http://127.0.0.1:5000`"
    )]
    InvalidEndpointUrl { url: String, reason: &'static str },

    #[error(
        "no AWS credentials found\nhint: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or \
         pass `--profile NAME` / set AWS_PROFILE to a profile in ~/.aws/config (for SSO \
         profiles run `aws sso login --profile NAME` first)"
    )]
    MissingCredentials,

    #[error(
        "could not load AWS credentials: {message}\nhint: check the profile in ~/.aws/config and \
         ~/.aws/credentials (for SSO profiles run `aws sso login --profile NAME`)"
    )]
    Credentials { message: String },
}

/// The retry policy every client uses: the SDK's standard mode (3 attempts, exponential backoff
/// with jitter, throttling and 5xx retried) unless `AWS_MAX_ATTEMPTS` / `AWS_RETRY_MODE` or the
/// profile say otherwise. This is the single place to change when gwctl's paced executor takes
/// over throttling.
pub fn retry_policy(resolved: Option<&RetryConfig>) -> RetryConfig {
    resolved.cloned().unwrap_or_else(RetryConfig::standard)
}

/// Resolve the configuration and build the three clients, interceptors attached.
/// No network call is made and no credentials are resolved.
pub async fn connect(opts: &AwsOptions) -> Result<Clients, ConfigError> {
    let sdk = load_sdk_config(opts).await?;
    clients_from(&sdk, opts)
}

/// Resolve the shared [`SdkConfig`] for `opts` (flags first, then environment and profiles).
pub async fn load_sdk_config(opts: &AwsOptions) -> Result<SdkConfig, ConfigError> {
    if let Some(url) = &opts.endpoint_url {
        check_endpoint_url(url)?;
    }
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = &opts.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &opts.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &opts.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(credentials) = &opts.credentials {
        loader = loader.credentials_provider(credentials.clone());
    }
    let sdk = loader.load().await;
    if sdk.region().is_none() {
        return Err(ConfigError::MissingRegion {
            profile: profile_name(opts),
        });
    }
    Ok(sdk)
}

/// Build the clients from a resolved configuration: gwctl's retry policy, the call log on all
/// three, and the null-map fix on API Gateway (REST).
pub fn clients_from(sdk: &SdkConfig, opts: &AwsOptions) -> Result<Clients, ConfigError> {
    let region = sdk
        .region()
        .ok_or_else(|| ConfigError::MissingRegion {
            profile: profile_name(opts),
        })?
        .to_string();
    let retry = retry_policy(sdk.retry_config());
    let calls = CallLog::default();

    let apigw = aws_sdk_apigateway::config::Builder::from(sdk)
        .retry_config(retry.clone())
        .interceptor(StripNullMapValues)
        .interceptor(CallRecorder::new("apigateway", calls.clone()))
        .build();
    let apigw2 = aws_sdk_apigatewayv2::config::Builder::from(sdk)
        .retry_config(retry.clone())
        .interceptor(CallRecorder::new("apigatewayv2", calls.clone()))
        .build();
    let lambda = aws_sdk_lambda::config::Builder::from(sdk)
        .retry_config(retry)
        .interceptor(CallRecorder::new("lambda", calls.clone()))
        .build();

    Ok(Clients {
        apigw: aws_sdk_apigateway::Client::from_conf(apigw),
        apigw2: aws_sdk_apigatewayv2::Client::from_conf(apigw2),
        lambda: aws_sdk_lambda::Client::from_conf(lambda),
        region,
        calls,
    })
}

/// Resolve credentials once (through the same chain the clients use) and explain what to set
/// when there are none. Credential values are never part of the error. A verb that wants to
/// fail early does `load_sdk_config`, `check_credentials`, then `clients_from`.
pub async fn check_credentials(sdk: &SdkConfig) -> Result<(), ConfigError> {
    let Some(provider) = sdk.credentials_provider() else {
        return Err(ConfigError::MissingCredentials);
    };
    match provider.provide_credentials().await {
        Ok(_) => Ok(()),
        Err(CredentialsError::CredentialsNotLoaded(_)) => Err(ConfigError::MissingCredentials),
        Err(err) => Err(ConfigError::Credentials {
            message: error_chain(&err),
        }),
    }
}

fn profile_name(opts: &AwsOptions) -> String {
    opts.profile
        .clone()
        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".to_string())
}

fn check_endpoint_url(url: &str) -> Result<(), ConfigError> {
    let invalid = |reason| ConfigError::InvalidEndpointUrl {
        url: url.to_string(),
        reason,
    };
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| invalid("it must start with `http://` or `https://`"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        return Err(invalid("it has no host"));
    }
    if rest.contains(char::is_whitespace) {
        return Err(invalid("it contains whitespace"));
    }
    Ok(())
}

fn error_chain(err: &dyn StdError) -> String {
    let mut s = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        let next = e.to_string();
        if !s.ends_with(&next) {
            s.push_str(": ");
            s.push_str(&next);
        }
        cur = e.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls_are_checked_before_use() {
        assert!(check_endpoint_url("http://127.0.0.1:5000").is_ok());
        assert!(check_endpoint_url("https://apigateway.us-east-1.amazonaws.com/").is_ok());
        let err = check_endpoint_url("127.0.0.1:5000")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("invalid endpoint URL `127.0.0.1:5000`: it must start with `http://`"),
            "{err}"
        );
        assert!(check_endpoint_url("http://:80").is_err());
        assert!(check_endpoint_url("http://").is_err());
    }

    #[test]
    fn missing_region_says_what_to_set() {
        let msg = ConfigError::MissingRegion {
            profile: "dev".into(),
        }
        .to_string();
        assert!(msg.starts_with("no AWS region configured\nhint: pass `--region REGION`"));
        assert!(msg.contains("AWS_REGION"));
        assert!(msg.contains("profile `dev`"));
    }

    #[test]
    fn the_default_retry_policy_is_standard_with_three_attempts() {
        let r = retry_policy(None);
        assert_eq!(r.mode(), aws_config::retry::RetryMode::Standard);
        assert_eq!(r.max_attempts(), 3);
        let custom = RetryConfig::standard().with_max_attempts(7);
        assert_eq!(retry_policy(Some(&custom)).max_attempts(), 7);
    }
}
