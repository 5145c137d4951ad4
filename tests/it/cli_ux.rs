//! gwctl at a terminal and in CI (issue 9): the JSON contract of every verb, exit codes,
//! progress and colour with and without a terminal (a real pseudo-terminal), `--verbose`,
//! `--quiet`, closed pipes, Ctrl-C, missing AWS settings, and `doctor` with the account's
//! CloudWatch Logs role. Runs the real binary; verbs that call AWS run against the emulator.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support;
use crate::support::Emulator;
use gwctl::cli::doctor::DoctorDoc;
use gwctl::cli::lifecycle::{DeployDoc, DestroyDoc, ShowDoc};
use gwctl::cli::validate::Report;
use gwctl::output::{ApplyDoc, PlanDoc};

const TODO_FUNCTIONS: &[&str] = &[
    "todo-create",
    "todo-list",
    "todo-get",
    "todo-update",
    "todo-delete",
];
const SECRET_KEY: &str = "gwctl-ux-secret-Zq9xWv";
const SESSION_TOKEN: &str = "gwctl-ux-session-token-Kp2mRt";
const OTHER_ROLE: &str = "arn:aws:iam::123456789012:role/someone-elses-role";

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn spec(p: &str) -> String {
    repo(p).to_str().unwrap().to_string()
}

/// gwctl with the emulator's endpoint, dummy credentials, no profile and no CI variable.
fn cmd(endpoint: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gwctl"));
    c.args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", support::REGION)
        .env("AWS_ACCESS_KEY_ID", support::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_PROFILE")
        .env_remove("NO_COLOR")
        .env_remove("CI")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    c
}

fn gwctl(em: &Emulator, args: &[&str]) -> Output {
    cmd(&em.endpoint(), args).output().expect("run gwctl")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[track_caller]
fn code(o: &Output, want: i32) -> (String, String) {
    let (out, err) = text(o);
    assert_eq!(
        o.status.code(),
        Some(want),
        "stdout:\n{out}\nstderr:\n{err}"
    );
    (out, err)
}

/// stdout is exactly one JSON document of type T (which rejects unknown fields).
#[track_caller]
fn doc<T: serde::de::DeserializeOwned>(out: &str) -> T {
    serde_json::from_str(out)
        .unwrap_or_else(|e| panic!("not one documented JSON document: {e}\n{out}"))
}

/// Whether `s` holds an ANSI colour (SGR) sequence: ESC [ digits/; m.
fn has_sgr(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len()).any(|i| {
        if b[i] != 0x1b || b.get(i + 1) != Some(&b'[') {
            return false;
        }
        let rest = &b[i + 2..];
        let n = rest
            .iter()
            .take_while(|c| c.is_ascii_digit() || **c == b';')
            .count();
        rest.get(n) == Some(&b'm')
    })
}

fn no_secret(s: &str) {
    for secret in [SECRET_KEY, SESSION_TOKEN] {
        assert!(!s.contains(secret), "a credential was printed:\n{s}");
    }
}

async fn rest_api_ids(em: &Emulator, name: &str) -> Vec<String> {
    let c = em.clients().await;
    let out = c.apigw.get_rest_apis().limit(500).send().await.unwrap();
    out.items()
        .iter()
        .filter(|a| a.name() == Some(name))
        .filter_map(|a| a.id().map(str::to_string))
        .collect()
}

// ------------------------------------------------------------------ JSON contract per verb

#[tokio::test]
async fn every_verb_prints_one_documented_json_document_and_nothing_else_on_stdout() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let todo = spec("specs/todo.yaml");

    let o = gwctl(&em, &["validate", &todo, "--output", "json"]);
    let (out, _) = code(&o, 0);
    let v: Report = doc(&out);
    assert_eq!(v.schema_version, 1);
    assert!(v.files[0].ok);

    let o = gwctl(&em, &["plan", &todo, "--output", "json"]);
    let (out, _) = code(&o, 0);
    let p: PlanDoc = doc(&out);
    assert_eq!((p.schema_version, p.command.as_str()), (1, "plan"));

    let o = gwctl(&em, &["apply", &todo, "--yes", "--output", "json"]);
    let (out, err) = code(&o, 0);
    let a: ApplyDoc = doc(&out);
    assert_eq!(
        (a.command.as_str(), a.result.as_str()),
        ("apply", "applied")
    );
    assert!(err.contains("[1/"), "progress goes to stderr: {err}");

    let o = gwctl(&em, &["deploy", "--stage", "qa", &todo, "--output", "json"]);
    let (out, _) = code(&o, 0);
    let d: DeployDoc = doc(&out);
    assert_eq!(
        (d.command.as_str(), d.result.as_str()),
        ("deploy", "deployed")
    );

    let o = gwctl(&em, &["show", &todo, "--output", "json"]);
    let (out, _) = code(&o, 0);
    let s: ShowDoc = doc(&out);
    assert_eq!(s.drift, Some(0));
    assert_eq!(s.stages.len(), 2);

    let o = gwctl(&em, &["doctor", &todo, "--output", "json"]);
    let (out, _) = code(&o, 0);
    let dr: DoctorDoc = doc(&out);
    assert!(dr.ok);
    assert_eq!(
        dr.cloudwatch_role_arn.as_deref(),
        Some(support::CLOUDWATCH_ROLE)
    );

    let o = gwctl(&em, &["destroy", &todo, "--yes", "--output", "json"]);
    let (out, _) = code(&o, 0);
    let x: DestroyDoc = doc(&out);
    assert_eq!(
        (x.command.as_str(), x.result.as_str()),
        ("destroy", "destroyed")
    );

    let o = gwctl(&em, &["schema", "--output", "json"]);
    let (out, _) = code(&o, 0);
    let schema: serde_json::Value = doc(&out);
    assert!(schema["$defs"]["route"].is_object());
}

#[test]
fn validate_json_reports_problems_with_positions() {
    let o = cmd(
        "http://127.0.0.1:9",
        &[
            "validate",
            &spec("specs/todo.yaml"),
            &spec("tests/fixtures/bad/unknown-key.yaml"),
            "--output",
            "json",
        ],
    )
    .output()
    .unwrap();
    let (out, err) = code(&o, 1);
    assert_eq!(err, "", "JSON mode reports problems in the document only");
    let r: Report = doc(&out);
    assert_eq!(r.files.len(), 2);
    assert!(r.files[0].ok);
    let bad = &r.files[1];
    assert!(!bad.ok);
    let d = &bad.diagnostics[0];
    assert_eq!(d.severity, "error");
    assert!(d.line.is_some() && d.col.is_some(), "{d:?}");
    assert!(d.message.starts_with("unknown key"), "{}", d.message);
}

// ------------------------------------------------------------------ exit codes, pipes

#[test]
fn help_documents_the_exit_codes_of_every_verb() {
    let verbs = [
        "validate",
        "plan",
        "apply",
        "deploy",
        "destroy",
        "show",
        "doctor",
        "schema",
        "completions",
        "man",
    ];
    for v in verbs {
        let o = cmd("http://127.0.0.1:9", &[v, "--help"]).output().unwrap();
        let (out, _) = code(&o, 0);
        assert!(out.contains("EXIT STATUS:"), "{v}: {out}");
        assert!(out.contains("130  interrupted"), "{v}: {out}");
    }
    let o = cmd("http://127.0.0.1:9", &["--help"]).output().unwrap();
    assert!(code(&o, 0).0.contains("2    plan --detailed-exitcode"));
}

/// Spawn gwctl with stdout a pipe whose reading end is already closed.
fn with_closed_stdout(mut c: Command) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    c.stdout(writer).stderr(Stdio::piped());
    let child = c.spawn().unwrap();
    drop(c);
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_stdout_ends_validate_quietly() {
    let mut args = vec!["validate".to_string()];
    for f in ["todo.yaml", "hoge-custom.yaml", "tasks-apikey.yaml"] {
        args.push(spec(&format!("specs/{f}")));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = with_closed_stdout(cmd("http://127.0.0.1:9", &args));
    let (_, err) = code(&o, 0);
    assert_eq!(err, "", "no panic, no error message");
}

#[tokio::test]
async fn a_closed_stdout_ends_plan_quietly() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    for format in ["text", "json"] {
        let o = with_closed_stdout(cmd(
            &em.endpoint(),
            &["plan", &spec("specs/todo.yaml"), "--output", format],
        ));
        let (_, err) = code(&o, 0);
        assert!(
            !err.contains("panicked") && !err.contains("error"),
            "{format}: {err}"
        );
    }
}

// ------------------------------------------------------------------ AWS settings

#[test]
fn missing_credentials_and_region_say_exactly_what_to_set() {
    let todo = spec("specs/todo.yaml");
    let mut c = cmd("http://127.0.0.1:9", &["plan", &todo]);
    c.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN");
    let o = c.output().unwrap();
    let (out, err) = code(&o, 1);
    assert_eq!(out, "");
    assert!(err.contains("error: no AWS credentials found\n"), "{err}");
    assert!(
        err.contains(
            "hint: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass `--profile NAME`"
        ),
        "{err}"
    );

    let mut c = cmd("http://127.0.0.1:9", &["plan", &todo]);
    c.env_remove("AWS_REGION").env_remove("AWS_DEFAULT_REGION");
    let o = c.output().unwrap();
    let (_, err) = code(&o, 1);
    assert!(err.contains("error: no AWS region configured\n"), "{err}");
    assert!(err.contains("hint: pass `--region REGION`"), "{err}");

    // doctor reports the same as checks, in its JSON document
    let mut c = cmd("http://127.0.0.1:9", &["doctor", "--output", "json"]);
    c.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    let o = c.output().unwrap();
    let (out, _) = code(&o, 1);
    let d: DoctorDoc = doc(&out);
    assert!(!d.ok);
    let cred = d.checks.iter().find(|c| c.name == "credentials").unwrap();
    assert_eq!(cred.status, "fail");
    assert!(cred.hint.as_deref().unwrap().contains("AWS_ACCESS_KEY_ID"));
}

// ------------------------------------------------------------------ verbose, quiet

#[tokio::test]
async fn verbose_shows_every_aws_call_with_its_duration_and_never_a_credential() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let o = gwctl(
        &em,
        &[
            "apply",
            &spec("specs/todo.yaml"),
            "--yes",
            "--verbose",
            "--output",
            "json",
        ],
    );
    let (out, err) = code(&o, 0);
    let a: ApplyDoc = doc(&out);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("aws ")).collect();
    assert_eq!(lines.len(), a.calls.total, "one line per call:\n{err}");
    for op in [
        "apigateway.CreateRestApi ",
        "lambda.AddPermission ",
        "apigateway.GetAccount ",
    ] {
        assert!(lines.iter().any(|l| l.contains(op)), "{op}:\n{err}");
    }
    for l in &lines {
        let words: Vec<&str> = l.split_whitespace().collect();
        let t = words[2];
        let timed = t
            .strip_suffix("ms")
            .is_some_and(|n| n.parse::<u64>().is_ok())
            || t.strip_suffix('s')
                .is_some_and(|n| n.parse::<f64>().is_ok());
        assert!(
            words[1].contains('.') && timed,
            "`aws SERVICE.Operation DURATION`: {l}"
        );
    }
    // calls are printed as they complete: the first before the first progress line
    let first_call = err.find("aws lambda.GetFunction").unwrap();
    let first_step = err.find("[1/").unwrap();
    assert!(first_call < first_step, "{err}");
    no_secret(&out);
    no_secret(&err);
    assert!(!err.contains("AWS4-HMAC-SHA256") && !err.contains("Authorization"));

    // an API key value taken from the environment is never echoed either
    let dir = tempfile::tempdir().unwrap();
    let keyed = dir.path().join("keyed.yaml");
    std::fs::write(
        &keyed,
        std::fs::read_to_string(repo("specs/tasks-apikey.yaml"))
            .unwrap()
            .replace(
                "enabled: true",
                "enabled: true\n    value_from_env: TASK_API_KEY",
            ),
    )
    .unwrap();
    let key_value = "k3y-VALUE-never-printed-1234567890";
    for args in [
        vec!["validate", keyed.to_str().unwrap(), "--verbose"],
        vec!["plan", keyed.to_str().unwrap(), "--verbose"],
        vec![
            "plan",
            keyed.to_str().unwrap(),
            "--verbose",
            "--output",
            "json",
        ],
    ] {
        let o = cmd(&em.endpoint(), &args)
            .env("TASK_API_KEY", key_value)
            .output()
            .unwrap();
        let (out, err) = text(&o);
        assert!(
            !out.contains(key_value) && !err.contains(key_value),
            "{out}{err}"
        );
        no_secret(&out);
        no_secret(&err);
    }
}

#[tokio::test]
async fn quiet_prints_only_data_and_errors() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let o = gwctl(
        &em,
        &["apply", &spec("specs/todo.yaml"), "--yes", "--quiet"],
    );
    let (out, err) = code(&o, 0);
    assert_eq!(err, "", "nothing on stderr with --quiet");
    assert!(
        out.contains(".execute-api.us-east-1.amazonaws.com/prod"),
        "{out}"
    );
}

// ------------------------------------------------------------------ terminal vs CI

#[tokio::test]
async fn a_ci_run_shows_plain_steps_without_bars_or_colour() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let o = cmd(
        &em.endpoint(),
        &["apply", &spec("specs/todo.yaml"), "--yes"],
    )
    .env("CI", "true")
    .env("TERM", "xterm-256color")
    .output()
    .unwrap();
    let (out, err) = code(&o, 0);
    let steps: Vec<&str> = err.lines().filter(|l| l.starts_with('[')).collect();
    assert!(steps.len() > 10, "one plain line per step:\n{err}");
    assert!(steps[0].starts_with("[1/"), "{err}");
    for s in [&out, &err] {
        assert!(!s.contains('\u{1b}'), "no escape sequences: {s:?}");
        assert!(!s.contains('\r'), "no carriage returns: {s:?}");
    }
    assert!(!err.contains("(eta "), "no progress bar: {err}");

    // --color always colours even without a terminal; NO_COLOR does not override it
    let o = cmd(
        &em.endpoint(),
        &["plan", &spec("specs/todo.yaml"), "--color", "always"],
    )
    .env("NO_COLOR", "1")
    .output()
    .unwrap();
    let (out, _) = code(&o, 0);
    assert!(!has_sgr(&out), "no changes, nothing painted: {out:?}");
    let dir = tempfile::tempdir().unwrap();
    let changed = dir.path().join("changed.yaml");
    std::fs::write(
        &changed,
        std::fs::read_to_string(repo("specs/todo.yaml"))
            .unwrap()
            .replace("metrics: true", "metrics: false"),
    )
    .unwrap();
    let o = cmd(
        &em.endpoint(),
        &["plan", changed.to_str().unwrap(), "--color", "always"],
    )
    .output()
    .unwrap();
    assert!(has_sgr(&code(&o, 0).0), "--color always paints the plan");
    let o = cmd(
        &em.endpoint(),
        &["plan", changed.to_str().unwrap(), "--color", "never"],
    )
    .output()
    .unwrap();
    assert!(!has_sgr(&code(&o, 0).0));
}

/// A pseudo-terminal: the child gets the slave side, the test reads the master side.
struct Pty {
    master: std::fs::File,
    slave: OwnedFd,
}

fn pty() -> Pty {
    // SAFETY: plain libc calls on file descriptors this function owns; every return value is
    // checked, and the descriptors are wrapped in owning types right away.
    unsafe {
        let m = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(m >= 0, "posix_openpt: {}", std::io::Error::last_os_error());
        let master = std::fs::File::from_raw_fd(m);
        assert_eq!(libc::grantpt(m), 0, "grantpt");
        assert_eq!(libc::unlockpt(m), 0, "unlockpt");
        let mut name = [0 as libc::c_char; 128];
        assert_eq!(
            libc::ptsname_r(m, name.as_mut_ptr(), name.len()),
            0,
            "ptsname_r"
        );
        let s = libc::open(name.as_ptr(), libc::O_RDWR | libc::O_NOCTTY);
        assert!(s >= 0, "open slave: {}", std::io::Error::last_os_error());
        // a wide terminal, so that the bar and its message fit on one line
        let ws = libc::winsize {
            ws_row: 40,
            ws_col: 160,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        libc::ioctl(s, libc::TIOCSWINSZ, &ws);
        Pty {
            master,
            slave: OwnedFd::from_raw_fd(s),
        }
    }
}

/// What is written to the terminal, chunk by chunk, until the child exits (the master then
/// reads EIO and the channel closes).
fn terminal_chunks(mut master: std::fs::File) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match master.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx
                        .send(String::from_utf8_lossy(&buf[..n]).into_owned())
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
    });
    rx
}

/// Everything written to the terminal until the child exits.
fn read_terminal(master: std::fs::File) -> std::thread::JoinHandle<String> {
    let rx = terminal_chunks(master);
    std::thread::spawn(move || rx.iter().collect())
}

/// The number of write calls `plan` says applying `spec` makes now.
fn plan_calls(em: &Emulator, spec: &str) -> usize {
    let o = gwctl(em, &["plan", spec, "--output", "json"]);
    let p: PlanDoc = doc(&code(&o, 0).0);
    p.summary.calls
}

#[tokio::test]
async fn a_terminal_run_shows_the_progress_bar_and_colour_unless_no_color() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let total = plan_calls(&em, &spec("specs/todo.yaml"));
    let p = pty();
    let mut c = cmd(
        &em.endpoint(),
        &["apply", &spec("specs/todo.yaml"), "--yes"],
    );
    c.env("TERM", "xterm-256color")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(p.slave.try_clone().unwrap()));
    let child = c.spawn().unwrap();
    drop(c);
    drop(p.slave);
    let term = read_terminal(p.master);
    let o = child.wait_with_output().unwrap();
    let terminal = term.join().unwrap();
    let (out, _) = code(&o, 0);
    assert!(
        terminal.contains(&format!("/{total} ")),
        "the bar's position: {terminal:?}"
    );
    assert!(terminal.contains("(eta "), "the bar's ETA: {terminal:?}");
    assert!(
        terminal.contains("=>") || terminal.contains("==="),
        "{terminal:?}"
    );
    assert!(
        !terminal.contains(&format!("[1/{total}]")),
        "no plain step lines: {terminal:?}"
    );
    assert!(!out.contains("eta"), "the bar never goes to stdout");

    // CI=true on a terminal (e.g. `docker run -t` in a pipeline): plain step lines
    let p = pty();
    let mut c = cmd(
        &em.endpoint(),
        &["destroy", &spec("specs/todo.yaml"), "--yes"],
    );
    c.env("TERM", "xterm-256color")
        .env("CI", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(p.slave.try_clone().unwrap()));
    let child = c.spawn().unwrap();
    drop(c);
    drop(p.slave);
    let term = read_terminal(p.master);
    let o = child.wait_with_output().unwrap();
    let terminal = term.join().unwrap();
    code(&o, 0);
    assert!(terminal.contains("[1/"), "plain step lines: {terminal:?}");
    assert!(!terminal.contains("(eta "), "no bar in CI: {terminal:?}");

    // colour on a terminal, unless NO_COLOR
    let run = |no_color: bool| {
        let p = pty();
        let mut c = cmd(&em.endpoint(), &["plan", "/nonexistent/spec.yaml"]);
        c.env("TERM", "xterm-256color")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(p.slave.try_clone().unwrap()));
        if no_color {
            c.env("NO_COLOR", "1");
        }
        let child = c.spawn().unwrap();
        drop(c);
        drop(p.slave);
        let term = read_terminal(p.master);
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(1));
        term.join().unwrap()
    };
    // a plan to a pipe or a file has no colour, even when stderr is a terminal
    let p = pty();
    let mut c = cmd(&em.endpoint(), &["plan", &spec("specs/todo.yaml")]);
    c.env("TERM", "xterm-256color")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(p.slave.try_clone().unwrap()));
    let child = c.spawn().unwrap();
    drop(c);
    drop(p.slave);
    let term = read_terminal(p.master);
    let o = child.wait_with_output().unwrap();
    term.join().unwrap();
    let (out, _) = code(&o, 0);
    assert!(out.contains("+ rest_api todo-api"), "{out}");
    assert!(!has_sgr(&out), "{out:?}");

    let coloured = run(false);
    assert!(has_sgr(&coloured), "{coloured:?}");
    let plain = run(true);
    assert!(!has_sgr(&plain), "{plain:?}");
    assert!(plain.contains("does not exist"), "{plain:?}");
}

#[tokio::test]
async fn confirmation_is_asked_only_on_a_terminal() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let todo = spec("specs/todo.yaml");
    // on a terminal: asked; answering no changes nothing
    let p = pty();
    let mut c = cmd(&em.endpoint(), &["apply", &todo]);
    c.stdin(Stdio::from(p.slave.try_clone().unwrap()))
        .stdout(Stdio::piped())
        .stderr(Stdio::from(p.slave.try_clone().unwrap()));
    let child = c.spawn().unwrap();
    drop(c);
    drop(p.slave);
    let mut answer = p.master.try_clone().unwrap();
    let chunks = terminal_chunks(p.master);
    // wait for the question, then answer
    let mut seen = String::new();
    while !seen.contains("[y/N]") {
        match chunks.recv_timeout(Duration::from_secs(30)) {
            Ok(c) => seen.push_str(&c),
            Err(e) => panic!("no question on the terminal ({e}): {seen:?}"),
        }
    }
    assert!(seen.contains("Apply these changes? [y/N]"), "{seen:?}");
    answer.write_all(b"n\n").unwrap();
    let o = child.wait_with_output().unwrap();
    seen.extend(chunks.iter());
    assert_eq!(o.status.code(), Some(1), "{seen}");
    assert!(seen.contains("cancelled; nothing was changed"), "{seen}");
    assert!(rest_api_ids(&em, "todo-api").await.is_empty());

    // without a terminal: no question; --require-approval refuses without --yes
    let o = gwctl(&em, &["apply", &todo, "--require-approval"]);
    let (_, err) = code(&o, 1);
    assert!(err.contains("no terminal to ask on"), "{err}");
    assert!(!err.contains("[y/N]"), "{err}");
    assert!(rest_api_ids(&em, "todo-api").await.is_empty());
}

// ------------------------------------------------------------------ Ctrl-C

/// A TCP proxy to the emulator that holds every chunk of a request for `delay`, so that an
/// apply takes long enough to be interrupted in the middle.
fn slow_proxy(target: String, delay: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let target = target.trim_start_matches("http://").to_string();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let Ok(server) = TcpStream::connect(&target) else {
                continue;
            };
            let (mut c_read, mut s_write) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (mut s_read, mut c_write) = (server, client);
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                while let Ok(n) = c_read.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    std::thread::sleep(delay);
                    if s_write.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = s_write.shutdown(std::net::Shutdown::Write);
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut s_read, &mut c_write);
                let _ = c_write.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    format!("http://{addr}")
}

/// Lines of the child's stderr as they come, and all of it at the end.
fn stderr_lines(child: &mut Child) -> (mpsc::Receiver<String>, std::thread::JoinHandle<String>) {
    let (tx, rx) = mpsc::channel();
    let err = child.stderr.take().unwrap();
    let h = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(err).lines() {
            let Ok(line) = line else { break };
            all.push_str(&line);
            all.push('\n');
            let _ = tx.send(line);
        }
        all
    });
    (rx, h)
}

fn sigint(child: &Child) {
    // SAFETY: kill(2) on the pid of a child this test spawned and has not waited for yet.
    let r = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(r, 0, "kill: {}", std::io::Error::last_os_error());
}

#[track_caller]
fn wait_for_line(rx: &mpsc::Receiver<String>, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) if pred(&l) => return l,
            Ok(_) => {}
            Err(e) => panic!("the expected stderr line never came: {e}"),
        }
    }
}

/// `gwctl apply SPEC --output json` through a proxy that slows every call by `delay`,
/// interrupted with SIGINT once stderr shows `[{step}/`. Checks what every interrupted apply
/// must show (exit 130, result `interrupted`, the applied / not applied lists, no step
/// started after the interrupt) and gives what was and was not applied, and stderr.
fn interrupted_apply(
    endpoint: String,
    spec: &str,
    delay: Duration,
    step: usize,
) -> (gwctl::output::ErrorDoc, String) {
    let slow = slow_proxy(endpoint, delay);
    let mut child = cmd(&slow, &["apply", spec, "--yes", "--output", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (rx, all_err) = stderr_lines(&mut child);
    let started = format!("[{step}/");
    wait_for_line(&rx, |l| l.starts_with(&started));
    sigint(&child);
    let o = child.wait_with_output().unwrap();
    let err = all_err.join().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(130), "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        err.contains("interrupt: finishing the call in flight"),
        "{err}"
    );
    let a: ApplyDoc = doc(&out);
    assert_eq!(a.result, "interrupted");
    let e = a.error.expect("what was and was not applied");
    assert_eq!(e.failed_call, None);
    assert!(
        err.contains(&format!(
            "interrupted: {} of {} calls were applied, {} were not",
            e.applied_calls,
            e.applied_calls + e.not_applied_calls,
            e.not_applied_calls
        )),
        "{err}"
    );
    assert!(err.contains("  not applied  "), "{err}");
    // every step that started finished and counts as applied; nothing started after
    let steps = err.lines().filter(|l| l.starts_with('[')).count();
    assert_eq!(steps, e.applied_calls, "{err}");
    (e, err)
}

#[tokio::test]
async fn ctrl_c_stops_after_the_call_in_flight_reports_and_exits_130() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let todo = spec("specs/todo.yaml");
    let total = plan_calls(&em, &todo);
    assert!(total > 10, "{total}");
    let (e, err) = interrupted_apply(em.endpoint(), &todo, Duration::from_millis(40), 3);
    assert!(e.applied_calls >= 3 && e.applied_calls < total, "{e:?}");
    assert_eq!(e.applied_calls + e.not_applied_calls, total);
    assert!(
        err.contains("  applied      CreateRestApi todo-api"),
        "{err}"
    );

    // the next apply converges: one API, then nothing left to do
    let o = gwctl(&em, &["apply", &todo, "--yes", "--output", "json"]);
    let a: ApplyDoc = doc(&code(&o, 0).0);
    assert_eq!(a.result, "applied");
    assert_eq!(rest_api_ids(&em, "todo-api").await.len(), 1);
    let o = gwctl(&em, &["plan", &todo, "--detailed-exitcode"]);
    code(&o, 0);
}

/// The same for an HTTP API, whose ops run concurrently: the calls in flight finish, none
/// starts after the interrupt, and the report lists exactly what was applied.
#[tokio::test]
async fn ctrl_c_stops_an_http_apply_after_the_calls_in_flight_and_exits_130() {
    let em = support::emulator().await;
    em.create_functions(&["items-handler"]).await;
    let items = spec("specs/items-http.yaml");
    let total = plan_calls(&em, &items);
    assert!(total >= 8, "{total}");
    let (e, err) = interrupted_apply(em.endpoint(), &items, Duration::from_millis(60), 2);
    assert!(e.applied_calls >= 2 && e.applied_calls < total, "{e:?}");
    assert_eq!(e.applied_calls + e.not_applied_calls, total);
    assert!(err.contains("  applied      CreateApi items-api"), "{err}");
    // the next apply converges
    let o = gwctl(&em, &["apply", &items, "--yes", "--output", "json"]);
    let a: ApplyDoc = doc(&code(&o, 0).0);
    assert_eq!(a.result, "applied");
    let o = gwctl(&em, &["plan", &items, "--detailed-exitcode"]);
    code(&o, 0);
}

#[tokio::test]
async fn ctrl_c_before_any_write_exits_130_and_changes_nothing() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    let slow = slow_proxy(em.endpoint(), Duration::from_millis(300));
    let mut c = cmd(&slow, &["apply", &spec("specs/todo.yaml"), "--yes"]);
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (rx, all_err) = stderr_lines(&mut child);
    wait_for_line(&rx, |l| l.starts_with("reading rest api"));
    sigint(&child);
    let o = child.wait_with_output().unwrap();
    let err = all_err.join().unwrap();
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted: nothing was changed"), "{err}");
    assert!(rest_api_ids(&em, "todo-api").await.is_empty());
}

// ------------------------------------------------------------------ doctor, CloudWatch role

/// HTTP APIs deliver access logs through CloudWatch Logs log delivery, not the account's
/// CloudWatch Logs role: an unset role is a warning for an HTTP spec that logs, never a failure
/// (the same stages as REST stages need the role: the REST variant of the spec fails).
#[tokio::test]
async fn doctor_does_not_require_the_cloudwatch_role_for_an_http_api_that_logs() {
    let em = support::emulator().await;
    em.create_functions(&["items-handler"]).await;
    em.set_cloudwatch_role(None);
    let dir = tempfile::tempdir().unwrap();
    let logs = "    access_log:\n      destination: arn:aws:logs:us-east-1:123456789012:log-group:items\n      format: '$context.requestId $context.status'\n";
    let http = std::fs::read_to_string(repo("specs/items-http.yaml"))
        .unwrap()
        .replace("    metrics: true\n", &format!("    metrics: true\n{logs}"));
    assert!(http.contains("log-group:items"), "{http}");
    let http = support::cli::write(&dir, "items-http.yaml", &http);
    let o = gwctl(&em, &["doctor", http.to_str().unwrap()]);
    let (out, _) = code(&o, 0);
    assert!(
        out.contains("warn  cloudwatch_role  not set in us-east-1"),
        "{out}"
    );
    assert!(!out.contains("fail"), "{out}");
    // The same stage on a REST API needs the role.
    let rest = std::fs::read_to_string(repo("specs/todo.yaml"))
        .unwrap()
        .replace("    logging: INFO\n", &format!("    logging: OFF\n{logs}"));
    assert!(rest.contains("log-group:items"), "{rest}");
    em.create_functions(TODO_FUNCTIONS).await;
    let rest = support::cli::write(&dir, "todo.yaml", &rest);
    let o = gwctl(&em, &["doctor", rest.to_str().unwrap()]);
    let (out, _) = code(&o, 1);
    assert!(
        out.contains(
            "fail  cloudwatch_role  not set in us-east-1: stage `prod` logs to CloudWatch"
        ),
        "{out}"
    );
}

#[tokio::test]
async fn doctor_reports_an_unset_cloudwatch_role_with_the_fix_and_sets_it_once_never_overwriting() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    em.set_cloudwatch_role(None);
    let todo = spec("specs/todo.yaml");

    // text: what is wrong and how to fix it
    let o = gwctl(&em, &["doctor", &todo]);
    let (out, _) = code(&o, 1);
    assert!(out.contains("ok    region           us-east-1"), "{out}");
    assert!(out.contains("ok    functions        5 of 5 found"), "{out}");
    assert!(
        out.contains(
            "fail  cloudwatch_role  not set in us-east-1: stage `prod` logs to CloudWatch"
        ),
        "{out}"
    );
    assert!(
        out.contains("hint: create an IAM role that apigateway.amazonaws.com may assume"),
        "{out}"
    );
    assert!(
        out.contains("gwctl doctor --fix-logging-role arn:aws:iam::123456789012:role/NAME"),
        "the account id comes from the functions: {out}"
    );
    // JSON: the same checks
    let o = gwctl(&em, &["doctor", &todo, "--output", "json"]);
    let d: DoctorDoc = doc(&code(&o, 1).0);
    assert!(!d.ok);
    assert_eq!(d.cloudwatch_role_arn, None);
    let names: Vec<(&str, &str)> = d
        .checks
        .iter()
        .map(|c| (c.name.as_str(), c.status.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("spec", "ok"),
            ("region", "ok"),
            ("credentials", "ok"),
            ("functions", "ok"),
            ("cloudwatch_role", "fail")
        ]
    );
    // without a spec that logs, an unset role is only a warning
    let o = gwctl(&em, &["doctor"]);
    let (out, _) = code(&o, 0);
    assert!(
        out.contains("warn  cloudwatch_role  not set in us-east-1"),
        "{out}"
    );

    // apply fails early with the same hint, before any write
    let o = gwctl(&em, &["apply", &todo, "--yes"]);
    let (_, err) = code(&o, 1);
    assert!(
        err.contains("error: stage `prod` logs at INFO, but API Gateway has no CloudWatch Logs role in `us-east-1`; nothing was changed"),
        "{err}"
    );
    assert!(err.contains("hint: create an IAM role"), "{err}");
    assert!(
        rest_api_ids(&em, "todo-api").await.is_empty(),
        "nothing written"
    );
    assert_eq!(em.cloudwatch_role(), None, "apply never sets the role");

    // --fix-logging-role sets it once
    let role = support::CLOUDWATCH_ROLE;
    let o = gwctl(
        &em,
        &[
            "doctor",
            "--fix-logging-role",
            role,
            "--output",
            "json",
            "--verbose",
        ],
    );
    let (out, err) = code(&o, 0);
    let d: DoctorDoc = doc(&out);
    assert_eq!(d.role_fix.as_deref(), Some("set"));
    assert_eq!(d.cloudwatch_role_arn.as_deref(), Some(role));
    assert_eq!(err.matches("apigateway.UpdateAccount").count(), 1, "{err}");
    assert_eq!(em.cloudwatch_role().as_deref(), Some(role));
    // again: nothing to do, no write
    let o = gwctl(&em, &["doctor", "--fix-logging-role", role, "--verbose"]);
    let (out, err) = code(&o, 0);
    assert!(out.contains("already `"), "{out}");
    assert!(!err.contains("UpdateAccount"), "{err}");
    // a different role is refused and left alone
    let o = gwctl(
        &em,
        &["doctor", "--fix-logging-role", OTHER_ROLE, "--verbose"],
    );
    let (out, err) = code(&o, 1);
    assert!(
        out.contains(&format!(
            "API Gateway already uses the role `{role}` in us-east-1; refusing to replace it with `{OTHER_ROLE}`"
        )),
        "{out}"
    );
    assert!(!err.contains("UpdateAccount"), "{err}");
    assert_eq!(em.cloudwatch_role().as_deref(), Some(role));
    // a malformed ARN is refused before any call
    let o = gwctl(&em, &["doctor", "--fix-logging-role", "my-role"]);
    let (_, err) = code(&o, 1);
    assert!(err.contains("`my-role` is not an IAM role ARN"), "{err}");

    // now apply works, and destroy leaves the role alone
    let o = gwctl(&em, &["apply", &todo, "--yes"]);
    code(&o, 0);
    let o = gwctl(&em, &["doctor", &todo]);
    code(&o, 0);
    let o = gwctl(&em, &["destroy", &todo, "--yes", "--verbose"]);
    let (_, err) = code(&o, 0);
    assert!(!err.contains("UpdateAccount"), "{err}");
    assert_eq!(em.cloudwatch_role().as_deref(), Some(role));
}

#[tokio::test]
async fn apply_reads_the_account_only_when_a_stage_turns_logging_on() {
    let em = support::emulator().await;
    em.create_functions(TODO_FUNCTIONS).await;
    em.set_cloudwatch_role(None);
    let dir = tempfile::tempdir().unwrap();
    let quiet = dir.path().join("nolog.yaml");
    std::fs::write(
        &quiet,
        std::fs::read_to_string(repo("specs/todo.yaml"))
            .unwrap()
            .replace("    logging: INFO\n", ""),
    )
    .unwrap();
    let o = gwctl(
        &em,
        &[
            "apply",
            quiet.to_str().unwrap(),
            "--yes",
            "--output",
            "json",
        ],
    );
    let a: ApplyDoc = doc(&code(&o, 0).0);
    assert_eq!(a.calls.by_operation.get("GetAccount"), None);
    // with the role set, the logging spec reads it once and applies
    em.set_cloudwatch_role(Some(support::CLOUDWATCH_ROLE));
    let o = gwctl(
        &em,
        &[
            "apply",
            &spec("specs/todo.yaml"),
            "--yes",
            "--output",
            "json",
        ],
    );
    let a: ApplyDoc = doc(&code(&o, 0).0);
    assert_eq!(a.calls.by_operation.get("GetAccount"), Some(&1));
    assert_eq!(a.stages[0].logging_level, "INFO");
    // nothing to change: no account read
    let o = gwctl(
        &em,
        &[
            "apply",
            &spec("specs/todo.yaml"),
            "--yes",
            "--output",
            "json",
        ],
    );
    let a: ApplyDoc = doc(&code(&o, 0).0);
    assert_eq!(a.result, "no_changes");
    assert_eq!(a.calls.by_operation.get("GetAccount"), None);
}

#[tokio::test]
async fn doctor_points_at_a_missing_function_in_the_spec() {
    let em = support::emulator().await;
    em.create_functions(&["todo-create", "todo-list", "todo-update", "todo-delete"])
        .await;
    let o = gwctl(&em, &["doctor", &spec("specs/todo.yaml")]);
    let (out, _) = code(&o, 1);
    assert!(
        out.contains("fail  functions        ")
            && out.contains("specs/todo.yaml:16: function `todo-get`: Lambda function `todo-get` does not exist"),
        "{out}"
    );
    assert!(out.contains("hint: create the function first"), "{out}");
}

// ------------------------------------------------------------------ completions, man, schema

#[test]
fn completions_and_the_man_page_come_from_the_clap_definitions() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef gwctl"),
        ("fish", "complete -c gwctl"),
    ] {
        let o = cmd("http://127.0.0.1:9", &["completions", shell])
            .output()
            .unwrap();
        let (out, _) = code(&o, 0);
        assert!(out.contains(marker), "{shell}: {out}");
        for verb in [
            "validate",
            "plan",
            "apply",
            "doctor",
            "fix-logging-role",
            "detailed-exitcode",
        ] {
            assert!(out.contains(verb), "{shell} completes `{verb}`");
        }
    }
    let o = cmd("http://127.0.0.1:9", &["man"]).output().unwrap();
    let (out, _) = code(&o, 0);
    assert!(
        out.starts_with(".ie") || out.contains(".TH gwctl 1"),
        "{out}"
    );
    assert!(
        out.contains("EXIT STATUS") && out.contains("interrupted"),
        "{out}"
    );
    let dir = tempfile::tempdir().unwrap();
    let o = cmd(
        "http://127.0.0.1:9",
        &["man", "--dir", dir.path().to_str().unwrap()],
    )
    .output()
    .unwrap();
    code(&o, 0);
    for page in ["gwctl.1", "gwctl-plan.1", "gwctl-doctor.1", "gwctl-apply.1"] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap();
        assert!(text.contains(".TH"), "{page}");
    }
}

// ------------------------------------------------------------------ profiles through aws-config

/// gwctl with only `AWS_CONFIG_FILE` (no credentials or region in the environment).
fn with_profile_file(endpoint: &str, config: &str, args: &[&str]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config"), config).unwrap();
    let mut c = cmd(endpoint, args);
    c.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_REGION")
        .env("HOME", dir.path())
        .env("AWS_CONFIG_FILE", dir.path().join("config"));
    (c.output().unwrap(), dir)
}

#[tokio::test]
async fn an_assume_role_profile_is_resolved_through_aws_config() {
    let em = support::emulator().await;
    // The only credentials are the source profile's: gwctl works only if it assumed the
    // role through STS (the emulator's, via AWS_ENDPOINT_URL).
    let config =
        "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n\n\
                  [profile deployer]\nrole_arn = arn:aws:iam::123456789012:role/deployer\n\
                  source_profile = base\nregion = us-east-1\n";
    let (o, _dir) = with_profile_file(
        &em.endpoint(),
        config,
        &["--profile", "deployer", "doctor", "--output", "json"],
    );
    let d: DoctorDoc = doc(&code(&o, 0).0);
    assert_eq!(
        d.region.as_deref(),
        Some("us-east-1"),
        "the profile's region"
    );
    let cred = d.checks.iter().find(|c| c.name == "credentials").unwrap();
    assert_eq!(
        (cred.status.as_str(), cred.message.as_str()),
        ("ok", "found (profile `deployer`)")
    );
    assert_eq!(
        d.cloudwatch_role_arn.as_deref(),
        Some(support::CLOUDWATCH_ROLE),
        "a call was made with the assumed role"
    );
    no_secret(&String::from_utf8_lossy(&o.stdout));
}

#[test]
fn an_sso_profile_without_a_login_says_to_log_in() {
    let config = "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\n\
                  sso_role_name = Deployer\nregion = us-east-1\n\n\
                  [sso-session corp]\nsso_start_url = https://example.awsapps.com/start\n\
                  sso_region = us-east-1\n";
    let (o, _dir) = with_profile_file(
        "http://127.0.0.1:9",
        config,
        &["--profile", "sso", "plan", &spec("specs/todo.yaml")],
    );
    let (out, err) = code(&o, 1);
    assert_eq!(out, "");
    assert!(
        err.contains("error: could not load AWS credentials:") && err.contains("SSO token"),
        "{err}"
    );
    assert!(
        err.contains("hint:") && err.contains("aws sso login --profile"),
        "{err}"
    );
}

/// The verbs that only REST APIs support refuse an HTTP spec before any AWS call (the rule
/// lives in the engine, `Flavour::SUPPORTS`), each with its own message.
#[test]
fn cors_and_verify_refuse_http_specs_before_any_call() {
    let http = spec("specs/items-http.yaml");
    // Nothing listens here: a call would fail with a transport error instead.
    let endpoint = "http://127.0.0.1:9";
    for (args, want) in [
        (
            vec!["cors", "disable", http.as_str()],
            "`items-api` is an http api: this verb supports rest apis in this version",
        ),
        (
            vec!["verify", http.as_str()],
            "`items-api` is an http api: verify finds rest apis from a spec in this version",
        ),
    ] {
        let o = cmd(endpoint, &args).output().expect("run gwctl");
        let (_, err) = text(&o);
        assert_ne!(o.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}
