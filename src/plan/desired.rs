//! What both kinds' desired models use: the settings a spec leaves out ([`Undeclared`]),
//! the default CORS headers, the Lambda invocation URI, the ownership tags and the hex of a
//! configuration hash.

use std::collections::{BTreeMap, BTreeSet};

use crate::spec::model::{RouteDef, Spec};
use crate::state::{OWNER_TAG_KEY, OWNER_TAG_VALUE};

/// Headers allowed by default when the spec's `cors` block names none: what browsers send
/// to API Gateway in practice (the console's "Enable CORS" default).
pub const DEFAULT_CORS_HEADERS: &[&str] = &[
    "Content-Type",
    "X-Amz-Date",
    "Authorization",
    "X-Api-Key",
    "X-Amz-Security-Token",
];

/// The settings of an API and its stages that a spec can leave out, and that then keep
/// whatever value they have in the account (never reset to a default). `true` = not declared.
/// REST, HTTP and WebSocket alike; see docs/reliability.md, "What gwctl owns, what it leaves alone".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Undeclared {
    pub description: bool,
    /// REST.
    pub api_key_source: bool,
    /// REST.
    pub binary_media_types: bool,
    /// HTTP.
    pub disable_execute_api_endpoint: bool,
    /// WebSocket.
    pub api_key_selection: bool,
    /// REST: `endpoint` (an existing API keeps its type).
    pub endpoint_type: bool,
    /// REST: `vpc_endpoint_ids` of an API that may be PRIVATE.
    pub vpc_endpoint_ids: bool,
    /// REST: the resource policy.
    pub policy: bool,
    /// Stages whose `variables` the spec does not declare.
    pub stage_variables: BTreeSet<String>,
    /// REST: per declared route (`{path} {METHOD}`), the method and integration settings it
    /// leaves out.
    pub methods: BTreeMap<String, MethodUndeclared>,
}

/// The settings of a declared REST route that it leaves out: an existing method keeps its
/// live value (a new one gets AWS's default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MethodUndeclared {
    pub api_key_required: bool,
    pub timeout: bool,
    pub passthrough_behavior: bool,
    pub content_handling: bool,
    /// The route declares no `cache`: its integration keeps its cache key parameters.
    pub cache_key_parameters: bool,
    /// The route declares no `request`: its method keeps its validator and request models
    /// (unless gwctl made them, `plan::rest::models::keep_undeclared_request`).
    pub request: bool,
}

impl MethodUndeclared {
    fn of(route: &RouteDef) -> MethodUndeclared {
        let i = &route.integration;
        MethodUndeclared {
            api_key_required: route.api_key_required_declared.is_none(),
            timeout: i.timeout_ms.is_none(),
            passthrough_behavior: i.passthrough_behavior.is_none(),
            content_handling: i.content_handling.is_none(),
            cache_key_parameters: route.cache.is_none(),
            request: route.request.is_none(),
        }
    }
}

impl Undeclared {
    pub fn of(spec: &Spec) -> Undeclared {
        Undeclared {
            description: spec.api.description.is_none(),
            api_key_source: spec.api.api_key_source.is_none(),
            binary_media_types: spec.api.binary_media_types.is_none(),
            disable_execute_api_endpoint: spec.api.disable_execute_api_endpoint.is_none(),
            api_key_selection: spec.api.api_key_selection.is_none(),
            endpoint_type: !spec.api.endpoint_declared,
            // An API the spec makes REGIONAL or EDGE has no VPC endpoints to keep.
            vpc_endpoint_ids: spec.api.vpc_endpoint_ids.is_none()
                && (!spec.api.endpoint_declared
                    || spec.api.endpoint == crate::spec::model::EndpointType::Private),
            policy: spec.api.policy.is_none(),
            stage_variables: spec
                .stages
                .iter()
                .filter(|s| s.variables.is_none())
                .map(|s| s.name.value.clone())
                .collect(),
            methods: spec
                .routes
                .iter()
                .map(|r| {
                    (
                        format!("{} {}", r.path.value, r.method.as_str()),
                        MethodUndeclared::of(r),
                    )
                })
                .collect(),
        }
    }
}

/// The Lambda invocation URI API Gateway needs for a function (proxy, custom and
/// authorizers alike): `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations`.
pub fn lambda_uri(region: &str, function_arn: &str) -> String {
    let partition = crate::spec::arn::partition_of(function_arn);
    format!(
        "arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )
}

/// The spec's tags plus gwctl's ownership tag, as an API gwctl creates carries them.
pub(crate) fn owner_tags(spec: &Spec) -> BTreeMap<String, String> {
    let mut tags = spec.api.tags.clone();
    tags.insert(OWNER_TAG_KEY.into(), OWNER_TAG_VALUE.into());
    tags
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
