//! Which API is the spec's, never a duplicate (docs/design.md, "Finding the API"): by name
//! plus gwctl's ownership tag, or by `--api-id` (adopting an API gwctl did not create). And
//! which API a lifecycle verb names: a spec, `--api NAME` or `--api-id ID`.

use std::collections::BTreeMap;

use crate::aws::read::{http as read_http, rest as read_rest};
use crate::aws::Clients;
use crate::spec::model::{ApiKind, Spec};
use crate::state::rest::ApiSummary;
use crate::state::{OWNER_TAG_KEY, OWNER_TAG_VALUE};

use super::{EngineError, Flavour, Http};

/// How to pick the API.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// `--api-id`: use exactly this API (adopting it when gwctl did not create it).
    pub api_id: Option<String>,
    /// `--prune`: on an adopted API, delete what the spec does not declare.
    pub prune: bool,
    /// `--force`: deploy even when every stage serves the current configuration.
    pub force_deploy: bool,
    /// What the verb will do with the API: says why a namesake gwctl does not own is refused.
    pub purpose: Purpose,
    /// `--definition`: create a new REST API from its OpenAPI definition (CreateRestApi with
    /// the ownership tag, then one PutRestApi), then complete it granularly.
    pub definition: bool,
}

/// What a verb means to do with the API it looks up by name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Purpose {
    /// plan / apply / cors: create the API when it does not exist.
    #[default]
    Converge,
    /// show: read it.
    Show,
    /// verify: send requests to its stages.
    Verify,
    /// deploy: deploy one of its stages.
    Deploy,
    /// destroy: delete it.
    Destroy,
}

/// The API carries gwctl's ownership tag.
pub fn is_owned(tags: &BTreeMap<String, String>) -> bool {
    tags.get(OWNER_TAG_KEY).map(String::as_str) == Some(OWNER_TAG_VALUE)
}

/// Find the API of kind `F` the spec describes: with `--api-id`, read it and check its name
/// (adopted when it lacks gwctl's tag); otherwise list the APIs named like the spec's and
/// [`choose_api`]. `Some((api, owned))`, or `None` when there is none yet.
pub async fn find<F: Flavour>(
    clients: &Clients,
    spec: &Spec,
    target: &Target,
) -> Result<Option<(F::Observed, bool)>, EngineError> {
    let name = &spec.api.name.value;
    if let Some(id) = &target.api_id {
        let api = F::read(clients, id, None)
            .await
            .map_err(EngineError::ApiId)?;
        let api_name = F::api_name(&api);
        if api_name != name.as_str() {
            return Err(EngineError::NameMismatch {
                id: id.clone(),
                actual: api_name.to_string(),
                wanted: name.clone(),
                suggest: true,
            });
        }
        let owned = is_owned(F::tags(&api));
        return Ok(Some((api, owned)));
    }
    let candidates = F::list(clients, name).await?;
    match choose_api(F::LABEL, name, &candidates, target.purpose)? {
        Some(id) => {
            let listed = candidates.iter().find(|c| c.id == id);
            let api = F::read(clients, &id, listed).await?;
            Ok(Some((api, true)))
        }
        None => Ok(None),
    }
}

/// Pick the API gwctl manages among the APIs named `name` (`kind`: `rest api`, `http api`):
/// the one carrying gwctl's ownership tag, or none when there is no API of that name. An
/// untagged namesake, or several tagged ones, is refused: gwctl never creates a second API
/// with the same name and never guesses between two; the message says what that means for
/// the verb's `purpose` (a destroy does not delete the namesake, a plan does not create a
/// second one).
pub fn choose_api(
    kind: &'static str,
    name: &str,
    candidates: &[ApiSummary],
    purpose: Purpose,
) -> Result<Option<String>, EngineError> {
    let owned: Vec<_> = candidates.iter().filter(|c| is_owned(&c.tags)).collect();
    match owned.len() {
        1 => Ok(Some(owned[0].id.clone())),
        0 if candidates.is_empty() => Ok(None),
        0 => Err(EngineError::NotCreatedByGwctl {
            kind,
            purpose,
            name: name.to_string(),
            ids: candidates.iter().map(|c| c.id.clone()).collect(),
        }),
        _ => Err(EngineError::SeveralOwned {
            kind,
            name: name.to_string(),
            ids: owned.iter().map(|c| c.id.clone()).collect(),
        }),
    }
}

/// The one API of `found` (`kind`: `rest api`, `http api`) named `name` (`--api NAME`);
/// several are refused.
pub fn pick_named(
    kind: &'static str,
    name: &str,
    found: &[ApiSummary],
) -> Result<Option<String>, EngineError> {
    match found.len() {
        0 => Ok(None),
        1 => Ok(Some(found[0].id.clone())),
        _ => Err(EngineError::SeveralNamed {
            kind,
            name: name.to_string(),
            ids: found.iter().map(|a| a.id.clone()).collect(),
        }),
    }
}

/// The API a lifecycle verb acts on, and the spec that named it (if one did).
pub struct Located<F: Flavour> {
    pub spec: Option<Spec>,
    pub api: F::Observed,
    pub owned: bool,
}

/// Find the API of kind `F` a verb names: the spec's (as `apply` finds it) unless `--api-id`
/// is given, then that id (its name must be the spec's), else the one API named `api_name`.
/// `None` when it does not exist.
pub async fn locate<F: Flavour>(
    clients: &Clients,
    spec: Option<Spec>,
    api_name: Option<&str>,
    api_id: Option<&str>,
    purpose: Purpose,
) -> Result<Option<Located<F>>, EngineError> {
    if let (Some(s), None) = (&spec, api_id) {
        let target = Target {
            purpose,
            ..Default::default()
        };
        return Ok(find::<F>(clients, s, &target)
            .await?
            .map(|(api, owned)| Located {
                spec: spec.clone(),
                api,
                owned,
            }));
    }
    if let Some(id) = api_id {
        let api = F::read(clients, id, None)
            .await
            .map_err(EngineError::ApiId)?;
        if let Some(s) = &spec {
            if F::api_name(&api) != s.api.name.value {
                return Err(EngineError::NameMismatch {
                    id: id.to_string(),
                    actual: F::api_name(&api).to_string(),
                    wanted: s.api.name.value.clone(),
                    suggest: false,
                });
            }
        }
        let owned = is_owned(F::tags(&api));
        return Ok(Some(Located { spec, api, owned }));
    }
    let name = api_name.ok_or(EngineError::NoApiNamed)?;
    let found = F::list(clients, name).await?;
    match pick_named(F::LABEL, name, &found)? {
        None => Ok(None),
        Some(id) => {
            let api = F::read(clients, &id, None).await?;
            let owned = is_owned(F::tags(&api));
            Ok(Some(Located { spec, api, owned }))
        }
    }
}

/// What [`which`] found.
pub enum Which {
    /// A REST API (or nothing that says otherwise): the REST verb goes on with the spec.
    Rest(Option<Box<Spec>>),
    /// An HTTP API; `None` when the spec's API does not exist.
    Http(Option<Box<Located<Http>>>),
    /// A WebSocket API; `None` when the spec's API does not exist.
    Ws(Option<Box<Located<super::Ws>>>),
}

/// Tell which kind of API a verb acts on. A spec says its kind; `--api-id` alone is looked up
/// with get-rest-api, then get-api (by error kind only; get-api's protocol tells HTTP from
/// WebSocket); `--api NAME` alone is an HTTP API when only HTTP APIs carry that name, a
/// WebSocket API when only WebSocket APIs do.
pub async fn which(
    clients: &Clients,
    spec: Option<Spec>,
    api_name: Option<&str>,
    api_id: Option<&str>,
    purpose: Purpose,
) -> Result<Which, EngineError> {
    if let Some(s) = &spec {
        if s.api.kind == ApiKind::WebSocket {
            let target = Target {
                api_id: api_id.map(str::to_string),
                purpose,
                ..Default::default()
            };
            let found = find::<super::Ws>(clients, s, &target).await?;
            return Ok(Which::Ws(found.map(|(api, owned)| {
                Box::new(Located {
                    spec: spec.clone(),
                    api,
                    owned,
                })
            })));
        }
        if s.api.kind != ApiKind::Http {
            return Ok(Which::Rest(spec.map(Box::new)));
        }
        let target = Target {
            api_id: api_id.map(str::to_string),
            purpose,
            ..Default::default()
        };
        let found = find::<Http>(clients, s, &target).await?;
        return Ok(Which::Http(found.map(|(api, owned)| {
            Box::new(Located {
                spec: spec.clone(),
                api,
                owned,
            })
        })));
    }
    let id = match (api_id, api_name) {
        (Some(id), _) => {
            let kind = read_http::api_kind(clients, id)
                .await
                .map_err(EngineError::ApiId)?;
            match kind {
                ApiKind::Rest => return Ok(Which::Rest(None)),
                ApiKind::WebSocket => return located_ws(clients, id).await,
                ApiKind::Http => {}
            }
            id.to_string()
        }
        (None, Some(name)) => {
            // One listing gives both kinds of v2 API.
            let (found, ws) = crate::aws::read::ws::find_v2_apis(clients, name).await?;
            let Some(id) = pick_named(Http::LABEL, name, &found)? else {
                if let Some(id) = pick_named(super::Ws::LABEL, name, &ws)? {
                    let rest = read_rest::find_rest_apis(clients, name).await?;
                    if let Some(r) = rest.first() {
                        return Err(EngineError::BothKinds {
                            name: name.to_string(),
                            rest_id: r.id.clone(),
                            http_id: id,
                        });
                    }
                    return located_ws(clients, &id).await;
                }
                return Ok(Which::Rest(None));
            };
            let rest = read_rest::find_rest_apis(clients, name).await?;
            if let Some(r) = rest.first() {
                return Err(EngineError::BothKinds {
                    name: name.to_string(),
                    rest_id: r.id.clone(),
                    http_id: id,
                });
            }
            id
        }
        // The REST verb reports what is missing.
        (None, None) => return Ok(Which::Rest(None)),
    };
    let api = read_http::read_http_api(clients, &id)
        .await
        .map_err(EngineError::ApiId)?;
    let owned = is_owned(&api.tags);
    Ok(Which::Http(Some(Box::new(Located {
        spec: None,
        api,
        owned,
    }))))
}

/// An API a lifecycle verb acts on, of whichever kind it is.
pub enum AnyLocated {
    Rest(Located<super::Rest>),
    Http(Located<Http>),
    Ws(Located<super::Ws>),
}

/// The API a lifecycle verb names, of whichever kind ([`which`], then [`locate`]); `None`
/// when it does not exist.
pub async fn locate_any(
    clients: &Clients,
    spec: Option<Spec>,
    api_name: Option<&str>,
    api_id: Option<&str>,
    purpose: Purpose,
) -> Result<Option<AnyLocated>, EngineError> {
    Ok(
        match which(clients, spec, api_name, api_id, purpose).await? {
            Which::Rest(spec) => {
                locate::<super::Rest>(clients, spec.map(|s| *s), api_name, api_id, purpose)
                    .await?
                    .map(AnyLocated::Rest)
            }
            Which::Http(loc) => loc.map(|l| AnyLocated::Http(*l)),
            Which::Ws(loc) => loc.map(|l| AnyLocated::Ws(*l)),
        },
    )
}

/// The WebSocket API `id`, read, as [`Which::Ws`].
async fn located_ws(clients: &Clients, id: &str) -> Result<Which, EngineError> {
    let api = crate::aws::read::ws::read_ws_api(clients, id)
        .await
        .map_err(EngineError::ApiId)?;
    let owned = is_owned(&api.tags);
    Ok(Which::Ws(Some(Box::new(Located {
        spec: None,
        api,
        owned,
    }))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(id: &str, owned: bool) -> ApiSummary {
        let mut tags = BTreeMap::new();
        if owned {
            tags.insert(OWNER_TAG_KEY.to_string(), OWNER_TAG_VALUE.to_string());
        }
        ApiSummary {
            id: id.into(),
            name: "todo".into(),
            tags,
            created_epoch: None,
            head: None,
        }
    }

    #[test]
    fn the_one_owned_api_is_chosen_and_namesakes_are_refused_with_typed_errors() {
        let c = Purpose::Converge;
        assert_eq!(choose_api("rest api", "todo", &[], c).unwrap(), None);
        let one = [summary("a", false), summary("b", true)];
        assert_eq!(
            choose_api("rest api", "todo", &one, c).unwrap().as_deref(),
            Some("b")
        );
        let e = choose_api("http api", "todo", &[summary("a", false)], c).unwrap_err();
        assert!(matches!(
            e,
            EngineError::NotCreatedByGwctl {
                kind: "http api",
                ..
            }
        ));
        assert_eq!(
            e.to_string(),
            "http api `todo` exists (`a`) but gwctl did not create it; refusing to create a second one"
        );
        assert!(e.hint().unwrap().contains("--api-id a"));
        let e = choose_api(
            "rest api",
            "todo",
            &[summary("a", true), summary("b", true)],
            Purpose::Converge,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "2 rest apis named `todo` carry gwctl's ownership tag: `a`, `b`"
        );
    }
}
