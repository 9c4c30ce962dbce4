//! Social supervisors (社会监督员) on the supervision platform (DESIGN.md §5, DOMAIN-RULES.md §4):
//! their conflict declarations, their live read access to the subjects they are assigned (and
//! nothing else), their observations (check-ins, notes, concerns) and the access log of every view
//! they make. Appointments and assignments are the regulator's (`crate::decide::social_supervisors`);
//! whether an assignment stands is derived here when reading: it lapses once its supervisor
//! declares a conflict, and nothing is written across planes.
//!
//! A *concern* must be answered by a supervisor within [`CONCERN_ANSWER_WORKING_DAYS`] 工作日
//! (`observations.answer_due`); the electronic supervision warnings read `answer_due` and
//! `answered_at` to raise a card when it is not.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::QueryableByName;
use diesel::prelude::*;
use diesel::sql_types::{
    Bool, Date, Int4, Int8, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::outbox::{self, Kind};
use crate::core::social_scope::{self, not_assigned};
use crate::core::{audit, clock};
use crate::db::schema::{access_log, observations, social_conflict_declarations};
use crate::decide::rules::{calendar_missing, load_calendar};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;
use crate::roles::Role;
use crate::rules::calendar::Unit;
use crate::rules::schedule::{china_date, end_of_day};

/// The working days (工作日) within which a supervisor answers a social supervisor's concern,
/// counted from the day after it is raised and ending at 24:00 China time of the last one. No
/// statute sets it (social supervision is a local institution, DOMAIN-RULES.md §4); three working
/// days follow the trading centres' practice for answering complaints and opinions (cf. the
/// 3 工作日 of 招标投标法实施条例 第六十一条 for accepting a complaint).
pub const CONCERN_ANSWER_WORKING_DAYS: u32 = 3;

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = SqlUuid)]
    #[allow(dead_code)]
    id: Uuid,
}

/// Checks a subject's type and that it exists (`422 invalid_field`, `404`).
pub(crate) async fn subject_exists(
    c: &mut AsyncPgConnection,
    subject_type: &str,
    id: Uuid,
) -> AppResult<()> {
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
        .load(c)
        .await?;
    if rows.is_empty() {
        return Err(AppError::not_found(subject_type));
    }
    Ok(())
}

/// Whether social supervisor `user_id` may view a subject now: an appointment whose term covers
/// today (platform clock, China date), an assignment to the subject or to its project (a tender's
/// or auction's), and no conflict declared by it on the subject or its project — the one rule of
/// `crate::core::social_scope`, which the execute plane applies too.
pub async fn may_view(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    subject_type: &str,
    subject_id: Uuid,
) -> AppResult<bool> {
    social_scope::may_view(conn, user_id, subject_type, subject_id).await
}

#[derive(QueryableByName)]
struct SubjectRow {
    #[diesel(sql_type = Text)]
    t: String,
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// Every tender, auction and project social supervisor `user_id` may view now, by the same rule
/// as [`may_view`] (an assignment in term to the subject or to its project, and no conflict
/// declared on either), driven from its assignments so that it costs what they cost.
pub async fn visible_subjects(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> AppResult<std::collections::HashSet<(String, Uuid)>> {
    let today: NaiveDate = china_date(clock::now(conn).await?);
    let rows: Vec<SubjectRow> = diesel::sql_query(
        "WITH mine AS ( \
           SELECT s.subject_type, s.subject_id \
           FROM social_supervisor_appointments a \
           JOIN social_assignments s ON s.appointment_id = a.id \
           WHERE a.user_id = $1 AND $2 BETWEEN a.term_start AND a.term_end \
         ), subj AS ( \
           SELECT m.subject_type AS t, m.subject_id AS id, \
                  CASE m.subject_type WHEN 'project' THEN m.subject_id \
                       WHEN 'tender' THEN (SELECT project_id FROM tenders WHERE id = m.subject_id) \
                       ELSE (SELECT project_id FROM auctions WHERE id = m.subject_id) END AS project_id \
           FROM mine m \
           UNION SELECT 'tender', t.id, t.project_id FROM tenders t \
             JOIN mine m ON m.subject_type = 'project' AND m.subject_id = t.project_id \
           UNION SELECT 'auction', a.id, a.project_id FROM auctions a \
             JOIN mine m ON m.subject_type = 'project' AND m.subject_id = a.project_id \
         ) \
         SELECT DISTINCT subj.t, subj.id FROM subj \
         WHERE NOT EXISTS ( \
           SELECT 1 FROM social_conflict_declarations d \
           WHERE d.user_id = $1 AND d.conflict \
             AND ((d.subject_type = subj.t AND d.subject_id = subj.id) \
                  OR (d.subject_type = 'project' AND d.subject_id = subj.project_id)) \
         )",
    )
    .bind::<SqlUuid, _>(user_id)
    .bind::<Date, _>(today)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.t, r.id)).collect())
}

/// Writes one access-log row per subject a social supervisor was shown (or refused).
pub async fn log_views(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    subjects: &[(String, Uuid)],
    allowed: bool,
) -> AppResult<()> {
    if subjects.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = subjects
        .iter()
        .map(|(t, id)| {
            (
                access_log::id.eq(Uuid::now_v7()),
                access_log::user_id.eq(user_id),
                access_log::role.eq(Role::SocialSupervisor.as_str()),
                access_log::subject_type.eq(t.clone()),
                access_log::subject_id.eq(*id),
                access_log::allowed.eq(allowed),
            )
        })
        .collect();
    diesel::insert_into(access_log::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// conflict declarations

/// Declare (or deny) a conflict of interest on a subject.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationCmd {
    /// project | tender | auction.
    pub subject_type: String,
    /// The subject.
    pub subject_id: Uuid,
    /// Whether there is a conflict; a conflict revokes the assignment for good.
    pub conflict: bool,
    /// The circumstances.
    pub detail: Option<String>,
}

/// A social supervisor declares a conflict (or none) on a subject → `201 {id, conflict}`; a
/// declared conflict ends its access to the subject (and, on a project, to its tenders and
/// auctions).
#[utoipa::path(post, path = "/api/v1/me/conflict-declarations", tag = "supervise",
    request_body = DeclarationCmd, security(("bearer" = [])),
    responses((status = 201, description = "{id, conflict}"), (status = 400, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem, description = "invalid_field")))]
pub async fn declare(ctx: Ctx, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let cmd: DeclarationCmd = body.parse()?;
    let detail = cmd
        .detail
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    if detail.is_some_and(|d| d.chars().count() > 5000) {
        return Err(AppError::unprocessable(
            "invalid_field",
            "the detail has at most 5000 characters",
        ));
    }
    let id = Uuid::now_v7();
    let mut conn = ctx.conn().await?;
    let answer = conn
        .transaction(async |c| {
            subject_exists(c, &cmd.subject_type, cmd.subject_id).await?;
            diesel::insert_into(social_conflict_declarations::table)
                .values((
                    social_conflict_declarations::id.eq(id),
                    social_conflict_declarations::user_id.eq(caller.user_id),
                    social_conflict_declarations::subject_type.eq(&cmd.subject_type),
                    social_conflict_declarations::subject_id.eq(cmd.subject_id),
                    social_conflict_declarations::conflict.eq(cmd.conflict),
                    social_conflict_declarations::detail.eq(detail),
                ))
                .execute(c)
                .await?;
            let subject = Some((cmd.subject_type.as_str(), cmd.subject_id.to_string()));
            let details = json!({"declaration_id": id, "conflict": cmd.conflict});
            audit::record(
                c,
                &actor,
                "social_supervisor.declare",
                subject.clone(),
                details.clone(),
            )
            .await?;
            outbox::emit(
                c,
                Kind::Event,
                "social_supervisor.declared",
                subject,
                details,
            )
            .await?;
            Ok::<_, AppError>(json!({"id": id, "conflict": cmd.conflict}))
        })
        .await?;
    Ok(HttpResponse::Created().json(answer))
}

// ---------------------------------------------------------------------------------------------
// the live view of a subject

#[derive(QueryableByName)]
struct TenderRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    project_id: Uuid,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    method: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Int4)]
    round: i32,
    #[diesel(sql_type = Timestamptz)]
    documents_from: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    documents_until: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    bid_deadline: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    opening_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    published_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    opened_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Int8)]
    downloads: i64,
    #[diesel(sql_type = Int8)]
    bids: i64,
}

#[derive(QueryableByName)]
struct AuctionRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    project_id: Uuid,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    format: String,
    #[diesel(sql_type = Bool)]
    published: bool,
    #[diesel(sql_type = Text)]
    stage: String,
    #[diesel(sql_type = Timestamptz)]
    starts_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    ends_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Numeric>)]
    current_price: Option<rust_decimal::Decimal>,
    #[diesel(sql_type = Int4)]
    bid_count: i32,
    #[diesel(sql_type = Nullable<Text>)]
    result: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    closed_at: Option<DateTime<Utc>>,
}

#[derive(QueryableByName)]
struct ProjectRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    category: String,
    #[diesel(sql_type = Text)]
    title: String,
}

#[derive(QueryableByName)]
struct ChildRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    state: String,
}

async fn tender_view(
    c: &mut AsyncPgConnection,
    id: Uuid,
    now: DateTime<Utc>,
    social: bool,
) -> AppResult<Value> {
    let t: TenderRow = diesel::sql_query(
        "SELECT t.id, t.project_id, t.code, t.title, t.method, t.status, t.round, t.documents_from, \
                t.documents_until, t.bid_deadline, t.opening_at, t.published_at, t.opened_at, \
                (SELECT count(DISTINCT d.org_id) FROM document_downloads d WHERE d.tender_id = t.id) AS downloads, \
                (SELECT count(*) FROM bids b WHERE b.tender_id = t.id AND b.round = t.round) AS bids \
         FROM tenders t WHERE t.id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .get_result(c)
    .await?;
    // who obtained the documents and how many bid stay secret until the deadline (招标投标法
    // 第二十二条) — from social supervisors too; the supervision authority sees them live
    let counts_visible = !social || now >= t.bid_deadline;
    Ok(json!({
        "subject_type": "tender", "id": t.id, "project_id": t.project_id, "code": t.code,
        "title": t.title, "method": t.method, "status": t.status, "round": t.round,
        "documents_from": clock::fmt(t.documents_from),
        "documents_until": clock::fmt(t.documents_until),
        "bid_deadline": clock::fmt(t.bid_deadline), "opening_at": clock::fmt(t.opening_at),
        "published_at": t.published_at.map(clock::fmt), "opened_at": t.opened_at.map(clock::fmt),
        "downloads": counts_visible.then_some(t.downloads),
        "bids": counts_visible.then_some(t.bids),
    }))
}

async fn auction_view(c: &mut AsyncPgConnection, id: Uuid) -> AppResult<Value> {
    let a: AuctionRow = diesel::sql_query(
        "SELECT id, project_id, code, title, format, published, stage, starts_at, ends_at, \
                current_price, bid_count, result, closed_at FROM auctions WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .get_result(c)
    .await?;
    Ok(json!({
        "subject_type": "auction", "id": a.id, "project_id": a.project_id, "code": a.code,
        "title": a.title, "format": a.format, "published": a.published, "stage": a.stage,
        "starts_at": clock::fmt(a.starts_at), "ends_at": a.ends_at.map(clock::fmt),
        "current_price": a.current_price.map(|p| p.to_string()), "bid_count": a.bid_count,
        "result": a.result, "closed_at": a.closed_at.map(clock::fmt),
    }))
}

async fn project_view(c: &mut AsyncPgConnection, id: Uuid) -> AppResult<Value> {
    let p: ProjectRow =
        diesel::sql_query("SELECT id, code, category, title FROM projects WHERE id = $1")
            .bind::<SqlUuid, _>(id)
            .get_result(c)
            .await?;
    let tenders: Vec<ChildRow> = diesel::sql_query(
        "SELECT id, title, status AS state FROM tenders WHERE project_id = $1 ORDER BY lot_no, id",
    )
    .bind::<SqlUuid, _>(id)
    .load(c)
    .await?;
    let auctions: Vec<ChildRow> = diesel::sql_query(
        "SELECT id, title, stage AS state FROM auctions WHERE project_id = $1 ORDER BY created_at, id",
    )
    .bind::<SqlUuid, _>(id)
    .load(c)
    .await?;
    let tenders: Vec<Value> = tenders
        .into_iter()
        .map(|t| json!({"id": t.id, "title": t.title, "status": t.state}))
        .collect();
    let auctions: Vec<Value> = auctions
        .into_iter()
        .map(|a| json!({"id": a.id, "title": a.title, "stage": a.state}))
        .collect();
    Ok(json!({
        "subject_type": "project", "id": p.id, "code": p.code, "category": p.category,
        "title": p.title, "tenders": tenders, "auctions": auctions,
    }))
}

/// The live view of a subject: a project with its tenders and auctions, a tender's public fields
/// and status (with the counts of document downloads and bids once the deadline has passed, for a
/// social supervisor), an auction's state. A social supervisor sees only the subjects it stands
/// assigned to (`403 not_assigned`), and every view it makes, allowed or refused, is logged.
#[utoipa::path(get, path = "/api/v1/supervision/subjects/{subject_type}/{subject_id}", tag = "supervise",
    security(("bearer" = [])),
    params(("subject_type" = String, Path, description = "project | tender | auction"),
           ("subject_id" = Uuid, Path, description = "the subject")),
    responses((status = 200, description = "the subject's live view"),
              (status = 403, body = Problem, description = "not_assigned"),
              (status = 404, body = Problem), (status = 422, body = Problem, description = "invalid_field")))]
pub async fn subject(ctx: Ctx, path: web::Path<(String, String)>) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let (subject_type, raw_id) = path.into_inner();
    let subject_id: Uuid = raw_id
        .parse()
        .map_err(|_| AppError::not_found(&subject_type))?;
    let mut conn = ctx.conn().await?;
    subject_exists(&mut conn, &subject_type, subject_id).await?;
    let social = caller.role == Role::SocialSupervisor;
    if social {
        let allowed = may_view(&mut conn, caller.user_id, &subject_type, subject_id).await?;
        // logged on its own, so that a refused view stays in the log
        log_views(
            &mut conn,
            caller.user_id,
            &[(subject_type.clone(), subject_id)],
            allowed,
        )
        .await?;
        if !allowed {
            return Err(not_assigned());
        }
    }
    let now = clock::now(&mut conn).await?;
    let view = match subject_type.as_str() {
        "tender" => tender_view(&mut conn, subject_id, now, social).await?,
        "auction" => auction_view(&mut conn, subject_id).await?,
        _ => project_view(&mut conn, subject_id).await?,
    };
    Ok(HttpResponse::Ok().json(view))
}

/// Limit the access log.
#[derive(Debug, Deserialize)]
pub struct AccessLogQuery {
    /// At most this many entries (1–1000, default 100).
    pub limit: Option<i64>,
}

#[derive(QueryableByName)]
struct AccessRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    user_id: Uuid,
    #[diesel(sql_type = Text)]
    display_name: String,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Text)]
    subject_type: String,
    #[diesel(sql_type = SqlUuid)]
    subject_id: Uuid,
    #[diesel(sql_type = Bool)]
    allowed: bool,
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
}

/// Who viewed what, when, newest first (`?limit=`, default 100).
#[utoipa::path(get, path = "/api/v1/supervision/access-log", tag = "supervise", security(("bearer" = [])),
    params(("limit" = Option<i64>, Query, description = "1–1000, default 100")),
    responses((status = 200, description = "{items: [{id, user_id, display_name, role, subject_type, subject_id, allowed, at}]}"),
              (status = 400, body = Problem)))]
pub async fn access_log_list(
    ctx: Ctx,
    query: web::Query<AccessLogQuery>,
) -> AppResult<HttpResponse> {
    let limit = query.into_inner().limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid_query",
            "limit is between 1 and 1000",
        ));
    }
    let mut conn = ctx.conn().await?;
    let rows: Vec<AccessRow> = diesel::sql_query(
        "SELECT l.id, l.user_id, u.display_name, l.role, l.subject_type, l.subject_id, l.allowed, l.at \
         FROM access_log l JOIN users u ON u.id = l.user_id \
         ORDER BY l.at DESC, l.id DESC LIMIT $1",
    )
    .bind::<Int8, _>(limit)
    .load(&mut conn)
    .await?;
    let items: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            json!({"id": r.id, "user_id": r.user_id, "display_name": r.display_name,
                   "role": r.role, "subject_type": r.subject_type, "subject_id": r.subject_id,
                   "allowed": r.allowed, "at": clock::fmt(r.at)})
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next": null})))
}

// ---------------------------------------------------------------------------------------------
// observations

/// Record an observation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservationCmd {
    /// project | tender | auction.
    pub subject_type: String,
    /// The subject.
    pub subject_id: Uuid,
    /// check_in (on-site) | note | concern (must be answered).
    pub kind: String,
    /// The text.
    pub text: String,
}

/// Answer an observation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerCmd {
    /// The answer.
    pub text: String,
}

fn check_text(text: &str) -> AppResult<&str> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 20000 {
        return Err(AppError::unprocessable(
            "invalid_field",
            "the text has 1 to 20000 characters",
        ));
    }
    Ok(text)
}

/// A social supervisor (on its assigned subjects) or a supervisor (on any) records an
/// observation → `201 {id, answer_due}`; a concern is due an answer by 24:00 China time of the
/// [`CONCERN_ANSWER_WORKING_DAYS`]th working day after it is raised.
#[utoipa::path(post, path = "/api/v1/observations", tag = "supervise", request_body = ObservationCmd,
    security(("bearer" = [])),
    responses((status = 201, description = "{id, answer_due}"), (status = 400, body = Problem),
              (status = 403, body = Problem, description = "not_assigned"), (status = 404, body = Problem),
              (status = 422, body = Problem, description = "invalid_field, calendar_missing")))]
pub async fn observe(ctx: Ctx, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let cmd: ObservationCmd = body.parse()?;
    if !matches!(cmd.kind.as_str(), "check_in" | "note" | "concern") {
        return Err(AppError::unprocessable(
            "invalid_field",
            "kind is check_in, note or concern",
        ));
    }
    let text = check_text(&cmd.text)?;
    let id = Uuid::now_v7();
    let mut conn = ctx.conn().await?;
    let answer = conn
        .transaction(async |c| {
            subject_exists(c, &cmd.subject_type, cmd.subject_id).await?;
            if caller.role == Role::SocialSupervisor
                && !may_view(c, caller.user_id, &cmd.subject_type, cmd.subject_id).await?
            {
                return Err(not_assigned());
            }
            let now = clock::now(c).await?;
            let answer_due = if cmd.kind == "concern" {
                let cal = load_calendar(c).await?;
                // a due date owed to the social supervisor: the short reading (DECISIONS 111)
                let last = cal
                    .earliest()
                    .period_end(
                        china_date(now),
                        CONCERN_ANSWER_WORKING_DAYS,
                        Unit::WorkingDay,
                    )
                    .map_err(calendar_missing)?;
                Some(end_of_day(last))
            } else {
                None
            };
            diesel::insert_into(observations::table)
                .values((
                    observations::id.eq(id),
                    observations::user_id.eq(caller.user_id),
                    observations::role.eq(caller.role.as_str()),
                    observations::subject_type.eq(&cmd.subject_type),
                    observations::subject_id.eq(cmd.subject_id),
                    observations::kind.eq(&cmd.kind),
                    observations::text.eq(text),
                    observations::created_at.eq(now),
                    observations::answer_due.eq(answer_due),
                ))
                .execute(c)
                .await?;
            let subject = Some((cmd.subject_type.as_str(), cmd.subject_id.to_string()));
            let details = json!({"observation_id": id, "kind": cmd.kind,
                                 "answer_due": answer_due.map(clock::fmt)});
            audit::record(
                c,
                &actor,
                "observation.record",
                subject.clone(),
                details.clone(),
            )
            .await?;
            outbox::emit(c, Kind::Event, "observation.recorded", subject, details).await?;
            Ok::<_, AppError>(json!({"id": id, "answer_due": answer_due.map(clock::fmt)}))
        })
        .await?;
    Ok(HttpResponse::Created().json(answer))
}

/// Filter observations.
#[derive(Debug, Deserialize)]
pub struct ObservationQuery {
    /// open | answered.
    pub status: Option<String>,
}

#[derive(QueryableByName)]
struct ObservationRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    user_id: Uuid,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Text)]
    subject_type: String,
    #[diesel(sql_type = SqlUuid)]
    subject_id: Uuid,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    text: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    answer_due: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    answer: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    answered_by: Option<Uuid>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    answered_at: Option<DateTime<Utc>>,
}

/// Observations, newest first: a social supervisor its own, a supervisor all (`?status=open|answered`).
#[utoipa::path(get, path = "/api/v1/observations", tag = "supervise", security(("bearer" = [])),
    params(("status" = Option<String>, Query, description = "open | answered")),
    responses((status = 200, description = "{items: [{id, user_id, role, subject_type, subject_id, kind, text, created_at, answer_due, status, answer, answered_by, answered_at, late}]}"),
              (status = 400, body = Problem)))]
pub async fn list_observations(
    ctx: Ctx,
    query: web::Query<ObservationQuery>,
) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let status = query.into_inner().status;
    if let Some(s) = &status
        && !matches!(s.as_str(), "open" | "answered")
    {
        return Err(AppError::bad_request(
            "invalid_query",
            "status is open or answered",
        ));
    }
    let own: Option<Uuid> = (caller.role == Role::SocialSupervisor).then_some(caller.user_id);
    let mut conn = ctx.conn().await?;
    let rows: Vec<ObservationRow> = diesel::sql_query(
        "SELECT id, user_id, role, subject_type, subject_id, kind, text, created_at, answer_due, \
                answer, answered_by, answered_at FROM observations \
         WHERE ($1::uuid IS NULL OR user_id = $1) \
           AND ($2::text IS NULL OR ($2 = 'open') = (answered_at IS NULL)) \
         ORDER BY created_at DESC, id DESC",
    )
    .bind::<Nullable<SqlUuid>, _>(own)
    .bind::<Nullable<Text>, _>(status)
    .load(&mut conn)
    .await?;
    let items: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let late = match (r.answer_due, r.answered_at) {
                (Some(due), Some(at)) => Some(at > due),
                _ => None,
            };
            json!({"id": r.id, "user_id": r.user_id, "role": r.role,
                   "subject_type": r.subject_type, "subject_id": r.subject_id, "kind": r.kind,
                   "text": r.text, "created_at": clock::fmt(r.created_at),
                   "answer_due": r.answer_due.map(clock::fmt),
                   "status": if r.answered_at.is_some() { "answered" } else { "open" },
                   "answer": r.answer, "answered_by": r.answered_by,
                   "answered_at": r.answered_at.map(clock::fmt), "late": late})
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next": null})))
}

/// (subject type, subject id, answer due, answered at).
type AnswerHead = (String, Uuid, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// A supervisor answers an observation → `200 {id, answered_at, late}`; once only
/// (`409 already_answered`).
#[utoipa::path(post, path = "/api/v1/observations/{id}/answer", tag = "supervise", request_body = AnswerCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "observation id")),
    responses((status = 200, description = "{id, answered_at, late}"), (status = 400, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem, description = "already_answered"),
              (status = 422, body = Problem, description = "invalid_field")))]
pub async fn answer(ctx: Ctx, path: web::Path<Uuid>, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let id = path.into_inner();
    let mut conn = ctx.conn().await?;
    let answer = conn
        .transaction(async |c| {
            let head: Option<AnswerHead> = observations::table
                .find(id)
                .select((
                    observations::subject_type,
                    observations::subject_id,
                    observations::answer_due,
                    observations::answered_at,
                ))
                .for_update()
                .first(c)
                .await
                .optional()?;
            let (subject_type, subject_id, due, answered_at) =
                head.ok_or_else(|| AppError::not_found("observation"))?;
            let cmd: AnswerCmd = body.parse()?;
            let text = check_text(&cmd.text)?;
            if answered_at.is_some() {
                return Err(AppError::conflict(
                    "already_answered",
                    "this observation is answered",
                ));
            }
            let now = clock::now(c).await?;
            diesel::update(observations::table.find(id))
                .set((
                    observations::answer.eq(text),
                    observations::answered_by.eq(caller.user_id),
                    observations::answered_at.eq(now),
                ))
                .execute(c)
                .await?;
            let late = due.map(|d| now > d);
            let subject = Some((subject_type.as_str(), subject_id.to_string()));
            let details = json!({"observation_id": id, "late": late});
            audit::record(
                c,
                &actor,
                "observation.answer",
                subject.clone(),
                details.clone(),
            )
            .await?;
            outbox::emit(c, Kind::Event, "observation.answered", subject, details).await?;
            Ok::<_, AppError>(json!({"id": id, "answered_at": clock::fmt(now), "late": late}))
        })
        .await?;
    Ok(HttpResponse::Ok().json(answer))
}
