//! A model of what API Gateway and Lambda do with each op, used to test the planner
//! without any network: `plan(desired, simulate(plan(desired, observed)))` must be empty.
//! Ids are deterministic (`sim-...`). It models AWS, not the emulator's leniencies.

use std::collections::BTreeMap;

use crate::state::rest::{
    AccessLog, Canary, Deployment, Method, Model, ObservedRestApi, ObservedStage, Policies,
    RequestValidator, Stage, BUILTIN_MODELS,
};

use super::models;
use super::ops::{Op, Patch, DEPLOYMENT_ID};
use crate::plan::simulate::{permission, SimError};
use crate::state::resource_policy;

/// A resource policy as the reader sees it after the service stored it: AWS expands the
/// `execute-api:/` shorthand to the API's ARN and the reader folds it back, so what is read
/// is the document in its canonical form.
fn stored_policy(text: &str) -> Option<serde_json::Value> {
    resource_policy::parse_returned(text).map(|d| resource_policy::normalise(&d, None, ""))
}

/// Apply `ops` in order to `api` / `policies`, as the service would.
pub fn apply(
    mut api: Option<ObservedRestApi>,
    mut policies: Policies,
    ops: &[Op],
) -> Result<(ObservedRestApi, Policies), SimError> {
    let mut counter = 0usize;
    let mut next_id = |kind: &str| {
        counter += 1;
        format!("sim-{kind}-{counter}")
    };
    let mut new_deployment: Option<String> = None;
    for op in ops {
        let name = op.aws_name();
        // API keys and usage plans are not part of the API: see `simulate_usage`.
        if matches!(op, Op::Usage(_) | Op::Domain(_)) {
            continue;
        }
        if let Op::CreateRestApi {
            name: api_name,
            description,
            endpoint_type,
            binary_media_types,
            api_key_source,
            policy,
            vpc_endpoint_ids,
            tags,
        } = op
        {
            let mut o = ObservedRestApi {
                id: next_id("api"),
                tags: tags.clone(),
                ..Default::default()
            };
            o.config.name = api_name.clone();
            o.config.description = description.clone();
            o.config.endpoint_type = endpoint_type.clone();
            o.config.binary_media_types = binary_media_types.clone();
            o.config.api_key_source = api_key_source.clone();
            o.config.policy = policy.as_deref().and_then(stored_policy);
            o.config.vpc_endpoint_ids = vpc_endpoint_ids.clone();
            o.config.vpc_endpoint_ids.sort();
            o.config.resources.insert("/".into(), Default::default());
            o.resource_ids.insert("/".into(), next_id("res"));
            api = Some(o);
            continue;
        }
        if let Some(perm) = op.permission() {
            let id = api.as_ref().map(|a| a.id.clone()).unwrap_or_default();
            let ids = api
                .as_ref()
                .map(|a| a.authorizer_ids.clone())
                .unwrap_or_default();
            permission(&mut policies, name, (&id, &ids), perm)?;
            continue;
        }
        let a = api.as_mut().ok_or(SimError::NoApi(name))?;
        let missing = |what: &str| SimError::Missing {
            op: name,
            what: what.to_string(),
        };
        match op {
            Op::CreateRestApi { .. }
            | Op::AddPermission { .. }
            | Op::RemovePermission { .. }
            | Op::Usage(_)
            | Op::Domain(_) => {
                unreachable!("handled above")
            }
            Op::DeleteRestApi { id } => {
                if a.id != *id {
                    return Err(missing(id));
                }
                // Nothing is left to act on; later ops would fail as on AWS.
                a.config.resources.clear();
                a.stages.clear();
                a.deployments.clear();
            }
            Op::UpdateRestApi { patches } => {
                for p in patches {
                    match (p.op.as_str(), p.path.as_str()) {
                        ("replace", "/description") => {
                            a.config.description = p.value.clone().filter(|v| !v.is_empty())
                        }
                        ("replace", "/apiKeySource") => {
                            a.config.api_key_source = p.value.clone().filter(|v| v != "HEADER")
                        }
                        ("add", path) if path.starts_with("/binaryMediaTypes/") => a
                            .config
                            .binary_media_types
                            .push(unescape(&path["/binaryMediaTypes/".len()..])),
                        ("remove", path) if path.starts_with("/binaryMediaTypes/") => {
                            let t = unescape(&path["/binaryMediaTypes/".len()..]);
                            a.config.binary_media_types.retain(|x| *x != t)
                        }
                        ("replace", "/policy") => {
                            a.config.policy = p.value.as_deref().and_then(stored_policy)
                        }
                        ("replace", path) if path.starts_with("/endpointConfiguration/types/") => {
                            let from = &path["/endpointConfiguration/types/".len()..];
                            if a.config.endpoint_type != from {
                                return Err(missing(path));
                            }
                            a.config.endpoint_type = p.value.clone().unwrap_or_default();
                        }
                        ("add", "/endpointConfiguration/vpcEndpointIds") => {
                            let id = p.value.clone().unwrap_or_default();
                            if !a.config.vpc_endpoint_ids.contains(&id) {
                                a.config.vpc_endpoint_ids.push(id);
                            }
                        }
                        ("remove", "/endpointConfiguration/vpcEndpointIds") => {
                            let id = p.value.clone().unwrap_or_default();
                            a.config.vpc_endpoint_ids.retain(|x| *x != id);
                        }
                        _ => {}
                    }
                }
                a.config.binary_media_types.sort();
                a.config.vpc_endpoint_ids.sort();
            }
            Op::CreateResource { path, parent, .. } => {
                if !a.config.resources.contains_key(parent) {
                    return Err(missing(parent));
                }
                if a.config.resources.contains_key(path) {
                    return Err(SimError::Conflict {
                        op: name,
                        what: path.clone(),
                    });
                }
                a.config.resources.insert(path.clone(), Default::default());
                let id = next_id("res");
                a.resource_ids.insert(path.clone(), id);
            }
            Op::DeleteResource { path } => {
                if a.config.resources.remove(path).is_none() {
                    return Err(missing(path));
                }
                let child = format!("{path}/");
                a.config.resources.retain(|k, _| !k.starts_with(&child));
                a.resource_ids
                    .retain(|k, _| k != path && !k.starts_with(&child));
            }
            Op::PutMethod { path, method, def } => {
                let r = a
                    .config
                    .resources
                    .get_mut(path)
                    .ok_or_else(|| missing(path))?;
                if r.methods.contains_key(method) {
                    return Err(SimError::Conflict {
                        op: name,
                        what: format!("{method} {path}"),
                    });
                }
                if let Some(n) = &def.authorizer {
                    if !a.config.authorizers.contains_key(n) {
                        return Err(missing(n));
                    }
                }
                if let Some(v) = &def.request_validator {
                    if !a.config.request_validators.contains_key(v) {
                        return Err(missing(v));
                    }
                }
                for m in def.request_models.values() {
                    if !a.config.models.contains_key(m) && !BUILTIN_MODELS.contains(&m.as_str()) {
                        return Err(missing(m));
                    }
                }
                let r = a
                    .config
                    .resources
                    .get_mut(path)
                    .ok_or_else(|| missing(path))?;
                r.methods.insert(
                    method.clone(),
                    Method {
                        integration: None,
                        method_responses: BTreeMap::new(),
                        ..def.clone()
                    },
                );
            }
            Op::DeleteMethod { path, method } => {
                let r = a
                    .config
                    .resources
                    .get_mut(path)
                    .ok_or_else(|| missing(path))?;
                r.methods.remove(method).ok_or_else(|| missing(method))?;
            }
            Op::PutMethodResponse {
                path,
                method,
                status,
                def,
            } => {
                let m = method_mut(a, path, method).ok_or_else(|| missing(method))?;
                m.method_responses.insert(status.clone(), def.clone());
            }
            Op::DeleteMethodResponse {
                path,
                method,
                status,
            } => {
                let m = method_mut(a, path, method).ok_or_else(|| missing(method))?;
                m.method_responses.remove(status);
            }
            Op::PutIntegration { path, method, def } => {
                let m = method_mut(a, path, method).ok_or_else(|| missing(method))?;
                // Model the strict reading: a replaced integration loses its responses.
                m.integration = Some(def.clone());
            }
            Op::PutIntegrationResponse {
                path,
                method,
                status,
                def,
            } => {
                let m = method_mut(a, path, method).ok_or_else(|| missing(method))?;
                if !m.method_responses.contains_key(status) {
                    return Err(missing(&format!("method response {status}")));
                }
                let i = m
                    .integration
                    .as_mut()
                    .ok_or_else(|| missing("integration"))?;
                i.responses.insert(status.clone(), def.clone());
            }
            Op::DeleteIntegrationResponse {
                path,
                method,
                status,
            } => {
                let m = method_mut(a, path, method).ok_or_else(|| missing(method))?;
                if let Some(i) = m.integration.as_mut() {
                    i.responses.remove(status);
                }
            }
            Op::PutGatewayResponse { response_type, def } => {
                a.config
                    .gateway_responses
                    .insert(response_type.clone(), def.clone());
            }
            Op::DeleteGatewayResponse { response_type } => {
                a.config.gateway_responses.remove(response_type);
            }
            Op::CreateAuthorizer { name: n, def } => {
                a.config.authorizers.insert(n.clone(), def.clone());
                let id = next_id("auth");
                a.authorizer_ids.insert(n.clone(), id);
            }
            Op::UpdateAuthorizer { name: n, patches } => {
                let au = a.config.authorizers.get_mut(n).ok_or_else(|| missing(n))?;
                for p in patches {
                    let v = p.value.clone();
                    match (p.op.as_str(), p.path.as_str()) {
                        ("replace", "/type") => au.kind = v.unwrap_or_default(),
                        ("replace", "/authorizerUri") => au.authorizer_uri = v,
                        ("replace", "/identitySource") => au.identity_source = v,
                        ("replace", "/identityValidationExpression") => {
                            au.identity_validation_expression = v.filter(|s| !s.is_empty())
                        }
                        ("replace", "/authorizerResultTtlInSeconds") => {
                            au.ttl_seconds = v.and_then(|s| s.parse().ok())
                        }
                        ("add", "/providerARNs") => {
                            au.provider_arns.push(v.unwrap_or_default());
                            au.provider_arns.sort();
                        }
                        ("remove", path) if path.starts_with("/providerARNs/") => {
                            let arn = &path["/providerARNs/".len()..];
                            au.provider_arns.retain(|x| x != arn);
                        }
                        _ => {}
                    }
                }
            }
            Op::CreateModel {
                name: n,
                content_type,
                schema,
            } => {
                if a.config.models.contains_key(n) {
                    return Err(SimError::Conflict {
                        op: name,
                        what: format!("model {n}"),
                    });
                }
                for r in models::model_refs(schema) {
                    if !a.config.models.contains_key(&r) {
                        return Err(missing(&r));
                    }
                }
                a.config.models.insert(
                    n.clone(),
                    Model {
                        content_type: content_type.clone(),
                        schema: schema.clone(),
                    },
                );
                a.owned_models.insert(n.clone());
            }
            Op::UpdateModel { name: n, schema } => {
                for r in models::model_refs(schema) {
                    if !a.config.models.contains_key(&r) {
                        return Err(missing(&r));
                    }
                }
                let m = a.config.models.get_mut(n).ok_or_else(|| missing(n))?;
                m.schema = schema.clone();
            }
            Op::DeleteModel { name: n } => {
                let used_by_method = a.config.resources.values().any(|r| {
                    r.methods.values().any(|m| {
                        m.request_models.values().any(|x| x == n)
                            || m.method_responses
                                .values()
                                .any(|mr| mr.response_models.values().any(|x| x == n))
                    })
                });
                let used_by_model = a
                    .config
                    .models
                    .iter()
                    .any(|(k, m)| k != n && models::model_refs(&m.schema).contains(n));
                if used_by_method || used_by_model {
                    return Err(SimError::Conflict {
                        op: name,
                        what: format!("model {n} is still used"),
                    });
                }
                a.config.models.remove(n).ok_or_else(|| missing(n))?;
                a.owned_models.remove(n);
            }
            Op::CreateRequestValidator {
                name: n,
                body,
                parameters,
            } => {
                if a.config.request_validators.contains_key(n) {
                    return Err(SimError::Conflict {
                        op: name,
                        what: format!("request validator {n}"),
                    });
                }
                a.config.request_validators.insert(
                    n.clone(),
                    RequestValidator {
                        body: *body,
                        parameters: *parameters,
                    },
                );
                let id = next_id("validator");
                a.validator_ids.insert(n.clone(), id);
            }
            Op::UpdateRequestValidator { name: n, patches } => {
                let v = a
                    .config
                    .request_validators
                    .get_mut(n)
                    .ok_or_else(|| missing(n))?;
                for p in patches {
                    let on = p.value.as_deref() == Some("true");
                    match (p.op.as_str(), p.path.as_str()) {
                        ("replace", "/validateRequestBody") => v.body = on,
                        ("replace", "/validateRequestParameters") => v.parameters = on,
                        _ => {}
                    }
                }
            }
            Op::DeleteRequestValidator { name: n } => {
                let used = a.config.resources.values().any(|r| {
                    r.methods
                        .values()
                        .any(|m| m.request_validator.as_deref() == Some(n.as_str()))
                });
                if used {
                    return Err(SimError::Conflict {
                        op: name,
                        what: format!("request validator {n} is still used"),
                    });
                }
                a.config
                    .request_validators
                    .remove(n)
                    .ok_or_else(|| missing(n))?;
                a.validator_ids.remove(n);
            }
            Op::DeleteAuthorizer { name: n } => {
                let used = a.config.resources.values().any(|r| {
                    r.methods
                        .values()
                        .any(|m| m.authorizer.as_deref() == Some(n.as_str()))
                });
                if used {
                    return Err(SimError::Conflict {
                        op: name,
                        what: format!("authorizer {n} is still used"),
                    });
                }
                a.config.authorizers.remove(n).ok_or_else(|| missing(n))?;
                a.authorizer_ids.remove(n);
            }
            Op::CreateDeployment { description, stage } => {
                let id = next_id("dep");
                a.deployments.insert(
                    id.clone(),
                    Deployment {
                        id: id.clone(),
                        description: Some(description.clone()),
                    },
                );
                if let Some(moved) = stage {
                    // AWS points the existing stage at the new deployment, settings kept.
                    a.stages
                        .get_mut(&moved.name)
                        .ok_or_else(|| missing(&moved.name))?
                        .deployment_id = Some(id.clone());
                }
                new_deployment = Some(id);
            }
            Op::CreateCanaryDeployment {
                stage,
                description,
                percent,
                variables,
            } => {
                let id = next_id("dep");
                let st = a.stages.get_mut(stage).ok_or_else(|| missing(stage))?;
                st.settings.canary = Some(Canary {
                    deployment_id: Some(id.clone()),
                    percent: Some(*percent),
                    variables: Some(variables.clone()),
                });
                a.deployments.insert(
                    id.clone(),
                    Deployment {
                        id,
                        description: Some(description.clone()),
                    },
                );
            }
            Op::CreateStage {
                name: n,
                description,
                variables,
                tracing_enabled,
            } => {
                if a.stages.contains_key(n) {
                    return Err(SimError::Conflict {
                        op: name,
                        what: n.clone(),
                    });
                }
                let dep = new_deployment
                    .clone()
                    .ok_or_else(|| missing("deployment"))?;
                a.stages.insert(
                    n.clone(),
                    ObservedStage {
                        deployment_id: Some(dep),
                        settings: Stage {
                            description: description.clone(),
                            variables: variables.clone(),
                            tracing_enabled: Some(*tracing_enabled),
                            ..Default::default()
                        },
                    },
                );
            }
            Op::UpdateStage { name: n, patches } => {
                let st = a.stages.get_mut(n).ok_or_else(|| missing(n))?;
                for p in patches {
                    apply_stage_patch(st, p, new_deployment.as_deref()).map_err(|w| missing(&w))?;
                }
            }
        }
    }
    let api = api.ok_or(SimError::NoApi("plan"))?;
    Ok((api, policies))
}

fn method_mut<'a>(a: &'a mut ObservedRestApi, path: &str, method: &str) -> Option<&'a mut Method> {
    a.config.resources.get_mut(path)?.methods.get_mut(method)
}

fn unescape(s: &str) -> String {
    s.replace("~1", "/").replace("~0", "~")
}

fn apply_stage_patch(
    st: &mut ObservedStage,
    p: &Patch,
    new_deployment: Option<&str>,
) -> Result<(), String> {
    let v = p.value.clone().unwrap_or_default();
    if p.op == "copy" {
        // Promoting a canary: its deployment becomes the stage's.
        return match (p.from.as_deref(), p.path.as_str()) {
            (Some("/canarySettings/deploymentId"), "/deploymentId") => {
                let c = st.settings.canary.as_ref().ok_or("canarySettings")?;
                st.deployment_id = c.deployment_id.clone();
                Ok(())
            }
            _ => Err(p.path.clone()),
        };
    }
    let s = &mut st.settings;
    match p.path.as_str() {
        "/canarySettings" if p.op == "remove" => s.canary = None,
        "/canarySettings/percentTraffic" => {
            s.canary.as_mut().ok_or("canarySettings")?.percent = v.parse().ok()
        }
        path if path.starts_with("/canarySettings/stageVariableOverrides/") => {
            let k = path["/canarySettings/stageVariableOverrides/".len()..].to_string();
            let vars = s
                .canary
                .as_mut()
                .ok_or("canarySettings")?
                .variables
                .get_or_insert_with(BTreeMap::new);
            if p.op == "remove" {
                vars.remove(&k);
            } else {
                vars.insert(k, v);
            }
        }
        "/deploymentId" => {
            let id = if v == DEPLOYMENT_ID {
                new_deployment.ok_or("deployment")?.to_string()
            } else {
                v
            };
            st.deployment_id = Some(id);
        }
        "/description" => s.description = Some(v),
        "/tracingEnabled" => s.tracing_enabled = Some(v == "true"),
        // The reader shows a size only while the cluster is on (as get-stages answers).
        "/cacheClusterEnabled" => {
            s.cache_cluster_enabled = Some(v == "true");
            if v != "true" {
                s.cache_cluster_size = None;
            } else if s.cache_cluster_size.is_none() {
                s.cache_cluster_size = Some("0.5".into());
            }
        }
        "/cacheClusterSize" => s.cache_cluster_size = Some(v),
        "/accessLogSettings/destinationArn" => {
            s.access_log
                .get_or_insert_with(AccessLog::default)
                .destination_arn = v
        }
        "/accessLogSettings/format" => {
            s.access_log.get_or_insert_with(AccessLog::default).format = v
        }
        path if path.starts_with("/variables/") => {
            let k = path["/variables/".len()..].to_string();
            if p.op == "remove" {
                s.variables.remove(&k);
            } else {
                s.variables.insert(k, v);
            }
        }
        path => {
            // /{resource}/{METHOD}/{group}/{setting}
            let parts: Vec<&str> = path.trim_start_matches('/').rsplitn(3, '/').collect();
            if parts.len() != 3 {
                return Err(path.to_string());
            }
            let (setting, group, key) = (parts[0], parts[1], parts[2]);
            let key = if key == "*/*" {
                key.to_string()
            } else {
                let (res, method) = key.rsplit_once('/').ok_or(path.to_string())?;
                format!("{}/{}", unescape(res), method)
            };
            let ms = s.method_settings.entry(key).or_default();
            match (group, setting) {
                ("logging", "loglevel") => ms.logging_level = Some(v),
                ("logging", "dataTrace") => ms.data_trace = Some(v == "true"),
                ("metrics", "enabled") => ms.metrics = Some(v == "true"),
                ("throttling", "rateLimit") => ms.throttle_rate = v.parse().ok(),
                ("throttling", "burstLimit") => ms.throttle_burst = v.parse().ok(),
                ("caching", "enabled") => ms.caching_enabled = Some(v == "true"),
                ("caching", "ttlInSeconds") => ms.cache_ttl = v.parse().ok(),
                ("caching", "dataEncrypted") => ms.cache_encrypted = Some(v == "true"),
                _ => return Err(path.to_string()),
            }
        }
    }
    Ok(())
}
