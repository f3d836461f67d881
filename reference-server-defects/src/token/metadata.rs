//! Metadata defects: each makes one member of the RFC 8414 document say something false.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use reference_server::form::MAX_BODY_BYTES;
use reference_server::routes::metadata::{WELL_KNOWN, path_well_known};
use reference_server::state::AppState;
use serde_json::{Value, json};

use crate::Defect::{self, *};

/// `router` with the metadata document rewritten as `defect` has it.
pub(super) fn wrap(defect: Defect, router: Router, state: &AppState) -> Router {
    let issuer = state.issuer.clone();
    let with_path = path_well_known(&issuer);
    router.layer(from_fn(move |request: Request, next: Next| {
        let issuer = issuer.clone();
        let path = request.uri().path();
        let metadata = path == WELL_KNOWN || with_path.as_deref() == Some(path);
        async move {
            let response = next.run(request).await;
            if metadata {
                rewrite(defect, &issuer, response).await
            } else {
                response
            }
        }
    }))
}

async fn rewrite(defect: Defect, issuer: &str, response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, MAX_BODY_BYTES).await.unwrap_or_default();
    let Ok(mut document @ Value::Object(_)) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    match defect {
        MetadataEmptyArray => document["response_modes_supported"] = json!([]),
        MetadataIssuerWithPath => document["issuer"] = json!(format!("{issuer}/oauth")),
        MetadataResponseTypeMisnamed => {
            document["response_types_supported"] = json!(["authorization_code"]);
        }
        MetadataAlgNone => {
            document["token_endpoint_auth_signing_alg_values_supported"] = json!(["RS256", "none"]);
        }
        MetadataListsPlain => {
            document["code_challenge_methods_supported"] = json!(["S256", "plain"]);
        }
        _ => return Response::from_parts(parts, Body::from(bytes)),
    }
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(document.to_string()))
}
