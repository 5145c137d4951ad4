//! CORS planner tests: no SDK, no network. Specs go through the real spec loader; the
//! "account" is the simulator, which models what AWS does with each op.

use std::collections::BTreeMap;

use super::*;
use crate::plan::rest::desired;
use crate::plan::rest::simulate;
use crate::state::rest::{ObservedRestApi, Resource};

use crate::plan::rest::tests::{resolve, spec, todo_yaml, REGION};

fn config_of(yaml: &str) -> RestApi {
    let s = spec(yaml);
    desired::rest(&s, &resolve(&s), REGION).config
}

fn cors(yaml_block: &str) -> CorsDef {
    spec(&format!(
        "version: 1\napi: {{name: x, kind: rest}}\ncors: {yaml_block}\nroutes:\n  - {{path: /x, method: GET, integration: {{type: mock}}, auth: none}}\n"
    ))
    .cors
    .expect("cors block")
}

fn todo() -> RestApi {
    config_of(&todo_yaml())
}

/// Seed 003 by hand: one resource `/items` with `GET` to a Lambda proxy, nothing else.
fn seed_003() -> RestApi {
    config_of(
        "version: 1\napi: {name: items, kind: rest}\nfunctions: {f: MyFunction}\ndefault_auth: none\nroutes:\n  - {path: /items, method: GET, function: f}\n",
    )
}

fn observed(config: RestApi) -> ObservedRestApi {
    ObservedRestApi {
        id: "api1".into(),
        resource_ids: config
            .resources
            .keys()
            .enumerate()
            .map(|(i, p)| (p.clone(), format!("r{i}")))
            .collect(),
        config,
        ..Default::default()
    }
}

/// Apply a plan's ops to `config` in the AWS model.
fn run(config: &RestApi, p: &Plan) -> RestApi {
    let (api, _) = simulate::apply(Some(observed(config.clone())), BTreeMap::new(), &p.ops)
        .expect("plan applies cleanly");
    api.config
}

fn header<'a>(m: &'a Method, name: &str) -> Option<&'a str> {
    m.integration.as_ref()?.responses["200"]
        .response_parameters
        .get(&format!("method.response.header.{name}"))
        .map(String::as_str)
}

fn gw_header<'a>(g: &'a GatewayResponse, name: &str) -> Option<&'a str> {
    g.response_parameters
        .get(&format!("gatewayresponse.header.{name}"))
        .map(String::as_str)
}

#[test]
fn todo_preflights_allow_each_resources_own_methods() {
    let c = todo();
    let list = &c.resources["/todos"].methods["OPTIONS"];
    let item = &c.resources["/todos/{id}"].methods["OPTIONS"];
    assert_eq!(
        header(list, "Access-Control-Allow-Methods"),
        Some("'GET,OPTIONS,POST'")
    );
    assert_eq!(
        header(item, "Access-Control-Allow-Methods"),
        Some("'DELETE,GET,OPTIONS,PUT'")
    );
    for m in [list, item] {
        assert_eq!(
            header(m, "Access-Control-Allow-Origin"),
            Some("'http://localhost:3000'")
        );
        assert_eq!(
            header(m, "Access-Control-Allow-Headers"),
            Some("'Content-Type,Authorization'")
        );
        assert_eq!(header(m, "Access-Control-Max-Age"), Some("'600'"));
        assert_eq!(header(m, "Access-Control-Allow-Credentials"), None);
        assert_eq!(header(m, "Access-Control-Expose-Headers"), None);
        assert_eq!(header(m, "Vary"), None);
        assert_eq!(m.authorization_type, "NONE");
        assert!(!m.api_key_required);
        assert!(is_gwctl_preflight(m));
        // Every header the integration response sets is declared on the method response.
        let declared: Vec<&String> = m.method_responses["200"]
            .response_parameters
            .keys()
            .collect();
        let set: Vec<&String> = m.integration.as_ref().unwrap().responses["200"]
            .response_parameters
            .keys()
            .collect();
        assert_eq!(declared, set);
    }
    // The root has no routes: no preflight.
    assert!(c.resources["/"].methods.is_empty());
    for t in GATEWAY_RESPONSE_TYPES {
        let g = &c.gateway_responses[t];
        assert_eq!(
            gw_header(g, "Access-Control-Allow-Origin"),
            Some("'http://localhost:3000'")
        );
        assert_eq!(gw_header(g, GATEWAY_MARK_HEADER), Some("'1'"));
        assert_eq!(
            g.response_templates
                .get("application/json")
                .map(String::as_str),
            Some(DEFAULT_ERROR_TEMPLATE)
        );
        assert!(is_gwctl_gateway_response(g));
    }
}

#[test]
fn the_preflight_request_template_is_the_status_after_a_vtl_comment() {
    let (first, rest) = PREFLIGHT_REQUEST_TEMPLATE.split_once('\n').unwrap();
    assert!(first.starts_with("## "), "a VTL line comment: {first}");
    assert!(first.starts_with(PREFLIGHT_MARK));
    assert_eq!(rest, "{\"statusCode\": 200}");
}

#[test]
fn allow_methods_expands_any_and_honours_the_cors_method_list() {
    let open = cors("{origins: [\"https://a.example\"]}");
    assert_eq!(
        allow_methods(&open, ["ANY", "OPTIONS"]),
        ["DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    assert!(allow_methods(&open, ["OPTIONS"]).is_empty());
    let limited = cors("{origins: [\"https://a.example\"], methods: [GET, PUT]}");
    assert_eq!(
        allow_methods(&limited, ["GET", "POST", "PUT"]),
        ["GET", "PUT"].iter().map(|s| s.to_string()).collect()
    );
    assert!(allow_methods(&limited, ["POST"]).is_empty());
    let star = cors("{origins: [\"https://a.example\"], methods: [\"*\"]}");
    assert_eq!(allow_methods(&star, ["POST"]).len(), 1);
}

#[test]
fn several_origins_are_echoed_by_the_preflight_only_when_listed() {
    let c = cors("{origins: [\"https://a.example\", \"https://b.example:8443\"]}");
    let m = preflight_method(&c, &["GET".to_string()].into());
    // No static origin: the template decides.
    assert_eq!(header(&m, "Access-Control-Allow-Origin"), None);
    assert_eq!(header(&m, "Vary"), Some("'Origin'"));
    let t =
        &m.integration.as_ref().unwrap().responses["200"].response_templates["application/json"];
    assert!(t.contains("$origin == \"https://a.example\" || $origin == \"https://b.example:8443\""));
    assert!(
        t.contains("#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)")
    );
    // Declared so the override may set it.
    assert!(m.method_responses["200"]
        .response_parameters
        .contains_key("method.response.header.Access-Control-Allow-Origin"));
    // Errors without credentials: the request's origin (what `*` would allow anyway).
    let g = gateway_response(&c);
    assert_eq!(
        gw_header(&g, "Access-Control-Allow-Origin"),
        Some("method.request.header.Origin")
    );
    assert_eq!(gw_header(&g, "Vary"), Some("'Origin'"));
    assert_eq!(gw_header(&g, "Access-Control-Allow-Credentials"), None);
}

#[test]
fn several_origins_with_credentials_never_answer_star_or_an_arbitrary_origin() {
    let c = cors(
        "{origins: [\"https://a.example\", \"https://b.example\"], credentials: true, expose_headers: [X-Request-Id]}",
    );
    let m = preflight_method(&c, &["GET".to_string()].into());
    assert_eq!(
        header(&m, "Access-Control-Allow-Credentials"),
        Some("'true'")
    );
    assert_eq!(header(&m, "Access-Control-Allow-Origin"), None);
    let g = gateway_response(&c);
    assert_eq!(
        gw_header(&g, "Access-Control-Allow-Origin"),
        Some("'https://a.example'")
    );
    assert_eq!(
        gw_header(&g, "Access-Control-Allow-Credentials"),
        Some("'true'")
    );
    assert_eq!(
        gw_header(&g, "Access-Control-Expose-Headers"),
        Some("'X-Request-Id'")
    );
    assert_eq!(gw_header(&g, "Vary"), None);
    for v in g.response_parameters.values() {
        assert!(
            !v.contains("method.request"),
            "no echo with credentials: {v}"
        );
        assert_ne!(v, "'*'");
    }
}

#[test]
fn a_star_origin_is_static_everywhere() {
    let c = cors("{origins: [\"*\"]}");
    let m = preflight_method(&c, &["GET".to_string()].into());
    assert_eq!(header(&m, "Access-Control-Allow-Origin"), Some("'*'"));
    assert!(m.integration.as_ref().unwrap().responses["200"]
        .response_templates
        .is_empty());
    assert_eq!(
        gw_header(&gateway_response(&c), "Access-Control-Allow-Origin"),
        Some("'*'")
    );
}

#[test]
fn a_console_made_preflight_and_gateway_response_are_not_gwctls() {
    let mut m = preflight_method(&cors("{origins: [\"*\"]}"), &["GET".to_string()].into());
    m.integration.as_mut().unwrap().request_templates =
        BTreeMap::from([("application/json".into(), "{\"statusCode\": 200}".into())]);
    assert!(!is_gwctl_preflight(&m));
    let mut g = gateway_response(&cors("{origins: [\"*\"]}"));
    g.response_parameters
        .remove("gatewayresponse.header.X-Gwctl-Cors");
    assert!(!is_gwctl_gateway_response(&g));
}

#[test]
fn enable_on_a_hand_made_api_then_disable_restores_it_exactly() {
    let before = seed_003();
    let c = cors("{origins: [\"https://app.example.com\"], max_age: 60}");
    let e = plan_enable(&before, &c, &[]).unwrap();
    let kinds: Vec<(&str, &str)> = e
        .plan
        .changes
        .iter()
        .map(|ch| (ch.kind.as_str(), ch.name.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("method", "OPTIONS /items"),
            ("gateway_response", "DEFAULT_4XX"),
            ("gateway_response", "DEFAULT_5XX"),
        ]
    );
    // Only CORS pieces: OPTIONS method calls and the two gateway responses.
    for op in &e.plan.ops {
        match op {
            Op::PutMethod { method, .. }
            | Op::PutMethodResponse { method, .. }
            | Op::PutIntegration { method, .. }
            | Op::PutIntegrationResponse { method, .. } => assert_eq!(method, "OPTIONS"),
            Op::PutGatewayResponse { .. } => {}
            other => panic!("not a CORS piece: {other:?}"),
        }
    }
    assert!(e.left_alone.is_empty());
    let enabled = run(&before, &e.plan);
    assert_eq!(enabled, e.after);
    // Enable twice: nothing to do.
    let again = plan_enable(&enabled, &c, &[]).unwrap();
    assert!(again.plan.is_empty(), "{:?}", again.plan.changes);
    // Disable: exactly what enable added goes away.
    let d = plan_disable(&enabled, &[]).unwrap();
    assert_eq!(d.plan.ops.len(), 3);
    let disabled = run(&enabled, &d.plan);
    assert_eq!(disabled, before);
    assert_eq!(d.after, before);
    // And a second disable has nothing to remove.
    assert!(plan_disable(&disabled, &[]).unwrap().plan.is_empty());
}

#[test]
fn enable_and_disable_leave_what_gwctl_did_not_make() {
    let mut before = seed_003();
    // A resource with a console-made preflight, and a customised DEFAULT_4XX.
    let hand = {
        let mut m = preflight_method(&cors("{origins: [\"*\"]}"), &["POST".to_string()].into());
        m.integration.as_mut().unwrap().request_templates =
            BTreeMap::from([("application/json".into(), "{\"statusCode\": 200}".into())]);
        m
    };
    let mut res = before.resources["/items"].clone();
    res.methods.insert("OPTIONS".into(), hand.clone());
    before.resources.insert("/orders".into(), res);
    before.gateway_responses.insert(
        "DEFAULT_4XX".into(),
        GatewayResponse {
            status_code: None,
            response_parameters: BTreeMap::from([(
                "gatewayresponse.header.Access-Control-Allow-Origin".into(),
                "'*'".into(),
            )]),
            response_templates: BTreeMap::new(),
        },
    );
    let c = cors("{origins: [\"https://app.example.com\"]}");
    let e = plan_enable(&before, &c, &[]).unwrap();
    let names: Vec<&str> = e.plan.changes.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["OPTIONS /items", "DEFAULT_5XX"]);
    assert_eq!(e.left_alone.len(), 2, "{:?}", e.left_alone);
    assert!(e.left_alone[0].contains("`OPTIONS /orders` was not made by gwctl"));
    assert!(e.left_alone[1].contains("`DEFAULT_4XX` was customised outside gwctl"));
    let enabled = run(&before, &e.plan);
    assert_eq!(enabled.resources["/orders"].methods["OPTIONS"], hand);
    let d = plan_disable(&enabled, &[]).unwrap();
    assert_eq!(run(&enabled, &d.plan), before);
}

#[test]
fn scoped_enable_and_disable_touch_only_the_named_resources() {
    let before = todo_without_cors();
    let c = cors("{origins: [\"https://app.example.com\"]}");
    let scope = vec!["/todos".to_string()];
    let e = plan_enable(&before, &c, &scope).unwrap();
    let names: Vec<&str> = e.plan.changes.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["OPTIONS /todos", "DEFAULT_4XX", "DEFAULT_5XX"]);
    let enabled = run(&before, &e.plan);
    assert!(!enabled.resources["/todos/{id}"]
        .methods
        .contains_key("OPTIONS"));
    // Enabling the other resource later, then disabling one: the gateway responses stay
    // while a gwctl preflight remains.
    let both = run(
        &enabled,
        &plan_enable(&enabled, &c, &["/todos/{id}".to_string()])
            .unwrap()
            .plan,
    );
    let d = plan_disable(&both, &scope).unwrap();
    let names: Vec<&str> = d.plan.changes.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["OPTIONS /todos"]);
    let d = plan_disable(&enabled, &scope).unwrap();
    assert_eq!(run(&enabled, &d.plan), before);
    assert_eq!(
        plan_enable(&before, &c, &["/nope".to_string()]).unwrap_err(),
        ScopeError::NoResource("/nope".into())
    );
}

fn todo_without_cors() -> RestApi {
    let mut c = todo();
    c.gateway_responses.clear();
    for r in c.resources.values_mut() {
        r.methods.remove("OPTIONS");
    }
    c
}

#[test]
fn enable_with_the_specs_cors_builds_what_apply_builds() {
    let mut want = todo();
    // The preflights it puts declare the path parameters of their paths, as apply's do.
    for (path, r) in want.resources.iter_mut() {
        if let Some(m) = r.methods.get_mut("OPTIONS") {
            *m = crate::plan::rest::method::with_path_parameters(path, m);
        }
    }
    let s = spec(&todo_yaml());
    let e = plan_enable(&todo_without_cors(), s.cors.as_ref().unwrap(), &[]).unwrap();
    assert_eq!(e.after, want);
}

#[test]
fn enable_removes_its_own_preflight_from_a_resource_left_without_methods() {
    let c = cors("{origins: [\"https://app.example.com\"]}");
    let mut before = seed_003();
    let mut res = Resource::default();
    res.methods.insert(
        "OPTIONS".into(),
        preflight_method(&c, &["GET".to_string()].into()),
    );
    before.resources.insert("/gone".into(), res);
    let e = plan_enable(&before, &c, &[]).unwrap();
    assert_eq!(e.plan.changes[0].name, "OPTIONS /gone");
    assert_eq!(e.plan.changes[0].action, Action::Delete);
    let after = run(&before, &e.plan);
    assert!(after.resources["/gone"].methods.is_empty());
}
