//! Property tests of `gwctl export` (issue 16), without AWS: for generated specs of each kind
//! (REST, HTTP, WebSocket), the desired API applied in the kind's AWS model
//! (`plan::{rest,http,ws}::simulate`), exported, and read back, gives the same desired state,
//! nothing left out, and a plan with nothing to do.

use std::collections::BTreeMap;

use gwctl::plan::export::ExportContext;
use gwctl::plan::rest::{desired, export, plan, simulate};
use gwctl::plan::PlanOptions;
use gwctl::state::usage::ObservedUsage;
use proptest::prelude::*;

use crate::support::offline::{
    functions, load, ws_request_parameters, ws_responses, REGION, WS_REQUEST_PARAMETER_SETS,
    WS_RESPONSE_SETS,
};

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

/// An HTTP API route: its path (`$default` has no method), method and the rest of its YAML.
fn http_route() -> impl Strategy<Value = (String, String, String)> {
    let seg = |level: usize| {
        prop_oneof![
            Just("a".to_string()),
            Just("items".to_string()),
            Just("v1.x-y_z~".to_string()),
            Just(if level == 0 {
                "{id}".to_string()
            } else {
                format!("{{p{level}}}")
            }),
            Just(format!("{{p{level}}}")),
        ]
    };
    let path = prop_oneof![
        8 => (1usize..=3, any::<bool>()).prop_flat_map(move |(depth, greedy)| {
            (0..depth)
                .map(|l| seg(l).boxed())
                .collect::<Vec<_>>()
                .prop_map(move |segs| {
                    let mut p = format!("/{}", segs.join("/"));
                    if greedy {
                        p.push_str("/{proxy+}");
                    }
                    p
                })
        }),
        1 => Just("/".to_string()),
        1 => Just("$default".to_string()),
    ];
    let method = prop_oneof![
        Just("GET"),
        Just("POST"),
        Just("PUT"),
        Just("DELETE"),
        Just("PATCH"),
        Just("HEAD"),
        Just("OPTIONS"),
        Just("ANY")
    ];
    let target = prop_oneof![
        (0usize..3).prop_map(|f| format!("function: f{f}")),
        (0usize..3).prop_map(|f| format!("function: f{f}, auth: iam")),
        (0usize..3).prop_map(|f| format!("function: f{f}, auth: jwt, scopes: [items/read, items/write]")),
        // Scopes need a jwt authorizer: `auth: jwt` is dropped below when it is the default.
        (0usize..3).prop_map(|f| format!("function: f{f}, auth: jwt, scopes: [x.y/z]")),
        (0usize..3).prop_map(|f| format!("function: f{f}, auth: jwt")),
        (0usize..3).prop_map(|f| format!("function: f{f}, auth: lam")),
        (0usize..3).prop_map(|f| format!("function: f{f}, auth: none, throttle: {{rate: 5, burst: 10}}")),
        (0usize..3).prop_map(|f| format!("function: f{f}, throttle: {{rate: 0.5, burst: 0}}")),
        (0usize..3).prop_map(|f| format!("integration: {{function: f{f}, payload_format_version: '1.0'}}")),
        (0usize..3).prop_map(|f| format!("integration: {{type: lambda_proxy, function: f{f}, payload_format_version: '2.0', timeout_ms: 5000}}")),
        (0usize..3).prop_map(|f| format!("integration: {{function: f{f}, timeout_ms: 30000, credentials: 'arn:aws:iam::123456789012:role/invoke'}}")),
        (0usize..3).prop_map(|f| format!("integration: {{function: f{f}, request_parameters: {{'append:header.x-id': $context.requestId, 'remove:querystring.q': \"''\"}}}}")),
        Just("integration: {type: http_proxy, uri: \"https://backend.example.com/x\"}".to_string()),
        Just("integration: {type: http_proxy, uri: \"https://backend.example.com/x\", http_method: POST, timeout_ms: 30000}".to_string()),
        Just("integration: {type: http_proxy, uri: \"https://backend.example.com/${stageVariables.v}\", http_method: GET, timeout_ms: 900}".to_string()),
        Just("integration: {type: http_proxy, uri: \"https://backend.example.com\", http_method: ANY, request_parameters: {'overwrite:path': $request.path, 'append:header.x-source': gwctl}}, auth: iam".to_string()),
    ];
    (path, method, target).prop_map(|(p, m, t)| (p, m.to_string(), t))
}

fn http_spec_yaml() -> impl Strategy<Value = String> {
    let routes = proptest::collection::vec(http_route(), 1..8);
    let api = prop_oneof![
        Just(String::new()),
        Just(", description: \"quotes ' and \\\" and a\\nnewline\"".to_string()),
        Just(", description: plain words, payload_format_version: '1.0'".to_string()),
        Just(", tags: {team: web, cost-center: '4711', 'on': 'true', 'a: b': '~'}".to_string()),
        Just(", disable_execute_api_endpoint: true, payload_format_version: '2.0'".to_string()),
    ];
    let jwt = prop_oneof![
        Just("{type: jwt, issuer: 'https://issuer.example.com', audience: [x]}"),
        Just("{type: jwt, issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc', audience: [b, a], identity_source: $request.querystring.token}"),
    ];
    let lam = prop_oneof![
        Just("{type: request, function: auth}"),
        Just("{type: request, function: auth, identity_sources: [$request.header.Authorization], ttl: 300}"),
        Just("{type: request, function: auth, identity_sources: [$request.header.X-T, $request.querystring.k, $context.routeKey, $stageVariables.s], ttl: 60, payload_format_version: '2.0', simple_responses: true}"),
        Just("{type: request, function: auth, identity_sources: [$request.header.Authorization], payload_format_version: '1.0'}"),
        Just("{type: request, function: auth, identity_sources: [$request.header.Authorization], ttl: 0, payload_format_version: '2.0', simple_responses: false}"),
    ];
    let default_auth = prop_oneof![Just("none"), Just("iam"), Just("jwt"), Just("lam")];
    let cors = prop_oneof![
        Just(String::new()),
        Just("cors: {origins: [\"https://app.example.com\"], max_age: 300}\n".to_string()),
        Just("cors: {origins: [\"https://a.example.com\", \"https://b.example.com\"], credentials: true, headers: [Content-Type, X-Api-Key]}\n".to_string()),
        Just("cors: {origins: [\"*\"], methods: [GET, PUT], headers: ['*'], expose_headers: [X-Id, x-other], max_age: 0}\n".to_string()),
        Just("cors: {origins: [\"https://app.example.com\"], methods: ['*'], headers: [Authorization]}\n".to_string()),
    ];
    let stage = prop_oneof![
        Just("{auto_deploy: true}".to_string()),
        Just("{auto_deploy: false, variables: {v: blue, color: 'a-b.c', n: '42', t: 'true', z: '~', url: 'https://h.example.com/p?a=1&b=2#f,g'}}".to_string()),
        Just("{auto_deploy: true, metrics: true, throttle: {rate: 50.5, burst: 100}}".to_string()),
        Just("{description: \"staging: blue # green\", throttle: {rate: 0, burst: 0}}".to_string()),
        Just("{access_log: {destination: 'arn:aws:logs:us-east-1:123456789012:log-group:h', format: '{\"requestId\": \"$context.requestId\", \"status\": \"$context.status\"}'}}".to_string()),
    ];
    let stages = proptest::collection::vec(stage, 0..3);
    let default_stage = any::<bool>();
    (
        (routes, api, jwt, lam, default_auth),
        (cors, stages, default_stage, v2_functions()),
    )
        .prop_map(
        |((routes, api, jwt, lam, default_auth), (cors, stages, default_stage, functions))| {
            let mut y = format!(
                "api: {{name: prop-http, kind: http{api}}}\nfunctions: {functions}\nauthorizers:\n  jwt: {jwt}\n  lam: {lam}\ndefault_auth: {default_auth}\n"
            );
            y.push_str(&cors);
            y.push_str("routes:\n");
            let mut seen = std::collections::BTreeSet::new();
            for (p, m, t) in routes {
                let (m, key) = if p == "$default" {
                    // No method, or ANY.
                    let m = if m == "ANY" { ", method: ANY" } else { "" };
                    (m.to_string(), p.clone())
                } else {
                    (format!(", method: {m}"), format!("{m} {p}"))
                };
                if seen.insert(key) {
                    let t = if default_auth == "jwt" {
                        t.replace("auth: jwt, scopes", "scopes")
                    } else {
                        t
                    };
                    y.push_str(&format!("  - {{path: \"{p}\"{m}, {t}}}\n"));
                }
            }
            if !stages.is_empty() {
                // A spec without stages is valid (with a warning).
                y.push_str("stages:\n");
            }
            for (i, s) in stages.iter().enumerate() {
                let name = if i == 0 && default_stage {
                    "$default".to_string()
                } else {
                    format!("s{i}")
                };
                y.push_str(&format!("  {name}: {s}\n"));
            }
            y
        },
    )
}

/// A WebSocket API route: its key and the rest of its YAML.
fn ws_route() -> impl Strategy<Value = (String, String)> {
    let key = prop_oneof![
        Just("$connect".to_string()),
        Just("$disconnect".to_string()),
        Just("$default".to_string()),
        Just("sendmessage".to_string()),
        Just("join".to_string()),
        Just("a.b-c_d:e".to_string()),
        Just("'42'".to_string()),
        Just("'true'".to_string()),
        Just("'~'".to_string()),
        Just("'a:b#c'".to_string()),
    ];
    let target = prop_oneof![
        (0usize..3).prop_map(|f| format!("function: f{f}")),
        (0usize..3).prop_map(|f| format!("function: f{f}, response: true")),
        (0usize..3).prop_map(|f| format!("function: f{f}, throttle: {{rate: 5.5, burst: 10}}")),
        (0usize..3).prop_map(|f| format!("integration: {{type: lambda_proxy, function: f{f}, timeout_ms: 5000}}")),
        (0usize..3).prop_map(|f| format!("integration: {{function: f{f}, credentials: 'arn:aws:iam::123456789012:role/invoke'}}")),
        (0usize..3).prop_map(|f| format!("integration: {{type: lambda_proxy, function: f{f}, timeout_ms: 29000}}")),
        (0usize..3).prop_map(|f| format!("integration: {{type: lambda, function: f{f}, credentials: 'arn:aws:iam::123456789012:role/invoke', request_templates: {{$default: '{{}}'}}}}")),
        Just("integration: {type: http_proxy, uri: \"https://backend.example.com/x\"}".to_string()),
        Just("integration: {type: http, uri: \"https://rpc.example.com/b\", http_method: POST, content_handling: CONVERT_TO_BINARY, request_templates: {$default: '{}'}}".to_string()),
        Just("integration: {type: mock, request_templates: {$default: '{\"statusCode\": 200}'}, passthrough_behavior: WHEN_NO_MATCH}".to_string()),
        Just("integration: {type: mock}, response: true".to_string()),
        Just("integration: {type: http, uri: \"https://rpc.example.com/bare\"}".to_string()),
        (0usize..3).prop_map(|f| format!("integration: {{type: lambda, function: f{f}, passthrough_behavior: WHEN_NO_TEMPLATES, content_handling: CONVERT_TO_BINARY}}")),
        Just("integration: {type: http_proxy, uri: \"https://backend.example.com/x\", http_method: PUT, timeout_ms: 29000}, response: true".to_string()),
        Just("integration: {type: http, uri: \"https://rpc.example.com\", http_method: GET, timeout_ms: 1000, template_selection: \\$default, request_templates: {$default: '{}'}, passthrough_behavior: NEVER}".to_string()),
        Just("integration: {type: mock, template_selection: \\$default, request_templates: {$default: '{\"statusCode\": 200}'}}, response: true".to_string()),
        Just("integration: {type: mock, template_selection: $request.body.kind, request_templates: {a: '{\"statusCode\": 200}', b: '{\"statusCode\": 404}'}, passthrough_behavior: WHEN_NO_TEMPLATES}".to_string()),
        (0usize..3).prop_map(|f| format!("integration: {{type: lambda, function: f{f}, timeout_ms: 5000, template_selection: \\$default, request_templates: {{$default: '$input.body'}}}}")),
        (0usize..3).prop_map(|f| format!("integration: {{type: lambda, function: f{f}, template_selection: \\$default, request_templates: {{$default: '{{\"m\": $input.body}}'}}, passthrough_behavior: NEVER, content_handling: CONVERT_TO_TEXT}}, response: true")),        // Integration responses; `n` is in the integration's settings too, so routes sharing
        // one declare the same responses.
        (0..WS_RESPONSE_SETS).prop_map(|n| format!("integration: {{type: mock, template_selection: \\$default, request_templates: {{$default: '{{\"statusCode\": 200, \"r\": {n}}}'}}, {}}}, response: true", ws_responses(n))),
        (0usize..3, 0..WS_RESPONSE_SETS).prop_map(|(f, n)| format!("integration: {{type: lambda, function: f{f}, timeout_ms: {}, template_selection: \\$default, request_templates: {{$default: '$input.body'}}, passthrough_behavior: WHEN_NO_MATCH, {}}}, response: true", 1000 + n, ws_responses(n))),
        (0..WS_RESPONSE_SETS).prop_map(|n| format!("integration: {{type: http, uri: \"https://rpc.example.com/r{n}\", http_method: PUT, content_handling: CONVERT_TO_TEXT, {}}}", ws_responses(n))),
        // Request parameters (non-empty sets: an empty map exports as none) on each kind
        // that takes them.
        (1..WS_REQUEST_PARAMETER_SETS).prop_map(|p| format!("integration: {{type: http_proxy, uri: \"https://backend.example.com/p\", {}}}", ws_request_parameters(p))),
        (1..WS_REQUEST_PARAMETER_SETS).prop_map(|p| format!("integration: {{type: http, uri: \"https://rpc.example.com/p\", {}}}", ws_request_parameters(p))),
        (0usize..3, 1..WS_REQUEST_PARAMETER_SETS).prop_map(|(f, p)| format!("integration: {{type: lambda, function: f{f}, template_selection: \\$default, request_templates: {{$default: '{{\"p\": {p}}}'}}, {}}}", ws_request_parameters(p))),
    ];
    (key, target)
}

fn ws_spec_yaml() -> impl Strategy<Value = String> {
    let routes = proptest::collection::vec(ws_route(), 1..7);
    let connect_auth = prop_oneof![Just(""), Just(", auth: iam"), Just(", auth: t")];
    let api = prop_oneof![
        Just(""),
        Just(", route_selection: $request.body.type"),
        Just(", route_selection: $request.body.action"),
        Just(", api_key_selection: $request.header.x-api-key"),
        Just(", api_key_selection: $context.authorizer.usageIdentifierKey, description: chat"),
        Just(", description: \"quotes ' and \\\" and a\\nnewline\", tags: {team: ws, cost-center: '4711', 'null': '1.5'}"),
    ];
    let identity = prop_oneof![
        Just("[route.request.header.Auth]"),
        Just("[route.request.querystring.token, route.request.header.X-T, stageVariables.s, context.routeKey]"),
    ];
    let stage = prop_oneof![
        Just("{auto_deploy: true, logging: INFO, metrics: true}".to_string()),
        Just("{logging: ERROR, data_trace: true, throttle: {rate: 50.5, burst: 100}}".to_string()),
        Just("{description: \"staging: blue # green\", variables: {color: blue, v: 'a-b.c', n: '0x1F', f: 'false', z: '~', q: '?a=b&c=d#e'}}".to_string()),
        Just("{auto_deploy: true}".to_string()),
        Just("{throttle: {rate: 0, burst: 0}, access_log: {destination: 'arn:aws:logs:us-east-1:123456789012:log-group:w', format: '{\"id\": \"$context.requestId\"}'}}".to_string()),
    ];
    let stages = proptest::collection::vec(stage, 0..3);
    (routes, connect_auth, api, identity, stages, v2_functions()).prop_map(
        |(routes, auth, api, identity, stages, functions)| {
            let mut y = format!(
                "api: {{name: prop-ws, kind: websocket{api}}}\nfunctions: {functions}\n\
                 authorizers:\n  t: {{type: request, function: auth, identity_sources: {identity}}}\nroutes:\n"
            );
            let mut seen = std::collections::BTreeSet::new();
            for (k, t) in routes {
                if seen.insert(k.clone()) {
                    // Only `$connect` is authorized.
                    let a = if k == "$connect" { auth } else { "" };
                    y.push_str(&format!("  - {{route: {k}, {t}{a}}}\n"));
                }
            }
            if !stages.is_empty() {
                // A spec without stages is valid (with a warning).
                y.push_str("stages:\n");
            }
            for (i, s) in stages.iter().enumerate() {
                y.push_str(&format!("  s{i}: {s}\n"));
            }
            y
        },
    )
}

/// The v2 properties' functions: a plain name, an alias written `NAME:QUALIFIER`, a
/// function of another account and region by ARN; the authorizer's a name or an alias.
fn v2_functions() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{f0: f0, f1: f1, f2: f2, auth: auth-fn}"),
        Just("{f0: f0, f1: 'f1:live', f2: 'arn:aws:lambda:eu-west-1:999999999999:function:far', auth: {name: auth-fn, alias: live}}"),
    ]
    .prop_map(str::to_string)
}

/// Functions as get-function would resolve them (as `src/plan/export_tests.rs` does): names
/// in this account and region, ARNs as they are, qualifiers kept.
fn resolve(spec: &gwctl::spec::model::Spec) -> Vec<gwctl::state::ResolvedFunction> {
    use crate::support::offline::ACCOUNT;
    use gwctl::spec::arn::FunctionArn;
    spec.functions
        .iter()
        .map(|f| {
            let v = &f.name_or_arn.value;
            let (arn, q) = match FunctionArn::parse(v) {
                Some(a) => (a.unqualified(), a.qualifier.clone()),
                None => {
                    let (name, q) = match v.split_once(':') {
                        Some((n, q)) => (n.to_string(), Some(q.to_string())),
                        None => (v.clone(), None),
                    };
                    (
                        format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"),
                        q,
                    )
                }
            };
            let parsed = FunctionArn::parse(&arn).expect("an arn");
            gwctl::state::ResolvedFunction {
                key: f.key.value.clone(),
                function_arn: arn,
                name: parsed.name.clone(),
                qualifier: f.qualifier.clone().or(q),
                account: parsed.account,
                region: parsed.region,
            }
        })
        .collect()
}

/// Only the functions of this account and region are named (export writes others' ARNs).
fn local_context(f: &[gwctl::state::ResolvedFunction]) -> ExportContext {
    let local: Vec<_> = f
        .iter()
        .filter(|f| f.region == REGION && f.account == crate::support::offline::ACCOUNT)
        .cloned()
        .collect();
    context(&local)
}

/// Permissions without the spec-local function keys (export names functions itself).
fn permissions(p: &[gwctl::plan::permissions::DesiredPermission]) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = p
        .iter()
        .map(|p| {
            (
                p.function.clone(),
                p.statement_id.clone(),
                p.source_arn.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

/// v2 stages as export writes them: `auto_deploy: false` is the value every live stage
/// holds, so a stage that leaves it out exports with it written, which reads the same (as
/// `src/plan/export_tests.rs` compares them).
fn auto_deploy_as_exported<S: Clone>(
    stages: &BTreeMap<String, S>,
    auto_deploy: impl Fn(&mut S) -> &mut Option<bool>,
) -> BTreeMap<String, S> {
    let mut out = stages.clone();
    for st in out.values_mut() {
        let a = auto_deploy(st);
        if *a == Some(false) {
            *a = None;
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn a_simulated_http_api_exports_to_the_spec_it_was_made_from(yaml in http_spec_yaml()) {
        use gwctl::plan::http;
        let opts = PlanOptions::default();
        let s = load(&yaml);
        let f = resolve(&s);
        let d = http::desired(&s, &f, REGION);
        let first = http::plan(&d, None, &BTreeMap::new(), opts);
        let (api, pol) = http::simulate::apply(None, BTreeMap::new(), &first.ops)
            .map_err(|e| TestCaseError::fail(format!("the plan does not apply: {e}\n{yaml}")))?;
        let out = http::export::export(&api, &local_context(&f));
        prop_assert!(out.left_out.is_empty(), "{:?}\n{yaml}\n{}", out.left_out, out.yaml);
        let s2 = load(&out.yaml);
        let d2 = http::desired(&s2, &resolve(&s2), REGION);
        prop_assert_eq!(&d2.config, &d.config, "{}\n{}", yaml, out.yaml);
        let stages = |d: &http::DesiredHttp| {
            auto_deploy_as_exported(&d.stages, |s: &mut gwctl::state::http::Stage| &mut s.auto_deploy)
        };
        prop_assert_eq!(stages(&d2), stages(&d), "{}\n{}", yaml, out.yaml);
        prop_assert_eq!(&d2.tags, &d.tags, "{}\n{}", yaml, out.yaml);
        prop_assert_eq!(permissions(&d2.permissions), permissions(&d.permissions), "{}\n{}", yaml, out.yaml);
        let again = http::plan(&d2, Some(&api), &pol, opts);
        prop_assert!(again.is_empty(), "{:?}\n{yaml}\n{}", again.changes, out.yaml);
    }

    #[test]
    fn a_simulated_websocket_api_exports_to_the_spec_it_was_made_from(yaml in ws_spec_yaml()) {
        use gwctl::plan::ws;
        let opts = PlanOptions::default();
        let s = load(&yaml);
        let f = resolve(&s);
        let d = ws::desired(&s, &f, REGION);
        let first = ws::plan(&d, None, &BTreeMap::new(), opts);
        let (api, pol) = ws::simulate::apply(None, BTreeMap::new(), &first.ops)
            .map_err(|e| TestCaseError::fail(format!("the plan does not apply: {e}\n{yaml}")))?;
        let out = ws::export::export(&api, &local_context(&f));
        prop_assert!(out.left_out.is_empty(), "{:?}\n{yaml}\n{}", out.left_out, out.yaml);
        let s2 = load(&out.yaml);
        let d2 = ws::desired(&s2, &resolve(&s2), REGION);
        prop_assert_eq!(&d2.config, &d.config, "{}\n{}", yaml, out.yaml);
        let stages = |d: &ws::DesiredWs| {
            auto_deploy_as_exported(&d.stages, |s: &mut gwctl::state::ws::Stage| &mut s.auto_deploy)
        };
        prop_assert_eq!(stages(&d2), stages(&d), "{}\n{}", yaml, out.yaml);
        prop_assert_eq!(&d2.tags, &d.tags, "{}\n{}", yaml, out.yaml);
        prop_assert_eq!(permissions(&d2.permissions), permissions(&d.permissions), "{}\n{}", yaml, out.yaml);
        let again = ws::plan(&d2, Some(&api), &pol, opts);
        prop_assert!(again.is_empty(), "{:?}\n{yaml}\n{}", again.changes, out.yaml);
    }
}
