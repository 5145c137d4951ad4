//! Property tests of WebSocket APIs over generated specs (no network), as `prop_plan` and
//! `prop_undeclared` for the other kinds: for any valid specs A and B, applying A's plan then
//! B's plan (in the AWS model of `plan::ws::simulate`) leaves nothing to do; and settings a
//! spec leaves out (description, API key selection, stage settings made by hand) are never
//! touched. Non-proxy integrations sometimes declare `responses` (integration responses),
//! so going from one spec to another also adds, changes, replaces and removes those.

use std::collections::BTreeMap;

use gwctl::plan::ws::ops::WsOp;
use gwctl::plan::ws::{desired, plan, simulate};
use gwctl::plan::PlanOptions;
use gwctl::state::rest::AccessLog;
use gwctl::state::ws::{ObservedWsApi, RouteSetting};
use proptest::prelude::*;

use crate::support::offline::{
    functions, load, ws_request_parameters, ws_responses, REGION, WS_REQUEST_PARAMETER_SETS,
    WS_RESPONSE_SETS,
};

/// One route of a generated spec: its key and the rest of its YAML.
fn route() -> impl Strategy<Value = (String, String)> {
    let key = prop_oneof![
        Just("$connect".to_string()),
        Just("$disconnect".to_string()),
        Just("$default".to_string()),
        Just("sendmessage".to_string()),
        Just("join".to_string()),
        Just("leave".to_string()),
    ];
    let target = prop_oneof![
        (0usize..3).prop_map(|f| format!("function: f{f}")),
        (0usize..3).prop_map(|f| format!("function: f{f}, response: true")),
        (0usize..3).prop_map(|f| format!("function: f{f}, throttle: {{rate: 5, burst: 10}}")),
        Just("integration: {type: http_proxy, uri: \"https://backend.example.com/x\"}".to_string()),
        Just("integration: {type: mock, template_selection: \\$default, request_templates: {$default: '{}'}}, response: true".to_string()),
        (0usize..3).prop_map(|f| format!("integration: {{type: lambda, function: f{f}, timeout_ms: 5000, template_selection: \\$default, request_templates: {{$default: '$input.body'}}}}")),        // Non-proxy integrations answering through integration responses; `n` is in their
        // settings too, so routes sharing one declare the same responses.
        (0..WS_RESPONSE_SETS).prop_map(|n| format!("integration: {{type: mock, template_selection: \\$default, request_templates: {{$default: '{{\"statusCode\": 200, \"r\": {n}}}'}}, {}}}, response: true", ws_responses(n))),
        (0usize..3, 0..WS_RESPONSE_SETS, any::<bool>()).prop_map(|(f, n, two_way)| format!("integration: {{type: lambda, function: f{f}, template_selection: \\$default, request_templates: {{$default: '{{\"r\": {n}, \"b\": $input.body}}'}}, {}}}{}", ws_responses(n), if two_way {", response: true"} else {""})),
        (0..WS_RESPONSE_SETS).prop_map(|n| format!("integration: {{type: http, uri: \"https://rpc.example.com/r{n}\", http_method: POST, {}}}, response: true", ws_responses(n))),
        // Request parameters (one map or another, or `{}`) on each kind that takes them.
        (0..WS_REQUEST_PARAMETER_SETS).prop_map(|p| format!("integration: {{type: http_proxy, uri: \"https://backend.example.com/x\", {}}}", ws_request_parameters(p))),
        (0..WS_REQUEST_PARAMETER_SETS, 0..WS_RESPONSE_SETS).prop_map(|(p, n)| format!("integration: {{type: http, uri: \"https://rpc.example.com/r{n}\", http_method: POST, {}, {}}}, response: true", ws_request_parameters(p), ws_responses(n))),
        (0usize..3, 0..WS_REQUEST_PARAMETER_SETS).prop_map(|(f, p)| format!("integration: {{type: lambda, function: f{f}, template_selection: \\$default, request_templates: {{$default: '$input.body'}}, {}}}", ws_request_parameters(p))),
    ];
    (key, target)
}

fn spec_yaml() -> impl Strategy<Value = String> {
    let routes = proptest::collection::vec(route(), 1..7);
    let connect_auth = prop_oneof![Just(""), Just(", auth: iam"), Just(", auth: t")];
    let selection = prop_oneof![
        Just(""),
        Just(", route_selection: $request.body.type"),
        Just(", api_key_selection: $request.header.x-api-key"),
    ];
    let stage = prop_oneof![
        Just("{auto_deploy: true, logging: INFO, metrics: true}".to_string()),
        Just("{logging: ERROR, data_trace: false, throttle: {rate: 50, burst: 100}}".to_string()),
        Just("{description: staging, variables: {color: blue}}".to_string()),
        Just("{auto_deploy: true}".to_string()),
    ];
    let stages = proptest::collection::vec(stage, 1..3);
    (routes, connect_auth, selection, stages).prop_map(|(routes, auth, selection, stages)| {
        let mut y = format!(
            "api: {{name: prop-ws, kind: websocket{selection}}}\nfunctions: {{f0: f0, f1: f1, f2: f2}}\n\
             authorizers:\n  t: {{type: request, function: f2, identity_sources: [route.request.header.Auth]}}\nroutes:\n"
        );
        let mut seen = std::collections::BTreeSet::new();
        for (k, t) in routes {
            if seen.insert(k.clone()) {
                let a = if k == "$connect" { auth } else { "" };
                y.push_str(&format!("  - {{route: {k}, {t}{a}}}\n"));
            }
        }
        y.push_str("stages:\n");
        for (i, s) in stages.iter().enumerate() {
            y.push_str(&format!("  s{i}: {s}\n"));
        }
        y
    })
}

/// Settings made by hand on a live API.
#[derive(Debug, Clone)]
struct Extras {
    description: Option<String>,
    api_key_selection: bool,
    variables: BTreeMap<String, String>,
    logging: Option<&'static str>,
    throttle: Option<(f64, i32)>,
    route_throttle: Option<(f64, i32)>,
    access_log: bool,
}

fn extras() -> impl Strategy<Value = Extras> {
    let throttle =
        || proptest::option::of((1u32..500, 1i32..1000).prop_map(|(r, b)| (r as f64, b)));
    (
        proptest::option::of("[a-z][a-z0-9]{0,12}"),
        any::<bool>(),
        proptest::collection::btree_map("[a-z]{1,6}", "[a-z0-9]{1,8}", 0..3),
        proptest::option::of(prop_oneof![Just("INFO"), Just("ERROR"), Just("OFF")]),
        throttle(),
        throttle(),
        any::<bool>(),
    )
        .prop_map(|e| Extras {
            description: e.0,
            api_key_selection: e.1,
            variables: e.2,
            logging: e.3,
            throttle: e.4,
            route_throttle: e.5,
            access_log: e.6,
        })
}

fn add_extras(api: &mut ObservedWsApi, e: &Extras, route: &str) {
    api.config.description = e.description.clone();
    if e.api_key_selection {
        api.config.api_key_selection_expression =
            Some("$context.authorizer.usageIdentifierKey".into());
    }
    for st in api.stages.values_mut() {
        let s = &mut st.settings;
        s.variables = e.variables.clone();
        s.access_log = e.access_log.then(|| AccessLog {
            destination_arn: "arn:aws:logs:us-east-1:123456789012:log-group:by-hand".into(),
            format: "$context.requestId".into(),
        });
        s.default_route_settings = RouteSetting {
            logging_level: e.logging.map(str::to_string),
            data_trace: Some(false),
            metrics: Some(false),
            throttle_rate: e.throttle.map(|t| t.0),
            throttle_burst: e.throttle.map(|t| t.1),
        };
        s.route_settings.clear();
        if let Some((r, b)) = e.route_throttle {
            s.route_settings.insert(
                route.to_string(),
                RouteSetting {
                    throttle_rate: Some(r),
                    throttle_burst: Some(b),
                    ..Default::default()
                },
            );
        }
    }
}

fn touches(op: &WsOp) -> bool {
    match op {
        WsOp::UpdateApi { .. } | WsOp::DeleteRouteSettings { .. } => true,
        WsOp::UpdateStage { update, .. } => {
            let mut u = update.clone();
            u.deploy = false;
            !u.is_empty()
        }
        _ => false,
    }
}

fn undeclared(api: &ObservedWsApi) -> String {
    let stages: BTreeMap<&String, String> = api
        .stages
        .iter()
        .map(|(n, s)| (n, serde_json::to_string(&s.settings).unwrap()))
        .collect();
    serde_json::to_string(&(
        &api.config.description,
        &api.config.api_key_selection_expression,
        stages,
    ))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_websocket_spec_converges_from_any_other(a in spec_yaml(), b in spec_yaml()) {
        let opts = PlanOptions { prune: true, force_deploy: false };
        let (sa, sb) = (load(&a), load(&b));
        let da = desired(&sa, &functions(&sa), REGION);
        let first = plan(&da, None, &BTreeMap::new(), opts);
        let (api, pol) = simulate::apply(None, BTreeMap::new(), &first.ops)
            .map_err(|e| TestCaseError::fail(format!("A's first plan does not apply: {e}\n{a}")))?;
        let da = desired(&sa, &functions(&sa), REGION).keep_undeclared(Some(&api));
        let again = plan(&da, Some(&api), &pol, opts);
        prop_assert!(again.is_empty(), "A not converged: {:?}\n{a}", again.changes);

        let db = desired(&sb, &functions(&sb), REGION).keep_undeclared(Some(&api));
        let to_b = plan(&db, Some(&api), &pol, opts);
        let (api_b, pol_b) = simulate::apply(Some(api), pol, &to_b.ops)
            .map_err(|e| TestCaseError::fail(format!("A -> B does not apply: {e}\nA:\n{a}\nB:\n{b}")))?;
        let db = desired(&sb, &functions(&sb), REGION).keep_undeclared(Some(&api_b));
        let rest = plan(&db, Some(&api_b), &pol_b, opts);
        prop_assert!(rest.is_empty(), "B not converged from A: {:?}\nA:\n{a}\nB:\n{b}", rest.changes);
        let deployments = to_b.ops.iter().filter(|o| o.aws_name() == "CreateDeployment").count();
        prop_assert!(deployments <= 1);
        for statements in pol_b.values() {
            let mut sids: Vec<&str> = statements.iter().map(|s| s.sid.as_str()).collect();
            let n = sids.len();
            sids.sort();
            sids.dedup();
            prop_assert_eq!(n, sids.len(), "duplicate statement");
        }
    }

    #[test]
    fn websocket_apply_leaves_undeclared_settings_alone(
        yaml in spec_yaml(),
        e in extras(),
        owned in any::<bool>(),
    ) {
        // Only what the spec leaves out may be made by hand: drop the generated stage and
        // API settings the extras touch.
        let yaml = yaml
            .replace(", api_key_selection: $request.header.x-api-key", "")
            .replace("{auto_deploy: true, logging: INFO, metrics: true}", "{auto_deploy: true}")
            .replace("{logging: ERROR, data_trace: false, throttle: {rate: 50, burst: 100}}", "{}")
            .replace("{description: staging, variables: {color: blue}}", "{description: staging}")
            .replace(", throttle: {rate: 5, burst: 10}", "");
        let spec = load(&yaml);
        let opts = PlanOptions { prune: owned, force_deploy: false };
        let d = desired(&spec, &functions(&spec), REGION);
        let first = plan(&d, None, &BTreeMap::new(), opts);
        let (mut api, pol) = simulate::apply(None, BTreeMap::new(), &first.ops)
            .map_err(|err| TestCaseError::fail(format!("{err}\n{yaml}")))?;
        let route = spec.routes[0].path.value.clone();
        add_extras(&mut api, &e, &route);
        let before = undeclared(&api);

        let d = desired(&spec, &functions(&spec), REGION).keep_undeclared(Some(&api));
        let p = plan(&d, Some(&api), &pol, opts);
        for op in &p.ops {
            prop_assert!(!touches(op), "{op:?} touches an undeclared setting\n{e:?}\n{yaml}");
        }
        let (api2, pol2) = simulate::apply(Some(api), pol, &p.ops)
            .map_err(|err| TestCaseError::fail(format!("{err}\n{yaml}")))?;
        prop_assert_eq!(&before, &undeclared(&api2));
        let again = plan(&d, Some(&api2), &pol2, opts);
        prop_assert!(again.is_empty(), "{:?}", again.changes);
    }
}
