//! `GET /health`: liveness with a database check.

use actix_web::HttpResponse;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use utoipa::ToSchema;

use crate::core::clock;
use crate::error::{AppResult, Problem};
use crate::http::ctx::Ctx;

/// Health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// The database answered.
    pub database: String,
    /// Sandbox server.
    pub sandbox: bool,
    /// Platform time.
    pub server_time: String,
    /// `refused` while this process's sequencer refuses a tampered audit chain or transparency
    /// log (docs/TRANSPARENCY.md), else `ok`.
    pub sequencer: String,
}

/// Liveness with a database check (503 when the database does not answer).
#[utoipa::path(get, path = "/api/v1/health", tag = "ops",
    responses((status = 200, body = Health), (status = 503, body = Problem)))]
pub async fn health(ctx: Ctx) -> AppResult<HttpResponse> {
    let mut conn = ctx.conn().await?;
    diesel::sql_query("SELECT 1")
        .execute(&mut conn)
        .await
        .map_err(|e| crate::error::AppError::unavailable(format!("database check failed: {e}")))?;
    let now = clock::now(&mut conn).await?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok".into(),
        database: "ok".into(),
        sandbox: ctx.state.config.sandbox,
        server_time: clock::fmt(now),
        // `AtomicBool::load` spelled out: diesel's `RunQueryDsl::load` is in scope
        sequencer: if std::sync::atomic::AtomicBool::load(
            &ctx.state.sequencer_stats.refused,
            std::sync::atomic::Ordering::Relaxed,
        ) {
            "refused".into()
        } else {
            "ok".into()
        },
    }))
}
