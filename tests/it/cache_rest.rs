//! Caching on REST stages (issue 18 item 4). End to end on moto (the real binary): the cache
//! cluster, the stage-wide caching settings and a route's TTL are applied, a second plan is
//! empty, drift made by hand is shown and reverted, `show` reports the cache, `destroy`
//! leaves nothing. Moto stores neither an integration's `cacheKeyParameters` (it drops them
//! on put-integration) nor answers them, so the key parameters are checked offline with the
//! exact request (docs/testing.md).

use std::sync::{Arc, Mutex};

use aws_sdk_apigateway::operation::put_integration::{PutIntegrationInput, PutIntegrationOutput};
use aws_sdk_apigateway::types::{IntegrationType, Op as PatchOp, PatchOperation};
use aws_sdk_apigateway::Client as ApigwClient;
use aws_smithy_mocks::mock;

use gwctl::aws::exec::rest::Executor;
use gwctl::aws::exec::OpOutcome;
use gwctl::plan::rest::ops::Op;
use gwctl::state::rest::{Integration, ObservedRestApi};

use crate::support;
use crate::support::cli::{gwctl, ok, plan_exit, write};
use crate::support::offline::mock_clients as clients;

const SPEC: &str = r#"version: 1
api: {name: cache-e2e}
functions: {list: cache-list, create: cache-create}
stages:
  prod:
    cache: {size: "0.5", ttl: 300, encrypted: true}
routes:
  - path: /items
    method: GET
    function: list
    cache: {ttl: 60}
  - path: /items
    method: POST
    function: create
    cache: {enabled: false}
"#;

#[tokio::test]
async fn a_cached_stage_is_applied_kept_reverted_shown_and_destroyed() {
    let em = support::emulator().await;
    em.create_functions(&["cache-list", "cache-create"]).await;
    let dir = tempfile::tempdir().unwrap();
    let spec = write(&dir, "cache.yaml", SPEC);
    let s = spec.to_str().unwrap();
    ok(&gwctl(&em, &["apply", s, "--yes"]));
    assert_eq!(plan_exit(&em, &spec).0, 0, "a second plan is empty");

    let c = em.clients().await;
    let gw = &c.apigw;
    let apis = gw.get_rest_apis().send().await.unwrap();
    let id = apis
        .items()
        .iter()
        .find(|a| a.name() == Some("cache-e2e"))
        .and_then(|a| a.id())
        .unwrap()
        .to_string();
    let st = gw
        .get_stage()
        .rest_api_id(&id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    assert!(st.cache_cluster_enabled());
    assert_eq!(st.cache_cluster_size().map(|s| s.as_str()), Some("0.5"));
    let ms = st.method_settings().unwrap();
    let all = &ms["*/*"];
    assert!(all.caching_enabled());
    assert_eq!(all.cache_ttl_in_seconds(), 300);
    assert!(all.cache_data_encrypted());
    let get = &ms["~1items/GET"];
    assert!(get.caching_enabled());
    assert_eq!(get.cache_ttl_in_seconds(), 60);
    assert!(!ms["~1items/POST"].caching_enabled());

    // Drift made by hand: a bigger cluster and a shorter stage-wide TTL.
    let patch = |path: &str, value: &str| {
        PatchOperation::builder()
            .op(PatchOp::Replace)
            .path(path)
            .value(value)
            .build()
    };
    gw.update_stage()
        .rest_api_id(&id)
        .stage_name("prod")
        .patch_operations(patch("/cacheClusterSize", "1.6"))
        .patch_operations(patch("/*/*/caching/ttlInSeconds", "10"))
        .send()
        .await
        .unwrap();
    let (code, out) = plan_exit(&em, &spec);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("cache.size"), "{out}");
    assert!(out.contains("cache.ttl"), "{out}");
    assert!(
        !out.contains("deployment"),
        "a cache setting needs no deployment:\n{out}"
    );
    ok(&gwctl(&em, &["apply", s, "--yes"]));
    assert_eq!(plan_exit(&em, &spec).0, 0, "drift reverted");

    // show: text and JSON.
    let (out, _) = ok(&gwctl(&em, &["show", s]));
    assert!(out.contains("cache 0.5 GB ttl 300 s encrypted"), "{out}");
    let (out, _) = ok(&gwctl(&em, &["show", s, "--output", "json"]));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let stage = &doc["stages"][0];
    assert_eq!(
        stage["cache"],
        serde_json::json!({"size": "0.5", "ttl_seconds": 300, "encrypted": true}),
        "{out}"
    );

    ok(&gwctl(&em, &["destroy", s, "--yes"]));
    let apis = gw.get_rest_apis().send().await.unwrap();
    assert!(!apis.items().iter().any(|a| a.name() == Some("cache-e2e")));
}

/// The cache key parameters are part of put-integration (moto drops them, so this is the
/// exact request); an integration without them sends none.
#[tokio::test]
async fn put_integration_sends_the_cache_key_parameters() {
    let seen: Arc<Mutex<Vec<PutIntegrationInput>>> = Arc::default();
    let rule = || {
        let log = seen.clone();
        mock!(ApigwClient::put_integration).then_compute_output(move |i| {
            log.lock().unwrap().push(i.clone());
            PutIntegrationOutput::builder().build()
        })
    };
    let (first, second) = (rule(), rule());
    let c = clients(&[&first, &second]);
    let observed = ObservedRestApi {
        id: "a1".into(),
        resource_ids: [("/items".to_string(), "r1".to_string())].into(),
        ..Default::default()
    };
    let mut ex = Executor::for_api(&c, &observed);
    let mut def = Integration {
        kind: "HTTP_PROXY".into(),
        http_method: Some("GET".into()),
        uri: Some("https://example.com/items".into()),
        cache_key_parameters: vec!["method.request.querystring.page".into()],
        ..Default::default()
    };
    let op = |def: &Integration| Op::PutIntegration {
        path: "/items".into(),
        method: "GET".into(),
        def: def.clone(),
    };
    assert_eq!(ex.apply_one(&op(&def)).await.unwrap(), OpOutcome::Applied);
    def.cache_key_parameters.clear();
    assert_eq!(ex.apply_one(&op(&def)).await.unwrap(), OpOutcome::Applied);
    let base = || {
        PutIntegrationInput::builder()
            .rest_api_id("a1")
            .resource_id("r1")
            .http_method("GET")
            .r#type(IntegrationType::HttpProxy)
            .integration_http_method("GET")
            .uri("https://example.com/items")
    };
    let with_keys = base()
        .cache_key_parameters("method.request.querystring.page")
        .build()
        .unwrap();
    let without = base().build().unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![with_keys, without]);
}
