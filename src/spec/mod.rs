//! The spec language: parse (YAML with positions) and validate into [`model::Spec`].
//!
//! ```text
//! bytes ──utf-8──▶ text ──yaml.rs──▶ Node tree ──read/──▶ Spec ──check.rs──▶ Loaded
//! ```
//! Every stage collects [`Diagnostic`]s instead of stopping at the first problem, so
//! `gwctl validate` reports everything wrong with a file in one run. The language itself is
//! documented in docs/spec.md.

pub mod arn;
mod check;
mod cx;
pub mod diag;
pub mod limits;
pub mod model;
mod read;
pub mod schema;
mod secrets;
pub mod suggest;
pub mod vars;
pub mod write;
pub mod yaml;

use std::io::Read as _;
use std::path::Path;

pub use diag::{Diagnostic, Severity};
pub use model::Spec;
/// Checks shared with command-line flags that carry spec values (`gwctl cors enable`).
pub(crate) use read::{is_header_name, origin_problem, CACHE_SIZES};

use diag::Source;

/// The result of reading one spec file.
#[derive(Debug)]
pub struct Loaded {
    /// The validated spec; `Some` only when there is no error (warnings may accompany it).
    pub spec: Option<Spec>,
    /// Every problem found, in file order (problems without a position last).
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }

    fn failed(d: Diagnostic) -> Loaded {
        Loaded {
            spec: None,
            diagnostics: vec![d],
        }
    }
}

/// How much to check.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Also report lint warnings (routes without authorization). `gwctl validate` turns
    /// this on; plan and apply do not.
    pub lint: bool,
}

/// Read and validate a spec file.
pub fn load(path: &Path) -> Loaded {
    load_with(path, &LoadOptions::default())
}

/// Validate spec text as if read from `file` (which is only used in diagnostics).
pub fn load_str(file: &Path, text: &str) -> Loaded {
    load_str_with(file, text, &LoadOptions::default())
}

pub fn load_with(path: &Path, opts: &LoadOptions) -> Loaded {
    load_with_inputs(path, opts, &vars::Inputs::default())
}

/// [`load_with`], with the values of variables and built-ins ([`vars`]) given.
pub fn load_with_inputs(path: &Path, opts: &LoadOptions, inputs: &vars::Inputs) -> Loaded {
    let file_err = |msg: String, hint: Option<&str>| {
        Loaded::failed(Diagnostic::file_level(
            Severity::Error,
            path,
            msg,
            hint.map(str::to_string),
        ))
    };
    let shown = path.display();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return file_err(format!("spec file `{shown}` does not exist"), None)
        }
        Err(e) => return file_err(format!("cannot read `{shown}`: {}", io_reason(&e)), None),
    };
    if meta.is_dir() {
        return file_err(
            format!("`{shown}` is a directory, not a spec file"),
            Some("pass the yaml files, e.g. `gwctl validate specs/*.yaml`"),
        );
    }
    if meta.len() > yaml::MAX_FILE_BYTES {
        return file_err(
            format!(
                "spec file is {} bytes; gwctl reads spec files up to {} bytes",
                meta.len(),
                yaml::MAX_FILE_BYTES
            ),
            Some("one spec file describes one api; split very large specs"),
        );
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    let read = std::fs::File::open(path)
        .and_then(|f| f.take(yaml::MAX_FILE_BYTES + 1).read_to_end(&mut bytes));
    if let Err(e) = read {
        return file_err(format!("cannot read `{shown}`: {}", io_reason(&e)), None);
    }
    if bytes.len() as u64 > yaml::MAX_FILE_BYTES {
        return file_err(
            format!("spec file is larger than {} bytes", yaml::MAX_FILE_BYTES),
            Some("one spec file describes one api; split very large specs"),
        );
    }
    load_bytes_inputs(path, &bytes, opts, inputs)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::NotFound => "no such file".into(),
        _ => {
            let s = e.to_string();
            // "Is a directory (os error 21)" -> "is a directory"
            let s = s.split(" (os error").next().unwrap_or(&s).to_string();
            s.to_lowercase()
        }
    }
}

/// Validate raw bytes (checks UTF-8 first).
pub fn load_bytes(file: &Path, bytes: &[u8], opts: &LoadOptions) -> Loaded {
    load_bytes_inputs(file, bytes, opts, &vars::Inputs::default())
}

fn load_bytes_inputs(
    file: &Path,
    bytes: &[u8],
    opts: &LoadOptions,
    inputs: &vars::Inputs,
) -> Loaded {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => load_str_inputs(file, text, opts, inputs),
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            let valid = std::str::from_utf8(valid).unwrap_or("");
            let line = valid.matches('\n').count() as u32 + 1;
            let line_start = valid.rfind('\n').map_or(0, |i| i + 1);
            let col = valid[line_start..].chars().count() as u32 + 1;
            let line_end = bytes[line_start..]
                .iter()
                .position(|b| *b == b'\n')
                .map_or(bytes.len(), |i| line_start + i);
            let source_line = String::from_utf8_lossy(&bytes[line_start..line_end])
                .trim_end_matches('\r')
                .to_string();
            // The bad byte may sit in a key value: mask the line as any excerpt is masked.
            let lossy = String::from_utf8_lossy(bytes);
            let lines: Vec<&str> = lossy.split('\n').collect();
            let source_line = if secrets::api_key_lines(&lines)
                .get(line as usize - 1)
                .copied()
                .unwrap_or(false)
            {
                secrets::mask_line(&source_line)
            } else {
                source_line
            };
            Loaded::failed(Diagnostic {
                severity: Severity::Error,
                file: file.to_path_buf(),
                line,
                col,
                len: 1,
                message: "spec file is not valid utf-8".into(),
                hint: Some("save the file as UTF-8".into()),
                source_line,
            })
        }
    }
}

pub fn load_str_with(file: &Path, text: &str, opts: &LoadOptions) -> Loaded {
    load_str_inputs(file, text, opts, &vars::Inputs::default())
}

/// [`load_str_with`], with the values of variables and built-ins ([`vars`]) given:
/// `${...}` are substituted before the reader and every check see the tree.
pub fn load_str_inputs(
    file: &Path,
    text: &str,
    opts: &LoadOptions,
    inputs: &vars::Inputs,
) -> Loaded {
    let src = Source::new(file, text);
    let root = match yaml::parse(text) {
        Ok(n) => n,
        Err(mut e) => {
            if e.hint.is_none() && src.line(e.pos.line).contains("${") {
                // `{name: todo-${environment}}`: braces end a flow mapping's plain value.
                e.hint = Some(vars::FLOW_HINT.into());
            }
            let mut d = src.diag(Severity::Error, e.pos, 1, e.message, e.hint);
            if src.is_secret_line(d.line) {
                // A parser message may quote a token (`duplicate key `...``): in the
                // api_keys section, one long enough to be a key value is not repeated.
                d.message = secrets::mask_quoted(&d.message);
            }
            return Loaded::failed(d);
        }
    };
    let resolved = vars::resolve(&src, &root, inputs);
    let root = resolved.root;
    let mut cx = read::Cx::new(&src, &root);
    let mut spec = read::read_spec(&mut cx, &root);
    if let Some(spec) = &mut spec {
        spec.vars = resolved.resolution;
    }
    if let Some(spec) = &spec {
        check::check(&mut cx, spec);
        // The offline placeholder region says nothing about where the user works.
        if let Some(region) = inputs
            .region
            .as_ref()
            .filter(|r| !r.source.starts_with("the offline placeholder"))
        {
            read::check_certificate_region(&mut cx, spec, &region.value);
        }
        // Lint only specs that are otherwise valid: on a broken spec it is noise.
        if opts.lint && !cx.diags.iter().any(Diagnostic::is_error) {
            check::lint(&mut cx, spec);
        }
    }
    vars::annotate(&mut cx.diags, file, &resolved.notes, &resolved.failed);
    cx.diags.extend(resolved.diags);
    let mut diagnostics = cx.take_diagnostics();
    sort_diagnostics(&mut diagnostics);
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    Loaded {
        spec: if has_errors { None } else { spec },
        diagnostics,
    }
}

fn sort_diagnostics(d: &mut Vec<Diagnostic>) {
    let key = |x: &Diagnostic| (x.line == 0, x.line, x.col);
    d.sort_by_key(key);
    d.dedup_by(|a, b| a.pos() == b.pos() && a.message == b.message);
}

/// A diagnostic about a spec position, raised after validation (by plan or apply: "function
/// `todo-create` does not exist"). Re-reads the spec file for the source line; the caret
/// covers the token at `pos`.
pub fn diagnostic_at(
    spec: &Spec,
    pos: model::Pos,
    severity: Severity,
    message: impl Into<String>,
    hint: Option<String>,
) -> Diagnostic {
    let text = std::fs::read(&spec.file)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let src = Source::new(&spec.file, &text);
    let line = src.line(pos.line);
    let len = token_width(line, pos.col);
    src.diag(severity, pos, len, message, hint)
}

/// Width of the YAML scalar starting at 1-based `col`: a quoted string up to its closing
/// quote, else up to the next flow indicator, comment or end of line.
fn token_width(line: &str, col: u32) -> u32 {
    let rest: Vec<char> = line.chars().skip(col.saturating_sub(1) as usize).collect();
    let n = match rest.first() {
        Some(q @ ('"' | '\'')) => rest[1..]
            .iter()
            .position(|c| c == q)
            .map_or(rest.len(), |i| i + 2),
        Some(_) => {
            let mut n = rest.len();
            for (i, c) in rest.iter().enumerate() {
                let next_space = rest.get(i + 1).is_none_or(|c| c.is_whitespace());
                if matches!(c, ',' | '}' | ']')
                    || (*c == '#' && i > 0 && rest[i - 1] == ' ')
                    || (*c == ':' && next_space)
                {
                    n = i;
                    break;
                }
            }
            rest[..n]
                .iter()
                .rev()
                .skip_while(|c| c.is_whitespace())
                .count()
        }
        None => 1,
    };
    n.max(1) as u32
}

/// A one-line description for `gwctl validate`: `rest api `todo-api`, 5 routes, 1 stage`.
pub fn summary(spec: &Spec) -> String {
    let kind = cx::kind_name(spec.api.kind);
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    format!(
        "{kind} api `{}`, {}, {}",
        spec.api.name.value,
        plural(spec.routes.len(), "route"),
        plural(spec.stages.len(), "stage")
    )
}

#[cfg(test)]
mod limits_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod vars_tests;
