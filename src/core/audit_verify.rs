//! `ggzy audit verify`: re-walks the audit hash chain and names the first bad entry — an edited
//! entry (its hash no longer matches), a deleted entry (a missing row or a gap in the sequence),
//! or entries swapped (their hashes no longer match in order).

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bytea, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::core::sequencer::{EntryRow, chain_hash};

/// A break in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// Sequence number of the first bad entry.
    pub seq: i64,
    /// Its audit entry id, when known.
    pub entry_id: Option<i64>,
    /// What is wrong.
    pub reason: String,
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Entries verified.
    pub verified: i64,
    /// The head hash (hex) after the last verified entry.
    pub head: String,
    /// The first break, if any.
    pub broken: Option<Break>,
}

#[derive(QueryableByName)]
struct ChainRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = BigInt)]
    entry_id: i64,
    #[diesel(sql_type = Bytea)]
    prev_hash: Vec<u8>,
    #[diesel(sql_type = Bytea)]
    hash: Vec<u8>,
    #[diesel(sql_type = Nullable<BigInt>)]
    id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    region_code: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    at: Option<chrono::DateTime<chrono::Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    plane: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    actor_id: Option<uuid::Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    actor_role: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    action: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    subject_type: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    subject_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    client_addr: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    request_id: Option<String>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    details: Option<serde_json::Value>,
}

const PAGE: i64 = 5000;

/// Verifies the whole chain, page by page.
pub async fn verify(conn: &mut AsyncPgConnection) -> diesel::QueryResult<Report> {
    let mut expected_seq = 1i64;
    let mut prev = vec![0u8; 32];
    loop {
        let rows: Vec<ChainRow> = diesel::sql_query(
            "SELECT c.seq, c.entry_id, c.prev_hash, c.hash, a.id, a.region_code, a.at, a.plane, \
                    a.actor_id, a.actor_role, a.action, a.subject_type, a.subject_id, \
                    a.client_addr, a.request_id, a.details \
             FROM audit_chain c LEFT JOIN audit_entries a ON a.id = c.entry_id \
             WHERE c.seq >= $1 ORDER BY c.seq LIMIT $2",
        )
        .bind::<BigInt, _>(expected_seq)
        .bind::<BigInt, _>(PAGE)
        .load(conn)
        .await?;
        let n = rows.len() as i64;
        for r in rows {
            let bad = |reason: String| Report {
                verified: expected_seq - 1,
                head: hex::encode(&prev),
                broken: Some(Break {
                    seq: expected_seq,
                    entry_id: Some(r.entry_id),
                    reason,
                }),
            };
            if r.seq != expected_seq {
                return Ok(Report {
                    verified: expected_seq - 1,
                    head: hex::encode(&prev),
                    broken: Some(Break {
                        seq: expected_seq,
                        entry_id: None,
                        reason: format!(
                            "entry {expected_seq} is missing: the chain jumps from {} to {}",
                            expected_seq - 1,
                            r.seq
                        ),
                    }),
                });
            }
            if r.prev_hash != prev {
                return Ok(bad(format!(
                    "entry {} does not follow entry {}: its prev_hash differs",
                    r.seq,
                    r.seq - 1
                )));
            }
            let (Some(id), Some(region_code), Some(at), Some(plane), Some(action), Some(details)) =
                (r.id, r.region_code, r.at, r.plane, r.action, r.details)
            else {
                return Ok(bad(format!(
                    "entry {} (audit entry id {}) has been deleted",
                    r.seq, r.entry_id
                )));
            };
            let e = EntryRow {
                id,
                region_code,
                at,
                plane,
                actor_id: r.actor_id,
                actor_role: r.actor_role,
                action,
                subject_type: r.subject_type,
                subject_id: r.subject_id,
                client_addr: r.client_addr,
                request_id: r.request_id,
                details,
            };
            let h = chain_hash(&prev, r.seq, &e);
            if h != r.hash {
                return Ok(bad(format!(
                    "entry {} (audit entry id {}) has been altered: its hash does not match its content",
                    r.seq, r.entry_id
                )));
            }
            prev = h;
            expected_seq += 1;
        }
        if n < PAGE {
            break;
        }
    }
    Ok(Report {
        verified: expected_seq - 1,
        head: hex::encode(&prev),
        broken: None,
    })
}
