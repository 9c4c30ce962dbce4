//! Holds through `POST /holds` (supervise plane): a suspend directive makes every state-changing
//! execute action on the tender or the auction answer `423` — the test walks the route table — and
//! the resume restores them, including an auction's remaining countdown.

use chrono::Duration;
use ggzy::http::routes::{Access, ROUTES};
use ggzy::roles::{Plane, Role};
use serde_json::{Value, json};

use crate::auctions::{bid, clock_to, english, lot, qualified};
use crate::helpers::{TestApp, TestUser};
use crate::tendering::{create_tender, designate_and_register, publish, run_timers, world};

/// The token to call a route with: the first declared role the test has a user for.
fn caller<'a>(roles: &[Role], users: &'a [(Role, &'a TestUser)]) -> Option<&'a TestUser> {
    roles
        .iter()
        .find_map(|r| users.iter().find(|(u, _)| u == r).map(|(_, t)| *t))
}

async fn walk(app: &TestApp, prefix: &str, id: &str, users: &[(Role, &TestUser)]) -> usize {
    let mut walked = 0;
    for r in ROUTES
        .iter()
        .filter(|r| r.plane == Plane::Execute && r.method != "GET" && r.path.starts_with(prefix))
    {
        let Access::Roles(roles) = r.access else {
            continue;
        };
        let user = caller(roles, users).unwrap_or_else(|| panic!("no user for {}", r.path));
        let path = r
            .path
            .replace("{id}", id)
            .replace("{sid}", &uuid::Uuid::new_v4().to_string())
            .replace("{rid}", &uuid::Uuid::new_v4().to_string());
        let req = match r.method {
            "POST" => app.client.post(app.url(&path)),
            "PUT" => app.client.put(app.url(&path)),
            "DELETE" => app.client.delete(app.url(&path)),
            m => panic!("method {m}"),
        };
        // even a body that would be refused with 400: the hold is checked first (API.md)
        let resp = req
            .bearer_auth(&user.token)
            .header("content-type", "application/json")
            .body("{\"x\":")
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 423, "{} {path}: {body}", r.method);
        assert_eq!(body["code"], "suspended");
        walked += 1;
    }
    walked
}

async fn directive(
    app: &TestApp,
    by: &TestUser,
    subject_type: &str,
    id: &str,
    kind: &str,
) -> reqwest::Response {
    app.post(
        "/api/v1/holds",
        Some(&by.token),
        json!({"subject_type": subject_type, "subject_id": id, "kind": kind, "reason": "举报核查"}),
    )
    .await
}

#[tokio::test]
async fn a_suspended_tender_refuses_every_execute_action_until_resumed() {
    let app = TestApp::spawn().await;
    let w = world(&app, "construction").await;
    let (tender, _) = create_tender(&app, &w, 25).await;
    designate_and_register(&app, &w, &tender).await;
    publish(&app, &w, &tender).await;
    let bidder = app.user(Role::Bidder).await;
    let expert = app.user(Role::Expert).await;
    let supervisor = &w.holders[2].1;
    // bidders and the tender's own organisers cannot order holds
    assert_eq!(
        directive(&app, &bidder, "tender", &tender, "suspend")
            .await
            .status(),
        403
    );
    assert_eq!(
        directive(&app, &w.agency, "tender", &tender, "suspend")
            .await
            .status(),
        403
    );
    let r = directive(&app, supervisor, "tender", &tender, "suspend").await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    assert_eq!(
        directive(&app, supervisor, "tender", &tender, "suspend")
            .await
            .status(),
        409
    );
    let users: Vec<(Role, &TestUser)> = vec![
        (Role::Agency, &w.agency),
        (Role::Purchaser, &w.purchaser),
        (Role::CenterStaff, &w.holders[1].1),
        (Role::Regulator, &w.holders[0].1),
        (Role::Supervisor, &w.holders[2].1),
        (Role::Bidder, &bidder),
        (Role::Expert, &expert),
    ];
    let walked = walk(&app, "/api/v1/tenders/{id}", &tender, &users).await;
    // every state-changing execute route of a tender (the walk panics on one it cannot call)
    assert!(walked >= 20, "walked {walked} tender routes");
    // a regulator's order lifts it (ZTBSS 62: the regulator may order and end a suspension)
    let r = directive(&app, &w.regulator, "tender", &tender, "resume").await;
    assert_eq!(r.status(), 201);
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/documents"),
            Some(&bidder.token),
            json!({}),
        )
        .await;
    assert_ne!(r.status(), 423);
}

#[tokio::test]
async fn a_suspended_auction_refuses_every_execute_action_and_the_resume_restores_its_countdown() {
    let app = TestApp::spawn().await;
    let l = lot(&app, "land", english, None).await;
    crate::tendering::advance(&app, 120, Some(true)).await;
    let b = qualified(&app, &l, 2).await;
    clock_to(&app, l.starts_at + Duration::seconds(5)).await;
    run_timers(&app).await;
    let (_, v) = bid(&app, &l.id, &b[0].0, "1000000.00").await;
    let ends: chrono::DateTime<chrono::Utc> = serde_json::from_value(v["ends_at"].clone()).unwrap();
    let supervisor = app.user(Role::Supervisor).await;
    clock_to(&app, ends - Duration::seconds(25)).await;
    let r = directive(&app, &supervisor, "auction", &l.id, "suspend").await;
    assert_eq!(r.status(), 201);
    let users: Vec<(Role, &TestUser)> = vec![
        (Role::Agency, &l.agency),
        (Role::CenterStaff, &l.center),
        (Role::Bidder, &b[1].0),
    ];
    let walked = walk(&app, "/api/v1/auctions/{id}", &l.id, &users).await;
    assert!(walked >= 4, "walked {walked} auction routes");
    // an hour of hold, then the resume: 25 s were left, the bid restarts from the resume
    clock_to(&app, ends + Duration::hours(1)).await;
    run_timers(&app).await;
    let r = directive(&app, &supervisor, "auction", &l.id, "resume").await;
    assert_eq!(r.status(), 201);
    let s: Value = app
        .get(&format!("/api/v1/auctions/{}", l.id), Some(&b[1].0.token))
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(s["status"], "closed", "{s}");
    let (status, v) = bid(&app, &l.id, &b[1].0, "1050000.00").await;
    assert_eq!(status, 201, "{v}");
    let new_ends: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(v["ends_at"].clone()).unwrap();
    assert!(new_ends > ends + Duration::hours(1), "{v}");
}

#[tokio::test]
async fn a_hold_during_bidding_moves_the_deadline_by_its_length() {
    use crate::tendering::{advance, platform_now, sealed_bid, submit};
    let app = TestApp::spawn().await;
    let w = world(&app, "construction").await;
    let (tender, deadline) = create_tender(&app, &w, 25).await;
    designate_and_register(&app, &w, &tender).await;
    publish(&app, &w, &tender).await;
    let b = app.user(Role::Bidder).await;
    let t: Value = app
        .get(&format!("/api/v1/tenders/{tender}"), None)
        .await
        .json()
        .await
        .unwrap();
    let from: chrono::DateTime<chrono::Utc> =
        t["documents_from"].as_str().unwrap().parse().unwrap();
    advance(
        &app,
        (from - platform_now(&app).await).num_seconds() + 1,
        Some(true),
    )
    .await;
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/documents"),
            Some(&b.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // suspended two days before the deadline, resumed three days later (a day after it)
    let to_suspend = (deadline - Duration::days(2) - platform_now(&app).await).num_seconds();
    advance(&app, to_suspend, Some(true)).await;
    let r = directive(&app, &w.supervisor, "tender", &tender, "suspend").await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let suspended_at = platform_now(&app).await;
    advance(&app, 3 * 86_400, Some(true)).await;
    // the closing came due while held: it waits
    let t: Value = app
        .get(&format!("/api/v1/tenders/{tender}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["status"], "bidding", "{t}");
    let r = directive(&app, &w.regulator, "tender", &tender, "resume").await;
    assert_eq!(r.status(), 201);
    let held = platform_now(&app).await - suspended_at;
    assert_eq!(held, Duration::days(3));

    // past the old deadline, inside the moved one: the bid is taken
    let envelope = sealed_bid(&w, &tender, b.org_code.as_deref().unwrap(), "46000000.00");
    let r = submit(&app, &tender, &b, &envelope).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let t: Value = app
        .get(&format!("/api/v1/tenders/{tender}"), None)
        .await
        .json()
        .await
        .unwrap();
    let at = |k: &str| {
        t[k].as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    };
    assert_eq!(at("bid_deadline"), deadline + held, "{t}");
    assert_eq!(at("opening_at"), deadline + held, "{t}");

    // the closing waits for the moved deadline, then closes with the bid in the manifest
    let to_last_ms = (deadline + held - platform_now(&app).await).num_seconds() - 1;
    advance(&app, to_last_ms, Some(true)).await;
    let t: Value = app
        .get(&format!("/api/v1/tenders/{tender}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["status"], "bidding", "{t}");
    advance(&app, 2, Some(true)).await;
    let manifest: Value = app
        .get(&format!("/api/v1/tenders/{tender}/closing-manifest"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        manifest["bids"].as_array().map(Vec::len),
        Some(1),
        "{manifest}"
    );
    // and nothing is taken after it
    let late = app.user(Role::Bidder).await;
    let envelope = sealed_bid(
        &w,
        &tender,
        late.org_code.as_deref().unwrap(),
        "45000000.00",
    );
    let r = submit(&app, &tender, &late, &envelope).await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "deadline_passed");
    app.stop().await;
}
