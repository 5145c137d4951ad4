//! The calls of [`DomainOp`]s (issue 18 item 1): custom domain names and the mappings of a
//! spec's API on them, through the API family of the kind ([`DomainApi`]). Create, update
//! and delete of a domain name are paced at 1 call per 30 s per account (`aws::pace`), so
//! two domains in one spec queue instead of failing.
//!
//! Lost answers: a CreateDomainName that got no answer is looked up before it is sent again
//! (`recover::create_or_find`); one answered "already exists" is adopted when the domain
//! carries gwctl's tag (an earlier attempt of this run), and is an error otherwise. A
//! mapping create answered "already exists" is adopted when the mapping is the one wanted;
//! with no mapping at that path the conflict was a concurrent modification, and the create
//! is tried again after a backoff (`exec::retry_while_busy`).
//!
//! DNS targets: a create-domain-name answer carries the domain's target (REST: the regional
//! or distribution name and zone; apigatewayv2: its configuration's), and the executor keeps
//! it ([`CreatedTargets`]) for the alias records the plan writes after it, which then need
//! no get-domain-name. Only a domain whose answer lacked it, or was lost (found by a
//! lookup), is read: after a ConflictException the lookup's read gives it.

use std::collections::BTreeMap;

use aws_sdk_apigateway::types as agt;
use aws_sdk_apigatewayv2::types as v2t;
use aws_sdk_route53::types as r53;

use super::{hash_map, retry_while_busy, OpOutcome, Settled};
use crate::aws::error::{classify, internal, AwsError, ErrorKind};
use crate::aws::read::domains::{
    alias_records, created_http_target, created_rest_target, domain_target, get_domain,
    http_mappings, read_domains, DomainApi, REST_ROOT,
};
use crate::aws::recover::{create_or_find, Identity, Made};
use crate::aws::Clients;
use crate::plan::domains::{DomainOp, MTLS_URI_PATH, MTLS_VERSION_PATH};
use crate::state::domains::{DnsTarget, DNS_ZONE_TAG_KEY};
use crate::state::{OWNER_TAG_KEY, OWNER_TAG_VALUE};

/// The AWS operation of a domain op in `api`'s family.
pub fn aws_name(op: &DomainOp, api: DomainApi) -> &'static str {
    op.aws_name(api == DomainApi::Http)
}

/// The DNS targets of the domains created (or adopted) in this run, by domain name, as
/// their create answer (or the lookup after a conflict) gave them: an executor keeps them
/// from a `CreateDomainName` to the `UpsertAliases` of the same domain (planned with no
/// target, as the domain did not exist then).
pub type CreatedTargets = BTreeMap<String, DnsTarget>;

/// Run one domain op for the API `api_id` (`None` when no API exists: only domain-name ops
/// can run then), with nothing learned before it ([`apply_domain_with`]).
pub async fn apply_domain(
    c: &Clients,
    api: DomainApi,
    api_id: Option<&str>,
    op: &DomainOp,
) -> Result<OpOutcome, AwsError> {
    apply_domain_with(c, api, api_id, op, &mut CreatedTargets::new()).await
}

/// Run one domain op, keeping in `targets` the DNS target a domain create learns and using
/// it for that domain's alias records.
pub async fn apply_domain_with(
    c: &Clients,
    api: DomainApi,
    api_id: Option<&str>,
    op: &DomainOp,
    targets: &mut CreatedTargets,
) -> Result<OpOutcome, AwsError> {
    let name = aws_name(op, api);
    let api_id =
        || api_id.ok_or_else(|| internal(name, "no api id: the api does not exist".into()));
    match op {
        DomainOp::CreateDomainName {
            name: domain,
            endpoint,
            certificate_arn,
            security_policy,
            tags,
            mtls,
        } => {
            let made = create_or_find(c, Identity::DomainName { name: domain, api }, || async {
                match api {
                    DomainApi::Rest => {
                        let mut req = c
                            .apigw
                            .create_domain_name()
                            .domain_name(domain)
                            .endpoint_configuration(
                                agt::EndpointConfiguration::builder()
                                    .types(agt::EndpointType::from(endpoint.as_str()))
                                    .build(),
                            )
                            .security_policy(agt::SecurityPolicy::from(security_policy.as_str()))
                            .set_tags(hash_map(tags))
                            .set_mutual_tls_authentication(mtls.as_ref().map(|m| {
                                agt::MutualTlsAuthenticationInput::builder()
                                    .truststore_uri(&m.truststore_uri)
                                    .set_truststore_version(m.truststore_version.clone())
                                    .build()
                            }));
                        req = if endpoint == "EDGE" {
                            req.certificate_arn(certificate_arn)
                        } else {
                            req.regional_certificate_arn(certificate_arn)
                        };
                        req.send()
                            .await
                            .map(|d| created_rest_target(endpoint == "EDGE", &d))
                            .map_err(|e| classify(name, e))
                    }
                    DomainApi::Http => c
                        .apigw2
                        .create_domain_name()
                        .domain_name(domain)
                        .domain_name_configurations(
                            v2t::DomainNameConfiguration::builder()
                                .certificate_arn(certificate_arn)
                                .endpoint_type(v2t::EndpointType::from(endpoint.as_str()))
                                .security_policy(v2t::SecurityPolicy::from(
                                    security_policy.as_str(),
                                ))
                                .build(),
                        )
                        .set_tags(hash_map(tags))
                        .set_mutual_tls_authentication(mtls.as_ref().map(|m| {
                            v2t::MutualTlsAuthenticationInput::builder()
                                .truststore_uri(&m.truststore_uri)
                                .set_truststore_version(m.truststore_version.clone())
                                .build()
                        }))
                        .send()
                        .await
                        .map(|d| created_http_target(&d))
                        .map_err(|e| classify(name, e)),
                }
            })
            .await;
            match made {
                Ok(Made::Created(target)) => {
                    // No target in the answer: the alias records read it.
                    if let Some(t) = target {
                        targets.insert(domain.clone(), t);
                    }
                    Ok(OpOutcome::Applied)
                }
                // Found by a lookup after a lost answer: its target is read when needed.
                Ok(Made::Adopted(id)) => Ok(OpOutcome::Adopted { id }),
                Err(e) if e.kind == ErrorKind::Conflict => {
                    // Ours (an earlier attempt whose answer was lost): adopt, with the
                    // target this read gives; else it is another's, made since the plan,
                    // and that is final.
                    match get_domain(c, api, domain).await? {
                        Some((tags, target))
                            if tags.get(OWNER_TAG_KEY).map(String::as_str)
                                == Some(OWNER_TAG_VALUE) =>
                        {
                            if let Some(t) = target {
                                targets.insert(domain.clone(), t);
                            }
                            Ok(OpOutcome::Adopted { id: domain.clone() })
                        }
                        _ => Err(AwsError {
                            kind: ErrorKind::AlreadyExists,
                            ..e
                        }),
                    }
                }
                Err(e) => Err(e),
            }
        }
        DomainOp::UpdateDomainName {
            name: domain,
            patches,
        } => match api {
            DomainApi::Rest => {
                let ops = patches
                    .iter()
                    .map(|p| {
                        agt::PatchOperation::builder()
                            .op(agt::Op::from(p.op.as_str()))
                            .path(&p.path)
                            .set_value(p.value.clone())
                            .build()
                    })
                    .collect();
                c.apigw
                    .update_domain_name()
                    .domain_name(domain)
                    .set_patch_operations(Some(ops))
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
            DomainApi::Http => {
                // apigatewayv2 replaces the configuration: the live one with the patches.
                let live = c
                    .apigw2
                    .get_domain_name()
                    .domain_name(domain)
                    .send()
                    .await
                    .map_err(|e| classify("GetDomainName", e))?;
                let conf = live.domain_name_configurations().first().cloned();
                let mut b = v2t::DomainNameConfiguration::builder()
                    .set_certificate_arn(
                        conf.as_ref()
                            .and_then(|c| c.certificate_arn().map(str::to_string)),
                    )
                    .set_endpoint_type(conf.as_ref().and_then(|c| c.endpoint_type().cloned()))
                    .set_security_policy(conf.as_ref().and_then(|c| c.security_policy().cloned()));
                // Mutual TLS is its own input: sent only when the plan changes it.
                let mut trust: Option<v2t::builders::MutualTlsAuthenticationInputBuilder> = None;
                for p in patches {
                    let v = p.value.clone().unwrap_or_default();
                    if p.path == MTLS_URI_PATH || p.path == MTLS_VERSION_PATH {
                        let t = trust.take().unwrap_or_else(|| {
                            let live = live.mutual_tls_authentication();
                            v2t::MutualTlsAuthenticationInput::builder()
                                .set_truststore_uri(
                                    live.and_then(|m| m.truststore_uri().map(str::to_string)),
                                )
                                .set_truststore_version(
                                    live.and_then(|m| m.truststore_version().map(str::to_string)),
                                )
                        });
                        trust = Some(if p.path == MTLS_URI_PATH {
                            t.truststore_uri(v)
                        } else {
                            t.truststore_version(v)
                        });
                        continue;
                    }
                    b = match p.path.as_str() {
                        "/certificateArn" | "/regionalCertificateArn" => b.certificate_arn(v),
                        "/securityPolicy" => {
                            b.security_policy(v2t::SecurityPolicy::from(v.as_str()))
                        }
                        other => {
                            return Err(internal(
                                name,
                                format!("no apigatewayv2 field for `{other}`"),
                            ))
                        }
                    };
                }
                c.apigw2
                    .update_domain_name()
                    .domain_name(domain)
                    .domain_name_configurations(b.build())
                    .set_mutual_tls_authentication(trust.map(|t| t.build()))
                    .send()
                    .await
                    .map_err(|e| classify(name, e))?;
                Ok(OpOutcome::Applied)
            }
        },
        DomainOp::DeleteDomainName { name: domain } => {
            let r = match api {
                DomainApi::Rest => c
                    .apigw
                    .delete_domain_name()
                    .domain_name(domain)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| classify(name, e)),
                DomainApi::Http => c
                    .apigw2
                    .delete_domain_name()
                    .domain_name(domain)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| classify(name, e)),
            };
            gone_ok(r)
        }
        DomainOp::CreateMapping {
            domain,
            base_path,
            stage,
        } => {
            let id = api_id()?;
            retry_while_busy(|| async move {
                let r = match api {
                    DomainApi::Rest => c
                        .apigw
                        .create_base_path_mapping()
                        .domain_name(domain)
                        .rest_api_id(id)
                        .stage(stage)
                        .set_base_path((!base_path.is_empty()).then(|| base_path.clone()))
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| classify(name, e)),
                    DomainApi::Http => c
                        .apigw2
                        .create_api_mapping()
                        .domain_name(domain)
                        .api_id(id)
                        .stage(stage)
                        .api_mapping_key(base_path)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| classify(name, e)),
                };
                let e = match r {
                    Ok(()) => return Ok(Settled::Done(OpOutcome::Applied)),
                    Err(e) if e.kind == ErrorKind::Conflict => e,
                    Err(e) => return Err(e),
                };
                // Already there: fine when it is exactly this mapping (a lost answer). No
                // mapping at that path: the conflict was a concurrent modification, and the
                // create is tried again; another mapping there: the conflict goes up.
                let have = read_domains(c, api, &[domain.clone()].into()).await?;
                let mut at_path = have
                    .iter()
                    .flat_map(|d| &d.mappings)
                    .filter(|m| &m.base_path == base_path)
                    .peekable();
                if at_path.peek().is_none() {
                    return Ok(Settled::Busy(e));
                }
                if at_path.any(|m| m.api_id == id && &m.stage == stage) {
                    Ok(Settled::Done(OpOutcome::AlreadyPresent))
                } else {
                    Err(e)
                }
            })
            .await
        }
        DomainOp::UpdateMapping {
            domain,
            base_path,
            stage,
        } => {
            let id = api_id()?;
            match api {
                DomainApi::Rest => {
                    c.apigw
                        .update_base_path_mapping()
                        .domain_name(domain)
                        .base_path(rest_path(base_path))
                        .patch_operations(
                            agt::PatchOperation::builder()
                                .op(agt::Op::Replace)
                                .path("/stage")
                                .value(stage)
                                .build(),
                        )
                        .send()
                        .await
                        .map_err(|e| classify(name, e))?;
                }
                DomainApi::Http => {
                    let mapping_id =
                        http_mapping_id(c, domain, base_path)
                            .await?
                            .ok_or_else(|| {
                                internal(
                                    name,
                                    format!("no api mapping `{base_path}` on `{domain}`"),
                                )
                            })?;
                    c.apigw2
                        .update_api_mapping()
                        .domain_name(domain)
                        .api_mapping_id(mapping_id)
                        .api_id(id)
                        .stage(stage)
                        .send()
                        .await
                        .map_err(|e| classify(name, e))?;
                }
            }
            Ok(OpOutcome::Applied)
        }
        DomainOp::DeleteMapping { domain, base_path } => {
            let r = match api {
                DomainApi::Rest => c
                    .apigw
                    .delete_base_path_mapping()
                    .domain_name(domain)
                    .base_path(rest_path(base_path))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| classify(name, e)),
                DomainApi::Http => match http_mapping_id(c, domain, base_path).await? {
                    None => return Ok(OpOutcome::AlreadyGone),
                    Some(mapping_id) => c
                        .apigw2
                        .delete_api_mapping()
                        .domain_name(domain)
                        .api_mapping_id(mapping_id)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| classify(name, e)),
                },
            };
            gone_ok(r)
        }
        DomainOp::UpsertAliases {
            domain,
            zone,
            types,
            target,
        } => {
            let target = match (target, targets.get(domain)) {
                (Some(t), _) => t.clone(),
                // Created in this run: its create answered the target,
                (None, Some(t)) => t.clone(),
                // or did not (or the answer was lost): it exists now, and is read.
                (None, None) => domain_target(c, api, domain).await?.ok_or_else(|| {
                    internal(name, format!("domain `{domain}` has no dns target"))
                })?,
            };
            let changes = types
                .iter()
                .map(|t| {
                    change(
                        r53::ChangeAction::Upsert,
                        domain,
                        t,
                        &target.name,
                        &target.hosted_zone_id,
                        false,
                    )
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| internal(name, e.to_string()))?;
            // UPSERT is idempotent: a retry after a lost answer changes nothing more.
            change_records(c, name, zone, changes).await?;
            Ok(OpOutcome::Applied)
        }
        DomainOp::DeleteAliases {
            domain,
            zone,
            records,
        } => {
            let changes = records
                .iter()
                .filter_map(|r| {
                    let a = r.alias.as_ref()?;
                    Some(change(
                        r53::ChangeAction::Delete,
                        domain,
                        &r.rtype,
                        &a.name,
                        &a.hosted_zone_id,
                        r.evaluate_target_health,
                    ))
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| internal(name, e.to_string()))?;
            match change_records(c, name, zone, changes).await {
                Ok(()) => Ok(OpOutcome::Applied),
                // Refused (the records changed since the plan) or no answer: re-read, and
                // the delete is done when none of these records remain.
                Err(e) if matches!(e.kind, ErrorKind::BadRequest | ErrorKind::Transport) => {
                    let live = alias_records(c, zone, domain).await?;
                    if records.iter().any(|r| live.contains(r)) {
                        Err(e)
                    } else {
                        Ok(OpOutcome::AlreadyGone)
                    }
                }
                Err(e) => Err(e),
            }
        }
        DomainOp::TagDnsZone { domain, zone } => {
            // Tags are a map: sending it again after a lost answer changes nothing more.
            let arn = domain_arn(c, domain);
            match api {
                DomainApi::Rest => c
                    .apigw
                    .tag_resource()
                    .resource_arn(arn)
                    .tags(DNS_ZONE_TAG_KEY, zone)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| classify(name, e))?,
                DomainApi::Http => c
                    .apigw2
                    .tag_resource()
                    .resource_arn(arn)
                    .tags(DNS_ZONE_TAG_KEY, zone)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| classify(name, e))?,
            }
            Ok(OpOutcome::Applied)
        }
        DomainOp::UntagDnsZone { domain } => {
            // Removing a key the domain no longer has is not an error: a retry is a no-op.
            let arn = domain_arn(c, domain);
            let r = match api {
                DomainApi::Rest => c
                    .apigw
                    .untag_resource()
                    .resource_arn(arn)
                    .tag_keys(DNS_ZONE_TAG_KEY)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| classify(name, e)),
                DomainApi::Http => c
                    .apigw2
                    .untag_resource()
                    .resource_arn(arn)
                    .tag_keys(DNS_ZONE_TAG_KEY)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| classify(name, e)),
            };
            gone_ok(r)
        }
    }
}

/// The ARN of the domain name `domain` for tag-resource and untag-resource, the same in
/// both API families: `arn:aws:apigateway:{region}::/domainnames/{name}`.
pub fn domain_arn(c: &Clients, domain: &str) -> String {
    super::apigateway_arn(&c.region, &format!("/domainnames/{domain}"))
}

/// One change of an alias record set of `domain`.
fn change(
    action: r53::ChangeAction,
    domain: &str,
    rtype: &str,
    target: &str,
    target_zone: &str,
    evaluate_target_health: bool,
) -> Result<r53::Change, aws_sdk_route53::error::BuildError> {
    r53::Change::builder()
        .action(action)
        .resource_record_set(
            r53::ResourceRecordSet::builder()
                .name(domain)
                .r#type(r53::RrType::from(rtype))
                .alias_target(
                    r53::AliasTarget::builder()
                        .dns_name(target)
                        .hosted_zone_id(target_zone)
                        .evaluate_target_health(evaluate_target_health)
                        .build()?,
                )
                .build()?,
        )
        .build()
}

/// One change-resource-record-sets of `changes` in the zone `zone` (a batch is atomic).
async fn change_records(
    c: &Clients,
    name: &str,
    zone: &str,
    changes: Vec<r53::Change>,
) -> Result<(), AwsError> {
    let batch = r53::ChangeBatch::builder()
        .comment("gwctl: custom domain alias records")
        .set_changes(Some(changes))
        .build()
        .map_err(|e| internal(name, e.to_string()))?;
    c.route53
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(batch)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| classify(name, e))
}

/// REST's spelling of a base path in a request path (`(none)` for the root).
fn rest_path(base_path: &str) -> String {
    if base_path.is_empty() {
        REST_ROOT.to_string()
    } else {
        base_path.to_string()
    }
}

fn gone_ok(r: Result<(), AwsError>) -> Result<OpOutcome, AwsError> {
    match r {
        Ok(()) => Ok(OpOutcome::Applied),
        Err(e) if e.is_not_found() => Ok(OpOutcome::AlreadyGone),
        Err(e) => Err(e),
    }
}

/// The id of the API mapping at `base_path` of `domain` (apigatewayv2 deletes by id).
async fn http_mapping_id(
    c: &Clients,
    domain: &str,
    base_path: &str,
) -> Result<Option<String>, AwsError> {
    Ok(http_mappings(c, domain)
        .await?
        .into_iter()
        .find(|(_, m)| m.base_path == base_path)
        .map(|(id, _)| id))
}
