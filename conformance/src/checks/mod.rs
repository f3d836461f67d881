//! The check catalog: one module per group of requirements.md, in the catalog's order, and
//! `support`, the steps and verdicts the groups share.

use crate::model::Check;

mod admin;
mod authz_err;
mod authz_redir;
mod authz_req;
mod bearer;
mod check_token;
mod elsewhere;
mod exp;
mod introspect;
mod ip;
mod meta;
mod pkce;
mod prop_expiry;
mod prop_input;
mod prop_ip;
mod prop_redirect;
mod races;
mod revoke;
mod role;
mod sec_bcp;
mod support;
mod token_auth;
mod token_cc;
mod token_code;
mod token_err;
mod token_req;
mod token_resp;
mod token_rt;
mod vredir;

pub use elsewhere::CHECKED_ELSEWHERE;

/// Every check, in catalog order.
pub fn catalog() -> Vec<Check> {
    let mut all = Vec::new();
    all.extend(token_req::checks());
    all.extend(token_auth::checks());
    all.extend(token_resp::checks());
    all.extend(token_err::checks());
    all.extend(token_cc::checks());
    all.extend(ip::checks());
    all.extend(introspect::checks());
    all.extend(check_token::checks());
    all.extend(revoke::checks());
    all.extend(meta::checks());
    all.extend(bearer::checks());
    all.extend(exp::checks());
    all.extend(role::checks());
    all.extend(authz_req::checks());
    all.extend(authz_redir::checks());
    all.extend(authz_err::checks());
    all.extend(token_code::checks());
    all.extend(pkce::checks());
    all.extend(token_rt::checks());
    all.extend(admin::checks());
    all.extend(vredir::checks());
    all.extend(sec_bcp::checks());
    all.extend(races::checks());
    all.extend(prop_redirect::checks());
    all.extend(prop_ip::checks());
    all.extend(prop_expiry::checks());
    all.extend(prop_input::checks());
    all
}
