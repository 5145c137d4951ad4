//! Which WebSocket API ops must finish before which (the counterpart of [`crate::plan::http::deps`] for
//! [`WsOp`]): the executor starts an op as soon as the ops it depends on have finished, so
//! independent routes, integrations and permissions run concurrently. What runs is never
//! changed, only when.
//!
//! Order that is kept (an op depends on every earlier op it conflicts with):
//! - ops on the same route key, integration key (its integration responses included),
//!   authorizer name or function's policy, in plan order;
//! - a route after the ops on the integration it targets and the authorizer it uses;
//! - deleting an integration or an authorizer after every earlier route op (routes move
//!   away first);
//! - a permission scoped to an authorizer after the ops on that authorizer;
//! - barriers: creating, updating or deleting the API, the
//!   deployment, and every stage op wait for everything before them, and everything after
//!   them waits for them.
//!
//! Barriers run alone ([`changes_ids`]); integrations, authorizers, routes and permissions
//! run concurrently, each handing back the one id it learned or dropped.

use super::ops::WsOp;
use crate::plan::deps::{dependencies_with, Scheduler};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope<'a> {
    Barrier,
    Integration { key: &'a str, delete: bool },
    Authorizer { name: &'a str, delete: bool },
    Route(&'a str),
    Permission(&'a str),
}

fn scope(op: &WsOp) -> Scope<'_> {
    use WsOp::*;
    match op {
        CreateIntegration { key, .. } | UpdateIntegration { key, .. } => {
            Scope::Integration { key, delete: false }
        }
        DeleteIntegration { key } => Scope::Integration { key, delete: true },
        // After the integration they belong to is created, in plan order with its other ops.
        CreateIntegrationResponse { integration, .. }
        | UpdateIntegrationResponse { integration, .. }
        | DeleteIntegrationResponse { integration, .. } => Scope::Integration {
            key: integration,
            delete: false,
        },
        CreateAuthorizer { name, .. } | UpdateAuthorizer { name, .. } => Scope::Authorizer {
            name,
            delete: false,
        },
        DeleteAuthorizer { name } => Scope::Authorizer { name, delete: true },
        CreateRoute { route_key, .. }
        | UpdateRoute { route_key, .. }
        | DeleteRoute { route_key }
        | CreateRouteResponse { route_key }
        | DeleteRouteResponse { route_key } => Scope::Route(route_key),
        AddPermission { function, .. } | RemovePermission { function, .. } => {
            Scope::Permission(function)
        }
        // CreateApi, UpdateApi, DeleteApi, CreateDeployment, stage
        // ops, and any op added later.
        _ => Scope::Barrier,
    }
}

/// What a route op refers to: its target integration key and its authorizer name.
fn route_refs(op: &WsOp) -> (Option<&str>, Option<&str>) {
    match op {
        WsOp::CreateRoute { def, .. } | WsOp::UpdateRoute { def, .. } => {
            (def.target.as_deref(), def.authorizer.as_deref())
        }
        _ => (None, None),
    }
}

/// The authorizer a permission is scoped to (`{authorizer_id:NAME}` in its source ARN).
fn permission_authorizer(op: &WsOp) -> Option<&str> {
    let WsOp::AddPermission { source_arn, .. } = op else {
        return None;
    };
    let start = source_arn.find("{authorizer_id:")? + "{authorizer_id:".len();
    let end = source_arn[start..].find('}')? + start;
    Some(&source_arn[start..end])
}

/// Whether `later` must wait for `earlier` (which comes first in the plan).
fn must_follow(earlier: &WsOp, later: &WsOp) -> bool {
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
pub fn dependencies(ops: &[WsOp]) -> Vec<Vec<usize>> {
    dependencies_with(ops, |op| scope(op) == Scope::Barrier, must_follow)
}

/// Ops that run alone among themselves: the barriers (the API, the deployment, the
/// stages), whose copy of the executor becomes its state. Ops on integrations, authorizers,
/// routes and permissions run concurrently; each hands back the one id it learned or
/// dropped (`ForkExecutor::merge` in `aws::exec::ws`).
pub fn changes_ids(op: &WsOp) -> bool {
    scope(op) == Scope::Barrier
}

/// The scheduler of a WebSocket API plan.
pub fn scheduler(ops: &[WsOp]) -> Scheduler {
    Scheduler::from_parts(dependencies(ops), ops.iter().map(changes_ids).collect())
}
