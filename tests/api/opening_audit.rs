//! `ggzy opening audit`: after the holders reveal their identities, re-running every bundle agrees
//! with the published opening record and names the holder that corrupted its pieces.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use ggzy::roles::Role;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::tendering::{
    advance_us, create_tender, designate_and_register, holder_shares, platform_now, run_timers,
    sealed_bid, submit, world,
};

#[tokio::test]
async fn the_audit_agrees_with_the_opening_and_names_the_corrupting_holder() {
    let app = TestApp::spawn().await;
    let w = world(&app, "construction").await;
    let (tender, deadline) = create_tender(&app, &w, 25).await;
    designate_and_register(&app, &w, &tender).await;
    let r = app.post(&format!("/api/v1/tenders/{tender}/files"), Some(&w.agency.token),
        json!({"name": "招标文件.pdf", "media_type": "application/pdf", "content": B64.encode(b"%PDF-1.7 tender documents")})).await;
    assert_eq!(r.status(), 201);
    crate::tendering::publish(&app, &w, &tender).await;
    crate::tendering::advance(&app, 7200, Some(true)).await;

    // three bidders obtain the documents, declare security and seal their bids
    for price in ["45000000.00", "44200000.00", "46100000.00"] {
        let b = app.user(Role::Bidder).await;
        let r = app
            .post(
                &format!("/api/v1/tenders/{tender}/documents"),
                Some(&b.token),
                json!({}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let r = app.post(&format!("/api/v1/tenders/{tender}/bid-security"), Some(&b.token),
            json!({"amount": "500000.00", "payer_account": format!("6222{}", &b.id.simple().to_string()[..12]),
                   "payer_bank": "中国银行", "reference": "BZJ", "paid_at": Utc::now()})).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let envelope = sealed_bid(&w, &tender, b.org_code.as_deref().unwrap(), price);
        let r = submit(&app, &tender, &b, &envelope).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }

    // the deadline passes and the round closes
    let now = platform_now(&app).await;
    advance_us(&app, (deadline - now).num_microseconds().unwrap() + 1000).await;
    run_timers(&app).await;

    // every envelope's bundles are kept beside it; a submission stored before that column
    // existed (NULL) is served from its envelope, and opens the same
    let c = crate::helpers::pg(&app.db.url).await;
    let kept: i64 = c
        .query_one(
            "SELECT count(*) FROM bid_submissions WHERE tender_id = $1::text::uuid \
             AND bundles ?& array['decide', 'execute', 'supervise']",
            &[&tender.to_string()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(kept, 3);
    let n = c
        .execute(
            "UPDATE bid_submissions SET bundles = NULL WHERE id = \
             (SELECT id FROM bids WHERE tender_id = $1::text::uuid ORDER BY id LIMIT 1)",
            &[&tender.to_string()],
        )
        .await
        .unwrap();
    assert_eq!(n, 1);

    // the execute holder corrupts its pieces; the other two open every bid
    for (i, h) in w.holders.iter().enumerate() {
        let r = holder_shares(&app, &tender, h, i == 1).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
    let record: Value = app
        .get(&format!("/api/v1/tenders/{tender}/opening"), None)
        .await
        .json()
        .await
        .unwrap();
    let recorded = record["bids"].as_array().unwrap();
    assert_eq!(recorded.len(), 3);
    assert!(recorded.iter().all(|b| b["status"] == "opened"), "{record}");

    // every holder reveals its identity
    for h in &w.holders {
        let r = app
            .post(
                &format!("/api/v1/tenders/{tender}/opening/holder-identity"),
                Some(&h.1.token),
                json!({"identity": h.2}),
            )
            .await;
        assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    }

    let mut conn = AsyncPgConnection::establish(&app.db.url).await.unwrap();
    let report = ggzy::sealing::audit_run::run(&mut conn, tender.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(report.bids.len(), 3);
    assert!(report.missing_identities.is_empty());
    assert!(report.all_agree, "{report:?}");
    for b in &report.bids {
        assert!(b.agrees, "{b:?}");
        assert_eq!(b.recorded, "opened");
        assert_eq!(b.audited, "opened");
        assert_eq!(b.fault.as_deref(), Some("holder"), "{b:?}");
        assert!(
            b.findings
                .iter()
                .any(|f| f.starts_with("execute:") && f.contains("holder fault")),
            "{b:?}"
        );
        assert!(
            b.findings
                .iter()
                .filter(|f| f.starts_with("decide:") || f.starts_with("supervise:"))
                .all(|f| f.ends_with(": ok")),
            "{b:?}"
        );
        // the published record lists the same bid as opened
        assert!(
            recorded
                .iter()
                .any(|r| r["org_code"] == b.org_code.as_str() && r["status"] == "opened"),
            "{b:?}"
        );
    }

    // the real command agrees
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ggzy"))
        .args(["opening", "audit", &tender])
        .env("DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("agree"), "{stdout}");
    assert!(stdout.contains("execute"), "{stdout}");
}
