//! Offline helpers for the planner's property tests: a spec from text (every error shown
//! when it is refused) and its functions resolved as gwctl would, without AWS.

use std::path::Path;

use gwctl::spec::model::Spec;
use gwctl::state::ResolvedFunction;

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";

/// The spec of `yaml`; panics with the diagnostics when it has errors.
pub fn load(yaml: &str) -> Spec {
    let loaded = gwctl::spec::load_str(Path::new("prop.yaml"), yaml);
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.render(false))
        .collect();
    assert!(errors.is_empty(), "{yaml}\n{}", errors.join("\n"));
    loaded.spec.expect("valid spec")
}

/// The spec's functions as unqualified functions of [`ACCOUNT`] in [`REGION`].
pub fn functions(spec: &Spec) -> Vec<ResolvedFunction> {
    spec.functions
        .iter()
        .map(|f| ResolvedFunction {
            key: f.key.value.clone(),
            function_arn: format!(
                "arn:aws:lambda:{REGION}:{ACCOUNT}:function:{}",
                f.name_or_arn.value
            ),
            name: f.name_or_arn.value.clone(),
            qualifier: None,
            account: ACCOUNT.into(),
            region: REGION.into(),
        })
        .collect()
}

/// Clients whose API Gateway answers with `rules` in order (aws-smithy-mocks); Lambda and
/// apigatewayv2 answer nothing.
pub fn mock_clients(rules: &[&aws_smithy_mocks::Rule]) -> gwctl::aws::Clients {
    use aws_sdk_apigatewayv2::config::{BehaviorVersion, Region};
    use aws_smithy_mocks::{mock_client, Rule, RuleMode};
    let lambda_rules: &[&Rule] = &[];
    gwctl::aws::Clients {
        apigw: mock_client!(aws_sdk_apigateway, RuleMode::Sequential, rules),
        apigw2: aws_sdk_apigatewayv2::Client::from_conf(
            aws_sdk_apigatewayv2::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new(REGION))
                .build(),
        ),
        lambda: mock_client!(aws_sdk_lambda, RuleMode::Sequential, lambda_rules),
        route53: gwctl::aws::idle_route53(),
        region: REGION.into(),
        calls: gwctl::aws::CallLog::default(),
    }
}

/// The `responses:` of a WebSocket non-proxy integration, one of [`WS_RESPONSE_SETS`] sets
/// (`n` taken modulo their number), as a flow-YAML entry to append inside the integration's
/// braces: `$default` and regex keys, one or two templates, a template selection expression
/// and both content handlings. Routes that share an integration must declare the same
/// responses: generators put `n` into the integration's own settings as well, so two
/// integrations with other responses never have the same settings.
pub fn ws_responses(n: usize) -> &'static str {
    const SETS: [&str; WS_RESPONSE_SETS] = [
        "responses: [{key: $default}]",
        "responses: [{key: $default, templates: {$default: '{\"ok\": true}'}}]",
        "responses: [{key: $default, template_selection: \\$default, templates: {$default: '{\"ok\": 2}', json: '{\"j\": 1}'}}, {key: '/4\\d\\d/', templates: {$default: '{\"error\": true}'}, content_handling: CONVERT_TO_TEXT}]",
        "responses: [{key: '/5\\d\\d/', content_handling: CONVERT_TO_BINARY, templates: {$default: '{\"down\": true}'}}]",
    ];
    SETS[n % WS_RESPONSE_SETS]
}

/// How many sets [`ws_responses`] has.
pub const WS_RESPONSE_SETS: usize = 4;

/// The `n`th of a few `request_parameters:` maps a WebSocket lambda, http or http_proxy
/// integration can declare on any route (sources valid beyond `$connect`: the body, context
/// and stage variables, static values; set 0 is empty). The maps are part of the
/// integration's settings, so routes with other maps get other integrations.
pub fn ws_request_parameters(n: usize) -> &'static str {
    const SETS: [&str; WS_REQUEST_PARAMETER_SETS] = [
        "request_parameters: {}",
        "request_parameters: {integration.request.header.connectionId: context.connectionId}",
        "request_parameters: {integration.request.querystring.room: route.request.body.room, integration.request.header.X-Static: \"'v1'\"}",
        "request_parameters: {integration.request.path.id: route.request.body.id, integration.request.header.X-Stage: stageVariables.name, integration.request.header.X-Req: context.requestId}",
    ];
    SETS[n % WS_REQUEST_PARAMETER_SETS]
}

/// How many sets [`ws_request_parameters`] has.
pub const WS_REQUEST_PARAMETER_SETS: usize = 4;
