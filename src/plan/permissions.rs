//! Lambda invoke permissions, planned the same way for REST and HTTP APIs: one deterministic
//! statement per function (and per Lambda authorizer) and API, added only when the policy
//! lacks it, replaced when gwctl's statement grants something else, and removed when the API
//! no longer uses the function. Pure: the caller turns [`PermissionOp`]s into its own ops.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use crate::state::rest::Policies;
use crate::state::{PolicyStatement, ResolvedFunction};

use super::{authorizer_id_placeholder, Action, Change, Plan, API_ID};

/// An invoke permission API Gateway needs on a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredPermission {
    /// Spec-local function key.
    pub function_key: String,
    /// Qualified ARN the permission is put on (key of `Policies`).
    pub function: String,
    /// Deterministic statement id template (`{api_id}` placeholder).
    pub statement_id: String,
    /// Source ARN template (`{api_id}`, `{authorizer_id:NAME}` placeholders).
    pub source_arn: String,
}

impl DesiredPermission {
    /// The statement id and source ARN with the placeholders filled in (`authorizer_ids`
    /// maps authorizer names to ids; `None` when an id is not known yet).
    pub fn resolve(
        &self,
        api_id: &str,
        authorizer_ids: &BTreeMap<String, String>,
    ) -> Option<(String, String)> {
        let sid = self.statement_id.replace(API_ID, api_id);
        let mut arn = self.source_arn.replace(API_ID, api_id);
        if let Some(start) = arn.find("{authorizer_id:") {
            let end = start + arn[start..].find('}')?;
            let name = &arn[start + "{authorizer_id:".len()..end];
            let id = authorizer_ids.get(name)?;
            arn = format!("{}{}{}", &arn[..start], id, &arn[end + 1..]);
        }
        Some((sid, arn))
    }
}

/// Add the invoke permission API Gateway needs to call `f` from any route of the API (one
/// statement per function and API; scoped to `{api_id}/*`).
pub(crate) fn add_api_permission(
    perms: &mut BTreeMap<String, DesiredPermission>,
    f: &ResolvedFunction,
    region: &str,
) {
    let mut parts = vec!["gwctl", API_ID, f.name.as_str()];
    if let Some(q) = &f.qualifier {
        parts.push(q);
    }
    let partition = crate::spec::arn::partition_of(&f.function_arn);
    perms
        .entry(format!("api:{}", f.invoke_arn()))
        .or_insert_with(|| DesiredPermission {
            function_key: f.key.clone(),
            function: f.invoke_arn(),
            statement_id: statement_id(&parts),
            source_arn: format!(
                "arn:{partition}:execute-api:{region}:{}:{API_ID}/*",
                f.account
            ),
        });
}

/// Add the invoke permission a Lambda authorizer needs (scoped to `{api_id}/authorizers/{id}`).
pub(crate) fn add_authorizer_permission(
    perms: &mut BTreeMap<String, DesiredPermission>,
    f: &ResolvedFunction,
    authorizer: &str,
    region: &str,
) {
    let partition = crate::spec::arn::partition_of(&f.function_arn);
    perms
        .entry(format!("auth:{authorizer}:{}", f.invoke_arn()))
        .or_insert_with(|| DesiredPermission {
            function_key: f.key.clone(),
            function: f.invoke_arn(),
            statement_id: statement_id(&["gwctl", API_ID, "authorizer", authorizer]),
            source_arn: format!(
                "arn:{partition}:execute-api:{region}:{}:{API_ID}/authorizers/{}",
                f.account,
                authorizer_id_placeholder(authorizer)
            ),
        });
}

/// Statement ids allow `[A-Za-z0-9_-]`, at most 100 characters.
fn statement_id(parts: &[&str]) -> String {
    let raw = parts.join("-");
    let clean: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '{' || c == '}' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.len() <= 100 {
        return clean;
    }
    let digest = format!("{:x}", Sha256::digest(raw.as_bytes()))[..12].to_string();
    format!("{}-{}", &clean[..100 - 13], digest)
}

/// lambda add-permission / remove-permission, as both op enums carry them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionOp {
    Add {
        /// The ARN to put the permission on (qualified when the spec names an alias).
        function: String,
        /// Spec-local function key (for messages).
        function_key: String,
        /// Deterministic statement id (may contain `{api_id}`).
        statement_id: String,
        /// Source ARN (may contain `{api_id}` and `{authorizer_id:NAME}`).
        source_arn: String,
    },
    Remove {
        function: String,
        function_key: String,
        statement_id: String,
    },
}

/// Conversions between [`PermissionOp`] and an op enum whose `AddPermission` and
/// `RemovePermission` variants carry the same fields ([`Op`](crate::plan::Op) and
/// [`HttpOp`](crate::plan::HttpOp)); each kind's ops file invokes it, so this file imports
/// neither kind.
macro_rules! permission_variants {
    ($op:ident) => {
        impl From<$crate::plan::permissions::PermissionOp> for $op {
            fn from(p: $crate::plan::permissions::PermissionOp) -> $op {
                match p {
                    $crate::plan::permissions::PermissionOp::Add {
                        function,
                        function_key,
                        statement_id,
                        source_arn,
                    } => $op::AddPermission {
                        function,
                        function_key,
                        statement_id,
                        source_arn,
                    },
                    $crate::plan::permissions::PermissionOp::Remove {
                        function,
                        function_key,
                        statement_id,
                    } => $op::RemovePermission {
                        function,
                        function_key,
                        statement_id,
                    },
                }
            }
        }

        impl $op {
            /// The Lambda permission call this op is, if it is one.
            pub fn permission(&self) -> Option<$crate::plan::permissions::PermissionOp> {
                match self {
                    $op::AddPermission {
                        function,
                        function_key,
                        statement_id,
                        source_arn,
                    } => Some($crate::plan::permissions::PermissionOp::Add {
                        function: function.clone(),
                        function_key: function_key.clone(),
                        statement_id: statement_id.clone(),
                        source_arn: source_arn.clone(),
                    }),
                    $op::RemovePermission {
                        function,
                        function_key,
                        statement_id,
                    } => Some($crate::plan::permissions::PermissionOp::Remove {
                        function: function.clone(),
                        function_key: function_key.clone(),
                        statement_id: statement_id.clone(),
                    }),
                    _ => None,
                }
            }
        }
    };
}

pub(crate) use permission_variants;

/// The principal of every statement gwctl adds: API Gateway's service principal, never `*`.
pub const APIGATEWAY_PRINCIPAL: &str = "apigateway.amazonaws.com";
/// The one action gwctl's statements grant.
pub const INVOKE_ACTION: &str = "lambda:InvokeFunction";

/// `name[:qualifier]` of a function ARN, for labels.
pub fn function_name(arn: &str) -> String {
    crate::spec::arn::FunctionArn::parse(arn).map_or_else(|| arn.to_string(), |f| f.short())
}

/// Whether an existing statement grants exactly what gwctl's statement should.
pub fn statement_matches(st: &PolicyStatement, function: &str, source_arn: &str) -> bool {
    st.effect.eq_ignore_ascii_case("allow")
        && st.principal_service.as_deref() == Some(APIGATEWAY_PRINCIPAL)
        && st.action == INVOKE_ACTION
        && st.source_arn.as_deref() == Some(source_arn)
        && (st.resource == function || st.resource.is_empty())
}

/// Whether a statement grants API Gateway the invocation of `function` from every source
/// `source_arn` names: the same principal, effect and action, and a condition whose
/// `ArnLike` pattern (`*` any characters, `?` one) matches `source_arn` as written (its `*`
/// taken literally), or no source condition at all. An API-wide `.../{api-id}/*` is matched
/// as the route ARNs it stands for, `.../{api-id}/{stage}/{method}/{path}`: the console's
/// and SAM's `.../{api-id}/*/*` cover it too.
pub fn statement_covers(st: &PolicyStatement, function: &str, source_arn: &str) -> bool {
    let routes = match source_arn.strip_suffix("/*") {
        Some(api) if !api.contains("/authorizers/") => format!("{api}/*/*/*"),
        _ => source_arn.to_string(),
    };
    let source_arn = routes.as_str();
    st.effect.eq_ignore_ascii_case("allow")
        && st.principal_service.as_deref() == Some(APIGATEWAY_PRINCIPAL)
        && (st.action == INVOKE_ACTION || st.action == "lambda:*")
        && (st.resource == function || st.resource.is_empty())
        && st
            .source_arn
            .as_deref()
            .is_none_or(|pattern| arn_like(pattern.as_bytes(), source_arn.as_bytes()))
}

/// IAM's `ArnLike` wildcard match of `text` against `pattern`.
fn arn_like(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == b'*')
}

/// The permission changes that bring `policies` to `desired` for the API `api_id` (`None`
/// when the API is created in this run: every statement is added, with placeholders the
/// executor fills in). `authorizer_ids` maps authorizer names to ids (authorizers created in
/// this run are missing: their statements keep the placeholder).
pub fn permission_changes(
    desired: &[DesiredPermission],
    policies: &Policies,
    api_id: Option<&str>,
    authorizer_ids: &BTreeMap<String, String>,
) -> Vec<(Change, Vec<PermissionOp>)> {
    let mut out = Vec::new();
    for perm in desired {
        let existing = policies.get(&perm.function).cloned().unwrap_or_default();
        let add = |statement_id: String, source_arn: String| PermissionOp::Add {
            function: perm.function.clone(),
            function_key: perm.function_key.clone(),
            statement_id,
            source_arn,
        };
        let resolved = api_id.and_then(|id| perm.resolve(id, authorizer_ids));
        if let Some((sid, _)) = &resolved {
            // The same statement id twice can only come from a service that accepted a
            // duplicate (emulators do; AWS refuses): remove the extras.
            let copies = existing.iter().filter(|s| s.sid == *sid).count();
            for _ in 1..copies {
                out.push((
                    Change::new(
                        Action::Delete,
                        "permission",
                        &format!("{} ({sid}, duplicate)", perm.function_key),
                    ),
                    vec![PermissionOp::Remove {
                        function: perm.function.clone(),
                        function_key: perm.function_key.clone(),
                        statement_id: sid.clone(),
                    }],
                ));
            }
        }
        match resolved {
            Some((sid, source)) => match existing.iter().find(|s| s.sid == sid) {
                Some(st) if statement_matches(st, &perm.function, &source) => {}
                Some(_) => out.push((
                    Change::new(
                        Action::Replace,
                        "permission",
                        &format!("{} ({sid})", perm.function_key),
                    ),
                    vec![
                        PermissionOp::Remove {
                            function: perm.function.clone(),
                            function_key: perm.function_key.clone(),
                            statement_id: sid.clone(),
                        },
                        add(sid, source),
                    ],
                )),
                // Another statement (made by hand, by SAM, by the console) that grants at
                // least as much: nothing to add (an adopted api keeps working as it is).
                None if existing
                    .iter()
                    .any(|st| statement_covers(st, &perm.function, &source)) => {}
                None => out.push((
                    Change::new(
                        Action::Create,
                        "permission",
                        &format!("{} ({sid})", perm.function_key),
                    ),
                    vec![add(sid, source)],
                )),
            },
            None => out.push((
                Change::new(Action::Create, "permission", &perm.function_key),
                vec![add(perm.statement_id.clone(), perm.source_arn.clone())],
            )),
        }
    }
    // Statements gwctl added for this API on functions the spec no longer uses.
    if let Some(id) = api_id {
        let prefix = format!("gwctl-{id}-");
        let wanted: BTreeSet<(String, String)> = desired
            .iter()
            .filter_map(|d| {
                d.resolve(id, authorizer_ids)
                    .map(|(sid, _)| (d.function.clone(), sid))
            })
            .collect();
        for (function, statements) in policies {
            for st in statements {
                if st.sid.starts_with(&prefix)
                    && !wanted.contains(&(function.clone(), st.sid.clone()))
                    && !desired.iter().any(|d| {
                        d.function == *function && d.statement_id.replace(API_ID, id) == st.sid
                    })
                {
                    out.push((
                        Change::new(
                            Action::Delete,
                            "permission",
                            &format!("{} ({})", function_name(function), st.sid),
                        ),
                        vec![PermissionOp::Remove {
                            function: function.clone(),
                            function_key: function_name(function),
                            statement_id: st.sid.clone(),
                        }],
                    ));
                }
            }
        }
    }
    out
}

/// `gwctl destroy`: remove every statement gwctl added for the API `api_id` (statement id
/// prefix `gwctl-{api_id}-`) on the functions in `policies`, nothing else, first (so a failure
/// leaves nothing gwctl added behind an API that is gone); then `delete_api`, the change of
/// kind `kind` (`rest_api`, `http_api`) named `{name} ({api_id})`.
pub fn plan_destroy<O: From<PermissionOp>>(
    api_id: &str,
    name: &str,
    kind: &str,
    policies: &Policies,
    delete_api: O,
) -> Plan<O> {
    let prefix = format!("gwctl-{api_id}-");
    let mut p = Plan::default();
    for (function, statements) in policies {
        let short = function_name(function);
        for st in statements.iter().filter(|s| s.sid.starts_with(&prefix)) {
            p.push(
                Change::new(
                    Action::Delete,
                    "permission",
                    &format!("{short} ({})", st.sid),
                ),
                O::from(PermissionOp::Remove {
                    function: function.clone(),
                    function_key: short.clone(),
                    statement_id: st.sid.clone(),
                }),
            );
        }
    }
    p.push(
        Change::new(Action::Delete, kind, &format!("{name} ({api_id})")),
        delete_api,
    );
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broader_statement_of_any_id_covers_the_api() {
        let f = "arn:aws:lambda:us-east-1:1:function:f";
        let want = "arn:aws:execute-api:us-east-1:1:abc/*";
        let st = |source: Option<&str>| PolicyStatement {
            sid: "console-made".into(),
            effect: "Allow".into(),
            principal_service: Some(APIGATEWAY_PRINCIPAL.into()),
            action: INVOKE_ACTION.into(),
            resource: f.into(),
            source_arn: source.map(str::to_string),
        };
        assert!(statement_covers(&st(Some(want)), f, want));
        assert!(statement_covers(
            &st(Some("arn:aws:execute-api:us-east-1:1:*")),
            f,
            want
        ));
        assert!(statement_covers(&st(None), f, want));
        assert!(statement_covers(
            &st(Some("arn:aws:execute-api:us-east-1:1:abc/*/*")),
            f,
            want
        ));
        assert!(!statement_covers(
            &st(Some("arn:aws:execute-api:us-east-1:1:abc/*/GET/*")),
            f,
            want
        ));
        assert!(!statement_covers(
            &st(Some("arn:aws:execute-api:us-east-1:1:abc/prod/GET/x")),
            f,
            want
        ));
        assert!(!statement_covers(
            &st(Some("arn:aws:execute-api:us-east-1:1:other/*")),
            f,
            want
        ));
        assert!(!statement_covers(
            &st(Some(want)),
            "arn:aws:lambda:us-east-1:1:function:g",
            want
        ));
        let mut deny = st(Some(want));
        deny.effect = "Deny".into();
        assert!(!statement_covers(&deny, f, want));
        assert!(arn_like(b"a?c*", b"abcdef") && !arn_like(b"a?c", b"abcd"));
    }

    #[test]
    fn no_statement_is_added_when_another_already_grants_the_api() {
        let perm = DesiredPermission {
            function_key: "f".into(),
            function: "arn:aws:lambda:us-east-1:1:function:f".into(),
            statement_id: format!("gwctl-{API_ID}-f"),
            source_arn: format!("arn:aws:execute-api:us-east-1:1:{API_ID}/*"),
        };
        let granted = PolicyStatement {
            sid: "sam-made".into(),
            effect: "Allow".into(),
            principal_service: Some(APIGATEWAY_PRINCIPAL.into()),
            action: INVOKE_ACTION.into(),
            resource: perm.function.clone(),
            source_arn: Some("arn:aws:execute-api:us-east-1:1:abc/*".into()),
        };
        let policies = BTreeMap::from([(perm.function.clone(), vec![granted])]);
        let none = BTreeMap::new();
        assert!(
            permission_changes(std::slice::from_ref(&perm), &policies, Some("abc"), &none)
                .is_empty()
        );
        assert_eq!(
            permission_changes(&[perm], &policies, Some("xyz"), &none).len(),
            1,
            "another api's grant does not count"
        );
    }
}
