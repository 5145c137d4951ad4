//! Which REST API ops must finish before which (the loop and the [`Scheduler`] both kinds
//! share are in [`crate::plan::deps`]): the executor starts an op as soon as every op it
//! depends on has finished (and the quota buckets allow), so independent ops — methods of
//! different resources, permissions of different functions, gateway responses — run
//! concurrently. The plan's order is never changed where it matters, and what is executed is
//! never changed at all: only when.
//!
//! Order that is kept (an op depends on every earlier op it conflicts with):
//! - a resource before anything on it or below it, a parent before its children, and the
//!   other way round for deletions (any two ops on related paths keep their order);
//! - on one method: put/delete-method before and after everything else on it; the
//!   integration before its integration responses; a method response before the
//!   integration response of the same status; ops on the same response in plan order;
//! - an authorizer before the methods that use it and the permission that names it;
//!   deleting an authorizer after every earlier method and resource op (routes move away
//!   first);
//! - permission changes of one function in plan order (Lambda refuses concurrent policy
//!   updates of one function);
//! - one gateway response type in plan order; API attribute patches in plan order;
//! - barriers: creating or deleting the API, the deployment and every stage op wait for
//!   everything before them, and everything after them waits for them (so everything
//!   API-level precedes `CreateDeployment`, and the deployment precedes the stages). An op
//!   this module does not know is a barrier too, so new kinds of ops stay sequential until
//!   they are described here.
//!
//! Ops that change the ids the executor knows ([`changes_ids`]) run one at a time.

use super::ops::Op;
use crate::plan::deps::{dependencies_with, Scheduler};

/// What part of a method an op touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part<'a> {
    Whole,
    Response(&'a str),
    Integration,
    IntegrationResponse(&'a str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope<'a> {
    Barrier,
    ApiAttributes,
    Resource(&'a str),
    Method {
        path: &'a str,
        verb: &'a str,
        part: Part<'a>,
    },
    Authorizer {
        name: &'a str,
        delete: bool,
    },
    GatewayResponse(&'a str),
    Permission {
        function: &'a str,
    },
}

fn scope(op: &Op) -> Scope<'_> {
    use Op::*;
    match op {
        UpdateRestApi { .. } => Scope::ApiAttributes,
        CreateResource { path, .. } | DeleteResource { path } => Scope::Resource(path),
        PutMethod { path, method, .. } | DeleteMethod { path, method } => Scope::Method {
            path,
            verb: method,
            part: Part::Whole,
        },
        PutMethodResponse {
            path,
            method,
            status,
            ..
        }
        | DeleteMethodResponse {
            path,
            method,
            status,
        } => Scope::Method {
            path,
            verb: method,
            part: Part::Response(status),
        },
        PutIntegration { path, method, .. } => Scope::Method {
            path,
            verb: method,
            part: Part::Integration,
        },
        PutIntegrationResponse {
            path,
            method,
            status,
            ..
        }
        | DeleteIntegrationResponse {
            path,
            method,
            status,
        } => Scope::Method {
            path,
            verb: method,
            part: Part::IntegrationResponse(status),
        },
        PutGatewayResponse { response_type, .. } | DeleteGatewayResponse { response_type } => {
            Scope::GatewayResponse(response_type)
        }
        CreateAuthorizer { name, .. } | UpdateAuthorizer { name, .. } => Scope::Authorizer {
            name,
            delete: false,
        },
        DeleteAuthorizer { name } => Scope::Authorizer { name, delete: true },
        AddPermission { function, .. } | RemovePermission { function, .. } => {
            Scope::Permission { function }
        }
        // CreateRestApi, DeleteRestApi, CreateDeployment, CreateStage, UpdateStage, the
        // usage ops (API keys and usage plans: their plan order is what makes a key
        // rotation make-before-break), and any op added later.
        _ => Scope::Barrier,
    }
}

/// True when `path` is `root` or below it (`/a/b` is in the subtree of `/a` and of `/`).
fn in_subtree(path: &str, root: &str) -> bool {
    path == root
        || root == "/"
        || path
            .strip_prefix(root)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// True when one of the paths is the other or an ancestor of it (`/a` and `/a/b`).
fn related(p: &str, q: &str) -> bool {
    in_subtree(p, q) || in_subtree(q, p)
}

fn parts_conflict(a: Part, b: Part) -> bool {
    use Part::*;
    match (a, b) {
        (Whole, _) | (_, Whole) => true,
        (Integration, Integration | IntegrationResponse(_))
        | (IntegrationResponse(_), Integration) => true,
        (Response(s), Response(t))
        | (Response(s), IntegrationResponse(t))
        | (IntegrationResponse(s), Response(t))
        | (IntegrationResponse(s), IntegrationResponse(t)) => s == t,
        (Response(_), Integration) | (Integration, Response(_)) => false,
    }
}

/// The authorizer an op refers to by name, besides its own scope (a method using it, a
/// permission scoped to it).
fn uses_authorizer(op: &Op) -> Option<&str> {
    match op {
        Op::PutMethod { def, .. } => def.authorizer.as_deref(),
        Op::AddPermission { source_arn, .. } => {
            let start = source_arn.find("{authorizer_id:")? + "{authorizer_id:".len();
            let end = source_arn[start..].find('}')? + start;
            Some(&source_arn[start..end])
        }
        _ => None,
    }
}

/// Whether `later` must wait for `earlier` (which comes first in the plan).
fn must_follow(earlier: &Op, later: &Op) -> bool {
    let (a, b) = (scope(earlier), scope(later));
    if a == Scope::Barrier || b == Scope::Barrier {
        return true;
    }
    if let Some(name) = uses_authorizer(later) {
        if matches!(a, Scope::Authorizer { name: n, .. } if n == name) {
            return true;
        }
    }
    match (a, b) {
        (Scope::ApiAttributes, Scope::ApiAttributes) => true,
        (Scope::Resource(p), Scope::Resource(q)) => related(p, q),
        // A method waits for its resource (and the resource's ancestors, transitively);
        // deleting a resource waits for the ops on its subtree.
        (Scope::Resource(p), Scope::Method { path: q, .. })
        | (Scope::Method { path: q, .. }, Scope::Resource(p)) => in_subtree(q, p),
        (
            Scope::Method {
                path: p,
                verb: v,
                part: x,
            },
            Scope::Method {
                path: q,
                verb: w,
                part: y,
            },
        ) => p == q && v == w && parts_conflict(x, y),
        (Scope::Authorizer { name: n, .. }, Scope::Authorizer { name: m, .. }) => n == m,
        // Routes move away from an authorizer before it is deleted.
        (Scope::Method { .. } | Scope::Resource(_), Scope::Authorizer { delete: true, .. }) => true,
        (Scope::GatewayResponse(s), Scope::GatewayResponse(t)) => s == t,
        (Scope::Permission { function: f }, Scope::Permission { function: g }) => f == g,
        _ => false,
    }
}

/// For each op, the indices of the earlier ops it must wait for (sorted, without the ones
/// implied by a barrier: an op after a barrier depends on that barrier, not on what
/// precedes it).
pub fn dependencies(ops: &[Op]) -> Vec<Vec<usize>> {
    dependencies_with(ops, |op| scope(op) == Scope::Barrier, must_follow)
}

/// Ops whose outcome changes the ids the executor knows (the API, resources, authorizers,
/// the deployment): the executor runs them one at a time, on its own state. Unknown ops
/// are assumed to.
pub fn changes_ids(op: &Op) -> bool {
    matches!(
        op,
        Op::CreateRestApi { .. }
            | Op::DeleteRestApi { .. }
            | Op::CreateResource { .. }
            | Op::DeleteResource { .. }
            | Op::CreateAuthorizer { .. }
            | Op::DeleteAuthorizer { .. }
            | Op::CreateDeployment { .. }
    ) || scope(op) == Scope::Barrier
}

impl Scheduler {
    /// The scheduler of a REST plan.
    pub fn new(ops: &[Op]) -> Scheduler {
        Scheduler::from_parts(dependencies(ops), ops.iter().map(changes_ids).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::rest::ops::Patch;
    use crate::state::rest::{Integration, IntegrationResponse, Method, MethodResponse};

    fn res(path: &str) -> Op {
        let (parent, part) = crate::plan::rest::desired::split_parent(path);
        Op::CreateResource {
            path: path.into(),
            parent,
            path_part: part,
        }
    }
    fn put_method(path: &str, verb: &str) -> Op {
        Op::PutMethod {
            path: path.into(),
            method: verb.into(),
            def: Method::default(),
        }
    }
    fn method_response(path: &str, verb: &str, status: &str) -> Op {
        Op::PutMethodResponse {
            path: path.into(),
            method: verb.into(),
            status: status.into(),
            def: MethodResponse::default(),
        }
    }
    fn integration(path: &str, verb: &str) -> Op {
        Op::PutIntegration {
            path: path.into(),
            method: verb.into(),
            def: Integration::default(),
        }
    }
    fn integration_response(path: &str, verb: &str, status: &str) -> Op {
        Op::PutIntegrationResponse {
            path: path.into(),
            method: verb.into(),
            status: status.into(),
            def: IntegrationResponse::default(),
        }
    }
    fn permission(function: &str) -> Op {
        Op::AddPermission {
            function: function.into(),
            function_key: function.into(),
            statement_id: "gwctl-{api_id}-f".into(),
            source_arn: "arn:aws:execute-api:r:1:{api_id}/*".into(),
        }
    }

    /// The ops of a new Todo-like API, in the planner's order.
    fn todo_plan() -> Vec<Op> {
        vec![
            Op::CreateRestApi {
                name: "todo".into(),
                description: None,
                endpoint_type: "REGIONAL".into(),
                binary_media_types: vec![],
                api_key_source: None,
                policy: None,
                vpc_endpoint_ids: vec![],
                tags: Default::default(),
            }, // 0
            res("/todos"),                                    // 1
            res("/todos/{id}"),                               // 2
            put_method("/todos", "GET"),                      // 3
            integration("/todos", "GET"),                     // 4
            put_method("/todos", "OPTIONS"),                  // 5
            method_response("/todos", "OPTIONS", "200"),      // 6
            integration("/todos", "OPTIONS"),                 // 7
            integration_response("/todos", "OPTIONS", "200"), // 8
            put_method("/todos/{id}", "GET"),                 // 9
            integration("/todos/{id}", "GET"),                // 10
            Op::PutGatewayResponse {
                response_type: "DEFAULT_4XX".into(),
                def: Default::default(),
            }, // 11
            permission("list"),                               // 12
            permission("get"),                                // 13
            Op::CreateDeployment {
                description: "gwctl:config=x".into(),
                stage: None,
            }, // 14
            Op::CreateStage {
                name: "prod".into(),
                description: None,
                variables: Default::default(),
                tracing_enabled: false,
            }, // 15
            Op::UpdateStage {
                name: "prod".into(),
                patches: vec![Patch::replace("/*/*/logging/loglevel", "INFO")],
            }, // 16
        ]
    }

    #[test]
    fn dependencies_keep_the_order_that_matters_and_only_that() {
        let d = dependencies(&todo_plan());
        assert_eq!(d[0], Vec::<usize>::new());
        assert_eq!(d[1], vec![0], "resource after the API");
        assert_eq!(d[2], vec![0, 1], "child after parent");
        assert_eq!(d[3], vec![0, 1], "method after its resource only");
        assert_eq!(d[4], vec![0, 1, 3], "integration after its method");
        assert_eq!(d[5], vec![0, 1], "OPTIONS does not wait for GET");
        assert_eq!(d[6], vec![0, 1, 5]);
        assert_eq!(
            d[7],
            vec![0, 1, 5],
            "integration and method response in parallel"
        );
        assert_eq!(d[8], vec![0, 1, 5, 6, 7], "integration response after both");
        assert_eq!(
            d[9],
            vec![0, 1, 2],
            "method on /todos/{{id}} after both resources"
        );
        assert_eq!(d[2], vec![0, 1]);
        assert_eq!(d[10], vec![0, 1, 2, 9]);
        assert_eq!(d[11], vec![0], "gateway responses depend on the API only");
        assert_eq!(d[12], vec![0]);
        assert_eq!(
            d[13],
            vec![0],
            "permissions of different functions in parallel"
        );
        assert_eq!(
            d[14],
            (0..14).collect::<Vec<_>>(),
            "deployment after everything"
        );
        assert_eq!(d[15], vec![14], "stage after the deployment");
        assert_eq!(d[16], vec![15]);
    }

    #[test]
    fn deletions_and_authorizers_keep_their_order() {
        let ops = vec![
            Op::DeleteMethod {
                path: "/a".into(),
                method: "GET".into(),
            }, // 0
            Op::CreateAuthorizer {
                name: "tok".into(),
                def: Default::default(),
            }, // 1
            Op::PutMethod {
                path: "/b".into(),
                method: "GET".into(),
                def: Method {
                    authorization_type: "CUSTOM".into(),
                    authorizer: Some("tok".into()),
                    ..Default::default()
                },
            }, // 2
            Op::AddPermission {
                function: "auth".into(),
                function_key: "auth".into(),
                statement_id: "s".into(),
                source_arn: "arn:x:{api_id}/authorizers/{authorizer_id:tok}".into(),
            }, // 3
            Op::DeleteResource {
                path: "/old".into(),
            }, // 4
            Op::DeleteAuthorizer { name: "old".into() }, // 5
            Op::RemovePermission {
                function: "auth".into(),
                function_key: "auth".into(),
                statement_id: "s2".into(),
            }, // 6
            Op::DeleteGatewayResponse {
                response_type: "DEFAULT_5XX".into(),
            }, // 7
        ];
        let d = dependencies(&ops);
        assert_eq!(d[1], Vec::<usize>::new());
        assert_eq!(d[2], vec![1], "a method after the authorizer it uses");
        assert_eq!(
            d[3],
            vec![1],
            "the authorizer's permission after the authorizer"
        );
        assert_eq!(d[4], Vec::<usize>::new(), "unrelated paths are independent");
        assert_eq!(
            d[5],
            vec![0, 2, 4],
            "authorizer deleted after routes moved away"
        );
        assert_eq!(d[6], vec![3], "one function's policy changes in order");
        assert_eq!(d[7], Vec::<usize>::new());
    }

    #[test]
    fn related_paths_keep_their_order() {
        assert!(related("/a", "/a/b"));
        assert!(related("/a/b", "/a"));
        assert!(related("/", "/x"));
        assert!(!related("/a", "/ab"));
        assert!(!related("/a/b", "/a/c"));
        let ops = vec![
            Op::DeleteMethod {
                path: "/a/b".into(),
                method: "GET".into(),
            },
            Op::DeleteResource { path: "/a".into() },
            res("/ab"),
        ];
        let d = dependencies(&ops);
        assert_eq!(d[1], vec![0]);
        assert_eq!(d[2], Vec::<usize>::new());
    }

    #[test]
    fn a_replaced_method_stays_in_plan_order() {
        let ops = vec![
            Op::DeleteMethod {
                path: "/a".into(),
                method: "GET".into(),
            },
            put_method("/a", "GET"),
            method_response("/a", "GET", "200"),
            method_response("/a", "GET", "400"),
            integration("/a", "GET"),
            integration_response("/a", "GET", "200"),
            integration_response("/a", "GET", "400"),
        ];
        let d = dependencies(&ops);
        assert_eq!(d[1], vec![0]);
        assert_eq!(d[2], vec![0, 1]);
        assert_eq!(d[3], vec![0, 1], "different statuses are independent");
        assert_eq!(d[4], vec![0, 1]);
        assert_eq!(d[5], vec![0, 1, 2, 4]);
        assert_eq!(d[6], vec![0, 1, 3, 4]);
    }

    #[test]
    fn the_scheduler_starts_ready_ops_in_order_within_limits() {
        let ops = todo_plan();
        let mut s = Scheduler::new(&ops);
        // Only the API at first, and nothing while it runs.
        assert_eq!(s.next(8), Some(0));
        assert_eq!(s.next(8), None);
        s.finished(0);
        // Resources change ids: one at a time; the rest that is ready starts alongside.
        assert_eq!(s.next(8), Some(1));
        assert_eq!(s.next(8), Some(11));
        assert_eq!(s.next(8), Some(12));
        assert_eq!(s.next(8), Some(13));
        assert_eq!(s.next(8), None);
        s.finished(1);
        let started: Vec<usize> = std::iter::from_fn(|| s.next(8)).collect();
        assert_eq!(started, vec![2, 3, 5]);
        assert_eq!(s.running(), 6);
        for i in [11, 12, 13, 2, 3, 5] {
            s.finished(i);
        }
        let started: Vec<usize> = std::iter::from_fn(|| s.next(8)).collect();
        assert_eq!(started, vec![4, 6, 7, 9]);
        // A failure stops new starts; what runs may finish.
        s.failed(6);
        assert_eq!(s.next(8), None);
        s.finished(4);
        assert_eq!(s.next(8), None);
        assert_eq!(s.running(), 2);
    }

    #[test]
    fn one_in_flight_is_the_plan_order() {
        let ops = todo_plan();
        let mut s = Scheduler::new(&ops);
        let mut order = Vec::new();
        while let Some(i) = s.next(1) {
            order.push(i);
            s.finished(i);
        }
        assert_eq!(order, (0..ops.len()).collect::<Vec<_>>());
    }

    /// Any plan the REST planner makes can be run concurrently and still respects the
    /// planner's order wherever the ops conflict: dependencies always point backwards, and a
    /// full run starts every op exactly once.
    #[test]
    fn every_op_starts_once_and_after_its_dependencies() {
        let ops = todo_plan();
        let deps = dependencies(&ops);
        let mut s = Scheduler::new(&ops);
        let mut finished = vec![false; ops.len()];
        let mut in_flight = Vec::new();
        let mut starts = 0;
        loop {
            while let Some(i) = s.next(3) {
                assert!(deps[i].iter().all(|&d| d < i && finished[d]), "op {i}");
                in_flight.push(i);
                starts += 1;
            }
            // Finish the most recently started first, to mix the order up.
            let Some(i) = in_flight.pop() else { break };
            finished[i] = true;
            s.finished(i);
        }
        assert_eq!(starts, ops.len());
        assert!(finished.iter().all(|f| *f));
    }

    // --- every interleaving the scheduler allows gives the plan's result ------------------

    fn desired(yaml: &str) -> crate::plan::rest::desired::DesiredRest {
        let loaded = crate::spec::load_str(std::path::Path::new("t.yaml"), yaml);
        let errors: Vec<String> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.render(false))
            .collect();
        assert!(errors.is_empty(), "{}", errors.join("\n"));
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
        crate::plan::rest::desired::rest(&spec, &functions, "us-east-1")
    }

    /// The order in which a concurrent run may apply `ops`: at each step one of the ops in
    /// flight (chosen by `seed`) is applied and finishes.
    fn interleaving(ops: &[Op], in_flight: usize, mut seed: u64) -> Vec<usize> {
        let mut s = Scheduler::new(ops);
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

    #[test]
    fn concurrent_orders_reach_the_same_account_as_the_plan_order() {
        use crate::plan::rest::{plan, simulate};
        use crate::plan::PlanOptions;
        let root = env!("CARGO_MANIFEST_DIR");
        let read = |f: &str| std::fs::read_to_string(format!("{root}/specs/{f}")).unwrap();
        let todo = read("todo.yaml");
        // A later version of the API: a route removed, one rewired, one added.
        let changed = todo
            .replace(
                "  - {path: \"/todos/{id}\", method: DELETE, function: todo-delete}\n",
                "",
            )
            .replace(
                "{path: /todos, method: GET, function: todo-list}",
                "{path: /todos, method: GET, function: todo-get}",
            )
            .replace(
                "routes:\n",
                "routes:\n  - {path: \"/todos/{id}/done\", method: POST, function: todo-update}\n",
            );
        assert_ne!(changed, todo);
        for yaml in [
            todo.clone(),
            read("hoge-custom.yaml"),
            read("tasks-apikey.yaml"),
        ] {
            let d = desired(&yaml);
            let first = plan(&d, None, &Default::default(), PlanOptions::default());
            let want = simulate::apply(None, Default::default(), &first.ops).unwrap();
            for seed in 0..20 {
                let order = interleaving(&first.ops, 8, seed);
                let ops: Vec<Op> = order.iter().map(|&i| first.ops[i].clone()).collect();
                let got = simulate::apply(None, Default::default(), &ops)
                    .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
                assert_eq!(got.0.config, want.0.config, "seed {seed}");
                let settings = |a: &crate::state::rest::ObservedRestApi| {
                    a.stages
                        .iter()
                        .map(|(k, v)| (k.clone(), format!("{:?}", v.settings)))
                        .collect::<Vec<_>>()
                };
                assert_eq!(settings(&got.0), settings(&want.0), "seed {seed}");
                assert_eq!(got.1, want.1, "seed {seed}");
            }
        }
        // A change plan (deletes, replaced integrations, new resources) on the applied API.
        let d0 = desired(&todo);
        let p0 = plan(&d0, None, &Default::default(), PlanOptions::default());
        let (api, policies) = simulate::apply(None, Default::default(), &p0.ops).unwrap();
        let d1 = desired(&changed);
        let p1 = plan(&d1, Some(&api), &policies, PlanOptions::default());
        assert!(p1.ops.iter().any(|o| matches!(o, Op::DeleteMethod { .. })));
        let want = simulate::apply(Some(api.clone()), policies.clone(), &p1.ops).unwrap();
        for seed in 0..20 {
            let order = interleaving(&p1.ops, 8, seed);
            let ops: Vec<Op> = order.iter().map(|&i| p1.ops[i].clone()).collect();
            let got = simulate::apply(Some(api.clone()), policies.clone(), &ops)
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            assert_eq!(got.0.config, want.0.config, "seed {seed}");
            assert_eq!(got.1, want.1, "seed {seed}");
        }
    }
}
