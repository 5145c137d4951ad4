//! The planner: a pure function from (desired, observed) to ordered operations.
//!
//! It decides; it never calls AWS. A [`Plan`] carries two views of the same decision:
//! `changes` (what a person reads: `+ method GET /todos`, field old -> new) and `ops` (the
//! calls the executor makes, in dependency order). Every op belongs to exactly one change.

pub mod cors;
pub mod deps;
pub mod deps_http;
pub mod desired;
pub mod http;
pub mod http_ops;
pub mod method;
pub mod ops;
pub mod patch;
pub mod permissions;
pub mod rest;
pub mod simulate;
pub mod simulate_http;
pub mod simulate_usage;
pub mod usage;
pub mod usage_ops;

use serde::Serialize;

pub use http_ops::HttpOp;
pub use ops::Op;

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
mod http_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod usage_tests;
