//! Saved plans: `gwctl plan SPEC --out FILE` writes one, `gwctl apply FILE` applies exactly
//! it, and refuses when the account changed since (the plan records a fingerprint of
//! everything it was computed from).

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::plan::Op;

use super::rest::Prepared;
use super::Failure;

/// Format version of plan files.
pub const PLAN_FILE_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    /// Marks the file as a gwctl plan and gives its format version.
    pub gwctl_plan: u32,
    /// The gwctl version that made it; a plan is applied only by the same version.
    pub gwctl_version: String,
    /// The spec path as given to `plan`, and its text as planned (the plan does not depend
    /// on the file staying the same).
    pub spec_path: String,
    pub spec_text: String,
    pub region: String,
    /// The API the plan acts on (`None`: the plan creates it).
    pub api_id: Option<String>,
    pub prune: bool,
    pub force_deploy: bool,
    /// SHA-256 of the observed API, its policies and the resolved functions.
    pub fingerprint: String,
    pub ops: Vec<Op>,
}

/// Fingerprint of what a plan was computed from.
pub fn fingerprint(prep: &Prepared, region: &str) -> String {
    #[derive(Serialize)]
    struct Basis<'a> {
        region: &'a str,
        observed: Option<&'a crate::state::rest::ObservedRestApi>,
        policies: &'a crate::state::rest::Policies,
        functions: Vec<(&'a str, String)>,
        usage: &'a crate::state::usage::ObservedUsage,
    }
    let basis = Basis {
        region,
        observed: prep.observed.as_ref(),
        policies: &prep.policies,
        usage: &prep.observed_usage,
        functions: prep
            .functions
            .iter()
            .map(|f| (f.key.as_str(), f.invoke_arn()))
            .collect(),
    };
    let bytes = serde_json::to_vec(&basis).expect("basis serialises");
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Write a plan file.
pub fn save(path: &Path, file: &PlanFile) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(file).expect("plan serialises");
    std::fs::write(path, text + "\n").map_err(|e| {
        Failure::msg(
            format!("cannot write plan file `{}`: {e}", path.display()),
            None,
        )
    })
}

/// If `path` is a plan file, read it; `Ok(None)` for anything else (a spec).
pub fn load(path: &Path) -> Result<Option<PlanFile>, Failure> {
    let Ok(bytes) = std::fs::read(path) else {
        return Ok(None);
    };
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    if start.map(|i| bytes[i]) != Some(b'{') {
        return Ok(None);
    }
    let value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => return Ok(None),
    };
    if value.get("gwctl_plan").is_none() {
        return Ok(None);
    }
    let file: PlanFile = serde_json::from_value(value).map_err(|e| {
        Failure::msg(
            format!("`{}` is not a valid gwctl plan file: {e}", path.display()),
            Some("make a new one with `gwctl plan SPEC --out FILE`".into()),
        )
    })?;
    if file.gwctl_plan != PLAN_FILE_VERSION || file.gwctl_version != env!("CARGO_PKG_VERSION") {
        return Err(Failure::msg(
            format!(
                "`{}` was made by gwctl {} (plan format {}); this is gwctl {}",
                path.display(),
                file.gwctl_version,
                file.gwctl_plan,
                env!("CARGO_PKG_VERSION")
            ),
            Some("make a new plan with this version".into()),
        ));
    }
    Ok(Some(file))
}
