//! `gwctl::aws::config`: one configuration for the three clients, flags over environment over
//! profile, errors that say what to set, and the call log every client feeds.

use crate::support;

use std::time::Duration;

use gwctl::aws::config::{
    check_credentials, clients_from, connect, load_sdk_config, retry_policy, AwsOptions,
    ConfigError,
};
use gwctl::aws::CallRecord;

/// Nothing listens there: a client that used it would fail to connect.
const DEAD_ENDPOINT: &str = "http://127.0.0.1:9";

fn ops(calls: &[CallRecord]) -> Vec<(String, String)> {
    calls
        .iter()
        .map(|c| (c.service.clone(), c.operation.clone()))
        .collect()
}

fn pair(service: &str, operation: &str) -> (String, String) {
    (service.to_string(), operation.to_string())
}

#[tokio::test]
async fn all_three_clients_reach_the_emulator_through_connect() {
    let em = support::emulator().await;
    let arns = em.create_functions(&["probe-fn"]).await;
    assert_eq!(
        arns,
        vec![format!(
            "arn:aws:lambda:us-east-1:{}:function:probe-fn",
            support::ACCOUNT_ID
        )]
    );

    let clients = em.clients().await;
    assert_eq!(clients.region, "us-east-1");
    assert!(clients.calls.is_empty(), "setup calls leaked into the log");

    let before = clients.apigw.get_rest_apis().send().await.unwrap();
    assert!(before.items().is_empty());
    let created = clients
        .apigw
        .create_rest_api()
        .name("probe")
        .send()
        .await
        .unwrap();
    let after = clients.apigw.get_rest_apis().send().await.unwrap();
    let names: Vec<_> = after.items().iter().filter_map(|a| a.name()).collect();
    assert_eq!(names, ["probe"]);
    assert_eq!(after.items()[0].id(), created.id());

    let apis = clients.apigw2.get_apis().send().await.unwrap();
    assert!(apis.items().is_empty());

    let functions = clients.lambda.list_functions().send().await.unwrap();
    let fnames: Vec<_> = functions
        .functions()
        .iter()
        .filter_map(|f| f.function_name())
        .collect();
    assert_eq!(fnames, ["probe-fn"]);

    let calls = clients.calls.snapshot();
    assert_eq!(
        ops(&calls),
        vec![
            pair("apigateway", "GetRestApis"),
            pair("apigateway", "CreateRestApi"),
            pair("apigateway", "GetRestApis"),
            pair("apigatewayv2", "GetApis"),
            pair("lambda", "ListFunctions"),
        ]
    );
    assert!(calls.iter().all(|c| c.ok && c.attempts == 1), "{calls:#?}");
    assert!(calls.iter().all(|c| c.duration > Duration::ZERO));
    assert_eq!(clients.calls.writes(), 1);

    // Clones share the log (the executor and readers get clones of `Clients`).
    let clone = clients.clone();
    clone.apigw.get_rest_apis().send().await.unwrap();
    assert_eq!(clients.calls.len(), 6);
}

#[tokio::test]
async fn the_call_log_records_failures_and_retried_attempts() {
    let em = support::emulator().await;
    let clients = em.clients().await;

    let err = clients
        .apigw
        .get_rest_api()
        .rest_api_id("nosuchapi")
        .send()
        .await
        .unwrap_err();
    let err = gwctl::aws::error::classify("GetRestApi", err);
    assert!(err.is_not_found(), "{err:?}");

    // moto answers update-method with a 500 (not implemented): the SDK makes one attempt
    // (retry_policy), gwctl's paced transport retries it as often as its policy allows for
    // 5xx answers, and the log counts every HTTP attempt.
    assert_eq!(
        retry_policy(em.sdk_config().await.retry_config()).max_attempts(),
        1
    );
    let attempts = gwctl::aws::pace::RetryPolicy::default().failed;
    let api = clients
        .apigw
        .create_rest_api()
        .name("retries")
        .send()
        .await
        .unwrap();
    let root = api.root_resource_id().unwrap();
    let result = clients
        .apigw
        .update_method()
        .rest_api_id(api.id().unwrap())
        .resource_id(root)
        .http_method("GET")
        .send()
        .await;
    assert!(result.is_err());

    let calls = clients.calls.snapshot();
    let summary: Vec<_> = calls
        .iter()
        .map(|c| (c.operation.as_str(), c.ok, c.attempts))
        .collect();
    assert_eq!(
        summary,
        [
            ("GetRestApi", false, 1),
            ("CreateRestApi", true, 1),
            ("UpdateMethod", false, attempts)
        ]
    );
    assert_eq!(clients.calls.writes(), 2);
}

#[tokio::test]
async fn endpoint_url_flag_beats_aws_endpoint_url() {
    let em = support::emulator().await;
    let endpoint = em.endpoint();
    if !support::isolated(
        "endpoint_url_flag_beats_aws_endpoint_url",
        &[
            ("GWCTL_EMULATOR_URL", &endpoint),
            ("AWS_ENDPOINT_URL", DEAD_ENDPOINT),
            ("AWS_ENDPOINT_URL_API_GATEWAY", DEAD_ENDPOINT),
            ("AWS_ENDPOINT_URL_APIGATEWAYV2", DEAD_ENDPOINT),
            ("AWS_ENDPOINT_URL_LAMBDA", DEAD_ENDPOINT),
        ],
    ) {
        return;
    }
    // Child process: the environment points every service at a dead port; the flag wins.
    assert_eq!(std::env::var("AWS_ENDPOINT_URL").unwrap(), DEAD_ENDPOINT);
    let clients = em.clients().await;
    clients.apigw.get_rest_apis().send().await.unwrap();
    clients.apigw2.get_apis().send().await.unwrap();
    clients.lambda.list_functions().send().await.unwrap();
    assert_eq!(clients.calls.len(), 3);
}

#[tokio::test]
async fn the_aws_environment_alone_is_enough() {
    let em = support::emulator().await;
    let endpoint = em.endpoint();
    if !support::isolated(
        "the_aws_environment_alone_is_enough",
        &[
            ("GWCTL_EMULATOR_URL", &endpoint),
            ("AWS_ENDPOINT_URL", &endpoint),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "AKIDFROMENV"),
            ("AWS_SECRET_ACCESS_KEY", "secret-from-env"),
        ],
    ) {
        return;
    }
    // Child process: no flags at all, exactly as `gwctl` runs in a CI job.
    let opts = AwsOptions::default();
    let sdk = load_sdk_config(&opts).await.unwrap();
    check_credentials(&sdk).await.unwrap();
    let clients = clients_from(&sdk, &opts).unwrap();
    assert_eq!(clients.region, "us-east-1");
    clients
        .apigw
        .create_rest_api()
        .name("from-env")
        .send()
        .await
        .unwrap();
    // The API landed in the emulator the harness reads too.
    let (status, body) = em.raw("GET", "/restapis", None);
    assert_eq!(status, 200);
    assert!(body.contains("\"from-env\""), "{body}");
    clients.apigw2.get_apis().send().await.unwrap();
    clients.lambda.list_functions().send().await.unwrap();
}

#[tokio::test]
async fn missing_region_error_names_what_to_set() {
    if !support::isolated("missing_region_error_names_what_to_set", &[]) {
        return;
    }
    let err = connect(&AwsOptions::default()).await.unwrap_err();
    assert!(matches!(err, ConfigError::MissingRegion { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "no AWS region configured\nhint: pass `--region REGION` (e.g. `--region us-east-1`), \
         set AWS_REGION, or add `region = REGION` to profile `default` in ~/.aws/config"
    );

    let named = AwsOptions {
        profile: Some("ci".into()),
        ..AwsOptions::default()
    };
    // A profile no config file has is named as such (it used to read "no AWS region").
    let err = connect(&named).await.unwrap_err();
    assert!(
        matches!(err, ConfigError::ProfileNotFound { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("profile not found: ci\n"),
        "{err}"
    );
}

#[tokio::test]
async fn region_comes_from_flag_then_env_then_profile() {
    let config = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("aws-config-regions");
    std::fs::write(
        &config,
        "[default]\nregion = eu-west-1\n\n[profile gwtest]\nregion = ap-southeast-2\n",
    )
    .unwrap();
    if !support::isolated(
        "region_comes_from_flag_then_env_then_profile",
        &[("AWS_CONFIG_FILE", config.to_str().unwrap())],
    ) {
        return;
    }
    // Child process (one test thread, so changing the environment below races nothing).
    async fn region(profile: Option<&str>, region: Option<&str>) -> String {
        let opts = AwsOptions {
            profile: profile.map(str::to_string),
            region: region.map(str::to_string),
            ..AwsOptions::default()
        };
        connect(&opts).await.unwrap().region
    }
    assert_eq!(region(None, None).await, "eu-west-1");
    assert_eq!(region(Some("gwtest"), None).await, "ap-southeast-2");
    assert_eq!(region(Some("gwtest"), Some("us-west-2")).await, "us-west-2");

    std::env::set_var("AWS_PROFILE", "gwtest");
    assert_eq!(region(None, None).await, "ap-southeast-2");
    std::env::set_var("AWS_REGION", "sa-east-1");
    assert_eq!(region(Some("gwtest"), None).await, "sa-east-1");
    assert_eq!(region(None, Some("eu-north-1")).await, "eu-north-1");
}

#[tokio::test]
async fn missing_credentials_error_names_what_to_set() {
    let config = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("aws-config-creds");
    std::fs::write(
        &config,
        "[profile static]\nregion = us-east-1\naws_access_key_id = AKIDPROFILE\n\
         aws_secret_access_key = never-printed-secret\n",
    )
    .unwrap();
    if !support::isolated(
        "missing_credentials_error_names_what_to_set",
        &[
            ("AWS_REGION", "us-east-1"),
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ],
    ) {
        return;
    }
    // Child process: no credentials anywhere.
    let sdk = load_sdk_config(&AwsOptions::default()).await.unwrap();
    let err = check_credentials(&sdk).await.unwrap_err();
    assert!(matches!(err, ConfigError::MissingCredentials), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with("no AWS credentials found\nhint: "), "{msg}");
    for what in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "--profile",
        "AWS_PROFILE",
    ] {
        assert!(msg.contains(what), "`{what}` missing from: {msg}");
    }

    // A profile with credentials satisfies the check (through the standard chain).
    let with_profile = AwsOptions {
        profile: Some("static".into()),
        ..AwsOptions::default()
    };
    let sdk = load_sdk_config(&with_profile).await.unwrap();
    check_credentials(&sdk).await.unwrap();

    // So do the environment variables.
    std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDENV");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "also-never-printed");
    let sdk = load_sdk_config(&AwsOptions::default()).await.unwrap();
    check_credentials(&sdk).await.unwrap();
}

#[tokio::test]
async fn a_malformed_endpoint_url_is_refused_before_any_call() {
    let opts = AwsOptions {
        region: Some("us-east-1".into()),
        endpoint_url: Some("localhost:5000".into()),
        ..AwsOptions::default()
    };
    let err = connect(&opts).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid endpoint URL `localhost:5000`: it must start with `http://` or `https://`\n\
         hint: give a URL like `http://127.0.0.1:5000`"
    );
}
