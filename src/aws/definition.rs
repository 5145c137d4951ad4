//! The definition path's one write: PutRestApi of a rendered OpenAPI body onto an API this
//! run just created (`mode=overwrite`, `failonwarnings=true`: a body API Gateway only partly
//! understands is refused whole, never half-applied). Paced like every call (PutRestApi
//! 1/s, [`crate::aws::pace`]).

use aws_sdk_apigateway::primitives::Blob;
use aws_sdk_apigateway::types::PutMode;

use super::error::{classify, AwsError};
use super::Clients;

/// Replace the whole configuration of REST API `api_id` with `body` (OpenAPI 3.0 JSON).
pub async fn put_rest_api(clients: &Clients, api_id: &str, body: Vec<u8>) -> Result<(), AwsError> {
    clients
        .apigw
        .put_rest_api()
        .rest_api_id(api_id)
        .mode(PutMode::Overwrite)
        .fail_on_warnings(true)
        .body(Blob::new(body))
        .send()
        .await
        .map_err(|e| classify("PutRestApi", e))?;
    Ok(())
}
