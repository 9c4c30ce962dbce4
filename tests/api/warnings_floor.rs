//! Real-time warnings (红黄牌) raised by the supervise plane's minute scan on the platform clock,
//! listed and resolved by a supervisor; the trading floor's snapshot and its live WebSocket fed
//! by the sequenced event stream.

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use ggzy::roles::Role;
use serde_json::{Value, json};

use crate::auctions::{bid, clock_to, english, lot, qualified};
use crate::helpers::TestApp;
use crate::tendering::{
    World, advance, create_tender, designate_and_register, platform_now, publish, run_timers, world,
};

async fn published(app: &TestApp) -> (World, String) {
    let w = world(app, "construction").await;
    let (tender, _) = create_tender(app, &w, 25).await;
    designate_and_register(app, &w, &tender).await;
    publish(app, &w, &tender).await;
    (w, tender)
}

async fn warnings(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/api/v1/supervision/warnings{query}"), Some(token))
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["items"].as_array().unwrap().clone()
}

fn of<'a>(items: &'a [Value], subject: &str, level: &str) -> Option<&'a Value> {
    items
        .iter()
        .find(|w| w["subject_id"] == subject && w["level"] == level)
}

#[tokio::test]
async fn an_unanswered_objection_turns_yellow_then_red_and_a_supervisor_resolves_it() {
    let app = TestApp::spawn().await;
    let (w, tender) = published(&app).await;
    advance(&app, 7200, None).await;
    let b = app.user(Role::Bidder).await;
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/documents"),
            Some(&b.token),
            json!({}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/objections"),
            Some(&b.token),
            json!({"stage": "documents", "text": "资格条件排斥潜在投标人"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    let objection = v["id"].as_str().unwrap().to_string();
    let due: DateTime<Utc> = serde_json::from_value(v["reply_due"].clone()).unwrap();

    // more than a day ahead: no card
    advance(&app, 120, Some(true)).await;
    let items = warnings(&app, &w.supervisor.token, "").await;
    assert!(of(&items, &objection, "yellow").is_none(), "{items:?}");

    // twelve hours before the reply is due: yellow
    let now = platform_now(&app).await;
    advance(
        &app,
        (due - now - Duration::hours(12)).num_seconds(),
        Some(true),
    )
    .await;
    let items = warnings(&app, &w.supervisor.token, "?status=open").await;
    let yellow = of(&items, &objection, "yellow").expect("a yellow card");
    assert_eq!(yellow["citation"], "招标投标法实施条例 第二十二条");
    assert_eq!(yellow["subject_type"], "objection");
    assert_eq!(yellow["rule"], "objection_reply_due");
    assert_eq!(yellow["evidence"]["tender_id"], tender.as_str());
    assert!(of(&items, &objection, "red").is_none());
    // a later scan does not raise it twice
    advance(&app, 120, Some(true)).await;
    let items = warnings(&app, &w.supervisor.token, "").await;
    assert_eq!(
        items
            .iter()
            .filter(|x| x["subject_id"] == objection.as_str())
            .count(),
        1
    );

    // overdue: red, visible to the regulator too
    advance(&app, Duration::hours(13).num_seconds(), Some(true)).await;
    let reds = warnings(&app, &w.regulator.token, "?status=open&level=red").await;
    let red = of(&reds, &objection, "red").expect("a red card").clone();
    assert_eq!(red["citation"], "招标投标法实施条例 第二十二条");
    assert_eq!(red["owner"], "agency");
    assert!(reds.iter().all(|x| x["level"] == "red"));
    // a bidder may not look
    let r = app
        .get("/api/v1/supervision/warnings", Some(&b.token))
        .await;
    assert_eq!(r.status(), 403);

    // the supervisor resolves it with evidence; the regulator may not
    let path = format!(
        "/api/v1/supervision/warnings/{}/resolve",
        red["id"].as_str().unwrap()
    );
    let r = app
        .post(&path, Some(&w.regulator.token), json!({"evidence": "x"}))
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post(&path, Some(&w.supervisor.token), json!({"evidence": ""}))
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .post(
            &path,
            Some(&w.supervisor.token),
            json!({"evidence": {"note": "已责令招标人限期答复", "document": "监督通知书 2026-17"}}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "resolved");
    assert_eq!(v["resolution"]["document"], "监督通知书 2026-17");
    let r = app
        .post(
            &path,
            Some(&w.supervisor.token),
            json!({"evidence": "again"}),
        )
        .await;
    assert_eq!(r.status(), 409);
    let reds = warnings(&app, &w.supervisor.token, "?status=open&level=red").await;
    assert!(of(&reds, &objection, "red").is_none());
    let resolved = warnings(&app, &w.supervisor.token, "?status=resolved").await;
    assert!(of(&resolved, &objection, "red").is_some());
    let r = app
        .get(
            "/api/v1/supervision/warnings?level=green",
            Some(&w.supervisor.token),
        )
        .await;
    assert_eq!(r.status(), 400);
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next text message of `type`, waiting at most `within`.
async fn next_of(ws: &mut Ws, kind: &str, within: std::time::Duration) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let m = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("a {kind} message within {within:?}"))
            .expect("the stream is open")
            .expect("a frame");
        if let tokio_tungstenite::tungstenite::Message::Text(t) = m {
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["type"] == kind {
                return v;
            }
        }
    }
}

#[tokio::test]
async fn the_floor_shows_tenders_and_auctions_and_streams_a_bid_live() {
    let app = TestApp::spawn().await;
    let l = lot(&app, "land", english, None).await;
    advance(&app, 120, Some(true)).await;
    let bidders = qualified(&app, &l, 2).await;
    clock_to(&app, l.starts_at + Duration::seconds(1)).await;
    run_timers(&app).await;
    let (w, tender) = published(&app).await;

    // a watcher on the live floor
    let ws_url = format!(
        "{}/api/v1/floor/live?access_token={}",
        app.base.replace("http", "ws"),
        l.center.token
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url)
        .await
        .expect("the floor");
    let (s, v) = bid(&app, &l.id, &bidders[0].0, "1000000.00").await;
    assert_eq!(s, 201, "{v}");
    let m = next_of(&mut ws, "auction.bid", std::time::Duration::from_secs(1)).await;
    assert_eq!(m["subject_type"], "auction");
    assert_eq!(m["subject_id"], l.id.as_str());
    assert!(m["seq"].as_i64().unwrap() > 0);
    assert!(m["server_time"].is_string() && m["at"].is_string());
    assert!(m["data"].is_object());
    let seq = m["seq"].as_i64().unwrap();

    // a reconnect with after_seq replays what came after
    let (s, v) = bid(&app, &l.id, &bidders[1].0, "1050000.00").await;
    assert_eq!(s, 201, "{v}");
    next_of(&mut ws, "auction.bid", std::time::Duration::from_secs(1)).await;
    drop(ws);
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{ws_url}&after_seq={seq}"))
        .await
        .expect("the floor again");
    let m = next_of(&mut ws, "auction.bid", std::time::Duration::from_secs(5)).await;
    assert!(m["seq"].as_i64().unwrap() > seq);
    assert_eq!(m["data"]["amount"], "1050000.00", "{m}");

    // the snapshot
    for token in [&w.center.token, &w.regulator.token, &w.supervisor.token] {
        let r = app.get("/api/v1/floor", Some(token)).await;
        assert_eq!(r.status(), 200);
        let floor: Value = r.json().await.unwrap();
        assert!(floor["server_time"].is_string());
        let t = floor["tenders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == tender.as_str())
            .expect("the tender on the floor");
        assert_eq!(t["status"], "bidding");
        assert!(t["code"].is_string() && t["bid_deadline"].is_string());
        let a = floor["auctions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == l.id.as_str())
            .expect("the auction on the floor");
        assert_eq!(a["current_price"], "1050000.00");
        assert_eq!(a["bid_count"], 2);
        assert!(a["ends_at"].is_string());
        assert!(floor["warnings"].is_array());
    }
    let b = app.user(Role::Bidder).await;
    assert_eq!(app.get("/api/v1/floor", Some(&b.token)).await.status(), 403);
    let now = platform_now(&app).await;
    assert!(now > l.starts_at);
}

#[tokio::test]
async fn a_social_supervisor_sees_only_its_assigned_auction_on_the_floor_and_its_views_are_logged()
{
    let app = TestApp::spawn().await;
    let assigned = lot(&app, "land", english, None).await;
    let other = lot(&app, "land", english, None).await;
    advance(&app, 120, Some(true)).await;
    let a_bidders = qualified(&app, &assigned, 1).await;
    let o_bidders = qualified(&app, &other, 1).await;
    clock_to(
        &app,
        assigned.starts_at.max(other.starts_at) + Duration::seconds(1),
    )
    .await;
    run_timers(&app).await;

    // appointed and assigned to one lot by the regulator
    let social = app.user(Role::SocialSupervisor).await;
    let today = ggzy::rules::schedule::china_date(platform_now(&app).await);
    let r = app
        .post(
            "/api/v1/social-supervisors",
            Some(&assigned.regulator.token),
            json!({"user_id": social.id, "certificate_no": "湛监聘字 2026-101",
                   "term_start": today - Duration::days(1), "term_end": today + Duration::days(365)}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let appointment = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(
            &format!("/api/v1/social-supervisors/{appointment}/assignments"),
            Some(&assigned.regulator.token),
            json!({"subject_type": "auction", "subject_id": assigned.id}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    // the snapshot: the assigned lot, not the other one
    let floor: Value = app
        .get("/api/v1/floor", Some(&social.token))
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = floor["auctions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![assigned.id.as_str()], "{floor}");
    assert!(floor["tenders"].as_array().unwrap().is_empty());

    // the live stream: the other lot's bid is not shown, the assigned lot's is
    let ws_url = format!(
        "{}/api/v1/floor/live?access_token={}",
        app.base.replace("http", "ws"),
        social.token
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url)
        .await
        .expect("the floor");
    let (s, v) = bid(&app, &other.id, &o_bidders[0].0, "1000000.00").await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = bid(&app, &assigned.id, &a_bidders[0].0, "1000000.00").await;
    assert_eq!(s, 201, "{v}");
    let m = next_of(&mut ws, "auction.bid", std::time::Duration::from_secs(2)).await;
    assert_eq!(m["subject_id"], assigned.id.as_str(), "{m}");

    // both views are in the access log, as the supervision authority reads it
    let supervisor = app.user(Role::Supervisor).await;
    let log: Value = app
        .get("/api/v1/supervision/access-log", Some(&supervisor.token))
        .await
        .json()
        .await
        .unwrap();
    let mine: Vec<&Value> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["user_id"] == social.id.to_string())
        .collect();
    assert_eq!(mine.len(), 2, "{log}");
    assert!(mine.iter().all(|e| e["subject_type"] == "auction"
        && e["subject_id"] == assigned.id.as_str()
        && e["allowed"] == true));

    // a declared conflict takes the lot off its floor
    let r = app
        .post(
            "/api/v1/me/conflict-declarations",
            Some(&social.token),
            json!({"subject_type": "auction", "subject_id": assigned.id, "conflict": true}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let floor: Value = app
        .get("/api/v1/floor", Some(&social.token))
        .await
        .json()
        .await
        .unwrap();
    assert!(floor["auctions"].as_array().unwrap().is_empty(), "{floor}");
    // and a new stream no longer carries its bids
    let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url)
        .await
        .expect("the floor");
    let (s, v) = bid(&app, &assigned.id, &o_bidders[0].0, "1050000.00").await;
    assert_eq!(s, 409, "not registered on this lot: {v}");
    let (s, v) = bid(&app, &assigned.id, &a_bidders[0].0, "1050000.00").await;
    assert_eq!(s, 201, "{v}");
    let got = tokio::time::timeout(std::time::Duration::from_millis(1500), async {
        next_of(&mut ws, "auction.bid", std::time::Duration::from_secs(3)).await
    })
    .await;
    assert!(
        got.is_err(),
        "no bid of a lot it declared a conflict on: {got:?}"
    );
    app.stop().await;
}
