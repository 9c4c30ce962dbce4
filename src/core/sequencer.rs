//! The sequencer (DESIGN.md §8): one per cluster, elected with an advisory lock. It takes rows
//! committed to the insert-only `audit_entries` and `outbox` tables, numbers them in the order
//! they became visible, extends the audit hash chain, and publishes events with `NOTIFY` after
//! its own commit — so business transactions never serialise on a global counter. In the same
//! transaction it appends the public rows to the transparency log (`crate::transparency`).
//!
//! How it finds new rows without scanning everything: each row stores the id of the transaction
//! that wrote it (`txid`). A pass runs in one REPEATABLE READ snapshot whose `xmin` bounds every
//! transaction still running; the next pass only looks at rows with `txid >= xmin` of the last
//! complete pass, because every older transaction had finished (and was seen) by then.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{
    Array, BigInt, Bytea, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::core::clock;

/// The advisory lock key that elects the sequencer ("ggzySEQ").
pub const LEADER_LOCK: i64 = 0x0067_677a_7953_4551;
/// The channel the sequencer notifies after numbering events.
pub const EVENTS_CHANNEL: &str = "ggzy_events";
/// Rows numbered per pass at most (a backlog takes several passes).
const BATCH: i64 = 2000;
/// How often a sequencer polls for rows committed on other nodes.
const POLL: Duration = Duration::from_millis(40);

/// Live figures of the sequencer, for the metrics.
#[derive(Default, Debug)]
pub struct SequencerStats {
    /// Whether this process holds the leader lock.
    pub is_leader: AtomicBool,
    /// The last audit sequence number this process wrote.
    pub audit_head: AtomicI64,
    /// The last outbox sequence number this process wrote.
    pub outbox_head: AtomicI64,
    /// Unix milliseconds of the last completed pass.
    pub last_pass_ms: AtomicI64,
    /// Rows left behind by the last pass (a backlog larger than a batch).
    pub backlog: AtomicI64,
    /// Whether the last pass refused to go on over a tampered chain or log ([`Refused`]).
    pub refused: AtomicBool,
}

/// The sequencer refusing to extend a tampered audit chain or transparency log: the pass rolls
/// back (nothing is numbered, chained or signed), the error is logged and the metric
/// `ggzy_state{name="sequencer_refused"}` is 1 until a pass succeeds again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the sequencer refuses to go on: {}", self.0)
    }
}

impl std::error::Error for Refused {}

/// A [`Refused`] as the query error that aborts the pass's transaction.
pub fn refuse(msg: impl Into<String>) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(Box::new(Refused(msg.into())))
}

/// The refusal inside a pass's error, if that is what it is.
pub fn refusal(e: &diesel::result::Error) -> Option<&Refused> {
    match e {
        diesel::result::Error::QueryBuilderError(b) => b.downcast_ref::<Refused>(),
        _ => None,
    }
}

/// What the leading sequencer remembers between passes, outside the database, so that a
/// superuser's edit between two passes cannot be extended silently.
#[derive(Debug, Default)]
pub struct Memory {
    /// The audit chain's head as this process last chained it (or, after a start, as the last
    /// `audit.head` leaf of the log recorded it): `(seq, hash)`.
    pub audit: Option<(i64, Vec<u8>)>,
    /// The last tree head the platform key signed (present where the key is).
    pub guard: Option<Arc<crate::transparency::signer::HeadGuard>>,
}

/// An audit entry as the chain hashes it.
#[derive(QueryableByName, Debug, Clone)]
pub struct EntryRow {
    /// Row id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Region code.
    #[diesel(sql_type = Text)]
    pub region_code: String,
    /// Platform time of the change.
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
    /// Plane that wrote it.
    #[diesel(sql_type = Text)]
    pub plane: String,
    /// Acting user.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub actor_id: Option<Uuid>,
    /// Acting role.
    #[diesel(sql_type = Nullable<Text>)]
    pub actor_role: Option<String>,
    /// What was done.
    #[diesel(sql_type = Text)]
    pub action: String,
    /// Subject type.
    #[diesel(sql_type = Nullable<Text>)]
    pub subject_type: Option<String>,
    /// Subject id.
    #[diesel(sql_type = Nullable<Text>)]
    pub subject_id: Option<String>,
    /// Client address.
    #[diesel(sql_type = Nullable<Text>)]
    pub client_addr: Option<String>,
    /// Request id.
    #[diesel(sql_type = Nullable<Text>)]
    pub request_id: Option<String>,
    /// Details.
    #[diesel(sql_type = Jsonb)]
    pub details: Value,
}

/// The bytes the chain hashes for an entry at a sequence number: a JSON object with a fixed key
/// order, so that anyone can recompute it from the published fields.
pub fn canonical_bytes(seq: i64, e: &EntryRow) -> Vec<u8> {
    let v = json!({
        "seq": seq,
        "id": e.id,
        "region_code": e.region_code,
        "at": clock::fmt(e.at),
        "plane": e.plane,
        "actor_id": e.actor_id,
        "actor_role": e.actor_role,
        "action": e.action,
        "subject_type": e.subject_type,
        "subject_id": e.subject_id,
        "client_addr": e.client_addr,
        "request_id": e.request_id,
        "details": e.details,
    });
    serde_json::to_vec(&v).unwrap_or_default()
}

/// `hash = SHA-256(prev_hash ‖ canonical_bytes)`; the first entry's `prev_hash` is 32 zeros.
pub fn chain_hash(prev: &[u8], seq: i64, e: &EntryRow) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(canonical_bytes(seq, e));
    h.finalize().to_vec()
}

#[derive(QueryableByName)]
struct TextValue {
    #[diesel(sql_type = Text)]
    v: String,
}

#[derive(QueryableByName)]
struct State {
    #[diesel(sql_type = Text)]
    audit_xmin: String,
    #[diesel(sql_type = Text)]
    outbox_xmin: String,
}

#[derive(QueryableByName)]
struct Head {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Bytea)]
    hash: Vec<u8>,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
struct MaxSeq {
    #[diesel(sql_type = BigInt)]
    seq: i64,
}

/// What one pass did.
#[derive(Debug, Default, Clone)]
pub struct PassResult {
    /// Audit entries chained.
    pub audit: usize,
    /// Outbox rows numbered.
    pub outbox: usize,
    /// The last audit sequence number after the pass.
    pub audit_head: i64,
    /// The last outbox sequence number after the pass.
    pub outbox_head: i64,
    /// Leaves appended to the transparency log.
    pub log: usize,
    /// Whether a batch limit left rows for another pass.
    pub more: bool,
    /// The audit chain head's hash after the pass.
    pub audit_hash: Vec<u8>,
    /// The tree head signed in this pass, to remember once it committed.
    pub signed: Option<crate::transparency::signer::SignedHead>,
}

/// Refuses a chain head that does not carry the head this sequencer remembers: fewer entries
/// (rows deleted: a truncation) or another hash at the remembered position (entries edited and
/// re-chained). Chaining on from there would make the rewrite look legitimate.
async fn check_audit_head(
    conn: &mut AsyncPgConnection,
    remembered: Option<&(i64, Vec<u8>)>,
    head: Option<&Head>,
) -> diesel::QueryResult<()> {
    let Some((rseq, rhash)) = remembered else {
        return Ok(());
    };
    let (seq, hash) = head.map(|h| (h.seq, h.hash.clone())).unwrap_or((0, vec![]));
    let at_remembered = if seq == *rseq {
        Some(hash)
    } else if seq > *rseq {
        // another node extended the chain meanwhile: our position must still hold our hash
        diesel::sql_query("SELECT seq, hash FROM audit_chain WHERE seq = $1")
            .bind::<BigInt, _>(*rseq)
            .get_result::<Head>(conn)
            .await
            .map(|h| Some(h.hash))
            .or_else(not_found_as_none)?
    } else {
        None
    };
    match at_remembered {
        None => Err(refuse(format!(
            "the audit chain in the database ends at entry {seq}, but entry {rseq} was chained              (hash {}): entries {}..={rseq} were deleted; restore them from a backup —              chaining on would renumber them",
            hex::encode(rhash),
            seq + 1
        ))),
        Some(h) if &h != rhash => Err(refuse(format!(
            "the audit chain's entry {rseq} has hash {} but was chained with hash {}: the chain              was rewritten (an entry edited and re-chained) at or before entry {rseq}",
            hex::encode(&h),
            hex::encode(rhash)
        ))),
        Some(_) => Ok(()),
    }
}

/// One sequencing pass in its own REPEATABLE READ transaction. Only the leader may call it.
/// It refuses ([`Refused`]) to extend a chain or a log that lost what `mem` remembers.
pub async fn pass(conn: &mut AsyncPgConnection, mem: &Memory) -> diesel::QueryResult<PassResult> {
    conn.build_transaction()
        .repeatable_read()
        .run(async |conn| {
            let xmin: TextValue =
                diesel::sql_query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS v")
                    .get_result(conn)
                    .await?;
            let state: State = diesel::sql_query(
                "SELECT audit_xmin::text AS audit_xmin, outbox_xmin::text AS outbox_xmin \
                 FROM sequencer_state",
            )
            .get_result(conn)
            .await?;

            let mut out = PassResult::default();

            // -- the audit chain
            let entries: Vec<EntryRow> = diesel::sql_query(
                "SELECT a.id, a.region_code, a.at, a.plane, a.actor_id, a.actor_role, a.action, \
                        a.subject_type, a.subject_id, a.client_addr, a.request_id, a.details \
                 FROM audit_entries a \
                 WHERE a.txid >= $1::xid8 \
                   AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.entry_id = a.id) \
                 ORDER BY a.id LIMIT $2",
            )
            .bind::<Text, _>(&state.audit_xmin)
            .bind::<BigInt, _>(BATCH)
            .load(conn)
            .await?;
            let head: Option<Head> =
                diesel::sql_query("SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1")
                    .get_result(conn)
                    .await
                    .map(Some)
                    .or_else(not_found_as_none)?;
            check_audit_head(conn, mem.audit.as_ref(), head.as_ref()).await?;
            let (mut seq, mut prev) = head.map(|h| (h.seq, h.hash)).unwrap_or((0, vec![0u8; 32]));
            if !entries.is_empty() {
                let (mut seqs, mut ids, mut prevs, mut hashes) = (vec![], vec![], vec![], vec![]);
                for e in &entries {
                    seq += 1;
                    let hash = chain_hash(&prev, seq, e);
                    seqs.push(seq);
                    ids.push(e.id);
                    prevs.push(prev.clone());
                    hashes.push(hash.clone());
                    prev = hash;
                }
                diesel::sql_query(
                    "INSERT INTO audit_chain (seq, entry_id, prev_hash, hash) \
                     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[])",
                )
                .bind::<Array<BigInt>, _>(&seqs)
                .bind::<Array<BigInt>, _>(&ids)
                .bind::<Array<Bytea>, _>(&prevs)
                .bind::<Array<Bytea>, _>(&hashes)
                .execute(conn)
                .await?;
            }
            out.audit = entries.len();
            out.audit_head = seq;

            // -- the outbox (events, mail, public entries)
            let rows: Vec<IdRow> = diesel::sql_query(
                "SELECT o.id FROM outbox o \
                 WHERE o.txid >= $1::xid8 \
                   AND NOT EXISTS (SELECT 1 FROM outbox_seq s WHERE s.outbox_id = o.id) \
                 ORDER BY o.id LIMIT $2",
            )
            .bind::<Text, _>(&state.outbox_xmin)
            .bind::<BigInt, _>(BATCH)
            .load(conn)
            .await?;
            let max: MaxSeq =
                diesel::sql_query("SELECT coalesce(max(seq), 0) AS seq FROM outbox_seq")
                    .get_result(conn)
                    .await?;
            let mut oseq = max.seq;
            if !rows.is_empty() {
                let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
                let seqs: Vec<i64> = (1..=ids.len() as i64).map(|i| oseq + i).collect();
                oseq += ids.len() as i64;
                diesel::sql_query(
                    "INSERT INTO outbox_seq (seq, outbox_id) \
                     SELECT * FROM unnest($1::bigint[], $2::bigint[])",
                )
                .bind::<Array<BigInt>, _>(&seqs)
                .bind::<Array<BigInt>, _>(&ids)
                .execute(conn)
                .await?;
            }
            out.outbox = rows.len();
            out.outbox_head = oseq;

            // -- the transparency log: the public rows just numbered, and the audit head
            let appended = crate::transparency::log::append(
                conn,
                max.seq + 1,
                oseq,
                crate::transparency::log::AuditHead {
                    seq,
                    hash: &prev,
                    moved: !entries.is_empty(),
                },
                mem.guard.as_deref(),
            )
            .await?;
            out.log = appended.leaves;
            out.signed = appended.signed;
            out.audit_hash = prev.clone();

            out.more = entries.len() as i64 == BATCH || rows.len() as i64 == BATCH;
            if !out.more {
                // Everything older than our snapshot's xmin is now numbered.
                diesel::sql_query(
                    "UPDATE sequencer_state SET audit_xmin = $1::xid8, outbox_xmin = $1::xid8, \
                     updated_at = clock_timestamp()",
                )
                .bind::<Text, _>(&xmin.v)
                .execute(conn)
                .await?;
            }
            Ok(out)
        })
        .await
}

fn not_found_as_none<T>(e: diesel::result::Error) -> diesel::QueryResult<Option<T>> {
    match e {
        diesel::result::Error::NotFound => Ok(None),
        e => Err(e),
    }
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    locked: bool,
}

/// Runs forever: tries to become the leader, then sequences on every signal and every poll.
/// Losing the connection gives up the leadership (the lock is the session's). `guard` is the
/// platform key's memory of its last signed head, where this process holds the key.
pub async fn run(
    url: String,
    signal: Arc<Notify>,
    stats: Arc<SequencerStats>,
    guard: Option<Arc<crate::transparency::signer::HeadGuard>>,
) {
    let mut mem = Memory { audit: None, guard };
    loop {
        match lead(&url, &signal, &stats, &mut mem).await {
            Ok(()) => {}
            Err(e) => tracing::warn!(error = %e, "sequencer connection lost; retrying"),
        }
        stats.is_leader.store(false, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[derive(QueryableByName)]
struct LoggedAuditHead {
    #[diesel(sql_type = Nullable<Text>)]
    seq: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    hash: Option<String>,
}

/// The audit head the last `audit.head` leaf of the log recorded: what a starting sequencer
/// knows the chain must still hold.
async fn last_logged_audit_head(
    conn: &mut AsyncPgConnection,
) -> diesel::QueryResult<Option<(i64, Vec<u8>)>> {
    let row: Option<LoggedAuditHead> = diesel::sql_query(
        "SELECT p ->> 'seq' AS seq, p ->> 'hash' AS hash FROM ( \
             SELECT convert_from(leaf, 'UTF8')::jsonb -> 'payload' AS p \
             FROM transparency_leaves WHERE topic = 'audit.head' ORDER BY idx DESC LIMIT 1) l",
    )
    .get_result(conn)
    .await
    .map(Some)
    .or_else(not_found_as_none)?;
    Ok(row.and_then(|r| {
        let seq = r.seq?.parse().ok()?;
        let hash = hex::decode(r.hash?).ok()?;
        Some((seq, hash))
    }))
}

/// How long a refusing sequencer waits before it looks again (an operator is restoring).
const REFUSED_RETRY: Duration = Duration::from_secs(5);

async fn lead(
    url: &str,
    signal: &Notify,
    stats: &SequencerStats,
    mem: &mut Memory,
) -> anyhow::Result<()> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    // Wait to become the leader; followers retry every second.
    loop {
        let l: Locked = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
            .bind::<BigInt, _>(LEADER_LOCK)
            .get_result(&mut conn)
            .await?;
        if l.locked {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    stats.is_leader.store(true, Ordering::Relaxed);
    tracing::info!("this process is the sequencer");
    if mem.audit.is_none() {
        mem.audit = last_logged_audit_head(&mut conn).await?;
    }
    loop {
        let r = match pass(&mut conn, mem).await {
            Ok(r) => r,
            Err(e) => match refusal(&e) {
                Some(refused) => {
                    // loud and repeated: the platform's events stop until this is repaired
                    stats.refused.store(true, Ordering::Relaxed);
                    tracing::error!(error = %refused, "the sequencer refuses a tampered chain or log");
                    tokio::time::sleep(REFUSED_RETRY).await;
                    continue;
                }
                None => return Err(e.into()),
            },
        };
        stats.refused.store(false, Ordering::Relaxed);
        if r.audit_head > 0 {
            mem.audit = Some((r.audit_head, r.audit_hash.clone()));
        }
        if let (Some(signed), Some(guard)) = (r.signed.clone(), &mem.guard)
            && let Err(e) = guard.remember(signed)
        {
            // memory still holds it; a restart before the next head would forget it
            tracing::error!(error = %format!("{e:#}"), path = %guard.path().display(),
                "could not save the last signed tree head");
        }
        if r.outbox > 0 {
            // Outside every business transaction: the global notify lock is taken only here.
            diesel::sql_query("SELECT pg_notify($1, $2)")
                .bind::<Text, _>(EVENTS_CHANNEL)
                .bind::<Text, _>(r.outbox_head.to_string())
                .execute(&mut conn)
                .await?;
        }
        if r.more {
            continue;
        }
        let _ = tokio::time::timeout(POLL, signal.notified()).await;
    }
}
