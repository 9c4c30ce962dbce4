//! `GET /public/announcements`: the notices the platform published (招标/采购公告, 澄清（变更）公告,
//! 开标记录, 中标候选人公示, 结果公告, 合同公告, 出让公告, 成交公示 …), oldest first, paged by the
//! sequencer's number so that a reader never misses or repeats one under concurrent writers.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{
    Array, BigInt, Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{CATEGORIES, search};
use crate::core::clock;
use crate::error::{AppError, AppResult, Problem};
use crate::http::ctx::Ctx;

/// Page size when none is asked for.
const DEFAULT_LIMIT: i64 = 50;
/// The longest query accepted, in characters.
const MAX_QUERY_CHARS: usize = 100;

/// Query of the announcement list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementQuery {
    /// Line of business: construction | procurement | property | land.
    pub category: Option<String>,
    /// Text to search (Chinese by character bigrams, ASCII by words; every token must match).
    pub q: Option<String>,
    /// The `next` of the previous page (a sequence number).
    pub after: Option<i64>,
    /// Page size, 1–200.
    pub limit: Option<i64>,
}

/// One announcement as the database holds it, with its sequence number.
#[derive(QueryableByName, Debug)]
pub struct AnnouncementRow {
    /// The sequencer's number.
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    /// Line of business.
    #[diesel(sql_type = Text)]
    pub category: String,
    /// Kind (notice, clarification, …).
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// Subject type (tender, auction).
    #[diesel(sql_type = Text)]
    pub subject_type: String,
    /// Subject id.
    #[diesel(sql_type = SqlUuid)]
    pub subject_id: Uuid,
    /// Project code.
    #[diesel(sql_type = Text)]
    pub project_code: String,
    /// Tender or lot code.
    #[diesel(sql_type = Text)]
    pub code: String,
    /// Title (zh-CN).
    #[diesel(sql_type = Text)]
    pub title: String,
    /// Summary (zh-CN).
    #[diesel(sql_type = Text)]
    pub summary: String,
    /// The tenderer, purchaser or transferor (招标人/采购人/出让人).
    #[diesel(sql_type = Nullable<Text>)]
    pub tenderer_name: Option<String>,
    /// The agency (招标代理机构).
    #[diesel(sql_type = Nullable<Text>)]
    pub agency_name: Option<String>,
    /// The public log entry's content; `None` on a list page when it is larger than
    /// `INLINE_DETAILS_BYTES` (the subject's page, `detail_path`, and the log carry it).
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub details: Option<Value>,
    /// The size of the entry's content as JSON text.
    #[diesel(sql_type = Integer)]
    pub details_bytes: i32,
    /// Publication time.
    #[diesel(sql_type = Timestamptz)]
    pub published_at: DateTime<Utc>,
}

impl AnnouncementRow {
    /// The API view.
    pub fn view(&self) -> Value {
        let path = match self.subject_type.as_str() {
            "auction" if self.kind == "auction_result" => {
                format!("/api/v1/auctions/{}/result", self.subject_id)
            }
            "auction" => format!("/api/v1/auctions/{}", self.subject_id),
            _ => format!("/api/v1/tenders/{}", self.subject_id),
        };
        json!({"seq": self.seq, "category": self.category, "kind": self.kind,
               "subject_type": self.subject_type, "subject_id": self.subject_id,
               "project_code": self.project_code, "code": self.code, "title": self.title,
               "summary": self.summary, "tenderer_name": self.tenderer_name,
               "agency_name": self.agency_name, "published_at": clock::fmt(self.published_at),
               "detail_path": path, "details": self.details,
               "details_omitted": self.details.is_none(), "details_bytes": self.details_bytes})
    }
}

/// A checked page request.
pub struct Page {
    /// Line of business, if filtered.
    pub category: Option<String>,
    /// Search tokens, if searching.
    pub tokens: Option<Vec<String>>,
    /// Only kinds among these, if given.
    pub kinds: Option<Vec<String>>,
    /// Rows after this sequence number.
    pub after: i64,
    /// Page size.
    pub limit: i64,
    /// Every entry's content inline, whatever its size (the results page needs the figures).
    pub full_details: bool,
}

/// Largest public entry a list page carries inline (bytes of JSON text). A closing manifest or
/// an opening record of a large tender is hundreds of KB; a page of them cost tens of
/// milliseconds of JSON work per request (issue 7, public reads).
pub const INLINE_DETAILS_BYTES: i32 = 16 * 1024;

/// Checks the common paging parameters (`400 invalid_query` otherwise).
pub fn page(category: Option<String>, after: Option<i64>, limit: Option<i64>) -> AppResult<Page> {
    let category = category
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    if let Some(c) = &category
        && !CATEGORIES.contains(&c.as_str())
    {
        return Err(AppError::bad_request(
            "invalid_query",
            format!("category is one of {}", CATEGORIES.join(", ")),
        ));
    }
    let after = after.unwrap_or(0);
    if after < 0 {
        return Err(AppError::bad_request(
            "invalid_query",
            "after is a sequence number ≥ 0",
        ));
    }
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=200).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid_query",
            "limit is between 1 and 200",
        ));
    }
    Ok(Page {
        category,
        tokens: None,
        kinds: None,
        full_details: false,
        after,
        limit,
    })
}

/// The search tokens of `q` (`None` when there is no query), or `400 invalid_query`.
pub fn search_tokens(q: Option<&str>) -> AppResult<Option<Vec<String>>> {
    let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) else {
        return Ok(None);
    };
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::bad_request(
            "invalid_query",
            format!("q has at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    let tokens = search::query_tokens(q);
    if tokens.is_empty() {
        return Err(AppError::bad_request(
            "invalid_query",
            "q has no searchable characters (Chinese characters, letters or digits)",
        ));
    }
    Ok(Some(tokens))
}

/// One page of numbered announcements and the cursor of the next page (`None` at the end).
pub async fn load_page(
    conn: &mut AsyncPgConnection,
    p: &Page,
) -> AppResult<(Vec<AnnouncementRow>, Option<i64>)> {
    // Only the filters the page uses go into the statement: each shape gets its own prepared
    // statement and plan (a catch-all `$n IS NULL OR …` statement gets one generic plan, which
    // at 100,000 announcements walked the whole sequence for a rare search word).
    let mut sql = String::from(
        "SELECT a.seq, a.category, a.kind, a.subject_type, a.subject_id, a.project_code, a.code, \
                a.title, a.summary, a.tenderer_name, a.agency_name, a.published_at, \
                a.details_bytes, ",
    );
    if p.full_details {
        sql.push_str("a.details");
    } else {
        sql.push_str(&format!(
            "CASE WHEN a.details_bytes <= {INLINE_DETAILS_BYTES} THEN a.details END AS details"
        ));
    }
    sql.push_str(" FROM announcements a WHERE a.seq > $1");
    let mut n = 1;
    let mut arg = |sql: &mut String, clause: &str| {
        n += 1;
        sql.push_str(&clause.replace('?', &format!("${n}")));
    };
    if p.category.is_some() {
        arg(&mut sql, " AND a.category = ?");
    }
    if p.tokens.is_some() {
        arg(&mut sql, " AND a.search @@ ggzy_search_query(?::text[])");
    }
    if p.kinds.is_some() {
        arg(&mut sql, " AND a.kind = ANY (?::text[])");
    }
    arg(&mut sql, " ORDER BY a.seq LIMIT ?");
    let mut q = diesel::sql_query(sql)
        .into_boxed()
        .bind::<BigInt, _>(p.after);
    if let Some(c) = &p.category {
        q = q.bind::<Text, _>(c.clone());
    }
    if let Some(t) = &p.tokens {
        q = q.bind::<Array<Text>, _>(t.clone());
    }
    if let Some(k) = &p.kinds {
        q = q.bind::<Array<Text>, _>(k.clone());
    }
    let mut rows: Vec<AnnouncementRow> = q.bind::<BigInt, _>(p.limit + 1).load(conn).await?;
    let more = rows.len() as i64 > p.limit;
    rows.truncate(p.limit as usize);
    let next = if more {
        rows.last().map(|r| r.seq)
    } else {
        None
    };
    Ok((rows, next))
}

/// The announcements, oldest first: `?category=&q=&after=&limit=` → `{items, next}`.
#[utoipa::path(get, path = "/api/v1/public/announcements", tag = "public",
    params(("category" = Option<String>, Query, description = "construction | procurement | property | land"),
           ("q" = Option<String>, Query, description = "text search: Chinese by character bigrams (one character alone works), letters and digits by words; every token must match"),
           ("after" = Option<i64>, Query, description = "the `next` of the previous page"),
           ("limit" = Option<i64>, Query, description = "1–200, default 50")),
    responses((status = 200, description = "{items: [{seq, category, kind, subject_type, subject_id, project_code, code, title, summary, tenderer_name, agency_name, published_at, detail_path, details, details_omitted, details_bytes}], next}; details is null (details_omitted true) when the entry is over 16 KiB"),
              (status = 400, body = Problem, description = "invalid_query")))]
pub async fn list(ctx: Ctx, query: web::Query<AnnouncementQuery>) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let mut p = page(q.category, q.after, q.limit)?;
    p.tokens = search_tokens(q.q.as_deref())?;
    let mut conn = ctx.conn().await?;
    let (rows, next) = load_page(&mut conn, &p).await?;
    let items: Vec<Value> = rows.iter().map(AnnouncementRow::view).collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next": next})))
}
