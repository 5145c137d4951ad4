//! `api.policy` (a REST API's resource policy, an IAM policy document written in YAML) and
//! `api.vpc_endpoint_ids` (PRIVATE APIs).
//!
//! The document is checked offline as far as its shape goes: the keys IAM knows, `Effect`
//! `Allow` or `Deny`, a principal, an action and a resource in every statement, actions of
//! `execute-api`, resources as ARNs or the `execute-api:/...` shorthand API Gateway expands
//! to the API's own ARN, and API Gateway's limit of 8,192 characters.

use serde_json::Value as Json;

use crate::spec::model::At;
use crate::spec::yaml::{Node, Value};

use super::{choice, list, nonempty, text_list, Cx, MapReader};

pub(crate) const POLICY_KEYS: &[&str] = &["Version", "Id", "Statement"];
pub(crate) const STATEMENT_KEYS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];
const POLICY_VERSIONS: &[&str] = &["2012-10-17", "2008-10-17"];
const EFFECTS: &[&str] = &["Allow", "Deny"];
/// API Gateway's limit on the length of a REST API's resource policy, in characters.
pub(crate) const POLICY_MAX_CHARS: usize = 8192;

/// `api.policy`: the document as JSON, with the position of the mapping.
pub(super) fn read_policy(cx: &mut Cx, n: &Node) -> Option<At<Json>> {
    let mut m = MapReader::open(cx, n, "`policy`", POLICY_KEYS)?;
    let errors = cx_errors(cx);
    if let Some(v) = m.get("Version") {
        choice(cx, v, "Version", POLICY_VERSIONS);
    }
    if let Some(v) = m.get("Id") {
        nonempty(cx, v, "Id");
    }
    if let Some(s) = m.req(cx, "Statement") {
        match &s.value {
            Value::Map(_) => statement(cx, s),
            Value::Seq(items) if items.is_empty() => {
                cx.err(s, "`Statement` must not be empty", None)
            }
            _ => {
                for st in list(cx, s, "Statement").unwrap_or_default() {
                    statement(cx, st);
                }
            }
        }
    }
    m.finish(cx);
    if cx_errors(cx) > errors {
        return None;
    }
    let doc = n.to_json();
    let len = doc.to_string().chars().count();
    if len > POLICY_MAX_CHARS {
        cx.err(
            n,
            format!(
                "`policy` is {len} characters long as JSON; API Gateway allows {POLICY_MAX_CHARS}"
            ),
            Some("merge statements or shorten the lists of principals and conditions".into()),
        );
        return None;
    }
    Some(At::new(doc, n.pos))
}

fn cx_errors(cx: &Cx) -> usize {
    cx.diags
        .iter()
        .filter(|d| d.severity == crate::spec::diag::Severity::Error)
        .count()
}

fn statement(cx: &mut Cx, n: &Node) {
    let Some(mut m) = MapReader::open(cx, n, "`policy` statement", STATEMENT_KEYS) else {
        return;
    };
    if let Some(e) = m.req(cx, "Effect") {
        // Case matters to IAM: `allow` is refused by the service.
        if e.as_text().is_some_and(|t| !EFFECTS.contains(&t.as_str())) {
            cx.err(
                e,
                format!(
                    "invalid `Effect` value `{}`",
                    e.as_text().unwrap_or_default()
                ),
                Some("expected `Allow` or `Deny`".into()),
            );
        } else {
            choice(cx, e, "Effect", EFFECTS);
        }
    }
    pair(&mut m, cx, "Principal", "NotPrincipal");
    if let Some(actions) = pair(&mut m, cx, "Action", "NotAction") {
        for a in strings(cx, actions, "Action") {
            let ok = a.value == "*" || a.value.to_ascii_lowercase().starts_with("execute-api:");
            if !ok {
                cx.err_at(
                    a.pos,
                    format!(
                        "`{}` is not an action of API Gateway's resource policies",
                        a.value
                    ),
                    Some("write `execute-api:Invoke` (or `execute-api:*`)".into()),
                );
            }
        }
    }
    if let Some(resources) = pair(&mut m, cx, "Resource", "NotResource") {
        for r in strings(cx, resources, "Resource") {
            let v = &r.value;
            let ok = v == "*"
                || v.starts_with("execute-api:/")
                || (v.starts_with("arn:") && v.split(':').nth(2) == Some("execute-api"));
            if !ok {
                cx.err_at(
                    r.pos,
                    format!("`{v}` is not a resource of this api"),
                    Some(
                        "write `execute-api:/*` (this api), `execute-api:/STAGE/METHOD/PATH` \
                         or an `arn:aws:execute-api:...` arn"
                            .into(),
                    ),
                );
            }
        }
    }
    if let Some(c) = m.get("Condition") {
        if !matches!(c.value, Value::Map(_)) {
            cx.err(c, "`Condition` must be a mapping of operators", None);
        }
    }
    if let Some(s) = m.get("Sid") {
        nonempty(cx, s, "Sid");
    }
    m.finish(cx);
}

/// Exactly one of `a` and `b` (`Action` / `NotAction`, ...): its value.
fn pair<'n>(m: &mut MapReader<'n>, cx: &mut Cx, a: &str, b: &str) -> Option<&'n Node> {
    let x = m.get(a);
    let y = m.get(b);
    match (x, y) {
        (Some(_), Some(_)) => {
            let k = m.key(b).unwrap_or(m.node);
            cx.err(k, format!("a statement has `{a}` or `{b}`, not both"), None);
            None
        }
        (None, None) => {
            cx.err(
                m.node,
                format!("missing `{a}` in `policy` statement"),
                (a == "Principal").then(|| {
                    "a resource policy names who it applies to: `Principal: \"*\"` for anyone"
                        .into()
                }),
            );
            None
        }
        (x, y) => x.or(y),
    }
}

/// A string or a list of strings.
fn strings(cx: &mut Cx, n: &Node, what: &str) -> Vec<At<String>> {
    match &n.value {
        Value::Seq(_) => text_list(cx, n, what),
        _ => nonempty(cx, n, what).into_iter().collect(),
    }
}

/// `api.vpc_endpoint_ids`: `vpce-` and 8 or 17 hexadecimal digits each.
pub(super) fn read_vpc_endpoint_ids(cx: &mut Cx, n: &Node) -> Vec<At<String>> {
    let mut out: Vec<At<String>> = Vec::new();
    for id in text_list(cx, n, "vpc_endpoint_ids") {
        let hex = id.value.strip_prefix("vpce-").unwrap_or("");
        let ok = (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_hexdigit());
        if !ok {
            cx.err_at(
                id.pos,
                format!("`{}` is not a vpc endpoint id", id.value),
                Some("a vpc endpoint id looks like `vpce-0123456789abcdef0`".into()),
            );
        } else if out.iter().any(|o| o.value == id.value) {
            cx.err_at(id.pos, format!("`{}` is listed twice", id.value), None);
        } else {
            out.push(id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::json;

    use crate::spec::load_str;

    fn spec(api: &str) -> String {
        format!(
            "api:\n{api}functions: {{f: f}}\nstages: {{prod: {{}}}}\nroutes:\n  - {{path: /x, method: GET, function: f}}\n"
        )
    }

    fn errors(api: &str) -> Vec<(u32, u32, String)> {
        let l = load_str(Path::new("t.yaml"), &spec(api));
        l.diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| (d.line, d.col, d.message.clone()))
            .collect()
    }

    #[test]
    fn a_policy_in_yaml_reads_as_its_json_document() {
        let l = load_str(
            Path::new("t.yaml"),
            &spec(
                "  name: a\n  endpoint: private\n  vpc_endpoint_ids: [vpce-0123456789abcdef0]\n  policy:\n    Version: \"2012-10-17\"\n    Statement:\n      - {Effect: Allow, Principal: \"*\", Action: execute-api:Invoke, Resource: execute-api:/*}\n      - {Effect: Deny, Principal: \"*\", Action: \"*\", Resource: execute-api:/*, Condition: {NumericGreaterThan: {x: 5}}}\n",
            ),
        );
        let s = l.spec.expect("valid");
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        assert!(s.api.endpoint_declared);
        assert_eq!(
            s.api.vpc_endpoint_ids,
            Some(vec!["vpce-0123456789abcdef0".to_string()])
        );
        let p = s.api.policy.expect("policy");
        assert_eq!((p.pos.line, p.pos.col), (6, 5));
        assert_eq!(
            p.value["Statement"][1]["Condition"],
            json!({"NumericGreaterThan": {"x": 5}})
        );
        assert_eq!(p.value["Version"], "2012-10-17");
    }

    #[test]
    fn bad_policies_are_refused_at_the_offending_value() {
        let cases: &[(&str, (u32, u32, &str))] = &[
            (
                "  name: a\n  endpoint: PRIVATE\n",
                (3, 13, "a PRIVATE api needs a `policy`"),
            ),
            (
                "  name: a\n  policy: {Statement: []}\n",
                (3, 23, "`Statement` must not be empty"),
            ),
            (
                "  name: a\n  policy: {Statment: {Effect: Allow}}\n",
                (3, 12, "unknown key `Statment` in `policy`"),
            ),
            (
                "  name: a\n  policy: {Statement: {Effect: Allow, Action: execute-api:Invoke, Resource: \"*\"}}\n",
                (3, 23, "missing `Principal` in `policy` statement"),
            ),
            (
                "  name: a\n  policy: {Statement: {Effect: Allow, Principal: \"*\", Action: s3:GetObject, Resource: \"*\"}}\n",
                (3, 63, "`s3:GetObject` is not an action of API Gateway's resource policies"),
            ),
            (
                "  name: a\n  policy: {Statement: {Effect: Allow, Principal: \"*\", Action: \"*\", NotAction: \"*\", Resource: \"*\"}}\n",
                (3, 68, "a statement has `Action` or `NotAction`, not both"),
            ),
            (
                "  name: a\n  policy: {Statement: {Effect: Allow, Principal: \"*\", Action: \"*\", Resource: \"execute-api:*\"}}\n",
                (3, 78, "`execute-api:*` is not a resource of this api"),
            ),
            (
                "  name: a\n  endpoint: PRIVATE\n  vpc_endpoint_ids: [vpce-12]\n  policy: {Statement: {Effect: Allow, Principal: \"*\", Action: \"*\", Resource: \"*\"}}\n",
                (4, 22, "`vpce-12` is not a vpc endpoint id"),
            ),
            (
                "  name: a\n  kind: http\n  policy: {Statement: {Effect: Allow, Principal: \"*\", Action: \"*\", Resource: \"*\"}}\n",
                (4, 3, "`policy` is only supported on rest apis"),
            ),
        ];
        for (api, (line, col, msg)) in cases {
            let e = errors(api);
            assert_eq!(
                e.first().map(|(l, c, m)| (*l, *c, m.as_str())),
                Some((*line, *col, *msg)),
                "{api}: {e:?}"
            );
        }
    }

    #[test]
    fn a_policy_longer_than_api_gateway_allows_is_refused() {
        let many: Vec<String> = (0..700)
            .map(|i| format!("\"10.0.{}.0/24\"", i % 250))
            .collect();
        let api = format!(
            "  name: a\n  policy: {{Statement: {{Effect: Deny, Principal: \"*\", Action: \"*\", Resource: \"*\", Condition: {{IpAddress: {{aws:SourceIp: [{}]}}}}}}}}\n",
            many.join(", ")
        );
        let e = errors(&api);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].2.contains("API Gateway allows 8192"), "{e:?}");
        assert_eq!((e[0].0, e[0].1), (3, 11));
    }
}
