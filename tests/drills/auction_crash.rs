//! Drill 2, crash during an auction: three bidders outbid each other in the timed period of a
//! 网络竞价 lot on one real server process, killed with SIGKILL at a random moment
//! `GGZY_DRILL_CRASHES` times (the last time while the lot is due to close). After the restarts
//! the lot closes exactly once, at the last bid's countdown end, sold to the last bidder at the
//! highest bid, and every bid a client got an answer for is in the bid log.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::{self, clock_to, run_timers};
use crate::helpers::{TestApp, pg};
use crate::node::{Node, hand_over, size};

/// The latest bid in the log: (seq, amount in yuan cents, ends_at).
async fn latest(app: &TestApp, lot: Uuid) -> (i32, i64, DateTime<Utc>) {
    let c = pg(&app.db.url).await;
    let r = c
        .query_one(
            "SELECT seq, (amount * 100)::bigint, (extract(epoch FROM ends_at) * 1000000)::bigint FROM auction_bids \
             WHERE auction_id = $1 ORDER BY seq DESC LIMIT 1",
            &[&lot],
        )
        .await
        .unwrap();
    let ends = DateTime::from_timestamp_micros(r.get(2)).unwrap();
    (r.get(0), r.get(1), ends)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auction_crash() {
    let crashes = size("GGZY_DRILL_CRASHES", 3);
    let started = Instant::now();
    let mut app = TestApp::spawn().await;
    let (lot, starts_at, bidders) = fixtures::property_lot(&app, "5000000.00", 3).await;
    let lot_id: Uuid = lot.parse().unwrap();
    let mut node = Node::start(&app).await;
    hand_over(&mut app, &node.base).await;
    let bid_url = format!("/api/v1/auctions/{lot}/bids");
    clock_to(&app, starts_at + chrono::Duration::minutes(10)).await;
    run_timers(&app).await;
    let r = app
        .post(
            &bid_url,
            Some(&bidders[0].0.token),
            json!({"amount": "5000000.00"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    // the timed period: 30 s countdowns restarted by every bid
    let free_until = starts_at + chrono::Duration::hours(2);
    clock_to(&app, free_until + chrono::Duration::seconds(5)).await;

    // (bidder index, amount cents, seq) of every bid a client got a 201 for
    let answered: Arc<Mutex<Vec<(usize, i64, i64)>>> = Arc::default();
    let mut lost = 0;
    for _ in 0..crashes {
        let (_, _, ends) = latest(&app, lot_id).await;
        let ends = ends.max(free_until + chrono::Duration::seconds(30));
        clock_to(&app, ends - chrono::Duration::seconds(2)).await;
        let mut tasks = Vec::new();
        for (i, (b, _)) in bidders.iter().enumerate() {
            let (client, url, token) = (
                app.client.clone(),
                format!("{}{bid_url}", node.base),
                b.token.clone(),
            );
            let (answered, db) = (answered.clone(), app.db.url.clone());
            tasks.push(tokio::spawn(async move {
                let c = pg(&db).await;
                loop {
                    let top: i64 = c
                        .query_one(
                            "SELECT (max(amount) * 100)::bigint FROM auction_bids WHERE auction_id = $1",
                            &[&lot_id],
                        )
                        .await
                        .unwrap()
                        .get(0);
                    let amount = top + 1_000_000;
                    let r = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({"amount": format!("{}.{:02}", amount / 100, amount % 100)}))
                        .send()
                        .await;
                    let Ok(r) = r else { return 1 };
                    let status = r.status().as_u16();
                    let Ok(v) = r.json::<Value>().await else {
                        return 1;
                    };
                    match status {
                        201 => answered.lock().unwrap().push((
                            i,
                            amount,
                            v["seq"].as_i64().unwrap(),
                        )),
                        // outbid by a concurrent bid (or leading already): read the top again
                        409 => {}
                        s => panic!("unexpected {s}: {v}"),
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(50 + rand::random::<u64>() % 250)).await;
        node.kill9().await;
        for t in tasks {
            lost += t.await.unwrap();
        }
        node = Node::start(&app).await;
        app.base = node.base.clone();
    }
    // the last crash: the node dies, the countdown runs out while it is down
    let (last_seq, top, ends) = latest(&app, lot_id).await;
    node.kill9().await;
    clock_to(&app, ends + chrono::Duration::seconds(1)).await;
    let node = Node::start(&app).await;
    app.base = node.base.clone();
    run_timers(&app).await;
    run_timers(&app).await;

    let r = app
        .get(&format!("/api/v1/auctions/{lot}/result"), None)
        .await;
    assert_eq!(r.status(), 200);
    let result: Value = r.json().await.unwrap();
    assert_eq!(result["status"], "sold", "{result}");
    assert_eq!(
        result["price"],
        format!("{}.{:02}", top / 100, top % 100),
        "{result}"
    );
    let c = pg(&app.db.url).await;
    let winner_reg: Uuid = c
        .query_one(
            "SELECT registration_id FROM auction_bids WHERE auction_id = $1 AND seq = $2",
            &[&lot_id, &last_seq],
        )
        .await
        .unwrap()
        .get(0);
    let winner_number: String = c
        .query_one(
            "SELECT bidder_number FROM auction_registrations WHERE id = $1",
            &[&winner_reg],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(result["winner_number"], winner_number.as_str());
    let closed_at: DateTime<Utc> = serde_json::from_value(result["closed_at"].clone()).unwrap();
    assert_eq!(closed_at, ends, "closed at the last countdown's end");
    let closes: i64 = c
        .query_one(
            "SELECT count(*) FROM audit_entries WHERE action = 'auction.close' AND subject_id = $1",
            &[&lot.to_string()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(closes, 1, "the lot closes exactly once");
    // every answered bid is in the log with its amount; the log has no gaps
    let log = c
        .query(
            "SELECT seq, (amount * 100)::bigint FROM auction_bids WHERE auction_id = $1 ORDER BY seq",
            &[&lot_id],
        )
        .await
        .unwrap();
    let seqs: Vec<i32> = log.iter().map(|r| r.get(0)).collect();
    assert_eq!(seqs, (1..=seqs.len() as i32).collect::<Vec<_>>());
    let answered = answered.lock().unwrap();
    for (_, amount, seq) in answered.iter() {
        let row = &log[*seq as usize - 1];
        assert_eq!(
            row.get::<_, i64>(1),
            *amount,
            "answered bid {seq} stored as answered"
        );
    }
    let amounts: Vec<i64> = log.iter().map(|r| r.get(1)).collect();
    assert!(
        amounts.windows(2).all(|w| w[0] < w[1]),
        "each bid beats the last"
    );
    println!(
        "DRILL auction-crash: {} crashes in the timed period (the last one while the lot was due), {} bids logged, {} answered, {lost} answers lost to kills, closed once at the last countdown's end, winner {winner_number} at {}, {:.0} s",
        crashes + 1,
        log.len(),
        answered.len(),
        result["price"],
        started.elapsed().as_secs_f64()
    );
}
