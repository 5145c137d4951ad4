//! The paced transport as the SDK clients use it (offline: a scripted HTTP client stands in
//! for AWS, and tokio's paused clock makes the waits instant): calls wait for the published
//! quotas, throttled answers are retried after the service's `Retry-After`, the SDK makes
//! one attempt of its own, and the call log counts every HTTP attempt.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_http_client::test_util::infallible_client_fn;
use tokio::time::Instant;

use gwctl::aws::config::{clients_paced, AwsOptions};
use gwctl::aws::pace::{Pacing, RetryPolicy, SAFETY};
use gwctl::aws::Clients;

/// What the fake service saw: (elapsed time, method, path).
type Seen = Arc<Mutex<Vec<(Duration, String, String)>>>;

/// Clients whose HTTP goes to `answer(method, path, n)` (`n`: requests so far).
fn clients(
    pacing: Pacing,
    answer: impl Fn(&str, &str, usize) -> (u16, Vec<(&'static str, String)>, String)
        + Send
        + Sync
        + 'static,
) -> (Clients, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let start = Instant::now();
    let http = infallible_client_fn(move |req: http::Request<aws_smithy_types::body::SdkBody>| {
        let method = req.method().to_string();
        let path = req.uri().path().to_string();
        let n = {
            let mut l = log.lock().unwrap();
            l.push((start.elapsed(), method.clone(), path.clone()));
            l.len()
        };
        let (status, headers, body) = answer(&method, &path, n);
        let mut r = http::Response::builder().status(status);
        for (k, v) in headers {
            r = r.header(k, v);
        }
        r.body(body).unwrap()
    });
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::for_tests()))
        .http_client(http)
        .build();
    let c = clients_paced(&sdk, &AwsOptions::default(), pacing).expect("clients");
    (c, seen)
}

fn ok_api(_: &str, _: &str, _: usize) -> (u16, Vec<(&'static str, String)>, String) {
    (201, vec![], r#"{"id":"a1","rootResourceId":"r1"}"#.into())
}

#[tokio::test(start_paused = true)]
async fn create_rest_api_waits_for_its_own_quota_and_reads_do_not() {
    let (c, seen) = clients(Pacing::Quotas, ok_api);
    for _ in 0..3 {
        c.apigw.create_rest_api().name("x").send().await.unwrap();
    }
    c.apigw.get_rest_apis().send().await.unwrap();
    let seen = seen.lock().unwrap().clone();
    let at: Vec<f64> = seen.iter().map(|s| s.0.as_secs_f64()).collect();
    let gap = 3.0 / SAFETY;
    assert!(at[0] < 0.01, "{at:?}");
    assert!((at[1] - gap).abs() < 0.01, "{at:?}");
    assert!((at[2] - 2.0 * gap).abs() < 0.01, "{at:?}");
    // the read right after does not wait for CreateRestApi's bucket
    assert!(at[3] - at[2] < 0.01, "{at:?}");
    assert!(c.calls.snapshot().iter().all(|r| r.ok && r.attempts == 1));
}

#[tokio::test(start_paused = true)]
async fn edge_apis_wait_for_the_slower_bucket() {
    let (c, seen) = clients(Pacing::Quotas, ok_api);
    for _ in 0..2 {
        c.apigw
            .create_rest_api()
            .name("e")
            .endpoint_configuration(
                aws_sdk_apigateway::types::EndpointConfiguration::builder()
                    .types(aws_sdk_apigateway::types::EndpointType::Edge)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    let seen = seen.lock().unwrap().clone();
    let gap = (seen[1].0 - seen[0].0).as_secs_f64();
    assert!((gap - 30.0 / SAFETY).abs() < 0.01, "{gap}");
}

#[tokio::test(start_paused = true)]
async fn a_429_is_retried_after_retry_after_and_counted_as_one_call() {
    let (c, seen) = clients(Pacing::Quotas, |_, _, n| {
        if n <= 2 {
            (
                429,
                vec![
                    ("x-amzn-ErrorType", "TooManyRequestsException".into()),
                    ("Retry-After", "3".into()),
                    ("Content-Type", "application/json".into()),
                ],
                r#"{"message":"Too Many Requests"}"#.into(),
            )
        } else {
            (200, vec![], r#"{"item":[]}"#.into())
        }
    });
    c.apigw.get_rest_apis().send().await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert!(seen[1].0 - seen[0].0 >= Duration::from_secs(3), "{seen:?}");
    assert!(seen[2].0 - seen[1].0 >= Duration::from_secs(3), "{seen:?}");
    let calls = c.calls.snapshot();
    assert_eq!(calls.len(), 1, "one operation in the log: {calls:?}");
    assert_eq!((calls[0].ok, calls[0].attempts), (true, 3));
}

#[tokio::test(start_paused = true)]
async fn a_lasting_5xx_fails_after_the_policys_attempts_not_the_sdks_times_ours() {
    let (c, seen) = clients(Pacing::Quotas, |_, _, _| {
        (
            503,
            vec![("x-amzn-ErrorType", "ServiceUnavailableException".into())],
            r#"{"message":"Service Unavailable"}"#.into(),
        )
    });
    let err = c.apigw.get_rest_apis().send().await.unwrap_err();
    let err = gwctl::aws::error::classify("GetRestApis", err);
    assert_eq!(err.kind, gwctl::aws::error::ErrorKind::Service);
    let attempts = RetryPolicy::default().failed as usize;
    assert_eq!(seen.lock().unwrap().len(), attempts);
    let calls = c.calls.snapshot();
    assert_eq!((calls[0].ok, calls[0].attempts as usize), (false, attempts));
}

#[tokio::test(start_paused = true)]
async fn lambda_calls_do_not_draw_from_api_gateways_buckets() {
    let (c, seen) = clients(Pacing::MaxRps(1.0), |method, path, _| {
        if path.starts_with("/2015-03-31") {
            let body = if method == "GET" {
                r#"{"Configuration":{"FunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:f"}}"#
            } else {
                r#"{"Statement":"{}"}"#
            };
            (200, vec![], body.into())
        } else {
            (200, vec![], r#"{"item":[]}"#.into())
        }
    });
    // Exhaust API Gateway's total (--max-rps 1: burst 4, less one of margin)...
    for _ in 0..3 {
        c.apigw.get_rest_apis().send().await.unwrap();
    }
    let before = Instant::now();
    // ... Lambda calls still go at once.
    for _ in 0..10 {
        c.lambda
            .get_function()
            .function_name("f")
            .send()
            .await
            .unwrap();
    }
    assert!(Instant::now() - before < Duration::from_millis(10));
    // ... while the next API Gateway call waits about a second.
    c.apigw.get_rest_apis().send().await.unwrap();
    let waited = Instant::now() - before;
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    assert_eq!(seen.lock().unwrap().len(), 14);
}

#[tokio::test(start_paused = true)]
async fn max_rps_off_sends_at_once() {
    let (c, seen) = clients(Pacing::Off, ok_api);
    for _ in 0..5 {
        c.apigw.create_rest_api().name("x").send().await.unwrap();
    }
    let last = seen.lock().unwrap().last().unwrap().0;
    assert!(last < Duration::from_millis(10), "{last:?}");
}

/// Issue 17: several APIs of one run share the pacer. Served first come, first served, they
/// progress evenly and reach their deployments (1 per 5 s per account) together at the end,
/// which then queue after every other call is done. Ranked by their place in the run
/// (`pace::ranked`, as `engine::multi::apply_all` does), the first API finishes first and
/// the deployments spread over the run: the whole stays within 1.1× the quota bound.
#[tokio::test(start_paused = true)]
async fn ranked_apis_under_one_pacer_deploy_spread_out_within_the_bound() {
    use std::collections::BTreeMap;

    use gwctl::aws::pace::{lower_bound_seconds, ranked};
    use gwctl::engine::multi::join_all;

    const APIS: usize = 5;
    const CALLS: usize = 60;
    let (c, seen) = clients(Pacing::Quotas, ok_api);
    let started = Instant::now();
    let work = (0..APIS)
        .map(|i| {
            let c = c.clone();
            ranked(i as u32, async move {
                let id = format!("api{i}");
                for _ in 0..CALLS {
                    c.apigw
                        .get_rest_api()
                        .rest_api_id(&id)
                        .send()
                        .await
                        .unwrap();
                }
                c.apigw
                    .create_deployment()
                    .rest_api_id(&id)
                    .send()
                    .await
                    .unwrap();
                started.elapsed().as_secs_f64()
            })
        })
        .collect();
    let done = join_all(work).await;
    let wall = started.elapsed().as_secs_f64();

    let calls = BTreeMap::from([
        ("GetRestApi".to_string(), APIS * CALLS),
        ("CreateDeployment".to_string(), APIS),
    ]);
    let bound = lower_bound_seconds(&calls);
    assert!(
        wall <= 1.1 * bound,
        "{wall:.1} s for a bound of {bound:.1} s; APIs done at {done:?}"
    );
    // The APIs finish in the order of the run, and the first deploys early.
    assert!(done.windows(2).all(|w| w[0] < w[1]), "{done:?}");
    assert!(done[0] < 0.25 * wall, "{done:?}");
    // The deployments are spread over the run, not queued at its end.
    let deploys: Vec<f64> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, m, p)| m == "POST" && p.ends_with("/deployments"))
        .map(|(at, _, _)| at.as_secs_f64())
        .collect();
    assert_eq!(deploys.len(), APIS);
    assert!(deploys[0] < 0.25 * wall, "{deploys:?}");
    // Ranking never lends more than the account allows: the k-th call (counting from 1) is
    // not sent before the burst and the rate allow it.
    let at: Vec<f64> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.0.as_secs_f64())
        .collect();
    let (rate, burst) = (10.0 * SAFETY, 39.0);
    for (k, t) in at.iter().enumerate() {
        let earliest = ((k + 1) as f64 - burst) / rate;
        assert!(
            *t >= earliest - 1e-6,
            "call {} at {t} before {earliest}",
            k + 1
        );
    }
}

/// A ranked call does not wait forever behind calls of lower ranks: after `PATIENCE` it
/// goes first, long before its signature (5 minutes) could expire.
#[tokio::test(start_paused = true)]
async fn a_late_rank_still_gets_a_call_through_within_its_patience() {
    use gwctl::aws::pace::{ranked, PATIENCE};
    use gwctl::engine::multi::join_all;

    let (c, _) = clients(Pacing::Quotas, ok_api);
    let started = Instant::now();
    let busy = {
        let c = c.clone();
        Box::pin(ranked(0, async move {
            // more than PATIENCE worth of calls at the account rate
            let n = (PATIENCE.as_secs_f64() * 10.0 * 1.5) as usize;
            for _ in 0..n {
                c.apigw
                    .get_rest_api()
                    .rest_api_id("a")
                    .send()
                    .await
                    .unwrap();
            }
            started.elapsed()
        })) as std::pin::Pin<Box<dyn std::future::Future<Output = Duration>>>
    };
    let late = {
        let c = c.clone();
        Box::pin(ranked(1, async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            c.apigw
                .get_rest_api()
                .rest_api_id("b")
                .send()
                .await
                .unwrap();
            started.elapsed()
        })) as std::pin::Pin<Box<dyn std::future::Future<Output = Duration>>>
    };
    let done = join_all(vec![busy, late]).await;
    assert!(done[1] < done[0], "{done:?}");
    assert!(
        done[1] <= Duration::from_secs(5) + PATIENCE + Duration::from_secs(1),
        "{done:?}"
    );
}
