//! Every AWS SDK call lives in this module tree: configuration, reads into [`crate::state`],
//! the executor that runs a plan, and error classification.

pub mod account;
pub mod config;
pub mod definition;
pub mod error;
pub mod exec;
pub mod identity;
pub mod interceptors;
pub mod pace;
pub mod read;
pub mod recover;
pub mod trace;

use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The service clients gwctl uses, built once from one configuration.
#[derive(Clone, Debug)]
pub struct Clients {
    pub apigw: aws_sdk_apigateway::Client,
    pub apigw2: aws_sdk_apigatewayv2::Client,
    pub lambda: aws_sdk_lambda::Client,
    /// Route 53 (`dns:` of a custom domain only).
    pub route53: aws_sdk_route53::Client,
    /// The region in effect (invoke URLs and Lambda integration URIs need it).
    pub region: String,
    /// Every call made through these clients (filled by an interceptor).
    pub calls: CallLog,
}

/// One SDK operation invocation as observed by the call-recording interceptor.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    /// `apigateway`, `apigatewayv2`, `lambda`.
    pub service: String,
    /// SDK operation name, e.g. `CreateRestApi`, `GetResources`, `AddPermission`.
    pub operation: String,
    /// HTTP attempts made (1 + retries).
    pub attempts: u32,
    pub duration: Duration,
    pub ok: bool,
}

impl CallRecord {
    /// Whether the operation changes anything (by AWS naming convention: reads start
    /// with Get/List/Describe/Head).
    pub fn is_write(&self) -> bool {
        !["Get", "List", "Describe", "Head"]
            .iter()
            .any(|p| self.operation.starts_with(p))
    }
}

impl crate::output::CallSummary for CallRecord {
    fn operation(&self) -> &str {
        &self.operation
    }
    fn is_write(&self) -> bool {
        CallRecord::is_write(self)
    }
    fn ok(&self) -> bool {
        self.ok
    }
    fn attempts(&self) -> u32 {
        self.attempts
    }
}

/// A Route 53 client that is never called: for clients built by hand (offline tests of
/// other services) that need one to fill [`Clients`]. Any call it makes fails to connect.
pub fn idle_route53() -> aws_sdk_route53::Client {
    let conf = aws_sdk_route53::Config::builder()
        .behavior_version(aws_sdk_route53::config::BehaviorVersion::latest())
        .region(aws_sdk_route53::config::Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:9")
        .build();
    aws_sdk_route53::Client::from_conf(conf)
}

/// Shared, append-only log of calls.
#[derive(Clone, Debug, Default)]
pub struct CallLog(pub Arc<Mutex<Vec<CallRecord>>>);

impl CallLog {
    pub fn push(&self, r: CallRecord) {
        trace::notify(&r);
        self.0.lock().expect("call log poisoned").push(r);
    }
    pub fn snapshot(&self) -> Vec<CallRecord> {
        self.0.lock().expect("call log poisoned").clone()
    }
    pub fn len(&self) -> usize {
        self.0.lock().expect("call log poisoned").len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn writes(&self) -> usize {
        self.snapshot().iter().filter(|c| c.is_write()).count()
    }
}
