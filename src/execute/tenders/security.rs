//! Bid security (投标保证金): the bidder declares its payment with the payer account (or an
//! e-guarantee number), centre staff confirm arrival and refund. A bid without confirmed
//! security is non-compliant at evaluation. The payer account feeds the red flags (one account
//! paying for several bidders).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Lock, TenderAction, TenderMachine, load};
use crate::core::money::Money;
use crate::core::transition::guard;
use crate::core::{audit, clock};
use crate::db::schema::{bid_security, orgs};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;
use crate::http::idempotency::{self, Begin};

/// Declare bid security.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclareSecurityCmd {
    /// Amount.
    pub amount: Money,
    /// Payer's bank account (non-cash, 政府采购法实施条例 第三十三条).
    pub payer_account: Option<String>,
    /// Payer's bank.
    pub payer_bank: Option<String>,
    /// Payment reference.
    pub reference: Option<String>,
    /// Paid at.
    pub paid_at: Option<DateTime<Utc>>,
    /// Electronic guarantee number (instead of a payment).
    pub guarantee_no: Option<String>,
}

/// A bid security record.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SecurityView {
    /// Id.
    pub sid: Uuid,
    /// Bidder org code.
    pub org_code: String,
    /// Bidder name.
    pub bidder_name: String,
    /// Amount.
    pub amount: Money,
    /// Payer account.
    pub payer_account: Option<String>,
    /// Payer bank.
    pub payer_bank: Option<String>,
    /// Reference.
    pub reference: Option<String>,
    /// E-guarantee number.
    pub guarantee_no: Option<String>,
    /// declared | confirmed | refunded.
    pub status: String,
    /// Declared at.
    pub declared_at: String,
}

/// A bidder declares its bid security → `{sid}`.
#[utoipa::path(post, path = "/api/v1/tenders/{id}/bid-security", tag = "execute", request_body = DeclareSecurityCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 201, description = "{sid}"), (status = 400, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem), (status = 423, body = Problem)))]
pub async fn declare(ctx: Ctx, path: web::Path<Uuid>, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let key = ctx.idempotency_key.clone();
    let mut conn = ctx.conn().await?;
    let (status, value) = conn
        .transaction(async |c| {
            let claim = match idempotency::begin(c, key.as_deref(), caller.user_id, "declare_security", &body.0).await? {
                Begin::Repeat(s, v) => return Ok((s, v)),
                Begin::Claimed(claim) => Some(claim),
                Begin::NoKey => None,
            };
            let t = load(c, id, Lock::Share).await?;
            let g = guard(c, t.subject()).await?;
            let cmd: DeclareSecurityCmd = body.parse()?;
            g.next::<TenderMachine>(t.status()?, TenderAction::Bid, caller.role)?;
            let org = caller.org_id.ok_or_else(|| AppError::forbidden("org_required", "this account belongs to no org"))?;
            let blank = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
            if blank(&cmd.payer_account) && blank(&cmd.guarantee_no) {
                return Err(AppError::unprocessable("invalid_field", "give the payer_account or a guarantee_no"));
            }
            if cmd.amount.amount() < t.bid_security_amount {
                return Err(AppError::unprocessable("invalid_field", format!("the tender asks for {:.2}", t.bid_security_amount)));
            }
            let sid = Uuid::now_v7();
            diesel::insert_into(bid_security::table)
                .values((
                    bid_security::id.eq(sid),
                    bid_security::tender_id.eq(id),
                    bid_security::org_id.eq(org),
                    bid_security::amount.eq(cmd.amount.amount()),
                    bid_security::payer_account.eq(cmd.payer_account.as_deref().map(str::trim)),
                    bid_security::payer_bank.eq(cmd.payer_bank.as_deref()),
                    bid_security::reference.eq(cmd.reference.as_deref()),
                    bid_security::guarantee_no.eq(cmd.guarantee_no.as_deref()),
                    bid_security::paid_at.eq(cmd.paid_at),
                    bid_security::declared_by.eq(caller.user_id),
                ))
                .execute(c)
                .await?;
            audit::record(c, &actor, "tender.security_declare", Some(("tender", id.to_string())),
                json!({"sid": sid, "amount": cmd.amount.to_string(), "payer_account": cmd.payer_account})).await?;
            let v = json!({"sid": sid});
            idempotency::finish(c, claim, StatusCode::CREATED, &v).await?;
            Ok::<_, AppError>((StatusCode::CREATED, v))
        })
        .await?;
    Ok(idempotency::respond(status, value))
}

/// The tender's bid security records (centre staff).
#[utoipa::path(get, path = "/api/v1/tenders/{id}/bid-security", tag = "execute", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 200, description = "{items: [SecurityView]}"), (status = 404, body = Problem)))]
pub async fn list(ctx: Ctx, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let mut conn = ctx.conn().await?;
    load(&mut conn, id, Lock::None).await?;
    type Row = (
        Uuid,
        String,
        String,
        rust_decimal::Decimal,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        DateTime<Utc>,
    );
    let rows: Vec<Row> = bid_security::table
        .inner_join(orgs::table.on(orgs::id.eq(bid_security::org_id)))
        .filter(bid_security::tender_id.eq(id))
        .order(bid_security::declared_at.asc())
        .select((
            bid_security::id,
            orgs::code,
            orgs::name,
            bid_security::amount,
            bid_security::payer_account,
            bid_security::payer_bank,
            bid_security::reference,
            bid_security::guarantee_no,
            bid_security::status,
            bid_security::declared_at,
        ))
        .load(&mut conn)
        .await?;
    let items: Vec<SecurityView> = rows
        .into_iter()
        .map(|r| {
            Ok(SecurityView {
                sid: r.0,
                org_code: r.1,
                bidder_name: r.2,
                amount: Money::new(r.3).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?,
                payer_account: r.4,
                payer_bank: r.5,
                reference: r.6,
                guarantee_no: r.7,
                status: r.8,
                declared_at: clock::fmt(r.9),
            })
        })
        .collect::<AppResult<_>>()?;
    Ok(HttpResponse::Ok().json(json!({"items": items, "next": null})))
}

async fn step(
    ctx: Ctx,
    id: Uuid,
    sid: Uuid,
    from: &'static str,
    to: &'static str,
) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    conn.transaction(async |c| {
        let t = load(c, id, Lock::Share).await?;
        let g = guard(c, t.subject()).await?;
        g.next::<TenderMachine>(t.status()?, TenderAction::HandleSecurity, caller.role)?;
        let n = match to {
            "confirmed" => {
                diesel::update(
                    bid_security::table
                        .filter(bid_security::id.eq(sid))
                        .filter(bid_security::tender_id.eq(id))
                        .filter(bid_security::status.eq(from)),
                )
                .set((
                    bid_security::status.eq(to),
                    bid_security::confirmed_by.eq(Some(caller.user_id)),
                    bid_security::confirmed_at.eq(diesel::dsl::sql::<
                        diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
                    >("ggzy_now()")),
                ))
                .execute(c)
                .await?
            }
            _ => {
                diesel::update(
                    bid_security::table
                        .filter(bid_security::id.eq(sid))
                        .filter(bid_security::tender_id.eq(id))
                        .filter(bid_security::status.eq(from)),
                )
                .set((
                    bid_security::status.eq(to),
                    bid_security::refunded_by.eq(Some(caller.user_id)),
                    bid_security::refunded_at.eq(diesel::dsl::sql::<
                        diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
                    >("ggzy_now()")),
                ))
                .execute(c)
                .await?
            }
        };
        if n == 0 {
            return Err(AppError::conflict(
                "invalid_state",
                format!("no {from} bid security record {sid} on this tender"),
            ));
        }
        audit::record(
            c,
            &actor,
            &format!("tender.security_{to}"),
            Some(("tender", id.to_string())),
            json!({"sid": sid}),
        )
        .await?;
        Ok::<_, AppError>(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Centre staff confirm that the security arrived.
#[utoipa::path(post, path = "/api/v1/tenders/{id}/bid-security/{sid}/confirm", tag = "execute", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "tender id"), ("sid" = Uuid, Path, description = "record id")),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem), (status = 423, body = Problem)))]
pub async fn confirm(
    ctx: Ctx,
    path: web::Path<(Uuid, Uuid)>,
    _body: Command,
) -> AppResult<HttpResponse> {
    let (id, sid) = path.into_inner();
    step(ctx, id, sid, "declared", "confirmed").await
}

/// Centre staff record the refund.
#[utoipa::path(post, path = "/api/v1/tenders/{id}/bid-security/{sid}/refund", tag = "execute", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "tender id"), ("sid" = Uuid, Path, description = "record id")),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem), (status = 423, body = Problem)))]
pub async fn refund(
    ctx: Ctx,
    path: web::Path<(Uuid, Uuid)>,
    _body: Command,
) -> AppResult<HttpResponse> {
    let (id, sid) = path.into_inner();
    step(ctx, id, sid, "confirmed", "refunded").await
}
