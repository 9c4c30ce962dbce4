//! Real-time warnings (红黄牌, DOMAIN-RULES.md §5D; DESIGN.md §5 电子监察): yellow when a limit is
//! near or for a minor irregularity, red when a limit has passed or for a breach. The supervise
//! plane's timer job `supervision.scan` runs every minute of platform time over what the
//! supervise role may read and raises each card once (one row per rule, subject and level), with
//! its statutory citation, owner (who is expected to act), due time and evidence; a supervisor
//! closes a card with the evidence that resolved it. A card whose cause went away (the objection
//! was answered, the award or contract was made) is closed by the scan itself.
//!
//! Rules of the scan:
//! - an objection (异议) whose reply is due within 24 h → yellow, overdue → red (招标投标法实施条例
//!   第二十二条 for the documents, 第四十四条 at the opening, 第五十四条 for the result);
//! - a candidate publicity shorter than 3 日 → red (招标投标法实施条例 第五十四条);
//! - no award 15 日 after the publicity ended → red (工程建设项目施工招标投标办法 第五十六条);
//! - no contract 30 日 after the award → red (招标投标法 第四十六条);
//! - a committee member replaced (re-drawn) → yellow (招标投标法实施条例 第四十六条);
//! - fewer than three organisations obtained the documents 3 日 before the deadline → yellow
//!   (招标投标法 第二十八条);
//! - from 1 November (China time) while next year has no State Council holiday notice → yellow,
//!   and from 1 January while the current year still has none → red, owned by the regulator,
//!   naming the year ([`calendar_rules`]; issue 14: such a year is counted provisionally).

use std::collections::HashSet;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::core::outbox::{self, Kind};
use crate::core::{audit, clock, jobs};
use crate::db::DbPool;
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;
use crate::roles::Role;

/// The supervise plane's periodic scan.
pub const SCAN_JOB: &str = "supervision.scan";

/// The dedupe key of the scan due at `at`: one scan per minute of platform time.
fn minute_key(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M").to_string()
}

/// Enqueues the scan now unless one for this minute exists (on a supervise-plane connection).
pub async fn ensure_scan(pool: &DbPool) -> anyhow::Result<()> {
    let mut conn = pool.get().await?;
    let now = clock::now(&mut conn).await?;
    jobs::enqueue(&mut conn, SCAN_JOB, json!({}), now, Some(&minute_key(now))).await?;
    Ok(())
}

/// The scan job: raises the due cards, closes those whose cause went away, and schedules the
/// next scan a minute later.
pub fn scan_job(
    conn: &mut AsyncPgConnection,
    _payload: Value,
) -> BoxFuture<'_, anyhow::Result<()>> {
    Box::pin(async move {
        let now = clock::now(conn).await?;
        scan(conn, now).await?;
        let next = now + Duration::minutes(1);
        jobs::enqueue(conn, SCAN_JOB, json!({}), next, Some(&minute_key(next))).await?;
        Ok(())
    })
}

#[derive(QueryableByName)]
struct Raised {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    level: String,
    #[diesel(sql_type = Text)]
    rule: String,
    #[diesel(sql_type = Text)]
    citation: String,
    #[diesel(sql_type = Text)]
    subject_type: String,
    #[diesel(sql_type = SqlUuid)]
    subject_id: Uuid,
    #[diesel(sql_type = Text)]
    owner: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    due_at: Option<DateTime<Utc>>,
}

const INSERT: &str = "INSERT INTO warnings (id, level, rule, citation, subject_type, subject_id, owner, \
                      raised_at, due_at, evidence) ";
const ON_CONFLICT: &str = " ON CONFLICT (rule, subject_type, subject_id, level) DO NOTHING \
                           RETURNING id, level, rule, citation, subject_type, subject_id, owner, due_at";

const OBJECTION_CITATION: &str = "CASE o.stage WHEN 'documents' THEN '招标投标法实施条例 第二十二条' \
                                  WHEN 'opening' THEN '招标投标法实施条例 第四十四条' \
                                  ELSE '招标投标法实施条例 第五十四条' END";

/// The scan's rules: each a `SELECT` of the cards' values (`$1` is the platform time).
fn rules() -> Vec<String> {
    let objection = |level: &str, rule: &str, cond: &str| {
        format!(
            "SELECT gen_random_uuid(), '{level}', '{rule}', {OBJECTION_CITATION}, 'objection', o.id, \
                    'agency', $1, o.reply_due, \
                    jsonb_build_object('tender_id', t.id, 'tender_code', t.code, 'stage', o.stage, \
                                       'filed_at', o.filed_at, 'reply_due', o.reply_due) \
             FROM objections o JOIN tenders t ON t.id = o.tender_id \
             WHERE o.replied_at IS NULL AND t.status NOT IN ('cancelled', 'failed') AND {cond}"
        )
    };
    vec![
        objection(
            "yellow",
            "objection_reply_due",
            "o.reply_due > $1 AND o.reply_due <= $1 + interval '24 hours'",
        ),
        objection("red", "objection_reply_overdue", "o.reply_due <= $1"),
        // a social supervisor's concern is answered in time (the supervision channel may not be
        // blocked: 电子招标投标办法 第四十八条); yellow the day before, red once overdue
        "SELECT gen_random_uuid(), 'yellow', 'concern_answer_due', '电子招标投标办法 第四十八条', \
                'observation', o.id, 'supervisor', $1, o.answer_due, \
                jsonb_build_object('subject_type', o.subject_type, 'subject_id', o.subject_id, 'answer_due', o.answer_due) \
         FROM observations o \
         WHERE o.kind = 'concern' AND o.answered_at IS NULL \
           AND o.answer_due > $1 AND o.answer_due <= $1 + interval '24 hours'"
            .into(),
        "SELECT gen_random_uuid(), 'red', 'concern_overdue', '电子招标投标办法 第四十八条', \
                'observation', o.id, 'supervisor', $1, o.answer_due, \
                jsonb_build_object('subject_type', o.subject_type, 'subject_id', o.subject_id, 'answer_due', o.answer_due) \
         FROM observations o \
         WHERE o.kind = 'concern' AND o.answered_at IS NULL AND o.answer_due <= $1"
            .into(),
        "SELECT gen_random_uuid(), 'red', 'publicity_too_short', '招标投标法实施条例 第五十四条', \
                'tender', t.id, 'agency', $1, NULL::timestamptz, \
                jsonb_build_object('tender_code', t.code, 'publicity_starts_at', t.publicity_starts_at, \
                                   'publicity_ends_at', t.publicity_ends_at, 'minimum', '3 日') \
         FROM tenders t \
         WHERE t.publicity_starts_at IS NOT NULL AND t.publicity_ends_at IS NOT NULL \
           AND t.publicity_ends_at - t.publicity_starts_at < interval '3 days'"
            .into(),
        "SELECT gen_random_uuid(), 'red', 'award_overdue', '工程建设项目施工招标投标办法 第五十六条', \
                'tender', t.id, 'agency', $1, t.publicity_ends_at + interval '15 days', \
                jsonb_build_object('tender_code', t.code, 'publicity_ends_at', t.publicity_ends_at, \
                                   'window', '15 日') \
         FROM tenders t \
         WHERE t.status = 'publicity' AND t.publicity_ends_at + interval '15 days' <= $1 \
           AND NOT EXISTS (SELECT 1 FROM awards a WHERE a.tender_id = t.id)"
            .into(),
        "SELECT gen_random_uuid(), 'red', 'contract_overdue', '招标投标法 第四十六条', \
                'tender', t.id, 'agency', $1, a.awarded_at + interval '30 days', \
                jsonb_build_object('tender_code', t.code, 'awarded_at', a.awarded_at, 'window', '30 日') \
         FROM awards a JOIN tenders t ON t.id = a.tender_id \
         WHERE t.status NOT IN ('cancelled', 'failed') AND a.awarded_at + interval '30 days' <= $1 \
           AND NOT EXISTS (SELECT 1 FROM contracts c WHERE c.tender_id = a.tender_id)"
            .into(),
        "SELECT gen_random_uuid(), 'yellow', 'committee_redrawn', '招标投标法实施条例 第四十六条', \
                'tender', t.id, 'center_staff', $1, NULL::timestamptz, \
                jsonb_build_object('tender_code', t.code, 'replaced', \
                    (SELECT count(*) FROM committee_members m WHERE m.tender_id = t.id AND m.status = 'replaced')) \
         FROM tenders t \
         WHERE EXISTS (SELECT 1 FROM committee_members m WHERE m.tender_id = t.id AND m.status = 'replaced')"
            .into(),
        "SELECT gen_random_uuid(), 'yellow', 'few_downloads', '招标投标法 第二十八条', \
                'tender', t.id, 'agency', $1, t.bid_deadline, \
                jsonb_build_object('tender_code', t.code, 'bid_deadline', t.bid_deadline, 'organisations', \
                    (SELECT count(DISTINCT d.org_id) FROM document_downloads d WHERE d.tender_id = t.id), \
                    'minimum', 3) \
         FROM tenders t \
         WHERE t.status = 'bidding' AND t.bid_deadline > $1 AND t.bid_deadline <= $1 + interval '3 days' \
           AND (SELECT count(DISTINCT d.org_id) FROM document_downloads d WHERE d.tender_id = t.id) < 3"
            .into(),
    ]
}

/// The subject of a calendar card: the year as a fixed UUID (`…-000000002027`), so a year has
/// one card per level.
const CALENDAR_SUBJECT: &str = "('00000000-0000-0000-0000-' || lpad(y.year::text, 12, '0'))::uuid";

/// The calendar cards (`$1` is the platform time): the State Council's notice of a year is
/// data the regulator enters (`PUT /calendar/{year}`); without it the year is provisional
/// (DOMAIN-RULES §8.12: its 调休 unknown, minimum periods counted the long way). The notice
/// normally comes out in November, so the card is raised from 1 November for next year (yellow,
/// due at its 1 January) and turns red while a year under way still has none.
fn calendar_rules() -> Vec<String> {
    let card = |level: &str, rule: &str, year: &str, cond: &str| {
        format!(
            "SELECT gen_random_uuid(), '{level}', '{rule}', '全国年节及纪念日放假办法 第二条', \
                    'calendar', {CALENDAR_SUBJECT}, 'regulator', $1, \
                    make_timestamptz(y.year, 1, 1, 0, 0, 0, 'Asia/Shanghai'), \
                    jsonb_build_object('year', y.year, 'calendar', 'provisional', \
                        'action', format('enter the State Council''s holiday notice for %s \
                                          (PUT /api/v1/calendar/%s)', y.year, y.year), \
                        'basis', '国务院令第795号: statutory days off only, 调休 unknown') \
             FROM (SELECT {year} AS year) y \
             WHERE {cond} AND NOT EXISTS \
                 (SELECT 1 FROM calendar_years c WHERE c.year = y.year AND NOT c.provisional)"
        )
    };
    let this_year = "extract(year FROM $1 AT TIME ZONE 'Asia/Shanghai')::int";
    vec![
        card(
            "yellow",
            "calendar_notice_missing",
            &format!("{this_year} + 1"),
            "extract(month FROM $1 AT TIME ZONE 'Asia/Shanghai') >= 11",
        ),
        card("red", "calendar_notice_missing", this_year, "true"),
    ]
}

/// Closes the open cards whose cause went away (`$1` is the platform time).
const AUTO_RESOLVE: &[&str] = &[
    "UPDATE warnings w SET status = 'resolved', resolved_at = $1, \
            resolution = jsonb_build_object('by', 'scan', 'notice', c.source, 'version', c.version) \
     FROM calendar_years c \
     WHERE w.status = 'open' AND w.rule = 'calendar_notice_missing' AND NOT c.provisional \
       AND w.subject_id = ('00000000-0000-0000-0000-' || lpad(c.year::text, 12, '0'))::uuid",
    "UPDATE warnings w SET status = 'resolved', resolved_at = $1, \
            resolution = jsonb_build_object('by', 'scan', 'answered_at', o.answered_at) \
     FROM observations o \
     WHERE w.status = 'open' AND w.subject_type = 'observation' AND w.subject_id = o.id \
       AND o.answered_at IS NOT NULL",
    "UPDATE warnings w SET status = 'resolved', resolved_at = $1, \
            resolution = jsonb_build_object('by', 'scan', 'replied_at', o.replied_at) \
     FROM objections o \
     WHERE w.status = 'open' AND w.subject_type = 'objection' AND w.subject_id = o.id \
       AND o.replied_at IS NOT NULL",
    "UPDATE warnings w SET status = 'resolved', resolved_at = $1, \
            resolution = jsonb_build_object('by', 'scan', 'awarded_at', a.awarded_at) \
     FROM awards a \
     WHERE w.status = 'open' AND w.rule = 'award_overdue' AND w.subject_id = a.tender_id",
    "UPDATE warnings w SET status = 'resolved', resolved_at = $1, \
            resolution = jsonb_build_object('by', 'scan', 'recorded_at', c.recorded_at) \
     FROM contracts c \
     WHERE w.status = 'open' AND w.rule = 'contract_overdue' AND w.subject_id = c.tender_id",
];

/// One pass of the scan at platform time `now`; returns the cards it raised.
pub async fn scan(conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> anyhow::Result<usize> {
    for sql in AUTO_RESOLVE {
        diesel::sql_query(*sql)
            .bind::<Timestamptz, _>(now)
            .execute(conn)
            .await?;
    }
    let mut raised = 0;
    for select in rules().into_iter().chain(calendar_rules()) {
        let rows: Vec<Raised> = diesel::sql_query(format!("{INSERT}{select}{ON_CONFLICT}"))
            .bind::<Timestamptz, _>(now)
            .load(conn)
            .await?;
        for r in rows {
            raised += 1;
            let data = json!({"warning_id": r.id, "level": r.level, "rule": r.rule,
                              "citation": r.citation, "owner": r.owner,
                              "due_at": r.due_at.map(clock::fmt), "raised_at": clock::fmt(now)});
            outbox::emit(
                conn,
                Kind::Event,
                "warning.raised",
                Some((r.subject_type.as_str(), r.subject_id.to_string())),
                data,
            )
            .await?;
            crate::notify::triggers::warning_raised(
                conn,
                r.id,
                &r.level,
                &r.rule,
                &r.citation,
                &r.owner,
                r.subject_id,
                r.due_at,
            )
            .await
            .map_err(|e| anyhow::anyhow!("mailing the owner of warning {}: {e:?}", r.id))?;
        }
    }
    Ok(raised)
}

/// A card as shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct WarningView {
    /// The card.
    pub id: Uuid,
    /// yellow | red.
    pub level: String,
    /// The scan's rule.
    pub rule: String,
    /// The statutory reference ("<law> 第N条").
    pub citation: String,
    /// objection | tender.
    pub subject_type: String,
    /// The subject.
    pub subject_id: Uuid,
    /// Who is expected to act (a role).
    pub owner: String,
    /// When it was raised.
    pub raised_at: String,
    /// When the limit falls (or fell).
    pub due_at: Option<String>,
    /// open | resolved.
    pub status: String,
    /// What the scan saw.
    pub evidence: Value,
    /// Who closed it (none when the scan did).
    pub resolved_by: Option<Uuid>,
    /// When it was closed.
    pub resolved_at: Option<String>,
    /// The evidence that closed it.
    pub resolution: Option<Value>,
}

#[derive(QueryableByName)]
pub(crate) struct WarningRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    level: String,
    #[diesel(sql_type = Text)]
    rule: String,
    #[diesel(sql_type = Text)]
    citation: String,
    #[diesel(sql_type = Text)]
    subject_type: String,
    #[diesel(sql_type = SqlUuid)]
    subject_id: Uuid,
    #[diesel(sql_type = Text)]
    owner: String,
    #[diesel(sql_type = Timestamptz)]
    raised_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    due_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Jsonb)]
    evidence: Value,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    resolved_by: Option<Uuid>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    resolved_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    resolution: Option<Value>,
}

impl From<WarningRow> for WarningView {
    fn from(r: WarningRow) -> Self {
        WarningView {
            id: r.id,
            level: r.level,
            rule: r.rule,
            citation: r.citation,
            subject_type: r.subject_type,
            subject_id: r.subject_id,
            owner: r.owner,
            raised_at: clock::fmt(r.raised_at),
            due_at: r.due_at.map(clock::fmt),
            status: r.status,
            evidence: r.evidence,
            resolved_by: r.resolved_by,
            resolved_at: r.resolved_at.map(clock::fmt),
            resolution: r.resolution,
        }
    }
}

const COLUMNS: &str = "id, level, rule, citation, subject_type, subject_id, owner, raised_at, due_at, \
                       status, evidence, resolved_by, resolved_at, resolution";

/// The cards, newest first, optionally of one status and level.
pub async fn load(
    conn: &mut AsyncPgConnection,
    status: Option<&str>,
    level: Option<&str>,
) -> diesel::QueryResult<Vec<WarningView>> {
    let rows: Vec<WarningRow> = diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM warnings \
         WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR level = $2) \
         ORDER BY raised_at DESC, id DESC"
    ))
    .bind::<Nullable<Text>, _>(status)
    .bind::<Nullable<Text>, _>(level)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(WarningView::from).collect())
}

/// The list's filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WarningQuery {
    /// open | resolved.
    pub status: Option<String>,
    /// yellow | red.
    pub level: Option<String>,
}

/// The cards (supervisor, regulator) → `{items}`.
#[utoipa::path(get, path = "/api/v1/supervision/warnings", tag = "supervise", params(WarningQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "{items: [{id, level, rule, citation, subject_type, subject_id, owner, raised_at, due_at, status, evidence, resolved_by, resolved_at, resolution}]}"),
              (status = 400, body = Problem, description = "invalid_query")))]
pub async fn list(ctx: Ctx, query: web::Query<WarningQuery>) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let q = query.into_inner();
    if let Some(s) = &q.status
        && !matches!(s.as_str(), "open" | "resolved")
    {
        return Err(AppError::bad_request(
            "invalid_query",
            "status is open or resolved",
        ));
    }
    if let Some(l) = &q.level
        && !matches!(l.as_str(), "yellow" | "red")
    {
        return Err(AppError::bad_request(
            "invalid_query",
            "level is yellow or red",
        ));
    }
    let mut conn = ctx.conn().await?;
    let mut items = load(&mut conn, q.status.as_deref(), q.level.as_deref()).await?;
    if caller.role == Role::SocialSupervisor {
        // only the cards of the subjects it may view (API.md: "assigned subjects")
        let visible = super::social::visible_subjects(&mut conn, caller.user_id).await?;
        items.retain(|w| concerns(w, &visible));
        // every subject whose cards it was shown is a view in the access log
        super::social::log_views(&mut conn, caller.user_id, &roots(&items), true).await?;
    }
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}

/// The tender, auction or project a card is about: directly, or through the objection (its
/// tender) or the observation (its subject) it is raised on.
pub fn root(w: &WarningView) -> Option<(String, Uuid)> {
    let pair = |t: &Value, id: &Value| -> Option<(String, Uuid)> {
        Some((t.as_str()?.to_string(), id.as_str()?.parse().ok()?))
    };
    match w.subject_type.as_str() {
        "tender" | "auction" | "project" => Some((w.subject_type.clone(), w.subject_id)),
        "objection" => pair(&json!("tender"), &w.evidence["tender_id"]),
        "observation" => pair(&w.evidence["subject_type"], &w.evidence["subject_id"]),
        _ => None,
    }
}

/// Whether a card is about one of `visible` tenders, auctions or projects (see [`root`]).
pub fn concerns(w: &WarningView, visible: &HashSet<(String, Uuid)>) -> bool {
    root(w).is_some_and(|r| visible.contains(&r))
}

/// The distinct subjects of the cards shown, for the access log.
pub fn roots(items: &[WarningView]) -> Vec<(String, Uuid)> {
    let mut seen = HashSet::new();
    items
        .iter()
        .filter_map(root)
        .filter(|r| seen.insert(r.clone()))
        .collect()
}

/// Closing a card.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveCmd {
    /// The evidence that resolved it (text or an object).
    pub evidence: Value,
}

/// A supervisor closes a card with its evidence → `200` the card.
#[utoipa::path(post, path = "/api/v1/supervision/warnings/{id}/resolve", tag = "supervise",
    request_body = ResolveCmd, security(("bearer" = [])), params(("id" = Uuid, Path, description = "warning id")),
    responses((status = 200, description = "the resolved card"), (status = 400, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem, description = "already_resolved"),
              (status = 422, body = Problem, description = "invalid_field")))]
pub async fn resolve(ctx: Ctx, path: web::Path<Uuid>, body: Command) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let cmd: ResolveCmd = body.parse()?;
    let empty = match &cmd.evidence {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    };
    if empty {
        return Err(AppError::unprocessable(
            "invalid_field",
            "give the evidence that resolved the warning",
        ));
    }
    let mut conn = ctx.conn().await?;
    let view = conn
        .transaction(async |c| {
            let rows: Vec<WarningRow> = diesel::sql_query(format!(
                "SELECT {COLUMNS} FROM warnings WHERE id = $1 FOR UPDATE"
            ))
            .bind::<SqlUuid, _>(id)
            .load(c)
            .await?;
            let Some(row) = rows.into_iter().next() else {
                return Err(AppError::not_found("warning"));
            };
            if row.status == "resolved" {
                return Err(AppError::conflict(
                    "already_resolved",
                    "this warning is resolved",
                ));
            }
            let now = clock::now(c).await?;
            let updated: WarningRow = diesel::sql_query(format!(
                "UPDATE warnings SET status = 'resolved', resolved_by = $2, resolved_at = $3, \
                 resolution = $4 WHERE id = $1 RETURNING {COLUMNS}"
            ))
            .bind::<SqlUuid, _>(id)
            .bind::<SqlUuid, _>(caller.user_id)
            .bind::<Timestamptz, _>(now)
            .bind::<Jsonb, _>(&cmd.evidence)
            .get_result(c)
            .await?;
            let subject = Some((
                updated.subject_type.as_str(),
                updated.subject_id.to_string(),
            ));
            let details = json!({"warning_id": id, "level": updated.level, "rule": updated.rule,
                                 "citation": updated.citation, "evidence": cmd.evidence,
                                 "at": clock::fmt(now)});
            audit::record(
                c,
                &actor,
                "warning.resolved",
                subject.clone(),
                details.clone(),
            )
            .await?;
            outbox::emit(c, Kind::Event, "warning.resolved", subject, details).await?;
            Ok::<_, AppError>(WarningView::from(updated))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
