//! The operations a plan is made of. Pure data: no SDK types, no ids that do not exist yet.
//!
//! Objects are referred to by what the spec knows (resource path, authorizer name, stage
//! name); the executor maps them to AWS ids, which it learns from the observed state and
//! from the answers of the create calls it makes. An API created in the same run is
//! referred to implicitly (every op acts on "the API").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::state::rest::{
    Authorizer, GatewayResponse, Integration, IntegrationResponse, Method, MethodResponse, Stage,
};

/// One control-plane call (or a small fixed group that AWS treats as one object).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    /// create-rest-api, with gwctl's ownership tag among `tags`.
    CreateRestApi {
        name: String,
        description: Option<String>,
        endpoint_type: String,
        binary_media_types: Vec<String>,
        api_key_source: Option<String>,
        /// The resource policy as JSON text (the `execute-api:/` shorthand as written: the
        /// service expands it to the new API's ARN).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        policy: Option<String>,
        /// PRIVATE APIs: the VPC endpoints to associate.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        vpc_endpoint_ids: Vec<String>,
        tags: BTreeMap<String, String>,
    },
    /// delete-rest-api (`gwctl destroy`; 1 call per 30 s per account).
    DeleteRestApi {
        id: String,
    },
    /// update-rest-api with patch operations (description, binary media types, key source,
    /// endpoint type and VPC endpoints, resource policy).
    UpdateRestApi {
        patches: Vec<Patch>,
    },
    /// create-resource `path_part` under the resource at `parent` (parents come first).
    CreateResource {
        path: String,
        parent: String,
        path_part: String,
    },
    /// delete-resource (children are deleted with it; the planner emits only the topmost).
    DeleteResource {
        path: String,
    },
    /// put-method: the method request only (auth, key, parameters), no integration.
    PutMethod {
        path: String,
        method: String,
        /// `integration` and `method_responses` are ignored by this op.
        def: Method,
    },
    DeleteMethod {
        path: String,
        method: String,
    },
    /// put-method-response.
    PutMethodResponse {
        path: String,
        method: String,
        status: String,
        def: MethodResponse,
    },
    DeleteMethodResponse {
        path: String,
        method: String,
        status: String,
    },
    /// put-integration (`responses` is ignored; they are separate ops).
    PutIntegration {
        path: String,
        method: String,
        def: Integration,
    },
    /// put-integration-response.
    PutIntegrationResponse {
        path: String,
        method: String,
        status: String,
        def: IntegrationResponse,
    },
    DeleteIntegrationResponse {
        path: String,
        method: String,
        status: String,
    },
    /// put-gateway-response (DEFAULT_4XX, DEFAULT_5XX, ...).
    PutGatewayResponse {
        response_type: String,
        def: GatewayResponse,
    },
    /// delete-gateway-response (resets it to the default).
    DeleteGatewayResponse {
        response_type: String,
    },
    CreateAuthorizer {
        name: String,
        def: Authorizer,
    },
    /// update-authorizer with patch operations (in place: the id and the routes stay).
    UpdateAuthorizer {
        name: String,
        patches: Vec<Patch>,
    },
    DeleteAuthorizer {
        name: String,
    },
    /// create-model (description `gwctl:managed`, gwctl's ownership mark). `schema` refers to
    /// other models as `#/models/NAME`; the executor sends AWS's URL form.
    CreateModel {
        name: String,
        content_type: String,
        schema: serde_json::Value,
    },
    /// update-model: `replace /schema`.
    UpdateModel {
        name: String,
        schema: serde_json::Value,
    },
    DeleteModel {
        name: String,
    },
    /// create-request-validator (one per kind, shared by the methods).
    CreateRequestValidator {
        name: String,
        body: bool,
        parameters: bool,
    },
    /// update-request-validator with patch operations.
    UpdateRequestValidator {
        name: String,
        patches: Vec<Patch>,
    },
    DeleteRequestValidator {
        name: String,
    },
    /// lambda add-permission for apigateway.amazonaws.com.
    AddPermission {
        /// The ARN to put the permission on (qualified when the spec names an alias).
        function: String,
        /// Spec-local function key (for messages).
        function_key: String,
        /// Deterministic statement id (may contain `{api_id}`, filled in by the executor).
        statement_id: String,
        /// Source ARN (may contain `{api_id}` and `{authorizer_id:NAME}`).
        source_arn: String,
    },
    /// lambda remove-permission.
    RemovePermission {
        function: String,
        function_key: String,
        statement_id: String,
    },
    /// create-deployment: the snapshot every stage below is pointed at. With `stage`, the
    /// same call also points that existing stage at it (`stageName`; AWS keeps the stage's
    /// settings), saving the update-stage a stage with nothing else to change would need.
    CreateDeployment {
        description: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stage: Option<MovedStage>,
    },
    /// create-deployment with `stageName` and `canarySettings`: the new deployment serves
    /// only the stage's canary, with `percent` of its traffic (`deploy --canary`). The stage
    /// must exist (AWS refuses a canary on a missing stage).
    CreateCanaryDeployment {
        stage: String,
        description: String,
        percent: f64,
        variables: BTreeMap<String, String>,
    },
    /// create-stage pointing at the deployment created in this run.
    CreateStage {
        name: String,
        description: Option<String>,
        variables: BTreeMap<String, String>,
        tracing_enabled: bool,
    },
    /// update-stage with patch operations; a patch whose value is `{deployment_id}` points
    /// the stage at the deployment created in this run.
    UpdateStage {
        name: String,
        patches: Vec<Patch>,
    },
    /// API keys and usage plans (account-level objects; see [`crate::plan::usage_ops`]).
    Usage(crate::plan::usage_ops::UsageOp),
    /// Custom domain names and this API's base path mappings (account-level; see
    /// [`crate::plan::domains`]).
    Domain(crate::plan::domains::DomainOp),
}

/// (in its own file: the usage-plan ops use it too, and [`Op`] carries those.)
pub use crate::plan::patch::Patch;

/// Placeholder the executor replaces with the id of the deployment created in this run.
pub const DEPLOYMENT_ID: &str = "{deployment_id}";

/// An existing stage that create-deployment points at the new deployment in the same call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MovedStage {
    pub name: String,
    /// The stage's settings as the spec wants them (and as they already are): AWS keeps a
    /// stage's settings when create-deployment moves it, and the executor checks that they
    /// read back so (an emulator that replaces the stage instead gets them re-applied).
    pub settings: Stage,
}
impl Op {
    /// The AWS operation name, for pacing, counting and messages.
    pub fn aws_name(&self) -> &'static str {
        match self {
            Op::CreateRestApi { .. } => "CreateRestApi",
            Op::DeleteRestApi { .. } => "DeleteRestApi",
            Op::UpdateRestApi { .. } => "UpdateRestApi",
            Op::CreateResource { .. } => "CreateResource",
            Op::DeleteResource { .. } => "DeleteResource",
            Op::PutMethod { .. } => "PutMethod",
            Op::DeleteMethod { .. } => "DeleteMethod",
            Op::PutMethodResponse { .. } => "PutMethodResponse",
            Op::DeleteMethodResponse { .. } => "DeleteMethodResponse",
            Op::PutIntegration { .. } => "PutIntegration",
            Op::PutIntegrationResponse { .. } => "PutIntegrationResponse",
            Op::DeleteIntegrationResponse { .. } => "DeleteIntegrationResponse",
            Op::PutGatewayResponse { .. } => "PutGatewayResponse",
            Op::DeleteGatewayResponse { .. } => "DeleteGatewayResponse",
            Op::CreateAuthorizer { .. } => "CreateAuthorizer",
            Op::UpdateAuthorizer { .. } => "UpdateAuthorizer",
            Op::DeleteAuthorizer { .. } => "DeleteAuthorizer",
            Op::CreateModel { .. } => "CreateModel",
            Op::UpdateModel { .. } => "UpdateModel",
            Op::DeleteModel { .. } => "DeleteModel",
            Op::CreateRequestValidator { .. } => "CreateRequestValidator",
            Op::UpdateRequestValidator { .. } => "UpdateRequestValidator",
            Op::DeleteRequestValidator { .. } => "DeleteRequestValidator",
            Op::AddPermission { .. } => "AddPermission",
            Op::RemovePermission { .. } => "RemovePermission",
            Op::CreateDeployment { .. } | Op::CreateCanaryDeployment { .. } => "CreateDeployment",
            Op::CreateStage { .. } => "CreateStage",
            Op::UpdateStage { .. } => "UpdateStage",
            Op::Usage(u) => u.aws_name(),
            Op::Domain(d) => d.aws_name(false),
        }
    }
}

impl Op {
    /// A short label for progress lines: the operation and the object it acts on.
    pub fn label(&self) -> String {
        use Op::*;
        let what = match self {
            CreateRestApi { name, .. } => name.clone(),
            DeleteRestApi { id } => id.clone(),
            UpdateRestApi { .. } => "api attributes".into(),
            CreateResource { path, .. } | DeleteResource { path } => path.clone(),
            PutMethod { path, method, .. }
            | DeleteMethod { path, method }
            | PutIntegration { path, method, .. } => format!("{method} {path}"),
            PutMethodResponse {
                path,
                method,
                status,
                ..
            }
            | DeleteMethodResponse {
                path,
                method,
                status,
            }
            | PutIntegrationResponse {
                path,
                method,
                status,
                ..
            }
            | DeleteIntegrationResponse {
                path,
                method,
                status,
            } => format!("{method} {path} {status}"),
            PutGatewayResponse { response_type, .. } | DeleteGatewayResponse { response_type } => {
                response_type.clone()
            }
            CreateAuthorizer { name, .. }
            | UpdateAuthorizer { name, .. }
            | DeleteAuthorizer { name } => name.clone(),
            CreateModel { name, .. }
            | UpdateModel { name, .. }
            | DeleteModel { name }
            | CreateRequestValidator { name, .. }
            | UpdateRequestValidator { name, .. }
            | DeleteRequestValidator { name } => name.clone(),
            AddPermission { function_key, .. } | RemovePermission { function_key, .. } => {
                function_key.clone()
            }
            CreateDeployment { stage: None, .. } => "new deployment".into(),
            CreateDeployment { stage: Some(s), .. } => format!("new deployment, stage {}", s.name),
            CreateCanaryDeployment { stage, .. } => format!("new deployment, canary of {stage}"),
            CreateStage { name, .. } | UpdateStage { name, .. } => name.clone(),
            Usage(u) => u.target(),
            Domain(d) => d.target(),
        };
        format!("{} {what}", self.aws_name())
    }
}

crate::plan::permissions::permission_variants!(Op);
