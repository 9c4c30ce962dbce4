//! Collusion red flags (DOMAIN-RULES.md §5): three bidders working from one machine with prices
//! 100, 105, 110 raise the machine-fingerprint and price-progression flags with their citations;
//! supervisors see them, bidders and experts off the committee do not.

use ggzy::roles::Role;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::tendering::{
    advance, advance_us, create_tender, designate_and_register, draw_committee, holder_shares,
    platform_now, publish, run_timers, sealed_bid, sitting_experts, world,
};

#[tokio::test]
async fn one_machine_and_a_price_progression_raise_cited_flags() {
    let app = TestApp::spawn().await;
    let w = world(&app, "construction").await;
    let (tender, deadline) = create_tender(&app, &w, 25).await;
    designate_and_register(&app, &w, &tender).await;
    publish(&app, &w, &tender).await;
    advance(&app, 7200, Some(true)).await;

    let machine = "fp-shared-machine-01";
    let mut bidders = Vec::new();
    for price in ["100.00", "105.00", "110.00"] {
        let b = app.user(Role::Bidder).await;
        let r = app
            .client
            .post(app.url(&format!("/api/v1/tenders/{tender}/documents")))
            .bearer_auth(&b.token)
            .header("x-client-fingerprint", machine)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let envelope = sealed_bid(&w, &tender, b.org_code.as_deref().unwrap(), price);
        let r = app
            .client
            .put(app.url(&format!("/api/v1/tenders/{tender}/bids/mine")))
            .bearer_auth(&b.token)
            .header("content-type", "application/json")
            .header("x-client-fingerprint", machine)
            .body(envelope)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        bidders.push(b);
    }

    // close, then open with two of the three holders
    let now = platform_now(&app).await;
    advance_us(&app, (deadline - now).num_microseconds().unwrap() + 1000).await;
    run_timers(&app).await;
    for h in [&w.holders[0], &w.holders[2]] {
        let r = holder_shares(&app, &tender, h, false).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
    let t: Value = app
        .get(&format!("/api/v1/tenders/{tender}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["status"], "evaluation", "{t}");

    let path = format!("/api/v1/supervision/red-flags?subject_id={tender}");
    let r = app.get(&path, Some(&w.supervisor.token)).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["subject_id"], tender);
    assert_eq!(v["next"], Value::Null);
    let items = v["items"].as_array().unwrap();
    let mut codes: Vec<&str> = bidders
        .iter()
        .map(|b| b.org_code.as_deref().unwrap())
        .collect();
    codes.sort();
    let find = |indicator: &str| {
        items
            .iter()
            .find(|i| i["indicator"] == indicator)
            .unwrap_or_else(|| panic!("no {indicator} flag in {v}"))
    };
    let fp = find("same_fingerprint");
    assert_eq!(fp["citation"], "招标投标法实施条例 第四十条");
    assert_eq!(fp["bidders"], json!(codes));
    assert_eq!(fp["evidence"]["fingerprints"], json!([machine]));
    assert_eq!(fp["score"], 30);
    let progression = find("price_progression");
    assert_eq!(progression["citation"], "招标投标法实施条例 第四十条");
    assert_eq!(progression["bidders"], json!(codes));
    assert_eq!(
        progression["evidence"]["prices"],
        json!(["100.00", "105.00", "110.00"])
    );
    assert_eq!(progression["score"], 10);
    assert!(
        items
            .iter()
            .all(|i| i["indicator"] != "price_constant_ratio")
    );

    // bidders never see them; an expert only on the tender's committee
    let r = app.get(&path, Some(&bidders[0].token)).await;
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "forbidden_role");
    let expert = app.user(Role::Expert).await;
    let r = app.get(&path, Some(&expert.token)).await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "not_committee_member"
    );
    // a sitting member of the committee sees them
    let (experts, _) = draw_committee(&app, &w, &tender, "房屋建筑").await;
    let sitting = sitting_experts(&app, &experts, &tender).await;
    let r = app.get(&path, Some(&sitting[0].token)).await;
    assert_eq!(r.status(), 200);
    let seen: Value = r.json().await.unwrap();
    assert_eq!(seen["items"], v["items"]);
    // the views are on the record

    let c = crate::helpers::pg(&app.db.url).await;
    let views: i64 = c
        .query_one(
            "SELECT count(*) FROM audit_entries WHERE action = 'red_flags.view' AND subject_id = $1",
            &[&tender],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(views, 2);
    app.stop().await;
}
