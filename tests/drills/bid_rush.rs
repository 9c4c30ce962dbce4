//! Drill 1, crash during the bid rush: bidders submit sealed envelopes concurrently to one real
//! server process that is killed with SIGKILL at a random moment, `GGZY_DRILL_CRASHES` times,
//! until `GGZY_DRILL_ENVELOPES` receipts are in hand. Then: every receipted envelope is stored
//! bit for bit with its receipt, nothing unreceipted is half-stored, no duplicates, and after the
//! deadline every final envelope opens with two holders' pieces.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ggzy::roles::Role;
use rust_decimal::Decimal;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::fixtures::{self, clock_to, holder_shares, platform_now, run_timers};
use crate::helpers::{TestApp, pg};
use crate::node::{Node, hand_over, size};

/// What the clients saw.
#[derive(Default)]
struct Seen {
    /// envelope sha256 → (bidder, envelope bytes, price) of everything ever sent
    sent: BTreeMap<String, (Uuid, Vec<u8>, Decimal)>,
    /// envelope sha256 → the receipt the client got
    receipts: BTreeMap<String, Value>,
    /// sent, but the answer was lost to the crash
    unknown: usize,
    /// Answers `503 unavailable` (retried).
    unavailable: usize,
    /// other refusals (status, code)
    refused: Vec<(u16, String)>,
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bid_rush() {
    let crashes = size("GGZY_DRILL_CRASHES", 3);
    let target = size("GGZY_DRILL_ENVELOPES", 100);
    let n_bidders = size("GGZY_DRILL_BIDDERS", 10);
    let started = Instant::now();

    let mut app = TestApp::spawn().await;
    let w = fixtures::world(&app).await;
    let (tender, deadline) = fixtures::published_tender(&app, &w).await;
    let mut bidders = Vec::new();
    for _ in 0..n_bidders {
        bidders.push(app.user(Role::Bidder).await);
    }
    fixtures::advance(&app, 7200).await;
    let recipients = Arc::new(fixtures::recipients(&w));

    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut node = Node::start(&app).await;
    hand_over(&mut app, &node.base).await;
    let per_round = target.div_ceil(crashes);
    for round in 0..crashes {
        // kill at a random moment once this round's share of receipts is likely in flight
        let goal = per_round * (round + 1);
        let mut tasks = Vec::new();
        for (i, b) in bidders.iter().enumerate() {
            let (seen, recipients, tender) = (seen.clone(), recipients.clone(), tender.clone());
            let (client, url) = (
                app.client.clone(),
                format!("{}/api/v1/tenders/{tender}/bids/mine", node.base),
            );
            let (id, token, org) = (b.id, b.token.clone(), b.org_code.clone().unwrap());
            tasks.push(tokio::spawn(async move {
                let mut k = 0u32;
                loop {
                    if seen.lock().unwrap().receipts.len() >= goal + n_bidders {
                        return;
                    }
                    k += 1;
                    let price = Decimal::new(
                        4_000_000_000 + (round as i64 * 100_000 + k as i64) * 100 + i as i64,
                        2,
                    );
                    let envelope = fixtures::sealed_bid(&recipients, &tender, &org, price);
                    let h = sha(&envelope);
                    seen.lock()
                        .unwrap()
                        .sent
                        .insert(h.clone(), (id, envelope.clone(), price));
                    let r = client
                        .put(&url)
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(envelope)
                        .send()
                        .await;
                    let r = match r {
                        Ok(r) => r,
                        Err(_) => {
                            // the node died under this request: outcome unknown
                            seen.lock().unwrap().unknown += 1;
                            return;
                        }
                    };
                    let status = r.status().as_u16();
                    let body: Result<Value, _> = r.json().await;
                    let retry = {
                        let mut s = seen.lock().unwrap();
                        match (status, body) {
                            (201, Ok(v)) => {
                                assert_eq!(v["receipt"]["envelope_sha256"], h.as_str());
                                s.receipts.insert(h, v["receipt"].clone());
                                false
                            }
                            (_, Err(_)) => {
                                s.unknown += 1;
                                return;
                            }
                            // retryable: the node had no database connection for it in time (a
                            // node restarting under a loaded machine). The outcome counts as
                            // unknown (a connection lost during COMMIT is also a 503), and the
                            // client tries again, as the Retry-After asks.
                            (503, Ok(v)) if v["code"] == "unavailable" => {
                                s.unknown += 1;
                                s.unavailable += 1;
                                true
                            }
                            (st, Ok(v)) => {
                                s.refused
                                    .push((st, v["code"].as_str().unwrap_or("").into()));
                                return;
                            }
                        }
                    };
                    if retry {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            }));
        }
        // wait for most of the round's receipts, then kill after a random few milliseconds
        let t0 = Instant::now();
        while seen.lock().unwrap().receipts.len() < goal.saturating_sub(per_round / 4)
            && t0.elapsed() < Duration::from_secs(120)
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(rand::random::<u64>() % 40)).await;
        node.kill9().await;
        for t in tasks {
            t.await.unwrap();
        }
        node = Node::start(&app).await;
        app.base = node.base.clone();
    }

    // after the last crash the rush goes on until the target number of receipts is reached
    let mut k = 0;
    while seen.lock().unwrap().receipts.len() < target {
        let b = &bidders[k % bidders.len()];
        k += 1;
        let price = Decimal::new(4_500_000_000 + k as i64, 2);
        let envelope =
            fixtures::sealed_bid(&recipients, &tender, b.org_code.as_deref().unwrap(), price);
        let h = sha(&envelope);
        seen.lock()
            .unwrap()
            .sent
            .insert(h.clone(), (b.id, envelope.clone(), price));
        let r = app
            .client
            .put(app.url(&format!("/api/v1/tenders/{tender}/bids/mine")))
            .bearer_auth(&b.token)
            .header("content-type", "application/json")
            .body(envelope)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        seen.lock()
            .unwrap()
            .receipts
            .insert(h, v["receipt"].clone());
    }

    // compare what the clients hold with what the database holds, bit for bit
    let s = std::mem::take(&mut *seen.lock().unwrap());
    assert!(
        s.refused.is_empty(),
        "no submission is refused in the rush: {:?}",
        s.refused
    );
    let c = pg(&app.db.url).await;
    let tid: Uuid = tender.parse().unwrap();
    let rows = c
        .query(
            "SELECT user_id, submission_no, kind, envelope, envelope_sha256, receipt, \
                    purged_at IS NOT NULL AS purged, \
                    submission_no = max(submission_no) OVER (PARTITION BY user_id) AS last \
             FROM bid_submissions WHERE tender_id = $1 ORDER BY user_id, submission_no",
            &[&tid],
        )
        .await
        .unwrap();
    let mut stored: BTreeMap<String, (Uuid, Vec<u8>, Value)> = BTreeMap::new();
    let mut numbers: BTreeMap<Uuid, Vec<i32>> = BTreeMap::new();
    for row in &rows {
        let user: Uuid = row.get(0);
        let no: i32 = row.get(1);
        let kind: String = row.get(2);
        let envelope: Option<Vec<u8>> = row.get(3);
        let h: Option<String> = row.get(4);
        let receipt: Value = row.get(5);
        let (purged, last): (bool, bool) = (row.get(6), row.get(7));
        assert_eq!(kind, "bid", "no withdrawals in the rush");
        let h = h.expect("a submission row without its hash");
        assert_eq!(receipt["envelope_sha256"], h.as_str());
        assert_eq!(receipt["submission_no"], no);
        let (who, sent, _) = s.sent.get(&h).expect("a stored envelope nobody sent");
        assert_eq!(*who, user);
        // a superseded envelope's bytes are purged (decision 105), its hash and receipt kept;
        // the last submission of every bidder keeps its bytes
        let envelope = match envelope {
            Some(e) => e,
            None => {
                assert!(purged && !last, "a submission row without its envelope");
                sent.clone()
            }
        };
        // nothing half-stored: bytes, hash and signed receipt together, bit for bit what was sent
        assert_eq!(sha(&envelope), h, "stored bytes match the stored hash");
        assert_eq!(&envelope, sent, "bit for bit");
        assert!(
            stored.insert(h, (user, envelope, receipt)).is_none(),
            "a duplicate envelope"
        );
        numbers.entry(user).or_default().push(no);
    }
    for (user, nos) in &numbers {
        let want: Vec<i32> = (1..=nos.len() as i32).collect();
        assert_eq!(
            nos, &want,
            "submission numbers of {user}: no duplicates, no gaps"
        );
    }
    for (h, receipt) in &s.receipts {
        let (_, _, r) = stored.get(h).expect("a receipted envelope is lost");
        assert_eq!(r, receipt, "the stored receipt is the one the client got");
    }
    let unreceipted = stored.len() - s.receipts.len();
    assert!(
        unreceipted <= s.unknown,
        "stored without a receipt only when the answer was lost to a crash"
    );

    // close, open with two of three holders: every final envelope opens with its own price
    let now = platform_now(&app).await;
    assert!(now < deadline);
    clock_to(&app, deadline + chrono::Duration::seconds(1)).await;
    run_timers(&app).await;
    let last: BTreeMap<Uuid, Decimal> = rows
        .iter()
        .map(|row| {
            let user: Uuid = row.get(0);
            let h: String = row.get(4);
            (user, s.sent[&h].2)
        })
        .collect();
    holder_shares(&app, &tender, &w.holders[0]).await;
    let v = holder_shares(&app, &tender, &w.holders[2]).await;
    assert_eq!(v["waiting"], 0, "{v}");
    let record: Value = app
        .get(&format!("/api/v1/tenders/{tender}/opening"), None)
        .await
        .json()
        .await
        .unwrap();
    let bids = record["bids"].as_array().unwrap();
    assert_eq!(bids.len(), last.len(), "one final bid per bidder");
    let orgs: BTreeMap<String, Uuid> = bidders
        .iter()
        .map(|b| (b.org_code.clone().unwrap(), b.id))
        .collect();
    let mut opened = BTreeSet::new();
    for b in bids {
        assert_eq!(b["status"], "opened", "{b}");
        let user = orgs[b["org_code"].as_str().unwrap()];
        let price: Decimal = b["price"].as_str().unwrap().parse().unwrap();
        assert_eq!(price, last[&user], "the final envelope's own price");
        opened.insert(user);
    }
    assert_eq!(opened.len(), last.len());
    println!(
        "DRILL bid-rush: {crashes} crashes, {} receipts, {} stored envelopes ({} stored without a receipt after a lost answer, {} answers lost, {} of them 503 unavailable and retried), 0 lost, 0 duplicates, 0 half-stored, {} final bids opened, {:.0} s",
        s.receipts.len(),
        stored.len(),
        unreceipted,
        s.unknown,
        s.unavailable,
        opened.len(),
        started.elapsed().as_secs_f64()
    );
}
