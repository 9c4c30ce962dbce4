//! `ggzy audit verify`, run as the real command: passes on an honest log, and names the first
//! bad entry after an edit, a deletion and a swap made by the database superuser.

use std::process::Command;

use serde_json::json;

use crate::helpers::{TestApp, pg};

fn verify(db_url: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ggzy"))
        .args(["audit", "verify"])
        .env("DATABASE_URL", db_url)
        // no signer's head pinned from a data folder of another database
        .env(
            "GGZY_DATA_DIR",
            std::env::temp_dir().join("ggzy-audit-no-data"),
        )
        .env_remove("GGZY_DB_URL_SEQUENCER")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
    )
}

async fn app_with_entries() -> TestApp {
    let app = TestApp::spawn().await;
    // six audited actions: failed and successful logins
    for _ in 0..3 {
        let r = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({"username": "admin", "password": "wrong-password-x"}),
            )
            .await;
        assert_eq!(r.status(), 401);
        app.login("admin", crate::helpers::ADMIN_PASSWORD).await;
    }
    let c = pg(&app.db.url).await;
    let n: i64 = c
        .query_one("SELECT count(*) FROM audit_entries", &[])
        .await
        .unwrap()
        .get(0);
    assert!(n >= 7, "{n}");
    app.wait_chain(n).await;
    app
}

#[tokio::test]
async fn verify_passes_on_an_honest_log_and_names_an_edited_entry() {
    let app = app_with_entries().await;
    let (ok, out) = verify(&app.db.url);
    assert!(ok, "{out}");
    assert!(out.contains("audit chain OK"), "{out}");
    let c = pg(&app.db.url).await;
    c.batch_execute(
        "UPDATE audit_entries SET details = '{\"forged\": true}' WHERE id = (SELECT entry_id FROM audit_chain WHERE seq = 4)",
    )
    .await
    .unwrap();
    let (ok, out) = verify(&app.db.url);
    assert!(!ok);
    assert!(
        out.contains("BROKEN at entry 4") && out.contains("altered"),
        "{out}"
    );
    app.stop().await;
}

#[tokio::test]
async fn verify_names_a_deleted_entry() {
    let app = app_with_entries().await;
    let c = pg(&app.db.url).await;
    c.batch_execute(
        "DELETE FROM audit_entries WHERE id = (SELECT entry_id FROM audit_chain WHERE seq = 3)",
    )
    .await
    .unwrap();
    let (ok, out) = verify(&app.db.url);
    assert!(!ok);
    assert!(
        out.contains("BROKEN at entry 3") && out.contains("deleted"),
        "{out}"
    );
    // removing the chain row as well leaves a gap, still named
    c.batch_execute("DELETE FROM audit_chain WHERE seq = 3")
        .await
        .unwrap();
    let (ok, out) = verify(&app.db.url);
    assert!(!ok);
    assert!(
        out.contains("BROKEN at entry 3") && out.contains("missing"),
        "{out}"
    );
    app.stop().await;
}

#[tokio::test]
async fn verify_names_swapped_entries() {
    let app = app_with_entries().await;
    let c = pg(&app.db.url).await;
    // swap which entries chain positions 2 and 5 point at
    c.batch_execute(
        "UPDATE audit_chain SET entry_id = -entry_id WHERE seq IN (2, 5);
         UPDATE audit_chain SET entry_id = CASE seq
             WHEN 2 THEN (SELECT -entry_id FROM audit_chain WHERE seq = 5)
             WHEN 5 THEN (SELECT -entry_id FROM audit_chain WHERE seq = 2) END
         WHERE seq IN (2, 5);",
    )
    .await
    .unwrap();
    let (ok, out) = verify(&app.db.url);
    assert!(!ok);
    assert!(out.contains("BROKEN at entry 2"), "{out}");
    app.stop().await;
}
