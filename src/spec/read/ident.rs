//! Formats of AWS identifiers and names: regions, accounts, ARNs, function names,
//! qualifiers, stage names, URLs, environment variable names.

use crate::spec::secrets;

pub(crate) fn is_region(s: &str) -> bool {
    // us-east-1, eu-central-2, us-gov-west-1, ap-northeast-1, cn-north-1
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && !parts[parts.len() - 1].is_empty()
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
}

pub(crate) fn is_account(s: &str) -> bool {
    s.len() == 12 && s.chars().all(|c| c.is_ascii_digit())
}

pub(crate) fn is_partition(s: &str) -> bool {
    s == "aws"
        || s.strip_prefix("aws-")
            .is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
}

pub(crate) fn is_function_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub(crate) fn is_qualifier(s: &str) -> bool {
    s == "$LATEST"
        || ((1..=128).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
}

/// `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]` → (unqualified ARN, qualifier).
pub(crate) fn parse_lambda_arn(s: &str) -> Option<(String, Option<String>)> {
    let p: Vec<&str> = s.split(':').collect();
    if !(p.len() == 7 || p.len() == 8)
        || p[0] != "arn"
        || !is_partition(p[1])
        || p[2] != "lambda"
        || !is_region(p[3])
        || !is_account(p[4])
        || p[5] != "function"
        || !is_function_name(p[6])
    {
        return None;
    }
    let qualifier = match p.get(7) {
        Some(q) if is_qualifier(q) => Some(q.to_string()),
        Some(_) => return None,
        None => None,
    };
    Some((p[..7].join(":"), qualifier))
}

/// `arn:aws:iam::ACCOUNT:role/[path/]NAME`
pub(crate) fn is_role_arn(s: &str) -> bool {
    let p: Vec<&str> = s.splitn(6, ':').collect();
    p.len() == 6
        && p[0] == "arn"
        && is_partition(p[1])
        && p[2] == "iam"
        && p[3].is_empty()
        && is_account(p[4])
        && p[5].strip_prefix("role/").is_some_and(|r| {
            !r.is_empty()
                && !r.ends_with('/')
                && r.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c))
        })
}

/// `arn:aws:cognito-idp:REGION:ACCOUNT:userpool/REGION_ID`
pub(crate) fn is_user_pool_arn(s: &str) -> bool {
    let p: Vec<&str> = s.split(':').collect();
    p.len() == 6
        && p[0] == "arn"
        && is_partition(p[1])
        && p[2] == "cognito-idp"
        && is_region(p[3])
        && is_account(p[4])
        && p[5].strip_prefix("userpool/").is_some_and(|id| {
            id.split_once('_').is_some_and(|(r, rest)| {
                is_region(r) && !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric())
            })
        })
}

/// `arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]`
pub(crate) fn is_log_group_arn(s: &str) -> bool {
    let p: Vec<&str> = s.split(':').collect();
    (p.len() == 7 || (p.len() == 8 && p[7] == "*"))
        && p[0] == "arn"
        && is_partition(p[1])
        && p[2] == "logs"
        && is_region(p[3])
        && is_account(p[4])
        && p[5] == "log-group"
        && (1..=512).contains(&p[6].len())
        && p[6]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/#".contains(c))
}

/// `arn:aws:firehose:REGION:ACCOUNT:deliverystream/amazon-apigateway-NAME` (REST access logs).
pub(crate) fn is_firehose_arn(s: &str) -> bool {
    let p: Vec<&str> = s.split(':').collect();
    p.len() == 6
        && p[0] == "arn"
        && is_partition(p[1])
        && p[2] == "firehose"
        && is_region(p[3])
        && is_account(p[4])
        && p[5].starts_with("deliverystream/")
}

/// An absolute `http://` or `https://` URL with a host (stage variables allowed).
pub(crate) fn is_http_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(r) => {
            let host = r.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

/// An environment variable name that is shaped like an API key value: as long as the
/// shortest value API Gateway accepts, and either without `_` or in mixed case (AWS
/// generates values of 40 mixed-case letters and digits).
pub(super) fn looks_like_key_value(s: &str) -> bool {
    let mixed =
        s.chars().any(|c| c.is_ascii_lowercase()) && s.chars().any(|c| c.is_ascii_uppercase());
    s.chars().count() >= secrets::VALUE_LIKE_LEN && (!s.contains('_') || mixed)
}

pub(super) fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Stage name: `[A-Za-z0-9_-]{1,128}`.
pub(crate) fn is_stage_name(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}
