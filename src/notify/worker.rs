//! The mail worker: one per plane, delivering that plane's queued mails (row-level security
//! hides the others). It takes one due mail with `FOR UPDATE SKIP LOCKED`, sends it while
//! holding the row lock, and records the outcome in the same transaction: `sent`, or attempts+1
//! with an exponential backoff, or `dead` after the last attempt (or a permanent refusal).
//!
//! Never twice: the row stays locked from the claim until the outcome commits, so no other
//! worker on any node can send it meanwhile, and once `sent` is committed it is never claimed
//! again. The one window left is a crash (or a lost database connection) after the relay
//! accepted the mail and before the commit: the mail is then sent again on the next attempt,
//! with the same Message-ID, so receivers and relays can drop the duplicate
//! (docs/NOTIFICATIONS.md).

use std::sync::Arc;
use std::time::Duration;

use diesel::OptionalExtension;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Integer, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use rand::Rng;
use tokio::sync::Notify;
use uuid::Uuid;

use super::transport::{self, Mailer, Outgoing};
use crate::config::MailSettings;
use crate::db::DbPool;
use crate::ops::metrics::Metrics;
use crate::roles::Plane;

#[derive(QueryableByName)]
struct Due {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    topic: String,
    #[diesel(sql_type = Text)]
    to_addr: String,
    #[diesel(sql_type = Text)]
    to_name: String,
    #[diesel(sql_type = Text)]
    subject: String,
    #[diesel(sql_type = Text)]
    body: String,
    #[diesel(sql_type = Integer)]
    attempts: i32,
}

/// Delay before attempt `attempts + 1`: `base` doubling, capped at one hour, ±20 % jitter (so
/// that the mails queued by one event do not all hit a recovering relay at the same instant).
pub fn backoff(base_ms: u64, attempts: i32) -> Duration {
    let ms = base_ms
        .saturating_mul(1u64 << attempts.clamp(0, 20))
        .min(3_600_000);
    let jitter = rand::thread_rng().gen_range(0.8..1.2);
    Duration::from_millis((ms as f64 * jitter) as u64)
}

/// What became of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The relay accepted it.
    Sent,
    /// It failed and will be retried.
    Retry,
    /// It failed for the last time (dead letter).
    Dead,
}

impl Outcome {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Retry => "retry",
            Outcome::Dead => "dead",
        }
    }
}

/// Delivers one due mail of the pool's plane: what became of it and its topic; `None` when there
/// was none.
pub async fn deliver_one(
    pool: &DbPool,
    mailer: &Mailer,
    settings: &MailSettings,
) -> anyhow::Result<Option<(Outcome, String)>> {
    let mut conn = pool.get().await?;
    conn.transaction::<_, anyhow::Error, _>(async |c| {
        let due: Option<Due> = diesel::sql_query(
            "SELECT id, topic, to_addr, to_name, subject, body, attempts FROM mails \
             WHERE status = 'queued' AND plane = ggzy_current_plane() \
               AND next_attempt_at <= clock_timestamp() \
             ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
        )
        .get_result(c)
        .await
        .optional()?;
        let Some(m) = due else { return Ok(None) };
        let outgoing = Outgoing {
            id: m.id,
            to_addr: &m.to_addr,
            to_name: &m.to_name,
            subject: &m.subject,
            body: &m.body,
        };
        let result = match transport::build(&outgoing, &settings.from) {
            Ok(message) => mailer.send(message).await,
            Err(e) => Err(transport::SendError {
                permanent: true,
                message: format!("{e:#}"),
            }),
        };
        match result {
            Ok(()) => {
                diesel::sql_query(
                    "UPDATE mails SET status = 'sent', attempts = attempts + 1, \
                     sent_at = clock_timestamp(), last_error = NULL WHERE id = $1",
                )
                .bind::<SqlUuid, _>(m.id)
                .execute(c)
                .await?;
                tracing::info!(mail.id = %m.id, mail.topic = %m.topic, to = %m.to_addr,
                    attempt = m.attempts + 1, "mail {} sent", m.id);
                Ok(Some((Outcome::Sent, m.topic.clone())))
            }
            Err(e) => {
                let delay = backoff(settings.retry_base_ms, m.attempts);
                let dead = e.permanent || m.attempts + 1 >= settings.max_attempts;
                diesel::sql_query(
                    "UPDATE mails SET attempts = attempts + 1, last_error = $2, \
                     next_attempt_at = clock_timestamp() + make_interval(secs => $3::double precision / 1000), \
                     status = CASE WHEN $4 THEN 'dead' ELSE 'queued' END WHERE id = $1",
                )
                .bind::<SqlUuid, _>(m.id)
                .bind::<Text, _>(&e.message)
                .bind::<BigInt, _>(delay.as_millis() as i64)
                .bind::<Bool, _>(dead)
                .execute(c)
                .await?;
                if dead {
                    tracing::error!(mail.id = %m.id, mail.topic = %m.topic, to = %m.to_addr,
                        attempt = m.attempts + 1, error = %e, "mail {} dead-lettered", m.id);
                    Ok(Some((Outcome::Dead, m.topic.clone())))
                } else {
                    tracing::warn!(mail.id = %m.id, mail.topic = %m.topic, to = %m.to_addr,
                        attempt = m.attempts + 1, error = %e, "mail {} failed; retrying in {:?}", m.id, delay);
                    Ok(Some((Outcome::Retry, m.topic.clone())))
                }
            }
        }
    })
    .await
}

/// Runs forever: delivers the plane's due mails one at a time; sleeps until woken (after a
/// commit) or the poll interval passes (mail committed on other nodes, retries falling due).
pub async fn run(
    pool: DbPool,
    plane: Plane,
    mailer: Mailer,
    settings: MailSettings,
    wake: Arc<Notify>,
    metrics: Arc<Metrics>,
) {
    let poll = Duration::from_millis(settings.poll_ms);
    loop {
        match deliver_one(&pool, &mailer, &settings).await {
            Ok(Some((outcome, topic))) => {
                metrics.mail(plane.as_str(), outcome.as_str(), &topic);
                continue;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(plane = plane.as_str(), error = %format!("{e:#}"), "mail worker error");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        let _ = tokio::time::timeout(poll, wake.notified()).await;
    }
}
