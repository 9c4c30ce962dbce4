//! The pages without a browser: security headers, SRI on every script and stylesheet matching
//! the committed bundles byte for byte, the notice's `scripts`, and (when node is installed)
//! that `scripts/web-build`'s esbuild step reproduces the committed bundles.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::helpers::TestApp;
use crate::tendering::{create_tender, designate_and_register, publish, world};

/// The published notice as the platform recorded it for the public (its public API is not
/// served yet, so from the outbox's public entries).
pub(crate) async fn published_notice(app: &TestApp, tender: &str) -> Value {
    crate::helpers::pg(&app.db.url)
        .await
        .query_one(
            "SELECT payload FROM outbox WHERE kind = 'public' AND topic = 'tender.notice' \
             AND subject_id = $1",
            &[&tender],
        )
        .await
        .unwrap()
        .get(0)
}

/// `(src or href, integrity)` of every script and stylesheet tag; panics on an inline script.
fn subresources(html: &str) -> Vec<(String, String)> {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(tag[at..at + tag[at..].find('"')?].to_string())
    };
    let mut out = Vec::new();
    for (i, _) in html.match_indices("<script") {
        let tag = &html[i..i + html[i..].find('>').unwrap()];
        let src = attr(tag, "src").expect("no inline scripts");
        assert!(
            html[i..].starts_with(&format!("{tag}></script>")),
            "an inline script body"
        );
        out.push((
            src,
            attr(tag, "integrity").expect("a script without integrity"),
        ));
    }
    for (i, _) in html.match_indices("<link rel=\"stylesheet\"") {
        let tag = &html[i..i + html[i..].find('>').unwrap()];
        out.push((
            attr(tag, "href").unwrap(),
            attr(tag, "integrity").expect("integrity"),
        ));
    }
    out
}

#[tokio::test]
async fn pages_send_a_strict_csp_and_sri_that_match_the_committed_bundles() {
    let app = TestApp::spawn().await;
    let w = world(&app, "construction").await;
    let (tender, _) = create_tender(&app, &w, 25).await;
    designate_and_register(&app, &w, &tender).await;
    publish(&app, &w, &tender).await;
    let notice = published_notice(&app, &tender).await;
    let id = uuid::Uuid::new_v4();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut scripts = std::collections::BTreeMap::new();
    for path in [
        "/".to_string(),
        format!("/tenders/{id}"),
        format!("/bid/{tender}"),
        format!("/holder/{tender}"),
        format!("/auctions/{id}"),
        "/floor".into(),
        "/supervise".into(),
    ] {
        let r = app.get(&path, None).await;
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers().clone();
        assert_eq!(h["content-type"], "text/html; charset=utf-8");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self';") && csp.contains("default-src 'none'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe"), "{csp}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        let html = r.text().await.unwrap();
        assert!(html.starts_with("<!DOCTYPE html>") && html.contains("lang=\"zh-CN\""));
        let subs = subresources(&html);
        assert_eq!(subs.len(), 2, "{path}: one script and the stylesheet");
        for (src, integrity) in subs {
            let r = app.get(&src, None).await;
            assert_eq!(r.status(), 200, "{src}");
            assert_eq!(r.headers()["x-content-type-options"], "nosniff");
            let served = r.bytes().await.unwrap();
            let sri = format!("sha256-{}", B64.encode(Sha256::digest(&served)));
            assert_eq!(sri, integrity, "{path}: {src}");
            let committed = std::fs::read(root.join(src.trim_start_matches('/'))).unwrap();
            assert_eq!(
                served.as_ref(),
                committed.as_slice(),
                "{src} is the committed file"
            );
            scripts.insert(src, integrity);
        }
    }
    // the notice records the sealing and holder scripts' SRI values, as the pages emit them
    let recorded = notice["scripts"].as_object().unwrap();
    assert_eq!(recorded.len(), 2, "{notice}");
    for src in ["/assets/js/bid.js", "/assets/js/holder.js"] {
        assert_eq!(recorded[src], scripts[src].as_str(), "{src}");
    }
    // the bundle embeds age-encryption (no CDN, no import at run time)
    let bid = std::fs::read_to_string(root.join("assets/js/bid.js")).unwrap();
    assert!(bid.contains("age-encryption.org/v1") && !bid.contains("import "));
    assert_eq!(app.get("/assets/js/nope.js", None).await.status(), 404);
    assert_eq!(app.get("/bid/not-a-uuid", None).await.status(), 404);

    // when node is present, esbuild reproduces the committed bundles from web/src
    let esbuild = root.join("web/node_modules/.bin/esbuild");
    if esbuild.exists() {
        let out = std::env::temp_dir().join(format!("ggzy-web-{}", uuid::Uuid::new_v4().simple()));
        let pages: Vec<String> = std::fs::read_dir(root.join("web/src/pages"))
            .unwrap()
            .map(|e| format!("src/pages/{}", e.unwrap().file_name().to_string_lossy()))
            .collect();
        let status = std::process::Command::new(&esbuild)
            .current_dir(root.join("web"))
            .args(&pages)
            .args([
                "--bundle",
                "--format=esm",
                "--target=es2022",
                "--charset=utf8",
                "--legal-comments=eof",
                "--log-level=warning",
            ])
            .arg(format!("--outdir={}", out.display()))
            .status()
            .unwrap();
        assert!(status.success());
        for e in std::fs::read_dir(&out).unwrap() {
            let e = e.unwrap();
            let committed = std::fs::read(root.join("assets/js").join(e.file_name())).unwrap();
            assert_eq!(
                std::fs::read(e.path()).unwrap(),
                committed,
                "assets/js/{} is stale: run scripts/web-build",
                e.file_name().to_string_lossy()
            );
        }
        let _ = std::fs::remove_dir_all(out);
    } else {
        eprintln!(
            "web/node_modules absent: the bundle reproduction check did not run (scripts/web-build installs it)"
        );
    }
}

/// Opens `/api/v1/floor/live` offering `protocols`; the handshake's selected subprotocol, or
/// the HTTP status of the refusal.
async fn floor_socket(app: &TestApp, protocols: Option<String>) -> Result<Option<String>, u16> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!("{}/api/v1/floor/live", app.base.replace("http", "ws"));
    let mut req = url.into_client_request().unwrap();
    if let Some(p) = protocols {
        req.headers_mut()
            .insert("sec-websocket-protocol", p.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((_, res)) => Ok(res
            .headers()
            .get("sec-websocket-protocol")
            .map(|v| v.to_str().unwrap().to_string())),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn live_routes_take_the_token_as_a_websocket_subprotocol() {
    let app = TestApp::spawn().await;
    let supervisor = app.user(ggzy::roles::Role::Supervisor).await;
    let bidder = app.user(ggzy::roles::Role::Bidder).await;
    // the pages' way: `ggzy, bearer.<token>`; the server selects `ggzy`
    let ok = floor_socket(&app, Some(format!("ggzy, bearer.{}", supervisor.token))).await;
    assert_eq!(ok, Ok(Some("ggzy".to_string())));
    // the gate is the same as for a header: a role the route does not allow, a forged token, none
    let wrong_role = floor_socket(&app, Some(format!("ggzy, bearer.{}", bidder.token))).await;
    assert_eq!(wrong_role, Err(403));
    let forged = floor_socket(&app, Some(format!("ggzy, bearer.{}x", supervisor.token))).await;
    assert_eq!(forged, Err(401));
    assert_eq!(floor_socket(&app, Some("ggzy".into())).await, Err(401));
    assert_eq!(floor_socket(&app, None).await, Err(401));
}
