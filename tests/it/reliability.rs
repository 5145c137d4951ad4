//! Reliability: gwctl killed at any point of an apply leaves an account the next apply
//! converges from, with nothing duplicated and nothing missing.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::support;
use crate::support::Emulator;

use crate::support::{repo, TODO_FUNCTIONS};

fn command(em: &Emulator, args: &[&str]) -> Command {
    support::gwctl_command(&em.endpoint(), args)
}

#[tokio::test]
async fn sigkill_at_any_point_then_apply_converges_without_duplicates() {
    let em = support::emulator().await;
    let spec = repo("specs/todo.yaml");
    // Calibrate on this machine: when, after start, does a first apply write? Without a
    // terminal gwctl prints one `[i/n] Op ...` line on stderr as each write starts; the kill
    // points are spread over that window (and a little before and after it).
    em.create_functions(TODO_FUNCTIONS).await;
    let (first_write, last_write) = {
        use std::io::BufRead;
        let started = std::time::Instant::now();
        let mut child = command(&em, &["apply", spec.to_str().unwrap(), "--yes"])
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut stamps = Vec::new();
        for line in std::io::BufReader::new(stderr).lines() {
            if line.unwrap().starts_with('[') {
                stamps.push(started.elapsed().as_millis() as u64);
            }
        }
        assert!(child.wait().unwrap().success(), "calibration apply");
        assert!(stamps.len() > 10, "calibration saw {} writes", stamps.len());
        (stamps[0], *stamps.last().unwrap())
    };
    let window = (last_write - first_write).max(20);
    let mut delays: Vec<u64> = vec![first_write / 2];
    delays.extend(
        [0u64, 15, 30, 45, 60, 75, 90]
            .iter()
            .map(|pct| first_write + window * pct / 100),
    );
    delays.push(last_write + 500);
    let todo_expected = support::inventory::Inventory::expected(
        &BTreeMap::from([
            ("/todos".to_string(), strings(&["GET", "OPTIONS", "POST"])),
            (
                "/todos/{id}".to_string(),
                strings(&["DELETE", "GET", "OPTIONS", "PUT"]),
            ),
        ]),
        TODO_FUNCTIONS,
        &["prod"],
    );
    let mut interrupted_mid_write = 0;
    for delay_ms in delays {
        em.reset();
        em.create_functions(TODO_FUNCTIONS).await;
        let mut child = command(&em, &["apply", spec.to_str().unwrap(), "--yes"])
            .spawn()
            .expect("spawn gwctl");
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        // Did the kill land between writes? (an API exists, and the plan is not empty)
        let apis = support::inventory::read(&em, "todo-api", TODO_FUNCTIONS)
            .await
            .apis;
        let pending = command(
            &em,
            &["plan", spec.to_str().unwrap(), "--detailed-exitcode"],
        )
        .output()
        .unwrap();
        if apis == 1 && pending.status.code() == Some(2) {
            interrupted_mid_write += 1;
        }

        let o = command(&em, &["apply", spec.to_str().unwrap(), "--yes"])
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "killed at {delay_ms} ms; recovery apply:\n{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        // one API, every path once with exactly its methods, one statement per function
        let inv = support::inventory::read(&em, "todo-api", TODO_FUNCTIONS).await;
        assert_eq!(inv.anonymous(), todo_expected, "killed at {delay_ms} ms");
        let o = command(
            &em,
            &["plan", spec.to_str().unwrap(), "--detailed-exitcode"],
        )
        .output()
        .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "killed at {delay_ms} ms; plan after recovery:\n{}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
    // The test only proves something if kills really interrupted applies half-way.
    assert!(
        interrupted_mid_write >= 2,
        "only {interrupted_mid_write} kill(s) landed between writes"
    );
}

/// The same on a generated 100-route spec (pacing off, so a first apply takes seconds on
/// the emulator): six kill points spread across the calibrated write window, each followed
/// by a converging apply and an exact inventory (every path once with its methods, one
/// statement per function, the stage) and an empty plan.
#[tokio::test]
async fn sigkill_during_a_100_route_apply_then_apply_converges_without_duplicates() {
    use support::inventory::{self, Inventory};
    let em = support::emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let spec = support::quota::generate_spec(dir.path(), 100, false, "kill-100");
    let spec = spec.to_str().unwrap();
    let functions = inventory::generated_functions(dir.path());
    let functions: Vec<&str> = functions.iter().map(String::as_str).collect();
    let expected = Inventory::expected(
        &inventory::generated_resources(dir.path()),
        &functions,
        &["prod"],
    );
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--max-rps", "off"]);
        command(&em, &all)
    };
    em.create_functions(&functions).await;
    let (first_write, last_write) = {
        use std::io::BufRead;
        let started = std::time::Instant::now();
        let mut child = run(&["apply", spec, "--yes"]).spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut stamps = Vec::new();
        for line in std::io::BufReader::new(stderr).lines() {
            if line.unwrap().starts_with('[') {
                stamps.push(started.elapsed().as_millis() as u64);
            }
        }
        assert!(child.wait().unwrap().success(), "calibration apply");
        assert!(
            stamps.len() > 300,
            "calibration saw {} writes",
            stamps.len()
        );
        (stamps[0], *stamps.last().unwrap())
    };
    let window = (last_write - first_write).max(20);
    eprintln!("100 routes: writes from {first_write} ms to {last_write} ms");
    let delays: Vec<u64> = [2u64, 20, 40, 60, 80, 95]
        .iter()
        .map(|pct| first_write + window * pct / 100)
        .collect();
    let mut interrupted_mid_write = 0;
    for delay_ms in delays {
        em.reset();
        em.create_functions(&functions).await;
        let mut child = run(&["apply", spec, "--yes"]).spawn().expect("spawn gwctl");
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let left = inventory::read(&em, "kill-100", &functions).await;
        let pending = run(&["plan", spec, "--detailed-exitcode"])
            .output()
            .unwrap();
        if left.apis == 1 && pending.status.code() == Some(2) {
            interrupted_mid_write += 1;
        }
        eprintln!(
            "killed at {delay_ms} ms: {} of {} resources made",
            left.resources.len(),
            expected.resources.len()
        );

        let o = run(&["apply", spec, "--yes"]).output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "killed at {delay_ms} ms; recovery apply:\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let inv = inventory::read(&em, "kill-100", &functions).await;
        assert_eq!(inv.anonymous(), expected, "killed at {delay_ms} ms");
        let o = run(&["plan", spec, "--detailed-exitcode"])
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "killed at {delay_ms} ms; plan after recovery:\n{}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
    assert!(
        interrupted_mid_write >= 4,
        "only {interrupted_mid_write} kill(s) landed between writes"
    );
}

/// Every malformed spec of the corpus is refused by `apply` before any AWS call: the
/// endpoint points at a closed port, so a call would surface as a transport error.
#[test]
fn malformed_specs_make_no_aws_call() {
    let dir = repo("tests/fixtures/bad");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "the corpus has {} specs", files.len());
    // a closed port on loopback: nothing listens on the discard port here
    let closed = "http://127.0.0.1:9";
    for f in &files {
        // The flags that make it malformed (`# args: --var rate=fast`), on its third line.
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        let extra: Vec<String> = text
            .lines()
            .nth(2)
            .and_then(|l| l.strip_prefix("# args: "))
            .map(|a| a.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        for verb in [&["apply", "--yes"][..], &["plan"][..]] {
            let o = Command::new(env!("CARGO_BIN_EXE_gwctl"))
                .args(verb)
                .arg(f)
                .args(&extra)
                .env("AWS_ENDPOINT_URL", closed)
                .env("AWS_REGION", "us-east-1")
                .env("AWS_ACCESS_KEY_ID", "x")
                .env("AWS_SECRET_ACCESS_KEY", "x")
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(1), "{} {verb:?}:\n{err}", f.display());
            assert!(err.contains("error"), "{}: {err}", f.display());
            assert!(
                !err.contains("could not reach") && !err.contains("dispatch"),
                "{} made an AWS call:\n{err}",
                f.display()
            );
        }
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The same for a WebSocket API (specs/chat.yaml): killed at points spread over the
/// calibrated write window, the next apply converges to exactly the spec: one API, each
/// route key once, one integration per function, one gwctl statement per function, the
/// stage, and an empty plan. (moto cannot list route responses: that the two-way route's
/// route response exists is not read back here; `aws_ws_offline` shows its request.)
#[tokio::test]
async fn sigkill_during_a_websocket_apply_then_apply_converges_without_duplicates() {
    const FUNCTIONS: &[&str] = &[
        "chat-connect",
        "chat-disconnect",
        "chat-send",
        "chat-default",
        "chat-authorizer",
    ];
    let em = support::emulator().await;
    let spec = repo("specs/chat.yaml");
    em.create_functions(FUNCTIONS).await;
    let (first_write, last_write) = {
        use std::io::BufRead;
        let started = std::time::Instant::now();
        let mut child = command(&em, &["apply", spec.to_str().unwrap(), "--yes"])
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut stamps = Vec::new();
        for line in std::io::BufReader::new(stderr).lines() {
            if line.unwrap().starts_with('[') {
                stamps.push(started.elapsed().as_millis() as u64);
            }
        }
        assert!(child.wait().unwrap().success(), "calibration apply");
        assert!(stamps.len() > 10, "calibration saw {} writes", stamps.len());
        (stamps[0], *stamps.last().unwrap())
    };
    let window = (last_write - first_write).max(20);
    let delays: Vec<u64> = [0u64, 20, 40, 60, 80]
        .iter()
        .map(|pct| first_write + window * pct / 100)
        .collect();
    let mut interrupted_mid_write = 0;
    for delay_ms in delays {
        em.reset();
        em.create_functions(FUNCTIONS).await;
        let mut child = command(&em, &["apply", spec.to_str().unwrap(), "--yes"])
            .spawn()
            .expect("spawn gwctl");
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let c = em.clients().await;
        let apis = |c: gwctl::aws::Clients| async move {
            c.apigw2
                .get_apis()
                .send()
                .await
                .unwrap()
                .items()
                .iter()
                .filter_map(|a| a.api_id().map(str::to_string))
                .collect::<Vec<_>>()
        };
        let pending = command(
            &em,
            &["plan", spec.to_str().unwrap(), "--detailed-exitcode"],
        )
        .output()
        .unwrap();
        if apis(c.clone()).await.len() == 1 && pending.status.code() == Some(2) {
            interrupted_mid_write += 1;
        }

        let o = command(&em, &["apply", spec.to_str().unwrap(), "--yes"])
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "killed at {delay_ms} ms; recovery apply:\n{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        let ids = apis(c.clone()).await;
        assert_eq!(ids.len(), 1, "killed at {delay_ms} ms: {ids:?}");
        let id = &ids[0];
        let routes = c.apigw2.get_routes().api_id(id).send().await.unwrap();
        let mut keys: Vec<&str> = routes
            .items()
            .iter()
            .filter_map(|r| r.route_key())
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            ["$connect", "$default", "$disconnect", "sendmessage"],
            "killed at {delay_ms} ms"
        );
        let integrations = c.apigw2.get_integrations().api_id(id).send().await.unwrap();
        assert_eq!(integrations.items().len(), 4, "killed at {delay_ms} ms");
        let stages = c.apigw2.get_stages().api_id(id).send().await.unwrap();
        assert_eq!(stages.items().len(), 1, "killed at {delay_ms} ms");
        for f in FUNCTIONS {
            let sids: Vec<String> = match c.lambda.get_policy().function_name(*f).send().await {
                Ok(p) => gwctl::aws::read::parse_policy(p.policy().unwrap())
                    .unwrap()
                    .into_iter()
                    .map(|s| s.sid)
                    .collect(),
                Err(_) => Vec::new(),
            };
            assert_eq!(sids.len(), 1, "killed at {delay_ms} ms, {f}: {sids:?}");
            assert!(sids[0].contains(id.as_str()), "{f}: {sids:?}");
        }
        let o = command(
            &em,
            &["plan", spec.to_str().unwrap(), "--detailed-exitcode"],
        )
        .output()
        .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "killed at {delay_ms} ms; plan after recovery:\n{}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
    assert!(
        interrupted_mid_write >= 1,
        "only {interrupted_mid_write} kill(s) landed between writes"
    );
}
