//! Quota-paced calls: every HTTP request gwctl sends to API Gateway (REST and v2) and to Lambda
//! waits for the published control-plane quotas, and a throttled, failed or conflicting answer
//! is retried here, with backoff and jitter, honouring `Retry-After`.
//!
//! Where it sits: [`PacedHttpClient`] wraps the SDK's HTTPS client (attached by
//! [`crate::aws::config`]), so *every* call made through [`crate::aws::Clients`] is paced —
//! reads and writes, the readers, the executor and any code added later — without wrapping
//! call sites. [`PaceTag`], an interceptor, tells the transport which operation a request is
//! (the SDK knows, the bytes on the wire barely do) and counts the attempts for the
//! [`crate::aws::CallLog`]. The SDK's own retry layer is set to one attempt
//! ([`crate::aws::config::retry_policy`]): the two layers never multiply, and this one owns the
//! policy (the SDK's standard mode retries a 429 three times, ignores `Retry-After` and knows
//! nothing of the buckets).
//!
//! The model:
//! - **Buckets.** One token bucket per operation with a published quota ([`APIGATEWAY_QUOTAS`],
//!   [`LAMBDA_QUOTAS`]) plus the account-wide total ([`APIGATEWAY_ACCOUNT`]: 10 calls/s,
//!   burst 40, shared by REST and v2 calls). A call takes a token from its operation's bucket
//!   and from the total, at the earliest time both allow. Buckets are GCRA-style (a
//!   "theoretical arrival time" per bucket), so a reservation never over-issues. gwctl keeps a
//!   small safety margin below the published numbers ([`SAFETY`]): the service counts arrivals,
//!   and network jitter can bunch them.
//! - **Feedback (AIMD).** A 429 means someone else uses the account's quota (or the buckets
//!   were not full when gwctl started): the account rate is cut by a quarter ([`CUT_FACTOR`],
//!   at most once per [`CUT_INTERVAL`], never below [`FLOOR_FRACTION`] of the maximum), the
//!   burst is drained, and the rate then grows back additively ([`RECOVERY_RPS_PER_SEC`]) to
//!   the configured maximum. Against another job using ~5 calls/s, gwctl settles around the
//!   remaining ~5.
//! - **Retries.** 429 / `TooManyRequestsException` / `LimitExceededException` up to
//!   [`RetryPolicy::throttled`] attempts; 5xx and transport errors up to
//!   [`RetryPolicy::failed`]; `ConflictException` ("concurrent modification") up to
//!   [`RetryPolicy::conflict`] — except for operations where a conflict means "already exists"
//!   ([`conflict_means_exists`]): those go back to the executor, which looks before
//!   re-creating; and except where a conflict is final ([`conflict_is_final`]: an API key
//!   value that is another key's), which no wait resolves. A transport error (no answer) is not retried for creates that are not
//!   idempotent ([`ambiguous_if_unanswered`]): the call may have been applied, and retrying
//!   blindly would make a duplicate; the executor looks for the object before creating it
//!   again ([`crate::aws::recover`]).
//!   Backoff is exponential with full jitter, at least what `Retry-After` (seconds or an HTTP
//!   date) or `x-amz-retry-after` (milliseconds) asks, and never beyond [`MAX_CALL_TIME`] in
//!   total (the request's signature is only valid for a few minutes).
//!
//! `--max-rps N` caps the account total at N calls/s (burst scaled with it) for accounts that
//! share the quota with other jobs; `--max-rps off` disables the buckets (emulators; retries
//! stay). Lambda has its own, higher quotas and its own buckets; it never draws from API
//! Gateway's.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse, Metadata};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use tokio::time::Instant;

use super::error::{kind_from_code, ErrorKind};

// ---------------------------------------------------------------------------------------
// The published quotas
// ---------------------------------------------------------------------------------------

/// A token bucket as AWS publishes it: `rate` calls per second on average, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quota {
    pub rate: f64,
    pub burst: f64,
}

impl Quota {
    /// `n` calls per second (burst `n`).
    pub const fn per_second(n: f64) -> Quota {
        Quota { rate: n, burst: n }
    }
    /// One call every `secs` seconds (burst 1).
    pub const fn one_every(secs: f64) -> Quota {
        Quota {
            rate: 1.0 / secs,
            burst: 1.0,
        }
    }
    /// The shortest time `n` calls can take when the bucket starts full.
    pub fn min_seconds(&self, n: usize) -> f64 {
        ((n as f64 - self.burst) / self.rate).max(0.0)
    }
}

/// API Gateway's account-wide total of control-plane calls (REST and v2, reads included).
pub const APIGATEWAY_ACCOUNT: Quota = Quota {
    rate: 10.0,
    burst: 40.0,
};

/// Bucket key of `CreateRestApi` for EDGE APIs (ten times slower than REGIONAL/PRIVATE).
pub const CREATE_EDGE_API: &str = "CreateRestApi (EDGE)";

/// API Gateway operations with a quota of their own (AWS API Gateway developer guide,
/// "Amazon API Gateway quotas", creating, deploying and managing an API; they cannot be
/// raised). Every other operation only counts against [`APIGATEWAY_ACCOUNT`].
/// `ImportRestApi` shares the `CreateRestApi` bucket (see [`bucket_key`]).
pub const APIGATEWAY_QUOTAS: &[(&str, Quota)] = &[
    ("CreateRestApi", Quota::one_every(3.0)),
    (CREATE_EDGE_API, Quota::one_every(30.0)),
    ("PutRestApi", Quota::per_second(1.0)),
    ("DeleteRestApi", Quota::one_every(30.0)),
    ("CreateResource", Quota::per_second(5.0)),
    ("DeleteResource", Quota::per_second(5.0)),
    (
        "GetResources",
        Quota {
            rate: 2.5,
            burst: 5.0,
        },
    ),
    ("CreateDeployment", Quota::one_every(5.0)),
    ("CreateApiKey", Quota::per_second(5.0)),
    ("DeleteApiKey", Quota::per_second(5.0)),
    ("UpdateUsagePlan", Quota::one_every(20.0)),
    ("UpdateAccount", Quota::one_every(20.0)),
    ("CreateDomainName", Quota::one_every(30.0)),
    ("UpdateDomainName", Quota::one_every(30.0)),
    ("DeleteDomainName", Quota::one_every(30.0)),
    ("CreateDocumentationVersion", Quota::one_every(20.0)),
    ("CreateVpcLink", Quota::one_every(15.0)),
    ("DeleteVpcLink", Quota::one_every(30.0)),
];

/// Lambda's control-plane total (every API but invocation, `GetFunction` and `GetPolicy`).
pub const LAMBDA_CONTROL_PLANE: Quota = Quota::per_second(15.0);

/// Lambda operations with their own quota (Lambda developer guide, "Lambda quotas", API
/// requests). They do not count against [`LAMBDA_CONTROL_PLANE`].
pub const LAMBDA_QUOTAS: &[(&str, Quota)] = &[
    ("GetFunction", Quota::per_second(100.0)),
    ("GetPolicy", Quota::per_second(15.0)),
];

/// Route 53's API total: 5 requests per second per account (Route 53 developer guide,
/// "Quotas", API requests). gwctl calls it only for `dns:` on a custom domain.
pub const ROUTE53_ACCOUNT: Quota = Quota {
    rate: 5.0,
    burst: 5.0,
};

/// Which quota table a client's calls draw from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// API Gateway REST (`apigateway`) and v2 (`apigatewayv2`): one account total.
    ApiGateway,
    Lambda,
    /// Route 53: one account total, no per-operation buckets.
    Route53,
}

/// The bucket an operation draws from, besides the total: `None` when it has no quota of its
/// own. `edge` is true for a `CreateRestApi` / `ImportRestApi` of an EDGE API.
pub fn bucket_key(service: Service, operation: &str, edge: bool) -> Option<&'static str> {
    let (table, name) = match service {
        Service::ApiGateway => {
            let name = match operation {
                "CreateRestApi" | "ImportRestApi" if edge => CREATE_EDGE_API,
                "ImportRestApi" => "CreateRestApi",
                other => other,
            };
            (APIGATEWAY_QUOTAS, name)
        }
        Service::Lambda => (LAMBDA_QUOTAS, operation),
        Service::Route53 => (&[][..], operation),
    };
    table.iter().find(|(k, _)| *k == name).map(|(k, _)| *k)
}

fn quota_of(service: Service, key: &str) -> Option<Quota> {
    let table = match service {
        Service::ApiGateway => APIGATEWAY_QUOTAS,
        Service::Lambda => LAMBDA_QUOTAS,
        Service::Route53 => &[],
    };
    table.iter().find(|(k, _)| *k == key).map(|(_, q)| *q)
}

/// The shortest wall time a set of API Gateway calls can take under the published quotas,
/// with every bucket full at the start: the slowest bucket decides. `calls` maps operation
/// names (as the SDK and the quota simulator name them; EDGE creations under
/// [`CREATE_EDGE_API`]) to counts; reads count against the total too.
pub fn lower_bound_seconds(calls: &BTreeMap<String, usize>) -> f64 {
    let total: usize = calls.values().sum();
    let mut per_bucket: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (op, n) in calls {
        let key = if op == CREATE_EDGE_API {
            Some(CREATE_EDGE_API)
        } else {
            bucket_key(Service::ApiGateway, op, false)
        };
        if let Some(k) = key {
            *per_bucket.entry(k).or_default() += n;
        }
    }
    per_bucket
        .iter()
        .filter_map(|(k, n)| quota_of(Service::ApiGateway, k).map(|q| q.min_seconds(*n)))
        .fold(APIGATEWAY_ACCOUNT.min_seconds(total), f64::max)
}

// ---------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------

/// How gwctl paces its calls (`--max-rps`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Pacing {
    /// The published quotas.
    #[default]
    Quotas,
    /// The published quotas with the API Gateway account total at N calls per second
    /// (`--max-rps N`), burst scaled with it (4 s worth, as AWS's 10/40).
    MaxRps(f64),
    /// No client-side buckets (`--max-rps off`, for emulators); throttled answers are still
    /// retried with backoff.
    Off,
}

impl FromStr for Pacing {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("off") {
            return Ok(Pacing::Off);
        }
        match s.parse::<f64>() {
            Ok(n) if n.is_finite() && n > 0.0 => Ok(Pacing::MaxRps(n)),
            _ => Err(format!(
                "`{s}` is not a rate: give calls per second above 0 (e.g. `5`, `2.5`) or `off`"
            )),
        }
    }
}

impl fmt::Display for Pacing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pacing::Quotas => write!(f, "quotas"),
            Pacing::MaxRps(n) => write!(f, "{n}"),
            Pacing::Off => write!(f, "off"),
        }
    }
}

/// Fraction of each published rate gwctl uses, and the burst tokens it leaves unused, so
/// that jitter between sending and arrival never makes a paced call arrive too early.
pub const SAFETY: f64 = 0.97;
/// Additive recovery of the account rate after a throttle, in calls/s per second.
pub const RECOVERY_RPS_PER_SEC: f64 = 1.0;
/// A throttle multiplies the account rate by this, at most once per [`CUT_INTERVAL`] (the
/// 429s of one burst are one signal, not many).
pub const CUT_FACTOR: f64 = 0.75;
pub const CUT_INTERVAL: Duration = Duration::from_secs(2);
/// The account rate never drops below this fraction of its maximum.
pub const FLOOR_FRACTION: f64 = 0.2;
/// Upper bound on the time one call may spend waiting and retrying: a SigV4 signature is
/// accepted for five minutes after it was made, and the request is signed once.
pub const MAX_CALL_TIME: Duration = Duration::from_secs(240);

// ---------------------------------------------------------------------------------------
// Buckets
// ---------------------------------------------------------------------------------------

/// A GCRA token bucket: `tat` is the theoretical arrival time of the next call at the
/// bucket's rate; a call may go at `tat - tolerance`, where the tolerance is the burst less
/// one interval. Integer nanoseconds, so that a burst is exact.
#[derive(Debug, Clone)]
struct Bucket {
    burst: u32,
    tat: Option<Instant>,
}

impl Bucket {
    fn new(burst: f64) -> Bucket {
        Bucket {
            burst: burst.floor().max(1.0) as u32,
            tat: None,
        }
    }

    fn interval(rate: f64) -> Duration {
        Duration::from_nanos((1e9 / rate).round() as u64)
    }

    fn tolerance(&self, rate: f64) -> Duration {
        Self::interval(rate) * (self.burst - 1)
    }

    /// The earliest time at or after `at` a call may go.
    fn earliest(&self, at: Instant, rate: f64) -> Instant {
        match self
            .tat
            .and_then(|tat| tat.checked_sub(self.tolerance(rate)))
        {
            Some(t) => at.max(t),
            None => at,
        }
    }

    /// Record a call at `slot` (which [`Bucket::earliest`] allowed).
    fn take(&mut self, slot: Instant, rate: f64) {
        let base = self.tat.map_or(slot, |t| t.max(slot));
        self.tat = Some(base + Self::interval(rate));
    }

    /// No burst left: the next call waits one interval from `now`.
    fn drain(&mut self, now: Instant, rate: f64) {
        let empty = now + Self::interval(rate) + self.tolerance(rate);
        self.tat = Some(self.tat.map_or(empty, |t| t.max(empty)));
    }
}

/// The account-total rate under AIMD feedback.
#[derive(Debug, Clone)]
struct Aimd {
    max: f64,
    current: f64,
    updated: Option<Instant>,
    last_cut: Option<Instant>,
}

impl Aimd {
    fn new(max: f64) -> Aimd {
        Aimd {
            max,
            current: max,
            updated: None,
            last_cut: None,
        }
    }

    fn rate(&mut self, now: Instant) -> f64 {
        match self.updated {
            Some(t) if now > t => {
                let dt = (now - t).as_secs_f64();
                self.current = (self.current + RECOVERY_RPS_PER_SEC * dt).min(self.max);
                self.updated = Some(now);
            }
            Some(_) => {}
            None => self.updated = Some(now),
        }
        self.current
    }

    /// A throttle: cut the rate (once per [`CUT_INTERVAL`]); true when it was cut.
    fn cut(&mut self, now: Instant) -> bool {
        let rate = self.rate(now);
        if self
            .last_cut
            .is_some_and(|t| now.saturating_duration_since(t) < CUT_INTERVAL)
        {
            return false;
        }
        self.last_cut = Some(now);
        self.current = (rate * CUT_FACTOR).max(self.max * FLOOR_FRACTION);
        true
    }
}

/// What the limiter has done so far (for `--verbose` and tests).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PaceStats {
    /// Slots handed out (one per HTTP attempt).
    pub calls: u64,
    /// Slots that were later than asked, and the total wait.
    pub delayed: u64,
    pub waited: Duration,
    /// Throttled answers (429 and the like) received.
    pub throttled: u64,
    /// Times the account rate was cut because of them.
    pub cuts: u64,
    /// The account rate now (calls/s), `None` when unpaced.
    pub rate: Option<f64>,
}

#[derive(Debug)]
struct LimiterState {
    account: Option<(Bucket, Aimd)>,
    buckets: BTreeMap<&'static str, Bucket>,
    stats: PaceStats,
    /// Calls waiting for a token of the total: (rank, arrival number) and since when. The
    /// next token goes to the first one in this order ([`LimiterState::next_waiter`]).
    waiting: BTreeMap<(u32, u64), Instant>,
    arrivals: u64,
}

impl LimiterState {
    /// The waiter of the total that goes next: the lowest rank, then the earliest arrival;
    /// a call that has waited [`PATIENCE`] goes before every rank (oldest first), so that
    /// no call of a later API waits long enough for its signature to expire.
    fn next_waiter(&self, now: Instant) -> Option<(u32, u64)> {
        self.waiting
            .iter()
            .min_by_key(|((rank, n), since)| {
                let overdue = now.saturating_duration_since(**since) >= PATIENCE;
                (!overdue, if overdue { 0 } else { *rank }, *n)
            })
            .map(|(k, _)| *k)
    }
}

/// Longest time a ranked call waits behind calls of lower ranks ([`ranked`]).
pub const PATIENCE: Duration = Duration::from_secs(60);

tokio::task_local! {
    static RANK: u32;
}

/// Run `work` with its calls ranked `rank` at the account total: when calls of several
/// ranks wait for the total's next token, the lowest rank goes first (equal ranks first come,
/// first served). A multi-API run ([`crate::engine`]'s `apply_all`) ranks each API by its
/// place in the run, so that the first API's calls are not held back by the others': the
/// APIs finish one after another, and each one's deployment (1 per 5 s per account) overlaps
/// the calls of the APIs still running instead of all of them queueing at the end. Calls
/// outside any ranked work have rank 0. A call that has waited [`PATIENCE`] goes first
/// whatever its rank.
pub async fn ranked<F: std::future::Future>(rank: u32, work: F) -> F::Output {
    RANK.scope(rank, work).await
}

fn current_rank() -> u32 {
    RANK.try_with(|r| *r).unwrap_or(0)
}

/// A call's place among the waiters of the total; leaves it when dropped (also when the
/// waiting call is cancelled), and wakes the others.
struct Waiter<'a> {
    limiter: &'a Limiter,
    key: (u32, u64),
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        let removed = self.limiter.lock().waiting.remove(&self.key).is_some();
        if removed {
            self.limiter.turn.notify_waiters();
        }
    }
}

/// The buckets of one service's quota table, shared by every client and task of the process.
///
/// A call first takes a token from its operation's own bucket (and waits for it), then one
/// from the total: a call waiting 30 s for `DeleteRestApi` never holds the total's tokens
/// meanwhile, so reservations of the total are never far in the future.
#[derive(Debug)]
pub struct Limiter {
    service: Service,
    paced: bool,
    state: Mutex<LimiterState>,
    /// Wakes the waiters of the total when one of them took a token or left.
    turn: tokio::sync::Notify,
}

impl Limiter {
    /// The limiter for `service` under `pacing`.
    pub fn new(service: Service, pacing: Pacing) -> Limiter {
        let total = match (service, pacing) {
            (Service::ApiGateway, Pacing::MaxRps(n)) => Quota {
                rate: n,
                burst: (n * APIGATEWAY_ACCOUNT.burst / APIGATEWAY_ACCOUNT.rate).max(1.0),
            },
            (Service::ApiGateway, _) => APIGATEWAY_ACCOUNT,
            (Service::Lambda, _) => LAMBDA_CONTROL_PLANE,
            (Service::Route53, _) => ROUTE53_ACCOUNT,
        };
        let paced = pacing != Pacing::Off;
        Limiter {
            service,
            paced,
            state: Mutex::new(LimiterState {
                account: paced.then(|| {
                    (
                        Bucket::new(safe_burst(total.burst)),
                        Aimd::new(total.rate * SAFETY),
                    )
                }),
                buckets: BTreeMap::new(),
                stats: PaceStats::default(),
                waiting: BTreeMap::new(),
                arrivals: 0,
            }),
            turn: tokio::sync::Notify::new(),
        }
    }

    pub fn service(&self) -> Service {
        self.service
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LimiterState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The operation's own bucket and its quota, if it has one (and pacing is on).
    fn own(&self, operation: &str, edge: bool) -> Option<(&'static str, Quota)> {
        if !self.paced {
            return None;
        }
        bucket_key(self.service, operation, edge)
            .and_then(|k| quota_of(self.service, k).map(|q| (k, q)))
    }

    /// When `operation`'s own bucket allows a call, at or after `at` (`at` itself when it
    /// has no quota of its own, or when unpaced). Takes nothing.
    pub fn own_ready(&self, operation: &str, edge: bool, at: Instant) -> Instant {
        let Some((key, q)) = self.own(operation, edge) else {
            return at;
        };
        let st = self.lock();
        st.buckets
            .get(key)
            .map_or(at, |b| b.earliest(at, q.rate * SAFETY))
    }

    /// Take a token of `operation`'s own bucket at `at` if it allows one then; false when
    /// another call took it first.
    pub fn take_own(&self, operation: &str, edge: bool, at: Instant) -> bool {
        let Some((key, q)) = self.own(operation, edge) else {
            return true;
        };
        let mut st = self.lock();
        let b = st
            .buckets
            .entry(key)
            .or_insert_with(|| Bucket::new(safe_burst(q.burst)));
        if b.earliest(at, q.rate * SAFETY) > at {
            return false;
        }
        b.take(at, q.rate * SAFETY);
        true
    }

    /// Reserve a token of `operation`'s own bucket at or after `at` (for planning ahead;
    /// [`Limiter::acquire`] takes it at the moment of sending instead).
    pub fn reserve_own(&self, operation: &str, edge: bool, at: Instant) -> Instant {
        let Some((key, q)) = self.own(operation, edge) else {
            return at;
        };
        let mut st = self.lock();
        let b = st
            .buckets
            .entry(key)
            .or_insert_with(|| Bucket::new(safe_burst(q.burst)));
        let slot = b.earliest(at, q.rate * SAFETY);
        b.take(slot, q.rate * SAFETY);
        slot
    }

    /// Reserve a token of the service's total at or after `at`. Lambda's `GetFunction` and
    /// `GetPolicy` have quotas apart from the total and do not draw from it.
    pub fn reserve_total(&self, operation: &str, at: Instant) -> Instant {
        if !self.uses_total(operation) {
            return at;
        }
        let mut st = self.lock();
        let Some((bucket, aimd)) = st.account.as_mut() else {
            return at;
        };
        let rate = aimd.rate(at);
        let slot = bucket.earliest(at, rate);
        bucket.take(slot, rate);
        slot
    }

    /// Whether `operation` draws from the total (pacing on, and not one of Lambda's reads
    /// with a quota of their own).
    fn uses_total(&self, operation: &str) -> bool {
        self.paced
            && !(self.service == Service::Lambda
                && bucket_key(self.service, operation, false).is_some())
    }

    /// Wait for a token of the total, taken at the moment it is given: among the calls
    /// waiting for one, the first by (rank, arrival) goes first ([`ranked`]). Every call of
    /// one rank keeps its arrival order, so without ranks this is first come, first served.
    /// The operation's own token is taken with the total's, in one step: false (nothing
    /// taken) when another call took the own bucket's token meanwhile, so that the total's
    /// token is never spent on a call that cannot go (ten APIs' CreateResource calls waking
    /// for one token of its bucket would otherwise each spend one of the total).
    async fn acquire_total(&self, operation: &str, edge: bool) -> bool {
        if !self.uses_total(operation) {
            return self.take_own(operation, edge, Instant::now());
        }
        let own = self.own(operation, edge);
        let key = {
            let mut st = self.lock();
            st.arrivals += 1;
            let key = (current_rank(), st.arrivals);
            st.waiting.insert(key, Instant::now());
            key
        };
        let _waiter = Waiter { limiter: self, key };
        loop {
            // Registered before looking, so that a token taken meanwhile wakes this call.
            let turn = self.turn.notified();
            tokio::pin!(turn);
            turn.as_mut().enable();
            let now = Instant::now();
            let wait_until = {
                let mut st = self.lock();
                let first = st.next_waiter(now) == Some(key);
                let Some((bucket, aimd)) = st.account.as_mut() else {
                    return true;
                };
                let rate = aimd.rate(now);
                let slot = bucket.earliest(now, rate);
                if slot <= now && first {
                    let own_ok = own.is_none_or(|(k, q)| {
                        st.buckets
                            .get(k)
                            .is_none_or(|b| b.earliest(now, q.rate * SAFETY) <= now)
                    });
                    if own_ok {
                        let (bucket, aimd) = st.account.as_mut().expect("paced");
                        let rate = aimd.rate(now);
                        bucket.take(now, rate);
                        if let Some((k, q)) = own {
                            st.buckets
                                .entry(k)
                                .or_insert_with(|| Bucket::new(safe_burst(q.burst)))
                                .take(now, q.rate * SAFETY);
                        }
                    }
                    st.waiting.remove(&key);
                    drop(st);
                    self.turn.notify_waiters();
                    return own_ok;
                }
                // Not first: the first takes the token and wakes the others; the timer
                // is a backstop (the rate recovering can bring the slot forward).
                slot.max(now + Duration::from_millis(if first { 0 } else { 50 }))
            };
            tokio::select! {
                _ = tokio::time::sleep_until(wait_until) => {}
                _ = &mut turn => {}
            }
        }
    }

    /// Wait until `operation` may be sent: until its own bucket allows it, then for a token
    /// of the total ([`Limiter::acquire_total`], by rank); both tokens are taken at the
    /// moment of sending, so that both buckets count the call when the service will.
    pub async fn acquire(&self, operation: &str, edge: bool) {
        let asked = Instant::now();
        loop {
            tokio::time::sleep_until(self.own_ready(operation, edge, Instant::now())).await;
            if self.acquire_total(operation, edge).await {
                break;
            }
            // A concurrent call of the same operation took its bucket's token meanwhile:
            // wait for the bucket again (nothing was taken).
        }
        let mut st = self.lock();
        st.stats.calls += 1;
        let now = Instant::now();
        if now > asked {
            st.stats.delayed += 1;
            st.stats.waited += now - asked;
        }
    }

    /// A throttled answer to `operation` at `now`: cut the account rate, drain the buckets.
    pub fn throttled(&self, operation: &str, edge: bool, now: Instant) {
        let mut st = self.lock();
        st.stats.throttled += 1;
        if !self.paced {
            return;
        }
        if let Some(k) = bucket_key(self.service, operation, edge) {
            if let (Some(q), Some(b)) = (quota_of(self.service, k), st.buckets.get_mut(k)) {
                b.drain(now, q.rate * SAFETY);
            }
        }
        let mut cut = false;
        if let Some((bucket, aimd)) = st.account.as_mut() {
            cut = aimd.cut(now);
            let rate = aimd.rate(now);
            bucket.drain(now, rate);
        }
        if cut {
            st.stats.cuts += 1;
        }
    }

    pub fn stats(&self) -> PaceStats {
        let mut st = self.lock();
        let now = Instant::now();
        let rate = st.account.as_mut().map(|(_, a)| a.rate(now));
        PaceStats {
            rate,
            ..st.stats.clone()
        }
    }
}

fn safe_burst(burst: f64) -> f64 {
    if burst >= 2.0 {
        burst - 1.0
    } else {
        burst
    }
}

// ---------------------------------------------------------------------------------------
// Retry policy
// ---------------------------------------------------------------------------------------

/// Why an answer is worth another attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryKind {
    /// 429 / TooManyRequestsException / LimitExceededException.
    Throttled,
    /// 5xx.
    Failed,
    /// No answer (connection refused or dropped, timeout).
    Unanswered,
    /// ConflictException meaning "concurrent modification".
    Conflict,
}

/// Attempts and backoff per kind of failure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts (including the first) for throttled answers.
    pub throttled: u32,
    /// Attempts for 5xx answers and transport errors.
    pub failed: u32,
    /// Attempts for concurrent-modification conflicts.
    pub conflict: u32,
    /// First backoff ceiling for throttled answers; doubles per attempt up to `cap`.
    pub throttled_base: Duration,
    /// First backoff ceiling for the others.
    pub base: Duration,
    pub cap: Duration,
    /// Longest `Retry-After` honoured; a longer one ends the retries.
    pub max_hint: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            throttled: 10,
            failed: 5,
            conflict: 6,
            throttled_base: Duration::from_millis(250),
            base: Duration::from_millis(100),
            cap: Duration::from_secs(20),
            max_hint: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// How many attempts (first included) a failure of this kind may get.
    pub fn attempts(&self, kind: RetryKind) -> u32 {
        match kind {
            RetryKind::Throttled => self.throttled,
            RetryKind::Failed | RetryKind::Unanswered => self.failed,
            RetryKind::Conflict => self.conflict,
        }
    }

    /// Delay before attempt `attempt + 1` after `attempt` attempts failed with `kind`:
    /// "full jitter" (uniform in 0..min(cap, base·2^(attempt-1))), and never less than the
    /// service's hint.
    pub fn delay(
        &self,
        kind: RetryKind,
        attempt: u32,
        hint: Option<Duration>,
        unit: f64,
    ) -> Duration {
        let base = if kind == RetryKind::Throttled {
            self.throttled_base
        } else {
            self.base
        };
        let exp = attempt.saturating_sub(1).min(20);
        let ceiling = base.saturating_mul(1u32 << exp).min(self.cap);
        let jittered = ceiling.mul_f64(unit.clamp(0.0, 1.0));
        match hint {
            Some(h) => jittered.max(h),
            None => jittered,
        }
    }
}

/// The service name the apigatewayv2 SDK gives its operations ([`Metadata::service`]);
/// REST's is `API Gateway`. Operation names alone are shared between the two
/// (`CreateAuthorizer`, `CreateStage`, `CreateDeployment`, ...).
pub const APIGATEWAYV2: &str = "ApiGatewayV2";

/// Operations for which a ConflictException usually means "it already exists": not retried
/// here; the executor looks, adopts what exists, and retries itself when nothing is there
/// (then the conflict was a concurrent modification). `service` is the SDK's service name
/// ([`APIGATEWAYV2`] for v2): the apigatewayv2 creates whose executors adopt on conflict
/// are here only for that service, since a same-named REST create (`CreateAuthorizer`) is
/// not adopted by the REST executor and keeps the transport's retries.
pub fn conflict_means_exists(service: &str, operation: &str) -> bool {
    let v2 = service == APIGATEWAYV2
        && matches!(
            operation,
            "CreateRoute"
                | "CreateAuthorizer"
                | "CreateIntegrationResponse"
                | "CreateRouteResponse"
                | "CreateApiMapping"
        );
    v2 || matches!(
        operation,
        "CreateResource"
            | "CreateStage"
            | "AddPermission"
            | "PutMethod"
            | "PutMethodResponse"
            | "CreateFunction"
            | "CreateUsagePlanKey"
            | "CreateBasePathMapping"
            | "CreateDomainName"
    )
}

/// Operations for which a ConflictException is final: what the create would make already
/// exists and belongs to something else, so waiting cannot resolve it. `CreateApiKey`
/// answers it when the value is already another key's ("API Key already exists"): retrying
/// would only send the value again. Neither retried here nor by the executor.
pub fn conflict_is_final(operation: &str) -> bool {
    matches!(operation, "CreateApiKey")
}

/// Creates that are not idempotent: an attempt that got no answer, or a 5xx answer, may
/// have been applied, so it is not repeated blindly (a duplicate API, authorizer, key or plan
/// would follow);
/// the executor looks before creating again ([`crate::aws::recover`]). `CreateResource`
/// and `AddPermission` are here too: AWS refuses a duplicate path or statement id, but
/// emulators accept both, and gwctl never relies on the service refusing.
/// `CreateDeployment` (an extra snapshot is harmless) is safe to repeat.
pub fn ambiguous_if_unanswered(operation: &str) -> bool {
    matches!(
        operation,
        "CreateRestApi"
            | "CreateResource"
            | "AddPermission"
            | "ImportRestApi"
            | "CreateAuthorizer"
            | "CreateApiKey"
            | "CreateUsagePlan"
            | "CreateDomainName"
            | "CreateVpcLink"
            | "CreateApi"
            | "ImportApi"
            | "CreateRoute"
            | "CreateIntegration"
            | "CreateIntegrationResponse"
            | "CreateRouteResponse"
            | "CreateModel"
            | "CreateRequestValidator"
            | "CreateDocumentationPart"
    )
}

/// Whether an HTTP answer to `operation` is worth retrying, and why. `error_type` is the
/// `x-amzn-ErrorType` header (or the body's `__type` / `code`), without any `:` suffix.
/// `service` is the SDK's service name of the operation (see [`conflict_means_exists`]).
pub fn classify_answer(
    status: u16,
    error_type: Option<&str>,
    service: &str,
    operation: &str,
) -> Option<RetryKind> {
    if status < 300 {
        return None;
    }
    match kind_from_code(error_type, Some(status)) {
        ErrorKind::Throttled => Some(RetryKind::Throttled),
        ErrorKind::Service => Some(RetryKind::Failed),
        ErrorKind::Conflict
            if !conflict_means_exists(service, operation) && !conflict_is_final(operation) =>
        {
            Some(RetryKind::Conflict)
        }
        _ if status >= 500 => Some(RetryKind::Failed),
        _ => None,
    }
}

/// The error code of an answer: the `x-amzn-ErrorType` header, else `__type` / `code` in a
/// JSON body; namespace and `:`-suffix stripped (`aws.protocoltests#Foo:http://...` → `Foo`).
pub fn error_type(
    headers: &aws_smithy_runtime_api::http::Headers,
    body: Option<&[u8]>,
) -> Option<String> {
    let raw = headers
        .get("x-amzn-errortype")
        .map(str::to_string)
        .or_else(|| {
            let v: serde_json::Value = serde_json::from_slice(body?).ok()?;
            v.get("__type")
                .or_else(|| v.get("code"))
                .and_then(|t| t.as_str())
                .map(str::to_string)
        })?;
    let code = raw.split(':').next().unwrap_or_default();
    let code = code.rsplit('#').next().unwrap_or_default().trim();
    (!code.is_empty()).then(|| code.to_string())
}

/// How long the service asks to wait: `Retry-After` (delta seconds or an HTTP date) or
/// `x-amz-retry-after` (milliseconds).
pub fn retry_after(headers: &aws_smithy_runtime_api::http::Headers) -> Option<Duration> {
    if let Some(ms) = headers
        .get("x-amz-retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Some(Duration::from_millis(ms));
    }
    let v = headers.get("retry-after")?.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = aws_smithy_types::DateTime::from_str(v, aws_smithy_types::date_time::Format::HttpDate)
        .ok()?;
    let at = std::time::SystemTime::try_from(at).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Jitter source: xorshift64*, seeded per process from the clock (timing only; nothing gwctl
/// prints depends on it).
#[derive(Debug)]
struct Jitter(AtomicU64);

impl Jitter {
    fn new() -> Jitter {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15);
        Jitter(AtomicU64::new(seed | 1))
    }

    /// Uniform in [0, 1).
    fn unit(&self) -> f64 {
        let mut x = self.0.load(Ordering::Relaxed);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0.store(x, Ordering::Relaxed);
        let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (r >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A uniform draw in [0, 1) for backoff jitter (see [`RetryPolicy::delay`]).
pub fn jitter_unit() -> f64 {
    static JITTER: std::sync::OnceLock<Jitter> = std::sync::OnceLock::new();
    JITTER.get_or_init(Jitter::new).unit()
}

// ---------------------------------------------------------------------------------------
// The interceptor: which operation a request is
// ---------------------------------------------------------------------------------------

/// Attached to a request by [`PaceTag`]: the operation, and a counter of HTTP attempts the
/// transport made for it (the SDK itself makes one).
#[derive(Debug, Clone)]
pub struct PaceTicket {
    pub operation: String,
    /// The SDK's service name (`API Gateway`, [`APIGATEWAYV2`], `Lambda`, ...); empty when
    /// unknown.
    pub service: String,
    attempts: Arc<AtomicU32>,
}

impl PaceTicket {
    pub fn new(operation: impl Into<String>) -> PaceTicket {
        PaceTicket::of(String::new(), operation)
    }
    /// The ticket of `operation` of `service` (the SDK's service name).
    pub fn of(service: impl Into<String>, operation: impl Into<String>) -> PaceTicket {
        PaceTicket {
            operation: operation.into(),
            service: service.into(),
            attempts: Arc::new(AtomicU32::new(0)),
        }
    }
    /// HTTP attempts made so far for this operation.
    pub fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::Relaxed)
    }
}

impl Storable for PaceTicket {
    type Storer = StoreReplace<Self>;
}

/// Tags every request with a [`PaceTicket`] for [`PacedHttpClient`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PaceTag;

impl Intercept for PaceTag {
    fn name(&self) -> &'static str {
        "gwctl::PaceTag"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // One ticket per operation (the same on every SDK attempt, so attempts add up).
        // The operation's name is known here (not yet before serialization).
        let ticket = match cfg.load::<PaceTicket>() {
            Some(t) => t.clone(),
            None => {
                let (service, operation) = cfg.load::<Metadata>().map_or_else(
                    || (String::new(), "Unknown".to_string()),
                    |m| (m.service().to_string(), m.name().to_string()),
                );
                let t = PaceTicket::of(service, operation);
                cfg.interceptor_state().store_put(t.clone());
                t
            }
        };
        context.request_mut().add_extension(ticket);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// The transport
// ---------------------------------------------------------------------------------------

/// An HTTP client that paces and retries every request of the clients it is attached to.
#[derive(Debug, Clone)]
pub struct PacedHttpClient {
    inner: SharedHttpClient,
    limiter: Arc<Limiter>,
    policy: RetryPolicy,
    jitter: Arc<Jitter>,
}

impl PacedHttpClient {
    pub fn new(inner: SharedHttpClient, limiter: Arc<Limiter>) -> PacedHttpClient {
        PacedHttpClient::with_policy(inner, limiter, RetryPolicy::default())
    }

    pub fn with_policy(
        inner: SharedHttpClient,
        limiter: Arc<Limiter>,
        policy: RetryPolicy,
    ) -> PacedHttpClient {
        PacedHttpClient {
            inner,
            limiter,
            policy,
            jitter: Arc::new(Jitter::new()),
        }
    }

    pub fn limiter(&self) -> &Arc<Limiter> {
        &self.limiter
    }
}

impl HttpClient for PacedHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector {
            inner: self.inner.http_connector(settings, components),
            limiter: self.limiter.clone(),
            policy: self.policy,
            jitter: self.jitter.clone(),
        })
    }
}

/// The connector [`PacedHttpClient`] hands out: waits for a slot, sends, retries.
#[derive(Debug, Clone)]
pub struct PacedConnector {
    inner: SharedHttpConnector,
    limiter: Arc<Limiter>,
    policy: RetryPolicy,
    jitter: Arc<Jitter>,
}

impl PacedConnector {
    /// A connector over `inner` (tests use a fake one).
    pub fn new(
        inner: SharedHttpConnector,
        limiter: Arc<Limiter>,
        policy: RetryPolicy,
    ) -> PacedConnector {
        PacedConnector {
            inner,
            limiter,
            policy,
            jitter: Arc::new(Jitter::new()),
        }
    }
}

/// True for a `CreateRestApi` / `ImportRestApi` request whose endpoint type is EDGE
/// (body `endpointConfiguration.types`, or import's `endpointConfigurationTypes` parameter).
fn is_edge_create(operation: &str, request: &HttpRequest) -> bool {
    match operation {
        "CreateRestApi" => request
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
            .and_then(|v| {
                v.pointer("/endpointConfiguration/types")
                    .and_then(|t| t.as_array())
                    .map(|t| t.iter().any(|x| x.as_str() == Some("EDGE")))
            })
            .unwrap_or(false),
        "ImportRestApi" => request.uri().contains("endpointConfigurationTypes=EDGE"),
        _ => false,
    }
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let this = self.clone();
        HttpConnectorFuture::new(async move { this.send(request).await })
    }
}

impl PacedConnector {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, ConnectorError> {
        let ticket = request.extension::<PaceTicket>().cloned();
        let operation = ticket
            .as_ref()
            .map_or_else(|| "Unknown".to_string(), |t| t.operation.clone());
        let service = ticket
            .as_ref()
            .map(|t| t.service.clone())
            .unwrap_or_default();
        let edge = is_edge_create(&operation, &request);
        let started = Instant::now();
        let mut attempt: u32 = 0;
        let mut pending = Some(request);
        loop {
            self.limiter.acquire(&operation, edge).await;
            attempt += 1;
            if let Some(t) = &ticket {
                t.attempts.fetch_add(1, Ordering::Relaxed);
            }
            let original = pending.take().expect("a request to send");
            // Keep a copy for another attempt when the body can be replayed.
            let spare = original.try_clone();
            let result = self.inner.call(original).await;
            let (kind, hint) = match &result {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let code = error_type(resp.headers(), resp.body().bytes());
                    match classify_answer(status, code.as_deref(), &service, &operation) {
                        None => return result,
                        // A 5xx to a create that is not idempotent can come after the
                        // service applied it: like a lost answer, it goes back to the
                        // executor, which looks before creating again.
                        Some(RetryKind::Failed) if ambiguous_if_unanswered(&operation) => {
                            return result
                        }
                        Some(k) => (k, retry_after(resp.headers())),
                    }
                }
                Err(_) if ambiguous_if_unanswered(&operation) => return result,
                Err(_) => (RetryKind::Unanswered, None),
            };
            if kind == RetryKind::Throttled {
                self.limiter.throttled(&operation, edge, Instant::now());
            }
            let delay = self.policy.delay(kind, attempt, hint, self.jitter.unit());
            let out_of_time = started.elapsed() + delay > MAX_CALL_TIME;
            let hint_too_long = hint.is_some_and(|h| h > self.policy.max_hint);
            match spare {
                Some(next)
                    if attempt < self.policy.attempts(kind) && !out_of_time && !hint_too_long =>
                {
                    tokio::time::sleep(delay).await;
                    pending = Some(next);
                }
                _ => return result,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::http::{Headers, StatusCode};
    use aws_smithy_types::body::SdkBody;
    use std::sync::Mutex as StdMutex;

    fn t0() -> Instant {
        Instant::now()
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn the_table_has_the_published_quotas() {
        let q = |op| quota_of(Service::ApiGateway, op).unwrap();
        assert_eq!(
            APIGATEWAY_ACCOUNT,
            Quota {
                rate: 10.0,
                burst: 40.0
            }
        );
        assert_eq!(q("CreateRestApi"), Quota::one_every(3.0));
        assert_eq!(q(CREATE_EDGE_API), Quota::one_every(30.0));
        assert_eq!(q("DeleteRestApi"), Quota::one_every(30.0));
        assert_eq!(q("CreateResource"), Quota::per_second(5.0));
        assert_eq!(
            q("GetResources"),
            Quota {
                rate: 2.5,
                burst: 5.0
            }
        );
        assert_eq!(q("CreateDeployment"), Quota::one_every(5.0));
        assert_eq!(q("UpdateUsagePlan"), Quota::one_every(20.0));
        assert_eq!(q("PutRestApi"), Quota::per_second(1.0));
        assert_eq!(bucket_key(Service::ApiGateway, "PutMethod", false), None);
        assert_eq!(
            bucket_key(Service::ApiGateway, "ImportRestApi", false),
            Some("CreateRestApi")
        );
        assert_eq!(
            bucket_key(Service::ApiGateway, "CreateRestApi", true),
            Some(CREATE_EDGE_API)
        );
        assert_eq!(
            bucket_key(Service::Lambda, "GetPolicy", false),
            Some("GetPolicy")
        );
        assert_eq!(bucket_key(Service::Lambda, "CreateResource", false), None);
    }

    #[test]
    fn max_rps_parses_numbers_and_off() {
        assert_eq!("5".parse::<Pacing>(), Ok(Pacing::MaxRps(5.0)));
        assert_eq!(" 2.5 ".parse::<Pacing>(), Ok(Pacing::MaxRps(2.5)));
        assert_eq!("OFF".parse::<Pacing>(), Ok(Pacing::Off));
        for bad in ["0", "-1", "fast", "NaN", "inf"] {
            let e = bad.parse::<Pacing>().unwrap_err();
            assert!(e.contains(&format!("`{bad}`")), "{e}");
        }
    }

    #[test]
    fn the_lower_bound_is_the_slowest_bucket() {
        let calls = |pairs: &[(&str, usize)]| -> BTreeMap<String, usize> {
            pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
        };
        // 140 calls: 40 at once, 100 more at 10/s.
        assert_eq!(lower_bound_seconds(&calls(&[("PutMethod", 140)])), 10.0);
        // 3 CreateDeployment: 2 more after the first, 5 s apart; the total is no limit.
        assert_eq!(
            lower_bound_seconds(&calls(&[("CreateDeployment", 3)])),
            10.0
        );
        // 20 CreateResource at 5/s (burst 5) = 3 s, less than the total's 0 s? no: max.
        assert_eq!(
            lower_bound_seconds(&calls(&[("CreateResource", 20), ("GetRestApis", 1)])),
            3.0
        );
        assert_eq!(lower_bound_seconds(&calls(&[("GetRestApis", 8)])), 0.0);
        assert_eq!(lower_bound_seconds(&calls(&[(CREATE_EDGE_API, 2)])), 30.0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_account_total_allows_its_burst_then_its_rate() {
        let l = Limiter::new(Service::ApiGateway, Pacing::Quotas);
        let start = t0();
        let slots: Vec<Duration> = (0..45)
            .map(|_| l.reserve_total("PutMethod", start) - start)
            .collect();
        // burst 40 less one token of margin: 39 at once ...
        assert!(slots[..39].iter().all(|d| d.is_zero()), "{slots:?}");
        // ... then one per 1/(10 * SAFETY) s.
        let step = Bucket::interval(10.0 * SAFETY);
        for (i, d) in slots[39..].iter().enumerate() {
            assert_eq!(*d, step * (i as u32 + 1), "slot {}", i + 39);
        }
        // A call an hour later finds the bucket full again.
        let later = start + Duration::from_secs(3600);
        assert_eq!(l.reserve_total("PutMethod", later), later);
    }

    #[tokio::test(start_paused = true)]
    async fn acquire_waits_for_the_slot_and_counts() {
        let l = Limiter::new(Service::ApiGateway, Pacing::Quotas);
        let start = Instant::now();
        for _ in 0..41 {
            l.acquire("PutIntegration", false).await;
        }
        // (tokio's timer has millisecond resolution)
        let waited = Instant::now() - start;
        assert!(
            waited.abs_diff(Bucket::interval(10.0 * SAFETY) * 2) <= ms(2),
            "{waited:?}"
        );
        let s = l.stats();
        assert_eq!((s.calls, s.delayed), (41, 2));
    }

    #[tokio::test(start_paused = true)]
    async fn operation_buckets_come_on_top_of_the_total() {
        let l = Limiter::new(Service::ApiGateway, Pacing::Quotas);
        let start = t0();
        let a = l.reserve_own("CreateRestApi", false, start);
        let b = l.reserve_own("CreateRestApi", false, start);
        assert_eq!(a, start);
        assert_eq!(b - a, Bucket::interval(SAFETY / 3.0));
        assert_eq!(l.reserve_own("GetRestApis", false, start), start);
        // EDGE has its own, slower bucket.
        let e1 = l.reserve_own("CreateRestApi", true, start);
        let e2 = l.reserve_own("CreateRestApi", true, start);
        assert_eq!(e1, start);
        assert_eq!(e2 - e1, Bucket::interval(SAFETY / 30.0));
        // CreateDeployment: one per 5 s; none of this held up the total.
        let d: Vec<Duration> = (0..3)
            .map(|_| l.reserve_own("CreateDeployment", false, start) - start)
            .collect();
        assert_eq!(d[2], Bucket::interval(SAFETY / 5.0) * 2);
        assert_eq!(l.reserve_total("CreateDeployment", start), start);
    }

    /// Issue 18: two custom domains in one spec queue 30 s apart instead of tripping the
    /// quota. REST (`apigateway`) and HTTP (`apigatewayv2`) calls name the operation alike and
    /// share one limiter (`aws::config`), so a v1 and a v2 `CreateDomainName` queue too.
    #[tokio::test(start_paused = true)]
    async fn two_domain_names_queue_thirty_seconds_apart() {
        let l = Limiter::new(Service::ApiGateway, Pacing::Quotas);
        for op in ["CreateDomainName", "UpdateDomainName", "DeleteDomainName"] {
            assert_eq!(
                quota_of(Service::ApiGateway, op),
                Some(Quota::one_every(30.0))
            );
        }
        let start = Instant::now();
        l.acquire("CreateDomainName", false).await;
        let first = Instant::now() - start;
        l.acquire("CreateDomainName", false).await;
        let second = Instant::now() - start;
        assert!(first.is_zero(), "{first:?}");
        assert!(second >= Duration::from_secs(30), "{second:?}");
        assert!(second <= Duration::from_secs(31), "{second:?}");
        // Mappings have no quota of their own: they did not wait for the domain's bucket.
        let before = Instant::now();
        l.acquire("CreateBasePathMapping", false).await;
        l.acquire("CreateApiMapping", false).await;
        assert_eq!(Instant::now() - before, Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_waiting_for_its_own_bucket_does_not_hold_up_others() {
        let l = Limiter::new(Service::ApiGateway, Pacing::Quotas);
        let start = Instant::now();
        let slow = async {
            l.acquire("DeleteRestApi", false).await;
            l.acquire("DeleteRestApi", false).await;
            Instant::now() - start
        };
        let fast = async {
            tokio::time::sleep(ms(10)).await;
            for _ in 0..20 {
                l.acquire("GetRestApi", false).await;
            }
            Instant::now() - start
        };
        let (slow, fast) = tokio::join!(slow, fast);
        assert!(slow >= Duration::from_secs(30), "{slow:?}");
        assert_eq!(fast, ms(10));
    }

    #[tokio::test(start_paused = true)]
    async fn max_rps_caps_the_total_and_off_disables_buckets() {
        let l = Limiter::new(Service::ApiGateway, Pacing::MaxRps(2.0));
        let start = t0();
        let slots: Vec<Duration> = (0..10)
            .map(|_| l.reserve_total("GetStages", start) - start)
            .collect();
        // burst 8 (4 s worth) less one, then 2 * SAFETY per second.
        assert!(slots[..7].iter().all(|s| s.is_zero()), "{slots:?}");
        assert_eq!(slots[7], Bucket::interval(2.0 * SAFETY));
        let off = Limiter::new(Service::ApiGateway, Pacing::Off);
        assert!((0..100).all(|_| off.reserve_own("CreateRestApi", false, start) == start));
        assert!((0..100).all(|_| off.reserve_total("CreateRestApi", start) == start));
        assert_eq!(off.stats().rate, None);
    }

    #[tokio::test(start_paused = true)]
    async fn lambda_has_its_own_buckets() {
        let l = Limiter::new(Service::Lambda, Pacing::Quotas);
        let start = t0();
        // GetFunction has its own 100/s and does not draw from the total.
        assert!((0..60).all(|_| l.reserve_own("GetFunction", false, start) == start));
        assert!((0..60).all(|_| l.reserve_total("GetFunction", start) == start));
        let adds: Vec<Instant> = (0..15)
            .map(|_| l.reserve_total("AddPermission", start))
            .collect();
        assert!(adds[..14].iter().all(|s| *s == start));
        assert!(adds[14] > start);
    }

    #[tokio::test(start_paused = true)]
    async fn calls_waiting_for_one_own_token_spend_none_of_the_total() {
        // Ten CreateDeployment calls wake for each token of their bucket (1 per 5 s): only
        // the one that goes may take a token of the total, or the reads beside them lose
        // some of the account's rate.
        let l = Arc::new(Limiter::new(Service::ApiGateway, Pacing::Quotas));
        let start = Instant::now();
        let deploys: Vec<_> = (0..10)
            .map(|_| {
                let l = l.clone();
                tokio::spawn(async move { l.acquire("CreateDeployment", false).await })
            })
            .collect();
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let (l, done) = (l.clone(), done.clone());
            tokio::spawn(async move {
                let mut n = 0u32;
                while !done.load(Ordering::Relaxed) {
                    l.acquire("GetRestApis", false).await;
                    n += 1;
                }
                n
            })
        };
        for d in deploys {
            d.await.unwrap();
        }
        let elapsed = (Instant::now() - start).as_secs_f64();
        done.store(true, Ordering::Relaxed);
        let reads = reader.await.unwrap() as f64;
        assert!(elapsed > 9.0 * 5.0, "{elapsed}");
        // everything the total allowed in that time went to a call that was sent
        let capacity = safe_burst(APIGATEWAY_ACCOUNT.burst) + 10.0 * SAFETY * elapsed;
        assert!(
            reads + 10.0 >= capacity - 3.0,
            "{reads} reads and 10 deployments in {elapsed:.1} s; the total allowed {capacity:.0}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn route53_calls_keep_to_five_per_second_apart_from_api_gateway() {
        let l = Limiter::new(Service::Route53, Pacing::Quotas);
        let start = t0();
        assert_eq!(
            bucket_key(Service::Route53, "ChangeResourceRecordSets", false),
            None
        );
        let slots: Vec<Duration> = (0..10)
            .map(|_| l.reserve_total("ChangeResourceRecordSets", start) - start)
            .collect();
        // Burst 5 less one, then 5 * SAFETY per second: 10 calls take more than a second.
        assert!(slots[..4].iter().all(|s| s.is_zero()), "{slots:?}");
        assert_eq!(slots[4], Bucket::interval(5.0 * SAFETY));
        assert!(slots[9] > Duration::from_secs(1), "{slots:?}");
        // API Gateway's total is another limiter: untouched by Route 53's calls.
        let gw = Limiter::new(Service::ApiGateway, Pacing::Quotas);
        assert_eq!(gw.reserve_total("GetRestApis", start), start);
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_cuts_the_rate_which_then_recovers() {
        let l = Limiter::new(Service::ApiGateway, Pacing::Quotas);
        let start = t0();
        let max = 10.0 * SAFETY;
        assert_eq!(l.stats().rate, Some(max));
        l.throttled("PutMethod", false, start);
        assert_eq!(l.stats().rate, Some(max * CUT_FACTOR));
        // A second throttle within CUT_INTERVAL does not cut again.
        l.throttled("PutMethod", false, start + ms(500));
        let s = l.stats();
        assert_eq!((s.throttled, s.cuts), (2, 1));
        // The burst is gone: the next call waits one interval at the current rate.
        let next = l.reserve_total("PutMethod", start + ms(500));
        assert!(next > start + ms(500));
        // Recovery is additive: 1 s later the rate grew by RECOVERY_RPS_PER_SEC.
        tokio::time::advance(Duration::from_secs(1)).await;
        let r = l.stats().rate.unwrap();
        let want = max * CUT_FACTOR + RECOVERY_RPS_PER_SEC;
        assert!((r - want).abs() < 1e-6, "{r} vs {want}");
        // ... and never beyond the maximum.
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(l.stats().rate, Some(max));
        // Cuts stop at the floor.
        let mut a = Aimd::new(10.0);
        a.current = 10.0 * FLOOR_FRACTION * 1.1;
        assert!(a.cut(Instant::now()));
        assert_eq!(a.current, 10.0 * FLOOR_FRACTION);
    }

    #[test]
    fn backoff_is_jittered_exponential_capped_and_honours_hints() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(RetryKind::Failed, 1, None, 1.0), ms(100));
        assert_eq!(p.delay(RetryKind::Failed, 3, None, 1.0), ms(400));
        assert_eq!(p.delay(RetryKind::Failed, 3, None, 0.5), ms(200));
        assert_eq!(p.delay(RetryKind::Failed, 3, None, 0.0), Duration::ZERO);
        assert_eq!(p.delay(RetryKind::Throttled, 2, None, 1.0), ms(500));
        assert_eq!(p.delay(RetryKind::Throttled, 30, None, 1.0), p.cap);
        let hint = Some(Duration::from_secs(3));
        assert_eq!(
            p.delay(RetryKind::Throttled, 1, hint, 0.1),
            Duration::from_secs(3)
        );
        assert_eq!(p.attempts(RetryKind::Unanswered), p.failed);
        let j = Jitter::new();
        let draws: Vec<f64> = (0..1000).map(|_| j.unit()).collect();
        assert!(draws.iter().all(|u| (0.0..1.0).contains(u)));
        let mean = draws.iter().sum::<f64>() / 1000.0;
        assert!((0.4..0.6).contains(&mean), "{mean}");
    }

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        let mut h = Headers::new();
        for (k, v) in pairs {
            h.insert(k.to_string(), v.to_string());
        }
        h
    }

    #[test]
    fn retry_hints_and_error_types_are_read_from_the_answer() {
        assert_eq!(
            retry_after(&headers(&[("Retry-After", "2")])),
            Some(ms(2000))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "0.5")])),
            Some(ms(500))
        );
        assert_eq!(
            retry_after(&headers(&[
                ("x-amz-retry-after", "1500"),
                ("Retry-After", "9")
            ])),
            Some(ms(1500))
        );
        assert_eq!(
            retry_after(&headers(&[(
                "Retry-After",
                "Wed, 21 Oct 2015 07:28:00 GMT"
            )])),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(retry_after(&headers(&[("Retry-After", "soon")])), None);
        assert_eq!(retry_after(&headers(&[])), None);

        let h = headers(&[("X-Amzn-ErrorType", "ConflictException:http://internal/")]);
        assert_eq!(error_type(&h, None).as_deref(), Some("ConflictException"));
        let body = br#"{"__type":"com.amazon#TooManyRequestsException","message":"x"}"#;
        assert_eq!(
            error_type(&headers(&[]), Some(body)).as_deref(),
            Some("TooManyRequestsException")
        );
        assert_eq!(error_type(&headers(&[]), Some(b"<html>")), None);
    }

    #[test]
    fn answers_are_classified_by_code_status_and_operation() {
        let c = |status, code, op| classify_answer(status, code, "API Gateway", op);
        assert_eq!(c(200, None, "PutMethod"), None);
        assert_eq!(c(429, None, "PutMethod"), Some(RetryKind::Throttled));
        assert_eq!(
            c(400, Some("TooManyRequestsException"), "PutMethod"),
            Some(RetryKind::Throttled)
        );
        assert_eq!(
            c(400, Some("LimitExceededException"), "GetResources"),
            Some(RetryKind::Throttled)
        );
        assert_eq!(c(500, None, "PutMethod"), Some(RetryKind::Failed));
        assert_eq!(
            c(503, Some("ServiceUnavailableException"), "X"),
            Some(RetryKind::Failed)
        );
        assert_eq!(
            c(409, Some("ConflictException"), "PutIntegration"),
            Some(RetryKind::Conflict)
        );
        // "Already exists" conflicts go back to the executor, which looks.
        assert_eq!(c(409, Some("ConflictException"), "CreateResource"), None);
        // A key value that is another key's: final, whatever the message says.
        assert_eq!(c(409, Some("ConflictException"), "CreateApiKey"), None);
        assert_eq!(c(409, None, "CreateApiKey"), None);
        assert_eq!(
            c(409, Some("ConflictException"), "UpdateApiKey"),
            Some(RetryKind::Conflict)
        );
        assert_eq!(c(409, Some("ConflictException"), "PutMethod"), None);
        assert_eq!(c(409, Some("ConflictException"), "PutMethodResponse"), None);
        assert_eq!(
            c(409, Some("ResourceConflictException"), "AddPermission"),
            None
        );
        // The apigatewayv2 creates whose executors adopt on conflict go back to them; a
        // REST create of the same name (its executor does not adopt) is still retried.
        let v2 = |op| classify_answer(409, Some("ConflictException"), APIGATEWAYV2, op);
        for op in [
            "CreateRoute",
            "CreateAuthorizer",
            "CreateIntegrationResponse",
            "CreateRouteResponse",
            "CreateApiMapping",
            "CreateStage",
        ] {
            assert_eq!(v2(op), None, "{op}");
        }
        assert_eq!(v2("CreateIntegration"), Some(RetryKind::Conflict));
        assert_eq!(v2("UpdateRoute"), Some(RetryKind::Conflict));
        assert_eq!(
            c(409, Some("ConflictException"), "CreateAuthorizer"),
            Some(RetryKind::Conflict)
        );
        assert_eq!(c(404, Some("NotFoundException"), "GetRestApi"), None);
        assert_eq!(c(400, Some("BadRequestException"), "PutMethod"), None);
    }

    // --- the connector, with a scripted inner connector -------------------------------

    #[derive(Debug, Clone)]
    enum Scripted {
        Status(u16, &'static [(&'static str, &'static str)]),
        Drop,
    }

    #[derive(Debug, Clone)]
    struct Script {
        answers: Arc<StdMutex<Vec<Scripted>>>,
        sent_at: Arc<StdMutex<Vec<Instant>>>,
    }

    impl Script {
        fn new(answers: Vec<Scripted>) -> Script {
            Script {
                answers: Arc::new(StdMutex::new(answers)),
                sent_at: Arc::new(StdMutex::new(Vec::new())),
            }
        }
        fn sent(&self) -> Vec<Instant> {
            self.sent_at.lock().unwrap().clone()
        }
    }

    impl HttpConnector for Script {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            self.sent_at.lock().unwrap().push(Instant::now());
            let next = {
                let mut a = self.answers.lock().unwrap();
                if a.is_empty() {
                    Scripted::Status(200, &[])
                } else {
                    a.remove(0)
                }
            };
            HttpConnectorFuture::ready(match next {
                Scripted::Status(code, hdrs) => {
                    let mut r =
                        HttpResponse::new(StatusCode::try_from(code).unwrap(), SdkBody::from("{}"));
                    for (k, v) in hdrs {
                        r.headers_mut().insert(k.to_string(), v.to_string());
                    }
                    Ok(r)
                }
                Scripted::Drop => Err(ConnectorError::io("connection reset".into())),
            })
        }
    }

    fn request(op: &str, body: &str) -> (HttpRequest, PaceTicket) {
        let mut r = HttpRequest::new(SdkBody::from(body.to_string()));
        r.set_uri("http://127.0.0.1/restapis").unwrap();
        let t = PaceTicket::new(op);
        r.add_extension(t.clone());
        (r, t)
    }

    fn connector(script: &Script, pacing: Pacing) -> (PacedConnector, Arc<Limiter>) {
        let limiter = Arc::new(Limiter::new(Service::ApiGateway, pacing));
        (
            PacedConnector::new(
                SharedHttpConnector::new(script.clone()),
                limiter.clone(),
                RetryPolicy::default(),
            ),
            limiter,
        )
    }

    const THROTTLED: Scripted = Scripted::Status(
        429,
        &[
            ("x-amzn-ErrorType", "TooManyRequestsException"),
            ("Retry-After", "2"),
        ],
    );

    #[tokio::test(start_paused = true)]
    async fn throttled_calls_are_retried_after_the_hint_and_slow_the_account() {
        let script = Script::new(vec![THROTTLED, THROTTLED]);
        let (c, limiter) = connector(&script, Pacing::Quotas);
        let (req, ticket) = request("PutMethod", "{}");
        let start = Instant::now();
        let resp = c.call(req).await.unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(ticket.attempts(), 3);
        let sent = script.sent();
        assert_eq!(sent.len(), 3);
        assert!(
            sent[1] - sent[0] >= Duration::from_secs(2),
            "{:?}",
            sent[1] - sent[0]
        );
        assert!(sent[2] - sent[1] >= Duration::from_secs(2));
        assert!(Instant::now() - start < Duration::from_secs(10));
        let s = limiter.stats();
        assert_eq!(s.throttled, 2);
        assert!(s.cuts >= 1 && s.rate.unwrap() < 10.0 * SAFETY, "{s:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn server_errors_are_retried_a_bounded_number_of_times() {
        let fail = Scripted::Status(500, &[("x-amzn-ErrorType", "InternalFailure")]);
        let script = Script::new(vec![fail.clone(); 10]);
        let (c, _) = connector(&script, Pacing::Off);
        let (req, ticket) = request("PutIntegration", "{}");
        let resp = c.call(req).await.unwrap();
        assert_eq!(resp.status().as_u16(), 500, "the last answer is returned");
        assert_eq!(ticket.attempts(), RetryPolicy::default().failed);
    }

    #[tokio::test(start_paused = true)]
    async fn final_answers_are_not_retried() {
        for (status, code, op) in [
            (400, "BadRequestException", "PutMethod"),
            (404, "NotFoundException", "GetRestApi"),
            (409, "ConflictException", "CreateResource"),
        ] {
            let answer = Scripted::Status(
                status,
                if code == "BadRequestException" {
                    &[("x-amzn-ErrorType", "BadRequestException")]
                } else if code == "NotFoundException" {
                    &[("x-amzn-ErrorType", "NotFoundException")]
                } else {
                    &[("x-amzn-ErrorType", "ConflictException")]
                },
            );
            let script = Script::new(vec![answer]);
            let (c, _) = connector(&script, Pacing::Quotas);
            let (req, ticket) = request(op, "{}");
            let resp = c.call(req).await.unwrap();
            assert_eq!(resp.status().as_u16(), status);
            assert_eq!(ticket.attempts(), 1, "{op} {code}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_modification_conflicts_are_retried() {
        let busy = Scripted::Status(409, &[("x-amzn-ErrorType", "ConflictException")]);
        let script = Script::new(vec![busy.clone(), busy]);
        let (c, _) = connector(&script, Pacing::Quotas);
        let (req, ticket) = request("PutIntegration", "{}");
        assert_eq!(c.call(req).await.unwrap().status().as_u16(), 200);
        assert_eq!(ticket.attempts(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn unanswered_calls_are_retried_unless_the_create_may_have_happened() {
        let script = Script::new(vec![Scripted::Drop, Scripted::Drop]);
        let (c, _) = connector(&script, Pacing::Quotas);
        let (req, ticket) = request("PutMethod", "{}");
        assert_eq!(c.call(req).await.unwrap().status().as_u16(), 200);
        assert_eq!(ticket.attempts(), 3);

        // The executor looks before creating these again (crate::aws::recover).
        for op in ["CreateRestApi", "CreateResource", "AddPermission"] {
            let script = Script::new(vec![Scripted::Drop]);
            let (c, _) = connector(&script, Pacing::Quotas);
            let (req, ticket) = request(op, r#"{"name":"a"}"#);
            assert!(c.call(req).await.is_err());
            assert_eq!(ticket.attempts(), 1, "no second {op} after a lost answer");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_error_to_a_create_that_may_have_happened_goes_back_to_the_executor() {
        let fail = Scripted::Status(503, &[("x-amzn-ErrorType", "ServiceUnavailableException")]);
        for op in ["CreateRestApi", "CreateRoute", "AddPermission"] {
            let script = Script::new(vec![fail.clone(); 3]);
            let (c, _) = connector(&script, Pacing::Off);
            let (req, ticket) = request(op, r#"{"name":"a"}"#);
            assert_eq!(c.call(req).await.unwrap().status().as_u16(), 503);
            assert_eq!(ticket.attempts(), 1, "no blind second {op} after a 5xx");
        }
        // throttled creates were refused before anything happened: retried here
        let throttled = Scripted::Status(429, &[("x-amzn-ErrorType", "TooManyRequestsException")]);
        let script = Script::new(vec![throttled]);
        let (c, _) = connector(&script, Pacing::Off);
        let (req, ticket) = request("CreateRestApi", r#"{"name":"a"}"#);
        assert_eq!(c.call(req).await.unwrap().status().as_u16(), 200);
        assert_eq!(ticket.attempts(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_hint_longer_than_allowed_ends_the_retries() {
        let long = Scripted::Status(
            429,
            &[
                ("x-amzn-ErrorType", "TooManyRequestsException"),
                ("Retry-After", "600"),
            ],
        );
        let script = Script::new(vec![long]);
        let (c, _) = connector(&script, Pacing::Quotas);
        let (req, ticket) = request("GetRestApis", "");
        assert_eq!(c.call(req).await.unwrap().status().as_u16(), 429);
        assert_eq!(ticket.attempts(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn edge_creations_use_the_slower_bucket() {
        let script = Script::new(vec![]);
        let (c, _) = connector(&script, Pacing::Quotas);
        let body = r#"{"name":"e","endpointConfiguration":{"types":["EDGE"]}}"#;
        let start = Instant::now();
        for _ in 0..2 {
            let (req, _) = request("CreateRestApi", body);
            c.call(req).await.unwrap();
        }
        let sent = script.sent();
        assert_eq!(sent[0], start);
        assert!((sent[1] - sent[0]).as_secs_f64() >= 30.0);
    }
}
