//! API keys and usage plans (REST): account-level objects, not part of any one API, shared
//! by desired and observed state.
//!
//! gwctl owns the keys and plans it creates through two tags: its ownership tag
//! ([`super::OWNER_TAG_KEY`]) and [`API_TAG_KEY`], the name of the REST API they were made
//! for. A re-run finds them by (name, tags) and never creates a second one. Keys referenced
//! by id in the spec are attached to plans, never changed or deleted.
//!
//! Key *values* never appear in these shapes: a key whose value comes from the environment
//! carries only a digest of it ([`value_digest`]), stored in the key's [`VALUE_DIGEST_TAG_KEY`]
//! tag, so that a changed value is noticed without reading any value back.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Tag naming the REST API a gwctl-owned usage plan or API key belongs to.
pub const API_TAG_KEY: &str = "gwctl:api";
/// Tag holding the digest of an API key value gwctl read from the environment.
pub const VALUE_DIGEST_TAG_KEY: &str = "gwctl:value-sha256";

/// The digest stored for a key value: the first 32 hex digits of SHA-256 over a fixed prefix
/// and the value. It identifies a value without revealing it (API Gateway keys are at least
/// 20 characters).
pub fn value_digest(value: &str) -> String {
    let d = Sha256::digest(format!("gwctl-api-key-value:{value}").as_bytes());
    d.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Steady-state rate and burst (usage plans and their per-method throttles).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Throttle {
    pub rate: f64,
    pub burst: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Quota {
    pub limit: i32,
    /// DAY | WEEK | MONTH
    pub period: String,
    pub offset: i32,
}

/// A usage plan's settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UsagePlan {
    pub description: Option<String>,
    pub throttle: Option<Throttle>,
    pub quota: Option<Quota>,
    /// The API stages covered, as `{api id}:{stage}` (desired state writes this API's id as
    /// the `{api_id}` placeholder) -> per-method throttle, keyed `{resource path}/{METHOD}`
    /// (`/tasks/POST`; the root is `//GET`).
    pub api_stages: BTreeMap<String, BTreeMap<String, Throttle>>,
}

/// An API key's settings gwctl manages.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ApiKey {
    pub description: Option<String>,
    pub enabled: bool,
    /// [`value_digest`] of the value gwctl set from the environment; `None` when AWS
    /// generated the value.
    pub value_digest: Option<String>,
}

/// A usage plan gwctl created for this API, as read.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ObservedUsagePlan {
    pub id: String,
    pub name: String,
    pub def: UsagePlan,
    /// Ids of the API keys attached (get-usage-plan-keys).
    pub key_ids: BTreeSet<String>,
}

/// An API key gwctl created for this API, as read (never with its value).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ObservedApiKey {
    pub id: String,
    pub name: String,
    pub created_epoch: Option<i64>,
    pub def: ApiKey,
}

/// What exists of the account's usage plans and API keys, as far as one API is concerned.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ObservedUsage {
    /// Plans carrying gwctl's ownership tag and this API's name, ordered by (name, id).
    pub plans: Vec<ObservedUsagePlan>,
    /// Keys carrying gwctl's ownership tag and this API's name, ordered by (name, created, id).
    pub keys: Vec<ObservedApiKey>,
    /// Every API key of the account: id -> name (keys referenced by id, labels).
    pub key_names: BTreeMap<String, String>,
}
