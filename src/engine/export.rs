//! `gwctl export`: find the API a verb names, read it and what the spec of it needs (which
//! of its functions are this account's, REST: its usage plans and keys), and let its kind
//! write the spec ([`Flavour::export`]); or render a REST or HTTP API's spec as OpenAPI. The spec is checked by reading it back before it is
//! returned: an export that would not validate is an error, never printed.

use std::collections::BTreeSet;
use std::path::Path;

use crate::aws::{read, Clients};
use crate::plan::export::{ExportContext, Exported};
use crate::plan::openapi::Rendered;

use super::find::{self, AnyLocated, Located};
use super::{EngineError, Flavour, Http, Rest, Ws};

/// The spec of the API `api_name` / `api_id` (`None`: no such API), limited to the stage
/// `stage` when one is given.
pub async fn export(
    clients: &Clients,
    api_name: Option<&str>,
    api_id: Option<&str>,
    stage: Option<&str>,
) -> Result<Option<Exported>, EngineError> {
    let Some(located) = locate(clients, api_name, api_id).await? else {
        return Ok(None);
    };
    super::with_located!(located, export_located(clients, stage)).map(|(out, _)| Some(out))
}

/// A live API as OpenAPI 3.0 (`gwctl export --format openapi --api NAME | --api-id ID`):
/// its spec, as [`export`] writes it, rendered like `gwctl export --format openapi SPEC`
/// renders a spec, with the functions' real ARNs (the account is known here). Also returns
/// what the spec left out. WebSocket APIs have no OpenAPI form: refused before any other read.
pub async fn export_openapi(
    clients: &Clients,
    api_name: Option<&str>,
    api_id: Option<&str>,
) -> Result<Option<(Exported, Rendered)>, EngineError> {
    let Some(located) = locate(clients, api_name, api_id).await? else {
        return Ok(None);
    };
    if let AnyLocated::Ws(l) = &located {
        return Err(EngineError::OpenApiUnsupported {
            name: Ws::api_name(&l.api).to_string(),
            kind: Ws::LABEL,
        });
    }
    let (out, ctx) = super::with_located!(located, export_located(clients, None))?;
    let loaded = crate::spec::load_str(Path::new("exported.yaml"), &out.yaml);
    let count = loaded.errors();
    let Some(spec) = loaded.spec else {
        return Err(EngineError::ExportInvalid {
            count,
            diagnostics: loaded.diagnostics,
        });
    };
    let rendered = crate::plan::openapi::render_live(&spec, &ctx.region, &ctx.local_functions);
    Ok(Some((out, rendered)))
}

/// The API `api_id`, or the one named `api_name`, of whichever kind (`None`: no such API).
async fn locate(
    clients: &Clients,
    api_name: Option<&str>,
    api_id: Option<&str>,
) -> Result<Option<AnyLocated>, EngineError> {
    Ok(Some(match (api_id, api_name) {
        // Read as a REST API; an id REST does not know is a v2 API's (by error kind).
        (Some(id), _) => match Rest::read(clients, id, None).await {
            Ok(api) => AnyLocated::Rest(located(api)),
            Err(e) if e.is_not_found() => {
                // get-rest-api already said NotFound: only get-api is left to ask.
                let kind = read::http::v2_api_kind(clients, id)
                    .await
                    .map_err(EngineError::ApiId)?;
                if kind == crate::spec::model::ApiKind::WebSocket {
                    AnyLocated::Ws(located(
                        Ws::read(clients, id, None)
                            .await
                            .map_err(EngineError::ApiId)?,
                    ))
                } else {
                    AnyLocated::Http(located(
                        Http::read(clients, id, None)
                            .await
                            .map_err(EngineError::ApiId)?,
                    ))
                }
            }
            Err(e) => return Err(EngineError::ApiId(e)),
        },
        // Both kinds listed at once; the listing's answer is reused to read the API.
        (None, Some(name)) => {
            // One get-apis listing gives both kinds of v2 API.
            let (rest, (http, ws)) = tokio::try_join!(
                Rest::list(clients, name),
                read::ws::find_v2_apis(clients, name)
            )?;
            match (rest.first(), http.first()) {
                (Some(r), Some(h)) => {
                    return Err(EngineError::BothKinds {
                        name: name.to_string(),
                        rest_id: r.id.clone(),
                        http_id: h.id.clone(),
                    })
                }
                (Some(_), None) => {
                    let Some(id) = find::pick_named(Rest::LABEL, name, &rest)? else {
                        return Ok(None);
                    };
                    let listed = rest.iter().find(|s| s.id == id);
                    AnyLocated::Rest(located(Rest::read(clients, &id, listed).await?))
                }
                (None, Some(_)) => {
                    let Some(id) = find::pick_named(Http::LABEL, name, &http)? else {
                        return Ok(None);
                    };
                    let listed = http.iter().find(|s| s.id == id);
                    AnyLocated::Http(located(Http::read(clients, &id, listed).await?))
                }
                (None, None) if !ws.is_empty() => {
                    let Some(id) = find::pick_named(Ws::LABEL, name, &ws)? else {
                        return Ok(None);
                    };
                    let listed = ws.iter().find(|s| s.id == id);
                    AnyLocated::Ws(located(Ws::read(clients, &id, listed).await?))
                }
                (None, None) => return Ok(None),
            }
        }
        (None, None) => return Err(EngineError::NoApiNamed),
    }))
}

fn located<F: Flavour>(api: F::Observed) -> Located<F> {
    let owned = find::is_owned(F::tags(&api));
    Located {
        spec: None,
        api,
        owned,
    }
}

async fn export_located<F: Flavour>(
    loc: Located<F>,
    clients: &Clients,
    stage: Option<&str>,
) -> Result<(Exported, ExportContext), EngineError> {
    let arns: BTreeSet<String> = F::invoked(&loc.api).into_iter().map(|(a, _)| a).collect();
    let local_functions = read::local_functions(clients, &arns).await?;
    let ctx = ExportContext {
        region: clients.region.clone(),
        local_functions,
        stage: stage.map(str::to_string),
    };
    let out = F::export(clients, &loc.api, &ctx).await?;
    if let (Some(s), Some(missing)) = (stage, out.missing_stage.as_ref()) {
        debug_assert_eq!(s, missing);
        return Err(EngineError::NoStage {
            name: F::api_name(&loc.api).to_string(),
            stage: s.to_string(),
        });
    }
    check(&out)?;
    Ok((out, ctx))
}

/// The exported text validates as a spec.
fn check(out: &Exported) -> Result<(), EngineError> {
    let loaded = crate::spec::load_str(Path::new("exported.yaml"), &out.yaml);
    if loaded.has_errors() {
        return Err(EngineError::ExportInvalid {
            count: loaded.errors(),
            diagnostics: loaded.diagnostics,
        });
    }
    Ok(())
}
