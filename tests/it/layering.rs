//! Layering, read from the source: the top-level modules of src/ import each other only
//! downwards, `cli -> engine -> aws -> plan -> state/spec`, with the utilities (`output`,
//! `term`, `cancel`, `exit`) usable from anywhere above them and importing none of
//! cli/engine/verify/aws; nothing below cli imports cli; no circle between top-level modules.
//!
//! The checker reads every `src/**/*.rs`, drops comments, string and character literals,
//! and resolves each `crate::X`, `$crate::X`, `crate::{X, ..}` and `super::` path (through
//! inline `mod name { .. }` blocks) to the top-level module it names. Each violation is
//! reported as `file:line`. A module that is in no layer fails the test too: place it in
//! [`LAYERS`] or [`UTILITIES`] when you add it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, top (0) to bottom. A module imports only modules of a lower layer, or of its
/// own layer when that makes no circle (`state` and `spec` share the bottom one; `verify`,
/// the data-plane check, sits beside `engine`).
const LAYERS: &[(&str, u8)] = &[
    ("cli", 0),
    ("engine", 1),
    ("verify", 1),
    ("aws", 2),
    ("plan", 3),
    ("state", 4),
    ("spec", 4),
];

/// Usable from every layer; they may import each other and the pure layers below `aws`
/// (when that makes no circle), never `cli`, `engine`, `verify` or `aws`.
const UTILITIES: &[&str] = &["output", "term", "cancel", "exit"];

/// Layers a utility may not import.
const ABOVE_UTILITIES: &[&str] = &["cli", "engine", "verify", "aws"];

/// One reference from a file to a top-level module.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Ref {
    file: String,
    line: usize,
    from: String,
    to: String,
    /// The path as written, e.g. `crate::cli` or `super::super::plan`.
    text: String,
    /// The file's module below `from` (`exec` for src/aws/exec/usage.rs; `None` for
    /// src/aws/mod.rs) and the one the path names below `to`, when it names one.
    from_sub: Option<String>,
    to_sub: Option<String>,
    /// Test code: inside an inline `mod tests`, or in a file `tests.rs` / `*_tests.rs`.
    in_test: bool,
}

fn layer(m: &str) -> Option<u8> {
    LAYERS.iter().find(|(n, _)| *n == m).map(|(_, l)| *l)
}

fn is_utility(m: &str) -> bool {
    UTILITIES.contains(&m)
}

/// The module path of a file under src/: `src/aws/exec/usage.rs` -> [aws, exec, usage],
/// `src/plan/mod.rs` -> [plan]; `None` for the crate roots (lib.rs, main.rs, bin/).
fn module_path(file: &str) -> Option<Vec<String>> {
    let rel = file.strip_prefix("src/")?.strip_suffix(".rs")?;
    let mut parts: Vec<String> = rel.split('/').map(str::to_string).collect();
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") || parts[0] == "bin" {
        return None;
    }
    if parts.last().map(String::as_str) == Some("mod") {
        parts.pop();
    }
    Some(parts)
}

/// The source with comments, string literals and character literals replaced by spaces
/// (newlines kept, so line numbers stay right).
fn strip(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                blank(&mut out, b[i]);
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, b[i]);
                    i += 1;
                }
            }
        } else if (c == 'r' || c == 'b')
            && !b.get(i.wrapping_sub(1)).is_some_and(|p| is_ident(*p))
            && raw_string_hashes(&b, i).is_some()
        {
            // r"..", r#".."#, br#".."#
            let (start, hashes) = raw_string_hashes(&b, i).unwrap();
            for &ch in &b[i..start] {
                blank(&mut out, ch);
            }
            i = start;
            loop {
                if i >= b.len() {
                    break;
                }
                if b[i] == '"' && (0..hashes).all(|k| b.get(i + 1 + k) == Some(&'#')) {
                    for _ in 0..=hashes {
                        out.push(' ');
                    }
                    i += 1 + hashes;
                    break;
                }
                blank(&mut out, b[i]);
                i += 1;
            }
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    blank(&mut out, b[i]);
                    i += 1;
                }
                if i < b.len() {
                    blank(&mut out, b[i]);
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{..}', '{') or a lifetime ('a).
            let end = if next == Some('\\') {
                (i + 3..b.len()).find(|&k| b[k] == '\'')
            } else if b.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(e) => {
                    for &ch in &b[i..=e] {
                        blank(&mut out, ch);
                    }
                    i = e + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// At `r"`, `r#"`, `br"`...: (index after the opening quote, number of #).
fn raw_string_hashes(b: &[char], i: usize) -> Option<(usize, usize)> {
    let mut k = i;
    if b[k] == 'b' {
        k += 1;
    }
    if b.get(k) != Some(&'r') {
        return None;
    }
    k += 1;
    let mut hashes = 0;
    while b.get(k) == Some(&'#') {
        hashes += 1;
        k += 1;
    }
    (b.get(k) == Some(&'"')).then_some((k + 1, hashes))
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every reference to a top-level module in one file (`file` relative to the crate root,
/// e.g. `src/plan/x.rs`), including references to its own top-level module.
fn references(file: &str, src: &str) -> Vec<Ref> {
    let Some(base) = module_path(file) else {
        return Vec::new();
    };
    let text = strip(src);
    let c: Vec<char> = text.chars().collect();
    let mut refs = Vec::new();
    let mut line = 1;
    // Inline modules: (name, brace depth inside it).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut pending_mod: Option<String> = None;
    let test_file = base.iter().any(|m| m == "tests" || m.ends_with("_tests"));
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
            continue;
        }
        if ch == '{' {
            depth += 1;
            if let Some(name) = pending_mod.take() {
                inline.push((name, depth));
            }
            i += 1;
            continue;
        }
        if ch == '}' {
            if inline.last().is_some_and(|(_, d)| *d == depth) {
                inline.pop();
            }
            depth = depth.saturating_sub(1);
            i += 1;
            continue;
        }
        if ch == ';' {
            pending_mod = None;
        }
        let starts_word = is_ident(ch) && (i == 0 || !is_ident(c[i - 1]));
        if !starts_word {
            i += 1;
            continue;
        }
        let word_end = (i..c.len()).find(|&k| !is_ident(c[k])).unwrap_or(c.len());
        let word: String = c[i..word_end].iter().collect();
        if word == "mod" {
            let (name, after) = next_ident(&c, word_end);
            if let Some(name) = name {
                pending_mod = Some(name);
                i = after;
                continue;
            }
        }
        if word == "crate" || word == "super" {
            let mut module: Vec<String> = base.clone();
            module.extend(inline.iter().map(|(n, _)| n.clone()));
            let mut k = word_end;
            let mut written = word.clone();
            let mut path: Vec<String> = if word == "crate" {
                Vec::new()
            } else {
                module.pop();
                module.clone()
            };
            if !starts_with(&c, k, "::") {
                i = word_end;
                continue;
            }
            // Further `super::` segments.
            while starts_with(&c, k, "::") {
                let (seg, after) = next_ident(&c, k + 2);
                match seg.as_deref() {
                    Some("super") => {
                        path.pop();
                        written.push_str("::super");
                        k = after;
                    }
                    _ => break,
                }
            }
            // The segments that follow, up to two levels below the crate root (or each item
            // of a `{..}` group).
            let root_len = path.len();
            let mut groups: Vec<String> = Vec::new();
            while path.len() < 2 && starts_with(&c, k, "::") {
                let at = skip_ws(&c, k + 2);
                if c.get(at) == Some(&'{') {
                    groups = group_heads(&c, at);
                    break;
                }
                match next_ident(&c, k + 2) {
                    (Some(seg), after) => {
                        path.push(seg);
                        k = after;
                    }
                    _ => break,
                }
            }
            let mut targets: Vec<(Vec<String>, String)> = Vec::new();
            if groups.is_empty() {
                let text = match (root_len, path.first()) {
                    (0, Some(top)) => format!("{written}::{top}"),
                    _ => written.clone(),
                };
                targets.push((path.clone(), text));
            } else {
                for head in groups {
                    let mut t = path.clone();
                    t.push(head.clone());
                    let text = if path.is_empty() {
                        format!("{written}::{{{head}, ..}}")
                    } else if root_len == 0 {
                        format!("{written}::{}", path[0])
                    } else {
                        written.clone()
                    };
                    targets.push((t, text));
                }
            }
            let in_test = test_file || inline.iter().any(|(n, _)| n == "tests");
            for (target, text) in targets {
                let Some(to) = target.first().cloned() else {
                    continue;
                };
                if to == "self" || to == "*" {
                    continue;
                }
                let to_sub = target.get(1).filter(|s| *s != "self" && *s != "*").cloned();
                refs.push(Ref {
                    file: file.to_string(),
                    line,
                    from: base[0].clone(),
                    to,
                    text,
                    from_sub: base.get(1).cloned(),
                    to_sub,
                    in_test,
                });
            }
            i = k;
            continue;
        }
        i = word_end;
    }
    refs
}

fn starts_with(c: &[char], i: usize, s: &str) -> bool {
    s.chars()
        .enumerate()
        .all(|(k, ch)| c.get(i + k) == Some(&ch))
}

fn skip_ws(c: &[char], mut i: usize) -> usize {
    while c.get(i).is_some_and(|ch| ch.is_whitespace()) {
        i += 1;
    }
    i
}

/// The identifier at `i` (after whitespace) and the index after it.
fn next_ident(c: &[char], i: usize) -> (Option<String>, usize) {
    let s = skip_ws(c, i);
    let e = (s..c.len()).find(|&k| !is_ident(c[k])).unwrap_or(c.len());
    if e > s && !c[s].is_ascii_digit() {
        (Some(c[s..e].iter().collect()), e)
    } else {
        (None, i)
    }
}

/// The first segment of each item of the `{..}` group opening at `open`:
/// `{cli::X, plan::{a, b}, spec}` -> [cli, plan, spec].
fn group_heads(c: &[char], open: usize) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expect_head = true;
    let mut i = open;
    while i < c.len() {
        match c[i] {
            '{' => {
                depth += 1;
                expect_head = depth == 1;
                i += 1;
            }
            '}' => {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    break;
                }
            }
            ',' => {
                expect_head = depth == 1;
                i += 1;
            }
            ch if depth == 1 && expect_head && (is_ident(ch) || ch == '*') => {
                let e = (i..c.len()).find(|&k| !is_ident(c[k])).unwrap_or(c.len());
                let e = e.max(i + 1);
                heads.push(c[i..e].iter().collect());
                expect_head = false;
                i = e;
            }
            _ => i += 1,
        }
    }
    heads
}

/// Circles between the files of one top-level module that are known and still to remove
/// (docs/design.md, "Layers"): (module, the files of the circle, sorted). A new circle
/// fails the test; so does one of these growing.
const KNOWN_INNER_CIRCLES: &[(&str, &[&str])] = &[];

/// Circles between the files (second-level modules) inside each top-level module, test
/// code aside, except those in [`KNOWN_INNER_CIRCLES`].
fn check_inner(files: &[(String, String)]) -> Vec<String> {
    let subs: BTreeSet<(String, String)> = files
        .iter()
        .filter_map(|(f, _)| module_path(f))
        .filter(|p| p.len() >= 2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect();
    let mut by_module: BTreeMap<String, BTreeMap<(String, String), Ref>> = BTreeMap::new();
    for (file, src) in files {
        for r in references(file, src) {
            let (Some(from), Some(to)) = (r.from_sub.clone(), r.to_sub.clone()) else {
                continue;
            };
            if r.in_test
                || r.from != r.to
                || from == to
                || !subs.contains(&(r.to.clone(), to.clone()))
            {
                continue;
            }
            by_module
                .entry(r.from.clone())
                .or_default()
                .entry((from, to))
                .or_insert(r);
        }
    }
    let mut problems = Vec::new();
    for (module, edges) in &by_module {
        for (component, cycle) in components(edges) {
            let known = KNOWN_INNER_CIRCLES.iter().any(|(m, fs)| {
                m == module && component.iter().map(String::as_str).eq(fs.iter().copied())
            });
            if known {
                continue;
            }
            let mut msg = format!(
                "import circle between the files of `{module}`: {} (files in the circle: {})",
                cycle.join(" -> "),
                component.iter().cloned().collect::<Vec<_>>().join(", ")
            );
            for w in cycle.windows(2) {
                if let Some(r) = edges.get(&(w[0].clone(), w[1].clone())) {
                    msg.push_str(&format!(
                        "\n    {}:{}: {} -> {}",
                        r.file, r.line, w[0], w[1]
                    ));
                }
            }
            problems.push(msg);
        }
    }
    problems
}

/// Every layering violation among `files` (path relative to the crate root, source).
fn check(files: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut edges: BTreeMap<(String, String), Ref> = BTreeMap::new();
    let mut seen_modules = BTreeSet::new();
    for (file, src) in files {
        let Some(base) = module_path(file) else {
            continue;
        };
        let top = &base[0];
        if seen_modules.insert(top.clone()) && layer(top).is_none() && !is_utility(top) {
            problems.push(format!(
                "{file}: top-level module `{top}` is in no layer: add it to LAYERS or UTILITIES \
                 in tests/it/layering.rs"
            ));
        }
        let mut reported = BTreeSet::new();
        for r in references(file, src) {
            if r.from == r.to {
                continue;
            }
            // `use crate::cli::{A, B}` is one import of cli: reported once.
            let first = reported.insert((r.line, r.to.clone()));
            if let Some(why) = forbidden(&r.from, &r.to).filter(|_| first) {
                problems.push(format!(
                    "{}:{}: `{}` imports `{}` (`{}`): {why}",
                    r.file, r.line, r.from, r.to, r.text
                ));
            }
            edges.entry((r.from.clone(), r.to.clone())).or_insert(r);
        }
    }
    for (_, cycle) in components(&edges) {
        let mut msg = format!(
            "import circle between top-level modules: {}",
            cycle.join(" -> ")
        );
        for w in cycle.windows(2) {
            if let Some(r) = edges.get(&(w[0].clone(), w[1].clone())) {
                msg.push_str(&format!(
                    "\n    {}:{}: {} -> {} (`{}`)",
                    r.file, r.line, r.from, r.to, r.text
                ));
            }
        }
        problems.push(msg);
    }
    problems
}

/// Why `from` may not import `to` (`None`: allowed, circles aside).
fn forbidden(from: &str, to: &str) -> Option<String> {
    if to == "cli" {
        return Some("nothing below cli imports cli".into());
    }
    if is_utility(from) && ABOVE_UTILITIES.contains(&to) {
        return Some(format!(
            "`{from}` is usable from anywhere, so it imports none of {}",
            ABOVE_UTILITIES.join("/")
        ));
    }
    if is_utility(to) {
        return None;
    }
    match (layer(from), layer(to)) {
        (Some(f), Some(t)) if t < f => Some(format!(
            "layers point down (cli -> engine -> aws -> plan -> state/spec); `{to}` is above \
             `{from}`"
        )),
        (_, None) if !is_utility(to) => Some(format!(
            "`{to}` is no top-level module in any layer (a typo, or add it to LAYERS)"
        )),
        _ => None,
    }
}

/// The graph's strongly connected components of more than one node, each with a shortest
/// circle through its smallest node, as [a, b, .., a] (one circle names the component).
fn components(edges: &BTreeMap<(String, String), Ref>) -> Vec<(BTreeSet<String>, Vec<String>)> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        next.entry(from).or_default().push(to);
    }
    let reach = |start: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start.to_string()];
        while let Some(n) = stack.pop() {
            for m in next.get(n.as_str()).into_iter().flatten() {
                if seen.insert(m.to_string()) {
                    stack.push(m.to_string());
                }
            }
        }
        seen
    };
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    let nodes: BTreeSet<&str> = next.keys().copied().collect();
    for n in nodes {
        if done.contains(n) || !reach(n).contains(n) {
            continue;
        }
        // The component of n: nodes reachable from n that reach n back.
        let component: BTreeSet<String> = reach(n)
            .into_iter()
            .filter(|m| reach(m).contains(n))
            .collect();
        done.extend(component.iter().cloned());
        // A shortest circle from n back to n, by breadth-first search inside the component.
        let mut prev: BTreeMap<String, String> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([n.to_string()]);
        let mut closing = None;
        while let Some(a) = queue.pop_front() {
            for b in next.get(a.as_str()).into_iter().flatten() {
                if *b == n {
                    closing = Some(a.clone());
                    break;
                }
                if component.contains(*b) && !prev.contains_key(*b) {
                    prev.insert(b.to_string(), a.clone());
                    queue.push_back(b.to_string());
                }
            }
            if closing.is_some() {
                break;
            }
        }
        let mut path = vec![n.to_string()];
        let mut at = closing.expect("a node of a circle reaches itself");
        while at != n {
            path.push(at.clone());
            at = prev[&at].clone();
        }
        path.push(n.to_string());
        let last = path.len() - 1;
        path[1..last].reverse();
        out.push((component, path));
    }
    out
}

fn sources(root: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut dirs = vec![root.join("src")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.expect("directory entry").path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p
                    .strip_prefix(root)
                    .expect("under the root")
                    .to_string_lossy()
                    .replace('\\', "/");
                let text = std::fs::read_to_string(&p).expect("source is UTF-8");
                files.push((rel, text));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn src_modules_import_only_downwards_and_in_no_circle() {
    let files = sources(Path::new(env!("CARGO_MANIFEST_DIR")));
    assert!(
        files.len() > 50,
        "found only {} files under src/",
        files.len()
    );
    let problems = check(&files);
    assert!(
        problems.is_empty(),
        "layering violations:\n{}",
        problems.join("\n")
    );
    // Not vacuous: the references the test relies on are really found.
    let refs: BTreeSet<(String, String)> = files
        .iter()
        .flat_map(|(f, s)| references(f, s))
        .map(|r| (r.from, r.to))
        .collect();
    for (from, to) in [
        ("cli", "aws"),
        ("aws", "plan"),
        ("plan", "state"),
        ("plan", "spec"),
    ] {
        assert!(
            refs.contains(&(from.to_string(), to.to_string())),
            "expected {from} -> {to} among {refs:?}"
        );
    }
}

#[test]
fn files_inside_a_module_import_each_other_in_no_new_circle() {
    let files = sources(Path::new(env!("CARGO_MANIFEST_DIR")));
    let problems = check_inner(&files);
    assert!(
        problems.is_empty(),
        "circles inside modules (break them by moving the shared piece down; see \
         docs/design.md):\n{}",
        problems.join("\n")
    );
}

fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(f, s)| (f.to_string(), s.to_string()))
        .collect()
}

#[test]
fn checker_rejects_cli_imported_from_plan() {
    let tree = files(&[
        ("src/cli/mod.rs", "use crate::plan::Plan;\n"),
        (
            "src/plan/x.rs",
            "//! planning\n\nuse crate::state::Api;\nuse crate::cli::GlobalArgs;\n",
        ),
        ("src/state/mod.rs", "pub struct Api;\n"),
    ]);
    let problems = check(&tree);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(
        problems[0].starts_with("src/plan/x.rs:4: `plan` imports `cli` (`crate::cli`)"),
        "{problems:#?}"
    );
    assert!(
        problems[1].starts_with("import circle between top-level modules: cli -> plan -> cli"),
        "{problems:#?}"
    );
    assert!(problems[1].contains("src/plan/x.rs:4"), "{problems:#?}");
    // Without the offending line the same tree is clean.
    let clean = files(&[
        ("src/cli/mod.rs", "use crate::plan::Plan;\n"),
        ("src/plan/x.rs", "use crate::state::Api;\n"),
    ]);
    assert_eq!(check(&clean), Vec::<String>::new());
}

#[test]
fn checker_sees_groups_super_paths_and_qualified_calls() {
    let tree = files(&[
        // `super::super::super` from a nested file reaches the crate root.
        (
            "src/plan/a/b.rs",
            "fn f() { super::super::super::cli::run(); }\n",
        ),
        // a `{..}` group naming several top-level modules
        (
            "src/spec/x.rs",
            "use crate::{state::S, aws::error::AwsError};\n",
        ),
        // a qualified path in an expression, inside a utility
        (
            "src/output.rs",
            "fn f() -> u8 {\n    crate::aws::region()\n}\n",
        ),
        // cancel importing aws (the circle this round broke)
        (
            "src/cancel.rs",
            "use crate::aws::error::{AwsError, ErrorKind};\n",
        ),
        // one import of two items: one problem
        (
            "src/exit.rs",
            "use crate::cli::{GlobalArgs, OutputFormat};\n",
        ),
    ]);
    let problems = check(&tree).join("\n");
    assert_eq!(problems.matches("src/exit.rs:1:").count(), 1, "{problems}");
    for expected in [
        "src/plan/a/b.rs:1: `plan` imports `cli` (`super::super::super::cli`)",
        "src/spec/x.rs:1: `spec` imports `aws` (`crate::{aws, ..}`)",
        "src/output.rs:2: `output` imports `aws` (`crate::aws`)",
        "src/cancel.rs:1: `cancel` imports `aws` (`crate::aws`)",
    ] {
        assert!(
            problems.contains(expected),
            "missing {expected:?} in\n{problems}"
        );
    }
    // state <- spec is same-layer: allowed, not reported.
    assert!(!problems.contains("imports `state`"), "{problems}");
}

#[test]
fn checker_ignores_comments_strings_and_inner_modules() {
    let tree = files(&[(
        "src/plan/x.rs",
        r##"//! See [`crate::cli`] for where this is called.
/* use crate::cli::X; */
const S: &str = "crate::cli::Nope";
const R: &str = r#"crate::cli"#;
const C: char = '{';
fn lifetime<'a>(x: &'a str) -> &'a str { x }
#[cfg(test)]
mod tests {
    use super::*;
    use super::super::state::Api;
}
"##,
    )]);
    assert_eq!(check(&tree), Vec::<String>::new());
    let refs = references("src/plan/x.rs", &tree[0].1);
    // `super::*` in `mod tests` is plan::x (not the crate root); `super::super` is plan.
    assert!(refs.iter().all(|r| r.to == "plan"), "{refs:#?}");
}

#[test]
fn checker_names_circles_and_unknown_modules() {
    let tree = files(&[
        ("src/state/mod.rs", "use crate::spec::Spec;\n"),
        ("src/spec/mod.rs", "\nuse crate::state::Api;\n"),
        ("src/gadgets.rs", "use crate::spec::Spec;\n"),
    ]);
    let problems = check(&tree).join("\n");
    assert!(
        problems.contains("import circle between top-level modules: spec -> state -> spec"),
        "{problems}"
    );
    assert!(
        problems.contains("src/spec/mod.rs:2: spec -> state"),
        "{problems}"
    );
    assert!(
        problems.contains("src/state/mod.rs:1: state -> spec"),
        "{problems}"
    );
    assert!(
        problems.contains("src/gadgets.rs: top-level module `gadgets` is in no layer"),
        "{problems}"
    );
}

#[test]
fn checker_names_circles_between_files_of_a_module_but_not_test_code() {
    let tree = files(&[
        ("src/aws/mod.rs", "pub mod exec;\npub mod recover;\n"),
        ("src/aws/exec.rs", "use super::recover::create_or_find;\n"),
        (
            "src/aws/recover.rs",
            "use super::error::classify;\n\nfn f() { super::exec::internal(); }\n",
        ),
        ("src/aws/error.rs", "pub fn classify() {}\n"),
        (
            "src/aws/read.rs",
            "#[cfg(test)]\nmod tests {\n    use crate::aws::exec::X;\n}\n",
        ),
        ("src/aws/exec/usage.rs", "use super::super::read::get;\n"),
        ("src/aws/read_tests.rs", "use super::exec::Y;\n"),
    ]);
    let problems = check_inner(&tree);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with(
            "import circle between the files of `aws`: exec -> recover -> exec (files in the circle: exec, recover)"
        ),
        "{problems:#?}"
    );
    assert!(
        problems[0].contains("src/aws/recover.rs:3: recover -> exec"),
        "{problems:#?}"
    );
    // exec -> read (from exec/usage.rs) and read -> exec in test code (an inline `mod tests`,
    // a `*_tests.rs` file) make no circle.
    assert!(!problems[0].contains("read"), "{problems:#?}");
}

/// The cli files that may name a kind of API: the verbs only some kinds support
/// (`Flavour::SUPPORTS`: `cors`, `verify SPEC`).
const CLI_KIND_SPECIFIC: &[&str] = &["src/cli/cors.rs", "src/cli/verify.rs"];

/// What names a kind of API in code.
const KIND_NAMES: &[&str] = &[
    "engine::Rest",
    "engine::Http",
    "ApiKind::",
    "engine::rest",
    "engine::http",
    "plan::rest",
    "plan::http",
    "state::rest",
    "state::http",
    "read::rest",
    "read::http",
    "exec::rest",
    "exec::http",
    "HttpOp",
    "RestApi",
    "HttpApi",
    "<Rest>",
    "<Http>",
    "engine::Ws",
    "engine::ws",
    "plan::ws",
    "state::ws",
    "read::ws",
    "exec::ws",
    "WsOp",
    "WsApi",
    "<Ws>",
];

/// Each line of the code of `file` (not comments, strings or test code) naming a kind of API.
fn kind_names_in(file: &str, text: &str) -> Vec<String> {
    let code = strip(text);
    let code = code.split("#[cfg(test)]").next().unwrap_or_default();
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        for name in KIND_NAMES {
            if line.contains(name) {
                found.push(format!("{file}:{}: `{name}`: {}", n + 1, line.trim()));
            }
        }
    }
    found
}

/// Adding a kind of API needs no change in cli beyond its verbs' help text (docs/design.md,
/// "The engine, and adding a kind of API"): the kind is told apart in the engine
/// (`with_flavour!`, `with_located!`), and no cli file names one, except the verbs that
/// support only some kinds.
#[test]
fn cli_names_no_kind_of_api_outside_the_verbs_only_some_kinds_support() {
    let files = sources(Path::new(env!("CARGO_MANIFEST_DIR")));
    let cli: Vec<_> = files
        .iter()
        .filter(|(f, _)| f.starts_with("src/cli/"))
        .collect();
    assert!(cli.len() > 10, "found only {} cli files", cli.len());
    let problems: Vec<String> = cli
        .iter()
        .filter(|(f, _)| !CLI_KIND_SPECIFIC.contains(&f.as_str()))
        .flat_map(|(f, s)| kind_names_in(f, s))
        .collect();
    assert!(
        problems.is_empty(),
        "cli names a kind of API (tell kinds apart in the engine, through a `Flavour` item):\n{}",
        problems.join("\n")
    );
    // Not vacuous: the REST-only verbs are found naming their kind.
    for f in CLI_KIND_SPECIFIC {
        let (_, text) = cli
            .iter()
            .find(|(p, _)| p == f)
            .unwrap_or_else(|| panic!("{f} is missing"));
        assert!(!kind_names_in(f, text).is_empty(), "{f} names no kind");
    }
}
