//! The request context handlers receive: the caller, the route's plane pool, the request id and
//! the client address — so a handler can only use its own plane's credentials.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use tracing_actix_web::RequestId;
use uuid::Uuid;

use crate::app::AppState;
use crate::core::audit::Actor;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::http::routes::RouteDecl;
use crate::roles::{Plane, Role};

/// The signed-in user, from a verified token.
#[derive(Debug, Clone)]
pub struct Caller {
    /// User id (`sub`).
    pub user_id: Uuid,
    /// Role.
    pub role: Role,
    /// Plane of the role.
    pub plane: Plane,
    /// The user's org, if any.
    pub org_id: Option<Uuid>,
    /// The token's session (`jti`), which sign-out revokes.
    pub session_id: Uuid,
}

/// What the gate found out about the request, stored in its extensions.
#[derive(Clone)]
pub struct GateInfo {
    /// The route's declaration.
    pub decl: &'static RouteDecl,
    /// The caller, if the route needs a token.
    pub caller: Option<Caller>,
    /// The client address.
    pub client_addr: Option<String>,
}

/// Per-request context for handlers.
pub struct Ctx {
    /// Shared state.
    pub state: web::Data<AppState>,
    /// The route.
    pub decl: &'static RouteDecl,
    /// The caller, if signed in.
    pub caller: Option<Caller>,
    /// Request id.
    pub request_id: String,
    /// Client address.
    pub client_addr: Option<String>,
    /// `X-Client-Fingerprint`, if sent.
    pub fingerprint: Option<String>,
    /// `Idempotency-Key`, if sent.
    pub idempotency_key: Option<String>,
}

impl FromRequest for Ctx {
    type Error = AppError;
    type Future = Ready<Result<Ctx, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(build(req))
    }
}

fn build(req: &HttpRequest) -> AppResult<Ctx> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("AppState missing")))?;
    let ext = req.extensions();
    let info = ext
        .get::<GateInfo>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("route passed no gate")))?;
    let request_id = ext
        .get::<RequestId>()
        .map(|r| r.to_string())
        .unwrap_or_default();
    let fingerprint = req
        .headers()
        .get("x-client-fingerprint")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(128).collect());
    let idempotency_key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    Ok(Ctx {
        idempotency_key,
        state,
        decl: info.decl,
        caller: info.caller,
        request_id,
        client_addr: info.client_addr,
        fingerprint,
    })
}

impl Ctx {
    /// A connection of the route's plane.
    pub async fn conn(&self) -> AppResult<DbConn> {
        self.conn_of(self.decl.plane).await
    }

    /// A connection of a given plane (only the route's own plane, or public reads).
    async fn conn_of(&self, plane: Plane) -> AppResult<DbConn> {
        let pool = self.state.pools.plane(plane).ok_or_else(|| {
            AppError::unavailable(format!("the {} plane is not served here", plane.as_str()))
        })?;
        Ok(pool.get().await?)
    }

    /// The caller, for routes that need one.
    pub fn caller(&self) -> AppResult<&Caller> {
        self.caller
            .as_ref()
            .ok_or_else(|| AppError::unauthorized("missing_token", "sign in first"))
    }

    /// The actor to write in audit entries.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.caller.as_ref().map(|c| c.user_id),
            role: self.caller.as_ref().map(|c| c.role),
            client_addr: self.client_addr.clone(),
            request_id: Some(self.request_id.clone()),
        }
    }
}
