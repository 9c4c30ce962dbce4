//! The pages in headless Chromium (issue 5, item 9), plus their security headers and SRI.
//! Built into the `api` test target (tests/api/main.rs includes this directory) so that they
//! share its harness: the real app on port 0 over a database of its own. Screenshots of every
//! page go to target/screenshots/. `GGZY_SKIP_BROWSER=1` skips the Chromium tests, loudly.

mod driver;
mod headers;

use std::time::{Duration, Instant};

use chrono::Utc;
use ggzy::roles::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auctions::{bid, clock_to, english, lot, qualified};
use crate::helpers::{PASSWORD, TestApp, pg};
use crate::tendering::{
    advance, advance_us, create_tender, designate_and_register, holder_shares, platform_now,
    publish, run_timers, sealed_bid, submit, world,
};
use driver::{Browser, skipped};

/// The login name of a test user (the harness keeps only ids and tokens).
async fn username(app: &TestApp, id: Uuid) -> String {
    pg(&app.db.url)
        .await
        .query_one("SELECT username FROM users WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0)
}

/// Polls a page script until its result satisfies `done` (10 s at most), and returns it.
async fn until(
    browser: &Browser,
    script: &str,
    done: impl Fn(&Value) -> bool,
    what: &str,
) -> Value {
    let started = Instant::now();
    loop {
        let v = browser.js(script, json!([])).await;
        if done(&v) {
            return v;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{what}: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_bid_sealed_in_the_sealing_page_opens_at_the_opening() {
    if skipped("sealing page") {
        return;
    }
    let app = TestApp::spawn().await;
    let w = world(&app, "construction").await;
    let (tender, deadline) = create_tender(&app, &w, 25).await;
    designate_and_register(&app, &w, &tender).await;
    publish(&app, &w, &tender).await;
    // the notice names the scripts the sealing and holder pages run, with their SRI values
    let notice = headers::published_notice(&app, &tender).await;
    advance(&app, 7200, Some(true)).await;
    let bidder = app.user(Role::Bidder).await;
    let org = bidder.org_code.clone().unwrap();
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/documents"),
            Some(&bidder.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    // two more bidders seal with the Rust sealer: an open tender opens with three bids at least
    for price in ["45000000.00", "44000000.00"] {
        let other = app.user(Role::Bidder).await;
        let envelope = sealed_bid(&w, &tender, other.org_code.as_deref().unwrap(), price);
        let r = submit(&app, &tender, &other, &envelope).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }

    let browser = Browser::start().await;
    browser.goto(&app.url(&format!("/bid/{tender}"))).await;
    browser
        .login(&username(&app, bidder.id).await, PASSWORD)
        .await;
    // the recipients shown are the tender's
    browser
        .wait_for("#seal-form", Duration::from_secs(10))
        .await;
    let shown = browser.text("#recipients").await;
    assert!(shown.contains(w.holders[0].3.as_str()), "{shown}");
    let file = std::env::temp_dir().join(format!("报价单-{}.pdf", Uuid::new_v4().simple()));
    std::fs::write(&file, b"%PDF-1.7 price list").unwrap();
    browser.type_into("input[name=org_code]", &org).await;
    browser.type_into("input[name=price]", "43210987.6").await;
    browser.type_into("input[name=duration_days]", "300").await;
    browser
        .type_into("input[name=project_manager]", "李工")
        .await;
    browser
        .type_into("input[name=attachments]", file.to_str().unwrap())
        .await;
    browser.click("#seal-submit").await;
    browser
        .wait_for("#receipt-check", Duration::from_secs(30))
        .await;
    let check = browser.text("#receipt-check").await;
    assert_eq!(check, "与本机计算的哈希一致");
    let receipt_id = browser.text("#receipt-id").await;
    browser.screenshot("bid").await;
    // the platform holds a sealed bid, receipted as shown, and no plaintext price
    let receipt: Value = app
        .get(&format!("/api/v1/receipts/{receipt_id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        receipt["envelope_sha256"],
        browser.text("#receipt-sha").await
    );
    let c = pg(&app.db.url).await;
    let fp: Option<String> = c
        .query_one(
            "SELECT s.fingerprint FROM bid_submissions s JOIN orgs o ON o.id = s.org_id \
             WHERE o.code = $1",
            &[&org],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        fp.is_some_and(|f| f.starts_with("web-")),
        "X-Client-Fingerprint sent"
    );

    // the deadline passes; the decide holder opens in its page, the execute holder by the CLI path
    let now = platform_now(&app).await;
    advance_us(
        &app,
        (deadline - now).num_microseconds().unwrap() + 1_000_000,
    )
    .await;
    run_timers(&app).await;
    let (_, holder, identity, _) = &w.holders[0];
    // the tab keeps the bidder's token in sessionStorage: sign out before the holder signs in
    browser
        .js("sessionStorage.clear(); return null", json!([]))
        .await;
    browser.goto(&app.url(&format!("/holder/{tender}"))).await;
    browser
        .login(&username(&app, holder.id).await, PASSWORD)
        .await;
    browser.type_into("textarea[name=identity]", identity).await;
    browser.click("#holder-submit").await;
    browser.wait_for("#waiting", Duration::from_secs(30)).await;
    assert_eq!(browser.text("#waiting").await, "3");
    browser.screenshot("holder").await;
    let r = holder_shares(&app, &tender, &w.holders[1], false).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["waiting"], 0, "{v}");
    let record: Value = app
        .get(&format!("/api/v1/tenders/{tender}/opening"), None)
        .await
        .json()
        .await
        .unwrap();
    let bids = record["bids"].as_array().unwrap();
    assert_eq!(bids.len(), 3, "{record}");
    assert!(bids.iter().all(|b| b["status"] == "opened"), "{record}");
    let mine = bids
        .iter()
        .find(|b| b["org_code"] == org.as_str())
        .expect("the page's bid");
    assert_eq!(mine["price"], "43210987.60", "{record}");
    assert_eq!(mine["duration_days"], 300, "{record}");
    assert!(mine["fault"].is_null(), "{record}");
    // the public tender page shows the opened price
    browser.goto(&app.url(&format!("/tenders/{tender}"))).await;
    browser
        .wait_for("#opening td.price", Duration::from_secs(10))
        .await;
    let shown = browser.text("#opening").await;
    assert!(shown.contains("¥43,210,987.60"), "{shown}");
    browser
        .js(
            "document.getElementById('opening').scrollIntoView(); return null",
            json!([]),
        )
        .await;
    browser.screenshot("tender").await;
    // the SRI of the script that sealed is the one the notice announced
    let page = app
        .get(&format!("/bid/{tender}"), None)
        .await
        .text()
        .await
        .unwrap();
    let announced = notice["scripts"]["/assets/js/bid.js"].as_str().unwrap();
    assert!(
        page.contains(&format!("integrity=\"{announced}\"")),
        "{announced}"
    );
    let _ = std::fs::remove_file(file);
}

#[tokio::test]
async fn the_floor_board_shows_a_new_auction_bid_within_a_second_without_reloading() {
    if skipped("floor board") {
        return;
    }
    let app = TestApp::spawn().await;
    let l = lot(&app, "land", english, None).await;
    advance(&app, 120, Some(true)).await;
    let bidders = qualified(&app, &l, 1).await;
    clock_to(&app, l.starts_at + chrono::Duration::seconds(1)).await;
    run_timers(&app).await;

    let browser = Browser::start().await;
    browser.goto(&app.url("/floor")).await;
    browser
        .login(&username(&app, l.center.id).await, PASSWORD)
        .await;
    let row = format!("#auctions tr[data-id=\"{}\"] td.price", l.id);
    browser.wait_for(&row, Duration::from_secs(10)).await;
    // wait for the live socket, and mark the document: a reload would lose the mark
    let started = Instant::now();
    while browser
        .js("return document.body.classList.contains('live')", json!([]))
        .await
        != json!(true)
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the floor's socket"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    browser
        .js("window.__mark = 42; return null", json!([]))
        .await;
    assert_eq!(
        browser
            .js(
                "return arguments[0] && document.querySelector(arguments[0]).dataset.amount",
                json!([row])
            )
            .await,
        json!("")
    );

    let (s, v) = bid(&app, &l.id, &bidders[0].0, "1000000.00").await;
    assert_eq!(s, 201, "{v}");
    let accepted = Instant::now();
    loop {
        let amount = browser
            .js(
                "return document.querySelector(arguments[0]).dataset.amount",
                json!([row]),
            )
            .await;
        if amount == json!("1000000.00") {
            break;
        }
        assert!(
            accepted.elapsed() < Duration::from_secs(1),
            "the bid did not show within a second (shows {amount})"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        browser.js("return window.__mark", json!([])).await,
        json!(42)
    );
    assert_eq!(browser.text(&row).await, "¥1,000,000.00");
    browser.screenshot("floor").await;
}

/// Shifts the page's Date (and so Date.now()) by `ms` before any script runs; performance.now()
/// stays monotonic and true, as on a machine whose wall clock is wrong.
async fn shift_browser_clock(browser: &Browser, ms: i64) {
    let source = format!(
        "(() => {{ const Real = Date; const shift = {ms};
          class Shifted extends Real {{
            constructor(...a) {{ if (a.length === 0) super(Real.now() + shift); else super(...a); }}
            static now() {{ return Real.now() + shift; }}
          }}
          globalThis.Date = Shifted; }})();"
    );
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": source}),
        )
        .await;
}

#[tokio::test]
async fn the_hall_countdown_is_right_with_the_browser_clock_shifted() {
    if skipped("auction hall") {
        return;
    }
    let app = TestApp::spawn().await;
    let l = lot(&app, "land", english, None).await;
    advance(&app, 120, Some(true)).await;
    let bidders = qualified(&app, &l, 1).await;
    // the platform clock is 26 days ahead of the real time (sandbox), and runs
    clock_to(&app, l.starts_at + chrono::Duration::seconds(1)).await;
    run_timers(&app).await;
    let (s, v) = bid(&app, &l.id, &bidders[0].0, "1000000.00").await;
    assert_eq!(s, 201, "{v}");
    pg(&app.db.url)
        .await
        .execute("SELECT ggzy_advance_clock(0, false)", &[])
        .await
        .unwrap();

    let browser = Browser::start().await;
    // the bidder's machine is 3 hours and 17 minutes slow
    let shift_ms: i64 = -(3 * 3600 + 17 * 60) * 1000;
    shift_browser_clock(&browser, shift_ms).await;
    browser.goto(&app.url(&format!("/auctions/{}", l.id))).await;
    let browser_now = browser
        .js("return Date.now()", json!([]))
        .await
        .as_i64()
        .unwrap();
    assert!(
        (browser_now - Utc::now().timestamp_millis() - shift_ms).abs() < 5000,
        "the browser's clock is shifted"
    );
    browser
        .login(&username(&app, bidders[0].0.id).await, PASSWORD)
        .await;
    let started = Instant::now();
    let remaining = loop {
        let v = browser
            .js(
                "return document.getElementById('countdown').dataset.remainingMs",
                json!([]),
            )
            .await;
        if let Some(ms) = v.as_str().and_then(|s| s.parse::<i64>().ok()) {
            break ms;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no countdown");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let state: Value = app
        .get(
            &format!("/api/v1/auctions/{}", l.id),
            Some(&bidders[0].0.token),
        )
        .await
        .json()
        .await
        .unwrap();
    let ends: chrono::DateTime<Utc> = serde_json::from_value(state["ends_at"].clone()).unwrap();
    let truth = (ends - platform_now(&app).await).num_milliseconds();
    assert!(
        truth > 0 && truth <= 60_000,
        "the bid restarted the 60 s countdown: {truth}"
    );
    assert!(
        (remaining - truth).abs() < 1500,
        "the hall shows {remaining} ms left, the platform says {truth} ms"
    );
    // it counts down (monotonic time), and still agrees a second later
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let later: i64 = browser
        .js(
            "return document.getElementById('countdown').dataset.remainingMs",
            json!([]),
        )
        .await
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let truth = (ends - platform_now(&app).await).num_milliseconds();
    assert!(later < remaining, "the countdown runs");
    assert!((later - truth).abs() < 1500, "{later} vs {truth}");
    assert_eq!(browser.text("#price").await, "¥1,000,000.00");
    // the bidder raises from the page; the hall shows it and the countdown restarts
    browser
        .type_into("#bid-form input[name=amount]", "1050000.00")
        .await;
    browser.click("#bid-form button[type=submit]").await;
    let started = Instant::now();
    while browser
        .js(
            "return document.getElementById('price').dataset.amount",
            json!([]),
        )
        .await
        != json!("1050000.00")
    {
        assert!(started.elapsed() < Duration::from_secs(5), "the page's bid");
        tokio::time::sleep(Duration::from_millis(50)).await;
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
    assert_eq!(state["current_price"], "1050000.00", "{state}");
    assert_eq!(state["bid_count"], 2, "{state}");
    browser.screenshot("hall").await;
}

#[tokio::test]
async fn the_portal_supervisor_console_and_api_docs_render() {
    if skipped("portal, console, docs") {
        return;
    }
    let app = TestApp::spawn().await;
    let supervisor = app.user(Role::Supervisor).await;
    let l = lot(&app, "land", english, None).await;
    // a real construction tender, published: its notice is an announcement on the portal
    let w = world(&app, "construction").await;
    let (tender, _) = create_tender(&app, &w, 25).await;
    designate_and_register(&app, &w, &tender).await;
    publish(&app, &w, &tender).await;
    // the sequencer numbers both announcements (the lot's and the tender's) shortly after commit
    let started = Instant::now();
    loop {
        let v: Value = app
            .get("/api/v1/public/announcements", None)
            .await
            .json()
            .await
            .unwrap();
        if v["items"].as_array().unwrap().len() >= 2 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "announcements not numbered: {v}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let notice_title = "市民中心改造工程 第一标段 招标公告";
    let browser = Browser::start().await;
    browser.goto(&app.url("/")).await;
    browser.wait_for("#lookup", Duration::from_secs(10)).await;
    // the announcements list shows the tender's notice, linked to its page, in Chinese
    let shown = until(
        &browser,
        "return Array.from(document.querySelectorAll('#announcements tr.announcement')).map(r => \
         [r.querySelector('.title').textContent, r.querySelector('a.title')?.getAttribute('href'), \
          r.cells[1].textContent, r.cells[2].textContent])",
        |v| v.as_array().is_some_and(|a| a.len() == 2),
        "the announcements did not load",
    )
    .await;
    let notice = shown
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[0] == notice_title)
        .unwrap_or_else(|| panic!("the notice is listed: {shown}"));
    assert_eq!(notice[1], format!("/tenders/{tender}"), "{shown}");
    assert_eq!(notice[2], "招标（采购）公告", "{shown}");
    assert_eq!(notice[3], "工程建设", "{shown}");
    assert!(
        shown.as_array().unwrap().iter().any(|r| r[3] == "土地"),
        "the land lot's notice: {shown}"
    );
    // the statistics table has one row per line of business, in Chinese
    let stats = until(
        &browser,
        "return Array.from(document.querySelectorAll('#stats tr.stat th')).map(c => c.textContent)",
        |v| v.as_array().is_some_and(|a| !a.is_empty()),
        "the statistics did not load",
    )
    .await;
    assert_eq!(stats, json!(["工程建设", "政府采购", "产权交易", "土地"]));
    browser.screenshot("portal").await;
    // a search for a word of the title finds the notice, and only it
    let titles = "return document.getElementById('announcements-empty').hidden ? \
                  Array.from(document.querySelectorAll('#announcements .title')).map(e => e.textContent) : 'empty'";
    browser.type_into("#filter input[name=q]", "改造").await;
    browser.click("#filter button[type=submit]").await;
    until(
        &browser,
        titles,
        |v| *v == json!([notice_title]),
        "a search for 改造 did not find the notice alone",
    )
    .await;
    browser.screenshot("portal-search").await;
    // a word absent from every announcement finds nothing
    browser
        .js(
            "document.querySelector('#filter input[name=q]').value = ''; return null",
            json!([]),
        )
        .await;
    browser.type_into("#filter input[name=q]", "隧道").await;
    browser.click("#filter button[type=submit]").await;
    until(
        &browser,
        titles,
        |v| *v == json!("empty"),
        "a search for 隧道 still lists announcements",
    )
    .await;
    assert_eq!(
        browser
            .js(
                "return document.querySelectorAll('#announcements tr.announcement').length",
                json!([])
            )
            .await,
        0
    );
    // the portal's script ran (under the CSP, with its SRI): it fetched the platform key
    let started = Instant::now();
    while browser.text("#platform-key").await == "—" {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the portal script did not run"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let key: Value = app
        .get("/api/v1/keys/platform", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        browser.text("#platform-key").await,
        key["public_key"].as_str().unwrap()
    );

    browser.goto(&app.url("/supervise")).await;
    browser
        .login(&username(&app, supervisor.id).await, PASSWORD)
        .await;
    let started = Instant::now();
    while browser.text("#warning-count").await == "—" {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the console did not load"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // the token lives in sessionStorage, nowhere else
    let stored = browser
        .js(
            "return [sessionStorage.getItem('ggzy.token'), localStorage.length, document.cookie]",
            json!([]),
        )
        .await;
    assert!(stored[0].as_str().is_some_and(|t| t.len() > 20), "{stored}");
    assert_eq!(stored[1], 0);
    assert_eq!(stored[2], "");
    // a supervisor's directive from the console suspends the auction (POST /holds)
    browser
        .click("#hold-form select[name=subject_type] option[value=auction]")
        .await;
    browser
        .type_into("#hold-form input[name=subject_id]", &l.id)
        .await;
    browser
        .type_into("#hold-form input[name=reason]", "举报核查")
        .await;
    browser.click("#hold-form button[type=submit]").await;
    let started = Instant::now();
    while browser.text("#status").await != "已暂停" {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the hold was not ordered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let holds: i64 = pg(&app.db.url)
        .await
        .query_one(
            "SELECT count(*) FROM holds WHERE subject_type = 'auction' AND subject_id::text = $1 \
             AND kind = 'suspend' AND ordered_by = $2",
            &[&l.id, &supervisor.id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(holds, 1);
    browser.screenshot("supervise").await;

    browser.goto(&app.url("/api/docs/")).await;
    browser
        .wait_for(".swagger-ui", Duration::from_secs(10))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    browser.screenshot("api-docs").await;
}

/// Issue 13, finding 1: the compromised database serves swapped recipients; the sealing page
/// checks them against the holders' own entries in the signed log and refuses to seal, in zh-CN.
#[tokio::test]
async fn the_sealing_page_refuses_recipients_that_differ_from_the_log() {
    if skipped("sealing page refusal") {
        return;
    }
    let app = TestApp::spawn().await;
    let w = world(&app, "construction").await;
    let (tender, _) = create_tender(&app, &w, 25).await;
    designate_and_register(&app, &w, &tender).await;
    publish(&app, &w, &tender).await;
    let bidder = app.user(Role::Bidder).await;
    pg(&app.db.url)
        .await
        .batch_execute(&format!(
            "BEGIN; ALTER TABLE tenders DISABLE TRIGGER tenders_freeze_sealing; \
             UPDATE tenders SET sealing = jsonb_set(jsonb_set(sealing, '{{recipients,decide}}', \
               sealing #> '{{recipients,execute}}'), '{{recipients,execute}}', \
               sealing #> '{{recipients,decide}}') WHERE id = '{tender}'; \
             ALTER TABLE tenders ENABLE TRIGGER tenders_freeze_sealing; COMMIT;"
        ))
        .await
        .unwrap();
    let browser = Browser::start().await;
    browser.goto(&app.url(&format!("/bid/{tender}"))).await;
    browser
        .login(&username(&app, bidder.id).await, PASSWORD)
        .await;
    let check = until(
        &browser,
        "return document.getElementById('recipients-check').textContent",
        |v| v.as_str().is_some_and(|s| s.contains("拒绝加密")),
        "the page refuses",
    )
    .await;
    assert!(check.as_str().unwrap().contains("决策方"), "{check}");
    let hidden = browser
        .js(
            "return document.getElementById('seal-form').hidden",
            json!([]),
        )
        .await;
    assert_eq!(hidden, json!(true), "the form must stay hidden");
    browser.screenshot("sealing-refused").await;
}
