//! `POST /sandbox/clock`: moves the platform clock forward in sandbox mode (模拟演练) and returns
//! after every timer that became due has run. Outside sandbox mode the route answers 404, and
//! the database refuses the move anyway.

use std::time::Duration;

use actix_web::HttpResponse;
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::core::audit;
use crate::core::{clock, jobs};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;

/// Clock command.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockCmd {
    /// Seconds to move forward (0 – 10 years).
    pub advance_seconds: i64,
    /// `true` stops the clock at the new instant (tests), `false` lets it run again.
    pub freeze: Option<bool>,
}

/// The platform time after the move.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClockAnswer {
    /// Platform time.
    pub server_time: String,
}

/// Moves the sandbox clock forward; due timers fire as if the time had passed.
#[utoipa::path(post, path = "/api/v1/sandbox/clock", tag = "sandbox", request_body = ClockCmd,
    security(("bearer" = [])),
    responses((status = 200, body = ClockAnswer),
              (status = 404, body = Problem, description = "not a sandbox server"),
              (status = 422, body = Problem, description = "invalid_advance")))]
pub async fn advance_clock(ctx: Ctx, body: Command) -> AppResult<HttpResponse> {
    if !ctx.state.config.sandbox {
        return Err(AppError::not_found("route"));
    }
    let cmd: ClockCmd = body.parse()?;
    if !(0..=10 * 366 * 86_400).contains(&cmd.advance_seconds) {
        return Err(AppError::unprocessable(
            "invalid_advance",
            "advance_seconds must be between 0 and ten years; the clock never goes back",
        ));
    }
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let now = conn
        .transaction(async |c| {
            let now = clock::advance(c, cmd.advance_seconds * 1_000_000, cmd.freeze).await?;
            audit::record(
                c,
                &actor,
                "sandbox.clock_advance",
                None,
                json!({"advance_seconds": cmd.advance_seconds, "freeze": cmd.freeze,
                       "server_time": clock::fmt(now)}),
            )
            .await?;
            Ok::<_, AppError>(now)
        })
        .await?;
    ctx.state.platform_time.refresh(&mut conn).await?;
    jobs::wait_until_idle(&mut conn, &ctx.state.job_wake, Duration::from_secs(60))
        .await
        .map_err(|e| AppError::unavailable(format!("timers did not finish: {e}")))?;
    Ok(HttpResponse::Ok().json(ClockAnswer {
        server_time: clock::fmt(now),
    }))
}
