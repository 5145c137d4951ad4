//! Custom domain names (issue 18 item 1) for every kind that has them (`Flavour::DOMAIN_API`:
//! REST and HTTP APIs), written once: the read, the plan appended after the API's own ops,
//! destroy, and the report of DNS targets and custom URLs.
//!
//! A spec without `domains:` declares no domain: nothing is read and nothing changes (a
//! mapping made by an earlier spec that had the key stays, like every undeclared setting).
//! With the key (even `domains: {}`), gwctl owns its API's mappings on the spec's domains and
//! on the domains it created (ownership tag), and plans them with `plan::domains`.

use std::collections::BTreeSet;

use crate::aws::error::AwsError;
use crate::aws::read::domains::{alias_records, read_domains, DomainApi};
use crate::aws::Clients;
use crate::plan::domains::{self, DomainOp};
use crate::plan::Plan;
use crate::spec::model::Spec;
use crate::state::domains::{ObservedDns, ObservedDomain, ObservedDomains, DNS_ZONE_TAG_KEY};

/// The domains to read for `spec`, and the alias records of those that declare `dns:`
/// (one list-resource-record-sets each), and of those gwctl created whose `gwctl:dns-zone`
/// tag names another zone (the spec dropped `dns:`, changed it, or dropped the domain; a
/// zone that no longer exists holds no record): `None` when the spec has no `domains:` key
/// or the kind has no custom domains.
pub async fn read_for(
    clients: &Clients,
    family: Option<DomainApi>,
    spec: &Spec,
) -> Result<Option<ObservedDomains>, AwsError> {
    let (Some(api), Some(declared)) = (family, spec.domains.as_ref()) else {
        return Ok(None);
    };
    let names: BTreeSet<String> = declared.iter().map(|d| d.name.value.clone()).collect();
    let domains: Vec<ObservedDomain> = read_domains(clients, api, &names).await?;
    let mut dns = Vec::new();
    for d in declared {
        if let Some(zone) = &d.dns_zone {
            dns.push(ObservedDns {
                domain: d.name.value.clone(),
                zone: zone.value.clone(),
                records: alias_records(clients, &zone.value, &d.name.value).await?,
            });
        }
    }
    for d in domains.iter().filter(|d| domains::owned(d)) {
        let Some(zone) = d.tags.get(DNS_ZONE_TAG_KEY) else {
            continue;
        };
        if dns.iter().any(|o| o.domain == d.name && &o.zone == zone) {
            continue;
        }
        let records = match alias_records(clients, zone, &d.name).await {
            Ok(r) => r,
            Err(e) if e.is_not_found() => Vec::new(),
            Err(e) => return Err(e),
        };
        dns.push(ObservedDns {
            domain: d.name.clone(),
            zone: zone.clone(),
            records,
        });
    }
    Ok(Some(ObservedDomains { domains, dns }))
}

/// Append the domain ops of `spec` to `plan` (the API is `api_id`, `None` when the plan
/// creates it). Returns the plan's notes.
pub fn plan_into<O>(
    plan: &mut Plan<O>,
    wrap: impl Fn(DomainOp) -> Option<O>,
    spec: &Spec,
    observed: Option<&ObservedDomains>,
    api_id: Option<&str>,
) -> Result<Vec<String>, domains::DomainError> {
    let Some(observed) = observed else {
        return Ok(Vec::new());
    };
    let desired = domains::desired(spec);
    let p = domains::plan_domains(&desired, &observed.domains, api_id, &spec.api.tags)?;
    // The alias records of a domain the plan deletes go first, as in `destroy`.
    let dropped = domains::plan_dropped_dns(&desired, &observed.domains, &observed.dns, api_id);
    // The alias records after the domains (a created domain's target exists then).
    let dns = domains::plan_dns(&desired, &observed.domains, &observed.dns)?;
    append(plan, dropped.steps, &wrap);
    append(plan, p.steps, &wrap);
    append(plan, dns.steps, &wrap);
    Ok(dropped
        .notes
        .into_iter()
        .chain(p.notes)
        .chain(dns.notes)
        .collect())
}

fn append<O>(
    plan: &mut Plan<O>,
    steps: Vec<(crate::plan::Change, DomainOp)>,
    wrap: &impl Fn(DomainOp) -> Option<O>,
) {
    domains::append(plan, steps, |op| {
        wrap(op).expect("a kind with a domain api wraps domain ops")
    });
}

/// `destroy`: the ops that remove the API `api_id`'s mappings from the domains `spec`
/// declares and the domains gwctl created, and those domains gwctl created that nothing
/// else maps then, their alias records (`dns:`) first; placed before the API's own ops. Without a spec declaring `domains:`,
/// nothing is read.
pub async fn destroy_ops<O>(
    clients: &Clients,
    family: Option<DomainApi>,
    wrap: impl Fn(DomainOp) -> Option<O>,
    spec: Option<&Spec>,
    api_id: &str,
) -> Result<Plan<O>, AwsError> {
    let mut plan = Plan::default();
    let Some(spec) = spec else {
        return Ok(plan);
    };
    let Some(observed) = read_for(clients, family, spec).await? else {
        return Ok(plan);
    };
    append(
        &mut plan,
        domains::plan_destroy_dns(&observed.domains, &observed.dns, api_id),
        &wrap,
    );
    append(
        &mut plan,
        domains::plan_destroy_domains(&observed.domains, api_id),
        &wrap,
    );
    Ok(plan)
}

/// `plan` then `other`, `other`'s change indexes shifted.
pub fn prepend<O>(first: Plan<O>, other: Plan<O>) -> Plan<O> {
    let mut p = first;
    let base = p.ops.len();
    p.ops.extend(other.ops);
    for mut c in other.changes {
        c.ops = c.ops.iter().map(|i| i + base).collect();
        p.changes.push(c);
    }
    p.kept.extend(other.kept);
    p
}

/// One custom domain of the spec as reports show it: where DNS must point, and the URL of
/// each mapping of this API.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainReport {
    pub name: String,
    pub endpoint: String,
    /// The regional domain name (or CloudFront distribution) and its hosted zone; `None`
    /// until the domain exists.
    pub target: Option<crate::state::domains::DnsTarget>,
    /// (stage, `https://DOMAIN/BASE_PATH`) of each mapping to this API.
    pub urls: Vec<(String, String)>,
    /// The Route 53 hosted zone where gwctl keeps the domain's A and AAAA alias records
    /// (`dns:`).
    pub dns_zone: Option<String>,
}

/// The custom URL of a mapping: `https://api.example.com/` for the root,
/// `https://api.example.com/v2` otherwise.
pub fn custom_url(domain: &str, base_path: &str) -> String {
    format!("https://{domain}/{base_path}")
}

/// The reports of `domains` (as read) for the API `api_id`: every domain holding one of
/// its mappings, and the spec's (`wanted`), in name order.
pub fn reports(
    domains: &[ObservedDomain],
    wanted: &[crate::state::domains::DesiredDomain],
    api_id: Option<&str>,
) -> Vec<DomainReport> {
    let mut out: Vec<DomainReport> = Vec::new();
    for d in domains {
        let urls: Vec<(String, String)> = d
            .mappings
            .iter()
            .filter(|m| Some(m.api_id.as_str()) == api_id)
            .map(|m| (m.stage.clone(), custom_url(&d.name, &m.base_path)))
            .collect();
        if urls.is_empty() && !wanted.iter().any(|w| w.name == d.name) {
            continue;
        }
        out.push(DomainReport {
            name: d.name.clone(),
            endpoint: d.endpoint.clone(),
            target: d.target.clone(),
            urls,
            dns_zone: wanted
                .iter()
                .find(|w| w.name == d.name)
                .and_then(|w| w.dns_zone.clone()),
        });
    }
    for w in wanted {
        if !out.iter().any(|r| r.name == w.name) {
            out.push(DomainReport {
                name: w.name.clone(),
                endpoint: w.endpoint.clone(),
                target: None,
                urls: Vec::new(),
                dns_zone: w.dns_zone.clone(),
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Read the domains `spec` declares (and gwctl's) after a run, for the report of the API
/// `api_id`. `None` without `domains:`.
pub async fn reports_after(
    clients: &Clients,
    family: Option<DomainApi>,
    spec: &Spec,
    api_id: Option<&str>,
) -> Result<Option<Vec<DomainReport>>, AwsError> {
    Ok(read_for(clients, family, spec)
        .await?
        .map(|observed| reports(&observed.domains, &domains::desired(spec), api_id)))
}

/// Whether the AWS operation `name` changes a domain name, a mapping or an alias record.
pub fn is_domain_call(name: &str) -> bool {
    name == "ChangeResourceRecordSets"
        || name.ends_with("DomainName")
        || name.ends_with("BasePathMapping")
        || name.ends_with("ApiMapping")
}
