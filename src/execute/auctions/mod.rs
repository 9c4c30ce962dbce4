//! Auctions and listings (land 拍卖 / 挂牌, property 网络竞价): the lot row is the engine's state,
//! locked `FOR UPDATE` by every bid and every timer, with the platform clock read after the lock.
//! [`sync`] brings a locked lot up to date — holds (a hold freezes the lot's clock and a resume
//! moves its pending deadlines by the hold's length), stage changes at their boundary instants, the
//! close with the sealed reserve price — and schedules the next timer.

pub mod bids;
pub mod create;
pub mod engine;
pub mod live;
pub mod registrations;
pub mod replay;
pub mod results;

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use diesel::QueryableByName;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::future::BoxFuture;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::core::audit::{self, Actor};
use crate::core::outbox::{self, Kind};
use crate::core::transition::{Subject, SubjectType};
use crate::core::{clock, jobs};
use crate::db::schema::{auction_bids, auction_registrations, auctions};
use crate::error::{AppError, AppResult};
use engine::{Format, Lot, Stage};

/// The timer job of a lot (stage boundaries and the close).
pub const TICK_JOB: &str = "auction.tick";

/// The job that settles a closed lot once its close has committed (the reserve is revealed only then).
pub const SETTLE_JOB: &str = "auction.settle";

/// The job that raises the deposits still unrefunded when their refund falls due.
pub const REFUND_DUE_JOB: &str = "auction.refund_due";

/// How often a held lot's timer looks again for the resume.
const HOLD_POLL_SECONDS: i64 = 30;

/// A lot row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = auctions)]
pub struct AuctionRow {
    /// Id.
    pub id: Uuid,
    /// Project.
    pub project_id: Uuid,
    /// Code.
    pub code: String,
    /// Title.
    pub title: String,
    /// Format.
    pub format: String,
    /// 起始价.
    pub start_price: Decimal,
    /// 加价幅度.
    pub increment: Decimal,
    /// 保证金.
    pub deposit_amount: Decimal,
    /// Countdown.
    pub countdown_seconds: i32,
    /// Announcement.
    pub announcement_at: DateTime<Utc>,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End of free bidding.
    pub free_bidding_until: Option<DateTime<Utc>>,
    /// End of the listing.
    pub listing_until: Option<DateTime<Utc>>,
    /// Published.
    pub published: bool,
    /// Stage.
    pub stage: String,
    /// End of the current stage.
    pub ends_at: Option<DateTime<Utc>>,
    /// Current price.
    pub current_price: Option<Decimal>,
    /// The leading registration.
    pub leader_registration: Option<Uuid>,
    /// Accepted bids.
    pub bid_count: i32,
    /// sold | unsold.
    pub result: Option<String>,
    /// Closed at.
    pub closed_at: Option<DateTime<Utc>>,
    /// Paused (held) since.
    pub paused_at: Option<DateTime<Utc>>,
    /// The last hold row applied.
    pub hold_applied_seq: i64,
    /// 延牌: working days each extension adds.
    pub extend_working_days: Option<i32>,
    /// 延牌: how many extensions at most.
    pub extend_max: i32,
    /// 延牌: extend when at most this many bidders are qualified at the start.
    pub extend_if_at_most: i32,
    /// Extensions made.
    pub extensions_done: i32,
    /// Created by.
    pub created_by: Uuid,
}

impl AuctionRow {
    /// The lot as a hold subject.
    pub fn subject(&self) -> Subject {
        Subject {
            kind: SubjectType::Auction,
            id: self.id,
            project_id: self.project_id,
        }
    }

    /// The engine's view.
    pub fn lot(&self) -> AppResult<Lot> {
        Ok(Lot {
            format: format_of(&self.format)?,
            stage: self.stage()?,
            start_price: self.start_price,
            increment: self.increment,
            countdown: Duration::seconds(self.countdown_seconds as i64),
            starts_at: self.starts_at,
            free_bidding_until: self.free_bidding_until,
            listing_until: self.listing_until,
            ends_at: self.ends_at,
            current_price: self.current_price,
        })
    }

    /// The parsed stage.
    pub fn stage(&self) -> AppResult<Stage> {
        serde_json::from_value(Value::String(self.stage.clone())).map_err(AppError::internal)
    }
}

/// Name of a stage as stored.
pub fn stage_str(s: Stage) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Loads a lot, locked `FOR UPDATE` when `lock`; `404` when it does not exist.
pub async fn load(conn: &mut AsyncPgConnection, id: Uuid, lock: bool) -> AppResult<AuctionRow> {
    let q = auctions::table.find(id).select(AuctionRow::as_select());
    let row = if lock {
        q.for_update().first(conn).await.optional()?
    } else {
        q.first(conn).await.optional()?
    };
    row.ok_or_else(|| AppError::not_found("auction"))
}

/// Emits a live-hall event (through the sequencer) for the lot.
pub async fn emit<C: crate::db::Db>(
    conn: &mut C,
    id: Uuid,
    kind: &str,
    data: Value,
) -> AppResult<()> {
    outbox::emit(
        conn,
        Kind::Event,
        &format!("auction.{kind}"),
        Some(("auction", id.to_string())),
        data,
    )
    .await?;
    Ok(())
}

/// A hold row on the lot or its project.
#[derive(QueryableByName)]
pub struct HoldRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    subject_type: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
}

/// The subjects' hold state as of the last applied row, and the rows not applied yet.
pub type Holds = (BTreeMap<String, String>, Vec<HoldRow>);

/// The holds on the lot or its project: the state of each subject as of the last applied row,
/// and the rows not applied yet (in order).
pub async fn pending_holds<C: crate::db::Db>(conn: &mut C, a: &AuctionRow) -> AppResult<Holds> {
    let rows: Vec<HoldRow> = diesel::sql_query(
        "SELECT seq, subject_type, kind, at FROM holds \
         WHERE (subject_type = 'auction' AND subject_id = $1) OR (subject_type = 'project' AND subject_id = $2) \
         ORDER BY seq",
    )
    .bind::<SqlUuid, _>(a.id)
    .bind::<SqlUuid, _>(a.project_id)
    .load(conn)
    .await?;
    let mut latest: BTreeMap<String, String> = BTreeMap::new();
    let (done, pending): (Vec<HoldRow>, Vec<HoldRow>) =
        rows.into_iter().partition(|h| h.seq <= a.hold_applied_seq);
    for h in done {
        latest.insert(h.subject_type, h.kind);
    }
    Ok((latest, pending))
}

/// Applies one hold row: a hold freezes the lot's clock; on resume every pending deadline moves by
/// the hold's length (API.md "Holds"), and the move is logged.
async fn apply_hold(
    conn: &mut AsyncPgConnection,
    a: &mut AuctionRow,
    latest: &mut BTreeMap<String, String>,
    h: &HoldRow,
) -> AppResult<()> {
    latest.insert(h.subject_type.clone(), h.kind.clone());
    let held = latest.values().any(|k| k == "suspend");
    match (a.paused_at, held) {
        (None, true) => {
            a.paused_at = Some(h.at);
            emit(
                conn,
                a.id,
                "suspended",
                json!({"ends_at": a.ends_at.map(clock::fmt), "stage": a.stage}),
            )
            .await?;
        }
        (Some(since), false) => {
            let delta = h.at - since;
            let shift = |t: Option<DateTime<Utc>>| t.map(|t| if t > since { t + delta } else { t });
            a.ends_at = shift(a.ends_at);
            a.free_bidding_until = shift(a.free_bidding_until);
            a.listing_until = shift(a.listing_until);
            if a.starts_at > since {
                a.starts_at += delta;
            }
            a.paused_at = None;
            audit::record(conn, &Actor::system("auction.resume"), "auction.deadlines_moved", Some(("auction", a.id.to_string())),
                json!({"by_seconds": delta.num_milliseconds() as f64 / 1000.0, "ends_at": a.ends_at.map(clock::fmt)})).await?;
            emit(
                conn,
                a.id,
                "resumed",
                json!({"ends_at": a.ends_at.map(clock::fmt), "stage": a.stage}),
            )
            .await?;
        }
        _ => {}
    }
    a.hold_applied_seq = h.seq;
    Ok(())
}

/// 延牌 (企业国有产权 disclosure extension, configured per lot): at the end of the disclosure, with
/// at most `extend_if_at_most` qualified bidders, the start (and the free bidding) moves by
/// `extend_working_days` 工作日, at most `extend_max` times. Returns whether it extended.
async fn extend(conn: &mut AsyncPgConnection, a: &mut AuctionRow) -> AppResult<bool> {
    let Some(days) = a.extend_working_days else {
        return Ok(false);
    };
    if a.extensions_done >= a.extend_max {
        return Ok(false);
    }
    let qualified: i64 = auction_registrations::table
        .filter(auction_registrations::auction_id.eq(a.id))
        .filter(auction_registrations::status.eq("qualified"))
        .count()
        .get_result(conn)
        .await?;
    if qualified > a.extend_if_at_most as i64 {
        return Ok(false);
    }
    let cal = crate::decide::rules::load_calendar(conn).await?;
    let start = crate::rules::schedule::china_date(a.starts_at);
    let end = cal
        .period_end(start, days as u32, crate::rules::calendar::Unit::WorkingDay)
        .map_err(crate::decide::rules::calendar_missing)?;
    let delta = Duration::days((end - start).num_days());
    let old = a.starts_at;
    a.starts_at += delta;
    a.free_bidding_until = a.free_bidding_until.map(|t| t + delta);
    a.listing_until = a.listing_until.map(|t| t + delta);
    a.extensions_done += 1;
    diesel::update(auctions::table.find(a.id))
        .set(auctions::extensions_done.eq(a.extensions_done))
        .execute(conn)
        .await?;
    let details = json!({"extension": a.extensions_done, "of": a.extend_max, "qualified": qualified,
                         "old_starts_at": clock::fmt(old), "starts_at": clock::fmt(a.starts_at)});
    audit::record(
        conn,
        &Actor::system("auction.extend"),
        "auction.extend",
        Some(("auction", a.id.to_string())),
        details.clone(),
    )
    .await?;
    emit(
        conn,
        a.id,
        "stage",
        json!({"stage": a.stage, "extended": true, "starts_at": clock::fmt(a.starts_at)}),
    )
    .await?;
    outbox::emit(
        conn,
        Kind::Public,
        "auction.extension",
        Some(("auction", a.id.to_string())),
        details,
    )
    .await?;
    crate::notify::triggers::auction_extended(conn, a.id, a.starts_at).await?;
    Ok(true)
}

/// The number of distinct bidders who bid on the lot.
pub async fn quoting_bidders(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<usize> {
    let regs: Vec<Uuid> = auction_bids::table
        .filter(auction_bids::auction_id.eq(id))
        .select(auction_bids::registration_id)
        .distinct()
        .load(conn)
        .await?;
    Ok(regs.len())
}

#[derive(QueryableByName)]
struct Reserve {
    #[diesel(sql_type = Nullable<Numeric>)]
    amount: Option<Decimal>,
}

/// Brings a lot (locked by the caller) up to `now`: holds, then every stage change due, the close
/// with the reserve price, the next timer. Writes the row back.
pub async fn sync(
    conn: &mut AsyncPgConnection,
    a: &mut AuctionRow,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if !a.published {
        return Ok(());
    }
    let holds = pending_holds(conn, a).await?;
    advance(conn, a, now, holds).await?;
    store(conn, a).await?;
    schedule(conn, a).await
}

/// Applies, in memory and through their audit entries and events, the holds read beforehand
/// (`pending_holds`) and every stage change due at `now`; returns whether the row changed, in
/// which case the caller writes it back (`store`) and schedules the next timer.
pub async fn advance(
    conn: &mut AsyncPgConnection,
    a: &mut AuctionRow,
    now: DateTime<Utc>,
    (mut latest, holds): Holds,
) -> AppResult<bool> {
    if !a.published {
        return Ok(false);
    }
    // holds and stage changes in the order they happened: a boundary passed before a hold began
    // takes effect, one that fell inside the hold moves with the resume
    // only a listing's close asks how many bidders quoted: keep the query off other lots' bids
    let quoting = if a.format == "listing" {
        quoting_bidders(conn, a.id).await?
    } else {
        0
    };
    let mut next_hold = holds.iter().peekable();
    let mut changed = false;
    loop {
        let lot = a.lot()?;
        let step = if a.paused_at.is_none() {
            engine::due_step(&lot, now, quoting)
        } else {
            None
        };
        match (step, next_hold.peek()) {
            (Some(step), hold) if hold.is_none_or(|h| step.at <= h.at) => {
                changed = true;
                if lot.stage == Stage::Scheduled && extend(conn, a).await? {
                    continue;
                }
                let mut lot = lot;
                engine::apply(&mut lot, step);
                a.stage = stage_str(lot.stage);
                a.ends_at = lot.ends_at;
                if step.to == Stage::Closed {
                    close(conn, a, step.at).await?;
                } else {
                    audit::record(conn, &Actor::system("auction.stage"), "auction.stage", Some(("auction", a.id.to_string())),
                        json!({"stage": a.stage, "at": clock::fmt(step.at), "ends_at": a.ends_at.map(clock::fmt)})).await?;
                    emit(
                        conn,
                        a.id,
                        "stage",
                        json!({"stage": a.stage, "ends_at": a.ends_at.map(clock::fmt),
                        "current_price": a.current_price.map(|p| format!("{p:.2}"))}),
                    )
                    .await?;
                }
            }
            (_, Some(_)) => {
                changed = true;
                let h = next_hold.next().expect("peeked");
                apply_hold(conn, a, &mut latest, h).await?;
            }
            (_, None) => break,
        }
    }
    Ok(changed)
}

/// Writes the lot's stage, times, hold state and result back.
pub async fn store(conn: &mut AsyncPgConnection, a: &AuctionRow) -> AppResult<()> {
    diesel::update(auctions::table.find(a.id))
        .set((
            auctions::stage.eq(&a.stage),
            auctions::ends_at.eq(a.ends_at),
            auctions::starts_at.eq(a.starts_at),
            auctions::free_bidding_until.eq(a.free_bidding_until),
            auctions::listing_until.eq(a.listing_until),
            auctions::paused_at.eq(a.paused_at),
            auctions::hold_applied_seq.eq(a.hold_applied_seq),
            auctions::result.eq(&a.result),
            auctions::closed_at.eq(a.closed_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Schedules the lot's next timer (idempotent per instant); a held lot looks again shortly.
pub async fn schedule(conn: &mut AsyncPgConnection, a: &AuctionRow) -> AppResult<()> {
    let at = if a.paused_at.is_some() {
        Some(clock::now(conn).await? + Duration::seconds(HOLD_POLL_SECONDS))
    } else {
        engine::next_boundary(&a.lot()?)
    };
    if let Some(at) = at {
        jobs::enqueue(
            conn,
            TICK_JOB,
            json!({"auction_id": a.id}),
            at,
            Some(&format!("{}:{}", a.id, at.timestamp_micros())),
        )
        .await?;
    }
    Ok(())
}

/// Records the close (the engine's half, in the transaction that ends the lot): the stage, the
/// time, and the close itself through `ggzy_auction_close()`, which no plane can write or undo and
/// which freezes the lot. The result needs the sealed reserve price, which the database reveals
/// only after this close has committed, so it is settled by [`SETTLE_JOB`] right after
/// (docs/SECURITY.md, finding 2).
async fn close(
    conn: &mut AsyncPgConnection,
    a: &mut AuctionRow,
    at: DateTime<Utc>,
) -> AppResult<()> {
    a.stage = stage_str(Stage::Closed);
    a.closed_at = Some(at);
    // the row must say closed before the close can be recorded
    diesel::update(auctions::table.find(a.id))
        .set((
            auctions::stage.eq(&a.stage),
            auctions::closed_at.eq(a.closed_at),
        ))
        .execute(conn)
        .await?;
    diesel::sql_query("SELECT ggzy_auction_close($1, $2)")
        .bind::<SqlUuid, _>(a.id)
        .bind::<Timestamptz, _>(at)
        .execute(conn)
        .await?;
    audit::record(
        conn,
        &Actor::system("auction.close"),
        "auction.close",
        Some(("auction", a.id.to_string())),
        json!({"closed_at": clock::fmt(at), "bid_count": a.bid_count,
               "price": a.current_price.map(|p| format!("{p:.2}"))}),
    )
    .await?;
    emit(
        conn,
        a.id,
        "stage",
        json!({"stage": a.stage, "ends_at": a.ends_at.map(clock::fmt),
               "current_price": a.current_price.map(|p| format!("{p:.2}"))}),
    )
    .await?;
    jobs::enqueue(
        conn,
        SETTLE_JOB,
        json!({"auction_id": a.id}),
        at,
        Some(&a.id.to_string()),
    )
    .await?;
    Ok(())
}

/// The settle job: after the close committed, reads the sealed reserve price and publishes the
/// result (sold or 流拍), the winner's number, the refunds due. Idempotent.
pub fn settle_job(
    conn: &mut AsyncPgConnection,
    payload: Value,
) -> BoxFuture<'_, anyhow::Result<()>> {
    Box::pin(async move {
        let id = Uuid::from_str(payload["auction_id"].as_str().unwrap_or_default())?;
        let mut a = load(conn, id, true)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.problem().detail))?;
        settle(conn, &mut a)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.problem().detail))?;
        Ok(())
    })
}

/// Judges a closed lot against its reserve price and writes the result (once).
async fn settle(conn: &mut AsyncPgConnection, a: &mut AuctionRow) -> AppResult<()> {
    if a.stage != stage_str(Stage::Closed) || a.result.is_some() {
        return Ok(());
    }
    let at = a.closed_at.ok_or_else(|| {
        AppError::internal(anyhow::anyhow!("a closed lot without its close time"))
    })?;
    let reserve = reserve_price(conn, a.id).await?;
    let sold = engine::sold(a.current_price, reserve);
    a.result = Some(if sold { "sold" } else { "unsold" }.into());
    diesel::update(auctions::table.find(a.id))
        .set(auctions::result.eq(&a.result))
        .execute(conn)
        .await?;
    let winner: Option<String> = match (sold, a.leader_registration) {
        (true, Some(r)) => {
            auction_registrations::table
                .find(r)
                .select(auction_registrations::bidder_number)
                .first(conn)
                .await?
        }
        _ => None,
    };
    let details = json!({"result": a.result, "price": a.current_price.filter(|_| sold).map(|p| format!("{p:.2}")),
                         "winner_number": winner, "closed_at": clock::fmt(at), "bid_count": a.bid_count});
    audit::record(
        conn,
        &Actor::system("auction.settle"),
        "auction.result",
        Some(("auction", a.id.to_string())),
        details.clone(),
    )
    .await?;
    emit(conn, a.id, "closed", details).await?;
    outbox::emit(
        conn,
        Kind::Public,
        "auction.result",
        Some(("auction", a.id.to_string())),
        json!({"auction_id": a.id, "code": a.code, "result": a.result,
               "price": a.current_price.filter(|_| sold).map(|p| format!("{p:.2}")),
               "reserve_price": reserve.map(|p| format!("{p:.2}")), "closed_at": clock::fmt(at)}),
    )
    .await?;
    let price = a.current_price.filter(|_| sold).map(|p| format!("{p:.2}"));
    crate::notify::triggers::auction_closed(conn, a.id, price.as_deref()).await?;
    // deposits of the others are due for refund within the rule set's period (5 工作日,
    // 招拍挂规定 第二十一条; property lots follow the same rule until an exchange sets its own)
    let rules = crate::decide::rules::load_rules(conn).await?;
    let cal = crate::decide::rules::load_calendar(conn).await?;
    let due = crate::rules::schedule::period_deadline(&rules, &cal, "land.deposit_refund_max", at)
        .map_err(crate::decide::rules::calendar_missing)?
        .unwrap_or(at + Duration::days(7));
    jobs::enqueue(
        conn,
        REFUND_DUE_JOB,
        json!({"auction_id": a.id}),
        due,
        Some(&a.id.to_string()),
    )
    .await?;
    // the winner's deposit becomes part of the price; everyone else's falls due
    let keep = a
        .leader_registration
        .filter(|_| sold)
        .unwrap_or(Uuid::nil());
    diesel::update(
        auction_registrations::table
            .filter(auction_registrations::auction_id.eq(a.id))
            .filter(auction_registrations::status.eq("qualified"))
            .filter(auction_registrations::id.ne(keep)),
    )
    .set(auction_registrations::refund_due.eq(Some(due)))
    .execute(conn)
    .await?;
    Ok(())
}

/// The sealed reserve price of a closed lot (`ggzy_auction_reserve` refuses before the close).
pub async fn reserve_price(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<Option<Decimal>> {
    let r: Reserve = diesel::sql_query("SELECT ggzy_auction_reserve($1) AS amount")
        .bind::<SqlUuid, _>(id)
        .get_result(conn)
        .await?;
    Ok(r.amount)
}

/// The timer handler: lock, sync.
pub fn tick_job(conn: &mut AsyncPgConnection, payload: Value) -> BoxFuture<'_, anyhow::Result<()>> {
    Box::pin(async move {
        let id = Uuid::from_str(payload["auction_id"].as_str().unwrap_or_default())?;
        let mut a = load(conn, id, true)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.problem().detail))?;
        let now = clock::now(conn).await?;
        sync(conn, &mut a, now)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.problem().detail))?;
        Ok(())
    })
}

/// Raises every deposit of the lot still unrefunded at its due time (an audit entry and an event
/// for the supervision board; the warning card itself belongs to the supervision issue).
pub fn refund_due_job(
    conn: &mut AsyncPgConnection,
    payload: Value,
) -> BoxFuture<'_, anyhow::Result<()>> {
    Box::pin(async move {
        let id = Uuid::from_str(payload["auction_id"].as_str().unwrap_or_default())?;
        let overdue: Vec<(Uuid, Option<String>)> = auction_registrations::table
            .filter(auction_registrations::auction_id.eq(id))
            .filter(auction_registrations::status.eq("qualified"))
            .filter(auction_registrations::refund_due.is_not_null())
            .select((
                auction_registrations::id,
                auction_registrations::bidder_number,
            ))
            .load(conn)
            .await?;
        if !overdue.is_empty() {
            let numbers: Vec<_> = overdue.iter().map(|o| o.1.clone()).collect();
            audit::record(
                conn,
                &Actor::system("auction.refund_due"),
                "auction.deposit_refund_overdue",
                Some(("auction", id.to_string())),
                json!({"registrations": overdue.iter().map(|o| o.0).collect::<Vec<_>>()}),
            )
            .await?;
            outbox::emit(conn, Kind::Event, "auction.deposit_refund_overdue", Some(("auction", id.to_string())),
                json!({"bidder_numbers": numbers, "citation": "招标拍卖挂牌出让国有建设用地使用权规定 第二十一条"})).await?;
        }
        Ok(())
    })
}

/// The lot's public state (no reserve price, not even whether it is met).
pub fn state(a: &AuctionRow, leader_number: Option<String>, now: DateTime<Utc>) -> Value {
    json!({
        "id": a.id, "code": a.code, "title": a.title, "format": a.format, "status": a.stage,
        "start_price": format!("{:.2}", a.start_price), "increment": format!("{:.2}", a.increment),
        "deposit_amount": format!("{:.2}", a.deposit_amount), "countdown_seconds": a.countdown_seconds,
        "announcement_at": clock::fmt(a.announcement_at), "starts_at": clock::fmt(a.starts_at),
        "free_bidding_until": a.free_bidding_until.map(clock::fmt), "listing_until": a.listing_until.map(clock::fmt),
        "current_price": a.current_price.map(|p| format!("{p:.2}")), "leader_number": leader_number,
        "ends_at": a.ends_at.map(clock::fmt), "bid_count": a.bid_count, "suspended": a.paused_at.is_some(),
        "result": a.result, "server_time": clock::fmt(now),
    })
}

/// The leading bidder's anonymous number.
pub async fn leader_number(
    conn: &mut AsyncPgConnection,
    a: &AuctionRow,
) -> AppResult<Option<String>> {
    Ok(match a.leader_registration {
        Some(r) => {
            auction_registrations::table
                .find(r)
                .select(auction_registrations::bidder_number)
                .first(conn)
                .await?
        }
        None => None,
    })
}

/// The format from its API name.
pub fn format_of(s: &str) -> AppResult<Format> {
    serde_json::from_value(Value::String(s.into())).map_err(AppError::internal)
}
