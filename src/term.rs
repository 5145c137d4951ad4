//! Text that is safe to show on a terminal. Names, descriptions, paths, unknown keys and error
//! messages come from the spec or from the account, and either can carry control characters:
//! an escape sequence in an API's description could erase the pending change from the screen
//! and print "No changes.", a bidi override could make `/admin` read as something else.
//! Everything gwctl prints goes through this module ([`crate::output::Printer`], the
//! diagnostics of [`crate::spec::diag`], the prompt of `apply`), so such characters are shown
//! escaped, visibly, and never reach the terminal raw:
//!
//! - C0 controls other than newline and tab, DEL and the C1 controls (U+0080-U+009F) as
//!   `\xHH` (`\x1b` for ESC, `\x0d` for a carriage return);
//! - the Unicode bidi controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C) as
//!   `\u{202e}`.
//!
//! JSON documents stay valid JSON: [`json`] writes those characters as `\uXXXX` escapes, so a
//! parser gets the original string back. No I/O here.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal raw.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        | '\u{200e}' | '\u{200f}' | '\u{61c}')
}

/// The visible form of `c` (itself when it is safe).
fn push_escaped(out: &mut String, c: char) {
    if !is_unsafe(c) {
        out.push(c);
    } else if (c as u32) < 0x100 {
        out.push_str(&format!("\\x{:02x}", c as u32));
    } else {
        out.push_str(&format!("\\u{{{:x}}}", c as u32));
    }
}

/// How many characters `c` takes once escaped (1 for a safe character).
pub fn escaped_len(c: char) -> usize {
    if !is_unsafe(c) {
        1
    } else if (c as u32) < 0x100 {
        4
    } else {
        let mut s = String::new();
        push_escaped(&mut s, c);
        s.chars().count()
    }
}

/// `text` with every unsafe character escaped visibly; newlines and tabs kept.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// The SGR codes gwctl itself paints with (`ESC [ codes m`). Nothing that moves the cursor,
/// erases or hides text.
const OWN_SGR: &[&str] = &[
    "0", "1", "2", "31", "32", "33", "34", "35", "36", "1;31", "1;33", "1;34", "31;1", "33;1",
];

/// If `rest` starts with one of gwctl's own colour sequences, its length in bytes.
fn own_sgr_len(rest: &str) -> Option<usize> {
    let body = rest.strip_prefix("\x1b[")?;
    let end = body.find('m')?;
    OWN_SGR.contains(&&body[..end]).then_some(2 + end + 1)
}

/// Text gwctl built with its own colour codes ([`crate::output::Printer::paint`]) around
/// parts that were escaped already: gwctl's colour sequences are kept (`keep_color`) or
/// removed, every other unsafe character is escaped. Callers must [`escape`] what they
/// interpolate, or a colour sequence in a name would pass as gwctl's own.
pub fn painted(text: &str, keep_color: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if let Some(n) = own_sgr_len(rest) {
            if keep_color {
                out.push_str(&rest[..n]);
            }
            i += n;
            continue;
        }
        let c = rest.chars().next().expect("not at the end");
        push_escaped(&mut out, c);
        i += c.len_utf8();
    }
    out
}

/// A serialised JSON document with the characters serde_json leaves raw (DEL, C1 and bidi
/// controls) written as `\uXXXX`: still valid JSON that parses to the same strings, and
/// nothing in it a terminal acts on. (serde_json already escapes the C0 controls.) Outside
/// strings JSON has only ASCII punctuation and whitespace, so replacing them everywhere is
/// safe.
pub fn json(doc: &str) -> Cow<'_, str> {
    if !doc.chars().any(is_unsafe) {
        return Cow::Borrowed(doc);
    }
    let mut out = String::with_capacity(doc.len() + 16);
    for c in doc.chars() {
        if is_unsafe(c) {
            // Every unsafe character is in the BMP: one escape, no surrogate pair.
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A value serialised as pretty JSON, terminal-safe ([`json`]).
pub fn to_json_pretty<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let text = serde_json::to_string_pretty(value)?;
    Ok(json(&text).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NASTY: &str = "a\x1b[2K\rNo changes.\u{202e}txt\u{7f}\u{9b}b\u{2066}\u{200f}\u{61c}";

    #[test]
    fn escapes_controls_and_bidi_visibly_and_keeps_newline_and_tab() {
        assert_eq!(
            escape(NASTY),
            "a\\x1b[2K\\x0dNo changes.\\u{202e}txt\\x7f\\x9bb\\u{2066}\\u{200f}\\u{61c}"
        );
        assert_eq!(escape("line\n\tnext ± é 東"), "line\n\tnext ± é 東");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert!(!escape(NASTY).chars().any(is_unsafe));
        for c in [
            '\0', '\x07', '\x1b', '\u{80}', '\u{9f}', '\u{202a}', '\u{2069}',
        ] {
            assert!(is_unsafe(c), "{c:?}");
            assert_eq!(escape(&c.to_string()).chars().count(), escaped_len(c));
        }
        for c in ['\n', '\t', ' ', '~', '\u{a0}', '\u{2028}', '\u{202f}'] {
            assert!(!is_unsafe(c), "{c:?}");
        }
    }

    #[test]
    fn painted_keeps_only_gwctls_own_colours() {
        let own = "\x1b[32m+\x1b[0m method \x1b[1;31merror\x1b[0m";
        assert_eq!(painted(own, true), own);
        assert_eq!(painted(own, false), "+ method error");
        // Anything else that starts with ESC is escaped, colour or not.
        let foreign = "\x1b[2K\x1b[8mhidden\x1b[1A\x1b]0;title\x07\u{202e}";
        let shown = painted(foreign, true);
        assert_eq!(
            shown,
            "\\x1b[2K\\x1b[8mhidden\\x1b[1A\\x1b]0;title\\x07\\u{202e}"
        );
        // An escaped colour sequence (a name) cannot pass as gwctl's own.
        let name = escape("\x1b[31mred");
        assert_eq!(painted(&name, true), "\\x1b[31mred");
    }

    #[test]
    fn json_stays_valid_and_round_trips() {
        #[derive(serde::Serialize)]
        struct D<'a> {
            description: &'a str,
        }
        let text = to_json_pretty(&D { description: NASTY }).unwrap();
        assert!(!text.chars().any(is_unsafe), "{text}");
        assert!(
            text.contains("\\u202e") && text.contains("\\u001b"),
            "{text}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["description"], NASTY);
    }
}
