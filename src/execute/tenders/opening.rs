//! The opening (开标, DESIGN.md §4 steps 6–8): each key holder fetches its bundle of every bid,
//! decrypts it locally (`ggzy unseal-shares`) and submits its pieces; with two holders agreeing on
//! their shared piece a bid's one-time identity is rebuilt and the bid decrypted and checked; a
//! disagreement waits for the third holder. When every bid has a verdict the public opening
//! record is published. After the last opening the holders reveal their per-tender identities so
//! that every failure can be attributed (电子招标投标办法 第三十一条, `ggzy opening audit`).

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Lock, TenderAction, TenderMachine, TenderRow, TenderStatus, load, set_status};
use crate::core::audit::{self, Actor};
use crate::core::clock;
use crate::core::key_holders::{self, Branch};
use crate::core::outbox::{self, Kind};
use crate::core::transition::{Guarded, guard};
use crate::db::schema::{
    bid_submissions, bids, holder_identities, opening_pieces, opening_postponements,
    opening_records, orgs, tenders,
};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::{Caller, Ctx};
use crate::sealing::open::{Outcome, Submission};

async fn holder_branch(
    conn: &mut AsyncPgConnection,
    tender: Uuid,
    caller: &Caller,
) -> AppResult<Branch> {
    match key_holders::branch_of(conn, tender, caller.user_id).await? {
        Some(b) if key_holders::role_of(b) == caller.role => Ok(b),
        _ => Err(AppError::forbidden(
            "not_key_holder",
            "you are not a key holder of this tender",
        )),
    }
}

fn after_deadline(t: &TenderRow) -> AppResult<()> {
    if t.closed_at.is_none() {
        return Err(AppError::conflict(
            "not_closed",
            "bidding has not closed yet",
        ));
    }
    Ok(())
}

/// One bundle.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BundleItem {
    /// Bid id.
    pub bid_id: Uuid,
    /// This holder's bundle (base64 of the binary age file).
    pub bundle: String,
}

/// The caller's bundles.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BundleList {
    /// Bundles.
    pub items: Vec<BundleItem>,
}

/// The caller's bundle of every bid of the current round (key holders, after the deadline).
#[utoipa::path(get, path = "/api/v1/tenders/{id}/opening/share-bundles", tag = "execute", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 200, body = BundleList), (status = 403, body = Problem, description = "not_key_holder"),
              (status = 404, body = Problem), (status = 409, body = Problem, description = "not_closed")))]
pub async fn share_bundles(ctx: Ctx, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let mut conn = ctx.conn().await?;
    let t = load(&mut conn, id, Lock::None).await?;
    let branch = holder_branch(&mut conn, id, &caller).await?;
    after_deadline(&t)?;
    // the bundles kept at submission: about a kilobyte per bid
    let kept: Vec<(Uuid, Option<Value>)> = bids::table
        .inner_join(bid_submissions::table.on(bid_submissions::id.eq(bids::id)))
        .filter(bids::tender_id.eq(id))
        .filter(bids::round.eq(t.round))
        .order(bids::id.asc())
        .select((bids::id, bid_submissions::bundles))
        .load(&mut conn)
        .await?;
    let mut found: BTreeMap<Uuid, String> = BTreeMap::new();
    let mut missing = Vec::new();
    for (bid_id, b) in &kept {
        match b.as_ref().and_then(|b| b[branch.as_str()].as_str()) {
            Some(bundle) => {
                found.insert(*bid_id, bundle.to_string());
            }
            None => missing.push(*bid_id),
        }
    }
    // rows stored before the column existed: read from their envelopes
    if !missing.is_empty() {
        let rows: Vec<(Uuid, Option<Vec<u8>>)> = bid_submissions::table
            .filter(bid_submissions::id.eq_any(&missing))
            .select((bid_submissions::id, bid_submissions::envelope))
            .load(&mut conn)
            .await?;
        // parsing 256 KiB envelopes is CPU work: off the async workers, on every core
        let parsed = tokio::task::spawn_blocking(move || {
            on_every_core(&rows, |(bid_id, envelope)| {
                let envelope = envelope.as_deref().ok_or("bid without envelope")?;
                let env = crate::sealing::envelope::parse(envelope, id)
                    .map_err(|e| format!("stored envelope: {}", e.detail()))?;
                Ok::<_, String>((*bid_id, B64.encode(env.bundles.get(branch))))
            })
        })
        .await
        .map_err(AppError::internal)?;
        for p in parsed {
            let (bid_id, bundle) = p.map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
            found.insert(bid_id, bundle);
        }
    }
    let items = kept
        .iter()
        .map(|(bid_id, _)| {
            let bundle = found
                .remove(bid_id)
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("no bundle for bid {bid_id}")))?;
            Ok(BundleItem {
                bid_id: *bid_id,
                bundle,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(BundleList { items }))
}

/// One holder's submission for one bid.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareItem {
    /// Bid id.
    pub bid_id: Uuid,
    /// The branch's two pieces, by number (`"1"`, `"2"`, `"3"`), base64.
    pub pieces: Option<BTreeMap<String, String>>,
    /// `undecryptable` when the bundle did not decrypt.
    pub error: Option<String>,
}

/// Submit pieces.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SharesCmd {
    /// One item per bid.
    pub shares: Vec<ShareItem>,
}

/// What a submission of pieces did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SharesAnswer {
    /// Items stored now.
    pub accepted: usize,
    /// Items already submitted earlier (ignored).
    pub already_submitted: usize,
    /// Bids still waiting for another holder.
    pub waiting: usize,
    /// The tender's status after this submission.
    pub status: TenderStatus,
}

fn parse_item(branch: Branch, item: &ShareItem) -> AppResult<Submission> {
    match (&item.pieces, item.error.as_deref()) {
        (None, Some("undecryptable")) => Ok(Submission::Undecryptable),
        (Some(p), None) => {
            let mut pieces = BTreeMap::new();
            for (k, v) in p {
                let n: u8 = k.parse().map_err(|_| {
                    AppError::bad_request("invalid_pieces", format!("piece number {k:?}"))
                })?;
                let bytes = B64.decode(v.as_bytes()).map_err(|_| {
                    AppError::bad_request("invalid_pieces", format!("piece {k} is not base64"))
                })?;
                pieces.insert(n, bytes);
            }
            crate::sealing::pieces::check_branch_pieces(branch, &pieces)
                .map_err(|e| AppError::bad_request("invalid_pieces", e))?;
            Ok(Submission::Pieces(pieces))
        }
        _ => Err(AppError::bad_request(
            "invalid_pieces",
            "each item has either pieces or error: \"undecryptable\"",
        )),
    }
}

/// A key holder submits its pieces (after the deadline, from the opening time on). Returns after
/// the bids it completes are opened and, when it completes the last one, after the opening
/// record is published.
#[utoipa::path(post, path = "/api/v1/tenders/{id}/opening/shares", tag = "execute",
    request_body = SharesCmd, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 200, body = SharesAnswer), (status = 400, body = Problem, description = "invalid_pieces"),
              (status = 403, body = Problem, description = "not_key_holder"), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "not_closed, opening_not_started, invalid_state"),
              (status = 423, body = Problem)))]
pub async fn submit_shares(
    ctx: Ctx,
    path: web::Path<Uuid>,
    body: Command,
) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let answer = conn
        .transaction(async |c| {
            let t = load(c, id, Lock::Update).await?;
            let branch = holder_branch(c, id, &caller).await?;
            let g = guard(c, t.subject()).await?;
            let cmd: SharesCmd = body.parse()?;
            after_deadline(&t)?;
            let status = g.next::<TenderMachine>(t.status()?, TenderAction::SubmitShares, caller.role)?;
            let now = clock::now(c).await?;
            if now < t.opening_at {
                return Err(AppError::conflict("opening_not_started", format!("the opening is at {}", clock::fmt(t.opening_at))));
            }
            // a set: a submission names every bid of the round (1,000 lookups at a large opening)
            let round_bids: std::collections::HashSet<Uuid> = bids::table
                .filter(bids::tender_id.eq(id))
                .filter(bids::round.eq(t.round))
                .select(bids::id)
                .load::<Uuid>(c)
                .await?
                .into_iter()
                .collect();
            let mut rows = Vec::with_capacity(cmd.shares.len());
            for item in &cmd.shares {
                if !round_bids.contains(&item.bid_id) {
                    return Err(AppError::unprocessable("unknown_bid", format!("bid {} is not in this opening", item.bid_id)));
                }
                let sub = parse_item(branch, item)?;
                let (pieces, undecryptable) = match &sub {
                    Submission::Pieces(p) => (
                        Some(json!(p.iter().map(|(k, v)| (k.to_string(), B64.encode(v))).collect::<BTreeMap<_, _>>())),
                        false,
                    ),
                    Submission::Undecryptable => (None, true),
                };
                rows.push((
                    opening_pieces::bid_id.eq(item.bid_id),
                    opening_pieces::branch.eq(branch.as_str()),
                    opening_pieces::holder_id.eq(caller.user_id),
                    opening_pieces::pieces.eq(pieces),
                    opening_pieces::undecryptable.eq(undecryptable),
                ));
            }
            // one multi-row insert per chunk rather than a round trip per bid; a chunk stays far
            // below PostgreSQL's 65,535 bind parameters
            let mut accepted = 0;
            for chunk in rows.chunks(PIECE_CHUNK) {
                accepted += diesel::insert_into(opening_pieces::table)
                    .values(chunk)
                    .on_conflict_do_nothing()
                    .execute(c)
                    .await?;
            }
            let already = cmd.shares.len() - accepted;
            if t.status()? == TenderStatus::Closed {
                set_status(c, id, status).await?;
            }
            audit::record(c, &actor, "tender.opening_shares", Some(("tender", id.to_string())),
                json!({"branch": branch.as_str(), "accepted": accepted, "already_submitted": already})).await?;
            outbox::emit(c, Kind::Event, "tender.opening_shares", Some(("tender", id.to_string())),
                json!({"branch": branch.as_str()})).await?;
            let waiting = decide_bids(c, &t).await?;
            let status = if waiting == 0 { complete(c, &g, &t, now).await? } else { TenderStatus::Opening };
            Ok::<_, AppError>(SharesAnswer { accepted, already_submitted: already, waiting, status })
        })
        .await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// Runs the opening decision on every still-sealed bid of the round; returns how many wait.
async fn decide_bids(conn: &mut AsyncPgConnection, t: &TenderRow) -> AppResult<usize> {
    let started = std::time::Instant::now();
    let sealed_ids: Vec<Uuid> = bids::table
        .filter(bids::tender_id.eq(t.id))
        .filter(bids::round.eq(t.round))
        .filter(bids::status.eq("sealed"))
        .select(bids::id)
        .load(conn)
        .await?;
    // every holder piece of these bids in one query, not one per bid
    let piece_rows: Vec<(Uuid, String, Option<Value>)> = opening_pieces::table
        .filter(opening_pieces::bid_id.eq_any(&sealed_ids))
        .select((
            opening_pieces::bid_id,
            opening_pieces::branch,
            opening_pieces::pieces,
        ))
        .load(conn)
        .await?;
    let mut pieces: BTreeMap<Uuid, BTreeMap<Branch, Submission>> = BTreeMap::new();
    for (bid_id, b, p) in piece_rows {
        let branch =
            Branch::parse(&b).ok_or_else(|| AppError::internal(anyhow::anyhow!("branch {b}")))?;
        pieces
            .entry(bid_id)
            .or_default()
            .insert(branch, stored_submission(p)?);
    }
    // a bid with fewer than two holders' submissions can only wait (`open::decide`): its
    // envelope is not even read, so the first holder's submission costs no payload traffic
    let ready: Vec<Uuid> = sealed_ids
        .iter()
        .copied()
        .filter(|id| pieces.get(id).is_some_and(|p| p.len() >= 2))
        .collect();
    let mut waiting = sealed_ids.len() - ready.len();
    let sealed: Vec<(Uuid, Option<Vec<u8>>, String)> = if ready.is_empty() {
        Vec::new()
    } else {
        bids::table
            .inner_join(bid_submissions::table.on(bid_submissions::id.eq(bids::id)))
            .inner_join(orgs::table.on(orgs::id.eq(bids::org_id)))
            .filter(bids::id.eq_any(&ready))
            .select((bids::id, bid_submissions::envelope, orgs::code))
            .load(conn)
            .await?
    };
    let loaded = started.elapsed();
    let mut work = Vec::with_capacity(sealed.len());
    for (bid_id, envelope, org_code) in sealed {
        let envelope =
            envelope.ok_or_else(|| AppError::internal(anyhow::anyhow!("bid without envelope")))?;
        let subs = pieces.remove(&bid_id).unwrap_or_default();
        work.push((bid_id, envelope, org_code, subs));
    }
    let decided = work.len();
    // parsing the envelopes and decrypting them is CPU work: off the async workers, spread over
    // the cores
    let tender_id = t.id;
    let outcomes = tokio::task::spawn_blocking(move || decide_all(work, tender_id))
        .await
        .map_err(AppError::internal)?;
    let decrypted = started.elapsed();
    // every bid of the ceremony is opened at the same platform instant
    let now = clock::now(conn).await?;
    let mut v = Verdicts::default();
    for (bid_id, outcome) in outcomes {
        let (outcome, text) =
            outcome.map_err(|e| AppError::internal(anyhow::anyhow!("stored envelope: {e}")))?;
        let (status, fault, detail, doc) = match outcome {
            Outcome::Waiting(_) => {
                waiting += 1;
                continue;
            }
            Outcome::Opened(doc) => ("opened", None, None, Some(doc)),
            Outcome::Tampered(reason) => ("tampered", Some("bidder"), Some(reason), None),
            Outcome::Undecryptable(reason) => ("undecryptable", None, Some(reason), None),
        };
        v.id.push(bid_id);
        v.status.push(status.to_string());
        v.fault.push(fault.map(str::to_string));
        v.detail.push(detail);
        v.price.push(doc.as_ref().map(|d| d.price));
        v.duration_days
            .push(doc.as_ref().and_then(|d| d.duration_days));
        v.sme.push(
            doc.as_ref()
                .and_then(|d| d.sme.map(|s| s.as_str().to_string())),
        );
        v.document.push(text);
    }
    v.store(conn, now).await?;
    if decided > 0 {
        tracing::info!(tender = %t.id, decided, waiting,
            load_ms = loaded.as_millis() as u64,
            decrypt_ms = (decrypted - loaded).as_millis() as u64,
            store_ms = (started.elapsed() - decrypted).as_millis() as u64,
            "opening: bids decided");
    }
    Ok(waiting)
}

/// Holders' pieces per multi-row insert at the opening.
const PIECE_CHUNK: usize = 1_000;

/// Bids per verdict statement: opened documents can be large (a 256 KiB envelope holds a ~190 KB
/// document), and one statement carrying hundreds of MB of arrays was slower than a few dozen
/// carrying a few MB each.
const VERDICT_CHUNK: usize = 32;

/// The verdicts of one opening pass, column by column, stored by one `UPDATE … FROM unnest`
/// per chunk instead of one `UPDATE` per bid (1,000 round trips at a large opening).
#[derive(Default)]
struct Verdicts {
    id: Vec<Uuid>,
    status: Vec<String>,
    fault: Vec<Option<String>>,
    detail: Vec<Option<String>>,
    price: Vec<Option<rust_decimal::Decimal>>,
    duration_days: Vec<Option<i32>>,
    sme: Vec<Option<String>>,
    /// The opened documents as JSON text (UTF-8 bytes).
    document: Vec<Option<Vec<u8>>>,
}

impl Verdicts {
    /// Writes every verdict, each bid opened at the ceremony's one platform instant `now`.
    async fn store(self, conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> AppResult<()> {
        use diesel::sql_types::{Array, Int4, Nullable, Numeric, Text, Timestamptz};
        for start in (0..self.id.len()).step_by(VERDICT_CHUNK) {
            let end = (start + VERDICT_CHUNK).min(self.id.len());
            diesel::sql_query(
                "UPDATE bids SET status = v.status, fault = v.fault, detail = v.detail, \
                 price = v.price, duration_days = v.duration_days, sme = v.sme, \
                 document = v.document, opened_at = $9 \
                 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::numeric[], \
                 $6::int4[], $7::text[], $8::bytea[]) \
                 AS v(id, status, fault, detail, price, duration_days, sme, document) \
                 WHERE bids.id = v.id",
            )
            .bind::<Array<diesel::sql_types::Uuid>, _>(&self.id[start..end])
            .bind::<Array<Text>, _>(&self.status[start..end])
            .bind::<Array<Nullable<Text>>, _>(&self.fault[start..end])
            .bind::<Array<Nullable<Text>>, _>(&self.detail[start..end])
            .bind::<Array<Nullable<Numeric>>, _>(&self.price[start..end])
            .bind::<Array<Nullable<Int4>>, _>(&self.duration_days[start..end])
            .bind::<Array<Nullable<Text>>, _>(&self.sme[start..end])
            .bind::<Array<Nullable<diesel::sql_types::Bytea>>, _>(&self.document[start..end])
            .bind::<Timestamptz, _>(now)
            .execute(conn)
            .await?;
        }
        Ok(())
    }
}

/// A sealed bid to decide: its id, payload, bidder's 统一社会信用代码 and the holders' pieces.
type SealedBid = (Uuid, Vec<u8>, String, BTreeMap<Branch, Submission>);

/// A bid's opening decision with its opened document as JSON text, or why its stored envelope
/// could not be read.
type Decision = (Uuid, Result<(Outcome, Option<Vec<u8>>), String>);

/// Runs the opening decision for each bid on every core (scoped threads over equal chunks), in
/// the bids' order.
fn decide_all(work: Vec<SealedBid>, tender_id: Uuid) -> Vec<Decision> {
    on_every_core(&work, |(id, envelope, org, subs)| {
        let decision = crate::sealing::envelope::parse(envelope, tender_id)
            .map_err(|e| e.detail().to_string())
            .and_then(|env| {
                let o = crate::sealing::open::decide(&env.payload, tender_id, org, subs);
                // serialized here, on every core, not in the one async task
                let text = match &o {
                    Outcome::Opened(d) => Some(serde_json::to_vec(d).map_err(|e| e.to_string())?),
                    _ => None,
                };
                Ok((o, text))
            });
        (*id, decision)
    })
}

/// Maps `f` over `items` on every core (scoped threads over equal chunks), keeping the order.
fn on_every_core<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(cores).max(1);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("an opening worker panicked"))
            .collect()
    })
}

fn stored_submission(p: Option<Value>) -> AppResult<Submission> {
    let Some(Value::Object(m)) = p else {
        return Ok(Submission::Undecryptable);
    };
    let mut pieces = BTreeMap::new();
    for (k, v) in m {
        let n: u8 = k
            .parse()
            .map_err(|_| AppError::internal(anyhow::anyhow!("stored piece {k}")))?;
        let bytes = B64
            .decode(v.as_str().unwrap_or_default().as_bytes())
            .map_err(|_| AppError::internal(anyhow::anyhow!("stored piece {k}")))?;
        pieces.insert(n, bytes);
    }
    Ok(Submission::Pieces(pieces))
}

/// Every bid has a verdict: publish the opening record and move on (or fail with too few).
async fn complete(
    conn: &mut AsyncPgConnection,
    g: &Guarded,
    t: &TenderRow,
    now: DateTime<Utc>,
) -> AppResult<TenderStatus> {
    type Line = (
        Uuid,
        String,
        String,
        String,
        Option<rust_decimal::Decimal>,
        Option<i32>,
        Option<String>,
    );
    let lines: Vec<Line> = bids::table
        .inner_join(orgs::table.on(orgs::id.eq(bids::org_id)))
        .filter(bids::tender_id.eq(t.id))
        .filter(bids::round.eq(t.round))
        .order(bids::id.asc())
        .select((
            bids::id,
            orgs::name,
            orgs::code,
            bids::status,
            bids::price,
            bids::duration_days,
            bids::fault,
        ))
        .load(conn)
        .await?;
    let opened = lines.iter().filter(|l| l.3 == "opened").count() as i64;
    let record = json!({
        "tender_id": t.id,
        "round": t.round,
        "opened_at": clock::fmt(now),
        "bids": lines.iter().map(|(bid_id, name, code, status, price, days, fault)| json!({
            "bid_id": bid_id, "bidder_name": name, "org_code": code,
            "price": price.map(|p| format!("{p:.2}")), "duration_days": days,
            "status": status, "fault": fault,
        })).collect::<Vec<_>>(),
    });
    diesel::insert_into(opening_records::table)
        .values((
            opening_records::tender_id.eq(t.id),
            opening_records::round.eq(t.round),
            opening_records::record.eq(&record),
            opening_records::opened_at.eq(now),
        ))
        .execute(conn)
        .await?;
    let (mut min, citation) = crate::decide::rules::min_bids(conn, t.id).await?;
    if let Some(invited) = super::rounds::invited(conn, t).await? {
        min = min.min(invited.len() as i64);
    }
    let next = if opened >= min {
        g.next_as_platform::<TenderMachine>(TenderStatus::Opening, TenderAction::CompleteOpening)?
    } else {
        g.next_as_platform::<TenderMachine>(TenderStatus::Opening, TenderAction::Fail)?
    };
    set_status(conn, t.id, next).await?;
    let reason = (next == TenderStatus::Failed)
        .then(|| format!("{opened} bid(s) opened, {min} required ({citation})"));
    diesel::update(tenders::table.find(t.id))
        .set((
            tenders::opened_at.eq(Some(now)),
            tenders::failure_reason.eq(reason.as_deref()),
        ))
        .execute(conn)
        .await?;
    let subject = Some(("tender", t.id.to_string()));
    audit::record(
        conn,
        &Actor::system("tender.opening"),
        "tender.opening_record",
        subject.clone(),
        json!({"round": t.round, "opened": opened, "bids": lines.len()}),
    )
    .await?;
    outbox::emit(
        conn,
        Kind::Public,
        "tender.opening_record",
        subject.clone(),
        record,
    )
    .await?;
    outbox::emit(
        conn,
        Kind::Event,
        if next == TenderStatus::Failed {
            "tender.failed"
        } else {
            "tender.opened"
        },
        subject.clone(),
        json!({"round": t.round, "opened": opened, "reason": reason}),
    )
    .await?;
    if let Some(reason) = reason.as_deref() {
        // the failure is public (流标): the OCDS feed reports it as a tender cancellation
        outbox::emit(
            conn,
            Kind::Public,
            "tender.failed",
            subject,
            json!({"tender_id": t.id, "round": t.round, "stage": "opening", "reason": reason,
                   "failed_at": clock::fmt(now)}),
        )
        .await?;
    }
    crate::notify::triggers::opening_record(conn, t.id, opened, reason.as_deref()).await?;
    Ok(next)
}

/// The public opening record (开标记录) of the current round.
#[utoipa::path(get, path = "/api/v1/tenders/{id}/opening", tag = "public",
    params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 200, description = "{opened_at, bids: [{bid_id, bidder_name, org_code, price, duration_days, status, fault?}]}"),
              (status = 404, body = Problem)))]
pub async fn get_opening(ctx: Ctx, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let mut conn = ctx.conn().await?;
    let record: Value = opening_records::table
        .filter(opening_records::tender_id.eq(id))
        .order(opening_records::round.desc())
        .select(opening_records::record)
        .first(&mut conn)
        .await
        .optional()?
        .ok_or_else(|| AppError::not_found("opening record"))?;
    Ok(HttpResponse::Ok().json(record))
}

/// Reveal a holder's per-tender identity.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealCmd {
    /// `AGE-SECRET-KEY-1…`.
    pub identity: String,
}

/// A key holder reveals its per-tender identity after the tender's last opening, so that every
/// bundle decryption can be re-run and each failure attributed.
#[utoipa::path(post, path = "/api/v1/tenders/{id}/opening/holder-identity", tag = "execute",
    request_body = RevealCmd, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 204), (status = 403, body = Problem, description = "not_key_holder"),
              (status = 409, body = Problem, description = "invalid_state, already_revealed"),
              (status = 422, body = Problem, description = "identity_mismatch"), (status = 423, body = Problem)))]
pub async fn reveal_identity(
    ctx: Ctx,
    path: web::Path<Uuid>,
    body: Command,
) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    conn.transaction(async |c| {
        let t = load(c, id, Lock::Update).await?;
        let branch = holder_branch(c, id, &caller).await?;
        let g = guard(c, t.subject()).await?;
        let cmd: RevealCmd = body.parse()?;
        g.next::<TenderMachine>(t.status()?, TenderAction::RevealIdentity, caller.role)?;
        if super::rounds::has_rounds(&t) && t.status()? == TenderStatus::Evaluation {
            // the same keys seal the next round's final offers: reveal only after the last one
            return Err(AppError::conflict("rounds_not_finished", "holders reveal their identities after the last round (the evaluation's finalisation)"));
        }
        let registered = t
            .sealing
            .as_ref()
            .and_then(|s| s["recipients"][branch.as_str()].as_str())
            .map(str::to_string)
            .ok_or_else(|| {
                AppError::internal(anyhow::anyhow!("published tender without recipients"))
            })?;
        let identity = cmd.identity.trim();
        let recipient = crate::sealing::keys::recipient_of(identity).map_err(|e| {
            AppError::unprocessable("identity_mismatch", format!("not an age identity: {e}"))
        })?;
        if recipient != registered {
            return Err(AppError::unprocessable(
                "identity_mismatch",
                "this identity is not the one whose recipient was published in the notice",
            ));
        }
        let n = diesel::insert_into(holder_identities::table)
            .values((
                holder_identities::tender_id.eq(id),
                holder_identities::branch.eq(branch.as_str()),
                holder_identities::holder_id.eq(caller.user_id),
                holder_identities::identity.eq(identity),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .await?;
        if n == 0 {
            return Err(AppError::conflict(
                "already_revealed",
                "this holder's identity is already revealed",
            ));
        }
        let subject = Some(("tender", id.to_string()));
        audit::record(
            c,
            &actor,
            "tender.holder_identity_reveal",
            subject.clone(),
            json!({"branch": branch.as_str()}),
        )
        .await?;
        // the public log gets the fact and the recipient; the identity itself is for supervisors
        // and bidders re-running the bundles (the public sees verdicts, not bids' contents)
        outbox::emit(
            c,
            Kind::Public,
            "tender.holder_identity_revealed",
            subject,
            json!({"tender_id": id, "branch": branch.as_str(), "recipient": recipient,
                   "identity_sha256": crate::sealing::envelope::sha256_hex(identity.as_bytes())}),
        )
        .await?;
        Ok::<_, AppError>(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Postpone the opening.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostponeCmd {
    /// The new opening time.
    pub new_time: DateTime<Utc>,
    /// Why (fewer than two holders can attend).
    pub reason: String,
}

/// The centre postpones the opening when fewer than two holders can attend (logged, notified).
#[utoipa::path(post, path = "/api/v1/tenders/{id}/opening/postpone", tag = "execute",
    request_body = PostponeCmd, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem, description = "invalid_time"), (status = 423, body = Problem)))]
pub async fn postpone(ctx: Ctx, path: web::Path<Uuid>, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    conn.transaction(async |c| {
        let t = load(c, id, Lock::Update).await?;
        let g = guard(c, t.subject()).await?;
        let cmd: PostponeCmd = body.parse()?;
        g.next::<TenderMachine>(t.status()?, TenderAction::Postpone, caller.role)?;
        let now = clock::now(c).await?;
        if cmd.new_time <= now || cmd.reason.trim().is_empty() {
            return Err(AppError::unprocessable("invalid_time", "the new time must be in the future, with a reason"));
        }
        diesel::insert_into(opening_postponements::table)
            .values((opening_postponements::id.eq(Uuid::now_v7()), opening_postponements::tender_id.eq(id),
                     opening_postponements::old_time.eq(t.opening_at), opening_postponements::new_time.eq(cmd.new_time),
                     opening_postponements::reason.eq(cmd.reason.trim()), opening_postponements::by_user.eq(caller.user_id)))
            .execute(c)
            .await?;
        diesel::update(tenders::table.find(id)).set(tenders::opening_at.eq(cmd.new_time)).execute(c).await?;
        let subject = Some(("tender", id.to_string()));
        audit::record(c, &actor, "tender.opening_postpone", subject.clone(),
            json!({"old_time": clock::fmt(t.opening_at), "new_time": clock::fmt(cmd.new_time), "reason": cmd.reason.trim()})).await?;
        outbox::emit(c, Kind::Public, "tender.opening_postponed", subject,
            json!({"tender_id": id, "new_time": clock::fmt(cmd.new_time), "reason": cmd.reason.trim()})).await?;
        crate::notify::triggers::opening_postponed(c, id, cmd.reason.trim()).await?;
        Ok::<_, AppError>(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
