//! Writing spec files: a small YAML document model ([`Value`], [`Map`]) with comments, and a
//! deterministic renderer (`gwctl export`).
//!
//! The text is meant for people first: block style at the top, short mappings and lists of
//! scalars inline (`{path: /todos, method: GET, function: list}`) when they fit on a line,
//! multi-line strings as literal blocks (`|`). Every string is written so that it reads back
//! exactly as it was: plain only when that is unambiguous, else single-quoted, else
//! double-quoted with escapes (control and bidi characters always escaped, so the file never
//! carries them raw and is safe to print on a terminal). No I/O.

/// A YAML value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Bool(bool),
    Int(i64),
    Float(f64),
    Seq(Vec<Value>),
    Map(Map),
}

/// A mapping in insertion order, each entry with an optional comment written above it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Map {
    pub entries: Vec<Entry>,
    /// Never write this mapping inline (sections of the file).
    pub block: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub value: Value,
    /// Comment lines written above the entry (without `# `).
    pub comment: Vec<String>,
}

/// Widest inline mapping or list, in characters (indentation included).
const WIDTH: usize = 100;

impl Map {
    pub fn new() -> Map {
        Map::default()
    }

    /// A mapping always written in block style.
    pub fn block() -> Map {
        Map {
            entries: Vec::new(),
            block: true,
        }
    }

    pub fn push(&mut self, key: impl Into<String>, value: impl Into<Value>) -> &mut Map {
        self.entries.push(Entry {
            key: key.into(),
            value: value.into(),
            comment: Vec::new(),
        });
        self
    }

    /// Add an entry only when `value` is `Some`.
    pub fn opt<V: Into<Value>>(&mut self, key: &str, value: Option<V>) -> &mut Map {
        if let Some(v) = value {
            self.push(key, v);
        }
        self
    }

    /// Add an entry with comment lines above it.
    pub fn commented(
        &mut self,
        key: impl Into<String>,
        value: impl Into<Value>,
        comment: Vec<String>,
    ) -> &mut Map {
        self.entries.push(Entry {
            key: key.into(),
            value: value.into(),
            comment,
        });
        self
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s)
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::Str(s.clone())
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}
impl From<i32> for Value {
    fn from(n: i32) -> Value {
        Value::Int(n.into())
    }
}
impl From<u32> for Value {
    fn from(n: u32) -> Value {
        Value::Int(n.into())
    }
}
impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::Float(n)
    }
}
impl From<Map> for Value {
    fn from(m: Map) -> Value {
        Value::Map(m)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Value {
        Value::Seq(v.into_iter().map(Into::into).collect())
    }
}

/// Render a document: `header` as comment lines, then the top-level mapping (a blank line
/// between its entries).
pub fn render(header: &[String], doc: &Map) -> String {
    let mut out = String::new();
    for line in header {
        comment_line(&mut out, 0, line);
    }
    for (i, e) in doc.entries.iter().enumerate() {
        if i > 0 || !header.is_empty() {
            out.push('\n');
        }
        entry(&mut out, 0, e);
    }
    out
}

fn comment_line(out: &mut String, indent: usize, text: &str) {
    for line in text.split('\n') {
        push_indent(out, indent);
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            out.push_str("# ");
            out.push_str(&crate::term::escape(line));
            out.push('\n');
        }
    }
}

fn push_indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn entry(out: &mut String, indent: usize, e: &Entry) {
    for c in &e.comment {
        comment_line(out, indent, c);
    }
    push_indent(out, indent);
    out.push_str(&key(&e.key));
    out.push(':');
    value_after(
        out,
        indent,
        &e.value,
        indent + key(&e.key).chars().count() + 2,
    );
}

/// A value after `key:` or `- ` (the cursor is at `col`): inline when it fits, else on the
/// following lines at `indent + 2`.
fn value_after(out: &mut String, indent: usize, v: &Value, col: usize) {
    if let Some(s) = inline(v) {
        if col + s.chars().count() <= WIDTH || !is_container(v) {
            out.push(' ');
            out.push_str(&s);
            out.push('\n');
            return;
        }
    }
    match v {
        Value::Str(s) => {
            // A multi-line string: a literal block (inline() refused it).
            let (indicator, body) = literal(s).expect("inline() refuses only literal strings");
            out.push(' ');
            out.push_str(indicator);
            out.push('\n');
            for line in body.split('\n') {
                if !line.is_empty() {
                    push_indent(out, indent + 2);
                    out.push_str(line);
                }
                out.push('\n');
            }
        }
        Value::Map(m) => {
            out.push('\n');
            for e in &m.entries {
                entry(out, indent + 2, e);
            }
        }
        Value::Seq(items) => {
            out.push('\n');
            for item in items {
                seq_item(out, indent + 2, item);
            }
        }
        _ => unreachable!("scalars are always inline"),
    }
}

fn seq_item(out: &mut String, indent: usize, v: &Value) {
    push_indent(out, indent);
    out.push('-');
    if let (Value::Map(m), None) = (v, inline(v).filter(|s| indent + 2 + s.len() <= WIDTH)) {
        // A block mapping as a list item: its first entry on the dash's line.
        for (i, e) in m.entries.iter().enumerate() {
            if i == 0 {
                out.push(' ');
                let mut first = String::new();
                entry(&mut first, indent + 2, e);
                // The entry was written indented; the dash line already holds the indent.
                out.push_str(first.trim_start_matches(' '));
            } else {
                entry(out, indent + 2, e);
            }
        }
        return;
    }
    value_after(out, indent, v, indent + 2);
}

fn is_container(v: &Value) -> bool {
    matches!(v, Value::Map(_) | Value::Seq(_))
}

/// The one-line form of a value, when it has one (scalars always, but a string only when it
/// has no line break a literal block would show better; containers when every part has one).
fn inline(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => {
            if s.contains('\n') && literal(s).is_some() {
                None
            } else {
                Some(scalar(s, false))
            }
        }
        Value::Bool(b) => Some(b.to_string()),
        Value::Int(n) => Some(n.to_string()),
        Value::Float(f) => Some(float(*f)),
        Value::Seq(items) => {
            // A list of mappings (routes, responses) is a list of lines, one per item.
            if items.iter().any(|i| matches!(i, Value::Map(_))) {
                return None;
            }
            let parts: Option<Vec<String>> = items.iter().map(flow).collect();
            Some(format!("[{}]", parts?.join(", ")))
        }
        Value::Map(m) => {
            if m.entries.is_empty() {
                return Some("{}".into());
            }
            if m.block || m.entries.iter().any(|e| !e.comment.is_empty()) {
                return None;
            }
            flow(v)
        }
    }
}

/// The form of a value inside `{}` or `[]`.
fn flow(v: &Value) -> Option<String> {
    match v {
        // A multi-line string reads better as a literal block: its mapping is not inline.
        Value::Str(s) if s.contains('\n') && literal(s).is_some() => None,
        Value::Str(s) => Some(scalar(s, true)),
        Value::Map(m) => {
            if m.block || m.entries.iter().any(|e| !e.comment.is_empty()) {
                return None;
            }
            let parts: Option<Vec<String>> = m
                .entries
                .iter()
                .map(|e| Some(format!("{}: {}", flow_key(&e.key), flow(&e.value)?)))
                .collect();
            Some(format!("{{{}}}", parts?.join(", ")))
        }
        other => inline(other),
    }
}

fn float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

fn key(k: &str) -> String {
    scalar(k, false)
}

fn flow_key(k: &str) -> String {
    scalar(k, true)
}

/// Whether `s` reads back as the same string when written plain (`in_flow`: inside `{}`/`[]`).
fn plain_ok(s: &str, in_flow: bool) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || matches!(first, '_' | '/' | '$')) {
        return false;
    }
    if s.ends_with(' ') || s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    if in_flow && s.contains(':') {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
    ) {
        return false;
    }
    s.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(c, '_' | '.' | '/' | '-' | '$' | '@' | '+' | ':' | ' ')
    })
}

/// A string as a YAML scalar on one line.
fn scalar(s: &str, in_flow: bool) -> String {
    if plain_ok(s, in_flow) {
        return s.to_string();
    }
    let needs_escape = s
        .chars()
        .any(|c| crate::term::is_unsafe(c) || matches!(c, '\n' | '\r' | '\t' | '\u{feff}'));
    if !needs_escape {
        return format!("'{}'", s.replace('\'', "''"));
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if crate::term::is_unsafe(c) || c == '\u{feff}' => {
                if (c as u32) < 0x100 {
                    out.push_str(&format!("\\x{:02x}", c as u32));
                } else {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A multi-line string as a literal block: the indicator (`|`, `|-`) and the lines, when the
/// block reads back as exactly `s` (else `None`: it is written double-quoted).
fn literal(s: &str) -> Option<(&'static str, &str)> {
    if s.chars()
        .any(|c| crate::term::is_unsafe(c) || matches!(c, '\r' | '\u{feff}'))
    {
        return None;
    }
    let (indicator, body) = match s.strip_suffix('\n') {
        Some(b) if b.ends_with('\n') => return None,
        Some(b) => ("|", b),
        None => ("|-", s),
    };
    let mut lines = body.split('\n');
    let first = lines.next().unwrap_or_default();
    // Leading spaces on the first line would set the indentation; whitespace-only lines are
    // read as empty ones.
    if first.is_empty() || first.starts_with([' ', '\t']) {
        return None;
    }
    if body
        .split('\n')
        .any(|l| !l.is_empty() && l.trim().is_empty())
    {
        return None;
    }
    Some((indicator, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_back(text: &str) -> crate::spec::yaml::Value {
        crate::spec::yaml::parse(text).expect("parses").value
    }

    #[test]
    fn every_string_reads_back_as_written() {
        let samples = [
            "plain",
            "/todos/{id}",
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            "true",
            "200",
            "1.0",
            "",
            " lead",
            "trail ",
            "a: b",
            "a #b",
            "*/*",
            "'quoted'",
            "\"dq\"",
            "line\nbreak\n",
            "no newline\nat end",
            "  indented\nfirst",
            "two\n\n",
            "esc\u{1b}[2Jape",
            "bidi\u{202e}x",
            "tab\there",
            "^\\[400:.*",
            "$default",
            "#set($x = 1)\n#if($x)\n  y\n#end\n",
            "ws-only\n   \nline",
            "{\"statusCode\": 200}",
            "yes",
            "-1",
            "@at",
        ];
        for s in samples {
            let mut m = Map::block();
            m.push("k", s);
            let mut inner = Map::new();
            inner.push("k", s);
            m.push("in_flow", inner);
            m.push("list", vec![s]);
            let text = render(&[], &m);
            assert!(
                !text.chars().any(crate::term::is_unsafe),
                "raw control character in {text:?}"
            );
            let v = read_back(&text);
            let crate::spec::yaml::Value::Map(entries) = v else {
                panic!("not a map: {text}")
            };
            let get = |i: usize| entries[i].1.value.clone();
            let str_of = |v: crate::spec::yaml::Value| match v {
                crate::spec::yaml::Value::Str(s) => s,
                other => panic!("{s:?} read back as {other:?} from\n{text}"),
            };
            assert_eq!(str_of(get(0)), s, "{text}");
            let crate::spec::yaml::Value::Map(inner) = get(1) else {
                panic!("{text}")
            };
            assert_eq!(str_of(inner[0].1.value.clone()), s, "{text}");
            let crate::spec::yaml::Value::Seq(items) = get(2) else {
                panic!("{text}")
            };
            assert_eq!(str_of(items[0].value.clone()), s, "{text}");
        }
    }

    #[test]
    fn short_parts_are_inline_long_ones_block_and_comments_stay() {
        let mut route = Map::new();
        route
            .push("path", "/todos")
            .push("method", "GET")
            .push("function", "list");
        let mut doc = Map::block();
        doc.commented("routes", vec![route], vec!["the routes".into()]);
        let mut long = Map::new();
        for i in 0..10 {
            long.push(format!("key{i}"), format!("a-fairly-long-value-{i}"));
        }
        doc.push("long", long);
        let text = render(&["header".into()], &doc);
        assert!(text.starts_with("# header\n"), "{text}");
        assert!(
            text.contains(
                "# the routes\nroutes:\n  - {path: /todos, method: GET, function: list}\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("long:\n  key0: a-fairly-long-value-0\n"),
            "{text}"
        );
    }
}
