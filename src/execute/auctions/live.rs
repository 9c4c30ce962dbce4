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
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::{leader_number, load, state};
use crate::core::clock;
use crate::core::events::{self, Event};
use crate::error::{AppError, AppResult, Problem};
use crate::http::ctx::Ctx;

/// Query of the live route.
#[derive(Debug, Deserialize)]
pub struct LiveQuery {
    /// Replay the lot's events after this sequence number first.
    pub after_seq: Option<i64>,
}

/// The server pings every 20 s (API.md).
const PING: Duration = Duration::from_secs(20);

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

/// The live hall of a lot (signed-in users; the token may come as `access_token`).
#[utoipa::path(get, path = "/api/v1/auctions/{id}/live", tag = "execute", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "auction id"),
           ("after_seq" = Option<i64>, Query, description = "replay the lot's events after this sequence number"),
           ("access_token" = Option<String>, Query, description = "the bearer token, for browsers' WebSocket")),
    responses((status = 101, description = "WebSocket: {type: state|bid|extended|stage|suspended|resumed|closed, seq, server_time, …}"),
              (status = 404, body = Problem)))]
pub async fn live(
    ctx: Ctx,
    path: web::Path<Uuid>,
    query: web::Query<LiveQuery>,
    req: HttpRequest,
    body: web::Payload,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let mut conn = ctx.conn().await?;
    let a = load(&mut conn, id, false).await?;
    if !a.published {
        return Err(AppError::not_found("auction"));
    }
    let (response, mut session, mut incoming) = actix_ws::handle(&req, body).map_err(|e| {
        AppError::bad_request(
            "not_websocket",
            format!("a WebSocket upgrade is expected: {e}"),
        )
    })?;
    let state_now = crate::core::clock::now(&mut conn).await?;
    let leader = leader_number(&mut conn, &a).await?;
    // subscribe before reading the history, then skip what the history already sent
    let mut rx = ctx.state.hub.subscribe();
    let mut last = ctx.state.hub.last_seq();
    let mut first = state(&a, leader, state_now);
    first["type"] = json!("state");
    first["seq"] = json!(last);
    let mut backlog = Vec::new();
    if let Some(after) = query.after_seq {
        let mut from = after;
        loop {
            let page = events::events_after(&mut conn, from, 500).await?;
            let Some(tail) = page.last().map(|e| e.seq) else {
                break;
            };
            from = tail;
            backlog.extend(page.into_iter().filter(|e| of_lot(e, &id.to_string())));
        }
        last = last.max(from);
    }
    drop(conn);
    let platform_time = ctx.state.platform_time.clone();
    let lot = id.to_string();
    actix_web::rt::spawn(async move {
        if session.text(first.to_string()).await.is_err() {
            return;
        }
        for e in &backlog {
            if let Some(m) = message(e, platform_time.now())
                && session.text(m).await.is_err()
            {
                return;
            }
        }
        let mut ping = tokio::time::interval(PING);
        ping.tick().await;
        loop {
            tokio::select! {
                ev = rx.recv() => match ev {
                    Ok(e) => {
                        if e.seq <= last || !of_lot(&e, &lot) {
                            continue;
                        }
                        last = e.seq;
                        if let Some(m) = message(&e, platform_time.now())
                            && session.text(m).await.is_err()
                        {
                            return;
                        }
                    }
                    // a slow client missed events: it reconnects with after_seq and loses nothing
                    Err(RecvError::Lagged(_)) => {
                        let _ = session.close(Some(actix_ws::CloseReason {
                            code: actix_ws::CloseCode::Again,
                            description: Some(format!("too slow: reconnect with after_seq={last}")),
                        })).await;
                        return;
                    }
                    Err(RecvError::Closed) => return,
                },
                _ = ping.tick() => {
                    if session.ping(b"").await.is_err() {
                        return;
                    }
                }
                msg = futures_util::StreamExt::next(&mut incoming) => match msg {
                    Some(Ok(actix_ws::Message::Ping(b))) => {
                        if session.pong(&b).await.is_err() {
                            return;
                        }
                    }
                    Some(Ok(actix_ws::Message::Close(_))) | None | Some(Err(_)) => {
                        let _ = session.close(None).await;
                        return;
                    }
                    Some(Ok(_)) => {}
                },
            }
        }
    });
    Ok(response)
}
