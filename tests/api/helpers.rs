//! The test harness: a database per test (cloned from `ggzy_test_template`, rebuilt when the
//! migrations change), the app spawned on port 0, users of every role.

use std::path::PathBuf;
use std::time::Duration;

use ggzy::app::Running;
use ggzy::config::{Config, with_database, with_user};
use ggzy::roles::Role;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio_postgres::NoTls;
use uuid::Uuid;

/// The superuser URL the suite runs against (set by scripts/test).
pub fn admin_url() -> String {
    std::env::var("GGZY_TEST_DATABASE_URL").expect(
        "GGZY_TEST_DATABASE_URL is not set: run the tests with scripts/test, which starts the private PostgreSQL cluster",
    )
}

pub const TEMPLATE: &str = "ggzy_test_template";
pub const ADMIN_PASSWORD: &str = "admin-test-password";
pub const PASSWORD: &str = "user-test-password-1";
/// The metrics token of every test server (`GGZY_METRICS_TOKEN`).
pub const METRICS_TOKEN: &str = "metrics-test-token-7b1d";

fn migrations_fingerprint() -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files: Vec<PathBuf> = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        for f in std::fs::read_dir(&p).unwrap() {
            files.push(f.unwrap().path());
        }
    }
    files.sort();
    let mut h = Sha256::new();
    for f in files {
        h.update(f.strip_prefix(&dir).unwrap().to_string_lossy().as_bytes());
        h.update(std::fs::read(&f).unwrap());
    }
    hex::encode(h.finalize())
}

pub async fn pg(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

/// `GGZY_TEST_CLOCK_START` (RFC 3339, e.g. `2026-12-31T23:59:59+08:00`): the instant the platform
/// clock of every sandbox test database starts at, so the suite can be run on a chosen date
/// (issue 14: no test may depend on the machine's date).
pub fn clock_start() -> Option<chrono::DateTime<chrono::Utc>> {
    let v = std::env::var("GGZY_TEST_CLOCK_START")
        .ok()
        .filter(|v| !v.trim().is_empty())?;
    let at = chrono::DateTime::parse_from_rfc3339(v.trim())
        .unwrap_or_else(|e| panic!("GGZY_TEST_CLOCK_START={v:?} is not RFC 3339: {e}"));
    Some(at.with_timezone(&chrono::Utc))
}

/// Starts the platform clock of a fresh (not yet served) database at `at`: running from there
/// when `at` is ahead of the database clock, frozen at `at` when it is behind (the offset never
/// goes negative; tests move a frozen clock with `ggzy_advance_clock` as usual).
pub async fn start_clock_at(db: &TestDb, at: chrono::DateTime<chrono::Utc>) {
    let c = pg(&db.url).await;
    c.execute(
        "UPDATE platform_clock SET \
           offset_us = greatest(0, (extract(epoch FROM ($1::text::timestamptz - clock_timestamp())) * 1e6)::bigint), \
           frozen_at = CASE WHEN $1::text::timestamptz < clock_timestamp() THEN $1::text::timestamptz END, \
           updated_at = clock_timestamp()",
        &[&at.to_rfc3339()],
    )
    .await
    .unwrap();
}

/// A database of its own, dropped at the end of the test.
pub struct TestDb {
    pub name: String,
    /// Superuser URL of this database (the owner, as `DATABASE_URL` in the embedded default).
    pub url: String,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let admin = with_database(&admin_url(), "postgres").unwrap();
        let client = pg(&admin).await;
        client
            .execute("SELECT pg_advisory_lock(7243002)", &[])
            .await
            .unwrap();
        let fp = migrations_fingerprint();
        let current: Option<String> = client
            .query_opt(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
                &[&TEMPLATE],
            )
            .await
            .unwrap()
            .and_then(|r| r.get(0));
        if current.as_deref() != Some(fp.as_str()) {
            client
                .batch_execute(&format!("DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)"))
                .await
                .unwrap();
            let turl = with_database(&admin, TEMPLATE).unwrap();
            ggzy::db::setup::ensure_roles(&turl).await.unwrap();
            ggzy::db::setup::ensure_database(&turl).await.unwrap();
            ggzy::db::setup::migrate(&turl).await.unwrap();
            client
                .batch_execute(&format!("COMMENT ON DATABASE {TEMPLATE} IS '{fp}'"))
                .await
                .unwrap();
        }
        let name = format!("ggzy_test_{}", Uuid::new_v4().simple());
        let mut tries = 0;
        loop {
            match client
                .batch_execute(&format!(
                    "CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY"
                ))
                .await
            {
                Ok(()) => break,
                Err(e) if tries < 20 => {
                    // a closing connection to the template may linger for a moment
                    tries += 1;
                    eprintln!("retrying CREATE DATABASE: {e}");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(e) => panic!("creating {name}: {e}"),
            }
        }
        client
            .execute("SELECT pg_advisory_unlock(7243002)", &[])
            .await
            .unwrap();
        TestDb {
            url: with_database(&admin, &name).unwrap(),
            name,
        }
    }

    /// The URL of a database role on this database (trust auth in the test cluster).
    pub fn url_as(&self, role: &str) -> String {
        with_user(&self.url, role, None).unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let admin = with_database(&admin_url(), "postgres").unwrap();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                if let Ok((c, conn)) = tokio_postgres::connect(&admin, NoTls).await {
                    tokio::spawn(conn);
                    let _ = c
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        })
        .join();
    }
}

/// A signed-in test user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: Uuid,
    pub token: String,
    pub org_code: Option<String>,
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: TestDb,
    pub data_dir: PathBuf,
    pub running: Option<Running>,
    pub admin_token: String,
}

pub fn org_code() -> String {
    // 8 random body characters from digits and upper-case letters GB 11714 allows
    let alphabet = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let body: String = (0..8)
        .map(|_| alphabet[rand::random::<usize>() % alphabet.len()] as char)
        .collect();
    ggzy::identity::org_code::compose("91", "440400", &body).unwrap()
}

pub fn test_config(db: &TestDb, data_dir: PathBuf, sandbox: bool) -> Config {
    let mut config = Config::for_database(&db.url, data_dir, sandbox).unwrap();
    config.admin_password = Some(ADMIN_PASSWORD.into());
    config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    config.pool_size = 6;
    config.metrics_token = Some(METRICS_TOKEN.into());
    config
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(true).await
    }

    pub async fn spawn_with(sandbox: bool) -> TestApp {
        let db = TestDb::new().await;
        // issue 14: the whole suite can run at another instant of the platform clock (sandbox
        // databases only: production's clock is the machine's and never moves)
        if let Some(at) = clock_start().filter(|_| sandbox) {
            start_clock_at(&db, at).await;
        }
        let data_dir = std::env::temp_dir().join(format!("ggzy-test-{}", Uuid::new_v4().simple()));
        let config = test_config(&db, data_dir.clone(), sandbox);
        TestApp::start_on(db, data_dir, config).await
    }

    /// A sandbox app whose platform clock starts at `at` (whatever `GGZY_TEST_CLOCK_START` says).
    pub async fn spawn_at(at: chrono::DateTime<chrono::Utc>) -> TestApp {
        let db = TestDb::new().await;
        start_clock_at(&db, at).await;
        let data_dir = std::env::temp_dir().join(format!("ggzy-test-{}", Uuid::new_v4().simple()));
        let config = test_config(&db, data_dir.clone(), true);
        TestApp::start_on(db, data_dir, config).await
    }

    pub async fn start_on(db: TestDb, data_dir: PathBuf, config: Config) -> TestApp {
        let mut running = ggzy::app::start(config, ggzy::roles::Plane::ALL.to_vec(), 2)
            .await
            .expect("starting the app");
        let server = running.server.take().unwrap();
        tokio::spawn(server);
        let base = format!("http://{}", running.addr);
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let mut app = TestApp {
            base,
            client,
            db,
            data_dir,
            running: Some(running),
            admin_token: String::new(),
        };
        app.admin_token = app.login("admin", ADMIN_PASSWORD).await;
        app
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> reqwest::Response {
        let mut r = self.client.post(self.url(path)).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut r = self.client.get(self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap()
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let r = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(r.status(), 200, "login {username}");
        let v: Value = r.json().await.unwrap();
        v["access_token"].as_str().unwrap().to_string()
    }

    /// Creates a user of a role the way the platform does (admin, one-time password, change).
    pub async fn user(&self, role: Role) -> TestUser {
        let username = format!(
            "{}-{}",
            role.as_str().replace('_', "-"),
            &Uuid::new_v4().simple().to_string()[..8]
        );
        let code = role.needs_org().then(org_code);
        let body = json!({
            "username": username, "password": "one-time-password-1", "role": role.as_str(),
            "display_name": format!("测试 {}", role.as_str()), "email": format!("{username}@example.com"),
            "org_name": code.as_ref().map(|c| format!("测试单位 {c}")), "org_code": code,
        });
        let r = self
            .post("/api/v1/admin/users", Some(&self.admin_token), body)
            .await;
        assert_eq!(
            r.status(),
            201,
            "create {role:?}: {}",
            r.text().await.unwrap()
        );
        let v: Value = r.json().await.unwrap();
        let id: Uuid = v["user"]["id"].as_str().unwrap().parse().unwrap();
        let otp = self.login(&username, "one-time-password-1").await;
        let r = self
            .post(
                "/api/v1/me/password",
                Some(&otp),
                json!({"current_password": "one-time-password-1", "new_password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        TestUser {
            id,
            token: v["access_token"].as_str().unwrap().to_string(),
            org_code: code,
        }
    }

    /// Waits until the sequencer has chained `n` audit entries.
    pub async fn wait_chain(&self, n: i64) {
        let c = pg(&self.db.url).await;
        for _ in 0..500 {
            let got: i64 = c
                .query_one("SELECT count(*) FROM audit_chain", &[])
                .await
                .unwrap()
                .get(0);
            let total: i64 = c
                .query_one("SELECT count(*) FROM audit_entries", &[])
                .await
                .unwrap()
                .get(0);
            if got >= n && got == total {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the sequencer did not chain {n} entries");
    }

    /// Stops the server (as a crash would leave the database) and starts a new one on the same
    /// database and data folder.
    pub async fn restart(mut self) -> TestApp {
        if let Some(r) = self.running.take() {
            for t in &r.tasks {
                t.abort();
            }
            r.handle.stop(false).await;
        }
        let config = test_config(&self.db, self.data_dir.clone(), true);
        let mut running = ggzy::app::start(config, ggzy::roles::Plane::ALL.to_vec(), 2)
            .await
            .expect("restarting the app");
        let server = running.server.take().unwrap();
        tokio::spawn(server);
        self.base = format!("http://{}", running.addr);
        self.running = Some(running);
        self
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            for t in &r.tasks {
                t.abort();
            }
            drop(r.handle.stop(false));
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// A second server process (the real binary) on the app's database, data folder and keys, as a
/// second node of a deployment; returns the child (killed on drop) and its base URL.
pub async fn second_node(app: &TestApp) -> (tokio::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = test_config(&app.db, app.data_dir.clone(), true);
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_ggzy"))
        .arg("serve")
        .env("DATABASE_URL", cfg.database_url.as_deref().unwrap())
        .env("GGZY_SANDBOX", "1")
        .env("GGZY_DATA_DIR", &app.data_dir)
        .env("GGZY_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let other = format!("http://127.0.0.1:{port}");
    for _ in 0..400 {
        if let Ok(r) = app
            .client
            .get(format!("{other}/api/v1/health"))
            .send()
            .await
            && r.status() == 200
        {
            return (child, other);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the second node did not start");
}
