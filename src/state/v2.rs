//! What HTTP APIs ([`super::http`]) and WebSocket APIs ([`super::ws`]) share as apigatewayv2
//! APIs: stages (with default and per-route settings, access logs, variables, auto-deploy),
//! the keys objects are known by (duplicated route keys and authorizer names, integration
//! target keys), and the keying of an API as the service lists it (objects by id). Each kind
//! brings its own route setting ([`RouteSettings`]: HTTP APIs have metrics and throttling,
//! WebSocket APIs logging and data trace too), integration ([`V2Integration`]), route and
//! authorizer shapes.

use std::collections::BTreeMap;
use std::fmt::Debug;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::rest::{AccessLog, Deployment};

/// Stage settings gwctl manages. In desired state `None` means "not managed by the spec"; in
/// observed state it means "not set".
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Stage<R> {
    pub description: Option<String>,
    pub auto_deploy: Option<bool>,
    pub variables: BTreeMap<String, String>,
    /// Stage-wide settings (throttling, metrics; WebSocket APIs: logging, data trace).
    pub default_route_settings: R,
    /// Per-route settings by route key.
    pub route_settings: BTreeMap<String, R>,
    pub access_log: Option<AccessLog>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ObservedStage<R> {
    pub deployment_id: Option<String>,
    pub settings: Stage<R>,
}

/// A kind's route setting (the stage-wide one and each route's).
pub trait RouteSettings: Clone + PartialEq + Default + Debug {
    /// `self` (what a stage has) with the settings `want` manages laid over it.
    fn overlay(self, want: &Self) -> Self;
    /// The form a setting reads back in (detailed metrics absent mean off, ...).
    fn settled(self) -> Self;
    /// Each setting as a plan shows it, `(field, value)`, in display order.
    fn shown(&self) -> Vec<(&'static str, Option<String>)>;
}

/// An observed apigatewayv2 API's stages and deployments.
pub trait ObservedV2 {
    type Setting: RouteSettings;
    fn stages(&self) -> &BTreeMap<String, ObservedStage<Self::Setting>>;
    fn deployments(&self) -> &BTreeMap<String, Deployment>;
    /// Whether the deployment list could be read.
    fn deployments_complete(&self) -> bool;
    /// What the reader could not read completely, for the report.
    fn notes(&self) -> &[String];
}

/// The key a second object with an existing route key or authorizer name is known by
/// (real AWS refuses such duplicates; the emulator accepts them). It can never equal a
/// desired key, so the planner deletes the duplicate.
pub fn duplicate_key(key: &str, id: &str) -> String {
    format!("{key} (duplicate {id})")
}

/// The service's key of a possibly [`duplicate_key`]-suffixed key.
pub fn base_key(key: &str) -> &str {
    match key.find(" (duplicate ") {
        Some(i) if key.ends_with(')') => &key[..i],
        _ => key,
    }
}

/// A kind's integration, as far as keying it goes.
pub trait V2Integration: PartialEq + Serialize {
    fn normalize(&mut self);
    /// What the integration calls (`lambda:{function ARN}`, `http:{METHOD} {uri}`, ...).
    fn target(&self) -> String;
    /// A short stable digest of every setting, to tell variants of one target apart.
    fn digest(&self) -> String {
        let canonical = serde_json::to_vec(self).expect("integration serialises");
        Sha256::digest(&canonical)[..4]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Target keys for a set of (normalised) integrations, in input order. An integration gets
/// its [`V2Integration::target`] when it is the only configuration calling that target, else
/// `{target}#{digest}`. An exact copy of an earlier integration (a duplicate, which only the
/// observed side can have) gets `{key}~{n}` (n = 2, 3, ...), so it never matches a desired
/// key and is deleted once no route uses it. Callers that want deterministic keys for
/// duplicates pass them in a deterministic order (the reader sorts by id).
pub fn integration_keys<I: V2Integration>(items: &[I]) -> Vec<String> {
    let mut variants: BTreeMap<String, Vec<&I>> = BTreeMap::new();
    for i in items {
        let v = variants.entry(i.target()).or_default();
        if !v.contains(&i) {
            v.push(i);
        }
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    items
        .iter()
        .map(|i| {
            let target = i.target();
            let base = if variants[&target].len() == 1 {
                target
            } else {
                format!("{target}#{}", i.digest())
            };
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                base
            } else {
                format!("{base}~{n}")
            }
        })
        .collect()
}

/// The objects of an API keyed (see [`Keyed::of`]), with the ids the executor needs.
#[derive(Debug)]
pub struct Keyed<I, A> {
    /// Target key -> integration.
    pub integrations: BTreeMap<String, I>,
    /// Target key -> integration id.
    pub integration_ids: BTreeMap<String, String>,
    /// Integration id -> target key.
    pub integration_keys_by_id: BTreeMap<String, String>,
    /// Name -> authorizer.
    pub authorizers: BTreeMap<String, A>,
    /// Authorizer name -> id.
    pub authorizer_ids: BTreeMap<String, String>,
    /// Authorizer id -> name.
    pub authorizer_names: BTreeMap<String, String>,
}

impl<I: V2Integration + Clone, A> Keyed<I, A> {
    /// Key integrations (`(id, configuration)`, normalised here) by target key and
    /// authorizers (`(id, name, configuration)`) by name, each in id order; the first by id
    /// keeps a duplicated authorizer name.
    pub fn of(
        mut integrations: Vec<(String, I)>,
        mut authorizers: Vec<(String, String, A)>,
    ) -> Self {
        integrations.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, i) in integrations.iter_mut() {
            i.normalize();
        }
        let defs: Vec<I> = integrations.iter().map(|(_, i)| i.clone()).collect();
        let keys = integration_keys(&defs);
        let mut k = Keyed {
            integrations: BTreeMap::new(),
            integration_ids: BTreeMap::new(),
            integration_keys_by_id: BTreeMap::new(),
            authorizers: BTreeMap::new(),
            authorizer_ids: BTreeMap::new(),
            authorizer_names: BTreeMap::new(),
        };
        for ((id, def), key) in integrations.into_iter().zip(keys) {
            k.integration_ids.insert(key.clone(), id.clone());
            k.integration_keys_by_id.insert(id, key.clone());
            k.integrations.insert(key, def);
        }
        authorizers.sort_by(|a, b| a.0.cmp(&b.0));
        for (id, name, def) in authorizers {
            let name = if k.authorizer_ids.contains_key(&name) {
                duplicate_key(&name, &id)
            } else {
                name
            };
            k.authorizer_ids.insert(name.clone(), id.clone());
            k.authorizer_names.insert(id, name.clone());
            k.authorizers.insert(name, def);
        }
        k
    }
}

impl<I, A> Keyed<I, A> {
    /// A listed route's target (`integrations/{id}`) as a target key (the raw target when
    /// the integration is unknown).
    pub fn target(&self, target: Option<String>) -> Option<String> {
        target.map(|t| {
            t.strip_prefix("integrations/")
                .and_then(|id| self.integration_keys_by_id.get(id).cloned())
                .unwrap_or(t)
        })
    }

    /// A listed route's authorizer id as a name (the raw id when unknown; none when empty).
    pub fn authorizer(&self, id: Option<String>) -> Option<String> {
        id.filter(|a| !a.is_empty())
            .map(|a| self.authorizer_names.get(&a).cloned().unwrap_or(a))
    }
}

/// The key of a listed route among those keyed so far (`route_ids`): its route key, or a
/// [`duplicate_key`] when an earlier route (by id) has it.
pub fn route_key_of(route_ids: &BTreeMap<String, String>, route_key: &str, id: &str) -> String {
    if route_ids.contains_key(route_key) {
        duplicate_key(route_key, id)
    } else {
        route_key.to_string()
    }
}

/// The id of `key` in `ids`, or the key itself (an object gwctl knows no id of).
pub fn id_of(ids: &BTreeMap<String, String>, key: &str) -> String {
    ids.get(key).cloned().unwrap_or_else(|| key.to_string())
}

/// A route's target key as the service's `integrations/{id}` (as is when unknown).
pub fn raw_target(
    integration_ids: &BTreeMap<String, String>,
    target: &Option<String>,
) -> Option<String> {
    target.as_ref().map(|t| match integration_ids.get(t) {
        Some(id) => format!("integrations/{id}"),
        None => t.clone(),
    })
}

/// Authorizers back to the service's view: `(id, name, configuration)`.
pub fn raw_authorizers<A: Clone>(
    authorizers: &BTreeMap<String, A>,
    authorizer_ids: &BTreeMap<String, String>,
) -> Vec<(String, String, A)> {
    authorizers
        .iter()
        .map(|(n, a)| (id_of(authorizer_ids, n), base_key(n).to_string(), a.clone()))
        .collect()
}

/// Integrations back to the service's view: `(id, configuration)`.
pub fn raw_integrations<I: Clone>(
    integrations: &BTreeMap<String, I>,
    integration_ids: &BTreeMap<String, String>,
) -> Vec<(String, I)> {
    integrations
        .iter()
        .map(|(k, i)| (id_of(integration_ids, k), i.clone()))
        .collect()
}
