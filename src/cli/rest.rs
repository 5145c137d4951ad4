//! The REST flow shared by `plan` and `apply`: load the spec, resolve functions, find the
//! API (never a duplicate), read it, build the desired state, and plan.

use std::collections::BTreeSet;
use std::path::Path;

use crate::aws::read::{self, usage as read_usage};
use crate::aws::Clients;
use crate::plan::rest::desired::{self, DesiredRest};
use crate::plan::rest::plan as plan_rest;
use crate::plan::usage::{self, DesiredUsage, KeySource};
use crate::plan::Plan;
use crate::plan::PlanOptions;
use crate::spec::model::Spec;
use crate::state::rest::{ApiSummary, ObservedRestApi, Policies};
use crate::state::usage::ObservedUsage;
use crate::state::{ResolvedFunction, OWNER_TAG_KEY, OWNER_TAG_VALUE};

use super::Failure;

/// How to pick the API.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// `--api-id`: use exactly this API (adopting it when gwctl did not create it).
    pub api_id: Option<String>,
    /// `--prune`: on an adopted API, delete what the spec does not declare.
    pub prune: bool,
    /// `--force`: deploy even when every stage serves the current configuration.
    pub force_deploy: bool,
    /// What the verb will do with the API: says why a namesake gwctl does not own is refused.
    pub purpose: Purpose,
}

/// What a verb means to do with the API it looks up by name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Purpose {
    /// plan / apply / cors: create the API when it does not exist.
    #[default]
    Converge,
    /// show: read it.
    Show,
    /// verify: send requests to its stages.
    Verify,
    /// deploy: deploy one of its stages.
    Deploy,
    /// destroy: delete it.
    Destroy,
}

/// Everything `plan` computed, kept for `apply` to execute and report.
pub struct Prepared {
    pub spec: Spec,
    pub functions: Vec<ResolvedFunction>,
    pub desired: DesiredRest,
    pub observed: Option<ObservedRestApi>,
    /// gwctl created this API (ownership tag present), or will create it.
    pub owned: bool,
    pub policies: Policies,
    pub plan: Plan,
    /// API keys and usage plans the spec wants, and those gwctl created for this API.
    pub usage: DesiredUsage,
    pub observed_usage: ObservedUsage,
}

/// Load and validate a spec, printing diagnostics; `Err` when it has errors.
pub fn load_spec(path: &Path, printer: &crate::output::Printer) -> Result<Spec, Failure> {
    let loaded = crate::spec::load(path);
    for d in &loaded.diagnostics {
        if d.is_error() || !printer.quiet {
            eprint!("{}", d.render(printer.color));
        }
    }
    match loaded.spec {
        Some(spec) if !loaded.has_errors() => Ok(spec),
        _ => Err(Failure::invalid_spec(path, &loaded.diagnostics)),
    }
}

/// Like [`load_spec`] for spec text kept elsewhere (a saved plan).
pub fn load_spec_text(
    path: &Path,
    text: &str,
    printer: &crate::output::Printer,
) -> Result<Spec, Failure> {
    let loaded = crate::spec::load_str(path, text);
    for d in &loaded.diagnostics {
        if d.is_error() || !printer.quiet {
            eprint!("{}", d.render(printer.color));
        }
    }
    match loaded.spec {
        Some(spec) if !loaded.has_errors() => Ok(spec),
        _ => Err(Failure::invalid_spec(path, &loaded.diagnostics)),
    }
}

/// Like [`load_spec`] (or [`load_spec_text`] when `text` is given), plus the lint warnings
/// `validate` reports (routes without authorization): `apply` lists them once per run.
pub fn load_spec_linted(
    path: &Path,
    text: Option<&str>,
    printer: &crate::output::Printer,
) -> Result<Spec, Failure> {
    let opts = crate::spec::LoadOptions { lint: true };
    let loaded = match text {
        Some(t) => crate::spec::load_str_with(path, t, &opts),
        None => crate::spec::load_with(path, &opts),
    };
    for d in &loaded.diagnostics {
        if d.is_error() || !printer.quiet {
            eprint!("{}", d.render(printer.color));
        }
    }
    match loaded.spec {
        Some(spec) if !loaded.has_errors() => Ok(spec),
        _ => Err(Failure::invalid_spec(path, &loaded.diagnostics)),
    }
}

/// Find the API the spec describes: by name plus gwctl's ownership tag, or by `--api-id`.
pub async fn find_api(
    clients: &Clients,
    spec: &Spec,
    target: &Target,
) -> Result<Option<(ObservedRestApi, bool)>, Failure> {
    find_by(
        spec,
        target,
        "rest api",
        |id, listed| async move {
            match listed {
                Some(listed) => read::rest::read_listed_rest_api(clients, &listed).await,
                None => read::rest::read_rest_api(clients, &id).await,
            }
        },
        || read::rest::find_rest_apis(clients, &spec.api.name.value),
        |a: &ObservedRestApi| (a.config.name.clone(), is_owned(&a.tags)),
    )
    .await
}

/// Find an API of either kind: with `--api-id`, `read` it and check its name (adopted when it
/// lacks gwctl's tag); otherwise `list` the APIs named like the spec's and [`choose_api`].
/// `read` gets the id, and the listing's summary of the API when it was found by listing (so
/// it can reuse what the listing already answered).
/// `name_owned` gives a read API's name and whether it carries gwctl's ownership tag.
pub async fn find_by<A, R, RF, L, LF>(
    spec: &Spec,
    target: &Target,
    kind: &str,
    read: R,
    list: L,
    name_owned: impl Fn(&A) -> (String, bool),
) -> Result<Option<(A, bool)>, Failure>
where
    R: Fn(String, Option<ApiSummary>) -> RF,
    RF: std::future::Future<Output = Result<A, crate::aws::error::AwsError>>,
    L: FnOnce() -> LF,
    LF: std::future::Future<Output = Result<Vec<ApiSummary>, crate::aws::error::AwsError>>,
{
    let name = &spec.api.name.value;
    if let Some(id) = &target.api_id {
        let api = read(id.clone(), None)
            .await
            .map_err(|e| Failure::aws(e, Some("check `--api-id` and the region")))?;
        let (api_name, owned) = name_owned(&api);
        if api_name != *name {
            return Err(Failure::msg(
                format!("api `{id}` is named `{api_name}`, but the spec describes `{name}`"),
                Some("rename the API in the spec, or pass the id of the right API".into()),
            ));
        }
        return Ok(Some((api, owned)));
    }
    let candidates = list().await.map_err(|e| Failure::aws(e, None))?;
    match choose_api(kind, name, &candidates, target.purpose)? {
        Some(id) => {
            let listed = candidates.iter().find(|c| c.id == id).cloned();
            let api = read(id, listed).await.map_err(|e| Failure::aws(e, None))?;
            Ok(Some((api, true)))
        }
        None => Ok(None),
    }
}

/// Pick the API gwctl manages among the APIs named `name` (`kind`: `rest api`, `http api`):
/// the one carrying gwctl's ownership tag, or none when there is no API of that name. An
/// untagged namesake, or several tagged ones, is refused: gwctl never creates a second API
/// with the same name and never guesses between two; the message says what that means for
/// the verb's `purpose` (a destroy does not delete the namesake, a plan does not create a
/// second one).
pub fn choose_api(
    kind: &str,
    name: &str,
    candidates: &[ApiSummary],
    purpose: Purpose,
) -> Result<Option<String>, Failure> {
    let owned: Vec<_> = candidates.iter().filter(|c| is_owned(&c.tags)).collect();
    match owned.len() {
        1 => Ok(Some(owned[0].id.clone())),
        0 if candidates.is_empty() => Ok(None),
        0 => {
            let ids: Vec<String> = candidates.iter().map(|c| format!("`{}`", c.id)).collect();
            let ids = ids.join(", ");
            let id = &candidates[0].id;
            let foreign =
                format!("{kind} `{name}` ({ids}) is not gwctl's (it lacks gwctl's ownership tag)");
            let (message, hint) = match purpose {
                Purpose::Converge => (
                    format!("{kind} `{name}` exists ({ids}) but gwctl did not create it; refusing to create a second one"),
                    format!("to manage it with gwctl pass `--api-id {id}` (gwctl then changes only what the spec declares; add `--prune` to delete the rest)"),
                ),
                Purpose::Destroy => (
                    format!("{foreign}; it won't be destroyed"),
                    format!("to delete it all the same: `gwctl destroy --api-id {id} --force`"),
                ),
                Purpose::Show => (
                    foreign,
                    format!("to show it, pass `--api-id {id}`"),
                ),
                Purpose::Verify => (
                    format!("{foreign}; gwctl verifies the APIs it manages"),
                    "to check its stage all the same: `gwctl verify --url INVOKE_URL --origin ORIGIN`"
                        .to_string(),
                ),
                Purpose::Deploy => (
                    format!("{foreign}; gwctl does not deploy it"),
                    format!("to deploy it all the same, pass `--api-id {id}`"),
                ),
            };
            Err(Failure::msg(message, Some(hint)))
        }
        _ => {
            let ids: Vec<String> = owned.iter().map(|c| format!("`{}`", c.id)).collect();
            Err(Failure::msg(
                format!(
                    "{} {kind}s named `{name}` carry gwctl's ownership tag: {}",
                    owned.len(),
                    ids.join(", ")
                ),
                Some(
                    "pass `--api-id ID` to choose one (and `gwctl destroy --api-id ID` the other)"
                        .into(),
                ),
            ))
        }
    }
}

pub fn is_owned(tags: &std::collections::BTreeMap<String, String>) -> bool {
    tags.get(OWNER_TAG_KEY).map(String::as_str) == Some(OWNER_TAG_VALUE)
}

/// The Lambda function an integration or authorizer URI invokes (moved to `state`).
pub use crate::state::function_from_uri;

/// Split a (possibly qualified) function ARN into (unqualified, qualifier); anything that
/// is not a Lambda function ARN is returned unchanged (the one ARN parser, in `spec::arn`).
pub use crate::spec::arn::split_qualifier;

/// The Lambda functions a live API invokes (integrations and authorizers), as
/// (unqualified ARN, qualifier).
pub fn observed_functions(o: &ObservedRestApi) -> BTreeSet<(String, Option<String>)> {
    let mut fns = BTreeSet::new();
    for res in o.config.resources.values() {
        for m in res.methods.values() {
            if let Some(uri) = m.integration.as_ref().and_then(|i| i.uri.as_deref()) {
                if let Some(f) = function_from_uri(uri) {
                    fns.insert(split_qualifier(&f));
                }
            }
        }
    }
    for a in o.config.authorizers.values() {
        if let Some(f) = a.authorizer_uri.as_deref().and_then(function_from_uri) {
            fns.insert(split_qualifier(&f));
        }
    }
    fns
}

/// Resolve every function the spec references (get-function each). Each one that cannot be
/// resolved is reported at its spec line with a caret; then nothing is written.
pub async fn resolve_or_report(
    clients: &Clients,
    spec: &Spec,
    printer: &crate::output::Printer,
) -> Result<Vec<ResolvedFunction>, Failure> {
    match read::resolve_functions(clients, spec).await {
        Ok(f) => Ok(f),
        Err(errors) => {
            // Not about any one function (no network, no credentials): say it once.
            if let Some(first) = errors.first() {
                use crate::aws::error::ErrorKind;
                if matches!(
                    first.error.kind,
                    ErrorKind::Transport | ErrorKind::AccessDenied
                ) && errors.iter().all(|e| e.error.kind == first.error.kind)
                {
                    let e = crate::aws::error::AwsError {
                        kind: first.error.kind,
                        operation: first.error.operation.clone(),
                        code: first.error.code.clone(),
                        message: first.error.message.clone(),
                    };
                    return Err(Failure::aws(e, None));
                }
            }
            for e in &errors {
                let (message, hint) = if e.error.is_not_found() {
                    (
                        format!(
                            "function `{}`: Lambda function `{}`{} does not exist",
                            e.key,
                            e.name_or_arn,
                            e.qualifier
                                .as_ref()
                                .map(|q| format!(" (qualifier `{q}`)"))
                                .unwrap_or_default()
                        ),
                        Some("create the function first, or fix its name, ARN or alias (the region and account must be the ones gwctl uses)".to_string()),
                    )
                } else {
                    (
                        format!(
                            "function `{}`: could not read `{}`: {}",
                            e.key, e.name_or_arn, e.error
                        ),
                        None,
                    )
                };
                let d = crate::spec::diagnostic_at(
                    spec,
                    e.pos,
                    crate::spec::Severity::Error,
                    message,
                    hint,
                );
                eprint!("{}", d.render(printer.color));
            }
            Err(Failure::msg(
                format!(
                    "{} referenced function(s) could not be resolved; nothing was changed",
                    errors.len()
                ),
                None,
            ))
        }
    }
}

/// The Lambda policies of every function the spec uses plus `invoked`, the functions the live
/// API still invokes (so that statements for functions no longer used can be removed); one
/// get-policy per function.
pub async fn read_policies_for(
    clients: &Clients,
    functions: &[ResolvedFunction],
    invoked: BTreeSet<(String, Option<String>)>,
) -> Result<Policies, Failure> {
    let mut fns: BTreeSet<(String, Option<String>)> = functions
        .iter()
        .map(|f| (f.function_arn.clone(), f.qualifier.clone()))
        .collect();
    fns.extend(invoked);
    let fns: Vec<_> = fns.into_iter().collect();
    read::read_policies(clients, &fns)
        .await
        .map_err(|e| Failure::aws(e, None))
}

/// Read everything and plan. Makes only read calls.
pub async fn prepare(
    clients: &Clients,
    spec: Spec,
    target: &Target,
    printer: &crate::output::Printer,
) -> Result<Prepared, Failure> {
    // Resolve every function first: a missing one stops here, before any write.
    let functions = resolve_or_report(clients, &spec, printer).await?;
    // API key values named by the spec must be in the environment, also before any write.
    let usage = usage_from_env(&spec, printer)?;
    let found = find_api(clients, &spec, target).await?;
    let (observed, owned) = match found {
        Some((api, owned)) => (Some(api), owned),
        None => (None, true),
    };
    // Settings the spec leaves out keep their live values (for the plan and the report).
    let desired =
        desired::rest(&spec, &functions, &clients.region).keep_undeclared(observed.as_ref());

    let invoked = observed
        .as_ref()
        .map(observed_functions)
        .unwrap_or_default();
    let (policies, observed_usage) =
        tokio::try_join!(read_policies_for(clients, &functions, invoked), async {
            read_usage::read_usage(clients, &spec.api.name.value)
                .await
                .map_err(|e| Failure::aws(e, None))
        },)?;
    check_key_ids(&spec, &usage, &observed_usage, printer)?;

    let opts = PlanOptions {
        prune: owned || target.prune,
        force_deploy: target.force_deploy,
    };
    let mut plan = plan_rest(&desired, observed.as_ref(), &policies, opts);
    usage::plan_usage(
        &mut plan,
        &usage,
        &observed_usage,
        observed.as_ref().map(|o| o.id.as_str()),
    );
    Ok(Prepared {
        spec,
        functions,
        desired,
        observed,
        owned,
        policies,
        plan,
        usage,
        observed_usage,
    })
}

/// The spec's API keys and usage plans, with the digests of the key values the environment
/// holds; a variable that is missing (or too short a value) is reported at the key's line.
fn usage_from_env(spec: &Spec, printer: &crate::output::Printer) -> Result<DesiredUsage, Failure> {
    let env = |var: &str| std::env::var(var).ok();
    usage::desired(spec, &env).map_err(|errors| {
        let mut diagnostics = Vec::new();
        for e in &errors {
            let d = crate::spec::diagnostic_at(
                spec,
                e.pos(),
                crate::spec::Severity::Error,
                e.to_string(),
                Some(
                    "export the variable before running gwctl (the value is never printed)".into(),
                ),
            );
            eprint!("{}", d.render(printer.color));
            diagnostics.push(d);
        }
        Failure {
            diagnostics,
            ..Failure::msg(
                format!(
                    "{} api key value(s) not usable from the environment; nothing was changed",
                    errors.len()
                ),
                None,
            )
        }
    })
}

/// Keys the spec references by `id` must exist.
fn check_key_ids(
    spec: &Spec,
    usage: &DesiredUsage,
    observed: &ObservedUsage,
    printer: &crate::output::Printer,
) -> Result<(), Failure> {
    let mut missing = 0;
    for k in &usage.keys {
        if let KeySource::Existing { id } = &k.source {
            if !observed.key_names.contains_key(id) {
                missing += 1;
                let d = crate::spec::diagnostic_at(
                    spec,
                    k.pos,
                    crate::spec::Severity::Error,
                    format!(
                        "api key `{}` refers to key id `{id}`, which does not exist",
                        k.name
                    ),
                    Some(
                        "check the id (`aws apigateway get-api-keys`) and the region gwctl uses"
                            .into(),
                    ),
                );
                eprint!("{}", d.render(printer.color));
            }
        }
    }
    if missing > 0 {
        return Err(Failure::msg(
            format!("{missing} api key id(s) could not be found; nothing was changed"),
            None,
        ));
    }
    Ok(())
}

/// `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`
pub fn invoke_url(api_id: &str, region: &str, stage: &str) -> String {
    format!("https://{api_id}.execute-api.{region}.amazonaws.com/{stage}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_arn_is_taken_from_integration_uri() {
        let uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:todo-get:live/invocations";
        let f = function_from_uri(uri).unwrap();
        assert_eq!(
            f,
            "arn:aws:lambda:us-east-1:123456789012:function:todo-get:live"
        );
        assert_eq!(
            split_qualifier(&f),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:todo-get".to_string(),
                Some("live".to_string())
            )
        );
        assert_eq!(function_from_uri("https://example.com/x"), None);
    }

    #[test]
    fn only_lambda_function_arns_are_split() {
        // An eight-part ARN of another service has no qualifier to split off.
        let arn = "arn:aws:states:us-east-1:123456789012:execution:machine:run";
        assert_eq!(split_qualifier(arn), (arn.to_string(), None));
    }
}
