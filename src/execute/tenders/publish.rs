//! Publication of the notice and clarifications. Publishing needs the three key holders — three
//! different people, each designated by its own branch — with their keys, and a schedule that
//! passes the rule set (`422` listing each broken rule with its citation). The notice, with the
//! holders' recipients, goes into the public log; the closing is scheduled at the deadline.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    Lock, TenderAction, TenderMachine, TenderStatus, closing, load, require_owner, set_status,
};
use crate::core::key_holders::{self, Branch};
use crate::core::outbox::{self, Kind};
use crate::core::transition::guard;
use crate::core::{audit, clock};
use crate::db::schema::{clarifications, project_approvals, tenders};
use crate::decide::rules::{calendar_missing, load_calendar, load_rules, procedure_of};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;
use crate::notify;
use crate::rules::schedule::{self, TenderSchedule};

/// The sealing suite published with the notice.
pub const SEALING_FORMAT: &str = "ggzy-sealed-bid/1";

/// Publishes the tender: holders with keys, schedule checked, notice logged → `bidding`.
#[utoipa::path(post, path = "/api/v1/tenders/{id}/publish", tag = "execute", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 200, body = super::create::TenderView), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "invalid_state, key_holders_missing"),
              (status = 422, body = Problem, description = "rule violations with citations; calendar_missing"),
              (status = 423, body = Problem)))]
pub async fn publish(ctx: Ctx, path: web::Path<Uuid>, _body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    conn.transaction(async |c| {
        let t = load(c, id, Lock::Update).await?;
        require_owner(c, &t, caller.org_id).await?;
        let g = guard(c, t.subject()).await?;
        let next = g.next::<TenderMachine>(t.status()?, TenderAction::Publish, caller.role)?;
        // the three holders: designated, keyed, three different people
        let mut recipients = serde_json::Map::new();
        let mut people = Vec::new();
        for b in Branch::ALL {
            match key_holders::holder(c, b, id).await? {
                Some(h) if h.recipient.is_some() => {
                    people.push(h.user_id);
                    recipients.insert(b.as_str().into(), json!(h.recipient));
                }
                Some(_) => return Err(AppError::conflict("key_holders_missing",
                    format!("the {} key holder has not registered its key", b.as_str()))),
                None => return Err(AppError::conflict("key_holders_missing",
                    format!("the {} branch has not designated its key holder", b.as_str()))),
            }
        }
        people.sort();
        people.dedup();
        if people.len() != 3 {
            return Err(AppError::conflict("key_holders_missing", "the three key holders must be three different people"));
        }
        let must_tender: bool = project_approvals::table
            .filter(project_approvals::project_id.eq(t.project_id))
            .select(project_approvals::must_tender)
            .first(c)
            .await?;
        let now = clock::now(c).await?;
        let (category, method) = procedure_of(c, id).await?;
        let rules = load_rules(c).await?;
        let cal = load_calendar(c).await?;
        let violations = schedule::check_tender_schedule(&rules, &cal, &TenderSchedule {
            category,
            method,
            must_tender,
            documents_from: t.documents_from,
            documents_until: t.documents_until,
            bid_deadline: t.bid_deadline,
            publish_at: now,
        })
        .map_err(calendar_missing)?;
        if !violations.is_empty() {
            return Err(AppError::violations(violations));
        }
        if t.bid_deadline <= now {
            return Err(AppError::unprocessable("invalid_schedule", "the bid deadline is in the past"));
        }
        let sealing = json!({"format": SEALING_FORMAT, "recipients": recipients});
        let notice = json!({
            "tender_id": id, "project_id": t.project_id, "code": t.code, "title": t.title,
            "method": t.method, "evaluation": t.evaluation,
            "max_price": t.max_price.map(|p| format!("{p:.2}")),
            "bid_security_amount": format!("{:.2}", t.bid_security_amount),
            "documents_from": clock::fmt(t.documents_from), "documents_until": clock::fmt(t.documents_until),
            "bid_deadline": clock::fmt(t.bid_deadline), "opening_at": clock::fmt(t.opening_at),
            "must_tender": must_tender, "sealing": sealing, "published_at": clock::fmt(now),
            // the sealing and holder pages' scripts with their SRI values (DESIGN.md §4), so that
            // bidders and holders can check what their browser runs
            "scripts": crate::pages::assets::notice_scripts(),
        });
        let notice_sha256 = hex::encode(Sha256::digest(
            serde_jcs::to_vec(&notice).map_err(AppError::internal)?,
        ));
        diesel::update(tenders::table.find(id))
            .set((
                tenders::sealing.eq(Some(&sealing)),
                tenders::notice_sha256.eq(Some(&notice_sha256)),
                tenders::published_at.eq(Some(now)),
            ))
            .execute(c)
            .await?;
        set_status(c, id, next).await?;
        closing::schedule(c, id, t.round, t.bid_deadline).await?;
        let subject = Some(("tender", id.to_string()));
        audit::record(c, &actor, "tender.publish", subject.clone(), json!({"notice_sha256": notice_sha256})).await?;
        outbox::emit(c, Kind::Public, "tender.notice", subject.clone(), notice).await?;
        outbox::emit(c, Kind::Event, "tender.published", subject, json!({"code": t.code, "bid_deadline": clock::fmt(t.bid_deadline)})).await?;
        notify::triggers::tender_published(c, id).await?;
        Ok::<_, AppError>(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(super::create::view(&mut conn, id).await?))
}

/// A clarification or amendment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClarifyCmd {
    /// The text.
    pub text: String,
    /// A new bid deadline (required when the clarification comes less than 15 days before it).
    pub new_bid_deadline: Option<DateTime<Utc>>,
}

/// Publishes a clarification; less than 15 日 before the deadline it must move the deadline far
/// enough (招标投标法实施条例 第二十一条 / 政府采购法实施条例 第三十一条).
#[utoipa::path(post, path = "/api/v1/tenders/{id}/clarifications", tag = "execute", request_body = ClarifyCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 201, description = "{id, bid_deadline}"), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem, description = "rule violations"),
              (status = 423, body = Problem)))]
pub async fn clarify(ctx: Ctx, path: web::Path<Uuid>, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let answer = conn
        .transaction(async |c| {
            let t = load(c, id, Lock::Update).await?;
            require_owner(c, &t, caller.org_id).await?;
            let g = guard(c, t.subject()).await?;
            let cmd: ClarifyCmd = body.parse()?;
            g.next::<TenderMachine>(t.status()?, TenderAction::Clarify, caller.role)?;
            if cmd.text.trim().is_empty() {
                return Err(AppError::unprocessable("invalid_field", "the clarification has no text"));
            }
            let now = clock::now(c).await?;
            if now >= t.bid_deadline {
                return Err(AppError::conflict("deadline_passed", "bidding has closed"));
            }
            let (category, method) = procedure_of(c, id).await?;
            let must_tender: bool = project_approvals::table
                .filter(project_approvals::project_id.eq(t.project_id))
                .select(project_approvals::must_tender)
                .first(c)
                .await?;
            let rules = load_rules(c).await?;
            let cal = load_calendar(c).await?;
            let procedure = schedule::Procedure { category, method, must_tender };
            let violations = schedule::check_clarification(&rules, &cal, procedure, now, t.bid_deadline, cmd.new_bid_deadline)
                .map_err(calendar_missing)?;
            if !violations.is_empty() {
                return Err(AppError::violations(violations));
            }
            if let Some(d) = cmd.new_bid_deadline
                && d < t.bid_deadline
            {
                    return Err(AppError::unprocessable("invalid_schedule", "a clarification may move the deadline later, not earlier"));
                }
            let cid = Uuid::now_v7();
            diesel::insert_into(clarifications::table)
                .values((clarifications::id.eq(cid), clarifications::tender_id.eq(id), clarifications::text.eq(cmd.text.trim()),
                         clarifications::old_deadline.eq(t.bid_deadline), clarifications::new_deadline.eq(cmd.new_bid_deadline),
                         clarifications::by_user.eq(caller.user_id)))
                .execute(c)
                .await?;
            let deadline = cmd.new_bid_deadline.unwrap_or(t.bid_deadline);
            if deadline != t.bid_deadline {
                // the opening follows the deadline (招标投标法 第三十四条)
                diesel::update(tenders::table.find(id))
                    .set((tenders::bid_deadline.eq(deadline), tenders::opening_at.eq(deadline)))
                    .execute(c)
                    .await?;
                closing::schedule(c, id, t.round, deadline).await?;
            }
            let subject = Some(("tender", id.to_string()));
            let details = json!({"clarification_id": cid, "text": cmd.text.trim(), "bid_deadline": clock::fmt(deadline),
                                 "old_bid_deadline": clock::fmt(t.bid_deadline)});
            audit::record(c, &actor, "tender.clarify", subject.clone(), details.clone()).await?;
            outbox::emit(c, Kind::Public, "tender.clarification", subject.clone(), details).await?;
            outbox::emit(c, Kind::Event, "tender.clarified", subject, json!({"bid_deadline": clock::fmt(deadline)})).await?;
            notify::triggers::clarified(c, id, cmd.text.trim(), deadline != t.bid_deadline).await?;
            let _ = TenderStatus::Bidding;
            Ok::<_, AppError>(json!({"id": cid, "bid_deadline": clock::fmt(deadline), "server_time": clock::fmt(now)}))
        })
        .await?;
    Ok(HttpResponse::Created().json(answer))
}
