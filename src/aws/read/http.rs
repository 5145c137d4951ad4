//! Reads an HTTP API (apigatewayv2) into [`crate::state::http`] shapes: the service's answers
//! are mapped to a [`RawHttpApi`] (objects by id), which [`RawHttpApi::assemble`] keys the way
//! the planner compares them.
//!
//! Six list/get calls, made concurrently, each list followed through every `NextToken` page:
//! get-api, get-routes, get-integrations, get-authorizers, get-stages, get-deployments.
//! No `MaxResults` is sent (the service documents no maximum; its default page size applies).
//!
//! Two fallbacks exist for the emulator's missing operations (moto 5.2.5), chosen by the
//! classified error kind, never by message text, and reported in `ObservedHttpApi::notes`:
//! - get-authorizers answering a server error (moto: HTTP 500): the authorizers the routes
//!   refer to are read one by one with get-authorizer. Authorizers no route uses are then not
//!   seen (`authorizers_complete == false`);
//! - get-deployments answering NotFound for an API that was just read (moto: HTTP 404): no
//!   deployment is known (`deployments_complete == false`), so stages with auto-deploy off
//!   are deployed again.
//!
//! Mapping rules: empty strings in optional fields are `None`; an absent list or map is empty;
//! integration and authorizer settings are normalised ([`Integration::normalize`], ...).

use std::collections::BTreeSet;

use aws_sdk_apigatewayv2::types as v2;

use super::v2 as v2_read;
use super::{all_pages, non_empty, to_btree};
use crate::aws::error::{classify, AwsError, ErrorKind};
use crate::aws::Clients;
use crate::state::http::{
    Authorizer, Cors, Integration, ObservedHttpApi, RawHttpApi, RawRoute, RouteSetting,
};
use crate::state::rest::ApiSummary;

/// Every HTTP API named exactly `name` (get-apis, all pages), oldest first (ties by id).
pub async fn find_http_apis(c: &Clients, name: &str) -> Result<Vec<ApiSummary>, AwsError> {
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
    let mut out: Vec<ApiSummary> = apis
        .iter()
        .filter(|a| a.name() == Some(name) && a.protocol_type() == Some(&v2::ProtocolType::Http))
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
    Ok(out)
}

/// Read an HTTP API with its routes, integrations, authorizers, stages and deployments.
pub async fn read_http_api(c: &Clients, id: &str) -> Result<ObservedHttpApi, AwsError> {
    let l = v2_read::lists(c, id).await;
    let api = l.api?;
    let routes: Vec<RawRoute> = l.routes?.iter().map(map_route).collect();
    let integrations = l.integrations?;
    let stages = l.stages?;
    let mut notes = Vec::new();

    let ids: BTreeSet<String> = routes
        .iter()
        .filter_map(|r| r.authorizer_id.clone())
        .filter(|a| !a.is_empty())
        .collect();
    let (authorizers, authorizers_complete) =
        v2_read::authorizers_or_referred(c, id, l.authorizers, ids, &mut notes).await?;
    let (deployments, deployments_complete) = v2_read::deployments_or_none(l.deployments)?;

    let raw = RawHttpApi {
        id: id.to_string(),
        name: api.name().unwrap_or_default().to_string(),
        description: non_empty(api.description()),
        disable_execute_api_endpoint: api.disable_execute_api_endpoint().unwrap_or(false),
        cors: api.cors_configuration().map(map_cors),
        tags: to_btree(api.tags()),
        routes,
        integrations: integrations.iter().filter_map(map_integration).collect(),
        authorizers: authorizers.iter().filter_map(map_authorizer).collect(),
        stages: stages
            .iter()
            .filter_map(|s| v2_read::map_stage(s, map_route_setting))
            .collect(),
        deployments,
        authorizers_complete,
        deployments_complete,
        notes,
    };
    Ok(raw.assemble())
}

fn map_cors(c: &v2::Cors) -> Cors {
    Cors {
        allow_origins: c.allow_origins().to_vec(),
        allow_methods: c.allow_methods().to_vec(),
        allow_headers: c.allow_headers().to_vec(),
        expose_headers: c.expose_headers().to_vec(),
        max_age: c.max_age(),
        allow_credentials: c.allow_credentials().unwrap_or(false),
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
        authorization_scopes: r.authorization_scopes().to_vec(),
    }
}

pub(crate) fn map_integration(i: &v2::Integration) -> Option<(String, Integration)> {
    Some((
        i.integration_id()?.to_string(),
        Integration {
            kind: i.integration_type()?.as_str().to_string(),
            uri: i.integration_uri().unwrap_or_default().to_string(),
            method: non_empty(i.integration_method()),
            payload_format_version: non_empty(i.payload_format_version()),
            timeout_ms: i.timeout_in_millis(),
            request_parameters: to_btree(i.request_parameters()),
            credentials_arn: non_empty(i.credentials_arn()),
        },
    ))
}

fn map_authorizer(a: &v2::Authorizer) -> Option<(String, String, Authorizer)> {
    let jwt = a.jwt_configuration();
    Some((
        a.authorizer_id()?.to_string(),
        a.name()?.to_string(),
        Authorizer {
            kind: a.authorizer_type()?.as_str().to_string(),
            identity_source: a.identity_source().to_vec(),
            issuer: non_empty(jwt.and_then(|j| j.issuer())),
            audience: jwt.map(|j| j.audience().to_vec()).unwrap_or_default(),
            authorizer_uri: non_empty(a.authorizer_uri()),
            payload_format_version: non_empty(a.authorizer_payload_format_version()),
            ttl_seconds: a.authorizer_result_ttl_in_seconds(),
            simple_responses: a.enable_simple_responses(),
        },
    ))
}

fn map_route_setting(s: &v2::RouteSettings) -> RouteSetting {
    RouteSetting {
        metrics: s.detailed_metrics_enabled(),
        throttle_rate: s.throttling_rate_limit(),
        throttle_burst: s.throttling_burst_limit(),
    }
}

/// Which kind of API `id` is (`--api-id` without a spec): get-rest-api first, then get-api.
/// NotFound on one means "try the other", by the classified error kind only; any other
/// error, or NotFound on both (get-api's error), is returned.
pub async fn api_kind(c: &Clients, id: &str) -> Result<crate::spec::model::ApiKind, AwsError> {
    use crate::spec::model::ApiKind;
    match c.apigw.get_rest_api().rest_api_id(id).send().await {
        Ok(_) => return Ok(ApiKind::Rest),
        Err(e) => {
            let e = classify("GetRestApi", e);
            if e.kind != ErrorKind::NotFound {
                return Err(e);
            }
        }
    }
    v2_api_kind(c, id).await
}

/// Which kind of v2 API `id` is (get-api's protocol): HTTP or WebSocket. For a caller that
/// already knows `id` is no REST API.
pub async fn v2_api_kind(c: &Clients, id: &str) -> Result<crate::spec::model::ApiKind, AwsError> {
    use crate::spec::model::ApiKind;
    let api = c
        .apigw2
        .get_api()
        .api_id(id)
        .send()
        .await
        .map_err(|e| classify("GetApi", e))?;
    Ok(match api.protocol_type() {
        Some(v2::ProtocolType::Websocket) => ApiKind::WebSocket,
        _ => ApiKind::Http,
    })
}
