//! The expert pool (评标专家库) kept by the regulator: each entry is an `expert` account with its
//! specialties, its employer (for recusal) and whether it is an economic expert.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::audit;
use crate::db::schema::{experts, users};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;

/// Add an expert to the pool.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddExpertCmd {
    /// The expert's account (role `expert`).
    pub user_id: Uuid,
    /// Specialties (专业), e.g. `房屋建筑`, `市政`, `信息化`.
    pub specialties: Vec<String>,
    /// The employer's 统一社会信用代码 (recusal when it bids).
    pub employer_org_code: String,
    /// An economic expert (经济专家).
    pub economic: bool,
}

/// Adds an expert account to the pool → `201 {user_id}`.
#[utoipa::path(post, path = "/api/v1/experts", tag = "decide", request_body = AddExpertCmd,
    security(("bearer" = [])),
    responses((status = 201, description = "{user_id}"), (status = 400, body = Problem),
              (status = 409, body = Problem, description = "already_in_pool"),
              (status = 422, body = Problem, description = "not_an_expert, invalid_field")))]
pub async fn add_expert(ctx: Ctx, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let value = conn
        .transaction(async |c| {
            let cmd: AddExpertCmd = body.parse()?;
            let mut specialties: Vec<String> = cmd
                .specialties
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            specialties.sort();
            specialties.dedup();
            if specialties.is_empty() {
                return Err(AppError::unprocessable(
                    "invalid_field",
                    "name at least one specialty",
                ));
            }
            if crate::identity::org_code::validate(cmd.employer_org_code.trim()).is_err() {
                return Err(AppError::unprocessable(
                    "invalid_field",
                    "employer_org_code is not a valid 统一社会信用代码",
                ));
            }
            let role: Option<String> = users::table
                .find(cmd.user_id)
                .select(users::role)
                .first(c)
                .await
                .optional()?;
            if role.as_deref() != Some("expert") {
                return Err(AppError::unprocessable(
                    "not_an_expert",
                    "the pool takes expert accounts only",
                ));
            }
            let n = diesel::insert_into(experts::table)
                .values((
                    experts::user_id.eq(cmd.user_id),
                    experts::specialties.eq(&specialties),
                    experts::employer_org_code.eq(cmd.employer_org_code.trim()),
                    experts::economic.eq(cmd.economic),
                    experts::added_by.eq(caller.user_id),
                ))
                .on_conflict_do_nothing()
                .execute(c)
                .await?;
            if n == 0 {
                return Err(AppError::conflict(
                    "already_in_pool",
                    "this expert is already in the pool",
                ));
            }
            audit::record(
                c,
                &actor,
                "expert.add",
                Some(("user", cmd.user_id.to_string())),
                json!({"specialties": specialties, "economic": cmd.economic}),
            )
            .await?;
            Ok::<_, AppError>(json!({"user_id": cmd.user_id}))
        })
        .await?;
    // a repeat is harmless: the second call answers 409 already_in_pool
    Ok(HttpResponse::build(StatusCode::CREATED).json(value))
}
