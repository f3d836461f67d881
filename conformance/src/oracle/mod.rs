//! Oracles for the property checks: what the catalog (requirements.md) says a correct server
//! decides, written from its rows and AMB decisions alone, never from any server's code.
//!
//! - [`redirect`]: redirect URI matching in both profiles (VREDIR-*, AUTHZ-REDIR-*, SEC-BCP-01,
//!   SEC-BCP-02, SEC-BCP-05; AMB-01 to AMB-06);
//! - [`ip`]: IP whitelist membership (IP-*; AMB-07 to AMB-11);
//! - [`expiry`]: client and token expiry instants (EXP-*, INTROSPECT-04, BEARER-03; AMB-12 to
//!   AMB-16).

pub mod expiry;
pub mod ip;
pub mod redirect;
