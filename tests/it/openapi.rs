//! `gwctl export --format openapi SPEC`: the document validates against the OpenAPI 3.0
//! schema (openapi-spec-validator, pinned in scripts/emulator.sh's venv), and API Gateway
//! (LocalStack's ImportRestApi) builds from it the API the granular path builds: a plan of
//! the spec against the imported API changes no resource, method, integration, authorizer
//! or gateway response.
//!
//! The document of a live API (`--format openapi --api-id`, applied by gwctl on LocalStack)
//! validates and imports the same way.
//!
//! Needs the emulator venv and LocalStack; fails (never skips) without them.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support;
use crate::support::localstack::{self, ACCOUNT_ID};
use crate::support::{repo, stdout_ok, TODO_FUNCTIONS};
use gwctl::output::{ChangeDoc, FieldDoc, PlanDoc};
use gwctl::plan::rest::openapi::{render, Mode};

/// Every spec in specs/ plus the fixture that uses every kind of REST authorization.
/// Every spec of specs/ that OpenAPI can describe (REST and HTTP APIs; a WebSocket spec is
/// refused: `openapi_export_refuses_a_websocket_api`), and the secure fixture.
fn specs() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(repo("specs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .filter(|p| !is_websocket(p))
        .map(|p| p.display().to_string())
        .collect();
    out.sort();
    out.push(
        repo("tests/fixtures/openapi/secure.yaml")
            .display()
            .to_string(),
    );
    out
}

fn export(endpoint: &str, spec: &str) -> String {
    stdout_ok(&support::gwctl_at(
        endpoint,
        &["export", "--format", "openapi", spec],
    ))
}

#[test]
fn openapi_export_of_every_spec_validates_against_the_openapi_3_schema() {
    for spec in specs() {
        // Offline: no emulator is needed, the endpoint is never called.
        let doc = export("http://127.0.0.1:9", &spec);
        let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(v["openapi"], "3.0.1", "{spec}");
        support::validate_openapi(&doc);
    }
}

fn is_websocket(p: &std::path::Path) -> bool {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .any(|l| l.trim() == "kind: websocket")
}

#[test]
fn openapi_export_refuses_a_websocket_api() {
    let chat = repo("specs/chat.yaml");
    assert!(is_websocket(&chat));
    let o = support::gwctl_at(
        "http://127.0.0.1:9",
        &["export", "--format", "openapi", chat.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty(), "nothing partial on stdout");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("websocket apis have no OpenAPI form"), "{err}");
}

#[test]
fn openapi_export_refuses_what_it_cannot_express_unless_allow_partial() {
    let dir = tempfile::tempdir().unwrap();
    // An authorizer name OpenAPI cannot carry as a security scheme name.
    let spec = support::cli::write(
        &dir,
        "bad.yaml",
        "version: 1\napi: {name: n, kind: rest}\nfunctions: {f: f}\nauthorizers: {api_key: {type: token, function: f}}\nroutes:\n  - {path: /a, method: GET, function: f, auth: api_key}\n",
    );
    let spec = spec.to_str().unwrap();
    let refused = support::gwctl_at(
        "http://127.0.0.1:9",
        &["export", "--format", "openapi", spec],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(refused.stdout.is_empty(), "nothing partial on stdout");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("not in the OpenAPI document: authorizer api_key"),
        "{err}"
    );
    let partial = stdout_ok(&support::gwctl_at(
        "http://127.0.0.1:9",
        &["export", "--format", "openapi", spec, "--allow-partial"],
    ));
    let v: serde_json::Value = serde_json::from_str(&partial).unwrap();
    assert!(v["paths"]["/a"]["get"].is_object());
}

/// Import `doc` with ImportRestApi, then plan `spec` against the result: the changes to
/// the API's configuration (resources, methods, integrations, authorizers, gateway responses).
async fn import_and_plan(ls: &localstack::LocalStack, spec: &Path, doc: String) -> Vec<ChangeDoc> {
    // What AWS does with its `${AWS::AccountId}` variable (LocalStack keeps it as text).
    let doc = doc.replace("${AWS::AccountId}", ACCOUNT_ID);
    let c = ls.clients().await;
    let api = c
        .apigw
        .import_rest_api()
        .parameters("endpointConfigurationTypes", "REGIONAL")
        .fail_on_warnings(true)
        .body(aws_smithy_types::Blob::new(doc.into_bytes()))
        .send()
        .await
        .expect("import-rest-api accepts the document");
    let id = api.id().unwrap().to_string();
    let out = stdout_ok(&support::gwctl_at(
        &ls.endpoint(),
        &[
            "plan",
            spec.to_str().unwrap(),
            "--api-id",
            &id,
            "--output",
            "json",
        ],
    ));
    let plan: PlanDoc = serde_json::from_str(&out).unwrap();
    plan.changes
        .into_iter()
        .filter(|c| {
            matches!(
                c.kind.as_str(),
                "resource" | "method" | "integration" | "authorizer" | "gateway_response"
            )
        })
        .collect()
}

fn show(changes: &[&ChangeDoc]) -> String {
    changes
        .iter()
        .map(|c| format!("{} {} {} {:?}", c.action, c.kind, c.name, c.fields))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The gaps of LocalStack's importer, asserted (so that a LocalStack that closes one fails
/// here) and taken out of `changes`:
/// - it stores no gateway response from `x-amazon-apigateway-gateway-responses` (AWS
///   imports them): the plan creates the CORS ones;
/// - it declares the `{name}` that ends a path as a required request parameter of each of
///   the path's methods, declared or not (its code says AWS does the same); a body declares
///   them itself (`Mode::Body`), and for the planner they are implied by the path;
/// - it drops an integration's `credentials` (its importer never reads the field);
/// - it ignores the `awsSigv4` security scheme (AWS_IAM methods come out `NONE`).
fn without_localstack_gaps<'a>(spec: &Path, changes: &'a [ChangeDoc]) -> Vec<&'a ChangeDoc> {
    let cors = std::fs::read_to_string(spec).unwrap().contains("\ncors:");
    let gaps: Vec<&str> = changes
        .iter()
        .filter(|c| c.kind == "gateway_response")
        .map(|c| c.name.as_str())
        .collect();
    let want: &[&str] = if cors {
        &["DEFAULT_4XX", "DEFAULT_5XX"]
    } else {
        &[]
    };
    assert_eq!(gaps, want, "{}", spec.display());
    changes
        .iter()
        .filter(|c| c.kind != "gateway_response")
        .filter(|c| {
            !(matches!(c.kind.as_str(), "method" | "integration")
                && c.fields.iter().all(|f| localstack_gap(c, f)))
        })
        .collect()
}

/// A method field that differs by one of LocalStack's importer gaps above.
fn localstack_gap(c: &ChangeDoc, f: &FieldDoc) -> bool {
    (f.field == "request_parameters" && c.name.contains('{') && only_path_parameters_added(f))
        || (f.field == "integration" && only_credentials_dropped(f))
        || (c.kind == "integration"
            && f.field == "credentials"
            && f.old.is_none()
            && f.new.is_some())
        || (f.field == "authorization_type"
            && f.old.as_deref() == Some("NONE")
            && f.new.as_deref() == Some("AWS_IAM"))
}

/// `old` is `new` without its `credentials`.
fn only_credentials_dropped(f: &FieldDoc) -> bool {
    let json = |v: &Option<String>| -> serde_json::Value {
        serde_json::from_str(v.as_deref().unwrap_or("null")).unwrap()
    };
    let (mut old, new) = (json(&f.old), json(&f.new));
    if old["credentials"].is_null() && !new["credentials"].is_null() {
        old["credentials"] = new["credentials"].clone();
    }
    old == new && f.old != f.new
}

/// `old` is `new` plus path parameters only.
fn only_path_parameters_added(f: &FieldDoc) -> bool {
    let map = |v: &Option<String>| -> BTreeMap<String, bool> {
        v.as_deref()
            .map(|t| serde_json::from_str(t).unwrap())
            .unwrap_or_default()
    };
    let (mut old, new) = (map(&f.old), map(&f.new));
    old.retain(|k, _| !new.contains_key(k));
    !old.is_empty()
        && old
            .iter()
            .all(|(k, v)| k.starts_with("method.request.path.") && *v)
}

#[tokio::test(flavor = "multi_thread")]
async fn openapi_export_reimports_on_localstack_into_the_api_the_spec_describes() {
    let ls = localstack::start().await;
    ls.create_functions(TODO_FUNCTIONS).await;
    let dir = tempfile::tempdir().unwrap();
    // Seed 004's custom integration (templates, selection patterns), on a function here.
    let custom = std::fs::read_to_string(repo("specs/hoge-custom.yaml"))
        .unwrap()
        .replace(
            "arn:aws:lambda:ap-northeast-1:123456789012:function:lambdemo",
            "todo-get",
        );
    let custom = support::cli::write(&dir, "custom.yaml", &custom);
    for file in [
        repo("specs/todo.yaml"),
        custom,
        repo("tests/fixtures/openapi/secure.yaml"),
    ] {
        // The definition path's body: exactly the spec's configuration.
        let spec = support::offline::load(&std::fs::read_to_string(&file).unwrap());
        let functions = gwctl::plan::openapi::offline_functions(&spec, support::REGION);
        let config = gwctl::plan::rest::desired::rest(&spec, &functions, support::REGION).config;
        let body = render(&config, Mode::Body).document.to_string();
        let changes = import_and_plan(&ls, &file, body).await;
        let params: Vec<&ChangeDoc> = changes
            .iter()
            .filter(|c| c.fields.iter().any(|f| f.field == "request_parameters"))
            .collect();
        assert!(params.is_empty(), "{}: {}", file.display(), show(&params));
        // Every method is in the body (issue 17): nothing but LocalStack's gaps is missing.
        let rest: Vec<&ChangeDoc> = without_localstack_gaps(&file, &changes);
        assert!(
            rest.is_empty(),
            "{}: the api imported from the body differs from the spec:\n{}",
            file.display(),
            show(&rest)
        );

        // The exported document (valid OpenAPI): the same, but for what OpenAPI requires
        // of a document (path parameters declared for every method of a templated path, a
        // `default` response where a method has none), which API Gateway imports too.
        let doc = export(&ls.endpoint(), file.to_str().unwrap());
        let changes = import_and_plan(&ls, &file, doc).await;
        assert_only_document_additions(&file, &changes, "the export");
    }

    // A live API's document (`--format openapi --api-id`): applied by gwctl, exported,
    // valid OpenAPI, and imported into the API the spec describes, as the spec's document.
    // Another name: the imports above made APIs named `todo-api` gwctl did not create.
    let text = std::fs::read_to_string(repo("specs/todo.yaml")).unwrap();
    assert!(text.contains("name: todo-api\n"));
    let todo = support::cli::write(
        &dir,
        "todo-live.yaml",
        &text.replace("name: todo-api\n", "name: todo-api-live\n"),
    );
    let out = stdout_ok(&support::gwctl_at(
        &ls.endpoint(),
        &["apply", todo.to_str().unwrap(), "--yes", "--output", "json"],
    ));
    let applied: gwctl::output::ApplyDoc = serde_json::from_str(&out).unwrap();
    let id = applied.api.id.expect("applied");
    let live = stdout_ok(&support::gwctl_at(
        &ls.endpoint(),
        &["export", "--format", "openapi", "--api-id", &id],
    ));
    assert!(!live.contains("${AWS::AccountId}"), "real ARNs:\n{live}");
    support::validate_openapi(&live);
    let changes = import_and_plan(&ls, &todo, live).await;
    assert_only_document_additions(&todo, &changes, "the live api's document");
}

/// A plan of `file` against the API imported from its exported document changes nothing
/// but what OpenAPI requires of a document (path parameters declared for every method of a
/// templated path, a `default` response where a method has none), which API Gateway
/// imports too, and LocalStack's gaps.
fn assert_only_document_additions(file: &Path, changes: &[ChangeDoc], what: &str) {
    without_localstack_gaps(file, changes);
    let unexpected: Vec<&ChangeDoc> = changes
        .iter()
        .filter(|c| c.kind != "gateway_response")
        .filter(|c| {
            !(matches!(c.kind.as_str(), "method" | "integration")
                && c.fields.iter().all(|f| {
                    let old = f.old.as_deref().unwrap_or_default();
                    localstack_gap(c, f)
                        || (f.new.is_none()
                            && match f.field.as_str() {
                                "method_responses" => old.starts_with("{\"default\":"),
                                "request_parameters" => old.starts_with("{\"method.request.path."),
                                _ => false,
                            })
                }))
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "{}: the api imported from {what} differs from the spec:\n{}",
        file.display(),
        show(&unexpected)
    );
}
