//! `cache:` of a REST stage (the cache cluster and the stage-wide method setting) and of a
//! route (its TTL and cache key parameters). AWS's limits are checked here, before any call:
//! the cluster sizes API Gateway offers and TTLs of 0 to 3600 seconds.

use std::collections::BTreeMap;

use crate::spec::model::*;
use crate::spec::yaml::Node;

use super::{boolean, int_in, text, text_list, Cx, MapReader};

/// Cache cluster sizes in GB, as API Gateway names them (`cacheClusterSize`).
pub(crate) const CACHE_SIZES: &[&str] =
    &["0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"];
/// Cache entries live at most an hour (`caching/ttlInSeconds`).
pub(crate) const MAX_CACHE_TTL: i64 = 3600;
pub(crate) const STAGE_CACHE_KEYS: &[&str] = &["enabled", "size", "ttl", "encrypted"];
pub(crate) const ROUTE_CACHE_KEYS: &[&str] = &["enabled", "ttl", "key_parameters"];

fn ttl(cx: &mut Cx, m: &mut MapReader, what: &str) -> Option<u32> {
    m.get("ttl")
        .and_then(|t| int_in(cx, t, what, 0, MAX_CACHE_TTL))
        .map(|t| t as u32)
}

pub(crate) fn read_stage_cache(cx: &mut Cx, n: &Node) -> Option<StageCacheDef> {
    let mut m = MapReader::open(cx, n, "`cache`", STAGE_CACHE_KEYS)?;
    let enabled = m
        .get("enabled")
        .and_then(|e| boolean(cx, e, "cache.enabled"))
        .unwrap_or(true);
    let size = m.get("size").map(|s| {
        let t = text(cx, s, "cache.size");
        let c = t.and_then(|t| {
            let found = CACHE_SIZES.iter().copied().find(|c| *c == t.value);
            if found.is_none() {
                cx.err(
                    s,
                    format!("invalid `cache.size` value `{}`", t.value),
                    Some(format!(
                        "API Gateway's cache sizes are {} (GB)",
                        CACHE_SIZES.join(", ")
                    )),
                );
            }
            found
        });
        (c, s)
    });
    let ttl = ttl(cx, &mut m, "cache.ttl");
    let encrypted = m
        .get("encrypted")
        .and_then(|e| boolean(cx, e, "cache.encrypted"));
    m.finish(cx);
    let size = match size {
        Some((None, _)) => return None,
        Some((Some(c), node)) if !enabled => {
            cx.err(
                node,
                format!("`cache.size` `{c}` on a cache that is turned off"),
                Some("remove `size`, or `enabled: false`".into()),
            );
            return None;
        }
        Some((Some(c), _)) => Some(c.to_string()),
        None => None,
    };
    Some(StageCacheDef {
        pos: n.pos,
        enabled,
        size,
        ttl,
        encrypted,
    })
}

/// `request_parameters`: the route's method request parameters, which every key parameter
/// must be one of (API Gateway refuses a cache key parameter the method does not declare).
pub(crate) fn read_route_cache(
    cx: &mut Cx,
    n: &Node,
    request_parameters: &BTreeMap<String, bool>,
) -> Option<RouteCacheDef> {
    let mut m = MapReader::open(cx, n, "`cache`", ROUTE_CACHE_KEYS)?;
    let enabled = m
        .get("enabled")
        .and_then(|e| boolean(cx, e, "cache.enabled"))
        .unwrap_or(true);
    let ttl = ttl(cx, &mut m, "cache.ttl");
    let mut key_parameters = Vec::new();
    let mut ok = true;
    if let Some(kp) = m.get("key_parameters") {
        for p in text_list(cx, kp, "cache.key_parameters") {
            if !request_parameters.contains_key(&p.value) {
                let hint = if p.value.starts_with("method.request.") {
                    format!("declare it: `request_parameters: {{{}: false}}`", p.value)
                } else {
                    "write a method request parameter, e.g. `method.request.querystring.NAME`, and declare it in `request_parameters`".into()
                };
                cx.err_at(
                    p.pos,
                    format!(
                        "cache key parameter `{}` is not a request parameter of this route",
                        p.value
                    ),
                    Some(hint),
                );
                ok = false;
                continue;
            }
            if !key_parameters.contains(&p.value) {
                key_parameters.push(p.value);
            }
        }
    }
    m.finish(cx);
    key_parameters.sort();
    ok.then_some(RouteCacheDef {
        pos: n.pos,
        enabled,
        ttl,
        key_parameters,
    })
}
