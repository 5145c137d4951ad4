//! The executor's part for API keys and usage plans ([`UsageOp`]).
//!
//! Ids of keys and plans created in the run are learned from the create answers and fill
//! the `{api_key_id:NAME}` / `{usage_plan_id:NAME}` placeholders of later ops (and `{api_id}`
//! in usage-plan stages). A key value read from the environment is passed to create-api-key
//! and nowhere else: it is checked against the salted digest the plan recorded (a variable changed
//! since `plan` refuses the op), and it never enters an error message or a log line.

use std::collections::HashMap;

use aws_sdk_apigateway::types as agt;

use super::rest::Executor;
use super::{deleted, hash_map, internal, refused_as_existing, OpOutcome};
use crate::aws::error::{classify, AwsError, ErrorKind};
use crate::aws::recover::{create_or_find, Identity, Made};
use crate::plan::rest::ops::Patch;
use crate::plan::usage_ops::{api_key_id_placeholder, usage_plan_id_placeholder, UsageOp};
use crate::state::usage::ValueTag;

/// A secret that is never printed (`Debug` is redacted, there is no `Display`).
struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// A CreateApiKey refused because the value already belongs to another API key: one final
/// error naming the key and the variable, never the value.
fn value_in_use(op: &str, key: &str, var: &Option<String>, e: AwsError) -> AwsError {
    let source = match var {
        Some(var) => format!("the value of `{var}`"),
        None => "its value".to_string(),
    };
    AwsError {
        kind: ErrorKind::AlreadyExists,
        operation: op.to_string(),
        code: e.code,
        message: format!(
            "api key `{key}` was not created: {source} already belongs to another API key in the account (API Gateway refuses two keys with one value); nothing was removed: a key `{key}` that exists stays as it is, in its usage plans"
        ),
    }
}

impl Executor<'_> {
    /// Replace usage placeholders, then the API's (`{api_id}`, ...).
    fn fill_usage(&self, op: &str, s: &str) -> Result<String, AwsError> {
        let mut out = s.to_string();
        for prefix in ["{usage_plan_id:", "{api_key_id:"] {
            while let Some(start) = out.find(prefix) {
                let Some(len) = out[start..].find('}') else {
                    return Err(internal(op, format!("unterminated placeholder in `{s}`")));
                };
                let end = start + len;
                let placeholder = out[start..=end].to_string();
                let id = self.usage_ids.get(&placeholder).cloned().ok_or_else(|| {
                    internal(
                        op,
                        format!("no id known for `{placeholder}`: it was not created in this run"),
                    )
                })?;
                out.replace_range(start..=end, &id);
            }
        }
        self.fill(op, &out)
    }

    fn usage_patches(
        &self,
        op: &str,
        patches: &[Patch],
    ) -> Result<Vec<agt::PatchOperation>, AwsError> {
        patches
            .iter()
            .map(|p| {
                Ok(agt::PatchOperation::builder()
                    .op(agt::Op::from(p.op.as_str()))
                    .path(self.fill_usage(op, &p.path)?)
                    .set_value(
                        p.value
                            .as_deref()
                            .map(|v| self.fill_usage(op, v))
                            .transpose()?,
                    )
                    .build())
            })
            .collect()
    }

    /// `arn:aws:apigateway:{region}::/apikeys/{id}`, what tag-resource takes for a key.
    fn api_key_arn(&self, op: &str, id: &str) -> Result<String, AwsError> {
        Ok(super::apigateway_arn(
            &self.clients.region,
            &format!("/apikeys/{}", self.fill_usage(op, id)?),
        ))
    }

    /// The value of environment variable `var` for key `key`, when it still has the digest
    /// the plan was made with.
    fn key_value(
        &self,
        op: &str,
        key: &str,
        var: &str,
        tags: &std::collections::BTreeMap<String, String>,
    ) -> Result<Secret, AwsError> {
        let fail = |message: String| AwsError {
            kind: ErrorKind::Other,
            operation: op.to_string(),
            code: None,
            message,
        };
        let value = std::env::var(var).ok();
        let state = if value.is_some() {
            "set but empty"
        } else {
            "not set"
        };
        let value = value.filter(|v| !v.is_empty()).ok_or_else(|| {
            fail(format!(
                "api key `{key}` takes its value from `{var}`, which is {state}"
            ))
        })?;
        let planned = match ValueTag::from_tags(tags) {
            Some(t @ ValueTag::Keyed { .. }) => t,
            _ => {
                return Err(internal(
                    op,
                    format!("api key `{key}`: the op carries no salted digest of its value"),
                ))
            }
        };
        if !planned.matches(&value) {
            return Err(fail(format!(
                "the value of `{var}` (api key `{key}`) is not the one the plan was made with; plan again"
            )));
        }
        Ok(Secret(value))
    }

    /// Apply one usage op.
    pub(super) async fn apply_usage(&mut self, op: &UsageOp) -> Result<OpOutcome, AwsError> {
        let name = op.aws_name();
        let gw = self.clients.apigw.clone();
        match op {
            UsageOp::CreateApiKey {
                name: key,
                description,
                enabled,
                value_from_env,
                tags,
            } => {
                let value = match value_from_env {
                    Some(var) => Some(self.key_value(name, key, var, tags)?),
                    None => None,
                };
                let req = gw
                    .create_api_key()
                    .name(key)
                    .set_description(description.clone())
                    .enabled(*enabled)
                    .set_value(value.map(|s| s.0))
                    .set_tags(hash_map(tags));
                // No answer: look for the key (name and tags) before creating it again.
                let identity = Identity::ApiKey { name: key, tags };
                let made = match create_or_find(self.clients, identity, || {
                    let r = req.clone();
                    async move { r.send().await.map_err(|e| classify(name, e)) }
                })
                .await
                {
                    Ok(made) => made,
                    // The value is already some key's. It is this op's own key when an
                    // earlier attempt was applied but its answer lost: look once more.
                    // Otherwise it is another key's, and that is final (no retry, no
                    // re-plan): the plan created nothing and removed nothing so far.
                    Err(e) if e.kind == ErrorKind::Conflict => {
                        let identity = Identity::ApiKey { name: key, tags };
                        match crate::aws::recover::find(self.clients, &identity).await? {
                            Some(id) => Made::Adopted(id),
                            None => return Err(value_in_use(name, key, value_from_env, e)),
                        }
                    }
                    Err(e) => return Err(e),
                };
                let id = match &made {
                    Made::Created(out) => out
                        .id()
                        .ok_or_else(|| internal(name, "the answer carries no api key id".into()))?
                        .to_string(),
                    Made::Adopted(id) => id.clone(),
                };
                self.usage_ids
                    .insert(api_key_id_placeholder(key), id.clone());
                Ok(match made {
                    Made::Created(_) => OpOutcome::Created { id },
                    Made::Adopted(_) => OpOutcome::Adopted { id },
                })
            }
            UsageOp::UpdateApiKey { id, patches, .. } => {
                gw.update_api_key()
                    .api_key(self.fill_usage(name, id)?)
                    .set_patch_operations(Some(self.usage_patches(name, patches)?))
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
            UsageOp::TagApiKey { id, tags, .. } => {
                gw.tag_resource()
                    .resource_arn(self.api_key_arn(name, id)?)
                    .set_tags(hash_map(tags))
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
            UsageOp::UntagApiKey { id, tag_keys, .. } => {
                gw.untag_resource()
                    .resource_arn(self.api_key_arn(name, id)?)
                    .set_tag_keys(Some(tag_keys.clone()))
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
            UsageOp::DeleteApiKey { id, .. } => {
                let res = gw
                    .delete_api_key()
                    .api_key(self.fill_usage(name, id)?)
                    .send()
                    .await;
                deleted(name, res)
            }
            UsageOp::CreateUsagePlan {
                name: plan,
                def,
                tags,
            } => {
                let mut stages = Vec::new();
                for (key, throttles) in &def.api_stages {
                    let key = self.fill_usage(name, key)?;
                    let (api_id, stage) = key
                        .split_once(':')
                        .ok_or_else(|| internal(name, format!("`{key}` is not `api-id:stage`")))?;
                    let throttle: HashMap<String, agt::ThrottleSettings> = throttles
                        .iter()
                        .map(|(k, t)| {
                            (
                                k.clone(),
                                agt::ThrottleSettings::builder()
                                    .rate_limit(t.rate)
                                    .burst_limit(t.burst)
                                    .build(),
                            )
                        })
                        .collect();
                    stages.push(
                        agt::ApiStage::builder()
                            .api_id(api_id)
                            .stage(stage)
                            .set_throttle((!throttle.is_empty()).then_some(throttle))
                            .build(),
                    );
                }
                let req = gw
                    .create_usage_plan()
                    .name(plan)
                    .set_description(def.description.clone())
                    .set_api_stages((!stages.is_empty()).then_some(stages))
                    .set_throttle(def.throttle.map(|t| {
                        agt::ThrottleSettings::builder()
                            .rate_limit(t.rate)
                            .burst_limit(t.burst)
                            .build()
                    }))
                    .set_quota(def.quota.as_ref().map(|q| {
                        agt::QuotaSettings::builder()
                            .limit(q.limit)
                            .offset(q.offset)
                            .period(agt::QuotaPeriodType::from(q.period.as_str()))
                            .build()
                    }))
                    .set_tags(hash_map(tags));
                // No answer: look for the plan (name and tags) before creating it again.
                let identity = Identity::UsagePlan { name: plan, tags };
                let made = create_or_find(self.clients, identity, || {
                    let r = req.clone();
                    async move { r.send().await.map_err(|e| classify(name, e)) }
                })
                .await?;
                let id = match &made {
                    Made::Created(out) => out
                        .id()
                        .ok_or_else(|| {
                            internal(name, "the answer carries no usage plan id".into())
                        })?
                        .to_string(),
                    Made::Adopted(id) => id.clone(),
                };
                self.usage_ids
                    .insert(usage_plan_id_placeholder(plan), id.clone());
                Ok(match made {
                    Made::Created(_) => OpOutcome::Created { id },
                    Made::Adopted(_) => OpOutcome::Adopted { id },
                })
            }
            UsageOp::UpdateUsagePlan { id, patches, .. } => {
                gw.update_usage_plan()
                    .usage_plan_id(self.fill_usage(name, id)?)
                    .set_patch_operations(Some(self.usage_patches(name, patches)?))
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
            UsageOp::DeleteUsagePlan { id, .. } => {
                let res = gw
                    .delete_usage_plan()
                    .usage_plan_id(self.fill_usage(name, id)?)
                    .send()
                    .await;
                deleted(name, res)
            }
            UsageOp::CreateUsagePlanKey {
                plan_id, key_id, ..
            } => {
                let (plan_id, key_id) = (
                    self.fill_usage(name, plan_id)?,
                    self.fill_usage(name, key_id)?,
                );
                let res = gw
                    .create_usage_plan_key()
                    .usage_plan_id(&plan_id)
                    .key_id(&key_id)
                    .key_type("API_KEY")
                    .send()
                    .await;
                let e = match refused_as_existing(res.map_err(|e| classify(name, e))) {
                    Ok(conflict) => conflict,
                    Err(outcome) => return outcome,
                };
                // A 409 is "already attached" only when the key is in THIS plan's keys (a
                // retried apply, or an answer lost): read back. Not there: a concurrent
                // modification, tried again; an error reading: the conflict goes up.
                let found = gw
                    .get_usage_plan_key()
                    .usage_plan_id(&plan_id)
                    .key_id(&key_id)
                    .send()
                    .await
                    .map_err(|g| classify("GetUsagePlanKey", g))
                    .map(|k| k.id() == Some(key_id.as_str()));
                self.settle_put_conflict(e, found)
            }
            UsageOp::DeleteUsagePlanKey {
                plan_id, key_id, ..
            } => {
                let res = gw
                    .delete_usage_plan_key()
                    .usage_plan_id(self.fill_usage(name, plan_id)?)
                    .key_id(self.fill_usage(name, key_id)?)
                    .send()
                    .await;
                deleted(name, res)
            }
        }
    }
}
