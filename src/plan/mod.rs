//! The planner: a pure function from (desired, observed) to ordered operations.
//!
//! It decides; it never calls AWS. A [`Plan`] carries two views of the same decision:
//! `changes` (what a person reads: `+ method GET /todos`, field old -> new) and `ops` (the
//! calls the executor makes, in dependency order). Every op belongs to exactly one change.

pub mod deps;
pub mod desired;
pub mod domains;
pub mod export;
pub mod http;
pub mod openapi;
mod options;
pub mod patch;
pub mod permissions;
pub mod rest;
pub mod simulate;
pub mod simulate_usage;
pub mod usage;
pub mod usage_ops;
pub mod v2;
pub mod ws;

use serde::Serialize;

pub use http::ops::HttpOp;
pub use options::{deployment_reason, deployment_serves, hand_deployment_serves, PlanOptions};
pub use rest::ops::Op;

/// Placeholder the executor replaces with the API id.
pub const API_ID: &str = "{api_id}";

/// `{authorizer_id:NAME}`: replaced with the id of authorizer NAME.
pub fn authorizer_id_placeholder(name: &str) -> String {
    format!("{{authorizer_id:{name}}}")
}

/// What every op type a [`Plan`] can carry provides to reports (JSON `calls`, progress).
pub trait PlanOp {
    /// How the API kind reads in messages: `rest api`, `http api`.
    const API_LABEL: &'static str;
    /// The AWS operation name (`CreateRoute`, `PutIntegration`, ...).
    fn aws_name(&self) -> &'static str;
    /// A short label for progress lines: the operation and the object it acts on.
    fn label(&self) -> String;
}

impl PlanOp for Op {
    const API_LABEL: &'static str = "rest api";
    fn aws_name(&self) -> &'static str {
        Op::aws_name(self)
    }
    fn label(&self) -> String {
        Op::label(self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Delete,
    /// Delete and create again (AWS cannot update it in place).
    Replace,
}

impl Action {
    pub fn symbol(&self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Delete => "-",
            Action::Replace => "±",
        }
    }
}

/// One field of a changed object: old -> new (None = absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl FieldChange {
    pub fn of<T: std::fmt::Debug + Serialize>(field: &str, old: &T, new: &T) -> FieldChange {
        let show = |v: &T| -> Option<String> {
            match serde_json::to_value(v).unwrap_or_default() {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(s),
                other => Some(other.to_string()),
            }
        };
        FieldChange {
            field: field.to_string(),
            old: show(old),
            new: show(new),
        }
    }
}

/// Field-level differences of two serialisable values (top-level JSON fields).
pub fn diff_fields<T: serde::Serialize>(have: Option<&T>, want: Option<&T>) -> Vec<FieldChange> {
    let to = |v: Option<&T>| {
        v.map(|v| serde_json::to_value(v).unwrap_or_default())
            .unwrap_or(serde_json::Value::Null)
    };
    let (h, w) = (to(have), to(want));
    let mut out = Vec::new();
    match (&h, &w) {
        (serde_json::Value::Object(ho), serde_json::Value::Object(wo)) => {
            let keys: std::collections::BTreeSet<&String> = ho.keys().chain(wo.keys()).collect();
            for k in keys {
                let (a, b) = (ho.get(k), wo.get(k));
                if a != b {
                    out.push(FieldChange {
                        field: k.clone(),
                        old: a.filter(|v| !is_empty(v)).map(short),
                        new: b.filter(|v| !is_empty(v)).map(short),
                    });
                }
            }
        }
        _ if h != w => out.push(FieldChange {
            field: "value".into(),
            old: (!is_empty(&h)).then(|| short(&h)),
            new: (!is_empty(&w)).then(|| short(&w)),
        }),
        _ => {}
    }
    out
}

fn is_empty(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => true,
        serde_json::Value::Object(o) => o.is_empty(),
        serde_json::Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn short(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A change to one API object, as people read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub action: Action,
    /// `rest_api`, `resource`, `method`, `integration`, `authorizer`, `gateway_response`,
    /// `permission`, `deployment`, `stage`.
    pub kind: String,
    /// `GET /todos`, `/todos/{id}`, `prod`, ...
    pub name: String,
    pub fields: Vec<FieldChange>,
    /// Indexes into `Plan::ops` of the calls that make this change.
    pub ops: Vec<usize>,
}

impl Change {
    pub fn new(action: Action, kind: &str, name: &str) -> Change {
        Change {
            action,
            kind: kind.to_string(),
            name: name.to_string(),
            fields: Vec::new(),
            ops: Vec::new(),
        }
    }
    pub fn fields(mut self, fields: Vec<FieldChange>) -> Change {
        self.fields = fields;
        self
    }
}

/// A plan: changes as people read them, and the ops (REST [`Op`] by default, [`HttpOp`] for
/// HTTP APIs) the executor runs.
#[derive(Debug, Clone, Serialize)]
pub struct Plan<O = Op> {
    pub changes: Vec<Change>,
    pub ops: Vec<O>,
    /// Objects in the account that the spec does not declare and that the plan keeps
    /// (an adopted API without `--prune`), as `kind name`. Not changes.
    pub kept: Vec<String>,
}

impl<O> Default for Plan<O> {
    fn default() -> Self {
        Plan {
            changes: Vec::new(),
            ops: Vec::new(),
            kept: Vec::new(),
        }
    }
}

impl<O> Plan<O> {
    pub fn push(&mut self, change: Change, op: O) {
        self.push_all(change, vec![op]);
    }

    pub fn push_all(&mut self, mut change: Change, ops: Vec<O>) {
        if ops.is_empty() {
            return;
        }
        let start = self.ops.len();
        self.ops.extend(ops);
        change.ops = (start..self.ops.len()).collect();
        self.changes.push(change);
    }

    /// Delete an object the spec does not declare when `prune`, else record it as kept.
    pub fn remove_extra(&mut self, prune: bool, change: Change, op: O) {
        if prune {
            self.push(change, op);
        } else {
            self.kept.push(format!("{} {}", change.kind, change.name));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Counts of creates, updates (incl. replaces) and deletes, for the summary line.
    pub fn summary(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for ch in &self.changes {
            match ch.action {
                Action::Create => c.0 += 1,
                Action::Update | Action::Replace => c.1 += 1,
                Action::Delete => c.2 += 1,
            }
        }
        c
    }
}

#[cfg(test)]
mod usage_tests;

#[cfg(test)]
mod export_tests;
