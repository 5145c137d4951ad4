//! YAML into a generic tree of nodes that keep their positions.
//!
//! serde-saphyr does the parsing (duplicate keys rejected, budgets on aliases, depth and size);
//! a hand-written visitor collects every value as `Spanned`, so nothing stops at the first
//! unknown key or wrong type: the reader (`read/`) walks this tree and reports them all.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{Location, Spanned};

use super::model::Pos;

/// Deepest nesting accepted. A spec needs fewer than 10 levels.
pub const MAX_DEPTH: usize = 32;
/// Most events aliases may replay in one file (an alias bomb is refused at this point).
pub const MAX_ALIAS_REPLAY: usize = 4_000;
/// Most YAML nodes in one file (a 300-route spec has about 15,000).
pub const MAX_NODES: usize = 100_000;
/// Largest spec file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// A YAML node with the position of its first character and the width of its token.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
    /// Width in characters of the token (scalars: the whole scalar incl. quotes; containers: 1).
    pub len: u32,
    /// Source text of a scalar as written (so `status: 200` or `version: 2.0` can be read as
    /// a string without reformatting).
    pub raw: String,
}

impl Node {
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// A scalar read as text: strings as they are, numbers as written.
    pub fn as_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(_) | Value::Float(_) => Some(self.raw.clone()),
            _ => None,
        }
    }

    /// The node as JSON (mapping keys as written; a float JSON cannot hold as its text).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as Json;
        match &self.value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::Number((*i).into()),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(Json::Number)
                .unwrap_or_else(|| Json::String(self.raw.clone())),
            Value::Str(s) => Json::String(s.clone()),
            Value::Seq(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.key_text(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// The text of a mapping key (any scalar as written).
    pub fn key_text(&self) -> String {
        match &self.value {
            Value::Str(s) => s.clone(),
            _ => self.raw.clone(),
        }
    }
}

/// A YAML document could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
    pub hint: Option<String>,
}

/// Parse one YAML document into a [`Node`] tree.
///
/// Runs on a helper thread with a large stack: deserialization recurses once per nesting
/// level and unoptimized builds use big frames; the depth budget bounds the recursion.
pub fn parse(text: &str) -> Result<Node, YamlError> {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("gwctl-yaml".into())
            .stack_size(64 << 20)
            .spawn_scoped(s, || parse_here(text))
            .expect("spawn the yaml parser thread")
            .join()
            .unwrap_or_else(|_| {
                Err(YamlError {
                    pos: Pos::default(),
                    message: "internal error while reading yaml".into(),
                    hint: None,
                })
            })
    })
}

fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = MAX_DEPTH;
    budget.max_nodes = MAX_NODES;
    budget.max_events = 4 * MAX_NODES;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    let mut opts = serde_saphyr::Options::default();
    opts.budget = Some(budget);
    opts.alias_limits.max_total_replayed_events = MAX_ALIAS_REPLAY;
    opts.alias_limits.max_replay_stack_depth = 16;
    opts.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    // Only `true` / `false` are booleans: `yes`, `no`, `on`, `off` stay strings.
    opts.strict_booleans = true;
    opts.with_snippet = false;
    opts
}

fn parse_here(text: &str) -> Result<Node, YamlError> {
    let raw: Spanned<Raw> = serde_saphyr::from_str_with_options(text, options())
        .map_err(|e| at_the_tab(map_error(&e), text))?;
    Ok(convert(raw, text))
}

/// The scanner reports a tab where it stopped (often the end of the previous value); point
/// at the tab itself, and say so plainly when it indents a line.
fn at_the_tab(e: YamlError, text: &str) -> YamlError {
    if !e.message.contains("tab") {
        return e;
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let from = e.pos.line.max(1) as usize - 1;
    // From the start of the reported line: the scanner may stop just after the tab.
    for (i, line) in lines.iter().enumerate().skip(from) {
        let Some(col) = line.chars().position(|c| c == '\t') else {
            continue;
        };
        let indents = line.chars().take(col).all(|c| c == ' ');
        return YamlError {
            pos: Pos {
                line: i as u32 + 1,
                col: col as u32 + 1,
            },
            message: if indents {
                "invalid yaml: a tab indents this line".into()
            } else {
                e.message
            },
            hint: Some("yaml indents with spaces only; replace the tab with spaces".into()),
        };
    }
    e
}

fn pos_of(loc: &Location) -> Pos {
    Pos {
        line: loc.line().min(u32::MAX as u64) as u32,
        col: loc.column().min(u32::MAX as u64) as u32,
    }
}

fn convert(s: Spanned<Raw>, text: &str) -> Node {
    let pos = pos_of(&s.referenced);
    let span = s.referenced.span();
    let def_span = s.defined.span();
    let raw = match (def_span.byte_offset(), def_span.byte_len()) {
        (Some(off), Some(len)) => text
            .get(off as usize..(off + len) as usize)
            .unwrap_or("")
            .to_string(),
        _ => String::new(),
    };
    let (value, raw) = match s.value {
        Raw::Null => (Value::Null, raw),
        Raw::Bool(b) => (Value::Bool(b), raw),
        Raw::Int(i) => (Value::Int(i), raw),
        Raw::Float(f) => (Value::Float(f), raw),
        Raw::Str(st) => (Value::Str(st), raw),
        Raw::Seq(items) => (
            Value::Seq(items.into_iter().map(|i| convert(i, text)).collect()),
            String::new(),
        ),
        Raw::Map(entries) => (
            Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (convert(k, text), convert(v, text)))
                    .collect(),
            ),
            String::new(),
        ),
    };
    let len = match value {
        Value::Seq(_) | Value::Map(_) => 1,
        _ => span.len().clamp(1, u32::MAX as u64) as u32,
    };
    Node {
        value,
        pos,
        len,
        raw,
    }
}

fn map_error(e: &serde_saphyr::Error) -> YamlError {
    use serde_saphyr::Error as E;
    let pos = e.location().map(|l| pos_of(&l)).unwrap_or_default();
    let mut e = e;
    while let E::AliasError { error, .. } | E::WithSnippet { error, .. } = e {
        e = error;
    }
    let alias_bomb = || YamlError {
        pos,
        message: format!(
            "yaml aliases expand to more than {MAX_ALIAS_REPLAY} nodes (an alias bomb?)"
        ),
        hint: Some("a spec needs few aliases; write the repeated values out".into()),
    };
    let too_deep = || YamlError {
        pos,
        message: format!("yaml is nested more than {MAX_DEPTH} levels deep"),
        hint: Some("a gwctl spec needs fewer than 10 levels; check the indentation".into()),
    };
    match e {
        E::DuplicateMappingKey { key, .. } => YamlError {
            pos,
            message: match key {
                Some(k) => format!("duplicate key `{k}`"),
                None => "duplicate key".into(),
            },
            hint: Some(
                "a key may appear once in a mapping; remove or merge the repeated one".into(),
            ),
        },
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. }
        | E::AliasReplayCounterOverflow { .. } => alias_bomb(),
        E::Budget { breach, .. } => match breach {
            BudgetBreach::Depth { .. } => too_deep(),
            BudgetBreach::Aliases { .. } | BudgetBreach::Anchors { .. } => alias_bomb(),
            BudgetBreach::Documents { .. } => multiple_documents(pos),
            _ => YamlError {
                pos,
                message: format!("spec is too large (more than {MAX_NODES} yaml nodes)"),
                hint: Some("one spec file describes one api; split very large specs".into()),
            },
        },
        E::MultipleDocuments { .. } => multiple_documents(pos),
        E::UnknownAnchor { .. } => YamlError {
            pos,
            message: "alias refers to an undefined anchor".into(),
            hint: Some("define `&name` before using `*name`".into()),
        },
        other => {
            let text = other.to_string();
            if text.contains("recursion limit exceeded") {
                return too_deep();
            }
            let msg = match text.rfind(" at line ") {
                Some(i) => &text[..i],
                None => &text[..],
            };
            YamlError {
                pos,
                message: format!("invalid yaml: {}", lower_first(msg.trim())),
                hint: None,
            }
        }
    }
}

fn multiple_documents(pos: Pos) -> YamlError {
    YamlError {
        pos,
        message: "a spec file holds one yaml document, this one has several".into(),
        hint: Some("remove the `---` separators or split the documents into files".into()),
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if f.is_uppercase() && !c.clone().next().is_some_and(|n| n.is_uppercase()) => {
            f.to_lowercase().chain(c).collect()
        }
        _ => s.to_string(),
    }
}

/// What serde sees: any YAML value, with every child spanned.
enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Raw>, Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Raw, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any yaml value")
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        Raw::deserialize(d)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Raw, E> {
        Ok(Raw::Int(i))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Raw, E> {
        Ok(i64::try_from(u).map_or(Raw::Float(u as f64), Raw::Int))
    }
    fn visit_i128<E>(self, i: i128) -> Result<Raw, E> {
        Ok(i64::try_from(i).map_or(Raw::Float(i as f64), Raw::Int))
    }
    fn visit_u128<E>(self, u: u128) -> Result<Raw, E> {
        Ok(i64::try_from(u).map_or(Raw::Float(u as f64), Raw::Int))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Raw, E> {
        Ok(Raw::Float(f))
    }
    fn visit_str<E>(self, s: &str) -> Result<Raw, E> {
        Ok(Raw::Str(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Raw, E> {
        Ok(Raw::Str(s))
    }
    fn visit_bytes<E>(self, b: &[u8]) -> Result<Raw, E> {
        Ok(Raw::Str(String::from_utf8_lossy(b).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = a.next_element::<Spanned<Raw>>()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(k) = a.next_key::<Spanned<Raw>>()? {
            let v = a.next_value::<Spanned<Raw>>()?;
            entries.push((k, v));
        }
        Ok(Raw::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn map(n: &Node) -> &[(Node, Node)] {
        match &n.value {
            Value::Map(m) => m,
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn keeps_positions_widths_and_raw_text() {
        let n = parse("api: {name: x}\nv: 2.0\nq: \"2.0\"\nyes: on\nlist:\n  - a\n").unwrap();
        let m = map(&n);
        assert_eq!(m[0].0.value, Value::Str("api".into()));
        assert_eq!((m[0].0.pos.line, m[0].0.pos.col, m[0].0.len), (1, 1, 3));
        let api = map(&m[0].1);
        assert_eq!((api[0].1.pos.line, api[0].1.pos.col), (1, 13));
        assert_eq!(m[1].1.value, Value::Float(2.0));
        assert_eq!(m[1].1.as_text().unwrap(), "2.0");
        assert_eq!(m[2].1.value, Value::Str("2.0".into()));
        assert_eq!(m[2].1.len, 5);
        // YAML 1.1 booleans stay strings.
        assert_eq!(m[3].0.value, Value::Str("yes".into()));
        assert_eq!(m[3].1.value, Value::Str("on".into()));
        match &m[4].1.value {
            Value::Seq(items) => assert_eq!((items[0].pos.line, items[0].pos.col), (6, 5)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn duplicate_key_has_position() {
        let e = parse("a: 1\nb:\n  c: 1\n  c: 2\n").unwrap_err();
        assert_eq!(e.message, "duplicate key `c`");
        assert_eq!((e.pos.line, e.pos.col), (4, 3));
    }

    #[test]
    fn syntax_error_has_position() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.message.starts_with("invalid yaml: "), "{}", e.message);
        assert!(e.pos.line >= 1);
    }

    #[test]
    fn empty_document_is_null() {
        assert_eq!(parse("").unwrap().value, Value::Null);
        assert_eq!(parse("# only a comment\n").unwrap().value, Value::Null);
    }

    #[test]
    fn several_documents_are_refused() {
        let e = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert!(e.message.contains("one yaml document"), "{}", e.message);
    }

    fn bomb() -> String {
        let mut s = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let mut prev = 'a';
        for c in 'b'..='j' {
            let refs = vec![format!("*{prev}"); 9].join(",");
            s += &format!("{c}: &{c} [{refs}]\n");
            prev = c;
        }
        s
    }

    // Sanity bounds only (1 s, unoptimized build); the measured times are in docs/spec.md.
    const SANITY: Duration = Duration::from_secs(1);

    #[test]
    fn alias_bomb_is_refused() {
        let t = Instant::now();
        let e = parse(&bomb()).unwrap_err();
        assert!(t.elapsed() < SANITY);
        assert!(e.message.contains("alias bomb"), "{}", e.message);
        assert!(e.pos.line > 0);
    }

    #[test]
    fn deep_nesting_is_refused_in_every_form() {
        for text in [
            "[".repeat(10_000) + &"]".repeat(10_000),
            "{a: ".repeat(10_000) + &"}".repeat(10_000),
            "- ".repeat(10_000) + "x\n",
            (0..100)
                .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
                .collect(),
        ] {
            let t = Instant::now();
            let e = parse(&text).unwrap_err();
            assert!(t.elapsed() < SANITY);
            assert_eq!(e.message, "yaml is nested more than 32 levels deep");
        }
        // 32 levels are fine.
        let ok = "[".repeat(31) + &"]".repeat(31);
        assert!(parse(&ok).is_ok());
    }
}
