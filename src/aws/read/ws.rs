//! Reads a WebSocket API (apigatewayv2, protocol WEBSOCKET) into [`crate::state::ws`] shapes,
//! as [`super::http`] does for HTTP APIs: the answers are mapped to a [`RawWsApi`] (objects
//! by id), which [`RawWsApi::assemble`] keys the way the planner compares them.
//!
//! Six list/get calls, made concurrently, each followed through every `NextToken` page:
//! get-api, get-routes, get-integrations, get-authorizers, get-stages, get-deployments; then
//! get-route-responses for each route that has a route response selection expression (only
//! two-way routes answer a client, so only they are read: a one-way API costs no more), and
//! get-integration-responses for each custom integration (AWS, HTTP, MOCK: proxies have
//! none, so an API of proxies costs no more either), both in the same round.
//! The fallbacks for the emulator's missing operations are those of HTTP APIs, chosen by the
//! classified error kind and reported in `notes`: get-authorizers answering a server error
//! (moto 5.2.5: HTTP 500) reads the authorizers routes refer to one by one (one no route uses
//! is then not seen); get-route-responses answering a server error (moto lacks it) takes each
//! two-way route to have its `$default` route response, id unknown; get-deployments answering NotFound for an API that was just read is
//! read as "no deployment known" (`deployments_complete == false`).

use std::collections::BTreeSet;

use aws_sdk_apigatewayv2::types as v2;

use super::v2 as v2_read;
use super::{all_pages, bounded, non_empty, to_btree, LAMBDA_CONCURRENCY};
use crate::aws::error::{classify, AwsError, ErrorKind};
use crate::aws::Clients;
use crate::state::rest::ApiSummary;
use crate::state::ws::{
    has_integration_responses, Authorizer, Integration, IntegrationResponse, ObservedWsApi,
    RawIntegrationResponse, RawRoute, RawWsApi, RouteSetting, DEFAULT_KEY,
};

/// Every WebSocket API named exactly `name` (get-apis, all pages), oldest first (ties by id).
pub async fn find_ws_apis(c: &Clients, name: &str) -> Result<Vec<ApiSummary>, AwsError> {
    Ok(find_v2_apis(c, name).await?.1)
}

/// Every HTTP API and every WebSocket API named exactly `name`, from one listing (get-apis,
/// all pages), each oldest first (ties by id).
pub async fn find_v2_apis(
    c: &Clients,
    name: &str,
) -> Result<(Vec<ApiSummary>, Vec<ApiSummary>), AwsError> {
    let apis = all_pages(|token| async move {
        let page = c
            .apigw2
            .get_apis()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("GetApis", e))?;
        Ok((page.items().to_vec(), page.next_token().map(str::to_string)))
    })
    .await?;
    let of = |protocol: v2::ProtocolType| {
        let mut out: Vec<ApiSummary> = apis
            .iter()
            .filter(|a| a.name() == Some(name) && a.protocol_type() == Some(&protocol))
            .map(|a| ApiSummary {
                id: a.api_id().unwrap_or_default().to_string(),
                name: name.to_string(),
                tags: to_btree(a.tags()),
                created_epoch: a.created_date().map(|d| d.secs()),
                head: None,
            })
            .collect();
        out.sort_by(|a, b| {
            a.created_epoch
                .cmp(&b.created_epoch)
                .then_with(|| a.id.cmp(&b.id))
        });
        out
    };
    Ok((of(v2::ProtocolType::Http), of(v2::ProtocolType::Websocket)))
}

/// Read a WebSocket API with its routes (and their route responses), integrations,
/// authorizers, stages and deployments.
pub async fn read_ws_api(c: &Clients, id: &str) -> Result<ObservedWsApi, AwsError> {
    let l = v2_read::lists(c, id).await;
    let api = l.api?;
    let mut routes: Vec<RawRoute> = l.routes?.iter().map(map_route).collect();
    let mut notes = Vec::new();
    let ids: BTreeSet<String> = routes
        .iter()
        .filter_map(|r| r.authorizer_id.clone())
        .collect();
    let (authorizers, _) =
        v2_read::authorizers_or_referred(c, id, l.authorizers, ids, &mut notes).await?;
    let (deployments, deployments_complete) = v2_read::deployments_or_none(l.deployments)?;
    let two_way: Vec<(usize, String)> = routes
        .iter()
        .enumerate()
        .filter(|(_, r)| r.route_response_selection_expression.is_some())
        .map(|(i, r)| (i, r.id.clone()))
        .collect();
    // The route responses of two-way routes and the integration responses of custom
    // integrations are independent: one round of reads, not two.
    let integrations: Vec<(String, Integration)> =
        l.integrations?.iter().filter_map(map_integration).collect();
    let route_responses = bounded(
        two_way.into_iter().map(|(i, route_id)| {
            let c = c.clone();
            let id = id.to_string();
            async move {
                let list = all_pages(|token| {
                    let (c, id, route_id) = (c.clone(), id.clone(), route_id.clone());
                    async move {
                        let p = c
                            .apigw2
                            .get_route_responses()
                            .api_id(id)
                            .route_id(route_id)
                            .set_next_token(token)
                            .send()
                            .await
                            .map_err(|e| classify("GetRouteResponses", e))?;
                        Ok((p.items().to_vec(), p.next_token().map(str::to_string)))
                    }
                })
                .await?;
                Ok::<_, AwsError>((i, list))
            }
        }),
        LAMBDA_CONCURRENCY,
    );
    let (responses, integration_responses) = tokio::join!(
        route_responses,
        read_integration_responses(c, id, &integrations)
    );
    let mut unlisted = 0;
    for r in responses {
        match r {
            Ok((i, list)) => {
                routes[i].responses = list
                    .iter()
                    .filter_map(|rr| {
                        Some((
                            rr.route_response_id()?.to_string(),
                            rr.route_response_key()?.to_string(),
                        ))
                    })
                    .collect();
            }
            Err(e) if e.kind == ErrorKind::Service => unlisted += 1,
            Err(e) => return Err(e),
        }
    }
    if unlisted > 0 {
        // The list could not be read (moto 5.2.5 lacks get-route-responses): a two-way
        // route is taken to have the `$default` route response its selection expression
        // names, id unknown.
        for r in routes.iter_mut() {
            if r.route_response_selection_expression.is_some() && r.responses.is_empty() {
                r.responses.push((String::new(), DEFAULT_KEY.to_string()));
            }
        }
        notes.push(format!(
            "the route responses of {unlisted} two-way route(s) could not be listed \
             (GetRouteResponses: server error); each is taken to have its `$default` route \
             response"
        ));
    }

    let integration_responses = integration_responses?;

    let raw = RawWsApi {
        id: id.to_string(),
        name: api.name().unwrap_or_default().to_string(),
        description: non_empty(api.description()),
        route_selection_expression: api
            .route_selection_expression()
            .unwrap_or_default()
            .to_string(),
        api_key_selection_expression: non_empty(api.api_key_selection_expression()),
        tags: to_btree(api.tags()),
        routes,
        integrations,
        integration_responses,
        authorizers: authorizers.iter().filter_map(map_authorizer).collect(),
        stages: l
            .stages?
            .iter()
            .filter_map(|s| v2_read::map_stage(s, map_route_setting))
            .collect(),
        deployments,
        deployments_complete,
        notes,
    };
    Ok(raw.assemble())
}

/// get-integration-responses of every custom integration (AWS, HTTP, MOCK), all pages,
/// concurrently: proxies have none, so an API of proxies costs no more reads.
async fn read_integration_responses(
    c: &Clients,
    id: &str,
    integrations: &[(String, Integration)],
) -> Result<Vec<RawIntegrationResponse>, AwsError> {
    let custom = integrations
        .iter()
        .filter(|(_, i)| has_integration_responses(&i.kind))
        .map(|(iid, _)| iid.clone());
    let lists = bounded(
        custom.map(|integration_id| {
            let (c, id) = (c.clone(), id.to_string());
            async move {
                let list = integration_responses_of(&c, &id, &integration_id).await?;
                Ok::<_, AwsError>((integration_id, list))
            }
        }),
        LAMBDA_CONCURRENCY,
    )
    .await;
    let mut out = Vec::new();
    for l in lists {
        let (integration_id, list) = l?;
        out.extend(list.iter().filter_map(|r| {
            Some(RawIntegrationResponse {
                integration_id: integration_id.clone(),
                id: r.integration_response_id()?.to_string(),
                key: r.integration_response_key()?.to_string(),
                def: map_integration_response(r),
            })
        }));
    }
    Ok(out)
}

/// get-integration-responses of the integration `integration` of API `api`, all pages.
pub(crate) async fn integration_responses_of(
    c: &Clients,
    api: &str,
    integration: &str,
) -> Result<Vec<v2::IntegrationResponse>, AwsError> {
    all_pages(|token| async move {
        let p = c
            .apigw2
            .get_integration_responses()
            .api_id(api)
            .integration_id(integration)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("GetIntegrationResponses", e))?;
        Ok((p.items().to_vec(), p.next_token().map(str::to_string)))
    })
    .await
}

pub(crate) fn map_integration_response(r: &v2::IntegrationResponse) -> IntegrationResponse {
    IntegrationResponse {
        templates: to_btree(r.response_templates()),
        template_selection_expression: non_empty(r.template_selection_expression()),
        content_handling: r
            .content_handling_strategy()
            .map(|c| c.as_str().to_string()),
    }
}

fn map_route(r: &v2::Route) -> RawRoute {
    RawRoute {
        id: r.route_id().unwrap_or_default().to_string(),
        route_key: r.route_key().unwrap_or_default().to_string(),
        target: non_empty(r.target()),
        authorization_type: r
            .authorization_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_else(|| "NONE".into()),
        authorizer_id: non_empty(r.authorizer_id()),
        route_response_selection_expression: non_empty(r.route_response_selection_expression()),
        responses: Vec::new(),
    }
}

pub(crate) fn map_integration(i: &v2::Integration) -> Option<(String, Integration)> {
    Some((
        i.integration_id()?.to_string(),
        Integration {
            kind: i.integration_type()?.as_str().to_string(),
            uri: i.integration_uri().unwrap_or_default().to_string(),
            method: non_empty(i.integration_method()),
            timeout_ms: i.timeout_in_millis(),
            credentials_arn: non_empty(i.credentials_arn()),
            request_templates: to_btree(i.request_templates()),
            template_selection_expression: non_empty(i.template_selection_expression()),
            passthrough_behavior: i.passthrough_behavior().map(|p| p.as_str().to_string()),
            content_handling: i
                .content_handling_strategy()
                .map(|c| c.as_str().to_string()),
            request_parameters: to_btree(i.request_parameters()),
        },
    ))
}

fn map_authorizer(a: &v2::Authorizer) -> Option<(String, String, Authorizer)> {
    Some((
        a.authorizer_id()?.to_string(),
        a.name()?.to_string(),
        Authorizer {
            kind: a.authorizer_type()?.as_str().to_string(),
            identity_source: a.identity_source().to_vec(),
            authorizer_uri: non_empty(a.authorizer_uri()),
        },
    ))
}

fn map_route_setting(s: &v2::RouteSettings) -> RouteSetting {
    RouteSetting {
        logging_level: s.logging_level().map(|l| l.as_str().to_string()),
        data_trace: s.data_trace_enabled(),
        metrics: s.detailed_metrics_enabled(),
        throttle_rate: s.throttling_rate_limit(),
        throttle_burst: s.throttling_burst_limit(),
    }
}
