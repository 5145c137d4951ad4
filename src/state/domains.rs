//! Custom domain names and their mappings (issue 18 item 1), in the shapes the domain
//! planner (`plan::domains`) diffs. A domain name is an account-level object that several
//! APIs (and several specs) may map base paths of; gwctl owns only the mappings to its own
//! API, and the domain itself only when it created it (ownership tag).
//!
//! Read by `aws::read::domains`, desired from the spec's `domains:` by
//! `plan::domains::desired`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The tag gwctl puts on a domain name it created when it keeps the domain's alias records
/// (`dns:`): the Route 53 hosted zone that holds them, so that the records can be found and
/// deleted once the spec no longer names the zone or the domain. Never put on a domain
/// gwctl did not create.
pub const DNS_ZONE_TAG_KEY: &str = "gwctl:dns-zone";

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
    /// `dns: {hosted_zone_id}`: the Route 53 hosted zone where gwctl keeps the domain's A
    /// and AAAA alias records; `None`: undeclared, no record is read or changed.
    #[serde(default)]
    pub dns_zone: Option<String>,
}

/// One Route 53 record set of a domain's exact name (type A or AAAA), as the zone holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsRecord {
    /// `A` or `AAAA`.
    pub rtype: String,
    /// The alias target (name as Route 53 returns it, and its hosted zone); `None` for a
    /// record with values.
    #[serde(default)]
    pub alias: Option<DnsTarget>,
    #[serde(default)]
    pub evaluate_target_health: bool,
    /// The values of a record that is not an alias.
    #[serde(default)]
    pub values: Vec<String>,
    /// Weighted, latency and other routing policies' record id: such a record is never
    /// gwctl's.
    #[serde(default)]
    pub set_identifier: Option<String>,
}

/// The A and AAAA records of the domain `domain` in the hosted zone `zone` its `dns:`
/// names (read only for domains that declare `dns:`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ObservedDns {
    pub domain: String,
    pub zone: String,
    pub records: Vec<DnsRecord>,
}

/// What is read for a spec's `domains:`: the domain names, and the alias records of those
/// that declare `dns:`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ObservedDomains {
    pub domains: Vec<ObservedDomain>,
    #[serde(default)]
    pub dns: Vec<ObservedDns>,
}

/// A DNS name as Route 53 and API Gateway may write it, for comparison: lower case,
/// without the trailing dot, `\052` (Route 53's escape) as `*`.
pub fn dns_name_key(s: &str) -> String {
    s.trim_end_matches('.')
        .to_ascii_lowercase()
        .replace("\\052", "*")
}

impl DnsTarget {
    /// Whether the alias `alias` points at this target.
    pub fn is(&self, alias: &DnsTarget) -> bool {
        dns_name_key(&self.name) == dns_name_key(&alias.name)
            && self.hosted_zone_id == alias.hosted_zone_id
    }
}
