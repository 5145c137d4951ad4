//! `stages:` (settings, variables, access logs) and the `throttle` mapping they share.

use std::collections::BTreeMap;

use crate::spec::limits;
use crate::spec::model::*;
use crate::spec::yaml::{Node, Value};

use super::{
    boolean, choice, entries, int_in, is_firehose_arn, is_log_group_arn, is_stage_name,
    nonneg_number, read_canary, read_stage_cache, text_map, Cx, MapReader, ACCESS_LOG_KEYS,
    LOG_LEVELS, THROTTLE_KEYS,
};

pub(crate) fn read_throttle(cx: &mut Cx, n: &Node, what: &str) -> Option<ThrottleDef> {
    let mut m = MapReader::open(cx, n, what, THROTTLE_KEYS)?;
    let rate = m.req(cx, "rate").and_then(|r| nonneg_number(cx, r, "rate"));
    let burst = m
        .req(cx, "burst")
        .and_then(|b| int_in(cx, b, "burst", 0, i32::MAX as i64));
    m.finish(cx);
    Some(ThrottleDef {
        rate: rate?,
        burst: burst? as i32,
    })
}

// ---------------------------------------------------------------- stages

pub(crate) const STAGE_KEYS: &[&str] = &[
    "description",
    "variables",
    "logging",
    "data_trace",
    "metrics",
    "throttle",
    "tracing",
    "access_log",
    "auto_deploy",
    "cache",
    "canary",
];

pub(super) fn read_stages(cx: &mut Cx, n: &Node) -> Vec<StageDef> {
    let Some(es) = entries(cx, n, "stages") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in es {
        let name = At::new(k.key_text(), k.pos);
        if name.value == "$default" {
            if cx.kind != ApiKind::Http {
                cx.err(
                    k,
                    "`$default` stages are only supported on http apis",
                    Some("name rest stages with letters, digits, `-` and `_`, e.g. `prod`".into()),
                );
                continue;
            }
        } else if !is_stage_name(&name.value) {
            cx.err(
                k,
                format!("invalid stage name `{}`", name.value),
                Some(format!(
                    "stage names have 1 to 128 letters, digits, `-` or `_`{}",
                    if cx.kind == ApiKind::Http {
                        ", or are `$default`"
                    } else {
                        ""
                    }
                )),
            );
            continue;
        }
        if let Some(s) = read_stage(cx, name, v) {
            out.push(s);
        }
    }
    out
}

fn read_stage(cx: &mut Cx, name: At<String>, v: &Node) -> Option<StageDef> {
    let what = format!("stage `{}`", name.value);
    let mut m = MapReader::open(cx, v, &what, STAGE_KEYS)?;
    let description = m.opt_text(cx, "description").map(|t| t.value);
    let mut variables = None;
    if let Some(vs) = m.get("variables") {
        if let Value::Map(es) = &vs.value {
            limits::count(cx, vs, es.len(), 0, limits::STAGE_VARIABLES);
        }
        variables = Some(read_variables(cx, vs, "variables"));
    }
    let logging = m
        .only_in(cx, "logging", &[ApiKind::Rest, ApiKind::WebSocket])
        .and_then(|l| choice(cx, l, "logging", LOG_LEVELS))
        .map(|l| match l {
            "INFO" => LogLevel::Info,
            "ERROR" => LogLevel::Error,
            _ => LogLevel::Off,
        });
    let data_trace = m
        .only_in(cx, "data_trace", &[ApiKind::Rest, ApiKind::WebSocket])
        .and_then(|d| boolean(cx, d, "data_trace"));
    let metrics = m.opt_bool(cx, "metrics");
    let throttle = m
        .get("throttle")
        .and_then(|t| read_throttle(cx, t, "`throttle`"));
    let tracing = m
        .only(cx, "tracing", ApiKind::Rest)
        .and_then(|t| boolean(cx, t, "tracing"));
    let access_log = m.get("access_log").and_then(|a| read_access_log(cx, a));
    let auto_deploy = m
        .only_in(cx, "auto_deploy", &[ApiKind::Http, ApiKind::WebSocket])
        .and_then(|a| boolean(cx, a, "auto_deploy"));
    let cache = m
        .only(cx, "cache", ApiKind::Rest)
        .and_then(|c| read_stage_cache(cx, c));
    let canary = m
        .only(cx, "canary", ApiKind::Rest)
        .and_then(|c| read_canary(cx, c));
    m.finish(cx);
    Some(StageDef {
        name,
        description,
        variables,
        logging,
        data_trace,
        metrics,
        throttle,
        tracing,
        access_log,
        auto_deploy,
        cache,
        canary,
    })
}

fn read_access_log(cx: &mut Cx, n: &Node) -> Option<AccessLogDef> {
    let mut m = MapReader::open(cx, n, "`access_log`", ACCESS_LOG_KEYS)?;
    let destination = m.req_text(cx, "destination");
    let destination = match destination {
        Some(d) if is_log_group_arn(&d.value) => Some(d),
        Some(d) if cx.is_rest() && is_firehose_arn(&d.value) => {
            if !d
                .value
                .split_once("deliverystream/")
                .is_some_and(|(_, s)| s.starts_with("amazon-apigateway-"))
            {
                cx.err_at(
                    d.pos,
                    "firehose streams for access logs must be named `amazon-apigateway-...`",
                    None,
                );
                None
            } else {
                Some(d)
            }
        }
        Some(d) => {
            cx.err_at(
                d.pos,
                format!("`{}` is not a cloudwatch logs log group arn", d.value),
                Some(format!(
                    "write `arn:aws:logs:REGION:ACCOUNT:log-group:NAME`{}",
                    if cx.is_rest() {
                        " (or a firehose stream arn)"
                    } else {
                        ""
                    }
                )),
            );
            None
        }
        None => None,
    };
    let format = m.req_text(cx, "format");
    if let Some(f) = &format {
        limits::access_log_format(cx, f);
        let ok = f.value.contains("$context.requestId")
            || (cx.is_rest() && f.value.contains("$context.extendedRequestId"));
        if !ok {
            cx.err_at(
                f.pos,
                "access log `format` must include `$context.requestId`",
                Some("API Gateway refuses formats without the request id".into()),
            );
        }
    }
    m.finish(cx);
    Some(AccessLogDef {
        destination_arn: destination?,
        format: format?.value,
    })
}

/// Stage variables (a stage's `variables`, a canary's overrides): names of 1 to 64 letters,
/// digits or `_`, values of 1 to 512 of the characters API Gateway accepts.
pub(crate) fn read_variables(cx: &mut Cx, vs: &Node, what: &str) -> BTreeMap<String, String> {
    let mut variables = BTreeMap::new();
    for (k, val) in text_map(cx, vs, what) {
        if !(1..=64).contains(&k.value.len())
            || !k
                .value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            cx.err_at(
                k.pos,
                format!("invalid stage variable name `{}`", k.value),
                Some("names have 1 to 64 letters, digits or `_`".into()),
            );
            continue;
        }
        let bad = val
            .value
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "-._~:/?#&=,".contains(*c)));
        if val.value.is_empty() || val.value.len() > 512 || bad.is_some() {
            cx.err_at(
                val.pos,
                format!("invalid value for stage variable `{}`", k.value),
                Some("values have 1 to 512 letters, digits or `-._~:/?#&=,`".into()),
            );
            continue;
        }
        variables.insert(k.value, val.value);
    }
    variables
}
