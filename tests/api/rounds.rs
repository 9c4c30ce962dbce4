//! Competitive negotiation (竞争性谈判): a second round of sealed final offers to the same holders'
//! keys, open to the invited suppliers only, with the round in receipts, manifest and opening;
//! the holders keep their identities until the last round is over.

use ggzy::roles::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};
use crate::tendering::{
    designate_and_register, holder_shares, platform_now, run_timers, sealed_bid, submit, world,
};

#[tokio::test]
async fn a_second_round_of_final_offers_is_sealed_to_the_same_keys() {
    let app = TestApp::spawn().await;
    let w = world(&app, "procurement").await;
    let from = platform_now(&app).await + chrono::Duration::hours(1);
    let r = app
        .post(
            &format!("/api/v1/projects/{}/tenders", w.project_id),
            Some(&w.agency.token),
            json!({"title": "信息系统运维服务（竞争性谈判）", "method": "competitive_negotiation",
                   "evaluation": {"method": "gp_lowest_price"}, "bid_security_amount": "10000.00",
                   "documents_from": from, "documents_until": from + chrono::Duration::days(8),
                   "bid_deadline": from + chrono::Duration::days(10)}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let tender = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    designate_and_register(&app, &w, &tender).await;
    crate::tendering::publish(&app, &w, &tender).await;
    crate::tendering::advance(&app, 7200, None).await;
    let mut bidders: Vec<TestUser> = Vec::new();
    for i in 0..3 {
        let b = app.user(Role::Bidder).await;
        let env = sealed_bid(
            &w,
            &tender,
            b.org_code.as_deref().unwrap(),
            &format!("98{i}000.00"),
        );
        assert_eq!(submit(&app, &tender, &b, &env).await.status(), 201);
        bidders.push(b);
    }
    crate::tendering::advance(&app, 11 * 86400, None).await;
    run_timers(&app).await;
    for h in &w.holders[..2] {
        assert_eq!(holder_shares(&app, &tender, h, false).await.status(), 200);
    }
    // identities stay secret while another round may come
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/opening/holder-identity"),
            Some(&w.holders[0].1.token),
            json!({"identity": w.holders[0].2}),
        )
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "rounds_not_finished"
    );

    // round 2: final offers from the first two suppliers only
    let deadline = platform_now(&app).await + chrono::Duration::days(3);
    let codes: Vec<&str> = bidders[..2]
        .iter()
        .map(|b| b.org_code.as_deref().unwrap())
        .collect();
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/rounds"),
            Some(&w.agency.token),
            json!({"bid_deadline": deadline, "invited_org_codes": codes}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    assert_eq!(r.json::<Value>().await.unwrap()["round"], 2);
    let t: Value = app
        .get(&format!("/api/v1/tenders/{tender}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["status"], "bidding");
    let mut receipts = Vec::new();
    for (b, price) in bidders[..2].iter().zip(["955000.00", "949000.00"]) {
        let env = sealed_bid(&w, &tender, b.org_code.as_deref().unwrap(), price);
        let r = submit(&app, &tender, b, &env).await;
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["receipt"]["round"], 2);
        assert_eq!(v["receipt"]["submission_no"], 2);
        receipts.push(v);
    }
    let uninvited = sealed_bid(
        &w,
        &tender,
        bidders[2].org_code.as_deref().unwrap(),
        "900000.00",
    );
    let r = submit(&app, &tender, &bidders[2], &uninvited).await;
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "not_invited");
    crate::tendering::advance(&app, 4 * 86400, None).await;
    run_timers(&app).await;
    let m: Value = app
        .get(&format!("/api/v1/tenders/{tender}/closing-manifest"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["round"], 2);
    assert_eq!(m["bids"].as_array().unwrap().len(), 2);
    // the same holders, the same keys (holders 2 and 3 this time)
    for h in &w.holders[1..] {
        assert_eq!(holder_shares(&app, &tender, h, false).await.status(), 200);
    }
    let record: Value = app
        .get(&format!("/api/v1/tenders/{tender}/opening"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(record["round"], 2);
    let mut prices: Vec<&str> = record["bids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["price"].as_str().unwrap())
        .collect();
    prices.sort();
    assert_eq!(prices, vec!["949000.00", "955000.00"]);
}
