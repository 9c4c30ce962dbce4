//! Bids on a lot: the lot row is locked `FOR UPDATE`, the platform clock read after the lock, due
//! stage changes applied, the bid checked (API.md refusal codes) and, when valid, the price, the
//! leader and the countdown (`ends_at = max(ends_at, now + countdown)`) written with the bid log.
//! Bids on one lot are therefore strictly ordered, with no lost update.

use actix_web::{HttpResponse, web};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{advance, emit, engine, load, pending_holds, schedule, store};
use crate::core::money::Money;
use crate::core::transition::guard;
use crate::core::{audit, clock};
use crate::db::schema::{auction_bids, auction_registrations, auctions};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;

/// A bid.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BidCmd {
    /// The amount: the start price plus a whole number of increments, above the current price.
    pub amount: Money,
}

/// A qualified bidder bids → `201 {seq, amount, ends_at, server_time}`.
#[utoipa::path(post, path = "/api/v1/auctions/{id}/bids", tag = "execute", request_body = BidCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "auction id")),
    responses((status = 201, description = "{seq, amount, ends_at, server_time}"), (status = 400, body = Problem),
              (status = 404, body = Problem),
              (status = 409, body = Problem, description = "auction_not_started, auction_closed, not_qualified, below_minimum, not_increment_multiple"),
              (status = 423, body = Problem)))]
pub async fn bid(ctx: Ctx, path: web::Path<Uuid>, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let (addr, fp) = (ctx.client_addr.clone(), ctx.fingerprint.clone());
    let mut conn = ctx.conn().await?;
    let v = conn
        .transaction(async |c| {
            let mut a = load(c, id, true).await?;
            if !a.published {
                return Err(AppError::not_found("auction"));
            }
            // Everything read under the lot's lock goes out in one pipeline (one round trip
            // instead of four): the lock is the lot's throughput limit, so the time it is held
            // is what counts. The clock is still read after the lock.
            let org = caller.org_id;
            let reg_query = org.map(|org| {
                auction_registrations::table
                    .filter(auction_registrations::auction_id.eq(id))
                    .filter(auction_registrations::org_id.eq(org))
                    .select((auction_registrations::id, auction_registrations::status, auction_registrations::bidder_number))
            });
            let shared: &AsyncPgConnection = c;
            // each pipelined call borrows its own copy of the shared reference
            let (mut c1, mut c2, mut c3) = (shared, shared, shared);
            let (held, reg, now, holds) = futures_util::join!(
                guard(&mut c1, a.subject()),
                async {
                    match reg_query {
                        Some(q) => q.first::<(Uuid, String, Option<String>)>(&mut &*shared).await.optional(),
                        None => Ok(None),
                    }
                },
                clock::now(&mut c2),
                pending_holds(&mut c3, &a),
            );
            held?;
            let cmd: BidCmd = body.parse()?;
            org.ok_or_else(|| AppError::forbidden("org_required", "this account belongs to no org"))?;
            let (rid, number) = match reg? {
                Some((rid, status, Some(number))) if status == "qualified" => (rid, number),
                _ => return Err(AppError::conflict("not_qualified", "register and have your deposit confirmed first")),
            };
            let now = now?;
            // the lot's own timers only write when a hold or a stage change is due
            if advance(c, &mut a, now, holds?).await? {
                store(c, &a).await?;
                schedule(c, &a).await?;
            }
            let mut lot = a.lot()?;
            let amount = cmd.amount.amount();
            engine::check_bid(&lot, now, amount).map_err(|r| AppError::conflict(r.code(), refusal_detail(r, &lot)))?;
            let extended = engine::accept(&mut lot, now, amount);
            let seq = a.bid_count + 1;
            a.bid_count = seq;
            a.current_price = Some(amount);
            a.leader_registration = Some(rid);
            a.ends_at = lot.ends_at;
            let ends_at = a.ends_at.map(clock::fmt);
            let data = json!({"bid_seq": seq, "amount": format!("{amount:.2}"), "bidder_number": number,
                              "ends_at": ends_at, "stage": a.stage, "bid_count": seq});
            // the writes are independent of each other: one pipeline too
            let shared: &AsyncPgConnection = c;
            let insert = diesel::insert_into(auction_bids::table)
                .values((auction_bids::auction_id.eq(id), auction_bids::seq.eq(seq), auction_bids::registration_id.eq(rid),
                         auction_bids::amount.eq(amount), auction_bids::stage.eq(&a.stage), auction_bids::at.eq(now),
                         auction_bids::ends_at.eq(lot.ends_at), auction_bids::client_addr.eq(addr.as_deref()),
                         auction_bids::fingerprint.eq(fp.as_deref())))
                .execute(&mut &*shared);
            let update = diesel::update(auctions::table.find(id))
                .set((auctions::bid_count.eq(seq), auctions::current_price.eq(Some(amount)),
                      auctions::leader_registration.eq(Some(rid)), auctions::ends_at.eq(a.ends_at)))
                .execute(&mut &*shared);
            let (mut c1, mut c2) = (shared, shared);
            let audit = audit::record(&mut c1, &actor, "auction.bid", Some(("auction", id.to_string())), data.clone());
            let event = emit(&mut c2, id, "bid", data);
            let (inserted, updated, audited, emitted) = futures_util::join!(insert, update, audit, event);
            inserted?;
            updated?;
            audited?;
            emitted?;
            if extended {
                schedule(c, &a).await?;
                emit(c, id, "extended", json!({"ends_at": ends_at, "stage": a.stage})).await?;
            }
            Ok::<_, AppError>(json!({"seq": seq, "amount": format!("{amount:.2}"), "bidder_number": number,
                                    "ends_at": ends_at, "server_time": clock::fmt(now)}))
        })
        .await?;
    Ok(HttpResponse::Created().json(v))
}

fn refusal_detail(r: engine::Refusal, lot: &engine::Lot) -> String {
    match r {
        engine::Refusal::NotStarted => format!("bidding starts at {}", clock::fmt(lot.starts_at)),
        engine::Refusal::Closed => "the auction is closed".into(),
        engine::Refusal::BelowMinimum => match lot.current_price {
            Some(p) => format!("the current price is {p:.2}: bid above it"),
            None => format!("the start price is {:.2}", lot.start_price),
        },
        engine::Refusal::NotIncrementMultiple => {
            format!(
                "bids are {:.2} plus a whole number of increments of {:.2}",
                lot.start_price, lot.increment
            )
        }
    }
}
