//! `api:` (name, kind, endpoint, ...) and `functions:` (names, aliases, Lambda ARNs).

use std::collections::BTreeMap;

use crate::spec::limits;
use crate::spec::model::*;
use crate::spec::yaml::{Node, Value};

use super::policy::{read_policy, read_vpc_endpoint_ids};

use super::{
    boolean, choice, entries, is_function_name, is_qualifier, nonempty, parse_lambda_arn,
    text_list, text_map, Cx, MapReader, API_KEY_SOURCES, API_KINDS, ENDPOINT_TYPES, FUNCTION_KEYS,
    PAYLOAD_FORMAT_VERSIONS,
};

pub(crate) const API_KEYS: &[&str] = &[
    "name",
    "kind",
    "description",
    "endpoint",
    "binary_media_types",
    "tags",
    "disable_execute_api_endpoint",
    "payload_format_version",
    "api_key_source",
    "route_selection",
    "api_key_selection",
    "policy",
    "vpc_endpoint_ids",
];

pub(super) fn read_api(cx: &mut Cx, n: &Node) -> Option<ApiDef> {
    let mut m = MapReader::open(cx, n, "`api`", API_KEYS)?;
    let kind = match m.get("kind") {
        Some(k) => match choice(cx, k, "kind", API_KINDS) {
            Some("http") => ApiKind::Http,
            Some("websocket") => ApiKind::WebSocket,
            _ => ApiKind::Rest,
        },
        None => ApiKind::Rest,
    };
    cx.kind = kind;
    let name = m
        .req_text(cx, "name")
        .unwrap_or_else(|| At::new(String::new(), n.pos));
    if name.value.chars().count() > 128 {
        let node = m.get("name").unwrap_or(n);
        cx.err(node, "api `name` is longer than 128 characters", None);
    }
    let description = m.opt_text(cx, "description").map(|t| t.value);
    let endpoint_node = m.only(cx, "endpoint", ApiKind::Rest);
    let endpoint = match endpoint_node {
        Some(e) => match choice(cx, e, "endpoint", ENDPOINT_TYPES) {
            Some("EDGE") => EndpointType::Edge,
            Some("PRIVATE") => EndpointType::Private,
            _ => EndpointType::Regional,
        },
        None => EndpointType::Regional,
    };
    let mut binary_media_types = None;
    if let Some(b) = m.only(cx, "binary_media_types", ApiKind::Rest) {
        let binary_media_types = binary_media_types.get_or_insert_with(Vec::new);
        for t in text_list(cx, b, "binary_media_types") {
            let ok = t
                .value
                .split_once('/')
                .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty());
            if !ok {
                cx.err_at(
                    t.pos,
                    format!("`{}` is not a media type", t.value),
                    Some("write `type/subtype`, e.g. `image/png` or `*/*`".into()),
                );
            } else {
                binary_media_types.push(t.value);
            }
        }
    }
    let mut tags = BTreeMap::new();
    if let Some(t) = m.get("tags") {
        if let Value::Map(es) = &t.value {
            let limit = limits::API_TAGS;
            limits::count(cx, t, es.len(), limits::GWCTL_API_TAGS, limit);
        }
        for (k, v) in text_map(cx, t, "tags") {
            if k.value.to_ascii_lowercase().starts_with("aws:") {
                cx.err_at(
                    k.pos,
                    format!("tag key `{}` uses the reserved `aws:` prefix", k.value),
                    None,
                );
            } else if k.value.is_empty() || k.value.chars().count() > 128 {
                cx.err_at(k.pos, "tag keys must have 1 to 128 characters", None);
            } else if v.value.chars().count() > 256 {
                cx.err_at(v.pos, "tag values must have at most 256 characters", None);
            } else {
                tags.insert(k.value, v.value);
            }
        }
    }
    let disable_execute_api_endpoint = m
        .only(cx, "disable_execute_api_endpoint", ApiKind::Http)
        .and_then(|v| boolean(cx, v, "disable_execute_api_endpoint"));
    let payload_format_version = m
        .only(cx, "payload_format_version", ApiKind::Http)
        .and_then(|v| choice(cx, v, "payload_format_version", PAYLOAD_FORMAT_VERSIONS))
        .map(str::to_string);
    let api_key_source = m
        .only(cx, "api_key_source", ApiKind::Rest)
        .and_then(|v| choice(cx, v, "api_key_source", API_KEY_SOURCES))
        .map(str::to_string);
    let route_selection = m
        .only(cx, "route_selection", ApiKind::WebSocket)
        .and_then(|r| super::ws::selection_expression(cx, r, "route_selection"));
    let api_key_selection = m
        .only(cx, "api_key_selection", ApiKind::WebSocket)
        .and_then(|r| super::ws::api_key_selection(cx, r));
    let policy = m
        .only(cx, "policy", ApiKind::Rest)
        .and_then(|p| read_policy(cx, p));
    let vpc_endpoint_ids = m
        .only(cx, "vpc_endpoint_ids", ApiKind::Rest)
        .map(|v| read_vpc_endpoint_ids(cx, v));
    if vpc_endpoint_ids.is_some() && endpoint != EndpointType::Private {
        let k = m.key("vpc_endpoint_ids").unwrap_or(n);
        cx.err(
            k,
            "`vpc_endpoint_ids` applies to private apis only",
            Some("add `endpoint: PRIVATE` or remove `vpc_endpoint_ids`".into()),
        );
    }
    if let (Some(e), EndpointType::Private, false) = (endpoint_node, endpoint, m.has("policy")) {
        cx.err(
            e,
            "a PRIVATE api needs a `policy`",
            Some(
                "without a resource policy no request can invoke it: allow \
                 `execute-api:Invoke` on `execute-api:/*` from your vpc endpoints \
                 (docs/spec.md, \"Resource policies and private APIs\")"
                    .into(),
            ),
        );
    }
    m.finish(cx);
    Some(ApiDef {
        name,
        description,
        kind,
        endpoint,
        binary_media_types,
        tags,
        disable_execute_api_endpoint,
        payload_format_version,
        api_key_source,
        route_selection,
        api_key_selection,
        endpoint_declared: endpoint_node.is_some(),
        policy,
        vpc_endpoint_ids: vpc_endpoint_ids.map(|v| v.into_iter().map(|i| i.value).collect()),
    })
}

// ---------------------------------------------------------------- functions

pub(super) fn read_functions(cx: &mut Cx, n: &Node) -> Vec<FunctionDef> {
    let Some(es) = entries(cx, n, "functions") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in es {
        let key = At::new(k.key_text(), k.pos);
        if key.value.is_empty() {
            cx.err(k, "function names must not be empty", None);
            continue;
        }
        if let Some(f) = read_function(cx, key, v) {
            out.push(f);
        }
    }
    out
}

const FUNCTION_HINT: &str = "write a function name (`todo-create`), a name with an alias \
(`todo-create:live`) or an arn (`arn:aws:lambda:us-east-1:123456789012:function:todo-create`)";

fn read_function(cx: &mut Cx, key: At<String>, v: &Node) -> Option<FunctionDef> {
    if let Value::Map(_) = v.value {
        let what = format!("function `{}`", key.value);
        let mut m = MapReader::open(cx, v, &what, FUNCTION_KEYS)?;
        let name = m.get("name");
        let arn = m.get("arn");
        let alias = m.get("alias").and_then(|a| nonempty(cx, a, "alias"));
        m.finish(cx);
        if let Some(a) = &alias {
            if !is_qualifier(&a.value) {
                cx.err_at(
                    a.pos,
                    format!("`{}` is not a valid alias or version", a.value),
                    Some("aliases have letters, digits, `-` and `_`; versions are numbers".into()),
                );
                return None;
            }
        }
        let (reference, ref_node) = match (name, arn) {
            (Some(_), Some(a)) => {
                cx.err(
                    m_key_or(v, "arn"),
                    format!("function `{}` has both `name` and `arn`", key.value),
                    Some("give one of them".into()),
                );
                let _ = a;
                return None;
            }
            (Some(nm), None) => {
                let t = nonempty(cx, nm, "name")?;
                if !is_function_name(&t.value) {
                    cx.err(
                        nm,
                        format!("`{}` is not a lambda function name", t.value),
                        Some("names have 1 to 64 letters, digits, `-` or `_`; give an alias with `alias:`".into()),
                    );
                    return None;
                }
                (t, nm)
            }
            (None, Some(a)) => {
                let t = nonempty(cx, a, "arn")?;
                (t, a)
            }
            (None, None) => {
                cx.err(
                    v,
                    format!("missing `name` or `arn` in function `{}`", key.value),
                    None,
                );
                return None;
            }
        };
        let (name_or_arn, qualifier) = split_function_ref(cx, ref_node, &reference.value)?;
        let qualifier = match (qualifier, alias) {
            (Some(_), Some(a)) => {
                cx.err_at(
                    a.pos,
                    "the arn already names an alias or version",
                    Some("remove `alias:` or the qualifier at the end of the arn".into()),
                );
                return None;
            }
            (q, a) => q.or(a.map(|a| a.value)),
        };
        return Some(FunctionDef {
            key,
            name_or_arn: At::new(name_or_arn, reference.pos),
            qualifier,
        });
    }
    let t = nonempty(cx, v, &format!("functions.{}", key.value))?;
    let (name_or_arn, qualifier) = split_function_ref(cx, v, &t.value)?;
    Some(FunctionDef {
        key,
        name_or_arn: At::new(name_or_arn, t.pos),
        qualifier,
    })
}

fn m_key_or<'n>(map: &'n Node, key: &str) -> &'n Node {
    if let Value::Map(es) = &map.value {
        if let Some((k, _)) = es.iter().find(|(k, _)| k.key_text() == key) {
            return k;
        }
    }
    map
}

/// A function reference (name, `name:alias` or ARN) → (name or unqualified ARN, qualifier).
fn split_function_ref(cx: &mut Cx, n: &Node, s: &str) -> Option<(String, Option<String>)> {
    if s.starts_with("arn:") {
        return match parse_lambda_arn(s) {
            Some(r) => Some(r),
            None => {
                cx.err(
                    n,
                    format!("`{s}` is not a lambda function arn"),
                    Some("an arn looks like `arn:aws:lambda:us-east-1:123456789012:function:NAME` with an optional `:ALIAS`".into()),
                );
                None
            }
        };
    }
    let (name, qualifier) = match s.split_once(':') {
        Some((n, q)) => (n, Some(q)),
        None => (s, None),
    };
    if !is_function_name(name) || qualifier.is_some_and(|q| !is_qualifier(q)) {
        cx.err(
            n,
            format!("`{s}` is not a lambda function name or arn"),
            Some(FUNCTION_HINT.into()),
        );
        return None;
    }
    Some((name.to_string(), qualifier.map(str::to_string)))
}
