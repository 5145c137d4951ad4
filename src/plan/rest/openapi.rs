//! A REST API's desired configuration as an OpenAPI 3.0 document with API Gateway's
//! `x-amazon-apigateway-*` extensions: what `gwctl export --format openapi` prints and what
//! the definition path ([`crate::engine`]) sends in one PutRestApi.
//!
//! Pure: from the planner's [`RestApi`] shapes (desired, or observed read into the same
//! shapes) to JSON; no I/O. Deterministic: every map is a BTreeMap (serde_json's default map
//! is sorted too), so the same model always renders the same bytes.
//!
//! The body is a *proposal*: whatever it cannot carry (see [`Rendered::omitted`]) or AWS
//! builds differently is completed by the ordinary planner afterwards, so correctness never
//! depends on the import's fidelity.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::method::with_path_parameters;
use crate::state::rest::{
    Authorizer, GatewayResponse, Integration, IntegrationResponse, Method, MethodResponse, RestApi,
};

/// Security scheme of methods that need an API key (`x-api-key` header).
pub const API_KEY_SCHEME: &str = "api_key";
/// Security scheme of methods signed with SigV4 (`AWS_IAM`).
pub const SIGV4_SCHEME: &str = "sigv4";

/// What the document is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A valid OpenAPI 3.0 document (`gwctl export`): every `{name}` of a path is declared
    /// for the whole path, and a method without method responses gets a `default` one, as
    /// the OpenAPI schema requires. API Gateway imports these too: every method of a
    /// templated path then has its path parameters, and a `default` method response.
    Document,
    /// Exactly what API Gateway should build (the definition path's PutRestApi body): path
    /// parameters on each method, no placeholder responses. Not always valid OpenAPI; API
    /// Gateway accepts it. Every method declares the path parameters of its resource path,
    /// as gwctl's own put-method does (`plan::rest::method::with_path_parameters`): an import
    /// declares the last one by itself (LocalStack's importer does, and says AWS does), so
    /// both paths build the same method whatever the importer adds.
    Body,
}

/// The rendered document and what could not be expressed in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub document: Value,
    /// One line per object or field left out (`GET /a: ...`). Empty when the document
    /// carries the whole model.
    pub omitted: Vec<String>,
}

/// Render `api` as OpenAPI 3.0.
pub fn render(api: &RestApi, mode: Mode) -> Rendered {
    let mut omitted = Vec::new();
    let mut info = Map::new();
    info.insert("title".into(), json!(api.name));
    if let Some(d) = &api.description {
        info.insert("description".into(), json!(d));
    }
    // Not the API's version (gwctl does not manage one): a fixed value keeps output stable.
    info.insert("version".into(), json!("1.0"));

    let mut doc = Map::new();
    doc.insert("openapi".into(), json!("3.0.1"));
    doc.insert("info".into(), Value::Object(info));

    // Security schemes: every authorizer, plus sigv4 and api_key when a method uses them.
    let mut schemes = Map::new();
    for (name, a) in &api.authorizers {
        if !scheme_name_ok(name) || name == API_KEY_SCHEME || name == SIGV4_SCHEME {
            omitted.push(format!(
                "authorizer {name}: the name cannot be an OpenAPI security scheme name"
            ));
            continue;
        }
        match authorizer_scheme(a) {
            Some(s) => {
                schemes.insert(name.clone(), s);
            }
            None => omitted.push(format!(
                "authorizer {name}: type `{}` has no OpenAPI form",
                a.kind
            )),
        }
    }

    let mut models: BTreeMap<String, Value> = BTreeMap::new();
    let mut paths = Map::new();
    for (path, res) in &api.resources {
        if res.methods.is_empty() {
            // Parents are implied by their children's paths; a path with no methods and
            // no children does not occur in a model gwctl plans.
            continue;
        }
        let mut item = Map::new();
        // Every `{name}` in the path is declared once for the whole path (OpenAPI requires
        // it; API Gateway takes the method's own request parameters from the operation).
        let templated = path_parameters(path);
        if !templated.is_empty() && mode == Mode::Document {
            item.insert(
                "parameters".into(),
                Value::Array(
                    templated
                        .iter()
                        .map(|p| parameter(p, "path", true))
                        .collect(),
                ),
            );
        }
        for (verb, m) in &res.methods {
            let key = match verb.as_str() {
                "ANY" => "x-amazon-apigateway-any-method".to_string(),
                v @ ("GET" | "PUT" | "POST" | "DELETE" | "OPTIONS" | "HEAD" | "PATCH") => {
                    v.to_ascii_lowercase()
                }
                other => {
                    omitted.push(format!("{other} {path}: not an OpenAPI method"));
                    continue;
                }
            };
            let with_path;
            let m = if mode == Mode::Body {
                with_path = with_path_parameters(path, m);
                &with_path
            } else {
                m
            };
            let what = format!("{verb} {path}");
            if let Some(name) = &m.authorizer {
                if !schemes.contains_key(name) {
                    omitted.push(format!("{what}: authorizer {name} is not in the document"));
                }
            }
            let op = operation(m, &what, &templated, mode, &mut models, &mut omitted);
            item.insert(key, op);
        }
        if res.methods.values().any(|m| m.api_key_required) {
            schemes.insert(
                API_KEY_SCHEME.into(),
                json!({"type": "apiKey", "name": "x-api-key", "in": "header"}),
            );
        }
        if res
            .methods
            .values()
            .any(|m| m.authorization_type == "AWS_IAM")
        {
            schemes.insert(
                SIGV4_SCHEME.into(),
                json!({
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "x-amazon-apigateway-authtype": "awsSigv4"
                }),
            );
        }
        paths.insert(path.clone(), Value::Object(item));
    }
    doc.insert("paths".into(), Value::Object(paths));

    let mut components = Map::new();
    if !models.is_empty() {
        components.insert(
            "schemas".into(),
            Value::Object(models.into_iter().collect()),
        );
    }
    if !schemes.is_empty() {
        components.insert("securitySchemes".into(), Value::Object(schemes));
    }
    if !components.is_empty() {
        doc.insert("components".into(), Value::Object(components));
    }

    if !api.gateway_responses.is_empty() {
        let g: Map<String, Value> = api
            .gateway_responses
            .iter()
            .map(|(t, r)| (t.clone(), gateway_response(r)))
            .collect();
        doc.insert(
            "x-amazon-apigateway-gateway-responses".into(),
            Value::Object(g),
        );
    }
    doc.insert(
        "x-amazon-apigateway-api-key-source".into(),
        json!(api.api_key_source.as_deref().unwrap_or("HEADER")),
    );
    if !api.binary_media_types.is_empty() {
        doc.insert(
            "x-amazon-apigateway-binary-media-types".into(),
            json!(api.binary_media_types),
        );
    }
    // The endpoint type is not part of the body: CreateRestApi sets it (the definition
    // path); ImportRestApi takes it as the `endpointConfigurationTypes` parameter.
    Rendered {
        document: Value::Object(doc),
        omitted,
    }
}

/// OpenAPI's component-name rule (security schemes and schemas).
fn scheme_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// `{id}` and `{proxy+}` segments of a path: `id`, `proxy+`.
fn path_parameters(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_string)
        .collect()
}

fn parameter(name: &str, location: &str, required: bool) -> Value {
    json!({"name": name, "in": location, "required": required, "schema": {"type": "string"}})
}

fn operation(
    m: &Method,
    what: &str,
    templated: &[String],
    mode: Mode,
    models: &mut BTreeMap<String, Value>,
    omitted: &mut Vec<String>,
) -> Value {
    let mut op = Map::new();
    let mut params = Vec::new();
    for (name, required) in &m.request_parameters {
        let Some(rest) = name.strip_prefix("method.request.") else {
            omitted.push(format!("{what}: request parameter `{name}`"));
            continue;
        };
        let (location, pname) = match rest.split_once('.') {
            Some(("path", p)) => {
                // `{proxy+}` is the parameter `proxy`.
                if !templated.iter().any(|t| t.trim_end_matches('+') == p) {
                    omitted.push(format!(
                        "{what}: request parameter `{name}` is not in the path"
                    ));
                    continue;
                }
                // A path parameter is always required; a document declares it on the path.
                if mode == Mode::Document {
                    continue;
                }
                params.push(parameter(p, "path", true));
                continue;
            }
            Some(("querystring", p)) => ("query", p),
            Some(("header", p)) => ("header", p),
            _ => {
                omitted.push(format!("{what}: request parameter `{name}`"));
                continue;
            }
        };
        params.push(parameter(pname, location, *required));
    }
    if !params.is_empty() {
        op.insert("parameters".into(), Value::Array(params));
    }

    let mut responses = Map::new();
    for (status, r) in &m.method_responses {
        responses.insert(status.clone(), method_response(status, r, models));
    }
    if responses.is_empty() && mode == Mode::Document {
        // OpenAPI requires at least one response; `default` creates no method response.
        responses.insert(
            "default".into(),
            json!({"description": "no method responses"}),
        );
    }
    op.insert("responses".into(), Value::Object(responses));

    // Security: one requirement object per operation (a root-level `security` is ignored
    // by some API Gateway versions), combining the authorizer and the API key.
    let mut req = Map::new();
    match m.authorization_type.as_str() {
        "AWS_IAM" => {
            req.insert(SIGV4_SCHEME.into(), json!([]));
        }
        "CUSTOM" | "COGNITO_USER_POOLS" => {
            if let Some(a) = &m.authorizer {
                req.insert(a.clone(), json!(m.authorization_scopes));
            }
        }
        "NONE" => {}
        other => omitted.push(format!("{what}: authorization type `{other}`")),
    }
    if m.api_key_required {
        req.insert(API_KEY_SCHEME.into(), json!([]));
    }
    if !req.is_empty() {
        op.insert("security".into(), json!([Value::Object(req)]));
    }
    if let Some(i) = &m.integration {
        op.insert(
            "x-amazon-apigateway-integration".into(),
            integration(i, what, omitted),
        );
    }
    Value::Object(op)
}

fn method_response(
    status: &str,
    r: &MethodResponse,
    models: &mut BTreeMap<String, Value>,
) -> Value {
    let mut out = Map::new();
    out.insert("description".into(), json!(format!("{status} response")));
    if !r.response_parameters.is_empty() {
        let mut headers = Map::new();
        for (name, required) in &r.response_parameters {
            // `method.response.header.X`: the only kind of method response parameter.
            let h = name.strip_prefix("method.response.header.").unwrap_or(name);
            let mut v = json!({"schema": {"type": "string"}});
            if *required {
                v["required"] = json!(true);
            }
            headers.insert(h.to_string(), v);
        }
        out.insert("headers".into(), Value::Object(headers));
    }
    if !r.response_models.is_empty() {
        let mut content = Map::new();
        for (ctype, model) in &r.response_models {
            models
                .entry(model.clone())
                .or_insert_with(|| model_schema(model));
            content.insert(
                ctype.clone(),
                json!({"schema": {"$ref": format!("#/components/schemas/{model}")}}),
            );
        }
        out.insert("content".into(), Value::Object(content));
    }
    Value::Object(out)
}

/// The schema of a model a method response names. `Empty` and `Error` are the models API
/// Gateway gives every REST API; other names get an open object schema.
fn model_schema(name: &str) -> Value {
    match name {
        "Empty" => json!({"title": "Empty Schema", "type": "object"}),
        "Error" => json!({
            "title": "Error Schema",
            "type": "object",
            "properties": {"message": {"type": "string"}}
        }),
        _ => json!({"title": name, "type": "object"}),
    }
}

fn integration(i: &Integration, what: &str, omitted: &mut Vec<String>) -> Value {
    let mut out = Map::new();
    out.insert("type".into(), json!(i.kind.to_ascii_lowercase()));
    if let Some(m) = &i.http_method {
        out.insert("httpMethod".into(), json!(m));
    }
    if let Some(u) = &i.uri {
        out.insert("uri".into(), json!(u));
    }
    if let Some(c) = &i.credentials {
        out.insert("credentials".into(), json!(c));
    }
    if !i.request_templates.is_empty() {
        out.insert("requestTemplates".into(), json!(i.request_templates));
    }
    if !i.request_parameters.is_empty() {
        out.insert("requestParameters".into(), json!(i.request_parameters));
    }
    // A route's cache key parameters (issue 18); its TTL and the stage's cache are stage
    // settings, which the document never holds.
    if !i.cache_key_parameters.is_empty() {
        out.insert("cacheKeyParameters".into(), json!(i.cache_key_parameters));
    }
    out.insert(
        "passthroughBehavior".into(),
        json!(i
            .passthrough_behavior
            .as_deref()
            .unwrap_or(crate::state::rest::DEFAULT_PASSTHROUGH)
            .to_ascii_lowercase()),
    );
    if let Some(c) = &i.content_handling {
        out.insert("contentHandling".into(), json!(c));
    }
    out.insert(
        "timeoutInMillis".into(),
        json!(i
            .timeout_ms
            .unwrap_or(crate::state::rest::DEFAULT_TIMEOUT_MS)),
    );
    // Integration responses are keyed by selection pattern (`default` for none).
    let mut responses = Map::new();
    for (status, r) in &i.responses {
        let key = r
            .selection_pattern
            .clone()
            .unwrap_or_else(|| "default".into());
        if responses.contains_key(&key) {
            omitted.push(format!(
                "{what}: integration response {status} (its selection pattern `{key}` is used by another)"
            ));
            continue;
        }
        responses.insert(key, integration_response(status, r));
    }
    if !responses.is_empty() {
        out.insert("responses".into(), Value::Object(responses));
    }
    Value::Object(out)
}

fn integration_response(status: &str, r: &IntegrationResponse) -> Value {
    let mut out = Map::new();
    out.insert("statusCode".into(), json!(status));
    if !r.response_parameters.is_empty() {
        out.insert("responseParameters".into(), json!(r.response_parameters));
    }
    if !r.response_templates.is_empty() {
        out.insert("responseTemplates".into(), json!(r.response_templates));
    }
    if let Some(c) = &r.content_handling {
        out.insert("contentHandling".into(), json!(c));
    }
    Value::Object(out)
}

fn authorizer_scheme(a: &Authorizer) -> Option<Value> {
    let mut ext = Map::new();
    let (authtype, header) = match a.kind.as_str() {
        "TOKEN" => {
            ext.insert("type".into(), json!("token"));
            // The header the token comes from names the scheme's header.
            let header = a
                .identity_source
                .as_deref()
                .and_then(|s| s.strip_prefix("method.request.header."))
                .unwrap_or("Authorization")
                .to_string();
            ("custom", header)
        }
        "REQUEST" => {
            ext.insert("type".into(), json!("request"));
            ("custom", "Unused".to_string())
        }
        "COGNITO_USER_POOLS" => {
            ext.insert("type".into(), json!("cognito_user_pools"));
            ext.insert("providerARNs".into(), json!(a.provider_arns));
            ("cognito_user_pools", "Authorization".to_string())
        }
        _ => return None,
    };
    if let Some(u) = &a.authorizer_uri {
        ext.insert("authorizerUri".into(), json!(u));
    }
    if let Some(s) = &a.identity_source {
        ext.insert("identitySource".into(), json!(s));
    }
    if let Some(v) = &a.identity_validation_expression {
        ext.insert("identityValidationExpression".into(), json!(v));
    }
    if let Some(t) = a.ttl_seconds {
        ext.insert("authorizerResultTtlInSeconds".into(), json!(t));
    }
    Some(json!({
        "type": "apiKey",
        "name": header,
        "in": "header",
        "x-amazon-apigateway-authtype": authtype,
        "x-amazon-apigateway-authorizer": Value::Object(ext)
    }))
}

fn gateway_response(r: &GatewayResponse) -> Value {
    let mut out = Map::new();
    if let Some(s) = &r.status_code {
        out.insert("statusCode".into(), json!(s));
    }
    if !r.response_parameters.is_empty() {
        out.insert("responseParameters".into(), json!(r.response_parameters));
    }
    if !r.response_templates.is_empty() {
        out.insert("responseTemplates".into(), json!(r.response_templates));
    }
    Value::Object(out)
}

#[cfg(test)]
#[path = "openapi_tests.rs"]
mod tests;
