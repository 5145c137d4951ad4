//! A model of what API Gateway (v2, WebSocket APIs) and Lambda do with each [`WsOp`], for
//! planner tests (the counterpart of [`crate::plan::http::simulate`]):
//! `plan(desired, simulate(plan(desired, observed)))` must be empty. The model works on the
//! service's view (objects by id, [`RawWsApi`]) and reads back through the same
//! [`RawWsApi::assemble`] the reader uses, so the keys the planner sees after an apply are
//! the keys a real read would give. It models AWS, not the emulator's leniencies: a second
//! route with the same key, deleting an integration or authorizer a route still uses, route
//! settings for a route that does not exist, and pointing a stage at a deployment that was not
//! created are errors.

use std::collections::BTreeMap;

use crate::state::rest::Policies;
use crate::state::ws::{
    Integration, ObservedWsApi, RawIntegrationResponse, RawRoute, RawWsApi, Route, DEFAULT_KEY,
};

use super::ops::WsOp;
use crate::plan::simulate::{permission, SimError};
use crate::plan::v2::simulate::{
    conflict, missing, next_id, route_ids, route_settings_block_delete, Stages,
};
use crate::plan::v2::V2Op;

pub use crate::plan::v2::simulate::AUTO_DEPLOYMENT;

struct Sim {
    api: RawWsApi,
    /// What the executor knows: key/name -> id.
    integration_ids: BTreeMap<String, String>,
    route_ids: BTreeMap<String, String>,
    authorizer_ids: BTreeMap<String, String>,
    counter: usize,
    new_deployment: Option<String>,
}

impl Sim {
    fn next_id(&mut self, kind: &str) -> String {
        next_id(&mut self.counter, kind)
    }

    fn route_mut(&mut self, op: &'static str, key: &str) -> Result<&mut RawRoute, SimError> {
        let id = self
            .route_ids
            .get(key)
            .cloned()
            .ok_or_else(|| missing(op, key))?;
        self.api
            .routes
            .iter_mut()
            .find(|r| r.id == id)
            .ok_or_else(|| missing(op, key))
    }

    /// The service's form of a route: target and authorizer as ids.
    fn raw_route(
        &self,
        op: &'static str,
        id: String,
        key: &str,
        def: &Route,
    ) -> Result<RawRoute, SimError> {
        let (target, authorizer_id) = route_ids(
            op,
            (&self.integration_ids, &self.authorizer_ids),
            &def.target,
            &def.authorizer,
        )?;
        Ok(RawRoute {
            id,
            route_key: key.to_string(),
            target,
            authorization_type: def.authorization_type.clone(),
            authorizer_id,
            route_response_selection_expression: def.route_response_selection_expression.clone(),
            responses: Vec::new(),
        })
    }
}

/// Apply `ops` in order to `api` / `policies`, as the service would, and read the result back.
pub fn apply(
    api: Option<ObservedWsApi>,
    mut policies: Policies,
    ops: &[WsOp],
) -> Result<(ObservedWsApi, Policies), SimError> {
    let raw = api.as_ref().map(|a| a.to_raw()).unwrap_or_default();
    // Ids stay unique across runs: continue after the highest one the account holds.
    let ids = raw
        .routes
        .iter()
        .map(|r| &r.id)
        .chain(raw.integrations.iter().map(|i| &i.0))
        .chain(raw.authorizers.iter().map(|a| &a.0))
        .chain(raw.integration_responses.iter().map(|r| &r.id))
        .chain(raw.deployments.keys());
    let counter = ids
        .filter_map(|id| id.rsplit('-').next()?.parse::<usize>().ok())
        .max()
        .unwrap_or(0);
    let mut sim = Sim {
        integration_ids: api
            .as_ref()
            .map(|a| a.integration_ids.clone())
            .unwrap_or_default(),
        route_ids: api
            .as_ref()
            .map(|a| a.route_ids.clone())
            .unwrap_or_default(),
        authorizer_ids: api
            .as_ref()
            .map(|a| a.authorizer_ids.clone())
            .unwrap_or_default(),
        api: raw,
        counter,
        new_deployment: None,
    };
    let mut exists = api.is_some();
    for op in ops {
        let name = op.aws_name();
        if !exists && !matches!(op, WsOp::CreateApi { .. }) {
            return Err(SimError::NoApi(name));
        }
        match op {
            WsOp::CreateApi {
                name: api_name,
                description,
                route_selection_expression,
                api_key_selection_expression,
                tags,
            } => {
                sim.api = RawWsApi {
                    id: sim.next_id("api"),
                    name: api_name.clone(),
                    description: description.clone(),
                    route_selection_expression: route_selection_expression.clone(),
                    api_key_selection_expression: api_key_selection_expression.clone(),
                    tags: tags.clone(),
                    deployments_complete: true,
                    ..Default::default()
                };
                exists = true;
            }
            WsOp::UpdateApi {
                description,
                route_selection_expression,
                api_key_selection_expression,
            } => {
                if let Some(d) = description {
                    sim.api.description = Some(d.clone()).filter(|d| !d.is_empty());
                }
                if let Some(r) = route_selection_expression {
                    sim.api.route_selection_expression = r.clone();
                }
                if let Some(a) = api_key_selection_expression {
                    sim.api.api_key_selection_expression = Some(a.clone());
                }
            }
            WsOp::CreateAuthorizer { name: n, def } => {
                if sim.authorizer_ids.contains_key(n) {
                    return Err(conflict(name, n.clone()));
                }
                let id = sim.next_id("auth");
                sim.api
                    .authorizers
                    .push((id.clone(), n.clone(), def.clone()));
                sim.authorizer_ids.insert(n.clone(), id);
            }
            WsOp::UpdateAuthorizer { name: n, def } => {
                let id = sim.authorizer_ids.get(n).ok_or_else(|| missing(name, n))?;
                let a = sim
                    .api
                    .authorizers
                    .iter_mut()
                    .find(|a| a.0 == *id)
                    .ok_or_else(|| missing(name, n))?;
                a.2 = def.clone();
            }
            WsOp::DeleteAuthorizer { name: n } => {
                let id = sim
                    .authorizer_ids
                    .remove(n)
                    .ok_or_else(|| missing(name, n))?;
                if sim
                    .api
                    .routes
                    .iter()
                    .any(|r| r.authorizer_id.as_deref() == Some(&id))
                {
                    return Err(conflict(name, format!("authorizer {n} is still used")));
                }
                sim.api.authorizers.retain(|a| a.0 != id);
            }
            WsOp::CreateIntegration { key, def } => {
                let id = sim.next_id("int");
                let mut def = def.clone();
                // The service stores no parameter with an empty value.
                def.request_parameters.retain(|_, v| !v.is_empty());
                sim.api.integrations.push((id.clone(), def));
                sim.integration_ids.insert(key.clone(), id);
            }
            WsOp::UpdateIntegration { key, def, .. } => {
                let id = sim
                    .integration_ids
                    .get(key)
                    .ok_or_else(|| missing(name, key))?;
                let i = sim
                    .api
                    .integrations
                    .iter_mut()
                    .find(|i| i.0 == *id)
                    .ok_or_else(|| missing(name, key))?;
                // UpdateIntegration merges RequestParameters: a key not sent stays, a key
                // sent with "" is removed (what Terraform's apigatewayv2 integration relies
                // on). The other settings are modelled as replaced.
                let mut params = std::mem::take(&mut i.1.request_parameters);
                for (k, v) in &def.request_parameters {
                    if v.is_empty() {
                        params.remove(k);
                    } else {
                        params.insert(k.clone(), v.clone());
                    }
                }
                i.1 = Integration {
                    request_parameters: params,
                    ..def.clone()
                };
            }
            WsOp::DeleteIntegration { key } => {
                let id = sim
                    .integration_ids
                    .remove(key)
                    .ok_or_else(|| missing(name, key))?;
                let target = format!("integrations/{id}");
                if sim
                    .api
                    .routes
                    .iter()
                    .any(|r| r.target.as_deref() == Some(&target))
                {
                    return Err(conflict(name, format!("integration {key} is still used")));
                }
                sim.api.integrations.retain(|i| i.0 != id);
                // Its integration responses go with it.
                sim.api
                    .integration_responses
                    .retain(|r| r.integration_id != id);
            }
            WsOp::CreateIntegrationResponse {
                integration,
                key,
                def,
            } => {
                let iid = sim
                    .integration_ids
                    .get(integration)
                    .cloned()
                    .ok_or_else(|| missing(name, integration))?;
                if sim
                    .api
                    .integration_responses
                    .iter()
                    .any(|r| r.integration_id == iid && r.key == *key)
                {
                    return Err(conflict(name, format!("{integration} {key}")));
                }
                let id = sim.next_id("ir");
                sim.api.integration_responses.push(RawIntegrationResponse {
                    integration_id: iid,
                    id,
                    key: key.clone(),
                    def: def.clone(),
                });
            }
            WsOp::UpdateIntegrationResponse {
                integration,
                key,
                def,
            } => {
                let iid = sim
                    .integration_ids
                    .get(integration)
                    .ok_or_else(|| missing(name, integration))?;
                let r = sim
                    .api
                    .integration_responses
                    .iter_mut()
                    .find(|r| r.integration_id == *iid && r.key == *key)
                    .ok_or_else(|| missing(name, &format!("{integration} {key}")))?;
                // Modelled as the pessimistic reading of UpdateIntegrationResponse: what the
                // call leaves out stays (template keys merge; an unsent selection expression
                // or content handling is kept), so a plan relying on an update to remove
                // something does not converge here (docs/design.md).
                r.def.templates.extend(def.templates.clone());
                if def.template_selection_expression.is_some() {
                    r.def.template_selection_expression = def.template_selection_expression.clone();
                }
                if def.content_handling.is_some() {
                    r.def.content_handling = def.content_handling.clone();
                }
            }
            WsOp::DeleteIntegrationResponse { integration, key } => {
                let iid = sim
                    .integration_ids
                    .get(integration)
                    .ok_or_else(|| missing(name, integration))?;
                let before = sim.api.integration_responses.len();
                sim.api
                    .integration_responses
                    .retain(|r| !(r.integration_id == *iid && r.key == *key));
                if sim.api.integration_responses.len() == before {
                    return Err(missing(name, &format!("{integration} {key}")));
                }
            }
            WsOp::CreateRoute { route_key, def } => {
                if sim.api.routes.iter().any(|r| r.route_key == *route_key) {
                    return Err(conflict(name, route_key.clone()));
                }
                let id = sim.next_id("route");
                let raw = sim.raw_route(name, id.clone(), route_key, def)?;
                sim.api.routes.push(raw);
                sim.route_ids.insert(route_key.clone(), id);
            }
            WsOp::UpdateRoute { route_key, def } => {
                let id = sim.route_mut(name, route_key)?.id.clone();
                let key = sim.route_mut(name, route_key)?.route_key.clone();
                let responses = sim.route_mut(name, route_key)?.responses.clone();
                let raw = sim.raw_route(name, id, &key, def)?;
                *sim.route_mut(name, route_key)? = RawRoute { responses, ..raw };
            }
            WsOp::CreateRouteResponse { route_key } => {
                let id = sim.next_id("rr");
                let route = sim.route_mut(name, route_key)?;
                if route.responses.iter().any(|(_, k)| k == DEFAULT_KEY) {
                    return Err(conflict(name, route_key.clone()));
                }
                route.responses.push((id, DEFAULT_KEY.to_string()));
            }
            WsOp::DeleteRouteResponse { route_key } => {
                let route = sim.route_mut(name, route_key)?;
                let before = route.responses.len();
                route.responses.retain(|(_, k)| k != DEFAULT_KEY);
                if route.responses.len() == before {
                    return Err(missing(name, route_key));
                }
            }
            WsOp::DeleteRoute { route_key } => {
                let id = sim
                    .route_ids
                    .remove(route_key)
                    .ok_or_else(|| missing(name, route_key))?;
                let real = crate::state::v2::base_key(route_key);
                let duplicates = sim
                    .api
                    .routes
                    .iter()
                    .filter(|r| r.route_key == real)
                    .count();
                if route_settings_block_delete(&sim.api.stages, real, duplicates) {
                    return Err(conflict(
                        name,
                        format!("route {real} has stage route settings"),
                    ));
                }
                sim.api.routes.retain(|r| r.id != id);
            }
            WsOp::AddPermission { .. } | WsOp::RemovePermission { .. } => permission(
                &mut policies,
                name,
                (&sim.api.id, &sim.authorizer_ids),
                op.permission().expect("a permission op"),
            )?,
            WsOp::CreateDeployment { .. }
            | WsOp::CreateStage { .. }
            | WsOp::UpdateStage { .. }
            | WsOp::DeleteRouteSettings { .. } => Stages {
                route_keys: sim
                    .api
                    .routes
                    .iter()
                    .map(|r| r.route_key.as_str())
                    .collect(),
                stages: &mut sim.api.stages,
                deployments: &mut sim.api.deployments,
                counter: &mut sim.counter,
                new_deployment: &mut sim.new_deployment,
            }
            .apply(name, op.stage_op().expect("a stage op"))?,
            WsOp::DeleteApi { id } => {
                if sim.api.id != *id {
                    return Err(missing(name, id));
                }
                // Nothing is left to act on; later ops would fail as on AWS.
                sim.api.routes.clear();
                sim.api.integrations.clear();
                sim.api.integration_responses.clear();
                sim.api.authorizers.clear();
                sim.api.stages.clear();
                sim.api.deployments.clear();
            }
        }
    }
    if !exists {
        return Err(SimError::NoApi("plan"));
    }
    Ok((sim.api.assemble(), policies))
}
