//! Reads of API keys and usage plans into [`crate::state::usage`] shapes.
//!
//! Calls: get-usage-plans and get-api-keys (every page, `includeValues=false`), concurrently,
//! then get-usage-plan-keys for each plan gwctl owns for this API. Key values are never
//! requested by these reads, and where an answer carries one anyway (get-usage-plan-keys
//! does), it is not mapped. [`api_key_values`] is the one read that asks for values, for
//! `apply --show-secrets` only.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_apigateway::types as agt;

use super::{all_pages, bounded, LAMBDA_CONCURRENCY, PAGE_LIMIT};
use crate::aws::error::{classify, AwsError};
use crate::aws::Clients;
use crate::plan::usage::{owned_usage, AccountUsage};
use crate::state::usage::{
    ApiKey, ObservedApiKey, ObservedUsage, ObservedUsagePlan, Quota, Throttle, UsagePlan, ValueTag,
};

fn to_btree(m: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    m.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

pub(crate) async fn get_usage_plans(c: &Clients) -> Result<Vec<agt::UsagePlan>, AwsError> {
    all_pages(|position| async move {
        let page = c
            .apigw
            .get_usage_plans()
            .limit(PAGE_LIMIT)
            .set_position(position)
            .send()
            .await
            .map_err(|e| classify("GetUsagePlans", e))?;
        Ok((page.items().to_vec(), page.position().map(str::to_string)))
    })
    .await
}

async fn get_api_keys(c: &Clients, include_values: bool) -> Result<Vec<agt::ApiKey>, AwsError> {
    all_pages(|position| async move {
        let page = c
            .apigw
            .get_api_keys()
            .include_values(include_values)
            .limit(PAGE_LIMIT)
            .set_position(position)
            .send()
            .await
            .map_err(|e| classify("GetApiKeys", e))?;
        Ok((page.items().to_vec(), page.position().map(str::to_string)))
    })
    .await
}

/// Ids of the keys attached to a usage plan (every page).
async fn get_usage_plan_key_ids(c: &Clients, plan_id: &str) -> Result<BTreeSet<String>, AwsError> {
    let ids = all_pages(|position| async move {
        let page = c
            .apigw
            .get_usage_plan_keys()
            .usage_plan_id(plan_id)
            .limit(PAGE_LIMIT)
            .set_position(position)
            .send()
            .await
            .map_err(|e| classify("GetUsagePlanKeys", e))?;
        // Only ids: the answer also carries each key's value, which is never kept.
        let ids: Vec<String> = page
            .items()
            .iter()
            .filter_map(|k| k.id().map(str::to_string))
            .collect();
        Ok((ids, page.position().map(str::to_string)))
    })
    .await?;
    Ok(ids.into_iter().collect())
}

/// Map one usage plan's settings (pure).
pub fn map_usage_plan(p: &agt::UsagePlan) -> UsagePlan {
    UsagePlan {
        description: p
            .description()
            .filter(|d| !d.is_empty())
            .map(str::to_string),
        throttle: p.throttle().map(|t| Throttle {
            rate: t.rate_limit(),
            burst: t.burst_limit(),
        }),
        quota: p.quota().map(|q| Quota {
            limit: q.limit(),
            period: q
                .period()
                .map(|x| x.as_str().to_string())
                .unwrap_or_default(),
            offset: q.offset(),
        }),
        api_stages: p
            .api_stages()
            .iter()
            .map(|s| {
                (
                    format!(
                        "{}:{}",
                        s.api_id().unwrap_or_default(),
                        s.stage().unwrap_or_default()
                    ),
                    s.throttle()
                        .map(|m| {
                            m.iter()
                                .map(|(k, t)| {
                                    (
                                        k.clone(),
                                        Throttle {
                                            rate: t.rate_limit(),
                                            burst: t.burst_limit(),
                                        },
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                )
            })
            .collect(),
    }
}

/// Map one API key (pure; the value is never read from it).
pub fn map_api_key(k: &agt::ApiKey) -> ObservedApiKey {
    let tags = to_btree(k.tags());
    ObservedApiKey {
        id: k.id().unwrap_or_default().to_string(),
        name: k.name().unwrap_or_default().to_string(),
        created_epoch: k.created_date().map(|d| d.secs()),
        def: ApiKey {
            description: k
                .description()
                .filter(|d| !d.is_empty())
                .map(str::to_string),
            enabled: k.enabled(),
            value_tag: ValueTag::from_tags(&tags),
        },
    }
}

/// The usage plans and API keys gwctl created for the REST API named `api_name`, and the
/// names of all the account's keys.
pub async fn read_usage(c: &Clients, api_name: &str) -> Result<ObservedUsage, AwsError> {
    Ok(read_usage_covering(c, api_name, None).await?.0)
}

/// [`read_usage`], plus the usage plans that cover a stage of the API `api_id` but that
/// gwctl did not make for it, as (id, name) (`gwctl export` lists them as left out). The
/// same calls as [`read_usage`].
pub async fn read_usage_covering(
    c: &Clients,
    api_name: &str,
    api_id: Option<&str>,
) -> Result<(ObservedUsage, Vec<(String, String)>), AwsError> {
    let (plans, keys) = tokio::try_join!(get_usage_plans(c), get_api_keys(c, false))?;
    let account = AccountUsage {
        plans: plans
            .iter()
            .map(|p| {
                (
                    ObservedUsagePlan {
                        id: p.id().unwrap_or_default().to_string(),
                        name: p.name().unwrap_or_default().to_string(),
                        def: map_usage_plan(p),
                        key_ids: BTreeSet::new(),
                    },
                    to_btree(p.tags()),
                )
            })
            .collect(),
        keys: keys
            .iter()
            .map(|k| (map_api_key(k), to_btree(k.tags())))
            .collect(),
    };
    // Which are gwctl's is the planner's rule; the keys attached are read only for those.
    let mut observed = owned_usage(&account, api_name);
    let key_ids = bounded(
        observed.plans.iter().map(|p| {
            let c = c.clone();
            let id = p.id.clone();
            async move { get_usage_plan_key_ids(&c, &id).await }
        }),
        LAMBDA_CONCURRENCY,
    )
    .await;
    for (p, ids) in observed.plans.iter_mut().zip(key_ids) {
        p.key_ids = ids?;
    }
    let foreign = match api_id {
        Some(api_id) => account
            .plans
            .iter()
            .filter(|(p, _)| !observed.plans.iter().any(|o| o.id == p.id))
            .filter(|(p, _)| {
                p.def
                    .api_stages
                    .keys()
                    .any(|k| k.split_once(':').is_some_and(|(a, _)| a == api_id))
            })
            .map(|(p, _)| (p.id.clone(), p.name.clone()))
            .collect(),
        None => Vec::new(),
    };
    Ok((observed, foreign))
}

/// A key value, for `apply --show-secrets` (printed on stdout only, never logged).
#[derive(Clone)]
pub struct KeyValue {
    pub id: String,
    pub value: String,
}

impl std::fmt::Debug for KeyValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyValue")
            .field("id", &self.id)
            .field("value", &"..")
            .finish()
    }
}

/// The values of the keys with these ids (get-api-keys with `includeValues=true`).
pub async fn api_key_values(
    c: &Clients,
    ids: &BTreeSet<String>,
) -> Result<BTreeMap<String, KeyValue>, AwsError> {
    let keys = get_api_keys(c, true).await?;
    Ok(keys
        .iter()
        .filter_map(|k| {
            let id = k.id()?;
            if !ids.contains(id) {
                return None;
            }
            Some((
                id.to_string(),
                KeyValue {
                    id: id.to_string(),
                    value: k.value()?.to_string(),
                },
            ))
        })
        .collect())
}
