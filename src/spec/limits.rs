//! API Gateway's per-API, per-stage and per-route limits, checked offline so that `apply`
//! never starts a change AWS refuses half-way.
//!
//! Sources (the quota tables of the API Gateway developer guide):
//! - REST: <https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html>
//! - HTTP: <https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html>
//! - tags: <https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-tagging-supported-resources.html>
//!   ("each resource can have up to 50 tags", counting the ones gwctl writes)
//!
//! A limit the tables mark "cannot be increased" is an error; one AWS raises on request is a
//! warning (the spec may be fine for an account with a raised quota).

use super::cx::Cx;
use super::diag::Severity;
use super::model::*;
use super::yaml::Node;

/// One of API Gateway's limits.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// What is counted, plural (`stage variables`).
    pub what: &'static str,
    /// Per what (`stage`, `api`, `route`).
    pub per: &'static str,
    pub max: usize,
    /// AWS raises it on request (then gwctl only warns).
    pub raisable: bool,
}

impl Limit {
    fn severity(&self) -> Severity {
        if self.raisable {
            Severity::Warning
        } else {
            Severity::Error
        }
    }

    fn hint(&self) -> String {
        if self.raisable {
            format!(
                "the default quota is {}; AWS refuses more unless the quota was raised for this api (Service Quotas)",
                self.max
            )
        } else {
            format!(
                "API Gateway allows at most {}; this limit cannot be raised",
                self.max
            )
        }
    }
}

/// Stage variables per stage: 100, fixed (REST and HTTP).
pub const STAGE_VARIABLES: Limit = Limit {
    what: "stage variables",
    per: "stage",
    max: 100,
    raisable: false,
};
/// Scopes per route: 10, fixed (HTTP APIs; JWT authorizers).
pub const ROUTE_SCOPES: Limit = Limit {
    what: "scopes",
    per: "route",
    max: 10,
    raisable: false,
};
/// Audiences per JWT authorizer: 50, fixed (HTTP APIs).
pub const JWT_AUDIENCES: Limit = Limit {
    what: "audiences",
    per: "jwt authorizer",
    max: 50,
    raisable: false,
};
/// Access log format ("access log template size"): 3 KB, fixed (REST and HTTP).
pub const ACCESS_LOG_FORMAT_BYTES: usize = 3 * 1024;
/// Tags per resource: 50 (AWS tagging limit), fixed, counting gwctl's own tags.
pub const API_TAGS: Limit = Limit {
    what: "tags",
    per: "api",
    max: 50,
    raisable: false,
};
/// Tags gwctl writes on an API it creates (`gwctl:managed-by`): they count toward the 50.
pub const GWCTL_API_TAGS: usize = 1;
/// Stages per API: 10, raisable.
pub const STAGES: Limit = Limit {
    what: "stages",
    per: "api",
    max: 10,
    raisable: true,
};
/// Authorizers per API: 10 (REST: Lambda and Cognito; HTTP), raisable.
pub const AUTHORIZERS: Limit = Limit {
    what: "authorizers",
    per: "api",
    max: 10,
    raisable: true,
};
/// Usage plans per API key: 10 (REST), raisable.
pub const USAGE_PLANS_PER_KEY: Limit = Limit {
    what: "usage plans",
    per: "api key",
    max: 10,
    raisable: true,
};

/// `count` items of a node against `limit` (plus `extra` gwctl adds itself); reports at
/// `at` when over.
pub(crate) fn count(cx: &mut Cx, at: &Node, count: usize, extra: usize, limit: Limit) {
    if count + extra <= limit.max {
        return;
    }
    let own = if extra > 0 {
        format!(" (with {extra} gwctl adds)")
    } else {
        String::new()
    };
    let msg = format!(
        "{} {} per {}{own}; API Gateway allows {}",
        count + extra,
        limit.what,
        limit.per,
        limit.max
    );
    cx.push(limit.severity(), at.pos, at.len, msg, Some(limit.hint()));
}

/// An access log format longer than AWS accepts.
pub(crate) fn access_log_format(cx: &mut Cx, format: &At<String>) {
    let bytes = format.value.len();
    if bytes > ACCESS_LOG_FORMAT_BYTES {
        cx.err_at(
            format.pos,
            format!(
                "access log `format` is {bytes} bytes; API Gateway allows {ACCESS_LOG_FORMAT_BYTES} (3 KB)"
            ),
            Some("log fewer `$context` variables".into()),
        );
    }
}

/// Whole-spec counts: stages and authorizers per API, usage plans per API key.
pub(crate) fn check(cx: &mut Cx, spec: &Spec) {
    if let Some(s) = spec.stages.get(STAGES.max) {
        over_at(cx, s.name.pos, spec.stages.len(), STAGES);
    }
    if let Some(a) = spec.authorizers.get(AUTHORIZERS.max) {
        over_at(cx, a.name.pos, spec.authorizers.len(), AUTHORIZERS);
    }
    for k in &spec.api_keys {
        let refs: Vec<Pos> = spec
            .usage_plans
            .iter()
            .filter_map(|p| p.keys.iter().find(|r| r.value == k.name.value))
            .map(|r| r.pos)
            .collect();
        if let Some(pos) = refs.get(USAGE_PLANS_PER_KEY.max) {
            let l = USAGE_PLANS_PER_KEY;
            let len = cx.len_at(*pos);
            cx.push(
                l.severity(),
                *pos,
                len,
                format!(
                    "api key `{}` is in {} usage plans; API Gateway allows {} per api key",
                    k.name.value,
                    refs.len(),
                    l.max
                ),
                Some(l.hint()),
            );
        }
    }
}

fn over_at(cx: &mut Cx, pos: Pos, n: usize, limit: Limit) {
    let len = cx.len_at(pos);
    cx.push(
        limit.severity(),
        pos,
        len,
        format!(
            "{n} {} per {}; API Gateway allows {}",
            limit.what, limit.per, limit.max
        ),
        Some(limit.hint()),
    );
}
