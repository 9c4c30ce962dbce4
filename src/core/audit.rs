//! Audit entries: every state change writes one in its own transaction (DESIGN.md §8). The table
//! is insert-only for every role; the sequencer numbers and chains the entries afterwards.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::Db;
use serde_json::Value;
use uuid::Uuid;

use crate::db::schema::audit_entries;
use crate::roles::Role;

/// Who did something, from where (copied into every audit entry of a request).
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The user, if signed in.
    pub user_id: Option<Uuid>,
    /// The user's role.
    pub role: Option<Role>,
    /// Client address (peer or trusted `X-Forwarded-For`).
    pub client_addr: Option<String>,
    /// Request id of the HTTP request.
    pub request_id: Option<String>,
}

impl Actor {
    /// The platform itself (jobs, the sequencer, the CLI).
    pub fn system(what: &str) -> Actor {
        Actor {
            request_id: Some(what.to_string()),
            ..Actor::default()
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = audit_entries)]
struct NewAuditEntry<'a> {
    plane: &'a str,
    actor_id: Option<Uuid>,
    actor_role: Option<&'a str>,
    action: &'a str,
    subject_type: Option<&'a str>,
    subject_id: Option<String>,
    client_addr: Option<&'a str>,
    request_id: Option<&'a str>,
    details: Value,
}

/// Appends an audit entry in the caller's transaction. `action` is a dotted verb
/// (`user.create`), `subject` the (type, id) it concerns.
pub async fn record<C: Db>(
    conn: &mut C,
    actor: &Actor,
    action: &str,
    subject: Option<(&str, String)>,
    details: Value,
) -> QueryResult<()> {
    let (subject_type, subject_id) = match subject {
        Some((t, id)) => (Some(t), Some(id)),
        None => (None, None),
    };
    diesel::insert_into(audit_entries::table)
        .values(NewAuditEntry {
            // stamped by the database from the connected role
            plane: "",
            actor_id: actor.user_id,
            actor_role: actor.role.map(|r| r.as_str()),
            action,
            subject_type,
            subject_id,
            client_addr: actor.client_addr.as_deref(),
            request_id: actor.request_id.as_deref(),
            details,
        })
        .execute(conn)
        .await?;
    Ok(())
}
