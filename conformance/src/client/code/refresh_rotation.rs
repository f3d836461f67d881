//! code-refresh-rotation: each access token works for one call, so the client refreshes; the
//! server rotates refresh tokens, and the client always uses the newest (RFC 6749 §6,
//! RFC 9700 §4.14.2): a rotating server never sees a replay.

use crate::client::{Behaviour, ClientTest, Observation, Plan, Setup};
use crate::model::{CheckResult, Citation, Keyword, fail, skip};

pub(super) const TEST: ClientTest = ClientTest {
    id: "code-refresh-rotation",
    plan: Plan::AuthorizationCode,
    citations: &[Citation {
        source: "RFC 6749 §6",
        keyword: Keyword::Must,
        quote: "The authorization server MAY issue a new refresh token, in which case the client MUST discard the old refresh token and replace it with the new refresh token.",
    }],
    title: "The newest refresh token used after every rotation",
    setup: Setup {
        behaviour: Behaviour::TokensExpireAfterOneCall,
        ..Setup::STANDARD
    },
    judge,
};

fn judge(observed: &Observation) -> CheckResult {
    let mut newest: Option<String> = None;
    let mut refreshes = 0;
    for request in observed.token_requests() {
        if request.param("grant_type").as_deref() == Some("refresh_token") {
            refreshes += 1;
            let used = request.param("refresh_token");
            if used != newest {
                return Err(fail(
                    "the refresh token of the latest token response",
                    "an older one (a replay, which revokes the grant)",
                ));
            }
        }
        if request.status == 200
            && let Some(fresh) = request
                .response_json()
                .and_then(|body| body.get("refresh_token")?.as_str().map(str::to_owned))
        {
            newest = Some(fresh);
        }
    }
    // A client that never refreshes breaks no rotation rule: the premise is missing.
    if refreshes == 0 {
        return Err(skip(format!(
            "the client never refreshed its token ({}{}): nothing shows which refresh token it uses",
            observed.exit,
            observed.last_words()
        )));
    }
    observed.completed()
}
