//! HTTP API (apigatewayv2) configuration shapes, shared by desired and observed state.
//!
//! Objects are keyed by what the spec knows, never by AWS ids:
//! - routes by route key (`GET /items/{id}`, `ANY /{proxy+}`, `$default`);
//! - integrations by a *target key* derived from what they call ([`integration_keys`]):
//!   `lambda:{function ARN}` or `http:{METHOD} {uri}`. Routes that call the same target share
//!   one integration; only when one target is called with different settings (payload format,
//!   timeout, parameter mapping, role) does each variant get its own key, suffixed `#{hash}`;
//! - authorizers by name; stages by name.
//!
//! Both sides are normalised the same way ([`HttpApi::normalize`], [`Integration::normalize`],
//! ...), so a converged API compares equal to its spec.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::rest::Deployment;
pub use super::v2::{base_key, duplicate_key, integration_keys};
use super::v2::{
    id_of, raw_authorizers, raw_integrations, raw_target, route_key_of, Keyed, ObservedV2,
    RouteSettings, V2Integration,
};

/// Integration timeout HTTP APIs apply when none is given.
pub const DEFAULT_TIMEOUT_MS: i32 = 30_000;
/// Payload format of Lambda proxy integrations and authorizers unless the spec says otherwise.
pub const DEFAULT_PAYLOAD_FORMAT: &str = "2.0";
/// The catch-all route key and the stage served at the API's root URL.
pub const DEFAULT_KEY: &str = "$default";

/// What a deployment snapshots (routes, integrations, authorizers, CORS) plus the API's own
/// attributes. Serialised canonically to hash it.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct HttpApi {
    pub name: String,
    pub description: Option<String>,
    pub disable_execute_api_endpoint: bool,
    pub cors: Option<Cors>,
    /// By route key.
    pub routes: BTreeMap<String, Route>,
    /// By target key.
    pub integrations: BTreeMap<String, Integration>,
    /// By name.
    pub authorizers: BTreeMap<String, Authorizer>,
}

/// The API's CORS configuration. Header names are compared case-insensitively (API Gateway
/// stores them lowercased), every list as a set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Cors {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age: Option<i32>,
    pub allow_credentials: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Route {
    /// Target key of the integration the route sends to (observed: the raw
    /// `integrations/{id}` target when the integration is unknown).
    pub target: Option<String>,
    /// NONE | JWT | AWS_IAM | CUSTOM
    pub authorization_type: String,
    /// Authorizer *name* (observed: resolved from the id; the raw id when unknown).
    pub authorizer: Option<String>,
    /// Sorted.
    pub authorization_scopes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Integration {
    /// AWS_PROXY | HTTP_PROXY
    pub kind: String,
    /// Lambda: the function ARN (qualified with an alias/version when the spec names one);
    /// HTTP: the URL.
    pub uri: String,
    /// HTTP_PROXY: the method sent to the backend. None for Lambda (always POST).
    pub method: Option<String>,
    /// Lambda: "1.0" | "2.0". None for HTTP_PROXY (always "1.0").
    pub payload_format_version: Option<String>,
    /// None = 30000.
    pub timeout_ms: Option<i32>,
    /// Parameter mapping (`overwrite:header.x` -> `$request.header.y`).
    pub request_parameters: BTreeMap<String, String>,
    /// A role API Gateway assumes to invoke the backend.
    pub credentials_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Authorizer {
    /// JWT | REQUEST
    pub kind: String,
    pub identity_source: Vec<String>,
    /// JWT: issuer URL.
    pub issuer: Option<String>,
    /// JWT: audiences, sorted.
    pub audience: Vec<String>,
    /// REQUEST: `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations`.
    pub authorizer_uri: Option<String>,
    /// REQUEST: "1.0" | "2.0".
    pub payload_format_version: Option<String>,
    /// REQUEST: result TTL in seconds.
    pub ttl_seconds: Option<i32>,
    /// REQUEST with payload 2.0: simple boolean responses.
    pub simple_responses: Option<bool>,
}

/// Stage settings gwctl manages (see [`super::v2::Stage`]): stage-wide throttling and
/// detailed metrics, and the same per route.
pub type Stage = super::v2::Stage<RouteSetting>;

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct RouteSetting {
    pub metrics: Option<bool>,
    pub throttle_rate: Option<f64>,
    pub throttle_burst: Option<i32>,
}

impl RouteSettings for RouteSetting {
    fn overlay(self, want: &Self) -> Self {
        RouteSetting {
            metrics: want.metrics.or(self.metrics),
            throttle_rate: want.throttle_rate.or(self.throttle_rate),
            throttle_burst: want.throttle_burst.or(self.throttle_burst),
        }
    }

    /// Detailed metrics absent mean off.
    fn settled(self) -> Self {
        RouteSetting {
            metrics: Some(self.metrics.unwrap_or(false)),
            ..self
        }
    }

    fn shown(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("metrics", self.metrics.map(|b| b.to_string())),
            ("throttle.rate", self.throttle_rate.map(|v| v.to_string())),
            ("throttle.burst", self.throttle_burst.map(|v| v.to_string())),
        ]
    }
}

/// An HTTP API as read from the account, with the ids the executor needs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ObservedHttpApi {
    pub id: String,
    pub tags: BTreeMap<String, String>,
    pub config: HttpApi,
    /// Route key -> route id.
    pub route_ids: BTreeMap<String, String>,
    /// Target key -> integration id.
    pub integration_ids: BTreeMap<String, String>,
    /// Authorizer name -> id.
    pub authorizer_ids: BTreeMap<String, String>,
    pub stages: BTreeMap<String, ObservedStage>,
    /// By deployment id.
    pub deployments: BTreeMap<String, Deployment>,
    /// Whether the whole authorizer list could be read. False when the reader fell back to
    /// reading the authorizers routes refer to one by one: authorizers no route uses are
    /// then invisible.
    pub authorizers_complete: bool,
    /// Whether the deployment list could be read. False when the reader fell back to "no
    /// deployment known" (stages with auto-deploy off are then deployed again).
    pub deployments_complete: bool,
    /// What the reader could not read completely, for the report.
    pub notes: Vec<String>,
}

pub type ObservedStage = super::v2::ObservedStage<RouteSetting>;

/// A route as the service lists it: ids, not names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawRoute {
    pub id: String,
    pub route_key: String,
    /// `integrations/{id}`, or anything else the route was given.
    pub target: Option<String>,
    pub authorization_type: String,
    pub authorizer_id: Option<String>,
    pub authorization_scopes: Vec<String>,
}

/// An HTTP API as the service lists it (objects by id). [`RawHttpApi::assemble`] turns it
/// into the keyed [`ObservedHttpApi`] the planner compares; the reader and the planner's
/// simulator both go through it, so they key objects identically.
#[derive(Debug, Clone, Default)]
pub struct RawHttpApi {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub disable_execute_api_endpoint: bool,
    pub cors: Option<Cors>,
    pub tags: BTreeMap<String, String>,
    pub routes: Vec<RawRoute>,
    /// (id, configuration).
    pub integrations: Vec<(String, Integration)>,
    /// (id, name, configuration).
    pub authorizers: Vec<(String, String, Authorizer)>,
    pub stages: BTreeMap<String, ObservedStage>,
    pub deployments: BTreeMap<String, Deployment>,
    pub authorizers_complete: bool,
    pub deployments_complete: bool,
    pub notes: Vec<String>,
}

impl RawHttpApi {
    /// Key every object (see the module documentation); the first by id keeps a duplicated
    /// route key or authorizer name.
    pub fn assemble(mut self) -> ObservedHttpApi {
        let k = Keyed::of(self.integrations, self.authorizers);
        let mut config = HttpApi {
            name: self.name,
            description: self.description,
            disable_execute_api_endpoint: self.disable_execute_api_endpoint,
            cors: self.cors,
            ..Default::default()
        };
        self.routes.sort_by(|a, b| a.id.cmp(&b.id));
        let mut route_ids = BTreeMap::new();
        for r in self.routes {
            let key = route_key_of(&route_ids, &r.route_key, &r.id);
            route_ids.insert(key.clone(), r.id);
            config.routes.insert(
                key,
                Route {
                    target: k.target(r.target),
                    authorization_type: r.authorization_type,
                    authorizer: k.authorizer(r.authorizer_id),
                    authorization_scopes: r.authorization_scopes,
                },
            );
        }
        config.integrations = k.integrations;
        config.authorizers = k.authorizers;
        config.normalize();
        ObservedHttpApi {
            id: self.id,
            tags: self.tags,
            config,
            route_ids,
            integration_ids: k.integration_ids,
            authorizer_ids: k.authorizer_ids,
            stages: self.stages,
            deployments: self.deployments,
            authorizers_complete: self.authorizers_complete,
            deployments_complete: self.deployments_complete,
            notes: self.notes,
        }
    }
}

impl ObservedV2 for ObservedHttpApi {
    type Setting = RouteSetting;
    fn stages(&self) -> &BTreeMap<String, ObservedStage> {
        &self.stages
    }
    fn deployments(&self) -> &BTreeMap<String, Deployment> {
        &self.deployments
    }
    fn deployments_complete(&self) -> bool {
        self.deployments_complete
    }
    fn notes(&self) -> &[String] {
        &self.notes
    }
}

impl ObservedHttpApi {
    /// Back to the service's view (objects by id): what [`RawHttpApi::assemble`] was given,
    /// up to ordering and normalisation.
    pub fn to_raw(&self) -> RawHttpApi {
        let c = &self.config;
        RawHttpApi {
            id: self.id.clone(),
            name: c.name.clone(),
            description: c.description.clone(),
            disable_execute_api_endpoint: c.disable_execute_api_endpoint,
            cors: c.cors.clone(),
            tags: self.tags.clone(),
            routes: c
                .routes
                .iter()
                .map(|(key, r)| RawRoute {
                    id: id_of(&self.route_ids, key),
                    route_key: base_key(key).to_string(),
                    target: raw_target(&self.integration_ids, &r.target),
                    authorization_type: r.authorization_type.clone(),
                    authorizer_id: r
                        .authorizer
                        .as_ref()
                        .map(|a| id_of(&self.authorizer_ids, a)),
                    authorization_scopes: r.authorization_scopes.clone(),
                })
                .collect(),
            integrations: raw_integrations(&c.integrations, &self.integration_ids),
            authorizers: raw_authorizers(&c.authorizers, &self.authorizer_ids),
            stages: self.stages.clone(),
            deployments: self.deployments.clone(),
            authorizers_complete: self.authorizers_complete,
            deployments_complete: self.deployments_complete,
            notes: self.notes.clone(),
        }
    }
}

/// The invoke URL of a stage: the API's root for `$default`, `/{stage}` below it otherwise.
pub fn invoke_url(api_id: &str, region: &str, stage: &str) -> String {
    let root = format!("https://{api_id}.execute-api.{region}.amazonaws.com");
    if stage == DEFAULT_KEY {
        root
    } else {
        format!("{root}/{stage}")
    }
}

/// The route key of a route: `$default`, or `METHOD /path`.
pub fn route_key(method: &str, path: &str) -> String {
    if path == DEFAULT_KEY {
        DEFAULT_KEY.to_string()
    } else {
        format!("{method} {path}")
    }
}

fn sorted_dedup(v: &mut Vec<String>) {
    v.sort();
    v.dedup();
}

impl Cors {
    pub fn normalize(&mut self) {
        for h in self
            .allow_headers
            .iter_mut()
            .chain(self.expose_headers.iter_mut())
        {
            *h = h.to_ascii_lowercase();
        }
        for m in self.allow_methods.iter_mut() {
            *m = m.to_ascii_uppercase();
        }
        sorted_dedup(&mut self.allow_origins);
        sorted_dedup(&mut self.allow_methods);
        sorted_dedup(&mut self.allow_headers);
        sorted_dedup(&mut self.expose_headers);
    }
}

impl Route {
    pub fn normalize(&mut self) {
        sorted_dedup(&mut self.authorization_scopes);
        if self.authorization_type.is_empty() {
            self.authorization_type = "NONE".into();
        }
        // Only JWT and CUSTOM routes use an authorizer (the emulator keeps a stale id and
        // scopes after a route moves to NONE).
        if !matches!(self.authorization_type.as_str(), "JWT" | "CUSTOM") {
            self.authorizer = None;
            self.authorization_scopes.clear();
        }
    }
}

impl Integration {
    /// The integration as a plan shows it: the default timeout normalisation drops written
    /// out, so a timeout going back to its default shows it, never "(none)".
    pub fn shown(&self) -> Integration {
        let mut i = self.clone();
        i.timeout_ms.get_or_insert(DEFAULT_TIMEOUT_MS);
        if i.kind == "HTTP_PROXY" {
            i.payload_format_version.get_or_insert_with(|| "1.0".into());
        }
        i
    }

    pub fn normalize(&mut self) {
        if self.timeout_ms == Some(DEFAULT_TIMEOUT_MS) || self.timeout_ms == Some(0) {
            self.timeout_ms = None;
        }
        match self.kind.as_str() {
            "AWS_PROXY" => {
                // Written as the function ARN; the invocation-URI form means the same.
                if let Some(f) = super::function_from_uri(&self.uri) {
                    self.uri = f;
                }
                self.method = None;
            }
            "HTTP_PROXY" => {
                if self.payload_format_version.as_deref() == Some("1.0") {
                    self.payload_format_version = None;
                }
                if let Some(m) = self.method.as_mut() {
                    *m = m.to_ascii_uppercase();
                }
            }
            _ => {}
        }
    }

    /// What the integration calls: `lambda:{function ARN}` or `http:{METHOD} {uri}`.
    pub fn target(&self) -> String {
        match self.kind.as_str() {
            "AWS_PROXY" => format!("lambda:{}", self.uri),
            "HTTP_PROXY" => format!(
                "http:{} {}",
                self.method.as_deref().unwrap_or("ANY"),
                self.uri
            ),
            other => format!("{}:{}", other.to_ascii_lowercase(), self.uri),
        }
    }

    /// A short stable digest of every setting, to tell variants of one target apart.
    pub fn digest(&self) -> String {
        V2Integration::digest(self)
    }
}

impl V2Integration for Integration {
    fn normalize(&mut self) {
        Integration::normalize(self)
    }
    fn target(&self) -> String {
        Integration::target(self)
    }
}

impl Authorizer {
    pub fn normalize(&mut self) {
        self.audience.sort();
        match self.kind.as_str() {
            "JWT" => {
                self.authorizer_uri = None;
                self.payload_format_version = None;
                self.ttl_seconds = None;
                self.simple_responses = None;
            }
            "REQUEST" => {
                self.issuer = None;
                self.audience.clear();
                self.ttl_seconds.get_or_insert(0);
                self.simple_responses.get_or_insert(false);
            }
            _ => {}
        }
    }
}

impl HttpApi {
    pub fn normalize(&mut self) {
        if self.description.as_deref() == Some("") {
            self.description = None;
        }
        if let Some(c) = self.cors.as_mut() {
            c.normalize();
        }
        for r in self.routes.values_mut() {
            r.normalize();
        }
        for i in self.integrations.values_mut() {
            i.normalize();
        }
        for a in self.authorizers.values_mut() {
            a.normalize();
        }
    }

    /// The part of the configuration a deployment snapshots (what stages serve), canonically
    /// serialised: routes, integrations, authorizers and CORS.
    pub fn deployed_part(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct Deployed<'a> {
            cors: &'a Option<Cors>,
            routes: &'a BTreeMap<String, Route>,
            integrations: &'a BTreeMap<String, Integration>,
            authorizers: &'a BTreeMap<String, Authorizer>,
        }
        serde_json::to_vec(&Deployed {
            cors: &self.cors,
            routes: &self.routes,
            integrations: &self.integrations,
            authorizers: &self.authorizers,
        })
        .expect("configuration serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lambda(arn: &str) -> Integration {
        Integration {
            kind: "AWS_PROXY".into(),
            uri: arn.into(),
            payload_format_version: Some("2.0".into()),
            ..Default::default()
        }
    }

    #[test]
    fn one_configuration_per_target_keeps_the_plain_target_key() {
        let a = lambda("arn:aws:lambda:us-east-1:1:function:a");
        let b = lambda("arn:aws:lambda:us-east-1:1:function:b");
        let keys = integration_keys(&[a.clone(), b, a]);
        assert_eq!(
            keys,
            vec![
                "lambda:arn:aws:lambda:us-east-1:1:function:a",
                "lambda:arn:aws:lambda:us-east-1:1:function:b",
                "lambda:arn:aws:lambda:us-east-1:1:function:a~2",
            ]
        );
    }

    #[test]
    fn variants_of_one_target_get_digest_suffixes() {
        let a = lambda("arn:aws:lambda:us-east-1:1:function:a");
        let a1 = Integration {
            payload_format_version: Some("1.0".into()),
            ..a.clone()
        };
        let keys = integration_keys(&[a.clone(), a1.clone()]);
        assert_eq!(
            keys[0],
            format!(
                "lambda:arn:aws:lambda:us-east-1:1:function:a#{}",
                a.digest()
            )
        );
        assert_eq!(
            keys[1],
            format!(
                "lambda:arn:aws:lambda:us-east-1:1:function:a#{}",
                a1.digest()
            )
        );
        assert_ne!(keys[0], keys[1]);
    }

    #[test]
    fn normalisation_folds_defaults_and_header_case() {
        let mut i = Integration {
            kind: "AWS_PROXY".into(),
            uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:a/invocations".into(),
            method: Some("POST".into()),
            timeout_ms: Some(30_000),
            ..Default::default()
        };
        i.normalize();
        assert_eq!(i.uri, "arn:aws:lambda:us-east-1:1:function:a");
        assert_eq!((i.method, i.timeout_ms), (None, None));

        let mut c = Cors {
            allow_headers: vec!["Content-Type".into(), "authorization".into()],
            allow_methods: vec!["post".into(), "GET".into()],
            ..Default::default()
        };
        c.normalize();
        assert_eq!(c.allow_headers, vec!["authorization", "content-type"]);
        assert_eq!(c.allow_methods, vec!["GET", "POST"]);

        let mut r = Route {
            authorization_type: "NONE".into(),
            authorizer: Some("stale".into()),
            authorization_scopes: vec!["s".into()],
            ..Default::default()
        };
        r.normalize();
        assert_eq!((r.authorizer, r.authorization_scopes.len()), (None, 0));
    }

    #[test]
    fn invoke_urls_follow_the_stage_name() {
        assert_eq!(
            invoke_url("abc", "eu-west-1", "$default"),
            "https://abc.execute-api.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            invoke_url("abc", "eu-west-1", "prod"),
            "https://abc.execute-api.eu-west-1.amazonaws.com/prod"
        );
    }
}
