//! Saved plans: `gwctl plan SPEC --out FILE` writes one, `gwctl apply FILE` applies exactly
//! it, and refuses when the account changed since (the plan records a fingerprint of
//! everything it was computed from).

use std::path::Path;

use std::collections::BTreeMap;

use crate::spec::vars::Resolution;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::{AnyOps, KINDS};

use super::Failure;

/// Format version of plan files.
pub const PLAN_FILE_VERSION: u32 = 1;

/// A plan file. Each kind keeps its ops in its own field ([`crate::engine::Flavour::OPS_FIELD`]):
/// the field `ops` is always written, before `kind`; the others after it, when not empty.
/// [`load`] refuses fields no kind names and ops that are not ops of their kind.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
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
    /// The field `ops`: the ops of the kind whose field it is (REST), else empty.
    pub ops: Vec<Value>,
    /// `rest` or `http`: the kind of API the plan acts on (files of earlier builds: `rest`).
    #[serde(default = "rest_kind")]
    pub kind: String,
    /// The ops of a kind whose field is not `ops`, by field name (`http_ops`); only the plan's
    /// own kind, and only when it has ops.
    #[serde(flatten)]
    pub kind_ops: BTreeMap<String, Vec<Value>>,
    /// The environment and variable values the spec was resolved with, and their sources
    /// (a value used under `api_keys:` only as its SHA-256). Not written when the spec
    /// uses none.
    #[serde(default, skip_serializing_if = "is_unresolved")]
    pub vars: Resolution,
}

fn is_unresolved(r: &Resolution) -> bool {
    *r == Resolution::default()
}

/// The plan-file field holding the ops of `kind` (an unknown kind: `ops`, as REST).
fn ops_field(kind: &str) -> &'static str {
    KINDS
        .iter()
        .find(|k| k.name == kind)
        .map_or("ops", |k| k.ops_field)
}

fn rest_kind() -> String {
    "rest".into()
}

impl PlanFile {
    /// The ops the file holds, of its kind.
    pub fn saved_ops(&self) -> AnyOps {
        let ops = match ops_field(&self.kind) {
            "ops" => self.ops.clone(),
            field => self.kind_ops.get(field).cloned().unwrap_or_default(),
        };
        AnyOps {
            kind: self.kind.clone(),
            ops,
        }
    }
}

/// `gwctl plan SPEC --out FILE`: save the plan made from `args.spec` (its text is kept) of the
/// API `api.id` (`None`: the plan creates it) resolved with `api.environment` and
/// `api.variables`, with the `fingerprint` of what it was computed
/// from, and say how to apply it.
pub fn write_out(
    out: &Path,
    args: &super::PlanArgs,
    region: &str,
    api: &crate::output::ApiDoc,
    fingerprint: String,
    ops: AnyOps,
    printer: &crate::output::Printer,
) -> Result<(), Failure> {
    let (ops, kind, kind_ops) = fields(ops);
    let file = PlanFile {
        gwctl_plan: PLAN_FILE_VERSION,
        gwctl_version: env!("CARGO_PKG_VERSION").to_string(),
        spec_path: args.spec.display().to_string(),
        spec_text: std::fs::read_to_string(&args.spec).unwrap_or_default(),
        region: region.to_string(),
        api_id: api.id.clone(),
        prune: args.prune,
        force_deploy: false,
        fingerprint,
        ops,
        kind,
        kind_ops,
        vars: Resolution {
            environment: api.environment.clone(),
            variables: api.variables.clone(),
        },
    };
    save(out, &file)?;
    printer.info(&format!(
        "plan saved to `{}`: apply exactly it with `gwctl apply {}`",
        out.display(),
        out.display()
    ));
    Ok(())
}

/// The plan file's `ops`, `kind` and other ops fields holding `ops`.
fn fields(ops: AnyOps) -> (Vec<Value>, String, BTreeMap<String, Vec<Value>>) {
    let AnyOps { kind, ops } = ops;
    let (ops, kind_ops) = match ops_field(&kind) {
        "ops" => (ops, BTreeMap::new()),
        _ if ops.is_empty() => (Vec::new(), BTreeMap::new()),
        field => (Vec::new(), BTreeMap::from([(field.to_string(), ops)])),
    };
    (ops, kind, kind_ops)
}

/// The spec text behind `path` (the file, or the spec a plan file holds) and, for a plan
/// file, the environment it was made for (for [`super::vars::install`]).
pub fn spec_source(path: &Path) -> Option<(String, Option<String>)> {
    if let Ok(Some(pf)) = load(path) {
        return Some((pf.spec_text, pf.vars.environment));
    }
    let bytes = std::fs::read(path).ok()?;
    Some((String::from_utf8_lossy(&bytes).into_owned(), None))
}

/// How `apply` picks the API: as the saved plan did, else from its own flags.
pub fn target(saved: Option<&PlanFile>, args: &super::ApplyArgs) -> super::rest::Target {
    match saved {
        Some(pf) => super::rest::Target {
            api_id: pf.api_id.clone(),
            prune: pf.prune,
            force_deploy: pf.force_deploy,
            definition: args.definition,
            ..Default::default()
        },
        None => super::rest::Target {
            api_id: args.api_id.clone(),
            prune: args.prune,
            force_deploy: args.force,
            definition: args.definition,
            ..Default::default()
        },
    }
}

impl PlanFile {
    /// Refuse to apply this plan (read from `path`) when the spec now resolves to another
    /// environment or other variable values than it was planned with.
    pub fn check_vars(&self, path: &Path, now: &Resolution) -> Result<(), Failure> {
        let stale = |what: String| {
            Failure::msg(
                format!(
                    "{what} since the plan in `{}` was made; refusing to apply a stale plan",
                    path.display()
                ),
                Some(format!(
                    "pass the same --env, --var, --var-file and GWCTL_VAR_ values as for `gwctl plan`, or review the changes again: `gwctl plan {} --out {}`",
                    self.spec_path,
                    path.display()
                )),
            )
        };
        if self.vars.environment != now.environment {
            let shown = |e: &Option<String>| {
                e.as_deref()
                    .map_or("none".to_string(), |e| format!("`{e}`"))
            };
            return Err(stale(format!(
                "the environment changed ({} -> {})",
                shown(&self.vars.environment),
                shown(&now.environment)
            )));
        }
        let value = |r: &Resolution, n: &str| {
            r.variables
                .iter()
                .find(|v| v.name == n)
                .map(|v| v.value.clone())
        };
        let mut names: Vec<&str> = self
            .vars
            .variables
            .iter()
            .chain(&now.variables)
            .map(|v| v.name.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        let changed: Vec<String> = names
            .into_iter()
            .filter(|n| value(&self.vars, n) != value(now, n))
            .map(|n| format!("`{n}`"))
            .collect();
        if changed.is_empty() {
            Ok(())
        } else {
            Err(stale(format!(
                "the value of {} changed",
                changed.join(", ")
            )))
        }
    }

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
    let invalid = |e: String| {
        Failure::msg(
            format!("`{}` is not a valid gwctl plan file: {e}", path.display()),
            Some("make a new one with `gwctl plan SPEC --out FILE`".into()),
        )
    };
    let file: PlanFile = serde_json::from_value(value).map_err(|e| invalid(e.to_string()))?;
    // Every ops field is some kind's, and holds ops of that kind.
    for (field, ops) in std::iter::once(("ops", &file.ops))
        .chain(file.kind_ops.iter().map(|(f, o)| (f.as_str(), o)))
    {
        let kind = KINDS
            .iter()
            .find(|k| k.ops_field == field)
            .ok_or_else(|| invalid(format!("unknown field `{field}`")))?;
        (kind.check)(ops).map_err(invalid)?;
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Flavour, Http, Rest};
    use crate::plan::{HttpOp, Op};

    fn file(ops: AnyOps) -> PlanFile {
        let (ops, kind, kind_ops) = fields(ops);
        PlanFile {
            gwctl_plan: PLAN_FILE_VERSION,
            gwctl_version: env!("CARGO_PKG_VERSION").into(),
            spec_path: "s.yaml".into(),
            spec_text: "x".into(),
            region: "eu-west-1".into(),
            api_id: None,
            prune: false,
            force_deploy: false,
            fingerprint: "f".into(),
            ops,
            kind,
            kind_ops,
            vars: Resolution::default(),
        }
    }

    /// The layout of earlier builds: `ops` always, before `kind`; `http_ops` after it, only
    /// when the HTTP plan has ops.
    fn text(ops: &str, kind: &str, http_ops: &str) -> String {
        format!(
            "{{\n  \"gwctl_plan\": 1,\n  \"gwctl_version\": \"{}\",\n  \"spec_path\": \"s.yaml\",\n  \"spec_text\": \"x\",\n  \"region\": \"eu-west-1\",\n  \"api_id\": null,\n  \"prune\": false,\n  \"force_deploy\": false,\n  \"fingerprint\": \"f\",\n  \"ops\": {ops},\n  \"kind\": \"{kind}\"{http_ops}\n}}",
            env!("CARGO_PKG_VERSION")
        )
    }

    #[test]
    fn each_kind_keeps_the_plan_file_layout_and_reads_its_ops_back() {
        let rest = vec![Op::DeleteRestApi { id: "a1".into() }];
        let pf = file(Rest::to_any(rest.clone()));
        let rest_text = text(
            "[\n    {\n      \"op\": \"delete_rest_api\",\n      \"id\": \"a1\"\n    }\n  ]",
            "rest",
            "",
        );
        assert_eq!(crate::term::to_json_pretty(&pf).unwrap(), rest_text);
        assert_eq!(Rest::from_any(&pf.saved_ops()), Some(rest));
        assert_eq!(Http::from_any(&pf.saved_ops()), None);

        let http = vec![HttpOp::DeleteCorsConfiguration];
        let pf = file(Http::to_any(http.clone()));
        let http_text = text(
            "[]",
            "http",
            ",\n  \"http_ops\": [\n    {\n      \"op\": \"delete_cors_configuration\"\n    }\n  ]",
        );
        assert_eq!(crate::term::to_json_pretty(&pf).unwrap(), http_text);
        assert_eq!(Http::from_any(&pf.saved_ops()), Some(http));
        assert_eq!(Rest::from_any(&pf.saved_ops()), None);

        let pf = file(Http::to_any(Vec::new()));
        assert_eq!(
            crate::term::to_json_pretty(&pf).unwrap(),
            text("[]", "http", "")
        );
        assert_eq!(Http::from_any(&pf.saved_ops()), Some(Vec::new()));

        // Files load back to the same plan.
        let dir = tempfile::tempdir().unwrap();
        for t in [rest_text, http_text] {
            let path = dir.path().join("p.json");
            std::fs::write(&path, &t).unwrap();
            let loaded = load(&path).unwrap().unwrap();
            assert_eq!(crate::term::to_json_pretty(&loaded).unwrap(), t);
        }
    }

    #[test]
    fn load_refuses_unknown_fields_and_ops_of_another_kind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.json");
        for (t, why) in [
            (
                text("[]", "http", ",\n  \"soap_ops\": []"),
                "unknown field `soap_ops`",
            ),
            (
                text("[{\"op\": \"delete_cors_configuration\"}]", "rest", ""),
                "delete_cors_configuration",
            ),
            (
                text(
                    "[]",
                    "http",
                    ",\n  \"http_ops\": [{\"op\": \"delete_rest_api\", \"id\": \"a\"}]",
                ),
                "delete_rest_api",
            ),
        ] {
            std::fs::write(&path, &t).unwrap();
            let err = load(&path).unwrap_err();
            let msg = format!("{err:?}");
            assert!(msg.contains("is not a valid gwctl plan file"), "{msg}");
            assert!(msg.contains(why), "{msg}");
        }
    }
}
