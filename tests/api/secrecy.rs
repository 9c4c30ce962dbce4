//! Before the opening no role can obtain a bid's plaintext through any route: every GET route of
//! the route table is called as every role (and with no token) while bidding is open, after the
//! closing, and after one holder's pieces, and no answer contains the bid's price or a marker
//! hidden in its fields. Then the opening, with two holders, reveals the price.

use ggzy::http::routes::ROUTES;
use ggzy::roles::Role;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};
use crate::tendering::{
    create_tender, designate_and_register, holder_shares, recipients, run_timers, submit, world,
};

const PRICE: &str = "43210987.65";
const MARKER: &str = "SEALED-MARKER-7f3c9";

async fn sweep(
    app: &TestApp,
    users: &[(Option<Role>, Option<&TestUser>)],
    tender: &str,
    when: &str,
) {
    let mut calls = 0;
    for r in ROUTES.iter().filter(|r| r.method == "GET") {
        if r.path.contains("/metrics") || r.path.contains("openapi") {
            continue;
        }
        let path = r
            .path
            .replace("{id}", tender)
            .replace("{year}", "2026")
            .replace("{rule_id}", "ztb.bid_period_min")
            .replace("{file_id}", tender);
        for (role, user) in users {
            let resp = app.get(&path, user.map(|u| u.token.as_str())).await;
            let status = resp.status();
            let body = resp.text().await.unwrap();
            calls += 1;
            assert!(
                !body.contains(PRICE) && !body.contains(MARKER) && !body.contains("43210987"),
                "{when}: GET {path} as {role:?} ({status}) reveals the bid: {body:.300}"
            );
        }
    }
    assert!(calls > 50, "the sweep made {calls} calls");
}

#[tokio::test]
async fn no_route_reveals_a_bid_before_two_holders_open_it() {
    let app = TestApp::spawn().await;
    let w = world(&app, "construction").await;
    let (tender, _) = create_tender(&app, &w, 25).await;
    designate_and_register(&app, &w, &tender).await;
    assert_eq!(
        app.post(
            &format!("/api/v1/tenders/{tender}/publish"),
            Some(&w.agency.token),
            json!({})
        )
        .await
        .status(),
        200
    );
    crate::tendering::advance(&app, 7200, None).await;
    let mut bidders = Vec::new();
    for i in 0..3 {
        let b = app.user(Role::Bidder).await;
        let price = if i == 0 {
            PRICE.to_string()
        } else {
            format!("4{i}000000.00")
        };
        let doc = ggzy::sealing::seal::build_document(
            tender.parse().unwrap(),
            b.org_code.as_deref().unwrap(),
            price.parse::<Decimal>().unwrap(),
            Some(300),
            None,
            json!({"technical_plan": MARKER}),
            &[],
        )
        .unwrap();
        let env =
            ggzy::sealing::seal::seal(tender.parse().unwrap(), &doc, &recipients(&w)).unwrap();
        assert_eq!(submit(&app, &tender, &b, &env).await.status(), 201);
        bidders.push(b);
    }
    let mut people: Vec<(Option<Role>, TestUser)> = Vec::new();
    for role in [
        Role::Regulator,
        Role::CenterStaff,
        Role::Supervisor,
        Role::SocialSupervisor,
        Role::Agency,
        Role::Purchaser,
        Role::Expert,
    ] {
        people.push((Some(role), app.user(role).await));
    }
    let admin = TestUser {
        id: uuid::Uuid::nil(),
        token: app.admin_token.clone(),
        org_code: None,
    };
    let mut users: Vec<(Option<Role>, Option<&TestUser>)> =
        vec![(None, None), (Some(Role::Admin), Some(&admin))];
    users.extend(people.iter().map(|(r, u)| (*r, Some(u))));
    users.push((Some(Role::Agency), Some(&w.agency)));
    users.push((Some(Role::Purchaser), Some(&w.purchaser)));
    for h in &w.holders {
        users.push((None, Some(&h.1)));
    }
    users.push((Some(Role::Bidder), Some(&bidders[1])));
    sweep(&app, &users, &tender, "while bidding").await;

    crate::tendering::advance(&app, 26 * 86400, None).await;
    run_timers(&app).await;
    let t: Value = app
        .get(&format!("/api/v1/tenders/{tender}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["status"], "closed");
    sweep(&app, &users, &tender, "after the closing").await;

    // one holder's pieces open nothing
    assert_eq!(
        holder_shares(&app, &tender, &w.holders[1], false)
            .await
            .status(),
        200
    );
    sweep(&app, &users, &tender, "after one holder's pieces").await;

    // the second holder opens every bid; the price is in the public record
    assert_eq!(
        holder_shares(&app, &tender, &w.holders[2], false)
            .await
            .status(),
        200
    );
    let record = app
        .get(&format!("/api/v1/tenders/{tender}/opening"), None)
        .await
        .text()
        .await
        .unwrap();
    assert!(record.contains(PRICE), "{record}");
}
