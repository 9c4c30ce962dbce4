//! Tenders (标段) of a project: the sealed-tender engine of DESIGN.md §3 — notice, documents,
//! clarifications, sealed bids, closing manifest, opening, committee, evaluation, publicity with
//! objections, award, contract and filing — as one declarative state machine.

pub mod award;
pub mod bids;
pub mod closing;
pub mod committee;
pub mod create;
pub mod files;
pub mod hold_shift;
pub mod holders;
pub mod objections;
pub mod opening;
pub mod publish;
pub mod rounds;
pub mod scoring;
pub mod security;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::transition::{Machine, Subject, SubjectType, Transition};
use crate::db::schema::tenders;
use crate::error::{AppError, AppResult};
use crate::roles::Role;

/// Tender states (DESIGN.md §3). There is no "suspended" state: holds are checked by the
/// transition function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TenderStatus {
    /// Being prepared; holders register their keys.
    Draft,
    /// Published; documents are obtained and sealed bids received until the deadline.
    Bidding,
    /// The deadline passed; the closing manifest is published.
    Closed,
    /// Holders are submitting their pieces.
    Opening,
    /// Opened; the committee evaluates.
    Evaluation,
    /// Candidates published (中标候选人公示); objections may be raised.
    Publicity,
    /// Winner named (中标通知书).
    Awarded,
    /// Contract recorded and published.
    Contracted,
    /// Filed by the regulator (备案).
    Filed,
    /// Failed (流标): too few bids or valid bids; may be re-tendered.
    Failed,
    /// Cancelled by the tenderer; may be re-tendered.
    Cancelled,
}

impl TenderStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TenderStatus::Draft => "draft",
            TenderStatus::Bidding => "bidding",
            TenderStatus::Closed => "closed",
            TenderStatus::Opening => "opening",
            TenderStatus::Evaluation => "evaluation",
            TenderStatus::Publicity => "publicity",
            TenderStatus::Awarded => "awarded",
            TenderStatus::Contracted => "contracted",
            TenderStatus::Filed => "filed",
            TenderStatus::Failed => "failed",
            TenderStatus::Cancelled => "cancelled",
        }
    }

    /// Whether the result is out (candidates published): the committee and the candidates are
    /// public from then on.
    pub fn result_published(self) -> bool {
        matches!(
            self,
            TenderStatus::Publicity
                | TenderStatus::Awarded
                | TenderStatus::Contracted
                | TenderStatus::Filed
        )
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> AppResult<TenderStatus> {
        serde_json::from_value(Value::String(s.into()))
            .map_err(|_| AppError::internal(anyhow::anyhow!("unknown tender status {s}")))
    }
}

/// Actions on a tender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenderAction {
    /// Edit the draft: files, key holders, keys.
    Prepare,
    /// Publish the notice.
    Publish,
    /// Clarify or amend the documents.
    Clarify,
    /// Obtain the documents, declare bid security, submit or withdraw a sealed bid.
    Bid,
    /// Record bid security arrival or refund (centre staff).
    HandleSecurity,
    /// The deadline passes (platform timer).
    Close,
    /// A key holder submits pieces.
    SubmitShares,
    /// Every bid has a verdict (platform).
    CompleteOpening,
    /// Postpone the opening.
    Postpone,
    /// Reveal a holder's per-tender identity.
    RevealIdentity,
    /// Form the committee: draw, contribution, representatives, declarations.
    FormCommittee,
    /// Score the bids.
    Evaluate,
    /// Finalise the evaluation and start the candidate publicity.
    Finalize,
    /// Raise or answer an objection.
    Object,
    /// Open the next round of final offers (negotiation, consultation).
    NextRound,
    /// Name the winner.
    Award,
    /// Record the contract.
    Contract,
    /// File the result (regulator).
    File,
    /// The tender fails (too few bids or valid bids).
    Fail,
    /// Cancel.
    Cancel,
}

/// Who counts as the platform itself in the machine (timers, completion of a step).
pub const PLATFORM: &[Role] = &[];

const OWNERS: &[Role] = &[Role::Agency, Role::Purchaser];
const HOLDERS: &[Role] = &[Role::Regulator, Role::CenterStaff, Role::Supervisor];
const STAFF: &[Role] = &[Role::CenterStaff];
const BIDDER: &[Role] = &[Role::Bidder];
const COMMITTEE_WORK: &[Role] = &[
    Role::CenterStaff,
    Role::Expert,
    Role::Purchaser,
    Role::Agency,
    Role::Supervisor,
];
const OBJECTORS: &[Role] = &[Role::Bidder, Role::Agency, Role::Purchaser];

/// The tender state machine: (from, action, to, roles). An empty role list means the platform
/// alone (timers and completions) takes that step.
pub struct TenderMachine;

impl Machine for TenderMachine {
    type State = TenderStatus;
    type Action = TenderAction;
    const NAME: &'static str = "tender";
    fn table() -> &'static [Transition<TenderStatus, TenderAction>] {
        use TenderAction::*;
        use TenderStatus::*;
        &[
            (
                Draft,
                Prepare,
                Draft,
                &[
                    Role::Agency,
                    Role::Purchaser,
                    Role::Regulator,
                    Role::CenterStaff,
                    Role::Supervisor,
                ],
            ),
            (Draft, Publish, Bidding, OWNERS),
            (Draft, Cancel, Cancelled, OWNERS),
            (Bidding, Clarify, Bidding, OWNERS),
            (Bidding, Bid, Bidding, BIDDER),
            (Bidding, Object, Bidding, OBJECTORS),
            (Bidding, HandleSecurity, Bidding, STAFF),
            (Bidding, Close, Closed, PLATFORM),
            (Bidding, Fail, Failed, PLATFORM),
            (Bidding, Cancel, Cancelled, OWNERS),
            (Closed, FormCommittee, Closed, COMMITTEE_WORK),
            (Opening, FormCommittee, Opening, COMMITTEE_WORK),
            (Evaluation, FormCommittee, Evaluation, COMMITTEE_WORK),
            (Closed, HandleSecurity, Closed, STAFF),
            (Closed, SubmitShares, Opening, HOLDERS),
            (Closed, Postpone, Closed, STAFF),
            (Closed, Object, Closed, OBJECTORS),
            (Closed, Cancel, Cancelled, OWNERS),
            (Opening, SubmitShares, Opening, HOLDERS),
            (Opening, Postpone, Opening, STAFF),
            (Opening, Object, Opening, OBJECTORS),
            (Opening, CompleteOpening, Evaluation, PLATFORM),
            (Opening, Fail, Failed, PLATFORM),
            (Evaluation, HandleSecurity, Evaluation, STAFF),
            (Evaluation, RevealIdentity, Evaluation, HOLDERS),
            (Evaluation, Evaluate, Evaluation, COMMITTEE_WORK),
            (Evaluation, Object, Evaluation, OBJECTORS),
            (Evaluation, Finalize, Publicity, STAFF),
            (Evaluation, NextRound, Bidding, OWNERS),
            (Evaluation, Fail, Failed, PLATFORM),
            (Evaluation, Cancel, Cancelled, OWNERS),
            (Publicity, RevealIdentity, Publicity, HOLDERS),
            (Publicity, Object, Publicity, OBJECTORS),
            (Publicity, Award, Awarded, OWNERS),
            (Publicity, Cancel, Cancelled, OWNERS),
            (Awarded, RevealIdentity, Awarded, HOLDERS),
            (Awarded, HandleSecurity, Awarded, STAFF),
            (Awarded, Contract, Contracted, OWNERS),
            (Contracted, RevealIdentity, Contracted, HOLDERS),
            (Contracted, HandleSecurity, Contracted, STAFF),
            (Contracted, File, Filed, &[Role::Regulator]),
            (Filed, HandleSecurity, Filed, STAFF),
            (Failed, HandleSecurity, Failed, STAFF),
            (Cancelled, HandleSecurity, Cancelled, STAFF),
        ]
    }
}

/// Procurement methods (采购方式 / 招标方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// 公开招标.
    OpenTender,
    /// 邀请招标.
    InvitedTender,
    /// 竞争性谈判.
    CompetitiveNegotiation,
    /// 竞争性磋商.
    CompetitiveConsultation,
    /// 询价.
    Inquiry,
    /// 单一来源.
    SingleSource,
}

impl Method {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::OpenTender => "open_tender",
            Method::InvitedTender => "invited_tender",
            Method::CompetitiveNegotiation => "competitive_negotiation",
            Method::CompetitiveConsultation => "competitive_consultation",
            Method::Inquiry => "inquiry",
            Method::SingleSource => "single_source",
        }
    }
}

/// A tender row as the handlers use it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tenders)]
pub struct TenderRow {
    /// Id.
    pub id: Uuid,
    /// Project.
    pub project_id: Uuid,
    /// Lot number within the project (标段号).
    pub lot_no: i32,
    /// Tender code.
    pub code: String,
    /// Title.
    pub title: String,
    /// Method.
    pub method: String,
    /// Evaluation settings.
    pub evaluation: Value,
    /// Maximum price (最高投标限价).
    pub max_price: Option<rust_decimal::Decimal>,
    /// Bid security amount.
    pub bid_security_amount: rust_decimal::Decimal,
    /// Documents available from.
    pub documents_from: DateTime<Utc>,
    /// Documents available until.
    pub documents_until: DateTime<Utc>,
    /// Bid deadline (投标截止时间).
    pub bid_deadline: DateTime<Utc>,
    /// Opening time (the deadline unless postponed).
    pub opening_at: DateTime<Utc>,
    /// Round (negotiation and consultation).
    pub round: i32,
    /// Status.
    pub status: String,
    /// Sealing parameters once published.
    pub sealing: Option<Value>,
    /// Published at.
    pub published_at: Option<DateTime<Utc>>,
    /// Closed at.
    pub closed_at: Option<DateTime<Utc>>,
    /// Opened at.
    pub opened_at: Option<DateTime<Utc>>,
    /// Publicity start.
    pub publicity_starts_at: Option<DateTime<Utc>>,
    /// Publicity end.
    pub publicity_ends_at: Option<DateTime<Utc>>,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// Created by.
    pub created_by: Uuid,
}

impl TenderRow {
    /// The parsed status (`filed` is derived by [`load`] from the regulator's filing).
    pub fn status(&self) -> AppResult<TenderStatus> {
        TenderStatus::parse(&self.status)
    }

    /// The tender as a hold subject (a hold on its project covers it).
    pub fn subject(&self) -> Subject {
        Subject {
            kind: SubjectType::Tender,
            id: self.id,
            project_id: self.project_id,
        }
    }
}

/// How a tender row is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// Plain read.
    None,
    /// `FOR SHARE`: bids, so that the closing job (`FOR UPDATE`) waits for them.
    Share,
    /// `FOR UPDATE`: state changes.
    Update,
}

/// Loads a tender, optionally locking its row; `404` when it does not exist.
pub async fn load(conn: &mut AsyncPgConnection, id: Uuid, lock: Lock) -> AppResult<TenderRow> {
    let q = tenders::table.find(id).select(TenderRow::as_select());
    let row = match lock {
        Lock::None => q.first(conn).await.optional()?,
        Lock::Share => q.for_share().first(conn).await.optional()?,
        Lock::Update => q.for_update().first(conn).await.optional()?,
    };
    let mut row = row.ok_or_else(|| AppError::not_found("tender"))?;
    if row.status == TenderStatus::Contracted.as_str() {
        // the filing is a decide row: a contracted tender with one is filed
        let filed: i64 = crate::db::schema::tender_filings::table
            .filter(crate::db::schema::tender_filings::tender_id.eq(id))
            .count()
            .get_result(conn)
            .await?;
        if filed > 0 {
            row.status = TenderStatus::Filed.as_str().into();
        }
    }
    Ok(row)
}

/// Sets a tender's status (after the machine allowed it).
pub async fn set_status(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    status: TenderStatus,
) -> AppResult<()> {
    diesel::update(tenders::table.find(id))
        .set((
            tenders::status.eq(status.as_str()),
            tenders::updated_at.eq(diesel::dsl::sql::<diesel::sql_types::Timestamptz>(
                "ggzy_now()",
            )),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether the caller's org runs this tender (its project's owner or agency).
pub async fn is_owner(
    conn: &mut AsyncPgConnection,
    tender: &TenderRow,
    org_id: Option<Uuid>,
) -> AppResult<bool> {
    let Some(org) = org_id else { return Ok(false) };
    let p = crate::execute::projects::load(conn, tender.project_id).await?;
    Ok(p.owner_org_id == org || p.agency_org_id == Some(org))
}

/// Refuses a caller whose org does not run the tender (`404`, not revealing it exists).
pub async fn require_owner(
    conn: &mut AsyncPgConnection,
    tender: &TenderRow,
    org_id: Option<Uuid>,
) -> AppResult<()> {
    if is_owner(conn, tender, org_id).await? {
        Ok(())
    } else {
        Err(AppError::not_found("tender"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_is_reachable_from_draft() {
        use std::collections::BTreeSet;
        let mut seen: BTreeSet<&str> = BTreeSet::from(["draft"]);
        loop {
            let before = seen.len();
            for (from, _, to, _) in TenderMachine::table() {
                if seen.contains(from.as_str()) {
                    seen.insert(to.as_str());
                }
            }
            if seen.len() == before {
                break;
            }
        }
        assert_eq!(seen.len(), 11, "{seen:?}");
    }

    #[test]
    fn no_duplicate_state_action_pairs() {
        let t = TenderMachine::table();
        for (i, a) in t.iter().enumerate() {
            for b in &t[i + 1..] {
                assert!(!(a.0 == b.0 && a.1 == b.1), "duplicate {:?} {:?}", a.0, a.1);
            }
        }
    }
}
