//! The trading floor (DESIGN.md §6), served by the supervise plane: `GET /floor` is a snapshot of
//! everything in progress — tenders from bidding to publicity (with the holder branches that
//! have submitted their pieces during an opening), auctions not closed (price and countdown),
//! open warnings — and `GET /floor/live` (WebSocket) streams every event of the sequenced stream
//! as the sequencer numbered it: `{seq, type, subject_type, subject_id, at, data, server_time}`.
//! `?after_seq=N` first replays everything after `N`, so a reconnecting client misses nothing.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{
    Array, BigInt, Bool, Integer, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::core::clock;
use crate::core::events::Event;
use crate::core::live;
use crate::error::{AppError, AppResult, Problem};
use crate::http::ctx::Ctx;
use crate::roles::{Plane, Role};

use super::social;

#[derive(QueryableByName)]
struct TenderRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Integer)]
    round: i32,
    #[diesel(sql_type = Timestamptz)]
    bid_deadline: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    opening_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    publicity_ends_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Array<Text>)]
    branches: Vec<String>,
}

#[derive(QueryableByName)]
struct AuctionRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    format: String,
    #[diesel(sql_type = Text)]
    stage: String,
    #[diesel(sql_type = Nullable<Numeric>)]
    current_price: Option<Decimal>,
    #[diesel(sql_type = Timestamptz)]
    starts_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    ends_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Integer)]
    bid_count: i32,
    #[diesel(sql_type = Bool)]
    paused: bool,
}

#[derive(QueryableByName)]
struct Last {
    #[diesel(sql_type = BigInt)]
    seq: i64,
}

/// The snapshot of the floor (centre staff, regulator, supervisor; a social supervisor sees its
/// assigned subjects only, and the view is logged).
#[utoipa::path(get, path = "/api/v1/floor", tag = "supervise", security(("bearer" = [])),
    responses((status = 200, description = "{server_time, seq, tenders: [{id, code, title, status, round, bid_deadline, opening_at, publicity_ends_at, submitted_branches}], auctions: [{id, code, title, format, stage, current_price, starts_at, ends_at, bid_count, paused}], warnings: [...]}")))]
pub async fn floor(ctx: Ctx) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let mut conn = ctx.conn().await?;
    // a social supervisor sees only the subjects it may view, and each view is logged
    let visible = if caller.role == Role::SocialSupervisor {
        Some(social::visible_subjects(&mut conn, caller.user_id).await?)
    } else {
        None
    };
    let shown = |t: &str, id: Uuid| {
        visible
            .as_ref()
            .is_none_or(|v| v.contains(&(t.to_string(), id)))
    };
    let now = clock::now(&mut conn).await?;
    let tenders: Vec<TenderRow> = diesel::sql_query(
        "SELECT t.id, t.code, t.title, t.status, t.round, t.bid_deadline, t.opening_at, \
                t.publicity_ends_at, \
                ARRAY(SELECT DISTINCT p.branch FROM opening_pieces p JOIN bids b ON b.id = p.bid_id \
                      WHERE b.tender_id = t.id AND b.round = t.round ORDER BY p.branch) AS branches \
         FROM tenders t \
         WHERE t.status IN ('bidding', 'closed', 'opening', 'evaluation', 'publicity') \
         ORDER BY t.bid_deadline, t.code",
    )
    .load(&mut conn)
    .await?;
    let auctions: Vec<AuctionRow> = diesel::sql_query(
        "SELECT id, code, title, format, stage, current_price, starts_at, ends_at, bid_count, \
                paused_at IS NOT NULL AS paused \
         FROM auctions WHERE published AND stage <> 'closed' ORDER BY starts_at, code",
    )
    .load(&mut conn)
    .await?;
    let tenders: Vec<TenderRow> = tenders
        .into_iter()
        .filter(|t| shown("tender", t.id))
        .collect();
    let auctions: Vec<AuctionRow> = auctions
        .into_iter()
        .filter(|a| shown("auction", a.id))
        .collect();
    let mut warnings = super::warnings::load(&mut conn, Some("open"), None).await?;
    if let Some(v) = &visible {
        warnings.retain(|w| super::warnings::concerns(w, v));
        let mut seen: Vec<(String, Uuid)> = tenders
            .iter()
            .map(|t| ("tender".to_string(), t.id))
            .collect();
        seen.extend(auctions.iter().map(|a| ("auction".to_string(), a.id)));
        // and the subjects of the warning cards shown (a project's, an objection's tender)
        for r in super::warnings::roots(&warnings) {
            if !seen.contains(&r) {
                seen.push(r);
            }
        }
        social::log_views(&mut conn, caller.user_id, &seen, true).await?;
    }
    let last: Last =
        diesel::sql_query("SELECT COALESCE(max(seq), 0)::bigint AS seq FROM sequenced_events")
            .get_result(&mut conn)
            .await?;
    let tenders: Vec<_> = tenders
        .into_iter()
        .map(|t| {
            json!({"id": t.id, "code": t.code, "title": t.title, "status": t.status, "round": t.round,
                   "bid_deadline": clock::fmt(t.bid_deadline), "opening_at": clock::fmt(t.opening_at),
                   "publicity_ends_at": t.publicity_ends_at.map(clock::fmt),
                   "submitted_branches": if t.status == "opening" { json!(t.branches) } else { json!(null) }})
        })
        .collect();
    let auctions: Vec<_> = auctions
        .into_iter()
        .map(|a| {
            json!({"id": a.id, "code": a.code, "title": a.title, "format": a.format, "stage": a.stage,
                   "current_price": a.current_price.map(|p| format!("{p:.2}")),
                   "starts_at": clock::fmt(a.starts_at), "ends_at": a.ends_at.map(clock::fmt),
                   "bid_count": a.bid_count, "paused": a.paused})
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "server_time": clock::fmt(now),
        "seq": last.seq,
        "tenders": tenders,
        "auctions": auctions,
        "warnings": warnings,
    })))
}

/// Query of the live route.
#[derive(Debug, Deserialize)]
pub struct LiveQuery {
    /// Replay the events after this sequence number first.
    pub after_seq: Option<i64>,
}

fn message(e: &Event, server_time: DateTime<Utc>) -> String {
    json!({"seq": e.seq, "type": e.topic, "subject_type": e.subject_type, "subject_id": e.subject_id,
           "at": clock::fmt(e.at), "data": e.data, "server_time": clock::fmt(server_time)})
    .to_string()
}

/// The live floor: every sequenced event (centre staff, regulator, supervisor; a social supervisor
/// gets its assigned subjects' events only; the token may come as `access_token`). Open sockets
/// are capped per account and per address (`429 too_many_connections`, before the upgrade), and
/// `?after_seq=` replays the history a page at a time (`crate::core::live`).
#[utoipa::path(get, path = "/api/v1/floor/live", tag = "supervise", security(("bearer" = [])),
    params(("after_seq" = Option<i64>, Query, description = "replay the events after this sequence number"),
           ("access_token" = Option<String>, Query, description = "the bearer token, for browsers' WebSocket")),
    responses((status = 101, description = "WebSocket: {seq, type, subject_type, subject_id, at, data, server_time}"),
              (status = 400, body = Problem, description = "not_websocket"),
              (status = 429, body = Problem, description = "too_many_connections")))]
pub async fn live(
    ctx: Ctx,
    query: web::Query<LiveQuery>,
    req: HttpRequest,
    body: web::Payload,
) -> AppResult<HttpResponse> {
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
        .plane(Plane::Supervise)
        .ok_or_else(|| AppError::unavailable("the supervise plane is not served here"))?
        .clone();
    // a social supervisor gets the events of the subjects it may view; the set is read again
    // every few seconds, so that a declared conflict ends the stream's access promptly and a
    // subject assigned meanwhile joins it (logged then)
    let filter = if caller.role == Role::SocialSupervisor {
        let mut conn = ctx.conn().await?;
        let visible = social::visible_subjects(&mut conn, caller.user_id).await?;
        let seen: Vec<_> = visible.iter().cloned().collect();
        social::log_views(&mut conn, caller.user_id, &seen, true).await?;
        Some(SocialFilter {
            pool: pool.clone(),
            user_id: caller.user_id,
            logged: visible.clone(),
            visible,
            read_at: tokio::time::Instant::now(),
        })
    } else {
        None
    };
    let (response, session, incoming) = actix_ws::handle(&req, body).map_err(|e| {
        AppError::bad_request(
            "not_websocket",
            format!("a WebSocket upgrade is expected: {e}"),
        )
    })?;
    // subscribe before the replay's first read, then skip what the replay already sent
    let rx = ctx.state.hub.subscribe();
    let (last, replay) = match query.after_seq {
        Some(after) => (after, true),
        None => (ctx.state.hub.last_seq(), false),
    };
    let pump = live::Pump {
        session,
        incoming,
        rx,
        pool,
        scope: live::Scope::All,
        page: ctx.state.config.limits.replay_page,
        last,
        replay,
        permit,
    };
    let view = FloorView {
        platform_time: ctx.state.platform_time.clone(),
        filter,
    };
    actix_web::rt::spawn(pump.run(view));
    Ok(response)
}

/// The floor's frames: every event, or a social supervisor's subjects' only.
struct FloorView {
    platform_time: std::sync::Arc<crate::app::PlatformTime>,
    filter: Option<SocialFilter>,
}

impl live::View for FloorView {
    async fn frame(&mut self, e: &Event) -> live::Frame {
        if let Some(f) = self.filter.as_mut()
            && !f.admits(e).await
        {
            return live::Frame::Skip;
        }
        live::Frame::Send(message(e, self.platform_time.now()))
    }
}

/// How often a social supervisor's live stream reads its visible subjects again.
const SOCIAL_REFRESH: Duration = Duration::from_secs(5);

/// The live stream's filter for a social supervisor.
struct SocialFilter {
    pool: crate::db::DbPool,
    user_id: Uuid,
    visible: std::collections::HashSet<(String, Uuid)>,
    /// The subjects whose view this stream has logged (each once per stream).
    logged: std::collections::HashSet<(String, Uuid)>,
    read_at: tokio::time::Instant,
}

impl SocialFilter {
    /// Whether the event is about a subject the supervisor may view now; events with no tender,
    /// auction or project subject are not shown. When the set cannot be read again, nothing is.
    async fn admits(&mut self, e: &Event) -> bool {
        if self.read_at.elapsed() >= SOCIAL_REFRESH {
            self.visible = self.refresh().await.unwrap_or_default();
            self.read_at = tokio::time::Instant::now();
        }
        let (Some(t), Some(id)) = (&e.subject_type, &e.subject_id) else {
            return false;
        };
        id.parse::<Uuid>()
            .is_ok_and(|id| self.visible.contains(&(t.clone(), id)))
    }

    /// Reads the visible set again and logs the view of every subject that joined it since the
    /// stream began (an assignment made after connecting); `None` when either fails, so that the
    /// stream shows nothing it could not log.
    async fn refresh(&mut self) -> Option<std::collections::HashSet<(String, Uuid)>> {
        let mut conn = self.pool.get().await.ok()?;
        let fresh = social::visible_subjects(&mut conn, self.user_id)
            .await
            .ok()?;
        let added: Vec<(String, Uuid)> = fresh.difference(&self.logged).cloned().collect();
        if !added.is_empty() {
            social::log_views(&mut conn, self.user_id, &added, true)
                .await
                .ok()?;
            self.logged.extend(added);
        }
        Some(fresh)
    }
}
