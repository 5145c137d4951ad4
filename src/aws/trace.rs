//! Live reporting of AWS calls for `--verbose`: one line on stderr per operation, as it
//! completes, with its duration and retry count.
//!
//! The call-recording interceptor appends every operation to the clients' [`CallLog`]; the
//! log hands each record to the process-wide observer registered here (the CLI registers one
//! when `--verbose` is given). A record holds the service, the operation name, attempts,
//! duration and success: never a header, a body or a credential, so nothing secret can reach
//! the output this way.
//!
//! [`CallLog`]: super::CallLog

use std::sync::OnceLock;
use std::time::Duration;

use super::CallRecord;

type Observer = Box<dyn Fn(&CallRecord) + Send + Sync>;

static OBSERVER: OnceLock<Observer> = OnceLock::new();

/// Register the observer every recorded call is passed to. Only the first registration in a
/// process takes effect; returns whether this one did.
pub fn observe(f: impl Fn(&CallRecord) + Send + Sync + 'static) -> bool {
    OBSERVER.set(Box::new(f)).is_ok()
}

/// Pass a record to the observer, if there is one (called by [`super::CallLog::push`]).
pub(crate) fn notify(r: &CallRecord) {
    if let Some(o) = OBSERVER.get() {
        o(r);
    }
}

/// `aws apigateway.GetResources 12ms`, `aws lambda.AddPermission 1.43s (3 attempts) failed`.
pub fn line(r: &CallRecord) -> String {
    let mut s = format!("aws {}.{} {}", r.service, r.operation, duration(r.duration));
    if r.attempts > 1 {
        s.push_str(&format!(
            " ({} attempts, {} retr{})",
            r.attempts,
            r.attempts - 1,
            if r.attempts == 2 { "y" } else { "ies" }
        ));
    }
    if !r.ok {
        s.push_str(" failed");
    }
    s
}

fn duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1000.0 {
        format!("{}ms", ms.round() as u64)
    } else {
        format!("{:.2}s", ms / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(attempts: u32, ms: u64, ok: bool) -> CallRecord {
        CallRecord {
            service: "apigateway".into(),
            operation: "PutMethod".into(),
            attempts,
            duration: Duration::from_millis(ms),
            ok,
        }
    }

    #[test]
    fn lines_show_duration_and_retries() {
        assert_eq!(line(&rec(1, 12, true)), "aws apigateway.PutMethod 12ms");
        assert_eq!(
            line(&rec(2, 1430, true)),
            "aws apigateway.PutMethod 1.43s (2 attempts, 1 retry)"
        );
        assert_eq!(
            line(&rec(3, 2500, false)),
            "aws apigateway.PutMethod 2.50s (3 attempts, 2 retries) failed"
        );
    }
}
