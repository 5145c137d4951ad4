//! The simulator for API keys and usage plans: what API Gateway does with each
//! [`UsageOp`], read back the way the reader would. Together with [`super::rest::simulate`] it
//! checks that "apply, then plan again" is empty and that the planner's order is one AWS
//! accepts: a plan covers only stages that exist by then, a key is attached once, a plan is
//! deleted only without stages, a key only once detached.

use std::collections::{BTreeMap, BTreeSet};

use crate::state::rest::{ObservedRestApi, Policies};
use crate::state::usage::{
    ApiKey, ObservedApiKey, ObservedUsage, ObservedUsagePlan, Quota, Throttle, ValueTag,
    LEGACY_VALUE_DIGEST_TAG_KEY,
};

use super::rest::ops::{Op, Patch};
use super::rest::simulate;
use super::simulate::SimError;
use super::usage_ops::{api_key_id_placeholder, usage_plan_id_placeholder, UsageOp};
use super::API_ID;

/// Apply `ops` to an account: the API's ops with [`simulate::apply`], the usage ops here, in
/// plan order.
pub fn apply_all(
    api: Option<ObservedRestApi>,
    policies: Policies,
    usage: ObservedUsage,
    ops: &[Op],
) -> Result<(ObservedRestApi, Policies, ObservedUsage), SimError> {
    let initial_stages: BTreeSet<String> = api
        .as_ref()
        .map(|a| a.stages.keys().cloned().collect())
        .unwrap_or_default();
    let (api, policies) = simulate::apply(api, policies, ops)?;
    // Ids continue after those of earlier runs (`sim-key-3` -> the next is 4 or more).
    let counter = usage
        .plans
        .iter()
        .map(|p| p.id.as_str())
        .chain(usage.keys.iter().map(|k| k.id.as_str()))
        .filter_map(|id| id.rsplit('-').next()?.parse::<usize>().ok())
        .max()
        .unwrap_or(0);
    let mut sim = Sim {
        usage,
        api_id: api.id.clone(),
        stages: initial_stages,
        ids: BTreeMap::new(),
        counter,
    };
    for op in ops {
        match op {
            Op::CreateStage { name, .. } => {
                sim.stages.insert(name.clone());
            }
            Op::Usage(u) => sim.apply(u)?,
            _ => {}
        }
    }
    Ok((api, policies, sim.usage))
}

struct Sim {
    usage: ObservedUsage,
    api_id: String,
    /// Stages of the API that exist at this point of the plan.
    stages: BTreeSet<String>,
    /// Placeholder -> id of objects created in this run.
    ids: BTreeMap<String, String>,
    counter: usize,
}

impl Sim {
    fn next_id(&mut self, kind: &str) -> String {
        self.counter += 1;
        format!("sim-{kind}-{}", self.counter)
    }

    fn fill(&self, s: &str) -> String {
        let mut out = s.replace(API_ID, &self.api_id);
        for (k, v) in &self.ids {
            out = out.replace(k, v);
        }
        out
    }

    fn plan_mut(&mut self, op: &'static str, id: &str) -> Result<&mut ObservedUsagePlan, SimError> {
        let id = self.fill(id);
        self.usage
            .plans
            .iter_mut()
            .find(|p| p.id == id)
            .ok_or(SimError::Missing {
                op,
                what: format!("usage plan {id}"),
            })
    }

    fn key_mut(&mut self, op: &'static str, id: &str) -> Result<&mut ObservedApiKey, SimError> {
        let id = self.fill(id);
        self.usage
            .keys
            .iter_mut()
            .find(|k| k.id == id)
            .ok_or(SimError::Missing {
                op,
                what: format!("api key {id}"),
            })
    }

    /// An `{api id}:{stage}` of this API must name a stage that exists by now.
    fn check_stage(&self, op: &'static str, key: &str) -> Result<(), SimError> {
        if let Some((id, stage)) = key.split_once(':') {
            if id == self.api_id && !self.stages.contains(stage) {
                return Err(SimError::Missing {
                    op,
                    what: format!("stage {stage}"),
                });
            }
        }
        Ok(())
    }

    fn apply(&mut self, op: &UsageOp) -> Result<(), SimError> {
        let name = op.aws_name();
        match op {
            UsageOp::CreateApiKey {
                name: key,
                description,
                enabled,
                tags,
                ..
            } => {
                let id = self.next_id("key");
                self.ids.insert(api_key_id_placeholder(key), id.clone());
                self.usage.key_names.insert(id.clone(), key.clone());
                self.usage.keys.push(ObservedApiKey {
                    id,
                    name: key.clone(),
                    created_epoch: Some(self.counter as i64),
                    def: ApiKey {
                        description: description.clone(),
                        enabled: *enabled,
                        value_tag: ValueTag::from_tags(tags),
                    },
                });
            }
            UsageOp::UpdateApiKey { id, patches, .. } => {
                let id = self.fill(id);
                let k =
                    self.usage
                        .keys
                        .iter_mut()
                        .find(|k| k.id == id)
                        .ok_or(SimError::Missing {
                            op: name,
                            what: format!("api key {id}"),
                        })?;
                for p in patches {
                    match (p.op.as_str(), p.path.as_str()) {
                        ("replace", "/description") => {
                            k.def.description = p.value.clone().filter(|v| !v.is_empty())
                        }
                        ("replace", "/enabled") => {
                            k.def.enabled = p.value.as_deref() == Some("true")
                        }
                        _ => return Err(bad_patch(name, p)),
                    }
                }
            }
            UsageOp::TagApiKey { id, tags, .. } => {
                let k = self.key_mut(name, id)?;
                // The salted pair wins over an unsalted tag, as in the reader.
                if let Some(t @ ValueTag::Keyed { .. }) = ValueTag::from_tags(tags) {
                    k.def.value_tag = Some(t);
                }
            }
            UsageOp::UntagApiKey { id, tag_keys, .. } => {
                let k = self.key_mut(name, id)?;
                if matches!(k.def.value_tag, Some(ValueTag::Legacy(_)))
                    && tag_keys.iter().any(|t| t == LEGACY_VALUE_DIGEST_TAG_KEY)
                {
                    k.def.value_tag = None;
                }
            }
            UsageOp::DeleteApiKey { id, .. } => {
                let id = self.fill(id);
                if self.usage.plans.iter().any(|p| p.key_ids.contains(&id)) {
                    return Err(SimError::Conflict {
                        op: name,
                        what: format!("api key {id} is still attached to a usage plan"),
                    });
                }
                let before = self.usage.keys.len();
                self.usage.keys.retain(|k| k.id != id);
                if self.usage.keys.len() == before {
                    return Err(SimError::Missing {
                        op: name,
                        what: format!("api key {id}"),
                    });
                }
                self.usage.key_names.remove(&id);
            }
            UsageOp::CreateUsagePlan {
                name: plan,
                def,
                tags: _,
            } => {
                let mut def = def.clone();
                def.api_stages = def
                    .api_stages
                    .iter()
                    .map(|(k, v)| (self.fill(k), v.clone()))
                    .collect();
                for k in def.api_stages.keys() {
                    self.check_stage(name, k)?;
                }
                let id = self.next_id("plan");
                self.ids.insert(usage_plan_id_placeholder(plan), id.clone());
                self.usage.plans.push(ObservedUsagePlan {
                    id,
                    name: plan.clone(),
                    def,
                    key_ids: BTreeSet::new(),
                });
                self.usage
                    .plans
                    .sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
            }
            UsageOp::UpdateUsagePlan { id, patches, .. } => {
                let patches: Vec<Patch> = patches
                    .iter()
                    .map(|p| Patch {
                        op: p.op.clone(),
                        path: self.fill(&p.path),
                        value: p.value.as_deref().map(|v| self.fill(v)),
                        from: p.from.clone(),
                    })
                    .collect();
                for p in &patches {
                    if p.op == "add" && p.path == "/apiStages" {
                        self.check_stage(name, p.value.as_deref().unwrap_or(""))?;
                    }
                }
                let plan = self.plan_mut(name, id)?;
                for p in &patches {
                    apply_plan_patch(plan, p)
                        .map_err(|what| SimError::Missing { op: name, what })?;
                }
            }
            UsageOp::DeleteUsagePlan { id, .. } => {
                let id = self.fill(id);
                let plan = self.plan_mut(name, &id)?;
                if !plan.def.api_stages.is_empty() {
                    return Err(SimError::Conflict {
                        op: name,
                        what: format!("usage plan {id} still has api stages"),
                    });
                }
                self.usage.plans.retain(|p| p.id != id);
            }
            UsageOp::CreateUsagePlanKey {
                plan_id, key_id, ..
            } => {
                let key_id = self.fill(key_id);
                if !self.usage.key_names.contains_key(&key_id) {
                    return Err(SimError::Missing {
                        op: name,
                        what: format!("api key {key_id}"),
                    });
                }
                let plan = self.plan_mut(name, plan_id)?;
                if !plan.key_ids.insert(key_id.clone()) {
                    return Err(SimError::Conflict {
                        op: name,
                        what: format!("api key {key_id} is already in the plan"),
                    });
                }
            }
            UsageOp::DeleteUsagePlanKey {
                plan_id, key_id, ..
            } => {
                let key_id = self.fill(key_id);
                let plan = self.plan_mut(name, plan_id)?;
                if !plan.key_ids.remove(&key_id) {
                    return Err(SimError::Missing {
                        op: name,
                        what: format!("api key {key_id} in the plan"),
                    });
                }
            }
        }
        Ok(())
    }
}

fn bad_patch(op: &'static str, p: &Patch) -> SimError {
    SimError::Missing {
        op,
        what: format!("patch {} {}", p.op, p.path),
    }
}

fn num<T: std::str::FromStr>(p: &Patch) -> Result<T, String> {
    p.value
        .as_deref()
        .unwrap_or("")
        .parse()
        .map_err(|_| format!("a number for {}", p.path))
}

fn apply_plan_patch(plan: &mut ObservedUsagePlan, p: &Patch) -> Result<(), String> {
    let d = &mut plan.def;
    let set = matches!(p.op.as_str(), "add" | "replace");
    match (p.op.as_str(), p.path.as_str()) {
        ("replace", "/description") => d.description = p.value.clone().filter(|v| !v.is_empty()),
        (_, "/throttle/rateLimit") if set => {
            d.throttle.get_or_insert_with(Throttle::default).rate = num(p)?
        }
        (_, "/throttle/burstLimit") if set => {
            d.throttle.get_or_insert_with(Throttle::default).burst = num(p)?
        }
        (_, "/quota/limit") if set => d.quota.get_or_insert_with(Quota::default).limit = num(p)?,
        (_, "/quota/period") if set => {
            d.quota.get_or_insert_with(Quota::default).period = p.value.clone().unwrap_or_default()
        }
        (_, "/quota/offset") if set => d.quota.get_or_insert_with(Quota::default).offset = num(p)?,
        ("remove", "/throttle") => d.throttle = None,
        ("remove", "/quota") => d.quota = None,
        ("add", "/apiStages") => {
            let k = p.value.clone().unwrap_or_default();
            if d.api_stages.contains_key(&k) {
                return Err(format!("api stage {k} added twice"));
            }
            d.api_stages.insert(k, BTreeMap::new());
        }
        ("remove", "/apiStages") => {
            let k = p.value.clone().unwrap_or_default();
            d.api_stages
                .remove(&k)
                .ok_or_else(|| format!("api stage {k}"))?;
        }
        (op, path) if path.starts_with("/apiStages/") && path.ends_with("/throttle") => {
            let k = &path["/apiStages/".len()..path.len() - "/throttle".len()];
            let t = d
                .api_stages
                .get_mut(k)
                .ok_or_else(|| format!("api stage {k}"))?;
            match op {
                "remove" => t.clear(),
                "replace" => {
                    let v: serde_json::Value =
                        serde_json::from_str(p.value.as_deref().unwrap_or(""))
                            .map_err(|e| format!("a throttle map: {e}"))?;
                    let m = v.as_object().ok_or("a throttle map")?;
                    *t = m
                        .iter()
                        .map(|(mk, mv)| {
                            (
                                mk.clone(),
                                Throttle {
                                    rate: mv["rateLimit"].as_f64().unwrap_or_default(),
                                    burst: mv["burstLimit"].as_i64().unwrap_or_default() as i32,
                                },
                            )
                        })
                        .collect();
                }
                _ => return Err(format!("patch {op} {path}")),
            }
        }
        (op, path) => return Err(format!("patch {op} {path}")),
    }
    Ok(())
}
