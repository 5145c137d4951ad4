//! Planner tests: no SDK, no network. Specs are parsed by the real spec loader; the
//! "account" is the simulator, which models what AWS does with each op.

use std::collections::BTreeMap;
use std::path::Path;

use super::desired::{self, DesiredRest};
use super::ops::Op;
use super::plan;
use super::simulate;
use crate::plan::{Plan, PlanOptions};
use crate::spec::model::Spec;
use crate::state::rest::{ObservedRestApi, Policies};
use crate::state::ResolvedFunction;

pub(crate) const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

pub(crate) fn spec(yaml: &str) -> Spec {
    let loaded = crate::spec::load_str(Path::new("test.yaml"), yaml);
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.render(false))
        .collect();
    assert!(errors.is_empty(), "spec errors:\n{}", errors.join("\n"));
    loaded.spec.expect("valid spec")
}

pub(crate) fn resolve(spec: &Spec) -> Vec<ResolvedFunction> {
    spec.functions
        .iter()
        .map(|f| {
            let name = f
                .name_or_arn
                .value
                .rsplit(':')
                .next()
                .unwrap_or_default()
                .to_string();
            ResolvedFunction {
                key: f.key.value.clone(),
                function_arn: format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"),
                name,
                qualifier: f.qualifier.clone(),
                account: ACCOUNT.into(),
                region: REGION.into(),
            }
        })
        .collect()
}

fn desired_of(yaml: &str) -> DesiredRest {
    let s = spec(yaml);
    let f = resolve(&s);
    desired::rest(&s, &f, REGION)
}

pub(crate) fn todo_yaml() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/specs/todo.yaml"))
        .expect("specs/todo.yaml")
}

fn count(p: &Plan, name: &str) -> usize {
    p.ops.iter().filter(|o| o.aws_name() == name).count()
}

/// Plan against `observed`, apply the plan in the simulator, return the new account.
fn converge(
    d: &DesiredRest,
    observed: Option<ObservedRestApi>,
    policies: Policies,
    opts: PlanOptions,
) -> (Plan, ObservedRestApi, Policies) {
    let p = plan(d, observed.as_ref(), &policies, opts);
    let (api, pol) = simulate::apply(observed, policies, &p.ops).expect("plan applies cleanly");
    (p, api, pol)
}

#[test]
fn first_apply_of_todo_builds_everything_once() {
    let d = desired_of(&todo_yaml());
    let p = plan(&d, None, &BTreeMap::new(), PlanOptions::default());
    assert_eq!(count(&p, "CreateRestApi"), 1);
    assert_eq!(count(&p, "CreateResource"), 2, "/todos and /todos/{{id}}");
    // five routes plus an OPTIONS preflight on each of the two resources
    assert_eq!(count(&p, "PutMethod"), 7);
    assert_eq!(count(&p, "PutIntegration"), 7);
    assert_eq!(count(&p, "AddPermission"), 5, "one permission per function");
    assert_eq!(count(&p, "CreateDeployment"), 1);
    assert_eq!(count(&p, "CreateStage"), 1);
    assert_eq!(
        count(&p, "PutGatewayResponse"),
        2,
        "DEFAULT_4XX and DEFAULT_5XX"
    );
    for op in &p.ops {
        if let Op::PutIntegration { method, def, .. } = op {
            if method == "OPTIONS" {
                assert_eq!(def.kind, "MOCK");
            } else {
                assert_eq!(def.kind, "AWS_PROXY");
                assert_eq!(def.http_method.as_deref(), Some("POST"));
                let uri = def.uri.as_deref().unwrap();
                assert!(uri.starts_with("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:"), "{uri}");
                assert!(uri.ends_with("/invocations"), "{uri}");
            }
        }
        if let Op::PutMethod { method, def, .. } = op {
            if method == "OPTIONS" {
                assert_eq!(def.authorization_type, "NONE");
                assert!(!def.api_key_required);
            }
        }
    }
    // order: the API first, resources before their methods, deployment before stage
    let pos = |n: &str| p.ops.iter().position(|o| o.aws_name() == n).unwrap();
    assert_eq!(pos("CreateRestApi"), 0);
    assert!(pos("CreateResource") < pos("PutMethod"));
    assert!(pos("CreateDeployment") < pos("CreateStage"));
    // the stage gets INFO logging and metrics in one update
    let stage_patch = p
        .ops
        .iter()
        .find_map(|o| match o {
            Op::UpdateStage { patches, .. } => Some(patches.clone()),
            _ => None,
        })
        .expect("stage settings");
    let paths: Vec<(&str, &str)> = stage_patch
        .iter()
        .map(|p| (p.path.as_str(), p.value.as_deref().unwrap_or("")))
        .collect();
    assert!(
        paths.contains(&("/*/*/logging/loglevel", "INFO")),
        "{paths:?}"
    );
    assert!(
        paths.contains(&("/*/*/metrics/enabled", "true")),
        "{paths:?}"
    );
}

#[test]
fn applying_the_plan_converges_to_an_empty_plan() {
    for yaml in [
        todo_yaml(),
        read_spec("hoge-custom.yaml"),
        read_spec("tasks-apikey.yaml"),
    ] {
        let d = desired_of(&yaml);
        let (first, api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
        assert!(!first.is_empty());
        let second = plan(&d, Some(&api), &pol, PlanOptions::default());
        assert!(
            second.is_empty(),
            "second plan should be empty, got {:#?}",
            second.changes
        );
    }
}

pub(crate) fn read_spec(name: &str) -> String {
    std::fs::read_to_string(format!("{}/specs/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn changing_one_routes_function_rewires_only_that_integration() {
    let yaml = todo_yaml();
    let d = desired_of(&yaml);
    let (_, api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    // GET /todos/{id} now served by a new function
    let changed = yaml.replace("todo-get", "todo-get-v2");
    assert_ne!(changed, yaml);
    let d2 = desired_of(&changed);
    let p = plan(&d2, Some(&api), &pol, PlanOptions::default());
    let names: Vec<&str> = p.ops.iter().map(|o| o.aws_name()).collect();
    assert_eq!(
        names,
        vec![
            "PutIntegration",
            "AddPermission",
            "RemovePermission",
            "CreateDeployment"
        ],
        "{:#?}",
        p.changes
    );
    // the deployment call itself moves the stage, which has nothing else to change
    assert!(matches!(
        &p.ops[3],
        Op::CreateDeployment { stage: Some(s), .. } if s.name == "prod"
    ));
    assert_eq!(p.changes.last().unwrap().kind, "stage");
    assert_eq!(p.changes.last().unwrap().ops, vec![3]);
    match &p.ops[0] {
        Op::PutIntegration { path, method, def } => {
            assert_eq!((path.as_str(), method.as_str()), ("/todos/{id}", "GET"));
            assert!(def
                .uri
                .as_deref()
                .unwrap()
                .contains("function:todo-get-v2/"));
        }
        other => panic!("unexpected {other:?}"),
    }
    let (api2, pol2) = simulate::apply(Some(api), pol, &p.ops).unwrap();
    assert!(plan(&d2, Some(&api2), &pol2, PlanOptions::default()).is_empty());
}

#[test]
fn removing_a_route_deletes_its_method_and_an_emptied_resource() {
    let yaml = todo_yaml();
    let d = desired_of(&yaml);
    let (_, api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    let (api0, pol0) = (api.clone(), pol.clone());
    let first_dep = api.stages["prod"].deployment_id.clone();

    // drop every /todos/{id} route: the resource goes, with its OPTIONS
    let s = spec(&yaml);
    let kept: Vec<_> = s
        .routes
        .iter()
        .filter(|r| r.path.value != "/todos/{id}")
        .cloned()
        .collect();
    let mut s2 = s.clone();
    s2.routes = kept;
    let d2 = desired::rest(&s2, &resolve(&s2), REGION);
    let p = plan(&d2, Some(&api), &pol, PlanOptions::default());
    assert_eq!(count(&p, "DeleteResource"), 1);
    assert_eq!(
        count(&p, "DeleteMethod"),
        0,
        "the resource takes its methods with it"
    );
    assert_eq!(
        count(&p, "RemovePermission"),
        3,
        "todo-get, todo-update, todo-delete"
    );
    assert_eq!(count(&p, "CreateDeployment"), 1);
    let (api2, pol2) = simulate::apply(Some(api), pol, &p.ops).unwrap();
    assert!(!api2.config.resources.contains_key("/todos/{id}"));
    assert_ne!(
        api2.stages["prod"].deployment_id, first_dep,
        "stage moved to the new deployment"
    );
    assert!(plan(&d2, Some(&api2), &pol2, PlanOptions::default()).is_empty());

    // drop only DELETE /todos/{id}: its method goes, the resource stays
    let mut s3 = s.clone();
    s3.routes
        .retain(|r| !(r.path.value == "/todos/{id}" && r.method.as_str() == "DELETE"));
    let d3 = desired::rest(&s3, &resolve(&s3), REGION);
    let p3 = plan(&d3, Some(&api0), &pol0, PlanOptions::default());
    assert_eq!(count(&p3, "DeleteMethod"), 1, "{:#?}", p3.changes);
    assert_eq!(count(&p3, "DeleteResource"), 0);
    assert_eq!(
        count(&p3, "RemovePermission"),
        1,
        "only todo-delete's statement"
    );
    assert_eq!(count(&p3, "CreateDeployment"), 1);
    let (api4, pol4) = simulate::apply(Some(api0), pol0, &p3.ops).unwrap();
    assert!(!api4.config.resources["/todos/{id}"]
        .methods
        .contains_key("DELETE"));
    assert!(plan(&d3, Some(&api4), &pol4, PlanOptions::default()).is_empty());
}

#[test]
fn drift_is_reported_field_by_field_and_reverted() {
    let d = desired_of(&todo_yaml());
    let (_, mut api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    // someone edits the console: integration URI and stage log level
    let m = api
        .config
        .resources
        .get_mut("/todos")
        .unwrap()
        .methods
        .get_mut("GET")
        .unwrap();
    m.integration.as_mut().unwrap().uri = Some("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:evil/invocations".into());
    api.stages
        .get_mut("prod")
        .unwrap()
        .settings
        .method_settings
        .get_mut("*/*")
        .unwrap()
        .logging_level = Some("ERROR".into());
    let p = plan(&d, Some(&api), &pol, PlanOptions::default());
    let integ = p
        .changes
        .iter()
        .find(|c| c.kind == "integration")
        .expect("integration drift");
    assert_eq!(integ.name, "GET /todos");
    let uri = integ.fields.iter().find(|f| f.field == "uri").unwrap();
    assert!(uri.old.as_deref().unwrap().contains("function:evil"));
    assert!(uri.new.as_deref().unwrap().contains("function:todo-list"));
    let stage = p.changes.iter().find(|c| c.kind == "stage").unwrap();
    let lvl = stage.fields.iter().find(|f| f.field == "logging").unwrap();
    assert_eq!(
        (lvl.old.as_deref(), lvl.new.as_deref()),
        (Some("ERROR"), Some("INFO"))
    );
    // the stage serves a deployment of the spec's configuration: reverting drift in the
    // API definition needs no new deployment
    assert_eq!(count(&p, "CreateDeployment"), 0);
    let (api2, pol2) = simulate::apply(Some(api), pol, &p.ops).unwrap();
    assert!(plan(&d, Some(&api2), &pol2, PlanOptions::default()).is_empty());
}

#[test]
fn adopted_api_keeps_what_the_spec_does_not_declare_unless_pruned() {
    let d = desired_of(&todo_yaml());
    let (_, mut api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    api.config
        .resources
        .insert("/legacy".into(), Default::default());
    api.resource_ids.insert("/legacy".into(), "r-legacy".into());
    // the stage serves a deployment of the API as it is, /legacy included
    let dep = api.stages["prod"].deployment_id.clone().unwrap();
    api.deployments.get_mut(&dep).unwrap().description = Some(desired::config_mark(&api.config));
    let keep = PlanOptions {
        prune: false,
        force_deploy: false,
    };
    assert!(plan(&d, Some(&api), &pol, keep).is_empty());
    let p = plan(&d, Some(&api), &pol, PlanOptions::default());
    assert_eq!(count(&p, "DeleteResource"), 1);
    assert_eq!(
        count(&p, "CreateDeployment"),
        1,
        "pruning changes what the stage serves"
    );
}

#[test]
fn statement_ids_are_deterministic_and_scoped_to_the_api() {
    let d1 = desired_of(&todo_yaml());
    let d2 = desired_of(&todo_yaml());
    assert_eq!(d1.permissions, d2.permissions);
    assert_eq!(
        desired::config_mark(&d1.config),
        desired::config_mark(&d2.config)
    );
    for p in &d1.permissions {
        assert!(
            p.statement_id.starts_with("gwctl-{api_id}-"),
            "{}",
            p.statement_id
        );
        assert_eq!(
            p.source_arn,
            format!("arn:aws:execute-api:{REGION}:{ACCOUNT}:{{api_id}}/*")
        );
        let (sid, arn) = p.resolve("abc123", &BTreeMap::new()).unwrap();
        assert!(sid.starts_with("gwctl-abc123-"));
        assert!(arn.ends_with(":abc123/*"));
        assert!(!arn.contains("*:*"), "never a wildcard account or region");
    }
}

#[test]
fn existing_statement_is_never_added_twice() {
    let d = desired_of(&todo_yaml());
    let (_, api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    let total: usize = pol.values().map(|v| v.len()).sum();
    assert_eq!(total, 5);
    // a plan against the same policies adds nothing, even with a forced deployment
    let p = plan(
        &d,
        Some(&api),
        &pol,
        PlanOptions {
            prune: true,
            force_deploy: true,
        },
    );
    assert_eq!(count(&p, "AddPermission"), 0);
    assert_eq!(count(&p, "CreateDeployment"), 1);
}

#[test]
fn a_redeploy_moves_an_unchanged_stage_in_the_deployment_call_and_patches_the_others() {
    let yaml = todo_yaml().replace(
        "stages:\n",
        "stages:\n  dev:\n    description: development\n",
    );
    let d = desired_of(&yaml);
    let (_, api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    let old_dep = api.stages["prod"].deployment_id.clone();
    assert_eq!(api.stages["dev"].deployment_id, old_dep);
    // a route changes (both stages must be redeployed), and dev's description with it
    let changed = yaml
        .replace("todo-get", "todo-get-v2")
        .replace("description: development", "description: dev box");
    let d2 = desired_of(&changed);
    let p = plan(&d2, Some(&api), &pol, PlanOptions::default());
    let moved: Vec<Option<String>> = p
        .ops
        .iter()
        .filter_map(|o| match o {
            Op::CreateDeployment { stage, .. } => Some(stage.as_ref().map(|s| s.name.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(moved, vec![Some("prod".to_string())], "one deployment call");
    let updates: Vec<(String, Vec<String>)> = p
        .ops
        .iter()
        .filter_map(|o| match o {
            Op::UpdateStage { name, patches } => Some((
                name.clone(),
                patches.iter().map(|p| p.path.clone()).collect(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        updates,
        vec![(
            "dev".to_string(),
            vec!["/deploymentId".to_string(), "/description".to_string()]
        )]
    );
    // both stage changes are shown
    let stage_changes: Vec<&str> = p
        .changes
        .iter()
        .filter(|c| c.kind == "stage")
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(stage_changes, vec!["dev", "prod"]);
    let (api2, pol2) = simulate::apply(Some(api), pol, &p.ops).unwrap();
    let new_dep = api2.stages["prod"].deployment_id.clone();
    assert_ne!(new_dep, old_dep);
    assert_eq!(api2.stages["dev"].deployment_id, new_dep);
    assert_eq!(
        api2.stages["dev"].settings.description.as_deref(),
        Some("dev box")
    );
    assert!(plan(&d2, Some(&api2), &pol2, PlanOptions::default()).is_empty());
}

/// An integration mapping `method.request.*` gets those parameters declared on its method
/// (AWS refuses the PutIntegration otherwise): the PutMethod of the plan carries them, so
/// they are visible in the plan and owned like any other declared parameter.
#[test]
fn mapped_method_parameters_are_declared_by_the_put_method() {
    let yaml = "api: {name: a}\ndefault_auth: none\nstages: {prod: {}}\nroutes:\n  - path: \"/users/{id}\"\n    method: GET\n    integration:\n      type: http_proxy\n      uri: \"https://b.example/users/{id}\"\n      request_parameters:\n        integration.request.path.id: method.request.path.id\n        integration.request.header.X-Tenant: method.request.header.X-Tenant\n";
    let d = desired_of(yaml);
    let p = plan(&d, None, &BTreeMap::new(), PlanOptions::default());
    let put = p
        .ops
        .iter()
        .find_map(|op| match op {
            Op::PutMethod { method, def, .. } if method == "GET" => Some(def),
            _ => None,
        })
        .expect("a PutMethod for GET");
    assert_eq!(
        put.request_parameters,
        BTreeMap::from([
            ("method.request.header.X-Tenant".to_string(), false),
            ("method.request.path.id".to_string(), true),
        ])
    );
}

/// Issue 17: the path parameters of a method's own resource path are implied by the path.
/// A new method declares them (so the granular path builds what an import of the definition
/// builds), a live one that has them (required) or lacks them plans nothing, and what the
/// spec declares itself is still enforced.
#[test]
fn path_parameters_of_the_resource_path_are_declared_on_put_and_neutral_after() {
    let yaml = "api: {name: a}\ndefault_auth: none\nstages: {prod: {}}\ncors: {origins: [\"https://a.example\"]}\nroutes:\n  - {path: \"/u/{id}/v/{proxy+}\", method: GET, integration: {type: mock}}\n  - {path: \"/u/{id}\", method: GET, integration: {type: mock}}\n  - {path: \"/u/{id}\", method: PUT, integration: {type: mock}, request_parameters: {method.request.path.id: false}}\n";
    let d = desired_of(yaml);
    let (first, api, pol) = converge(&d, None, BTreeMap::new(), PlanOptions::default());
    let puts: BTreeMap<(String, String), BTreeMap<String, bool>> = first
        .ops
        .iter()
        .filter_map(|op| match op {
            Op::PutMethod { path, method, def } => Some((
                (path.clone(), method.clone()),
                def.request_parameters.clone(),
            )),
            _ => None,
        })
        .collect();
    let params = |list: &[(&str, bool)]| -> BTreeMap<String, bool> {
        list.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    };
    let key = |p: &str, m: &str| (p.to_string(), m.to_string());
    let both = params(&[
        ("method.request.path.id", true),
        ("method.request.path.proxy", true),
    ]);
    assert_eq!(puts[&key("/u/{id}/v/{proxy+}", "GET")], both);
    assert_eq!(puts[&key("/u/{id}/v/{proxy+}", "OPTIONS")], both);
    let id = params(&[("method.request.path.id", true)]);
    assert_eq!(puts[&key("/u/{id}", "GET")], id);
    assert_eq!(puts[&key("/u/{id}", "OPTIONS")], id);
    // Declared by the spec: as declared.
    assert_eq!(
        puts[&key("/u/{id}", "PUT")],
        params(&[("method.request.path.id", false)])
    );
    // With them: nothing to do.
    assert!(plan(&d, Some(&api), &pol, PlanOptions::default()).is_empty());
    // Without them (an API made before): nothing to do either.
    let mut before = api.clone();
    for (path, r) in before.config.resources.iter_mut() {
        for (verb, m) in r.methods.iter_mut() {
            if !(path == "/u/{id}" && verb == "PUT") {
                m.request_parameters.clear();
            }
        }
    }
    // (and its stage serves a deployment of it as it is)
    let dep = before.stages["prod"].deployment_id.clone().unwrap();
    before.deployments.get_mut(&dep).unwrap().description =
        Some(desired::config_mark(&before.config));
    assert!(plan(&d, Some(&before), &pol, PlanOptions::default()).is_empty());
    // What the spec declares is enforced: PUT's `id: false` is put back, and a live
    // parameter that is not required is not implied (the method is replaced).
    let mut drifted = api.clone();
    let res = drifted.config.resources.get_mut("/u/{id}").unwrap();
    res.methods.get_mut("PUT").unwrap().request_parameters = id.clone();
    res.methods.get_mut("GET").unwrap().request_parameters =
        params(&[("method.request.path.id", false)]);
    let p = plan(&d, Some(&drifted), &pol, PlanOptions::default());
    assert_eq!(count(&p, "DeleteMethod"), 2, "{:#?}", p.changes);
}

/// Issue 15: a plan shows the value a field really gets, never `X -> (none)` where AWS's
/// default is what results (api_key_source HEADER, integration timeout); what the spec leaves
/// out is not in the plan at all.
#[test]
fn a_field_going_back_to_its_default_shows_the_default_not_none() {
    let yaml = todo_yaml();
    let d = desired_of(&yaml);
    let (_, mut api, pol) = converge(&d, None, Policies::new(), PlanOptions::default());
    api.config.api_key_source = Some("AUTHORIZER".into());
    let (path, verb) = ("/todos".to_string(), "GET".to_string());
    let i = api
        .config
        .resources
        .get_mut(&path)
        .unwrap()
        .methods
        .get_mut(&verb)
        .unwrap();
    let i = i.integration.as_mut().unwrap();
    i.timeout_ms = Some(5000);
    i.passthrough_behavior = Some("NEVER".into());

    // Declared `api_key_source: HEADER` and the default timeout: AUTHORIZER -> HEADER, 5000 ->
    // 29000 (the passthrough the route does not declare is kept).
    let declared = yaml
        .replace("kind: rest", "kind: rest\n  api_key_source: HEADER")
        .replace(
            "{path: /todos, method: GET, function: todo-list}",
            "{path: /todos, method: GET, integration: {function: todo-list, timeout_ms: 29000}}",
        );
    assert_eq!(declared.matches("29000").count(), 1);
    let p = plan(
        &desired_of(&declared),
        Some(&api),
        &pol,
        PlanOptions::default(),
    );
    let shown: Vec<(String, Option<String>, Option<String>)> = p
        .changes
        .iter()
        .flat_map(|c| c.fields.iter())
        .map(|f| (f.field.clone(), f.old.clone(), f.new.clone()))
        .collect();
    let s = |v: &str| Some(v.to_string());
    for want in [
        ("api_key_source".to_string(), s("AUTHORIZER"), s("HEADER")),
        ("timeout_ms".to_string(), s("5000"), s("29000")),
    ] {
        assert!(shown.contains(&want), "{want:?} not in {shown:#?}");
    }
    assert!(
        shown.iter().all(|f| f.2.is_some() || f.0 == "deployment"),
        "{shown:#?}"
    );

    // Not declared: the key source is left as it is, and not shown at all.
    let p = plan(&d, Some(&api), &pol, PlanOptions::default());
    assert!(p
        .changes
        .iter()
        .flat_map(|c| c.fields.iter())
        .all(|f| f.field != "api_key_source"));
    // (The stage serves the configuration from before the hand edits: it is redeployed.)
    assert!(
        p.ops
            .iter()
            .all(|o| matches!(o, Op::CreateDeployment { .. })),
        "{:#?}",
        p.changes
    );
}
