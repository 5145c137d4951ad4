//! Property tests over generated specs (no network): validation accepts what the generator
//! builds, and the planner converges — for any valid specs A and B, applying A's plan then
//! B's plan (in the AWS model of `plan::rest::simulate`) leaves nothing to do.

use std::collections::BTreeMap;

use gwctl::plan::rest::desired;
use gwctl::plan::rest::plan;
use gwctl::plan::rest::simulate;
use gwctl::plan::PlanOptions;
use proptest::prelude::*;

use crate::support::offline::{functions, load, REGION};

/// One route of a generated spec, as YAML.
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
        Just("PATCH"),
        Just("ANY")
    ];
    let target = prop_oneof![
        (0usize..3).prop_map(|f| format!("function: f{f}")),
        (0usize..3).prop_map(|f| format!("function: f{f}, auth: iam")),
        Just("integration: {type: http_proxy, uri: \"https://backend.example.com/x\", http_method: GET}".to_string()),
        Just("integration: {type: mock, request_templates: {application/json: '{\"statusCode\": 200}'}, responses: [{status: 200}]}, method_responses: [{status: 200}]".to_string()),
        (0usize..3).prop_map(|f| format!("integration: {{type: lambda_proxy, function: f{f}, timeout_ms: 5000}}")),
    ];
    (path, method, target).prop_map(|(p, m, t)| (p, m.to_string(), t))
}

fn spec_yaml() -> impl Strategy<Value = String> {
    let routes = proptest::collection::vec(route(), 1..8);
    let cors = prop_oneof![
        Just(String::new()),
        Just("cors: {origins: [\"https://app.example.com\"], max_age: 300}\n".to_string()),
        Just(
            "cors: {origins: [\"https://a.example.com\", \"https://b.example.com\"]}\n".to_string()
        ),
        Just("cors: {origins: [\"*\"], headers: [Content-Type]}\n".to_string()),
    ];
    let stage = prop_oneof![
        Just("{logging: INFO, metrics: true}".to_string()),
        Just("{logging: ERROR, data_trace: false, throttle: {rate: 50, burst: 100}}".to_string()),
        Just("{description: staging, variables: {color: blue}}".to_string()),
        Just("{tracing: true, metrics: false}".to_string()),
    ];
    let stages = proptest::collection::vec(stage, 1..3);
    (routes, cors, stages).prop_map(|(routes, cors, stages)| {
        let mut y = String::from(
            "api: {name: prop-api, kind: rest}\nfunctions: {f0: f0, f1: f1, f2: f2}\ndefault_auth: none\n",
        );
        y.push_str(&cors);
        y.push_str("routes:\n");
        let mut seen = std::collections::BTreeSet::new();
        for (p, m, t) in routes {
            // one route per path and method
            if seen.insert((p.clone(), m.clone())) {
                y.push_str(&format!("  - {{path: \"{p}\", method: {m}, {t}}}\n"));
            }
        }
        y.push_str("stages:\n");
        for (i, s) in stages.iter().enumerate() {
            y.push_str(&format!("  s{i}: {s}\n"));
        }
        y
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn applying_a_plan_reaches_a_fixed_point_and_any_spec_converges_from_any_other(
        a in spec_yaml(),
        b in spec_yaml(),
    ) {
        let opts = PlanOptions::default();
        let (sa, sb) = (load(&a), load(&b));
        let da = desired::rest(&sa, &functions(&sa), REGION);
        let db = desired::rest(&sb, &functions(&sb), REGION);

        let first = plan(&da, None, &BTreeMap::new(), opts);
        let (api, pol) = simulate::apply(None, BTreeMap::new(), &first.ops)
            .map_err(|e| TestCaseError::fail(format!("A's first plan does not apply: {e}\n{a}")))?;
        let again = plan(&da, Some(&api), &pol, opts);
        prop_assert!(again.is_empty(), "A not converged: {:?}\n{a}", again.changes);

        let to_b = plan(&db, Some(&api), &pol, opts);
        let (api_b, pol_b) = simulate::apply(Some(api), pol, &to_b.ops)
            .map_err(|e| TestCaseError::fail(format!("A -> B does not apply: {e}\nA:\n{a}\nB:\n{b}")))?;
        let rest = plan(&db, Some(&api_b), &pol_b, opts);
        prop_assert!(rest.is_empty(), "B not converged from A: {:?}\nA:\n{a}\nB:\n{b}", rest.changes);

        // exactly one deployment per real change: never more than one per plan
        let deployments = to_b.ops.iter().filter(|o| o.aws_name() == "CreateDeployment").count();
        prop_assert!(deployments <= 1);
        // and one permission statement per function and API, never duplicated
        for statements in pol_b.values() {
            let mut sids: Vec<&str> = statements.iter().map(|s| s.sid.as_str()).collect();
            let n = sids.len();
            sids.sort();
            sids.dedup();
            prop_assert_eq!(n, sids.len(), "duplicate statement");
        }
    }
}
