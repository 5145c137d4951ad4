//! The engine: the flow every verb shares, for every kind of API, between `cli` (which
//! parses arguments and renders) and `aws` / `plan` (which call AWS and decide).
//!
//! - [`find`]: which API is the spec's (ownership by tag, adoption by `--api-id`), and which
//!   API a verb names (`--api NAME`, `--api-id ID`, a spec).
//! - [`Flavour`]: what each kind of API supplies (its reader, desired model, planner,
//!   executor); [`rest::Rest`], [`http::Http`] and [`ws::Ws`] implement it side by side.
//! - [`prepare`]: resolve functions, find, read, derive the desired state, plan (reads only).
//! - [`run`] and [`converge::execute_converging`]: run the ops, re-planning after a conflict
//!   and keeping one API when concurrent runs created two.
//! - [`lifecycle`]: what `destroy`, `deploy` and `show` decide.
//!
//! The engine never prints. It returns typed results and typed errors ([`EngineError`]);
//! what happens while it works is told to a [`Reporter`] as [`Event`]s, which `cli`
//! renders (progress bar, warnings).

pub mod converge;
pub mod domains;
pub mod error;
pub mod export;
pub mod find;
pub mod flavour;
pub mod http;
pub mod lifecycle;
pub mod multi;
pub mod report;
pub mod rest;
pub mod v2;
pub mod ws;

pub use error::EngineError;
pub use find::{Purpose, Target};
pub use flavour::{prepare, run, AnyOps, CanaryAction, Deploy, Flavour, Prepared, SavedKind, Verb};

/// Whether the kind `kind` supports `verb` ([`Flavour::SUPPORTS`]): `Err` is the refusal,
/// naming the API `name`.
pub fn check_supports(
    kind: crate::spec::model::ApiKind,
    verb: Verb,
    name: &str,
) -> Result<(), EngineError> {
    fn check<F: Flavour>(verb: Verb, name: &str) -> Result<(), EngineError> {
        if F::SUPPORTS.contains(&verb) {
            return Ok(());
        }
        Err(EngineError::UnsupportedKind {
            name: name.to_string(),
            kind: F::LABEL,
        })
    }
    match kind {
        crate::spec::model::ApiKind::Rest => check::<Rest>(verb, name),
        crate::spec::model::ApiKind::Http => check::<Http>(verb, name),
        crate::spec::model::ApiKind::WebSocket => check::<Ws>(verb, name),
    }
}

/// Every kind of API, as saved plans name them (a new kind adds its line here).
pub const KINDS: &[SavedKind] = &[
    SavedKind::of::<Rest>(),
    SavedKind::of::<Http>(),
    SavedKind::of::<Ws>(),
];
pub use http::Http;
pub use rest::{role_hint, Rest};
pub use ws::Ws;

/// Something the engine reports while it works (the caller decides how to show it).
#[derive(Debug)]
pub enum Event<'a> {
    /// A run of `total` ops starts.
    RunStarted { total: usize },
    /// Op `index` was sent.
    OpStarted { index: usize, label: &'a str },
    /// An op finished (applied or failed).
    OpFinished,
    /// The run ended.
    RunDone,
    /// The run stopped after Ctrl-C: `labels` names every op, `completed` those applied.
    Interrupted {
        labels: &'a [String],
        completed: &'a [usize],
    },
    /// A call met a ConflictException: the account changed under the run; planning again.
    Replanning { op: &'a str, message: &'a str },
    /// Another run created the same API at the same time; this run's (`ours`) is deleted.
    LostRace {
        kind: &'static str,
        name: &'a str,
        winner: &'a str,
        ours: &'a str,
    },
    /// The winning run stopped with `left` calls still to make: this run makes them.
    Resuming { left: usize },
    /// The definition path put the API's definition (`refused`: the error; the run goes on
    /// granularly from what exists either way).
    Definition { refused: Option<&'a str> },
}

/// Receives the engine's [`Event`]s.
pub trait Reporter {
    fn event(&self, event: Event<'_>);
}

/// A [`Reporter`] that shows nothing (tests, reads).
pub struct Silent;

impl Reporter for Silent {
    fn event(&self, _: Event<'_>) {}
}

/// Call the generic async function `$f` with the [`Flavour`] of the API kind `$kind`: the one
/// place where the kinds of API are told apart.
///
/// ```ignore
/// with_flavour!(spec.api.kind, apply_with(&clients, args, printer, spec))
/// ```
macro_rules! with_flavour {
    ($kind:expr, $f:ident ( $($arg:expr),* $(,)? )) => {
        match $kind {
            $crate::spec::model::ApiKind::Rest => $f::<$crate::engine::Rest>($($arg),*).await,
            $crate::spec::model::ApiKind::Http => $f::<$crate::engine::Http>($($arg),*).await,
            $crate::spec::model::ApiKind::WebSocket => $f::<$crate::engine::Ws>($($arg),*).await,
        }
    };
}
pub(crate) use with_flavour;

/// Call the generic async function `$f` with the API `$located` (a
/// [`find::AnyLocated`]) as its first argument, typed by its kind's [`Flavour`].
macro_rules! with_located {
    ($located:expr, $f:ident ( $($arg:expr),* $(,)? )) => {
        match $located {
            $crate::engine::find::AnyLocated::Rest(l) => {
                $f::<$crate::engine::Rest>(l, $($arg),*).await
            }
            $crate::engine::find::AnyLocated::Http(l) => {
                $f::<$crate::engine::Http>(l, $($arg),*).await
            }
            $crate::engine::find::AnyLocated::Ws(l) => {
                $f::<$crate::engine::Ws>(l, $($arg),*).await
            }
        }
    };
}
pub(crate) use with_located;

#[cfg(test)]
mod tests {
    /// The engine sits between cli and aws: it never imports cli or output, and never prints
    /// (it returns typed results; cli renders them).
    #[test]
    fn the_engine_neither_imports_cli_nor_prints() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/engine");
        let mut files = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            files += 1;
            // The code, not its unit tests (this one names what it looks for).
            let code_part = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (n, line) in code_part.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                for banned in [
                    "crate::cli",
                    "crate::output",
                    "super::super::cli",
                    "print!(",
                    "println!(",
                    "eprint!(",
                    "eprintln!(",
                    "std::io::stdout",
                    "std::io::stderr",
                ] {
                    assert!(
                        !code.contains(banned),
                        "{}:{}: the engine must not use `{banned}`: {line}",
                        path.display(),
                        n + 1
                    );
                }
            }
        }
        assert!(files >= 8, "found only {files} engine files");
    }
}

#[cfg(test)]
mod kind_tests {
    use super::*;
    use crate::spec::model::ApiKind;

    #[test]
    fn only_kinds_that_support_a_verb_pass_its_check() {
        for verb in [Verb::Cors, Verb::Verify] {
            assert!(check_supports(ApiKind::Rest, verb, "a").is_ok());
            let err = check_supports(ApiKind::Http, verb, "a").unwrap_err();
            assert_eq!(
                err.to_string(),
                "`a` is an http api: this verb supports rest apis in this version"
            );
            let err = check_supports(ApiKind::WebSocket, verb, "a").unwrap_err();
            assert_eq!(
                err.to_string(),
                "`a` is a websocket api: this verb supports rest apis in this version"
            );
        }
    }
}
