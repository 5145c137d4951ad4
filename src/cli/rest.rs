//! The REST flow shared by `plan` and `apply`: load the spec, resolve functions, find the
//! API (never a duplicate), read it, build the desired state, and plan.

use std::collections::BTreeSet;
use std::path::Path;

use crate::aws::{read, Clients};
use crate::plan::desired::{self, DesiredRest};
use crate::plan::rest::{plan as plan_rest, PlanOptions};
use crate::plan::Plan;
use crate::spec::model::Spec;
use crate::state::rest::{ApiSummary, ObservedRestApi, Policies};
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
        _ => Err(Failure::reported()),
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
        _ => Err(Failure::reported()),
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
        |id| async move { read::read_rest_api(clients, &id).await },
        || read::find_rest_apis(clients, &spec.api.name.value),
        |a: &ObservedRestApi| (a.config.name.clone(), is_owned(&a.tags)),
    )
    .await
}

/// Find an API of either kind: with `--api-id`, `read` it and check its name (adopted when it
/// lacks gwctl's tag); otherwise `list` the APIs named like the spec's and [`choose_api`].
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
    R: Fn(String) -> RF,
    RF: std::future::Future<Output = Result<A, crate::aws::error::AwsError>>,
    L: FnOnce() -> LF,
    LF: std::future::Future<Output = Result<Vec<ApiSummary>, crate::aws::error::AwsError>>,
{
    let name = &spec.api.name.value;
    if let Some(id) = &target.api_id {
        let api = read(id.clone())
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
    match choose_api(kind, name, &candidates)? {
        Some(id) => {
            let api = read(id).await.map_err(|e| Failure::aws(e, None))?;
            Ok(Some((api, true)))
        }
        None => Ok(None),
    }
}

/// Pick the API gwctl manages among the APIs named `name` (`kind`: `rest api`, `http api`):
/// the one carrying gwctl's ownership tag, or none when there is no API of that name. An
/// untagged namesake, or several tagged ones, is refused: gwctl never creates a second API
/// with the same name and never guesses between two.
pub fn choose_api(
    kind: &str,
    name: &str,
    candidates: &[ApiSummary],
) -> Result<Option<String>, Failure> {
    let owned: Vec<_> = candidates.iter().filter(|c| is_owned(&c.tags)).collect();
    match owned.len() {
        1 => Ok(Some(owned[0].id.clone())),
        0 if candidates.is_empty() => Ok(None),
        0 => {
            let ids: Vec<String> = candidates.iter().map(|c| format!("`{}`", c.id)).collect();
            Err(Failure::msg(
                format!(
                    "{kind} `{name}` exists ({}) but gwctl did not create it; refusing to create a second one",
                    ids.join(", ")
                ),
                Some(format!(
                    "to manage it with gwctl pass `--api-id {}` (gwctl then changes only what the spec declares; add `--prune` to delete the rest)",
                    candidates[0].id
                )),
            ))
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

/// Split a (possibly qualified) function ARN into (unqualified, qualifier).
pub fn split_qualifier(arn: &str) -> (String, Option<String>) {
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() == 8 {
        (parts[..7].join(":"), Some(parts[7].to_string()))
    } else {
        (arn.to_string(), None)
    }
}

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
    let found = find_api(clients, &spec, target).await?;
    let (observed, owned) = match found {
        Some((api, owned)) => (Some(api), owned),
        None => (None, true),
    };
    let desired = desired::rest(&spec, &functions, &clients.region);

    let invoked = observed
        .as_ref()
        .map(observed_functions)
        .unwrap_or_default();
    let policies = read_policies_for(clients, &functions, invoked).await?;

    let opts = PlanOptions {
        prune: owned || target.prune,
        force_deploy: target.force_deploy,
    };
    let plan = plan_rest(&desired, observed.as_ref(), &policies, opts);
    Ok(Prepared {
        spec,
        functions,
        desired,
        observed,
        owned,
        policies,
        plan,
    })
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
}
