//! Reads from the account into [`crate::state`] shapes. This module holds what every kind
//! of API shares: paging ([`all_pages`], [`PAGE_LIMIT`]), bounded concurrency ([`bounded`]),
//! map and text normalisation, and the Lambda functions and policies a spec refers to
//! ([`resolve_functions`], [`read_policies`]). Each kind's reader lives beside the others:
//! [`rest`] (REST APIs), [`http`] (HTTP APIs), [`usage`] (usage plans and API keys).
//!
//! Emulator (moto 5.2.5) divergences seen by the Lambda readers: get-policy ignores the
//! qualifier and returns the function's whole policy (hence the `Resource` filter in
//! [`read_policies`]); get-policy on a function that never had a statement answers 404 like
//! AWS; get-function with a qualifier returns the unqualified ARN (AWS returns the qualified
//! one; [`resolve_functions`] accepts both).

pub mod domains;
pub mod http;
pub mod rest;
pub mod usage;
pub mod v2;
pub mod ws;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use super::error::{classify, AwsError, ErrorKind};
use super::Clients;
use crate::spec::arn::FunctionArn;
use crate::spec::model::{Pos, Spec};
use crate::state::rest::Policies;
use crate::state::{PolicyStatement, ResolvedFunction};

/// Page size for every paginated API Gateway list call (the service maximum).
pub const PAGE_LIMIT: i32 = 500;
/// How many Lambda reads run at once: the ten functions of a typical spec in one round trip
/// (the buckets of `pace`, GetFunction 100/s and GetPolicy 15/s, set the pace; this only
/// bounds how many wait at once).
pub const LAMBDA_CONCURRENCY: usize = 10;
/// Upper bound on pages followed for one list (a service that echoes `position` forever
/// must not hang gwctl).
const MAX_PAGES: usize = 10_000;

/// Remembers the `position` tokens seen so far; `next` says whether to fetch another page.
pub(crate) struct Pager {
    seen: BTreeSet<String>,
    pages: usize,
}

impl Pager {
    pub(crate) fn new() -> Self {
        Pager {
            seen: BTreeSet::new(),
            pages: 0,
        }
    }

    /// The position to ask for next, or `None` when the list is complete.
    pub(crate) fn next(&mut self, position: Option<&str>) -> Option<String> {
        self.pages += 1;
        let p = position.filter(|p| !p.is_empty())?;
        if self.pages >= MAX_PAGES || !self.seen.insert(p.to_string()) {
            return None;
        }
        Some(p.to_string())
    }
}

/// Every page of a paginated list: `fetch(position)` returns one page's items and the next
/// position; the list ends when the service gives none, repeats one, or after `MAX_PAGES`.
pub(crate) async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, AwsError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), AwsError>>,
{
    let mut out = Vec::new();
    let mut pager = Pager::new();
    let mut position = None;
    loop {
        let (items, next) = fetch(position.take()).await?;
        out.extend(items);
        match pager.next(next.as_deref()) {
            Some(p) => position = Some(p),
            None => return Ok(out),
        }
    }
}

pub(crate) fn to_btree<V: Clone>(m: Option<&HashMap<String, V>>) -> BTreeMap<String, V> {
    m.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

pub(crate) fn non_empty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_string)
}

// ---------------------------------------------------------------------------------------
// Lambda functions
// ---------------------------------------------------------------------------------------

/// A spec function that could not be resolved with get-function.
#[derive(Debug, thiserror::Error)]
pub struct FunctionError {
    /// Spec-local key.
    pub key: String,
    /// The name or ARN as written in the spec.
    pub name_or_arn: String,
    pub qualifier: Option<String>,
    /// Spec file and the position of the reference.
    pub file: PathBuf,
    pub pos: Pos,
    #[source]
    pub error: AwsError,
}

impl std::fmt::Display for FunctionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let reference = match &self.qualifier {
            Some(q) => format!("`{}` (qualifier `{q}`)", self.name_or_arn),
            None => format!("`{}`", self.name_or_arn),
        };
        write!(
            f,
            "{}:{}:{}: ",
            self.file.display(),
            self.pos.line,
            self.pos.col
        )?;
        if self.error.kind == ErrorKind::NotFound {
            write!(
                f,
                "function `{}` refers to Lambda function {reference}, which does not exist",
                self.key
            )?;
            write!(
                f,
                "\nhint: create the function first, or fix the name, ARN or alias in the spec \
                 (region and account must match the ones gwctl uses)"
            )
        } else {
            write!(
                f,
                "could not read Lambda function {reference} (function `{}`): {}",
                self.key, self.error
            )
        }
    }
}

/// Split a Lambda function ARN into (unqualified ARN, qualifier):
/// `arn:aws:lambda:r:a:function:f:live` → (`arn:aws:lambda:r:a:function:f`, `Some("live")`).
/// Anything that is not a full function ARN is returned unchanged with no qualifier.
pub use crate::spec::arn::split_qualifier as split_function_arn;

/// Resolve every `spec.functions` entry with one get-function call each (at most
/// [`LAMBDA_CONCURRENCY`] at a time). All failures are collected and returned together, in
/// file order; nothing is written by this function.
pub async fn resolve_functions(
    c: &Clients,
    spec: &Spec,
) -> Result<Vec<ResolvedFunction>, Vec<FunctionError>> {
    let results = bounded(
        spec.functions.iter().map(|f| {
            let c = c.clone();
            let name_or_arn = f.name_or_arn.value.clone();
            let qualifier = f.qualifier.clone();
            async move {
                c.lambda
                    .get_function()
                    .function_name(name_or_arn)
                    .set_qualifier(qualifier)
                    .send()
                    .await
                    .map_err(|e| classify("GetFunction", e))
                    .map(|out| {
                        out.configuration()
                            .and_then(|cfg| cfg.function_arn())
                            .map(str::to_string)
                    })
            }
        }),
        LAMBDA_CONCURRENCY,
    )
    .await;

    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for (f, res) in spec.functions.iter().zip(results) {
        let fail = |error: AwsError| FunctionError {
            key: f.key.value.clone(),
            name_or_arn: f.name_or_arn.value.clone(),
            qualifier: f.qualifier.clone(),
            file: spec.file.clone(),
            pos: f.name_or_arn.pos,
            error,
        };
        match res {
            Ok(Some(arn)) => {
                // Real AWS returns the qualified ARN when a qualifier was given.
                let Some(parsed) = FunctionArn::parse(&arn) else {
                    errors.push(fail(AwsError {
                        kind: ErrorKind::Other,
                        operation: "GetFunction".into(),
                        code: None,
                        message: format!("unexpected function ARN `{arn}`"),
                    }));
                    continue;
                };
                let qualifier = f
                    .qualifier
                    .clone()
                    .or(parsed.qualifier.clone())
                    .or_else(|| split_function_arn(&f.name_or_arn.value).1);
                ok.push(ResolvedFunction {
                    key: f.key.value.clone(),
                    function_arn: parsed.unqualified(),
                    name: parsed.name,
                    account: parsed.account,
                    region: parsed.region,
                    qualifier,
                });
            }
            Ok(None) => errors.push(fail(AwsError {
                kind: ErrorKind::Other,
                operation: "GetFunction".into(),
                code: None,
                message: "the answer carries no function ARN".into(),
            })),
            Err(e) => errors.push(fail(e)),
        }
    }
    if errors.is_empty() {
        Ok(ok)
    } else {
        Err(errors)
    }
}

/// Which of the functions `arns` (unqualified ARNs) are functions of the account and region
/// gwctl works in, as ARN -> name: one get-function by name each, for those in this region (a
/// function of that name that is another one, or none, means the ARN is of another account).
/// `gwctl export` writes these by name.
pub async fn local_functions(
    c: &Clients,
    arns: &BTreeSet<String>,
) -> Result<BTreeMap<String, String>, AwsError> {
    let candidates: Vec<(String, String)> = arns
        .iter()
        .filter_map(|a| {
            let f = FunctionArn::parse(a)?;
            (f.region == c.region).then(|| (a.clone(), f.name))
        })
        .collect();
    let results = bounded(
        candidates.iter().map(|(_, name)| {
            let c = c.clone();
            let name = name.clone();
            async move {
                c.lambda
                    .get_function()
                    .function_name(name)
                    .send()
                    .await
                    .map_err(|e| classify("GetFunction", e))
                    .map(|out| {
                        out.configuration()
                            .and_then(|cfg| cfg.function_arn())
                            .map(split_function_arn)
                            .map(|(arn, _)| arn)
                    })
            }
        }),
        LAMBDA_CONCURRENCY,
    )
    .await;
    let mut out = BTreeMap::new();
    for ((arn, name), r) in candidates.into_iter().zip(results) {
        match r {
            Ok(Some(found)) if found == arn => {
                out.insert(arn, name);
            }
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Run futures with at most `limit` in flight; results in input order.
pub(crate) async fn bounded<F, T>(futs: impl IntoIterator<Item = F>, limit: usize) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let sem = Arc::new(tokio::sync::Semaphore::new(limit.max(1)));
    let mut set = tokio::task::JoinSet::new();
    let mut n = 0;
    for (i, fut) in futs.into_iter().enumerate() {
        let sem = sem.clone();
        n += 1;
        set.spawn(async move {
            let _permit = sem.acquire_owned().await.expect("semaphore open");
            (i, fut.await)
        });
    }
    let mut slots: Vec<Option<T>> = (0..n).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((i, v)) => slots[i] = Some(v),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    slots
        .into_iter()
        .map(|s| s.expect("every task finished"))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Lambda policies
// ---------------------------------------------------------------------------------------

/// The policy key for a function: `arn` or `arn:qualifier` (= `ResolvedFunction::invoke_arn`).
pub fn policy_key(function_arn: &str, qualifier: Option<&str>) -> String {
    match qualifier {
        Some(q) => format!("{function_arn}:{q}"),
        None => function_arn.to_string(),
    }
}

/// Read the resource policy of each (unqualified function ARN, qualifier) with get-policy,
/// one call per distinct pair. No policy (AWS answers 404) is an empty list.
///
/// Only statements whose `Resource` is the key's ARN are kept: real AWS keeps one policy per
/// qualifier, but the emulator returns the function's whole policy whatever the qualifier.
pub async fn read_policies(
    c: &Clients,
    functions: &[(String, Option<String>)],
) -> Result<Policies, AwsError> {
    let pairs: BTreeSet<(String, Option<String>)> = functions.iter().cloned().collect();
    let pairs: Vec<_> = pairs.into_iter().collect();
    let results = bounded(
        pairs.iter().cloned().map(|(arn, qualifier)| {
            let c = c.clone();
            async move { get_policy(&c, &arn, qualifier.as_deref()).await }
        }),
        LAMBDA_CONCURRENCY,
    )
    .await;
    let mut out = Policies::new();
    for ((arn, qualifier), res) in pairs.iter().zip(results) {
        let key = policy_key(arn, qualifier.as_deref());
        let statements = res?;
        out.insert(
            key.clone(),
            statements
                .into_iter()
                .filter(|s| s.resource.is_empty() || s.resource == key)
                .collect(),
        );
    }
    Ok(out)
}

/// get-policy for one function/qualifier, parsed; NotFound = no statements.
pub(crate) async fn get_policy(
    c: &Clients,
    function_arn: &str,
    qualifier: Option<&str>,
) -> Result<Vec<PolicyStatement>, AwsError> {
    match c
        .lambda
        .get_policy()
        .function_name(function_arn)
        .set_qualifier(qualifier.map(str::to_string))
        .send()
        .await
    {
        Ok(out) => match out.policy() {
            Some(doc) if !doc.trim().is_empty() => parse_policy(doc).map_err(|message| AwsError {
                kind: ErrorKind::Other,
                operation: "GetPolicy".into(),
                code: None,
                message: format!(
                    "the policy of `{}` could not be read: {message}",
                    policy_key(function_arn, qualifier)
                ),
            }),
            _ => Ok(Vec::new()),
        },
        Err(e) => {
            let e = classify("GetPolicy", e);
            if e.is_not_found() {
                Ok(Vec::new())
            } else {
                Err(e)
            }
        }
    }
}

/// Parse a Lambda resource policy document into statements. Accepts the forms IAM allows:
/// `Statement` as an array or a single object; `Principal` as `{"Service": ...}` or a
/// string; `Action`/`Resource` as a string or an array (first element kept);
/// `Condition.ArnLike` keys matched case-insensitively (`AWS:SourceArn`).
pub fn parse_policy(doc: &str) -> Result<Vec<PolicyStatement>, String> {
    use serde_json::Value;
    let v: Value = serde_json::from_str(doc).map_err(|e| e.to_string())?;
    let statements = match v.get("Statement") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a.clone(),
        Some(o @ Value::Object(_)) => vec![o.clone()],
        Some(_) => return Err("`Statement` is neither a list nor an object".into()),
    };
    fn first_str(v: Option<&Value>) -> Option<String> {
        match v? {
            Value::String(s) => Some(s.clone()),
            Value::Array(a) => a.iter().find_map(|x| x.as_str().map(str::to_string)),
            _ => None,
        }
    }
    let mut out = Vec::new();
    for s in statements {
        let principal_service = match s.get("Principal") {
            Some(Value::Object(p)) => first_str(p.get("Service")),
            _ => None,
        };
        let source_arn = s
            .get("Condition")
            .and_then(|c| c.as_object())
            .and_then(|c| {
                c.iter()
                    .filter(|(op, _)| op.eq_ignore_ascii_case("ArnLike"))
                    .find_map(|(_, m)| {
                        m.as_object()?
                            .iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case("AWS:SourceArn"))
                            .and_then(|(_, v)| first_str(Some(v)))
                    })
            });
        out.push(PolicyStatement {
            sid: first_str(s.get("Sid")).unwrap_or_default(),
            effect: first_str(s.get("Effect")).unwrap_or_default(),
            principal_service,
            action: first_str(s.get("Action")).unwrap_or_default(),
            resource: first_str(s.get("Resource")).unwrap_or_default(),
            source_arn,
        });
    }
    Ok(out)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_arns_split_into_base_and_qualifier() {
        assert_eq!(
            split_function_arn("arn:aws:lambda:us-east-1:123456789012:function:f:live"),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:f".to_string(),
                Some("live".to_string())
            )
        );
        assert_eq!(
            split_function_arn("arn:aws:lambda:us-east-1:123456789012:function:f"),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:f".to_string(),
                None
            )
        );
        assert_eq!(
            split_function_arn("todo-get"),
            ("todo-get".to_string(), None)
        );
    }

    #[test]
    fn policies_parse_in_every_allowed_form() {
        let doc = r#"{"Version":"2012-10-17","Id":"default","Statement":[
            {"Sid":"a","Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},
             "Action":"lambda:InvokeFunction","Resource":"arn:f",
             "Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:us-east-1:1:abc/*"}}},
            {"Sid":"b","Effect":"Allow","Principal":"*","Action":["lambda:InvokeFunction"],
             "Resource":["arn:f"]}]}"#;
        let s = parse_policy(doc).unwrap();
        assert_eq!(
            s,
            vec![
                PolicyStatement {
                    sid: "a".into(),
                    effect: "Allow".into(),
                    principal_service: Some("apigateway.amazonaws.com".into()),
                    action: "lambda:InvokeFunction".into(),
                    resource: "arn:f".into(),
                    source_arn: Some("arn:aws:execute-api:us-east-1:1:abc/*".into()),
                },
                PolicyStatement {
                    sid: "b".into(),
                    effect: "Allow".into(),
                    principal_service: None,
                    action: "lambda:InvokeFunction".into(),
                    resource: "arn:f".into(),
                    source_arn: None,
                },
            ]
        );
        let single = parse_policy(
            r#"{"Statement":{"Sid":"x","Effect":"Allow","Action":"a","Resource":"r",
                "Condition":{"arnlike":{"aws:sourcearn":"arn:s"}}}}"#,
        )
        .unwrap();
        assert_eq!(single.len(), 1);
        assert_eq!(single[0].source_arn.as_deref(), Some("arn:s"));
        assert!(parse_policy(r#"{"Version":"2012-10-17"}"#)
            .unwrap()
            .is_empty());
        assert!(parse_policy("not json").is_err());
    }

    #[test]
    fn pager_stops_on_missing_empty_or_repeated_position() {
        let mut p = Pager::new();
        assert_eq!(p.next(Some("a")), Some("a".to_string()));
        assert_eq!(p.next(Some("b")), Some("b".to_string()));
        assert_eq!(p.next(Some("a")), None);
        let mut p = Pager::new();
        assert_eq!(p.next(Some("")), None);
        assert_eq!(p.next(None), None);
    }
}
