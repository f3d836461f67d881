//! The client_credentials plan (RFC 6749 §4.4): a backend that gets its own token and calls
//! a resource `RESOURCE_CALLS` times. One module per test.

mod basic_encoding;
mod bearer_header;
mod grant_request;
mod invalid_client;
mod no_credentials_in_url;
mod no_leak;
mod retry_after;
mod token_expiry;
mod token_reuse;
mod token_type_case;
mod unknown_members;

use super::ClientTest;

pub const TESTS: &[ClientTest] = &[
    grant_request::TEST,
    basic_encoding::TEST,
    no_credentials_in_url::TEST,
    bearer_header::TEST,
    token_type_case::TEST,
    unknown_members::TEST,
    token_reuse::TEST,
    token_expiry::TEST,
    invalid_client::TEST,
    retry_after::TEST,
    no_leak::TEST,
];

pub use no_leak::{LEAK_CITATION, judge as judge_leak};
