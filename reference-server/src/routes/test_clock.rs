//! `/test/clock`, mounted only with `--test-clock`: read, set, advance and release the one
//! clock every expiry reads. Changing it needs the admin change permission.
//!
//! - `GET /test/clock` → `{"now": RFC 3339, "unix": seconds, "unix_millis": ms, "frozen": bool}`
//! - `PUT /test/clock` with `{"now": "2030-06-15T23:59:59Z"}` or `{"unix": 1907798399}` sets and freezes it
//! - `POST /test/clock/advance` with `{"seconds": 61}` or `{"millis": 500}` moves it forward (or back)
//! - `DELETE /test/clock` returns to real time

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::admin::{AdminCaller, AdminError, json_body};
use crate::client::AdminAccess;
use crate::clock::TestClock;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetClock {
    now: Option<String>,
    unix: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: Option<i64>,
    millis: Option<i64>,
}

fn clock(state: &AppState) -> Result<&TestClock, AdminError> {
    state.clock.as_test().ok_or(AdminError::NotFound)
}

fn reading(state: &AppState) -> Result<Response, AdminError> {
    let test = clock(state)?;
    let now = state.clock.now();
    Ok(Json(json!({
        "now": now.format(&Rfc3339).unwrap_or_default(),
        "unix": state.clock.now_unix(),
        "unix_millis": state.clock.now_millis(),
        "frozen": test.is_frozen(),
    }))
    .into_response())
}

pub(crate) async fn get(
    State(state): State<AppState>,
    caller: AdminCaller,
) -> Result<Response, AdminError> {
    caller.require(AdminAccess::Read)?;
    reading(&state)
}

pub(crate) async fn set(
    State(state): State<AppState>,
    caller: AdminCaller,
    body: axum::body::Body,
) -> Result<Response, AdminError> {
    caller.require(AdminAccess::Change)?;
    let request: SetClock = json_body(body).await?;
    let millis = match (request.now, request.unix) {
        (Some(text), None) => {
            let at = OffsetDateTime::parse(&text, &Rfc3339)
                .map_err(|_| AdminError::invalid("now", "an RFC 3339 instant"))?;
            i64::try_from(at.unix_timestamp_nanos() / 1_000_000)
                .map_err(|_| AdminError::invalid("now", "out of range"))?
        }
        (None, Some(unix)) => unix
            .checked_mul(1000)
            .ok_or_else(|| AdminError::invalid("unix", "out of range"))?,
        _ => {
            return Err(AdminError::invalid(
                "now",
                "give exactly one of now and unix",
            ));
        }
    };
    clock(&state)?.set_millis(millis);
    reading(&state)
}

pub(crate) async fn advance(
    State(state): State<AppState>,
    caller: AdminCaller,
    body: axum::body::Body,
) -> Result<Response, AdminError> {
    caller.require(AdminAccess::Change)?;
    let request: Advance = json_body(body).await?;
    let millis = match (request.seconds, request.millis) {
        (Some(seconds), None) => seconds
            .checked_mul(1000)
            .ok_or_else(|| AdminError::invalid("seconds", "out of range"))?,
        (None, Some(millis)) => millis,
        _ => {
            return Err(AdminError::invalid(
                "seconds",
                "give exactly one of seconds and millis",
            ));
        }
    };
    clock(&state)?.advance_millis(millis);
    reading(&state)
}

pub(crate) async fn reset(
    State(state): State<AppState>,
    caller: AdminCaller,
) -> Result<Response, AdminError> {
    caller.require(AdminAccess::Change)?;
    clock(&state)?.reset();
    Ok(StatusCode::NO_CONTENT.into_response())
}
