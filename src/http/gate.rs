//! The gate: looks up the matched route's declaration, authenticates (401: the token, then its
//! session — one indexed lookup per request, so sign-out, a password change or a disabled
//! account take effect at the next request on every node), checks the role and the one-time
//! password rule (403), and passes the caller on. An API path without a
//! declaration is refused: nothing is served that the route table does not name.
//! `decorate` adds the platform headers, records metrics and nudges the sequencer.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use tracing_actix_web::RequestId;

use crate::app::AppState;
use crate::error::AppError;
use crate::http::client;
use crate::http::ctx::{Caller, GateInfo};
use crate::http::routes::{Access, INDEX, ROUTES};

fn state_of(req: &ServiceRequest) -> Result<web::Data<AppState>, actix_web::Error> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("AppState missing")).into())
}

fn bearer(req: &ServiceRequest) -> Option<String> {
    if let Some(h) = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
    {
        let mut parts = h.splitn(2, ' ');
        let scheme = parts.next().unwrap_or_default();
        if scheme.eq_ignore_ascii_case("bearer") {
            return parts.next().map(|t| t.trim().to_string());
        }
        return None;
    }
    let is_ws = req
        .headers()
        .get("upgrade")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if is_ws {
        // the pages offer `ggzy, bearer.<token>` (browsers cannot set Authorization on a
        // WebSocket, and a token in the URL would land in access logs)
        if let Some(t) = ws_protocols(req)
            .into_iter()
            .find_map(|p| p.strip_prefix(WS_BEARER_PREFIX).map(str::to_string))
        {
            return Some(t);
        }
        // WebSocket routes also accept the token as a query parameter (API.md "Auth").
        return web::Query::<std::collections::HashMap<String, String>>::from_query(
            req.query_string(),
        )
        .ok()
        .and_then(|q| q.get("access_token").cloned());
    }
    None
}

/// The WebSocket subprotocol a browser offers alongside `bearer.<token>`; the server selects
/// it in the handshake (a browser drops a connection whose server selects none).
pub const WS_PROTOCOL: &str = "ggzy";
/// The prefix of the subprotocol entry that carries the bearer token.
pub const WS_BEARER_PREFIX: &str = "bearer.";

/// The subprotocols a WebSocket request offers (`Sec-WebSocket-Protocol`, comma-separated).
fn ws_protocols(req: &ServiceRequest) -> Vec<&str> {
    req.headers()
        .get_all("sec-websocket-protocol")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// The authorisation middleware (see the module docs).
pub async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    match check(&req).await {
        Ok(Some(info)) => {
            let offers_ggzy = ws_protocols(&req).contains(&WS_PROTOCOL);
            req.extensions_mut().insert(info);
            let mut res = next.call(req).await?;
            if offers_ggzy && res.status() == actix_web::http::StatusCode::SWITCHING_PROTOCOLS {
                res.headers_mut().insert(
                    HeaderName::from_static("sec-websocket-protocol"),
                    HeaderValue::from_static(WS_PROTOCOL),
                );
            }
            Ok(res.map_into_left_body())
        }
        Ok(None) => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
        Err(e) => Ok(req.error_response(e).map_into_right_body()),
    }
}

/// Decides on a request: `Ok(None)` passes it on untouched (no route matched, another method of
/// a declared path, a page outside the API), `Ok(Some)` admits it, `Err` refuses it.
async fn check(req: &ServiceRequest) -> Result<Option<GateInfo>, AppError> {
    let Some(pattern) = req.match_pattern() else {
        return Ok(None);
    };
    let method = req.method().as_str();
    let Some(decl) = INDEX.get(&(method, pattern.as_str())).copied() else {
        let declared_path = ROUTES.iter().any(|r| r.path == pattern);
        if pattern.starts_with("/api/v1") && !declared_path {
            tracing::error!(route = %pattern, "undeclared API route refused");
            return Err(AppError::internal(anyhow::anyhow!(
                "undeclared route {pattern}"
            )));
        }
        return Ok(None);
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("AppState missing")))?;
    let addr = client::of_service_request(req, &state.config.trusted_proxies);
    let mut caller = None;
    match decl.access {
        Access::Public => {}
        Access::Metrics => {
            // the token only: a loopback peer proves nothing behind a same-host proxy, and
            // without a configured token the metrics are served to no one
            let token_ok = match (&state.config.metrics_token, bearer(req)) {
                (Some(expected), Some(given)) => {
                    constant_time_eq(expected.as_bytes(), given.as_bytes())
                }
                _ => false,
            };
            if !token_ok {
                return Err(AppError::unauthorized(
                    "metrics_token_required",
                    "metrics are served with Authorization: Bearer <GGZY_METRICS_TOKEN> only",
                ));
            }
        }
        access => {
            let token = bearer(req).ok_or_else(|| {
                AppError::unauthorized("missing_token", "this route needs a bearer token")
            })?;
            let claims = state.jwt.verify(&token)?;
            session_is_live(state, decl.plane, &claims).await?;
            if claims.must_change_password && access != Access::Account {
                return Err(AppError::forbidden(
                    "password_change_required",
                    "change the one-time password first (POST /api/v1/me/password)",
                ));
            }
            if !access.allows(claims.role) {
                return Err(AppError::forbidden(
                    "forbidden_role",
                    format!(
                        "a {} may not call {} {}",
                        claims.role.as_str(),
                        decl.method,
                        decl.path
                    ),
                ));
            }
            caller = Some(Caller {
                user_id: claims.user_id,
                role: claims.role,
                plane: claims.plane,
                org_id: claims.org_id,
                session_id: claims.session_id,
            });
        }
    }
    Ok(Some(GateInfo {
        decl,
        caller,
        client_addr: addr.map(|a| a.to_string()),
    }))
}

/// The revocation check, on a connection of the route's own plane (every plane's role may call
/// `ggzy_session_state()`), returned to the pool before the handler takes its own.
async fn session_is_live(
    state: &AppState,
    plane: crate::roles::Plane,
    claims: &crate::identity::jwt::Verified,
) -> Result<(), AppError> {
    let pool = state.pools.plane(plane).ok_or_else(|| {
        AppError::unavailable(format!("the {} plane is not served here", plane.as_str()))
    })?;
    let mut conn = pool.get().await?;
    crate::identity::sessions::ensure_active(&mut conn, claims.session_id, claims.user_id).await
}

/// Compares secrets without leaking their common prefix length through timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Adds `X-Server-Time`, `X-Request-Id` and (sandbox) `X-GGZY-Sandbox`; records request metrics;
/// wakes the sequencer (and the mail workers, if mail was queued) after a state-changing request.
pub async fn decorate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let started = Instant::now();
    let state = state_of(&req)?;
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let method = req.method().clone();
    let request_id = req.extensions().get::<RequestId>().map(|r| r.to_string());
    let docs = req.path().starts_with("/api/docs");
    let mut res = next.call(req).await?;
    let status = res.status().as_u16();
    state
        .metrics
        .observe(&route, method.as_str(), status, started.elapsed());
    if method != actix_web::http::Method::GET {
        state.sequencer_signal.notify_one();
        // the request queued mail: idle mail workers look now rather than at their next poll
        if crate::notify::outbox::take_queued() {
            state.mail_wake.notify_waiters();
        }
    }
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&crate::core::clock::fmt(state.platform_time.now())) {
        headers.insert(HeaderName::from_static("x-server-time"), v);
    }
    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        headers.insert(HeaderName::from_static("x-request-id"), id);
    }
    if state.config.sandbox {
        headers.insert(
            HeaderName::from_static("x-ggzy-sandbox"),
            HeaderValue::from_static("1"),
        );
    }
    security_headers(headers, docs);
    Ok(res)
}

/// The CSP of the API's own answers (JSON, downloads): nothing runs, nothing is framed, and a
/// downloaded file opened in the browser is sandboxed (an uploaded HTML file cannot script).
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; sandbox";

/// The CSP of the Swagger UI under `/api/docs/`: its scripts and styles are files of this origin
/// (the vendored bundle); its stylesheet sets inline styles, which is all it is allowed inline.
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; connect-src 'self'; font-src 'self' data:; form-action 'none'; base-uri 'none'; \
frame-ancestors 'none'";

/// Headers every answer carries unless its handler set its own (the pages set a stricter CSP):
/// `nosniff`, no framing, no referrer, and a CSP (issue 13, finding 14).
fn security_headers(headers: &mut actix_web::http::header::HeaderMap, docs: bool) {
    use actix_web::http::header;
    let defaults = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            if docs { DOCS_CSP } else { API_CSP },
        ),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
}
