//! Exit codes, defined once and documented in `--help` and docs/cli.md.

/// Success; for `plan --detailed-exitcode`: no changes.
pub const OK: i32 = 0;
/// Any error: invalid spec, AWS failure, refused operation.
pub const ERROR: i32 = 1;
/// `plan --detailed-exitcode` only: changes are present.
pub const CHANGES: i32 = 2;
/// Interrupted (SIGINT) after reporting what was and was not applied.
pub const INTERRUPTED: i32 = 130;

/// Text for the EXIT STATUS section of `--help`.
pub const HELP: &str = "EXIT STATUS:\n  0    success (plan: no changes)\n  1    error: invalid spec, AWS error, refused operation\n  2    plan --detailed-exitcode: changes present\n  130  interrupted (what was applied is reported first)";
