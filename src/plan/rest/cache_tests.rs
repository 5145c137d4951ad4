//! Caching (issue 18 item 4): a stage's cache cluster and stage-wide caching, a route's TTL
//! and cache key parameters. Planned, applied in the simulator, planned again.

use super::desired;
use super::ops::Op;
use super::plan;
use super::simulate;
use super::tests::{resolve, spec, REGION};
use crate::plan::patch::Patch;
use crate::plan::{Plan, PlanOptions};
use crate::state::rest::{ObservedRestApi, Policies};

const CACHED: &str = r#"
api: {name: cached}
functions: {list: list-items, create: create-item}
stages:
  prod:
    cache: {size: "0.5", ttl: 300, encrypted: true}
routes:
  - path: /items
    method: GET
    function: list
    request_parameters: {method.request.querystring.page: false}
    cache: {ttl: 60, key_parameters: [method.request.querystring.page]}
  - path: /items
    method: POST
    function: create
    cache: {enabled: false}
"#;

fn desired_of(yaml: &str) -> desired::DesiredRest {
    let s = spec(yaml);
    desired::rest(&s, &resolve(&s), REGION)
}

/// The simulated account: the API and the functions' policies.
type Account = (ObservedRestApi, Policies);

fn apply(yaml: &str, observed: Option<Account>) -> (Plan, Account) {
    let d = desired_of(yaml);
    let (api, pol) = observed.map_or((None, Policies::new()), |(a, p)| (Some(a), p));
    let p = plan(&d, api.as_ref(), &pol, PlanOptions::default());
    let after = simulate::apply(api, pol, &p.ops).expect("plan applies");
    (p, after)
}

fn replan(yaml: &str, account: &Account) -> Plan {
    plan(
        &desired_of(yaml),
        Some(&account.0),
        &account.1,
        PlanOptions::default(),
    )
}

fn stage_patches(p: &Plan) -> Vec<Patch> {
    p.ops
        .iter()
        .filter_map(|o| match o {
            Op::UpdateStage { patches, .. } => Some(patches.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn has(patches: &[Patch], path: &str, value: &str) -> bool {
    patches
        .iter()
        .any(|p| p.path == path && p.value.as_deref() == Some(value))
}

#[test]
fn a_cached_stage_and_routes_are_created_then_the_plan_is_empty() {
    let (p, acct) = apply(CACHED, None);
    let patches = stage_patches(&p);
    for (path, value) in [
        ("/cacheClusterEnabled", "true"),
        ("/cacheClusterSize", "0.5"),
        ("/*/*/caching/enabled", "true"),
        ("/*/*/caching/ttlInSeconds", "300"),
        ("/*/*/caching/dataEncrypted", "true"),
        ("/~1items/GET/caching/enabled", "true"),
        ("/~1items/GET/caching/ttlInSeconds", "60"),
        ("/~1items/POST/caching/enabled", "false"),
    ] {
        assert!(has(&patches, path, value), "{path} {value}: {patches:?}");
    }
    let keys: Vec<&Vec<String>> = p
        .ops
        .iter()
        .filter_map(|o| match o {
            Op::PutIntegration { method, def, .. } if method == "GET" => {
                Some(&def.cache_key_parameters)
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        keys,
        vec![&vec!["method.request.querystring.page".to_string()]]
    );
    let again = replan(CACHED, &acct);
    assert!(again.ops.is_empty(), "{:#?}", again.changes);
}

#[test]
fn cache_drift_is_shown_and_reverted() {
    let (_, mut acct) = apply(CACHED, None);
    {
        let api = &mut acct.0;
        let st = &mut api.stages.get_mut("prod").unwrap().settings;
        st.cache_cluster_size = Some("1.6".into());
        st.method_settings.get_mut("*/*").unwrap().cache_ttl = Some(10);
        st.method_settings
            .get_mut("/items/GET")
            .unwrap()
            .caching_enabled = Some(false);
        let get = api.config.resources.get_mut("/items").unwrap();
        let i = get
            .methods
            .get_mut("GET")
            .unwrap()
            .integration
            .as_mut()
            .unwrap();
        i.cache_key_parameters.clear();
    }
    let p = replan(CACHED, &acct);
    let fields: Vec<String> = p
        .changes
        .iter()
        .flat_map(|c| c.fields.iter().map(|f| f.field.clone()))
        .collect();
    for f in [
        "cache.size",
        "cache.ttl",
        "/items/GET caching",
        "cache_key_parameters",
    ] {
        assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
    }
    let patches = stage_patches(&p);
    assert!(has(&patches, "/cacheClusterSize", "0.5"), "{patches:?}");
    assert!(has(&patches, "/*/*/caching/ttlInSeconds", "300"));
    assert!(has(&patches, "/~1items/GET/caching/enabled", "true"));
    // A cache setting is a stage setting: no deployment for it. The integration's key
    // parameters are part of the deployed configuration, which the stage already serves
    // from the first apply, so reverting drift needs no deployment either.
    assert_eq!(
        p.ops
            .iter()
            .filter(|o| o.aws_name() == "CreateDeployment")
            .count(),
        0
    );
    let (_, acct) = apply(CACHED, Some(acct));
    assert!(replan(CACHED, &acct).ops.is_empty());
}

#[test]
fn a_spec_without_cache_keeps_the_live_cache() {
    let (_, acct) = apply(CACHED, None);
    let silent = r#"
api: {name: cached}
functions: {list: list-items, create: create-item}
stages: {prod: {}}
routes:
  - path: /items
    method: GET
    function: list
    request_parameters: {method.request.querystring.page: false}
  - {path: /items, method: POST, function: create}
"#;
    let p = replan(silent, &acct);
    assert!(p.ops.is_empty(), "{:#?}", p.changes);
}

#[test]
fn turning_the_cache_off_turns_off_the_cluster_and_stage_caching() {
    let (_, acct) = apply(CACHED, None);
    let off = r#"
api: {name: cached}
functions: {list: list-items, create: create-item}
stages: {prod: {cache: {enabled: false}}}
routes:
  - path: /items
    method: GET
    function: list
    request_parameters: {method.request.querystring.page: false}
    cache: {key_parameters: [method.request.querystring.page]}
  - {path: /items, method: POST, function: create}
"#;
    // A route cache needs a stage with a cache: this spec is refused.
    let loaded = crate::spec::load_str(std::path::Path::new("t.yaml"), off);
    assert!(loaded.has_errors());
    let off = off.replace(
        "    cache: {key_parameters: [method.request.querystring.page]}\n",
        "",
    );
    let p = replan(&off, &acct);
    let patches = stage_patches(&p);
    assert!(
        has(&patches, "/cacheClusterEnabled", "false"),
        "{patches:?}"
    );
    assert!(
        has(&patches, "/*/*/caching/enabled", "false"),
        "{patches:?}"
    );
    let (_, acct) = apply(&off, Some(acct));
    assert!(replan(&off, &acct).ops.is_empty());
    let st = &acct.0.stages["prod"].settings;
    assert_eq!(st.cache_cluster_enabled, Some(false));
    assert_eq!(st.cache_cluster_size, None);
}

/// The deployment mark hashes the integrations: one without cache key parameters must hash
/// as it did before gwctl knew the field, or every existing stage would be redeployed.
#[test]
fn integrations_without_cache_keys_serialise_as_before() {
    let i = crate::state::rest::Integration::default();
    let v = serde_json::to_value(&i).unwrap();
    assert!(v.get("cache_key_parameters").is_none(), "{v}");
    let st = crate::state::rest::Stage::default();
    let v = serde_json::to_value(&st).unwrap();
    assert!(v.get("cache_cluster_enabled").is_none(), "{v}");
}
