//! Scoring and finalisation (评标): members enter compliance and the technical and commercial
//! scores; price scores are computed, never entered. Finalising checks the committee's size rules
//! and completeness, runs the method's formula (`evaluation::formulas`), locks the scores, names at
//! most three candidates and starts the candidate publicity (中标候选人公示).

use actix_web::{HttpResponse, web};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::committee::{active_member, ensure_members};
use super::{Lock, TenderAction, TenderMachine, TenderStatus, load, set_status};
use crate::core::outbox::{self, Kind};
use crate::core::transition::guard;
use crate::core::{audit, clock};
use crate::db::schema::{
    bid_security, bid_submissions, bids, committee_members, evaluations, orgs, projects, scores,
    tenders,
};
use crate::decide::rules::{calendar_missing, load_calendar, load_rules, procedure_of};
use crate::error::{AppError, AppResult, Problem, Violation};
use crate::evaluation::{committee as size_rules, formulas};
use crate::http::body::Command;
use crate::http::ctx::Ctx;
use crate::rules::set::Category;

type Mark = (
    Uuid,
    Uuid,
    bool,
    Option<String>,
    Option<Decimal>,
    Option<Decimal>,
);

/// One member's marks for one bid.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreItem {
    /// Bid.
    pub bid_id: Uuid,
    /// Substantively compliant (实质性响应).
    pub compliant: bool,
    /// Why not.
    pub reason: Option<String>,
    /// Technical score, 0–100.
    #[schema(value_type = Option<String>)]
    pub technical: Option<Decimal>,
    /// Commercial score, 0–100.
    #[schema(value_type = Option<String>)]
    pub commercial: Option<Decimal>,
}

/// A member's scores.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoresCmd {
    /// Items.
    pub items: Vec<ScoreItem>,
}

/// A committee member (declared, no conflict) enters or corrects its marks until finalisation.
#[utoipa::path(post, path = "/api/v1/tenders/{id}/scores", tag = "execute", request_body = ScoresCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 204), (status = 403, body = Problem, description = "not_committee_member"),
              (status = 409, body = Problem, description = "declaration_required, invalid_state"),
              (status = 422, body = Problem, description = "unknown_bid, invalid_score"), (status = 423, body = Problem)))]
pub async fn submit_scores(
    ctx: Ctx,
    path: web::Path<Uuid>,
    body: Command,
) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    conn.transaction(async |c| {
        let t = load(c, id, Lock::Share).await?;
        let g = guard(c, t.subject()).await?;
        // membership first: a non-member learns nothing of the tender's state (issue 13, finding 7)
        ensure_members(c, id).await?;
        let member = active_member(c, id, caller.user_id).await?;
        if member.is_none() {
            return Err(AppError::forbidden("not_committee_member", "you do not sit on this committee"));
        }
        let cmd: ScoresCmd = body.parse()?;
        g.next::<TenderMachine>(t.status()?, TenderAction::Evaluate, caller.role)?;
        if let Some((None, _)) = member {
            return Err(AppError::conflict("declaration_required", "declare (no) conflict of interest first"));
        }
        let opened: Vec<Uuid> = bids::table
            .filter(bids::tender_id.eq(id)).filter(bids::round.eq(t.round)).filter(bids::status.eq("opened"))
            .select(bids::id).load(c).await?;
        let range = |v: Option<Decimal>| v.is_none_or(|v| v >= Decimal::ZERO && v <= Decimal::ONE_HUNDRED && v.scale() <= 2);
        for item in &cmd.items {
            if !opened.contains(&item.bid_id) {
                return Err(AppError::unprocessable("unknown_bid", format!("bid {} is not an opened bid of this tender", item.bid_id)));
            }
            if !range(item.technical) || !range(item.commercial) {
                return Err(AppError::unprocessable("invalid_score", "scores are 0–100 with at most two decimals"));
            }
            if !item.compliant && item.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                return Err(AppError::unprocessable("invalid_score", "a non-compliant mark needs its reason"));
            }
            diesel::insert_into(scores::table)
                .values((scores::tender_id.eq(id), scores::member_id.eq(caller.user_id), scores::bid_id.eq(item.bid_id),
                         scores::compliant.eq(item.compliant), scores::reason.eq(item.reason.as_deref()),
                         scores::technical.eq(item.technical), scores::commercial.eq(item.commercial)))
                .on_conflict((scores::tender_id, scores::member_id, scores::bid_id))
                .do_update()
                .set((scores::compliant.eq(item.compliant), scores::reason.eq(item.reason.as_deref()),
                      scores::technical.eq(item.technical), scores::commercial.eq(item.commercial),
                      scores::scored_at.eq(diesel::dsl::sql::<diesel::sql_types::Timestamptz>("ggzy_now()"))))
                .execute(c)
                .await?;
        }
        audit::record(c, &actor, "tender.scores", Some(("tender", id.to_string())),
            json!({"items": cmd.items.iter().map(|i| json!({"bid_id": i.bid_id, "compliant": i.compliant,
                "technical": i.technical.map(|d| d.to_string()), "commercial": i.commercial.map(|d| d.to_string())})).collect::<Vec<_>>()})).await?;
        Ok::<_, AppError>(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A candidate as published.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Candidate {
    /// Rank (1–3).
    pub rank: u32,
    /// Bid.
    pub bid_id: Uuid,
    /// Bidder name.
    pub bidder_name: String,
    /// Bidder org code.
    pub org_code: String,
    /// Price.
    pub price: String,
    /// Evaluated price (after SME deduction).
    pub evaluated_price: String,
    /// Total score (comprehensive methods).
    pub score: Option<String>,
}

/// The centre finalises the evaluation: ranking by the method's formula, ≤ 3 candidates, scores
/// locked, candidate publicity started (or the tender fails when nothing is compliant).
#[utoipa::path(post, path = "/api/v1/tenders/{id}/evaluation/finalize", tag = "execute", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 200, description = "{status, candidates, publicity_ends_at, ranking}"), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "declarations_pending, scores_incomplete, objection_pending, invalid_state"),
              (status = 422, body = Problem, description = "committee size violations; evaluation_invalid"), (status = 423, body = Problem)))]
pub async fn finalize(ctx: Ctx, path: web::Path<Uuid>, _body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let answer = conn
        .transaction(async |c| {
            let t = load(c, id, Lock::Update).await?;
            let g = guard(c, t.subject()).await?;
            let next = g.next::<TenderMachine>(t.status()?, TenderAction::Finalize, caller.role)?;
            super::objections::none_pending(c, id, &["documents", "opening"]).await?;
            ensure_members(c, id).await?;
            let members: Vec<(Uuid, String, Option<chrono::DateTime<chrono::Utc>>)> = committee_members::table
                .filter(committee_members::tender_id.eq(id)).filter(committee_members::status.eq("active"))
                .select((committee_members::user_id, committee_members::kind, committee_members::declared_at))
                .load(c).await?;
            let (category, _) = procedure_of(c, id).await?;
            let budget: Decimal = projects::table.find(t.project_id).select(projects::estimate_amount).first(c).await?;
            let rules = load_rules(c).await?;
            let threshold = rules.get("gp.committee_large_threshold").and_then(|r| r.value).unwrap_or(size_rules::LARGE_PROCUREMENT_THRESHOLD);
            let experts = members.iter().filter(|m| m.1 == "expert").count() as u32;
            let reps = members.len() as u32 - experts;
            let cat = if category == Category::Procurement { "procurement" } else { "construction" };
            let settings: super::create::EvaluationSettings = serde_json::from_value(t.evaluation.clone()).map_err(AppError::internal)?;
            // property one-shot sealed bidding (一次报价) has no committee: the highest price wins
            let one_shot = settings.method == super::create::EvaluationMethod::HighestPrice;
            let size_problems = if one_shot { vec![] } else { size_rules::check_size(cat, budget, members.len() as u32, experts, reps, threshold) };
            if !size_problems.is_empty() {
                return Err(AppError::violations(size_problems.into_iter().map(|v| Violation {
                    rule: v.rule.to_string(), citation: v.citation.to_string(), detail: v.detail }).collect()));
            }
            if members.iter().any(|m| m.2.is_none()) {
                return Err(AppError::conflict("declarations_pending", "every member declares (no) conflict of interest before the evaluation ends"));
            }
            // the opened bids with what the formula needs
            type B = (Uuid, Option<Decimal>, Option<String>, chrono::DateTime<chrono::Utc>, Uuid, String, String);
            let opened: Vec<B> = bids::table
                .inner_join(bid_submissions::table.on(bid_submissions::id.eq(bids::id)))
                .inner_join(orgs::table.on(orgs::id.eq(bids::org_id)))
                .filter(bids::tender_id.eq(id)).filter(bids::round.eq(t.round)).filter(bids::status.eq("opened"))
                .select((bids::id, bids::price, bids::sme, bid_submissions::received_at, bids::org_id, orgs::name, orgs::code))
                .load(c).await?;
            let confirmed: Vec<Uuid> = bid_security::table
                .filter(bid_security::tender_id.eq(id)).filter(bid_security::status.eq_any(["confirmed", "refunded"]))
                .select(bid_security::org_id).load(c).await?;
            let marks: Vec<Mark> = scores::table
                .filter(scores::tender_id.eq(id))
                .select((scores::member_id, scores::bid_id, scores::compliant, scores::reason, scores::technical, scores::commercial))
                .load(c).await?;
            let sitting: Vec<Uuid> = if one_shot { vec![Uuid::nil()] } else { members.iter().map(|m| m.0).collect() };
            let marks: Vec<_> = if one_shot {
                // the platform's own mark: every opened offer is a valid offer; security is checked below
                opened.iter().map(|b| (Uuid::nil(), b.0, true, None, None, None)).collect()
            } else {
                marks.into_iter().filter(|m| sitting.contains(&m.0)).collect()
            };
            if marks.len() != sitting.len() * opened.len() {
                return Err(AppError::conflict("scores_incomplete", format!(
                    "{} of {} marks are in: every member marks every opened bid", marks.len(), sitting.len() * opened.len())));
            }
            // the tender's settings and the formulas name the methods alike (API.md)
            let method: formulas::Method =
                serde_json::from_value(serde_json::to_value(settings.method).map_err(AppError::internal)?)
                    .map_err(AppError::internal)?;
            let weights = match (settings.price_weight, settings.technical_weight, settings.commercial_weight) {
                (Some(price), Some(technical), Some(commercial)) => Some(formulas::Weights { price, technical, commercial }),
                _ => None,
            };
            let input = formulas::EvaluationInput {
                method,
                weights,
                max_price: t.max_price,
                sme_deduction: settings.sme_deduction,
                bids: opened.iter().map(|b| formulas::BidInput {
                    bid_id: b.0,
                    price: b.1.unwrap_or_default(),
                    submitted_at: b.3.timestamp_micros(),
                    // the price deduction is for small and micro enterprises (财库〔2022〕19号)
                    sme: matches!(b.2.as_deref(), Some("small" | "micro")),
                    // no security asked, none to confirm
                    security_confirmed: t.bid_security_amount.is_zero() || confirmed.contains(&b.4),
                }).collect(),
                scores: marks.iter().map(|m| formulas::MemberScore {
                    member_id: m.0, bid_id: m.1, compliant: m.2, reason: m.3.clone(), technical: m.4, commercial: m.5 }).collect(),
            };
            let ranking = formulas::evaluate(&input).map_err(|e| AppError::unprocessable("evaluation_invalid", e.to_string()))?;
            let now = clock::now(c).await?;
            let ranking_json = serde_json::to_value(&ranking).map_err(AppError::internal)?;
            diesel::insert_into(evaluations::table)
                .values((evaluations::tender_id.eq(id), evaluations::ranking.eq(&ranking_json), evaluations::finalized_by.eq(caller.user_id)))
                .execute(c).await?;
            let subject = Some(("tender", id.to_string()));
            if ranking.candidates.is_empty() {
                let failed = g.next_as_platform::<TenderMachine>(t.status()?, TenderAction::Fail)?;
                set_status(c, id, failed).await?;
                let reason = "no compliant bid: the tender fails and may be re-tendered";
                diesel::update(tenders::table.find(id)).set(tenders::failure_reason.eq(Some(reason))).execute(c).await?;
                audit::record(c, &actor, "tender.evaluation_finalize", subject.clone(), json!({"ranking": ranking_json, "failed": true})).await?;
                outbox::emit(c, Kind::Event, "tender.failed", subject.clone(), json!({"reason": reason})).await?;
                // the failure is public (流标): the OCDS feed reports it as a tender cancellation
                outbox::emit(c, Kind::Public, "tender.failed", subject, json!({"tender_id": id, "round": t.round,
                    "stage": "evaluation", "reason": reason, "failed_at": clock::fmt(now)})).await?;
                return Ok::<_, AppError>(json!({"status": TenderStatus::Failed, "candidates": [], "ranking": ranking_json}));
            }
            let cal = load_calendar(c).await?;
            let ends = if category == Category::Procurement {
                crate::rules::schedule::period_deadline(&rules, &cal, "gp.result_notice_period", now).map_err(calendar_missing)?
                    .unwrap_or(now + chrono::Duration::days(1))
            } else {
                crate::rules::schedule::publicity_end(&rules, &cal, now).map_err(calendar_missing)?
            };
            diesel::update(tenders::table.find(id))
                .set((tenders::publicity_starts_at.eq(Some(now)), tenders::publicity_ends_at.eq(Some(ends))))
                .execute(c).await?;
            set_status(c, id, next).await?;
            let named: Vec<Named> = opened.iter().map(|b| (b.0, b.1, b.5.clone(), b.6.clone())).collect();
            let candidates = candidate_list(&ranking, &named);
            let published = json!({"tender_id": id, "candidates": candidates, "publicity_starts_at": clock::fmt(now),
                                   "publicity_ends_at": clock::fmt(ends)});
            audit::record(c, &actor, "tender.evaluation_finalize", subject.clone(), json!({"ranking": ranking_json})).await?;
            outbox::emit(c, Kind::Public, "tender.candidates", subject.clone(), published.clone()).await?;
            outbox::emit(c, Kind::Event, "tender.publicity_started", subject, json!({"publicity_ends_at": clock::fmt(ends)})).await?;
            Ok(json!({"status": next, "candidates": candidates, "publicity_ends_at": clock::fmt(ends), "ranking": ranking_json}))
        })
        .await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// (bid id, price, bidder name, org code).
type Named = (Uuid, Option<Decimal>, String, String);

/// The ranked candidates with their bidders, as published.
fn candidate_list(ranking: &formulas::Ranking, named: &[Named]) -> Vec<Candidate> {
    ranking
        .candidates
        .iter()
        .filter_map(|bid| {
            let r = ranking.items.iter().find(|i| i.bid_id == *bid)?;
            let b = named.iter().find(|b| b.0 == *bid)?;
            Some(Candidate {
                rank: r.rank?,
                bid_id: *bid,
                bidder_name: b.2.clone(),
                org_code: b.3.clone(),
                price: format!("{:.2}", b.1.unwrap_or_default()),
                evaluated_price: format!("{:.2}", r.evaluated_price),
                score: r.total.map(|s| format!("{s:.2}")),
            })
        })
        .collect()
}

/// The candidates (public during and after the publicity).
#[utoipa::path(get, path = "/api/v1/tenders/{id}/candidates", tag = "public",
    params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 200, description = "{items: [{rank, bid_id, bidder_name, price, score?}], publicity_ends_at}"),
              (status = 404, body = Problem)))]
pub async fn candidates(ctx: Ctx, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let mut conn = ctx.conn().await?;
    let t = load(&mut conn, id, Lock::None).await?;
    if !t.status()?.result_published() {
        return Err(AppError::not_found("candidates"));
    }
    let ranking: Value = evaluations::table
        .find(id)
        .select(evaluations::ranking)
        .first(&mut conn)
        .await?;
    let ranking: formulas::Ranking = serde_json::from_value(ranking).map_err(AppError::internal)?;
    let named: Vec<Named> = bids::table
        .inner_join(orgs::table.on(orgs::id.eq(bids::org_id)))
        .filter(bids::id.eq_any(&ranking.candidates))
        .select((bids::id, bids::price, orgs::name, orgs::code))
        .load(&mut conn)
        .await?;
    let items = candidate_list(&ranking, &named);
    Ok(HttpResponse::Ok().json(json!({"items": items, "next": null,
        "publicity_ends_at": t.publicity_ends_at.map(clock::fmt)})))
}
