//! Reading and rewriting requests and responses on their way through the layer.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, Uri, header, response};
use axum::response::{IntoResponse, Response};
use reference_server::form::{MAX_BODY_BYTES, parse_pairs};

/// Decoded parameters in order, repeats kept, as the server reads them.
pub(super) type Pairs = Vec<(String, String)>;

pub(super) fn serialize(pairs: &[(String, String)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}

/// The last value of `name`.
pub(super) fn last<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The value of `name` if it was sent exactly once.
pub(super) fn single<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut values = pairs.iter().filter(|(n, _)| n == name);
    match (values.next(), values.next()) {
        (Some((_, value)), None) => Some(value),
        _ => None,
    }
}

/// Sets every `name` to `value`, or adds it.
pub(super) fn set(pairs: &mut Pairs, name: &str, value: &str) {
    let mut found = false;
    for (_, v) in pairs.iter_mut().filter(|(n, _)| n == name) {
        value.clone_into(v);
        found = true;
    }
    if !found {
        pairs.push((name.to_owned(), value.to_owned()));
    }
}

/// The query of `request`; `None` if the server would refuse it as malformed.
pub(super) fn query(request: &Request) -> Option<Pairs> {
    parse_pairs(request.uri().query().unwrap_or_default().as_bytes()).ok()
}

/// Replaces the raw query of `request`.
pub(super) fn set_raw_query(request: &mut Request, query: &str) {
    let path_and_query = format!("{}?{query}", request.uri().path());
    let mut parts = request.uri().clone().into_parts();
    if let Ok(path_and_query) = path_and_query.parse() {
        parts.path_and_query = Some(path_and_query);
        if let Ok(uri) = Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
}

/// Replaces the query of `request` by `pairs`.
pub(super) fn set_query(request: &mut Request, pairs: &[(String, String)]) {
    set_raw_query(request, &serialize(pairs));
}

/// The form body of `request`, the request rebuilt around it. `None`, and the request as it
/// came, when the body is not declared within the server's limit: the server answers those.
pub(super) async fn form(request: Request) -> (Request, Option<Pairs>) {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_none_or(|n| n > MAX_BODY_BYTES) {
        return (request, None);
    }
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => {
            let pairs = parse_pairs(&bytes).ok();
            (Request::from_parts(parts, Body::from(bytes)), pairs)
        }
        Err(_) => (Request::from_parts(parts, Body::empty()), None),
    }
}

/// Replaces the form body of `request` by `pairs`.
pub(super) fn set_form(request: &mut Request, pairs: &[(String, String)]) {
    let body = serialize(pairs);
    request
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    *request.body_mut() = Body::from(body);
}

/// The body of `response`, read; `None` if it could not be.
pub(super) async fn body(response: Response) -> Option<(response::Parts, Bytes)> {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.ok()?;
    Some((parts, bytes))
}

/// `response` with its JSON object edited by `edit`; other bodies are left as they are.
pub(super) async fn edit_json(
    response: Response,
    edit: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) -> Response {
    let Some((mut parts, bytes)) = body(response).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Ok(serde_json::Value::Object(mut object)) = serde_json::from_slice(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    edit(&mut object);
    let Ok(edited) = serde_json::to_vec(&object) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(edited))
}

/// A redirect back to the client: its redirect URI and the parameters the server appended.
#[derive(Debug)]
pub(super) struct Answer {
    /// The redirect URI, its own query included.
    pub(super) target: String,
    pub(super) params: Pairs,
}

impl Answer {
    /// The answer `response` carries, if it is a redirect to the client. The server's
    /// parameters start with `code` or `error` and run to the end of the query.
    pub(super) fn of(response: &Response) -> Option<Self> {
        if !response.status().is_redirection() {
            return None;
        }
        let location = response.headers().get(header::LOCATION)?.to_str().ok()?;
        if location.starts_with('/') {
            return None;
        }
        let (_, query) = location.split_once('?')?;
        let mut offset = location.len() - query.len();
        let mut start = None;
        for raw in query.split('&') {
            let name = raw.split('=').next().unwrap_or_default();
            if name == "code" || name == "error" {
                start = Some(offset);
            }
            offset += raw.len() + 1;
        }
        let start = start?;
        Some(Self {
            target: location[..start - 1].to_owned(),
            params: parse_pairs(&location.as_bytes()[start..]).ok()?,
        })
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        last(&self.params, name)
    }

    /// The Location, joined as the server joins it: the redirect URI's query kept.
    pub(super) fn location(&self) -> String {
        let separator = match self.target.find('?') {
            None => "?",
            Some(_) if self.target.ends_with('?') || self.target.ends_with('&') => "",
            Some(_) => "&",
        };
        format!("{}{separator}{}", self.target, serialize(&self.params))
    }

    /// Writes this answer into `response`'s Location.
    pub(super) fn write(&self, response: &mut Response) {
        if let Ok(location) = HeaderValue::from_str(&self.location()) {
            response.headers_mut().insert(header::LOCATION, location);
        }
    }

    /// A fresh 303 to the client carrying this answer, with the headers the server puts on
    /// every response; `like` gives the request id.
    pub(super) fn redirect(&self, like: &Response) -> Response {
        let mut response = StatusCode::SEE_OTHER.into_response();
        self.write(&mut response);
        let headers = response.headers_mut();
        for (name, value) in [
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "no-referrer"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; frame-ancestors 'none'",
            ),
        ] {
            headers.insert(name, HeaderValue::from_static(value));
        }
        if let Some(id) = like.headers().get("x-request-id") {
            headers.insert("x-request-id", id.clone());
        }
        response
    }
}
