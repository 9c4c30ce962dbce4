//! `GET /public/stats`: figures per line of business (DESIGN.md §7), computed in SQL `numeric`
//! from the public records and read as `rust_decimal`. Definitions (docs/PUBLIC.md):
//! - a completed tender is one with a signed contract; a completed auction one closed `sold`;
//! - budget = Σ maximum price (最高投标限价) of completed tenders that set one; contract value =
//!   Σ contract amounts of completed tenders; savings = Σ (maximum price − contract amount) over
//!   completed tenders with a maximum price; savings rate = savings / budget × 100;
//! - premium = Σ (deal price − start price) of sold lots; premium rate = premium / Σ start × 100;
//! - on-time rate = contracts signed within 30 日 of the award notice (招标投标法 第四十六条,
//!   政府采购法 第四十六条) / contracts × 100.
//!
//! Rates are percentages rounded half away from zero to two decimals (`round(numeric, 2)`), and
//! `null` when their base is zero.

use actix_web::HttpResponse;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Numeric, Text};
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::error::{AppResult, Problem};
use crate::http::ctx::Ctx;

/// The statutory period for signing the contract after the award notice, in days.
pub const CONTRACT_SIGNING_DAYS: i32 = 30;

/// The figures of one line of business.
#[derive(QueryableByName, Debug)]
pub struct LineStats {
    /// Line of business.
    #[diesel(sql_type = Text)]
    pub category: String,
    /// Completed tenders (with a contract).
    #[diesel(sql_type = BigInt)]
    pub tender_count: i64,
    /// Sold lots.
    #[diesel(sql_type = BigInt)]
    pub auction_count: i64,
    /// Σ maximum prices of completed tenders that set one.
    #[diesel(sql_type = Numeric)]
    pub budget: Decimal,
    /// Σ contract amounts.
    #[diesel(sql_type = Numeric)]
    pub contract_value: Decimal,
    /// Σ (maximum price − contract amount) where a maximum price was set.
    #[diesel(sql_type = Numeric)]
    pub savings: Decimal,
    /// savings / budget × 100.
    #[diesel(sql_type = Nullable<Numeric>)]
    pub savings_rate: Option<Decimal>,
    /// Σ start prices of sold lots.
    #[diesel(sql_type = Numeric)]
    pub start_value: Decimal,
    /// Σ deal prices of sold lots.
    #[diesel(sql_type = Numeric)]
    pub deal_value: Decimal,
    /// deal − start.
    #[diesel(sql_type = Numeric)]
    pub premium: Decimal,
    /// premium / start × 100.
    #[diesel(sql_type = Nullable<Numeric>)]
    pub premium_rate: Option<Decimal>,
    /// Steps measured (contracts).
    #[diesel(sql_type = BigInt)]
    pub on_time_steps: i64,
    /// Steps done in time.
    #[diesel(sql_type = BigInt)]
    pub on_time: i64,
    /// on_time / on_time_steps × 100.
    #[diesel(sql_type = Nullable<Numeric>)]
    pub on_time_rate: Option<Decimal>,
}

/// The statistics query; one row per line of business, zeros where nothing was completed.
const STATS_SQL: &str = "\
WITH lines(category, ord) AS (
    VALUES ('construction', 1), ('procurement', 2), ('property', 3), ('land', 4)),
t AS (
    SELECT p.category,
           count(*) AS n,
           coalesce(sum(t.max_price), 0) AS budget,
           coalesce(sum(c.amount), 0) AS contract_value,
           coalesce(sum(t.max_price - c.amount) FILTER (WHERE t.max_price IS NOT NULL), 0) AS savings,
           count(*) FILTER (WHERE c.signed_at <= w.awarded_at + make_interval(days => $1)) AS on_time
    FROM tenders t
    JOIN projects p ON p.id = t.project_id
    JOIN contracts c ON c.tender_id = t.id
    JOIN awards w ON w.tender_id = t.id
    GROUP BY p.category),
a AS (
    SELECT p.category, count(*) AS n,
           sum(a.start_price) AS start_value, sum(a.current_price) AS deal_value
    FROM auctions a JOIN projects p ON p.id = a.project_id
    WHERE a.result = 'sold' AND a.current_price IS NOT NULL
    GROUP BY p.category)
SELECT l.category,
       coalesce(t.n, 0) AS tender_count,
       coalesce(a.n, 0) AS auction_count,
       coalesce(t.budget, 0) AS budget,
       coalesce(t.contract_value, 0) AS contract_value,
       coalesce(t.savings, 0) AS savings,
       round(t.savings * 100 / nullif(t.budget, 0), 2) AS savings_rate,
       coalesce(a.start_value, 0) AS start_value,
       coalesce(a.deal_value, 0) AS deal_value,
       coalesce(a.deal_value - a.start_value, 0) AS premium,
       round((a.deal_value - a.start_value) * 100 / nullif(a.start_value, 0), 2) AS premium_rate,
       coalesce(t.n, 0) AS on_time_steps,
       coalesce(t.on_time, 0) AS on_time,
       round(t.on_time::numeric * 100 / nullif(t.n, 0), 2) AS on_time_rate
FROM lines l
LEFT JOIN t ON t.category = l.category
LEFT JOIN a ON a.category = l.category
ORDER BY l.ord";

fn money(d: Decimal) -> String {
    format!("{d:.2}")
}

fn rate(d: Option<Decimal>) -> Value {
    d.map(|r| json!(format!("{r:.2}"))).unwrap_or(Value::Null)
}

impl LineStats {
    /// The API view: money and rates as decimal strings.
    pub fn view(&self) -> Value {
        json!({
            "category": self.category,
            "count": self.tender_count + self.auction_count,
            "tender_count": self.tender_count,
            "auction_count": self.auction_count,
            "budget": money(self.budget),
            "contract_value": money(self.contract_value),
            "savings": money(self.savings),
            "savings_rate": rate(self.savings_rate),
            "start_value": money(self.start_value),
            "deal_value": money(self.deal_value),
            "premium": money(self.premium),
            "premium_rate": rate(self.premium_rate),
            "on_time_steps": self.on_time_steps,
            "on_time": self.on_time,
            "on_time_rate": rate(self.on_time_rate),
        })
    }
}

/// Statistics per line of business.
#[utoipa::path(get, path = "/api/v1/public/stats", tag = "public",
    responses((status = 200, description = "{items: [{category, count, tender_count, auction_count, budget, contract_value, savings, savings_rate, start_value, deal_value, premium, premium_rate, on_time_steps, on_time, on_time_rate}], rates: \"percent, 2 decimals\"}"),
              (status = 500, body = Problem)))]
pub async fn stats(ctx: Ctx) -> AppResult<HttpResponse> {
    let mut conn = ctx.conn().await?;
    let rows: Vec<LineStats> = diesel::sql_query(STATS_SQL)
        .bind::<diesel::sql_types::Integer, _>(CONTRACT_SIGNING_DAYS)
        .load(&mut conn)
        .await?;
    let items: Vec<Value> = rows.iter().map(LineStats::view).collect();
    Ok(HttpResponse::Ok().json(
        json!({"items": items, "rates": "percent, rounded half away from zero to 2 decimals",
        "contract_signing_days": CONTRACT_SIGNING_DAYS}),
    ))
}
