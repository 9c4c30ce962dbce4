//! `ggzy opening audit <tender>`: after the key holders reveal their per-tender identities, re-runs
//! every bundle of the tender's current round with [`audit::attribute`], attributes each failure
//! (电子招标投标办法 第三十一条) and compares the verdict with the status recorded at the opening.

use std::collections::BTreeMap;

use anyhow::{Context, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use diesel::QueryableByName;
use diesel::sql_types::{Bytea, Integer, Jsonb, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::audit::{self, Status};
use super::envelope;
use super::open::Submission;
use super::pieces::Branch;

/// The audit of one tender's current round.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    /// The tender.
    pub tender_id: Uuid,
    /// The round audited (the tender's current one).
    pub round: i32,
    /// One line per bid of the round.
    pub bids: Vec<BidAudit>,
    /// Whether every bid's audited status is the recorded one.
    pub all_agree: bool,
    /// The branches whose holder has not revealed its identity.
    pub missing_identities: Vec<String>,
}

/// The audit of one bid.
#[derive(Debug, Clone, Serialize)]
pub struct BidAudit {
    /// The bid.
    pub bid_id: Uuid,
    /// The bidder's 统一社会信用代码.
    pub org_code: String,
    /// The status recorded at the opening.
    pub recorded: String,
    /// The status the audit finds.
    pub audited: String,
    /// Whose fault a failure was (platform when the record differs and no one else is at fault).
    pub fault: Option<String>,
    /// One finding per holder, then the reason when the bid does not open.
    pub findings: Vec<String>,
    /// Whether the audited status is the recorded one.
    pub agrees: bool,
}

#[derive(QueryableByName)]
struct TenderRow {
    #[diesel(sql_type = Integer)]
    round: i32,
    #[diesel(sql_type = Nullable<Jsonb>)]
    sealing: Option<Value>,
}

#[derive(QueryableByName)]
struct BidRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Nullable<Bytea>)]
    envelope: Option<Vec<u8>>,
}

#[derive(QueryableByName)]
struct PiecesRow {
    #[diesel(sql_type = SqlUuid)]
    bid_id: Uuid,
    #[diesel(sql_type = Text)]
    branch: String,
    #[diesel(sql_type = Nullable<Jsonb>)]
    pieces: Option<Value>,
}

#[derive(QueryableByName)]
struct IdentityRow {
    #[diesel(sql_type = Text)]
    branch: String,
    #[diesel(sql_type = Text)]
    identity: String,
}

/// Loads the tender's current round and audits every bid against the opening record.
pub async fn run(conn: &mut AsyncPgConnection, tender: Uuid) -> anyhow::Result<AuditReport> {
    let t: Vec<TenderRow> = diesel::sql_query("SELECT round, sealing FROM tenders WHERE id = $1")
        .bind::<SqlUuid, _>(tender)
        .load(conn)
        .await
        .context("loading the tender")?;
    let t = t
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("no tender {tender}"))?;
    let mut registered = BTreeMap::new();
    if let Some(Value::Object(r)) = t.sealing.as_ref().and_then(|s| s.get("recipients")) {
        for (k, v) in r {
            if let (Some(b), Some(v)) = (Branch::parse(k), v.as_str()) {
                registered.insert(b, v.to_string());
            }
        }
    }
    let ids: Vec<IdentityRow> =
        diesel::sql_query("SELECT branch, identity FROM holder_identities WHERE tender_id = $1")
            .bind::<SqlUuid, _>(tender)
            .load(conn)
            .await
            .context("loading the revealed identities")?;
    let revealed: BTreeMap<Branch, String> = ids
        .into_iter()
        .filter_map(|r| Branch::parse(&r.branch).map(|b| (b, r.identity)))
        .collect();
    let missing_identities: Vec<String> = Branch::ALL
        .into_iter()
        .filter(|b| !revealed.contains_key(b))
        .map(|b| b.as_str().to_string())
        .collect();
    let rows: Vec<BidRow> = diesel::sql_query(
        "SELECT b.id, b.status, o.code, s.envelope FROM bids b \
         JOIN bid_submissions s ON s.id = b.id JOIN orgs o ON o.id = b.org_id \
         WHERE b.tender_id = $1 AND b.round = $2 ORDER BY o.code, b.id",
    )
    .bind::<SqlUuid, _>(tender)
    .bind::<Integer, _>(t.round)
    .load(conn)
    .await
    .context("loading the bids")?;
    let pieces: Vec<PiecesRow> = diesel::sql_query(
        "SELECT p.bid_id, p.branch, p.pieces FROM opening_pieces p JOIN bids b ON b.id = p.bid_id \
         WHERE b.tender_id = $1 AND b.round = $2",
    )
    .bind::<SqlUuid, _>(tender)
    .bind::<Integer, _>(t.round)
    .load(conn)
    .await
    .context("loading the holders' pieces")?;
    let mut submissions: BTreeMap<Uuid, BTreeMap<Branch, Submission>> = BTreeMap::new();
    for p in pieces {
        let branch = Branch::parse(&p.branch).ok_or_else(|| anyhow!("branch {}", p.branch))?;
        submissions
            .entry(p.bid_id)
            .or_default()
            .insert(branch, stored_submission(p.pieces)?);
    }
    let mut bids = Vec::new();
    for row in rows {
        let body = row
            .envelope
            .ok_or_else(|| anyhow!("bid {} has no envelope", row.id))?;
        let env = envelope::parse(&body, tender)
            .map_err(|e| anyhow!("bid {}: stored envelope: {}", row.id, e.detail()))?;
        let subs = submissions.remove(&row.id).unwrap_or_default();
        let verdict = audit::attribute(&env, &row.code, &subs, &revealed, &registered);
        let recorded = parse_status(&row.status);
        let fault = match recorded {
            Some(s) => audit::against_record(&verdict, s),
            // Still sealed after the opening: the platform did not record a verdict.
            None if verdict.fault.is_none() => Some(audit::Fault::Platform),
            None => verdict.fault,
        };
        let mut findings: Vec<String> = verdict
            .per_holder
            .iter()
            .map(|h| match h.fault {
                Some(f) => format!("{}: {} ({} fault)", h.branch, h.finding, f.as_str()),
                None => format!("{}: {}", h.branch, h.finding),
            })
            .collect();
        if verdict.status != Status::Opened {
            findings.push(verdict.reason.clone());
        }
        bids.push(BidAudit {
            bid_id: row.id,
            org_code: row.code,
            agrees: recorded == Some(verdict.status),
            recorded: row.status,
            audited: verdict.status.as_str().to_string(),
            fault: fault.map(|f| f.as_str().to_string()),
            findings,
        });
    }
    Ok(AuditReport {
        tender_id: tender,
        round: t.round,
        all_agree: bids.iter().all(|b| b.agrees),
        bids,
        missing_identities,
    })
}

/// Prints the report as a readable table.
pub fn print_table(report: &AuditReport) {
    println!(
        "opening audit of tender {} round {}",
        report.tender_id, report.round
    );
    println!(
        "{:<36}  {:<20}  {:<13}  {:<13}  {:<8}  agrees",
        "bid", "org", "recorded", "audited", "fault"
    );
    for b in &report.bids {
        println!(
            "{:<36}  {:<20}  {:<13}  {:<13}  {:<8}  {}",
            b.bid_id,
            b.org_code,
            b.recorded,
            b.audited,
            b.fault.as_deref().unwrap_or("-"),
            if b.agrees { "yes" } else { "NO" }
        );
        for f in &b.findings {
            println!("    {f}");
        }
    }
    if !report.missing_identities.is_empty() {
        println!(
            "identities not revealed: {}",
            report.missing_identities.join(", ")
        );
    }
    if report.all_agree {
        println!(
            "all {} bids agree with the opening record",
            report.bids.len()
        );
    } else {
        let n = report.bids.iter().filter(|b| !b.agrees).count();
        println!("{n} bid(s) DISAGREE with the opening record");
    }
}

fn parse_status(s: &str) -> Option<Status> {
    match s {
        "opened" => Some(Status::Opened),
        "undecryptable" => Some(Status::Undecryptable),
        "tampered" => Some(Status::Tampered),
        _ => None,
    }
}

/// A stored `opening_pieces.pieces` value (`{"1": "<b64>", …}`, NULL for undecryptable).
fn stored_submission(p: Option<Value>) -> anyhow::Result<Submission> {
    let Some(Value::Object(m)) = p else {
        return Ok(Submission::Undecryptable);
    };
    let mut pieces = BTreeMap::new();
    for (k, v) in m {
        let n: u8 = k.parse().with_context(|| format!("stored piece {k}"))?;
        let Some(s) = v.as_str() else {
            bail!("stored piece {k} is not a string");
        };
        let bytes = B64
            .decode(s.as_bytes())
            .with_context(|| format!("stored piece {k}"))?;
        pieces.insert(n, bytes);
    }
    Ok(Submission::Pieces(pieces))
}
