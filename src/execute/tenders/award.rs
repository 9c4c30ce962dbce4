//! Award (中标通知书) after the publicity with no pending objection on the result, the contract
//! recorded and published, and cancellation (a failed or cancelled tender may be re-tendered as a
//! new tender of the project).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Lock, TenderAction, TenderMachine, load, require_owner, set_status};
use crate::core::money::Money;
use crate::core::outbox::{self, Kind};
use crate::core::transition::guard;
use crate::core::{audit, clock};
use crate::db::schema::{awards, bids, contracts, evaluations, orgs, tenders};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;

/// Name the winner.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardCmd {
    /// The winning bid (a candidate).
    pub bid_id: Uuid,
}

/// The tenderer names the winner among the candidates once the publicity has ended with no
/// objection on the result awaiting its reply.
#[utoipa::path(post, path = "/api/v1/tenders/{id}/award", tag = "execute", request_body = AwardCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 200, description = "the award notice"), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "publicity_running, objection_pending, invalid_state"),
              (status = 422, body = Problem, description = "not_a_candidate"), (status = 423, body = Problem)))]
pub async fn award(ctx: Ctx, path: web::Path<Uuid>, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let notice = conn
        .transaction(async |c| {
            let t = load(c, id, Lock::Update).await?;
            require_owner(c, &t, caller.org_id).await?;
            let g = guard(c, t.subject()).await?;
            let cmd: AwardCmd = body.parse()?;
            let next = g.next::<TenderMachine>(t.status()?, TenderAction::Award, caller.role)?;
            let now = clock::now(c).await?;
            if t.publicity_ends_at.is_some_and(|e| now < e) {
                return Err(AppError::conflict("publicity_running", format!(
                    "the candidate publicity runs until {}", clock::fmt(t.publicity_ends_at.unwrap_or(now)))));
            }
            super::objections::none_pending(c, id, &["result"]).await?;
            let ranking: Value = evaluations::table.find(id).select(evaluations::ranking).first(c).await?;
            let candidates: Vec<Uuid> = serde_json::from_value(ranking["candidates"].clone()).map_err(AppError::internal)?;
            if !candidates.contains(&cmd.bid_id) {
                return Err(AppError::unprocessable("not_a_candidate", "the winner is named among the published candidates (招标投标法实施条例 第五十五条)"));
            }
            let (name, code, price): (String, String, Option<rust_decimal::Decimal>) = bids::table
                .inner_join(orgs::table.on(orgs::id.eq(bids::org_id)))
                .filter(bids::id.eq(cmd.bid_id))
                .select((orgs::name, orgs::code, bids::price))
                .first(c).await?;
            diesel::insert_into(awards::table)
                .values((awards::tender_id.eq(id), awards::bid_id.eq(cmd.bid_id), awards::awarded_by.eq(caller.user_id)))
                .execute(c).await?;
            set_status(c, id, next).await?;
            let rank = candidates.iter().position(|b| *b == cmd.bid_id).map(|i| i + 1);
            let notice = json!({"tender_id": id, "code": t.code, "bid_id": cmd.bid_id, "winner_name": name, "org_code": code,
                                "price": price.map(|p| format!("{p:.2}")), "rank": rank, "awarded_at": clock::fmt(now)});
            let subject = Some(("tender", id.to_string()));
            audit::record(c, &actor, "tender.award", subject.clone(), notice.clone()).await?;
            outbox::emit(c, Kind::Public, "tender.award", subject.clone(), notice.clone()).await?;
            outbox::emit(c, Kind::Event, "tender.awarded", subject, json!({"bid_id": cmd.bid_id})).await?;
            let price = price.map(|p| format!("{p:.2}"));
            crate::notify::triggers::awarded(c, id, &name, price.as_deref()).await?;
            Ok::<_, AppError>(notice)
        })
        .await?;
    Ok(HttpResponse::Ok().json(notice))
}

/// The signed contract.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractCmd {
    /// Signed at.
    pub signed_at: DateTime<Utc>,
    /// Contract amount.
    pub amount: Money,
    /// SHA-256 of the contract document (hex).
    pub document_sha256: String,
}

/// Records and publishes the contract (招标投标法 第四十六条: within 30 日 of the award notice; a
/// later signing is recorded and flagged, never refused, so that nothing is lost).
#[utoipa::path(post, path = "/api/v1/tenders/{id}/contract", tag = "execute", request_body = ContractCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 200, description = "the published contract"), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem, description = "invalid_field"), (status = 423, body = Problem)))]
pub async fn contract(ctx: Ctx, path: web::Path<Uuid>, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let published = conn
        .transaction(async |c| {
            let t = load(c, id, Lock::Update).await?;
            require_owner(c, &t, caller.org_id).await?;
            let g = guard(c, t.subject()).await?;
            let cmd: ContractCmd = body.parse()?;
            let next = g.next::<TenderMachine>(t.status()?, TenderAction::Contract, caller.role)?;
            let sha = cmd.document_sha256.trim().to_ascii_lowercase();
            if sha.len() != 64 || !sha.chars().all(|ch| ch.is_ascii_hexdigit()) {
                return Err(AppError::unprocessable("invalid_field", "document_sha256 is 64 hex digits"));
            }
            let now = clock::now(c).await?;
            let awarded_at: DateTime<Utc> = awards::table.find(id).select(awards::awarded_at).first(c).await?;
            if cmd.signed_at < awarded_at || cmd.signed_at > now {
                return Err(AppError::unprocessable("invalid_field", "signed_at lies between the award and now"));
            }
            let late = cmd.signed_at > awarded_at + chrono::Duration::days(30);
            diesel::insert_into(contracts::table)
                .values((contracts::tender_id.eq(id), contracts::signed_at.eq(cmd.signed_at), contracts::amount.eq(cmd.amount.amount()),
                         contracts::document_sha256.eq(&sha), contracts::recorded_by.eq(caller.user_id)))
                .execute(c).await?;
            set_status(c, id, next).await?;
            let published = json!({"tender_id": id, "code": t.code, "signed_at": clock::fmt(cmd.signed_at),
                                   "amount": cmd.amount.to_string(), "currency": "CNY", "document_sha256": sha,
                                   "late": late});
            let subject = Some(("tender", id.to_string()));
            audit::record(c, &actor, "tender.contract", subject.clone(), published.clone()).await?;
            outbox::emit(c, Kind::Public, "tender.contract", subject.clone(), published.clone()).await?;
            outbox::emit(c, Kind::Event, "tender.contracted", subject, json!({"late": late})).await?;
            Ok::<_, AppError>(published)
        })
        .await?;
    Ok(HttpResponse::Ok().json(published))
}

/// Cancel a tender.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelCmd {
    /// Why.
    pub reason: String,
}

/// The tenderer cancels the tender (it may be re-tendered as a new tender of the project).
#[utoipa::path(post, path = "/api/v1/tenders/{id}/cancel", tag = "execute", request_body = CancelCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem), (status = 423, body = Problem)))]
pub async fn cancel(ctx: Ctx, path: web::Path<Uuid>, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    conn.transaction(async |c| {
        let t = load(c, id, Lock::Update).await?;
        require_owner(c, &t, caller.org_id).await?;
        let g = guard(c, t.subject()).await?;
        let cmd: CancelCmd = body.parse()?;
        let next = g.next::<TenderMachine>(t.status()?, TenderAction::Cancel, caller.role)?;
        if cmd.reason.trim().is_empty() {
            return Err(AppError::unprocessable("invalid_field", "give the reason"));
        }
        set_status(c, id, next).await?;
        diesel::update(tenders::table.find(id))
            .set(tenders::failure_reason.eq(Some(cmd.reason.trim())))
            .execute(c)
            .await?;
        let subject = Some(("tender", id.to_string()));
        audit::record(
            c,
            &actor,
            "tender.cancel",
            subject.clone(),
            json!({"reason": cmd.reason.trim()}),
        )
        .await?;
        outbox::emit(
            c,
            Kind::Public,
            "tender.cancellation",
            subject.clone(),
            json!({"tender_id": id, "reason": cmd.reason.trim()}),
        )
        .await?;
        outbox::emit(c, Kind::Event, "tender.cancelled", subject, json!({})).await?;
        Ok::<_, AppError>(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
