//! The centre's venues (开标室、评标室、拍卖厅) and their bookings. Two bookings of one venue
//! never overlap: the database excludes it (`venue_bookings_no_overlap`, a gist exclusion on the
//! half-open period), and the handler answers `409 venue_taken`.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::outbox::{self, Kind};
use crate::core::{audit, clock};
use crate::db::schema::{auctions, tenders, venue_bookings, venues};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;

/// The exclusion constraint that keeps one venue's bookings apart.
const NO_OVERLAP: &str = "venue_bookings_no_overlap";

/// A new venue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VenueCmd {
    /// Name (unique in the region).
    pub name: String,
    /// opening_hall | evaluation_room | auction_hall.
    pub kind: String,
    /// Seats.
    #[serde(default)]
    pub capacity: Option<i32>,
}

/// A booking.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingCmd {
    /// tender | auction.
    pub subject_type: String,
    /// The tender or auction.
    pub subject_id: Uuid,
    /// What the venue is used for (opening, evaluation, auction, …).
    pub kind: String,
    /// Start (inclusive).
    pub starts_at: DateTime<Utc>,
    /// End (exclusive: a booking may start when another ends).
    pub ends_at: DateTime<Utc>,
}

/// A booking as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingView {
    /// Id.
    pub id: Uuid,
    /// tender | auction.
    pub subject_type: String,
    /// Subject id.
    pub subject_id: Uuid,
    /// Use.
    pub kind: String,
    /// Start.
    pub starts_at: String,
    /// End.
    pub ends_at: String,
}

/// A venue with its bookings.
#[derive(Debug, Serialize, ToSchema)]
pub struct VenueView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// Seats.
    pub capacity: Option<i32>,
    /// Bookings, by start.
    pub bookings: Vec<BookingView>,
}

/// Centre staff add a venue → `201 {id}`.
#[utoipa::path(post, path = "/api/v1/venues", tag = "execute", request_body = VenueCmd,
    security(("bearer" = [])),
    responses((status = 201, description = "{id}"), (status = 400, body = Problem),
              (status = 409, body = Problem, description = "already_exists"),
              (status = 422, body = Problem, description = "invalid_field")))]
pub async fn create_venue(ctx: Ctx, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let cmd: VenueCmd = body.parse()?;
    let name = cmd.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::unprocessable(
            "invalid_field",
            "name has 1 to 200 characters",
        ));
    }
    if !matches!(
        cmd.kind.as_str(),
        "opening_hall" | "evaluation_room" | "auction_hall"
    ) {
        return Err(AppError::unprocessable(
            "invalid_field",
            "kind is opening_hall, evaluation_room or auction_hall",
        ));
    }
    if cmd.capacity.is_some_and(|c| c <= 0) {
        return Err(AppError::unprocessable(
            "invalid_field",
            "capacity is a positive number of seats",
        ));
    }
    let id = Uuid::now_v7();
    let mut conn = ctx.conn().await?;
    conn.transaction(async |c| {
        diesel::insert_into(venues::table)
            .values((
                venues::id.eq(id),
                venues::name.eq(&name),
                venues::kind.eq(&cmd.kind),
                venues::capacity.eq(cmd.capacity),
                venues::created_by.eq(caller.user_id),
            ))
            .execute(c)
            .await?;
        let subject = Some(("venue", id.to_string()));
        let details = json!({"name": name, "kind": cmd.kind, "capacity": cmd.capacity});
        audit::record(c, &actor, "venue.created", subject.clone(), details.clone()).await?;
        outbox::emit(c, Kind::Event, "venue.created", subject, details).await?;
        Ok::<_, AppError>(())
    })
    .await?;
    Ok(HttpResponse::Created().json(json!({"id": id})))
}

/// The venues with their bookings.
#[utoipa::path(get, path = "/api/v1/venues", tag = "execute", security(("bearer" = [])),
    responses((status = 200, description = "{items: [VenueView]}")))]
pub async fn list_venues(ctx: Ctx) -> AppResult<HttpResponse> {
    let mut conn = ctx.conn().await?;
    let rows: Vec<(Uuid, String, String, Option<i32>)> = venues::table
        .order((venues::name.asc(), venues::id.asc()))
        .select((venues::id, venues::name, venues::kind, venues::capacity))
        .load(&mut conn)
        .await?;
    type B = (
        Uuid,
        Uuid,
        String,
        Uuid,
        String,
        DateTime<Utc>,
        DateTime<Utc>,
    );
    let bookings: Vec<B> = venue_bookings::table
        .order((venue_bookings::starts_at.asc(), venue_bookings::id.asc()))
        .select((
            venue_bookings::venue_id,
            venue_bookings::id,
            venue_bookings::subject_type,
            venue_bookings::subject_id,
            venue_bookings::kind,
            venue_bookings::starts_at,
            venue_bookings::ends_at,
        ))
        .load(&mut conn)
        .await?;
    let mut by_venue: HashMap<Uuid, Vec<BookingView>> = HashMap::new();
    for (venue_id, id, subject_type, subject_id, kind, starts, ends) in bookings {
        by_venue.entry(venue_id).or_default().push(BookingView {
            id,
            subject_type,
            subject_id,
            kind,
            starts_at: clock::fmt(starts),
            ends_at: clock::fmt(ends),
        });
    }
    let items: Vec<VenueView> = rows
        .into_iter()
        .map(|(id, name, kind, capacity)| VenueView {
            id,
            name,
            kind,
            capacity,
            bookings: by_venue.remove(&id).unwrap_or_default(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next": null})))
}

async fn subject_exists(
    conn: &mut AsyncPgConnection,
    subject_type: &str,
    id: Uuid,
) -> AppResult<bool> {
    let n: i64 = match subject_type {
        "tender" => {
            tenders::table
                .filter(tenders::id.eq(id))
                .count()
                .get_result(conn)
                .await?
        }
        "auction" => {
            auctions::table
                .filter(auctions::id.eq(id))
                .count()
                .get_result(conn)
                .await?
        }
        _ => 0,
    };
    Ok(n > 0)
}

fn is_overlap(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(_, info)
        if info.constraint_name() == Some(NO_OVERLAP))
}

/// Centre staff book a venue for a tender or an auction → `201 {id}`; an overlapping booking of
/// the same venue → `409 venue_taken`.
#[utoipa::path(post, path = "/api/v1/venues/{id}/bookings", tag = "execute", request_body = BookingCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "venue id")),
    responses((status = 201, description = "{id}"), (status = 400, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "venue_taken"),
              (status = 422, body = Problem, description = "invalid_field")))]
pub async fn book(ctx: Ctx, path: web::Path<Uuid>, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let venue_id = path.into_inner();
    let mut conn = ctx.conn().await?;
    let id = Uuid::now_v7();
    conn.transaction(async |c| {
        let found: i64 = venues::table
            .filter(venues::id.eq(venue_id))
            .count()
            .get_result(c)
            .await?;
        if found == 0 {
            return Err(AppError::not_found("venue"));
        }
        let cmd: BookingCmd = body.parse()?;
        if !matches!(cmd.subject_type.as_str(), "tender" | "auction") {
            return Err(AppError::unprocessable(
                "invalid_field",
                "subject_type is tender or auction",
            ));
        }
        let kind = cmd.kind.trim();
        if kind.is_empty() || kind.chars().count() > 50 {
            return Err(AppError::unprocessable(
                "invalid_field",
                "kind has 1 to 50 characters",
            ));
        }
        if cmd.ends_at <= cmd.starts_at {
            return Err(AppError::unprocessable(
                "invalid_field",
                "ends_at comes after starts_at",
            ));
        }
        if !subject_exists(c, &cmd.subject_type, cmd.subject_id).await? {
            return Err(AppError::not_found(&cmd.subject_type));
        }
        let inserted = diesel::insert_into(venue_bookings::table)
            .values((
                venue_bookings::id.eq(id),
                venue_bookings::venue_id.eq(venue_id),
                venue_bookings::subject_type.eq(&cmd.subject_type),
                venue_bookings::subject_id.eq(cmd.subject_id),
                venue_bookings::kind.eq(kind),
                venue_bookings::starts_at.eq(cmd.starts_at),
                venue_bookings::ends_at.eq(cmd.ends_at),
                venue_bookings::booked_by.eq(caller.user_id),
            ))
            .execute(c)
            .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_overlap(&e) => {
                return Err(AppError::conflict(
                    "venue_taken",
                    "the venue is booked for part of that period",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        let subject = Some((cmd.subject_type.as_str(), cmd.subject_id.to_string()));
        let details = json!({"venue_id": venue_id, "booking_id": id, "kind": kind,
                             "starts_at": clock::fmt(cmd.starts_at), "ends_at": clock::fmt(cmd.ends_at)});
        audit::record(c, &actor, "venue.booked", subject.clone(), details.clone()).await?;
        outbox::emit(c, Kind::Event, "venue.booked", subject, details).await?;
        Ok::<_, AppError>(())
    })
    .await?;
    Ok(HttpResponse::Created().json(json!({"id": id})))
}

#[derive(diesel::QueryableByName)]
struct SubjectBooking {
    #[diesel(sql_type = diesel::sql_types::Text)]
    venue: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    venue_kind: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    starts_at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    ends_at: chrono::DateTime<chrono::Utc>,
}

/// Where a tender's opening or an auction takes place: its venue bookings, in time order
/// (any plane that may read venues; the public one reads names and times only).
pub async fn bookings_of(
    conn: &mut diesel_async::AsyncPgConnection,
    subject_type: &str,
    subject_id: Uuid,
) -> AppResult<Vec<serde_json::Value>> {
    use diesel_async::RunQueryDsl;
    let rows: Vec<SubjectBooking> = diesel::sql_query(
        "SELECT v.name AS venue, v.kind AS venue_kind, b.kind, b.starts_at, b.ends_at \
         FROM venue_bookings b JOIN venues v ON v.id = b.venue_id \
         WHERE b.subject_type = $1 AND b.subject_id = $2 ORDER BY b.starts_at",
    )
    .bind::<diesel::sql_types::Text, _>(subject_type)
    .bind::<diesel::sql_types::Uuid, _>(subject_id)
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            serde_json::json!({"venue": r.venue, "venue_kind": r.venue_kind, "kind": r.kind,
                               "starts_at": crate::core::clock::fmt(r.starts_at),
                               "ends_at": crate::core::clock::fmt(r.ends_at)})
        })
        .collect())
}
