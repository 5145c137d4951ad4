//! The quota simulator (`scripts/quota_proxy.py`) in front of the test emulator, and the
//! benchmark's spec generator (`scripts/bench/gen_spec.py`), for tests. Both run with the
//! emulator's Python (no other dependency). The proxy binds 127.0.0.1, and ends when the test
//! binary does (its stdin is a pipe from this process) or after ten minutes at the latest.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::{http, moto_server_binary, Emulator};

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// The Python that runs the emulator (its venv's), for the repository's Python tools.
pub fn python() -> PathBuf {
    let bin = moto_server_binary();
    bin.parent()
        .map(|d| d.join("python"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// The emulator's Python when there is one, else `python3` (the proxy needs only the standard
/// library; with `GWCTL_EMULATOR_URL` the venv may be absent).
pub fn python_or_python3() -> PathBuf {
    let venv = std::env::var_os("GWCTL_MOTO_SERVER")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("GWCTL_EMULATOR_VENV").map(|v| Path::new(&v).join("bin/moto_server"))
        })
        .unwrap_or_else(|| Path::new(REPO).join(".emulator/venv/bin/moto_server"));
    venv.parent()
        .map(|d| d.join("python"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// A running quota simulator.
pub struct QuotaProxy {
    endpoint: String,
    child: Child,
}

impl QuotaProxy {
    /// Start the simulator in front of `em`'s moto with extra flags (e.g. `--fault-429 0.1`),
    /// strict (`--strict`) unless `GWCTL_EMULATOR_LENIENT` is set, as every emulator test is.
    pub fn start(em: &Emulator, args: &[&str]) -> QuotaProxy {
        QuotaProxy::start_upstream(&em.moto_endpoint(), args)
    }

    /// The same in front of any endpoint (LocalStack).
    pub fn start_upstream(upstream: &str, args: &[&str]) -> QuotaProxy {
        let script = Path::new(REPO).join("scripts/quota_proxy.py");
        let strict: &[&str] = if super::lenient() { &[] } else { &["--strict"] };
        let mut child = Command::new(python())
            .arg(&script)
            .args(["--upstream", upstream, "--port", "0"])
            .args(["--lifetime", "600", "--exit-on-stdin-eof"])
            .args(strict)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `{}`: {e}", script.display()));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the proxy's first line");
        let endpoint = line
            .trim()
            .strip_prefix("listening ")
            .unwrap_or_else(|| panic!("the quota proxy did not start: {line:?}"))
            .to_string();
        QuotaProxy { endpoint, child }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    fn control(&self, method: &str, path: &str, body: &str) -> serde_json::Value {
        let (status, text) = http(
            &self.endpoint,
            method,
            path,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
        .unwrap_or_else(|e| panic!("{method} {path} to the quota proxy: {e}"));
        assert_eq!(status, 200, "{method} {path}: {text}");
        serde_json::from_str(&text).expect("JSON from the quota proxy")
    }

    /// Counters since the last reset: `calls`, `throttled`, `injected` (service → op → n).
    pub fn stats(&self) -> serde_json::Value {
        self.control("GET", "/__quota/stats", "")
    }

    /// Zero the counters and refill every bucket.
    pub fn reset(&self) {
        self.control("POST", "/__quota/reset", "");
    }

    /// The quota table the simulator enforces.
    pub fn table(&self) -> serde_json::Value {
        self.control("GET", "/__quota/table", "")
    }

    /// Replace fault settings, e.g. `{"share_429": 0.0, "share_500": 0.0}`.
    pub fn set_faults(&self, json: &str) {
        self.control("POST", "/__quota/faults", json);
    }
}

impl Drop for QuotaProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `stats[kind][service]` as operation → count.
pub fn counts(
    stats: &serde_json::Value,
    kind: &str,
    service: &str,
) -> std::collections::BTreeMap<String, usize> {
    stats[kind][service]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0) as usize))
                .collect()
        })
        .unwrap_or_default()
}

/// Generate a benchmark spec of `routes` routes (plus one on a new path with `extra`) into
/// `dir`; returns the path of its spec.yaml.
pub fn generate_spec(dir: &Path, routes: usize, extra: bool, name: &str) -> PathBuf {
    let script = Path::new(REPO).join("scripts/bench/gen_spec.py");
    let mut cmd = Command::new(python());
    cmd.arg(&script)
        .args(["--routes", &routes.to_string()])
        .args(["--name", name])
        .arg("--out")
        .arg(dir);
    if extra {
        cmd.arg("--extra");
    }
    let out = cmd.output().expect("run gen_spec.py");
    assert!(
        out.status.success(),
        "gen_spec.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join("spec.yaml")
}
