//! `models:` (REST: JSON Schema draft 4 models, written as YAML) and a route's `request:`
//! (request validation and body models).
//!
//! A model is checked offline as far as API Gateway will judge it: a mapping, draft 4
//! keywords only (a later draft's keyword or a misspelt one is an error at its position),
//! each keyword's value of the type draft 4 gives it, and every `$ref` resolved: to
//! `#/definitions/NAME` of the same model, `#` (the model itself), or another model of the
//! spec as `#/models/NAME` (the planner renders it as AWS wants it,
//! `https://apigateway.amazonaws.com/restapis/{api}/models/NAME`). Models that reference each
//! other in a circle are refused (each must exist before the one that references it).

use std::collections::{BTreeMap, BTreeSet};

use crate::spec::model::*;
use crate::spec::suggest::{self, one_of};
use crate::spec::yaml::{Node, Value};

use super::{choice, entries, text_map, Cx, MapReader, Names, BUILTIN_MODELS};

pub(crate) const REQUEST_KEYS: &[&str] = &["validate", "body"];
pub(crate) const VALIDATE_KINDS: &[&str] = &["body", "parameters", "all"];
/// What `$schema` may say.
pub(crate) const DRAFT4: &str = "http://json-schema.org/draft-04/schema#";
/// How a model refers to another model of the spec.
pub(crate) const MODEL_REF_PREFIX: &str = "#/models/";

/// The keywords of JSON Schema draft 4 (validation and metadata).
pub(crate) const DRAFT4_KEYWORDS: &[&str] = &[
    "$schema",
    "$ref",
    "id",
    "title",
    "description",
    "default",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "additionalItems",
    "items",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
    "required",
    "additionalProperties",
    "definitions",
    "properties",
    "patternProperties",
    "dependencies",
    "enum",
    "type",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "format",
];

/// Keywords of later drafts (or of OpenAPI) that API Gateway's draft 4 validator ignores
/// or refuses, with what to write instead.
const LATER_KEYWORDS: &[(&str, &str)] = &[
    ("const", "write `enum: [VALUE]`"),
    ("contains", "draft 4 cannot say it; remove it"),
    (
        "propertyNames",
        "use `patternProperties` with `additionalProperties: false`",
    ),
    ("if", "use `oneOf` / `anyOf`"),
    ("then", "use `oneOf` / `anyOf`"),
    ("else", "use `oneOf` / `anyOf`"),
    ("examples", "remove it (or keep one in `description`)"),
    ("$id", "write `id`"),
    ("$defs", "write `definitions`"),
    (
        "$comment",
        "remove it (keys starting with `x-` elsewhere in the spec are free)",
    ),
    ("readOnly", "remove it"),
    ("writeOnly", "remove it"),
    ("contentMediaType", "remove it"),
    ("contentEncoding", "remove it"),
    ("dependentRequired", "write `dependencies`"),
    ("dependentSchemas", "write `dependencies`"),
    ("unevaluatedProperties", "write `additionalProperties`"),
    ("unevaluatedItems", "write `additionalItems`"),
    ("prefixItems", "write `items` as a list"),
    ("minContains", "remove it"),
    ("maxContains", "remove it"),
    ("deprecated", "remove it"),
    ("$anchor", "use `definitions` and `#/definitions/NAME`"),
    ("nullable", "write `type: [TYPE, \"null\"]`"),
    ("discriminator", "remove it (OpenAPI only)"),
    ("example", "remove it (OpenAPI only)"),
];

pub(crate) const JSON_TYPES: &[&str] = &[
    "array", "boolean", "integer", "null", "number", "object", "string",
];

fn model_name_ok(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `models:` of a REST spec (the caller refuses it on other kinds).
pub(crate) fn read_models(cx: &mut Cx, n: &Node, names: &Names) -> Vec<ModelDef> {
    let Some(es) = entries(cx, n, "models") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut positions = BTreeMap::new();
    for (k, v) in es {
        let name = k.key_text();
        if !model_name_ok(&name) {
            cx.err(
                k,
                format!("model name `{name}` must be alphanumeric"),
                Some(
                    "API Gateway's model names are letters and digits only, e.g. `NewItem`".into(),
                ),
            );
            continue;
        }
        if BUILTIN_MODELS.contains(&name.as_str()) {
            cx.err(
                k,
                format!("`{name}` is a model API Gateway creates in every REST API"),
                Some("name yours differently; routes may use the built-in one as it is".into()),
            );
            continue;
        }
        let Value::Map(_) = &v.value else {
            cx.err(
                v,
                format!(
                    "model `{name}` must be a JSON Schema mapping, found {}",
                    super::node::found(v)
                ),
                Some(
                    "e.g. `{type: object, required: [name], properties: {name: {type: string}}}`"
                        .into(),
                ),
            );
            continue;
        };
        let errors = error_count(cx);
        let definitions = root_definitions(v);
        let mut refs = BTreeSet::new();
        schema(cx, v, &definitions, names, &mut refs, true);
        if error_count(cx) > errors {
            continue;
        }
        positions.insert(name.clone(), k.pos);
        out.push(ModelDef {
            name: At::new(name, k.pos),
            schema: v.to_json(),
            refs: refs.into_iter().collect(),
        });
    }
    // A circle of references can never be created: each model must exist first.
    let graph: BTreeMap<&str, &[String]> = out
        .iter()
        .map(|m| (m.name.value.as_str(), m.refs.as_slice()))
        .collect();
    for m in &out {
        if let Some(path) = circle_from(&graph, &m.name.value) {
            cx.err_at(
                m.name.pos,
                format!("models reference each other in a circle: {}", path.join(" -> ")),
                Some("API Gateway needs a referenced model to exist first; inline one of them, or use `#/definitions/NAME` inside one model".into()),
            );
        }
    }
    out
}

/// The path `start -> ... -> start` when `start` is on a circle.
fn circle_from(graph: &BTreeMap<&str, &[String]>, start: &str) -> Option<Vec<String>> {
    fn walk(
        graph: &BTreeMap<&str, &[String]>,
        start: &str,
        at: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in graph.get(at).copied().unwrap_or_default() {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(graph, start, next, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    walk(graph, start, start, &mut path, &mut BTreeSet::new()).then_some(path)
}

fn error_count(cx: &Cx) -> usize {
    cx.diags
        .iter()
        .filter(|d| d.severity == crate::spec::diag::Severity::Error)
        .count()
}

fn root_definitions(n: &Node) -> BTreeSet<String> {
    let Value::Map(es) = &n.value else {
        return BTreeSet::new();
    };
    es.iter()
        .find(|(k, _)| k.key_text() == "definitions")
        .and_then(|(_, v)| match &v.value {
            Value::Map(ds) => Some(ds.iter().map(|(k, _)| k.key_text()).collect()),
            _ => None,
        })
        .unwrap_or_default()
}

/// One schema (a mapping; `true`/`false` schemas are draft 6).
fn schema(
    cx: &mut Cx,
    n: &Node,
    definitions: &BTreeSet<String>,
    names: &Names,
    refs: &mut BTreeSet<String>,
    root: bool,
) {
    let Value::Map(es) = &n.value else {
        cx.err(
            n,
            format!(
                "a schema must be a mapping, found {}",
                super::node::found(n)
            ),
            Some("e.g. `{type: string}`".into()),
        );
        return;
    };
    for (k, v) in es {
        let key = k.key_text();
        let sub = |cx: &mut Cx, node: &Node, refs: &mut BTreeSet<String>| {
            schema(cx, node, definitions, names, refs, false)
        };
        match key.as_str() {
            "$schema" => {
                if v.as_text().as_deref() != Some(DRAFT4) {
                    cx.err(
                        v,
                        "API Gateway's models are JSON Schema draft 4",
                        Some(format!("write `$schema: \"{DRAFT4}\"` or leave it out")),
                    );
                }
                if !root {
                    cx.warn(k, "`$schema` belongs at the top of a model", None);
                }
            }
            "$ref" => reference(cx, v, definitions, names, refs),
            "id" | "title" | "description" | "format" | "pattern" => {
                if !matches!(v.value, Value::Str(_)) {
                    cx.err(
                        v,
                        format!("`{key}` must be a string, found {}", super::node::found(v)),
                        None,
                    );
                }
            }
            "default" => {}
            "multipleOf" => match number(v) {
                Some(x) if x > 0.0 => {}
                _ => cx.err(v, "`multipleOf` must be a number above 0", None),
            },
            "maximum" | "minimum" => {
                if number(v).is_none() {
                    cx.err(
                        v,
                        format!("`{key}` must be a number, found {}", super::node::found(v)),
                        None,
                    );
                }
            }
            "exclusiveMaximum" | "exclusiveMinimum" => {
                if !matches!(v.value, Value::Bool(_)) {
                    let bound = if key == "exclusiveMaximum" {
                        "maximum"
                    } else {
                        "minimum"
                    };
                    cx.err(
                        v,
                        format!("`{key}` is a boolean in draft 4, found {}", super::node::found(v)),
                        Some(format!(
                            "write `{bound}: N` and `{key}: true` (a number here is draft 6)"
                        )),
                    );
                }
            }
            "uniqueItems" => {
                if !matches!(v.value, Value::Bool(_)) {
                    cx.err(v, "`uniqueItems` must be `true` or `false`", None);
                }
            }
            "maxLength" | "minLength" | "maxItems" | "minItems" | "maxProperties"
            | "minProperties" => {
                if !matches!(v.value, Value::Int(i) if i >= 0) {
                    cx.err(
                        v,
                        format!(
                            "`{key}` must be an integer not below 0, found {}",
                            super::node::found(v)
                        ),
                        None,
                    );
                }
            }
            "required" => match &v.value {
                Value::Seq(items) if !items.is_empty() => {
                    let mut seen = BTreeSet::new();
                    for i in items {
                        match &i.value {
                            Value::Str(s) if seen.insert(s.clone()) => {}
                            Value::Str(s) => {
                                cx.err(i, format!("`{s}` is listed twice in `required`"), None)
                            }
                            _ => cx.err(
                                i,
                                format!(
                                    "`required` lists property names, found {}",
                                    super::node::found(i)
                                ),
                                None,
                            ),
                        }
                    }
                }
                Value::Seq(_) => cx.err(
                    v,
                    "`required` must not be empty in draft 4",
                    Some("leave it out".into()),
                ),
                _ => cx.err(
                    v,
                    format!("`required` must be a list of property names, found {}", super::node::found(v)),
                    Some("`required: true` on a property is draft 3: list the names in the object's `required`".into()),
                ),
            },
            "enum" => match &v.value {
                Value::Seq(items) if !items.is_empty() => {}
                _ => cx.err(v, "`enum` must be a non-empty list", None),
            },
            "type" => {
                let items: Vec<&Node> = match &v.value {
                    Value::Seq(items) if !items.is_empty() => items.iter().collect(),
                    Value::Seq(_) => {
                        cx.err(v, "`type` must not be an empty list", None);
                        Vec::new()
                    }
                    _ => vec![v],
                };
                for t in items {
                    let ok = matches!(&t.value, Value::Str(s) if JSON_TYPES.contains(&s.as_str()));
                    if !ok {
                        let text = t.as_text().unwrap_or_else(|| t.raw.clone());
                        let hint = suggest::hint(&text, JSON_TYPES.iter().copied())
                            .or_else(|| Some(format!("expected {}", one_of(JSON_TYPES))));
                        cx.err(t, format!("invalid `type` value `{text}`"), hint);
                    }
                }
            }
            "not" => sub(cx, v, refs),
            "additionalProperties" | "additionalItems" => {
                if !matches!(v.value, Value::Bool(_)) {
                    sub(cx, v, refs);
                }
            }
            "items" => match &v.value {
                Value::Seq(items) => {
                    for i in items {
                        sub(cx, i, refs);
                    }
                }
                _ => sub(cx, v, refs),
            },
            "allOf" | "anyOf" | "oneOf" => match &v.value {
                Value::Seq(items) if !items.is_empty() => {
                    for i in items {
                        sub(cx, i, refs);
                    }
                }
                _ => cx.err(v, format!("`{key}` must be a non-empty list of schemas"), None),
            },
            "properties" | "patternProperties" | "definitions" => match &v.value {
                Value::Map(ps) => {
                    for (_, p) in ps {
                        sub(cx, p, refs);
                    }
                }
                _ => cx.err(
                    v,
                    format!("`{key}` must map names to schemas, found {}", super::node::found(v)),
                    None,
                ),
            },
            "dependencies" => match &v.value {
                Value::Map(ds) => {
                    for (_, d) in ds {
                        match &d.value {
                            Value::Seq(items) => {
                                for i in items {
                                    if !matches!(i.value, Value::Str(_)) {
                                        cx.err(i, "a property dependency lists property names", None);
                                    }
                                }
                            }
                            _ => sub(cx, d, refs),
                        }
                    }
                }
                _ => cx.err(v, "`dependencies` must be a mapping", None),
            },
            other => {
                if let Some((_, instead)) = LATER_KEYWORDS.iter().find(|(k, _)| *k == other) {
                    cx.err(
                        k,
                        format!("`{other}` is not a JSON Schema draft 4 keyword"),
                        Some(format!("API Gateway's models are draft 4: {instead}")),
                    );
                } else {
                    let hint = suggest::hint(other, DRAFT4_KEYWORDS.iter().copied()).or_else(|| {
                        Some("a schema takes the keywords of JSON Schema draft 4 (`type`, `properties`, `required`, ...)".into())
                    });
                    cx.err(k, format!("unknown JSON Schema keyword `{other}`"), hint);
                }
            }
        }
    }
}

fn number(n: &Node) -> Option<f64> {
    match n.value {
        Value::Int(i) => Some(i as f64),
        Value::Float(f) => Some(f),
        _ => None,
    }
}

fn reference(
    cx: &mut Cx,
    v: &Node,
    definitions: &BTreeSet<String>,
    names: &Names,
    refs: &mut BTreeSet<String>,
) {
    let Value::Str(r) = &v.value else {
        cx.err(v, "`$ref` must be a string", None);
        return;
    };
    if r == "#" {
        return;
    }
    if let Some(rest) = r.strip_prefix("#/definitions/") {
        let name = rest.split('/').next().unwrap_or_default();
        if !definitions.contains(name) {
            let hint = suggest::hint(name, definitions.iter().map(String::as_str))
                .or_else(|| Some("define it under this model's `definitions:`".into()));
            cx.err(
                v,
                format!("`$ref` names `{name}`, which this model's `definitions` lack"),
                hint,
            );
        }
        return;
    }
    if let Some(name) = r.strip_prefix(MODEL_REF_PREFIX) {
        if names.models.iter().any(|m| m == name) {
            refs.insert(name.to_string());
        } else {
            let hint = suggest::hint(name, names.models.iter().map(String::as_str))
                .or_else(|| Some("define it under `models:`".into()));
            cx.err(v, format!("unknown model `{name}`"), hint);
        }
        return;
    }
    cx.err(
        v,
        format!("`$ref: {r}` cannot be resolved offline"),
        Some(format!(
            "write `#/definitions/NAME` (this model) or `{MODEL_REF_PREFIX}NAME` (another model of this spec)"
        )),
    );
}

/// A REST route's `request:`.
pub(crate) fn read_request(cx: &mut Cx, n: &Node, names: &Names) -> Option<RequestDef> {
    let mut m = MapReader::open(cx, n, "`request`", REQUEST_KEYS)?;
    let validate_node = m.get("validate");
    let validate = validate_node
        .and_then(|v| choice(cx, v, "validate", VALIDATE_KINDS))
        .map(|v| match v {
            "body" => Validate::Body,
            "parameters" => Validate::Parameters,
            _ => Validate::All,
        });
    let mut body = BTreeMap::new();
    let mut ok = true;
    let body_node = m.get("body");
    if let Some(b) = body_node {
        for (k, v) in text_map(cx, b, "body") {
            if !k.value.contains('/') {
                cx.err_at(
                    k.pos,
                    format!("`{}` is not a content type", k.value),
                    Some("e.g. `application/json`".into()),
                );
                ok = false;
            } else if !names.models.contains(&v.value)
                && !BUILTIN_MODELS.contains(&v.value.as_str())
            {
                let mut known: Vec<&str> = names.models.iter().map(String::as_str).collect();
                known.extend(BUILTIN_MODELS);
                let hint = suggest::hint(&v.value, known.iter().copied())
                    .or_else(|| Some("define it under `models:`".into()));
                cx.err_at(v.pos, format!("unknown model `{}`", v.value), hint);
                ok = false;
            } else {
                body.insert(k.value, v.value);
            }
        }
    }
    m.finish(cx);
    // (A `body` that was written but refused has its own error.)
    if let (Some(Validate::Body), Some(vn), None) = (validate, validate_node, body_node) {
        cx.err(
            vn,
            "`validate: body` needs a model to check the body against",
            Some("add `body: {application/json: MODEL}` (a model of `models:`)".into()),
        );
        ok = false;
    }
    ok.then_some(RequestDef {
        pos: n.pos,
        validate,
        body,
    })
}
