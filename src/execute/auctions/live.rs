//! The live bidding hall: `GET /auctions/{id}/live` (WebSocket). The first message is the lot's
//! `state`; then every event of the lot as the sequencer numbered it — `bid`, `extended`, `stage`,
//! `suspended`, `resumed`, `closed` — each with its `seq` and the platform `server_time`, so that a
//! client computes the true remaining time as `ends_at − server_time` whatever its own clock says.
//! `?after_seq=N` first replays everything of the lot after `N` (a reconnect misses nothing).
//! Events come from the sequencer through the hub, so a bid taken by another node arrives too.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{leader_number, load, state};
use crate::core::clock;
use crate::core::events::Event;
use crate::core::live;
use crate::core::social_scope;
use crate::error::{AppError, AppResult, Problem};
use crate::http::ctx::Ctx;
use crate::roles::{Plane, Role};

/// Query of the live route.
#[derive(Debug, Deserialize)]
pub struct LiveQuery {
    /// Replay the lot's events after this sequence number first.
    pub after_seq: Option<i64>,
}

fn message(e: &Event, server_time: chrono::DateTime<chrono::Utc>) -> Option<String> {
    let kind = e.topic.strip_prefix("auction.")?;
    let mut m = match &e.data {
        Value::Object(m) => m.clone(),
        _ => serde_json::Map::new(),
    };
    m.insert("type".into(), json!(kind));
    m.insert("seq".into(), json!(e.seq));
    m.insert("at".into(), json!(clock::fmt(e.at)));
    m.insert("server_time".into(), json!(clock::fmt(server_time)));
    Some(Value::Object(m).to_string())
}

fn of_lot(e: &Event, id: &str) -> bool {
    e.subject_type.as_deref() == Some("auction") && e.subject_id.as_deref() == Some(id)
}

/// The live hall of a lot (signed-in users; the token may come as `access_token`). Open sockets
/// are capped per account and per address (`429 too_many_connections`, before the upgrade);
/// `?after_seq=` replays the lot's own events a page at a time from their index
/// (`crate::core::live`). A social supervisor must stand assigned to the lot (`403
/// not_assigned`); its view is in the access log, and the stream ends if the assignment lapses.
#[utoipa::path(get, path = "/api/v1/auctions/{id}/live", tag = "execute", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "auction id"),
           ("after_seq" = Option<i64>, Query, description = "replay the lot's events after this sequence number"),
           ("access_token" = Option<String>, Query, description = "the bearer token, for browsers' WebSocket")),
    responses((status = 101, description = "WebSocket: {type: state|bid|extended|stage|suspended|resumed|closed, seq, server_time, …}"),
              (status = 403, body = Problem, description = "not_assigned"),
              (status = 404, body = Problem),
              (status = 429, body = Problem, description = "too_many_connections")))]
pub async fn live(
    ctx: Ctx,
    path: web::Path<Uuid>,
    query: web::Query<LiveQuery>,
    req: HttpRequest,
    body: web::Payload,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let caller = ctx.caller()?.clone();
    // counted before any work: a refused socket costs no database read
    let permit = ctx.state.hub.sockets.acquire(
        &ctx.state.config.limits,
        caller.user_id,
        ctx.client_addr.as_deref(),
    )?;
    let pool = ctx
        .state
        .pools
        .plane(Plane::Execute)
        .ok_or_else(|| AppError::unavailable("the execute plane is not served here"))?
        .clone();
    let mut conn = ctx.conn().await?;
    let a = load(&mut conn, id, false).await?;
    if !a.published {
        return Err(AppError::not_found("auction"));
    }
    let social = if caller.role == Role::SocialSupervisor {
        social_scope::view(&mut conn, caller.user_id, "auction", id).await?;
        Some(SocialCheck {
            pool: pool.clone(),
            user_id: caller.user_id,
            lot: id,
            checked_at: tokio::time::Instant::now(),
        })
    } else {
        None
    };
    let (response, mut session, incoming) = actix_ws::handle(&req, body).map_err(|e| {
        AppError::bad_request(
            "not_websocket",
            format!("a WebSocket upgrade is expected: {e}"),
        )
    })?;
    let state_now = crate::core::clock::now(&mut conn).await?;
    let leader = leader_number(&mut conn, &a).await?;
    drop(conn);
    // subscribe before the replay's first read, then skip what the replay already sent
    let rx = ctx.state.hub.subscribe();
    let hub_last = ctx.state.hub.last_seq();
    let mut first = state(&a, leader, state_now);
    first["type"] = json!("state");
    first["seq"] = json!(hub_last);
    let (last, replay) = match query.after_seq {
        Some(after) => (after, true),
        None => (hub_last, false),
    };
    let pump = live::Pump {
        session: session.clone(),
        incoming,
        rx,
        pool,
        scope: live::Scope::Subject("auction".into(), id.to_string()),
        page: ctx.state.config.limits.replay_page,
        last,
        replay,
        permit,
    };
    let view = HallView {
        lot: id.to_string(),
        platform_time: ctx.state.platform_time.clone(),
        social,
    };
    actix_web::rt::spawn(async move {
        if session.text(first.to_string()).await.is_err() {
            return;
        }
        pump.run(view).await;
    });
    Ok(response)
}

/// How often a social supervisor's hall checks again that its assignment stands.
const SOCIAL_RECHECK: Duration = Duration::from_secs(5);

/// A social supervisor's standing on the lot, checked again every few seconds.
struct SocialCheck {
    pool: crate::db::DbPool,
    user_id: Uuid,
    lot: Uuid,
    checked_at: tokio::time::Instant,
}

impl SocialCheck {
    /// Whether the assignment still stands (false when it cannot be read: fail closed).
    async fn stands(&mut self) -> bool {
        if self.checked_at.elapsed() < SOCIAL_RECHECK {
            return true;
        }
        self.checked_at = tokio::time::Instant::now();
        let Ok(mut conn) = self.pool.get().await else {
            return false;
        };
        social_scope::may_view(&mut conn, self.user_id, "auction", self.lot)
            .await
            .unwrap_or(false)
    }
}

/// The hall's frames: the lot's events, as `{type, seq, at, server_time, …}`.
struct HallView {
    lot: String,
    platform_time: std::sync::Arc<crate::app::PlatformTime>,
    social: Option<SocialCheck>,
}

impl live::View for HallView {
    async fn frame(&mut self, e: &Event) -> live::Frame {
        if !of_lot(e, &self.lot) {
            return live::Frame::Skip;
        }
        if let Some(s) = self.social.as_mut()
            && !s.stands().await
        {
            return live::Frame::Close("the assignment to this lot no longer stands".into());
        }
        match message(e, self.platform_time.now()) {
            Some(m) => live::Frame::Send(m),
            None => live::Frame::Skip,
        }
    }
}
