//! The sequencer: entries committed by 8 concurrent writers are chained in commit order with no
//! gap; an event committed through one server process reaches the hub of another.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ggzy::roles::Role;
use serde_json::json;

use crate::helpers::{TestApp, pg};

#[tokio::test]
async fn concurrent_writers_are_chained_in_commit_order_without_gaps() {
    let app = TestApp::spawn().await;
    let base: i64 = pg(&app.db.url)
        .await
        .query_one("SELECT count(*) FROM audit_entries", &[])
        .await
        .unwrap()
        .get(0);
    let url = app.db.url_as("ggzy_execute");
    let t0 = Instant::now();
    let mut writers = Vec::new();
    for w in 0..8 {
        let url = url.clone();
        writers.push(tokio::spawn(async move {
            let mut c = pg(&url).await;
            let mut spans = Vec::new();
            for i in 0..25 {
                let started = t0.elapsed();
                let tx = c.transaction().await.unwrap();
                for k in 0..2 {
                    tx.execute(
                        "INSERT INTO audit_entries (plane, action, details) VALUES ('', 'test.write', $1)",
                        &[&json!({"w": w, "i": i, "k": k})],
                    )
                    .await
                    .unwrap();
                }
                // hold some transactions open so ids and commits interleave
                if (i + w) % 3 == 0 {
                    tokio::time::sleep(Duration::from_millis(7)).await;
                }
                tx.commit().await.unwrap();
                spans.push(((w, i), started, t0.elapsed()));
            }
            spans
        }));
    }
    let mut spans = Vec::new();
    for w in writers {
        spans.extend(w.await.unwrap());
    }
    app.wait_chain(base + 400).await;
    let c = pg(&app.db.url).await;
    let rows = c
        .query(
            "SELECT c.seq, (a.details->>'w')::int, (a.details->>'i')::int FROM audit_chain c
             JOIN audit_entries a ON a.id = c.entry_id ORDER BY c.seq",
            &[],
        )
        .await
        .unwrap();
    let seqs: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(
        seqs,
        (1..=base + 400).collect::<Vec<_>>(),
        "gapless, each entry once"
    );
    // per transaction: the largest and smallest sequence number of its entries
    let mut by_tx: HashMap<(i32, i32), (i64, i64)> = HashMap::new();
    for r in &rows {
        let (Some(w), Some(i)) = (r.get::<_, Option<i32>>(1), r.get::<_, Option<i32>>(2)) else {
            continue;
        };
        let seq: i64 = r.get(0);
        let e = by_tx.entry((w, i)).or_insert((i64::MAX, 0));
        e.0 = e.0.min(seq);
        e.1 = e.1.max(seq);
    }
    assert_eq!(by_tx.len(), 200);
    // commit order: a transaction that began after another had committed is numbered after it
    let mut pairs = 0;
    for (a, _, a_committed) in &spans {
        for (b, b_started, _) in &spans {
            if a != b && a_committed < b_started {
                assert!(
                    by_tx[a].1 < by_tx[b].0,
                    "{a:?} committed before {b:?} began but is numbered after it"
                );
                pairs += 1;
            }
        }
    }
    assert!(
        pairs > 1000,
        "too few ordered pairs to mean anything: {pairs}"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_event_committed_on_one_process_reaches_the_hub_of_another() {
    let app = TestApp::spawn().await;
    let agency = app.user(Role::Agency).await;
    let mut events = app.running.as_ref().unwrap().state.hub.subscribe();
    // a second server process: the real binary on the same database and keys
    let (mut child, other) = crate::helpers::second_node(&app).await;
    let r = app
        .client
        .post(format!("{other}/api/v1/projects"))
        .bearer_auth(&agency.token)
        .json(
            &json!({"category": "construction", "title": "跨进程事件测试", "region_code": "440400",
                      "estimate_amount": "1000000.00", "purchaser_org_code": agency.org_code}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let got = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let e = events.recv().await.unwrap();
            if e.topic == "project.registered" && e.subject_id.as_deref() == Some(id.as_str()) {
                return e;
            }
        }
    })
    .await
    .expect("the event did not reach this process's hub");
    assert!(got.seq > 0);
    child.kill().await.unwrap();
    app.stop().await;
}
