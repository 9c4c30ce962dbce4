//! Queuing mail in the business transaction: one `mails` row per recipient (its delivery state)
//! and one `mail` outbox row per mail, so that the sequenced history records what was sent to
//! whom and why. Nothing is sent here: if the transaction rolls back, no mail exists.

use std::sync::atomic::{AtomicBool, Ordering};

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use super::{Mail, Recipient};
use crate::core::outbox::{self, Kind};
use crate::db::schema::mails;

/// Set when a transaction queued mail; the request gate takes it after the response and wakes
/// the mail workers only then, so that a burst of requests that mail nobody (bids on a lot)
/// does not make the workers compete with it for connections. A wake taken before the commit
/// (or by another app in the same process) only makes a worker look early; a lost one is made up
/// by the poll.
static QUEUED: AtomicBool = AtomicBool::new(false);

/// Whether mail was queued since the last call (and resets the flag).
pub fn take_queued() -> bool {
    QUEUED.swap(false, Ordering::AcqRel)
}

/// Queues `mail` for each recipient (deduplicated by address) in the caller's transaction.
/// The mail's id becomes its Message-ID, so a retried delivery carries the same one.
pub async fn queue(
    conn: &mut AsyncPgConnection,
    topic: &str,
    subject: Option<(&str, String)>,
    recipients: &[Recipient],
    mail: &Mail,
) -> QueryResult<usize> {
    let mut seen = std::collections::HashSet::new();
    let mut n = 0;
    for r in recipients {
        if !seen.insert(r.addr.to_ascii_lowercase()) {
            continue;
        }
        let id = Uuid::now_v7();
        diesel::insert_into(mails::table)
            .values((
                mails::id.eq(id),
                // stamped by the database trigger with the connected plane
                mails::plane.eq(""),
                mails::topic.eq(topic),
                mails::subject_type.eq(subject.as_ref().map(|s| s.0)),
                mails::subject_id.eq(subject.as_ref().map(|s| s.1.clone())),
                mails::to_user.eq(r.user_id),
                mails::to_addr.eq(&r.addr),
                mails::to_name.eq(&r.name),
                mails::subject.eq(&mail.subject),
                mails::body.eq(&mail.body),
            ))
            .execute(conn)
            .await?;
        outbox::emit(
            conn,
            Kind::Mail,
            topic,
            subject.clone(),
            json!({"mail_id": id, "to_user": r.user_id, "subject": mail.subject}),
        )
        .await?;
        n += 1;
    }
    if n > 0 {
        QUEUED.store(true, Ordering::Release);
    }
    Ok(n)
}
