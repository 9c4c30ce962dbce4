//! Complaints (投诉) are filed on the supervision platform (20号令 第五十一条) inside their
//! statutory window: 10 日 (招标投标法实施条例 第六十条) for a tender outside procurement, 15 工作日
//! (政府采购法 第五十五条) for a procurement tender, counted from the events a bidder learns from
//! (publication, opening, candidate publicity and its end). The regulator accepts and decides them
//! on the decide plane (`crate::decide::complaints`); a complaint's status is derived from those
//! rows: filed → accepted | rejected → upheld | dismissed.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::outbox::{self, Kind};
use crate::core::{audit, clock};
use crate::db::schema::{auction_registrations, bids, complaints, document_downloads};
use crate::decide::rules::{calendar_missing, load_calendar, load_rules};
use crate::error::{AppError, AppResult, Problem, Violation};
use crate::http::body::Command;
use crate::http::ctx::Ctx;
use crate::roles::Role;
use crate::rules::calendar::Calendar;
use crate::rules::schedule::period_deadline;
use crate::rules::set::RuleSet;

/// The end of the period `<regime>.<what>` started at `start` (`regime` is `ztb` or `gp`).
pub fn complaint_period_end(
    rules: &RuleSet,
    cal: &Calendar,
    regime: &str,
    what: &str,
    start: DateTime<Utc>,
) -> AppResult<DateTime<Utc>> {
    let rule_id = format!("{regime}.{what}");
    period_deadline(rules, cal, &rule_id, start)
        .map_err(calendar_missing)?
        .ok_or_else(|| {
            AppError::internal(anyhow::anyhow!(
                "the rule set has no period {rule_id} in force"
            ))
        })
}

/// File a complaint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintCmd {
    /// tender | auction.
    pub subject_type: String,
    /// The tender or auction complained about.
    pub subject_id: Uuid,
    /// The complaint.
    pub text: String,
}

/// The regulator's acceptance as shown with a complaint.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptanceView {
    /// Accepted or rejected.
    pub accepted: bool,
    /// Why.
    pub reason: String,
    /// When it was due.
    pub due_at: String,
    /// Whether it came after `due_at`.
    pub late: bool,
    /// When.
    pub at: String,
}

/// The regulator's decision as shown with a complaint.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    /// upheld | dismissed.
    pub decision: String,
    /// The written decision.
    pub text: String,
    /// When it was due.
    pub due_at: String,
    /// Whether it came after `due_at`.
    pub late: bool,
    /// When.
    pub at: String,
}

/// A complaint with its derived status.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintView {
    /// Id.
    pub id: Uuid,
    /// tender | auction.
    pub subject_type: String,
    /// Subject id.
    pub subject_id: Uuid,
    /// The complainant's org.
    pub org_id: Uuid,
    /// Text.
    pub text: String,
    /// filed | accepted | rejected | upheld | dismissed.
    pub status: String,
    /// Filed at.
    pub filed_at: String,
    /// The end of the window it was filed in (none for an auction).
    pub window_ends: Option<String>,
    /// When the acceptance is due (3 or 5 工作日 after filing).
    pub acceptance_due: String,
    /// The acceptance, once given.
    pub acceptance: Option<AcceptanceView>,
    /// The decision, once given.
    pub decision: Option<DecisionView>,
}

#[derive(QueryableByName)]
struct TenderHead {
    #[diesel(sql_type = Text)]
    category: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    published_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    opened_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    publicity_starts_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    publicity_ends_at: Option<DateTime<Utc>>,
}

#[derive(QueryableByName)]
struct AuctionHead {
    #[diesel(sql_type = Bool)]
    published: bool,
}

/// Checks a tender complaint's window; returns the rule family and the window's end.
async fn tender_window(
    c: &mut AsyncPgConnection,
    id: Uuid,
    org: Uuid,
    now: DateTime<Utc>,
) -> AppResult<(&'static str, Option<DateTime<Utc>>)> {
    let heads: Vec<TenderHead> = diesel::sql_query(
        "SELECT p.category, t.published_at, t.opened_at, t.publicity_starts_at, t.publicity_ends_at \
         FROM tenders t JOIN projects p ON p.id = t.project_id WHERE t.id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .load(c)
    .await?;
    let head = heads
        .into_iter()
        .next()
        .filter(|h| h.published_at.is_some())
        .ok_or_else(|| AppError::not_found("tender"))?;
    let downloaded: i64 = document_downloads::table
        .filter(document_downloads::tender_id.eq(id))
        .filter(document_downloads::org_id.eq(org))
        .count()
        .get_result(c)
        .await?;
    let bid: i64 = bids::table
        .filter(bids::tender_id.eq(id))
        .filter(bids::org_id.eq(org))
        .count()
        .get_result(c)
        .await?;
    if downloaded + bid == 0 {
        return Err(AppError::conflict(
            "not_a_participant",
            "a complaint is filed by a bidder or another party with an interest in the tender",
        ));
    }
    let (regime, rule_id) = if head.category == "procurement" {
        ("gp", "gp.complaint_max")
    } else {
        ("ztb", "ztb.complaint_max")
    };
    let rules = load_rules(c).await?;
    let cal = load_calendar(c).await?;
    // the events from which a bidder knows what it complains about
    let mut window_ends: Option<DateTime<Utc>> = None;
    for anchor in [
        head.published_at,
        head.opened_at,
        head.publicity_starts_at,
        head.publicity_ends_at,
    ]
    .into_iter()
    .flatten()
    .filter(|a| *a <= now)
    {
        let end = complaint_period_end(&rules, &cal, regime, "complaint_max", anchor)?;
        window_ends = Some(window_ends.map_or(end, |w| w.max(end)));
    }
    let Some(ends) = window_ends else {
        return Err(AppError::not_found("tender"));
    };
    if now > ends {
        let rule = rules.get(rule_id);
        let citation = rule.map(|r| r.citation.clone()).unwrap_or_else(|| {
            if regime == "gp" {
                "政府采购法 第五十五条".into()
            } else {
                "招标投标法实施条例 第六十条".into()
            }
        });
        let period = if regime == "gp" {
            "15 工作日"
        } else {
            "10 日"
        };
        return Err(AppError::violations(vec![Violation {
            rule: rule_id.into(),
            citation,
            detail: format!(
                "a complaint is filed within {period} of the event complained about; the window ended at {}",
                clock::fmt(ends)
            ),
        }]));
    }
    Ok((regime, Some(ends)))
}

/// Checks an auction complaint: the lot is published and the org registered for it.
async fn auction_check(c: &mut AsyncPgConnection, id: Uuid, org: Uuid) -> AppResult<()> {
    let heads: Vec<AuctionHead> = diesel::sql_query("SELECT published FROM auctions WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .load(c)
        .await?;
    if !heads.into_iter().next().is_some_and(|h| h.published) {
        return Err(AppError::not_found("auction"));
    }
    let registered: i64 = auction_registrations::table
        .filter(auction_registrations::auction_id.eq(id))
        .filter(auction_registrations::org_id.eq(org))
        .count()
        .get_result(c)
        .await?;
    if registered == 0 {
        return Err(AppError::conflict(
            "not_a_participant",
            "a complaint is filed by a party registered for the auction",
        ));
    }
    Ok(())
}

/// A bidder files a complaint inside the statutory window → `201 {id, status: "filed"}`.
#[utoipa::path(post, path = "/api/v1/complaints", tag = "supervise", request_body = ComplaintCmd,
    security(("bearer" = [])),
    responses((status = 201, description = "{id, status: filed, window_ends}"), (status = 400, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem, description = "not_a_participant"),
              (status = 422, body = Problem, description = "outside the window: violations with citations")))]
pub async fn file(ctx: Ctx, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let cmd: ComplaintCmd = body.parse()?;
    if caller.role != Role::Bidder {
        return Err(AppError::forbidden(
            "forbidden_role",
            "complaints are filed by bidders",
        ));
    }
    let org = caller
        .org_id
        .ok_or_else(|| AppError::forbidden("org_required", "this account belongs to no org"))?;
    if !matches!(cmd.subject_type.as_str(), "tender" | "auction") {
        return Err(AppError::unprocessable(
            "invalid_field",
            "subject_type is tender or auction",
        ));
    }
    let text = cmd.text.trim();
    if text.is_empty() || text.chars().count() > 20000 {
        return Err(AppError::unprocessable(
            "invalid_field",
            "the complaint has 1 to 20000 characters",
        ));
    }
    let id = Uuid::now_v7();
    let mut conn = ctx.conn().await?;
    let answer = conn
        .transaction(async |c| {
            let now = clock::now(c).await?;
            let (regime, window_ends) = if cmd.subject_type == "tender" {
                tender_window(c, cmd.subject_id, org, now).await?
            } else {
                auction_check(c, cmd.subject_id, org).await?;
                ("ztb", None)
            };
            let rules = load_rules(c).await?;
            let cal = load_calendar(c).await?;
            let acceptance_due = complaint_period_end(
                &rules,
                &cal.earliest(),
                regime,
                "complaint_acceptance_max",
                now,
            )?;
            diesel::insert_into(complaints::table)
                .values((
                    complaints::id.eq(id),
                    complaints::subject_type.eq(&cmd.subject_type),
                    complaints::subject_id.eq(cmd.subject_id),
                    complaints::org_id.eq(org),
                    complaints::user_id.eq(caller.user_id),
                    complaints::text.eq(text),
                    complaints::regime.eq(regime),
                    complaints::window_ends.eq(window_ends),
                    complaints::filed_at.eq(now),
                ))
                .execute(c)
                .await?;
            let subject = Some((cmd.subject_type.as_str(), cmd.subject_id.to_string()));
            let details = json!({"complaint_id": id, "acceptance_due": clock::fmt(acceptance_due)});
            audit::record(
                c,
                &actor,
                "complaint.filed",
                subject.clone(),
                details.clone(),
            )
            .await?;
            outbox::emit(c, Kind::Event, "complaint.filed", subject, details).await?;
            Ok::<_, AppError>(json!({
                "id": id, "status": "filed",
                "window_ends": window_ends.map(clock::fmt),
                "acceptance_due": clock::fmt(acceptance_due),
            }))
        })
        .await?;
    Ok(HttpResponse::Created().json(answer))
}

/// Filter complaints.
#[derive(Debug, Deserialize)]
pub struct ComplaintQuery {
    /// filed | accepted | rejected | upheld | dismissed.
    pub status: Option<String>,
}

#[derive(QueryableByName)]
struct ComplaintRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    subject_type: String,
    #[diesel(sql_type = SqlUuid)]
    subject_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    org_id: Uuid,
    #[diesel(sql_type = Text)]
    text: String,
    #[diesel(sql_type = Text)]
    regime: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Timestamptz)]
    filed_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    window_ends: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Bool>)]
    accepted: Option<bool>,
    #[diesel(sql_type = Nullable<Text>)]
    reason: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    a_due: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Bool>)]
    a_late: Option<bool>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    a_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    decision: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    d_text: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    d_due: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Bool>)]
    d_late: Option<bool>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    d_at: Option<DateTime<Utc>>,
}

/// Complaints: a bidder sees its org's own, supervisors and the regulator all (`?status=`).
#[utoipa::path(get, path = "/api/v1/complaints", tag = "supervise", security(("bearer" = [])),
    params(("status" = Option<String>, Query, description = "filed | accepted | rejected | upheld | dismissed")),
    responses((status = 200, description = "{items: [ComplaintView]}"), (status = 400, body = Problem)))]
pub async fn list(ctx: Ctx, query: web::Query<ComplaintQuery>) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let status = query.into_inner().status;
    if let Some(s) = &status
        && !matches!(
            s.as_str(),
            "filed" | "accepted" | "rejected" | "upheld" | "dismissed"
        )
    {
        return Err(AppError::bad_request(
            "invalid_query",
            "status is filed, accepted, rejected, upheld or dismissed",
        ));
    }
    let org: Option<Uuid> = if caller.role == Role::Bidder {
        Some(caller.org_id.unwrap_or_default())
    } else {
        None
    };
    let mut conn = ctx.conn().await?;
    let rows: Vec<ComplaintRow> = diesel::sql_query(
        "SELECT * FROM ( \
           SELECT c.id, c.subject_type, c.subject_id, c.org_id, c.text, c.regime, c.filed_at, \
                  c.window_ends, a.accepted, a.reason, a.due_at AS a_due, a.late AS a_late, \
                  a.at AS a_at, d.decision, d.text AS d_text, d.due_at AS d_due, d.late AS d_late, \
                  d.at AS d_at, \
                  CASE WHEN d.decision IS NOT NULL THEN d.decision \
                       WHEN a.accepted IS NULL THEN 'filed' \
                       WHEN a.accepted THEN 'accepted' ELSE 'rejected' END AS status \
           FROM complaints c \
           LEFT JOIN complaint_acceptances a ON a.complaint_id = c.id \
           LEFT JOIN complaint_decisions d ON d.complaint_id = c.id \
           WHERE ($1::uuid IS NULL OR c.org_id = $1) \
         ) x WHERE ($2::text IS NULL OR x.status = $2) \
         ORDER BY x.filed_at DESC, x.id DESC",
    )
    .bind::<Nullable<SqlUuid>, _>(org)
    .bind::<Nullable<Text>, _>(status)
    .load(&mut conn)
    .await?;
    let rules = load_rules(&mut conn).await?;
    let cal = load_calendar(&mut conn).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let acceptance_due = complaint_period_end(
            &rules,
            &cal.earliest(),
            &r.regime,
            "complaint_acceptance_max",
            r.filed_at,
        )?;
        let acceptance = match (r.accepted, r.reason, r.a_due, r.a_late, r.a_at) {
            (Some(accepted), Some(reason), Some(due), Some(late), Some(at)) => {
                Some(AcceptanceView {
                    accepted,
                    reason,
                    due_at: clock::fmt(due),
                    late,
                    at: clock::fmt(at),
                })
            }
            _ => None,
        };
        let decision = match (r.decision, r.d_text, r.d_due, r.d_late, r.d_at) {
            (Some(decision), Some(text), Some(due), Some(late), Some(at)) => Some(DecisionView {
                decision,
                text,
                due_at: clock::fmt(due),
                late,
                at: clock::fmt(at),
            }),
            _ => None,
        };
        items.push(ComplaintView {
            id: r.id,
            subject_type: r.subject_type,
            subject_id: r.subject_id,
            org_id: r.org_id,
            text: r.text,
            status: r.status,
            filed_at: clock::fmt(r.filed_at),
            window_ends: r.window_ends.map(clock::fmt),
            acceptance_due: clock::fmt(acceptance_due),
            acceptance,
            decision,
        });
    }
    Ok(HttpResponse::Ok().json(json!({"items": items, "next": null})))
}
