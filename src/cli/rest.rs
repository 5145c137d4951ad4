//! Loading a spec for a verb: its diagnostics are printed (stderr), and a spec with errors
//! stops the verb. (Finding, reading and planning are the engine's: [`crate::engine`].)

use std::path::Path;

use crate::spec::model::Spec;

use super::Failure;

pub use crate::engine::{Purpose, Target};

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
