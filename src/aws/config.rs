//! The one place AWS configuration is resolved: `--profile`, `--region` and `--endpoint-url`
//! first, then the `AWS_*` environment and the shared config files, then the standard
//! credential chain (environment, profiles with SSO / assume-role / credential_process, web
//! identity, containers, instance metadata) — all through aws-config.
//!
//! [`connect`] builds one [`SdkConfig`] and the three clients from it, with gwctl's
//! interceptors and its quota-paced transport ([`crate::aws::pace`]) attached. It resolves no credentials (so it stays fast and works offline);
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

use std::sync::Arc;

use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_runtime_api::client::stalled_stream_protection::StalledStreamProtectionConfig;

use super::interceptors::{CallRecorder, StripNullMapValues};
use super::pace::{Limiter, PaceTag, PacedHttpClient, Pacing, Service};
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

    /// Not a region name: refused before any call (the SDK would fail each call with its
    /// endpoint resolver's internals).
    #[error("invalid region `{region}` (from {origin}): a region looks like `us-east-1`")]
    InvalidRegion { region: String, origin: String },

    #[error(
        "profile not found: {name}\nhint: {origin} names it, but neither {files} has a \
         `[profile {name}]` section"
    )]
    ProfileNotFound {
        name: String,
        origin: &'static str,
        files: String,
    },

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

/// The SDK's own retry policy for gwctl's clients: **one attempt**. Every request goes through
/// gwctl's paced transport ([`crate::aws::pace`]), which waits for the quota buckets and owns
/// retries (throttling with `Retry-After`, 5xx, concurrent-modification conflicts), so the
/// SDK's layer must not retry on top of it (3 × 10 attempts, blind to the buckets). The mode
/// resolved from `AWS_RETRY_MODE` / the profile is kept; `AWS_MAX_ATTEMPTS` is not honoured
/// for these clients (see [`crate::aws::pace::RetryPolicy`] for gwctl's limits).
pub fn retry_policy(resolved: Option<&RetryConfig>) -> RetryConfig {
    resolved
        .cloned()
        .unwrap_or_else(RetryConfig::standard)
        .with_max_attempts(1)
}

/// Resolve the configuration and build the three clients, interceptors attached, paced by the
/// published quotas. No network call is made and no credentials are resolved.
pub async fn connect(opts: &AwsOptions) -> Result<Clients, ConfigError> {
    connect_paced(opts, Pacing::default()).await
}

/// [`connect`] with an explicit pacing (`--max-rps`).
pub async fn connect_paced(opts: &AwsOptions, pacing: Pacing) -> Result<Clients, ConfigError> {
    let sdk = load_sdk_config(opts).await?;
    clients_paced(&sdk, opts, pacing)
}

/// Resolve the shared [`SdkConfig`] for `opts` (flags first, then environment and profiles).
pub async fn load_sdk_config(opts: &AwsOptions) -> Result<SdkConfig, ConfigError> {
    if let Some(url) = &opts.endpoint_url {
        check_endpoint_url(url)?;
    }
    check_profile_exists(opts)?;
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
    let Some(region) = sdk.region() else {
        return Err(ConfigError::MissingRegion {
            profile: profile_name(opts),
        });
    };
    if !is_region_name(region.as_ref()) {
        return Err(ConfigError::InvalidRegion {
            region: region.to_string(),
            origin: region_origin(opts),
        });
    }
    Ok(sdk)
}

/// A region name as the SDK can put it in a host name: letters, digits and hyphens, not at
/// either end, at most 63 characters (`us-east-1`, `us-gov-west-1`, an emulator's `local`).
pub fn is_region_name(r: &str) -> bool {
    !r.is_empty()
        && r.len() <= 63
        && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !r.starts_with('-')
        && !r.ends_with('-')
}

/// Where the region in effect came from, for the message about an invalid one.
fn region_origin(opts: &AwsOptions) -> String {
    let set = |v: &str| std::env::var(v).is_ok_and(|x| !x.is_empty());
    if opts.region.is_some() {
        "--region".into()
    } else if set("AWS_REGION") {
        "AWS_REGION".into()
    } else if set("AWS_DEFAULT_REGION") {
        "AWS_DEFAULT_REGION".into()
    } else {
        format!("profile `{}`", profile_name(opts))
    }
}

/// A profile chosen by `--profile` or `AWS_PROFILE` must exist in the shared config or
/// credentials file; otherwise the SDK carries on without it and the user reads "no AWS region
/// configured" or a credentials error that never names the profile.
fn check_profile_exists(opts: &AwsOptions) -> Result<(), ConfigError> {
    let (name, origin) = match &opts.profile {
        Some(p) => (p.clone(), "--profile"),
        None => match std::env::var("AWS_PROFILE") {
            Ok(p) if !p.is_empty() => (p, "AWS_PROFILE"),
            _ => return Ok(()),
        },
    };
    if name == "default" {
        return Ok(());
    }
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let file = |var: &str, default: &str| -> Option<std::path::PathBuf> {
        match std::env::var_os(var) {
            Some(p) if !p.is_empty() => Some(p.into()),
            _ => home.as_ref().map(|h| h.join(".aws").join(default)),
        }
    };
    let config = file("AWS_CONFIG_FILE", "config");
    let credentials = file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
    let found = [(&config, true), (&credentials, false)]
        .iter()
        .filter_map(|(p, is_config)| {
            let text = std::fs::read_to_string(p.as_ref()?).ok()?;
            Some(profile_names(&text, *is_config))
        })
        .any(|names| names.contains(&name));
    if found {
        return Ok(());
    }
    let shown: Vec<String> = [config, credentials]
        .into_iter()
        .flatten()
        .map(|p| format!("`{}`", p.display()))
        .collect();
    Err(ConfigError::ProfileNotFound {
        name,
        origin,
        files: shown.join(" nor "),
    })
}

/// Profile names in a shared config file (`[profile NAME]`, `[default]`, and the `[NAME]`
/// form the SDK also reads there) or credentials file (`[NAME]`).
fn profile_names(text: &str, is_config: bool) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let inner = l.strip_prefix('[')?.split(']').next()?.trim();
            let name = if is_config {
                match inner.strip_prefix("profile") {
                    Some(rest) if rest.starts_with(char::is_whitespace) => rest.trim(),
                    _ if inner.contains(char::is_whitespace) => return None,
                    _ => inner,
                }
            } else {
                inner
            };
            Some(name.to_string())
        })
        .collect()
}

/// Build the clients from a resolved configuration, paced by the published quotas: see
/// [`clients_paced`].
pub fn clients_from(sdk: &SdkConfig, opts: &AwsOptions) -> Result<Clients, ConfigError> {
    clients_paced(sdk, opts, Pacing::default())
}

/// Build the clients from a resolved configuration: the paced transport (one set of API
/// Gateway buckets shared by the REST and v2 clients, Lambda's own), gwctl's retry policy,
/// the call log on all three, and the null-map fix on API Gateway (REST).
pub fn clients_paced(
    sdk: &SdkConfig,
    opts: &AwsOptions,
    pacing: Pacing,
) -> Result<Clients, ConfigError> {
    let region = sdk
        .region()
        .ok_or_else(|| ConfigError::MissingRegion {
            profile: profile_name(opts),
        })?
        .to_string();
    let retry = retry_policy(sdk.retry_config());
    let calls = CallLog::default();
    // A client given in the SdkConfig (tests) is wrapped as is; otherwise the SDK's default.
    let transport = sdk.http_client().unwrap_or_else(default_https_client);
    // The paced transport holds a request while it waits for its slot or backs off; the
    // SDK's upload stall detector would take that wait for a stalled body and abort the
    // call after its 5 s grace period. Responses are still watched.
    let stalled = StalledStreamProtectionConfig::enabled()
        .upload_enabled(false)
        .build();
    let apigateway = Arc::new(Limiter::new(Service::ApiGateway, pacing));
    let apigw_http = PacedHttpClient::new(transport.clone(), apigateway);
    let lambda_http = PacedHttpClient::new(
        transport.clone(),
        Arc::new(Limiter::new(Service::Lambda, pacing)),
    );
    let route53_http =
        PacedHttpClient::new(transport, Arc::new(Limiter::new(Service::Route53, pacing)));

    let apigw = aws_sdk_apigateway::config::Builder::from(sdk)
        .stalled_stream_protection(stalled.clone())
        .retry_config(retry.clone())
        .http_client(apigw_http.clone())
        .interceptor(PaceTag)
        .interceptor(StripNullMapValues)
        .interceptor(CallRecorder::new("apigateway", calls.clone()))
        .build();
    let apigw2 = aws_sdk_apigatewayv2::config::Builder::from(sdk)
        .stalled_stream_protection(stalled.clone())
        .retry_config(retry.clone())
        .http_client(apigw_http)
        .interceptor(PaceTag)
        // WebSocket templates (request and integration response) can read back as null too.
        .interceptor(StripNullMapValues)
        .interceptor(CallRecorder::new("apigatewayv2", calls.clone()))
        .build();
    let lambda = aws_sdk_lambda::config::Builder::from(sdk)
        .stalled_stream_protection(stalled.clone())
        .retry_config(retry)
        .http_client(lambda_http)
        .interceptor(PaceTag)
        .interceptor(CallRecorder::new("lambda", calls.clone()))
        .build();
    let route53 = aws_sdk_route53::config::Builder::from(sdk)
        .stalled_stream_protection(stalled.clone())
        .retry_config(retry_policy(sdk.retry_config()))
        .http_client(route53_http)
        .interceptor(PaceTag)
        .interceptor(CallRecorder::new("route53", calls.clone()))
        .build();

    Ok(Clients {
        apigw: aws_sdk_apigateway::Client::from_conf(apigw),
        apigw2: aws_sdk_apigatewayv2::Client::from_conf(apigw2),
        lambda: aws_sdk_lambda::Client::from_conf(lambda),
        route53: aws_sdk_route53::Client::from_conf(route53),
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

/// The SDK's default HTTPS client (hyper 1 with rustls/aws-lc, proxies from the environment),
/// built explicitly so that gwctl's paced transport can wrap it.
fn default_https_client() -> SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::{tls, Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut conn = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    })
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
    fn region_names_are_checked() {
        for ok in ["us-east-1", "us-gov-west-1", "cn-north-1", "local"] {
            assert!(is_region_name(ok), "{ok}");
        }
        for bad in [
            "us east 1",
            "",
            "-us",
            "us-",
            "us_east_1",
            "us-east-1/",
            "é",
        ] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }

    #[test]
    fn profile_sections_are_read_like_the_sdk() {
        let config =
            "[default]\nregion = x\n[profile dev]\n[ profile  ops ]\n[sso-session s]\n[legacy]\n";
        assert_eq!(
            profile_names(config, true),
            ["default", "dev", "ops", "legacy"]
        );
        assert_eq!(profile_names("[ci]\nk = v\n", false), ["ci"]);
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
    fn the_sdk_makes_one_attempt_and_leaves_retries_to_the_paced_transport() {
        let r = retry_policy(None);
        assert_eq!(r.mode(), aws_config::retry::RetryMode::Standard);
        assert_eq!(r.max_attempts(), 1);
        let custom = RetryConfig::adaptive().with_max_attempts(7);
        let r = retry_policy(Some(&custom));
        assert_eq!(r.max_attempts(), 1);
        assert_eq!(r.mode(), aws_config::retry::RetryMode::Adaptive);
    }
}
