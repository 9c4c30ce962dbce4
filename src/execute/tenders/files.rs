//! Tender documents: uploaded as files with their SHA-256, listed publicly after publication,
//! obtained by bidders with the time, address and client fingerprint recorded (the evidence the
//! red flags use; 电子招标投标办法 第二十一条 keeps it from other bidders).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Lock, TenderAction, TenderMachine, TenderStatus, load, require_owner};
use crate::core::transition::guard;
use crate::core::{audit, clock};
use crate::db::schema::{document_downloads, tender_files};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;
use crate::http::idempotency::{self, Begin};

/// Upload a tender document.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadFileCmd {
    /// File name.
    pub name: String,
    /// Media type.
    pub media_type: String,
    /// The bytes, base64.
    pub content: String,
}

/// An uploaded file.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UploadedFile {
    /// File id.
    pub file_id: Uuid,
    /// SHA-256 of the bytes (hex).
    pub sha256: String,
}

/// A listed file.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FileInfo {
    /// File id.
    pub file_id: Uuid,
    /// Name.
    pub name: String,
    /// Media type.
    pub media_type: String,
    /// SHA-256.
    pub sha256: String,
    /// Size in bytes.
    pub size: i64,
    /// Uploaded at.
    pub uploaded_at: String,
}

/// The list of a tender's files.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FileList {
    /// Files.
    pub items: Vec<FileInfo>,
    /// Always null (a tender has few files).
    pub next: Option<String>,
}

/// Uploads a tender document (the tender's agency or purchaser; draft, or during bidding with a
/// clarification).
#[utoipa::path(post, path = "/api/v1/tenders/{id}/files", tag = "execute",
    request_body = UploadFileCmd, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 201, body = UploadedFile), (status = 400, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 423, body = Problem)))]
pub async fn upload_file(
    ctx: Ctx,
    path: web::Path<Uuid>,
    body: Command,
) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let key = ctx.idempotency_key.clone();
    let mut conn = ctx.conn().await?;
    let (status, value) = conn
        .transaction(async |c| {
            let claim =
                match idempotency::begin(c, key.as_deref(), caller.user_id, "upload_file", &body.0)
                    .await?
                {
                    Begin::Repeat(s, v) => return Ok((s, v)),
                    Begin::Claimed(claim) => Some(claim),
                    Begin::NoKey => None,
                };
            let t = load(c, id, Lock::Update).await?;
            require_owner(c, &t, caller.org_id).await?;
            let g = guard(c, t.subject()).await?;
            let cmd: UploadFileCmd = body.parse()?;
            let action = if t.status()? == TenderStatus::Draft {
                TenderAction::Prepare
            } else {
                TenderAction::Clarify
            };
            g.next::<TenderMachine>(t.status()?, action, caller.role)?;
            let name = crate::core::upload::file_name(&cmd.name)
                .map_err(|e| AppError::unprocessable("invalid_file_name", e.to_string()))?;
            let name = name.as_str();
            let media_type = crate::core::upload::media_type(&cmd.media_type)
                .map_err(|e| AppError::unprocessable("invalid_media_type", e.to_string()))?;
            let bytes = B64.decode(cmd.content.as_bytes()).map_err(|e| {
                AppError::bad_request(
                    "invalid_base64",
                    format!("content is not standard base64: {e}"),
                )
            })?;
            if bytes.is_empty() {
                return Err(AppError::unprocessable("invalid_field", "an empty file"));
            }
            let sha256 = hex::encode(Sha256::digest(&bytes));
            let file_id = Uuid::now_v7();
            diesel::insert_into(tender_files::table)
                .values((
                    tender_files::id.eq(file_id),
                    tender_files::tender_id.eq(id),
                    tender_files::name.eq(name),
                    tender_files::media_type.eq(&media_type),
                    tender_files::sha256.eq(&sha256),
                    tender_files::size.eq(bytes.len() as i64),
                    tender_files::content.eq(&bytes),
                    tender_files::uploaded_by.eq(caller.user_id),
                ))
                .execute(c)
                .await?;
            audit::record(
                c,
                &actor,
                "tender.file_upload",
                Some(("tender", id.to_string())),
                json!({"file_id": file_id, "name": name, "sha256": sha256, "size": bytes.len()}),
            )
            .await?;
            let v = json!({"file_id": file_id, "sha256": sha256});
            idempotency::finish(c, claim, StatusCode::CREATED, &v).await?;
            Ok::<_, AppError>((StatusCode::CREATED, v))
        })
        .await?;
    Ok(idempotency::respond(status, value))
}

/// The tender's documents with their hashes (public once the tender is published).
#[utoipa::path(get, path = "/api/v1/tenders/{id}/files", tag = "public",
    params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 200, body = FileList), (status = 404, body = Problem)))]
pub async fn list_files(ctx: Ctx, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let mut conn = ctx.conn().await?;
    let t = load(&mut conn, id, Lock::None).await?;
    if t.status()? == TenderStatus::Draft {
        return Err(AppError::not_found("tender"));
    }
    let rows: Vec<(
        Uuid,
        String,
        String,
        String,
        i64,
        chrono::DateTime<chrono::Utc>,
    )> = tender_files::table
        .filter(tender_files::tender_id.eq(id))
        .order(tender_files::uploaded_at.asc())
        .select((
            tender_files::id,
            tender_files::name,
            tender_files::media_type,
            tender_files::sha256,
            tender_files::size,
            tender_files::uploaded_at,
        ))
        .load(&mut conn)
        .await?;
    let items = rows
        .into_iter()
        .map(|(file_id, name, media_type, sha256, size, at)| FileInfo {
            file_id,
            name,
            media_type,
            sha256,
            size,
            uploaded_at: clock::fmt(at),
        })
        .collect();
    Ok(HttpResponse::Ok().json(FileList { items, next: None }))
}

/// A bidder obtains the tender documents (recorded with time, address and fingerprint; only a
/// login is required, 电子招标投标办法 第二十条).
#[utoipa::path(post, path = "/api/v1/tenders/{id}/documents", tag = "execute", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "tender id"),
           ("X-Client-Fingerprint" = Option<String>, Header, description = "client machine fingerprint")),
    responses((status = 200, body = FileList), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "documents_not_available"),
              (status = 423, body = Problem)))]
pub async fn obtain_documents(
    ctx: Ctx,
    path: web::Path<Uuid>,
    _body: Command,
) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let (addr, fp) = (ctx.client_addr.clone(), ctx.fingerprint.clone());
    let mut conn = ctx.conn().await?;
    conn.transaction(async |c| {
        let t = load(c, id, Lock::Share).await?;
        let g = guard(c, t.subject()).await?;
        g.next::<TenderMachine>(t.status()?, TenderAction::Bid, caller.role)?;
        let org = caller
            .org_id
            .ok_or_else(|| AppError::forbidden("org_required", "this account belongs to no org"))?;
        let now = clock::now(c).await?;
        if now < t.documents_from || now > t.documents_until {
            return Err(AppError::conflict(
                "documents_not_available",
                format!(
                    "the documents are available from {} to {}",
                    clock::fmt(t.documents_from),
                    clock::fmt(t.documents_until)
                ),
            ));
        }
        diesel::insert_into(document_downloads::table)
            .values((
                document_downloads::tender_id.eq(id),
                document_downloads::org_id.eq(org),
                document_downloads::user_id.eq(caller.user_id),
                document_downloads::client_addr.eq(addr.as_deref()),
                document_downloads::fingerprint.eq(fp.as_deref()),
            ))
            .execute(c)
            .await?;
        audit::record(
            c,
            &actor,
            "tender.documents_obtained",
            Some(("tender", id.to_string())),
            json!({}),
        )
        .await?;
        Ok::<_, AppError>(())
    })
    .await?;
    list_files(ctx, web::Path::from(id)).await
}

/// Downloads one tender document (a bidder who obtained the documents).
#[utoipa::path(get, path = "/api/v1/tenders/{id}/files/{file_id}", tag = "execute", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "tender id"), ("file_id" = Uuid, Path, description = "file id")),
    responses((status = 200, description = "the file's bytes"), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "documents_not_obtained")))]
pub async fn download_file(ctx: Ctx, path: web::Path<(Uuid, Uuid)>) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let (id, file_id) = path.into_inner();
    let (addr, fp) = (ctx.client_addr.clone(), ctx.fingerprint.clone());
    let mut conn = ctx.conn().await?;
    let (name, media_type, content) = conn
        .transaction(async |c| {
            let t = load(c, id, Lock::None).await?;
            if t.status()? == TenderStatus::Draft {
                return Err(AppError::not_found("tender"));
            }
            let org = caller.org_id.ok_or_else(|| {
                AppError::forbidden("org_required", "this account belongs to no org")
            })?;
            let obtained: i64 = document_downloads::table
                .filter(document_downloads::tender_id.eq(id))
                .filter(document_downloads::org_id.eq(org))
                .count()
                .get_result(c)
                .await?;
            if obtained == 0 {
                return Err(AppError::conflict(
                    "documents_not_obtained",
                    "obtain the documents first (POST /tenders/{id}/documents)",
                ));
            }
            let row: (String, String, Vec<u8>) = tender_files::table
                .filter(tender_files::id.eq(file_id))
                .filter(tender_files::tender_id.eq(id))
                .select((
                    tender_files::name,
                    tender_files::media_type,
                    tender_files::content,
                ))
                .first(c)
                .await
                .optional()?
                .ok_or_else(|| AppError::not_found("file"))?;
            diesel::insert_into(document_downloads::table)
                .values((
                    document_downloads::tender_id.eq(id),
                    document_downloads::org_id.eq(org),
                    document_downloads::user_id.eq(caller.user_id),
                    document_downloads::file_id.eq(Some(file_id)),
                    document_downloads::client_addr.eq(addr.as_deref()),
                    document_downloads::fingerprint.eq(fp.as_deref()),
                ))
                .execute(c)
                .await?;
            Ok::<_, AppError>(row)
        })
        .await?;
    // a row stored before media types were checked may hold one no header can carry
    let media_type = crate::core::upload::media_type(&media_type)
        .unwrap_or_else(|_| "application/octet-stream".into());
    Ok(HttpResponse::Ok()
        .content_type(media_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename*=UTF-8''{}", urlencode(&name)),
        ))
        .body(content))
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
