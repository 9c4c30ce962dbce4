//! The regulator accepts (受理) and decides complaints filed on the supervision platform: the
//! acceptance is due within 3 工作日 (招标投标法实施条例 第六十一条) or 5 工作日 in procurement
//! (政府采购质疑和投诉办法 第二十一条), the decision within 30 工作日 of the acceptance
//! (第六十一条; 政府采购法 第五十六条). A late answer is recorded all the same, marked `late`.
//! Decide rows; the supervise plane derives the complaint's status from them.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::outbox::{self, Kind};
use crate::core::{audit, clock};
use crate::db::schema::{complaint_acceptances, complaint_decisions, complaints};
use crate::decide::rules::{load_calendar, load_rules};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;
use crate::supervise::complaints::complaint_period_end;

/// Accept or reject a complaint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptanceCmd {
    /// Whether the complaint is accepted (受理).
    pub accepted: bool,
    /// Why.
    pub reason: String,
}

/// Decide an accepted complaint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionCmd {
    /// upheld | dismissed.
    pub decision: String,
    /// The written decision.
    pub text: String,
}

type Head = (String, String, Uuid, DateTime<Utc>);

async fn head(c: &mut diesel_async::AsyncPgConnection, id: Uuid) -> AppResult<Head> {
    complaints::table
        .find(id)
        .select((
            complaints::regime,
            complaints::subject_type,
            complaints::subject_id,
            complaints::filed_at,
        ))
        .first(c)
        .await
        .optional()?
        .ok_or_else(|| AppError::not_found("complaint"))
}

/// The regulator accepts or rejects a complaint → `201 {complaint_id, status, due_at, late}`.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/acceptance", tag = "decide", request_body = AcceptanceCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "complaint id")),
    responses((status = 201, description = "{complaint_id, status: accepted|rejected, due_at, late}"),
              (status = 400, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "already_decided"),
              (status = 422, body = Problem, description = "invalid_field, calendar_missing")))]
pub async fn accept(ctx: Ctx, path: web::Path<Uuid>, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let id = path.into_inner();
    let mut conn = ctx.conn().await?;
    let answer = conn
        .transaction(async |c| {
            let (regime, subject_type, subject_id, filed_at) = head(c, id).await?;
            let cmd: AcceptanceCmd = body.parse()?;
            let reason = cmd.reason.trim();
            if reason.is_empty() {
                return Err(AppError::unprocessable(
                    "invalid_field",
                    "the acceptance gives its reason",
                ));
            }
            let now = clock::now(c).await?;
            let rules = load_rules(c).await?;
            let cal = load_calendar(c).await?;
            let due = complaint_period_end(
                &rules,
                &cal.earliest(),
                &regime,
                "complaint_acceptance_max",
                filed_at,
            )?;
            let late = now > due;
            let n = diesel::insert_into(complaint_acceptances::table)
                .values((
                    complaint_acceptances::complaint_id.eq(id),
                    complaint_acceptances::accepted.eq(cmd.accepted),
                    complaint_acceptances::reason.eq(reason),
                    complaint_acceptances::due_at.eq(due),
                    complaint_acceptances::late.eq(late),
                    complaint_acceptances::decided_by.eq(caller.user_id),
                    complaint_acceptances::at.eq(now),
                ))
                .on_conflict_do_nothing()
                .execute(c)
                .await?;
            if n == 0 {
                return Err(AppError::conflict(
                    "already_decided",
                    "this complaint's acceptance is recorded",
                ));
            }
            let status = if cmd.accepted { "accepted" } else { "rejected" };
            let subject = Some((subject_type.as_str(), subject_id.to_string()));
            let details = json!({"complaint_id": id, "status": status, "reason": reason,
                                 "due_at": clock::fmt(due), "late": late});
            audit::record(
                c,
                &actor,
                "complaint.acceptance",
                subject.clone(),
                details.clone(),
            )
            .await?;
            outbox::emit(
                c,
                Kind::Event,
                &format!("complaint.{status}"),
                subject,
                details,
            )
            .await?;
            Ok::<_, AppError>(json!({"complaint_id": id, "status": status,
                                     "due_at": clock::fmt(due), "late": late}))
        })
        .await?;
    Ok(HttpResponse::Created().json(answer))
}

/// The regulator decides an accepted complaint → `201 {complaint_id, status, due_at, late}`;
/// before the acceptance → `409 not_accepted`.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/decision", tag = "decide", request_body = DecisionCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "complaint id")),
    responses((status = 201, description = "{complaint_id, status: upheld|dismissed, due_at, late}"),
              (status = 400, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "not_accepted, already_decided"),
              (status = 422, body = Problem, description = "invalid_field, calendar_missing")))]
pub async fn decide(ctx: Ctx, path: web::Path<Uuid>, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let id = path.into_inner();
    let mut conn = ctx.conn().await?;
    let answer = conn
        .transaction(async |c| {
            let (regime, subject_type, subject_id, _) = head(c, id).await?;
            let cmd: DecisionCmd = body.parse()?;
            if !matches!(cmd.decision.as_str(), "upheld" | "dismissed") {
                return Err(AppError::unprocessable(
                    "invalid_field",
                    "decision is upheld or dismissed",
                ));
            }
            let text = cmd.text.trim();
            if text.is_empty() {
                return Err(AppError::unprocessable(
                    "invalid_field",
                    "the decision is written out",
                ));
            }
            let acceptance: Option<(bool, DateTime<Utc>)> = complaint_acceptances::table
                .find(id)
                .select((complaint_acceptances::accepted, complaint_acceptances::at))
                .first(c)
                .await
                .optional()?;
            let accepted_at = match acceptance {
                None => {
                    return Err(AppError::conflict(
                        "not_accepted",
                        "a complaint is decided after it is accepted (招标投标法实施条例 第六十一条)",
                    ));
                }
                Some((false, _)) => {
                    return Err(AppError::conflict(
                        "not_accepted",
                        "this complaint was not accepted; there is nothing to decide",
                    ));
                }
                Some((true, at)) => at,
            };
            let now = clock::now(c).await?;
            let rules = load_rules(c).await?;
            let cal = load_calendar(c).await?;
            let due = complaint_period_end(
                &rules,
                &cal.earliest(),
                &regime,
                "complaint_decision_max",
                accepted_at,
            )?;
            let late = now > due;
            let n = diesel::insert_into(complaint_decisions::table)
                .values((
                    complaint_decisions::complaint_id.eq(id),
                    complaint_decisions::decision.eq(&cmd.decision),
                    complaint_decisions::text.eq(text),
                    complaint_decisions::due_at.eq(due),
                    complaint_decisions::late.eq(late),
                    complaint_decisions::decided_by.eq(caller.user_id),
                    complaint_decisions::at.eq(now),
                ))
                .on_conflict_do_nothing()
                .execute(c)
                .await?;
            if n == 0 {
                return Err(AppError::conflict(
                    "already_decided",
                    "this complaint is decided",
                ));
            }
            let subject = Some((subject_type.as_str(), subject_id.to_string()));
            let details = json!({"complaint_id": id, "status": cmd.decision,
                                 "due_at": clock::fmt(due), "late": late});
            audit::record(
                c,
                &actor,
                "complaint.decision",
                subject.clone(),
                details.clone(),
            )
            .await?;
            outbox::emit(
                c,
                Kind::Event,
                &format!("complaint.{}", cmd.decision),
                subject,
                details,
            )
            .await?;
            crate::notify::triggers::complaint_decided(c, id, cmd.decision == "upheld", text, late)
                .await?;
            Ok::<_, AppError>(json!({"complaint_id": id, "status": cmd.decision,
                                     "due_at": clock::fmt(due), "late": late}))
        })
        .await?;
    Ok(HttpResponse::Created().json(answer))
}
