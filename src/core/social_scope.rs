//! The social supervisor's scope (社会监督员, DOMAIN-RULES.md §4), as one rule for every plane: a
//! social supervisor may view a tender, auction or project while its appointment is in term, it
//! stands assigned to the subject or to the subject's project, and it declared no conflict on
//! either. The rule is the database function `ggzy_social_may_view`; `ggzy_social_view` applies
//! it and writes the access log row (allowed or refused) in one call, for a plane that may
//! neither read the supervise plane's conflict declarations nor write its access log (the
//! execute plane's `GET /auctions/{id}` and live hall). Issue 13, finding 11.

use diesel::QueryableByName;
use diesel::sql_types::{Bool, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

#[derive(QueryableByName)]
struct Verdict {
    #[diesel(sql_type = Bool)]
    ok: bool,
}

async fn call(
    conn: &mut AsyncPgConnection,
    function: &str,
    user_id: Uuid,
    subject_type: &str,
    subject_id: Uuid,
) -> AppResult<bool> {
    let v: Verdict = diesel::sql_query(format!("SELECT {function}($1, $2, $3) AS ok"))
        .bind::<SqlUuid, _>(user_id)
        .bind::<Text, _>(subject_type)
        .bind::<SqlUuid, _>(subject_id)
        .get_result(conn)
        .await?;
    Ok(v.ok)
}

/// Whether social supervisor `user_id` may view the subject now (nothing is logged).
pub async fn may_view(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    subject_type: &str,
    subject_id: Uuid,
) -> AppResult<bool> {
    call(
        conn,
        "ggzy_social_may_view",
        user_id,
        subject_type,
        subject_id,
    )
    .await
}

/// The `403` a social supervisor gets on a subject it does not stand assigned to.
pub fn not_assigned() -> AppError {
    AppError::forbidden(
        "not_assigned",
        "this social supervisor has no standing assignment to the subject",
    )
}

/// Checks the scope and logs the view, allowed or refused; `403 not_assigned` when refused.
pub async fn view(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    subject_type: &str,
    subject_id: Uuid,
) -> AppResult<()> {
    if call(conn, "ggzy_social_view", user_id, subject_type, subject_id).await? {
        Ok(())
    } else {
        Err(not_assigned())
    }
}
