//! Throttles of the identity plane (API.md "Accounts"; issue 13, findings 5, 6 and 10).
//!
//! **Logins** are counted on three keys, each a row of `login_throttle`:
//! - the pair (username, client address): from the sixth consecutive failure the pair waits
//!   (`429` with `Retry-After`, 30 s doubling, capped at an hour);
//! - the account (username, any address): after 20 failures in a day from addresses the account
//!   never signed in from, such addresses wait too — a distributed guess at one account is
//!   slowed, while the owner at an address it signed in from before (in the last 90 days) is not;
//! - the address (any username): after 30 failures in a day the address is *slowed*, not shut:
//!   a pair from it that has failed before waits from its first failure on instead of its sixth,
//!   unless the address is known for that account. An account nobody is guessing at from that
//!   address is checked as usual, so its right password from a shared address (a NAT, a proxy)
//!   always gets in.
//!
//! Nothing is keyed on the username alone in a way its owner cannot pass, so no one can lock
//! another person out of their account from elsewhere. Counting is atomic: an attempt locks
//! its three rows (in key order), is admitted or refused on what they say, and is counted as a
//! failure *before* the password is checked; a right password then takes its count back. So of
//! 200 parallel guesses at one pair, at most five reach the password check.
//!
//! **Password changes** (`POST /me/password`) are counted the same way per user: five wrong
//! current passwords, then growing waits. **Self-registrations** are counted per address in a
//! fixed window (`identity_rate_limits`), also before the account is created.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Consecutive failures of a pair before it must wait.
pub const PAIR_FREE_FAILURES: i32 = 5;
/// Failures from one address (any usernames) before the address is slowed.
pub const ADDR_FREE_FAILURES: i32 = 30;
/// Failures at one account from unknown addresses before those addresses wait.
pub const ACCOUNT_FREE_FAILURES: i32 = 20;
/// Wrong current passwords of one user before `POST /me/password` waits.
pub const PASSWORD_CHANGE_FREE_FAILURES: i32 = 5;
/// A pair that signed in successfully within this many days is a known address of the account.
pub const KNOWN_ADDRESS_DAYS: i64 = 90;
/// Longest wait.
pub const MAX_DELAY_SECS: i64 = 3600;
/// Failures older than this are forgotten.
pub const FORGET_AFTER_SECS: i64 = 24 * 3600;
/// Self-registrations allowed from one address per window.
pub const REGISTRATIONS_PER_WINDOW: i32 = 5;
/// The self-registration window.
pub const REGISTRATION_WINDOW_SECS: i64 = 3600;

/// The pair key.
pub fn pair_key(username: &str, addr: &str) -> String {
    format!("pair:{username}|{addr}")
}

/// The address key.
pub fn addr_key(addr: &str) -> String {
    format!("addr:{addr}")
}

/// The account key (failures at a username from every address).
pub fn account_key(username: &str) -> String {
    format!("acct:{username}")
}

/// The password-change key of a user.
pub fn password_key(user_id: Uuid) -> String {
    format!("password:{user_id}")
}

/// The self-registration key of an address.
pub fn register_key(addr: &str) -> String {
    format!("register:{addr}")
}

/// Delay after `failures` failures when `free` are allowed: 30 s doubling, capped.
pub fn delay_secs(failures: i32, free: i32) -> Option<i64> {
    if failures < free {
        return None;
    }
    let over = (failures - free).clamp(0, 20) as u32;
    Some((30i64 << over).min(MAX_DELAY_SECS))
}

/// A counter row as an attempt found it (under its row lock).
#[derive(Debug, Clone, QueryableByName)]
pub struct Counter {
    /// The key.
    #[diesel(sql_type = Text)]
    pub key: String,
    /// Failures counted (consecutive for a pair).
    #[diesel(sql_type = Integer)]
    pub failures: i32,
    /// The last counted failure.
    #[diesel(sql_type = Timestamptz)]
    pub last_failure_at: DateTime<Utc>,
    /// The last success (pairs only).
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_success_at: Option<DateTime<Utc>>,
}

impl Counter {
    /// The failures that still count at `now` (older ones are forgotten).
    pub fn live(&self, now: DateTime<Utc>) -> i32 {
        if now - self.last_failure_at > Duration::seconds(FORGET_AFTER_SECS) {
            0
        } else {
            self.failures
        }
    }

    /// Until when an attempt on this key must wait, if `free` failures are allowed.
    pub fn waits_until(&self, now: DateTime<Utc>, free: i32) -> Option<DateTime<Utc>> {
        delay_secs(self.live(now), free)
            .map(|d| self.last_failure_at + Duration::seconds(d))
            .filter(|t| *t > now)
    }

    /// Whether this pair signed in successfully recently (a known address of the account).
    pub fn known(&self, now: DateTime<Utc>) -> bool {
        self.last_success_at
            .is_some_and(|t| now - t <= Duration::days(KNOWN_ADDRESS_DAYS))
    }
}

/// The decision on a login attempt, from its three counters (pure, unit-tested).
pub fn login_decision(
    pair: &Counter,
    addr: &Counter,
    account: &Counter,
    now: DateTime<Utc>,
) -> Result<(), DateTime<Utc>> {
    let known = pair.known(now);
    let addr_slowed = addr.live(now) >= ADDR_FREE_FAILURES;
    // an address guessing across many accounts keeps no free failures on the accounts it has
    // already failed on — except those the address is known for
    let pair_free = if addr_slowed && !known {
        1
    } else {
        PAIR_FREE_FAILURES
    };
    let mut until = pair.waits_until(now, pair_free);
    if !known {
        until = until.max(account.waits_until(now, ACCOUNT_FREE_FAILURES));
    }
    match until {
        Some(t) => Err(t),
        None => Ok(()),
    }
}

fn refusal(until: DateTime<Utc>, now: DateTime<Utc>, what: &str) -> AppError {
    let secs = (until - now).num_seconds().max(1) as u64;
    AppError::too_many_requests(secs, format!("{what}; try again in {secs} s"))
}

/// Locks (creating when missing) the counters of `keys`, in key order so that concurrent
/// attempts cannot deadlock. Runs in the caller's transaction.
async fn lock(
    conn: &mut AsyncPgConnection,
    keys: &[String],
    now: DateTime<Utc>,
) -> QueryResult<Vec<Counter>> {
    let mut sorted = keys.to_vec();
    sorted.sort();
    sorted.dedup();
    diesel::sql_query(
        "INSERT INTO login_throttle (key, failures, last_failure_at) \
         SELECT k, 0, $2 FROM unnest($1::text[]) AS k ORDER BY k ON CONFLICT (key) DO NOTHING",
    )
    .bind::<Array<Text>, _>(&sorted)
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .await?;
    diesel::sql_query(
        "SELECT key, failures, last_failure_at, last_success_at FROM login_throttle \
         WHERE key = ANY($1) ORDER BY key FOR UPDATE",
    )
    .bind::<Array<Text>, _>(&sorted)
    .load(conn)
    .await
}

/// Counts one failure on each key (a forgotten count starts again at one).
async fn count_failure(
    conn: &mut AsyncPgConnection,
    keys: &[String],
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE login_throttle SET \
             failures = CASE WHEN $2 - last_failure_at > make_interval(secs => $3) \
                        THEN 1 ELSE failures + 1 END, \
             last_failure_at = $2 \
         WHERE key = ANY($1)",
    )
    .bind::<Array<Text>, _>(keys)
    .bind::<Timestamptz, _>(now)
    .bind::<diesel::sql_types::Double, _>(FORGET_AFTER_SECS as f64)
    .execute(conn)
    .await?;
    Ok(())
}

/// A login attempt admitted to the password check and already counted as a failure: call
/// [`LoginAttempt::succeeded`] when the password was right.
#[derive(Debug)]
pub struct LoginAttempt {
    pair: String,
    others: Vec<String>,
    now: DateTime<Utc>,
}

/// Admits a login attempt or refuses it with `429`; an admitted attempt is counted as a failure
/// on its pair, address and account in a transaction of its own, committed before the password
/// is checked (so a crash or a refused login leaves it counted).
pub async fn admit_login(
    conn: &mut AsyncPgConnection,
    username: &str,
    addr: &str,
    now: DateTime<Utc>,
) -> AppResult<LoginAttempt> {
    let pair = pair_key(username, addr);
    let addr_k = addr_key(addr);
    let account = account_key(username);
    let keys = vec![pair.clone(), addr_k.clone(), account.clone()];
    conn.transaction::<_, AppError, _>(async |c| {
        let rows = lock(c, &keys, now).await?;
        let find = |k: &str| {
            rows.iter()
                .find(|r| r.key == k)
                .cloned()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("throttle row {k} missing")))
        };
        let (p, a, u) = (find(&keys[0])?, find(&keys[1])?, find(&keys[2])?);
        if let Err(until) = login_decision(&p, &a, &u, now) {
            return Err(refusal(until, now, "too many failed logins"));
        }
        count_failure(c, &keys, now).await?;
        Ok(())
    })
    .await?;
    Ok(LoginAttempt {
        pair,
        others: vec![addr_k, account],
        now,
    })
}

impl LoginAttempt {
    /// The password was right: the pair's failures are cleared and the pair becomes a known
    /// address of the account; the address and account take back this attempt's count.
    pub async fn succeeded(self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::sql_query(
            "UPDATE login_throttle SET failures = 0, last_success_at = $2 WHERE key = $1",
        )
        .bind::<Text, _>(&self.pair)
        .bind::<Timestamptz, _>(self.now)
        .execute(conn)
        .await?;
        take_back(conn, &self.others).await
    }
}

async fn take_back(conn: &mut AsyncPgConnection, keys: &[String]) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE key = ANY($1)",
    )
    .bind::<Array<Text>, _>(keys)
    .execute(conn)
    .await?;
    Ok(())
}

/// A password change admitted to the check of the current password, already counted as a
/// failure: [`PasswordAttempt::succeeded`] clears it when the current password was right.
#[derive(Debug)]
pub struct PasswordAttempt {
    key: String,
}

/// Admits a password change or refuses it with `429` (five wrong current passwords, then
/// growing waits), counting it first in a transaction of its own.
pub async fn admit_password_change(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<PasswordAttempt> {
    let key = password_key(user_id);
    let keys = vec![key.clone()];
    conn.transaction::<_, AppError, _>(async |c| {
        let rows = lock(c, &keys, now).await?;
        if let Some(until) = rows
            .iter()
            .find_map(|r| r.waits_until(now, PASSWORD_CHANGE_FREE_FAILURES))
        {
            return Err(refusal(until, now, "too many wrong current passwords"));
        }
        count_failure(c, &keys, now).await?;
        Ok(())
    })
    .await?;
    Ok(PasswordAttempt { key })
}

impl PasswordAttempt {
    /// The current password was right: its failures are cleared.
    pub async fn succeeded(self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::sql_query("UPDATE login_throttle SET failures = 0 WHERE key = $1")
            .bind::<Text, _>(&self.key)
            .execute(conn)
            .await?;
        Ok(())
    }
}

#[derive(QueryableByName)]
struct Window {
    #[diesel(sql_type = Integer)]
    count: i32,
    #[diesel(sql_type = Timestamptz)]
    window_start: DateTime<Utc>,
}

/// A self-registration counted against its address: [`Registration::failed`] takes the count
/// back when no account was created.
#[derive(Debug)]
pub struct Registration {
    key: String,
}

/// Counts a self-registration from `addr` (one atomic upsert, before the account is created)
/// and refuses it with `429` beyond [`REGISTRATIONS_PER_WINDOW`] in the window.
pub async fn admit_registration(
    conn: &mut AsyncPgConnection,
    addr: &str,
    now: DateTime<Utc>,
) -> AppResult<Registration> {
    let key = register_key(addr);
    let w: Window = diesel::sql_query(
        "INSERT INTO identity_rate_limits AS r (key, window_start, count) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
             count = CASE WHEN r.window_start <= $2 - make_interval(secs => $3) \
                     THEN 1 ELSE r.count + 1 END, \
             window_start = CASE WHEN r.window_start <= $2 - make_interval(secs => $3) \
                            THEN $2 ELSE r.window_start END \
         RETURNING count, window_start",
    )
    .bind::<Text, _>(&key)
    .bind::<Timestamptz, _>(now)
    .bind::<diesel::sql_types::Double, _>(REGISTRATION_WINDOW_SECS as f64)
    .get_result(conn)
    .await?;
    if w.count > REGISTRATIONS_PER_WINDOW {
        let until = w.window_start + Duration::seconds(REGISTRATION_WINDOW_SECS);
        return Err(refusal(
            until,
            now,
            "too many registrations from this address",
        ));
    }
    Ok(Registration { key })
}

impl Registration {
    /// No account was created: the attempt does not count.
    pub async fn failed(self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::sql_query(
            "UPDATE identity_rate_limits SET count = greatest(count - 1, 0) WHERE key = $1",
        )
        .bind::<Text, _>(&self.key)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// Housekeeping: forgets counters nobody needs any more (failures forgotten, no recent success
/// to remember) and registration windows long closed. Returns the rows deleted.
pub async fn purge(conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    let a = diesel::sql_query(
        "DELETE FROM login_throttle \
         WHERE last_failure_at < $1 - make_interval(secs => $2) \
           AND (last_success_at IS NULL OR last_success_at < $1 - make_interval(days => $3))",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<diesel::sql_types::Double, _>(FORGET_AFTER_SECS as f64)
    .bind::<Integer, _>(KNOWN_ADDRESS_DAYS as i32)
    .execute(conn)
    .await?;
    let b = diesel::sql_query(
        "DELETE FROM identity_rate_limits WHERE window_start < $1 - make_interval(secs => $2)",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<diesel::sql_types::Double, _>(REGISTRATION_WINDOW_SECS as f64)
    .execute(conn)
    .await?;
    Ok(a + b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(failures: i32, ago_secs: i64, success_days_ago: Option<i64>) -> Counter {
        let now = t0();
        Counter {
            key: String::new(),
            failures,
            last_failure_at: now - Duration::seconds(ago_secs),
            last_success_at: success_days_ago.map(|d| now - Duration::days(d)),
        }
    }

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn delays_start_at_the_free_limit_and_grow() {
        assert_eq!(delay_secs(4, 5), None);
        assert_eq!(delay_secs(5, 5), Some(30));
        assert_eq!(delay_secs(6, 5), Some(60));
        assert_eq!(delay_secs(40, 5), Some(MAX_DELAY_SECS));
    }

    #[test]
    fn a_busy_address_does_not_refuse_an_account_nobody_guesses_at() {
        let now = t0();
        let busy = counter(500, 1, None);
        let fresh_pair = counter(0, 0, None);
        let quiet_account = counter(0, 0, None);
        assert_eq!(
            login_decision(&fresh_pair, &busy, &quiet_account, now),
            Ok(())
        );
        // the account the address failed on waits from its first failure
        let failed_pair = counter(1, 1, None);
        assert!(login_decision(&failed_pair, &busy, &quiet_account, now).is_err());
        // unless the address is known for it (the owner signed in from there)
        let known_pair = counter(1, 1, Some(3));
        assert_eq!(
            login_decision(&known_pair, &busy, &quiet_account, now),
            Ok(())
        );
    }

    #[test]
    fn an_account_under_a_distributed_guess_waits_only_for_unknown_addresses() {
        let now = t0();
        let quiet_addr = counter(0, 0, None);
        let attacked = counter(ACCOUNT_FREE_FAILURES, 1, None);
        assert!(login_decision(&counter(0, 0, None), &quiet_addr, &attacked, now).is_err());
        assert_eq!(
            login_decision(&counter(0, 0, Some(10)), &quiet_addr, &attacked, now),
            Ok(())
        );
        // a known address forgotten after 90 days is unknown again
        assert!(login_decision(&counter(0, 0, Some(91)), &quiet_addr, &attacked, now).is_err());
    }

    #[test]
    fn old_failures_are_forgotten() {
        let now = t0();
        let old = counter(50, FORGET_AFTER_SECS + 1, None);
        assert_eq!(old.live(now), 0);
        assert_eq!(old.waits_until(now, 5), None);
    }
}
