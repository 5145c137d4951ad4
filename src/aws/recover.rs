//! Looking before re-creating: what the executors do when a create got no answer.
//!
//! A create that is not idempotent (a second call makes a second API, authorizer, key, plan,
//! route, integration or statement; see [`crate::aws::pace::ambiguous_if_unanswered`]) is
//! not retried by the paced transport when it gets no answer: the call may have been
//! applied, and only the service's state can say. [`create_or_find`] is the retry loop for
//! those creates, in the executor, within the same apply:
//!
//! 1. send the create; an answer (success or error) is final here;
//! 2. no answer, or a 5xx one ([`unanswered`]: the SDK's dispatch failure or timeout, an
//!    answer that could not be read, or a server error, told apart by the error's type and
//!    code, never by its message): wait a backoff, then look for the object by its identity
//!    ([`Identity`], [`find`]);
//! 3. found: the lost call was applied; its id is adopted ([`Made::Adopted`], reported as
//!    [`crate::aws::exec::OpOutcome::Adopted`]);
//! 4. not found: the call never reached the service; send it again, up to
//!    [`CREATE_ATTEMPTS`] attempts in all.
//!
//! The identities are the ones gwctl finds its objects by on the next run: a REST or HTTP
//! API by name and the tags gwctl writes at creation (oldest first, as the twin check keeps
//! the oldest), an API key or usage plan by name and tags, a resource by path, an authorizer
//! by name within its API, a route by route key, an integration by its configuration (the
//! planner keys integrations by what they call) among those the executor does not already
//! know, a Lambda permission by statement id and exact grant.
//!
//! A create still in flight at the service when the lookup runs (a slow service, not a
//! dropped connection) is not seen, and a second one follows: for APIs the twin check after
//! the run ([`crate::cli`]'s `execute_converging`) removes it; for the objects inside an API
//! the next plan shows the duplicate and deletes it.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use aws_sdk_apigateway::types as agt;

use super::error::{classify, AwsError, ErrorKind};
use super::pace::{jitter_unit, RetryKind, RetryPolicy};
use super::read::http::{find_http_apis, map_integration};
use super::read::rest::{find_rest_apis, get_authorizers, get_resources, read_stages};
use super::read::usage::get_usage_plans;
use super::read::{all_pages, get_policy, to_btree, PAGE_LIMIT};
use super::Clients;
use crate::plan::rest::ops::{Op, Patch};
use crate::plan::rest::stage_patches;
use crate::state::http::Integration;
use crate::state::rest::Stage;

/// Attempts of a create whose answers were lost (the first included), each after a lookup
/// that found nothing.
pub const CREATE_ATTEMPTS: u32 = 5;

/// Whether `e` leaves it open if the call was applied: no answer (connection refused or
/// dropped, timeout, an unreadable answer) or a server error (5xx, which the transport does
/// not retry for these creates). Decided by the SDK error's type and the answer's code
/// ([`classify`] maps `DispatchFailure`, `TimeoutError` and unreadable non-5xx answers to
/// [`ErrorKind::Transport`], 5xx to [`ErrorKind::Service`]).
pub fn unanswered(e: &AwsError) -> bool {
    matches!(e.kind, ErrorKind::Transport | ErrorKind::Service)
}

/// What a create-or-find ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Made<T> {
    /// The create answered.
    Created(T),
    /// A create got no answer, and the object was found: its id.
    Adopted(String),
}

/// What identifies the object a create makes (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub enum Identity<'a> {
    /// A REST API: name, and every tag the create sends.
    RestApi {
        name: &'a str,
        tags: &'a BTreeMap<String, String>,
    },
    /// A resource of a REST API, by path.
    Resource { api: &'a str, path: &'a str },
    /// An authorizer of a REST API, by name.
    RestAuthorizer { api: &'a str, name: &'a str },
    /// A model of a REST API, by name (unique in the API; the id is the name).
    Model { api: &'a str, name: &'a str },
    /// A request validator of a REST API, by name.
    RequestValidator { api: &'a str, name: &'a str },
    /// An API key: name and tags.
    ApiKey {
        name: &'a str,
        tags: &'a BTreeMap<String, String>,
    },
    /// A usage plan: name and tags.
    UsagePlan {
        name: &'a str,
        tags: &'a BTreeMap<String, String>,
    },
    /// An HTTP API: name and tags.
    HttpApi {
        name: &'a str,
        tags: &'a BTreeMap<String, String>,
    },
    /// A route of an HTTP API, by route key.
    Route { api: &'a str, route_key: &'a str },
    /// An integration of an HTTP API with this configuration, other than those in `known`.
    Integration {
        api: &'a str,
        def: &'a Integration,
        known: &'a BTreeSet<String>,
    },
    /// An authorizer of an HTTP or WebSocket API, by name.
    HttpAuthorizer { api: &'a str, name: &'a str },
    /// A WebSocket API: name and tags.
    WsApi {
        name: &'a str,
        tags: &'a BTreeMap<String, String>,
    },
    /// An integration of a WebSocket API with this configuration, other than those in
    /// `known`.
    WsIntegration {
        api: &'a str,
        def: &'a crate::state::ws::Integration,
        known: &'a BTreeSet<String>,
    },
    /// A route response of a WebSocket API's route, by route response key.
    RouteResponse {
        api: &'a str,
        route: &'a str,
        key: &'a str,
    },
    /// An integration response of a WebSocket API's integration, by integration response key.
    IntegrationResponse {
        api: &'a str,
        integration: &'a str,
        key: &'a str,
    },
    /// A custom domain name, by name (the name is unique in the account and region), in the
    /// API family that created it.
    DomainName {
        name: &'a str,
        api: super::read::domains::DomainApi,
    },
    /// A Lambda permission statement granting API Gateway exactly this (`function`
    /// unqualified).
    Permission {
        function: &'a str,
        qualifier: Option<&'a str>,
        sid: &'a str,
        source: &'a str,
    },
}

fn has_tags(have: &BTreeMap<String, String>, want: &BTreeMap<String, String>) -> bool {
    want.iter().all(|(k, v)| have.get(k) == Some(v))
}

/// The first id in order (ids sort deterministically; the reader keeps the first by id).
fn first(ids: impl IntoIterator<Item = String>) -> Option<String> {
    ids.into_iter().filter(|id| !id.is_empty()).min()
}

/// The id of the object `identity` names, if it exists (for a permission: its statement
/// id). Every list is read to its last page.
pub async fn find(c: &Clients, identity: &Identity<'_>) -> Result<Option<String>, AwsError> {
    match *identity {
        Identity::DomainName { name, api } => Ok(super::read::domains::find_domain(c, api, name)
            .await?
            .map(|_| name.to_string())),
        Identity::RestApi { name, tags } => Ok(find_rest_apis(c, name)
            .await?
            .into_iter()
            .find(|a| has_tags(&a.tags, tags))
            .map(|a| a.id)),
        Identity::HttpApi { name, tags } => Ok(find_http_apis(c, name)
            .await?
            .into_iter()
            .find(|a| has_tags(&a.tags, tags))
            .map(|a| a.id)),
        Identity::WsApi { name, tags } => Ok(crate::aws::read::ws::find_ws_apis(c, name)
            .await?
            .into_iter()
            .find(|a| has_tags(&a.tags, tags))
            .map(|a| a.id)),
        Identity::WsIntegration { api, def, known } => {
            let list = all_pages(|token| async move {
                let page = c
                    .apigw2
                    .get_integrations()
                    .api_id(api)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| classify("GetIntegrations", e))?;
                Ok((page.items().to_vec(), page.next_token().map(str::to_string)))
            })
            .await?;
            let mut want = def.clone();
            want.normalize();
            Ok(first(
                list.iter()
                    .filter_map(crate::aws::read::ws::map_integration)
                    .filter_map(|(id, mut i)| {
                        i.normalize();
                        (i == want && !known.contains(&id)).then_some(id)
                    }),
            ))
        }
        Identity::RouteResponse { api, route, key } => {
            let list = all_pages(|token| async move {
                let page = c
                    .apigw2
                    .get_route_responses()
                    .api_id(api)
                    .route_id(route)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| classify("GetRouteResponses", e))?;
                Ok((page.items().to_vec(), page.next_token().map(str::to_string)))
            })
            .await?;
            Ok(first(
                list.iter()
                    .filter(|r| r.route_response_key() == Some(key))
                    .filter_map(|r| r.route_response_id().map(str::to_string)),
            ))
        }
        Identity::IntegrationResponse {
            api,
            integration,
            key,
        } => {
            let list = crate::aws::read::ws::integration_responses_of(c, api, integration).await?;
            Ok(first(
                list.iter()
                    .filter(|r| r.integration_response_key() == Some(key))
                    .filter_map(|r| r.integration_response_id().map(str::to_string)),
            ))
        }
        Identity::Resource { api, path } => Ok(first(
            get_resources(c, api, false)
                .await?
                .iter()
                .filter(|r| r.path() == Some(path))
                .filter_map(|r| r.id().map(str::to_string)),
        )),
        Identity::RestAuthorizer { api, name } => Ok(first(
            get_authorizers(c, api)
                .await?
                .iter()
                .filter(|a| a.name() == Some(name))
                .filter_map(|a| a.id().map(str::to_string)),
        )),
        Identity::Model { api, name } => Ok(first(
            crate::aws::read::rest::get_models(c, api)
                .await?
                .iter()
                .filter(|m| m.name() == Some(name))
                .filter_map(|m| m.name().map(str::to_string)),
        )),
        Identity::RequestValidator { api, name } => Ok(first(
            crate::aws::read::rest::get_request_validators(c, api)
                .await?
                .iter()
                .filter(|v| v.name() == Some(name))
                .filter_map(|v| v.id().map(str::to_string)),
        )),
        Identity::ApiKey { name, tags } => {
            let list: Vec<agt::ApiKey> = all_pages(|position| async move {
                let page = c
                    .apigw
                    .get_api_keys()
                    .name_query(name)
                    .include_values(false)
                    .limit(PAGE_LIMIT)
                    .set_position(position)
                    .send()
                    .await
                    .map_err(|e| classify("GetApiKeys", e))?;
                Ok((page.items().to_vec(), page.position().map(str::to_string)))
            })
            .await?;
            Ok(oldest(list.iter().filter_map(|k| {
                (k.name() == Some(name) && has_tags(&to_btree(k.tags()), tags))
                    .then(|| Some((k.created_date().map(|d| d.secs()), k.id()?.to_string())))
                    .flatten()
            })))
        }
        Identity::UsagePlan { name, tags } => {
            Ok(first(get_usage_plans(c).await?.iter().filter_map(|p| {
                (p.name() == Some(name) && has_tags(&to_btree(p.tags()), tags))
                    .then(|| p.id().map(str::to_string))
                    .flatten()
            })))
        }
        Identity::Route { api, route_key } => {
            let list = all_pages(|token| async move {
                let page = c
                    .apigw2
                    .get_routes()
                    .api_id(api)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| classify("GetRoutes", e))?;
                Ok((page.items().to_vec(), page.next_token().map(str::to_string)))
            })
            .await?;
            Ok(first(
                list.iter()
                    .filter(|r| r.route_key() == Some(route_key))
                    .filter_map(|r| r.route_id().map(str::to_string)),
            ))
        }
        Identity::Integration { api, def, known } => {
            let list = all_pages(|token| async move {
                let page = c
                    .apigw2
                    .get_integrations()
                    .api_id(api)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| classify("GetIntegrations", e))?;
                Ok((page.items().to_vec(), page.next_token().map(str::to_string)))
            })
            .await?;
            let mut want = def.clone();
            want.normalize();
            Ok(first(list.iter().filter_map(map_integration).filter_map(
                |(id, mut i)| {
                    i.normalize();
                    (i == want && !known.contains(&id)).then_some(id)
                },
            )))
        }
        Identity::HttpAuthorizer { api, name } => {
            let list = all_pages(|token| async move {
                let page = c
                    .apigw2
                    .get_authorizers()
                    .api_id(api)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| classify("GetAuthorizers", e))?;
                Ok((page.items().to_vec(), page.next_token().map(str::to_string)))
            })
            .await?;
            Ok(first(
                list.iter()
                    .filter(|a| a.name() == Some(name))
                    .filter_map(|a| a.authorizer_id().map(str::to_string)),
            ))
        }
        Identity::Permission {
            function,
            qualifier,
            sid,
            source,
        } => Ok(get_policy(c, function, qualifier)
            .await?
            .iter()
            .any(|s| grants(s, sid, source))
            .then(|| sid.to_string())),
    }
}

/// Whether `s` is statement `sid` granting API Gateway invoke with this source ARN.
pub fn grants(s: &crate::state::PolicyStatement, sid: &str, source: &str) -> bool {
    s.sid == sid
        && s.effect == "Allow"
        && s.action == crate::plan::permissions::INVOKE_ACTION
        && s.principal_service.as_deref() == Some(crate::plan::permissions::APIGATEWAY_PRINCIPAL)
        && s.source_arn.as_deref() == Some(source)
}

/// The oldest of (creation time, id) pairs, ties by id.
fn oldest(items: impl IntoIterator<Item = (Option<i64>, String)>) -> Option<String> {
    items
        .into_iter()
        .filter(|(_, id)| !id.is_empty())
        .min()
        .map(|(_, id)| id)
}

/// Run `create` (one create call, classified) until it answers; after each attempt that got
/// no answer, wait a backoff and look for `identity` first (see the module documentation).
/// Any answered error, and the last unanswered one when nothing was found, is returned; so
/// is an error of the lookup itself.
pub async fn create_or_find<T, F, Fut>(
    clients: &Clients,
    identity: Identity<'_>,
    mut create: F,
) -> Result<Made<T>, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let policy = RetryPolicy::default();
    let mut attempt = 1;
    loop {
        let lost = match create().await {
            Ok(v) => return Ok(Made::Created(v)),
            Err(e) if unanswered(&e) => e,
            Err(e) => return Err(e),
        };
        // Give a call still being applied a moment, then look.
        let delay = policy.delay(RetryKind::Unanswered, attempt, None, jitter_unit());
        tokio::time::sleep(delay).await;
        if let Some(id) = find(clients, &identity).await? {
            return Ok(Made::Adopted(id));
        }
        if attempt >= CREATE_ATTEMPTS || crate::cancel::requested() {
            return Err(lost);
        }
        attempt += 1;
    }
}

/// After a CreateStage of a REST API found the stage already there (a ConflictException:
/// an earlier attempt whose answer was lost, or another run), make it what the op asks:
/// the deployment, description, variables and tracing ([`settle_rest_stage`]).
pub async fn adopt_rest_stage(
    c: &Clients,
    api: &str,
    deployment: &str,
    op: &Op,
) -> Result<(), AwsError> {
    let Op::CreateStage {
        name,
        description,
        variables,
        tracing_enabled,
    } = op
    else {
        return Err(super::error::internal(
            op.aws_name(),
            "not a create-stage op".into(),
        ));
    };
    let want = Stage {
        description: description.clone(),
        variables: variables.clone(),
        tracing_enabled: Some(*tracing_enabled),
        ..Default::default()
    };
    settle_rest_stage(c, api, name, deployment, &want).await
}

/// Make an existing REST stage serve `deployment` with the settings `want` manages: one
/// get-stages, then one update-stage with only the patches that differ (none: no call).
/// Used after a create-stage found the stage there, and after create-deployment moved a
/// stage (`stageName`), which AWS does keeping the stage's settings and moto by replacing it.
pub async fn settle_rest_stage(
    c: &Clients,
    api: &str,
    name: &str,
    deployment: &str,
    want: &Stage,
) -> Result<(), AwsError> {
    let stages = read_stages(c, api).await?;
    let have = stages.get(name).ok_or_else(|| {
        super::error::internal("GetStages", format!("stage `{name}` is not there"))
    })?;
    let mut patches = Vec::new();
    if have.deployment_id.as_deref() != Some(deployment) {
        patches.push(Patch::replace("/deploymentId", deployment));
    }
    patches.extend(stage_patches(want, &have.settings).0);
    if patches.is_empty() {
        return Ok(());
    }
    let ops = patches
        .iter()
        .map(|p| {
            agt::PatchOperation::builder()
                .op(agt::Op::from(p.op.as_str()))
                .path(&p.path)
                .set_value(p.value.clone())
                .build()
        })
        .collect();
    c.apigw
        .update_stage()
        .rest_api_id(api)
        .stage_name(name)
        .set_patch_operations(Some(ops))
        .send()
        .await
        .map_err(|e| classify("UpdateStage", e))?;
    Ok(())
}
