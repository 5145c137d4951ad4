//! `api_keys:` and `usage_plans:` (quotas, stages, keys, per-method throttles).

use crate::spec::model::*;
use crate::spec::secrets;
use crate::spec::suggest;
use crate::spec::yaml::{Node, Value};

use super::{
    choice, entries, int_in, is_ident, list, looks_like_key_value, nonempty, read_throttle,
    reference, text, unknown_method, Cx, MapReader, Names, API_KEY_KEYS, QUOTA_KEYS, QUOTA_PERIODS,
    USAGE_PLAN_KEYS,
};

pub(super) fn read_api_keys(cx: &mut Cx, n: &Node) -> Vec<ApiKeyDef> {
    let Some(es) = entries(cx, n, "api_keys") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in es {
        let name = At::new(k.key_text(), k.pos);
        let what = format!("api key `{}`", name.value);
        let Some(mut m) = MapReader::open(cx, v, &what, API_KEY_KEYS) else {
            continue;
        };
        if let Some(value) = m.take("value") {
            cx.secret(value);
            let key = m.key("value").unwrap_or(v);
            cx.err(
                key,
                "api key values must not be written in a spec",
                Some("put the value in an environment variable and write `value_from_env: NAME`, or leave it out and AWS generates one".into()),
            );
        }
        let description = m.opt_text(cx, "description").map(|t| t.value);
        let enabled = m.opt_bool(cx, "enabled");
        let env_node = m.get("value_from_env");
        let value_from_env = env_node.and_then(|e| text(cx, e, "value_from_env"));
        if let (Some(e), Some(node)) = (&value_from_env, env_node) {
            if !is_ident(&e.value) {
                // Possibly a key value pasted in the wrong place: do not echo it.
                cx.secret(node);
                cx.err_at(
                    e.pos,
                    "`value_from_env` must be the name of an environment variable",
                    Some(
                        "names have letters, digits and `_`, and do not start with a digit".into(),
                    ),
                );
            } else if looks_like_key_value(&e.value) {
                // A valid identifier, but shaped like a key value (AWS generates 40
                // letters and digits): refused, so plan and apply never print it.
                cx.secret(node);
                cx.err_at(
                    e.pos,
                    "`value_from_env` looks like a key value, not the name of an environment variable",
                    Some(format!(
                        "write the variable's name (names of {} characters or more need a `_` and one letter case), and set the value in that variable",
                        secrets::VALUE_LIKE_LEN
                    )),
                );
            }
        }
        let id = m.opt_text(cx, "id");
        if let Some(i) = &id {
            if i.value.is_empty()
                || !i.value.chars().all(|c| c.is_ascii_alphanumeric())
                || i.value.len() >= secrets::VALUE_LIKE_LEN
            {
                // Not echoed: a key value pasted here must not be printed.
                cx.err_at(
                    i.pos,
                    "`id` is not an api key id",
                    Some("an api key id is the short id AWS shows for the key (letters and digits, e.g. `a1b2c3d4e5`)".into()),
                );
            }
            if value_from_env.is_some() {
                cx.err_at(
                    i.pos,
                    "`id` refers to an existing key and `value_from_env` sets a new key's value; give one of them",
                    None,
                );
            }
        }
        m.finish(cx);
        out.push(ApiKeyDef {
            name,
            description,
            enabled,
            value_from_env: value_from_env.map(|e| e.value),
            existing_id: id.map(|i| i.value),
        });
    }
    out
}

// ---------------------------------------------------------------- usage plans

pub(super) fn read_usage_plans(
    cx: &mut Cx,
    n: &Node,
    names: &Names,
    routes: &[RouteDef],
) -> Vec<UsagePlanDef> {
    let Some(es) = entries(cx, n, "usage_plans") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in es {
        let name = At::new(k.key_text(), k.pos);
        let what = format!("usage plan `{}`", name.value);
        let Some(mut m) = MapReader::open(cx, v, &what, USAGE_PLAN_KEYS) else {
            continue;
        };
        let description = m.opt_text(cx, "description").map(|t| t.value);
        let throttle = m
            .get("throttle")
            .and_then(|t| read_throttle(cx, t, "`throttle`"));
        let quota = m.get("quota").and_then(|q| read_quota(cx, q));
        let mut stages = Vec::new();
        if let Some(s) = m.req(cx, "stages") {
            let items = list(cx, s, "stages").unwrap_or(&[]);
            if items.is_empty() && matches!(s.value, Value::Seq(_)) {
                cx.err(
                    s,
                    "`stages` must not be empty",
                    Some("list the stages this plan covers".into()),
                );
            }
            for i in items {
                if let Some(t) = nonempty(cx, i, "stages") {
                    if reference(cx, i, &t.value, &names.stages, "stage", "stages") {
                        stages.push(t);
                    }
                }
            }
        }
        let mut keys = Vec::new();
        if let Some(s) = m.get("keys") {
            for i in list(cx, s, "keys").unwrap_or(&[]) {
                if let Some(t) = nonempty(cx, i, "keys") {
                    if reference(cx, i, &t.value, &names.api_keys, "api key", "api_keys") {
                        keys.push(t);
                    }
                }
            }
        }
        let mut method_throttle = Vec::new();
        if let Some(mt) = m.get("method_throttle") {
            for (mk, mv) in entries(cx, mt, "method_throttle").unwrap_or(&[]) {
                let key = mk.key_text();
                let throttle = read_throttle(cx, mv, &format!("throttle for `{key}`"));
                let Some((method, path)) = key.trim().split_once(' ') else {
                    cx.err(
                        mk,
                        format!("`{key}` is not a route"),
                        Some("write `METHOD /path`, e.g. `GET /tasks`".into()),
                    );
                    continue;
                };
                let path = path.trim();
                let Some(hm) = HttpMethod::parse(method) else {
                    unknown_method(cx, mk.pos, method);
                    continue;
                };
                let exists = routes.iter().any(|r| {
                    r.path.value == path
                        && (r.method.value == hm || r.method.value == HttpMethod::Any)
                });
                if !exists {
                    let keys: Vec<String> = routes
                        .iter()
                        .map(|r| format!("{} {}", r.method.value.as_str(), r.path.value))
                        .collect();
                    let hint = suggest::hint(
                        &format!("{} {path}", hm.as_str()),
                        keys.iter().map(String::as_str),
                    );
                    cx.err(
                        mk,
                        format!("no route `{} {path}` in this spec", hm.as_str()),
                        hint,
                    );
                    continue;
                }
                if let Some(t) = throttle {
                    method_throttle.push((At::new(path.to_string(), mk.pos), hm, t));
                }
            }
        }
        m.finish(cx);
        out.push(UsagePlanDef {
            name,
            description,
            throttle,
            quota,
            stages,
            method_throttle,
            keys,
        });
    }
    out
}

fn read_quota(cx: &mut Cx, n: &Node) -> Option<QuotaDef> {
    let mut m = MapReader::open(cx, n, "`quota`", QUOTA_KEYS)?;
    let limit = m
        .req(cx, "limit")
        .and_then(|l| int_in(cx, l, "limit", 1, i32::MAX as i64));
    let period = m
        .req(cx, "period")
        .and_then(|p| choice(cx, p, "period", QUOTA_PERIODS));
    let offset = match (m.get("offset"), period) {
        (Some(o), Some(p)) => {
            let max = match p {
                "DAY" => 0,
                "WEEK" => 6,
                _ => 27,
            };
            int_in(cx, o, "offset", 0, max)
        }
        (Some(o), None) => int_in(cx, o, "offset", 0, 27),
        (None, _) => Some(0),
    };
    m.finish(cx);
    Some(QuotaDef {
        limit: limit? as i32,
        period: period?.to_string(),
        offset: offset? as i32,
    })
}
