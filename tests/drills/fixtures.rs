//! The few API steps the drills need (a tender with its three key holders, an auction lot with
//! qualified bidders, the sandbox clock), trimmed from the api suite's helpers.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use ggzy::roles::Role;
use ggzy::sealing::pieces::Branch;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, pg};

/// The parties around a tender: agency, the three branches' designators and key holders
/// (branch, holder, identity, recipient).
pub struct World {
    pub agency: TestUser,
    pub regulator: TestUser,
    pub center: TestUser,
    pub supervisor: TestUser,
    pub holders: Vec<(Branch, TestUser, String, String)>,
    pub project_id: String,
}

/// The platform clock (`ggzy_now()`).
pub async fn platform_now(app: &TestApp) -> DateTime<Utc> {
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

/// Moves the frozen platform clock to `t`.
pub async fn clock_to(app: &TestApp, t: DateTime<Utc>) {
    let now = platform_now(app).await;
    let us = (t - now).num_microseconds().unwrap();
    assert!(us >= 0, "the clock never goes back");
    pg(&app.db.url)
        .await
        .execute("SELECT ggzy_advance_clock($1, true)", &[&us])
        .await
        .unwrap();
}

/// Moves the sandbox clock through the API (due timers run before it answers), frozen.
pub async fn advance(app: &TestApp, seconds: i64) {
    let r = app
        .post(
            "/api/v1/sandbox/clock",
            Some(&app.admin_token),
            json!({"advance_seconds": seconds, "freeze": true}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

/// Runs the timers that are due.
pub async fn run_timers(app: &TestApp) {
    advance(app, 0).await;
}

/// `PUT` with a bearer token.
pub async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    app.client
        .put(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// An approved construction project and the tender's parties.
pub async fn world(app: &TestApp) -> World {
    let agency = app.user(Role::Agency).await;
    let purchaser = app.user(Role::Purchaser).await;
    let regulator = app.user(Role::Regulator).await;
    let center = app.user(Role::CenterStaff).await;
    let supervisor = app.user(Role::Supervisor).await;
    let r = app
        .post(
            "/api/v1/projects",
            Some(&agency.token),
            json!({"category": "construction", "title": "演练工程", "region_code": "440400",
                   "estimate_amount": "50000000.00", "purchaser_org_code": purchaser.org_code}),
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
        regulator,
        center,
        supervisor,
        holders,
        project_id,
    }
}

/// A published open tender (documents from an hour on, deadline 25 days later) with its three
/// holders' keys registered; returns its id and deadline.
pub async fn published_tender(app: &TestApp, w: &World) -> (String, DateTime<Utc>) {
    let from = (platform_now(app).await + Duration::hours(1)).trunc_subsecs(0);
    let deadline = from + Duration::days(25);
    let r = app
        .post(
            &format!("/api/v1/projects/{}/tenders", w.project_id),
            Some(&w.agency.token),
            json!({"title": "演练标段", "method": "open_tender",
                   "evaluation": {"method": "comprehensive", "price_weight": "0.6",
                                  "technical_weight": "0.3", "commercial_weight": "0.1"},
                   "max_price": "48000000.00", "bid_security_amount": "50000.00",
                   "documents_from": from, "documents_until": from + Duration::days(10),
                   "bid_deadline": deadline}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let tender = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
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
        assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
        let r = put(
            app,
            &format!("/api/v1/tenders/{tender}/holder-keys/{b}"),
            &holder.token,
            json!({"public_key": recipient}),
        )
        .await;
        assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    }
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/publish"),
            Some(&w.agency.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    (tender, deadline)
}

/// The three holders' recipients.
pub fn recipients(w: &World) -> ggzy::sealing::seal::Recipients {
    let r = |b: Branch| w.holders.iter().find(|h| h.0 == b).unwrap().3.clone();
    ggzy::sealing::seal::Recipients {
        decide: r(Branch::Decide),
        execute: r(Branch::Execute),
        supervise: r(Branch::Supervise),
    }
}

/// A bid sealed for the tender's holders with real age encryption.
pub fn sealed_bid(
    recipients: &ggzy::sealing::seal::Recipients,
    tender: &str,
    org_code: &str,
    price: Decimal,
) -> Vec<u8> {
    let doc = ggzy::sealing::seal::build_document(
        tender.parse().unwrap(),
        org_code,
        price,
        Some(365),
        None,
        json!({"project_manager": "张工"}),
        &[],
    )
    .unwrap();
    ggzy::sealing::seal::seal(tender.parse().unwrap(), &doc, recipients).unwrap()
}

/// A holder decrypts its pieces of every bundle and hands them in.
pub async fn holder_shares(
    app: &TestApp,
    tender: &str,
    holder: &(Branch, TestUser, String, String),
) -> Value {
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
        let out: BTreeMap<String, String> = pieces
            .into_iter()
            .map(|(n, bytes)| (n.to_string(), B64.encode(bytes)))
            .collect();
        shares.push(json!({"bid_id": item["bid_id"], "pieces": out}));
    }
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/opening/shares"),
            Some(&user.token),
            json!({"shares": shares}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

/// A published 网络竞价 property lot (free bidding two hours, then 30 s countdowns) with a
/// reserve, and `n` qualified bidders (user, bidder number); returns (lot, starts_at, bidders).
pub async fn property_lot(
    app: &TestApp,
    reserve: &str,
    n: usize,
) -> (String, DateTime<Utc>, Vec<(TestUser, String)>) {
    let agency = app.user(Role::Agency).await;
    let purchaser = app.user(Role::Purchaser).await;
    let regulator = app.user(Role::Regulator).await;
    let center = app.user(Role::CenterStaff).await;
    let r = app
        .post(
            "/api/v1/projects",
            Some(&agency.token),
            json!({"category": "property", "title": "演练产权转让", "region_code": "440400",
                   "estimate_amount": "100000000.00", "purchaser_org_code": purchaser.org_code}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let project = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(
            &format!("/api/v1/projects/{project}/approval"),
            Some(&regulator.token),
            json!({"decision": "approve", "reason": "同意转让", "must_tender": false}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let t = platform_now(app).await + Duration::seconds(60);
    let announce = DateTime::from_timestamp(t.timestamp(), 0).unwrap();
    let starts_at = announce + Duration::days(45);
    let r = app
        .post(
            &format!("/api/v1/projects/{project}/auctions"),
            Some(&agency.token),
            json!({"format": "online_multi_round", "start_price": "5000000.00", "increment": "10000.00",
                   "deposit_amount": "500000.00", "announcement_at": announce, "starts_at": starts_at,
                   "free_bidding_until": starts_at + Duration::hours(2), "countdown_seconds": 30}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(
            &format!("/api/v1/auctions/{id}/publish"),
            Some(&agency.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = put(
        app,
        &format!("/api/v1/auctions/{id}/reserve-price"),
        &regulator.token,
        json!({"amount": reserve}),
    )
    .await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    advance(app, 120).await;
    let mut bidders = Vec::new();
    for _ in 0..n {
        let b = app.user(Role::Bidder).await;
        let r = app
            .post(
                &format!("/api/v1/auctions/{id}/registrations"),
                Some(&b.token),
                json!({}),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let rid = r.json::<Value>().await.unwrap()["registration_id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = app
            .post(&format!("/api/v1/auctions/{id}/registrations/{rid}/deposit"), Some(&center.token),
                json!({"payer_account": format!("6217{}", &b.id.simple().to_string()[..12]), "reference": "BZJ"}))
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let number = r.json::<Value>().await.unwrap()["bidder_number"]
            .as_str()
            .unwrap()
            .to_string();
        bidders.push((b, number));
    }
    (id, starts_at, bidders)
}
