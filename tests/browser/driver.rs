//! Headless Debian `chromium` driven through `chromedriver` with fantoccini (a fresh profile per
//! browser). chromedriver listens on plain HTTP at 127.0.0.1, so fantoccini is built without a TLS
//! feature over hyper-util's `HttpConnector` (no openssl, no aws-lc-sys; DECISIONS.md).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// Whether the browser tests are skipped (`GGZY_SKIP_BROWSER=1`); a missing chromium is a failure otherwise.
pub fn skipped(test: &str) -> bool {
    if std::env::var("GGZY_SKIP_BROWSER").as_deref() == Ok("1") {
        eprintln!("SKIPPED {test}: GGZY_SKIP_BROWSER=1 (the headless-Chromium tests did not run)");
        return true;
    }
    false
}

/// A headless Chromium session.
pub struct Browser {
    client: Client,
    session_url: String,
    driver: Child,
    profile: PathBuf,
}

/// chromedriver's `POST /session/{id}/goog/cdp/execute`: one Chrome DevTools Protocol command,
/// which the W3C command set (and so fantoccini) does not cover.
#[derive(Debug)]
struct CdpExecute {
    cmd: String,
    params: Value,
}

impl WebDriverCompatibleCommand for CdpExecute {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.expect("a CDP command needs a session");
        base_url.join(&format!("session/{session}/goog/cdp/execute"))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn chromium_binary() -> String {
    // The Debian wrapper /usr/bin/chromium sources flags files; the real binary is simpler to run.
    for p in ["/usr/lib/chromium/chromium", "/usr/bin/chromium"] {
        if std::path::Path::new(p).exists() {
            return p.into();
        }
    }
    panic!(
        "chromium is not installed: run scripts/test.d/10-chromium.sh (or set GGZY_SKIP_BROWSER=1)"
    );
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium session.
    pub async fn start() -> Browser {
        let binary = chromium_binary();
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is not installed: run scripts/test.d/10-chromium.sh (or set GGZY_SKIP_BROWSER=1)");
        let driver_url = format!("http://127.0.0.1:{port}");
        let profile =
            std::env::temp_dir().join(format!("ggzy-chromium-{}", uuid::Uuid::new_v4().simple()));
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": binary,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    // without these Chromium floods the closed network
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--no-default-browser-check",
                    "--disable-extensions", "--disable-features=Translate,OptimizationHints,MediaRouter",
                    "--lang=zh-CN", "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let caps: Capabilities = caps;
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(caps);
        // chromedriver needs a moment to listen: retry the session until it answers
        let started = Instant::now();
        let client = loop {
            match builder.connect(&driver_url).await {
                Ok(client) => break client,
                Err(e) => assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "no Chromium session through chromedriver: {e}"
                ),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let session = client
            .session_id()
            .await
            .unwrap()
            .expect("a WebDriver session id");
        Browser {
            client,
            session_url: format!("{driver_url}/session/{session}"),
            driver,
            profile,
        }
    }

    /// Navigates and waits for the load.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    /// Runs a script (`return …`) in the page with `arguments` (a JSON array).
    pub async fn js(&self, script: &str, args: Value) -> Value {
        let args = match args {
            Value::Array(a) => a,
            other => panic!("script arguments must be an array, got {other}"),
        };
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script {script}: {e}"))
    }

    /// A Chrome DevTools Protocol command through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.client
            .issue_cmd(CdpExecute {
                cmd: cmd.into(),
                params,
            })
            .await
            .unwrap_or_else(|e| panic!("CDP {cmd}: {e}"))
    }

    async fn try_find_displayed(&self, css: &str) -> Option<Element> {
        let element = self.client.find(Locator::Css(css)).await.ok()?;
        // a re-rendered node goes stale between the lookup and the check: look again then
        element
            .is_displayed()
            .await
            .ok()
            .filter(|shown| *shown)
            .map(|_| element)
    }

    /// Waits until `css` matches a displayed element, and returns it.
    pub async fn wait_for(&self, css: &str, within: Duration) -> Element {
        let started = Instant::now();
        loop {
            if let Some(element) = self.try_find_displayed(css).await {
                return element;
            }
            if started.elapsed() > within {
                let status = self
                    .js(
                        "return [location.href, document.readyState, document.getElementById('status')?.textContent, document.documentElement.outerHTML.slice(0, 600)]",
                        json!([]),
                    )
                    .await;
                let _ = self.screenshot("failure").await;
                panic!("{css} did not show within {within:?} (page status: {status})");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types into the element matching `css` (a file input takes a local path).
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.wait_for(css, Duration::from_secs(10)).await;
        element
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        let element = self.wait_for(css, Duration::from_secs(10)).await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// The visible text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let element = self.wait_for(css, Duration::from_secs(10)).await;
        element
            .text()
            .await
            .unwrap_or_else(|e| panic!("text of {css}: {e}"))
    }

    /// Signs in through the page header's login form and waits for the name to show.
    pub async fn login(&self, username: &str, password: &str) {
        self.type_into("#login input[name=username]", username)
            .await;
        self.type_into("#login input[name=password]", password)
            .await;
        self.click("#login button[type=submit]").await;
        self.wait_for("#who .name", Duration::from_secs(10)).await;
    }

    /// Saves a PNG screenshot as target/screenshots/<name>.png.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let bytes = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, &bytes).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "a PNG screenshot");
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // fantoccini ends the session from a task on the test's runtime, which stops with the
        // test, and Drop cannot await: delete the session on a thread with its own runtime
        // (chromedriver then closes Chromium), then stop chromedriver itself.
        let url = self.session_url.clone();
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(async move {
                    let _ = reqwest::Client::new().delete(url).send().await;
                });
            }
        })
        .join();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
