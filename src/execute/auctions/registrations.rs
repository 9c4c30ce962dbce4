//! Registration and deposits (竞买申请 / 保证金): a bidder registers, centre staff confirm the
//! deposit and the bidder becomes qualified with an anonymous number (竞买号) — the only name other
//! bidders ever see before the result. Deposits of those who did not win fall due for refund at
//! the close.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use rand::Rng;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::load;
use crate::core::transition::guard;
use crate::core::{audit, clock};
use crate::db::schema::{auction_registrations, orgs};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;

/// A bidder registers for a published lot (after the announcement, before the close).
#[utoipa::path(post, path = "/api/v1/auctions/{id}/registrations", tag = "execute", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "auction id")),
    responses((status = 201, description = "{registration_id, status: pending_deposit}"), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "already_registered, not_announced, auction_closed"), (status = 423, body = Problem)))]
pub async fn register(ctx: Ctx, path: web::Path<Uuid>, _body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let v = conn
        .transaction(async |c| {
            let a = load(c, id, false).await?;
            if !a.published {
                return Err(AppError::not_found("auction"));
            }
            guard(c, a.subject()).await?;
            let org = caller.org_id.ok_or_else(|| {
                AppError::forbidden("org_required", "this account belongs to no org")
            })?;
            let now = clock::now(c).await?;
            if now < a.announcement_at {
                return Err(AppError::conflict(
                    "not_announced",
                    "registration opens with the announcement",
                ));
            }
            if a.stage == "closed" {
                return Err(AppError::conflict(
                    "auction_closed",
                    "the auction is closed",
                ));
            }
            let rid = Uuid::now_v7();
            let n = diesel::insert_into(auction_registrations::table)
                .values((
                    auction_registrations::id.eq(rid),
                    auction_registrations::auction_id.eq(id),
                    auction_registrations::org_id.eq(org),
                    auction_registrations::user_id.eq(caller.user_id),
                ))
                .on_conflict_do_nothing()
                .execute(c)
                .await?;
            if n == 0 {
                return Err(AppError::conflict(
                    "already_registered",
                    "your organisation is registered for this lot",
                ));
            }
            // the register of bidders is secret before the result (电子招标投标办法 第二十一条): audit only
            audit::record(
                c,
                &actor,
                "auction.register",
                Some(("auction", id.to_string())),
                json!({"registration_id": rid}),
            )
            .await?;
            Ok::<_, AppError>(json!({"registration_id": rid, "status": "pending_deposit"}))
        })
        .await?;
    Ok(HttpResponse::Created().json(v))
}

/// The lot's registrations (centre staff).
#[utoipa::path(get, path = "/api/v1/auctions/{id}/registrations", tag = "execute", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "auction id")),
    responses((status = 200, description = "{items: [{registration_id, org_code, bidder_name, status, bidder_number}]}"),
              (status = 404, body = Problem)))]
pub async fn list(ctx: Ctx, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let mut conn = ctx.conn().await?;
    load(&mut conn, id, false).await?;
    type Row = (
        Uuid,
        String,
        String,
        String,
        Option<String>,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
    );
    let rows: Vec<Row> = auction_registrations::table
        .inner_join(orgs::table.on(orgs::id.eq(auction_registrations::org_id)))
        .filter(auction_registrations::auction_id.eq(id))
        .order(auction_registrations::registered_at.asc())
        .select((
            auction_registrations::id,
            orgs::code,
            orgs::name,
            auction_registrations::status,
            auction_registrations::bidder_number,
            auction_registrations::registered_at,
            auction_registrations::refund_due,
        ))
        .load(&mut conn)
        .await?;
    let items: Vec<_> = rows.into_iter().map(|(rid, code, name, status, number, at, due)| json!({
        "registration_id": rid, "org_code": code, "bidder_name": name, "status": status, "bidder_number": number,
        "registered_at": clock::fmt(at), "refund_due": due.map(clock::fmt)})).collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next": null})))
}

/// The deposit received.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepositCmd {
    /// The payer's account.
    pub payer_account: String,
    /// The payment reference.
    pub reference: String,
}

/// Centre staff confirm the deposit: the bidder is qualified and gets its anonymous number.
#[utoipa::path(post, path = "/api/v1/auctions/{id}/registrations/{rid}/deposit", tag = "execute", request_body = DepositCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "auction id"), ("rid" = Uuid, Path, description = "registration id")),
    responses((status = 200, description = "{registration_id, status: qualified, bidder_number}"), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "invalid_state"), (status = 423, body = Problem)))]
pub async fn confirm_deposit(
    ctx: Ctx,
    path: web::Path<(Uuid, Uuid)>,
    body: Command,
) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let (id, rid) = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let v = conn
        .transaction(async |c| {
            // the lot row orders the numbers handed out
            let a = load(c, id, true).await?;
            guard(c, a.subject()).await?;
            let cmd: DepositCmd = body.parse()?;
            if cmd.payer_account.trim().is_empty() {
                return Err(AppError::unprocessable("invalid_field", "the payer account is required"));
            }
            let taken: Vec<Option<String>> = auction_registrations::table
                .filter(auction_registrations::auction_id.eq(id))
                .select(auction_registrations::bidder_number)
                .load(c)
                .await?;
            // a random number, so that it says nothing about the order of registration
            let number = loop {
                let n = format!("{:04}", rand::thread_rng().gen_range(1000..10000));
                if !taken.iter().flatten().any(|t| *t == n) {
                    break n;
                }
            };
            let now = clock::now(c).await?;
            let n = diesel::update(auction_registrations::table
                    .filter(auction_registrations::id.eq(rid))
                    .filter(auction_registrations::auction_id.eq(id))
                    .filter(auction_registrations::status.eq("pending_deposit")))
                .set((auction_registrations::status.eq("qualified"), auction_registrations::bidder_number.eq(Some(&number)),
                      auction_registrations::payer_account.eq(Some(cmd.payer_account.trim())),
                      auction_registrations::reference.eq(Some(cmd.reference.trim())),
                      auction_registrations::confirmed_by.eq(Some(caller.user_id)), auction_registrations::confirmed_at.eq(Some(now))))
                .execute(c)
                .await?;
            if n == 0 {
                return Err(AppError::conflict("invalid_state", "no registration awaiting its deposit with this id"));
            }
            audit::record(c, &actor, "auction.deposit_confirm", Some(("auction", id.to_string())),
                json!({"registration_id": rid, "bidder_number": number, "payer_account": cmd.payer_account.trim()})).await?;
            Ok::<_, AppError>(json!({"registration_id": rid, "status": "qualified", "bidder_number": number}))
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Centre staff record a deposit's refund (after the close; the winner's deposit is kept).
#[utoipa::path(post, path = "/api/v1/auctions/{id}/registrations/{rid}/refund", tag = "execute", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "auction id"), ("rid" = Uuid, Path, description = "registration id")),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem, description = "invalid_state")))]
pub async fn refund(
    ctx: Ctx,
    path: web::Path<(Uuid, Uuid)>,
    _body: Command,
) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let (id, rid) = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    conn.transaction(async |c| {
        let a = load(c, id, false).await?;
        guard(c, a.subject()).await?;
        if a.stage != "closed" {
            return Err(AppError::conflict(
                "invalid_state",
                "deposits are refunded after the close",
            ));
        }
        if a.result.as_deref() == Some("sold") && a.leader_registration == Some(rid) {
            return Err(AppError::conflict(
                "invalid_state",
                "the winner's deposit becomes part of the price",
            ));
        }
        let now = clock::now(c).await?;
        let n = diesel::update(
            auction_registrations::table
                .filter(auction_registrations::id.eq(rid))
                .filter(auction_registrations::auction_id.eq(id))
                .filter(auction_registrations::status.eq("qualified")),
        )
        .set((
            auction_registrations::status.eq("refunded"),
            auction_registrations::refunded_by.eq(Some(caller.user_id)),
            auction_registrations::refunded_at.eq(Some(now)),
        ))
        .execute(c)
        .await?;
        if n == 0 {
            return Err(AppError::conflict(
                "invalid_state",
                "no qualified registration with this id",
            ));
        }
        audit::record(
            c,
            &actor,
            "auction.deposit_refund",
            Some(("auction", id.to_string())),
            json!({"registration_id": rid}),
        )
        .await?;
        Ok::<_, AppError>(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
