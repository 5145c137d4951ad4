//! Messages about the environment and the account's edges (issue 15, item 7), run as a user
//! would: the exit code, stdout and stderr of the real binary. Each names the actual problem
//! in one line, before any call when it can; with `--output json` each failure is one JSON
//! error document on stdout.

use std::process::Output;

use crate::support;
use crate::support::cli::write;
use gwctl::output::FailureDoc;

const SPEC: &str = "version: 1\napi: {name: edge-api, kind: rest}\ndefault_auth: none\n\
    cors: {origins: [\"https://app.example.com\"]}\n\
    routes:\n  - {path: /a, method: GET, integration: {type: http_proxy, uri: \"https://example.com/a\"}}\n\
    stages:\n  prod: {}\n";

/// A REST spec whose API key takes its value from `EDGE_KEY`.
const KEY_SPEC: &str = "version: 1\napi: {name: edge-keys, kind: rest}\ndefault_auth: none\n\
    routes:\n  - {path: /a, method: GET, api_key_required: true, integration: {type: http_proxy, uri: \"https://example.com/a\"}}\n\
    stages:\n  prod: {}\napi_keys:\n  partner: {value_from_env: EDGE_KEY}\n\
    usage_plans:\n  basic: {stages: [prod], keys: [partner]}\n";

const VALUE_1: &str = "first-value-of-the-partner-key-0123";
const VALUE_2: &str = "second-value-of-the-partner-key-4567";

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The `error:` lines on stderr.
fn error_lines(err: &str) -> Vec<&str> {
    err.lines().filter(|l| l.starts_with("error:")).collect()
}

/// stdout of a failed `--output json` run: exactly one error document.
#[track_caller]
fn failure_doc(o: &Output, command: &str) -> FailureDoc {
    let (out, err) = text(o);
    assert_eq!(o.status.code(), Some(1), "stdout:\n{out}\nstderr:\n{err}");
    let doc: FailureDoc = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("one JSON error document on stdout: {e}\n{out}"));
    assert_eq!(
        (doc.command.as_str(), doc.result.as_str()),
        (command, "error")
    );
    doc
}

#[test]
fn an_invalid_region_is_one_line_before_any_call() {
    let fake = support::fake_http::serve("200 OK", &[], "{}");
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "s.yaml", SPEC);
    let s = p.to_str().unwrap();
    let by_flag = support::gwctl_at(&fake.endpoint(), &["plan", s, "--region", "us east 1"]);
    let by_env = support::gwctl_command(&fake.endpoint(), &["show", s])
        .env("AWS_REGION", "us east 1")
        .output()
        .unwrap();
    for (o, origin) in [(&by_flag, "--region"), (&by_env, "AWS_REGION")] {
        let (out, err) = text(o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(out.is_empty());
        assert_eq!(
            err.lines().collect::<Vec<_>>(),
            [format!(
                "error: invalid region `us east 1` (from {origin}): a region looks like `us-east-1`"
            )],
        );
    }
    let o = support::gwctl_at(
        &fake.endpoint(),
        &["plan", s, "--region", "us east 1", "--output", "json"],
    );
    let doc = failure_doc(&o, "plan");
    assert!(doc.error.message.starts_with("invalid region `us east 1`"));
    assert_eq!(fake.requests(), 0, "no call was made");
}

#[test]
fn a_missing_profile_is_named() {
    let fake = support::fake_http::serve("200 OK", &[], "{}");
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "s.yaml", SPEC);
    let config = write(
        &dir,
        "config",
        "[default]\nregion = us-east-1\n[profile dev]\n",
    );
    let run = |extra: &[&str], json: bool| {
        let mut args = vec!["plan", p.to_str().unwrap()];
        args.extend_from_slice(extra);
        if json {
            args.extend(["--output", "json"]);
        }
        support::gwctl_command(&fake.endpoint(), &args)
            .env("AWS_CONFIG_FILE", &config)
            .env("AWS_PROFILE", "nope")
            .env_remove("AWS_REGION")
            .output()
            .unwrap()
    };
    for extra in [&[][..], &["--profile", "nope"][..]] {
        let o = run(extra, false);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert_eq!(
            error_lines(&err),
            ["error: profile not found: nope"],
            "{err}"
        );
        assert!(!err.contains("region"), "{err}");
    }
    let doc = failure_doc(&run(&[], true), "plan");
    assert_eq!(doc.error.message, "profile not found: nope");
    // A profile that exists is used as before.
    let o = run(&["--profile", "dev", "--region", "us-east-1"], false);
    assert!(!text(&o).1.contains("profile not found"), "{}", text(&o).1);
    assert!(
        fake.requests() > 0,
        "the profile was used and calls were made"
    );
}

#[test]
fn a_non_json_5xx_body_is_named_as_such() {
    let fake = support::fake_http::serve(
        "502 Bad Gateway",
        &[("content-type", "text/html")],
        "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
    );
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "s.yaml", SPEC);
    let o = support::gwctl_at(
        &fake.endpoint(),
        &["plan", p.to_str().unwrap(), "--max-rps", "off"],
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let lines = error_lines(&err);
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].ends_with("HTTP 502 with a non-JSON body"), "{err}");
    assert!(!err.contains("unexpected") && !err.contains('<'), "{err}");
    let o = support::gwctl_at(
        &fake.endpoint(),
        &[
            "plan",
            p.to_str().unwrap(),
            "--max-rps",
            "off",
            "--output",
            "json",
        ],
    );
    let doc = failure_doc(&o, "plan");
    assert!(doc.error.message.ends_with("HTTP 502 with a non-JSON body"));
}

#[test]
fn an_invalid_spec_in_json_mode_is_an_error_document_with_its_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "bad.yaml", &SPEC.replace("stages:", "stagez:"));
    for verb in ["plan", "apply", "show", "deploy", "destroy"] {
        let mut args = vec![verb, p.to_str().unwrap(), "--output", "json"];
        if verb == "deploy" {
            args.extend(["--stage", "prod"]);
        }
        let o = support::gwctl_at("http://127.0.0.1:9", &args);
        let doc = failure_doc(&o, verb);
        assert!(doc.error.message.contains("problem"), "{doc:?}");
        assert!(
            doc.error
                .diagnostics
                .iter()
                .any(|d| d.message.contains("stagez") && d.line.is_some()),
            "{doc:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn destroy_of_a_foreign_namesake_says_it_is_not_gwctls() {
    let em = support::emulator().await;
    let c = em.clients().await;
    let foreign = c
        .apigw
        .create_rest_api()
        .name("edge-api")
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "s.yaml", SPEC);
    let o = support::gwctl_at(&em.endpoint(), &["destroy", p.to_str().unwrap(), "--yes"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let lines = error_lines(&err);
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains("is not gwctl's") && lines[0].contains("won't be destroyed"),
        "{err}"
    );
    assert!(!err.contains("second one"), "{err}");
    for verb in ["show", "deploy", "verify"] {
        let mut args = vec![verb, p.to_str().unwrap()];
        if verb == "deploy" {
            args.extend(["--stage", "prod"]);
        }
        let (_, err) = text(&support::gwctl_at(&em.endpoint(), &args));
        assert!(
            err.contains("is not gwctl's") && !err.contains("second one"),
            "{verb}: {err}"
        );
    }
    let o = support::gwctl_at(
        &em.endpoint(),
        &["destroy", p.to_str().unwrap(), "--yes", "--output", "json"],
    );
    assert!(failure_doc(&o, "destroy")
        .error
        .message
        .contains("won't be destroyed"));
    let still = c
        .apigw
        .get_rest_api()
        .rest_api_id(foreign.id().unwrap())
        .send()
        .await;
    assert!(still.is_ok(), "the foreign API is untouched");
}

#[tokio::test(flavor = "multi_thread")]
async fn key_value_variables_are_named_when_empty_or_changed_since_the_plan() {
    let em = support::emulator().await;
    let e = em.endpoint();
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "keys.yaml", KEY_SPEC);
    let s = p.to_str().unwrap();
    let run = |args: &[&str], value: &str| {
        support::gwctl_command(&e, args)
            .env("EDGE_KEY", value)
            .output()
            .unwrap()
    };

    // Set but empty is not "not set".
    let o = run(&["plan", s], "");
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("`EDGE_KEY`, which is set but empty"), "{err}");
    assert!(!err.contains("not set"), "{err}");
    let doc = failure_doc(&run(&["plan", s, "--output", "json"], ""), "plan");
    assert!(
        doc.error
            .diagnostics
            .iter()
            .any(|d| d.message.contains("`EDGE_KEY`, which is set but empty")),
        "{doc:?}"
    );

    // A plan made with one value, applied with another: the variable is named, its values
    // are not shown, and the account did not change.
    let plan = dir.path().join("plan.json");
    let o = run(&["plan", s, "--out", plan.to_str().unwrap()], VALUE_1);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    let o = run(&["apply", plan.to_str().unwrap(), "--yes"], VALUE_2);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let lines = error_lines(&err);
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains("environment variable `EDGE_KEY` changed"),
        "{err}"
    );
    assert!(!err.contains("account changed"), "{err}");
    for v in [VALUE_1, VALUE_2] {
        assert!(!out.contains(v) && !err.contains(v), "a value was printed");
    }
    let o = run(
        &["apply", plan.to_str().unwrap(), "--yes", "--output", "json"],
        VALUE_2,
    );
    let doc = failure_doc(&o, "apply");
    assert!(doc.error.message.contains("`EDGE_KEY`"));
    // With the value it was planned with, the plan applies.
    let o = run(&["apply", plan.to_str().unwrap(), "--yes"], VALUE_1);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
}

#[test]
fn a_refused_command_line_with_output_json_is_an_error_document() {
    for (args, verb) in [
        (
            &["plan", "s.yaml", "--output", "json", "--bogus"][..],
            "plan",
        ),
        (&["--output=json", "destroy"][..], "destroy"),
        (
            &["cors", "enable", "--bogus", "--output", "json"][..],
            "cors enable",
        ),
    ] {
        let o = support::gwctl_at("http://127.0.0.1:9", args);
        let doc = failure_doc(&o, verb);
        assert!(
            doc.error.message.contains("--bogus") || doc.error.message.contains("required"),
            "{doc:?}"
        );
        assert!(!doc.error.message.starts_with("error:"), "{doc:?}");
    }
    // A verb's own failure names the verb as its documents do.
    let o = support::gwctl_at(
        "http://127.0.0.1:9",
        &[
            "cors",
            "disable",
            "--api",
            "x",
            "--region",
            "us east 1",
            "--output",
            "json",
        ],
    );
    assert!(failure_doc(&o, "cors disable")
        .error
        .message
        .starts_with("invalid region"));
    // Without --output json, nothing on stdout.
    let o = support::gwctl_at("http://127.0.0.1:9", &["plan", "s.yaml", "--bogus"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
}

/// A spec whose function does not exist in the account.
const MISSING_FN_SPEC: &str = "version: 1\napi: {name: edge-fn, kind: rest}\ndefault_auth: none\n\
    functions: {gone: edge-function-that-does-not-exist}\n\
    routes:\n  - {path: /a, method: GET, function: gone}\n\
    stages:\n  prod: {}\n";

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_function_is_reported_at_its_line_on_stderr_and_in_the_error_document() {
    let em = support::emulator().await;
    let e = em.endpoint();
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "fn.yaml", MISSING_FN_SPEC);
    let s = p.to_str().unwrap();

    // Text: the diagnostic at the function's line, then the one-line summary.
    let o = support::gwctl_at(&e, &["plan", s]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let at = err
        .find("Lambda function `edge-function-that-does-not-exist` does not exist")
        .unwrap_or_else(|| panic!("{err}"));
    let summary = err
        .find("error: 1 referenced function(s) could not be resolved; nothing was changed")
        .unwrap_or_else(|| panic!("{err}"));
    assert!(at < summary, "the diagnostic comes first:\n{err}");
    assert!(err.contains("fn.yaml:4:"), "at the spec line:\n{err}");

    // JSON: one error document, carrying the same diagnostic.
    let doc = failure_doc(
        &support::gwctl_at(&e, &["plan", s, "--output", "json"]),
        "plan",
    );
    assert_eq!(
        doc.error.message,
        "1 referenced function(s) could not be resolved; nothing was changed"
    );
    assert!(
        doc.error.diagnostics.iter().any(|d| d
            .message
            .contains("`edge-function-that-does-not-exist` does not exist")),
        "{doc:?}"
    );
}
