//! One server, one chromedriver and one Chromium per test, and what the tests do in the page.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt as _;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::process::{Child, Command};

use crate::helpers::{TestServer, spawn};

pub const ADMIN: (&str, &str) = ("backoffice-admin", "backoffice-password");
pub const VIEWER: (&str, &str) = ("backoffice-viewer", "viewer-password");
const SKIP_VAR: &str = "BACKOFFICE_BROWSER_TESTS";
const INSTALL_HINT: &str = "chromium and chromedriver are not on the PATH: run .ci/install-chromium (Debian: apt-get install chromium chromium-driver), or set BACKOFFICE_BROWSER_TESTS=skip to skip the browser tests";

/// Chromium's flags for a headless run as root on a machine without a display or network.
const CHROMIUM_ARGS: [&str; 10] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
];

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    })
}

/// A test's server and browser.
pub struct Session {
    pub app: TestServer,
    pub browser: Client,
    driver: Child,
    _profile: TempDir,
}

/// Runs `scenario` in a fresh server and browser, and closes the browser even when it fails.
/// Without Chromium: fails naming the install script, unless `BACKOFFICE_BROWSER_TESTS=skip`.
pub async fn run(scenario: impl AsyncFnOnce(&Session)) {
    let (Some(chromium), Some(chromedriver)) = (on_path("chromium"), on_path("chromedriver"))
    else {
        if std::env::var(SKIP_VAR).is_ok_and(|v| v == "skip") {
            eprintln!("skipped: {INSTALL_HINT}");
            return;
        }
        panic!("{INSTALL_HINT}");
    };
    let session = Session::start(&chromium, &chromedriver).await;
    let outcome = std::panic::AssertUnwindSafe(scenario(&session))
        .catch_unwind()
        .await;
    session.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}

impl Session {
    async fn start(chromium: &Path, chromedriver: &Path) -> Self {
        let app = spawn().await;
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let webdriver = format!("http://127.0.0.1:{port}");
        // Readiness, not timing: chromedriver answers /status once it listens.
        let probe = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..300 {
            if probe
                .get(format!("{webdriver}/status"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "chromedriver did not start listening on {webdriver}");
        let profile = tempfile::tempdir().expect("a browser profile directory");
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let browser = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&webdriver)
            .await
            .expect("a Chromium session");
        Session {
            app,
            browser,
            driver,
            _profile: profile,
        }
    }

    async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.driver.kill().await;
    }

    pub async fn goto(&self, path: &str) {
        self.browser
            .goto(&self.app.url(path))
            .await
            .unwrap_or_else(|e| panic!("opening {path}: {e}"));
    }

    /// The element, waiting for it: after a click that posts a form, the page that answers may
    /// not have replaced the current one yet (a wrong password takes an argon2 run), and the
    /// same heading on both pages says nothing about which one is shown.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        let found = self
            .browser
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => element,
            Err(e) => panic!("{css} on {}: {e}", self.url().await),
        }
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self
            .browser
            .find_all(Locator::Css(css))
            .await
            .expect("find_all")
            .is_empty()
    }

    pub async fn url(&self) -> String {
        self.browser
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("type");
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
    }

    /// Clicks the link or button whose visible text is `text`.
    pub async fn click_text(&self, text: &str) {
        let xpath = format!(
            "//*[(self::a or self::button or self::summary) and normalize-space()='{text}']"
        );
        match self.browser.find(Locator::XPath(&xpath)).await {
            Ok(element) => element.click().await.expect("click"),
            Err(e) => panic!("no `{text}` on {}: {e}", self.url().await),
        }
    }

    /// Waits until the page's main heading reads `title` (the next page has loaded).
    pub async fn wait_for_heading(&self, title: &str) {
        let xpath = format!("//*[self::h1 or self::h2][normalize-space()='{title}']");
        let found = self
            .browser
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::XPath(&xpath))
            .await;
        if let Err(e) = found {
            panic!("heading `{title}` never came on {}: {e}", self.url().await);
        }
    }

    pub async fn checked(&self, css: &str) -> bool {
        self.find(css)
            .await
            .is_selected()
            .await
            .expect("is_selected")
    }

    pub async fn prop(&self, css: &str, name: &str) -> String {
        self.find(css)
            .await
            .prop(name)
            .await
            .expect("prop")
            .unwrap_or_default()
    }

    /// Every visible form control has a `<label>`, and every link or button says what it does
    /// in text or `aria-label` (icon buttons: "Edit", "Delete").
    pub async fn assert_accessible_names(&self) {
        let script = r"
            const unlabelled = [...document.querySelectorAll('input, select, textarea')]
                .filter(e => e.type !== 'hidden' && e.labels.length === 0)
                .map(e => e.outerHTML);
            const unnamed = [...document.querySelectorAll('a, button, summary')]
                .filter(e => !(e.getAttribute('aria-label') || e.textContent.trim()))
                .map(e => e.outerHTML);
            return unlabelled.concat(unnamed);
        ";
        let missing = self
            .browser
            .execute(script, vec![])
            .await
            .expect("the script runs");
        assert_eq!(
            missing,
            json!([]),
            "controls without a name on {}",
            self.url().await
        );
    }

    /// Writes a PNG of the viewport to `reports/backoffice/{name}.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.browser.screenshot().await.expect("a screenshot");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/backoffice");
        std::fs::create_dir_all(&dir).expect("reports/backoffice");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("the screenshot is written");
    }

    pub async fn sign_in(&self, (username, password): (&str, &str)) {
        self.goto("/backoffice/login").await;
        self.fill("#username", username).await;
        self.fill("#password", password).await;
        self.click_text("Sign in").await;
        self.wait_for_heading("Back office").await;
    }

    /// POSTs `body` to `path` as a forged form would, with this browser's session cookie;
    /// `with_csrf` adds the current page's anti-forgery value. The page's CSP lets no script
    /// of the page post (`connect-src` is `'none'`), so the post leaves from the test itself.
    pub async fn forge_post(&self, path: &str, body: &str, with_csrf: bool) -> reqwest::StatusCode {
        let cookie = self
            .browser
            .get_named_cookie("backoffice_session")
            .await
            .expect("signed in");
        let mut body = body.to_owned();
        if with_csrf {
            let csrf = self.prop("input[name=csrf]", "value").await;
            body.push_str(&format!("&csrf={csrf}"));
        }
        self.app
            .post_form(path, &body)
            .header("cookie", format!("backoffice_session={}", cookie.value()))
            .send()
            .await
            .expect("the forged post is answered")
            .status()
    }
}
