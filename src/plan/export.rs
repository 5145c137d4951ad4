//! `gwctl export`: the spec of a live API, from what the reader observed (pure; each kind's
//! conversion is `plan::rest::export` and `plan::http::export`). What both kinds share is
//! here: the result ([`Exported`], [`LeftOut`]), the `functions:` section ([`Functions`]),
//! and the header comment.
//!
//! The contract (tested for every spec in specs/ and for APIs built by hand): the exported
//! spec validates, and planned against the same API it asks for no change to what it
//! declares; whatever the spec language cannot say is a [`LeftOut`], listed on stderr and in
//! the file's header, never dropped silently.

use std::collections::{BTreeMap, BTreeSet};

use crate::spec::arn::FunctionArn;
use crate::spec::write::{render, Map, Value};

/// Something the live API has that the exported spec does not say.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct LeftOut {
    /// The object: `method GET /items`, `stage prod`, `gateway response DEFAULT_4XX`.
    pub object: String,
    /// The field (or `*` for the whole object).
    pub field: String,
    /// Why, in a few words.
    pub reason: String,
}

impl LeftOut {
    pub fn new(object: impl Into<String>, field: impl Into<String>, reason: &str) -> LeftOut {
        LeftOut {
            object: object.into(),
            field: field.into(),
            reason: reason.to_string(),
        }
    }
}

impl std::fmt::Display for LeftOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field == "*" {
            write!(f, "{}: {}", self.object, self.reason)
        } else {
            write!(f, "{}, `{}`: {}", self.object, self.field, self.reason)
        }
    }
}

/// An exported spec: its text, and what it leaves out (also listed in the text's header).
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    pub yaml: String,
    pub left_out: Vec<LeftOut>,
    /// The stage asked for ([`ExportContext::stage`]) when the API has no such stage (then
    /// nothing else is set).
    pub missing_stage: Option<String>,
}

impl Exported {
    fn missing(stage: &str) -> Exported {
        Exported {
            yaml: String::new(),
            left_out: Vec::new(),
            missing_stage: Some(stage.to_string()),
        }
    }
}

/// `api` with only the stage `ctx.stage` (all stages when none is asked for); `Err` when
/// the api has no such stage.
pub fn only_stage<A: Clone, S>(
    api: &A,
    ctx: &ExportContext,
    stages: impl Fn(&mut A) -> &mut BTreeMap<String, S>,
) -> Result<A, Exported> {
    let mut a = api.clone();
    if let Some(s) = &ctx.stage {
        let st = stages(&mut a);
        if !st.contains_key(s) {
            return Err(Exported::missing(s));
        }
        st.retain(|k, _| k == s);
    }
    Ok(a)
}

/// What the exporter needs to know besides the API.
#[derive(Debug, Clone, Default)]
pub struct ExportContext {
    /// The region gwctl works in.
    pub region: String,
    /// Lambda functions of the account and region gwctl works in, by unqualified ARN ->
    /// name (found with get-function by name): these are written by name, others by ARN.
    pub local_functions: BTreeMap<String, String>,
    /// Export only this stage (`--stage`); all when `None`.
    pub stage: Option<String>,
}

/// The `functions:` section being built: one key per function (and qualifier) the API
/// invokes, named after the function.
#[derive(Debug, Default)]
pub struct Functions {
    /// Invoked ARN (qualified when it is) -> key.
    keys: BTreeMap<String, String>,
    /// Key -> how the spec refers to the function.
    entries: BTreeMap<String, String>,
}

impl Functions {
    /// The key of the function `invoke_arn` (an ARN, qualified or not); `None` when it is
    /// not a Lambda function ARN.
    pub fn key(&mut self, invoke_arn: &str, ctx: &ExportContext) -> Option<String> {
        if let Some(k) = self.keys.get(invoke_arn) {
            return Some(k.clone());
        }
        let arn = FunctionArn::parse(invoke_arn)?;
        let unqualified = arn.unqualified();
        let local = ctx
            .local_functions
            .get(&unqualified)
            .filter(|name| **name == arn.name);
        let reference = match (local, &arn.qualifier) {
            (Some(name), Some(q)) => format!("{name}:{q}"),
            (Some(name), None) => name.clone(),
            (None, _) => invoke_arn.to_string(),
        };
        let mut base: String = match &arn.qualifier {
            Some(q) => format!("{}-{q}", arn.name),
            None => arn.name.clone(),
        }
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
        if base.is_empty() || matches!(base.as_str(), "none" | "iam") {
            base = format!("fn-{base}");
        }
        let mut key = base.clone();
        let mut n = 2;
        while self.entries.contains_key(&key) {
            key = format!("{base}-{n}");
            n += 1;
        }
        self.entries.insert(key.clone(), reference);
        self.keys.insert(invoke_arn.to_string(), key.clone());
        Some(key)
    }

    /// The `functions:` mapping (empty when the API invokes no function).
    pub fn section(&self) -> Map {
        let mut m = Map::block();
        for (k, v) in &self.entries {
            m.push(k.clone(), v.clone());
        }
        m
    }
}

/// The function a Lambda integration or authorizer URI invokes, when the URI is exactly the
/// one gwctl writes for it in `region` (`plan::desired::lambda_uri`).
pub fn lambda_function(uri: &str, region: &str) -> Option<String> {
    let arn = crate::state::function_from_uri(uri)?;
    FunctionArn::parse(&arn)?;
    (super::desired::lambda_uri(region, &arn) == uri).then_some(arn)
}

/// What export never reads, so never writes, whatever the api has: said in every exported
/// file's header and on stderr (issue 18: listed as not yet exported).
pub const NOT_EXPORTED: [&str; 2] = [
    "Not exported: custom domain names and this api's mappings on them (`domains:`);",
    "export does not read them, so add any this api has by hand.",
];

/// The header of an exported file, then the document.
pub fn finish(
    kind: &str,
    name: &str,
    id: &str,
    region: &str,
    doc: &Map,
    mut left_out: Vec<LeftOut>,
) -> Exported {
    left_out.sort();
    left_out.dedup();
    let mut header = vec![
        format!("Exported by `gwctl export` from the {kind} api `{name}` ({id}) in {region}."),
        format!(
            "Review it, then adopt the api with `gwctl apply FILE --api-id {id}`: the api keeps"
        ),
        "everything this file declares, and gwctl changes nothing it does not declare.".into(),
    ];
    if left_out.is_empty() {
        header.push("Nothing was left out.".into());
    } else {
        header.push(String::new());
        header.push(
            "Left out (the spec language cannot say it; an adopted api keeps it as it is):".into(),
        );
        for l in &left_out {
            header.push(format!("- {l}"));
        }
    }
    header.push(String::new());
    header.extend(NOT_EXPORTED.map(String::from));
    Exported {
        yaml: render(&header, doc),
        left_out,
        missing_stage: None,
    }
}

/// A JSON document (a resource policy) as YAML; `None` for a JSON `null` anywhere in it (the
/// spec language has no null).
pub fn json(v: &serde_json::Value) -> Option<Value> {
    Some(match v {
        serde_json::Value::Null => return None,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64()?),
        },
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(a) => Value::Seq(a.iter().map(json).collect::<Option<_>>()?),
        serde_json::Value::Object(o) => {
            let mut m = Map::new();
            for (k, v) in o {
                m.push(k.clone(), json(v)?);
            }
            Value::Map(m)
        }
    })
}

/// `{rate, burst}`.
pub fn throttle(rate: f64, burst: i32) -> Value {
    let mut m = Map::new();
    m.push("rate", rate).push("burst", burst);
    m.into()
}

/// The `authorizers:` section: each authorizer `one` can write, the others [`LeftOut`]; and
/// the names written.
pub fn authorizers<A>(
    defs: &BTreeMap<String, A>,
    mut one: impl FnMut(&str, &A) -> Result<Map, LeftOut>,
    left: &mut Vec<LeftOut>,
) -> (Map, BTreeSet<String>) {
    let mut section = Map::block();
    for (name, def) in defs {
        match one(name, def) {
            Ok(m) => {
                section.push(name.clone(), m);
            }
            Err(l) => left.push(l),
        }
    }
    let known = section.entries.iter().map(|e| e.key.clone()).collect();
    (section, known)
}

/// A v2 API's integrations no route targets (`targets`): left out.
pub fn unused_integrations<'a>(
    keys: impl Iterator<Item = &'a String>,
    targets: impl Iterator<Item = Option<&'a String>>,
    left: &mut Vec<LeftOut>,
) {
    let used: BTreeSet<&String> = targets.flatten().collect();
    for key in keys.filter(|k| !used.contains(k)) {
        left.push(LeftOut::new(
            format!("integration {key}"),
            "*",
            "an integration no route uses",
        ));
    }
}

/// A throttle's rate and burst, as a stage holds them.
type RateBurst = (Option<f64>, Option<i32>);

/// One route's settings on one stage, as [`route_throttles`] reads them.
pub struct RouteThrottle<'a> {
    pub stage: &'a str,
    pub route: &'a str,
    /// Nothing but the throttle is set.
    pub throttle_only: bool,
    pub rate: Option<f64>,
    pub burst: Option<i32>,
}

/// A v2 API's per-route throttles (`route` -> (rate, burst)), when the same on each of its
/// `stages` stages and nothing else is set per route; the rest left out.
pub fn route_throttles(
    settings: Vec<RouteThrottle<'_>>,
    stages: usize,
    is_route: impl Fn(&str) -> bool,
    left: &mut Vec<LeftOut>,
) -> BTreeMap<String, (f64, i32)> {
    let mut per: BTreeMap<&str, Vec<RateBurst>> = BTreeMap::new();
    for s in settings {
        if s.throttle_only && is_route(s.route) {
            per.entry(s.route).or_default().push((s.rate, s.burst));
        } else {
            left.push(LeftOut::new(
                format!("stage {}", s.stage),
                format!("routeSettings {}", s.route),
                "per-route settings other than a route's throttle",
            ));
        }
    }
    let mut out = BTreeMap::new();
    for (key, list) in per {
        let first = list[0];
        let same = list.len() == stages && list.iter().all(|s| *s == first);
        match (same, first) {
            (true, (Some(r), Some(b))) => {
                out.insert(key.to_string(), (r, b));
            }
            (true, (None, None)) => {}
            _ => left.push(LeftOut::new(
                format!("route {key}"),
                "throttle",
                "a route throttle that differs between stages or lacks rate or burst",
            )),
        }
    }
    out
}

/// A stage's `variables`.
pub fn variables(m: &mut Map, vars: &BTreeMap<String, String>) {
    if !vars.is_empty() {
        let mut v = Map::new();
        for (k, val) in vars {
            v.push(k.clone(), val.clone());
        }
        m.push("variables", v);
    }
}

/// A stage's `throttle` (both of rate and burst, or neither; else left out).
pub fn stage_throttle(
    m: &mut Map,
    stage: &str,
    rate: Option<f64>,
    burst: Option<i32>,
    left: &mut Vec<LeftOut>,
) {
    match (rate, burst) {
        (Some(r), Some(b)) => {
            m.push("throttle", throttle(r, b));
        }
        (None, None) => {}
        _ => left.push(LeftOut::new(
            format!("stage {stage}"),
            "throttle",
            "a stage throttle with only one of rate and burst",
        )),
    }
}

/// A stage's `access_log`.
pub fn access_log(m: &mut Map, log: Option<&crate::state::rest::AccessLog>) {
    if let Some(a) = log {
        let mut l = Map::new();
        l.push("destination", a.destination_arn.clone());
        l.push("format", a.format.clone());
        m.push("access_log", l);
    }
}

/// The `functions:` and `authorizers:` sections, when not empty.
pub fn push_functions_and_authorizers(doc: &mut Map, functions: &Functions, authorizers: Map) {
    let fsec = functions.section();
    if !fsec.is_empty() {
        doc.push("functions", fsec);
    }
    if !authorizers.is_empty() {
        doc.push("authorizers", authorizers);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_of_this_account_and_region_by_name_others_by_arn_keys_unique() {
        let ctx = ExportContext {
            region: "us-east-1".into(),
            local_functions: BTreeMap::from([(
                "arn:aws:lambda:us-east-1:111111111111:function:items".to_string(),
                "items".to_string(),
            )]),
            stage: None,
        };
        let mut f = Functions::default();
        let local = "arn:aws:lambda:us-east-1:111111111111:function:items";
        let aliased = "arn:aws:lambda:us-east-1:111111111111:function:items:live";
        let remote = "arn:aws:lambda:eu-west-1:222222222222:function:items";
        assert_eq!(f.key(local, &ctx).as_deref(), Some("items"));
        assert_eq!(
            f.key(local, &ctx).as_deref(),
            Some("items"),
            "same key again"
        );
        assert_eq!(f.key(aliased, &ctx).as_deref(), Some("items-live"));
        assert_eq!(f.key(remote, &ctx).as_deref(), Some("items-2"));
        assert_eq!(f.key("not an arn", &ctx), None);
        let m = f.section();
        let got: Vec<(String, Value)> = m
            .entries
            .iter()
            .map(|e| (e.key.clone(), e.value.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("items".into(), "items".into()),
                ("items-2".into(), remote.into()),
                ("items-live".into(), "items:live".into()),
            ]
        );
    }

    #[test]
    fn only_the_uri_gwctl_would_write_names_a_function() {
        let arn = "arn:aws:lambda:us-east-1:111111111111:function:items";
        let uri = super::super::desired::lambda_uri("us-east-1", arn);
        assert_eq!(lambda_function(&uri, "us-east-1").as_deref(), Some(arn));
        assert_eq!(
            lambda_function(&uri, "eu-west-1"),
            None,
            "another region's uri"
        );
        assert_eq!(
            lambda_function(
                "arn:aws:apigateway:us-east-1:dynamodb:action/PutItem",
                "us-east-1"
            ),
            None
        );
    }
}
