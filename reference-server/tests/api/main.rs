//! One integration-test binary: every module drives a real server over HTTP on a loopback
//! port, with a real SQLite file. Test names carry the requirement row they prove.

// Items are `pub` for sibling modules; nothing leaves this binary.
#![allow(unreachable_pub)]
// Test code: a failed step should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod helpers;

mod admin;
mod admin_expiry;
mod admin_fields;
mod admin_lifecycle;
mod admin_redirects;
mod admin_roles;
mod authorize;
mod bearer;
mod check_token;
mod code_exchange;
mod code_flow;
mod expiry;
mod introspect;
mod ip_whitelist;
mod metadata;
mod persistence;
mod pkce;
mod redirects;
mod refresh;
mod revoke;
mod test_clock;
mod token;
mod walkthrough;
