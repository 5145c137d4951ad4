//! `gwctl --version` and `gwctl version [--output json]`: the version, the git commit and the
//! build date, set at build time by build.rs (`unknown` commit when built without git
//! metadata).

use clap::Args;
use serde::{Deserialize, Serialize};

use crate::output::Printer;

/// Version of the JSON document printed by `version --output json`.
pub const SCHEMA_VERSION: u32 = 1;

/// The crate version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The commit the binary was built from (12 hex digits), or `unknown`.
pub const COMMIT: &str = env!("GWCTL_GIT_COMMIT");
/// The build date, YYYY-MM-DD (UTC; SOURCE_DATE_EPOCH when set).
pub const BUILD_DATE: &str = env!("GWCTL_BUILD_DATE");

/// What `gwctl --version` prints after `gwctl `: `0.1.0 (commit 1a2b3c4d5e6f, built 2026-12-07)`.
pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("GWCTL_GIT_COMMIT"),
    ", built ",
    env!("GWCTL_BUILD_DATE"),
    ")"
);

#[derive(Debug, Clone, Args)]
pub struct VersionArgs {}

/// `gwctl version --output json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionDoc {
    pub schema_version: u32,
    /// Always `version`.
    pub command: String,
    pub version: String,
    /// 12 hex digits, or `unknown` when built without git metadata.
    pub commit: String,
    /// YYYY-MM-DD, UTC.
    pub build_date: String,
    /// The platform it was built for, e.g. `x86_64-linux`.
    pub target: String,
}

impl VersionDoc {
    pub fn current() -> Self {
        VersionDoc {
            schema_version: SCHEMA_VERSION,
            command: "version".into(),
            version: VERSION.into(),
            commit: COMMIT.into(),
            build_date: BUILD_DATE.into(),
            target: format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS),
        }
    }
}

pub fn run(_args: &VersionArgs, printer: &Printer) -> i32 {
    if printer.json() {
        printer.document(&VersionDoc::current());
    } else {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "gwctl {LONG}").and_then(|_| out.flush());
    }
    crate::exit::OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_long_version_names_version_commit_and_date() {
        assert!(LONG.starts_with(VERSION));
        assert!(LONG.contains(COMMIT) && LONG.contains(BUILD_DATE));
        let d: Vec<&str> = BUILD_DATE.split('-').collect();
        assert_eq!(d.iter().map(|p| p.len()).collect::<Vec<_>>(), [4, 2, 2]);
        assert!(COMMIT == "unknown" || COMMIT.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
