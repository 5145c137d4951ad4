//! HTTP API planner tests: specs parsed by the real loader, the account modelled by
//! `simulate_http`. "Apply, then plan again: empty" and exact op lists.

use std::collections::BTreeMap;

use super::ops::HttpOp;
use super::simulate as simulate_http;
use super::{desired, plan, DesiredHttp, HttpPlan};
use crate::plan::rest::tests::{read_spec, resolve, spec};
use crate::plan::{Action, PlanOptions};
use crate::state::http::{ObservedHttpApi, RawRoute};
use crate::state::rest::Policies;

const REGION: &str = "us-east-1";

fn desired_of(yaml: &str) -> DesiredHttp {
    let s = spec(yaml);
    desired(&s, &resolve(&s), REGION)
}

fn names(p: &HttpPlan) -> Vec<&'static str> {
    p.ops.iter().map(|o| o.aws_name()).collect()
}

fn count(p: &HttpPlan, name: &str) -> usize {
    p.ops.iter().filter(|o| o.aws_name() == name).count()
}

fn converge(
    d: &DesiredHttp,
    observed: Option<ObservedHttpApi>,
    policies: Policies,
) -> (HttpPlan, ObservedHttpApi, Policies) {
    let p = plan(d, observed.as_ref(), &policies, PlanOptions::default());
    let (api, pol) = simulate_http::apply(observed, policies, &p.ops)
        .unwrap_or_else(|e| panic!("plan applies cleanly: {e}\n{:#?}", p.ops));
    (p, api, pol)
}

fn assert_converged(d: &DesiredHttp, api: &ObservedHttpApi, pol: &Policies) {
    let again = plan(d, Some(api), pol, PlanOptions::default());
    assert!(
        again.is_empty(),
        "second plan should be empty, got {:#?}",
        again.changes
    );
}

const STAGED: &str = r#"
api: {name: staged-http, kind: http, description: two stages}
functions:
  app: app-fn
  other: other-fn
default_auth: none
routes:
  - {path: /todos, method: GET, function: app}
  - {path: /todos, method: POST, function: app, throttle: {rate: 10, burst: 5}}
  - {path: "/todos/{id}", method: GET, function: other}
stages:
  $default:
    auto_deploy: true
    metrics: true
    throttle: {rate: 50, burst: 100}
    access_log:
      destination: arn:aws:logs:us-east-1:123456789012:log-group:/apigw/todo-http
      format: '$context.requestId $context.httpMethod $context.path $context.status'
  canary:
    auto_deploy: false
    variables: {version: v2}
"#;

/// tests/fixtures/http-secured.yaml: JWT and Lambda REQUEST authorizers.
fn secured() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/http-secured.yaml"
    ))
    .unwrap()
}

const BACKENDS: &str = r#"
api: {name: http-backends, kind: http, payload_format_version: "1.0"}
functions:
  app: app-fn
default_auth: none
cors: {origins: ["*"]}
routes:
  - path: /items
    method: GET
    integration: {function: app, timeout_ms: 30000}
  - {path: /items, method: POST, function: app}
  - path: "/search/{proxy+}"
    method: ANY
    integration:
      type: http_proxy
      uri: https://search.example.com
      request_parameters: {"overwrite:path": "$request.path.proxy"}
  - {path: $default, function: app}
stages:
  $default: {auto_deploy: true}
"#;

#[test]
fn first_apply_of_items_http_builds_everything_once_and_converges() {
    let d = desired_of(&read_spec("items-http.yaml"));
    let (p, api, pol) = converge(&d, None, BTreeMap::new());
    assert_eq!(
        names(&p),
        vec![
            "CreateApi",
            "CreateAuthorizer",
            "CreateIntegration",
            "CreateRoute",
            "CreateRoute",
            "CreateRoute",
            "CreateRoute",
            "AddPermission",
            "CreateStage",
        ],
        "{:#?}",
        p.changes
    );
    // the four routes share one Lambda proxy integration, payload 2.0
    assert_eq!(api.config.integrations.len(), 1);
    let (key, integ) = api.config.integrations.iter().next().unwrap();
    assert_eq!(
        key,
        "lambda:arn:aws:lambda:us-east-1:123456789012:function:items-handler"
    );
    assert_eq!(integ.kind, "AWS_PROXY");
    assert_eq!(integ.payload_format_version.as_deref(), Some("2.0"));
    for (rk, r) in &api.config.routes {
        assert_eq!(r.target.as_deref(), Some(key.as_str()), "{rk}");
        assert_eq!(r.authorization_type, "JWT", "{rk}");
        assert_eq!(r.authorizer.as_deref(), Some("cognito-jwt"), "{rk}");
    }
    let routes: Vec<&String> = api.config.routes.keys().collect();
    assert_eq!(
        routes,
        vec![
            "DELETE /items/{id}",
            "GET /items",
            "GET /items/{id}",
            "POST /items"
        ]
    );
    let a = &api.config.authorizers["cognito-jwt"];
    assert_eq!(a.kind, "JWT");
    assert_eq!(
        a.issuer.as_deref(),
        Some("https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example")
    );
    assert_eq!(a.audience, vec!["example-app-client-id"]);
    let cors = api.config.cors.as_ref().unwrap();
    assert_eq!(cors.allow_origins, vec!["https://app.example.com"]);
    assert_eq!(cors.allow_methods, vec!["DELETE", "GET", "POST"]);
    assert_eq!(cors.allow_headers, vec!["authorization", "content-type"]);
    assert_eq!(cors.max_age, Some(600));
    // auto-deploy: no deployment of gwctl's own; POST /items throttled on the stage
    let st = &api.stages["$default"];
    assert_eq!(st.settings.auto_deploy, Some(true));
    assert_eq!(st.settings.default_route_settings.metrics, Some(true));
    let post = st.settings.route_settings["POST /items"];
    assert_eq!(
        (post.throttle_rate, post.throttle_burst),
        (Some(100.0), Some(50))
    );
    // one permission for the function, scoped to the API
    let statements: Vec<_> = pol.values().flatten().collect();
    assert_eq!(statements.len(), 1);
    assert_eq!(
        statements[0].source_arn.as_deref(),
        Some(format!("arn:aws:execute-api:us-east-1:123456789012:{}/*", api.id).as_str())
    );
    assert_converged(&d, &api, &pol);
}

#[test]
fn other_http_specs_converge() {
    for yaml in [STAGED, &secured(), BACKENDS] {
        let d = desired_of(yaml);
        let (first, api, pol) = converge(&d, None, BTreeMap::new());
        assert!(!first.is_empty());
        assert_converged(&d, &api, &pol);
    }
}

#[test]
fn routes_calling_one_function_share_one_integration() {
    let d = desired_of(STAGED);
    assert_eq!(d.config.integrations.len(), 2, "app-fn and other-fn");
    let d = desired_of(BACKENDS);
    // app-fn with payload 1.0 (api default) at the default timeout, and the HTTP proxy:
    // `timeout_ms: 30000` is the default, so GET /items shares POST /items' integration
    let keys: Vec<&String> = d.config.integrations.keys().collect();
    assert_eq!(
        keys,
        vec![
            "http:ANY https://search.example.com",
            "lambda:arn:aws:lambda:us-east-1:123456789012:function:app-fn",
        ]
    );
    assert_eq!(
        d.config.integrations[keys[1]]
            .payload_format_version
            .as_deref(),
        Some("1.0")
    );
    // one function called with two configurations: two integrations, suffixed
    let two = BACKENDS.replace("timeout_ms: 30000", "timeout_ms: 5000");
    let d = desired_of(&two);
    let lambda: Vec<&String> = d
        .config
        .integrations
        .keys()
        .filter(|k| k.starts_with("lambda:"))
        .collect();
    assert_eq!(lambda.len(), 2);
    assert!(lambda.iter().all(|k| k.contains('#')), "{lambda:?}");
    let (_, api, pol) = converge(&d, None, BTreeMap::new());
    assert_eq!(api.config.integrations.len(), 3);
    assert_converged(&d, &api, &pol);
}

#[test]
fn removing_a_route_deletes_exactly_that_route() {
    let yaml = read_spec("items-http.yaml");
    let (_, api, pol) = converge(&desired_of(&yaml), None, BTreeMap::new());
    let removed = yaml.replace(
        "  - {path: \"/items/{id}\", method: DELETE, function: items}\n",
        "",
    );
    assert_ne!(removed, yaml);
    let d2 = desired_of(&removed);
    let p = plan(&d2, Some(&api), &pol, PlanOptions::default());
    assert_eq!(
        p.ops,
        vec![HttpOp::DeleteRoute {
            route_key: "DELETE /items/{id}".into()
        }],
        "{:#?}",
        p.changes
    );
    let (api2, pol2) = simulate_http::apply(Some(api), pol, &p.ops).unwrap();
    assert_eq!(api2.config.routes.len(), 3);
    assert_converged(&d2, &api2, &pol2);

    // a throttled route takes its stage route settings with it, first
    let no_post = removed.replace(
        "  - path: /items\n    method: POST\n    function: items\n    throttle: {rate: 100, burst: 50}\n",
        "",
    );
    assert_ne!(no_post, removed);
    let d3 = desired_of(&no_post);
    let p3 = plan(&d3, Some(&api2), &pol2, PlanOptions::default());
    assert_eq!(names(&p3), vec!["DeleteRouteSettings", "DeleteRoute"]);
    let (api3, pol3) = simulate_http::apply(Some(api2.clone()), pol2, &p3.ops)
        .unwrap_or_else(|e| panic!("{e}\n{:#?}\n{:#?}", p3.ops, api2));
    assert_converged(&d3, &api3, &pol3);
}

/// A removed route's settings go from every stage, also from a stage the spec does not
/// declare (made by hand): API Gateway refuses to delete a route that still has settings.
#[test]
fn a_removed_route_takes_its_settings_on_undeclared_stages_with_it() {
    let yaml = read_spec("items-http.yaml");
    let (_, mut api, pol) = converge(&desired_of(&yaml), None, BTreeMap::new());
    let beta = api.stages["$default"].clone();
    assert!(
        beta.settings.route_settings.contains_key("POST /items"),
        "{beta:#?}"
    );
    api.stages.insert("beta".into(), beta);
    let no_post = yaml.replace(
        "  - path: /items\n    method: POST\n    function: items\n    throttle: {rate: 100, burst: 50}\n",
        "",
    );
    assert_ne!(no_post, yaml);
    let d = desired_of(&no_post);
    let p = plan(&d, Some(&api), &pol, PlanOptions::default());
    assert_eq!(
        names(&p),
        vec!["DeleteRouteSettings", "DeleteRouteSettings", "DeleteRoute"],
        "{:#?}",
        p.ops
    );
    let (after, pol2) = simulate_http::apply(Some(api.clone()), pol, &p.ops)
        .unwrap_or_else(|e| panic!("{e}\n{:#?}", p.ops));
    assert!(after.stages["beta"].settings.route_settings.is_empty());
    assert_converged(&d, &after, &pol2);
}

#[test]
fn changing_a_routes_target_rewires_only_that_route() {
    let yaml = read_spec("items-http.yaml");
    let (_, api, pol) = converge(&desired_of(&yaml), None, BTreeMap::new());
    let old_key = api.config.routes["GET /items/{id}"].target.clone().unwrap();
    let changed = yaml
        .replace(
            "functions:\n  items: items-handler\n",
            "functions:\n  items: items-handler\n  get: items-get\n",
        )
        .replace(
            "{path: \"/items/{id}\", method: GET, function: items}",
            "{path: \"/items/{id}\", method: GET, function: get}",
        );
    let d2 = desired_of(&changed);
    let p = plan(&d2, Some(&api), &pol, PlanOptions::default());
    assert_eq!(
        names(&p),
        vec!["CreateIntegration", "UpdateRoute", "AddPermission"],
        "{:#?}",
        p.changes
    );
    match &p.ops[1] {
        HttpOp::UpdateRoute { route_key, def } => {
            assert_eq!(route_key, "GET /items/{id}");
            assert_eq!(
                def.target.as_deref(),
                Some("lambda:arn:aws:lambda:us-east-1:123456789012:function:items-get")
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    let (api2, pol2) = simulate_http::apply(Some(api), pol, &p.ops).unwrap();
    assert_eq!(
        api2.config.integrations.len(),
        2,
        "the old one still serves 3 routes"
    );
    assert!(api2.config.integrations.contains_key(&old_key));
    assert_converged(&d2, &api2, &pol2);

    // every route moves to a new function: the two integrations and statements go
    let all = yaml.replace("items: items-handler", "items: items-v2");
    let d3 = desired_of(&all);
    let p3 = plan(&d3, Some(&api2), &pol2, PlanOptions::default());
    let n = names(&p3);
    assert_eq!(count(&p3, "UpdateRoute"), 4, "{n:?}");
    assert_eq!(
        count(&p3, "DeleteIntegration"),
        2,
        "items-handler's and items-get's"
    );
    let first_delete = n.iter().position(|o| *o == "DeleteIntegration").unwrap();
    assert!(
        n[..first_delete]
            .iter()
            .filter(|o| **o == "UpdateRoute")
            .count()
            == 4
    );
    assert_eq!(count(&p3, "RemovePermission"), 2);
    let (api3, pol3) = simulate_http::apply(Some(api2.clone()), pol2, &p3.ops)
        .unwrap_or_else(|e| panic!("{e}\n{:#?}\n{:#?}", p3.ops, api2));
    assert_eq!(api3.config.integrations.len(), 1);
    assert_converged(&d3, &api3, &pol3);
}

#[test]
fn jwt_issuer_and_audience_changes_update_the_authorizer_in_place() {
    let yaml = read_spec("items-http.yaml");
    let (_, api, pol) = converge(&desired_of(&yaml), None, BTreeMap::new());
    let id = api.authorizer_ids["cognito-jwt"].clone();
    let changed = yaml
        .replace("us-west-2_example", "us-west-2_other")
        .replace("[example-app-client-id]", "[client-a, client-b]");
    let d2 = desired_of(&changed);
    let p = plan(&d2, Some(&api), &pol, PlanOptions::default());
    assert_eq!(names(&p), vec!["UpdateAuthorizer"], "{:#?}", p.changes);
    let fields: Vec<&str> = p.changes[0]
        .fields
        .iter()
        .map(|f| f.field.as_str())
        .collect();
    assert_eq!(fields, vec!["audience", "issuer"]);
    let (api2, pol2) = simulate_http::apply(Some(api), pol, &p.ops).unwrap();
    assert_eq!(api2.authorizer_ids["cognito-jwt"], id, "same authorizer");
    assert_eq!(
        api2.config.authorizers["cognito-jwt"].audience,
        vec!["client-a", "client-b"]
    );
    assert_converged(&d2, &api2, &pol2);
}

#[test]
fn lambda_authorizer_permission_is_scoped_to_the_authorizer() {
    let d = desired_of(&secured());
    let (_, api, pol) = converge(&d, None, BTreeMap::new());
    let statements = &pol["arn:aws:lambda:us-east-1:123456789012:function:my-authorizer"];
    assert_eq!(statements.len(), 1);
    assert_eq!(
        statements[0].source_arn.as_deref().unwrap(),
        format!(
            "arn:aws:execute-api:us-east-1:123456789012:{}/authorizers/{}",
            api.id, api.authorizer_ids["lambda"]
        )
    );
    assert_eq!(
        api.config.routes["POST /admin"].authorization_type,
        "CUSTOM"
    );
    assert_eq!(
        api.config.routes["GET /items"].authorization_scopes,
        vec!["items/read"]
    );
    // TTL change: that authorizer only, in place
    let d2 = desired_of(&secured().replace("ttl: 300", "ttl: 60"));
    let p = plan(&d2, Some(&api), &pol, PlanOptions::default());
    assert_eq!(
        p.ops.iter().map(|o| o.label()).collect::<Vec<_>>(),
        vec![
            "UpdateAuthorizer lambda",
            "CreateDeployment new deployment",
            "UpdateStage prod"
        ]
    );
}

#[test]
fn a_deployment_only_when_a_stage_with_auto_deploy_off_misses_the_configuration() {
    let d = desired_of(STAGED);
    let (first, api, pol) = converge(&d, None, BTreeMap::new());
    assert_eq!(count(&first, "CreateDeployment"), 1, "for `canary`");
    let dep = first
        .ops
        .iter()
        .position(|o| o.aws_name() == "CreateDeployment")
        .unwrap();
    let canary = first
        .ops
        .iter()
        .position(
            |o| matches!(o, HttpOp::CreateStage { name, deploy: true, .. } if name == "canary"),
        )
        .expect("canary created on the new deployment");
    assert!(dep < canary);
    assert!(first.ops.iter().any(
        |o| matches!(o, HttpOp::CreateStage { name, deploy: false, .. } if name == "$default")
    ));

    // a stage setting alone: no deployment
    let d2 = desired_of(&STAGED.replace("{version: v2}", "{version: v3}"));
    let p2 = plan(&d2, Some(&api), &pol, PlanOptions::default());
    assert_eq!(names(&p2), vec!["UpdateStage"]);
    match &p2.ops[0] {
        HttpOp::UpdateStage { name, update } => {
            assert_eq!(name, "canary");
            assert!(!update.deploy);
            assert_eq!(
                update.variables,
                BTreeMap::from([("version".into(), "v3".into())])
            );
        }
        other => panic!("{other:?}"),
    }

    // a route change: one deployment, canary moved to it; $default deploys itself
    let d3 = desired_of(&STAGED.replace(
        "rate: 10, burst: 5}}",
        "rate: 10, burst: 5}}\n  - {path: /health, method: GET, function: app}",
    ));
    let p3 = plan(&d3, Some(&api), &pol, PlanOptions::default());
    assert_eq!(
        names(&p3),
        vec!["CreateRoute", "CreateDeployment", "UpdateStage"]
    );
    let (api3, pol3) = simulate_http::apply(Some(api.clone()), pol.clone(), &p3.ops).unwrap();
    assert_ne!(
        api3.stages["canary"].deployment_id,
        api.stages["canary"].deployment_id
    );
    assert_converged(&d3, &api3, &pol3);

    // --force: a deployment even with nothing to change, never a duplicate permission
    let forced = plan(
        &d,
        Some(&api),
        &pol,
        PlanOptions {
            prune: true,
            force_deploy: true,
        },
    );
    assert_eq!(names(&forced), vec!["CreateDeployment", "UpdateStage"]);
}

#[test]
fn stage_settings_change_with_one_update_and_variables_are_removed() {
    let d = desired_of(STAGED);
    let (_, api, pol) = converge(&d, None, BTreeMap::new());
    let changed = STAGED
        .replace(
            "throttle: {rate: 50, burst: 100}",
            "throttle: {rate: 60, burst: 100}",
        )
        .replace("{rate: 10, burst: 5}", "{rate: 20, burst: 5}")
        .replace("variables: {version: v2}", "variables: {}");
    let d2 = desired_of(&changed);
    let p = plan(&d2, Some(&api), &pol, PlanOptions::default());
    assert_eq!(
        names(&p),
        vec!["UpdateStage", "UpdateStage"],
        "{:#?}",
        p.changes
    );
    for op in &p.ops {
        let HttpOp::UpdateStage { name, update } = op else {
            unreachable!()
        };
        if name == "$default" {
            let drs = update.default_route_settings.unwrap();
            assert_eq!(
                (drs.throttle_rate, drs.throttle_burst, drs.metrics),
                (Some(60.0), Some(100), Some(true))
            );
            let rs = update.route_settings.as_ref().unwrap();
            assert_eq!(rs["POST /todos"].throttle_rate, Some(20.0));
            assert!(update.variables.is_empty());
        } else {
            assert_eq!(name, "canary");
            assert_eq!(
                update.variables,
                BTreeMap::from([("version".into(), String::new())])
            );
        }
    }
    let (api2, pol2) = simulate_http::apply(Some(api), pol, &p.ops).unwrap();
    assert!(api2.stages["canary"].settings.variables.is_empty());
    assert_converged(&d2, &api2, &pol2);
}

#[test]
fn adopted_api_keeps_what_the_spec_does_not_declare_unless_pruned() {
    let yaml = read_spec("items-http.yaml");
    let d = desired_of(&yaml);
    let (_, api, pol) = converge(&d, None, BTreeMap::new());
    let mut raw = api.to_raw();
    raw.routes.push(RawRoute {
        id: "zz-legacy".into(),
        route_key: "GET /legacy".into(),
        target: Some("integrations/zz-legacy-int".into()),
        authorization_type: "NONE".into(),
        ..Default::default()
    });
    raw.integrations.push((
        "zz-legacy-int".into(),
        crate::state::http::Integration {
            kind: "HTTP_PROXY".into(),
            uri: "https://legacy.example.com".into(),
            method: Some("GET".into()),
            ..Default::default()
        },
    ));
    let api = raw.assemble();
    let keep = PlanOptions {
        prune: false,
        force_deploy: false,
    };
    assert!(plan(&d, Some(&api), &pol, keep).is_empty());
    let p = plan(&d, Some(&api), &pol, PlanOptions::default());
    assert_eq!(names(&p), vec!["DeleteRoute", "DeleteIntegration"]);
    let (api2, pol2) = simulate_http::apply(Some(api), pol, &p.ops).unwrap();
    assert_converged(&d, &api2, &pol2);
}

/// The emulator accepts a second route with the same key (AWS refuses it). gwctl must see
/// it, and delete it, never count it as the one the spec wants.
#[test]
fn a_duplicate_route_is_seen_and_deleted() {
    let d = desired_of(&read_spec("items-http.yaml"));
    let (_, api, pol) = converge(&d, None, BTreeMap::new());
    let mut raw = api.to_raw();
    let mut dup = raw
        .routes
        .iter()
        .find(|r| r.route_key == "GET /items")
        .unwrap()
        .clone();
    dup.id = "zzz-dup".into();
    raw.routes.push(dup);
    let api = raw.assemble();
    assert_eq!(api.config.routes.len(), 5);
    let p = plan(&d, Some(&api), &pol, PlanOptions::default());
    assert_eq!(
        p.ops,
        vec![HttpOp::DeleteRoute {
            route_key: "GET /items (duplicate zzz-dup)".into()
        }]
    );
    let (api2, pol2) = simulate_http::apply(Some(api), pol, &p.ops).unwrap();
    assert_eq!(api2.config.routes.len(), 4);
    assert_converged(&d, &api2, &pol2);
}

#[test]
fn drift_in_cors_and_routes_is_shown_and_reverted() {
    let d = desired_of(&read_spec("items-http.yaml"));
    let (_, mut api, pol) = converge(&d, None, BTreeMap::new());
    api.config.cors.as_mut().unwrap().allow_origins = vec!["https://evil.example.com".into()];
    let r = api.config.routes.get_mut("GET /items").unwrap();
    r.authorization_type = "NONE".into();
    r.authorizer = None;
    let p = plan(&d, Some(&api), &pol, PlanOptions::default());
    assert_eq!(names(&p), vec!["UpdateApi", "UpdateRoute"]);
    let api_change = &p.changes[0];
    assert_eq!(api_change.action, Action::Update);
    let origins = api_change
        .fields
        .iter()
        .find(|f| f.field == "cors.allow_origins")
        .unwrap();
    assert!(origins.old.as_deref().unwrap().contains("evil"));
    let (api2, pol2) = simulate_http::apply(Some(api), pol, &p.ops).unwrap();
    assert_converged(&d, &api2, &pol2);
    // cors removed from the spec of an owned API: the configuration is deleted
    let yaml = read_spec("items-http.yaml");
    let start = yaml.find("cors:").unwrap();
    let end = yaml.find("routes:").unwrap();
    let no_cors = format!("{}{}", &yaml[..start], &yaml[end..]);
    let d3 = desired_of(&no_cors);
    let p3 = plan(&d3, Some(&api2), &pol2, PlanOptions::default());
    assert_eq!(names(&p3), vec!["DeleteCorsConfiguration"]);
}

#[test]
fn authorized_catch_all_routes_with_cors_get_a_preflight_note() {
    let d = desired_of(&read_spec("items-http.yaml"));
    assert!(d.notes.is_empty(), "{:?}", d.notes);
    let yaml = read_spec("items-http.yaml").replace(
        "routes:\n",
        "routes:\n  - {path: $default, function: items}\n",
    );
    let d = desired_of(&yaml);
    assert_eq!(d.notes.len(), 1, "{:?}", d.notes);
    assert!(
        d.notes[0].starts_with("route `$default` has authorization"),
        "{}",
        d.notes[0]
    );
    let public = yaml.replace(
        "{path: $default, function: items}",
        "{path: $default, function: items, auth: none}",
    );
    assert!(desired_of(&public).notes.is_empty());
}

#[test]
fn deployment_mark_depends_on_the_routes_not_on_the_stages() {
    let mark = |yaml: &str| super::config_mark(&desired_of(yaml).config);
    let a = mark(STAGED);
    assert_eq!(a, mark(&STAGED.replace("{version: v2}", "{version: v9}")));
    assert_ne!(
        a,
        mark(&STAGED.replace("function: other}", "function: app}"))
    );
    assert!(a.starts_with(crate::state::DEPLOYMENT_MARK));
}

#[test]
fn an_adopted_api_lists_what_it_keeps_and_deploys_it_too() {
    let d = desired_of(STAGED);
    let (_, api, pol) = converge(&d, None, BTreeMap::new());
    let mut raw = api.to_raw();
    raw.routes.push(RawRoute {
        id: "zz-legacy".into(),
        route_key: "GET /legacy".into(),
        authorization_type: "NONE".into(),
        ..Default::default()
    });
    let api = raw.assemble();
    let keep = PlanOptions {
        prune: false,
        force_deploy: false,
    };
    let p = plan(&d, Some(&api), &pol, keep);
    assert_eq!(p.kept, vec!["route GET /legacy"]);
    // `canary` serves a deployment made without the legacy route: the stage now needs one
    // that has it, since the API keeps it
    assert_eq!(names(&p), vec!["CreateDeployment", "UpdateStage"]);
    let (api2, pol2) = simulate_http::apply(Some(api), pol, &p.ops).unwrap();
    assert!(plan(&d, Some(&api2), &pol2, keep).is_empty());
}
