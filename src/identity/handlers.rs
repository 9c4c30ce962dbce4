//! Handlers of the identity plane: thin wrappers over `accounts`.

use actix_web::HttpResponse;
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;
use crate::identity::accounts::{self, CreatedBy, LoginResponse, Me, NewAccount, RegisterCmd};
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
              (status = 422, body = Problem, description = "invalid_org_code, weak_password, invalid_username, invalid_email")))]
pub async fn register(ctx: Ctx, body: Command) -> AppResult<HttpResponse> {
    let cmd: RegisterCmd = body.parse()?;
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let me = conn
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
        .await?;
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

/// Changes the password (required first for an account on a one-time password); returns a fresh
/// token.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "identity", request_body = PasswordCmd,
    security(("bearer" = [])),
    responses((status = 200, body = LoginResponse),
              (status = 403, body = Problem, description = "wrong_password"),
              (status = 422, body = Problem, description = "weak_password")))]
pub async fn change_password(ctx: Ctx, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let cmd: PasswordCmd = body.parse()?;
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let me = conn
        .transaction(async |c| {
            accounts::change_password(
                c,
                &actor,
                caller.user_id,
                &cmd.current_password,
                &cmd.new_password,
            )
            .await
        })
        .await?;
    Ok(HttpResponse::Ok().json(accounts::issue_token(&ctx.state.jwt, me)?))
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
