//! Where the reader and the checks put their diagnostics: [`Cx`], with the token widths
//! by position and the values that must never be shown (possible key values).

use std::collections::HashMap;

use super::diag::{Diagnostic, Severity, Source};
use super::model::*;
use super::secrets;
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
            secret_texts: secrets::value_texts(root),
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
            d.message = secrets::mask_text(&d.message, &self.secret_texts);
            d.hint = d
                .hint
                .as_deref()
                .map(|h| secrets::mask_text(h, &self.secret_texts));
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
        ApiKind::WebSocket => "websocket",
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
