//! WebSocket API planner tests: specs parsed by the real loader, the account modelled by
//! `simulate`. "Apply, then plan again: empty" and exact op lists.

use std::collections::BTreeMap;

use super::ops::WsOp;
use super::simulate;
use super::{desired, plan, DesiredWs, WsPlan};
use crate::plan::rest::tests::{read_spec, resolve, spec};
use crate::plan::{Action, PlanOptions};
use crate::state::rest::Policies;
use crate::state::ws::ObservedWsApi;

const REGION: &str = "us-east-1";

fn desired_of(yaml: &str) -> DesiredWs {
    let s = spec(yaml);
    desired(&s, &resolve(&s), REGION).keep_undeclared(None)
}

fn names(p: &WsPlan) -> Vec<&'static str> {
    p.ops.iter().map(|o| o.aws_name()).collect()
}

fn converge(
    d: &DesiredWs,
    observed: Option<ObservedWsApi>,
    policies: Policies,
    opts: PlanOptions,
) -> (WsPlan, ObservedWsApi, Policies) {
    let p = plan(d, observed.as_ref(), &policies, opts);
    let (api, pol) = simulate::apply(observed, policies, &p.ops)
        .unwrap_or_else(|e| panic!("plan applies cleanly: {e}\n{:#?}", p.ops));
    (p, api, pol)
}

fn assert_converged(d: &DesiredWs, api: &ObservedWsApi, pol: &Policies) {
    let again = plan(d, Some(api), pol, PlanOptions::default());
    assert!(
        again.is_empty(),
        "second plan should be empty, got {:#?}",
        again.changes
    );
}

const CUSTOM: &str = r#"
api: {name: ws-custom, kind: websocket, route_selection: $request.body.type, api_key_selection: $request.header.x-api-key}
functions:
  app: app-fn
routes:
  - {route: $connect, function: app, auth: iam}
  - route: echo
    response: true
    integration:
      type: mock
      template_selection: \$default
      request_templates: {$default: '{"statusCode": 200}'}
  - route: relay
    integration: {type: http_proxy, uri: "https://backend.example.com/relay", timeout_ms: 10000}
  - route: legacy
    integration:
      type: lambda
      function: app
      request_templates: {$default: '{"body": $input.body}'}
      template_selection: \$default
  - {route: $default, function: app, throttle: {rate: 5, burst: 10}}
stages:
  dev:
    logging: INFO
    data_trace: true
    variables: {mode: test}
  prod:
    auto_deploy: true
    throttle: {rate: 100, burst: 200}
"#;

#[test]
fn first_apply_of_the_chat_spec_builds_everything_once_and_converges() {
    let d = desired_of(&read_spec("chat.yaml"));
    let (p, api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    assert_eq!(
        names(&p),
        vec![
            "CreateApi",
            "CreateAuthorizer",
            "CreateIntegration",
            "CreateIntegration",
            "CreateIntegration",
            "CreateIntegration",
            "CreateRoute",
            "CreateRoute",
            "CreateRoute",
            "CreateRoute",
            "CreateRouteResponse",
            "AddPermission",
            "AddPermission",
            "AddPermission",
            "AddPermission",
            "AddPermission",
            "CreateStage",
        ],
        "{:#?}",
        p.ops
    );
    // Only `$connect` is authorized, by the Lambda REQUEST authorizer.
    let connect = &api.config.routes["$connect"];
    assert_eq!(
        (
            connect.authorization_type.as_str(),
            connect.authorizer.as_deref()
        ),
        ("CUSTOM", Some("token"))
    );
    assert_eq!(
        api.config.route_responses.iter().collect::<Vec<_>>(),
        vec!["$default"]
    );
    assert_eq!(
        api.config.routes["$default"]
            .route_response_selection_expression
            .as_deref(),
        Some("$default")
    );
    assert_eq!(
        api.config.route_selection_expression,
        "$request.body.action"
    );
    let prod = &api.stages["prod"].settings;
    assert_eq!(
        prod.default_route_settings.logging_level.as_deref(),
        Some("ERROR")
    );
    assert_eq!(prod.route_settings["sendmessage"].throttle_rate, Some(50.0));
    assert_converged(&d, &api, &pol);
}

#[test]
fn every_integration_type_and_stage_setting_converges() {
    let d = desired_of(CUSTOM);
    let (p, api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    // Stage `dev` deploys by hand: one deployment, made before the stages.
    assert_eq!(
        p.ops
            .iter()
            .filter(|o| matches!(o, WsOp::CreateDeployment { .. }))
            .count(),
        1
    );
    let kinds: Vec<&str> = api
        .config
        .integrations
        .values()
        .map(|i| i.kind.as_str())
        .collect();
    for k in ["AWS", "AWS_PROXY", "HTTP_PROXY", "MOCK"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    assert_eq!(api.config.routes["$connect"].authorization_type, "AWS_IAM");
    assert_eq!(
        api.config.api_key_selection_expression.as_deref(),
        Some("$request.header.x-api-key")
    );
    let dev = &api.stages["dev"].settings.default_route_settings;
    assert_eq!(
        (dev.logging_level.as_deref(), dev.data_trace),
        (Some("INFO"), Some(true))
    );
    assert_converged(&d, &api, &pol);
}

#[test]
fn a_route_becoming_one_way_loses_its_route_response_and_is_redeployed() {
    let d = desired_of(CUSTOM);
    let (_, api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    let one_way = CUSTOM.replace("    response: true\n", "");
    assert_ne!(one_way, CUSTOM);
    let d2 = desired_of(&one_way);
    let (p, api2, pol2) = converge(&d2, Some(api), pol, PlanOptions::default());
    let ops = names(&p);
    assert!(ops.contains(&"UpdateRoute"), "{ops:?}");
    assert!(ops.contains(&"DeleteRouteResponse"), "{ops:?}");
    // `dev` (auto-deploy off) gets a new deployment; `prod` deploys itself.
    assert!(ops.contains(&"CreateDeployment"), "{ops:?}");
    assert!(api2.config.route_responses.is_empty());
    assert_converged(&d2, &api2, &pol2);
}

#[test]
fn drift_behind_gwctls_back_is_planned_back_and_undeclared_settings_are_kept() {
    let yaml = read_spec("chat.yaml");
    let d = desired_of(&yaml);
    let (_, mut api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    // Someone removes the authorizer from `$connect`, changes the route selection and adds a
    // stage variable.
    api.config
        .routes
        .get_mut("$connect")
        .unwrap()
        .authorization_type = "NONE".into();
    api.config.routes.get_mut("$connect").unwrap().normalize();
    api.config.route_selection_expression = "$request.body.kind".into();
    api.stages
        .get_mut("prod")
        .unwrap()
        .settings
        .variables
        .insert("set_by_hand".into(), "1".into());
    let d_now = desired(&spec(&yaml), &resolve(&spec(&yaml)), REGION).keep_undeclared(Some(&api));
    let p = plan(&d_now, Some(&api), &pol, PlanOptions::default());
    let changes: Vec<(Action, &str)> = p
        .changes
        .iter()
        .map(|c| (c.action, c.kind.as_str()))
        .collect();
    assert_eq!(
        changes,
        vec![(Action::Update, "ws_api"), (Action::Update, "route")],
        "{:#?}",
        p.changes
    );
    // The stage's variables are not declared in the spec: the hand-made one stays.
    let (api2, pol2) = simulate::apply(Some(api), pol, &p.ops).unwrap();
    assert_eq!(
        api2.stages["prod"].settings.variables.get("set_by_hand"),
        Some(&"1".to_string())
    );
    let d2 = desired(&spec(&yaml), &resolve(&spec(&yaml)), REGION).keep_undeclared(Some(&api2));
    assert_converged(&d2, &api2, &pol2);
}

#[test]
fn routes_the_spec_drops_are_deleted_with_their_settings_on_owned_apis() {
    let d = desired_of(CUSTOM);
    let (_, api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    let fewer = CUSTOM.replace(
        "  - {route: $default, function: app, throttle: {rate: 5, burst: 10}}\n",
        "",
    );
    assert_ne!(fewer, CUSTOM);
    let d2 = desired_of(&fewer);
    let opts = PlanOptions {
        prune: true,
        ..Default::default()
    };
    let (p, api2, pol2) = converge(&d2, Some(api), pol, opts);
    let ops = names(&p);
    assert!(ops.contains(&"DeleteRouteSettings"), "{ops:?}");
    assert!(ops.contains(&"DeleteRoute"), "{ops:?}");
    assert!(!api2.config.routes.contains_key("$default"));
    let again = plan(&d2, Some(&api2), &pol2, opts);
    assert!(again.is_empty(), "{:#?}", again.changes);
}

#[test]
fn lambda_permissions_are_one_statement_per_function_scoped_to_the_api() {
    let d = desired_of(&read_spec("chat.yaml"));
    let (p, _, _) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    let sources: Vec<String> = p
        .ops
        .iter()
        .filter_map(|o| match o {
            WsOp::AddPermission { source_arn, .. } => Some(source_arn.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(sources.len(), 5);
    for s in &sources {
        assert!(s.contains("{api_id}"), "scoped to the API: {s}");
    }
}

/// A two-way MOCK route answering through integration responses, beside a custom Lambda
/// integration whose spec is silent about `responses`.
const ANSWERING: &str = r#"
api: {name: ws-answering, kind: websocket}
functions:
  app: app-fn
routes:
  - route: ping
    response: true
    integration:
      type: mock
      template_selection: \$default
      request_templates: {$default: '{"statusCode": 200}'}
      responses:
        - key: $default
          template_selection: \$default
          templates: {$default: '{"pong": true}'}
        - {key: '/4\d\d/', templates: {$default: '{"error": "bad"}'}, content_handling: CONVERT_TO_TEXT}
  - route: legacy
    integration:
      type: lambda
      function: app
      request_templates: {$default: '{"body": $input.body}'}
      template_selection: \$default
stages:
  dev: {}
"#;

fn response_changes(p: &WsPlan) -> Vec<(Action, String)> {
    p.changes
        .iter()
        .filter(|c| c.kind == "integration_response")
        .map(|c| (c.action, c.name.clone()))
        .collect()
}

#[test]
fn integration_responses_are_created_after_their_integration_and_before_the_deployment() {
    let d = desired_of(ANSWERING);
    let (p, api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    let ops = names(&p);
    let at = |n: &str| ops.iter().position(|o| *o == n).unwrap();
    let created: Vec<(&str, &str)> = p
        .ops
        .iter()
        .filter_map(|o| match o {
            WsOp::CreateIntegrationResponse {
                integration, key, ..
            } => Some((integration.as_str(), key.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(created, vec![("mock:", "$default"), ("mock:", "/4\\d\\d/")]);
    assert!(
        at("CreateIntegration") < at("CreateIntegrationResponse"),
        "{ops:?}"
    );
    assert!(
        at("CreateIntegrationResponse") < at("CreateDeployment"),
        "{ops:?}"
    );
    let rs = &api.config.integration_responses["mock:"];
    assert_eq!(rs["$default"].templates["$default"], r#"{"pong": true}"#);
    assert_eq!(
        rs["$default"].template_selection_expression.as_deref(),
        Some("\\$default")
    );
    assert_eq!(
        rs["/4\\d\\d/"].content_handling.as_deref(),
        Some("CONVERT_TO_TEXT")
    );
    // The silent Lambda integration gets none.
    assert_eq!(api.config.integration_responses.len(), 1);
    assert_converged(&d, &api, &pol);
}

#[test]
fn integration_response_drift_is_reverted_and_an_undeclared_key_on_a_declared_integration_goes() {
    let d = desired_of(ANSWERING);
    let (_, mut api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    let rs = api.config.integration_responses.get_mut("mock:").unwrap();
    rs.get_mut("$default")
        .unwrap()
        .templates
        .insert("$default".into(), "changed by hand".into());
    rs.insert("/5\\d\\d/".into(), Default::default());
    api.integration_response_ids
        .get_mut("mock:")
        .unwrap()
        .insert("/5\\d\\d/".into(), "ir-by-hand".into());
    let (p, api2, pol2) = converge(&d, Some(api), pol, PlanOptions::default());
    assert_eq!(
        response_changes(&p),
        vec![
            (Action::Update, "mock: $default".to_string()),
            (Action::Delete, "mock: /5\\d\\d/".to_string()),
        ]
    );
    // What `dev` (auto-deploy off) serves is the deployment made from the spec, which the
    // change behind gwctl's back did not touch: no new deployment.
    assert!(!names(&p).contains(&"CreateDeployment"), "{:?}", names(&p));
    assert_eq!(
        api2.config.integration_responses["mock:"]["$default"].templates["$default"],
        r#"{"pong": true}"#
    );
    assert_converged(&d, &api2, &pol2);
}

#[test]
fn integration_responses_of_an_integration_whose_spec_is_silent_are_left_alone() {
    let d = desired_of(ANSWERING);
    let (_, mut api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    let legacy = api.config.routes["legacy"].target.clone().unwrap();
    api.config.integration_responses.insert(
        legacy.clone(),
        BTreeMap::from([("$default".to_string(), Default::default())]),
    );
    api.integration_response_ids.insert(
        legacy,
        BTreeMap::from([("$default".to_string(), "ir-by-hand".to_string())]),
    );
    // Nothing to do: neither the response nor a redeployment.
    let p = plan(&d, Some(&api), &pol, PlanOptions::default());
    assert!(p.is_empty(), "{:#?}", p.changes);
    // An API whose spec declares no `responses:` at all (as before gwctl managed them): its
    // deployment fingerprint ignores the live responses, so responses made by hand neither
    // show in the plan nor redeploy the stage.
    let silent = ANSWERING
        .split("      responses:\n")
        .next()
        .unwrap()
        .to_string()
        + &ANSWERING[ANSWERING.find("  - route: legacy").unwrap()..];
    let d2 = desired_of(&silent);
    assert!(d2.config.integration_responses.is_empty());
    let (_, mut api2, pol2) = converge(&d2, None, BTreeMap::new(), PlanOptions::default());
    api2.config.integration_responses.insert(
        "mock:".into(),
        BTreeMap::from([("$default".to_string(), Default::default())]),
    );
    api2.integration_response_ids.insert(
        "mock:".into(),
        BTreeMap::from([("$default".to_string(), "ir-by-hand".to_string())]),
    );
    let p2 = plan(&d2, Some(&api2), &pol2, PlanOptions::default());
    assert!(p2.is_empty(), "{:#?}", p2.changes);
}

#[test]
fn changing_a_declared_template_updates_it_and_redeploys() {
    let d = desired_of(ANSWERING);
    let (_, api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    let changed = ANSWERING.replace(r#"{"pong": true}"#, r#"{"pong": 2}"#);
    assert_ne!(changed, ANSWERING);
    let d2 = desired_of(&changed);
    let (p, api2, pol2) = converge(&d2, Some(api), pol, PlanOptions::default());
    assert_eq!(
        names(&p),
        vec![
            "UpdateIntegrationResponse",
            "CreateDeployment",
            "UpdateStage"
        ],
        "{:#?}",
        p.ops
    );
    assert_converged(&d2, &api2, &pol2);
}

#[test]
fn removing_a_template_key_replaces_the_integration_response() {
    // The live `$default` response has a second template the spec no longer lists: an update
    // that leaves the key out may keep it (the v2 API merges as far as can be told), so the
    // response is deleted and created again, in that order, and the stage redeployed.
    let two = ANSWERING.replace(
        r#"templates: {$default: '{"pong": true}'}"#,
        r#"templates: {$default: '{"pong": true}', json: '{"pong": "json"}'}"#,
    );
    assert_ne!(two, ANSWERING);
    let (_, api, pol) = converge(
        &desired_of(&two),
        None,
        BTreeMap::new(),
        PlanOptions::default(),
    );
    assert_eq!(
        api.config.integration_responses["mock:"]["$default"]
            .templates
            .len(),
        2
    );
    let d = desired_of(ANSWERING);
    let (p, api2, pol2) = converge(&d, Some(api), pol, PlanOptions::default());
    assert_eq!(
        response_changes(&p),
        vec![(Action::Replace, "mock: $default".to_string())]
    );
    assert_eq!(
        names(&p),
        vec![
            "DeleteIntegrationResponse",
            "CreateIntegrationResponse",
            "CreateDeployment",
            "UpdateStage"
        ],
        "{:#?}",
        p.ops
    );
    let after = &api2.config.integration_responses["mock:"]["$default"];
    assert_eq!(after.templates.keys().collect::<Vec<_>>(), vec!["$default"]);
    assert_converged(&d, &api2, &pol2);

    // Dropping the content handling is the same kind of change; changing a template in place
    // stays an update (the test above).
    let (_, api3, pol3) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    let plain = ANSWERING.replace(", content_handling: CONVERT_TO_TEXT", "");
    assert_ne!(plain, ANSWERING);
    let p3 = plan(
        &desired_of(&plain),
        Some(&api3),
        &pol3,
        PlanOptions::default(),
    );
    assert_eq!(
        response_changes(&p3),
        vec![(Action::Replace, "mock: /4\\d\\d/".to_string())]
    );
}

const MAPPED: &str = r#"
api: {name: ws-mapped, kind: websocket}
functions:
  app: app-fn
routes:
  - route: $connect
    integration:
      type: http_proxy
      uri: "https://backend.example.com/connect"
      request_parameters:
        integration.request.header.X-Tenant: route.request.querystring.tenant
        integration.request.header.connectionId: context.connectionId
  - route: send
    integration:
      type: http
      uri: "https://backend.example.com/send"
      request_parameters:
        integration.request.querystring.room: route.request.body.room
        integration.request.header.X-Static: "'v1'"
  - route: legacy
    integration:
      type: lambda
      function: app
      request_templates: {$default: '{"body": $input.body}'}
stages:
  dev: {}
"#;

const SEND: &str = "http:POST https://backend.example.com/send";
const LEGACY: &str = "aws:arn:aws:lambda:us-east-1:123456789012:function:app-fn";

fn parameters_sent(p: &WsPlan) -> Vec<(String, BTreeMap<String, String>)> {
    p.ops
        .iter()
        .filter_map(|o| match o {
            WsOp::CreateIntegration { key, def } | WsOp::UpdateIntegration { key, def } => {
                Some((key.clone(), def.request_parameters.clone()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn request_parameters_are_created_with_their_integration_and_then_nothing_changes() {
    let d = desired_of(MAPPED);
    let (p, api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    let sent: BTreeMap<_, _> = parameters_sent(&p).into_iter().collect();
    assert_eq!(
        sent[SEND],
        BTreeMap::from([
            (
                "integration.request.header.X-Static".to_string(),
                "'v1'".to_string()
            ),
            (
                "integration.request.querystring.room".to_string(),
                "route.request.body.room".to_string()
            ),
        ])
    );
    assert_eq!(
        sent["http_proxy:POST https://backend.example.com/connect"]
            ["integration.request.header.connectionId"],
        "context.connectionId"
    );
    assert!(sent[LEGACY].is_empty(), "{sent:?}");
    assert_eq!(api.config.integrations[SEND].request_parameters, sent[SEND]);
    assert_converged(&d, &api, &pol);
}

#[test]
fn request_parameter_drift_is_reverted_and_a_key_added_by_hand_is_sent_empty() {
    let d = desired_of(MAPPED);
    let (_, mut api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    let live = &mut api
        .config
        .integrations
        .get_mut(SEND)
        .unwrap()
        .request_parameters;
    live.insert(
        "integration.request.header.X-Static".into(),
        "'changed by hand'".into(),
    );
    live.insert(
        "integration.request.header.X-Extra".into(),
        "context.requestId".into(),
    );
    let (p, api2, pol2) = converge(&d, Some(api), pol, PlanOptions::default());
    assert_eq!(names(&p), vec!["UpdateIntegration"], "{:#?}", p.ops);
    // The service merges the map it is sent: the key to remove goes as "".
    assert_eq!(
        parameters_sent(&p),
        vec![(
            SEND.to_string(),
            BTreeMap::from([
                (
                    "integration.request.header.X-Extra".to_string(),
                    String::new()
                ),
                (
                    "integration.request.header.X-Static".to_string(),
                    "'v1'".to_string()
                ),
                (
                    "integration.request.querystring.room".to_string(),
                    "route.request.body.room".to_string()
                ),
            ])
        )]
    );
    let after = &api2.config.integrations[SEND].request_parameters;
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(!after.contains_key("integration.request.header.X-Extra"));
    assert_converged(&d, &api2, &pol2);

    // A declared empty map owns the integration's parameters too: all of them go.
    let emptied = MAPPED.replace(
        "      request_parameters:\n        integration.request.querystring.room: route.request.body.room\n        integration.request.header.X-Static: \"'v1'\"\n",
        "      request_parameters: {}\n",
    );
    assert_ne!(emptied, MAPPED);
    let d3 = desired_of(&emptied);
    let (p3, api3, pol3) = converge(&d3, Some(api2), pol2, PlanOptions::default());
    assert_eq!(
        parameters_sent(&p3),
        vec![(
            SEND.to_string(),
            BTreeMap::from([
                (
                    "integration.request.header.X-Static".to_string(),
                    String::new()
                ),
                (
                    "integration.request.querystring.room".to_string(),
                    String::new()
                ),
            ])
        )]
    );
    assert!(api3.config.integrations[SEND].request_parameters.is_empty());
    // A changed integration is a changed configuration: the stage is redeployed.
    assert!(names(&p3).contains(&"CreateDeployment"), "{:?}", names(&p3));
    assert_converged(&d3, &api3, &pol3);
}

#[test]
fn request_parameters_of_an_integration_whose_spec_is_silent_are_left_alone() {
    let d = desired_of(MAPPED);
    assert!(d.silent_request_parameters.contains(LEGACY));
    assert!(!d.silent_request_parameters.contains(SEND));
    let (_, mut api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    api.config
        .integrations
        .get_mut(LEGACY)
        .unwrap()
        .request_parameters
        .insert(
            "integration.request.header.X-By-Hand".into(),
            "context.requestId".into(),
        );
    // Neither an update nor a redeployment.
    let p = plan(&d, Some(&api), &pol, PlanOptions::default());
    assert!(p.is_empty(), "{:#?}", p.changes);

    // Another change to that integration is sent without them: they stay as they are.
    let slower = MAPPED.replace(
        "      function: app\n",
        "      function: app\n      timeout_ms: 5000\n",
    );
    assert_ne!(slower, MAPPED);
    let d2 = desired_of(&slower);
    let (p2, api2, pol2) = converge(&d2, Some(api), pol, PlanOptions::default());
    assert_eq!(
        parameters_sent(&p2),
        vec![(LEGACY.to_string(), BTreeMap::new())]
    );
    assert_eq!(
        api2.config.integrations[LEGACY].request_parameters["integration.request.header.X-By-Hand"],
        "context.requestId"
    );
    assert_converged(&d2, &api2, &pol2);
}

#[test]
fn an_api_whose_spec_declares_no_request_parameters_keeps_its_deployment_fingerprint() {
    // Parameters made by hand on an API whose spec never mentions them: the deployment the
    // stage serves is still the spec's (no redeploy), as before gwctl managed them.
    let silent = MAPPED
        .lines()
        .filter(|l| !l.contains("request_parameters") && !l.contains("integration.request."))
        .collect::<Vec<_>>()
        .join("\n");
    let d = desired_of(&silent);
    assert_eq!(
        d.silent_request_parameters.len(),
        d.config.integrations.len()
    );
    let (_, mut api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    let mark_before = super::config_mark(&d.config);
    for i in api.config.integrations.values_mut() {
        i.request_parameters
            .insert("integration.request.header.X".into(), "'x'".into());
    }
    let p = plan(&d, Some(&api), &pol, PlanOptions::default());
    assert!(p.is_empty(), "{:#?}", p.changes);
    assert_eq!(super::config_mark(&d.config), mark_before);
    // An integration with none serialises as it did before the field existed.
    let json = serde_json::to_string(&d.config.integrations[LEGACY]).unwrap();
    assert!(!json.contains("request_parameters"), "{json}");
}

/// The deployment mark of the stage `dev` serves.
fn served_mark(api: &ObservedWsApi) -> String {
    let dep = api.stages["dev"].deployment_id.clone().unwrap();
    api.deployments[&dep]
        .description
        .clone()
        .unwrap_or_default()
}

#[test]
fn apply_and_deploy_agree_on_what_a_stage_serves_when_extras_were_made_by_hand() {
    // A response and a request parameter made by hand on the integration whose spec is
    // silent about both.
    let d = desired_of(ANSWERING);
    let (_, mut api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    let legacy = api.config.routes["legacy"].target.clone().unwrap();
    api.config.integration_responses.insert(
        legacy.clone(),
        BTreeMap::from([("$default".to_string(), Default::default())]),
    );
    api.integration_response_ids.insert(
        legacy.clone(),
        BTreeMap::from([("$default".to_string(), "ir-by-hand".to_string())]),
    );
    let i = api.config.integrations.get_mut(&legacy).unwrap();
    i.request_parameters
        .insert("integration.request.header.X".into(), "'x'".into());
    // Not deployed yet: apply does not deploy them (the spec is silent about them).
    let p = plan(&d, Some(&api), &pol, PlanOptions::default());
    assert!(p.is_empty(), "{:#?}", p.changes);
    // `gwctl deploy --stage dev` deploys the API as it is and marks the deployment with the
    // mark `show` and `deploy` compute from the live API. Apply accepts it: no redeployment
    // (before, apply and deploy disagreed and each redeployed after the other).
    let dep = api.stages["dev"].deployment_id.clone().unwrap();
    api.deployments.get_mut(&dep).unwrap().description = Some(super::config_mark(&api.config));
    let p = plan(&d, Some(&api), &pol, PlanOptions::default());
    assert!(p.is_empty(), "{:#?}", p.changes);
    // A declared change redeploys, and the new deployment carries the mark of the API as
    // `show` reads it afterwards, hand-made extras included: `show` says the stage is current.
    let changed = ANSWERING.replace(r#"{"pong": true}"#, r#"{"pong": 2}"#);
    let d2 = desired_of(&changed);
    let (p, api2, pol2) = converge(&d2, Some(api), pol, PlanOptions::default());
    assert!(names(&p).contains(&"CreateDeployment"), "{:#?}", p.ops);
    assert!(
        crate::plan::deployment_serves(
            Some(served_mark(&api2).as_str()),
            &super::config_mark(&api2.config)
        ),
        "{} vs {}",
        served_mark(&api2),
        super::config_mark(&api2.config)
    );
    assert!(api2.config.integrations[&legacy]
        .request_parameters
        .contains_key("integration.request.header.X"));
    assert_converged(&d2, &api2, &pol2);
}
