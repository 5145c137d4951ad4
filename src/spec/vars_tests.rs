//! Variables and environments (`vars.rs`): each problem with where it points, precedence,
//! built-ins, and the property that resolving then validating equals validating the spec
//! written out by hand.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::vars::{Inputs, Known, VarFile};
use super::*;

fn load_with(text: &str, inputs: &Inputs) -> Loaded {
    load_str_inputs(Path::new("t.yaml"), text, &LoadOptions::default(), inputs)
}

fn errors(l: &Loaded) -> Vec<&Diagnostic> {
    l.diagnostics.iter().filter(|d| d.is_error()).collect()
}

#[track_caller]
fn one_error(text: &str, inputs: &Inputs) -> Diagnostic {
    let l = load_with(text, inputs);
    let e = errors(&l);
    assert_eq!(e.len(), 1, "{:#?}", l.diagnostics);
    e[0].clone()
}

fn flags(f: &[&str]) -> Inputs {
    Inputs {
        flags: f.iter().map(|s| s.to_string()).collect(),
        ..Inputs::default()
    }
}

const BASE: &str = "variables:
  stage: {default: dev}
  rate: {type: number}
  fn: {type: string}
api:
  name: a-${var.stage}
functions:
  f: ${var.fn}
routes:
  - {path: /x, method: GET, function: f}
stages:
  ${var.stage}:
    throttle:
      rate: ${var.rate}
      burst: 1
";

fn value<'a>(spec: &'a Spec, name: &str) -> &'a vars::UsedValue {
    spec.vars
        .variables
        .iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("{name} in {:?}", spec.vars))
}

#[test]
fn values_are_substituted_typed_and_recorded_with_their_sources() {
    let l = load_with(BASE, &flags(&["rate=5", "fn=list-items"]));
    let spec = l.spec.expect("valid");
    assert_eq!(spec.api.name.value, "a-dev");
    assert_eq!(spec.stages[0].name.value, "dev");
    assert_eq!(value(&spec, "var.rate").value, serde_json::json!(5));
    assert_eq!(value(&spec, "var.rate").source, "--var");
    assert_eq!(value(&spec, "var.stage").source, "default");
    assert_eq!(spec.vars.environment, None);
    // The node keeps the position of the `${...}`.
    assert_eq!((spec.api.name.pos.line, spec.api.name.pos.col), (6, 9));
}

#[test]
fn precedence_is_default_environment_file_env_var_flag() {
    let text = "variables:
  s: {default: d}
environments:
  default: e
  e: {variables: {s: from-env}}
api: {name: \"n-${var.s}\"}
functions: {f: f}
stages: {prod: {}}
routes: [{path: /x, method: GET, function: f}]
";
    let file = |v: &str| VarFile {
        path: PathBuf::from(format!("{v}.yaml")),
        text: format!("s: {v}\n"),
    };
    let name = |inputs: &Inputs| {
        let l = load_with(text, inputs);
        let spec = l.spec.unwrap_or_else(|| panic!("{:#?}", l.diagnostics));
        (
            spec.api.name.value.clone(),
            value(&spec, "var.s").source.clone(),
        )
    };
    let mut i = Inputs::default();
    assert_eq!(name(&i).0, "n-from-env");
    i.var_files = vec![file("f1"), file("f2")];
    assert_eq!(name(&i), ("n-f2".into(), "--var-file f2.yaml".into()));
    i.env_vars = vec![("s".into(), "ev".into())];
    assert_eq!(name(&i), ("n-ev".into(), "GWCTL_VAR_s".into()));
    i.flags = vec!["s=x1".into(), "s=x2".into()];
    assert_eq!(name(&i), ("n-x2".into(), "--var".into()));
}

#[test]
fn undeclared_variable_points_at_the_reference_with_a_suggestion() {
    let d = one_error(
        BASE.replace("a-${var.stage}", "a-${var.stag}").as_str(),
        &flags(&["rate=5", "fn=f"]),
    );
    assert_eq!(d.message, "`${var.stag}`: undeclared variable `stag`");
    assert_eq!((d.line, d.col, d.len), (6, 11, 11));
    assert_eq!(d.hint.as_deref(), Some("did you mean `${var.stage}`?"));
}

#[test]
fn missing_value_points_at_each_use() {
    let l = load_with(BASE, &flags(&["rate=5"]));
    let e = errors(&l);
    assert_eq!(e.len(), 1, "{:#?}", l.diagnostics);
    assert_eq!(e[0].message, "`${var.fn}`: variable `fn` has no value");
    assert_eq!((e[0].line, e[0].col), (8, 6));
}

#[test]
fn a_flag_of_the_wrong_type_is_reported_at_the_use_naming_the_flag() {
    let d = one_error(BASE, &flags(&["rate=fast", "fn=f"]));
    assert_eq!(
        d.message,
        "`--var rate=...`: `fast` is not a number; variable `rate` is declared as a number"
    );
    assert_eq!((d.line, d.col), (14, 13));
    // Unused, it is reported at the declaration.
    let text = BASE.replace("${var.rate}", "3");
    let d = one_error(&text, &flags(&["rate=fast", "fn=f"]));
    assert_eq!((d.line, d.col), (3, 3));
}

#[test]
fn a_var_file_value_of_the_wrong_type_points_into_the_var_file() {
    let i = Inputs {
        var_files: vec![VarFile {
            path: "prod.yaml".into(),
            text: "fn: f\nrate: [1]\n".into(),
        }],
        ..Inputs::default()
    };
    let d = one_error(BASE, &i);
    assert_eq!(d.file, PathBuf::from("prod.yaml"));
    assert_eq!((d.line, d.col), (2, 7));
    assert_eq!(d.message, "variable `rate` must be a number, found a list");
    // An unknown name in a var file is a warning there.
    let i = Inputs {
        var_files: vec![VarFile {
            path: "v.yaml".into(),
            text: "fn: f\nrate: 1\nstge: x\n".into(),
        }],
        ..Inputs::default()
    };
    let l = load_with(BASE, &i);
    assert!(!l.has_errors());
    assert_eq!(l.diagnostics[0].line, 3);
    assert_eq!(
        l.diagnostics[0].hint.as_deref(),
        Some("did you mean `stage`?")
    );
}

#[test]
fn declarations_are_checked() {
    let d = one_error("variables: {x: {type: strng}}\napi: {name: a}\nfunctions: {f: f}\nstages: {prod: {}}\nroutes: [{path: /x, method: GET, function: f}]\n", &Inputs::default());
    assert_eq!(d.message, "unknown variable type `strng`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `string`?"));
    let d = one_error("variables: {x: {type: number, default: ten}}\napi: {name: a}\nfunctions: {f: f}\nstages: {prod: {}}\nroutes: [{path: /x, method: GET, function: f}]\n", &Inputs::default());
    assert_eq!(
        d.message,
        "the default of variable `x` must be a number, found a string"
    );
    assert_eq!((d.line, d.col), (1, 40));
    let d = one_error("variables: {x: {typ: number}}\napi: {name: a}\nfunctions: {f: f}\nstages: {prod: {}}\nroutes: [{path: /x, method: GET, function: f}]\n", &Inputs::default());
    assert_eq!(d.message, "unknown key `typ` in variable `x`");
}

#[test]
fn a_substituted_value_is_checked_like_a_written_one_and_names_its_source() {
    let text = "variables: {region: {}}
api: {name: a}
functions: {f: \"arn:aws:lambda:${var.region}:123456789012:function:f\"}
routes: [{path: /x, method: GET, function: f}]
";
    let d = one_error(text, &flags(&["region=moon-1"]));
    assert_eq!(d.line, 3);
    assert_eq!(d.col, 16);
    let hint = d.hint.unwrap();
    assert!(
        hint.ends_with("`${var.region}` is `moon-1` (from --var)"),
        "{hint}"
    );
    let ok = load_with(text, &flags(&["region=eu-west-1"]));
    assert!(!ok.has_errors(), "{:#?}", ok.diagnostics);
}

#[test]
fn environments_select_values_and_are_required_without_a_default() {
    let text = "variables: {s: {}}
environments:
  dev: {variables: {s: d}}
  prod: {region: eu-west-1, variables: {s: p}}
api: {name: \"n-${var.s}-${environment}\"}
functions: {f: f}
stages: {prod: {}}
routes: [{path: /x, method: GET, function: f}]
";
    let d = one_error(text, &Inputs::default());
    assert_eq!(
        d.message,
        "this spec declares environments `dev`, `prod` and no default: pass `--env NAME`"
    );
    assert_eq!((d.line, d.col), (2, 1));
    let prod = Inputs {
        env: Some("prod".into()),
        ..Inputs::default()
    };
    let spec = load_with(text, &prod).spec.unwrap();
    assert_eq!(spec.api.name.value, "n-p-prod");
    assert_eq!(spec.vars.environment.as_deref(), Some("prod"));
    assert_eq!(value(&spec, "environment").source, "--env");
    let with_default = format!(
        "{}\n",
        text.replace("environments:\n", "environments:\n  default: dev\n")
    );
    let spec = load_with(&with_default, &Inputs::default()).spec.unwrap();
    assert_eq!(spec.api.name.value, "n-d-dev");
    assert_eq!(
        value(&spec, "environment").source,
        "the default environment"
    );
    let d = one_error(
        text,
        &Inputs {
            env: Some("prd".into()),
            ..Inputs::default()
        },
    );
    assert_eq!(
        d.message,
        "`--env prd`: the spec declares no environment `prd`"
    );
    assert_eq!(d.hint.as_deref(), Some("did you mean `prod`?"));
    let bad = text.replace("variables: {s: p}", "variables: {s: p, t: p}");
    let d = one_error(&bad, &prod);
    assert_eq!(d.message, "environment `prod` sets undeclared variable `t`");
    assert_eq!((d.line, d.col), (4, 47));
    let d = one_error(&text.replace("eu-west-1", "europe"), &prod);
    assert_eq!(d.message, "environment `prod`: invalid region `europe`");
    let d = one_error("api: {name: a}\nfunctions: {f: f}\nstages: {prod: {}}\nroutes: [{path: /x, method: GET, function: f}]\n", &prod);
    assert_eq!(
        d.message,
        "`--env prod` was given, but the spec declares no `environments:`"
    );
}

#[test]
fn built_ins_escapes_and_foreign_references() {
    let text = "api: {name: \"a-${aws.region}-${env.GW_T}\", description: \"$${var.x} ${stageVariables.v}\"}
functions: {f: \"arn:aws:lambda:${aws.region}:${aws.account_id}:function:f\"}
routes: [{path: /x, method: GET, function: f}]
";
    let mut i = Inputs {
        region: Some(Known {
            value: "eu-west-1".into(),
            source: "--region".into(),
        }),
        account_id: Some(Known {
            value: "111122223333".into(),
            source: "STS".into(),
        }),
        ..Inputs::default()
    };
    i.os_env.insert("GW_T".into(), "t".into());
    let l = load_with(text, &i);
    let spec = l.spec.unwrap_or_else(|| panic!("{:#?}", l.diagnostics));
    assert_eq!(spec.api.name.value, "a-eu-west-1-t");
    assert_eq!(
        spec.api.description.as_deref(),
        Some("${var.x} ${stageVariables.v}")
    );
    assert_eq!(
        value(&spec, "aws.account_id").value,
        serde_json::json!("111122223333")
    );
    i.os_env.clear();
    let d = one_error(text, &i);
    assert_eq!(
        d.message,
        "`${env.GW_T}`: environment variable `GW_T` is not set"
    );
    assert_eq!((d.line, d.col), (1, 30));
    let d = one_error(
        &text.replace("aws.region}-", "aws.regoin}-"),
        &Inputs {
            os_env: [("GW_T".to_string(), "t".to_string())].into(),
            ..i.clone()
        },
    );
    assert_eq!(d.message, "`${aws.regoin}`: unknown built-in `aws.regoin`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `aws.region`?"));
}

#[test]
fn malformed_references_and_lists() {
    let d = one_error("api: {name: \"a-${var.x\"}\nfunctions: {f: f}\nstages: {prod: {}}\nroutes: [{path: /x, method: GET, function: f}]\n", &Inputs::default());
    assert_eq!(d.message, "`${var.x` is not closed with `}`");
    assert_eq!((d.line, d.col), (1, 16));
    let text =
        "variables: {o: {type: list, default: [\"https://a.example\", \"https://b.example\"]}}
api: {name: a}
cors:
  origins: ${var.o}
functions: {f: f}
stages: {prod: {}}
routes: [{path: /x, method: GET, function: f}]
";
    let spec = load_with(text, &Inputs::default()).spec.unwrap();
    assert_eq!(spec.cors.unwrap().origins.len(), 2);
    let d = one_error(
        &text.replace("origins: ${var.o}", "origins: [\"x${var.o}\"]"),
        &Inputs::default(),
    );
    assert_eq!(
        d.message,
        "`${var.o}` is a list: a list can only be a whole value"
    );
}

#[test]
fn a_value_used_under_api_keys_is_recorded_as_a_digest_only() {
    let text = "variables: {k: {}}
api: {name: a, kind: rest}
api_keys:
  ${var.k}: {description: d}
usage_plans:
  p: {stages: [prod], keys: [\"${var.k}\"]}
functions: {f: f}
stages: {prod: {}}
routes: [{path: /x, method: GET, function: f, api_key_required: true}]
";
    let l = load_with(text, &flags(&["k=partner"]));
    let spec = l.spec.unwrap_or_else(|| panic!("{:#?}", l.diagnostics));
    let v = value(&spec, "var.k");
    assert!(v.secret);
    assert!(v.value.as_str().unwrap().starts_with("sha256:"));
    assert!(!serde_json::to_string(&spec.vars)
        .unwrap()
        .contains("partner"));
}

#[test]
fn specs_without_variables_are_read_as_before() {
    let text = "api: {name: a}\nfunctions: {f: f}\nstages: {prod: {}}\nroutes: [{path: /x, method: GET, function: f}]\n";
    let l = load_with(text, &Inputs::default());
    assert_eq!(l.spec.unwrap().vars, vars::Resolution::default());
}

// ---------------------------------------------------------------- the property

/// The template: every substituted value sits where a hand-written one would, whole.
const TEMPLATE: &str = "variables:
  api: {}
  fn: {}
  stage: {}
  region: {}
  rate: {type: number}
  level: {}
api:
  name: ${var.api}
functions:
  f: ${var.fn}
  g: \"arn:aws:lambda:${var.region}:123456789012:function:g\"
routes:
  - path: /x
    method: GET
    function: f
  - path: /y
    method: GET
    function: g
stages:
  ${var.stage}:
    logging: ${var.level}
    throttle:
      rate: ${var.rate}
      burst: 10
";

/// A diagnostic as both loads must agree on: the hint names the source only in one.
fn shape(l: &Loaded) -> Vec<(Severity, u32, String)> {
    l.diagnostics
        .iter()
        .map(|d| (d.severity, d.line, d.message.clone()))
        .collect()
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn text_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,20}",
        "[A-Za-z0-9_./: -]{0,12}",
        Just(String::new()),
        Just("INFO".to_string()),
        Just("ERROR".to_string()),
        Just("eu-west-1".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn resolving_then_validating_equals_validating_the_hand_written_spec(
        api in text_value(),
        func in text_value(),
        stage in text_value(),
        region in text_value(),
        level in text_value(),
        rate in prop_oneof![(-5i64..100_000).prop_map(|r| r.to_string()), Just("2.5".to_string())],
    ) {
        let flags = flags(&[
            &format!("api={api}"),
            &format!("fn={func}"),
            &format!("stage={stage}"),
            &format!("region={region}"),
            &format!("rate={rate}"),
            &format!("level={level}"),
        ]);
        let resolved = load_with(TEMPLATE, &flags);
        // The same spec with the values written in, `variables:` blanked line for line so
        // positions stay the same.
        let by_hand: String = TEMPLATE
            .lines()
            .enumerate()
            .map(|(i, l)| if i < 7 { "#".to_string() } else { l.to_string() })
            .collect::<Vec<_>>()
            .join("\n")
            .replace("${var.api}", &quoted(&api))
            .replace("${var.fn}", &quoted(&func))
            .replace("${var.stage}", &quoted(&stage))
            .replace("${var.level}", &quoted(&level))
            .replace("${var.rate}", &rate)
            .replace("${var.region}", quoted(&region).trim_matches('"'))
            + "\n";
        let written = load_with(&by_hand, &Inputs::default());
        prop_assert_eq!(shape(&resolved), shape(&written), "{}", by_hand);
        match (&resolved.spec, &written.spec) {
            (Some(a), Some(b)) => {
                let mut a = a.clone();
                a.vars = Default::default();
                prop_assert_eq!(format!("{a:?}"), format!("{b:?}"));
            }
            (None, None) => {}
            _ => prop_assert!(false, "one valid, one not"),
        }
    }
}

#[test]
fn an_unquoted_reference_in_a_flow_mapping_gets_a_hint() {
    let l = load_with("api: {name: todo-${environment}}\n", &Inputs::default());
    let d = &l.diagnostics[0];
    assert!(d.message.starts_with("invalid yaml"), "{}", d.message);
    assert_eq!(d.hint.as_deref(), Some(vars::FLOW_HINT));
}
