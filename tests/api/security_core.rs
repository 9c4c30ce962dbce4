//! Security (issue 13): the red team's attacks on the sealed reserve price (finding 2) and on the
//! public role's grants (finding 3), each performed as the reviewer did and asserted to fail now.

use chrono::Duration;
use ggzy::roles::Role;
use serde_json::{Value, json};

use crate::auctions::{bid, clock_to, english, lot, qualified};
use crate::helpers::{TestApp, pg};
use crate::tendering::{advance, run_timers};

/// The error text of a refused statement, for the assertion messages.
fn refused(r: Result<impl std::fmt::Debug, tokio_postgres::Error>) -> String {
    match r {
        Ok(v) => panic!("the statement went through: {v:?}"),
        Err(e) => e
            .as_db_error()
            .map(|d| format!("{}: {}", d.code().code(), d.message()))
            .unwrap_or_else(|| e.to_string()),
    }
}

/// Finding 2: `BEGIN; UPDATE auctions SET stage='closed' …; SELECT ggzy_auction_reserve(…);
/// ROLLBACK;` as `ggzy_execute` returned the reserve of a live lot and left no trace. Now the reserve
/// needs a close recorded by `ggzy_auction_close()` and committed in an earlier transaction: the
/// stage flip, the close recorded in the same transaction (also inside a savepoint) and a direct
/// write of the close table all fail; once the close commits, the lot is frozen for good.
#[tokio::test]
async fn the_execute_role_cannot_read_the_reserve_before_a_committed_close() {
    let app = TestApp::spawn().await;
    let l = lot(&app, "land", english, Some("1300000.00")).await;
    advance(&app, 120, Some(true)).await;
    let bidders = qualified(&app, &l, 2).await;
    clock_to(&app, l.starts_at + Duration::seconds(1)).await;
    let (s, v) = bid(&app, &l.id, &bidders[0].0, "1000000.00").await;
    assert_eq!(s, 201, "{v}");

    let exec = pg(&app.db.url_as("ggzy_execute")).await;
    let id: uuid::Uuid = l.id.parse().unwrap();

    // Runs `steps` in a transaction, reads the reserve there, rolls back: the error text.
    let probe = async |steps: String| {
        exec.batch_execute(&format!("BEGIN; {steps}"))
            .await
            .unwrap();
        let e = refused(
            exec.query_one("SELECT ggzy_auction_reserve($1)::text", &[&id])
                .await,
        );
        exec.batch_execute("ROLLBACK").await.unwrap();
        e
    };
    let flip =
        format!("UPDATE auctions SET stage = 'closed', closed_at = ggzy_now() WHERE id = '{id}';");
    let close = format!("SELECT ggzy_auction_close('{id}', ggzy_now());");
    // 1. the reviewer's attack: flip the stage, read, roll back
    let e = probe(flip.clone()).await;
    assert!(e.contains("sealed"), "{e}");
    // 2. record the close too, in the same transaction, and read before committing
    let e = probe(format!("{flip} {close}")).await;
    assert!(e.contains("committed"), "{e}");
    // 3. the same from inside a savepoint (the close's transaction id is the top-level one)
    let e = probe(format!("{flip} SAVEPOINT s; {close} RELEASE SAVEPOINT s;")).await;
    assert!(e.contains("committed"), "{e}");

    // 4. the close table is nobody's to write: no insert, no delete
    let e = refused(
        exec.execute(
            "INSERT INTO auction_closes (auction_id, closed_at, bid_count, recorded_xact, recorded_by) \
             VALUES ($1, ggzy_now(), 0, pg_current_xact_id(), 'me')",
            &[&id],
        )
        .await,
    );
    assert!(e.starts_with("42501"), "{e}");
    let e = refused(exec.execute("DELETE FROM auction_closes", &[]).await);
    assert!(e.starts_with("42501"), "{e}");
    // the close cannot be dated ahead of the platform clock
    exec.batch_execute("BEGIN").await.unwrap();
    exec.execute("UPDATE auctions SET stage = 'closed' WHERE id = $1", &[&id])
        .await
        .unwrap();
    let e = refused(
        exec.execute(
            "SELECT ggzy_auction_close($1, ggzy_now() + interval '1 hour')",
            &[&id],
        )
        .await,
    );
    assert!(e.contains("before its time"), "{e}");
    exec.batch_execute("ROLLBACK").await.unwrap();

    // nothing of that left a trace: the lot still takes bids
    let (s, v) = bid(&app, &l.id, &bidders[1].0, "1050000.00").await;
    assert_eq!(s, 201, "{v}");
    let r = app
        .get(&format!("/api/v1/auctions/{}/result", l.id), None)
        .await;
    assert_eq!(r.status(), 404);

    // 5. a close that commits is for good: the lot is frozen, and only then is the reserve read
    exec.batch_execute("BEGIN").await.unwrap();
    exec.execute(
        "UPDATE auctions SET stage = 'closed', closed_at = ggzy_now() WHERE id = $1",
        &[&id],
    )
    .await
    .unwrap();
    exec.execute("SELECT ggzy_auction_close($1, ggzy_now())", &[&id])
        .await
        .unwrap();
    exec.batch_execute("COMMIT").await.unwrap();
    let reserve: String = exec
        .query_one("SELECT ggzy_auction_reserve($1)::text", &[&id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(reserve, "1300000.00");
    let e = refused(
        exec.execute(
            "UPDATE auctions SET stage = 'timed', ends_at = ggzy_now() + interval '1 hour' WHERE id = $1",
            &[&id],
        )
        .await,
    );
    assert!(e.contains("closed auction cannot change"), "{e}");
    let e = refused(
        exec.execute(
            "UPDATE auctions SET current_price = 9999999 WHERE id = $1",
            &[&id],
        )
        .await,
    );
    assert!(e.contains("closed auction cannot change"), "{e}");
    let e = refused(
        exec.execute(
            "INSERT INTO auction_bids (auction_id, seq, registration_id, amount, stage, at) \
             SELECT $1, 99, registration_id, 2000000, 'timed', ggzy_now() FROM auction_bids WHERE auction_id = $1 LIMIT 1",
            &[&id],
        )
        .await,
    );
    assert!(e.contains("closed"), "{e}");
    // the public sees the close as the database recorded it, with the price frozen at it
    let public = pg(&app.db.url_as("ggzy_public")).await;
    let (price, count): (String, i32) = public
        .query_one(
            "SELECT final_price::text, bid_count FROM auction_closes WHERE auction_id = $1",
            &[&id],
        )
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!((price.as_str(), count), ("1050000.00", 2));
}

/// The engine itself goes through the same two steps: the close commits, then the settle job
/// reads the reserve and publishes the result (流拍 here: the price stays below the reserve).
#[tokio::test]
async fn the_engine_settles_a_lot_only_after_its_close_committed() {
    let app = TestApp::spawn().await;
    let l = lot(&app, "land", english, Some("1300000.00")).await;
    advance(&app, 120, Some(true)).await;
    let bidders = qualified(&app, &l, 2).await;
    clock_to(&app, l.starts_at + Duration::seconds(1)).await;
    let (s, v) = bid(&app, &l.id, &bidders[0].0, "1000000.00").await;
    assert_eq!(s, 201, "{v}");
    let st: Value = app
        .get(&format!("/api/v1/auctions/{}", l.id), Some(&l.agency.token))
        .await
        .json()
        .await
        .unwrap();
    let ends: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(st["ends_at"].clone()).unwrap();
    clock_to(&app, ends + Duration::milliseconds(1)).await;
    run_timers(&app).await;
    let r: Value = app
        .get(&format!("/api/v1/auctions/{}/result", l.id), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "unsold", "{r}");
    assert_eq!(r["reserve_price"], "1300000.00");
    let c = pg(&app.db.url).await;
    let (closes, results): (i64, i64) = c
        .query_one(
            "SELECT (SELECT count(*) FROM auction_closes WHERE auction_id = $1::text::uuid), \
                    (SELECT count(*) FROM audit_entries WHERE action = 'auction.result' AND subject_id = $1)",
            &[&l.id],
        )
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!((closes, results), (1, 1));
}

/// Finding 3: `ggzy_public` could SELECT `bid_submissions` and join it to list every bidder of an
/// open tender. Now it has no grant on the table; a receipt is still public by its id.
#[tokio::test]
async fn the_public_role_cannot_list_the_bidders_of_an_open_tender() {
    let app = TestApp::spawn().await;
    let public = pg(&app.db.url_as("ggzy_public")).await;
    let e = refused(
        public
            .query(
                "SELECT o.name, s.tender_id FROM bid_submissions s JOIN orgs o ON o.id = s.org_id",
                &[],
            )
            .await,
    );
    assert!(e.starts_with("42501"), "{e}");
    let e = refused(
        public
            .query("SELECT count(*) FROM bid_submissions", &[])
            .await,
    );
    assert!(e.starts_with("42501"), "{e}");
    // the function answers one id, never a list
    let none: Option<Value> = public
        .query_one("SELECT ggzy_receipt(gen_random_uuid())", &[])
        .await
        .unwrap()
        .get(0);
    assert!(none.is_none());
    let b = app.user(Role::Bidder).await;
    let r = app
        .get(
            &format!("/api/v1/receipts/{}", uuid::Uuid::now_v7()),
            Some(&b.token),
        )
        .await;
    assert_eq!(r.status(), 404);
}

/// Finding 14, the hardening items: an upload's media type with a CRLF (which made every download
/// of it a 500) and a path as a file name are refused; a NUL in a title is a 400, not a 500; a
/// command body that is not declared JSON is refused; every answer carries `nosniff`, no framing
/// and a CSP, the API docs included.
#[tokio::test]
async fn hardening_items_are_refused_with_clear_codes() {
    use crate::tendering::{create_tender, world};
    let app = TestApp::spawn().await;
    let w = world(&app, "construction").await;
    let (tender, _) = create_tender(&app, &w, 25).await;
    let upload = |name: &str, media_type: &str| json!({"name": name, "media_type": media_type, "content": "JVBERi0xLjQK"});
    for (body, code) in [
        (
            upload("招标文件.pdf", "application/pdf\r\nX-Evil: 1"),
            "invalid_media_type",
        ),
        (upload("招标文件.pdf", "pdf"), "invalid_media_type"),
        (
            upload("../../etc/passwd", "application/pdf"),
            "invalid_file_name",
        ),
        (upload("a\u{0}.pdf", "application/pdf"), "invalid_text"),
    ] {
        let r = app
            .post(
                &format!("/api/v1/tenders/{tender}/files"),
                Some(&w.agency.token),
                body,
            )
            .await;
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap();
        assert!(matches!(status, 400 | 422), "{v}");
        assert_eq!(v["code"], code, "{v}");
    }
    let stored: i64 = pg(&app.db.url)
        .await
        .query_one("SELECT count(*) FROM tender_files", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 0, "nothing was stored");
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/files"),
            Some(&w.agency.token),
            upload("招标文件（第一标段）.pdf", "Application/PDF"),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    // the draft and its file are out of the public role's reach at the grant layer too
    let public = pg(&app.db.url_as("ggzy_public")).await;
    let seen: (i64, i64) = public
        .query_one(
            "SELECT (SELECT count(*) FROM tenders), (SELECT count(*) FROM tender_files)",
            &[],
        )
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!(seen, (0, 0), "the public role reads drafts");

    // a NUL in a title: 400 invalid_text, and no project
    let r = app
        .post("/api/v1/projects", Some(&w.agency.token),
            json!({"category": "construction", "title": "市民中心\u{0}改造", "region_code": "440400",
                   "estimate_amount": "50000000.00", "purchaser_org_code": w.purchaser.org_code}))
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "invalid_text");

    // a JSON command sent as text/plain (what another site's form or fetch can send without a
    // CORS preflight) is refused
    let r = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "text/plain")
        .body(r#"{"username": "admin", "password": "x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "unsupported_media_type"
    );

    // security headers on the API, on errors and on the docs
    for path in [
        "/api/v1/health",
        "/api/v1/tenders/00000000-0000-0000-0000-000000000000",
        "/api/docs/",
    ] {
        let r = app.get(path, None).await;
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("script-src *"), "{path}: {csp}");
    }
}

/// Finding 15: the private cluster's plane roles have no passwords over `trust` auth — fine for
/// a laptop, not for a deployment. A production set-up refuses to run without a password for
/// every plane role, stores them as SCRAM-SHA-256 hashes, and refuses a `pg_hba.conf` that lets
/// a plane role in with `trust`, `password` or `md5`.
#[tokio::test]
async fn a_production_setup_needs_scram_passwords_for_every_plane_role() {
    use ggzy::db::setup::{DB_ROLES, ensure_roles_with, passwords_from_env};
    let app = TestApp::spawn().await;
    let none = std::collections::BTreeMap::new();
    let e = ensure_roles_with(&app.db.url, true, &none)
        .await
        .unwrap_err()
        .to_string();
    for role in [
        "IDENTITY",
        "DECIDE",
        "EXECUTE",
        "SUPERVISE",
        "PUBLIC",
        "SEQUENCER",
    ] {
        assert!(e.contains(&format!("GGZY_DB_PASSWORD_{role}")), "{e}");
    }
    // a short one is refused too
    let mut short = passwords_from_env();
    short.insert("ggzy_execute".into(), "short".into());
    if short.len() == DB_ROLES.len() {
        assert!(ensure_roles_with(&app.db.url, true, &short).await.is_err());
    }
    // with passwords (the environment's own where this suite was given them, so that the other
    // tests keep connecting), the roles get SCRAM hashes…
    let mut pw = passwords_from_env();
    for r in DB_ROLES {
        pw.entry(r.to_string())
            .or_insert_with(|| format!("test-{}-{}", r, uuid::Uuid::new_v4().simple()));
    }
    let result = ensure_roles_with(&app.db.url, true, &pw).await;
    let c = pg(&app.db.url).await;
    let hashes: Vec<String> = c
        .query(
            "SELECT coalesce(rolpassword, '') FROM pg_authid WHERE rolname = ANY ($1)",
            &[&DB_ROLES.to_vec()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(hashes.len(), DB_ROLES.len());
    assert!(
        hashes.iter().all(|h| h.starts_with("SCRAM-SHA-256$")),
        "{hashes:?}"
    );
    // …and the set-up stands or falls with the server's pg_hba.conf
    let weak: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_hba_file_rules WHERE error IS NULL \
             AND auth_method IN ('trust', 'password', 'md5') \
             AND (user_name && $1::text[] OR 'all' = ANY (user_name))",
            &[&DB_ROLES.to_vec()],
        )
        .await
        .unwrap()
        .get(0);
    match result {
        Ok(()) => assert_eq!(weak, 0),
        Err(e) => {
            assert!(weak > 0, "{e}");
            assert!(e.to_string().contains("pg_hba.conf"), "{e}");
        }
    }
}
