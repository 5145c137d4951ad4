//! What API Gateway does with the stage and deployment ops of an apigatewayv2 API
//! ([`StageOp`]), for the HTTP and WebSocket simulators ([`crate::plan::http::simulate`],
//! [`crate::plan::ws::simulate`]). As there, it models AWS: route settings for a route that
//! does not exist, and pointing a stage at a deployment that was not created, are errors.

use std::collections::BTreeMap;

use crate::plan::simulate::SimError;
use crate::state::rest::Deployment;
use crate::state::v2::{ObservedStage, Stage};

use super::StageOp;

/// Description API Gateway gives the deployments it makes for auto-deploy stages.
pub const AUTO_DEPLOYMENT: &str =
    "Automatic deployment triggered by changes to the Api configuration";

/// The part of a simulated API stage ops act on, borrowed from the kind's simulator.
pub struct Stages<'a, R> {
    /// The route keys the API has (as the service knows them).
    pub route_keys: Vec<&'a str>,
    pub stages: &'a mut BTreeMap<String, ObservedStage<R>>,
    pub deployments: &'a mut BTreeMap<String, Deployment>,
    /// The simulator's id counter.
    pub counter: &'a mut usize,
    /// The deployment created in this run.
    pub new_deployment: &'a mut Option<String>,
}

/// The next simulated id of `kind`: `sim-{kind}-{n:03}`.
pub fn next_id(counter: &mut usize, kind: &str) -> String {
    *counter += 1;
    format!("sim-{kind}-{:03}", *counter)
}

pub fn missing(op: &'static str, what: &str) -> SimError {
    SimError::Missing {
        op,
        what: what.to_string(),
    }
}

pub fn conflict(op: &'static str, what: String) -> SimError {
    SimError::Conflict { op, what }
}

/// A route's target key and authorizer name as the service's `integrations/{id}` and
/// authorizer id (`ids`: target key -> integration id, authorizer name -> id); an unknown
/// one is an error of `op`.
pub fn route_ids(
    op: &'static str,
    ids: (&BTreeMap<String, String>, &BTreeMap<String, String>),
    target: &Option<String>,
    authorizer: &Option<String>,
) -> Result<(Option<String>, Option<String>), SimError> {
    let target = match target {
        Some(t) => Some(format!(
            "integrations/{}",
            ids.0.get(t).ok_or_else(|| missing(op, t))?
        )),
        None => None,
    };
    let authorizer_id = match authorizer {
        Some(a) => Some(ids.1.get(a).cloned().ok_or_else(|| missing(op, a))?),
        None => None,
    };
    Ok((target, authorizer_id))
}

/// Whether deleting route `real` (a service route key, of which `count` routes exist) is
/// refused because a stage still has settings for it.
pub fn route_settings_block_delete<R>(
    stages: &BTreeMap<String, ObservedStage<R>>,
    real: &str,
    count: usize,
) -> bool {
    count == 1
        && stages
            .values()
            .any(|s| s.settings.route_settings.contains_key(real))
}

impl<R: Clone> Stages<'_, R> {
    fn check_route_settings(
        &self,
        op: &'static str,
        settings: &BTreeMap<String, R>,
    ) -> Result<(), SimError> {
        for k in settings.keys() {
            if !self.route_keys.contains(&k.as_str()) {
                return Err(missing(op, k));
            }
        }
        Ok(())
    }

    /// Apply one stage op `op` (named `name`).
    pub fn apply(&mut self, name: &'static str, op: StageOp<'_, R>) -> Result<(), SimError> {
        match op {
            StageOp::CreateDeployment { description } => {
                let id = next_id(self.counter, "dep");
                self.deployments.insert(
                    id.clone(),
                    Deployment {
                        id: id.clone(),
                        description: Some(description.to_string()),
                    },
                );
                *self.new_deployment = Some(id);
            }
            StageOp::CreateStage {
                name: n,
                def,
                deploy,
            } => {
                if self.stages.contains_key(n) {
                    return Err(conflict(name, n.to_string()));
                }
                self.check_route_settings(name, &def.route_settings)?;
                let auto = def.auto_deploy.unwrap_or(false);
                let deployment_id = if deploy {
                    Some(
                        self.new_deployment
                            .clone()
                            .ok_or_else(|| missing(name, "deployment"))?,
                    )
                } else if auto {
                    let id = next_id(self.counter, "auto");
                    self.deployments.insert(
                        id.clone(),
                        Deployment {
                            id: id.clone(),
                            description: Some(AUTO_DEPLOYMENT.into()),
                        },
                    );
                    Some(id)
                } else {
                    None
                };
                self.stages.insert(
                    n.to_string(),
                    ObservedStage {
                        deployment_id,
                        settings: Stage {
                            auto_deploy: Some(auto),
                            ..def.clone()
                        },
                    },
                );
            }
            StageOp::UpdateStage { name: n, update } => {
                if let Some(r) = &update.route_settings {
                    self.check_route_settings(name, r)?;
                }
                let new_deployment = self.new_deployment.clone();
                let st = self.stages.get_mut(n).ok_or_else(|| missing(name, n))?;
                if update.deploy {
                    st.deployment_id =
                        Some(new_deployment.ok_or_else(|| missing(name, "deployment"))?);
                }
                let s = &mut st.settings;
                if let Some(d) = &update.description {
                    s.description = Some(d.clone());
                }
                if let Some(a) = update.auto_deploy {
                    s.auto_deploy = Some(a);
                }
                for (k, v) in &update.variables {
                    if v.is_empty() {
                        s.variables.remove(k);
                    } else {
                        s.variables.insert(k.clone(), v.clone());
                    }
                }
                if let Some(d) = &update.default_route_settings {
                    s.default_route_settings = d.clone();
                }
                // Route settings are merged per route key; removing one takes
                // delete-route-settings.
                if let Some(r) = &update.route_settings {
                    for (k, v) in r {
                        s.route_settings.insert(k.clone(), v.clone());
                    }
                }
                if update.access_log.is_some() {
                    s.access_log = update.access_log.clone();
                }
            }
            StageOp::DeleteRouteSettings { stage, route_key } => {
                let st = self
                    .stages
                    .get_mut(stage)
                    .ok_or_else(|| missing(name, stage))?;
                if st.settings.route_settings.remove(route_key).is_none() {
                    return Err(missing(name, route_key));
                }
            }
        }
        Ok(())
    }
}
