//! REST API (apigateway v1) configuration shapes, shared by desired and observed state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::PolicyStatement;

/// Default integration timeout API Gateway applies to REST integrations.
pub const DEFAULT_TIMEOUT_MS: i32 = 29_000;
pub const DEFAULT_PASSTHROUGH: &str = "WHEN_NO_MATCH";
/// The description of every model gwctl creates: its ownership mark (models carry no tags).
pub const MODEL_MARK: &str = "gwctl:managed";
/// Models API Gateway creates in every REST API; gwctl never creates, changes or deletes them.
pub const BUILTIN_MODELS: &[&str] = &["Empty", "Error"];

/// Default authorizer result TTL (seconds).
pub const DEFAULT_AUTHORIZER_TTL: i32 = 300;

/// The API-level configuration that a deployment snapshots (plus API attributes).
/// Serialised canonically (BTreeMaps, sorted vectors) to hash it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RestApi {
    pub name: String,
    pub description: Option<String>,
    /// REGIONAL | EDGE | PRIVATE
    pub endpoint_type: String,
    /// Sorted.
    pub binary_media_types: Vec<String>,
    /// HEADER | AUTHORIZER (None = HEADER).
    pub api_key_source: Option<String>,
    /// The resource policy in its canonical form (`state::resource_policy::normalise`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<serde_json::Value>,
    /// PRIVATE APIs: the VPC endpoints associated with the API. Sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vpc_endpoint_ids: Vec<String>,
    /// Resources by full path: `/`, `/todos`, `/todos/{id}`.
    pub resources: BTreeMap<String, Resource>,
    /// Authorizers by name.
    pub authorizers: BTreeMap<String, Authorizer>,
    /// Customised gateway responses by type (`DEFAULT_4XX`). Observed state keeps only
    /// non-default ones.
    pub gateway_responses: BTreeMap<String, GatewayResponse>,
    /// Models (JSON schemas) by name. Desired: the spec's `models:`; observed: every model
    /// but API Gateway's built-in `Empty` and `Error` (read only when the spec declares
    /// models or request validation, or a method uses them: `aws::read::rest`). Left out of
    /// the serialised form when empty, so an API without models hashes as before.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub models: BTreeMap<String, Model>,
    /// Request validators by name. Desired: gwctl's shared ones
    /// ([`crate::plan::rest::models::validator_name`]); observed: every validator.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub request_validators: BTreeMap<String, RequestValidator>,
}

/// A model of a REST API: a JSON Schema (draft 4) for one content type.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Model {
    pub content_type: String,
    /// The schema, parsed (compared as JSON, never as text). References to other models of
    /// the API are written `#/models/NAME` on both sides (the reader folds AWS's
    /// `https://apigateway.amazonaws.com/restapis/{api}/models/NAME` into it; the executor
    /// renders it back).
    pub schema: serde_json::Value,
}

/// A request validator: what API Gateway checks before calling the integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RequestValidator {
    pub body: bool,
    pub parameters: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Resource {
    /// Methods by HTTP verb (`GET`, `OPTIONS`, `ANY`).
    pub methods: BTreeMap<String, Method>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Method {
    /// NONE | AWS_IAM | CUSTOM | COGNITO_USER_POOLS
    pub authorization_type: String,
    /// Authorizer *name* (observed: resolved from the authorizer id).
    pub authorizer: Option<String>,
    /// Sorted.
    pub authorization_scopes: Vec<String>,
    pub api_key_required: bool,
    pub request_parameters: BTreeMap<String, bool>,
    /// By status code.
    pub method_responses: BTreeMap<String, MethodResponse>,
    pub integration: Option<Integration>,
    /// The request validator, by *name* (observed: resolved from `requestValidatorId`).
    /// Left out of the serialised form when unset, so a method without one hashes as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_validator: Option<String>,
    /// `requestModels`: content type -> model name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub request_models: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MethodResponse {
    pub response_models: BTreeMap<String, String>,
    pub response_parameters: BTreeMap<String, bool>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Integration {
    /// AWS_PROXY | AWS | HTTP | HTTP_PROXY | MOCK
    pub kind: String,
    /// Integration HTTP method (POST for Lambda); None for MOCK.
    pub http_method: Option<String>,
    pub uri: Option<String>,
    pub credentials: Option<String>,
    pub request_templates: BTreeMap<String, String>,
    pub request_parameters: BTreeMap<String, String>,
    /// Normalised: None means WHEN_NO_MATCH.
    pub passthrough_behavior: Option<String>,
    pub content_handling: Option<String>,
    /// Normalised: None means 29000.
    pub timeout_ms: Option<i32>,
    /// Method request parameters in the cache key (`method.request.querystring.q`). Sorted.
    /// Left out of the serialised form when empty, so configurations without caching hash
    /// as they did before gwctl knew the field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cache_key_parameters: Vec<String>,
    /// Integration responses by status code.
    pub responses: BTreeMap<String, IntegrationResponse>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct IntegrationResponse {
    /// None and "" are the same (the default response); normalised to None.
    pub selection_pattern: Option<String>,
    pub response_templates: BTreeMap<String, String>,
    pub response_parameters: BTreeMap<String, String>,
    pub content_handling: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Authorizer {
    /// TOKEN | REQUEST | COGNITO_USER_POOLS
    pub kind: String,
    /// Lambda authorizer URI (`arn:aws:apigateway:{region}:lambda:path/.../invocations`).
    pub authorizer_uri: Option<String>,
    pub identity_source: Option<String>,
    pub identity_validation_expression: Option<String>,
    pub ttl_seconds: Option<i32>,
    /// Sorted.
    pub provider_arns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GatewayResponse {
    pub status_code: Option<String>,
    pub response_parameters: BTreeMap<String, String>,
    pub response_templates: BTreeMap<String, String>,
}

/// Stage settings gwctl manages. In desired state `None` means "not managed by the spec";
/// in observed state it means "not set".
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Stage {
    pub description: Option<String>,
    pub variables: BTreeMap<String, String>,
    /// Keyed by `*/*` (stage-wide) or `{resource path}/{METHOD}` e.g. `/todos/GET`
    /// (unescaped, whatever the service returned).
    pub method_settings: BTreeMap<String, MethodSetting>,
    pub tracing_enabled: Option<bool>,
    pub access_log: Option<AccessLog>,
    /// The cache cluster (`cacheClusterEnabled`). Omitted from plan files when not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_cluster_enabled: Option<bool>,
    /// `cacheClusterSize`, e.g. `0.5` (GB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_cluster_size: Option<String>,
    /// The stage's canary (`canarySettings`). Observed: the canary as it is (`None`: the
    /// stage has none). Desired: the settings the spec declares for a canary that exists
    /// (`apply` never creates or removes one; `deploy --canary|--promote|--rollback` do).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<Canary>,
}

/// A REST stage's canary release.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Canary {
    /// The deployment the canary serves (observed only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    /// Share of the stage's traffic, 0.0 to 100.0. Desired `None`: not declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<f64>,
    /// `stageVariableOverrides`. Desired `None`: not declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MethodSetting {
    pub logging_level: Option<String>,
    pub data_trace: Option<bool>,
    pub metrics: Option<bool>,
    pub throttle_rate: Option<f64>,
    pub throttle_burst: Option<i32>,
    /// `caching/enabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caching_enabled: Option<bool>,
    /// `caching/ttlInSeconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_ttl: Option<i32>,
    /// `caching/dataEncrypted`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_encrypted: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AccessLog {
    pub destination_arn: String,
    pub format: String,
}

/// A REST API as read from the account, with the ids the executor needs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ObservedRestApi {
    pub id: String,
    pub tags: BTreeMap<String, String>,
    pub config: RestApi,
    /// Full path -> resource id (always contains `/`).
    pub resource_ids: BTreeMap<String, String>,
    /// Authorizer name -> id.
    pub authorizer_ids: BTreeMap<String, String>,
    /// Request validator name -> id (the first listed of a name).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub validator_ids: BTreeMap<String, String>,
    /// Models gwctl created (their description is [`MODEL_MARK`]): the only ones it deletes.
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub owned_models: std::collections::BTreeSet<String>,
    /// Whether models and request validators were read (`config.models`,
    /// `config.request_validators`); when not, those maps are empty because unknown.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub validation_read: bool,
    pub stages: BTreeMap<String, ObservedStage>,
    pub deployments: BTreeMap<String, Deployment>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ObservedStage {
    pub deployment_id: Option<String>,
    pub settings: Stage,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Deployment {
    pub id: String,
    pub description: Option<String>,
}

/// `cacheTtlInSeconds` as API Gateway reports it in a method setting nobody set a TTL on.
pub const DEFAULT_CACHE_TTL: i32 = 300;

impl ObservedRestApi {
    /// This API as its fingerprint hashes it (`engine::Prepared::fingerprint`): the stage
    /// cache settings the reader gained with caching are left out where they hold the value
    /// the service reports when nobody set them (cache cluster off; a method setting's
    /// caching off, TTL [`DEFAULT_CACHE_TTL`], not encrypted). A stage without caching then
    /// hashes as earlier builds hashed it, so their saved plans are not refused after an
    /// upgrade. Nothing is lost: the reader always gives these fields a value, so a change
    /// to or from the default still changes the fingerprint.
    pub fn fingerprinted(&self) -> ObservedRestApi {
        let mut api = self.clone();
        fn unset<T: PartialEq>(v: &mut Option<T>, default: T) {
            if v.as_ref() == Some(&default) {
                *v = None;
            }
        }
        for st in api.stages.values_mut() {
            unset(&mut st.settings.cache_cluster_enabled, false);
            for m in st.settings.method_settings.values_mut() {
                unset(&mut m.caching_enabled, false);
                unset(&mut m.cache_ttl, DEFAULT_CACHE_TTL);
                unset(&mut m.cache_encrypted, false);
            }
        }
        api
    }
}

/// A candidate API found by name in get-rest-apis.
#[derive(Debug, Clone)]
pub struct ApiSummary {
    pub id: String,
    pub name: String,
    pub tags: BTreeMap<String, String>,
    pub created_epoch: Option<i64>,
    /// The API's own attributes as the listing gave them (REST APIs: get-rest-apis answers
    /// every attribute get-rest-api does), so reading the chosen API needs no second call.
    pub head: Option<ApiHead>,
}

/// A REST API's own attributes (what get-rest-api and each get-rest-apis item carry), besides
/// its id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApiHead {
    pub name: String,
    pub description: Option<String>,
    pub endpoint_type: String,
    pub binary_media_types: Vec<String>,
    pub api_key_source: Option<String>,
    /// The resource policy as returned (see `state::resource_policy::parse_returned`).
    pub policy: Option<String>,
    pub vpc_endpoint_ids: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

/// Lambda policies of the functions involved, by unqualified function ARN + qualifier
/// (the key is `ResolvedFunction::invoke_arn()`).
pub type Policies = BTreeMap<String, Vec<PolicyStatement>>;

impl Integration {
    /// The integration as a plan shows it: the defaults normalisation drops (timeout,
    /// passthrough) written out, so a field going back to its default shows the default,
    /// never "(none)".
    pub fn shown(&self) -> Integration {
        let mut i = self.clone();
        i.timeout_ms.get_or_insert(DEFAULT_TIMEOUT_MS);
        i.passthrough_behavior
            .get_or_insert_with(|| DEFAULT_PASSTHROUGH.to_string());
        i
    }

    /// Bring a configuration into the canonical form both sides are compared in.
    pub fn normalize(&mut self) {
        if self.timeout_ms == Some(DEFAULT_TIMEOUT_MS) {
            self.timeout_ms = None;
        }
        if self.passthrough_behavior.as_deref() == Some(DEFAULT_PASSTHROUGH) {
            self.passthrough_behavior = None;
        }
        self.cache_key_parameters.sort();
        self.cache_key_parameters.dedup();
        for r in self.responses.values_mut() {
            if r.selection_pattern.as_deref() == Some("") {
                r.selection_pattern = None;
            }
        }
    }
}

impl RestApi {
    pub fn normalize(&mut self) {
        self.binary_media_types.sort();
        self.vpc_endpoint_ids.sort();
        if self.api_key_source.as_deref() == Some("HEADER") {
            self.api_key_source = None;
        }
        for res in self.resources.values_mut() {
            for m in res.methods.values_mut() {
                m.authorization_scopes.sort();
                if let Some(i) = m.integration.as_mut() {
                    i.normalize();
                }
            }
        }
        for a in self.authorizers.values_mut() {
            a.provider_arns.sort();
            // API Gateway caches authorizer results for 300 s unless told otherwise, and
            // returns that default (Cognito authorizers included).
            if a.ttl_seconds.is_none() {
                a.ttl_seconds = Some(DEFAULT_AUTHORIZER_TTL);
            }
        }
    }
}
