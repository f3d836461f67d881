//! Defects of the authorization endpoint and its pages, the code exchange, PKCE, refresh
//! tokens and the security BCP.
//!
//! Most are a layer around the router ([`pages`], [`request`], [`token`]); codes and refresh
//! tokens that are kept, raced or rotated wrongly are a store wrapper ([`store`]); decisions
//! inside the grants that no request edit can reach are a policy ([`policy`]).

mod http;
mod pages;
mod policy;
mod request;
mod store;
mod token;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use reference_server::config::Config;
use reference_server::secret::Digest;
use reference_server::state::AppState;
use reference_server::store::CodeRecord;
use reference_server::wiring::Wiring;

use crate::Defect;

/// The wiring for `defect` if it is one of this module's, else `None`.
pub(crate) fn wire(defect: Defect, config: &mut Config) -> Option<Wiring> {
    use Defect::*;
    let memory = Arc::new(Memory {
        empty_state: format!("empty-{}", reference_server::secret::random_value()),
        ..Memory::default()
    });
    let wiring = match defect {
        CodeLivesTooLong => {
            // Fifteen minutes, beyond RFC 6749 §4.1.2's ten.
            config.code_lifetime = 900;
            Wiring::default()
        }
        CodeGrantUnchecked
        | StrictPkceOptional
        | PkceChallengeLengthUnchecked
        | CodeUnbound
        | PkceVerifierOptional
        | PkceDowngradeAccepted
        | PkceUnverified
        | RefreshTokenUnbound
        | RefreshScopeWidened => policy::wire(defect),
        CodeReusable
        | CodeRedeemRace
        | CodeReplayKeepsTokens
        | RefreshAccessUnstored
        | RefreshRaceIgnored
        | RefreshReplayIgnored
        | RefreshExpiryInherited
        | RefreshNarrowsGrant => store::wire(defect, memory),
        // The layer reads what the store wrapper remembers of each code.
        CodeRedirectQueryIgnored => {
            store::wire(defect, memory.clone()).wrap_app(layer(defect, memory))
        }
        ConsentRedirect307
        | StateTrimmed
        | RedirectQueryDropped
        | RepeatedScopeAccepted
        | RepeatedRedirectUriAccepted
        | EmptyStateEchoed
        | UnknownParameterRefused
        | ErrorBeforeLogin
        | MissingClientPage200
        | ErrorPageWithoutCharset
        | DenialWrongError
        | MissingResponseTypeDropsState
        | InvalidScopeAsInvalidRequest
        | CodeScopeOmitted
        | PkceVerifierTildeRefused
        | PkceMethodDefaultsToS256
        | PkceUnknownMethodAsPlain
        | RefreshMissingTokenInvalidGrant
        | ImplicitAdvertised
        | PasswordGrantAdvertised
        | PagesFramable
        | PagesLeakReferrer
        | BackofficeFramable
        | BackofficeLeaksReferrer
        | AuthorizeCors
        | Login307
        | MetadataHttpUri
        | ConsentCsrfUnchecked
        | StateDecodedTwice
        | ShortCodes
        | WalletBareSubject => Wiring::default().wrap_app(layer(defect, memory)),
        _ => return None,
    };
    Some(wiring)
}

/// What a defect remembers across requests, per server instance.
#[derive(Debug, Default)]
pub(super) struct Memory {
    /// Codes the server stored, by digest, and whether they were redeemed.
    codes: Mutex<HashMap<Digest, (CodeRecord, bool)>>,
    /// Short codes handed out, and the code the server stored for each.
    short_codes: Mutex<HashMap<String, String>>,
    /// Stands for an empty `state` while the server holds the request.
    empty_state: String,
}

impl Memory {
    fn codes(&self) -> MutexGuard<'_, HashMap<Digest, (CodeRecord, bool)>> {
        self.codes.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn short_codes(&self) -> MutexGuard<'_, HashMap<String, String>> {
        self.short_codes.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What the layer of one defect works with.
#[derive(Debug, Clone)]
struct Ctx {
    defect: Defect,
    state: AppState,
    memory: Arc<Memory>,
}

fn layer(
    defect: Defect,
    memory: Arc<Memory>,
) -> impl FnOnce(axum::Router, &AppState) -> axum::Router + Send + 'static {
    move |router, state| {
        let ctx = Ctx {
            defect,
            state: state.clone(),
            memory,
        };
        router.layer(axum::middleware::from_fn_with_state(ctx, rewrite))
    }
}

async fn rewrite(State(ctx): State<Ctx>, request: Request, next: Next) -> Response {
    use Defect::*;
    match ctx.defect {
        ImplicitAdvertised | PasswordGrantAdvertised | MetadataHttpUri => {
            pages::metadata(&ctx, request, next).await
        }
        PagesFramable
        | PagesLeakReferrer
        | BackofficeFramable
        | BackofficeLeaksReferrer
        | AuthorizeCors
        | ErrorPageWithoutCharset => pages::headers(&ctx, request, next).await,
        Login307 | ConsentRedirect307 => pages::replayed(&ctx, request, next).await,
        WalletBareSubject => token::bare_wallet_subject(&ctx, request, next).await,
        CodeScopeOmitted
        | RefreshMissingTokenInvalidGrant
        | PkceVerifierTildeRefused
        | CodeRedirectQueryIgnored => token::rewrite(&ctx, request, next).await,
        ShortCodes => match request.uri().path() {
            "/oauth/token" => token::rewrite(&ctx, request, next).await,
            _ => request::rewrite(&ctx, request, next).await,
        },
        _ => request::rewrite(&ctx, request, next).await,
    }
}
