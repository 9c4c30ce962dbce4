//! Drill 3, database outage under load: the server process reaches PostgreSQL through a TCP
//! proxy of the drill's own; writers register projects without pause while the proxy cuts every
//! database connection and refuses new ones for a few seconds (what a database restart looks like
//! from the server; the shared test cluster itself is not restarted, so parallel tests are not
//! disturbed). During the outage requests fail with 503 `unavailable`, afterwards the pool
//! recovers on its own, and every acknowledged (201) write is in the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ggzy::roles::Role;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, watch};
use uuid::Uuid;

use crate::helpers::pg;
use crate::node::{Node, hand_over, size};

/// A TCP proxy to PostgreSQL that can cut all its connections and refuse new ones.
struct Proxy {
    port: u16,
    down: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let down = Arc::new(AtomicBool::new(false));
        let (cut, _) = watch::channel(0u64);
        let (d, c) = (down.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if d.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let mut rx = c.subscribe();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut out) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut out) => {}
                        _ = rx.changed() => {}
                    }
                });
            }
        });
        Proxy { port, down, cut }
    }

    /// The outage begins: every open connection is cut, new ones are refused.
    fn fail(&self) {
        self.down.store(true, Ordering::SeqCst);
        self.cut.send_modify(|g| *g += 1);
    }

    /// The database is back.
    fn recover(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_outage() {
    let outage = Duration::from_secs(size("GGZY_DRILL_OUTAGE_SECS", 3) as u64);
    let n_writers = size("GGZY_DRILL_WRITERS", 4);
    let started = Instant::now();
    let mut app = crate::helpers::TestApp::spawn().await;
    let agency = app.user(Role::Agency).await;
    let purchaser = app.user(Role::Purchaser).await;
    let url = url::Url::parse(&app.db.url).unwrap();
    let proxy = Proxy::start(format!(
        "{}:{}",
        url.host_str().unwrap(),
        url.port().unwrap_or(5432)
    ))
    .await;
    let mut via = url.clone();
    via.set_host(Some("127.0.0.1")).unwrap();
    via.set_port(Some(proxy.port)).unwrap();
    let node = Node::start_on(&app, via.as_str()).await;
    hand_over(&mut app, &node.base).await;

    // phases: 0 before, 1 outage, 2 after
    let (phase_tx, phase_rx) = watch::channel(0u8);
    let acked: Arc<Mutex<Vec<Uuid>>> = Arc::default();
    // (phase, status, code) of every answer
    let answers: Arc<Mutex<Vec<(u8, u16, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..n_writers {
        let (client, base, token) = (app.client.clone(), node.base.clone(), agency.token.clone());
        let (acked, answers, stop, phase) = (
            acked.clone(),
            answers.clone(),
            stop.clone(),
            phase_rx.clone(),
        );
        let org = purchaser.org_code.clone();
        writers.push(tokio::spawn(async move {
            let mut k = 0;
            while !stop.load(Ordering::SeqCst) {
                k += 1;
                let p = *phase.borrow();
                let r = client
                    .post(format!("{base}/api/v1/projects"))
                    .bearer_auth(&token)
                    .json(
                        &json!({"category": "construction", "title": format!("演练 {w}-{k}"),
                                  "region_code": "440400", "estimate_amount": "1000000.00",
                                  "purchaser_org_code": org}),
                    )
                    .timeout(Duration::from_secs(30))
                    .send()
                    .await
                    .expect("the server stays up through the outage");
                let status = r.status().as_u16();
                let ctype = r
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_string());
                let v: Value = r.json().await.unwrap_or(Value::Null);
                if status == 201 {
                    acked
                        .lock()
                        .await
                        .push(v["id"].as_str().unwrap().parse().unwrap());
                } else {
                    assert_eq!(ctype.as_deref(), Some("application/problem+json"));
                }
                answers.lock().await.push((
                    p.max(*phase.borrow()),
                    status,
                    v["code"].as_str().unwrap_or("").to_string(),
                ));
                if status != 201 {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    phase_tx.send(1).unwrap();
    // First what a fast shutdown sends (SQLSTATE 57P01 on every session, as `pg_ctl stop -m fast`
    // does): the node's sessions are terminated a few times, mid-request or idle. Only this
    // drill's database: the other tests of the run (another drill's restarting node, say) keep
    // theirs.
    let admin = pg(&app.db.url).await;
    let mut terminated = 0i64;
    for _ in 0..5 {
        let n: i64 = admin
            .query_one(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name LIKE 'ggzy-%' AND datname = current_database() \
                   AND pid <> pg_backend_pid()) t",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        terminated += n;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(terminated > 0, "no server session was terminated");
    // then the database disappears from the network
    proxy.fail();
    tokio::time::sleep(outage).await;
    proxy.recover();
    // recovery: the pool reconnects on its own; give it a few seconds, then count
    let t = Instant::now();
    loop {
        let before = answers.lock().await.len();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let a = answers.lock().await;
        if a[before..].iter().all(|x| x.1 == 201) && a.len() > before + n_writers {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the pool did not recover"
        );
    }
    let recovered_in = t.elapsed();
    phase_tx.send(2).unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.unwrap();
    }

    let answers = answers.lock().await;
    let mut during_503 = 0;
    for (phase, status, code) in answers.iter() {
        match (phase, status) {
            (_, 201) => {}
            (1, 503) => {
                assert_eq!(code, "unavailable");
                during_503 += 1;
            }
            (p, s) => panic!("phase {p}: {s} {code}"),
        }
    }
    assert!(during_503 > 0, "the outage was seen as 503");
    let after: Vec<_> = answers.iter().filter(|a| a.0 == 2).collect();
    assert!(
        !after.is_empty() && after.iter().all(|a| a.1 == 201),
        "writes succeed after"
    );
    // every acknowledged write is there
    let acked = acked.lock().await;
    let c = pg(&app.db.url).await;
    let found: i64 = c
        .query_one(
            "SELECT count(*) FROM projects WHERE id = ANY($1)",
            &[&*acked],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        found as usize,
        acked.len(),
        "an acknowledged write was lost"
    );
    println!(
        "DRILL db-outage: {n_writers} writers, {terminated} sessions terminated (57P01) then a {} ms outage (all database connections cut, new ones refused), {} requests, {} acknowledged writes, {during_503} answered 503 unavailable during the outage, 0 other errors, pool recovered {} ms after the database came back, 0 acknowledged writes lost, {:.0} s",
        outage.as_millis(),
        answers.len(),
        acked.len(),
        recovered_in.as_millis(),
        started.elapsed().as_secs_f64()
    );
}
