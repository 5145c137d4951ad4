//! Reads a REST API from the account into [`crate::state::rest`] shapes: the observed side
//! the planner diffs against.
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
//! create-rest-api and `identityValidationExpression` are dropped (the Lambda readers' are
//! in [`super`]).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_apigateway::types as agt;

use super::{all_pages, non_empty, to_btree, PAGE_LIMIT};
use crate::aws::error::{classify, AwsError};
use crate::aws::Clients;
use crate::state::resource_policy;
use crate::state::rest::{
    AccessLog, ApiHead, ApiSummary, Authorizer, Canary, Deployment, GatewayResponse, Integration,
    IntegrationResponse, Method, MethodResponse, MethodSetting, Model, ObservedRestApi,
    ObservedStage, RequestValidator, Resource, RestApi, Stage, BUILTIN_MODELS, MODEL_MARK,
};

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
            policy: non_empty(api.policy()),
            vpc_endpoint_ids: api
                .endpoint_configuration()
                .map(|e| e.vpc_endpoint_ids().to_vec())
                .unwrap_or_default(),
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
    with_validation(c, map_rest_api(id, &c.region, api_head!(&api), parts)).await
}

/// Models and validators read too when a method uses them ([`uses_validation`]).
async fn with_validation(
    c: &Clients,
    mut api: ObservedRestApi,
) -> Result<ObservedRestApi, AwsError> {
    if uses_validation(&api) {
        read_validation(c, &mut api).await?;
    }
    Ok(api)
}

/// [`read_rest_api`] for an API found by [`find_rest_apis`]: the listing already gave its
/// attributes, so get-rest-api is skipped (five calls instead of six). Without them (a
/// summary from elsewhere) this is [`read_rest_api`].
pub async fn read_listed_rest_api(
    c: &Clients,
    listed: &ApiSummary,
) -> Result<ObservedRestApi, AwsError> {
    match &listed.head {
        Some(head) => {
            let api = map_rest_api(
                &listed.id,
                &c.region,
                head.clone(),
                read_parts(c, &listed.id).await?,
            );
            with_validation(c, api).await
        }
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

/// Every model of a REST API (all pages).
pub(crate) async fn get_models(c: &Clients, id: &str) -> Result<Vec<agt::Model>, AwsError> {
    all_pages(|position| async move {
        let page = c
            .apigw
            .get_models()
            .rest_api_id(id)
            .limit(PAGE_LIMIT)
            .set_position(position)
            .send()
            .await
            .map_err(|e| classify("GetModels", e))?;
        Ok((page.items().to_vec(), page.position().map(str::to_string)))
    })
    .await
}

/// Every request validator of a REST API (all pages).
pub(crate) async fn get_request_validators(
    c: &Clients,
    id: &str,
) -> Result<Vec<agt::RequestValidator>, AwsError> {
    all_pages(|position| async move {
        let page = c
            .apigw
            .get_request_validators()
            .rest_api_id(id)
            .limit(PAGE_LIMIT)
            .set_position(position)
            .send()
            .await
            .map_err(|e| classify("GetRequestValidators", e))?;
        Ok((page.items().to_vec(), page.position().map(str::to_string)))
    })
    .await
}

/// Whether a method of the API uses a request validator or a model other than the
/// built-in ones: then its models and validators are read with it.
pub fn uses_validation(api: &ObservedRestApi) -> bool {
    api.config.resources.values().any(|r| {
        r.methods.values().any(|m| {
            m.request_validator.is_some()
                || m.request_models
                    .values()
                    .chain(
                        m.method_responses
                            .values()
                            .flat_map(|mr| mr.response_models.values()),
                    )
                    .any(|x| !BUILTIN_MODELS.contains(&x.as_str()))
        })
    })
}

/// Read the API's models and request validators (get-models, get-request-validators, one
/// paged call each, concurrently) into `api`, and name each method's validator. Only when
/// the spec declares models or validation, or a method uses them ([`uses_validation`]): an
/// API without either costs no call.
pub async fn read_validation(c: &Clients, api: &mut ObservedRestApi) -> Result<(), AwsError> {
    if api.validation_read {
        return Ok(());
    }
    let (models, validators) =
        tokio::try_join!(get_models(c, &api.id), get_request_validators(c, &api.id))?;
    map_validation(api, &models, &validators);
    Ok(())
}

/// The pure part of [`read_validation`].
pub fn map_validation(
    api: &mut ObservedRestApi,
    models: &[agt::Model],
    validators: &[agt::RequestValidator],
) {
    for m in models {
        let Some(name) = m.name() else { continue };
        if BUILTIN_MODELS.contains(&name) {
            continue;
        }
        if m.description() == Some(MODEL_MARK) {
            api.owned_models.insert(name.to_string());
        }
        api.config.models.insert(
            name.to_string(),
            Model {
                content_type: m.content_type().unwrap_or("application/json").to_string(),
                schema: crate::plan::rest::models::read_schema(m.schema().unwrap_or("")),
            },
        );
    }
    let mut names_by_id = BTreeMap::new();
    for v in validators {
        let (Some(name), Some(vid)) = (v.name(), v.id()) else {
            continue;
        };
        // Keep the first of a name (AWS refuses a second; an emulator may not).
        if api.validator_ids.contains_key(name) {
            continue;
        }
        api.validator_ids.insert(name.to_string(), vid.to_string());
        names_by_id.insert(vid.to_string(), name.to_string());
        api.config.request_validators.insert(
            name.to_string(),
            RequestValidator {
                body: v.validate_request_body(),
                parameters: v.validate_request_parameters(),
            },
        );
    }
    for r in api.config.resources.values_mut() {
        for m in r.methods.values_mut() {
            if let Some(n) = m
                .request_validator
                .as_ref()
                .and_then(|id| names_by_id.get(id))
            {
                m.request_validator = Some(n.clone());
            }
        }
    }
    api.validation_read = true;
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
fn map_rest_api(id: &str, region: &str, head: ApiHead, parts: Parts) -> ObservedRestApi {
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
        policy: head
            .policy
            .as_deref()
            .and_then(resource_policy::parse_returned)
            .map(|d| resource_policy::normalise(&d, Some(id), region)),
        vpc_endpoint_ids: head.vpc_endpoint_ids,
        resources: res_map,
        authorizers: auth_map,
        gateway_responses: gw_map,
        models: BTreeMap::new(),
        request_validators: BTreeMap::new(),
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
        ..Default::default()
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
        // The id until [`map_validation`] names it (an id it does not know stays visible:
        // it never equals a desired name).
        request_validator: m.request_validator_id().map(str::to_string),
        request_models: to_btree(m.request_models()),
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
        cache_key_parameters: i.cache_key_parameters().to_vec(),
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
            // A plain bool in the SDK (absent = false); the size only while it is on.
            cache_cluster_enabled: Some(s.cache_cluster_enabled()),
            cache_cluster_size: s
                .cache_cluster_enabled()
                .then(|| s.cache_cluster_size().map(|c| c.as_str().to_string()))
                .flatten(),
            canary: s.canary_settings().map(|c| Canary {
                deployment_id: non_empty(c.deployment_id()),
                percent: Some(c.percent_traffic()),
                variables: Some(to_btree(c.stage_variable_overrides())),
            }),
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
        caching_enabled: Some(m.caching_enabled()),
        cache_ttl: Some(m.cache_ttl_in_seconds()),
        cache_encrypted: Some(m.cache_data_encrypted()),
    }
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
}
