//! Accounts, tokens, throttling, projects and holds through the HTTP API.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ggzy::roles::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_PASSWORD, TestApp, org_code, pg};

#[tokio::test]
async fn bidders_register_with_a_valid_org_code_only() {
    let app = TestApp::spawn().await;
    let mut body = json!({"username": "bidder-a", "password": "a-long-password", "display_name": "投标人甲",
        "email": "a@example.com", "org_name": "甲建设有限公司", "org_code": "91350100M000100Y44"});
    let r = app.post("/api/v1/auth/register", None, body.clone()).await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "invalid_org_code");
    body["org_code"] = json!("91350100M000100Y43");
    let r = app.post("/api/v1/auth/register", None, body.clone()).await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["user"]["role"], "bidder");
    assert_eq!(v["user"]["plane"], "execute");
    // the same org cannot be claimed twice by self-registration
    body["username"] = json!("bidder-b");
    let r = app.post("/api/v1/auth/register", None, body).await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "org_already_registered"
    );
    let token = app.login("bidder-a", "a-long-password").await;
    let me: Value = app
        .get("/api/v1/me", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "bidder-a");
    assert!(me["org_id"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn one_time_passwords_must_be_changed_and_officials_are_logged_publicly() {
    let app = TestApp::spawn().await;
    let r = app
        .post(
            "/api/v1/admin/users",
            Some(&app.admin_token),
            json!({"username": "staff1", "password": "one-time-pass-9", "role": "center_staff",
                   "display_name": "中心 张三", "email": "s@example.com"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.json::<Value>().await.unwrap()["user"]["must_change_password"],
        true
    );
    let otp = app.login("staff1", "one-time-pass-9").await;
    // every route but /me and /me/password refuses the one-time token
    let r = app
        .get(
            &format!("/api/v1/projects/{}", uuid::Uuid::new_v4()),
            Some(&otp),
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "password_change_required"
    );
    assert_eq!(app.get("/api/v1/me", Some(&otp)).await.status(), 200);
    let r = app
        .post(
            "/api/v1/me/password",
            Some(&otp),
            json!({"current_password": "wrong-one-time", "new_password": "my-own-password"}),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post(
            "/api/v1/me/password",
            Some(&otp),
            json!({"current_password": "one-time-pass-9", "new_password": "my-own-password"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let token = app.login("staff1", "my-own-password").await;
    assert_eq!(
        app.get(
            &format!("/api/v1/projects/{}", uuid::Uuid::new_v4()),
            Some(&token)
        )
        .await
        .status(),
        404
    );
    // an official's account creation is a public outbox entry, a bidder's is not
    app.user(Role::Bidder).await;
    let c = pg(&app.db.url).await;
    let rows = c
        .query("SELECT payload->>'username' FROM outbox WHERE kind = 'public' AND topic = 'account.official_created'", &[])
        .await
        .unwrap();
    let names: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(names, vec!["staff1".to_string()]);
    app.stop().await;
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn forged_expired_and_wrong_algorithm_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let good = app.admin_token.clone();
    assert_eq!(app.get("/api/v1/me", Some(&good)).await.status(), 200);
    let me: Value = app
        .get("/api/v1/me", Some(&good))
        .await
        .json()
        .await
        .unwrap();
    let claims = json!({"sub": me["id"], "role": "admin", "plane": "identity", "org": null,
        "iat": now() - 100, "exp": now() + 3600, "jti": uuid::Uuid::new_v4()});
    let expect_401 = |token: String, code: &'static str| {
        let app = &app;
        async move {
            let r = app.get("/api/v1/me", Some(&token)).await;
            assert_eq!(r.status(), 401, "{code}");
            assert_eq!(r.json::<Value>().await.unwrap()["code"], code);
        }
    };
    // bad signature: flip a character of the signature
    let mut parts: Vec<String> = good.split('.').map(String::from).collect();
    let mut sig = parts[2].clone().into_bytes();
    sig[5] = if sig[5] == b'A' { b'B' } else { b'A' };
    parts[2] = String::from_utf8(sig).unwrap();
    expect_401(parts.join("."), "invalid_token").await;
    // expired, signed with the real key
    let key = std::fs::read(app.data_dir.join("keys/identity_ed25519.pem")).unwrap();
    let mut expired = claims.clone();
    expired["iat"] = json!(now() - 7200);
    expired["exp"] = json!(now() - 3600);
    let t = jsonwebtoken::encode(
        &Header::new(Algorithm::EdDSA),
        &expired,
        &EncodingKey::from_ed_pem(&key).unwrap(),
    )
    .unwrap();
    expect_401(t, "token_expired").await;
    // alg none
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    expect_401(format!("{header}.{payload}."), "invalid_token").await;
    // HS256 keyed with the public key
    let public = std::fs::read(app.data_dir.join("keys/identity_ed25519.pub.pem")).unwrap();
    let t = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&public),
    )
    .unwrap();
    expect_401(t, "invalid_token").await;
    // a token claiming a role of another plane than its own
    let mut mixed = claims.clone();
    mixed["plane"] = json!("execute");
    let t = jsonwebtoken::encode(
        &Header::new(Algorithm::EdDSA),
        &mixed,
        &EncodingKey::from_ed_pem(&key).unwrap(),
    )
    .unwrap();
    expect_401(t, "invalid_token").await;
    app.stop().await;
}

async fn login_from(
    app: &TestApp,
    addr: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", addr)
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn failed_logins_are_throttled_per_address_without_locking_the_owner_out() {
    let app = TestApp::spawn().await;
    let attacker = "203.0.113.9";
    for i in 1..=5 {
        let r = login_from(&app, attacker, "admin", "wrong-password-123").await;
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    let r = login_from(&app, attacker, "admin", "wrong-password-123").await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "too_many_attempts"
    );
    // the right password from the throttled address still waits
    assert_eq!(
        login_from(&app, attacker, "admin", ADMIN_PASSWORD)
            .await
            .status(),
        429
    );
    // the owner from another address logs in
    assert_eq!(
        login_from(&app, "198.51.100.4", "admin", ADMIN_PASSWORD)
            .await
            .status(),
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn projects_are_registered_approved_once_and_held_projects_refuse() {
    let app = TestApp::spawn().await;
    let agency = app.user(Role::Agency).await;
    let purchaser = app.user(Role::Purchaser).await;
    let regulator = app.user(Role::Regulator).await;
    let supervisor = app.user(Role::Supervisor).await;
    let create = |title: &str| {
        json!({"category": "procurement", "title": title, "region_code": "440402",
               "estimate_amount": "2500000.50", "purchaser_org_code": purchaser.org_code})
    };
    // an agency must name a registered purchaser
    let mut bad = create("无采购人");
    bad["purchaser_org_code"] = json!(org_code());
    let r = app.post("/api/v1/projects", Some(&agency.token), bad).await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "unknown_org");
    let r = app
        .post(
            "/api/v1/projects",
            Some(&agency.token),
            create("办公设备采购"),
        )
        .await;
    assert_eq!(r.status(), 201);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["status"], "pending_approval");
    let id = p["id"].as_str().unwrap().to_string();
    // the purchaser sees it, another agency does not
    let v: Value = app
        .get(&format!("/api/v1/projects/{id}"), Some(&purchaser.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["estimate_amount"], "2500000.50");
    assert_eq!(v["owner_org_code"], json!(purchaser.org_code));
    let other = app.user(Role::Agency).await;
    assert_eq!(
        app.get(&format!("/api/v1/projects/{id}"), Some(&other.token))
            .await
            .status(),
        404
    );
    // a supervisor's suspension (written by the supervise plane's own role) holds the project
    let sup = pg(&app.db.url_as("ggzy_supervise")).await;
    let pid: uuid::Uuid = id.parse().unwrap();
    hold(&sup, pid, supervisor.id, "suspend", "举报核查中").await;
    let approve = json!({"decision": "approve", "reason": "符合条件", "must_tender": true});
    let approval = format!("/api/v1/projects/{id}/approval");
    let r = app
        .post(&approval, Some(&regulator.token), approve.clone())
        .await;
    assert_eq!(r.status(), 423);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "suspended");
    // 423 comes before the body check
    let r = app
        .post(&approval, Some(&regulator.token), json!({"nonsense": 1}))
        .await;
    assert_eq!(r.status(), 423);
    hold(&sup, pid, supervisor.id, "resume", "核查完毕").await;
    let r = app
        .post(&approval, Some(&regulator.token), approve.clone())
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "approved");
    let r = app.post(&approval, Some(&regulator.token), approve).await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "invalid_state");
    let v: Value = app
        .get(&format!("/api/v1/projects/{id}"), Some(&agency.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "approved");
    assert_eq!(v["must_tender"], true);
    app.stop().await;
}

/// A supervisor's directive, written with the supervise plane's own role.
async fn hold(
    sup: &tokio_postgres::Client,
    project: uuid::Uuid,
    by: uuid::Uuid,
    kind: &str,
    reason: &str,
) {
    sup.execute(
        "INSERT INTO holds (id, subject_type, subject_id, kind, reason, ordered_by, ordered_role)
         VALUES (gen_random_uuid(), 'project', $1, $3, $4, $2, 'supervisor')",
        &[&project, &by, &kind, &reason],
    )
    .await
    .unwrap();
}
