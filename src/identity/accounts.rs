//! Account services: self-registration of bidders, accounts created by the admin with one-time
//! passwords, login, password change, the first admin. Plain functions over a connection of the
//! identity plane, called by the handlers and the CLI.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::audit::{self, Actor};
use crate::core::outbox::{self, Kind};
use crate::core::{clock, jobs};
use crate::db::schema::{orgs, users};
use crate::error::{AppError, AppResult};
use crate::identity::jwt::{JwtKeys, TOKEN_TTL_SECS, TokenClaims};
use crate::identity::sessions::{self, Revocation};
use crate::identity::{org_code, password, throttle};
use crate::roles::{Plane, Role};

/// Days a one-time password stays usable before its job expires it.
pub const ONE_TIME_PASSWORD_DAYS: i64 = 7;
/// The job that expires an unused one-time password.
pub const EXPIRE_OTP_JOB: &str = "identity.expire_one_time_password";

/// A user as the API shows it.
#[derive(Debug, Clone, Queryable)]
pub struct UserView {
    /// User id.
    pub id: Uuid,
    /// Login name.
    pub username: String,
    /// Role.
    #[diesel(deserialize_as = String)]
    pub role: RoleText,
    /// Display name.
    pub display_name: String,
    /// E-mail address.
    pub email: String,
    /// Org id, if any.
    pub org_id: Option<Uuid>,
    /// Whether the one-time password must still be changed.
    pub must_change_password: bool,
}

/// A role read from the database as text (validated by its CHECK constraint).
#[derive(Debug, Clone, PartialEq)]
pub struct RoleText(pub String);

impl From<String> for RoleText {
    fn from(s: String) -> Self {
        RoleText(s)
    }
}

impl UserView {
    /// The role as an enum.
    pub fn role(&self) -> AppResult<Role> {
        Role::parse(&self.role.0)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown role {:?}", self.role.0)))
    }
}

/// `GET /me` and the `user` of other answers: the view plus the plane.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Me {
    /// User id.
    pub id: Uuid,
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Plane of the role.
    pub plane: Plane,
    /// Org id, if any.
    pub org_id: Option<Uuid>,
    /// Display name.
    pub display_name: String,
    /// E-mail address.
    pub email: String,
    /// Whether the one-time password must still be changed.
    pub must_change_password: bool,
}

impl TryFrom<UserView> for Me {
    type Error = AppError;
    fn try_from(u: UserView) -> AppResult<Me> {
        let role = u.role()?;
        Ok(Me {
            id: u.id,
            username: u.username,
            role,
            plane: role.plane(),
            org_id: u.org_id,
            display_name: u.display_name,
            email: u.email,
            must_change_password: u.must_change_password,
        })
    }
}

/// A new account, from registration or the admin.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// Login name: lower-case letters, digits, `_.-`, 3–64 characters.
    pub username: String,
    /// Password (10–128 characters).
    pub password: String,
    /// Role (the admin chooses; self-registration is always `bidder`).
    pub role: Role,
    /// Display name.
    pub display_name: String,
    /// E-mail address.
    pub email: String,
    /// Org name, for agency, purchaser and bidder accounts of a new org.
    pub org_name: Option<String>,
    /// 统一社会信用代码 of the org, for agency, purchaser and bidder accounts.
    pub org_code: Option<String>,
}

/// Bidder self-registration.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterCmd {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Display name.
    pub display_name: String,
    /// E-mail address.
    pub email: String,
    /// The bidding entity's name.
    pub org_name: String,
    /// Its 统一社会信用代码 (GB 32100-2015).
    pub org_code: String,
}

/// Who creates an account, which decides the org rules and the password's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreatedBy {
    /// Self-registration: the org must be new; the password is the user's own.
    SelfRegistration,
    /// The admin: the org may exist; the password is one-time.
    Admin(Uuid),
    /// The platform (first admin, demo): the password is not one-time.
    Platform,
}

fn validate_username(u: &str) -> AppResult<()> {
    let ok = (3..=64).contains(&u.len())
        && u.chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && u.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c));
    if !ok {
        return Err(AppError::unprocessable(
            "invalid_username",
            "a username has 3–64 lower-case letters, digits, '_', '.' or '-', starting with a letter or digit",
        ));
    }
    Ok(())
}

fn validate_text(field: &str, v: &str, max: usize) -> AppResult<()> {
    let n = v.trim().chars().count();
    if n == 0 || n > max {
        return Err(AppError::unprocessable(
            "invalid_field",
            format!("{field} must have 1 to {max} characters"),
        ));
    }
    Ok(())
}

fn validate_email(v: &str) -> AppResult<()> {
    let ok = v.len() <= 254
        && v.split_once('@').is_some_and(|(a, d)| {
            !a.is_empty() && d.contains('.') && !v.contains(char::is_whitespace)
        });
    if !ok {
        return Err(AppError::unprocessable(
            "invalid_email",
            "the e-mail address is not valid",
        ));
    }
    Ok(())
}

/// Creates an account (and its org when new). Runs in the caller's transaction.
pub async fn create_account(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    acc: NewAccount,
    by: CreatedBy,
) -> AppResult<Me> {
    validate_username(&acc.username)?;
    password::check_policy(&acc.password, &acc.username)?;
    validate_text("display_name", &acc.display_name, 200)?;
    validate_email(&acc.email)?;
    let org_id = if acc.role.needs_org() {
        let code = acc.org_code.as_deref().ok_or_else(|| {
            AppError::unprocessable(
                "org_required",
                "agency, purchaser and bidder accounts need org_code",
            )
        })?;
        org_code::validate(code)
            .map_err(|e| AppError::unprocessable("invalid_org_code", e.to_string()))?;
        let existing: Option<Uuid> = orgs::table
            .filter(orgs::code.eq(code))
            .select(orgs::id)
            .first(conn)
            .await
            .optional()?;
        match (existing, by) {
            (Some(_), CreatedBy::SelfRegistration) => {
                return Err(AppError::conflict(
                    "org_already_registered",
                    "this org is already registered; ask the platform administrator for another account of it",
                ));
            }
            (Some(id), _) => Some(id),
            (None, _) => {
                let name = acc.org_name.as_deref().ok_or_else(|| {
                    AppError::unprocessable("org_required", "a new org needs org_name")
                })?;
                validate_text("org_name", name, 200)?;
                let id = Uuid::now_v7();
                diesel::insert_into(orgs::table)
                    .values((
                        orgs::id.eq(id),
                        orgs::name.eq(name.trim()),
                        orgs::code.eq(code),
                    ))
                    .execute(conn)
                    .await?;
                Some(id)
            }
        }
    } else {
        if acc.org_code.is_some() || acc.org_name.is_some() {
            return Err(AppError::unprocessable(
                "org_not_applicable",
                format!("a {} account belongs to no org", acc.role.as_str()),
            ));
        }
        None
    };
    let taken: bool = diesel::select(diesel::dsl::exists(
        users::table.filter(users::username.eq(&acc.username)),
    ))
    .get_result(conn)
    .await?;
    if taken {
        return Err(AppError::conflict(
            "username_taken",
            "this username is taken",
        ));
    }
    let hash = password::hash(acc.password.clone()).await?;
    let id = Uuid::now_v7();
    let one_time = matches!(by, CreatedBy::Admin(_));
    let created_by = match by {
        CreatedBy::Admin(a) => Some(a),
        _ => None,
    };
    let now = clock::now(conn).await?;
    diesel::insert_into(users::table)
        .values((
            users::id.eq(id),
            users::username.eq(&acc.username),
            users::password_hash.eq(hash),
            users::role.eq(acc.role.as_str()),
            users::display_name.eq(acc.display_name.trim()),
            users::email.eq(&acc.email),
            users::org_id.eq(org_id),
            users::must_change_password.eq(one_time),
            users::password_set_at.eq(now),
            users::created_by.eq(created_by),
        ))
        .execute(conn)
        .await?;
    let action = if by == CreatedBy::SelfRegistration {
        "user.register"
    } else {
        "user.create"
    };
    audit::record(
        conn,
        actor,
        action,
        Some(("user", id.to_string())),
        json!({"username": acc.username, "role": acc.role.as_str(), "org_id": org_id}),
    )
    .await?;
    if acc.role.is_official() {
        // Creating an official's account is a public log entry (API.md "Accounts").
        outbox::emit(
            conn,
            Kind::Public,
            "account.official_created",
            Some(("user", id.to_string())),
            json!({"user_id": id, "username": acc.username, "role": acc.role.as_str(),
                   "display_name": acc.display_name.trim(), "created_at": clock::fmt(now),
                   "created_by": created_by}),
        )
        .await?;
    }
    if one_time {
        jobs::enqueue(
            conn,
            EXPIRE_OTP_JOB,
            json!({"user_id": id, "password_set_at": clock::fmt(now)}),
            now + Duration::days(ONE_TIME_PASSWORD_DAYS),
            Some(&format!("{id}:{}", clock::fmt(now))),
        )
        .await?;
    }
    Ok(Me {
        id,
        username: acc.username,
        role: acc.role,
        plane: acc.role.plane(),
        org_id,
        display_name: acc.display_name.trim().to_string(),
        email: acc.email,
        must_change_password: one_time,
    })
}

/// Loads a user's view.
pub async fn load_user(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<Me> {
    let u: UserView = users::table
        .find(id)
        .select((
            users::id,
            users::username,
            users::role,
            users::display_name,
            users::email,
            users::org_id,
            users::must_change_password,
        ))
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| AppError::not_found("user"))?;
    u.try_into()
}

/// The answer to a successful login.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// The JWT.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
    /// The user.
    pub user: Me,
}

/// Mints a token for a user and records its session (in the caller's transaction, so a token
/// exists only with its `sessions` row).
pub async fn issue_token(
    conn: &mut AsyncPgConnection,
    keys: &JwtKeys,
    me: Me,
    client_addr: Option<&str>,
) -> AppResult<LoginResponse> {
    // real time, as every verifier checks `exp` against its own clock
    let now = Utc::now().timestamp();
    let claims = TokenClaims {
        sub: me.id,
        role: me.role,
        plane: me.plane,
        org: me.org_id,
        iat: now,
        exp: now + TOKEN_TTL_SECS,
        jti: Uuid::new_v4(),
        nbf: None,
        pwd_change: me.must_change_password,
    };
    let expires_at = DateTime::from_timestamp(claims.exp, 0)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("token expiry out of range")))?;
    sessions::create(conn, claims.jti, me.id, expires_at, client_addr).await?;
    Ok(LoginResponse {
        access_token: keys.sign(&claims)?,
        token_type: "Bearer".into(),
        expires_in: TOKEN_TTL_SECS,
        user: me,
    })
}

#[derive(Queryable)]
struct Credentials {
    id: Uuid,
    password_hash: String,
    password_expired: bool,
}

/// Logs in, throttled per (username, address), per account and per address
/// (`throttle`); the attempt is counted before the password is checked. A disabled account is
/// refused after a right password (`403 account_disabled`).
pub async fn login(
    conn: &mut AsyncPgConnection,
    keys: &JwtKeys,
    actor: &Actor,
    username: &str,
    password_given: &str,
) -> AppResult<LoginResponse> {
    let addr = actor
        .client_addr
        .clone()
        .unwrap_or_else(|| "unknown".into());
    let username = username.trim().to_ascii_lowercase();
    let now = clock::now(conn).await?;
    let attempt = throttle::admit_login(conn, &username, &addr, now).await?;
    let creds: Option<Credentials> = users::table
        .filter(users::username.eq(&username))
        .select((users::id, users::password_hash, users::password_expired))
        .first(conn)
        .await
        .optional()?;
    let ok = password::verify(
        password_given.to_string(),
        creds.as_ref().map(|c| c.password_hash.clone()),
    )
    .await?;
    let Some(creds) = creds.filter(|_| ok) else {
        // already counted by `admit_login`
        audit::record(
            conn,
            actor,
            "auth.login_failed",
            None,
            json!({"username": username}),
        )
        .await?;
        return Err(AppError::unauthorized(
            "invalid_credentials",
            "wrong username or password",
        ));
    };
    attempt.succeeded(conn).await?;
    if is_disabled(conn, creds.id).await? {
        return Err(AppError::forbidden(
            "account_disabled",
            "this account has been disabled by the administrator",
        ));
    }
    if creds.password_expired {
        return Err(AppError::unauthorized(
            "one_time_password_expired",
            "the one-time password has expired; ask the administrator for a new account password",
        ));
    }
    let mut a = actor.clone();
    a.user_id = Some(creds.id);
    let client_addr = actor.client_addr.clone();
    conn.transaction(async |c| {
        audit::record(
            c,
            &a,
            "auth.login",
            Some(("user", creds.id.to_string())),
            Value::Null,
        )
        .await?;
        let me = load_user(c, creds.id).await?;
        issue_token(c, keys, me, client_addr.as_deref()).await
    })
    .await
}

#[derive(QueryableByName)]
struct Disabled {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    disabled: bool,
}

async fn is_disabled(conn: &mut AsyncPgConnection, user_id: Uuid) -> AppResult<bool> {
    let d: Disabled =
        diesel::sql_query("SELECT disabled_at IS NOT NULL AS disabled FROM users WHERE id = $1")
            .bind::<diesel::sql_types::Uuid, _>(user_id)
            .get_result(conn)
            .await?;
    Ok(d.disabled)
}

/// An account's state after the admin disabled or enabled it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountStatus {
    /// User id.
    pub user_id: Uuid,
    /// Whether the account is disabled.
    pub disabled: bool,
    /// When it was disabled (RFC 3339), if it is.
    pub disabled_at: Option<String>,
    /// Why, if it is.
    pub disabled_reason: Option<String>,
    /// Sessions this call ended (0 when nothing changed).
    pub sessions_revoked: usize,
}

#[derive(QueryableByName)]
struct DisabledRow {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    disabled_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    disabled_reason: Option<String>,
}

/// Disables (`Some(reason)`) or enables (`None`) an account, in the caller's transaction.
/// Disabling ends every session of the account at once; both are audited. Repeating either is
/// harmless: the account's state is returned unchanged.
pub async fn set_disabled(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    user_id: Uuid,
    reason: Option<&str>,
) -> AppResult<AccountStatus> {
    if actor.user_id == Some(user_id) {
        return Err(AppError::unprocessable(
            "cannot_disable_self",
            "an administrator cannot disable or enable their own account",
        ));
    }
    if let Some(r) = reason {
        validate_text("reason", r, 500)?;
    }
    let current: DisabledRow = diesel::sql_query(
        "SELECT disabled_at, disabled_reason FROM users WHERE id = $1 FOR UPDATE",
    )
    .bind::<diesel::sql_types::Uuid, _>(user_id)
    .get_result(conn)
    .await
    .optional()?
    .ok_or_else(|| AppError::not_found("user"))?;
    let mut revoked = 0;
    let row = match (reason, current.disabled_at.is_some()) {
        (Some(r), false) => {
            let row: DisabledRow = diesel::sql_query(
                "UPDATE users SET disabled_at = ggzy_now(), disabled_reason = $2 WHERE id = $1 \
                 RETURNING disabled_at, disabled_reason",
            )
            .bind::<diesel::sql_types::Uuid, _>(user_id)
            .bind::<diesel::sql_types::Text, _>(r.trim())
            .get_result(conn)
            .await?;
            revoked = sessions::revoke_all(conn, user_id, Revocation::AccountDisabled).await?;
            audit::record(
                conn,
                actor,
                "user.disable",
                Some(("user", user_id.to_string())),
                json!({"reason": r.trim(), "sessions_revoked": revoked}),
            )
            .await?;
            row
        }
        (None, true) => {
            diesel::sql_query(
                "UPDATE users SET disabled_at = NULL, disabled_reason = NULL WHERE id = $1",
            )
            .bind::<diesel::sql_types::Uuid, _>(user_id)
            .execute(conn)
            .await?;
            audit::record(
                conn,
                actor,
                "user.enable",
                Some(("user", user_id.to_string())),
                Value::Null,
            )
            .await?;
            DisabledRow {
                disabled_at: None,
                disabled_reason: None,
            }
        }
        _ => current,
    };
    Ok(AccountStatus {
        user_id,
        disabled: row.disabled_at.is_some(),
        disabled_at: row.disabled_at.map(clock::fmt),
        disabled_reason: row.disabled_reason,
        sessions_revoked: revoked,
    })
}

/// Changes a password (and ends the one-time password state).
pub async fn change_password(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    user_id: Uuid,
    current: &str,
    new: &str,
) -> AppResult<Me> {
    let (username, hash): (String, String) = users::table
        .find(user_id)
        .select((users::username, users::password_hash))
        .for_update()
        .first(conn)
        .await?;
    if !password::verify(current.to_string(), Some(hash)).await? {
        return Err(AppError::forbidden(
            "wrong_password",
            "the current password is wrong",
        ));
    }
    password::check_policy(new, &username)?;
    if new == current {
        return Err(AppError::unprocessable(
            "weak_password",
            "choose a password different from the current one",
        ));
    }
    let hash = password::hash(new.to_string()).await?;
    let now = clock::now(conn).await?;
    diesel::update(users::table.find(user_id))
        .set((
            users::password_hash.eq(hash),
            users::must_change_password.eq(false),
            users::password_expired.eq(false),
            users::password_set_at.eq(now),
        ))
        .execute(conn)
        .await?;
    // every token issued before the change stops working, the one used for it included; the
    // caller answers with a fresh token
    let revoked = sessions::revoke_all(conn, user_id, Revocation::PasswordChange).await?;
    audit::record(
        conn,
        actor,
        "user.password_change",
        Some(("user", user_id.to_string())),
        json!({"sessions_revoked": revoked}),
    )
    .await?;
    load_user(conn, user_id).await
}

/// Creates the first admin (`admin`) if there is none; its password is not one-time.
pub async fn ensure_first_admin(conn: &mut AsyncPgConnection, password: &str) -> AppResult<bool> {
    let exists: bool = diesel::select(diesel::dsl::exists(
        users::table.filter(users::username.eq("admin")),
    ))
    .get_result(conn)
    .await?;
    if exists {
        return Ok(false);
    }
    create_account(
        conn,
        &Actor::system("first-admin"),
        NewAccount {
            username: "admin".into(),
            password: password.into(),
            role: Role::Admin,
            display_name: "平台管理员 Platform administrator".into(),
            email: "admin@ggzy.invalid".into(),
            org_name: None,
            org_code: None,
        },
        CreatedBy::Platform,
    )
    .await?;
    Ok(true)
}

#[derive(Deserialize)]
struct ExpirePayload {
    user_id: Uuid,
    password_set_at: String,
}

/// Job: expires a one-time password that was never changed (idempotent: matches the exact
/// password it was enqueued for).
pub fn expire_one_time_password(
    conn: &mut AsyncPgConnection,
    payload: Value,
) -> BoxFuture<'_, anyhow::Result<()>> {
    Box::pin(async move {
        let p: ExpirePayload = serde_json::from_value(payload)?;
        let set_at: DateTime<Utc> =
            DateTime::parse_from_rfc3339(&p.password_set_at)?.with_timezone(&Utc);
        let n = diesel::update(
            users::table
                .find(p.user_id)
                .filter(users::must_change_password.eq(true))
                .filter(users::password_expired.eq(false))
                .filter(users::password_set_at.eq(set_at)),
        )
        .set(users::password_expired.eq(true))
        .execute(conn)
        .await?;
        if n > 0 {
            audit::record(
                conn,
                &Actor::system(EXPIRE_OTP_JOB),
                "user.one_time_password_expired",
                Some(("user", p.user_id.to_string())),
                Value::Null,
            )
            .await?;
        }
        Ok(())
    })
}
