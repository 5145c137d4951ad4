//! A spec as OpenAPI 3.0, offline (`gwctl export --format openapi SPEC`), or the spec
//! `gwctl export` wrote of a live API (`--format openapi --api-id ID`, [`render_live`]): the
//! spec's desired model, with its functions resolved without calling AWS, rendered by the
//! kind's renderer
//! ([`crate::plan::rest::openapi`], [`crate::plan::http::openapi`]).

use std::collections::BTreeMap;

use crate::spec::arn::FunctionArn;
use crate::spec::model::{ApiKind, Spec};
use crate::state::ResolvedFunction;

pub use crate::plan::rest::openapi::Rendered;

/// Stand-ins API Gateway replaces when it imports a definition (its "AWS variables"), for
/// what only the account could tell: the region when none is given, the account of a
/// function named without an ARN.
pub const REGION_VARIABLE: &str = "${AWS::Region}";
pub const ACCOUNT_VARIABLE: &str = "${AWS::AccountId}";

/// The spec's functions as ARNs, without calling AWS: a full ARN is taken as written; a
/// name gets `region` and the account variable.
pub fn offline_functions(spec: &Spec, region: &str) -> Vec<ResolvedFunction> {
    spec.functions
        .iter()
        .map(|f| {
            let written = &f.name_or_arn.value;
            if let Some(a) = FunctionArn::parse(written) {
                return ResolvedFunction {
                    key: f.key.value.clone(),
                    function_arn: a.unqualified(),
                    name: a.name.clone(),
                    qualifier: f.qualifier.clone().or(a.qualifier.clone()),
                    account: a.account.clone(),
                    region: a.region.clone(),
                };
            }
            // A function name (the spec keeps its alias or version apart, in `qualifier`).
            let (account, name, qualifier) = (
                ACCOUNT_VARIABLE.to_string(),
                written.clone(),
                None::<String>,
            );
            ResolvedFunction {
                key: f.key.value.clone(),
                function_arn: format!("arn:aws:lambda:{region}:{account}:function:{name}"),
                name,
                qualifier: f.qualifier.clone().or(qualifier),
                account,
                region: region.to_string(),
            }
        })
        .collect()
}

/// The spec's API as OpenAPI 3.0 (`region`: None leaves the region variable in ARNs).
pub fn render_spec(spec: &Spec, region: Option<&str>) -> Rendered {
    let region = region.unwrap_or(REGION_VARIABLE);
    render(spec, region, offline_functions(spec, region))
}

/// The spec `gwctl export` wrote of a live API, as OpenAPI 3.0: a function it names without
/// an ARN is one of `local_functions` (unqualified ARN -> name, this account and region), so
/// its ARN is the real one, not the account variable.
pub fn render_live(
    spec: &Spec,
    region: &str,
    local_functions: &BTreeMap<String, String>,
) -> Rendered {
    let mut functions = offline_functions(spec, region);
    for f in functions.iter_mut() {
        if f.account != ACCOUNT_VARIABLE {
            continue;
        }
        let local = local_functions
            .iter()
            .filter(|(_, name)| **name == f.name)
            .find_map(|(arn, _)| FunctionArn::parse(arn).filter(|a| a.region == region));
        if let Some(a) = local {
            f.function_arn = a.unqualified();
            f.account = a.account;
        }
    }
    render(spec, region, functions)
}

fn render(spec: &Spec, region: &str, functions: Vec<ResolvedFunction>) -> Rendered {
    match spec.api.kind {
        ApiKind::Rest => crate::plan::rest::openapi::render(
            &crate::plan::rest::desired::rest(spec, &functions, region).config,
            crate::plan::rest::openapi::Mode::Document,
        ),
        ApiKind::Http => crate::plan::http::openapi::render(
            &crate::plan::http::desired(spec, &functions, region).config,
        ),
        // API Gateway takes OpenAPI for REST and HTTP APIs only.
        ApiKind::WebSocket => Rendered {
            document: serde_json::json!({}),
            omitted: vec![
                "the whole api: websocket apis have no OpenAPI form (API Gateway imports OpenAPI for rest and http apis only)".into(),
            ],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::rest::tests::spec;

    #[test]
    fn names_get_the_account_variable_and_arns_are_kept() {
        let s = spec(
            r#"version: 1
api: {name: a, kind: rest}
functions:
  byname: todo-get
  aliased: {name: todo-put, alias: live}
  byarn: arn:aws:lambda:eu-west-1:210987654321:function:other
routes:
  - {path: /a, method: GET, function: byname, auth: none}
  - {path: /b, method: GET, function: aliased, auth: none}
  - {path: /c, method: GET, function: byarn, auth: none}
"#,
        );
        let f = offline_functions(&s, REGION_VARIABLE);
        assert_eq!(
            f[0].invoke_arn(),
            "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:todo-get"
        );
        assert_eq!(
            f[1].invoke_arn(),
            "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:todo-put:live"
        );
        assert_eq!(
            f[2].invoke_arn(),
            "arn:aws:lambda:eu-west-1:210987654321:function:other"
        );
        let r = render_spec(&s, Some("us-west-2"));
        assert_eq!(
            r.document["paths"]["/a"]["get"]["x-amazon-apigateway-integration"]["uri"],
            "arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:${AWS::AccountId}:function:todo-get/invocations"
        );
    }

    #[test]
    fn a_live_apis_local_functions_get_their_real_arns() {
        let s = spec(
            r#"version: 1
api: {name: a, kind: rest}
functions:
  local: todo-get
  other: elsewhere
  byarn: arn:aws:lambda:eu-west-1:210987654321:function:other
routes:
  - {path: /a, method: GET, function: local, auth: none}
  - {path: /b, method: GET, function: other, auth: none}
  - {path: /c, method: GET, function: byarn, auth: none}
"#,
        );
        let local = BTreeMap::from([(
            "arn:aws:lambda:us-west-2:111111111111:function:todo-get".to_string(),
            "todo-get".to_string(),
        )]);
        let r = render_live(&s, "us-west-2", &local);
        let uri = |p: &str| {
            r.document["paths"][p]["get"]["x-amazon-apigateway-integration"]["uri"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(
            uri("/a"),
            "arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:111111111111:function:todo-get/invocations"
        );
        assert!(
            uri("/b").contains(":${AWS::AccountId}:function:elsewhere/"),
            "{}",
            uri("/b")
        );
        assert!(uri("/c").contains("arn:aws:lambda:eu-west-1:210987654321:function:other/"));
    }
}
