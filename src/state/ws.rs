//! WebSocket API (apigatewayv2, protocol WEBSOCKET) configuration shapes, shared by desired
//! and observed state.
//!
//! Keyed as for HTTP APIs ([`super::http`]): routes by route key (`$connect`, `sendmessage`),
//! integrations by target key ([`integration_keys`]: `lambda:{ARN}`, `aws:{ARN}`,
//! `http:{METHOD} {uri}`, `http_proxy:{METHOD} {uri}`, `mock:`, suffixed `#{digest}` when one
//! target is called with different settings), authorizers and stages by name. A two-way
//! route has a `$default` route response ([`WsApi::route_responses`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::rest::Deployment;
pub use super::v2::integration_keys;
use super::v2::{
    base_key, id_of, raw_authorizers, raw_integrations, raw_target, route_key_of, Keyed,
    ObservedV2, RouteSettings, V2Integration,
};

/// Integration timeout WebSocket APIs apply when none is given.
pub const DEFAULT_TIMEOUT_MS: i32 = 29_000;
/// The route response key (and route response selection expression) of two-way routes.
pub const DEFAULT_KEY: &str = "$default";
/// What API Gateway does with a message no template matches unless told.
pub const DEFAULT_PASSTHROUGH: &str = "WHEN_NO_MATCH";

/// What a deployment snapshots (routes, route responses, integrations, authorizers) plus the
/// API's own attributes.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct WsApi {
    pub name: String,
    pub description: Option<String>,
    pub route_selection_expression: String,
    pub api_key_selection_expression: Option<String>,
    /// By route key.
    pub routes: BTreeMap<String, Route>,
    /// Route keys of the routes with a `$default` route response (two-way routes).
    pub route_responses: BTreeSet<String>,
    /// By target key.
    pub integrations: BTreeMap<String, Integration>,
    /// By name.
    pub authorizers: BTreeMap<String, Authorizer>,
    /// Integration responses of custom integrations: target key -> response key -> response.
    /// Desired: only the integrations whose spec declares `responses:`; observed: every
    /// integration that has any.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub integration_responses: BTreeMap<String, BTreeMap<String, IntegrationResponse>>,
}

/// An integration response of a custom (AWS, HTTP, MOCK) integration, by its key (`$default`
/// or `/regex/`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IntegrationResponse {
    /// Template selection key -> template.
    pub templates: BTreeMap<String, String>,
    pub template_selection_expression: Option<String>,
    /// CONVERT_TO_TEXT | CONVERT_TO_BINARY.
    pub content_handling: Option<String>,
}

impl IntegrationResponse {
    pub fn normalize(&mut self) {
        // API Gateway stores an empty template as null; gwctl never writes one.
        self.templates.retain(|_, v| !v.is_empty());
        if self.template_selection_expression.as_deref() == Some("") {
            self.template_selection_expression = None;
        }
    }
}

/// Whether integrations of this type (AWS_PROXY, AWS, ...) can have integration responses:
/// the custom ones (proxies pass the backend's answer through as it is).
pub fn has_integration_responses(kind: &str) -> bool {
    matches!(kind, "AWS" | "HTTP" | "MOCK")
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Route {
    /// Target key of the integration (observed: the raw target when it is unknown).
    pub target: Option<String>,
    /// NONE | AWS_IAM | CUSTOM
    pub authorization_type: String,
    /// Authorizer *name* (observed: resolved from the id; the raw id when unknown).
    pub authorizer: Option<String>,
    /// `$default` for two-way routes.
    pub route_response_selection_expression: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Integration {
    /// AWS_PROXY | AWS | HTTP_PROXY | HTTP | MOCK
    pub kind: String,
    /// Lambda: the function ARN (qualified when the spec names an alias); HTTP: the URL;
    /// MOCK: empty.
    pub uri: String,
    /// HTTP and HTTP_PROXY: the method sent to the backend (Lambda: always POST).
    pub method: Option<String>,
    /// None = 29000.
    pub timeout_ms: Option<i32>,
    pub credentials_arn: Option<String>,
    /// Custom integrations: template selection key -> template.
    pub request_templates: BTreeMap<String, String>,
    pub template_selection_expression: Option<String>,
    /// None = WHEN_NO_MATCH.
    pub passthrough_behavior: Option<String>,
    pub content_handling: Option<String>,
    /// `integration.request.*` -> source (`route.request.body.x`, `context.connectionId`,
    /// `'static'`). Desired: of an integration whose spec is silent about them, the live ones
    /// ([`crate::plan::ws::DesiredWs::keep_undeclared`]). Left out of the serialisation when
    /// empty, so digests and deployment fingerprints of integrations without any are what
    /// they were before gwctl managed them. In an `UpdateIntegration` op: what is sent, a
    /// removed key with the value `""` (the service merges the map).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub request_parameters: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Authorizer {
    /// REQUEST
    pub kind: String,
    pub identity_source: Vec<String>,
    /// `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations`.
    pub authorizer_uri: Option<String>,
}

/// Stage settings gwctl manages (see [`super::v2::Stage`]): stage-wide logging, data trace,
/// metrics and throttling, and the same per route.
pub type Stage = super::v2::Stage<RouteSetting>;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RouteSetting {
    /// OFF | ERROR | INFO
    pub logging_level: Option<String>,
    pub data_trace: Option<bool>,
    pub metrics: Option<bool>,
    pub throttle_rate: Option<f64>,
    pub throttle_burst: Option<i32>,
}

impl RouteSettings for RouteSetting {
    fn overlay(self, want: &Self) -> Self {
        RouteSetting {
            logging_level: want.logging_level.clone().or(self.logging_level),
            data_trace: want.data_trace.or(self.data_trace),
            metrics: want.metrics.or(self.metrics),
            throttle_rate: want.throttle_rate.or(self.throttle_rate),
            throttle_burst: want.throttle_burst.or(self.throttle_burst),
        }
    }

    /// Detailed metrics and data trace absent mean off. (Logging absent is left as is: a
    /// route without its own level uses the stage's.)
    fn settled(self) -> Self {
        RouteSetting {
            metrics: Some(self.metrics.unwrap_or(false)),
            data_trace: Some(self.data_trace.unwrap_or(false)),
            ..self
        }
    }

    fn shown(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("logging", self.logging_level.clone()),
            ("data_trace", self.data_trace.map(|b| b.to_string())),
            ("metrics", self.metrics.map(|b| b.to_string())),
            ("throttle.rate", self.throttle_rate.map(|v| v.to_string())),
            ("throttle.burst", self.throttle_burst.map(|v| v.to_string())),
        ]
    }
}

/// A WebSocket API as read from the account, with the ids the executor needs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ObservedWsApi {
    pub id: String,
    pub tags: BTreeMap<String, String>,
    pub config: WsApi,
    /// Route key -> route id.
    pub route_ids: BTreeMap<String, String>,
    /// Route key -> id of its `$default` route response.
    pub route_response_ids: BTreeMap<String, String>,
    /// Target key -> integration id.
    pub integration_ids: BTreeMap<String, String>,
    /// Authorizer name -> id.
    pub authorizer_ids: BTreeMap<String, String>,
    /// Target key -> response key -> integration response id.
    pub integration_response_ids: BTreeMap<String, BTreeMap<String, String>>,
    pub stages: BTreeMap<String, ObservedStage>,
    /// By deployment id.
    pub deployments: BTreeMap<String, Deployment>,
    /// Whether the deployment list could be read.
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
    pub route_response_selection_expression: Option<String>,
    /// (id, route response key) of its route responses.
    pub responses: Vec<(String, String)>,
}

/// An integration response as the service lists it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawIntegrationResponse {
    pub integration_id: String,
    pub id: String,
    pub key: String,
    pub def: IntegrationResponse,
}

/// A WebSocket API as the service lists it (objects by id); [`RawWsApi::assemble`] keys it.
/// The reader and the planner's simulator both go through it.
#[derive(Debug, Clone, Default)]
pub struct RawWsApi {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub route_selection_expression: String,
    pub api_key_selection_expression: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub routes: Vec<RawRoute>,
    pub integrations: Vec<(String, Integration)>,
    /// (id, name, configuration).
    pub authorizers: Vec<(String, String, Authorizer)>,
    pub integration_responses: Vec<RawIntegrationResponse>,
    pub stages: BTreeMap<String, ObservedStage>,
    pub deployments: BTreeMap<String, Deployment>,
    pub deployments_complete: bool,
    pub notes: Vec<String>,
}

impl RawWsApi {
    /// Key every object; the first by id keeps a duplicated route key or authorizer name.
    pub fn assemble(mut self) -> ObservedWsApi {
        let k = Keyed::of(self.integrations, self.authorizers);
        let mut config = WsApi {
            name: self.name,
            description: self.description,
            route_selection_expression: self.route_selection_expression,
            api_key_selection_expression: self.api_key_selection_expression,
            ..Default::default()
        };
        self.routes.sort_by(|a, b| a.id.cmp(&b.id));
        let mut route_ids = BTreeMap::new();
        let mut route_response_ids = BTreeMap::new();
        for r in self.routes {
            let key = route_key_of(&route_ids, &r.route_key, &r.id);
            let mut responses = r.responses;
            responses.sort();
            if let Some((id, _)) = responses.iter().find(|(_, k)| k == DEFAULT_KEY) {
                route_response_ids.insert(key.clone(), id.clone());
                config.route_responses.insert(key.clone());
            }
            route_ids.insert(key.clone(), r.id);
            config.routes.insert(
                key,
                Route {
                    target: k.target(r.target),
                    authorization_type: r.authorization_type,
                    authorizer: k.authorizer(r.authorizer_id),
                    route_response_selection_expression: r.route_response_selection_expression,
                },
            );
        }
        // By integration, then key; the first by id keeps a duplicated key.
        self.integration_responses.sort_by(|a, b| a.id.cmp(&b.id));
        let mut integration_response_ids: BTreeMap<String, BTreeMap<String, String>> =
            BTreeMap::new();
        for r in self.integration_responses {
            let Some(ikey) = k.integration_keys_by_id.get(&r.integration_id) else {
                continue;
            };
            let ids = integration_response_ids.entry(ikey.clone()).or_default();
            if ids.contains_key(&r.key) {
                continue;
            }
            ids.insert(r.key.clone(), r.id);
            config
                .integration_responses
                .entry(ikey.clone())
                .or_default()
                .insert(r.key, r.def);
        }
        config.integrations = k.integrations;
        config.authorizers = k.authorizers;
        config.normalize();
        ObservedWsApi {
            id: self.id,
            tags: self.tags,
            config,
            route_ids,
            route_response_ids,
            integration_ids: k.integration_ids,
            authorizer_ids: k.authorizer_ids,
            integration_response_ids,
            stages: self.stages,
            deployments: self.deployments,
            deployments_complete: self.deployments_complete,
            notes: self.notes,
        }
    }
}

impl ObservedV2 for ObservedWsApi {
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

impl ObservedWsApi {
    /// Back to the service's view (objects by id).
    pub fn to_raw(&self) -> RawWsApi {
        let c = &self.config;
        RawWsApi {
            id: self.id.clone(),
            name: c.name.clone(),
            description: c.description.clone(),
            route_selection_expression: c.route_selection_expression.clone(),
            api_key_selection_expression: c.api_key_selection_expression.clone(),
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
                    route_response_selection_expression: r
                        .route_response_selection_expression
                        .clone(),
                    responses: self
                        .route_response_ids
                        .get(key)
                        .map(|id| vec![(id.clone(), DEFAULT_KEY.to_string())])
                        .unwrap_or_default(),
                })
                .collect(),
            integrations: raw_integrations(&c.integrations, &self.integration_ids),
            authorizers: raw_authorizers(&c.authorizers, &self.authorizer_ids),
            integration_responses: c
                .integration_responses
                .iter()
                .flat_map(|(ikey, rs)| {
                    let ids = self.integration_response_ids.get(ikey);
                    rs.iter().map(move |(key, def)| RawIntegrationResponse {
                        integration_id: id_of(&self.integration_ids, ikey),
                        id: ids
                            .map(|ids| id_of(ids, key))
                            .unwrap_or_else(|| key.clone()),
                        key: key.clone(),
                        def: def.clone(),
                    })
                })
                .collect(),
            stages: self.stages.clone(),
            deployments: self.deployments.clone(),
            deployments_complete: self.deployments_complete,
            notes: self.notes.clone(),
        }
    }
}

/// The URL clients connect to: `wss://{api}.execute-api.{region}.amazonaws.com/{stage}`.
pub fn wss_url(api_id: &str, region: &str, stage: &str) -> String {
    format!("wss://{api_id}.execute-api.{region}.amazonaws.com/{stage}")
}

/// The URL backends post to clients through (the `@connections` API of the stage).
pub fn callback_url(api_id: &str, region: &str, stage: &str) -> String {
    format!("https://{api_id}.execute-api.{region}.amazonaws.com/{stage}/@connections")
}

impl Route {
    pub fn normalize(&mut self) {
        if self.authorization_type.is_empty() {
            self.authorization_type = "NONE".into();
        }
        if self.authorization_type != "CUSTOM" {
            self.authorizer = None;
        }
        if self.route_response_selection_expression.as_deref() == Some("") {
            self.route_response_selection_expression = None;
        }
    }
}

impl Integration {
    /// The integration as a plan shows it (defaults written out).
    pub fn shown(&self) -> Integration {
        let mut i = self.clone();
        i.timeout_ms.get_or_insert(DEFAULT_TIMEOUT_MS);
        i
    }

    pub fn normalize(&mut self) {
        if self.timeout_ms == Some(DEFAULT_TIMEOUT_MS) || self.timeout_ms == Some(0) {
            self.timeout_ms = None;
        }
        if matches!(self.kind.as_str(), "AWS_PROXY" | "AWS") {
            // Written as the invocation URI; the function ARN is what it calls.
            if let Some(f) = super::function_from_uri(&self.uri) {
                self.uri = f;
            }
            self.method = None;
        }
        if let Some(m) = self.method.as_mut() {
            *m = m.to_ascii_uppercase();
        }
        if matches!(self.kind.as_str(), "AWS_PROXY" | "HTTP_PROXY") {
            // Proxies pass the message through as it is.
            self.request_templates.clear();
            self.template_selection_expression = None;
            self.passthrough_behavior = None;
            self.content_handling = None;
        }
        if self.passthrough_behavior.as_deref() == Some(DEFAULT_PASSTHROUGH) {
            self.passthrough_behavior = None;
        }
        if self.template_selection_expression.as_deref() == Some("") {
            self.template_selection_expression = None;
        }
        if self.kind == "MOCK" {
            self.uri.clear();
        }
    }

    /// What the integration calls.
    pub fn target(&self) -> String {
        match self.kind.as_str() {
            "AWS_PROXY" => format!("lambda:{}", self.uri),
            "HTTP_PROXY" | "HTTP" => format!(
                "{}:{} {}",
                self.kind.to_ascii_lowercase(),
                self.method.as_deref().unwrap_or("POST"),
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
        if self.kind.is_empty() {
            self.kind = "REQUEST".into();
        }
    }
}

impl WsApi {
    pub fn normalize(&mut self) {
        if self.description.as_deref() == Some("") {
            self.description = None;
        }
        if self.api_key_selection_expression.as_deref() == Some("") {
            self.api_key_selection_expression = None;
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
        for rs in self.integration_responses.values_mut() {
            for r in rs.values_mut() {
                r.normalize();
            }
        }
    }

    /// The part of the configuration a deployment snapshots, canonically serialised.
    pub fn deployed_part(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct Deployed<'a> {
            route_selection_expression: &'a str,
            routes: &'a BTreeMap<String, Route>,
            route_responses: &'a BTreeSet<String>,
            integrations: &'a BTreeMap<String, Integration>,
            authorizers: &'a BTreeMap<String, Authorizer>,
            // Absent when there are none: the fingerprint of an API without integration
            // responses is what it was before gwctl managed them (the planner also accepts
            // the mark of the declared ones only: `plan::ws::declared_config`).
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            integration_responses: &'a BTreeMap<String, BTreeMap<String, IntegrationResponse>>,
        }
        serde_json::to_vec(&Deployed {
            route_selection_expression: &self.route_selection_expression,
            routes: &self.routes,
            route_responses: &self.route_responses,
            integrations: &self.integrations,
            authorizers: &self.authorizers,
            integration_responses: &self.integration_responses,
        })
        .expect("configuration serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_integrations_are_keyed_by_function_whatever_uri_form() {
        let mut i = Integration {
            kind: "AWS_PROXY".into(),
            uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:a/invocations".into(),
            method: Some("POST".into()),
            timeout_ms: Some(29_000),
            passthrough_behavior: Some("WHEN_NO_MATCH".into()),
            ..Default::default()
        };
        i.normalize();
        assert_eq!(i.uri, "arn:aws:lambda:us-east-1:1:function:a");
        assert_eq!((i.method.clone(), i.timeout_ms), (None, None));
        assert_eq!(i.passthrough_behavior, None);
        assert_eq!(i.target(), "lambda:arn:aws:lambda:us-east-1:1:function:a");
    }

    #[test]
    fn urls_of_a_stage() {
        assert_eq!(
            wss_url("abc", "eu-west-1", "prod"),
            "wss://abc.execute-api.eu-west-1.amazonaws.com/prod"
        );
        assert_eq!(
            callback_url("abc", "eu-west-1", "prod"),
            "https://abc.execute-api.eu-west-1.amazonaws.com/prod/@connections"
        );
    }

    #[test]
    fn route_responses_are_found_by_their_key() {
        let raw = RawWsApi {
            id: "a".into(),
            routes: vec![
                RawRoute {
                    id: "r1".into(),
                    route_key: "send".into(),
                    responses: vec![("rr1".into(), "$default".into())],
                    ..Default::default()
                },
                RawRoute {
                    id: "r2".into(),
                    route_key: "$connect".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let o = raw.assemble();
        assert_eq!(
            o.config.route_responses.iter().collect::<Vec<_>>(),
            vec!["send"]
        );
        assert_eq!(o.route_response_ids["send"], "rr1");
        let back = o.to_raw().assemble();
        assert_eq!(back.config, o.config);
    }
}
