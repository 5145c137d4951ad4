//! Running the real `gwctl` binary against the emulator, as a user would, and reading what
//! it printed. Shared by the end-to-end tests of both API kinds.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gwctl::output::ApplyDoc;

use super::Emulator;

/// A path in the repository.
pub fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// The gwctl command against the emulator with dummy credentials and no profile, to add
/// environment to before running it.
pub fn command(em: &Emulator, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gwctl"));
    cmd.args(args)
        .env("AWS_ENDPOINT_URL", em.endpoint())
        .env("AWS_REGION", super::REGION)
        .env("AWS_ACCESS_KEY_ID", super::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", "gwctl-test-secret")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env_remove("CI");
    cmd
}

/// Run gwctl against the emulator with dummy credentials and no profile.
pub fn gwctl(em: &Emulator, args: &[&str]) -> Output {
    command(em, args).output().expect("run gwctl")
}

/// stdout and stderr.
pub fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// stdout and stderr of a run that must have exited 0.
pub fn ok(o: &Output) -> (String, String) {
    let (out, err) = text(o);
    assert_eq!(o.status.code(), Some(0), "stdout:\n{out}\nstderr:\n{err}");
    (out, err)
}

/// `gwctl apply SPEC --yes --output json`, which must succeed, parsed.
pub fn apply_json(em: &Emulator, spec: &Path) -> ApplyDoc {
    let o = gwctl(
        em,
        &["apply", spec.to_str().unwrap(), "--yes", "--output", "json"],
    );
    let (out, _) = ok(&o);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("apply JSON: {e}\n{out}"))
}

/// `plan SPEC --detailed-exitcode`: its exit code (0: nothing left to change, 2: changes)
/// and stdout; a failed plan (1) panics with its output.
pub fn plan_exit(em: &Emulator, spec: &Path) -> (i32, String) {
    let o = gwctl(em, &["plan", spec.to_str().unwrap(), "--detailed-exitcode"]);
    let (out, err) = text(&o);
    let code = o.status.code().unwrap_or(-1);
    assert!(code != 1, "plan failed:\n{out}\n{err}");
    (code, out)
}

/// Write calls by operation (reads start with Get/List), sorted by name.
pub fn writes(doc: &ApplyDoc) -> Vec<(String, usize)> {
    doc.calls
        .by_operation
        .iter()
        .filter(|(op, _)| !["Get", "List"].iter().any(|p| op.starts_with(p)))
        .map(|(op, n)| (op.clone(), *n))
        .collect()
}

/// `[("Op", n)]` as the owned pairs [`writes`] returns.
pub fn w(list: &[(&str, usize)]) -> Vec<(String, usize)> {
    list.iter().map(|(o, n)| (o.to_string(), *n)).collect()
}

/// Write `text` to `name` in `dir`.
pub fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}
