//! The authorization request read wrongly, and its answers bent (AUTHZ-REQ-*, AUTHZ-REDIR-01,
//! AUTHZ-ERR-*, PKCE-03, PKCE-04, TOKEN-RESP-05).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use reference_server::redirect_policy;
use reference_server::session::COOKIE;
use reference_server::state::AppState;

use super::Ctx;
use super::http::{self, Answer, Pairs};
use crate::Defect;

/// The parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3).
const KNOWN_PARAMETERS: [&str; 7] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
];

pub(super) async fn rewrite(ctx: &Ctx, request: Request, next: Next) -> Response {
    match (request.method(), request.uri().path()) {
        (&Method::GET, "/oauth/authorize") => authorize(ctx, request, next).await,
        (&Method::POST, "/oauth/consent") => consent(ctx, request, next).await,
        _ => next.run(request).await,
    }
}

async fn authorize(ctx: &Ctx, mut request: Request, next: Next) -> Response {
    use Defect::*;
    let raw = request.uri().query().unwrap_or_default().to_owned();
    let Some(mut pairs) = http::query(&request) else {
        return next.run(request).await;
    };
    let before = pairs.clone();
    match ctx.defect {
        // The last one wins, as if it were the only one.
        RepeatedScopeAccepted | RepeatedRedirectUriAccepted => {
            let name = if ctx.defect == RepeatedScopeAccepted {
                "scope"
            } else {
                "redirect_uri"
            };
            let keep = pairs.iter().rposition(|(n, _)| n == name);
            let mut at = 0;
            pairs.retain(|(n, _)| {
                at += 1;
                n != name || Some(at - 1) == keep
            });
        }
        StateTrimmed => edit(&mut pairs, "state", |s| s.trim().to_owned()),
        StateDecodedTwice => edit(&mut pairs, "state", |s| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        }),
        // A missing method is taken for S256 (even without a challenge).
        PkceMethodDefaultsToS256 if http::last(&pairs, "code_challenge_method").is_none() => {
            pairs.push(("code_challenge_method".to_owned(), "S256".to_owned()));
        }
        PkceUnknownMethodAsPlain => edit(&mut pairs, "code_challenge_method", |m| {
            if matches!(m, "S256" | "plain") {
                m.to_owned()
            } else {
                "plain".to_owned()
            }
        }),
        _ => {}
    }
    if pairs != before {
        http::set_query(&mut request, &pairs);
    }
    if ctx.defect == EmptyStateEchoed && raw.split('&').any(|pair| pair == "state=") {
        // The server counts `state=` as absent: a stand-in carries it through, and goes back
        // out empty.
        let query: Vec<String> = raw
            .split('&')
            .map(|pair| match pair {
                "state=" => format!("state={}", ctx.memory.empty_state),
                other => other.to_owned(),
            })
            .collect();
        http::set_raw_query(&mut request, &query.join("&"));
    }

    let mut response = next.run(request).await;
    match ctx.defect {
        // Its error page answers 200 when the request has parameters but no client.
        MissingClientPage200
            if response.status() == StatusCode::BAD_REQUEST
                && !pairs.is_empty()
                && http::last(&pairs, "client_id").is_none()
                && pairs.iter().filter(|(n, _)| n == "redirect_uri").count() < 2 =>
        {
            *response.status_mut() = StatusCode::OK;
        }
        // Anything but `code` is redirected as soon as the client and redirect URI stand,
        // logged in or not.
        ErrorBeforeLogin
            if http::last(&pairs, "response_type").is_some_and(|t| t != "code")
                && (response.status() == StatusCode::OK || Answer::of(&response).is_some()) =>
        {
            let error = (
                "unsupported_response_type",
                "only response_type=code is supported",
            );
            return refused(&ctx.state, &pairs, error, response).await;
        }
        // Logged in, an unknown parameter is refused once no parameter is repeated.
        UnknownParameterRefused
            if pairs
                .iter()
                .any(|(n, _)| !KNOWN_PARAMETERS.contains(&n.as_str())) =>
        {
            let Some((parts, bytes)) = http::body(response).await else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            let response = Response::from_parts(parts, Body::from(bytes.clone()));
            let consent_page = response.status() == StatusCode::OK
                && bytes
                    .windows(b"action=\"/oauth/consent\"".len())
                    .any(|w| w == b"action=\"/oauth/consent\"");
            let other_error = Answer::of(&response).is_some_and(|a| {
                a.get("error_description") != Some("a parameter was sent more than once")
            });
            if consent_page || other_error {
                let error = ("invalid_request", "unknown parameter");
                return refused(&ctx.state, &pairs, error, response).await;
            }
            return response;
        }
        _ => {}
    }
    bend_answer(ctx, &mut response);
    response
}

async fn consent(ctx: &Ctx, request: Request, next: Next) -> Response {
    let request = match ctx.defect {
        Defect::ConsentCsrfUnchecked => with_session_csrf(ctx, request).await,
        _ => request,
    };
    let mut response = next.run(request).await;
    if ctx.defect == Defect::ShortCodes {
        // 66 random bits handed out; the token endpoint's layer maps them back.
        if let Some(mut answer) = Answer::of(&response)
            && let Some(code) = answer.get("code").map(str::to_owned)
        {
            let short: String = code.chars().take(11).collect();
            ctx.memory.short_codes().insert(short.clone(), code);
            http::set(&mut answer.params, "code", &short);
            answer.write(&mut response);
        }
    }
    bend_answer(ctx, &mut response);
    response
}

/// The consent form as if it carried this session's anti-forgery value, whatever it carries.
async fn with_session_csrf(ctx: &Ctx, request: Request) -> Request {
    let (mut request, pairs) = http::form(request).await;
    let Some(mut pairs) = pairs else {
        return request;
    };
    let now = ctx.state.clock.now_unix();
    let view = session_cookie(request.headers()).and_then(|c| ctx.state.sessions.get(&c, now));
    if let Some(view) = view {
        http::set(&mut pairs, "csrf", &view.csrf);
        http::set_form(&mut request, &pairs);
    }
    request
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The answers to the client, bent after the server wrote them.
fn bend_answer(ctx: &Ctx, response: &mut Response) {
    let Some(mut answer) = Answer::of(response) else {
        return;
    };
    let error = answer.get("error").map(str::to_owned);
    let description = answer.get("error_description").map(str::to_owned);
    match ctx.defect {
        Defect::RedirectQueryDropped => {
            answer.target = answer
                .target
                .split('?')
                .next()
                .unwrap_or_default()
                .to_owned();
        }
        Defect::EmptyStateEchoed
            if answer.get("state") == Some(ctx.memory.empty_state.as_str()) =>
        {
            http::set(&mut answer.params, "state", "");
        }
        Defect::DenialWrongError if error.as_deref() == Some("access_denied") => {
            http::set(&mut answer.params, "error", "unauthorized_client");
            http::set(
                &mut answer.params,
                "error_description",
                "the client is not registered for the authorization code grant",
            );
        }
        Defect::MissingResponseTypeDropsState
            if error.as_deref() == Some("invalid_request")
                && description.as_deref() == Some("response_type is required") =>
        {
            answer.params.retain(|(n, _)| n != "state");
        }
        Defect::InvalidScopeAsInvalidRequest if error.as_deref() == Some("invalid_scope") => {
            http::set(&mut answer.params, "error", "invalid_request");
            http::set(
                &mut answer.params,
                "error_description",
                "the scope is not valid",
            );
        }
        _ => return,
    }
    answer.write(response);
}

/// An error redirect to the client the request names, in place of `response`.
async fn refused(
    state: &AppState,
    pairs: &Pairs,
    (error, description): (&str, &str),
    response: Response,
) -> Response {
    let Some(target) = target(state, pairs).await else {
        return response;
    };
    let mut params = vec![
        ("error".to_owned(), error.to_owned()),
        ("error_description".to_owned(), description.to_owned()),
    ];
    if let Some(value) = http::single(pairs, "state") {
        params.push(("state".to_owned(), value.to_owned()));
    }
    Answer { target, params }.redirect(&response)
}

/// Where the server sends the answers of this request: the matched redirect URI, or the
/// client's single complete registration when the request names none.
async fn target(state: &AppState, pairs: &Pairs) -> Option<String> {
    let client_id = http::last(pairs, "client_id")?;
    let client = state.store.client(client_id).await.ok()??.client;
    match http::last(pairs, "redirect_uri") {
        Some(uri) => redirect_policy::resolve(state.config.profile, uri, &client.redirect_urls),
        None => match client.redirect_urls.as_slice() {
            [only] if !only.contains('*') => Some(only.clone()),
            _ => None,
        },
    }
}

/// Applies `change` to every value of `name`.
fn edit(pairs: &mut Pairs, name: &str, change: impl Fn(&str) -> String) {
    for (_, value) in pairs.iter_mut().filter(|(n, _)| n == name) {
        *value = change(value);
    }
}
