//! Custom domain calls offline, request by request, where moto does not implement them:
//! update-domain-name (neither apigateway nor apigatewayv2 in moto 5.2.5), the edge create's
//! certificate field, mutual TLS (`mtls:`) on create and update, and the adoption of a domain whose create answer was lost (a second
//! create answered ConflictException); the Route 53 change batches of `dns:` and a delete
//! re-read after a lost answer, and the target of a domain created in the run taken from its
//! create answer (read only when the answer lacks it); the `gwctl:dns-zone` tag put on and
//! taken off a domain (moto does not tag domain names).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_apigateway::operation::create_domain_name::{
    CreateDomainNameInput, CreateDomainNameOutput,
};
use aws_sdk_apigateway::operation::get_domain_name::GetDomainNameOutput;
use aws_sdk_apigateway::operation::update_domain_name::{
    UpdateDomainNameInput, UpdateDomainNameOutput,
};
use aws_sdk_apigateway::types::{EndpointType, Op as PatchOp};
use aws_sdk_apigateway::Client as ApigwClient;
use aws_sdk_apigatewayv2::operation::create_domain_name::{
    CreateDomainNameInput as V2CreateInput, CreateDomainNameOutput as V2CreateOutput,
};
use aws_sdk_apigatewayv2::operation::get_domain_name::GetDomainNameOutput as V2GetOutput;
use aws_sdk_apigatewayv2::operation::update_domain_name::{
    UpdateDomainNameInput as V2UpdateInput, UpdateDomainNameOutput as V2UpdateOutput,
};
use aws_sdk_apigatewayv2::types as v2t;
use aws_sdk_apigatewayv2::Client as Apigw2Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use gwctl::aws::error::ErrorKind;
use gwctl::aws::exec::domains::apply_domain;
use gwctl::aws::exec::OpOutcome;
use gwctl::aws::read::domains::DomainApi;
use gwctl::aws::{CallLog, Clients};
use gwctl::plan::domains::{DomainOp, MTLS_URI_PATH};
use gwctl::plan::patch::Patch;
use gwctl::state::domains::Mtls;
use gwctl::state::{OWNER_TAG_KEY, OWNER_TAG_VALUE};

const CERT: &str = "arn:aws:acm:us-east-1:123456789012:certificate/abc";

fn clients(v1: &[&Rule], v2: &[&Rule]) -> Clients {
    let lambda_rules: &[&Rule] = &[];
    Clients {
        apigw: mock_client!(aws_sdk_apigateway, RuleMode::Sequential, v1),
        apigw2: mock_client!(aws_sdk_apigatewayv2, RuleMode::Sequential, v2),
        lambda: mock_client!(aws_sdk_lambda, RuleMode::Sequential, lambda_rules),
        route53: gwctl::aws::idle_route53(),
        region: "us-east-1".into(),
        calls: CallLog::default(),
    }
}

fn conflict() -> HttpResponse {
    let mut r = HttpResponse::new(
        StatusCode::try_from(409).unwrap(),
        SdkBody::from(r#"{"message":"The domain name you provided already exists."}"#),
    );
    r.headers_mut()
        .insert("x-amzn-errortype", "ConflictException".to_string());
    r
}

fn owner_tags() -> BTreeMap<String, String> {
    [(OWNER_TAG_KEY.to_string(), OWNER_TAG_VALUE.to_string())].into()
}

fn create(endpoint: &str) -> DomainOp {
    DomainOp::CreateDomainName {
        name: "api.example.com".into(),
        endpoint: endpoint.into(),
        certificate_arn: CERT.into(),
        security_policy: "TLS_1_2".into(),
        tags: owner_tags(),
        mtls: None,
    }
}

fn trust(version: Option<&str>) -> Mtls {
    Mtls {
        truststore_uri: "s3://trust/ca.pem".into(),
        truststore_version: version.map(str::to_string),
    }
}

/// `mtls:` goes in create-domain-name's mutualTlsAuthentication, on both API families.
#[tokio::test]
async fn a_domain_with_mtls_is_created_with_its_truststore() {
    let sent: Arc<Mutex<Vec<CreateDomainNameInput>>> = Arc::default();
    let log = sent.clone();
    let rule = mock!(ApigwClient::create_domain_name).then_compute_output(move |i| {
        log.lock().unwrap().push(i.clone());
        CreateDomainNameOutput::builder().build()
    });
    let sent2: Arc<Mutex<Vec<V2CreateInput>>> = Arc::default();
    let log2 = sent2.clone();
    let rule2 = mock!(Apigw2Client::create_domain_name).then_compute_output(move |i| {
        log2.lock().unwrap().push(i.clone());
        V2CreateOutput::builder().build()
    });
    let c = clients(&[&rule], &[&rule2]);
    let mut op = create("REGIONAL");
    if let DomainOp::CreateDomainName { mtls, .. } = &mut op {
        *mtls = Some(trust(Some("v3")));
    }
    for api in [DomainApi::Rest, DomainApi::Http] {
        assert_eq!(
            apply_domain(&c, api, None, &op).await.unwrap(),
            OpOutcome::Applied
        );
    }
    let v1 = sent.lock().unwrap()[0]
        .mutual_tls_authentication()
        .cloned()
        .unwrap();
    assert_eq!(
        (v1.truststore_uri(), v1.truststore_version()),
        (Some("s3://trust/ca.pem"), Some("v3"))
    );
    let v2 = sent2.lock().unwrap()[0]
        .mutual_tls_authentication()
        .cloned()
        .unwrap();
    assert_eq!(
        (v2.truststore_uri(), v2.truststore_version()),
        (Some("s3://trust/ca.pem"), Some("v3"))
    );
    // Without `mtls:` nothing is sent.
    let none = mock!(ApigwClient::create_domain_name).then_compute_output({
        let log = sent.clone();
        move |i| {
            log.lock().unwrap().push(i.clone());
            CreateDomainNameOutput::builder().build()
        }
    });
    let c = clients(&[&none], &[]);
    apply_domain(&c, DomainApi::Rest, None, &create("REGIONAL"))
        .await
        .unwrap();
    assert!(sent.lock().unwrap()[1]
        .mutual_tls_authentication()
        .is_none());
}

/// A truststore change: REST patches the two paths; apigatewayv2 sends
/// mutualTlsAuthentication with the changed URI and the live version kept, and its domain
/// configuration as it is.
#[tokio::test]
async fn an_mtls_update_patches_rest_and_sends_the_v2_truststore() {
    let sent: Arc<Mutex<Vec<UpdateDomainNameInput>>> = Arc::default();
    let log = sent.clone();
    let rule = mock!(ApigwClient::update_domain_name).then_compute_output(move |i| {
        log.lock().unwrap().push(i.clone());
        UpdateDomainNameOutput::builder().build()
    });
    let get = mock!(Apigw2Client::get_domain_name).then_output(|| {
        V2GetOutput::builder()
            .domain_name("api.example.com")
            .domain_name_configurations(
                v2t::DomainNameConfiguration::builder()
                    .certificate_arn(CERT)
                    .endpoint_type(v2t::EndpointType::Regional)
                    .security_policy(v2t::SecurityPolicy::Tls12)
                    .build(),
            )
            .mutual_tls_authentication(
                v2t::MutualTlsAuthentication::builder()
                    .truststore_uri("s3://old/ca.pem")
                    .truststore_version("v1")
                    .build(),
            )
            .build()
    });
    let sent2: Arc<Mutex<Vec<V2UpdateInput>>> = Arc::default();
    let log2 = sent2.clone();
    let update = mock!(Apigw2Client::update_domain_name).then_compute_output(move |i| {
        log2.lock().unwrap().push(i.clone());
        V2UpdateOutput::builder().build()
    });
    let c = clients(&[&rule], &[&get, &update]);
    let op = DomainOp::UpdateDomainName {
        name: "api.example.com".into(),
        patches: vec![Patch::replace(MTLS_URI_PATH, "s3://trust/ca.pem")],
    };
    apply_domain(&c, DomainApi::Rest, Some("a1"), &op)
        .await
        .unwrap();
    let ops: Vec<(PatchOp, String, Option<String>)> = sent.lock().unwrap()[0]
        .patch_operations()
        .iter()
        .map(|p| {
            (
                p.op().unwrap().clone(),
                p.path().unwrap().to_string(),
                p.value().map(str::to_string),
            )
        })
        .collect();
    assert_eq!(
        ops,
        vec![(
            PatchOp::Replace,
            "/mutualTlsAuthentication/truststoreUri".to_string(),
            Some("s3://trust/ca.pem".to_string())
        )]
    );
    apply_domain(&c, DomainApi::Http, Some("h1"), &op)
        .await
        .unwrap();
    let sent2 = sent2.lock().unwrap();
    let t = sent2[0].mutual_tls_authentication().unwrap();
    assert_eq!(
        (t.truststore_uri(), t.truststore_version()),
        (Some("s3://trust/ca.pem"), Some("v1"))
    );
    let conf = &sent2[0].domain_name_configurations()[0];
    assert_eq!(conf.certificate_arn(), Some(CERT));
    assert_eq!(conf.security_policy(), Some(&v2t::SecurityPolicy::Tls12));
}

#[tokio::test]
async fn an_edge_domain_is_created_with_its_certificate_and_a_regional_one_with_the_regional_field()
{
    let sent: Arc<Mutex<Vec<CreateDomainNameInput>>> = Arc::default();
    let log = sent.clone();
    let rule = mock!(ApigwClient::create_domain_name).then_compute_output(move |i| {
        log.lock().unwrap().push(i.clone());
        CreateDomainNameOutput::builder().build()
    });
    let log2 = sent.clone();
    let rule2 = mock!(ApigwClient::create_domain_name).then_compute_output(move |i| {
        log2.lock().unwrap().push(i.clone());
        CreateDomainNameOutput::builder().build()
    });
    let c = clients(&[&rule, &rule2], &[]);
    for endpoint in ["EDGE", "REGIONAL"] {
        let out = apply_domain(&c, DomainApi::Rest, None, &create(endpoint))
            .await
            .unwrap();
        assert_eq!(out, OpOutcome::Applied);
    }
    let sent = sent.lock().unwrap();
    let (edge, regional) = (&sent[0], &sent[1]);
    assert_eq!(edge.certificate_arn(), Some(CERT));
    assert_eq!(edge.regional_certificate_arn(), None);
    assert_eq!(
        edge.endpoint_configuration().unwrap().types(),
        &[EndpointType::Edge]
    );
    assert_eq!(regional.regional_certificate_arn(), Some(CERT));
    assert_eq!(regional.certificate_arn(), None);
    for s in [edge, regional] {
        assert_eq!(
            s.tags().unwrap().get(OWNER_TAG_KEY).map(String::as_str),
            Some(OWNER_TAG_VALUE)
        );
        assert_eq!(s.security_policy().unwrap().as_str(), "TLS_1_2");
    }
}

#[tokio::test]
async fn update_domain_name_sends_the_planned_patches() {
    let sent: Arc<Mutex<Vec<UpdateDomainNameInput>>> = Arc::default();
    let log = sent.clone();
    let rule = mock!(ApigwClient::update_domain_name).then_compute_output(move |i| {
        log.lock().unwrap().push(i.clone());
        UpdateDomainNameOutput::builder().build()
    });
    let c = clients(&[&rule], &[]);
    let op = DomainOp::UpdateDomainName {
        name: "api.example.com".into(),
        patches: vec![
            Patch::replace("/regionalCertificateArn", CERT.to_string()),
            Patch::replace("/securityPolicy", "TLS_1_2".to_string()),
        ],
    };
    apply_domain(&c, DomainApi::Rest, Some("a1"), &op)
        .await
        .unwrap();
    let sent = sent.lock().unwrap();
    assert_eq!(sent[0].domain_name(), Some("api.example.com"));
    let ops: Vec<(PatchOp, &str, Option<&str>)> = sent[0]
        .patch_operations()
        .iter()
        .map(|p| (p.op().unwrap().clone(), p.path().unwrap(), p.value()))
        .collect();
    assert_eq!(
        ops,
        vec![
            (PatchOp::Replace, "/regionalCertificateArn", Some(CERT)),
            (PatchOp::Replace, "/securityPolicy", Some("TLS_1_2")),
        ]
    );
}

/// apigatewayv2 replaces a domain's configuration: the live one is read and the planned
/// fields changed in it, the endpoint type kept.
#[tokio::test]
async fn an_http_domain_update_sends_the_live_configuration_with_the_changes() {
    let get = mock!(Apigw2Client::get_domain_name).then_output(|| {
        V2GetOutput::builder()
            .domain_name("api.example.com")
            .domain_name_configurations(
                v2t::DomainNameConfiguration::builder()
                    .certificate_arn("arn:aws:acm:us-east-1:123456789012:certificate/old")
                    .endpoint_type(v2t::EndpointType::Regional)
                    .security_policy(v2t::SecurityPolicy::Tls10)
                    .build(),
            )
            .build()
    });
    let sent: Arc<Mutex<Vec<V2UpdateInput>>> = Arc::default();
    let log = sent.clone();
    let update = mock!(Apigw2Client::update_domain_name).then_compute_output(move |i| {
        log.lock().unwrap().push(i.clone());
        V2UpdateOutput::builder().build()
    });
    let c = clients(&[], &[&get, &update]);
    let op = DomainOp::UpdateDomainName {
        name: "api.example.com".into(),
        patches: vec![Patch::replace("/regionalCertificateArn", CERT.to_string())],
    };
    apply_domain(&c, DomainApi::Http, Some("h1"), &op)
        .await
        .unwrap();
    let sent = sent.lock().unwrap();
    let conf = &sent[0].domain_name_configurations()[0];
    assert_eq!(conf.certificate_arn(), Some(CERT));
    assert_eq!(conf.endpoint_type(), Some(&v2t::EndpointType::Regional));
    assert_eq!(conf.security_policy(), Some(&v2t::SecurityPolicy::Tls10));
}

/// A create answered "already exists": the domain is adopted when it carries gwctl's tag
/// (an earlier attempt of this run whose answer was lost), refused as final otherwise.
#[tokio::test]
async fn a_create_that_finds_the_domain_adopts_only_gwctls_own() {
    for (tags, adopted) in [(owner_tags(), true), (BTreeMap::new(), false)] {
        let refused = mock!(ApigwClient::create_domain_name).then_http_response(conflict);
        let tags: std::collections::HashMap<String, String> = tags.into_iter().collect();
        let get = mock!(ApigwClient::get_domain_name).then_output(move || {
            GetDomainNameOutput::builder()
                .domain_name("api.example.com")
                .set_tags(Some(tags.clone()))
                .build()
        });
        let c = clients(&[&refused, &get], &[]);
        let r = apply_domain(&c, DomainApi::Rest, None, &create("REGIONAL")).await;
        if adopted {
            assert_eq!(
                r.unwrap(),
                OpOutcome::Adopted {
                    id: "api.example.com".into()
                }
            );
        } else {
            assert_eq!(r.unwrap_err().kind, ErrorKind::AlreadyExists);
        }
    }
}

// -- dns: Route 53 alias records -----------------------------------------------------------

mod dns {
    use std::sync::{Arc, Mutex};

    use aws_sdk_apigateway::operation::get_domain_name::GetDomainNameOutput;
    use aws_sdk_apigateway::Client as ApigwClient;
    use aws_sdk_route53::operation::change_resource_record_sets::{
        ChangeResourceRecordSetsError, ChangeResourceRecordSetsInput,
        ChangeResourceRecordSetsOutput,
    };
    use aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsOutput;
    use aws_sdk_route53::types::error::InvalidChangeBatch;
    use aws_sdk_route53::types::{
        AliasTarget, ChangeAction, ChangeInfo, ChangeStatus, ResourceRecordSet, RrType,
    };
    use aws_sdk_route53::Client as R53;
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use aws_smithy_types::error::ErrorMetadata;

    use gwctl::aws::exec::domains::apply_domain;
    use gwctl::aws::exec::OpOutcome;
    use gwctl::aws::read::domains::DomainApi;
    use gwctl::aws::{CallLog, Clients};
    use gwctl::plan::domains::DomainOp;
    use gwctl::state::domains::{DnsRecord, DnsTarget};

    const TARGET: &str = "d-abc.execute-api.us-east-1.amazonaws.com";
    const TARGET_ZONE: &str = "Z1UJRXOUMOOFQ8";

    fn clients(v1: &[&Rule], r53: &[&Rule]) -> Clients {
        let none: &[&Rule] = &[];
        Clients {
            apigw: mock_client!(aws_sdk_apigateway, RuleMode::Sequential, v1),
            apigw2: mock_client!(aws_sdk_apigatewayv2, RuleMode::Sequential, none),
            lambda: mock_client!(aws_sdk_lambda, RuleMode::Sequential, none),
            route53: mock_client!(aws_sdk_route53, RuleMode::Sequential, r53),
            region: "us-east-1".into(),
            calls: CallLog::default(),
        }
    }

    fn changed() -> ChangeResourceRecordSetsOutput {
        ChangeResourceRecordSetsOutput::builder()
            .change_info(
                ChangeInfo::builder()
                    .id("C1")
                    .status(ChangeStatus::Pending)
                    .submitted_at(aws_smithy_types::DateTime::from_secs(0))
                    .build()
                    .unwrap(),
            )
            .build()
    }

    fn alias_set(rtype: RrType) -> ResourceRecordSet {
        ResourceRecordSet::builder()
            .name("api.example.com.")
            .r#type(rtype)
            .alias_target(
                AliasTarget::builder()
                    .dns_name(format!("{TARGET}."))
                    .hosted_zone_id(TARGET_ZONE)
                    .evaluate_target_health(false)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn an_upsert_for_a_domain_created_in_the_run_reads_its_target_and_sends_one_batch() {
        let get = mock!(ApigwClient::get_domain_name).then_output(|| {
            GetDomainNameOutput::builder()
                .domain_name("api.example.com")
                .regional_domain_name(TARGET)
                .regional_hosted_zone_id(TARGET_ZONE)
                .build()
        });
        let seen: Arc<Mutex<Vec<ChangeResourceRecordSetsInput>>> = Arc::default();
        let s = seen.clone();
        let change = mock!(R53::change_resource_record_sets).then_compute_output(move |i| {
            s.lock().unwrap().push(i.clone());
            changed()
        });
        let c = clients(&[&get], &[&change]);
        let op = DomainOp::UpsertAliases {
            domain: "api.example.com".into(),
            zone: "Z0HOSTED".into(),
            types: vec!["A".into(), "AAAA".into()],
            target: None,
        };
        let out = apply_domain(&c, DomainApi::Rest, None, &op).await.unwrap();
        assert_eq!(out, OpOutcome::Applied);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "one change batch");
        assert_eq!(seen[0].hosted_zone_id(), Some("Z0HOSTED"));
        let changes = seen[0].change_batch().unwrap().changes();
        let got: Vec<(ChangeAction, RrType, &str, &str, bool)> = changes
            .iter()
            .map(|c| {
                let r = c.resource_record_set().unwrap();
                let a = r.alias_target().unwrap();
                (
                    c.action().clone(),
                    r.r#type().clone(),
                    r.name(),
                    a.dns_name(),
                    a.evaluate_target_health(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    ChangeAction::Upsert,
                    RrType::A,
                    "api.example.com",
                    TARGET,
                    false
                ),
                (
                    ChangeAction::Upsert,
                    RrType::Aaaa,
                    "api.example.com",
                    TARGET,
                    false
                ),
            ]
        );
        assert!(changes.iter().all(|c| c
            .resource_record_set()
            .unwrap()
            .alias_target()
            .unwrap()
            .hosted_zone_id()
            == TARGET_ZONE));
    }

    fn refused() -> ChangeResourceRecordSetsError {
        ChangeResourceRecordSetsError::InvalidChangeBatch(
            InvalidChangeBatch::builder()
                .message("Tried to delete resource record set but it was not found")
                .meta(ErrorMetadata::builder().code("InvalidChangeBatch").build())
                .build(),
        )
    }

    fn delete_op() -> DomainOp {
        let rec = |t: &str| DnsRecord {
            rtype: t.into(),
            alias: Some(DnsTarget {
                name: format!("{TARGET}."),
                hosted_zone_id: TARGET_ZONE.into(),
            }),
            ..DnsRecord::default()
        };
        DomainOp::DeleteAliases {
            domain: "api.example.com".into(),
            zone: "Z0HOSTED".into(),
            records: vec![rec("A"), rec("AAAA")],
        }
    }

    #[tokio::test]
    async fn a_delete_refused_after_a_lost_answer_is_re_read_and_done_when_the_records_are_gone() {
        let change = mock!(R53::change_resource_record_sets).then_error(refused);
        let list = mock!(R53::list_resource_record_sets).then_output(|| {
            ListResourceRecordSetsOutput::builder()
                .set_resource_record_sets(Some(vec![]))
                .is_truncated(false)
                .max_items(4)
                .build()
                .unwrap()
        });
        let c = clients(&[], &[&change, &list]);
        let out = apply_domain(&c, DomainApi::Rest, None, &delete_op())
            .await
            .unwrap();
        assert_eq!(out, OpOutcome::AlreadyGone);
        assert_eq!((change.num_calls(), list.num_calls()), (1, 1));

        // The records are still there: the refusal stands.
        let change = mock!(R53::change_resource_record_sets).then_error(refused);
        let list = mock!(R53::list_resource_record_sets).then_output(|| {
            ListResourceRecordSetsOutput::builder()
                .resource_record_sets(alias_set(RrType::A))
                .is_truncated(false)
                .max_items(4)
                .build()
                .unwrap()
        });
        let c = clients(&[], &[&change, &list]);
        let err = apply_domain(&c, DomainApi::Rest, None, &delete_op())
            .await
            .unwrap_err();
        assert_eq!(err.kind, gwctl::aws::error::ErrorKind::BadRequest);
        assert_eq!(err.code.as_deref(), Some("InvalidChangeBatch"));
    }
}

// -- dns: the target of a domain created in the run, from its create answer ----------------
// The executor keeps the target a create-domain-name answered and writes the alias records
// with it: no get-domain-name before change-resource-record-sets. A create whose answer
// lacks the target (moto's apigatewayv2 answers the configuration as sent) or that met a
// ConflictException reads the domain once.

mod created_target {
    use std::sync::{Arc, Mutex};

    use aws_sdk_apigateway::operation::create_domain_name::CreateDomainNameOutput;
    use aws_sdk_apigateway::operation::get_domain_name::GetDomainNameOutput;
    use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType};
    use aws_sdk_apigateway::Client as ApigwClient;
    use aws_sdk_apigatewayv2::operation::create_domain_name::CreateDomainNameOutput as V2CreateOutput;
    use aws_sdk_apigatewayv2::operation::get_domain_name::GetDomainNameOutput as V2GetOutput;
    use aws_sdk_apigatewayv2::types as v2t;
    use aws_sdk_apigatewayv2::Client as Apigw2Client;
    use aws_sdk_route53::operation::change_resource_record_sets::{
        ChangeResourceRecordSetsInput, ChangeResourceRecordSetsOutput,
    };
    use aws_sdk_route53::types::{ChangeInfo, ChangeStatus};
    use aws_sdk_route53::Client as R53;
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};

    use super::{conflict, create, owner_tags};
    use gwctl::aws::exec::http::HttpExecutor;
    use gwctl::aws::exec::rest::Executor;
    use gwctl::aws::{CallLog, Clients};
    use gwctl::plan::domains::{DomainOp, CLOUDFRONT_ZONE};
    use gwctl::plan::http::ops::HttpOp;
    use gwctl::plan::rest::ops::Op;

    const REGIONAL: &str = "d-abc.execute-api.us-east-1.amazonaws.com";
    const REGIONAL_ZONE: &str = "Z1UJRXOUMOOFQ8";
    const DISTRIBUTION: &str = "d111111abcdef8.cloudfront.net";

    type Log = Arc<Mutex<Vec<&'static str>>>;

    fn clients(v1: &[&Rule], v2: &[&Rule], r53: &[&Rule]) -> Clients {
        let none: &[&Rule] = &[];
        Clients {
            apigw: mock_client!(aws_sdk_apigateway, RuleMode::Sequential, v1),
            apigw2: mock_client!(aws_sdk_apigatewayv2, RuleMode::Sequential, v2),
            lambda: mock_client!(aws_sdk_lambda, RuleMode::Sequential, none),
            route53: mock_client!(aws_sdk_route53, RuleMode::Sequential, r53),
            region: "us-east-1".into(),
            calls: CallLog::default(),
        }
    }

    fn upsert() -> DomainOp {
        DomainOp::UpsertAliases {
            domain: "api.example.com".into(),
            zone: "Z0HOSTED".into(),
            types: vec!["A".into(), "AAAA".into()],
            target: None,
        }
    }

    /// change-resource-record-sets, logged: its alias targets are kept in `sent`.
    fn change(log: &Log, sent: &Arc<Mutex<Vec<ChangeResourceRecordSetsInput>>>) -> Rule {
        let (log, sent) = (log.clone(), sent.clone());
        mock!(R53::change_resource_record_sets).then_compute_output(move |i| {
            log.lock().unwrap().push("ChangeResourceRecordSets");
            sent.lock().unwrap().push(i.clone());
            ChangeResourceRecordSetsOutput::builder()
                .change_info(
                    ChangeInfo::builder()
                        .id("C1")
                        .status(ChangeStatus::Pending)
                        .submitted_at(aws_smithy_types::DateTime::from_secs(0))
                        .build()
                        .unwrap(),
                )
                .build()
        })
    }

    /// The alias targets (name, zone) of the one batch sent.
    fn aliased(sent: &Arc<Mutex<Vec<ChangeResourceRecordSetsInput>>>) -> Vec<(String, String)> {
        let sent = sent.lock().unwrap();
        assert_eq!(sent.len(), 1, "one change batch");
        sent[0]
            .change_batch()
            .unwrap()
            .changes()
            .iter()
            .map(|c| {
                let a = c.resource_record_set().unwrap().alias_target().unwrap();
                (a.dns_name().to_string(), a.hosted_zone_id().to_string())
            })
            .collect()
    }

    /// A REST create-domain-name answering `out`, logged.
    fn rest_create(log: &Log, out: CreateDomainNameOutput) -> Rule {
        let log = log.clone();
        mock!(ApigwClient::create_domain_name).then_compute_output(move |_| {
            log.lock().unwrap().push("CreateDomainName");
            out.clone()
        })
    }

    /// A REST get-domain-name answering the regional target, gwctl's tag on the domain.
    fn rest_get(log: &Log) -> Rule {
        let log = log.clone();
        mock!(ApigwClient::get_domain_name).then_compute_output(move |_| {
            log.lock().unwrap().push("GetDomainName");
            GetDomainNameOutput::builder()
                .domain_name("api.example.com")
                .endpoint_configuration(
                    EndpointConfiguration::builder()
                        .types(EndpointType::Regional)
                        .build(),
                )
                .regional_domain_name(REGIONAL)
                .regional_hosted_zone_id(REGIONAL_ZONE)
                .set_tags(Some(owner_tags().into_iter().collect()))
                .build()
        })
    }

    async fn run_rest(c: &Clients, endpoint: &str) {
        let mut ex = Executor::new(c);
        ex.run(
            &[Op::Domain(create(endpoint)), Op::Domain(upsert())],
            &mut |_| {},
        )
        .await
        .unwrap();
    }

    async fn run_http(c: &Clients) {
        let mut ex = HttpExecutor::new(c);
        ex.run(
            &[HttpOp::Domain(create("REGIONAL")), HttpOp::Domain(upsert())],
            &mut |_| {},
        )
        .await
        .unwrap();
    }

    fn both(name: &str, zone: &str) -> Vec<(String, String)> {
        vec![(name.to_string(), zone.to_string()); 2]
    }

    #[tokio::test]
    async fn a_rest_create_that_answers_the_target_is_not_read_before_its_aliases() {
        // Regional: the regional name and zone of the answer.
        let log: Log = Arc::default();
        let sent = Arc::default();
        let made = rest_create(
            &log,
            CreateDomainNameOutput::builder()
                .domain_name("api.example.com")
                .regional_domain_name(REGIONAL)
                .regional_hosted_zone_id(REGIONAL_ZONE)
                .build(),
        );
        let c = clients(&[&made], &[], &[&change(&log, &sent)]);
        run_rest(&c, "REGIONAL").await;
        assert_eq!(
            *log.lock().unwrap(),
            ["CreateDomainName", "ChangeResourceRecordSets"]
        );
        assert_eq!(aliased(&sent), both(REGIONAL, REGIONAL_ZONE));

        // Edge: the distribution, in CloudFront's zone when the answer names none (as a read
        // does).
        let log: Log = Arc::default();
        let sent = Arc::default();
        let made = rest_create(
            &log,
            CreateDomainNameOutput::builder()
                .domain_name("api.example.com")
                .distribution_domain_name(DISTRIBUTION)
                .regional_domain_name(REGIONAL)
                .regional_hosted_zone_id(REGIONAL_ZONE)
                .build(),
        );
        let c = clients(&[&made], &[], &[&change(&log, &sent)]);
        run_rest(&c, "EDGE").await;
        assert_eq!(
            *log.lock().unwrap(),
            ["CreateDomainName", "ChangeResourceRecordSets"]
        );
        assert_eq!(aliased(&sent), both(DISTRIBUTION, CLOUDFRONT_ZONE));
    }

    #[tokio::test]
    async fn a_rest_create_whose_answer_lacks_the_target_or_conflicts_reads_it_once() {
        // A regional answer without its zone: the domain is read once.
        let log: Log = Arc::default();
        let sent = Arc::default();
        let made = rest_create(
            &log,
            CreateDomainNameOutput::builder()
                .domain_name("api.example.com")
                .regional_domain_name(REGIONAL)
                .build(),
        );
        let c = clients(&[&made, &rest_get(&log)], &[], &[&change(&log, &sent)]);
        run_rest(&c, "REGIONAL").await;
        assert_eq!(
            *log.lock().unwrap(),
            [
                "CreateDomainName",
                "GetDomainName",
                "ChangeResourceRecordSets"
            ]
        );
        assert_eq!(aliased(&sent), both(REGIONAL, REGIONAL_ZONE));

        // ConflictException (an earlier attempt's answer was lost): the read that finds the
        // domain gwctl's gives its target too.
        let log: Log = Arc::default();
        let sent = Arc::default();
        let refused = {
            let log = log.clone();
            mock!(ApigwClient::create_domain_name).then_http_response(move || {
                log.lock().unwrap().push("CreateDomainName");
                conflict()
            })
        };
        let c = clients(&[&refused, &rest_get(&log)], &[], &[&change(&log, &sent)]);
        run_rest(&c, "REGIONAL").await;
        assert_eq!(
            *log.lock().unwrap(),
            [
                "CreateDomainName",
                "GetDomainName",
                "ChangeResourceRecordSets"
            ]
        );
        assert_eq!(aliased(&sent), both(REGIONAL, REGIONAL_ZONE));
    }

    fn v2_create(log: &Log, target: bool) -> Rule {
        let log = log.clone();
        mock!(Apigw2Client::create_domain_name).then_compute_output(move |_| {
            log.lock().unwrap().push("CreateDomainName");
            let mut conf =
                v2t::DomainNameConfiguration::builder().endpoint_type(v2t::EndpointType::Regional);
            if target {
                conf = conf
                    .api_gateway_domain_name(REGIONAL)
                    .hosted_zone_id(REGIONAL_ZONE);
            }
            V2CreateOutput::builder()
                .domain_name("api.example.com")
                .domain_name_configurations(conf.build())
                .build()
        })
    }

    #[tokio::test]
    async fn an_http_create_reads_the_target_only_when_its_answer_lacks_it() {
        let log: Log = Arc::default();
        let sent = Arc::default();
        let c = clients(&[], &[&v2_create(&log, true)], &[&change(&log, &sent)]);
        run_http(&c).await;
        assert_eq!(
            *log.lock().unwrap(),
            ["CreateDomainName", "ChangeResourceRecordSets"]
        );
        assert_eq!(aliased(&sent), both(REGIONAL, REGIONAL_ZONE));

        // Without it (moto 5.2.5 answers the configuration as sent): one get-domain-name.
        let log: Log = Arc::default();
        let sent = Arc::default();
        let get = {
            let log = log.clone();
            mock!(Apigw2Client::get_domain_name).then_compute_output(move |_| {
                log.lock().unwrap().push("GetDomainName");
                V2GetOutput::builder()
                    .domain_name("api.example.com")
                    .domain_name_configurations(
                        v2t::DomainNameConfiguration::builder()
                            .api_gateway_domain_name(REGIONAL)
                            .hosted_zone_id(REGIONAL_ZONE)
                            .build(),
                    )
                    .build()
            })
        };
        let c = clients(
            &[],
            &[&v2_create(&log, false), &get],
            &[&change(&log, &sent)],
        );
        run_http(&c).await;
        assert_eq!(
            *log.lock().unwrap(),
            [
                "CreateDomainName",
                "GetDomainName",
                "ChangeResourceRecordSets"
            ]
        );
        assert_eq!(aliased(&sent), both(REGIONAL, REGIONAL_ZONE));
    }
}

// -- gwctl:dns-zone: the zone recorded on a domain gwctl created --------------------------
// moto 5.2.5 cannot tag a domain name: its apigateway TagResource/UntagResource only know
// stage ARNs (a domain ARN is answered NotFound), and apigatewayv2's keep tags apart from
// the domain, so get-domain-names never shows them. The requests are checked here.

mod dns_zone_tag {
    use std::sync::{Arc, Mutex};

    use aws_sdk_apigateway::operation::tag_resource::{TagResourceInput, TagResourceOutput};
    use aws_sdk_apigateway::operation::untag_resource::{UntagResourceInput, UntagResourceOutput};
    use aws_sdk_apigateway::Client as ApigwClient;
    use aws_sdk_apigatewayv2::operation::tag_resource::{
        TagResourceInput as V2TagInput, TagResourceOutput as V2TagOutput,
    };
    use aws_sdk_apigatewayv2::operation::untag_resource::{
        UntagResourceInput as V2UntagInput, UntagResourceOutput as V2UntagOutput,
    };
    use aws_sdk_apigatewayv2::Client as Apigw2Client;
    use aws_smithy_mocks::mock;
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    use super::clients;
    use gwctl::aws::exec::domains::{apply_domain, aws_name};
    use gwctl::aws::exec::OpOutcome;
    use gwctl::aws::read::domains::DomainApi;
    use gwctl::plan::domains::DomainOp;
    use gwctl::state::domains::DNS_ZONE_TAG_KEY;

    const ARN: &str = "arn:aws:apigateway:us-east-1::/domainnames/api.example.com";

    fn tag() -> DomainOp {
        DomainOp::TagDnsZone {
            domain: "api.example.com".into(),
            zone: "Z0HOSTED".into(),
        }
    }

    fn untag() -> DomainOp {
        DomainOp::UntagDnsZone {
            domain: "api.example.com".into(),
        }
    }

    #[tokio::test]
    async fn the_zone_is_tagged_and_untagged_on_the_domain_arn_in_both_families() {
        let tags: Arc<Mutex<Vec<TagResourceInput>>> = Arc::default();
        let untags: Arc<Mutex<Vec<UntagResourceInput>>> = Arc::default();
        let (t, u) = (tags.clone(), untags.clone());
        let v1_tag = mock!(ApigwClient::tag_resource).then_compute_output(move |i| {
            t.lock().unwrap().push(i.clone());
            TagResourceOutput::builder().build()
        });
        let v1_untag = mock!(ApigwClient::untag_resource).then_compute_output(move |i| {
            u.lock().unwrap().push(i.clone());
            UntagResourceOutput::builder().build()
        });
        let tags2: Arc<Mutex<Vec<V2TagInput>>> = Arc::default();
        let untags2: Arc<Mutex<Vec<V2UntagInput>>> = Arc::default();
        let (t2, u2) = (tags2.clone(), untags2.clone());
        let v2_tag = mock!(Apigw2Client::tag_resource).then_compute_output(move |i| {
            t2.lock().unwrap().push(i.clone());
            V2TagOutput::builder().build()
        });
        let v2_untag = mock!(Apigw2Client::untag_resource).then_compute_output(move |i| {
            u2.lock().unwrap().push(i.clone());
            V2UntagOutput::builder().build()
        });
        let c = clients(&[&v1_tag, &v1_untag], &[&v2_tag, &v2_untag]);
        for api in [DomainApi::Rest, DomainApi::Http] {
            assert_eq!(aws_name(&tag(), api), "TagResource");
            assert_eq!(aws_name(&untag(), api), "UntagResource");
            for op in [tag(), untag()] {
                assert_eq!(
                    apply_domain(&c, api, None, &op).await.unwrap(),
                    OpOutcome::Applied
                );
            }
        }
        let zone_tag =
            std::collections::HashMap::from([(DNS_ZONE_TAG_KEY.to_string(), "Z0HOSTED".into())]);
        let t = tags.lock().unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].resource_arn(), Some(ARN));
        assert_eq!(t[0].tags(), Some(&zone_tag), "only the zone tag is sent");
        let u = untags.lock().unwrap();
        assert_eq!(u[0].resource_arn(), Some(ARN));
        assert_eq!(u[0].tag_keys(), &[DNS_ZONE_TAG_KEY.to_string()]);
        let t2 = tags2.lock().unwrap();
        assert_eq!(t2.len(), 1);
        assert_eq!(t2[0].resource_arn(), Some(ARN));
        assert_eq!(t2[0].tags(), Some(&zone_tag));
        let u2 = untags2.lock().unwrap();
        assert_eq!(u2[0].resource_arn(), Some(ARN));
        assert_eq!(u2[0].tag_keys(), &[DNS_ZONE_TAG_KEY.to_string()]);
    }

    fn not_found() -> HttpResponse {
        let mut r = HttpResponse::new(
            StatusCode::try_from(404).unwrap(),
            SdkBody::from(r#"{"message":"Invalid domain name identifier specified"}"#),
        );
        r.headers_mut()
            .insert("x-amzn-errortype", "NotFoundException".to_string());
        r
    }

    /// Untagging a domain that no longer exists has nothing left to do (a re-run after the
    /// domain went another way); tagging one is an error.
    #[tokio::test]
    async fn an_untag_of_a_domain_that_is_gone_is_done_and_a_tag_is_an_error() {
        let untag_gone = mock!(ApigwClient::untag_resource).then_http_response(not_found);
        let tag_gone = mock!(ApigwClient::tag_resource).then_http_response(not_found);
        let c = clients(&[&untag_gone, &tag_gone], &[]);
        assert_eq!(
            apply_domain(&c, DomainApi::Rest, None, &untag())
                .await
                .unwrap(),
            OpOutcome::AlreadyGone
        );
        let err = apply_domain(&c, DomainApi::Rest, None, &tag())
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "{err:?}");
    }
}
