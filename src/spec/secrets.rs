//! Key values never reach a diagnostic: whatever sits under `api_keys:` is masked in the
//! source-line excerpt of every diagnostic (parse errors, reader errors, and the plan-time
//! diagnostics built by [`super::diagnostic_at`]), and its scalars are masked in messages.
//!
//! The excerpt mask is textual, so it works on files the YAML parser refused too: every line
//! of the top-level `api_keys:` section (or a misspelling of it, such as `api_key:` or
//! `apikeys:`) keeps its indentation, its `- ` markers and a short mapping key, and every
//! other character that is not blank becomes `*`. Widths are kept, so carets stay aligned.

use super::yaml::{Node, Value};

/// A text this long could be an API key value (API Gateway's minimum value length): a
/// mapping key or an environment variable name of this length is treated as a value.
pub(crate) const VALUE_LIKE_LEN: usize = 20;

/// For each line of `lines`, whether it belongs to the top-level `api_keys:` section.
pub(crate) fn api_key_lines(lines: &[&str]) -> Vec<bool> {
    let mut inside = false;
    lines
        .iter()
        .map(|line| {
            let starts_top_level = line
                .chars()
                .next()
                .is_some_and(|c| !c.is_whitespace() && c != '#');
            if starts_top_level {
                inside = top_level_key(line).is_some_and(is_api_keys_section);
            }
            inside
        })
        .collect()
}

/// The key of a top-level line (`api_keys: ...`, `"api_keys": ...`), if it has one.
fn top_level_key(line: &str) -> Option<&str> {
    let line = line.trim_start_matches('?').trim_start();
    if let Some(q) = line.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let rest = &line[1..];
        return rest.find(q).map(|end| &rest[..end]);
    }
    line.find(':').map(|i| line[..i].trim())
}

/// `api_keys` and the ways it is misspelt (`api_key`, `apiKeys`, `api-keys`, `api_kyes`).
pub(crate) fn is_api_keys_section(key: &str) -> bool {
    let norm: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    norm.starts_with("apikey") || norm.starts_with("apikye") || strsim(&norm, "apikeys") <= 2
}

/// The texts under the top-level `api_keys:` section (of `root`) that could be key values,
/// longest first: every scalar except the key names, short field names, a string
/// `description` and a boolean `enabled`. Diagnostics replace them with `***`.
pub(crate) fn value_texts(root: &Node) -> Vec<String> {
    let mut out = Vec::new();
    let Value::Map(top) = &root.value else {
        return out;
    };
    for (k, section) in top {
        if !is_api_keys_section(&k.key_text()) {
            continue;
        }
        let Value::Map(keys) = &section.value else {
            scalars(section, &mut out);
            continue;
        };
        for (_name, def) in keys {
            let Value::Map(fields) = &def.value else {
                scalars(def, &mut out);
                continue;
            };
            for (field, v) in fields {
                let f = field.key_text();
                if f.chars().count() >= VALUE_LIKE_LEN {
                    out.push(f.clone());
                }
                match (f.as_str(), &v.value) {
                    ("description", Value::Str(_)) | ("enabled", Value::Bool(_)) => {}
                    _ => scalars(v, &mut out),
                }
            }
        }
    }
    // Texts this short cannot be a key value and would mask unrelated words.
    out.retain(|t| {
        t.trim().chars().count() >= 4 && !matches!(t.as_str(), "true" | "false" | "null")
    });
    out.sort_by_key(|t| std::cmp::Reverse(t.len()));
    out.dedup();
    out
}

fn scalars(n: &Node, out: &mut Vec<String>) {
    match &n.value {
        Value::Seq(items) => items.iter().for_each(|i| scalars(i, out)),
        Value::Map(entries) => entries.iter().for_each(|(k, v)| {
            scalars(k, out);
            scalars(v, out);
        }),
        Value::Str(s) => {
            out.push(s.clone());
            if !n.raw.is_empty() && n.raw != *s {
                out.push(n.raw.clone());
            }
        }
        _ if !n.raw.is_empty() => out.push(n.raw.clone()),
        _ => {}
    }
}

/// `text` with every one of `secrets` replaced by `***`.
pub(crate) fn mask_text(text: &str, secrets: &[String]) -> String {
    let mut t = text.to_string();
    for s in secrets {
        if t.contains(s.as_str()) {
            t = t.replace(s.as_str(), "***");
        }
    }
    t
}

/// `text` with every backquoted part as long as a key value replaced by `***`.
pub(crate) fn mask_quoted(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let quoted = i % 2 == 1 && i + 1 < parts.len();
            if quoted && p.chars().count() >= VALUE_LIKE_LEN {
                "***"
            } else {
                p
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

/// Levenshtein distance (short strings only).
fn strsim(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A line of the `api_keys:` section as it may be shown: indentation, `- ` markers and a
/// mapping key shorter than [`VALUE_LIKE_LEN`] stay, every other non-blank character is `*`.
pub(crate) fn mask_line(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    loop {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i < chars.len() && chars[i] == '-' && chars.get(i + 1).is_none_or(|c| c.is_whitespace())
        {
            i += 1;
            continue;
        }
        break;
    }
    let keep = i + key_width(&chars[i..]);
    chars
        .iter()
        .enumerate()
        .map(|(n, c)| {
            if n < keep || c.is_whitespace() {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

/// Width of a leading `key:` (including the colon) when it is short enough to be a field
/// name, else 0.
fn key_width(s: &[char]) -> usize {
    let end = match s.first() {
        Some(q @ ('"' | '\'')) => s[1..].iter().position(|c| c == q).map(|j| j + 2),
        Some('{' | '[' | '#' | '&' | '*' | '!' | '|' | '>') | None => None,
        Some(_) => s.iter().enumerate().find_map(|(j, c)| {
            let at_colon = *c == ':' && s.get(j + 1).is_none_or(|n| n.is_whitespace());
            if at_colon {
                Some(j)
            } else {
                None
            }
        }),
    };
    match end {
        Some(e)
            if s.get(e) == Some(&':')
                && e < VALUE_LIKE_LEN
                && !s[..e].iter().any(|c| matches!(c, '{' | '[' | ',' | '#'))
                && s.get(e + 1).is_none_or(|n| n.is_whitespace()) =>
        {
            e + 1
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_api_keys_section_and_its_misspellings_are_marked() {
        let text = "api: {name: a}\napi_keys:\n  k:\n    vaule: S\n# c\nstages: {}\napiKey:\n  x: 1\nAPI-KEYS: {a: 1}\nfunctions:\n  f: g\n";
        let lines: Vec<&str> = text.lines().collect();
        let marked = api_key_lines(&lines);
        let got: Vec<&str> = lines
            .iter()
            .zip(&marked)
            .filter(|(_, m)| **m)
            .map(|(l, _)| *l)
            .collect();
        assert_eq!(
            got,
            [
                "api_keys:",
                "  k:",
                "    vaule: S",
                "# c",
                "apiKey:",
                "  x: 1",
                "API-KEYS: {a: 1}"
            ]
        );
    }

    #[test]
    fn long_quoted_tokens_are_masked() {
        let long = "A".repeat(VALUE_LIKE_LEN);
        assert_eq!(
            mask_quoted(&format!("duplicate key `{long}` and `short`")),
            "duplicate key `***` and `short`"
        );
        assert_eq!(mask_quoted("no quotes"), "no quotes");
    }

    #[test]
    fn values_are_masked_keys_stay() {
        assert_eq!(mask_line("    vaule: SECRET1"), "    vaule: *******");
        assert_eq!(mask_line("    value: [AB, cd]"), "    value: **** ***");
        assert_eq!(mask_line("  k: {value: X}"), "  k: ******* **");
        assert_eq!(mask_line("  - SECRET"), "  - ******");
        assert_eq!(mask_line("  web:"), "  web:");
        assert_eq!(
            mask_line("api_keys: {k: {value: X}}"),
            "api_keys: *** ******* ***"
        );
        assert_eq!(mask_line("  \"k\": v"), "  \"k\": *");
        // A key as long as a key value is a value.
        let long = format!("  {}: true", "A".repeat(VALUE_LIKE_LEN));
        assert!(!mask_line(&long).contains('A'), "{}", mask_line(&long));
        // A comment is masked too.
        assert_eq!(mask_line("  # old: XYZ"), "  * **** ***");
        // A tab-indented line keeps its tab.
        assert_eq!(mask_line("\tvalue: ab"), "\tvalue: **");
    }
}
