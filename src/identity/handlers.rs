//! Handlers of the identity plane: thin wrappers over `accounts`.

use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::audit;
use crate::core::clock;
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;
use crate::identity::accounts::{
    self, AccountStatus, CreatedBy, LoginResponse, Me, NewAccount, RegisterCmd,
};
use crate::identity::sessions::{self, Revocation};
use crate::identity::throttle;
use crate::roles::Role;

/// `{user}`, the answer of the account-creating routes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserEnvelope {
    /// The account.
    pub user: Me,
}

/// Login command.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginCmd {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// Password change command.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordCmd {
    /// The current (or one-time) password.
    pub current_password: String,
    /// The new password (10–128 characters).
    pub new_password: String,
}

/// Registers a bidder and its org (统一社会信用代码 checked per GB 32100-2015).
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "identity", request_body = RegisterCmd,
    responses((status = 201, body = UserEnvelope),
              (status = 400, body = Problem, description = "malformed JSON, unknown field"),
              (status = 409, body = Problem, description = "username_taken, org_already_registered"),
              (status = 422, body = Problem, description = "invalid_org_code, weak_password, invalid_username, invalid_email"),
              (status = 429, body = Problem, description = "too_many_attempts: too many registrations from this address (with Retry-After)")))]
pub async fn register(ctx: Ctx, body: Command) -> AppResult<HttpResponse> {
    let cmd: RegisterCmd = body.parse()?;
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    // counted (atomically, committed) before the account is created; taken back on failure
    let now = clock::now(&mut conn).await?;
    let addr = ctx.client_addr.as_deref().unwrap_or("unknown");
    let counted = throttle::admit_registration(&mut conn, addr, now).await?;
    let created = conn
        .transaction(async |c| {
            accounts::create_account(
                c,
                &actor,
                NewAccount {
                    username: cmd.username,
                    password: cmd.password,
                    role: Role::Bidder,
                    display_name: cmd.display_name,
                    email: cmd.email,
                    org_name: Some(cmd.org_name),
                    org_code: Some(cmd.org_code),
                },
                CreatedBy::SelfRegistration,
            )
            .await
        })
        .await;
    let me = match created {
        Ok(me) => me,
        Err(e) => {
            counted.failed(&mut conn).await?;
            return Err(e);
        }
    };
    Ok(HttpResponse::Created().json(UserEnvelope { user: me }))
}

/// Logs in and returns an Ed25519-signed access token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "identity", request_body = LoginCmd,
    responses((status = 200, body = LoginResponse),
              (status = 401, body = Problem, description = "invalid_credentials, one_time_password_expired"),
              (status = 429, body = Problem, description = "too_many_attempts (with Retry-After)")))]
pub async fn login(ctx: Ctx, body: Command) -> AppResult<HttpResponse> {
    let cmd: LoginCmd = body.parse()?;
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    // No enclosing transaction: a failed attempt must stay counted.
    let resp = accounts::login(
        &mut conn,
        &ctx.state.jwt,
        &actor,
        &cmd.username,
        &cmd.password,
    )
    .await?;
    Ok(HttpResponse::Ok().json(resp))
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(ctx: Ctx) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let mut conn = ctx.conn().await?;
    let me = accounts::load_user(&mut conn, caller.user_id).await?;
    Ok(HttpResponse::Ok().json(me))
}

/// Changes the password (required first for an account on a one-time password); every earlier
/// token of the account stops working and a fresh one is returned. Wrong current passwords are
/// throttled per user (five, then growing waits).
#[utoipa::path(post, path = "/api/v1/me/password", tag = "identity", request_body = PasswordCmd,
    security(("bearer" = [])),
    responses((status = 200, body = LoginResponse),
              (status = 403, body = Problem, description = "wrong_password"),
              (status = 422, body = Problem, description = "weak_password"),
              (status = 429, body = Problem, description = "too_many_attempts (with Retry-After)")))]
pub async fn change_password(ctx: Ctx, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let cmd: PasswordCmd = body.parse()?;
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    // counted in its own transaction before the check: the change's transaction rolls back on
    // a wrong password, which must stay counted
    let now = clock::now(&mut conn).await?;
    let attempt = throttle::admit_password_change(&mut conn, caller.user_id, now).await?;
    let jwt = &ctx.state.jwt;
    let client_addr = ctx.client_addr.clone();
    let changed = conn
        .transaction(async |c| {
            let me = accounts::change_password(
                c,
                &actor,
                caller.user_id,
                &cmd.current_password,
                &cmd.new_password,
            )
            .await?;
            accounts::issue_token(c, jwt, me, client_addr.as_deref()).await
        })
        .await;
    match &changed {
        Err(e) if e.code() == "wrong_password" => {}
        // the current password was right (even if the new one was refused)
        _ => attempt.succeeded(&mut conn).await?,
    }
    Ok(HttpResponse::Ok().json(changed?))
}

/// Sign-out command (`{}` signs out this token only).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogoutCmd {
    /// Also end every other session of the account (every device).
    #[serde(default)]
    pub everywhere: bool,
}

/// What a sign-out ended.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LogoutResponse {
    /// Sessions ended by this call.
    pub sessions_revoked: usize,
}

/// Signs out: the token used for the call (or, with `everywhere`, every token of the account)
/// stops working at once, on every node.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "identity", request_body = LogoutCmd,
    security(("bearer" = [])),
    responses((status = 200, body = LogoutResponse),
              (status = 400, body = Problem, description = "malformed JSON, unknown field"),
              (status = 401, body = Problem, description = "missing_token, invalid_token, token_revoked")))]
pub async fn logout(ctx: Ctx, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let cmd: LogoutCmd = if body.0.iter().all(u8::is_ascii_whitespace) {
        LogoutCmd::default()
    } else {
        body.parse()?
    };
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let revoked = conn
        .transaction(async |c| {
            let n = if cmd.everywhere {
                sessions::revoke_all(c, caller.user_id, Revocation::SignOutEverywhere).await?
            } else {
                usize::from(
                    sessions::revoke(c, caller.session_id, caller.user_id, Revocation::SignOut)
                        .await?,
                )
            };
            audit::record(
                c,
                &actor,
                "auth.logout",
                Some(("user", caller.user_id.to_string())),
                json!({"everywhere": cmd.everywhere, "sessions_revoked": n}),
            )
            .await?;
            Ok::<_, AppError>(n)
        })
        .await?;
    Ok(HttpResponse::Ok().json(LogoutResponse {
        sessions_revoked: revoked,
    }))
}

/// Disabling command.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableCmd {
    /// Why (kept in the account and the audit log; 1–500 characters).
    pub reason: String,
}

/// Disables an account: it can no longer sign in, and every session it has ends at once.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/disable", tag = "identity",
    request_body = DisableCmd, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "the user")),
    responses((status = 200, body = AccountStatus),
              (status = 404, body = Problem, description = "not_found"),
              (status = 422, body = Problem, description = "cannot_disable_self, invalid_field")))]
pub async fn disable_user(
    ctx: Ctx,
    path: web::Path<Uuid>,
    body: Command,
) -> AppResult<HttpResponse> {
    let cmd: DisableCmd = body.parse()?;
    set_disabled(ctx, path.into_inner(), Some(cmd.reason)).await
}

/// Enables a disabled account again (its old sessions stay ended: the owner signs in anew).
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/enable", tag = "identity",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "the user")),
    responses((status = 200, body = AccountStatus),
              (status = 404, body = Problem, description = "not_found"),
              (status = 422, body = Problem, description = "cannot_disable_self")))]
pub async fn enable_user(ctx: Ctx, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    set_disabled(ctx, path.into_inner(), None).await
}

async fn set_disabled(ctx: Ctx, user_id: Uuid, reason: Option<String>) -> AppResult<HttpResponse> {
    ctx.caller()?;
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let status = conn
        .transaction(async |c| accounts::set_disabled(c, &actor, user_id, reason.as_deref()).await)
        .await?;
    Ok(HttpResponse::Ok().json(status))
}

/// Creates an account with a one-time password the owner must change. Creating a regulator,
/// centre staff or supervisor account is a public log entry.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "identity", request_body = NewAccount,
    security(("bearer" = [])),
    responses((status = 201, body = UserEnvelope),
              (status = 409, body = Problem, description = "username_taken"),
              (status = 422, body = Problem, description = "invalid_org_code, org_required, org_not_applicable, weak_password")))]
pub async fn create_user(ctx: Ctx, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let cmd: NewAccount = body.parse()?;
    if cmd.role == Role::Admin {
        return Err(AppError::unprocessable(
            "role_not_allowed",
            "admin accounts are created with `ggzy admin create-user`",
        ));
    }
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let me = conn
        .transaction(async |c| {
            accounts::create_account(c, &actor, cmd, CreatedBy::Admin(caller.user_id)).await
        })
        .await?;
    Ok(HttpResponse::Created().json(UserEnvelope { user: me }))
}
