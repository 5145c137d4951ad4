//! An HTTP API's desired configuration as an OpenAPI 3.0 document with API Gateway's
//! extensions (`x-amazon-apigateway-integration` with `payloadFormatVersion`,
//! `x-amazon-apigateway-authorizer`, `x-amazon-apigateway-cors`): what
//! `gwctl export --format openapi` prints for an HTTP API.
//!
//! Pure and deterministic, like [`crate::plan::rest::openapi`]. gwctl itself creates HTTP
//! APIs granularly (no emulator here implements ImportApi; see docs/design.md).

use serde_json::{json, Map, Value};

pub use crate::plan::rest::openapi::Rendered;
use crate::state::http::{Authorizer, HttpApi, Integration};

const SIGV4_SCHEME: &str = crate::plan::rest::openapi::SIGV4_SCHEME;

/// Render `api` as OpenAPI 3.0.
pub fn render(api: &HttpApi) -> Rendered {
    let mut omitted = Vec::new();
    let mut info = Map::new();
    info.insert("title".into(), json!(api.name));
    if let Some(d) = &api.description {
        info.insert("description".into(), json!(d));
    }
    info.insert("version".into(), json!("1.0"));
    let mut doc = Map::new();
    doc.insert("openapi".into(), json!("3.0.1"));
    doc.insert("info".into(), Value::Object(info));

    let mut schemes = Map::new();
    for (name, a) in &api.authorizers {
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            && name != SIGV4_SCHEME;
        match (ok, authorizer_scheme(a)) {
            (true, Some(s)) => {
                schemes.insert(name.clone(), s);
            }
            (false, _) => omitted.push(format!(
                "authorizer {name}: the name cannot be an OpenAPI security scheme name"
            )),
            (true, None) => omitted.push(format!(
                "authorizer {name}: type `{}` has no OpenAPI form",
                a.kind
            )),
        }
    }

    let mut paths: Map<String, Value> = Map::new();
    for (key, route) in &api.routes {
        // `GET /items`, `ANY /{proxy+}`, `$default` (exported as the path `/$default`).
        let (verb, path) = match key.split_once(' ') {
            Some((v, p)) => (v.to_string(), p.to_string()),
            None => ("ANY".to_string(), format!("/{key}")),
        };
        let op_key = match verb.as_str() {
            "ANY" => "x-amazon-apigateway-any-method".to_string(),
            v @ ("GET" | "PUT" | "POST" | "DELETE" | "OPTIONS" | "HEAD" | "PATCH") => {
                v.to_ascii_lowercase()
            }
            other => {
                omitted.push(format!("route {key}: `{other}` is not an OpenAPI method"));
                continue;
            }
        };
        let mut op = Map::new();
        op.insert(
            "responses".into(),
            json!({"default": {"description": "Default response"}}),
        );
        match route.authorization_type.as_str() {
            "NONE" => {}
            "AWS_IAM" => {
                schemes.insert(
                    SIGV4_SCHEME.into(),
                    json!({
                        "type": "apiKey",
                        "name": "Authorization",
                        "in": "header",
                        "x-amazon-apigateway-authtype": "awsSigv4"
                    }),
                );
                op.insert("security".into(), json!([{SIGV4_SCHEME: []}]));
            }
            _ => match &route.authorizer {
                Some(a) if schemes.contains_key(a) => {
                    op.insert(
                        "security".into(),
                        json!([{a.clone(): route.authorization_scopes}]),
                    );
                }
                _ => omitted.push(format!(
                    "route {key}: its authorizer is not in the document"
                )),
            },
        }
        match route.target.as_ref().and_then(|t| api.integrations.get(t)) {
            Some(i) => {
                op.insert("x-amazon-apigateway-integration".into(), integration(i));
            }
            None if route.target.is_some() => {
                omitted.push(format!("route {key}: target is not a known integration"))
            }
            None => {}
        }
        let item = paths
            .entry(path.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let item = item.as_object_mut().expect("path items are objects");
        let templated: Vec<Value> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|p| json!({"name": p, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if !templated.is_empty() {
            item.insert("parameters".into(), Value::Array(templated));
        }
        item.insert(op_key, Value::Object(op));
    }
    doc.insert("paths".into(), Value::Object(paths));
    if !schemes.is_empty() {
        doc.insert("components".into(), json!({"securitySchemes": schemes}));
    }
    if let Some(c) = &api.cors {
        let mut cors = Map::new();
        for (k, v) in [
            ("allowOrigins", &c.allow_origins),
            ("allowMethods", &c.allow_methods),
            ("allowHeaders", &c.allow_headers),
            ("exposeHeaders", &c.expose_headers),
        ] {
            if !v.is_empty() {
                cors.insert(k.into(), json!(v));
            }
        }
        if let Some(m) = c.max_age {
            cors.insert("maxAge".into(), json!(m));
        }
        cors.insert("allowCredentials".into(), json!(c.allow_credentials));
        doc.insert("x-amazon-apigateway-cors".into(), Value::Object(cors));
    }
    if api.disable_execute_api_endpoint {
        doc.insert(
            "servers".into(),
            json!([{
                "url": "/",
                "x-amazon-apigateway-endpoint-configuration": {"disableExecuteApiEndpoint": true}
            }]),
        );
    }
    Rendered {
        document: Value::Object(doc),
        omitted,
    }
}

fn integration(i: &Integration) -> Value {
    let mut out = Map::new();
    out.insert("type".into(), json!(i.kind.to_ascii_lowercase()));
    out.insert("uri".into(), json!(i.uri));
    // Lambda proxies are always invoked with POST; HTTP proxies with the spec's method.
    out.insert(
        "httpMethod".into(),
        json!(i.method.as_deref().unwrap_or("POST")),
    );
    out.insert(
        "payloadFormatVersion".into(),
        json!(i.payload_format_version.as_deref().unwrap_or("1.0")),
    );
    if let Some(t) = i.timeout_ms {
        out.insert("timeoutInMillis".into(), json!(t));
    }
    if !i.request_parameters.is_empty() {
        out.insert("requestParameters".into(), json!(i.request_parameters));
    }
    if let Some(c) = &i.credentials_arn {
        out.insert("credentials".into(), json!(c));
    }
    Value::Object(out)
}

fn authorizer_scheme(a: &Authorizer) -> Option<Value> {
    match a.kind.as_str() {
        "JWT" => {
            let mut ext = Map::new();
            ext.insert("type".into(), json!("jwt"));
            let mut cfg = Map::new();
            if let Some(i) = &a.issuer {
                cfg.insert("issuer".into(), json!(i));
            }
            cfg.insert("audience".into(), json!(a.audience));
            ext.insert("jwtConfiguration".into(), Value::Object(cfg));
            ext.insert("identitySource".into(), json!(a.identity_source.join(",")));
            Some(json!({
                "type": "oauth2",
                "flows": {},
                "x-amazon-apigateway-authorizer": Value::Object(ext)
            }))
        }
        "REQUEST" => {
            let mut ext = Map::new();
            ext.insert("type".into(), json!("request"));
            if let Some(u) = &a.authorizer_uri {
                ext.insert("authorizerUri".into(), json!(u));
            }
            ext.insert("identitySource".into(), json!(a.identity_source.join(",")));
            if let Some(v) = &a.payload_format_version {
                ext.insert("authorizerPayloadFormatVersion".into(), json!(v));
            }
            if let Some(t) = a.ttl_seconds {
                ext.insert("authorizerResultTtlInSeconds".into(), json!(t));
            }
            if let Some(s) = a.simple_responses {
                ext.insert("enableSimpleResponses".into(), json!(s));
            }
            Some(json!({
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                "x-amazon-apigateway-authorizer": Value::Object(ext)
            }))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::render;
    use crate::plan::rest::tests::{resolve, spec};

    fn rendered(yaml: &str) -> super::Rendered {
        let s = spec(yaml);
        render(&crate::plan::http::desired(&s, &resolve(&s), "us-east-1").config)
    }

    #[test]
    fn items_renders_jwt_cors_and_lambda_proxies() {
        let yaml = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/specs/items-http.yaml"
        ))
        .unwrap();
        let r = rendered(&yaml);
        assert!(r.omitted.is_empty(), "{:?}", r.omitted);
        let d = &r.document;
        let get = &d["paths"]["/items/{id}"]["get"];
        assert_eq!(get["security"], json!([{"cognito-jwt": []}]));
        let i = &get["x-amazon-apigateway-integration"];
        assert_eq!(i["type"], "aws_proxy");
        assert_eq!(i["payloadFormatVersion"], "2.0");
        assert_eq!(i["httpMethod"], "POST");
        assert_eq!(
            i["uri"],
            "arn:aws:lambda:us-east-1:123456789012:function:items-handler"
        );
        let jwt = &d["components"]["securitySchemes"]["cognito-jwt"];
        assert_eq!(jwt["type"], "oauth2");
        assert_eq!(
            jwt["x-amazon-apigateway-authorizer"]["jwtConfiguration"]["audience"],
            json!(["example-app-client-id"])
        );
        assert_eq!(
            jwt["x-amazon-apigateway-authorizer"]["identitySource"],
            "$request.header.Authorization"
        );
        let cors = &d["x-amazon-apigateway-cors"];
        assert_eq!(cors["allowOrigins"], json!(["https://app.example.com"]));
        assert_eq!(cors["maxAge"], 600);
        assert_eq!(cors["allowCredentials"], false);
    }

    #[test]
    fn default_route_and_iam_and_http_proxy() {
        let r = rendered(
            r#"version: 1
api: {name: h, kind: http, disable_execute_api_endpoint: true}
functions: {f: f}
routes:
  - {path: $default, function: f, auth: iam}
  - {path: "/up/{proxy+}", method: ANY, auth: none, integration: {type: http_proxy, uri: "https://example.com/{proxy}", http_method: GET}}
"#,
        );
        assert!(r.omitted.is_empty(), "{:?}", r.omitted);
        let d = &r.document;
        let def = &d["paths"]["/$default"]["x-amazon-apigateway-any-method"];
        assert_eq!(def["security"], json!([{"sigv4": []}]));
        let up = &d["paths"]["/up/{proxy+}"];
        assert_eq!(up["parameters"][0]["name"], "proxy+");
        let i = &up["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"];
        assert_eq!(i["type"], "http_proxy");
        assert_eq!(i["httpMethod"], "GET");
        assert_eq!(i["payloadFormatVersion"], "1.0");
        assert_eq!(
            d["servers"][0]["x-amazon-apigateway-endpoint-configuration"]
                ["disableExecuteApiEndpoint"],
            true
        );
    }
}
