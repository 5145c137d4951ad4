//! Looking before re-creating (`gwctl::aws::recover`), offline: a scripted service stands in
//! for AWS behind gwctl's real paced transport. A create whose connection is dropped (after
//! the service "applied" it, or before) is followed by a lookup of the object by identity;
//! found, its id is adopted and no second create is sent; not found, the create is sent once
//! more. Each test asserts the exact request sequence.

use std::collections::BTreeMap;

use gwctl::aws::error::ErrorKind;
use gwctl::aws::exec::http::HttpExecutor;
use gwctl::aws::exec::rest::Executor;
use gwctl::aws::exec::OpOutcome;
use gwctl::aws::recover::CREATE_ATTEMPTS;
use gwctl::aws::Clients;
use gwctl::plan::http::ops::HttpOp;
use gwctl::plan::rest::ops::Op;
use gwctl::plan::usage_ops::UsageOp;
use gwctl::state::http::{Integration, Route, Stage};
use gwctl::state::rest::Authorizer;
use gwctl::state::usage::UsagePlan;
use gwctl::state::{OWNER_TAG_KEY, OWNER_TAG_VALUE};

use crate::support::scripted::{clients, created, lost_then, ok, Reply};

fn owner_tags() -> BTreeMap<String, String> {
    [(OWNER_TAG_KEY.to_string(), OWNER_TAG_VALUE.to_string())].into()
}

// ---------------------------------------------------------------------------------------
// REST
// ---------------------------------------------------------------------------------------

fn create_rest_api() -> Op {
    Op::CreateRestApi {
        name: "todo-api".into(),
        description: None,
        endpoint_type: "REGIONAL".into(),
        binary_media_types: vec![],
        api_key_source: None,
        policy: None,
        vpc_endpoint_ids: vec![],
        tags: owner_tags(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_rest_api_whose_create_answer_was_lost_is_found_and_adopted() {
    let (c, fake) = clients(|r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/restapis") => lost_then(n, created(r#"{"id":"dup"}"#)),
        // a foreign API of the same name (no ownership tag) and the one the lost call made
        ("GET", "/restapis") => ok(r#"{"item":[
            {"id":"foreign","name":"todo-api","createdDate":1},
            {"id":"a1","name":"todo-api","createdDate":2,"tags":{"gwctl:managed-by":"gwctl"}}]}"#),
        ("GET", "/restapis/a1/resources") => ok(r#"{"item":[{"id":"root1","path":"/"}]}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = Executor::new(&c);
    let outcome = ex.apply_one(&create_rest_api()).await.unwrap();
    assert_eq!(outcome, OpOutcome::Adopted { id: "a1".into() });
    assert_eq!(
        fake.requests(),
        [
            "POST /restapis",
            "GET /restapis",
            "GET /restapis/a1/resources"
        ]
    );
    assert_eq!(ex.api_id.as_deref(), Some("a1"));
    assert_eq!(ex.resource_ids.get("/").map(String::as_str), Some("root1"));
}

#[tokio::test(start_paused = true)]
async fn a_rest_api_whose_create_never_arrived_is_created_once_more() {
    let (c, fake) = clients(|r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/restapis") => lost_then(
            n,
            created(r#"{"id":"a2","name":"todo-api","rootResourceId":"root2"}"#),
        ),
        // only a foreign API of that name: not ours, not adopted
        ("GET", "/restapis") => ok(r#"{"item":[{"id":"foreign","name":"todo-api"}]}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = Executor::new(&c);
    let outcome = ex.apply_one(&create_rest_api()).await.unwrap();
    assert_eq!(outcome, OpOutcome::Created { id: "a2".into() });
    assert_eq!(
        fake.requests(),
        ["POST /restapis", "GET /restapis", "POST /restapis"]
    );
    let bodies = fake.bodies("POST", "/restapis");
    assert_eq!(bodies[0], bodies[1], "the same create, sent again");
    assert_eq!(ex.resource_ids.get("/").map(String::as_str), Some("root2"));
}

#[tokio::test(start_paused = true)]
async fn creates_that_never_get_an_answer_stop_after_the_bounded_attempts() {
    let (c, fake) = clients(|r, _| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/restapis") => Reply::Drop,
        ("GET", "/restapis") => ok(r#"{"item":[]}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = Executor::new(&c);
    let err = ex.apply_one(&create_rest_api()).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transport);
    let expected: Vec<&str> = (0..CREATE_ATTEMPTS)
        .flat_map(|_| ["POST /restapis", "GET /restapis"])
        .collect();
    assert_eq!(fake.requests(), expected);
}

/// A 5xx answer to a create may come after the service applied it (AWS does not say): it is
/// handled like a lost answer, looked up first; found, adopted; not found, sent again.
#[tokio::test(start_paused = true)]
async fn a_create_answered_with_a_server_error_is_looked_up_before_it_is_sent_again() {
    let internal = || {
        Reply::Json(
            500,
            r#"{"__type":"InternalFailure","message":"internal"}"#.into(),
        )
    };
    // applied despite the 500: adopted
    let (c, fake) = clients(move |r, _| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/restapis/a1/resources/root1") => internal(),
        ("GET", "/restapis/a1/resources") => ok(r#"{"item":[
            {"id":"root1","path":"/"},{"id":"t1","path":"/todos","parentId":"root1"}]}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = executor_on_a1(&c);
    let outcome = ex.apply_one(&create_todos()).await.unwrap();
    assert_eq!(outcome, OpOutcome::Adopted { id: "t1".into() });
    assert_eq!(
        fake.requests(),
        [
            "POST /restapis/a1/resources/root1",
            "GET /restapis/a1/resources"
        ]
    );
    // not applied: sent once more, after the lookup
    let (c, fake) = clients(move |r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/restapis/a1/resources/root1") if n == 0 => internal(),
        ("POST", "/restapis/a1/resources/root1") => created(r#"{"id":"t2","path":"/todos"}"#),
        ("GET", "/restapis/a1/resources") => ok(r#"{"item":[{"id":"root1","path":"/"}]}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = executor_on_a1(&c);
    let outcome = ex.apply_one(&create_todos()).await.unwrap();
    assert_eq!(outcome, OpOutcome::Created { id: "t2".into() });
    assert_eq!(
        fake.requests(),
        [
            "POST /restapis/a1/resources/root1",
            "GET /restapis/a1/resources",
            "POST /restapis/a1/resources/root1"
        ]
    );
}

fn executor_on_a1(c: &Clients) -> Executor<'_> {
    let mut ex = Executor::new(c);
    ex.api_id = Some("a1".into());
    ex.resource_ids.insert("/".into(), "root1".into());
    ex
}

fn create_todos() -> Op {
    Op::CreateResource {
        path: "/todos".into(),
        parent: "/".into(),
        path_part: "todos".into(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_resource_whose_create_answer_was_lost_is_adopted_not_duplicated() {
    let (c, fake) = clients(|r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/restapis/a1/resources/root1") => lost_then(n, created(r#"{"id":"dup"}"#)),
        ("GET", "/restapis/a1/resources") => ok(r#"{"item":[
            {"id":"root1","path":"/"},{"id":"t1","path":"/todos","parentId":"root1"}]}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = executor_on_a1(&c);
    let outcome = ex.apply_one(&create_todos()).await.unwrap();
    assert_eq!(outcome, OpOutcome::Adopted { id: "t1".into() });
    assert_eq!(
        fake.requests(),
        [
            "POST /restapis/a1/resources/root1",
            "GET /restapis/a1/resources"
        ]
    );
    assert_eq!(
        ex.resource_ids.get("/todos").map(String::as_str),
        Some("t1")
    );
}

#[tokio::test(start_paused = true)]
async fn a_resource_that_was_not_created_is_created_once_more() {
    let (c, fake) = clients(|r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/restapis/a1/resources/root1") => {
            lost_then(n, created(r#"{"id":"t2","path":"/todos"}"#))
        }
        ("GET", "/restapis/a1/resources") => ok(r#"{"item":[{"id":"root1","path":"/"}]}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = executor_on_a1(&c);
    let outcome = ex.apply_one(&create_todos()).await.unwrap();
    assert_eq!(outcome, OpOutcome::Created { id: "t2".into() });
    assert_eq!(
        fake.requests(),
        [
            "POST /restapis/a1/resources/root1",
            "GET /restapis/a1/resources",
            "POST /restapis/a1/resources/root1"
        ]
    );
}

fn create_authorizer() -> Op {
    Op::CreateAuthorizer {
        name: "tok".into(),
        def: Authorizer {
            kind: "TOKEN".into(),
            identity_source: Some("method.request.header.Authorization".into()),
            ..Default::default()
        },
    }
}

#[tokio::test(start_paused = true)]
async fn a_rest_authorizer_is_looked_up_by_name_after_a_lost_answer() {
    // found: adopted, no second create
    let (c, fake) = clients(|r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/restapis/a1/authorizers") => lost_then(n, created(r#"{"id":"dup"}"#)),
        ("GET", "/restapis/a1/authorizers") => ok(r#"{"item":[
            {"id":"other","name":"cognito"},{"id":"au1","name":"tok"}]}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = executor_on_a1(&c);
    let outcome = ex.apply_one(&create_authorizer()).await.unwrap();
    assert_eq!(outcome, OpOutcome::Adopted { id: "au1".into() });
    assert_eq!(
        fake.requests(),
        [
            "POST /restapis/a1/authorizers",
            "GET /restapis/a1/authorizers"
        ]
    );
    assert_eq!(
        ex.authorizer_ids.get("tok").map(String::as_str),
        Some("au1")
    );

    // not found (only another authorizer): one more create
    let (c, fake) = clients(|r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/restapis/a1/authorizers") => {
            lost_then(n, created(r#"{"id":"au2","name":"tok"}"#))
        }
        ("GET", "/restapis/a1/authorizers") => ok(r#"{"item":[{"id":"other","name":"cognito"}]}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = executor_on_a1(&c);
    let outcome = ex.apply_one(&create_authorizer()).await.unwrap();
    assert_eq!(outcome, OpOutcome::Created { id: "au2".into() });
    assert_eq!(
        fake.requests(),
        [
            "POST /restapis/a1/authorizers",
            "GET /restapis/a1/authorizers",
            "POST /restapis/a1/authorizers"
        ]
    );
}

fn usage_tags() -> BTreeMap<String, String> {
    let mut t = owner_tags();
    t.insert("gwctl:api".into(), "task-api".into());
    t
}

#[tokio::test(start_paused = true)]
async fn api_keys_and_usage_plans_are_looked_up_by_name_and_tags_after_a_lost_answer() {
    let key = Op::Usage(UsageOp::CreateApiKey {
        name: "partner".into(),
        description: None,
        enabled: true,
        value_from_env: None,
        tags: usage_tags(),
    });
    let plan = Op::Usage(UsageOp::CreateUsagePlan {
        name: "basic".into(),
        def: UsagePlan::default(),
        tags: usage_tags(),
    });
    // found: adopted (a same-named key of another API is not)
    let (c, fake) = clients(|r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/apikeys") | ("POST", "/usageplans") => lost_then(n, created(r#"{"id":"x"}"#)),
        ("GET", "/apikeys") => ok(r#"{"item":[
            {"id":"k0","name":"partner","tags":{"gwctl:managed-by":"gwctl","gwctl:api":"other"}},
            {"id":"k1","name":"partner","tags":{"gwctl:managed-by":"gwctl","gwctl:api":"task-api"}}]}"#),
        ("GET", "/usageplans") => ok(r#"{"item":[
            {"id":"p1","name":"basic","tags":{"gwctl:managed-by":"gwctl","gwctl:api":"task-api"}}]}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = executor_on_a1(&c);
    assert_eq!(
        ex.apply_one(&key).await.unwrap(),
        OpOutcome::Adopted { id: "k1".into() }
    );
    assert_eq!(
        ex.apply_one(&plan).await.unwrap(),
        OpOutcome::Adopted { id: "p1".into() }
    );
    assert_eq!(
        fake.requests(),
        [
            "POST /apikeys",
            "GET /apikeys",
            "POST /usageplans",
            "GET /usageplans"
        ]
    );
    assert_eq!(
        ex.usage_ids.get("{api_key_id:partner}").map(String::as_str),
        Some("k1")
    );
    assert_eq!(
        ex.usage_ids
            .get("{usage_plan_id:basic}")
            .map(String::as_str),
        Some("p1")
    );

    // not found: each created once more
    let (c, fake) = clients(|r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/apikeys") => lost_then(n, created(r#"{"id":"k2"}"#)),
        ("POST", "/usageplans") => lost_then(n, created(r#"{"id":"p2"}"#)),
        ("GET", "/apikeys") | ("GET", "/usageplans") => ok(r#"{"item":[]}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = executor_on_a1(&c);
    assert_eq!(
        ex.apply_one(&key).await.unwrap(),
        OpOutcome::Created { id: "k2".into() }
    );
    assert_eq!(
        ex.apply_one(&plan).await.unwrap(),
        OpOutcome::Created { id: "p2".into() }
    );
    assert_eq!(
        fake.requests(),
        [
            "POST /apikeys",
            "GET /apikeys",
            "POST /apikeys",
            "POST /usageplans",
            "GET /usageplans",
            "POST /usageplans"
        ]
    );
}

/// CreateApiKey answered ConflictException: the value is another key's. Final through the
/// real transport: one create, one look (in case it was this op's own key), no retry, and
/// an error that is not a Conflict (which would make the apply plan again and retry).
#[tokio::test(start_paused = true)]
async fn a_create_api_key_conflict_is_final_unless_the_key_is_ours() {
    let key = Op::Usage(UsageOp::CreateApiKey {
        name: "partner".into(),
        description: None,
        enabled: true,
        value_from_env: None,
        tags: usage_tags(),
    });
    let conflict = || {
        Reply::Json(
            409,
            r#"{"__type":"ConflictException","message":"API Key already exists"}"#.into(),
        )
    };
    let (c, fake) = clients(move |r, _| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/apikeys") => conflict(),
        ("GET", "/apikeys") => ok(r#"{"item":[
            {"id":"k0","name":"someone-else","tags":{}}]}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = executor_on_a1(&c);
    let err = ex.apply_one(&key).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::AlreadyExists, "{err:?}");
    assert!(
        err.to_string()
            .contains("api key `partner` was not created"),
        "{err}"
    );
    assert_eq!(fake.requests(), ["POST /apikeys", "GET /apikeys"]);

    // The first answer was lost and the key was made then: the second create meets our
    // own key, which the look finds and adopts.
    let (c, fake) = clients(move |r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/apikeys") if n == 0 => Reply::Drop,
        ("POST", "/apikeys") => conflict(),
        ("GET", "/apikeys") if n == 0 => ok(r#"{"item":[]}"#),
        ("GET", "/apikeys") => ok(r#"{"item":[
            {"id":"k1","name":"partner","tags":{"gwctl:managed-by":"gwctl","gwctl:api":"task-api"}}]}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = executor_on_a1(&c);
    assert_eq!(
        ex.apply_one(&key).await.unwrap(),
        OpOutcome::Adopted { id: "k1".into() }
    );
    assert_eq!(
        fake.requests(),
        [
            "POST /apikeys",
            "GET /apikeys",
            "POST /apikeys",
            "GET /apikeys"
        ]
    );
}

const FN: &str = "arn:aws:lambda:us-east-1:123456789012:function:todo-list";
const POLICY_PATH: &str = "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Atodo-list/policy";

fn add_permission() -> Op {
    Op::AddPermission {
        function: FN.into(),
        function_key: "list".into(),
        statement_id: "gwctl-{api_id}-todo-list".into(),
        source_arn: "arn:aws:execute-api:us-east-1:123456789012:{api_id}/*".into(),
    }
}

fn policy_with_statement() -> Reply {
    let statement = serde_json::json!({
        "Sid": "gwctl-a1-todo-list",
        "Effect": "Allow",
        "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": FN,
        "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:a1/*"}}
    });
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [statement]});
    ok(&serde_json::json!({"Policy": policy.to_string(), "RevisionId": "r"}).to_string())
}

fn no_policy() -> Reply {
    Reply::Json(
        404,
        r#"{"__type":"ResourceNotFoundException","Message":"no policy"}"#.into(),
    )
}

#[tokio::test(start_paused = true)]
async fn a_permission_whose_answer_was_lost_is_found_in_the_policy_not_added_twice() {
    let (c, fake) = clients(|r, n| match (r.method.as_str(), r.path.as_str()) {
        // the look before adding finds nothing; the add is applied, its answer lost
        ("GET", POLICY_PATH) if n == 0 => no_policy(),
        ("GET", POLICY_PATH) => policy_with_statement(),
        ("POST", POLICY_PATH) => lost_then(n, created(r#"{"Statement":"{}"}"#)),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = executor_on_a1(&c);
    let outcome = ex.apply_one(&add_permission()).await.unwrap();
    assert_eq!(outcome, OpOutcome::AlreadyPresent);
    let p = |m: &str| format!("{m} {POLICY_PATH}");
    assert_eq!(fake.requests(), [p("GET"), p("POST"), p("GET")]);
}

#[tokio::test(start_paused = true)]
async fn a_permission_that_was_not_added_is_added_once_more() {
    let (c, fake) = clients(|r, n| match (r.method.as_str(), r.path.as_str()) {
        ("GET", POLICY_PATH) => no_policy(),
        ("POST", POLICY_PATH) => lost_then(n, created(r#"{"Statement":"{}"}"#)),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = executor_on_a1(&c);
    let outcome = ex.apply_one(&add_permission()).await.unwrap();
    assert_eq!(outcome, OpOutcome::Applied);
    let p = |m: &str| format!("{m} {POLICY_PATH}");
    assert_eq!(fake.requests(), [p("GET"), p("POST"), p("GET"), p("POST")]);
}

/// ResourceConflictException with no such statement on lookup: the policy was being changed
/// by someone else (a concurrent modification); the add is tried again after a backoff.
#[tokio::test(start_paused = true)]
async fn a_permission_conflict_without_the_statement_is_retried_as_a_concurrent_change() {
    let (c, fake) = clients(|r, n| match (r.method.as_str(), r.path.as_str()) {
        ("GET", POLICY_PATH) => no_policy(),
        ("POST", POLICY_PATH) if n == 0 => Reply::Json(
            409,
            r#"{"__type":"ResourceConflictException","message":"in progress"}"#.into(),
        ),
        ("POST", POLICY_PATH) => created(r#"{"Statement":"{}"}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = executor_on_a1(&c);
    let outcome = ex.apply_one(&add_permission()).await.unwrap();
    assert_eq!(outcome, OpOutcome::Applied);
    let p = |m: &str| format!("{m} {POLICY_PATH}");
    assert_eq!(fake.requests(), [p("GET"), p("POST"), p("GET"), p("POST")]);
}

/// CreateStage answered ConflictException (an attempt whose answer was lost made it): the
/// stage is adopted and still given the op's deployment, description, variables and tracing.
#[tokio::test(start_paused = true)]
async fn a_rest_stage_that_exists_is_adopted_and_given_the_op_settings() {
    let (c, fake) = clients(|r, _| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/restapis/a1/stages") => Reply::Json(
            409,
            r#"{"__type":"ConflictException","message":"Stage already exists"}"#.into(),
        ),
        ("GET", "/restapis/a1/stages") => ok(
            r#"{"item":[{"stageName":"prod","deploymentId":"old","variables":{"stale":"1","keep":"v"},"tracingEnabled":false}]}"#,
        ),
        ("PATCH", "/restapis/a1/stages/prod") => ok(r#"{"stageName":"prod"}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = executor_on_a1(&c);
    ex.deployment_id = Some("d9".into());
    let op = Op::CreateStage {
        name: "prod".into(),
        description: Some("production".into()),
        variables: [("keep".to_string(), "v".to_string())].into(),
        tracing_enabled: true,
    };
    let outcome = ex.apply_one(&op).await.unwrap();
    assert_eq!(outcome, OpOutcome::Adopted { id: "prod".into() });
    assert_eq!(
        fake.requests(),
        [
            "POST /restapis/a1/stages",
            "GET /restapis/a1/stages",
            "PATCH /restapis/a1/stages/prod"
        ]
    );
    assert_eq!(
        fake.bodies("PATCH", "/restapis/a1/stages/prod")[0],
        serde_json::json!({"patchOperations": [
            {"op": "replace", "path": "/deploymentId", "value": "d9"},
            {"op": "replace", "path": "/description", "value": "production"},
            {"op": "remove", "path": "/variables/stale"},
            {"op": "replace", "path": "/tracingEnabled", "value": "true"}
        ]})
    );
}

// ---------------------------------------------------------------------------------------
// HTTP APIs
// ---------------------------------------------------------------------------------------

fn http_executor(c: &Clients) -> HttpExecutor<'_> {
    let mut ex = HttpExecutor::new(c);
    ex.api_id = Some("h1".into());
    ex
}

#[tokio::test(start_paused = true)]
async fn an_http_api_whose_create_answer_was_lost_is_found_by_name_and_tags() {
    let op = HttpOp::CreateApi {
        name: "items".into(),
        description: None,
        disable_execute_api_endpoint: false,
        cors: None,
        tags: owner_tags(),
    };
    let list = r#"{"items":[
        {"apiId":"foreign","name":"items","protocolType":"HTTP","routeSelectionExpression":"x"},
        {"apiId":"h1","name":"items","protocolType":"HTTP","routeSelectionExpression":"x","tags":{"gwctl:managed-by":"gwctl"}}]}"#;
    let (c, fake) = clients(move |r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/v2/apis") => lost_then(n, created(r#"{"apiId":"dup"}"#)),
        ("GET", "/v2/apis") => ok(list),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = HttpExecutor::new(&c);
    assert_eq!(
        ex.apply_one(&op).await.unwrap(),
        OpOutcome::Adopted { id: "h1".into() }
    );
    assert_eq!(fake.requests(), ["POST /v2/apis", "GET /v2/apis"]);
    assert_eq!(ex.api_id.as_deref(), Some("h1"));

    let (c, fake) = clients(|r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/v2/apis") => lost_then(n, created(r#"{"apiId":"h2","name":"items"}"#)),
        ("GET", "/v2/apis") => ok(r#"{"items":[]}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = HttpExecutor::new(&c);
    assert_eq!(
        ex.apply_one(&op).await.unwrap(),
        OpOutcome::Created { id: "h2".into() }
    );
    assert_eq!(
        fake.requests(),
        ["POST /v2/apis", "GET /v2/apis", "POST /v2/apis"]
    );
}

#[tokio::test(start_paused = true)]
async fn http_routes_integrations_and_authorizers_are_looked_up_after_a_lost_answer() {
    let integration = Integration {
        kind: "AWS_PROXY".into(),
        uri: FN.into(),
        payload_format_version: Some("2.0".into()),
        ..Default::default()
    };
    let ops = [
        HttpOp::CreateIntegration {
            key: format!("lambda:{FN}"),
            def: integration.clone(),
        },
        HttpOp::CreateAuthorizer {
            name: "jwt".into(),
            def: gwctl::state::http::Authorizer {
                kind: "JWT".into(),
                identity_source: vec!["$request.header.Authorization".into()],
                issuer: Some("https://issuer".into()),
                audience: vec!["me".into()],
                ..Default::default()
            },
        },
        HttpOp::CreateRoute {
            route_key: "GET /items".into(),
            def: Route {
                target: Some(format!("lambda:{FN}")),
                authorization_type: "NONE".into(),
                ..Default::default()
            },
        },
    ];
    // found: each adopted, no second create; the integration already known (`i0`, same
    // configuration) and one with another payload version are not taken
    let (c, fake) = clients(|r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", _) => lost_then(n, created(r#"{"integrationId":"dup"}"#)),
        ("GET", "/v2/apis/h1/integrations") => ok(&format!(
            r#"{{"items":[
            {{"integrationId":"i0","integrationType":"AWS_PROXY","integrationUri":"{FN}","payloadFormatVersion":"2.0"}},
            {{"integrationId":"i1","integrationType":"AWS_PROXY","integrationUri":"{FN}","payloadFormatVersion":"1.0"}},
            {{"integrationId":"i2","integrationType":"AWS_PROXY","integrationUri":"{FN}","payloadFormatVersion":"2.0"}}]}}"#
        )),
        ("GET", "/v2/apis/h1/authorizers") => ok(
            r#"{"items":[{"authorizerId":"z1","name":"jwt","authorizerType":"JWT","identitySource":["$request.header.Authorization"]}]}"#,
        ),
        ("GET", "/v2/apis/h1/routes") => ok(
            r#"{"items":[{"routeId":"r0","routeKey":"GET /other"},{"routeId":"r1","routeKey":"GET /items"}]}"#,
        ),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = http_executor(&c);
    ex.integration_ids.insert("lambda:old".into(), "i0".into());
    let outcomes: Vec<OpOutcome> = {
        let mut v = Vec::new();
        for op in &ops {
            v.push(ex.apply_one(op).await.unwrap());
        }
        v
    };
    assert_eq!(
        outcomes,
        [
            OpOutcome::Adopted { id: "i2".into() },
            OpOutcome::Adopted { id: "z1".into() },
            OpOutcome::Adopted { id: "r1".into() }
        ]
    );
    assert_eq!(
        fake.requests(),
        [
            "POST /v2/apis/h1/integrations",
            "GET /v2/apis/h1/integrations",
            "POST /v2/apis/h1/authorizers",
            "GET /v2/apis/h1/authorizers",
            "POST /v2/apis/h1/routes",
            "GET /v2/apis/h1/routes"
        ]
    );
    assert_eq!(
        ex.route_ids.get("GET /items").map(String::as_str),
        Some("r1")
    );

    // not found: each created once more
    let (c, fake) = clients(|r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/v2/apis/h1/integrations") => lost_then(n, created(r#"{"integrationId":"i9"}"#)),
        ("POST", "/v2/apis/h1/authorizers") => lost_then(n, created(r#"{"authorizerId":"z9"}"#)),
        ("POST", "/v2/apis/h1/routes") => lost_then(n, created(r#"{"routeId":"r9"}"#)),
        ("GET", _) => ok(r#"{"items":[]}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = http_executor(&c);
    let mut outcomes = Vec::new();
    for op in &ops {
        outcomes.push(ex.apply_one(op).await.unwrap());
    }
    assert_eq!(
        outcomes,
        [
            OpOutcome::Created { id: "i9".into() },
            OpOutcome::Created { id: "z9".into() },
            OpOutcome::Created { id: "r9".into() }
        ]
    );
    assert_eq!(
        fake.requests(),
        [
            "POST /v2/apis/h1/integrations",
            "GET /v2/apis/h1/integrations",
            "POST /v2/apis/h1/integrations",
            "POST /v2/apis/h1/authorizers",
            "GET /v2/apis/h1/authorizers",
            "POST /v2/apis/h1/authorizers",
            "POST /v2/apis/h1/routes",
            "GET /v2/apis/h1/routes",
            "POST /v2/apis/h1/routes"
        ]
    );
}

/// An HTTP stage that exists already is adopted and updated with the op's settings and
/// deployment (before, the settings waited for the next plan).
#[tokio::test(start_paused = true)]
async fn an_http_stage_that_exists_is_adopted_and_given_the_op_settings() {
    let (c, fake) = clients(|r, _| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/v2/apis/h1/stages") => Reply::Json(
            409,
            r#"{"__type":"ConflictException","message":"exists"}"#.into(),
        ),
        ("PATCH", "/v2/apis/h1/stages/prod") => ok(r#"{"stageName":"prod"}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = http_executor(&c);
    ex.deployment_id = Some("d1".into());
    let op = HttpOp::CreateStage {
        name: "prod".into(),
        def: Stage {
            description: Some("live".into()),
            auto_deploy: Some(false),
            variables: [("env".to_string(), "prod".to_string())].into(),
            ..Default::default()
        },
        deploy: true,
    };
    assert_eq!(
        ex.apply_one(&op).await.unwrap(),
        OpOutcome::Adopted { id: "prod".into() }
    );
    assert_eq!(
        fake.requests(),
        ["POST /v2/apis/h1/stages", "PATCH /v2/apis/h1/stages/prod"]
    );
    assert_eq!(
        fake.bodies("PATCH", "/v2/apis/h1/stages/prod")[0],
        serde_json::json!({
            "autoDeploy": false,
            "deploymentId": "d1",
            "description": "live",
            "stageVariables": {"env": "prod"}
        })
    );
}

// ---------------------------------------------------------------------------------------
// apigatewayv2 creates answered ConflictException: straight to the executor
// ---------------------------------------------------------------------------------------

const TAKEN: &str = r#"{"__type":"ConflictException","message":"already exists"}"#;

fn jwt_authorizer_and_route() -> [HttpOp; 2] {
    [
        HttpOp::CreateAuthorizer {
            name: "jwt".into(),
            def: gwctl::state::http::Authorizer {
                kind: "JWT".into(),
                identity_source: vec!["$request.header.Authorization".into()],
                issuer: Some("https://issuer".into()),
                audience: vec!["me".into()],
                ..Default::default()
            },
        },
        HttpOp::CreateRoute {
            route_key: "GET /items".into(),
            def: Route {
                authorization_type: "NONE".into(),
                ..Default::default()
            },
        },
    ]
}

/// CreateAuthorizer / CreateRoute of an HTTP API answered ConflictException (the name or
/// route key is taken: an earlier attempt whose answer was lost, or another run): the
/// transport hands the conflict straight back (no retries as a concurrent modification), and
/// the executor lists the authorizers / routes once and adopts the one of that name / key.
/// Exactly one create and one lookup each.
#[tokio::test(start_paused = true)]
async fn http_routes_and_authorizers_whose_key_is_taken_are_adopted_after_one_lookup() {
    let (c, fake) = clients(|r, _| match (r.method.as_str(), r.path.as_str()) {
        ("POST", _) => Reply::Json(409, TAKEN.into()),
        ("GET", "/v2/apis/h1/authorizers") => ok(
            r#"{"items":[{"authorizerId":"z1","name":"jwt","authorizerType":"JWT","identitySource":["$request.header.Authorization"]}]}"#,
        ),
        ("GET", "/v2/apis/h1/routes") => ok(
            r#"{"items":[{"routeId":"r0","routeKey":"GET /other"},{"routeId":"r1","routeKey":"GET /items"}]}"#,
        ),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = http_executor(&c);
    let mut outcomes = Vec::new();
    for op in &jwt_authorizer_and_route() {
        outcomes.push(ex.apply_one(op).await.unwrap());
    }
    assert_eq!(
        outcomes,
        [
            OpOutcome::Adopted { id: "z1".into() },
            OpOutcome::Adopted { id: "r1".into() }
        ]
    );
    assert_eq!(
        fake.requests(),
        [
            "POST /v2/apis/h1/authorizers",
            "GET /v2/apis/h1/authorizers",
            "POST /v2/apis/h1/routes",
            "GET /v2/apis/h1/routes"
        ]
    );
    assert_eq!(ex.authorizer_ids["jwt"], "z1");
    assert_eq!(ex.route_ids["GET /items"], "r1");
}

/// The same conflicts with nothing of that name / key on lookup: a concurrent modification.
/// The executor sends the create again after a backoff, and it succeeds.
#[tokio::test(start_paused = true)]
async fn http_route_and_authorizer_conflicts_with_nothing_there_are_retried_by_the_executor() {
    let (c, fake) = clients(|r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", _) if n == 0 => Reply::Json(409, TAKEN.into()),
        ("POST", "/v2/apis/h1/authorizers") => created(r#"{"authorizerId":"z9"}"#),
        ("POST", "/v2/apis/h1/routes") => created(r#"{"routeId":"r9"}"#),
        ("GET", _) => ok(r#"{"items":[]}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = http_executor(&c);
    let mut outcomes = Vec::new();
    for op in &jwt_authorizer_and_route() {
        outcomes.push(ex.apply_one(op).await.unwrap());
    }
    assert_eq!(
        outcomes,
        [
            OpOutcome::Created { id: "z9".into() },
            OpOutcome::Created { id: "r9".into() }
        ]
    );
    assert_eq!(
        fake.requests(),
        [
            "POST /v2/apis/h1/authorizers",
            "GET /v2/apis/h1/authorizers",
            "POST /v2/apis/h1/authorizers",
            "POST /v2/apis/h1/routes",
            "GET /v2/apis/h1/routes",
            "POST /v2/apis/h1/routes"
        ]
    );
}

/// An HTTP CreateStage answered ConflictException whose adopting update finds no stage
/// (NotFound): the conflict was a concurrent modification; the executor creates the stage
/// again after a backoff.
#[tokio::test(start_paused = true)]
async fn an_http_stage_conflict_with_no_stage_there_is_retried_by_the_executor() {
    let (c, fake) = clients(|r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/v2/apis/h1/stages") if n == 0 => Reply::Json(409, TAKEN.into()),
        ("POST", "/v2/apis/h1/stages") => created(r#"{"stageName":"prod"}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = http_executor(&c);
    let op = HttpOp::CreateStage {
        name: "prod".into(),
        def: Stage::default(),
        deploy: false,
    };
    assert_eq!(ex.apply_one(&op).await.unwrap(), OpOutcome::Applied);
    assert_eq!(
        fake.requests(),
        [
            "POST /v2/apis/h1/stages",
            "PATCH /v2/apis/h1/stages/prod",
            "POST /v2/apis/h1/stages"
        ]
    );
}

/// A REST CreateAuthorizer answered ConflictException is still retried by the transport as a
/// concurrent modification (its executor does not adopt on conflict; only the apigatewayv2
/// create of that name goes straight back).
#[tokio::test(start_paused = true)]
async fn a_rest_authorizer_conflict_is_still_retried_by_the_transport() {
    let (c, fake) = clients(|r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/restapis/a1/authorizers") if n == 0 => Reply::Json(409, TAKEN.into()),
        ("POST", "/restapis/a1/authorizers") => created(r#"{"id":"au9"}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let mut ex = executor_on_a1(&c);
    let outcome = ex.apply_one(&create_authorizer()).await.unwrap();
    assert_eq!(outcome, OpOutcome::Created { id: "au9".into() });
    assert_eq!(
        fake.requests(),
        [
            "POST /restapis/a1/authorizers",
            "POST /restapis/a1/authorizers"
        ]
    );
}

const DOMAIN: &str = "api.example.com";
const MAPPINGS: &str = "/v2/domainnames/api.example.com/apimappings";

fn create_mapping() -> gwctl::plan::domains::DomainOp {
    gwctl::plan::domains::DomainOp::CreateMapping {
        domain: DOMAIN.into(),
        base_path: "v1".into(),
        stage: "prod".into(),
    }
}

/// CreateApiMapping answered ConflictException: the transport hands it straight back; the
/// executor reads the domain's mappings once (the domain list, its mappings) and finds this
/// very mapping (an earlier attempt whose answer was lost): done, one create.
/// With no mapping at that key, the conflict was a concurrent modification: created again.
#[tokio::test(start_paused = true)]
async fn an_api_mapping_conflict_is_settled_by_one_read_and_retried_when_nothing_is_there() {
    use gwctl::aws::exec::domains::apply_domain;
    use gwctl::aws::read::domains::DomainApi;
    let domains = || ok(&format!(r#"{{"items":[{{"domainName":"{DOMAIN}"}}]}}"#));
    let (c, fake) = clients(move |r, _| match (r.method.as_str(), r.path.as_str()) {
        ("POST", MAPPINGS) => Reply::Json(409, TAKEN.into()),
        ("GET", "/v2/domainnames") => domains(),
        ("GET", MAPPINGS) => ok(
            r#"{"items":[{"apiMappingId":"m1","apiMappingKey":"v1","apiId":"h1","stage":"prod"}]}"#,
        ),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let outcome = apply_domain(&c, DomainApi::Http, Some("h1"), &create_mapping())
        .await
        .unwrap();
    assert_eq!(outcome, OpOutcome::AlreadyPresent);
    let read = [
        "POST /v2/domainnames/api.example.com/apimappings",
        "GET /v2/domainnames",
        "GET /v2/domainnames/api.example.com/apimappings",
    ];
    assert_eq!(fake.requests(), read);

    let (c, fake) = clients(move |r, n| match (r.method.as_str(), r.path.as_str()) {
        ("POST", MAPPINGS) if n == 0 => Reply::Json(409, TAKEN.into()),
        ("POST", MAPPINGS) => created(r#"{"apiMappingId":"m9","apiMappingKey":"v1"}"#),
        ("GET", "/v2/domainnames") => domains(),
        ("GET", MAPPINGS) => ok(r#"{"items":[]}"#),
        _ => Reply::Json(404, r#"{"__type":"NotFoundException"}"#.into()),
    });
    let outcome = apply_domain(&c, DomainApi::Http, Some("h1"), &create_mapping())
        .await
        .unwrap();
    assert_eq!(outcome, OpOutcome::Applied);
    let mut again = read.to_vec();
    again.push("POST /v2/domainnames/api.example.com/apimappings");
    assert_eq!(fake.requests(), again);
}
