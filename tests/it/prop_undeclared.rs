//! Property test of issue 15 item 2 (no network): a setting the spec does not declare is
//! never changed. Live states are generated as "the spec applied" plus random undeclared
//! settings (API description, API key source, binary media types, HTTP's execute-api switch,
//! stage descriptions, variables, logging, metrics, tracing, throttling, access logs, per-route
//! settings, auto-deploy, usage-plan description/throttle/quota, key description/enabled);
//! the plan must contain no op touching them, and applying it in the AWS model of
//! `plan::rest::simulate*` must leave them byte-for-byte equal, with nothing left to do after.

use std::collections::BTreeMap;

use gwctl::plan::http::simulate as simulate_http;
use gwctl::plan::http::{self, HttpPlan};
use gwctl::plan::rest::desired;
use gwctl::plan::rest::plan;
use gwctl::plan::usage_ops::UsageOp;
use gwctl::plan::{simulate_usage, usage, HttpOp, Op, PlanOptions};
use gwctl::state::http::{ObservedHttpApi, RouteSetting};
use gwctl::state::rest::{AccessLog, MethodSetting, ObservedRestApi};
use gwctl::state::usage::{ObservedUsage, Quota, Throttle};
use proptest::prelude::*;

use crate::support::offline::{functions, load, ACCOUNT, REGION};

/// Routes of a generated spec (path, method, function), at least one.
fn routes() -> impl Strategy<Value = Vec<(String, &'static str, usize)>> {
    let path = prop_oneof![
        Just("/items".to_string()),
        Just("/items/{id}".to_string()),
        Just("/a/b".to_string()),
    ];
    let method = prop_oneof![Just("GET"), Just("POST"), Just("DELETE")];
    proptest::collection::vec((path, method, 0usize..2), 1..4).prop_map(|mut v| {
        let mut seen = std::collections::BTreeSet::new();
        v.retain(|(p, m, _)| seen.insert((p.clone(), *m)));
        v
    })
}

/// A spec that declares none of the settings the live state gets on top; `declared` is a
/// stage block the generator may add (settings that the extras then leave alone).
fn spec_yaml(kind: &str, routes: &[(String, &str, usize)], stages: &[&str]) -> String {
    let mut y =
        format!("api: {{name: prop-api, kind: {kind}}}\nfunctions: {{f0: f0, f1: f1}}\nroutes:\n");
    for (p, m, f) in routes {
        y.push_str(&format!(
            "  - {{path: \"{p}\", method: {m}, function: f{f}}}\n"
        ));
    }
    y.push_str("stages:\n");
    for s in stages {
        y.push_str(&format!("  {s}: {{}}\n"));
    }
    if kind == "rest" {
        y.push_str("api_keys:\n  k1: {}\nusage_plans:\n  basic: {stages: [prod], keys: [k1]}\n");
    }
    y
}

/// Random undeclared settings.
#[derive(Debug, Clone)]
struct Extras {
    description: Option<String>,
    authorizer_source: bool,
    binary: Vec<String>,
    disable_endpoint: bool,
    key_required: bool,
    timeout: Option<i32>,
    stage_description: Option<String>,
    variables: BTreeMap<String, String>,
    logging: Option<&'static str>,
    data_trace: Option<bool>,
    metrics: Option<bool>,
    throttle: Option<(f64, i32)>,
    route_throttle: Option<(f64, i32)>,
    tracing: Option<bool>,
    access_log: bool,
    auto_deploy: Option<bool>,
    plan_description: Option<String>,
    plan_throttle: Option<(f64, i32)>,
    plan_quota: Option<(i32, &'static str)>,
    key_description: Option<String>,
    key_enabled: bool,
}

fn text() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9 ]{0,12}".prop_map(|s| s.trim_end().to_string())
}

fn throttle() -> impl Strategy<Value = Option<(f64, i32)>> {
    proptest::option::of((1u32..500, 1i32..1000).prop_map(|(r, b)| (r as f64, b)))
}

fn extras() -> impl Strategy<Value = Extras> {
    let api = (
        proptest::option::of(text()),
        any::<bool>(),
        proptest::sample::subsequence(vec!["application/octet-stream", "image/png"], 0..=2),
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(50i32..29_000),
    );
    let stage = (
        proptest::option::of(text()),
        proptest::collection::btree_map("[a-z]{1,6}", "[a-z0-9]{1,8}", 0..3),
        proptest::option::of(prop_oneof![Just("INFO"), Just("ERROR"), Just("OFF")]),
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<bool>()),
        throttle(),
        throttle(),
        proptest::option::of(any::<bool>()),
        any::<bool>(),
        proptest::option::of(any::<bool>()),
    );
    let usage = (
        proptest::option::of(text()),
        throttle(),
        proptest::option::of((1i32..100_000, prop_oneof![Just("DAY"), Just("WEEK")])),
        proptest::option::of(text()),
        any::<bool>(),
    );
    (api, stage, usage).prop_map(|(a, s, u)| Extras {
        description: a.0.filter(|d| !d.is_empty()),
        authorizer_source: a.1,
        binary: a.2.into_iter().map(str::to_string).collect(),
        disable_endpoint: a.3,
        key_required: a.4,
        timeout: a.5,
        stage_description: s.0.filter(|d| !d.is_empty()),
        variables: s.1,
        logging: s.2,
        data_trace: s.3,
        metrics: s.4,
        throttle: s.5,
        route_throttle: s.6,
        tracing: s.7,
        access_log: s.8,
        auto_deploy: s.9,
        plan_description: u.0.filter(|d| !d.is_empty()),
        plan_throttle: u.1,
        plan_quota: u.2,
        key_description: u.3.filter(|d| !d.is_empty()),
        key_enabled: u.4,
    })
}

fn access_log() -> AccessLog {
    AccessLog {
        destination_arn: format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:by-hand"),
        format: "$context.requestId".into(),
    }
}

/// The REST API and its usage objects with the extras laid on (`route`: `{path}/{METHOD}`).
fn rest_extras(api: &mut ObservedRestApi, usage: &mut ObservedUsage, e: &Extras, route: &str) {
    let (path, verb) = route.rsplit_once('/').unwrap();
    let m = api
        .config
        .resources
        .get_mut(path)
        .unwrap()
        .methods
        .get_mut(verb)
        .unwrap();
    m.api_key_required = e.key_required;
    m.integration.as_mut().unwrap().timeout_ms = e.timeout;
    api.config.description = e.description.clone();
    api.config.api_key_source = e.authorizer_source.then(|| "AUTHORIZER".to_string());
    api.config.binary_media_types = e.binary.clone();
    for st in api.stages.values_mut() {
        let s = &mut st.settings;
        s.description = e.stage_description.clone();
        s.variables = e.variables.clone();
        s.tracing_enabled = e.tracing;
        s.access_log = e.access_log.then(access_log);
        let all = MethodSetting {
            logging_level: e.logging.map(str::to_string),
            data_trace: e.data_trace,
            metrics: e.metrics,
            throttle_rate: e.throttle.map(|t| t.0),
            throttle_burst: e.throttle.map(|t| t.1),
            ..Default::default()
        };
        s.method_settings.clear();
        if all != MethodSetting::default() {
            s.method_settings.insert("*/*".into(), all);
        }
        if let Some((r, b)) = e.route_throttle {
            s.method_settings.insert(
                route.to_string(),
                MethodSetting {
                    throttle_rate: Some(r),
                    throttle_burst: Some(b),
                    ..Default::default()
                },
            );
        }
    }
    for p in &mut usage.plans {
        p.def.description = e.plan_description.clone();
        p.def.throttle = e
            .plan_throttle
            .map(|(rate, burst)| Throttle { rate, burst });
        p.def.quota = e.plan_quota.map(|(limit, period)| Quota {
            limit,
            period: period.into(),
            offset: 0,
        });
    }
    for k in &mut usage.keys {
        k.def.description = e.key_description.clone();
        k.def.enabled = e.key_enabled;
    }
}

/// Everything undeclared of a REST API and its usage objects, serialised.
fn rest_undeclared(api: &ObservedRestApi, usage: &ObservedUsage) -> String {
    let stages: BTreeMap<&String, String> = api
        .stages
        .iter()
        .map(|(n, s)| (n, serde_json::to_string(&s.settings).unwrap()))
        .collect();
    let plans: Vec<String> = usage
        .plans
        .iter()
        .map(|p| {
            serde_json::to_string(&(&p.def.description, &p.def.throttle, &p.def.quota)).unwrap()
        })
        .collect();
    let keys: Vec<String> = usage
        .keys
        .iter()
        .map(|k| serde_json::to_string(&(&k.def.description, k.def.enabled)).unwrap())
        .collect();
    let methods: Vec<(bool, Option<i32>)> = api
        .config
        .resources
        .values()
        .flat_map(|r| r.methods.values())
        .map(|m| {
            (
                m.api_key_required,
                m.integration.as_ref().and_then(|i| i.timeout_ms),
            )
        })
        .collect();
    serde_json::to_string(&(
        methods,
        &api.config.description,
        &api.config.api_key_source,
        &api.config.binary_media_types,
        stages,
        plans,
        keys,
    ))
    .unwrap()
}

fn rest_plan(
    d: &desired::DesiredRest,
    u: &usage::DesiredUsage,
    api: Option<&ObservedRestApi>,
    pol: &gwctl::state::rest::Policies,
    obs_usage: &ObservedUsage,
    prune: bool,
) -> gwctl::plan::Plan {
    let opts = PlanOptions {
        prune,
        force_deploy: false,
    };
    let mut p = plan(d, api, pol, opts);
    usage::plan_usage(&mut p, u, obs_usage, api.map(|a| a.id.as_str()));
    p
}

/// An op that could change an undeclared setting (a deployment, a stage moved to it and
/// Lambda permissions cannot).
fn rest_touches(op: &Op) -> bool {
    match op {
        Op::UpdateRestApi { .. }
        | Op::PutMethod { .. }
        | Op::DeleteMethod { .. }
        | Op::PutIntegration { .. } => true,
        Op::UpdateStage { patches, .. } => patches.iter().any(|p| p.path != "/deploymentId"),
        Op::Usage(UsageOp::UpdateUsagePlan { .. } | UsageOp::UpdateApiKey { .. }) => true,
        _ => false,
    }
}

fn http_extras(api: &mut ObservedHttpApi, e: &Extras, route: &str) {
    api.config.description = e.description.clone();
    api.config.disable_execute_api_endpoint = e.disable_endpoint;
    for st in api.stages.values_mut() {
        let s = &mut st.settings;
        s.description = e.stage_description.clone();
        s.variables = e.variables.clone();
        s.access_log = e.access_log.then(access_log);
        s.auto_deploy = e.auto_deploy;
        s.default_route_settings = RouteSetting {
            metrics: e.metrics,
            throttle_rate: e.throttle.map(|t| t.0),
            throttle_burst: e.throttle.map(|t| t.1),
        };
        s.route_settings.clear();
        if let Some((r, b)) = e.route_throttle {
            s.route_settings.insert(
                route.to_string(),
                RouteSetting {
                    metrics: Some(false),
                    throttle_rate: Some(r),
                    throttle_burst: Some(b),
                },
            );
        }
    }
}

fn http_undeclared(api: &ObservedHttpApi) -> String {
    let stages: BTreeMap<&String, String> = api
        .stages
        .iter()
        .map(|(n, s)| (n, serde_json::to_string(&s.settings).unwrap()))
        .collect();
    serde_json::to_string(&(
        &api.config.description,
        api.config.disable_execute_api_endpoint,
        stages,
    ))
    .unwrap()
}

fn http_touches(op: &HttpOp) -> bool {
    match op {
        HttpOp::UpdateApi { .. } | HttpOp::DeleteRouteSettings { .. } => true,
        HttpOp::UpdateStage { update, .. } => {
            let mut u = update.clone();
            u.deploy = false;
            !u.is_empty()
        }
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn rest_apply_leaves_undeclared_settings_alone(
        routes in routes(),
        two_stages in any::<bool>(),
        e in extras(),
        owned in any::<bool>(),
    ) {
        let stages: &[&str] = if two_stages { &["prod", "beta"] } else { &["prod"] };
        let yaml = spec_yaml("rest", &routes, stages);
        let spec = load(&yaml);
        let d = desired::rest(&spec, &functions(&spec), REGION);
        let u = usage::desired(&spec, &|_| None, &gwctl::engine::rest::new_salt).expect("no key values");
        // The spec applied, as the AWS model leaves it.
        let first = rest_plan(&d, &u, None, &BTreeMap::new(), &ObservedUsage::default(), true);
        let (mut api, pol, mut obs_usage) = simulate_usage::apply_all(
            None, BTreeMap::new(), ObservedUsage::default(), &first.ops,
        ).map_err(|err| TestCaseError::fail(format!("{err}\n{yaml}")))?;
        // Settings made by hand on top.
        let route = format!("{}/{}", routes[0].0, routes[0].1);
        rest_extras(&mut api, &mut obs_usage, &e, &route);
        let before = rest_undeclared(&api, &obs_usage);

        let p = rest_plan(&d, &u, Some(&api), &pol, &obs_usage, owned);
        for op in &p.ops {
            prop_assert!(!rest_touches(op), "{op:?} touches an undeclared setting\n{e:?}\n{yaml}");
        }
        for c in &p.changes {
            for f in &c.fields {
                prop_assert!(f.field == "deployment" || f.field == "reason", "{c:?}");
            }
        }
        let (api2, pol2, usage2) = simulate_usage::apply_all(Some(api), pol, obs_usage, &p.ops)
            .map_err(|err| TestCaseError::fail(format!("{err}\n{yaml}")))?;
        prop_assert_eq!(&before, &rest_undeclared(&api2, &usage2));
        let again = rest_plan(&d, &u, Some(&api2), &pol2, &usage2, owned);
        prop_assert!(again.is_empty(), "{:?}", again.changes);
    }

    #[test]
    fn http_apply_leaves_undeclared_settings_alone(
        routes in routes(),
        two_stages in any::<bool>(),
        e in extras(),
        owned in any::<bool>(),
    ) {
        let stages: &[&str] = if two_stages { &["prod", "beta"] } else { &["prod"] };
        let yaml = spec_yaml("http", &routes, stages);
        let spec = load(&yaml);
        let d = http::desired(&spec, &functions(&spec), REGION);
        let opts = PlanOptions { prune: owned, force_deploy: false };
        let first: HttpPlan = http::plan(&d, None, &BTreeMap::new(), opts);
        let (mut api, pol) = simulate_http::apply(None, BTreeMap::new(), &first.ops)
            .map_err(|err| TestCaseError::fail(format!("{err}\n{yaml}")))?;
        let route = format!("{} {}", routes[0].1, routes[0].0);
        http_extras(&mut api, &e, &route);
        let before = http_undeclared(&api);

        let p = http::plan(&d, Some(&api), &pol, opts);
        for op in &p.ops {
            prop_assert!(!http_touches(op), "{op:?} touches an undeclared setting\n{e:?}\n{yaml}");
        }
        let (api2, pol2) = simulate_http::apply(Some(api), pol, &p.ops)
            .map_err(|err| TestCaseError::fail(format!("{err}\n{yaml}")))?;
        prop_assert_eq!(&before, &http_undeclared(&api2));
        let again = http::plan(&d, Some(&api2), &pol2, opts);
        prop_assert!(again.is_empty(), "{:?}", again.changes);
    }
}
