//! Amazon Resource Names: the one parser every layer uses to read or check an ARN (the spec
//! reader for what a user writes, the AWS reader for what the services return, the planner
//! for labels and partitions).
//!
//! `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, where RESOURCE may itself contain `:`
//! (`function:NAME:QUALIFIER`, `log-group:NAME:*`) or `/` (`role/PATH/NAME`).
//!
//! Two levels of checking: [`Arn::parse`] and [`FunctionArn::parse`] read the *structure*
//! (what the services return is trusted for the shapes of its region and account);
//! [`Arn::ids_are_valid`] and [`FunctionArn::is_valid`] also check that the region is a
//! region, the account twelve digits and the names AWS's character sets, which is what a
//! spec must satisfy before any call is made.

use std::fmt;

/// An ARN split into its fields (borrowed from the input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    pub partition: &'a str,
    pub service: &'a str,
    /// Empty for global services (IAM).
    pub region: &'a str,
    /// Empty for some resources (S3 buckets).
    pub account: &'a str,
    /// Everything after the fifth `:`.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// The fields of `s` when it has the structure of an ARN: the `arn` prefix, a partition,
    /// a service, region and account fields (either may be empty) and a non-empty resource.
    pub fn parse(s: &'a str) -> Option<Arn<'a>> {
        let mut p = s.splitn(6, ':');
        if p.next()? != "arn" {
            return None;
        }
        let (partition, service, region, account, resource) =
            (p.next()?, p.next()?, p.next()?, p.next()?, p.next()?);
        let service_ok = !service.is_empty()
            && service
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        (is_partition(partition) && service_ok && !resource.is_empty()).then_some(Arn {
            partition,
            service,
            region,
            account,
            resource,
        })
    }

    /// Whether the region is empty or a region, and the account empty or twelve digits.
    pub fn ids_are_valid(&self) -> bool {
        (self.region.is_empty() || is_region(self.region))
            && (self.account.is_empty() || is_account(self.account))
    }
}

/// What a Lambda qualifier names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QualifierKind {
    /// `$LATEST`
    Latest,
    /// A published version: digits only.
    Version,
    /// An alias: letters, digits, `-` and `_`, not digits only (that is a version).
    Alias,
}

/// `arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub name: String,
    pub qualifier: Option<String>,
}

impl FunctionArn {
    /// A Lambda function ARN, qualified or not: service `lambda`, a region and an account,
    /// resource `function:NAME` or `function:NAME:QUALIFIER` with a well-formed qualifier
    /// (see [`is_qualifier`]). Any other ARN, or anything that is not an ARN, is `None`.
    pub fn parse(s: &str) -> Option<FunctionArn> {
        let a = Arn::parse(s)?;
        if a.service != "lambda" || a.region.is_empty() || a.account.is_empty() {
            return None;
        }
        let rest = a.resource.strip_prefix("function:")?;
        let (name, qualifier) = match rest.split_once(':') {
            Some((n, q)) => (n, Some(q)),
            None => (rest, None),
        };
        if name.is_empty() || name.contains('/') || qualifier.is_some_and(|q| !is_qualifier(q)) {
            return None;
        }
        Some(FunctionArn {
            partition: a.partition.to_string(),
            region: a.region.to_string(),
            account: a.account.to_string(),
            name: name.to_string(),
            qualifier: qualifier.map(str::to_string),
        })
    }

    /// Whether a spec may name this function: the region is a region, the account twelve
    /// digits, the name 1-64 letters, digits, `-` and `_`.
    pub fn is_valid(&self) -> bool {
        is_region(&self.region) && is_account(&self.account) && is_function_name(&self.name)
    }

    /// The ARN without its qualifier.
    pub fn unqualified(&self) -> String {
        format!(
            "arn:{}:lambda:{}:{}:function:{}",
            self.partition, self.region, self.account, self.name
        )
    }

    /// `NAME` or `NAME:QUALIFIER` (labels and plan output).
    pub fn short(&self) -> String {
        match &self.qualifier {
            Some(q) => format!("{}:{q}", self.name),
            None => self.name.clone(),
        }
    }

    pub fn qualifier_kind(&self) -> Option<QualifierKind> {
        self.qualifier.as_deref().map(qualifier_kind)
    }
}

impl fmt::Display for FunctionArn {
    /// The ARN as AWS writes it, with its qualifier when there is one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.unqualified())?;
        if let Some(q) = &self.qualifier {
            write!(f, ":{q}")?;
        }
        Ok(())
    }
}

/// Split a possibly qualified Lambda function ARN into (unqualified ARN, qualifier).
/// Anything that is not a function ARN (a plain name, another service's ARN) is returned
/// unchanged, with no qualifier.
pub fn split_qualifier(s: &str) -> (String, Option<String>) {
    match FunctionArn::parse(s) {
        Some(f) => (f.unqualified(), f.qualifier),
        None => (s.to_string(), None),
    }
}

/// The partition of an ARN (`aws` when `s` is not one).
pub fn partition_of(s: &str) -> &str {
    Arn::parse(s).map_or("aws", |a| a.partition)
}

/// `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn {
    pub partition: String,
    pub account: String,
    /// `/` or `/PATH/` (e.g. `/service-role/`), as IAM writes it.
    pub path: String,
    pub name: String,
}

impl RoleArn {
    /// An IAM role ARN: no region, a twelve-digit account, and a role name (with an optional
    /// path) in IAM's character set `[A-Za-z0-9+=,.@_-]`.
    pub fn parse(s: &str) -> Option<RoleArn> {
        let a = Arn::parse(s)?;
        if a.service != "iam" || !a.region.is_empty() || !is_account(a.account) {
            return None;
        }
        let r = a.resource.strip_prefix("role/")?;
        let ok = |seg: &str| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
        };
        // Every segment of `[PATH/]NAME` is non-empty: `role//x` and `role/path/` are not roles.
        if !r.split('/').all(ok) {
            return None;
        }
        let (path, name) = r.rsplit_once('/').unwrap_or(("", r));
        Some(RoleArn {
            partition: a.partition.to_string(),
            account: a.account.to_string(),
            path: if path.is_empty() {
                "/".to_string()
            } else {
                format!("/{path}/")
            },
            name: name.to_string(),
        })
    }
}

/// Whether `s` is an IAM role ARN (see [`RoleArn::parse`]).
pub fn is_role_arn(s: &str) -> bool {
    RoleArn::parse(s).is_some()
}

/// `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]` as a spec may write it →
/// (unqualified ARN, qualifier).
pub(crate) fn parse_lambda_arn(s: &str) -> Option<(String, Option<String>)> {
    FunctionArn::parse(s)
        .filter(FunctionArn::is_valid)
        .map(|f| (f.unqualified(), f.qualifier))
}

/// An ARN of `service` whose region and account are well formed (and present).
fn regional<'a>(s: &'a str, service: &str) -> Option<Arn<'a>> {
    Arn::parse(s).filter(|a| {
        a.service == service && is_region(a.region) && is_account(a.account) && a.ids_are_valid()
    })
}

/// `arn:aws:cognito-idp:REGION:ACCOUNT:userpool/REGION_ID`
pub(crate) fn is_user_pool_arn(s: &str) -> bool {
    regional(s, "cognito-idp").is_some_and(|a| {
        a.resource.strip_prefix("userpool/").is_some_and(|id| {
            id.split_once('_').is_some_and(|(r, rest)| {
                is_region(r) && !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric())
            })
        })
    })
}

/// `arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]`
pub(crate) fn is_log_group_arn(s: &str) -> bool {
    regional(s, "logs").is_some_and(|a| {
        let Some(rest) = a.resource.strip_prefix("log-group:") else {
            return false;
        };
        let name = rest.strip_suffix(":*").unwrap_or(rest);
        (1..=512).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-/#".contains(c))
    })
}

/// `arn:aws:firehose:REGION:ACCOUNT:deliverystream/amazon-apigateway-NAME` (REST access logs).
pub(crate) fn is_firehose_arn(s: &str) -> bool {
    regional(s, "firehose")
        .is_some_and(|a| a.resource.starts_with("deliverystream/") && !a.resource.contains(':'))
}

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

/// `$LATEST`, a version (digits) or an alias: 1-128 letters, digits, `-` and `_`.
pub(crate) fn is_qualifier(s: &str) -> bool {
    s == "$LATEST"
        || ((1..=128).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
}

/// What a well-formed qualifier names (see [`is_qualifier`]).
pub fn qualifier_kind(q: &str) -> QualifierKind {
    if q == "$LATEST" {
        QualifierKind::Latest
    } else if q.chars().all(|c| c.is_ascii_digit()) {
        QualifierKind::Version
    } else {
        QualifierKind::Alias
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: &str = "arn:aws:lambda:us-east-1:123456789012:function:todo-get";

    #[test]
    fn arns_split_into_their_five_fields() {
        let a = Arn::parse("arn:aws:execute-api:eu-west-1:123456789012:abc123/*/GET/x").unwrap();
        assert_eq!(
            (a.partition, a.service, a.region, a.account, a.resource),
            (
                "aws",
                "execute-api",
                "eu-west-1",
                "123456789012",
                "abc123/*/GET/x"
            )
        );
        assert!(a.ids_are_valid());
        // The resource keeps its own colons.
        let a = Arn::parse("arn:aws:logs:us-east-1:123456789012:log-group:/a/b:*").unwrap();
        assert_eq!(a.resource, "log-group:/a/b:*");
        // Global services have no region, S3 no account either.
        let a = Arn::parse("arn:aws:s3:::bucket/key").unwrap();
        assert_eq!((a.region, a.account, a.resource), ("", "", "bucket/key"));
        assert!(a.ids_are_valid());
        // Structure only: odd ids parse, and are not valid ids.
        let a = Arn::parse("arn:aws:lambda:r:a:function:f").unwrap();
        assert!(!a.ids_are_valid());
    }

    #[test]
    fn every_partition_is_read() {
        for (arn, partition, region) in [
            (F, "aws", "us-east-1"),
            (
                "arn:aws-cn:lambda:cn-north-1:123456789012:function:todo-get",
                "aws-cn",
                "cn-north-1",
            ),
            (
                "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:todo-get",
                "aws-us-gov",
                "us-gov-west-1",
            ),
        ] {
            let f = FunctionArn::parse(arn).unwrap_or_else(|| panic!("{arn}"));
            assert_eq!(
                (f.partition.as_str(), f.region.as_str()),
                (partition, region)
            );
            assert_eq!(f.name, "todo-get");
            assert!(f.is_valid(), "{arn}");
            assert_eq!(f.to_string(), arn);
            assert_eq!(partition_of(arn), partition);
        }
        assert_eq!(partition_of("todo-get"), "aws");
    }

    #[test]
    fn qualifiers_are_versions_aliases_or_latest() {
        for (q, kind) in [
            ("live", QualifierKind::Alias),
            ("blue_2-a", QualifierKind::Alias),
            ("7", QualifierKind::Version),
            ("$LATEST", QualifierKind::Latest),
        ] {
            let arn = format!("{F}:{q}");
            let f = FunctionArn::parse(&arn).unwrap_or_else(|| panic!("{arn}"));
            assert_eq!(f.qualifier.as_deref(), Some(q));
            assert_eq!(f.qualifier_kind(), Some(kind), "{q}");
            assert_eq!(f.unqualified(), F);
            assert_eq!(f.to_string(), arn);
            assert_eq!(f.short(), format!("todo-get:{q}"));
            assert_eq!(split_qualifier(&arn), (F.to_string(), Some(q.to_string())));
            assert_eq!(
                parse_lambda_arn(&arn),
                Some((F.to_string(), Some(q.to_string())))
            );
        }
        let f = FunctionArn::parse(F).unwrap();
        assert_eq!((f.qualifier.clone(), f.qualifier_kind()), (None, None));
        assert_eq!(f.short(), "todo-get");
        assert_eq!(parse_lambda_arn(F), Some((F.to_string(), None)));
    }

    #[test]
    fn what_is_not_a_function_arn_is_refused() {
        for bad in [
            "",
            "todo-get",
            "todo-get:live",
            "arn:aws:lambda:us-east-1:123456789012:function",
            "arn:aws:lambda:us-east-1:123456789012:function:",
            "arn:aws:lambda:us-east-1:123456789012:function::live",
            "arn:aws:lambda:us-east-1:123456789012:layer:x:1",
            "arn:aws:lambda:us-east-1:123456789012:function:f:live:extra",
            "arn:aws:lambda:us-east-1:123456789012:function:f:",
            "arn:aws:lambda:us-east-1:123456789012:function:f:bad.alias",
            "arn:aws:lambda::123456789012:function:f",
            "arn:aws:lambda:us-east-1::function:f",
            "arn:aws:states:us-east-1:123456789012:execution:machine:run",
            "arn:aws:iam::123456789012:role/function:f",
            "arn::lambda:us-east-1:123456789012:function:f",
            "arn:aws-:lambda:us-east-1:123456789012:function:f",
            "arn:azure:lambda:us-east-1:123456789012:function:f",
            "ARN:aws:lambda:us-east-1:123456789012:function:f",
            "urn:aws:lambda:us-east-1:123456789012:function:f",
        ] {
            assert_eq!(FunctionArn::parse(bad), None, "{bad:?}");
            assert_eq!(parse_lambda_arn(bad), None, "{bad:?}");
            // Not a function ARN: returned unchanged, no qualifier (an 8-part ARN of another
            // service is not split).
            assert_eq!(split_qualifier(bad), (bad.to_string(), None), "{bad:?}");
        }
    }

    #[test]
    fn a_spec_needs_well_formed_ids_and_names() {
        for structural_only in [
            "arn:aws:lambda:r:a:function:f",
            "arn:aws:lambda:us-east-1:1234:function:f",
            "arn:aws:lambda:useast1:123456789012:function:f",
            "arn:aws:lambda:us-east-1:123456789012:function:has.dot",
            &format!(
                "arn:aws:lambda:us-east-1:123456789012:function:{}",
                "n".repeat(65)
            ),
        ] {
            let f = FunctionArn::parse(structural_only).unwrap();
            assert!(!f.is_valid(), "{structural_only}");
            assert_eq!(parse_lambda_arn(structural_only), None, "{structural_only}");
        }
        // What AWS returns is split even with ids a test double made up.
        assert_eq!(
            split_qualifier("arn:aws:lambda:r:a:function:f:live"),
            (
                "arn:aws:lambda:r:a:function:f".to_string(),
                Some("live".to_string())
            )
        );
    }

    #[test]
    fn roles_have_a_path_and_a_name() {
        let r = RoleArn::parse("arn:aws:iam::123456789012:role/apigw-cloudwatch").unwrap();
        assert_eq!(
            (r.path.as_str(), r.name.as_str()),
            ("/", "apigw-cloudwatch")
        );
        let r = RoleArn::parse("arn:aws-cn:iam::123456789012:role/service-role/a/apigw+=,.@_-")
            .unwrap();
        assert_eq!(
            (r.partition.as_str(), r.path.as_str(), r.name.as_str()),
            ("aws-cn", "/service-role/a/", "apigw+=,.@_-")
        );
        assert!(is_role_arn("arn:aws-us-gov:iam::123456789012:role/x"));
        for bad in [
            "apigw-cloudwatch",
            "arn:aws:iam::123456789012:user/bob",
            "arn:aws:iam::1234:role/x",
            "arn:aws:iam:us-east-1:123456789012:role/x",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/path/",
            "arn:aws:iam::123456789012:role//x",
            "arn:aws:iam::123456789012:role/a b",
            "arn:aws:iam::123456789012:role/a:b",
            "arn:aws:sts::123456789012:role/x",
        ] {
            assert!(!is_role_arn(bad), "{bad}");
        }
    }

    #[test]
    fn other_services_arns() {
        assert!(is_user_pool_arn(
            "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123"
        ));
        assert!(!is_user_pool_arn(
            "arn:aws:cognito-idp:us-east-1:123456789012:userpool/AbC123"
        ));
        assert!(!is_user_pool_arn(
            "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_A:b"
        ));
        assert!(is_log_group_arn(
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/api#1"
        ));
        assert!(is_log_group_arn(
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/api:*"
        ));
        assert!(!is_log_group_arn(
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/api:x"
        ));
        assert!(!is_log_group_arn(
            "arn:aws:logs:us-east-1:123456789012:log-group:"
        ));
        assert!(is_firehose_arn(
            "arn:aws:firehose:us-east-1:123456789012:deliverystream/amazon-apigateway-x"
        ));
        assert!(!is_firehose_arn(
            "arn:aws:firehose:us-east-1:1234:deliverystream/amazon-apigateway-x"
        ));
    }
}
