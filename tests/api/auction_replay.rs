//! `ggzy auction replay`: a land 拍卖 run through the API — bids, a countdown restarted, a hold that
//! moves the end, the close — replays to the recorded result; a tampered bid log does not.

use diesel_async::{AsyncConnection, AsyncPgConnection};
use ggzy::execute::auctions::replay::{Replay, replay};
use serde_json::Value;
use uuid::Uuid;

use crate::auctions::bid;
use crate::helpers::{TestApp, pg};
use crate::tendering::{advance, platform_now, run_timers};

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
    let l = crate::auctions::lot(&app, "land", crate::auctions::english, Some("1100000.00")).await;
    let (lot, regulator, starts_at) = (l.id.clone(), &l.regulator, l.starts_at);
    // three bidders register after the announcement; the centre confirms their deposits
    advance(&app, 120, None).await;
    let bidders = crate::auctions::qualified(&app, &l, 3).await;

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
