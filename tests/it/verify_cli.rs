//! `gwctl verify --url` against small local stages that answer CORS well or badly: the
//! verdicts, the exit code, the header named, and the requests as a browser sends them. No
//! emulator involved (tests/cors_localstack.rs runs verify against LocalStack).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use gwctl::cli::verify::VerifyDoc;

#[derive(Debug, Clone)]
struct Request {
    method: String,
    path: String,
    headers: BTreeMap<String, String>,
}

type Handler = dyn Fn(&Request) -> (u16, Vec<(&'static str, String)>) + Send + Sync;

/// A stage on 127.0.0.1 answering every request with `handler`; returns its base URL and the
/// requests it received. The thread ends with the test binary.
fn stage(handler: Box<Handler>) -> (String, Arc<Mutex<Vec<Request>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/prod", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { continue };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 2048];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let text = String::from_utf8_lossy(&buf).to_string();
            let mut lines = text.split("\r\n");
            let mut first = lines.next().unwrap_or("").split(' ');
            let req = Request {
                method: first.next().unwrap_or("").to_string(),
                path: first.next().unwrap_or("").to_string(),
                headers: lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                    .collect(),
            };
            let (status, headers) = handler(&req);
            log.lock().unwrap().push(req);
            let mut out =
                format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n");
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            let _ = s.write_all(out.as_bytes());
        }
    });
    (url, seen)
}

const O: &str = "http://localhost:3000";

/// API Gateway with CORS done right: preflights on known paths, 403 with CORS elsewhere.
fn good(r: &Request) -> (u16, Vec<(&'static str, String)>) {
    let origin = ("Access-Control-Allow-Origin", O.to_string());
    if r.path.starts_with("/prod/todos") && r.method == "OPTIONS" {
        (
            200,
            vec![
                origin,
                (
                    "Access-Control-Allow-Methods",
                    "DELETE,GET,OPTIONS,PUT".into(),
                ),
                (
                    "Access-Control-Allow-Headers",
                    "Content-Type,Authorization".into(),
                ),
            ],
        )
    } else {
        (403, vec![origin])
    }
}

fn verify(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gwctl"))
        .arg("verify")
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .expect("run gwctl")
}

fn doc(o: &Output) -> VerifyDoc {
    let out = String::from_utf8_lossy(&o.stdout);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("verify JSON: {e}\n{out}"))
}

#[test]
fn a_stage_with_working_cors_passes_and_gets_browser_like_requests() {
    let (url, seen) = stage(Box::new(good));
    let o = verify(&[
        "--url",
        &url,
        "--origin",
        O,
        "--path",
        "/todos",
        "--path",
        "/todos/{id}",
        "--method",
        "put",
        "--header",
        "Content-Type,Authorization",
        "--output",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let d = doc(&o);
    assert_eq!(d.result, "ok");
    assert_eq!((d.summary.total, d.summary.ok), (3, 3));
    let kinds: Vec<(&str, &str, Option<u16>)> = d
        .checks
        .iter()
        .map(|c| (c.kind.as_str(), c.path.as_str(), c.status))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("preflight", "/todos", Some(200)),
            ("preflight", "/todos/{id}", Some(200)),
            ("error", "/gwctl-verify-unknown-path", Some(403)),
        ]
    );
    assert_eq!(
        d.checks[0]
            .headers
            .get("access-control-allow-origin")
            .map(String::as_str),
        Some(O)
    );
    let reqs = seen.lock().unwrap().clone();
    assert_eq!(reqs[1].method, "OPTIONS");
    assert_eq!(reqs[1].path, "/prod/todos/gwctl-verify");
    assert_eq!(reqs[1].headers["origin"], O);
    assert_eq!(reqs[1].headers["access-control-request-method"], "PUT");
    assert_eq!(
        reqs[1].headers["access-control-request-headers"],
        "content-type,authorization"
    );
    assert_eq!(reqs[2].method, "GET");
    assert_eq!(reqs[2].path, "/prod/gwctl-verify-unknown-path");
    assert_eq!(reqs[2].headers["origin"], O);
}

#[test]
fn broken_cors_exits_1_naming_each_missing_header() {
    // The console's half-done CORS: no Allow-Headers, and errors without any CORS header.
    let (url, _) = stage(Box::new(|r: &Request| {
        if r.method == "OPTIONS" {
            (
                200,
                vec![
                    ("Access-Control-Allow-Origin", O.to_string()),
                    ("Access-Control-Allow-Methods", "GET,OPTIONS,PUT".into()),
                ],
            )
        } else {
            (403, vec![])
        }
    }));
    let o = verify(&[
        "--url", &url, "--origin", O, "--path", "/todos", "--method", "PUT",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(out.contains("FAILED  preflight PUT /todos"), "{out}");
    assert!(out.contains("2 checks: 0 ok, 2 failed, 0 skipped"), "{out}");
    assert!(
        err.contains("error: a browser would refuse 2 of 2 answers:"),
        "{err}"
    );
    assert!(
        err.contains("preflight PUT /todos: missing `Access-Control-Allow-Headers` (the request sends `content-type`)"),
        "{err}"
    );
    assert!(
        err.contains("error GET /gwctl-verify-unknown-path: missing `Access-Control-Allow-Origin`"),
        "{err}"
    );
    // JSON mode: the same verdict on stdout, exit 1.
    let o = verify(&[
        "--url", &url, "--origin", O, "--check", "errors", "--output", "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let d = doc(&o);
    assert_eq!(d.result, "failed");
    assert_eq!(d.checks.len(), 1);
    assert_eq!(
        d.checks[0].problems,
        vec!["missing `Access-Control-Allow-Origin`"]
    );
}

#[test]
fn credentials_and_wrong_origins_are_judged_like_a_browser() {
    let (url, _) = stage(Box::new(|_: &Request| {
        (
            200,
            vec![
                ("Access-Control-Allow-Origin", "*".to_string()),
                ("Access-Control-Allow-Methods", "GET,OPTIONS".into()),
                ("Access-Control-Allow-Headers", "*".into()),
            ],
        )
    }));
    // Without credentials `*` is fine; the unknown path answered 200 (a catch-all): skipped.
    let o = verify(&["--url", &url, "--origin", O, "--output", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let d = doc(&o);
    assert_eq!((d.summary.ok, d.summary.skipped), (1, 1));
    assert!(d.checks[1].problems[0].contains("a route catches every path"));
    // With credentials, `*` is refused and Allow-Credentials is missing.
    let o = verify(&[
        "--url",
        &url,
        "--origin",
        O,
        "--credentials",
        "--check",
        "preflight",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("`Access-Control-Allow-Origin` is `*`, which browsers refuse for requests with credentials"), "{err}");
    assert!(
        err.contains("missing `Access-Control-Allow-Credentials`"),
        "{err}"
    );
    assert!(
        err.contains("`Access-Control-Allow-Headers` (`*`) does not list `content-type`"),
        "{err}"
    );
}

#[test]
fn url_needs_an_origin_and_nothing_listening_is_a_failed_check() {
    let o = verify(&["--url", "http://127.0.0.1:9/prod"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("`--url` needs the origin of your front end")
    );
    let o = verify(&[
        "--url",
        "http://127.0.0.1:9/prod",
        "--origin",
        O,
        "--check",
        "preflight",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("-> no answer"), "{out}");
    assert!(
        out.contains("request to `http://127.0.0.1:9/prod/` failed"),
        "{out}"
    );
}
