//! Security (issue 13, finding 7): any agency could publish another org's unpublished lot. Every
//! route that takes a subject id and is open to an org-bound role (agency, purchaser) or to a
//! committee role (expert) is called here as a user of the same role from another org, and must
//! answer 403 or 404 — walked from the route table, so a new route without its ownership check
//! fails this test until it has one.

use chrono::{Duration, SubsecRound};
use ggzy::http::routes::{Access, ROUTES};
use ggzy::roles::Role;
use serde_json::{Value, json};

use crate::auctions::english;
use crate::helpers::TestApp;
use crate::tendering::{
    advance, create_tender, designate_and_register, platform_now, publish, sealed_bid, submit,
    world,
};

/// The org-bound and committee roles whose subject routes must check ownership or membership.
const BOUND: [Role; 3] = [Role::Agency, Role::Purchaser, Role::Expert];

#[tokio::test]
async fn every_subject_route_refuses_a_same_role_user_of_another_org() {
    let app = TestApp::spawn().await;
    // the owner's world: a published construction tender with a bid and an objection…
    let w = world(&app, "construction").await;
    let (tender, _) = create_tender(&app, &w, 25).await;
    designate_and_register(&app, &w, &tender).await;
    publish(&app, &w, &tender).await;
    let bidder = app.user(Role::Bidder).await;
    let r = submit(
        &app,
        &tender,
        &bidder,
        &sealed_bid(
            &w,
            &tender,
            bidder.org_code.as_ref().unwrap(),
            "40000000.00",
        ),
    )
    .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    // the documents are on sale from an hour after creation; an objection needs them
    advance(&app, 3700, None).await;
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/documents"),
            Some(&bidder.token),
            json!({}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/objections"),
            Some(&bidder.token),
            json!({"stage": "documents", "text": "资格条件设置不合理"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let objection = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // …and an unpublished lot of a land project of the same agency
    let r = app
        .post(
            "/api/v1/projects",
            Some(&w.agency.token),
            json!({"category": "land", "title": "A-2026-18号地块", "region_code": "440400",
                   "estimate_amount": "100000000.00", "purchaser_org_code": w.purchaser.org_code}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let land = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(
            &format!("/api/v1/projects/{land}/approval"),
            Some(&w.regulator.token),
            json!({"decision": "approve", "reason": "同意出让", "must_tender": false}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let announce = (platform_now(&app).await + Duration::seconds(60)).trunc_subsecs(0);
    let r = app
        .post(
            &format!("/api/v1/projects/{land}/auctions"),
            Some(&w.agency.token),
            english(announce),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let lot = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // the other orgs' users of the same roles
    let mut strangers = Vec::new();
    for role in BOUND {
        strangers.push((role, app.user(role).await));
    }

    let mut checked = Vec::new();
    let mut failures = Vec::new();
    for r in ROUTES {
        let Access::Roles(roles) = r.access else {
            continue;
        };
        if !r.path.contains('{') {
            continue;
        }
        let id = if r.path.starts_with("/api/v1/tenders/{id}") {
            &tender
        } else if r.path.starts_with("/api/v1/projects/{id}/auctions") {
            &land
        } else if r.path.starts_with("/api/v1/projects/{id}") {
            &w.project_id
        } else if r.path.starts_with("/api/v1/auctions/{id}") {
            &lot
        } else if r.path.starts_with("/api/v1/objections/{id}") {
            &objection
        } else {
            continue;
        };
        let path = r.path.replace("{id}", id);
        for (role, who) in &strangers {
            if !roles.contains(role) || path.contains('{') {
                continue;
            }
            let method = reqwest::Method::from_bytes(r.method.as_bytes()).unwrap();
            let resp = app
                .client
                .request(method, app.url(&path))
                .bearer_auth(&who.token)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            if status != 403 && status != 404 {
                failures.push(format!(
                    "{} {} as another org's {}: {status} {body}",
                    r.method,
                    r.path,
                    role.as_str()
                ));
            }
            checked.push(format!("{} {} as {}", r.method, r.path, role.as_str()));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // the walk reached the routes of the finding and of every kind of subject
    for must in [
        "POST /api/v1/auctions/{id}/publish as agency",
        "POST /api/v1/projects/{id}/auctions as agency",
        "POST /api/v1/tenders/{id}/publish as agency",
        "POST /api/v1/tenders/{id}/award as purchaser",
        "POST /api/v1/objections/{id}/reply as agency",
        "POST /api/v1/tenders/{id}/scores as expert",
        "GET /api/v1/projects/{id} as purchaser",
    ] {
        assert!(
            checked.iter().any(|c| c == must),
            "not walked: {must}; walked {checked:#?}"
        );
    }
    // and the foreign publish changed nothing: the lot is still the owner's draft
    let r = app
        .post(
            &format!("/api/v1/auctions/{lot}/publish"),
            Some(&w.agency.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}
