//! Failed-login throttling (API.md "Accounts"): counters per (username, client address) pair and
//! per client address, with growing delays. From the sixth consecutive failure of a pair the
//! pair waits (`429` with `Retry-After`); an address that fails across many usernames waits too.
//! Nothing is keyed on the username alone, so no one can lock another person out of their
//! account: the owner logging in from their own address is unaffected.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Double, Integer, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::login_throttle;
use crate::error::{AppError, AppResult};

/// Consecutive failures of a pair before it must wait.
pub const PAIR_FREE_FAILURES: i32 = 5;
/// Failures from one address (any usernames) before it must wait.
pub const ADDR_FREE_FAILURES: i32 = 30;
/// Longest wait.
pub const MAX_DELAY_SECS: i64 = 3600;
/// Failures older than this are forgotten.
pub const FORGET_AFTER_SECS: i64 = 24 * 3600;

/// The pair key.
pub fn pair_key(username: &str, addr: &str) -> String {
    format!("pair:{username}|{addr}")
}

/// The address key.
pub fn addr_key(addr: &str) -> String {
    format!("addr:{addr}")
}

/// Delay after `failures` failures when `free` are allowed: 30 s doubling, capped.
pub fn delay_secs(failures: i32, free: i32) -> Option<i64> {
    if failures < free {
        return None;
    }
    let over = (failures - free).clamp(0, 20) as u32;
    Some((30i64 << over).min(MAX_DELAY_SECS))
}

/// Refuses with 429 when either key is still waiting.
pub async fn check(
    conn: &mut AsyncPgConnection,
    keys: &[String],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let blocked: Vec<Option<DateTime<Utc>>> = login_throttle::table
        .filter(login_throttle::key.eq_any(keys))
        .select(login_throttle::blocked_until)
        .load(conn)
        .await?;
    let until = blocked.into_iter().flatten().filter(|t| *t > now).max();
    if let Some(until) = until {
        let secs = (until - now).num_seconds().max(1) as u64;
        return Err(AppError::too_many_requests(
            secs,
            format!("too many failed logins from this address; try again in {secs} s"),
        ));
    }
    Ok(())
}

/// Records a failure on both keys and sets their waits, atomically (concurrent failures each
/// count), outside any business transaction: a refused login must still be counted.
pub async fn record_failure(
    conn: &mut AsyncPgConnection,
    pair: &str,
    addr: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    for (key, free) in [(pair, PAIR_FREE_FAILURES), (addr, ADDR_FREE_FAILURES)] {
        // n = the new count; every SET expression sees the old row, so n is spelled out.
        let n = "(CASE WHEN $2 - t.last_failure_at > make_interval(secs => $4) \
                  THEN 1 ELSE t.failures + 1 END)";
        let wait = |n: &str| {
            format!(
                "CASE WHEN {n} >= $3 THEN $2 + make_interval(secs => \
                 least(30 * power(2, least({n} - $3, 20)), $5)) END"
            )
        };
        diesel::sql_query(format!(
            "INSERT INTO login_throttle AS t (key, failures, last_failure_at, blocked_until) \
             VALUES ($1, 1, $2, {first}) \
             ON CONFLICT (key) DO UPDATE SET failures = {n}, last_failure_at = $2, \
                 blocked_until = {again}",
            first = wait("1"),
            again = wait(n),
        ))
        .bind::<Text, _>(key)
        .bind::<Timestamptz, _>(now)
        .bind::<Integer, _>(free)
        .bind::<Double, _>(FORGET_AFTER_SECS as f64)
        .bind::<Double, _>(MAX_DELAY_SECS as f64)
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// A successful login clears the pair's consecutive failures (not the address's).
pub async fn record_success(conn: &mut AsyncPgConnection, pair: &str) -> QueryResult<()> {
    diesel::delete(login_throttle::table.find(pair))
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_start_at_the_free_limit_and_grow() {
        assert_eq!(delay_secs(4, 5), None);
        assert_eq!(delay_secs(5, 5), Some(30));
        assert_eq!(delay_secs(6, 5), Some(60));
        assert_eq!(delay_secs(40, 5), Some(MAX_DELAY_SECS));
    }
}
