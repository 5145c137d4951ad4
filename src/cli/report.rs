//! How the engine's [`Event`]s read on a terminal: a progress bar or plain step lines, the
//! warnings of the convergence loop, and after Ctrl-C what was and was not applied.

use std::cell::RefCell;

use crate::engine::{Event, Reporter};
use crate::output::{Printer, Progress};

/// Renders engine events with a [`Printer`] (stderr only).
pub struct CliReporter<'p> {
    printer: &'p Printer,
    progress: RefCell<Option<Progress>>,
}

impl<'p> CliReporter<'p> {
    pub fn new(printer: &'p Printer) -> Self {
        CliReporter {
            printer,
            progress: RefCell::new(None),
        }
    }
}

impl Reporter for CliReporter<'_> {
    fn event(&self, event: Event<'_>) {
        let p = self.printer;
        match event {
            Event::RunStarted { total } => {
                *self.progress.borrow_mut() = Some(Progress::new(p, total));
            }
            Event::OpStarted { index, label } => {
                if let Some(pr) = &*self.progress.borrow() {
                    pr.start(index, label);
                }
            }
            Event::OpFinished => {
                if let Some(pr) = &*self.progress.borrow() {
                    pr.finish_one();
                }
            }
            Event::RunDone => {
                if let Some(pr) = self.progress.borrow_mut().take() {
                    pr.done();
                }
            }
            Event::Interrupted { labels, completed } => report_interruption(p, labels, completed),
            Event::Replanning { op, message } => p.warn(&format!(
                "the api changed while applying ({op}: {message}); planning again"
            )),
            Event::LostRace {
                kind,
                name,
                winner,
                ours,
            } => p.warn(&format!(
                "another gwctl run created {kind} `{name}` at the same time (`{winner}`); keeping the oldest and deleting ours (`{ours}`)"
            )),
            Event::Resuming { left } => p.info(&format!(
                "the other run stopped with {left} call(s) left to make; applying them"
            )),
            Event::Definition { refused: None } => {
                p.info("created the api from its definition (PutRestApi); completing what it did not build")
            }
            Event::Definition {
                refused: Some(message),
            } => p.warn(&format!(
                "PutRestApi refused the definition ({message}); continuing granularly from what exists"
            )),
        }
    }
}

/// After Ctrl-C: what was applied and what was not (stderr, also in JSON mode). `labels`
/// names every op of the plan; `completed` are the indices of those applied (with ops run
/// concurrently, not necessarily the first ones).
pub fn report_interruption(printer: &Printer, labels: &[String], completed: &[usize]) {
    let applied = completed.len();
    let mut s = format!(
        "interrupted: {applied} of {} calls were applied, {} were not",
        labels.len(),
        labels.len() - applied
    );
    const SHOWN: usize = 20;
    let (done, left): (Vec<usize>, Vec<usize>) =
        (0..labels.len()).partition(|i| completed.contains(i));
    for (mark, group) in [("applied    ", done), ("not applied", left)] {
        for label in group.iter().take(SHOWN).map(|&i| &labels[i]) {
            s.push_str(&format!("\n  {mark}  {label}"));
        }
        if group.len() > SHOWN {
            s.push_str(&format!("\n  {mark}  ... and {} more", group.len() - SHOWN));
        }
    }
    printer.error(
        &s,
        Some("run the same command again: gwctl continues from what exists"),
    );
}

#[cfg(test)]
mod tests {
    use crate::cli::Failure;
    use crate::engine::EngineError;

    /// Typed engine errors become the same message and hint gwctl printed when cli built them
    /// itself.
    #[test]
    fn engine_errors_render_with_their_messages_and_hints() {
        let f = Failure::from(EngineError::NotOwned {
            name: "todo".into(),
            id: "a1".into(),
        });
        assert_eq!(
            f.message.as_deref(),
            Some("refusing to destroy `todo` (a1): gwctl did not create it")
        );
        assert_eq!(
            f.hint.as_deref(),
            Some("pass `--force` if you really mean to delete an API gwctl does not own")
        );
        let f = Failure::from(EngineError::NameMismatch {
            id: "a1".into(),
            actual: "x".into(),
            wanted: "todo".into(),
            suggest: false,
        });
        assert_eq!(
            f.message.as_deref(),
            Some("api `a1` is named `x`, but the spec describes `todo`")
        );
        assert_eq!(f.hint, None);
        let f = Failure::from(EngineError::SeveralNamed {
            kind: "http api",
            name: "todo".into(),
            ids: vec!["a".into(), "b".into()],
        });
        assert_eq!(
            f.message.as_deref(),
            Some("2 http apis are named `todo`: `a`, `b`")
        );
        assert_eq!(f.hint.as_deref(), Some("pass `--api-id ID`"));
        assert_eq!(f.code, crate::exit::ERROR);
    }
}
