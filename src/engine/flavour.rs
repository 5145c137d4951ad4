//! One pipeline for every kind of API: a kind is a [`Flavour`] (its reader, desired model,
//! planner and executor), and [`prepare`] / [`run`] (and the convergence loop) are written once,
//! generic over it.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::aws::error::{AwsError, ErrorKind};
use crate::aws::exec::{ExecEvent, ExecFailure, ExecReport};
use crate::aws::{read, Clients};
use crate::plan::export::{ExportContext, Exported};
use crate::plan::PlanOptions;
use crate::plan::{Plan, PlanOp};
use crate::spec::model::Spec;
use crate::state::rest::{ApiSummary, Policies};
use crate::state::ResolvedFunction;

use super::report::{DeployedStage, KeyReport, ShowStage, StageReport};
use super::{find, EngineError, Event, Reporter, Target};

/// What one kind of API (REST, HTTP, ...) supplies to the engine. The engine's verbs are
/// generic over it; the kind is chosen once, from the spec (`spec.api.kind`).
#[allow(async_fn_in_trait)] // the runtime is single-threaded: no `Send` bound is needed
pub trait Flavour: Sized + 'static {
    /// How the kind reads in messages: `rest api`, `http api`.
    const LABEL: &'static str;
    /// The kind in JSON documents and plan files: `rest`, `http`.
    const NAME: &'static str;
    /// The field of a plan file that holds this kind's ops (`ops`, `http_ops`). The field
    /// named `ops` is always written, before `kind` (empty when the plan is of another
    /// kind); any other kind's field follows `kind`, and only when it holds ops.
    const OPS_FIELD: &'static str;
    /// The verbs that work on only some kinds which this kind supports (REST: `cors` and
    /// `verify` from a spec; HTTP: none).
    const SUPPORTS: &'static [Verb];
    /// The live API as the reader returns it.
    type Observed: Clone + Default + Serialize;
    /// The API the spec describes, in the same shapes.
    type Desired;
    /// One call of a plan.
    type Op: PlanOp + Clone + PartialEq + Serialize + DeserializeOwned;
    /// Account-level objects besides the API that the spec wants (REST: API keys and usage
    /// plans), worked out before anything is read.
    type Extra;
    /// Those objects as the account holds them.
    type ObservedExtra: Serialize;
    /// A stage's settings (what `deploy` gives the stages it names: the spec's when it
    /// declares the stage, else the stage's own).
    type StageSettings: Clone + Default;

    fn api_id(api: &Self::Observed) -> &str;
    /// The live API as [`Prepared::fingerprint`] hashes it: fields the reader gained since
    /// a release may be left out at the value the service reports when nobody set them,
    /// so saved plans of earlier builds stay valid (REST: the cache settings).
    fn fingerprinted(api: &Self::Observed) -> std::borrow::Cow<'_, Self::Observed> {
        std::borrow::Cow::Borrowed(api)
    }
    fn api_name(api: &Self::Observed) -> &str;
    fn tags(api: &Self::Observed) -> &BTreeMap<String, String>;

    /// The APIs of this kind named `name`, oldest first (ties by id).
    async fn list(clients: &Clients, name: &str) -> Result<Vec<ApiSummary>, AwsError>;
    /// Read one API; `listed` is its summary when it was found by listing (the reader may
    /// reuse what the listing answered).
    async fn read(
        clients: &Clients,
        id: &str,
        listed: Option<&ApiSummary>,
    ) -> Result<Self::Observed, AwsError>;

    /// Read what the spec needs of a found API beyond [`Flavour::read`] (REST: its models and
    /// request validators when the spec declares them). Default: nothing.
    async fn read_for_spec(
        _clients: &Clients,
        _spec: &Spec,
        _api: &mut Self::Observed,
    ) -> Result<(), AwsError> {
        Ok(())
    }

    /// The desired configuration of the spec, with its functions resolved; settings the spec
    /// leaves out keep their live values in `observed` (for the plan and the report).
    fn desired(
        spec: &Spec,
        functions: &[ResolvedFunction],
        region: &str,
        observed: Option<&Self::Observed>,
    ) -> Self::Desired;
    /// The Lambda functions a live API invokes, as (unqualified ARN, qualifier): their
    /// policies are read so that statements gwctl no longer needs can be removed.
    fn invoked(api: &Self::Observed) -> BTreeSet<(String, Option<String>)>;
    /// [`Flavour::Extra`] of the spec (may refuse, e.g. a key value missing from the
    /// environment).
    fn extra(spec: &Spec) -> Result<Self::Extra, EngineError>;
    /// Read [`Flavour::ObservedExtra`] (concurrently with the functions' policies).
    async fn read_extra(clients: &Clients, spec: &Spec) -> Result<Self::ObservedExtra, AwsError>;
    /// Check what the spec wants against what was read, before planning.
    fn check_extra(
        spec: &Spec,
        extra: &Self::Extra,
        observed: &Self::ObservedExtra,
    ) -> Result<(), EngineError>;
    /// The plan: the smallest ordered set of calls that makes `observed` the desired state.
    fn plan(prep: &Parts<'_, Self>, opts: PlanOptions) -> Plan<Self::Op>;
    /// The plan starts with this op when it creates the API.
    fn creates_api(op: &Self::Op) -> bool;
    /// The calls that remove the API `id` this run created (its permission statements first).
    fn delete_ours(desired: &Self::Desired, id: &str) -> Vec<Self::Op>;
    /// The calls that delete the API `api` and what gwctl added for it (its permission
    /// statements; REST: the API keys and usage plans gwctl created for it). Reads only.
    async fn plan_destroy(
        clients: &Clients,
        api: &Self::Observed,
    ) -> Result<Plan<Self::Op>, EngineError>;
    /// Notes about the configuration and about what could not be read, for `apply`'s report
    /// (`applying`) or `plan`'s warnings.
    fn notes(prep: &Prepared<Self>, applying: bool) -> Vec<String>;
    /// Checks made after confirmation and before the first write (REST: the account's
    /// CloudWatch role when the plan turns logging on). `Ok(Some(warning))` when a check could
    /// not be made.
    async fn before_writes(
        clients: &Clients,
        ops: &[Self::Op],
    ) -> Result<Option<String>, EngineError>;
    /// The spec's stages (as `` `name` ``) whose logging needs the account's CloudWatch Logs
    /// role in the region (`doctor` judges the role against them). REST APIs: execution logs
    /// or access logs to CloudWatch Logs; HTTP APIs write access logs through log delivery, not
    /// the account's role, so none.
    fn stages_needing_logging_role(spec: &Spec, region: &str) -> Vec<String>;
    /// How the API reads in a report after its name and id: `rest, REGIONAL`, `http`.
    fn describe(prep: &Prepared<Self>) -> Vec<String>;
    /// The spec's stages after `run` (`None`: nothing ran) on the API `api_id`.
    async fn stages_after(
        clients: &Clients,
        prep: &Prepared<Self>,
        api_id: &str,
        run: Option<&ExecReport>,
    ) -> Vec<StageReport>;
    /// The spec's API keys after `run` (values only when `show_secrets`).
    async fn keys_after(
        clients: &Clients,
        prep: &Prepared<Self>,
        run: Option<&ExecReport>,
        show_secrets: bool,
    ) -> Result<Vec<KeyReport>, EngineError>;
    /// Before a saved plan is compared with planning again: take from the saved ops what each
    /// plan draws afresh (REST: the salts of API key digests), so the same account gives the
    /// same ops.
    fn reuse_saved(prep: &mut Prepared<Self>, saved: &[Self::Op]);
    /// How a live API reads in `show` after its name and id: `rest, REGIONAL`, `http`.
    fn describe_api(api: &Self::Observed) -> Vec<String>;
    /// `show`: every stage of the live API as it is, and whether it serves the current
    /// configuration.
    fn show_stages(api: &Self::Observed, region: &str) -> Vec<ShowStage>;
    /// Warnings about what the reader could not read completely (`manual`: a stage concerned
    /// is deployed by hand, so what it serves matters).
    fn read_notes(api: &Self::Observed, manual: bool) -> Vec<String>;
    /// The environment variables holding secret values (REST: API key values) whose ops differ
    /// between a saved plan and planning again (`now`): their values changed since the plan.
    /// Only names; ops carry no value.
    fn changed_env_vars(saved: &[Self::Op], now: &[Self::Op]) -> Vec<String>;
    /// Ops of this kind among ops of any kind (a saved plan's): `None` when they are of
    /// another kind (or not ops of this kind).
    fn from_any(ops: &AnyOps) -> Option<Vec<Self::Op>> {
        if ops.kind != Self::NAME {
            return None;
        }
        ops.ops
            .iter()
            .map(|o| serde_json::from_value(o.clone()).ok())
            .collect()
    }
    /// These ops as ops of any kind (to save them).
    fn to_any(ops: Vec<Self::Op>) -> AnyOps {
        AnyOps {
            kind: Self::NAME.to_string(),
            ops: ops
                .iter()
                .map(|o| serde_json::to_value(o).expect("ops serialise"))
                .collect(),
        }
    }
    /// `gwctl export`: the spec of the live API `api` (`ctx`: the region, the functions of
    /// this account and the stage asked for), reading what else it needs (REST: the usage
    /// plans and keys). Reads only.
    async fn export(
        clients: &Clients,
        api: &Self::Observed,
        ctx: &ExportContext,
    ) -> Result<Exported, EngineError>;
    /// Whether [`Flavour::put_definition`] does anything (`apply --definition` is the
    /// granular path for kinds without it).
    const HAS_DEFINITION: bool = false;
    /// The definition path: give the API `api_id`, created by this run and still empty, its
    /// whole configuration in one call. `None`: this kind has no definition path (HTTP APIs:
    /// no emulator here implements ImportApi, so it stays untested and unused).
    async fn put_definition(
        _clients: &Clients,
        _desired: &Self::Desired,
        _api_id: &str,
    ) -> Option<Result<(), AwsError>> {
        None
    }
    /// `deploy --stage NAME...` of the API `loc` found: the stages named with their settings
    /// (the spec's when `loc` has a spec declaring the stage, else the stage's own), those
    /// API Gateway deploys itself, and the plan (one deployment, with `description` after the
    /// configuration mark, shared by the stages that do not serve the API's current
    /// configuration; all of them when `force`). Reads nothing: `loc` holds what was read.
    fn plan_deploy(
        loc: &find::Located<Self>,
        names: &[String],
        description: Option<&str>,
        force: bool,
        region: &str,
    ) -> Deploy<Self>;
    /// `deploy`'s report of each stage of `deploy` after its plan ran on `api` (as read
    /// before the run; `deployment_id`: the deployment the run created): the settings in
    /// effect (JSON), and in `shown` the ones its text line names.
    fn deployed_stages(
        api: &Self::Observed,
        deploy: &Deploy<Self>,
        region: &str,
        deployment_id: Option<&str>,
    ) -> Vec<DeployedStage>;
    /// `deploy --stage STAGE --canary|--promote|--rollback` of the API `loc` found (one
    /// stage in `stages`; kinds
    /// whose [`Flavour::SUPPORTS`] has [`Verb::Canary`]; the others refuse). Reads nothing.
    fn plan_canary(
        loc: &find::Located<Self>,
        stages: &[String],
        action: CanaryAction,
        description: Option<&str>,
        force: bool,
    ) -> Result<Deploy<Self>, EngineError> {
        let _ = (stages, action, description, force);
        Err(EngineError::UnsupportedKind {
            name: Self::api_name(&loc.api).to_string(),
            kind: Self::LABEL,
        })
    }
    /// Custom domain names (`domains:`): the API family that maps this kind's APIs; `None`
    /// for kinds without (the spec reader refuses the key for them).
    const DOMAIN_API: Option<crate::aws::read::domains::DomainApi> = None;
    /// A domain op as an op of this kind (`Some` for every kind with a
    /// [`Flavour::DOMAIN_API`]).
    fn domain_op(op: crate::plan::domains::DomainOp) -> Option<Self::Op> {
        let _ = op;
        None
    }
    /// Run `ops` with this kind's executor (seeded with the ids of `observed`).
    async fn execute(
        clients: &Clients,
        observed: Option<&Self::Observed>,
        ops: &[Self::Op],
        on_event: &mut dyn FnMut(ExecEvent<'_, Self::Op>),
    ) -> Result<ExecReport, ExecFailure>;
}

/// What `deploy` does to an API ([`Flavour::plan_deploy`]); `cli` renders it the same for
/// every kind.
pub struct Deploy<F: Flavour> {
    /// The stages named, with the settings they keep (or are given).
    pub stages: BTreeMap<String, F::StageSettings>,
    /// The stages named that API Gateway deploys itself (auto-deploy on; none for REST):
    /// `deploy` only says so.
    pub automatic: Vec<String>,
    /// The stages the `up to date` line names when the plan is empty, in the kind's order
    /// (REST: as named; HTTP: sorted, without the automatic ones).
    pub up_to_date: Vec<String>,
    /// The calls: a deployment and the stage updates (or creations) that move the stages.
    pub plan: Plan<F::Op>,
}

impl<F: Flavour> Deploy<F> {
    /// `deploy`'s result: `deployed`, `automatic` (every stage named deploys itself) or
    /// `up_to_date`.
    pub fn result(&self) -> &'static str {
        match (
            self.plan.is_empty(),
            self.automatic.len() == self.stages.len(),
        ) {
            (false, _) => "deployed",
            (true, true) => "automatic",
            (true, false) => "up_to_date",
        }
    }

    /// A stage named is deployed by hand (auto-deploy off): what it serves matters, so a
    /// deployment list the reader could not read completely is worth a warning.
    pub fn any_manual(&self) -> bool {
        self.automatic.len() < self.stages.len()
    }
}

/// Verbs that work on only some kinds of API ([`Flavour::SUPPORTS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `cors`: CORS settings of a live API.
    Cors,
    /// `verify` with a spec (it finds the spec's API).
    Verify,
    /// `deploy --canary`, `--promote`, `--rollback`: canary releases.
    Canary,
}

/// What `deploy` does to a stage's canary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CanaryAction {
    /// Deploy the current configuration to the canary, with this share of traffic (else
    /// the spec's `canary.percent`).
    Deploy { percent: Option<f64> },
    /// The canary becomes the stage's deployment, and is removed.
    Promote,
    /// The canary is removed.
    Rollback,
}

/// The ops of a plan of any kind, as a saved plan holds them: the kind's
/// [`Flavour::NAME`] and its ops as JSON ([`Flavour::from_any`] reads them back).
#[derive(Debug, Clone, PartialEq)]
pub struct AnyOps {
    pub kind: String,
    pub ops: Vec<serde_json::Value>,
}

/// A kind as a plan file knows it: its [`Flavour::NAME`], its [`Flavour::OPS_FIELD`], and a
/// check that JSON ops are ops of the kind (the reason when they are not).
pub struct SavedKind {
    pub name: &'static str,
    pub ops_field: &'static str,
    pub check: fn(&[serde_json::Value]) -> Result<(), String>,
}

impl SavedKind {
    /// The entry of the kind `F`.
    pub const fn of<F: Flavour>() -> SavedKind {
        SavedKind {
            name: F::NAME,
            ops_field: F::OPS_FIELD,
            check: check_ops::<F>,
        }
    }
}

fn check_ops<F: Flavour>(ops: &[serde_json::Value]) -> Result<(), String> {
    for op in ops {
        serde_json::from_value::<F::Op>(op.clone()).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// What [`Flavour::plan`] plans from.
pub struct Parts<'a, F: Flavour> {
    pub desired: &'a F::Desired,
    pub observed: Option<&'a F::Observed>,
    pub policies: &'a Policies,
    pub extra: &'a F::Extra,
    pub observed_extra: &'a F::ObservedExtra,
}

/// Everything `plan` computed, kept for `apply` to execute and report.
pub struct Prepared<F: Flavour> {
    pub spec: Spec,
    pub functions: Vec<ResolvedFunction>,
    pub desired: F::Desired,
    pub observed: Option<F::Observed>,
    /// gwctl created this API (ownership tag present), or will create it.
    pub owned: bool,
    pub policies: Policies,
    pub plan: Plan<F::Op>,
    /// Plan options in effect (`prune` is true for owned APIs).
    pub opts: PlanOptions,
    pub extra: F::Extra,
    pub observed_extra: F::ObservedExtra,
    /// The custom domains read for the spec's `domains:` (`None`: the spec has no such key).
    pub domains: Option<crate::state::domains::ObservedDomains>,
    /// Notes of the domain plan (a domain gwctl did not create keeps its settings).
    pub domain_notes: Vec<String>,
}

impl<F: Flavour> Prepared<F> {
    /// The plan starts by creating the API.
    pub fn creates_api(&self) -> bool {
        self.plan.ops.first().is_some_and(F::creates_api)
    }

    /// A digest of what the plan was computed from (what the account holds and the resolved
    /// functions): a saved plan is applied only if it is the same, and a run watching
    /// another run sees it make progress when it changes.
    pub fn fingerprint(&self, region: &str) -> String {
        #[derive(Serialize)]
        struct Basis<'a, O: Clone, X> {
            region: &'a str,
            observed: Option<std::borrow::Cow<'a, O>>,
            policies: &'a Policies,
            functions: Vec<(&'a str, String)>,
            extra: &'a X,
            #[serde(skip_serializing_if = "Option::is_none")]
            domains: Option<&'a crate::state::domains::ObservedDomains>,
        }
        let basis = Basis {
            region,
            observed: self.observed.as_ref().map(F::fingerprinted),
            policies: &self.policies,
            functions: self
                .functions
                .iter()
                .map(|f| (f.key.as_str(), f.invoke_arn()))
                .collect(),
            extra: &self.observed_extra,
            domains: self.domains.as_ref(),
        };
        let bytes = serde_json::to_vec(&basis).expect("basis serialises");
        use sha2::Digest;
        sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Read everything and plan: resolve the functions (a missing one stops here, before any
/// write), work out the extras, find the API, derive the desired state, read the policies
/// and the extras, plan. Makes only read calls.
///
/// Reads that do not depend on each other run at the same time, so that the first write
/// waits for the longest chain of reads only, not for their sum: the functions and then
/// their policies (Lambda) beside finding and reading the API and reading the extras (API
/// Gateway). Only the policies of functions the live API invokes that the spec does not
/// name wait for the API. Errors keep the precedence of the sequential order: functions,
/// extras, the API, policies, extras read.
pub async fn prepare<F: Flavour>(
    clients: &Clients,
    spec: Spec,
    target: &Target,
) -> Result<Prepared<F>, EngineError> {
    let extra = match F::extra(&spec) {
        Ok(extra) => extra,
        Err(e) => {
            // A missing function is still named first.
            resolve(clients, &spec).await?;
            return Err(e);
        }
    };
    let lambda = async {
        let functions = resolve(clients, &spec).await?;
        let policies = read_policies_for(clients, &functions, BTreeSet::new()).await;
        Ok::<_, EngineError>((functions, policies))
    };
    let api = async {
        match find::find::<F>(clients, &spec, target).await? {
            Some((mut api, owned)) => {
                F::read_for_spec(clients, &spec, &mut api).await?;
                Ok::<_, EngineError>(Some((api, owned)))
            }
            None => Ok(None),
        }
    };
    let (lambda, found, observed_extra, domains) = tokio::join!(
        lambda,
        api,
        F::read_extra(clients, &spec),
        super::domains::read_for(clients, F::DOMAIN_API, &spec),
    );
    let (functions, policies) = lambda?;
    let (observed, owned) = match found? {
        Some((api, owned)) => (Some(api), owned),
        None => (None, true),
    };
    let mut policies = policies?;
    let observed_extra = observed_extra?;
    let domains = domains?;
    let desired = F::desired(&spec, &functions, &clients.region, observed.as_ref());
    // The functions the live API invokes whose policies were not read with the spec's.
    let read: BTreeSet<(String, Option<String>)> = functions
        .iter()
        .map(|f| (f.function_arn.clone(), f.qualifier.clone()))
        .collect();
    let invoked: BTreeSet<(String, Option<String>)> = observed
        .as_ref()
        .map(F::invoked)
        .unwrap_or_default()
        .into_iter()
        .filter(|f| !read.contains(f))
        .collect();
    if !invoked.is_empty() {
        policies.extend(read_policies_for(clients, &[], invoked).await?);
    }
    F::check_extra(&spec, &extra, &observed_extra)?;
    let opts = PlanOptions {
        prune: owned || target.prune,
        force_deploy: target.force_deploy,
    };
    let mut plan = F::plan(
        &Parts {
            desired: &desired,
            observed: observed.as_ref(),
            policies: &policies,
            extra: &extra,
            observed_extra: &observed_extra,
        },
        opts,
    );
    let domain_notes = super::domains::plan_into(
        &mut plan,
        F::domain_op,
        &spec,
        domains.as_ref(),
        observed.as_ref().map(F::api_id),
    )?;
    Ok(Prepared {
        spec,
        functions,
        desired,
        observed,
        owned,
        policies,
        plan,
        opts,
        extra,
        observed_extra,
        domains,
        domain_notes,
    })
}

/// Resolve every function the spec references (get-function each). Each one that cannot be
/// resolved gets a diagnostic at its spec line; a failure that is not about any one function
/// (no network, no credentials) is one AWS error.
pub async fn resolve(clients: &Clients, spec: &Spec) -> Result<Vec<ResolvedFunction>, EngineError> {
    let errors = match read::resolve_functions(clients, spec).await {
        Ok(f) => return Ok(f),
        Err(errors) => errors,
    };
    if let Some(first) = errors.first() {
        if matches!(
            first.error.kind,
            ErrorKind::Transport | ErrorKind::AccessDenied
        ) && errors.iter().all(|e| e.error.kind == first.error.kind)
        {
            return Err(EngineError::Aws(AwsError {
                kind: first.error.kind,
                operation: first.error.operation.clone(),
                code: first.error.code.clone(),
                message: first.error.message.clone(),
            }));
        }
    }
    let diagnostics = errors
        .iter()
        .map(|e| {
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
            crate::spec::diagnostic_at(spec, e.pos, crate::spec::Severity::Error, message, hint)
        })
        .collect();
    Err(EngineError::FunctionsUnresolved {
        count: errors.len(),
        diagnostics,
    })
}

/// The Lambda policies of every function the spec uses plus `invoked`, the functions the live
/// API still invokes (so that statements for functions no longer used can be removed); one
/// get-policy per function.
pub async fn read_policies_for(
    clients: &Clients,
    functions: &[ResolvedFunction],
    invoked: BTreeSet<(String, Option<String>)>,
) -> Result<Policies, EngineError> {
    let mut fns: BTreeSet<(String, Option<String>)> = functions
        .iter()
        .map(|f| (f.function_arn.clone(), f.qualifier.clone()))
        .collect();
    fns.extend(invoked);
    let fns: Vec<_> = fns.into_iter().collect();
    Ok(read::read_policies(clients, &fns).await?)
}

/// Run `ops` with the executor of `F` (seeded with the ids of `observed`), telling
/// `reporter` about each op, and after Ctrl-C what was and was not applied.
pub async fn run<F: Flavour>(
    clients: &Clients,
    observed: Option<&F::Observed>,
    ops: &[F::Op],
    reporter: &dyn Reporter,
) -> Result<ExecReport, ExecFailure> {
    reporter.event(Event::RunStarted { total: ops.len() });
    let mut on_event = |e: ExecEvent<'_, F::Op>| match e {
        ExecEvent::Started { index, op, .. } => reporter.event(Event::OpStarted {
            index,
            label: &op.label(),
        }),
        ExecEvent::Finished { .. } | ExecEvent::Failed { .. } => reporter.event(Event::OpFinished),
    };
    crate::cancel::set_phase(crate::cancel::Phase::Executing);
    let result = F::execute(clients, observed, ops, &mut on_event).await;
    crate::cancel::set_phase(crate::cancel::Phase::Done);
    reporter.event(Event::RunDone);
    if let Err(f) = &result {
        if crate::cancel::is_interruption(&f.error) {
            let labels: Vec<String> = ops.iter().map(PlanOp::label).collect();
            reporter.event(Event::Interrupted {
                labels: &labels,
                completed: &f.completed,
            });
        }
    }
    result
}

/// The spec's custom domains for a report of the API `api_id`: as read before the run
/// (`ran` false, or the plan changed no domain), else read again (one get-domain-names and
/// one mapping list per domain). Empty without `domains:`.
pub async fn domains_after<F: Flavour>(
    clients: &Clients,
    prep: &Prepared<F>,
    api_id: Option<&str>,
    ran: bool,
) -> Result<Vec<super::domains::DomainReport>, EngineError> {
    let Some(before) = &prep.domains else {
        return Ok(Vec::new());
    };
    let wanted = crate::plan::domains::desired(&prep.spec);
    let changed = ran
        && prep
            .plan
            .ops
            .iter()
            .any(|o| super::domains::is_domain_call(o.aws_name()));
    if !changed {
        return Ok(super::domains::reports(&before.domains, &wanted, api_id));
    }
    Ok(
        super::domains::reports_after(clients, F::DOMAIN_API, &prep.spec, api_id)
            .await?
            .unwrap_or_default(),
    )
}
