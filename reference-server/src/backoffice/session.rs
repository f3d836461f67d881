//! Back-office sessions: who is signed in, the anti-forgery value of their forms, and a secret
//! waiting to be shown once.
//!
//! Apart from the end users' sessions ([`crate::session`]): another cookie, another path and
//! `SameSite=Strict`, since nothing outside the back office ever links into it with a session.
//! Idle time is measured on the wall clock, not the test clock, so that moving the test clock a
//! year ahead (to expire a client) does not sign the user out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use cookie::{Cookie, SameSite};

use crate::secret::{ClientSecret, Digest, random_value};

pub(super) const COOKIE: &str = "backoffice_session";
pub(super) const PATH: &str = "/backoffice";
const IDLE_SECONDS: u64 = 30 * 60;
const MAX_SESSIONS: usize = 10_000;

/// A new secret, kept until the page that shows it is drawn once.
#[derive(Debug)]
struct Flash {
    client_id: String,
    secret: ClientSecret,
}

struct Session {
    user: Option<String>,
    csrf: String,
    flash: Option<Flash>,
    last_seen: u64,
}

/// What a handler learns about the request's session.
#[derive(Clone)]
pub(crate) struct SessionView {
    pub(crate) user: Option<String>,
    pub(crate) csrf: String,
}

impl std::fmt::Debug for SessionView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionView")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
pub(crate) struct Sessions {
    table: Mutex<HashMap<Digest, Session>>,
}

impl std::fmt::Debug for Sessions {
    // Anti-forgery values are credentials: only the count is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("count", &self.lock().len())
            .finish_non_exhaustive()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Digest, Session>> {
        self.table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The live session behind a cookie value, refreshed.
    pub(crate) fn get(&self, cookie: &str) -> Option<SessionView> {
        let now = now();
        let mut table = self.lock();
        let key = Digest::of(cookie);
        let session = table.get_mut(&key)?;
        if now.saturating_sub(session.last_seen) > IDLE_SECONDS {
            table.remove(&key);
            return None;
        }
        session.last_seen = now;
        Some(SessionView {
            user: session.user.clone(),
            csrf: session.csrf.clone(),
        })
    }

    /// A new anonymous session: the cookie value and its view.
    pub(crate) fn create(&self) -> (String, SessionView) {
        self.insert(None)
    }

    /// Signs `user` in under a new id; the old session ends (session fixation).
    pub(crate) fn login(&self, old_cookie: &str, user: &str) -> (String, SessionView) {
        self.lock().remove(&Digest::of(old_cookie));
        self.insert(Some(user.to_owned()))
    }

    pub(crate) fn logout(&self, cookie: &str) {
        self.lock().remove(&Digest::of(cookie));
    }

    fn insert(&self, user: Option<String>) -> (String, SessionView) {
        let now = now();
        let cookie = random_value();
        let session = Session {
            user,
            csrf: random_value(),
            flash: None,
            last_seen: now,
        };
        let view = SessionView {
            user: session.user.clone(),
            csrf: session.csrf.clone(),
        };
        let mut table = self.lock();
        if table.len() >= MAX_SESSIONS {
            table.retain(|_, s| now.saturating_sub(s.last_seen) <= IDLE_SECONDS);
            if table.len() >= MAX_SESSIONS {
                table.clear();
            }
        }
        table.insert(Digest::of(&cookie), session);
        (cookie, view)
    }

    /// Keeps a new secret of `client_id` for the next page that shows that client.
    pub(crate) fn set_flash(&self, cookie: &str, client_id: &str, secret: ClientSecret) {
        if let Some(session) = self.lock().get_mut(&Digest::of(cookie)) {
            session.flash = Some(Flash {
                client_id: client_id.to_owned(),
                secret,
            });
        }
    }

    /// The waiting secret, once, if `wanted` accepts its client id: a reload finds nothing.
    pub(crate) fn take_flash(
        &self,
        cookie: &str,
        wanted: impl Fn(&str) -> bool,
    ) -> Option<(String, ClientSecret)> {
        let mut table = self.lock();
        let session = table.get_mut(&Digest::of(cookie))?;
        let matches = session
            .flash
            .as_ref()
            .is_some_and(|flash| wanted(&flash.client_id));
        if !matches {
            return None;
        }
        session
            .flash
            .take()
            .map(|flash| (flash.client_id, flash.secret))
    }
}

/// The back-office session id the browser sent, if any.
pub(super) fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == COOKIE)
        .map(|cookie| cookie.value().to_owned())
}

/// `response` setting the session cookie: `HttpOnly`, `SameSite=Strict`, `Path=/backoffice`,
/// `Secure` when the issuer is https. An empty value with `Max-Age=0` ends it.
pub(super) fn with_cookie(mut response: Response, issuer: &str, value: &str) -> Response {
    let mut cookie = Cookie::build((COOKIE, value))
        .path(PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(issuer.starts_with("https://"))
        .build();
    if value.is_empty() {
        cookie.set_max_age(cookie::time::Duration::ZERO);
    }
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_taken_once_and_only_for_its_client() {
        let sessions = Sessions::default();
        let (anonymous, _) = sessions.create();
        let (cookie, view) = sessions.login(&anonymous, "backoffice-admin");
        assert!(sessions.get(&anonymous).is_none(), "the planted id is dead");
        assert_eq!(view.user.as_deref(), Some("backoffice-admin"));
        sessions.set_flash(&cookie, "c1", ClientSecret::new("s3cret".into()));
        assert!(sessions.take_flash(&cookie, |id| id == "c2").is_none());
        let (id, secret) = sessions.take_flash(&cookie, |id| id == "c1").unwrap();
        assert_eq!((id.as_str(), secret.secret()), ("c1", "s3cret"));
        assert!(sessions.take_flash(&cookie, |_| true).is_none());
        assert!(!format!("{sessions:?}").contains(&view.csrf));
    }

    #[test]
    fn the_cookie_is_strict_http_only_and_scoped_to_the_back_office() {
        let response = with_cookie(Response::default(), "http://127.0.0.1:1", "v");
        let set = response.headers()[header::SET_COOKIE].to_str().unwrap();
        for part in ["HttpOnly", "SameSite=Strict", "Path=/backoffice"] {
            assert!(set.contains(part), "{set}");
        }
        assert!(!set.contains("Secure"));
    }
}
