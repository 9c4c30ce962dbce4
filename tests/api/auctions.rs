//! Land and property auctions through the real API: 拍卖 with a reserve that is met, 挂牌 that ends
//! on site, 挂牌 below reserve, property 网络竞价 with restarting countdowns, the close under the
//! platform clock, a restart mid-auction, 200 concurrent bidders, the live hall over a real
//! WebSocket, and secrecy of the reserve and of the bidders before the close.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use ggzy::roles::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, pg};
use crate::tendering::{advance, platform_now, put, run_timers};

pub(crate) struct Lot {
    pub(crate) id: String,
    pub(crate) agency: TestUser,
    pub(crate) regulator: TestUser,
    pub(crate) center: TestUser,
    pub(crate) starts_at: DateTime<Utc>,
}

/// An approved project of `category`, a published lot, `reserve` set by the regulator.
pub(crate) async fn lot(
    app: &TestApp,
    category: &str,
    body: impl Fn(DateTime<Utc>) -> Value,
    reserve: Option<&str>,
) -> Lot {
    let agency = app.user(Role::Agency).await;
    let purchaser = app.user(Role::Purchaser).await;
    let regulator = app.user(Role::Regulator).await;
    let center = app.user(Role::CenterStaff).await;
    let r = app
        .post("/api/v1/projects", Some(&agency.token),
            json!({"category": category, "title": "A-2026-17号地块国有建设用地使用权", "region_code": "440400",
                   "estimate_amount": "100000000.00", "purchaser_org_code": purchaser.org_code}))
        .await;
    let project = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(
            &format!("/api/v1/projects/{project}/approval"),
            Some(&regulator.token),
            json!({"decision": "approve", "reason": "同意出让", "must_tender": false}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let announce = (platform_now(app).await + Duration::seconds(60)).with_nanosecond0();
    let b = body(announce);
    let starts_at: DateTime<Utc> = serde_json::from_value(b["starts_at"].clone()).unwrap();
    let r = app
        .post(
            &format!("/api/v1/projects/{project}/auctions"),
            Some(&agency.token),
            b,
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
    if let Some(amount) = reserve {
        let r = put(
            app,
            &format!("/api/v1/auctions/{id}/reserve-price"),
            &regulator.token,
            json!({"amount": amount}),
        )
        .await;
        assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    }
    Lot {
        id,
        agency,
        regulator,
        center,
        starts_at,
    }
}

trait Whole {
    fn with_nanosecond0(self) -> Self;
}
impl Whole for DateTime<Utc> {
    fn with_nanosecond0(self) -> Self {
        DateTime::from_timestamp(self.timestamp(), 0).unwrap()
    }
}

/// `n` bidders registered and qualified (after the announcement).
pub(crate) async fn qualified(app: &TestApp, lot: &Lot, n: usize) -> Vec<(TestUser, String)> {
    let mut out = Vec::new();
    for _ in 0..n {
        let b = app.user(Role::Bidder).await;
        let r = app
            .post(
                &format!("/api/v1/auctions/{}/registrations", lot.id),
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
            .post(&format!("/api/v1/auctions/{}/registrations/{rid}/deposit", lot.id), Some(&lot.center.token),
                json!({"payer_account": format!("6217{}", &b.id.simple().to_string()[..12]), "reference": "BZJ"}))
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let number = r.json::<Value>().await.unwrap()["bidder_number"]
            .as_str()
            .unwrap()
            .to_string();
        out.push((b, number));
    }
    out
}

pub(crate) async fn bid(app: &TestApp, lot: &str, who: &TestUser, amount: &str) -> (u16, Value) {
    let r = app
        .post(
            &format!("/api/v1/auctions/{lot}/bids"),
            Some(&who.token),
            json!({"amount": amount}),
        )
        .await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

/// Moves the frozen platform clock to `t` (microseconds precise).
pub(crate) async fn clock_to(app: &TestApp, t: DateTime<Utc>) {
    let now = platform_now(app).await;
    let c = pg(&app.db.url).await;
    let us = (t - now).num_microseconds().unwrap();
    assert!(us >= 0, "the clock never goes back");
    c.execute("SELECT ggzy_advance_clock($1, true)", &[&us])
        .await
        .unwrap();
}

pub(crate) fn english(announce: DateTime<Utc>) -> Value {
    json!({"format": "english", "start_price": "1000000.00", "increment": "50000.00", "deposit_amount": "200000.00",
           "announcement_at": announce, "starts_at": announce + Duration::days(26), "countdown_seconds": 60})
}

async fn result(app: &TestApp, lot: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/auctions/{lot}/result"), None)
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn land_auction_with_four_bidders_meets_its_reserve_and_the_hall_sees_every_bid() {
    let app = TestApp::spawn().await;
    // an announcement 19 days ahead is refused (招拍挂规定 第十条)
    let short = |a: DateTime<Utc>| {
        let mut b = english(a);
        b["starts_at"] = json!(a + Duration::days(19));
        b
    };
    let l = lot(&app, "land", english, Some("1300000.00")).await;
    let r = app
        .post(
            &format!("/api/v1/projects/{}/auctions", project_of(&app, &l).await),
            Some(&l.agency.token),
            short(platform_now(&app).await + Duration::seconds(60)),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.json::<Value>().await.unwrap()["violations"][0]["citation"],
        "招标拍卖挂牌出让国有建设用地使用权规定 第十条"
    );

    // the lot shows the hall it takes place in
    let r = app
        .post(
            "/api/v1/venues",
            Some(&l.center.token),
            json!({"name": "拍卖大厅", "kind": "auction_hall"}),
        )
        .await;
    let hall = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(
            &format!("/api/v1/venues/{hall}/bookings"),
            Some(&l.center.token),
            json!({"subject_type": "auction", "subject_id": l.id, "kind": "auction",
                   "starts_at": l.starts_at, "ends_at": l.starts_at + Duration::hours(3)}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let s: Value = app
        .get(&format!("/api/v1/auctions/{}", l.id), Some(&l.agency.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["venues"][0]["venue"], "拍卖大厅");
    advance(&app, 120, Some(true)).await;
    let bidders = qualified(&app, &l, 4).await;
    let outsider = app.user(Role::Bidder).await;
    let (s, v) = bid(&app, &l.id, &bidders[0].0, "1000000.00").await;
    assert_eq!(
        (s, v["code"].as_str().unwrap()),
        (409, "auction_not_started")
    );

    // the hall: a watcher with a WebSocket before the start
    let ws_url = format!(
        "{}/api/v1/auctions/{}/live?access_token={}",
        app.base.replace("http", "ws"),
        l.id,
        outsider.token
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url)
        .await
        .expect("the hall");
    let first: Value = next_json(&mut ws).await;
    assert_eq!(first["type"], "state");
    assert_eq!(first["status"], "scheduled");

    clock_to(&app, l.starts_at + Duration::seconds(1)).await;
    run_timers(&app).await;
    let plan = [
        (0, "1000000.00"),
        (1, "1100000.00"),
        (2, "1150000.00"),
        (3, "1300000.00"),
        (0, "1400000.00"),
    ];
    for (i, amount) in plan {
        let (s, v) = bid(&app, &l.id, &bidders[i].0, amount).await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(v["amount"], amount);
    }
    for (who, amount, code) in [
        (1, "1420000.00", "not_increment_multiple"),
        (2, "1400000.00", "below_minimum"),
        (2, "900000.00", "below_minimum"),
    ] {
        let (s, v) = bid(&app, &l.id, &bidders[who].0, amount).await;
        assert_eq!((s, v["code"].as_str().unwrap()), (409, code));
    }
    let (s, v) = bid(&app, &l.id, &outsider, "1500000.00").await;
    assert_eq!((s, v["code"].as_str().unwrap()), (409, "not_qualified"));
    // what a bidder sees: the price, the leader's number, never the reserve nor names
    let state: Value = app
        .get(
            &format!("/api/v1/auctions/{}", l.id),
            Some(&bidders[1].0.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(state["current_price"], "1400000.00");
    assert_eq!(state["leader_number"], json!(bidders[0].1));
    assert_eq!(state["bid_count"], 5);
    let text = state.to_string();
    assert!(
        !text.contains("1300000") && !text.contains("reserve"),
        "{text}"
    );
    assert_eq!(
        app.get(&format!("/api/v1/auctions/{}/result", l.id), None)
            .await
            .status(),
        404
    );

    // the watcher got every accepted bid, in order, each with the server's time
    let mut seen = Vec::new();
    while seen.len() < 5 {
        let m = next_json(&mut ws).await;
        if m["type"] == "bid" {
            // a client whose own clock is off (by hours, here: the sandbox clock is weeks ahead
            // of the test's) still computes the 60 s left as ends_at − server_time
            let ends: DateTime<Utc> = serde_json::from_value(m["ends_at"].clone()).unwrap();
            let server: DateTime<Utc> = serde_json::from_value(m["server_time"].clone()).unwrap();
            assert!(
                (server - Utc::now()).num_days() >= 20,
                "the platform clock runs weeks ahead of this client's"
            );
            let left = ends - server;
            assert!(
                (left - Duration::seconds(60)).num_milliseconds().abs() < 2000,
                "{m}"
            );
            seen.push(m["amount"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(
        seen,
        plan.iter().map(|p| p.1.to_string()).collect::<Vec<_>>()
    );

    // the countdown ends 60 s after the last bid: a bid 1 ms after it is refused
    let last_ends: DateTime<Utc> = serde_json::from_value(state["ends_at"].clone()).unwrap();
    clock_to(&app, last_ends + Duration::milliseconds(1)).await;
    let (s, v) = bid(&app, &l.id, &bidders[1].0, "1500000.00").await;
    assert_eq!((s, v["code"].as_str().unwrap()), (409, "auction_closed"));
    run_timers(&app).await;
    let res = result(&app, &l.id).await;
    assert_eq!(res["status"], "sold");
    assert_eq!(res["price"], "1400000.00");
    assert_eq!(res["reserve_price"], "1300000.00");
    assert_eq!(res["premium"], "400000.00");
    assert_eq!(res["premium_rate"], "40.00");
    assert_eq!(res["winner_number"], json!(bidders[0].1));
    assert!(
        res["winner_name"]
            .as_str()
            .unwrap()
            .contains(bidders[0].0.org_code.as_deref().unwrap())
    );
    assert_eq!(res["bids"].as_array().unwrap().len(), 5);
    // the hall saw the close
    loop {
        let m = next_json(&mut ws).await;
        if m["type"] == "closed" {
            assert_eq!(m["result"], "sold");
            break;
        }
    }
    // the deposits of the others are refunded; the winner's is kept
    let regs: Value = app
        .get(
            &format!("/api/v1/auctions/{}/registrations", l.id),
            Some(&l.center.token),
        )
        .await
        .json()
        .await
        .unwrap();
    for r in regs["items"].as_array().unwrap() {
        let rid = r["registration_id"].as_str().unwrap();
        let resp = app
            .post(
                &format!("/api/v1/auctions/{}/registrations/{rid}/refund", l.id),
                Some(&l.center.token),
                json!({}),
            )
            .await;
        let winner = r["bidder_number"] == json!(bidders[0].1);
        assert_eq!(resp.status(), if winner { 409 } else { 204 });
    }
    let r = app
        .post(
            &format!("/api/v1/auctions/{}/filing", l.id),
            Some(&l.regulator.token),
            json!({"note": "备案"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = put(
        &app,
        &format!("/api/v1/auctions/{}/reserve-price", l.id),
        &l.regulator.token,
        json!({"amount": "1.00"}),
    )
    .await;
    assert_eq!(r.status(), 409);
}

/// The bid log replayed through the engine agrees with the recorded result.
async fn replay_agrees(app: &TestApp, lot: &str) {
    use diesel_async::AsyncConnection;
    let mut conn = diesel_async::AsyncPgConnection::establish(&app.db.url)
        .await
        .unwrap();
    let r = ggzy::execute::auctions::replay::replay(&mut conn, lot.parse().unwrap())
        .await
        .unwrap();
    assert!(r.agrees, "{:?}", r.problems);
}

async fn project_of(app: &TestApp, l: &Lot) -> String {
    let c = pg(&app.db.url).await;
    let id: uuid::Uuid = l.id.parse().unwrap();
    let p: uuid::Uuid = c
        .query_one("SELECT project_id FROM auctions WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0);
    p.to_string()
}

async fn next_json(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Value {
    loop {
        let m = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s")
            .expect("the stream is open")
            .expect("a frame");
        if let tokio_tungstenite::tungstenite::Message::Text(t) = m {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

fn listing(announce: DateTime<Utc>) -> Value {
    json!({"format": "listing", "start_price": "2000000.00", "increment": "100000.00", "deposit_amount": "400000.00",
           "announcement_at": announce, "starts_at": announce + Duration::days(26),
           "listing_until": announce + Duration::days(47), "countdown_seconds": 120})
}

#[tokio::test]
async fn a_listing_with_two_bidders_ends_on_site_and_one_below_reserve_is_unsold() {
    let app = TestApp::spawn().await;
    let on_site = lot(&app, "land", listing, Some("2500000.00")).await;
    let alone = lot(&app, "land", listing, Some("2500000.00")).await;
    advance(&app, 120, Some(true)).await;
    let b = qualified(&app, &on_site, 2).await;
    let c = qualified(&app, &alone, 1).await;
    clock_to(&app, on_site.starts_at + Duration::hours(1)).await;
    run_timers(&app).await;
    for (who, amount) in [(0, "2000000.00"), (1, "2300000.00"), (0, "2400000.00")] {
        assert_eq!(bid(&app, &on_site.id, &b[who].0, amount).await.0, 201);
    }
    assert_eq!(bid(&app, &alone.id, &c[0].0, "2200000.00").await.0, 201);
    // the listing closes: competing bidders go on site from the top quote plus one increment
    let listing_until = on_site.starts_at + Duration::days(21);
    clock_to(&app, listing_until + Duration::seconds(1)).await;
    run_timers(&app).await;
    let s: Value = app
        .get(
            &format!("/api/v1/auctions/{}", on_site.id),
            Some(&b[0].0.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["status"], "on_site");
    assert_eq!(
        bid(&app, &on_site.id, &b[1].0, "2400000.00").await.1["code"],
        "below_minimum"
    );
    assert_eq!(bid(&app, &on_site.id, &b[1].0, "2500000.00").await.0, 201);
    assert_eq!(bid(&app, &on_site.id, &b[0].0, "2600000.00").await.0, 201);
    clock_to(&app, listing_until + Duration::seconds(200)).await;
    run_timers(&app).await;
    let r = result(&app, &on_site.id).await;
    assert_eq!(
        (r["status"].as_str(), r["price"].as_str()),
        (Some("sold"), Some("2600000.00"))
    );
    assert_eq!(r["winner_number"], json!(b[0].1));
    // one bidder below the reserve: no sale (L39 第十九条)
    let r = result(&app, &alone.id).await;
    assert_eq!(r["status"], "unsold");
    assert_eq!(r["price"], Value::Null);
    assert_eq!(r["reserve_price"], "2500000.00");
    replay_agrees(&app, &on_site.id).await;
    replay_agrees(&app, &alone.id).await;
    // nobody refunds the lone bidder's deposit: when it falls due, it is raised
    advance(&app, 10 * 86400, None).await;
    let overdue: i64 = pg(&app.db.url)
        .await
        .query_one(
            "SELECT count(*) FROM audit_entries WHERE action = 'auction.deposit_refund_overdue'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(overdue, 2, "both lots have unrefunded deposits");
}

pub(crate) fn property(announce: DateTime<Utc>) -> Value {
    let start = announce + Duration::days(45);
    json!({"format": "online_multi_round", "start_price": "5000000.00", "increment": "10000.00", "deposit_amount": "500000.00",
           "announcement_at": announce, "starts_at": start, "free_bidding_until": start + Duration::hours(2),
           "countdown_seconds": 30})
}

#[tokio::test]
async fn property_online_bidding_restarts_its_countdown_and_survives_a_restart() {
    let app = TestApp::spawn().await;
    let l = lot(&app, "property", property, Some("5030000.00")).await;
    advance(&app, 120, Some(true)).await;
    let b = qualified(&app, &l, 3).await;
    clock_to(&app, l.starts_at + Duration::minutes(10)).await;
    run_timers(&app).await;
    assert_eq!(bid(&app, &l.id, &b[0].0, "5000000.00").await.0, 201);
    // the timed period starts at the end of free bidding, countdown 30 s
    let free_until = l.starts_at + Duration::hours(2);
    clock_to(&app, free_until + Duration::seconds(5)).await;
    let mut ends = free_until + Duration::seconds(30);
    let mut amount = 5_000_000;
    for round in 0..4 {
        // a bid in the last seconds restarts the countdown from its own time
        let at = ends - Duration::seconds(2);
        clock_to(&app, at).await;
        amount += 10_000;
        let (s, v) = bid(&app, &l.id, &b[(round % 2) + 1].0, &format!("{amount}.00")).await;
        assert_eq!(s, 201, "{v}");
        let new_ends: DateTime<Utc> = serde_json::from_value(v["ends_at"].clone()).unwrap();
        assert_eq!(new_ends, at + Duration::seconds(30), "round {round}");
        ends = new_ends;
    }
    // the server dies in the timed period; after the restart the lot closes once, on time
    let app = app.restart().await;
    clock_to(&app, ends + Duration::seconds(1)).await;
    run_timers(&app).await;
    let r = result(&app, &l.id).await;
    assert_eq!(r["status"], "sold");
    assert_eq!(r["price"], "5040000.00");
    assert_eq!(r["winner_number"], json!(b[2].1));
    let c = pg(&app.db.url).await;
    let id: uuid::Uuid = l.id.parse().unwrap();
    let closes: i64 = c
        .query_one(
            "SELECT count(*) FROM audit_entries WHERE action = 'auction.close' AND subject_id = $1",
            &[&id.to_string()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(closes, 1);
    let closed_at: DateTime<Utc> = serde_json::from_value(r["closed_at"].clone()).unwrap();
    assert_eq!(closed_at, ends);
    // a watcher reconnecting with after_seq gets everything it missed, in order, from the new node
    let url = format!(
        "{}/api/v1/auctions/{}/live?after_seq=0&access_token={}",
        app.base.replace("http", "ws"),
        l.id,
        b[0].0.token
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("the hall");
    assert_eq!(next_json(&mut ws).await["type"], "state");
    let mut amounts = Vec::new();
    let mut last_seq = 0;
    loop {
        let m = next_json(&mut ws).await;
        let seq = m["seq"].as_i64().unwrap();
        assert!(seq > last_seq, "in sequence order");
        last_seq = seq;
        match m["type"].as_str().unwrap() {
            "bid" => amounts.push(m["amount"].as_str().unwrap().to_string()),
            "closed" => break,
            _ => {}
        }
    }
    assert_eq!(
        amounts,
        [
            "5000000.00",
            "5010000.00",
            "5020000.00",
            "5030000.00",
            "5040000.00"
        ]
    );
}

#[tokio::test]
async fn a_hold_stops_bidding_and_the_resume_restores_the_remaining_countdown() {
    let app = TestApp::spawn().await;
    let l = lot(&app, "land", english, None).await;
    advance(&app, 120, Some(true)).await;
    let b = qualified(&app, &l, 2).await;
    clock_to(&app, l.starts_at + Duration::seconds(10)).await;
    run_timers(&app).await;
    let (_, v) = bid(&app, &l.id, &b[0].0, "1000000.00").await;
    let ends: DateTime<Utc> = serde_json::from_value(v["ends_at"].clone()).unwrap();
    // held with 40 s left
    clock_to(&app, ends - Duration::seconds(40)).await;
    let sup = pg(&app.db.url_as("ggzy_supervise")).await;
    let id: uuid::Uuid = l.id.parse().unwrap();
    let hold = "INSERT INTO holds (id, subject_type, subject_id, kind, reason, ordered_by, ordered_role, at) \
                VALUES ($1, 'auction', $2, $3, '现场秩序', $4, 'supervisor', ggzy_now())";
    sup.execute(
        hold,
        &[&uuid::Uuid::new_v4(), &id, &"suspend", &l.agency.id],
    )
    .await
    .unwrap();
    assert_eq!(bid(&app, &l.id, &b[1].0, "1050000.00").await.0, 423);
    // ten minutes of hold: no close meanwhile
    clock_to(&app, ends + Duration::minutes(10)).await;
    run_timers(&app).await;
    assert_eq!(
        app.get(&format!("/api/v1/auctions/{}/result", l.id), None)
            .await
            .status(),
        404
    );
    sup.execute(hold, &[&uuid::Uuid::new_v4(), &id, &"resume", &l.agency.id])
        .await
        .unwrap();
    let (s, v) = bid(&app, &l.id, &b[1].0, "1050000.00").await;
    assert_eq!(s, 201, "{v}");
    // the 40 s left at the hold were restored, then the bid restarted the 60 s countdown
    let resumed_at = ends + Duration::minutes(10);
    let new_ends: DateTime<Utc> = serde_json::from_value(v["ends_at"].clone()).unwrap();
    assert_eq!(new_ends, resumed_at + Duration::seconds(60));
    let moved: i64 = pg(&app.db.url)
        .await
        .query_one(
            "SELECT count(*) FROM audit_entries WHERE action = 'auction.deadlines_moved'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(moved, 1);
    clock_to(&app, new_ends + Duration::seconds(1)).await;
    run_timers(&app).await;
    replay_agrees(&app, &l.id).await;
}

#[tokio::test]
async fn two_hundred_concurrent_bidders_on_one_lot() {
    let app = TestApp::spawn().await;
    let l = lot(&app, "land", english, Some("1000000.00")).await;
    advance(&app, 120, Some(true)).await;
    let mut bidders = Vec::new();
    for _ in 0..20 {
        let mut set = Vec::new();
        for _ in 0..10 {
            set.push(qualified(&app, &l, 1));
        }
        for b in futures_util::future::join_all(set).await {
            bidders.extend(b);
        }
    }
    assert_eq!(bidders.len(), 200);
    clock_to(&app, l.starts_at + Duration::seconds(1)).await;
    run_timers(&app).await;
    // everyone at once, each with its own increment multiple
    let mut tasks = Vec::new();
    for (i, (b, _)) in bidders.iter().enumerate() {
        let client = app.client.clone();
        let url = app.url(&format!("/api/v1/auctions/{}/bids", l.id));
        let token = b.token.clone();
        let amount = format!("{}.00", 1_000_000 + 50_000 * ((i * 7919) % 400) as i64);
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"amount": amount}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }));
    }
    let mut accepted = 0;
    let mut codes = BTreeSet::new();
    for t in tasks {
        let (s, v) = t.await.unwrap();
        match s {
            201 => accepted += 1,
            409 => {
                codes.insert(v["code"].as_str().unwrap().to_string());
            }
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert!(accepted >= 1);
    assert!(codes.iter().all(|c| c == "below_minimum"), "{codes:?}");
    let c = pg(&app.db.url).await;
    let id: uuid::Uuid = l.id.parse().unwrap();
    let rows = c
        .query(
            "SELECT seq, amount::text FROM auction_bids WHERE auction_id = $1 ORDER BY seq",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), accepted);
    let mut prev = rust_decimal::Decimal::ZERO;
    for (i, r) in rows.iter().enumerate() {
        let seq: i32 = r.get(0);
        let amount: rust_decimal::Decimal = r.get::<_, String>(1).parse().unwrap();
        assert_eq!(seq as usize, i + 1, "gapless, unique sequence numbers");
        assert!(amount > prev, "accepted prices strictly increase");
        prev = amount;
    }
    let state: Value = app
        .get(
            &format!("/api/v1/auctions/{}", l.id),
            Some(&bidders[0].0.token),
        )
        .await
        .json()
        .await
        .unwrap();
    clock_to(
        &app,
        serde_json::from_value::<DateTime<Utc>>(state["ends_at"].clone()).unwrap()
            + Duration::seconds(1),
    )
    .await;
    run_timers(&app).await;
    let r = result(&app, &l.id).await;
    assert_eq!(r["status"], "sold");
    assert_eq!(r["price"].as_str().unwrap(), format!("{prev:.2}"));
    assert!(r["winner_number"].is_string(), "exactly one winner");
}

#[tokio::test]
async fn a_property_lot_without_buyers_is_extended_by_its_yanpai_rule() {
    let app = TestApp::spawn().await;
    let with_extension = |a: DateTime<Utc>| {
        let mut b = property(a);
        b["extension"] = json!({"working_days": 5, "max_extensions": 2, "if_at_most": 0});
        b
    };
    let l = lot(&app, "property", with_extension, None).await;
    advance(&app, 120, Some(true)).await;
    // nobody qualified when the disclosure ends: the start moves by 5 工作日
    clock_to(&app, l.starts_at + Duration::seconds(1)).await;
    run_timers(&app).await;
    let s: Value = app
        .get(&format!("/api/v1/auctions/{}", l.id), Some(&l.agency.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["status"], "scheduled", "{s}");
    let moved: DateTime<Utc> = serde_json::from_value(s["starts_at"].clone()).unwrap();
    let days = (moved - l.starts_at).num_days();
    assert!(
        (7..=12).contains(&days),
        "five working days later, weekends and holidays skipped: {days}"
    );
    // a buyer qualifies; at the new start bidding opens
    let b = qualified(&app, &l, 1).await;
    clock_to(&app, moved + Duration::seconds(1)).await;
    run_timers(&app).await;
    let s: Value = app
        .get(&format!("/api/v1/auctions/{}", l.id), Some(&l.agency.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["status"], "free_bidding");
    assert_eq!(bid(&app, &l.id, &b[0].0, "5000000.00").await.0, 201);
    let extended: i64 = pg(&app.db.url)
        .await
        .query_one(
            "SELECT count(*) FROM audit_entries WHERE action = 'auction.extend'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(extended, 1);
}

#[tokio::test]
async fn property_one_shot_sealed_bidding_is_a_sealed_tender_won_by_the_highest_price() {
    use crate::tendering::{
        confirm_security, create_tender_with, designate_and_register, finalize, holder_shares,
        publish, sealed_bid, submit, world,
    };
    let app = TestApp::spawn().await;
    let w = world(&app, "property").await;
    let (tender, _) = create_tender_with(
        &app,
        &w,
        25,
        json!({"method": "highest_price"}),
        Value::Null,
    )
    .await;
    designate_and_register(&app, &w, &tender).await;
    publish(&app, &w, &tender).await;
    advance(&app, 7200, None).await;
    let mut ids = Vec::new();
    for price in ["6100000.00", "6350000.00", "6200000.00"] {
        let b = app.user(Role::Bidder).await;
        let r = app
            .post(&format!("/api/v1/tenders/{tender}/bid-security"), Some(&b.token),
                json!({"amount": "50000.00", "payer_account": format!("6228{}", &b.id.simple().to_string()[..12])}))
            .await;
        assert_eq!(r.status(), 201);
        let env = sealed_bid(&w, &tender, b.org_code.as_deref().unwrap(), price);
        assert_eq!(submit(&app, &tender, &b, &env).await.status(), 201);
        ids.push(b.org_code.clone().unwrap());
    }
    advance(&app, 26 * 86400, None).await;
    run_timers(&app).await;
    for h in &w.holders[..2] {
        assert_eq!(holder_shares(&app, &tender, h, false).await.status(), 200);
    }
    assert_eq!(confirm_security(&app, &w, &tender).await, 3);
    // no committee: the highest valid offer ranks first
    let fin = finalize(&app, &w, &tender).await;
    let c = fin["candidates"].as_array().unwrap();
    let prices: Vec<&str> = c.iter().map(|x| x["price"].as_str().unwrap()).collect();
    assert_eq!(prices, ["6350000.00", "6200000.00", "6100000.00"]);
    assert_eq!(c[0]["org_code"], json!(ids[1]));
}

#[tokio::test]
async fn a_watcher_on_node_b_sees_a_bid_accepted_on_node_a() {
    let app = TestApp::spawn().await;
    let l = lot(&app, "land", english, None).await;
    advance(&app, 120, Some(true)).await;
    let b = qualified(&app, &l, 1).await;
    clock_to(&app, l.starts_at + Duration::seconds(1)).await;
    run_timers(&app).await;
    let (_node_b, base_b) = crate::helpers::second_node(&app).await;
    let url = format!(
        "{}/api/v1/auctions/{}/live?access_token={}",
        base_b.replace("http", "ws"),
        l.id,
        b[0].0.token
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("the hall on node B");
    assert_eq!(next_json(&mut ws).await["type"], "state");
    // the bid goes to node A
    assert_eq!(bid(&app, &l.id, &b[0].0, "1000000.00").await.0, 201);
    loop {
        let m = next_json(&mut ws).await;
        if m["type"] == "bid" {
            assert_eq!(m["amount"], "1000000.00");
            assert_eq!(m["bidder_number"], json!(b[0].1));
            break;
        }
    }
}
