//! Who gets what (issue 6): each function is called by the business transaction of its event,
//! reads the recipients and the facts the text needs in that transaction, and queues the mails.
//!
//! | event | recipients | plane |
//! |---|---|---|
//! | a tender is published (招标公告) | subscribers of the project's line of business | execute |
//! | clarification / amendment (澄清或者修改) | registered bidders (obtained the documents) | execute |
//! | opening postponed (开标时间变更) | registered bidders and the key holders | execute |
//! | a bid or withdrawal receipt (回执) | the submitting bidder | execute |
//! | bidding closed, the opening is due (开标提醒) | the three key holders | execute |
//! | the opening record (开标记录) | the tender's bidders | execute |
//! | the result (中标结果) | the tender's bidders | execute |
//! | an auction or listing is announced (出让公告 / 交易公告) | subscribers of its line of business | execute |
//! | a warning card is raised (红黄牌预警) | its owner: the agency (or purchaser) running the tender, the centre staff or the supervisors | supervise (scan job) |
//! | a complaint decided (投诉处理决定) | the complainant | decide |

use chrono::{DateTime, Utc};
use diesel::sql_types::{Text, Timestamptz, Uuid as SqlUuid};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

use super::templates::{self, TenderRef};
use super::{queue, recipients};
use crate::error::AppResult;

#[derive(QueryableByName)]
struct TenderFacts {
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    category: String,
    #[diesel(sql_type = Timestamptz)]
    bid_deadline: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    opening_at: DateTime<Utc>,
}

impl TenderFacts {
    fn r(&self) -> TenderRef<'_> {
        TenderRef {
            code: &self.code,
            title: &self.title,
        }
    }
}

async fn tender(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<TenderFacts> {
    Ok(diesel::sql_query(
        "SELECT t.code, t.title, p.category, t.bid_deadline, t.opening_at \
         FROM tenders t JOIN projects p ON p.id = t.project_id WHERE t.id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .get_result(conn)
    .await?)
}

fn subject(id: Uuid) -> Option<(&'static str, String)> {
    Some(("tender", id.to_string()))
}

/// A tender was published: mail the subscribers of its line of business.
pub async fn tender_published(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<()> {
    let t = tender(conn, id).await?;
    let to = recipients::subscribers(conn, &t.category).await?;
    let mail = templates::tender_published(&t.r(), &t.category, t.bid_deadline, t.opening_at);
    queue(conn, "tender.published", subject(id), &to, &mail).await?;
    Ok(())
}

#[derive(QueryableByName)]
struct AuctionFacts {
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    category: String,
    #[diesel(sql_type = Text)]
    format: String,
    #[diesel(sql_type = Text)]
    start_price: String,
    #[diesel(sql_type = Text)]
    deposit: String,
    #[diesel(sql_type = Timestamptz)]
    starts_at: DateTime<Utc>,
}

/// An auction or listing was announced: mail the subscribers of its line of business.
pub async fn auction_published(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<()> {
    let a: AuctionFacts = diesel::sql_query(
        "SELECT a.code, a.title, p.category, a.format, to_char(a.start_price, 'FM999999999999990.00') AS start_price, \
         to_char(a.deposit_amount, 'FM999999999999990.00') AS deposit, a.starts_at \
         FROM auctions a JOIN projects p ON p.id = a.project_id WHERE a.id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .get_result(conn)
    .await?;
    let to = recipients::subscribers(conn, &a.category).await?;
    let mail = templates::auction_published(
        &a.code,
        &a.title,
        &a.category,
        &a.format,
        &a.start_price,
        &a.deposit,
        a.starts_at,
    );
    queue(
        conn,
        "auction.published",
        Some(("auction", id.to_string())),
        &to,
        &mail,
    )
    .await?;
    Ok(())
}

#[derive(QueryableByName)]
struct LotRef {
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    title: String,
}

async fn lot(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<LotRef> {
    Ok(
        diesel::sql_query("SELECT code, title FROM auctions WHERE id = $1")
            .bind::<SqlUuid, _>(id)
            .get_result(conn)
            .await?,
    )
}

/// An auction's start moved by 延牌: mail its registered bidders.
pub async fn auction_extended(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    starts_at: DateTime<Utc>,
) -> AppResult<()> {
    let a = lot(conn, id).await?;
    let to = recipients::auction_registrants(conn, id).await?;
    let mail = templates::auction_extended(&a.code, &a.title, starts_at);
    queue(
        conn,
        "auction.extended",
        Some(("auction", id.to_string())),
        &to,
        &mail,
    )
    .await?;
    Ok(())
}

/// An auction closed: mail its registered bidders the result (the price if sold).
pub async fn auction_closed(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    price: Option<&str>,
) -> AppResult<()> {
    let a = lot(conn, id).await?;
    let to = recipients::auction_registrants(conn, id).await?;
    let mail = templates::auction_result(&a.code, &a.title, price);
    queue(
        conn,
        "auction.result",
        Some(("auction", id.to_string())),
        &to,
        &mail,
    )
    .await?;
    Ok(())
}

/// A clarification was published: mail the registered bidders.
pub async fn clarified(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    text: &str,
    moved: bool,
) -> AppResult<()> {
    let t = tender(conn, id).await?;
    let to = recipients::registered_bidders(conn, id).await?;
    let mail = templates::clarification(&t.r(), text, t.bid_deadline, moved);
    queue(conn, "tender.clarified", subject(id), &to, &mail).await?;
    Ok(())
}

/// The opening was postponed: mail the registered bidders and the key holders.
pub async fn opening_postponed(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    reason: &str,
) -> AppResult<()> {
    let t = tender(conn, id).await?;
    let mut to = recipients::registered_bidders(conn, id).await?;
    to.extend(recipients::key_holders(conn, id).await?);
    let mail = templates::opening_postponed(&t.r(), t.opening_at, reason);
    queue(conn, "tender.opening_postponed", subject(id), &to, &mail).await?;
    Ok(())
}

/// A bid or a withdrawal was receipted: mail the bidder who made it.
pub async fn bid_receipt(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    user_id: Uuid,
    receipt: &Value,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let t = tender(conn, id).await?;
    let to = recipients::users(conn, &[user_id]).await?;
    let withdrawal = receipt["kind"].as_str() == Some("withdrawal");
    let receipt_id = receipt["id"].as_str().unwrap_or_default();
    let no = receipt["submission_no"].as_i64().unwrap_or_default();
    let mail = templates::bid_receipt(&t.r(), withdrawal, receipt_id, no, at);
    queue(conn, "tender.bid_receipt", subject(id), &to, &mail).await?;
    Ok(())
}

/// Bidding closed with enough bids: the opening is due, mail the key holders.
pub async fn opening_due(conn: &mut AsyncPgConnection, id: Uuid, bids: usize) -> AppResult<()> {
    let t = tender(conn, id).await?;
    let to = recipients::key_holders(conn, id).await?;
    let mail = templates::opening_due(&t.r(), t.opening_at, bids);
    queue(conn, "tender.opening_due", subject(id), &to, &mail).await?;
    Ok(())
}

/// The opening record was published: mail the tender's bidders.
pub async fn opening_record(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    opened: i64,
    failed: Option<&str>,
) -> AppResult<()> {
    let t = tender(conn, id).await?;
    let to = recipients::tender_bidders(conn, id).await?;
    let mail = templates::opening_record(&t.r(), opened, failed);
    queue(conn, "tender.opening_record", subject(id), &to, &mail).await?;
    Ok(())
}

/// The result was published: mail the tender's bidders.
pub async fn awarded(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    winner: &str,
    price: Option<&str>,
) -> AppResult<()> {
    let t = tender(conn, id).await?;
    let to = recipients::tender_bidders(conn, id).await?;
    let mail = templates::award(&t.r(), winner, price);
    queue(conn, "tender.awarded", subject(id), &to, &mail).await?;
    Ok(())
}

#[derive(QueryableByName)]
struct Complainant {
    #[diesel(sql_type = SqlUuid)]
    user_id: Uuid,
}

/// A complaint was decided: mail the complainant.
pub async fn complaint_decided(
    conn: &mut AsyncPgConnection,
    complaint_id: Uuid,
    upheld: bool,
    text: &str,
    late: bool,
) -> AppResult<()> {
    let c: Complainant = diesel::sql_query("SELECT user_id FROM complaints WHERE id = $1")
        .bind::<SqlUuid, _>(complaint_id)
        .get_result(conn)
        .await?;
    let to = recipients::users(conn, &[c.user_id]).await?;
    let mail = templates::complaint_decision(upheld, text, late);
    queue(
        conn,
        "complaint.decided",
        Some(("complaint", complaint_id.to_string())),
        &to,
        &mail,
    )
    .await?;
    Ok(())
}

#[derive(QueryableByName)]
struct Code {
    #[diesel(sql_type = Text)]
    code: String,
}

/// A warning card was raised: mail its owner.
#[allow(clippy::too_many_arguments)]
pub async fn warning_raised(
    conn: &mut AsyncPgConnection,
    warning_id: Uuid,
    level: &str,
    rule: &str,
    citation: &str,
    owner: &str,
    subject_id: Uuid,
    due: Option<DateTime<Utc>>,
) -> AppResult<()> {
    let to = recipients::warning_owners(conn, owner, subject_id).await?;
    if to.is_empty() {
        return Ok(());
    }
    // the tender the card concerns, by its code (a concern's card names no tender)
    let code: Option<Code> = diesel::sql_query(
        "SELECT t.code FROM tenders t \
         WHERE t.id = coalesce((SELECT o.tender_id FROM objections o WHERE o.id = $1), $1)",
    )
    .bind::<SqlUuid, _>(subject_id)
    .get_result(conn)
    .await
    .optional()?;
    let subject = code
        .map(|c| c.code)
        .unwrap_or_else(|| "社会监督意见".to_string());
    let mail = templates::warning(level, rule, citation, &subject, due);
    queue(
        conn,
        "warning.raised",
        Some(("warning", warning_id.to_string())),
        &to,
        &mail,
    )
    .await?;
    Ok(())
}
