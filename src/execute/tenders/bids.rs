//! Sealed bids (DESIGN.md §3–§4, API.md "The sealed envelope"): submission, resubmission and
//! withdrawal before the deadline, each with a receipt signed by the platform key; receipts are
//! public by id but never listed (电子招标投标办法 第二十一条: no count of bids before the deadline).
//!
//! The deadline is judged by `ggzy_now()` read *after* the tender row is locked `FOR SHARE`; the
//! closing job locks it `FOR UPDATE`, so every receipted bid is in the closing manifest.
//!
//! A bidder has at most `GGZY_BID_MAX_SUBMISSIONS` bids per round (withdrawals unlimited), and a
//! superseded envelope's bytes are dropped when it is superseded, its hashes and receipt kept
//! (decisions 106–107).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Lock, TenderAction, TenderMachine, TenderRow, TenderStatus, load};
use crate::core::transition::guard;
use crate::core::{audit, clock, signing};
use crate::db::schema::{bid_submissions, platform_keys};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::{Caller, Ctx};
use crate::http::idempotency::{self, Begin};

/// A signed receipt (returned exactly as signed).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Receipt {
    /// Receipt id (also the bid id when it is the final submission).
    pub id: Uuid,
    /// Tender.
    pub tender_id: Uuid,
    /// Round (1 unless negotiation or consultation rounds).
    pub round: i32,
    /// SHA-256 of the request body as received; null for a withdrawal.
    pub envelope_sha256: Option<String>,
    /// This bidder's submission number for the tender (1, 2, …).
    pub submission_no: i32,
    /// `bid` or `withdrawal`.
    pub kind: String,
    /// Received at (platform clock).
    pub received_at: String,
    /// Ed25519 signature, base64.
    pub signature: String,
    /// Platform public key, base64.
    pub public_key: String,
}

/// The answer to a submission or withdrawal.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReceiptAnswer {
    /// The receipt.
    pub receipt: Receipt,
}

/// The platform's public key.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlatformKeyView {
    /// base64 of the 32 raw Ed25519 public key bytes.
    pub public_key: String,
}

#[derive(QueryableByName)]
struct MaxNo {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    n: i32,
    /// The bidder's bids (not withdrawals) in the tender's current round.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    bids_in_round: i64,
}

/// Whether a `deadline_passed` refusal came from a deadline that a lifted hold has just moved
/// (then the action is tried once more). Only refusals pay for this look at the holds.
async fn moved_by_a_resume(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    e: &AppError,
) -> AppResult<bool> {
    if e.code() != "deadline_passed" {
        return Ok(false);
    }
    super::hold_shift::apply_pending(conn, id).await
}

/// Refuses a bid the deadline has passed for (`409 deadline_passed`), judged on `now` read after
/// the row lock.
fn check_deadline(t: &TenderRow, now: chrono::DateTime<chrono::Utc>) -> AppResult<()> {
    let status = t.status()?;
    let open = status == TenderStatus::Bidding && now < t.bid_deadline;
    if !open && status != TenderStatus::Draft {
        return Err(AppError::conflict(
            "deadline_passed",
            format!(
                "the bid deadline was {} (platform time now {})",
                clock::fmt(t.bid_deadline),
                clock::fmt(now)
            ),
        ));
    }
    Ok(())
}

async fn serialize_org(
    conn: &mut AsyncPgConnection,
    tender: Uuid,
    round: i32,
    org: Uuid,
) -> AppResult<MaxNo> {
    // one submission at a time per (tender, org): submission numbers stay gapless, and the count
    // the resubmission limit is judged on cannot be raced
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind::<Text, _>(format!("bid:{tender}:{org}"))
        .execute(conn)
        .await?;
    let n: MaxNo = diesel::sql_query(
        "SELECT coalesce(max(submission_no), 0) AS n, \
                count(*) FILTER (WHERE round = $3 AND kind = 'bid') AS bids_in_round \
         FROM bid_submissions WHERE tender_id = $1 AND org_id = $2",
    )
    .bind::<SqlUuid, _>(tender)
    .bind::<SqlUuid, _>(org)
    .bind::<diesel::sql_types::Integer, _>(round)
    .get_result(conn)
    .await?;
    Ok(n)
}

/// Refuses a bid past the resubmission limit (`409 too_many_submissions`). Withdrawals are not
/// limited — a bidder may always withdraw before the deadline (招标投标法 第二十九条) — and each
/// needs a bid before it, so a round holds at most twice the limit of rows per bidder.
fn check_submission_limit(bids_in_round: i64, limit: i32) -> AppResult<()> {
    if bids_in_round >= i64::from(limit) {
        return Err(AppError::conflict(
            "too_many_submissions",
            format!(
                "at most {limit} bids per bidder in a tender round; the last one stands until \
                 the deadline, or withdraw it"
            ),
        ));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn store(
    conn: &mut AsyncPgConnection,
    t: &TenderRow,
    caller: &Caller,
    org: Uuid,
    envelope: Option<(&[u8], String, String, Value)>,
    addr: Option<&str>,
    fp: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
    limit: i32,
) -> AppResult<Value> {
    let counts = serialize_org(conn, t.id, t.round, org).await?;
    if envelope.is_some() {
        check_submission_limit(counts.bids_in_round, limit)?;
    }
    let submission_no = counts.n + 1;
    let id = Uuid::now_v7();
    let kind = if envelope.is_some() {
        "bid"
    } else {
        "withdrawal"
    };
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("tender_id".into(), json!(t.id));
    m.insert("round".into(), json!(t.round));
    m.insert(
        "envelope_sha256".into(),
        json!(envelope.as_ref().map(|e| e.1.clone())),
    );
    m.insert("submission_no".into(), json!(submission_no));
    m.insert("kind".into(), json!(kind));
    m.insert("received_at".into(), json!(clock::fmt(now)));
    let receipt = signing::platform()?.sign(m).map_err(AppError::internal)?;
    let inserted = diesel::insert_into(bid_submissions::table)
        .values((
            bid_submissions::id.eq(id),
            bid_submissions::tender_id.eq(t.id),
            bid_submissions::round.eq(t.round),
            bid_submissions::org_id.eq(org),
            bid_submissions::user_id.eq(caller.user_id),
            bid_submissions::submission_no.eq(submission_no),
            bid_submissions::kind.eq(kind),
            bid_submissions::envelope.eq(envelope.as_ref().map(|e| e.0)),
            bid_submissions::envelope_sha256.eq(envelope.as_ref().map(|e| e.1.as_str())),
            bid_submissions::payload_sha256.eq(envelope.as_ref().map(|e| e.2.as_str())),
            bid_submissions::received_at.eq(now),
            bid_submissions::client_addr.eq(addr),
            bid_submissions::fingerprint.eq(fp),
            bid_submissions::receipt.eq(&receipt),
            bid_submissions::bundles.eq(envelope.as_ref().map(|e| &e.3)),
        ))
        .execute(conn)
        .await;
    match inserted {
        Ok(_) => {
            // the envelope this submission supersedes is never opened: its bytes go, its hashes
            // and receipt stay (decision 107)
            diesel::sql_query("SELECT ggzy_purge_superseded($1, $2, $3)")
                .bind::<SqlUuid, _>(t.id)
                .bind::<diesel::sql_types::Integer, _>(t.round)
                .bind::<SqlUuid, _>(org)
                .execute(conn)
                .await?;
            Ok(receipt)
        }
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            info,
        )) if info.constraint_name() == Some("bid_submissions_payload_idx") => {
            Err(AppError::conflict(
                "duplicate_envelope",
                "the platform already holds this payload",
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// Submits (or resubmits) the caller's sealed bid: the body is the `ggzy-sealed-bid/1` envelope.
#[utoipa::path(put, path = "/api/v1/tenders/{id}/bids/mine", tag = "execute",
    request_body(content = Object, description = "the sealed envelope (API.md)", content_type = "application/json"),
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "tender id"),
           ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe submission"),
           ("X-Client-Fingerprint" = Option<String>, Header, description = "client machine fingerprint")),
    responses((status = 201, body = ReceiptAnswer), (status = 400, body = Problem, description = "not_sealed"),
              (status = 404, body = Problem),
              (status = 409, body = Problem, description = "deadline_passed, duplicate_envelope, too_many_submissions"),
              (status = 413, body = Problem), (status = 422, body = Problem, description = "idempotency_key_reused"),
              (status = 423, body = Problem)))]
pub async fn submit_bid(ctx: Ctx, path: web::Path<Uuid>, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let key = ctx.idempotency_key.clone();
    let (addr, fp) = (ctx.client_addr.clone(), ctx.fingerprint.clone());
    let limits = ctx.state.config.limits.bid_submissions;
    let mut conn = ctx.conn().await?;
    let mut retried = false;
    let (status, value) = loop {
        let attempt = conn
            .transaction(async |c| {
                let claim = match idempotency::begin(
                    c,
                    key.as_deref(),
                    caller.user_id,
                    "submit_bid",
                    &body.0,
                )
                .await?
                {
                    Begin::Repeat(s, v) => return Ok((s, v)),
                    Begin::Claimed(claim) => Some(claim),
                    Begin::NoKey => None,
                };
                let t = load(c, id, Lock::Share).await?;
                let g = guard(c, t.subject()).await?;
                let envelope = crate::sealing::envelope::parse(&body.0, id)
                    .map_err(|e| AppError::bad_request("not_sealed", e.detail()))?;
                let org = caller.org_id.ok_or_else(|| {
                    AppError::forbidden("org_required", "this account belongs to no org")
                })?;
                // the clock is read after the lock
                let now = clock::now(c).await?;
                check_deadline(&t, now)?;
                g.next::<TenderMachine>(t.status()?, TenderAction::Bid, caller.role)?;
                if let Some(invited) = super::rounds::invited(c, &t).await?
                    && !invited.contains(&org)
                {
                    return Err(AppError::forbidden(
                        "not_invited",
                        format!("round {} is open to the invited suppliers only", t.round),
                    ));
                }
                let envelope_sha256 = hex::encode(Sha256::digest(&body.0));
                let payload_sha256 = crate::sealing::envelope::payload_sha256(&envelope);
                // kept beside the envelope: a holder's fetch at the opening reads these only
                let b = &envelope.bundles;
                let bundles = json!({"decide": B64.encode(&b.decide), "execute": B64.encode(&b.execute),
                                     "supervise": B64.encode(&b.supervise)});
                let receipt = store(
                    c,
                    &t,
                    &caller,
                    org,
                    Some((&body.0, envelope_sha256.clone(), payload_sha256, bundles)),
                    addr.as_deref(),
                    fp.as_deref(),
                    // received at the instant judged against the deadline: a receipt can never
                    // show a time after the deadline it was accepted under
                    now,
                    limits,
                )
                .await?;
                audit::record(
                    c,
                    &actor,
                    "tender.bid_submit",
                    Some(("tender", id.to_string())),
                    json!({"receipt_id": receipt["id"], "envelope_sha256": envelope_sha256,
                       "submission_no": receipt["submission_no"], "size": body.0.len()}),
                )
                .await?;
                crate::notify::triggers::bid_receipt(c, id, caller.user_id, &receipt, now).await?;
                let v = json!({ "receipt": receipt });
                idempotency::finish(c, claim, StatusCode::CREATED, &v).await?;
                Ok::<_, AppError>((StatusCode::CREATED, v))
            })
            .await;
        match attempt {
            Err(e) if !retried && moved_by_a_resume(&mut conn, id, &e).await? => retried = true,
            other => break other?,
        }
    };
    Ok(idempotency::respond(status, value))
}

/// Withdraws the caller's bid before the deadline; the withdrawal has its own receipt.
#[utoipa::path(delete, path = "/api/v1/tenders/{id}/bids/mine", tag = "execute", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 200, body = ReceiptAnswer), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "deadline_passed, no_bid"), (status = 423, body = Problem)))]
pub async fn withdraw_bid(ctx: Ctx, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let (addr, fp) = (ctx.client_addr.clone(), ctx.fingerprint.clone());
    let limits = ctx.state.config.limits.bid_submissions;
    let mut conn = ctx.conn().await?;
    let mut retried = false;
    let receipt = loop {
        let attempt = conn
            .transaction(async |c| {
                let t = load(c, id, Lock::Share).await?;
                let g = guard(c, t.subject()).await?;
                let org = caller.org_id.ok_or_else(|| {
                    AppError::forbidden("org_required", "this account belongs to no org")
                })?;
                let now = clock::now(c).await?;
                check_deadline(&t, now)?;
                g.next::<TenderMachine>(t.status()?, TenderAction::Bid, caller.role)?;
                let last: Option<String> = bid_submissions::table
                    .filter(bid_submissions::tender_id.eq(id))
                    .filter(bid_submissions::round.eq(t.round))
                    .filter(bid_submissions::org_id.eq(org))
                    .order(bid_submissions::submission_no.desc())
                    .select(bid_submissions::kind)
                    .first(c)
                    .await
                    .optional()?;
                if last.as_deref() != Some("bid") {
                    return Err(AppError::conflict("no_bid", "there is no bid to withdraw"));
                }
                let receipt = store(
                    c,
                    &t,
                    &caller,
                    org,
                    None,
                    addr.as_deref(),
                    fp.as_deref(),
                    now,
                    limits,
                )
                .await?;
                audit::record(
                    c,
                    &actor,
                    "tender.bid_withdraw",
                    Some(("tender", id.to_string())),
                    json!({"receipt_id": receipt["id"], "submission_no": receipt["submission_no"]}),
                )
                .await?;
                crate::notify::triggers::bid_receipt(c, id, caller.user_id, &receipt, now).await?;
                Ok::<_, AppError>(receipt)
            })
            .await;
        match attempt {
            Err(e) if !retried && moved_by_a_resume(&mut conn, id, &e).await? => retried = true,
            other => break other?,
        }
    };
    Ok(HttpResponse::Ok().json(json!({ "receipt": receipt })))
}

/// A receipt by id (public: it reveals nothing about other bidders).
#[utoipa::path(get, path = "/api/v1/receipts/{id}", tag = "public",
    params(("id" = Uuid, Path, description = "receipt id")),
    responses((status = 200, body = Receipt), (status = 404, body = Problem)))]
pub async fn get_receipt(ctx: Ctx, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Jsonb>)]
        receipt: Option<Value>,
    }
    let mut conn = ctx.conn().await?;
    // the public role reads one receipt by its id through ggzy_receipt(), never the table: a
    // grant on bid_submissions would let it list every bidder of an open tender
    let row: Row = diesel::sql_query("SELECT ggzy_receipt($1) AS receipt")
        .bind::<diesel::sql_types::Uuid, _>(path.into_inner())
        .get_result(&mut conn)
        .await?;
    let receipt = row.receipt.ok_or_else(|| AppError::not_found("receipt"))?;
    Ok(HttpResponse::Ok().json(receipt))
}

/// The platform's current public key (receipts, manifests).
#[utoipa::path(get, path = "/api/v1/keys/platform", tag = "public",
    responses((status = 200, body = PlatformKeyView)))]
pub async fn platform_key(ctx: Ctx) -> AppResult<HttpResponse> {
    if let Ok(k) = signing::platform() {
        return Ok(HttpResponse::Ok().json(PlatformKeyView {
            public_key: k.public_key_b64().to_string(),
        }));
    }
    let mut conn = ctx.conn().await?;
    let key: String = platform_keys::table
        .order(platform_keys::created_at.desc())
        .select(platform_keys::public_key)
        .first(&mut conn)
        .await
        .optional()?
        .ok_or_else(|| AppError::not_found("platform key"))?;
    Ok(HttpResponse::Ok().json(PlatformKeyView { public_key: key }))
}
