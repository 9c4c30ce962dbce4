//! `POST /me/subscriptions`: a bidder subscribes to new notices of a line of business
//! (construction / procurement / property / land, the projects' `category`).

use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::core::{audit, clock};
use crate::db::schema::mail_subscriptions;
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;

/// The lines of business one can subscribe to (the projects' `category`).
pub const CATEGORIES: [&str; 4] = ["construction", "procurement", "property", "land"];

/// A subscription request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscribeCmd {
    /// `construction`, `procurement`, `property` or `land`.
    pub category: String,
}

/// A subscription.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    /// The line of business.
    pub category: String,
    /// Since when.
    #[serde(with = "clock::serde_time")]
    pub subscribed_at: DateTime<Utc>,
}

/// Subscribes the caller to mail on new notices of a line of business; subscribing again
/// answers `200` with the existing subscription.
#[utoipa::path(post, path = "/api/v1/me/subscriptions", tag = "execute", request_body = SubscribeCmd,
    security(("bearer" = [])),
    responses((status = 201, body = SubscriptionView), (status = 200, body = SubscriptionView, description = "already subscribed"),
              (status = 400, body = Problem), (status = 422, body = Problem, description = "invalid_category")))]
pub async fn subscribe(ctx: Ctx, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let cmd: SubscribeCmd = body.parse()?;
    if !CATEGORIES.contains(&cmd.category.as_str()) {
        return Err(AppError::unprocessable(
            "invalid_category",
            format!("category is one of {}", CATEGORIES.join(", ")),
        ));
    }
    let mut conn = ctx.conn().await?;
    let (created, view) = conn
        .transaction(async |c| {
            let n = diesel::insert_into(mail_subscriptions::table)
                .values((
                    mail_subscriptions::user_id.eq(caller.user_id),
                    mail_subscriptions::category.eq(&cmd.category),
                ))
                .on_conflict_do_nothing()
                .execute(c)
                .await?;
            let at: DateTime<Utc> = mail_subscriptions::table
                .find((caller.user_id, &cmd.category))
                .select(mail_subscriptions::created_at)
                .first(c)
                .await?;
            if n == 1 {
                audit::record(
                    c,
                    &actor,
                    "mail.subscribe",
                    Some(("user", caller.user_id.to_string())),
                    json!({"category": cmd.category}),
                )
                .await?;
            }
            Ok::<_, AppError>((
                n == 1,
                SubscriptionView {
                    category: cmd.category.clone(),
                    subscribed_at: at,
                },
            ))
        })
        .await?;
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}
