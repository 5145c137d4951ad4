//! Models and request validation of a REST API (issue 18 item 3): the desired models,
//! validators and each method's validator and body models, and the ops that converge them.
//! Pure: no SDK, no I/O.
//!
//! - Models are compared as parsed JSON (never as text); a reference to another model is
//!   `#/models/NAME` on both sides and rendered as AWS wants it only when written
//!   ([`aws_schema`]). Creates come in `$ref` order (a referenced model first), before the
//!   methods that use them; deletes after the methods moved away, referencing models first.
//!   gwctl deletes only the models it created (description [`MODEL_MARK`]).
//! - Request validators are shared: one per distinct kind (body, parameters, all), named
//!   [`validator_name`]; only those names are gwctl's, any other validator is left alone.
//! - A method's validator and request models are part of its request: a change replaces
//!   the method like any other request change (`method.rs`; moto has no update-method).
//!   A route without `request:` keeps what its method has, unless gwctl made it (a gwctl
//!   validator, a gwctl model), which goes.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use crate::plan::{diff_fields, Action, Change, Plan};
use crate::spec::model::{Spec, Validate};
use crate::state::rest::{Method, Model, ObservedRestApi, RequestValidator, RestApi};

pub use crate::state::rest::MODEL_MARK;

use super::ops::Op;

/// The prefix of every request validator gwctl creates.
pub const VALIDATOR_PREFIX: &str = "gwctl-validate-";
/// The content type of the models a spec declares (JSON Schema).
pub const MODEL_CONTENT_TYPE: &str = "application/json";
/// How the spec (and both sides of the diff) refer to another model.
pub const MODEL_REF: &str = "#/models/";
/// How AWS wants a reference to another model of the API (`{api_id}` filled in by the
/// executor).
pub const AWS_MODEL_URL: &str = "https://apigateway.amazonaws.com/restapis/";

/// The shared validator of one kind: `gwctl-validate-body|parameters|all`.
pub fn validator_name(v: Validate) -> String {
    format!("{VALIDATOR_PREFIX}{}", v.as_str())
}

/// What the validator of kind `v` checks.
pub fn validator_of(v: Validate) -> RequestValidator {
    RequestValidator {
        body: matches!(v, Validate::Body | Validate::All),
        parameters: matches!(v, Validate::Parameters | Validate::All),
    }
}

/// A validator gwctl created (by its name).
pub fn is_ours(validator: &str) -> bool {
    validator.starts_with(VALIDATOR_PREFIX)
}

/// Every `$ref` string of a schema, rewritten by `f`.
fn map_refs(v: &Json, f: &dyn Fn(&str) -> Option<String>) -> Json {
    match v {
        Json::Object(m) => Json::Object(
            m.iter()
                .map(|(k, x)| {
                    let x = match (k.as_str(), x) {
                        ("$ref", Json::String(s)) => {
                            Json::String(f(s).unwrap_or_else(|| s.clone()))
                        }
                        _ => map_refs(x, f),
                    };
                    (k.clone(), x)
                })
                .collect(),
        ),
        Json::Array(a) => Json::Array(a.iter().map(|x| map_refs(x, f)).collect()),
        other => other.clone(),
    }
}

/// The schema as sent to AWS: `#/models/NAME` becomes
/// `https://apigateway.amazonaws.com/restapis/{api_id}/models/NAME` (`api_id` may be the
/// `{api_id}` placeholder).
pub fn aws_schema(schema: &Json, api_id: &str) -> String {
    map_refs(schema, &|r| {
        r.strip_prefix(MODEL_REF)
            .map(|name| format!("{AWS_MODEL_URL}{api_id}/models/{name}"))
    })
    .to_string()
}

/// A schema as AWS answers it (text), in the form both sides compare: parsed, with
/// references to models of any API folded into `#/models/NAME`. Text that is not JSON
/// is kept as a JSON string (it then differs from any desired schema).
pub fn read_schema(text: &str) -> Json {
    let Ok(v) = serde_json::from_str::<Json>(text) else {
        return Json::String(text.to_string());
    };
    map_refs(&v, &|r| {
        let rest = r.strip_prefix(AWS_MODEL_URL)?;
        let (_, name) = rest.split_once("/models/")?;
        Some(format!("{MODEL_REF}{name}"))
    })
}

/// The models a schema references (`#/models/NAME`), sorted.
pub fn model_refs(schema: &Json) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    fn walk(v: &Json, out: &mut BTreeSet<String>) {
        match v {
            Json::Object(m) => {
                for (k, x) in m {
                    if let ("$ref", Json::String(s)) = (k.as_str(), x) {
                        if let Some(n) = s.strip_prefix(MODEL_REF) {
                            out.insert(n.to_string());
                        }
                    } else {
                        walk(x, out);
                    }
                }
            }
            Json::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(schema, &mut out);
    out
}

/// Add the spec's models, validators and each route's validator and body models to the
/// desired configuration (the methods exist already, by `{path}` and verb).
pub fn add_to(config: &mut RestApi, spec: &Spec) {
    for m in &spec.models {
        config.models.insert(
            m.name.value.clone(),
            Model {
                content_type: MODEL_CONTENT_TYPE.into(),
                schema: m.schema.clone(),
            },
        );
    }
    for r in &spec.routes {
        let Some(req) = &r.request else { continue };
        let Some(method) = config
            .resources
            .get_mut(&r.path.value)
            .and_then(|res| res.methods.get_mut(r.method.as_str()))
        else {
            continue;
        };
        if let Some(v) = req.validate {
            config
                .request_validators
                .insert(validator_name(v), validator_of(v));
            method.request_validator = Some(validator_name(v));
        }
        method.request_models = req.body.clone();
    }
}

/// A method whose route has no `request:` keeps its live validator and request models,
/// except what gwctl made (its validators, its models): those go with the declaration.
pub fn keep_undeclared_request(want: &mut Method, have: &Method, observed: &ObservedRestApi) {
    want.request_validator = have.request_validator.clone().filter(|v| !is_ours(v));
    want.request_models = have
        .request_models
        .iter()
        .filter(|(_, m)| !observed.owned_models.contains(*m))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
}

/// Models in creation order: each after the models it references (names order otherwise).
fn creation_order(models: &BTreeMap<String, Model>) -> Vec<&String> {
    let mut out: Vec<&String> = Vec::new();
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    fn place<'a>(
        name: &'a String,
        models: &'a BTreeMap<String, Model>,
        placed: &mut BTreeSet<&'a str>,
        out: &mut Vec<&'a String>,
        depth: usize,
    ) {
        if placed.contains(name.as_str()) || depth > models.len() {
            return;
        }
        if let Some(m) = models.get(name) {
            for r in model_refs(&m.schema) {
                if let Some((k, _)) = models.get_key_value(&r) {
                    place(k, models, placed, out, depth + 1);
                }
            }
        }
        if placed.insert(name.as_str()) {
            out.push(name);
        }
    }
    for name in models.keys() {
        place(name, models, &mut placed, &mut out, 0);
    }
    out
}

/// Step 3b of the REST plan (before the methods): models created (referenced ones first)
/// and updated, validators created and updated.
pub fn plan_before_methods(p: &mut Plan, desired: &RestApi, observed: &RestApi) {
    for name in creation_order(&desired.models) {
        let want = &desired.models[name];
        match observed.models.get(name) {
            None => p.push(
                Change::new(Action::Create, "model", name),
                Op::CreateModel {
                    name: name.clone(),
                    content_type: want.content_type.clone(),
                    schema: want.schema.clone(),
                },
            ),
            Some(have) if have.content_type != want.content_type => p.push_all(
                Change::new(Action::Replace, "model", name)
                    .fields(diff_fields(Some(have), Some(want))),
                vec![
                    Op::DeleteModel { name: name.clone() },
                    Op::CreateModel {
                        name: name.clone(),
                        content_type: want.content_type.clone(),
                        schema: want.schema.clone(),
                    },
                ],
            ),
            Some(have) if have.schema != want.schema => p.push(
                Change::new(Action::Update, "model", name)
                    .fields(diff_fields(Some(have), Some(want))),
                Op::UpdateModel {
                    name: name.clone(),
                    schema: want.schema.clone(),
                },
            ),
            Some(_) => {}
        }
    }
    for (name, want) in &desired.request_validators {
        match observed.request_validators.get(name) {
            None => p.push(
                Change::new(Action::Create, "request_validator", name),
                Op::CreateRequestValidator {
                    name: name.clone(),
                    body: want.body,
                    parameters: want.parameters,
                },
            ),
            Some(have) if have != want => {
                let mut patches = Vec::new();
                if have.body != want.body {
                    patches.push(crate::plan::patch::Patch::replace(
                        "/validateRequestBody",
                        want.body.to_string(),
                    ));
                }
                if have.parameters != want.parameters {
                    patches.push(crate::plan::patch::Patch::replace(
                        "/validateRequestParameters",
                        want.parameters.to_string(),
                    ));
                }
                p.push(
                    Change::new(Action::Update, "request_validator", name)
                        .fields(diff_fields(Some(have), Some(want))),
                    Op::UpdateRequestValidator {
                        name: name.clone(),
                        patches,
                    },
                );
            }
            Some(_) => {}
        }
    }
}

/// Step 6b (after the methods moved away): gwctl's validators and models the spec no longer
/// declares are deleted, a model before the models it references. Nothing else is touched.
pub fn plan_after_methods(
    p: &mut Plan,
    desired: &RestApi,
    observed: &RestApi,
    owned_models: &BTreeSet<String>,
) {
    for name in observed.request_validators.keys() {
        if is_ours(name) && !desired.request_validators.contains_key(name) {
            p.push(
                Change::new(Action::Delete, "request_validator", name),
                Op::DeleteRequestValidator { name: name.clone() },
            );
        }
    }
    let gone: BTreeMap<String, Model> = observed
        .models
        .iter()
        .filter(|(n, _)| owned_models.contains(*n) && !desired.models.contains_key(*n))
        .map(|(n, m)| (n.clone(), m.clone()))
        .collect();
    for name in creation_order(&gone).into_iter().rev() {
        p.push(
            Change::new(Action::Delete, "model", name),
            Op::DeleteModel { name: name.clone() },
        );
    }
}

/// `gwctl export`: the API's models as a `models:` section (each name alphanumeric, JSON
/// content, no null in the schema); the others are listed as left out.
pub fn export_models(
    c: &RestApi,
    left: &mut Vec<crate::plan::export::LeftOut>,
) -> crate::spec::write::Map {
    use crate::plan::export::LeftOut;
    let mut out = crate::spec::write::Map::block();
    for (name, m) in &c.models {
        let object = format!("model {name}");
        if !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            left.push(LeftOut::new(
                object,
                "name",
                "model names in a spec are alphanumeric",
            ));
            continue;
        }
        if m.content_type != MODEL_CONTENT_TYPE {
            left.push(LeftOut::new(
                object,
                "contentType",
                "a spec's models are application/json",
            ));
            continue;
        }
        match crate::plan::export::json(&m.schema) {
            Some(v) => {
                out.push(name.clone(), v);
            }
            None => left.push(LeftOut::new(object, "schema", "a schema with a null in it")),
        }
    }
    out
}

/// `gwctl export`: a route's `request:` from its method's validator and request models.
pub fn export_request(
    route: &mut crate::spec::write::Map,
    object: &str,
    m: &Method,
    c: &RestApi,
    exported: &BTreeSet<String>,
    left: &mut Vec<crate::plan::export::LeftOut>,
) {
    use crate::plan::export::LeftOut;
    use crate::spec::write::Map;
    let mut req = Map::new();
    if let Some(v) = &m.request_validator {
        let kind = c
            .request_validators
            .get(v)
            .and_then(|r| match (r.body, r.parameters) {
                (true, true) => Some("all"),
                (true, false) => Some("body"),
                (false, true) => Some("parameters"),
                (false, false) => None,
            });
        match kind {
            Some(k) => {
                req.push("validate", k);
            }
            None => left.push(LeftOut::new(
                object,
                "requestValidatorId",
                "a validator that checks nothing, or one that could not be read",
            )),
        }
    }
    let mut body = Map::new();
    for (ct, model) in &m.request_models {
        if exported.contains(model) || crate::state::rest::BUILTIN_MODELS.contains(&model.as_str())
        {
            body.push(ct.clone(), model.clone());
        } else {
            left.push(LeftOut::new(
                object,
                format!("requestModels {ct}"),
                "the model is not exported",
            ));
        }
    }
    if !body.is_empty() {
        req.push("body", body);
    }
    if !req.is_empty() {
        route.push("request", req);
    }
}
