//! The regulator's filing (备案) of a tender's result. A decide row that the execute plane reads:
//! a contracted tender with a filing is `filed` (derived, never written across planes).

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

/// File a result.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilingCmd {
    /// A note.
    #[serde(default)]
    pub note: String,
}

#[derive(QueryableByName)]
struct Head {
    #[diesel(sql_type = SqlUuid)]
    project_id: Uuid,
    #[diesel(sql_type = Text)]
    status: String,
}

/// Files (备案) a contracted tender's result.
#[utoipa::path(post, path = "/api/v1/tenders/{id}/filing", tag = "decide", request_body = FilingCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 201, description = "{tender_id, status: filed}"), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "invalid_state, already_filed"), (status = 423, body = Problem)))]
pub async fn file_tender(
    ctx: Ctx,
    path: web::Path<Uuid>,
    body: Command,
) -> AppResult<HttpResponse> {
    let actor = ctx.actor();
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let mut conn = ctx.conn().await?;
    conn.transaction(async |c| {
        let heads: Vec<Head> = diesel::sql_query("SELECT project_id, status FROM tenders WHERE id = $1")
            .bind::<SqlUuid, _>(id)
            .load(c)
            .await?;
        let head = heads.into_iter().next().ok_or_else(|| AppError::not_found("tender"))?;
        transition::guard(c, Subject { kind: SubjectType::Tender, id, project_id: head.project_id }).await?;
        let cmd: FilingCmd = body.parse()?;
        if head.status != "contracted" {
            return Err(AppError::conflict("invalid_state", "a result is filed once the contract is recorded"));
        }
        let n = diesel::sql_query(
            "INSERT INTO tender_filings (tender_id, note, filed_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind::<SqlUuid, _>(id)
        .bind::<Text, _>(cmd.note.trim())
        .bind::<SqlUuid, _>(caller.user_id)
        .execute(c)
        .await?;
        if n == 0 {
            return Err(AppError::conflict("already_filed", "this result is filed"));
        }
        let subject = Some(("tender", id.to_string()));
        audit::record(c, &actor, "tender.filing", subject.clone(), json!({"note": cmd.note.trim()})).await?;
        outbox::emit(c, Kind::Public, "tender.filing", subject.clone(), json!({"tender_id": id})).await?;
        outbox::emit(c, Kind::Event, "tender.filed", subject, json!({})).await?;
        Ok::<_, AppError>(())
    })
    .await?;
    Ok(HttpResponse::Created().json(json!({"tender_id": id, "status": "filed"})))
}
