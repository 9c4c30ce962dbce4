//! The rule set and the holiday calendar as the regulator keeps them (DESIGN.md §3): versioned
//! rows in the decide plane (a change is a new version, never an edit in place), seeded from
//! the statutory catalogue and the `chinese_holiday` data, read by the execute plane.

use std::collections::BTreeSet;
use std::str::FromStr;

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use diesel::QueryableByName;
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Date, Int4, Nullable, Numeric, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::core::outbox::{self, Kind};
use crate::core::{audit, clock};
use crate::db::schema::{calendar_years, projects, rules, tenders};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::Ctx;
use crate::rules::calendar::{self, Calendar, CalendarMissing, YearCalendar};
use crate::rules::set::{Category, Method, RuleRow, RuleSet, RuleUnit};

/// Inserts the catalogue (version 1 of every rule) and the seeded calendar years that are not
/// in the database yet. Idempotent; run by `migrate` as the owner.
pub async fn seed(conn: &mut AsyncPgConnection) -> anyhow::Result<()> {
    for r in RuleRow::catalog_rows() {
        diesel::sql_query(
            "INSERT INTO rules (rule_id, version, applies_to, kind, value, unit, citation, \
               jurisdiction, configurable, must_tender_only, summary, reason) \
             VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'statutory catalogue') \
             ON CONFLICT (rule_id, version) DO NOTHING",
        )
        .bind::<Text, _>(&r.rule_id)
        .bind::<Text, _>(&r.applies_to)
        .bind::<Text, _>(&r.kind)
        .bind::<Nullable<Numeric>, _>(r.value)
        .bind::<Text, _>(&r.unit)
        .bind::<Text, _>(&r.citation)
        .bind::<Text, _>(&r.jurisdiction)
        .bind::<Bool, _>(r.configurable)
        .bind::<Bool, _>(r.must_tender_only)
        .bind::<Text, _>(&r.summary)
        .execute(conn)
        .await?;
    }
    for y in calendar::seed_years() {
        diesel::sql_query(
            "INSERT INTO calendar_years (year, version, holidays, workdays, source, provisional) \
             SELECT $1, 1, $2, $3, $4, $5 \
             WHERE NOT EXISTS (SELECT 1 FROM calendar_years WHERE year = $1)",
        )
        .bind::<Int4, _>(y.year)
        .bind::<Array<Date>, _>(y.holidays.iter().copied().collect::<Vec<_>>())
        .bind::<Array<Date>, _>(y.workdays.iter().copied().collect::<Vec<_>>())
        .bind::<Text, _>(&y.source)
        .bind::<Bool, _>(y.provisional)
        .execute(conn)
        .await?;
    }
    Ok(())
}

#[derive(QueryableByName)]
struct RuleDbRow {
    #[diesel(sql_type = Text)]
    rule_id: String,
    #[diesel(sql_type = Int4)]
    version: i32,
    #[diesel(sql_type = Text)]
    applies_to: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Nullable<Numeric>)]
    value: Option<Decimal>,
    #[diesel(sql_type = Text)]
    unit: String,
    #[diesel(sql_type = Text)]
    citation: String,
    #[diesel(sql_type = Text)]
    jurisdiction: String,
    #[diesel(sql_type = Bool)]
    configurable: bool,
    #[diesel(sql_type = Bool)]
    must_tender_only: bool,
    #[diesel(sql_type = Text)]
    summary: String,
    #[diesel(sql_type = Text)]
    reason: String,
    #[diesel(sql_type = Timestamptz)]
    set_at: chrono::DateTime<chrono::Utc>,
}

impl RuleDbRow {
    fn row(&self) -> RuleRow {
        RuleRow {
            rule_id: self.rule_id.clone(),
            applies_to: self.applies_to.clone(),
            kind: self.kind.clone(),
            value: self.value.map(|v| v.normalize()),
            unit: self.unit.clone(),
            citation: self.citation.clone(),
            jurisdiction: self.jurisdiction.clone(),
            version: self.version,
            configurable: self.configurable,
            must_tender_only: self.must_tender_only,
            summary: self.summary.clone(),
        }
    }
}

async fn latest_rules(conn: &mut AsyncPgConnection) -> AppResult<Vec<RuleDbRow>> {
    Ok(diesel::sql_query(
        "SELECT DISTINCT ON (rule_id) rule_id, version, applies_to, kind, value, unit, citation, \
           jurisdiction, configurable, must_tender_only, summary, reason, set_at \
         FROM rules ORDER BY rule_id, version DESC",
    )
    .load(conn)
    .await?)
}

/// The rules in force (any plane that may read `rules`).
pub async fn load_rules(conn: &mut AsyncPgConnection) -> AppResult<RuleSet> {
    let rows = latest_rules(conn)
        .await?
        .iter()
        .map(RuleDbRow::row)
        .collect();
    RuleSet::from_rows(rows).map_err(|e| AppError::internal(anyhow::anyhow!("rule set: {e}")))
}

/// The calendar in force: the regulator's years, and every other year up to
/// [`calendar::PROVISIONAL_LAST_YEAR`] provisional (国务院令第795号's statutory days off, the
/// 调休 unknown; DOMAIN-RULES §8.12), in production and sandbox alike. A count that reads a
/// provisional year marks the request, which then answers `"calendar": "provisional"`
/// ([`crate::http::calendar_note`]).
pub async fn load_calendar(conn: &mut AsyncPgConnection) -> AppResult<Calendar> {
    type Y = (i32, i32, Vec<NaiveDate>, Vec<NaiveDate>, String, bool);
    let rows: Vec<Y> = calendar_years::table
        .order((calendar_years::year.asc(), calendar_years::version.asc()))
        .select((
            calendar_years::year,
            calendar_years::version,
            calendar_years::holidays,
            calendar_years::workdays,
            calendar_years::source,
            calendar_years::provisional,
        ))
        .load(conn)
        .await?;
    // later versions overwrite earlier ones (ordered by version); a stored row is the
    // regulator's notice even if an old sandbox row says provisional (weekends only): those
    // rows are ignored, so the year is computed from 795号 instead
    let mut cal = Calendar::from_years(
        rows.into_iter()
            .filter(|(_, _, _, _, _, provisional)| !provisional)
            .map(|(year, _, h, w, source, _)| YearCalendar {
                year,
                holidays: h.into_iter().collect::<BTreeSet<_>>(),
                workdays: w.into_iter().collect::<BTreeSet<_>>(),
                source,
                provisional: false,
                possible_days_off: BTreeSet::new(),
                possible_workdays: BTreeSet::new(),
            }),
    )
    .with_provisional_years();
    cal.used_provisional = crate::http::calendar_note::current();
    Ok(cal)
}

/// `422 calendar_missing` for a period that reaches a year the platform cannot count: one
/// without the regulator's notice outside the provisional years (2004–2099, DECISIONS 114).
pub fn calendar_missing(e: CalendarMissing) -> AppError {
    AppError::unprocessable(
        "calendar_missing",
        format!(
            "the period reaches {}, outside the years counted provisionally ({}–{}) and without \
             the State Council's holiday notice (PUT /calendar/{})",
            e.year,
            calendar::SEED_FIRST_YEAR,
            calendar::PROVISIONAL_LAST_YEAR,
            e.year
        ),
    )
}

/// The tender's category and method as the rule set types them.
pub async fn procedure_of(
    conn: &mut AsyncPgConnection,
    tender_id: uuid::Uuid,
) -> AppResult<(Category, Method)> {
    let (category, method): (String, String) = tenders::table
        .inner_join(projects::table)
        .filter(tenders::id.eq(tender_id))
        .select((projects::category, tenders::method))
        .first(conn)
        .await?;
    let bad = |e| AppError::internal(anyhow::anyhow!("{e}"));
    Ok((
        Category::from_str(&category).map_err(bad)?,
        Method::from_str(&method).map_err(bad)?,
    ))
}

/// The minimum number of bids for a tender's method, with the rule's citation.
pub async fn min_bids(
    conn: &mut AsyncPgConnection,
    tender_id: uuid::Uuid,
) -> AppResult<(i64, String)> {
    let (category, method) = procedure_of(conn, tender_id).await?;
    let set = load_rules(conn).await?;
    let n = set.min_bids(category, method).unwrap_or(1);
    let prefix = if category == Category::Construction {
        "ztb"
    } else {
        "gp"
    };
    let citation = set
        .get(&format!("{prefix}.min_bids.{}", method.as_str()))
        .map(|r| r.citation.clone())
        .unwrap_or_default();
    Ok((n as i64, citation))
}

/// One rule as the API shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RuleView {
    /// Stable id.
    pub rule_id: String,
    /// Procedures it governs.
    pub applies_to: String,
    /// period | count | ratio | amount | procedure.
    pub kind: String,
    /// The value (decimal string), null for procedures.
    pub value: Option<String>,
    /// day | working_day | …
    pub unit: String,
    /// `"<law> 第N条"`.
    pub citation: String,
    /// national or a region code.
    pub jurisdiction: String,
    /// Version in force.
    pub version: i32,
    /// Uncertain or local value (⚠ rows): the regulator may change it.
    pub configurable: bool,
    /// Only for 依法必须招标 projects.
    pub must_tender_only: bool,
    /// What it says.
    pub summary: String,
    /// Why this version was set.
    pub reason: String,
    /// When.
    pub set_at: String,
}

/// The rule list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RuleList {
    /// Rules in force.
    pub items: Vec<RuleView>,
    /// Always null (the set is small).
    pub next: Option<String>,
}

fn view(r: &RuleDbRow) -> RuleView {
    RuleView {
        rule_id: r.rule_id.clone(),
        applies_to: r.applies_to.clone(),
        kind: r.kind.clone(),
        value: r.value.map(|v| v.normalize().to_string()),
        unit: r.unit.clone(),
        citation: r.citation.clone(),
        jurisdiction: r.jurisdiction.clone(),
        version: r.version,
        configurable: r.configurable,
        must_tender_only: r.must_tender_only,
        summary: r.summary.clone(),
        reason: r.reason.clone(),
        set_at: clock::fmt(r.set_at),
    }
}

/// The rules in force.
#[utoipa::path(get, path = "/api/v1/rules", tag = "decide", security(("bearer" = [])),
    responses((status = 200, body = RuleList)))]
pub async fn list_rules(ctx: Ctx) -> AppResult<HttpResponse> {
    let mut conn = ctx.conn().await?;
    let items = latest_rules(&mut conn).await?.iter().map(view).collect();
    Ok(HttpResponse::Ok().json(RuleList { items, next: None }))
}

/// A new version of a rule.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutRuleCmd {
    /// The new value (decimal string or number); null switches a limit off.
    #[schema(value_type = Option<String>)]
    pub value: Option<Decimal>,
    /// The unit (day, working_day, …); unchanged when absent.
    pub unit: Option<String>,
    /// The citation; unchanged when absent.
    pub citation: Option<String>,
    /// national or a region code; unchanged when absent.
    pub jurisdiction: Option<String>,
    /// Why (the local rule or notice behind the change).
    pub reason: String,
}

/// Sets a new version of a rule (never an edit in place).
#[utoipa::path(put, path = "/api/v1/rules/{rule_id}", tag = "decide", request_body = PutRuleCmd,
    security(("bearer" = [])), params(("rule_id" = String, Path, description = "rule id")),
    responses((status = 200, body = RuleView), (status = 400, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem, description = "invalid_rule")))]
pub async fn put_rule(ctx: Ctx, path: web::Path<String>, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let rule_id = path.into_inner();
    let cmd: PutRuleCmd = body.parse()?;
    if cmd.reason.trim().is_empty() {
        return Err(AppError::unprocessable(
            "invalid_rule",
            "a change needs a reason",
        ));
    }
    let mut conn = ctx.conn().await?;
    let v = conn
        .transaction(async |c| {
            // one change of a rule at a time: versions stay gapless
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind::<Text, _>(format!("rule:{rule_id}"))
                .execute(c)
                .await?;
            let current = latest_rules(c)
                .await?
                .into_iter()
                .find(|r| r.rule_id == rule_id)
                .ok_or_else(|| AppError::not_found("rule"))?;
            let mut row = current.row();
            row.version += 1;
            row.value = cmd.value;
            if let Some(u) = &cmd.unit {
                RuleUnit::from_str(u).map_err(|e| AppError::unprocessable("invalid_rule", e.to_string()))?;
                row.unit = u.clone();
            }
            if let Some(ct) = &cmd.citation {
                row.citation = ct.trim().to_string();
            }
            if let Some(j) = &cmd.jurisdiction {
                row.jurisdiction = j.trim().to_string();
            }
            // the whole set must still be usable with this version in it
            RuleSet::from_rows(vec![row.clone()])
                .map_err(|e| AppError::unprocessable("invalid_rule", e.to_string()))?;
            diesel::insert_into(rules::table)
                .values((
                    rules::rule_id.eq(&row.rule_id),
                    rules::version.eq(row.version),
                    rules::applies_to.eq(&row.applies_to),
                    rules::kind.eq(&row.kind),
                    rules::value.eq(row.value),
                    rules::unit.eq(&row.unit),
                    rules::citation.eq(&row.citation),
                    rules::jurisdiction.eq(&row.jurisdiction),
                    rules::configurable.eq(row.configurable),
                    rules::must_tender_only.eq(row.must_tender_only),
                    rules::summary.eq(&row.summary),
                    rules::reason.eq(cmd.reason.trim()),
                    rules::set_by.eq(Some(caller.user_id)),
                ))
                .execute(c)
                .await?;
            let subject = Some(("rule", row.rule_id.clone()));
            let details = json!({"version": row.version, "value": row.value.map(|v| v.to_string()),
                                 "unit": row.unit, "citation": row.citation, "reason": cmd.reason.trim()});
            audit::record(c, &actor, "rule.set", subject.clone(), details.clone()).await?;
            outbox::emit(c, Kind::Public, "rule.set", subject, details).await?;
            let now = latest_rules(c).await?.into_iter().find(|r| r.rule_id == rule_id)
                .ok_or_else(|| AppError::not_found("rule"))?;
            Ok::<_, AppError>(view(&now))
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// A year's calendar.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CalendarView {
    /// Year.
    pub year: i32,
    /// Version.
    pub version: i32,
    /// Statutory holidays.
    pub holidays: Vec<NaiveDate>,
    /// Make-up working days on weekends (调休).
    pub workdays: Vec<NaiveDate>,
    /// The notice it comes from (`provisional` for a year without one).
    pub source: String,
    /// No notice yet: the statutory days off of 国务院令第795号 only, the 调休 unknown.
    pub provisional: bool,
    /// `notice` (the regulator entered the State Council's notice) or `provisional`.
    pub status: String,
    /// For a provisional year: what it is computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// For a provisional year: weekdays the notice may still make days off (counted as days off
    /// by a minimum period, as working days by a due date owed to a party).
    #[serde(default)]
    pub possible_days_off: Vec<NaiveDate>,
    /// For a provisional year: weekend days the notice may still make make-up working days.
    #[serde(default)]
    pub possible_workdays: Vec<NaiveDate>,
}

impl CalendarView {
    fn provisional(y: &YearCalendar) -> CalendarView {
        CalendarView {
            year: y.year,
            version: 0,
            holidays: y.holidays.iter().copied().collect(),
            workdays: y.workdays.iter().copied().collect(),
            source: y.source.clone(),
            provisional: true,
            status: "provisional".into(),
            basis: Some(calendar::PROVISIONAL_BASIS.into()),
            possible_days_off: y.possible_days_off.iter().copied().collect(),
            possible_workdays: y.possible_workdays.iter().copied().collect(),
        }
    }
}

/// Replace a year's calendar.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutCalendarCmd {
    /// Statutory holidays.
    pub holidays: Vec<NaiveDate>,
    /// Make-up working days on weekends.
    pub workdays: Vec<NaiveDate>,
    /// The State Council notice (e.g. 国办发明电〔2025〕7号).
    pub source: String,
}

/// The regulator's latest version of `year`, if any (old sandbox rows marked provisional, which
/// were weekends only, are not a notice and are skipped).
async fn stored_calendar(
    conn: &mut AsyncPgConnection,
    year: i32,
) -> AppResult<Option<CalendarView>> {
    let row: Option<(i32, Vec<NaiveDate>, Vec<NaiveDate>, String)> = calendar_years::table
        .filter(calendar_years::year.eq(year))
        .filter(calendar_years::provisional.eq(false))
        .order(calendar_years::version.desc())
        .select((
            calendar_years::version,
            calendar_years::holidays,
            calendar_years::workdays,
            calendar_years::source,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(
        row.map(|(version, holidays, workdays, source)| CalendarView {
            year,
            version,
            holidays,
            workdays,
            source,
            provisional: false,
            status: "notice".into(),
            basis: None,
            possible_days_off: Vec::new(),
            possible_workdays: Vec::new(),
        }),
    )
}

/// The year as the counts read it: the regulator's notice, else provisional (version 0).
async fn calendar_view(conn: &mut AsyncPgConnection, year: i32) -> AppResult<CalendarView> {
    if let Some(v) = stored_calendar(conn, year).await? {
        return Ok(v);
    }
    Calendar::new()
        .with_provisional_years()
        .year(year)
        .map(CalendarView::provisional)
        .ok_or_else(|| AppError::not_found("calendar year"))
}

/// A year's holiday calendar.
#[utoipa::path(get, path = "/api/v1/calendar/{year}", tag = "decide", security(("bearer" = [])),
    params(("year" = i32, Path, description = "year")),
    responses((status = 200, body = CalendarView, description = "the notice, or the year provisional (status provisional, version 0)"),
              (status = 404, body = Problem, description = "a year outside 2004–2099 without a notice")))]
pub async fn get_calendar(ctx: Ctx, path: web::Path<i32>) -> AppResult<HttpResponse> {
    let mut conn = ctx.conn().await?;
    Ok(HttpResponse::Ok().json(calendar_view(&mut conn, path.into_inner()).await?))
}

/// Replaces a year's calendar with the State Council notice, as a new version.
#[utoipa::path(put, path = "/api/v1/calendar/{year}", tag = "decide", request_body = PutCalendarCmd,
    security(("bearer" = [])), params(("year" = i32, Path, description = "year")),
    responses((status = 200, body = CalendarView), (status = 400, body = Problem),
              (status = 422, body = Problem, description = "invalid_calendar")))]
pub async fn put_calendar(
    ctx: Ctx,
    path: web::Path<i32>,
    body: Command,
) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let actor = ctx.actor();
    let year = path.into_inner();
    let cmd: PutCalendarCmd = body.parse()?;
    let y = YearCalendar {
        year,
        holidays: cmd.holidays.iter().copied().collect(),
        workdays: cmd.workdays.iter().copied().collect(),
        source: cmd.source.trim().to_string(),
        provisional: false,
        possible_days_off: BTreeSet::new(),
        possible_workdays: BTreeSet::new(),
    };
    y.validate()
        .map_err(|e| AppError::unprocessable("invalid_calendar", e.to_string()))?;
    if y.source.is_empty() {
        return Err(AppError::unprocessable(
            "invalid_calendar",
            "name the notice (source)",
        ));
    }
    let mut conn = ctx.conn().await?;
    let v = conn
        .transaction(async |c| {
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind::<Text, _>(format!("calendar:{year}"))
                .execute(c)
                .await?;
            let version: Option<i32> = calendar_years::table
                .filter(calendar_years::year.eq(year))
                .select(diesel::dsl::max(calendar_years::version))
                .first(c)
                .await?;
            let version = version.unwrap_or(0) + 1;
            let replaced = match stored_calendar(c, year).await? {
                Some(v) => json!({"version": v.version, "source": v.source}),
                None => json!("provisional"),
            };
            diesel::insert_into(calendar_years::table)
                .values((
                    calendar_years::year.eq(year),
                    calendar_years::version.eq(version),
                    calendar_years::holidays.eq(y.holidays.iter().copied().collect::<Vec<_>>()),
                    calendar_years::workdays.eq(y.workdays.iter().copied().collect::<Vec<_>>()),
                    calendar_years::source.eq(&y.source),
                    calendar_years::provisional.eq(false),
                    calendar_years::set_by.eq(Some(caller.user_id)),
                ))
                .execute(c)
                .await?;
            let subject = Some(("calendar", year.to_string()));
            let details = json!({"version": version, "holidays": y.holidays, "workdays": y.workdays,
                                 "source": y.source, "replaces": replaced});
            audit::record(c, &actor, "calendar.set", subject.clone(), details.clone()).await?;
            outbox::emit(c, Kind::Public, "calendar.set", subject, details).await?;
            calendar_view(c, year).await
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}
