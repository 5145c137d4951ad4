//! Ctrl-C (SIGINT) handling: stop after the call in flight, report what was and was not
//! applied, exit 130.
//!
//! The state is process-wide (there is one terminal and one signal): [`install`] starts a
//! small thread that waits for SIGINT, independent of the verb's runtime (which may be
//! blocked reading a confirmation from the terminal). What an interrupt does depends on the
//! [`Phase`] the verb is in:
//!
//! - [`Phase::Reading`] (nothing written yet, including the confirmation prompt): print
//!   `interrupted: nothing was changed` and exit 130 at once;
//! - [`Phase::Executing`]: ask the executor to stop; it checks [`requested`] before each
//!   operation, so the call in flight completes and no new call starts. The verb then
//!   reports what was applied and what was not, and exits 130. A second Ctrl-C exits at
//!   once (the call in flight may or may not have been applied; `apply` again converges);
//! - [`Phase::Done`] (everything was applied, the report is being printed): the report
//!   finishes; nothing is left to interrupt.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Once;

use crate::aws::error::{AwsError, ErrorKind};

/// Where a verb is, as far as an interrupt is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    Reading = 0,
    Executing = 1,
    Done = 2,
}

/// The error code an executor run stopped by an interrupt carries (never a service code).
pub const INTERRUPTED_CODE: &str = "gwctl.Interrupted";

static PHASE: AtomicU8 = AtomicU8::new(Phase::Reading as u8);
static REQUESTED: AtomicBool = AtomicBool::new(false);
static HONOURED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// Start listening for SIGINT (once per process). Until this is called, SIGINT has its
/// default effect (the process ends, which the shell reports as status 130).
pub fn install() {
    INSTALL.call_once(|| {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("gwctl-sigint".into())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    #[cfg(unix)]
                    {
                        use tokio::signal::unix::{signal, SignalKind};
                        // Registered here, before `install` returns: no SIGINT is lost.
                        let Ok(mut sigint) = signal(SignalKind::interrupt()) else {
                            return;
                        };
                        let _ = ready_tx.send(());
                        while sigint.recv().await.is_some() {
                            on_interrupt();
                        }
                    }
                    #[cfg(not(unix))]
                    {
                        let _ = ready_tx.send(());
                        while tokio::signal::ctrl_c().await.is_ok() {
                            on_interrupt();
                        }
                    }
                });
            });
        // Without the thread, SIGINT keeps its default effect: still exit status 130.
        if spawned.is_ok() {
            let _ = ready_rx.recv_timeout(std::time::Duration::from_secs(2));
        }
    });
}

fn on_interrupt() {
    let again = REQUESTED.swap(true, Ordering::SeqCst);
    match phase() {
        Phase::Reading => {
            eprintln!("\ninterrupted: nothing was changed");
            std::process::exit(crate::exit::INTERRUPTED);
        }
        Phase::Executing if again => {
            eprintln!(
                "\ninterrupted again: stopping now; the call in flight may or may not have \
                 been applied\nhint: run the same command again: gwctl continues from what exists"
            );
            std::process::exit(crate::exit::INTERRUPTED);
        }
        Phase::Executing => {
            eprintln!(
                "\ninterrupt: finishing the call in flight, then stopping (Ctrl-C again to stop at once)"
            );
        }
        Phase::Done => {}
    }
}

pub fn phase() -> Phase {
    match PHASE.load(Ordering::SeqCst) {
        0 => Phase::Reading,
        1 => Phase::Executing,
        _ => Phase::Done,
    }
}

pub fn set_phase(p: Phase) {
    PHASE.store(p as u8, Ordering::SeqCst);
}

/// Whether an interrupt asked the run to stop. The executor checks this before each call.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Whether a run actually stopped because of an interrupt (the exit code is then 130).
pub fn honoured() -> bool {
    HONOURED.load(Ordering::SeqCst)
}

/// The error an executor returns for the op it did not start because of an interrupt.
/// Marks the interrupt as honoured.
pub fn interrupted_error(operation: &str) -> AwsError {
    HONOURED.store(true, Ordering::SeqCst);
    AwsError {
        kind: ErrorKind::Other,
        operation: operation.to_string(),
        code: Some(INTERRUPTED_CODE.to_string()),
        message: "interrupted (SIGINT) before this call was made".into(),
    }
}

/// Whether `e` is the executor's "stopped by an interrupt" error.
pub fn is_interruption(e: &AwsError) -> bool {
    e.code.as_deref() == Some(INTERRUPTED_CODE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interruption_error_is_recognised_by_its_code_only() {
        let e = AwsError {
            kind: ErrorKind::Other,
            operation: "PutMethod".into(),
            code: Some("ConflictException".into()),
            message: "interrupted".into(),
        };
        assert!(!is_interruption(&e));
        let e = AwsError {
            code: Some(INTERRUPTED_CODE.into()),
            ..e
        };
        assert!(is_interruption(&e));
    }
}
