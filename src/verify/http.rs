//! The few HTTP requests `gwctl verify` sends: hyper (HTTP/1.1) with rustls and the
//! platform's trusted roots for `https://`, plain TCP for `http://` (a local emulator). No
//! redirects are followed; each request has a time limit.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::Response;

/// How long one request may take, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("`{0}` is not an http:// or https:// URL")]
    BadUrl(String),
    #[error("no trusted root certificates could be loaded for https: {0}")]
    Roots(std::io::Error),
    #[error("request to `{url}` failed: {message}")]
    Request { url: String, message: String },
    #[error("request to `{0}` took longer than {TIMEOUT:?}")]
    Timeout(String),
}

/// A client for one run: `http://` always works; `https://` needs the platform's roots,
/// loaded on first use.
pub struct Prober {
    plain: Client<HttpConnector, Empty<Bytes>>,
    tls: Option<Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>>,
}

impl Default for Prober {
    fn default() -> Self {
        Self::new()
    }
}

impl Prober {
    pub fn new() -> Prober {
        Prober {
            plain: Client::builder(TokioExecutor::new()).build_http(),
            tls: None,
        }
    }

    /// Send `method url` with `headers` and no body; return the status and headers.
    pub async fn send(
        &mut self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<Response, HttpError> {
        let uri: http::Uri = url.parse().map_err(|_| HttpError::BadUrl(url.into()))?;
        let mut req = http::Request::builder().method(method).uri(uri.clone());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .header("user-agent", concat!("gwctl/", env!("CARGO_PKG_VERSION")))
            .body(Empty::<Bytes>::new())
            .map_err(|e| HttpError::Request {
                url: url.into(),
                message: e.to_string(),
            })?;
        let fut = match uri.scheme_str() {
            Some("http") => self.plain.request(req),
            Some("https") => {
                if self.tls.is_none() {
                    use hyper_rustls::ConfigBuilderExt;
                    let config = rustls::ClientConfig::builder()
                        .with_native_roots()
                        .map_err(HttpError::Roots)?
                        .with_no_client_auth();
                    let connector = hyper_rustls::HttpsConnectorBuilder::new()
                        .with_tls_config(config)
                        .https_only()
                        .enable_http1()
                        .build();
                    self.tls = Some(Client::builder(TokioExecutor::new()).build(connector));
                }
                self.tls.as_ref().expect("built above").request(req)
            }
            _ => return Err(HttpError::BadUrl(url.into())),
        };
        let resp = tokio::time::timeout(TIMEOUT, async {
            let resp = fut.await?;
            let status = resp.status().as_u16();
            let headers = resp
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_ascii_lowercase(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            // Read (and drop) the body so the connection can be reused.
            let _ = resp.into_body().collect().await;
            Ok::<_, hyper_util::client::legacy::Error>(Response { status, headers })
        })
        .await
        .map_err(|_| HttpError::Timeout(url.into()))?;
        resp.map_err(|e| HttpError::Request {
            url: url.into(),
            message: crate::aws::error::display_chain(&e),
        })
    }
}
