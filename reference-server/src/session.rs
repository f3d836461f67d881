//! Browser sessions of the authorization endpoint: who is logged in, the anti-forgery value
//! of the login and consent forms (AUTHZ-REQ-05), and the authorization requests waiting for
//! consent.
//!
//! Held in memory: a restart logs everyone out, which a sandbox can afford. The cookie carries
//! 256 random bits; the table is keyed by their digest. A login replaces the session id, so an
//! id planted before login is worthless after it (session fixation).

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use cookie::{Cookie, SameSite};

use crate::pkce::Challenge;
use crate::secret::{Digest, random_value};

pub const COOKIE: &str = "as_session";

/// The session id the browser sent in its `Cookie` headers, if any.
pub fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == COOKIE)
        .map(|cookie| cookie.value().to_owned())
}

/// `response` setting the session cookie: host-only, not readable by scripts, `SameSite=Lax`
/// (the browser comes back from the login form by a top-level navigation), `Secure` when the
/// issuer is https.
pub fn with_cookie(mut response: Response, issuer: &str, value: &str) -> Response {
    let cookie = Cookie::build((COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(issuer.starts_with("https://"))
        .build();
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
const IDLE_SECONDS: i64 = 30 * 60;
const MAX_SESSIONS: usize = 100_000;
const MAX_PENDING_PER_SESSION: usize = 32;

/// An authorization request that passed validation and waits for the user's decision.
#[derive(Debug, Clone)]
pub struct Pending {
    pub client_id: String,
    pub client_row_id: i64,
    /// Where the answer goes: the matched redirect URI.
    pub target: String,
    /// The request's `redirect_uri` parameter, verbatim (`None` if omitted), for the token endpoint.
    pub redirect_uri_param: Option<String>,
    pub state: Option<String>,
    pub scope: std::collections::BTreeSet<String>,
    pub challenge: Option<Challenge>,
}

#[derive(Debug, Clone)]
struct Session {
    user: Option<String>,
    csrf: String,
    pending: HashMap<String, Pending>,
    last_seen: i64,
}

/// What a handler learns about the request's session.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub user: Option<String>,
    pub csrf: String,
}

#[derive(Debug, Default)]
pub struct Sessions {
    table: Mutex<HashMap<Digest, Session>>,
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Digest, Session>> {
        self.table
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The live session behind a cookie value, refreshed.
    pub fn get(&self, cookie: &str, now: i64) -> Option<SessionView> {
        let mut table = self.lock();
        let session = table.get_mut(&Digest::of(cookie))?;
        if now - session.last_seen > IDLE_SECONDS {
            table.remove(&Digest::of(cookie));
            return None;
        }
        session.last_seen = now;
        Some(SessionView {
            user: session.user.clone(),
            csrf: session.csrf.clone(),
        })
    }

    /// A new anonymous session; returns the cookie value and the session's view.
    pub fn create(&self, now: i64) -> (String, SessionView) {
        self.insert(None, now)
    }

    /// Logs `user` in: the old session ends and a new one, with a new id, takes its place.
    pub fn login(&self, old_cookie: &str, user: &str, now: i64) -> (String, SessionView) {
        self.lock().remove(&Digest::of(old_cookie));
        self.insert(Some(user.to_owned()), now)
    }

    fn insert(&self, user: Option<String>, now: i64) -> (String, SessionView) {
        let cookie = random_value();
        let session = Session {
            user,
            csrf: random_value(),
            pending: HashMap::new(),
            last_seen: now,
        };
        let view = SessionView {
            user: session.user.clone(),
            csrf: session.csrf.clone(),
        };
        let mut table = self.lock();
        if table.len() >= MAX_SESSIONS {
            table.retain(|_, s| now - s.last_seen <= IDLE_SECONDS);
            if table.len() >= MAX_SESSIONS {
                // Every session is fresh: drop the stalest tenth rather than grow without bound.
                let mut ages: Vec<i64> = table.values().map(|s| s.last_seen).collect();
                ages.sort_unstable();
                let cutoff = ages[ages.len() / 10];
                table.retain(|_, s| s.last_seen > cutoff);
            }
        }
        table.insert(Digest::of(&cookie), session);
        (cookie, view)
    }

    /// Parks a validated request for the consent page; returns its ticket.
    pub fn add_pending(&self, cookie: &str, pending: Pending) -> Option<String> {
        let mut table = self.lock();
        let session = table.get_mut(&Digest::of(cookie))?;
        if session.pending.len() >= MAX_PENDING_PER_SESSION {
            session.pending.clear();
        }
        let ticket = random_value();
        session.pending.insert(ticket.clone(), pending);
        Some(ticket)
    }

    /// Takes a parked request: a ticket answers once.
    pub fn take_pending(&self, cookie: &str, ticket: &str) -> Option<Pending> {
        self.lock()
            .get_mut(&Digest::of(cookie))?
            .pending
            .remove(ticket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> Pending {
        Pending {
            client_id: "c".into(),
            client_row_id: 1,
            target: "https://m.example/cb".into(),
            redirect_uri_param: None,
            state: None,
            scope: Default::default(),
            challenge: None,
        }
    }

    #[test]
    fn login_replaces_the_session_id() {
        let sessions = Sessions::default();
        let (anonymous, view) = sessions.create(0);
        assert_eq!(view.user, None);
        let (logged_in, view) = sessions.login(&anonymous, "test-user", 1);
        assert_eq!(view.user.as_deref(), Some("test-user"));
        assert!(
            sessions.get(&anonymous, 2).is_none(),
            "the planted id is dead"
        );
        assert!(sessions.get(&logged_in, 2).is_some());
    }

    #[test]
    fn tickets_answer_once_and_only_in_their_session() {
        let sessions = Sessions::default();
        let (mine, _) = sessions.create(0);
        let (other, _) = sessions.create(0);
        let ticket = sessions.add_pending(&mine, pending()).unwrap();
        assert!(sessions.take_pending(&other, &ticket).is_none());
        assert!(sessions.take_pending(&mine, &ticket).is_some());
        assert!(sessions.take_pending(&mine, &ticket).is_none());
    }

    #[test]
    fn idle_sessions_expire() {
        let sessions = Sessions::default();
        let (cookie, _) = sessions.create(0);
        assert!(sessions.get(&cookie, IDLE_SECONDS).is_some());
        assert!(sessions.get(&cookie, 2 * IDLE_SECONDS + 1).is_none());
    }
}
