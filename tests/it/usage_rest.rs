//! API keys and usage plans end to end (seed 000, `specs/tasks-apikey.yaml`): the real `gwctl`
//! binary against the emulator, the account read back with the SDK. Key values must appear
//! nowhere in gwctl's output (stdout and stderr, text and JSON) unless `--show-secrets`, and
//! then only on stdout.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use crate::support;
use crate::support::cli::{self, ok, repo, text, w, write, writes};
use crate::support::quota::{counts, QuotaProxy};
use crate::support::Emulator;
use gwctl::cli::lifecycle::DestroyDoc;
use gwctl::output::{ApplyDoc, PlanDoc};
use gwctl::state::usage::{legacy_value_digest, ValueTag};

const TASK_FUNCTIONS: &[&str] = &[
    "create-task",
    "list-tasks",
    "get-task",
    "update-task",
    "delete-task",
];
/// The variable a test spec reads a key value from, and two values for it.
const VAR: &str = "GWCTL_E2E_PARTNER_KEY";
const VALUE: &str = "e2e-partner-key-value-0123456789abcdef";
const VALUE2: &str = "e2e-rotated-key-value-fedcba9876543210";

/// gwctl with `env` added, and never the key variable of the developer's environment.
fn gwctl_env(em: &Emulator, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = cli::command(em, args);
    cmd.env_remove(VAR).envs(env.iter().copied());
    cmd.output().expect("run gwctl")
}

fn gwctl(em: &Emulator, args: &[&str]) -> Output {
    gwctl_env(em, args, &[])
}

/// `apply --yes --output json` with `env`; the document and everything printed.
fn apply_json(em: &Emulator, spec: &Path, env: &[(&str, &str)]) -> (ApplyDoc, String) {
    let o = gwctl_env(
        em,
        &["apply", spec.to_str().unwrap(), "--yes", "--output", "json"],
        env,
    );
    let (out, err) = ok(&o);
    let doc = serde_json::from_str(&out).unwrap_or_else(|e| panic!("apply JSON: {e}\n{out}"));
    (doc, format!("{out}\n{err}"))
}

fn tasks_text() -> String {
    std::fs::read_to_string(repo("specs/tasks-apikey.yaml")).unwrap()
}

/// Every API key of the account: name -> (id, value, enabled, tags).
async fn keys(em: &Emulator) -> BTreeMap<String, (String, String, bool, BTreeMap<String, String>)> {
    let c = em.clients().await;
    let out = c
        .apigw
        .get_api_keys()
        .include_values(true)
        .send()
        .await
        .unwrap();
    out.items()
        .iter()
        .map(|k| {
            (
                k.name().unwrap().to_string(),
                (
                    k.id().unwrap().to_string(),
                    k.value().unwrap_or_default().to_string(),
                    k.enabled(),
                    k.tags()
                        .map(|t| t.iter().map(|(a, b)| (a.clone(), b.clone())).collect())
                        .unwrap_or_default(),
                ),
            )
        })
        .collect()
}

async fn plans(em: &Emulator) -> Vec<aws_sdk_apigateway::types::UsagePlan> {
    let c = em.clients().await;
    c.apigw
        .get_usage_plans()
        .send()
        .await
        .unwrap()
        .items()
        .to_vec()
}

async fn plan_key_ids(em: &Emulator, plan_id: &str) -> Vec<String> {
    let c = em.clients().await;
    let mut ids: Vec<String> = c
        .apigw
        .get_usage_plan_keys()
        .usage_plan_id(plan_id)
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .filter_map(|k| k.id().map(str::to_string))
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn tasks_apikey_applies_a_metered_key_and_never_prints_its_value() {
    let em = support::emulator().await;
    em.create_functions(TASK_FUNCTIONS).await;
    let spec = repo("specs/tasks-apikey.yaml");
    let spec_arg = spec.to_str().unwrap();

    let (first, printed1) = apply_json(&em, &spec, &[]);
    assert_eq!(first.result, "applied");
    let api_id = first.api.id.clone().unwrap();
    let usage_changes: Vec<(&str, &str)> = first
        .changes
        .iter()
        .filter(|c| ["api_key", "usage_plan", "usage_plan_key"].contains(&c.kind.as_str()))
        .map(|c| (c.kind.as_str(), c.name.as_str()))
        .collect();
    assert_eq!(
        usage_changes,
        vec![
            ("api_key", "web-client"),
            ("usage_plan", "basic"),
            ("usage_plan_key", "basic/web-client")
        ]
    );
    // the usage plan is created after the stage it covers
    let calls: Vec<&str> = first
        .changes
        .iter()
        .flat_map(|c| c.calls.iter().map(String::as_str))
        .collect();
    let stage = calls.iter().position(|c| *c == "CreateStage").unwrap();
    let plan_call = calls.iter().position(|c| *c == "CreateUsagePlan").unwrap();
    assert!(stage < plan_call, "{calls:?}");

    // The methods require a key (the CORS preflight does not).
    let c = em.clients().await;
    let res = c
        .apigw
        .get_resources()
        .rest_api_id(&api_id)
        .embed("methods")
        .send()
        .await
        .unwrap();
    let mut required = 0;
    for r in res.items() {
        for (verb, m) in r.resource_methods().into_iter().flatten() {
            assert_eq!(
                m.api_key_required(),
                Some(verb != "OPTIONS"),
                "{verb} {:?}",
                r.path()
            );
            required += usize::from(verb != "OPTIONS");
        }
    }
    assert_eq!(required, 5);

    // One usage plan: rate 20, burst 50, 10000 a MONTH, on stage prod of this API.
    let all = plans(&em).await;
    assert_eq!(all.len(), 1);
    let plan = &all[0];
    assert_eq!(plan.name(), Some("basic"));
    let t = plan.throttle().unwrap();
    assert_eq!((t.rate_limit(), t.burst_limit()), (20.0, 50));
    let q = plan.quota().unwrap();
    assert_eq!(
        (q.limit(), q.period().map(|p| p.as_str()), q.offset()),
        (10000, Some("MONTH"), 0)
    );
    let stages: Vec<(Option<&str>, Option<&str>)> = plan
        .api_stages()
        .iter()
        .map(|s| (s.api_id(), s.stage()))
        .collect();
    assert_eq!(stages, vec![(Some(api_id.as_str()), Some("prod"))]);
    let tags = plan.tags().unwrap();
    assert_eq!(tags["gwctl:managed-by"], "gwctl");
    assert_eq!(tags["gwctl:api"], "task-api");

    // One key, generated by AWS, enabled, attached to the plan.
    let k = keys(&em).await;
    assert_eq!(k.len(), 1);
    let (key_id, value, enabled, key_tags) = &k["web-client"];
    assert!(*enabled);
    assert!(value.len() >= 20, "AWS generated a value");
    assert_eq!(key_tags["gwctl:api"], "task-api");
    assert_eq!(
        plan_key_ids(&em, plan.id().unwrap()).await,
        vec![key_id.clone()]
    );
    assert_eq!(first.api_keys.len(), 1);
    assert_eq!(first.api_keys[0].id.as_deref(), Some(key_id.as_str()));
    assert_eq!(first.api_keys[0].source, "generated");
    assert_eq!(first.api_keys[0].value, None);

    // Re-apply: nothing to do.
    let (second, printed2) = apply_json(&em, &spec, &[]);
    assert_eq!(second.result, "no_changes");
    assert_eq!(writes(&second), vec![], "{:#?}", second.changes);
    assert_eq!(second.api_keys[0].id.as_deref(), Some(key_id.as_str()));

    // The value appears in no output: JSON and text apply, plan, show.
    let (out3, err3) = ok(&gwctl(&em, &["apply", spec_arg, "--yes"]));
    assert!(out3.contains("api key  web-client"), "{out3}");
    assert!(out3.contains("--show-secrets"), "{out3}");
    let (out4, err4) = ok(&gwctl(&em, &["plan", spec_arg, "--output", "json"]));
    let plan_doc: PlanDoc = serde_json::from_str(&out4).unwrap();
    assert!(plan_doc.changes.is_empty());
    let (out5, err5) = ok(&gwctl(&em, &["--verbose", "show", spec_arg]));
    for printed in [printed1, printed2, out3, err3, out4, err4, out5, err5] {
        assert!(
            !printed.contains(value.as_str()),
            "key value printed:\n{printed}"
        );
    }

    // With --show-secrets: on stdout only.
    let (out, err) = ok(&gwctl(&em, &["apply", spec_arg, "--yes", "--show-secrets"]));
    assert!(
        out.contains(&format!("api key  web-client  {key_id}  {value}")),
        "{out}"
    );
    assert!(!err.contains(value.as_str()), "{err}");
    let (out, err) = ok(&gwctl(
        &em,
        &[
            "apply",
            spec_arg,
            "--yes",
            "--show-secrets",
            "--output",
            "json",
        ],
    ));
    let doc: ApplyDoc = serde_json::from_str(&out).unwrap();
    assert_eq!(doc.api_keys[0].value.as_deref(), Some(value.as_str()));
    assert!(!err.contains(value.as_str()));
    assert_eq!(doc.calls.writes, 0);
}

#[tokio::test]
async fn a_change_to_the_plan_is_one_update_call() {
    let em = support::emulator().await;
    em.create_functions(TASK_FUNCTIONS).await;
    let dir = tempfile::tempdir().unwrap();
    let base = tasks_text();
    apply_json(&em, &write(&dir, "a.yaml", &base), &[]);
    let plan_id = plans(&em).await[0].id().unwrap().to_string();

    // Throttle and description together (moto stores quota patches as strings and then
    // cannot answer get-usage-plans: quota updates are covered offline in aws_exec_usage.rs).
    let changed = base
        .replace(
            "throttle: {rate: 20, burst: 50}",
            "throttle: {rate: 25, burst: 60}",
        )
        .replace(
            "description: per-API usage plan of seed 000",
            "description: more generous",
        );
    let spec = write(&dir, "b.yaml", &changed);
    let o = gwctl(&em, &["plan", spec.to_str().unwrap()]);
    let (out, _) = text(&o);
    assert!(
        out.contains(&format!("~ usage_plan basic ({plan_id})")),
        "{out}"
    );
    assert!(
        out.contains("throttle: rate 20 burst 50 -> rate 25 burst 60"),
        "{out}"
    );
    let (doc, _) = apply_json(&em, &spec, &[]);
    assert_eq!(writes(&doc), w(&[("UpdateUsagePlan", 1)]));
    let p = &plans(&em).await[0];
    assert_eq!(p.id(), Some(plan_id.as_str()), "updated in place");
    assert_eq!(p.description(), Some("more generous"));
    let t = p.throttle().unwrap();
    assert_eq!((t.rate_limit(), t.burst_limit()), (25.0, 60));
    assert_eq!(writes(&apply_json(&em, &spec, &[]).0), vec![]);
}

#[tokio::test]
async fn a_key_value_from_the_environment_is_used_rotated_and_never_printed() {
    let em = support::emulator().await;
    em.create_functions(&["list-tasks"]).await;
    let dir = tempfile::tempdir().unwrap();
    let spec_text = format!(
        r#"
api: {{name: metered}}
functions:
  tasks: list-tasks
routes:
  - {{path: /tasks, method: GET, function: tasks, api_key_required: true}}
stages:
  prod: {{}}
api_keys:
  partner: {{value_from_env: {VAR}, description: partner key}}
usage_plans:
  basic:
    stages: [prod]
    keys: [partner]
    throttle: {{rate: 5, burst: 10}}
"#
    );
    let spec = write(&dir, "env.yaml", &spec_text);
    let arg = spec.to_str().unwrap();

    // Without the variable: refused before any write, naming the variable and the key's line.
    let o = gwctl(&em, &["apply", arg, "--yes"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(err.contains(&format!("`{VAR}`, which is not set")), "{err}");
    assert!(err.contains("env.yaml:10:3"), "points at the key: {err}");
    assert!(keys(&em).await.is_empty() && plans(&em).await.is_empty());

    let env = [(VAR, VALUE)];
    let (first, printed) = apply_json(&em, &spec, &env);
    assert_eq!(first.result, "applied");
    let k = keys(&em).await;
    let (id1, value, _, tags) = &k["partner"];
    assert_eq!(
        value, VALUE,
        "the key carries the value from the environment"
    );
    // A keyed digest under a salt of the key's own; no unsalted digest of the value.
    assert_eq!(tags["gwctl:value-salt"].len(), 32, "{tags:?}");
    assert_eq!(tags["gwctl:value-hmac"].len(), 64, "{tags:?}");
    assert!(!tags.contains_key("gwctl:value-sha256"), "{tags:?}");
    assert!(ValueTag::from_tags(tags).unwrap().matches(VALUE));
    let unsalted = legacy_value_digest(VALUE);
    assert!(!tags
        .values()
        .any(|v| v.contains(VALUE) || v.contains(&unsalted)));
    assert_eq!(first.api_keys[0].source, "env");

    let (again, printed2) = apply_json(&em, &spec, &env);
    assert_eq!(writes(&again), vec![]);
    let (out_t, err_t) = ok(&gwctl_env(&em, &["apply", arg, "--yes"], &env));
    let (out_p, err_p) = ok(&gwctl_env(&em, &["plan", arg], &env));
    for p in [&printed, &printed2, &out_t, &err_t, &out_p, &err_p] {
        assert!(!p.contains(VALUE), "key value printed:\n{p}");
    }

    // A new value replaces the key (values cannot change in place) and re-attaches it.
    let env2 = [(VAR, VALUE2)];
    let (out, _) = ok(&gwctl_env(&em, &["plan", arg], &env2));
    assert!(out.contains(&format!("± api_key partner ({id1})")), "{out}");
    assert!(!out.contains(VALUE2) && !out.contains(VALUE), "{out}");
    let (rotated, printed3) = apply_json(&em, &spec, &env2);
    assert!(!printed3.contains(VALUE2) && !printed3.contains(VALUE));
    assert_eq!(
        writes(&rotated),
        w(&[
            ("CreateApiKey", 1),
            ("CreateUsagePlanKey", 1),
            ("DeleteApiKey", 1),
            ("DeleteUsagePlanKey", 1)
        ])
    );
    let k = keys(&em).await;
    assert_eq!(k.len(), 1);
    let (id2, value, _, _) = &k["partner"];
    assert_ne!(id2, id1);
    assert_eq!(value, VALUE2);
    let plan = &plans(&em).await[0];
    assert_eq!(
        plan_key_ids(&em, plan.id().unwrap()).await,
        vec![id2.clone()]
    );
    assert_eq!(writes(&apply_json(&em, &spec, &env2).0), vec![]);
}

#[tokio::test]
async fn removed_keys_and_plans_are_deleted_and_destroy_removes_the_rest() {
    let em = support::emulator().await;
    em.create_functions(TASK_FUNCTIONS).await;
    let dir = tempfile::tempdir().unwrap();
    // A usage plan and a key gwctl did not create: never touched.
    let c = em.clients().await;
    let foreign_plan = c
        .apigw
        .create_usage_plan()
        .name("basic")
        .send()
        .await
        .unwrap();
    let foreign_key = c
        .apigw
        .create_api_key()
        .name("web-client")
        .enabled(true)
        .send()
        .await
        .unwrap();

    let base = tasks_text();
    let (first, _) = apply_json(&em, &write(&dir, "a.yaml", &base), &[]);
    assert_eq!(plans(&em).await.len(), 2, "gwctl created its own plan");
    let api_id = first.api.id.clone().unwrap();

    // Without api_keys and usage_plans: the plan gwctl made goes (stage detached first),
    // and its key.
    let cut = base.find("api_keys:").unwrap();
    let (doc, _) = apply_json(&em, &write(&dir, "b.yaml", &base[..cut]), &[]);
    assert_eq!(
        writes(&doc),
        w(&[
            ("DeleteApiKey", 1),
            ("DeleteUsagePlan", 1),
            ("UpdateUsagePlan", 1)
        ])
    );
    let left: Vec<String> = plans(&em)
        .await
        .iter()
        .filter_map(|p| p.id().map(str::to_string))
        .collect();
    assert_eq!(left, vec![foreign_plan.id().unwrap().to_string()]);
    let k = keys(&em).await;
    assert_eq!(k.len(), 1);
    assert_eq!(k["web-client"].0, foreign_key.id().unwrap());

    // Back, then destroy: plans and keys gwctl made go before the API.
    apply_json(&em, &write(&dir, "c.yaml", &base), &[]);
    assert_eq!(plans(&em).await.len(), 2);
    let o = gwctl(
        &em,
        &[
            "destroy",
            write(&dir, "d.yaml", &base).to_str().unwrap(),
            "--yes",
            "--output",
            "json",
        ],
    );
    let (out, _) = ok(&o);
    let destroyed: DestroyDoc = serde_json::from_str(&out).unwrap();
    assert_eq!(destroyed.result, "destroyed");
    let kinds: Vec<(&str, &str)> = destroyed
        .changes
        .iter()
        .map(|c| (c.action.as_str(), c.kind.as_str()))
        .collect();
    assert_eq!(kinds.first(), Some(&("delete", "usage_plan")));
    assert_eq!(kinds.last(), Some(&("delete", "rest_api")));
    assert!(kinds.contains(&("delete", "api_key")));
    let left: Vec<String> = plans(&em)
        .await
        .iter()
        .filter_map(|p| p.id().map(str::to_string))
        .collect();
    assert_eq!(left, vec![foreign_plan.id().unwrap().to_string()]);
    let k = keys(&em).await;
    assert_eq!(k.len(), 1, "only the key gwctl did not create");
    let apis = c.apigw.get_rest_apis().send().await.unwrap();
    assert!(apis.items().iter().all(|a| a.id() != Some(api_id.as_str())));
}

/// A spec with one key `partner` (value from [`VAR`]) in usage plan `basic`.
fn partner_spec(dir: &tempfile::TempDir, api: &str) -> std::path::PathBuf {
    write(
        dir,
        "partner.yaml",
        &format!(
            r#"
api: {{name: {api}}}
functions:
  tasks: list-tasks
routes:
  - {{path: /tasks, method: GET, function: tasks, api_key_required: true}}
stages:
  prod: {{}}
api_keys:
  partner: {{value_from_env: {VAR}}}
usage_plans:
  basic:
    stages: [prod]
    keys: [partner]
"#
        ),
    )
}

/// The `aws SERVICE.Operation` lines of a `--verbose` run, in the order the calls ended.
fn verbose_calls(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("aws "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn a_rotation_onto_another_keys_value_fails_once_and_removes_nothing() {
    let em = support::emulator().await;
    em.create_functions(&["list-tasks"]).await;
    let dir = tempfile::tempdir().unwrap();
    let spec = partner_spec(&dir, "rotate-conflict");
    let arg = spec.to_str().unwrap();
    apply_json(&em, &spec, &[(VAR, VALUE)]);
    let k1 = keys(&em).await["partner"].0.clone();
    let plan_id = plans(&em).await[0].id().unwrap().to_string();
    // Another key (not gwctl's) already holds the value the variable is rotated to.
    let c = em.clients().await;
    c.apigw
        .create_api_key()
        .name("someone-else")
        .value(VALUE2)
        .enabled(true)
        .send()
        .await
        .unwrap();

    // Through the quota simulator, which counts every request that reaches the service.
    let proxy = QuotaProxy::start(&em, &[]);
    let run = |format: &str| {
        let mut cmd = support::gwctl_command(
            &proxy.endpoint(),
            &["apply", arg, "--yes", "--output", format],
        );
        cmd.env_remove(VAR).env(VAR, VALUE2);
        cmd.output().expect("run gwctl")
    };
    let o = run("text");
    let (out, err) = text(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a refused create is an error (exit 1):\n{out}\n{err}"
    );
    let creates = counts(&proxy.stats(), "calls", "apigateway")
        .get("CreateApiKey")
        .copied()
        .unwrap_or(0);
    assert!(
        (1..=2).contains(&creates),
        "CreateApiKey sent {creates} times: a conflict on a key value is final\n{err}"
    );
    assert!(
        err.contains("api key `partner` was not created")
            && err.contains(&format!(
                "the value of `{VAR}` already belongs to another API key"
            )),
        "one clear message naming the key:\n{err}"
    );
    assert!(!err.contains("gave up converging"), "{err}");
    for p in [&out, &err] {
        assert!(
            !p.contains(VALUE) && !p.contains(VALUE2),
            "value printed:\n{p}"
        );
    }
    // Nothing removed: the old key still exists, with its value, in its plan.
    let after = keys(&em).await;
    assert_eq!(after["partner"].0, k1);
    assert_eq!(after["partner"].1, VALUE);
    assert_eq!(after.len(), 2, "no second `partner` key: {after:?}");
    assert_eq!(plan_key_ids(&em, &plan_id).await, vec![k1.clone()]);

    // The same in JSON: one error document, the failed call named.
    let o = run("json");
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    let doc: ApplyDoc = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(doc.result, "failed");
    let error = doc.error.expect("error part");
    assert!(error.message.contains("`partner`"), "{}", error.message);
    assert!(!out.contains(VALUE2));
    assert_eq!(plan_key_ids(&em, &plan_id).await, vec![k1]);
}

#[tokio::test]
async fn a_rotation_attaches_the_new_key_before_the_old_one_is_removed() {
    let em = support::emulator().await;
    em.create_functions(&["list-tasks"]).await;
    let dir = tempfile::tempdir().unwrap();
    let spec = partner_spec(&dir, "rotate-order");
    let arg = spec.to_str().unwrap();
    apply_json(&em, &spec, &[(VAR, VALUE)]);
    let k1 = keys(&em).await["partner"].0.clone();

    let o = gwctl_env(&em, &["apply", arg, "--yes", "--verbose"], &[(VAR, VALUE2)]);
    let (out, err) = ok(&o);
    assert!(!out.contains(VALUE2) && !err.contains(VALUE2));
    let writes: Vec<String> = verbose_calls(&err)
        .into_iter()
        .filter(|c| {
            ["Create", "Delete", "Update"]
                .iter()
                .any(|p| c.starts_with(&format!("apigateway.{p}")))
        })
        .collect();
    assert_eq!(
        writes,
        [
            "apigateway.CreateApiKey",
            "apigateway.CreateUsagePlanKey",
            "apigateway.DeleteUsagePlanKey",
            "apigateway.DeleteApiKey"
        ],
        "make-before-break:\n{err}"
    );
    let k = keys(&em).await;
    assert_eq!(k.len(), 1);
    let (k2, value, _, _) = &k["partner"];
    assert_ne!(k2, &k1);
    assert_eq!(value, VALUE2);
    let plan = &plans(&em).await[0];
    assert_eq!(
        plan_key_ids(&em, plan.id().unwrap()).await,
        vec![k2.clone()]
    );
}

#[tokio::test]
async fn a_key_tagged_by_an_earlier_gwctl_is_re_tagged_not_replaced() {
    let em = support::emulator().await;
    em.create_functions(&["list-tasks"]).await;
    let dir = tempfile::tempdir().unwrap();
    let api = "legacy-tag";
    let spec = partner_spec(&dir, api);
    let arg = spec.to_str().unwrap();
    // The key as gwctl used to create it: the unsalted digest in `gwctl:value-sha256`.
    let unsalted = legacy_value_digest(VALUE);
    let c = em.clients().await;
    let old = c
        .apigw
        .create_api_key()
        .name("partner")
        .value(VALUE)
        .enabled(true)
        .tags("gwctl:managed-by", "gwctl")
        .tags("gwctl:api", api)
        .tags("gwctl:value-sha256", &unsalted)
        .send()
        .await
        .unwrap();
    let old_id = old.id().unwrap().to_string();

    let plan_file = dir.path().join("plan.json");
    let o = gwctl_env(
        &em,
        &[
            "plan",
            arg,
            "--output",
            "json",
            "--out",
            plan_file.to_str().unwrap(),
        ],
        &[(VAR, VALUE)],
    );
    let (out, err) = ok(&o);
    let plan: PlanDoc = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    let key_changes: Vec<(&str, &str, Vec<&str>)> = plan
        .changes
        .iter()
        .filter(|c| c.kind == "api_key")
        .map(|c| {
            (
                c.action.as_str(),
                c.name.as_str(),
                c.calls.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    let label = format!("partner ({old_id})");
    assert_eq!(
        key_changes,
        vec![(
            "update",
            label.as_str(),
            vec!["TagResource", "UntagResource"]
        )],
        "the key is kept and re-tagged, not replaced:\n{out}"
    );
    let saved = std::fs::read_to_string(&plan_file).unwrap();
    for text in [&out, &err, &saved] {
        assert!(
            !text.contains(&unsalted),
            "the unsalted digest is printed or saved"
        );
        assert!(!text.contains(VALUE));
    }
    // The plan file carries the salted pair for the key, and it matches the value.
    let file: serde_json::Value = serde_json::from_str(&saved).unwrap();
    let ops = file.to_string();
    assert!(ops.contains("gwctl:value-hmac") && ops.contains("gwctl:value-salt"));
}

#[tokio::test]
async fn a_saved_plan_that_creates_a_key_with_a_value_applies_and_a_changed_value_is_refused() {
    let em = support::emulator().await;
    em.create_functions(&["list-tasks"]).await;
    let dir = tempfile::tempdir().unwrap();
    let spec = partner_spec(&dir, "saved-plan");
    let file = dir.path().join("plan.json");
    let file_arg = file.to_str().unwrap();
    let plan = |value: &str| {
        ok(&gwctl_env(
            &em,
            &["plan", spec.to_str().unwrap(), "--out", file_arg],
            &[(VAR, value)],
        ));
    };
    // The variable changed between plan and apply: refused before any write.
    plan(VALUE);
    let o = gwctl_env(&em, &["apply", file_arg, "--yes"], &[(VAR, VALUE2)]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(keys(&em).await.is_empty(), "nothing created:\n{err}");
    assert!(!err.contains(VALUE) && !err.contains(VALUE2));
    // The same value: the saved plan is applied as it is (its salt, its digest).
    let saved = std::fs::read_to_string(&file).unwrap();
    let o = gwctl_env(&em, &["apply", file_arg, "--yes"], &[(VAR, VALUE)]);
    ok(&o);
    let k = keys(&em).await;
    let (_, value, _, tags) = &k["partner"];
    assert_eq!(value, VALUE);
    assert!(
        saved.contains(&tags["gwctl:value-salt"]),
        "the key carries the saved plan's salt"
    );
}
