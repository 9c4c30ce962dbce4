//! Social supervisors (社会监督员, DOMAIN-RULES.md §4): the regulator appoints them (a
//! `social_supervisor` account, a 聘书 number and a term, typically 2 years) and assigns them to
//! projects, tenders or auctions, by name or at random among those in term. The names of the
//! appointed are published. Whether an assignment stands is derived on the supervise plane: it
//! lapses when its supervisor declares a conflict (`crate::supervise::social`).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::QueryableByName;
use diesel::prelude::*;
use diesel::sql_types::{Date, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::outbox::{self, Kind};
use crate::core::{audit, clock};
use crate::db::schema::{social_assignments, social_supervisor_appointments, users};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;
use crate::rules::schedule::china_date;
use crate::supervise::social::subject_exists;

/// Appoint a social supervisor.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointCmd {
    /// The account (role `social_supervisor`).
    pub user_id: Uuid,
    /// The number of the 聘书.
    pub certificate_no: String,
    /// First day of the term.
    pub term_start: NaiveDate,
    /// Last day of the term.
    pub term_end: NaiveDate,
}

/// Assign a social supervisor to a subject, the one in the path or (`random: true`) one drawn
/// uniformly among those in term.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignCmd {
    /// project | tender | auction.
    pub subject_type: String,
    /// The subject.
    pub subject_id: Uuid,
    /// Draw the supervisor at random (the path's id is then ignored; write `random`).
    #[serde(default)]
    pub random: bool,
}

/// An appointed social supervisor as published.
#[derive(Debug, Serialize, ToSchema, QueryableByName)]
pub struct AppointmentView {
    /// Appointment id.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// The supervisor's name.
    #[diesel(sql_type = Text)]
    pub display_name: String,
    /// The 聘书 number.
    #[diesel(sql_type = Text)]
    pub certificate_no: String,
    /// First day of the term.
    #[diesel(sql_type = Date)]
    pub term_start: NaiveDate,
    /// Last day of the term.
    #[diesel(sql_type = Date)]
    pub term_end: NaiveDate,
    /// When appointed.
    #[diesel(sql_type = Timestamptz)]
    #[serde(serialize_with = "crate::core::clock::serde_time::serialize")]
    #[schema(value_type = String)]
    pub appointed_at: DateTime<Utc>,
}

/// The regulator appoints a social supervisor → `201 {id}`; an account of another role →
/// `422 not_a_social_supervisor`.
#[utoipa::path(post, path = "/api/v1/social-supervisors", tag = "decide", request_body = AppointCmd,
    security(("bearer" = [])),
    responses((status = 201, description = "{id}"), (status = 400, body = Problem),
              (status = 409, body = Problem, description = "certificate_taken"),
              (status = 422, body = Problem, description = "not_a_social_supervisor, invalid_field")))]
pub async fn appoint(ctx: Ctx, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let cmd: AppointCmd = body.parse()?;
    let certificate_no = cmd.certificate_no.trim().to_string();
    if certificate_no.is_empty() || certificate_no.chars().count() > 100 {
        return Err(AppError::unprocessable(
            "invalid_field",
            "certificate_no has 1 to 100 characters",
        ));
    }
    if cmd.term_end < cmd.term_start {
        return Err(AppError::unprocessable(
            "invalid_field",
            "the term ends on or after its start",
        ));
    }
    let id = Uuid::now_v7();
    let mut conn = ctx.conn().await?;
    let answer = conn
        .transaction(async |c| {
            let role: Option<String> = users::table
                .find(cmd.user_id)
                .select(users::role)
                .first(c)
                .await
                .optional()?;
            if role.as_deref() != Some("social_supervisor") {
                return Err(AppError::unprocessable(
                    "not_a_social_supervisor",
                    "only a social_supervisor account can be appointed",
                ));
            }
            let n = diesel::insert_into(social_supervisor_appointments::table)
                .values((
                    social_supervisor_appointments::id.eq(id),
                    social_supervisor_appointments::user_id.eq(cmd.user_id),
                    social_supervisor_appointments::certificate_no.eq(&certificate_no),
                    social_supervisor_appointments::term_start.eq(cmd.term_start),
                    social_supervisor_appointments::term_end.eq(cmd.term_end),
                    social_supervisor_appointments::appointed_by.eq(caller.user_id),
                ))
                .on_conflict_do_nothing()
                .execute(c)
                .await?;
            if n == 0 {
                return Err(AppError::conflict(
                    "certificate_taken",
                    "this certificate number is already issued",
                ));
            }
            let details = json!({"appointment_id": id, "user_id": cmd.user_id,
                                 "certificate_no": certificate_no,
                                 "term_start": cmd.term_start, "term_end": cmd.term_end});
            audit::record(
                c,
                &actor,
                "social_supervisor.appoint",
                Some(("user", cmd.user_id.to_string())),
                details.clone(),
            )
            .await?;
            // the names of the appointed are published
            outbox::emit(
                c,
                Kind::Event,
                "social_supervisor.appointed",
                Some(("user", cmd.user_id.to_string())),
                details,
            )
            .await?;
            Ok::<_, AppError>(json!({"id": id}))
        })
        .await?;
    Ok(HttpResponse::Created().json(answer))
}

/// The published list of appointed social supervisors (name, certificate, term).
///
/// Served by the decide plane with public access (like `GET /tenders/{id}/committee` on execute):
/// decide owns the appointments and already reads account names, so the public role needs no
/// grant on the appointments nor on `users`.
#[utoipa::path(get, path = "/api/v1/social-supervisors", tag = "decide",
    responses((status = 200, description = "{items: [AppointmentView]}")))]
pub async fn list(ctx: Ctx) -> AppResult<HttpResponse> {
    let mut conn = ctx.conn().await?;
    let items: Vec<AppointmentView> = diesel::sql_query(
        "SELECT a.id, u.display_name, a.certificate_no, a.term_start, a.term_end, a.appointed_at \
         FROM social_supervisor_appointments a JOIN users u ON u.id = a.user_id \
         ORDER BY a.appointed_at DESC, a.id DESC",
    )
    .load(&mut conn)
    .await?;
    Ok(HttpResponse::Ok().json(json!({"items": items, "next": null})))
}

#[derive(QueryableByName)]
struct Candidate {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// The regulator assigns a social supervisor to a subject → `201 {assignment_id,
/// social_supervisor_id}`; the supervisor must be in term (`409 not_in_term`); a random draw with
/// nobody eligible → `409 no_supervisor_available`.
#[utoipa::path(post, path = "/api/v1/social-supervisors/{id}/assignments", tag = "decide",
    request_body = AssignCmd, security(("bearer" = [])),
    params(("id" = String, Path, description = "appointment id (`random` with `random: true`)")),
    responses((status = 201, description = "{assignment_id, social_supervisor_id}"),
              (status = 400, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "not_in_term, already_assigned, no_supervisor_available"),
              (status = 422, body = Problem, description = "invalid_field")))]
pub async fn assign(ctx: Ctx, path: web::Path<String>, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let cmd: AssignCmd = body.parse()?;
    let named: Option<Uuid> = if cmd.random {
        None
    } else {
        Some(
            path.parse()
                .map_err(|_| AppError::not_found("social supervisor"))?,
        )
    };
    let mut conn = ctx.conn().await?;
    let answer = conn
        .transaction(async |c| {
            subject_exists(c, &cmd.subject_type, cmd.subject_id).await?;
            let today = china_date(clock::now(c).await?);
            let appointment = match named {
                Some(id) => {
                    let term: Option<(NaiveDate, NaiveDate)> = social_supervisor_appointments::table
                        .find(id)
                        .select((
                            social_supervisor_appointments::term_start,
                            social_supervisor_appointments::term_end,
                        ))
                        .first(c)
                        .await
                        .optional()?;
                    let (start, end) = term.ok_or_else(|| AppError::not_found("social supervisor"))?;
                    if today < start || today > end {
                        return Err(AppError::conflict(
                            "not_in_term",
                            "this social supervisor's term does not cover today",
                        ));
                    }
                    id
                }
                None => {
                    // in term, not yet on the subject, no conflict declared on it
                    let candidates: Vec<Candidate> = diesel::sql_query(
                        "SELECT a.id FROM social_supervisor_appointments a \
                         WHERE $1 BETWEEN a.term_start AND a.term_end \
                           AND NOT EXISTS (SELECT 1 FROM social_assignments s WHERE s.appointment_id = a.id \
                                           AND s.subject_type = $2 AND s.subject_id = $3) \
                           AND NOT EXISTS (SELECT 1 FROM social_conflict_declarations d \
                                           WHERE d.user_id = a.user_id AND d.conflict \
                                           AND d.subject_type = $2 AND d.subject_id = $3) \
                         ORDER BY a.id",
                    )
                    .bind::<Date, _>(today)
                    .bind::<Text, _>(&cmd.subject_type)
                    .bind::<SqlUuid, _>(cmd.subject_id)
                    .load(c)
                    .await?;
                    candidates
                        .choose(&mut rand::rngs::OsRng)
                        .map(|a| a.id)
                        .ok_or_else(|| {
                            AppError::conflict(
                                "no_supervisor_available",
                                "no social supervisor in term is free for this subject",
                            )
                        })?
                }
            };
            let assignment_id = Uuid::now_v7();
            let n = diesel::insert_into(social_assignments::table)
                .values((
                    social_assignments::id.eq(assignment_id),
                    social_assignments::appointment_id.eq(appointment),
                    social_assignments::subject_type.eq(&cmd.subject_type),
                    social_assignments::subject_id.eq(cmd.subject_id),
                    social_assignments::random.eq(cmd.random),
                    social_assignments::assigned_by.eq(caller.user_id),
                ))
                .on_conflict_do_nothing()
                .execute(c)
                .await?;
            if n == 0 {
                return Err(AppError::conflict(
                    "already_assigned",
                    "this social supervisor is already assigned to the subject",
                ));
            }
            let subject = Some((cmd.subject_type.as_str(), cmd.subject_id.to_string()));
            let details = json!({"assignment_id": assignment_id,
                                 "social_supervisor_id": appointment, "random": cmd.random});
            audit::record(
                c,
                &actor,
                "social_supervisor.assign",
                subject.clone(),
                details.clone(),
            )
            .await?;
            outbox::emit(c, Kind::Event, "social_supervisor.assigned", subject, details).await?;
            Ok::<_, AppError>(
                json!({"assignment_id": assignment_id, "social_supervisor_id": appointment}),
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(answer))
}
