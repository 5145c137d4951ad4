//! Loading a spec for a verb: its diagnostics are printed (stderr), and a spec with errors
//! stops the verb. (Finding, reading and planning are the engine's: [`crate::engine`].)

use std::path::Path;

use crate::spec::model::Spec;

use super::Failure;

pub use crate::engine::{Purpose, Target};

/// Load and validate a spec, printing diagnostics; `Err` when it has errors.
pub fn load_spec(path: &Path, printer: &crate::output::Printer) -> Result<Spec, Failure> {
    let loaded = crate::spec::load_with_inputs(
        path,
        &crate::spec::LoadOptions::default(),
        &super::vars::inputs(),
    );
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
    let loaded = crate::spec::load_str_inputs(
        path,
        text,
        &crate::spec::LoadOptions::default(),
        &super::vars::inputs(),
    );
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
        Some(t) => crate::spec::load_str_inputs(path, t, &opts, &super::vars::inputs()),
        None => crate::spec::load_with_inputs(path, &opts, &super::vars::inputs()),
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

/// For a spec that uses `${aws.region}` / `${aws.account_id}` (loaded only once the clients
/// know them): check it first with the offline values ([`super::vars::inputs`] before
/// connecting), so a malformed spec is refused before any AWS call. Prints only errors;
/// the real load prints the warnings.
pub fn precheck(
    path: &Path,
    text: Option<&str>,
    printer: &crate::output::Printer,
) -> Result<(), Failure> {
    let opts = crate::spec::LoadOptions::default();
    let inputs = super::vars::inputs();
    let loaded = match text {
        Some(t) => crate::spec::load_str_inputs(path, t, &opts, &inputs),
        None => crate::spec::load_with_inputs(path, &opts, &inputs),
    };
    if !loaded.has_errors() {
        return Ok(());
    }
    for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
        eprint!("{}", d.render(printer.color));
    }
    Err(Failure::invalid_spec(path, &loaded.diagnostics))
}
