//! The public portal API (issue 6): announcements derived from real publishes, filtered by line of
//! business, searched in Chinese by character bigrams, paged by the sequencer's number; results;
//! statistics against a fixture of known transactions, with the figures worked out by hand.

use std::collections::HashSet;
use std::time::Duration as StdDuration;

use chrono::Duration;
use serde_json::{Value, json};

use crate::auctions::{bid, clock_to, english, lot, qualified};
use crate::helpers::{TestApp, TestDb, pg};
use crate::tendering::{
    advance, create_tender, create_tender_with, designate_and_register, publish, run_timers, world,
};

/// GET a public path (no token), expecting 200.
async fn get_ok(app: &TestApp, path: &str) -> Value {
    let r = app.get(path, None).await;
    assert_eq!(r.status(), 200, "{path}: {}", r.text().await.unwrap());
    r.json().await.unwrap()
}

/// The items of a public list once the sequencer has numbered at least `n` of them.
async fn wait_items(app: &TestApp, path: &str, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let v = get_ok(app, path).await;
        let items = v["items"].as_array().unwrap().clone();
        if items.len() >= n {
            return items;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    panic!("{path}: fewer than {n} items after 5 s");
}

/// The kinds of a list's items, in order.
fn kinds(items: &[Value]) -> Vec<&str> {
    items.iter().map(|i| i["kind"].as_str().unwrap()).collect()
}

/// Searches and returns the kinds found.
async fn search(app: &TestApp, q: &str) -> Vec<String> {
    let path = format!("/api/v1/public/announcements?q={}", urlencode(q));
    let v = get_ok(app, &path).await;
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap().to_string())
        .collect()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn search_tokens_agree_between_rust_and_sql() {
    let db = TestDb::new().await;
    let c = pg(&db.url).await;
    let texts = [
        "市民中心改造工程 第一标段 招标公告",
        "GC-2026-0001号 A标段x",
        "标",
        "，。！ ——",
        "Mixed Case 测试ABC123中 𠀀𠀁",
        "关于补充钢结构技术参数的澄清",
    ];
    for text in texts {
        for for_query in [false, true] {
            let sql: Vec<String> = c
                .query_one("SELECT ggzy_search_tokens($1, $2)", &[&text, &for_query])
                .await
                .unwrap()
                .get(0);
            assert_eq!(
                sql,
                ggzy::public::search::tokens(text, for_query),
                "{text} ({for_query})"
            );
        }
    }
    // and the index matches a query made of them: a phrase, a lone character, no false match
    for (q, hit) in [
        ("中心改造", true),
        ("心", true),
        ("中改", false),
        ("gc", true),
        ("gc2026", false),
    ] {
        let tokens = ggzy::public::search::query_tokens(q);
        let m: bool = c
            .query_one(
                "SELECT array_to_tsvector(ggzy_search_tokens($1, false)) @@ ggzy_search_query($2)",
                &[&"市民中心改造工程 GC-2026", &tokens],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(m, hit, "{q}");
    }
}

#[tokio::test]
async fn announcements_follow_real_publishes_with_category_search_and_cursor() {
    let app = TestApp::spawn().await;
    // a construction tender: notice, then a clarification
    let w = world(&app, "construction").await;
    let (tender, _) = create_tender(&app, &w, 25).await;
    designate_and_register(&app, &w, &tender).await;
    publish(&app, &w, &tender).await;
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/clarifications"),
            Some(&w.agency.token),
            json!({"text": "关于补充钢结构技术参数的澄清：详见附件。"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    // a land lot: its auction notice; the sealed reserve price is set after publication
    let l = lot(&app, "land", english, Some("1300000.00")).await;

    let all = wait_items(&app, "/api/v1/public/announcements", 3).await;
    assert_eq!(kinds(&all), ["notice", "clarification", "auction_notice"]);
    let notice = &all[0];
    assert_eq!(notice["category"], "construction");
    assert_eq!(notice["subject_id"], tender.as_str());
    assert_eq!(notice["title"], "市民中心改造工程 第一标段 招标公告");
    assert!(
        notice["summary"]
            .as_str()
            .unwrap()
            .contains("最高投标限价：48000000.00 元"),
        "{notice}"
    );
    assert!(notice["tenderer_name"].is_string(), "{notice}");
    assert_eq!(notice["detail_path"], format!("/api/v1/tenders/{tender}"));
    assert_eq!(all[2]["category"], "land");
    assert_eq!(all[2]["subject_id"], l.id.as_str());
    assert!(all[2]["title"].as_str().unwrap().ends_with("拍卖公告"));
    // the announcements carry no secret: no reserve price, no bidder
    let text = serde_json::to_string(&all).unwrap();
    assert!(
        !text.contains("1300000") && !text.contains("reserve"),
        "{text}"
    );
    let seqs: Vec<i64> = all.iter().map(|i| i["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|p| p[0] < p[1]), "{seqs:?}");

    // category filter
    let land = get_ok(&app, "/api/v1/public/announcements?category=land").await;
    assert_eq!(kinds(land["items"].as_array().unwrap()), ["auction_notice"]);
    let cons = get_ok(&app, "/api/v1/public/announcements?category=construction").await;
    assert_eq!(
        kinds(cons["items"].as_array().unwrap()),
        ["notice", "clarification"]
    );
    let proc_ = get_ok(&app, "/api/v1/public/announcements?category=procurement").await;
    assert!(proc_["items"].as_array().unwrap().is_empty());

    // Chinese search: a two-character word, a longer phrase, one character, no false match
    assert_eq!(search(&app, "地块").await, ["auction_notice"]);
    assert_eq!(search(&app, "钢结构技术参数").await, ["clarification"]);
    assert_eq!(search(&app, "钢").await, ["clarification"]);
    assert_eq!(search(&app, "改造").await, ["notice", "clarification"]);
    assert!(search(&app, "地标").await.is_empty());
    assert!(search(&app, "技术钢结构参数改造地块").await.is_empty());
    // mixed: the tender's code (letters, digits, punctuation) and Chinese together
    let code = notice["code"].as_str().unwrap();
    assert_eq!(search(&app, code).await, ["notice", "clarification"]);
    assert_eq!(
        search(&app, &format!("{code} 澄清")).await,
        ["clarification"]
    );
    // search and category together
    let v = get_ok(
        &app,
        &format!(
            "/api/v1/public/announcements?category=land&q={}",
            urlencode("改造")
        ),
    )
    .await;
    assert!(v["items"].as_array().unwrap().is_empty());

    // cursor: pages of one see every row once, in order, and end with next = null
    let mut after = 0;
    let mut seen = Vec::new();
    loop {
        let v = get_ok(
            &app,
            &format!("/api/v1/public/announcements?limit=1&after={after}"),
        )
        .await;
        for i in v["items"].as_array().unwrap() {
            seen.push(i["seq"].as_i64().unwrap());
        }
        match v["next"].as_i64() {
            Some(n) => after = n,
            None => break,
        }
    }
    assert_eq!(seen, seqs);
    let v = get_ok(
        &app,
        &format!("/api/v1/public/announcements?after={}", seqs[1]),
    )
    .await;
    assert_eq!(kinds(v["items"].as_array().unwrap()), ["auction_notice"]);
    assert!(v["next"].is_null());

    // bad input is a 400 with a stable code
    for bad in [
        "category=water",
        "q=%EF%BC%81%EF%BC%9F", // "！？": nothing searchable
        "limit=0",
        "after=-1",
        "after=x",
        "colour=red",
    ] {
        let r = app
            .get(&format!("/api/v1/public/announcements?{bad}"), None)
            .await;
        assert_eq!(r.status(), 400, "{bad}");
        assert_eq!(
            r.json::<Value>().await.unwrap()["code"],
            "invalid_query",
            "{bad}"
        );
    }
}

/// Inserts, as the database owner, a procurement tender of the project completed with a contract:
/// a winning bid, the award `awarded_days_ago`, the contract signed `signed_days_after` the award,
/// and the public entries the award and contract would have emitted.
async fn completed_tender(
    app: &TestApp,
    project: &str,
    lot_no: i32,
    max_price: Option<&str>,
    amount: &str,
    signed_days_after: i32,
) {
    let c = pg(&app.db.url).await;
    let max = max_price.map_or("NULL".to_string(), |m| format!("{m}::numeric"));
    c.batch_execute(&format!(
        "DO $$
         DECLARE
            t uuid := gen_random_uuid(); b uuid := gen_random_uuid();
            u uuid; o uuid; awarded timestamptz := ggzy_now() - interval '60 days';
         BEGIN
            SELECT created_by INTO u FROM projects WHERE id = '{project}';
            SELECT id INTO o FROM orgs ORDER BY created_at DESC LIMIT 1;
            -- a fixture of a tender that went all the way: published (so the public role sees
            -- it), without the notice that only publication writes (the freeze trigger, which
            -- guards that, is off for this one insert by the superuser)
            ALTER TABLE tenders DISABLE TRIGGER tenders_freeze_sealing;
            INSERT INTO tenders (id, project_id, lot_no, code, title, method, evaluation, max_price,
                bid_security_amount, documents_from, documents_until, bid_deadline, opening_at,
                status, created_by, published_at)
            VALUES (t, '{project}', {lot_no}, 'FIX-' || {lot_no}, '第{lot_no}包', 'open_tender',
                '{{\"method\": \"lowest_price\"}}', {max}, 0, awarded - interval '40 days',
                awarded - interval '30 days', awarded - interval '20 days', awarded - interval '20 days',
                'contracted', u, awarded - interval '45 days');
            ALTER TABLE tenders ENABLE TRIGGER tenders_freeze_sealing;
            INSERT INTO bid_submissions (id, tender_id, round, org_id, user_id, submission_no, kind,
                envelope, envelope_sha256, payload_sha256, received_at, receipt)
            VALUES (b, t, 1, o, u, 1, 'bid', '\\x00', md5(b::text), md5(t::text),
                awarded - interval '21 days', '{{}}');
            INSERT INTO bids (id, tender_id, round, org_id, status, price, opened_at)
            VALUES (b, t, 1, o, 'opened', {amount}, awarded - interval '20 days');
            INSERT INTO awards (tender_id, bid_id, awarded_by, awarded_at) VALUES (t, b, u, awarded);
            INSERT INTO contracts (tender_id, signed_at, amount, document_sha256, recorded_by)
            VALUES (t, awarded + interval '{signed_days_after} days', {amount}, repeat('a', 64), u);
            INSERT INTO outbox (plane, kind, topic, subject_type, subject_id, payload) VALUES
              ('', 'public', 'tender.award', 'tender', t::text,
               jsonb_build_object('tender_id', t, 'winner_name', '鹏程建设有限公司', 'price', '{amount}')),
              ('', 'public', 'tender.contract', 'tender', t::text,
               jsonb_build_object('tender_id', t, 'amount', '{amount}', 'signed_at',
                                  awarded + interval '{signed_days_after} days'));
         END $$"
    ))
    .await
    .unwrap();
}

#[tokio::test]
async fn results_and_statistics_match_figures_computed_by_hand() {
    let app = TestApp::spawn().await;
    // procurement: three completed tenders of known budgets (最高限价) and contract values, and
    // one still bidding, which does not count
    let w = world(&app, "procurement").await;
    completed_tender(&app, &w.project_id, 11, Some("1000000.00"), "875000.00", 10).await;
    completed_tender(
        &app,
        &w.project_id,
        12,
        Some("2400000.00"),
        "2160000.00",
        35,
    )
    .await;
    completed_tender(&app, &w.project_id, 13, None, "500000.00", 30).await;
    let evaluation = json!({"method": "gp_comprehensive", "price_weight": "0.3",
                            "technical_weight": "0.6", "commercial_weight": "0.1",
                            "sme_deduction": "0.10"});
    let (open, _) = create_tender_with(&app, &w, 25, evaluation, json!("7800000.00")).await;
    designate_and_register(&app, &w, &open).await;
    publish(&app, &w, &open).await;

    // land: a real auction, start 1,000,000.00, sold at 1,150,000.00 (reserve 1,100,000.00)
    let l = lot(&app, "land", english, Some("1100000.00")).await;
    advance(&app, 120, Some(true)).await;
    let bidders = qualified(&app, &l, 2).await;
    clock_to(&app, l.starts_at + Duration::seconds(1)).await;
    run_timers(&app).await;
    for (who, amount) in [(0, "1000000.00"), (1, "1100000.00"), (0, "1150000.00")] {
        let (s, v) = bid(&app, &l.id, &bidders[who].0, amount).await;
        assert_eq!(s, 201, "{v}");
    }
    clock_to(&app, l.starts_at + Duration::seconds(120)).await;
    run_timers(&app).await;

    // results: three awards, three contracts, one auction result
    let items = wait_items(&app, "/api/v1/public/results", 7).await;
    let mut by_kind = std::collections::BTreeMap::<String, Vec<&Value>>::new();
    for i in &items {
        by_kind
            .entry(i["kind"].as_str().unwrap().to_string())
            .or_default()
            .push(i);
    }
    assert_eq!(by_kind["award"].len(), 3);
    assert_eq!(by_kind["contract"].len(), 3);
    let amounts: HashSet<&str> = by_kind["contract"]
        .iter()
        .map(|i| i["amount"].as_str().unwrap())
        .collect();
    assert_eq!(
        amounts,
        HashSet::from(["875000.00", "2160000.00", "500000.00"])
    );
    assert_eq!(by_kind["award"][0]["winner_name"], "鹏程建设有限公司");
    let sold = by_kind["auction_result"][0];
    assert_eq!(sold["category"], "land");
    assert_eq!(sold["result"], "sold");
    assert_eq!(sold["amount"], "1150000.00");
    assert_eq!(
        sold["detail_path"],
        format!("/api/v1/auctions/{}/result", l.id)
    );
    assert!(sold["title"].as_str().unwrap().ends_with("成交公示"));
    // no notice among the results; the kind filter and the land filter
    let v = get_ok(
        &app,
        "/api/v1/public/results?kind=contract&category=procurement",
    )
    .await;
    assert_eq!(kinds(v["items"].as_array().unwrap()), ["contract"; 3]);
    let v = get_ok(&app, "/api/v1/public/results?category=land").await;
    assert_eq!(kinds(v["items"].as_array().unwrap()), ["auction_result"]);
    let r = app.get("/api/v1/public/results?kind=notice", None).await;
    assert_eq!(r.status(), 400);

    // statistics, by hand:
    // procurement: 3 completed tenders; budget = 1,000,000 + 2,400,000 = 3,400,000.00 (the third
    // set no maximum price); contract value = 875,000 + 2,160,000 + 500,000 = 3,535,000.00;
    // savings = 125,000 + 240,000 = 365,000.00; rate = 365,000 / 3,400,000 = 10.735…% → 10.74;
    // on time: contracts signed after 10, 35 and 30 days, within 30 days: 2 of 3 → 66.67
    // land: 1 sold lot; 1,150,000 − 1,000,000 = 150,000.00 premium; 150,000 / 1,000,000 → 15.00
    let v = get_ok(&app, "/api/v1/public/stats").await;
    let lines = v["items"].as_array().unwrap();
    let line = |c: &str| lines.iter().find(|l| l["category"] == c).unwrap().clone();
    assert_eq!(
        line("procurement"),
        json!({"category": "procurement", "count": 3, "tender_count": 3, "auction_count": 0,
               "budget": "3400000.00", "contract_value": "3535000.00", "savings": "365000.00",
               "savings_rate": "10.74", "start_value": "0.00", "deal_value": "0.00",
               "premium": "0.00", "premium_rate": null, "on_time_steps": 3, "on_time": 2,
               "on_time_rate": "66.67"})
    );
    assert_eq!(
        line("land"),
        json!({"category": "land", "count": 1, "tender_count": 0, "auction_count": 1,
               "budget": "0.00", "contract_value": "0.00", "savings": "0.00",
               "savings_rate": null, "start_value": "1000000.00", "deal_value": "1150000.00",
               "premium": "150000.00", "premium_rate": "15.00", "on_time_steps": 0, "on_time": 0,
               "on_time_rate": null})
    );
    for empty in ["construction", "property"] {
        let l = line(empty);
        assert_eq!(
            (l["count"].as_i64(), l["budget"].as_str()),
            (Some(0), Some("0.00")),
            "{l}"
        );
    }
    assert_eq!(lines.len(), 4);
}

#[tokio::test]
async fn paging_under_concurrent_writers_sees_every_announcement_once() {
    let app = TestApp::spawn().await;
    let w = world(&app, "construction").await;
    let (tender, _) = create_tender(&app, &w, 25).await;
    designate_and_register(&app, &w, &tender).await;
    publish(&app, &w, &tender).await;
    // eight writers commit 25 public entries each (one transaction per entry) while a reader
    // pages through the list seven at a time
    const WRITERS: usize = 8;
    const EACH: usize = 25;
    let mut writers = Vec::new();
    for wr in 0..WRITERS {
        let url = app.db.url.clone();
        let tender = tender.clone();
        writers.push(tokio::spawn(async move {
            let c = pg(&url).await;
            for i in 0..EACH {
                c.execute(
                    "INSERT INTO outbox (plane, kind, topic, subject_type, subject_id, payload)
                     VALUES ('', 'public', 'tender.clarification', 'tender', $1,
                             jsonb_build_object('text', $2::text))",
                    &[&tender, &format!("第{wr}号澄清之{i}")],
                )
                .await
                .unwrap();
            }
        }));
    }
    let total = 1 + WRITERS * EACH;
    let mut after = 0;
    let mut seen: Vec<i64> = Vec::new();
    for _ in 0..2000 {
        let v = get_ok(
            &app,
            &format!("/api/v1/public/announcements?limit=7&after={after}"),
        )
        .await;
        for i in v["items"].as_array().unwrap() {
            seen.push(i["seq"].as_i64().unwrap());
        }
        if let Some(s) = seen.last() {
            after = *s;
        }
        if seen.len() >= total {
            break;
        }
        if v["next"].is_null() {
            tokio::time::sleep(StdDuration::from_millis(20)).await;
        }
    }
    for wr in writers {
        wr.await.unwrap();
    }
    assert_eq!(seen.len(), total, "every announcement once");
    assert!(
        seen.windows(2).all(|p| p[0] < p[1]),
        "in order, none repeated"
    );
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), total);
    // nothing more appears afterwards
    let v = get_ok(&app, &format!("/api/v1/public/announcements?after={after}")).await;
    assert!(v["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_list_page_leaves_out_large_entries_and_numbers_come_from_the_sequencer() {
    let app = TestApp::spawn().await;
    let w = world(&app, "construction").await;
    let (tender, _) = create_tender(&app, &w, 25).await;
    designate_and_register(&app, &w, &tender).await;
    publish(&app, &w, &tender).await;
    // one small clarification and one whose public entry is 40 KB (like a large tender's
    // closing manifest), committed as the execute plane's outbox rows are
    let c = pg(&app.db.url).await;
    for text in ["小澄清".to_string(), "大".repeat(40_000 / 3 + 10)] {
        c.execute(
            "INSERT INTO outbox (plane, kind, topic, subject_type, subject_id, payload)
             VALUES ('', 'public', 'tender.clarification', 'tender', $1,
                     jsonb_build_object('text', $2::text))",
            &[&tender, &text],
        )
        .await
        .unwrap();
    }
    let items = wait_items(&app, "/api/v1/public/announcements?limit=200", 3).await;
    assert_eq!(kinds(&items), ["notice", "clarification", "clarification"]);
    let (small, large) = (&items[1], &items[2]);
    assert_eq!(small["details"]["text"], "小澄清");
    assert_eq!(small["details_omitted"], false);
    assert!(large["details"].is_null(), "{large}");
    assert_eq!(large["details_omitted"], true);
    assert!(large["details_bytes"].as_i64().unwrap() > 40_000);
    assert!(small["details_bytes"].as_i64().unwrap() < 100);
    // each item's number is the sequencer's number of its outbox row
    for i in &items {
        let n: i64 = c
            .query_one(
                "SELECT s.seq FROM announcements a JOIN outbox_seq s USING (outbox_id)
                 WHERE a.seq = $1",
                &[&i["seq"].as_i64().unwrap()],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, i["seq"].as_i64().unwrap());
    }
    // a search and a category page walk the same numbers
    let found = get_ok(
        &app,
        "/api/v1/public/announcements?q=%E6%BE%84%E6%B8%85&category=construction",
    )
    .await;
    let seqs: Vec<i64> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(
        seqs,
        [
            items[1]["seq"].as_i64().unwrap(),
            items[2]["seq"].as_i64().unwrap()
        ]
    );
}
