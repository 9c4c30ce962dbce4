//! Issue 13, finding 4 — tampering that only a verifier with old state used to catch. Each test
//! performs the reviewer's attack as the database superuser and asserts it now fails:
//! - deleting the last audit rows: `ggzy audit verify` names the gap against the signed
//!   `audit.head` leaf, and the running sequencer refuses to chain on;
//! - forging an entry and letting the sequencer re-chain: the sequencer refuses (before and after
//!   a restart), and a re-chain by a sequencer without memory is named by `audit verify`;
//! - rolling the transparency log back: the sequencer (even restarted) refuses to sign a fork,
//!   and resumes once the rows are restored, consistently with the head it signed;
//! - a fork signed by the platform key: `ggzy log verify` with its remembered head (the default)
//!   refuses it, while a verifier without state is shown what it cannot see.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

use ggzy::roles::Role;
use ggzy::transparency::merkle::{self, Frontier, Hash};
use serde_json::{Value, json};

use crate::helpers::{TestApp, pg};

/// `ggzy audit verify` as the real command, on the app's database; `data_dir` is the folder
/// whose `keys/transparency_head.json` it pins by default.
fn audit_verify(app: &TestApp, data_dir: &Path, extra: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ggzy"))
        .args(["audit", "verify"])
        .args(extra)
        .env("DATABASE_URL", &app.db.url)
        .env("GGZY_DATA_DIR", data_dir)
        .env_remove("GGZY_DB_URL_SEQUENCER")
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `ggzy log verify` as the real command, keeping its state under `xdg` (the default place).
async fn log_verify(app: &TestApp, xdg: &Path, extra: &[&str]) -> (bool, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_ggzy"))
        .args(["log", "verify", "--url", &app.base])
        .args(extra)
        .env("XDG_STATE_HOME", xdg)
        .env_remove("DATABASE_URL")
        .env_remove("GGZY_DB_URL_SEQUENCER")
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn refused(app: &TestApp) -> bool {
    app.running
        .as_ref()
        .unwrap()
        .state
        .sequencer_stats
        .refused
        .load(Ordering::Relaxed)
}

async fn wait_refused(app: &TestApp) {
    for _ in 0..300 {
        if refused(app) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the sequencer did not refuse");
}

async fn some_audit_entries(app: &TestApp) -> i64 {
    // successful logins are audited (failures would soon meet the login throttle)
    for _ in 0..3 {
        app.login("admin", crate::helpers::ADMIN_PASSWORD).await;
    }
    let n: i64 = pg(&app.db.url)
        .await
        .query_one("SELECT count(*) FROM audit_entries", &[])
        .await
        .unwrap()
        .get(0);
    app.wait_chain(n).await;
    n
}

/// The latest `audit.head` leaf `(log index, chain seq)`, once a signed head covers it.
async fn logged_audit_head(app: &TestApp) -> (i64, i64) {
    let c = pg(&app.db.url).await;
    for _ in 0..500 {
        let row = c
            .query_opt(
                "SELECT l.idx, (convert_from(l.leaf, 'UTF8')::jsonb -> 'payload' ->> 'seq')::bigint
                 FROM transparency_leaves l WHERE l.topic = 'audit.head'
                   AND EXISTS (SELECT 1 FROM transparency_heads h
                               WHERE h.signature IS NOT NULL AND h.size > l.idx)
                 ORDER BY l.idx DESC LIMIT 1",
                &[],
            )
            .await
            .unwrap();
        if let Some(r) = row {
            return (r.get(0), r.get(1));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no signed audit.head leaf");
}

/// Waits until every public outbox row is a leaf and the signed head covers every leaf.
async fn settled_head(app: &TestApp) -> Value {
    let c = pg(&app.db.url).await;
    for _ in 0..600 {
        let row = c
            .query_one(
                "SELECT (SELECT count(*) FROM outbox WHERE kind = 'public'),
                        (SELECT count(*) FROM transparency_leaves WHERE outbox_seq IS NOT NULL),
                        (SELECT count(*) FROM transparency_leaves)",
                &[],
            )
            .await
            .unwrap();
        let (public, logged, leaves): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        if public == logged && public > 0 {
            let head: Value = app
                .get("/api/v1/log/head", None)
                .await
                .json()
                .await
                .unwrap();
            if head["size"].as_i64() == Some(leaves) {
                return head;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the sequencer did not log every public entry");
}

fn signer_state(app: &TestApp) -> Value {
    let path = app
        .data_dir
        .join("keys")
        .join(ggzy::transparency::signer::STATE_FILE);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn deleting_the_last_audit_rows_is_named_by_audit_verify_and_refused_by_the_sequencer() {
    let app = TestApp::spawn().await;
    some_audit_entries(&app).await;
    let (index, logged) = logged_audit_head(&app).await;
    assert!(logged >= 1);
    // the chain grows past the logged head
    let total = some_audit_entries(&app).await;
    assert!(total > logged);
    let (ok, out) = audit_verify(&app, &app.data_dir, &[]);
    assert!(ok, "{out}");
    assert!(out.contains("audit chain OK"), "{out}");
    assert!(
        out.contains("pinned"),
        "the signer's head is used by default: {out}"
    );

    // the attack: the superuser deletes the chain's tail, the logged position included
    let c = pg(&app.db.url).await;
    c.execute(
        "WITH gone AS (DELETE FROM audit_chain WHERE seq >= $1 RETURNING entry_id)
         DELETE FROM audit_entries WHERE id IN (SELECT entry_id FROM gone)",
        &[&logged],
    )
    .await
    .unwrap();

    // a verifier with nothing but the database's log still sees the gap
    let nowhere = app.data_dir.join("no-such-folder");
    let (ok, out) = audit_verify(&app, &nowhere, &[]);
    assert!(!ok, "a truncated chain must fail: {out}");
    assert!(
        out.contains(&format!("BROKEN at entry {logged}"))
            && out.contains(&format!("log index {index}"))
            && out.contains(&format!(
                "entries {logged}..={logged} were removed (truncated)"
            )),
        "{out}"
    );
    // the running sequencer will not number new entries over the gap
    some_audit_entries_unchained(&app).await;
    wait_refused(&app).await;
    let chained: i64 = c
        .query_one("SELECT coalesce(max(seq), 0) FROM audit_chain", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(chained, logged - 1, "nothing chained over the deleted rows");
    app.stop().await;
}

/// Audited actions without waiting for the chain (the sequencer is expected to refuse).
async fn some_audit_entries_unchained(app: &TestApp) {
    app.login("admin", crate::helpers::ADMIN_PASSWORD).await;
}

async fn chain_max(c: &tokio_postgres::Client) -> i64 {
    c.query_one("SELECT coalesce(max(seq), 0) FROM audit_chain", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_forged_entry_is_not_rechained_and_a_rechain_is_named_by_audit_verify() {
    let app = TestApp::spawn().await;
    some_audit_entries(&app).await;
    let (index, logged) = logged_audit_head(&app).await;
    some_audit_entries(&app).await;

    // the attack: edit an entry at the logged head, drop the chain from there and rewind the
    // sequencer's watermark so that it chains the forged entry again
    let c = pg(&app.db.url).await;
    c.batch_execute(&format!(
        "UPDATE audit_entries SET details = '{{\"forged\": true}}'
           WHERE id = (SELECT entry_id FROM audit_chain WHERE seq = {logged});
         DELETE FROM audit_chain WHERE seq >= {logged};
         UPDATE sequencer_state SET audit_xmin = '0';"
    ))
    .await
    .unwrap();
    some_audit_entries_unchained(&app).await;
    wait_refused(&app).await;
    assert_eq!(
        chain_max(&c).await,
        logged - 1,
        "the forged entry was re-chained"
    );

    // a restarted sequencer has lost its memory, but the logged audit.head still holds it back
    let app = app.restart().await;
    some_audit_entries_unchained(&app).await;
    wait_refused(&app).await;
    assert_eq!(chain_max(&c).await, logged - 1);

    // a sequencer without any memory (the old binary, or the attacker's own) re-chains …
    let mut conn = <diesel_async::AsyncPgConnection as diesel_async::AsyncConnection>::establish(
        &app.db.url_as("ggzy_sequencer"),
    )
    .await
    .unwrap();
    let r = ggzy::core::sequencer::pass(&mut conn, &ggzy::core::sequencer::Memory::default())
        .await
        .unwrap();
    assert!(r.audit > 0);
    assert!(chain_max(&c).await >= logged);
    // … and `audit verify` names it: the chain no longer has the logged hash there
    let nowhere = app.data_dir.join("no-such-folder");
    let (ok, out) = audit_verify(&app, &nowhere, &[]);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("BROKEN at entry {logged}"))
            && out.contains(&format!("log index {index}"))
            && out.contains("re-chained"),
        "{out}"
    );
    // the platform's sequencer still refuses to go on over it
    assert!(refused(&app));
    app.stop().await;
}

#[tokio::test]
async fn the_sequencer_refuses_to_sign_a_fork_after_a_rollback_of_the_log() {
    let app = TestApp::spawn().await;
    app.user(Role::Regulator).await;
    let first = settled_head(&app).await;
    let k = first["size"].as_i64().unwrap();
    app.user(Role::Regulator).await;
    app.user(Role::CenterStaff).await;
    let signed = settled_head(&app).await;
    let n = signed["size"].as_i64().unwrap();
    assert!(n > k);
    // the signer remembers its last head beside the key
    let remembered = signer_state(&app);
    assert_eq!(remembered["size"].as_i64(), Some(n));
    assert_eq!(remembered["root_hash"], signed["root_hash"]);

    // the attack: the superuser rolls the log back to k entries (keeping a copy to restore)
    let c = pg(&app.db.url).await;
    c.batch_execute(&format!(
        "BEGIN;
         CREATE TABLE kept_leaves AS SELECT * FROM transparency_leaves WHERE idx >= {k};
         CREATE TABLE kept_heads AS SELECT * FROM transparency_heads WHERE size > {k};
         DELETE FROM transparency_leaves WHERE idx >= {k};
         DELETE FROM transparency_heads WHERE size > {k};
         COMMIT;"
    ))
    .await
    .unwrap();
    // the running sequencer sees it within a second, before any new entry
    wait_refused(&app).await;
    // a restart loses the memory, not the file; new public entries arrive
    let app = app.restart().await;
    app.user(Role::Supervisor).await;
    wait_refused(&app).await;
    let health: Value = app.get("/api/v1/health", None).await.json().await.unwrap();
    assert_eq!(health["sequencer"], "refused", "{health}");
    // nothing was signed over the rolled-back tree: no fork exists
    tokio::time::sleep(Duration::from_millis(300)).await;
    let above: i64 = c
        .query_one(
            "SELECT count(*) FROM transparency_heads WHERE size > $1",
            &[&k],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(above, 0, "a head was stored over the rolled-back log");
    let head: Value = app
        .get("/api/v1/log/head", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(head["size"].as_i64(), Some(k));
    assert_eq!(signer_state(&app)["root_hash"], signed["root_hash"]);

    // the operator restores the rows: the sequencer resumes and extends the head it signed
    c.batch_execute(
        "BEGIN;
         INSERT INTO transparency_leaves SELECT * FROM kept_leaves;
         INSERT INTO transparency_heads SELECT * FROM kept_heads;
         COMMIT;",
    )
    .await
    .unwrap();
    let after = settled_head(&app).await;
    assert!(after["size"].as_i64().unwrap() > n);
    assert!(!refused(&app));
    let health: Value = app.get("/api/v1/health", None).await.json().await.unwrap();
    assert_eq!(health["sequencer"], "ok", "{health}");
    let pin = app.data_dir.join("pinned.json");
    std::fs::write(&pin, signed.to_string()).unwrap();
    let (ok, out) = log_verify(&app, &app.data_dir, &["--state", pin.to_str().unwrap()]).await;
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("consistent with the saved head of {n} entries")),
        "{out}"
    );
    app.stop().await;
}

#[tokio::test]
async fn log_verify_with_its_remembered_head_refuses_a_fork_signed_by_the_platform_key() {
    let app = TestApp::spawn().await;
    app.user(Role::Regulator).await;
    app.user(Role::CenterStaff).await;
    let signed = settled_head(&app).await;
    let n = signed["size"].as_u64().unwrap();
    let xdg = app.data_dir.join("xdg-state");

    // a witness's first run: OK, remembered by default, and told what it cannot see yet
    let (ok, out) = log_verify(&app, &xdg, &[]).await;
    assert!(ok, "{out}");
    assert!(out.contains("cannot see a rollback or a fork"), "{out}");
    let dir = xdg.join("ggzy/log-heads");
    let saved: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(saved.len(), 1, "one state file per server");

    // the fork: the last entry rewritten and a head of the same size signed with the platform
    // key (what the sequencer did before the fix, or anyone holding the key)
    let c = pg(&app.db.url).await;
    let rows = c
        .query(
            "SELECT idx, leaf, leaf_hash FROM transparency_leaves ORDER BY idx",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len() as u64, n);
    let last = n as i64 - 1;
    let mut hashes: Vec<Hash> = rows
        .iter()
        .map(|r| r.get::<_, Vec<u8>>(2).try_into().unwrap())
        .collect();
    let old: Vec<u8> = rows[last as usize].get(1);
    // the same kind of entry by the same writer, with other contents: a fork that every
    // per-entry check accepts (a rogue topic would be refused on its own, finding 12)
    let mut leaf: Value = serde_json::from_slice(&old).unwrap();
    leaf["payload"]["forged"] = json!(true);
    let forged = serde_jcs::to_vec(&leaf).unwrap();
    assert_ne!(forged, old);
    hashes[last as usize] = merkle::leaf_hash(&forged);
    let mut frontier = Frontier::default();
    for h in &hashes {
        frontier.push(*h);
    }
    let key = ggzy::core::signing::PlatformKey::load_or_create(&app.data_dir.join("keys")).unwrap();
    let ts = chrono::Utc::now();
    let head = key
        .sign(ggzy::transparency::log::head_object(
            n,
            &frontier.root(),
            ts,
        ))
        .unwrap();
    let root = frontier.root().to_vec();
    let frontier_bytes = frontier.to_bytes();
    let leaf_hash = hashes[last as usize].to_vec();
    let mut c2 = pg(&app.db.url).await;
    let tx = c2.transaction().await.unwrap();
    tx.execute("DELETE FROM transparency_heads WHERE size > $1", &[&last])
        .await
        .unwrap();
    tx.execute(
        "UPDATE transparency_leaves SET leaf = $2, leaf_hash = $3 WHERE idx = $1",
        &[&last, &forged, &leaf_hash],
    )
    .await
    .unwrap();
    tx.execute(
        "INSERT INTO transparency_heads (size, root_hash, ts, frontier, signature, public_key)
         VALUES ($1, $2, $3::text::timestamptz, $4, $5, $6)",
        &[
            &(n as i64),
            &root,
            &head["timestamp"].as_str().unwrap(),
            &frontier_bytes,
            &head["signature"].as_str().unwrap(),
            &head["public_key"].as_str().unwrap(),
        ],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let served: Value = app
        .get("/api/v1/log/head", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(served["root_hash"], json!(hex::encode(&root)));

    // the witness with its remembered head refuses, and keeps both heads as evidence
    let (ok, out) = log_verify(&app, &xdg, &[]).await;
    assert!(!ok, "a fork must be refused: {out}");
    assert!(
        out.contains("FORK") && out.contains("two different logs"),
        "{out}"
    );
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        files.iter().any(|f| f.ends_with(&format!("fork-{n}.json"))),
        "{files:?}"
    );
    // the remembered head is unchanged, so a second run still refuses
    let (ok, _) = log_verify(&app, &xdg, &[]).await;
    assert!(!ok);
    // a verifier without state accepts the fork: this is what it cannot see
    let (ok, out) = log_verify(&app, &xdg, &["--no-state"]).await;
    assert!(ok, "{out}");
    assert!(out.contains("cannot see a rollback or a fork"), "{out}");

    // and the platform's own sequencer will not extend the forked tree
    app.user(Role::Supervisor).await;
    wait_refused(&app).await;
    let above: i64 = c
        .query_one(
            "SELECT count(*) FROM transparency_heads WHERE size > $1",
            &[&(n as i64)],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(above, 0);
    app.stop().await;
}
