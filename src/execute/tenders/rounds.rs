//! Rounds of sealed final offers (最后报价) for competitive negotiation and consultation (竞争性谈判
//! / 磋商): after a round's opening the agency opens the next round to the suppliers it invites,
//! sealed to the same holders' keys; receipts, manifests and openings carry the round. The holders
//! reveal their identities only after the last round (the evaluation's finalisation).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    Lock, Method, TenderAction, TenderMachine, TenderRow, closing, load, require_owner, set_status,
};
use crate::core::outbox::{self, Kind};
use crate::core::transition::guard;
use crate::core::{audit, clock};
use crate::db::schema::{bids, orgs, tender_rounds, tenders};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;

/// Whether the tender's method has rounds of final offers.
pub fn has_rounds(t: &TenderRow) -> bool {
    [
        Method::CompetitiveNegotiation,
        Method::CompetitiveConsultation,
    ]
    .iter()
    .any(|m| m.as_str() == t.method)
}

/// The orgs invited to the tender's current round (`None` in round 1: open to all).
pub async fn invited(conn: &mut AsyncPgConnection, t: &TenderRow) -> AppResult<Option<Vec<Uuid>>> {
    if t.round <= 1 {
        return Ok(None);
    }
    Ok(Some(
        tender_rounds::table
            .find((t.id, t.round))
            .select(tender_rounds::invited_orgs)
            .first(conn)
            .await?,
    ))
}

/// Open the next round.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoundCmd {
    /// The round's deadline for final offers.
    pub bid_deadline: DateTime<Utc>,
    /// The suppliers invited (统一社会信用代码), among those whose offers were opened.
    pub invited_org_codes: Vec<String>,
}

/// The agency opens the next round of sealed final offers.
#[utoipa::path(post, path = "/api/v1/tenders/{id}/rounds", tag = "execute", request_body = RoundCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 201, description = "{round, bid_deadline}"), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "rounds_not_applicable, invalid_state"),
              (status = 422, body = Problem, description = "invalid_schedule, not_a_participant"), (status = 423, body = Problem)))]
pub async fn next_round(ctx: Ctx, path: web::Path<Uuid>, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let answer = conn
        .transaction(async |c| {
            let t = load(c, id, Lock::Update).await?;
            require_owner(c, &t, caller.org_id).await?;
            let g = guard(c, t.subject()).await?;
            let cmd: RoundCmd = body.parse()?;
            if !has_rounds(&t) {
                return Err(AppError::conflict("rounds_not_applicable", "only competitive negotiation and consultation have rounds of final offers"));
            }
            let next = g.next::<TenderMachine>(t.status()?, TenderAction::NextRound, caller.role)?;
            let now = clock::now(c).await?;
            if cmd.bid_deadline <= now {
                return Err(AppError::unprocessable("invalid_schedule", "the round's deadline is in the future"));
            }
            // the invited: suppliers whose offers of this round were opened
            let opened: Vec<(Uuid, String)> = bids::table
                .inner_join(orgs::table.on(orgs::id.eq(bids::org_id)))
                .filter(bids::tender_id.eq(id)).filter(bids::round.eq(t.round)).filter(bids::status.eq("opened"))
                .select((orgs::id, orgs::code))
                .load(c).await?;
            let mut invited = Vec::new();
            for code in &cmd.invited_org_codes {
                let org = opened.iter().find(|(_, c)| c == code.trim()).ok_or_else(|| {
                    AppError::unprocessable("not_a_participant", format!("{code} has no opened offer in round {}", t.round))
                })?;
                if !invited.contains(&org.0) {
                    invited.push(org.0);
                }
            }
            if invited.is_empty() {
                return Err(AppError::unprocessable("not_a_participant", "invite at least one supplier"));
            }
            let round = t.round + 1;
            diesel::insert_into(tender_rounds::table)
                .values((tender_rounds::tender_id.eq(id), tender_rounds::round.eq(round),
                         tender_rounds::bid_deadline.eq(cmd.bid_deadline), tender_rounds::invited_orgs.eq(&invited),
                         tender_rounds::opened_by.eq(caller.user_id)))
                .execute(c).await?;
            diesel::update(tenders::table.find(id))
                .set((tenders::round.eq(round), tenders::bid_deadline.eq(cmd.bid_deadline), tenders::opening_at.eq(cmd.bid_deadline),
                      tenders::closed_at.eq(None::<DateTime<Utc>>), tenders::opened_at.eq(None::<DateTime<Utc>>)))
                .execute(c).await?;
            set_status(c, id, next).await?;
            closing::schedule(c, id, round, cmd.bid_deadline).await?;
            let subject = Some(("tender", id.to_string()));
            let details = json!({"tender_id": id, "round": round, "bid_deadline": clock::fmt(cmd.bid_deadline),
                                 "invited_org_codes": cmd.invited_org_codes});
            audit::record(c, &actor, "tender.round_open", subject.clone(), details.clone()).await?;
            outbox::emit(c, Kind::Public, "tender.round", subject.clone(), details).await?;
            outbox::emit(c, Kind::Event, "tender.round_opened", subject, json!({"round": round})).await?;
            Ok::<_, AppError>(json!({"round": round, "bid_deadline": clock::fmt(cmd.bid_deadline), "server_time": clock::fmt(now)}))
        })
        .await?;
    Ok(HttpResponse::Created().json(answer))
}
