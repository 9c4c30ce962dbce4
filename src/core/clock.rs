//! The platform clock `ggzy_now()`: database time plus the sandbox offset (DESIGN.md §3).
//! Deadlines are judged by it, read after the row locks are taken.

use chrono::{DateTime, SecondsFormat, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::error::{AppError, AppResult};

#[derive(QueryableByName)]
struct Now {
    #[diesel(sql_type = Timestamptz)]
    now: DateTime<Utc>,
}

/// Reads `ggzy_now()`. Call it after taking the locks the decision depends on.
pub async fn now<C: crate::db::Db>(conn: &mut C) -> diesel::QueryResult<DateTime<Utc>> {
    let n: Now = diesel::sql_query("SELECT ggzy_now() AS now")
        .get_result(conn)
        .await?;
    Ok(n.now)
}

/// Moves the sandbox clock forward by `advance_us` microseconds; `freeze` stops (true) or
/// releases (false) it. Refused by the database outside sandbox mode.
pub async fn advance(
    conn: &mut AsyncPgConnection,
    advance_us: i64,
    freeze: Option<bool>,
) -> AppResult<DateTime<Utc>> {
    let r: Result<Now, _> = diesel::sql_query("SELECT ggzy_advance_clock($1, $2) AS now")
        .bind::<BigInt, _>(advance_us)
        .bind::<Nullable<diesel::sql_types::Bool>, _>(freeze)
        .get_result(conn)
        .await;
    match r {
        Ok(n) => Ok(n.now),
        Err(diesel::result::Error::DatabaseError(_, info))
            if info.message().contains("only be moved in a sandbox") =>
        {
            Err(AppError::not_found("route"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Formats a time as the API writes it: UTC, `Z`, exactly six fractional digits.
pub fn fmt(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Serde helpers that write times in the API's format.
pub mod serde_time {
    use chrono::{DateTime, Utc};
    use serde::Serializer;

    /// Serialises a time as `2026-11-21T01:02:03.000000Z`.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::fmt(*t))
    }

    /// The same for an optional time.
    pub mod option {
        use chrono::{DateTime, Utc};
        use serde::Serializer;

        /// Serialises `Some(t)` as the API's time format and `None` as null.
        pub fn serialize<S: Serializer>(
            t: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&super::super::fmt(*t)),
                None => s.serialize_none(),
            }
        }
    }
}
