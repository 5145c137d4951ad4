//! Every document is checked against the code:
//! - docs/cli.md is generated from the clap definitions (`GWCTL_BLESS=1` rewrites it);
//! - every `gwctl` command line in README.md and docs/*.md (shell, console and CI blocks)
//!   parses with the real argument parser;
//! - every ```` ```sh test ```` block runs, in order, with `bash -e -o pipefail` against the
//!   emulator, from a scratch directory holding a copy of `specs/`;
//! - every command of the CI workflows in docs/ci.md is one the executed block runs;
//! - every JSON example of docs/json.md parses into its documented struct and shows all of
//!   its fields;
//! - the spec schema (`gwctl schema`) accepts every spec in specs/ and docs, and rejects what
//!   the spec reader rejects structurally (checked by an independent draft 2020-12 validator,
//!   python-jsonschema from the emulator's virtualenv).

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use gwctl::cli::doctor::DoctorDoc;
use gwctl::cli::lifecycle::{DeployDoc, DestroyDoc, ShowDoc};
use gwctl::cli::validate::Report;
use gwctl::output::{ApplyDoc, PlanDoc};
use serde_json::Value;

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// README.md and every docs/*.md, in name order.
fn documents() -> Vec<(String, String)> {
    let mut files = vec!["README.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(repo("docs"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.ends_with(".md").then(|| format!("docs/{name}"))
        })
        .collect();
    docs.sort();
    files.extend(docs);
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(repo(&f)).unwrap();
            (f, text)
        })
        .collect()
}

struct Block {
    file: String,
    /// 1-based line of the first line of the body.
    line: usize,
    /// The info string: `sh test`, `yaml`, `json`, ...
    info: String,
    body: String,
}

fn blocks(file: &str, text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<(usize, usize, String, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let t = line.trim_start();
        match &mut current {
            None if t.starts_with("```") => {
                current = Some((i + 2, indent, t[3..].trim().to_string(), String::new()))
            }
            Some(_) if t == "```" => {
                let (l, _, info, body) = current.take().unwrap();
                out.push(Block {
                    file: file.to_string(),
                    line: l,
                    info,
                    body,
                });
            }
            Some((_, fence, _, body)) => {
                body.push_str(line.get(*fence..).unwrap_or(""));
                body.push('\n');
            }
            None => {}
        }
    }
    out
}

fn all_blocks() -> Vec<Block> {
    documents().iter().flat_map(|(f, t)| blocks(f, t)).collect()
}

#[test]
fn docs_cli_md_is_generated_from_the_clap_definitions() {
    let want = gwctl::cli::reference::markdown();
    let path = repo("docs/cli.md");
    if std::env::var_os("GWCTL_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/cli.md is out of date with the CLI: run `GWCTL_BLESS=1 cargo test --test docs`"
    );
}

// ------------------------------------------------------------------ command lines

#[derive(Debug, PartialEq)]
enum Tok {
    Word(String),
    /// `;`, `&&`, `||`, `|`, `&`, `(`, `)`.
    Op,
    /// `>`, `>>`, `<`, `2>`, ...: the next word is its target.
    Redirect,
}

/// Split one shell line into words (quotes resolved, nothing expanded) and operators; an
/// unquoted `#` at the start of a word ends the line.
fn shell_tokens(line: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let flush = |word: &mut String, in_word: &mut bool, toks: &mut Vec<Tok>| {
        if *in_word {
            toks.push(Tok::Word(std::mem::take(word)));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for d in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                    word.push(d);
                }
            }
            '"' => {
                in_word = true;
                while let Some(d) = chars.next() {
                    match d {
                        '"' => break,
                        '\\' => {
                            if let Some(e) = chars.next() {
                                word.push(e);
                            }
                        }
                        _ => word.push(d),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(e) = chars.next() {
                    word.push(e);
                }
            }
            '#' if !in_word => break,
            ' ' | '\t' => flush(&mut word, &mut in_word, &mut toks),
            ';' | '|' | '&' | '(' | ')' => {
                flush(&mut word, &mut in_word, &mut toks);
                while chars.peek().is_some_and(|d| matches!(d, '|' | '&')) {
                    chars.next();
                }
                toks.push(Tok::Op);
            }
            '>' | '<' => {
                // `2>` and `&>`: the digits before belong to the redirection
                if in_word && word.chars().all(|d| d.is_ascii_digit()) {
                    word.clear();
                    in_word = false;
                }
                flush(&mut word, &mut in_word, &mut toks);
                while chars.peek().is_some_and(|d| matches!(d, '>' | '&')) {
                    chars.next();
                }
                toks.push(Tok::Redirect);
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    flush(&mut word, &mut in_word, &mut toks);
    toks
}

const COMMAND_STARTERS: &[&str] = &["then", "do", "else", "if", "!", "time", "exec"];

/// The argument lists of every `gwctl` command on a shell line.
fn invocations(line: &str) -> Vec<Vec<String>> {
    let toks = shell_tokens(line);
    let mut out = Vec::new();
    let mut at_start = true;
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Tok::Op => at_start = true,
            Tok::Redirect => i += 1,
            Tok::Word(w) if at_start && COMMAND_STARTERS.contains(&w.as_str()) => {}
            Tok::Word(w) if at_start && w.contains('=') && !w.starts_with('-') => {} // VAR=value
            Tok::Word(w) if at_start && w == "gwctl" => {
                let mut args = Vec::new();
                let mut j = i + 1;
                while j < toks.len() {
                    match &toks[j] {
                        Tok::Op => break,
                        Tok::Redirect => j += 1,
                        Tok::Word(a) => args.push(a.clone()),
                    }
                    j += 1;
                }
                if !args.is_empty() {
                    out.push(args);
                }
                i = j;
                at_start = true;
                continue;
            }
            Tok::Word(_) => at_start = false,
        }
        i += 1;
    }
    out
}

/// Shell lines of a block: `$ ` prompts of console blocks only, continuation lines joined,
/// and in YAML the commands of `run:` / `script:` entries.
fn command_lines(b: &Block) -> Vec<(usize, String)> {
    let lang = b.info.split_whitespace().next().unwrap_or("");
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in b.body.lines().enumerate() {
        let n = b.line + i;
        let line = match lang {
            "sh" | "bash" | "shell" => raw.to_string(),
            "console" => match raw.strip_prefix("$ ") {
                Some(l) => l.to_string(),
                None => continue,
            },
            "yaml" | "yml" => {
                let t = raw.trim_start();
                let t = t.strip_prefix("- ").unwrap_or(t);
                let t = t
                    .strip_prefix("run:")
                    .or_else(|| t.strip_prefix("script:"))
                    .unwrap_or(t);
                t.trim().to_string()
            }
            _ => return Vec::new(),
        };
        let (start, mut text) = pending.take().unwrap_or((n, String::new()));
        text.push_str(&line);
        if let Some(cont) = text.strip_suffix('\\') {
            pending = Some((start, cont.to_string()));
        } else {
            out.push((start, text));
        }
    }
    out.extend(pending);
    out
}

#[test]
fn every_gwctl_command_line_in_the_docs_parses() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for b in all_blocks() {
        for (line, text) in command_lines(&b) {
            for args in invocations(&text) {
                checked += 1;
                let argv = std::iter::once("gwctl".to_string()).chain(args.iter().cloned());
                match gwctl::cli::command().try_get_matches_from(argv) {
                    Ok(_) => {}
                    Err(e)
                        if matches!(
                            e.kind(),
                            clap::error::ErrorKind::DisplayHelp
                                | clap::error::ErrorKind::DisplayVersion
                        ) => {}
                    Err(e) => failures.push(format!("{}:{line}: `{text}`\n{e}", b.file)),
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 50, "only {checked} gwctl command lines found");
}

#[test]
fn the_command_line_splitter_finds_commands_not_words() {
    assert_eq!(
        invocations(r#"code=0; gwctl plan "$SPEC" --out plan.json > plan.txt || code=$?"#),
        vec![vec!["plan", "$SPEC", "--out", "plan.json"]]
    );
    assert_eq!(
        invocations(r####"echo "### gwctl plan: `x`"; if gwctl apply p.json; then exit 1; fi"####),
        vec![vec!["apply", "p.json"]]
    );
    assert_eq!(
        invocations("name: Install gwctl  # gwctl plan x"),
        Vec::<Vec<String>>::new()
    );
    assert_eq!(
        invocations("gwctl man 2>/dev/null | man -l -"),
        vec![vec!["man"]]
    );
}

#[test]
fn every_ci_workflow_command_is_run_by_the_executed_example() {
    let text = std::fs::read_to_string(repo("docs/ci.md")).unwrap();
    let bs = blocks("docs/ci.md", &text);
    let executed: Vec<Vec<String>> = bs
        .iter()
        .filter(|b| b.info == "sh test")
        .flat_map(command_lines)
        .flat_map(|(_, l)| invocations(&l))
        .collect();
    let mut workflows = 0;
    for b in bs.iter().filter(|b| b.info == "yaml") {
        gwctl::spec::yaml::parse(&b.body)
            .unwrap_or_else(|e| panic!("docs/ci.md:{}: not YAML: {e:?}", b.line));
        workflows += 1;
        for (line, l) in command_lines(b) {
            for args in invocations(&l) {
                assert!(
                    executed.contains(&args),
                    "docs/ci.md:{line}: `gwctl {}` is not run by the executed example",
                    args.join(" ")
                );
            }
        }
    }
    assert_eq!(
        workflows, 3,
        "the GitHub and the GitLab workflow, and the promotion one"
    );
}

// ------------------------------------------------------------------ executed examples

#[tokio::test]
async fn every_sh_test_block_runs_against_the_emulator() {
    let em = support::emulator().await;
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_gwctl"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut ran = 0;
    for b in all_blocks().into_iter().filter(|b| b.info == "sh test") {
        // a fresh account with the functions of the example specs
        em.reset();
        em.create_functions(&[
            "todo-create",
            "todo-list",
            "todo-get",
            "todo-update",
            "todo-delete",
        ])
        .await;
        // specs/todo-envs.yaml's, per environment.
        let per_env: Vec<String> = ["dev", "prod"]
            .iter()
            .flat_map(|e| {
                ["create", "list", "get", "update", "delete"]
                    .iter()
                    .map(move |v| format!("todo-{v}-{e}"))
            })
            .collect();
        em.create_functions(&per_env.iter().map(String::as_str).collect::<Vec<_>>())
            .await;
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&repo("specs"), &dir.path().join("specs"));
        let o = Command::new("bash")
            .args(["-e", "-o", "pipefail", "-c", &b.body])
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("AWS_ENDPOINT_URL", em.endpoint())
            .env("AWS_REGION", support::REGION)
            .env("AWS_ACCESS_KEY_ID", support::ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", "gwctl-docs-secret")
            .env_remove("AWS_PROFILE")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("CI", "true")
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{}:{}: the example failed ({}):\n{}\n--- stdout\n{}\n--- stderr\n{}",
            b.file,
            b.line,
            o.status,
            b.body,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        ran += 1;
    }
    assert!(ran >= 5, "only {ran} executed examples");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

// ------------------------------------------------------------------ JSON examples

/// Every key of every object in `full` (the struct as serialised) is in `shown`.
fn all_fields_shown(full: &Value, shown: &Value, at: &str, missing: &mut Vec<String>) {
    match (full, shown) {
        (Value::Object(f), Value::Object(s)) => {
            for (k, v) in f {
                match s.get(k) {
                    Some(sv) => all_fields_shown(v, sv, &format!("{at}.{k}"), missing),
                    None => missing.push(format!("{at}.{k}")),
                }
            }
        }
        (Value::Array(f), Value::Array(s)) => {
            for (i, (fv, sv)) in f.iter().zip(s).enumerate() {
                all_fields_shown(fv, sv, &format!("{at}[{i}]"), missing);
            }
        }
        _ => {}
    }
}

fn check_doc<T: serde::de::DeserializeOwned + serde::Serialize>(v: &Value, at: &str) {
    let parsed: T = serde_json::from_value(v.clone())
        .unwrap_or_else(|e| panic!("{at}: the example does not match its struct: {e}"));
    let full = serde_json::to_value(&parsed).unwrap();
    let mut missing = Vec::new();
    all_fields_shown(&full, v, "", &mut missing);
    assert!(
        missing.is_empty(),
        "{at}: the example leaves out {}",
        missing.join(", ")
    );
}

#[test]
fn every_json_example_parses_into_its_documented_struct_with_every_field() {
    let text = std::fs::read_to_string(repo("docs/json.md")).unwrap();
    let mut seen = Vec::new();
    for b in blocks("docs/json.md", &text)
        .into_iter()
        .filter(|b| b.info == "json")
    {
        let at = format!("docs/json.md:{}", b.line);
        let v: Value =
            serde_json::from_str(&b.body).unwrap_or_else(|e| panic!("{at}: not JSON: {e}"));
        let kind = v["command"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| {
                assert!(v.get("files").is_some(), "{at}: which document is this?");
                "validate".into()
            });
        if v["result"] == "error" {
            check_doc::<gwctl::output::FailureDoc>(&v, &at);
            seen.push("error".to_string());
            continue;
        }
        if v.get("apis").is_some() {
            // Several specs in one run (docs/json.md "Several specs in one run").
            match kind.as_str() {
                "plan" => check_doc::<gwctl::cli::multi::ManyPlanDoc>(&v, &at),
                "apply" => check_doc::<gwctl::cli::multi::ManyApplyDoc>(&v, &at),
                "destroy" => check_doc::<gwctl::cli::multi::ManyDestroyDoc>(&v, &at),
                other => panic!("{at}: `{other}` takes one spec"),
            }
            seen.push(format!("{kind} (several specs)"));
            continue;
        }
        match kind.as_str() {
            "plan" => check_doc::<PlanDoc>(&v, &at),
            "apply" => check_doc::<ApplyDoc>(&v, &at),
            "deploy" => check_doc::<DeployDoc>(&v, &at),
            "destroy" => check_doc::<DestroyDoc>(&v, &at),
            "show" => check_doc::<ShowDoc>(&v, &at),
            "doctor" => check_doc::<DoctorDoc>(&v, &at),
            "cors enable" | "cors disable" => check_doc::<ApplyDoc>(&v, &at),
            "verify" => check_doc::<gwctl::cli::verify::VerifyDoc>(&v, &at),
            "validate" => check_doc::<Report>(&v, &at),
            "version" => check_doc::<gwctl::cli::version::VersionDoc>(&v, &at),
            "export" => check_doc::<gwctl::cli::export::ExportDoc>(&v, &at),
            other => panic!("{at}: unknown command `{other}`"),
        }
        seen.push(kind);
    }
    seen.sort();
    // At least one example per verb (show has one per API kind).
    seen.dedup();
    assert_eq!(
        seen,
        [
            "apply",
            "apply (several specs)",
            "cors enable",
            "deploy",
            "destroy",
            "destroy (several specs)",
            "doctor",
            "error",
            "export",
            "plan",
            "plan (several specs)",
            "show",
            "validate",
            "verify",
            "version"
        ],
        "one example per verb with a JSON document"
    );
}

#[test]
fn every_complete_spec_example_outside_the_reference_validates() {
    let mut n = 0;
    for b in all_blocks() {
        if b.info != "yaml" || b.file == "docs/spec.md" || b.file == "docs/ci.md" {
            continue;
        }
        if !b.body.lines().any(|l| l.starts_with("routes:")) {
            continue;
        }
        let file = format!("{}:{}", b.file, b.line);
        let loaded = gwctl::spec::load_str(Path::new(&file), &b.body);
        let rendered: String = loaded.diagnostics.iter().map(|d| d.render(false)).collect();
        assert!(!loaded.has_errors(), "{file}:\n{}\n{rendered}", b.body);
        n += 1;
    }
    assert!(n >= 2, "README and docs/editors.md hold complete specs");
}

// ------------------------------------------------------------------ the schema

const VALIDATOR: &str = r#"
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema)
out = []
for doc in json.load(open(sys.argv[2])):
    out.append(sorted(e.message for e in v.iter_errors(doc)))
print(json.dumps(out))
"#;

/// Errors the draft 2020-12 validator finds in each instance.
fn schema_errors(instances: &[Value]) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("schema.json");
    let docs = dir.path().join("docs.json");
    let out = Command::new(env!("CARGO_BIN_EXE_gwctl"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::write(&schema, &out.stdout).unwrap();
    std::fs::write(&docs, serde_json::to_vec(instances).unwrap()).unwrap();
    let python = support::moto_server_binary()
        .parent()
        .unwrap()
        .join("python");
    let o = Command::new(&python)
        .args(["-c", VALIDATOR])
        .arg(&schema)
        .arg(&docs)
        .output()
        .unwrap_or_else(|e| panic!("run `{}`: {e}", python.display()));
    assert!(
        o.status.success(),
        "python-jsonschema (from the emulator's virtualenv) failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn as_json(yaml: &str) -> Value {
    let node = gwctl::spec::yaml::parse(yaml).unwrap_or_else(|e| panic!("{e:?}\n{yaml}"));
    gwctl::spec::schema::yaml_to_json(&node)
}

fn spec_examples() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo("specs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        out.push((
            f.display().to_string(),
            std::fs::read_to_string(&f).unwrap(),
        ));
    }
    for b in all_blocks() {
        if b.info == "yaml"
            && b.file != "docs/ci.md"
            && b.body.lines().any(|l| l.starts_with("routes:"))
        {
            out.push((format!("{}:{}", b.file, b.line), b.body));
        }
    }
    out
}

#[test]
fn the_schema_accepts_every_example_spec_and_rejects_what_the_reader_rejects() {
    let examples = spec_examples();
    assert!(examples.len() >= 20, "{}", examples.len());
    let todo = std::fs::read_to_string(repo("specs/todo.yaml")).unwrap();
    // (edit, whether the spec reader and the schema must accept it)
    let variants: Vec<(&str, String, bool)> = vec![
        (
            "top-level `rotues`",
            todo.replace("routes:", "rotues:"),
            false,
        ),
        (
            "route `fucntion`",
            todo.replacen("function: todo-list", "fucntion: todo-list", 1),
            false,
        ),
        (
            "stage `loging`",
            todo.replace("logging: INFO", "loging: INFO"),
            false,
        ),
        ("cors `orgins`", todo.replace("origins:", "orgins:"), false),
        (
            "api `nmae`",
            todo.replace("name: todo-api", "nmae: todo-api"),
            false,
        ),
        (
            "logging `VERBOSE`",
            todo.replace("logging: INFO", "logging: VERBOSE"),
            false,
        ),
        (
            "max_age -1",
            todo.replace("max_age: 600", "max_age: -1"),
            false,
        ),
        (
            "metrics as a string",
            todo.replace("metrics: true", "metrics: \"yes\""),
            false,
        ),
        (
            "routes as a mapping",
            todo.replace("routes:\n", "routes:\n  x: 1\n")
                .replace("  - {path", "  # {path"),
            false,
        ),
        (
            "an unknown `x-` key",
            todo.replace("version: 1", "version: 1\nx-anchors: {a: 1}"),
            true,
        ),
        (
            "logging in lower case",
            todo.replace("logging: INFO", "logging: info"),
            true,
        ),
        (
            "method in lower case",
            todo.replace("method: GET", "method: get"),
            true,
        ),
    ];
    let mut instances: Vec<Value> = examples.iter().map(|(_, y)| as_json(y)).collect();
    instances.extend(variants.iter().map(|(_, y, _)| as_json(y)));
    let errors = schema_errors(&instances);
    for ((name, _), errs) in examples.iter().zip(&errors) {
        assert!(
            errs.is_empty(),
            "{name} does not validate against the schema: {errs:?}"
        );
    }
    for ((what, yaml, ok), errs) in variants.iter().zip(&errors[examples.len()..]) {
        let reader_ok = !gwctl::spec::load_str(Path::new("variant.yaml"), yaml).has_errors();
        assert_eq!(reader_ok, *ok, "the spec reader on {what}");
        assert_eq!(errs.is_empty(), *ok, "the schema on {what}: {errs:?}");
    }
    // a misspelled key is named
    let misspelled = &errors[examples.len() + 1];
    assert!(
        misspelled.iter().any(|e| e.contains("'fucntion'")),
        "{misspelled:?}"
    );
}
