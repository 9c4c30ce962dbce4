//! Key holders of a tender (DESIGN.md §2, §4): each branch designates its own holder (a regulator
//! names a regulator, the centre a centre staff member, a supervisor a supervisor) and the holder
//! registers its per-tender age recipient through its own plane, in its branch's own table,
//! while the tender is a draft. The execute plane only reads the three tables at publication.

use diesel::QueryableByName;
use diesel::sql_types::{Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::audit::{self, Actor};
use crate::core::outbox::{self, Kind};
use crate::core::transition::{self, Subject, SubjectType};
use crate::error::{AppError, AppResult};
use crate::http::ctx::Caller;
use crate::roles::Role;

/// The three branches that hold a piece of every bid's key: the sealing suite's own enum.
pub use crate::sealing::pieces::Branch;

/// The branch's table (a fixed name, never user input).
fn table(branch: Branch) -> &'static str {
    match branch {
        Branch::Decide => "decide_key_holders",
        Branch::Execute => "execute_key_holders",
        Branch::Supervise => "supervise_key_holders",
    }
}

/// The role a holder of `branch` must have.
pub fn role_of(branch: Branch) -> Role {
    match branch {
        Branch::Decide => Role::Regulator,
        Branch::Execute => Role::CenterStaff,
        Branch::Supervise => Role::Supervisor,
    }
}

/// Designate a key holder.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DesignateCmd {
    /// The holder's user id (of the branch's role).
    pub user_id: Uuid,
}

/// Register the holder's per-tender recipient.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterKeyCmd {
    /// `age1…` X25519 recipient made by `ggzy keygen` for this tender alone.
    pub public_key: String,
}

/// A branch's holder of a tender.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, QueryableByName)]
pub struct Holder {
    /// The holder.
    #[diesel(sql_type = SqlUuid)]
    pub user_id: Uuid,
    /// Its recipient, once registered.
    #[diesel(sql_type = Nullable<Text>)]
    pub recipient: Option<String>,
}

#[derive(QueryableByName)]
struct TenderHead {
    #[diesel(sql_type = SqlUuid)]
    project_id: Uuid,
    #[diesel(sql_type = Text)]
    status: String,
}

#[derive(QueryableByName)]
struct UserRole {
    #[diesel(sql_type = Text)]
    role: String,
}

/// A branch's designation as stored.
#[derive(QueryableByName)]
struct Designation {
    #[diesel(sql_type = SqlUuid)]
    user_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    designated_by: Uuid,
    #[diesel(sql_type = Nullable<Text>)]
    recipient: Option<String>,
}

#[derive(QueryableByName)]
struct Clash {
    #[diesel(sql_type = Text)]
    branch: String,
}

async fn designation(
    conn: &mut AsyncPgConnection,
    branch: Branch,
    tender_id: Uuid,
) -> AppResult<Option<Designation>> {
    let q = format!(
        "SELECT user_id, designated_by, recipient FROM {} WHERE tender_id = $1",
        table(branch)
    );
    let rows: Vec<Designation> = diesel::sql_query(q)
        .bind::<SqlUuid, _>(tender_id)
        .load(conn)
        .await?;
    Ok(rows.into_iter().next())
}

/// The other branch whose holder of the tender is the same person as `user_id`: the same
/// account, or the same e-mail address (`ggzy_person_key`: case-folded, without a `+tag`).
async fn same_person_elsewhere(
    conn: &mut AsyncPgConnection,
    branch: Branch,
    tender_id: Uuid,
    user_id: Uuid,
) -> AppResult<Option<String>> {
    let others: Vec<String> = Branch::ALL
        .iter()
        .filter(|b| **b != branch)
        .map(|b| {
            format!(
                "SELECT '{b}'::text AS branch, h.user_id, u.email FROM {t} h \
                 JOIN users u ON u.id = h.user_id WHERE h.tender_id = $1",
                b = b.as_str(),
                t = table(*b)
            )
        })
        .collect();
    let q = format!(
        "SELECT o.branch FROM ({}) o, users me WHERE me.id = $2 \
           AND (o.user_id = me.id OR ggzy_person_key(o.email) = ggzy_person_key(me.email)) \
         LIMIT 1",
        others.join(" UNION ALL ")
    );
    let rows: Vec<Clash> = diesel::sql_query(q)
        .bind::<SqlUuid, _>(tender_id)
        .bind::<SqlUuid, _>(user_id)
        .load(conn)
        .await?;
    Ok(rows.into_iter().next().map(|c| c.branch))
}

async fn draft_tender(conn: &mut AsyncPgConnection, tender_id: Uuid) -> AppResult<Subject> {
    let head: Option<TenderHead> =
        diesel::sql_query("SELECT project_id, status FROM tenders WHERE id = $1")
            .bind::<SqlUuid, _>(tender_id)
            .get_result(conn)
            .await
            .map(Some)
            .or_else(|e| match e {
                diesel::result::Error::NotFound => Ok(None),
                e => Err(e),
            })?;
    let head = head.ok_or_else(|| AppError::not_found("tender"))?;
    let subject = Subject {
        kind: SubjectType::Tender,
        id: tender_id,
        project_id: head.project_id,
    };
    // holds first (423), then the state
    transition::guard(conn, subject).await?;
    if head.status != "draft" {
        return Err(AppError::conflict(
            "invalid_state",
            "key holders and their keys are set while the tender is a draft",
        ));
    }
    Ok(subject)
}

/// The holder of `branch` for a tender, if designated.
pub async fn holder(
    conn: &mut AsyncPgConnection,
    branch: Branch,
    tender_id: Uuid,
) -> AppResult<Option<Holder>> {
    let q = format!(
        "SELECT user_id, recipient FROM {} WHERE tender_id = $1",
        table(branch)
    );
    let rows: Vec<Holder> = diesel::sql_query(q)
        .bind::<SqlUuid, _>(tender_id)
        .load(conn)
        .await?;
    Ok(rows.into_iter().next())
}

/// The branch whose designated holder the user is, for a tender.
pub async fn branch_of(
    conn: &mut AsyncPgConnection,
    tender_id: Uuid,
    user_id: Uuid,
) -> AppResult<Option<Branch>> {
    for b in Branch::ALL {
        if holder(conn, b, tender_id)
            .await?
            .is_some_and(|h| h.user_id == user_id)
        {
            return Ok(Some(b));
        }
    }
    Ok(None)
}

/// Designates the branch's holder (the caller is of the branch; the route says so).
pub async fn designate(
    conn: &mut AsyncPgConnection,
    branch: Branch,
    tender_id: Uuid,
    caller: &Caller,
    actor: &Actor,
    body: &crate::http::body::Command,
) -> AppResult<()> {
    draft_tender(conn, tender_id).await?;
    let cmd: DesignateCmd = body.parse()?;
    if caller.role != role_of(branch) {
        return Err(AppError::forbidden(
            "forbidden_role",
            "each branch designates its own holder",
        ));
    }
    let role: Vec<UserRole> = diesel::sql_query("SELECT role FROM users WHERE id = $1")
        .bind::<SqlUuid, _>(cmd.user_id)
        .load(conn)
        .await?;
    match role.into_iter().next() {
        Some(r) if r.role == role_of(branch).as_str() => {}
        Some(_) => {
            return Err(AppError::unprocessable(
                "invalid_holder",
                format!(
                    "the {} holder must be a {} account",
                    branch.as_str(),
                    role_of(branch).as_str()
                ),
            ));
        }
        None => return Err(AppError::unprocessable("invalid_holder", "no such user")),
    }
    // A designation is final once its holder registered a key, and before that only the
    // official who made it may replace it (issue 13, finding 8): another official of the
    // branch — one the admin just created, say — cannot seat someone else. The database's
    // trigger on the branch's table enforces the same for every role.
    if let Some(d) = designation(conn, branch, tender_id).await? {
        if d.recipient.is_some() {
            return Err(AppError::conflict(
                "holder_registered",
                format!(
                    "the {} holder registered its key: the designation is final",
                    branch.as_str()
                ),
            ));
        }
        if d.designated_by != caller.user_id {
            return Err(AppError::forbidden(
                "not_designator",
                format!(
                    "only the official who designated the {} holder may replace it",
                    branch.as_str()
                ),
            ));
        }
        if d.user_id == cmd.user_id {
            return Ok(());
        }
    }
    if let Some(other) = same_person_elsewhere(conn, branch, tender_id, cmd.user_id).await? {
        return Err(AppError::unprocessable(
            "holder_conflict",
            format!(
                "this person (the same account or e-mail address) already holds the {other} key \
                 of this tender: the three holders must be three different people"
            ),
        ));
    }
    let q = format!(
        "INSERT INTO {} (tender_id, user_id, designated_by) VALUES ($1, $2, $3) \
         ON CONFLICT (tender_id) DO UPDATE SET user_id = EXCLUDED.user_id, \
           designated_by = EXCLUDED.designated_by, designated_at = ggzy_now(), \
           recipient = NULL, registered_at = NULL",
        table(branch)
    );
    diesel::sql_query(q)
        .bind::<SqlUuid, _>(tender_id)
        .bind::<SqlUuid, _>(cmd.user_id)
        .bind::<SqlUuid, _>(caller.user_id)
        .execute(conn)
        .await?;
    let subject = Some(("tender", tender_id.to_string()));
    audit::record(
        conn,
        actor,
        "tender.key_holder_designate",
        subject.clone(),
        json!({"branch": branch.as_str(), "user_id": cmd.user_id}),
    )
    .await?;
    outbox::emit(
        conn,
        Kind::Event,
        "tender.key_holder_designated",
        subject.clone(),
        json!({"branch": branch.as_str()}),
    )
    .await?;
    // each designation is public, written by the designating branch's own plane (the database
    // refuses this topic from any other plane)
    outbox::emit(
        conn,
        Kind::Public,
        crate::transparency::topics::KEY_HOLDER_TOPIC,
        subject,
        json!({"tender_id": tender_id, "branch": branch.as_str(), "user_id": cmd.user_id,
               "designated_by": caller.user_id}),
    )
    .await?;
    Ok(())
}

/// Registers the designated holder's recipient.
pub async fn register_key(
    conn: &mut AsyncPgConnection,
    branch: Branch,
    tender_id: Uuid,
    caller: &Caller,
    actor: &Actor,
    body: &crate::http::body::Command,
) -> AppResult<()> {
    draft_tender(conn, tender_id).await?;
    let cmd: RegisterKeyCmd = body.parse()?;
    let h = holder(conn, branch, tender_id).await?;
    let Some(h) = h.filter(|h| h.user_id == caller.user_id) else {
        return Err(AppError::forbidden(
            "not_key_holder",
            format!(
                "you are not the {} key holder of this tender",
                branch.as_str()
            ),
        ));
    };
    // a key is registered once: its log entry is what bidders seal to
    if h.recipient.is_some() {
        return Err(AppError::conflict(
            "holder_registered",
            format!(
                "the {} holder's key is already registered; it cannot be replaced",
                branch.as_str()
            ),
        ));
    }
    let recipient = cmd.public_key.trim();
    crate::sealing::keys::parse_recipient(recipient).map_err(|e| {
        AppError::unprocessable(
            "invalid_public_key",
            format!("not an age X25519 recipient: {e}"),
        )
    })?;
    let q = format!(
        "UPDATE {} SET recipient = $2, registered_at = ggzy_now() WHERE tender_id = $1",
        table(branch)
    );
    diesel::sql_query(q)
        .bind::<SqlUuid, _>(tender_id)
        .bind::<Text, _>(recipient)
        .execute(conn)
        .await?;
    let subject = Some(("tender", tender_id.to_string()));
    audit::record(
        conn,
        actor,
        "tender.holder_key_register",
        subject.clone(),
        json!({"branch": branch.as_str(), "recipient": recipient}),
    )
    .await?;
    // The recipient's own public entry, written on this branch's plane (the route's pool): the
    // database stamps the writer and refuses the topic from another plane, so the sealers can
    // check each recipient against the entry its own branch wrote (issue 13, finding 1).
    outbox::emit(
        conn,
        Kind::Public,
        crate::transparency::topics::HOLDER_KEY_TOPIC,
        subject,
        json!({"tender_id": tender_id, "branch": branch.as_str(), "recipient": recipient,
               "user_id": caller.user_id}),
    )
    .await?;
    Ok(())
}

/// The handler body shared by the three planes' `PUT /tenders/{id}/key-holders/<branch>`.
pub async fn designate_route(
    ctx: crate::http::ctx::Ctx,
    branch: Branch,
    tender_id: Uuid,
    body: crate::http::body::Command,
) -> AppResult<actix_web::HttpResponse> {
    use diesel_async::AsyncConnection;
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    conn.transaction(async |c| designate(c, branch, tender_id, &caller, &actor, &body).await)
        .await?;
    Ok(actix_web::HttpResponse::NoContent().finish())
}

/// The handler body shared by the three planes' `PUT /tenders/{id}/holder-keys/<branch>`.
pub async fn register_route(
    ctx: crate::http::ctx::Ctx,
    branch: Branch,
    tender_id: Uuid,
    body: crate::http::body::Command,
) -> AppResult<actix_web::HttpResponse> {
    use diesel_async::AsyncConnection;
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    conn.transaction(async |c| register_key(c, branch, tender_id, &caller, &actor, &body).await)
        .await?;
    Ok(actix_web::HttpResponse::NoContent().finish())
}
