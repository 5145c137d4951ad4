//! API keys and usage plans (REST): from the spec to the desired shapes, and the pure
//! planner that brings the account's keys and plans to them.
//!
//! Ownership: gwctl manages only keys and plans carrying its ownership tag and the API's
//! name ([`crate::state::usage::API_TAG_KEY`]); it finds them by (name, tags), so a re-run
//! never creates a second one, and a second one left by an interrupted run is deleted. Keys
//! the spec references by `id` are attached to plans and otherwise left alone.
//!
//! Order (these ops come after the API's own, so every stage a plan covers exists):
//! 1. API keys: created, updated, or replaced by a new key (a key's value cannot change in
//!    place);
//! 2. usage plans: created with their stages, or changed with **one** update-usage-plan call
//!    carrying every patch (update-usage-plan is limited to 1 call per 20 s per account);
//! 3. usage-plan keys: attached, detached;
//! 4. plans the spec no longer has: stages detached, then deleted;
//! 5. keys the spec no longer has: detached, then deleted;
//! 6. keys replaced in 1 (make-before-break): detached and deleted only now, after their
//!    successors exist and are attached, so a refused create removes nothing;
//! 7. keys an earlier gwctl tagged with an unsalted digest of their (unchanged) value:
//!    re-tagged with the salted digest, the unsalted tag removed; never replaced.

use std::collections::{BTreeMap, BTreeSet};

use crate::spec::model::{Pos, Spec};
use crate::state::usage::{
    ApiKey, ObservedApiKey, ObservedUsage, ObservedUsagePlan, Quota, Throttle, UsagePlan, ValueTag,
    API_TAG_KEY, LEGACY_VALUE_DIGEST_TAG_KEY,
};
use crate::state::{OWNER_TAG_KEY, OWNER_TAG_VALUE};

use super::rest::ops::{Op, Patch};
use super::usage_ops::{api_key_id_placeholder, usage_plan_id_placeholder, UsageOp};
use super::{Action, Change, FieldChange, Plan, API_ID};

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

/// A key value read from the environment, kept in memory only while planning, to compare
/// with the salted digests of the keys that exist. Never serialised, never displayed
/// (`Debug` is redacted).
#[derive(Clone, PartialEq, Eq)]
pub struct KeyValue(String);

impl KeyValue {
    pub fn new(value: impl Into<String>) -> KeyValue {
        KeyValue(value.into())
    }

    /// Whether an existing key's tag was made from this value.
    pub fn matches(&self, tag: &ValueTag) -> bool {
        tag.matches(&self.0)
    }
}

impl KeyValue {
    /// This value's digest under `salt` (a salt gwctl wrote; `None` otherwise).
    fn keyed_with(&self, salt: &str) -> Option<ValueTag> {
        Some(ValueTag::Keyed {
            salt: salt.to_string(),
            hmac: crate::state::usage::value_hmac(salt, &self.0)?,
        })
    }
}

/// Planning again for a saved plan file (`apply FILE`): give each key digest in `ops` the
/// salt the saved plan used for the same key, so that planning again gives exactly the
/// saved ops when, and only when, every variable still holds the value that was planned
/// (fresh salts would make every plan with a key creation look stale).
pub fn reuse_salts(ops: &mut [Op], saved: &[Op], desired: &DesiredUsage) {
    fn key_tags(op: &mut Op) -> Option<(&str, &'static str, &mut BTreeMap<String, String>)> {
        match op {
            Op::Usage(UsageOp::CreateApiKey { name, tags, .. }) => {
                Some((name.as_str(), "create", tags))
            }
            Op::Usage(UsageOp::TagApiKey { name, tags, .. }) => Some((name.as_str(), "tag", tags)),
            _ => None,
        }
    }
    let mut saved_salts: BTreeMap<(String, &'static str), String> = BTreeMap::new();
    for op in saved {
        if let Some((name, kind, tags)) = key_tags(&mut op.clone()) {
            if let Some(ValueTag::Keyed { salt, .. }) = ValueTag::from_tags(tags) {
                saved_salts.insert((name.to_string(), kind), salt);
            }
        }
    }
    for op in ops.iter_mut() {
        let Some((name, kind, tags)) = key_tags(op) else {
            continue;
        };
        let Some(salt) = saved_salts.get(&(name.to_string(), kind)) else {
            continue;
        };
        let value = desired
            .keys
            .iter()
            .find(|k| k.name == name)
            .and_then(|k| k.value.as_ref());
        if let Some(tag) = value.and_then(|v| v.keyed_with(salt)) {
            tags.extend(tag.tags());
        }
    }
}

impl std::fmt::Debug for KeyValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyValue(..)")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DesiredApiKey {
    pub name: String,
    pub pos: Pos,
    pub source: KeySource,
    /// Managed settings (not used for `Existing` keys). `def.value_tag` is the digest a new
    /// key gets (under a fresh salt), not one to compare: see [`DesiredApiKey::value`].
    /// `description: None` = not declared.
    pub def: ApiKey,
    /// The value from the environment (`KeySource::Env`), to compare with existing keys.
    pub value: Option<KeyValue>,
    /// The spec does not say `enabled`: a new key is created enabled (`def.enabled`), an
    /// existing one keeps its state.
    pub enabled_undeclared: bool,
}

/// How an existing key's value compares with the one wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueMatch {
    /// The same value (or both generated by AWS).
    Same,
    /// The same value, recorded only in the unsalted tag of an earlier gwctl: re-tag it.
    SameLegacy,
    /// Another value: the key must be replaced.
    Differs,
}

fn value_match(want: &DesiredApiKey, have: &ObservedApiKey) -> ValueMatch {
    match (&want.value, &have.def.value_tag) {
        (None, None) => ValueMatch::Same,
        (Some(v), Some(t @ ValueTag::Keyed { .. })) if v.matches(t) => ValueMatch::Same,
        (Some(v), Some(t @ ValueTag::Legacy(_))) if v.matches(t) => ValueMatch::SameLegacy,
        _ => ValueMatch::Differs,
    }
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

/// Tags gwctl writes on a key or plan it creates for API `api_name` (a key with a value
/// from the environment: with its salted digest).
pub fn tags(api_name: &str, value: Option<&ValueTag>) -> BTreeMap<String, String> {
    let mut t = BTreeMap::from([
        (OWNER_TAG_KEY.to_string(), OWNER_TAG_VALUE.to_string()),
        (API_TAG_KEY.to_string(), api_name.to_string()),
    ]);
    if let Some(v) = value {
        t.extend(v.tags());
    }
    t
}

/// Whether `tags` mark an account-level object (usage plan, API key) as one gwctl created
/// for the REST API `api_name`: the only ones gwctl may change or delete.
pub fn owned_by(tags: &BTreeMap<String, String>, api_name: &str) -> bool {
    tags.get(OWNER_TAG_KEY).map(String::as_str) == Some(OWNER_TAG_VALUE)
        && tags.get(API_TAG_KEY).map(String::as_str) == Some(api_name)
}

/// The account's usage plans and API keys as listed, each with its tags, before gwctl
/// decides which are its own.
#[derive(Debug, Clone, Default)]
pub struct AccountUsage {
    pub plans: Vec<(ObservedUsagePlan, BTreeMap<String, String>)>,
    pub keys: Vec<(ObservedApiKey, BTreeMap<String, String>)>,
}

/// What the planner may act on for the REST API `api_name`: the plans and keys gwctl made
/// for it ([`owned_by`]; plans ordered by (name, id), keys by (name, created, id)), and the
/// names of every key of the account (for labels and keys referenced by id). Plans and keys
/// of other APIs, or made by hand or by other tools, are left out, so no plan ever touches
/// them, even with the same name.
pub fn owned_usage(account: &AccountUsage, api_name: &str) -> ObservedUsage {
    let mut observed = ObservedUsage::default();
    for (k, tags) in &account.keys {
        if k.id.is_empty() {
            continue;
        }
        observed.key_names.insert(k.id.clone(), k.name.clone());
        if owned_by(tags, api_name) {
            observed.keys.push(k.clone());
        }
    }
    observed
        .keys
        .sort_by(|a, b| (&a.name, a.created_epoch, &a.id).cmp(&(&b.name, b.created_epoch, &b.id)));
    observed.plans = account
        .plans
        .iter()
        .filter(|(p, tags)| !p.id.is_empty() && owned_by(tags, api_name))
        .map(|(p, _)| p.clone())
        .collect();
    observed
        .plans
        .sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    observed
}

/// `{resource path}/{METHOD}`, the key of a usage plan's per-method throttle.
pub fn method_key(path: &str, method: &str) -> String {
    format!("{path}/{method}")
}

/// Build the desired keys and plans. `env` looks up an environment variable; a value is
/// kept only as a redacted [`KeyValue`] to compare with existing keys, and digested with a
/// fresh random salt from `new_salt` (the caller's I/O: the planner does none) for a key that
/// gets created.
pub fn desired(
    spec: &Spec,
    env: &dyn Fn(&str) -> Option<String>,
    new_salt: &dyn Fn() -> String,
) -> Result<DesiredUsage, Vec<KeyValueError>> {
    let mut errors = Vec::new();
    let mut keys = Vec::new();
    for k in &spec.api_keys {
        let (source, value) = match (&k.existing_id, &k.value_from_env) {
            (Some(id), _) => (KeySource::Existing { id: id.clone() }, None),
            (None, Some(var)) => {
                let value = env(var);
                let empty = value.as_deref() == Some("");
                let value = match value.filter(|v| !v.is_empty()) {
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
                    Some(v) => Some(v),
                };
                (KeySource::Env { var: var.clone() }, value)
            }
            (None, None) => (KeySource::Generated, None),
        };
        keys.push(DesiredApiKey {
            name: k.name.value.clone(),
            pos: k.name.pos,
            source,
            def: ApiKey {
                description: k.description.clone(),
                enabled: k.enabled.unwrap_or(true),
                value_tag: value
                    .as_deref()
                    .map(|v| ValueTag::new_keyed(v, new_salt()).expect("a fresh salt")),
            },
            value: value.map(KeyValue),
            enabled_undeclared: k.enabled.is_none(),
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

/// A usage plan's wanted settings with those the spec leaves out (`None`: description,
/// throttle, quota) set to the live ones, so they are never changed or removed.
pub fn keep_undeclared_plan(mut want: UsagePlan, have: &UsagePlan) -> UsagePlan {
    if want.description.is_none() {
        want.description = have.description.clone();
    }
    if want.throttle.is_none() {
        want.throttle = have.throttle;
    }
    if want.quota.is_none() {
        want.quota = have.quota.clone();
    }
    want
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
                from: None,
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
        tags: tags(api_name, k.def.value_tag.as_ref()),
    }
}

fn usage(op: UsageOp) -> Op {
    Op::Usage(op)
}

/// The key of each name that gwctl keeps: the one that holds the wanted value, else the
/// first (oldest) of that name.
fn pick_key<'a>(
    candidates: &[&'a ObservedApiKey],
    want: &DesiredApiKey,
) -> Option<&'a ObservedApiKey> {
    if want.value.is_some() {
        if let Some(k) = candidates
            .iter()
            .find(|k| value_match(want, k) != ValueMatch::Differs)
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
    // Keys being replaced: (index of the replace change, the old key), removed in 6.
    let mut replaced: Vec<(usize, &ObservedApiKey)> = Vec::new();
    // Keys whose unchanged value is recorded only in an earlier gwctl's unsalted tag: re-tagged
    // in 7.
    let mut retag: Vec<(&DesiredApiKey, &ObservedApiKey)> = Vec::new();
    for k in &desired.keys {
        if let KeySource::Existing { id } = &k.source {
            key_ids.insert(k.name.clone(), id.clone());
            handled_keys.insert(id.clone());
            continue;
        }
        let candidates = obs_keys.get(&k.name).cloned().unwrap_or_default();
        match pick_key(&candidates, k) {
            None => {
                p.push(
                    Change::new(Action::Create, "api_key", &k.name).fields(key_fields(k)),
                    usage(create_key_op(k, &desired.api_name)),
                );
                key_ids.insert(k.name.clone(), api_key_id_placeholder(&k.name));
            }
            Some(o) if value_match(k, o) == ValueMatch::Differs => {
                // A key's value cannot change: a new key replaces it, make-before-break.
                // The new key is created here and attached in 3; the old one is detached
                // and deleted only after that (in 6), so a refused create (the value is
                // another key's) leaves the old key working, in its plans.
                let ops = vec![usage(create_key_op(k, &desired.api_name))];
                let old = match &o.def.value_tag {
                    Some(_) => "set from the environment",
                    None => "generated by AWS",
                };
                let new = match &k.source {
                    KeySource::Env { .. } if o.def.value_tag.is_some() => {
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
                replaced.push((p.changes.len() - 1, o));
                gone_keys.insert(o.id.clone());
                handled_keys.insert(o.id.clone());
                key_ids.insert(k.name.clone(), api_key_id_placeholder(&k.name));
            }
            Some(o) => {
                let mut patches = Vec::new();
                let mut fields = Vec::new();
                // What the spec leaves out keeps its live value.
                let mut kk = k.clone();
                if kk.def.description.is_none() {
                    kk.def.description = o.def.description.clone();
                }
                if kk.enabled_undeclared {
                    kk.def.enabled = o.def.enabled;
                }
                if kk.def.description != o.def.description {
                    patches.push(Patch::replace(
                        "/description",
                        kk.def.description.clone().unwrap_or_default(),
                    ));
                    fields.push(FieldChange::of(
                        "description",
                        &o.def.description,
                        &kk.def.description,
                    ));
                }
                if kk.def.enabled != o.def.enabled {
                    patches.push(Patch::replace("/enabled", kk.def.enabled.to_string()));
                    fields.push(FieldChange::of("enabled", &o.def.enabled, &kk.def.enabled));
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
                if value_match(k, o) == ValueMatch::SameLegacy {
                    retag.push((k, o));
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
                let want = keep_undeclared_plan(want, &o.def);
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
                        from: None,
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

    // 6. Keys replaced in 1, now that their successors are attached: detach, delete.
    for (change, old) in replaced {
        let mut ops = detach_ops(old);
        ops.push(usage(UsageOp::DeleteApiKey {
            name: old.name.clone(),
            id: old.id.clone(),
        }));
        extend_change(p, change, ops);
    }

    // 7. Keys tagged by an earlier gwctl with the unsalted digest of the value they still
    //    hold: add the salted digest, then remove the unsalted one. The key (its value, id
    //    and plans) stays. Last, since it is only bookkeeping: if the account refuses tag
    //    calls, every key and plan is already as the spec says.
    for (k, o) in retag {
        p.push_all(
            Change::new(Action::Update, "api_key", &format!("{} ({})", k.name, o.id)).fields(vec![
                FieldChange {
                    field: "value digest".into(),
                    old: Some("unsalted (gwctl:value-sha256)".into()),
                    new: Some("salted HMAC (gwctl:value-hmac)".into()),
                },
            ]),
            vec![
                usage(UsageOp::TagApiKey {
                    name: k.name.clone(),
                    id: o.id.clone(),
                    tags: k
                        .def
                        .value_tag
                        .as_ref()
                        .map(ValueTag::tags)
                        .unwrap_or_default(),
                }),
                usage(UsageOp::UntagApiKey {
                    name: k.name.clone(),
                    id: o.id.clone(),
                    tag_keys: vec![LEGACY_VALUE_DIGEST_TAG_KEY.to_string()],
                }),
            ],
        );
    }
}

/// Append `ops` to `p` as more calls of the existing change `change`.
fn extend_change(p: &mut Plan, change: usize, ops: Vec<Op>) {
    let start = p.ops.len();
    p.ops.extend(ops);
    p.changes[change].ops.extend(start..p.ops.len());
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
                    pick_key(&candidates, k)
                        .filter(|o| value_match(k, o) != ValueMatch::Differs)
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
