//! The statutory rules around a tender's schedule: clarifications less than 15 日 before the
//! deadline must move it, too few bids fail the tender, a hold stops bidding, and a postponed
//! opening waits for its new time.

use ggzy::roles::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, pg};
use crate::tendering::{
    create_tender, designate_and_register, holder_shares, platform_now, run_timers, sealed_bid,
    submit, world,
};

async fn published(
    app: &TestApp,
) -> (
    crate::tendering::World,
    String,
    chrono::DateTime<chrono::Utc>,
) {
    let w = world(app, "construction").await;
    let (tender, deadline) = create_tender(app, &w, 25).await;
    designate_and_register(app, &w, &tender).await;
    crate::tendering::publish(app, &w, &tender).await;
    (w, tender, deadline)
}

#[tokio::test]
async fn a_late_clarification_must_move_the_deadline() {
    let app = TestApp::spawn().await;
    let (w, tender, deadline) = published(&app).await;
    // ten days before the deadline
    let now = platform_now(&app).await;
    let to = (deadline - now - chrono::Duration::days(10)).num_seconds();
    crate::tendering::advance(&app, to, Some(true)).await;
    let path = format!("/api/v1/tenders/{tender}/clarifications");
    let r = app
        .post(
            &path,
            Some(&w.agency.token),
            json!({"text": "第三章技术要求修改"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert_eq!(
        p["violations"][0]["citation"], "招标投标法实施条例 第二十一条",
        "{p}"
    );
    // a new deadline still too close is refused too
    let r = app
        .post(&path, Some(&w.agency.token),
            json!({"text": "第三章技术要求修改", "new_bid_deadline": deadline + chrono::Duration::days(2)}))
        .await;
    assert_eq!(r.status(), 422);
    // far enough: accepted, the deadline and the closing timer move. 30 days, not 10: 15 日 from
    // the clarification may roll across a holiday break (春节, and on a provisional year its
    // possible bridging days), so a fixed 10 failed on some platform dates (issue 14 item 9)
    let new_deadline = deadline + chrono::Duration::days(30);
    let r = app
        .post(
            &path,
            Some(&w.agency.token),
            json!({"text": "第三章技术要求修改", "new_bid_deadline": new_deadline}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let t: Value = app
        .get(&format!("/api/v1/tenders/{tender}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["bid_deadline"], ggzy::core::clock::fmt(new_deadline));
    // the old deadline passes: bidding is still open
    crate::tendering::advance(&app, 11 * 86400, None).await;
    let t: Value = app
        .get(&format!("/api/v1/tenders/{tender}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["status"], "bidding");
    let b = app.user(Role::Bidder).await;
    let env = sealed_bid(&w, &tender, b.org_code.as_deref().unwrap(), "40000000.00");
    assert_eq!(submit(&app, &tender, &b, &env).await.status(), 201);
}

#[tokio::test]
async fn too_few_bids_fail_the_tender_and_a_hold_stops_bidding() {
    let app = TestApp::spawn().await;
    let (w, tender, _) = published(&app).await;
    crate::tendering::advance(&app, 7200, None).await;
    let b1 = app.user(Role::Bidder).await;
    let b2 = app.user(Role::Bidder).await;
    let env = sealed_bid(&w, &tender, b1.org_code.as_deref().unwrap(), "40000000.00");
    assert_eq!(submit(&app, &tender, &b1, &env).await.status(), 201);
    // a supervisor's directive on the project stops bidding on its tenders (423 before 400)
    let sup = pg(&app.db.url_as("ggzy_supervise")).await;
    let project: uuid::Uuid = w.project_id.parse().unwrap();
    let hold = "INSERT INTO holds (id, subject_type, subject_id, kind, reason, ordered_by, ordered_role) \
                VALUES ($1, 'project', $2, $3, '举报核查', $4, 'supervisor')";
    sup.execute(
        hold,
        &[
            &uuid::Uuid::new_v4(),
            &project,
            &"suspend",
            &w.supervisor.id,
        ],
    )
    .await
    .unwrap();
    let env2 = sealed_bid(&w, &tender, b2.org_code.as_deref().unwrap(), "41000000.00");
    let r = submit(&app, &tender, &b2, &env2).await;
    assert_eq!(r.status(), 423);
    assert_eq!(submit(&app, &tender, &b2, b"not json").await.status(), 423);
    sup.execute(
        hold,
        &[&uuid::Uuid::new_v4(), &project, &"resume", &w.supervisor.id],
    )
    .await
    .unwrap();
    assert_eq!(submit(&app, &tender, &b2, &env2).await.status(), 201);
    // a third bidder submits, then withdraws: its withdrawal receipt is signed, names no envelope
    let b3 = app.user(Role::Bidder).await;
    let env3 = sealed_bid(&w, &tender, b3.org_code.as_deref().unwrap(), "39000000.00");
    assert_eq!(submit(&app, &tender, &b3, &env3).await.status(), 201);
    let mine = app.url(&format!("/api/v1/tenders/{tender}/bids/mine"));
    let r = app
        .client
        .delete(&mine)
        .bearer_auth(&b3.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["receipt"]["kind"], "withdrawal");
    assert_eq!(receipt["receipt"]["envelope_sha256"], Value::Null);
    assert_eq!(receipt["receipt"]["submission_no"], 2);
    let key: Value = app
        .get("/api/v1/keys/platform", None)
        .await
        .json()
        .await
        .unwrap();
    crate::tendering::verify_outside(&receipt["receipt"], key["public_key"].as_str().unwrap());
    let r = app
        .client
        .delete(&mine)
        .bearer_auth(&b3.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "no_bid");
    // two bids, three required (招标投标法 第二十八条): no opening, the tender fails
    crate::tendering::advance(&app, 26 * 86400, None).await;
    run_timers(&app).await;
    let t: Value = app
        .get(&format!("/api/v1/tenders/{tender}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["status"], "failed");
    assert!(
        t["failure_reason"]
            .as_str()
            .unwrap()
            .contains("招标投标法 第二十八条"),
        "{t}"
    );
    let m: Value = app
        .get(&format!("/api/v1/tenders/{tender}/closing-manifest"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["bids"].as_array().unwrap().len(), 2);
    assert_eq!(
        holder_shares(&app, &tender, &w.holders[0], false)
            .await
            .status(),
        409
    );
    // the project re-tenders: a new tender of the same project
    let (again, _) = create_tender(&app, &w, 25).await;
    assert_ne!(again, tender);
}

#[tokio::test]
async fn a_postponed_opening_waits_for_its_new_time() {
    let app = TestApp::spawn().await;
    let (w, tender, _) = published(&app).await;
    crate::tendering::advance(&app, 7200, None).await;
    for i in 0..3 {
        let b = app.user(Role::Bidder).await;
        let env = sealed_bid(
            &w,
            &tender,
            b.org_code.as_deref().unwrap(),
            &format!("4{i}000000.00"),
        );
        assert_eq!(submit(&app, &tender, &b, &env).await.status(), 201);
    }
    crate::tendering::advance(&app, 26 * 86400, Some(true)).await;
    run_timers(&app).await;
    let new_time = platform_now(&app).await + chrono::Duration::days(2);
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/opening/postpone"),
            Some(&w.center.token),
            json!({"new_time": new_time, "reason": "监督方密钥持有人无法到场"}),
        )
        .await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    let r = holder_shares(&app, &tender, &w.holders[0], false).await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "opening_not_started"
    );
    crate::tendering::advance(&app, 2 * 86400, None).await;
    assert_eq!(
        holder_shares(&app, &tender, &w.holders[0], false)
            .await
            .status(),
        200
    );
    let r = holder_shares(&app, &tender, &w.holders[2], false).await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "evaluation");
}

#[tokio::test]
async fn a_documents_objection_closes_ten_days_before_the_deadline() {
    let app = TestApp::spawn().await;
    let (w, tender, deadline) = published(&app).await;
    crate::tendering::advance(&app, 7200, None).await;
    let b = app.user(Role::Bidder).await;
    let path = format!("/api/v1/tenders/{tender}/objections");
    let objection = json!({"stage": "documents", "text": "资格条件排斥潜在投标人"});
    // only whoever obtained the documents may object to them
    let r = app.post(&path, Some(&b.token), objection.clone()).await;
    assert_eq!(r.status(), 409);
    app.post(
        &format!("/api/v1/tenders/{tender}/documents"),
        Some(&b.token),
        json!({}),
    )
    .await;
    let r = app.post(&path, Some(&b.token), objection.clone()).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    assert!(v["reply_due"].is_string());
    // five days before the deadline it is too late (招标投标法实施条例 第二十二条)
    let now = platform_now(&app).await;
    crate::tendering::advance(
        &app,
        (deadline - now - chrono::Duration::days(5)).num_seconds(),
        None,
    )
    .await;
    let r = app.post(&path, Some(&b.token), objection).await;
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert_eq!(
        p["violations"][0]["citation"], "招标投标法实施条例 第二十二条",
        "{p}"
    );
    // the bidder sees its own objection, the agency sees it too
    let mine: Value = app.get(&path, Some(&b.token)).await.json().await.unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let all: Value = app
        .get(&path, Some(&w.agency.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    let other = app.user(Role::Bidder).await;
    let theirs: Value = app
        .get(&path, Some(&other.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn single_source_needs_its_publicity_and_opens_with_one_offer() {
    let app = TestApp::spawn().await;
    let w = world(&app, "procurement").await;
    let create = |days: i64, from: chrono::DateTime<chrono::Utc>| {
        json!({"title": "专有软件升级（单一来源）", "method": "single_source",
               "evaluation": {"method": "gp_lowest_price"}, "bid_security_amount": "0.00",
               "documents_from": from, "documents_until": from + chrono::Duration::days(1),
               "bid_deadline": from + chrono::Duration::days(days)})
    };
    let from = platform_now(&app).await + chrono::Duration::hours(1);
    let tenders = format!("/api/v1/projects/{}/tenders", w.project_id);
    // two days of publicity: fewer than 5 工作日 (政府采购法实施条例 第三十八条)
    let r = app
        .post(&tenders, Some(&w.agency.token), create(2, from))
        .await;
    let short = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    designate_and_register(&app, &w, &short).await;
    let r = app
        .post(
            &format!("/api/v1/tenders/{short}/publish"),
            Some(&w.agency.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert!(
        p["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["citation"] == "政府采购法实施条例 第三十八条"),
        "{p}"
    );
    let r = app
        .post(&tenders, Some(&w.agency.token), create(12, from))
        .await;
    let tender = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    designate_and_register(&app, &w, &tender).await;
    crate::tendering::publish(&app, &w, &tender).await;
    crate::tendering::advance(&app, 7200, None).await;
    let b = app.user(Role::Bidder).await;
    let env = sealed_bid(&w, &tender, b.org_code.as_deref().unwrap(), "880000.00");
    assert_eq!(submit(&app, &tender, &b, &env).await.status(), 201);
    crate::tendering::advance(&app, 13 * 86400, None).await;
    run_timers(&app).await;
    assert_eq!(
        holder_shares(&app, &tender, &w.holders[0], false)
            .await
            .status(),
        200
    );
    let r = holder_shares(&app, &tender, &w.holders[1], false).await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "evaluation");
}
