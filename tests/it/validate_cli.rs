//! `gwctl validate` run as a user runs it: the built binary, real files, exit codes,
//! stdout for data and stderr for diagnostics.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde::Deserialize;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn gwctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gwctl"))
        .args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .output()
        .expect("run gwctl")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8 stderr")
}

fn write(dir: &Path, name: &str, text: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn shipped_specs_are_valid() {
    let o = gwctl(&[
        "validate",
        "specs/todo.yaml",
        "specs/tasks-apikey.yaml",
        "specs/items-http.yaml",
        "specs/hoge-custom.yaml",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "ok: specs/todo.yaml (rest api `todo-api`, 5 routes, 1 stage)\n\
         ok: specs/tasks-apikey.yaml (rest api `task-api`, 5 routes, 1 stage)\n\
         ok: specs/items-http.yaml (http api `items-api`, 4 routes, 1 stage)\n\
         ok: specs/hoge-custom.yaml (rest api `sample01`, 1 route, 1 stage)\n"
    );
    // No warnings either: the examples are meant to be copied.
    assert_eq!(stderr(&o), "");
}

#[test]
fn every_file_in_specs_is_valid() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("specs"))
        .unwrap()
        .map(|e| format!("specs/{}", e.unwrap().file_name().to_string_lossy()))
        .filter(|f| f.ends_with(".yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 4);
    let mut args = vec!["validate"];
    args.extend(files.iter().map(String::as_str));
    let o = gwctl(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), files.len());
}

const THREE_MISTAKES: &str = "\
api: {name: todo-api}
functions:
  todo-create: todo-create
stages: {prod: {}}
routes:
  - path: /todos
    method: POST
    fucntion: todo-create
  - path: /todos
    method: GET
    function: todo-crate
  - path: \"/todos/{id}\"
    method: GET
    integration: {function: todo-create, timeout_ms: 40000}
";

#[test]
fn three_unrelated_mistakes_are_all_reported() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "three.yaml", THREE_MISTAKES.as_bytes());
    let o = gwctl(&["validate", &f]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    let expected = format!(
        "error: unknown key `fucntion` in route
 --> {f}:8:5
  |
8 |     fucntion: todo-create
  |     ^^^^^^^^
  = hint: did you mean `function`?

error: unknown function `todo-crate`
  --> {f}:11:15
   |
11 |     function: todo-crate
   |               ^^^^^^^^^^
   = hint: did you mean `todo-create`?

error: `timeout_ms` must be between 50 and 29000, found `40000`
  --> {f}:14:54
   |
14 |     integration: {{function: todo-create, timeout_ms: 40000}}
   |                                                      ^^^^^
   = hint: rest api integrations time out after at most 29 s

error: 3 problems in {f}
"
    );
    assert_eq!(err, expected);
}

#[test]
fn warnings_do_not_fail() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "open.yaml",
        b"api: {name: a}\nfunctions: {f: f}\nstages: {prod: {}}\nroutes:\n  - {path: /x, method: GET, function: f}\n",
    );
    let o = gwctl(&["validate", &f]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        format!("ok: {f} (rest api `a`, 1 route, 1 stage), 1 warning\n")
    );
    assert!(stderr(&o).starts_with("warning: route `GET /x` has no authorization\n"));
    // --quiet keeps only errors and data.
    let o = gwctl(&["validate", "--quiet", &f]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stderr(&o), "");
}

#[test]
fn one_bad_file_fails_the_run_but_every_file_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad.yaml", THREE_MISTAKES.as_bytes());
    let o = gwctl(&["validate", &bad, "specs/todo.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "ok: specs/todo.yaml (rest api `todo-api`, 5 routes, 1 stage)\n"
    );
    assert!(stderr(&o).contains(&format!("error: 3 problems in {bad}\n")));
}

// Sanity bound for an unoptimized build on a shared machine; the parser refuses these in
// a few milliseconds (see the measurements in docs/spec.md).
const GENEROUS: Duration = Duration::from_secs(2);

#[test]
fn alias_bomb_is_refused_quickly() {
    let start = Instant::now();
    let o = gwctl(&["validate", "tests/fixtures/bad/alias-bomb.yaml"]);
    assert!(start.elapsed() < GENEROUS, "took {:?}", start.elapsed());
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with(
            "error: yaml aliases expand to more than 4000 nodes (an alias bomb?)\n --> tests/fixtures/bad/alias-bomb.yaml:6:17\n"
        ),
        "{err}"
    );
}

#[test]
fn deep_nesting_is_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("flow.yaml", "[".repeat(10_000) + &"]".repeat(10_000)),
        ("map.yaml", "{a: ".repeat(10_000) + &"}".repeat(10_000)),
        ("block.yaml", "- ".repeat(10_000) + "x\n"),
    ] {
        let f = write(dir.path(), name, text.as_bytes());
        let start = Instant::now();
        let o = gwctl(&["validate", &f]);
        assert!(
            start.elapsed() < GENEROUS,
            "{name} took {:?}",
            start.elapsed()
        );
        assert_eq!(o.status.code(), Some(1));
        let err = stderr(&o);
        assert!(
            err.starts_with(&format!(
                "error: yaml is nested more than 32 levels deep\n --> {f}:1:"
            )),
            "{err}"
        );
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Report {
    schema_version: u32,
    files: Vec<FileReport>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileReport {
    file: String,
    ok: bool,
    diagnostics: Vec<Diag>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Diag {
    severity: String,
    file: String,
    line: Option<u32>,
    col: Option<u32>,
    message: String,
    hint: Option<String>,
}

#[test]
fn json_output_is_a_versioned_document() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "three.yaml", THREE_MISTAKES.as_bytes());
    let empty = write(dir.path(), "empty.yaml", b"");
    let o = gwctl(&[
        "validate",
        "--output",
        "json",
        "specs/todo.yaml",
        &bad,
        &empty,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "", "json mode prints the document only");
    let r: Report = serde_json::from_slice(&o.stdout).expect("valid json");
    assert_eq!(r.schema_version, 1);
    assert_eq!(r.files.len(), 3);
    assert_eq!(r.files[0].file, "specs/todo.yaml");
    assert!(r.files[0].ok);
    assert!(r.files[0].diagnostics.is_empty());
    assert!(!r.files[1].ok);
    assert_eq!(r.files[1].diagnostics.len(), 3);
    assert_eq!(
        r.files[1].diagnostics[0],
        Diag {
            severity: "error".into(),
            file: bad.clone(),
            line: Some(8),
            col: Some(5),
            message: "unknown key `fucntion` in route".into(),
            hint: Some("did you mean `function`?".into()),
        }
    );
    assert_eq!(
        (
            r.files[1].diagnostics[2].line,
            r.files[1].diagnostics[2].col
        ),
        (Some(14), Some(54))
    );
    // No position: null line and col.
    assert_eq!(
        r.files[2].diagnostics[0],
        Diag {
            severity: "error".into(),
            file: empty.clone(),
            line: None,
            col: None,
            message: "spec file is empty".into(),
            hint: Some("a spec starts with `api: {name: my-api}` and a list of `routes:`".into()),
        }
    );
    // Valid specs alone: exit 0.
    let o = gwctl(&["validate", "--output", "json", "specs/todo.yaml"]);
    assert_eq!(o.status.code(), Some(0));
    let r: Report = serde_json::from_slice(&o.stdout).unwrap();
    assert!(r.files[0].ok);
}

#[test]
fn unreadable_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.yaml", b"");
    let latin1 = write(dir.path(), "latin1.yaml", b"api: {name: caf\xe9}\n");
    let d = dir.path().display().to_string();
    let missing = dir.path().join("nope.yaml").display().to_string();
    let cases = [
        (
            empty.clone(),
            format!("error: spec file is empty\n --> {empty}\n"),
        ),
        (
            latin1.clone(),
            format!(
                "error: spec file is not valid utf-8\n --> {latin1}:1:16\n  |\n1 | api: {{name: caf\u{fffd}}}\n  |                ^\n  = hint: save the file as UTF-8\n"
            ),
        ),
        (
            d.clone(),
            format!("error: `{d}` is a directory, not a spec file\n --> {d}\n"),
        ),
        (
            missing.clone(),
            format!("error: spec file `{missing}` does not exist\n --> {missing}\n"),
        ),
    ];
    for (file, start) in cases {
        let o = gwctl(&["validate", &file]);
        assert_eq!(o.status.code(), Some(1), "{file}");
        let err = stderr(&o);
        assert!(err.starts_with(&start), "{err}");
        assert!(
            err.ends_with(&format!("error: 1 problem in {file}\n")),
            "{err}"
        );
        assert!(!err.contains("panicked"));
    }
}

#[test]
fn color_is_used_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "three.yaml", THREE_MISTAKES.as_bytes());
    let o = gwctl(&["validate", "--color", "always", &bad]);
    assert!(stderr(&o).starts_with("\x1b[1;31merror\x1b[0m"));
    // Not a terminal: no colour by default.
    let o = gwctl(&["validate", &bad]);
    assert!(!stderr(&o).contains('\x1b'));
}

/// Every malformed spec in tests/fixtures/bad exits 1 and reports, first, the problem its
/// `# expect:` line names, at that `line:col` (`-` when the problem has no position); an
/// optional `# args:` line after it gives flags (`--var`, `--env`).
#[test]
fn every_bad_fixture_fails_with_its_position() {
    let dir = root().join("tests/fixtures/bad");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 40, "{} fixtures", files.len());
    for path in files {
        let rel = format!(
            "tests/fixtures/bad/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        let bytes = std::fs::read(&path).unwrap();
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(400)]).into_owned();
        let mut lines = head.lines();
        assert!(
            lines.next().unwrap().starts_with("# wrong: "),
            "{rel}: first line says what is wrong"
        );
        let expect = lines
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{rel}: second line is `# expect: LINE:COL MESSAGE`"));
        let (at, message) = expect.split_once(' ').unwrap();
        // An optional third line gives flags (`# args: --var rate=fast`).
        let extra: Vec<&str> = lines
            .next()
            .and_then(|l| l.strip_prefix("# args: "))
            .map(|a| a.split_whitespace().collect())
            .unwrap_or_default();
        let start = Instant::now();
        let mut args = vec!["validate", rel.as_str()];
        args.extend(extra);
        let o = gwctl(&args);
        assert!(
            start.elapsed() < GENEROUS,
            "{rel} took {:?}",
            start.elapsed()
        );
        assert_eq!(o.status.code(), Some(1), "{rel}");
        let err = stderr(&o);
        let location = if at == "-" {
            rel.clone()
        } else {
            format!("{rel}:{at}")
        };
        // Warnings may come first (diagnostics are in file order): find the first error.
        let first = err
            .find("error: ")
            .map(|i| &err[i..])
            .unwrap_or_else(|| panic!("{rel}: no error in:\n{err}"));
        assert!(
            first.starts_with(&format!("error: {message}\n")),
            "{rel}: expected `error: {message}`, got:\n{err}"
        );
        assert!(
            first
                .lines()
                .nth(1)
                .unwrap()
                .ends_with(&format!("--> {location}")),
            "{rel}: expected `{location}`, got:\n{err}"
        );
        if at != "-" {
            assert!(
                first.lines().nth(4).unwrap().contains('^'),
                "{rel}: caret\n{err}"
            );
        }
        assert!(!err.contains("panicked"), "{rel}");
        assert_eq!(stdout(&o), "", "{rel}");
    }
}

#[test]
fn literal_api_key_values_are_never_printed() {
    let o = gwctl(&["validate", "tests/fixtures/bad/literal-api-key-value.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("api key values must not be written in a spec"));
    assert!(!err.contains("abcdefghij0123456789"), "{err}");
    let o = gwctl(&[
        "validate",
        "--output",
        "json",
        "tests/fixtures/bad/literal-api-key-value.yaml",
    ]);
    assert!(!stdout(&o).contains("abcdefghij0123456789"));
}

/// Issue 15, items 6 and 7: each AWS limit and each new CORS / stage check, through the
/// binary: fixed limits fail (exit 1), raisable ones and the CORS key-header check warn
/// (exit 0), each with `file:line:col`; an invalid stage does not also warn "no `stages`".
#[test]
fn aws_limits_and_cors_checks_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let list = |n: usize, p: &str| {
        (0..n)
            .map(|i| format!("{p}{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let map = |n: usize, p: &str| {
        (0..n)
            .map(|i| format!("{p}{i}: x"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let head = "api: {name: a}\nfunctions: {f: f}\ndefault_auth: none\nroutes: [{path: /x, method: GET, function: f}]\n";
    let dest = "arn:aws:logs:us-east-1:123456789012:log-group:g";
    let cases: Vec<(&str, String, i32, &str, &str)> = vec![
        (
            "vars",
            format!("{head}stages:\n  prod: {{variables: {{{}}}}}\n", map(101, "v")),
            1,
            "6:21",
            "error: 101 stage variables per stage; API Gateway allows 100",
        ),
        (
            "log",
            format!(
                "{head}stages:\n  prod: {{access_log: {{destination: \"{dest}\", format: \"$context.requestId{}\"}}}}\n",
                "x".repeat(3100)
            ),
            1,
            "6:",
            "error: access log `format` is 3118 bytes; API Gateway allows 3072 (3 KB)",
        ),
        (
            "tags",
            format!(
                "api: {{name: a, tags: {{{}}}}}\nfunctions: {{f: f}}\ndefault_auth: none\nroutes: [{{path: /x, method: GET, function: f}}]\nstages: {{prod: {{}}}}\n",
                map(50, "k")
            ),
            1,
            "1:22",
            "error: 51 tags per api (with 1 gwctl adds); API Gateway allows 50",
        ),
        (
            "scopes",
            format!(
                "api: {{name: a, kind: http}}\nfunctions: {{f: f}}\nauthorizers:\n  j: {{type: jwt, issuer: \"https://i.example\", audience: [{}]}}\nroutes:\n  - {{path: /x, method: GET, function: f, auth: j, scopes: [{}]}}\nstages: {{$default: {{auto_deploy: true}}}}\n",
                list(51, "a"),
                list(11, "s")
            ),
            1,
            "4:",
            "error: 51 audiences per jwt authorizer; API Gateway allows 50",
        ),
        (
            "stages",
            format!(
                "{head}stages:\n{}",
                (0..11).map(|i| format!("  s{i}: {{}}\n")).collect::<String>()
            ),
            0,
            "16:3",
            "warning: 11 stages per api; API Gateway allows 10",
        ),
        (
            "apikey-cors",
            "api: {name: a}\nfunctions: {f: f}\ncors: {origins: [\"https://a.example\"], headers: [Content-Type]}\nroutes:\n  - {path: /x, method: GET, function: f, api_key_required: true}\nstages: {prod: {}}\napi_keys: {web: {}}\nusage_plans: {basic: {stages: [prod], keys: [web]}}\n".to_string(),
            0,
            "5:12",
            "warning: route `GET /x` requires an api key, but `cors.headers` does not allow `X-Api-Key`: a browser's preflight for it fails",
        ),
    ];
    for (name, text, code, at, first) in cases {
        let f = write(dir.path(), &format!("{name}.yaml"), text.as_bytes());
        let o = gwctl(&["validate", "--quiet", &f]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(code), "{name}:\n{err}");
        let shown = gwctl(&["validate", &f]);
        let err = stderr(&shown);
        let start = err
            .find(first)
            .unwrap_or_else(|| panic!("{name}: no `{first}` in:\n{err}"));
        let location = err[start..].lines().nth(1).unwrap();
        assert!(
            location.contains(&format!("{f}:{at}")),
            "{name}: `{location}` is not at {at}"
        );
    }
    // An invalid stage: its error, and no "no `stages`" warning beside it.
    let f = write(
        dir.path(),
        "null-stage.yaml",
        format!("{head}stages:\n  prod: null\n").as_bytes(),
    );
    let o = gwctl(&["validate", &f]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains(&format!("{f}:6:9")), "{err}");
    assert!(!err.contains("no `stages`"), "{err}");
}

/// `validate A.yaml B.yaml ...` refuses what `plan`/`apply` with the same specs refuse before
/// any call: two specs describing one API (kind and name) in one region and profile. Every
/// spec is still checked and reported; exit 1. Other kinds or regions of one name pass.
#[test]
fn two_specs_of_one_api_are_refused_and_every_spec_is_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    let api = |name: &str, kind: &str| {
        format!(
            "version: 1\napi: {{name: {name}, kind: {kind}}}\nfunctions: {{f: f}}\nroutes:\n  - {{path: /x, method: GET, function: f, auth: none}}\nstages: {{prod: {{}}}}\n"
        )
    };
    let a = write(dir.path(), "a.yaml", api("same", "rest").as_bytes());
    let b = write(dir.path(), "b.yaml", api("same", "rest").as_bytes());
    let http = write(dir.path(), "http.yaml", api("same", "http").as_bytes());
    let bad = write(dir.path(), "bad.yaml", THREE_MISTAKES.as_bytes());
    let o = gwctl(&["validate", "--region", "eu-west-1", &a, &b, &http, &bad]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{a} and {b} both describe the rest api `same`")),
        "{err}"
    );
    assert!(err.contains(&format!("error: 1 problem in {b}\n")), "{err}");
    assert!(
        err.contains(&format!("error: 3 problems in {bad}\n")),
        "{err}"
    );
    assert_eq!(
        stdout(&o),
        format!(
            "ok: {a} (rest api `same`, 1 route, 1 stage)\nok: {http} (http api `same`, 1 route, 1 stage)\n"
        )
    );

    // The JSON document says the same of the second spec.
    let o = gwctl(&[
        "validate",
        "--region",
        "eu-west-1",
        "--output",
        "json",
        &a,
        &b,
    ]);
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["files"][0]["ok"], true);
    assert_eq!(doc["files"][1]["ok"], false);
    let message = doc["files"][1]["diagnostics"][0]["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("both describe the rest api `same`"),
        "{message}"
    );

    // The same spec given twice is the same API twice.
    let o = gwctl(&["validate", "--region", "eu-west-1", &a, &a]);
    assert_eq!(o.status.code(), Some(1));
}
