//! A node: the real `ggzy serve` binary as a child process on a test database, killed with
//! SIGKILL (what `kill -9` sends) by the drills.

use std::time::{Duration, Instant};

use crate::helpers::{TestApp, test_config};

/// A size read from the environment, `default` when unset (the short form).
pub fn size(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One running server process.
pub struct Node {
    /// The child (killed on drop as well).
    pub child: tokio::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Node {
    /// Starts `ggzy serve` on the app's database, data folder and keys (sandbox mode) and waits
    /// until it answers `/api/v1/health`.
    pub async fn start(app: &TestApp) -> Node {
        let cfg = test_config(&app.db, app.data_dir.clone(), true);
        Node::start_on(app, cfg.database_url.as_deref().unwrap()).await
    }

    /// Starts a node reaching the database through `database_url` (e.g. a proxy).
    pub async fn start_on(app: &TestApp, database_url: &str) -> Node {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_ggzy"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("GGZY_SANDBOX", "1")
            .env("GGZY_DATA_DIR", &app.data_dir)
            .env("GGZY_LISTEN", format!("127.0.0.1:{port}"))
            .env("GGZY_TRUSTED_PROXIES", "127.0.0.1/32")
            .env("GGZY_DB_POOL_SIZE", "8")
            // the drills' watchers share one bidder's token: above the per-account socket cap
            .env("GGZY_WS_MAX_PER_USER", "1000")
            .env("RUST_LOG", "off")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if let Ok(r) = app
                .client
                .get(format!("{base}/api/v1/health"))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                && r.status() == 200
            {
                return Node { child, base };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the node on {base} did not start");
    }

    /// `kill -9`: SIGKILL, then reaps the process.
    pub async fn kill9(mut self) {
        self.child.start_kill().expect("SIGKILL");
        let status = self.child.wait().await.unwrap();
        assert!(!status.success(), "the node was killed, not stopped");
    }
}

/// Stops the in-process server of the harness (its background tasks too), so that only the
/// nodes the drill starts serve the database; requests made through `app` then go to `base`.
pub async fn hand_over(app: &mut TestApp, base: &str) {
    if let Some(r) = app.running.take() {
        r.stop().await;
    }
    app.base = base.to_string();
}
