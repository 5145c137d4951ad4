//! SDK interceptors attached by [`crate::aws::config`] to every client gwctl builds.
//!
//! - [`StripNullMapValues`] (API Gateway v1 and v2): real API Gateway answers
//!   `"responseTemplates": {"application/json": null}` for an empty template (the console writes
//!   such templates too). The Rust SDK models these maps as dense and fails the whole response
//!   with "dense map cannot contain null values" (awslabs/aws-sdk-rust#1443), which would make
//!   get-method and get-resources with `embed=methods` (and, on WebSocket APIs,
//!   get-integration-responses) unusable on such APIs. The interceptor
//!   drops null-valued entries from every JSON object of the response before the SDK
//!   deserializes it, so the SDK sees those keys as absent. For a structure member a null and an
//!   absent key already mean the same thing, so dropping every null-valued entry is safe.
//! - [`CallRecorder`]: appends one [`CallRecord`] per operation to the clients' [`CallLog`]
//!   (service, operation name, attempts — including the retries the paced transport of
//!   [`crate::aws::pace`] made — duration, success). Reports ("N calls made") and tests
//!   ("zero write calls") read it.

use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextMut, BeforeSerializationInterceptorContextRef,
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use bytes::Bytes;
use http_body::{Body, Frame};

use super::{CallLog, CallRecord};

/// API Gateway operations whose response body is a user document (an export, an SDK archive):
/// returned byte for byte.
const BLOB_PAYLOAD_OPERATIONS: &[&str] = &["GetExport", "GetSdk"];

/// Drops null-valued entries from the JSON objects of every response body (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct StripNullMapValues;

impl Intercept for StripNullMapValues {
    fn name(&self) -> &'static str {
        "gwctl::StripNullMapValues"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Every API Gateway response is JSON by protocol (restJson1), except the operations
        // whose payload is a document handed back as is. The content type is not consulted:
        // moto labels its JSON `text/html`, and a body that is not JSON is left alone anyway.
        let operation = cfg.load::<Metadata>().map(|m| m.name());
        if operation.is_some_and(|op| BLOB_PAYLOAD_OPERATIONS.contains(&op)) {
            return Ok(());
        }
        let response = context.response_mut();
        let body = response.take_body();
        let body = match body.bytes() {
            // Already in memory (replayed responses in tests): rewrite right away.
            Some(bytes) => match strip_null_entries(bytes) {
                Some(stripped) => SdkBody::from(stripped),
                None => body,
            },
            // Streaming from the network: rewrite once the whole body has arrived. The SDK reads
            // non-streaming JSON responses to the end before deserializing them anyway.
            None => SdkBody::from_body_1_x(StripNullsBody::new(body)),
        };
        *response.body_mut() = body;
        Ok(())
    }
}

/// Returns the body without null-valued object entries, or `None` when nothing changes (no
/// `null` token, not JSON, or nulls only inside arrays or strings). The common case, a body
/// without the bytes `null`, costs one scan and no allocation.
pub fn strip_null_entries(body: &[u8]) -> Option<Vec<u8>> {
    if !body.windows(4).any(|w| w == b"null") {
        return None;
    }
    let mut value: serde_json::Value = serde_json::from_slice(body).ok()?;
    if !strip_value(&mut value) {
        return None;
    }
    serde_json::to_vec(&value).ok()
}

/// Removes null-valued entries from every object inside `value`; true when anything was removed.
fn strip_value(value: &mut serde_json::Value) -> bool {
    match value {
        serde_json::Value::Object(map) => {
            let before = map.len();
            map.retain(|_, v| !v.is_null());
            let mut changed = map.len() != before;
            for v in map.values_mut() {
                changed |= strip_value(v);
            }
            changed
        }
        serde_json::Value::Array(items) => {
            let mut changed = false;
            for v in items.iter_mut() {
                changed |= strip_value(v);
            }
            changed
        }
        _ => false,
    }
}

/// A body that collects its inner body, then yields it once with null entries stripped,
/// followed by the inner body's trailers if it had any. Errors pass through unchanged.
struct StripNullsBody {
    inner: SdkBody,
    buf: Vec<u8>,
    trailers: Option<Frame<Bytes>>,
    state: BodyState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyState {
    Collecting,
    Trailers,
    Done,
}

impl StripNullsBody {
    fn new(inner: SdkBody) -> Self {
        Self {
            inner,
            buf: Vec::new(),
            trailers: None,
            state: BodyState::Collecting,
        }
    }
}

impl Body for StripNullsBody {
    type Data = Bytes;
    type Error = aws_smithy_types::body::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        loop {
            match this.state {
                BodyState::Collecting => match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                    Some(Ok(frame)) => match frame.into_data() {
                        Ok(data) => this.buf.extend_from_slice(&data),
                        Err(other) => this.trailers = Some(other),
                    },
                    Some(Err(err)) => {
                        this.state = BodyState::Done;
                        return Poll::Ready(Some(Err(err)));
                    }
                    None => {
                        this.state = BodyState::Trailers;
                        let raw = std::mem::take(&mut this.buf);
                        let out = strip_null_entries(&raw).unwrap_or(raw);
                        if !out.is_empty() {
                            return Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))));
                        }
                    }
                },
                BodyState::Trailers => {
                    this.state = BodyState::Done;
                    if let Some(trailers) = this.trailers.take() {
                        return Poll::Ready(Some(Ok(trailers)));
                    }
                }
                BodyState::Done => return Poll::Ready(None),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.state == BodyState::Done
    }
}

/// Records every operation made through a client into a [`CallLog`].
#[derive(Debug, Clone)]
pub struct CallRecorder {
    service: &'static str,
    log: CallLog,
}

impl CallRecorder {
    /// `service` is the short name recorded for every call: `apigateway`, `apigatewayv2` or
    /// `lambda`.
    pub fn new(service: &'static str, log: CallLog) -> Self {
        Self { service, log }
    }
}

#[derive(Debug, Clone, Copy)]
struct CallStarted(Instant);

impl Storable for CallStarted {
    type Storer = StoreReplace<Self>;
}

#[derive(Debug, Clone, Copy)]
struct AttemptsMade(u32);

impl Storable for AttemptsMade {
    type Storer = StoreReplace<Self>;
}

impl Intercept for CallRecorder {
    fn name(&self) -> &'static str {
        "gwctl::CallRecorder"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let state = cfg.interceptor_state();
        state.store_put(CallStarted(Instant::now()));
        state.store_put(AttemptsMade(0));
        Ok(())
    }

    // Counted just before each transmission: an attempt that fails before it is sent (e.g.
    // while resolving credentials) made no call.
    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let made = cfg.load::<AttemptsMade>().map_or(0, |a| a.0);
        cfg.interceptor_state().store_put(AttemptsMade(made + 1));
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg
            .load::<Metadata>()
            .map_or_else(|| "Unknown".to_string(), |m| m.name().to_string());
        let duration = cfg
            .load::<CallStarted>()
            .map(|s| s.0.elapsed())
            .unwrap_or_default();
        let attempts = cfg.load::<AttemptsMade>().map_or(0, |a| a.0);
        // The paced transport retries below the SDK: count the HTTP attempts it made.
        let attempts = cfg
            .load::<super::pace::PaceTicket>()
            .map_or(attempts, |t| attempts.max(t.attempts()));
        let ok = matches!(context.output_or_error(), Some(Ok(_)));
        self.log.push(CallRecord {
            service: self.service.to_string(),
            operation,
            attempts,
            duration,
            ok,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripped(s: &str) -> Option<String> {
        strip_null_entries(s.as_bytes()).map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn bodies_without_null_are_left_alone() {
        assert_eq!(stripped(r#"{"a":{"b":"c"}}"#), None);
        assert_eq!(stripped(r#"{"description":"nullable"}"#), None);
        assert_eq!(stripped("<html>null</html>"), None);
        assert_eq!(stripped(r#"{"items":[null,1]}"#), None);
    }

    #[test]
    fn null_entries_are_removed_at_every_depth() {
        assert_eq!(
            stripped(
                r#"{"responseTemplates":{"application/json":null,"text/plain":"x"},"uri":null}"#
            )
            .as_deref(),
            Some(r#"{"responseTemplates":{"text/plain":"x"}}"#)
        );
        assert_eq!(
            stripped(r#"{"item":[{"m":{"GET":{"t":{"a":null}}}}],"n":1.5}"#).as_deref(),
            Some(r#"{"item":[{"m":{"GET":{"t":{}}}}],"n":1.5}"#)
        );
    }

    /// A body that yields the given chunks one frame at a time, as a network body does.
    struct Chunks(std::collections::VecDeque<&'static [u8]>);

    impl Body for Chunks {
        type Data = Bytes;
        type Error = std::convert::Infallible;
        fn poll_frame(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            Poll::Ready(
                self.get_mut()
                    .0
                    .pop_front()
                    .map(|c| Ok(Frame::data(Bytes::from_static(c)))),
            )
        }
    }

    async fn collect(mut body: SdkBody) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            out.extend_from_slice(&frame.unwrap().into_data().unwrap());
        }
        out
    }

    #[tokio::test]
    async fn streaming_bodies_are_rewritten_once_complete() {
        let inner = SdkBody::from_body_1_x(Chunks(
            [&b"{\"t\":{\"a\":nu"[..], &b"ll,\"b\":\"x\"}}"[..]].into(),
        ));
        let body = SdkBody::from_body_1_x(StripNullsBody::new(inner));
        assert_eq!(collect(body).await, br#"{"t":{"b":"x"}}"#);

        let untouched = SdkBody::from_body_1_x(Chunks([&b"{\"a\":"[..], &b"1}"[..]].into()));
        let body = SdkBody::from_body_1_x(StripNullsBody::new(untouched));
        assert_eq!(collect(body).await, br#"{"a":1}"#);
    }
}
