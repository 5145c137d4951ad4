//! CORS on REST APIs: the pieces gwctl builds from a `cors` block, how it recognises them
//! later without a state file, and the planner behind `gwctl cors enable` / `disable`.
//!
//! The pieces (the same for `gwctl apply` and `gwctl cors enable`):
//! - on every resource with methods, an unauthenticated `OPTIONS` method without API key,
//!   MOCK integration, whose 200 response sets `Access-Control-Allow-Origin`, `-Methods` (the
//!   resource's methods plus `OPTIONS`), `-Headers`, and `-Max-Age`, `-Expose-Headers`,
//!   `-Allow-Credentials` when configured. With several origins a MOCK cannot choose one
//!   statically: a response mapping template echoes the request's `Origin` only when it is in
//!   the list (`$context.responseOverride`), with `Vary: Origin`;
//! - the gateway responses `DEFAULT_4XX` and `DEFAULT_5XX` (every error API Gateway generates
//!   itself: missing key, authorizer refusal, unknown path, throttling, integration failure)
//!   carrying the origin, credentials and expose headers. Gateway responses are not run
//!   through VTL, so they cannot choose between origins: with several origins they echo the
//!   request's `Origin` when credentials are off (a browser then treats them like `*`), and
//!   answer the first origin only when credentials are on (echoing any origin together with
//!   `Access-Control-Allow-Credentials: true` would let every web site read them).
//!
//! Ownership markers (what survives AWS's round trip and changes nothing a client sees):
//! - preflight: the MOCK request template starts with the VTL comment line
//!   [`PREFLIGHT_MARK`]; VTL drops comments, so the template still yields
//!   `{"statusCode": 200}`, and templates are stored and returned verbatim;
//! - gateway responses: they are not VTL, so a comment would reach the client; they carry the
//!   response header [`GATEWAY_MARK_HEADER`] instead.
//!
//! `cors disable` removes only pieces with a marker; `cors enable` never overwrites a
//! preflight method or a customised gateway response without one (it reports them).

use std::collections::{BTreeMap, BTreeSet};

use crate::spec::model::CorsDef;
use crate::state::rest::{
    GatewayResponse, Integration, IntegrationResponse, Method, MethodResponse, RestApi,
};

use super::method::{as_built, plan_method, without_implied};
use super::ops::Op;
use crate::plan::desired::DEFAULT_CORS_HEADERS;
use crate::plan::{Action, Change, Plan};

/// First line of the request template of every preflight method gwctl writes.
pub const PREFLIGHT_MARK: &str = "## gwctl:cors";

/// The MOCK request template of a gwctl preflight: the marker comment, then the status.
pub const PREFLIGHT_REQUEST_TEMPLATE: &str =
    "## gwctl:cors preflight (managed by gwctl; `gwctl cors disable` removes it)\n{\"statusCode\": 200}";

/// Response header every gateway response gwctl writes carries (`X-Gwctl-Cors: 1`).
pub const GATEWAY_MARK_HEADER: &str = "X-Gwctl-Cors";

/// The gateway response types gwctl customises: every error API Gateway generates falls
/// back to one of them.
pub const GATEWAY_RESPONSE_TYPES: [&str; 2] = ["DEFAULT_4XX", "DEFAULT_5XX"];

/// The body API Gateway uses for its own errors. Written explicitly: AWS fills it in when a
/// gateway response is put without templates, and reads it back.
pub const DEFAULT_ERROR_TEMPLATE: &str = "{\"message\":$context.error.messageString}";

/// What `ANY` allows, for `Access-Control-Allow-Methods`.
const ANY_METHODS: [&str; 6] = ["DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"];

fn quoted(v: &str) -> String {
    format!("'{v}'")
}

fn gateway_mark_key() -> String {
    format!("gatewayresponse.header.{GATEWAY_MARK_HEADER}")
}

/// Several explicit origins (no `*` among them): the preflight must echo the matching one.
fn several_origins(cors: &CorsDef) -> bool {
    cors.origins.len() > 1 && !cors.origins.iter().any(|o| o == "*")
}

/// The static origin a response can carry: `*`, the only origin, or (several origins) the
/// first one.
fn static_origin(cors: &CorsDef) -> String {
    if cors.origins.iter().any(|o| o == "*") {
        return "*".into();
    }
    cors.origins.first().cloned().unwrap_or_else(|| "*".into())
}

/// The methods a preflight on a resource allows: the resource's own methods (`ANY` expanded,
/// `OPTIONS` left out), limited to the `cors.methods` list when it names methods (`*` or an
/// empty list do not limit). Empty when the resource has nothing to allow.
pub fn allow_methods<'a>(
    cors: &CorsDef,
    resource_methods: impl IntoIterator<Item = &'a str>,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for m in resource_methods {
        match m {
            "OPTIONS" => {}
            "ANY" => out.extend(ANY_METHODS.iter().map(|s| s.to_string())),
            other => {
                out.insert(other.to_string());
            }
        }
    }
    let limit: BTreeSet<&str> = cors.methods.iter().map(String::as_str).collect();
    if !limit.is_empty() && !limit.contains("*") {
        out.retain(|m| limit.contains(m.as_str()));
    }
    out
}

/// `(header, value)` pairs a CORS response carries besides the origin. `methods` is `Some`
/// for a preflight (adds `-Methods` and `-Max-Age`).
fn cors_headers(cors: &CorsDef, methods: Option<&BTreeSet<String>>) -> Vec<(String, String)> {
    let mut h = Vec::new();
    let headers = if cors.headers.is_empty() {
        DEFAULT_CORS_HEADERS.join(",")
    } else {
        cors.headers.join(",")
    };
    h.push(("Access-Control-Allow-Headers".to_string(), headers));
    if let Some(methods) = methods {
        let mut m: BTreeSet<String> = methods.clone();
        m.insert("OPTIONS".into());
        h.push((
            "Access-Control-Allow-Methods".to_string(),
            m.into_iter().collect::<Vec<_>>().join(","),
        ));
    }
    if !cors.expose_headers.is_empty() {
        h.push((
            "Access-Control-Expose-Headers".to_string(),
            cors.expose_headers.join(","),
        ));
    }
    if let (Some(age), Some(_)) = (cors.max_age, methods) {
        h.push(("Access-Control-Max-Age".to_string(), age.to_string()));
    }
    if cors.credentials {
        h.push((
            "Access-Control-Allow-Credentials".to_string(),
            "true".to_string(),
        ));
    }
    h
}

/// The velocity template that echoes the request's Origin when it is one of several
/// allowed origins (a MOCK cannot choose statically between them). Origins are validated
/// (scheme, host and port only), so they need no escaping inside the string literals.
pub fn origin_echo_template(origins: &[String]) -> String {
    let cond = origins
        .iter()
        .map(|o| format!("$origin == \"{}\"", o.replace('"', "")))
        .collect::<Vec<_>>()
        .join(" || ");
    format!(
        "#set($origin = $input.params().header.get(\"Origin\"))\n#if($origin == \"\")#set($origin = $input.params().header.get(\"origin\"))#end\n#if({cond})\n#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)\n#end\n"
    )
}

/// The preflight `OPTIONS` method for a resource whose methods are `methods` (see
/// [`allow_methods`]).
pub fn preflight_method(cors: &CorsDef, methods: &BTreeSet<String>) -> Method {
    let mut params: BTreeMap<String, String> = cors_headers(cors, Some(methods))
        .into_iter()
        .map(|(k, v)| (format!("method.response.header.{k}"), quoted(&v)))
        .collect();
    let mut templates = BTreeMap::new();
    if several_origins(cors) {
        templates.insert(
            "application/json".to_string(),
            origin_echo_template(&cors.origins),
        );
        params.insert("method.response.header.Vary".to_string(), quoted("Origin"));
    } else {
        params.insert(
            "method.response.header.Access-Control-Allow-Origin".to_string(),
            quoted(&static_origin(cors)),
        );
    }
    let mut declared: BTreeMap<String, bool> = params.keys().map(|k| (k.clone(), false)).collect();
    declared.insert(
        "method.response.header.Access-Control-Allow-Origin".to_string(),
        false,
    );
    let responses = BTreeMap::from([(
        "200".to_string(),
        IntegrationResponse {
            selection_pattern: None,
            response_templates: templates,
            response_parameters: params,
            content_handling: None,
        },
    )]);
    let method_responses = BTreeMap::from([(
        "200".to_string(),
        MethodResponse {
            response_models: BTreeMap::from([("application/json".into(), "Empty".into())]),
            response_parameters: declared,
        },
    )]);
    Method {
        authorization_type: "NONE".into(),
        authorizer: None,
        authorization_scopes: vec![],
        api_key_required: false,
        request_parameters: BTreeMap::new(),
        method_responses,
        integration: Some(Integration {
            kind: "MOCK".into(),
            http_method: None,
            uri: None,
            credentials: None,
            request_templates: BTreeMap::from([(
                "application/json".into(),
                PREFLIGHT_REQUEST_TEMPLATE.into(),
            )]),
            request_parameters: BTreeMap::new(),
            passthrough_behavior: None,
            content_handling: None,
            timeout_ms: None,
            cache_key_parameters: Vec::new(),
            responses,
        }),
        request_validator: None,
        request_models: BTreeMap::new(),
    }
}

/// `DEFAULT_4XX` / `DEFAULT_5XX` carrying the CORS headers (see the module documentation
/// for the choice of origin with several origins).
pub fn gateway_response(cors: &CorsDef) -> GatewayResponse {
    let mut params: BTreeMap<String, String> = cors_headers(cors, None)
        .into_iter()
        .map(|(k, v)| (format!("gatewayresponse.header.{k}"), quoted(&v)))
        .collect();
    let origin = if several_origins(cors) && !cors.credentials {
        params.insert("gatewayresponse.header.Vary".into(), quoted("Origin"));
        "method.request.header.Origin".to_string()
    } else {
        quoted(&static_origin(cors))
    };
    params.insert(
        "gatewayresponse.header.Access-Control-Allow-Origin".into(),
        origin,
    );
    params.insert(gateway_mark_key(), quoted("1"));
    GatewayResponse {
        status_code: None,
        response_parameters: params,
        response_templates: BTreeMap::from([(
            "application/json".to_string(),
            DEFAULT_ERROR_TEMPLATE.to_string(),
        )]),
    }
}

/// Whether gwctl wrote this preflight method (its MOCK request template carries the mark).
pub fn is_gwctl_preflight(m: &Method) -> bool {
    m.integration.as_ref().is_some_and(|i| {
        i.kind == "MOCK"
            && i.request_templates
                .values()
                .any(|t| t.trim_start().starts_with(PREFLIGHT_MARK))
    })
}

/// Whether gwctl wrote this gateway response (it carries the marker header).
pub fn is_gwctl_gateway_response(g: &GatewayResponse) -> bool {
    g.response_parameters.contains_key(&gateway_mark_key())
}

/// Add the CORS pieces of `cors` to a desired configuration (`gwctl apply`): a preflight on
/// every resource that has methods to allow, and the two gateway responses.
pub fn add_to(config: &mut RestApi, cors: &CorsDef) {
    for res in config.resources.values_mut() {
        // Validation refuses an `OPTIONS` route together with `cors`; never replace one.
        if res.methods.contains_key("OPTIONS") {
            continue;
        }
        let methods = allow_methods(cors, res.methods.keys().map(String::as_str));
        if methods.is_empty() {
            continue;
        }
        res.methods
            .insert("OPTIONS".into(), preflight_method(cors, &methods));
    }
    if !cors.gateway_responses {
        return;
    }
    for t in GATEWAY_RESPONSE_TYPES {
        config
            .gateway_responses
            .insert(t.into(), gateway_response(cors));
    }
}

/// Adopt the CORS pieces made elsewhere that answer browsers as the desired ones do
/// ([`equiv`]): each such preflight or gateway response becomes the desired one as it is,
/// so a `cors:` block written over a console- or SAM-made CORS plans no write. Pieces gwctl
/// made (marked) are compared as they are.
pub fn adopt_equivalent(desired: &mut RestApi, observed: &RestApi) {
    for (path, res) in desired.resources.iter_mut() {
        let Some(have) = observed
            .resources
            .get(path)
            .and_then(|r| r.methods.get("OPTIONS"))
        else {
            continue;
        };
        let verbs: Vec<String> = res.methods.keys().cloned().collect();
        let Some(want) = res.methods.get_mut("OPTIONS") else {
            continue;
        };
        // The path parameters its own path implies are neutral (`method::implied_by_path`):
        // a preflight put by gwctl or by an import carries them, the console's does not.
        if is_gwctl_preflight(want)
            && !is_gwctl_preflight(have)
            && equiv::same_preflight(
                want,
                &without_implied(path, want, have),
                verbs.iter().map(String::as_str),
            )
        {
            *want = have.clone();
        }
    }
    for t in GATEWAY_RESPONSE_TYPES {
        let (Some(want), Some(have)) = (
            desired.gateway_responses.get_mut(t),
            observed.gateway_responses.get(t),
        ) else {
            continue;
        };
        if is_gwctl_gateway_response(want)
            && !is_gwctl_gateway_response(have)
            && equiv::same_gateway_response(want, have)
        {
            *want = have.clone();
        }
    }
}

/// A plan for `gwctl cors enable|disable`.
#[derive(Debug, Clone)]
pub struct CorsPlan {
    pub plan: Plan,
    /// The API's configuration once the plan is applied (what a deployment would snapshot).
    pub after: RestApi,
    /// Pieces gwctl found but did not make, and left as they are; one sentence each.
    pub left_alone: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("the api has no resource `{0}`")]
    NoResource(String),
}

/// An empty plan, the configuration it starts from, no notes; or the first resource of the
/// scope the API does not have.
fn start(
    observed: &RestApi,
    resources: &[String],
) -> Result<(Plan, RestApi, Vec<String>), ScopeError> {
    if let Some(r) = resources
        .iter()
        .find(|r| !observed.resources.contains_key(*r))
    {
        return Err(ScopeError::NoResource(r.clone()));
    }
    Ok((Plan::default(), observed.clone(), Vec::new()))
}

/// The resources in scope (every one when `resources` is empty), in path order.
fn in_scope<'a>(
    observed: &'a RestApi,
    resources: &'a [String],
) -> impl Iterator<Item = (&'a String, &'a crate::state::rest::Resource)> {
    observed
        .resources
        .iter()
        .filter(move |(p, _)| resources.is_empty() || resources.contains(p))
}

fn not_ours_preflight(path: &str) -> String {
    format!(
        "`OPTIONS {path}` was not made by gwctl: left as it is (delete it to let gwctl manage the preflight of `{path}`)"
    )
}

fn not_ours_gateway_response(t: &str) -> String {
    format!(
        "gateway response `{t}` was customised outside gwctl: left as it is, so errors API Gateway generates may reach browsers without CORS headers"
    )
}

/// `gwctl cors enable`: the preflight of every resource in scope (all when `resources` is
/// empty) and the two gateway responses, created or brought up to date; pieces not made by
/// gwctl are left alone. A second run against the result plans nothing.
pub fn plan_enable(
    observed: &RestApi,
    cors: &CorsDef,
    resources: &[String],
) -> Result<CorsPlan, ScopeError> {
    let (mut p, mut after, mut left_alone) = start(observed, resources)?;
    for (path, res) in in_scope(observed, resources) {
        let have = res.methods.get("OPTIONS");
        if let Some(h) = have {
            if !is_gwctl_preflight(h) {
                left_alone.push(not_ours_preflight(path));
                continue;
            }
        }
        let methods = allow_methods(cors, res.methods.keys().map(String::as_str));
        if methods.is_empty() {
            if have.is_some() {
                // gwctl's preflight on a resource that has nothing left to allow.
                delete_preflight(&mut p, &mut after, path);
            } else if !resources.is_empty() {
                left_alone.push(format!(
                    "`{path}` has no methods a browser may call cross-origin: no preflight added"
                ));
            }
            continue;
        }
        let want = preflight_method(cors, &methods);
        plan_method(&mut p, path, "OPTIONS", &want, have);
        if let Some(r) = after.resources.get_mut(path) {
            r.methods
                .insert("OPTIONS".into(), as_built(path, &want, have));
        }
    }
    let want = gateway_response(cors);
    for t in GATEWAY_RESPONSE_TYPES {
        match observed.gateway_responses.get(t) {
            Some(h) if !is_gwctl_gateway_response(h) => {
                left_alone.push(not_ours_gateway_response(t));
            }
            Some(h) if *h == want => {}
            have => {
                let action = if have.is_some() {
                    Action::Update
                } else {
                    Action::Create
                };
                let fields = crate::plan::diff_fields(have, Some(&want));
                p.push(
                    Change::new(action, "gateway_response", t).fields(if have.is_some() {
                        fields
                    } else {
                        Vec::new()
                    }),
                    Op::PutGatewayResponse {
                        response_type: t.into(),
                        def: want.clone(),
                    },
                );
                after.gateway_responses.insert(t.into(), want.clone());
            }
        }
    }
    Ok(CorsPlan {
        plan: p,
        after,
        left_alone,
    })
}

/// Plan the deletion of the preflight of `path`, and remove it from `after`.
fn delete_preflight(p: &mut Plan, after: &mut RestApi, path: &str) {
    p.push(
        Change::new(Action::Delete, "method", &format!("OPTIONS {path}")),
        Op::DeleteMethod {
            path: path.to_string(),
            method: "OPTIONS".into(),
        },
    );
    if let Some(r) = after.resources.get_mut(path) {
        r.methods.remove("OPTIONS");
    }
}

/// `gwctl cors disable`: delete gwctl's preflight on every resource in scope (all when
/// `resources` is empty), and gwctl's gateway responses once no gwctl preflight is left in
/// the API. Nothing without gwctl's marker is touched.
pub fn plan_disable(observed: &RestApi, resources: &[String]) -> Result<CorsPlan, ScopeError> {
    let (mut p, mut after, mut left_alone) = start(observed, resources)?;
    for (path, res) in in_scope(observed, resources) {
        match res.methods.get("OPTIONS") {
            Some(m) if is_gwctl_preflight(m) => delete_preflight(&mut p, &mut after, path),
            Some(_) => left_alone.push(format!(
                "`OPTIONS {path}` was not made by gwctl: left as it is"
            )),
            None => {}
        }
    }
    let preflights_left = after
        .resources
        .values()
        .filter_map(|r| r.methods.get("OPTIONS"))
        .any(is_gwctl_preflight);
    if !preflights_left {
        for t in GATEWAY_RESPONSE_TYPES {
            match observed.gateway_responses.get(t) {
                Some(g) if is_gwctl_gateway_response(g) => {
                    p.push(
                        Change::new(Action::Delete, "gateway_response", t),
                        Op::DeleteGatewayResponse {
                            response_type: t.into(),
                        },
                    );
                    after.gateway_responses.remove(t);
                }
                Some(_) => left_alone.push(format!(
                    "gateway response `{t}` was not made by gwctl: left as it is"
                )),
                None => {}
            }
        }
    }
    Ok(CorsPlan {
        plan: p,
        after,
        left_alone,
    })
}

pub mod equiv;

#[cfg(test)]
pub(crate) mod equiv_tests;
#[cfg(test)]
mod tests;
