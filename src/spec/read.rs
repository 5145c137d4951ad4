//! The node tree into the model, collecting every problem instead of stopping at the first.
//!
//! [`Cx`] holds the diagnostics; [`MapReader`] reads one YAML mapping key by key, with
//! typed getters that report wrong types, and `finish()` reports the keys nobody asked for
//! (with a did-you-mean from the keys that mapping allows). Checks that need only one value
//! (ranges, formats, ARNs, which API kind a key applies to, references to names) happen
//! here, where the node and its position are at hand; checks over the whole route table are
//! in `check.rs`.

use std::collections::{BTreeMap, HashMap};

use super::diag::{Diagnostic, Severity, Source};
use super::model::*;
use super::suggest::{self, one_of};
use super::yaml::{Node, Value};

/// Reading context: where diagnostics go, and what kind of API the spec describes.
pub(crate) struct Cx<'a> {
    pub src: &'a Source<'a>,
    pub diags: Vec<Diagnostic>,
    pub kind: ApiKind,
    /// Token widths by position, for diagnostics raised from the model (which keeps `Pos`).
    lens: HashMap<Pos, u32>,
    /// Position of a `*` CORS origin (for the "`*` with authorizers" warning).
    pub star_origin: Option<Pos>,
    /// The spec has a non-empty `stages` value (whether or not its stages are valid).
    pub stages_written: bool,
    /// Values that may be secrets (a literal api key): (first line, last line, column,
    /// width). Never shown in a diagnostic's source line.
    secrets: Vec<(u32, u32, u32, u32)>,
    /// Texts under `api_keys:` that could be key values: never in a message or hint.
    secret_texts: Vec<String>,
}

impl<'a> Cx<'a> {
    pub fn new(src: &'a Source<'a>, root: &Node) -> Cx<'a> {
        let mut lens = HashMap::new();
        index_lens(root, &mut lens);
        Cx {
            src,
            diags: Vec::new(),
            kind: ApiKind::Rest,
            lens,
            star_origin: None,
            stages_written: false,
            secrets: Vec::new(),
            secret_texts: super::secrets::value_texts(root),
        }
    }

    /// Mark a value as possibly secret: its text is masked in every diagnostic.
    pub fn secret(&mut self, n: &Node) {
        let lines = n.raw.matches('\n').count() as u32;
        self.secrets
            .push((n.pos.line, n.pos.line + lines, n.pos.col, n.len));
    }

    /// The diagnostics, with secret values masked in their source lines.
    pub fn take_diagnostics(&mut self) -> Vec<Diagnostic> {
        let mut out = std::mem::take(&mut self.diags);
        for d in &mut out {
            d.message = super::secrets::mask_text(&d.message, &self.secret_texts);
            d.hint = d
                .hint
                .as_deref()
                .map(|h| super::secrets::mask_text(h, &self.secret_texts));
            for &(first, last, col, len) in &self.secrets {
                if d.line == first && first == last {
                    d.source_line = d
                        .source_line
                        .chars()
                        .enumerate()
                        .map(|(i, c)| {
                            let i = i as u32 + 1;
                            if i >= col && i < col + len {
                                '*'
                            } else {
                                c
                            }
                        })
                        .collect();
                } else if d.line >= first && d.line <= last {
                    d.source_line = "***".into();
                }
            }
        }
        out
    }

    pub fn push(
        &mut self,
        sev: Severity,
        pos: Pos,
        len: u32,
        msg: impl Into<String>,
        hint: Option<String>,
    ) {
        let d = self.src.diag(sev, pos, len, msg, hint);
        self.diags.push(d);
    }

    pub fn err(&mut self, n: &Node, msg: impl Into<String>, hint: Option<String>) {
        self.push(Severity::Error, n.pos, n.len, msg, hint);
    }

    pub fn warn(&mut self, n: &Node, msg: impl Into<String>, hint: Option<String>) {
        self.push(Severity::Warning, n.pos, n.len, msg, hint);
    }

    /// Width of the token at `pos` (1 when unknown).
    pub fn len_at(&self, pos: Pos) -> u32 {
        self.lens.get(&pos).copied().unwrap_or(1)
    }

    pub fn err_at(&mut self, pos: Pos, msg: impl Into<String>, hint: Option<String>) {
        let len = self.len_at(pos);
        self.push(Severity::Error, pos, len, msg, hint);
    }

    pub fn warn_at(&mut self, pos: Pos, msg: impl Into<String>, hint: Option<String>) {
        let len = self.len_at(pos);
        self.push(Severity::Warning, pos, len, msg, hint);
    }

    pub fn kind_name(&self) -> &'static str {
        kind_name(self.kind)
    }

    pub fn is_rest(&self) -> bool {
        self.kind == ApiKind::Rest
    }
}

pub(crate) fn kind_name(kind: ApiKind) -> &'static str {
    match kind {
        ApiKind::Rest => "rest",
        ApiKind::Http => "http",
    }
}

fn index_lens(n: &Node, lens: &mut HashMap<Pos, u32>) {
    match &n.value {
        Value::Seq(items) => {
            lens.entry(n.pos).or_insert(n.len);
            for i in items {
                index_lens(i, lens);
            }
        }
        Value::Map(entries) => {
            lens.entry(n.pos).or_insert(n.len);
            for (k, v) in entries {
                index_lens(k, lens);
                index_lens(v, lens);
            }
        }
        // Scalars win over a container starting at the same place (a block mapping starts
        // at its first key).
        _ => {
            lens.insert(n.pos, n.len);
        }
    }
}

fn found(n: &Node) -> String {
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

// ---------------------------------------------------------------- formats

// Identifiers and ARNs are read by one parser, in `spec::arn`.
pub(crate) use super::arn::{
    is_firehose_arn, is_function_name, is_log_group_arn, is_qualifier, is_role_arn,
    is_user_pool_arn, parse_lambda_arn,
};

/// An absolute `http://` or `https://` URL with a host (stage variables allowed).
pub(crate) fn is_http_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(r) => {
            let host = r.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

/// An environment variable name that is shaped like an API key value: as long as the
/// shortest value API Gateway accepts, and either without `_` or in mixed case (AWS
/// generates values of 40 mixed-case letters and digits).
fn looks_like_key_value(s: &str) -> bool {
    let mixed =
        s.chars().any(|c| c.is_ascii_lowercase()) && s.chars().any(|c| c.is_ascii_uppercase());
    s.chars().count() >= super::secrets::VALUE_LIKE_LEN && (!s.contains('_') || mixed)
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Stage name: `[A-Za-z0-9_-]{1,128}`.
pub(crate) fn is_stage_name(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

// ---------------------------------------------------------------- the spec

pub(crate) const TOP_KEYS: &[&str] = &[
    "version",
    "api",
    "functions",
    "authorizers",
    "default_auth",
    "cors",
    "routes",
    "stages",
    "api_keys",
    "usage_plans",
];

/// Keys of `functions.NAME` when written as a mapping.
pub(crate) const FUNCTION_KEYS: &[&str] = &["name", "arn", "alias"];
pub(crate) const THROTTLE_KEYS: &[&str] = &["rate", "burst"];
pub(crate) const ACCESS_LOG_KEYS: &[&str] = &["destination", "format"];
pub(crate) const API_KEY_KEYS: &[&str] = &["description", "enabled", "value_from_env", "id"];
pub(crate) const USAGE_PLAN_KEYS: &[&str] = &[
    "description",
    "throttle",
    "quota",
    "stages",
    "keys",
    "method_throttle",
];
pub(crate) const QUOTA_KEYS: &[&str] = &["limit", "period", "offset"];
/// Values of the fixed-choice keys (matched case-insensitively).
pub(crate) const API_KINDS: &[&str] = &["rest", "http"];
pub(crate) const ENDPOINT_TYPES: &[&str] = &["REGIONAL", "EDGE", "PRIVATE"];
pub(crate) const PAYLOAD_FORMAT_VERSIONS: &[&str] = &["2.0", "1.0"];
pub(crate) const API_KEY_SOURCES: &[&str] = &["HEADER", "AUTHORIZER"];
pub(crate) const LOG_LEVELS: &[&str] = &["OFF", "ERROR", "INFO"];
pub(crate) const QUOTA_PERIODS: &[&str] = &["DAY", "WEEK", "MONTH"];

/// Read a whole spec. Returns a model even when there were errors (parts that could not be
/// read are left out) so whole-spec checks can still run; the caller decides what to expose.
pub(crate) fn read_spec(cx: &mut Cx, root: &Node) -> Option<Spec> {
    let Value::Map(_) = &root.value else {
        if root.value == Value::Null {
            cx.push(
                Severity::Error,
                Pos::default(),
                0,
                "spec file is empty",
                Some("a spec starts with `api: {name: my-api}` and a list of `routes:`".into()),
            );
        } else {
            cx.err(
                root,
                format!(
                    "a spec must be a mapping at the top level, found {}",
                    found(root)
                ),
                Some("a spec starts with `api: {name: my-api}` and a list of `routes:`".into()),
            );
        }
        return None;
    };
    // `x-...` keys are free for the user, e.g. to hold YAML anchors merged into routes.
    let mut m = MapReader::open(cx, root, "the spec", TOP_KEYS)?.ignore_prefix("x-");

    if let Some(v) = m.get("version") {
        match &v.value {
            Value::Int(1) => {}
            Value::Int(_) | Value::Float(_) => cx.err(
                v,
                format!("unsupported spec version `{}`", v.raw),
                Some("this gwctl reads `version: 1`".into()),
            ),
            _ => cx.err(
                v,
                format!("`version` must be an integer, found {}", found(v)),
                Some("write `version: 1`".into()),
            ),
        }
    }

    let api = match m.req(cx, "api") {
        Some(n) => read_api(cx, n),
        None => None,
    };
    let api = api.unwrap_or_else(|| ApiDef {
        name: At::new(String::new(), Pos::default()),
        description: None,
        kind: cx.kind,
        endpoint: EndpointType::Regional,
        binary_media_types: None,
        tags: BTreeMap::new(),
        disable_execute_api_endpoint: None,
        payload_format_version: None,
        api_key_source: None,
    });

    let mut names = Names::default();
    // Collect every defined name first so references resolve regardless of order, and a
    // definition with a problem in its body does not also make each use "unknown".
    for (section, out) in [
        ("functions", &mut names.functions),
        ("stages", &mut names.stages),
        ("api_keys", &mut names.api_keys),
    ] {
        if let Some(Value::Map(es)) = m.entries_of(section) {
            out.extend(es.iter().map(|(k, _)| k.key_text()));
        }
    }
    if let Some(Value::Map(es)) = m.entries_of("authorizers") {
        for (k, v) in es {
            let ty = match &v.value {
                Value::Map(fields) => fields
                    .iter()
                    .find(|(fk, _)| fk.key_text() == "type")
                    .and_then(|(_, tv)| tv.as_text())
                    .and_then(|t| {
                        AUTHORIZER_TYPES
                            .iter()
                            .find(|o| o.eq_ignore_ascii_case(&t))
                            .copied()
                    }),
                _ => None,
            };
            names.authorizers.push((k.key_text(), ty));
        }
    }

    let functions = m
        .get("functions")
        .map(|n| read_functions(cx, n))
        .unwrap_or_default();
    let authorizers = m
        .get("authorizers")
        .map(|n| read_authorizers(cx, n, &names))
        .unwrap_or_default();
    let default_auth = m
        .get("default_auth")
        .and_then(|n| auth_ref(cx, n, "default_auth", &names));
    let cors = m.get("cors").and_then(|n| read_cors(cx, n));
    let stages = m
        .get("stages")
        .map(|n| {
            // Stages were written, even if none could be read (a null or invalid stage):
            // then the errors say so, and "no `stages`" would be wrong.
            cx.stages_written = match &n.value {
                Value::Null => false,
                Value::Map(es) => !es.is_empty(),
                _ => true,
            };
            read_stages(cx, n)
        })
        .unwrap_or_default();
    let api_keys = m
        .only(cx, "api_keys", ApiKind::Rest)
        .map(|n| read_api_keys(cx, n))
        .unwrap_or_default();
    let routes = match m.req(cx, "routes") {
        Some(n) => super::route::read_routes(cx, n, &names, default_auth.as_ref()),
        None => Vec::new(),
    };
    let usage_plans = m
        .only(cx, "usage_plans", ApiKind::Rest)
        .map(|n| read_usage_plans(cx, n, &names, &routes))
        .unwrap_or_default();
    m.finish(cx);

    Some(Spec {
        file: cx.src.file.to_path_buf(),
        api,
        functions,
        authorizers,
        default_auth,
        cors,
        routes,
        stages,
        api_keys,
        usage_plans,
    })
}

impl<'n> MapReader<'n> {
    /// The value of `key` without marking it used (for a first pass over names).
    fn entries_of(&self, key: &str) -> Option<&'n Value> {
        self.index(key).map(|i| &self.entries[i].1.value)
    }
}

// ---------------------------------------------------------------- api

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
];

fn read_api(cx: &mut Cx, n: &Node) -> Option<ApiDef> {
    let mut m = MapReader::open(cx, n, "`api`", API_KEYS)?;
    let kind = match m.get("kind") {
        Some(k) => match choice(cx, k, "kind", API_KINDS) {
            Some("http") => ApiKind::Http,
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
    let endpoint = match m.only(cx, "endpoint", ApiKind::Rest) {
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
            let limit = super::limits::API_TAGS;
            super::limits::count(cx, t, es.len(), super::limits::GWCTL_API_TAGS, limit);
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
    })
}

// ---------------------------------------------------------------- functions

fn read_functions(cx: &mut Cx, n: &Node) -> Vec<FunctionDef> {
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

// ---------------------------------------------------------------- authorizers

pub(crate) const AUTHORIZER_TYPES: &[&str] = &["token", "request", "cognito", "jwt"];
pub(crate) const ALL_AUTHORIZER_KEYS: &[&str] = &[
    "type",
    "function",
    "identity_source",
    "identity_sources",
    "validation_expression",
    "ttl",
    "payload_format_version",
    "simple_responses",
    "user_pool_arns",
    "issuer",
    "audience",
];

fn read_authorizers(cx: &mut Cx, n: &Node, names: &Names) -> Vec<AuthorizerDef> {
    let Some(es) = entries(cx, n, "authorizers") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in es {
        let name = At::new(k.key_text(), k.pos);
        if matches!(
            name.value.as_str(),
            "none" | "iam" | "NONE" | "IAM" | "AWS_IAM"
        ) {
            cx.err(
                k,
                format!("`{}` is reserved and cannot name an authorizer", name.value),
                Some("`auth: none` and `auth: iam` have fixed meanings; pick another name".into()),
            );
            continue;
        }
        if let Some(kind) = read_authorizer(cx, &name.value, v, names) {
            out.push(AuthorizerDef { name, kind });
        }
    }
    out
}

fn identity_source_ok(kind: ApiKind, s: &str, header_only: bool) -> bool {
    let prefixes: &[&str] = match (kind, header_only) {
        (ApiKind::Rest, true) => &["method.request.header."],
        (ApiKind::Rest, false) => &[
            "method.request.header.",
            "method.request.querystring.",
            "method.request.multivalueheader.",
            "method.request.multivaluequerystring.",
            "stageVariables.",
            "context.",
        ],
        (ApiKind::Http, _) => &[
            "$request.header.",
            "$request.querystring.",
            "$context.",
            "$stageVariables.",
        ],
    };
    prefixes
        .iter()
        .any(|p| s.strip_prefix(p).is_some_and(|rest| !rest.is_empty()))
}

fn identity_hint(kind: ApiKind, header_only: bool) -> String {
    match (kind, header_only) {
        (ApiKind::Rest, true) => "write `method.request.header.NAME`".into(),
        (ApiKind::Rest, false) => "write `method.request.header.NAME`, `method.request.querystring.NAME`, `stageVariables.NAME` or `context.NAME`".into(),
        (ApiKind::Http, _) => "write `$request.header.NAME`, `$request.querystring.NAME`, `$context.NAME` or `$stageVariables.NAME`".into(),
    }
}

fn read_authorizer(cx: &mut Cx, name: &str, v: &Node, names: &Names) -> Option<AuthorizerKind> {
    let what = format!("authorizer `{name}`");
    // Read `type` first: it decides which keys are allowed.
    let ty = {
        let mut peek = MapReader::open(cx, v, &what, &[])?;
        let t = peek.req(cx, "type");
        t.and_then(|t| choice(cx, t, "type", AUTHORIZER_TYPES).map(|c| (c, t)))
    };
    let (ty, ty_node) = ty?;
    let (allowed, only): (&'static [&'static str], Option<ApiKind>) = match ty {
        "token" => (
            &[
                "type",
                "function",
                "identity_source",
                "validation_expression",
                "ttl",
            ],
            Some(ApiKind::Rest),
        ),
        "request" => (
            &[
                "type",
                "function",
                "identity_sources",
                "ttl",
                "payload_format_version",
                "simple_responses",
            ],
            None,
        ),
        "cognito" => (
            &["type", "user_pool_arns", "identity_source"],
            Some(ApiKind::Rest),
        ),
        _ => (
            &["type", "issuer", "audience", "identity_source"],
            Some(ApiKind::Http),
        ),
    };
    let what = format!("`{ty}` authorizer `{name}`");
    let mut m = MapReader::open(cx, v, &what, allowed)?.elsewhere(ALL_AUTHORIZER_KEYS);
    m.get("type");
    if let Some(k) = only {
        if k != cx.kind {
            let hint = match ty {
                "jwt" => "rest apis use a `cognito` authorizer for user pools, or a lambda `token` or `request` authorizer",
                "cognito" => "on http apis use `type: jwt` with issuer `https://cognito-idp.REGION.amazonaws.com/POOL_ID` and the app client id as `audience`",
                _ => "on http apis use a lambda `request` authorizer with `identity_sources: [$request.header.Authorization]`",
            };
            cx.err(
                ty_node,
                format!(
                    "`{ty}` authorizers are only supported on {} apis",
                    kind_name(k)
                ),
                Some(hint.into()),
            );
            m.finish(cx);
            return None;
        }
    }
    let default_ttl = if cx.is_rest() { 300 } else { 0 };
    let ttl = |m: &mut MapReader, cx: &mut Cx| -> u32 {
        m.get("ttl")
            .and_then(|t| int_in(cx, t, "ttl", 0, 3600))
            .map_or(default_ttl, |t| t as u32)
    };
    let function = |m: &mut MapReader, cx: &mut Cx| -> Option<At<String>> {
        let f = m.req(cx, "function")?;
        let t = nonempty(cx, f, "function")?;
        reference(cx, f, &t.value, &names.functions, "function", "functions").then_some(t)
    };
    let kind = cx.kind;
    let result = match ty {
        "token" => {
            let function = function(&mut m, cx);
            let identity_source = match m.get("identity_source") {
                Some(s) => {
                    let t = nonempty(cx, s, "identity_source");
                    match t {
                        Some(t) if identity_source_ok(kind, &t.value, true) => t.value,
                        Some(t) => {
                            cx.err(
                                s,
                                format!(
                                    "invalid identity source `{}` for a token authorizer",
                                    t.value
                                ),
                                Some(identity_hint(kind, true)),
                            );
                            String::new()
                        }
                        None => String::new(),
                    }
                }
                None => "method.request.header.Authorization".into(),
            };
            let validation_expression = m.opt_text(cx, "validation_expression").map(|t| t.value);
            let ttl_seconds = ttl(&mut m, cx);
            function.map(|function| AuthorizerKind::Token {
                function,
                identity_source,
                validation_expression,
                ttl_seconds,
            })
        }
        "request" => {
            let function = function(&mut m, cx);
            let mut identity_sources = Vec::new();
            if let Some(s) = m.get("identity_sources") {
                for t in text_list(cx, s, "identity_sources") {
                    if identity_source_ok(kind, &t.value, false) {
                        identity_sources.push(t.value);
                    } else {
                        cx.err_at(
                            t.pos,
                            format!("invalid identity source `{}`", t.value),
                            Some(identity_hint(kind, false)),
                        );
                    }
                }
            }
            let ttl_seconds = ttl(&mut m, cx);
            if ttl_seconds > 0 && identity_sources.is_empty() && !m.has("identity_sources") {
                cx.err(
                    v,
                    format!("{what} with caching (`ttl` > 0) needs `identity_sources`"),
                    Some("list the request parts that identify a caller, or set `ttl: 0`".into()),
                );
            }
            let payload_format_version = m
                .only(cx, "payload_format_version", ApiKind::Http)
                .and_then(|p| choice(cx, p, "payload_format_version", PAYLOAD_FORMAT_VERSIONS))
                .map(str::to_string);
            let simple_node = m.only(cx, "simple_responses", ApiKind::Http);
            let simple_responses = simple_node
                .and_then(|s| boolean(cx, s, "simple_responses"))
                .unwrap_or(false);
            if simple_responses && payload_format_version.as_deref() == Some("1.0") {
                cx.err(
                    simple_node.unwrap_or(v),
                    "`simple_responses` needs `payload_format_version: \"2.0\"`",
                    None,
                );
            }
            function.map(|function| AuthorizerKind::Request {
                function,
                identity_sources,
                ttl_seconds,
                payload_format_version: if kind == ApiKind::Http {
                    Some(payload_format_version.unwrap_or_else(|| "2.0".into()))
                } else {
                    None
                },
                simple_responses,
            })
        }
        "cognito" => {
            let mut user_pool_arns = Vec::new();
            if let Some(a) = m.req(cx, "user_pool_arns") {
                let list = text_list(cx, a, "user_pool_arns");
                if list.is_empty() && matches!(a.value, Value::Seq(_)) {
                    cx.err(a, "`user_pool_arns` must not be empty", None);
                }
                for t in list {
                    if is_user_pool_arn(&t.value) {
                        user_pool_arns.push(t);
                    } else {
                        cx.err_at(
                            t.pos,
                            format!("`{}` is not a cognito user pool arn", t.value),
                            Some(
                                "write `arn:aws:cognito-idp:REGION:ACCOUNT:userpool/REGION_ID`"
                                    .into(),
                            ),
                        );
                    }
                }
            }
            let identity_source = match m.get("identity_source") {
                Some(s) => match nonempty(cx, s, "identity_source") {
                    Some(t) if identity_source_ok(kind, &t.value, true) => t.value,
                    Some(t) => {
                        cx.err(
                            s,
                            format!(
                                "invalid identity source `{}` for a cognito authorizer",
                                t.value
                            ),
                            Some(identity_hint(kind, true)),
                        );
                        String::new()
                    }
                    None => String::new(),
                },
                None => "method.request.header.Authorization".into(),
            };
            (!user_pool_arns.is_empty()).then_some(AuthorizerKind::Cognito {
                user_pool_arns,
                identity_source,
            })
        }
        _ => {
            let issuer = m.req_text(cx, "issuer");
            let issuer = match issuer {
                Some(i) if i.value.starts_with("https://") && is_http_url(&i.value) => Some(i),
                Some(i) => {
                    cx.err_at(
                        i.pos,
                        format!("jwt `issuer` must be an https url, found `{}`", i.value),
                        Some(
                            "for cognito: `https://cognito-idp.REGION.amazonaws.com/POOL_ID`"
                                .into(),
                        ),
                    );
                    None
                }
                None => None,
            };
            let mut audience = Vec::new();
            if let Some(a) = m.req(cx, "audience") {
                if let Value::Seq(items) = &a.value {
                    super::limits::count(cx, a, items.len(), 0, super::limits::JWT_AUDIENCES);
                }
                audience = text_list(cx, a, "audience")
                    .into_iter()
                    .map(|t| t.value)
                    .collect();
                if audience.is_empty() && matches!(a.value, Value::Seq(_)) {
                    cx.err(
                        a,
                        "`audience` must not be empty",
                        Some(
                            "list the app client ids (cognito) or audiences the tokens carry"
                                .into(),
                        ),
                    );
                }
            }
            let identity_source = match m.get("identity_source") {
                Some(s) => match nonempty(cx, s, "identity_source") {
                    Some(t)
                        if t.value.starts_with("$request.header.")
                            || t.value.starts_with("$request.querystring.") =>
                    {
                        t.value
                    }
                    Some(t) => {
                        cx.err(
                            s,
                            format!("invalid identity source `{}` for a jwt authorizer", t.value),
                            Some("write `$request.header.Authorization` or `$request.querystring.NAME`".into()),
                        );
                        String::new()
                    }
                    None => String::new(),
                },
                None => "$request.header.Authorization".into(),
            };
            match issuer {
                Some(issuer) if !audience.is_empty() => Some(AuthorizerKind::Jwt {
                    issuer,
                    audience,
                    identity_source,
                }),
                _ => None,
            }
        }
    };
    m.finish(cx);
    result
}

// ---------------------------------------------------------------- cors

pub(crate) const CORS_KEYS: &[&str] = &[
    "origins",
    "methods",
    "headers",
    "expose_headers",
    "max_age",
    "credentials",
];

pub const DEFAULT_CORS_HEADERS: &[&str] = &[
    "Content-Type",
    "Authorization",
    "X-Amz-Date",
    "X-Api-Key",
    "X-Amz-Security-Token",
];

pub(crate) fn is_header_name(s: &str) -> bool {
    s == "*"
        || (!s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_!#$%&'*+.^`|~".contains(c)))
}

/// Why `o` is not an origin gwctl can write (`*`, or a scheme, a host and an optional port;
/// the characters are limited so that it can go into a quoted API Gateway value and a VTL
/// string literal unchanged).
pub(crate) fn origin_problem(o: &str) -> Option<(String, Option<String>)> {
    if o == "*" {
        return None;
    }
    let Some(rest) = o
        .strip_prefix("https://")
        .or_else(|| o.strip_prefix("http://"))
    else {
        return Some((
            format!("origin `{o}` must start with `https://` or `http://`"),
            Some("an origin is a scheme and a host, e.g. `https://app.example.com`, or `*`".into()),
        ));
    };
    if rest.is_empty() {
        return Some((format!("origin `{o}` has no host"), None));
    }
    if let Some(host) = rest.strip_suffix('/') {
        if !host.contains('/') {
            return Some((
                format!("origin `{o}` must not end with `/`"),
                Some(format!(
                    "browsers send origins without a trailing slash; write `{}`",
                    o.trim_end_matches('/')
                )),
            ));
        }
    }
    if rest.contains(['/', '?', '#']) {
        return Some((
            format!("origin `{o}` must not have a path"),
            Some("an origin is only a scheme, a host and an optional port".into()),
        ));
    }
    if rest.contains('*') {
        return Some((
            format!("wildcard origin `{o}` is not supported"),
            Some("list each origin, or use `*` alone".into()),
        ));
    }
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some((format!("origin `{o}` contains whitespace"), None));
    }
    if let Some(c) = rest
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || ".-:[]".contains(*c)))
    {
        return Some((
            format!("origin `{o}` contains `{c}`, which an origin cannot"),
            Some("an origin is only a scheme, a host and an optional port".into()),
        ));
    }
    None
}

fn read_cors(cx: &mut Cx, n: &Node) -> Option<CorsDef> {
    let mut m = MapReader::open(cx, n, "`cors`", CORS_KEYS)?;
    let mut origins = Vec::new();
    let mut star = None;
    if let Some(o) = m.req(cx, "origins") {
        let list = text_list(cx, o, "origins");
        if list.is_empty() && matches!(o.value, Value::Seq(_)) {
            cx.err(o, "`origins` must not be empty", None);
        }
        for t in &list {
            if let Some((msg, hint)) = origin_problem(&t.value) {
                cx.err_at(t.pos, msg, hint);
            } else {
                if t.value == "*" {
                    star = Some(t.pos);
                }
                origins.push(t.value.clone());
            }
        }
        if let Some(p) = star {
            if list.len() > 1 {
                cx.warn_at(
                    p,
                    "`*` allows every origin, so the other origins are redundant",
                    None,
                );
            }
        }
    }
    let mut methods = Vec::new();
    if let Some(ms) = m.get("methods") {
        for t in text_list(cx, ms, "methods") {
            if t.value == "*" {
                methods.push(t.value);
            } else if let Some(hm) = HttpMethod::parse(&t.value) {
                if hm == HttpMethod::Any {
                    cx.err_at(
                        t.pos,
                        "`ANY` is not a cors method",
                        Some("list the methods, or write `*`".into()),
                    );
                } else {
                    methods.push(hm.as_str().to_string());
                }
            } else {
                unknown_method(cx, t.pos, &t.value);
            }
        }
    }
    let mut star_header: Option<Pos> = None;
    let mut header_list = |m: &mut MapReader, cx: &mut Cx, key: &str| -> Option<Vec<String>> {
        let node = m.get(key)?;
        if key == "headers" && matches!(&node.value, Value::Seq(items) if items.is_empty()) {
            // apply would otherwise send the default headers: an empty list is refused, so
            // what the spec says and what API Gateway serves never differ.
            cx.err(
                node,
                "`cors.headers` must not be empty",
                Some("leave `headers` out for the default headers (Content-Type, Authorization, X-Amz-Date, X-Api-Key, X-Amz-Security-Token), or list the headers your front end sends".into()),
            );
        }
        let mut out = Vec::new();
        for t in text_list(cx, node, key) {
            if t.value == "*" && key == "headers" {
                star_header = Some(t.pos);
            }
            if t.value.contains('\'') {
                cx.err_at(
                    t.pos,
                    format!(
                        "header name `{}` contains `'`, which API Gateway values cannot carry",
                        t.value
                    ),
                    None,
                );
            } else if is_header_name(&t.value) {
                out.push(t.value);
            } else {
                cx.err_at(t.pos, format!("`{}` is not a header name", t.value), None);
            }
        }
        Some(out)
    };
    let headers = header_list(&mut m, cx, "headers")
        .unwrap_or_else(|| DEFAULT_CORS_HEADERS.iter().map(|s| s.to_string()).collect());
    let expose_headers = header_list(&mut m, cx, "expose_headers").unwrap_or_default();
    let max_age = m
        .get("max_age")
        .and_then(|a| int_in(cx, a, "max_age", 0, 86400))
        .map(|a| a as u32);
    let credentials_node = m.get("credentials");
    let credentials = credentials_node
        .and_then(|c| boolean(cx, c, "credentials"))
        .unwrap_or(false);
    if credentials {
        if let Some(p) = star {
            cx.err_at(
                p,
                "`*` origin with `credentials: true` is refused by browsers",
                Some("list the exact origins that may send credentials".into()),
            );
        }
        if let Some(p) = star_header {
            cx.err_at(
                p,
                "`*` in `headers` with `credentials: true` is taken literally by browsers",
                Some(
                    "list the headers your front end sends, e.g. `[Content-Type, Authorization]`"
                        .into(),
                ),
            );
        }
    }
    cx.star_origin = star;
    m.finish(cx);
    Some(CorsDef {
        pos: n.pos,
        origins,
        methods,
        headers,
        expose_headers,
        max_age,
        credentials,
    })
}

pub(crate) const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY",
];

pub(crate) fn unknown_method(cx: &mut Cx, pos: Pos, m: &str) {
    let hint = suggest::hint(&m.to_ascii_uppercase(), METHODS.iter().copied())
        .or_else(|| Some(format!("expected {}", one_of(METHODS))));
    cx.err_at(pos, format!("unknown http method `{m}`"), hint);
}

// ---------------------------------------------------------------- throttle

pub(crate) fn read_throttle(cx: &mut Cx, n: &Node, what: &str) -> Option<ThrottleDef> {
    let mut m = MapReader::open(cx, n, what, THROTTLE_KEYS)?;
    let rate = m.req(cx, "rate").and_then(|r| nonneg_number(cx, r, "rate"));
    let burst = m
        .req(cx, "burst")
        .and_then(|b| int_in(cx, b, "burst", 0, i32::MAX as i64));
    m.finish(cx);
    Some(ThrottleDef {
        rate: rate?,
        burst: burst? as i32,
    })
}

// ---------------------------------------------------------------- stages

pub(crate) const STAGE_KEYS: &[&str] = &[
    "description",
    "variables",
    "logging",
    "data_trace",
    "metrics",
    "throttle",
    "tracing",
    "access_log",
    "auto_deploy",
];

fn read_stages(cx: &mut Cx, n: &Node) -> Vec<StageDef> {
    let Some(es) = entries(cx, n, "stages") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in es {
        let name = At::new(k.key_text(), k.pos);
        if name.value == "$default" {
            if cx.is_rest() {
                cx.err(
                    k,
                    "`$default` stages are only supported on http apis",
                    Some("name rest stages with letters, digits, `-` and `_`, e.g. `prod`".into()),
                );
                continue;
            }
        } else if !is_stage_name(&name.value) {
            cx.err(
                k,
                format!("invalid stage name `{}`", name.value),
                Some(format!(
                    "stage names have 1 to 128 letters, digits, `-` or `_`{}",
                    if cx.is_rest() {
                        ""
                    } else {
                        ", or are `$default`"
                    }
                )),
            );
            continue;
        }
        if let Some(s) = read_stage(cx, name, v) {
            out.push(s);
        }
    }
    out
}

fn read_stage(cx: &mut Cx, name: At<String>, v: &Node) -> Option<StageDef> {
    let what = format!("stage `{}`", name.value);
    let mut m = MapReader::open(cx, v, &what, STAGE_KEYS)?;
    let description = m.opt_text(cx, "description").map(|t| t.value);
    let mut variables = None;
    if let Some(vs) = m.get("variables") {
        if let Value::Map(es) = &vs.value {
            super::limits::count(cx, vs, es.len(), 0, super::limits::STAGE_VARIABLES);
        }
        let variables = variables.get_or_insert_with(BTreeMap::new);
        for (k, val) in text_map(cx, vs, "variables") {
            if !(1..=64).contains(&k.value.len())
                || !k
                    .value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                cx.err_at(
                    k.pos,
                    format!("invalid stage variable name `{}`", k.value),
                    Some("names have 1 to 64 letters, digits or `_`".into()),
                );
                continue;
            }
            let bad = val
                .value
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || "-._~:/?#&=,".contains(*c)));
            if val.value.is_empty() || val.value.len() > 512 || bad.is_some() {
                cx.err_at(
                    val.pos,
                    format!("invalid value for stage variable `{}`", k.value),
                    Some("values have 1 to 512 letters, digits or `-._~:/?#&=,`".into()),
                );
                continue;
            }
            variables.insert(k.value, val.value);
        }
    }
    let logging = m
        .only(cx, "logging", ApiKind::Rest)
        .and_then(|l| choice(cx, l, "logging", LOG_LEVELS))
        .map(|l| match l {
            "INFO" => LogLevel::Info,
            "ERROR" => LogLevel::Error,
            _ => LogLevel::Off,
        });
    let data_trace = m
        .only(cx, "data_trace", ApiKind::Rest)
        .and_then(|d| boolean(cx, d, "data_trace"));
    let metrics = m.opt_bool(cx, "metrics");
    let throttle = m
        .get("throttle")
        .and_then(|t| read_throttle(cx, t, "`throttle`"));
    let tracing = m
        .only(cx, "tracing", ApiKind::Rest)
        .and_then(|t| boolean(cx, t, "tracing"));
    let access_log = m.get("access_log").and_then(|a| read_access_log(cx, a));
    let auto_deploy = m
        .only(cx, "auto_deploy", ApiKind::Http)
        .and_then(|a| boolean(cx, a, "auto_deploy"));
    m.finish(cx);
    Some(StageDef {
        name,
        description,
        variables,
        logging,
        data_trace,
        metrics,
        throttle,
        tracing,
        access_log,
        auto_deploy,
    })
}

fn read_access_log(cx: &mut Cx, n: &Node) -> Option<AccessLogDef> {
    let mut m = MapReader::open(cx, n, "`access_log`", ACCESS_LOG_KEYS)?;
    let destination = m.req_text(cx, "destination");
    let destination = match destination {
        Some(d) if is_log_group_arn(&d.value) => Some(d),
        Some(d) if cx.is_rest() && is_firehose_arn(&d.value) => {
            if !d
                .value
                .split_once("deliverystream/")
                .is_some_and(|(_, s)| s.starts_with("amazon-apigateway-"))
            {
                cx.err_at(
                    d.pos,
                    "firehose streams for access logs must be named `amazon-apigateway-...`",
                    None,
                );
                None
            } else {
                Some(d)
            }
        }
        Some(d) => {
            cx.err_at(
                d.pos,
                format!("`{}` is not a cloudwatch logs log group arn", d.value),
                Some(format!(
                    "write `arn:aws:logs:REGION:ACCOUNT:log-group:NAME`{}",
                    if cx.is_rest() {
                        " (or a firehose stream arn)"
                    } else {
                        ""
                    }
                )),
            );
            None
        }
        None => None,
    };
    let format = m.req_text(cx, "format");
    if let Some(f) = &format {
        super::limits::access_log_format(cx, f);
        let ok = f.value.contains("$context.requestId")
            || (cx.is_rest() && f.value.contains("$context.extendedRequestId"));
        if !ok {
            cx.err_at(
                f.pos,
                "access log `format` must include `$context.requestId`",
                Some("API Gateway refuses formats without the request id".into()),
            );
        }
    }
    m.finish(cx);
    Some(AccessLogDef {
        destination_arn: destination?,
        format: format?.value,
    })
}

// ---------------------------------------------------------------- api keys

fn read_api_keys(cx: &mut Cx, n: &Node) -> Vec<ApiKeyDef> {
    let Some(es) = entries(cx, n, "api_keys") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in es {
        let name = At::new(k.key_text(), k.pos);
        let what = format!("api key `{}`", name.value);
        let Some(mut m) = MapReader::open(cx, v, &what, API_KEY_KEYS) else {
            continue;
        };
        if let Some(value) = m.take("value") {
            cx.secret(value);
            let key = m.key("value").unwrap_or(v);
            cx.err(
                key,
                "api key values must not be written in a spec",
                Some("put the value in an environment variable and write `value_from_env: NAME`, or leave it out and AWS generates one".into()),
            );
        }
        let description = m.opt_text(cx, "description").map(|t| t.value);
        let enabled = m.opt_bool(cx, "enabled");
        let env_node = m.get("value_from_env");
        let value_from_env = env_node.and_then(|e| text(cx, e, "value_from_env"));
        if let (Some(e), Some(node)) = (&value_from_env, env_node) {
            if !is_ident(&e.value) {
                // Possibly a key value pasted in the wrong place: do not echo it.
                cx.secret(node);
                cx.err_at(
                    e.pos,
                    "`value_from_env` must be the name of an environment variable",
                    Some(
                        "names have letters, digits and `_`, and do not start with a digit".into(),
                    ),
                );
            } else if looks_like_key_value(&e.value) {
                // A valid identifier, but shaped like a key value (AWS generates 40
                // letters and digits): refused, so plan and apply never print it.
                cx.secret(node);
                cx.err_at(
                    e.pos,
                    "`value_from_env` looks like a key value, not the name of an environment variable",
                    Some(format!(
                        "write the variable's name (names of {} characters or more need a `_` and one letter case), and set the value in that variable",
                        super::secrets::VALUE_LIKE_LEN
                    )),
                );
            }
        }
        let id = m.opt_text(cx, "id");
        if let Some(i) = &id {
            if i.value.is_empty()
                || !i.value.chars().all(|c| c.is_ascii_alphanumeric())
                || i.value.len() >= super::secrets::VALUE_LIKE_LEN
            {
                // Not echoed: a key value pasted here must not be printed.
                cx.err_at(
                    i.pos,
                    "`id` is not an api key id",
                    Some("an api key id is the short id AWS shows for the key (letters and digits, e.g. `a1b2c3d4e5`)".into()),
                );
            }
            if value_from_env.is_some() {
                cx.err_at(
                    i.pos,
                    "`id` refers to an existing key and `value_from_env` sets a new key's value; give one of them",
                    None,
                );
            }
        }
        m.finish(cx);
        out.push(ApiKeyDef {
            name,
            description,
            enabled,
            value_from_env: value_from_env.map(|e| e.value),
            existing_id: id.map(|i| i.value),
        });
    }
    out
}

// ---------------------------------------------------------------- usage plans

fn read_usage_plans(
    cx: &mut Cx,
    n: &Node,
    names: &Names,
    routes: &[RouteDef],
) -> Vec<UsagePlanDef> {
    let Some(es) = entries(cx, n, "usage_plans") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in es {
        let name = At::new(k.key_text(), k.pos);
        let what = format!("usage plan `{}`", name.value);
        let Some(mut m) = MapReader::open(cx, v, &what, USAGE_PLAN_KEYS) else {
            continue;
        };
        let description = m.opt_text(cx, "description").map(|t| t.value);
        let throttle = m
            .get("throttle")
            .and_then(|t| read_throttle(cx, t, "`throttle`"));
        let quota = m.get("quota").and_then(|q| read_quota(cx, q));
        let mut stages = Vec::new();
        if let Some(s) = m.req(cx, "stages") {
            let items = list(cx, s, "stages").unwrap_or(&[]);
            if items.is_empty() && matches!(s.value, Value::Seq(_)) {
                cx.err(
                    s,
                    "`stages` must not be empty",
                    Some("list the stages this plan covers".into()),
                );
            }
            for i in items {
                if let Some(t) = nonempty(cx, i, "stages") {
                    if reference(cx, i, &t.value, &names.stages, "stage", "stages") {
                        stages.push(t);
                    }
                }
            }
        }
        let mut keys = Vec::new();
        if let Some(s) = m.get("keys") {
            for i in list(cx, s, "keys").unwrap_or(&[]) {
                if let Some(t) = nonempty(cx, i, "keys") {
                    if reference(cx, i, &t.value, &names.api_keys, "api key", "api_keys") {
                        keys.push(t);
                    }
                }
            }
        }
        let mut method_throttle = Vec::new();
        if let Some(mt) = m.get("method_throttle") {
            for (mk, mv) in entries(cx, mt, "method_throttle").unwrap_or(&[]) {
                let key = mk.key_text();
                let throttle = read_throttle(cx, mv, &format!("throttle for `{key}`"));
                let Some((method, path)) = key.trim().split_once(' ') else {
                    cx.err(
                        mk,
                        format!("`{key}` is not a route"),
                        Some("write `METHOD /path`, e.g. `GET /tasks`".into()),
                    );
                    continue;
                };
                let path = path.trim();
                let Some(hm) = HttpMethod::parse(method) else {
                    unknown_method(cx, mk.pos, method);
                    continue;
                };
                let exists = routes.iter().any(|r| {
                    r.path.value == path
                        && (r.method.value == hm || r.method.value == HttpMethod::Any)
                });
                if !exists {
                    let keys: Vec<String> = routes
                        .iter()
                        .map(|r| format!("{} {}", r.method.value.as_str(), r.path.value))
                        .collect();
                    let hint = suggest::hint(
                        &format!("{} {path}", hm.as_str()),
                        keys.iter().map(String::as_str),
                    );
                    cx.err(
                        mk,
                        format!("no route `{} {path}` in this spec", hm.as_str()),
                        hint,
                    );
                    continue;
                }
                if let Some(t) = throttle {
                    method_throttle.push((At::new(path.to_string(), mk.pos), hm, t));
                }
            }
        }
        m.finish(cx);
        out.push(UsagePlanDef {
            name,
            description,
            throttle,
            quota,
            stages,
            method_throttle,
            keys,
        });
    }
    out
}

fn read_quota(cx: &mut Cx, n: &Node) -> Option<QuotaDef> {
    let mut m = MapReader::open(cx, n, "`quota`", QUOTA_KEYS)?;
    let limit = m
        .req(cx, "limit")
        .and_then(|l| int_in(cx, l, "limit", 1, i32::MAX as i64));
    let period = m
        .req(cx, "period")
        .and_then(|p| choice(cx, p, "period", QUOTA_PERIODS));
    let offset = match (m.get("offset"), period) {
        (Some(o), Some(p)) => {
            let max = match p {
                "DAY" => 0,
                "WEEK" => 6,
                _ => 27,
            };
            int_in(cx, o, "offset", 0, max)
        }
        (Some(o), None) => int_in(cx, o, "offset", 0, 27),
        (None, _) => Some(0),
    };
    m.finish(cx);
    Some(QuotaDef {
        limit: limit? as i32,
        period: period?.to_string(),
        offset: offset? as i32,
    })
}
