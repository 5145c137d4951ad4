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

#[tokio::test]
async fn every_spec_applied_then_exported_plans_empty() {
    let em = support::emulator().await;
    em.create_functions(support::TODO_FUNCTIONS).await;
    em.create_functions(&[
        "create-task",
        "list-tasks",
        "get-task",
        "update-task",
        "delete-task",
    ])
    .await;
    em.create_functions(&["items-handler", "lambdemo"]).await;
    let dir = tempfile::tempdir().unwrap();
    // hoge-custom names its function by ARN in another region: here, by name.
    let hoge = std::fs::read_to_string(repo("specs/hoge-custom.yaml"))
        .unwrap()
        .replace(
            "arn:aws:lambda:ap-northeast-1:123456789012:function:lambdemo",
            "lambdemo",
        );
    let hoge_path = dir.path().join("hoge.yaml");
    std::fs::write(&hoge_path, hoge).unwrap();
    for spec in [
        repo("specs/todo.yaml"),
        repo("specs/tasks-apikey.yaml"),
        repo("specs/items-http.yaml"),
        hoge_path,
    ] {
        let doc = apply_json(&em, &spec);
        let id = doc.api.id.expect("the api exists");
        let out = export_and_plan_empty(&em, &dir, &id);
        assert!(out.contains("Nothing was left out."), "{out}");
        assert!(
            !out.contains("gwctl:managed-by"),
            "gwctl's own tag is not exported:\n{out}"
        );
    }
}

#[tokio::test]
async fn an_api_built_by_hand_with_cli_style_cors_exports_and_plans_empty() {
    let em = support::emulator().await;
    let arns = em.create_functions(&["items-fn"]).await;
    let c = em.clients().await;
    let gw = &c.apigw;
    let api = gw.create_rest_api().name("hand-cors").send().await.unwrap();
    let id = api.id().unwrap().to_string();
    let root = gw
        .get_resources()
        .rest_api_id(&id)
        .send()
        .await
        .unwrap()
        .items()[0]
        .id()
        .unwrap()
        .to_string();
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
    assert!(
        out.contains("method: OPTIONS"),
        "the preflight, literally:\n{out}"
    );
    assert!(!out.contains("cors:"), "{out}");
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
    let root = gw
        .get_resources()
        .rest_api_id(&id)
        .send()
        .await
        .unwrap()
        .items()[0]
        .id()
        .unwrap()
        .to_string();
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
