//! LocalStack in host mode, for the tests that need a REST API *data plane* (moto cannot
//! serve invoke URLs, and answers every OPTIONS itself: never use it as CORS proof).
//!
//! `support::localstack::start().await` starts one LocalStack per test binary on a free
//! 127.0.0.1 port (first call only; later calls wait for their turn) under the same watchdog
//! as moto, so it ends with the test binary. Its state is not reset between tests (LocalStack
//! has no reset call): tests use their own API names.
//!
//! The interpreter is `$GWCTL_LOCALSTACK_VENV/bin/python`, else
//! `<repo>/.localstack/venv/bin/python` (created by `scripts/localstack.sh install`). When it
//! is missing every test that needs it fails with that hint: tests never skip.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use std::os::unix::process::CommandExt;

use gwctl::aws::config::{connect, AwsOptions};
use gwctl::aws::Clients;

use super::{exchange, RawResponse, ACCESS_KEY_ID, REGION, REPO};

/// The account id LocalStack reports.
pub const ACCOUNT_ID: &str = "000000000000";
/// Role the test functions claim (LocalStack does not check that it exists).
const ROLE: &str = "arn:aws:iam::000000000000:role/gwctl-test-lambda-role";
const START_TIMEOUT: Duration = Duration::from_secs(120);

struct Server {
    endpoint: String,
    _watchdog: Child,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Exclusive use of LocalStack for one test.
pub struct LocalStack {
    endpoint: String,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// LocalStack for this test: started on first use, then shared and serialised.
pub async fn start() -> LocalStack {
    let endpoint = server().endpoint.clone();
    let turn = SERIAL.lock().await;
    LocalStack {
        endpoint,
        _turn: turn,
    }
}

/// Where the LocalStack virtualenv's interpreter is, or a panic that says how to install it.
pub fn python() -> PathBuf {
    let (venv, origin) = match std::env::var_os("GWCTL_LOCALSTACK_VENV") {
        Some(v) => (PathBuf::from(v), "GWCTL_LOCALSTACK_VENV"),
        None => (
            Path::new(REPO).join(".localstack/venv"),
            "the default location",
        ),
    };
    let python = venv.join("bin/python");
    if !python.is_file() || !venv.join(".gwctl-installed").is_file() {
        panic!(
            "LocalStack is required by this test but `{}` ({origin}) is not installed\n\
             hint: run `scripts/localstack.sh install` (needs Python 3.12+, e.g. pyenv's 3.13), \
             or set GWCTL_LOCALSTACK_VENV to a virtualenv made by it",
            venv.display()
        );
    }
    python
}

fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        let python = python();
        let mut last_error = String::new();
        for _ in 0..3 {
            match start_server(&python) {
                Ok(s) => return s,
                Err(e) => last_error = e,
            }
        }
        panic!("could not start LocalStack: {last_error}");
    })
}

fn start_server(python: &Path) -> Result<Server, String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())?;
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let data = tmp.join(format!("localstack-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
    let log_path = tmp.join(format!("localstack-{}-{port}.log", std::process::id()));
    let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
    let log_err = log.try_clone().map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut child = Command::new(python)
        .arg("-c")
        .arg(super::WATCHDOG)
        .arg(python)
        .args(["-m", "localstack.runtime.main"])
        // Host mode, loopback only: the default server ignores GATEWAY_LISTEN's address.
        .env("GATEWAY_SERVER", "hypercorn")
        .env("GATEWAY_LISTEN", format!("127.0.0.1:{port}"))
        .env("DNS_ADDRESS", "0")
        .env("DISABLE_EVENTS", "1")
        .env("SKIP_SSL_CERT_DOWNLOAD", "1")
        .env("SERVICES", "apigateway,lambda,iam,sts,logs")
        .env("FILESYSTEM_ROOT", &data)
        .stdin(Stdio::piped())
        .stdout(log)
        .stderr(log_err)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot run `{}`: {e}", python.display()))?;
    let endpoint = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(10).collect();
            return Err(format!(
                "LocalStack exited at startup ({status}; log {}):\n{}",
                log_path.display(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            ));
        }
        if let Ok(r) = exchange(&endpoint, "GET", "/_localstack/health", &[], b"") {
            if r.status == 200 && r.body.contains("\"apigateway\"") {
                if std::env::var_os("GWCTL_TEST_TIMINGS").is_some() {
                    eprintln!("localstack started in {:?}", started.elapsed());
                }
                return Ok(Server {
                    endpoint,
                    _watchdog: child,
                });
            }
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "LocalStack did not answer on `{endpoint}` within {START_TIMEOUT:?} (log {})",
                log_path.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl LocalStack {
    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    pub fn options(&self) -> AwsOptions {
        AwsOptions {
            profile: None,
            region: Some(REGION.to_string()),
            endpoint_url: Some(self.endpoint.clone()),
            credentials: Some(aws_credential_types::Credentials::new(
                ACCESS_KEY_ID,
                "gwctl-test-secret",
                None,
                None,
                "gwctl-test",
            )),
        }
    }

    /// gwctl's clients pointed at LocalStack (fresh call log).
    pub async fn clients(&self) -> Clients {
        connect(&self.options())
            .await
            .expect("connect to LocalStack")
    }

    /// Creates the Lambda functions that do not exist yet (their runtime never starts here:
    /// LocalStack cannot download it, so invoking them fails; get-function and permissions
    /// work, which is all `gwctl apply` needs).
    pub async fn create_functions(&self, names: &[&str]) {
        let c = self.clients().await;
        let zip = aws_smithy_types::Blob::new(super::lambda_zip());
        for name in names {
            if c.lambda
                .get_function()
                .function_name(*name)
                .send()
                .await
                .is_ok()
            {
                continue;
            }
            c.lambda
                .create_function()
                .function_name(*name)
                .runtime(aws_sdk_lambda::types::Runtime::Python312)
                .role(ROLE)
                .handler("index.handler")
                .code(
                    aws_sdk_lambda::types::FunctionCode::builder()
                        .zip_file(zip.clone())
                        .build(),
                )
                .send()
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "create-function `{name}` in LocalStack: {}",
                        aws_smithy_types::error::display::DisplayErrorContext(&e)
                    )
                });
        }
    }

    /// A request to a deployed stage, path-style: `/_aws/execute-api/{api_id}/{stage}{path}`.
    pub fn invoke(
        &self,
        method: &str,
        api_id: &str,
        stage: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> RawResponse {
        let p = format!("/_aws/execute-api/{api_id}/{stage}{path}");
        exchange(&self.endpoint, method, &p, headers, b"")
            .unwrap_or_else(|e| panic!("{method} {p} to LocalStack: {e}"))
    }
}
