//! What both kinds of API plan with: the planner's options and when a stage's deployment
//! serves the current configuration.

/// How the planner treats what the spec does not declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// Delete resources, methods, authorizers and gateway responses the spec does not
    /// declare. True for APIs gwctl created (ownership tag); for adopted APIs only with
    /// `--prune`.
    pub prune: bool,
    /// Create a deployment even if every stage already serves this configuration.
    pub force_deploy: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            prune: true,
            force_deploy: false,
        }
    }
}

/// Why a plan deploys: the API changed in this plan, or a stage serves another configuration.
pub fn deployment_reason(api_changed: bool) -> &'static str {
    if api_changed {
        "the API configuration changed"
    } else {
        "the stage does not serve the current configuration"
    }
}

/// True when the deployment `description` was written for configuration `mark`
/// (gwctl writes the mark first, optionally followed by the user's `--description`).
pub fn deployment_serves(description: Option<&str>, mark: &str) -> bool {
    description
        .and_then(|d| d.split_whitespace().next())
        .is_some_and(|first| first == mark)
}

/// Whether a deployment gwctl did not make (its description lacks the mark, e.g. the
/// console's or SAM's) is taken to serve the current configuration: on an adopted API
/// (`prune` off) whose plan changes nothing in the API, without `--force`. Adopting an API
/// (`gwctl export`, then `apply --api-id`) then redeploys nothing; the first change gwctl
/// makes deploys as usual.
pub fn hand_deployment_serves(
    description: Option<&str>,
    opts: PlanOptions,
    api_changed: bool,
) -> bool {
    !opts.prune
        && !opts.force_deploy
        && !api_changed
        && !description.is_some_and(|d| d.starts_with(crate::state::DEPLOYMENT_MARK))
}
