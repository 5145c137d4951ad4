//! Whole-spec checks over the model: the route table, resources, CORS with authorization,
//! API keys and usage plans. Each problem points at the route or name it is about.

use std::collections::{BTreeSet, HashMap};

use super::cx::Cx;
use super::model::*;

/// REST APIs: at most this many resources (paths, counting intermediate ones and `/`).
pub const MAX_REST_RESOURCES: usize = 300;
/// HTTP APIs: at most this many routes.
pub const MAX_HTTP_ROUTES: usize = 300;

pub(crate) fn check(cx: &mut Cx, spec: &Spec) {
    // WebSocket route keys are no paths; `read/ws.rs` checks them (duplicates included).
    if spec.api.kind != ApiKind::WebSocket {
        duplicate_routes(cx, spec);
        sibling_parameters(cx, spec);
    }
    size_limits(cx, spec);
    cors_and_routes(cx, spec);
    api_keys_and_plans(cx, spec);
    route_caches(cx, spec);
    super::limits::check(cx, spec);
    if spec.stages.is_empty() && !spec.routes.is_empty() && !cx.stages_written {
        cx.warn_at(
            Pos::default(),
            "no `stages`: the api is created but not deployed anywhere",
            Some(match spec.api.kind {
                ApiKind::Http => "add `stages: {$default: {auto_deploy: true}}`".into(),
                ApiKind::WebSocket => "add `stages: {prod: {auto_deploy: true}}`".into(),
                ApiKind::Rest => "add `stages: {prod: {}}`".into(),
            }),
        );
    }
}

/// A route's `cache` is applied on the stages that have a cache: a spec with route caches
/// and no stage cache would configure nothing.
fn route_caches(cx: &mut Cx, spec: &Spec) {
    if spec
        .stages
        .iter()
        .any(|s| s.cache.as_ref().is_some_and(|c| c.enabled))
    {
        return;
    }
    for r in &spec.routes {
        if let Some(c) = &r.cache {
            cx.err_at(
                c.pos,
                format!(
                    "route `{}` has a `cache` but no stage has one",
                    route_key(r)
                ),
                Some("add `cache: {size: \"0.5\", ttl: 300}` to a stage".into()),
            );
        }
    }
}

fn route_key(r: &RouteDef) -> String {
    if r.path.value == "$default" {
        "$default".into()
    } else {
        format!("{} {}", r.method.value.as_str(), r.path.value)
    }
}

fn duplicate_routes(cx: &mut Cx, spec: &Spec) {
    let mut seen: HashMap<(String, HttpMethod), u32> = HashMap::new();
    for r in &spec.routes {
        let key = (r.path.value.clone(), r.method.value);
        if let Some(line) = seen.get(&key) {
            cx.err_at(
                r.method.pos,
                format!("duplicate route `{}`", route_key(r)),
                Some(format!("first defined on line {line}")),
            );
        } else {
            seen.insert(key, r.pos.line);
        }
    }
}

/// Position of `len` characters `offset` characters into the value at `at`, when the
/// source has the value written literally there; else the whole token.
fn value_span(cx: &Cx, at: &At<String>, offset: usize) -> Pos {
    let line = cx.src.line(at.pos.line);
    let start = at.pos.col.saturating_sub(1) as usize;
    let rest: String = line.chars().skip(start).collect();
    let lead = if rest.starts_with(&at.value) {
        Some(0)
    } else if (rest.starts_with('"') || rest.starts_with('\'')) && rest[1..].starts_with(&at.value)
    {
        Some(1)
    } else {
        None
    };
    match lead {
        Some(l) => Pos {
            line: at.pos.line,
            col: at.pos.col + l + offset as u32,
        },
        None => at.pos,
    }
}

fn is_param(seg: &str) -> bool {
    seg.starts_with('{') && seg.ends_with('}')
}

/// `/todos/{id}` beside `/todos/{todoId}`: API Gateway allows one variable path part per
/// level ("A sibling ({id}) of this resource already has a variable path part").
fn sibling_parameters(cx: &mut Cx, spec: &Spec) {
    // parent path -> (variable segment, path where first seen)
    let mut vars: HashMap<String, (String, At<String>)> = HashMap::new();
    let mut reported: BTreeSet<(String, String)> = BTreeSet::new();
    for r in &spec.routes {
        let path = &r.path.value;
        if path == "$default" || path == "/" {
            continue;
        }
        let segs: Vec<&str> = path[1..].split('/').collect();
        let mut offset = 1;
        for i in 0..segs.len() {
            let seg = segs[i];
            if is_param(seg) {
                let parent = format!("/{}", segs[..i].join("/"));
                match vars.get(&parent) {
                    Some((first, first_path)) if first != seg => {
                        if reported.insert((parent.clone(), seg.to_string())) {
                            let pos = value_span(cx, &r.path, offset);
                            let len = seg.chars().count() as u32;
                            let msg = format!(
                                "path parameter `{seg}` conflicts with `{first}` at the same level (`{}`, line {})",
                                first_path.value, first_path.pos.line
                            );
                            let hint = Some(format!(
                                "API Gateway allows one parameter name per position; rename `{seg}` to `{first}`"
                            ));
                            let sev = if spec.api.kind == ApiKind::Rest {
                                super::diag::Severity::Error
                            } else {
                                super::diag::Severity::Warning
                            };
                            let len = if pos == r.path.pos {
                                cx.len_at(pos)
                            } else {
                                len
                            };
                            cx.push(sev, pos, len, msg, hint);
                        }
                        // Stop at the first conflict on this path: deeper levels differ anyway.
                        break;
                    }
                    Some(_) => {}
                    None => {
                        vars.insert(parent, (seg.to_string(), r.path.clone()));
                    }
                }
            }
            offset += seg.chars().count() + 1;
        }
    }
}

fn size_limits(cx: &mut Cx, spec: &Spec) {
    match spec.api.kind {
        ApiKind::Rest => {
            let mut resources: BTreeSet<String> = BTreeSet::new();
            resources.insert("/".into());
            for r in &spec.routes {
                let segs: Vec<&str> = r.path.value.trim_start_matches('/').split('/').collect();
                for i in 1..=segs.len() {
                    if !segs[0].is_empty() {
                        resources.insert(format!("/{}", segs[..i].join("/")));
                    }
                }
                if resources.len() > MAX_REST_RESOURCES {
                    cx.err_at(
                        r.path.pos,
                        format!(
                            "this route brings the api to {} resources; API Gateway allows {MAX_REST_RESOURCES} per rest api",
                            resources.len()
                        ),
                        Some("split the api, or route many paths to one integration with `{proxy+}`".into()),
                    );
                    return;
                }
            }
        }
        ApiKind::Http | ApiKind::WebSocket => {
            if let Some(r) = spec.routes.get(MAX_HTTP_ROUTES) {
                cx.err_at(
                    r.path.pos,
                    format!(
                        "the api has {} routes; API Gateway allows {MAX_HTTP_ROUTES} per http api",
                        spec.routes.len()
                    ),
                    Some(
                        "split the api, or route many paths to one integration with `{proxy+}`"
                            .into(),
                    ),
                );
            }
        }
    }
}

fn cors_and_routes(cx: &mut Cx, spec: &Spec) {
    let Some(cors) = &spec.cors else { return };
    if spec.api.kind == ApiKind::Rest
        && cors.credentials
        && cors.origins.len() > 1
        && !cors.origins.iter().any(|o| o == "*")
    {
        cx.warn_at(
            cors.pos,
            format!(
                "with several origins and `credentials: true`, the errors API Gateway generates itself (401, 403, 429, 5xx) carry only the first origin, `{}`",
                cors.origins[0]
            ),
            Some("gateway responses cannot choose between origins, and echoing any origin with credentials would let every site read them; see docs/cors.md".into()),
        );
    }
    if spec.api.kind == ApiKind::Rest {
        for r in &spec.routes {
            if r.method.value == HttpMethod::Options {
                cx.err_at(
                    r.method.pos,
                    format!(
                        "route `OPTIONS {}` conflicts with the preflight method gwctl creates for `cors`",
                        r.path.value
                    ),
                    Some("remove this route, or remove `cors:` and answer preflight requests yourself".into()),
                );
            }
        }
    } else {
        for r in &spec.routes {
            if r.method.value == HttpMethod::Any && spec.effective_auth(r) != AuthRef::None {
                cx.warn_at(
                    r.method.pos,
                    format!(
                        "preflight requests can match the authorized route `{}` and fail",
                        route_key(r)
                    ),
                    Some("give browsers' `OPTIONS` requests a route with `auth: none`, or list methods instead of `ANY`".into()),
                );
            }
        }
    }
    api_key_header_allowed(cx, spec, cors);
    if let Some(star) = cx.star_origin {
        let authorized = spec
            .routes
            .iter()
            .any(|r| spec.effective_auth(r) != AuthRef::None);
        if authorized && !cors.credentials {
            cx.warn_at(
                star,
                "`*` origin on an api with authorization",
                Some("any web site can call this api with a user's token; list the origins of your front end".into()),
            );
        }
    }
}

/// A browser sends the API key in `X-Api-Key`, a non-simple header: its preflight asks for
/// it, and fails unless `Access-Control-Allow-Headers` names it (or is `*`, which browsers
/// honour only without credentials). One warning, at the first route that needs a key.
fn api_key_header_allowed(cx: &mut Cx, spec: &Spec, cors: &CorsDef) {
    let allowed = cors
        .headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("x-api-key") || (h == "*" && !cors.credentials));
    if allowed || spec.api.kind != ApiKind::Rest {
        return;
    }
    let mut keyed = spec.routes.iter().filter(|r| r.api_key_required);
    let Some(first) = keyed.next() else { return };
    let more = keyed.count();
    cx.warn_at(
        first.path.pos,
        format!(
            "route `{}`{} requires an api key, but `cors.headers` does not allow `X-Api-Key`: a browser's preflight for it fails",
            route_key(first),
            if more > 0 {
                format!(" (and {more} more)")
            } else {
                String::new()
            }
        ),
        Some("add `X-Api-Key` to `cors.headers`".into()),
    );
}

fn api_keys_and_plans(cx: &mut Cx, spec: &Spec) {
    if spec.api.kind != ApiKind::Rest {
        return;
    }
    let needs_key: Vec<&RouteDef> = spec.routes.iter().filter(|r| r.api_key_required).collect();
    if let Some(first) = needs_key.first() {
        if spec.usage_plans.is_empty() {
            cx.warn_at(
                first.pos,
                "routes require an api key but no usage plan exists, so every call is refused",
                Some(
                    "add a `usage_plans:` entry covering your stages, with the keys that may call"
                        .into(),
                ),
            );
        } else {
            let covered: BTreeSet<&str> = spec
                .usage_plans
                .iter()
                .flat_map(|p| p.stages.iter().map(|s| s.value.as_str()))
                .collect();
            for s in &spec.stages {
                if !covered.contains(s.name.value.as_str()) {
                    cx.warn_at(
                        s.name.pos,
                        format!(
                            "stage `{}` is in no usage plan, so routes with `api_key_required` refuse every call there",
                            s.name.value
                        ),
                        Some("add the stage to a usage plan's `stages`".into()),
                    );
                }
            }
        }
    }
    for k in &spec.api_keys {
        let in_plan = spec
            .usage_plans
            .iter()
            .any(|p| p.keys.iter().any(|pk| pk.value == k.name.value));
        if !in_plan {
            cx.warn_at(
                k.name.pos,
                format!(
                    "api key `{}` is in no usage plan, so it grants no access",
                    k.name.value
                ),
                Some("list it under a usage plan's `keys`".into()),
            );
        }
    }
}

/// Lint (reported by `gwctl validate` only): routes anyone can call. A route is quiet when it
/// has authorization, requires an API key, or says `auth: none` (public on purpose), or the
/// API says `default_auth: none`.
pub(crate) fn lint(cx: &mut Cx, spec: &Spec) {
    // WebSocket APIs authorize a client once, on `$connect`; the other routes cannot be.
    if spec.api.kind == ApiKind::WebSocket {
        return;
    }
    let open: Vec<&RouteDef> = spec
        .routes
        .iter()
        .filter(|r| r.auth.is_none() && spec.default_auth.is_none() && !r.api_key_required)
        .collect();
    let Some(first) = open.first() else { return };
    let mut list: Vec<String> = open
        .iter()
        .take(5)
        .map(|r| format!("`{}`", route_key(r)))
        .collect();
    if open.len() > 5 {
        list.push(format!("and {} more", open.len() - 5));
    }
    let msg = if open.len() == 1 {
        format!("route {} has no authorization", list[0])
    } else {
        format!(
            "{} routes have no authorization: {}",
            open.len(),
            list.join(", ")
        )
    };
    cx.warn_at(
        first.path.pos,
        msg,
        Some("set `default_auth:` or `auth:` per route (an authorizer or `iam`), or require an api key; write `auth: none` to mark a route public on purpose".into()),
    );
}
