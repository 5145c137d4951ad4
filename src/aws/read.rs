//! Reads from the account into [`crate::state`] shapes: the observed side the planner diffs
//! against, and the Lambda functions and policies a spec refers to.
//!
//! Mapping rules (the desired side is built with the same normalisation, so equal
//! configurations compare equal):
//! - an absent map, an empty map and a map whose values were all `null` are the same thing
//!   (an empty `BTreeMap`); empty strings in optional text fields (`description: ""`) are `None`;
//! - empty template strings are dropped: API Gateway stores `""` as `null` and gwctl never
//!   writes one, so `{"application/json": ""}` and `{"application/json": null}` read as no
//!   template at all;
//! - integration `timeoutInMillis` absent or 0 is `None`; 29000 and `WHEN_NO_MATCH` are
//!   folded by [`RestApi::normalize`];
//! - a method's `authorizerId` is replaced by the authorizer's *name*;
//! - stage method-settings keys are unescaped (`~1todos/GET` → `/todos/GET`, `*/*` stays).
//!
//! get-resources with `embed=methods` carries each method's request, method responses,
//! integration and integration responses: the same document get-method returns (checked
//! against the emulator field by field), so no per-method read is needed.
//!
//! What the service fills in that the spec may not say (compare only managed fields):
//! - stage method settings come back complete once any setting of a key was patched: the
//!   emulator fills throttling 1000.0/2000 and no `loggingLevel` until one is set (AWS, per
//!   its documentation, the account's throttling limits and `loggingLevel: OFF`);
//!   `metricsEnabled` and `dataTraceEnabled` are `false`, never absent;
//! - `tracingEnabled` is always a boolean (`Some(false)` when never set);
//! - authorizers created without a TTL read back with `authorizerResultTtlInSeconds: 300`
//!   on the emulator, Cognito ones included (300 is also AWS's documented default).
//!
//! Emulator (moto 5.2.5) divergences seen by these readers: `binaryMediaTypes` given at
//! create-rest-api and `identityValidationExpression` are dropped; get-policy ignores the
//! qualifier and returns the function's whole policy (hence the `Resource` filter in
//! [`read_policies`]); get-policy on a function that never had a statement answers 404 like
//! AWS; get-function with a qualifier returns the unqualified ARN (AWS returns the qualified
//! one; [`resolve_functions`] accepts both).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use aws_sdk_apigateway::types as agt;

use super::error::{classify, AwsError, ErrorKind};
use super::Clients;
use crate::spec::arn::FunctionArn;
use crate::spec::model::{Pos, Spec};
use crate::state::rest::{
    AccessLog, ApiHead, ApiSummary, Authorizer, Deployment, GatewayResponse, Integration,
    IntegrationResponse, Method, MethodResponse, MethodSetting, ObservedRestApi, ObservedStage,
    Policies, Resource, RestApi, Stage,
};
use crate::state::{PolicyStatement, ResolvedFunction};

/// Page size for every paginated API Gateway list call (the service maximum).
pub const PAGE_LIMIT: i32 = 500;
/// How many Lambda reads run at once.
pub const LAMBDA_CONCURRENCY: usize = 4;
/// Upper bound on pages followed for one list (a service that echoes `position` forever
/// must not hang gwctl).
const MAX_PAGES: usize = 10_000;

/// Remembers the `position` tokens seen so far; `next` says whether to fetch another page.
pub(crate) struct Pager {
    seen: BTreeSet<String>,
    pages: usize,
}

impl Pager {
    pub(crate) fn new() -> Self {
        Pager {
            seen: BTreeSet::new(),
            pages: 0,
        }
    }

    /// The position to ask for next, or `None` when the list is complete.
    pub(crate) fn next(&mut self, position: Option<&str>) -> Option<String> {
        self.pages += 1;
        let p = position.filter(|p| !p.is_empty())?;
        if self.pages >= MAX_PAGES || !self.seen.insert(p.to_string()) {
            return None;
        }
        Some(p.to_string())
    }
}

/// Every page of a paginated list: `fetch(position)` returns one page's items and the next
/// position; the list ends when the service gives none, repeats one, or after `MAX_PAGES`.
pub(crate) async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, AwsError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), AwsError>>,
{
    let mut out = Vec::new();
    let mut pager = Pager::new();
    let mut position = None;
    loop {
        let (items, next) = fetch(position.take()).await?;
        out.extend(items);
        match pager.next(next.as_deref()) {
            Some(p) => position = Some(p),
            None => return Ok(out),
        }
    }
}

pub(crate) fn to_btree<V: Clone>(m: Option<&HashMap<String, V>>) -> BTreeMap<String, V> {
    m.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// Template maps without empty entries (see the module documentation).
fn templates(m: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    m.map(|m| {
        m.iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    })
    .unwrap_or_default()
}

pub(crate) fn non_empty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_string)
}

/// An [`ApiHead`] from a get-rest-api answer or a get-rest-apis item: the two SDK types have
/// the same accessors.
macro_rules! api_head {
    ($api:expr) => {{
        let api = $api;
        ApiHead {
            name: api.name().unwrap_or_default().to_string(),
            description: non_empty(api.description()),
            endpoint_type: api
                .endpoint_configuration()
                .and_then(|e| e.types().first())
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            binary_media_types: api.binary_media_types().to_vec(),
            api_key_source: api.api_key_source().map(|s| s.as_str().to_string()),
            tags: to_btree(api.tags()),
        }
    }};
}
// ---------------------------------------------------------------------------------------
// Finding APIs
// ---------------------------------------------------------------------------------------

/// Every REST API named exactly `name` (get-rest-apis, all pages), oldest first (ties by id).
pub async fn find_rest_apis(c: &Clients, name: &str) -> Result<Vec<ApiSummary>, AwsError> {
    let apis = all_pages(|position| async move {
        let page = c
            .apigw
            .get_rest_apis()
            .limit(PAGE_LIMIT)
            .set_position(position)
            .send()
            .await
            .map_err(|e| classify("GetRestApis", e))?;
        Ok((page.items().to_vec(), page.position().map(str::to_string)))
    })
    .await?;
    let mut out: Vec<ApiSummary> = apis
        .iter()
        .filter(|api| api.name() == Some(name))
        .map(|api| ApiSummary {
            id: api.id().unwrap_or_default().to_string(),
            name: name.to_string(),
            tags: to_btree(api.tags()),
            created_epoch: api.created_date().map(|d| d.secs()),
            head: Some(api_head!(api)),
        })
        .collect();
    out.sort_by(|a, b| {
        a.created_epoch
            .cmp(&b.created_epoch)
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Reading one API
// ---------------------------------------------------------------------------------------

/// Read a REST API: attributes and tags, resources with their methods (embedded), authorizers,
/// customised gateway responses, stages and deployments. Six list/get calls (plus one per
/// further page), made concurrently.
pub async fn read_rest_api(c: &Clients, id: &str) -> Result<ObservedRestApi, AwsError> {
    let (api, parts) = tokio::try_join!(get_rest_api(c, id), read_parts(c, id))?;
    Ok(map_rest_api(id, api_head!(&api), parts))
}

/// [`read_rest_api`] for an API found by [`find_rest_apis`]: the listing already gave its
/// attributes, so get-rest-api is skipped (five calls instead of six). Without them (a
/// summary from elsewhere) this is [`read_rest_api`].
pub async fn read_listed_rest_api(
    c: &Clients,
    listed: &ApiSummary,
) -> Result<ObservedRestApi, AwsError> {
    match &listed.head {
        Some(head) => Ok(map_rest_api(
            &listed.id,
            head.clone(),
            read_parts(c, &listed.id).await?,
        )),
        None => read_rest_api(c, &listed.id).await,
    }
}

/// What an API holds besides its own attributes, as the lists answer it.
struct Parts {
    resources: Vec<agt::Resource>,
    authorizers: Vec<agt::Authorizer>,
    gateway_responses: Vec<agt::GatewayResponse>,
    stages: Vec<agt::Stage>,
    deployments: Vec<agt::Deployment>,
}

/// The five list calls of [`read_rest_api`], made concurrently.
async fn read_parts(c: &Clients, id: &str) -> Result<Parts, AwsError> {
    let (resources, authorizers, gateway_responses, stages, deployments) = tokio::try_join!(
        get_resources(c, id, true),
        get_authorizers(c, id),
        get_gateway_responses(c, id),
        get_stages(c, id),
        get_deployments(c, id),
    )?;
    Ok(Parts {
        resources,
        authorizers,
        gateway_responses,
        stages,
        deployments,
    })
}

async fn get_rest_api(
    c: &Clients,
    id: &str,
) -> Result<aws_sdk_apigateway::operation::get_rest_api::GetRestApiOutput, AwsError> {
    c.apigw
        .get_rest_api()
        .rest_api_id(id)
        .send()
        .await
        .map_err(|e| classify("GetRestApi", e))
}

/// All resources of an API (every page), with their methods when `embed` is set.
pub(crate) async fn get_resources(
    c: &Clients,
    id: &str,
    embed: bool,
) -> Result<Vec<agt::Resource>, AwsError> {
    all_pages(|position| async move {
        let mut req = c
            .apigw
            .get_resources()
            .rest_api_id(id)
            .limit(PAGE_LIMIT)
            .set_position(position);
        if embed {
            req = req.embed("methods");
        }
        let page = req.send().await.map_err(|e| classify("GetResources", e))?;
        Ok((page.items().to_vec(), page.position().map(str::to_string)))
    })
    .await
}

/// Every authorizer of a REST API (all pages).
pub(crate) async fn get_authorizers(
    c: &Clients,
    id: &str,
) -> Result<Vec<agt::Authorizer>, AwsError> {
    all_pages(|position| async move {
        let page = c
            .apigw
            .get_authorizers()
            .rest_api_id(id)
            .limit(PAGE_LIMIT)
            .set_position(position)
            .send()
            .await
            .map_err(|e| classify("GetAuthorizers", e))?;
        Ok((page.items().to_vec(), page.position().map(str::to_string)))
    })
    .await
}

async fn get_gateway_responses(
    c: &Clients,
    id: &str,
) -> Result<Vec<agt::GatewayResponse>, AwsError> {
    all_pages(|position| async move {
        let page = c
            .apigw
            .get_gateway_responses()
            .rest_api_id(id)
            .limit(PAGE_LIMIT)
            .set_position(position)
            .send()
            .await
            .map_err(|e| classify("GetGatewayResponses", e))?;
        Ok((page.items().to_vec(), page.position().map(str::to_string)))
    })
    .await
}

/// The stages of a REST API (one get-stages call), e.g. to report the settings in effect
/// after an apply.
pub async fn read_stages(
    c: &Clients,
    id: &str,
) -> Result<std::collections::BTreeMap<String, ObservedStage>, AwsError> {
    Ok(get_stages(c, id)
        .await?
        .iter()
        .filter_map(|s| Some((s.stage_name()?.to_string(), map_stage(s))))
        .collect())
}

async fn get_stages(c: &Clients, id: &str) -> Result<Vec<agt::Stage>, AwsError> {
    // get-stages is not paginated.
    let out = c
        .apigw
        .get_stages()
        .rest_api_id(id)
        .send()
        .await
        .map_err(|e| classify("GetStages", e))?;
    Ok(out.item().to_vec())
}

async fn get_deployments(c: &Clients, id: &str) -> Result<Vec<agt::Deployment>, AwsError> {
    all_pages(|position| async move {
        let page = c
            .apigw
            .get_deployments()
            .rest_api_id(id)
            .limit(PAGE_LIMIT)
            .set_position(position)
            .send()
            .await
            .map_err(|e| classify("GetDeployments", e))?;
        Ok((page.items().to_vec(), page.position().map(str::to_string)))
    })
    .await
}

/// Map the raw answers of [`read_rest_api`] into the observed state (pure; no I/O).
fn map_rest_api(id: &str, head: ApiHead, parts: Parts) -> ObservedRestApi {
    let Parts {
        resources,
        authorizers,
        gateway_responses,
        stages,
        deployments,
    } = &parts;
    let mut authorizer_ids = BTreeMap::new();
    let mut names_by_id = BTreeMap::new();
    let mut auth_map = BTreeMap::new();
    for a in authorizers {
        let (Some(name), Some(aid)) = (a.name(), a.id()) else {
            continue;
        };
        authorizer_ids.insert(name.to_string(), aid.to_string());
        names_by_id.insert(aid.to_string(), name.to_string());
        auth_map.insert(name.to_string(), map_authorizer(a));
    }

    let mut resource_ids = BTreeMap::new();
    let mut res_map = BTreeMap::new();
    for r in resources {
        let (Some(path), Some(rid)) = (r.path(), r.id()) else {
            continue;
        };
        // Real AWS refuses a second resource with the same path; the emulator accepts one.
        // Keep the first the service lists (the oldest) so reads are deterministic.
        if resource_ids.contains_key(path) {
            continue;
        }
        resource_ids.insert(path.to_string(), rid.to_string());
        let methods = r
            .resource_methods()
            .map(|ms| {
                ms.iter()
                    .map(|(verb, m)| (verb.clone(), map_method(m, &names_by_id)))
                    .collect()
            })
            .unwrap_or_default();
        res_map.insert(path.to_string(), Resource { methods });
    }

    let gw_map = gateway_responses
        .iter()
        .filter(|g| !g.default_response())
        .filter_map(|g| {
            Some((
                g.response_type()?.as_str().to_string(),
                GatewayResponse {
                    status_code: non_empty(g.status_code()),
                    response_parameters: to_btree(g.response_parameters()),
                    response_templates: templates(g.response_templates()),
                },
            ))
        })
        .collect();

    let mut config = RestApi {
        name: head.name,
        description: head.description,
        endpoint_type: head.endpoint_type,
        binary_media_types: head.binary_media_types,
        api_key_source: head.api_key_source,
        resources: res_map,
        authorizers: auth_map,
        gateway_responses: gw_map,
    };
    config.normalize();

    let stages = stages
        .iter()
        .filter_map(|s| Some((s.stage_name()?.to_string(), map_stage(s))))
        .collect();
    let deployments = deployments
        .iter()
        .filter_map(|d| {
            let did = d.id()?.to_string();
            Some((
                did.clone(),
                Deployment {
                    id: did,
                    description: non_empty(d.description()),
                },
            ))
        })
        .collect();

    ObservedRestApi {
        id: id.to_string(),
        tags: head.tags,
        config,
        resource_ids,
        authorizer_ids,
        stages,
        deployments,
    }
}

fn map_method(m: &agt::Method, authorizer_names: &BTreeMap<String, String>) -> Method {
    Method {
        authorization_type: m.authorization_type().unwrap_or("NONE").to_string(),
        // An id the authorizer list does not know stays visible as the raw id: it can
        // never equal a desired name, so the planner re-puts the method.
        authorizer: m.authorizer_id().map(|aid| {
            authorizer_names
                .get(aid)
                .cloned()
                .unwrap_or_else(|| aid.to_string())
        }),
        authorization_scopes: m.authorization_scopes().to_vec(),
        api_key_required: m.api_key_required().unwrap_or(false),
        request_parameters: to_btree(m.request_parameters()),
        method_responses: m
            .method_responses()
            .map(|rs| {
                rs.iter()
                    .map(|(status, r)| {
                        (
                            status.clone(),
                            MethodResponse {
                                response_models: to_btree(r.response_models()),
                                response_parameters: to_btree(r.response_parameters()),
                            },
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        integration: m.method_integration().and_then(map_integration),
    }
}

/// `None` for an integration without a type (the emulator answers `{}` after
/// delete-integration).
fn map_integration(i: &agt::Integration) -> Option<Integration> {
    let kind = i.r#type()?.as_str().to_string();
    let mut out = Integration {
        kind,
        http_method: non_empty(i.http_method()),
        uri: non_empty(i.uri()),
        credentials: non_empty(i.credentials()),
        request_templates: templates(i.request_templates()),
        request_parameters: to_btree(i.request_parameters()),
        passthrough_behavior: non_empty(i.passthrough_behavior()),
        content_handling: i.content_handling().map(|c| c.as_str().to_string()),
        timeout_ms: Some(i.timeout_in_millis()).filter(|t| *t > 0),
        responses: i
            .integration_responses()
            .map(|rs| {
                rs.iter()
                    .map(|(status, r)| {
                        (
                            status.clone(),
                            IntegrationResponse {
                                selection_pattern: r.selection_pattern().map(str::to_string),
                                response_templates: templates(r.response_templates()),
                                response_parameters: to_btree(r.response_parameters()),
                                content_handling: r
                                    .content_handling()
                                    .map(|c| c.as_str().to_string()),
                            },
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    out.normalize();
    Some(out)
}

fn map_authorizer(a: &agt::Authorizer) -> Authorizer {
    Authorizer {
        kind: a
            .r#type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        authorizer_uri: non_empty(a.authorizer_uri()),
        identity_source: non_empty(a.identity_source()),
        identity_validation_expression: non_empty(a.identity_validation_expression()),
        ttl_seconds: a.authorizer_result_ttl_in_seconds(),
        provider_arns: a.provider_arns().to_vec(),
    }
}

/// Unescape a method-settings key as the service returns it (JSON-pointer escapes:
/// `~1` is `/`, `~0` is `~`): `~1todos~1{id}/GET` → `/todos/{id}/GET`.
pub fn unescape_settings_key(key: &str) -> String {
    key.replace("~1", "/").replace("~0", "~")
}

fn map_stage(s: &agt::Stage) -> ObservedStage {
    let method_settings = s
        .method_settings()
        .map(|ms| {
            ms.iter()
                .map(|(k, v)| (unescape_settings_key(k), map_method_setting(v)))
                .collect()
        })
        .unwrap_or_default();
    let access_log = s.access_log_settings().and_then(|a| {
        let destination_arn = non_empty(a.destination_arn())?;
        Some(AccessLog {
            destination_arn,
            format: a.format().unwrap_or_default().to_string(),
        })
    });
    ObservedStage {
        deployment_id: non_empty(s.deployment_id()),
        settings: Stage {
            description: non_empty(s.description()),
            variables: to_btree(s.variables()),
            method_settings,
            // The SDK models `tracingEnabled` as a plain bool (absent = false).
            tracing_enabled: Some(s.tracing_enabled()),
            access_log,
        },
    }
}

/// The service always returns every field of a method setting (absent ones read as the
/// SDK's zero values), so every field is `Some` here.
fn map_method_setting(m: &agt::MethodSetting) -> MethodSetting {
    MethodSetting {
        logging_level: non_empty(m.logging_level()),
        data_trace: Some(m.data_trace_enabled()),
        metrics: Some(m.metrics_enabled()),
        throttle_rate: Some(m.throttling_rate_limit()),
        throttle_burst: Some(m.throttling_burst_limit()),
    }
}

// ---------------------------------------------------------------------------------------
// Lambda functions
// ---------------------------------------------------------------------------------------

/// A spec function that could not be resolved with get-function.
#[derive(Debug, thiserror::Error)]
pub struct FunctionError {
    /// Spec-local key.
    pub key: String,
    /// The name or ARN as written in the spec.
    pub name_or_arn: String,
    pub qualifier: Option<String>,
    /// Spec file and the position of the reference.
    pub file: PathBuf,
    pub pos: Pos,
    #[source]
    pub error: AwsError,
}

impl std::fmt::Display for FunctionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let reference = match &self.qualifier {
            Some(q) => format!("`{}` (qualifier `{q}`)", self.name_or_arn),
            None => format!("`{}`", self.name_or_arn),
        };
        write!(
            f,
            "{}:{}:{}: ",
            self.file.display(),
            self.pos.line,
            self.pos.col
        )?;
        if self.error.kind == ErrorKind::NotFound {
            write!(
                f,
                "function `{}` refers to Lambda function {reference}, which does not exist",
                self.key
            )?;
            write!(
                f,
                "\nhint: create the function first, or fix the name, ARN or alias in the spec \
                 (region and account must match the ones gwctl uses)"
            )
        } else {
            write!(
                f,
                "could not read Lambda function {reference} (function `{}`): {}",
                self.key, self.error
            )
        }
    }
}

/// Split a Lambda function ARN into (unqualified ARN, qualifier):
/// `arn:aws:lambda:r:a:function:f:live` → (`arn:aws:lambda:r:a:function:f`, `Some("live")`).
/// Anything that is not a full function ARN is returned unchanged with no qualifier.
pub use crate::spec::arn::split_qualifier as split_function_arn;

/// Resolve every `spec.functions` entry with one get-function call each (at most
/// [`LAMBDA_CONCURRENCY`] at a time). All failures are collected and returned together, in
/// file order; nothing is written by this function.
pub async fn resolve_functions(
    c: &Clients,
    spec: &Spec,
) -> Result<Vec<ResolvedFunction>, Vec<FunctionError>> {
    let results = bounded(
        spec.functions.iter().map(|f| {
            let c = c.clone();
            let name_or_arn = f.name_or_arn.value.clone();
            let qualifier = f.qualifier.clone();
            async move {
                c.lambda
                    .get_function()
                    .function_name(name_or_arn)
                    .set_qualifier(qualifier)
                    .send()
                    .await
                    .map_err(|e| classify("GetFunction", e))
                    .map(|out| {
                        out.configuration()
                            .and_then(|cfg| cfg.function_arn())
                            .map(str::to_string)
                    })
            }
        }),
        LAMBDA_CONCURRENCY,
    )
    .await;

    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for (f, res) in spec.functions.iter().zip(results) {
        let fail = |error: AwsError| FunctionError {
            key: f.key.value.clone(),
            name_or_arn: f.name_or_arn.value.clone(),
            qualifier: f.qualifier.clone(),
            file: spec.file.clone(),
            pos: f.name_or_arn.pos,
            error,
        };
        match res {
            Ok(Some(arn)) => {
                // Real AWS returns the qualified ARN when a qualifier was given.
                let Some(parsed) = FunctionArn::parse(&arn) else {
                    errors.push(fail(AwsError {
                        kind: ErrorKind::Other,
                        operation: "GetFunction".into(),
                        code: None,
                        message: format!("unexpected function ARN `{arn}`"),
                    }));
                    continue;
                };
                let qualifier = f
                    .qualifier
                    .clone()
                    .or(parsed.qualifier.clone())
                    .or_else(|| split_function_arn(&f.name_or_arn.value).1);
                ok.push(ResolvedFunction {
                    key: f.key.value.clone(),
                    function_arn: parsed.unqualified(),
                    name: parsed.name,
                    account: parsed.account,
                    region: parsed.region,
                    qualifier,
                });
            }
            Ok(None) => errors.push(fail(AwsError {
                kind: ErrorKind::Other,
                operation: "GetFunction".into(),
                code: None,
                message: "the answer carries no function ARN".into(),
            })),
            Err(e) => errors.push(fail(e)),
        }
    }
    if errors.is_empty() {
        Ok(ok)
    } else {
        Err(errors)
    }
}

/// Run futures with at most `limit` in flight; results in input order.
pub(crate) async fn bounded<F, T>(futs: impl IntoIterator<Item = F>, limit: usize) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let sem = Arc::new(tokio::sync::Semaphore::new(limit.max(1)));
    let mut set = tokio::task::JoinSet::new();
    let mut n = 0;
    for (i, fut) in futs.into_iter().enumerate() {
        let sem = sem.clone();
        n += 1;
        set.spawn(async move {
            let _permit = sem.acquire_owned().await.expect("semaphore open");
            (i, fut.await)
        });
    }
    let mut slots: Vec<Option<T>> = (0..n).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((i, v)) => slots[i] = Some(v),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    slots
        .into_iter()
        .map(|s| s.expect("every task finished"))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Lambda policies
// ---------------------------------------------------------------------------------------

/// The policy key for a function: `arn` or `arn:qualifier` (= `ResolvedFunction::invoke_arn`).
pub fn policy_key(function_arn: &str, qualifier: Option<&str>) -> String {
    match qualifier {
        Some(q) => format!("{function_arn}:{q}"),
        None => function_arn.to_string(),
    }
}

/// Read the resource policy of each (unqualified function ARN, qualifier) with get-policy,
/// one call per distinct pair. No policy (AWS answers 404) is an empty list.
///
/// Only statements whose `Resource` is the key's ARN are kept: real AWS keeps one policy per
/// qualifier, but the emulator returns the function's whole policy whatever the qualifier.
pub async fn read_policies(
    c: &Clients,
    functions: &[(String, Option<String>)],
) -> Result<Policies, AwsError> {
    let pairs: BTreeSet<(String, Option<String>)> = functions.iter().cloned().collect();
    let pairs: Vec<_> = pairs.into_iter().collect();
    let results = bounded(
        pairs.iter().cloned().map(|(arn, qualifier)| {
            let c = c.clone();
            async move { get_policy(&c, &arn, qualifier.as_deref()).await }
        }),
        LAMBDA_CONCURRENCY,
    )
    .await;
    let mut out = Policies::new();
    for ((arn, qualifier), res) in pairs.iter().zip(results) {
        let key = policy_key(arn, qualifier.as_deref());
        let statements = res?;
        out.insert(
            key.clone(),
            statements
                .into_iter()
                .filter(|s| s.resource.is_empty() || s.resource == key)
                .collect(),
        );
    }
    Ok(out)
}

/// get-policy for one function/qualifier, parsed; NotFound = no statements.
pub(crate) async fn get_policy(
    c: &Clients,
    function_arn: &str,
    qualifier: Option<&str>,
) -> Result<Vec<PolicyStatement>, AwsError> {
    match c
        .lambda
        .get_policy()
        .function_name(function_arn)
        .set_qualifier(qualifier.map(str::to_string))
        .send()
        .await
    {
        Ok(out) => match out.policy() {
            Some(doc) if !doc.trim().is_empty() => parse_policy(doc).map_err(|message| AwsError {
                kind: ErrorKind::Other,
                operation: "GetPolicy".into(),
                code: None,
                message: format!(
                    "the policy of `{}` could not be read: {message}",
                    policy_key(function_arn, qualifier)
                ),
            }),
            _ => Ok(Vec::new()),
        },
        Err(e) => {
            let e = classify("GetPolicy", e);
            if e.is_not_found() {
                Ok(Vec::new())
            } else {
                Err(e)
            }
        }
    }
}

/// Parse a Lambda resource policy document into statements. Accepts the forms IAM allows:
/// `Statement` as an array or a single object; `Principal` as `{"Service": ...}` or a
/// string; `Action`/`Resource` as a string or an array (first element kept);
/// `Condition.ArnLike` keys matched case-insensitively (`AWS:SourceArn`).
pub fn parse_policy(doc: &str) -> Result<Vec<PolicyStatement>, String> {
    use serde_json::Value;
    let v: Value = serde_json::from_str(doc).map_err(|e| e.to_string())?;
    let statements = match v.get("Statement") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a.clone(),
        Some(o @ Value::Object(_)) => vec![o.clone()],
        Some(_) => return Err("`Statement` is neither a list nor an object".into()),
    };
    fn first_str(v: Option<&Value>) -> Option<String> {
        match v? {
            Value::String(s) => Some(s.clone()),
            Value::Array(a) => a.iter().find_map(|x| x.as_str().map(str::to_string)),
            _ => None,
        }
    }
    let mut out = Vec::new();
    for s in statements {
        let principal_service = match s.get("Principal") {
            Some(Value::Object(p)) => first_str(p.get("Service")),
            _ => None,
        };
        let source_arn = s
            .get("Condition")
            .and_then(|c| c.as_object())
            .and_then(|c| {
                c.iter()
                    .filter(|(op, _)| op.eq_ignore_ascii_case("ArnLike"))
                    .find_map(|(_, m)| {
                        m.as_object()?
                            .iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case("AWS:SourceArn"))
                            .and_then(|(_, v)| first_str(Some(v)))
                    })
            });
        out.push(PolicyStatement {
            sid: first_str(s.get("Sid")).unwrap_or_default(),
            effect: first_str(s.get("Effect")).unwrap_or_default(),
            principal_service,
            action: first_str(s.get("Action")).unwrap_or_default(),
            resource: first_str(s.get("Resource")).unwrap_or_default(),
            source_arn,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_keys_are_unescaped() {
        assert_eq!(unescape_settings_key("*/*"), "*/*");
        assert_eq!(unescape_settings_key("~1todos/GET"), "/todos/GET");
        assert_eq!(
            unescape_settings_key("~1todos~1{id}/DELETE"),
            "/todos/{id}/DELETE"
        );
        assert_eq!(unescape_settings_key("~1a~0b/GET"), "/a~b/GET");
    }

    #[test]
    fn function_arns_split_into_base_and_qualifier() {
        assert_eq!(
            split_function_arn("arn:aws:lambda:us-east-1:123456789012:function:f:live"),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:f".to_string(),
                Some("live".to_string())
            )
        );
        assert_eq!(
            split_function_arn("arn:aws:lambda:us-east-1:123456789012:function:f"),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:f".to_string(),
                None
            )
        );
        assert_eq!(
            split_function_arn("todo-get"),
            ("todo-get".to_string(), None)
        );
    }

    #[test]
    fn policies_parse_in_every_allowed_form() {
        let doc = r#"{"Version":"2012-10-17","Id":"default","Statement":[
            {"Sid":"a","Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},
             "Action":"lambda:InvokeFunction","Resource":"arn:f",
             "Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:us-east-1:1:abc/*"}}},
            {"Sid":"b","Effect":"Allow","Principal":"*","Action":["lambda:InvokeFunction"],
             "Resource":["arn:f"]}]}"#;
        let s = parse_policy(doc).unwrap();
        assert_eq!(
            s,
            vec![
                PolicyStatement {
                    sid: "a".into(),
                    effect: "Allow".into(),
                    principal_service: Some("apigateway.amazonaws.com".into()),
                    action: "lambda:InvokeFunction".into(),
                    resource: "arn:f".into(),
                    source_arn: Some("arn:aws:execute-api:us-east-1:1:abc/*".into()),
                },
                PolicyStatement {
                    sid: "b".into(),
                    effect: "Allow".into(),
                    principal_service: None,
                    action: "lambda:InvokeFunction".into(),
                    resource: "arn:f".into(),
                    source_arn: None,
                },
            ]
        );
        let single = parse_policy(
            r#"{"Statement":{"Sid":"x","Effect":"Allow","Action":"a","Resource":"r",
                "Condition":{"arnlike":{"aws:sourcearn":"arn:s"}}}}"#,
        )
        .unwrap();
        assert_eq!(single.len(), 1);
        assert_eq!(single[0].source_arn.as_deref(), Some("arn:s"));
        assert!(parse_policy(r#"{"Version":"2012-10-17"}"#)
            .unwrap()
            .is_empty());
        assert!(parse_policy("not json").is_err());
    }

    #[test]
    fn pager_stops_on_missing_empty_or_repeated_position() {
        let mut p = Pager::new();
        assert_eq!(p.next(Some("a")), Some("a".to_string()));
        assert_eq!(p.next(Some("b")), Some("b".to_string()));
        assert_eq!(p.next(Some("a")), None);
        let mut p = Pager::new();
        assert_eq!(p.next(Some("")), None);
        assert_eq!(p.next(None), None);
    }
}
