//! Build metadata for `gwctl --version` and `gwctl version`: the git commit and the build date,
//! as the environment variables GWCTL_GIT_COMMIT and GWCTL_BUILD_DATE. No dependencies.
//!
//! The commit comes from GWCTL_COMMIT when set (container builds, packagers), else from
//! `git rev-parse` when the crate is built from its own checkout, else
//! from `.cargo_vcs_info.json` (written by `cargo package`, so a crates.io build still names
//! its commit), else `unknown`. A crate unpacked inside some other git repository (e.g.
//! target/package/) is not its checkout: the top level must be this manifest's directory.
//! The date is SOURCE_DATE_EPOCH (reproducible builds) or now, as YYYY-MM-DD in UTC.

use std::path::Path;
use std::process::Command;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let commit = std::env::var("GWCTL_COMMIT")
        .ok()
        .filter(|c| !c.is_empty() && c.chars().all(|c| c.is_ascii_alphanumeric()))
        .or_else(|| git_commit(Path::new(&dir)))
        .or_else(|| vcs_info_commit(Path::new(&dir)))
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=GWCTL_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=GWCTL_BUILD_DATE={}", build_date());
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    println!("cargo:rerun-if-env-changed=GWCTL_COMMIT");
    watch_if_exists(Some(&Path::new(&dir).join(".cargo_vcs_info.json")));
}

/// `rerun-if-changed` for a file that exists: a missing one would make cargo rerun this script,
/// and so recompile gwctl, on every build.
fn watch_if_exists(path: Option<&Path>) {
    if let Some(p) = path.filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", p.display());
    }
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn git_commit(dir: &Path) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    let same = std::fs::canonicalize(&top).ok()? == std::fs::canonicalize(dir).ok()?;
    if !same {
        return None;
    }
    let commit = git(dir, &["rev-parse", "--short=12", "HEAD"])?;
    // Rebuild when HEAD moves: HEAD itself (a branch switch), the branch's ref, packed refs.
    // Only files that exist: cargo reruns a build script on every build for a missing one.
    let mut watch = vec!["HEAD".to_string(), "packed-refs".to_string()];
    watch.extend(git(dir, &["symbolic-ref", "-q", "HEAD"]));
    for name in watch {
        let path = git(
            dir,
            &["rev-parse", "--path-format=absolute", "--git-path", &name],
        );
        watch_if_exists(path.as_deref().map(Path::new));
    }
    Some(commit)
}

/// `{"git": {"sha1": "..."}}` from `cargo package`, read without a JSON parser.
fn vcs_info_commit(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(".cargo_vcs_info.json")).ok()?;
    let rest = &text[text.find("\"sha1\"")? + 6..];
    let start = rest.find('"')? + 1;
    let sha: String = rest[start..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    (sha.len() >= 12).then(|| sha[..12].to_string())
}

fn build_date() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}
