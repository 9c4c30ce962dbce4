//! The outbox: events for live views, mail, and public log entries, written in the business
//! transaction and published by the sequencer after commit (DESIGN.md §8).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::Db;
use serde_json::Value;

use crate::db::schema::outbox;

/// What an outbox row is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A live event (hub, WebSockets).
    Event,
    /// A mail to deliver.
    Mail,
    /// An entry for the public transparency log.
    Public,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Event => "event",
            Kind::Mail => "mail",
            Kind::Public => "public",
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = outbox)]
struct NewOutbox<'a> {
    plane: &'a str,
    kind: &'a str,
    topic: &'a str,
    subject_type: Option<&'a str>,
    subject_id: Option<String>,
    payload: Value,
}

/// Appends an outbox row in the caller's transaction.
pub async fn emit<C: Db>(
    conn: &mut C,
    kind: Kind,
    topic: &str,
    subject: Option<(&str, String)>,
    payload: Value,
) -> QueryResult<()> {
    let (subject_type, subject_id) = match subject {
        Some((t, id)) => (Some(t), Some(id)),
        None => (None, None),
    };
    diesel::insert_into(outbox::table)
        .values(NewOutbox {
            plane: "",
            kind: kind.as_str(),
            topic,
            subject_type,
            subject_id,
            payload,
        })
        .execute(conn)
        .await?;
    Ok(())
}
