//! Shared harness for integration tests that need the local AWS emulator (moto).
//!
//! Every test file that talks to AWS does `mod support;` and starts with
//! `let em = support::emulator().await;`. That:
//! - starts one `moto_server` per test binary on a free 127.0.0.1 port (first call only);
//! - serialises the tests of the binary that use it (the returned [`Emulator`] holds a lock
//!   until it is dropped) and wipes the emulator's state before handing it out.
//!
//! The emulator binary is `$GWCTL_MOTO_SERVER`, else `$GWCTL_EMULATOR_VENV/bin/moto_server`,
//! else `<repo>/.emulator/venv/bin/moto_server` (created by `scripts/emulator.sh install`).
//! When it is missing every test that needs it fails with that hint: tests never skip.
//! `GWCTL_EMULATOR_URL=http://127.0.0.1:PORT` uses an emulator that is already running instead
//! (e.g. one from `scripts/emulator.sh start`; its state is wiped by every test).
//!
//! Strict by default: every test talks to moto through `scripts/quota_proxy.py --strict
//! --no-quotas` (one proxy for the test binary, started beside moto), which answers the calls
//! moto wrongly accepts (a duplicate path part, method, stage, route key, key value or
//! statement id, an integration on a missing method, ...: the list is in docs/testing.md) the
//! way AWS does, so a code path that only works on the emulator fails here first. `GWCTL_EMULATOR_LENIENT=1`
//! talks to moto directly (for debugging only; CI never sets it, docs/testing.md).
//! [`Emulator::moto_endpoint`] is moto itself, for setting up states AWS would refuse.
//!
//! Cleanup: moto runs under a small Python watchdog whose stdin is a pipe from the test
//! process. When the test binary exits — normally, by panic, or killed with SIGKILL — the
//! kernel closes that pipe, the watchdog reads EOF and terminates moto. Nothing depends on
//! destructors of statics (which Rust never runs) or on Linux-only `prctl`. The watchdog runs
//! in its own process group, so a Ctrl-C at the terminal does not kill it before it cleans up.
#![allow(dead_code)]

pub mod cli;
pub mod fake_http;
pub mod inventory;
pub mod offline;
pub mod quota;
pub mod scripted;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub mod localstack;
pub mod seed;

use gwctl::aws::config::{connect, load_sdk_config, AwsOptions};
use gwctl::aws::Clients;

/// Region every test uses.
pub const REGION: &str = "us-east-1";
/// The account id moto reports.
pub const ACCOUNT_ID: &str = "123456789012";
/// The IAM role the test Lambda functions run as.
pub const LAMBDA_ROLE: &str = "gwctl-test-lambda-role";
/// The API Gateway CloudWatch Logs role every reset account has (see [`Emulator::reset`]).
pub const CLOUDWATCH_ROLE: &str = "arn:aws:iam::123456789012:role/gwctl-test-apigw-cloudwatch";
/// Dummy credentials (moto accepts any).
pub const ACCESS_KEY_ID: &str = "AKIDGWCTLTEST";
const SECRET_ACCESS_KEY: &str = "gwctl-test-secret";

const REPO: &str = env!("CARGO_MANIFEST_DIR");
const START_TIMEOUT: Duration = Duration::from_secs(60);

struct Server {
    /// moto itself.
    moto: String,
    /// What tests talk to: the strict proxy in front of moto (moto itself when lenient).
    endpoint: String,
    /// Keeps the watchdog's stdin open for the life of the test binary; never dropped.
    _watchdog: Option<Child>,
    /// The strict proxy; its stdin is a pipe from this process, so it ends with the binary.
    _strict: Option<Child>,
}

/// `GWCTL_EMULATOR_LENIENT` set to anything but empty or `0`: no strict proxy (debugging only).
pub fn lenient() -> bool {
    std::env::var("GWCTL_EMULATOR_LENIENT").is_ok_and(|v| !v.is_empty() && v != "0")
}

static SERVER: OnceLock<Server> = OnceLock::new();
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Exclusive use of the emulator for one test; the state was wiped when it was handed out.
pub struct Emulator {
    endpoint: String,
    moto: String,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// The thread of the test that holds the emulator, to turn a second `emulator()` call in the
/// same test (which would wait for itself forever) into a clear failure.
static HOLDER: std::sync::Mutex<Option<std::thread::ThreadId>> = std::sync::Mutex::new(None);

/// The emulator for this test: started on first use, then shared, reset and serialised.
/// Call it once per test and keep the returned value for the whole test.
pub async fn emulator() -> Emulator {
    let me = std::thread::current().id();
    if *HOLDER.lock().unwrap_or_else(|p| p.into_inner()) == Some(me) {
        panic!(
            "support::emulator() called twice in one test: keep the first `Emulator` and use it"
        );
    }
    let server = server();
    let turn = SERIAL.lock().await;
    *HOLDER.lock().unwrap_or_else(|p| p.into_inner()) = Some(me);
    let em = Emulator {
        endpoint: server.endpoint.clone(),
        moto: server.moto.clone(),
        _turn: turn,
    };
    em.reset();
    em
}

fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        let (moto, watchdog) = start_moto();
        if lenient() {
            return Server {
                endpoint: moto.clone(),
                moto,
                _watchdog: watchdog,
                _strict: None,
            };
        }
        let (endpoint, strict) = start_strict_proxy(&moto);
        Server {
            moto,
            endpoint,
            _watchdog: watchdog,
            _strict: Some(strict),
        }
    })
}

/// moto's endpoint (`GWCTL_EMULATOR_URL`, or one started here) and its watchdog.
fn start_moto() -> (String, Option<Child>) {
    if let Ok(url) = std::env::var("GWCTL_EMULATOR_URL") {
        let url = url.trim_end_matches('/').to_string();
        wait_until_answering(&url, None).unwrap_or_else(|e| panic!("GWCTL_EMULATOR_URL: {e}"));
        return (url, None);
    }
    let bin = moto_server_binary();
    let mut last_error = String::new();
    // A free port is picked, released and handed to moto; another process could grab it in
    // between, so try a few times.
    for _ in 0..3 {
        match start_server(&bin) {
            Ok(server) => return (server.endpoint, server._watchdog),
            Err(e) => last_error = e,
        }
    }
    panic!(
        "could not start the emulator `{}`: {last_error}",
        bin.display()
    );
}

/// `scripts/quota_proxy.py --strict --no-quotas` in front of `moto`: its endpoint and process.
fn start_strict_proxy(moto: &str) -> (String, Child) {
    use std::io::BufRead;
    let script = Path::new(REPO).join("scripts/quota_proxy.py");
    let python = quota::python_or_python3();
    let mut child = Command::new(&python)
        .arg(&script)
        .args(["--upstream", moto, "--port", "0", "--strict", "--no-quotas"])
        .args(["--lifetime", "86400", "--exit-on-stdin-eof"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `{}`: {e}", python.display()));
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the strict proxy's first line");
    let endpoint = line
        .trim()
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("the strict proxy did not start: {line:?}"))
        .to_string();
    (endpoint, child)
}

/// Where the emulator binary is, or a panic that says how to install it.
pub fn moto_server_binary() -> PathBuf {
    let (path, origin) = if let Some(p) = std::env::var_os("GWCTL_MOTO_SERVER") {
        (PathBuf::from(p), "GWCTL_MOTO_SERVER")
    } else if let Some(venv) = std::env::var_os("GWCTL_EMULATOR_VENV") {
        (
            Path::new(&venv).join("bin/moto_server"),
            "GWCTL_EMULATOR_VENV",
        )
    } else {
        (
            Path::new(REPO).join(".emulator/venv/bin/moto_server"),
            "the default location",
        )
    };
    if !path.is_file() {
        panic!(
            "the AWS emulator is required by this test but `{}` ({origin}) does not exist\n\
             hint: run `scripts/emulator.sh install` (creates .emulator/venv with moto[server]==5.2.5), \
             or set GWCTL_MOTO_SERVER to a moto_server binary",
            path.display()
        );
    }
    path
}

// Runs moto as a child of the watchdog and ends it when stdin reaches EOF, i.e. when the test
// process is gone. Exits with moto's status when moto ends by itself (so startup failures are
// seen at once). `Popen.terminate` never signals a process that was already reaped.
const WATCHDOG: &str = r#"
import subprocess, sys, threading
moto = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL)
def watch():
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        if moto.poll() is None:
            moto.terminate()
            try:
                moto.wait(5)
            except subprocess.TimeoutExpired:
                moto.kill()
threading.Thread(target=watch, daemon=True).start()
sys.exit(moto.wait())
"#;

fn start_server(bin: &Path) -> Result<Server, String> {
    let port = free_port();
    let log_path = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("moto-{}-{port}.log", std::process::id()));
    // The venv's Python (next to moto_server) runs the watchdog; any python3 otherwise.
    let python = bin
        .parent()
        .map(|d| d.join("python"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("python3"));
    let started = Instant::now();
    let port_arg = port.to_string();
    let mut child = spawn_watched(
        &python,
        &[
            bin.as_os_str(),
            "-H".as_ref(),
            "127.0.0.1".as_ref(),
            "-p".as_ref(),
            port_arg.as_ref(),
        ],
        &[],
        &log_path,
    )?;
    let endpoint = format!("http://127.0.0.1:{port}");
    match wait_until_answering(&endpoint, Some(&mut child)) {
        Ok(()) => {
            if std::env::var_os("GWCTL_TEST_TIMINGS").is_some() {
                eprintln!("emulator started in {:?}", started.elapsed());
            }
            Ok(Server {
                moto: endpoint.clone(),
                endpoint,
                _watchdog: Some(child),
                _strict: None,
            })
        }
        Err(why) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("{why} {}", log_tail(&log_path)))
        }
    }
}

/// `python -c WATCHDOG args...` with `env`, output to `log_path`, in its own process group:
/// the server it runs ends when this test binary does (see the module documentation).
fn spawn_watched(
    python: &Path,
    args: &[&std::ffi::OsStr],
    env: &[(&str, &std::ffi::OsStr)],
    log_path: &Path,
) -> Result<Child, String> {
    let log = std::fs::File::create(log_path).map_err(|e| e.to_string())?;
    let log_err = log.try_clone().map_err(|e| e.to_string())?;
    Command::new(python)
        .arg("-c")
        .arg(WATCHDOG)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(log)
        .stderr(log_err)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot run `{}`: {e}", python.display()))
}

/// `(log PATH):` and the last lines of a server's log, for startup failures.
fn log_tail(log_path: &Path) -> String {
    let log = std::fs::read_to_string(log_path).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(10).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    format!("(log {}):\n{}", log_path.display(), tail.join("\n"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port on 127.0.0.1")
}

/// Polls the reset endpoint until moto answers (it must answer `{"status": "ok"}`).
fn wait_until_answering(endpoint: &str, mut child: Option<&mut Child>) -> Result<(), String> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(c) = child.as_deref_mut() {
            if let Ok(Some(status)) = c.try_wait() {
                return Err(format!("the emulator exited at startup ({status})"));
            }
        }
        if let Ok((200, body)) = http(endpoint, "POST", "/moto-api/reset", &[], b"") {
            if body.contains("ok") {
                return Ok(());
            }
            return Err(format!("`{endpoint}` answered but is not moto: {body}"));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the emulator did not answer on `{endpoint}` within {START_TIMEOUT:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        *HOLDER.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

impl Emulator {
    /// `http://127.0.0.1:PORT`: the strict proxy in front of moto (moto itself when lenient).
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// moto itself, without the strict proxy: only to set up a state AWS would refuse to
    /// create (e.g. a duplicate route key made "behind gwctl's back"), or as the upstream of
    /// another proxy.
    pub fn moto_endpoint(&self) -> String {
        self.moto.clone()
    }

    /// gwctl's clients pointed at moto itself (see [`Emulator::moto_endpoint`]).
    pub async fn moto_clients(&self) -> Clients {
        connect(&options_for(&self.moto))
            .await
            .expect("connect to the emulator")
    }

    /// Wipes every resource in the emulator (done already when the emulator is handed out),
    /// then sets API Gateway's account-level CloudWatch Logs role to [`CLOUDWATCH_ROLE`], as in
    /// an account already used for API Gateway logging (stages with `logging:` need it, and
    /// `apply` checks it first). Tests of a fresh account call `set_cloudwatch_role(None)`.
    pub fn reset(&self) {
        let (status, body) = http(&self.endpoint, "POST", "/moto-api/reset", &[], b"")
            .unwrap_or_else(|e| panic!("cannot reset the emulator at `{}`: {e}", self.endpoint));
        assert_eq!(status, 200, "emulator reset failed: {body}");
        self.set_cloudwatch_role(Some(CLOUDWATCH_ROLE));
    }

    /// Set (or, with `None`, clear) API Gateway's CloudWatch Logs role, bypassing gwctl.
    pub fn set_cloudwatch_role(&self, role: Option<&str>) {
        let body = serde_json::json!({
            "patchOperations": [{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}]
        })
        .to_string();
        let (status, answer) = self.raw("PATCH", "/account", Some(&body));
        assert_eq!(status, 200, "update-account in the emulator: {answer}");
    }

    /// API Gateway's CloudWatch Logs role as the emulator holds it.
    pub fn cloudwatch_role(&self) -> Option<String> {
        let (status, body) = self.raw("GET", "/account", None);
        assert_eq!(status, 200, "get-account in the emulator: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).expect("get-account answers JSON");
        v["cloudwatchRoleArn"].as_str().map(str::to_string)
    }

    /// The options the CLI would build from `--endpoint-url … --region us-east-1`, plus dummy
    /// credentials passed explicitly (the process environment is left alone).
    pub fn options(&self) -> AwsOptions {
        options_for(&self.endpoint)
    }

    /// gwctl's clients (interceptors and call log included) pointed at the emulator. Each call
    /// returns clients with a fresh, empty call log.
    pub async fn clients(&self) -> Clients {
        connect(&self.options())
            .await
            .expect("connect to the emulator")
    }

    /// The resolved SDK configuration for the emulator, to build clients gwctl would not (e.g.
    /// without its interceptors).
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        load_sdk_config(&self.options())
            .await
            .expect("load the emulator's SDK config")
    }

    /// Creates the IAM role Lambda functions need (once per reset) and one Python function per
    /// name from a tiny in-memory zip; returns their ARNs in the order given. These calls are
    /// made with separate clients: they do not appear in any test's call log.
    pub async fn create_functions(&self, names: &[&str]) -> Vec<String> {
        let role_arn = self.ensure_lambda_role();
        let clients = self.clients().await;
        let mut arns = Vec::with_capacity(names.len());
        for name in names {
            arns.push(create_function(&clients, name, &role_arn).await);
        }
        arns
    }

    /// Creates [`LAMBDA_ROLE`] through IAM's query API (gwctl has no IAM client); returns its ARN.
    pub fn ensure_lambda_role(&self) -> String {
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        let form = format!(
            "Action=CreateRole&Version=2010-05-08&RoleName={LAMBDA_ROLE}&AssumeRolePolicyDocument={}",
            form_encode(trust)
        );
        let (status, body) = http(
            &self.endpoint,
            "POST",
            "/",
            &[
                ("Authorization", &auth_header("iam")),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            form.as_bytes(),
        )
        .expect("IAM CreateRole request");
        assert!(
            status == 200 || body.contains("EntityAlreadyExists"),
            "IAM CreateRole failed ({status}): {body}"
        );
        format!("arn:aws:iam::{ACCOUNT_ID}:role/{LAMBDA_ROLE}")
    }

    /// A raw JSON request to the emulator, bypassing the SDK (to create states the SDK cannot
    /// write, or to look at exactly what the service returns). The service is inferred from the
    /// path: `/2015-03-31/...` and other dated paths are Lambda, everything else API Gateway.
    /// Returns the HTTP status and the body.
    pub fn raw(&self, method: &str, path: &str, json_body: Option<&str>) -> (u16, String) {
        let r = call_at(&self.endpoint, method, path, json_body);
        (r.status, r.body)
    }
}

/// A raw JSON request to `endpoint`, signed (by credential scope only) like [`Emulator::raw`];
/// the whole answer, headers included.
pub fn call_at(endpoint: &str, method: &str, path: &str, json_body: Option<&str>) -> RawResponse {
    let service = if path.starts_with("/20") {
        "lambda"
    } else {
        "apigateway"
    };
    let auth = auth_header(service);
    let mut headers = vec![("Authorization", auth.as_str())];
    if json_body.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    exchange(
        endpoint,
        method,
        path,
        &headers,
        json_body.unwrap_or("").as_bytes(),
    )
    .unwrap_or_else(|e| panic!("{method} {path} to `{endpoint}`: {e}"))
}

/// What `--endpoint-url ENDPOINT --region us-east-1` with the dummy credentials builds.
pub fn options_for(endpoint: &str) -> AwsOptions {
    AwsOptions {
        profile: None,
        region: Some(REGION.to_string()),
        endpoint_url: Some(endpoint.to_string()),
        credentials: Some(dummy_credentials()),
    }
}

/// create-function `name` (Python, from [`lambda_zip`], running as `role_arn`); its ARN.
pub async fn create_function(clients: &Clients, name: &str, role_arn: &str) -> String {
    let out = clients
        .lambda
        .create_function()
        .function_name(name)
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .role(role_arn)
        .handler("index.handler")
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_smithy_types::Blob::new(lambda_zip()))
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "create-function `{name}`: {}",
                aws_smithy_types::error::display::DisplayErrorContext(&e)
            )
        });
    out.function_arn()
        .expect("create-function returns the function ARN")
        .to_string()
}

/// The five functions of specs/todo.yaml.
pub const TODO_FUNCTIONS: &[&str] = &[
    "todo-create",
    "todo-list",
    "todo-get",
    "todo-update",
    "todo-delete",
];

/// A path in the repository.
pub fn repo(p: &str) -> PathBuf {
    Path::new(REPO).join(p)
}

/// The real `gwctl` binary with `args`, its AWS calls sent to `endpoint` with the dummy
/// credentials, no profile, no config files, no colour and not in CI mode.
pub fn gwctl_at(endpoint: &str, args: &[&str]) -> std::process::Output {
    gwctl_command(endpoint, args).output().expect("run gwctl")
}

/// The command [`gwctl_at`] runs, for tests that spawn, kill or run several at once.
pub fn gwctl_command(endpoint: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gwctl"));
    c.args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", REGION)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env_remove("CI")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    c
}

/// stdout of a run that must have exited 0 (else a panic showing both streams).
#[track_caller]
/// `doc` validates against the OpenAPI 3.0 schema (openapi-spec-validator, pinned in the
/// emulator venv by scripts/emulator.sh); panics with the validator's words otherwise.
pub fn validate_openapi(doc: &str) {
    let python = quota::python();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.json");
    std::fs::write(&file, doc).unwrap();
    let out = Command::new(&python)
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .expect("run openapi_spec_validator");
    assert!(
        out.status.success(),
        "does not validate ({}):\n{}{}\nhint: `scripts/emulator.sh install` pins openapi-spec-validator\n{doc}",
        python.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn stdout_ok(o: &std::process::Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout:\n{out}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

fn dummy_credentials() -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new(
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        None,
        None,
        "gwctl-test",
    )
}

/// moto routes a request to a service by the credential scope of its signature; it does not
/// check the signature itself.
fn auth_header(service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20260101/{REGION}/{service}/aws4_request, \
         SignedHeaders=host, Signature=0000"
    )
}

fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Minimal HTTP/1.1 client over a TcpStream (one request per connection), enough for moto.
fn http(
    endpoint: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    exchange(endpoint, method, path, headers, body).map(|r| (r.status, r.body))
}

/// An HTTP answer as the test client saw it.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    /// Header names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    /// The value of header `name` (case-insensitive), values of repeated headers joined.
    pub fn header(&self, name: &str) -> Option<String> {
        let name = name.to_ascii_lowercase();
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }
}

/// One request over a fresh connection (independent of gwctl's own HTTP client).
pub fn exchange(
    endpoint: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<RawResponse> {
    let authority = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| std::io::Error::other(format!("not an http:// URL: `{endpoint}`")))?;
    let addr = authority.split('/').next().unwrap_or(authority);
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut wire = req.into_bytes();
    wire.extend_from_slice(body);
    stream.set_nodelay(true)?;
    stream.write_all(&wire)?;
    // Read up to the end of the headers, then exactly the body the headers announce: moto
    // closes the connection ~10 ms after answering, so waiting for EOF would slow every call.
    let mut raw = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let split = loop {
        if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::Error::other(
                "connection closed before the headers ended",
            ));
        }
        raw.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut payload = raw[split + 4..].to_vec();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line: {head}")))?;
    let header = |name: &str| {
        head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    let chunked =
        header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let length: Option<usize> = header("content-length").and_then(|v| v.parse().ok());
    let complete = |p: &[u8]| match (chunked, length) {
        (true, _) => p.ends_with(b"0\r\n\r\n"),
        (false, Some(len)) => p.len() >= len,
        (false, None) => false,
    };
    while !complete(&payload) {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        payload.extend_from_slice(&chunk[..n]);
    }
    if chunked {
        payload = dechunk(&payload)?;
    } else if let Some(len) = length {
        payload.truncate(len);
    }
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect();
    Ok(RawResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&payload).to_string(),
    })
}

fn dechunk(mut data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| std::io::Error::other("truncated chunk"))?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| std::io::Error::other(format!("bad chunk size: {e}")))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            return Err(std::io::Error::other("truncated chunk"));
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// A zip archive (stored, no compression) holding `index.py` with a `handler` function.
pub fn lambda_zip() -> Vec<u8> {
    stored_zip(
        "index.py",
        b"def handler(event, context):\n    return {\"statusCode\": 200, \"body\": \"ok\"}\n",
    )
}

fn stored_zip(name: &str, data: &[u8]) -> Vec<u8> {
    let crc = crc32(data);
    let size = u32::try_from(data.len()).expect("small file");
    let name_len = u16::try_from(name.len()).expect("short name");
    const DOS_DATE_1980_01_01: u16 = 0x21;
    let mut out = Vec::new();
    // local file header
    out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    for v in [20u16, 0, 0, 0, DOS_DATE_1980_01_01] {
        out.extend_from_slice(&v.to_le_bytes()); // version, flags, method, time, date
    }
    for v in [crc, size, size] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&name_len.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(data);
    // central directory
    let cd_offset = u32::try_from(out.len()).expect("small zip");
    out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    // made by 3.0 on Unix, version needed, flags, method, time, date
    for v in [0x031Eu16, 20, 0, 0, 0, DOS_DATE_1980_01_01] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for v in [crc, size, size] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    // name length, extra, comment, disk, internal attributes
    for v in [name_len, 0, 0, 0, 0] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&(0o100644u32 << 16).to_le_bytes()); // -rw-r--r--
    out.extend_from_slice(&0u32.to_le_bytes()); // local header offset
    out.extend_from_slice(name.as_bytes());
    let cd_size = u32::try_from(out.len()).expect("small zip") - cd_offset;
    // end of central directory
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, 1, 1] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Runs the test `name` of this test binary again in a child process whose AWS environment is
/// exactly `env`: every `AWS_*` variable of this process is removed, the shared config and
/// credentials files point at files that do not exist, and instance metadata is disabled
/// (`env` can override any of these). Returns `true` in the child, where the caller then runs
/// the test body; in the parent it waits for the child, fails with its output if the child
/// failed, and returns `false`. This keeps environment-dependent tests from racing the other
/// tests of the binary, which run in threads of one process.
///
/// ```ignore
/// if !support::isolated("my_test", &[("AWS_REGION", "eu-west-1")]) { return; }
/// // body: runs only in the child
/// ```
#[track_caller]
pub fn isolated(name: &str, env: &[(&str, &str)]) -> bool {
    const MARK: &str = "GWCTL_ISOLATED_TEST";
    if std::env::var(MARK).as_deref() == Ok(name) {
        return true;
    }
    // All integration tests are one binary (tests/it), where a test's full name is
    // `module::name`; libtest runs each test on a thread named after its full name.
    let full = std::thread::current()
        .name()
        .filter(|t| *t == name || t.ends_with(&format!("::{name}")))
        .map(str::to_string)
        .unwrap_or_else(|| name.to_string());
    let exe = std::env::current_exe().expect("path of the test binary");
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let mut cmd = Command::new(exe);
    cmd.args([full.as_str(), "--exact", "--nocapture", "--test-threads=1"]);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(key);
        }
    }
    cmd.env(MARK, name)
        .env("AWS_CONFIG_FILE", tmp.join("no-such-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            tmp.join("no-such-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run the test binary again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "isolated run of `{name}` failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    false
}
