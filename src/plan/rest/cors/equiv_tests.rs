//! The equivalence of CORS pieces made elsewhere (the console, SAM, an aws-CLI recipe) with
//! what `cors:` declares, and their adoption by the planner: no SDK, no network.

use std::collections::BTreeMap;

use super::equiv::*;
use super::*;
use crate::plan::rest::desired;
use crate::plan::rest::tests::{resolve, spec, REGION};
use crate::plan::PlanOptions;
use crate::state::rest::ObservedRestApi;

pub(crate) const CONSOLE_HEADERS: &str =
    "'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token'";

/// The preflight the console's "Enable CORS" (and the seeds' aws-CLI recipe) makes:
/// `{"statusCode": 200}` without marker, `WHEN_NO_MATCH`, the headers declared `false`.
pub(crate) fn console_preflight(origin: &str, headers: &str, methods: &str) -> Method {
    let params = BTreeMap::from([
        (
            "method.response.header.Access-Control-Allow-Headers".to_string(),
            headers.to_string(),
        ),
        (
            "method.response.header.Access-Control-Allow-Methods".to_string(),
            methods.to_string(),
        ),
        (
            "method.response.header.Access-Control-Allow-Origin".to_string(),
            origin.to_string(),
        ),
    ]);
    Method {
        authorization_type: "NONE".into(),
        method_responses: BTreeMap::from([(
            "200".to_string(),
            MethodResponse {
                response_models: BTreeMap::from([("application/json".into(), "Empty".into())]),
                response_parameters: params.keys().map(|k| (k.clone(), false)).collect(),
            },
        )]),
        integration: Some(Integration {
            kind: "MOCK".into(),
            request_templates: BTreeMap::from([(
                "application/json".into(),
                "{\"statusCode\": 200}".into(),
            )]),
            responses: BTreeMap::from([(
                "200".to_string(),
                IntegrationResponse {
                    response_parameters: params,
                    ..Default::default()
                },
            )]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The preflight SAM's `Cors:` makes: its own template spellings, no models, required
/// headers.
pub(crate) fn sam_preflight(origin: &str, headers: &str, methods: &str) -> Method {
    let mut m = console_preflight(origin, headers, methods);
    let i = m.integration.as_mut().unwrap();
    i.request_templates.insert(
        "application/json".into(),
        "{\n  \"statusCode\" : 200\n}\n".into(),
    );
    i.responses
        .get_mut("200")
        .unwrap()
        .response_templates
        .insert("application/json".into(), "{}\n".into());
    let mr = m.method_responses.get_mut("200").unwrap();
    mr.response_models.clear();
    for v in mr.response_parameters.values_mut() {
        *v = true;
    }
    m
}

/// `DEFAULT_4XX`/`DEFAULT_5XX` as the console's "Enable CORS" sets them: the origin and the
/// headers, no body template (AWS serves its default).
pub(crate) fn console_gateway_response(origin: &str, headers: &str) -> GatewayResponse {
    GatewayResponse {
        status_code: None,
        response_parameters: BTreeMap::from([
            (
                "gatewayresponse.header.Access-Control-Allow-Origin".to_string(),
                origin.to_string(),
            ),
            (
                "gatewayresponse.header.Access-Control-Allow-Headers".to_string(),
                headers.to_string(),
            ),
        ]),
        response_templates: BTreeMap::new(),
    }
}

fn cors_of(block: &str) -> CorsDef {
    spec(&format!(
        "version: 1\napi: {{name: x, kind: rest}}\ncors: {block}\nroutes:\n  - {{path: /x, method: GET, integration: {{type: mock}}, auth: none}}\n"
    ))
    .cors
    .expect("cors block")
}

fn ours(block: &str, methods: &[&str]) -> Method {
    let c = cors_of(block);
    preflight_method(&c, &allow_methods(&c, methods.iter().copied()))
}

#[test]
fn the_consoles_and_sams_preflights_are_what_cors_declares() {
    let want = ours("{origins: ['*']}", &["GET", "POST"]);
    for have in [
        console_preflight("'*'", CONSOLE_HEADERS, "'GET,OPTIONS,POST'"),
        // order, case, whitespace, repetitions; OPTIONS and methods the resource lacks
        console_preflight(
            "' * '",
            "'authorization, content-type,X-AMZ-DATE,x-api-key , X-Amz-Security-Token,Authorization'",
            "'POST, GET,PUT,DELETE'",
        ),
        sam_preflight("'*'", CONSOLE_HEADERS, "'GET,POST,PUT,DELETE,OPTIONS'"),
    ] {
        assert!(
            same_preflight(&want, &have, ["GET", "POST"]),
            "{have:#?}"
        );
        assert!(is_preflight_shaped(&have, ["GET", "POST"]));
    }
    let sam = ours(
        "{origins: ['https://app.example.com'], headers: [Content-Type, Authorization], max_age: 600, credentials: true}",
        &["ANY"],
    );
    let mut have = sam_preflight(
        "'https://app.example.com'",
        "'Content-Type,Authorization'",
        "'DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT'",
    );
    let i = have.integration.as_mut().unwrap();
    let r = i.responses.get_mut("200").unwrap();
    for (h, v) in [
        ("Access-Control-Max-Age", "'0600'"),
        ("Access-Control-Allow-Credentials", "'true'"),
    ] {
        r.response_parameters
            .insert(format!("method.response.header.{h}"), v.into());
        have.method_responses
            .get_mut("200")
            .unwrap()
            .response_parameters
            .insert(format!("method.response.header.{h}"), true);
    }
    assert!(same_preflight(&sam, &have, ["ANY"]));
}

#[test]
fn near_misses_are_not_equivalent() {
    let want = ours("{origins: ['*']}", &["GET", "POST"]);
    let base = || console_preflight("'*'", CONSOLE_HEADERS, "'GET,OPTIONS,POST'");
    let mut cases: Vec<(&str, Method)> = vec![
        (
            "another origin",
            console_preflight("'https://a.example'", CONSOLE_HEADERS, "'GET,OPTIONS,POST'"),
        ),
        (
            "a method left out",
            console_preflight("'*'", CONSOLE_HEADERS, "'GET,OPTIONS'"),
        ),
        (
            "other headers",
            console_preflight("'*'", "'Content-Type'", "'GET,OPTIONS,POST'"),
        ),
        (
            "origin from the request",
            console_preflight(
                "method.request.header.Origin",
                CONSOLE_HEADERS,
                "'GET,POST'",
            ),
        ),
    ];
    let mut m = base();
    m.authorization_type = "AWS_IAM".into();
    cases.push(("authorized", m));
    let mut m = base();
    m.api_key_required = true;
    cases.push(("api key", m));
    let mut m = base();
    m.integration.as_mut().unwrap().passthrough_behavior = Some("NEVER".into());
    cases.push(("passthrough NEVER", m));
    let mut m = base();
    m.integration
        .as_mut()
        .unwrap()
        .request_templates
        .insert("application/json".into(), "{\"statusCode\": 204}".into());
    cases.push(("another status", m));
    let mut m = base();
    m.integration.as_mut().unwrap().kind = "HTTP".into();
    cases.push(("not a mock", m));
    let mut m = base();
    let r = m
        .integration
        .as_mut()
        .unwrap()
        .responses
        .get_mut("200")
        .unwrap();
    r.response_parameters
        .insert("method.response.header.X-Extra".into(), "'1'".into());
    m.method_responses
        .get_mut("200")
        .unwrap()
        .response_parameters
        .insert("method.response.header.X-Extra".into(), false);
    cases.push(("another header", m));
    let mut m = base();
    m.integration
        .as_mut()
        .unwrap()
        .responses
        .get_mut("200")
        .unwrap()
        .response_templates
        .insert(
            "application/json".into(),
            "#set($context.responseOverride.status = 403)".into(),
        );
    cases.push(("a VTL response template", m));
    let mut m = base();
    m.integration
        .as_mut()
        .unwrap()
        .responses
        .get_mut("200")
        .unwrap()
        .response_parameters
        .insert(
            "method.response.header.Access-Control-Allow-Credentials".into(),
            "'false'".into(),
        );
    cases.push(("credentials spelled false", m));
    for (what, have) in cases {
        assert!(
            !same_preflight(&want, &have, ["GET", "POST"]),
            "{what} must not be equivalent"
        );
    }
}

#[test]
fn gateway_responses_compare_what_browsers_read_on_errors() {
    let c = cors_of("{origins: ['*'], headers: [Content-Type, Authorization]}");
    let want = gateway_response(&c);
    let mut console = console_gateway_response("'*'", "'Content-Type'");
    assert!(
        same_gateway_response(&want, &console),
        "allow-headers is only read on a preflight"
    );
    console.response_parameters.insert(
        "gatewayresponse.header.Access-Control-Allow-Methods".into(),
        "'GET,OPTIONS'".into(),
    );
    console.response_templates.insert(
        "application/json".into(),
        DEFAULT_ERROR_TEMPLATE.to_string(),
    );
    assert!(same_gateway_response(&want, &console));
    for (what, change) in [
        (
            "origin",
            ("Access-Control-Allow-Origin", "'https://x.example'"),
        ),
        (
            "credentials",
            ("Access-Control-Allow-Credentials", "'true'"),
        ),
        ("expose", ("Access-Control-Expose-Headers", "'X-Id'")),
    ] {
        let mut g = console.clone();
        g.response_parameters.insert(
            format!("gatewayresponse.header.{}", change.0),
            change.1.into(),
        );
        assert!(!same_gateway_response(&want, &g), "{what}");
    }
    let mut g = console.clone();
    g.response_templates
        .insert("application/json".into(), "{\"error\": true}".into());
    assert!(!same_gateway_response(&want, &g), "a custom body");
    let mut g = console;
    g.status_code = Some("418".into());
    assert!(!same_gateway_response(&want, &g), "a status");
}

/// A live API as the seeds' aws-CLI recipe leaves it: `/items` GET and POST to a Lambda, the
/// console's preflight, and the console's gateway responses.
fn console_made(origin: &str) -> ObservedRestApi {
    let s = spec(
        "version: 1\napi: {name: items, kind: rest}\nfunctions: {f: MyFunction}\ndefault_auth: none\nroutes:\n  - {path: /items, method: GET, function: f}\n  - {path: /items, method: POST, function: f}\n",
    );
    let mut config = desired::rest(&s, &resolve(&s), REGION).config;
    config.resources.get_mut("/items").unwrap().methods.insert(
        "OPTIONS".into(),
        console_preflight(origin, CONSOLE_HEADERS, "'GET,OPTIONS,POST'"),
    );
    for t in GATEWAY_RESPONSE_TYPES {
        config
            .gateway_responses
            .insert(t.into(), console_gateway_response(origin, CONSOLE_HEADERS));
    }
    ObservedRestApi {
        id: "api1".into(),
        resource_ids: BTreeMap::from([("/".into(), "r0".into()), ("/items".into(), "r1".into())]),
        config,
        ..Default::default()
    }
}

fn writes(yaml_cors: &str, live: &ObservedRestApi) -> Vec<String> {
    let s = spec(&format!(
        "version: 1\napi: {{name: items, kind: rest}}\nfunctions: {{f: MyFunction}}\ndefault_auth: none\ncors: {yaml_cors}\nroutes:\n  - {{path: /items, method: GET, function: f}}\n  - {{path: /items, method: POST, function: f}}\n"
    ));
    let d = desired::rest(&s, &resolve(&s), REGION);
    let p = crate::plan::rest::plan(
        &d,
        Some(live),
        &BTreeMap::new(),
        PlanOptions {
            prune: false,
            force_deploy: false,
        },
    );
    p.ops
        .iter()
        .map(|o| o.aws_name().to_string())
        .filter(|n| n != "AddPermission")
        .collect()
}

#[test]
fn cors_written_over_the_consoles_cors_is_adopted_without_a_write() {
    let live = console_made("'*'");
    assert_eq!(writes("{origins: ['*']}", &live), Vec::<String>::new());
    // A real change still rewrites the pieces, in gwctl's form.
    let w = writes("{origins: ['https://app.example.com']}", &live);
    assert!(
        w.iter().filter(|n| *n == "PutGatewayResponse").count() == 2,
        "{w:?}"
    );
    assert!(w.iter().any(|n| n == "PutIntegrationResponse"), "{w:?}");
    // Adoption is idempotent (the planner applies it to an already adopted desired state).
    let s = spec(
        "version: 1\napi: {name: items, kind: rest}\nfunctions: {f: MyFunction}\ndefault_auth: none\ncors: {origins: ['*']}\nroutes:\n  - {path: /items, method: GET, function: f}\n  - {path: /items, method: POST, function: f}\n",
    );
    let d = desired::rest(&s, &resolve(&s), REGION);
    let once = d.keep_undeclared(Some(&live));
    assert_eq!(once.keep_undeclared(Some(&live)).config, once.config);
    assert_eq!(
        once.config.resources["/items"].methods["OPTIONS"],
        live.config.resources["/items"].methods["OPTIONS"]
    );
}

#[test]
fn sams_cors_without_gateway_responses_is_adopted_with_gateway_responses_false() {
    let mut live = console_made("'*'");
    live.config.gateway_responses.clear();
    live.config
        .resources
        .get_mut("/items")
        .unwrap()
        .methods
        .insert(
            "OPTIONS".into(),
            sam_preflight(
                "'*'",
                "'Content-Type,Authorization'",
                "'GET,POST,PUT,DELETE,OPTIONS'",
            ),
        );
    assert_eq!(
        writes(
            "{origins: ['*'], headers: [Content-Type, Authorization], gateway_responses: false}",
            &live
        ),
        Vec::<String>::new()
    );
    let w = writes(
        "{origins: ['*'], headers: [Content-Type, Authorization]}",
        &live,
    );
    // Without the key, the gateway responses are added, and only they.
    assert_eq!(
        w.iter().filter(|n| *n == "PutGatewayResponse").count(),
        2,
        "{w:?}"
    );
    assert!(
        !w.iter()
            .any(|n| n.contains("Method") || n.contains("Integration")),
        "{w:?}"
    );
}
