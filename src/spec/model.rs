//! The validated spec: what the user means, after parsing and checking.
//!
//! Every value that can be wrong keeps the position it came from (`Pos`) so that later
//! layers (planner, apply) can still point into the user's file. Collections that the
//! planner iterates are ordered (`Vec` in file order or `BTreeMap`), never hash maps,
//! so plans are deterministic.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// A position in a spec file (1-based line and column). `line == 0` means unknown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// A value with the position of the YAML node it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At<T> {
    pub value: T,
    pub pos: Pos,
}

impl<T> At<T> {
    pub fn new(value: T, pos: Pos) -> Self {
        At { value, pos }
    }
}

impl<T> std::ops::Deref for At<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// The route selection expression of a WebSocket API unless the spec gives one.
pub const DEFAULT_ROUTE_SELECTION: &str = "$request.body.action";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ApiKind {
    Rest,
    Http,
    /// `kind: websocket` (apigatewayv2, protocol WEBSOCKET).
    WebSocket,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EndpointType {
    Regional,
    Edge,
    Private,
}

impl EndpointType {
    pub fn as_aws(&self) -> &'static str {
        match self {
            EndpointType::Regional => "REGIONAL",
            EndpointType::Edge => "EDGE",
            EndpointType::Private => "PRIVATE",
        }
    }
}

/// One spec file, validated.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The file it was read from (for diagnostics raised after validation).
    pub file: PathBuf,
    pub api: ApiDef,
    /// Spec-local function name -> Lambda reference. File order.
    pub functions: Vec<FunctionDef>,
    pub authorizers: Vec<AuthorizerDef>,
    /// Default authorizer for every route that does not say `auth:` (name of an authorizer,
    /// or `iam`). `None` = no default.
    pub default_auth: Option<At<AuthRef>>,
    pub cors: Option<CorsDef>,
    /// Routes in file order.
    pub routes: Vec<RouteDef>,
    pub stages: Vec<StageDef>,
    pub api_keys: Vec<ApiKeyDef>,
    pub usage_plans: Vec<UsagePlanDef>,
    /// Custom domain names (issue 18 item 1), in file order. `None`: no `domains:` key, so
    /// gwctl neither reads nor changes any domain; `Some(empty)`: the spec owns its
    /// mappings and wants none.
    pub domains: Option<Vec<DomainDef>>,
    /// REST: `models:` (JSON Schema draft 4), file order.
    pub models: Vec<ModelDef>,
    /// The environment and the variables it was resolved with (`variables:`, `${...}`).
    pub vars: Resolution,
}

/// One custom domain name of `domains:`.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainDef {
    pub name: At<String>,
    /// An ACM certificate ARN (`certificate:`).
    pub certificate: At<String>,
    /// `REGIONAL` (default) or `EDGE`.
    pub endpoint: String,
    /// `TLS_1_2` (default) or `TLS_1_0`.
    pub security_policy: String,
    /// Base path (`""`: the root) -> stage of this spec, in file order.
    pub mappings: Vec<(At<String>, At<String>)>,
    /// `mtls:`: the truststore `s3://` URI and its optional object version.
    pub mtls: Option<(At<String>, Option<String>)>,
    /// `dns: {hosted_zone_id: Z…}`: the Route 53 hosted zone where gwctl keeps the domain's
    /// A and AAAA alias records.
    pub dns_zone: Option<At<String>>,
}

#[derive(Debug, Clone)]
pub struct ApiDef {
    pub name: At<String>,
    pub description: Option<String>,
    pub kind: ApiKind,
    /// REST only. Defaults to REGIONAL.
    pub endpoint: EndpointType,
    /// REST only. `None` = not declared: the live list is left as it is.
    pub binary_media_types: Option<Vec<String>>,
    /// User tags (gwctl adds its own ownership tag on top).
    pub tags: BTreeMap<String, String>,
    /// HTTP only. `None` = not declared: the live setting is left as it is.
    pub disable_execute_api_endpoint: Option<bool>,
    /// HTTP only: default payload format version for Lambda integrations ("2.0" unless set).
    pub payload_format_version: Option<String>,
    /// REST only: where API keys are read from (HEADER default, or AUTHORIZER).
    pub api_key_source: Option<String>,
    /// WebSocket only: the route selection expression (`$request.body.action` unless set).
    pub route_selection: Option<At<String>>,
    /// WebSocket only: the API key selection expression. `None` = not declared.
    pub api_key_selection: Option<String>,
    /// REST only: `endpoint` is written (an existing API's type changes only then).
    pub endpoint_declared: bool,
    /// REST only: the resource policy, as JSON (`None` = not declared: the live policy
    /// stays).
    pub policy: Option<At<serde_json::Value>>,
    /// REST, PRIVATE only: the VPC endpoints associated with the API (`None` = not
    /// declared: the live list stays).
    pub vpc_endpoint_ids: Option<Vec<String>>,
}

/// How a spec refers to a Lambda function.
#[derive(Debug, Clone)]
pub struct FunctionDef {
    /// The spec-local name that routes and authorizers use.
    pub key: At<String>,
    /// A function name (`todo-create`), a full function ARN, or a partial ARN.
    pub name_or_arn: At<String>,
    /// Alias or version (`live`, `3`), when the reference is qualified.
    pub qualifier: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthRef {
    /// No authorization (explicit opt-out of a default authorizer).
    None,
    /// AWS_IAM (SigV4).
    Iam,
    /// An authorizer defined in `authorizers`, by spec name.
    Authorizer(String),
}

#[derive(Debug, Clone)]
pub struct AuthorizerDef {
    pub name: At<String>,
    pub kind: AuthorizerKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AuthorizerKind {
    /// REST Lambda TOKEN authorizer.
    Token {
        function: At<String>,
        /// e.g. `method.request.header.Authorization` (default).
        identity_source: String,
        validation_expression: Option<String>,
        /// Result TTL in seconds (0-3600, default 300).
        ttl_seconds: u32,
    },
    /// Lambda REQUEST authorizer (REST and HTTP).
    Request {
        function: At<String>,
        /// REST: `method.request.header.X`, `method.request.querystring.q`, `stageVariables.v`,
        /// `context.x`; HTTP: `$request.header.X`, `$request.querystring.q`, ...
        identity_sources: Vec<String>,
        ttl_seconds: u32,
        /// HTTP only: "1.0" or "2.0" (default "2.0").
        payload_format_version: Option<String>,
        /// HTTP only, payload 2.0: simple boolean responses.
        simple_responses: bool,
    },
    /// REST Cognito user pools authorizer.
    Cognito {
        user_pool_arns: Vec<At<String>>,
        identity_source: String,
    },
    /// HTTP JWT authorizer.
    Jwt {
        issuer: At<String>,
        audience: Vec<String>,
        /// Default `$request.header.Authorization`.
        identity_source: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct CorsDef {
    pub pos: Pos,
    /// `*` or explicit origins.
    pub origins: Vec<String>,
    /// Explicit methods; empty = derive per resource from its routes.
    pub methods: Vec<String>,
    /// Default: Content-Type, Authorization, X-Amz-Date, X-Api-Key, X-Amz-Security-Token.
    pub headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age: Option<u32>,
    pub credentials: bool,
    /// REST: put the CORS headers on the `DEFAULT_4XX`/`DEFAULT_5XX` gateway responses
    /// (default true; `false` for an API whose errors carry none, like SAM's `Cors:`).
    pub gateway_responses: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Delete,
    Patch,
    Head,
    Options,
    Any,
}

impl HttpMethod {
    pub fn as_str(&self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Delete => "DELETE",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Head => "HEAD",
            HttpMethod::Options => "OPTIONS",
            HttpMethod::Any => "ANY",
        }
    }

    pub fn parse(s: &str) -> Option<HttpMethod> {
        Some(match s.to_ascii_uppercase().as_str() {
            "GET" => HttpMethod::Get,
            "POST" => HttpMethod::Post,
            "PUT" => HttpMethod::Put,
            "DELETE" => HttpMethod::Delete,
            "PATCH" => HttpMethod::Patch,
            "HEAD" => HttpMethod::Head,
            "OPTIONS" => HttpMethod::Options,
            "ANY" => HttpMethod::Any,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct RouteDef {
    pub pos: Pos,
    /// `/todos/{id}`, `/{proxy+}`, `/`; for HTTP APIs also `$default`; for WebSocket APIs
    /// the route key (`$connect`, `sendmessage`), with `method` ANY.
    pub path: At<String>,
    pub method: At<HttpMethod>,
    pub integration: IntegrationDef,
    /// `None` = use the API's `default_auth` (or no auth when there is none).
    pub auth: Option<At<AuthRef>>,
    /// OAuth scopes (Cognito on REST, JWT on HTTP).
    pub scopes: Vec<String>,
    /// REST only.
    pub api_key_required: bool,
    /// REST only: `api_key_required` as written; `None` = not declared (a method that
    /// exists keeps its setting, a new one is created without).
    pub api_key_required_declared: Option<bool>,
    /// REST method request parameters, e.g. `method.request.querystring.q: true` (required).
    pub request_parameters: BTreeMap<String, bool>,
    /// REST method responses (custom integrations). Empty for proxies.
    pub method_responses: Vec<MethodResponseDef>,
    /// Per-route throttling, applied as stage method settings (REST) or route settings (HTTP)
    /// on every stage.
    pub throttle: Option<ThrottleDef>,
    /// REST: per-route caching (stage method settings on every stage with a cache, and the
    /// integration's cache key parameters). `None` = not declared.
    pub cache: Option<RouteCacheDef>,
    /// WebSocket only: a two-way route (a `$default` route response returns the
    /// integration's answer to the client).
    pub response: bool,
    /// REST: `request:` (request validation and body models). `None` = not declared: an
    /// existing method keeps what it has, unless gwctl made it.
    pub request: Option<RequestDef>,
}

/// A REST model: a JSON Schema (draft 4), checked offline.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelDef {
    /// Alphanumeric (AWS's rule for model names).
    pub name: At<String>,
    /// The schema as JSON; references to other models are written `#/models/NAME`.
    pub schema: serde_json::Value,
    /// The other models it references (`$ref: '#/models/NAME'`), sorted.
    pub refs: Vec<String>,
}

/// What a REST route's request validator checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Validate {
    Body,
    Parameters,
    All,
}

impl Validate {
    pub fn as_str(&self) -> &'static str {
        match self {
            Validate::Body => "body",
            Validate::Parameters => "parameters",
            Validate::All => "all",
        }
    }
}

/// A REST route's `request:`.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestDef {
    pub pos: Pos,
    /// `None`: no validator.
    pub validate: Option<Validate>,
    /// Content type -> model name (`body:`).
    pub body: BTreeMap<String, String>,
}

/// A route's `cache:` (REST).
#[derive(Debug, Clone, PartialEq)]
pub struct RouteCacheDef {
    pub pos: Pos,
    /// `false` turns caching off for this route (e.g. a POST on a cached stage).
    pub enabled: bool,
    /// Seconds, 0..=3600; `None` = the stage's TTL.
    pub ttl: Option<u32>,
    /// Method request parameters (`method.request.querystring.q`) that are part of the cache
    /// key; each is declared in the route's `request_parameters`. Sorted.
    pub key_parameters: Vec<String>,
}

/// A stage's `cache:` (REST): the cache cluster and the stage-wide method setting.
#[derive(Debug, Clone, PartialEq)]
pub struct StageCacheDef {
    pub pos: Pos,
    /// `false` turns the cache cluster and stage-wide caching off.
    pub enabled: bool,
    /// Cache cluster size in GB, one of [`crate::spec::read::CACHE_SIZES`]; `None` = AWS's
    /// default (0.5) on a new cluster, the live size on an existing one.
    pub size: Option<String>,
    /// Seconds, 0..=3600.
    pub ttl: Option<u32>,
    pub encrypted: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IntegrationDef {
    pub pos: Pos,
    pub kind: IntegrationKind,
    /// Integration timeout in milliseconds (REST 50..=29000, HTTP 50..=30000).
    pub timeout_ms: Option<u32>,
    /// REST: request templates by content type (custom Lambda, HTTP, MOCK).
    pub request_templates: BTreeMap<String, String>,
    /// REST: WHEN_NO_MATCH | WHEN_NO_TEMPLATES | NEVER.
    pub passthrough_behavior: Option<String>,
    /// REST: CONVERT_TO_TEXT | CONVERT_TO_BINARY.
    pub content_handling: Option<String>,
    /// Integration request parameters (REST `integration.request.*` = `method.request.*`;
    /// HTTP parameter mapping `overwrite:header.x` = `$request.header.y`).
    pub request_parameters: BTreeMap<String, String>,
    /// REST custom integrations: integration responses.
    pub responses: Vec<IntegrationResponseDef>,
    /// An IAM role API Gateway assumes to call the backend (seed 004's `credentials`).
    pub credentials: Option<At<String>>,
    /// HTTP APIs: "1.0" | "2.0" for Lambda proxies.
    pub payload_format_version: Option<String>,
    /// WebSocket custom integrations: which request template applies
    /// (`template_selection_expression`, e.g. `\$default`).
    pub template_selection: Option<String>,
    /// WebSocket custom integrations (lambda, http, mock): the integration responses, when
    /// the spec declares `responses:` (`None`: the live ones are left as they are).
    pub ws_responses: Option<Vec<WsIntegrationResponseDef>>,
    /// WebSocket integrations (lambda, http, http_proxy): `integration.request.*` = source,
    /// when the spec declares `request_parameters:` (`None`: the live ones are left as they
    /// are).
    pub ws_request_parameters: Option<BTreeMap<String, String>>,
}

/// An integration response of a WebSocket custom integration: what a two-way route sends
/// back to the client.
#[derive(Debug, Clone, PartialEq)]
pub struct WsIntegrationResponseDef {
    pub pos: Pos,
    /// `$default`, or a `/regex/` matched against the backend's status code or error.
    pub key: String,
    /// Template selection key -> template.
    pub templates: BTreeMap<String, String>,
    /// `template_selection_expression`.
    pub template_selection: Option<String>,
    /// CONVERT_TO_TEXT | CONVERT_TO_BINARY.
    pub content_handling: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum IntegrationKind {
    /// AWS_PROXY to a function (the default: `function: name` on a route).
    LambdaProxy { function: At<String> },
    /// AWS (custom/non-proxy) Lambda integration with templates.
    Lambda { function: At<String> },
    /// HTTP_PROXY to a URI.
    HttpProxy {
        uri: At<String>,
        http_method: HttpMethod,
    },
    /// HTTP (custom) to a URI with templates.
    Http {
        uri: At<String>,
        http_method: HttpMethod,
    },
    /// MOCK (REST only).
    Mock,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IntegrationResponseDef {
    pub status: String,
    /// Regex matched against the Lambda error message / backend status; `None` = default.
    pub selection_pattern: Option<String>,
    pub templates: BTreeMap<String, String>,
    /// `method.response.header.X` -> `'value'` or `integration.response.header.Y`.
    pub parameters: BTreeMap<String, String>,
    pub content_handling: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MethodResponseDef {
    pub status: String,
    /// content type -> model name (`Empty`, `Error`).
    pub models: BTreeMap<String, String>,
    /// `method.response.header.X` -> required.
    pub parameters: BTreeMap<String, bool>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleDef {
    /// Steady-state requests per second.
    pub rate: f64,
    /// Burst.
    pub burst: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Off,
    Error,
    Info,
}

impl LogLevel {
    pub fn as_aws(&self) -> &'static str {
        match self {
            LogLevel::Off => "OFF",
            LogLevel::Error => "ERROR",
            LogLevel::Info => "INFO",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccessLogDef {
    /// CloudWatch Logs log group ARN (or Firehose ARN on REST).
    pub destination_arn: At<String>,
    pub format: String,
}

#[derive(Debug, Clone)]
pub struct StageDef {
    pub name: At<String>,
    pub description: Option<String>,
    /// `None` = not declared: the stage's live variables are left as they are. `Some` = the
    /// complete set (variables not listed are removed).
    pub variables: Option<BTreeMap<String, String>>,
    /// Execution logging level (REST; HTTP APIs only have access logs). `None` = leave as is.
    pub logging: Option<LogLevel>,
    pub data_trace: Option<bool>,
    pub metrics: Option<bool>,
    pub throttle: Option<ThrottleDef>,
    /// REST: X-Ray tracing.
    pub tracing: Option<bool>,
    pub access_log: Option<AccessLogDef>,
    /// HTTP only.
    pub auto_deploy: Option<bool>,
    /// REST: the stage's cache cluster and stage-wide caching. `None` = leave as is.
    pub cache: Option<StageCacheDef>,
    /// REST: the canary `deploy --canary` creates, and the settings of one that exists.
    pub canary: Option<CanaryDef>,
}

/// A stage's `canary:` (REST).
#[derive(Debug, Clone, PartialEq)]
pub struct CanaryDef {
    pub pos: Pos,
    /// Share of the stage's traffic the canary gets, 0 to 100 (`deploy --canary N` wins).
    pub percent: Option<f64>,
    /// Stage variables the canary overrides. `None` = not declared.
    pub variables: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone)]
pub struct ApiKeyDef {
    pub name: At<String>,
    pub description: Option<String>,
    /// `None` = not declared: a new key is created enabled, an existing one keeps its state.
    pub enabled: Option<bool>,
    /// Name of an environment variable holding the key value. Never the value itself.
    pub value_from_env: Option<String>,
    /// Reference an existing key by id instead of creating one.
    pub existing_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuotaDef {
    pub limit: i32,
    /// DAY | WEEK | MONTH
    pub period: String,
    pub offset: i32,
}

#[derive(Debug, Clone)]
pub struct UsagePlanDef {
    pub name: At<String>,
    pub description: Option<String>,
    pub throttle: Option<ThrottleDef>,
    pub quota: Option<QuotaDef>,
    /// Stage names (spec stages) the plan covers.
    pub stages: Vec<At<String>>,
    /// Per-method throttling: (`/path`, METHOD) -> throttle.
    pub method_throttle: Vec<(At<String>, HttpMethod, ThrottleDef)>,
    /// API key names (spec `api_keys`) attached to the plan.
    pub keys: Vec<At<String>>,
}

impl Spec {
    pub fn function(&self, key: &str) -> Option<&FunctionDef> {
        self.functions.iter().find(|f| f.key.value == key)
    }

    pub fn authorizer(&self, name: &str) -> Option<&AuthorizerDef> {
        self.authorizers.iter().find(|a| a.name.value == name)
    }

    /// The effective auth of a route: its own, else the API default, else none.
    pub fn effective_auth(&self, route: &RouteDef) -> AuthRef {
        route
            .auth
            .as_ref()
            .or(self.default_auth.as_ref())
            .map(|a| a.value.clone())
            .unwrap_or(AuthRef::None)
    }
}

// ---------------------------------------------------------------- variables

/// What a spec was resolved with: recorded in plan files and JSON documents.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Resolution {
    /// The selected environment (`--env`, or the spec's default).
    pub environment: Option<String>,
    /// Each variable and built-in the spec used, by name (`var.stage`, `aws.region`,
    /// `env.HOME`, `environment`).
    pub variables: Vec<UsedValue>,
}

/// One value the spec used.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UsedValue {
    pub name: String,
    /// The value as JSON; a value used under `api_keys:` (a possible key value) is
    /// `sha256:HEX` instead, and `secret` is true.
    pub value: serde_json::Value,
    /// `default`, `environment NAME`, `--var-file PATH`, `GWCTL_VAR_NAME`, `--var`, ...
    pub source: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
}
