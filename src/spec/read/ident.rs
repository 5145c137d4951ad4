//! Formats of AWS identifiers and names: regions, accounts, ARNs, function names,
//! qualifiers, stage names, URLs, environment variable names.

use crate::spec::secrets;

// Identifiers and ARNs are read by one parser, in `spec::arn`.
pub(crate) use crate::spec::arn::{
    is_firehose_arn, is_function_name, is_log_group_arn, is_qualifier, is_role_arn,
    is_user_pool_arn, parse_lambda_arn,
};

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
