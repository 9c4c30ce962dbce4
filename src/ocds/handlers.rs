//! `GET /public/ocds/releases` (the release feed) and `GET /public/ocds/records/{ocid}` (a
//! record with its compiled release): OCDS 1.1 packages, no token, served by the public plane.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{feed, mapping, records};
use crate::core::clock;
use crate::error::{AppError, AppResult, Problem};
use crate::http::ctx::Ctx;

/// Paging of the release feed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// The sequencer number after which to start (the previous page's `next`).
    pub after: Option<i64>,
    /// Releases per page (1–500, default 50).
    pub limit: Option<i64>,
}

fn uri(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}{}", info.scheme(), info.host(), req.uri())
}

fn package(ctx: &Ctx, req: &HttpRequest, now: chrono::DateTime<chrono::Utc>) -> Value {
    let region = &ctx.state.config.region_code;
    json!({
        "uri": uri(req),
        "version": "1.1",
        "extensions": [mapping::BID_EXTENSION],
        "publishedDate": clock::fmt(now),
        "publisher": {"name": format!("公共资源交易中心（行政区划代码 {region}）")},
    })
}

/// The release feed: one OCDS release per public event of a tender or a lot, in the
/// sequencer's order, so that a crawler paging with `after=next` never misses one.
#[utoipa::path(get, path = "/api/v1/public/ocds/releases", tag = "public",
    params(("after" = Option<i64>, Query, description = "the `next` of the previous page (default 0)"),
           ("limit" = Option<i64>, Query, description = "1–500, default 50")),
    responses((status = 200, description = "OCDS 1.1 release package {uri, version, extensions, publishedDate, publisher, releases: [...], next}; \
               `next` is the `after` of the following page",
               content_type = "application/json"),
              (status = 204, description = "nothing after `after` yet: poll again later with the same `after`"),
              (status = 400, body = Problem, description = "invalid_query")))]
pub async fn releases(
    ctx: Ctx,
    req: HttpRequest,
    query: web::Query<FeedQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let after = q.after.unwrap_or(0);
    let limit = q.limit.unwrap_or(50);
    if after < 0 || !(1..=500).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid_query",
            "after is a sequence number ≥ 0; limit is between 1 and 500",
        ));
    }
    let prefix = ctx.state.config.ocid_prefix.clone();
    let mut conn = ctx.conn().await?;
    let now = clock::now(&mut conn).await?;
    let entries = feed::page(&mut conn, after, limit).await?;
    let Some(next) = entries.last().map(|e| e.seq) else {
        // nothing after `after` yet; an OCDS package holds at least one release, so there is
        // no package to send: the crawler polls again with the same `after`
        return Ok(HttpResponse::NoContent().finish());
    };
    let releases: Vec<Value> = feed::releases(&mut conn, &prefix, &entries)
        .await?
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    let mut p = package(&ctx, &req, now);
    p["releases"] = json!(releases);
    p["next"] = json!(next);
    Ok(HttpResponse::Ok().json(p))
}

/// The record of a procedure: its releases (embedded) and the compiled release.
#[utoipa::path(get, path = "/api/v1/public/ocds/records/{ocid}", tag = "public",
    params(("ocid" = String, Path, description = "the procedure's ocid: the publisher's prefix and the tender's or lot's id")),
    responses((status = 200, description = "OCDS 1.1 record package {uri, version, extensions, publishedDate, publisher, records: [{ocid, releases, compiledRelease}]}",
               content_type = "application/json"),
              (status = 404, body = Problem, description = "not_found")))]
pub async fn record(
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let ocid = path.into_inner();
    let prefix = ctx.state.config.ocid_prefix.clone();
    let id = mapping::procedure_of(&prefix, &ocid).ok_or_else(|| AppError::not_found("ocid"))?;
    let mut conn = ctx.conn().await?;
    let now = clock::now(&mut conn).await?;
    let entries = feed::of_procedure(&mut conn, id).await?;
    let releases: Vec<Value> = feed::releases(&mut conn, &prefix, &entries)
        .await?
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    if releases.is_empty() {
        return Err(AppError::not_found("ocid"));
    }
    let compiled = records::compile(&ocid, &releases);
    let mut p = package(&ctx, &req, now);
    p["records"] = json!([{"ocid": ocid, "releases": releases, "compiledRelease": compiled}]);
    Ok(HttpResponse::Ok().json(p))
}
