//! Creating and publishing a lot, and reading its state. The schedule is checked against the
//! rule set: land announcements ≥ 20 日 ahead and listings ≥ 10 工作日 (招标拍卖挂牌出让国有建设用地使用权
//! 规定 第十条、第十八条), property disclosure ≥ 20 工作日 (企业国有资产交易监督管理办法 第十三条).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::engine::{Format, Lot, Stage, due_step};
use super::{load, schedule, stage_str, state};
use crate::core::money::Money;
use crate::core::outbox::{self, Kind};
use crate::core::transition::{Subject, guard};
use crate::core::{audit, clock};
use crate::db::schema::{auctions, projects};
use crate::decide::rules::{calendar_missing, load_calendar, load_rules};
use crate::error::{AppError, AppResult, Problem, Violation};
use crate::execute::projects::{Category, ProjectStatus};
use crate::http::body::Command;
use crate::http::ctx::Ctx;
use crate::rules::calendar::Calendar;
use crate::rules::schedule::china_date;
use crate::rules::set::RuleSet;

/// Create a lot.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAuctionCmd {
    /// english (拍卖) | listing (挂牌) | online_multi_round (网络竞价 多次报价).
    pub format: Format,
    /// Title (defaults to the project's).
    pub title: Option<String>,
    /// 起始价.
    pub start_price: Money,
    /// 加价幅度.
    pub increment: Money,
    /// 竞买保证金.
    pub deposit_amount: Money,
    /// The announcement (出让公告 / 信息披露) starts.
    pub announcement_at: DateTime<Utc>,
    /// Bidding (or the listing) starts.
    pub starts_at: DateTime<Utc>,
    /// End of free bidding (online multi-round).
    pub free_bidding_until: Option<DateTime<Utc>>,
    /// The countdown in seconds, restarted by each valid bid.
    pub countdown_seconds: i32,
    /// End of the listing (挂牌截止).
    pub listing_until: Option<DateTime<Utc>>,
    /// 延牌 rules (property lots), as the exchange configures them.
    pub extension: Option<ExtensionRule>,
}

/// 延牌: extend the disclosure when too few bidders qualify.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRule {
    /// Working days per extension (≥ 5, 产权交易规则).
    pub working_days: i32,
    /// Extensions at most.
    pub max_extensions: i32,
    /// Extend when at most this many bidders are qualified (0: when nobody is).
    #[serde(default)]
    pub if_at_most: i32,
}

fn min_period(
    rules: &RuleSet,
    cal: &Calendar,
    id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    what: &str,
    out: &mut Vec<Violation>,
) -> AppResult<()> {
    let Some(rule) = rules.get(id) else {
        return Ok(());
    };
    let Some((n, unit)) = rule.period() else {
        return Ok(());
    };
    let earliest = cal
        .period_end(china_date(from), n, unit)
        .map_err(calendar_missing)?;
    if china_date(to) < earliest {
        out.push(Violation {
            rule: id.into(),
            citation: rule.citation.clone(),
            detail: format!(
                "{what} must last at least {n} {}: to {earliest} or later (China time)",
                unit.chinese()
            ),
        });
    }
    Ok(())
}

/// Checks a lot's schedule against the rule set.
fn check_schedule(
    rules: &RuleSet,
    cal: &Calendar,
    category: Category,
    c: &CreateAuctionCmd,
) -> AppResult<Vec<Violation>> {
    let mut out = Vec::new();
    let order = |d: &str| Violation {
        rule: "schedule.order".into(),
        citation: "招标拍卖挂牌出让国有建设用地使用权规定 第十条".into(),
        detail: d.into(),
    };
    if c.announcement_at > c.starts_at {
        out.push(order("the announcement comes before the start"));
    }
    match (c.format, c.free_bidding_until, c.listing_until) {
        (Format::OnlineMultiRound, Some(f), None) if f > c.starts_at => {}
        (Format::Listing, None, Some(l)) if l > c.starts_at => {}
        (Format::English, None, None) => {}
        _ => out.push(order("english needs neither end; online_multi_round needs free_bidding_until after the start; listing needs listing_until after the start")),
    }
    match category {
        Category::Land => {
            min_period(
                rules,
                cal,
                "land.announcement_min",
                c.announcement_at,
                c.starts_at,
                "the announcement",
                &mut out,
            )?;
            if let Some(l) = c.listing_until {
                min_period(
                    rules,
                    cal,
                    "land.listing_min",
                    c.starts_at,
                    l,
                    "the listing period",
                    &mut out,
                )?;
            }
        }
        Category::Property => {
            min_period(
                rules,
                cal,
                "property.disclosure_min",
                c.announcement_at,
                c.starts_at,
                "the disclosure",
                &mut out,
            )?;
        }
        _ => {}
    }
    Ok(out)
}

/// Creates a lot of an approved land or property project → `201 {id}` (not yet published).
#[utoipa::path(post, path = "/api/v1/projects/{id}/auctions", tag = "execute", request_body = CreateAuctionCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "project id")),
    responses((status = 201, description = "{id, code}"), (status = 400, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "project_not_approved"),
              (status = 422, body = Problem, description = "rule violations; invalid_field; calendar_missing"), (status = 423, body = Problem)))]
pub async fn create_auction(
    ctx: Ctx,
    path: web::Path<Uuid>,
    body: Command,
) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let project_id = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let created = conn
        .transaction(async |c| {
            guard(c, Subject::project(project_id)).await?;
            // the owner's check comes before the body is read: another org learns nothing
            let p = crate::execute::projects::load(c, project_id).await?;
            crate::execute::projects::require_owner(&p, &caller)?;
            let cmd: CreateAuctionCmd = body.parse()?;
            if p.view.status != ProjectStatus::Approved {
                return Err(AppError::conflict("project_not_approved", "the regulator has not approved this project"));
            }
            if !matches!(p.view.category, Category::Land | Category::Property) {
                return Err(AppError::unprocessable("invalid_field", "auctions are for land and property projects"));
            }
            if let Some(e) = &cmd.extension
                && (e.working_days < 5 || !(1..=12).contains(&e.max_extensions) || e.if_at_most < 0 || p.view.category != Category::Property)
            {
                return Err(AppError::unprocessable("invalid_field", "延牌: property lots only, ≥ 5 working days, 1–12 extensions"));
            }
            if cmd.start_price.amount().is_zero() || cmd.increment.amount().is_zero() || !(10..=86_400).contains(&cmd.countdown_seconds) {
                return Err(AppError::unprocessable("invalid_field", "start_price and increment above zero; countdown 10–86400 s"));
            }
            let rules = load_rules(c).await?;
            let cal = load_calendar(c).await?;
            let v = check_schedule(&rules, &cal, p.view.category, &cmd)?;
            if !v.is_empty() {
                return Err(AppError::violations(v));
            }
            let n: i64 = auctions::table.filter(auctions::project_id.eq(project_id)).count().get_result(c).await?;
            let id = Uuid::now_v7();
            let code = format!("{}-A{:02}", p.view.code, n + 1);
            // holds on the project before the lot existed do not move the lot's schedule
            let applied: Option<i64> = crate::db::schema::holds::table
                .filter(crate::db::schema::holds::subject_type.eq("project"))
                .filter(crate::db::schema::holds::subject_id.eq(project_id))
                .select(diesel::dsl::max(crate::db::schema::holds::seq))
                .first(c)
                .await?;
            let title = cmd.title.clone().unwrap_or_else(|| p.view.title.clone());
            diesel::insert_into(auctions::table)
                .values((
                    auctions::id.eq(id), auctions::project_id.eq(project_id), auctions::code.eq(&code),
                    auctions::title.eq(title.trim()), auctions::format.eq(format_str(cmd.format)),
                    auctions::start_price.eq(cmd.start_price.amount()), auctions::increment.eq(cmd.increment.amount()),
                    auctions::deposit_amount.eq(cmd.deposit_amount.amount()), auctions::countdown_seconds.eq(cmd.countdown_seconds),
                    auctions::announcement_at.eq(cmd.announcement_at), auctions::starts_at.eq(cmd.starts_at),
                    auctions::free_bidding_until.eq(cmd.free_bidding_until), auctions::listing_until.eq(cmd.listing_until),
                    auctions::created_by.eq(caller.user_id),
                    auctions::hold_applied_seq.eq(applied.unwrap_or(0)),
                    auctions::extend_working_days.eq(cmd.extension.as_ref().map(|e| e.working_days)),
                    auctions::extend_max.eq(cmd.extension.as_ref().map_or(0, |e| e.max_extensions)),
                    auctions::extend_if_at_most.eq(cmd.extension.as_ref().map_or(0, |e| e.if_at_most)),
                ))
                .execute(c)
                .await?;
            audit::record(c, &actor, "auction.create", Some(("auction", id.to_string())),
                json!({"code": code, "format": format_str(cmd.format), "start_price": cmd.start_price.to_string()})).await?;
            Ok::<_, AppError>(json!({"id": id, "code": code, "status": "scheduled"}))
        })
        .await?;
    Ok(HttpResponse::Created().json(created))
}

/// The stored name of a format.
pub fn format_str(f: Format) -> &'static str {
    match f {
        Format::English => "english",
        Format::Listing => "listing",
        Format::OnlineMultiRound => "online_multi_round",
    }
}

/// Publishes the lot's announcement; the engine's timer is set for the start.
#[utoipa::path(post, path = "/api/v1/auctions/{id}/publish", tag = "execute", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "auction id")),
    responses((status = 200, description = "the lot's state"), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "invalid_state"), (status = 423, body = Problem)))]
pub async fn publish(ctx: Ctx, path: web::Path<Uuid>, _body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let v = conn
        .transaction(async |c| {
            let mut a = load(c, id, true).await?;
            // an agency publishes its own org's lots only (issue 13, finding 7: any agency could
            // publish another org's unpublished lot); another org's lot answers 404
            let p = crate::execute::projects::load(c, a.project_id).await?;
            if crate::execute::projects::require_owner(&p, &caller).is_err() {
                return Err(AppError::not_found("auction"));
            }
            guard(c, a.subject()).await?;
            if a.published {
                return Err(AppError::conflict("invalid_state", "already published"));
            }
            a.published = true;
            diesel::update(auctions::table.find(id))
                .set(auctions::published.eq(true))
                .execute(c)
                .await?;
            schedule(c, &a).await?;
            let now = clock::now(c).await?;
            let s = state(&a, None, now);
            audit::record(
                c,
                &actor,
                "auction.publish",
                Some(("auction", id.to_string())),
                json!({}),
            )
            .await?;
            outbox::emit(
                c,
                Kind::Public,
                "auction.announcement",
                Some(("auction", id.to_string())),
                s.clone(),
            )
            .await?;
            crate::notify::triggers::auction_published(c, id).await?;
            Ok::<_, AppError>(s)
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

async fn view(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<serde_json::Value> {
    let a = load(conn, id, false).await?;
    if !a.published {
        return Err(AppError::not_found("auction"));
    }
    let now = clock::now(conn).await?;
    // stage changes due but not yet applied by the timer are shown as they stand (a close is
    // shown without its result, which needs the sealed reserve)
    let mut lot: Lot = a.lot()?;
    let quoting = if a.format == "listing" {
        super::quoting_bidders(conn, id).await?
    } else {
        0
    };
    if a.paused_at.is_none() {
        while let Some(step) = due_step(&lot, now, quoting) {
            super::engine::apply(&mut lot, step);
        }
    }
    let mut shown = a.clone();
    shown.stage = stage_str(lot.stage);
    shown.ends_at = if lot.stage == Stage::Closed {
        a.ends_at
    } else {
        lot.ends_at
    };
    let leader = super::leader_number(conn, &a).await?;
    let mut v = state(&shown, leader, now);
    // the auction hall it takes place in
    v["venues"] =
        serde_json::Value::Array(crate::execute::venues::bookings_of(conn, "auction", id).await?);
    Ok(v)
}

/// The lot's state for signed-in users: stage, current price, the leader's anonymous number, the
/// end of the countdown and the server time; nothing about the reserve price.
#[utoipa::path(get, path = "/api/v1/auctions/{id}", tag = "execute", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "auction id")),
    responses((status = 200, description = "{status, current_price, leader_number, ends_at, server_time, bid_count}"),
              (status = 403, body = Problem, description = "not_assigned (a social supervisor not assigned to the lot)"),
              (status = 404, body = Problem)))]
pub async fn get_auction(ctx: Ctx, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let mut conn = ctx.conn().await?;
    let lot = view(&mut conn, id).await?;
    // a social supervisor reads only the lots it stands assigned to, and every read is in the
    // supervision access log (issue 13, finding 11)
    if let Some(c) = ctx.caller.as_ref()
        && c.role == crate::roles::Role::SocialSupervisor
    {
        crate::core::social_scope::view(&mut conn, c.user_id, "auction", id).await?;
    }
    Ok(HttpResponse::Ok().json(lot))
}

/// The project category, for callers outside this module.
pub async fn category_of(conn: &mut AsyncPgConnection, project_id: Uuid) -> AppResult<String> {
    Ok(projects::table
        .find(project_id)
        .select(projects::category)
        .first(conn)
        .await?)
}
