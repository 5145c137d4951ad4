//! Exact inventories of what a REST API spec left in the emulator, read straight from it
//! (never through a proxy), and the inventory a spec should leave: duplicates show up as
//! repeated entries, so comparing the two proves "nothing duplicated, nothing missing".

use std::collections::BTreeMap;
use std::path::Path;

use gwctl::state::usage::API_TAG_KEY;

use super::Emulator;

/// What one REST API and what belongs to it hold. Lists are sorted and keep duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inventory {
    /// REST APIs with the name.
    pub apis: usize,
    /// (resource path, sorted HTTP methods) of the API, sorted by path; a duplicated path
    /// appears twice.
    pub resources: Vec<(String, Vec<String>)>,
    /// Function -> the ids of gwctl's statements in its policy (any API), sorted.
    pub statements: BTreeMap<String, Vec<String>>,
    /// Authorizer names.
    pub authorizers: Vec<String>,
    /// Stage names.
    pub stages: Vec<String>,
    /// Names of the API keys and usage plans tagged for this API.
    pub api_keys: Vec<String>,
    pub usage_plans: Vec<String>,
}

impl Inventory {
    /// The inventory a spec should leave: one API, `resources` (path → methods, CORS
    /// OPTIONS included; "/" is added without methods unless given), one statement per
    /// function, and these authorizers, stages, keys and plans.
    pub fn expected(
        resources: &BTreeMap<String, Vec<String>>,
        functions: &[&str],
        stages: &[&str],
    ) -> Inventory {
        let mut res: BTreeMap<String, Vec<String>> = resources.clone();
        res.entry("/".into()).or_default();
        Inventory {
            apis: 1,
            resources: res
                .into_iter()
                .map(|(p, mut m)| {
                    m.sort();
                    (p, m)
                })
                .collect(),
            statements: functions
                .iter()
                .map(|f| (f.to_string(), vec!["<one>".to_string()]))
                .collect(),
            stages: stages.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    /// The same with statement ids replaced by a placeholder (ids contain the API id, which
    /// differs per run); a duplicated statement still shows as two entries.
    pub fn anonymous(mut self) -> Inventory {
        for sids in self.statements.values_mut() {
            for s in sids.iter_mut() {
                *s = "<one>".into();
            }
        }
        self
    }
}

/// The inventory of the REST API named `name` (the first, when there are several) and of
/// the policies of `functions`.
pub async fn read(em: &Emulator, name: &str, functions: &[&str]) -> Inventory {
    read_from(&em.clients().await, name, functions).await
}

/// [`read`] from any endpoint's clients (LocalStack's too).
pub async fn read_from(c: &gwctl::aws::Clients, name: &str, functions: &[&str]) -> Inventory {
    let apis: Vec<String> = c
        .apigw
        .get_rest_apis()
        .limit(500)
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .filter(|a| a.name() == Some(name))
        .filter_map(|a| a.id().map(str::to_string))
        .collect();
    let mut inv = Inventory {
        apis: apis.len(),
        ..Default::default()
    };
    if let Some(id) = apis.first() {
        let res = c
            .apigw
            .get_resources()
            .rest_api_id(id)
            .embed("methods")
            .limit(500)
            .send()
            .await
            .unwrap();
        for r in res.items() {
            let mut methods: Vec<String> = r
                .resource_methods()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            methods.sort();
            inv.resources
                .push((r.path().unwrap_or_default().to_string(), methods));
        }
        inv.resources.sort();
        let auth = c
            .apigw
            .get_authorizers()
            .rest_api_id(id)
            .limit(500)
            .send()
            .await
            .unwrap();
        inv.authorizers = auth
            .items()
            .iter()
            .filter_map(|a| a.name().map(str::to_string))
            .collect();
        inv.authorizers.sort();
        let stages = c.apigw.get_stages().rest_api_id(id).send().await.unwrap();
        inv.stages = stages
            .item()
            .iter()
            .filter_map(|s| s.stage_name().map(str::to_string))
            .collect();
        inv.stages.sort();
    }
    let tagged = |tags: Option<&std::collections::HashMap<String, String>>| {
        tags.and_then(|t| t.get(API_TAG_KEY)).map(String::as_str) == Some(name)
    };
    let keys = c.apigw.get_api_keys().limit(500).send().await.unwrap();
    inv.api_keys = keys
        .items()
        .iter()
        .filter(|k| tagged(k.tags()))
        .filter_map(|k| k.name().map(str::to_string))
        .collect();
    inv.api_keys.sort();
    let plans = c.apigw.get_usage_plans().limit(500).send().await.unwrap();
    inv.usage_plans = plans
        .items()
        .iter()
        .filter(|p| tagged(p.tags()))
        .filter_map(|p| p.name().map(str::to_string))
        .collect();
    inv.usage_plans.sort();
    for f in functions {
        let sids = match c.lambda.get_policy().function_name(*f).send().await {
            Ok(p) => {
                let v: serde_json::Value =
                    serde_json::from_str(p.policy().unwrap_or("{}")).unwrap();
                let mut sids: Vec<String> = v["Statement"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s["Sid"].as_str())
                            .filter(|s| s.starts_with("gwctl-"))
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                sids.sort();
                sids
            }
            Err(_) => Vec::new(),
        };
        inv.statements.insert(f.to_string(), sids);
    }
    inv
}

/// Path → methods of a spec made by `scripts/bench/gen_spec.py` (its model.json), with the
/// CORS preflight OPTIONS on every path.
pub fn generated_resources(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("model.json")).unwrap()).unwrap();
    model["methods"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(p, m)| {
            let mut methods: Vec<String> = m
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_string())
                .collect();
            methods.push("OPTIONS".into());
            (p.clone(), methods)
        })
        .collect()
}

/// The functions of a generated spec (its model.json).
pub fn generated_functions(dir: &Path) -> Vec<String> {
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("model.json")).unwrap()).unwrap();
    model["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect()
}
