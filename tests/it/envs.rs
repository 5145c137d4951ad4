//! One spec, every environment (issue 20): specs/todo-envs.yaml applied as `dev` (its
//! default) and `--env prod` to the emulator makes two APIs with each environment's
//! functions and stage settings, then plans are empty; a saved plan refuses to apply with
//! other values; `${aws.account_id}` comes from the credentials in effect (STS).

use std::process::Output;

use crate::support;
use crate::support::{repo, Emulator};
use gwctl::output::{ApplyDoc, PlanDoc};

const VERBS: &[&str] = &["create", "list", "get", "update", "delete"];

fn gwctl(em: &Emulator, args: &[&str]) -> Output {
    support::gwctl_at(&em.endpoint(), args)
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[track_caller]
fn ok(o: &Output) -> String {
    let (out, err) = text(o);
    assert_eq!(o.status.code(), Some(0), "stdout:\n{out}\nstderr:\n{err}");
    out
}

fn spec() -> String {
    repo("specs/todo-envs.yaml").display().to_string()
}

fn apply(em: &Emulator, extra: &[&str]) -> ApplyDoc {
    let spec = spec();
    let mut args = vec!["apply", spec.as_str(), "--yes", "--output", "json"];
    args.extend_from_slice(extra);
    let out = ok(&gwctl(em, &args));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("apply JSON: {e}\n{out}"))
}

async fn functions_of(em: &Emulator, api_id: &str) -> Vec<String> {
    let c = em.clients().await;
    let res = c
        .apigw
        .get_resources()
        .rest_api_id(api_id)
        .embed("methods")
        .send()
        .await
        .unwrap();
    let mut fns: Vec<String> = res
        .items()
        .iter()
        .filter_map(|r| r.resource_methods())
        .flat_map(|m| m.values())
        .filter_map(|m| m.method_integration()?.uri().map(str::to_string))
        .filter_map(|uri| {
            let f = uri.split(":function:").nth(1)?;
            Some(f.trim_end_matches("/invocations").to_string())
        })
        .collect();
    fns.sort();
    fns.dedup();
    fns
}

#[tokio::test]
async fn dev_and_prod_apply_as_two_apis_with_their_own_functions_and_stage_settings() {
    let em = support::emulator().await;
    let names: Vec<String> = ["dev", "prod"]
        .iter()
        .flat_map(|e| VERBS.iter().map(move |v| format!("todo-{v}-{e}")))
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    em.create_functions(&refs).await;

    let dev = apply(&em, &[]);
    assert_eq!(dev.result, "applied");
    assert_eq!(dev.api.name, "todo-api-dev");
    assert_eq!(dev.api.environment.as_deref(), Some("dev"));
    let level = dev
        .api
        .variables
        .iter()
        .find(|v| v.name == "var.log_level")
        .expect("log_level listed");
    assert_eq!(
        (level.value.as_str(), level.source.as_str()),
        (Some("INFO"), "default")
    );

    let prod = apply(&em, &["--env", "prod"]);
    assert_eq!(prod.result, "applied");
    assert_eq!(prod.api.name, "todo-api-prod");
    assert_eq!(prod.api.environment.as_deref(), Some("prod"));
    let level = prod
        .api
        .variables
        .iter()
        .find(|v| v.name == "var.log_level")
        .unwrap();
    assert_eq!(
        (level.value.as_str(), level.source.as_str()),
        (Some("ERROR"), "environment `prod`")
    );

    let (dev_id, prod_id) = (dev.api.id.unwrap(), prod.api.id.unwrap());
    assert_ne!(dev_id, prod_id);
    let want = |e: &str| -> Vec<String> {
        let mut v: Vec<String> = VERBS.iter().map(|v| format!("todo-{v}-{e}")).collect();
        v.sort();
        v
    };
    assert_eq!(functions_of(&em, &dev_id).await, want("dev"));
    assert_eq!(functions_of(&em, &prod_id).await, want("prod"));

    // Each environment's stage settings, read back with the SDK.
    let c = em.clients().await;
    for (id, level, metrics, rate, origin) in [
        (&dev_id, "INFO", false, 50.0, "http://localhost:3000"),
        (&prod_id, "ERROR", true, 10.0, "https://todo.example.com"),
    ] {
        let stage = c
            .apigw
            .get_stage()
            .rest_api_id(id)
            .stage_name("live")
            .send()
            .await
            .unwrap();
        let all = &stage.method_settings().unwrap()["*/*"];
        assert_eq!(all.logging_level(), Some(level), "{id}");
        assert_eq!(all.metrics_enabled(), metrics, "{id}");
        assert_eq!(all.throttling_rate_limit(), rate, "{id}");
        let res = c
            .apigw
            .get_resources()
            .rest_api_id(id)
            .embed("methods")
            .send()
            .await
            .unwrap();
        let todos = res
            .items()
            .iter()
            .find(|r| r.path() == Some("/todos"))
            .unwrap();
        let options = &todos.resource_methods().unwrap()["OPTIONS"];
        let ir = &options
            .method_integration()
            .unwrap()
            .integration_responses()
            .unwrap()["200"];
        assert_eq!(
            ir.response_parameters().unwrap()["method.response.header.Access-Control-Allow-Origin"],
            format!("'{origin}'")
        );
    }

    // Both converge: plans are empty, with no write.
    for env in [&[][..], &["--env", "prod"][..]] {
        let spec = spec();
        let mut args = vec!["plan", spec.as_str(), "--detailed-exitcode"];
        args.extend_from_slice(env);
        let out = ok(&gwctl(&em, &args));
        assert!(out.contains("No changes"), "{env:?}: {out}");
    }
}

#[tokio::test]
async fn a_saved_plan_refuses_to_apply_with_other_values() {
    let em = support::emulator().await;
    let refs: Vec<String> = VERBS.iter().map(|v| format!("todo-{v}-prod")).collect();
    let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
    em.create_functions(&refs).await;
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("prod.plan.json");
    let (spec, plan_s) = (spec(), plan.display().to_string());

    let out = ok(&gwctl(
        &em,
        &[
            "plan", &spec, "--env", "prod", "--out", &plan_s, "--output", "json",
        ],
    ));
    let doc: PlanDoc = serde_json::from_str(&out).unwrap();
    assert_eq!(doc.api.environment.as_deref(), Some("prod"));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    assert_eq!(saved["vars"]["environment"], "prod");
    assert!(saved["vars"]["variables"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["name"] == "var.throttle_rate" && v["value"] == 10));

    // Another value than planned: refused before any write.
    let o = gwctl(
        &em,
        &[
            "apply",
            &plan_s,
            "--env",
            "prod",
            "--var",
            "throttle_rate=20",
            "--yes",
        ],
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the value of `var.throttle_rate` changed since the plan"),
        "{err}"
    );
    // Another environment: refused too.
    let o = gwctl(&em, &["apply", &plan_s, "--env", "dev", "--yes"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the environment changed (`prod` -> `dev`)"),
        "{err}"
    );
    let c = em.clients().await;
    let apis = c.apigw.get_rest_apis().send().await.unwrap();
    assert!(apis
        .items()
        .iter()
        .all(|a| a.name() != Some("todo-api-prod")));

    // The same values: applied (without --env: the environment the plan was made for).
    let out = ok(&gwctl(
        &em,
        &["apply", &plan_s, "--yes", "--output", "json"],
    ));
    let doc: ApplyDoc = serde_json::from_str(&out).unwrap();
    assert_eq!(doc.result, "applied");
    assert_eq!(doc.api.name, "todo-api-prod");
}

#[tokio::test]
async fn the_account_id_comes_from_the_credentials_in_effect() {
    let em = support::emulator().await;
    em.create_functions(&["todo-list-dev"]).await;
    let dir = tempfile::tempdir().unwrap();
    let spec = support::cli::write(
        &dir,
        "acct.yaml",
        "api: {name: acct-api}
functions:
  list: \"arn:aws:lambda:${aws.region}:${aws.account_id}:function:todo-list-dev\"
default_auth: none
stages: {prod: {}}
routes: [{path: /todos, method: GET, function: list}]
",
    );
    let spec = spec.display().to_string();
    let out = ok(&gwctl(&em, &["plan", &spec, "--output", "json"]));
    let doc: PlanDoc = serde_json::from_str(&out).unwrap();
    let account = doc
        .api
        .variables
        .iter()
        .find(|v| v.name == "aws.account_id")
        .expect("listed");
    assert_eq!(account.value, support::ACCOUNT_ID);
    assert_eq!(account.source, "the credentials in effect (STS)");
    let region = doc
        .api
        .variables
        .iter()
        .find(|v| v.name == "aws.region")
        .unwrap();
    assert_eq!(region.value, support::REGION);
}

#[tokio::test]
async fn an_environments_region_applies_unless_a_flag_or_aws_region_names_one() {
    let em = support::emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let spec = support::cli::write(
        &dir,
        "regions.yaml",
        "environments:
  default: prod
  prod: {region: eu-west-1}
api:
  name: regions-api
  description: \"in ${aws.region}\"
default_auth: none
stages: {prod: {}}
routes:
  - path: /x
    method: GET
    integration:
      type: mock
      request_templates: {application/json: '{\"statusCode\": 200}'}
      responses: [{status: 200}]
    method_responses: [{status: 200}]
",
    );
    let spec = spec.display().to_string();
    let region_of = |o: Output| -> (String, String) {
        let out = ok(&o);
        let doc: PlanDoc = serde_json::from_str(&out).unwrap();
        let r = doc
            .api
            .variables
            .iter()
            .find(|v| v.name == "aws.region")
            .expect("listed")
            .clone();
        (r.value.as_str().unwrap().to_string(), r.source)
    };
    let run = |extra: &[&str], aws_region: bool| {
        let mut args = vec!["plan", spec.as_str(), "--output", "json"];
        args.extend_from_slice(extra);
        let mut c = support::gwctl_command(&em.endpoint(), &args);
        if !aws_region {
            c.env_remove("AWS_REGION").env_remove("AWS_DEFAULT_REGION");
        }
        c.output().unwrap()
    };
    // Nothing else names a region: the environment's.
    assert_eq!(region_of(run(&[], false)).0, "eu-west-1");
    // AWS_REGION wins over it, and --region over both.
    assert_eq!(region_of(run(&[], true)).0, support::REGION);
    assert_eq!(
        region_of(run(&["--region", "ap-south-1"], true)).0,
        "ap-south-1"
    );
}
