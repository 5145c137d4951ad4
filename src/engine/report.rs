//! What a run reports beyond the plan, typed: the stages with their settings in effect and
//! the API keys. `cli` renders them as text or JSON; the engine only says what to show.

/// One stage after a run (or as it is, when nothing ran).
#[derive(Debug, Clone, PartialEq)]
pub struct StageReport {
    pub name: String,
    pub invoke_url: String,
    /// WebSocket APIs: the `@connections` URL backends post to clients through.
    pub callback_url: Option<String>,
    /// The deployment it serves.
    pub deployment_id: Option<String>,
    /// Execution logging (`OFF` when there is none, as for HTTP APIs).
    pub logging_level: String,
    pub data_trace: bool,
    pub metrics: bool,
    pub throttle_rate: Option<f64>,
    pub throttle_burst: Option<i32>,
    pub tracing: bool,
    pub access_log_destination: Option<String>,
    /// The settings a person reads about this kind of stage, in order.
    pub shown: Vec<Shown>,
    /// Per-route throttling: (route, rate, burst).
    pub routes: Vec<(String, Option<f64>, Option<i32>)>,
    /// REST: the stage's cache cluster, when it is on.
    pub cache: Option<CacheReport>,
    /// REST: the stage's canary release, when it has one.
    pub canary: Option<CanaryReport>,
}

/// A REST stage's canary: what it serves and its share of the traffic.
#[derive(Debug, Clone, PartialEq)]
pub struct CanaryReport {
    pub deployment_id: Option<String>,
    pub percent: f64,
    /// The canary serves the API's current configuration.
    pub current: bool,
}

impl CanaryReport {
    /// `10% on deployment abc123 (current)`
    pub fn text(&self) -> String {
        format!(
            "{}% on deployment {}{}",
            self.percent,
            self.deployment_id.as_deref().unwrap_or("-"),
            if self.current { " (current)" } else { "" }
        )
    }
}

/// A REST stage's cache cluster and stage-wide caching.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheReport {
    /// GB, e.g. `0.5`.
    pub size: Option<String>,
    /// The stage-wide TTL (`*/*`), seconds.
    pub ttl_seconds: Option<i32>,
    pub encrypted: bool,
}

impl CacheReport {
    /// `0.5 GB, ttl 300 s, encrypted`
    pub fn text(&self) -> String {
        let mut parts = vec![format!(
            "{} GB",
            self.size.as_deref().unwrap_or("(default size)")
        )];
        if let Some(t) = self.ttl_seconds {
            parts.push(format!("ttl {t} s"));
        }
        if self.encrypted {
            parts.push("encrypted".into());
        }
        parts.join(" ")
    }
}

/// One setting as a person reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Shown {
    /// `logging INFO`
    Value(&'static str, String),
    /// `metrics on`
    Switch(&'static str, bool),
    /// `throttling rate 10 burst 5`, `throttling account default`
    Throttle(Option<f64>, Option<i32>),
    /// `access logs to ARN`, `access logs off`
    AccessLogs(Option<String>),
}

/// One API key of the spec after a run.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyReport {
    pub name: String,
    pub id: Option<String>,
    /// Only when asked for (`--show-secrets`).
    pub value: Option<String>,
    /// `generated`, `env`, `existing`.
    pub source: String,
}

/// One stage of a live API as `show` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShowStage {
    /// Its settings as they are (JSON), with the ones a person reads in `shown`.
    pub stage: StageReport,
    /// It serves the API's current configuration.
    pub current: bool,
    /// API Gateway deploys every change to it itself (HTTP APIs).
    pub auto_deploy: bool,
}

/// One stage after `deploy` ([`crate::engine::Flavour::deployed_stages`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DeployedStage {
    /// Its settings in effect and the deployment it serves; `shown` holds the settings
    /// `deploy`'s text names (REST: logging and metrics; HTTP: metrics, throttling, access
    /// logs).
    pub stage: StageReport,
    /// API Gateway deploys every change to it itself (HTTP APIs).
    pub auto_deploy: bool,
}
