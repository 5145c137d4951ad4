//! `gwctl apply A.yaml B.yaml C.yaml` on the emulator behind the quota simulator (issue 17,
//! item 2): three APIs (two REST, one HTTP) in one run make exactly the calls the three
//! single-spec runs make together, with no 429, and leave an empty plan (one `destroy` of the
//! three deletes them); one API failing
//! does not stop the others (exit 1, the report says which); a spec error in one spec, or two
//! specs naming one API, stops the run before any call.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support;
use crate::support::cli::{command, text};
use crate::support::quota::QuotaProxy;
use crate::support::Emulator;
use gwctl::cli::multi::{ManyApplyDoc, ManyDestroyDoc, ManyPlanDoc};

const SHOP: &str = "version: 1
api:
  name: multi-shop
  kind: rest
functions:
  f: multi-fn-a
default_auth: none
cors:
  origins: [https://shop.example.com]
routes:
  - {path: /orders, method: GET, function: f}
  - {path: /orders, method: POST, function: f}
  - {path: \"/orders/{id}\", method: GET, function: f}
stages:
  prod: {}
";

const BILLING: &str = "version: 1
api:
  name: multi-billing
  kind: rest
functions:
  g: multi-fn-b
default_auth: none
routes:
  - {path: /invoices, method: GET, function: g}
  - {path: /invoices, method: PUT, function: g}
stages:
  prod: {}
";

const ITEMS: &str = "version: 1
api:
  name: multi-items
  kind: http
functions:
  h: multi-fn-a
default_auth: none
routes:
  - {path: /items, method: GET, function: h}
  - {path: \"/items/{id}\", method: DELETE, function: h}
stages:
  $default:
    auto_deploy: true
";

/// A spec whose function does not exist.
const BROKEN: &str = "version: 1
api:
  name: multi-broken
  kind: rest
functions:
  f: multi-fn-missing
default_auth: none
routes:
  - {path: /x, method: GET, function: f}
stages:
  prod: {}
";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// gwctl with every AWS call sent through `proxy`, pacing at the published quotas.
fn gwctl(em: &Emulator, proxy: &QuotaProxy, args: &[&str]) -> Output {
    command(em, args)
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .env_remove("GWCTL_MAX_RPS")
        .output()
        .expect("run gwctl")
}

fn args<'a>(verb: &'a str, specs: &'a [PathBuf], more: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![verb];
    a.extend(specs.iter().map(|p| p.to_str().unwrap()));
    a.extend(more);
    a
}

/// API Gateway and Lambda calls the simulator saw since its last reset, by
/// `service:operation`, and the throttled ones.
fn seen(proxy: &QuotaProxy) -> (BTreeMap<String, usize>, serde_json::Value) {
    let stats = proxy.stats();
    let mut all = BTreeMap::new();
    for service in ["apigateway", "apigatewayv2", "lambda"] {
        for (op, n) in support::quota::counts(&stats, "calls", service) {
            all.insert(format!("{service}:{op}"), n);
        }
    }
    (all, stats["throttled"].clone())
}

fn is_write(key: &str) -> bool {
    let op = key.split(':').nth(1).unwrap_or_default();
    !["Get", "List"].iter().any(|p| op.starts_with(p))
}

#[tokio::test(flavor = "multi_thread")]
async fn three_specs_in_one_run_make_the_calls_of_three_runs_within_the_quotas() {
    let em = support::emulator().await;
    em.create_functions(&["multi-fn-a", "multi-fn-b"]).await;
    let dir = tempfile::tempdir().unwrap();
    let specs = vec![
        write(dir.path(), "shop.yaml", SHOP),
        write(dir.path(), "billing.yaml", BILLING),
        write(dir.path(), "items.yaml", ITEMS),
    ];
    let proxy = QuotaProxy::start(&em, &[]);

    // The three APIs one after another, one process each, each with the quotas' buckets
    // full (separate processes do not know each other's calls): what one run must add up to.
    let mut alone: BTreeMap<String, usize> = BTreeMap::new();
    for spec in &specs {
        proxy.reset();
        let o = gwctl(
            &em,
            &proxy,
            &args("apply", std::slice::from_ref(spec), &["--yes"]),
        );
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
        let (calls, throttled) = seen(&proxy);
        assert_eq!(throttled, serde_json::json!({}));
        for (k, n) in calls {
            *alone.entry(k).or_default() += n;
        }
    }
    // The same three from nothing in one run.
    em.reset();
    em.create_functions(&["multi-fn-a", "multi-fn-b"]).await;
    proxy.reset();
    let o = gwctl(
        &em,
        &proxy,
        &args("apply", &specs, &["--yes", "--output", "json"]),
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    let doc: ManyApplyDoc = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    let (together, throttled) = seen(&proxy);
    assert_eq!(throttled, serde_json::json!({}), "no 429 in one run either");
    assert_eq!(together, alone, "one run makes exactly the calls of three");
    let writes: usize = together
        .iter()
        .filter(|(k, _)| is_write(k))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(doc.calls.writes, writes);
    assert_eq!(doc.calls.total, together.values().sum::<usize>());

    assert_eq!(doc.result, "applied");
    let names: Vec<(&str, &str, &str)> = doc
        .apis
        .iter()
        .map(|a| (a.api.name.as_str(), a.api.kind.as_str(), a.result.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("multi-shop", "rest", "applied"),
            ("multi-billing", "rest", "applied"),
            ("multi-items", "http", "applied"),
        ]
    );
    for (api, spec) in doc.apis.iter().zip(&specs) {
        assert_eq!(api.spec, spec.display().to_string());
        let id = api.api.id.as_deref().expect("an id");
        let urls: Vec<&str> = api.stages.iter().map(|s| s.invoke_url.as_str()).collect();
        assert_eq!(urls.len(), 1, "{urls:?}");
        assert!(urls[0].contains(id), "{urls:?} names {id}");
        assert!(api.error.is_none());
    }

    // Afterwards the combined plan is empty, and a second run writes nothing.
    proxy.reset();
    let o = gwctl(
        &em,
        &proxy,
        &args("plan", &specs, &["--detailed-exitcode", "--output", "json"]),
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "no changes: {out}\n{err}");
    let plan: ManyPlanDoc = serde_json::from_str(&out).unwrap();
    assert_eq!(plan.apis.len(), 3);
    assert!(plan.apis.iter().all(|a| a.changes.is_empty()));
    let o = gwctl(&em, &proxy, &args("apply", &specs, &["--yes"]));
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    let (calls, _) = seen(&proxy);
    let wrote: Vec<_> = calls.keys().filter(|k| is_write(k)).collect();
    assert!(wrote.is_empty(), "no write after the apply: {wrote:?}");
    assert_eq!(out.matches("no changes").count(), 3, "{out}");

    // One destroy deletes the three, and a second finds none.
    for expected in ["destroyed", "absent"] {
        let o = gwctl(
            &em,
            &proxy,
            &args("destroy", &specs, &["--yes", "--output", "json"]),
        );
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
        let doc: ManyDestroyDoc = serde_json::from_str(&out).unwrap();
        assert_eq!(doc.result, expected);
        let results: Vec<&str> = doc.apis.iter().map(|a| a.result.as_str()).collect();
        assert_eq!(results, vec![expected; 3]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_api_failing_does_not_stop_the_others_and_the_report_says_which() {
    let em = support::emulator().await;
    em.create_functions(&["multi-fn-a", "multi-fn-b"]).await;
    let dir = tempfile::tempdir().unwrap();
    let specs = vec![
        write(dir.path(), "shop.yaml", SHOP),
        write(dir.path(), "broken.yaml", BROKEN),
        write(dir.path(), "billing.yaml", BILLING),
    ];
    let proxy = QuotaProxy::start(&em, &[]);
    let o = gwctl(
        &em,
        &proxy,
        &args("apply", &specs, &["--yes", "--output", "json"]),
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    let doc: ManyApplyDoc = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(doc.result, "failed");
    let results: Vec<(&str, &str)> = doc
        .apis
        .iter()
        .map(|a| (a.api.name.as_str(), a.result.as_str()))
        .collect();
    assert_eq!(
        results,
        vec![
            ("multi-shop", "applied"),
            ("multi-broken", "failed"),
            ("multi-billing", "applied"),
        ]
    );
    let error = doc.apis[1].error.as_ref().expect("the failure");
    assert!(error.message.contains("could not be resolved"), "{error:?}");
    assert!(err.contains("broken.yaml:6:6"), "the spec line: {err}");

    // The two others are complete: their plan is empty.
    let good = vec![specs[0].clone(), specs[2].clone()];
    let o = gwctl(&em, &proxy, &args("plan", &good, &["--detailed-exitcode"]));
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");

    // In text mode the same run (now: two unchanged, one failing) says so too.
    let o = gwctl(&em, &proxy, &args("apply", &specs, &["--yes"]));
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert_eq!(out.matches("no changes").count(), 2, "{out}");
    assert!(
        err.contains("could not be applied: `multi-broken`"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spec_error_or_two_specs_of_one_api_stop_the_run_before_any_call() {
    let em = support::emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "shop.yaml", SHOP);
    let bad = write(
        dir.path(),
        "bad.yaml",
        &BILLING.replace("method: PUT", "method: FETCH"),
    );
    let bad2 = write(
        dir.path(),
        "bad2.yaml",
        &ITEMS.replace("kind: http", "kind: soap"),
    );
    let twin = write(
        dir.path(),
        "twin.yaml",
        &SHOP.replace(
            "origins: [https://shop.example.com]",
            "origins: [https://x.example.com]",
        ),
    );
    let proxy = QuotaProxy::start(&em, &[]);
    for (verb, extra) in [("apply", "--yes"), ("plan", "--detailed-exitcode")] {
        let o = gwctl(
            &em,
            &proxy,
            &args(verb, &[good.clone(), bad.clone(), bad2.clone()], &[extra]),
        );
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
        assert!(err.contains("bad.yaml:"), "every spec's problems: {err}");
        assert!(err.contains("bad2.yaml:"), "every spec's problems: {err}");
        let o = gwctl(
            &em,
            &proxy,
            &args(verb, &[good.clone(), twin.clone()], &[extra]),
        );
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
        assert!(
            err.contains("both describe the rest api `multi-shop`"),
            "{err}"
        );
    }
    let o = gwctl(
        &em,
        &proxy,
        &args(
            "apply",
            &[good.clone(), twin.clone()],
            &["--yes", "--api-id", "abc"],
        ),
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains("`--api-id` names one API"), "{err}");
    // A spec whose environment names another region: one run is one region and profile.
    let elsewhere = write(
        dir.path(),
        "elsewhere.yaml",
        &SHOP
            .replace("name: multi-shop", "name: multi-elsewhere")
            .replace(
                "version: 1\n",
                "version: 1\nenvironments:\n  default: prod\n  prod:\n    region: eu-west-1\n",
            ),
    );
    let o = command(
        &em,
        &args("apply", &[good.clone(), elsewhere.clone()], &["--yes"]),
    )
    .env("AWS_ENDPOINT_URL", proxy.endpoint())
    .env_remove("AWS_REGION")
    .env_remove("AWS_DEFAULT_REGION")
    .output()
    .unwrap();
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("another region or profile"), "{err}");
    let (calls, _) = seen(&proxy);
    assert_eq!(calls, BTreeMap::new(), "no call at all");
}
