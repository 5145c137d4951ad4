//! Models and request validation (issue 18 item 3): planned, applied in the simulator,
//! planned again; drift reverted; what gwctl did not make left alone.

use serde_json::json;

use super::desired;
use super::models::{aws_schema, read_schema, validator_name};
use super::ops::Op;
use super::plan;
use super::simulate;
use super::tests::{resolve, spec, REGION};
use crate::plan::{Plan, PlanOptions};
use crate::spec::model::Validate;
use crate::state::rest::{Model, ObservedRestApi, Policies, RequestValidator};

const VALIDATED: &str = r##"
api: {name: shop}
functions: {create: create-order, list: list-orders, put: put-order}
stages: {prod: {}}
models:
  Order:
    type: object
    required: [item, quantity]
    properties:
      item: {$ref: "#/models/Item"}
      quantity: {type: integer, minimum: 1}
  Item:
    type: object
    required: [sku]
    properties:
      sku: {type: string, pattern: "^[A-Z0-9-]+$"}
      tags: {type: array, items: {$ref: "#/definitions/Tag"}}
    definitions:
      Tag: {type: string, maxLength: 20}
routes:
  - path: /orders
    method: POST
    function: create
    request: {validate: body, body: {application/json: Order}}
  - path: /orders/{id}
    method: PUT
    function: put
    request: {validate: all, body: {application/json: Order}}
  - path: /orders
    method: GET
    function: list
    request_parameters: {method.request.querystring.page: true}
    request: {validate: parameters}
  - path: /orders/{id}
    method: POST
    function: put
    request: {validate: body, body: {application/json: Item}}
"##;

const PLAIN: &str = r#"
api: {name: shop}
functions: {create: create-order, list: list-orders, put: put-order}
stages: {prod: {}}
routes:
  - {path: /orders, method: POST, function: create}
  - {path: "/orders/{id}", method: PUT, function: put}
  - path: /orders
    method: GET
    function: list
    request_parameters: {method.request.querystring.page: true}
  - {path: "/orders/{id}", method: POST, function: put}
"#;

type Account = (ObservedRestApi, Policies);

fn plan_of(yaml: &str, observed: Option<&Account>) -> Plan {
    let s = spec(yaml);
    let d = desired::rest(&s, &resolve(&s), REGION);
    let empty = Policies::new();
    plan(
        &d,
        observed.map(|a| &a.0),
        observed.map(|a| &a.1).unwrap_or(&empty),
        PlanOptions {
            prune: true,
            ..Default::default()
        },
    )
}

fn apply(yaml: &str, observed: Option<Account>) -> (Plan, Account) {
    let p = plan_of(yaml, observed.as_ref());
    let (api, pol) = observed.map_or((None, Policies::new()), |(a, p)| (Some(a), p));
    let after = simulate::apply(api, pol, &p.ops).expect("plan applies");
    (p, after)
}

fn position(p: &Plan, f: impl Fn(&Op) -> bool) -> usize {
    p.ops
        .iter()
        .position(f)
        .unwrap_or_else(|| panic!("no such op in {:#?}", p.ops))
}

fn names(p: &Plan, aws: &str) -> Vec<String> {
    p.ops
        .iter()
        .filter(|o| o.aws_name() == aws)
        .map(|o| o.label())
        .collect()
}

#[test]
fn models_and_shared_validators_are_created_before_the_methods_then_the_plan_is_empty() {
    let (p, acct) = apply(VALIDATED, None);
    // The referenced model first.
    assert_eq!(
        names(&p, "CreateModel"),
        ["CreateModel Item", "CreateModel Order"]
    );
    // One validator per kind, shared by the two `validate: body` routes.
    assert_eq!(
        names(&p, "CreateRequestValidator"),
        [
            "CreateRequestValidator gwctl-validate-all",
            "CreateRequestValidator gwctl-validate-body",
            "CreateRequestValidator gwctl-validate-parameters",
        ]
    );
    let first_method = position(&p, |o| matches!(o, Op::PutMethod { .. }));
    let last_create = p
        .ops
        .iter()
        .rposition(|o| {
            matches!(
                o,
                Op::CreateModel { .. } | Op::CreateRequestValidator { .. }
            )
        })
        .unwrap();
    assert!(last_create < first_method, "{:#?}", p.ops);
    let post = p
        .ops
        .iter()
        .find_map(|o| match o {
            Op::PutMethod { path, method, def } if path == "/orders" && method == "POST" => {
                Some(def.clone())
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(
        post.request_validator.as_deref(),
        Some("gwctl-validate-body")
    );
    assert_eq!(post.request_models["application/json"], "Order");
    // The schema keeps the spec's reference form; the executor renders AWS's.
    let order = p
        .ops
        .iter()
        .find_map(|o| match o {
            Op::CreateModel { name, schema, .. } if name == "Order" => Some(schema.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(order["properties"]["item"]["$ref"], "#/models/Item");
    assert_eq!(acct.0.owned_models.len(), 2);
    assert!(plan_of(VALIDATED, Some(&acct)).is_empty());
}

#[test]
fn drift_of_a_schema_a_validator_and_a_method_is_shown_and_reverted() {
    let (_, mut acct) = apply(VALIDATED, None);
    acct.0.config.models.get_mut("Item").unwrap().schema = json!({"type": "object"});
    acct.0
        .config
        .request_validators
        .insert("gwctl-validate-body".into(), RequestValidator::default());
    let m = acct
        .0
        .config
        .resources
        .get_mut("/orders")
        .unwrap()
        .methods
        .get_mut("GET")
        .unwrap();
    m.request_validator = None;
    let (p, acct) = apply(VALIDATED, Some(acct));
    assert_eq!(names(&p, "UpdateModel"), ["UpdateModel Item"]);
    let patches = p
        .ops
        .iter()
        .find_map(|o| match o {
            Op::UpdateRequestValidator { patches, .. } => Some(patches.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(patches.len(), 1);
    assert_eq!(patches[0].path, "/validateRequestBody");
    assert_eq!(patches[0].value.as_deref(), Some("true"));
    let change = p
        .changes
        .iter()
        .find(|c| c.kind == "method" && c.name == "GET /orders")
        .expect("the method's drift is shown");
    assert!(change.fields.iter().any(|f| f.field == "request_validator"));
    // Reverting drift needs no deployment: the stage serves the spec's configuration.
    assert!(!p
        .ops
        .iter()
        .any(|o| matches!(o, Op::CreateDeployment { .. })));
    assert!(plan_of(VALIDATED, Some(&acct)).is_empty());
}

#[test]
fn a_changed_schema_is_updated_in_place_and_deployed() {
    let (_, acct) = apply(VALIDATED, None);
    let changed = VALIDATED.replace("maxLength: 20", "maxLength: 30");
    let (p, acct) = apply(&changed, Some(acct));
    assert_eq!(names(&p, "UpdateModel"), ["UpdateModel Item"]);
    assert!(names(&p, "PutMethod").is_empty(), "{:#?}", p.ops);
    // A model is part of the deployed configuration.
    assert!(p
        .ops
        .iter()
        .any(|o| matches!(o, Op::CreateDeployment { .. })));
    assert!(plan_of(&changed, Some(&acct)).is_empty());
}

#[test]
fn dropping_models_and_validation_deletes_what_gwctl_made_after_the_methods() {
    let (_, acct) = apply(VALIDATED, None);
    let (p, acct) = apply(PLAIN, Some(acct));
    // Referencing model first (Order refers to Item), validators and models after methods.
    assert_eq!(
        names(&p, "DeleteModel"),
        ["DeleteModel Order", "DeleteModel Item"]
    );
    assert_eq!(names(&p, "DeleteRequestValidator").len(), 3);
    let last_method = p
        .ops
        .iter()
        .rposition(|o| matches!(o, Op::PutMethod { .. }))
        .unwrap();
    let first_delete = position(&p, |o| {
        matches!(
            o,
            Op::DeleteModel { .. } | Op::DeleteRequestValidator { .. }
        )
    });
    assert!(last_method < first_delete, "{:#?}", p.ops);
    assert!(acct.0.config.models.is_empty());
    assert!(acct.0.config.request_validators.is_empty());
    assert!(plan_of(PLAIN, Some(&acct)).is_empty());
}

#[test]
fn models_and_validators_gwctl_did_not_make_are_left_alone() {
    let (_, mut acct) = apply(PLAIN, None);
    // Made in the console: a model, a validator, and a method using both.
    acct.0.config.models.insert(
        "Console".into(),
        Model {
            content_type: "application/json".into(),
            schema: json!({"type": "object"}),
        },
    );
    acct.0
        .config
        .request_validators
        .insert("console-validator".into(), RequestValidator::default());
    acct.0
        .validator_ids
        .insert("console-validator".into(), "v1".into());
    let m = acct
        .0
        .config
        .resources
        .get_mut("/orders")
        .unwrap()
        .methods
        .get_mut("POST")
        .unwrap();
    m.request_validator = Some("console-validator".into());
    m.request_models
        .insert("application/json".into(), "Console".into());
    // Nothing of theirs is changed; the definition the console changed is what the stage
    // gets on the next deployment (as for any undeclared setting), and nothing else.
    let p = plan_of(PLAIN, Some(&acct));
    assert!(
        p.ops
            .iter()
            .all(|o| matches!(o, Op::CreateDeployment { .. })),
        "{:#?}",
        p.ops
    );
    let (_, acct) = apply(PLAIN, Some(acct));
    assert!(plan_of(PLAIN, Some(&acct)).is_empty());
    assert_eq!(
        acct.0.config.resources["/orders"].methods["POST"]
            .request_validator
            .as_deref(),
        Some("console-validator")
    );
    // Declaring validation on the route replaces what the console set there, and still
    // leaves the console's model and validator in place.
    let (p, acct) = apply(VALIDATED, Some(acct));
    assert!(names(&p, "DeleteModel").is_empty());
    assert!(names(&p, "DeleteRequestValidator").is_empty());
    assert!(acct.0.config.models.contains_key("Console"));
    assert!(plan_of(VALIDATED, Some(&acct)).is_empty());
}

#[test]
fn an_api_without_models_hashes_as_before() {
    // The serialised configuration has no trace of the new fields, so the deployment mark
    // of an existing API without models is unchanged and it is not redeployed.
    let s = spec(PLAIN);
    let d = desired::rest(&s, &resolve(&s), REGION);
    let text = serde_json::to_string(&d.config).unwrap();
    for key in [
        "models",
        "request_validators",
        "request_validator",
        "request_models",
    ] {
        assert!(!text.contains(&format!("\"{key}\"")), "{key} in {text}");
    }
    let v = spec(VALIDATED);
    let dv = desired::rest(&v, &resolve(&v), REGION);
    assert_ne!(
        desired::config_mark(&d.config),
        desired::config_mark(&dv.config)
    );
}

#[test]
fn references_to_models_are_written_as_aws_wants_and_read_back() {
    let schema = json!({"type": "array", "items": {"$ref": "#/models/Item"}});
    let text = aws_schema(&schema, "abc123");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["items"]["$ref"],
        "https://apigateway.amazonaws.com/restapis/abc123/models/Item"
    );
    assert_eq!(read_schema(&text), schema);
    // Compared as JSON, not text.
    assert_eq!(
        read_schema("{ \"type\" :\n \"object\" }"),
        json!({"type": "object"})
    );
    assert_eq!(
        validator_name(Validate::Parameters),
        "gwctl-validate-parameters"
    );
}

#[test]
fn models_and_request_validation_round_trip_through_export() {
    let yaml = format!("default_auth: none\n{VALIDATED}");
    let out = crate::plan::export_tests::rest_round_trip("models", &yaml);
    assert!(out.left_out.is_empty(), "{:?}\n{}", out.left_out, out.yaml);
    assert!(out.yaml.contains("#/models/Item"), "{}", out.yaml);
    assert!(out.yaml.contains("validate: parameters"), "{}", out.yaml);
}
