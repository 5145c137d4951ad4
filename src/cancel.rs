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

/// Record that a run stopped because of an interrupt (the exit code is then 130). The
/// executor calls this when it builds its "interrupted" error
/// (`aws::error::AwsError::interrupted`): this module knows nothing of AWS.
pub fn honour() {
    HONOURED.store(true, Ordering::SeqCst);
}

/// An error that may carry a code. `aws::error::AwsError` implements it, so callers can ask
/// [`is_interruption`] without this module depending on `aws` (it sits below it).
pub trait ErrorCode {
    fn error_code(&self) -> Option<&str>;
}

/// Whether `e` is the executor's "stopped by an interrupt" error (by its code only).
pub fn is_interruption(e: &impl ErrorCode) -> bool {
    e.error_code() == Some(INTERRUPTED_CODE)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Coded(Option<&'static str>);
    impl ErrorCode for Coded {
        fn error_code(&self) -> Option<&str> {
            self.0
        }
    }

    #[test]
    fn only_the_interrupted_code_is_an_interruption() {
        assert!(is_interruption(&Coded(Some(INTERRUPTED_CODE))));
        assert!(!is_interruption(&Coded(Some("ConflictException"))));
        assert!(!is_interruption(&Coded(None)));
    }
}
