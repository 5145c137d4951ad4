//! Reads of custom domain names and their mappings (issue 18 item 1) into
//! [`crate::state::domains`] shapes, through the API family of the kind: REST APIs map base
//! paths (apigateway), HTTP APIs map API mappings (apigatewayv2).
//!
//! Calls: one get-domain-names (every page; it carries each domain's tags and DNS target),
//! then one get-base-path-mappings (REST) or get-api-mappings (HTTP) per domain that is
//! wanted: the spec's domains and those gwctl created (tag), which may still hold mappings
//! of this API the spec no longer names. Other domains are not read.

use std::collections::{BTreeMap, BTreeSet};

use super::{all_pages, non_empty, to_btree, PAGE_LIMIT};
use crate::aws::error::{classify, AwsError};
use crate::aws::Clients;
use crate::state::domains::{dns_name_key, DnsRecord, DnsTarget, Mapping, Mtls, ObservedDomain};
use crate::state::{OWNER_TAG_KEY, OWNER_TAG_VALUE};

/// Which API family holds a kind's mappings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainApi {
    /// apigateway: base path mappings to REST APIs.
    Rest,
    /// apigatewayv2: API mappings to HTTP APIs.
    Http,
}

/// REST's name for the root base path.
pub const REST_ROOT: &str = "(none)";

fn owned(tags: &BTreeMap<String, String>) -> bool {
    tags.get(OWNER_TAG_KEY).map(String::as_str) == Some(OWNER_TAG_VALUE)
}

/// The domains named in `names` and those gwctl created, with every mapping they hold.
pub async fn read_domains(
    c: &Clients,
    api: DomainApi,
    names: &BTreeSet<String>,
) -> Result<Vec<ObservedDomain>, AwsError> {
    let mut domains = match api {
        DomainApi::Rest => list_rest(c).await?,
        DomainApi::Http => list_http(c).await?,
    };
    domains.retain(|d| names.contains(&d.name) || owned(&d.tags));
    domains.sort_by(|a, b| a.name.cmp(&b.name));
    for d in &mut domains {
        d.mappings = match api {
            DomainApi::Rest => rest_mappings(c, &d.name).await?,
            DomainApi::Http => http_mappings(c, &d.name)
                .await?
                .into_iter()
                .map(|(_, m)| m)
                .collect(),
        };
        d.mappings.sort_by(|a, b| a.base_path.cmp(&b.base_path));
    }
    Ok(domains)
}

async fn list_rest(c: &Clients) -> Result<Vec<ObservedDomain>, AwsError> {
    let items = all_pages(|position| async move {
        let page = c
            .apigw
            .get_domain_names()
            .limit(PAGE_LIMIT)
            .set_position(position)
            .send()
            .await
            .map_err(|e| classify("GetDomainNames", e))?;
        Ok((page.items().to_vec(), page.position().map(str::to_string)))
    })
    .await?;
    Ok(items
        .iter()
        .filter_map(|d| {
            let name = d.domain_name()?.to_string();
            let edge = d
                .endpoint_configuration()
                .is_some_and(|e| e.types().iter().any(|t| t.as_str() == "EDGE"));
            let target = rest_target(
                edge,
                (
                    d.distribution_domain_name(),
                    d.distribution_hosted_zone_id(),
                ),
                (d.regional_domain_name(), d.regional_hosted_zone_id()),
            );
            let certificate_arn = if edge {
                non_empty(d.certificate_arn())
            } else {
                non_empty(d.regional_certificate_arn())
            };
            Some(ObservedDomain {
                name,
                endpoint: if edge { "EDGE" } else { "REGIONAL" }.into(),
                certificate_arn,
                security_policy: d.security_policy().map(|p| p.as_str().to_string()),
                tags: to_btree(d.tags()),
                mappings: Vec::new(),
                target,
                mtls: d.mutual_tls_authentication().and_then(|m| {
                    Some(Mtls {
                        truststore_uri: non_empty(m.truststore_uri())?,
                        truststore_version: non_empty(m.truststore_version()),
                    })
                }),
            })
        })
        .collect())
}

async fn list_http(c: &Clients) -> Result<Vec<ObservedDomain>, AwsError> {
    let items = all_pages(|token| async move {
        let page = c
            .apigw2
            .get_domain_names()
            .max_results(PAGE_LIMIT.to_string())
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("GetDomainNames", e))?;
        Ok((page.items().to_vec(), page.next_token().map(str::to_string)))
    })
    .await?;
    Ok(items
        .iter()
        .filter_map(|d| {
            let name = d.domain_name()?.to_string();
            let conf = d.domain_name_configurations().first();
            let endpoint = conf
                .and_then(|c| c.endpoint_type())
                .map(|t| t.as_str().to_string())
                .unwrap_or_else(|| "REGIONAL".into());
            Some(ObservedDomain {
                name,
                endpoint,
                certificate_arn: conf.and_then(|c| non_empty(c.certificate_arn())),
                security_policy: conf
                    .and_then(|c| c.security_policy())
                    .map(|p| p.as_str().to_string()),
                tags: to_btree(d.tags()),
                mappings: Vec::new(),
                target: conf.and_then(v2_target),
                mtls: d.mutual_tls_authentication().and_then(|m| {
                    Some(Mtls {
                        truststore_uri: non_empty(m.truststore_uri())?,
                        truststore_version: non_empty(m.truststore_version()),
                    })
                }),
            })
        })
        .collect())
}

async fn rest_mappings(c: &Clients, domain: &str) -> Result<Vec<Mapping>, AwsError> {
    let items = all_pages(|position| async move {
        let page = c
            .apigw
            .get_base_path_mappings()
            .domain_name(domain)
            .limit(PAGE_LIMIT)
            .set_position(position)
            .send()
            .await
            .map_err(|e| classify("GetBasePathMappings", e))?;
        Ok((page.items().to_vec(), page.position().map(str::to_string)))
    })
    .await?;
    Ok(items
        .iter()
        .map(|m| Mapping {
            base_path: match m.base_path() {
                None | Some(REST_ROOT) => String::new(),
                Some(p) => p.to_string(),
            },
            api_id: m.rest_api_id().unwrap_or_default().to_string(),
            stage: m.stage().unwrap_or_default().to_string(),
        })
        .collect())
}

/// The API mappings of a domain with their ids (deleting one needs its id).
pub async fn http_mappings(c: &Clients, domain: &str) -> Result<Vec<(String, Mapping)>, AwsError> {
    let items = all_pages(|token| async move {
        let page = c
            .apigw2
            .get_api_mappings()
            .domain_name(domain)
            .max_results(PAGE_LIMIT.to_string())
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("GetApiMappings", e))?;
        Ok((page.items().to_vec(), page.next_token().map(str::to_string)))
    })
    .await?;
    Ok(items
        .iter()
        .map(|m| {
            (
                m.api_mapping_id().unwrap_or_default().to_string(),
                Mapping {
                    base_path: m.api_mapping_key().unwrap_or_default().to_string(),
                    api_id: m.api_id().unwrap_or_default().to_string(),
                    stage: m.stage().unwrap_or_default().to_string(),
                },
            )
        })
        .collect())
}

/// The tags of the domain `name`, when it exists.
pub async fn find_domain(
    c: &Clients,
    api: DomainApi,
    name: &str,
) -> Result<Option<std::collections::BTreeMap<String, String>>, AwsError> {
    Ok(get_domain(c, api, name).await?.map(|(tags, _)| tags))
}

/// Where DNS must point for the domain `name`: `None` when the domain does not exist or the
/// service gives no target.
pub async fn domain_target(
    c: &Clients,
    api: DomainApi,
    name: &str,
) -> Result<Option<DnsTarget>, AwsError> {
    Ok(get_domain(c, api, name).await?.and_then(|(_, t)| t))
}

/// The tags and DNS target of the domain `name` (one get-domain-name), when it exists.
pub async fn get_domain(
    c: &Clients,
    api: DomainApi,
    name: &str,
) -> Result<Option<(BTreeMap<String, String>, Option<DnsTarget>)>, AwsError> {
    let r = match api {
        DomainApi::Rest => c
            .apigw
            .get_domain_name()
            .domain_name(name)
            .send()
            .await
            .map(|d| {
                let edge = d
                    .endpoint_configuration()
                    .is_some_and(|e| e.types().iter().any(|t| t.as_str() == "EDGE"));
                let target = rest_target(
                    edge,
                    (
                        d.distribution_domain_name(),
                        d.distribution_hosted_zone_id(),
                    ),
                    (d.regional_domain_name(), d.regional_hosted_zone_id()),
                );
                (to_btree(d.tags()), target)
            })
            .map_err(|e| classify("GetDomainName", e)),
        DomainApi::Http => c
            .apigw2
            .get_domain_name()
            .domain_name(name)
            .send()
            .await
            .map(|d| {
                let target = d.domain_name_configurations().first().and_then(v2_target);
                (to_btree(d.tags()), target)
            })
            .map_err(|e| classify("GetDomainName", e)),
    };
    match r {
        Ok(found) => Ok(Some(found)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// A REST domain's target from the (name, zone) pairs an answer carries: the distribution's
/// for an edge domain ([`edge_target`]), the regional one's otherwise.
fn rest_target(
    edge: bool,
    (distribution, distribution_zone): (Option<&str>, Option<&str>),
    (regional, regional_zone): (Option<&str>, Option<&str>),
) -> Option<DnsTarget> {
    if edge {
        edge_target(distribution, distribution_zone)
    } else {
        regional.map(|n| DnsTarget {
            name: n.to_string(),
            hosted_zone_id: regional_zone.unwrap_or_default().into(),
        })
    }
}

/// An HTTP domain's target: its (first) configuration's API Gateway domain name and zone.
fn v2_target(c: &aws_sdk_apigatewayv2::types::DomainNameConfiguration) -> Option<DnsTarget> {
    Some(DnsTarget {
        name: c.api_gateway_domain_name()?.to_string(),
        hosted_zone_id: c.hosted_zone_id().unwrap_or_default().to_string(),
    })
}

/// The DNS target a REST create-domain-name answered, for a domain created `edge` or
/// regional: `None` when the answer lacks it (a regional one needs its zone too), and the
/// target is then read ([`domain_target`]).
pub fn created_rest_target(
    edge: bool,
    d: &aws_sdk_apigateway::operation::create_domain_name::CreateDomainNameOutput,
) -> Option<DnsTarget> {
    if !edge && d.regional_hosted_zone_id().is_none_or(str::is_empty) {
        return None;
    }
    rest_target(
        edge,
        (
            d.distribution_domain_name(),
            d.distribution_hosted_zone_id(),
        ),
        (d.regional_domain_name(), d.regional_hosted_zone_id()),
    )
}

/// The DNS target an apigatewayv2 create-domain-name answered: `None` when the answer lacks
/// the name or its zone (moto 5.2.5 answers the configuration as sent), and the target is
/// then read ([`domain_target`]).
pub fn created_http_target(
    d: &aws_sdk_apigatewayv2::operation::create_domain_name::CreateDomainNameOutput,
) -> Option<DnsTarget> {
    let c = d.domain_name_configurations().first()?;
    non_empty(c.hosted_zone_id())?;
    v2_target(c)
}

/// An edge domain's target: its CloudFront distribution, in CloudFront's hosted zone when
/// the service does not say.
fn edge_target(distribution: Option<&str>, zone: Option<&str>) -> Option<DnsTarget> {
    distribution.map(|n| DnsTarget {
        name: n.to_string(),
        hosted_zone_id: non_empty(zone)
            .unwrap_or_else(|| crate::plan::domains::CLOUDFRONT_ZONE.into()),
    })
}

/// Records of one name a list reads: A and AAAA sort first among a name's types, so a few
/// hold both even with a routing policy's second record.
const RECORDS_PER_NAME: i32 = 4;

/// The A and AAAA record sets of exactly `name` in the hosted zone `zone`: one
/// list-resource-record-sets starting at (`name`, A), a few items.
pub async fn alias_records(
    c: &Clients,
    zone: &str,
    name: &str,
) -> Result<Vec<DnsRecord>, AwsError> {
    use aws_sdk_route53::types::RrType;
    let page = c
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .start_record_name(name)
        .start_record_type(RrType::A)
        .max_items(RECORDS_PER_NAME)
        .send()
        .await
        .map_err(|e| classify("ListResourceRecordSets", e))?;
    let key = dns_name_key(name);
    Ok(page
        .resource_record_sets()
        .iter()
        .filter(|r| dns_name_key(r.name()) == key)
        .filter(|r| matches!(r.r#type(), RrType::A | RrType::Aaaa))
        .map(|r| DnsRecord {
            rtype: r.r#type().as_str().to_string(),
            alias: r.alias_target().map(|a| DnsTarget {
                name: a.dns_name().to_string(),
                hosted_zone_id: a.hosted_zone_id().to_string(),
            }),
            evaluate_target_health: r.alias_target().is_some_and(|a| a.evaluate_target_health()),
            values: r
                .resource_records()
                .iter()
                .map(|v| v.value().to_string())
                .collect(),
            set_identifier: r.set_identifier().map(str::to_string),
        })
        .collect())
}
