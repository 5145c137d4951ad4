//! What `destroy`, `deploy` and `show` decide, for every kind of API (docs/design.md): destroy
//! removes gwctl's permission statements and then the API, and refuses an API gwctl did not
//! create unless forced; deploy creates one deployment shared by the stages named, only for
//! stages that do not serve the API's current configuration (unless forced). Each kind plans
//! its deploy ([`Flavour::plan_deploy`]) with the helpers here.

use std::collections::BTreeMap;

use crate::aws::exec::ExecFailure;
use crate::aws::Clients;
use crate::plan::Plan;

use super::find::Located;
use super::{EngineError, Flavour};

/// gwctl deletes only the APIs it created, unless `force`.
pub fn refuse_unowned(name: &str, id: &str, owned: bool, force: bool) -> Result<(), EngineError> {
    if owned || force {
        return Ok(());
    }
    Err(EngineError::NotOwned {
        name: name.to_string(),
        id: id.to_string(),
    })
}

/// The plan that destroys the API `loc` found (refused when gwctl did not create it, unless
/// `force`). Reads only.
pub async fn plan_destroy<F: Flavour>(
    clients: &Clients,
    loc: &Located<F>,
    force: bool,
) -> Result<Plan<F::Op>, EngineError> {
    refuse_unowned(F::api_name(&loc.api), F::api_id(&loc.api), loc.owned, force)?;
    // The API's mappings (and the domains gwctl created that nothing else maps) go first:
    // an API with base path mappings cannot be deleted.
    let (domains, api) = tokio::try_join!(
        async {
            Ok::<_, EngineError>(
                super::domains::destroy_ops(
                    clients,
                    F::DOMAIN_API,
                    F::domain_op,
                    loc.spec.as_ref(),
                    F::api_id(&loc.api),
                )
                .await?,
            )
        },
        F::plan_destroy(clients, &loc.api),
    )?;
    Ok(super::domains::prepend(domains, api))
}

/// A verb's executor run stopped: the failed call, and that running `verb` again continues
/// from `from`.
pub fn exec_failed(verb: &'static str, from: &'static str) -> impl Fn(ExecFailure) -> EngineError {
    move |f| EngineError::Exec {
        verb,
        from,
        op: f.op,
        error: Box::new(f.error),
    }
}

/// The stages `names`, with the settings `declared` by a spec, else the ones `have`
/// (a stage the spec does not declare keeps its settings: only its deployment moves).
pub fn named_stages<S: Clone + Default>(
    names: &[String],
    declared: &BTreeMap<String, S>,
    have: impl Fn(&str) -> Option<S>,
) -> BTreeMap<String, S> {
    names
        .iter()
        .map(|n| {
            let s = declared
                .get(n)
                .cloned()
                .or_else(|| have(n))
                .unwrap_or_default();
            (n.clone(), s)
        })
        .collect()
}

/// A deployment's description: the configuration mark, then the user's `--description`.
pub fn deployment_description(mark: &str, user: Option<&str>) -> String {
    match user {
        Some(d) => format!("{mark} {d}"),
        None => mark.to_string(),
    }
}

/// Why `deploy` moves a stage.
pub const DEPLOY_REASON: &str = "the stage does not serve the API's current configuration";
