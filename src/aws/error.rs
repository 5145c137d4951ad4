//! AWS errors classified by type (the error code the service returns), never by message.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What kind of failure an AWS call ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    /// ConflictException: duplicate, or concurrent modification.
    Conflict,
    /// A create refused because what it would make already exists and is not gwctl's
    /// (a ConflictException that waiting cannot resolve, e.g. an API key value that is
    /// another key's): never retried, never re-planned. Set by the executor, which knows the
    /// operation; [`kind_from_code`] never returns it.
    AlreadyExists,
    /// TooManyRequestsException / LimitExceededException / HTTP 429.
    Throttled,
    AccessDenied,
    /// BadRequestException and other validation errors.
    BadRequest,
    /// Could not reach the service, timed out, or the response could not be read.
    Transport,
    /// 5xx from the service.
    Service,
    Other,
}

/// A classified AWS error, carrying what the user needs to read.
#[derive(Debug, thiserror::Error)]
#[error("{operation}: {message}")]
pub struct AwsError {
    pub kind: ErrorKind,
    pub operation: String,
    /// The service's error code (e.g. `NotFoundException`), when there is one.
    pub code: Option<String>,
    pub message: String,
}

impl AwsError {
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    /// The error an executor returns for the op it did not start because of an interrupt
    /// (code [`crate::cancel::INTERRUPTED_CODE`], never a service code). Marks the interrupt
    /// as honoured.
    pub fn interrupted(operation: &str) -> AwsError {
        crate::cancel::honour();
        AwsError {
            kind: ErrorKind::Other,
            operation: operation.to_string(),
            code: Some(crate::cancel::INTERRUPTED_CODE.to_string()),
            message: "interrupted (SIGINT) before this call was made".into(),
        }
    }
}

/// `cancel::is_interruption` reads the code through this (cancel does not import aws).
impl crate::cancel::ErrorCode for AwsError {
    fn error_code(&self) -> Option<&str> {
        self.code.as_deref()
    }
}

/// An error gwctl raises itself while running an op (an answer without the id it needs, a
/// placeholder with no value): no service code. Here, below the executor and the recovery
/// of lost answers, so that both use it without importing each other.
pub(crate) fn internal(op: &str, message: String) -> AwsError {
    AwsError {
        kind: ErrorKind::Other,
        operation: op.to_string(),
        code: None,
        message,
    }
}

/// Classify from an error code and HTTP status (codes as the services send them).
pub fn kind_from_code(code: Option<&str>, status: Option<u16>) -> ErrorKind {
    match code {
        Some("NotFoundException" | "ResourceNotFoundException" | "NoSuchHostedZone") => {
            ErrorKind::NotFound
        }
        Some("ConflictException" | "ResourceConflictException") => ErrorKind::Conflict,
        Some(
            "TooManyRequestsException"
            | "LimitExceededException"
            | "ThrottlingException"
            | "Throttling"
            // Route 53: a change of the same zone still propagating; retried like a throttle.
            | "PriorRequestNotComplete",
        ) => ErrorKind::Throttled,
        Some(
            "AccessDeniedException"
            | "UnauthorizedException"
            | "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "ExpiredTokenException",
        ) => ErrorKind::AccessDenied,
        Some(
            "BadRequestException"
            | "InvalidParameterValueException"
            | "ValidationException"
            // Route 53's refusals of a change batch or its input.
            | "InvalidChangeBatch"
            | "InvalidInput",
        ) => ErrorKind::BadRequest,
        Some("ServiceException" | "InternalFailure" | "ServiceUnavailableException") => {
            ErrorKind::Service
        }
        _ => match status {
            Some(404) => ErrorKind::NotFound,
            Some(409) => ErrorKind::Conflict,
            Some(429) => ErrorKind::Throttled,
            Some(401 | 403) => ErrorKind::AccessDenied,
            Some(s) if s >= 500 => ErrorKind::Service,
            Some(400) => ErrorKind::BadRequest,
            _ => ErrorKind::Other,
        },
    }
}

/// Convert any SDK error into an [`AwsError`] for `operation`.
pub fn classify<E, R>(operation: &str, err: SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + HasStatus,
{
    match &err {
        SdkError::ServiceError(se) => {
            let code = se.err().code().map(str::to_string);
            let status = se.raw().status_code();
            let message = match non_json_error(se.raw()) {
                // A proxy's or load balancer's HTML page: what the parser made of it
                // ("unexpected token '<'") says nothing.
                Some(m) => m,
                None => se.err().message().map(str::to_string).unwrap_or_else(|| {
                    code.clone()
                        .unwrap_or_else(|| format!("HTTP {status}: {}", display_chain(se.err())))
                }),
            };
            AwsError {
                kind: kind_from_code(code.as_deref(), Some(status)),
                operation: operation.to_string(),
                code,
                message,
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => AwsError {
            kind: ErrorKind::Transport,
            operation: operation.to_string(),
            code: None,
            message: format!("could not reach the service: {}", display_chain(&err)),
        },
        SdkError::ResponseError(re) => AwsError {
            kind: if re.raw().status_code() >= 500 {
                ErrorKind::Service
            } else {
                ErrorKind::Transport
            },
            operation: operation.to_string(),
            code: None,
            message: non_json_error(re.raw())
                .unwrap_or_else(|| format!("unreadable response: {}", display_chain(&err))),
        },
        _ => AwsError {
            kind: ErrorKind::Other,
            operation: operation.to_string(),
            code: None,
            message: display_chain(&err),
        },
    }
}

/// The HTTP status of a raw response, abstracted so `classify` works for every client.
pub trait HasStatus {
    fn status_code(&self) -> u16;
    /// The body, when it is in memory (error bodies are).
    fn body_bytes(&self) -> Option<&[u8]> {
        None
    }
}

impl HasStatus for aws_smithy_runtime_api::http::Response {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
    fn body_bytes(&self) -> Option<&[u8]> {
        self.body().bytes()
    }
}

/// `HTTP 502 with a non-JSON body` for an error answer whose body is not JSON (an HTML page
/// from a proxy, a load balancer or a captive portal): API Gateway and Lambda answer errors
/// with JSON, so whatever the parser says about such a body is noise. None for JSON or an
/// empty body (the SDK's own message is right then).
pub fn non_json_error<R: HasStatus + ?Sized>(raw: &R) -> Option<String> {
    let status = raw.status_code();
    if status < 400 {
        return None;
    }
    let body = raw.body_bytes()?;
    let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
    if matches!(first, b'{' | b'[') && serde_json::from_slice::<serde_json::Value>(body).is_ok() {
        return None;
    }
    Some(format!("HTTP {status} with a non-JSON body"))
}

/// An error and its sources, `outer: inner: ...`.
pub fn display_chain(err: &dyn std::error::Error) -> String {
    let mut s = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        s.push_str(": ");
        s.push_str(&e.to_string());
        cur = e.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Raw(u16, &'static [u8]);
    impl HasStatus for Raw {
        fn status_code(&self) -> u16 {
            self.0
        }
        fn body_bytes(&self) -> Option<&[u8]> {
            Some(self.1)
        }
    }

    #[test]
    fn a_non_json_error_body_is_named_as_such() {
        let html = b"<html><body><h1>502 Bad Gateway</h1></body></html>";
        assert_eq!(
            non_json_error(&Raw(502, html)).as_deref(),
            Some("HTTP 502 with a non-JSON body")
        );
        assert_eq!(
            non_json_error(&Raw(500, b"{\"message\": <")).as_deref(),
            Some("HTTP 500 with a non-JSON body")
        );
        assert_eq!(non_json_error(&Raw(400, b"{\"message\":\"bad\"}")), None);
        assert_eq!(non_json_error(&Raw(503, b"")), None);
        assert_eq!(non_json_error(&Raw(200, html)), None);
    }

    #[test]
    fn codes_win_over_status() {
        assert_eq!(
            kind_from_code(Some("NotFoundException"), Some(400)),
            ErrorKind::NotFound
        );
        assert_eq!(
            kind_from_code(Some("TooManyRequestsException"), Some(400)),
            ErrorKind::Throttled
        );
        assert_eq!(kind_from_code(None, Some(429)), ErrorKind::Throttled);
        assert_eq!(kind_from_code(None, Some(503)), ErrorKind::Service);
        assert_eq!(
            kind_from_code(Some("ConflictException"), Some(409)),
            ErrorKind::Conflict
        );
    }

    #[test]
    fn the_interruption_error_is_recognised_by_its_code_only() {
        use crate::cancel::{is_interruption, INTERRUPTED_CODE};
        let e = AwsError {
            kind: ErrorKind::Other,
            operation: "PutMethod".into(),
            code: Some("ConflictException".into()),
            message: "interrupted".into(),
        };
        assert!(!is_interruption(&e));
        let e = AwsError {
            code: Some(INTERRUPTED_CODE.into()),
            ..e
        };
        assert!(is_interruption(&e));
    }
}
