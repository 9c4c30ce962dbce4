//! Drill 6, two nodes: two real server processes on one database; bidders send their bids
//! round-robin to both; watchers sit in the live hall on both. One node is killed with SIGKILL
//! mid-auction: bidding continues on the other, and watchers of the dead node reconnect to the
//! live one with `after_seq` = the last sequence number they saw, missing no accepted bid.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::fixtures::{self, clock_to, run_timers};
use crate::helpers::pg;
use crate::node::{Node, hand_over, size};

/// A watcher: follows the lot on `bases[start]`, and on a dropped connection reconnects to the
/// next base with `after_seq`; returns the bid amounts it saw (in order) and its reconnections.
async fn watch(
    bases: Vec<String>,
    start: usize,
    lot: String,
    token: String,
) -> (Vec<String>, usize) {
    let mut amounts = Vec::new();
    let mut last: Option<i64> = None;
    let mut reconnects = 0;
    let mut at = start;
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        assert!(Instant::now() < deadline, "the watcher never saw the close");
        let after = last.map(|s| format!("&after_seq={s}")).unwrap_or_default();
        let url = format!(
            "{}/api/v1/auctions/{lot}/live?access_token={token}{after}",
            bases[at % bases.len()].replace("http", "ws")
        );
        let Ok((mut ws, _)) = tokio_tungstenite::connect_async(&url).await else {
            at += 1;
            reconnects += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let mut first = true;
        while let Some(Ok(m)) = ws.next().await {
            let tokio_tungstenite::tungstenite::Message::Text(t) = m else {
                continue;
            };
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if first {
                assert_eq!(v["type"], "state");
                first = false;
                if last.is_none() {
                    last = v["seq"].as_i64();
                }
                continue;
            }
            let seq = v["seq"].as_i64().unwrap();
            assert!(
                Some(seq) > last,
                "in order, no repeats: {seq} after {last:?}"
            );
            last = Some(seq);
            match v["type"].as_str().unwrap() {
                "bid" => amounts.push(v["amount"].as_str().unwrap().to_string()),
                "closed" => return (amounts, reconnects),
                _ => {}
            }
        }
        // the node went away: the next one, from the last sequence number seen
        at += 1;
        reconnects += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes() {
    let n_bids = size("GGZY_DRILL_BIDS", 40);
    let n_watchers = size("GGZY_DRILL_WATCHERS", 4);
    let started = Instant::now();
    let mut app = crate::helpers::TestApp::spawn().await;
    let (lot, starts_at, bidders) = fixtures::property_lot(&app, "5000000.00", 3).await;
    let lot_id: Uuid = lot.parse().unwrap();
    let a = Node::start(&app).await;
    let b = Node::start(&app).await;
    let bases = vec![a.base.clone(), b.base.clone()];
    hand_over(&mut app, &b.base).await;
    clock_to(&app, starts_at + chrono::Duration::minutes(10)).await;
    run_timers(&app).await;
    let free_until = starts_at + chrono::Duration::hours(2);
    clock_to(&app, free_until + chrono::Duration::seconds(5)).await;

    let mut watchers = Vec::new();
    for i in 0..n_watchers {
        watchers.push(tokio::spawn(watch(
            bases.clone(),
            i,
            lot.clone(),
            bidders[0].0.token.clone(),
        )));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // bids round-robin over the nodes; node A dies half-way
    let a = Arc::new(Mutex::new(Some(a)));
    let mut accepted = Vec::new();
    let mut failed_over = 0;
    let mut amount = 5_000_000i64;
    let mut k = 0usize;
    while accepted.len() < n_bids {
        if accepted.len() == n_bids / 2
            && let Some(node) = a.lock().await.take()
        {
            node.kill9().await;
        }
        let base = &bases[k % 2];
        let who = &bidders[accepted.len() % 3].0;
        k += 1;
        let r = app
            .client
            .post(format!("{base}/api/v1/auctions/{lot}/bids"))
            .bearer_auth(&who.token)
            .json(&json!({"amount": format!("{amount}.00")}))
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        match r {
            Ok(r) => {
                let status = r.status().as_u16();
                assert_eq!(status, 201, "{}", r.text().await.unwrap());
                accepted.push(format!("{amount}.00"));
                amount += 10_000;
            }
            // the dead node: the client fails over to the other one (the same bid, once)
            Err(_) => failed_over += 1,
        }
    }
    assert!(
        failed_over > 0,
        "some bids met the dead node and failed over"
    );
    let c = pg(&app.db.url).await;
    let ends = chrono::DateTime::from_timestamp_micros(
        c.query_one(
            "SELECT (extract(epoch FROM ends_at) * 1000000)::bigint FROM auction_bids \
             WHERE auction_id = $1 ORDER BY seq DESC LIMIT 1",
            &[&lot_id],
        )
        .await
        .unwrap()
        .get(0),
    )
    .unwrap();
    clock_to(&app, ends + chrono::Duration::seconds(1)).await;
    run_timers(&app).await;
    let result: Value = app
        .get(&format!("/api/v1/auctions/{lot}/result"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(result["status"], "sold", "{result}");
    assert_eq!(result["price"], accepted.last().unwrap().as_str());
    let closes: i64 = c
        .query_one(
            "SELECT count(*) FROM audit_entries WHERE action = 'auction.close' AND subject_id = $1",
            &[&lot],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        closes, 1,
        "the lot closes exactly once across the two nodes"
    );

    let mut reconnected = 0;
    for w in watchers {
        let (seen, reconnects) = tokio::time::timeout(Duration::from_secs(120), w)
            .await
            .expect("watchers finish")
            .unwrap();
        assert_eq!(
            seen, accepted,
            "a watcher missed or repeated an accepted bid"
        );
        reconnected += usize::from(reconnects > 0);
    }
    assert!(reconnected > 0, "watchers of the killed node reconnected");
    println!(
        "DRILL two-nodes: 2 nodes, node A killed after {} of {} bids, {failed_over} bids failed over to node B, {n_watchers} watchers ({reconnected} reconnected with after_seq), 0 accepted bids missed, lot closed once at {}, {:.0} s",
        n_bids / 2,
        accepted.len(),
        result["price"],
        started.elapsed().as_secs_f64()
    );
}
