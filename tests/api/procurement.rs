//! A government procurement public tender (政府采购 公开招标) end to end: 87号令 综合评分法 with the
//! SME price deduction applied before the base price (财库〔2022〕19号), real sealing, the drawn
//! committee, publicity, award, contract and filing; rankings checked against figures computed by
//! hand.

use ggzy::roles::Role;
use ggzy::sealing::document::Sme;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};
use crate::tendering::{
    create_tender_with, designate_and_register, draw_committee, finalize, holder_shares,
    platform_now, run_timers, score, sealed_bid_as, sitting_experts, submit, world,
};

#[tokio::test]
async fn procurement_tender_with_87_price_scoring_and_an_sme_deduction() {
    let app = TestApp::spawn().await;
    let w = world(&app, "procurement").await;
    // a construction method is refused for procurement
    let r = app
        .post(
            &format!("/api/v1/projects/{}/tenders", w.project_id),
            Some(&w.agency.token),
            json!({"title": "x", "method": "open_tender", "evaluation": {"method": "comprehensive",
                   "price_weight": "0.6", "technical_weight": "0.3", "commercial_weight": "0.1"},
                   "bid_security_amount": "1.00", "documents_from": "2027-01-01T00:00:00Z",
                   "documents_until": "2027-01-10T00:00:00Z", "bid_deadline": "2027-02-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let evaluation = json!({"method": "gp_comprehensive", "price_weight": "0.3",
                            "technical_weight": "0.6", "commercial_weight": "0.1",
                            "sme_deduction": "0.10"});
    let (tender, _deadline) =
        create_tender_with(&app, &w, 25, evaluation, json!("7800000.00")).await;
    designate_and_register(&app, &w, &tender).await;
    crate::tendering::publish(&app, &w, &tender).await;
    crate::tendering::advance(&app, 7200, Some(true)).await;

    // P1 a small enterprise at 7,000,000; P2 6,500,000; P3 7,200,000
    let offers = [
        ("7000000.00", Some(Sme::Small)),
        ("6500000.00", None),
        ("7200000.00", None),
    ];
    let mut bidders: Vec<TestUser> = Vec::new();
    for (price, sme) in offers {
        let b = app.user(Role::Bidder).await;
        app.post(
            &format!("/api/v1/tenders/{tender}/documents"),
            Some(&b.token),
            json!({}),
        )
        .await;
        let r = app
            .post(
                &format!("/api/v1/tenders/{tender}/bid-security"),
                Some(&b.token),
                json!({"amount": "50000.00", "guarantee_no": format!("EG-{}", b.id.simple())}),
            )
            .await;
        assert_eq!(r.status(), 201);
        let env = sealed_bid_as(&w, &tender, b.org_code.as_deref().unwrap(), price, sme);
        assert_eq!(submit(&app, &tender, &b, &env).await.status(), 201);
        bidders.push(b);
    }
    crate::tendering::advance(&app, 26 * 86400, None).await;
    run_timers(&app).await;
    for h in &w.holders[..2] {
        assert_eq!(holder_shares(&app, &tender, h, false).await.status(), 200);
    }
    let record: Value = app
        .get(&format!("/api/v1/tenders/{tender}/opening"), None)
        .await
        .json()
        .await
        .unwrap();
    let bid_of = |b: &TestUser| -> String {
        record["bids"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["org_code"] == json!(b.org_code))
            .unwrap()["bid_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let ids: Vec<String> = bidders.iter().map(bid_of).collect();
    assert_eq!(
        crate::tendering::confirm_security(&app, &w, &tender).await,
        3
    );

    let (experts, _) = draw_committee(&app, &w, &tender, "信息化").await;
    let mut members = sitting_experts(&app, &experts, &tender).await;
    members.push(&w.purchaser);
    assert_eq!(members.len(), 5);
    let technical = ["80", "85", "90"];
    for m in &members {
        let r = app
            .post(
                &format!("/api/v1/tenders/{tender}/committee/declarations"),
                Some(&m.token),
                json!({"conflict": false}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let items: Vec<Value> = ids
            .iter()
            .zip(technical)
            .map(|(id, t)| json!({"bid_id": id, "compliant": true, "technical": t, "commercial": "90"}))
            .collect();
        score(&app, &tender, m, items).await;
    }
    let fin = finalize(&app, &w, &tender).await;
    // By hand (87号令 第五十五条; the 10 % deduction for the small enterprise first):
    //   evaluated prices: P1 7,000,000 × 0.90 = 6,300,000; P2 6,500,000; P3 7,200,000
    //   基准价 = 6,300,000 (P1's evaluated price, the lowest)
    //   price scores: P1 100; P2 6.3/6.5×100 = 96.9231; P3 6.3/7.2×100 = 87.5
    //   totals = 0.3·price + 0.6·technical + 0.1·commercial:
    //     P1 30 + 48 + 9 = 87.00; P2 29.0769 + 51 + 9 = 89.08; P3 26.25 + 54 + 9 = 89.25
    //   ranking P3, P2, P1. Without the deduction the base would be 6,500,000 and the totals
    //   P1 84.86, P2 90.00, P3 90.08: the deduction moves the base and so every price score.
    let got: Vec<(String, String, String)> = fin["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["bid_id"].as_str().unwrap().to_string(),
                c["score"].as_str().unwrap().to_string(),
                c["evaluated_price"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (ids[2].clone(), "89.25".into(), "7200000.00".into()),
            (ids[1].clone(), "89.08".into(), "6500000.00".into()),
            (ids[0].clone(), "87.00".into(), "6300000.00".into()),
        ]
    );
    // the result notice period (1 工作日) passes as the platform counted it (a fixed 4 days fell
    // short across 元旦 2027 and its possible bridging day: issue 14 item 9); the purchaser
    // awards rank 1
    let ends: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(fin["publicity_ends_at"].clone()).unwrap();
    let to = (ends - platform_now(&app).await).num_seconds() + 60;
    crate::tendering::advance(&app, to, None).await;
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/award"),
            Some(&w.agency.token),
            json!({"bid_id": ids[2]}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/contract"),
            Some(&w.agency.token),
            json!({"signed_at": platform_now(&app).await, "amount": "7200000.00",
                   "document_sha256": "cd".repeat(32)}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/filing"),
            Some(&w.regulator.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 201);
    // filing twice is refused
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/filing"),
            Some(&w.regulator.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 409);
}
