//! `gwctl export`: find the API a verb names, read it and what the spec of it needs (which
//! of its functions are this account's, REST: its usage plans and keys), and let its kind
//! write the spec ([`Flavour::export`]). The spec is checked by reading it back before it is
//! returned: an export that would not validate is an error, never printed.

use std::collections::BTreeSet;
use std::path::Path;

use crate::aws::{read, Clients};
use crate::plan::export::{ExportContext, Exported};

use super::find::{self, Located, Purpose};
use super::{EngineError, Flavour};

/// The spec of the API `api_name` / `api_id` (`None`: no such API), limited to the stage
/// `stage` when one is given.
pub async fn export(
    clients: &Clients,
    api_name: Option<&str>,
    api_id: Option<&str>,
    stage: Option<&str>,
) -> Result<Option<Exported>, EngineError> {
    let Some(located) = find::locate_any(clients, None, api_name, api_id, Purpose::Show).await?
    else {
        return Ok(None);
    };
    super::with_located!(located, export_located(clients, stage)).map(Some)
}

async fn export_located<F: Flavour>(
    loc: Located<F>,
    clients: &Clients,
    stage: Option<&str>,
) -> Result<Exported, EngineError> {
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
    Ok(out)
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
