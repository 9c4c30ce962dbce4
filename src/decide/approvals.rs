//! The regulator's approval of a project into the platform (decide plane), with the
//! 依法必须招标 flag that switches on the statutory periods that apply only to such projects.

use actix_web::{HttpResponse, web};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::audit;
use crate::core::outbox::{self, Kind};
use crate::core::transition::{self, Subject};
use crate::db::schema::project_approvals;
use crate::error::{AppError, AppResult, Problem};
use crate::execute::projects::{self, ProjectAction, ProjectMachine, ProjectStatus};
use crate::http::body::Command;
use crate::http::ctx::Ctx;

/// The regulator's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Approve into the platform.
    Approve,
    /// Reject.
    Reject,
}

/// Approval command.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalCmd {
    /// approve or reject.
    pub decision: Decision,
    /// Reason (required).
    pub reason: String,
    /// 依法必须招标.
    pub must_tender: bool,
}

/// The recorded decision.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApprovalView {
    /// Approval id.
    pub id: Uuid,
    /// Project id.
    pub project_id: Uuid,
    /// Decision.
    pub decision: Decision,
    /// 依法必须招标.
    pub must_tender: bool,
    /// The project's status after it.
    pub status: ProjectStatus,
}

/// Approves or rejects a project (regulator).
#[utoipa::path(post, path = "/api/v1/projects/{id}/approval", tag = "decide", request_body = ApprovalCmd,
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "project id")),
    responses((status = 201, body = ApprovalView),
              (status = 404, body = Problem),
              (status = 409, body = Problem, description = "invalid_state (already decided)"),
              (status = 423, body = Problem, description = "suspended")))]
pub async fn decide_approval(
    ctx: Ctx,
    id: web::Path<Uuid>,
    body: Command,
) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let project_id = id.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let view = conn
        .transaction(async |c| {
            let p = projects::load(c, project_id).await?;
            let guarded = transition::guard(c, Subject::project(project_id)).await?;
            let cmd: ApprovalCmd = body.parse()?;
            if cmd.reason.trim().is_empty() {
                return Err(AppError::unprocessable(
                    "invalid_field",
                    "a reason is required",
                ));
            }
            let action = match cmd.decision {
                Decision::Approve => ProjectAction::Approve,
                Decision::Reject => ProjectAction::Reject,
            };
            let status = guarded.next::<ProjectMachine>(p.view.status, action, caller.role)?;
            let approval_id = Uuid::now_v7();
            diesel::insert_into(project_approvals::table)
                .values((
                    project_approvals::id.eq(approval_id),
                    project_approvals::project_id.eq(project_id),
                    project_approvals::decision.eq(match cmd.decision {
                        Decision::Approve => "approve",
                        Decision::Reject => "reject",
                    }),
                    project_approvals::reason.eq(cmd.reason.trim()),
                    project_approvals::must_tender.eq(cmd.must_tender),
                    project_approvals::decided_by.eq(caller.user_id),
                ))
                .execute(c)
                .await
                .map_err(|e| match e {
                    diesel::result::Error::DatabaseError(
                        diesel::result::DatabaseErrorKind::UniqueViolation,
                        _,
                    ) => {
                        AppError::conflict("invalid_state", "this project has already been decided")
                    }
                    e => e.into(),
                })?;
            let subject = Some(("project", project_id.to_string()));
            let topic = if status == ProjectStatus::Approved {
                "project.approved"
            } else {
                "project.rejected"
            };
            audit::record(
                c,
                &actor,
                topic,
                subject.clone(),
                json!({"reason": cmd.reason.trim(), "must_tender": cmd.must_tender}),
            )
            .await?;
            outbox::emit(
                c,
                Kind::Event,
                topic,
                subject,
                json!({"code": p.view.code, "must_tender": cmd.must_tender}),
            )
            .await?;
            Ok::<_, AppError>(ApprovalView {
                id: approval_id,
                project_id,
                decision: cmd.decision,
                must_tender: cmd.must_tender,
                status,
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}
