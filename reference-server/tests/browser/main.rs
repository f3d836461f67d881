//! The back office in a real headless Chromium, driven over WebDriver (issue 18; seeds 000,
//! 001, 002). Each test starts the reference server on a loopback port, a chromedriver and a
//! fresh browser profile, follows one sentence of the seeds in the browser, and writes a
//! screenshot of the screen it checks to `reports/backoffice/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/install-chromium` installs them).
//! Without them these tests fail, naming the script; `BACKOFFICE_BROWSER_TESTS=skip` skips them.

// Items are `pub` for sibling modules; nothing leaves this binary.
#![allow(unreachable_pub)]
// Test code: a failed step should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// The API tests' server and admin-API helpers, shared rather than copied.
#[path = "../api/helpers.rs"]
mod helpers;

mod admin_clients;
mod api_access;
mod browser;
mod sign_in;
