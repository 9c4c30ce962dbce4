//! Appending to the transparency log, inside the sequencer's pass transaction: each newly
//! numbered outbox row of kind `public` becomes a leaf, the audit chain's head becomes an
//! `audit.head` leaf now and then, and a new tree head is stored — signed with the platform key
//! when this process holds it (docs/TRANSPARENCY.md).

use std::sync::LazyLock;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Bytea, Jsonb, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Map, Value, json};

use crate::core::{clock, signing};
use crate::transparency::merkle::{self, Frontier, Hash};
use crate::transparency::signer::{HeadGuard, SignedHead};

/// The topic of the sequencer's own leaves recording the audit chain's head.
pub const AUDIT_HEAD_TOPIC: &str = "audit.head";

/// Seconds between two `audit.head` leaves at least (`GGZY_LOG_AUDIT_HEAD_SECS`, default 300);
/// the first one is logged as soon as the chain has an entry.
pub static AUDIT_HEAD_EVERY: LazyLock<i64> = LazyLock::new(|| {
    std::env::var("GGZY_LOG_AUDIT_HEAD_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|v: &i64| *v >= 0)
        .unwrap_or(300)
});

/// Unix milliseconds of this process's last housekeeping look (see [`append`]).
static LAST_TICK_MS: AtomicI64 = AtomicI64::new(0);

/// True at most once a second.
fn tick() -> bool {
    let now_ms = Utc::now().timestamp_millis();
    if now_ms - AtomicI64::load(&LAST_TICK_MS, Ordering::Relaxed) < 1000 {
        return false;
    }
    LAST_TICK_MS.store(now_ms, Ordering::Relaxed);
    true
}

/// The bytes of a leaf: the JCS (RFC 8785) form of
/// `{seq, topic, subject_type, subject_id, created_at, payload, writer}` — `seq` is the outbox
/// sequence number, or null for the sequencer's own `audit.head` leaves; `writer` is the
/// database role that wrote the row, as the database stamped it (`outbox.writer_role`). A row
/// without one (written before the column existed) gets a leaf without the field, the form of
/// every leaf appended before writers were logged, whose bytes are kept as they were signed.
pub fn leaf_bytes(
    seq: Option<i64>,
    topic: &str,
    subject_type: Option<&str>,
    subject_id: Option<&str>,
    created_at: DateTime<Utc>,
    payload: &Value,
    writer: Option<&str>,
) -> Vec<u8> {
    let mut v = json!({
        "seq": seq,
        "topic": topic,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "created_at": clock::fmt(created_at),
        "payload": payload,
    });
    if let Some(w) = writer {
        v["writer"] = json!(w);
    }
    // serialising a serde_json::Value cannot fail
    serde_jcs::to_vec(&v).unwrap_or_default()
}

/// The object a tree head signature covers (also the head without `signature`/`public_key`).
pub fn head_object(size: u64, root: &Hash, timestamp: DateTime<Utc>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("size".into(), json!(size));
    m.insert("root_hash".into(), json!(hex::encode(root)));
    m.insert("timestamp".into(), json!(clock::fmt(timestamp)));
    m
}

#[derive(QueryableByName)]
struct PublicRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    topic: String,
    #[diesel(sql_type = Nullable<Text>)]
    subject_type: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    subject_id: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Jsonb)]
    payload: Value,
    #[diesel(sql_type = Nullable<Text>)]
    writer_role: Option<String>,
}

#[derive(QueryableByName)]
struct HeadRow {
    #[diesel(sql_type = BigInt)]
    size: i64,
    #[diesel(sql_type = Bytea)]
    frontier: Vec<u8>,
    #[diesel(sql_type = Nullable<Text>)]
    signature: Option<String>,
    #[diesel(sql_type = Bytea)]
    root_hash: Vec<u8>,
    #[diesel(sql_type = Timestamptz)]
    ts: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct AuditDue {
    #[diesel(sql_type = BigInt)]
    logged: i64,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    due: bool,
}

#[derive(QueryableByName)]
struct Now {
    #[diesel(sql_type = Timestamptz)]
    now: DateTime<Utc>,
    /// The sequencer's own role, the writer of its `audit.head` leaves.
    #[diesel(sql_type = Text)]
    who: String,
}

/// What the sequencer hands over after numbering a batch.
#[derive(Debug, Clone, Copy)]
pub struct AuditHead<'a> {
    /// The chain's last sequence number (0 when empty).
    pub seq: i64,
    /// Its hash.
    pub hash: &'a [u8],
    /// Whether this pass chained new entries.
    pub moved: bool,
}

/// What [`append`] did.
#[derive(Debug, Default)]
pub struct Appended {
    /// Leaves appended.
    pub leaves: usize,
    /// The head signed, for the signer's memory once the pass committed.
    pub signed: Option<SignedHead>,
}

/// Appends the public rows among the outbox rows numbered `[first_seq, last_seq]` and, when due,
/// the audit chain's head; stores the new tree head. Signs only where this process holds the
/// platform key and its `guard`, and only a tree that extends the last head that key signed
/// ([`HeadGuard::check_base`]).
pub async fn append(
    conn: &mut AsyncPgConnection,
    first_seq: i64,
    last_seq: i64,
    audit: AuditHead<'_>,
    guard: Option<&HeadGuard>,
) -> diesel::QueryResult<Appended> {
    // housekeeping (a due audit head, the first head, signing) at most once a second when
    // nothing new arrived: passes run every 40 ms
    let periodic = tick();
    if first_seq > last_seq && !audit.moved && !periodic {
        return Ok(Appended::default());
    }
    let rows: Vec<PublicRow> = if first_seq <= last_seq {
        diesel::sql_query(
            "SELECT s.seq, o.topic, o.subject_type, o.subject_id, o.created_at, o.payload, \
                    o.writer_role \
             FROM outbox_seq s JOIN outbox o ON o.id = s.outbox_id \
             WHERE s.seq BETWEEN $1 AND $2 AND o.kind = 'public' ORDER BY s.seq",
        )
        .bind::<BigInt, _>(first_seq)
        .bind::<BigInt, _>(last_seq)
        .load(conn)
        .await?
    } else {
        Vec::new()
    };
    let audit_due =
        audit.seq > 0 && (audit.moved || periodic) && audit_head_due(conn, audit).await?;
    if rows.is_empty() && !audit_due && !periodic {
        // events and mail only: nothing for the log
        return Ok(Appended::default());
    }
    let now: Now = diesel::sql_query("SELECT ggzy_now() AS now, current_user::text AS who")
        .get_result(conn)
        .await?;

    let mut leaves: Vec<(Option<i64>, String, Vec<u8>)> = rows
        .iter()
        .map(|r| {
            let bytes = leaf_bytes(
                Some(r.seq),
                &r.topic,
                r.subject_type.as_deref(),
                r.subject_id.as_deref(),
                r.created_at,
                &r.payload,
                r.writer_role.as_deref(),
            );
            (Some(r.seq), r.topic.clone(), bytes)
        })
        .collect();
    if audit_due {
        let bytes = leaf_bytes(
            None,
            AUDIT_HEAD_TOPIC,
            Some("audit_chain"),
            Some(&audit.seq.to_string()),
            now.now,
            &json!({"seq": audit.seq, "hash": hex::encode(audit.hash)}),
            Some(&now.who),
        );
        leaves.push((None, AUDIT_HEAD_TOPIC.into(), bytes));
    }

    let head: Option<HeadRow> = diesel::sql_query(
        "SELECT size, frontier, signature, root_hash, ts FROM transparency_heads \
         ORDER BY size DESC LIMIT 1",
    )
    .get_result(conn)
    .await
    .map(Some)
    .or_else(|e| match e {
        diesel::result::Error::NotFound => Ok(None),
        e => Err(e),
    })?;
    // the key signs only beside its memory of the last head it signed
    let key = signing::platform().ok().filter(|_| guard.is_some());
    let base = match &head {
        Some(h) => Frontier::from_bytes(h.size as u64, &h.frontier)
            .ok_or_else(|| corrupt("a stored frontier does not match its size"))?,
        None => Frontier::default(),
    };
    let base_root: Hash = match &head {
        Some(h) => h.root_hash.as_slice().try_into().map_err(corrupt)?,
        None => merkle::empty_root(),
    };

    if leaves.is_empty() {
        if !periodic {
            return Ok(Appended::default());
        }
        let mut out = Appended::default();
        if let (Some(_), Some(g)) = (&key, guard) {
            // once a second even when idle, so that a rollback is refused (and seen) at once,
            // not only when the next entry arrives; O(1) while the stored head is ours
            g.check_base(conn, &base, &base_root).await?;
        }
        match (&head, &key) {
            // the first head of an empty log, so that clients can start from size 0
            (None, Some(k)) => {
                out.signed = store_head(conn, &base, now.now, Some(k)).await?;
            }
            // a head stored by a sequencer without the key: sign it now
            (Some(h), Some(k)) if h.signature.is_none() => {
                let head = sign_stored(conn, h.size, &base_root, h.ts, k).await?;
                out.signed = Some(SignedHead {
                    head,
                    frontier: base,
                });
            }
            _ => {}
        }
        return Ok(out);
    }

    if let (Some(_), Some(g)) = (&key, guard) {
        // never sign a head over a tree that lost or changed what the key signed before
        g.check_base(conn, &base, &base_root).await?;
    }
    let mut frontier = base;
    let (mut idxs, mut seqs, mut topics, mut bytes, mut hashes) =
        (vec![], vec![], vec![], vec![], vec![]);
    for (seq, topic, leaf) in leaves {
        let h = merkle::leaf_hash(&leaf);
        idxs.push(frontier.size as i64);
        frontier.push(h);
        seqs.push(seq);
        topics.push(topic);
        bytes.push(leaf);
        hashes.push(h.to_vec());
    }
    diesel::sql_query(
        "INSERT INTO transparency_leaves (idx, outbox_seq, topic, leaf, leaf_hash) \
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bytea[], $5::bytea[])",
    )
    .bind::<Array<BigInt>, _>(&idxs)
    .bind::<Array<Nullable<BigInt>>, _>(&seqs)
    .bind::<Array<Text>, _>(&topics)
    .bind::<Array<Bytea>, _>(&bytes)
    .bind::<Array<Bytea>, _>(&hashes)
    .execute(conn)
    .await?;
    let signed = store_head(conn, &frontier, now.now, key.as_deref()).await?;
    Ok(Appended {
        leaves: idxs.len(),
        signed,
    })
}

/// Whether an `audit.head` leaf is due: the chain moved past the last logged head and the last
/// one is old enough (or there is none).
async fn audit_head_due(
    conn: &mut AsyncPgConnection,
    audit: AuditHead<'_>,
) -> diesel::QueryResult<bool> {
    let d: AuditDue = diesel::sql_query(
        "SELECT coalesce((SELECT (l.leaf_seq)::bigint FROM ( \
                    SELECT convert_from(leaf, 'UTF8')::jsonb -> 'payload' ->> 'seq' AS leaf_seq \
                    FROM transparency_leaves WHERE topic = 'audit.head' \
                    ORDER BY idx DESC LIMIT 1) l), 0) AS logged, \
                coalesce((SELECT appended_at <= clock_timestamp() - make_interval(secs => $1) \
                    FROM transparency_leaves WHERE topic = 'audit.head' \
                    ORDER BY idx DESC LIMIT 1), true) AS due",
    )
    .bind::<diesel::sql_types::Double, _>(*AUDIT_HEAD_EVERY as f64)
    .get_result(conn)
    .await?;
    Ok(d.due && audit.seq > d.logged)
}

/// Stores a head; returns it signed when `key` is given.
async fn store_head(
    conn: &mut AsyncPgConnection,
    frontier: &Frontier,
    ts: DateTime<Utc>,
    key: Option<&signing::PlatformKey>,
) -> diesel::QueryResult<Option<SignedHead>> {
    let root = frontier.root();
    let mut signed_head = None;
    let (signature, public_key) = match key {
        Some(k) => {
            let signed = sign(k, frontier.size, &root, ts)?;
            signed_head = Some(SignedHead {
                head: served_head(frontier.size, &root, ts, &signed.0, &signed.1),
                frontier: frontier.clone(),
            });
            (Some(signed.0), Some(signed.1))
        }
        None => {
            tracing::warn!(
                size = frontier.size,
                "no platform key in this sequencer: the tree head stays unsigned until one signs it"
            );
            (None, None)
        }
    };
    diesel::sql_query(
        "INSERT INTO transparency_heads (size, root_hash, ts, frontier, signature, public_key) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind::<BigInt, _>(frontier.size as i64)
    .bind::<Bytea, _>(root.to_vec())
    .bind::<Timestamptz, _>(ts)
    .bind::<Bytea, _>(frontier.to_bytes())
    .bind::<Nullable<Text>, _>(signature)
    .bind::<Nullable<Text>, _>(public_key)
    .execute(conn)
    .await?;
    Ok(signed_head)
}

/// The head as `GET /log/head` serves it.
fn served_head(
    size: u64,
    root: &Hash,
    ts: DateTime<Utc>,
    signature: &str,
    public_key: &str,
) -> Value {
    let mut m = head_object(size, root, ts);
    m.insert("signature".into(), json!(signature));
    m.insert("public_key".into(), json!(public_key));
    Value::Object(m)
}

/// Signs a head stored unsigned; returns it as served.
async fn sign_stored(
    conn: &mut AsyncPgConnection,
    size: i64,
    root: &Hash,
    ts: DateTime<Utc>,
    key: &signing::PlatformKey,
) -> diesel::QueryResult<Value> {
    let (signature, public_key) = sign(key, size as u64, root, ts)?;
    diesel::sql_query(
        "UPDATE transparency_heads SET signature = $2, public_key = $3 \
         WHERE size = $1 AND signature IS NULL",
    )
    .bind::<BigInt, _>(size)
    .bind::<Text, _>(&signature)
    .bind::<Text, _>(&public_key)
    .execute(conn)
    .await?;
    Ok(served_head(size as u64, root, ts, &signature, &public_key))
}

/// (signature, public key), both base64.
fn sign(
    key: &signing::PlatformKey,
    size: u64,
    root: &Hash,
    ts: DateTime<Utc>,
) -> diesel::QueryResult<(String, String)> {
    let signed = key
        .sign(head_object(size, root, ts))
        .map_err(|e| corrupt(format!("signing a tree head: {e}")))?;
    let field = |n: &str| signed[n].as_str().unwrap_or_default().to_string();
    Ok((field("signature"), field("public_key")))
}

fn corrupt(msg: impl std::fmt::Display) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(msg.to_string().into())
}
