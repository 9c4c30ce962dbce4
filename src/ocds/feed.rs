//! Reading the sequenced public log entries and the procedures they belong to (the public
//! plane's reads; grants in `migrations/2026-11-23-000004_ocds`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{
    Array, BigInt, Jsonb, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

use super::mapping::{self, Entry, Org, Procedure, Project};

#[derive(QueryableByName)]
struct EntryRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    topic: String,
    #[diesel(sql_type = Nullable<Text>)]
    subject_id: Option<String>,
    #[diesel(sql_type = Jsonb)]
    payload: Value,
}

impl From<EntryRow> for Entry {
    fn from(r: EntryRow) -> Entry {
        Entry {
            seq: r.seq,
            created_at: r.created_at,
            topic: r.topic,
            subject_id: r.subject_id,
            payload: r.payload,
        }
    }
}

fn topics() -> Vec<String> {
    mapping::TOPICS.iter().map(|(t, _)| t.to_string()).collect()
}

/// The entries that become releases, after `after` in the sequencer's order, at most `limit`.
pub async fn page(
    conn: &mut AsyncPgConnection,
    after: i64,
    limit: i64,
) -> diesel::QueryResult<Vec<Entry>> {
    let rows: Vec<EntryRow> = diesel::sql_query(
        "SELECT seq, created_at, topic, subject_id, payload FROM ocds_public_entries \
         WHERE seq > $1 AND topic = ANY($2) AND subject_type IN ('tender', 'auction') \
         ORDER BY seq LIMIT $3",
    )
    .bind::<BigInt, _>(after)
    .bind::<Array<Text>, _>(topics())
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(Entry::from).collect())
}

/// Every entry of one procedure that becomes a release, in the sequencer's order.
pub async fn of_procedure(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> diesel::QueryResult<Vec<Entry>> {
    let rows: Vec<EntryRow> = diesel::sql_query(
        "SELECT seq, created_at, topic, subject_id, payload FROM ocds_public_entries \
         WHERE subject_id = $1 AND topic = ANY($2) AND subject_type IN ('tender', 'auction') \
         ORDER BY seq",
    )
    .bind::<Text, _>(id.to_string())
    .bind::<Array<Text>, _>(topics())
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(Entry::from).collect())
}

#[derive(QueryableByName)]
struct Payload {
    #[diesel(sql_type = Jsonb)]
    payload: Value,
}

/// The candidate list a tender published before `seq` (for its award release).
pub async fn candidates_before(
    conn: &mut AsyncPgConnection,
    tender: &str,
    seq: i64,
) -> diesel::QueryResult<Option<Value>> {
    let rows: Vec<Payload> = diesel::sql_query(
        "SELECT payload FROM ocds_public_entries \
         WHERE subject_id = $1 AND topic = 'tender.candidates' AND seq < $2 \
         ORDER BY seq DESC LIMIT 1",
    )
    .bind::<Text, _>(tender)
    .bind::<BigInt, _>(seq)
    .load(conn)
    .await?;
    Ok(rows.into_iter().next().map(|r| r.payload))
}

#[derive(QueryableByName)]
struct ProcRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    method: String,
    #[diesel(sql_type = Text)]
    evaluation: String,
    #[diesel(sql_type = Nullable<Numeric>)]
    max_price: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    increment: Option<Decimal>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    award_bid: Option<Uuid>,
    #[diesel(sql_type = Text)]
    p_code: String,
    #[diesel(sql_type = Text)]
    category: String,
    #[diesel(sql_type = Text)]
    p_title: String,
    #[diesel(sql_type = Nullable<Text>)]
    owner_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    owner_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    agency_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    agency_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    buyer_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    buyer_code: Option<String>,
}

fn org(name: Option<String>, code: Option<String>) -> Option<Org> {
    Some(Org {
        name: name?,
        code: code?,
    })
}

/// The procedures (tenders and lots) with these ids, with their projects and parties. Only the
/// columns the public role may read are named.
pub async fn procedures(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> diesel::QueryResult<HashMap<Uuid, Procedure>> {
    let rows: Vec<ProcRow> = diesel::sql_query(
        "SELECT t.id, 'tender' AS kind, t.code, t.title, t.method, \
                coalesce(t.evaluation->>'method', '') AS evaluation, t.max_price, \
                NULL::numeric AS increment, a.bid_id AS award_bid, \
                p.code AS p_code, p.category, p.title AS p_title, o.name AS owner_name, \
                o.code AS owner_code, g.name AS agency_name, g.code AS agency_code, \
                NULL::text AS buyer_name, NULL::text AS buyer_code \
         FROM tenders t JOIN projects p ON p.id = t.project_id \
         LEFT JOIN orgs o ON o.id = p.owner_org_id LEFT JOIN orgs g ON g.id = p.agency_org_id \
         LEFT JOIN awards a ON a.tender_id = t.id \
         WHERE t.id = ANY($1) \
         UNION ALL \
         SELECT l.id, 'auction', l.code, l.title, l.format, '', l.start_price, l.increment, NULL, \
                p.code, p.category, p.title, o.name, o.code, g.name, g.code, w.name, w.code \
         FROM auctions l JOIN projects p ON p.id = l.project_id \
         LEFT JOIN orgs o ON o.id = p.owner_org_id LEFT JOIN orgs g ON g.id = p.agency_org_id \
         LEFT JOIN LATERAL ggzy_auction_buyer(l.id) w ON true \
         WHERE l.id = ANY($1) AND l.published",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let project = Project {
                code: r.p_code,
                category: r.category,
                title: r.p_title,
                owner: org(r.owner_name, r.owner_code),
                agency: org(r.agency_name, r.agency_code),
            };
            let p = if r.kind == "tender" {
                Procedure::Tender {
                    id: r.id,
                    code: r.code,
                    title: r.title,
                    method: r.method,
                    evaluation: r.evaluation,
                    max_price: r.max_price,
                    award_bid: r.award_bid,
                    project,
                }
            } else {
                Procedure::Auction {
                    id: r.id,
                    code: r.code,
                    title: r.title,
                    format: r.method,
                    start_price: r.max_price.unwrap_or_default(),
                    increment: r.increment.unwrap_or_default(),
                    buyer: org(r.buyer_name, r.buyer_code),
                    project,
                }
            };
            (r.id, p)
        })
        .collect())
}

/// The releases of these entries, each with its sequencer number (entries that map to no
/// release are left out).
pub async fn releases(
    conn: &mut AsyncPgConnection,
    prefix: &str,
    entries: &[Entry],
) -> diesel::QueryResult<Vec<(i64, Value)>> {
    let ids: Vec<Uuid> = entries
        .iter()
        .filter_map(|e| e.subject_id.as_deref().and_then(|s| s.parse().ok()))
        .collect::<std::collections::BTreeSet<Uuid>>()
        .into_iter()
        .collect();
    let procs = procedures(conn, &ids).await?;
    let mut out = Vec::new();
    for e in entries {
        let Some(p) = e
            .subject_id
            .as_deref()
            .and_then(|s| s.parse::<Uuid>().ok())
            .and_then(|id| procs.get(&id))
        else {
            continue;
        };
        let candidates = if e.topic == "tender.award" {
            candidates_before(conn, e.subject_id.as_deref().unwrap_or_default(), e.seq).await?
        } else {
            None
        };
        if let Some(r) = mapping::release(prefix, e, p, candidates.as_ref()) {
            out.push((e.seq, r));
        }
    }
    Ok(out)
}
