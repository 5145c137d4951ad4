//! `gwctl export` end to end on the emulator (behind the strict proxy, as every emulator
//! test): the round-trip contract of issue 16. For every spec in specs/: apply it, export the
//! API, and the export validates and plans empty against the same API (`--detailed-exitcode`
//! exits 0). For an API built by hand with raw calls (seed 003's aws-CLI recipe: Lambda proxy
//! routes and hand-made CORS preflights): export, validate, plan empty. An API with something
//! the spec language cannot say: exit 1, the object named on stderr, nothing on stdout.

use aws_sdk_apigateway::types as agt;

use crate::support;
use crate::support::cli::{apply_json, gwctl, ok, repo, text};

/// Export the API `id` to a file in `dir` (must succeed), validate it, and plan it against
/// the API: no change. Returns the exported text.
fn export_and_plan_empty(em: &support::Emulator, dir: &tempfile::TempDir, id: &str) -> String {
    let file = dir.path().join(format!("{id}.yaml"));
    let (out, err) = ok(&gwctl(em, &["export", "--api-id", id]));
    assert!(!err.contains("left out"), "{err}");
    std::fs::write(&file, &out).unwrap();
    ok(&gwctl(em, &["validate", file.to_str().unwrap()]));
    let o = gwctl(
        em,
        &[
            "plan",
            file.to_str().unwrap(),
            "--api-id",
            id,
            "--detailed-exitcode",
        ],
    );
    let (plan, perr) = text(&o);
    assert_eq!(
        o.status.code(),
        Some(0),
        "the export plans changes:\n{plan}\n{perr}\n{out}"
    );
    // --output-file writes the same text.
    let again = dir.path().join("again.yaml");
    ok(&gwctl(
        em,
        &[
            "export",
            "--api-id",
            id,
            "--output-file",
            again.to_str().unwrap(),
        ],
    ));
    assert_eq!(std::fs::read_to_string(&again).unwrap(), out);
    out
}

/// The environments a spec declares (`environments:` keys but `default`), or `[None]`.
fn environments(text: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() && !line.starts_with('#') {
            inside = line.starts_with("environments:");
            continue;
        }
        if let Some(key) = inside
            .then(|| line.strip_prefix("  "))
            .flatten()
            .filter(|l| !l.starts_with(' '))
            .and_then(|l| l.split_once(':'))
            .map(|(k, _)| k.trim())
        {
            if key != "default" {
                out.push(Some(key.to_string()));
            }
        }
    }
    if out.is_empty() {
        out.push(None);
    }
    out
}

/// Every spec of specs/ (read from the directory, so a new spec cannot be forgotten), in
/// each of its environments: applied, exported, the export plans empty; and for REST and
/// HTTP APIs, the OpenAPI document of the live API (`--format openapi --api-id`) is the
/// spec's own (`--format openapi SPEC`), with the account in place of `${AWS::AccountId}`,
/// and validates against the OpenAPI 3.0 schema.
#[tokio::test]
async fn every_spec_applied_then_exported_plans_empty() {
    let em = support::emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(repo("specs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    let mut created = std::collections::BTreeSet::new();
    let mut account = None;
    let mut applied = Vec::new();
    for path in &files {
        let mut text = std::fs::read_to_string(path).unwrap();
        for env in environments(&text) {
            let inputs = gwctl::spec::vars::Inputs {
                env: env.clone(),
                ..Default::default()
            };
            let loaded =
                gwctl::spec::load_with_inputs(path, &gwctl::spec::LoadOptions::default(), &inputs);
            let spec = loaded.spec.expect("specs/ are valid");
            // A function named by ARN (another region, another account): here, by name.
            let mut names = Vec::new();
            for f in &spec.functions {
                let v = &f.name_or_arn.value;
                let name = match gwctl::spec::arn::FunctionArn::parse(v) {
                    Some(a) => {
                        text = text.replace(v.as_str(), &a.name);
                        a.name
                    }
                    None => v.clone(),
                };
                if created.insert(name.clone()) {
                    names.push(name);
                }
            }
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let arns = em.create_functions(&refs).await;
            if account.is_none() {
                account = arns
                    .first()
                    .and_then(|a| a.split(':').nth(4))
                    .map(str::to_string);
            }
            let file = dir.path().join(path.file_name().unwrap().to_str().unwrap());
            std::fs::write(&file, &text).unwrap();
            let file_s = file.to_str().unwrap().to_string();
            let mut args = vec!["apply", file_s.as_str(), "--yes", "--output", "json"];
            if let Some(e) = &env {
                args.extend(["--env", e.as_str()]);
            }
            let (out, _) = ok(&gwctl(&em, &args));
            let doc: gwctl::output::ApplyDoc = serde_json::from_str(&out).unwrap();
            let id = doc.api.id.expect("the api exists");
            let out = export_and_plan_empty(&em, &dir, &id);
            assert!(out.contains("Nothing was left out."), "{out}");
            assert!(
                !out.contains("gwctl:managed-by"),
                "gwctl's own tag is not exported:\n{out}"
            );
            if spec.api.kind != gwctl::spec::model::ApiKind::WebSocket {
                let mut offline = vec!["export", "--format", "openapi", file_s.as_str()];
                if let Some(e) = &env {
                    offline.extend(["--env", e.as_str()]);
                }
                let want = ok(&gwctl(&em, &offline)).0.replace(
                    "${AWS::AccountId}",
                    account.as_deref().expect("functions were made"),
                );
                let live = ok(&gwctl(
                    &em,
                    &["export", "--format", "openapi", "--api-id", &id],
                ))
                .0;
                assert_eq!(live, want, "{}: live and spec OpenAPI", path.display());
                support::validate_openapi(&live);
            }
            applied.push(format!("{} {env:?}", path.display()));
        }
    }
    assert!(
        applied.len() >= 7,
        "every spec, todo-envs in dev and prod: {applied:?}"
    );
}

#[tokio::test]
async fn an_api_built_by_hand_with_cli_style_cors_exports_and_plans_empty() {
    let em = support::emulator().await;
    let arns = em.create_functions(&["items-fn"]).await;
    let c = em.clients().await;
    let gw = &c.apigw;
    let api = gw.create_rest_api().name("hand-cors").send().await.unwrap();
    let id = api.id().unwrap().to_string();
    let root = root_id(gw, &id).await;
    let items = gw
        .create_resource()
        .rest_api_id(&id)
        .parent_id(&root)
        .path_part("items")
        .send()
        .await
        .unwrap();
    let rid = items.id().unwrap();
    gw.put_method()
        .rest_api_id(&id)
        .resource_id(rid)
        .http_method("GET")
        .authorization_type("NONE")
        .send()
        .await
        .unwrap();
    gw.put_integration()
        .rest_api_id(&id)
        .resource_id(rid)
        .http_method("GET")
        .r#type(agt::IntegrationType::AwsProxy)
        .integration_http_method("POST")
        .uri(format!(
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{}/invocations",
            arns[0]
        ))
        .send()
        .await
        .unwrap();
    // Seed 003's hand-made CORS: a MOCK OPTIONS with the headers, no gateway responses.
    gw.put_method()
        .rest_api_id(&id)
        .resource_id(rid)
        .http_method("OPTIONS")
        .authorization_type("NONE")
        .send()
        .await
        .unwrap();
    gw.put_method_response()
        .rest_api_id(&id)
        .resource_id(rid)
        .http_method("OPTIONS")
        .status_code("200")
        .response_models("application/json", "Empty")
        .response_parameters("method.response.header.Access-Control-Allow-Headers", false)
        .response_parameters("method.response.header.Access-Control-Allow-Methods", false)
        .response_parameters("method.response.header.Access-Control-Allow-Origin", false)
        .send()
        .await
        .unwrap();
    gw.put_integration()
        .rest_api_id(&id)
        .resource_id(rid)
        .http_method("OPTIONS")
        .r#type(agt::IntegrationType::Mock)
        .request_templates("application/json", "{\"statusCode\": 200}")
        .send()
        .await
        .unwrap();
    gw.put_integration_response()
        .rest_api_id(&id)
        .resource_id(rid)
        .http_method("OPTIONS")
        .status_code("200")
        .response_parameters(
            "method.response.header.Access-Control-Allow-Headers",
            "'Content-Type,Authorization'",
        )
        .response_parameters(
            "method.response.header.Access-Control-Allow-Methods",
            "'GET,OPTIONS'",
        )
        .response_parameters("method.response.header.Access-Control-Allow-Origin", "'*'")
        .send()
        .await
        .unwrap();
    // Deployed by hand, and the invoke permission as the console adds it (its own id).
    gw.create_deployment()
        .rest_api_id(&id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    let account = arns[0].split(':').nth(4).unwrap();
    c.lambda
        .add_permission()
        .function_name(&arns[0])
        .statement_id("console-made")
        .action("lambda:InvokeFunction")
        .principal("apigateway.amazonaws.com")
        .source_arn(format!("arn:aws:execute-api:us-east-1:{account}:{id}/*"))
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = export_and_plan_empty(&em, &dir, &id);
    assert!(
        out.contains("items-fn: items-fn"),
        "by name, same account and region:\n{out}"
    );
    // The recipe's preflight is what `cors:` makes; the recipe puts no gateway responses.
    assert!(
        out.contains("\ncors: {origins: ['*'], headers: [Content-Type, Authorization], gateway_responses: false}\n"),
        "the preflight, as `cors:`:\n{out}"
    );
    assert!(!out.contains("method: OPTIONS"), "{out}");
}

/// The id of the root resource of REST API `id`.
async fn root_id(gw: &aws_sdk_apigateway::Client, id: &str) -> String {
    gw.get_resources()
        .rest_api_id(id)
        .send()
        .await
        .unwrap()
        .items()[0]
        .id()
        .unwrap()
        .to_string()
}

/// A preflight made with raw calls on resource `rid`: `headers` are the integration
/// response's (name, value) pairs; `sam` spells the templates as SAM's `Cors:` does (and
/// declares the headers required, without models), else as the console does.
async fn put_preflight(
    gw: &aws_sdk_apigateway::Client,
    id: &str,
    rid: &str,
    headers: &[(&str, &str)],
    sam: bool,
) {
    gw.put_method()
        .rest_api_id(id)
        .resource_id(rid)
        .http_method("OPTIONS")
        .authorization_type("NONE")
        .send()
        .await
        .unwrap();
    let mut mr = gw
        .put_method_response()
        .rest_api_id(id)
        .resource_id(rid)
        .http_method("OPTIONS")
        .status_code("200");
    if !sam {
        mr = mr.response_models("application/json", "Empty");
    }
    for (h, _) in headers {
        mr = mr.response_parameters(format!("method.response.header.{h}"), sam);
    }
    mr.send().await.unwrap();
    let template = if sam {
        "{\n  \"statusCode\" : 200\n}\n"
    } else {
        "{\"statusCode\": 200}"
    };
    gw.put_integration()
        .rest_api_id(id)
        .resource_id(rid)
        .http_method("OPTIONS")
        .r#type(agt::IntegrationType::Mock)
        .request_templates("application/json", template)
        .send()
        .await
        .unwrap();
    let mut ir = gw
        .put_integration_response()
        .rest_api_id(id)
        .resource_id(rid)
        .http_method("OPTIONS")
        .status_code("200");
    if sam {
        ir = ir.response_templates("application/json", "{}\n");
    }
    for (h, v) in headers {
        ir = ir.response_parameters(format!("method.response.header.{h}"), *v);
    }
    ir.send().await.unwrap();
}

/// A REST API with `/items` GET and POST (MOCK integrations) and `/items/{id}` GET, made
/// with raw calls; returns its id and the two resource ids.
async fn items_api(gw: &aws_sdk_apigateway::Client, name: &str) -> (String, String, String) {
    let api = gw.create_rest_api().name(name).send().await.unwrap();
    let id = api.id().unwrap().to_string();
    let root = root_id(gw, &id).await;
    let mut rids = Vec::new();
    let mut parent = root;
    for (part, verbs) in [("items", &["GET", "POST"][..]), ("{id}", &["GET"][..])] {
        let r = gw
            .create_resource()
            .rest_api_id(&id)
            .parent_id(&parent)
            .path_part(part)
            .send()
            .await
            .unwrap();
        let rid = r.id().unwrap().to_string();
        for verb in verbs {
            gw.put_method()
                .rest_api_id(&id)
                .resource_id(&rid)
                .http_method(*verb)
                .authorization_type("NONE")
                .send()
                .await
                .unwrap();
            gw.put_integration()
                .rest_api_id(&id)
                .resource_id(&rid)
                .http_method(*verb)
                .r#type(agt::IntegrationType::Mock)
                .request_templates("application/json", "{\"statusCode\": 200}")
                .send()
                .await
                .unwrap();
        }
        parent = rid.clone();
        rids.push(rid);
    }
    (id, rids[0].clone(), rids[1].clone())
}

const CONSOLE_HEADERS: &str =
    "'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token'";

#[tokio::test]
async fn the_consoles_enable_cors_is_exported_as_cors_and_plans_no_write() {
    let em = support::emulator().await;
    let c = em.clients().await;
    let gw = &c.apigw;
    let (id, items, item) = items_api(gw, "console-cors").await;
    // What the console's "Enable CORS" leaves: a preflight per resource, and the two default
    // gateway responses with the origin and the headers.
    put_preflight(
        gw,
        &id,
        &items,
        &[
            ("Access-Control-Allow-Headers", CONSOLE_HEADERS),
            ("Access-Control-Allow-Methods", "'GET,OPTIONS,POST'"),
            ("Access-Control-Allow-Origin", "'*'"),
        ],
        false,
    )
    .await;
    put_preflight(
        gw,
        &id,
        &item,
        &[
            ("Access-Control-Allow-Headers", CONSOLE_HEADERS),
            ("Access-Control-Allow-Methods", "'GET,OPTIONS'"),
            ("Access-Control-Allow-Origin", "'*'"),
        ],
        false,
    )
    .await;
    for t in [
        agt::GatewayResponseType::Default4Xx,
        agt::GatewayResponseType::Default5Xx,
    ] {
        gw.put_gateway_response()
            .rest_api_id(&id)
            .response_type(t)
            .response_parameters("gatewayresponse.header.Access-Control-Allow-Origin", "'*'")
            .response_parameters(
                "gatewayresponse.header.Access-Control-Allow-Headers",
                CONSOLE_HEADERS,
            )
            .send()
            .await
            .unwrap();
    }
    gw.create_deployment()
        .rest_api_id(&id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = export_and_plan_empty(&em, &dir, &id);
    assert!(out.contains("\ncors: {origins: ['*']}\n"), "{out}");
    assert!(!out.contains("method: OPTIONS"), "{out}");
    assert!(out.contains("Nothing was left out."), "{out}");
}

#[tokio::test]
async fn sams_cors_is_exported_as_cors_and_plans_no_write() {
    let em = support::emulator().await;
    let c = em.clients().await;
    let gw = &c.apigw;
    let (id, items, item) = items_api(gw, "sam-cors").await;
    // SAM's `Cors: {AllowMethods: "'GET,POST,PUT,DELETE,OPTIONS'", AllowHeaders:
    // "'Content-Type,Authorization'", AllowOrigin: "'*'"}` (seed 000): the same list on
    // every path, SAM's template spellings, no gateway responses.
    for rid in [&items, &item] {
        put_preflight(
            gw,
            &id,
            rid,
            &[
                (
                    "Access-Control-Allow-Methods",
                    "'GET,POST,PUT,DELETE,OPTIONS'",
                ),
                (
                    "Access-Control-Allow-Headers",
                    "'Content-Type,Authorization'",
                ),
                ("Access-Control-Allow-Origin", "'*'"),
            ],
            true,
        )
        .await;
    }
    gw.create_deployment()
        .rest_api_id(&id)
        .stage_name("Prod")
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = export_and_plan_empty(&em, &dir, &id);
    assert!(
        out.contains("\ncors: {origins: ['*'], headers: [Content-Type, Authorization], gateway_responses: false}\n"),
        "{out}"
    );
    assert!(!out.contains("method: OPTIONS"), "{out}");
}

#[tokio::test]
async fn a_near_miss_cors_stays_literal_routes_and_plans_no_write() {
    let em = support::emulator().await;
    let c = em.clients().await;
    let gw = &c.apigw;
    let (id, items, item) = items_api(gw, "near-miss-cors").await;
    // Two origins, one per resource: no single `cors:` block makes that.
    for (rid, origin) in [(&items, "'*'"), (&item, "'https://app.example.com'")] {
        put_preflight(
            gw,
            &id,
            rid,
            &[
                ("Access-Control-Allow-Headers", CONSOLE_HEADERS),
                ("Access-Control-Allow-Methods", "'GET,OPTIONS,POST'"),
                ("Access-Control-Allow-Origin", origin),
            ],
            false,
        )
        .await;
    }
    gw.create_deployment()
        .rest_api_id(&id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = export_and_plan_empty(&em, &dir, &id);
    assert!(!out.contains("\ncors:"), "{out}");
    assert_eq!(out.matches("method: OPTIONS").count(), 2, "{out}");
}

#[tokio::test]
async fn a_cached_stage_route_caches_and_a_policy_export_and_plan_empty() {
    let em = support::emulator().await;
    em.create_functions(&["xc-list", "xc-create"]).await;
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("cached.yaml");
    std::fs::write(
        &spec,
        "version: 1\napi:\n  name: cache-export\n  policy:\n    Version: '2012-10-17'\n    Statement:\n      - {Effect: Allow, Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*'}\nfunctions: {list: xc-list, create: xc-create}\nstages:\n  prod:\n    cache: {size: '0.5', ttl: 300, encrypted: true}\nroutes:\n  - {path: /items, method: GET, function: list, cache: {ttl: 60}}\n  - {path: /items, method: POST, function: create, cache: {enabled: false}}\n",
    )
    .unwrap();
    let id = apply_json(&em, &spec).api.id.expect("the api exists");
    let out = export_and_plan_empty(&em, &dir, &id);
    for part in [
        "cache: {size: '0.5', ttl: 300, encrypted: true}",
        "cache: {ttl: 60}",
        "cache: {enabled: false}",
        "policy:",
    ] {
        assert!(out.contains(part), "{part:?} not in\n{out}");
    }
}

#[tokio::test]
async fn what_the_spec_cannot_say_is_named_and_nothing_is_printed_unless_allowed() {
    let em = support::emulator().await;
    em.create_functions(support::TODO_FUNCTIONS).await;
    let doc = apply_json(&em, &repo("specs/todo.yaml"));
    let id = doc.api.id.unwrap();
    let c = em.clients().await;
    // A customised gateway response the spec language has no key for.
    c.apigw
        .put_gateway_response()
        .rest_api_id(&id)
        .response_type(agt::GatewayResponseType::AccessDenied)
        .status_code("403")
        .response_templates("application/json", "{\"message\": \"no\"}")
        .send()
        .await
        .unwrap();
    let o = gwctl(&em, &["export", "--api-id", &id]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(out.is_empty(), "nothing partial on stdout: {out}");
    assert!(err.contains("gateway response ACCESS_DENIED"), "{err}");
    assert!(err.contains("--allow-partial"), "{err}");
    let o = gwctl(&em, &["export", "--api-id", &id, "--allow-partial"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("gateway response ACCESS_DENIED"), "{err}");
    assert!(
        out.contains("# - gateway response ACCESS_DENIED"),
        "the file says it:\n{out}"
    );
    // An unknown stage is an error.
    let o = gwctl(
        &em,
        &[
            "export",
            "--api-id",
            &id,
            "--stage",
            "nope",
            "--allow-partial",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("no stage `nope`"), "{}", text(&o).1);
}

/// The `aws SERVICE.Operation` lines `--verbose` prints, counted by operation.
fn calls(stderr: &str) -> std::collections::BTreeMap<String, usize> {
    let mut m = std::collections::BTreeMap::new();
    for l in stderr.lines() {
        if let Some(op) = l.strip_prefix("aws ").and_then(|r| r.split(' ').next()) {
            *m.entry(op.to_string()).or_default() += 1;
        }
    }
    m
}

#[tokio::test]
async fn export_reads_what_a_no_op_plan_reads() {
    let em = support::emulator().await;
    em.create_functions(&[
        "create-task",
        "list-tasks",
        "get-task",
        "update-task",
        "delete-task",
    ])
    .await;
    let spec = repo("specs/tasks-apikey.yaml");
    let id = apply_json(&em, &spec).api.id.unwrap();
    let o = gwctl(
        &em,
        &["-v", "plan", spec.to_str().unwrap(), "--api-id", &id],
    );
    let plan = calls(&ok(&o).1);
    let o = gwctl(&em, &["-v", "export", "--api-id", &id]);
    let export = calls(&ok(&o).1);
    // By name, as `plan SPEC` finds it: the listing's answer is reused.
    let o = gwctl(&em, &["-v", "plan", spec.to_str().unwrap()]);
    let plan_by_name = calls(&ok(&o).1);
    let o = gwctl(&em, &["-v", "export", "--api", "task-api"]);
    let export_by_name = calls(&ok(&o).1);
    let rest_reads = |m: &std::collections::BTreeMap<String, usize>| -> usize {
        m.iter()
            .filter(|(k, _)| {
                k.starts_with("apigateway.") && !k.contains("Usage") && !k.contains("ApiKeys")
            })
            .map(|(_, n)| n)
            .sum()
    };
    assert_eq!(
        rest_reads(&export_by_name),
        rest_reads(&plan_by_name),
        "export {export_by_name:?}\nplan {plan_by_name:?}"
    );
    assert_eq!(
        export_by_name.get("apigatewayv2.GetApis"),
        Some(&1),
        "HTTP APIs of that name are looked for too"
    );
    assert!(!export.is_empty(), "--verbose lists the calls");
    let api_calls = |m: &std::collections::BTreeMap<String, usize>| -> usize {
        m.iter()
            .filter(|(k, _)| k.starts_with("apigateway."))
            .map(|(_, n)| n)
            .sum()
    };
    for (op, n) in &export {
        assert!(
            op.starts_with("apigateway.Get") || op == "lambda.GetFunction",
            "export makes only reads: {op}"
        );
        assert!(
            plan.get(op).is_some_and(|p| p >= n),
            "{op}: export {n}, plan {plan:?}"
        );
    }
    assert!(
        api_calls(&export) <= api_calls(&plan),
        "export {export:?}\nplan {plan:?}"
    );
    eprintln!("plan: {plan:?}\nexport: {export:?}");
}

/// Export with `--allow-partial` (must succeed), validate, plan empty; returns the text and
/// stderr.
fn export_partial_and_plan_empty(
    em: &support::Emulator,
    dir: &tempfile::TempDir,
    id: &str,
) -> (String, String) {
    let file = dir.path().join(format!("{id}.yaml"));
    let (out, err) = ok(&gwctl(em, &["export", "--api-id", id, "--allow-partial"]));
    std::fs::write(&file, &out).unwrap();
    ok(&gwctl(em, &["validate", file.to_str().unwrap()]));
    let o = gwctl(
        em,
        &[
            "plan",
            file.to_str().unwrap(),
            "--api-id",
            id,
            "--detailed-exitcode",
        ],
    );
    let (plan, perr) = text(&o);
    assert_eq!(
        o.status.code(),
        Some(0),
        "the export plans changes:\n{plan}\n{perr}\n{out}"
    );
    (out, err)
}

#[tokio::test]
async fn a_boto3_custom_integration_and_a_sam_key_and_usage_plan_export_and_plan_empty() {
    let em = support::emulator().await;
    let arns = em.create_functions(&["lambdemo"]).await;
    let c = em.clients().await;
    let gw = &c.apigw;
    // Seed 004's boto3 script: GET /{hoge}, custom Lambda integration, templates, a selection
    // pattern, an invocation role; SAM's way for the rest: an API key and a usage plan.
    let api = gw
        .create_rest_api()
        .name("sample01")
        .description("sample api")
        .send()
        .await
        .unwrap();
    let id = api.id().unwrap().to_string();
    let root = root_id(gw, &id).await;
    let hoge = gw
        .create_resource()
        .rest_api_id(&id)
        .parent_id(&root)
        .path_part("{hoge}")
        .send()
        .await
        .unwrap();
    let rid = hoge.id().unwrap();
    gw.put_method()
        .rest_api_id(&id)
        .resource_id(rid)
        .http_method("GET")
        .authorization_type("NONE")
        .api_key_required(true)
        .request_parameters("method.request.path.hoge", true)
        .send()
        .await
        .unwrap();
    for (status, model) in [("200", "Empty"), ("400", "Error")] {
        gw.put_method_response()
            .rest_api_id(&id)
            .resource_id(rid)
            .http_method("GET")
            .status_code(status)
            .response_models("application/json", model)
            .send()
            .await
            .unwrap();
    }
    gw.put_integration()
        .rest_api_id(&id)
        .resource_id(rid)
        .http_method("GET")
        .r#type(agt::IntegrationType::Aws)
        .integration_http_method("POST")
        .credentials("arn:aws:iam::123456789012:role/apigateway-invoke-lambda")
        .uri(format!(
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{}/invocations",
            arns[0]
        ))
        .request_templates(
            "application/json",
            "{\n  \"hoge\": \"$input.params('hoge')\"\n}\n",
        )
        .send()
        .await
        .unwrap();
    gw.put_integration_response()
        .rest_api_id(&id)
        .resource_id(rid)
        .http_method("GET")
        .status_code("200")
        .send()
        .await
        .unwrap();
    gw.put_integration_response()
        .rest_api_id(&id)
        .resource_id(rid)
        .http_method("GET")
        .status_code("400")
        .selection_pattern("^\\[400:.*")
        .response_templates(
            "application/json",
            "#set($data = $input.path('$'))\n{\"message\" : \"${data.errorMessage}\"}",
        )
        .send()
        .await
        .unwrap();
    gw.create_deployment()
        .rest_api_id(&id)
        .stage_name("snapshot")
        .send()
        .await
        .unwrap();
    let key = gw
        .create_api_key()
        .name("sam-key")
        .enabled(true)
        .send()
        .await
        .unwrap();
    let plan = gw
        .create_usage_plan()
        .name("sam-plan")
        .api_stages(
            agt::ApiStage::builder()
                .api_id(&id)
                .stage("snapshot")
                .build(),
        )
        .send()
        .await
        .unwrap();
    gw.create_usage_plan_key()
        .usage_plan_id(plan.id().unwrap())
        .key_id(key.id().unwrap())
        .key_type("API_KEY")
        .send()
        .await
        .unwrap();

    // The plan was not made by gwctl: named, exit 1, nothing on stdout.
    let o = gwctl(&em, &["export", "--api-id", &id]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("usage plan sam-plan"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = export_partial_and_plan_empty(&em, &dir, &id);
    for part in [
        "type: lambda",
        "credentials: arn:aws:iam::123456789012:role/apigateway-invoke-lambda",
        "      request_templates:\n        application/json: |\n          {\n",
        "selection_pattern: '^\\[400:.*'",
        "api_key_required: true",
        "{status: '400', models: {application/json: Error}}",
        "# - usage plan sam-plan",
    ] {
        assert!(out.contains(part), "{part:?} not in\n{out}");
    }
    assert!(
        !out.contains(key.value().unwrap_or("no value")),
        "never a key value"
    );
}

#[tokio::test]
async fn an_http_api_built_by_hand_with_a_jwt_authorizer_exports_and_plans_empty() {
    let em = support::emulator().await;
    let arns = em.create_functions(&["items-handler"]).await;
    let c = em.clients().await;
    let v2 = &c.apigw2;
    // Seed 003's aws-CLI recipe for an HTTP API: Lambda proxy routes behind a JWT authorizer,
    // the $default stage with auto-deploy.
    let api = v2
        .create_api()
        .name("items-by-hand")
        .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
        .send()
        .await
        .unwrap();
    let id = api.api_id().unwrap().to_string();
    let auth = v2
        .create_authorizer()
        .api_id(&id)
        .name("cognito")
        .authorizer_type(aws_sdk_apigatewayv2::types::AuthorizerType::Jwt)
        .identity_source("$request.header.Authorization")
        .jwt_configuration(
            aws_sdk_apigatewayv2::types::JwtConfiguration::builder()
                .issuer("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example")
                .audience("client-id")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let integration = v2
        .create_integration()
        .api_id(&id)
        .integration_type(aws_sdk_apigatewayv2::types::IntegrationType::AwsProxy)
        .integration_uri(&arns[0])
        .payload_format_version("2.0")
        .send()
        .await
        .unwrap();
    for key in ["GET /items", "POST /items"] {
        v2.create_route()
            .api_id(&id)
            .route_key(key)
            .target(format!(
                "integrations/{}",
                integration.integration_id().unwrap()
            ))
            .authorization_type(aws_sdk_apigatewayv2::types::AuthorizationType::Jwt)
            .authorizer_id(auth.authorizer_id().unwrap())
            .send()
            .await
            .unwrap();
    }
    v2.create_stage()
        .api_id(&id)
        .stage_name("$default")
        .auto_deploy(true)
        .send()
        .await
        .unwrap();
    let account = arns[0].split(':').nth(4).unwrap();
    c.lambda
        .add_permission()
        .function_name(&arns[0])
        .statement_id("cli-made")
        .action("lambda:InvokeFunction")
        .principal("apigateway.amazonaws.com")
        .source_arn(format!("arn:aws:execute-api:us-east-1:{account}:{id}/*/*"))
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = export_and_plan_empty(&em, &dir, &id);
    for part in [
        "kind: http",
        "type: jwt",
        "default_auth: cognito",
        "auto_deploy: true",
    ] {
        assert!(out.contains(part), "{part:?} not in\n{out}");
    }
}

/// Issue 16's "export of a 300-route API takes the same reads as a no-op plan", at a size
/// that keeps CI fast: scripts/bench/gen_spec.py's 60-route API (24 resources, CORS, a
/// stage with logging and metrics), found by name as `plan SPEC` finds it. Every API
/// Gateway operation is called as many times by export as by the plan (get-resources:
/// methods embedded, 500 per page; moto ignores `limit` and answers in one page), and
/// Lambda is asked no more. docs/benchmarks.md has the 300-route numbers.
#[tokio::test]
async fn export_of_a_large_api_reads_what_a_no_op_plan_reads() {
    let em = support::emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(support::quota::python())
        .arg(repo("scripts/bench/gen_spec.py"))
        .args(["--routes", "60", "--name", "big-export", "--out"])
        .arg(dir.path())
        .output()
        .expect("run gen_spec.py");
    assert!(out.status.success(), "{out:?}");
    let fns: Vec<String> = (0..10).map(|i| format!("bench-fn-{i}")).collect();
    let refs: Vec<&str> = fns.iter().map(String::as_str).collect();
    em.create_functions(&refs).await;
    let spec = dir.path().join("spec.yaml");
    let id = apply_json(&em, &spec).api.id.unwrap();
    let o = gwctl(&em, &["-v", "plan", spec.to_str().unwrap()]);
    let plan = calls(&ok(&o).1);
    let o = gwctl(&em, &["-v", "export", "--api", "big-export"]);
    let (text, err) = ok(&o);
    let export = calls(&err);
    eprintln!("plan: {plan:?}\nexport: {export:?}");
    assert!(text.contains("Nothing was left out."), "{text}");
    assert_eq!(text.matches("\n  - {path: ").count(), 60, "{text}");
    let api = |m: &std::collections::BTreeMap<String, usize>| {
        m.iter()
            .filter(|(k, _)| k.starts_with("apigateway."))
            .map(|(k, n)| (k.clone(), *n))
            .collect::<Vec<_>>()
    };
    assert_eq!(api(&export), api(&plan), "export {export:?}\nplan {plan:?}");
    assert_eq!(
        api(&export).iter().map(|(_, n)| n).sum::<usize>(),
        8,
        "{export:?}"
    );
    // By name the kind is not known: one get-apis looks for a v2 API of the name too.
    assert_eq!(export.get("apigatewayv2.GetApis"), Some(&1), "{export:?}");
    for (op, n) in &export {
        assert!(
            op.split('.').nth(1).is_some_and(|o| o.starts_with("Get")),
            "export makes only reads: {op}"
        );
        if op != "apigatewayv2.GetApis" {
            assert!(plan.get(op).is_some_and(|p| p >= n), "{op}: {export:?}");
        }
    }
    // By id: exactly the plan's API Gateway reads (get-rest-api for get-rest-apis).
    let o = gwctl(
        &em,
        &["-v", "plan", spec.to_str().unwrap(), "--api-id", &id],
    );
    let plan_by_id = calls(&ok(&o).1);
    let o = gwctl(&em, &["-v", "export", "--api-id", &id]);
    let (by_id, err) = ok(&o);
    let export_by_id = calls(&err);
    eprintln!("plan --api-id: {plan_by_id:?}\nexport --api-id: {export_by_id:?}");
    assert_eq!(
        api(&export_by_id),
        api(&plan_by_id),
        "export {export_by_id:?}\nplan {plan_by_id:?}"
    );
    assert_eq!(
        export_by_id
            .keys()
            .filter(|k| k.starts_with("apigatewayv2."))
            .count(),
        0,
        "{export_by_id:?}"
    );
    assert_eq!(by_id, text);
}

/// A WebSocket API built by hand as AWS's WebSocket tutorials build it (raw apigatewayv2
/// calls): a Lambda REQUEST authorizer on `$connect`, Lambda proxy routes, a two-way mock
/// route with a template and a `$default` route response, a stage with auto-deploy,
/// throttling and metrics, the invoke permissions the console adds. Export, validate, plan
/// empty; by name too.
#[tokio::test]
async fn a_websocket_api_built_by_hand_exports_and_plans_empty() {
    use aws_sdk_apigatewayv2::types as v2t;
    let em = support::emulator().await;
    let arns = em
        .create_functions(&["ws-connect", "ws-send", "ws-auth"])
        .await;
    let c = em.clients().await;
    let v2 = &c.apigw2;
    let uri = |arn: &str| {
        format!("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations")
    };
    let api = v2
        .create_api()
        .name("ws-by-hand")
        .protocol_type(v2t::ProtocolType::Websocket)
        .route_selection_expression("$request.body.type")
        .send()
        .await
        .unwrap();
    let id = api.api_id().unwrap().to_string();
    let auth = v2
        .create_authorizer()
        .api_id(&id)
        .name("token")
        .authorizer_type(v2t::AuthorizerType::Request)
        .identity_source("route.request.querystring.token")
        .authorizer_uri(uri(&arns[2]))
        .send()
        .await
        .unwrap();
    let proxy = |arn: String| {
        v2.create_integration()
            .api_id(&id)
            .integration_type(v2t::IntegrationType::AwsProxy)
            .integration_uri(uri(&arn))
            // AWS's default; moto would fill in 30000, which AWS refuses on WebSocket APIs.
            .timeout_in_millis(29_000)
            .send()
    };
    let connect = proxy(arns[0].clone()).await.unwrap();
    let send = proxy(arns[1].clone()).await.unwrap();
    let mock = v2
        .create_integration()
        .api_id(&id)
        .integration_type(v2t::IntegrationType::Mock)
        .timeout_in_millis(29_000)
        .template_selection_expression("\\$default")
        .request_templates("$default", "{\"statusCode\": 200}")
        .send()
        .await
        .unwrap();
    let target = |i: Option<&str>| format!("integrations/{}", i.unwrap());
    v2.create_route()
        .api_id(&id)
        .route_key("$connect")
        .target(target(connect.integration_id()))
        .authorization_type(v2t::AuthorizationType::Custom)
        .authorizer_id(auth.authorizer_id().unwrap())
        .send()
        .await
        .unwrap();
    for key in ["$disconnect", "sendmessage"] {
        v2.create_route()
            .api_id(&id)
            .route_key(key)
            .target(target(send.integration_id()))
            .send()
            .await
            .unwrap();
    }
    let ping = v2
        .create_route()
        .api_id(&id)
        .route_key("ping")
        .target(target(mock.integration_id()))
        .route_response_selection_expression("$default")
        .send()
        .await
        .unwrap();
    v2.create_route_response()
        .api_id(&id)
        .route_id(ping.route_id().unwrap())
        .route_response_key("$default")
        .send()
        .await
        .unwrap();
    v2.create_stage()
        .api_id(&id)
        .stage_name("prod")
        .auto_deploy(true)
        .stage_variables("env", "prod")
        .default_route_settings(
            v2t::RouteSettings::builder()
                .throttling_rate_limit(100.0)
                .throttling_burst_limit(200)
                .detailed_metrics_enabled(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let account = arns[0].split(':').nth(4).unwrap();
    for (n, arn) in arns.iter().enumerate() {
        c.lambda
            .add_permission()
            .function_name(arn)
            .statement_id(format!("console-{n}"))
            .action("lambda:InvokeFunction")
            .principal("apigateway.amazonaws.com")
            .source_arn(format!("arn:aws:execute-api:us-east-1:{account}:{id}/*"))
            .send()
            .await
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let out = export_and_plan_empty(&em, &dir, &id);
    for part in [
        "kind: websocket",
        "route_selection: $request.body.type",
        "Nothing was left out.",
        "{route: $connect, function: ws-connect, auth: token}",
        "{route: sendmessage, function: ws-send}",
        "    response: true\n  - {route: sendmessage",
        "      type: mock\n",
        "token: {type: request, function: ws-auth, identity_sources: [route.request.querystring.token]}",
        "stages:\n  prod:\n    auto_deploy: true\n    variables: {env: prod}\n    metrics: true\n    throttle: {rate: 100, burst: 200}\n",
    ] {
        assert!(out.contains(part), "{part:?} not in\n{out}");
    }
    let by_name = ok(&gwctl(&em, &["export", "--api", "ws-by-hand"])).0;
    assert_eq!(by_name, out);
}

/// Issue 18: export does not read custom domains (its reads stay a no-op plan's), so it says
/// so: an API mapped on a custom domain exports with the note in the file's header and on
/// stderr, and the exported spec (without `domains:`) plans empty against it.
#[tokio::test]
async fn an_api_on_a_custom_domain_exports_with_domains_named_as_not_exported() {
    let em = support::emulator().await;
    em.create_functions(&["items-fn"]).await;
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("api.yaml");
    std::fs::write(
        &spec,
        format!(
            "version: 1\napi: {{name: export-domain}}\nfunctions: {{items: items-fn}}\ndefault_auth: none\nroutes:\n  - {{path: /items, method: GET, function: items}}\nstages:\n  prod: {{}}\ndomains:\n  api.export.example.com:\n    certificate: arn:aws:acm:{}:123456789012:certificate/0f3c1b2a-1111-2222-3333-444455556666\n    mappings: {{\"\": prod}}\n",
            support::REGION
        ),
    )
    .unwrap();
    let doc = apply_json(&em, &spec);
    let id = doc.api.id.expect("the api exists");
    assert_eq!(doc.domains.len(), 1, "the api is mapped on the domain");
    let (_, err) = ok(&gwctl(&em, &["export", "--api-id", &id]));
    assert!(
        err.contains("Not exported: custom domain names and this api's mappings on them (`domains:`); export does not read them"),
        "{err}"
    );
    let out = export_and_plan_empty(&em, &dir, &id);
    assert!(
        out.contains("# Not exported: custom domain names and this api's mappings on them (`domains:`);\n# export does not read them"),
        "{out}"
    );
    assert!(!out.contains("api.export.example.com"), "{out}");
}
