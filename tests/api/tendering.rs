//! Sealed tendering through the real HTTP API: schedule rules with citations, key holders of the
//! three branches, real age sealing, signed receipts checked outside the app's code, the
//! deadline on the platform clock, the closing manifest, and the opening with two of three
//! holders (and the third when one holder's piece is corrupt).

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use ggzy::roles::Role;
use ggzy::sealing::pieces::Branch;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, TestUser, pg};

/// Everything a tender needs around it.
pub(crate) struct World {
    pub(crate) agency: TestUser,
    pub(crate) purchaser: TestUser,
    pub(crate) regulator: TestUser,
    pub(crate) center: TestUser,
    pub(crate) supervisor: TestUser,
    /// (branch, holder, identity, recipient)
    pub(crate) holders: Vec<(Branch, TestUser, String, String)>,
    pub(crate) project_id: String,
}

pub(crate) async fn platform_now(app: &TestApp) -> DateTime<Utc> {
    let c = pg(&app.db.url).await;
    let micros: i64 = c
        .query_one(
            "SELECT (extract(epoch FROM ggzy_now()) * 1000000)::bigint",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    DateTime::from_timestamp_micros(micros).unwrap()
}

/// Moves the sandbox clock by microseconds (directly: the API moves whole seconds), frozen.
pub(crate) async fn advance_us(app: &TestApp, us: i64) {
    let c = pg(&app.db.url).await;
    c.execute("SELECT ggzy_advance_clock($1, true)", &[&us])
        .await
        .unwrap();
}

/// Moves the sandbox clock through the API (due timers run before it returns); `freeze` stops it.
pub(crate) async fn advance(app: &TestApp, seconds: i64, freeze: Option<bool>) {
    let r = app
        .post(
            "/api/v1/sandbox/clock",
            Some(&app.admin_token),
            json!({"advance_seconds": seconds, "freeze": freeze}),
        )
        .await;
    assert_eq!(r.status(), 200);
}

/// Publishes a tender (its holders are registered), expecting success.
pub(crate) async fn publish(app: &TestApp, w: &World, tender: &str) {
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/publish"),
            Some(&w.agency.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

/// Centre staff confirm every declared bid security of the tender; returns how many.
pub(crate) async fn confirm_security(app: &TestApp, w: &World, tender: &str) -> usize {
    let list: Value = app
        .get(
            &format!("/api/v1/tenders/{tender}/bid-security"),
            Some(&w.center.token),
        )
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    for it in items {
        let r = app
            .post(
                &format!(
                    "/api/v1/tenders/{tender}/bid-security/{}/confirm",
                    it["sid"].as_str().unwrap()
                ),
                Some(&w.center.token),
                json!({}),
            )
            .await;
        assert_eq!(r.status(), 204);
    }
    items.len()
}

/// A member's marks.
pub(crate) async fn score(app: &TestApp, tender: &str, member: &TestUser, items: Vec<Value>) {
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/scores"),
            Some(&member.token),
            json!({"items": items}),
        )
        .await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
}

/// The centre finalises the evaluation; returns the answer.
pub(crate) async fn finalize(app: &TestApp, w: &World, tender: &str) -> Value {
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/evaluation/finalize"),
            Some(&w.center.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

/// Runs the timers that are due (the API call waits for them).
pub(crate) async fn run_timers(app: &TestApp) {
    let r = app
        .post(
            "/api/v1/sandbox/clock",
            Some(&app.admin_token),
            json!({"advance_seconds": 0}),
        )
        .await;
    assert_eq!(r.status(), 200);
}

pub(crate) async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    app.client
        .put(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn world(app: &TestApp, category: &str) -> World {
    let agency = app.user(Role::Agency).await;
    let purchaser = app.user(Role::Purchaser).await;
    let regulator = app.user(Role::Regulator).await;
    let center = app.user(Role::CenterStaff).await;
    let supervisor = app.user(Role::Supervisor).await;
    let r = app
        .post(
            "/api/v1/projects",
            Some(&agency.token),
            json!({"category": category, "title": "市民中心改造工程", "region_code": "440400",
                   // procurement below 10,000,000: a committee of five (87号令 第四十七条)
                   "estimate_amount": if category == "procurement" { "8000000.00" } else { "50000000.00" },
                   "purchaser_org_code": purchaser.org_code}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let project_id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(
            &format!("/api/v1/projects/{project_id}/approval"),
            Some(&regulator.token),
            json!({"decision": "approve", "reason": "依法必须招标", "must_tender": true}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let mut holders = Vec::new();
    for (branch, role) in [
        (Branch::Decide, Role::Regulator),
        (Branch::Execute, Role::CenterStaff),
        (Branch::Supervise, Role::Supervisor),
    ] {
        let holder = app.user(role).await;
        let (identity, recipient) = ggzy::sealing::keys::keygen();
        holders.push((branch, holder, identity, recipient));
    }
    World {
        agency,
        purchaser,
        regulator,
        center,
        supervisor,
        holders,
        project_id,
    }
}

/// Creates a construction tender (综合评估法 0.6/0.3/0.1, maximum price 48,000,000) whose
/// documents start in an hour and whose deadline is `days` later.
pub(crate) async fn create_tender(app: &TestApp, w: &World, days: i64) -> (String, DateTime<Utc>) {
    let evaluation = json!({"method": "comprehensive", "price_weight": "0.6",
                            "technical_weight": "0.3", "commercial_weight": "0.1"});
    create_tender_with(app, w, days, evaluation, json!("48000000.00")).await
}

/// Creates an open tender with the given evaluation settings and maximum price.
pub(crate) async fn create_tender_with(
    app: &TestApp,
    w: &World,
    days: i64,
    evaluation: Value,
    max_price: Value,
) -> (String, DateTime<Utc>) {
    let from = (platform_now(app).await + Duration::hours(1)).trunc_subsecs(0);
    let deadline = from + Duration::days(days);
    let r = app
        .post(
            &format!("/api/v1/projects/{}/tenders", w.project_id),
            Some(&w.agency.token),
            json!({"title": "第一标段", "method": "open_tender", "evaluation": evaluation,
                   "max_price": max_price, "bid_security_amount": "50000.00",
                   "documents_from": from, "documents_until": from + Duration::days(10),
                   "bid_deadline": deadline}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "draft");
    (v["id"].as_str().unwrap().to_string(), deadline)
}

pub(crate) async fn designate_and_register(app: &TestApp, w: &World, tender: &str) {
    let designators = [&w.regulator, &w.center, &w.supervisor];
    for ((branch, holder, _, recipient), by) in w.holders.iter().zip(designators) {
        let b = branch.as_str();
        let r = put(
            app,
            &format!("/api/v1/tenders/{tender}/key-holders/{b}"),
            &by.token,
            json!({"user_id": holder.id}),
        )
        .await;
        assert_eq!(
            r.status(),
            204,
            "designate {b}: {}",
            r.text().await.unwrap()
        );
        // only the designated holder registers the key
        let r = put(
            app,
            &format!("/api/v1/tenders/{tender}/holder-keys/{b}"),
            &by.token,
            json!({"public_key": recipient}),
        )
        .await;
        assert_eq!(r.status(), 403, "{b}");
        let r = put(
            app,
            &format!("/api/v1/tenders/{tender}/holder-keys/{b}"),
            &holder.token,
            json!({"public_key": recipient}),
        )
        .await;
        assert_eq!(r.status(), 204, "register {b}: {}", r.text().await.unwrap());
    }
}

pub(crate) fn recipients(w: &World) -> ggzy::sealing::seal::Recipients {
    let r = |b: Branch| w.holders.iter().find(|h| h.0 == b).unwrap().3.clone();
    ggzy::sealing::seal::Recipients {
        decide: r(Branch::Decide),
        execute: r(Branch::Execute),
        supervise: r(Branch::Supervise),
    }
}

pub(crate) fn sealed_bid(w: &World, tender: &str, org_code: &str, price: &str) -> Vec<u8> {
    sealed_bid_as(w, tender, org_code, price, None)
}

/// A sealed bid declaring (or not) SME status in `fields.sme`.
pub(crate) fn sealed_bid_as(
    w: &World,
    tender: &str,
    org_code: &str,
    price: &str,
    sme: Option<ggzy::sealing::document::Sme>,
) -> Vec<u8> {
    let doc = ggzy::sealing::seal::build_document(
        tender.parse().unwrap(),
        org_code,
        price.parse::<Decimal>().unwrap(),
        Some(365),
        sme,
        json!({"project_manager": "张工"}),
        &[],
    )
    .unwrap();
    ggzy::sealing::seal::seal(tender.parse().unwrap(), &doc, &recipients(w)).unwrap()
}

pub(crate) async fn submit(
    app: &TestApp,
    tender: &str,
    bidder: &TestUser,
    envelope: &[u8],
) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/api/v1/tenders/{tender}/bids/mine")))
        .bearer_auth(&bidder.token)
        .header("content-type", "application/json")
        .header("x-client-fingerprint", format!("fp-{}", bidder.id))
        .body(envelope.to_vec())
        .send()
        .await
        .unwrap()
}

/// Verifies a signed object with nothing but ed25519-dalek, serde_jcs and the published key.
pub(crate) fn verify_outside(obj: &Value, platform_key_b64: &str) {
    assert_eq!(obj["public_key"], platform_key_b64);
    let mut m = obj.as_object().unwrap().clone();
    let sig = B64
        .decode(m.remove("signature").unwrap().as_str().unwrap())
        .unwrap();
    m.remove("public_key");
    let bytes = serde_jcs::to_vec(&Value::Object(m)).unwrap();
    let key: [u8; 32] = B64.decode(platform_key_b64).unwrap().try_into().unwrap();
    VerifyingKey::from_bytes(&key)
        .unwrap()
        .verify(&bytes, &Signature::from_slice(&sig).unwrap())
        .expect("a valid platform signature");
}

pub(crate) async fn holder_shares(
    app: &TestApp,
    tender: &str,
    holder: &(Branch, TestUser, String, String),
    corrupt: bool,
) -> reqwest::Response {
    let (branch, user, identity, _) = holder;
    let r = app
        .get(
            &format!("/api/v1/tenders/{tender}/opening/share-bundles"),
            Some(&user.token),
        )
        .await;
    assert_eq!(r.status(), 200);
    let bundles: Value = r.json().await.unwrap();
    let mut shares = Vec::new();
    for item in bundles["items"].as_array().unwrap() {
        let bundle = B64.decode(item["bundle"].as_str().unwrap()).unwrap();
        let pieces =
            ggzy::sealing::open::bundle_pieces(&bundle, identity, *branch, tender.parse().unwrap())
                .unwrap();
        let mut out = BTreeMap::new();
        for (n, mut bytes) in pieces {
            if corrupt {
                bytes[0] ^= 0x55;
            }
            out.insert(n.to_string(), B64.encode(bytes));
        }
        shares.push(json!({"bid_id": item["bid_id"], "pieces": out}));
    }
    app.post(
        &format!("/api/v1/tenders/{tender}/opening/shares"),
        Some(&user.token),
        json!({"shares": shares}),
    )
    .await
}

#[tokio::test]
async fn construction_tender_end_to_end_with_real_sealing_and_a_drawn_committee() {
    let app = TestApp::spawn().await;
    construction_end_to_end(&app).await;
}

/// The whole construction tender from publication to award and filing, on the platform clock
/// as it stands (rules_calendar.rs runs it across the new year).
// the body is the test's as it was (`&app` on a reference): an unchanged body merges easily
#[allow(clippy::needless_borrow)]
pub(crate) async fn construction_end_to_end(app: &TestApp) {
    let w = world(app, "construction").await;

    // 19 days between documents and deadline for a 依法必须招标 project → 422 citing ZTB 24
    let (short, _) = create_tender(&app, &w, 19).await;
    designate_and_register(&app, &w, &short).await;
    let r = app
        .post(
            &format!("/api/v1/tenders/{short}/publish"),
            Some(&w.agency.token),
            json!({}),
        )
        .await;
    let status = r.status();
    let p: Value = r.json().await.unwrap();
    assert_eq!(status, 422, "{p}");
    let violations = p["violations"].as_array().unwrap();
    assert!(
        violations
            .iter()
            .any(|v| v["citation"] == "招标投标法 第二十四条" && v["rule"] == "ztb.bid_period_min"),
        "{p}"
    );

    // a tender without its three holders cannot be published
    let (tender, deadline) = create_tender(&app, &w, 25).await;
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/publish"),
            Some(&w.agency.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "key_holders_missing"
    );
    designate_and_register(&app, &w, &tender).await;
    let r = app.post(&format!("/api/v1/tenders/{tender}/files"), Some(&w.agency.token),
        json!({"name": "招标文件.pdf", "media_type": "application/pdf", "content": B64.encode(b"%PDF-1.7 tender documents")})).await;
    assert_eq!(r.status(), 201);
    // drafts are not public
    assert_eq!(
        app.get(&format!("/api/v1/tenders/{tender}"), None)
            .await
            .status(),
        404
    );
    publish(&app, &w, &tender).await;
    let t: Value = app
        .get(&format!("/api/v1/tenders/{tender}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["status"], "bidding");
    assert_eq!(t["sealing"]["format"], "ggzy-sealed-bid/1");
    assert_eq!(t["sealing"]["recipients"]["decide"], json!(w.holders[0].3));
    assert!(t["server_time"].is_string());
    // after publication the keys are fixed
    let r = put(
        &app,
        &format!("/api/v1/tenders/{tender}/holder-keys/decide"),
        &w.holders[0].1.token,
        json!({"public_key": ggzy::sealing::keys::keygen().1}),
    )
    .await;
    assert_eq!(r.status(), 409);

    // five bidders obtain the documents, declare security and seal their bids
    advance(&app, 7200, Some(true)).await;
    let prices = [
        "45000000.00",
        "44200000.00",
        "46100000.00",
        "43900000.00",
        "47000000.00",
    ];
    let mut bidders = Vec::new();
    for _ in 0..5 {
        bidders.push(app.user(Role::Bidder).await);
    }
    let platform_key: Value = app
        .get("/api/v1/keys/platform", None)
        .await
        .json()
        .await
        .unwrap();
    let platform_key = platform_key["public_key"].as_str().unwrap().to_string();
    let mut receipts = Vec::new();
    for (b, price) in bidders.iter().zip(prices) {
        let r = app
            .post(
                &format!("/api/v1/tenders/{tender}/documents"),
                Some(&b.token),
                json!({}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let r = app.post(&format!("/api/v1/tenders/{tender}/bid-security"), Some(&b.token),
            json!({"amount": "50000.00", "payer_account": format!("6222{}", &b.id.simple().to_string()[..12]),
                   "payer_bank": "中国银行", "reference": "BZJ", "paid_at": Utc::now()})).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let envelope = sealed_bid(&w, &tender, b.org_code.as_deref().unwrap(), price);
        let r = submit(&app, &tender, b, &envelope).await;
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        verify_outside(&v["receipt"], &platform_key);
        // the receipt is public by id, exactly as signed
        let again: Value = app
            .get(
                &format!("/api/v1/receipts/{}", v["receipt"]["id"].as_str().unwrap()),
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(again, v["receipt"]);
        receipts.push(v["receipt"].clone());
    }
    // plaintext is refused; a known payload is refused; nobody reads bundles before the deadline
    let r = submit(
        &app,
        &tender,
        &bidders[0],
        br#"{"tender_id":"x","price":"1.00"}"#,
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "not_sealed");
    let r = app
        .get(
            &format!("/api/v1/tenders/{tender}/opening/share-bundles"),
            Some(&w.holders[1].1.token),
        )
        .await;
    assert_eq!(r.status(), 409);
    for token in [
        &w.regulator.token,
        &w.center.token,
        &w.supervisor.token,
        &w.agency.token,
        &app.admin_token,
    ] {
        let r = app
            .get(
                &format!("/api/v1/tenders/{tender}/opening/share-bundles"),
                Some(token),
            )
            .await;
        assert!(matches!(r.status().as_u16(), 403 | 409), "{}", r.status());
        assert_eq!(
            app.get(&format!("/api/v1/tenders/{tender}/opening"), Some(token))
                .await
                .status(),
            404
        );
    }
    // a resubmission replaces the bid and counts up; an Idempotency-Key repeat returns the same receipt
    let resubmitted = sealed_bid(
        &w,
        &tender,
        bidders[4].org_code.as_deref().unwrap(),
        "42800000.00",
    );
    let send = || {
        app.client
            .put(app.url(&format!("/api/v1/tenders/{tender}/bids/mine")))
            .bearer_auth(&bidders[4].token)
            .header("content-type", "application/json")
            .header("idempotency-key", "resubmit-1")
            .body(resubmitted.clone())
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    let second: Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(first, second);
    assert_eq!(first["receipt"]["submission_no"], 2);
    let r = app
        .client
        .put(app.url(&format!("/api/v1/tenders/{tender}/bids/mine")))
        .bearer_auth(&bidders[4].token)
        .header("content-type", "application/json")
        .header("idempotency-key", "resubmit-1")
        .body(sealed_bid(
            &w,
            &tender,
            bidders[4].org_code.as_deref().unwrap(),
            "1.00",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "idempotency_key_reused"
    );
    let r = submit(&app, &tender, &bidders[4], &resubmitted).await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "duplicate_envelope"
    );

    // 1 ms before the deadline: accepted; 1 ms after: refused
    let late_bidder = app.user(Role::Bidder).await;
    let now = platform_now(&app).await;
    advance_us(&app, (deadline - now).num_microseconds().unwrap() - 1000).await;
    let just_in = sealed_bid(
        &w,
        &tender,
        late_bidder.org_code.as_deref().unwrap(),
        "49000000.00",
    );
    let r = submit(&app, &tender, &late_bidder, &just_in).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let just_in_receipt: Value = r.json().await.unwrap();
    advance_us(&app, 2000).await;
    let too_late = app.user(Role::Bidder).await;
    let r = submit(
        &app,
        &tender,
        &too_late,
        &sealed_bid(
            &w,
            &tender,
            too_late.org_code.as_deref().unwrap(),
            "40000000.00",
        ),
    )
    .await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "deadline_passed");

    // the closing manifest: signed, every final envelope, before anything is decrypted
    run_timers(&app).await;
    let manifest: Value = app
        .get(&format!("/api/v1/tenders/{tender}/closing-manifest"), None)
        .await
        .json()
        .await
        .unwrap();
    verify_outside(&manifest, &platform_key);
    let listed: Vec<&str> = manifest["bids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["envelope_sha256"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), 6);
    for r in receipts
        .iter()
        .take(4)
        .chain([&first["receipt"], &just_in_receipt["receipt"]])
    {
        assert!(
            listed.contains(&r["envelope_sha256"].as_str().unwrap()),
            "receipted bid missing"
        );
    }
    // the replaced envelope is not in it
    assert!(!listed.contains(&receipts[4]["envelope_sha256"].as_str().unwrap()));
    let t: Value = app
        .get(&format!("/api/v1/tenders/{tender}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["status"], "closed");

    // one holder's pieces open nothing
    let r = holder_shares(&app, &tender, &w.holders[0], false).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["waiting"], 6);
    assert_eq!(
        app.get(&format!("/api/v1/tenders/{tender}/opening"), None)
            .await
            .status(),
        404
    );
    let c = pg(&app.db.url).await;
    let opened: i64 = c
        .query_one("SELECT count(*) FROM bids WHERE status <> 'sealed'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(opened, 0);
    // a corrupted piece from the second holder is caught by the shared-piece comparison
    let r = holder_shares(&app, &tender, &w.holders[1], true).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["waiting"], 6);
    // the third holder completes the opening
    let r = holder_shares(&app, &tender, &w.holders[2], false).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["waiting"], 0);
    assert_eq!(v["status"], "evaluation");
    let record: Value = app
        .get(&format!("/api/v1/tenders/{tender}/opening"), None)
        .await
        .json()
        .await
        .unwrap();
    let bids = record["bids"].as_array().unwrap();
    assert_eq!(bids.len(), 6);
    assert!(bids.iter().all(|b| b["status"] == "opened"), "{record}");
    let mut got: Vec<&str> = bids.iter().map(|b| b["price"].as_str().unwrap()).collect();
    got.sort();
    let mut want = vec![
        "45000000.00",
        "44200000.00",
        "46100000.00",
        "43900000.00",
        "42800000.00",
        "49000000.00",
    ];
    want.sort();
    assert_eq!(got, want);
    let by_org: BTreeMap<&str, &str> = bids
        .iter()
        .map(|b| {
            (
                b["org_code"].as_str().unwrap(),
                b["price"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by_org[bidders[1].org_code.as_deref().unwrap()],
        "44200000.00"
    );

    // holders reveal their identities after the opening; a wrong identity is refused
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/opening/holder-identity"),
            Some(&w.holders[0].1.token),
            json!({"identity": ggzy::sealing::keys::keygen().0}),
        )
        .await;
    assert_eq!(r.status(), 422);
    for h in &w.holders {
        let r = app
            .post(
                &format!("/api/v1/tenders/{tender}/opening/holder-identity"),
                Some(&h.1.token),
                json!({"identity": h.2}),
            )
            .await;
        assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    }
    evaluate_award_and_file(&app, &w, &tender, &bidders).await;
    // the result is mailed to every bidder (the file transport, the embedded default)
    let mut all: Vec<Uuid> = bidders.iter().map(|b| b.id).collect();
    all.push(late_bidder.id);
    crate::mail::assert_award_mailed(&app, &tender, &all).await;
}

/// The regulator's pool (eight experts of `specialty`, two economic), the witnessed draw of four
/// (one economic) with the supervisor's contribution, and the tenderer's representative.
pub(crate) async fn draw_committee(
    app: &TestApp,
    w: &World,
    tender: &str,
    specialty: &str,
) -> (Vec<TestUser>, String) {
    let mut experts = Vec::new();
    for i in 0..8 {
        let e = app.user(Role::Expert).await;
        let r = app.post("/api/v1/experts", Some(&w.regulator.token),
            json!({"user_id": e.id, "specialties": [specialty], "employer_org_code": crate::helpers::org_code(),
                   "economic": i < 2})).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        experts.push(e);
    }
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/committee/draw"),
            Some(&w.center.token),
            json!({"size": 4, "economic": 1, "specialties": [specialty]}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let draw: Value = r.json().await.unwrap();
    assert_eq!(draw["status"], "awaiting_contribution");
    let contribution = "5a".repeat(32);
    let r = app
        .post(
            &format!(
                "/api/v1/committee-draws/{}/contribution",
                draw["draw_id"].as_str().unwrap()
            ),
            Some(&w.supervisor.token),
            json!({"random": contribution}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/committee/representatives"),
            Some(&w.agency.token),
            json!({"user_id": w.purchaser.id}),
        )
        .await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    // members learn it from their own list; the committee stays secret to the public
    assert_eq!(
        app.get(&format!("/api/v1/tenders/{tender}/committee"), None)
            .await
            .status(),
        404
    );
    (experts, contribution)
}

/// The experts of `experts` who sit on the tender's committee now.
pub(crate) async fn sitting_experts<'a>(
    app: &TestApp,
    experts: &'a [TestUser],
    tender: &str,
) -> Vec<&'a TestUser> {
    let mut sitting = Vec::new();
    for e in experts {
        let mine: Value = app
            .get("/api/v1/me/committees", Some(&e.token))
            .await
            .json()
            .await
            .unwrap();
        if mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["tender_id"] == tender)
        {
            sitting.push(e);
        }
    }
    sitting
}

/// Committee of five (four drawn experts, one redrawn after a conflict, plus the tenderer's
/// representative), 综合评估法 with hand-computed totals, publicity, one objection and its reply,
/// award, contract and filing.
async fn evaluate_award_and_file(app: &TestApp, w: &World, tender: &str, bidders: &[TestUser]) {
    // bid security arrives for the five first bidders (the late one never paid)
    assert_eq!(confirm_security(app, w, tender).await, 5);
    let (experts, contribution) = draw_committee(app, w, tender, "房屋建筑").await;
    let mut sitting = sitting_experts(app, &experts, tender).await;
    assert_eq!(sitting.len(), 4);
    // the first member has a conflict: replaced by a redraw
    let conflicted = sitting.remove(0);
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/committee/declarations"),
            Some(&conflicted.token),
            json!({"conflict": true, "detail": "近三年曾在投标人处任职"}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(r.json::<Value>().await.unwrap()["replaced"], true);
    let sitting = sitting_experts(app, &experts, tender).await;
    assert!(!sitting.iter().any(|s| s.id == conflicted.id));
    assert_eq!(sitting.len(), 4, "a replacement was drawn");
    let mut members: Vec<&TestUser> = sitting.clone();
    members.push(&w.purchaser);
    // scoring before declaring is refused
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/scores"),
            Some(&members[0].token),
            json!({"items": []}),
        )
        .await;
    assert_eq!(r.status(), 409);
    for m in &members {
        let r = app
            .post(
                &format!("/api/v1/tenders/{tender}/committee/declarations"),
                Some(&m.token),
                json!({"conflict": false}),
            )
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
    // bids by bidder: A=bidders[0] 45.0M, B=[1] 44.2M, C=[2] 46.1M, D=[3] 43.9M, E=[4] 42.8M
    // (resubmitted), F = the late bidder 49.0M (above the 48.0M maximum, no security)
    let record: Value = app
        .get(&format!("/api/v1/tenders/{tender}/opening"), None)
        .await
        .json()
        .await
        .unwrap();
    let bid_of = |org: &str| -> String {
        record["bids"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["org_code"] == org)
            .unwrap()["bid_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let letters: Vec<String> = bidders
        .iter()
        .map(|b| bid_of(b.org_code.as_deref().unwrap()))
        .collect();
    let f_bid = record["bids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["bid_id"].as_str().unwrap().to_string())
        .find(|id| !letters.contains(id))
        .unwrap();
    let technical = [90, 85, 95, 80, 70];
    for (mi, m) in members.iter().enumerate() {
        let mut items: Vec<Value> = letters.iter().enumerate().map(|(i, bid)| {
            // one member (the representative) scores B's technical part 95 instead of 85
            let t = if i == 1 && mi == members.len() - 1 { 95 } else { technical[i] };
            json!({"bid_id": bid, "compliant": true, "technical": t.to_string(), "commercial": "80"})
        }).collect();
        items.push(
            json!({"bid_id": f_bid, "compliant": true, "technical": "60", "commercial": "60"}),
        );
        score(app, tender, m, items).await;
    }
    let fin = finalize(app, w, tender).await;
    assert_eq!(fin["status"], "publicity");
    // By hand (基准价 = E's 42,800,000, the lowest compliant price; price score = 基准价/报价×100;
    // total = 0.6·price + 0.3·technical + 0.1·commercial, mean of the five members, 2 places):
    //   A: 0.6×95.1111… + 27 + 8           = 92.0667 → 92.07
    //   B: 0.6×96.8326… + 25.5 + 8 (+3/5)  = 92.1995 → 92.20  (one member gave 95: +0.3×10/5)
    //   C: 0.6×92.8416… + 28.5 + 8         = 92.2050 → 92.20  (tie with B: lower price first)
    //   D: 0.6×97.4943… + 24 + 8           = 90.4966 → 90.50
    //   E: 60 + 21 + 8                     = 89.00
    //   F: rejected (above the maximum price, no confirmed security)
    let cands = fin["candidates"].as_array().unwrap();
    let got: Vec<(String, String)> = cands
        .iter()
        .map(|c| {
            (
                c["bid_id"].as_str().unwrap().to_string(),
                c["score"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (letters[1].clone(), "92.20".to_string()),
            (letters[2].clone(), "92.20".to_string()),
            (letters[0].clone(), "92.07".to_string()),
        ]
    );
    let ranking = &fin["ranking"]["items"];
    let f = ranking
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["bid_id"] == f_bid)
        .unwrap();
    assert_eq!(f["rank"], Value::Null);
    assert!(!f["reasons"].as_array().unwrap().is_empty());
    let public: Value = app
        .get(&format!("/api/v1/tenders/{tender}/candidates"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(public["items"][0]["bid_id"], json!(letters[1]));
    // scores are locked
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/scores"),
            Some(&members[0].token),
            json!({"items": []}),
        )
        .await;
    assert_eq!(r.status(), 409);

    // C objects to the result during the publicity
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/objections"),
            Some(&bidders[2].token),
            json!({"stage": "result", "text": "对评分结果有异议：技术分计算有误"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let objection: Value = r.json().await.unwrap();
    let award = json!({"bid_id": letters[1]});
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/award"),
            Some(&w.agency.token),
            award.clone(),
        )
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "publicity_running"
    );
    // past the publicity's end as the platform counted it (issue 14: a fixed 5 days fell short
    // when the publicity crossed 元旦 and its possible bridging day)
    let ends: DateTime<Utc> = serde_json::from_value(fin["publicity_ends_at"].clone()).unwrap();
    advance(
        app,
        (ends - platform_now(app).await).num_seconds() + 60,
        None,
    )
    .await;
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/award"),
            Some(&w.agency.token),
            award.clone(),
        )
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "objection_pending"
    );
    let r = app
        .post(
            &format!(
                "/api/v1/objections/{}/reply",
                objection["id"].as_str().unwrap()
            ),
            Some(&w.agency.token),
            json!({"text": "经复核，评分无误"}),
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/award"),
            Some(&w.agency.token),
            json!({"bid_id": f_bid}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/award"),
            Some(&w.agency.token),
            award,
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let notice: Value = r.json().await.unwrap();
    assert_eq!(notice["price"], "44200000.00");
    let r = app.post(&format!("/api/v1/tenders/{tender}/contract"), Some(&w.agency.token),
        json!({"signed_at": platform_now(app).await, "amount": "44200000.00", "document_sha256": "ab".repeat(32)})).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/filing"),
            Some(&w.regulator.token),
            json!({"note": "备案"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let t: Value = app
        .get(&format!("/api/v1/tenders/{tender}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["status"], "filed");

    // anyone can re-run the draw from what is published
    let c: Value = app
        .get(&format!("/api/v1/tenders/{tender}/committee"), None)
        .await
        .json()
        .await
        .unwrap();
    let d = &c["draw"];
    assert_eq!(d["contribution"], contribution);
    let seed: [u8; 32] = hex::decode(d["seed"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    assert_eq!(
        ggzy::evaluation::committee::seed_commitment(&seed),
        d["seed_commitment"].as_str().unwrap()
    );
    let pool: Vec<ggzy::evaluation::committee::PoolExpert> =
        serde_json::from_value(d["pool_snapshot"].clone()).unwrap();
    assert_eq!(
        ggzy::evaluation::committee::pool_snapshot_hash(&pool),
        d["pool_snapshot_hash"].as_str().unwrap()
    );
    let request = ggzy::evaluation::committee::DrawRequest {
        size_experts: 4,
        economic: 1,
        specialties: vec!["房屋建筑".into()],
        excluded_org_codes: serde_json::from_value(d["excluded_org_codes"].clone()).unwrap(),
        excluded_users: vec![],
    };
    let contribution: [u8; 32] = hex::decode(&contribution).unwrap().try_into().unwrap();
    let first = ggzy::evaluation::committee::draw(&seed, &contribution, &pool, &request).unwrap();
    assert!(
        first.contains(&conflicted.id),
        "the published inputs give the first draw"
    );
    let again = ggzy::evaluation::committee::redraw(
        &seed,
        &contribution,
        &pool,
        &request,
        &[conflicted.id],
    )
    .unwrap();
    let mut want: Vec<Uuid> = sitting.iter().map(|s| s.id).collect();
    want.sort();
    let mut again_sorted = again.clone();
    again_sorted.sort();
    assert_eq!(
        again_sorted, want,
        "the published inputs give the committee that sat"
    );
}

#[tokio::test]
async fn bids_racing_the_closing_are_either_in_the_manifest_or_refused() {
    let app = TestApp::spawn().await;
    let w = world(&app, "construction").await;
    let (tender, deadline) = create_tender(&app, &w, 25).await;
    designate_and_register(&app, &w, &tender).await;
    publish(&app, &w, &tender).await;
    let mut bidders = Vec::new();
    for _ in 0..8 {
        bidders.push(app.user(Role::Bidder).await);
    }
    // stop 200 ms before the deadline; the clock then runs in real time through it
    let now = platform_now(&app).await;
    advance_us(&app, (deadline - now).num_microseconds().unwrap() - 200_000).await;
    let c = pg(&app.db.url).await;
    c.execute("SELECT ggzy_advance_clock(0, false)", &[])
        .await
        .unwrap();
    let envelopes: Vec<Vec<u8>> = bidders
        .iter()
        .map(|b| sealed_bid(&w, &tender, b.org_code.as_deref().unwrap(), "41000000.00"))
        .collect();
    let mut tasks = Vec::new();
    for (i, (b, e)) in bidders.iter().zip(envelopes).enumerate() {
        let client = app.client.clone();
        let url = app.url(&format!("/api/v1/tenders/{tender}/bids/mine"));
        let token = b.token.clone();
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(30 * i as u64)).await;
            let r = client
                .put(url)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(e)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        }));
    }
    // the closing job races them
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    run_timers(&app).await;
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    run_timers(&app).await;
    let manifest: Value = app
        .get(&format!("/api/v1/tenders/{tender}/closing-manifest"), None)
        .await
        .json()
        .await
        .unwrap();
    let listed: Vec<String> = manifest["bids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["envelope_sha256"].as_str().unwrap().to_string())
        .collect();
    let mut accepted = 0;
    for (status, body) in &results {
        match status {
            201 => {
                accepted += 1;
                assert!(
                    listed.contains(
                        &body["receipt"]["envelope_sha256"]
                            .as_str()
                            .unwrap()
                            .to_string()
                    ),
                    "receipted but missing"
                );
            }
            409 => assert_eq!(body["code"], "deadline_passed"),
            s => panic!("unexpected {s}: {body}"),
        }
    }
    assert_eq!(
        listed.len(),
        accepted,
        "the manifest holds exactly the receipted bids"
    );
}
