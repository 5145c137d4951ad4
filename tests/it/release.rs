//! Shipping gwctl (issue 21): actionlint on every workflow, the install script that the
//! GitHub Action and `curl | bash` use (against a fake release served from 127.0.0.1), the
//! release notes taken from CHANGELOG.md, and `gwctl --version` / `gwctl version`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gwctl::cli::version::VersionDoc;
use sha2::{Digest, Sha256};

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

// ------------------------------------------------------------------ actionlint

/// Whether actionlint is installed; in CI (CI=true) it must be: the test fails, never skips.
fn actionlint_available() -> bool {
    let o = Command::new(repo("scripts/actionlint.sh"))
        .arg("installed")
        .output()
        .expect("run scripts/actionlint.sh");
    if o.status.success() {
        return true;
    }
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(
        !in_ci,
        "actionlint is required in CI and is not installed (scripts/test.sh installs it): {}",
        text(&o).1
    );
    eprintln!(
        "actionlint not installed, workflows not checked: run `scripts/actionlint.sh install`"
    );
    false
}

fn actionlint(files: &[PathBuf]) -> Output {
    Command::new(repo("scripts/actionlint.sh"))
        .arg("check")
        .args(files)
        .output()
        .expect("run actionlint")
}

#[test]
fn actionlint_passes_on_every_workflow() {
    if !actionlint_available() {
        return;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.contains(&"ci.yml".to_string()) && names.contains(&"release.yml".to_string()),
        "{names:?}"
    );
    let o = actionlint(&files);
    let (out, err) = text(&o);
    assert!(o.status.success(), "actionlint found problems:\n{out}{err}");

    // The check is a real one: a mistake in a workflow is reported with its place.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yml");
    std::fs::write(
        &bad,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_field }}\n",
    )
    .unwrap();
    let o = actionlint(std::slice::from_ref(&bad));
    let (out, _) = text(&o);
    assert!(!o.status.success(), "{out}");
    assert!(
        out.contains("bad.yml:6:") && out.contains("no_such_field"),
        "{out}"
    );
}

// ------------------------------------------------------------------ install script

const TARGET: &str = "x86_64-unknown-linux-musl";

/// Serves the files under `root` on 127.0.0.1 (GET only, 404 for anything missing), until
/// the test binary exits. Returns `http://127.0.0.1:PORT`.
fn serve_dir(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // Skip the headers.
            let mut h = String::new();
            while reader.read_line(&mut h).is_ok_and(|n| n > 2) {
                h.clear();
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let file = root.join(path.trim_start_matches('/'));
            let ok = !path.contains("..") && file.is_file();
            let (status, body) = if ok {
                ("200 OK", std::fs::read(&file).unwrap())
            } else {
                ("404 Not Found", b"not found".to_vec())
            };
            let head = format!(
                "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream
                .write_all(head.as_bytes())
                .and_then(|_| stream.write_all(&body));
        }
    });
    url
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A release of `version` under `root/download/vVERSION/`, as the release workflow lays it
/// out: the archive with `gwctl-vVERSION-TARGET/gwctl` (a script printing `fake gwctl
/// VERSION`) and SHA256SUMS. `corrupt` writes a checksum that does not match the archive.
fn fake_release(root: &Path, version: &str, corrupt: bool) {
    let name = format!("gwctl-v{version}-{TARGET}");
    let dir = root.join(format!("download/v{version}"));
    let stage = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(stage.path().join(&name)).unwrap();
    let bin = stage.path().join(&name).join("gwctl");
    std::fs::write(&bin, format!("#!/bin/sh\necho fake gwctl {version}\n")).unwrap();
    std::fs::write(stage.path().join(&name).join("LICENSE"), "licence\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    let archive = dir.join(format!("{name}.tar.gz"));
    let o = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(stage.path())
        .arg(&name)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o).1);
    let mut sum = hex(&std::fs::read(&archive).unwrap());
    if corrupt {
        sum = hex(b"something else");
    }
    std::fs::write(
        dir.join("SHA256SUMS"),
        format!(
            "{}  gwctl-v{version}-aarch64-apple-darwin.tar.gz\n{sum}  {name}.tar.gz\n",
            "0".repeat(64)
        ),
    )
    .unwrap();
}

struct Install {
    _tmp: tempfile::TempDir,
    home: PathBuf,
    bin: PathBuf,
    cache: PathBuf,
    github_path: PathBuf,
}

impl Install {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().to_path_buf();
        Install {
            home: p.join("home"),
            bin: p.join("bin"),
            cache: p.join("cache"),
            github_path: p.join("github_path"),
            _tmp: tmp,
        }
    }

    fn run(&self, releases: &str, version: &str) -> Output {
        Command::new(repo("scripts/install.sh"))
            .arg(version)
            .env("HOME", &self.home)
            .env("GWCTL_RELEASES_URL", releases)
            .env("GWCTL_TARGET", TARGET)
            .env("GWCTL_INSTALL_DIR", &self.bin)
            .env("GWCTL_CACHE_DIR", &self.cache)
            .env("GITHUB_PATH", &self.github_path)
            .env_remove("GWCTL_VERSION")
            .output()
            .expect("run scripts/install.sh")
    }

    fn cached(&self) -> bool {
        std::fs::read_dir(&self.cache).is_ok_and(|mut d| d.any(|e| e.is_ok()))
            && self
                .cache
                .join("v1.2.3")
                .join(TARGET)
                .join("gwctl")
                .exists()
    }
}

#[test]
fn install_script_installs_verifies_and_caches_a_release() {
    let root = tempfile::tempdir().unwrap();
    fake_release(root.path(), "1.2.3", false);
    let url = serve_dir(root.path().to_path_buf());
    let i = Install::new();

    let o = i.run(&url, "v1.2.3");
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let installed = i.bin.join("gwctl");
    assert_eq!(
        out.trim(),
        installed.to_str().unwrap(),
        "stdout is the path"
    );
    let run = Command::new(&installed).output().unwrap();
    assert_eq!(text(&run).0, "fake gwctl 1.2.3\n");
    assert!(i.cached(), "{err}");
    assert_eq!(
        std::fs::read_to_string(&i.github_path).unwrap(),
        format!("{}\n", i.bin.display()),
        "the install directory is put on the job's PATH"
    );

    // The cache serves the next install without any download: the server is gone.
    std::fs::remove_file(&installed).unwrap();
    let o = i.run("http://127.0.0.1:9", "1.2.3");
    let (_, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("found in the cache"), "{err}");
    assert_eq!(
        text(&Command::new(&installed).output().unwrap()).0,
        "fake gwctl 1.2.3\n"
    );

    // --resolve names what the action caches.
    let o = Command::new(repo("scripts/install.sh"))
        .args(["--resolve", "v1.2.3"])
        .env("GWCTL_TARGET", TARGET)
        .env("GWCTL_CACHE_DIR", &i.cache)
        .output()
        .unwrap();
    assert_eq!(
        text(&o).0,
        format!(
            "version=1.2.3\ntarget={TARGET}\ncache_dir={}/v1.2.3/{TARGET}\n",
            i.cache.display()
        )
    );
}

#[test]
fn install_script_refuses_an_unknown_version_clearly() {
    let root = tempfile::tempdir().unwrap();
    fake_release(root.path(), "1.2.3", false);
    let url = serve_dir(root.path().to_path_buf());
    let i = Install::new();

    let o = i.run(&url, "9.9.9");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("error: gwctl 9.9.9 has no release at") && err.contains("404"),
        "{err}"
    );
    assert!(err.contains("hint: check the version"), "{err}");
    assert!(!i.bin.join("gwctl").exists());

    let o = i.run(&url, "not-a-version");
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("`not-a-version` is not a version"));
}

#[test]
fn install_script_installs_nothing_when_the_checksum_does_not_match() {
    let root = tempfile::tempdir().unwrap();
    fake_release(root.path(), "1.2.3", true);
    let url = serve_dir(root.path().to_path_buf());
    let i = Install::new();

    let o = i.run(&url, "1.2.3");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains(&format!(
            "checksum mismatch for gwctl-v1.2.3-{TARGET}.tar.gz"
        )) && err.contains("nothing was installed"),
        "{err}"
    );
    assert!(!i.bin.join("gwctl").exists(), "nothing installed");
    assert!(!i.cached(), "nothing cached");
    assert!(!i.github_path.exists(), "PATH untouched");
}

// ------------------------------------------------------------------ release notes

#[test]
fn release_notes_are_the_changelog_section_of_the_version() {
    let dir = tempfile::tempdir().unwrap();
    let changelog = dir.path().join("CHANGELOG.md");
    std::fs::write(
        &changelog,
        "# Changelog\n\n## [Unreleased]\n\n- next\n\n## [1.2.0] - 2026-01-01\n\n### Added\n- a\n\n- b\n\n\n## [1.1.0]\n- old\n",
    )
    .unwrap();
    let notes = |v: &str| {
        Command::new(repo("scripts/release-notes.sh"))
            .arg(v)
            .arg(&changelog)
            .output()
            .unwrap()
    };
    let o = notes("v1.2.0");
    assert!(o.status.success(), "{}", text(&o).1);
    assert_eq!(text(&o).0, "### Added\n- a\n\n- b\n");
    assert_eq!(text(&notes("1.1.0")).0, "- old\n");
    let o = notes("v9.9.9");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o)
            .1
            .contains("CHANGELOG has no section for version 9.9.9"),
        "{}",
        text(&o).1
    );
    // The project's own changelog has the section the next release will be cut from.
    let o = Command::new(repo("scripts/release-notes.sh"))
        .arg("Unreleased")
        .output()
        .unwrap();
    assert!(o.status.success() && text(&o).0.contains("### Added"));
}

// ------------------------------------------------------------------ version

#[test]
fn version_names_the_version_commit_and_build_date_in_text_and_json() {
    let gwctl = || Command::new(env!("CARGO_BIN_EXE_gwctl"));
    let o = gwctl()
        .args(["version", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    let doc: VersionDoc = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_eq!(doc.schema_version, 1);
    assert_eq!(doc.command, "version");
    assert_eq!(doc.version, env!("CARGO_PKG_VERSION"));
    let date: Vec<usize> = doc.build_date.split('-').map(str::len).collect();
    assert_eq!(date, [4, 2, 2], "{}", doc.build_date);
    assert!(doc.target.contains(std::env::consts::OS), "{}", doc.target);
    // Built from this checkout: the commit is its HEAD when git can say so.
    if let Ok(h) = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
    {
        if h.status.success() {
            assert_eq!(doc.commit, text(&h).0.trim());
        }
    }

    let line = format!(
        "gwctl {} (commit {}, built {})\n",
        doc.version, doc.commit, doc.build_date
    );
    for args in [&["--version"][..], &["version"]] {
        let o = gwctl().args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert_eq!(text(&o).0, line, "{args:?}");
    }
    // Every verb's --version carries the same (clap names the verb: `gwctl-plan 0.1.0 ...`).
    let o = gwctl().args(["plan", "--version"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(
        text(&o).0.ends_with(&line["gwctl".len()..]),
        "{}",
        text(&o).0
    );
}
