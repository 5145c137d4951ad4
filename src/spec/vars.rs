//! Variables and environments: `variables:`, `environments:` and `${...}` substitution.
//!
//! Runs between the YAML parser and the reader (see `mod.rs`): the node tree comes in with
//! `${var.NAME}`, `${aws.region}`, `${aws.account_id}`, `${env.NAME}` and `${environment}`
//! in its strings, and goes out with the values in their place, every node keeping the
//! position of what was written. So every check of the reader and of `check.rs` applies to
//! the resolved values, and a problem in a substituted value points at the `${...}`; a note
//! naming the value and where it came from (`--var`, a `--var-file`, `GWCTL_VAR_NAME`, the
//! environment, the default) is added to the hint of any diagnostic at that node.
//!
//! No I/O here: the command line gathers the values ([`Inputs`]: flags, the var files' text,
//! the process environment, the region and account in effect) and passes them in.
//!
//! Precedence, lowest first (Terraform's order, with the environment's values in the place
//! of an automatically loaded tfvars file): the declared `default`, the selected
//! environment's `variables:`, each `--var-file` in the order given, `GWCTL_VAR_NAME`, each
//! `--var NAME=VALUE` in the order given. `$${` is a literal `${`. A `${...}` whose name is
//! none of the above (`${stageVariables.x}`, a mapping template's `${data.x}`) is left as
//! written: API Gateway gives those a meaning of its own.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::diag::{Diagnostic, Severity, Source};
use super::model::Pos;
use super::yaml::{self, Node, Value};

/// Keys of a variable's declaration.
pub(crate) const VARIABLE_KEYS: &[&str] = &["type", "default", "description"];
/// Keys of one environment.
pub(crate) const ENVIRONMENT_KEYS: &[&str] = &["region", "profile", "variables", "description"];
/// The types a variable may declare.
pub(crate) const VARIABLE_TYPES: &[&str] = &["string", "number", "boolean", "list"];
/// Built-ins under `${aws.NAME}`.
const AWS_BUILTINS: &[&str] = &["region", "account_id"];
/// The hint of a YAML error on a line with a `${...}`: in `{...}` or `[...]` it must be quoted.
pub(crate) const FLOW_HINT: &str =
    "inside `{...}` or `[...]`, quote a value holding `${...}`: `{name: \"todo-${environment}\"}`";
/// The key of `environments:` naming the environment used without `--env`.
pub(crate) const DEFAULT_KEY: &str = "default";

/// A `--var-file`: its path as given and its text (read by the command line).
#[derive(Debug, Clone)]
pub struct VarFile {
    pub path: PathBuf,
    pub text: String,
}

/// A built-in value and what supplied it (`--region`, `AWS_REGION`, STS, a placeholder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub value: String,
    pub source: String,
}

/// Everything substitution may draw on, gathered by the command line.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// `--env NAME`.
    pub env: Option<String>,
    /// `--var-file`s, in the order given (later wins).
    pub var_files: Vec<VarFile>,
    /// `GWCTL_VAR_NAME=VALUE` from the process environment: (NAME, VALUE).
    pub env_vars: Vec<(String, String)>,
    /// `--var NAME=VALUE`, as given, in order (later wins).
    pub flags: Vec<String>,
    /// The process environment, for `${env.NAME}`.
    pub os_env: BTreeMap<String, String>,
    /// `${aws.region}`: the region in effect.
    pub region: Option<Known>,
    /// `${aws.account_id}`: the account of the credentials in effect.
    pub account_id: Option<Known>,
}

pub use super::model::{Resolution, UsedValue};

/// The environments a spec declares, read without checking the rest (the command line needs
/// them before it connects: an environment may name the region and profile).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environments {
    pub names: Vec<String>,
    pub default: Option<String>,
    /// (environment, region, profile).
    pub settings: Vec<(String, Option<String>, Option<String>)>,
}

impl Environments {
    /// The environment `--env` (or the default) selects, if it is declared.
    pub fn selected(&self, env: Option<&str>) -> Option<&str> {
        let name = env.or(self.default.as_deref())?;
        self.names.iter().find(|n| *n == name).map(String::as_str)
    }

    /// Region and profile of environment `name`.
    pub fn aws_of(&self, name: &str) -> (Option<&str>, Option<&str>) {
        self.settings
            .iter()
            .find(|(n, _, _)| n == name)
            .map_or((None, None), |(_, r, p)| (r.as_deref(), p.as_deref()))
    }
}

/// The `environments:` of spec `text` (empty when there are none or the text is not YAML;
/// the full load reports the problems).
pub fn environments(text: &str) -> Environments {
    let mut out = Environments::default();
    let Ok(root) = yaml::parse(text) else {
        return out;
    };
    let Some(envs) = entry(&root, "environments") else {
        return out;
    };
    let Value::Map(es) = &envs.value else {
        return out;
    };
    for (k, v) in es {
        let name = k.key_text();
        if name == DEFAULT_KEY {
            out.default = v.as_text();
            continue;
        }
        let field = |f: &str| entry(v, f).and_then(Node::as_text);
        out.settings
            .push((name.clone(), field("region"), field("profile")));
        out.names.push(name);
    }
    out
}

/// Whether spec `text` uses `${aws.account_id}` (the command line then asks STS for it).
pub fn uses_account_id(text: &str) -> bool {
    text.contains("${aws.account_id}")
}

fn entry<'n>(n: &'n Node, key: &str) -> Option<&'n Node> {
    match &n.value {
        Value::Map(es) => es.iter().find(|(k, _)| k.key_text() == key).map(|(_, v)| v),
        _ => None,
    }
}

// ---------------------------------------------------------------- values and types

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    String,
    Number,
    Boolean,
    List,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::String => "a string",
            Ty::Number => "a number",
            Ty::Boolean => "a boolean",
            Ty::List => "a list",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Str(String),
    Int(i64),
    Float(f64, String),
    Bool(bool),
    List(Vec<Val>),
}

impl Val {
    /// The value inside a longer string; `None` for a list.
    fn text(&self) -> Option<String> {
        match self {
            Val::Str(s) => Some(s.clone()),
            Val::Int(i) => Some(i.to_string()),
            Val::Float(_, t) => Some(t.clone()),
            Val::Bool(b) => Some(b.to_string()),
            Val::List(_) => None,
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Val::Str(s) => s.clone().into(),
            Val::Int(i) => (*i).into(),
            Val::Float(f, t) => {
                serde_json::Number::from_f64(*f).map_or(t.clone().into(), Into::into)
            }
            Val::Bool(b) => (*b).into(),
            Val::List(items) => items.iter().map(Val::json).collect(),
        }
    }

    /// Short form for notes and messages.
    fn shown(&self) -> String {
        match self {
            Val::List(items) => format!(
                "[{}]",
                items.iter().map(Val::shown).collect::<Vec<_>>().join(", ")
            ),
            other => other.text().unwrap_or_default(),
        }
    }

    /// The node this value becomes when it is a scalar's whole value, at `at`'s place.
    fn node(&self, at: &Node) -> Node {
        let (value, raw) = match self {
            // The raw text stays what was written: positions inside the value (paths) then
            // fall back to the whole `${...}`.
            Val::Str(s) => (Value::Str(s.clone()), at.raw.clone()),
            Val::Int(i) => (Value::Int(*i), i.to_string()),
            Val::Float(f, t) => (Value::Float(*f), t.clone()),
            Val::Bool(b) => (Value::Bool(*b), b.to_string()),
            Val::List(items) => (
                Value::Seq(items.iter().map(|v| v.node(at)).collect()),
                String::new(),
            ),
        };
        Node {
            value,
            pos: at.pos,
            len: at.len,
            raw,
        }
    }
}

/// A scalar from text (`--var`, `GWCTL_VAR_`): numbers, booleans and lists are parsed.
fn from_text(ty: Ty, text: &str) -> Result<Val, String> {
    match ty {
        Ty::String => Ok(Val::Str(text.to_string())),
        Ty::Number => number(text).ok_or_else(|| format!("`{text}` is not a number")),
        Ty::Boolean => match text {
            "true" => Ok(Val::Bool(true)),
            "false" => Ok(Val::Bool(false)),
            _ => Err(format!("`{text}` is not `true` or `false`")),
        },
        Ty::List => {
            let n =
                yaml::parse(text).map_err(|_| format!("`{text}` is not a list like `[a, b]`"))?;
            match &n.value {
                Value::Seq(_) => from_node(Ty::List, &n),
                _ => Err(format!("`{text}` is not a list like `[a, b]`")),
            }
        }
    }
}

fn number(text: &str) -> Option<Val> {
    let t = text.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Some(Val::Int(i));
    }
    t.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite() && t.chars().all(|c| c.is_ascii_digit() || ".-+eE".contains(c)))
        .map(|f| Val::Float(f, t.to_string()))
}

/// A value written in YAML (a default, an environment's value, a var file's value).
fn from_node(ty: Ty, n: &Node) -> Result<Val, String> {
    let found = || format!("found {}", n.type_name());
    match (ty, &n.value) {
        (Ty::String, Value::Str(s)) => Ok(Val::Str(s.clone())),
        (Ty::String, Value::Int(_) | Value::Float(_)) => Ok(Val::Str(n.raw.clone())),
        (Ty::String, Value::Bool(b)) => Ok(Val::Str(b.to_string())),
        (Ty::Number, Value::Int(i)) => Ok(Val::Int(*i)),
        (Ty::Number, Value::Float(f)) => Ok(Val::Float(*f, n.raw.clone())),
        (Ty::Boolean, Value::Bool(b)) => Ok(Val::Bool(*b)),
        (Ty::List, Value::Seq(items)) => items
            .iter()
            .map(|i| match &i.value {
                Value::Str(s) => Ok(Val::Str(s.clone())),
                Value::Int(v) => Ok(Val::Int(*v)),
                Value::Float(f) => Ok(Val::Float(*f, i.raw.clone())),
                Value::Bool(b) => Ok(Val::Bool(*b)),
                _ => Err(format!(
                    "list items must be scalars, found {}",
                    i.type_name()
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Val::List),
        _ => Err(found()),
    }
}

// ---------------------------------------------------------------- the result

/// What substitution made of a spec's node tree.
pub(crate) struct Outcome {
    /// The tree with values substituted, and without `variables:` and `environments:`.
    pub root: Node,
    pub diags: Vec<Diagnostic>,
    /// Notes for diagnostics at a substituted node: what was substituted, from where.
    pub notes: HashMap<Pos, String>,
    /// Nodes whose substitution failed (reported): what the reader says of them is noise.
    pub failed: std::collections::HashSet<Pos>,
    pub resolution: Resolution,
}

/// Where a variable's value stands.
#[derive(Debug, Clone)]
enum State {
    Set(Val, String),
    /// No default and no value given.
    Missing,
    /// The value given is not of the declared type: reported at each use (or at the
    /// declaration when unused).
    Bad(String),
    /// A problem already reported where the value was written (the spec, a var file).
    Reported,
}

struct Decl {
    ty: Ty,
    key: Node,
    state: State,
    used: bool,
}

struct Ctx<'a> {
    src: &'a Source<'a>,
    inputs: &'a Inputs,
    diags: Vec<Diagnostic>,
    notes: HashMap<Pos, String>,
    failed: std::collections::HashSet<Pos>,
    decls: BTreeMap<String, Decl>,
    environment: Option<String>,
    /// `--env`, or `the default environment`.
    environment_source: String,
    /// Whether `environments:` is declared (for the message about `${environment}`).
    has_envs: bool,
    /// No environment could be selected (reported): values it would give are not missing.
    env_failed: bool,
    used: BTreeMap<String, UsedValue>,
}

impl Ctx<'_> {
    fn err(&mut self, pos: Pos, len: u32, msg: impl Into<String>, hint: Option<String>) {
        let d = self.src.diag(Severity::Error, pos, len, msg, hint);
        self.diags.push(d);
    }
    fn err_node(&mut self, n: &Node, msg: impl Into<String>, hint: Option<String>) {
        self.err(n.pos, n.len, msg, hint);
    }
}

/// Substitute `inputs` into `root` (see the module comment).
pub(crate) fn resolve(src: &Source, root: &Node, inputs: &Inputs) -> Outcome {
    let mut cx = Ctx {
        src,
        inputs,
        diags: Vec::new(),
        notes: HashMap::new(),
        failed: Default::default(),
        decls: BTreeMap::new(),
        environment: None,
        environment_source: String::new(),
        has_envs: false,
        env_failed: false,
        used: BTreeMap::new(),
    };
    let Value::Map(top) = &root.value else {
        return Outcome {
            root: root.clone(),
            diags: Vec::new(),
            notes: HashMap::new(),
            failed: Default::default(),
            resolution: Resolution::default(),
        };
    };
    let find = |k: &str| top.iter().find(|(key, _)| key.key_text() == k);
    if let Some((_, v)) = find("variables") {
        read_declarations(&mut cx, v);
    }
    let envs = find("environments").map(|(k, v)| (k.clone(), v.clone()));
    select_environment(
        &mut cx,
        envs.as_ref().map(|(k, v)| (k, v)),
        find("variables").map(|(k, _)| k),
    );
    read_var_files(&mut cx);
    read_env_vars(&mut cx);
    read_flags(&mut cx, find("variables").map(|(k, _)| k));

    // Substitute everything but the two sections themselves.
    let entries: Vec<(Node, Node)> = top
        .iter()
        .filter(|(k, _)| !matches!(k.key_text().as_str(), "variables" | "environments"))
        .map(|(k, v)| {
            let secret = super::secrets::is_api_keys_section(&k.key_text());
            (subst(&mut cx, k, false), subst(&mut cx, v, secret))
        })
        .collect();

    // A value of the wrong type for a variable nothing uses: at the declaration.
    let unused_bad: Vec<(Node, String)> = cx
        .decls
        .values()
        .filter_map(|d| match (&d.state, d.used) {
            (State::Bad(m), false) => Some((d.key.clone(), m.clone())),
            _ => None,
        })
        .collect();
    for (key, m) in unused_bad {
        cx.err_node(&key, m, None);
    }

    let resolution = Resolution {
        environment: cx.environment.clone(),
        variables: std::mem::take(&mut cx.used).into_values().collect(),
    };
    Outcome {
        root: Node {
            value: Value::Map(entries),
            ..root.clone()
        },
        diags: cx.diags,
        notes: cx.notes,
        failed: cx.failed,
        resolution,
    }
}

fn is_var_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
}

fn read_declarations(cx: &mut Ctx, v: &Node) {
    let es = match &v.value {
        Value::Null => return,
        Value::Map(es) => es,
        _ => {
            cx.err_node(
                v,
                format!("`variables` must be a mapping, found {}", v.type_name()),
                Some("write `variables: {stage: {type: string, default: dev}}`".into()),
            );
            return;
        }
    };
    for (k, d) in es {
        let name = k.key_text();
        if !is_var_name(&name) {
            cx.err_node(
                k,
                format!("invalid variable name `{name}`"),
                Some("a variable name starts with a letter or `_` and holds letters, digits, `_` and `-`".into()),
            );
            continue;
        }
        let fields: &[(Node, Node)] = match &d.value {
            Value::Null => &[],
            Value::Map(f) => f,
            _ => {
                cx.err_node(
                    d,
                    format!(
                        "variable `{name}` must be a mapping, found {}",
                        d.type_name()
                    ),
                    Some(
                        "write `NAME: {type: string, default: VALUE}` (every key optional)".into(),
                    ),
                );
                continue;
            }
        };
        let field = |f: &str| {
            fields
                .iter()
                .find(|(fk, _)| fk.key_text() == f)
                .map(|(_, fv)| fv)
        };
        for (fk, _) in fields {
            let key = fk.key_text();
            if !VARIABLE_KEYS.contains(&key.as_str()) {
                cx.err_node(
                    fk,
                    format!("unknown key `{key}` in variable `{name}`"),
                    super::suggest::hint(&key, VARIABLE_KEYS.iter().copied()).or_else(|| {
                        Some(format!(
                            "a variable takes {}",
                            super::suggest::one_of(VARIABLE_KEYS)
                        ))
                    }),
                );
            }
        }
        let default = field("default");
        let ty = match field("type") {
            Some(t) => match t.as_text().as_deref() {
                Some("string") => Ty::String,
                Some("number") => Ty::Number,
                Some("boolean") => Ty::Boolean,
                Some("list") => Ty::List,
                other => {
                    let shown =
                        other.map_or_else(|| t.type_name().to_string(), |o| format!("`{o}`"));
                    cx.err_node(
                        t,
                        format!("unknown variable type {shown}"),
                        other
                            .and_then(|o| super::suggest::hint(o, VARIABLE_TYPES.iter().copied()))
                            .or_else(|| {
                                Some(format!(
                                    "a variable's type is {}",
                                    super::suggest::one_of(VARIABLE_TYPES)
                                ))
                            }),
                    );
                    cx.decls.insert(
                        name,
                        Decl {
                            ty: Ty::String,
                            key: k.clone(),
                            state: State::Reported,
                            used: false,
                        },
                    );
                    continue;
                }
            },
            // Without a type: the default's, else a string.
            None => match default.map(|n| &n.value) {
                Some(Value::Int(_) | Value::Float(_)) => Ty::Number,
                Some(Value::Bool(_)) => Ty::Boolean,
                Some(Value::Seq(_)) => Ty::List,
                _ => Ty::String,
            },
        };
        if let Some(desc) = field("description") {
            if !matches!(desc.value, Value::Str(_)) {
                cx.err_node(
                    desc,
                    format!("`description` must be a string, found {}", desc.type_name()),
                    None,
                );
            }
        }
        let state = match default {
            None
            | Some(Node {
                value: Value::Null, ..
            }) => State::Missing,
            Some(dn) => match from_node(ty, dn) {
                Ok(v) => State::Set(v, "default".into()),
                Err(m) => {
                    cx.err_node(
                        dn,
                        format!(
                            "the default of variable `{name}` must be {}, {m}",
                            ty.name()
                        ),
                        None,
                    );
                    State::Reported
                }
            },
        };
        cx.decls.insert(
            name,
            Decl {
                ty,
                key: k.clone(),
                state,
                used: false,
            },
        );
    }
}

/// Give variable `name` a value of precedence higher than what it has.
fn set(cx: &mut Ctx, name: &str, v: Result<Val, String>, source: String) {
    if let Some(d) = cx.decls.get_mut(name) {
        d.state = match v {
            Ok(v) => State::Set(v, source),
            Err(m) => State::Bad(m),
        };
    }
}

fn select_environment(cx: &mut Ctx, envs: Option<(&Node, &Node)>, vars_key: Option<&Node>) {
    let _ = vars_key;
    let wanted = cx.inputs.env.clone();
    let Some((key, envs)) = envs else {
        if let Some(w) = wanted {
            cx.err(
                Pos::default(),
                0,
                format!("`--env {w}` was given, but the spec declares no `environments:`"),
                Some("declare `environments: {dev: {}, prod: {}}` or drop --env".into()),
            );
        }
        return;
    };
    cx.has_envs = true;
    // Until one is selected.
    cx.env_failed = true;
    let es: &[(Node, Node)] = match &envs.value {
        Value::Map(es) => es,
        Value::Null => &[],
        _ => {
            cx.err_node(
                envs,
                format!(
                    "`environments` must be a mapping, found {}",
                    envs.type_name()
                ),
                Some("write `environments: {dev: {variables: {...}}, prod: {...}}`".into()),
            );
            return;
        }
    };
    let names: Vec<String> = es
        .iter()
        .map(|(k, _)| k.key_text())
        .filter(|k| k != DEFAULT_KEY)
        .collect();
    let mut default = None;
    for (k, v) in es {
        let name = k.key_text();
        if name == DEFAULT_KEY {
            match v.as_text() {
                Some(d) if names.contains(&d) => default = Some(d),
                Some(d) => cx.err_node(
                    v,
                    format!("default environment `{d}` is not declared"),
                    super::suggest::hint(&d, names.iter().map(String::as_str))
                        .or_else(|| Some(format!("declare `{d}:` under `environments:`"))),
                ),
                None => cx.err_node(
                    v,
                    format!(
                        "`default` must name an environment, found {}",
                        v.type_name()
                    ),
                    None,
                ),
            }
            continue;
        }
        check_environment(cx, k, v);
    }
    if names.is_empty() {
        cx.err_node(
            key,
            "`environments` declares no environment",
            Some("write `environments: {dev: {}, prod: {}}` or remove it".into()),
        );
        return;
    }
    cx.environment_source = if wanted.is_some() {
        "--env".into()
    } else {
        "the default environment".into()
    };
    let selected = match wanted.or(default) {
        Some(w) => w,
        None => {
            cx.err_node(
                key,
                format!(
                    "this spec declares environments {} and no default: pass `--env NAME`",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Some("or add `default: NAME` under `environments:`".into()),
            );
            return;
        }
    };
    let Some((_, env)) = es
        .iter()
        .find(|(k, _)| k.key_text() == selected && selected != DEFAULT_KEY)
    else {
        cx.err_node(
            key,
            format!("`--env {selected}`: the spec declares no environment `{selected}`"),
            super::suggest::hint(&selected, names.iter().map(String::as_str)).or_else(|| {
                Some(format!(
                    "its environments are {}",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }),
        );
        return;
    };
    cx.environment = Some(selected.clone());
    cx.env_failed = false;
    if let Some(Value::Map(vs)) = entry(env, "variables").map(|n| &n.value) {
        for (k, v) in vs {
            let name = k.key_text();
            let Some(ty) = cx.decls.get(&name).map(|d| d.ty) else {
                continue; // reported by check_environment
            };
            match from_node(ty, v) {
                Ok(val) => set(cx, &name, Ok(val), format!("environment `{selected}`")),
                Err(m) => {
                    cx.err_node(
                        v,
                        format!("variable `{name}` must be {}, {m}", ty.name()),
                        None,
                    );
                    if let Some(d) = cx.decls.get_mut(&name) {
                        d.state = State::Reported;
                    }
                }
            }
        }
    }
}

fn check_environment(cx: &mut Ctx, k: &Node, v: &Node) {
    let name = k.key_text();
    let fields: &[(Node, Node)] = match &v.value {
        Value::Null => &[],
        Value::Map(f) => f,
        _ => {
            cx.err_node(
                v,
                format!(
                    "environment `{name}` must be a mapping, found {}",
                    v.type_name()
                ),
                Some("write `NAME: {region: REGION, profile: PROFILE, variables: {...}}`".into()),
            );
            return;
        }
    };
    for (fk, fv) in fields {
        let key = fk.key_text();
        match key.as_str() {
            "region" => match fv.as_text() {
                Some(r) if super::arn::is_region(&r) => {}
                _ => cx.err_node(
                    fv,
                    format!("environment `{name}`: invalid region {}", shown(fv)),
                    Some("a region looks like `us-east-1`".into()),
                ),
            },
            "profile" | "description" => {
                if !matches!(fv.value, Value::Str(_)) {
                    cx.err_node(
                        fv,
                        format!("`{key}` must be a string, found {}", fv.type_name()),
                        None,
                    );
                }
            }
            "variables" => match &fv.value {
                Value::Null => {}
                Value::Map(vs) => {
                    for (vk, _) in vs {
                        let vn = vk.key_text();
                        if !cx.decls.contains_key(&vn) {
                            let hint =
                                super::suggest::hint(&vn, cx.decls.keys().map(String::as_str))
                                    .or_else(|| {
                                        Some(format!(
                                    "declare it under `variables:`: `{vn}: {{type: string}}`"
                                ))
                                    });
                            cx.err_node(
                                vk,
                                format!("environment `{name}` sets undeclared variable `{vn}`"),
                                hint,
                            );
                        }
                    }
                }
                _ => cx.err_node(
                    fv,
                    format!("`variables` must be a mapping, found {}", fv.type_name()),
                    None,
                ),
            },
            _ => cx.err_node(
                fk,
                format!("unknown key `{key}` in environment `{name}`"),
                super::suggest::hint(&key, ENVIRONMENT_KEYS.iter().copied()).or_else(|| {
                    Some(format!(
                        "an environment takes {}",
                        super::suggest::one_of(ENVIRONMENT_KEYS)
                    ))
                }),
            ),
        }
    }
}

fn shown(n: &Node) -> String {
    n.as_text()
        .map_or_else(|| n.type_name().to_string(), |t| format!("`{t}`"))
}

fn read_var_files(cx: &mut Ctx) {
    for f in &cx.inputs.var_files {
        let fsrc = Source::new(&f.path, &f.text);
        let label = format!("--var-file {}", f.path.display());
        let root = match yaml::parse(&f.text) {
            Ok(r) => r,
            Err(e) => {
                let d = fsrc.diag(
                    Severity::Error,
                    e.pos,
                    1,
                    format!("var file: {}", e.message),
                    e.hint,
                );
                cx.diags.push(d);
                continue;
            }
        };
        let es = match &root.value {
            Value::Map(es) => es,
            Value::Null => continue,
            _ => {
                let d = fsrc.diag(
                    Severity::Error,
                    root.pos,
                    root.len,
                    format!(
                        "a var file is a mapping of variable names to values, found {}",
                        root.type_name()
                    ),
                    Some("write `stage: prod` lines".into()),
                );
                cx.diags.push(d);
                continue;
            }
        };
        for (k, v) in es {
            let name = k.key_text();
            let Some(ty) = cx.decls.get(&name).map(|d| d.ty) else {
                let hint = super::suggest::hint(&name, cx.decls.keys().map(String::as_str));
                let d = fsrc.diag(
                    Severity::Warning,
                    k.pos,
                    k.len,
                    format!("the spec declares no variable `{name}`; its value is not used"),
                    hint,
                );
                cx.diags.push(d);
                continue;
            };
            match from_node(ty, v) {
                Ok(val) => set(cx, &name, Ok(val), label.clone()),
                Err(m) => {
                    let d = fsrc.diag(
                        Severity::Error,
                        v.pos,
                        v.len,
                        format!("variable `{name}` must be {}, {m}", ty.name()),
                        None,
                    );
                    cx.diags.push(d);
                    if let Some(d) = cx.decls.get_mut(&name) {
                        d.state = State::Reported;
                    }
                }
            }
        }
    }
}

fn read_env_vars(cx: &mut Ctx) {
    // Undeclared ones are ignored, as Terraform ignores TF_VAR_ names it does not declare.
    for (name, value) in &cx.inputs.env_vars {
        let Some(ty) = cx.decls.get(name).map(|d| d.ty) else {
            continue;
        };
        let v = from_text(ty, value).map_err(|m| {
            format!(
                "GWCTL_VAR_{name}: {m}; variable `{name}` is declared as {}",
                ty.name()
            )
        });
        set(cx, name, v, format!("GWCTL_VAR_{name}"));
    }
}

fn read_flags(cx: &mut Ctx, vars_key: Option<&Node>) {
    for flag in &cx.inputs.flags {
        let Some((name, value)) = flag.split_once('=') else {
            cx.err(
                Pos::default(),
                0,
                format!("`--var {flag}` is not NAME=VALUE"),
                Some("write `--var stage=prod`".into()),
            );
            continue;
        };
        let Some(ty) = cx.decls.get(name).map(|d| d.ty) else {
            let hint =
                super::suggest::hint(name, cx.decls.keys().map(String::as_str)).or_else(|| {
                    Some(format!(
                        "declare it: `variables: {{{name}: {{type: string}}}}`"
                    ))
                });
            let msg = format!("`--var {name}=...` sets undeclared variable `{name}`");
            match vars_key {
                Some(k) => cx.err_node(k, msg, hint),
                None => cx.err(Pos::default(), 0, msg, hint),
            }
            continue;
        };
        let v = from_text(ty, value).map_err(|m| {
            format!(
                "`--var {name}=...`: {m}; variable `{name}` is declared as {}",
                ty.name()
            )
        });
        set(cx, name, v, "--var".into());
    }
}

// ---------------------------------------------------------------- substitution

/// One `${...}` gwctl resolves.
#[derive(Debug, Clone, PartialEq)]
enum Ref {
    Var(String),
    Aws(String),
    Env(String),
    Environment,
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Lit(String),
    /// A reference, its text as written (`${var.x}`) and its offset (chars) in the value.
    Ref(Ref, String, usize),
    /// A malformed reference: message, its text and offset.
    Bad(String, String, usize),
}

/// Split a string into literal text and references. `$${` is a literal `${`; a `${...}` of
/// another namespace stays as written.
fn scan(s: &str) -> Vec<Piece> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '$' && chars.get(i + 1) == Some(&'$') && chars.get(i + 2) == Some(&'{') {
            lit.push_str("${");
            i += 3;
            continue;
        }
        if chars[i] == '$' && chars.get(i + 1) == Some(&'{') {
            let close = chars[i + 2..]
                .iter()
                .position(|c| *c == '}')
                .map(|p| i + 2 + p);
            let inner_end = close.unwrap_or(chars.len());
            let inner: String = chars[i + 2..inner_end].iter().collect();
            let ours = inner == "environment"
                || ["var.", "aws.", "env."]
                    .iter()
                    .any(|p| inner.starts_with(p));
            if !ours {
                lit.push_str("${");
                i += 2;
                continue;
            }
            let text: String = chars[i..close.map_or(chars.len(), |c| c + 1)]
                .iter()
                .collect();
            if !lit.is_empty() {
                out.push(Piece::Lit(std::mem::take(&mut lit)));
            }
            if close.is_none() {
                out.push(Piece::Bad(
                    format!("`{text}` is not closed with `}}`"),
                    text,
                    i,
                ));
                return out;
            }
            let r = if inner == "environment" {
                Ok(Ref::Environment)
            } else if let Some(n) = inner.strip_prefix("var.") {
                if is_var_name(n) {
                    Ok(Ref::Var(n.into()))
                } else {
                    Err(format!("invalid variable name `{n}` in `{text}`"))
                }
            } else if let Some(n) = inner.strip_prefix("aws.") {
                Ok(Ref::Aws(n.into()))
            } else {
                let n = &inner[4..];
                if !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    Ok(Ref::Env(n.into()))
                } else {
                    Err(format!("invalid environment variable name in `{text}`"))
                }
            };
            out.push(match r {
                Ok(r) => Piece::Ref(r, text, i),
                Err(m) => Piece::Bad(m, text, i),
            });
            i = close.map_or(chars.len(), |c| c + 1);
            continue;
        }
        lit.push(chars[i]);
        i += 1;
    }
    if !lit.is_empty() || out.is_empty() {
        out.push(Piece::Lit(lit));
    }
    out
}

/// The resolved value of a reference, with its source; `Err` after reporting the problem.
fn lookup(
    cx: &mut Ctx,
    r: &Ref,
    text: &str,
    at: (Pos, u32),
    secret: bool,
) -> Result<(Val, String), ()> {
    let (pos, len) = at;
    let (name, found) = match r {
        Ref::Var(n) => {
            let Some(d) = cx.decls.get_mut(n) else {
                let hint = super::suggest::hint(n, cx.decls.keys().map(String::as_str))
                    .map(|h| {
                        h.replace("did you mean `", "did you mean `${var.")
                            .replace("`?", "}`?")
                    })
                    .or_else(|| {
                        Some(format!(
                            "declare it: `variables: {{{n}: {{type: string}}}}`"
                        ))
                    });
                cx.err(
                    pos,
                    len,
                    format!("`{text}`: undeclared variable `{n}`"),
                    hint,
                );
                return Err(());
            };
            d.used = true;
            match d.state.clone() {
                State::Set(v, src) => (format!("var.{n}"), (v, src)),
                State::Missing if cx.env_failed => return Err(()),
                State::Missing => {
                    cx.err(
                        pos,
                        len,
                        format!("`{text}`: variable `{n}` has no value"),
                        Some(format!(
                            "pass `--var {n}=VALUE`, set GWCTL_VAR_{n}, give it in a --var-file or an environment's `variables:`, or declare a `default`"
                        )),
                    );
                    return Err(());
                }
                State::Bad(m) => {
                    cx.err(pos, len, m, Some(format!("`{text}` takes this value here")));
                    return Err(());
                }
                State::Reported => return Err(()),
            }
        }
        Ref::Environment => match &cx.environment {
            Some(e) => (
                "environment".to_string(),
                (Val::Str(e.clone()), cx.environment_source.clone()),
            ),
            None => {
                if !cx.has_envs {
                    cx.err(
                        pos,
                        len,
                        format!("`{text}`: the spec declares no `environments:`"),
                        Some("declare `environments: {dev: {}, prod: {}}` and pass --env".into()),
                    );
                }
                return Err(());
            }
        },
        Ref::Aws(n) => {
            let known = match n.as_str() {
                "region" => cx.inputs.region.clone(),
                "account_id" => cx.inputs.account_id.clone(),
                _ => {
                    cx.err(
                        pos,
                        len,
                        format!("`{text}`: unknown built-in `aws.{n}`"),
                        super::suggest::hint(n, AWS_BUILTINS.iter().copied())
                            .map(|h| h.replace("did you mean `", "did you mean `aws."))
                            .or_else(|| {
                                Some("write `${aws.region}` or `${aws.account_id}`".into())
                            }),
                    );
                    return Err(());
                }
            };
            match known {
                Some(k) => (format!("aws.{n}"), (Val::Str(k.value), k.source)),
                None => {
                    let hint = if n == "region" {
                        "pass `--region`, set AWS_REGION, or name the environment's `region:`"
                    } else {
                        "the account id is read from the credentials in effect (STS) by plan and apply"
                    };
                    cx.err(
                        pos,
                        len,
                        format!(
                            "`{text}`: the {} is not known here",
                            if n == "region" {
                                "region"
                            } else {
                                "account id"
                            }
                        ),
                        Some(hint.into()),
                    );
                    return Err(());
                }
            }
        }
        Ref::Env(n) => match cx.inputs.os_env.get(n) {
            Some(v) => (
                format!("env.{n}"),
                (Val::Str(v.clone()), "environment variable".into()),
            ),
            None => {
                cx.err(
                    pos,
                    len,
                    format!("`{text}`: environment variable `{n}` is not set"),
                    Some(format!("set {n} before running gwctl")),
                );
                return Err(());
            }
        },
    };
    let (val, source) = found;
    let entry = cx.used.entry(name.clone()).or_insert_with(|| UsedValue {
        name,
        value: serde_json::Value::Null,
        source: source.clone(),
        secret: false,
    });
    entry.secret |= secret;
    entry.value = if entry.secret {
        let digest = Sha256::digest(val.json().to_string().as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256:{hex}").into()
    } else {
        val.json()
    };
    Ok((val, source))
}

/// Position and width of a reference `offset` chars into scalar `n`: on the `${...}` when
/// it can be found on the scalar's line, else the whole scalar.
fn ref_span(cx: &Ctx, n: &Node, value: &str, text: &str, offset: usize) -> (Pos, u32) {
    let width = text.chars().count();
    let (pos, len) = super::read::sub_span(n, value, offset, width);
    if pos != n.pos || len != n.len || n.len as usize == width {
        return (pos, len);
    }
    // Escapes or quoting moved it: look for the text on the scalar's line.
    let line = cx.src.line(n.pos.line);
    let from = n.pos.col.saturating_sub(1) as usize;
    let before: String = line.chars().take(from).collect();
    let rest: String = line.chars().skip(from).collect();
    match rest.find(text) {
        Some(b) => (
            Pos {
                line: n.pos.line,
                col: (before.chars().count() + rest[..b].chars().count()) as u32 + 1,
            },
            width as u32,
        ),
        None => (n.pos, n.len),
    }
}

fn subst(cx: &mut Ctx, n: &Node, secret: bool) -> Node {
    match &n.value {
        Value::Seq(items) => Node {
            value: Value::Seq(items.iter().map(|i| subst(cx, i, secret)).collect()),
            ..n.clone()
        },
        Value::Map(es) => Node {
            value: Value::Map(
                es.iter()
                    .map(|(k, v)| (subst(cx, k, secret), subst(cx, v, secret)))
                    .collect(),
            ),
            ..n.clone()
        },
        Value::Str(s) if s.contains("${") => subst_str(cx, n, s, secret),
        _ => n.clone(),
    }
}

fn subst_str(cx: &mut Ctx, n: &Node, s: &str, secret: bool) -> Node {
    let pieces = scan(s);
    if pieces.iter().all(|p| matches!(p, Piece::Lit(_))) {
        let text: String = pieces
            .iter()
            .map(|p| {
                if let Piece::Lit(l) = p {
                    l.as_str()
                } else {
                    ""
                }
            })
            .collect();
        if text == *s {
            return n.clone();
        }
        return Node {
            value: Value::Str(text),
            ..n.clone()
        };
    }
    let whole = pieces.len() == 1;
    let mut out = String::new();
    let mut notes = Vec::new();
    let mut failed = false;
    for p in &pieces {
        match p {
            Piece::Lit(l) => out.push_str(l),
            Piece::Bad(m, text, off) => {
                let at = ref_span(cx, n, s, text, *off);
                cx.err(at.0, at.1, m.clone(), Some("write `${var.NAME}`, `${env.NAME}`, `${aws.region}`, `${aws.account_id}` or `${environment}`; `$${` for a literal `${`".into()));
                failed = true;
            }
            Piece::Ref(r, text, off) => {
                let at = ref_span(cx, n, s, text, *off);
                let Ok((val, source)) = lookup(cx, r, text, at, secret) else {
                    failed = true;
                    continue;
                };
                if !secret {
                    notes.push(format!("`{text}` is `{}` (from {source})", val.shown()));
                } else {
                    notes.push(format!("`{text}` comes from {source}"));
                }
                if whole {
                    cx.notes.insert(n.pos, notes.join(", "));
                    return val.node(n);
                }
                match val.text() {
                    Some(t) => out.push_str(&t),
                    None => {
                        cx.err(
                            at.0,
                            at.1,
                            format!("`{text}` is a list: a list can only be a whole value"),
                            Some(format!("write the key's value as `{text}` alone")),
                        );
                        failed = true;
                    }
                }
            }
        }
    }
    if failed {
        // Reported: the text stays as written, and what the reader says of it is dropped.
        cx.failed.insert(n.pos);
        return n.clone();
    }
    cx.notes.insert(n.pos, notes.join(", "));
    Node {
        value: Value::Str(out),
        ..n.clone()
    }
}

/// The notes of `notes` added to the hints of diagnostics about `file` at those positions;
/// the reader's diagnostics at a `failed` substitution dropped.
pub(crate) fn annotate(
    diags: &mut Vec<Diagnostic>,
    file: &Path,
    notes: &HashMap<Pos, String>,
    failed: &std::collections::HashSet<Pos>,
) {
    diags.retain(|d| d.file != file || !failed.contains(&d.pos()));
    for d in diags.iter_mut().filter(|d| d.file == file) {
        if let Some(note) = notes.get(&d.pos()) {
            d.hint = Some(match d.hint.take() {
                Some(h) => format!("{h}; {note}"),
                None => note.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_splits_references_and_keeps_other_namespaces() {
        assert_eq!(
            scan("todo-${var.stage}-x"),
            vec![
                Piece::Lit("todo-".into()),
                Piece::Ref(Ref::Var("stage".into()), "${var.stage}".into(), 5),
                Piece::Lit("-x".into())
            ]
        );
        assert_eq!(scan("$${var.x}"), vec![Piece::Lit("${var.x}".into())]);
        assert_eq!(
            scan("${stageVariables.fn}"),
            vec![Piece::Lit("${stageVariables.fn}".into())]
        );
        assert_eq!(
            scan("${environment}"),
            vec![Piece::Ref(Ref::Environment, "${environment}".into(), 0)]
        );
        assert!(matches!(scan("a ${var.x").last(), Some(Piece::Bad(..))));
        assert!(matches!(scan("${var.1x}").last(), Some(Piece::Bad(..))));
    }

    #[test]
    fn text_values_are_typed() {
        assert_eq!(from_text(Ty::Number, "42"), Ok(Val::Int(42)));
        assert!(from_text(Ty::Number, "4x").is_err());
        assert!(from_text(Ty::Number, "nan").is_err());
        assert_eq!(from_text(Ty::Boolean, "true"), Ok(Val::Bool(true)));
        assert!(from_text(Ty::Boolean, "yes").is_err());
        assert_eq!(
            from_text(Ty::List, "[a, 2]"),
            Ok(Val::List(vec![Val::Str("a".into()), Val::Int(2)]))
        );
        assert!(from_text(Ty::List, "a,b").is_err());
    }

    #[test]
    fn environments_are_read_without_checking() {
        let e = environments(
            "environments:\n  default: dev\n  dev: {region: eu-west-1}\n  prod: {profile: p}\napi: 3\n",
        );
        assert_eq!(e.names, vec!["dev", "prod"]);
        assert_eq!(e.default.as_deref(), Some("dev"));
        assert_eq!(e.selected(None), Some("dev"));
        assert_eq!(e.selected(Some("prod")), Some("prod"));
        assert_eq!(e.selected(Some("qa")), None);
        assert_eq!(e.aws_of("dev"), (Some("eu-west-1"), None));
        assert_eq!(e.aws_of("prod"), (None, Some("p")));
    }
}
