//! The supervisor's contribution to a committee draw (DESIGN.md §5): given on site after the
//! centre's seed commitment is published, so that neither side alone chooses the committee. It is
//! written by the supervise plane in its own table; the execute plane derives the members.

use actix_web::{HttpResponse, web};
use diesel::QueryableByName;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::audit;
use crate::core::outbox::{self, Kind};
use crate::core::transition::{self, Subject, SubjectType};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;

/// The contribution.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContributionCmd {
    /// 32 random bytes as 64 hex digits.
    pub random: String,
}

#[derive(QueryableByName)]
struct DrawHead {
    #[diesel(sql_type = SqlUuid)]
    tender_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    project_id: Uuid,
    #[diesel(sql_type = Text)]
    status: String,
}

/// A supervisor on site adds the contribution; the draw then runs (`→ {draw_id, status: "drawn"}`).
#[utoipa::path(post, path = "/api/v1/committee-draws/{draw_id}/contribution", tag = "supervise",
    request_body = ContributionCmd, security(("bearer" = [])),
    params(("draw_id" = Uuid, Path, description = "draw id")),
    responses((status = 201, description = "{draw_id, status}"), (status = 400, body = Problem, description = "invalid_random"),
              (status = 404, body = Problem), (status = 409, body = Problem, description = "already_contributed, invalid_state"),
              (status = 423, body = Problem)))]
pub async fn contribute(ctx: Ctx, path: web::Path<Uuid>, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let draw_id = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    conn.transaction(async |c| {
        let heads: Vec<DrawHead> = diesel::sql_query(
            "SELECT d.tender_id, t.project_id, t.status FROM committee_draws d \
             JOIN tenders t ON t.id = d.tender_id WHERE d.id = $1",
        )
        .bind::<SqlUuid, _>(draw_id)
        .load(c)
        .await?;
        let head = heads
            .into_iter()
            .next()
            .ok_or_else(|| AppError::not_found("draw"))?;
        transition::guard(
            c,
            Subject {
                kind: SubjectType::Tender,
                id: head.tender_id,
                project_id: head.project_id,
            },
        )
        .await?;
        let cmd: ContributionCmd = body.parse()?;
        let random = hex::decode(cmd.random.trim())
            .ok()
            .filter(|b| b.len() == 32)
            .ok_or_else(|| {
                AppError::bad_request("invalid_random", "random must be 64 hex digits (32 bytes)")
            })?;
        if !matches!(head.status.as_str(), "closed" | "opening" | "evaluation") {
            return Err(AppError::conflict(
                "invalid_state",
                "the committee is formed between the closing and the evaluation",
            ));
        }
        let n = diesel::sql_query(
            "INSERT INTO draw_contributions (draw_id, random, contributed_by) VALUES ($1, $2, $3) \
             ON CONFLICT (draw_id) DO NOTHING",
        )
        .bind::<SqlUuid, _>(draw_id)
        .bind::<diesel::sql_types::Bytea, _>(&random)
        .bind::<SqlUuid, _>(caller.user_id)
        .execute(c)
        .await?;
        if n == 0 {
            return Err(AppError::conflict(
                "already_contributed",
                "this draw has its contribution",
            ));
        }
        let subject = Some(("tender", head.tender_id.to_string()));
        let details = json!({"draw_id": draw_id, "contribution": hex::encode(&random)});
        audit::record(
            c,
            &actor,
            "committee.contribution",
            subject.clone(),
            details.clone(),
        )
        .await?;
        outbox::emit(c, Kind::Public, "committee.contribution", subject, details).await?;
        Ok::<_, AppError>(())
    })
    .await?;
    Ok(HttpResponse::Created().json(json!({"draw_id": draw_id, "status": "drawn"})))
}
