//! The browser's rules, one case each, and the HTTP client against a local socket.

use super::*;

fn resp(status: u16, headers: &[(&str, &str)]) -> Response {
    Response {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect(),
    }
}

fn probe(origin: &str, method: &str, headers: &[&str], credentials: bool) -> Probe {
    Probe {
        origin: origin.into(),
        credentials,
        method: method.into(),
        headers: headers.iter().map(|s| s.to_string()).collect(),
    }
}

const O: &str = "http://localhost:3000";

fn good() -> Response {
    resp(
        200,
        &[
            ("Access-Control-Allow-Origin", O),
            ("Access-Control-Allow-Methods", "DELETE,GET,OPTIONS,PUT"),
            ("Access-Control-Allow-Headers", "Content-Type,Authorization"),
        ],
    )
}

#[test]
fn a_correct_preflight_passes() {
    let p = probe(O, "PUT", &["content-type", "authorization"], false);
    assert_eq!(preflight_check(&good(), &p), Vec::<String>::new());
}

#[test]
fn each_broken_preflight_header_is_named() {
    let p = probe(O, "PUT", &["content-type"], false);
    let without = |name: &str| {
        let mut r = good();
        r.headers.retain(|(k, _)| k != &name.to_ascii_lowercase());
        preflight_check(&r, &p)
    };
    assert_eq!(
        without("Access-Control-Allow-Origin"),
        vec!["missing `Access-Control-Allow-Origin`"]
    );
    assert_eq!(
        without("Access-Control-Allow-Methods"),
        vec!["missing `Access-Control-Allow-Methods` (the request uses `PUT`)"]
    );
    assert_eq!(
        without("Access-Control-Allow-Headers"),
        vec!["missing `Access-Control-Allow-Headers` (the request sends `content-type`)"]
    );
    let mut r = good();
    r.status = 403;
    assert!(preflight_check(&r, &p)[0].starts_with("status 403: a preflight needs a 2xx answer"));
}

#[test]
fn origin_must_match_exactly_or_be_star_without_credentials() {
    let p = probe(O, "GET", &[], false);
    let with_origin = |v: &str| cors_check(&resp(200, &[("Access-Control-Allow-Origin", v)]), &p);
    assert!(with_origin("*").is_empty());
    assert!(with_origin(O).is_empty());
    assert_eq!(
        with_origin("https://other.example"),
        vec!["`Access-Control-Allow-Origin` is `https://other.example`, not the origin `http://localhost:3000`"]
    );
    assert!(with_origin("http://localhost:3000, https://b.example")[0].contains("several values"));
    let twice = resp(
        200,
        &[
            ("Access-Control-Allow-Origin", O),
            ("Access-Control-Allow-Origin", O),
        ],
    );
    assert!(cors_check(&twice, &p)[0].contains("sent 2 times"));
}

#[test]
fn credentials_need_an_exact_origin_and_allow_credentials_true() {
    let p = probe(O, "GET", &[], true);
    let star = resp(
        200,
        &[
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Allow-Credentials", "true"),
        ],
    );
    assert_eq!(
        cors_check(&star, &p),
        vec!["`Access-Control-Allow-Origin` is `*`, which browsers refuse for requests with credentials"]
    );
    let no_acac = resp(200, &[("Access-Control-Allow-Origin", O)]);
    assert!(cors_check(&no_acac, &p)[0].starts_with("missing `Access-Control-Allow-Credentials`"));
    let ok = resp(
        200,
        &[
            ("Access-Control-Allow-Origin", O),
            ("Access-Control-Allow-Credentials", "true"),
        ],
    );
    assert!(cors_check(&ok, &p).is_empty());
}

#[test]
fn safelisted_methods_and_wildcards_follow_the_fetch_rules() {
    let r = resp(
        200,
        &[
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Allow-Methods", "*"),
            ("Access-Control-Allow-Headers", "*"),
        ],
    );
    // `*` covers every method and header but Authorization, without credentials.
    assert!(preflight_check(&r, &probe(O, "DELETE", &["x-custom"], false)).is_empty());
    assert_eq!(
        preflight_check(&r, &probe(O, "DELETE", &["authorization"], false)),
        vec!["`Access-Control-Allow-Headers` (`*`) does not list `authorization`"]
    );
    // GET needs no listing.
    let only_put = resp(
        200,
        &[
            ("Access-Control-Allow-Origin", O),
            ("Access-Control-Allow-Methods", "PUT"),
        ],
    );
    assert!(preflight_check(&only_put, &probe(O, "GET", &[], false)).is_empty());
    assert_eq!(
        preflight_check(&only_put, &probe(O, "PATCH", &[], false)),
        vec!["`Access-Control-Allow-Methods` (`PUT`) does not list `PATCH`"]
    );
    // Header names compare case-insensitively.
    let mixed = resp(
        200,
        &[
            ("Access-Control-Allow-Origin", O),
            ("Access-Control-Allow-Headers", "Content-Type, X-Api-Key"),
        ],
    );
    assert!(preflight_check(
        &mixed,
        &probe(O, "GET", &["x-api-key", "Content-Type"], false)
    )
    .is_empty());
}

#[test]
fn paths_and_stage_urls() {
    assert_eq!(sample_path("/todos/{id}"), "/todos/gwctl-verify");
    assert_eq!(sample_path("/{proxy+}"), "/gwctl-verify");
    assert_eq!(sample_path("/"), "/");
    assert_eq!(
        stage_url(None, "abc", "eu-west-1", "prod"),
        "https://abc.execute-api.eu-west-1.amazonaws.com/prod"
    );
    assert_eq!(
        stage_url(
            Some("http://127.0.0.1:4566/_aws/execute-api/"),
            "abc",
            "us-east-1",
            "prod"
        ),
        "http://127.0.0.1:4566/_aws/execute-api/abc/prod"
    );
    assert_eq!(
        stage_url(
            Some("http://127.0.0.1:4566/restapis/{api_id}/{stage}/_user_request_"),
            "abc",
            "us-east-1",
            "prod"
        ),
        "http://127.0.0.1:4566/restapis/abc/prod/_user_request_"
    );
    assert_eq!(
        emulator_invoke_base("http://127.0.0.1:4566/"),
        "http://127.0.0.1:4566/_aws/execute-api"
    );
}

#[tokio::test]
async fn the_client_sends_the_headers_and_reads_the_answer() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut chunk).await.unwrap();
            buf.extend_from_slice(&chunk[..n]);
        }
        s.write_all(
            b"HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: http://localhost:3000\r\nVary: Origin\r\nContent-Length: 0\r\n\r\n",
        )
        .await
        .unwrap();
        String::from_utf8_lossy(&buf).to_string()
    });
    let mut p = http::Prober::new();
    let r = p
        .send(
            "OPTIONS",
            &format!("http://{addr}/prod/todos"),
            &[("origin", O), ("access-control-request-method", "PUT")],
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204);
    assert_eq!(r.all("Access-Control-Allow-Origin"), vec![O]);
    assert_eq!(
        r.cors_headers().get("vary").map(String::as_str),
        Some("Origin")
    );
    let request = server.await.unwrap().to_ascii_lowercase();
    assert!(
        request.starts_with("options /prod/todos http/1.1\r\n"),
        "{request}"
    );
    assert!(request.contains("\r\norigin: http://localhost:3000\r\n"));
    assert!(request.contains("\r\naccess-control-request-method: put\r\n"));
    let err = p.send("GET", "ftp://x/", &[]).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "`ftp://x/` is not an http:// or https:// URL"
    );
}
