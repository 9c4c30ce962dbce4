//! The route table, walked: every route × every role (and no token) against its declaration;
//! the OpenAPI document lists exactly the routes of the table.

use ggzy::http::routes::{Access, ROUTES};
use ggzy::roles::Role;
use serde_json::{Value, json};

use crate::helpers::TestApp;

#[tokio::test]
async fn every_route_answers_each_role_as_declared() {
    let app = TestApp::spawn().await;
    let mut users = Vec::new();
    for role in Role::ALL {
        let token = if role == Role::Admin {
            app.admin_token.clone()
        } else {
            app.user(role).await.token
        };
        users.push((role, token));
    }
    let mut checked = 0;
    // sign-out revokes the caller's token: walked last, so every other route sees live tokens
    let mut walk: Vec<_> = ROUTES.iter().collect();
    walk.sort_by_key(|r| r.path == "/api/v1/auth/logout");
    for r in walk {
        let path = r.path.replace("{id}", &uuid::Uuid::new_v4().to_string());
        let callers: Vec<(Option<Role>, Option<&str>)> = std::iter::once((None, None))
            .chain(
                users
                    .iter()
                    .map(|(role, t)| (Some(*role), Some(t.as_str()))),
            )
            .collect();
        for (role, token) in callers {
            let method = reqwest::Method::from_bytes(r.method.as_bytes()).unwrap();
            let mut req = app.client.request(method, app.url(&path)).json(&json!({}));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            let code = body["code"].as_str().unwrap_or("");
            let who = role.map(|r| r.as_str()).unwrap_or("no token");
            // A route the app did not register answers the generic "route not found".
            assert!(
                !(status == 404
                    && body["detail"] == "route not found"
                    && r.path != "/api/v1/sandbox/clock"),
                "{} {} is declared but not served",
                r.method,
                r.path
            );
            match (r.access, role) {
                // only the metrics token opens the metrics, no account's token (issue 13)
                (Access::Metrics, _) => {
                    assert_eq!(status, 401, "{r:?} as {who}: {body}");
                    assert_eq!(code, "metrics_token_required");
                }
                (Access::Public, _) => {
                    assert!(
                        status != 401 && status != 403,
                        "{r:?} as {who}: {status} {body}"
                    );
                }
                (_, None) => assert_eq!(status, 401, "{r:?} without a token: {body}"),
                (access, Some(role)) if access.allows(role) => {
                    assert!(
                        status != 401 && status != 403,
                        "{r:?} as {who} should pass: {status} {body}"
                    );
                }
                (_, Some(_)) => {
                    assert_eq!(status, 403, "{r:?} as {who} should be refused: {body}");
                    assert_eq!(code, "forbidden_role");
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, ROUTES.len() * (Role::ALL.len() + 1));
    app.stop().await;
}

#[tokio::test]
async fn openapi_lists_every_route_and_nothing_else() {
    let app = TestApp::spawn().await;
    let doc: Value = app
        .get("/api/v1/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for r in ROUTES {
        let op = &doc["paths"][r.path][r.method.to_ascii_lowercase()];
        assert!(
            op.is_object(),
            "{} {} is missing from the OpenAPI document",
            r.method,
            r.path
        );
        assert_eq!(op["x-ggzy-plane"], r.plane.as_str(), "{r:?}");
    }
    let mut documented = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented += 1;
            assert!(
                ROUTES
                    .iter()
                    .any(|r| r.path == path && r.method.eq_ignore_ascii_case(method)),
                "{method} {path} is documented but not in the route table"
            );
        }
    }
    assert_eq!(documented, ROUTES.len());
    // the docs page works offline: served by the binary, no CDN
    let page = app.get("/api/docs/", None).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(!html.contains("cdn.jsdelivr") && !html.contains("unpkg.com"));
    app.stop().await;
}

#[tokio::test]
async fn bad_requests_get_stable_problem_codes() {
    let app = TestApp::spawn().await;
    // malformed JSON: 400 with the position
    let r = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"username\": \"a\",\n \"password\": }")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "malformed_json");
    assert!(v["detail"].as_str().unwrap().contains("line 2"), "{v}");
    // unknown field
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"username": "a", "password": "b", "x": 1}),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "unknown_field");
    // oversized body
    let big = "x".repeat(2 * 1024 * 1024);
    let r = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(format!("{{\"username\": \"{big}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "body_too_large");
    // unknown route and wrong method: problem+json too
    let r = app.get("/api/v1/nothing-here", None).await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "not_found");
    let r = app
        .client
        .delete(app.url("/api/v1/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    // every response carries the platform time and the sandbox flag
    let r = app.get("/api/v1/health", None).await;
    let t = r.headers()["x-server-time"].to_str().unwrap().to_string();
    assert!(t.ends_with('Z') && t.len() == 27, "{t}");
    assert_eq!(r.headers()["x-ggzy-sandbox"], "1");
    app.stop().await;
}
