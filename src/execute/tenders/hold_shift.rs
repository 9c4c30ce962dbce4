//! A hold (暂停) stops a tender's clock: a bidding period suspended by a supervision directive or
//! a regulator's order (招标投标法实施条例 第六十二条) must not run out while bidders cannot act.
//! When the execute plane next touches the tender after a resume — the closing job, or a bid or
//! withdrawal refused for `deadline_passed` — the bidding-phase deadlines still ahead of the
//! suspension (documents, bid deadline, opening) move by the hold's length, once per resume, and
//! the closing is scheduled at the new deadline. The supervise plane writes only its `holds`
//! rows; the moved times are the execute plane's own writes, so nothing crosses the planes.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use super::{Lock, TenderRow, TenderStatus, load};
use crate::core::audit::{self, Actor};
use crate::core::clock;
use crate::core::outbox::{self, Kind};
use crate::db::schema::tenders;
use crate::error::AppResult;

/// One directive on a tender or its project, in order.
#[derive(Debug, Clone, QueryableByName)]
pub struct Directive {
    /// `tender:<id>` or `project:<id>`: which subject it bears on.
    #[diesel(sql_type = Text)]
    pub subject: String,
    /// suspend | resume.
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// Platform time of the directive.
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
    /// Its order among all directives.
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
}

/// A period in which the tender was held (by itself or its project): `[start, end)`, ended by
/// the resume numbered `end_seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// When the first suspension began.
    pub start: DateTime<Utc>,
    /// When the last one was lifted.
    pub end: DateTime<Utc>,
    /// The lifting resume's `holds.seq`.
    pub end_seq: i64,
}

/// The closed held periods of a directive history: the tender is held while the latest
/// directive on it or on its project is `suspend`.
pub fn held_periods(directives: &[Directive]) -> Vec<Held> {
    let mut suspended: Vec<&str> = Vec::new();
    let mut start: Option<DateTime<Utc>> = None;
    let mut out = Vec::new();
    for d in directives {
        let was_held = !suspended.is_empty();
        suspended.retain(|s| *s != d.subject);
        if d.kind == "suspend" {
            suspended.push(&d.subject);
        }
        match (was_held, suspended.is_empty()) {
            (false, false) => start = Some(d.at),
            (true, true) => {
                if let Some(s) = start.take() {
                    out.push(Held {
                        start: s,
                        end: d.at,
                        end_seq: d.seq,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// The deadlines a bidding tender keeps while held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Documents available until.
    pub documents_until: DateTime<Utc>,
    /// Bid deadline.
    pub bid_deadline: DateTime<Utc>,
    /// Opening time.
    pub opening_at: DateTime<Utc>,
}

/// Moves each time still ahead of a period's start by the period's length, period by period.
pub fn shifted(mut s: Schedule, periods: &[Held]) -> Schedule {
    for p in periods {
        let d = p.end - p.start;
        for t in [
            &mut s.documents_until,
            &mut s.bid_deadline,
            &mut s.opening_at,
        ] {
            if *t > p.start {
                *t += d;
            }
        }
    }
    s
}

#[derive(QueryableByName)]
struct Applied {
    #[diesel(sql_type = BigInt)]
    holds_applied_seq: i64,
}

/// Applies the resumes not yet applied to a bidding tender whose row the caller has locked
/// `FOR UPDATE`; returns the new schedule when it moved.
pub async fn apply(conn: &mut AsyncPgConnection, t: &TenderRow) -> AppResult<Option<Schedule>> {
    if t.status()? != TenderStatus::Bidding {
        return Ok(None);
    }
    let applied: Applied = diesel::sql_query("SELECT holds_applied_seq FROM tenders WHERE id = $1")
        .bind::<diesel::sql_types::Uuid, _>(t.id)
        .get_result(conn)
        .await?;
    let directives: Vec<Directive> = diesel::sql_query(
        "SELECT subject_type || ':' || subject_id AS subject, kind, at, seq FROM holds \
         WHERE (subject_type = 'tender' AND subject_id = $1) \
            OR (subject_type = 'project' AND subject_id = $2) \
         ORDER BY seq",
    )
    .bind::<diesel::sql_types::Uuid, _>(t.id)
    .bind::<diesel::sql_types::Uuid, _>(t.project_id)
    .load(conn)
    .await?;
    let pending: Vec<Held> = held_periods(&directives)
        .into_iter()
        .filter(|p| p.end_seq > applied.holds_applied_seq)
        .collect();
    let Some(last) = pending.last().map(|p| p.end_seq) else {
        return Ok(None);
    };
    let before = Schedule {
        documents_until: t.documents_until,
        bid_deadline: t.bid_deadline,
        opening_at: t.opening_at,
    };
    let after = shifted(before, &pending);
    diesel::update(tenders::table.find(t.id))
        .set((
            tenders::documents_until.eq(after.documents_until),
            tenders::bid_deadline.eq(after.bid_deadline),
            tenders::opening_at.eq(after.opening_at),
            tenders::holds_applied_seq.eq(last),
        ))
        .execute(conn)
        .await?;
    if after.bid_deadline != before.bid_deadline {
        super::closing::schedule(conn, t.id, t.round, after.bid_deadline).await?;
    }
    let details = json!({
        "tender_id": t.id,
        "held": pending.iter().map(|p| json!({"from": clock::fmt(p.start), "to": clock::fmt(p.end)})).collect::<Vec<_>>(),
        "documents_until": clock::fmt(after.documents_until),
        "bid_deadline": clock::fmt(after.bid_deadline),
        "opening_at": clock::fmt(after.opening_at),
    });
    let subject = Some(("tender", t.id.to_string()));
    audit::record(
        conn,
        &Actor::system("hold-resume"),
        "tender.schedule_resumed",
        subject.clone(),
        details.clone(),
    )
    .await?;
    outbox::emit(
        conn,
        Kind::Public,
        "tender.schedule_resumed",
        subject.clone(),
        details.clone(),
    )
    .await?;
    outbox::emit(
        conn,
        Kind::Event,
        "tender.schedule_resumed",
        subject,
        details,
    )
    .await?;
    Ok(Some(after))
}

/// In a transaction of its own: applies pending resumes to tender `id`; whether its schedule
/// moved (then a refused action is worth one more try).
pub async fn apply_pending(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<bool> {
    let moved = conn
        .transaction(async |c| {
            let t = load(c, id, Lock::Update).await?;
            Ok::<_, crate::error::AppError>(apply(c, &t).await?.is_some())
        })
        .await?;
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn at(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap() + Duration::hours(h)
    }

    fn d(subject: &str, kind: &str, h: i64, seq: i64) -> Directive {
        Directive {
            subject: subject.into(),
            kind: kind.into(),
            at: at(h),
            seq,
        }
    }

    #[test]
    fn overlapping_tender_and_project_holds_make_one_period() {
        let ds = [
            d("tender:a", "suspend", 1, 1),
            d("project:p", "suspend", 2, 2),
            d("tender:a", "resume", 3, 3),
            d("project:p", "resume", 5, 4),
            d("tender:a", "suspend", 10, 5),
        ];
        assert_eq!(
            held_periods(&ds),
            vec![Held {
                start: at(1),
                end: at(5),
                end_seq: 4
            }]
        );
    }

    #[test]
    fn only_times_ahead_of_the_suspension_move() {
        let s = Schedule {
            documents_until: at(2),
            bid_deadline: at(48),
            opening_at: at(48),
        };
        let p = [Held {
            start: at(10),
            end: at(34),
            end_seq: 2,
        }];
        let out = shifted(s, &p);
        assert_eq!(out.documents_until, at(2));
        assert_eq!(out.bid_deadline, at(72));
        assert_eq!(out.opening_at, at(72));
        // a second period starting after the moved deadline moves nothing
        let late = [Held {
            start: at(80),
            end: at(90),
            end_seq: 3,
        }];
        assert_eq!(shifted(out, &late), out);
    }
}
