//! The result of a closed lot: sold or unsold, the price, the winner, the reserve price (revealed
//! now), the premium over the start price, the bid log with anonymous numbers, and the 成交确认书
//! data. Public after the close.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use super::load;
use crate::core::clock;
use crate::db::schema::{auction_bids, auction_registrations, orgs};
use crate::error::{AppError, AppResult, Problem};
use crate::http::ctx::Ctx;

/// (seq, amount, stage, at, bidder number).
type LoggedBid = (i32, Decimal, String, DateTime<Utc>, Option<String>);

/// The result (public after the close).
#[utoipa::path(get, path = "/api/v1/auctions/{id}/result", tag = "public",
    params(("id" = Uuid, Path, description = "auction id")),
    responses((status = 200, description = "{status: sold|unsold, price?, winner_name?, reserve_price, premium?, bids}"),
              (status = 404, body = Problem, description = "not_found: not closed yet")))]
pub async fn result(ctx: Ctx, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let mut conn = ctx.conn().await?;
    let a = load(&mut conn, id, false).await?;
    let Some(status) = a.result.clone().filter(|_| a.stage == "closed") else {
        return Err(AppError::not_found("result"));
    };
    let reserve = super::reserve_price(&mut conn, id).await?;
    let bids: Vec<LoggedBid> = auction_bids::table
        .inner_join(
            auction_registrations::table
                .on(auction_registrations::id.eq(auction_bids::registration_id)),
        )
        .filter(auction_bids::auction_id.eq(id))
        .order(auction_bids::seq.asc())
        .select((
            auction_bids::seq,
            auction_bids::amount,
            auction_bids::stage,
            auction_bids::at,
            auction_registrations::bidder_number,
        ))
        .load(&mut conn)
        .await?;
    let sold = status == "sold";
    let winner: Option<(String, String, Option<String>)> = match (sold, a.leader_registration) {
        (true, Some(r)) => auction_registrations::table
            .inner_join(orgs::table.on(orgs::id.eq(auction_registrations::org_id)))
            .filter(auction_registrations::id.eq(r))
            .select((orgs::name, orgs::code, auction_registrations::bidder_number))
            .first(&mut conn)
            .await
            .optional()?,
        _ => None,
    };
    let price = a.current_price.filter(|_| sold);
    let premium = price.map(|p| p - a.start_price);
    let rate = premium.map(|d| (d / a.start_price * Decimal::ONE_HUNDRED).round_dp(2));
    let money = |d: Decimal| format!("{d:.2}");
    Ok(HttpResponse::Ok().json(json!({
        "auction_id": id, "code": a.code, "title": a.title, "format": a.format, "status": status,
        "price": price.map(money), "start_price": money(a.start_price),
        "reserve_price": reserve.map(money),
        "premium": premium.map(money), "premium_rate": rate.map(|r| format!("{r:.2}")),
        "winner_name": winner.as_ref().map(|w| w.0.clone()), "winner_org_code": winner.as_ref().map(|w| w.1.clone()),
        "winner_number": winner.as_ref().and_then(|w| w.2.clone()),
        "closed_at": a.closed_at.map(clock::fmt),
        // 成交确认书: who bought what for how much, when
        "confirmation": winner.as_ref().map(|w| json!({"lot": a.code, "title": a.title, "buyer": w.0, "buyer_org_code": w.1,
            "price": price.map(money), "closed_at": a.closed_at.map(clock::fmt)})),
        "bids": bids.iter().map(|(seq, amount, stage, at, number)| json!({
            "seq": seq, "amount": money(*amount), "stage": stage, "at": clock::fmt(*at), "bidder_number": number})).collect::<Vec<_>>(),
    })))
}
