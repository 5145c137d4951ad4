//! The operations an HTTP API (apigatewayv2) plan is made of. Pure data, like [`crate::plan::Op`]:
//! routes, integrations and authorizers are referred to by route key, target key and name;
//! the executor maps them to the ids it read or created. The API created in the same run is
//! implicit, and `{api_id}` / `{authorizer_id:NAME}` placeholders (see [`crate::plan::rest::ops`]) may
//! appear in permission statement ids and source ARNs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::state::http::{Authorizer, Cors, Integration, Route, RouteSetting, Stage};

use crate::plan::v2::{StageOp, V2Op};
use crate::plan::PlanOp;

/// One apigatewayv2 (or Lambda) control-plane call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum HttpOp {
    /// create-api (protocol HTTP), with gwctl's ownership tag among `tags`.
    CreateApi {
        name: String,
        description: Option<String>,
        disable_execute_api_endpoint: bool,
        cors: Option<Cors>,
        tags: BTreeMap<String, String>,
    },
    /// update-api with only the attributes that differ (`description: Some("")` clears it).
    UpdateApi {
        description: Option<String>,
        disable_execute_api_endpoint: Option<bool>,
        cors: Option<Cors>,
    },
    /// delete-cors-configuration.
    DeleteCorsConfiguration,
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
    /// update-integration with every setting; parameter mappings the integration no longer
    /// has are sent with an empty value, which removes them.
    UpdateIntegration {
        key: String,
        def: Integration,
        removed_parameters: Vec<String>,
    },
    DeleteIntegration {
        key: String,
    },
    /// create-route; `def.target` and `def.authorizer` are a target key and a name.
    CreateRoute {
        route_key: String,
        def: Route,
    },
    /// update-route with target and authorization (an authorizer id `""` and no scopes when
    /// the route no longer uses an authorizer).
    UpdateRoute {
        route_key: String,
        def: Route,
    },
    DeleteRoute {
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
    /// Custom domain names and this API's API mappings (account-level; see
    /// [`crate::plan::domains`]).
    Domain(crate::plan::domains::DomainOp),
}

/// The groups of stage settings an update-stage call sends (see [`crate::plan::v2::StageUpdate`]).
pub type StageUpdate = crate::plan::v2::StageUpdate<RouteSetting>;

impl V2Op for HttpOp {
    type Setting = RouteSetting;
    fn create_deployment(description: String) -> Self {
        HttpOp::CreateDeployment { description }
    }
    fn create_stage(name: String, def: Stage, deploy: bool) -> Self {
        HttpOp::CreateStage { name, def, deploy }
    }
    fn update_stage(name: String, update: StageUpdate) -> Self {
        HttpOp::UpdateStage { name, update }
    }
    fn stage_op(&self) -> Option<StageOp<'_, RouteSetting>> {
        Some(match self {
            HttpOp::CreateDeployment { description } => StageOp::CreateDeployment { description },
            HttpOp::CreateStage { name, def, deploy } => StageOp::CreateStage {
                name,
                def,
                deploy: *deploy,
            },
            HttpOp::UpdateStage { name, update } => StageOp::UpdateStage { name, update },
            HttpOp::DeleteRouteSettings { stage, route_key } => {
                StageOp::DeleteRouteSettings { stage, route_key }
            }
            _ => return None,
        })
    }
}

impl HttpOp {
    /// The AWS operation name, for counting and messages.
    pub fn aws_name(&self) -> &'static str {
        match self {
            HttpOp::CreateApi { .. } => "CreateApi",
            HttpOp::UpdateApi { .. } => "UpdateApi",
            HttpOp::DeleteCorsConfiguration => "DeleteCorsConfiguration",
            HttpOp::CreateAuthorizer { .. } => "CreateAuthorizer",
            HttpOp::UpdateAuthorizer { .. } => "UpdateAuthorizer",
            HttpOp::DeleteAuthorizer { .. } => "DeleteAuthorizer",
            HttpOp::CreateIntegration { .. } => "CreateIntegration",
            HttpOp::UpdateIntegration { .. } => "UpdateIntegration",
            HttpOp::DeleteIntegration { .. } => "DeleteIntegration",
            HttpOp::CreateRoute { .. } => "CreateRoute",
            HttpOp::UpdateRoute { .. } => "UpdateRoute",
            HttpOp::DeleteRoute { .. } => "DeleteRoute",
            HttpOp::AddPermission { .. } => "AddPermission",
            HttpOp::RemovePermission { .. } => "RemovePermission",
            HttpOp::CreateDeployment { .. } => "CreateDeployment",
            HttpOp::CreateStage { .. } => "CreateStage",
            HttpOp::UpdateStage { .. } => "UpdateStage",
            HttpOp::DeleteRouteSettings { .. } => "DeleteRouteSettings",
            HttpOp::DeleteApi { .. } => "DeleteApi",
            HttpOp::Domain(d) => d.aws_name(true),
        }
    }

    /// A short label for progress lines: the operation and the object it acts on.
    pub fn label(&self) -> String {
        let what = match self {
            HttpOp::CreateApi { name, .. } => name.clone(),
            HttpOp::UpdateApi { .. } | HttpOp::DeleteCorsConfiguration => "api attributes".into(),
            HttpOp::CreateAuthorizer { name, .. }
            | HttpOp::UpdateAuthorizer { name, .. }
            | HttpOp::DeleteAuthorizer { name } => name.clone(),
            HttpOp::CreateIntegration { key, .. }
            | HttpOp::UpdateIntegration { key, .. }
            | HttpOp::DeleteIntegration { key } => key.clone(),
            HttpOp::CreateRoute { route_key, .. }
            | HttpOp::UpdateRoute { route_key, .. }
            | HttpOp::DeleteRoute { route_key } => route_key.clone(),
            HttpOp::AddPermission { function_key, .. }
            | HttpOp::RemovePermission { function_key, .. } => function_key.clone(),
            HttpOp::CreateDeployment { .. } => "new deployment".into(),
            HttpOp::CreateStage { name, .. } | HttpOp::UpdateStage { name, .. } => name.clone(),
            HttpOp::DeleteRouteSettings { stage, route_key } => format!("{stage} {route_key}"),
            HttpOp::DeleteApi { id } => id.clone(),
            HttpOp::Domain(d) => d.target(),
        };
        format!("{} {what}", self.aws_name())
    }
}

impl PlanOp for HttpOp {
    const API_LABEL: &'static str = "http api";
    fn aws_name(&self) -> &'static str {
        HttpOp::aws_name(self)
    }
    fn label(&self) -> String {
        HttpOp::label(self)
    }
}

crate::plan::permissions::permission_variants!(HttpOp);
