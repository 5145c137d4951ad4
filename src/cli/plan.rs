//! `gwctl plan`, for every kind of API: arguments in, one engine call (read only), the plan
//! rendered as text or JSON (and saved with `--out`).

use crate::aws::Clients;
use crate::engine::{prepare, AnyOps, Flavour};
use crate::output::{plan_doc, ApiDoc, Printer};
use crate::spec::model::Spec;

use super::apply::{api_doc, show_plan};
use super::planfile;
use super::rest::{load_spec, Target};
use super::{connect, Failure, GlobalArgs, PlanArgs};

pub async fn plan(args: &PlanArgs, g: &GlobalArgs, printer: &Printer) -> Result<i32, Failure> {
    // A spec using `${aws.region}` / `${aws.account_id}` is loaded once they are known.
    let (spec, clients) = if super::vars::needs_aws() {
        super::rest::precheck(&args.spec, None, printer)?;
        let clients = connect(g).await?;
        (load_spec(&args.spec, printer)?, clients)
    } else {
        let spec = load_spec(&args.spec, printer)?;
        (spec, connect(g).await?)
    };
    crate::engine::with_flavour!(spec.api.kind, plan_with(&clients, args, printer, spec))
}

/// [`plan`] with the clients given and the spec loaded (tests use offline or emulator
/// clients).
pub async fn plan_with<F: Flavour>(
    clients: &Clients,
    args: &PlanArgs,
    printer: &Printer,
    spec: Spec,
) -> Result<i32, Failure> {
    let target = Target {
        api_id: args.api_id.clone(),
        prune: args.prune,
        force_deploy: false,
        ..Default::default()
    };
    let prep = prepare::<F>(clients, spec, &target).await?;
    let api_id = prep.observed.as_ref().map(|o| F::api_id(o).to_string());
    finish_plan(
        args,
        printer,
        clients,
        api_doc(&prep, api_id),
        &prep.plan,
        || {
            (
                prep.fingerprint(&clients.region),
                F::to_any(prep.plan.ops.clone()),
            )
        },
        &F::notes(&prep, false),
    )
}

/// The end of `gwctl plan` for either kind of API: the plan file when `--out` is given
/// (`saved` gives the fingerprint of what was read, and the ops), the plan on stdout,
/// `warnings` on stderr, and the exit code.
pub(super) fn finish_plan<O: crate::plan::PlanOp>(
    args: &PlanArgs,
    printer: &Printer,
    clients: &Clients,
    api: ApiDoc,
    plan: &crate::plan::Plan<O>,
    saved: impl FnOnce() -> (String, AnyOps),
    warnings: &[String],
) -> Result<i32, Failure> {
    if let Some(out) = &args.out {
        let (fingerprint, ops) = saved();
        planfile::write_out(out, args, &clients.region, &api, fingerprint, ops, printer)?;
    }
    if printer.json() {
        printer.document(&plan_doc("plan", api, plan));
    } else {
        show_plan(printer, &api.name, api.id.as_deref(), plan);
    }
    for w in warnings {
        printer.warn(w);
    }
    printer.debug(&format!("{} read calls", clients.calls.len()));
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        crate::exit::CHANGES
    } else {
        crate::exit::OK
    })
}
