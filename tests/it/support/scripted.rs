//! A scripted AWS service behind gwctl's real paced transport (pacing off), for offline
//! tests of what happens when an answer is lost: `clients(script)` hands out gwctl's clients
//! over a connector that answers each request as `script(request, n)` says (`n` counts
//! earlier requests with the same method and path) and logs every request, so a test can
//! assert the exact request sequence. Used by `aws_recover` and `aws_ws_offline`.

use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;

use gwctl::aws::config::{clients_paced, AwsOptions};
use gwctl::aws::pace::Pacing;
use gwctl::aws::Clients;

/// What the scripted service does with one request.
pub enum Reply {
    Json(u16, String),
    /// Close the connection without an answer.
    Drop,
}

pub fn ok(body: &str) -> Reply {
    Reply::Json(200, body.to_string())
}

pub fn created(body: &str) -> Reply {
    Reply::Json(201, body.to_string())
}

/// One request as the service saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub body: String,
}

pub type Script = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

/// The scripted service: `script(request, n)` where `n` counts earlier requests with the
/// same method and path.
#[derive(Clone)]
pub struct Fake {
    script: Arc<Script>,
    log: Arc<Mutex<Vec<Seen>>>,
}

impl std::fmt::Debug for Fake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fake")
    }
}

impl HttpConnector for Fake {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let seen = Seen {
            method: request.method().to_string(),
            path: request
                .uri()
                .parse::<http::Uri>()
                .map(|u| u.path().to_string())
                .unwrap_or_default(),
            body: String::from_utf8_lossy(request.body().bytes().unwrap_or_default()).into(),
        };
        let n = {
            let mut log = self.log.lock().unwrap();
            let n = log
                .iter()
                .filter(|s| s.method == seen.method && s.path == seen.path)
                .count();
            log.push(seen.clone());
            n
        };
        HttpConnectorFuture::ready(match (self.script)(&seen, n) {
            Reply::Json(status, body) => {
                let mut r = HttpResponse::new(StatusCode::try_from(status).unwrap(), body.into());
                r.headers_mut()
                    .insert("content-type", "application/json".to_string());
                if status >= 400 {
                    let code = serde_json::from_str::<serde_json::Value>(&String::from_utf8_lossy(
                        r.body().bytes().unwrap_or_default(),
                    ))
                    .ok()
                    .and_then(|v| v["__type"].as_str().map(str::to_string))
                    .unwrap_or_default();
                    r.headers_mut().insert("x-amzn-errortype", code);
                }
                Ok(r)
            }
            Reply::Drop => Err(ConnectorError::io("connection closed".into())),
        })
    }
}

impl HttpClient for Fake {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

/// gwctl's clients (paced transport, pacing off) over the scripted service.
pub fn clients(script: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> (Clients, Fake) {
    let fake = Fake {
        script: Arc::new(script),
        log: Arc::default(),
    };
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::for_tests()))
        .http_client(SharedHttpClient::new(fake.clone()))
        .build();
    let c = clients_paced(&sdk, &AwsOptions::default(), Pacing::Off).expect("clients");
    (c, fake)
}

impl Fake {
    /// `METHOD path` of every request, in order.
    pub fn requests(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .map(|s| format!("{} {}", s.method, s.path))
            .collect()
    }
    /// Bodies of the requests with this method and path.
    pub fn bodies(&self, method: &str, path: &str) -> Vec<serde_json::Value> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.method == method && s.path == path)
            .map(|s| serde_json::from_str(&s.body).unwrap_or(serde_json::Value::Null))
            .collect()
    }
}

/// The first create is applied and its answer lost (`Drop`); the rest answer normally.
pub fn lost_then(n: usize, answer: Reply) -> Reply {
    if n == 0 {
        Reply::Drop
    } else {
        answer
    }
}
