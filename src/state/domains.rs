//! Custom domain names and their mappings (issue 18 item 1), in the shapes the domain
//! planner (`plan::domains`) diffs. A domain name is an account-level object that several
//! APIs (and several specs) may map base paths of; gwctl owns only the mappings to its own
//! API, and the domain itself only when it created it (ownership tag).
//!
//! Read by `aws::read::domains`, desired from the spec's `domains:` by
//! `plan::domains::desired`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One mapping of a base path of a domain to an API's stage. `base_path` `""` is the root
/// (REST's `(none)`, HTTP's empty API mapping key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub base_path: String,
    pub api_id: String,
    pub stage: String,
}

/// A domain name as the account holds it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ObservedDomain {
    pub name: String,
    /// REGIONAL | EDGE
    pub endpoint: String,
    pub certificate_arn: Option<String>,
    pub security_policy: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Every mapping of the domain, whichever API it maps to.
    pub mappings: Vec<Mapping>,
    /// Where DNS must point for the domain to reach API Gateway.
    #[serde(default)]
    pub target: Option<DnsTarget>,
    /// Mutual TLS: the truststore the domain checks client certificates against.
    #[serde(default)]
    pub mtls: Option<Mtls>,
}

/// A domain's mutual TLS truststore: an S3 object (`s3://bucket/key`) and, when pinned,
/// its S3 object version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mtls {
    pub truststore_uri: String,
    #[serde(default)]
    pub truststore_version: Option<String>,
}

/// The name and Route 53 hosted zone an alias record for a domain points at: the regional
/// domain name of a regional domain, the CloudFront distribution of an edge one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsTarget {
    pub name: String,
    pub hosted_zone_id: String,
}

/// A domain name the spec declares for its API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesiredDomain {
    pub name: String,
    /// REGIONAL | EDGE
    pub endpoint: String,
    pub certificate_arn: String,
    pub security_policy: String,
    /// Base path -> stage of the spec's API.
    pub mappings: BTreeMap<String, String>,
    /// `mtls:`; `None`: undeclared, the live setting stays as it is.
    #[serde(default)]
    pub mtls: Option<Mtls>,
}
