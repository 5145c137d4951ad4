//! Property test of `gwctl export` (issue 16), without AWS: for generated specs, the desired
//! API applied in the AWS model (`plan::rest::simulate`), exported, and read back, gives the
//! same desired state, nothing left out, and a plan with nothing to do.

use std::collections::BTreeMap;

use gwctl::plan::export::ExportContext;
use gwctl::plan::rest::{desired, export, plan, simulate};
use gwctl::plan::PlanOptions;
use gwctl::state::usage::ObservedUsage;
use proptest::prelude::*;

use crate::support::offline::{functions, load, REGION};

fn route() -> impl Strategy<Value = (String, String, String)> {
    let seg = |level: usize| {
        prop_oneof![
            Just("a".to_string()),
            Just("items".to_string()),
            Just(format!("{{p{level}}}")),
        ]
    };
    let path = (1usize..=3)
        .prop_flat_map(move |depth| {
            (0..depth)
                .map(|l| seg(l).boxed())
                .collect::<Vec<_>>()
                .prop_map(|segs| format!("/{}", segs.join("/")))
        })
        .boxed();
    let method = prop_oneof![
        Just("GET"),
        Just("POST"),
        Just("PUT"),
        Just("DELETE"),
        Just("ANY")
    ];
    let target = prop_oneof![
        (0usize..3).prop_map(|f| format!("function: f{f}")),
        (0usize..3).prop_map(|f| format!("function: f{f}, auth: iam")),
        (0usize..3).prop_map(|f| format!("function: f{f}, auth: tok, api_key_required: true")),
        (0usize..3).prop_map(|f| format!("function: f{f}, auth: none, throttle: {{rate: 5, burst: 10}}")),
        Just("integration: {type: http_proxy, uri: \"https://backend.example.com/x\", http_method: GET, timeout_ms: 900}".to_string()),
        Just("integration: {type: mock, request_templates: {application/json: '{\"statusCode\": 200}'}, responses: [{status: 200, templates: {application/json: \"#set($a = 1)\\n{}\\n\"}}]}, method_responses: [{status: 200, models: {application/json: Empty}}]".to_string()),
        (0usize..3).prop_map(|f| format!("integration: {{type: lambda, function: f{f}, passthrough_behavior: NEVER, request_templates: {{application/json: '{{}}'}}, responses: [{{status: 200}}, {{status: 400, selection_pattern: '^\\[400:.*', templates: {{application/json: '{{\"m\": 1}}'}}}}]}}, method_responses: [{{status: 200}}, {{status: 400, models: {{application/json: Error}}}}]")),
        (0usize..3).prop_map(|f| format!("integration: {{type: lambda_proxy, function: f{f}, timeout_ms: 5000}}")),
    ];
    (path, method, target).prop_map(|(p, m, t)| (p, m.to_string(), t))
}

fn spec_yaml() -> impl Strategy<Value = String> {
    let routes = proptest::collection::vec(route(), 1..8);
    let cors = prop_oneof![
        Just(String::new()),
        Just("cors: {origins: [\"https://app.example.com\"], max_age: 300, headers: [Content-Type, X-Api-Key]}\n".to_string()),
        // Several origins: the preflights say which (gateway responses echo any origin).
        Just("cors: {origins: [\"https://a.example.com\", \"https://b.example.com\"], headers: [X-Api-Key]}\n".to_string()),
        Just("cors: {origins: [\"https://a.example.com\", \"https://b.example.com\"], credentials: true, headers: [X-Api-Key]}\n".to_string()),
        // Methods limited: some resources, or all, have no preflight.
        Just("cors: {origins: [\"https://a.example.com\"], methods: [GET, PUT], headers: [X-Api-Key], max_age: 10}\n".to_string()),
        Just("cors: {origins: [\"*\"], headers: [Content-Type, X-Api-Key], expose_headers: [X-Id]}\n".to_string()),
    ];
    let stage = prop_oneof![
        Just("{logging: INFO, metrics: true}".to_string()),
        Just("{logging: ERROR, data_trace: true, throttle: {rate: 50.5, burst: 100}}".to_string()),
        Just("{description: \"staging: blue # green\", variables: {color: blue}}".to_string()),
        Just("{tracing: true}".to_string()),
    ];
    let stages = proptest::collection::vec(stage, 1..3);
    let default_auth = prop_oneof![Just("none"), Just("iam"), Just("tok")];
    let description = prop_oneof![
        Just(String::new()),
        Just("  description: \"quotes ' and \\\" and a\\nnewline\"\n".to_string()),
        Just("  description: plain words\n".to_string()),
    ];
    (routes, cors, stages, default_auth, description).prop_map(
        |(routes, cors, stages, default_auth, description)| {
            let mut y = format!(
                "api:\n  name: prop-api\n  kind: rest\n{description}functions: {{f0: f0, f1: f1, f2: f2, auth: auth-fn}}\nauthorizers:\n  tok: {{type: token, function: auth, ttl: 60}}\ndefault_auth: {default_auth}\n"
            );
            y.push_str(&cors);
            y.push_str("routes:\n");
            let mut seen = std::collections::BTreeSet::new();
            for (p, m, t) in routes {
                if seen.insert((p.clone(), m.clone())) {
                    y.push_str(&format!("  - {{path: \"{p}\", method: {m}, {t}}}\n"));
                }
            }
            y.push_str("stages:\n");
            for (i, s) in stages.iter().enumerate() {
                y.push_str(&format!("  s{i}: {s}\n"));
            }
            y
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn a_simulated_api_exports_to_the_spec_it_was_made_from(yaml in spec_yaml()) {
        let opts = PlanOptions::default();
        let s = load(&yaml);
        let f = functions(&s);
        let d = desired::rest(&s, &f, REGION);
        let first = plan(&d, None, &BTreeMap::new(), opts);
        let (api, pol) = simulate::apply(None, BTreeMap::new(), &first.ops)
            .map_err(|e| TestCaseError::fail(format!("the plan does not apply: {e}\n{yaml}")))?;
        let ctx = ExportContext {
            region: REGION.into(),
            local_functions: f.iter().map(|f| (f.function_arn.clone(), f.name.clone())).collect(),
            stage: None,
        };
        let out = export::export(&api, &ObservedUsage::default(), &Vec::new(), &ctx);
        prop_assert!(out.left_out.is_empty(), "{:?}\n{yaml}\n{}", out.left_out, out.yaml);
        let s2 = load(&out.yaml);
        let d2 = desired::rest(&s2, &functions(&s2), REGION);
        prop_assert_eq!(&d2.config, &d.config, "{}\n{}", yaml, out.yaml);
        prop_assert_eq!(&d2.stages, &d.stages, "{}\n{}", yaml, out.yaml);
        let again = plan(&d2, Some(&api), &pol, opts);
        prop_assert!(again.is_empty(), "{:?}\n{yaml}\n{}", again.changes, out.yaml);
    }
}
