//! The round trip, without AWS: a spec's desired state, applied in the simulators, exported,
//! read back: the same desired state, and a plan with nothing to do.

use std::collections::BTreeMap;
use std::path::Path;

use super::export::{ExportContext, Exported};
use super::{http, rest, simulate_usage, usage, ws, PlanOptions};
use crate::spec::arn::FunctionArn;
use crate::spec::model::Spec;
use crate::state::usage::ObservedUsage;
use crate::state::ResolvedFunction;

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

fn load(name: &str, yaml: &str) -> Spec {
    let loaded = crate::spec::load_str(Path::new(name), yaml);
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.render(false))
        .collect();
    assert!(errors.is_empty(), "{name}:\n{yaml}\n{}", errors.join("\n"));
    loaded.spec.expect("valid spec")
}

/// Functions as get-function would resolve them: names in this account and region, ARNs as
/// they are.
fn resolve(spec: &Spec) -> Vec<ResolvedFunction> {
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
            ResolvedFunction {
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

fn ctx(functions: &[ResolvedFunction]) -> ExportContext {
    ExportContext {
        region: REGION.into(),
        local_functions: functions
            .iter()
            .filter(|f| f.region == REGION && f.account == ACCOUNT)
            .map(|f| (f.function_arn.clone(), f.name.clone()))
            .collect(),
        stage: None,
    }
}

/// Permissions without the spec-local function keys (the export names functions itself).
fn perms(p: &[super::permissions::DesiredPermission]) -> Vec<(String, String, String)> {
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

fn no_env(_: &str) -> Option<String> {
    None
}

/// A spec's stages as `export` writes them: a setting declared with AWS's default value
/// (`metrics: false`, `logging: OFF`, `data_trace: false`, `tracing: false`) reads the same
/// as the setting left out, since the live stage holds that default either way; export
/// writes only settings that differ from the defaults. Every other value is compared as is.
fn stages_as_exported(
    stages: &BTreeMap<String, crate::state::rest::Stage>,
) -> BTreeMap<String, crate::state::rest::Stage> {
    let mut out = stages.clone();
    for st in out.values_mut() {
        if st.tracing_enabled == Some(false) {
            st.tracing_enabled = None;
        }
        if let Some(all) = st.method_settings.get_mut("*/*") {
            if all.metrics == Some(false) {
                all.metrics = None;
            }
            if all.data_trace == Some(false) {
                all.data_trace = None;
            }
            if all.logging_level.as_deref() == Some("OFF") {
                all.logging_level = None;
            }
        }
    }
    out
}

fn salt() -> String {
    "00112233445566778899aabbccddeeff".into()
}

/// Apply `yaml` in the simulators, export the result; check the round trip. Returns the
/// export.
pub(crate) fn rest_round_trip(name: &str, yaml: &str) -> Exported {
    let s = load(name, yaml);
    let f = resolve(&s);
    let d = rest::desired::rest(&s, &f, REGION);
    let u = usage::desired(&s, &no_env, &salt).expect("no key values needed");
    let opts = PlanOptions::default();
    let mut p = rest::plan(&d, None, &BTreeMap::new(), opts);
    usage::plan_usage(&mut p, &u, &ObservedUsage::default(), None);
    let (api, pol, used) =
        simulate_usage::apply_all(None, BTreeMap::new(), ObservedUsage::default(), &p.ops)
            .expect("the plan applies");
    let out = rest::export::export(&api, &used, &Vec::new(), &ctx(&f));
    let s2 = load("exported.yaml", &out.yaml);
    let f2 = resolve(&s2);
    let d2 = rest::desired::rest(&s2, &f2, REGION);
    assert_eq!(d2.config, d.config, "{name}: config\n{}", out.yaml);
    assert_eq!(
        stages_as_exported(&d2.stages),
        stages_as_exported(&d.stages),
        "{name}: stages\n{}",
        out.yaml
    );
    assert_eq!(d2.tags, d.tags, "{name}: tags\n{}", out.yaml);
    assert_eq!(
        perms(&d2.permissions),
        perms(&d.permissions),
        "{name}: permissions\n{}",
        out.yaml
    );
    let u2 = usage::desired(&s2, &no_env, &salt).expect("no key values needed");
    assert_eq!(u2.plans, u.plans, "{name}: usage plans\n{}", out.yaml);
    let keys = |u: &usage::DesiredUsage| -> Vec<String> {
        u.keys
            .iter()
            .map(|k| {
                format!(
                    "{} {:?} {:?} {}",
                    k.name, k.source, k.def, k.enabled_undeclared
                )
            })
            .collect()
    };
    assert_eq!(keys(&u2), keys(&u), "{name}: api keys\n{}", out.yaml);
    let mut again = rest::plan(&d2, Some(&api), &pol, opts);
    usage::plan_usage(&mut again, &u2, &used, Some(&api.id));
    assert!(
        again.is_empty(),
        "{name}: the exported spec plans {:?}\n{}",
        again.changes,
        out.yaml
    );
    out
}

pub(crate) fn http_round_trip(name: &str, yaml: &str) -> Exported {
    let s = load(name, yaml);
    let f = resolve(&s);
    let d = http::desired(&s, &f, REGION);
    let opts = PlanOptions::default();
    let p = http::plan(&d, None, &BTreeMap::new(), opts);
    let (api, pol) =
        http::simulate::apply(None, BTreeMap::new(), &p.ops).expect("the plan applies");
    let out = http::export::export(&api, &ctx(&f));
    let s2 = load("exported.yaml", &out.yaml);
    let f2 = resolve(&s2);
    let d2 = http::desired(&s2, &f2, REGION);
    assert_eq!(d2.config, d.config, "{name}: config\n{}", out.yaml);
    assert_eq!(d2.stages, d.stages, "{name}: stages\n{}", out.yaml);
    assert_eq!(d2.tags, d.tags, "{name}: tags\n{}", out.yaml);
    assert_eq!(
        perms(&d2.permissions),
        perms(&d.permissions),
        "{name}: permissions\n{}",
        out.yaml
    );
    let again = http::plan(&d2, Some(&api), &pol, opts);
    assert!(
        again.is_empty(),
        "{name}: the exported spec plans {:?}\n{}",
        again.changes,
        out.yaml
    );
    out
}

/// A WebSocket spec's stages as `export` writes them (see [`stages_as_exported`]; also
/// `auto_deploy: false`, the default every live stage holds).
fn ws_stages_as_exported(
    stages: &BTreeMap<String, crate::state::ws::Stage>,
) -> BTreeMap<String, crate::state::ws::Stage> {
    let mut out = stages.clone();
    for st in out.values_mut() {
        if st.auto_deploy == Some(false) {
            st.auto_deploy = None;
        }
        let d = &mut st.default_route_settings;
        if d.metrics == Some(false) {
            d.metrics = None;
        }
        if d.data_trace == Some(false) {
            d.data_trace = None;
        }
        if d.logging_level.as_deref() == Some("OFF") {
            d.logging_level = None;
        }
    }
    out
}

pub(crate) fn ws_round_trip(name: &str, yaml: &str) -> Exported {
    let s = load(name, yaml);
    let f = resolve(&s);
    let d = ws::desired(&s, &f, REGION);
    let opts = PlanOptions::default();
    let p = ws::plan(&d, None, &BTreeMap::new(), opts);
    let (api, pol) = ws::simulate::apply(None, BTreeMap::new(), &p.ops).expect("the plan applies");
    let out = ws::export::export(&api, &ctx(&f));
    let s2 = load("exported.yaml", &out.yaml);
    let f2 = resolve(&s2);
    let d2 = ws::desired(&s2, &f2, REGION);
    assert_eq!(d2.config, d.config, "{name}: config\n{}", out.yaml);
    assert_eq!(
        ws_stages_as_exported(&d2.stages),
        ws_stages_as_exported(&d.stages),
        "{name}: stages\n{}",
        out.yaml
    );
    assert_eq!(d2.tags, d.tags, "{name}: tags\n{}", out.yaml);
    assert_eq!(
        perms(&d2.permissions),
        perms(&d.permissions),
        "{name}: permissions\n{}",
        out.yaml
    );
    let again = ws::plan(&d2, Some(&api), &pol, opts);
    assert!(
        again.is_empty(),
        "{name}: the exported spec plans {:?}\n{}",
        again.changes,
        out.yaml
    );
    out
}

#[test]
fn websocket_routes_integrations_authorizers_and_stages_round_trip() {
    let specs = [
        // every integration type, templates, a two-way route, iam, api key selection
        "api: {name: w, kind: websocket, route_selection: $request.body.op, api_key_selection: $request.header.x-api-key, tags: {team: rt}}\nfunctions: {echo: echo-fn, far: 'arn:aws:lambda:eu-west-1:999999999999:function:far', auth: auth-fn:live}\nauthorizers:\n  tok: {type: request, function: auth, identity_sources: [route.request.header.Auth, route.request.querystring.t]}\nroutes:\n  - {route: $connect, function: echo, auth: tok}\n  - {route: $disconnect, integration: {type: lambda_proxy, function: far, timeout_ms: 5000}}\n  - route: $default\n    response: true\n    integration: {type: lambda, function: echo, template_selection: \\$default, request_templates: {$default: '{\"m\": $input.body}'}, passthrough_behavior: NEVER, content_handling: CONVERT_TO_TEXT}\n  - {route: ping, response: true, integration: {type: mock, template_selection: \\$default, request_templates: {$default: '{\"statusCode\": 200}'}}}\n  - {route: fwd, integration: {type: http_proxy, uri: 'https://backend.example.com/ws', http_method: PUT}, throttle: {rate: 3, burst: 4}}\n  - {route: rpc, integration: {type: http, uri: 'https://rpc.example.com', timeout_ms: 1000, request_templates: {$default: '{}'}}}\nstages:\n  prod: {auto_deploy: true, logging: INFO, data_trace: true, metrics: true, throttle: {rate: 10, burst: 20}, variables: {v: '1'}}\n  dev: {description: development, access_log: {destination: 'arn:aws:logs:us-east-1:123456789012:log-group:w', format: '$context.requestId'}}\n",
        // iam on $connect, the default route selection, no stage
        "api: {name: v, kind: websocket, description: d}\nfunctions: {f: f-fn}\nroutes:\n  - {route: $connect, function: f, auth: iam}\n  - {route: $default, function: f, response: true}\n",
    ];
    for (n, y) in specs.iter().enumerate() {
        let out = ws_round_trip(&format!("ws-{n}"), y);
        assert!(out.left_out.is_empty(), "{:?}\n{}", out.left_out, out.yaml);
    }
}

#[test]
fn a_websocket_route_without_its_integration_is_left_out_and_named() {
    let yaml = "api: {name: w, kind: websocket}\nfunctions: {echo: echo-fn}\nroutes:\n  - {route: a, function: echo}\n  - {route: b, function: echo}\nstages:\n  prod: {}\n";
    let s = load("w", yaml);
    let f = resolve(&s);
    let d = ws::desired(&s, &f, REGION);
    let p = ws::plan(&d, None, &BTreeMap::new(), PlanOptions::default());
    let (mut api, _) = ws::simulate::apply(None, BTreeMap::new(), &p.ops).unwrap();
    api.config.routes.get_mut("b").unwrap().target = Some("integrations/gone".into());
    let out = ws::export::export(&api, &ctx(&f));
    let objects: Vec<&str> = out.left_out.iter().map(|l| l.object.as_str()).collect();
    assert_eq!(objects, vec!["route b", "route b"], "{:?}", out.left_out);
    assert!(out.yaml.contains("- route b, `target`"), "{}", out.yaml);
    assert!(
        out.yaml.contains("{route: a, function: echo-fn}"),
        "{}",
        out.yaml
    );
    assert!(!out.yaml.contains("route: b"), "{}", out.yaml);
}

#[test]
fn every_spec_in_specs_round_trips_through_export() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    let mut n = 0;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in files {
        let name = path.display().to_string();
        let yaml = std::fs::read_to_string(&path).unwrap();
        use crate::spec::model::ApiKind;
        let out = match load(&name, &yaml).api.kind {
            ApiKind::Http => http_round_trip(&name, &yaml),
            ApiKind::Rest => rest_round_trip(&name, &yaml),
            ApiKind::WebSocket => ws_round_trip(&name, &yaml),
        };
        assert!(out.left_out.is_empty(), "{name}: {:?}", out.left_out);
        assert!(out.yaml.contains("Nothing was left out."), "{}", out.yaml);
        n += 1;
    }
    assert!(n >= 6, "specs/ holds the seeds' specs and chat.yaml");
}

#[test]
fn the_exported_text_is_readable_and_deterministic() {
    let yaml =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/todo.yaml"))
            .unwrap();
    let a = rest_round_trip("todo", &yaml);
    let b = rest_round_trip("todo", &yaml);
    assert_eq!(a.yaml, b.yaml);
    for line in [
        "functions:\n  todo-create: todo-create\n",
        "default_auth: none\n",
        "cors: {origins: ['http://localhost:3000'], headers: [Content-Type, Authorization], max_age: 600}\n",
        "  - {path: /todos, method: GET, function: todo-list}\n",
        "stages:\n  prod: {description: production, logging: INFO, metrics: true}\n",
    ] {
        assert!(a.yaml.contains(line), "{line:?} not in\n{}", a.yaml);
    }
}

#[test]
fn several_kinds_of_routes_auth_and_cors_shapes_round_trip() {
    let rest_specs = [
        // authorizers, default auth, scopes, api keys per route, request parameters
        "api: {name: a}\nfunctions: {app: app-fn, auth: auth-fn:live, remote: 'arn:aws:lambda:eu-west-1:999999999999:function:far'}\nauthorizers:\n  tok: {type: token, function: auth, validation_expression: '^Bearer .+$', ttl: 60}\n  req: {type: request, function: auth, identity_sources: [method.request.header.X-T, method.request.querystring.k], ttl: 10}\n  pool: {type: cognito, user_pool_arns: ['arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc']}\ndefault_auth: tok\nroutes:\n  - {path: /a, method: GET, function: app}\n  - {path: /b, method: GET, function: app, auth: req}\n  - {path: /c, method: POST, function: remote, auth: pool, scopes: [email]}\n  - {path: /, method: GET, function: app, auth: none, api_key_required: true}\n  - {path: '/d/{id}', method: PUT, function: app, auth: iam, request_parameters: {method.request.querystring.q: false}, throttle: {rate: 5, burst: 10}}\nstages:\n  prod: {variables: {a: b}, throttle: {rate: 100.5, burst: 20}, tracing: true, data_trace: true, access_log: {destination: 'arn:aws:logs:us-east-1:123456789012:log-group:x', format: '$context.requestId'}}\n  dev: {}\n",
        // several origins with credentials, methods limited, custom headers, expose
        "api: {name: b, binary_media_types: [image/png], api_key_source: AUTHORIZER, endpoint: EDGE, tags: {team: web}}\nfunctions: {app: app-fn}\ndefault_auth: none\ncors: {origins: ['https://a.example.com', 'https://b.example.com'], methods: [GET], headers: [X-A], expose_headers: [X-B], max_age: 5, credentials: true}\nroutes:\n  - {path: /x, method: GET, function: app}\n  - {path: /x, method: POST, function: app}\n  - {path: '/x/{y+}', method: ANY, function: app}\nstages:\n  prod: {}\n",
        // custom integrations of every type
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/hoge-custom.yaml")).unwrap().leak(),
        "api: {name: c}\ndefault_auth: none\nroutes:\n  - path: '/users/{id}'\n    method: GET\n    integration: {type: http_proxy, uri: 'https://backend.example.com/users/{id}', timeout_ms: 5000, request_parameters: {integration.request.path.id: method.request.path.id}}\n  - path: /legacy\n    method: POST\n    integration: {type: http, uri: 'https://legacy.example.com/rpc', http_method: POST, request_templates: {application/json: '{\"call\": 1}'}, content_handling: CONVERT_TO_TEXT, passthrough_behavior: NEVER, responses: [{status: 200}]}\n    method_responses: [{status: 200}]\n  - path: /ping\n    method: OPTIONS\n    integration:\n      type: mock\n      request_templates: {application/json: '{\"statusCode\": 200}'}\n      responses:\n        - status: 200\n          templates: {application/json: \"{\\\"pong\\\": true}\\n\"}\n          parameters: {method.response.header.Access-Control-Allow-Origin: \"'*'\"}\n    method_responses:\n      - {status: 200, models: {application/json: Empty}, parameters: {method.response.header.Access-Control-Allow-Origin: false}}\nstages:\n  prod: {}\n",
    ];
    let private = "api:\n  name: internal-orders\n  endpoint: PRIVATE\n  vpc_endpoint_ids: [vpce-0123456789abcdef0]\n  policy:\n    Version: '2012-10-17'\n    Statement:\n      - {Effect: Allow, Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*'}\n      - Effect: Deny\n        Principal: '*'\n        Action: execute-api:Invoke\n        Resource: execute-api:/*\n        Condition: {StringNotEquals: {aws:SourceVpce: vpce-0123456789abcdef0}}\nfunctions: {orders: orders-list}\ndefault_auth: iam\nroutes:\n  - {path: /orders, method: GET, function: orders}\nstages:\n  prod: {}\n";
    let rest_specs: Vec<&str> = rest_specs.into_iter().chain([private]).collect();
    for (n, y) in rest_specs.iter().enumerate() {
        let out = rest_round_trip(&format!("rest-{n}"), y);
        assert!(out.left_out.is_empty(), "{:?}\n{}", out.left_out, out.yaml);
    }
    let http_specs = [
        "api: {name: h, kind: http, disable_execute_api_endpoint: true, tags: {a: b}}\nfunctions: {app: app-fn, auth-fn: my-authorizer}\nauthorizers:\n  jwt: {type: jwt, issuer: 'https://issuer.example.com', audience: [x, y]}\n  lambda: {type: request, function: auth-fn, identity_sources: [$request.header.Authorization], ttl: 300, payload_format_version: '2.0', simple_responses: true}\ndefault_auth: jwt\ncors: {origins: ['*'], headers: [Content-Type]}\nroutes:\n  - {path: /items, method: GET, function: app, scopes: [items/read]}\n  - {path: /admin, method: POST, function: app, auth: lambda}\n  - {path: /open, method: GET, function: app, auth: none, throttle: {rate: 1, burst: 2}}\n  - path: '/search/{proxy+}'\n    method: ANY\n    auth: iam\n    integration: {type: http_proxy, uri: 'https://search.example.com', request_parameters: {'overwrite:path': $request.path.proxy}}\n  - {path: /v1, method: GET, integration: {function: app, payload_format_version: '1.0', timeout_ms: 3000}}\n  - {path: $default, function: app}\nstages:\n  $default: {auto_deploy: true, metrics: true, throttle: {rate: 50, burst: 100}}\n  canary: {auto_deploy: false, variables: {version: v2}, access_log: {destination: 'arn:aws:logs:us-east-1:123456789012:log-group:h', format: '$context.requestId'}}\n",
    ];
    for (n, y) in http_specs.iter().enumerate() {
        let out = http_round_trip(&format!("http-{n}"), y);
        assert!(out.left_out.is_empty(), "{:?}\n{}", out.left_out, out.yaml);
    }
}

#[test]
fn an_adopted_api_deployed_by_hand_is_not_redeployed_until_gwctl_changes_it() {
    let yaml =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/todo.yaml"))
            .unwrap();
    let s = load("todo", &yaml);
    let f = resolve(&s);
    let d = rest::desired::rest(&s, &f, REGION);
    let p = rest::plan(&d, None, &BTreeMap::new(), PlanOptions::default());
    let (mut api, pol) = rest::simulate::apply(None, BTreeMap::new(), &p.ops).unwrap();
    for dep in api.deployments.values_mut() {
        dep.description = None; // as the console or SAM deploys
    }
    let adopted = PlanOptions {
        prune: false,
        force_deploy: false,
    };
    let deployments = |p: &super::Plan| {
        p.ops
            .iter()
            .filter(|o| o.aws_name() == "CreateDeployment")
            .count()
    };
    assert!(rest::plan(&d, Some(&api), &pol, adopted).is_empty());
    assert_eq!(
        deployments(&rest::plan(&d, Some(&api), &pol, PlanOptions::default())),
        1,
        "an owned api"
    );
    let forced = PlanOptions {
        force_deploy: true,
        ..adopted
    };
    assert_eq!(
        deployments(&rest::plan(&d, Some(&api), &pol, forced)),
        1,
        "--force"
    );
    let mut route = d.clone();
    route.undeclared.methods.clear();
    let get = route
        .config
        .resources
        .get_mut("/todos")
        .unwrap()
        .methods
        .get_mut("GET")
        .unwrap();
    get.integration.as_mut().unwrap().timeout_ms = Some(5000);
    assert_eq!(
        deployments(&rest::plan(&route, Some(&api), &pol, adopted)),
        1,
        "a change to the api"
    );
}

#[test]
fn a_websocket_timeout_the_spec_cannot_say_is_left_out_not_written() {
    let yaml = "api: {name: w, kind: websocket}\nfunctions: {echo: echo-fn}\nroutes:\n  - {route: a, function: echo}\nstages:\n  prod: {}\n";
    let s = load("w", yaml);
    let f = resolve(&s);
    let d = ws::desired(&s, &f, REGION);
    let p = ws::plan(&d, None, &BTreeMap::new(), PlanOptions::default());
    let (mut api, _) = ws::simulate::apply(None, BTreeMap::new(), &p.ops).unwrap();
    for i in api.config.integrations.values_mut() {
        i.timeout_ms = Some(30_000); // moto's fill-in; AWS allows at most 29000
    }
    let out = ws::export::export(&api, &ctx(&f));
    let fields: Vec<&str> = out.left_out.iter().map(|l| l.field.as_str()).collect();
    assert_eq!(fields, vec!["timeoutInMillis"], "{:?}", out.left_out);
    assert!(!out.yaml.contains("30000"), "{}", out.yaml);
    load("exported.yaml", &out.yaml);
}

/// Apply `yaml` in the simulator, let `edit` change the live API as someone else would
/// (then deploy by hand), export it, and plan the export as `plan --api-id` does: returns
/// the export and the plan's operations.
fn adopt_round_trip(
    yaml: &str,
    edit: impl FnOnce(&mut crate::state::rest::ObservedRestApi),
) -> (Exported, Vec<String>) {
    let s = load("made-elsewhere", yaml);
    let f = resolve(&s);
    let d = rest::desired::rest(&s, &f, REGION);
    let p = rest::plan(&d, None, &BTreeMap::new(), PlanOptions::default());
    let (mut api, pol) = rest::simulate::apply(None, BTreeMap::new(), &p.ops).unwrap();
    edit(&mut api);
    api.config.normalize();
    for dep in api.deployments.values_mut() {
        dep.description = None;
    }
    let out = rest::export::export(&api, &ObservedUsage::default(), &Vec::new(), &ctx(&f));
    let s2 = load("exported.yaml", &out.yaml);
    let d2 = rest::desired::rest(&s2, &resolve(&s2), REGION);
    let adopted = PlanOptions {
        prune: false,
        force_deploy: false,
    };
    let again = rest::plan(&d2, Some(&api), &pol, adopted);
    let ops = again.ops.iter().map(|o| o.aws_name().to_string()).collect();
    (out, ops)
}

const ITEMS: &str = "version: 1\napi: {name: items, kind: rest}\nfunctions: {f: MyFunction}\ndefault_auth: none\nroutes:\n  - {path: /items, method: GET, function: f}\n  - {path: /items, method: POST, function: f}\n  - {path: '/items/{id}', method: ANY, function: f}\nstages:\n  prod: {}\n";

fn console_cors(api: &mut crate::state::rest::ObservedRestApi, gateway: bool) {
    use crate::plan::rest::cors::equiv_tests::{
        console_gateway_response, console_preflight, CONSOLE_HEADERS,
    };
    let c = &mut api.config;
    c.resources.get_mut("/items").unwrap().methods.insert(
        "OPTIONS".into(),
        console_preflight("'*'", CONSOLE_HEADERS, "'GET,OPTIONS,POST'"),
    );
    c.resources.get_mut("/items/{id}").unwrap().methods.insert(
        "OPTIONS".into(),
        console_preflight(
            "'*'",
            CONSOLE_HEADERS,
            "'DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT'",
        ),
    );
    if gateway {
        for t in ["DEFAULT_4XX", "DEFAULT_5XX"] {
            c.gateway_responses
                .insert(t.into(), console_gateway_response("'*'", CONSOLE_HEADERS));
        }
    }
}

#[test]
fn the_consoles_cors_is_exported_as_cors_and_plans_no_write() {
    let (out, ops) = adopt_round_trip(ITEMS, |api| console_cors(api, true));
    assert!(
        out.yaml.contains("\ncors: {origins: ['*']}\n"),
        "{}",
        out.yaml
    );
    assert!(!out.yaml.contains("OPTIONS"), "{}", out.yaml);
    assert!(out.left_out.is_empty(), "{:?}", out.left_out);
    assert_eq!(ops, Vec::<String>::new(), "{}", out.yaml);
}

#[test]
fn sams_cors_is_exported_as_cors_without_gateway_responses_and_plans_no_write() {
    use crate::plan::rest::cors::equiv_tests::sam_preflight;
    let (out, ops) = adopt_round_trip(ITEMS, |api| {
        for p in ["/items", "/items/{id}"] {
            api.config.resources.get_mut(p).unwrap().methods.insert(
                "OPTIONS".into(),
                sam_preflight(
                    "'https://app.example.com'",
                    "'Content-Type,Authorization'",
                    "'GET,POST,PUT,DELETE,OPTIONS'",
                ),
            );
        }
    });
    // `ANY /items/{id}` allows HEAD and PATCH too, SAM's list does not: `methods` says so.
    assert!(
        out.yaml.contains("\ncors:\n  origins: ['https://app.example.com']\n  methods: [DELETE, GET, POST, PUT]\n  headers: [Content-Type, Authorization]\n  gateway_responses: false\n"),
        "{}",
        out.yaml
    );
    assert!(out.left_out.is_empty(), "{:?}", out.left_out);
    assert_eq!(ops, Vec::<String>::new(), "{}", out.yaml);
}

#[test]
fn a_near_miss_cors_stays_literal_routes_and_plans_no_write() {
    let (out, ops) = adopt_round_trip(ITEMS, |api| {
        console_cors(api, true);
        // One preflight asks for an API key: not what `cors:` makes.
        let m = api
            .config
            .resources
            .get_mut("/items/{id}")
            .unwrap()
            .methods
            .get_mut("OPTIONS")
            .unwrap();
        m.api_key_required = true;
    });
    assert!(!out.yaml.contains("\ncors:"), "{}", out.yaml);
    assert!(out.yaml.contains("method: OPTIONS"), "{}", out.yaml);
    // The console's gateway responses cannot be written without `cors:`: listed.
    assert!(
        out.left_out
            .iter()
            .any(|l| l.object == "gateway response DEFAULT_4XX"),
        "{:?}",
        out.left_out
    );
    assert_eq!(ops, Vec::<String>::new(), "{}", out.yaml);
}

#[test]
fn stage_and_route_caches_and_canaries_are_exported() {
    let yaml = "version: 1\napi: {name: cached, kind: rest}\nfunctions: {f: MyFunction}\ndefault_auth: none\nroutes:\n  - {path: /items, method: GET, function: f, request_parameters: {method.request.querystring.q: false}, cache: {ttl: 60, key_parameters: [method.request.querystring.q]}}\n  - {path: /items, method: POST, function: f, cache: {enabled: false}}\n  - {path: /other, method: GET, function: f, request_parameters: {method.request.header.X-K: false}, cache: {key_parameters: [method.request.header.X-K]}}\nstages:\n  prod: {cache: {size: '1.6', ttl: 300, encrypted: true}}\n  dev: {}\n";
    let out = rest_round_trip("cached", yaml);
    assert!(out.left_out.is_empty(), "{:?}", out.left_out);
    for line in [
        "prod: {cache: {size: '1.6', ttl: 300, encrypted: true}}",
        "cache: {ttl: 60, key_parameters: [method.request.querystring.q]}",
        "cache: {enabled: false}",
        "cache: {key_parameters: [method.request.header.X-K]}",
    ] {
        assert!(out.yaml.contains(line), "{line:?} not in\n{}", out.yaml);
    }
    // A canary (made by `gwctl deploy --canary`, which the simulator's apply does not do).
    let (out, ops) = adopt_round_trip(ITEMS, |api| {
        api.stages.get_mut("prod").unwrap().settings.canary = Some(crate::state::rest::Canary {
            deployment_id: Some("d-canary".into()),
            percent: Some(12.5),
            variables: Some(BTreeMap::from([("version".into(), "v2".into())])),
        });
    });
    assert!(
        out.yaml
            .contains("canary: {percent: 12.5, variables: {version: v2}}"),
        "{}",
        out.yaml
    );
    assert_eq!(ops, Vec::<String>::new(), "{}", out.yaml);
}

#[test]
fn a_cache_cluster_without_stage_caching_is_listed_not_dropped() {
    let (out, _) = adopt_round_trip(ITEMS, |api| {
        let st = &mut api.stages.get_mut("prod").unwrap().settings;
        st.cache_cluster_enabled = Some(true);
        st.cache_cluster_size = Some("0.5".into());
    });
    assert!(
        out.left_out
            .iter()
            .any(|l| l.object == "stage prod" && l.field == "cacheClusterEnabled"),
        "{:?}",
        out.left_out
    );
}
