//! Unit tests: one small spec per check, asserting the message and where it points.

use std::path::Path;

use super::model::*;
use super::*;

fn load_lint(text: &str) -> Loaded {
    load_str_with(Path::new("t.yaml"), text, &LoadOptions { lint: true })
}

fn load(text: &str) -> Loaded {
    load_str(Path::new("t.yaml"), text)
}

fn errors(l: &Loaded) -> Vec<&Diagnostic> {
    l.diagnostics.iter().filter(|d| d.is_error()).collect()
}

fn warnings(l: &Loaded) -> Vec<&Diagnostic> {
    l.diagnostics.iter().filter(|d| !d.is_error()).collect()
}

fn dump(l: &Loaded) -> String {
    l.diagnostics.iter().map(|d| d.render(false)).collect()
}

/// Exactly one error; returns it.
#[track_caller]
fn one_error(text: &str) -> Diagnostic {
    let l = load(text);
    let e = errors(&l);
    assert_eq!(e.len(), 1, "expected one error, got:\n{}", dump(&l));
    assert!(l.spec.is_none());
    e[0].clone()
}

#[track_caller]
fn assert_at(d: &Diagnostic, line: u32, col: u32, message: &str) {
    assert_eq!(
        (d.line, d.col, d.message.as_str()),
        (line, col, message),
        "\n{}",
        d.render(false)
    );
}

#[track_caller]
fn assert_ok(text: &str) -> Spec {
    let l = load(text);
    assert!(!l.has_errors(), "unexpected errors:\n{}", dump(&l));
    l.spec.expect("spec")
}

const REST: &str = "api: {name: a}\nfunctions: {f: f, g: g}\nstages: {prod: {}}\nroutes:\n";
const HTTP: &str = "api: {name: a, kind: http}\nfunctions: {f: f, g: g}\nstages: {$default: {auto_deploy: true}}\nroutes:\n";

fn rest(routes: &str) -> String {
    format!("{REST}{routes}")
}

fn http(routes: &str) -> String {
    format!("{HTTP}{routes}")
}

// ------------------------------------------------------------ reader and diagnostics

#[test]
fn minimal_spec_reads_into_the_model() {
    let s = assert_ok(&rest("  - {path: /todos, method: get, function: f}\n"));
    assert_eq!(s.api.name.value, "a");
    assert_eq!(s.api.kind, ApiKind::Rest);
    assert_eq!(s.api.endpoint, EndpointType::Regional);
    assert_eq!(s.routes.len(), 1);
    let r = &s.routes[0];
    assert_eq!(r.path.value, "/todos");
    assert_eq!(r.path.pos, Pos { line: 5, col: 12 });
    assert_eq!(r.method.value, HttpMethod::Get);
    match &r.integration.kind {
        IntegrationKind::LambdaProxy { function } => {
            assert_eq!(function.value, "f");
            assert_eq!(function.pos, Pos { line: 5, col: 43 });
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.stages[0].name.value, "prod");
    assert_eq!(s.file, Path::new("t.yaml"));
}

#[test]
fn unknown_key_suggests_the_close_one() {
    let d = one_error(&rest(
        "  - path: /todos\n    method: POST\n    fucntion: f\n",
    ));
    assert_at(&d, 7, 5, "unknown key `fucntion` in route");
    assert_eq!(d.len, 8);
    assert_eq!(d.hint.as_deref(), Some("did you mean `function`?"));
    assert_eq!(
        d.render(false),
        "error: unknown key `fucntion` in route\n --> t.yaml:7:5\n  |\n7 |     fucntion: f\n  |     ^^^^^^^^\n  = hint: did you mean `function`?\n"
    );
}

#[test]
fn unknown_key_without_close_match_lists_the_keys() {
    let d = one_error(&format!(
        "{}colour: red\n",
        rest("  - {path: /x, method: GET, function: f}\n")
    ));
    assert_at(&d, 6, 1, "unknown key `colour` in the spec");
    assert!(
        d.hint.as_deref().unwrap().contains("`usage_plans`"),
        "{:?}",
        d.hint
    );
}

#[test]
fn camel_case_key_suggests_snake_case() {
    let d = one_error(&rest(
        "  - {path: /x, method: GET, function: f, apiKeyRequired: true}\n",
    ));
    assert_eq!(d.message, "unknown key `apiKeyRequired` in route");
    assert_eq!(d.hint.as_deref(), Some("did you mean `api_key_required`?"));
}

#[test]
fn wrong_type_names_the_expected_type() {
    let d = one_error(&rest(
        "  - path: /x\n    method: GET\n    integration: {function: f, timeout_ms: soon}\n",
    ));
    assert_at(
        &d,
        7,
        44,
        "`timeout_ms` must be an integer, found a string `soon`",
    );
    let d = one_error(&rest("  - {path: [/x], method: GET, function: f}\n"));
    assert_at(&d, 5, 12, "`path` must be a string, found a list");
    let d = one_error(&rest(
        "  - {path: /x, method: GET, function: f, api_key_required: yes}\n",
    ));
    assert_at(
        &d,
        5,
        60,
        "`api_key_required` must be `true` or `false`, found a string `yes`",
    );
}

#[test]
fn missing_required_key_points_at_the_mapping() {
    let d = one_error(&rest("  - {method: GET, function: f}\n"));
    assert_at(&d, 5, 5, "missing `path` in route");
    let d = one_error("routes:\n  - {path: /x, method: GET, function: f}\nfunctions: {f: f}\n");
    assert_at(&d, 1, 1, "missing `api` in the spec");
}

#[test]
fn invalid_choice_suggests_a_value() {
    let d = one_error(
        "api: {name: a, endpoint: REGINAL}\nfunctions: {f: f}\nstages: {prod: {}}\nroutes: [{path: /x, method: GET, function: f}]\n",
    );
    assert_at(&d, 1, 26, "invalid `endpoint` value `REGINAL`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `REGIONAL`?"));
    let d = one_error("api: {name: a, kind: soap}\nfunctions: {f: f}\nstages: {prod: {}}\nroutes: [{path: /x, method: GET, function: f}]\n");
    assert_eq!(d.message, "invalid `kind` value `soap`");
    assert_eq!(
        d.hint.as_deref(),
        Some("expected `rest`, `http` or `websocket`")
    );
}

#[test]
fn only_version_1_is_accepted() {
    let d = one_error(&format!(
        "version: 2\n{}",
        rest("  - {path: /x, method: GET, function: f}\n")
    ));
    assert_at(&d, 1, 10, "unsupported spec version `2`");
    assert_ok(&format!(
        "version: 1\n{}",
        rest("  - {path: /x, method: GET, function: f}\n")
    ));
}

#[test]
fn empty_and_non_mapping_files() {
    let d = one_error("");
    assert_at(&d, 0, 0, "spec file is empty");
    let d = one_error("# nothing here\n\n");
    assert_eq!(d.message, "spec file is empty");
    let d = one_error("- a\n- b\n");
    assert_at(
        &d,
        1,
        1,
        "a spec must be a mapping at the top level, found a list",
    );
}

#[test]
fn yaml_errors_have_positions() {
    let d = one_error(&format!(
        "{}stages: {{}}\n",
        rest("  - {path: /x, method: GET, function: f}\n")
    ));
    assert_at(&d, 6, 1, "duplicate key `stages`");
    let d = one_error("api: {name: a\nroutes: []\n");
    assert!(d.message.starts_with("invalid yaml: "), "{}", d.message);
    assert!(d.line >= 1);
}

#[test]
fn non_utf8_bytes_point_at_the_first_bad_byte() {
    let l = load_bytes(
        Path::new("b.yaml"),
        b"api: {name: a}\nroutes: [caf\xe9]\n",
        &LoadOptions::default(),
    );
    let e = errors(&l);
    assert_eq!(e.len(), 1);
    assert_at(e[0], 2, 13, "spec file is not valid utf-8");
    assert_eq!(e[0].source_line, "routes: [caf\u{fffd}]");
    // A byte order mark is fine.
    let l = load_bytes(
        Path::new("b.yaml"),
        format!(
            "\u{feff}{}",
            rest("  - {path: /x, method: GET, function: f}\n")
        )
        .as_bytes(),
        &LoadOptions::default(),
    );
    assert!(!l.has_errors(), "{}", dump(&l));
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let text = "api: {name: a}\nfunctions: {f: f}\nstages: {prod: {}}\nroutes:\n  - path: /a\n    method: GET\n    fucntion: f\n  - path: /b\n    method: GET\n    function: nope\n  - path: /c\n    method: GET\n    integration: {function: f, timeout_ms: 40000}\n";
    let l = load(text);
    let e = errors(&l);
    let got: Vec<(u32, u32, &str)> = e
        .iter()
        .map(|d| (d.line, d.col, d.message.as_str()))
        .collect();
    // The typo is reported once, not also as "missing target".
    assert_eq!(
        got,
        vec![
            (7, 5, "unknown key `fucntion` in route"),
            (10, 15, "unknown function `nope`"),
            (
                13,
                44,
                "`timeout_ms` must be between 50 and 29000, found `40000`"
            ),
        ]
    );
    let d = one_error(&rest("  - {pth: /x, method: GET, function: f}\n"));
    assert_at(&d, 5, 6, "unknown key `pth` in route");
}

#[test]
fn spec_is_kept_with_warnings_only() {
    let l = load_lint(&rest("  - {path: /x, method: GET, function: f}\n"));
    assert!(!l.has_errors());
    assert_eq!(warnings(&l).len(), 1);
    assert!(l.spec.is_some());
}

// ------------------------------------------------------------ routes and paths

#[test]
fn duplicate_route_points_at_the_second() {
    let d = one_error(&rest(
        "  - {path: /todos, method: GET, function: f}\n  - {path: /todos, method: get, function: g}\n",
    ));
    assert_at(&d, 6, 28, "duplicate route `GET /todos`");
    assert_eq!(d.hint.as_deref(), Some("first defined on line 5"));
    // ANY beside GET on the same path is fine.
    assert_ok(&rest(
        "  - {path: /todos, method: GET, function: f}\n  - {path: /todos, method: ANY, function: g}\n",
    ));
}

#[test]
fn sibling_parameters_with_different_names() {
    let d = one_error(&rest(
        "  - {path: \"/todos/{id}\", method: GET, function: f}\n  - {path: \"/todos/{todoId}/tags\", method: GET, function: g}\n",
    ));
    assert_at(
        &d,
        6,
        20,
        "path parameter `{todoId}` conflicts with `{id}` at the same level (`/todos/{id}`, line 5)",
    );
    assert_eq!(d.len, 8);
    // The same name is fine, and so is a literal sibling.
    assert_ok(&rest(
        "  - {path: \"/todos/{id}\", method: GET, function: f}\n  - {path: \"/todos/{id}/tags\", method: GET, function: g}\n  - {path: /todos/search, method: GET, function: g}\n",
    ));
    // `{proxy+}` is a variable part too.
    let d = one_error(&rest(
        "  - {path: \"/{id}\", method: GET, function: f}\n  - {path: \"/{proxy+}\", method: ANY, function: g}\n",
    ));
    assert!(d
        .message
        .starts_with("path parameter `{proxy+}` conflicts with `{id}`"));
    // HTTP APIs: a warning.
    let l = load(&http(
        "  - {path: \"/todos/{id}\", method: GET, function: f}\n  - {path: \"/todos/{todoId}\", method: PUT, function: g}\n",
    ));
    assert!(!l.has_errors(), "{}", dump(&l));
    assert_eq!(warnings(&l)[0].line, 6);
}

#[test]
fn greedy_parameter_must_be_last() {
    let d = one_error(&rest(
        "  - {path: \"/{proxy+}/x\", method: GET, function: f}\n",
    ));
    assert_at(&d, 5, 14, "`{proxy+}` must be the last segment of a path");
    assert_eq!(d.len, 8);
    assert_ok(&rest(
        "  - {path: \"/api/{proxy+}\", method: ANY, function: f}\n",
    ));
}

#[test]
fn invalid_paths() {
    let cases: &[(&str, u32, &str)] = &[
        ("todos", 12, "path `todos` must start with `/`"),
        ("/a//b", 15, "path `/a//b` has an empty segment"),
        ("/a/", 15, "path `/a/` must not end with `/`"),
        ("//", 12, "path `//` has an empty segment"),
        ("/a b", 15, "invalid character ` ` in path `/a b`"),
        ("/a%20b", 15, "invalid character `%` in path `/a%20b`"),
        (
            "/v{id}",
            14,
            "a path parameter must be a whole segment, found `v{id}`",
        ),
        ("/{}", 14, "invalid path parameter `{}`"),
        ("/{a b}", 14, "invalid path parameter `{a b}`"),
        (
            "/{id}/x/{id}",
            21,
            "path parameter `id` appears twice in `/{id}/x/{id}`",
        ),
    ];
    for (path, col, msg) in cases {
        let d = one_error(&rest(&format!(
            "  - {{path: \"{path}\", method: GET, function: f}}\n"
        )));
        assert_at(&d, 5, *col, msg);
    }
    assert_ok(&rest("  - {path: /, method: GET, function: f}\n  - {path: /a-b/c.d/e_f/g:h, method: GET, function: f}\n"));
    assert_ok(&http(
        "  - {path: /a-b/c.d/e_f/~g:h@i, method: GET, function: f}\n",
    ));
}

/// CreateResource refuses `~`, `@` and anything else outside `A-Za-z0-9._-:` (after the API
/// and a permission were created): a rest spec with them is refused offline, at the char.
#[test]
fn rest_path_parts_have_only_the_characters_aws_accepts() {
    for (path, col, c) in [
        ("/a~b", 15, '~'),
        ("/users/@me", 20, '@'),
        ("/a/b!", 17, '!'),
        ("/a/b$c", 17, '$'),
        ("/x/caf\u{e9}", 19, '\u{e9}'),
        ("/a+b", 15, '+'),
    ] {
        let d = one_error(&rest(&format!(
            "  - {{path: \"{path}\", method: GET, function: f}}\n"
        )));
        assert_at(
            &d,
            5,
            col,
            &format!("invalid character `{c}` in path `{path}`"),
        );
        assert_eq!(
            d.hint.as_deref(),
            Some("path segments of rest apis have letters, digits and `-._:`")
        );
    }
}

#[test]
fn unknown_method_suggests() {
    let d = one_error(&rest("  - {path: /x, method: GTE, function: f}\n"));
    assert_at(&d, 5, 24, "unknown http method `GTE`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `GET`?"));
    let d = one_error(&rest("  - {path: /x, method: FETCH, function: f}\n"));
    assert!(d.hint.unwrap().starts_with("expected `GET`, `POST`"));
    let d = one_error(&rest("  - {path: /x, function: f}\n"));
    assert_at(&d, 5, 5, "missing `method` in route");
}

#[test]
fn route_target_is_function_or_integration() {
    let d = one_error(&rest(
        "  - {path: /x, method: GET, function: f, integration: {function: g}}\n",
    ));
    assert_at(
        &d,
        5,
        42,
        "a route has either `function:` or `integration:`, not both",
    );
    let d = one_error(&rest("  - {path: /x, method: GET}\n"));
    assert_at(&d, 5, 5, "route has no target");
}

#[test]
fn at_least_one_route() {
    let d = one_error("api: {name: a}\nroutes: []\n");
    assert_at(&d, 2, 9, "`routes` is empty");
    let d = one_error("api: {name: a}\n");
    assert_eq!(d.message, "missing `routes` in the spec");
}

// ------------------------------------------------------------ references

#[test]
fn undefined_references_suggest_defined_names() {
    let d = one_error(&rest("  - {path: /x, method: GET, function: ff}\n"));
    assert_at(&d, 5, 39, "unknown function `ff`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `f`?"));
    let d = one_error(&rest("  - {path: /x, method: GET, function: zzz}\n"));
    assert_eq!(
        d.hint.as_deref(),
        Some("define it under `functions:` (defined: `f` or `g`)")
    );
    let d = one_error(&rest(
        "  - {path: /x, method: GET, function: f, auth: jwtt}\n",
    ));
    assert_at(&d, 5, 48, "unknown authorizer `jwtt`");
    let d = one_error(&format!(
        "default_auth: tok\n{}",
        rest("  - {path: /x, method: GET, function: f}\n")
    ));
    assert_at(&d, 1, 15, "unknown authorizer `tok`");
    // Authorizer functions too.
    let d = one_error(&format!(
        "authorizers: {{tok: {{type: token, function: nope}}}}\n{}",
        rest("  - {path: /x, method: GET, function: f, auth: tok}\n")
    ));
    assert_at(&d, 1, 44, "unknown function `nope`");
}

#[test]
fn usage_plan_references() {
    let base = rest("  - {path: /x, method: GET, function: f, api_key_required: true}\n");
    let d = one_error(&format!(
        "{base}api_keys: {{web: {{}}}}\nusage_plans:\n  basic: {{stages: [prd], keys: [web]}}\n"
    ));
    assert_at(&d, 8, 20, "unknown stage `prd`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `prod`?"));
    let d = one_error(&format!(
        "{base}api_keys: {{web: {{}}}}\nusage_plans:\n  basic: {{stages: [prod], keys: [wbe]}}\n"
    ));
    assert_at(&d, 8, 34, "unknown api key `wbe`");
    let d = one_error(&format!(
        "{base}api_keys: {{web: {{}}}}\nusage_plans:\n  basic:\n    stages: [prod]\n    keys: [web]\n    method_throttle: {{\"GET /y\": {{rate: 1, burst: 1}}}}\n"
    ));
    assert_at(&d, 11, 23, "no route `GET /y` in this spec");
    assert_eq!(d.hint.as_deref(), Some("did you mean `GET /x`?"));
}

// ------------------------------------------------------------ cors

#[test]
fn star_origin_with_credentials_is_an_error() {
    let d = one_error(&format!(
        "cors: {{origins: [\"*\"], credentials: true}}\n{}",
        rest("  - {path: /x, method: GET, function: f}\n")
    ));
    assert_at(
        &d,
        1,
        18,
        "`*` origin with `credentials: true` is refused by browsers",
    );
}

#[test]
fn star_origin_with_authorization_is_a_warning() {
    let l = load(&format!(
        "cors: {{origins: [\"*\"]}}\n{}",
        rest("  - {path: /x, method: GET, function: f, auth: iam}\n")
    ));
    assert!(!l.has_errors(), "{}", dump(&l));
    let w = warnings(&l);
    assert_eq!(w.len(), 1, "{}", dump(&l));
    assert_at(w[0], 1, 18, "`*` origin on an api with authorization");
    // Without authorization: quiet.
    let l = load(&format!(
        "cors: {{origins: [\"*\"]}}\n{}",
        rest("  - {path: /x, method: GET, function: f}\n")
    ));
    assert!(l.diagnostics.is_empty(), "{}", dump(&l));
}

#[test]
fn origins_must_be_bare_origins() {
    let d = one_error(&format!(
        "cors: {{origins: [\"https://app.example.com/\"]}}\n{}",
        rest("  - {path: /x, method: GET, function: f}\n")
    ));
    assert_at(
        &d,
        1,
        18,
        "origin `https://app.example.com/` must not end with `/`",
    );
    assert!(d.hint.unwrap().contains("`https://app.example.com`"));
    let d = one_error(&format!(
        "cors: {{origins: [app.example.com]}}\n{}",
        rest("  - {path: /x, method: GET, function: f}\n")
    ));
    assert_eq!(
        d.message,
        "origin `app.example.com` must start with `https://` or `http://`"
    );
}

#[test]
fn options_route_conflicts_with_rest_cors() {
    let d = one_error(&format!(
        "cors: {{origins: [\"https://a.example\"]}}\n{}",
        rest("  - {path: /x, method: OPTIONS, function: f}\n")
    ));
    assert_at(
        &d,
        6,
        24,
        "route `OPTIONS /x` conflicts with the preflight method gwctl creates for `cors`",
    );
}

#[test]
fn origins_cannot_carry_quotes_or_template_characters() {
    let d = one_error(&format!(
        "cors: {{origins: [\"https://a.example'\"]}}\n{}",
        rest("  - {path: /x, method: GET, function: f}\n")
    ));
    assert_eq!(
        d.message,
        "origin `https://a.example'` contains `'`, which an origin cannot"
    );
    let d = one_error(&format!(
        "cors: {{origins: [\"https://a.example$x\"]}}\n{}",
        rest("  - {path: /x, method: GET, function: f}\n")
    ));
    assert!(d.message.contains("contains `$`"), "{}", d.message);
    // Ports and IPv6 literals are origins.
    assert_ok(&format!(
        "cors: {{origins: [\"http://localhost:3000\", \"http://[::1]:8080\"]}}\n{}",
        rest("  - {path: /x, method: GET, function: f}\n")
    ));
}

#[test]
fn several_origins_with_credentials_warn_that_errors_carry_the_first() {
    let l = load(&format!(
        "cors: {{origins: [\"https://a.example\", \"https://b.example\"], credentials: true}}\n{}",
        rest("  - {path: /x, method: GET, function: f}\n")
    ));
    assert!(!l.has_errors(), "{}", dump(&l));
    let w = warnings(&l);
    assert_eq!(w.len(), 1, "{}", dump(&l));
    assert_at(
        w[0],
        1,
        7,
        "with several origins and `credentials: true`, the errors API Gateway generates itself (401, 403, 429, 5xx) carry only the first origin, `https://a.example`",
    );
}

#[test]
fn several_origins_with_credentials_are_fine_on_http_apis() {
    // The API's CorsConfiguration echoes the matching origin on every response.
    let l = load(&format!(
        "cors: {{origins: [\"https://a.example\", \"https://b.example\"], credentials: true}}\n{}",
        http("  - {path: /x, method: GET, function: f}\n")
    ));
    assert!(l.diagnostics.is_empty(), "{}", dump(&l));
}

#[test]
fn star_header_with_credentials_is_an_error() {
    let d = one_error(&format!(
        "cors: {{origins: [\"https://a.example\"], headers: [\"*\"], credentials: true}}\n{}",
        rest("  - {path: /x, method: GET, function: f}\n")
    ));
    assert_at(
        &d,
        1,
        50,
        "`*` in `headers` with `credentials: true` is taken literally by browsers",
    );
}

#[test]
fn authorized_default_route_on_http_api_warns_about_preflight() {
    let l = load(&format!(
        "cors: {{origins: [\"https://a.example\"]}}\nauthorizers: {{j: {{type: jwt, issuer: \"https://i.example\", audience: [a]}}}}\n{}",
        http("  - {path: $default, function: f, auth: j}\n")
    ));
    assert!(!l.has_errors(), "{}", dump(&l));
    let w = warnings(&l);
    assert!(
        w.iter().any(|d| d.message
            == "preflight requests can match the authorized route `$default` and fail"),
        "{}",
        dump(&l)
    );
}

#[test]
fn cors_defaults() {
    let s = assert_ok(&format!(
        "cors: {{origins: [\"https://a.example\"]}}\n{}",
        rest("  - {path: /x, method: GET, function: f}\n")
    ));
    let c = s.cors.unwrap();
    assert_eq!(c.origins, vec!["https://a.example"]);
    assert!(c.methods.is_empty());
    assert_eq!(
        c.headers[..2],
        ["Content-Type".to_string(), "Authorization".to_string()]
    );
    assert!(!c.credentials);
    assert_eq!(c.max_age, None);
}

// ------------------------------------------------------------ integrations

#[test]
fn timeout_limits_depend_on_the_api_kind() {
    let route = |t: u32| {
        format!(
            "  - path: /x\n    method: GET\n    integration: {{function: f, timeout_ms: {t}}}\n"
        )
    };
    assert_ok(&rest(&route(29000)));
    assert_ok(&rest(&route(50)));
    let d = one_error(&rest(&route(29001)));
    assert_at(
        &d,
        7,
        44,
        "`timeout_ms` must be between 50 and 29000, found `29001`",
    );
    assert_eq!(
        d.hint.as_deref(),
        Some("rest api integrations time out after at most 29 s")
    );
    let d = one_error(&rest(&route(49)));
    assert_eq!(
        d.message,
        "`timeout_ms` must be between 50 and 29000, found `49`"
    );
    assert_ok(&http(&route(30000)));
    let d = one_error(&http(&route(30001)));
    assert_eq!(
        d.message,
        "`timeout_ms` must be between 50 and 30000, found `30001`"
    );
}

#[test]
fn integration_keys_depend_on_the_type() {
    let d = one_error(&rest(
        "  - path: /x\n    method: GET\n    integration: {function: f, uri: \"https://x.example\"}\n",
    ));
    assert_at(
        &d,
        7,
        32,
        "`uri` does not apply to a `lambda_proxy` integration",
    );
    let d = one_error(&rest(
        "  - path: /x\n    method: GET\n    integration:\n      function: f\n      request_templates: {application/json: \"{}\"}\n",
    ));
    assert_at(
        &d,
        9,
        7,
        "`request_templates` does not apply to a `lambda_proxy` integration",
    );
    let d = one_error(&rest(
        "  - path: /x\n    method: GET\n    integration: {type: http_proxy}\n",
    ));
    assert_at(&d, 7, 18, "missing `uri` in a `http_proxy` integration");
}

#[test]
fn integration_uris_must_be_urls() {
    let d = one_error(&rest(
        "  - path: /x\n    method: GET\n    integration: {type: http_proxy, uri: backend.example/x}\n",
    ));
    assert_at(
        &d,
        7,
        42,
        "integration `uri` `backend.example/x` is not an http or https url",
    );
    let s = assert_ok(&rest(
        "  - path: /x\n    method: POST\n    integration: {type: http_proxy, uri: \"https://b.example/{id}\"}\n",
    ));
    match &s.routes[0].integration.kind {
        IntegrationKind::HttpProxy { uri, http_method } => {
            assert_eq!(uri.value, "https://b.example/{id}");
            // Defaults to the route's method.
            assert_eq!(*http_method, HttpMethod::Post);
        }
        other => panic!("{other:?}"),
    }
}

/// AWS refuses a mapping from `method.request.KIND.NAME` the method does not declare
/// ("Invalid mapping expression parameter specified"): gwctl declares it on the route (path
/// parameters required, the others optional); one the path does not have is refused.
#[test]
fn mapped_method_parameters_are_declared_on_the_route() {
    let s = assert_ok(&rest(
        "  - path: \"/users/{id}\"\n    method: GET\n    request_parameters: {method.request.header.X-Trace: true}\n    integration:\n      type: http_proxy\n      uri: \"https://b.example/users/{id}\"\n      request_parameters:\n        integration.request.path.id: method.request.path.id\n        integration.request.header.X-Trace: method.request.header.X-Trace\n        integration.request.header.X-Tenant: method.request.header.X-Tenant\n        integration.request.querystring.q: method.request.querystring.q\n        integration.request.querystring.ids: method.request.multivaluequerystring.ids\n        integration.request.header.X-Static: \"'v'\"\n        integration.request.header.X-Ctx: context.requestId\n",
    ));
    let declared: Vec<(&str, bool)> = s.routes[0]
        .request_parameters
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        declared,
        [
            ("method.request.header.X-Tenant", false),
            ("method.request.header.X-Trace", true),
            ("method.request.path.id", true),
            ("method.request.querystring.ids", false),
            ("method.request.querystring.q", false),
        ]
    );
    let d = one_error(&rest(
        "  - path: /users\n    method: GET\n    integration:\n      type: http_proxy\n      uri: https://b.example/users\n      request_parameters: {integration.request.path.id: method.request.path.id}\n",
    ));
    assert_at(
        &d,
        10,
        57,
        "`method.request.path.id` maps a path parameter `{id}` that path `/users` does not have",
    );
}

#[test]
fn empty_templates_are_refused() {
    let d = one_error(&rest(
        "  - path: /x\n    method: GET\n    integration:\n      type: mock\n      request_templates: {application/json: \"\"}\n      responses: [{status: 200}]\n    method_responses: [{status: 200}]\n",
    ));
    assert_at(&d, 9, 45, "empty template for `application/json`");
    assert!(d.hint.unwrap().contains("stores an empty template as null"));
}

#[test]
fn integration_responses_need_method_responses() {
    let d = one_error(&rest(
        "  - path: /x\n    method: GET\n    integration:\n      type: mock\n      responses: [{status: 200}, {status: 400, selection_pattern: x}]\n    method_responses: [{status: 200}]\n",
    ));
    assert_at(
        &d,
        9,
        43,
        "integration response `400` has no method response",
    );
    let d = one_error(&rest(
        "  - path: /x\n    method: GET\n    integration:\n      type: mock\n      responses: [{status: 200}, {status: 201}]\n    method_responses: [{status: 200}, {status: 201}]\n",
    ));
    assert_at(
        &d,
        9,
        34,
        "a second default integration response (the first is on line 9)",
    );
    let d = one_error(&rest(
        "  - path: /x\n    method: GET\n    integration:\n      type: mock\n      responses: [{status: 200}]\n    method_responses: [{status: 200, models: {application/json: Emptyy}}]\n",
    ));
    assert_at(&d, 10, 65, "unknown model `Emptyy`");
    let d = one_error(&rest(
        "  - path: /x\n    method: GET\n    integration:\n      type: mock\n      responses: [{status: 2000}]\n    method_responses: [{status: 200}]\n",
    ));
    assert_at(&d, 9, 28, "`2000` is not an http status code");
}

#[test]
fn custom_integration_without_responses_warns() {
    let l = load(&rest(
        "  - path: /x\n    method: GET\n    integration: {type: lambda, function: f}\n",
    ));
    assert!(!l.has_errors(), "{}", dump(&l));
    assert_at(
        warnings(&l)[0],
        7,
        18,
        "a `lambda` integration without `responses` answers every call with an error",
    );
}

// ------------------------------------------------------------ arns

#[test]
fn malformed_arns() {
    let fun = |f: &str| {
        format!(
            "api: {{name: a}}\nfunctions:\n  f: {f}\nstages: {{prod: {{}}}}\nroutes: [{{path: /x, method: GET, function: f}}]\n"
        )
    };
    assert_ok(&fun("arn:aws:lambda:us-east-1:123456789012:function:todo"));
    assert_ok(&fun(
        "arn:aws-cn:lambda:cn-north-1:123456789012:function:todo:live",
    ));
    assert_ok(&fun("todo-create:3"));
    let d = one_error(&fun("arn:aws:lambda:us-east-1:1234:function:todo"));
    assert_at(
        &d,
        3,
        6,
        "`arn:aws:lambda:us-east-1:1234:function:todo` is not a lambda function arn",
    );
    let d = one_error(&fun("todo create"));
    assert_eq!(
        d.message,
        "`todo create` is not a lambda function name or arn"
    );
    let s = assert_ok(&fun(
        "{arn: \"arn:aws:lambda:us-east-1:123456789012:function:todo:live\"}",
    ));
    assert_eq!(
        s.functions[0].name_or_arn.value,
        "arn:aws:lambda:us-east-1:123456789012:function:todo"
    );
    assert_eq!(s.functions[0].qualifier.as_deref(), Some("live"));
    let s = assert_ok(&fun("{name: auth, alias: live}"));
    assert_eq!(
        (
            s.functions[0].name_or_arn.value.as_str(),
            s.functions[0].qualifier.as_deref()
        ),
        ("auth", Some("live"))
    );

    let role = |r: &str| {
        rest(&format!(
            "  - path: /x\n    method: GET\n    integration: {{function: f, credentials: \"{r}\"}}\n"
        ))
    };
    assert_ok(&role("arn:aws:iam::123456789012:role/service/apigw-invoke"));
    let d = one_error(&role("arn:aws:iam::123456789012:user/bob"));
    assert_at(
        &d,
        7,
        45,
        "`arn:aws:iam::123456789012:user/bob` is not an iam role arn",
    );

    let pool = |p: &str| {
        format!(
            "authorizers: {{pool: {{type: cognito, user_pool_arns: [\"{p}\"]}}}}\n{}",
            rest("  - {path: /x, method: GET, function: f, auth: pool}\n")
        )
    };
    assert_ok(&pool(
        "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123",
    ));
    let d = one_error(&pool("arn:aws:cognito-idp:us-east-1:123456789012:pool/x"));
    assert_at(
        &d,
        1,
        54,
        "`arn:aws:cognito-idp:us-east-1:123456789012:pool/x` is not a cognito user pool arn",
    );

    let log = |a: &str| {
        rest("  - {path: /x, method: GET, function: f}\n").replace(
            "stages: {prod: {}}",
            &format!("stages: {{prod: {{access_log: {{destination: \"{a}\", format: \"$context.requestId\"}}}}}}"),
        )
    };
    assert_ok(&log(
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigw/todo",
    ));
    let d = one_error(&log("arn:aws:s3:::bucket"));
    assert_at(
        &d,
        3,
        43,
        "`arn:aws:s3:::bucket` is not a cloudwatch logs log group arn",
    );
}

#[test]
fn access_log_format_needs_the_request_id() {
    let text = rest("  - {path: /x, method: GET, function: f}\n").replace(
        "stages: {prod: {}}",
        "stages: {prod: {access_log: {destination: \"arn:aws:logs:us-east-1:123456789012:log-group:g\", format: \"$context.status\"}}}",
    );
    let d = one_error(&text);
    assert_eq!(
        d.message,
        "access log `format` must include `$context.requestId`"
    );
}

// ------------------------------------------------------------ authorizers and scopes

#[test]
fn scopes_need_cognito_or_jwt() {
    let d = one_error(&format!(
        "authorizers: {{tok: {{type: token, function: g}}}}\n{}",
        rest("  - {path: /x, method: GET, function: f, auth: tok, scopes: [read]}\n")
    ));
    assert_at(&d, 6, 53, "`scopes` need a cognito or jwt authorizer");
    assert_eq!(
        d.hint.as_deref(),
        Some("this route's authorization is `tok` (a `token` authorizer)")
    );
    let d = one_error(&rest(
        "  - {path: /x, method: GET, function: f, scopes: [read]}\n",
    ));
    assert_eq!(
        d.hint.as_deref(),
        Some("this route's authorization is none")
    );
    // Cognito via default_auth is fine.
    let s = assert_ok(&format!(
        "authorizers: {{pool: {{type: cognito, user_pool_arns: [\"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc\"]}}}}\ndefault_auth: pool\n{}",
        rest("  - {path: /x, method: GET, function: f, scopes: [email]}\n")
    ));
    assert_eq!(s.routes[0].scopes, vec!["email"]);
    assert_eq!(
        s.effective_auth(&s.routes[0]),
        AuthRef::Authorizer("pool".into())
    );
}

#[test]
fn authorizer_checks() {
    let d = one_error(&format!(
        "authorizers: {{iam: {{type: token, function: f}}}}\n{}",
        rest("  - {path: /x, method: GET, function: f}\n")
    ));
    assert_at(&d, 1, 15, "`iam` is reserved and cannot name an authorizer");
    let d = one_error(&format!(
        "authorizers: {{req: {{type: request, function: f}}}}\n{}",
        rest("  - {path: /x, method: GET, function: f, auth: req}\n")
    ));
    assert_at(
        &d,
        1,
        20,
        "`request` authorizer `req` with caching (`ttl` > 0) needs `identity_sources`",
    );
    let d = one_error(&format!(
        "authorizers: {{tok: {{type: token, function: f, identity_source: Authorization}}}}\n{}",
        rest("  - {path: /x, method: GET, function: f, auth: tok}\n")
    ));
    assert_eq!(
        d.message,
        "invalid identity source `Authorization` for a token authorizer"
    );
    let d = one_error(&format!(
        "authorizers: {{tok: {{type: token, function: f, ttl: 4000}}}}\n{}",
        rest("  - {path: /x, method: GET, function: f, auth: tok}\n")
    ));
    assert_eq!(d.message, "`ttl` must be between 0 and 3600, found `4000`");
    let d = one_error(&format!(
        "authorizers: {{tok: {{type: token, function: f, issuer: \"https://x\"}}}}\n{}",
        rest("  - {path: /x, method: GET, function: f, auth: tok}\n")
    ));
    assert_at(
        &d,
        1,
        47,
        "`issuer` does not apply to `token` authorizer `tok`",
    );
    let s = assert_ok(&format!(
        "authorizers:\n  tok: {{type: token, function: g, validation_expression: '^Bearer .+$'}}\n  req: {{type: request, function: g, identity_sources: [method.request.header.X-Tenant], ttl: 0}}\n{}",
        rest("  - {path: /x, method: GET, function: f, auth: tok}\n  - {path: /y, method: GET, function: f, auth: req}\n")
    ));
    match &s.authorizers[0].kind {
        AuthorizerKind::Token {
            identity_source,
            ttl_seconds,
            validation_expression,
            ..
        } => {
            assert_eq!(identity_source, "method.request.header.Authorization");
            assert_eq!(*ttl_seconds, 300);
            assert_eq!(validation_expression.as_deref(), Some("^Bearer .+$"));
        }
        other => panic!("{other:?}"),
    }
}

// ------------------------------------------------------------ api kinds

#[test]
fn rest_only_features_on_http_apis() {
    let cases: &[(&str, u32, u32, &str)] = &[
        (
            "  - path: /x\n    method: GET\n    integration: {type: mock}\n",
            7,
            25,
            "`mock` integrations are only supported on rest apis",
        ),
        (
            "  - path: /x\n    method: GET\n    integration: {type: lambda, function: f, request_templates: {a/b: x}}\n",
            7,
            25,
            "`lambda` integrations are only supported on rest apis",
        ),
        (
            "  - {path: /x, method: GET, function: f, api_key_required: true}\n",
            5,
            42,
            "`api_key_required` is only supported on rest apis",
        ),
        (
            "  - {path: /x, method: GET, function: f, method_responses: []}\n",
            5,
            42,
            "`method_responses` is only supported on rest apis",
        ),
        (
            "  - {path: /x, method: GET, function: f, request_parameters: {}}\n",
            5,
            42,
            "`request_parameters` is only supported on rest apis",
        ),
    ];
    for (routes, line, col, msg) in cases {
        let d = one_error(&http(routes));
        assert_at(&d, *line, *col, msg);
    }
    let route = "  - {path: /x, method: GET, function: f}\n";
    let top: &[(&str, &str)] = &[
        (
            "api_keys: {k: {}}\n",
            "`api_keys` is only supported on rest apis",
        ),
        (
            "usage_plans: {p: {stages: [prod]}}\n",
            "`usage_plans` is only supported on rest apis",
        ),
        (
            "authorizers: {t: {type: token, function: f}}\n",
            "`token` authorizers are only supported on rest apis",
        ),
        (
            "authorizers: {c: {type: cognito, user_pool_arns: []}}\n",
            "`cognito` authorizers are only supported on rest apis",
        ),
    ];
    for (extra, msg) in top {
        let d = one_error(&format!("{}{extra}", http(route)));
        assert_eq!(
            (d.line, d.message.as_str()),
            (6, *msg),
            "{}",
            d.render(false)
        );
    }
    let api: &[(&str, &str)] = &[
        (
            "endpoint: EDGE",
            "`endpoint` is only supported on rest apis",
        ),
        (
            "binary_media_types: [image/png]",
            "`binary_media_types` is only supported on rest apis",
        ),
        (
            "api_key_source: HEADER",
            "`api_key_source` is only supported on rest apis",
        ),
    ];
    for (field, msg) in api {
        let d = one_error(&http(route).replace("kind: http}", &format!("kind: http, {field}}}")));
        assert_at(&d, 1, 28, msg);
    }
    for (field, msg) in [
        (
            "logging: INFO",
            "`logging` is only supported on rest and websocket apis",
        ),
        (
            "data_trace: true",
            "`data_trace` is only supported on rest and websocket apis",
        ),
        ("tracing: true", "`tracing` is only supported on rest apis"),
    ] {
        let d = one_error(&http(route).replace(
            "auto_deploy: true}",
            &format!("auto_deploy: true, {field}}}"),
        ));
        assert_at(&d, 3, 40, msg);
    }
}

#[test]
fn http_only_features_on_rest_apis() {
    let route = "  - {path: /x, method: GET, function: f}\n";
    let d = one_error(&format!(
        "authorizers: {{j: {{type: jwt, issuer: \"https://i.example\", audience: [a]}}}}\n{}",
        rest(route)
    ));
    assert_at(
        &d,
        1,
        25,
        "`jwt` authorizers are only supported on http apis",
    );
    assert!(d.hint.unwrap().contains("`cognito`"));
    let d = one_error(&rest(route).replace("{prod: {}}", "{prod: {auto_deploy: true}}"));
    assert_at(
        &d,
        3,
        17,
        "`auto_deploy` is only supported on http and websocket apis",
    );
    let d =
        one_error(&rest(route).replace("{name: a}", "{name: a, payload_format_version: \"2.0\"}"));
    assert_at(
        &d,
        1,
        16,
        "`payload_format_version` is only supported on http apis",
    );
    let d = one_error(
        &rest(route).replace("{name: a}", "{name: a, disable_execute_api_endpoint: true}"),
    );
    assert_eq!(
        d.message,
        "`disable_execute_api_endpoint` is only supported on http apis"
    );
    let d = one_error(&rest(
        "  - path: /x\n    method: GET\n    integration: {function: f, payload_format_version: \"1.0\"}\n",
    ));
    assert_at(
        &d,
        7,
        32,
        "`payload_format_version` is only supported on http apis",
    );
    let d = one_error(&rest("  - {path: $default, function: f}\n"));
    assert_at(&d, 5, 12, "rest apis have no `$default` route");
    let d = one_error(&rest(route).replace("{prod: {}}", "{$default: {}}"));
    assert_at(
        &d,
        3,
        10,
        "`$default` stages are only supported on http apis",
    );
}

#[test]
fn http_default_route_and_stage() {
    let s = assert_ok(&http("  - {path: $default, function: f}\n"));
    assert_eq!(s.routes[0].method.value, HttpMethod::Any);
    assert_eq!(s.stages[0].name.value, "$default");
    assert_eq!(s.stages[0].auto_deploy, Some(true));
    let d = one_error(&http("  - {path: $default, method: GET, function: f}\n"));
    assert_eq!(d.message, "the `$default` route has no method");
    assert_ok(&http("  - {path: $default, method: ANY, function: f}\n"));
}

#[test]
fn stage_names() {
    let route = "  - {path: /x, method: GET, function: f}\n";
    let d = one_error(&rest(route).replace("{prod: {}}", "{prod.v1: {}}"));
    assert_at(&d, 3, 10, "invalid stage name `prod.v1`");
    assert_ok(&rest(route).replace("{prod: {}}", "{Prod_2-x: {}}"));
    let d = one_error(&http(route).replace("$default", "\"v 1\""));
    assert_eq!(d.message, "invalid stage name `v 1`");
}

#[test]
fn stage_settings() {
    let route = "  - {path: /x, method: GET, function: f}\n";
    let s = assert_ok(&rest(route).replace(
        "{prod: {}}",
        "{prod: {logging: info, data_trace: false, metrics: true, tracing: true, throttle: {rate: 100.5, burst: 200}, variables: {env: prod}}}",
    ));
    let st = &s.stages[0];
    assert_eq!(st.logging, Some(LogLevel::Info));
    assert_eq!(st.metrics, Some(true));
    assert_eq!(
        st.throttle,
        Some(ThrottleDef {
            rate: 100.5,
            burst: 200
        })
    );
    assert_eq!(
        st.variables
            .as_ref()
            .unwrap()
            .get("env")
            .map(String::as_str),
        Some("prod")
    );
    let d = one_error(&rest(route).replace("{prod: {}}", "{prod: {logging: DEBUG}}"));
    assert_at(&d, 3, 26, "invalid `logging` value `DEBUG`");
    assert_eq!(d.hint.as_deref(), Some("expected `OFF`, `ERROR` or `INFO`"));
    let d =
        one_error(&rest(route).replace("{prod: {}}", "{prod: {throttle: {rate: -1, burst: 5}}}"));
    assert_at(&d, 3, 34, "`rate` must not be negative, found `-1`");
    let d =
        one_error(&rest(route).replace("{prod: {}}", "{prod: {throttle: {rate: 1, burst: -5}}}"));
    assert_at(
        &d,
        3,
        44,
        "`burst` must be between 0 and 2147483647, found `-5`",
    );
    let d = one_error(&rest(route).replace("{prod: {}}", "{prod: {throttle: {rate: 1}}}"));
    assert_eq!(d.message, "missing `burst` in `throttle`");
    let d = one_error(&rest(route).replace("{prod: {}}", "{prod: {variables: {url: \"a b\"}}}"));
    assert_eq!(d.message, "invalid value for stage variable `url`");
}

// ------------------------------------------------------------ api keys and usage plans

#[test]
fn api_key_values_are_never_literal() {
    let d = one_error(&format!(
        "{}api_keys:\n  web: {{value: s3cr3t-value-1234567890}}\n",
        rest("  - {path: /x, method: GET, function: f}\n")
    ));
    assert_at(&d, 7, 9, "api key values must not be written in a spec");
    assert!(d.hint.as_deref().unwrap().contains("value_from_env"));
    assert!(
        !d.render(false).contains("^^^^^^^^^^"),
        "the caret marks the key, not the value"
    );
}

/// Nothing under `api_keys:` that could be a value is printed, whatever the mistake: a
/// misspelled key, a wrong type (flow list, mapping, block scalar), a value pasted as the
/// variable name or as the id, a misspelled section, a yaml syntax error in the section.
#[test]
fn api_key_values_never_reach_a_diagnostic() {
    const S: &str = "Zq9SecretKeyValue7Xy3Wv5Tu1";
    let base = rest("  - {path: /x, method: GET, function: f}\n");
    let cases = [
        format!("{base}api_keys:\n  web:\n    vaule: {S}\n"),
        format!("{base}api_keys:\n  web:\n    value: [{S}, x]\n"),
        format!("{base}api_keys:\n  web: {{value: {{k: {S}}}}}\n"),
        format!("{base}api_keys:\n  web:\n    description: {{a: {S}}}\n"),
        format!("{base}api_keys:\n  web: {S}\n"),
        format!("{base}api_keys:\n  web:\n    value_from_env: [{S}]\n"),
        format!("{base}api_keys:\n  web:\n    value_from_env: {S}\n"),
        format!("{base}api_keys:\n  web:\n    value_from_env: {S}-x\n"),
        format!("{base}api_keys:\n  web:\n    id: {S}\n"),
        format!("{base}api_keys:\n  web:\n    value: |\n      {S}\n    enabled: 3\n"),
        format!("{base}api_key:\n  web: {{value: {S}}}\n"),
        format!("{base}api_keys: {{web: {{value: {S}}}}}\n"),
        format!("{base}api_keys:\n  web:\n    {S}: true\n"),
        format!("{base}api_keys:\n  web:\n    value: \"{S}\n"),
        format!("{base}api_keys:\n  web:\n    {S}: 1\n    {S}: 2\n"),
        format!("api: {{name: a, kind: http}}\napi_keys:\n  web: {{value: {S}}}\n"),
    ];
    for text in cases {
        let l = load(&text);
        assert!(l.has_errors(), "accepted:\n{text}");
        let shown = dump(&l);
        assert!(!shown.contains(S), "secret printed:\n{shown}");
        assert!(
            !shown.contains("Zq9Secret"),
            "part of the secret printed:\n{shown}"
        );
        // The excerpt keeps the field names so the user still sees where the problem is.
        assert!(shown.contains(" | "), "{shown}");
    }
}

#[test]
fn a_variable_name_shaped_like_a_key_value_is_refused_but_real_names_pass() {
    let base = rest("  - {path: /x, method: GET, function: f}\n");
    let d = one_error(&format!(
        "{base}api_keys:\n  web: {{value_from_env: Ab3dEf5gHi7jKl9mNo1pQr3sTu5vWx7yZa9bCd1e}}\n"
    ));
    assert_at(
        &d,
        7,
        25,
        "`value_from_env` looks like a key value, not the name of an environment variable",
    );
    for ok in [
        "PARTNER_API_KEY",
        "partner_api_key_for_prod",
        "WebKey",
        "PARTNER_WEB_CLIENT_API_KEY",
    ] {
        assert_ok(&format!(
            "{base}api_keys:\n  web: {{value_from_env: {ok}}}\n"
        ));
    }
}

#[test]
fn quotas() {
    let plan = |q: &str| {
        format!(
            "{}api_keys: {{web: {{}}}}\nusage_plans:\n  basic: {{stages: [prod], keys: [web], quota: {q}}}\n",
            rest("  - {path: /x, method: GET, function: f, api_key_required: true}\n")
        )
    };
    let s = assert_ok(&plan("{limit: 10000, period: MONTH}"));
    assert_eq!(
        s.usage_plans[0].quota,
        Some(QuotaDef {
            limit: 10000,
            period: "MONTH".into(),
            offset: 0
        })
    );
    let d = one_error(&plan("{limit: 10, period: YEAR}"));
    assert_at(&d, 8, 67, "invalid `period` value `YEAR`");
    assert_eq!(d.hint.as_deref(), Some("expected `DAY`, `WEEK` or `MONTH`"));
    let d = one_error(&plan("{limit: 10, period: WEEK, offset: 7}"));
    assert_eq!(d.message, "`offset` must be between 0 and 6, found `7`");
    let d = one_error(&plan("{limit: 0, period: DAY}"));
    assert_eq!(
        d.message,
        "`limit` must be between 1 and 2147483647, found `0`"
    );
}

#[test]
fn api_key_required_without_a_plan_warns() {
    let l = load(&rest(
        "  - {path: /x, method: GET, function: f, api_key_required: true}\n",
    ));
    assert!(!l.has_errors());
    assert_at(
        warnings(&l)[0],
        5,
        5,
        "routes require an api key but no usage plan exists, so every call is refused",
    );
    let l = load(&format!(
        "{}api_keys: {{web: {{}}, spare: {{}}}}\nusage_plans:\n  basic: {{stages: [prod], keys: [web]}}\n",
        rest("  - {path: /x, method: GET, function: f, api_key_required: true}\n")
            .replace("{prod: {}}", "{prod: {}, dev: {}}")
    ));
    assert!(!l.has_errors(), "{}", dump(&l));
    let w: Vec<(u32, &str)> = warnings(&l)
        .iter()
        .map(|d| (d.line, d.message.as_str()))
        .collect();
    assert_eq!(
        w,
        vec![
            (3, "stage `dev` is in no usage plan, so routes with `api_key_required` refuse every call there"),
            (6, "api key `spare` is in no usage plan, so it grants no access"),
        ]
    );
}

// ------------------------------------------------------------ limits

#[test]
fn more_than_300_rest_resources() {
    let mut routes = String::new();
    for i in 0..150 {
        routes += &format!("  - {{path: \"/r{i}/{{id}}\", method: GET, function: f}}\n");
    }
    // 1 root + 150 * 2 = 301 resources.
    let d = one_error(&rest(&routes));
    assert_eq!(
        d.message,
        "this route brings the api to 301 resources; API Gateway allows 300 per rest api"
    );
    assert_eq!((d.line, d.col), (154, 12));
    // 299 children + root = 300 is fine.
    let mut ok = String::new();
    for i in 0..299 {
        ok += &format!("  - {{path: /r{i}, method: GET, function: f}}\n");
    }
    assert_ok(&rest(&ok));
}

#[test]
fn more_than_300_http_routes() {
    let mut routes = String::new();
    for i in 0..301 {
        routes += &format!("  - {{path: /r{i}, method: GET, function: f}}\n");
    }
    let d = one_error(&http(&routes));
    assert_eq!(
        d.message,
        "the api has 301 routes; API Gateway allows 300 per http api"
    );
    assert_eq!(d.line, 305);
}

// ------------------------------------------------------------ lint

#[test]
fn lint_lists_routes_without_authorization() {
    let text = rest(
        "  - {path: /a, method: GET, function: f}\n  - {path: /b, method: GET, function: f, auth: none}\n  - {path: /c, method: POST, function: f}\n  - {path: /d, method: GET, function: f, auth: iam}\n",
    );
    let l = load_lint(&text);
    let w = warnings(&l);
    assert_eq!(w.len(), 1, "{}", dump(&l));
    assert_at(
        w[0],
        5,
        12,
        "2 routes have no authorization: `GET /a`, `POST /c`",
    );
    // Only with the lint option (validate), never for plan/apply.
    assert!(load(&text).diagnostics.is_empty());
    // `default_auth: none` says the API is public on purpose.
    assert!(load_lint(&format!("default_auth: none\n{text}"))
        .diagnostics
        .is_empty());
}

// ------------------------------------------------------------ positions through aliases

#[test]
fn aliases_report_the_use_site() {
    let text = "api: {name: a}\nfunctions: {f: f}\nstages: {prod: {}}\nx: &t {path: /a, method: GET, function: nope}\nroutes:\n  - *t\n";
    let l = load(text);
    let msgs: Vec<&str> = errors(&l).iter().map(|d| d.message.as_str()).collect();
    assert!(msgs.contains(&"unknown key `x` in the spec"), "{msgs:?}");
    assert!(msgs.contains(&"unknown function `nope`"), "{msgs:?}");
}

#[test]
fn anchors_and_merge_keys_work() {
    let s = assert_ok(
        "api: {name: a}\nfunctions: {f: f, g: g}\nstages: {prod: {}}\nx-defaults: &d {method: GET, function: f}\nroutes:\n  - {<<: *d, path: /a}\n  - {<<: *d, path: /b, method: POST, function: g}\n",
    );
    let got: Vec<(HttpMethod, &str, &str)> = s
        .routes
        .iter()
        .map(|r| match &r.integration.kind {
            IntegrationKind::LambdaProxy { function } => (
                r.method.value,
                r.path.value.as_str(),
                function.value.as_str(),
            ),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        got,
        vec![(HttpMethod::Get, "/a", "f"), (HttpMethod::Post, "/b", "g")]
    );
}

#[test]
fn diagnostics_can_be_raised_after_validation() {
    let dir = std::env::temp_dir().join(format!("gwctl-diag-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("s.yaml");
    std::fs::write(
        &file,
        "api: {name: a}\nfunctions:\n  create: todo-create   # the lambda\n  q: \"todo-get\"\nstages: {prod: {}}\nroutes:\n  - {path: /x, method: GET, function: create}\n  - {path: /y, method: GET, function: q}\n",
    )
    .unwrap();
    let l = super::load(&file);
    let spec = l.spec.expect("valid");
    let f = spec.function("create").unwrap();
    let d = diagnostic_at(
        &spec,
        f.name_or_arn.pos,
        Severity::Error,
        "function `todo-create` does not exist",
        None,
    );
    assert_eq!((d.line, d.col, d.len), (3, 11, 11));
    assert!(d
        .render(false)
        .contains("3 |   create: todo-create   # the lambda\n  |           ^^^^^^^^^^^\n"));
    let q = spec.function("q").unwrap();
    let d = diagnostic_at(&spec, q.name_or_arn.pos, Severity::Error, "m", None);
    assert_eq!((d.line, d.col, d.len), (4, 6, 10));
    let r = &spec.routes[0];
    let d = diagnostic_at(&spec, r.path.pos, Severity::Warning, "m", None);
    assert_eq!((d.line, d.col, d.len), (7, 12, 2));
    std::fs::remove_dir_all(&dir).unwrap();
}

// ------------------------------------------------------------ issue 15, item 7 (spec side)

#[test]
fn empty_cors_headers_are_refused_not_replaced_by_the_defaults() {
    let d = one_error(
        &rest("  - {path: /x, method: GET, function: f}\n")
            .replace("stages:", "cors: {origins: [\"*\"], headers: []}\nstages:"),
    );
    assert_at(&d, 3, 33, "`cors.headers` must not be empty");
    // `expose_headers: []` (none) and `methods: []` (derived) stay accepted.
    assert_ok(&rest("  - {path: /x, method: GET, function: f}\n").replace(
        "stages:",
        "cors: {origins: [\"*\"], methods: [], expose_headers: []}\nstages:",
    ));
}

#[test]
fn a_keyed_route_under_cors_without_x_api_key_warns_once() {
    let routes = "  - {path: /x, method: GET, function: f, api_key_required: true}\n  - {path: /y, method: GET, function: f, api_key_required: true}\n";
    let text = |headers: &str| {
        format!(
            "{}api_keys: {{web: {{}}}}\nusage_plans:\n  basic: {{stages: [prod], keys: [web]}}\n",
            rest(routes).replace(
                "stages:",
                &format!("cors: {{origins: [\"https://a.example\"]{headers}}}\nstages:"),
            )
        )
    };
    let l = load(&text(", headers: [Content-Type]"));
    let w = warnings(&l);
    assert_eq!(w.len(), 1, "{}", dump(&l));
    assert_at(
        w[0],
        6,
        12,
        "route `GET /x` (and 1 more) requires an api key, but `cors.headers` does not allow `X-Api-Key`: a browser's preflight for it fails",
    );
    for ok in [
        "",
        ", headers: [Content-Type, x-api-key]",
        ", headers: [\"*\"]",
    ] {
        let l = load(&text(ok));
        assert!(warnings(&l).is_empty(), "{ok}: {}", dump(&l));
    }
}

#[test]
fn a_tab_error_points_at_the_tab() {
    for (text, line, col) in [
        (
            "api:\n  name: a\nroutes:\n  - path: /x\n\tmethod: GET\n",
            5,
            1,
        ),
        ("api:\n\tname: a\n", 2, 1),
        (
            "api: {name: a}\nstages:\n  prod:\n    description: x\n  \tlogging: INFO\n",
            5,
            3,
        ),
    ] {
        let d = one_error(text);
        assert_at(&d, line, col, "invalid yaml: a tab indents this line");
        assert!(d.hint.as_deref().unwrap().contains("spaces"));
    }
}

#[test]
fn an_invalid_or_null_stage_does_not_also_warn_no_stages() {
    let route = "  - {path: /x, method: GET, function: f}\n";
    for stages in [
        "{prod: null}",
        "{\"bad name\": {}}",
        "[prod]",
        "{prod: {logging: LOUD}}",
    ] {
        let l = load(&rest(route).replace("{prod: {}}", stages));
        assert!(l.has_errors(), "{stages}");
        assert!(warnings(&l).is_empty(), "{stages}: {}", dump(&l));
    }
    // Without stages, or with `stages: {}`, the warning stays.
    for stages in ["stages: {}\n", ""] {
        let text = rest(route).replace("stages: {prod: {}}\n", stages);
        let l = load(&text);
        assert_eq!(warnings(&l).len(), 1, "{}", dump(&l));
        assert!(warnings(&l)[0].message.starts_with("no `stages`"));
    }
}

// ---------------------------------------------------------------- websocket apis

const WS: &str = "api: {name: chat, kind: websocket}\nfunctions: {f: f, g: g}\nstages: {prod: {auto_deploy: true, logging: INFO, data_trace: true}}\nroutes:\n";

fn ws(routes: &str) -> String {
    format!("{WS}{routes}")
}

#[test]
fn websocket_routes_are_read_by_route_key_with_their_targets() {
    let s = assert_ok(&ws("  - {route: $connect, function: f, auth: iam}\n  - {route: sendmessage, function: g, response: true, throttle: {rate: 1, burst: 2}}\n  - route: $default\n    integration: {type: mock, template_selection: \\$default, request_templates: {$default: '{}'}}\n"));
    assert_eq!(s.api.kind, ApiKind::WebSocket);
    assert_eq!(s.api.route_selection, None);
    let keys: Vec<&str> = s.routes.iter().map(|r| r.path.value.as_str()).collect();
    assert_eq!(keys, ["$connect", "sendmessage", "$default"]);
    assert_eq!(
        s.routes[0].auth.as_ref().map(|a| &a.value),
        Some(&AuthRef::Iam)
    );
    assert!(s.routes[1].response && !s.routes[0].response);
    assert_eq!(s.routes[2].integration.kind, IntegrationKind::Mock);
    assert_eq!(
        s.routes[2].integration.template_selection.as_deref(),
        Some("\\$default")
    );
    assert_eq!(s.stages[0].logging, Some(LogLevel::Info));
    assert_eq!(s.stages[0].data_trace, Some(true));
}

#[test]
fn websocket_route_keys_with_spaces_or_twice_are_refused_where_written() {
    let e = one_error(&ws("  - {route: send message, function: f}\n"));
    assert_at(&e, 5, 13, "route key `send message` contains spaces");
    let e = one_error(&ws(
        "  - {route: $connect, function: f}\n  - {route: $connect, function: g}\n",
    ));
    assert_at(&e, 6, 13, "duplicate route `$connect`");
    let e = one_error(&ws("  - {route: $connnect, function: f}\n"));
    assert_at(&e, 5, 13, "unknown predefined route `$connnect`");
}

#[test]
fn websocket_authorization_is_on_connect_only_with_a_request_authorizer() {
    let auth = "authorizers:\n  t: {type: request, function: g, identity_sources: [route.request.header.Auth]}\n";
    let text = format!("{WS}  - {{route: send, function: f, auth: t}}\n{auth}");
    let e = one_error(&text);
    assert_at(&e, 5, 38, "route `send` cannot be authorized");
    // The identity sources of websocket requests.
    let text = format!("{WS}  - {{route: $connect, function: f, auth: t}}\nauthorizers:\n  t: {{type: request, function: g, identity_sources: [$request.header.Auth]}}\n");
    let e = one_error(&text);
    assert_eq!(e.message, "invalid identity source `$request.header.Auth`");
    let text = format!("{WS}  - {{route: $connect, function: f, auth: t}}\nauthorizers:\n  t: {{type: jwt, issuer: https://x.example.com, audience: [a]}}\n");
    let e = one_error(&text);
    assert_eq!(
        e.message,
        "`jwt` authorizers are only supported on http apis"
    );
    assert_ok(&format!(
        "{WS}  - {{route: $connect, function: f, auth: t}}\n{auth}"
    ));
}

#[test]
fn websocket_route_selection_reads_the_body_and_cors_is_refused() {
    let e = one_error(&ws("  - {route: a, function: f}\n").replace(
        "kind: websocket}",
        "kind: websocket, route_selection: $request.header.x}",
    ));
    assert_at(
        &e,
        1,
        53,
        "`$request.header.x` is not a route selection expression",
    );
    let s = assert_ok(&ws("  - {route: a, function: f}\n").replace(
        "kind: websocket}",
        "kind: websocket, route_selection: $request.body.message.type}",
    ));
    assert_eq!(
        s.api.route_selection.as_ref().map(|r| r.value.as_str()),
        Some("$request.body.message.type")
    );
    let e = one_error(&format!(
        "{}cors: {{origins: ['*']}}\n",
        ws("  - {route: a, function: f}\n")
    ));
    assert_eq!(e.message, "`cors` is not supported on websocket apis");
    let e = one_error(&format!(
        "{}default_auth: iam\n",
        ws("  - {route: a, function: f}\n")
    ));
    assert_eq!(
        e.message,
        "`default_auth` is not supported on websocket apis"
    );
    // Keys of the other kinds.
    let e = one_error(
        &ws("  - {route: a, function: f}\n")
            .replace("kind: websocket}", "kind: websocket, endpoint: EDGE}"),
    );
    assert_eq!(e.message, "`endpoint` is only supported on rest apis");
    let l = load(&ws("  - {path: /a, method: GET, function: f}\n"));
    let messages: Vec<&str> = errors(&l).iter().map(|d| d.message.as_str()).collect();
    assert!(
        messages.contains(&"missing `route` in route"),
        "{messages:?}"
    );
}

#[test]
fn route_selection_and_auto_deploy_belong_to_their_kinds() {
    let e = one_error(
        &rest("  - {path: /a, method: GET, function: f}\n")
            .replace("{name: a}", "{name: a, route_selection: $request.body.a}"),
    );
    assert_eq!(
        e.message,
        "`route_selection` is only supported on websocket apis"
    );
    let e = one_error(
        &rest("  - {path: /a, method: GET, function: f}\n")
            .replace("stages: {prod: {}}", "stages: {prod: {auto_deploy: true}}"),
    );
    assert_eq!(
        e.message,
        "`auto_deploy` is only supported on http and websocket apis"
    );
}
