//! A REST API's resource policy (an IAM policy document) in one canonical shape, so the spec's
//! document and the one API Gateway returns compare by meaning, never by text.
//!
//! What differs between what is sent and what comes back, and is folded here:
//! - API Gateway returns the policy as a string whose JSON is escaped once more
//!   (`{\"Version\":\"2012-10-17\",...}`, slashes as `\/`); the emulators return it as sent.
//!   [`parse_returned`] reads both.
//! - `execute-api:/STAGE/METHOD/PATH` (the shorthand) is stored expanded to
//!   `arn:{partition}:execute-api:{region}:{account}:{api-id}/STAGE/METHOD/PATH`; [`normalise`]
//!   folds the API's own ARN back into the shorthand (same region, a concrete account), so
//!   either spelling compares equal.
//! - IAM treats a single string and a list of one string alike (`Action`, `Resource`,
//!   principals, condition values), a list as a set, `Statement` as one object or a list,
//!   and the order of statements as irrelevant: all become sorted lists.

use serde_json::{Map, Value};

/// The policy document API Gateway (or an emulator) returned, as JSON: `None` when it is
/// absent, empty or not a JSON object in either form.
pub fn parse_returned(s: &str) -> Option<Value> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(s) {
        return Some(v);
    }
    // AWS: the document's JSON escaped as the inside of a JSON string.
    let unescaped: String = serde_json::from_str(&format!("\"{s}\"")).ok()?;
    match serde_json::from_str::<Value>(&unescaped) {
        Ok(v @ Value::Object(_)) => Some(v),
        _ => None,
    }
}

/// The canonical form of `doc` for the API `api_id` in `region` (`api_id` `None`: the API
/// does not exist yet, nothing to fold).
pub fn normalise(doc: &Value, api_id: Option<&str>, region: &str) -> Value {
    let Value::Object(top) = doc else {
        return doc.clone();
    };
    let mut out = Map::new();
    for (k, v) in top {
        if k == "Statement" {
            let list = match v {
                Value::Array(a) => a.clone(),
                other => vec![other.clone()],
            };
            let mut stmts: Vec<Value> = list.iter().map(|s| statement(s, api_id, region)).collect();
            stmts.sort_by_key(|s| s.to_string());
            stmts.dedup();
            out.insert(k.clone(), Value::Array(stmts));
        } else {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

fn statement(s: &Value, api_id: Option<&str>, region: &str) -> Value {
    let Value::Object(m) = s else {
        return s.clone();
    };
    let mut out = Map::new();
    for (k, v) in m {
        let v = match k.as_str() {
            "Action" | "NotAction" => set(v, |s| s.to_string()),
            "Resource" | "NotResource" => set(v, |s| fold_arn(s, api_id, region)),
            "Principal" | "NotPrincipal" => match v {
                Value::Object(p) => Value::Object(
                    p.iter()
                        .map(|(k, v)| (k.clone(), set(v, |s| s.to_string())))
                        .collect(),
                ),
                other => other.clone(),
            },
            "Condition" => match v {
                Value::Object(ops) => Value::Object(
                    ops.iter()
                        .map(|(op, keys)| {
                            let keys = match keys {
                                Value::Object(ks) => Value::Object(
                                    ks.iter()
                                        .map(|(k, v)| (k.clone(), set(v, |s| s.to_string())))
                                        .collect(),
                                ),
                                other => other.clone(),
                            };
                            (op.clone(), keys)
                        })
                        .collect(),
                ),
                other => other.clone(),
            },
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    Value::Object(out)
}

/// A string or a list of scalars as a sorted list of strings (numbers and booleans as
/// written: IAM compares condition values as text).
fn set(v: &Value, f: impl Fn(&str) -> String) -> Value {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for i in items {
        match i {
            Value::String(s) => out.push(f(s)),
            Value::Number(n) => out.push(n.to_string()),
            Value::Bool(b) => out.push(b.to_string()),
            // Not a scalar: not a policy IAM would accept; keep it as it is.
            _ => return v.clone(),
        }
    }
    out.sort();
    out.dedup();
    Value::Array(out.into_iter().map(Value::String).collect())
}

/// `arn:{p}:execute-api:{region}:{account}:{api_id}/REST` -> `execute-api:/REST` when the
/// region is the API's and the account is concrete (how API Gateway expands the shorthand).
fn fold_arn(s: &str, api_id: Option<&str>, region: &str) -> String {
    let Some(api_id) = api_id else {
        return s.to_string();
    };
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    if let [arn, _partition, "execute-api", r, account, rest] = parts[..] {
        let concrete = !account.is_empty() && account.chars().all(|c| c.is_ascii_digit());
        if arn == "arn" && r == region && concrete {
            if let Some(tail) = rest.strip_prefix(api_id).and_then(|t| t.strip_prefix('/')) {
                return format!("execute-api:/{tail}");
            }
        }
    }
    s.to_string()
}

/// The document as one line of JSON (what `update-rest-api /policy` and `create-rest-api`
/// carry, and what a plan shows).
pub fn to_text(doc: &Value) -> String {
    doc.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_escaped_form_aws_returns_is_read() {
        // As get-rest-api answers (after the HTTP body's own JSON is decoded).
        let aws = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"execute-api:Invoke\",\"Resource\":\"arn:aws:execute-api:us-east-1:123456789012:abc123\/*\",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"192.0.2.0\/24\"}}}]}"#;
        let doc = parse_returned(aws).expect("parsed");
        assert_eq!(
            doc["Statement"][0]["Condition"]["IpAddress"]["aws:SourceIp"],
            "192.0.2.0/24"
        );
        let plain = r#"{"Version":"2012-10-17","Statement":[]}"#;
        assert_eq!(
            parse_returned(plain),
            Some(json!({"Version":"2012-10-17","Statement":[]}))
        );
        assert_eq!(parse_returned(""), None);
        assert_eq!(parse_returned("not json"), None);
    }

    #[test]
    fn the_expanded_arn_and_the_shorthand_compare_equal() {
        let spec = json!({"Version": "2012-10-17", "Statement": {
            "Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*"}});
        let live = json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": ["execute-api:Invoke"],
            "Resource": ["arn:aws:execute-api:eu-west-1:123456789012:abc123/*"]}]});
        let n = |d: &Value| normalise(d, Some("abc123"), "eu-west-1");
        assert_eq!(n(&spec), n(&live));
        // Another API, another region or a wildcard account is not the shorthand.
        for other in [
            "arn:aws:execute-api:eu-west-1:123456789012:zzz999/*",
            "arn:aws:execute-api:us-east-1:123456789012:abc123/*",
            "arn:aws:execute-api:eu-west-1:*:abc123/*",
        ] {
            let mut d = live.clone();
            d["Statement"][0]["Resource"] = json!([other]);
            assert_ne!(n(&spec), n(&d), "{other}");
        }
    }

    #[test]
    fn lists_are_sets_and_statement_order_does_not_matter() {
        let a = json!({"Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke",
             "Resource": "execute-api:/*",
             "Condition": {"StringNotEquals": {"aws:SourceVpce": ["vpce-2", "vpce-1"]}}},
            {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:root", "arn:aws:iam::2:root"]},
             "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]});
        let b = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::2:root", "arn:aws:iam::1:root"]},
             "Action": ["execute-api:Invoke"], "Resource": ["execute-api:/*"]},
            {"Effect": "Deny", "Principal": "*", "Action": ["execute-api:Invoke"],
             "Resource": "execute-api:/*",
             "Condition": {"StringNotEquals": {"aws:SourceVpce": ["vpce-1", "vpce-2"]}}}]});
        assert_eq!(normalise(&a, None, "r"), normalise(&b, None, "r"));
        let mut c = b.clone();
        c["Statement"][1]["Effect"] = json!("Allow");
        assert_ne!(normalise(&a, None, "r"), normalise(&c, None, "r"));
    }
}
