//! The supervise branch's key holder of a tender: designation and key registration, through the supervise
//! plane's own pool and table (DESIGN.md §2).

use actix_web::{HttpResponse, web};
use uuid::Uuid;

use crate::core::key_holders::{self, Branch, DesignateCmd, RegisterKeyCmd};
use crate::error::{AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;

/// Designates the supervise branch's key holder of a draft tender.
#[utoipa::path(put, path = "/api/v1/tenders/{id}/key-holders/supervise", tag = "supervise",
    request_body = DesignateCmd, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 204), (status = 403, body = Problem, description = "not_designator (only the designating official replaces a designation)"),
              (status = 404, body = Problem),
              (status = 409, body = Problem, description = "invalid_state, holder_registered (final once the key is registered)"),
              (status = 422, body = Problem, description = "invalid_holder, holder_conflict (the same person holds another branch)"), (status = 423, body = Problem)))]
pub async fn designate_holder(
    ctx: Ctx,
    path: web::Path<Uuid>,
    body: Command,
) -> AppResult<HttpResponse> {
    key_holders::designate_route(ctx, Branch::Supervise, path.into_inner(), body).await
}

/// The designated supervise holder registers its per-tender recipient (`ggzy keygen`) while draft.
#[utoipa::path(put, path = "/api/v1/tenders/{id}/holder-keys/supervise", tag = "supervise",
    request_body = RegisterKeyCmd, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 204), (status = 403, body = Problem, description = "not_key_holder"),
              (status = 404, body = Problem), (status = 409, body = Problem, description = "invalid_state, holder_registered (a key is registered once), duplicate_recipient"),
              (status = 422, body = Problem, description = "invalid_public_key"), (status = 423, body = Problem)))]
pub async fn register_holder_key(
    ctx: Ctx,
    path: web::Path<Uuid>,
    body: Command,
) -> AppResult<HttpResponse> {
    key_holders::register_route(ctx, Branch::Supervise, path.into_inner(), body).await
}
