//! The sandbox clock: moving it makes due timers run before the call returns; a production
//! server answers 404 and its database refuses the move.

use serde_json::{Value, json};

use crate::helpers::{TestApp, pg};

#[tokio::test]
async fn moving_the_clock_runs_the_timers_due_in_the_skipped_interval() {
    let app = TestApp::spawn().await;
    let r = app
        .post(
            "/api/v1/admin/users",
            Some(&app.admin_token),
            json!({"username": "reg1", "password": "one-time-pass-7", "role": "regulator",
                   "display_name": "监管 王五", "email": "r@example.com"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    // the one-time password works for now
    app.login("reg1", "one-time-pass-7").await;
    let before: Value = app.get("/api/v1/health", None).await.json().await.unwrap();
    // six days: the seven-day expiry job is not due yet
    let r = app
        .post(
            "/api/v1/sandbox/clock",
            Some(&app.admin_token),
            json!({"advance_seconds": 6 * 86400}),
        )
        .await;
    assert_eq!(r.status(), 200);
    app.login("reg1", "one-time-pass-7").await;
    // two more days: it is due, and has run when the call returns
    let r = app
        .post(
            "/api/v1/sandbox/clock",
            Some(&app.admin_token),
            json!({"advance_seconds": 2 * 86400}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let after: Value = r.json().await.unwrap();
    let t0 = chrono::DateTime::parse_from_rfc3339(before["server_time"].as_str().unwrap()).unwrap();
    let t1 = chrono::DateTime::parse_from_rfc3339(after["server_time"].as_str().unwrap()).unwrap();
    assert!((t1 - t0).num_seconds() >= 8 * 86400);
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"username": "reg1", "password": "one-time-pass-7"}),
        )
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "one_time_password_expired"
    );
    let c = pg(&app.db.url).await;
    let done: i64 = c
        .query_one("SELECT count(*) FROM jobs WHERE kind = 'identity.expire_one_time_password' AND status = 'done'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(done, 1);
    // the clock never goes back
    let r = app
        .post(
            "/api/v1/sandbox/clock",
            Some(&app.admin_token),
            json!({"advance_seconds": -5}),
        )
        .await;
    assert_eq!(r.status(), 422);
    app.stop().await;
}

#[tokio::test]
async fn a_production_server_has_no_sandbox_clock() {
    let app = TestApp::spawn_with(false).await;
    let r = app
        .post(
            "/api/v1/sandbox/clock",
            Some(&app.admin_token),
            json!({"advance_seconds": 60}),
        )
        .await;
    assert_eq!(r.status(), 404);
    assert!(r.headers().get("x-ggzy-sandbox").is_none());
    // and the database itself refuses, even to the plane that may call the function
    let c = pg(&app.db.url_as("ggzy_identity")).await;
    let err = c
        .batch_execute("SELECT ggzy_advance_clock(60000000, null)")
        .await
        .unwrap_err();
    assert!(
        err.as_db_error().unwrap().message().contains("sandbox"),
        "{err}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_server_refuses_a_database_of_the_other_mode() {
    let app = TestApp::spawn_with(false).await;
    let db_url = app.db.url.clone();
    let data_dir = app.data_dir.clone();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ggzy"))
        .arg("serve")
        .env("DATABASE_URL", &db_url)
        .env("GGZY_SANDBOX", "1")
        .env("GGZY_DATA_DIR", &data_dir)
        .env("GGZY_LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("production database"), "{err}");
    app.stop().await;
}
