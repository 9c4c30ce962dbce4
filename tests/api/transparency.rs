//! The transparency log (DESIGN.md §8): the Merkle code against a brute-force tree; real
//! business actions grow the log; the signed head verifies with ed25519-dalek alone; inclusion
//! and consistency proofs from the API verify; bad parameters get stable codes; and the real
//! `ggzy log verify` accepts the honest log, then rejects it after the database superuser
//! rewrote one past entry (inconsistent proof), with no database access of its own.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::Utc;
use ggzy::roles::Role;
use ggzy::transparency::merkle::{self, Hash};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, pg};
use crate::tendering::{
    World, advance, create_tender, designate_and_register, publish, sealed_bid, submit,
    verify_outside, world,
};

/// RFC 9162 §2.1.1 written directly over the leaf bytes, independent of the app's code.
fn brute_root(data: &[Vec<u8>]) -> Hash {
    let h = |prefix: u8, parts: &[&[u8]]| -> Hash {
        let mut s = Sha256::new();
        s.update([prefix]);
        for p in parts {
            s.update(p);
        }
        s.finalize().into()
    };
    match data.len() {
        0 => Sha256::digest([]).into(),
        1 => h(0, &[&data[0]]),
        n => {
            let mut k = 1;
            while k * 2 < n {
                k *= 2;
            }
            h(1, &[&brute_root(&data[..k]), &brute_root(&data[k..])])
        }
    }
}

#[test]
fn merkle_proofs_match_a_brute_force_tree_for_every_size_up_to_64() {
    for n in 0..=64usize {
        let data: Vec<Vec<u8>> = (0..n).map(|i| format!("entry {i}").into_bytes()).collect();
        let leaves: Vec<Hash> = data.iter().map(|d| merkle::leaf_hash(d)).collect();
        let root = brute_root(&data);
        assert_eq!(merkle::root(&leaves), root, "size {n}");
        for i in 0..n {
            let p = merkle::inclusion_proof(i, &leaves).unwrap();
            assert!(merkle::verify_inclusion(
                i as u64, n as u64, &leaves[i], &p, &root
            ));
        }
        for m in 0..=n {
            let p = merkle::consistency_proof(m, &leaves).unwrap();
            assert!(
                merkle::verify_consistency(m as u64, n as u64, &brute_root(&data[..m]), &root, &p),
                "{m}→{n}"
            );
            if m > 0 && m < n {
                // the old head cannot be reconciled with a tree whose prefix changed
                let mut forged = data.clone();
                forged[0] = b"forged".to_vec();
                let fl: Vec<Hash> = forged.iter().map(|d| merkle::leaf_hash(d)).collect();
                let fp = merkle::consistency_proof(m, &fl).unwrap();
                assert!(!merkle::verify_consistency(
                    m as u64,
                    n as u64,
                    &brute_root(&data[..m]),
                    &brute_root(&forged),
                    &fp
                ));
            }
        }
    }
}

/// Waits until every committed public outbox row is a leaf and the latest signed head covers
/// every leaf; returns that head.
async fn settled_head(app: &TestApp) -> Value {
    let c = pg(&app.db.url).await;
    for _ in 0..500 {
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

fn hex32(v: &Value) -> Hash {
    hex::decode(v.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

async fn entries(app: &TestApp) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let page: Value = app
            .get(&format!("/api/v1/log/entries?start={}", out.len()), None)
            .await
            .json()
            .await
            .unwrap();
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        if page["next"].is_null() {
            return out;
        }
    }
}

async fn clarify(app: &TestApp, w: &World, tender: &str, text: &str) {
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/clarifications"),
            Some(&w.agency.token),
            json!({"text": text}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

/// Runs the real command (asynchronously: the server lives on this test's runtime).
async fn log_verify(app: &TestApp, state: &std::path::Path, extra: &[&str]) -> (bool, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_ggzy"))
        .args(["log", "verify", "--url", &app.base, "--state"])
        .arg(state)
        .args(extra)
        // no database: the command must not need one
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

async fn status_code(app: &TestApp, path: &str) -> (u16, String) {
    let r = app.get(path, None).await;
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    (status, v["code"].as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn log_verify_accepts_the_honest_log_and_rejects_a_rewritten_entry() {
    let app = TestApp::spawn().await;
    // officials' accounts, a notice with the holders' recipients, a clarification
    let w = world(&app, "construction").await;
    let (tender, _) = create_tender(&app, &w, 25).await;
    designate_and_register(&app, &w, &tender).await;
    publish(&app, &w, &tender).await;
    clarify(&app, &w, &tender, "第三章技术要求修改").await;
    // a sealed bid before the deadline: its receipt must not be public
    advance(&app, 7200, Some(true)).await;
    let bidder = app.user(Role::Bidder).await;
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/documents"),
            Some(&bidder.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app.post(&format!("/api/v1/tenders/{tender}/bid-security"), Some(&bidder.token),
        json!({"amount": "50000.00", "payer_account": "6222000011112222", "payer_bank": "中国银行",
               "reference": "BZJ", "paid_at": Utc::now()})).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let envelope = sealed_bid(
        &w,
        &tender,
        bidder.org_code.as_deref().unwrap(),
        "45000000.00",
    );
    let r = submit(&app, &tender, &bidder, &envelope).await;
    assert_eq!(r.status(), 201);
    let receipt: Value = r.json().await.unwrap();
    let receipt_id = receipt["receipt"]["id"].as_str().unwrap().to_string();

    let head = settled_head(&app).await;
    let size = head["size"].as_u64().unwrap();
    // the head is signed by the published platform key, checked with ed25519-dalek alone
    let key: Value = app
        .get("/api/v1/keys/platform", None)
        .await
        .json()
        .await
        .unwrap();
    verify_outside(&head, key["public_key"].as_str().unwrap());
    let mut fields: Vec<&String> = head.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        ["public_key", "root_hash", "signature", "size", "timestamp"]
    );
    assert!(head["timestamp"].as_str().unwrap().ends_with('Z'));

    // the entries hash to the signed root, computed here without the app's Merkle code
    let all = entries(&app).await;
    assert_eq!(all.len() as u64, size);
    let data: Vec<Vec<u8>> = all
        .iter()
        .map(|e| B64.decode(e["leaf"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(brute_root(&data), hex32(&head["root_hash"]));
    let topics: Vec<&str> = all
        .iter()
        .map(|e| e["entry"]["topic"].as_str().unwrap())
        .collect();
    for t in [
        "account.official_created",
        "tender.notice",
        "tender.clarification",
        "audit.head",
    ] {
        assert!(topics.contains(&t), "{t} not in {topics:?}");
    }
    // the notice carries the holders' recipients
    let notice = all
        .iter()
        .find(|e| e["entry"]["topic"] == "tender.notice")
        .unwrap();
    let notice_text = notice["entry"]["payload"].to_string();
    for (_, _, _, recipient) in &w.holders {
        assert!(notice_text.contains(recipient.as_str()), "{notice_text}");
    }
    // nothing about the bid before the deadline
    for e in &all {
        let text = e["entry"].to_string();
        assert!(!text.contains(&receipt_id), "a receipt is public: {text}");
        assert!(
            !text.contains(&bidder.id.to_string()),
            "a bidder is public: {text}"
        );
    }
    // the audit head logged is the chain's real head at that sequence number
    let audit = all
        .iter()
        .find(|e| e["entry"]["topic"] == "audit.head")
        .unwrap();
    let seq = audit["entry"]["payload"]["seq"].as_i64().unwrap();
    let hash: Vec<u8> = pg(&app.db.url)
        .await
        .query_one("SELECT hash FROM audit_chain WHERE seq = $1", &[&seq])
        .await
        .unwrap()
        .get(0);
    assert_eq!(audit["entry"]["payload"]["hash"], hex::encode(hash));

    // every inclusion proof the API serves verifies against the signed root
    let root = hex32(&head["root_hash"]);
    for e in &all {
        let i = e["index"].as_u64().unwrap();
        let p: Value = app
            .get(&format!("/api/v1/log/proof?index={i}&size={size}"), None)
            .await
            .json()
            .await
            .unwrap();
        let path: Vec<Hash> = p["inclusion_path"]
            .as_array()
            .unwrap()
            .iter()
            .map(hex32)
            .collect();
        let leaf = merkle::leaf_hash(&data[i as usize]);
        assert_eq!(hex32(&p["leaf_hash"]), leaf);
        assert!(
            merkle::verify_inclusion(i, size, &leaf, &path, &root),
            "{i}"
        );
        // and not for a neighbour's leaf
        let other = merkle::leaf_hash(&data[((i + 1) % size) as usize]);
        assert!(!merkle::verify_inclusion(i, size, &other, &path, &root));
    }

    // bad parameters: 400 with stable codes
    for (path, code) in [
        (
            format!("/api/v1/log/proof?index={size}&size={size}"),
            "index_out_of_range",
        ),
        (
            format!("/api/v1/log/proof?index=-1&size={size}"),
            "index_out_of_range",
        ),
        (
            format!("/api/v1/log/proof?index=0&size={}", size + 1),
            "size_out_of_range",
        ),
        (
            "/api/v1/log/proof?index=0&size=0".to_string(),
            "size_out_of_range",
        ),
        (
            "/api/v1/log/proof?index=x&size=1".to_string(),
            "invalid_query",
        ),
        (
            "/api/v1/log/consistency?first=3&second=2".to_string(),
            "invalid_range",
        ),
        (
            format!("/api/v1/log/consistency?first=1&second={}", size + 1),
            "size_out_of_range",
        ),
        ("/api/v1/log/entries?start=-1".to_string(), "invalid_range"),
        (
            "/api/v1/log/entries?start=5&end=2".to_string(),
            "invalid_range",
        ),
    ] {
        assert_eq!(
            status_code(&app, &path).await,
            (400, code.to_string()),
            "{path}"
        );
    }

    // a head checked against another platform key is refused, and no state is saved
    let stranger = B64.encode(
        ed25519_dalek::SigningKey::from_bytes(&[9u8; 32])
            .verifying_key()
            .as_bytes(),
    );
    let other = app.data_dir.join("other-key.json");
    let (ok, out) = log_verify(&app, &other, &["--public-key", &stranger]).await;
    assert!(!ok, "{out}");
    assert!(out.contains("trusted platform key"), "{out}");
    assert!(!other.exists());

    // the real command accepts the honest log and saves the head
    let state = app.data_dir.join("log-head.json");
    let (ok, out) = log_verify(&app, &state, &[]).await;
    assert!(ok, "{out}");
    assert!(out.contains(&format!("log OK: {size} entries")), "{out}");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(saved["root_hash"], head["root_hash"]);

    // the log grows honestly: the API's consistency proof links the two heads, and the
    // command accepts the new head against the saved one
    clarify(&app, &w, &tender, "第五章合同条款补充").await;
    let head2 = settled_head(&app).await;
    let size2 = head2["size"].as_u64().unwrap();
    assert!(size2 > size);
    let p: Value = app
        .get(
            &format!("/api/v1/log/consistency?first={size}&second={size2}"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let path: Vec<Hash> = p["consistency_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(hex32)
        .collect();
    assert!(merkle::verify_consistency(
        size,
        size2,
        &root,
        &hex32(&head2["root_hash"]),
        &path
    ));
    let (ok, out) = log_verify(&app, &state, &[]).await;
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("consistent with the saved head of {size} entries")),
        "{out}"
    );

    // the database superuser rewrites the past notice, leaf bytes and hash alike
    let index = notice["index"].as_i64().unwrap();
    let changed = pg(&app.db.url)
        .await
        .execute(
            "UPDATE transparency_leaves
                SET leaf = convert_to(replace(convert_from(leaf, 'UTF8'), 'tender.notice', 'tender.notlce'), 'UTF8'),
                    leaf_hash = sha256('\\x00'::bytea || convert_to(replace(convert_from(leaf, 'UTF8'), 'tender.notice', 'tender.notlce'), 'UTF8'))
              WHERE idx = $1",
            &[&index],
        )
        .await
        .unwrap();
    assert_eq!(changed, 1);
    // more entries arrive afterwards
    clarify(&app, &w, &tender, "第六章评标办法说明").await;
    let head3 = settled_head(&app).await;
    let size3 = head3["size"].as_u64().unwrap();
    assert!(size3 > size2);
    let (ok, out) = log_verify(&app, &state, &[]).await;
    assert!(!ok, "a rewritten log must be rejected: {out}");
    // when the saved size is a power of two the RFC 9162 consistency proof starts from the saved
    // root itself and never touches the rewritten leaf; the recomputed root then refuses it
    assert!(
        out.contains("INCONSISTENT") || out.contains("do not hash to the signed root"),
        "{out}"
    );
    // the saved head is kept, so a second run still refuses
    let kept: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(kept["size"].as_u64(), Some(size2));
    // a verifier without history also sees that the entries no longer make the signed root
    let fresh = app.data_dir.join("fresh-head.json");
    let (ok, out) = log_verify(&app, &fresh, &[]).await;
    assert!(!ok, "{out}");
    assert!(out.contains("do not hash to the signed root"), "{out}");
    // and the rewritten leaf's inclusion proof no longer verifies
    let p: Value = app
        .get(
            &format!("/api/v1/log/proof?index={index}&size={size3}"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let path: Vec<Hash> = p["inclusion_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(hex32)
        .collect();
    assert!(!merkle::verify_inclusion(
        index as u64,
        size3,
        &hex32(&p["leaf_hash"]),
        &path,
        &hex32(&head3["root_hash"])
    ));
}
