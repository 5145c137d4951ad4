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
        // Route caches (a stage with a cache is added when no stage has one).
        (0usize..3).prop_map(|f| format!("function: f{f}, request_parameters: {{method.request.querystring.q: false}}, cache: {{ttl: 30, key_parameters: [method.request.querystring.q]}}")),
        (0usize..3).prop_map(|f| format!("function: f{f}, cache: {{enabled: false}}")),
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
        // SAM's shape: no gateway responses.
        Just("cors: {origins: [\"*\"], headers: [Content-Type, Authorization], gateway_responses: false}\n".to_string()),
    ];
    let stage = prop_oneof![
        Just("{logging: INFO, metrics: true}".to_string()),
        Just("{logging: ERROR, data_trace: true, throttle: {rate: 50.5, burst: 100}}".to_string()),
        Just("{description: \"staging: blue # green\", variables: {color: blue}}".to_string()),
        Just("{tracing: true}".to_string()),
        Just("{cache: {size: '0.5', ttl: 120, encrypted: true}}".to_string()),
        Just("{cache: {size: '6.1'}, metrics: true}".to_string()),
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
            if y.contains(", cache: {") && !stages.iter().any(|s| s.contains("cache:")) {
                y.push_str("  cached: {cache: {size: '0.5'}}\n");
            }
            y
        },
    )
}

fn context(f: &[gwctl::state::ResolvedFunction]) -> ExportContext {
    ExportContext {
        region: REGION.into(),
        local_functions: f
            .iter()
            .map(|f| (f.function_arn.clone(), f.name.clone()))
            .collect(),
        stage: None,
    }
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
        let ctx = context(&f);
        let out = export::export(&api, &ObservedUsage::default(), &Vec::new(), &ctx);
        prop_assert!(out.left_out.is_empty(), "{:?}\n{yaml}\n{}", out.left_out, out.yaml);
        let s2 = load(&out.yaml);
        let d2 = desired::rest(&s2, &functions(&s2), REGION);
        prop_assert_eq!(&d2.config, &d.config, "{}\n{}", yaml, out.yaml);
        prop_assert_eq!(&d2.stages, &d.stages, "{}\n{}", yaml, out.yaml);
        let again = plan(&d2, Some(&api), &pol, opts);
        prop_assert!(again.is_empty(), "{:?}\n{yaml}\n{}", again.changes, out.yaml);
    }

    /// The same API with its CORS pieces respelled as the console or SAM writes them (no
    /// gwctl markers, other template spellings, lower-case header names, spaces in lists),
    /// a canary made by `deploy --canary`, deployed by hand: the export is the same desired
    /// state (the canary's settings added), and planned as `--api-id` plans it, nothing.
    #[test]
    fn an_api_with_cors_made_elsewhere_and_a_canary_exports_the_same_cors(
        yaml in spec_yaml(),
        sam in any::<bool>(),
        canary in proptest::option::of((0u32..=100, any::<bool>())),
    ) {
        let s = load(&yaml);
        let f = functions(&s);
        let d = desired::rest(&s, &f, REGION);
        let first = plan(&d, None, &BTreeMap::new(), PlanOptions::default());
        let (mut api, pol) = simulate::apply(None, BTreeMap::new(), &first.ops)
            .map_err(|e| TestCaseError::fail(format!("the plan does not apply: {e}\n{yaml}")))?;
        respell(&mut api.config, sam);
        for dep in api.deployments.values_mut() {
            dep.description = None;
        }
        let mut want_stages = d.stages.clone();
        if let Some((percent, vars)) = canary {
            let c = gwctl::state::rest::Canary {
                deployment_id: api.stages["s0"].deployment_id.clone(),
                percent: Some(f64::from(percent) / 4.0),
                variables: vars.then(|| BTreeMap::from([("v".to_string(), "2".to_string())])),
            };
            api.stages.get_mut("s0").unwrap().settings.canary = Some(c.clone());
            want_stages.get_mut("s0").unwrap().canary = Some(gwctl::state::rest::Canary {
                deployment_id: None,
                ..c
            });
        }
        let ctx = context(&f);
        let out = export::export(&api, &ObservedUsage::default(), &Vec::new(), &ctx);
        prop_assert!(out.left_out.is_empty(), "{:?}\n{yaml}\n{}", out.left_out, out.yaml);
        let s2 = load(&out.yaml);
        let d2 = desired::rest(&s2, &functions(&s2), REGION);
        prop_assert_eq!(&d2.config, &d.config, "{}\n{}", yaml, out.yaml);
        prop_assert_eq!(&d2.stages, &want_stages, "{}\n{}", yaml, out.yaml);
        let adopted = PlanOptions { prune: false, force_deploy: false };
        let again = plan(&d2, Some(&api), &pol, adopted);
        prop_assert!(again.is_empty(), "{:?}\n{yaml}\n{}", again.changes, out.yaml);
    }
}

/// gwctl's preflights and gateway responses as the console (or SAM) spells the same thing.
fn respell(c: &mut gwctl::state::rest::RestApi, sam: bool) {
    for r in c.resources.values_mut() {
        let Some(m) = r.methods.get_mut("OPTIONS") else {
            continue;
        };
        let i = m.integration.as_mut().unwrap();
        let template = if sam {
            "{\n  \"statusCode\" : 200\n}\n"
        } else {
            "{\"statusCode\": 200}"
        };
        i.request_templates = BTreeMap::from([("application/json".into(), template.into())]);
        let resp = i.responses.get_mut("200").unwrap();
        let lower = |k: &String| {
            k.replace(
                "Access-Control-Allow-Methods",
                "access-control-allow-methods",
            )
        };
        resp.response_parameters = resp
            .response_parameters
            .iter()
            .map(|(k, v)| (lower(k), v.replace(',', ", ")))
            .collect();
        if sam && resp.response_templates.is_empty() {
            resp.response_templates
                .insert("application/json".into(), "{}\n".into());
        }
        let mr = m.method_responses.get_mut("200").unwrap();
        mr.response_parameters = mr
            .response_parameters
            .keys()
            .map(|k| (lower(k), sam))
            .collect();
        if sam {
            mr.response_models.clear();
        }
    }
    // Without preflights the gateway responses are all there is to read the headers from.
    let preflights = c
        .resources
        .values()
        .any(|r| r.methods.contains_key("OPTIONS"));
    for g in c.gateway_responses.values_mut() {
        g.response_parameters
            .remove("gatewayresponse.header.X-Gwctl-Cors");
        if preflights {
            g.response_parameters
                .remove("gatewayresponse.header.Access-Control-Allow-Headers");
        }
        if sam {
            g.response_templates.clear();
        }
    }
}
