//! Who gets a mail: addresses read from the accounts (`users.email`) in the business
//! transaction, so a mail goes to the address the account had when the event happened.

use diesel::QueryableByName;
use diesel::sql_types::{Array, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::core::key_holders::{self, Branch};

/// One addressee.
#[derive(Debug, Clone, QueryableByName)]
pub struct Recipient {
    /// The account, if the mail goes to one.
    #[diesel(sql_type = diesel::sql_types::Nullable<SqlUuid>)]
    pub user_id: Option<Uuid>,
    /// The address.
    #[diesel(sql_type = Text)]
    pub addr: String,
    /// The display name.
    #[diesel(sql_type = Text)]
    pub name: String,
}

const COLS: &str = "u.id AS user_id, u.email AS addr, u.display_name AS name";

/// The given accounts.
pub async fn users(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> diesel::QueryResult<Vec<Recipient>> {
    diesel::sql_query(format!(
        "SELECT {COLS} FROM users u WHERE u.id = ANY($1) ORDER BY u.id"
    ))
    .bind::<Array<SqlUuid>, _>(ids)
    .load(conn)
    .await
}

/// Bidders registered for a tender: every account that obtained its documents (获取招标文件).
pub async fn registered_bidders(
    conn: &mut AsyncPgConnection,
    tender_id: Uuid,
) -> diesel::QueryResult<Vec<Recipient>> {
    diesel::sql_query(format!(
        "SELECT {COLS} FROM users u WHERE u.id IN \
         (SELECT d.user_id FROM document_downloads d WHERE d.tender_id = $1) ORDER BY u.id"
    ))
    .bind::<SqlUuid, _>(tender_id)
    .load(conn)
    .await
}

/// Bidders of a tender: every account that submitted a bid (or a withdrawal) to it.
pub async fn tender_bidders(
    conn: &mut AsyncPgConnection,
    tender_id: Uuid,
) -> diesel::QueryResult<Vec<Recipient>> {
    diesel::sql_query(format!(
        "SELECT {COLS} FROM users u WHERE u.id IN \
         (SELECT s.user_id FROM bid_submissions s WHERE s.tender_id = $1) ORDER BY u.id"
    ))
    .bind::<SqlUuid, _>(tender_id)
    .load(conn)
    .await
}

/// An auction's registered bidders (竞买人): every account that registered for the lot.
pub async fn auction_registrants(
    conn: &mut AsyncPgConnection,
    auction_id: Uuid,
) -> diesel::QueryResult<Vec<Recipient>> {
    diesel::sql_query(format!(
        "SELECT {COLS} FROM users u WHERE u.id IN \
         (SELECT r.user_id FROM auction_registrations r WHERE r.auction_id = $1) ORDER BY u.id"
    ))
    .bind::<SqlUuid, _>(auction_id)
    .load(conn)
    .await
}

/// Bidders subscribed to new notices of a line of business.
pub async fn subscribers(
    conn: &mut AsyncPgConnection,
    category: &str,
) -> diesel::QueryResult<Vec<Recipient>> {
    diesel::sql_query(format!(
        "SELECT {COLS} FROM users u JOIN mail_subscriptions s ON s.user_id = u.id \
         WHERE s.category = $1 ORDER BY u.id"
    ))
    .bind::<Text, _>(category)
    .load(conn)
    .await
}

/// The tender's three key holders (开标密钥持有人), as designated by their branches.
pub async fn key_holders(
    conn: &mut AsyncPgConnection,
    tender_id: Uuid,
) -> Result<Vec<Recipient>, crate::error::AppError> {
    let mut ids = Vec::new();
    for b in Branch::ALL {
        if let Some(h) = key_holders::holder(conn, b, tender_id).await? {
            ids.push(h.user_id);
        }
    }
    Ok(users(conn, &ids).await?)
}

/// The owners of a warning card: `agency` — the accounts of the org running the tender (its
/// agency, else the purchaser's org) that the card's tender or objection belongs to;
/// `center_staff`, `supervisor` — every account of that role.
pub async fn warning_owners(
    conn: &mut AsyncPgConnection,
    owner: &str,
    subject_id: Uuid,
) -> diesel::QueryResult<Vec<Recipient>> {
    match owner {
        "agency" => {
            diesel::sql_query(format!(
                "SELECT {COLS} FROM users u WHERE u.role IN ('agency', 'purchaser') AND u.org_id = \
                 (SELECT coalesce(p.agency_org_id, p.owner_org_id) FROM tenders t \
                  JOIN projects p ON p.id = t.project_id \
                  WHERE t.id = coalesce((SELECT o.tender_id FROM objections o WHERE o.id = $1), $1)) \
                 ORDER BY u.id"
            ))
            .bind::<SqlUuid, _>(subject_id)
            .load(conn)
            .await
        }
        "center_staff" | "supervisor" => {
            diesel::sql_query(format!(
                "SELECT {COLS} FROM users u WHERE u.role = $1 ORDER BY u.id"
            ))
            .bind::<Text, _>(owner)
            .load(conn)
            .await
        }
        _ => Ok(Vec::new()),
    }
}
