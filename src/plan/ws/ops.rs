//! The operations a WebSocket API (apigatewayv2) plan is made of. Pure data, like [`crate::plan::Op`]:
//! routes, integrations and authorizers are referred to by route key, target key and name;
//! the executor maps them to the ids it read or created. The API created in the same run is
//! implicit, and `{api_id}` / `{authorizer_id:NAME}` placeholders (see [`crate::plan::rest::ops`]) may
//! appear in permission statement ids and source ARNs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::state::ws::{Authorizer, Integration, IntegrationResponse, Route, RouteSetting, Stage};

use crate::plan::v2::{StageOp, V2Op};
use crate::plan::PlanOp;

/// One apigatewayv2 (or Lambda) control-plane call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum WsOp {
    /// create-api (protocol WEBSOCKET), with gwctl's ownership tag among `tags`.
    CreateApi {
        name: String,
        description: Option<String>,
        route_selection_expression: String,
        api_key_selection_expression: Option<String>,
        tags: BTreeMap<String, String>,
    },
    /// update-api with only the attributes that differ (`description: Some("")` clears it).
    UpdateApi {
        description: Option<String>,
        route_selection_expression: Option<String>,
        api_key_selection_expression: Option<String>,
    },
    CreateAuthorizer {
        name: String,
        def: Authorizer,
    },
    /// update-authorizer with every setting (in place: the id and the routes stay).
    UpdateAuthorizer {
        name: String,
        def: Authorizer,
    },
    DeleteAuthorizer {
        name: String,
    },
    /// create-integration; `key` is the target key routes refer to it by.
    CreateIntegration {
        key: String,
        def: Integration,
    },
    /// update-integration with every setting.
    UpdateIntegration {
        key: String,
        def: Integration,
    },
    DeleteIntegration {
        key: String,
    },
    /// create-integration-response `key` (`$default` or `/regex/`) on the integration of
    /// target key `integration`.
    CreateIntegrationResponse {
        integration: String,
        key: String,
        def: IntegrationResponse,
    },
    /// update-integration-response with every setting.
    UpdateIntegrationResponse {
        integration: String,
        key: String,
        def: IntegrationResponse,
    },
    DeleteIntegrationResponse {
        integration: String,
        key: String,
    },
    /// create-route; `def.target` and `def.authorizer` are a target key and a name.
    CreateRoute {
        route_key: String,
        def: Route,
    },
    /// update-route with target, authorization and route response selection (an authorizer
    /// id `""` when the route no longer uses an authorizer).
    UpdateRoute {
        route_key: String,
        def: Route,
    },
    DeleteRoute {
        route_key: String,
    },
    /// create-route-response `$default` (a two-way route answers the client).
    CreateRouteResponse {
        route_key: String,
    },
    /// delete-route-response `$default`.
    DeleteRouteResponse {
        route_key: String,
    },
    /// lambda add-permission for apigateway.amazonaws.com.
    AddPermission {
        function: String,
        function_key: String,
        statement_id: String,
        source_arn: String,
    },
    /// lambda remove-permission.
    RemovePermission {
        function: String,
        function_key: String,
        statement_id: String,
    },
    /// create-deployment (no stage): the snapshot stages with auto-deploy off are pointed at.
    CreateDeployment {
        description: String,
    },
    /// create-stage with every setting; `deploy` points it at the deployment created in
    /// this run.
    CreateStage {
        name: String,
        def: Stage,
        deploy: bool,
    },
    /// update-stage: only the groups that changed are sent.
    UpdateStage {
        name: String,
        update: StageUpdate,
    },
    /// delete-route-settings (a route's throttling on one stage).
    DeleteRouteSettings {
        stage: String,
        route_key: String,
    },
    /// delete-api (`gwctl destroy`): the API with its routes, integrations, authorizers,
    /// stages and deployments.
    DeleteApi {
        id: String,
    },
}

/// The groups of stage settings an update-stage call sends (see [`crate::plan::v2::StageUpdate`]).
pub type StageUpdate = crate::plan::v2::StageUpdate<RouteSetting>;

impl V2Op for WsOp {
    type Setting = RouteSetting;
    fn create_deployment(description: String) -> Self {
        WsOp::CreateDeployment { description }
    }
    fn create_stage(name: String, def: Stage, deploy: bool) -> Self {
        WsOp::CreateStage { name, def, deploy }
    }
    fn update_stage(name: String, update: StageUpdate) -> Self {
        WsOp::UpdateStage { name, update }
    }
    fn stage_op(&self) -> Option<StageOp<'_, RouteSetting>> {
        Some(match self {
            WsOp::CreateDeployment { description } => StageOp::CreateDeployment { description },
            WsOp::CreateStage { name, def, deploy } => StageOp::CreateStage {
                name,
                def,
                deploy: *deploy,
            },
            WsOp::UpdateStage { name, update } => StageOp::UpdateStage { name, update },
            WsOp::DeleteRouteSettings { stage, route_key } => {
                StageOp::DeleteRouteSettings { stage, route_key }
            }
            _ => return None,
        })
    }
}

impl WsOp {
    /// The AWS operation name, for counting and messages.
    pub fn aws_name(&self) -> &'static str {
        match self {
            WsOp::CreateApi { .. } => "CreateApi",
            WsOp::UpdateApi { .. } => "UpdateApi",
            WsOp::CreateAuthorizer { .. } => "CreateAuthorizer",
            WsOp::UpdateAuthorizer { .. } => "UpdateAuthorizer",
            WsOp::DeleteAuthorizer { .. } => "DeleteAuthorizer",
            WsOp::CreateIntegration { .. } => "CreateIntegration",
            WsOp::UpdateIntegration { .. } => "UpdateIntegration",
            WsOp::DeleteIntegration { .. } => "DeleteIntegration",
            WsOp::CreateIntegrationResponse { .. } => "CreateIntegrationResponse",
            WsOp::UpdateIntegrationResponse { .. } => "UpdateIntegrationResponse",
            WsOp::DeleteIntegrationResponse { .. } => "DeleteIntegrationResponse",
            WsOp::CreateRoute { .. } => "CreateRoute",
            WsOp::UpdateRoute { .. } => "UpdateRoute",
            WsOp::DeleteRoute { .. } => "DeleteRoute",
            WsOp::CreateRouteResponse { .. } => "CreateRouteResponse",
            WsOp::DeleteRouteResponse { .. } => "DeleteRouteResponse",
            WsOp::AddPermission { .. } => "AddPermission",
            WsOp::RemovePermission { .. } => "RemovePermission",
            WsOp::CreateDeployment { .. } => "CreateDeployment",
            WsOp::CreateStage { .. } => "CreateStage",
            WsOp::UpdateStage { .. } => "UpdateStage",
            WsOp::DeleteRouteSettings { .. } => "DeleteRouteSettings",
            WsOp::DeleteApi { .. } => "DeleteApi",
        }
    }

    /// A short label for progress lines: the operation and the object it acts on.
    pub fn label(&self) -> String {
        let what = match self {
            WsOp::CreateApi { name, .. } => name.clone(),
            WsOp::UpdateApi { .. } => "api attributes".into(),
            WsOp::CreateAuthorizer { name, .. }
            | WsOp::UpdateAuthorizer { name, .. }
            | WsOp::DeleteAuthorizer { name } => name.clone(),
            WsOp::CreateIntegration { key, .. }
            | WsOp::UpdateIntegration { key, .. }
            | WsOp::DeleteIntegration { key } => key.clone(),
            WsOp::CreateIntegrationResponse {
                integration, key, ..
            }
            | WsOp::UpdateIntegrationResponse {
                integration, key, ..
            }
            | WsOp::DeleteIntegrationResponse { integration, key } => {
                format!("{integration} {key}")
            }
            WsOp::CreateRoute { route_key, .. }
            | WsOp::UpdateRoute { route_key, .. }
            | WsOp::DeleteRoute { route_key }
            | WsOp::CreateRouteResponse { route_key }
            | WsOp::DeleteRouteResponse { route_key } => route_key.clone(),
            WsOp::AddPermission { function_key, .. }
            | WsOp::RemovePermission { function_key, .. } => function_key.clone(),
            WsOp::CreateDeployment { .. } => "new deployment".into(),
            WsOp::CreateStage { name, .. } | WsOp::UpdateStage { name, .. } => name.clone(),
            WsOp::DeleteRouteSettings { stage, route_key } => format!("{stage} {route_key}"),
            WsOp::DeleteApi { id } => id.clone(),
        };
        format!("{} {what}", self.aws_name())
    }
}

impl PlanOp for WsOp {
    const API_LABEL: &'static str = "websocket api";
    fn aws_name(&self) -> &'static str {
        WsOp::aws_name(self)
    }
    fn label(&self) -> String {
        WsOp::label(self)
    }
}

crate::plan::permissions::permission_variants!(WsOp);
