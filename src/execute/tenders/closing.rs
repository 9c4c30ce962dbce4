//! The deadline: a timer job closes bidding under the tender row lock (`FOR UPDATE`, so it waits
//! for every bid holding `FOR SHARE`), fixes each bidder's final envelope, and publishes the
//! signed closing manifest (and logs it) before anything is decrypted. Too few bids for the
//! method → the tender fails (招标投标法 第二十八条; 政府采购货物和服务招标投标管理办法 第四十一条).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::future::BoxFuture;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{Lock, TenderAction, TenderMachine, TenderStatus, load, set_status};
use crate::core::audit::{self, Actor};
use crate::core::outbox::{self, Kind};
use crate::core::transition::guard;
use crate::core::{clock, jobs, signing};
use crate::db::schema::{bids, closing_manifests, tenders};
use crate::error::{AppError, AppResult, Problem};
use crate::http::ctx::Ctx;

/// The job kind that closes bidding.
pub const CLOSE_JOB: &str = "tender.close";

/// Schedules the closing at the tender's current deadline (idempotent per deadline).
pub async fn schedule(
    conn: &mut AsyncPgConnection,
    tender_id: Uuid,
    round: i32,
    deadline: DateTime<Utc>,
) -> AppResult<()> {
    let key = format!("{tender_id}:{round}:{}", deadline.timestamp_micros());
    jobs::enqueue(
        conn,
        CLOSE_JOB,
        json!({"tender_id": tender_id, "round": round}),
        deadline,
        Some(&key),
    )
    .await?;
    Ok(())
}

/// The closing job's handler.
pub fn close_job(
    conn: &mut AsyncPgConnection,
    payload: Value,
) -> BoxFuture<'_, anyhow::Result<()>> {
    Box::pin(async move {
        let id: Uuid = serde_json::from_value(payload["tender_id"].clone())?;
        match close(conn, id).await {
            Ok(()) => Ok(()),
            // a hold postpones the closing: retried with backoff until resumed
            Err(e) => Err(anyhow::anyhow!(
                "closing tender {id}: {}",
                e.problem().detail
            )),
        }
    })
}

#[derive(QueryableByName)]
struct FinalBid {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    org_id: Uuid,
    #[diesel(sql_type = Text)]
    envelope_sha256: String,
    #[diesel(sql_type = Integer)]
    submission_no: i32,
    #[diesel(sql_type = Timestamptz)]
    received_at: DateTime<Utc>,
}

/// Closes bidding if the deadline has passed (no-op otherwise, or when already closed).
pub async fn close(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<()> {
    let t = load(conn, id, Lock::Update).await?;
    if t.status()? != TenderStatus::Bidding {
        return Ok(());
    }
    // a hold lifted since the last look moves the deadline first (then a new job closes)
    let deadline = match super::hold_shift::apply(conn, &t).await? {
        Some(moved) => moved.bid_deadline,
        None => t.bid_deadline,
    };
    let now = clock::now(conn).await?;
    if now < deadline {
        // the deadline moved (clarification); the job for the new deadline does it
        return Ok(());
    }
    let g = guard(conn, t.subject()).await?;
    // each bidder's latest submission of the round, when it is a bid (not a withdrawal)
    let finals: Vec<FinalBid> = diesel::sql_query(
        "SELECT id, org_id, envelope_sha256, submission_no, received_at FROM ( \
           SELECT DISTINCT ON (org_id) id, org_id, kind, envelope_sha256, submission_no, received_at \
           FROM bid_submissions WHERE tender_id = $1 AND round = $2 \
           ORDER BY org_id, submission_no DESC) last \
         WHERE kind = 'bid' ORDER BY received_at, id",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Integer, _>(t.round)
    .load(conn)
    .await?;
    for b in &finals {
        diesel::insert_into(bids::table)
            .values((
                bids::id.eq(b.id),
                bids::tender_id.eq(id),
                bids::round.eq(t.round),
                bids::org_id.eq(b.org_id),
            ))
            .execute(conn)
            .await?;
    }
    let mut m = Map::new();
    m.insert("tender_id".into(), json!(id));
    m.insert("round".into(), json!(t.round));
    m.insert("closed_at".into(), json!(clock::fmt(now)));
    m.insert(
        "bids".into(),
        Value::Array(
            finals
                .iter()
                .map(|b| {
                    json!({"bid_id": b.id, "envelope_sha256": b.envelope_sha256,
                           "submission_no": b.submission_no,
                           "received_at": clock::fmt(b.received_at)})
                })
                .collect(),
        ),
    );
    let manifest = signing::platform()?.sign(m).map_err(AppError::internal)?;
    diesel::insert_into(closing_manifests::table)
        .values((
            closing_manifests::tender_id.eq(id),
            closing_manifests::round.eq(t.round),
            closing_manifests::manifest.eq(&manifest),
            closing_manifests::closed_at.eq(now),
        ))
        .execute(conn)
        .await?;
    let (mut min, citation) = crate::decide::rules::min_bids(conn, t.id).await?;
    if let Some(invited) = super::rounds::invited(conn, &t).await? {
        // a later round of final offers needs the invited suppliers' offers, at most the minimum
        min = min.min(invited.len() as i64);
    }
    let enough = finals.len() as i64 >= min;
    let next = if enough {
        g.next_as_platform::<TenderMachine>(TenderStatus::Bidding, TenderAction::Close)?
    } else {
        g.next_as_platform::<TenderMachine>(TenderStatus::Bidding, TenderAction::Fail)?
    };
    set_status(conn, id, next).await?;
    let reason = (!enough).then(|| {
        format!(
            "{} bid(s) received, {min} required ({citation}): no opening; the project may re-tender",
            finals.len()
        )
    });
    diesel::update(tenders::table.find(id))
        .set((
            tenders::closed_at.eq(now),
            tenders::failure_reason.eq(reason.as_deref()),
        ))
        .execute(conn)
        .await?;
    let subject = Some(("tender", id.to_string()));
    audit::record(
        conn,
        &Actor::system("tender.close"),
        "tender.close",
        subject.clone(),
        json!({"round": t.round, "bids": finals.len(), "failed": !enough}),
    )
    .await?;
    outbox::emit(
        conn,
        Kind::Public,
        "tender.closing_manifest",
        subject.clone(),
        manifest,
    )
    .await?;
    outbox::emit(
        conn,
        Kind::Event,
        if enough {
            "tender.closed"
        } else {
            "tender.failed"
        },
        subject.clone(),
        json!({"round": t.round, "bids": finals.len(), "reason": reason}),
    )
    .await?;
    if let Some(reason) = reason {
        // the failure is public (流标): the OCDS feed reports it as a tender cancellation
        outbox::emit(
            conn,
            Kind::Public,
            "tender.failed",
            subject,
            json!({"tender_id": id, "round": t.round, "stage": "closing", "reason": reason,
                   "failed_at": clock::fmt(now)}),
        )
        .await?;
    }
    if enough {
        crate::notify::triggers::opening_due(conn, id, finals.len()).await?;
    }
    Ok(())
}

/// The signed closing manifest of the tender's current round (public after the deadline).
#[utoipa::path(get, path = "/api/v1/tenders/{id}/closing-manifest", tag = "public",
    params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 200, description = "the signed manifest, exactly as signed"),
              (status = 404, body = Problem, description = "not_found: no manifest yet")))]
pub async fn get_manifest(ctx: Ctx, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let mut conn = ctx.conn().await?;
    let manifest: Value = closing_manifests::table
        .filter(closing_manifests::tender_id.eq(id))
        .order(closing_manifests::round.desc())
        .select(closing_manifests::manifest)
        .first(&mut conn)
        .await
        .optional()?
        .ok_or_else(|| AppError::not_found("closing manifest"))?;
    Ok(HttpResponse::Ok().json(manifest))
}
