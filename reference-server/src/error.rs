//! The JSON error channel of RFC 6749 §5.2, shared by the token, introspection, revocation
//! and check_token endpoints.
//!
//! Descriptions are fixed strings chosen here, never request input, so they always stay
//! within the ASCII that §5.2 permits (TOKEN-ERR-01). Unexpected failures become a generic
//! `server_error`; the detail goes to the log, never into the body.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::store::StoreError;

/// The challenge sent with every 401 from an endpoint where clients authenticate.
/// The realm is Spring's, which check_token clients expect (CHECK-04).
pub const BASIC_CHALLENGE: &str = "Basic realm=\"oauth2/client\", charset=\"UTF-8\"";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// RFC 6749 §5.2: missing, repeated or malformed parameter.
    InvalidRequest,
    /// RFC 6749 §5.2: client authentication failed.
    InvalidClient,
    /// RFC 6749 §5.2: the grant (code, refresh token) is invalid, expired or revoked.
    InvalidGrant,
    /// RFC 6749 §5.2: the client may not use this grant type.
    UnauthorizedClient,
    /// RFC 6749 §5.2: the grant type is not supported.
    UnsupportedGrantType,
    /// RFC 6749 §5.2: the scope is invalid, unknown or exceeds the grant.
    InvalidScope,
    /// Spring's check_token answer for a dead token (CHECK-02).
    InvalidToken,
    /// RFC 8628 §3.5, registered for the token endpoint: too many attempts, retry later.
    SlowDown,
    ServerError,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::SlowDown => "slow_down",
            ErrorCode::ServerError => "server_error",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
            ErrorCode::SlowDown => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

#[derive(Debug)]
pub struct OAuthError {
    code: ErrorCode,
    description: &'static str,
    status: StatusCode,
    retry_after: Option<i64>,
    allow: Option<&'static str>,
    /// Logged, never sent.
    detail: Option<String>,
}

#[derive(Serialize)]
struct Body {
    error: &'static str,
    error_description: &'static str,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: &'static str) -> Self {
        Self {
            code,
            description,
            status: code.status(),
            retry_after: None,
            allow: None,
            detail: None,
        }
    }

    pub fn invalid_request(description: &'static str) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    pub fn invalid_client(description: &'static str) -> Self {
        Self::new(ErrorCode::InvalidClient, description)
    }

    pub fn throttled(retry_after: i64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                ErrorCode::SlowDown,
                "too many failed authentications for this client: retry later",
            )
        }
    }

    pub fn method_not_allowed(allow: &'static str) -> Self {
        Self {
            status: StatusCode::METHOD_NOT_ALLOWED,
            allow: Some(allow),
            ..Self::invalid_request("method not allowed")
        }
    }

    pub fn payload_too_large() -> Self {
        Self {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            ..Self::invalid_request("the request body is too large")
        }
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self {
            detail: Some(detail.to_string()),
            ..Self::new(
                ErrorCode::ServerError,
                "the server could not complete the request",
            )
        }
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }
}

impl From<StoreError> for OAuthError {
    fn from(error: StoreError) -> Self {
        match error {
            // The credentials were valid an instant ago and are not now: as if presented late.
            StoreError::ClientChanged => Self::invalid_client("client authentication failed"),
            other => Self::internal(other),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        if let Some(detail) = &self.detail {
            tracing::error!(error = %detail, "request failed");
        }
        let mut response = (
            self.status,
            Json(Body {
                error: self.code.as_str(),
                error_description: self.description,
            }),
        )
            .into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(BASIC_CHALLENGE),
            );
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        if let Some(allow) = self.allow {
            headers.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        response
    }
}
