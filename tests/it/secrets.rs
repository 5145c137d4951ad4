//! Key values never printed, on the error paths too: `validate`, `plan` (text and JSON,
//! with `--out`) and `apply` on specs that hold a key value in the wrong place. Every spec
//! is refused before any AWS call (the endpoint is a closed port), and the secret appears in
//! no output and no plan file.

use std::path::PathBuf;
use std::process::Command;

const SECRET: &str = "Zq9SecretKeyValue7Xy3Wv5Tu1Rs3Pq";

const BASE: &str = "version: 1\napi: {name: secret-test, kind: rest}\nfunctions: {f: f}\n\
routes:\n  - {path: /a, method: GET, function: f, api_key_required: true}\n\
stages: {prod: {}}\nusage_plans:\n  basic: {stages: [prod], keys: [web]}\n";

fn cases() -> Vec<(&'static str, String)> {
    let s = SECRET;
    vec![
        (
            "misspelled-key",
            format!("{BASE}api_keys:\n  web:\n    vaule: {s}\n"),
        ),
        (
            "flow-list",
            format!("{BASE}api_keys:\n  web:\n    value: [{s}, x]\n"),
        ),
        ("wrong-type", format!("{BASE}api_keys:\n  web: {s}\n")),
        (
            "env-name",
            format!("{BASE}api_keys:\n  web:\n    value_from_env: {s}\n"),
        ),
        (
            "env-name-bad-chars",
            format!("{BASE}api_keys:\n  web:\n    value_from_env: \"{s}+/=\"\n"),
        ),
        ("id", format!("{BASE}api_keys:\n  web: {{id: {s}}}\n")),
        (
            "syntax-error",
            format!("{BASE}api_keys:\n  web: {{value: {s}\n"),
        ),
    ]
}

#[test]
fn a_key_value_in_the_wrong_place_is_refused_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in cases() {
        let spec = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&spec, &text).unwrap();
        let spec = spec.display().to_string();
        let planfile: PathBuf = dir.path().join(format!("{name}.plan"));
        let runs: Vec<Vec<String>> = vec![
            vec!["validate".into(), spec.clone()],
            vec![
                "validate".into(),
                "--output".into(),
                "json".into(),
                spec.clone(),
            ],
            vec![
                "plan".into(),
                spec.clone(),
                "--out".into(),
                planfile.display().to_string(),
            ],
            vec![
                "plan".into(),
                "--output".into(),
                "json".into(),
                spec.clone(),
            ],
            vec!["apply".into(), spec.clone(), "--yes".into()],
        ];
        for args in runs {
            let o = Command::new(env!("CARGO_BIN_EXE_gwctl"))
                .args(["--endpoint-url", "http://127.0.0.1:9"])
                .args(&args)
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .env("AWS_REGION", "us-east-1")
                .env(SECRET, "a-value-that-is-long-enough-for-aws")
                .env_remove("NO_COLOR")
                .output()
                .expect("run gwctl");
            let out = String::from_utf8_lossy(&o.stdout);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_ne!(
                o.status.code(),
                Some(0),
                "{name} {args:?} accepted:\n{out}{err}"
            );
            // A position: `file:line:col` in text, `"line"` in a JSON document.
            assert!(
                err.contains(&format!("{name}.yaml:")) || out.contains("\"line\": "),
                "{name} {args:?}: no position:\n{out}{err}"
            );
            for shown in [&out, &err] {
                assert!(
                    !shown.contains(SECRET),
                    "{name} {args:?} printed the secret:\n{shown}"
                );
                assert!(
                    !shown.contains(&SECRET[..12]),
                    "{name} {args:?}: part of it:\n{shown}"
                );
            }
            if let Ok(saved) = std::fs::read_to_string(&planfile) {
                assert!(!saved.contains(&SECRET[..12]), "{name}: in the plan file");
            }
        }
    }
}
