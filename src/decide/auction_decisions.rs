//! The regulator's part in auctions: the sealed reserve price (底价, set by collective decision and
//! kept secret until the sale ends — no route shows it before the close, and the execute plane can
//! read it only through `ggzy_auction_reserve()` once the lot's close has committed) and the filing (备案) of
//! the result.

use actix_web::{HttpResponse, web};
use diesel::QueryableByName;
use diesel::sql_types::{Bool, Numeric, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::audit;
use crate::core::money::Money;
use crate::core::outbox::{self, Kind};
use crate::core::transition::{self, Subject, SubjectType};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;

/// The reserve price.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReserveCmd {
    /// 底价.
    pub amount: Money,
}

#[derive(QueryableByName)]
struct Head {
    #[diesel(sql_type = SqlUuid)]
    project_id: Uuid,
    /// The close as recorded by `ggzy_auction_close()` (a fact the execute plane cannot write),
    /// not the execute plane's `stage` column.
    #[diesel(sql_type = Bool)]
    closed: bool,
    #[diesel(sql_type = Bool)]
    filed: bool,
}

async fn head(c: &mut diesel_async::AsyncPgConnection, id: Uuid) -> AppResult<Head> {
    let rows: Vec<Head> = diesel::sql_query(
        "SELECT a.project_id, EXISTS (SELECT 1 FROM auction_closes c WHERE c.auction_id = a.id) AS closed, EXISTS (SELECT 1 FROM auction_filings f WHERE f.auction_id = a.id) AS filed \
         FROM auctions a WHERE a.id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .load(c)
    .await?;
    let h = rows
        .into_iter()
        .next()
        .ok_or_else(|| AppError::not_found("auction"))?;
    transition::guard(
        c,
        Subject {
            kind: SubjectType::Auction,
            id,
            project_id: h.project_id,
        },
    )
    .await?;
    Ok(h)
}

/// The regulator sets (or changes, before the close) the sealed reserve price.
#[utoipa::path(put, path = "/api/v1/auctions/{id}/reserve-price", tag = "decide", request_body = ReserveCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "auction id")),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem, description = "auction_closed"),
              (status = 423, body = Problem)))]
pub async fn set_reserve(
    ctx: Ctx,
    path: web::Path<Uuid>,
    body: Command,
) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let id = path.into_inner();
    let mut conn = ctx.conn().await?;
    conn.transaction(async |c| {
        let h = head(c, id).await?;
        let cmd: ReserveCmd = body.parse()?;
        if h.closed {
            return Err(AppError::conflict("auction_closed", "the reserve price is fixed once the sale ends"));
        }
        if cmd.amount.amount().is_zero() {
            return Err(AppError::unprocessable("invalid_field", "a reserve price above zero"));
        }
        diesel::sql_query(
            "INSERT INTO auction_reserve_prices (auction_id, amount, set_by) VALUES ($1, $2, $3) \
             ON CONFLICT (auction_id) DO UPDATE SET amount = EXCLUDED.amount, set_by = EXCLUDED.set_by, set_at = ggzy_now()",
        )
        .bind::<SqlUuid, _>(id)
        .bind::<Numeric, _>(cmd.amount.amount())
        .bind::<SqlUuid, _>(caller.user_id)
        .execute(c)
        .await?;
        // the audit entry records that it was set, not the amount: the log is read by supervisors
        // live and the price is sealed until the close
        audit::record(c, &actor, "auction.reserve_set", Some(("auction", id.to_string())), json!({})).await?;
        Ok::<_, AppError>(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// File a result.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuctionFilingCmd {
    /// A note.
    #[serde(default)]
    pub note: String,
}

/// The regulator files (备案) a closed lot's result.
#[utoipa::path(post, path = "/api/v1/auctions/{id}/filing", tag = "decide", request_body = AuctionFilingCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "auction id")),
    responses((status = 201, description = "{auction_id, filed: true}"), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "invalid_state, already_filed"), (status = 423, body = Problem)))]
pub async fn file_auction(
    ctx: Ctx,
    path: web::Path<Uuid>,
    body: Command,
) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let id = path.into_inner();
    let mut conn = ctx.conn().await?;
    conn.transaction(async |c| {
        let h = head(c, id).await?;
        let cmd: AuctionFilingCmd = body.parse()?;
        if !h.closed {
            return Err(AppError::conflict(
                "invalid_state",
                "a result is filed after the close",
            ));
        }
        if h.filed {
            return Err(AppError::conflict("already_filed", "this result is filed"));
        }
        diesel::sql_query(
            "INSERT INTO auction_filings (auction_id, note, filed_by) VALUES ($1, $2, $3)",
        )
        .bind::<SqlUuid, _>(id)
        .bind::<Text, _>(cmd.note.trim())
        .bind::<SqlUuid, _>(caller.user_id)
        .execute(c)
        .await?;
        audit::record(
            c,
            &actor,
            "auction.filing",
            Some(("auction", id.to_string())),
            json!({"note": cmd.note.trim()}),
        )
        .await?;
        outbox::emit(
            c,
            Kind::Public,
            "auction.filing",
            Some(("auction", id.to_string())),
            json!({"auction_id": id}),
        )
        .await?;
        Ok::<_, AppError>(())
    })
    .await?;
    Ok(HttpResponse::Created().json(json!({"auction_id": id, "filed": true})))
}
