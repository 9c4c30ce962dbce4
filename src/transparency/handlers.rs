//! The public routes of the transparency log (API.md "Public and transparency"): the latest
//! signed tree head, the entries, and RFC 9162 inclusion and consistency proofs. They only read
//! what the sequencer stored; sizes and indexes are bounded by the latest signed head.

use actix_web::{HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bytea, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::core::clock;
use crate::error::{AppError, AppResult, Problem};
use crate::http::ctx::Ctx;
use crate::transparency::merkle::{self, Hash};

/// Entries returned per request at most.
pub const MAX_ENTRIES: i64 = 1000;

/// A signed tree head (returned exactly as signed).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TreeHead {
    /// Number of leaves.
    pub size: i64,
    /// Root hash of the tree, hex.
    pub root_hash: String,
    /// Platform time of the head.
    pub timestamp: String,
    /// Ed25519 over JCS({root_hash, size, timestamp}), base64.
    pub signature: String,
    /// Platform public key, base64.
    pub public_key: String,
}

/// One public entry of the log.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LogEntry {
    /// Leaf index (0-based).
    pub index: i64,
    /// The exact leaf bytes, base64 (JCS of `entry`).
    pub leaf: String,
    /// SHA-256(0x00 ‖ leaf), hex.
    pub leaf_hash: String,
    /// The leaf decoded: `{seq, topic, subject_type, subject_id, created_at, payload}`.
    pub entry: Value,
}

/// A page of entries.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LogEntries {
    /// Entries `start..end`.
    pub items: Vec<LogEntry>,
    /// The next `start` when more entries exist below the signed size, else null.
    pub next: Option<i64>,
}

/// An inclusion proof.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InclusionProof {
    /// Leaf index.
    pub index: i64,
    /// Tree size the proof is for.
    pub size: i64,
    /// The leaf's hash, hex.
    pub leaf_hash: String,
    /// Audit path (RFC 9162 §2.1.3.1), hex, bottom up.
    pub inclusion_path: Vec<String>,
}

/// A consistency proof.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsistencyProof {
    /// Older tree size.
    pub first: i64,
    /// Newer tree size.
    pub second: i64,
    /// Proof nodes (RFC 9162 §2.1.4.1), hex.
    pub consistency_path: Vec<String>,
}

/// `start` (inclusive) and `end` (exclusive) leaf indexes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntriesQuery {
    /// First index (default 0).
    pub start: Option<i64>,
    /// One past the last index (default and maximum: start + 1000, capped at the signed size).
    pub end: Option<i64>,
    /// Only the entries about this subject type (with `subject_id`), e.g. `tender`.
    pub subject_type: Option<String>,
    /// Only the entries about this subject (with `subject_type`), e.g. a tender's id: the
    /// sealers find the holder-key entries of a tender this way.
    pub subject_id: Option<String>,
    /// Only the entries of this topic (with `subject_type` and `subject_id`).
    pub topic: Option<String>,
}

/// Inclusion proof parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProofQuery {
    /// Leaf index.
    pub index: i64,
    /// Tree size (at most the latest signed size).
    pub size: i64,
}

/// Consistency proof parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// Older tree size.
    pub first: i64,
    /// Newer tree size (at most the latest signed size).
    pub second: i64,
}

#[derive(QueryableByName)]
struct HeadRow {
    #[diesel(sql_type = BigInt)]
    size: i64,
    #[diesel(sql_type = Bytea)]
    root_hash: Vec<u8>,
    #[diesel(sql_type = Timestamptz)]
    ts: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    signature: String,
    #[diesel(sql_type = Text)]
    public_key: String,
}

#[derive(QueryableByName)]
struct LeafRow {
    #[diesel(sql_type = BigInt)]
    idx: i64,
    #[diesel(sql_type = Bytea)]
    leaf: Vec<u8>,
    #[diesel(sql_type = Bytea)]
    leaf_hash: Vec<u8>,
}

#[derive(QueryableByName)]
struct Hashes {
    #[diesel(sql_type = Nullable<Bytea>)]
    hashes: Option<Vec<u8>>,
}

async fn latest(conn: &mut crate::db::DbConn) -> AppResult<HeadRow> {
    diesel::sql_query(
        "SELECT size, root_hash, ts, signature, public_key FROM transparency_heads \
         WHERE signature IS NOT NULL ORDER BY size DESC LIMIT 1",
    )
    .get_result(conn)
    .await
    .map_err(|e| match e {
        diesel::result::Error::NotFound => AppError::not_found("signed tree head"),
        e => e.into(),
    })
}

/// The leaf hashes of the first `size` leaves: one bytea (32 bytes a leaf) from the database,
/// so a proof over 100k leaves moves 3.2 MB and hashes about 200k nodes.
async fn leaf_hashes(conn: &mut crate::db::DbConn, size: i64) -> AppResult<Vec<Hash>> {
    let h: Hashes = diesel::sql_query(
        "SELECT string_agg(leaf_hash, ''::bytea ORDER BY idx) AS hashes \
         FROM transparency_leaves WHERE idx < $1",
    )
    .bind::<BigInt, _>(size)
    .get_result(conn)
    .await?;
    let bytes = h.hashes.unwrap_or_default();
    if bytes.len() != 32 * size as usize {
        return Err(AppError::internal(anyhow::anyhow!(
            "the log holds fewer leaves than its signed size"
        )));
    }
    Ok(bytes
        .chunks_exact(32)
        .map(|c| c.try_into().expect("32-byte chunks"))
        .collect())
}

/// The latest signed tree head.
#[utoipa::path(get, path = "/api/v1/log/head", tag = "public",
    responses((status = 200, body = TreeHead),
              (status = 404, body = Problem, description = "not_found (no head signed yet)")))]
pub async fn head(ctx: Ctx) -> AppResult<HttpResponse> {
    let mut conn = ctx.conn().await?;
    let h = latest(&mut conn).await?;
    Ok(HttpResponse::Ok().json(TreeHead {
        size: h.size,
        root_hash: hex::encode(&h.root_hash),
        timestamp: clock::fmt(h.ts),
        signature: h.signature,
        public_key: h.public_key,
    }))
}

/// The public entries `start..end` (at most 1000, below the latest signed size); with
/// `subject_type` and `subject_id` (and `topic`), only the entries about that subject.
#[utoipa::path(get, path = "/api/v1/log/entries", tag = "public", params(EntriesQuery),
    responses((status = 200, body = LogEntries),
              (status = 400, body = Problem, description = "invalid_query, invalid_range")))]
pub async fn entries(ctx: Ctx, query: web::Query<EntriesQuery>) -> AppResult<HttpResponse> {
    let start = query.start.unwrap_or(0);
    if start < 0 || query.end.is_some_and(|e| e < start) {
        return Err(AppError::bad_request(
            "invalid_range",
            "start must be ≥ 0 and end ≥ start",
        ));
    }
    let mut conn = ctx.conn().await?;
    let size = latest(&mut conn).await.map(|h| h.size).unwrap_or(0);
    if query.subject_type.is_some() || query.subject_id.is_some() || query.topic.is_some() {
        return entries_of_subject(&mut conn, &query, start, size).await;
    }
    let end = query
        .end
        .unwrap_or(i64::MAX)
        .min(start.saturating_add(MAX_ENTRIES))
        .min(size);
    let rows: Vec<LeafRow> = if start < end {
        diesel::sql_query(
            "SELECT idx, leaf, leaf_hash FROM transparency_leaves \
             WHERE idx >= $1 AND idx < $2 ORDER BY idx",
        )
        .bind::<BigInt, _>(start)
        .bind::<BigInt, _>(end)
        .load(&mut conn)
        .await?
    } else {
        Vec::new()
    };
    let items = rows
        .into_iter()
        .map(|r| LogEntry {
            index: r.idx,
            entry: serde_json::from_slice(&r.leaf).unwrap_or(Value::Null),
            leaf: B64.encode(&r.leaf),
            leaf_hash: hex::encode(&r.leaf_hash),
        })
        .collect();
    let wanted = query.end.unwrap_or(size).min(size);
    Ok(HttpResponse::Ok().json(LogEntries {
        items,
        next: (end < wanted).then_some(end),
    }))
}

/// `GET /log/entries?subject_type=&subject_id=[&topic=]`: the entries about one subject from
/// `start` on, below the signed size, at most 1000 a page (`next` = the following `start`).
/// Only leaves appended since leaves are indexed by subject are found (issue 13); a verifier
/// checks what it gets with inclusion proofs, and completeness against the whole log.
async fn entries_of_subject(
    conn: &mut crate::db::DbConn,
    query: &EntriesQuery,
    start: i64,
    size: i64,
) -> AppResult<HttpResponse> {
    let (Some(subject_type), Some(subject_id)) = (&query.subject_type, &query.subject_id) else {
        return Err(AppError::bad_request(
            "invalid_query",
            "subject_type and subject_id go together (topic needs both)",
        ));
    };
    let end = query.end.unwrap_or(size).min(size);
    let rows: Vec<LeafRow> = diesel::sql_query(
        "SELECT idx, leaf, leaf_hash FROM transparency_leaves \
         WHERE subject_type = $1 AND subject_id = $2 AND subject_id IS NOT NULL \
           AND ($3::text IS NULL OR topic = $3) AND idx >= $4 AND idx < $5 \
         ORDER BY idx LIMIT $6",
    )
    .bind::<Text, _>(subject_type)
    .bind::<Text, _>(subject_id)
    .bind::<Nullable<Text>, _>(query.topic.as_deref())
    .bind::<BigInt, _>(start)
    .bind::<BigInt, _>(end)
    .bind::<BigInt, _>(MAX_ENTRIES)
    .load(conn)
    .await?;
    let next = (rows.len() as i64 == MAX_ENTRIES)
        .then(|| rows.last().map(|r| r.idx + 1))
        .flatten();
    let items = rows
        .into_iter()
        .map(|r| LogEntry {
            index: r.idx,
            entry: serde_json::from_slice(&r.leaf).unwrap_or(Value::Null),
            leaf: B64.encode(&r.leaf),
            leaf_hash: hex::encode(&r.leaf_hash),
        })
        .collect();
    Ok(HttpResponse::Ok().json(LogEntries { items, next }))
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves.
#[utoipa::path(get, path = "/api/v1/log/proof", tag = "public", params(ProofQuery),
    responses((status = 200, body = InclusionProof),
              (status = 400, body = Problem,
               description = "invalid_query, size_out_of_range (size < 1 or above the signed size), \
                              index_out_of_range (index < 0 or ≥ size)")))]
pub async fn proof(ctx: Ctx, query: web::Query<ProofQuery>) -> AppResult<HttpResponse> {
    let ProofQuery { index, size } = query.into_inner();
    let mut conn = ctx.conn().await?;
    let signed = latest(&mut conn).await.map(|h| h.size).unwrap_or(0);
    if size < 1 || size > signed {
        return Err(AppError::bad_request(
            "size_out_of_range",
            format!("size must be between 1 and the signed size {signed}"),
        ));
    }
    if index < 0 || index >= size {
        return Err(AppError::bad_request(
            "index_out_of_range",
            "index must be ≥ 0 and below size",
        ));
    }
    let leaves = leaf_hashes(&mut conn, size).await?;
    let (leaf, path) = tokio::task::spawn_blocking(move || {
        let i = index as usize;
        (
            leaves[i],
            merkle::inclusion_proof(i, &leaves).unwrap_or_default(),
        )
    })
    .await
    .map_err(AppError::internal)?;
    Ok(HttpResponse::Ok().json(InclusionProof {
        index,
        size,
        leaf_hash: hex::encode(leaf),
        inclusion_path: path.iter().map(hex::encode).collect(),
    }))
}

/// The consistency proof between the trees of `first` and `second` leaves.
#[utoipa::path(get, path = "/api/v1/log/consistency", tag = "public", params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyProof),
              (status = 400, body = Problem,
               description = "invalid_query, size_out_of_range (second above the signed size), \
                              invalid_range (first < 0 or first > second)")))]
pub async fn consistency(ctx: Ctx, query: web::Query<ConsistencyQuery>) -> AppResult<HttpResponse> {
    let ConsistencyQuery { first, second } = query.into_inner();
    if first < 0 || first > second {
        return Err(AppError::bad_request(
            "invalid_range",
            "first must be ≥ 0 and ≤ second",
        ));
    }
    let mut conn = ctx.conn().await?;
    let signed = latest(&mut conn).await.map(|h| h.size).unwrap_or(0);
    if second > signed {
        return Err(AppError::bad_request(
            "size_out_of_range",
            format!("second must be at most the signed size {signed}"),
        ));
    }
    let leaves = leaf_hashes(&mut conn, second).await?;
    let path = tokio::task::spawn_blocking(move || {
        merkle::consistency_proof(first as usize, &leaves).unwrap_or_default()
    })
    .await
    .map_err(AppError::internal)?;
    Ok(HttpResponse::Ok().json(ConsistencyProof {
        first,
        second,
        consistency_path: path.iter().map(hex::encode).collect(),
    }))
}
