//! The values a spec's `${...}` draw on, gathered at the edge: `--env`, `--var`,
//! `--var-file`, `GWCTL_VAR_NAME`, the process environment, and the region and account in
//! effect. The spec layer substitutes them ([`crate::spec::vars`]); nothing here reads YAML.
//!
//! One process runs one verb on one spec, so [`install`] (called by `main` before the verb)
//! keeps what it gathered for the process: [`connect`](super::connect) takes the selected
//! environment's region and profile from it, and records the region (and, when the spec
//! uses `${aws.account_id}`, the account) it connected with; each verb's spec loading takes
//! the values from it ([`inputs`]).

use std::path::Path;
use std::sync::RwLock;

use crate::spec::vars::{Environments, Inputs, Known, VarFile};

use super::{Failure, GlobalArgs};

/// What [`install`] gathered.
#[derive(Debug, Clone, Default)]
struct Context {
    inputs: Inputs,
    /// The selected environment's region and profile (flags and AWS_* variables win).
    env_region: Option<String>,
    env_profile: Option<String>,
    /// The spec uses `${aws.account_id}`: `connect` asks STS once.
    needs_account: bool,
    /// The spec uses `${aws.` built-ins: plan and apply connect before loading it.
    needs_aws: bool,
    /// `--region`.
    flag_region: Option<String>,
}

static CONTEXT: RwLock<Option<Context>> = RwLock::new(None);

/// The region used by offline checks (`validate`) when nothing names one, and the account
/// they use for `${aws.account_id}`: shape checks (ARNs) still run on them; plan and apply
/// use the real ones.
pub const PLACEHOLDER_REGION: &str = "us-east-1";
pub const PLACEHOLDER_ACCOUNT: &str = "123456789012";

/// Gather the values for this process from `g` and the environment; `spec` (the text of the
/// spec the verb acts on, and the environment a plan file was made for:
/// [`super::planfile::spec_source`]) gives the environments and tells which built-ins are
/// needed.
pub fn install(g: &GlobalArgs, spec: Option<(String, Option<String>)>) -> Result<(), Failure> {
    let mut cx = Context {
        inputs: gather(g)?,
        flag_region: g.region.clone(),
        ..Default::default()
    };
    if let Some((text, planned_env)) = spec {
        // `apply PLANFILE` without --env: the environment the plan was made for.
        if cx.inputs.env.is_none() {
            cx.inputs.env = planned_env;
        }
        let envs = crate::spec::vars::environments(&text);
        if let Some(name) = envs.selected(cx.inputs.env.as_deref()) {
            let (region, profile) = envs.aws_of(name);
            cx.env_region = region.map(str::to_string);
            cx.env_profile = profile.map(str::to_string);
        }
        cx.needs_account = crate::spec::vars::uses_account_id(&text);
        cx.needs_aws = text.contains("${aws.");
    }
    *CONTEXT.write().unwrap_or_else(|e| e.into_inner()) = Some(cx);
    Ok(())
}

fn context() -> Context {
    CONTEXT
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_default()
}

/// Flags, var files and environment variables (no built-ins yet).
pub fn gather(g: &GlobalArgs) -> Result<Inputs, Failure> {
    let mut var_files = Vec::new();
    for path in &g.var_files {
        let text = std::fs::read(path).map_err(|e| {
            Failure::msg(
                format!("cannot read var file `{}`: {}", path.display(), e.kind()),
                Some("--var-file takes a YAML file of `NAME: VALUE` lines".into()),
            )
        })?;
        let text = String::from_utf8(text).map_err(|_| {
            Failure::msg(
                format!("var file `{}` is not valid utf-8", path.display()),
                None,
            )
        })?;
        var_files.push(VarFile {
            path: path.clone(),
            text,
        });
    }
    let os_env: std::collections::BTreeMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let env_vars = os_env
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("GWCTL_VAR_")?.to_string(), v.clone())))
        .collect();
    Ok(Inputs {
        env: g.env.clone(),
        var_files,
        env_vars,
        flags: g.vars.clone(),
        os_env,
        region: None,
        account_id: None,
    })
}

/// The inputs for loading a spec now: what [`install`] gathered, with the region and
/// account [`super::connect`] recorded, else (offline) the region the flags, AWS_REGION or
/// the environment name and the placeholder account.
pub fn inputs() -> Inputs {
    let cx = context();
    let mut inputs = cx.inputs;
    if inputs.region.is_none() {
        inputs.region = Some(offline_region(
            cx.flag_region.as_deref(),
            cx.env_region.as_deref(),
        ));
    }
    if inputs.account_id.is_none() {
        inputs.account_id = Some(placeholder_account());
    }
    inputs
}

/// The account `${aws.account_id}` stands for offline.
pub fn placeholder_account() -> Known {
    Known {
        value: PLACEHOLDER_ACCOUNT.into(),
        source: "the offline placeholder; plan and apply ask STS".into(),
    }
}

/// `--region`, AWS_REGION, AWS_DEFAULT_REGION, the environment's `region`, else a
/// placeholder.
pub fn offline_region(flag: Option<&str>, env_region: Option<&str>) -> Known {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let (value, source) = if let Some(r) = flag {
        (r.to_string(), "--region".to_string())
    } else if let Some(r) = var("AWS_REGION") {
        (r, "AWS_REGION".into())
    } else if let Some(r) = var("AWS_DEFAULT_REGION") {
        (r, "AWS_DEFAULT_REGION".into())
    } else if let Some(r) = env_region {
        (r.to_string(), "the environment's `region`".into())
    } else {
        (
            PLACEHOLDER_REGION.to_string(),
            "the offline placeholder; no region is configured".into(),
        )
    };
    Known { value, source }
}

/// Region and profile for [`super::connect`]: the flags, else (when the standard AWS
/// variables do not name them) the selected environment's.
pub fn aws_defaults(g: &GlobalArgs) -> (Option<String>, Option<String>) {
    let cx = context();
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.is_empty());
    let region = g.region.clone().or_else(|| {
        if set("AWS_REGION") || set("AWS_DEFAULT_REGION") {
            None
        } else {
            cx.env_region.clone()
        }
    });
    let profile = g.profile.clone().or_else(|| {
        if set("AWS_PROFILE") {
            None
        } else {
            cx.env_profile.clone()
        }
    });
    (region, profile)
}

/// Whether the spec needs the account id (then `connect` asks STS for it).
pub fn needs_account() -> bool {
    context().needs_account
}

/// Whether the spec uses `${aws.*}`: plan and apply then connect before loading it.
pub fn needs_aws() -> bool {
    context().needs_aws
}

/// Record the region (and account) the clients use: the spec's built-ins resolve to them.
pub fn connected(region: &str, account: Option<String>) {
    let mut guard = CONTEXT.write().unwrap_or_else(|e| e.into_inner());
    let cx = guard.get_or_insert_with(Context::default);
    cx.inputs.region = Some(Known {
        value: region.to_string(),
        source: "the AWS configuration".into(),
    });
    if let Some(a) = account {
        cx.inputs.account_id = Some(Known {
            value: a,
            source: "the credentials in effect (STS)".into(),
        });
    }
}

/// The environments of the spec at `path` (for `validate`, which checks each).
pub fn environments_of(path: &Path) -> Environments {
    std::fs::read(path)
        .map(|b| crate::spec::vars::environments(&String::from_utf8_lossy(&b)))
        .unwrap_or_default()
}
