//! `GET /public/results`: awards (中标/成交结果公告), auction results (成交公示/流拍公告) and
//! contracts (合同公告), the result announcements with their amounts, paged like the
//! announcements.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::announcements::{AnnouncementRow, load_page, page};
use crate::error::{AppError, AppResult, Problem};
use crate::http::ctx::Ctx;

/// The announcement kinds that are results.
const RESULT_KINDS: [&str; 3] = ["award", "auction_result", "contract"];

/// Query of the result list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultQuery {
    /// Line of business: construction | procurement | property | land.
    pub category: Option<String>,
    /// award | auction_result | contract.
    pub kind: Option<String>,
    /// The `next` of the previous page.
    pub after: Option<i64>,
    /// Page size, 1–200.
    pub limit: Option<i64>,
}

/// A result with its figures lifted out of the public entry.
fn view(r: &AnnouncementRow) -> Value {
    let d = r.details.as_ref().unwrap_or(&Value::Null);
    let mut v = r.view();
    let (amount, winner) = match r.kind.as_str() {
        "award" => (d["price"].clone(), d["winner_name"].clone()),
        "contract" => (d["amount"].clone(), Value::Null),
        _ => (d["price"].clone(), Value::Null),
    };
    v["amount"] = amount;
    v["winner_name"] = winner;
    v["winner_org_code"] = if r.kind == "award" {
        d["org_code"].clone()
    } else {
        Value::Null
    };
    v["signed_at"] = if r.kind == "contract" {
        d["signed_at"].clone()
    } else {
        Value::Null
    };
    v["result"] = if r.kind == "auction_result" {
        d["result"].clone()
    } else {
        Value::Null
    };
    v
}

/// Awards, auction results and contracts, oldest first: `?category=&kind=&after=&limit=`.
#[utoipa::path(get, path = "/api/v1/public/results", tag = "public",
    params(("category" = Option<String>, Query, description = "construction | procurement | property | land"),
           ("kind" = Option<String>, Query, description = "award | auction_result | contract"),
           ("after" = Option<i64>, Query, description = "the `next` of the previous page"),
           ("limit" = Option<i64>, Query, description = "1–200, default 50")),
    responses((status = 200, description = "{items: [{seq, kind, category, code, title, amount, winner_name?, winner_org_code?, signed_at?, result?, published_at, detail_path, details}], next}"),
              (status = 400, body = Problem, description = "invalid_query")))]
pub async fn list(ctx: Ctx, query: web::Query<ResultQuery>) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let mut p = page(q.category, q.after, q.limit)?;
    let kinds: Vec<String> = match q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => RESULT_KINDS.iter().map(|k| k.to_string()).collect(),
        Some(k) if RESULT_KINDS.contains(&k) => vec![k.to_string()],
        Some(_) => {
            return Err(AppError::bad_request(
                "invalid_query",
                format!("kind is one of {}", RESULT_KINDS.join(", ")),
            ));
        }
    };
    p.kinds = Some(kinds);
    p.full_details = true;
    let mut conn = ctx.conn().await?;
    let (rows, next) = load_page(&mut conn, &p).await?;
    let items: Vec<Value> = rows.iter().map(view).collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next": next})))
}
