//! The JSON Schema (draft 2020-12) of the spec language, for editors (`gwctl schema`,
//! docs/editors.md).
//!
//! It cannot drift from the reader: the keys of every mapping and the values of every
//! fixed-choice key are the very constants the reader (`read/`) accepts, and
//! [`schema`] refuses to build (panics, caught by the unit tests) when a key the reader
//! accepts has no type here, or when this table types a key the reader does not accept.
//! Types, ranges and required keys are declared in [`OBJECTS`]; tests check that every file
//! in `specs/` and every example of docs/spec.md validates, and that misspelled keys are
//! rejected.
//!
//! The schema describes structure (keys, types, ranges, choices); cross-references (a route's
//! `function` names an entry of `functions`), paths and ARNs are checked by `gwctl validate`.

use serde_json::{json, Map, Value as Json};

use super::read::{
    ACCESS_LOG_KEYS, ALL_AUTHORIZER_KEYS, API_KEYS, API_KEY_KEYS, API_KEY_SOURCES, API_KINDS,
    AUTHORIZER_TYPES, CACHE_SIZES, CANARY_KEYS, CORS_KEYS, ENDPOINT_TYPES, FUNCTION_KEYS,
    LOG_LEVELS, MAX_CACHE_TTL, METHODS, PAYLOAD_FORMAT_VERSIONS, QUOTA_KEYS, QUOTA_PERIODS,
    ROUTE_CACHE_KEYS, STAGE_CACHE_KEYS, STAGE_KEYS, THROTTLE_KEYS, TOP_KEYS, USAGE_PLAN_KEYS,
};
use super::read::{
    ALL_INTEGRATION_KEYS, API_KEY_SELECTIONS, CONTENT_HANDLINGS, INTEGRATION_RESPONSE_KEYS,
    INTEGRATION_TYPES, METHOD_RESPONSE_KEYS, PASSTHROUGH_BEHAVIORS, POLICY_KEYS, REQUEST_KEYS,
    ROUTE_KEYS, STATEMENT_KEYS, VALIDATE_KINDS, WS_INTEGRATION_KEYS, WS_INTEGRATION_RESPONSE_KEYS,
    WS_ROUTE_KEYS,
};
use super::read::{DNS_KEYS, DOMAIN_ENDPOINTS, DOMAIN_KEYS, MTLS_KEYS, SECURITY_POLICIES};
use super::yaml::Node;

/// The type of one key's value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ty {
    /// A string; numbers are accepted as written (`status: 200`).
    Text,
    Bool,
    /// An integer in a closed range.
    Int(i64, i64),
    /// A number (integer or decimal) not below zero.
    NonNegNumber,
    /// One of these values, matched case-insensitively.
    Choice(&'static [&'static str]),
    /// A list of non-empty strings.
    TextList,
    /// A list of these.
    List(&'static Ty),
    /// A mapping with free keys and values of this type.
    Map(&'static Ty),
    /// A mapping defined in [`OBJECTS`] under this name.
    Obj(&'static str),
    /// A string, or a mapping defined in [`OBJECTS`] under this name.
    TextOrObj(&'static str),
    /// One of these mappings defined in [`OBJECTS`] (by the API's kind).
    AnyObj(&'static [&'static str]),
    /// A string or a list of strings (IAM's `Action`, `Resource`).
    TextOrTextList,
    /// A mapping defined in [`OBJECTS`] under this name, or a list of them (IAM's
    /// `Statement`).
    ObjOrList(&'static str),
    /// Any value (IAM's `Principal` and `Condition`, checked by `gwctl validate`).
    Any,
}

/// One mapping of the spec language: the reader's key list, and a type and a description for
/// each key.
pub(crate) struct Obj {
    pub name: &'static str,
    pub description: &'static str,
    /// Exactly the keys the reader accepts (its constant).
    pub keys: &'static [&'static str],
    pub required: &'static [&'static str],
    pub fields: &'static [(&'static str, Ty, &'static str)],
}

const THROTTLE: Ty = Ty::Obj("throttle");

/// Every mapping of the language; `spec` is the document itself.
pub(crate) const OBJECTS: &[Obj] = &[
    Obj {
        name: "spec",
        description: "A gwctl spec: one API (docs/spec.md). Keys starting with `x-` are free (e.g. to hold YAML anchors).",
        keys: TOP_KEYS,
        required: &["api", "routes"],
        fields: &[
            ("version", Ty::Int(1, 1), "Spec language version: 1."),
            ("api", Ty::Obj("api"), "The API: name, kind (rest, http or websocket), endpoint, tags."),
            ("functions", Ty::Map(&Ty::TextOrObj("function")), "Lambda functions by spec-local key: a name, `name:alias`, an ARN, or {name|arn, alias}."),
            ("authorizers", Ty::Map(&Ty::Obj("authorizer")), "Authorizers by name."),
            ("default_auth", Ty::Text, "Authorization of routes without `auth`: `none`, `iam` or an authorizer name."),
            ("cors", Ty::Obj("cors"), "CORS for browsers: preflight OPTIONS and CORS headers on the gateway's own errors."),
            ("routes", Ty::List(&Ty::AnyObj(&["route", "ws_route"])), "The routes: path, method and target (websocket: route key and target)."),
            ("stages", Ty::Map(&Ty::Obj("stage")), "Stages by name, with logging, metrics, throttling, variables."),
            ("api_keys", Ty::Map(&Ty::Obj("api_key")), "REST: API keys by name (values are never written in a spec)."),
            ("usage_plans", Ty::Map(&Ty::Obj("usage_plan")), "REST: usage plans by name."),
            ("domains", Ty::Map(&Ty::Obj("domain")), "REST and HTTP: custom domain names by host name, with their base path mappings to this spec's stages."),
            ("models", Ty::Map(&Ty::Any), "REST: models by (alphanumeric) name, each a JSON Schema draft 4 written as YAML; `$ref: '#/models/NAME'` names another."),
            ("variables", Ty::Map(&Ty::Obj("variable")), "Variables by name, used as `${var.NAME}` in any string."),
            ("environments", Ty::Map(&Ty::TextOrObj("environment")), "Environments by name (`--env NAME`), and `default: NAME`."),
        ],
    },
    Obj {
        name: "variable",
        description: "A variable: its type, default and description (every key optional).",
        keys: crate::spec::vars::VARIABLE_KEYS,
        required: &[],
        fields: &[
            ("type", Ty::Choice(crate::spec::vars::VARIABLE_TYPES), "`string` (default), `number`, `boolean` or `list`."),
            ("default", Ty::Any, "The value when none is given."),
            ("description", Ty::Text, "What the variable is for."),
        ],
    },
    Obj {
        name: "environment",
        description: "An environment: its AWS region and profile, and its variable values.",
        keys: crate::spec::vars::ENVIRONMENT_KEYS,
        required: &[],
        fields: &[
            ("region", Ty::Text, "AWS region (`--region` and AWS_REGION win)."),
            ("profile", Ty::Text, "AWS profile (`--profile` and AWS_PROFILE win)."),
            ("variables", Ty::Map(&Ty::Any), "Variable values in this environment."),
            ("description", Ty::Text, "What the environment is for."),
        ],
    },
    Obj {
        name: "api",
        description: "The API itself.",
        keys: API_KEYS,
        required: &["name"],
        fields: &[
            ("name", Ty::Text, "The API's name (unique among the APIs gwctl manages in the account and region)."),
            ("kind", Ty::Choice(API_KINDS), "`rest` (API Gateway v1, default), `http` or `websocket` (v2)."),
            ("description", Ty::Text, "Description."),
            ("endpoint", Ty::Choice(ENDPOINT_TYPES), "REST: endpoint type (default REGIONAL)."),
            ("binary_media_types", Ty::TextList, "REST: media types served as binary, e.g. `image/png`."),
            ("tags", Ty::Map(&Ty::Text), "Tags on the API."),
            ("disable_execute_api_endpoint", Ty::Bool, "HTTP: turn off the default execute-api endpoint."),
            ("payload_format_version", Ty::Choice(PAYLOAD_FORMAT_VERSIONS), "HTTP: default Lambda payload format."),
            ("api_key_source", Ty::Choice(API_KEY_SOURCES), "REST: where API keys come from."),
            ("route_selection", Ty::Text, "WebSocket: the message field naming the route, `$request.body.NAME` (default `$request.body.action`)."),
            ("api_key_selection", Ty::Choice(API_KEY_SELECTIONS), "WebSocket: where API keys come from."),
            ("policy", Ty::Obj("policy"), "REST: the resource policy, an IAM policy document (`execute-api:/*` is this API)."),
            ("vpc_endpoint_ids", Ty::TextList, "REST, PRIVATE: the VPC endpoints associated with the API (`vpce-...`)."),
        ],
    },
    Obj {
        name: "policy",
        description: "An IAM policy document, as in IAM's JSON but written in YAML.",
        keys: POLICY_KEYS,
        required: &["Statement"],
        fields: &[
            ("Version", Ty::Text, "`2012-10-17`."),
            ("Id", Ty::Text, "An identifier of the policy."),
            ("Statement", Ty::ObjOrList("policy_statement"), "One statement or a list of them."),
        ],
    },
    Obj {
        name: "policy_statement",
        description: "One statement of a resource policy.",
        keys: STATEMENT_KEYS,
        required: &["Effect"],
        fields: &[
            ("Sid", Ty::Text, "Statement id."),
            ("Effect", Ty::Choice(&["Allow", "Deny"]), "`Allow` or `Deny`."),
            ("Principal", Ty::Any, "Who: `\"*\"` or {AWS: [arns]}."),
            ("NotPrincipal", Ty::Any, "Everyone but these."),
            ("Action", Ty::TextOrTextList, "`execute-api:Invoke`."),
            ("NotAction", Ty::TextOrTextList, "Every action but these."),
            ("Resource", Ty::TextOrTextList, "`execute-api:/*`, `execute-api:/STAGE/METHOD/PATH` or execute-api ARNs."),
            ("NotResource", Ty::TextOrTextList, "Every resource but these."),
            ("Condition", Ty::Map(&Ty::Any), "Conditions by operator, e.g. {StringNotEquals: {aws:SourceVpce: vpce-...}}."),
        ],
    },
    Obj {
        name: "function",
        description: "A Lambda function by name or ARN, with an optional alias or version.",
        keys: FUNCTION_KEYS,
        required: &[],
        fields: &[
            ("name", Ty::Text, "Function name."),
            ("arn", Ty::Text, "Function ARN."),
            ("alias", Ty::Text, "Alias or version."),
        ],
    },
    Obj {
        name: "authorizer",
        description: "An authorizer; `type` decides which other keys apply.",
        keys: ALL_AUTHORIZER_KEYS,
        required: &["type"],
        fields: &[
            ("type", Ty::Choice(AUTHORIZER_TYPES), "`token` and `cognito` (REST), `request` (both), `jwt` (HTTP)."),
            ("function", Ty::Text, "token/request: the authorizer function (a key of `functions`)."),
            ("identity_source", Ty::Text, "token/cognito/jwt: where the token is, e.g. `method.request.header.Authorization`."),
            ("identity_sources", Ty::TextList, "request: the request parts that identify a caller (cache key)."),
            ("validation_expression", Ty::Text, "token: regular expression the token must match."),
            ("ttl", Ty::Int(0, 3600), "token/request: seconds to cache a decision."),
            ("payload_format_version", Ty::Choice(PAYLOAD_FORMAT_VERSIONS), "HTTP request authorizers: payload format."),
            ("simple_responses", Ty::Bool, "HTTP request authorizers: answer {isAuthorized: bool}."),
            ("user_pool_arns", Ty::TextList, "cognito: user pool ARNs."),
            ("issuer", Ty::Text, "jwt: issuer URL."),
            ("audience", Ty::TextList, "jwt: accepted audiences (client ids)."),
        ],
    },
    Obj {
        name: "cors",
        description: "CORS settings.",
        keys: CORS_KEYS,
        required: &["origins"],
        fields: &[
            ("origins", Ty::TextList, "Allowed origins, e.g. `https://app.example.com`, or `*`."),
            ("methods", Ty::TextList, "Allowed methods (default: the routes' methods), or `*`."),
            ("headers", Ty::TextList, "Allowed request headers."),
            ("expose_headers", Ty::TextList, "Response headers the browser may read."),
            ("max_age", Ty::Int(0, 86400), "Seconds a preflight answer may be cached."),
            ("credentials", Ty::Bool, "Allow credentials (not with origin `*`)."),
            ("gateway_responses", Ty::Bool, "REST: CORS headers on API Gateway's own errors (DEFAULT_4XX/5XX); default true."),
        ],
    },
    Obj {
        name: "route",
        description: "A route: a path and a method, and a `function` (Lambda proxy) or an `integration`.",
        keys: ROUTE_KEYS,
        required: &["path"],
        fields: &[
            ("path", Ty::Text, "Path, e.g. `/items/{id}` or `/{proxy+}` (HTTP: also `$default`)."),
            ("method", Ty::Choice(METHODS), "HTTP method, or ANY."),
            ("function", Ty::Text, "Lambda proxy target: a key of `functions`."),
            ("integration", Ty::Obj("integration"), "Any other target."),
            ("auth", Ty::Text, "`none`, `iam` or an authorizer name."),
            ("scopes", Ty::TextList, "OAuth scopes (cognito/jwt authorizers)."),
            ("api_key_required", Ty::Bool, "REST: require an API key."),
            ("request_parameters", Ty::Map(&Ty::Bool), "REST: `method.request.querystring.NAME: required`."),
            ("throttle", THROTTLE, "Throttling for this route on every stage."),
            ("method_responses", Ty::List(&Ty::Obj("method_response")), "REST: method responses (non-proxy integrations)."),
            ("cache", Ty::Obj("route_cache"), "REST: caching of this route on the stages that have a cache."),
            ("request", Ty::Obj("request"), "REST: request validation and the body's models."),
        ],
    },
    Obj {
        name: "request",
        description: "A route's request validation (REST).",
        keys: REQUEST_KEYS,
        required: &[],
        fields: &[
            ("validate", Ty::Choice(VALIDATE_KINDS), "What API Gateway checks before the integration: `body`, `parameters` or `all`."),
            ("body", Ty::Map(&Ty::Text), "Content type -> model name, e.g. `application/json: NewItem`."),
        ],
    },
    Obj {
        name: "route_cache",
        description: "A route's caching (REST).",
        keys: ROUTE_CACHE_KEYS,
        required: &[],
        fields: &[
            ("enabled", Ty::Bool, "Cache this route's responses (default true; false turns it off)."),
            ("ttl", Ty::Int(0, MAX_CACHE_TTL), "Seconds an entry lives (default: the stage's)."),
            ("key_parameters", Ty::TextList, "Request parameters in the cache key, e.g. `method.request.querystring.q` (declared in `request_parameters`)."),
        ],
    },
    Obj {
        name: "ws_route",
        description: "A route of a WebSocket API: a route key, and a `function` (Lambda proxy) or an `integration`.",
        keys: WS_ROUTE_KEYS,
        required: &["route"],
        fields: &[
            ("route", Ty::Text, "`$connect`, `$disconnect`, `$default`, or a value of the route selection expression (no spaces)."),
            ("function", Ty::Text, "Lambda proxy target: a key of `functions`."),
            ("integration", Ty::Obj("ws_integration"), "Any other target."),
            ("auth", Ty::Text, "`$connect` only: `none`, `iam` or a `request` authorizer's name."),
            ("throttle", THROTTLE, "Throttling for this route on every stage."),
            ("response", Ty::Bool, "Two-way route: the integration's answer goes back to the client (a `$default` route response)."),
        ],
    },
    Obj {
        name: "ws_integration",
        description: "A WebSocket route's integration; `type` decides which other keys apply.",
        keys: WS_INTEGRATION_KEYS,
        required: &[],
        fields: &[
            ("type", Ty::Choice(INTEGRATION_TYPES), "lambda_proxy (default), lambda, http_proxy, http, mock."),
            ("function", Ty::Text, "lambda_proxy/lambda: a key of `functions`."),
            ("uri", Ty::Text, "http_proxy/http: backend URL."),
            ("http_method", Ty::Choice(METHODS), "http_proxy/http: backend method (default POST)."),
            ("timeout_ms", Ty::Int(50, 29000), "Milliseconds."),
            ("credentials", Ty::Text, "lambda_proxy/lambda: IAM role ARN API Gateway assumes to call the function."),
            ("request_templates", Ty::Map(&Ty::Text), "lambda/http/mock: templates by template selection key, e.g. `$default`."),
            ("template_selection", Ty::Text, "lambda/http/mock: the template selection expression, e.g. `\\$default`."),
            ("passthrough_behavior", Ty::Choice(PASSTHROUGH_BEHAVIORS), "lambda/http/mock: messages without a matching template."),
            ("content_handling", Ty::Choice(CONTENT_HANDLINGS), "lambda/http: binary/text conversion."),
            ("request_parameters", Ty::Map(&Ty::Text), "lambda/http/http_proxy: `integration.request.{header|querystring|path}.NAME: SOURCE`, SOURCE one of `route.request.body.PATH`, `context.NAME`, `stageVariables.NAME`, `'static'`, and on `$connect` `route.request.header.NAME`/`route.request.querystring.NAME` (omit: the live ones are kept)."),
            ("responses", Ty::List(&Ty::Obj("ws_integration_response")), "lambda/http/mock: integration responses, what a two-way route sends back (omit: the live ones are kept)."),
        ],
    },
    Obj {
        name: "ws_integration_response",
        description: "An integration response of a WebSocket lambda, http or mock integration.",
        keys: WS_INTEGRATION_RESPONSE_KEYS,
        required: &["key"],
        fields: &[
            ("key", Ty::Text, "`$default`, or `/regex/` matched against the backend's status or error."),
            ("templates", Ty::Map(&Ty::Text), "Response templates by template selection key, e.g. `$default`."),
            ("template_selection", Ty::Text, "The response template selection expression."),
            ("content_handling", Ty::Choice(CONTENT_HANDLINGS), "Binary/text conversion of the answer."),
        ],
    },
    Obj {
        name: "integration",
        description: "A route's integration; `type` decides which other keys apply.",
        keys: ALL_INTEGRATION_KEYS,
        required: &[],
        fields: &[
            ("type", Ty::Choice(INTEGRATION_TYPES), "lambda_proxy (default), lambda, http_proxy, http, mock."),
            ("function", Ty::Text, "lambda_proxy/lambda: a key of `functions`."),
            ("uri", Ty::Text, "http_proxy/http: backend URL."),
            ("http_method", Ty::Choice(METHODS), "http_proxy/http: backend method (default: the route's)."),
            ("timeout_ms", Ty::Int(50, 30000), "Milliseconds (REST at most 29000)."),
            ("credentials", Ty::Text, "IAM role ARN API Gateway assumes to call the backend."),
            ("request_templates", Ty::Map(&Ty::Text), "REST: mapping templates by content type."),
            ("passthrough_behavior", Ty::Choice(PASSTHROUGH_BEHAVIORS), "REST: bodies without a matching template."),
            ("content_handling", Ty::Choice(CONTENT_HANDLINGS), "REST: binary/text conversion of the request."),
            ("request_parameters", Ty::Map(&Ty::Text), "Parameter mappings to the backend."),
            ("payload_format_version", Ty::Choice(PAYLOAD_FORMAT_VERSIONS), "HTTP: Lambda payload format."),
            ("responses", Ty::List(&Ty::Obj("integration_response")), "REST: integration responses (non-proxy)."),
        ],
    },
    Obj {
        name: "integration_response",
        description: "An integration response (REST, non-proxy integrations).",
        keys: INTEGRATION_RESPONSE_KEYS,
        required: &["status"],
        fields: &[
            ("status", Ty::Text, "HTTP status, e.g. 200."),
            ("selection_pattern", Ty::Text, "Regular expression on the backend's error (omit for the default response)."),
            ("templates", Ty::Map(&Ty::Text), "Response templates by content type."),
            ("parameters", Ty::Map(&Ty::Text), "`method.response.header.NAME: expression`."),
            ("content_handling", Ty::Choice(CONTENT_HANDLINGS), "Binary/text conversion of the response."),
        ],
    },
    Obj {
        name: "method_response",
        description: "A method response (REST).",
        keys: METHOD_RESPONSE_KEYS,
        required: &["status"],
        fields: &[
            ("status", Ty::Text, "HTTP status, e.g. 200."),
            ("models", Ty::Map(&Ty::Text), "Models by content type (`Empty` or `Error`)."),
            ("parameters", Ty::Map(&Ty::Bool), "`method.response.header.NAME: required`."),
        ],
    },
    Obj {
        name: "throttle",
        description: "Throttling: steady-state requests per second and burst.",
        keys: THROTTLE_KEYS,
        required: &["rate", "burst"],
        fields: &[
            ("rate", Ty::NonNegNumber, "Requests per second."),
            ("burst", Ty::Int(0, i32::MAX as i64), "Burst size."),
        ],
    },
    Obj {
        name: "stage",
        description: "A stage.",
        keys: STAGE_KEYS,
        required: &[],
        fields: &[
            ("description", Ty::Text, "Description."),
            ("variables", Ty::Map(&Ty::Text), "Stage variables."),
            ("logging", Ty::Choice(LOG_LEVELS), "REST and WebSocket: execution logging to CloudWatch (needs the account's CloudWatch role: `gwctl doctor`)."),
            ("data_trace", Ty::Bool, "REST and WebSocket: log full requests and responses."),
            ("metrics", Ty::Bool, "Detailed CloudWatch metrics."),
            ("throttle", THROTTLE, "Stage-wide throttling."),
            ("tracing", Ty::Bool, "REST: X-Ray tracing."),
            ("access_log", Ty::Obj("access_log"), "Access logs."),
            ("auto_deploy", Ty::Bool, "HTTP and WebSocket: deploy every change automatically."),
            ("cache", Ty::Obj("stage_cache"), "REST: the stage's cache cluster and stage-wide caching."),
            ("canary", Ty::Obj("canary"), "REST: the canary release `gwctl deploy --canary` creates."),
        ],
    },
    Obj {
        name: "domain",
        description: "A custom domain name (REST and HTTP): gwctl owns its mappings, and the domain itself only when it created it.",
        keys: DOMAIN_KEYS,
        required: &["certificate", "mappings"],
        fields: &[
            ("certificate", Ty::Text, "ACM certificate ARN (us-east-1 for an edge domain, the API's region for a regional one)."),
            ("endpoint", Ty::Choice(DOMAIN_ENDPOINTS), "REGIONAL (default) or EDGE."),
            ("security_policy", Ty::Choice(SECURITY_POLICIES), "TLS_1_2 (default) or TLS_1_0."),
            ("mappings", Ty::Map(&Ty::Text), "Base path -> stage of this spec; `\"\"` is the root."),
            ("mtls", Ty::Obj("mtls"), "Mutual TLS (REGIONAL domains with TLS_1_2 only): the truststore in S3."),
            ("dns", Ty::Obj("dns"), "The Route 53 hosted zone where gwctl keeps the domain's A and AAAA alias records."),
        ],
    },
    Obj {
        name: "dns",
        description: "A custom domain's Route 53 alias records.",
        keys: DNS_KEYS,
        required: &["hosted_zone_id"],
        fields: &[
            ("hosted_zone_id", Ty::Text, "The hosted zone's bare id (`Z…`: upper-case letters and digits)."),
        ],
    },
    Obj {
        name: "mtls",
        description: "A custom domain's mutual TLS truststore.",
        keys: MTLS_KEYS,
        required: &["truststore_uri"],
        fields: &[
            ("truststore_uri", Ty::Text, "`s3://BUCKET/KEY` of the PEM bundle of trusted certificate authorities."),
            ("version", Ty::Text, "The truststore's S3 object version (the live one is kept when unset)."),
        ],
    },
    Obj {
        name: "canary",
        description: "A stage's canary release (REST).",
        keys: CANARY_KEYS,
        required: &[],
        fields: &[
            ("percent", Ty::NonNegNumber, "Share of the stage's traffic, 0 to 100 (`deploy --canary N` wins)."),
            ("variables", Ty::Map(&Ty::Text), "Stage variables the canary overrides."),
        ],
    },
    Obj {
        name: "stage_cache",
        description: "A stage's cache (REST): the cache cluster and the default method setting.",
        keys: STAGE_CACHE_KEYS,
        required: &[],
        fields: &[
            ("enabled", Ty::Bool, "The cache cluster and stage-wide caching (default true)."),
            ("size", Ty::Choice(CACHE_SIZES), "Cluster size in GB: 0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118 or 237."),
            ("ttl", Ty::Int(0, MAX_CACHE_TTL), "Seconds an entry lives (0 to 3600)."),
            ("encrypted", Ty::Bool, "Encrypt cached responses."),
        ],
    },
    Obj {
        name: "access_log",
        description: "Access logging.",
        keys: ACCESS_LOG_KEYS,
        required: &["destination", "format"],
        fields: &[
            ("destination", Ty::Text, "CloudWatch Logs log group ARN (REST: or a Firehose stream ARN)."),
            ("format", Ty::Text, "Log line format; must include `$context.requestId`."),
        ],
    },
    Obj {
        name: "api_key",
        description: "An API key (REST). Its value is never written in a spec.",
        keys: API_KEY_KEYS,
        required: &[],
        fields: &[
            ("description", Ty::Text, "Description."),
            ("enabled", Ty::Bool, "Whether the key works (default true)."),
            ("value_from_env", Ty::Text, "Name of the environment variable holding the key's value (else AWS generates one)."),
            ("id", Ty::Text, "Use this existing key."),
        ],
    },
    Obj {
        name: "usage_plan",
        description: "A usage plan (REST).",
        keys: USAGE_PLAN_KEYS,
        required: &["stages"],
        fields: &[
            ("description", Ty::Text, "Description."),
            ("throttle", THROTTLE, "Throttling per key."),
            ("quota", Ty::Obj("quota"), "Request quota per key."),
            ("stages", Ty::TextList, "Stages the plan covers."),
            ("keys", Ty::TextList, "API keys in the plan (keys of `api_keys`)."),
            ("method_throttle", Ty::Map(&THROTTLE), "Throttling per route: `GET /items: {rate, burst}`."),
        ],
    },
    Obj {
        name: "quota",
        description: "A request quota.",
        keys: QUOTA_KEYS,
        required: &["limit", "period"],
        fields: &[
            ("limit", Ty::Int(1, i32::MAX as i64), "Requests per period."),
            ("period", Ty::Choice(QUOTA_PERIODS), "DAY, WEEK or MONTH."),
            ("offset", Ty::Int(0, 27), "Days into the period the quota starts."),
        ],
    },
];

/// The JSON Schema of the spec language.
pub fn schema() -> Json {
    let mut defs = Map::new();
    let mut root = Map::new();
    for o in OBJECTS {
        check(o);
        let s = object(o);
        if o.name == "spec" {
            root = s;
        } else {
            defs.insert(o.name.to_string(), Json::Object(s));
        }
    }
    let mut doc = Map::new();
    doc.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    doc.insert("title".into(), json!("gwctl spec (version 1)"));
    doc.extend(root);
    doc.insert("$defs".into(), Json::Object(defs));
    Json::Object(doc)
}

/// The table and the reader agree: every key the reader accepts is typed, nothing else is.
fn check(o: &Obj) {
    for k in o.keys {
        assert!(
            o.fields.iter().any(|(f, _, _)| f == k),
            "schema: key `{k}` of `{}` is accepted by the reader but has no type in spec::schema::OBJECTS",
            o.name
        );
    }
    for (f, ty, _) in o.fields {
        assert!(
            o.keys.contains(f),
            "schema: `{}` types key `{f}`, which the reader does not accept",
            o.name
        );
        for name in referenced(ty) {
            assert!(
                OBJECTS.iter().any(|x| x.name == name),
                "schema: `{}.{f}` refers to undefined object `{name}`",
                o.name
            );
        }
    }
    for r in o.required {
        assert!(
            o.keys.contains(r),
            "schema: `{}` requires `{r}`, which the reader does not accept",
            o.name
        );
    }
}

fn referenced(ty: &Ty) -> Vec<&'static str> {
    match ty {
        Ty::Obj(n) | Ty::TextOrObj(n) | Ty::ObjOrList(n) => vec![n],
        Ty::AnyObj(ns) => ns.to_vec(),
        Ty::List(t) | Ty::Map(t) => referenced(t),
        _ => vec![],
    }
}

fn object(o: &Obj) -> Map<String, Json> {
    let mut props = Map::new();
    // In the reader's order, which is the order docs/spec.md presents them in.
    for k in o.keys {
        let (_, ty, desc) = o.fields.iter().find(|(f, _, _)| f == k).expect("checked");
        let mut t = or_reference(ty, type_of(ty));
        if let Json::Object(m) = &mut t {
            m.insert("description".into(), json!(desc));
        }
        props.insert(k.to_string(), t);
    }
    let mut m = Map::new();
    m.insert("description".into(), json!(o.description));
    m.insert("type".into(), json!("object"));
    m.insert("properties".into(), Json::Object(props));
    if !o.required.is_empty() {
        m.insert("required".into(), json!(o.required));
    }
    if o.name == "spec" {
        m.insert("patternProperties".into(), json!({"^x-": {}}));
    }
    m.insert("additionalProperties".into(), json!(false));
    m
}

/// A whole value may be a `${...}` reference (docs/spec.md, Variables and environments):
/// typed scalars and lists accept one too.
fn or_reference(ty: &Ty, t: Json) -> Json {
    let reference = json!({
        "type": "string",
        "pattern": "^\\$\\{(?:(?:var|aws|env)\\.[^}]+|environment)\\}$"
    });
    match ty {
        Ty::Bool | Ty::Int(..) | Ty::NonNegNumber | Ty::TextList | Ty::List(_) | Ty::Map(_) => {
            json!({"anyOf": [t, reference]})
        }
        Ty::Choice(_) => {
            let mut t = t;
            if let Some(any) = t.get_mut("anyOf").and_then(Json::as_array_mut) {
                any.push(reference);
            }
            t
        }
        _ => t,
    }
}

fn type_of(ty: &Ty) -> Json {
    match ty {
        Ty::Text => json!({"type": ["string", "number"]}),
        Ty::Bool => json!({"type": "boolean"}),
        Ty::Int(min, max) => json!({"type": "integer", "minimum": min, "maximum": max}),
        Ty::NonNegNumber => json!({"type": "number", "minimum": 0}),
        Ty::Choice(options) => choice(options),
        Ty::TextList => json!({
            "type": "array",
            "items": {"type": ["string", "number"], "minLength": 1}
        }),
        Ty::List(t) => json!({"type": "array", "items": type_of(t)}),
        Ty::Map(t) => json!({"type": "object", "additionalProperties": type_of(t)}),
        Ty::Obj(n) => json!({"$ref": format!("#/$defs/{n}")}),
        Ty::TextOrObj(n) => json!({
            "anyOf": [{"type": "string", "minLength": 1}, {"$ref": format!("#/$defs/{n}")}]
        }),
        Ty::AnyObj(ns) => json!({
            "anyOf": ns.iter().map(|n| json!({"$ref": format!("#/$defs/{n}")})).collect::<Vec<_>>()
        }),
        Ty::TextOrTextList => json!({
            "anyOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}
            ]
        }),
        Ty::ObjOrList(n) => json!({
            "anyOf": [
                {"$ref": format!("#/$defs/{n}")},
                {"type": "array", "items": {"$ref": format!("#/$defs/{n}")}, "minItems": 1}
            ]
        }),
        Ty::Any => json!({}),
    }
}

/// One of `options`, case-insensitively (the reader matches them so); numbers written
/// without quotes (`payload_format_version: 2.0`) count as their text.
fn choice(options: &[&str]) -> Json {
    let pattern = options
        .iter()
        .map(|o| {
            o.chars()
                .map(|c| {
                    if c.is_ascii_alphabetic() {
                        format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
                    } else if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                        c.to_string()
                    } else {
                        format!("\\{c}")
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("|");
    let mut any = vec![
        json!({"enum": options}),
        json!({"type": "string", "pattern": format!("^(?:{pattern})$")}),
    ];
    let numbers: Vec<f64> = options.iter().filter_map(|o| o.parse().ok()).collect();
    if !numbers.is_empty() {
        any.push(json!({"enum": numbers}));
    }
    json!({ "anyOf": any })
}

/// A YAML node as the JSON value an editor's schema validator sees (mapping keys as written).
pub fn yaml_to_json(n: &Node) -> Json {
    n.to_json()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_the_reader_accepts_is_typed_and_nothing_else() {
        // `schema()` asserts the agreement for every object; building it is the test.
        let s = schema();
        assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
        let mut top: Vec<&str> = s["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        top.sort();
        let mut want = TOP_KEYS.to_vec();
        want.sort();
        assert_eq!(top, want);
        assert_eq!(
            s["$defs"]["stage"]["properties"]["logging"]["anyOf"][0]["enum"],
            json!(["OFF", "ERROR", "INFO"])
        );
        assert_eq!(s["$defs"]["route"]["additionalProperties"], json!(false));
        assert_eq!(s["required"], json!(["api", "routes"]));
    }

    #[test]
    fn every_object_is_reachable_from_the_document() {
        let text = schema().to_string();
        for o in OBJECTS.iter().filter(|o| o.name != "spec") {
            assert!(
                text.contains(&format!("\"#/$defs/{}\"", o.name)),
                "`{}` is defined but never used",
                o.name
            );
        }
    }

    #[test]
    fn choices_match_case_insensitively_and_numbers_as_written() {
        let c = choice(&["2.0", "1.0"]);
        assert_eq!(c["anyOf"][1]["pattern"], "^(?:2\\.0|1\\.0)$");
        assert_eq!(c["anyOf"][2]["enum"], json!([2.0, 1.0]));
        let c = choice(&["OFF", "INFO"]);
        assert_eq!(
            c["anyOf"][1]["pattern"],
            "^(?:[oO][fF][fF]|[iI][nN][fF][oO])$"
        );
        assert_eq!(c["anyOf"].as_array().unwrap().len(), 2);
    }
}
