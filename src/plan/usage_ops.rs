//! Operations on API keys and usage plans (REST): account-level objects, kept apart from the
//! API's own [`super::Op`]s and wrapped in `Op::Usage`. Pure data: no SDK types.
//!
//! Objects are referred to by their spec name (for messages) and by id. An id is either the
//! real id of an object that exists, or a placeholder the executor fills in with the id of
//! an object created earlier in the same run: [`usage_plan_id_placeholder`],
//! [`api_key_id_placeholder`], and `{api_id}` (inside `apiStages`).
//!
//! A key *value* is never part of an op (plans are printed, saved and logged): an op that
//! creates a key with a value names the environment variable holding it, and carries the
//! value's salted digest in the key's tags (never the unsalted digest of an earlier gwctl); the executor reads the variable when it makes the call
//! and refuses to proceed when the variable no longer holds the value that was planned.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::patch::Patch;
use crate::state::usage::UsagePlan;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "usage_op", rename_all = "snake_case", deny_unknown_fields)]
pub enum UsageOp {
    /// create-api-key with gwctl's tags (ownership, API name, value digest).
    CreateApiKey {
        name: String,
        description: Option<String>,
        enabled: bool,
        /// Environment variable holding the value; `None`: AWS generates the value.
        value_from_env: Option<String>,
        tags: BTreeMap<String, String>,
    },
    /// update-api-key (description, enabled).
    UpdateApiKey {
        name: String,
        id: String,
        patches: Vec<Patch>,
    },
    DeleteApiKey {
        name: String,
        id: String,
    },
    /// tag-resource on an API key: add or overwrite `tags` (the salted digest of its value,
    /// replacing an earlier gwctl's unsalted one).
    TagApiKey {
        name: String,
        id: String,
        tags: BTreeMap<String, String>,
    },
    /// untag-resource on an API key: remove the tags `tag_keys`.
    UntagApiKey {
        name: String,
        id: String,
        tag_keys: Vec<String>,
    },
    /// create-usage-plan with its API stages (and their per-method throttles) and tags.
    CreateUsagePlan {
        name: String,
        def: UsagePlan,
        tags: BTreeMap<String, String>,
    },
    /// update-usage-plan: every change to one plan in one call (the quota is 1 call per
    /// 20 s per account).
    UpdateUsagePlan {
        name: String,
        id: String,
        patches: Vec<Patch>,
    },
    DeleteUsagePlan {
        name: String,
        id: String,
    },
    /// create-usage-plan-key (type API_KEY).
    CreateUsagePlanKey {
        plan: String,
        plan_id: String,
        key: String,
        key_id: String,
    },
    DeleteUsagePlanKey {
        plan: String,
        plan_id: String,
        key: String,
        key_id: String,
    },
}

/// `{usage_plan_id:NAME}`: the id of usage plan NAME created in this run.
pub fn usage_plan_id_placeholder(name: &str) -> String {
    format!("{{usage_plan_id:{name}}}")
}

/// `{api_key_id:NAME}`: the id of API key NAME created in this run.
pub fn api_key_id_placeholder(name: &str) -> String {
    format!("{{api_key_id:{name}}}")
}

impl UsageOp {
    /// The AWS operation name.
    pub fn aws_name(&self) -> &'static str {
        match self {
            UsageOp::CreateApiKey { .. } => "CreateApiKey",
            UsageOp::UpdateApiKey { .. } => "UpdateApiKey",
            UsageOp::DeleteApiKey { .. } => "DeleteApiKey",
            UsageOp::TagApiKey { .. } => "TagResource",
            UsageOp::UntagApiKey { .. } => "UntagResource",
            UsageOp::CreateUsagePlan { .. } => "CreateUsagePlan",
            UsageOp::UpdateUsagePlan { .. } => "UpdateUsagePlan",
            UsageOp::DeleteUsagePlan { .. } => "DeleteUsagePlan",
            UsageOp::CreateUsagePlanKey { .. } => "CreateUsagePlanKey",
            UsageOp::DeleteUsagePlanKey { .. } => "DeleteUsagePlanKey",
        }
    }

    /// What the op acts on, for progress lines (`basic`, `basic/web-client`).
    pub fn target(&self) -> String {
        match self {
            UsageOp::CreateApiKey { name, .. }
            | UsageOp::UpdateApiKey { name, .. }
            | UsageOp::DeleteApiKey { name, .. }
            | UsageOp::TagApiKey { name, .. }
            | UsageOp::UntagApiKey { name, .. }
            | UsageOp::CreateUsagePlan { name, .. }
            | UsageOp::UpdateUsagePlan { name, .. }
            | UsageOp::DeleteUsagePlan { name, .. } => name.clone(),
            UsageOp::CreateUsagePlanKey { plan, key, .. }
            | UsageOp::DeleteUsagePlanKey { plan, key, .. } => format!("{plan}/{key}"),
        }
    }
}
