//! A small W3C WebDriver client over reqwest driving Debian `chromium` through `chromedriver`
//! (headless, a fresh profile per browser). fantoccini's rustls feature pulls aws-lc-sys, a
//! C build this project avoids (DECISIONS.md), and the tests need only a dozen commands.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

/// The W3C element reference key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

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
    http: reqwest::Client,
    session: String,
    driver_url: String,
    driver: Child,
    profile: PathBuf,
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
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let started = Instant::now();
        loop {
            if let Ok(r) = http.get(format!("{driver_url}/status")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile =
            std::env::temp_dir().join(format!("ggzy-chromium-{}", uuid::Uuid::new_v4().simple()));
        let caps = json!({"capabilities": {"alwaysMatch": {
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
        }}});
        let r: Value = http
            .post(format!("{driver_url}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no Chromium session: {r}"))
            .to_string();
        Browser {
            http,
            session,
            driver_url,
            driver,
            profile,
        }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.driver_url, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "WebDriver {path}: {status} {v}");
        v["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.cmd(reqwest::Method::POST, path, Some(body)).await
    }

    /// Navigates and waits for the load.
    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({"url": url})).await;
    }

    /// Runs a script (`return …`) in the page with `arguments`.
    pub async fn js(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": args}))
            .await
    }

    /// A Chrome DevTools Protocol command through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.post("/goog/cdp/execute", json!({"cmd": cmd, "params": params}))
            .await
    }

    async fn try_find(&self, css: &str) -> Option<String> {
        let url = format!("{}/session/{}/element", self.driver_url, self.session);
        let r = self
            .http
            .post(url)
            .json(&json!({"using": "css selector", "value": css}))
            .send()
            .await
            .ok()?;
        if !r.status().is_success() {
            return None;
        }
        let v: Value = r.json().await.ok()?;
        v["value"][ELEMENT].as_str().map(str::to_string)
    }

    /// Waits until `css` matches a displayed element, and returns its reference.
    pub async fn wait_for(&self, css: &str, within: Duration) -> String {
        let started = Instant::now();
        loop {
            if let Some(id) = self.try_find(css).await {
                let shown = self
                    .cmd(
                        reqwest::Method::GET,
                        &format!("/element/{id}/displayed"),
                        None,
                    )
                    .await;
                if shown == json!(true) {
                    return id;
                }
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
        let id = self.wait_for(css, Duration::from_secs(10)).await;
        self.post(&format!("/element/{id}/value"), json!({"text": text}))
            .await;
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        let id = self.wait_for(css, Duration::from_secs(10)).await;
        self.post(&format!("/element/{id}/click"), json!({})).await;
    }

    /// The visible text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let id = self.wait_for(css, Duration::from_secs(10)).await;
        self.cmd(reqwest::Method::GET, &format!("/element/{id}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
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
        let png = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        let bytes = B64.decode(png.as_str().unwrap()).unwrap();
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
        // End the session (chromedriver closes Chromium), then chromedriver itself: on a blocking
        // thread with its own runtime, since Drop cannot await.
        let url = format!("{}/session/{}", self.driver_url, self.session);
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                // a client of this runtime: the test's client belongs to the test's runtime
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
