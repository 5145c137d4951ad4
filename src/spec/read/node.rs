//! The diagnostic-collecting reader: typed getters that report wrong types into a
//! [`Cx`] (`../cx.rs`), [`MapReader`] (unknown keys with a did-you-mean), and the names a
//! spec defines with the references to them.

use crate::spec::cx::{kind_name, Cx};
use crate::spec::model::*;
use crate::spec::suggest::{self, one_of};
use crate::spec::yaml::{Node, Value};

pub(super) fn found(n: &Node) -> String {
    match &n.value {
        Value::Str(s) if s.chars().count() <= 40 && !s.contains('\n') => {
            format!("a string `{s}`")
        }
        Value::Int(_) | Value::Float(_) | Value::Bool(_) if !n.raw.is_empty() => {
            format!("{} `{}`", n.type_name(), n.raw)
        }
        _ => n.type_name().to_string(),
    }
}

// ---------------------------------------------------------------- typed getters

/// A scalar as text (strings, and numbers as written).
pub(crate) fn text(cx: &mut Cx, n: &Node, what: &str) -> Option<At<String>> {
    match n.as_text() {
        Some(s) => Some(At::new(s, n.pos)),
        None => {
            cx.err(
                n,
                format!("`{what}` must be a string, found {}", found(n)),
                None,
            );
            None
        }
    }
}

/// Non-empty text.
pub(crate) fn nonempty(cx: &mut Cx, n: &Node, what: &str) -> Option<At<String>> {
    let t = text(cx, n, what)?;
    if t.value.trim().is_empty() {
        cx.err(n, format!("`{what}` must not be empty"), None);
        return None;
    }
    Some(t)
}

pub(crate) fn boolean(cx: &mut Cx, n: &Node, what: &str) -> Option<bool> {
    match &n.value {
        Value::Bool(b) => Some(*b),
        _ => {
            cx.err(
                n,
                format!("`{what}` must be `true` or `false`, found {}", found(n)),
                None,
            );
            None
        }
    }
}

pub(crate) fn int_in(cx: &mut Cx, n: &Node, what: &str, min: i64, max: i64) -> Option<i64> {
    match &n.value {
        Value::Int(i) if (min..=max).contains(i) => Some(*i),
        Value::Int(i) => {
            cx.err(
                n,
                format!("`{what}` must be between {min} and {max}, found `{i}`"),
                None,
            );
            None
        }
        _ => {
            cx.err(
                n,
                format!("`{what}` must be an integer, found {}", found(n)),
                None,
            );
            None
        }
    }
}

/// A non-negative number (integer or decimal).
pub(crate) fn nonneg_number(cx: &mut Cx, n: &Node, what: &str) -> Option<f64> {
    let v = match &n.value {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => {
            cx.err(
                n,
                format!("`{what}` must be a number, found {}", found(n)),
                None,
            );
            return None;
        }
    };
    if v < 0.0 || !v.is_finite() {
        cx.err(
            n,
            format!("`{what}` must not be negative, found `{}`", n.raw),
            None,
        );
        return None;
    }
    Some(v)
}

/// One of a fixed set of values, matched case-insensitively; returns the canonical spelling.
pub(crate) fn choice(
    cx: &mut Cx,
    n: &Node,
    what: &str,
    options: &[&'static str],
) -> Option<&'static str> {
    let t = text(cx, n, what)?;
    if let Some(o) = options.iter().find(|o| o.eq_ignore_ascii_case(&t.value)) {
        return Some(o);
    }
    let hint = suggest::hint(&t.value, options.iter().copied())
        .or_else(|| Some(format!("expected {}", one_of(options))));
    cx.err(n, format!("invalid `{what}` value `{}`", t.value), hint);
    None
}

pub(crate) fn list<'n>(cx: &mut Cx, n: &'n Node, what: &str) -> Option<&'n [Node]> {
    match &n.value {
        Value::Seq(items) => Some(items),
        _ => {
            let hint = n.as_text().map(|t| format!("write a list: `[{t}]`"));
            cx.err(
                n,
                format!("`{what}` must be a list, found {}", found(n)),
                hint,
            );
            None
        }
    }
}

pub(crate) fn entries<'n>(cx: &mut Cx, n: &'n Node, what: &str) -> Option<&'n [(Node, Node)]> {
    match &n.value {
        Value::Map(e) => Some(e),
        _ => {
            cx.err(
                n,
                format!("`{what}` must be a mapping, found {}", found(n)),
                None,
            );
            None
        }
    }
}

pub(crate) fn text_list(cx: &mut Cx, n: &Node, what: &str) -> Vec<At<String>> {
    let Some(items) = list(cx, n, what) else {
        return Vec::new();
    };
    items.iter().filter_map(|i| nonempty(cx, i, what)).collect()
}

/// A mapping of text to text; keys and values with their positions.
pub(crate) fn text_map(cx: &mut Cx, n: &Node, what: &str) -> Vec<(At<String>, At<String>)> {
    let Some(es) = entries(cx, n, what) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in es {
        let key = At::new(k.key_text(), k.pos);
        if let Some(val) = text(cx, v, &format!("{what}.{}", key.value)) {
            out.push((key, val));
        }
    }
    out
}

// ---------------------------------------------------------------- mapping reader

/// Reads one mapping; remembers which keys were used so `finish` can report the others.
pub(crate) struct MapReader<'n> {
    pub node: &'n Node,
    entries: &'n [(Node, Node)],
    what: String,
    allowed: &'static [&'static str],
    /// Keys valid in a sibling form (another authorizer type, ...): reported as
    /// "does not apply" rather than "unknown".
    elsewhere: &'static [&'static str],
    /// Keys starting with this are ignored (top level: `x-` holds anchors).
    ignore_prefix: Option<&'static str>,
    used: Vec<bool>,
}

impl<'n> MapReader<'n> {
    /// `what` names the mapping in messages (`route`, `stage `prod``).
    pub fn open(
        cx: &mut Cx,
        n: &'n Node,
        what: &str,
        allowed: &'static [&'static str],
    ) -> Option<MapReader<'n>> {
        let Value::Map(entries) = &n.value else {
            cx.err(
                n,
                format!("{what} must be a mapping, found {}", found(n)),
                None,
            );
            return None;
        };
        Some(MapReader {
            node: n,
            entries,
            what: what.to_string(),
            allowed,
            elsewhere: &[],
            ignore_prefix: None,
            used: vec![false; entries.len()],
        })
    }

    pub fn elsewhere(mut self, keys: &'static [&'static str]) -> Self {
        self.elsewhere = keys;
        self
    }

    pub fn ignore_prefix(mut self, prefix: &'static str) -> Self {
        self.ignore_prefix = Some(prefix);
        self
    }

    fn index(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k.key_text() == key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.index(key).is_some()
    }

    /// The key node itself (for pointing at a key).
    pub fn key(&self, key: &str) -> Option<&'n Node> {
        self.index(key).map(|i| &self.entries[i].0)
    }

    /// The value of `key`, marking it used. Keys this mapping does not allow are not
    /// returned (they stay unused, so `finish` reports them).
    pub fn get(&mut self, key: &str) -> Option<&'n Node> {
        if !self.allowed.is_empty() && !self.allowed.contains(&key) {
            return None;
        }
        self.take(key)
    }

    /// The value of `key` even when it is not allowed, marking it used (for keys that get
    /// their own message, like a literal api key `value`).
    pub fn take(&mut self, key: &str) -> Option<&'n Node> {
        let i = self.index(key)?;
        self.used[i] = true;
        Some(&self.entries[i].1)
    }

    /// The value of a required key; reports it missing (unless a misspelling of it is
    /// present: `finish` reports that one with a did-you-mean).
    pub fn req(&mut self, cx: &mut Cx, key: &str) -> Option<&'n Node> {
        let v = self.get(key);
        if v.is_none() && !self.has_typo_of(key) {
            cx.err(self.node, format!("missing `{key}` in {}", self.what), None);
        }
        v
    }

    /// Whether an unknown key of this mapping looks like a misspelling of `key`.
    pub fn has_typo_of(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| {
            let t = k.key_text();
            !self.allowed.contains(&t.as_str())
                && suggest::did_you_mean(&t, self.allowed.iter().copied()) == Some(key)
        })
    }

    /// The value of a key that applies to one API kind only; on the other kind it is
    /// reported at the key and `None` is returned.
    pub fn only(&mut self, cx: &mut Cx, key: &str, kind: ApiKind) -> Option<&'n Node> {
        let v = self.get(key)?;
        if cx.kind != kind {
            let k = self.key(key).unwrap_or(v);
            cx.err(
                k,
                format!("`{key}` is only supported on {} apis", kind_name(kind)),
                Some(format!(
                    "this api is `kind: {}`; remove `{key}`",
                    cx.kind_name()
                )),
            );
            return None;
        }
        Some(v)
    }

    /// Like [`MapReader::only`], for a key several kinds support.
    pub fn only_in(&mut self, cx: &mut Cx, key: &str, kinds: &[ApiKind]) -> Option<&'n Node> {
        let v = self.get(key)?;
        if !kinds.contains(&cx.kind) {
            let k = self.key(key).unwrap_or(v);
            let names: Vec<&str> = kinds.iter().map(|k| kind_name(*k)).collect();
            cx.err(
                k,
                format!("`{key}` is only supported on {} apis", names.join(" and ")),
                Some(format!(
                    "this api is `kind: {}`; remove `{key}`",
                    cx.kind_name()
                )),
            );
            return None;
        }
        Some(v)
    }

    pub fn req_text(&mut self, cx: &mut Cx, key: &str) -> Option<At<String>> {
        let n = self.req(cx, key)?;
        nonempty(cx, n, key)
    }

    pub fn opt_text(&mut self, cx: &mut Cx, key: &str) -> Option<At<String>> {
        let n = self.get(key)?;
        text(cx, n, key)
    }

    pub fn opt_bool(&mut self, cx: &mut Cx, key: &str) -> Option<bool> {
        let n = self.get(key)?;
        boolean(cx, n, key)
    }

    /// Report keys that were not read.
    pub fn finish(self, cx: &mut Cx) {
        for (i, (k, _)) in self.entries.iter().enumerate() {
            if self.used[i] {
                continue;
            }
            let key = k.key_text();
            if self.allowed.contains(&key.as_str())
                || self.ignore_prefix.is_some_and(|p| key.starts_with(p))
            {
                continue;
            }
            if self.elsewhere.contains(&key.as_str()) {
                cx.err(
                    k,
                    format!("`{key}` does not apply to {}", self.what),
                    Some(format!("{} takes {}", self.what, one_of(self.allowed))),
                );
                continue;
            }
            let hint = suggest::hint(&key, self.allowed.iter().copied())
                .or_else(|| Some(format!("{} takes {}", self.what, one_of(self.allowed))));
            cx.err(k, format!("unknown key `{key}` in {}", self.what), hint);
        }
    }
}

// ---------------------------------------------------------------- names and references

/// Names a spec defines, collected before anything refers to them.
#[derive(Default)]
pub(crate) struct Names {
    pub functions: Vec<String>,
    /// Authorizer name and its `type` (when readable).
    pub authorizers: Vec<(String, Option<&'static str>)>,
    pub stages: Vec<String>,
    pub api_keys: Vec<String>,
    /// REST: the names under `models:`.
    pub models: Vec<String>,
}

impl Names {
    pub fn authorizer_type(&self, name: &str) -> Option<&'static str> {
        self.authorizers
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, t)| *t)
    }
}

/// Check that `value` names something defined in `section`.
pub(crate) fn reference(
    cx: &mut Cx,
    n: &Node,
    value: &str,
    defined: &[String],
    what: &str,
    section: &str,
) -> bool {
    if defined.iter().any(|d| d == value) {
        return true;
    }
    let hint = suggest::hint(value, defined.iter().map(String::as_str)).or_else(|| {
        Some(if defined.is_empty() {
            format!("define it under `{section}:`")
        } else {
            format!(
                "define it under `{section}:` (defined: {})",
                one_of(&defined.iter().map(String::as_str).collect::<Vec<_>>())
            )
        })
    });
    cx.err(n, format!("unknown {what} `{value}`"), hint);
    false
}

/// `auth:` / `default_auth:` values: `none`, `iam` or an authorizer name.
pub(crate) fn auth_ref(cx: &mut Cx, n: &Node, what: &str, names: &Names) -> Option<At<AuthRef>> {
    let t = nonempty(cx, n, what)?;
    let r = match t.value.as_str() {
        "none" | "NONE" => AuthRef::None,
        "iam" | "IAM" | "AWS_IAM" => AuthRef::Iam,
        other => {
            let defined: Vec<String> = names.authorizers.iter().map(|(n, _)| n.clone()).collect();
            if !defined.iter().any(|d| d == other) {
                let mut cands: Vec<&str> = defined.iter().map(String::as_str).collect();
                cands.extend(["none", "iam"]);
                let hint = suggest::hint(other, cands).or_else(|| {
                    Some("use `none`, `iam` or the name of an entry under `authorizers:`".into())
                });
                cx.err(n, format!("unknown authorizer `{other}`"), hint);
                return None;
            }
            AuthRef::Authorizer(other.to_string())
        }
    };
    Some(At::new(r, t.pos))
}

impl<'n> MapReader<'n> {
    /// The value of `key` without marking it used (for a first pass over names).
    pub(super) fn entries_of(&self, key: &str) -> Option<&'n Value> {
        self.index(key).map(|i| &self.entries[i].1.value)
    }
}
