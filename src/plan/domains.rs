//! Custom domain names (issue 18 item 1): the pure rules of what gwctl does with a domain
//! several specs may share. No SDK, no I/O.
//!
//! - gwctl owns the mappings to its own API, and only those: a base path another API maps
//!   is never changed or removed (a spec that wants it is refused), and the other APIs'
//!   mappings stay as they are whatever gwctl does to its own.
//! - gwctl creates a domain name the account lacks, tagged with its ownership tag; it changes
//!   a domain's settings (certificate, security policy) only when it created it, and deletes
//!   it only when it created it and no other mapping remains once its own are gone. A domain
//!   made by hand or by another tool only ever gets mappings added and removed.
//!
//! The spec key is `domains:` ([`desired`]); the reader is `aws::read::domains`, the
//! executor `aws::exec::domains`; each kind carries these ops in its own op type (REST
//! `Op::Domain`, HTTP `HttpOp::Domain`) and the engine plans them after the API's own ops
//! (`engine::domains`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::patch::Patch;
use super::{Action, Change, FieldChange};
use crate::state::domains::{
    DesiredDomain, DnsRecord, DnsTarget, Mtls, ObservedDns, ObservedDomain, DNS_ZONE_TAG_KEY,
};
use crate::state::{OWNER_TAG_KEY, OWNER_TAG_VALUE};

/// One call on a domain name or one of its mappings. The API a mapping points at is always
/// the spec's own (its id is known to the executor, or created in the same run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "domain_op", rename_all = "snake_case", deny_unknown_fields)]
pub enum DomainOp {
    /// create-domain-name with gwctl's ownership tag (1 call per 30 s per account).
    CreateDomainName {
        name: String,
        endpoint: String,
        certificate_arn: String,
        security_policy: String,
        tags: BTreeMap<String, String>,
        /// mutualTlsAuthentication (`mtls:`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mtls: Option<Mtls>,
    },
    /// update-domain-name (certificate, security policy, mutual TLS truststore) of a
    /// domain gwctl created.
    UpdateDomainName {
        name: String,
        patches: Vec<Patch>,
    },
    /// delete-domain-name of a domain gwctl created, once no mapping remains.
    DeleteDomainName {
        name: String,
    },
    /// A base path mapping (REST) or API mapping (HTTP) to the spec's API.
    CreateMapping {
        domain: String,
        base_path: String,
        stage: String,
    },
    /// Move gwctl's own mapping to another stage.
    UpdateMapping {
        domain: String,
        base_path: String,
        stage: String,
    },
    DeleteMapping {
        domain: String,
        base_path: String,
    },
    /// change-resource-record-sets: UPSERT the alias records `types` (`A`, `AAAA`) of
    /// `domain` in the hosted zone `zone`, to the domain's DNS target (`None`: the domain is
    /// created in this run; its target is the one its create answered, read before the
    /// change only when that answer lacked it).
    UpsertAliases {
        domain: String,
        zone: String,
        types: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<DnsTarget>,
    },
    /// change-resource-record-sets: DELETE gwctl's alias records of `domain`, exactly as
    /// read (Route 53 deletes a record only when every value matches).
    DeleteAliases {
        domain: String,
        zone: String,
        records: Vec<DnsRecord>,
    },
    /// tag-resource on a domain gwctl created: `gwctl:dns-zone` = `zone`, the hosted zone
    /// of its alias records (added when `dns:` comes to an existing domain, or changes zone).
    TagDnsZone {
        domain: String,
        zone: String,
    },
    /// untag-resource on a domain gwctl created: remove `gwctl:dns-zone` once its alias
    /// records are gone (`dns:` removed from the spec).
    UntagDnsZone {
        domain: String,
    },
}

impl DomainOp {
    /// The AWS operation: REST's base path mappings (`v2` false) or apigatewayv2's API
    /// mappings.
    pub fn aws_name(&self, v2: bool) -> &'static str {
        match (self, v2) {
            (DomainOp::CreateDomainName { .. }, _) => "CreateDomainName",
            (DomainOp::UpdateDomainName { .. }, _) => "UpdateDomainName",
            (DomainOp::DeleteDomainName { .. }, _) => "DeleteDomainName",
            (DomainOp::CreateMapping { .. }, false) => "CreateBasePathMapping",
            (DomainOp::UpdateMapping { .. }, false) => "UpdateBasePathMapping",
            (DomainOp::DeleteMapping { .. }, false) => "DeleteBasePathMapping",
            (DomainOp::CreateMapping { .. }, true) => "CreateApiMapping",
            (DomainOp::UpdateMapping { .. }, true) => "UpdateApiMapping",
            (DomainOp::DeleteMapping { .. }, true) => "DeleteApiMapping",
            (DomainOp::UpsertAliases { .. } | DomainOp::DeleteAliases { .. }, _) => {
                "ChangeResourceRecordSets"
            }
            (DomainOp::TagDnsZone { .. }, _) => "TagResource",
            (DomainOp::UntagDnsZone { .. }, _) => "UntagResource",
        }
    }

    /// What the op acts on, for progress lines: `api.example.com` or
    /// `api.example.com/(root)`.
    pub fn target(&self) -> String {
        match self {
            DomainOp::CreateDomainName { name, .. }
            | DomainOp::UpdateDomainName { name, .. }
            | DomainOp::DeleteDomainName { name } => name.clone(),
            DomainOp::TagDnsZone { domain, .. } | DomainOp::UntagDnsZone { domain } => {
                domain.clone()
            }
            DomainOp::CreateMapping {
                domain, base_path, ..
            }
            | DomainOp::UpdateMapping {
                domain, base_path, ..
            }
            | DomainOp::DeleteMapping { domain, base_path } => {
                format!("{domain}/{}", shown_path(base_path))
            }
            DomainOp::UpsertAliases { domain, types, .. } => {
                format!("{domain} ({})", types.join(", "))
            }
            DomainOp::DeleteAliases {
                domain, records, ..
            } => {
                let types: Vec<&str> = records.iter().map(|r| r.rtype.as_str()).collect();
                format!("{domain} ({})", types.join(", "))
            }
        }
    }
}

/// The domains a spec declares (none without `domains:`).
pub fn desired(spec: &crate::spec::model::Spec) -> Vec<DesiredDomain> {
    spec.domains
        .iter()
        .flatten()
        .map(|d| DesiredDomain {
            name: d.name.value.clone(),
            endpoint: d.endpoint.clone(),
            certificate_arn: d.certificate.value.clone(),
            security_policy: d.security_policy.clone(),
            mappings: d
                .mappings
                .iter()
                .map(|(p, s)| (p.value.clone(), s.value.clone()))
                .collect(),
            mtls: d.mtls.as_ref().map(|(uri, version)| Mtls {
                truststore_uri: uri.value.clone(),
                truststore_version: version.clone(),
            }),
            dns_zone: d.dns_zone.as_ref().map(|z| z.value.clone()),
        })
        .collect()
}

/// The patch paths of a domain's mutual TLS truststore (update-domain-name).
pub const MTLS_URI_PATH: &str = "/mutualTlsAuthentication/truststoreUri";
pub const MTLS_VERSION_PATH: &str = "/mutualTlsAuthentication/truststoreVersion";

/// The patches and shown changes that make the live truststore `have` the declared `want`:
/// the URI, and the version when the spec pins one (an unpinned version is left as it is).
fn mtls_changes(have: Option<&Mtls>, want: &Mtls) -> (Vec<Patch>, Vec<FieldChange>) {
    let mut patches = Vec::new();
    let mut fields = Vec::new();
    let live_uri = have.map(|m| m.truststore_uri.clone());
    if live_uri.as_deref() != Some(want.truststore_uri.as_str()) {
        patches.push(Patch::replace(MTLS_URI_PATH, want.truststore_uri.clone()));
        fields.push(FieldChange::of(
            "mtls.truststore_uri",
            &live_uri,
            &Some(want.truststore_uri.clone()),
        ));
    }
    if let Some(v) = &want.truststore_version {
        let live_v = have.and_then(|m| m.truststore_version.clone());
        if live_v.as_deref() != Some(v.as_str()) {
            patches.push(Patch::replace(MTLS_VERSION_PATH, v.clone()));
            fields.push(FieldChange::of(
                "mtls.truststore_version",
                &live_v,
                &Some(v.clone()),
            ));
        }
    }
    (patches, fields)
}

/// Append `steps` to `plan`, each op wrapped in the kind's op type.
pub fn append<O>(
    plan: &mut super::Plan<O>,
    steps: Vec<(Change, DomainOp)>,
    wrap: impl Fn(DomainOp) -> O,
) {
    for (change, op) in steps {
        plan.push(change, wrap(op));
    }
}

/// Why a spec's domains cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("base path `{base_path}` of domain `{domain}` maps api `{api_id}`, not this api")]
    PathTaken {
        domain: String,
        base_path: String,
        api_id: String,
    },
    #[error("domain `{domain}` is {live}; gwctl does not change a domain's endpoint type")]
    EndpointChange { domain: String, live: String },
    #[error(
        "the {rtype} record of `{domain}` in hosted zone {zone} points at {points_at}, not at the domain's api gateway target"
    )]
    DnsRecordTaken {
        domain: String,
        zone: String,
        rtype: String,
        points_at: String,
    },
}

/// What the domain plan is: changes with their op, in order, and notes on what a domain
/// gwctl did not create keeps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DomainPlan {
    pub steps: Vec<(Change, DomainOp)>,
    pub notes: Vec<String>,
}

/// The record types of a domain's alias records: IPv4 and IPv6.
pub const ALIAS_TYPES: [&str; 2] = ["A", "AAAA"];

/// The Route 53 hosted zone of every CloudFront distribution: the alias target zone of an
/// edge domain.
pub const CLOUDFRONT_ZONE: &str = "Z2FDTNDATAQYW2";

/// What a record points at, for errors: `alias to NAME (zone Z…)` or its values.
fn points_at(r: &DnsRecord) -> String {
    match (&r.alias, &r.set_identifier) {
        (_, Some(id)) => format!("a routing-policy record (set `{id}`)"),
        (Some(a), None) => format!("an alias to {} (zone {})", a.name, a.hosted_zone_id),
        (None, None) => format!("the values {}", r.values.join(", ")),
    }
}

/// Whether `r` is an alias to `target` gwctl may keep (no routing policy).
fn is_ours(r: &DnsRecord, target: Option<&DnsTarget>) -> bool {
    r.set_identifier.is_none() && matches!((&r.alias, target), (Some(a), Some(t)) if t.is(a))
}

/// The alias records of the domains the spec names (`dns`: their records as read, in the
/// zone `dns:` names and in the zone a domain gwctl created is tagged with).
///
/// With `dns:`: an UPSERT of the types the zone lacks, after the domain's creation (ops come
/// after the domain plan's). A record that exists already must be an alias to the domain's
/// target (then nothing is done); one pointing anywhere else is an error naming it, never
/// overwritten (Route 53 records carry no tags: an alias to this domain's target is the
/// only sign a record is gwctl's).
///
/// On a domain gwctl created, the zone is also recorded in the tag `gwctl:dns-zone`: when
/// the tag names a zone the spec no longer does (`dns:` removed, or another zone), the
/// records there that still alias the target are deleted first, then the tag is removed or
/// changed, then the new zone's records are upserted; at every point the tag names every
/// zone where gwctl may have left records, so a run stopped anywhere converges. Records
/// there pointing elsewhere are left, with a note. A domain gwctl did not create is never
/// tagged: removing its `dns:` leaves its records.
pub fn plan_dns(
    desired: &[DesiredDomain],
    observed: &[ObservedDomain],
    dns: &[ObservedDns],
) -> Result<DomainPlan, DomainError> {
    let mut plan = DomainPlan::default();
    for want in desired {
        let have = observed.iter().find(|o| o.name == want.name);
        let target = have.and_then(|o| o.target.clone());
        let ours_domain = have.filter(|h| owned(h));
        let tagged = ours_domain.and_then(|h| h.tags.get(DNS_ZONE_TAG_KEY).cloned());
        if let (Some(h), Some(old)) = (ours_domain, &tagged) {
            if want.dns_zone.as_ref() != Some(old) {
                if let Some(d) = dns.iter().find(|d| d.domain == want.name && &d.zone == old) {
                    plan.steps.extend(release_records(h, d, &mut plan.notes));
                }
                if want.dns_zone.is_none() {
                    plan.steps.push((
                        dns_zone_tag_change(&want.name, Some(old), None),
                        DomainOp::UntagDnsZone {
                            domain: want.name.clone(),
                        },
                    ));
                }
            }
        }
        let Some(zone) = &want.dns_zone else {
            continue;
        };
        if ours_domain.is_some() && tagged.as_ref() != Some(zone) {
            plan.steps.push((
                dns_zone_tag_change(&want.name, tagged.as_deref(), Some(zone)),
                DomainOp::TagDnsZone {
                    domain: want.name.clone(),
                    zone: zone.clone(),
                },
            ));
        }
        let live: &[DnsRecord] = dns
            .iter()
            .find(|d| d.domain == want.name && &d.zone == zone)
            .map(|d| d.records.as_slice())
            .unwrap_or_default();
        let mut missing = Vec::new();
        for t in ALIAS_TYPES {
            let of_type: Vec<&DnsRecord> = live.iter().filter(|r| r.rtype == t).collect();
            if of_type.is_empty() {
                missing.push(t.to_string());
                continue;
            }
            if let Some(r) = of_type.iter().find(|r| !is_ours(r, target.as_ref())) {
                return Err(DomainError::DnsRecordTaken {
                    domain: want.name.clone(),
                    zone: zone.clone(),
                    rtype: t.into(),
                    points_at: points_at(r),
                });
            }
        }
        if !missing.is_empty() {
            plan.steps.push((
                Change::new(
                    Action::Create,
                    "dns_record",
                    &format!("{} ({})", want.name, missing.join(", ")),
                ),
                DomainOp::UpsertAliases {
                    domain: want.name.clone(),
                    zone: zone.clone(),
                    types: missing,
                    target,
                },
            ));
        }
    }
    Ok(plan)
}

/// The shown change of a domain's `gwctl:dns-zone` tag.
fn dns_zone_tag_change(domain: &str, old: Option<&str>, new: Option<&str>) -> Change {
    Change::new(Action::Update, "domain", domain).fields(vec![FieldChange::of(
        &format!("tags.{DNS_ZONE_TAG_KEY}"),
        &old.map(str::to_string),
        &new.map(str::to_string),
    )])
}

/// The DELETE of the records of `d` that still alias the target of the domain `have`
/// (`None`: none does); those pointing elsewhere are kept, each with a note.
fn release_records(
    have: &ObservedDomain,
    d: &ObservedDns,
    notes: &mut Vec<String>,
) -> Option<(Change, DomainOp)> {
    let (ours, others): (Vec<DnsRecord>, Vec<DnsRecord>) = d
        .records
        .iter()
        .cloned()
        .partition(|r| is_ours(r, have.target.as_ref()));
    for r in &others {
        notes.push(format!(
            "the {} record of `{}` in hosted zone {} points at {}, not at the domain: it stays",
            r.rtype,
            have.name,
            d.zone,
            points_at(r)
        ));
    }
    if ours.is_empty() {
        return None;
    }
    let types: Vec<&str> = ours.iter().map(|r| r.rtype.as_str()).collect();
    Some((
        Change::new(
            Action::Delete,
            "dns_record",
            &format!("{} ({})", have.name, types.join(", ")),
        ),
        DomainOp::DeleteAliases {
            domain: have.name.clone(),
            zone: d.zone.clone(),
            records: ours,
        },
    ))
}

/// `gwctl destroy`: DELETE the alias records (`dns`) of the domains that go with the API
/// `api_id` (gwctl created them and nothing else maps them), when they still point at the
/// domain's target; placed before the domains' deletion. Records pointing elsewhere, and
/// those of domains that stay, are kept.
pub fn plan_destroy_dns(
    observed: &[ObservedDomain],
    dns: &[ObservedDns],
    api_id: &str,
) -> Vec<(Change, DomainOp)> {
    let mut notes = Vec::new();
    observed
        .iter()
        .filter(|d| releases(d, Some(api_id)))
        .flat_map(|have| {
            dns.iter()
                .filter(|d| d.domain == have.name)
                .filter_map(|d| release_records(have, d, &mut notes))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The alias records of the domains the spec no longer names that the plan deletes (gwctl
/// created them, and the API `api_id`'s mappings were the last): those in the zone the
/// domain is tagged with (`gwctl:dns-zone`) that still alias its target, deleted before the
/// domain, as `destroy` does. Without the tag (a domain made before gwctl recorded zones)
/// the records stay.
pub fn plan_dropped_dns(
    desired: &[DesiredDomain],
    observed: &[ObservedDomain],
    dns: &[ObservedDns],
    api_id: Option<&str>,
) -> DomainPlan {
    let mut plan = DomainPlan::default();
    for have in observed {
        if desired.iter().any(|d| d.name == have.name) || !releases(have, api_id) {
            continue;
        }
        let Some(zone) = have.tags.get(DNS_ZONE_TAG_KEY) else {
            continue;
        };
        if let Some(d) = dns
            .iter()
            .find(|d| d.domain == have.name && &d.zone == zone)
        {
            plan.steps.extend(release_records(have, d, &mut plan.notes));
        }
    }
    plan
}

/// Whether releasing the API `api_id`'s mappings deletes the domain `have`: gwctl created
/// it, the API maps it, and nothing else does.
fn releases(have: &ObservedDomain, api_id: Option<&str>) -> bool {
    let ours = |api: &str| api_id == Some(api);
    owned(have)
        && have.mappings.iter().any(|m| ours(&m.api_id))
        && !have.mappings.iter().any(|m| !ours(&m.api_id))
}

/// Whether gwctl created the domain `d` (its ownership tag).
pub fn owned(d: &ObservedDomain) -> bool {
    d.tags.get(OWNER_TAG_KEY).map(String::as_str) == Some(OWNER_TAG_VALUE)
}

fn shown_path(base_path: &str) -> String {
    if base_path.is_empty() {
        "(root)".into()
    } else {
        base_path.to_string()
    }
}

fn mapping_change(action: Action, domain: &str, base_path: &str) -> Change {
    Change::new(
        action,
        "domain_mapping",
        &format!("{domain}/{}", shown_path(base_path)),
    )
}

/// The calls that make the account's domains (`observed`: every domain name that maps the
/// API `api_id`, plus those the spec names) what `desired` wants for the API `api_id`
/// (`None`: the API does not exist yet). Order: domains created and updated, mappings
/// created and moved, then mappings removed and domains deleted.
pub fn plan_domains(
    desired: &[DesiredDomain],
    observed: &[ObservedDomain],
    api_id: Option<&str>,
    tags: &BTreeMap<String, String>,
) -> Result<DomainPlan, DomainError> {
    let ours = |api: &str| api_id == Some(api);
    let mut plan = DomainPlan::default();
    let mut removals = Vec::new();
    for want in desired {
        let Some(have) = observed.iter().find(|o| o.name == want.name) else {
            let mut tags = tags.clone();
            tags.insert(OWNER_TAG_KEY.into(), OWNER_TAG_VALUE.into());
            // The zone of the alias records kept for it, recorded with the ownership tag.
            if let Some(zone) = &want.dns_zone {
                tags.insert(DNS_ZONE_TAG_KEY.into(), zone.clone());
            }
            plan.steps.push((
                Change::new(Action::Create, "domain", &want.name),
                DomainOp::CreateDomainName {
                    name: want.name.clone(),
                    endpoint: want.endpoint.clone(),
                    certificate_arn: want.certificate_arn.clone(),
                    security_policy: want.security_policy.clone(),
                    tags,
                    mtls: want.mtls.clone(),
                },
            ));
            for (base_path, stage) in &want.mappings {
                plan.steps.push((
                    mapping_change(Action::Create, &want.name, base_path),
                    DomainOp::CreateMapping {
                        domain: want.name.clone(),
                        base_path: base_path.clone(),
                        stage: stage.clone(),
                    },
                ));
            }
            continue;
        };
        if have.endpoint != want.endpoint {
            return Err(DomainError::EndpointChange {
                domain: want.name.clone(),
                live: have.endpoint.clone(),
            });
        }
        let cert_differs = have.certificate_arn.as_deref() != Some(&want.certificate_arn);
        let policy_differs = have.security_policy.as_deref() != Some(&want.security_policy);
        let (mtls_patches, mtls_fields) = match &want.mtls {
            Some(m) => mtls_changes(have.mtls.as_ref(), m),
            None => (Vec::new(), Vec::new()),
        };
        let mtls_differs = !mtls_patches.is_empty();
        if owned(have) && (cert_differs || policy_differs || mtls_differs) {
            let mut patches = Vec::new();
            let mut fields = Vec::new();
            if cert_differs {
                let path = if want.endpoint == "EDGE" {
                    "/certificateArn"
                } else {
                    "/regionalCertificateArn"
                };
                patches.push(Patch::replace(path, want.certificate_arn.clone()));
                fields.push(FieldChange::of(
                    "certificate",
                    &have.certificate_arn,
                    &Some(want.certificate_arn.clone()),
                ));
            }
            if policy_differs {
                patches.push(Patch::replace(
                    "/securityPolicy",
                    want.security_policy.clone(),
                ));
                fields.push(FieldChange::of(
                    "security_policy",
                    &have.security_policy,
                    &Some(want.security_policy.clone()),
                ));
            }
            patches.extend(mtls_patches);
            fields.extend(mtls_fields);
            plan.steps.push((
                Change::new(Action::Update, "domain", &want.name).fields(fields),
                DomainOp::UpdateDomainName {
                    name: want.name.clone(),
                    patches,
                },
            ));
        } else if cert_differs || policy_differs || mtls_differs {
            plan.notes.push(format!(
                "domain `{}` was not created by gwctl: its certificate, security policy and \
                 mutual tls stay as they are",
                want.name
            ));
        }
        for (base_path, stage) in &want.mappings {
            match have.mappings.iter().find(|m| &m.base_path == base_path) {
                None => plan.steps.push((
                    mapping_change(Action::Create, &want.name, base_path),
                    DomainOp::CreateMapping {
                        domain: want.name.clone(),
                        base_path: base_path.clone(),
                        stage: stage.clone(),
                    },
                )),
                Some(m) if !ours(&m.api_id) => {
                    return Err(DomainError::PathTaken {
                        domain: want.name.clone(),
                        base_path: shown_path(base_path),
                        api_id: m.api_id.clone(),
                    })
                }
                Some(m) if &m.stage != stage => plan.steps.push((
                    mapping_change(Action::Update, &want.name, base_path)
                        .fields(vec![FieldChange::of("stage", &m.stage, stage)]),
                    DomainOp::UpdateMapping {
                        domain: want.name.clone(),
                        base_path: base_path.clone(),
                        stage: stage.clone(),
                    },
                )),
                Some(_) => {}
            }
        }
        // gwctl's own mappings the spec no longer names; the domain stays (the spec names it).
        for m in &have.mappings {
            if ours(&m.api_id) && !want.mappings.contains_key(&m.base_path) {
                removals.push((
                    mapping_change(Action::Delete, &want.name, &m.base_path),
                    DomainOp::DeleteMapping {
                        domain: want.name.clone(),
                        base_path: m.base_path.clone(),
                    },
                ));
            }
        }
    }
    // Domains the spec no longer names: gwctl's mappings go, and the domain with them when
    // gwctl created it and nothing else maps it.
    for have in observed {
        if desired.iter().any(|d| d.name == have.name) {
            continue;
        }
        removals.extend(release(have, api_id));
    }
    plan.steps.extend(removals);
    Ok(plan)
}

/// `gwctl destroy`: the calls that remove the API `api_id`'s mappings from the domains in
/// `observed`, and the domains gwctl created that nothing else maps then.
pub fn plan_destroy_domains(observed: &[ObservedDomain], api_id: &str) -> Vec<(Change, DomainOp)> {
    observed
        .iter()
        .flat_map(|d| release(d, Some(api_id)))
        .collect()
}

fn release(have: &ObservedDomain, api_id: Option<&str>) -> Vec<(Change, DomainOp)> {
    let ours = |api: &str| api_id == Some(api);
    let mut out = Vec::new();
    for m in have.mappings.iter().filter(|m| ours(&m.api_id)) {
        out.push((
            mapping_change(Action::Delete, &have.name, &m.base_path),
            DomainOp::DeleteMapping {
                domain: have.name.clone(),
                base_path: m.base_path.clone(),
            },
        ));
    }
    let others = have.mappings.iter().any(|m| !ours(&m.api_id));
    if !out.is_empty() && owned(have) && !others {
        out.push((
            Change::new(Action::Delete, "domain", &have.name),
            DomainOp::DeleteDomainName {
                name: have.name.clone(),
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::domains::Mapping;

    const CERT: &str = "arn:aws:acm:eu-west-1:123456789012:certificate/abc";

    fn want(mappings: &[(&str, &str)]) -> DesiredDomain {
        DesiredDomain {
            name: "api.example.com".into(),
            endpoint: "REGIONAL".into(),
            certificate_arn: CERT.into(),
            security_policy: "TLS_1_2".into(),
            mappings: mappings
                .iter()
                .map(|(p, s)| (p.to_string(), s.to_string()))
                .collect(),
            mtls: None,
            dns_zone: None,
        }
    }

    fn live(owned: bool, mappings: &[(&str, &str, &str)]) -> ObservedDomain {
        ObservedDomain {
            name: "api.example.com".into(),
            endpoint: "REGIONAL".into(),
            certificate_arn: Some(CERT.into()),
            security_policy: Some("TLS_1_2".into()),
            tags: if owned {
                [(OWNER_TAG_KEY.to_string(), OWNER_TAG_VALUE.to_string())].into()
            } else {
                BTreeMap::new()
            },
            mappings: mappings
                .iter()
                .map(|(p, a, s)| Mapping {
                    base_path: p.to_string(),
                    api_id: a.to_string(),
                    stage: s.to_string(),
                })
                .collect(),
            target: None,
            mtls: None,
        }
    }

    fn ops(steps: &[(Change, DomainOp)]) -> Vec<DomainOp> {
        steps.iter().map(|(_, o)| o.clone()).collect()
    }

    /// A model of the account for the shared-domain scenario: apply `steps` for `api`.
    fn run(
        mut d: Option<ObservedDomain>,
        api: &str,
        steps: &[(Change, DomainOp)],
    ) -> Option<ObservedDomain> {
        for (_, op) in steps {
            match op {
                DomainOp::CreateDomainName {
                    name,
                    endpoint,
                    certificate_arn,
                    security_policy,
                    tags,
                    mtls,
                } => {
                    assert!(d.is_none(), "the domain exists");
                    d = Some(ObservedDomain {
                        name: name.clone(),
                        endpoint: endpoint.clone(),
                        certificate_arn: Some(certificate_arn.clone()),
                        security_policy: Some(security_policy.clone()),
                        tags: tags.clone(),
                        mappings: vec![],
                        target: None,
                        mtls: mtls.clone(),
                    });
                }
                DomainOp::CreateMapping {
                    base_path, stage, ..
                } => {
                    let dom = d.as_mut().expect("domain");
                    assert!(dom.mappings.iter().all(|m| &m.base_path != base_path));
                    dom.mappings.push(Mapping {
                        base_path: base_path.clone(),
                        api_id: api.into(),
                        stage: stage.clone(),
                    });
                }
                DomainOp::DeleteMapping { base_path, .. } => {
                    let dom = d.as_mut().expect("domain");
                    let before = dom.mappings.len();
                    dom.mappings.retain(|m| &m.base_path != base_path);
                    assert_eq!(dom.mappings.len() + 1, before);
                }
                DomainOp::DeleteDomainName { .. } => {
                    // AWS refuses to delete a domain that still has mappings.
                    assert!(d.as_ref().unwrap().mappings.is_empty(), "mappings remain");
                    d = None;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        d
    }

    #[test]
    fn a_new_domain_is_created_tagged_with_its_mappings() {
        let p = plan_domains(
            &[want(&[("", "prod"), ("v2", "v2")])],
            &[],
            None,
            &BTreeMap::new(),
        )
        .unwrap();
        let got = ops(&p.steps);
        assert!(matches!(&got[0], DomainOp::CreateDomainName { tags, .. }
            if tags.get(OWNER_TAG_KEY).map(String::as_str) == Some(OWNER_TAG_VALUE)));
        assert_eq!(got.len(), 3);
        assert_eq!(p.steps[1].0.name, "api.example.com/(root)");
    }

    #[test]
    fn a_domain_shared_by_two_specs_survives_destroying_either_and_the_other_mapping_stays() {
        for first in ["apiA", "apiB"] {
            let second = if first == "apiA" { "apiB" } else { "apiA" };
            let path = |api: &str| if api == "apiA" { "" } else { "v2" };
            // Spec A creates the domain and maps the root; spec B maps `v2` on it.
            let p = plan_domains(
                &[want(&[("", "prod")])],
                &[],
                Some("apiA"),
                &BTreeMap::new(),
            )
            .unwrap();
            let d = run(None, "apiA", &p.steps);
            let p = plan_domains(
                &[want(&[("v2", "v2")])],
                &[d.clone().unwrap()],
                Some("apiB"),
                &BTreeMap::new(),
            )
            .unwrap();
            assert_eq!(
                ops(&p.steps),
                vec![DomainOp::CreateMapping {
                    domain: "api.example.com".into(),
                    base_path: "v2".into(),
                    stage: "v2".into()
                }]
            );
            let d = run(d, "apiB", &p.steps);
            // Destroy one spec: only its mapping goes; the domain and the other mapping stay.
            let steps = plan_destroy_domains(&[d.clone().unwrap()], first);
            assert_eq!(
                ops(&steps),
                vec![DomainOp::DeleteMapping {
                    domain: "api.example.com".into(),
                    base_path: path(first).into()
                }]
            );
            let d = run(d, first, &steps).expect("the domain survives");
            assert_eq!(d.mappings.len(), 1);
            assert_eq!(d.mappings[0].api_id, second);
            assert_eq!(d.mappings[0].base_path, path(second));
            // Destroy the other: the domain gwctl created goes with the last mapping.
            let steps = plan_destroy_domains(std::slice::from_ref(&d), second);
            assert_eq!(steps.len(), 2);
            assert!(run(Some(d), second, &steps).is_none());
        }
    }

    #[test]
    fn a_domain_gwctl_did_not_create_gets_mappings_only_and_is_never_deleted() {
        let mut hand = live(false, &[("", "apiA", "prod")]);
        hand.security_policy = Some("TLS_1_0".into());
        let p = plan_domains(
            &[want(&[("", "prod")])],
            &[hand.clone()],
            Some("apiA"),
            &BTreeMap::new(),
        )
        .unwrap();
        assert!(p.steps.is_empty(), "{:?}", p.steps);
        assert_eq!(p.notes.len(), 1);
        let steps = plan_destroy_domains(&[hand], "apiA");
        assert_eq!(
            ops(&steps),
            vec![DomainOp::DeleteMapping {
                domain: "api.example.com".into(),
                base_path: "".into()
            }]
        );
    }

    #[test]
    fn drift_on_gwctls_domain_and_mapping_is_reverted() {
        let mut d = live(
            true,
            &[
                ("", "apiA", "old"),
                ("extra", "apiA", "prod"),
                ("b", "apiB", "x"),
            ],
        );
        d.certificate_arn = Some("arn:aws:acm:eu-west-1:123456789012:certificate/other".into());
        let p = plan_domains(
            &[want(&[("", "prod")])],
            &[d],
            Some("apiA"),
            &BTreeMap::new(),
        )
        .unwrap();
        let names: Vec<&str> = p
            .steps
            .iter()
            .map(|(_, o)| match o {
                DomainOp::UpdateDomainName { .. } => "update domain",
                DomainOp::UpdateMapping { .. } => "update mapping",
                DomainOp::DeleteMapping { .. } => "delete mapping",
                _ => "other",
            })
            .collect();
        assert_eq!(
            names,
            vec!["update domain", "update mapping", "delete mapping"]
        );
        // The other API's mapping `b` is untouched; gwctl's `extra` goes.
        assert!(
            matches!(&p.steps[2].1, DomainOp::DeleteMapping { base_path, .. } if base_path == "extra")
        );
        match &p.steps[0].1 {
            DomainOp::UpdateDomainName { patches, .. } => {
                assert_eq!(patches[0].path, "/regionalCertificateArn");
            }
            other => panic!("{other:?}"),
        }
    }

    fn trust(uri: &str, version: Option<&str>) -> Mtls {
        Mtls {
            truststore_uri: uri.into(),
            truststore_version: version.map(str::to_string),
        }
    }

    #[test]
    fn mtls_is_created_with_the_domain_and_its_drift_reverted_on_gwctls_domain_only() {
        let mut w = want(&[("", "prod")]);
        w.mtls = Some(trust("s3://trust/ca.pem", Some("v2")));
        let p = plan_domains(std::slice::from_ref(&w), &[], None, &BTreeMap::new()).unwrap();
        assert!(
            matches!(&p.steps[0].1, DomainOp::CreateDomainName { mtls: Some(m), .. }
            if m == w.mtls.as_ref().unwrap())
        );
        // Live truststore elsewhere, older version: one update with both patches, shown.
        let mut d = live(true, &[("", "apiA", "prod")]);
        d.mtls = Some(trust("s3://other/ca.pem", Some("v1")));
        let p = plan_domains(
            std::slice::from_ref(&w),
            &[d.clone()],
            Some("apiA"),
            &BTreeMap::new(),
        )
        .unwrap();
        assert_eq!(
            ops(&p.steps),
            vec![DomainOp::UpdateDomainName {
                name: "api.example.com".into(),
                patches: vec![
                    Patch::replace(MTLS_URI_PATH, "s3://trust/ca.pem".to_string()),
                    Patch::replace(MTLS_VERSION_PATH, "v2".to_string()),
                ],
            }]
        );
        let shown: Vec<&str> = p.steps[0]
            .0
            .fields
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(shown, ["mtls.truststore_uri", "mtls.truststore_version"]);
        // In step: nothing. An unpinned version keeps the live one.
        d.mtls = w.mtls.clone();
        let same = plan_domains(
            std::slice::from_ref(&w),
            &[d.clone()],
            Some("apiA"),
            &BTreeMap::new(),
        )
        .unwrap();
        assert!(same.steps.is_empty(), "{:?}", same.steps);
        w.mtls = Some(trust("s3://trust/ca.pem", None));
        let unpinned = plan_domains(
            std::slice::from_ref(&w),
            &[d.clone()],
            Some("apiA"),
            &BTreeMap::new(),
        )
        .unwrap();
        assert!(unpinned.steps.is_empty(), "{:?}", unpinned.steps);
        // Undeclared: the live truststore stays.
        let undeclared = plan_domains(
            &[want(&[("", "prod")])],
            &[d.clone()],
            Some("apiA"),
            &BTreeMap::new(),
        )
        .unwrap();
        assert!(undeclared.steps.is_empty());
        // A domain gwctl did not create: a note, no call.
        let mut hand = live(false, &[("", "apiA", "prod")]);
        hand.mtls = None;
        let p = plan_domains(&[w], &[hand], Some("apiA"), &BTreeMap::new()).unwrap();
        assert!(p.steps.is_empty());
        assert_eq!(p.notes.len(), 1);
    }

    #[test]
    fn a_base_path_another_api_maps_is_refused_never_taken() {
        let d = live(true, &[("v2", "apiB", "v2")]);
        let e = plan_domains(
            &[want(&[("v2", "prod")])],
            &[d],
            Some("apiA"),
            &BTreeMap::new(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "base path `v2` of domain `api.example.com` maps api `apiB`, not this api"
        );
    }

    #[test]
    fn a_domain_dropped_from_the_spec_loses_only_gwctls_mappings() {
        let d = live(true, &[("", "apiA", "prod"), ("v2", "apiB", "v2")]);
        let p = plan_domains(&[], &[d], Some("apiA"), &BTreeMap::new()).unwrap();
        assert_eq!(
            ops(&p.steps),
            vec![DomainOp::DeleteMapping {
                domain: "api.example.com".into(),
                base_path: "".into()
            }]
        );
    }

    // -- dns: alias records -----------------------------------------------------------

    const ZONE: &str = "Z0HOSTED";

    fn target() -> DnsTarget {
        DnsTarget {
            name: "d-abc.execute-api.eu-west-1.amazonaws.com".into(),
            hosted_zone_id: "ZLY8HYME6SFDD".into(),
        }
    }

    fn with_dns() -> DesiredDomain {
        DesiredDomain {
            dns_zone: Some(ZONE.into()),
            ..want(&[("", "prod")])
        }
    }

    fn alias(rtype: &str, name: &str, zone: &str) -> DnsRecord {
        DnsRecord {
            rtype: rtype.into(),
            alias: Some(DnsTarget {
                name: name.into(),
                hosted_zone_id: zone.into(),
            }),
            ..DnsRecord::default()
        }
    }

    fn records(rs: Vec<DnsRecord>) -> Vec<ObservedDns> {
        vec![ObservedDns {
            domain: "api.example.com".into(),
            zone: ZONE.into(),
            records: rs,
        }]
    }

    /// `d` with gwctl's record of the zone of its alias records.
    fn tagged(mut d: ObservedDomain, zone: &str) -> ObservedDomain {
        d.tags.insert(DNS_ZONE_TAG_KEY.into(), zone.into());
        d
    }

    fn live_with_target(owned: bool, mappings: &[(&str, &str, &str)]) -> ObservedDomain {
        ObservedDomain {
            target: Some(target()),
            ..live(owned, mappings)
        }
    }

    #[test]
    fn absent_alias_records_are_upserted_to_the_target_after_the_domain_is_created() {
        // The domain exists: both records upserted to its target, in one op.
        let have = [tagged(
            live_with_target(true, &[("", "apiA", "prod")]),
            ZONE,
        )];
        let steps = plan_dns(&[with_dns()], &have, &records(vec![]))
            .unwrap()
            .steps;
        assert_eq!(
            ops(&steps),
            vec![DomainOp::UpsertAliases {
                domain: "api.example.com".into(),
                zone: ZONE.into(),
                types: vec!["A".into(), "AAAA".into()],
                target: Some(target()),
            }]
        );
        assert_eq!(steps[0].0.action, Action::Create);
        // The domain is created in this run: the target is learnt when the op runs.
        let steps = plan_dns(&[with_dns()], &[], &[]).unwrap().steps;
        assert!(
            matches!(&ops(&steps)[0], DomainOp::UpsertAliases { target: None, types, .. } if types.len() == 2)
        );
        // Without `dns:` nothing is planned, whatever the zone holds.
        assert!(plan_dns(
            &[want(&[("", "prod")])],
            &[live_with_target(true, &[])],
            &[]
        )
        .unwrap()
        .steps
        .is_empty());
    }

    #[test]
    fn alias_records_already_pointing_at_the_target_need_nothing_and_a_missing_type_is_added() {
        let have = [tagged(
            live_with_target(true, &[("", "apiA", "prod")]),
            ZONE,
        )];
        let t = target();
        // Route 53 writes names with a trailing dot, maybe in another case.
        let both = records(vec![
            alias(
                "A",
                "D-ABC.execute-api.eu-west-1.amazonaws.com.",
                &t.hosted_zone_id,
            ),
            alias("AAAA", &t.name, &t.hosted_zone_id),
        ]);
        assert!(plan_dns(&[with_dns()], &have, &both)
            .unwrap()
            .steps
            .is_empty());
        let only_a = records(vec![alias("A", &t.name, &t.hosted_zone_id)]);
        let steps = plan_dns(&[with_dns()], &have, &only_a).unwrap().steps;
        assert!(
            matches!(&ops(&steps)[0], DomainOp::UpsertAliases { types, .. } if types == &["AAAA".to_string()])
        );
    }

    #[test]
    fn a_record_pointing_elsewhere_is_an_error_naming_it_and_never_overwritten() {
        let have = [tagged(
            live_with_target(true, &[("", "apiA", "prod")]),
            ZONE,
        )];
        let t = target();
        let cases = [
            // An alias to another target.
            alias("A", "other.example.net", &t.hosted_zone_id),
            // The right name in another zone.
            alias("A", &t.name, "ZOTHER"),
            // A plain record.
            DnsRecord {
                rtype: "A".into(),
                values: vec!["192.0.2.1".into()],
                ..DnsRecord::default()
            },
            // A weighted alias to the target is not gwctl's.
            DnsRecord {
                set_identifier: Some("blue".into()),
                ..alias("A", &t.name, &t.hosted_zone_id)
            },
        ];
        for r in cases {
            let err = plan_dns(&[with_dns()], &have, &records(vec![r.clone()])).unwrap_err();
            match &err {
                DomainError::DnsRecordTaken { rtype, zone, .. } => {
                    assert_eq!((rtype.as_str(), zone.as_str()), ("A", ZONE), "{r:?}")
                }
                other => panic!("{other:?}"),
            }
            assert!(err.to_string().contains("api.example.com"), "{err}");
        }
        // A domain that does not exist yet has no target: any record there is another's.
        let err = plan_dns(
            &[with_dns()],
            &[],
            &records(vec![alias("AAAA", &t.name, &t.hosted_zone_id)]),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("AAAA record of `api.example.com`"),
            "{err}"
        );
    }

    #[test]
    fn destroy_deletes_only_the_aliases_to_the_target_of_a_domain_that_goes() {
        let t = target();
        let rs = records(vec![
            alias("A", &t.name, &t.hosted_zone_id),
            alias("AAAA", "elsewhere.example.net", &t.hosted_zone_id),
        ]);
        // gwctl created the domain and only this API maps it: the A alias goes, the AAAA
        // record pointing elsewhere stays.
        let gone = [live_with_target(true, &[("", "apiA", "prod")])];
        let steps = plan_destroy_dns(&gone, &rs, "apiA");
        assert_eq!(
            ops(&steps),
            vec![DomainOp::DeleteAliases {
                domain: "api.example.com".into(),
                zone: ZONE.into(),
                records: vec![alias("A", &t.name, &t.hosted_zone_id)],
            }]
        );
        assert_eq!(steps[0].0.action, Action::Delete);
        // A domain made by hand, or one another API still maps, stays: so do its records.
        let by_hand = [live_with_target(false, &[("", "apiA", "prod")])];
        assert!(plan_destroy_dns(&by_hand, &rs, "apiA").is_empty());
        let shared = [live_with_target(
            true,
            &[("", "apiA", "prod"), ("v2", "apiB", "prod")],
        )];
        assert!(plan_destroy_dns(&shared, &rs, "apiA").is_empty());
    }

    // -- gwctl:dns-zone: the zone recorded on a domain gwctl created ------------------

    fn both_ours() -> Vec<DnsRecord> {
        let t = target();
        vec![
            alias("A", &t.name, &t.hosted_zone_id),
            alias("AAAA", &t.name, &t.hosted_zone_id),
        ]
    }

    fn zone_records(zone: &str, rs: Vec<DnsRecord>) -> ObservedDns {
        ObservedDns {
            domain: "api.example.com".into(),
            zone: zone.into(),
            records: rs,
        }
    }

    fn tag_field(
        steps: &[(Change, DomainOp)],
        i: usize,
    ) -> (String, Option<String>, Option<String>) {
        let f = &steps[i].0.fields[0];
        (f.field.clone(), f.old.clone(), f.new.clone())
    }

    #[test]
    fn dns_at_creation_tags_the_new_domain_with_its_zone_and_a_hand_made_one_never() {
        let p = plan_domains(&[with_dns()], &[], None, &BTreeMap::new()).unwrap();
        assert!(
            matches!(&p.steps[0].1, DomainOp::CreateDomainName { tags, .. }
                if tags.get(DNS_ZONE_TAG_KEY).map(String::as_str) == Some(ZONE)
                && tags.get(OWNER_TAG_KEY).map(String::as_str) == Some(OWNER_TAG_VALUE)),
            "{:?}",
            p.steps[0]
        );
        // Without `dns:` the new domain carries no zone.
        let p = plan_domains(&[want(&[("", "prod")])], &[], None, &BTreeMap::new()).unwrap();
        assert!(
            matches!(&p.steps[0].1, DomainOp::CreateDomainName { tags, .. }
                if !tags.contains_key(DNS_ZONE_TAG_KEY))
        );
        // A domain made by hand: records upserted, the domain never tagged.
        let hand = [live_with_target(false, &[("", "apiA", "prod")])];
        let p = plan_dns(&[with_dns()], &hand, &records(vec![])).unwrap();
        assert!(
            matches!(ops(&p.steps).as_slice(), [DomainOp::UpsertAliases { .. }]),
            "{:?}",
            p.steps
        );
    }

    #[test]
    fn dns_added_to_gwctls_existing_domain_tags_it_before_the_records_are_upserted() {
        let have = [live_with_target(true, &[("", "apiA", "prod")])];
        let p = plan_dns(&[with_dns()], &have, &records(vec![])).unwrap();
        assert_eq!(
            ops(&p.steps),
            vec![
                DomainOp::TagDnsZone {
                    domain: "api.example.com".into(),
                    zone: ZONE.into()
                },
                DomainOp::UpsertAliases {
                    domain: "api.example.com".into(),
                    zone: ZONE.into(),
                    types: vec!["A".into(), "AAAA".into()],
                    target: Some(target()),
                },
            ]
        );
        assert_eq!(p.steps[0].0.action, Action::Update);
        assert_eq!(
            tag_field(&p.steps, 0),
            ("tags.gwctl:dns-zone".into(), None, Some(ZONE.into()))
        );
        // Records already there (a domain from before the tag): only the tag.
        let p = plan_dns(&[with_dns()], &have, &records(both_ours())).unwrap();
        assert!(
            matches!(ops(&p.steps).as_slice(), [DomainOp::TagDnsZone { .. }]),
            "{:?}",
            p.steps
        );
    }

    #[test]
    fn dns_removed_deletes_the_records_still_aliasing_the_target_then_untags_and_converges() {
        let t = target();
        let have = [tagged(
            live_with_target(true, &[("", "apiA", "prod")]),
            ZONE,
        )];
        let rs = vec![
            alias("A", &t.name, &t.hosted_zone_id),
            alias("AAAA", "elsewhere.example.net", &t.hosted_zone_id),
        ];
        let p = plan_dns(&[want(&[("", "prod")])], &have, &records(rs)).unwrap();
        assert_eq!(
            ops(&p.steps),
            vec![
                DomainOp::DeleteAliases {
                    domain: "api.example.com".into(),
                    zone: ZONE.into(),
                    records: vec![alias("A", &t.name, &t.hosted_zone_id)],
                },
                DomainOp::UntagDnsZone {
                    domain: "api.example.com".into()
                },
            ]
        );
        assert_eq!(p.steps[0].0.action, Action::Delete);
        assert_eq!(p.steps[0].0.name, "api.example.com (A)");
        assert_eq!(
            tag_field(&p.steps, 1),
            ("tags.gwctl:dns-zone".into(), Some(ZONE.into()), None)
        );
        // The AAAA record pointing elsewhere stays, and the plan says so.
        assert_eq!(p.notes.len(), 1, "{:?}", p.notes);
        assert!(
            p.notes[0].contains("AAAA record of `api.example.com` in hosted zone Z0HOSTED")
                && p.notes[0].contains("elsewhere.example.net"),
            "{:?}",
            p.notes
        );
        // Stopped after the delete: the records are gone, the tag is left; then untagged.
        let p = plan_dns(&[want(&[("", "prod")])], &have, &records(vec![])).unwrap();
        assert_eq!(
            ops(&p.steps),
            vec![DomainOp::UntagDnsZone {
                domain: "api.example.com".into()
            }]
        );
        let untagged = [live_with_target(true, &[("", "apiA", "prod")])];
        assert!(plan_dns(&[want(&[("", "prod")])], &untagged, &[])
            .unwrap()
            .steps
            .is_empty());
        // A domain made by hand is never tagged: its records stay without `dns:`.
        let hand = [live_with_target(false, &[("", "apiA", "prod")])];
        let p = plan_dns(&[want(&[("", "prod")])], &hand, &records(both_ours())).unwrap();
        assert!(p.steps.is_empty() && p.notes.is_empty(), "{p:?}");
    }

    #[test]
    fn dns_moved_to_another_zone_deletes_the_old_records_retags_then_upserts_and_converges() {
        let old = "Z0LDZONE";
        let have = [tagged(live_with_target(true, &[("", "apiA", "prod")]), old)];
        let want = [with_dns()];
        let read = |old_rs: Vec<DnsRecord>, new_rs: Vec<DnsRecord>| {
            vec![zone_records(old, old_rs), zone_records(ZONE, new_rs)]
        };
        let p = plan_dns(&want, &have, &read(both_ours(), vec![])).unwrap();
        let kinds: Vec<(&str, &str)> = p
            .steps
            .iter()
            .map(|(_, o)| match o {
                DomainOp::DeleteAliases { zone, .. } => ("delete", zone.as_str()),
                DomainOp::TagDnsZone { zone, .. } => ("tag", zone.as_str()),
                DomainOp::UpsertAliases { zone, .. } => ("upsert", zone.as_str()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            kinds,
            vec![("delete", old), ("tag", ZONE), ("upsert", ZONE)]
        );
        assert_eq!(
            tag_field(&p.steps, 1),
            (
                "tags.gwctl:dns-zone".into(),
                Some(old.into()),
                Some(ZONE.into())
            )
        );
        // Stopped after the delete: tag and upsert remain; after the tag, the upsert.
        let p = plan_dns(&want, &have, &read(vec![], vec![])).unwrap();
        assert!(matches!(
            ops(&p.steps).as_slice(),
            [DomainOp::TagDnsZone { .. }, DomainOp::UpsertAliases { .. }]
        ));
        let retagged = [tagged(
            live_with_target(true, &[("", "apiA", "prod")]),
            ZONE,
        )];
        let p = plan_dns(&want, &retagged, &records(vec![])).unwrap();
        assert!(matches!(
            ops(&p.steps).as_slice(),
            [DomainOp::UpsertAliases { .. }]
        ));
        let p = plan_dns(&want, &retagged, &records(both_ours())).unwrap();
        assert!(p.steps.is_empty(), "{:?}", p.steps);
    }

    #[test]
    fn a_dropped_domain_gwctl_deletes_loses_the_records_of_its_tagged_zone_only() {
        let dns = records(both_ours());
        let gone = [tagged(
            live_with_target(true, &[("", "apiA", "prod")]),
            ZONE,
        )];
        let p = plan_dropped_dns(&[], &gone, &dns, Some("apiA"));
        assert_eq!(
            ops(&p.steps),
            vec![DomainOp::DeleteAliases {
                domain: "api.example.com".into(),
                zone: ZONE.into(),
                records: both_ours(),
            }]
        );
        // The domain goes in the same plan, after its records.
        let d = plan_domains(&[], &gone, Some("apiA"), &BTreeMap::new()).unwrap();
        assert!(matches!(
            ops(&d.steps).last(),
            Some(DomainOp::DeleteDomainName { .. })
        ));
        // Records already gone (a run stopped after deleting them): nothing more.
        assert!(plan_dropped_dns(&[], &gone, &records(vec![]), Some("apiA"))
            .steps
            .is_empty());
        // The domain stays (another API maps it, the spec still names it, no API yet),
        // was made by hand, or carries no zone: its records stay.
        let shared = [tagged(
            live_with_target(true, &[("", "apiA", "prod"), ("v2", "apiB", "prod")]),
            ZONE,
        )];
        assert!(plan_dropped_dns(&[], &shared, &dns, Some("apiA"))
            .steps
            .is_empty());
        assert!(plan_dropped_dns(&[with_dns()], &gone, &dns, Some("apiA"))
            .steps
            .is_empty());
        assert!(plan_dropped_dns(&[], &gone, &dns, None).steps.is_empty());
        let hand = [tagged(
            live_with_target(false, &[("", "apiA", "prod")]),
            ZONE,
        )];
        assert!(plan_dropped_dns(&[], &hand, &dns, Some("apiA"))
            .steps
            .is_empty());
        let untagged = [live_with_target(true, &[("", "apiA", "prod")])];
        assert!(plan_dropped_dns(&[], &untagged, &dns, Some("apiA"))
            .steps
            .is_empty());
    }
}
