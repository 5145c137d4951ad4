//! What the HTTP ([`super::http`]) and WebSocket ([`super::ws`]) readers share as
//! apigatewayv2 APIs: the six concurrent list/get calls (get-api, get-routes,
//! get-integrations, get-authorizers, get-stages, get-deployments, every `NextToken` page),
//! the fallbacks for the emulator's missing operations (chosen by the classified error kind,
//! never by message text, and reported in `notes`), and the mapping of stages and
//! deployments. Each kind maps its own routes, integrations, authorizers and route settings,
//! and decides in which order a failed list stops the read.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_apigatewayv2::operation::get_api::GetApiOutput;
use aws_sdk_apigatewayv2::types as v2;

use super::{all_pages, bounded, non_empty, to_btree, LAMBDA_CONCURRENCY};
use crate::aws::error::{classify, AwsError, ErrorKind};
use crate::aws::Clients;
use crate::state::rest::{AccessLog, Deployment};
use crate::state::v2::{ObservedStage, Stage};

/// The answers of the six calls that read an API, each as it came.
pub struct Lists {
    pub api: Result<GetApiOutput, AwsError>,
    pub routes: Result<Vec<v2::Route>, AwsError>,
    pub integrations: Result<Vec<v2::Integration>, AwsError>,
    pub authorizers: Result<Vec<v2::Authorizer>, AwsError>,
    pub stages: Result<Vec<v2::Stage>, AwsError>,
    pub deployments: Result<Vec<v2::Deployment>, AwsError>,
}

/// get-api and the five lists of API `id`, made concurrently, every page.
pub async fn lists(c: &Clients, id: &str) -> Lists {
    /// One list call of this API, every page.
    macro_rules! list_all {
        ($op:ident, $name:literal) => {
            all_pages(|token| async move {
                let p = c
                    .apigw2
                    .$op()
                    .api_id(id)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| classify($name, e))?;
                Ok((p.items().to_vec(), p.next_token().map(str::to_string)))
            })
        };
    }
    let (api, routes, integrations, authorizers, stages, deployments) = tokio::join!(
        async {
            c.apigw2
                .get_api()
                .api_id(id)
                .send()
                .await
                .map_err(|e| classify("GetApi", e))
        },
        list_all!(get_routes, "GetRoutes"),
        list_all!(get_integrations, "GetIntegrations"),
        list_all!(get_authorizers, "GetAuthorizers"),
        list_all!(get_stages, "GetStages"),
        list_all!(get_deployments, "GetDeployments"),
    );
    Lists {
        api,
        routes,
        integrations,
        authorizers,
        stages,
        deployments,
    }
}

/// The authorizer list, and whether it is complete. get-authorizers answering a server error
/// (moto 5.2.5: HTTP 500): the authorizers routes refer to (`ids`) are read one by one with
/// get-authorizer, and an authorizer no route uses is then not seen (noted in `notes`).
pub async fn authorizers_or_referred(
    c: &Clients,
    id: &str,
    listed: Result<Vec<v2::Authorizer>, AwsError>,
    ids: BTreeSet<String>,
    notes: &mut Vec<String>,
) -> Result<(Vec<v2::Authorizer>, bool), AwsError> {
    match listed {
        Ok(list) => Ok((list, true)),
        Err(e) if e.kind == ErrorKind::Service => {
            notes.push(format!(
                "the authorizer list could not be read ({e}); the {} authorizer(s) routes refer \
                 to were read one by one, and an authorizer no route uses is not seen",
                ids.len()
            ));
            Ok((get_authorizers_one_by_one(c, id, ids).await?, false))
        }
        Err(e) => Err(e),
    }
}

/// The deployments by id, and whether the list could be read: get-deployments answering
/// NotFound for an API that was just read (moto 5.2.5: HTTP 404) is "no deployment known".
pub fn deployments_or_none(
    listed: Result<Vec<v2::Deployment>, AwsError>,
) -> Result<(BTreeMap<String, Deployment>, bool), AwsError> {
    let (list, complete) = match listed {
        Ok(list) => (list, true),
        // The API was just read, so NotFound is about the operation (the emulator lacks it).
        Err(e) if e.kind == ErrorKind::NotFound => (Vec::new(), false),
        Err(e) => return Err(e),
    };
    let deployments = list
        .iter()
        .filter_map(|d| {
            let did = d.deployment_id()?.to_string();
            Some((
                did.clone(),
                Deployment {
                    id: did,
                    description: non_empty(d.description()),
                },
            ))
        })
        .collect();
    Ok((deployments, complete))
}

async fn get_authorizers_one_by_one(
    c: &Clients,
    api_id: &str,
    ids: BTreeSet<String>,
) -> Result<Vec<v2::Authorizer>, AwsError> {
    let results = bounded(
        ids.into_iter().map(|aid| {
            let c = c.clone();
            let api_id = api_id.to_string();
            async move {
                c.apigw2
                    .get_authorizer()
                    .api_id(api_id)
                    .authorizer_id(&aid)
                    .send()
                    .await
                    .map_err(|e| classify("GetAuthorizer", e))
                    .map(|o| {
                        v2::Authorizer::builder()
                            .authorizer_id(aid)
                            .set_name(o.name().map(str::to_string))
                            .set_authorizer_type(o.authorizer_type().cloned())
                            .set_identity_source(Some(o.identity_source().to_vec()))
                            .set_jwt_configuration(o.jwt_configuration().cloned())
                            .set_authorizer_uri(o.authorizer_uri().map(str::to_string))
                            .set_authorizer_payload_format_version(
                                o.authorizer_payload_format_version().map(str::to_string),
                            )
                            .set_authorizer_result_ttl_in_seconds(
                                o.authorizer_result_ttl_in_seconds(),
                            )
                            .set_enable_simple_responses(o.enable_simple_responses())
                            .build()
                    })
            }
        }),
        LAMBDA_CONCURRENCY,
    )
    .await;
    results.into_iter().collect()
}

/// A stage, its route settings mapped by `setting`.
pub fn map_stage<R: Default>(
    s: &v2::Stage,
    setting: fn(&v2::RouteSettings) -> R,
) -> Option<(String, ObservedStage<R>)> {
    Some((
        s.stage_name()?.to_string(),
        ObservedStage {
            deployment_id: non_empty(s.deployment_id()),
            settings: Stage {
                description: non_empty(s.description()),
                auto_deploy: Some(s.auto_deploy().unwrap_or(false)),
                variables: to_btree(s.stage_variables()),
                default_route_settings: s.default_route_settings().map(setting).unwrap_or_default(),
                route_settings: s
                    .route_settings()
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), setting(v))).collect())
                    .unwrap_or_default(),
                access_log: s.access_log_settings().and_then(|a| {
                    Some(AccessLog {
                        destination_arn: non_empty(a.destination_arn())?,
                        format: a.format().unwrap_or_default().to_string(),
                    })
                }),
            },
        },
    ))
}
