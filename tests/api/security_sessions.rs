//! Issue 13, findings 5, 6, 10 (registration, idempotency keys) and 14 (tokens): each test
//! performs the red-team's attack and asserts it now fails (docs/security/sessions.md).

use std::time::{SystemTime, UNIX_EPOCH};

use diesel_async::{AsyncConnection, AsyncPgConnection};
use ggzy::http::idempotency::{self, Begin};
use ggzy::roles::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, org_code, pg};

async fn code_of(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    (status, v["code"].as_str().unwrap_or("").to_string())
}

/// Creates a user (as the harness does) and returns (username, id, token).
async fn named_user(app: &TestApp, role: Role) -> (String, uuid::Uuid, String) {
    let u = app.user(role).await;
    let me: Value = app
        .get("/api/v1/me", Some(&u.token))
        .await
        .json()
        .await
        .unwrap();
    (me["username"].as_str().unwrap().to_string(), u.id, u.token)
}

async fn login_from(
    app: &TestApp,
    xff: &[&str],
    username: &str,
    password: &str,
) -> reqwest::Response {
    let mut r = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}));
    // each entry is its own header line (reqwest appends)
    for line in xff {
        r = r.header("x-forwarded-for", *line);
    }
    r.send().await.unwrap()
}

async fn token_from(r: reqwest::Response) -> String {
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_signed_out_token_is_refused_on_every_plane() {
    let app = TestApp::spawn().await;
    let (name, _, token) = named_user(&app, Role::Agency).await;
    let project = format!("/api/v1/projects/{}", uuid::Uuid::new_v4());
    // an execute-plane route and an identity-plane route accept the token
    assert_eq!(app.get(&project, Some(&token)).await.status(), 404);
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 200);
    let other = app.login(&name, PASSWORD).await;
    let r = app
        .post("/api/v1/auth/logout", Some(&token), json!({}))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["sessions_revoked"], 1);
    // the next request with it is refused, whatever the plane
    for path in ["/api/v1/me", project.as_str()] {
        assert_eq!(
            code_of(app.get(path, Some(&token)).await).await,
            (401, "token_revoked".into()),
            "{path}"
        );
    }
    // signing out twice is refused too (the token is dead)
    assert_eq!(
        code_of(
            app.post("/api/v1/auth/logout", Some(&token), json!({}))
                .await
        )
        .await,
        (401, "token_revoked".into())
    );
    // the other session lives until it signs out everywhere
    assert_eq!(app.get("/api/v1/me", Some(&other)).await.status(), 200);
    let third = app.login(&name, PASSWORD).await;
    let r = app
        .post(
            "/api/v1/auth/logout",
            Some(&other),
            json!({"everywhere": true}),
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["sessions_revoked"], 2);
    for t in [&other, &third] {
        assert_eq!(
            code_of(app.get("/api/v1/me", Some(t)).await).await,
            (401, "token_revoked".into())
        );
    }
    // an empty body is `{}`; an unknown field is refused
    let fresh = app.login(&name, PASSWORD).await;
    assert_eq!(
        code_of(
            app.post("/api/v1/auth/logout", Some(&fresh), json!({"all": 1}))
                .await
        )
        .await
        .0,
        400
    );
    let r = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(app.get("/api/v1/me", Some(&fresh)).await.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn a_password_change_ends_every_earlier_token() {
    let app = TestApp::spawn().await;
    let (name, _, a) = named_user(&app, Role::Bidder).await;
    let b = app.login(&name, PASSWORD).await;
    let r = app
        .post(
            "/api/v1/me/password",
            Some(&a),
            json!({"current_password": PASSWORD, "new_password": "a-brand-new-password"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let fresh = r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    // the token used for the change and the one stolen earlier are both dead
    for t in [&a, &b] {
        assert_eq!(
            code_of(app.get("/api/v1/me", Some(t)).await).await,
            (401, "token_revoked".into())
        );
    }
    assert_eq!(app.get("/api/v1/me", Some(&fresh)).await.status(), 200);
    // the revocation is recorded with its reason: the two tokens, and the one-time password's
    // session the harness changed it with
    let c = pg(&app.db.url).await;
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE u.username = $1 AND s.revoked_reason = 'password_change'",
            &[&name],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 3);
    app.stop().await;
}

#[tokio::test]
async fn a_disabled_account_loses_its_sessions_and_cannot_sign_in() {
    let app = TestApp::spawn().await;
    let (name, id, token) = named_user(&app, Role::CenterStaff).await;
    let (_, _, other_admin_like) = named_user(&app, Role::Regulator).await;
    let disable = format!("/api/v1/admin/users/{id}/disable");
    // only the admin disables
    assert_eq!(
        code_of(
            app.post(&disable, Some(&other_admin_like), json!({"reason": "x"}))
                .await
        )
        .await,
        (403, "forbidden_role".into())
    );
    let r = app
        .post(
            &disable,
            Some(&app.admin_token),
            json!({"reason": "离职 left the centre"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["disabled"], true);
    assert_eq!(v["sessions_revoked"], 1);
    // the live token stops at its next request
    let (status, code) = code_of(app.get("/api/v1/me", Some(&token)).await).await;
    assert_eq!(status, 401);
    assert!(
        ["account_disabled", "token_revoked"].contains(&code.as_str()),
        "{code}"
    );
    // the right password no longer signs in
    assert_eq!(
        code_of(login_from(&app, &[], &name, PASSWORD).await).await,
        (403, "account_disabled".into())
    );
    // the admin cannot disable itself; an unknown user is 404
    let admin_id: Value = app
        .get("/api/v1/me", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    let own = format!(
        "/api/v1/admin/users/{}/disable",
        admin_id["id"].as_str().unwrap()
    );
    assert_eq!(
        code_of(
            app.post(&own, Some(&app.admin_token), json!({"reason": "oops"}))
                .await
        )
        .await,
        (422, "cannot_disable_self".into())
    );
    let unknown = format!("/api/v1/admin/users/{}/disable", uuid::Uuid::new_v4());
    assert_eq!(
        app.post(&unknown, Some(&app.admin_token), json!({"reason": "x"}))
            .await
            .status(),
        404
    );
    // enabled again: the owner signs in anew, the old token stays dead
    let r = app
        .post(
            &format!("/api/v1/admin/users/{id}/enable"),
            Some(&app.admin_token),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["disabled"], false);
    assert_eq!(
        code_of(app.get("/api/v1/me", Some(&token)).await).await,
        (401, "token_revoked".into())
    );
    let again = token_from(login_from(&app, &[], &name, PASSWORD).await).await;
    assert_eq!(app.get("/api/v1/me", Some(&again)).await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn password_changes_are_throttled() {
    let app = TestApp::spawn().await;
    let (_, _, token) = named_user(&app, Role::Bidder).await;
    let attempt = |current: &str| json!({"current_password": current, "new_password": "stolen-token-takeover"});
    // someone holding a stolen token guesses the current password
    for i in 1..=5 {
        let r = app
            .post(
                "/api/v1/me/password",
                Some(&token),
                attempt(&format!("guess-number-{i}")),
            )
            .await;
        assert_eq!(
            code_of(r).await,
            (403, "wrong_password".into()),
            "guess {i}"
        );
    }
    let r = app
        .post(
            "/api/v1/me/password",
            Some(&token),
            attempt("guess-number-6"),
        )
        .await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    // even the right one waits now
    let r = app
        .post("/api/v1/me/password", Some(&token), attempt(PASSWORD))
        .await;
    assert_eq!(r.status(), 429);
    // and the token still works for everything else
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn a_busy_shared_address_does_not_lock_out_a_right_password() {
    let app = TestApp::spawn().await;
    let (victim, _, _) = named_user(&app, Role::Bidder).await;
    let (colleague, _, _) = named_user(&app, Role::Bidder).await;
    let nat = "203.0.113.50";
    // an attacker behind the same NAT sprays 35 accounts, one of them the victim's
    for i in 0..34 {
        let r = login_from(&app, &[nat], &format!("nobody-{i}"), "wrong-password-1").await;
        assert_eq!(r.status(), 401, "spray {i}");
    }
    assert_eq!(
        login_from(&app, &[nat], &victim, "wrong-password-1")
            .await
            .status(),
        401
    );
    // the address is over its limit: a colleague at the same address, whose account nobody is
    // guessing at, still signs in with the right password (was 429: every account locked)
    token_from(login_from(&app, &[nat], &colleague, PASSWORD).await).await;
    // the account the address failed on waits (slowed from its first failure)…
    let r = login_from(&app, &[nat], &victim, PASSWORD).await;
    assert_eq!(code_of(r).await, (429, "too_many_attempts".into()));
    // …but not from the owner's own address
    token_from(login_from(&app, &["198.51.100.20"], &victim, PASSWORD).await).await;
    // and an account signed in from the NAT before is known there: a typo does not lock it
    assert_eq!(
        login_from(&app, &[nat], &colleague, "typo-password-1")
            .await
            .status(),
        401
    );
    token_from(login_from(&app, &[nat], &colleague, PASSWORD).await).await;
    app.stop().await;
}

#[tokio::test]
async fn a_spoofed_forwarded_for_line_does_not_escape_the_throttle() {
    let app = TestApp::spawn().await;
    let (victim, _, _) = named_user(&app, Role::Bidder).await;
    let real = "203.0.113.9";
    // the client writes a fresh address of its choice in its own header line each time; our
    // proxy (127.0.0.1, trusted in the test config) appends the real one as a second line
    for i in 1..=5 {
        let spoof = format!("198.51.100.{i}");
        let r = login_from(&app, &[&spoof, real], &victim, "wrong-password-1").await;
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    let r = login_from(&app, &["198.51.100.99", real], &victim, "wrong-password-1").await;
    assert_eq!(r.status(), 429, "the spoofed line chose the address");
    // the audit trail (the red flags' "same address" evidence) has the real address only
    let c = pg(&app.db.url).await;
    let addrs: Vec<Option<String>> = c
        .query(
            "SELECT DISTINCT client_addr FROM audit_entries WHERE action = 'auth.login_failed'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(addrs, vec![Some(real.to_string())]);
    app.stop().await;
}

#[tokio::test]
async fn two_hundred_parallel_guesses_let_at_most_five_through() {
    let app = TestApp::spawn().await;
    let (victim, _, _) = named_user(&app, Role::Bidder).await;
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (client, url, victim) = (
            app.client.clone(),
            app.url("/api/v1/auth/login"),
            victim.clone(),
        );
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .header("x-forwarded-for", "203.0.113.77")
                .json(&json!({"username": victim, "password": format!("parallel-guess-{i}")}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut checked = 0;
    let mut throttled = 0;
    for t in tasks {
        match t.await.unwrap() {
            401 => checked += 1,
            429 => throttled += 1,
            s => panic!("unexpected status {s}"),
        }
    }
    // every guess that reached the password check was counted before it: five, no more (was 18)
    assert_eq!(
        checked, 5,
        "{checked} guesses checked, {throttled} throttled"
    );
    assert_eq!(throttled, 195);
    app.stop().await;
}

#[tokio::test]
async fn self_registration_is_throttled_per_address() {
    let app = TestApp::spawn().await;
    let register = |i: usize, addr: &'static str, code: String| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/v1/auth/register"))
                .header("x-forwarded-for", addr)
                .json(
                    &json!({"username": format!("bot-{i}"), "password": "a-long-password",
                    "display_name": "机器人", "email": format!("bot{i}@example.com"),
                    "org_name": format!("空壳公司 {i}"), "org_code": code}),
                )
                .send()
                .await
                .unwrap()
        }
    };
    let bot = "203.0.113.60";
    // a refused registration (bad org code) does not use up the address's allowance
    let r = register(100, bot, "91350100M000100Y44".into()).await;
    assert_eq!(code_of(r).await, (422, "invalid_org_code".into()));
    for i in 0..5 {
        assert_eq!(
            register(i, bot, org_code()).await.status(),
            201,
            "registration {i}"
        );
    }
    // the sixth within the hour waits (20 in 2.2 s before)
    let r = register(5, bot, org_code()).await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 60 && retry <= 3600, "{retry}");
    // another address is not affected
    assert_eq!(register(6, "198.51.100.61", org_code()).await.status(), 201);
    // an hour of platform time later the address may register again
    let r = app
        .post(
            "/api/v1/sandbox/clock",
            Some(&app.admin_token),
            json!({"advance_seconds": 3601}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(register(7, bot, org_code()).await.status(), 201);
    app.stop().await;
}

/// Claims `key-1` for a bid-security declaration with `body` and completes it; returns whether
/// this call claimed the key (false: a repeat answered from the first response).
async fn claim_key(
    conn: &mut AsyncPgConnection,
    user: uuid::Uuid,
    body: &'static [u8],
) -> Result<bool, ggzy::error::AppError> {
    conn.transaction::<_, ggzy::error::AppError, _>(async |t| {
        let b = idempotency::begin(t, Some("key-1"), user, "declare_security", body).await?;
        let claimed = matches!(b, Begin::Claimed(_));
        if let Begin::Claimed(c) = b {
            let status = actix_web::http::StatusCode::CREATED;
            idempotency::finish(t, Some(c), status, &json!({"ok": 1})).await?;
        }
        Ok(claimed)
    })
    .await
}

#[tokio::test]
async fn idempotency_keys_expire_after_a_day() {
    let app = TestApp::spawn().await;
    let bidder = app.user(Role::Bidder).await;
    let mut conn = AsyncPgConnection::establish(&app.db.url_as("ggzy_execute"))
        .await
        .unwrap();
    let claim = async |conn: &mut AsyncPgConnection, body: &'static [u8]| {
        claim_key(conn, bidder.id, body).await
    };
    assert!(claim(&mut conn, b"first").await.unwrap());
    // a fresh key with another body is refused, the same body repeats the first answer
    assert_eq!(
        claim(&mut conn, b"second").await.unwrap_err().code(),
        "idempotency_key_reused"
    );
    assert!(!claim(&mut conn, b"first").await.unwrap());
    // a day old, the key is ignored: its next use claims it afresh (was: refused forever)
    let owner = pg(&app.db.url).await;
    owner
        .execute(
            "UPDATE idempotency_keys SET created_at = ggzy_now() - interval '25 hours'",
            &[],
        )
        .await
        .unwrap();
    assert!(claim(&mut conn, b"second").await.unwrap());
    // and the hourly job deletes expired keys: a day of platform time later, none is left
    let r = app
        .post(
            "/api/v1/sandbox/clock",
            Some(&app.admin_token),
            json!({"advance_seconds": 25 * 3600}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let left: i64 = owner
        .query_one("SELECT count(*) FROM idempotency_keys", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
    app.stop().await;
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn a_token_issued_in_the_future_is_refused() {
    let app = TestApp::spawn().await;
    let me: Value = app
        .get("/api/v1/me", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    let key = std::fs::read(app.data_dir.join("keys/identity_ed25519.pem")).unwrap();
    let sign = |claims: Value| {
        jsonwebtoken::encode(
            &Header::new(Algorithm::EdDSA),
            &claims,
            &EncodingKey::from_ed_pem(&key).unwrap(),
        )
        .unwrap()
    };
    // relative to the real clock, like the tokens the platform issues (no calendar date)
    let now = unix_now();
    let base = json!({"sub": me["id"], "role": "admin", "plane": "identity", "org": null,
        "jti": uuid::Uuid::new_v4()});
    let mut future = base.clone();
    future["iat"] = json!(now + 3600);
    future["exp"] = json!(now + 3600 + 600);
    assert_eq!(
        code_of(app.get("/api/v1/me", Some(&sign(future))).await).await,
        (401, "token_not_yet_valid".into())
    );
    let mut later = base.clone();
    later["iat"] = json!(now);
    later["nbf"] = json!(now + 3600);
    later["exp"] = json!(now + 7200);
    assert_eq!(
        code_of(app.get("/api/v1/me", Some(&sign(later))).await).await,
        (401, "token_not_yet_valid".into())
    );
    // a well-formed token the identity plane never issued (no session) is refused as well
    let mut stray = base;
    stray["iat"] = json!(now);
    stray["exp"] = json!(now + 600);
    assert_eq!(
        code_of(app.get("/api/v1/me", Some(&sign(stray))).await).await,
        (401, "invalid_token".into())
    );
    app.stop().await;
}
