//! The JSON-patch style operation API Gateway's update-* calls take, shared by the REST ops
//! ([`super::rest::ops`]) and the usage-plan ops ([`super::usage_ops`]).

use serde::{Deserialize, Serialize};

/// A JSON-patch style operation as API Gateway's update-* calls take them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    /// replace | add | remove
    pub op: String,
    pub path: String,
    pub value: Option<String>,
    /// `copy` and `move`: where the value comes from (e.g. `/canarySettings/deploymentId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

impl Patch {
    pub fn replace(path: impl Into<String>, value: impl Into<String>) -> Patch {
        Patch {
            op: "replace".into(),
            path: path.into(),
            value: Some(value.into()),
            from: None,
        }
    }
    pub fn remove(path: impl Into<String>) -> Patch {
        Patch {
            op: "remove".into(),
            path: path.into(),
            value: None,
            from: None,
        }
    }
    /// `copy` the value at `from` to `path` (promoting a canary, as AWS documents it).
    pub fn copy(from: impl Into<String>, path: impl Into<String>) -> Patch {
        Patch {
            op: "copy".into(),
            path: path.into(),
            value: None,
            from: Some(from.into()),
        }
    }
    pub fn add(path: impl Into<String>, value: impl Into<String>) -> Patch {
        Patch {
            op: "add".into(),
            path: path.into(),
            value: Some(value.into()),
            from: None,
        }
    }
}
