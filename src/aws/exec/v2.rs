//! What the HTTP ([`super::http`]) and WebSocket ([`super::ws`]) executors share as
//! apigatewayv2 APIs: the stage and deployment ops ([`StageOp`]) and how stage settings are
//! sent. A create-stage answered ConflictException adopts the stage (an earlier attempt whose
//! answer was lost, or another run) and still gives it what the op asks (no such stage: the
//! conflict was a concurrent modification, and the create is tried again after a backoff); a
//! delete-route-settings answered NotFound is done. Each kind says how its route setting is
//! sent ([`SdkRouteSetting`]).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;

use aws_sdk_apigatewayv2::operation::create_stage::builders::CreateStageFluentBuilder;
use aws_sdk_apigatewayv2::operation::update_stage::builders::UpdateStageFluentBuilder;
use aws_sdk_apigatewayv2::types as v2;

use super::{deleted, hash_map, internal, retry_while_busy, OpOutcome, Settled};
use crate::aws::error::{classify, AwsError, ErrorKind};
use crate::aws::recover::{create_or_find, find, Identity, Made};
use crate::aws::Clients;
use crate::plan::v2::{StageOp, StageUpdate};
use crate::state::rest::AccessLog;
use crate::state::v2::{RouteSettings, Stage};

/// A kind's route setting as the SDK sends it.
pub trait SdkRouteSetting: RouteSettings {
    fn sdk(&self) -> v2::RouteSettings;
}

fn route_settings_map<R: SdkRouteSetting>(
    m: &BTreeMap<String, R>,
) -> Option<HashMap<String, v2::RouteSettings>> {
    (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), v.sdk())).collect())
}

fn access_log(a: &AccessLog) -> v2::AccessLogSettings {
    v2::AccessLogSettings::builder()
        .destination_arn(&a.destination_arn)
        .format(&a.format)
        .build()
}

/// The API's id, or the error of an op on an API that was neither found nor created.
pub fn api(op: &str, api_id: &Option<String>) -> Result<String, AwsError> {
    api_id.clone().ok_or_else(|| {
        internal(
            op,
            "no API id: the plan acts on an API that was neither found nor created".into(),
        )
    })
}

/// The deployment created in this run, or the error of an op that needs one.
pub fn deployment(op: &str, deployment_id: &Option<String>) -> Result<String, AwsError> {
    deployment_id.clone().ok_or_else(|| {
        internal(
            op,
            "no deployment was created in this run to point the stage at".into(),
        )
    })
}

/// The id a create call answered with; its absence is an error naming what is missing.
pub fn answered_id(op: &str, what: &str, id: Option<&str>) -> Result<String, AwsError> {
    id.map(str::to_string)
        .ok_or_else(|| internal(op, format!("the answer carries no {what} id")))
}

/// Run one stage op `op` (named `name`) on the API `api_id`; a created deployment's id is
/// kept in `deployment_id`.
pub async fn apply_stage_op<R: SdkRouteSetting>(
    clients: &Clients,
    name: &str,
    api_id: &Option<String>,
    deployment_id: &mut Option<String>,
    op: StageOp<'_, R>,
) -> Result<OpOutcome, AwsError> {
    let gw = &clients.apigw2;
    match op {
        StageOp::CreateDeployment { description } => {
            let out = gw
                .create_deployment()
                .api_id(api(name, api_id)?)
                .description(description)
                .send()
                .await
                .map_err(|e| classify(name, e))?;
            let id = answered_id(name, "deployment", out.deployment_id())?;
            *deployment_id = Some(id.clone());
            Ok(OpOutcome::Created { id })
        }
        StageOp::CreateStage {
            name: stage,
            def,
            deploy,
        } => {
            let deployment = if deploy {
                Some(deployment(name, deployment_id)?)
            } else {
                None
            };
            let api = api(name, api_id)?;
            let (api, deployment) = (&api, &deployment);
            retry_while_busy(|| async move {
                let res = create_stage(gw.create_stage().api_id(api), stage, def)
                    .set_deployment_id(deployment.clone())
                    .send()
                    .await;
                let e = match res {
                    Ok(_) => return Ok(Settled::Done(OpOutcome::Applied)),
                    Err(e) => classify(name, e),
                };
                if e.kind != ErrorKind::Conflict {
                    return Err(e);
                }
                // The stage exists (an earlier attempt whose answer was lost, or another
                // run): adopt it, and still give it what this op asks. No such stage: the
                // conflict was a concurrent modification, and the create is tried again.
                let update = adopted_stage_update(def, deployment.is_some());
                let res = update_stage(gw.update_stage().api_id(api).stage_name(stage), &update)
                    .set_deployment_id(deployment.clone())
                    .send()
                    .await
                    .map_err(|e| classify("UpdateStage", e));
                match res {
                    Ok(_) => Ok(Settled::Done(OpOutcome::Adopted {
                        id: stage.to_string(),
                    })),
                    Err(u) if u.is_not_found() => Ok(Settled::Busy(e)),
                    Err(u) => Err(u),
                }
            })
            .await
        }
        StageOp::UpdateStage {
            name: stage,
            update,
        } => {
            let deployment = if update.deploy {
                Some(deployment(name, deployment_id)?)
            } else {
                None
            };
            update_stage(
                gw.update_stage()
                    .api_id(api(name, api_id)?)
                    .stage_name(stage),
                update,
            )
            .set_deployment_id(deployment)
            .send()
            .await
            .map_err(|e| classify(name, e))?;
            Ok(OpOutcome::Applied)
        }
        StageOp::DeleteRouteSettings { stage, route_key } => {
            let res = gw
                .delete_route_settings()
                .api_id(api(name, api_id)?)
                .stage_name(stage)
                .route_key(route_key)
                .send()
                .await;
            deleted(name, res)
        }
    }
}

fn create_stage<R: SdkRouteSetting>(
    b: CreateStageFluentBuilder,
    name: &str,
    def: &Stage<R>,
) -> CreateStageFluentBuilder {
    let drs = &def.default_route_settings;
    b.stage_name(name)
        .set_description(def.description.clone())
        .set_auto_deploy(def.auto_deploy)
        .set_stage_variables(hash_map(&def.variables))
        .set_default_route_settings((*drs != R::default()).then(|| drs.sdk()))
        .set_route_settings(route_settings_map(&def.route_settings))
        .set_access_log_settings(def.access_log.as_ref().map(access_log))
}

/// Everything a created stage would have had, as an update of an adopted one.
fn adopted_stage_update<R: SdkRouteSetting>(def: &Stage<R>, deploy: bool) -> StageUpdate<R> {
    StageUpdate {
        description: def.description.clone(),
        auto_deploy: def.auto_deploy,
        deploy,
        variables: def.variables.clone(),
        default_route_settings: (def.default_route_settings != R::default())
            .then(|| def.default_route_settings.clone()),
        route_settings: (!def.route_settings.is_empty()).then(|| def.route_settings.clone()),
        access_log: def.access_log.clone(),
    }
}

fn update_stage<R: SdkRouteSetting>(
    b: UpdateStageFluentBuilder,
    u: &StageUpdate<R>,
) -> UpdateStageFluentBuilder {
    b.set_description(u.description.clone())
        .set_auto_deploy(u.auto_deploy)
        .set_stage_variables(hash_map(&u.variables))
        .set_default_route_settings(u.default_route_settings.as_ref().map(R::sdk))
        .set_route_settings(u.route_settings.as_ref().and_then(route_settings_map))
        .set_access_log_settings(u.access_log.as_ref().map(access_log))
}

/// The id `ids` knows for `key` (a `what`), or the error of an op that needs it.
pub fn id_of(
    op: &str,
    what: &str,
    ids: &BTreeMap<String, String>,
    key: &str,
) -> Result<String, AwsError> {
    ids.get(key)
        .cloned()
        .ok_or_else(|| internal(op, format!("no id known for {what} `{key}`")))
}

/// A route's target key and authorizer name as the ids the service takes
/// (`integrations/{id}`, the authorizer's id).
pub fn route_ids_of(
    op: &str,
    integration_ids: &BTreeMap<String, String>,
    authorizer_ids: &BTreeMap<String, String>,
    target: &Option<String>,
    authorizer: &Option<String>,
) -> Result<(Option<String>, Option<String>), AwsError> {
    let target = match target {
        Some(key) => Some(format!(
            "integrations/{}",
            id_of(op, "integration", integration_ids, key)?
        )),
        None => None,
    };
    let authorizer = match authorizer {
        Some(name) => Some(id_of(op, "authorizer", authorizer_ids, name)?),
        None => None,
    };
    Ok((target, authorizer))
}

/// What a create that may be adopted makes: a route (by route key) or an authorizer (by
/// name).
#[derive(Debug, Clone, Copy)]
pub enum AdoptKind {
    Route,
    Authorizer,
}

impl AdoptKind {
    pub fn what(self) -> &'static str {
        match self {
            AdoptKind::Route => "route",
            AdoptKind::Authorizer => "authorizer",
        }
    }
}

/// Create a route, authorizer or route response (`what`, for messages) with `create` (one
/// create call, classified, answering the new id), looking before re-creating after a lost answer ([`create_or_find`]); the id, with
/// the op's outcome. A ConflictException (the transport hands it straight back:
/// [`crate::aws::pace::conflict_means_exists`]) means the key or name is taken, by an earlier
/// attempt whose answer was lost or by another run: the object `identity` names is looked
/// up (one list of the API's routes, authorizers or the route's responses) and adopted. Nothing there: the conflict
/// was a concurrent modification, and the create is tried again after a backoff
/// ([`retry_while_busy`]). Any other error is returned as is.
pub async fn create_or_adopt<F, Fut>(
    clients: &Clients,
    op: &str,
    what: &str,
    identity: Identity<'_>,
    create: F,
) -> Result<(String, OpOutcome), AwsError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Option<String>, AwsError>>,
{
    let create = &create;
    retry_while_busy(|| async move {
        let e = match create_or_find(clients, identity, create).await {
            Ok(Made::Created(id)) => {
                let id = answered_id(op, what, id.as_deref())?;
                return Ok(Settled::Done((id.clone(), OpOutcome::Created { id })));
            }
            Ok(Made::Adopted(id)) => {
                return Ok(Settled::Done((id.clone(), OpOutcome::Adopted { id })))
            }
            Err(e) if e.kind != ErrorKind::Conflict => return Err(e),
            Err(e) => e,
        };
        Ok(match find(clients, &identity).await? {
            Some(id) => Settled::Done((id.clone(), OpOutcome::Adopted { id })),
            None => Settled::Busy(e),
        })
    })
    .await
}

/// A concurrent copy's id of `k` (or its absence) into `ids` (see `ForkExecutor::merge`).
pub fn keep(ids: &mut BTreeMap<String, String>, learned: &BTreeMap<String, String>, k: &str) {
    match learned.get(k) {
        Some(id) => ids.insert(k.to_string(), id.clone()),
        None => ids.remove(k),
    };
}
