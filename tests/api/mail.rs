//! Notifications by e-mail against a real SMTP server (Python's aiosmtpd, made available by
//! scripts/test.d/20-aiosmtpd.sh): the right recipients and zh-CN subjects for real API actions,
//! retries while the server is down with every mail delivered exactly once after it returns, the
//! dead letter, and the subscription route.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use ggzy::roles::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, TestDb, TestUser, pg, test_config};
use crate::tendering::{
    advance, create_tender, designate_and_register, publish, sealed_bid, submit, world,
};

/// A running aiosmtpd that records each message as a JSON line.
struct SmtpServer {
    child: tokio::process::Child,
}

impl SmtpServer {
    /// Starts the recorder on `port`, appending to `out`; returns once it accepts connections.
    async fn start(port: u16, out: &Path) -> SmtpServer {
        let python = std::env::var("GGZY_TEST_PYTHON")
            .unwrap_or_else(|_| format!("{}/target/pyenv/bin/python", env!("CARGO_MANIFEST_DIR")));
        let script = format!(
            "{}/tests/support/smtp_recorder.py",
            env!("CARGO_MANIFEST_DIR")
        );
        let child = tokio::process::Command::new(&python)
            .arg(&script)
            .arg(port.to_string())
            .arg(out)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("starting {python} (run scripts/test, whose hook installs aiosmtpd): {e}")
            });
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return SmtpServer { child };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not start on port {port}");
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The messages the recorder has received so far.
fn received(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Starts the app with SMTP at `port` and quick retries.
async fn app_with_smtp(port: u16, max_attempts: i32) -> TestApp {
    let db = TestDb::new().await;
    let data_dir = std::env::temp_dir().join(format!("ggzy-test-{}", Uuid::new_v4().simple()));
    let mut config = test_config(&db, data_dir.clone(), true);
    config.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    config.mail.retry_base_ms = 200;
    config.mail.poll_ms = 50;
    config.mail.max_attempts = max_attempts;
    TestApp::start_on(db, data_dir, config).await
}

async fn email_of(app: &TestApp, user: &TestUser) -> String {
    let me: Value = app
        .get("/api/v1/me", Some(&user.token))
        .await
        .json()
        .await
        .unwrap();
    me["email"].as_str().unwrap().to_string()
}

async fn subscribe(app: &TestApp, user: &TestUser, category: &str) -> reqwest::Response {
    app.post(
        "/api/v1/me/subscriptions",
        Some(&user.token),
        json!({"category": category}),
    )
    .await
}

/// Queued mails by status (read as the owner: the plane roles see only their own plane's).
async fn mail_status(app: &TestApp) -> BTreeMap<String, i64> {
    let c = pg(&app.db.url).await;
    c.query("SELECT status, count(*) FROM mails GROUP BY status", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1)))
        .collect()
}

async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..600 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// A published construction tender with one subscriber of construction, one of land (who must
/// get nothing), and a bidder who obtained the documents and bid. Returns (tender, code,
/// subscriber, land subscriber, bidder).
async fn scenario(app: &TestApp) -> (String, String, TestUser, TestUser, TestUser) {
    let w = world(app, "construction").await;
    let subscriber = app.user(Role::Bidder).await;
    let land = app.user(Role::Bidder).await;
    let bidder = app.user(Role::Bidder).await;
    assert_eq!(
        subscribe(app, &subscriber, "construction").await.status(),
        201
    );
    assert_eq!(subscribe(app, &land, "land").await.status(), 201);
    let (tender, _) = create_tender(app, &w, 25).await;
    designate_and_register(app, &w, &tender).await;
    publish(app, &w, &tender).await;
    let t: Value = app
        .get(&format!("/api/v1/tenders/{tender}"), None)
        .await
        .json()
        .await
        .unwrap();
    let code = t["code"].as_str().unwrap().to_string();
    // documents open an hour after creation
    advance(app, 7200, Some(true)).await;
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/documents"),
            Some(&bidder.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let env = sealed_bid(
        &w,
        &tender,
        bidder.org_code.as_deref().unwrap(),
        "45000000.00",
    );
    let r = submit(app, &tender, &bidder, &env).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/clarifications"),
            Some(&w.agency.token),
            json!({"text": "第三章技术标准补充：路面结构层厚度按设计图纸执行。"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    (tender, code, subscriber, land, bidder)
}

#[tokio::test]
async fn a_real_smtp_server_receives_the_expected_mails_in_zh_cn() {
    let port = free_port();
    let out = std::env::temp_dir().join(format!("ggzy-smtp-{}.jsonl", Uuid::new_v4().simple()));
    let server = SmtpServer::start(port, &out).await;
    let app = app_with_smtp(port, 8).await;
    let (_tender, code, subscriber, land, bidder) = scenario(&app).await;

    wait_for("three mails", async || received(&out).len() >= 3).await;
    // nothing else trickles in
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = received(&out);
    assert_eq!(got.len(), 3, "{got:#?}");
    let (sub_addr, land_addr, bidder_addr) = (
        email_of(&app, &subscriber).await,
        email_of(&app, &land).await,
        email_of(&app, &bidder).await,
    );
    let to = |addr: &str| -> Vec<String> {
        let mut v: Vec<String> = got
            .iter()
            .filter(|m| m["rcpt_tos"] == json!([addr]))
            .map(|m| m["subject"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        to(&sub_addr),
        vec![format!("【招标公告】第一标段（{code}）")]
    );
    assert!(
        to(&land_addr).is_empty(),
        "a land subscriber gets no construction notice"
    );
    assert_eq!(
        to(&bidder_addr),
        vec![
            format!("【投标回执】第一标段（{code}）"),
            format!("【澄清/修改】第一标段（{code}）")
        ]
    );
    let notice = got
        .iter()
        .find(|m| m["rcpt_tos"] == json!([sub_addr]))
        .unwrap();
    let body = notice["body"].as_str().unwrap();
    assert!(
        body.contains("您订阅的工程建设类交易有新公告发布"),
        "{body}"
    );
    assert!(body.contains("（北京时间）"), "{body}");
    let clar = got
        .iter()
        .find(|m| m["subject"].as_str().unwrap().starts_with("【澄清/修改】"))
        .unwrap();
    assert!(
        clar["body"].as_str().unwrap().contains("路面结构层厚度"),
        "{clar}"
    );
    assert!(
        notice["from"]
            .as_str()
            .unwrap()
            .contains("noreply@ggzy.localhost"),
        "{notice}"
    );

    // each mail's Message-ID is its queued row's id, and the rows are marked sent
    let c = pg(&app.db.url).await;
    let rows = c
        .query(
            "SELECT id, status, attempts, sent_at IS NOT NULL FROM mails ORDER BY id",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    for r in &rows {
        let id: Uuid = r.get(0);
        assert_eq!(r.get::<_, String>(1), "sent");
        assert_eq!(r.get::<_, i32>(2), 1);
        assert!(r.get::<_, bool>(3));
        let mid = format!("<{}@ggzy.localhost>", id.simple());
        assert_eq!(
            got.iter().filter(|m| m["message_id"] == json!(mid)).count(),
            1,
            "{mid}"
        );
    }
    // each mail is also in the outbox, queued in its event's transaction
    let n: i64 = c
        .query_one("SELECT count(*) FROM outbox WHERE kind = 'mail'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 3);
    // the execute plane queued them all, and only the execute worker may see them
    let planes: Vec<String> = c
        .query("SELECT DISTINCT plane FROM mails", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(planes, vec!["execute".to_string()]);
    let seen_by_decide: i64 = pg(&app.db.url_as("ggzy_decide"))
        .await
        .query_one("SELECT count(*) FROM mails", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(seen_by_decide, 0);
    app.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn mails_queued_while_the_server_is_down_arrive_exactly_once_after_it_returns() {
    let port = free_port();
    let out = std::env::temp_dir().join(format!("ggzy-smtp-{}.jsonl", Uuid::new_v4().simple()));
    let app = app_with_smtp(port, 30).await;
    let _ = scenario(&app).await;
    assert_eq!(mail_status(&app).await.get("queued"), Some(&3));
    // the server is down: every mail fails at least twice and stays queued
    let c = pg(&app.db.url).await;
    wait_for("two failed attempts per mail", async || {
        let min: i32 = c
            .query_one("SELECT min(attempts) FROM mails", &[])
            .await
            .unwrap()
            .get(0);
        min >= 2
    })
    .await;
    let errors: i64 = c
        .query_one(
            "SELECT count(*) FROM mails WHERE status = 'queued' AND last_error IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(errors, 3);
    assert!(received(&out).is_empty());

    let server = SmtpServer::start(port, &out).await;
    wait_for("every mail sent", async || {
        mail_status(&app).await.get("sent") == Some(&3)
    })
    .await;
    // give a duplicate every chance to show up
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got = received(&out);
    let mut ids: Vec<String> = got
        .iter()
        .map(|m| m["message_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!(n, 3, "{got:#?}");
    assert_eq!(ids.len(), 3, "a Message-ID arrived twice: {got:#?}");
    let rows = c.query("SELECT id FROM mails", &[]).await.unwrap();
    for r in rows {
        let id: Uuid = r.get(0);
        assert!(ids.contains(&format!("<{}@ggzy.localhost>", id.simple())));
    }
    assert_eq!(
        mail_status(&app).await,
        BTreeMap::from([("sent".to_string(), 3)])
    );
    app.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn a_mail_that_never_gets_through_is_dead_lettered() {
    let port = free_port();
    let app = app_with_smtp(port, 2).await;
    let w = world(&app, "land").await;
    let subscriber = app.user(Role::Bidder).await;
    assert_eq!(subscribe(&app, &subscriber, "land").await.status(), 201);
    let (tender, _) = create_tender(&app, &w, 25).await;
    designate_and_register(&app, &w, &tender).await;
    publish(&app, &w, &tender).await;
    wait_for("the dead letter", async || {
        mail_status(&app).await.get("dead") == Some(&1)
    })
    .await;
    let c = pg(&app.db.url).await;
    let r = c
        .query_one(
            "SELECT attempts, last_error, sent_at IS NULL, to_addr FROM mails",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(r.get::<_, i32>(0), 2);
    assert!(!r.get::<_, String>(1).is_empty());
    assert!(r.get::<_, bool>(2));
    assert_eq!(r.get::<_, String>(3), email_of(&app, &subscriber).await);
    // a dead letter is not retried
    tokio::time::sleep(Duration::from_millis(800)).await;
    let attempts: i32 = c
        .query_one("SELECT attempts FROM mails", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(attempts, 2);
    let metrics = app
        .get("/api/v1/metrics", Some(crate::helpers::METRICS_TOKEN))
        .await
        .text()
        .await
        .unwrap();
    let dead = metrics.lines().find(|l| {
        l.starts_with("ggzy_mail_deliveries_total{")
            && l.contains("outcome=\"dead\"")
            && l.contains("plane=\"execute\"")
    });
    assert_eq!(
        dead.and_then(|l| l.rsplit(' ').next()),
        Some("1"),
        "{metrics}"
    );
    app.stop().await;
}

#[tokio::test]
async fn bidders_subscribe_to_a_line_of_business() {
    let app = TestApp::spawn().await;
    let bidder = app.user(Role::Bidder).await;
    let r = subscribe(&app, &bidder, "procurement").await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["category"], "procurement");
    assert!(v["subscribed_at"].as_str().unwrap().ends_with('Z'));
    // again: the same subscription, not a second one
    let r = subscribe(&app, &bidder, "procurement").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["subscribed_at"],
        v["subscribed_at"]
    );
    // an unknown line of business
    let r = subscribe(&app, &bidder, "mining").await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "invalid_category");
    let r = app
        .post("/api/v1/me/subscriptions", Some(&bidder.token), json!({}))
        .await;
    assert_eq!(r.status(), 400);
    // only bidders subscribe (the route table)
    let agency = app.user(Role::Agency).await;
    let r = subscribe(&app, &agency, "procurement").await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        subscribe(
            &app,
            &TestUser {
                id: Uuid::nil(),
                token: "x".into(),
                org_code: None
            },
            "land"
        )
        .await
        .status(),
        401
    );
    let c = pg(&app.db.url).await;
    let rows: Vec<(Uuid, String)> = c
        .query("SELECT user_id, category FROM mail_subscriptions", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(rows, vec![(bidder.id, "procurement".to_string())]);
    app.stop().await;
}

/// Subjects received per recipient address, sorted.
fn by_recipient(got: &[Value]) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in got {
        for to in m["rcpt_tos"].as_array().unwrap() {
            map.entry(to.as_str().unwrap().to_string())
                .or_default()
                .push(m["subject"].as_str().unwrap().to_string());
        }
    }
    for v in map.values_mut() {
        v.sort();
    }
    map
}

#[tokio::test]
async fn the_opening_and_a_complaint_decision_mail_holders_bidders_and_the_complainant() {
    let port = free_port();
    let out = std::env::temp_dir().join(format!("ggzy-smtp-{}.jsonl", Uuid::new_v4().simple()));
    let server = SmtpServer::start(port, &out).await;
    let app = app_with_smtp(port, 8).await;
    let w = world(&app, "construction").await;
    let (tender, bidders) = crate::venues_complaints::opened_tender(&app, &w).await;
    let t: Value = app
        .get(&format!("/api/v1/tenders/{tender}"), None)
        .await
        .json()
        .await
        .unwrap();
    let code = t["code"].as_str().unwrap().to_string();
    // bidders[0] complains about the opening; the regulator accepts and dismisses it
    let r = app
        .post("/api/v1/complaints", Some(&bidders[0].token),
              json!({"subject_type": "tender", "subject_id": tender, "text": "开标记录与投标文件报价不一致"}))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(
            &format!("/api/v1/complaints/{id}/acceptance"),
            Some(&w.regulator.token),
            json!({"accepted": true, "reason": "符合受理条件"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = app
        .post(
            &format!("/api/v1/complaints/{id}/decision"),
            Some(&w.regulator.token),
            json!({"decision": "dismissed", "text": "经查，开标记录无误，驳回投诉。"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    // 3 receipts + 3 opening reminders + 3 opening records + 1 decision
    wait_for("ten mails", async || received(&out).len() >= 10).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = received(&out);
    assert_eq!(got.len(), 10, "{got:#?}");
    let map = by_recipient(&got);
    for (_, holder, _, _) in &w.holders {
        assert_eq!(
            map.get(&email_of(&app, holder).await),
            Some(&vec![format!("【开标提醒】第一标段（{code}）")]),
            "{map:#?}"
        );
    }
    let receipt = format!("【投标回执】第一标段（{code}）");
    let record = format!("【开标记录】第一标段（{code}）");
    let mut first = vec![
        receipt.clone(),
        record.clone(),
        "【投诉处理决定】驳回投诉".to_string(),
    ];
    first.sort();
    assert_eq!(
        map.get(&email_of(&app, &bidders[0]).await),
        Some(&first),
        "{map:#?}"
    );
    for b in &bidders[1..] {
        let mut want = vec![receipt.clone(), record.clone()];
        want.sort();
        assert_eq!(map.get(&email_of(&app, b).await), Some(&want), "{map:#?}");
    }
    let decision = got
        .iter()
        .find(|m| m["subject"] == "【投诉处理决定】驳回投诉")
        .unwrap();
    assert!(
        decision["body"]
            .as_str()
            .unwrap()
            .contains("经查，开标记录无误"),
        "{decision}"
    );
    let reminder = got
        .iter()
        .find(|m| m["subject"].as_str().unwrap().starts_with("【开标提醒】"))
        .unwrap();
    assert!(
        reminder["body"]
            .as_str()
            .unwrap()
            .contains("共收到 3 份投标文件"),
        "{reminder}"
    );
    // the decision was queued and delivered by the decide plane, the rest by execute
    let c = pg(&app.db.url).await;
    let planes: Vec<(String, String, i64)> = c
        .query(
            "SELECT plane, status, count(*) FROM mails GROUP BY plane, status ORDER BY plane",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        planes,
        vec![
            ("decide".into(), "sent".into(), 1),
            ("execute".into(), "sent".into(), 9)
        ]
    );
    app.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn land_subscribers_are_mailed_a_new_auction_announcement() {
    let port = free_port();
    let out = std::env::temp_dir().join(format!("ggzy-smtp-{}.jsonl", Uuid::new_v4().simple()));
    let server = SmtpServer::start(port, &out).await;
    let app = app_with_smtp(port, 8).await;
    let land = app.user(Role::Bidder).await;
    let construction = app.user(Role::Bidder).await;
    assert_eq!(subscribe(&app, &land, "land").await.status(), 201);
    assert_eq!(
        subscribe(&app, &construction, "construction")
            .await
            .status(),
        201
    );
    let lot = crate::auctions::lot(&app, "land", crate::auctions::english, None).await;
    let id: Uuid = lot.id.parse().unwrap();
    let code: String = pg(&app.db.url)
        .await
        .query_one("SELECT code FROM auctions WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0);
    wait_for("one mail", async || !received(&out).is_empty()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = received(&out);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0]["rcpt_tos"], json!([email_of(&app, &land).await]));
    assert_eq!(
        got[0]["subject"],
        json!(format!(
            "【出让公告】A-2026-17号地块国有建设用地使用权（{code}）"
        ))
    );
    let body = got[0]["body"].as_str().unwrap();
    assert!(body.contains("起始价：1000000.00 元"), "{body}");
    assert!(body.contains("交易方式：拍卖（增价）"), "{body}");
    app.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn the_agency_is_mailed_a_yellow_card_for_too_few_downloads() {
    let port = free_port();
    let out = std::env::temp_dir().join(format!("ggzy-smtp-{}.jsonl", Uuid::new_v4().simple()));
    let server = SmtpServer::start(port, &out).await;
    let app = app_with_smtp(port, 8).await;
    let w = world(&app, "construction").await;
    let (tender, deadline) = create_tender(&app, &w, 25).await;
    designate_and_register(&app, &w, &tender).await;
    publish(&app, &w, &tender).await;
    let t: Value = app
        .get(&format!("/api/v1/tenders/{tender}"), None)
        .await
        .json()
        .await
        .unwrap();
    let code = t["code"].as_str().unwrap().to_string();
    // two days before the deadline nobody has obtained the documents: the scan raises a card
    let now = crate::tendering::platform_now(&app).await;
    advance(
        &app,
        (deadline - now).num_seconds() - 2 * 86_400,
        Some(true),
    )
    .await;
    wait_for("one mail", async || !received(&out).is_empty()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = received(&out);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0]["rcpt_tos"], json!([email_of(&app, &w.agency).await]));
    assert_eq!(
        got[0]["subject"],
        json!(format!("【黄牌预警】获取招标文件的单位不足三家（{code}）"))
    );
    assert!(
        got[0]["body"]
            .as_str()
            .unwrap()
            .contains("招标投标法 第二十八条"),
        "{got:#?}"
    );
    let plane: String = pg(&app.db.url)
        .await
        .query_one("SELECT plane FROM mails", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(plane, "supervise");
    app.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn withdrawals_are_receipted_and_a_postponed_opening_reaches_bidders_and_holders() {
    let port = free_port();
    let out = std::env::temp_dir().join(format!("ggzy-smtp-{}.jsonl", Uuid::new_v4().simple()));
    let server = SmtpServer::start(port, &out).await;
    let app = app_with_smtp(port, 8).await;
    let w = world(&app, "construction").await;
    let (tender, _) = create_tender(&app, &w, 25).await;
    designate_and_register(&app, &w, &tender).await;
    publish(&app, &w, &tender).await;
    let t: Value = app
        .get(&format!("/api/v1/tenders/{tender}"), None)
        .await
        .json()
        .await
        .unwrap();
    let code = t["code"].as_str().unwrap().to_string();
    advance(&app, 7200, Some(true)).await;
    let mut bidders = Vec::new();
    for price in ["45000000.00", "44200000.00", "46100000.00"] {
        let b = app.user(Role::Bidder).await;
        let r = app
            .post(
                &format!("/api/v1/tenders/{tender}/documents"),
                Some(&b.token),
                json!({}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let env = sealed_bid(&w, &tender, b.org_code.as_deref().unwrap(), price);
        assert_eq!(submit(&app, &tender, &b, &env).await.status(), 201);
        bidders.push(b);
    }
    // the first bidder withdraws and bids again
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/tenders/{tender}/bids/mine")))
        .bearer_auth(&bidders[0].token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let env = sealed_bid(
        &w,
        &tender,
        bidders[0].org_code.as_deref().unwrap(),
        "44900000.00",
    );
    assert_eq!(submit(&app, &tender, &bidders[0], &env).await.status(), 201);
    // bidding closes: the holders are reminded; then the centre postpones the opening
    advance(&app, 26 * 86_400, Some(true)).await;
    crate::tendering::run_timers(&app).await;
    let new_time = crate::tendering::platform_now(&app).await + chrono::Duration::days(2);
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/opening/postpone"),
            Some(&w.center.token),
            json!({"new_time": new_time, "reason": "监督方密钥持有人无法到场"}),
        )
        .await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());

    // 5 receipts + 3 reminders + 6 postponement notices (3 bidders, 3 holders)
    wait_for("fourteen mails", async || received(&out).len() >= 14).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = received(&out);
    assert_eq!(got.len(), 14, "{got:#?}");
    let map = by_recipient(&got);
    let s = |kind: &str| format!("【{kind}】第一标段（{code}）");
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(
        map.get(&email_of(&app, &bidders[0]).await),
        Some(&sorted(vec![
            s("投标回执"),
            s("撤回回执"),
            s("投标回执"),
            s("开标时间变更")
        ])),
        "{map:#?}"
    );
    for b in &bidders[1..] {
        assert_eq!(
            map.get(&email_of(&app, b).await),
            Some(&sorted(vec![s("投标回执"), s("开标时间变更")])),
            "{map:#?}"
        );
    }
    for (_, holder, _, _) in &w.holders {
        assert_eq!(
            map.get(&email_of(&app, holder).await),
            Some(&sorted(vec![s("开标提醒"), s("开标时间变更")])),
            "{map:#?}"
        );
    }
    let notice = got
        .iter()
        .find(|m| m["subject"] == json!(s("开标时间变更")))
        .unwrap();
    assert!(
        notice["body"]
            .as_str()
            .unwrap()
            .contains("监督方密钥持有人无法到场"),
        "{notice}"
    );
    app.stop().await;
    server.stop().await;
}

/// The result was mailed to every bidder of the tender (and no one else), and delivered by the
/// embedded default transport: one `.eml` file per mail under `$GGZY_DATA_DIR/mail/`.
pub(crate) async fn assert_award_mailed(app: &TestApp, tender: &str, bidders: &[Uuid]) {
    let c = pg(&app.db.url).await;
    let subject = format!("tender:{tender}");
    wait_for("the result mails sent", async || {
        let pending: i64 = c
            .query_one(
                "SELECT count(*) FROM mails WHERE topic = 'tender.awarded' \
                 AND 'tender:' || subject_id = $1 AND status <> 'sent'",
                &[&subject],
            )
            .await
            .unwrap()
            .get(0);
        pending == 0
    })
    .await;
    let rows = c
        .query(
            "SELECT id, to_user, subject FROM mails WHERE topic = 'tender.awarded' \
             AND 'tender:' || subject_id = $1 ORDER BY to_user",
            &[&subject],
        )
        .await
        .unwrap();
    let mut to: Vec<Uuid> = rows.iter().map(|r| r.get::<_, Uuid>(1)).collect();
    let mut want = bidders.to_vec();
    want.sort();
    to.sort();
    assert_eq!(to, want);
    let files: Vec<String> = std::fs::read_dir(app.data_dir.join("mail"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    for r in &rows {
        assert!(r.get::<_, String>(2).starts_with("【中标结果】第一标段（"));
        let mid = format!(
            "Message-ID: <{}@ggzy.localhost>",
            r.get::<_, Uuid>(0).simple()
        );
        assert_eq!(
            files.iter().filter(|f| f.contains(&mid)).count(),
            1,
            "{mid}"
        );
    }
}

#[tokio::test]
async fn registered_bidders_are_mailed_an_auctions_extension_and_its_result() {
    use crate::auctions::{bid, clock_to, lot, property, qualified};
    let port = free_port();
    let out = std::env::temp_dir().join(format!("ggzy-smtp-{}.jsonl", Uuid::new_v4().simple()));
    let server = SmtpServer::start(port, &out).await;
    let app = app_with_smtp(port, 8).await;
    let with_extension = |a| {
        let mut b = property(a);
        b["extension"] = json!({"working_days": 5, "max_extensions": 2, "if_at_most": 0});
        b
    };
    let l = lot(&app, "property", with_extension, None).await;
    let id: Uuid = l.id.parse().unwrap();
    let code: String = pg(&app.db.url)
        .await
        .query_one("SELECT code FROM auctions WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0);
    advance(&app, 120, Some(true)).await;
    // one bidder registers but pays no deposit: nobody is qualified at the start → 延牌
    let early = app.user(Role::Bidder).await;
    let r = app
        .post(
            &format!("/api/v1/auctions/{}/registrations", l.id),
            Some(&early.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    clock_to(&app, l.starts_at + chrono::Duration::seconds(1)).await;
    crate::tendering::run_timers(&app).await;
    let s: Value = app
        .get(&format!("/api/v1/auctions/{}", l.id), Some(&l.agency.token))
        .await
        .json()
        .await
        .unwrap();
    let moved: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(s["starts_at"].clone()).unwrap();
    assert!(moved > l.starts_at, "{s}");
    // a buyer qualifies and bids; the lot is sold to it when the countdown ends
    let b = qualified(&app, &l, 1).await;
    clock_to(&app, moved + chrono::Duration::seconds(1)).await;
    crate::tendering::run_timers(&app).await;
    assert_eq!(bid(&app, &l.id, &b[0].0, "5000000.00").await.0, 201);
    clock_to(
        &app,
        moved + chrono::Duration::hours(2) + chrono::Duration::seconds(31),
    )
    .await;
    crate::tendering::run_timers(&app).await;

    // the extension to the one registrant then; the result to both
    wait_for("three mails", async || received(&out).len() >= 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = received(&out);
    assert_eq!(got.len(), 3, "{got:#?}");
    let map = by_recipient(&got);
    let title = "A-2026-17号地块国有建设用地使用权";
    let mut early_want = vec![
        format!("【延期公告】{title}（{code}）"),
        format!("【成交公告】{title}（{code}）"),
    ];
    early_want.sort();
    assert_eq!(
        map.get(&email_of(&app, &early).await),
        Some(&early_want),
        "{map:#?}"
    );
    assert_eq!(
        map.get(&email_of(&app, &b[0].0).await),
        Some(&vec![format!("【成交公告】{title}（{code}）")]),
        "{map:#?}"
    );
    let sold = got
        .iter()
        .find(|m| m["subject"].as_str().unwrap().starts_with("【成交公告】"))
        .unwrap();
    assert!(
        sold["body"]
            .as_str()
            .unwrap()
            .contains("成交价：5000000.00 元"),
        "{sold}"
    );
    app.stop().await;
    server.stop().await;
}
