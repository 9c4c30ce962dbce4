//! `ggzy audit verify`: re-walks the audit hash chain and names the first bad entry — an edited
//! entry (its hash no longer matches), a deleted entry (a missing row or a gap in the sequence),
//! or entries swapped (their hashes no longer match in order) — and checks the chain against the
//! `audit.head` leaves of the transparency log under a signed tree head: the chain must reach
//! every logged head's position (no truncation) and have that head's hash there (no
//! re-chaining). The log evidence is itself checked: the leaves must hash to the latest signed
//! root in the database and, when a head is pinned (a witness's saved head, or the signer's own
//! state file), to that head's root — so that a rolled-back log tail is caught as well.

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
    /// What the transparency log contributed.
    pub log: LogCheck,
}

/// The transparency log's part of a verification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogCheck {
    /// The size of the signed head the `audit.head` leaves were checked under (0: none).
    pub signed_size: u64,
    /// The size of the pinned head, when one was given.
    pub pinned_size: Option<u64>,
    /// `audit.head` leaves compared with the chain.
    pub audit_heads: usize,
    /// The log evidence is unusable (leaves not matching a signed root, a rolled-back log).
    pub broken: Option<String>,
}

/// An `audit.head` leaf under a signed head: the chain's `(seq, hash)` at log index `index`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LoggedHead {
    index: i64,
    seq: i64,
    hash: Vec<u8>,
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

#[derive(QueryableByName)]
struct LeafRow {
    #[diesel(sql_type = BigInt)]
    idx: i64,
    #[diesel(sql_type = Text)]
    topic: String,
    #[diesel(sql_type = Bytea)]
    leaf: Vec<u8>,
    #[diesel(sql_type = Bytea)]
    leaf_hash: Vec<u8>,
}

#[derive(QueryableByName)]
struct SignedRow {
    #[diesel(sql_type = BigInt)]
    size: i64,
    #[diesel(sql_type = Bytea)]
    root_hash: Vec<u8>,
    #[diesel(sql_type = Timestamptz)]
    ts: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = Text)]
    signature: String,
    #[diesel(sql_type = Text)]
    public_key: String,
}

/// What the chain is compared with: a head pinned from outside the database (a saved head of
/// `ggzy log verify`, or the signer's `transparency_head.json`) and the key to trust.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// A signed head `{size, root_hash, timestamp, signature, public_key}`.
    pub pinned: Option<serde_json::Value>,
    /// The platform public key (base64); default the pinned head's, else the database's head's.
    pub public_key: Option<String>,
}

/// The `audit.head` leaves covered by a signed head, after checking that the stored leaves hash
/// to the database's latest signed root and to the pinned root.
async fn logged_heads(
    conn: &mut AsyncPgConnection,
    trust: &Trust,
) -> diesel::QueryResult<(Vec<LoggedHead>, LogCheck)> {
    use crate::transparency::{log, merkle};
    let mut check = LogCheck::default();
    let signed: Option<SignedRow> = diesel::sql_query(
        "SELECT size, root_hash, ts, signature, public_key FROM transparency_heads \
         WHERE signature IS NOT NULL ORDER BY size DESC LIMIT 1",
    )
    .get_result(conn)
    .await
    .map(Some)
    .or_else(|e| match e {
        diesel::result::Error::NotFound => Ok(None),
        e => Err(e),
    })?;
    let pinned = match &trust.pinned {
        None => None,
        Some(p) => {
            // the signer's state file carries its frontier beside the signed fields
            let mut p = p.clone();
            if let Some(m) = p.as_object_mut() {
                m.remove("frontier");
            }
            if let Err(e) = crate::core::signing::verify(&p) {
                check.broken = Some(format!("the pinned head's signature does not verify: {e}"));
                return Ok((vec![], check));
            }
            let size = p["size"].as_u64();
            let root = p["root_hash"].as_str().and_then(|r| hex::decode(r).ok());
            let (Some(size), Some(root)) = (size, root) else {
                check.broken = Some("the pinned head has no size or root_hash".into());
                return Ok((vec![], check));
            };
            check.pinned_size = Some(size);
            Some((
                size,
                root,
                p["public_key"].as_str().unwrap_or_default().to_string(),
            ))
        }
    };
    let trusted = trust
        .public_key
        .clone()
        .or_else(|| pinned.as_ref().map(|p| p.2.clone()));
    if let Some((psize, _, pkey)) = &pinned
        && trusted.as_deref() != Some(pkey.as_str())
    {
        check.broken = Some(format!(
            "the pinned head of {psize} entries is signed by {pkey}, not by the trusted key"
        ));
        return Ok((vec![], check));
    }
    let Some(signed) = signed else {
        if let Some((psize, _, _)) = &pinned {
            check.broken = Some(format!(
                "the database holds no signed tree head, but a head of {psize} entries was \
                 pinned: the transparency log was removed"
            ));
        }
        return Ok((vec![], check));
    };
    let size = signed.size as u64;
    let object = {
        let root: merkle::Hash = match signed.root_hash.as_slice().try_into() {
            Ok(r) => r,
            Err(_) => {
                check.broken = Some("the latest signed head's root is not 32 bytes".into());
                return Ok((vec![], check));
            }
        };
        let mut m = log::head_object(size, &root, signed.ts);
        m.insert("signature".into(), signed.signature.clone().into());
        m.insert("public_key".into(), signed.public_key.clone().into());
        serde_json::Value::Object(m)
    };
    if crate::core::signing::verify(&object).is_err() {
        check.broken = Some(format!(
            "the latest signed head in the database (size {size}) has a bad signature"
        ));
        return Ok((vec![], check));
    }
    if let Some(t) = &trusted
        && t != &signed.public_key
    {
        check.broken = Some(format!(
            "the latest signed head in the database is signed by {}, not by the trusted key {t}",
            signed.public_key
        ));
        return Ok((vec![], check));
    }
    // the evidence reaches as far as a head signed by the trusted key
    let covered = pinned.as_ref().map(|p| p.0).unwrap_or(0).max(size);
    let rows: Vec<LeafRow> = diesel::sql_query(
        "SELECT idx, topic, leaf, leaf_hash FROM transparency_leaves \
         WHERE idx < $1 ORDER BY idx",
    )
    .bind::<BigInt, _>(covered as i64)
    .load(conn)
    .await?;
    let mut hashes: Vec<merkle::Hash> = Vec::with_capacity(rows.len());
    let mut heads = Vec::new();
    for r in &rows {
        let h = merkle::leaf_hash(&r.leaf);
        if r.idx != hashes.len() as i64 || r.leaf_hash.as_slice() != h.as_slice() {
            check.broken = Some(format!(
                "transparency log leaf {} is missing or its hash does not match its bytes",
                hashes.len()
            ));
            return Ok((vec![], check));
        }
        hashes.push(h);
        if r.topic == log::AUDIT_HEAD_TOPIC {
            let v: serde_json::Value = serde_json::from_slice(&r.leaf).unwrap_or_default();
            let p = &v["payload"];
            match (
                p["seq"].as_i64(),
                p["hash"].as_str().and_then(|h| hex::decode(h).ok()),
            ) {
                (Some(seq), Some(hash)) => heads.push(LoggedHead {
                    index: r.idx,
                    seq,
                    hash,
                }),
                _ => {
                    check.broken = Some(format!(
                        "transparency log leaf {} is an audit.head without seq and hash",
                        r.idx
                    ));
                    return Ok((vec![], check));
                }
            }
        }
    }
    if (hashes.len() as u64) < covered {
        check.broken = Some(format!(
            "the transparency log holds {} leaves but a head of {covered} entries was signed: \
             the log was truncated or rolled back",
            hashes.len()
        ));
        return Ok((vec![], check));
    }
    if merkle::root(&hashes[..size as usize]).as_slice() != signed.root_hash.as_slice() {
        check.broken = Some(format!(
            "the first {size} leaves of the transparency log do not hash to the latest signed \
             root: the log was rewritten"
        ));
        return Ok((vec![], check));
    }
    if let Some((psize, proot, _)) = &pinned
        && merkle::root(&hashes[..*psize as usize]).as_slice() != proot.as_slice()
    {
        check.broken = Some(format!(
            "the first {psize} leaves of the transparency log do not hash to the pinned head's \
             root: the log was rewritten or forked after that head was saved"
        ));
        return Ok((vec![], check));
    }
    check.signed_size = covered;
    check.audit_heads = heads.len();
    Ok((heads, check))
}

/// Verifies the whole chain with the database's own log evidence (no pinned head).
pub async fn verify(conn: &mut AsyncPgConnection) -> diesel::QueryResult<Report> {
    verify_with(conn, &Trust::default()).await
}

/// Verifies the whole chain, page by page, against the logged `audit.head` leaves.
pub async fn verify_with(
    conn: &mut AsyncPgConnection,
    trust: &Trust,
) -> diesel::QueryResult<Report> {
    let (heads, log) = logged_heads(conn, trust).await?;
    let mut logged = heads.iter().peekable();
    let mut expected_seq = 1i64;
    let mut prev = vec![0u8; 32];
    // the last logged head the chain matched, for naming the re-chained range
    let mut matched = 0i64;
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
                log: log.clone(),
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
                    log: log.clone(),
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
            if let Some(l) = logged.next_if(|l| l.seq < r.seq) {
                // a logged head at a position the chain skipped cannot happen in an honest log
                return Ok(bad(format!(
                    "the signed audit.head at log index {} records entry {}, which the chain \
                     does not have in order",
                    l.index, l.seq
                )));
            }
            while let Some(l) = logged.next_if(|l| l.seq == r.seq) {
                if l.hash != h {
                    return Ok(bad(format!(
                        "entry {} has hash {} but the signed audit.head at log index {} \
                         recorded {}: entries {}..={} were rewritten and re-chained",
                        r.seq,
                        hex::encode(&h),
                        l.index,
                        hex::encode(&l.hash),
                        matched + 1,
                        r.seq
                    )));
                }
                matched = r.seq;
            }
            prev = h;
            expected_seq += 1;
        }
        if n < PAGE {
            break;
        }
    }
    if let Some(l) = heads.iter().max_by_key(|l| l.seq)
        && l.seq >= expected_seq
    {
        return Ok(Report {
            verified: expected_seq - 1,
            head: hex::encode(&prev),
            broken: Some(Break {
                seq: expected_seq,
                entry_id: None,
                reason: format!(
                    "the chain ends at entry {} but the signed audit.head at log index {} \
                     records entry {} (hash {}): entries {}..={} were removed (truncated)",
                    expected_seq - 1,
                    l.index,
                    l.seq,
                    hex::encode(&l.hash),
                    expected_seq,
                    l.seq
                ),
            }),
            log,
        });
    }
    Ok(Report {
        verified: expected_seq - 1,
        head: hex::encode(&prev),
        broken: None,
        log,
    })
}
