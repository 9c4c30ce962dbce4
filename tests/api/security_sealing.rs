//! Issue 13, findings 1, 8 and 12 (docs/security/sealing.md): each test performs the reviewer's
//! attack and asserts that it now fails.
//!
//! - The recipients bidders seal to cannot be rewritten by `ggzy_execute` (nor by any role while
//!   the trigger stands), and the real `ggzy seal --server` refuses recipients that differ from
//!   the entries each branch's plane wrote into the signed log (the database compromised as the
//!   superuser), duplicates included.
//! - A public `tender.filing` written as `ggzy_execute` is refused at INSERT, and one smuggled
//!   past the trigger by the superuser is refused by `ggzy log verify`.
//! - A key holder's designation cannot be replaced by another official, nor once the key is
//!   registered; one person cannot hold two branches; a key is registered once.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ggzy::roles::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, org_code, pg};
use crate::tendering::{
    World, create_tender, designate_and_register, publish, put, recipients, world,
};

/// A scratch folder for this test's files.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ggzy-security-sealing-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The signed log's entries about a tender (of one topic), as the public API serves them.
async fn subject_entries(app: &TestApp, tender: &str, topic: &str) -> Vec<Value> {
    let v: Value = app
        .get(
            &format!("/api/v1/log/entries?subject_type=tender&subject_id={tender}&topic={topic}"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    v["items"].as_array().cloned().unwrap_or_default()
}

/// Waits until `n` entries of `topic` about the tender are under a signed head.
async fn wait_entries(app: &TestApp, tender: &str, topic: &str, n: usize) -> Vec<Value> {
    for _ in 0..400 {
        let items = subject_entries(app, tender, topic).await;
        if items.len() >= n {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{n} {topic} entries of {tender} never reached a signed head");
}

/// Runs the real `ggzy seal --server` against the test server; (success, stdout + stderr).
async fn seal_cli(app: &TestApp, tender: &str, dir: &Path, state: &Path) -> (bool, String) {
    let bid = dir.join("bid.json");
    std::fs::write(
        &bid,
        json!({"org_code": org_code(), "price": "1880000.50", "duration_days": 365}).to_string(),
    )
    .unwrap();
    let out_file = dir.join(format!("envelope-{}.json", Uuid::new_v4()));
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_ggzy"))
        .args(["seal", "--server", &app.base, "--tender", tender, "--bid"])
        .arg(&bid)
        .arg("--out")
        .arg(&out_file)
        .arg("--log-state")
        .arg(state)
        .env_remove("GGZY_PLATFORM_KEY")
        .env_remove("DATABASE_URL")
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        assert!(out_file.exists(), "{text}");
    } else {
        assert!(!out_file.exists(), "an envelope was written: {text}");
    }
    (out.status.success(), text)
}

/// A published tender with its three registered holders.
async fn published(app: &TestApp) -> (World, String) {
    let w = world(app, "construction").await;
    let (tender, _) = create_tender(app, &w, 25).await;
    designate_and_register(app, &w, &tender).await;
    publish(app, &w, &tender).await;
    (w, tender)
}

/// Rewrites the served recipients as the database superuser would, past the freezing trigger.
async fn superuser_rewrites_sealing(app: &TestApp, tender: &str, set: &str) {
    let c = pg(&app.db.url).await;
    c.batch_execute(&format!(
        "BEGIN; ALTER TABLE tenders DISABLE TRIGGER tenders_freeze_sealing; \
         UPDATE tenders SET sealing = {set} WHERE id = '{tender}'; \
         ALTER TABLE tenders ENABLE TRIGGER tenders_freeze_sealing; COMMIT;"
    ))
    .await
    .unwrap();
}

#[tokio::test]
async fn execute_cannot_rewrite_the_published_recipients() {
    let app = TestApp::spawn().await;
    let w = world(&app, "construction").await;
    let (draft, _) = create_tender(&app, &w, 25).await;
    designate_and_register(&app, &w, &draft).await;
    let attacker = ggzy::sealing::keys::keygen().1;
    let exec = pg(&app.db.url_as("ggzy_execute")).await;

    // publication writes the recipients the branches registered, and nothing else
    let rogue = json!({"format": "ggzy-sealed-bid/1", "recipients": {
        "decide": attacker, "execute": recipients(&w).execute, "supervise": recipients(&w).supervise}});
    let e = exec
        .execute(
            "UPDATE tenders SET sealing = $2::text::jsonb, notice_sha256 = 'x', \
             published_at = ggzy_now() WHERE id = $1::text::uuid",
            &[&draft, &rogue.to_string()],
        )
        .await
        .unwrap_err();
    assert!(
        format!("{e:?}").contains("decide recipient of the notice"),
        "{e:?}"
    );

    publish(&app, &w, &draft).await;
    let tender = draft;
    // the reviewer's statement, and its variants
    for stmt in [
        format!(
            "UPDATE tenders SET sealing = jsonb_set(sealing, '{{recipients,decide}}', \
             to_jsonb('{attacker}'::text)) WHERE id = '{tender}'"
        ),
        format!(
            "UPDATE tenders SET sealing = jsonb_set(jsonb_set(sealing, '{{recipients,decide}}', \
             sealing #> '{{recipients,execute}}'), '{{recipients,execute}}', \
             sealing #> '{{recipients,decide}}') WHERE id = '{tender}'"
        ),
        format!("UPDATE tenders SET sealing = NULL WHERE id = '{tender}'"),
        format!("UPDATE tenders SET notice_sha256 = repeat('0', 64) WHERE id = '{tender}'"),
        format!(
            "UPDATE tenders SET published_at = published_at - interval '1 day' WHERE id = '{tender}'"
        ),
    ] {
        let e = exec.batch_execute(&stmt).await.unwrap_err();
        assert!(format!("{e:?}").contains("never changes"), "{stmt}: {e:?}");
    }
    // the trigger binds every role, the owner too (only disabling it gets past, see below)
    let su = pg(&app.db.url).await;
    let e = su
        .batch_execute(&format!(
            "UPDATE tenders SET sealing = NULL WHERE id = '{tender}'"
        ))
        .await
        .unwrap_err();
    assert!(format!("{e:?}").contains("never changes"), "{e:?}");
    let v: Value = app
        .get(&format!("/api/v1/tenders/{tender}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["sealing"]["recipients"]["decide"],
        recipients(&w).decide.as_str()
    );
}

#[tokio::test]
async fn a_sealer_refuses_recipients_that_differ_from_the_holders_log_entries() {
    let app = TestApp::spawn().await;
    let (w, tender) = published(&app).await;
    let dir = scratch();
    let state = dir.join("log-head.json");

    // honest: the three entries, written by the three planes, match what the server serves
    let (ok, text) = seal_cli(&app, &tender, &dir, &state).await;
    assert!(ok, "{text}");
    assert!(state.exists(), "the verified head is remembered");
    let entries = subject_entries(&app, &tender, "tender.holder_key").await;
    let mut writers: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["entry"]["payload"]["branch"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                e["entry"]["writer"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    writers.sort();
    assert_eq!(
        writers,
        [
            ("decide".to_string(), "ggzy_decide".to_string()),
            ("execute".into(), "ggzy_execute".into()),
            ("supervise".into(), "ggzy_supervise".into())
        ]
    );

    // the compromised database swaps two recipients (no holder needed to break the bids)
    superuser_rewrites_sealing(
        &app,
        &tender,
        "jsonb_set(jsonb_set(sealing, '{recipients,decide}', sealing #> '{recipients,execute}'), \
         '{recipients,execute}', sealing #> '{recipients,decide}')",
    )
    .await;
    let (ok, text) = seal_cli(&app, &tender, &dir, &state).await;
    assert!(!ok, "sealed to swapped recipients: {text}");
    assert!(
        text.contains("the decide recipient the server serves"),
        "{text}"
    );

    // … or replaces one with the attacker's key
    let attacker = ggzy::sealing::keys::keygen().1;
    let r = recipients(&w);
    superuser_rewrites_sealing(
        &app,
        &tender,
        &format!(
            "jsonb_build_object('format', 'ggzy-sealed-bid/1', 'recipients', jsonb_build_object(\
             'decide', '{}', 'execute', '{}', 'supervise', '{attacker}'))",
            r.decide, r.execute
        ),
    )
    .await;
    let (ok, text) = seal_cli(&app, &tender, &dir, &state).await;
    assert!(!ok, "sealed to the attacker: {text}");
    assert!(
        text.contains("the supervise recipient the server serves"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_sealer_refuses_rogue_and_duplicate_holder_key_entries() {
    let app = TestApp::spawn().await;
    let (w, tender) = published(&app).await;
    wait_entries(&app, &tender, "tender.holder_key", 3).await;
    let dir = scratch();
    let attacker = ggzy::sealing::keys::keygen().1;
    let r = recipients(&w);
    let su = pg(&app.db.url).await;

    // the superuser logs an entry in the decide branch's name and serves its recipient: the
    // database stamps the superuser as the writer, and the sealer refuses it
    su.batch_execute(&format!(
        "INSERT INTO outbox (kind, topic, subject_type, subject_id, payload) VALUES \
         ('public', 'tender.holder_key', 'tender', '{tender}', jsonb_build_object(\
          'tender_id', '{tender}', 'branch', 'decide', 'recipient', '{attacker}'))"
    ))
    .await
    .unwrap();
    superuser_rewrites_sealing(
        &app,
        &tender,
        &format!("jsonb_set(sealing, '{{recipients,decide}}', to_jsonb('{attacker}'::text))"),
    )
    .await;
    wait_entries(&app, &tender, "tender.holder_key", 4).await;
    let (ok, text) = seal_cli(&app, &tender, &dir, &dir.join("state-1.json")).await;
    assert!(!ok, "{text}");
    assert!(text.contains("not written by the decide plane"), "{text}");

    // a second entry that the decide plane itself wrote: two entries for one branch
    let c = pg(&app.db.url).await;
    c.batch_execute(&format!(
        "SET ROLE ggzy_decide; \
         INSERT INTO outbox (kind, topic, subject_type, subject_id, payload) VALUES \
         ('public', 'tender.holder_key', 'tender', '{tender}', jsonb_build_object(\
          'tender_id', '{tender}', 'branch', 'decide', 'recipient', '{attacker}')); RESET ROLE;"
    ))
    .await
    .unwrap();
    wait_entries(&app, &tender, "tender.holder_key", 5).await;
    let (ok, text) = seal_cli(&app, &tender, &dir, &dir.join("state-2.json")).await;
    assert!(!ok, "{text}");
    assert!(
        text.contains("two holder-key entries") || text.contains("not written by"),
        "{text}"
    );
    // the pure check names each duplicate case (also unit-tested in src/sealing/trust.rs)
    let leaf = |branch: &str, recipient: &str| {
        json!({"topic": "tender.holder_key", "subject_type": "tender", "subject_id": tender,
               "payload": {"tender_id": tender, "branch": branch, "recipient": recipient},
               "writer": format!("ggzy_{branch}")})
    };
    let t: Uuid = tender.parse().unwrap();
    let two = [
        (1, leaf("decide", &r.decide)),
        (2, leaf("execute", &r.execute)),
        (3, leaf("supervise", &r.supervise)),
        (4, leaf("decide", &attacker)),
    ];
    let e = ggzy::sealing::trust::check_holder_entries(t, &two, &r).unwrap_err();
    assert!(e.to_string().contains("decide branch has two"), "{e}");
    let same = [
        (1, leaf("decide", &r.decide)),
        (2, leaf("execute", &r.decide)),
        (3, leaf("supervise", &r.supervise)),
    ];
    let e = ggzy::sealing::trust::check_holder_entries(t, &same, &r).unwrap_err();
    assert!(e.to_string().contains("same recipient"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_rogue_filing_by_execute_is_refused_at_insert_and_by_log_verify() {
    let app = TestApp::spawn().await;
    let (_w, tender) = published(&app).await;
    wait_entries(&app, &tender, "tender.holder_key", 3).await;
    let dir = scratch();
    let state = dir.join("log-state.json");
    let (ok, text) = log_verify(&app, &state).await;
    assert!(ok, "{text}");
    assert!(
        text.contains("ggzy_decide") && text.contains("ggzy_execute"),
        "{text}"
    );

    // the reviewer's insert, as the execute plane's role
    let exec = pg(&app.db.url_as("ggzy_execute")).await;
    let e = exec
        .batch_execute(&format!(
            "INSERT INTO outbox (kind, topic, subject_type, subject_id, payload) VALUES \
             ('public', 'tender.filing', 'tender', '{tender}', jsonb_build_object('tender_id', '{tender}'))"
        ))
        .await
        .unwrap_err();
    assert!(
        format!("{e:?}").contains("the execute plane may not write the public entry tender.filing"),
        "{e:?}"
    );
    // naming another plane or writer is overwritten by the stamp, so refused the same way
    let e = exec
        .batch_execute(&format!(
            "INSERT INTO outbox (plane, writer_role, kind, topic, subject_type, subject_id) VALUES \
             ('decide', 'ggzy_decide', 'public', 'tender.filing', 'tender', '{tender}')"
        ))
        .await
        .unwrap_err();
    assert!(format!("{e:?}").contains("may not write"), "{e:?}");
    // nor may execute log a holder key of another branch
    let e = exec
        .batch_execute(&format!(
            "INSERT INTO outbox (kind, topic, subject_type, subject_id, payload) VALUES \
             ('public', 'tender.holder_key', 'tender', '{tender}', \
              jsonb_build_object('branch', 'decide', 'recipient', 'age1x'))"
        ))
        .await
        .unwrap_err();
    assert!(format!("{e:?}").contains("may not write"), "{e:?}");

    // the superuser smuggles the row past every trigger in execute's name: the leaf names
    // ggzy_execute as the writer of a regulator's act, and log verify refuses it
    let su = pg(&app.db.url).await;
    su.batch_execute(&format!(
        "BEGIN; SET LOCAL session_replication_role = replica; \
         INSERT INTO outbox (plane, writer_role, kind, topic, subject_type, subject_id, payload) \
         VALUES ('execute', 'ggzy_execute', 'public', 'tender.filing', 'tender', '{tender}', \
                 jsonb_build_object('tender_id', '{tender}')); COMMIT;"
    ))
    .await
    .unwrap();
    let mut refused = String::new();
    for _ in 0..100 {
        let (ok, text) = log_verify(&app, &state).await;
        if !ok {
            refused = text;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused.contains("WRONG WRITER"), "{refused}");
    assert!(
        refused.contains("tender.filing entry written by ggzy_execute"),
        "{refused}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

async fn log_verify(app: &TestApp, state: &Path) -> (bool, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_ggzy"))
        .args(["log", "verify", "--url", &app.base, "--state"])
        .arg(state)
        .env_remove("DATABASE_URL")
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

async fn code_of(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    (status, v["code"].as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn key_holders_cannot_be_replaced_nor_doubled_nor_re_keyed() {
    let app = TestApp::spawn().await;
    let w = world(&app, "construction").await;
    let (tender, _) = create_tender(&app, &w, 25).await;
    let (_, holder, _, recipient) = w.holders[0].clone();
    let path = |what: &str, b: &str| format!("/api/v1/tenders/{tender}/{what}/{b}");

    let r = put(
        &app,
        &path("key-holders", "decide"),
        &w.regulator.token,
        json!({"user_id": holder.id}),
    )
    .await;
    assert_eq!(r.status(), 204);
    // another regulator — one the admin just created — cannot seat its own choice
    let other = app.user(Role::Regulator).await;
    let r = put(
        &app,
        &path("key-holders", "decide"),
        &other.token,
        json!({"user_id": other.id}),
    )
    .await;
    assert_eq!(code_of(r).await, (403, "not_designator".into()));
    // the designating official may still change its mind before the key is registered
    let r = put(
        &app,
        &path("key-holders", "decide"),
        &w.regulator.token,
        json!({"user_id": other.id}),
    )
    .await;
    assert_eq!(r.status(), 204);
    let r = put(
        &app,
        &path("key-holders", "decide"),
        &w.regulator.token,
        json!({"user_id": holder.id}),
    )
    .await;
    assert_eq!(r.status(), 204);
    let r = put(
        &app,
        &path("holder-keys", "decide"),
        &holder.token,
        json!({"public_key": recipient}),
    )
    .await;
    assert_eq!(r.status(), 204);
    // after the registration: final, for the designator too, and for the role itself
    let r = put(
        &app,
        &path("key-holders", "decide"),
        &w.regulator.token,
        json!({"user_id": other.id}),
    )
    .await;
    assert_eq!(code_of(r).await, (409, "holder_registered".into()));
    let r = put(
        &app,
        &path("key-holders", "decide"),
        &other.token,
        json!({"user_id": other.id}),
    )
    .await;
    assert_eq!(code_of(r).await, (409, "holder_registered".into()));
    let decide = pg(&app.db.url_as("ggzy_decide")).await;
    for stmt in [
        format!(
            "UPDATE decide_key_holders SET user_id = '{}', designated_by = '{}' WHERE tender_id = '{tender}'",
            other.id, other.id
        ),
        format!(
            "UPDATE decide_key_holders SET recipient = NULL, registered_at = NULL WHERE tender_id = '{tender}'"
        ),
        format!(
            "INSERT INTO decide_key_holders (tender_id, user_id, designated_by) VALUES ('{tender}', '{}', '{}') \
                 ON CONFLICT (tender_id) DO UPDATE SET user_id = EXCLUDED.user_id, designated_by = EXCLUDED.designated_by, recipient = NULL",
            other.id, other.id
        ),
    ] {
        let e = decide.batch_execute(&stmt).await.unwrap_err();
        assert!(
            format!("{e:?}").contains("registered its key"),
            "{stmt}: {e:?}"
        );
    }
    // re-registration: refused, with another key or the same
    let fresh = ggzy::sealing::keys::keygen().1;
    for key in [&fresh, &recipient] {
        let r = put(
            &app,
            &path("holder-keys", "decide"),
            &holder.token,
            json!({"public_key": key}),
        )
        .await;
        assert_eq!(code_of(r).await, (409, "holder_registered".into()));
    }

    // one person in two branches: a centre account on the decide holder's mailbox
    let c = pg(&app.db.url).await;
    let email: String = c
        .query_one("SELECT email FROM users WHERE id = $1", &[&holder.id])
        .await
        .unwrap()
        .get(0);
    let (local, domain) = email.split_once('@').unwrap();
    let twin_email = format!("{}+centre@{}", local.to_uppercase(), domain);
    let r = app
        .post(
            "/api/v1/admin/users",
            Some(&app.admin_token),
            json!({
            "username": format!("twin-{}", &Uuid::new_v4().simple().to_string()[..8]),
            "password": "one-time-password-1", "role": "center_staff",
            "display_name": "同一人", "email": twin_email}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let twin: Uuid = r.json::<Value>().await.unwrap()["user"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let r = put(
        &app,
        &path("key-holders", "execute"),
        &w.center.token,
        json!({"user_id": twin}),
    )
    .await;
    assert_eq!(code_of(r).await, (422, "holder_conflict".into()));
    // the database refuses it too (a racing designation, or the role used directly)
    let exec = pg(&app.db.url_as("ggzy_execute")).await;
    let e = exec
        .batch_execute(&format!(
            "INSERT INTO execute_key_holders (tender_id, user_id, designated_by) VALUES ('{tender}', '{twin}', '{}')",
            twin
        ))
        .await
        .unwrap_err();
    assert!(format!("{e:?}").contains("same person"), "{e:?}");

    // another execute holder may not register the decide holder's recipient
    let (_, exec_holder, _, _) = w.holders[1].clone();
    let r = put(
        &app,
        &path("key-holders", "execute"),
        &w.center.token,
        json!({"user_id": exec_holder.id}),
    )
    .await;
    assert_eq!(r.status(), 204);
    let r = put(
        &app,
        &path("holder-keys", "execute"),
        &exec_holder.token,
        json!({"public_key": recipient}),
    )
    .await;
    assert_eq!(code_of(r).await, (409, "duplicate_recipient".into()));

    // every designation is a public entry by its branch's plane, and so is the key
    let designations = wait_entries(&app, &tender, "tender.key_holder", 4).await;
    for d in &designations {
        let branch = d["entry"]["payload"]["branch"].as_str().unwrap();
        assert_eq!(d["entry"]["writer"], format!("ggzy_{branch}"), "{d}");
    }
    let keys = wait_entries(&app, &tender, "tender.holder_key", 1).await;
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["entry"]["payload"]["recipient"], recipient.as_str());
    assert_eq!(keys[0]["entry"]["writer"], "ggzy_decide");
}

#[tokio::test]
async fn the_database_and_the_verifier_share_one_topic_table() {
    let app = TestApp::spawn().await;
    let c = pg(&app.db.url).await;
    let rows = c
        .query(
            "SELECT topic, plane FROM public_topic_planes ORDER BY topic",
            &[],
        )
        .await
        .unwrap();
    let mut db: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let mut code: Vec<(String, String)> = ggzy::transparency::topics::TOPICS
        .iter()
        .filter(|(t, _)| *t != "audit.head")
        .map(|(t, o)| {
            let plane = match o {
                ggzy::transparency::topics::Owner::Plane(p) => p.to_string(),
                ggzy::transparency::topics::Owner::Branch => "branch".to_string(),
            };
            (t.to_string(), plane)
        })
        .collect();
    db.sort();
    code.sort();
    assert_eq!(db, code);
}
