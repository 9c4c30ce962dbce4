//! Holds (暂停): a supervisor's directive or a regulator's order (招标投标法实施条例 第六十二条,
//! 电子招标投标办法 第五十二条) suspends a project, tender or auction; every state-changing action on it
//! then answers `423` through the shared transition function, and a resume moves its pending
//! deadlines by the hold's length. Served by the supervise plane (行政监督平台), written in its own
//! insert-only `holds` table; the latest row of a subject is its state.

use actix_web::HttpResponse;
use diesel::QueryableByName;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::outbox::{self, Kind};
use crate::core::{audit, clock};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;

/// A directive.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldCmd {
    /// project | tender | auction.
    pub subject_type: String,
    /// The subject.
    pub subject_id: Uuid,
    /// suspend | resume.
    pub kind: String,
    /// Why (the directive's or order's grounds).
    pub reason: String,
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

#[derive(QueryableByName)]
struct Latest {
    #[diesel(sql_type = Text)]
    kind: String,
}

async fn exists(conn: &mut AsyncPgConnection, subject_type: &str, id: Uuid) -> AppResult<bool> {
    let table = match subject_type {
        "project" => "projects",
        "tender" => "tenders",
        "auction" => "auctions",
        _ => {
            return Err(AppError::unprocessable(
                "invalid_field",
                "subject_type is project, tender or auction",
            ));
        }
    };
    let rows: Vec<Found> = diesel::sql_query(format!("SELECT id FROM {table} WHERE id = $1"))
        .bind::<SqlUuid, _>(id)
        .load(conn)
        .await?;
    Ok(!rows.is_empty())
}

/// Suspends or resumes a project, tender or auction (supervisor or regulator) → `201 {id}`.
#[utoipa::path(post, path = "/api/v1/holds", tag = "supervise", request_body = HoldCmd, security(("bearer" = [])),
    responses((status = 201, description = "{id, subject_type, subject_id, kind, at}"), (status = 400, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem, description = "already_suspended, not_suspended"),
              (status = 422, body = Problem, description = "invalid_field")))]
pub async fn hold(ctx: Ctx, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let cmd: HoldCmd = body.parse()?;
    if !matches!(cmd.kind.as_str(), "suspend" | "resume") {
        return Err(AppError::unprocessable(
            "invalid_field",
            "kind is suspend or resume",
        ));
    }
    if cmd.reason.trim().is_empty() {
        return Err(AppError::unprocessable(
            "invalid_field",
            "give the grounds of the directive",
        ));
    }
    let mut conn = ctx.conn().await?;
    let answer = conn
        .transaction(async |c| {
            if !exists(c, &cmd.subject_type, cmd.subject_id).await? {
                return Err(AppError::not_found(&cmd.subject_type));
            }
            // one directive at a time per subject: the latest row is the state
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind::<Text, _>(format!("hold:{}:{}", cmd.subject_type, cmd.subject_id))
                .execute(c)
                .await?;
            let latest: Vec<Latest> = diesel::sql_query(
                "SELECT kind FROM holds WHERE subject_type = $1 AND subject_id = $2 ORDER BY seq DESC LIMIT 1",
            )
            .bind::<Text, _>(&cmd.subject_type)
            .bind::<SqlUuid, _>(cmd.subject_id)
            .load(c)
            .await?;
            let suspended = latest.into_iter().next().is_some_and(|l| l.kind == "suspend");
            match (cmd.kind.as_str(), suspended) {
                ("suspend", true) => return Err(AppError::conflict("already_suspended", "this subject is suspended")),
                ("resume", false) => return Err(AppError::conflict("not_suspended", "this subject is not suspended")),
                _ => {}
            }
            let id = Uuid::now_v7();
            diesel::sql_query(
                "INSERT INTO holds (id, subject_type, subject_id, kind, reason, ordered_by, ordered_role) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind::<SqlUuid, _>(id)
            .bind::<Text, _>(&cmd.subject_type)
            .bind::<SqlUuid, _>(cmd.subject_id)
            .bind::<Text, _>(&cmd.kind)
            .bind::<Text, _>(cmd.reason.trim())
            .bind::<SqlUuid, _>(caller.user_id)
            .bind::<Text, _>(caller.role.as_str())
            .execute(c)
            .await?;
            let now = clock::now(c).await?;
            let subject = Some((cmd.subject_type.as_str(), cmd.subject_id.to_string()));
            let details = json!({"hold_id": id, "subject_type": cmd.subject_type, "subject_id": cmd.subject_id,
                                 "kind": cmd.kind, "reason": cmd.reason.trim(), "ordered_role": caller.role.as_str(),
                                 "at": clock::fmt(now)});
            audit::record(c, &actor, &format!("hold.{}", cmd.kind), subject.clone(), details.clone()).await?;
            outbox::emit(c, Kind::Public, &format!("hold.{}", cmd.kind), subject.clone(), details.clone()).await?;
            outbox::emit(c, Kind::Event, &format!("hold.{}", cmd.kind), subject, details.clone()).await?;
            // the bidding halls of the lots concerned hear it at once
            let lots: Vec<Found> = match cmd.subject_type.as_str() {
                "auction" => vec![Found { id: cmd.subject_id }],
                "project" => diesel::sql_query("SELECT id FROM auctions WHERE project_id = $1")
                    .bind::<SqlUuid, _>(cmd.subject_id)
                    .load(c)
                    .await?,
                _ => vec![],
            };
            let hall = if cmd.kind == "suspend" { "auction.suspended" } else { "auction.resumed" };
            for lot in lots {
                outbox::emit(c, Kind::Event, hall, Some(("auction", lot.id.to_string())),
                    json!({"reason": cmd.reason.trim(), "ordered_role": caller.role.as_str()})).await?;
            }
            Ok::<_, AppError>(details)
        })
        .await?;
    Ok(HttpResponse::Created().json(answer))
}
