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
