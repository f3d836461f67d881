//! Input, generated: `state` values that must come back byte for byte (AUTHZ-REQ-02), values
//! the server might echo into error text, which must stay in the permitted ASCII
//! (TOKEN-ERR-01), and malformed forms and headers at every endpoint, which must never get a
//! 5xx or a token (TOKEN-ERR-02).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::support::{
    CC, CodeRequest, TOKEN_ERRORS, cc_body, is_error_text, join, redeem, refresh,
};
use super::vredir::unjudged;
use crate::check;
use crate::ctx::{ClientCreds, Ctx, basic, form_pair};
use crate::http::Reply;
use crate::model::{Check, CheckResult, Deviations, Outcome, deviate, fail};
use crate::property;
use crate::ua::{Decision, Landing, UserAgent};

pub(super) fn checks() -> Vec<Check> {
    vec![
        check!(
            "prop-input-01",
            ["AUTHZ-REQ-02"],
            [(
                Required,
                "RFC 6749 §4.1.2",
                "state REQUIRED if the \"state\" parameter was present in the client authorization request. The exact value received from the client."
            )],
            Both,
            [Ua],
            "property: generated state values (spaces, & + = % #, non-ASCII) come back byte for \
             byte on approval and on denial",
            prop_input_01
        ),
        check!(
            "prop-input-02",
            ["TOKEN-ERR-01"],
            [
                (
                    MustNot,
                    "RFC 6749 §5.2",
                    "Values for the \"error_description\" parameter MUST NOT include characters outside the set %x20-21 / %x23-5B / %x5D-7E."
                ),
                (
                    Required,
                    "RFC 6749 §5.2",
                    "error REQUIRED. A single ASCII [USASCII] error code from the following:"
                )
            ],
            Both,
            [],
            "property: whatever characters a token request carries in any parameter, its error \
             is a registered code with text in the permitted printable ASCII",
            prop_input_02
        ),
        check!(
            "prop-input-03",
            ["TOKEN-ERR-02"],
            [
                (
                    Must,
                    "RFC 6749 §4.4.2",
                    "The authorization server MUST authenticate the client."
                ),
                (
                    Decision,
                    "AMB-30",
                    "the reference uses `invalid_request` for missing or malformed parameters and `invalid_grant` for code-binding failures."
                )
            ],
            Both,
            [],
            "property: malformed forms and headers at every endpoint never get a 5xx, a dropped \
             connection or a token",
            prop_input_03
        ),
    ]
}

const STATE_CASES: usize = 24;
const ERROR_TEXT_CASES: usize = 48;
const MALFORMED_CASES: usize = 64;

// ---- AUTHZ-REQ-02 ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StateCase {
    state: String,
    deny: bool,
}

/// What a careless server mangles in `state`: separators, escapes, `+`, non-ASCII.
const STATE_PIECES: &[&str] = &[
    " ", "&", "+", "=", "%", "#", "%41", "%zz", "&state=x", "ä", "€", "😀", "日本", "\u{a0}",
];

fn state_case() -> impl Strategy<Value = StateCase, Tree: Send> {
    (
        vec(
            prop_oneof![
                3 => (0x20u8..=0x7e).prop_map(|b| char::from(b).to_string()),
                2 => select(STATE_PIECES).prop_map(str::to_owned),
            ],
            1..=8,
        ),
        any::<bool>(),
    )
        .prop_map(|(state, deny)| StateCase {
            state: state.concat(),
            deny,
        })
}

/// Inside RFC 6749 App. A.5's `state = 1*VSCHAR` (%x20-7E)? Outside it, the client broke
/// the syntax, and a server that refuses or re-encodes the value only deviates.
fn vschar(state: &str) -> bool {
    state.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

async fn state_round_trip(
    ctx: Ctx,
    ua: UserAgent,
    client: ClientCreds,
    case: StateCase,
) -> CheckResult {
    let query = CodeRequest::of(&client)
        .scope(client.scope.as_deref())
        .state(&case.state)
        .query();
    let decision = if case.deny {
        Decision::Deny
    } else {
        Decision::Approve
    };
    let landing = match ua.authorize_deciding(&query, decision).await {
        // A server that consents by itself leaves nothing to deny: its approval carries the
        // state as well.
        Err(Outcome::Skip { .. }) if case.deny => ua.authorize(&query).await?,
        other => other?,
    };
    unjudged(&landing)?;
    let expected = format!("state {:?} back in the redirect", case.state);
    let wrong = |actual: String| {
        if vschar(&case.state) {
            fail(&expected, actual)
        } else {
            deviate(&expected, actual)
        }
    };
    let location = match &landing {
        Landing::Redirect(location) => location,
        Landing::Page { status, .. } => {
            return Err(wrong(format!("the server's own page ({status})")));
        }
    };
    let back = landing.param("state");
    if back.as_deref() == Some(case.state.as_str()) {
        return Ok(());
    }
    Err(wrong(format!(
        "{back:?} in {}",
        ctx.run.redactor.url(location)
    )))
}

async fn prop_input_01(ctx: Ctx) -> CheckResult {
    let client = ctx.code_client().await?;
    let ua = UserAgent::new(&ctx);
    let deviations = Deviations::default();
    property::check(
        &ctx,
        "prop-input-01",
        STATE_CASES,
        state_case(),
        |case: &StateCase| {
            format!(
                "state {:?}, consent {}",
                case.state,
                if case.deny { "denied" } else { "approved" }
            )
        },
        |case| {
            let (ctx, ua, client, deviations) =
                (ctx.clone(), ua.clone(), client.clone(), deviations.clone());
            async move { deviations.keep(state_round_trip(ctx, ua, client, case).await) }
        },
    )
    .await?;
    deviations.end()
}

// ---- TOKEN-ERR-01 ---------------------------------------------------------------------------

/// Where a generated value goes in a token request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Position {
    Scope,
    GrantType,
    BasicUser,
    BodyClientId,
    Code,
    RefreshToken,
    RedirectUri,
    CodeVerifier,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ErrorTextCase {
    position: Position,
    value: String,
}

fn error_text_case() -> impl Strategy<Value = ErrorTextCase, Tree: Send> {
    let position = select(
        &[
            Position::Scope,
            Position::GrantType,
            Position::BasicUser,
            Position::BodyClientId,
            Position::Code,
            Position::RefreshToken,
            Position::RedirectUri,
            Position::CodeVerifier,
        ][..],
    );
    let noise = || {
        vec((0x21u8..=0x7e).prop_map(char::from), 0..=6)
            .prop_map(|chars| chars.into_iter().collect::<String>())
    };
    let nasty = select(
        &[
            "\"", "\\", "é", "\u{7f}", "\u{2028}", "😀", "\t", "<&>", "\n",
        ][..],
    );
    (position, noise(), nasty, noise()).prop_map(|(position, head, nasty, tail)| ErrorTextCase {
        position,
        value: format!("{head}{nasty}{tail}"),
    })
}

fn has_token(reply: &Reply) -> bool {
    serde_json::from_str::<Value>(&reply.body)
        .is_ok_and(|v| v.get("access_token").is_some() || v.get("refresh_token").is_some())
}

/// What is wrong with an error answer by §5.2: `Err` for what it requires (a token, no JSON
/// `error` from the list, characters outside the permitted set), `Ok(Some(..))` for its status
/// and media type, which it states without a keyword.
fn error_shape(reply: &Reply) -> Result<Option<String>, String> {
    if has_token(reply) {
        return Err("a token in an error answer".into());
    }
    let body: Value = serde_json::from_str(&reply.body)
        .map_err(|_| "a body that is not JSON, so no `error` (REQUIRED)")?;
    let error = body
        .get("error")
        .and_then(Value::as_str)
        .ok_or("no string `error` (REQUIRED)")?;
    if !is_error_text(error) {
        return Err(format!("`error` {error:?} outside the permitted ASCII"));
    }
    if !TOKEN_ERRORS.contains(&error) {
        return Err(format!("the unregistered error {error:?}"));
    }
    match body.get("error_description") {
        None => {}
        Some(Value::String(text)) if is_error_text(text) => {}
        Some(other) => {
            return Err(format!(
                "`error_description` {other} outside the permitted ASCII"
            ));
        }
    }
    let json = reply
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json"));
    if !json {
        return Ok(Some("a Content-Type other than application/json".into()));
    }
    // A brute-force throttle (TOKEN-AUTH-08) may answer 429 to repeated failures.
    let statuses: &[u16] = match error {
        "invalid_client" => &[400, 401, 429],
        _ => &[400, 429],
    };
    if !statuses.contains(&reply.status) {
        return Ok(Some(format!("status {} with {error}", reply.status)));
    }
    Ok(None)
}

async fn error_text(
    ctx: Ctx,
    cc: ClientCreds,
    code: ClientCreds,
    case: ErrorTextCase,
) -> CheckResult {
    let value = case.value.as_str();
    let redirect = form_pair("redirect_uri", code.redirect());
    let reply = match case.position {
        Position::Scope => {
            ctx.token(&cc, &format!("{CC}&{}", form_pair("scope", value)))
                .await?
        }
        Position::GrantType => ctx.token(&cc, &form_pair("grant_type", value)).await?,
        Position::BasicUser => {
            let url = ctx.endpoint("token")?;
            let credentials = STANDARD.encode(format!("{}:x", crate::ctx::form_encode(value)));
            ctx.send(
                ctx.post_form(&url, &cc_body(&cc))
                    .header("authorization", format!("Basic {credentials}")),
            )
            .await?
        }
        Position::BodyClientId => {
            let url = ctx.endpoint("token")?;
            let body = format!(
                "{}&{}&client_secret=x",
                cc_body(&cc),
                form_pair("client_id", value)
            );
            ctx.send(ctx.post_form(&url, &body)).await?
        }
        Position::Code => redeem(&ctx, &code, value, &redirect).await?,
        Position::RefreshToken => refresh(&ctx, &code, value, "").await?,
        Position::RedirectUri => {
            let redirect = form_pair("redirect_uri", value);
            redeem(&ctx, &code, "prop-no-such-code", &redirect).await?
        }
        Position::CodeVerifier => {
            let verifier = join(&[&redirect, &form_pair("code_verifier", value)]);
            redeem(&ctx, &code, "prop-no-such-code", &verifier).await?
        }
    };
    // A server may drop a scope value it does not know instead of failing (TOKEN-RESP-03).
    if case.position == Position::Scope && reply.status == 200 {
        return Ok(());
    }
    let expected = format!(
        "{:?} = {value:?}: an RFC 6749 §5.2 error in printable ASCII",
        case.position
    );
    match error_shape(&reply) {
        Ok(None) => Ok(()),
        Ok(Some(deviation)) => Err(deviate(expected, deviation)),
        Err(wrong) => Err(fail(expected, wrong)),
    }
}

async fn prop_input_02(ctx: Ctx) -> CheckResult {
    let cc = ctx.cc_client().await?;
    let code = ctx.code_client().await?;
    let deviations = Deviations::default();
    property::check(
        &ctx,
        "prop-input-02",
        ERROR_TEXT_CASES,
        error_text_case(),
        |case: &ErrorTextCase| format!("{:?} = {:?}", case.position, case.value),
        |case| {
            let (ctx, cc, code, deviations) =
                (ctx.clone(), cc.clone(), code.clone(), deviations.clone());
            async move { deviations.keep(error_text(ctx, cc, code, case).await) }
        },
    )
    .await?;
    deviations.end()
}

// ---- TOKEN-ERR-02 ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Endpoint {
    Token,
    Introspection,
    Revocation,
    CheckToken,
    Authorization,
}

impl Endpoint {
    fn name(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::Introspection => "introspection",
            Self::Revocation => "revocation",
            Self::CheckToken => "check_token",
            Self::Authorization => "authorization",
        }
    }
}

/// What goes in the `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Auth {
    None,
    /// The client's real credentials, so that parsing goes past authentication.
    Valid,
    Raw(&'static str),
    /// `Basic` over these raw bytes.
    RawBasic(&'static [u8]),
}

/// Indices into [`PIECES`], [`CONTENT_TYPES`], [`AUTHS`] and [`EXTRA_HEADERS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct MalformedCase {
    endpoint: Endpoint,
    pieces: Vec<usize>,
    content_type: Option<usize>,
    auth: usize,
    extra: Option<usize>,
}

/// Form fragments, well-formed and not; joined with `&`.
const PIECES: &[&[u8]] = &[
    b"grant_type=client_credentials",
    b"token=prop-not-a-token",
    b"scope=%zz",
    b"%4",
    b"=x",
    b"&&",
    b"a=%C3%28",
    b"\xff\xfe",
    b"x=\0",
    b"%00=%00",
    b"a=b=c",
    b"grant_type=authorization_code&code=&redirect_uri=%",
    b"grant_type=client_credentials&grant_type=refresh_token",
    b"token_type_hint=%FF&token=%",
    b"response_type=code&client_id=%ZZ&redirect_uri=http%3A%2F%2F%5B",
    b"client_id=&client_secret=",
    b"refresh_token=\xc3",
    b"state=%E2%82",
];

/// The [`PIECES`] a correct client may send: a grant, an unknown parameter (ignored), empty
/// pairs, a value holding `=`, and empty values (absent, RFC 6749 §3.2).
const WELL_FORMED: &[usize] = &[0, 1, 5, 10, 15];

const CONTENT_TYPES: &[&[u8]] = &[
    b"application/x-www-form-urlencoded",
    b"application/x-www-form-urlencoded; charset=utf-8",
    b"application/x-www-form-urlencoded; charset=\xff",
    b"text/plain",
    b"application/json",
    b"multipart/form-data",
    b";;",
];

const AUTHS: &[Auth] = &[
    Auth::Valid,
    Auth::None,
    Auth::Raw("Basic"),
    Auth::Raw("Basic !!!"),
    Auth::Raw("Bearer"),
    Auth::Raw("Digest x=y"),
    Auth::Raw("Basic Og=="),
    Auth::RawBasic(b"no-colon"),
    Auth::RawBasic(b"\xff\xfe:\xff"),
    Auth::RawBasic(b"%zz:%zz"),
    Auth::RawBasic(b"a:b:c%"),
];

const EXTRA_HEADERS: &[(&str, &str)] = &[
    ("x-forwarded-for", "not an address, ,"),
    ("forwarded", "for=;;by"),
    ("x-real-ip", "::::"),
    ("cookie", "session=%zz; ="),
    ("accept", "*/*;q=x"),
    ("content-encoding", "gzip"),
];

fn malformed_case() -> impl Strategy<Value = MalformedCase, Tree: Send> {
    (
        select(
            &[
                Endpoint::Token,
                Endpoint::Introspection,
                Endpoint::Revocation,
                Endpoint::CheckToken,
                Endpoint::Authorization,
            ][..],
        ),
        vec(0..PIECES.len(), 0..=4),
        prop::option::weighted(0.8, 0..CONTENT_TYPES.len()),
        0..AUTHS.len(),
        prop::option::weighted(0.3, 0..EXTRA_HEADERS.len()),
    )
        .prop_map(
            |(endpoint, pieces, content_type, auth, extra)| MalformedCase {
                endpoint,
                pieces,
                content_type,
                auth,
                extra,
            },
        )
}

impl MalformedCase {
    fn body(&self) -> Vec<u8> {
        let pieces: Vec<&[u8]> = self
            .pieces
            .iter()
            .map(|i| PIECES[i % PIECES.len()])
            .collect();
        pieces.join(&b'&')
    }

    fn content_type(&self) -> Option<&'static [u8]> {
        self.content_type
            .map(|i| CONTENT_TYPES[i % CONTENT_TYPES.len()])
    }

    fn auth(&self) -> Auth {
        AUTHS[self.auth % AUTHS.len()]
    }

    fn extra(&self) -> Option<(&'static str, &'static str)> {
        self.extra.map(|i| EXTRA_HEADERS[i % EXTRA_HEADERS.len()])
    }

    /// Not a request a correct client would send: a piece [`WELL_FORMED`] does not list, a
    /// `grant_type` twice (RFC 6749 §3.2), a body that is not declared a form, or one declared
    /// compressed that is not.
    fn malformed(&self) -> bool {
        let pieces: Vec<usize> = self.pieces.iter().map(|i| i % PIECES.len()).collect();
        let well_formed = pieces.iter().all(|i| WELL_FORMED.contains(i));
        let grants = pieces.iter().filter(|i| **i == 0).count();
        let form = matches!(
            self.content_type.map(|i| i % CONTENT_TYPES.len()),
            Some(0 | 1)
        );
        let compressed = self
            .extra()
            .is_some_and(|(name, _)| name == "content-encoding");
        !(well_formed && grants <= 1 && form) || compressed
    }

    fn describe(&self) -> String {
        format!(
            "{} with body {:?}, Content-Type {:?}, Authorization {:?}, extra header {:?}",
            self.endpoint.name(),
            String::from_utf8_lossy(&self.body()),
            self.content_type().map(String::from_utf8_lossy),
            self.auth(),
            self.extra()
        )
    }
}

/// Query bytes as they are, except what a URL cannot carry raw.
fn raw_query(bytes: &[u8]) -> String {
    const UNSAFE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'#')
        .add(b'"')
        .add(b'<')
        .add(b'>');
    percent_encoding::percent_encode(bytes, UNSAFE).to_string()
}

async fn never_5xx(ctx: Ctx, client: ClientCreds, case: MalformedCase) -> CheckResult {
    let url = match ctx.endpoint(case.endpoint.name()) {
        Ok(url) => url,
        // check_token is the vendor profile's only.
        Err(Outcome::Skip { .. }) => return Ok(()),
        Err(other) => return Err(other),
    };
    let body = case.body();
    let mut request = if case.endpoint == Endpoint::Authorization {
        ctx.http().get(format!("{url}?{}", raw_query(&body)))
    } else {
        let mut request = ctx.http().post(url).body(body);
        if let Some(content_type) = case.content_type() {
            request = request.header("content-type", content_type);
        }
        request
    };
    request = match case.auth() {
        Auth::None => request,
        Auth::Valid => basic(request, &client),
        Auth::Raw(value) => request.header("authorization", value),
        Auth::RawBasic(bytes) => {
            request.header("authorization", format!("Basic {}", STANDARD.encode(bytes)))
        }
    };
    if let Some((name, value)) = case.extra() {
        request = request.header(name, value);
    }
    // A 5xx or a dropped connection fails right here (the harness judges every 5xx).
    let reply = ctx.send(request).await?;
    if case.endpoint != Endpoint::Token || !has_token(&reply) {
        return Ok(());
    }
    let expected = format!("{}: a 4xx, never a token", case.endpoint.name());
    if case.auth() != Auth::Valid {
        // A token without valid client authentication.
        return Err(fail(expected, reply.summary()));
    }
    if case.malformed() {
        // The client's own credentials, with what a correct request would get: tolerance.
        return Err(deviate(expected, reply.summary()));
    }
    Ok(())
}

async fn prop_input_03(ctx: Ctx) -> CheckResult {
    let client = ctx.cc_client().await?;
    let deviations = Deviations::default();
    property::check(
        &ctx,
        "prop-input-03",
        MALFORMED_CASES,
        malformed_case(),
        MalformedCase::describe,
        |case| {
            let (ctx, client, deviations) = (ctx.clone(), client.clone(), deviations.clone());
            async move { deviations.keep(never_5xx(ctx, client, case).await) }
        },
    )
    .await?;
    deviations.end()
}
