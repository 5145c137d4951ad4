//! API keys and usage plans (REST): from the spec to the desired shapes, and the pure
//! planner that brings the account's keys and plans to them.
//!
//! Ownership: gwctl manages only keys and plans carrying its ownership tag and the API's
//! name ([`crate::state::usage::API_TAG_KEY`]); it finds them by (name, tags), so a re-run
//! never creates a second one, and a second one left by an interrupted run is deleted. Keys
//! the spec references by `id` are attached to plans and otherwise left alone.
//!
//! Order (these ops come after the API's own, so every stage a plan covers exists):
//! 1. API keys: created, updated, or replaced (a key's value cannot change in place);
//! 2. usage plans: created with their stages, or changed with **one** update-usage-plan call
//!    carrying every patch (update-usage-plan is limited to 1 call per 20 s per account);
//! 3. usage-plan keys: attached, detached;
//! 4. plans the spec no longer has: stages detached, then deleted;
//! 5. keys the spec no longer has: detached, then deleted.

use std::collections::{BTreeMap, BTreeSet};

use crate::spec::model::{Pos, Spec};
use crate::state::usage::{
    value_digest, ApiKey, ObservedApiKey, ObservedUsage, ObservedUsagePlan, Quota, Throttle,
    UsagePlan, API_TAG_KEY, VALUE_DIGEST_TAG_KEY,
};
use crate::state::{OWNER_TAG_KEY, OWNER_TAG_VALUE};

use super::ops::{Op, Patch, API_ID};
use super::usage_ops::{api_key_id_placeholder, usage_plan_id_placeholder, UsageOp};
use super::{Action, Change, FieldChange, Plan};

/// API Gateway's minimum length for an API key value.
pub const MIN_KEY_VALUE_LEN: usize = 20;

/// Where a key's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// gwctl creates the key and AWS generates the value.
    Generated,
    /// gwctl creates the key with the value of this environment variable.
    Env { var: String },
    /// An existing key, referenced by id: attached to plans, never changed or deleted.
    Existing { id: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct DesiredApiKey {
    pub name: String,
    pub pos: Pos,
    pub source: KeySource,
    /// Managed settings (not used for `Existing` keys).
    pub def: ApiKey,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DesiredUsagePlan {
    pub name: String,
    /// `api_stages` keyed `{api_id}:{stage}`.
    pub def: UsagePlan,
    /// Spec key names, in spec order.
    pub keys: Vec<String>,
}

/// The API keys and usage plans a spec wants, in spec order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DesiredUsage {
    /// The REST API's name (the value of the API tag).
    pub api_name: String,
    pub keys: Vec<DesiredApiKey>,
    pub plans: Vec<DesiredUsagePlan>,
}

impl DesiredUsage {
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.plans.is_empty()
    }
}

/// A key value the environment does not provide as the spec says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyValueError {
    #[error("api key `{key}` takes its value from `{var}`, which is not set")]
    Missing { key: String, var: String, pos: Pos },
    #[error("api key `{key}` takes its value from `{var}`, which is set but empty")]
    Empty { key: String, var: String, pos: Pos },
    #[error(
        "api key `{key}` takes its value from `{var}`, which holds {len} characters; API Gateway needs at least {MIN_KEY_VALUE_LEN}"
    )]
    TooShort {
        key: String,
        var: String,
        len: usize,
        pos: Pos,
    },
}

impl KeyValueError {
    pub fn pos(&self) -> Pos {
        match self {
            KeyValueError::Missing { pos, .. }
            | KeyValueError::Empty { pos, .. }
            | KeyValueError::TooShort { pos, .. } => *pos,
        }
    }
}

/// Tags gwctl writes on a key or plan it creates for API `api_name`.
pub fn tags(api_name: &str, digest: Option<&str>) -> BTreeMap<String, String> {
    let mut t = BTreeMap::from([
        (OWNER_TAG_KEY.to_string(), OWNER_TAG_VALUE.to_string()),
        (API_TAG_KEY.to_string(), api_name.to_string()),
    ]);
    if let Some(d) = digest {
        t.insert(VALUE_DIGEST_TAG_KEY.to_string(), d.to_string());
    }
    t
}

/// `{resource path}/{METHOD}`, the key of a usage plan's per-method throttle.
pub fn method_key(path: &str, method: &str) -> String {
    format!("{path}/{method}")
}

/// Build the desired keys and plans. `env` looks up an environment variable; values are
/// only digested here and never kept.
pub fn desired(
    spec: &Spec,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<DesiredUsage, Vec<KeyValueError>> {
    let mut errors = Vec::new();
    let mut keys = Vec::new();
    for k in &spec.api_keys {
        let (source, digest) = match (&k.existing_id, &k.value_from_env) {
            (Some(id), _) => (KeySource::Existing { id: id.clone() }, None),
            (None, Some(var)) => {
                let value = env(var);
                let empty = value.as_deref() == Some("");
                let digest = match value.filter(|v| !v.is_empty()) {
                    None => {
                        let (key, var, pos) = (k.name.value.clone(), var.clone(), k.name.pos);
                        errors.push(if empty {
                            KeyValueError::Empty { key, var, pos }
                        } else {
                            KeyValueError::Missing { key, var, pos }
                        });
                        None
                    }
                    Some(v) if v.chars().count() < MIN_KEY_VALUE_LEN => {
                        errors.push(KeyValueError::TooShort {
                            key: k.name.value.clone(),
                            var: var.clone(),
                            len: v.chars().count(),
                            pos: k.name.pos,
                        });
                        None
                    }
                    Some(v) => Some(value_digest(&v)),
                };
                (KeySource::Env { var: var.clone() }, digest)
            }
            (None, None) => (KeySource::Generated, None),
        };
        keys.push(DesiredApiKey {
            name: k.name.value.clone(),
            pos: k.name.pos,
            source,
            def: ApiKey {
                description: k.description.clone(),
                enabled: k.enabled,
                value_digest: digest,
            },
        });
    }
    let plans = spec
        .usage_plans
        .iter()
        .map(|p| {
            let throttles: BTreeMap<String, Throttle> = p
                .method_throttle
                .iter()
                .map(|(path, method, t)| {
                    (
                        method_key(&path.value, method.as_str()),
                        Throttle {
                            rate: t.rate,
                            burst: t.burst,
                        },
                    )
                })
                .collect();
            let mut names = Vec::new();
            for k in &p.keys {
                if !names.contains(&k.value) {
                    names.push(k.value.clone());
                }
            }
            DesiredUsagePlan {
                name: p.name.value.clone(),
                def: UsagePlan {
                    description: p.description.clone(),
                    throttle: p.throttle.map(|t| Throttle {
                        rate: t.rate,
                        burst: t.burst,
                    }),
                    quota: p.quota.as_ref().map(|q| Quota {
                        limit: q.limit,
                        period: q.period.clone(),
                        offset: q.offset,
                    }),
                    api_stages: p
                        .stages
                        .iter()
                        .map(|s| (format!("{API_ID}:{}", s.value), throttles.clone()))
                        .collect(),
                },
                keys: names,
            }
        })
        .collect();
    if errors.is_empty() {
        Ok(DesiredUsage {
            api_name: spec.api.name.value.clone(),
            keys,
            plans,
        })
    } else {
        Err(errors)
    }
}

/// Group by name, in the observed order (the first of each name is the one kept).
fn by_name<T>(items: &[T], name: impl Fn(&T) -> &str) -> BTreeMap<String, Vec<&T>> {
    let mut m: BTreeMap<String, Vec<&T>> = BTreeMap::new();
    for i in items {
        m.entry(name(i).to_string()).or_default().push(i);
    }
    m
}

/// `{api id}:{stage}` as people read it: the stage name for this API, else as is.
fn stage_label(key: &str, api_id: Option<&str>) -> String {
    match key.split_once(':') {
        Some((id, stage)) if id == API_ID || Some(id) == api_id => stage.to_string(),
        _ => key.to_string(),
    }
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        v.to_string()
    }
}

fn show_throttle(t: &Option<Throttle>) -> Option<String> {
    t.map(|t| format!("rate {} burst {}", fmt_num(t.rate), t.burst))
}

fn show_quota(q: &Option<Quota>) -> Option<String> {
    q.as_ref().map(|q| {
        if q.offset == 0 {
            format!("{} per {}", q.limit, q.period)
        } else {
            format!("{} per {} (offset {})", q.limit, q.period, q.offset)
        }
    })
}

fn show_method_throttles(m: &BTreeMap<String, Throttle>) -> Option<String> {
    (!m.is_empty()).then(|| {
        m.iter()
            .map(|(k, t)| format!("{k} rate {} burst {}", fmt_num(t.rate), t.burst))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// The method-throttle map as the patch value API Gateway takes (`{"/tasks/POST":
/// {"rateLimit":5.0,"burstLimit":10}}`), keys sorted.
pub fn throttle_json(m: &BTreeMap<String, Throttle>) -> String {
    let v: serde_json::Map<String, serde_json::Value> = m
        .iter()
        .map(|(k, t)| {
            (
                k.clone(),
                serde_json::json!({"rateLimit": t.rate, "burstLimit": t.burst}),
            )
        })
        .collect();
    serde_json::Value::Object(v).to_string()
}

/// Desired `api_stages` with `{api_id}` replaced by the API's id when it is known.
fn resolve_stages(def: &UsagePlan, api_id: Option<&str>) -> UsagePlan {
    let mut d = def.clone();
    if let Some(id) = api_id {
        d.api_stages = def
            .api_stages
            .iter()
            .map(|(k, v)| (k.replace(API_ID, id), v.clone()))
            .collect();
    }
    d
}

/// Every patch that turns `have` into `want`, for one update-usage-plan call, and the
/// fields that differ.
pub fn plan_patches(
    want: &UsagePlan,
    have: &UsagePlan,
    api_id: Option<&str>,
) -> (Vec<Patch>, Vec<FieldChange>) {
    let mut patches = Vec::new();
    let mut fields = Vec::new();
    if want.description != have.description {
        patches.push(Patch::replace(
            "/description",
            want.description.clone().unwrap_or_default(),
        ));
        fields.push(FieldChange::of(
            "description",
            &have.description,
            &want.description,
        ));
    }
    if want.throttle != have.throttle {
        match (&want.throttle, &have.throttle) {
            (None, Some(_)) => patches.push(Patch::remove("/throttle")),
            (Some(w), h) => {
                let op = if h.is_some() {
                    Patch::replace
                } else {
                    Patch::add
                };
                patches.push(op("/throttle/rateLimit", fmt_num(w.rate)));
                patches.push(op("/throttle/burstLimit", w.burst.to_string()));
            }
            (None, None) => {}
        }
        fields.push(FieldChange::of(
            "throttle",
            &show_throttle(&have.throttle),
            &show_throttle(&want.throttle),
        ));
    }
    if want.quota != have.quota {
        match (&want.quota, &have.quota) {
            (None, Some(_)) => patches.push(Patch::remove("/quota")),
            (Some(w), h) => {
                let op = if h.is_some() {
                    Patch::replace
                } else {
                    Patch::add
                };
                patches.push(op("/quota/limit", w.limit.to_string()));
                patches.push(op("/quota/period", w.period.clone()));
                patches.push(op("/quota/offset", w.offset.to_string()));
            }
            (None, None) => {}
        }
        fields.push(FieldChange::of(
            "quota",
            &show_quota(&have.quota),
            &show_quota(&want.quota),
        ));
    }
    let empty = BTreeMap::new();
    for key in have.api_stages.keys() {
        if !want.api_stages.contains_key(key) {
            patches.push(Patch {
                op: "remove".into(),
                path: "/apiStages".into(),
                value: Some(key.clone()),
            });
            fields.push(FieldChange {
                field: format!("stage {}", stage_label(key, api_id)),
                old: Some("covered".into()),
                new: None,
            });
        }
    }
    for (key, want_t) in &want.api_stages {
        let have_t = have.api_stages.get(key);
        if have_t.is_none() {
            patches.push(Patch::add("/apiStages", key.clone()));
            fields.push(FieldChange {
                field: format!("stage {}", stage_label(key, api_id)),
                old: None,
                new: Some("covered".into()),
            });
        }
        let have_t = have_t.unwrap_or(&empty);
        if want_t != have_t {
            let path = format!("/apiStages/{key}/throttle");
            if want_t.is_empty() {
                patches.push(Patch::remove(path));
            } else {
                patches.push(Patch::replace(path, throttle_json(want_t)));
            }
            fields.push(FieldChange {
                field: format!("stage {} method_throttle", stage_label(key, api_id)),
                old: show_method_throttles(have_t),
                new: show_method_throttles(want_t),
            });
        }
    }
    (patches, fields)
}

/// What gwctl would write for a key, as plan fields (never the value).
fn key_fields(k: &DesiredApiKey) -> Vec<FieldChange> {
    let mut f = Vec::new();
    if let Some(d) = &k.def.description {
        f.push(FieldChange::of(
            "description",
            &None::<String>,
            &Some(d.clone()),
        ));
    }
    f.push(FieldChange::of(
        "enabled",
        &None::<bool>,
        &Some(k.def.enabled),
    ));
    f.push(FieldChange {
        field: "value".into(),
        old: None,
        new: Some(value_source(&k.source)),
    });
    f
}

fn value_source(s: &KeySource) -> String {
    match s {
        KeySource::Generated => "generated by AWS".into(),
        KeySource::Env { var } => format!("from ${var}"),
        KeySource::Existing { id } => format!("existing key {id}"),
    }
}

fn create_key_op(k: &DesiredApiKey, api_name: &str) -> UsageOp {
    UsageOp::CreateApiKey {
        name: k.name.clone(),
        description: k.def.description.clone(),
        enabled: k.def.enabled,
        value_from_env: match &k.source {
            KeySource::Env { var } => Some(var.clone()),
            _ => None,
        },
        tags: tags(api_name, k.def.value_digest.as_deref()),
    }
}

fn usage(op: UsageOp) -> Op {
    Op::Usage(op)
}

/// The key of each name that gwctl keeps: the one whose value digest is the wanted one, else
/// the first (oldest) of that name.
fn pick_key<'a>(
    candidates: &[&'a ObservedApiKey],
    want: Option<&DesiredApiKey>,
) -> Option<&'a ObservedApiKey> {
    if let Some(w) = want {
        if let Some(k) = candidates
            .iter()
            .find(|k| w.def.value_digest.is_some() && k.def.value_digest == w.def.value_digest)
        {
            return Some(k);
        }
    }
    candidates.first().copied()
}

/// Plan the API keys and usage plans of one API. `api_id` is the API's id when it exists
/// (`None`: the plan creates it, and `{api_id}` is filled in by the executor).
pub fn plan_usage(
    p: &mut Plan,
    desired: &DesiredUsage,
    observed: &ObservedUsage,
    api_id: Option<&str>,
) {
    let obs_plans = by_name(&observed.plans, |x| x.name.as_str());
    let obs_keys = by_name(&observed.keys, |x| x.name.as_str());
    let key_label = |id: &str| -> String {
        observed
            .key_names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    };

    // Which observed plans stay, and which go (not in the spec, or a second of a name).
    let mut kept_plans: BTreeMap<String, &ObservedUsagePlan> = BTreeMap::new();
    let mut doomed_plans: Vec<&ObservedUsagePlan> = Vec::new();
    for (name, list) in &obs_plans {
        let wanted = desired.plans.iter().any(|d| d.name == *name);
        for (i, pl) in list.iter().enumerate() {
            if wanted && i == 0 {
                kept_plans.insert(name.clone(), pl);
            } else {
                doomed_plans.push(pl);
            }
        }
    }
    let doomed_plan_ids: BTreeSet<&str> = doomed_plans.iter().map(|x| x.id.as_str()).collect();
    // Plans (kept ones) a key is attached to, for detaching it before it goes.
    let attached = |key_id: &str| -> Vec<&ObservedUsagePlan> {
        observed
            .plans
            .iter()
            .filter(|pl| !doomed_plan_ids.contains(pl.id.as_str()) && pl.key_ids.contains(key_id))
            .collect()
    };
    let detach_ops = |key: &ObservedApiKey| -> Vec<Op> {
        attached(&key.id)
            .into_iter()
            .map(|pl| {
                usage(UsageOp::DeleteUsagePlanKey {
                    plan: pl.name.clone(),
                    plan_id: pl.id.clone(),
                    key: key.name.clone(),
                    key_id: key.id.clone(),
                })
            })
            .collect()
    };

    // 1. API keys.
    let mut key_ids: BTreeMap<String, String> = BTreeMap::new();
    let mut gone_keys: BTreeSet<String> = BTreeSet::new();
    // Observed keys dealt with here (kept, replaced, or referenced by id); the others go in 5.
    let mut handled_keys: BTreeSet<String> = BTreeSet::new();
    for k in &desired.keys {
        if let KeySource::Existing { id } = &k.source {
            key_ids.insert(k.name.clone(), id.clone());
            handled_keys.insert(id.clone());
            continue;
        }
        let candidates = obs_keys.get(&k.name).cloned().unwrap_or_default();
        match pick_key(&candidates, Some(k)) {
            None => {
                p.push(
                    Change::new(Action::Create, "api_key", &k.name).fields(key_fields(k)),
                    usage(create_key_op(k, &desired.api_name)),
                );
                key_ids.insert(k.name.clone(), api_key_id_placeholder(&k.name));
            }
            Some(o) if o.def.value_digest != k.def.value_digest => {
                // A key's value cannot change: a new key replaces it.
                let mut ops = detach_ops(o);
                ops.push(usage(UsageOp::DeleteApiKey {
                    name: k.name.clone(),
                    id: o.id.clone(),
                }));
                ops.push(usage(create_key_op(k, &desired.api_name)));
                let old = match &o.def.value_digest {
                    Some(_) => "set from the environment",
                    None => "generated by AWS",
                };
                let new = match &k.source {
                    KeySource::Env { .. } if o.def.value_digest.is_some() => {
                        format!("{} (changed)", value_source(&k.source))
                    }
                    s => value_source(s),
                };
                p.push_all(
                    Change::new(
                        Action::Replace,
                        "api_key",
                        &format!("{} ({})", k.name, o.id),
                    )
                    .fields(vec![FieldChange {
                        field: "value".into(),
                        old: Some(old.into()),
                        new: Some(new),
                    }]),
                    ops,
                );
                gone_keys.insert(o.id.clone());
                handled_keys.insert(o.id.clone());
                key_ids.insert(k.name.clone(), api_key_id_placeholder(&k.name));
            }
            Some(o) => {
                let mut patches = Vec::new();
                let mut fields = Vec::new();
                if k.def.description != o.def.description {
                    patches.push(Patch::replace(
                        "/description",
                        k.def.description.clone().unwrap_or_default(),
                    ));
                    fields.push(FieldChange::of(
                        "description",
                        &o.def.description,
                        &k.def.description,
                    ));
                }
                if k.def.enabled != o.def.enabled {
                    patches.push(Patch::replace("/enabled", k.def.enabled.to_string()));
                    fields.push(FieldChange::of("enabled", &o.def.enabled, &k.def.enabled));
                }
                if !patches.is_empty() {
                    p.push(
                        Change::new(Action::Update, "api_key", &format!("{} ({})", k.name, o.id))
                            .fields(fields),
                        usage(UsageOp::UpdateApiKey {
                            name: k.name.clone(),
                            id: o.id.clone(),
                            patches,
                        }),
                    );
                }
                handled_keys.insert(o.id.clone());
                key_ids.insert(k.name.clone(), o.id.clone());
            }
        }
    }

    // 2. Usage plans: created with their stages, or updated in one call each.
    let mut plan_ids: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    for d in &desired.plans {
        let want = resolve_stages(&d.def, api_id);
        match kept_plans.get(&d.name) {
            None => {
                let mut fields = Vec::new();
                if let Some(desc) = &want.description {
                    fields.push(FieldChange::of(
                        "description",
                        &None::<String>,
                        &Some(desc.clone()),
                    ));
                }
                if let Some(t) = show_throttle(&want.throttle) {
                    fields.push(FieldChange::of("throttle", &None::<String>, &Some(t)));
                }
                if let Some(q) = show_quota(&want.quota) {
                    fields.push(FieldChange::of("quota", &None::<String>, &Some(q)));
                }
                let stages: Vec<String> = want
                    .api_stages
                    .keys()
                    .map(|k| stage_label(k, api_id))
                    .collect();
                fields.push(FieldChange {
                    field: "stages".into(),
                    old: None,
                    new: Some(stages.join(", ")),
                });
                if let Some(m) = want
                    .api_stages
                    .values()
                    .next()
                    .and_then(show_method_throttles)
                {
                    fields.push(FieldChange {
                        field: "method_throttle".into(),
                        old: None,
                        new: Some(m),
                    });
                }
                p.push(
                    Change::new(Action::Create, "usage_plan", &d.name).fields(fields),
                    usage(UsageOp::CreateUsagePlan {
                        name: d.name.clone(),
                        def: d.def.clone(),
                        tags: tags(&desired.api_name, None),
                    }),
                );
                plan_ids.insert(
                    d.name.clone(),
                    (usage_plan_id_placeholder(&d.name), BTreeSet::new()),
                );
            }
            Some(o) => {
                let (patches, fields) = plan_patches(&want, &o.def, api_id);
                if !patches.is_empty() {
                    p.push(
                        Change::new(
                            Action::Update,
                            "usage_plan",
                            &format!("{} ({})", d.name, o.id),
                        )
                        .fields(fields),
                        usage(UsageOp::UpdateUsagePlan {
                            name: d.name.clone(),
                            id: o.id.clone(),
                            patches,
                        }),
                    );
                }
                plan_ids.insert(d.name.clone(), (o.id.clone(), o.key_ids.clone()));
            }
        }
    }

    // 3. Usage-plan keys.
    for d in &desired.plans {
        let Some((plan_id, have)) = plan_ids.get(&d.name) else {
            continue;
        };
        let want: Vec<(&String, &String)> = d
            .keys
            .iter()
            .filter_map(|n| key_ids.get(n).map(|id| (n, id)))
            .collect();
        for (name, id) in &want {
            if !have.contains(*id) {
                p.push(
                    Change::new(
                        Action::Create,
                        "usage_plan_key",
                        &format!("{}/{}", d.name, name),
                    ),
                    usage(UsageOp::CreateUsagePlanKey {
                        plan: d.name.clone(),
                        plan_id: plan_id.clone(),
                        key: (*name).clone(),
                        key_id: (*id).clone(),
                    }),
                );
            }
        }
        for id in have {
            // Keys being replaced or deleted are detached with them.
            if gone_keys.contains(id) || want.iter().any(|(_, w)| *w == id) {
                continue;
            }
            let owned_doomed =
                observed.keys.iter().any(|k| k.id == *id) && !handled_keys.contains(id);
            if owned_doomed {
                continue;
            }
            let label = key_label(id);
            p.push(
                Change::new(
                    Action::Delete,
                    "usage_plan_key",
                    &format!("{}/{}", d.name, label),
                ),
                usage(UsageOp::DeleteUsagePlanKey {
                    plan: d.name.clone(),
                    plan_id: plan_id.clone(),
                    key: label,
                    key_id: id.clone(),
                }),
            );
        }
    }

    // 4. Plans the spec no longer has (and seconds of a name): detach stages, delete.
    for pl in &doomed_plans {
        let mut ops = Vec::new();
        if !pl.def.api_stages.is_empty() {
            ops.push(usage(UsageOp::UpdateUsagePlan {
                name: pl.name.clone(),
                id: pl.id.clone(),
                patches: pl
                    .def
                    .api_stages
                    .keys()
                    .map(|k| Patch {
                        op: "remove".into(),
                        path: "/apiStages".into(),
                        value: Some(k.clone()),
                    })
                    .collect(),
            }));
        }
        ops.push(usage(UsageOp::DeleteUsagePlan {
            name: pl.name.clone(),
            id: pl.id.clone(),
        }));
        p.push_all(
            Change::new(
                Action::Delete,
                "usage_plan",
                &format!("{} ({})", pl.name, pl.id),
            ),
            ops,
        );
    }

    // 5. Keys the spec no longer has (and seconds of a name): detach, delete.
    for k in &observed.keys {
        if handled_keys.contains(&k.id) {
            continue;
        }
        let mut ops = detach_ops(k);
        ops.push(usage(UsageOp::DeleteApiKey {
            name: k.name.clone(),
            id: k.id.clone(),
        }));
        p.push_all(
            Change::new(Action::Delete, "api_key", &format!("{} ({})", k.name, k.id)),
            ops,
        );
    }
}

/// `gwctl destroy`: every plan and key gwctl created for the API (plans first, their stages
/// detached), before the API itself goes.
pub fn plan_destroy_usage(p: &mut Plan, observed: &ObservedUsage) {
    plan_usage(
        p,
        &DesiredUsage::default(),
        observed,
        None, // nothing is wanted: every observed plan and key is deleted
    );
}

/// Append `other`'s changes and ops to `p` (op indexes shifted).
pub fn append(p: &mut Plan, other: Plan) {
    let base = p.ops.len();
    p.ops.extend(other.ops);
    for mut c in other.changes {
        c.ops = c.ops.iter().map(|i| i + base).collect();
        p.changes.push(c);
    }
}

/// The id each spec key has before the plan runs: the key gwctl keeps (not one it is about
/// to replace), the referenced id, or `None` when the plan creates the key.
pub fn current_key_ids(
    desired: &DesiredUsage,
    observed: &ObservedUsage,
) -> BTreeMap<String, Option<String>> {
    let obs_keys = by_name(&observed.keys, |x| x.name.as_str());
    desired
        .keys
        .iter()
        .map(|k| {
            let id = match &k.source {
                KeySource::Existing { id } => Some(id.clone()),
                _ => {
                    let candidates = obs_keys.get(&k.name).cloned().unwrap_or_default();
                    pick_key(&candidates, Some(k))
                        .filter(|o| o.def.value_digest == k.def.value_digest)
                        .map(|o| o.id.clone())
                }
            };
            (k.name.clone(), id)
        })
        .collect()
}

/// `generated`, `env` or `existing`: where a key's value comes from (JSON reports).
pub fn source_label(s: &KeySource) -> &'static str {
    match s {
        KeySource::Generated => "generated",
        KeySource::Env { .. } => "env",
        KeySource::Existing { .. } => "existing",
    }
}
