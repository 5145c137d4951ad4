//! One REST method and its integration: the ops that put them (or replace them), and the
//! field-level diff shown in the plan. Used by the REST planner and by CORS preflights, so it
//! sits below both.
//! Pure: no SDK, no I/O.

use std::collections::BTreeMap;

use crate::state::rest::{Integration, Method};

use super::ops::Op;
use crate::plan::{diff_fields, Action, Change, FieldChange, Plan};

/// Plan one method against what exists: create, replace (the method request changed),
/// update the integration, or nothing. Used by `plan` and `cors enable`.
pub(crate) fn plan_method(
    p: &mut Plan,
    path: &str,
    verb: &str,
    want: &Method,
    have: Option<&Method>,
) {
    let label = format!("{verb} {path}");
    // What the resource path implies is neither added nor removed (see `implied_by_path`).
    let have_n = have.map(|h| without_implied(path, want, h));
    let have = have_n.as_ref();
    let full_put = |ops: &mut Vec<Op>| {
        ops.push(Op::PutMethod {
            path: path.to_string(),
            method: verb.to_string(),
            def: with_path_parameters(path, want),
        });
        for (status, r) in &want.method_responses {
            ops.push(Op::PutMethodResponse {
                path: path.to_string(),
                method: verb.to_string(),
                status: status.clone(),
                def: r.clone(),
            });
        }
        if let Some(i) = &want.integration {
            push_integration(ops, path, verb, i, None);
        }
    };
    match have {
        None => {
            let mut ops = Vec::new();
            full_put(&mut ops);
            p.push_all(Change::new(Action::Create, "method", &label), ops);
        }
        Some(h) if h == want => {}
        Some(h) if request_part(h) != request_part(want) => {
            // A second put-method is a ConflictException on AWS and update-method is not
            // available everywhere: replace the method (only the API definition changes;
            // stages keep serving their deployment until the new one).
            let mut ops = vec![Op::DeleteMethod {
                path: path.to_string(),
                method: verb.to_string(),
            }];
            full_put(&mut ops);
            let fields = method_fields(h, want);
            p.push_all(
                Change::new(Action::Replace, "method", &label).fields(fields),
                ops,
            );
        }
        Some(h) => {
            // Only the integration (or its responses) differs.
            let mut ops = Vec::new();
            let want_i = want.integration.as_ref();
            let have_i = h.integration.as_ref();
            if let Some(wi) = want_i {
                push_integration(&mut ops, path, verb, wi, have_i);
            }
            let fields = diff_fields(
                have_i.map(Integration::shown).as_ref(),
                want_i.map(Integration::shown).as_ref(),
            );
            p.push_all(
                Change::new(Action::Update, "integration", &label).fields(fields),
                ops,
            );
        }
    }
}

/// The part of a method a put-method sets: a change in it replaces the method.
fn request_part(m: &Method) -> impl PartialEq {
    (
        m.authorization_type.clone(),
        m.authorizer.clone(),
        m.authorization_scopes.clone(),
        m.api_key_required,
        m.request_parameters.clone(),
        m.method_responses.clone(),
        m.request_validator.clone(),
        m.request_models.clone(),
    )
}

/// The method the account holds after [`plan_method`]'s ops: `want`, with the implied path
/// parameters of a method that is put, and those `have` already had when it is kept.
pub(crate) fn as_built(path: &str, want: &Method, have: Option<&Method>) -> Method {
    match have {
        Some(h) if request_part(&without_implied(path, want, h)) == request_part(want) => {
            let mut m = want.clone();
            for k in implied_by_path(path, want) {
                if h.request_parameters.get(&k) == Some(&true) {
                    m.request_parameters.insert(k, true);
                }
            }
            m
        }
        _ => with_path_parameters(path, want),
    }
}

/// `method.request.path.P` for every `{P}` (and greedy `{P+}`) segment of a resource path.
pub(crate) fn path_parameter_keys(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|p| format!("method.request.path.{}", p.trim_end_matches('+')))
        .collect()
}

/// The path parameters of a method's own resource path are implied by the path: a method
/// made from an OpenAPI body gets them declared by API Gateway's import (LocalStack's
/// importer adds the last one by itself and says AWS does), so gwctl declares them too when
/// it puts a method (`with_path_parameters`), and both paths build the same method. A live
/// `method.request.path.P` (required) where `{P}` is in the resource path and the spec does
/// not declare P is neither added nor removed by the planner (`without_implied`): APIs made
/// before, without it, see no change, and APIs made now, with it, see no drift.
pub(crate) fn implied_by_path(path: &str, want: &Method) -> Vec<String> {
    path_parameter_keys(path)
        .into_iter()
        .filter(|k| !want.request_parameters.contains_key(k))
        .collect()
}

/// `want` as a put-method makes it: with the path parameters its resource path implies.
pub(crate) fn with_path_parameters(path: &str, want: &Method) -> Method {
    let mut m = want.clone();
    for k in implied_by_path(path, want) {
        m.request_parameters.insert(k, true);
    }
    m
}

/// `have` without the implied path parameters (required ones) that `want` does not declare.
pub(crate) fn without_implied(path: &str, want: &Method, have: &Method) -> Method {
    let mut h = have.clone();
    for k in implied_by_path(path, want) {
        if h.request_parameters.get(&k) == Some(&true) {
            h.request_parameters.remove(&k);
        }
    }
    h
}

/// A live API's methods without any implied path parameter (required), as the spec that
/// rebuilds them would have them (`export`, CORS recognition).
pub(crate) fn strip_implied(api: &mut crate::state::rest::RestApi) {
    let none = Method::default();
    for (path, res) in api.resources.iter_mut() {
        for m in res.methods.values_mut() {
            *m = without_implied(path, &none, m);
        }
    }
}

/// Put an integration (when its own settings differ from `have`) and reconcile its
/// integration responses. After a put-integration every desired response is put again:
/// whether AWS keeps responses across a replaced integration is not relied upon.
fn push_integration(
    ops: &mut Vec<Op>,
    path: &str,
    verb: &str,
    want: &Integration,
    have: Option<&Integration>,
) {
    let strip = |i: &Integration| Integration {
        responses: BTreeMap::new(),
        ..i.clone()
    };
    let replaced = have.map(|h| strip(h) != strip(want)).unwrap_or(true);
    if replaced {
        ops.push(Op::PutIntegration {
            path: path.to_string(),
            method: verb.to_string(),
            def: strip(want),
        });
    }
    for (status, r) in &want.responses {
        let same = !replaced && have.and_then(|h| h.responses.get(status)) == Some(r);
        if !same {
            ops.push(Op::PutIntegrationResponse {
                path: path.to_string(),
                method: verb.to_string(),
                status: status.clone(),
                def: r.clone(),
            });
        }
    }
    if let Some(h) = have {
        for status in h.responses.keys() {
            if !want.responses.contains_key(status) {
                ops.push(Op::DeleteIntegrationResponse {
                    path: path.to_string(),
                    method: verb.to_string(),
                    status: status.clone(),
                });
            }
        }
    }
}

fn method_fields(have: &Method, want: &Method) -> Vec<FieldChange> {
    // Integrations with their defaults written out (never a default shown as null).
    let shown = |m: &Method| Method {
        integration: m.integration.as_ref().map(Integration::shown),
        ..m.clone()
    };
    diff_fields(Some(&shown(have)), Some(&shown(want)))
}
