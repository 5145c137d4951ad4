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
    let request_part = |m: &Method| {
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
    };
    let full_put = |ops: &mut Vec<Op>| {
        ops.push(Op::PutMethod {
            path: path.to_string(),
            method: verb.to_string(),
            def: want.clone(),
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
