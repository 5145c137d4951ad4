//! The engine's errors: typed, never rendered here. `cli` turns each into its message and
//! hint at the edge (`impl From<EngineError> for cli::Failure`).

use crate::aws::error::AwsError;
use crate::spec::Diagnostic;

use super::find::Purpose;

/// Why an engine call stopped. The `Display` text is the message `gwctl` prints; [`hint`]
/// is the line that follows it.
///
/// [`hint`]: EngineError::hint
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// An AWS call failed (classified by [`crate::aws::error::ErrorKind`]).
    #[error("{0}")]
    Aws(#[from] AwsError),
    /// Reading the API named by `--api-id` failed.
    #[error("{0}")]
    ApiId(AwsError),
    /// `--api-id` names an API whose name is not the spec's. `suggest`: say how to fix the spec.
    #[error("api `{id}` is named `{actual}`, but the spec describes `{wanted}`")]
    NameMismatch {
        id: String,
        actual: String,
        wanted: String,
        suggest: bool,
    },
    /// APIs with the spec's name exist, and none carries gwctl's ownership tag; what that
    /// means depends on what the verb meant to do (`purpose`).
    #[error("{}", not_gwctls(kind, name, ids, *purpose))]
    NotCreatedByGwctl {
        kind: &'static str,
        name: String,
        ids: Vec<String>,
        purpose: Purpose,
    },
    /// Several APIs with the spec's name carry gwctl's ownership tag.
    #[error(
        "{} {kind}s named `{name}` carry gwctl's ownership tag: {}",
        ids.len(),
        ticked(ids)
    )]
    SeveralOwned {
        kind: &'static str,
        name: String,
        ids: Vec<String>,
    },
    /// `--api NAME` names several APIs.
    #[error("{} {kind}s are named `{name}`: {}", ids.len(), ticked(ids))]
    SeveralNamed {
        kind: &'static str,
        name: String,
        ids: Vec<String>,
    },
    /// `--api NAME` names a REST API and an HTTP API.
    #[error("`{name}` names both a rest api (`{rest_id}`) and an http api (`{http_id}`)")]
    BothKinds {
        name: String,
        rest_id: String,
        http_id: String,
    },
    /// A verb was given neither a spec, nor `--api`, nor `--api-id`.
    #[error("say which API: a SPEC, `--api NAME` or `--api-id ID`")]
    NoApiNamed,
    /// The verb supports only REST APIs, and this spec describes another kind.
    #[error("`{name}` is {}: this verb supports rest apis in this version", with_article(.kind))]
    UnsupportedKind { name: String, kind: &'static str },
    /// Functions the spec references could not be resolved (one diagnostic each).
    #[error("{count} referenced function(s) could not be resolved; nothing was changed")]
    FunctionsUnresolved {
        count: usize,
        diagnostics: Vec<Diagnostic>,
    },
    /// API key values the spec takes from the environment are missing (one diagnostic each).
    #[error("{count} api key value(s) not usable from the environment; nothing was changed")]
    KeyValuesMissing {
        count: usize,
        diagnostics: Vec<Diagnostic>,
    },
    /// API keys the spec references by id do not exist (one diagnostic each).
    #[error("{count} api key id(s) could not be found; nothing was changed")]
    KeyIdsMissing {
        count: usize,
        diagnostics: Vec<Diagnostic>,
    },
    /// A concurrent run won the race to create the API; this run's twin could not be deleted.
    #[error("could not delete the duplicate api `{id}`: {error}")]
    DuplicateNotDeleted { id: String, error: Box<AwsError> },
    /// The API kept changing under this run.
    #[error("gave up converging: the api kept changing under this run")]
    GaveUpConverging,
    /// The plan turns CloudWatch logging on (`reason`) and the account has no CloudWatch role.
    #[error(
        "{reason}, but API Gateway has no CloudWatch Logs role in `{region}`; nothing was changed"
    )]
    NoLoggingRole { reason: String, region: String },
    /// `export` wrote a spec that does not validate (a bug: the diagnostics say where).
    #[error("the exported spec does not validate ({count} problem(s)); nothing was printed")]
    ExportInvalid {
        count: usize,
        diagnostics: Vec<Diagnostic>,
    },
    /// `export --format openapi` of a kind of API OpenAPI cannot describe (WebSocket APIs).
    #[error("`{name}` is {}: it has no OpenAPI form (API Gateway takes OpenAPI for rest and http apis only)", with_article(.kind))]
    OpenApiUnsupported { name: String, kind: &'static str },
    /// `export --stage NAME` of an API without that stage.
    #[error("the api `{name}` has no stage `{stage}`")]
    NoStage { name: String, stage: String },
    /// `destroy` of an API gwctl did not create, without `--force`.
    #[error("refusing to destroy `{name}` ({id}): gwctl did not create it")]
    NotOwned { name: String, id: String },
    /// The spec's `domains:` cannot be planned (a base path another API maps, an endpoint
    /// type the domain does not have).
    #[error("{0}; nothing was changed")]
    Domain(#[from] crate::plan::domains::DomainError),
    /// `deploy --canary|--promote|--rollback` could not be planned.
    #[error("{0}")]
    Canary(#[from] crate::plan::rest::canary::CanaryError),
    /// A verb's executor run stopped at `op`; running the verb again continues from `from`.
    #[error("{op} failed: {error}")]
    Exec {
        verb: &'static str,
        from: &'static str,
        op: &'static str,
        error: Box<AwsError>,
    },
}

/// The refusal of a namesake gwctl does not own, for a verb meaning `purpose`.
fn not_gwctls(kind: &str, name: &str, ids: &[String], purpose: Purpose) -> String {
    let ids = ticked(ids);
    let foreign =
        format!("{kind} `{name}` ({ids}) is not gwctl's (it lacks gwctl's ownership tag)");
    match purpose {
        Purpose::Converge => format!(
            "{kind} `{name}` exists ({ids}) but gwctl did not create it; refusing to create a second one"
        ),
        Purpose::Destroy => format!("{foreign}; it won't be destroyed"),
        Purpose::Show => foreign,
        Purpose::Verify => format!("{foreign}; gwctl verifies the APIs it manages"),
        Purpose::Deploy => format!("{foreign}; gwctl does not deploy it"),
    }
}

fn ticked(ids: &[String]) -> String {
    ids.iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl EngineError {
    /// What to do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        use crate::aws::error::ErrorKind;
        match self {
            EngineError::Aws(e) => match e.kind {
                ErrorKind::AccessDenied => Some(
                    "check the credentials in effect (AWS_PROFILE, --profile) and their IAM permissions"
                        .into(),
                ),
                ErrorKind::Transport => Some(
                    "check the network, --endpoint-url / AWS_ENDPOINT_URL and --region".into(),
                ),
                _ => None,
            },
            EngineError::ApiId(_) => Some("check `--api-id` and the region".into()),
            EngineError::NameMismatch { suggest, .. } => suggest
                .then(|| "rename the API in the spec, or pass the id of the right API".into()),
            EngineError::NotCreatedByGwctl { ids, purpose, .. } => {
                let id = &ids[0];
                Some(match purpose {
                    Purpose::Converge => format!(
                        "to manage it with gwctl pass `--api-id {id}` (gwctl then changes only what the spec declares; add `--prune` to delete the rest)"
                    ),
                    Purpose::Destroy => {
                        format!("to delete it all the same: `gwctl destroy --api-id {id} --force`")
                    }
                    Purpose::Show => format!("to show it, pass `--api-id {id}`"),
                    Purpose::Verify => "to check its stage all the same: `gwctl verify --url INVOKE_URL --origin ORIGIN`".to_string(),
                    Purpose::Deploy => format!("to deploy it all the same, pass `--api-id {id}`"),
                })
            }
            EngineError::SeveralOwned { .. } => Some(
                "pass `--api-id ID` to choose one (and `gwctl destroy --api-id ID` the other)"
                    .into(),
            ),
            EngineError::SeveralNamed { .. } | EngineError::BothKinds { .. } => {
                Some("pass `--api-id ID`".into())
            }
            EngineError::DuplicateNotDeleted { id, .. } => {
                Some(format!("delete it with `gwctl destroy --api-id {id}`"))
            }
            EngineError::GaveUpConverging => {
                Some("run `gwctl apply` again when the other runs have finished".into())
            }
            EngineError::NoLoggingRole { .. } => Some(format!(
                "{}; `gwctl doctor SPEC` checks everything an apply needs",
                super::rest::role_hint(None)
            )),
            EngineError::NotOwned { .. } => Some(
                "pass `--force` if you really mean to delete an API gwctl does not own".into(),
            ),
            EngineError::Exec { verb, from, .. } => {
                Some(format!("run `gwctl {verb}` again: it continues from {from}"))
            }
            EngineError::Canary(e) => {
                use crate::plan::rest::canary::CanaryError;
                match e {
                    CanaryError::NoStage(s) => Some(format!(
                        "deploy the stage first (`gwctl deploy --stage {s}`): AWS creates a canary on an existing stage only"
                    )),
                    CanaryError::NoPercent(_) => Some(
                        "give `--canary PERCENT`, or `canary: {percent: N}` in the stage of the SPEC"
                            .into(),
                    ),
                    CanaryError::BadPercent(_) | CanaryError::OneStage => None,
                }
            }
            EngineError::ExportInvalid { .. } => Some(
                "please report this as a gwctl bug; `--allow-partial` does not help here".into(),
            ),
            EngineError::NoStage { .. } => Some("`gwctl show --api-id ID` lists its stages".into()),
            EngineError::OpenApiUnsupported { .. } => Some(
                "`gwctl export` without `--format openapi` writes its gwctl spec".into(),
            ),
            EngineError::Domain(crate::plan::domains::DomainError::PathTaken { .. }) => Some(
                "map another base path: gwctl never takes over a mapping of another api".into(),
            ),
            EngineError::Domain(crate::plan::domains::DomainError::EndpointChange { .. }) => {
                Some("use the domain's endpoint type in the spec, or another domain name".into())
            }
            EngineError::Domain(crate::plan::domains::DomainError::DnsRecordTaken { .. }) => Some(
                "gwctl never overwrites a record it did not make: delete or repoint it, or remove `dns:`".into(),
            ),
            EngineError::NoApiNamed
            | EngineError::UnsupportedKind { .. }
            | EngineError::FunctionsUnresolved { .. }
            | EngineError::KeyValuesMissing { .. }
            | EngineError::KeyIdsMissing { .. } => None,
        }
    }

    /// Diagnostics (at spec lines) that go with the error, printed before it.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            EngineError::FunctionsUnresolved { diagnostics, .. }
            | EngineError::KeyValuesMissing { diagnostics, .. }
            | EngineError::KeyIdsMissing { diagnostics, .. }
            | EngineError::ExportInvalid { diagnostics, .. } => diagnostics,
            _ => &[],
        }
    }
}

/// `an http api` (said "aitch"), `a websocket api`, `a rest api`.
pub fn with_article(kind: &str) -> String {
    let vowel = kind.starts_with(['a', 'e', 'i', 'o', 'u', 'h']);
    format!("{} {kind}", if vowel { "an" } else { "a" })
}
