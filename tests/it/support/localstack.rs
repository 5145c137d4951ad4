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
use std::process::Child;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use gwctl::aws::config::{connect, AwsOptions};
use gwctl::aws::Clients;

use super::{exchange, RawResponse, REPO};

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
    let port = super::free_port();
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let data = tmp.join(format!("localstack-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
    let log_path = tmp.join(format!("localstack-{}-{port}.log", std::process::id()));
    let started = Instant::now();
    let listen = format!("127.0.0.1:{port}");
    let mut child = super::spawn_watched(
        python,
        &[
            python.as_os_str(),
            "-m".as_ref(),
            "localstack.runtime.main".as_ref(),
        ],
        &[
            // Host mode, loopback only: the default server ignores GATEWAY_LISTEN's address.
            ("GATEWAY_SERVER", "hypercorn".as_ref()),
            ("GATEWAY_LISTEN", listen.as_ref()),
            ("DNS_ADDRESS", "0".as_ref()),
            ("DISABLE_EVENTS", "1".as_ref()),
            ("SKIP_SSL_CERT_DOWNLOAD", "1".as_ref()),
            ("SERVICES", "apigateway,lambda,iam,sts,logs".as_ref()),
            ("FILESYSTEM_ROOT", data.as_os_str()),
        ],
        &log_path,
    )?;
    let endpoint = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "LocalStack exited at startup ({status}) {}",
                super::log_tail(&log_path)
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
                "LocalStack did not answer on `{endpoint}` within {START_TIMEOUT:?} {}",
                super::log_tail(&log_path)
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
        super::options_for(&self.endpoint)
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
        for name in names {
            if c.lambda
                .get_function()
                .function_name(*name)
                .send()
                .await
                .is_err()
            {
                super::create_function(&c, name, ROLE).await;
            }
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
