//! Many APIs in one run (`gwctl plan|apply A.yaml B.yaml ...`, docs/design.md "Many APIs in
//! one run"): the specs are checked against each other before any call, every API is read
//! and planned, then (after one confirmation, which `cli` asks) every API is applied at the
//! same time through the one set of [`Clients`] the run was given. The clients hold the
//! account's pacer ([`crate::aws::pace`]), so the sum of the calls of all the APIs stays
//! within the account's and each operation's quota, exactly as one API's calls do.
//!
//! A failure of one API (reading, planning or applying it) does not stop the others: each
//! API ends with its own [`Outcome`], and `cli` reports which failed.
//!
//! The runtime is single-threaded: the APIs run concurrently (their calls interleave while
//! each waits for its pacing slot or AWS's answer), not in parallel, which is all a paced
//! control plane allows anyway.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::Poll;

use crate::aws::pace::ranked;
use crate::aws::Clients;
use crate::spec::model::{ApiKind, Spec};

use crate::plan::Plan;

use super::find::{self, AnyLocated, Located};
use super::report::{KeyReport, StageReport};
use super::{prepare, EngineError, Flavour, Http, Prepared, Purpose, Reporter, Rest, Target, Ws};

/// Two specs of one run describe the same API (same name and kind), or several specs were
/// given with one `--api-id`: refused before any call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManyError {
    #[error("{} and {} both describe the {kind} `{name}`", first.display(), second.display())]
    SameApi {
        kind: &'static str,
        name: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("`--api-id` names one API, and {count} specs were given")]
    ApiIdWithSeveralSpecs { count: usize },
}

impl ManyError {
    /// What to do about it.
    pub fn hint(&self) -> String {
        match self {
            ManyError::SameApi { .. } => {
                "rename one of the APIs, or give the spec only once".to_string()
            }
            ManyError::ApiIdWithSeveralSpecs { .. } => {
                "adopt an API by id with one spec per run".to_string()
            }
        }
    }
}

fn kind_label(kind: ApiKind) -> &'static str {
    match kind {
        ApiKind::Rest => Rest::LABEL,
        ApiKind::Http => Http::LABEL,
        ApiKind::WebSocket => Ws::LABEL,
    }
}

/// Refuse specs that name the same API (name and kind), and `--api-id` (`api_id`) with more
/// than one spec: two runs on one API in the same process would race each other. Every
/// problem is returned, in spec order. Pure: no call.
pub fn check_distinct(specs: &[&Spec], api_id: Option<&str>) -> Vec<ManyError> {
    let mut errors = Vec::new();
    if api_id.is_some() && specs.len() > 1 {
        errors.push(ManyError::ApiIdWithSeveralSpecs { count: specs.len() });
    }
    for (i, s) in specs.iter().enumerate() {
        if let Some(first) = specs[..i]
            .iter()
            .find(|f| f.api.kind == s.api.kind && f.api.name.value == s.api.name.value)
        {
            errors.push(ManyError::SameApi {
                kind: kind_label(s.api.kind),
                name: s.api.name.value.clone(),
                first: first.file.clone(),
                second: s.file.clone(),
            });
        }
    }
    errors
}

/// A future of one API's work (the kinds' futures differ in type).
type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A prepared API of either kind.
pub enum AnyPrepared {
    Rest(Box<Prepared<Rest>>),
    Http(Box<Prepared<Http>>),
    Ws(Box<Prepared<Ws>>),
}

/// One API of a run after [`apply_all`], of either kind.
pub enum AnyRun {
    Rest(Box<Run<Rest>>),
    Http(Box<Run<Http>>),
    Ws(Box<Run<Ws>>),
}

/// Evaluate `$body` with `$p` bound to the boxed value inside an [`AnyPrepared`], an
/// [`AnyRun`] or an [`AnyDoomed`] (`$e`, of the enum `$any` in scope), typed by its kind: generic functions
/// called in `$body` infer the [`Flavour`].
macro_rules! with_any {
    ($any:ident, $e:expr, $p:ident => $body:expr) => {{
        match $e {
            $any::Rest($p) => $body,
            $any::Http($p) => $body,
            $any::Ws($p) => $body,
        }
    }};
}
pub(crate) use with_any;

/// One spec of a run that could not be read or planned: what it describes and why.
#[derive(Debug)]
pub struct NotPrepared {
    pub file: PathBuf,
    pub name: String,
    pub kind: &'static str,
    pub error: EngineError,
}

/// Read and plan every spec at the same time (reads only). Each spec gives its API
/// prepared, or why it could not be (the others are unaffected), in spec order.
pub async fn prepare_all(
    clients: &Clients,
    specs: Vec<Spec>,
    target: &Target,
) -> Vec<Result<AnyPrepared, NotPrepared>> {
    let futures: Vec<Boxed<'_, Result<AnyPrepared, NotPrepared>>> = specs
        .into_iter()
        .map(|spec| {
            let (file, name, kind) = (
                spec.file.clone(),
                spec.api.name.value.clone(),
                spec.api.kind,
            );
            let fut = async move {
                let prepared = match kind {
                    ApiKind::Rest => prepare::<Rest>(clients, spec, target)
                        .await
                        .map(|p| AnyPrepared::Rest(Box::new(p))),
                    ApiKind::Http => prepare::<Http>(clients, spec, target)
                        .await
                        .map(|p| AnyPrepared::Http(Box::new(p))),
                    ApiKind::WebSocket => prepare::<Ws>(clients, spec, target)
                        .await
                        .map(|p| AnyPrepared::Ws(Box::new(p))),
                };
                prepared.map_err(|error| NotPrepared {
                    file,
                    name,
                    kind: kind_label(kind),
                    error,
                })
            };
            Box::pin(fut) as Pin<Box<dyn Future<Output = _>>>
        })
        .collect();
    join_all(futures).await
}

/// How one API's apply ended.
#[derive(Debug)]
pub enum Outcome {
    /// The plan was empty: nothing was written.
    NoChanges {
        api_id: String,
        stages: Vec<StageReport>,
        keys: Vec<KeyReport>,
    },
    /// Every call of the plan was made.
    Applied {
        api_id: String,
        stages: Vec<StageReport>,
        keys: Vec<KeyReport>,
    },
    /// The run stopped (`interrupted`: by Ctrl-C); `failed_op` is the plan op that failed, if
    /// the executor ran; `applied` of `total` calls were made.
    Failed {
        api_id: Option<String>,
        failed_op: Option<String>,
        applied: usize,
        total: usize,
        interrupted: bool,
        error: EngineError,
    },
}

impl Outcome {
    pub fn failed(&self) -> bool {
        matches!(self, Outcome::Failed { .. })
    }
}

/// One API after [`apply_all`]: its name, whether gwctl owns it, the plan as applied (`None`
/// when the run stopped while planning again), what the checks before the first write could
/// not check (`warnings`), and how it ended.
pub struct Run<F: Flavour> {
    pub name: String,
    pub owned: bool,
    pub prep: Option<Prepared<F>>,
    pub warnings: Vec<String>,
    pub outcome: Outcome,
}

/// Apply every prepared API at the same time through `clients` (whose pacer they share),
/// `reporters[i]` telling what happens to API `i`. The pacer serves the APIs' calls in the
/// order of the run ([`ranked`]): the first API goes as fast as it can and the others use
/// the rest of the account's rate, so the APIs finish (and deploy) one after another
/// instead of all reaching their deployments (1 per 5 s per account) at the end. Each API ends with its own outcome; one
/// failing does not stop the others. `force_deploy` and `prune` come from `target` as for
/// one API; values of API keys only with `show_secrets`.
pub async fn apply_all(
    clients: &Clients,
    preps: Vec<AnyPrepared>,
    target: &Target,
    reporters: &[&dyn Reporter],
    show_secrets: bool,
) -> Vec<AnyRun> {
    let futures: Vec<Boxed<'_, AnyRun>> = preps
        .into_iter()
        .zip(reporters.iter().copied())
        .map(|(p, reporter)| match p {
            AnyPrepared::Rest(p) => Box::pin(async move {
                AnyRun::Rest(Box::new(
                    apply_one(clients, *p, target, reporter, show_secrets).await,
                ))
            }) as Boxed<'_, AnyRun>,
            AnyPrepared::Http(p) => Box::pin(async move {
                AnyRun::Http(Box::new(
                    apply_one(clients, *p, target, reporter, show_secrets).await,
                ))
            }),
            AnyPrepared::Ws(p) => Box::pin(async move {
                AnyRun::Ws(Box::new(
                    apply_one(clients, *p, target, reporter, show_secrets).await,
                ))
            }),
        })
        .enumerate()
        .map(|(rank, fut)| Box::pin(ranked(rank as u32, fut)) as Boxed<'_, AnyRun>)
        .collect();
    join_all(futures).await
}

/// One API of [`apply_all`]: what `gwctl apply SPEC` does after its confirmation.
pub async fn apply_one<F: Flavour>(
    clients: &Clients,
    prep: Prepared<F>,
    target: &Target,
    reporter: &dyn Reporter,
    show_secrets: bool,
) -> Run<F> {
    let mut warnings = Vec::new();
    let total = prep.plan.ops.len();
    let observed_id = prep.observed.as_ref().map(|o| F::api_id(o).to_string());
    let failed = |error: EngineError, api_id: Option<String>| Outcome::Failed {
        api_id,
        failed_op: None,
        applied: 0,
        total,
        interrupted: false,
        error,
    };
    if prep.plan.is_empty() {
        let id = observed_id.unwrap_or_default();
        let stages = F::stages_after(clients, &prep, &id, None).await;
        let outcome = match F::keys_after(clients, &prep, None, show_secrets).await {
            Ok(keys) => Outcome::NoChanges {
                api_id: id,
                stages,
                keys,
            },
            Err(e) => failed(e, Some(id)),
        };
        return Run {
            name: prep.spec.api.name.value.clone(),
            owned: prep.owned,
            prep: Some(prep),
            warnings,
            outcome,
        };
    }
    match F::before_writes(clients, &prep.plan.ops).await {
        Ok(Some(w)) => warnings.push(w),
        Ok(None) => {}
        Err(e) => {
            let outcome = failed(e, observed_id);
            return Run {
                name: prep.spec.api.name.value.clone(),
                owned: prep.owned,
                prep: Some(prep),
                warnings,
                outcome,
            };
        }
    }
    // `execute_converging` hands the prepared API back only when it returns: after an error
    // before or between its runs (a read failing while planning again) the plan is gone.
    let (name, owned) = (prep.spec.api.name.value.clone(), prep.owned);
    let (prep, result) =
        match super::converge::execute_converging(clients, prep, target, reporter).await {
            Ok(done) => done,
            Err(error) => {
                return Run {
                    name,
                    owned,
                    prep: None,
                    warnings,
                    outcome: failed(error, observed_id),
                }
            }
        };
    let outcome = match result {
        Ok(rep) => {
            let api_id = rep.api_id.clone().unwrap_or_default();
            let stages = F::stages_after(clients, &prep, &api_id, Some(&rep)).await;
            match F::keys_after(clients, &prep, Some(&rep), show_secrets).await {
                Ok(keys) => Outcome::Applied {
                    api_id,
                    stages,
                    keys,
                },
                Err(e) => failed(e, Some(api_id)),
            }
        }
        Err(fail) => {
            let interrupted = crate::cancel::is_interruption(&fail.error);
            Outcome::Failed {
                api_id: fail.api_id.clone(),
                failed_op: prep
                    .plan
                    .ops
                    .get(fail.failed)
                    .filter(|_| !interrupted)
                    .map(crate::plan::PlanOp::label),
                applied: fail.completed.len(),
                total: prep.plan.ops.len(),
                interrupted,
                error: EngineError::Exec {
                    verb: "apply",
                    from: "what exists",
                    op: fail.op,
                    error: Box::new(fail.error),
                },
            }
        }
    };
    Run {
        name,
        owned,
        prep: Some(prep),
        warnings,
        outcome,
    }
}

/// An API a spec of `destroy` names, found, with the plan that deletes it.
pub struct Doomed<F: Flavour> {
    pub loc: Located<F>,
    pub plan: Plan<F::Op>,
}

/// [`Doomed`] of either kind.
pub enum AnyDoomed {
    Rest(Box<Doomed<Rest>>),
    Http(Box<Doomed<Http>>),
    Ws(Box<Doomed<Ws>>),
}

/// `destroy A.yaml B.yaml ...` before its confirmation: find every spec's API and plan its
/// deletion at the same time (reads only). `Ok(None)`: the spec's API does not exist;
/// `force`: also APIs gwctl did not create. In spec order.
pub async fn plan_destroy_all(
    clients: &Clients,
    specs: Vec<Spec>,
    force: bool,
) -> Vec<Result<Option<AnyDoomed>, NotPrepared>> {
    let futures: Vec<Boxed<'_, Result<Option<AnyDoomed>, NotPrepared>>> = specs
        .into_iter()
        .map(|spec| {
            let (file, name, kind) = (
                spec.file.clone(),
                spec.api.name.value.clone(),
                spec.api.kind,
            );
            let fut = async move {
                let doomed = async {
                    let found =
                        find::locate_any(clients, Some(spec), None, None, Purpose::Destroy).await?;
                    Ok(match found {
                        None => None,
                        Some(AnyLocated::Rest(loc)) => {
                            let plan = super::lifecycle::plan_destroy(clients, &loc, force).await?;
                            Some(AnyDoomed::Rest(Box::new(Doomed { loc, plan })))
                        }
                        Some(AnyLocated::Http(loc)) => {
                            let plan = super::lifecycle::plan_destroy(clients, &loc, force).await?;
                            Some(AnyDoomed::Http(Box::new(Doomed { loc, plan })))
                        }
                        Some(AnyLocated::Ws(loc)) => {
                            let plan = super::lifecycle::plan_destroy(clients, &loc, force).await?;
                            Some(AnyDoomed::Ws(Box::new(Doomed { loc, plan })))
                        }
                    })
                };
                doomed.await.map_err(|error| NotPrepared {
                    file,
                    name,
                    kind: kind_label(kind),
                    error,
                })
            };
            Box::pin(fut) as Boxed<'_, _>
        })
        .collect();
    join_all(futures).await
}

/// Delete every API of `doomed` at the same time through `clients` (whose pacer they share),
/// `reporters[i]` telling what happens to API `i`; one failing does not stop the others.
pub async fn destroy_all(
    clients: &Clients,
    doomed: &[AnyDoomed],
    reporters: &[&dyn Reporter],
) -> Vec<Result<(), EngineError>> {
    let futures: Vec<Boxed<'_, Result<(), EngineError>>> = doomed
        .iter()
        .zip(reporters.iter().copied())
        .map(|(d, reporter)| match d {
            AnyDoomed::Rest(d) => Box::pin(destroy_one(clients, d, reporter)) as Boxed<'_, _>,
            AnyDoomed::Http(d) => Box::pin(destroy_one(clients, d, reporter)),
            AnyDoomed::Ws(d) => Box::pin(destroy_one(clients, d, reporter)),
        })
        .collect();
    join_all(futures).await
}

async fn destroy_one<F: Flavour>(
    clients: &Clients,
    d: &Doomed<F>,
    reporter: &dyn Reporter,
) -> Result<(), EngineError> {
    super::run::<F>(clients, Some(&d.loc.api), &d.plan.ops, reporter)
        .await
        .map(|_| ())
        .map_err(super::lifecycle::exec_failed("destroy", "what is left"))
}

/// Run `futures` at the same time on this task; their outputs in order.
pub async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (fut, out) in futures.iter_mut().zip(done.iter_mut()) {
            if out.is_none() {
                match fut.as_mut().poll(cx) {
                    Poll::Ready(v) => *out = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    done.into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(file: &str, kind: &str, name: &str) -> Spec {
        let yaml = format!(
            "version: 1\napi:\n  name: {name}\n  kind: {kind}\nfunctions:\n  f: f\ndefault_auth: none\nroutes:\n  - path: /a\n    method: GET\n    function: f\n"
        );
        let loaded = crate::spec::load_str(std::path::Path::new(file), &yaml);
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        loaded.spec.unwrap()
    }

    #[test]
    fn specs_naming_the_same_api_or_one_api_id_are_refused() {
        let (a, b, c, d) = (
            spec("a.yaml", "rest", "shop"),
            spec("b.yaml", "rest", "shop"),
            spec("c.yaml", "http", "shop"),
            spec("d.yaml", "rest", "other"),
        );
        assert_eq!(check_distinct(&[&a, &c, &d], None), vec![]);
        assert_eq!(
            check_distinct(&[&a, &c, &b], None),
            vec![ManyError::SameApi {
                kind: "rest api",
                name: "shop".into(),
                first: "a.yaml".into(),
                second: "b.yaml".into(),
            }]
        );
        assert_eq!(
            check_distinct(&[&a, &d], Some("x1")),
            vec![ManyError::ApiIdWithSeveralSpecs { count: 2 }]
        );
        assert_eq!(check_distinct(&[&a], Some("x1")), vec![]);
    }

    #[tokio::test(start_paused = true)]
    async fn join_all_runs_futures_at_the_same_time_and_keeps_their_order() {
        let started = tokio::time::Instant::now();
        let futures = (0..5u64)
            .map(|i| async move {
                tokio::time::sleep(std::time::Duration::from_secs(5 - i)).await;
                i
            })
            .collect();
        assert_eq!(join_all(futures).await, vec![0, 1, 2, 3, 4]);
        assert_eq!(started.elapsed(), std::time::Duration::from_secs(5));
    }
}
