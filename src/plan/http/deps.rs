//! Which HTTP API ops must finish before which (the counterpart of [`crate::plan::rest::deps`] for
//! [`HttpOp`]): the executor starts an op as soon as the ops it depends on have finished, so
//! independent routes, integrations and permissions run concurrently. What runs is never
//! changed, only when.
//!
//! Order that is kept (an op depends on every earlier op it conflicts with):
//! - ops on the same route key, integration key, authorizer name or function's policy, in
//!   plan order;
//! - a route after the ops on the integration it targets and the authorizer it uses;
//! - deleting an integration or an authorizer after every earlier route op (routes move
//!   away first);
//! - a permission scoped to an authorizer after the ops on that authorizer;
//! - barriers: creating, updating or deleting the API (its CORS configuration included), the
//!   deployment, and every stage op wait for everything before them, and everything after
//!   them waits for them.
//!
//! Barriers run alone ([`changes_ids`]); integrations, authorizers, routes and permissions
//! run concurrently, each handing back the one id it learned or dropped.

use super::ops::HttpOp;
use crate::plan::deps::{dependencies_with, Scheduler};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope<'a> {
    Barrier,
    Integration { key: &'a str, delete: bool },
    Authorizer { name: &'a str, delete: bool },
    Route(&'a str),
    Permission(&'a str),
}

fn scope(op: &HttpOp) -> Scope<'_> {
    use HttpOp::*;
    match op {
        CreateIntegration { key, .. } | UpdateIntegration { key, .. } => {
            Scope::Integration { key, delete: false }
        }
        DeleteIntegration { key } => Scope::Integration { key, delete: true },
        CreateAuthorizer { name, .. } | UpdateAuthorizer { name, .. } => Scope::Authorizer {
            name,
            delete: false,
        },
        DeleteAuthorizer { name } => Scope::Authorizer { name, delete: true },
        CreateRoute { route_key, .. }
        | UpdateRoute { route_key, .. }
        | DeleteRoute { route_key } => Scope::Route(route_key),
        AddPermission { function, .. } | RemovePermission { function, .. } => {
            Scope::Permission(function)
        }
        // CreateApi, UpdateApi, DeleteCorsConfiguration, DeleteApi, CreateDeployment, stage
        // ops, and any op added later.
        _ => Scope::Barrier,
    }
}

/// What a route op refers to: its target integration key and its authorizer name.
fn route_refs(op: &HttpOp) -> (Option<&str>, Option<&str>) {
    match op {
        HttpOp::CreateRoute { def, .. } | HttpOp::UpdateRoute { def, .. } => {
            (def.target.as_deref(), def.authorizer.as_deref())
        }
        _ => (None, None),
    }
}

/// The authorizer a permission is scoped to (`{authorizer_id:NAME}` in its source ARN).
fn permission_authorizer(op: &HttpOp) -> Option<&str> {
    let HttpOp::AddPermission { source_arn, .. } = op else {
        return None;
    };
    let start = source_arn.find("{authorizer_id:")? + "{authorizer_id:".len();
    let end = source_arn[start..].find('}')? + start;
    Some(&source_arn[start..end])
}

/// Whether `later` must wait for `earlier` (which comes first in the plan).
fn must_follow(earlier: &HttpOp, later: &HttpOp) -> bool {
    let (a, b) = (scope(earlier), scope(later));
    match (a, b) {
        (Scope::Barrier, _) | (_, Scope::Barrier) => true,
        (Scope::Integration { key: k, .. }, Scope::Integration { key: l, .. }) => k == l,
        (Scope::Authorizer { name: n, .. }, Scope::Authorizer { name: m, .. }) => n == m,
        (Scope::Route(r), Scope::Route(s)) => r == s,
        (Scope::Permission(f), Scope::Permission(g)) => f == g,
        (Scope::Integration { key, .. }, Scope::Route(_)) => route_refs(later).0 == Some(key),
        (Scope::Authorizer { name, .. }, Scope::Route(_)) => route_refs(later).1 == Some(name),
        (Scope::Route(_), Scope::Integration { delete: true, .. })
        | (Scope::Route(_), Scope::Authorizer { delete: true, .. }) => true,
        (Scope::Authorizer { name, .. }, Scope::Permission(_)) => {
            permission_authorizer(later) == Some(name)
        }
        _ => false,
    }
}

/// For each op, the indices of the earlier ops it must wait for (sorted, without the ones
/// implied by a barrier).
pub fn dependencies(ops: &[HttpOp]) -> Vec<Vec<usize>> {
    dependencies_with(ops, |op| scope(op) == Scope::Barrier, must_follow)
}

/// Ops that run alone among themselves: the barriers (the API, the deployment, the
/// stages), whose copy of the executor becomes its state. Ops on integrations, authorizers,
/// routes and permissions run concurrently; each hands back the one id it learned or
/// dropped (`ForkExecutor::merge` in `aws::exec::http`).
pub fn changes_ids(op: &HttpOp) -> bool {
    scope(op) == Scope::Barrier
}

/// The scheduler of an HTTP API plan.
pub fn scheduler(ops: &[HttpOp]) -> Scheduler {
    Scheduler::from_parts(dependencies(ops), ops.iter().map(changes_ids).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::http::simulate as simulate_http;
    use crate::plan::http::{desired, plan};
    use crate::plan::PlanOptions;
    use crate::state::http::Route;

    fn route(key: &str, target: &str, authorizer: Option<&str>) -> HttpOp {
        HttpOp::CreateRoute {
            route_key: key.into(),
            def: Route {
                target: Some(target.into()),
                authorization_type: if authorizer.is_some() { "JWT" } else { "NONE" }.into(),
                authorizer: authorizer.map(str::to_string),
                authorization_scopes: vec![],
            },
        }
    }

    fn integration(key: &str) -> HttpOp {
        HttpOp::CreateIntegration {
            key: key.into(),
            def: Default::default(),
        }
    }

    fn authorizer(name: &str) -> HttpOp {
        HttpOp::CreateAuthorizer {
            name: name.into(),
            def: Default::default(),
        }
    }

    fn permission(function: &str, source_arn: &str) -> HttpOp {
        HttpOp::AddPermission {
            function: function.into(),
            function_key: function.into(),
            statement_id: format!("gwctl-{{api_id}}-{function}"),
            source_arn: source_arn.into(),
        }
    }

    #[test]
    fn routes_wait_for_what_they_use_and_nothing_else() {
        let ops = vec![
            HttpOp::CreateApi {
                name: "a".into(),
                description: None,
                disable_execute_api_endpoint: false,
                cors: None,
                tags: Default::default(),
            }, // 0
            authorizer("jwt"),                                 // 1
            integration("lambda:a"),                           // 2
            integration("lambda:b"),                           // 3
            route("GET /a", "lambda:a", None),                 // 4
            route("GET /b", "lambda:b", Some("jwt")),          // 5
            route("POST /a", "lambda:a", None),                // 6
            permission("a", "arn:...:{api_id}/*"),             // 7
            permission("auth", "arn:...:{authorizer_id:jwt}"), // 8
            HttpOp::DeleteRoute {
                route_key: "GET /old".into(),
            }, // 9
            HttpOp::DeleteIntegration {
                key: "lambda:old".into(),
            }, // 10
            HttpOp::CreateStage {
                name: "$default".into(),
                def: Default::default(),
                deploy: false,
            }, // 11
        ];
        let deps = dependencies(&ops);
        assert_eq!(deps[1], vec![0]);
        assert_eq!(deps[2], vec![0]);
        assert_eq!(deps[4], vec![0, 2], "its integration only");
        assert_eq!(deps[5], vec![0, 1, 3], "its authorizer and integration");
        assert_eq!(
            deps[6],
            vec![0, 2],
            "not the other route on the same integration"
        );
        assert_eq!(
            deps[7],
            vec![0],
            "a function's permission waits for no route"
        );
        assert_eq!(
            deps[8],
            vec![0, 1],
            "an authorizer's permission waits for it"
        );
        assert_eq!(deps[9], vec![0]);
        assert_eq!(
            deps[10],
            vec![0, 4, 5, 6, 9],
            "routes move away before a delete"
        );
        assert_eq!(
            deps[11],
            (0..11).collect::<Vec<_>>(),
            "a barrier waits for all"
        );
        let exclusive: Vec<usize> = (0..ops.len()).filter(|&i| changes_ids(&ops[i])).collect();
        assert_eq!(exclusive, vec![0, 11], "only the barriers");
    }

    /// The order in which a concurrent run may apply `ops` (as in `deps`' tests).
    fn interleaving(ops: &[HttpOp], in_flight: usize, mut seed: u64) -> Vec<usize> {
        let mut s = scheduler(ops);
        let mut running = Vec::new();
        let mut order = Vec::new();
        loop {
            while let Some(i) = s.next(in_flight) {
                running.push(i);
            }
            if running.is_empty() {
                return order;
            }
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let i = running.swap_remove((seed >> 33) as usize % running.len());
            order.push(i);
            s.finished(i);
        }
    }

    fn wanted(yaml: &str) -> crate::plan::http::DesiredHttp {
        let loaded = crate::spec::load_str(std::path::Path::new("t.yaml"), yaml);
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let spec = loaded.spec.expect("valid spec");
        let functions: Vec<crate::state::ResolvedFunction> = spec
            .functions
            .iter()
            .map(|f| {
                let name = f.name_or_arn.value.rsplit(':').next().unwrap().to_string();
                crate::state::ResolvedFunction {
                    key: f.key.value.clone(),
                    function_arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{name}"),
                    name,
                    qualifier: f.qualifier.clone(),
                    account: "123456789012".into(),
                    region: "us-east-1".into(),
                }
            })
            .collect();
        desired(&spec, &functions, "us-east-1")
    }

    #[test]
    fn concurrent_orders_reach_the_same_account_as_the_plan_order() {
        let root = env!("CARGO_MANIFEST_DIR");
        let items = std::fs::read_to_string(format!("{root}/specs/items-http.yaml")).unwrap();
        // A later version: a route removed, one added with another function.
        let changed = items
            .replace(
                "  - {path: \"/items/{id}\", method: DELETE, function: items}\n",
                "",
            )
            .replace("functions:\n", "functions:\n  other: other-handler\n")
            .replace(
                "routes:\n",
                "routes:\n  - {path: /other, method: GET, function: other}\n",
            );
        assert_ne!(changed, items);
        let opts = PlanOptions::default();
        let d0 = wanted(&items);
        let p0 = plan(&d0, None, &Default::default(), opts);
        let want0 = simulate_http::apply(None, Default::default(), &p0.ops).unwrap();
        let d1 = wanted(&changed);
        let p1 = plan(&d1, Some(&want0.0), &want0.1, opts);
        assert!(p1
            .ops
            .iter()
            .any(|o| matches!(o, HttpOp::DeleteRoute { .. })));
        let want1 = simulate_http::apply(Some(want0.0.clone()), want0.1.clone(), &p1.ops).unwrap();
        for seed in 0..20 {
            for (start, ops, want) in [(None, &p0.ops, &want0), (Some(&want0), &p1.ops, &want1)] {
                let order = interleaving(ops, 8, seed);
                let reordered: Vec<HttpOp> = order.iter().map(|&i| ops[i].clone()).collect();
                let got = simulate_http::apply(
                    start.map(|s| s.0.clone()),
                    start.map(|s| s.1.clone()).unwrap_or_default(),
                    &reordered,
                )
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
                assert_eq!(got.0.config, want.0.config, "seed {seed}");
                assert_eq!(got.1, want.1, "seed {seed}");
                assert_eq!(
                    format!("{:?}", got.0.stages),
                    format!("{:?}", want.0.stages),
                    "seed {seed}"
                );
            }
        }
    }
}
