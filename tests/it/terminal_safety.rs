//! Control characters from the spec or the account never reach the terminal raw (issue 15,
//! item 3): ESC sequences, C1 controls and Unicode bidi controls in names, descriptions,
//! unknown keys, spec excerpts and AWS's messages are escaped visibly in text output and as
//! `\uXXXX` in JSON, which still parses to the original strings. Run as a user would: the
//! real binary, stdout and stderr as bytes.

use std::process::Output;

use crate::support;
use crate::support::cli::write;
use gwctl::cli::validate::Report;
use gwctl::output::{ApplyDoc, FailureDoc, PlanDoc};
use gwctl::term::is_unsafe;

/// Erases the line, moves up, erases it too and prints a reassuring line: in a description,
/// this used to hide the pending change and show "No changes." instead.
const ERASE: &str = "\x1b[2K\x1b[1A\x1b[2K\rNo changes. rest api `x` matches the spec.\u{202e}";
/// The same, as a YAML double-quoted scalar.
const ERASE_YAML: &str = r#""\e[2K\e[1A\e[2K\rNo changes. rest api `x` matches the spec.\u202e""#;
/// An API name with an erase sequence and a right-to-left override.
const NAME: &str = "ts\x1b[2K\u{202e}api";
const NAME_YAML: &str = r#""ts\e[2K\u202eapi""#;

fn spec(description_yaml: &str) -> String {
    format!(
        "version: 1\napi:\n  name: {NAME_YAML}\n  kind: rest\n  description: {description_yaml}\n\
         default_auth: none\nroutes:\n  - {{path: /a, method: GET, integration: {{type: http_proxy, \
         uri: \"https://example.com/a\"}}}}\nstages:\n  prod: {{description: \"st\\e]0;pwned\\a\"}}\n"
    )
}

/// Neither stream holds a character a terminal would act on (no colour: the runs have
/// NO_COLOR and no terminal).
#[track_caller]
fn assert_safe(o: &Output) -> (String, String) {
    let out = String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8");
    let err = String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8");
    for (name, s) in [("stdout", &out), ("stderr", &err)] {
        let bad: Vec<char> = s.chars().filter(|c| is_unsafe(*c)).collect();
        assert!(
            bad.is_empty(),
            "raw control characters {bad:?} on {name}:\n{}",
            s.escape_debug()
        );
    }
    (out, err)
}

fn gwctl(endpoint: &str, args: &[&str]) -> Output {
    support::gwctl_at(endpoint, args)
}

#[test]
fn validate_and_plan_escape_unknown_keys_routes_names_and_excerpts_json_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    // An unknown key with ESC and U+202E in it, a raw ESC in the file (an excerpt), a name.
    let bad = write(
        &dir,
        "bad.yaml",
        &format!(
            "version: 1\napi:\n  name: {NAME_YAML}\n  kind: rest\n  \"de\\e[31mscr\\u202e\": 1\n\
             default_auth: none\nroutes:\n  - {{path: /a, method: GET, integration: {{type: mock}}}}\n"
        ),
    );
    let raw = write(
        &dir,
        "raw.yaml",
        "version: 1\napi: {name: \"a\x1b[2Kb\", kind: rest}\n",
    );
    let good = write(&dir, "good.yaml", &spec(ERASE_YAML));
    for p in [&bad, &raw] {
        let o = gwctl("http://127.0.0.1:9", &["validate", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1));
        let (_, err) = assert_safe(&o);
        assert!(err.contains("\\x1b["), "escaped form visible:\n{err}");
    }
    let (_, err) = assert_safe(&gwctl(
        "http://127.0.0.1:9",
        &["validate", bad.to_str().unwrap()],
    ));
    assert!(err.contains("`de\\x1b[31mscr\\u{202e}`"), "{err}");
    // The caret of the raw ESC's excerpt sits under its escaped form.
    let (_, err) = assert_safe(&gwctl(
        "http://127.0.0.1:9",
        &["validate", raw.to_str().unwrap()],
    ));
    let lines: Vec<&str> = err.lines().collect();
    let at = lines.iter().position(|l| l.contains("a\\x1b[2Kb")).unwrap();
    let code = lines[at].split_once("| ").unwrap().1;
    let caret = lines[at + 1].split_once("| ").unwrap().1;
    let col = caret.find('^').unwrap();
    assert_eq!(&code[col..col + 4], "\\x1b", "{err}");

    let o = gwctl("http://127.0.0.1:9", &["validate", good.to_str().unwrap()]);
    let (out, _) = assert_safe(&o);
    assert_eq!(o.status.code(), Some(0));
    assert!(out.contains("ts\\x1b[2K\\u{202e}api"), "{out}");

    let o = gwctl(
        "http://127.0.0.1:9",
        &["validate", bad.to_str().unwrap(), "--output", "json"],
    );
    let (out, _) = assert_safe(&o);
    assert!(out.contains("\\u202e") && out.contains("\\u001b"), "{out}");
    let report: Report = serde_json::from_str(&out).unwrap();
    assert!(report.files[0]
        .diagnostics
        .iter()
        .any(|d| d.message.contains("de\x1b[31mscr\u{202e}")));

    // A route path with controls: refused, quoted escaped; the JSON error document of
    // `plan` carries the original path.
    let route = write(
        &dir,
        "route.yaml",
        "version: 1\napi: {name: r, kind: rest}\ndefault_auth: none\nroutes:\n  - {path: \
         \"/a\\u202eb\\e[2K\", method: GET, integration: {type: http_proxy, uri: \
         \"https://example.com/\"}}\nstages:\n  prod: {}\n",
    );
    let r = route.to_str().unwrap();
    let o = gwctl("http://127.0.0.1:9", &["plan", r]);
    assert_eq!(o.status.code(), Some(1));
    let (_, err) = assert_safe(&o);
    assert!(err.contains("`/a\\u{202e}b\\x1b[2K`"), "{err}");
    let o = gwctl("http://127.0.0.1:9", &["plan", r, "--output", "json"]);
    let (out, _) = assert_safe(&o);
    let doc: FailureDoc = serde_json::from_str(&out).unwrap();
    assert!(doc
        .error
        .diagnostics
        .iter()
        .any(|d| d.message.contains("/a\u{202e}b\x1b[2K")));

    // Arguments the command line refuses are quoted escaped too.
    let o = gwctl("http://127.0.0.1:9", &["pl\x1b[2Kan\u{202e}"]);
    assert_eq!(o.status.code(), Some(1));
    let (_, err) = assert_safe(&o);
    // (clap drops the ESC sequence from its rendering; the bidi override is escaped.)
    assert!(err.contains("an\\u{202e}'"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_apply_show_escape_account_and_spec_strings_and_keep_the_pending_change() {
    let em = support::emulator().await;
    let e = em.endpoint();
    let dir = tempfile::tempdir().unwrap();
    let first = write(&dir, "first.yaml", &spec("\"first\""));
    let s = first.to_str().unwrap();

    let o = gwctl(&e, &["plan", s]);
    let (out, _) = assert_safe(&o);
    assert!(out.contains("+ rest_api ts\\x1b[2K\\u{202e}api"), "{out}");

    let o = gwctl(&e, &["apply", s, "--yes", "--output", "json"]);
    let (out, err) = assert_safe(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(out.contains("\\u202e"));
    let doc: ApplyDoc = serde_json::from_str(&out).unwrap();
    assert_eq!(doc.api.name, NAME, "JSON round-trips to the original name");

    // The description now erases the line above and prints "No changes.": the change is
    // still shown, escaped, and the plan says there is one.
    let second = write(&dir, "second.yaml", &spec(ERASE_YAML));
    let s2 = second.to_str().unwrap();
    let o = gwctl(&e, &["plan", s2, "--detailed-exitcode"]);
    let (out, _) = assert_safe(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("~ rest_api ts\\x1b[2K\\u{202e}api"), "{out}");
    assert!(
        out.contains("first -> \\x1b[2K\\x1b[1A\\x1b[2K\\x0dNo changes."),
        "{out}"
    );
    assert!(out.contains("1 to change"), "{out}");
    assert!(!out.lines().any(|l| l.starts_with("No changes.")), "{out}");

    let o = gwctl(&e, &["plan", s2, "--output", "json"]);
    let (out, _) = assert_safe(&o);
    let plan: PlanDoc = serde_json::from_str(&out).unwrap();
    let field = plan
        .changes
        .iter()
        .flat_map(|c| &c.fields)
        .find(|f| f.field == "description")
        .expect("description change");
    assert_eq!(field.new.as_deref(), Some(ERASE));

    // A saved plan is terminal-safe too, and applies: its strings load back unchanged.
    let saved = dir.path().join("plan.json");
    let o = gwctl(&e, &["plan", s2, "--out", saved.to_str().unwrap()]);
    assert_safe(&o);
    let file = std::fs::read_to_string(&saved).unwrap();
    assert!(!file.chars().any(is_unsafe), "{}", file.escape_debug());
    assert!(file.contains("\\u001b[1A"), "{file}");
    let o = gwctl(&e, &["apply", saved.to_str().unwrap(), "--yes"]);
    let (_, err) = assert_safe(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let o = gwctl(&e, &["show", s2]);
    let (out, err) = assert_safe(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(out.contains("ts\\x1b[2K\\u{202e}api"), "{out}");
    let o = gwctl(&e, &["show", s2, "--output", "json"]);
    let (out, err) = assert_safe(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let show: gwctl::cli::lifecycle::ShowDoc = serde_json::from_str(&out).unwrap();
    assert_eq!(show.api.name, NAME);

    // Colour on: gwctl's own colour codes are there, nothing else raw.
    let o = gwctl(&e, &["plan", s, "--color", "always"]);
    let out = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(out.contains("\x1b[33m~\x1b[0m"), "{}", out.escape_debug());
    assert_eq!(
        gwctl::term::painted(&out, true),
        out,
        "only gwctl's colours"
    );
    assert!(out.contains("ts\\x1b[2K\\u{202e}api"));

    // An API built by hand with controls in its name and description: errors and plans
    // that quote them escape them.
    let c = em.clients().await;
    let hand = c
        .apigw
        .create_rest_api()
        .name("hand\x1b[2K\u{202e}built")
        .description(ERASE)
        .send()
        .await
        .unwrap();
    let id = hand.id().unwrap().to_string();
    for verb in ["show", "plan"] {
        let o = gwctl(&e, &[verb, s, "--api-id", &id]);
        let (_, err) = assert_safe(&o);
        assert_eq!(o.status.code(), Some(1));
        assert!(err.contains("named `hand\\x1b[2K\\u{202e}built`"), "{err}");
        let o = gwctl(&e, &[verb, s, "--api-id", &id, "--output", "json"]);
        let (out, _) = assert_safe(&o);
        let doc: FailureDoc = serde_json::from_str(&out).unwrap();
        assert!(doc.error.message.contains("hand\x1b[2K\u{202e}built"));
    }
}

#[test]
fn an_aws_error_message_with_controls_is_escaped() {
    let fake = support::fake_http::serve(
        "400 Bad Request",
        &[
            ("content-type", "application/json"),
            ("x-amzn-ErrorType", "BadRequestException"),
        ],
        r#"{"message":"bad \u001b[2K\u001b[1A\rNo changes.\u202e"}"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "s.yaml", &spec("\"d\""));
    let o = gwctl(&fake.endpoint(), &["plan", p.to_str().unwrap()]);
    let (out, err) = assert_safe(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(
        err.contains("bad \\x1b[2K\\x1b[1A\\x0dNo changes.\\u{202e}"),
        "{err}"
    );
    let o = gwctl(
        &fake.endpoint(),
        &["plan", p.to_str().unwrap(), "--output", "json"],
    );
    let (out, _) = assert_safe(&o);
    let doc: FailureDoc = serde_json::from_str(&out).unwrap();
    assert!(doc
        .error
        .message
        .contains("bad \x1b[2K\x1b[1A\rNo changes.\u{202e}"));
}
