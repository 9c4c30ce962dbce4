//! `ggzy auction replay`: a land 拍卖 run through the API — bids, a countdown restarted, a hold that
//! moves the end, the close — replays to the recorded result; a tampered bid log does not.

use chrono::{DateTime, Duration};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use ggzy::execute::auctions::replay::{Replay, replay};
use ggzy::roles::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, TestUser, pg};
use crate::tendering::{advance, platform_now, put, run_timers};

async fn bid(app: &TestApp, lot: &str, who: &TestUser, amount: &str) -> (u16, Value) {
    let r = app
        .post(
            &format!("/api/v1/auctions/{lot}/bids"),
            Some(&who.token),
            json!({"amount": amount}),
        )
        .await;
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn replay_of(app: &TestApp, lot: &str) -> Replay {
    let mut conn = AsyncPgConnection::establish(&app.db.url).await.unwrap();
    replay(&mut conn, lot.parse().unwrap()).await.unwrap()
}

fn run_cli(app: &TestApp, args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ggzy"))
        .args(args)
        .env("DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A suspend or resume row as the supervise plane writes it (at the platform time).
async fn hold(app: &TestApp, lot: &str, kind: &str, by: Uuid) {
    let c = pg(&app.db.url).await;
    c.execute(
        "INSERT INTO holds (id, subject_type, subject_id, kind, reason, ordered_by, ordered_role) \
         VALUES ($1, 'auction', $2, $3, '投诉处理期间暂停', $4, 'regulator')",
        &[&Uuid::now_v7(), &lot.parse::<Uuid>().unwrap(), &kind, &by],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn the_replay_of_a_land_auction_agrees_and_a_tampered_log_does_not() {
    let app = TestApp::spawn().await;
    let agency = app.user(Role::Agency).await;
    let purchaser = app.user(Role::Purchaser).await;
    let regulator = app.user(Role::Regulator).await;
    let center = app.user(Role::CenterStaff).await;
    let r = app
        .post("/api/v1/projects", Some(&agency.token),
            json!({"category": "land", "title": "B-2026-03号地块国有建设用地使用权", "region_code": "440400",
                   "estimate_amount": "1500000.00", "purchaser_org_code": purchaser.org_code}))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let project = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(
            &format!("/api/v1/projects/{project}/approval"),
            Some(&regulator.token),
            json!({"decision": "approve", "reason": "同意出让", "must_tender": false}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    let now = platform_now(&app).await;
    let announce = DateTime::from_timestamp(now.timestamp() + 60, 0).unwrap();
    let starts_at = announce + Duration::days(22);
    let r = app
        .post(&format!("/api/v1/projects/{project}/auctions"), Some(&agency.token),
            json!({"format": "english", "start_price": "1000000.00", "increment": "50000.00",
                   "deposit_amount": "100000.00", "announcement_at": announce, "starts_at": starts_at,
                   "countdown_seconds": 60}))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let lot = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(
            &format!("/api/v1/auctions/{lot}/publish"),
            Some(&agency.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // three bidders register after the announcement; the centre confirms their deposits
    advance(&app, 120, None).await;
    let mut bidders: Vec<(TestUser, String)> = Vec::new();
    for _ in 0..3 {
        let b = app.user(Role::Bidder).await;
        let r = app
            .post(
                &format!("/api/v1/auctions/{lot}/registrations"),
                Some(&b.token),
                json!({}),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let rid = r.json::<Value>().await.unwrap()["registration_id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = app
            .post(&format!("/api/v1/auctions/{lot}/registrations/{rid}/deposit"), Some(&center.token),
                json!({"payer_account": format!("6217{}", &b.id.simple().to_string()[..12]), "reference": "BZJ"}))
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let number = r.json::<Value>().await.unwrap()["bidder_number"]
            .as_str()
            .unwrap()
            .to_string();
        bidders.push((b, number));
    }
    let r = put(
        &app,
        &format!("/api/v1/auctions/{lot}/reserve-price"),
        &regulator.token,
        json!({"amount": "1100000.00"}),
    )
    .await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());

    // to the start, then bids with the clock frozen between them
    let now = platform_now(&app).await;
    advance(&app, (starts_at - now).num_seconds() + 1, Some(true)).await;
    let (s, v) = bid(&app, &lot, &bidders[0].0, "1000000.00").await;
    assert_eq!(s, 201, "{v}");
    advance(&app, 20, Some(true)).await;
    let (s, v) = bid(&app, &lot, &bidders[1].0, "1050000.00").await;
    assert_eq!(s, 201, "{v}");
    // refusals are not logged
    let (s, v) = bid(&app, &lot, &bidders[2].0, "1050000.00").await;
    assert_eq!((s, v["code"].as_str()), (409, Some("below_minimum")));
    let (s, v) = bid(&app, &lot, &bidders[2].0, "1070000.00").await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("not_increment_multiple"))
    );

    // a hold freezes the lot past its end; the resume moves the end by the hold's length
    advance(&app, 30, Some(true)).await;
    hold(&app, &lot, "suspend", regulator.id).await;
    advance(&app, 600, Some(true)).await;
    let (s, v) = bid(&app, &lot, &bidders[2].0, "1150000.00").await;
    assert_eq!(s, 423, "{v}");
    hold(&app, &lot, "resume", regulator.id).await;
    advance(&app, 10, Some(true)).await;
    let (s, v) = bid(&app, &lot, &bidders[2].0, "1150000.00").await;
    assert_eq!(s, 201, "{v}");
    advance(&app, 5, Some(true)).await;
    let (s, v) = bid(&app, &lot, &bidders[0].0, "1250000.00").await;
    assert_eq!(s, 201, "{v}");

    // past the end: the timer closes the lot
    advance(&app, 120, Some(true)).await;
    run_timers(&app).await;
    let r = app
        .get(&format!("/api/v1/auctions/{lot}/result"), None)
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let result: Value = r.json().await.unwrap();
    assert_eq!(result["status"], "sold", "{result}");
    assert_eq!(result["price"], "1250000.00");
    assert_eq!(result["winner_number"], bidders[0].1.as_str());
    assert_eq!(result["bids"].as_array().unwrap().len(), 4);

    // the replay agrees with the published result
    let rep = replay_of(&app, &lot).await;
    assert!(rep.agrees, "{rep:#?}");
    assert!(rep.problems.is_empty(), "{rep:#?}");
    assert_eq!(rep.bids, 4);
    assert_eq!(rep.result.as_deref(), result["status"].as_str());
    assert_eq!(rep.recorded_result.as_deref(), Some("sold"));
    assert_eq!(rep.price.as_deref(), result["price"].as_str());
    assert_eq!(rep.recorded_price, rep.price);
    assert_eq!(
        rep.winner_number.as_deref(),
        result["winner_number"].as_str()
    );
    assert_eq!(rep.recorded_winner_number, rep.winner_number);

    // the real command agrees
    let (code, stdout, stderr) = run_cli(&app, &["auction", "replay", &lot]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "replay agrees with the recorded result: sold at 1250000.00 to bidder {}",
            bidders[0].1
        )),
        "{stdout}"
    );
    let (code, stdout, stderr) = run_cli(&app, &["auction", "replay", &lot, "--json"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["agrees"], true);
    assert_eq!(v["winner_number"], bidders[0].1.as_str());

    // the owner tampers with the log: an amount off the increments is refused by the engine and
    // differs from the bid's audit entry
    let c = pg(&app.db.url).await;
    let id: Uuid = lot.parse().unwrap();
    c.execute(
        "UPDATE auction_bids SET amount = amount + 1 WHERE auction_id = $1 AND seq = 2",
        &[&id],
    )
    .await
    .unwrap();
    let rep = replay_of(&app, &lot).await;
    assert!(!rep.agrees, "{rep:#?}");
    assert!(
        rep.problems
            .iter()
            .any(|p| p.starts_with("bid #2") && p.contains("not_increment_multiple")),
        "{rep:#?}"
    );
    assert!(
        rep.problems
            .iter()
            .any(|p| p.starts_with("bid #2") && p.contains("audit entry")),
        "{rep:#?}"
    );
    let (code, stdout, stderr) = run_cli(&app, &["auction", "replay", &lot]);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("DISAGREES"), "{stdout}");

    // a tampering the engine accepts (the last bid one increment higher) still differs from the
    // audit entry, the recorded price and the close
    c.execute(
        "UPDATE auction_bids SET amount = amount - 1 WHERE auction_id = $1 AND seq = 2",
        &[&id],
    )
    .await
    .unwrap();
    assert!(replay_of(&app, &lot).await.agrees);
    c.execute(
        "UPDATE auction_bids SET amount = amount + 50000 WHERE auction_id = $1 AND seq = 4",
        &[&id],
    )
    .await
    .unwrap();
    let rep = replay_of(&app, &lot).await;
    assert!(!rep.agrees, "{rep:#?}");
    assert_eq!(rep.price.as_deref(), Some("1300000.00"));
    assert_eq!(rep.recorded_price.as_deref(), Some("1250000.00"));
    assert!(
        rep.problems
            .iter()
            .any(|p| p.starts_with("bid #4") && p.contains("audit entry")),
        "{rep:#?}"
    );
    assert!(
        rep.problems.iter().any(|p| p.contains("recorded price")),
        "{rep:#?}"
    );
}
