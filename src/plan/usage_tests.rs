//! Planner tests for authorizers (REST) and for API keys and usage plans: no SDK, no network.
//! The account is the simulator (`simulate` + `simulate_usage`), which refuses what AWS
//! refuses (a method naming a deleted authorizer, a plan covering a stage that does not
//! exist yet, a key attached twice, a plan deleted with stages, ...).

use std::collections::BTreeMap;
use std::path::Path;

use super::rest::desired::{self, DesiredRest};
use super::rest::ops::Op;
use super::rest::simulate;
use super::rest::{plan, plan_destroy};
use super::simulate::SimError;
use super::simulate_usage::apply_all;
use super::usage::{self, AccountUsage, DesiredUsage, KeySource, KeyValueError};
use super::usage_ops::UsageOp;
use super::{Action, Plan, PlanOptions, API_ID};
use crate::spec::model::Spec;
use crate::state::rest::{ObservedRestApi, Policies};
use crate::state::usage::{
    legacy_value_digest, ObservedUsage, ObservedUsagePlan, ValueTag, LEGACY_VALUE_DIGEST_TAG_KEY,
    VALUE_HMAC_TAG_KEY, VALUE_SALT_TAG_KEY,
};
use crate::state::ResolvedFunction;

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";
/// A key value as a test environment holds it (never expected in any plan output).
const SECRET: &str = "s3cr3t-value-0123456789-abcdef";
const SECRET2: &str = "another-s3cr3t-value-9876543210";

/// A fresh salt per call, as the engine draws one (distinct, the right length), without the
/// OS random source.
fn test_salt() -> String {
    use std::sync::atomic::{AtomicU8, Ordering};
    static NEXT: AtomicU8 = AtomicU8::new(1);
    crate::state::usage::salt_from_bytes(
        [NEXT.fetch_add(1, Ordering::Relaxed); crate::state::usage::SALT_LEN],
    )
}

fn spec(yaml: &str) -> Spec {
    let loaded = crate::spec::load_str(Path::new("test.yaml"), yaml);
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.render(false))
        .collect();
    assert!(errors.is_empty(), "spec errors:\n{}", errors.join("\n"));
    loaded.spec.expect("valid spec")
}

fn resolve(spec: &Spec) -> Vec<ResolvedFunction> {
    spec.functions
        .iter()
        .map(|f| {
            let name = f.name_or_arn.value.clone();
            ResolvedFunction {
                key: f.key.value.clone(),
                function_arn: format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"),
                name,
                qualifier: f.qualifier.clone(),
                account: ACCOUNT.into(),
                region: REGION.into(),
            }
        })
        .collect()
}

struct Wanted {
    rest: DesiredRest,
    usage: DesiredUsage,
}

fn wanted(yaml: &str, env: &[(&str, &str)]) -> Wanted {
    let s = spec(yaml);
    let f = resolve(&s);
    let env: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let lookup = |v: &str| env.get(v).cloned();
    Wanted {
        rest: desired::rest(&s, &f, REGION),
        usage: usage::desired(&s, &lookup, &test_salt).expect("key values in the environment"),
    }
}

#[derive(Clone, Default)]
struct Account {
    api: Option<ObservedRestApi>,
    policies: Policies,
    usage: ObservedUsage,
}

/// The plan `gwctl apply` makes: the API's ops, then the keys' and plans'.
fn plan_all(w: &Wanted, a: &Account) -> Plan {
    let mut p = plan(&w.rest, a.api.as_ref(), &a.policies, PlanOptions::default());
    usage::plan_usage(
        &mut p,
        &w.usage,
        &a.usage,
        a.api.as_ref().map(|o| o.id.as_str()),
    );
    one_update_per_plan(&p);
    p
}

fn run(a: &Account, p: &Plan) -> Result<Account, SimError> {
    let (api, policies, usage) =
        apply_all(a.api.clone(), a.policies.clone(), a.usage.clone(), &p.ops)?;
    Ok(Account {
        api: Some(api),
        policies,
        usage,
    })
}

/// Plan, apply in the simulator, and check that planning again finds nothing to do.
fn converge(w: &Wanted, a: &Account) -> (Plan, Account) {
    let p = plan_all(w, a);
    one_update_per_plan(&p);
    let after = run(a, &p).unwrap_or_else(|e| panic!("plan applies cleanly: {e}\n{:#?}", p.ops));
    let again = plan_all(w, &after);
    assert!(
        again.is_empty(),
        "apply then plan should be empty, got {:#?}",
        again.changes
    );
    (p, after)
}

/// update-usage-plan is 1 call per 20 s per account: never two for one plan in one apply.
fn one_update_per_plan(p: &Plan) {
    let mut seen = std::collections::BTreeSet::new();
    for o in &p.ops {
        if let Op::Usage(UsageOp::UpdateUsagePlan { id, .. }) = o {
            assert!(
                seen.insert(id.clone()),
                "two UpdateUsagePlan for {id}: {:#?}",
                p.ops
            );
        }
    }
}

fn names(p: &Plan) -> Vec<&'static str> {
    p.ops.iter().map(|o| o.aws_name()).collect()
}

fn count(p: &Plan, name: &str) -> usize {
    p.ops.iter().filter(|o| o.aws_name() == name).count()
}

fn pos(p: &Plan, pred: impl Fn(&Op) -> bool) -> usize {
    p.ops.iter().position(pred).expect("op present")
}

// ----------------------------------------------------------------------------------------
// Authorizers
// ----------------------------------------------------------------------------------------

const AUTH_SPEC: &str = r#"
api: {name: auth-api}
functions:
  app: auth-app
  tok-fn: auth-token
  req-fn: auth-request
authorizers:
  tok:
    type: token
    function: tok-fn
    identity_source: method.request.header.Authorization
    ttl: 300
  req:
    type: request
    function: req-fn
    identity_sources: [method.request.header.X-Tenant, method.request.querystring.key]
    ttl: 60
  pool:
    type: cognito
    user_pool_arns: [arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc123]
default_auth: tok
routes:
  - {path: /reports, method: GET, function: app}
  - {path: /tenants, method: GET, function: app, auth: req}
  - {path: /me, method: GET, function: app, auth: pool, scopes: [profile, email]}
  - {path: /admin, method: POST, function: app, auth: iam}
  - {path: /health, method: GET, function: app, auth: none}
stages:
  prod: {}
"#;

fn method<'a>(a: &'a Account, path: &str, verb: &str) -> &'a crate::state::rest::Method {
    &a.api.as_ref().unwrap().config.resources[path].methods[verb]
}

#[test]
fn token_request_and_cognito_authorizers_apply_and_converge() {
    let w = wanted(AUTH_SPEC, &[]);
    let (p, a) = converge(&w, &Account::default());
    assert_eq!(count(&p, "CreateAuthorizer"), 3);
    // every authorizer exists before the first method that could name it
    let last_auth = p
        .ops
        .iter()
        .rposition(|o| o.aws_name() == "CreateAuthorizer")
        .unwrap();
    assert!(last_auth < pos(&p, |o| o.aws_name() == "PutMethod"));

    let api = a.api.as_ref().unwrap();
    let tok = &api.config.authorizers["tok"];
    assert_eq!(tok.kind, "TOKEN");
    assert_eq!(tok.ttl_seconds, Some(300));
    assert!(tok
        .authorizer_uri
        .as_deref()
        .unwrap()
        .ends_with("function:auth-token/invocations"));
    let req = &api.config.authorizers["req"];
    assert_eq!(req.kind, "REQUEST");
    assert_eq!(
        req.identity_source.as_deref(),
        Some("method.request.header.X-Tenant, method.request.querystring.key")
    );
    let pool = &api.config.authorizers["pool"];
    assert_eq!(pool.kind, "COGNITO_USER_POOLS");
    assert_eq!(
        pool.ttl_seconds,
        Some(300),
        "the AWS default, sent explicitly"
    );

    // default_auth, per-route override, iam, explicit opt-out, cognito scopes
    let m = method(&a, "/reports", "GET");
    assert_eq!(
        (m.authorization_type.as_str(), m.authorizer.as_deref()),
        ("CUSTOM", Some("tok"))
    );
    let m = method(&a, "/tenants", "GET");
    assert_eq!(
        (m.authorization_type.as_str(), m.authorizer.as_deref()),
        ("CUSTOM", Some("req"))
    );
    let m = method(&a, "/me", "GET");
    assert_eq!(m.authorization_type, "COGNITO_USER_POOLS");
    assert_eq!(m.authorizer.as_deref(), Some("pool"));
    assert_eq!(m.authorization_scopes, vec!["email", "profile"]);
    let m = method(&a, "/admin", "POST");
    assert_eq!(
        (m.authorization_type.as_str(), m.authorizer.as_deref()),
        ("AWS_IAM", None)
    );
    let m = method(&a, "/health", "GET");
    assert_eq!(
        (m.authorization_type.as_str(), m.authorizer.as_deref()),
        ("NONE", None)
    );

    // one permission per Lambda authorizer, scoped to it; one for the integration function
    let arn = |f: &str| format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{f}");
    for (f, auth) in [("auth-token", "tok"), ("auth-request", "req")] {
        let st = &a.policies[&arn(f)];
        assert_eq!(st.len(), 1, "{f}: {st:#?}");
        let id = &api.authorizer_ids[auth];
        assert_eq!(st[0].sid, format!("gwctl-{}-authorizer-{auth}", api.id));
        assert_eq!(
            st[0].source_arn.as_deref(),
            Some(
                format!(
                    "arn:aws:execute-api:{REGION}:{ACCOUNT}:{}/authorizers/{id}",
                    api.id
                )
                .as_str()
            )
        );
    }
    assert_eq!(a.policies[&arn("auth-app")].len(), 1);
}

#[test]
fn changing_one_ttl_updates_only_that_authorizer_in_place() {
    let w = wanted(AUTH_SPEC, &[]);
    let (_, a) = converge(&w, &Account::default());
    let w2 = wanted(&AUTH_SPEC.replace("ttl: 60", "ttl: 120"), &[]);
    let p = plan_all(&w2, &a);
    assert_eq!(
        names(&p),
        vec!["UpdateAuthorizer", "CreateDeployment"],
        "{:#?}",
        p.changes
    );
    match &p.ops[0] {
        Op::UpdateAuthorizer { name, patches } => {
            assert_eq!(name, "req");
            assert_eq!(patches.len(), 1);
            assert_eq!(patches[0].path, "/authorizerResultTtlInSeconds");
            assert_eq!(patches[0].value.as_deref(), Some("120"));
        }
        other => panic!("unexpected {other:?}"),
    }
    let ch = &p.changes[0];
    assert_eq!(
        (ch.kind.as_str(), ch.action),
        ("authorizer", Action::Update)
    );
    assert_eq!(ch.fields[0].field, "ttl");
    assert_eq!(
        (ch.fields[0].old.as_deref(), ch.fields[0].new.as_deref()),
        (Some("60"), Some("120"))
    );
    let ids_before = a.api.as_ref().unwrap().authorizer_ids.clone();
    let after = run(&a, &p).unwrap();
    assert_eq!(
        after.api.as_ref().unwrap().authorizer_ids,
        ids_before,
        "same ids"
    );
    assert!(plan_all(&w2, &after).is_empty());
}

#[test]
fn validation_expression_is_patched_in_place() {
    let w = wanted(AUTH_SPEC, &[]);
    let (_, a) = converge(&w, &Account::default());
    let yaml = AUTH_SPEC.replace(
        "identity_source: method.request.header.Authorization\n    ttl: 300",
        "identity_source: method.request.header.Authorization\n    validation_expression: '^Bearer .+$'\n    ttl: 300",
    );
    assert_ne!(yaml, AUTH_SPEC);
    let w2 = wanted(&yaml, &[]);
    let p = plan_all(&w2, &a);
    assert_eq!(count(&p, "UpdateAuthorizer"), 1);
    assert_eq!(count(&p, "PutMethod"), 0);
    match &p.ops[0] {
        Op::UpdateAuthorizer { patches, .. } => {
            assert_eq!(patches[0].path, "/identityValidationExpression");
            assert_eq!(patches[0].value.as_deref(), Some("^Bearer .+$"));
        }
        other => panic!("unexpected {other:?}"),
    }
    let after = run(&a, &p).unwrap();
    assert!(plan_all(&w2, &after).is_empty());
}

#[test]
fn an_authorizer_still_in_use_is_deleted_after_the_routes_move_away() {
    let w = wanted(AUTH_SPEC, &[]);
    let (_, a) = converge(&w, &Account::default());
    // `req` goes; its route falls back to the default authorizer
    let yaml = AUTH_SPEC
        .replace(
            "  req:\n    type: request\n    function: req-fn\n    identity_sources: [method.request.header.X-Tenant, method.request.querystring.key]\n    ttl: 60\n",
            "",
        )
        .replace(", auth: req}", "}");
    assert!(!yaml.contains("req:"));
    let w2 = wanted(&yaml.replace("  req-fn: auth-request\n", ""), &[]);
    let p = plan_all(&w2, &a);
    let moved = pos(
        &p,
        |o| matches!(o, Op::PutMethod { path, .. } if path == "/tenants"),
    );
    let deleted = pos(
        &p,
        |o| matches!(o, Op::DeleteAuthorizer { name } if name == "req"),
    );
    assert!(moved < deleted, "{:#?}", names(&p));
    let dropped = pos(
        &p,
        |o| matches!(o, Op::DeleteMethod { path, .. } if path == "/tenants"),
    );
    assert!(dropped < moved);
    // the authorizer's permission goes too, nothing else
    let removed: Vec<&str> = p
        .ops
        .iter()
        .filter_map(|o| match o {
            Op::RemovePermission { statement_id, .. } => Some(statement_id.as_str()),
            _ => None,
        })
        .collect();
    let api_id = &a.api.as_ref().unwrap().id;
    assert_eq!(removed, vec![format!("gwctl-{api_id}-authorizer-req")]);
    let after = run(&a, &p).unwrap();
    assert!(plan_all(&w2, &after).is_empty());
    assert!(!after
        .api
        .as_ref()
        .unwrap()
        .config
        .authorizers
        .contains_key("req"));

    // the simulator refuses the other order, as AWS does
    let mut wrong = p.ops.clone();
    let op = wrong.remove(deleted);
    wrong.insert(0, op);
    let err = simulate::apply(a.api.clone(), a.policies.clone(), &wrong).unwrap_err();
    assert!(
        matches!(
            err,
            SimError::Conflict {
                op: "DeleteAuthorizer",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn auth_none_opts_out_of_the_default_and_iam_needs_no_authorizer() {
    let w = wanted(AUTH_SPEC, &[]);
    let health = &w.rest.config.resources["/health"].methods["GET"];
    assert_eq!(health.authorization_type, "NONE");
    assert!(health.authorizer.is_none());
    let admin = &w.rest.config.resources["/admin"].methods["POST"];
    assert_eq!(admin.authorization_type, "AWS_IAM");
    // the CORS-less spec has no OPTIONS; with CORS the preflight stays unauthenticated
    let with_cors = AUTH_SPEC.replace(
        "default_auth: tok\n",
        "default_auth: tok\ncors: {origins: [https://app.example.com]}\n",
    );
    let w2 = wanted(&with_cors, &[]);
    let options = &w2.rest.config.resources["/reports"].methods["OPTIONS"];
    assert_eq!(options.authorization_type, "NONE");
}

#[test]
fn changing_a_routes_scopes_replaces_only_that_method() {
    let w = wanted(AUTH_SPEC, &[]);
    let (_, a) = converge(&w, &Account::default());
    let w2 = wanted(
        &AUTH_SPEC.replace("scopes: [profile, email]", "scopes: [email]"),
        &[],
    );
    let p = plan_all(&w2, &a);
    let methods: Vec<String> = p
        .ops
        .iter()
        .filter_map(|o| match o {
            Op::PutMethod { path, method, def } => {
                assert_eq!(def.authorization_scopes, vec!["email"]);
                Some(format!("{method} {path}"))
            }
            _ => None,
        })
        .collect();
    assert_eq!(methods, vec!["GET /me"]);
    assert_eq!(
        count(&p, "UpdateAuthorizer") + count(&p, "CreateAuthorizer"),
        0
    );
    let after = run(&a, &p).unwrap();
    assert!(plan_all(&w2, &after).is_empty());
}

// ----------------------------------------------------------------------------------------
// API keys and usage plans
// ----------------------------------------------------------------------------------------

fn tasks_yaml() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/specs/tasks-apikey.yaml"
    ))
    .expect("specs/tasks-apikey.yaml")
}

fn usage_ops(p: &Plan) -> Vec<&UsageOp> {
    p.ops
        .iter()
        .filter_map(|o| match o {
            Op::Usage(u) => Some(u),
            _ => None,
        })
        .collect()
}

#[test]
fn tasks_apikey_creates_key_plan_and_attachment_after_the_stage() {
    let w = wanted(&tasks_yaml(), &[]);
    let (p, a) = converge(&w, &Account::default());
    // every route requires a key
    for (path, res) in &w.rest.config.resources {
        for (verb, m) in &res.methods {
            assert_eq!(m.api_key_required, verb != "OPTIONS", "{verb} {path}");
        }
    }
    let stage = pos(&p, |o| matches!(o, Op::CreateStage { .. }));
    let create_plan = pos(&p, |o| {
        matches!(o, Op::Usage(UsageOp::CreateUsagePlan { .. }))
    });
    let attach = pos(&p, |o| {
        matches!(o, Op::Usage(UsageOp::CreateUsagePlanKey { .. }))
    });
    let create_key = pos(&p, |o| matches!(o, Op::Usage(UsageOp::CreateApiKey { .. })));
    assert!(stage < create_plan && create_plan < attach && create_key < attach);
    assert_eq!(usage_ops(&p).len(), 3);
    match &p.ops[create_plan] {
        Op::Usage(UsageOp::CreateUsagePlan { name, def, tags }) => {
            assert_eq!(name, "basic");
            let t = def.throttle.unwrap();
            assert_eq!((t.rate, t.burst), (20.0, 50));
            let q = def.quota.as_ref().unwrap();
            assert_eq!((q.limit, q.period.as_str(), q.offset), (10000, "MONTH", 0));
            assert_eq!(
                def.api_stages.keys().collect::<Vec<_>>(),
                vec![&format!("{API_ID}:prod")]
            );
            assert_eq!(tags["gwctl:managed-by"], "gwctl");
            assert_eq!(tags["gwctl:api"], "task-api");
        }
        other => panic!("unexpected {other:?}"),
    }
    match &p.ops[create_key] {
        Op::Usage(UsageOp::CreateApiKey {
            name,
            enabled,
            value_from_env,
            tags,
            ..
        }) => {
            assert_eq!(name, "web-client");
            assert!(*enabled);
            assert_eq!(*value_from_env, None, "AWS generates the value");
            assert!(!tags.contains_key(VALUE_HMAC_TAG_KEY));
            assert!(!tags.contains_key(VALUE_SALT_TAG_KEY));
            assert!(!tags.contains_key(LEGACY_VALUE_DIGEST_TAG_KEY));
        }
        other => panic!("unexpected {other:?}"),
    }
    let kinds: Vec<(&str, &str)> = p
        .changes
        .iter()
        .filter(|c| ["api_key", "usage_plan", "usage_plan_key"].contains(&c.kind.as_str()))
        .map(|c| (c.kind.as_str(), c.name.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("api_key", "web-client"),
            ("usage_plan", "basic"),
            ("usage_plan_key", "basic/web-client")
        ]
    );
    // the account afterwards: one plan on prod of this API, one key attached
    let api_id = a.api.as_ref().unwrap().id.clone();
    assert_eq!(a.usage.plans.len(), 1);
    assert_eq!(
        a.usage.plans[0].def.api_stages.keys().collect::<Vec<_>>(),
        vec![&format!("{api_id}:prod")]
    );
    assert_eq!(a.usage.keys.len(), 1);
    assert!(a.usage.plans[0].key_ids.contains(&a.usage.keys[0].id));
}

#[test]
fn every_change_to_a_plan_is_one_update_call() {
    let yaml = tasks_yaml();
    let w = wanted(&yaml, &[]);
    let (_, a) = converge(&w, &Account::default());
    let changed = yaml
        .replace("throttle: {rate: 20, burst: 50}", "throttle: {rate: 25.5, burst: 60}")
        .replace(
            "quota: {limit: 10000, period: MONTH}",
            "quota: {limit: 500, period: WEEK, offset: 2}",
        )
        .replace(
            "description: per-API usage plan of seed 000",
            "description: changed\n    method_throttle:\n      \"POST /tasks\": {rate: 5, burst: 10}",
        );
    let w2 = wanted(&changed, &[]);
    let p = plan_all(&w2, &a);
    assert_eq!(names(&p), vec!["UpdateUsagePlan"], "{:#?}", p.changes);
    let Op::Usage(UsageOp::UpdateUsagePlan { patches, id, .. }) = &p.ops[0] else {
        unreachable!()
    };
    assert_eq!(id, &a.usage.plans[0].id);
    let api_id = a.api.as_ref().unwrap().id.clone();
    let got: Vec<(&str, &str, &str)> = patches
        .iter()
        .map(|p| {
            (
                p.op.as_str(),
                p.path.as_str(),
                p.value.as_deref().unwrap_or(""),
            )
        })
        .collect();
    let throttle_path = format!("/apiStages/{api_id}:prod/throttle");
    assert_eq!(
        got,
        vec![
            ("replace", "/description", "changed"),
            ("replace", "/throttle/rateLimit", "25.5"),
            ("replace", "/throttle/burstLimit", "60"),
            ("replace", "/quota/limit", "500"),
            ("replace", "/quota/period", "WEEK"),
            ("replace", "/quota/offset", "2"),
            (
                "replace",
                throttle_path.as_str(),
                r#"{"/tasks/POST":{"rateLimit":5.0,"burstLimit":10}}"#
            ),
        ]
    );
    let fields: Vec<&str> = p.changes[0]
        .fields
        .iter()
        .map(|f| f.field.as_str())
        .collect();
    assert_eq!(
        fields,
        vec![
            "description",
            "throttle",
            "quota",
            "stage prod method_throttle"
        ]
    );
    let after = run(&a, &p).unwrap();
    assert!(plan_all(&w2, &after).is_empty());
    // and back: the method throttle is removed, throttle and quota replaced, still one call
    let p2 = plan_all(&w, &after);
    assert_eq!(names(&p2), vec!["UpdateUsagePlan"]);
    let after2 = run(&after, &p2).unwrap();
    assert!(plan_all(&w, &after2).is_empty());
}

#[test]
fn a_plan_without_throttle_or_quota_gets_them_added_and_keeps_them_when_no_longer_declared() {
    let yaml = tasks_yaml();
    let bare = yaml
        .replace("    throttle: {rate: 20, burst: 50}\n", "")
        .replace("    quota: {limit: 10000, period: MONTH}\n", "");
    let w = wanted(&bare, &[]);
    let (_, a) = converge(&w, &Account::default());
    let w2 = wanted(&yaml, &[]);
    let p = plan_all(&w2, &a);
    let Op::Usage(UsageOp::UpdateUsagePlan { patches, .. }) = &p.ops[0] else {
        panic!("{:#?}", p.ops)
    };
    assert!(patches.iter().all(|x| x.op == "add"), "{patches:#?}");
    let a2 = run(&a, &p).unwrap();
    // Issue 15: a spec that no longer declares `throttle` and `quota` leaves them alone.
    let p2 = plan_all(&w, &a2);
    assert!(p2.is_empty(), "{:#?}", p2.changes);
    let plan = |a: &Account| a.usage.plans[0].def.clone();
    assert_eq!(plan(&run(&a2, &p2).unwrap()), plan(&a2));
    assert!(plan(&a2).throttle.is_some() && plan(&a2).quota.is_some());
}

#[test]
fn a_stage_added_to_a_plan_is_covered_once_it_exists() {
    let yaml = tasks_yaml();
    let w = wanted(&yaml, &[]);
    let (_, a) = converge(&w, &Account::default());
    let two = yaml
        .replace(
            "  prod:\n    description: production\n",
            "  prod:\n    description: production\n  beta: {}\n",
        )
        .replace("stages: [prod]", "stages: [prod, beta]");
    let w2 = wanted(&two, &[]);
    let p = plan_all(&w2, &a);
    let stage = pos(
        &p,
        |o| matches!(o, Op::CreateStage { name, .. } if name == "beta"),
    );
    let update = pos(&p, |o| {
        matches!(o, Op::Usage(UsageOp::UpdateUsagePlan { .. }))
    });
    assert!(stage < update);
    let Op::Usage(UsageOp::UpdateUsagePlan { patches, .. }) = &p.ops[update] else {
        unreachable!()
    };
    let api_id = a.api.as_ref().unwrap().id.clone();
    assert_eq!(patches.len(), 1);
    assert_eq!(
        (
            patches[0].op.as_str(),
            patches[0].path.as_str(),
            patches[0].value.as_deref()
        ),
        ("add", "/apiStages", Some(format!("{api_id}:beta").as_str()))
    );
    run(&a, &p).unwrap();
    // the simulator refuses a plan that covers a stage before it exists
    let mut wrong = p.ops.clone();
    let op = wrong.remove(update);
    wrong.insert(0, op);
    let err = apply_all(a.api.clone(), a.policies.clone(), a.usage.clone(), &wrong).unwrap_err();
    assert!(
        matches!(
            err,
            SimError::Missing {
                op: "UpdateUsagePlan",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn removing_plan_and_key_from_the_spec_deletes_them_in_order() {
    let yaml = tasks_yaml();
    let w = wanted(&yaml, &[]);
    let (_, a) = converge(&w, &Account::default());
    let key_id = a.usage.keys[0].id.clone();
    let plan_id = a.usage.plans[0].id.clone();
    let api_id = a.api.as_ref().unwrap().id.clone();
    let start = yaml.find("api_keys:").unwrap();
    let none = yaml[..start].to_string();
    let w2 = wanted(&none, &[]);
    let p = plan_all(&w2, &a);
    let expected = vec![
        Op::Usage(UsageOp::UpdateUsagePlan {
            name: "basic".into(),
            id: plan_id.clone(),
            patches: vec![super::rest::ops::Patch {
                op: "remove".into(),
                path: "/apiStages".into(),
                value: Some(format!("{api_id}:prod")),
                from: None,
            }],
        }),
        Op::Usage(UsageOp::DeleteUsagePlan {
            name: "basic".into(),
            id: plan_id,
        }),
        Op::Usage(UsageOp::DeleteApiKey {
            name: "web-client".into(),
            id: key_id,
        }),
    ];
    assert_eq!(p.ops, expected, "{:#?}", p.changes);
    let after = run(&a, &p).unwrap();
    assert!(after.usage.plans.is_empty() && after.usage.keys.is_empty());
    assert!(plan_all(&w2, &after).is_empty());
}

#[test]
fn removing_only_the_key_detaches_it_first() {
    let yaml = tasks_yaml();
    let w = wanted(&yaml, &[]);
    let (_, a) = converge(&w, &Account::default());
    let no_key = yaml
        .replace(
            "api_keys:\n  web-client:\n    description: key for the web front end\n    enabled: true\n",
            "",
        )
        .replace("    keys: [web-client]\n", "");
    let w2 = wanted(&no_key, &[]);
    let p = plan_all(&w2, &a);
    assert_eq!(names(&p), vec!["DeleteUsagePlanKey", "DeleteApiKey"]);
    assert_eq!(p.changes.len(), 1, "one change: the key");
    assert_eq!(p.changes[0].kind, "api_key");
    let after = run(&a, &p).unwrap();
    assert!(plan_all(&w2, &after).is_empty());
}

const ENV_SPEC: &str = r#"
api: {name: metered}
functions:
  tasks: list-tasks
routes:
  - {path: /tasks, method: GET, function: tasks, api_key_required: true}
  - {path: /, method: GET, function: tasks, api_key_required: true}
stages:
  prod: {}
api_keys:
  partner: {value_from_env: PARTNER_API_KEY, description: partner}
  legacy: {id: legacy1}
usage_plans:
  basic:
    stages: [prod]
    keys: [partner, legacy]
    method_throttle:
      "GET /": {rate: 1, burst: 2}
"#;

fn with_legacy_key(mut a: Account) -> Account {
    a.usage.key_names.insert("legacy1".into(), "legacy".into());
    a
}

#[test]
fn a_key_value_from_the_environment_is_never_in_the_plan() {
    let w = wanted(ENV_SPEC, &[("PARTNER_API_KEY", SECRET)]);
    let start = with_legacy_key(Account::default());
    let (p, a) = converge(&w, &start);
    let text = serde_json::to_string(&p).unwrap();
    assert!(!text.contains(SECRET), "the value leaked into the plan");
    let Some(Op::Usage(UsageOp::CreateApiKey {
        value_from_env,
        tags,
        ..
    })) = p.ops.iter().find(|o| o.aws_name() == "CreateApiKey")
    else {
        panic!("no CreateApiKey")
    };
    assert_eq!(value_from_env.as_deref(), Some("PARTNER_API_KEY"));
    // a salted, keyed digest; never the unsalted one, in the op or anywhere in the plan
    assert_eq!(tags[VALUE_SALT_TAG_KEY].len(), 32);
    let tag = ValueTag::from_tags(tags).unwrap();
    assert!(matches!(tag, ValueTag::Keyed { .. }));
    assert!(tag.matches(SECRET) && !tag.matches(SECRET2));
    assert!(!tags.contains_key(LEGACY_VALUE_DIGEST_TAG_KEY));
    assert!(!text.contains(&legacy_value_digest(SECRET)));
    assert!(!tags.values().any(|v| v.contains(SECRET)));
    // the referenced key is attached, never created
    assert_eq!(count(&p, "CreateApiKey"), 1);
    assert_eq!(count(&p, "CreateUsagePlanKey"), 2);
    // root method throttle key is `//GET`
    let plan = &a.usage.plans[0];
    let stage = plan.def.api_stages.values().next().unwrap();
    assert_eq!(stage.keys().collect::<Vec<_>>(), vec!["//GET"]);
}

#[test]
fn a_changed_value_replaces_the_key_and_reattaches_it() {
    let w = wanted(ENV_SPEC, &[("PARTNER_API_KEY", SECRET)]);
    let (_, a) = converge(&w, &with_legacy_key(Account::default()));
    let old = a
        .usage
        .keys
        .iter()
        .find(|k| k.name == "partner")
        .unwrap()
        .id
        .clone();
    let w2 = wanted(ENV_SPEC, &[("PARTNER_API_KEY", SECRET2)]);
    let p = plan_all(&w2, &a);
    assert_eq!(
        names(&p),
        vec![
            "CreateApiKey",
            "CreateUsagePlanKey",
            "DeleteUsagePlanKey",
            "DeleteApiKey"
        ],
        "make-before-break: {:#?}",
        p.changes
    );
    assert_eq!(p.changes[0].action, Action::Replace);
    assert_eq!(p.changes[0].kind, "api_key");
    // the replace change owns the create and the old key's detach and delete
    let replace_ops: Vec<&str> = p.changes[0]
        .ops
        .iter()
        .map(|i| p.ops[*i].aws_name())
        .collect();
    assert_eq!(
        replace_ops,
        ["CreateApiKey", "DeleteUsagePlanKey", "DeleteApiKey"]
    );
    // the old key leaves the plan only after the new one has joined it
    let Op::Usage(UsageOp::DeleteUsagePlanKey { key_id, .. }) = &p.ops[2] else {
        panic!("{:#?}", p.ops)
    };
    assert_eq!(key_id, &old);
    let text = serde_json::to_string(&p).unwrap();
    assert!(!text.contains(SECRET) && !text.contains(SECRET2));
    let (_, after) = converge(&w2, &a);
    assert!(after.usage.keys.iter().all(|k| k.id != old));
    // the referenced key was neither touched nor detached
    assert!(after.usage.plans[0].key_ids.contains("legacy1"));
}

#[test]
fn a_rotation_runs_in_plan_order_even_concurrently() {
    // Make-before-break holds only if the executor never starts the old key's removal
    // before the new key is attached: each usage op waits for every op before it.
    let w = wanted(ENV_SPEC, &[("PARTNER_API_KEY", SECRET)]);
    let (_, a) = converge(&w, &with_legacy_key(Account::default()));
    let w2 = wanted(ENV_SPEC, &[("PARTNER_API_KEY", SECRET2)]);
    let p = plan_all(&w2, &a);
    let deps = super::rest::deps::dependencies(&p.ops);
    for (i, d) in deps.iter().enumerate().skip(1) {
        assert!(
            d.contains(&(i - 1)),
            "op {i} does not wait for op {}: {deps:?}",
            i - 1
        );
    }
}

#[test]
fn a_rotation_refused_at_create_api_key_removes_nothing() {
    // AWS refuses CreateApiKey when the new value is already another key's; the run stops
    // at that op. Whatever ran before it must have left the old key working.
    let w = wanted(ENV_SPEC, &[("PARTNER_API_KEY", SECRET)]);
    let (_, a) = converge(&w, &with_legacy_key(Account::default()));
    let old = a.usage.keys.iter().find(|k| k.name == "partner").unwrap();
    let w2 = wanted(ENV_SPEC, &[("PARTNER_API_KEY", SECRET2)]);
    let p = plan_all(&w2, &a);
    let refused = pos(&p, |o| o.aws_name() == "CreateApiKey");
    let before = run(
        &a,
        &Plan {
            ops: p.ops[..refused].to_vec(),
            ..Plan::default()
        },
    )
    .unwrap();
    assert!(
        before.usage.keys.iter().any(|k| k.id == old.id),
        "the old key was deleted before its successor existed: {:#?}",
        p.ops
    );
    assert!(
        before.usage.plans[0].key_ids.contains(&old.id),
        "the old key was detached before its successor existed: {:#?}",
        p.ops
    );
}

/// `a` with key `partner` tagged as gwctl before the salted digest did: only the unsalted
/// `gwctl:value-sha256` of `value`.
fn with_legacy_tag(mut a: Account, value: &str) -> (Account, String) {
    let k = a
        .usage
        .keys
        .iter_mut()
        .find(|k| k.name == "partner")
        .unwrap();
    k.def.value_tag = Some(ValueTag::Legacy(legacy_value_digest(value)));
    let id = k.id.clone();
    (a, id)
}

#[test]
fn a_key_with_the_unsalted_tag_is_re_tagged_not_replaced() {
    let w = wanted(ENV_SPEC, &[("PARTNER_API_KEY", SECRET)]);
    let (_, a) = converge(&w, &with_legacy_key(Account::default()));
    let (legacy, id) = with_legacy_tag(a, SECRET);
    let p = plan_all(&w, &legacy);
    assert_eq!(
        names(&p),
        vec!["TagResource", "UntagResource"],
        "{:#?}",
        p.ops
    );
    assert_eq!(
        (p.changes[0].action, p.changes[0].kind.as_str()),
        (Action::Update, "api_key")
    );
    let Op::Usage(UsageOp::TagApiKey {
        id: tagged, tags, ..
    }) = &p.ops[0]
    else {
        panic!("{:#?}", p.ops)
    };
    assert_eq!(tagged, &id, "the same key");
    assert!(ValueTag::from_tags(tags).unwrap().matches(SECRET));
    let Op::Usage(UsageOp::UntagApiKey { tag_keys, .. }) = &p.ops[1] else {
        panic!("{:#?}", p.ops)
    };
    assert_eq!(tag_keys, &[LEGACY_VALUE_DIGEST_TAG_KEY]);
    // neither the plan nor its file carries the unsalted digest, nor the value
    let text = serde_json::to_string(&p).unwrap();
    assert!(!text.contains(&legacy_value_digest(SECRET)), "{text}");
    assert!(!text.contains(SECRET));
    let after = run(&legacy, &p).unwrap();
    assert!(after.usage.keys.iter().any(|k| k.id == id), "kept");
    assert!(after.usage.plans[0].key_ids.contains(&id), "still attached");
    assert!(plan_all(&w, &after).is_empty(), "migrated once");
}

#[test]
fn a_key_with_the_unsalted_tag_of_another_value_is_replaced() {
    let w = wanted(ENV_SPEC, &[("PARTNER_API_KEY", SECRET)]);
    let (_, a) = converge(&w, &with_legacy_key(Account::default()));
    let (legacy, id) = with_legacy_tag(a, SECRET2);
    let p = plan_all(&w, &legacy);
    assert_eq!(
        names(&p),
        vec![
            "CreateApiKey",
            "CreateUsagePlanKey",
            "DeleteUsagePlanKey",
            "DeleteApiKey"
        ]
    );
    let after = run(&legacy, &p).unwrap();
    assert!(after.usage.keys.iter().all(|k| k.id != id));
    assert!(plan_all(&w, &after).is_empty());
}

#[test]
fn a_saved_plan_with_key_digests_is_the_same_plan_again_only_for_the_same_values() {
    // `apply FILE` plans again and refuses unless it gets exactly the saved ops; each plan
    // draws fresh salts, so the re-plan takes the saved ones.
    let w = wanted(ENV_SPEC, &[("PARTNER_API_KEY", SECRET)]);
    let start = with_legacy_key(Account::default());
    let saved = plan_all(&w, &start).ops;
    let again = wanted(ENV_SPEC, &[("PARTNER_API_KEY", SECRET)]);
    let mut ops = plan_all(&again, &start).ops;
    assert_ne!(ops, saved, "fresh salts");
    usage::reuse_salts(&mut ops, &saved, &again.usage);
    assert_eq!(ops, saved);
    // a variable changed since the plan: still a different plan (refused before any write)
    let changed = wanted(ENV_SPEC, &[("PARTNER_API_KEY", SECRET2)]);
    let mut ops = plan_all(&changed, &start).ops;
    usage::reuse_salts(&mut ops, &saved, &changed.usage);
    assert_ne!(ops, saved);
    // the same for the re-tagging of a legacy key
    let (_, a) = converge(&w, &start);
    let (legacy, _) = with_legacy_tag(a, SECRET);
    let saved = plan_all(&w, &legacy).ops;
    let mut ops = plan_all(&again, &legacy).ops;
    usage::reuse_salts(&mut ops, &saved, &again.usage);
    assert_eq!(ops, saved);
}

#[test]
fn a_referenced_key_is_detached_but_never_deleted() {
    let w = wanted(ENV_SPEC, &[("PARTNER_API_KEY", SECRET)]);
    let (_, a) = converge(&w, &with_legacy_key(Account::default()));
    let without = ENV_SPEC
        .replace("  legacy: {id: legacy1}\n", "")
        .replace("keys: [partner, legacy]", "keys: [partner]");
    let w2 = wanted(&without, &[("PARTNER_API_KEY", SECRET)]);
    let p = plan_all(&w2, &a);
    assert_eq!(names(&p), vec!["DeleteUsagePlanKey"]);
    assert_eq!(p.changes[0].name, "basic/legacy");
    let after = run(&a, &p).unwrap();
    assert!(after.usage.key_names.contains_key("legacy1"));
    assert!(plan_all(&w2, &after).is_empty());
}

#[test]
fn a_key_attached_by_hand_to_a_plan_gwctl_owns_is_detached() {
    let w = wanted(&tasks_yaml(), &[]);
    let (_, mut a) = converge(&w, &Account::default());
    a.usage.key_names.insert("hand1".into(), "by-hand".into());
    a.usage.plans[0].key_ids.insert("hand1".into());
    let p = plan_all(&w, &a);
    assert_eq!(names(&p), vec!["DeleteUsagePlanKey"]);
    assert_eq!(
        (p.changes[0].action, p.changes[0].name.as_str()),
        (Action::Delete, "basic/by-hand")
    );
}

#[test]
fn a_second_plan_or_key_of_the_same_name_is_deleted() {
    let w = wanted(&tasks_yaml(), &[]);
    let (_, mut a) = converge(&w, &Account::default());
    // an interrupted run left copies behind (ids sort after the originals)
    let mut dup_plan = a.usage.plans[0].clone();
    dup_plan.id = "zz-plan".into();
    dup_plan.key_ids.clear();
    a.usage.plans.push(dup_plan);
    let mut dup_key = a.usage.keys[0].clone();
    dup_key.id = "zz-key".into();
    dup_key.created_epoch = Some(i64::MAX);
    a.usage
        .key_names
        .insert("zz-key".into(), dup_key.name.clone());
    a.usage.keys.push(dup_key);
    let p = plan_all(&w, &a);
    assert_eq!(
        names(&p),
        vec!["UpdateUsagePlan", "DeleteUsagePlan", "DeleteApiKey"],
        "{:#?}",
        p.changes
    );
    assert!(p.changes.iter().all(|c| c.name.contains("zz-")));
    let after = run(&a, &p).unwrap();
    assert_eq!((after.usage.plans.len(), after.usage.keys.len()), (1, 1));
    assert!(plan_all(&w, &after).is_empty());
}

#[test]
fn a_plan_left_from_a_deleted_api_is_moved_to_the_new_one() {
    let w = wanted(&tasks_yaml(), &[]);
    let (_, a) = converge(&w, &Account::default());
    // the API is gone (deleted by hand); its plan and key remain
    let orphan = Account {
        api: None,
        policies: BTreeMap::new(),
        usage: a.usage.clone(),
    };
    let p = plan_all(&w, &orphan);
    assert_eq!(count(&p, "CreateUsagePlan"), 0, "the plan is reused");
    assert_eq!(count(&p, "CreateApiKey"), 0, "the key is reused");
    let Some(Op::Usage(UsageOp::UpdateUsagePlan { patches, .. })) =
        p.ops.iter().find(|o| o.aws_name() == "UpdateUsagePlan")
    else {
        panic!("{:#?}", p.ops)
    };
    let old_api = a.api.as_ref().unwrap().id.clone();
    assert_eq!(
        patches[0].value.as_deref(),
        Some(format!("{old_api}:prod").as_str())
    );
    assert_eq!(
        patches[1].value.as_deref(),
        Some(format!("{API_ID}:prod").as_str())
    );
    let after = run(&orphan, &p).unwrap();
    assert!(plan_all(&w, &after).is_empty());
}

#[test]
fn destroy_deletes_plans_and_keys_before_the_api() {
    let w = wanted(ENV_SPEC, &[("PARTNER_API_KEY", SECRET)]);
    let (_, a) = converge(&w, &with_legacy_key(Account::default()));
    let mut p = Plan::default();
    usage::plan_destroy_usage(&mut p, &a.usage);
    usage::append(&mut p, plan_destroy(a.api.as_ref().unwrap(), &a.policies));
    let n = names(&p);
    assert_eq!(*n.last().unwrap(), "DeleteRestApi");
    assert_eq!(
        n[..3],
        ["UpdateUsagePlan", "DeleteUsagePlan", "DeleteApiKey"],
        "{n:?}"
    );
    // every change's ops point at its own calls after appending
    for c in &p.changes {
        for i in &c.ops {
            assert!(*i < p.ops.len());
        }
    }
    let last = p.changes.last().unwrap();
    assert_eq!(last.kind, "rest_api");
    assert_eq!(p.ops[last.ops[0]].aws_name(), "DeleteRestApi");
    let after = run(&a, &p).unwrap();
    assert!(after.usage.plans.is_empty());
    assert!(after.usage.keys.is_empty());
    assert!(after.usage.key_names.contains_key("legacy1"), "not gwctl's");
}

#[test]
fn missing_or_short_key_values_are_reported_per_key() {
    let s = spec(ENV_SPEC);
    let none = |_: &str| None;
    let err = usage::desired(&s, &none, &test_salt).unwrap_err();
    assert_eq!(err.len(), 1);
    assert!(
        matches!(&err[0], KeyValueError::Missing { key, var, .. } if key == "partner" && var == "PARTNER_API_KEY")
    );
    assert!(err[0].pos().line > 0);
    let short = |_: &str| Some("short".to_string());
    let err = usage::desired(&s, &short, &test_salt).unwrap_err();
    assert!(matches!(&err[0], KeyValueError::TooShort { len: 5, .. }));
    assert!(!err[0].to_string().contains("short\""));
    let ok = |_: &str| Some(SECRET.to_string());
    let d = usage::desired(&s, &ok, &test_salt).unwrap();
    assert_eq!(
        d.keys[0].source,
        KeySource::Env {
            var: "PARTNER_API_KEY".into()
        }
    );
    assert_eq!(
        d.keys[1].source,
        KeySource::Existing {
            id: "legacy1".into()
        }
    );
}

#[test]
fn usage_ops_round_trip_through_a_plan_file() {
    let w = wanted(ENV_SPEC, &[("PARTNER_API_KEY", SECRET)]);
    let p = plan_all(&w, &with_legacy_key(Account::default()));
    let text = serde_json::to_string(&p.ops).unwrap();
    assert!(
        text.contains(r#""op":"usage","usage_op":"create_usage_plan""#),
        "{text}"
    );
    let back: Vec<Op> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, p.ops);
    let bad = r#"[{"op":"usage","usage_op":"delete_api_key","name":"k","id":"i","extra":1}]"#;
    assert!(
        serde_json::from_str::<Vec<Op>>(bad).is_err(),
        "unknown fields are refused"
    );
}

/// An account that already holds, beside anything of the spec's API: a usage plan `basic`
/// and a key `web-client` gwctl made for another API, and a plan `basic` and a key
/// `web-client` made by hand (no tags); each plan has its key attached.
fn others() -> AccountUsage {
    let mine = |api: &str| {
        BTreeMap::from([
            ("gwctl:managed-by".to_string(), "gwctl".to_string()),
            ("gwctl:api".to_string(), api.to_string()),
        ])
    };
    let plan = |id: &str, key: &str| ObservedUsagePlan {
        id: id.into(),
        name: "basic".into(),
        def: crate::state::usage::UsagePlan {
            api_stages: BTreeMap::from([("otherapi:prod".to_string(), BTreeMap::new())]),
            ..Default::default()
        },
        key_ids: [key.to_string()].into(),
    };
    let key = |id: &str| crate::state::usage::ObservedApiKey {
        id: id.into(),
        name: "web-client".into(),
        created_epoch: Some(1),
        def: crate::state::usage::ApiKey {
            enabled: true,
            ..Default::default()
        },
    };
    AccountUsage {
        plans: vec![
            (plan("other-plan", "other-key"), mine("other-api")),
            (plan("hand-plan", "hand-key"), BTreeMap::new()),
        ],
        keys: vec![
            (key("other-key"), mine("other-api")),
            (key("hand-key"), BTreeMap::new()),
        ],
    }
}

const OTHER_IDS: [&str; 4] = ["other-plan", "hand-plan", "other-key", "hand-key"];

#[test]
fn specs_without_keys_or_plans_plan_no_usage_ops_and_keep_other_plans() {
    let todo =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/specs/todo.yaml")).unwrap();
    let w = wanted(&todo, &[]);
    assert!(w.usage.is_empty());
    let account = others();
    let start = Account {
        usage: usage::owned_usage(&account, &w.usage.api_name),
        ..Account::default()
    };
    // Every key's name is known (labels, keys referenced by id), none is the spec's to change.
    assert_eq!(start.usage.key_names.len(), 2);
    let (p, after) = converge(&w, &start);
    assert!(usage_ops(&p).is_empty(), "{:#?}", p.changes);
    let text = serde_json::to_string(&p).unwrap();
    for id in OTHER_IDS {
        assert!(!text.contains(id), "the plan touches {id}");
    }
    assert_eq!(after.usage.key_names.len(), 2, "no key deleted");

    // The same account, with a spec that declares a plan `basic` and a key `web-client`:
    // gwctl makes its own, and never updates, adopts, detaches or deletes the others.
    let w = wanted(&tasks_yaml(), &[]);
    let start = Account {
        usage: usage::owned_usage(&account, &w.usage.api_name),
        ..Account::default()
    };
    let (p, after) = converge(&w, &start);
    assert_eq!(count(&p, "CreateUsagePlan"), 1);
    assert_eq!(count(&p, "CreateApiKey"), 1);
    let text = serde_json::to_string(&p).unwrap();
    for id in OTHER_IDS {
        assert!(!text.contains(id), "the plan touches {id}: {:#?}", p.ops);
    }
    for id in ["other-key", "hand-key"] {
        assert!(after.usage.key_names.contains_key(id), "{id} deleted");
    }

    // And what the planner would do with them if they were its own: delete them all. So
    // the ownership rule, not luck, is what keeps them.
    let mut all = account.clone();
    let tags = all
        .plans
        .iter_mut()
        .map(|(_, t)| t)
        .chain(all.keys.iter_mut().map(|(_, t)| t));
    for t in tags {
        t.insert("gwctl:managed-by".into(), "gwctl".into());
        t.insert("gwctl:api".into(), "todo-api".into());
    }
    let w = wanted(&todo, &[]);
    let owned = Account {
        usage: usage::owned_usage(&all, "todo-api"),
        ..Account::default()
    };
    let p = plan_all(&w, &owned);
    assert_eq!(count(&p, "DeleteUsagePlan"), 2, "{:#?}", p.ops);
    assert_eq!(count(&p, "DeleteApiKey"), 2, "{:#?}", p.ops);
}
