//! The layer that records every request the client under test sends, outermost, so that it
//! sees what the client sent and what the client got (after any misbehaviour).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};

use super::observe::Seen;

/// Bodies past this are refused rather than recorded; the server's own limit is far lower.
const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// What the browser (the harness) and the harness's set-up send: not the client's doing.
fn harness_path(path: &str) -> bool {
    ["/admin/", "/test/", "/assets/"]
        .iter()
        .any(|prefix| path.starts_with(prefix))
        || matches!(path, "/oauth/authorize" | "/oauth/login" | "/oauth/consent")
}

/// The requests of one run, in the order they reached the server.
#[derive(Debug, Clone, Default)]
pub(crate) struct Log(Arc<Mutex<Vec<Seen>>>);

impl Log {
    fn push(&self, seen: Seen) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(seen);
    }

    pub(crate) fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub(crate) fn clear(&self) {
        self.take();
    }
}

pub(crate) fn recording(log: Log, router: Router) -> Router {
    router.layer(from_fn(move |request: Request, next: Next| {
        let log = log.clone();
        async move {
            if harness_path(request.uri().path()) {
                next.run(request).await
            } else {
                record(log, request, next).await
            }
        }
    }))
}

fn pairs(headers: &axum::http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

async fn record(log: Log, request: Request, next: Next) -> Response {
    let at = Instant::now();
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, BODY_LIMIT).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let mut seen = Seen {
        at,
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: pairs(&parts.headers),
        body: String::from_utf8_lossy(&body).into_owned(),
        status: 0,
        response_headers: Vec::new(),
        response_body: String::new(),
    };
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    let (parts, body) = response.into_parts();
    let body = to_bytes(body, BODY_LIMIT).await.unwrap_or_default();
    seen.status = parts.status.as_u16();
    seen.response_headers = pairs(&parts.headers);
    seen.response_body = String::from_utf8_lossy(&body).into_owned();
    log.push(seen);
    Response::from_parts(parts, Body::from(body))
}
