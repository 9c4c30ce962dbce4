//! Objections (异议; 质疑 in procurement) in their statutory windows: against the documents (≥ 10
//! 日 before the deadline, 招标投标法实施条例 第二十二条), at the opening (第四十四条), against the
//! result (during the publicity, 第五十四条). A pending objection guards the step it concerns
//! (`409 objection_pending`) until the tenderer replies.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::str::FromStr;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Lock, TenderAction, TenderMachine, is_owner, load, require_owner};
use crate::core::outbox::{self, Kind};
use crate::core::transition::guard;
use crate::core::{audit, clock};
use crate::db::schema::{bids, document_downloads, objections};
use crate::decide::rules::{calendar_missing, load_calendar, load_rules};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;
use crate::roles::Role;
use crate::rules::schedule::{self, ObjectionStage};

/// Refuses with `409 objection_pending` while an objection of one of `stages` awaits its reply.
pub async fn none_pending(
    conn: &mut AsyncPgConnection,
    tender_id: Uuid,
    stages: &[&str],
) -> AppResult<()> {
    let pending: i64 = objections::table
        .filter(objections::tender_id.eq(tender_id))
        .filter(objections::stage.eq_any(stages))
        .filter(objections::replied_at.is_null())
        .count()
        .get_result(conn)
        .await?;
    if pending > 0 {
        return Err(AppError::conflict(
            "objection_pending",
            format!(
                "{pending} objection(s) await the tenderer's reply (招标投标法实施条例 第二十二条、第五十四条)"
            ),
        ));
    }
    Ok(())
}

/// Raise an objection.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectionCmd {
    /// documents | opening | result.
    pub stage: String,
    /// The objection.
    pub text: String,
}

/// An objection.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ObjectionView {
    /// Id.
    pub id: Uuid,
    /// Stage.
    pub stage: String,
    /// Text.
    pub text: String,
    /// Filed at.
    pub filed_at: String,
    /// Reply due (3 日).
    pub reply_due: String,
    /// The reply.
    pub reply: Option<String>,
    /// Replied at.
    pub replied_at: Option<String>,
}

/// A bidder raises an objection inside its window → `201 {id, reply_due}`.
#[utoipa::path(post, path = "/api/v1/tenders/{id}/objections", tag = "execute", request_body = ObjectionCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 201, description = "{id, reply_due}"), (status = 400, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "not_a_participant"),
              (status = 422, body = Problem, description = "outside the window: violations with citations"), (status = 423, body = Problem)))]
pub async fn raise(ctx: Ctx, path: web::Path<Uuid>, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let answer = conn
        .transaction(async |c| {
            let t = load(c, id, Lock::Share).await?;
            let g = guard(c, t.subject()).await?;
            let cmd: ObjectionCmd = body.parse()?;
            g.next::<TenderMachine>(t.status()?, TenderAction::Object, caller.role)?;
            if caller.role != Role::Bidder {
                return Err(AppError::forbidden(
                    "forbidden_role",
                    "objections are raised by bidders",
                ));
            }
            let stage = ObjectionStage::from_str(&cmd.stage).map_err(|_| {
                AppError::bad_request("invalid_field", "stage is documents, opening or result")
            })?;
            let org = caller.org_id.ok_or_else(|| {
                AppError::forbidden("org_required", "this account belongs to no org")
            })?;
            // who may object: documents → whoever obtained them; opening and result → the bidders
            let takes_part: i64 = match stage {
                ObjectionStage::Documents => {
                    document_downloads::table
                        .filter(document_downloads::tender_id.eq(id))
                        .filter(document_downloads::org_id.eq(org))
                        .count()
                        .get_result(c)
                        .await?
                }
                _ => {
                    bids::table
                        .filter(bids::tender_id.eq(id))
                        .filter(bids::org_id.eq(org))
                        .count()
                        .get_result(c)
                        .await?
                }
            };
            if takes_part == 0 {
                return Err(AppError::conflict(
                    "not_a_participant",
                    "only a participant of that stage may object",
                ));
            }
            if cmd.text.trim().is_empty() {
                return Err(AppError::unprocessable(
                    "invalid_field",
                    "the objection has no text",
                ));
            }
            let now = clock::now(c).await?;
            let rules = load_rules(c).await?;
            let cal = load_calendar(c).await?;
            let violations = schedule::check_objection_window(
                &rules,
                &cal,
                stage,
                now,
                t.bid_deadline,
                t.publicity_ends_at,
            )
            .map_err(calendar_missing)?;
            if !violations.is_empty() {
                return Err(AppError::violations(violations));
            }
            let due: DateTime<Utc> =
                schedule::objection_reply_due(&rules, &cal.earliest(), stage, now)
                    .map_err(calendar_missing)?;
            let oid = Uuid::now_v7();
            diesel::insert_into(objections::table)
                .values((
                    objections::id.eq(oid),
                    objections::tender_id.eq(id),
                    objections::org_id.eq(org),
                    objections::user_id.eq(caller.user_id),
                    objections::stage.eq(stage.as_str()),
                    objections::text.eq(cmd.text.trim()),
                    objections::reply_due.eq(due),
                ))
                .execute(c)
                .await?;
            let subject = Some(("tender", id.to_string()));
            audit::record(
                c,
                &actor,
                "tender.objection",
                subject.clone(),
                json!({"objection_id": oid, "stage": stage.as_str()}),
            )
            .await?;
            outbox::emit(
                c,
                Kind::Event,
                "tender.objection_raised",
                subject,
                json!({"objection_id": oid, "stage": stage.as_str(), "reply_due": clock::fmt(due)}),
            )
            .await?;
            Ok::<_, AppError>(
                json!({"id": oid, "reply_due": clock::fmt(due), "server_time": clock::fmt(now)}),
            )
        })
        .await?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(answer))
}

/// A tender's objections: a bidder sees its own, the tenderer and its agency all.
#[utoipa::path(get, path = "/api/v1/tenders/{id}/objections", tag = "execute", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 200, description = "{items: [ObjectionView]}"), (status = 404, body = Problem)))]
pub async fn list(ctx: Ctx, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let mut conn = ctx.conn().await?;
    let t = load(&mut conn, id, Lock::None).await?;
    let mut q = objections::table
        .filter(objections::tender_id.eq(id))
        .into_boxed();
    if caller.role == Role::Bidder {
        q = q.filter(objections::org_id.eq(caller.org_id.unwrap_or_default()));
    } else {
        require_owner(&mut conn, &t, caller.org_id).await?;
    }
    type Row = (
        Uuid,
        String,
        String,
        DateTime<Utc>,
        DateTime<Utc>,
        Option<String>,
        Option<DateTime<Utc>>,
    );
    let rows: Vec<Row> = q
        .order(objections::filed_at.asc())
        .select((
            objections::id,
            objections::stage,
            objections::text,
            objections::filed_at,
            objections::reply_due,
            objections::reply,
            objections::replied_at,
        ))
        .load(&mut conn)
        .await?;
    let items: Vec<ObjectionView> = rows
        .into_iter()
        .map(
            |(id, stage, text, filed, due, reply, replied)| ObjectionView {
                id,
                stage,
                text,
                filed_at: clock::fmt(filed),
                reply_due: clock::fmt(due),
                reply,
                replied_at: replied.map(clock::fmt),
            },
        )
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next": null})))
}

/// Reply to an objection.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyCmd {
    /// The reply.
    pub text: String,
}

/// The tenderer (or its agency) replies; the guarded step may then go on.
#[utoipa::path(post, path = "/api/v1/objections/{id}/reply", tag = "execute", request_body = ReplyCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "objection id")),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem, description = "already_replied"),
              (status = 423, body = Problem)))]
pub async fn reply(ctx: Ctx, path: web::Path<Uuid>, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let oid = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    conn.transaction(async |c| {
        let (tender_id, replied): (Uuid, Option<DateTime<Utc>>) = objections::table
            .find(oid)
            .select((objections::tender_id, objections::replied_at))
            .for_update()
            .first(c)
            .await
            .optional()?
            .ok_or_else(|| AppError::not_found("objection"))?;
        let t = load(c, tender_id, Lock::Share).await?;
        if !is_owner(c, &t, caller.org_id).await? {
            return Err(AppError::not_found("objection"));
        }
        guard(c, t.subject()).await?;
        let cmd: ReplyCmd = body.parse()?;
        if replied.is_some() {
            return Err(AppError::conflict(
                "already_replied",
                "this objection has its reply",
            ));
        }
        if cmd.text.trim().is_empty() {
            return Err(AppError::unprocessable(
                "invalid_field",
                "the reply has no text",
            ));
        }
        diesel::update(objections::table.find(oid))
            .set((
                objections::reply.eq(Some(cmd.text.trim())),
                objections::replied_by.eq(Some(caller.user_id)),
                objections::replied_at.eq(Some(clock::now(c).await?)),
            ))
            .execute(c)
            .await?;
        let subject = Some(("tender", tender_id.to_string()));
        audit::record(
            c,
            &actor,
            "tender.objection_reply",
            subject.clone(),
            json!({"objection_id": oid}),
        )
        .await?;
        outbox::emit(
            c,
            Kind::Event,
            "tender.objection_replied",
            subject,
            json!({"objection_id": oid}),
        )
        .await?;
        Ok::<_, AppError>(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
