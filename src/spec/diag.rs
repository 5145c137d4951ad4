//! Diagnostics that point into the user's file: `file:line:col`, the source line and a caret.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::model::Pos;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem found in a spec file.
///
/// `line == 0` means the problem has no position (an unreadable or empty file, a problem of
/// the file as a whole); `col` and `source_line` are then meaningless.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: PathBuf,
    /// 1-based; 0 = no position.
    pub line: u32,
    /// 1-based column in characters.
    pub col: u32,
    /// Width of the caret in characters (at least 1 when rendered).
    pub len: u32,
    /// Lowercase, no trailing period, values in backticks.
    pub message: String,
    pub hint: Option<String>,
    /// The text of line `line` (without its line break), empty when there is no position.
    pub source_line: String,
}

impl Diagnostic {
    /// A diagnostic about the file as a whole (no line or column).
    pub fn file_level(
        severity: Severity,
        file: &Path,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Diagnostic {
        Diagnostic {
            severity,
            file: file.to_path_buf(),
            line: 0,
            col: 0,
            len: 0,
            message: message.into(),
            hint,
            source_line: String::new(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    /// `file:line:col`, or just `file` when there is no position.
    pub fn location(&self) -> String {
        if self.line == 0 {
            self.file.display().to_string()
        } else {
            format!("{}:{}:{}", self.file.display(), self.line, self.col)
        }
    }

    /// Render like rustc: severity and message, `--> file:line:col`, the line, a caret under
    /// the offending token, and an optional `= hint:` line. Ends with a newline. Control and
    /// bidi characters (in the message, the file name and the excerpt) are escaped visibly
    /// ([`crate::term`]); the caret stays under the offending token of the escaped line.
    pub fn render(&self, color: bool) -> String {
        use crate::term::escape;
        let paint = |code: &str, s: &str| -> String {
            if color {
                format!("\x1b[{code}m{s}\x1b[0m")
            } else {
                s.to_string()
            }
        };
        let sev_code = match self.severity {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}{}",
            paint(sev_code, self.severity.as_str()),
            paint("1", &format!(": {}", escape(&self.message)))
        );
        let gutter_w = if self.line == 0 {
            1
        } else {
            self.line.to_string().len()
        };
        let pad = " ".repeat(gutter_w);
        let bar = paint("1;34", "|");
        let _ = writeln!(
            out,
            "{pad}{} {}",
            paint("1;34", "-->"),
            escape(&self.location())
        );
        if self.line != 0 {
            let (cropped, caret_col) = crop_line(&self.source_line, self.col as usize);
            let (shown, caret_col, len) = escape_excerpt(&cropped, caret_col, self.len as usize);
            let _ = writeln!(out, "{pad} {bar}");
            let _ = writeln!(
                out,
                "{} {bar} {}",
                paint("1;34", &self.line.to_string()),
                shown
            );
            let prefix: String = shown
                .chars()
                .take(caret_col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let avail = shown.chars().count().saturating_sub(caret_col - 1);
            let width = len.max(1).min(avail.max(1));
            let _ = writeln!(
                out,
                "{pad} {bar} {prefix}{}",
                paint(sev_code, &"^".repeat(width))
            );
        }
        if let Some(hint) = &self.hint {
            let _ = writeln!(
                out,
                "{pad} {} {}",
                paint("1;34", "="),
                hint_text(&escape(hint))
            );
        }
        out
    }
}

fn hint_text(hint: &str) -> String {
    format!("hint: {hint}")
}

/// The excerpt with its control characters escaped, and the caret's column and width moved
/// to cover the same characters of the escaped text.
fn escape_excerpt(line: &str, caret_col: usize, len: usize) -> (String, usize, usize) {
    let chars: Vec<char> = line.chars().collect();
    let start = caret_col.max(1) - 1;
    let width = |cs: &[char]| -> usize { cs.iter().map(|c| crate::term::escaped_len(*c)).sum() };
    let before = width(&chars[..start.min(chars.len())]);
    let under = if start < chars.len() {
        width(&chars[start..(start + len.max(1)).min(chars.len())])
    } else {
        len
    };
    (crate::term::escape(line).into_owned(), before + 1, under)
}

/// Very long lines (a minified spec) are cropped around the column so the caret stays visible.
/// Returns the text to show and the 1-based caret column within it.
fn crop_line(line: &str, col: usize) -> (String, usize) {
    const MAX: usize = 160;
    const BEFORE: usize = 60;
    let chars: Vec<char> = line.chars().collect();
    let col = col.max(1);
    if chars.len() <= MAX {
        return (line.to_string(), col);
    }
    let start = col.saturating_sub(1).saturating_sub(BEFORE);
    let end = (start + MAX).min(chars.len());
    let mut shown = String::new();
    let mut caret = col - start;
    if start > 0 {
        shown.push_str("...");
        caret += 3;
    }
    shown.extend(&chars[start..end]);
    if end < chars.len() {
        shown.push_str("...");
    }
    (shown, caret)
}

/// The file being read, for building diagnostics with their source line.
#[derive(Debug)]
pub struct Source<'a> {
    pub file: &'a Path,
    lines: Vec<&'a str>,
    /// Lines of the `api_keys:` section, shown masked (see `secrets.rs`).
    secret: Vec<bool>,
}

impl<'a> Source<'a> {
    pub fn new(file: &'a Path, text: &'a str) -> Source<'a> {
        let lines: Vec<&'a str> = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .collect();
        let secret = super::secrets::api_key_lines(&lines);
        Source {
            file,
            lines,
            secret,
        }
    }

    /// Line `line` as a diagnostic may show it: lines of the `api_keys:` section have their
    /// values masked.
    pub fn shown_line(&self, line: u32) -> String {
        let text = self.line(line);
        if self.is_secret_line(line) {
            super::secrets::mask_line(text)
        } else {
            text.to_string()
        }
    }

    /// Whether line `line` is in the `api_keys:` section (see `secrets.rs`).
    pub fn is_secret_line(&self, line: u32) -> bool {
        line > 0 && self.secret.get(line as usize - 1) == Some(&true)
    }

    pub fn line(&self, line: u32) -> &'a str {
        if line == 0 {
            return "";
        }
        self.lines.get(line as usize - 1).copied().unwrap_or("")
    }

    pub fn diag(
        &self,
        severity: Severity,
        pos: Pos,
        len: u32,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Diagnostic {
        if pos.line == 0 {
            return Diagnostic::file_level(severity, self.file, message, hint);
        }
        Diagnostic {
            severity,
            file: self.file.to_path_buf(),
            line: pos.line,
            col: pos.col.max(1),
            len,
            message: message.into(),
            hint,
            source_line: self.shown_line(pos.line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Diagnostic {
        let text = "routes:\n  - path: /todos\n    fucntion: todo-create\n";
        let src = Source::new(Path::new("specs/todo.yaml"), text);
        src.diag(
            Severity::Error,
            Pos { line: 3, col: 5 },
            8,
            "unknown key `fucntion` in route",
            Some("did you mean `function`?".into()),
        )
    }

    #[test]
    fn renders_like_rustc() {
        let d = sample();
        assert_eq!(
            d.render(false),
            "error: unknown key `fucntion` in route\n \
             --> specs/todo.yaml:3:5\n  \
             |\n\
             3 |     fucntion: todo-create\n  \
             |     ^^^^^^^^\n  \
             = hint: did you mean `function`?\n"
        );
        assert!(d.is_error());
        assert_eq!(d.location(), "specs/todo.yaml:3:5");
    }

    #[test]
    fn gutter_widens_with_line_number() {
        let text = "x\n".repeat(11) + "  bad: 1\n";
        let src = Source::new(Path::new("a.yaml"), &text);
        let d = src.diag(Severity::Warning, Pos { line: 12, col: 3 }, 3, "m", None);
        assert_eq!(
            d.render(false),
            "warning: m\n  --> a.yaml:12:3\n   |\n12 |   bad: 1\n   |   ^^^\n"
        );
    }

    #[test]
    fn file_level_has_no_snippet() {
        let d = Diagnostic::file_level(
            Severity::Error,
            Path::new("e.yaml"),
            "spec file is empty",
            Some("start with `api:`".into()),
        );
        assert_eq!(
            d.render(false),
            "error: spec file is empty\n --> e.yaml\n  = hint: start with `api:`\n"
        );
    }

    #[test]
    fn color_wraps_with_ansi_codes() {
        let r = sample().render(true);
        assert!(r.starts_with("\x1b[1;31merror\x1b[0m"), "{r}");
        assert!(r.contains("\x1b[1;31m^^^^^^^^\x1b[0m"), "{r}");
        assert!(!sample().render(false).contains('\x1b'));
    }

    #[test]
    fn controls_in_the_excerpt_are_escaped_and_the_caret_stays_under_the_token() {
        let text = "api: {name: \"\x1b[2K\u{202e}x\", descrption: 1}\n";
        let col = text.chars().position(|c| c == 'd').unwrap() as u32 + 1;
        let src = Source::new(Path::new("s\x1b[1A.yaml"), text);
        let d = src.diag(
            Severity::Error,
            Pos { line: 1, col },
            10,
            "unknown key `x\u{202e}`",
            Some("not \x07 this".into()),
        );
        let r = d.render(false);
        assert!(!r.chars().any(crate::term::is_unsafe), "{r}");
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(lines[0], "error: unknown key `x\\u{202e}`");
        // The position is the file's own (characters), whatever the escaping.
        assert!(
            lines[1].ends_with(&format!("s\\x1b[1A.yaml:1:{col}")),
            "{r}"
        );
        let code = lines[3].split_once("| ").unwrap().1;
        let caret = lines[4].split_once("| ").unwrap().1;
        assert_eq!(code, "api: {name: \"\\x1b[2K\\u{202e}x\", descrption: 1}");
        let at = caret.find('^').unwrap();
        assert_eq!(&code[at..at + 10], "descrption");
        assert_eq!(caret.trim(), "^".repeat(10));
        assert!(lines[5].ends_with("hint: not \\x07 this"), "{r}");
    }

    #[test]
    fn tabs_keep_caret_aligned_and_long_lines_are_cropped() {
        let src = Source::new(Path::new("t.yaml"), "\tkey: v\n");
        let d = src.diag(Severity::Error, Pos { line: 1, col: 2 }, 3, "m", None);
        assert!(d.render(false).contains("1 | \tkey: v\n  | \t^^^\n"));

        let long = format!(
            "{{a: 1, {}zzz: 2, {}}}",
            "b: 1, ".repeat(100),
            "c: 1, ".repeat(100)
        );
        let col = long.find("zzz").unwrap() as u32 + 1;
        let src = Source::new(Path::new("l.yaml"), &long);
        let d = src.diag(Severity::Error, Pos { line: 1, col }, 3, "m", None);
        let r = d.render(false);
        let lines: Vec<&str> = r.lines().collect();
        let code = lines[3].split_once("| ").unwrap().1;
        let caret = lines[4].split_once("| ").unwrap().1;
        let at = caret.find('^').unwrap();
        assert_eq!(&code[at..at + 3], "zzz");
        assert!(code.starts_with("...") && code.ends_with("..."));
    }
}
