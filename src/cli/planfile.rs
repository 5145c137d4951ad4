//! Saved plans: `gwctl plan SPEC --out FILE` writes one, `gwctl apply FILE` applies exactly
//! it, and refuses when the account changed since (the plan records a fingerprint of
//! everything it was computed from).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::engine::AnyOps;
use crate::plan::{HttpOp, Op};

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
    /// The ops of a REST API plan (empty for an HTTP API).
    pub ops: Vec<Op>,
    /// `rest` or `http`: the kind of API the plan acts on (files of earlier builds: `rest`).
    #[serde(default = "rest_kind")]
    pub kind: String,
    /// The ops of an HTTP API plan (`kind: http`); absent for REST.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http_ops: Vec<HttpOp>,
}

fn rest_kind() -> String {
    "rest".into()
}

impl PlanFile {
    /// The ops the file holds, of its kind.
    pub fn saved_ops(&self) -> AnyOps {
        match self.kind.as_str() {
            "http" => AnyOps::Http(self.http_ops.clone()),
            _ => AnyOps::Rest(self.ops.clone()),
        }
    }
}

/// `gwctl plan SPEC --out FILE`: save the plan made from `args.spec` (its text is kept) of the
/// API `api_id` (`None`: the plan creates it), with the `fingerprint` of what it was computed
/// from, and say how to apply it.
pub fn write_out(
    out: &Path,
    args: &super::PlanArgs,
    region: &str,
    api_id: Option<String>,
    fingerprint: String,
    ops: AnyOps,
    printer: &crate::output::Printer,
) -> Result<(), Failure> {
    let (kind, ops, http_ops) = match ops {
        AnyOps::Rest(o) => ("rest", o, Vec::new()),
        AnyOps::Http(o) => ("http", Vec::new(), o),
    };
    let file = PlanFile {
        gwctl_plan: PLAN_FILE_VERSION,
        gwctl_version: env!("CARGO_PKG_VERSION").to_string(),
        spec_path: args.spec.display().to_string(),
        spec_text: std::fs::read_to_string(&args.spec).unwrap_or_default(),
        region: region.to_string(),
        api_id,
        prune: args.prune,
        force_deploy: false,
        fingerprint,
        ops,
        kind: kind.to_string(),
        http_ops,
    };
    save(out, &file)?;
    printer.info(&format!(
        "plan saved to `{}`: apply exactly it with `gwctl apply {}`",
        out.display(),
        out.display()
    ));
    Ok(())
}

/// How `apply` picks the API: as the saved plan did, else from its own flags.
pub fn target(saved: Option<&PlanFile>, args: &super::ApplyArgs) -> super::rest::Target {
    match saved {
        Some(pf) => super::rest::Target {
            api_id: pf.api_id.clone(),
            prune: pf.prune,
            force_deploy: pf.force_deploy,
            ..Default::default()
        },
        None => super::rest::Target {
            api_id: args.api_id.clone(),
            prune: args.prune,
            force_deploy: args.force,
            ..Default::default()
        },
    }
}

impl PlanFile {
    /// Refuse to apply this plan (read from `path`) unless the account is as it was planned:
    /// same region and kind, the same `fingerprint` of what it was computed from, and
    /// `same_ops` (planning again gives exactly the saved ops). `changed_env` names the
    /// environment variables whose values no longer give the saved ops
    /// ([`crate::engine::Flavour::changed_env_vars`]): then the refusal names them (never
    /// their values), since the account did not change.
    pub fn check(
        &self,
        path: &Path,
        region: &str,
        kind: &str,
        fingerprint: &str,
        same_ops: bool,
        changed_env: &[String],
    ) -> Result<(), Failure> {
        if self.region != region {
            return Err(Failure::msg(
                format!(
                    "the plan was made for region `{}`, not `{region}`",
                    self.region
                ),
                Some("use the same --region / AWS_REGION as for `gwctl plan`".into()),
            ));
        }
        if self.kind == kind && self.fingerprint == fingerprint && !changed_env.is_empty() {
            let vars: Vec<String> = changed_env.iter().map(|v| format!("`{v}`")).collect();
            return Err(Failure::msg(
                format!(
                    "the value of environment variable {} changed since the plan in `{}` was made; refusing to apply a stale plan",
                    vars.join(", "),
                    path.display()
                ),
                Some(format!(
                    "set it as it was for `gwctl plan`, or review the changes again: `gwctl plan {} --out {}`",
                    self.spec_path,
                    path.display()
                )),
            ));
        }
        if self.kind != kind || self.fingerprint != fingerprint || !same_ops {
            return Err(Failure::msg(
                format!(
                    "the account changed since the plan in `{}` was made; refusing to apply a stale plan",
                    path.display()
                ),
                Some(format!(
                    "review the changes again: `gwctl plan {} --out {}`",
                    self.spec_path,
                    path.display()
                )),
            ));
        }
        Ok(())
    }
}

/// Write a plan file.
pub fn save(path: &Path, file: &PlanFile) -> Result<(), Failure> {
    // Terminal-safe like every document gwctl writes (`cat plan.json` in a CI log): control
    // and bidi characters as `\uXXXX`, which load back to the same strings.
    let text = crate::term::to_json_pretty(file).expect("plan serialises");
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
