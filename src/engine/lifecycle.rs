//! What `destroy`, `deploy` and `show` decide, for every kind of API (docs/design.md): destroy
//! removes gwctl's permission statements and then the API, and refuses an API gwctl did not
//! create unless forced; deploy creates one deployment shared by the stages named, only for
//! stages that do not serve the API's current configuration (unless forced).

use std::collections::BTreeMap;

use crate::aws::exec::ExecFailure;
use crate::aws::Clients;
use crate::plan::Plan;
use crate::plan::PlanOptions;

use super::find::Located;
use super::{EngineError, Flavour, Http, Rest};

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
    F::plan_destroy(clients, &loc.api).await
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
const DEPLOY_REASON: &str = "the stage does not serve the API's current configuration";

/// What `deploy` does to a REST API: the stages named (with their settings) and the plan.
pub struct RestDeploy {
    pub stages: BTreeMap<String, crate::state::rest::Stage>,
    pub plan: Plan,
}

/// Plan `deploy --stage NAME...` of a REST API.
pub fn plan_deploy_rest(
    loc: &Located<Rest>,
    names: &[String],
    description: Option<&str>,
    force: bool,
    region: &str,
) -> RestDeploy {
    // Stage settings come from the spec when one is given and declares the stage.
    let spec_stages = match &loc.spec {
        Some(s) => {
            crate::plan::rest::desired::rest(s, &[], region)
                .keep_undeclared(Some(&loc.api))
                .stages
        }
        None => BTreeMap::new(),
    };
    let stages = named_stages(names, &spec_stages, |n| {
        loc.api.stages.get(n).map(|s| s.settings.clone())
    });
    let mark = crate::plan::rest::desired::config_mark(&loc.api.config);
    let description = deployment_description(&mark, description);
    let mut plan = Plan::default();
    crate::plan::rest::plan_stages(
        &mut plan,
        Some(&loc.api),
        &stages,
        &mark,
        &description,
        force,
        DEPLOY_REASON,
    );
    RestDeploy { stages, plan }
}

/// What `deploy` does to an HTTP API: the stages named (with their settings), those API
/// Gateway deploys itself (auto-deploy on), the plan and its options.
pub struct HttpDeploy {
    pub stages: BTreeMap<String, crate::state::http::Stage>,
    pub automatic: Vec<String>,
    pub plan: crate::plan::http::HttpPlan,
    pub opts: PlanOptions,
}

/// Plan `deploy --stage NAME...` of an HTTP API.
pub fn plan_deploy_http(
    loc: &Located<Http>,
    names: &[String],
    description: Option<&str>,
    force: bool,
    region: &str,
) -> HttpDeploy {
    use crate::plan::http::{auto_deploys, config_mark, desired, plan_stages};
    let spec_stages = match &loc.spec {
        Some(s) => {
            desired(s, &[], region)
                .keep_undeclared(Some(&loc.api))
                .stages
        }
        None => BTreeMap::new(),
    };
    let stages = named_stages(names, &spec_stages, |n| {
        loc.api.stages.get(n).map(|s| s.settings.clone())
    });
    // Stages that exist with auto-deploy on: API Gateway deploys every change to them.
    let automatic: Vec<String> = stages
        .iter()
        .filter(|(n, w)| {
            let have = loc.api.stages.get(*n);
            have.is_some() && auto_deploys(w, have)
        })
        .map(|(n, _)| n.clone())
        .collect();
    let mark = config_mark(&loc.api.config);
    let description = deployment_description(&mark, description);
    // Deploying never removes settings: per-route settings the spec does not declare stay.
    let opts = PlanOptions {
        prune: false,
        force_deploy: force,
    };
    let mut plan = crate::plan::http::HttpPlan::default();
    plan_stages(
        &mut plan,
        Some(&loc.api),
        &stages,
        &mark,
        &description,
        DEPLOY_REASON,
        opts,
    );
    HttpDeploy {
        stages,
        automatic,
        plan,
        opts,
    }
}
