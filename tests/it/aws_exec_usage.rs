//! The executor's requests for authorizers, API keys and usage plans, offline (aws-smithy-mocks):
//! the paths the emulator cannot show (it drops a TOKEN authorizer's validation expression on
//! create, and stores usage-plan quota patches as strings it then cannot read back), and the
//! handling of key values from the environment.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_apigateway::operation::create_api_key::{CreateApiKeyInput, CreateApiKeyOutput};
use aws_sdk_apigateway::operation::create_authorizer::{
    CreateAuthorizerInput, CreateAuthorizerOutput,
};
use aws_sdk_apigateway::operation::create_usage_plan::{
    CreateUsagePlanInput, CreateUsagePlanOutput,
};
use aws_sdk_apigateway::operation::create_usage_plan_key::CreateUsagePlanKeyOutput;
use aws_sdk_apigateway::operation::update_authorizer::{
    UpdateAuthorizerInput, UpdateAuthorizerOutput,
};
use aws_sdk_apigateway::operation::update_usage_plan::{
    UpdateUsagePlanInput, UpdateUsagePlanOutput,
};
use aws_sdk_apigateway::types::{
    ApiStage, AuthorizerType, Op as PatchOp, PatchOperation, QuotaPeriodType, QuotaSettings,
    ThrottleSettings,
};
use aws_sdk_apigateway::Client as ApigwClient;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use gwctl::aws::error::ErrorKind;
use gwctl::aws::exec::rest::Executor;
use gwctl::aws::exec::{ExecEvent, OpOutcome};
use gwctl::aws::{CallLog, Clients};
use gwctl::plan::rest::ops::{Op, Patch};
use gwctl::plan::usage::{plan_patches, tags, throttle_json};
use gwctl::plan::usage_ops::UsageOp;
use gwctl::state::rest::{Authorizer, ObservedRestApi};
use gwctl::state::usage::{
    legacy_value_digest, Quota, Throttle, UsagePlan, ValueTag, LEGACY_VALUE_DIGEST_TAG_KEY,
    VALUE_HMAC_TAG_KEY, VALUE_SALT_TAG_KEY,
};

const AUTH_URI: &str = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations";

fn clients(rules: &[&Rule]) -> Clients {
    use aws_sdk_apigatewayv2::config::{BehaviorVersion, Region};
    let lambda_rules: &[&Rule] = &[];
    Clients {
        apigw: mock_client!(aws_sdk_apigateway, RuleMode::Sequential, rules),
        apigw2: aws_sdk_apigatewayv2::Client::from_conf(
            aws_sdk_apigatewayv2::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .build(),
        ),
        lambda: mock_client!(aws_sdk_lambda, RuleMode::Sequential, lambda_rules),
        route53: gwctl::aws::idle_route53(),
        region: "us-east-1".into(),
        calls: CallLog::default(),
    }
}

fn api(authorizers: &[(&str, &str)]) -> ObservedRestApi {
    ObservedRestApi {
        id: "a1".into(),
        authorizer_ids: authorizers
            .iter()
            .map(|(n, i)| (n.to_string(), i.to_string()))
            .collect(),
        ..Default::default()
    }
}

fn patch(op: PatchOp, path: &str, value: &str) -> PatchOperation {
    PatchOperation::builder()
        .op(op)
        .path(path)
        .value(value)
        .build()
}

/// On AWS the validation expression is part of create-authorizer (moto drops it).
#[tokio::test]
async fn create_authorizer_sends_the_validation_expression_and_ttl() {
    let seen: Arc<Mutex<Vec<CreateAuthorizerInput>>> = Arc::default();
    let log = seen.clone();
    let rule = mock!(ApigwClient::create_authorizer).then_compute_output(move |i| {
        log.lock().unwrap().push(i.clone());
        CreateAuthorizerOutput::builder().id("au1").build()
    });
    let c = clients(&[&rule]);
    let mut ex = Executor::for_api(&c, &api(&[]));
    let op = Op::CreateAuthorizer {
        name: "tok".into(),
        def: Authorizer {
            kind: "TOKEN".into(),
            authorizer_uri: Some(AUTH_URI.into()),
            identity_source: Some("method.request.header.Authorization".into()),
            identity_validation_expression: Some("^Bearer .+$".into()),
            ttl_seconds: Some(300),
            provider_arns: vec![],
        },
    };
    assert_eq!(
        ex.apply_one(&op).await.unwrap(),
        OpOutcome::Created { id: "au1".into() }
    );
    let expected = CreateAuthorizerInput::builder()
        .rest_api_id("a1")
        .name("tok")
        .r#type(AuthorizerType::Token)
        .authorizer_uri(AUTH_URI)
        .identity_source("method.request.header.Authorization")
        .identity_validation_expression("^Bearer .+$")
        .authorizer_result_ttl_in_seconds(300)
        .build()
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![expected]);
    assert_eq!(ex.authorizer_ids["tok"], "au1");
}

#[tokio::test]
async fn update_authorizer_patches_the_authorizer_by_id() {
    let seen: Arc<Mutex<Vec<UpdateAuthorizerInput>>> = Arc::default();
    let log = seen.clone();
    let rule = mock!(ApigwClient::update_authorizer).then_compute_output(move |i| {
        log.lock().unwrap().push(i.clone());
        UpdateAuthorizerOutput::builder().build()
    });
    let c = clients(&[&rule]);
    let mut ex = Executor::for_api(&c, &api(&[("req", "au7")]));
    let op = Op::UpdateAuthorizer {
        name: "req".into(),
        patches: vec![
            Patch::replace("/authorizerResultTtlInSeconds", "120"),
            Patch::replace("/identityValidationExpression", "^x$"),
        ],
    };
    assert_eq!(ex.apply_one(&op).await.unwrap(), OpOutcome::Applied);
    let got = seen.lock().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].authorizer_id(), Some("au7"));
    assert_eq!(
        got[0].patch_operations(),
        [
            patch(PatchOp::Replace, "/authorizerResultTtlInSeconds", "120"),
            patch(PatchOp::Replace, "/identityValidationExpression", "^x$"),
        ]
    );
}

/// Every change to a plan, the quota included, in one update-usage-plan request.
#[tokio::test]
async fn a_usage_plan_change_is_one_request_with_every_patch() {
    let have = UsagePlan {
        description: Some("old".into()),
        throttle: Some(Throttle {
            rate: 20.0,
            burst: 50,
        }),
        quota: Some(Quota {
            limit: 10000,
            period: "MONTH".into(),
            offset: 0,
        }),
        api_stages: BTreeMap::from([("a1:prod".to_string(), BTreeMap::new())]),
    };
    let want = UsagePlan {
        description: Some("new".into()),
        throttle: Some(Throttle {
            rate: 0.5,
            burst: 1,
        }),
        quota: Some(Quota {
            limit: 500,
            period: "DAY".into(),
            offset: 0,
        }),
        api_stages: BTreeMap::from([(
            "a1:prod".to_string(),
            BTreeMap::from([(
                "/tasks/POST".to_string(),
                Throttle {
                    rate: 5.0,
                    burst: 10,
                },
            )]),
        )]),
    };
    let (patches, _) = plan_patches(&want, &have, Some("a1"));
    let seen: Arc<Mutex<Vec<UpdateUsagePlanInput>>> = Arc::default();
    let log = seen.clone();
    let rule = mock!(ApigwClient::update_usage_plan).then_compute_output(move |i| {
        log.lock().unwrap().push(i.clone());
        UpdateUsagePlanOutput::builder().id("p1").build()
    });
    let c = clients(&[&rule]);
    let mut ex = Executor::for_api(&c, &api(&[]));
    let op = Op::Usage(UsageOp::UpdateUsagePlan {
        name: "basic".into(),
        id: "p1".into(),
        patches,
    });
    assert_eq!(ex.apply_one(&op).await.unwrap(), OpOutcome::Applied);
    assert_eq!(rule.num_calls(), 1);
    let expected = UpdateUsagePlanInput::builder()
        .usage_plan_id("p1")
        .patch_operations(patch(PatchOp::Replace, "/description", "new"))
        .patch_operations(patch(PatchOp::Replace, "/throttle/rateLimit", "0.5"))
        .patch_operations(patch(PatchOp::Replace, "/throttle/burstLimit", "1"))
        .patch_operations(patch(PatchOp::Replace, "/quota/limit", "500"))
        .patch_operations(patch(PatchOp::Replace, "/quota/period", "DAY"))
        .patch_operations(patch(PatchOp::Replace, "/quota/offset", "0"))
        .patch_operations(patch(
            PatchOp::Replace,
            "/apiStages/a1:prod/throttle",
            r#"{"/tasks/POST":{"rateLimit":5.0,"burstLimit":10}}"#,
        ))
        .build()
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![expected]);
}

/// A new plan on a new API: `{api_id}` filled in, stages with their method throttles, quota,
/// tags; the answer's id is then used for the key attachment.
#[tokio::test]
async fn a_new_plan_and_key_are_created_and_attached_with_learned_ids() {
    let seen: Arc<Mutex<Vec<CreateUsagePlanInput>>> = Arc::default();
    let log = seen.clone();
    let keys_seen: Arc<Mutex<Vec<CreateApiKeyInput>>> = Arc::default();
    let klog = keys_seen.clone();
    let rules = [
        mock!(ApigwClient::create_api_key).then_compute_output(move |i| {
            klog.lock().unwrap().push(i.clone());
            CreateApiKeyOutput::builder()
                .id("k9")
                .value("generated-value-never-printed")
                .build()
        }),
        mock!(ApigwClient::create_usage_plan).then_compute_output(move |i| {
            log.lock().unwrap().push(i.clone());
            CreateUsagePlanOutput::builder().id("p9").build()
        }),
        mock!(ApigwClient::create_usage_plan_key)
            .match_requests(|r| {
                r.usage_plan_id() == Some("p9")
                    && r.key_id() == Some("k9")
                    && r.key_type() == Some("API_KEY")
            })
            .then_output(|| CreateUsagePlanKeyOutput::builder().id("k9").build()),
    ];
    let refs: Vec<&Rule> = rules.iter().collect();
    let c = clients(&refs);
    let mut ex = Executor::for_api(&c, &api(&[]));
    let def = UsagePlan {
        description: None,
        throttle: Some(Throttle {
            rate: 20.0,
            burst: 50,
        }),
        quota: Some(Quota {
            limit: 10000,
            period: "MONTH".into(),
            offset: 0,
        }),
        api_stages: BTreeMap::from([(
            "{api_id}:prod".to_string(),
            BTreeMap::from([(
                "//GET".to_string(),
                Throttle {
                    rate: 1.0,
                    burst: 2,
                },
            )]),
        )]),
    };
    let ops = vec![
        Op::Usage(UsageOp::CreateApiKey {
            name: "web".into(),
            description: None,
            enabled: true,
            value_from_env: None,
            tags: tags("task-api", None),
        }),
        Op::Usage(UsageOp::CreateUsagePlan {
            name: "basic".into(),
            def: def.clone(),
            tags: tags("task-api", None),
        }),
        Op::Usage(UsageOp::CreateUsagePlanKey {
            plan: "basic".into(),
            plan_id: "{usage_plan_id:basic}".into(),
            key: "web".into(),
            key_id: "{api_key_id:web}".into(),
        }),
    ];
    let report = ex.run(&ops, &mut |_: ExecEvent| {}).await.unwrap();
    assert_eq!(
        report.outcomes,
        vec![
            OpOutcome::Created { id: "k9".into() },
            OpOutcome::Created { id: "p9".into() },
            OpOutcome::Applied
        ]
    );
    let report_text = format!("{report:?} {}", serde_json::to_string(&report).unwrap());
    assert!(!report_text.contains("generated-value-never-printed"));
    let key = &keys_seen.lock().unwrap()[0];
    assert_eq!(key.value(), None, "AWS generates the value");
    assert_eq!(key.enabled(), Some(true));
    let expected = CreateUsagePlanInput::builder()
        .name("basic")
        .api_stages(
            ApiStage::builder()
                .api_id("a1")
                .stage("prod")
                .throttle(
                    "//GET",
                    ThrottleSettings::builder()
                        .rate_limit(1.0)
                        .burst_limit(2)
                        .build(),
                )
                .build(),
        )
        .throttle(
            ThrottleSettings::builder()
                .rate_limit(20.0)
                .burst_limit(50)
                .build(),
        )
        .quota(
            QuotaSettings::builder()
                .limit(10000)
                .offset(0)
                .period(QuotaPeriodType::Month)
                .build(),
        )
        .tags("gwctl:managed-by", "gwctl")
        .tags("gwctl:api", "task-api")
        .build()
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![expected]);
    assert_eq!(
        throttle_json(&def.api_stages["{api_id}:prod"]),
        r#"{"//GET":{"rateLimit":1.0,"burstLimit":2}}"#
    );
}

/// A key value from the environment is sent to create-api-key and nowhere else; a variable
/// that changed since the plan refuses the op before any request, without printing either
/// value.
#[tokio::test]
async fn a_key_value_comes_from_the_environment_only_as_planned() {
    // The body sets a variable: it runs in a child process of its own, so no other test
    // thread reads the environment while it changes.
    if !crate::support::isolated(
        "a_key_value_comes_from_the_environment_only_as_planned",
        &[],
    ) {
        return;
    }
    const VAR: &str = "GWCTL_OFFLINE_TEST_KEY_VALUE";
    const VALUE: &str = "offline-key-value-0123456789abcdef";
    const OTHER: &str = "offline-other-value-0123456789abcdef";
    let seen: Arc<Mutex<Vec<CreateApiKeyInput>>> = Arc::default();
    let log = seen.clone();
    let rule = mock!(ApigwClient::create_api_key).then_compute_output(move |i| {
        log.lock().unwrap().push(i.clone());
        CreateApiKeyOutput::builder().id("k1").build()
    });
    let c = clients(&[&rule]);
    let mut ex = Executor::for_api(&c, &api(&[]));
    let op = Op::Usage(UsageOp::CreateApiKey {
        name: "partner".into(),
        description: Some("p".into()),
        enabled: true,
        value_from_env: Some(VAR.into()),
        tags: tags(
            "metered",
            Some(&ValueTag::new_keyed(VALUE, gwctl::engine::rest::new_salt()).unwrap()),
        ),
    });
    // The variable is read only by this test and the executor it calls.
    std::env::set_var(VAR, OTHER);
    let err = ex.apply_one(&op).await.unwrap_err();
    assert_eq!(rule.num_calls(), 0, "refused before any request");
    let msg = format!("{err} {err:?}");
    assert!(msg.contains(VAR) && msg.contains("plan again"), "{msg}");
    assert!(!msg.contains(VALUE) && !msg.contains(OTHER), "{msg}");

    std::env::remove_var(VAR);
    let err = ex.apply_one(&op).await.unwrap_err();
    assert!(err.to_string().contains("is not set"), "{err}");

    std::env::set_var(VAR, VALUE);
    let outcome = ex.apply_one(&op).await.unwrap();
    std::env::remove_var(VAR);
    assert_eq!(outcome, OpOutcome::Created { id: "k1".into() });
    let got = seen.lock().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].value(), Some(VALUE));
    assert_eq!(got[0].name(), Some("partner"));
    let t = got[0].tags().unwrap();
    let sent = ValueTag::from_tags(&t.clone().into_iter().collect()).unwrap();
    assert!(sent.matches(VALUE) && !sent.matches(OTHER));
    assert_eq!(t[VALUE_SALT_TAG_KEY].len(), 32);
    assert_eq!(t[VALUE_HMAC_TAG_KEY].len(), 64);
    assert!(!t.contains_key(LEGACY_VALUE_DIGEST_TAG_KEY));
    assert!(!t.values().any(|v| v.contains(&legacy_value_digest(VALUE))));
    assert_eq!(t["gwctl:api"], "metered");
}

/// An earlier gwctl's unsalted tag is migrated on the key itself: tag-resource with the
/// salted pair on the key's ARN, then untag-resource of the unsalted tag.
#[tokio::test]
async fn a_legacy_key_is_re_tagged_on_its_arn() {
    use aws_sdk_apigateway::operation::tag_resource::{TagResourceInput, TagResourceOutput};
    use aws_sdk_apigateway::operation::untag_resource::{UntagResourceInput, UntagResourceOutput};
    let tagged: Arc<Mutex<Vec<TagResourceInput>>> = Arc::default();
    let untagged: Arc<Mutex<Vec<UntagResourceInput>>> = Arc::default();
    let (t_log, u_log) = (tagged.clone(), untagged.clone());
    let tag = mock!(ApigwClient::tag_resource).then_compute_output(move |i| {
        t_log.lock().unwrap().push(i.clone());
        TagResourceOutput::builder().build()
    });
    let untag = mock!(ApigwClient::untag_resource).then_compute_output(move |i| {
        u_log.lock().unwrap().push(i.clone());
        UntagResourceOutput::builder().build()
    });
    let c = clients(&[&tag, &untag]);
    let mut ex = Executor::for_api(&c, &api(&[]));
    let keyed = ValueTag::new_keyed(
        "legacy-key-value-0123456789abcdef",
        gwctl::engine::rest::new_salt(),
    )
    .unwrap();
    for op in [
        UsageOp::TagApiKey {
            name: "partner".into(),
            id: "k9".into(),
            tags: keyed.tags(),
        },
        UsageOp::UntagApiKey {
            name: "partner".into(),
            id: "k9".into(),
            tag_keys: vec![LEGACY_VALUE_DIGEST_TAG_KEY.into()],
        },
    ] {
        assert_eq!(
            ex.apply_one(&Op::Usage(op)).await.unwrap(),
            OpOutcome::Applied
        );
    }
    let t = tagged.lock().unwrap();
    assert_eq!(
        t[0].resource_arn(),
        Some("arn:aws:apigateway:us-east-1::/apikeys/k9")
    );
    let sent: BTreeMap<String, String> = t[0].tags().unwrap().clone().into_iter().collect();
    assert_eq!(sent, keyed.tags());
    let u = untagged.lock().unwrap();
    assert_eq!(
        u[0].resource_arn(),
        Some("arn:aws:apigateway:us-east-1::/apikeys/k9")
    );
    assert_eq!(u[0].tag_keys(), [LEGACY_VALUE_DIGEST_TAG_KEY]);
}

fn http(status: u16, body: &str, error_type: Option<&str>) -> HttpResponse {
    let mut r = HttpResponse::new(
        StatusCode::try_from(status).unwrap(),
        SdkBody::from(body.to_string()),
    );
    if let Some(t) = error_type {
        r.headers_mut().insert("x-amzn-errortype", t.to_string());
    }
    r
}

/// CreateUsagePlanKey answered 409 is "already attached" only when a read-back finds the
/// key in this plan's keys (the error told apart by its type, never its text): no key there
/// is a concurrent modification, tried again; a read that fails leaves the conflict.
#[tokio::test]
async fn a_usage_plan_key_conflict_is_done_only_when_the_key_is_in_this_plan() {
    let attach = Op::Usage(UsageOp::CreateUsagePlanKey {
        plan: "basic".into(),
        plan_id: "p1".into(),
        key: "web".into(),
        key_id: "k1".into(),
    });
    let conflict = || http(409, r#"{"message":"canned"}"#, Some("ConflictException"));
    let in_plan = |r: &aws_sdk_apigateway::operation::get_usage_plan_key::GetUsagePlanKeyInput| {
        r.usage_plan_id() == Some("p1") && r.key_id() == Some("k1")
    };

    // the key is in this plan: done, with one create and one read
    let create = mock!(ApigwClient::create_usage_plan_key).then_http_response(conflict);
    let get = mock!(ApigwClient::get_usage_plan_key)
        .match_requests(in_plan)
        .then_http_response(|| http(200, r#"{"id":"k1","type":"API_KEY","name":"web"}"#, None));
    let c = clients(&[&create, &get]);
    let mut ex = Executor::for_api(&c, &api(&[]));
    assert_eq!(
        ex.apply_one(&attach).await.unwrap(),
        OpOutcome::AlreadyPresent
    );
    assert_eq!((create.num_calls(), get.num_calls()), (1, 1));

    // not in this plan (404): the 409 was not "attached here"; attached on the next attempt
    let create = mock!(ApigwClient::create_usage_plan_key).then_http_response(conflict);
    let missing = mock!(ApigwClient::get_usage_plan_key)
        .match_requests(in_plan)
        .then_http_response(|| http(404, r#"{"message":"canned"}"#, Some("NotFoundException")));
    let again = mock!(ApigwClient::create_usage_plan_key)
        .then_http_response(|| http(201, r#"{"id":"k1","type":"API_KEY"}"#, None));
    let c = clients(&[&create, &missing, &again]);
    let mut ex = Executor::for_api(&c, &api(&[]));
    assert_eq!(ex.apply_one(&attach).await.unwrap(), OpOutcome::Applied);
    assert_eq!(
        (create.num_calls(), missing.num_calls(), again.num_calls()),
        (1, 1, 1)
    );

    // the read-back is refused: the conflict goes up, nothing is taken as attached
    let create = mock!(ApigwClient::create_usage_plan_key).then_http_response(conflict);
    let refused = mock!(ApigwClient::get_usage_plan_key).then_http_response(|| {
        http(
            403,
            r#"{"message":"canned"}"#,
            Some("AccessDeniedException"),
        )
    });
    let c = clients(&[&create, &refused]);
    let mut ex = Executor::for_api(&c, &api(&[]));
    assert_eq!(
        ex.apply_one(&attach).await.unwrap_err().kind,
        ErrorKind::Conflict
    );
    assert_eq!((create.num_calls(), refused.num_calls()), (1, 1));
}
