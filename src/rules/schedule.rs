//! Schedule checks as pure functions (DESIGN.md §3, DOMAIN-RULES.md §1A, §1B, §1E).
//!
//! Each check returns the broken rules as [`Violation`]s (empty = the schedule is lawful), or
//! [`CalendarMissing`] when a period needs a year the regulator has no calendar for
//! (`422 calendar_missing`). Limits and citations come from the [`RuleSet`], so a new version of
//! a rule changes the checks without a release; which span each rule measures is fixed here.
//!
//! Instants are judged in China time (UTC+8): the statutes count China's calendar days. An
//! instant at exactly 00:00 closes the previous day (its 24:00, 民法典 第二百零三条), so a
//! deadline of 2026-03-23T00:00+08:00 counts as the last moment of 2026-03-22.
//!
//! Policy choices, stated once:
//! - A rule whose value the regulator set to `None` is switched off and not checked. A rule
//!   used as a day-counted period whose unit is not 日/工作日 is reported as a violation
//!   (fail closed) rather than skipped.
//! - Periods counted "from the documents being issued" start at the later of `documents_from`
//!   and `publish_at`: nothing can be issued before the notice is published.
//! - `schedule.order` cites 招标投标法 第二十四条 (which defines the span from the documents to
//!   the deadline), or 政府采购法 第三十五条 for procurement.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::calendar::{Calendar, CalendarMissing, Unit};
use super::catalog;
use super::set::{Category, Method, RuleSet, RuleValue};
use crate::error::Violation;

/// China Standard Time, UTC+8 (no daylight saving).
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The China date on which `t` falls.
pub fn china_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&china()).date_naive()
}

/// The China date an instant closes: 00:00 exactly is the previous day's 24:00.
pub fn china_last_day(t: DateTime<Utc>) -> NaiveDate {
    let local = t.with_timezone(&china());
    if local.time() == NaiveTime::MIN {
        local.date_naive().pred_opt().unwrap_or(local.date_naive())
    } else {
        local.date_naive()
    }
}

/// 24:00 China time of `day` (民法典 第二百零三条: the last day ends at 24:00), in UTC.
pub fn end_of_day(day: NaiveDate) -> DateTime<Utc> {
    let next = day.succ_opt().unwrap_or(day);
    china()
        .from_local_datetime(&next.and_time(NaiveTime::MIN))
        .single()
        .expect("a fixed offset has no gaps")
        .with_timezone(&Utc)
}

fn show(t: DateTime<Utc>) -> String {
    t.with_timezone(&china())
        .format("%Y-%m-%d %H:%M %:z")
        .to_string()
}

/// A procedure: line of business, method, and the project's 依法必须招标 flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Procedure {
    /// Line of business.
    pub category: Category,
    /// Method.
    pub method: Method,
    /// 依法必须招标 (set at approval).
    pub must_tender: bool,
}

/// A tender's schedule as submitted for publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderSchedule {
    /// Line of business.
    pub category: Category,
    /// Method.
    pub method: Method,
    /// 依法必须招标 (the project's flag).
    pub must_tender: bool,
    /// Documents issued / on sale from.
    pub documents_from: DateTime<Utc>,
    /// Documents issued / on sale until.
    pub documents_until: DateTime<Utc>,
    /// Bid (response) deadline, also the opening.
    pub bid_deadline: DateTime<Utc>,
    /// When the notice is (to be) published; `ggzy_now()` at publication.
    pub publish_at: DateTime<Utc>,
}

impl TenderSchedule {
    /// The schedule's procedure.
    pub fn procedure(&self) -> Procedure {
        Procedure {
            category: self.category,
            method: self.method,
            must_tender: self.must_tender,
        }
    }
}

/// The stage an objection (异议) concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectionStage {
    /// The tender documents (招标投标法实施条例 第二十二条).
    Documents,
    /// The opening (第四十四条).
    Opening,
    /// The evaluation result (第五十四条).
    Result,
}

impl ObjectionStage {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectionStage::Documents => "documents",
            ObjectionStage::Opening => "opening",
            ObjectionStage::Result => "result",
        }
    }
}

impl std::str::FromStr for ObjectionStage {
    type Err = super::set::UnknownName;
    fn from_str(s: &str) -> Result<ObjectionStage, Self::Err> {
        match s {
            "documents" => Ok(ObjectionStage::Documents),
            "opening" => Ok(ObjectionStage::Opening),
            "result" => Ok(ObjectionStage::Result),
            _ => Err(super::set::UnknownName {
                what: "objection stage",
                name: s.to_owned(),
            }),
        }
    }
}

fn violation(rule: &RuleValue, detail: String) -> Violation {
    Violation {
        rule: rule.rule_id.clone(),
        citation: rule.citation.clone(),
        detail,
    }
}

/// A rule as a day-counted period: `Ok(None)` when switched off (no value), `Err` with a
/// violation when it cannot be counted in days (fail closed).
fn day_period(rule: &RuleValue) -> Result<Option<(u32, Unit)>, Violation> {
    if rule.value.is_none() {
        return Ok(None);
    }
    rule.period().map(Some).ok_or_else(|| {
        violation(
            rule,
            format!(
                "rule {} (version {}) is not a period in 日 or 工作日 ({} {}); refusing rather than \
                 guessing",
                rule.rule_id,
                rule.version,
                rule.value.map(|v| v.to_string()).unwrap_or_default(),
                rule.unit.as_str()
            ),
        )
    })
}

/// The period of `rule_id` in the rule set, or the statutory one when the rule is missing,
/// switched off or malformed: computed deadlines (publicity, replies) cannot be skipped.
fn period_or_statutory(rules: &RuleSet, rule_id: &str) -> (u32, Unit) {
    if let Some(p) = rules.get(rule_id).and_then(RuleValue::period) {
        return p;
    }
    let seed = catalog::seed(rule_id).expect("the schedule's rules are in the catalogue (tested)");
    let n = seed
        .value
        .and_then(|v| v.parse().ok())
        .expect("catalogue periods are whole numbers (tested)");
    let unit = match seed.unit {
        "working_day" => Unit::WorkingDay,
        _ => Unit::Day,
    };
    (n, unit)
}

/// What a span check reads: the rules, the calendar and the tender's procedure.
struct Ctx<'a> {
    rules: &'a RuleSet,
    calendar: &'a Calendar,
    procedure: Procedure,
}

/// Checks that `to` leaves at least the rule's period after `from`: the China date `to` closes
/// must be on or after `period_end(date of from, n, unit)`.
fn min_span(
    ctx: &Ctx<'_>,
    rule_id: &str,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    span: &str,
    out: &mut Vec<Violation>,
) -> Result<(), CalendarMissing> {
    let (rules, calendar, procedure) = (ctx.rules, ctx.calendar, ctx.procedure);
    let Some(rule) = rules.get(rule_id) else {
        return Ok(());
    };
    if !rule.applies(procedure.category, procedure.method, procedure.must_tender) {
        return Ok(());
    }
    let (n, unit) = match day_period(rule) {
        Ok(Some(p)) => p,
        Ok(None) => return Ok(()),
        Err(v) => {
            out.push(v);
            return Ok(());
        }
    };
    let start = china_date(from);
    let earliest = calendar.period_end(start, n, unit)?;
    if china_last_day(to) < earliest {
        let rollover = match unit {
            Unit::Day => ", a last day on a rest day moving to the next working day",
            Unit::WorkingDay => "",
        };
        out.push(violation(
            rule,
            format!(
                "{span} must be at least {n} {} counted from {start} (the start day not counted{rollover}): \
                 it must end on or after {earliest} (China time); given {}",
                unit.chinese(),
                show(to)
            ),
        ));
    }
    Ok(())
}

/// Checks a tender's schedule against the rule set before publication.
///
/// - `schedule.order`: documents_from < documents_until ≤ bid_deadline, and bid_deadline after
///   publish_at;
/// - construction: documents on sale ≥ 5 日 (招标投标法实施条例 第十六条); for 依法必须招标
///   projects, documents → deadline ≥ 20 日 (招标投标法 第二十四条);
/// - procurement open/invited tender: documents → deadline ≥ 20 日 (政府采购法 第三十五条),
///   documents available ≥ 5 工作日 (政府采购法实施条例 第三十一条);
/// - competitive negotiation and inquiry: documents → deadline ≥ 3 工作日 (财政部令74号);
///   competitive consultation: ≥ 10 日 and on sale ≥ 5 工作日 (财库〔2014〕214号 第十条);
/// - single source: publicity (publish → deadline) ≥ 5 工作日 (政府采购法实施条例 第三十八条;
///   the regulation requires it above the 公开招标 threshold, the platform always does).
///
/// Property and land tenders get only `schedule.order`: their periods (DOMAIN-RULES §1C, §1D)
/// are not in the catalogue yet.
pub fn check_tender_schedule(
    rules: &RuleSet,
    calendar: &Calendar,
    s: &TenderSchedule,
) -> Result<Vec<Violation>, CalendarMissing> {
    let mut out = Vec::new();
    let procedure = s.procedure();

    // Order. The citation names the statute of the line of business.
    let order_rule = rules.get("schedule.order").cloned().unwrap_or_else(|| {
        RuleSet::from_catalog()
            .get("schedule.order")
            .cloned()
            .expect("schedule.order is in the catalogue")
    });
    let order_citation = match s.category {
        Category::Procurement => rules
            .get("gp.bid_period_min")
            .map(|r| r.citation.clone())
            .unwrap_or_else(|| "政府采购法 第三十五条".to_owned()),
        _ => order_rule.citation.clone(),
    };
    let mut order = |detail: String| {
        out.push(Violation {
            rule: order_rule.rule_id.clone(),
            citation: order_citation.clone(),
            detail,
        })
    };
    if s.documents_from >= s.documents_until {
        order(format!(
            "documents_from ({}) must be before documents_until ({})",
            show(s.documents_from),
            show(s.documents_until)
        ));
    }
    if s.documents_until > s.bid_deadline {
        order(format!(
            "documents_until ({}) must not be after the bid deadline ({})",
            show(s.documents_until),
            show(s.bid_deadline)
        ));
    }
    if s.bid_deadline <= s.publish_at {
        order(format!(
            "the bid deadline ({}) must be after the publication ({})",
            show(s.bid_deadline),
            show(s.publish_at)
        ));
    }

    // Documents cannot be issued before the notice is out.
    let issued = s.documents_from.max(s.publish_at);
    let spans: [(&str, DateTime<Utc>, DateTime<Utc>, &str); 9] = [
        (
            "ztb.documents_sale_min",
            issued,
            s.documents_until,
            "the sale of the tender documents (发售期)",
        ),
        (
            "ztb.bid_period_min",
            issued,
            s.bid_deadline,
            "for a 依法必须招标 project, the time from the documents being issued to the bid deadline",
        ),
        (
            "gp.bid_period_min",
            issued,
            s.bid_deadline,
            "the time from the tender documents being issued to the bid deadline",
        ),
        (
            "gp.documents_available_min",
            issued,
            s.documents_until,
            "the period the tender documents are available (提供期限)",
        ),
        (
            "gp.negotiation_response_min",
            issued,
            s.bid_deadline,
            "the time from the negotiation documents being issued to the first response deadline",
        ),
        (
            "gp.inquiry_response_min",
            issued,
            s.bid_deadline,
            "the time from the 询价通知书 being issued to the response deadline",
        ),
        (
            "gp.consultation_response_min",
            issued,
            s.bid_deadline,
            "the time from the consultation documents being issued to the first response deadline",
        ),
        (
            "gp.consultation_documents_sale_min",
            issued,
            s.documents_until,
            "the sale of the consultation documents",
        ),
        (
            "gp.single_source_publicity_min",
            s.publish_at,
            s.bid_deadline,
            "the single-source publicity (公示) before the deadline",
        ),
    ];
    let ctx = Ctx {
        rules,
        calendar,
        procedure,
    };
    for (rule_id, from, to, span) in spans {
        min_span(&ctx, rule_id, (from, to), span, &mut out)?;
    }
    Ok(out)
}

/// Checks a clarification or amendment (澄清或者修改) issued at `now` against the bid deadline.
///
/// It needs at least 15 日 before the deadline (招标投标法实施条例 第二十一条 for construction,
/// 政府采购法实施条例 第三十一条 for procurement tenders; 5 日 for competitive consultation);
/// otherwise the deadline must be extended (顺延): with no `new_deadline`, or a new one still
/// too close, this is a violation whose detail names the earliest lawful deadline. Methods with
/// no such rule in the catalogue (negotiation, inquiry, single source, property, land) pass.
/// A new deadline must also pass [`check_tender_schedule`]; callers run both.
pub fn check_clarification(
    rules: &RuleSet,
    calendar: &Calendar,
    procedure: Procedure,
    now: DateTime<Utc>,
    current_deadline: DateTime<Utc>,
    new_deadline: Option<DateTime<Utc>>,
) -> Result<Vec<Violation>, CalendarMissing> {
    let mut out = Vec::new();
    let deadline = new_deadline.unwrap_or(current_deadline);
    for rule_id in [
        "ztb.clarification_notice_min",
        "gp.clarification_notice_min",
        "gp.consultation_clarification_min",
    ] {
        let Some(rule) = rules.get(rule_id) else {
            continue;
        };
        if !rule.applies(procedure.category, procedure.method, procedure.must_tender) {
            continue;
        }
        let (n, unit) = match day_period(rule) {
            Ok(Some(p)) => p,
            Ok(None) => continue,
            Err(v) => {
                out.push(v);
                continue;
            }
        };
        let earliest = calendar.period_end(china_date(now), n, unit)?;
        if china_last_day(deadline) >= earliest {
            continue;
        }
        let detail = match new_deadline {
            None => format!(
                "a clarification on {} comes less than {n} {} before the bid deadline ({}): the \
                 deadline must be extended (顺延) to {earliest} or later",
                china_date(now),
                unit.chinese(),
                show(current_deadline)
            ),
            Some(new) => format!(
                "the new bid deadline ({}) is less than {n} {} after the clarification on {}: it \
                 must be on or after {earliest}",
                show(new),
                unit.chinese(),
                china_date(now)
            ),
        };
        out.push(violation(rule, detail));
    }
    Ok(out)
}

/// Checks that an objection (异议) raised at `now` is inside its window (工程建设,
/// 招标投标法实施条例; also the platform's window for property and land tenders):
/// - `documents`: at least 10 日 before the bid deadline (第二十二条);
/// - `opening`: at the opening, on its day (第四十四条); pass the actual opening time as
///   `bid_deadline` if the opening was postponed;
/// - `result`: during the candidate publicity (第五十四条); `publicity_ends` is `None` while no
///   publicity has started.
///
/// Procurement 质疑 use [`check_challenge_window`] instead.
pub fn check_objection_window(
    rules: &RuleSet,
    calendar: &Calendar,
    stage: ObjectionStage,
    now: DateTime<Utc>,
    bid_deadline: DateTime<Utc>,
    publicity_ends: Option<DateTime<Utc>>,
) -> Result<Vec<Violation>, CalendarMissing> {
    let mut out = Vec::new();
    let rule_id = match stage {
        ObjectionStage::Documents => "ztb.objection_documents_before_deadline",
        ObjectionStage::Opening => "ztb.objection_at_opening",
        ObjectionStage::Result => "ztb.objection_result_in_publicity",
    };
    let Some(rule) = rules.get(rule_id) else {
        return Ok(out);
    };
    match stage {
        ObjectionStage::Documents => {
            let (n, unit) = match day_period(rule) {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(out),
                Err(v) => {
                    out.push(v);
                    return Ok(out);
                }
            };
            let latest = calendar.latest_day_before(china_last_day(bid_deadline), n, unit)?;
            if now >= bid_deadline || china_date(now) > latest {
                out.push(violation(
                    rule,
                    format!(
                        "an objection to the tender documents must be raised {n} {} before the bid \
                         deadline ({}), i.e. by {latest} (China time); raised {}",
                        unit.chinese(),
                        show(bid_deadline),
                        show(now)
                    ),
                ));
            }
        }
        ObjectionStage::Opening => {
            if now < bid_deadline || china_date(now) != china_date(bid_deadline) {
                out.push(violation(
                    rule,
                    format!(
                        "an objection to the opening is raised at the opening ({}), on its day; \
                         raised {}",
                        show(bid_deadline),
                        show(now)
                    ),
                ));
            }
        }
        ObjectionStage::Result => match publicity_ends {
            Some(end) if now <= end && now >= bid_deadline => {}
            Some(end) => out.push(violation(
                rule,
                format!(
                    "an objection to the result is raised during the candidate publicity, which \
                     ended {}; raised {}",
                    show(end),
                    show(now)
                ),
            )),
            None => out.push(violation(
                rule,
                format!(
                    "an objection to the result is raised during the candidate publicity, which \
                     has not started; raised {}",
                    show(now)
                ),
            )),
        },
    }
    Ok(out)
}

/// Checks that a procurement 质疑 raised at `now` comes within 7 工作日 of `aware_from`, the day
/// the supplier knew or ought to have known (政府采购法 第五十二条; for documents, their receipt
/// or the end of the notice period; for the result, the end of the result notice period).
pub fn check_challenge_window(
    rules: &RuleSet,
    calendar: &Calendar,
    aware_from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Violation>, CalendarMissing> {
    let mut out = Vec::new();
    let Some(rule) = rules.get("gp.challenge_max") else {
        return Ok(out);
    };
    let (n, unit) = match day_period(rule) {
        Ok(Some(p)) => p,
        Ok(None) => return Ok(out),
        Err(v) => return Ok(vec![v]),
    };
    let last = calendar.period_end(china_date(aware_from), n, unit)?;
    if china_date(now) > last {
        out.push(violation(
            rule,
            format!(
                "a 质疑 is raised within {n} {} of {}: by {last} (China time); raised {}",
                unit.chinese(),
                china_date(aware_from),
                show(now)
            ),
        ));
    }
    Ok(out)
}

/// When a period of `rule_id` starting at `start` ends: 24:00 China time of its last day, or
/// `None` if the rule set has no day-counted period with that id.
pub fn period_deadline(
    rules: &RuleSet,
    calendar: &Calendar,
    rule_id: &str,
    start: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, CalendarMissing> {
    let Some((n, unit)) = rules.get(rule_id).and_then(RuleValue::period) else {
        return Ok(None);
    };
    Ok(Some(end_of_day(calendar.period_end(
        china_date(start),
        n,
        unit,
    )?)))
}

/// When the candidate publicity (中标候选人公示) started at `start` ends: at least 3 日
/// (招标投标法实施条例 第五十四条), ending at 24:00 China time of the last day.
pub fn publicity_end(
    rules: &RuleSet,
    calendar: &Calendar,
    start: DateTime<Utc>,
) -> Result<DateTime<Utc>, CalendarMissing> {
    let (n, unit) = period_or_statutory(rules, "ztb.publicity_min");
    Ok(end_of_day(calendar.period_end(
        china_date(start),
        n,
        unit,
    )?))
}

/// When the reply to an objection received at `received_at` is due: 3 日 for documents and
/// result objections (招标投标法实施条例 第二十二条, 第五十四条), ending at 24:00 China time;
/// an opening objection is answered on the spot (第四十四条), so by the end of that day.
pub fn objection_reply_due(
    rules: &RuleSet,
    calendar: &Calendar,
    stage: ObjectionStage,
    received_at: DateTime<Utc>,
) -> Result<DateTime<Utc>, CalendarMissing> {
    let rule_id = match stage {
        ObjectionStage::Documents => "ztb.objection_reply_max",
        ObjectionStage::Result => "ztb.result_objection_reply_max",
        ObjectionStage::Opening => return Ok(end_of_day(china_date(received_at))),
    };
    let (n, unit) = period_or_statutory(rules, rule_id);
    Ok(end_of_day(calendar.period_end(
        china_date(received_at),
        n,
        unit,
    )?))
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::rules::set::RuleUnit;

    /// An instant given in China time.
    fn cst(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        china()
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("valid")
            .with_timezone(&Utc)
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid")
    }

    fn cal() -> Calendar {
        Calendar::seeded()
    }

    fn rules() -> RuleSet {
        RuleSet::from_catalog()
    }

    /// A must-tender construction open tender published 2026-03-02, documents on sale
    /// 2026-03-03 09:00 to 2026-03-10 17:00.
    fn construction(deadline: DateTime<Utc>) -> TenderSchedule {
        TenderSchedule {
            category: Category::Construction,
            method: Method::OpenTender,
            must_tender: true,
            documents_from: cst(2026, 3, 3, 9, 0),
            documents_until: cst(2026, 3, 10, 17, 0),
            bid_deadline: deadline,
            publish_at: cst(2026, 3, 2, 9, 0),
        }
    }

    fn ids(v: &[Violation]) -> Vec<&str> {
        v.iter().map(|v| v.rule.as_str()).collect()
    }

    #[test]
    fn must_tender_construction_19_days_violates_article_24_and_20_days_does_not() {
        // Documents from Wed 2026-03-04: Mon 03-23 is the 19th day, Tue 03-24 the 20th. Both are
        // working days, so counting the start day (or not moving) would let 19 days through.
        let tender = |deadline| TenderSchedule {
            documents_from: cst(2026, 3, 4, 9, 0),
            publish_at: cst(2026, 3, 3, 9, 0),
            ..construction(deadline)
        };
        let v = check_tender_schedule(&rules(), &cal(), &tender(cst(2026, 3, 23, 9, 30)))
            .expect("2026 calendar");
        assert_eq!(ids(&v), vec!["ztb.bid_period_min"]);
        assert_eq!(v[0].citation, "招标投标法 第二十四条");
        assert!(
            v[0].detail.contains("on or after 2026-03-24"),
            "{}",
            v[0].detail
        );
        assert!(
            v[0].detail.contains("given 2026-03-23 09:30 +08:00"),
            "{}",
            v[0].detail
        );

        let v = check_tender_schedule(&rules(), &cal(), &tender(cst(2026, 3, 24, 9, 30)))
            .expect("2026 calendar");
        assert_eq!(v, vec![]);
    }

    #[test]
    fn a_deadline_at_midnight_closes_the_previous_day() {
        // 2026-03-23 00:00 is 24:00 of 2026-03-22: still 19 日.
        let v = check_tender_schedule(&rules(), &cal(), &construction(cst(2026, 3, 23, 0, 0)))
            .expect("2026 calendar");
        assert_eq!(ids(&v), vec!["ztb.bid_period_min"]);
        let v = check_tender_schedule(&rules(), &cal(), &construction(cst(2026, 3, 23, 0, 1)))
            .expect("2026 calendar");
        assert_eq!(v, vec![]);
    }

    #[test]
    fn the_20th_day_in_the_national_day_holiday_moves_the_minimum_to_october_9() {
        // Documents from Fri 2025-09-12; the 20th day is 2025-10-02, inside 10-01..08.
        let mut s = TenderSchedule {
            category: Category::Construction,
            method: Method::OpenTender,
            must_tender: true,
            documents_from: cst(2025, 9, 12, 9, 0),
            documents_until: cst(2025, 9, 19, 17, 0),
            bid_deadline: cst(2025, 10, 8, 10, 0),
            publish_at: cst(2025, 9, 11, 9, 0),
        };
        let v = check_tender_schedule(&rules(), &cal(), &s).expect("2025 calendar");
        assert_eq!(ids(&v), vec!["ztb.bid_period_min"]);
        assert!(
            v[0].detail.contains("on or after 2025-10-09"),
            "{}",
            v[0].detail
        );
        s.bid_deadline = cst(2025, 10, 9, 10, 0);
        assert_eq!(check_tender_schedule(&rules(), &cal(), &s), Ok(vec![]));
    }

    #[test]
    fn non_must_tender_construction_has_no_20_day_minimum_but_keeps_the_order() {
        let mut s = construction(cst(2026, 3, 12, 9, 30));
        s.must_tender = false;
        assert_eq!(check_tender_schedule(&rules(), &cal(), &s), Ok(vec![]));
        // Deadline before the documents start.
        s.bid_deadline = cst(2026, 3, 3, 8, 0);
        let v = check_tender_schedule(&rules(), &cal(), &s).expect("2026 calendar");
        assert_eq!(ids(&v), vec!["schedule.order"]);
        assert!(v.iter().all(|v| v.citation == "招标投标法 第二十四条"));
        assert!(v[0].detail.contains("must not be after the bid deadline"));
    }

    #[test]
    fn the_order_of_the_schedule_is_checked() {
        let mut s = construction(cst(2026, 3, 23, 9, 30));
        s.documents_until = s.documents_from;
        s.publish_at = cst(2026, 3, 24, 9, 0);
        let v = check_tender_schedule(&rules(), &cal(), &s).expect("2026 calendar");
        let order: Vec<_> = v.iter().filter(|v| v.rule == "schedule.order").collect();
        assert_eq!(order.len(), 2, "{v:?}");
        assert!(order[0].detail.contains("must be before documents_until"));
        assert!(order[1].detail.contains("must be after the publication"));
    }

    #[test]
    fn construction_documents_are_on_sale_at_least_5_days() {
        let mut s = construction(cst(2026, 3, 23, 9, 30));
        // 03-03 + 5 = 03-08, a Sunday: the minimum moves to Monday 03-09.
        s.documents_until = cst(2026, 3, 8, 17, 0);
        let v = check_tender_schedule(&rules(), &cal(), &s).expect("2026 calendar");
        assert_eq!(ids(&v), vec!["ztb.documents_sale_min"]);
        assert_eq!(v[0].citation, "招标投标法实施条例 第十六条");
        assert!(v[0].detail.contains("2026-03-09"), "{}", v[0].detail);
        s.documents_until = cst(2026, 3, 9, 17, 0);
        assert_eq!(check_tender_schedule(&rules(), &cal(), &s), Ok(vec![]));
    }

    #[test]
    fn periods_count_from_the_publication_when_documents_start_earlier() {
        // documents_from before the notice is out: the 20 日 run from the publication.
        let mut s = construction(cst(2026, 3, 23, 9, 30));
        s.documents_from = cst(2026, 3, 1, 9, 0);
        s.publish_at = cst(2026, 3, 4, 9, 0);
        let v = check_tender_schedule(&rules(), &cal(), &s).expect("2026 calendar");
        assert_eq!(ids(&v), vec!["ztb.bid_period_min"]);
        assert!(v[0].detail.contains("2026-03-24"), "{}", v[0].detail);
    }

    fn procurement(
        method: Method,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        deadline: DateTime<Utc>,
    ) -> TenderSchedule {
        TenderSchedule {
            category: Category::Procurement,
            method,
            must_tender: false,
            documents_from: from,
            documents_until: until,
            bid_deadline: deadline,
            publish_at: from,
        }
    }

    #[test]
    fn procurement_tender_needs_20_days_and_5_working_days_of_documents() {
        // From Fri 2026-02-13 across the Spring Festival: 5 工作日 = 02-14 (make-up Sat), 24,
        // 25, 26, 27; 20 日 = 2026-03-05 (Thu).
        let from = cst(2026, 2, 13, 9, 0);
        let s = procurement(
            Method::OpenTender,
            from,
            cst(2026, 2, 26, 17, 0),
            cst(2026, 3, 4, 9, 30),
        );
        let v = check_tender_schedule(&rules(), &cal(), &s).expect("2026 calendar");
        assert_eq!(
            ids(&v),
            vec!["gp.bid_period_min", "gp.documents_available_min"]
        );
        assert_eq!(v[0].citation, "政府采购法 第三十五条");
        assert!(v[0].detail.contains("2026-03-05"), "{}", v[0].detail);
        assert_eq!(v[1].citation, "政府采购法实施条例 第三十一条");
        assert!(v[1].detail.contains("2026-02-27"), "{}", v[1].detail);
        assert!(v[1].detail.contains("工作日"), "{}", v[1].detail);

        let ok = procurement(
            Method::InvitedTender,
            from,
            cst(2026, 2, 27, 17, 0),
            cst(2026, 3, 5, 9, 30),
        );
        assert_eq!(check_tender_schedule(&rules(), &cal(), &ok), Ok(vec![]));
        // Procurement order violations cite the procurement law.
        let mut bad = ok;
        bad.documents_until = cst(2026, 3, 6, 9, 0);
        let v = check_tender_schedule(&rules(), &cal(), &bad).expect("2026 calendar");
        assert_eq!(ids(&v), vec!["schedule.order"]);
        assert_eq!(v[0].citation, "政府采购法 第三十五条");
    }

    #[test]
    fn negotiation_and_inquiry_need_3_working_days() {
        // From Tue 2025-09-30: 3 工作日 = 10-09, 10-10, 10-11 (make-up Saturday).
        let from = cst(2025, 9, 30, 9, 0);
        let until = cst(2025, 10, 9, 17, 0);
        for (method, rule, citation) in [
            (
                Method::CompetitiveNegotiation,
                "gp.negotiation_response_min",
                "政府采购非招标采购方式管理办法 第二十九条",
            ),
            (
                Method::Inquiry,
                "gp.inquiry_response_min",
                "政府采购非招标采购方式管理办法 第四十五条",
            ),
        ] {
            let s = procurement(method, from, until, cst(2025, 10, 10, 17, 0));
            let v = check_tender_schedule(&rules(), &cal(), &s).expect("2025 calendar");
            assert_eq!(ids(&v), vec![rule]);
            assert_eq!(v[0].citation, citation);
            assert!(v[0].detail.contains("2025-10-11"), "{}", v[0].detail);
            let s = procurement(method, from, until, cst(2025, 10, 11, 9, 0));
            assert_eq!(check_tender_schedule(&rules(), &cal(), &s), Ok(vec![]));
        }
    }

    #[test]
    fn consultation_needs_10_days_and_5_working_days_of_sale() {
        // From Mon 2026-03-02: 10 日 = 03-12 (Thu); 5 工作日 = 03-09 (Mon).
        let from = cst(2026, 3, 2, 9, 0);
        let s = procurement(
            Method::CompetitiveConsultation,
            from,
            cst(2026, 3, 6, 17, 0),
            cst(2026, 3, 11, 9, 0),
        );
        let v = check_tender_schedule(&rules(), &cal(), &s).expect("2026 calendar");
        assert_eq!(
            ids(&v),
            vec![
                "gp.consultation_response_min",
                "gp.consultation_documents_sale_min"
            ]
        );
        assert_eq!(
            v[0].citation,
            "政府采购竞争性磋商采购方式管理暂行办法 第十条"
        );
        let s = procurement(
            Method::CompetitiveConsultation,
            from,
            cst(2026, 3, 9, 17, 0),
            cst(2026, 3, 12, 9, 0),
        );
        assert_eq!(check_tender_schedule(&rules(), &cal(), &s), Ok(vec![]));
    }

    #[test]
    fn single_source_publicity_needs_5_working_days() {
        // Published Tue 2025-09-30: 5 工作日 = 10-09, 10, 11, 13, 14.
        let from = cst(2025, 9, 30, 9, 0);
        let until = cst(2025, 10, 9, 17, 0);
        let s = procurement(Method::SingleSource, from, until, cst(2025, 10, 13, 17, 0));
        let v = check_tender_schedule(&rules(), &cal(), &s).expect("2025 calendar");
        assert_eq!(ids(&v), vec!["gp.single_source_publicity_min"]);
        assert_eq!(v[0].citation, "政府采购法实施条例 第三十八条");
        assert!(v[0].detail.contains("2025-10-14"), "{}", v[0].detail);
        let s = procurement(Method::SingleSource, from, until, cst(2025, 10, 14, 9, 0));
        assert_eq!(check_tender_schedule(&rules(), &cal(), &s), Ok(vec![]));
    }

    #[test]
    fn land_and_property_get_only_the_order() {
        for category in [Category::Land, Category::Property] {
            // 12 日 would break the 20-日 rule of a construction tender.
            let mut s = construction(cst(2026, 3, 12, 9, 30));
            s.category = category;
            assert_eq!(check_tender_schedule(&rules(), &cal(), &s), Ok(vec![]));
        }
    }

    #[test]
    fn a_period_reaching_a_year_without_calendar_is_refused() {
        let s = TenderSchedule {
            category: Category::Construction,
            method: Method::OpenTender,
            must_tender: true,
            documents_from: cst(2026, 12, 20, 9, 0),
            documents_until: cst(2026, 12, 25, 17, 0),
            bid_deadline: cst(2027, 1, 15, 9, 0),
            publish_at: cst(2026, 12, 19, 9, 0),
        };
        assert_eq!(
            check_tender_schedule(&rules(), &cal(), &s),
            Err(CalendarMissing { year: 2027 })
        );
    }

    #[test]
    fn a_newer_rule_version_changes_the_check() {
        let deadline = cst(2026, 3, 23, 9, 30);
        // 25 日 from a newer version: 20 日 no longer suffice.
        let longer = rules().with(
            "ztb.bid_period_min",
            Some(Decimal::from(25)),
            RuleUnit::Day,
            "招标投标法 第二十四条",
        );
        let v = check_tender_schedule(&longer, &cal(), &construction(deadline)).expect("2026");
        assert_eq!(ids(&v), vec!["ztb.bid_period_min"]);
        assert!(v[0].detail.contains("at least 25 日"), "{}", v[0].detail);
        // Switched off (no value): no check.
        let off = rules().with(
            "ztb.bid_period_min",
            None,
            RuleUnit::Day,
            "招标投标法 第二十四条",
        );
        let early = construction(cst(2026, 3, 12, 9, 30));
        assert_eq!(check_tender_schedule(&off, &cal(), &early), Ok(vec![]));
        // Not countable in days: refused, not skipped.
        let hours = rules().with(
            "ztb.bid_period_min",
            Some(Decimal::from(20)),
            RuleUnit::Hour,
            "招标投标法 第二十四条",
        );
        let v = check_tender_schedule(&hours, &cal(), &construction(deadline)).expect("2026");
        assert_eq!(ids(&v), vec!["ztb.bid_period_min"]);
        assert!(v[0].detail.contains("refusing"), "{}", v[0].detail);
    }

    fn construction_procedure() -> Procedure {
        Procedure {
            category: Category::Construction,
            method: Method::OpenTender,
            must_tender: true,
        }
    }

    #[test]
    fn clarification_needs_15_days_or_an_extended_deadline() {
        let p = construction_procedure();
        let now = cst(2026, 3, 10, 10, 0);
        let deadline = cst(2026, 3, 23, 9, 30);
        // 13 日 left, no new deadline: 03-10 + 15 = 03-25 (Wed).
        let v = check_clarification(&rules(), &cal(), p, now, deadline, None).expect("2026");
        assert_eq!(ids(&v), vec!["ztb.clarification_notice_min"]);
        assert_eq!(v[0].citation, "招标投标法实施条例 第二十一条");
        assert!(v[0].detail.contains("extended"), "{}", v[0].detail);
        assert!(v[0].detail.contains("2026-03-25"), "{}", v[0].detail);
        // A new deadline still too close.
        let v = check_clarification(
            &rules(),
            &cal(),
            p,
            now,
            deadline,
            Some(cst(2026, 3, 24, 9, 30)),
        )
        .expect("2026");
        assert_eq!(ids(&v), vec!["ztb.clarification_notice_min"]);
        assert!(v[0].detail.contains("new bid deadline"), "{}", v[0].detail);
        // Far enough.
        assert_eq!(
            check_clarification(
                &rules(),
                &cal(),
                p,
                now,
                deadline,
                Some(cst(2026, 3, 25, 9, 30))
            ),
            Ok(vec![])
        );
        // Early enough without a new deadline.
        assert_eq!(
            check_clarification(&rules(), &cal(), p, cst(2026, 3, 8, 10, 0), deadline, None),
            Ok(vec![])
        );
    }

    #[test]
    fn clarification_rules_follow_the_procedure() {
        let now = cst(2026, 3, 10, 10, 0);
        let deadline = cst(2026, 3, 23, 9, 30);
        let gp = Procedure {
            category: Category::Procurement,
            method: Method::OpenTender,
            must_tender: false,
        };
        let v = check_clarification(&rules(), &cal(), gp, now, deadline, None).expect("2026");
        assert_eq!(ids(&v), vec!["gp.clarification_notice_min"]);
        assert_eq!(v[0].citation, "政府采购法实施条例 第三十一条");
        // Consultation: 5 日. 03-10 + 5 = 03-15 (Sun) → 03-16.
        let consult = Procedure {
            method: Method::CompetitiveConsultation,
            ..gp
        };
        let close = cst(2026, 3, 15, 9, 0);
        let v = check_clarification(&rules(), &cal(), consult, now, close, None).expect("2026");
        assert_eq!(ids(&v), vec!["gp.consultation_clarification_min"]);
        assert!(v[0].detail.contains("2026-03-16"), "{}", v[0].detail);
        assert_eq!(
            check_clarification(&rules(), &cal(), consult, now, deadline, None),
            Ok(vec![])
        );
        // No catalogue rule for inquiry clarifications.
        let inquiry = Procedure {
            method: Method::Inquiry,
            ..gp
        };
        assert_eq!(
            check_clarification(&rules(), &cal(), inquiry, now, close, None),
            Ok(vec![])
        );
    }

    #[test]
    fn documents_objection_closes_10_days_before_the_deadline() {
        let deadline = cst(2026, 3, 23, 9, 30);
        let stage = ObjectionStage::Documents;
        assert_eq!(
            check_objection_window(
                &rules(),
                &cal(),
                stage,
                cst(2026, 3, 13, 23, 0),
                deadline,
                None
            ),
            Ok(vec![])
        );
        let v = check_objection_window(
            &rules(),
            &cal(),
            stage,
            cst(2026, 3, 14, 8, 0),
            deadline,
            None,
        )
        .expect("2026");
        assert_eq!(ids(&v), vec!["ztb.objection_documents_before_deadline"]);
        assert_eq!(v[0].citation, "招标投标法实施条例 第二十二条");
        assert!(v[0].detail.contains("by 2026-03-13"), "{}", v[0].detail);
    }

    #[test]
    fn opening_objection_is_raised_at_the_opening() {
        let opening = cst(2026, 3, 23, 9, 30);
        let stage = ObjectionStage::Opening;
        assert_eq!(
            check_objection_window(
                &rules(),
                &cal(),
                stage,
                cst(2026, 3, 23, 10, 0),
                opening,
                None
            ),
            Ok(vec![])
        );
        for late_or_early in [cst(2026, 3, 23, 9, 0), cst(2026, 3, 24, 9, 0)] {
            let v = check_objection_window(&rules(), &cal(), stage, late_or_early, opening, None)
                .expect("no calendar needed");
            assert_eq!(ids(&v), vec!["ztb.objection_at_opening"]);
            assert_eq!(v[0].citation, "招标投标法实施条例 第四十四条");
        }
    }

    #[test]
    fn result_objection_is_raised_during_publicity() {
        let deadline = cst(2026, 3, 23, 9, 30);
        let ends = cst(2026, 3, 31, 0, 0);
        let stage = ObjectionStage::Result;
        assert_eq!(
            check_objection_window(
                &rules(),
                &cal(),
                stage,
                cst(2026, 3, 30, 23, 59),
                deadline,
                Some(ends)
            ),
            Ok(vec![])
        );
        let v = check_objection_window(
            &rules(),
            &cal(),
            stage,
            cst(2026, 3, 31, 0, 1),
            deadline,
            Some(ends),
        )
        .expect("no calendar needed");
        assert_eq!(ids(&v), vec!["ztb.objection_result_in_publicity"]);
        assert_eq!(v[0].citation, "招标投标法实施条例 第五十四条");
        let v = check_objection_window(
            &rules(),
            &cal(),
            stage,
            cst(2026, 3, 25, 9, 0),
            deadline,
            None,
        )
        .expect("no calendar needed");
        assert_eq!(ids(&v), vec!["ztb.objection_result_in_publicity"]);
    }

    #[test]
    fn publicity_runs_at_least_3_days_to_24_00_china_time() {
        // Started Wed 2026-03-25: + 3 = Sat 03-28, a rest day → Mon 03-30, ends 24:00.
        assert_eq!(
            publicity_end(&rules(), &cal(), cst(2026, 3, 25, 10, 0)),
            Ok(cst(2026, 3, 31, 0, 0))
        );
        assert_eq!(
            publicity_end(&rules(), &cal(), cst(2026, 3, 25, 10, 0)).map(|t| t.to_rfc3339()),
            Ok("2026-03-30T16:00:00+00:00".to_owned())
        );
        // Started Mon 2025-09-29: + 3 = 10-02, National Day → ends 24:00 on 2025-10-09.
        assert_eq!(
            publicity_end(&rules(), &cal(), cst(2025, 9, 29, 10, 0)),
            Ok(cst(2025, 10, 10, 0, 0))
        );
        // A switched-off rule cannot shorten the statutory publicity.
        let off = rules().with(
            "ztb.publicity_min",
            None,
            RuleUnit::Day,
            "招标投标法实施条例 第五十四条",
        );
        assert_eq!(
            publicity_end(&off, &cal(), cst(2026, 3, 25, 10, 0)),
            Ok(cst(2026, 3, 31, 0, 0))
        );
        assert_eq!(
            publicity_end(&rules(), &cal(), cst(2026, 12, 30, 10, 0)),
            Err(CalendarMissing { year: 2027 })
        );
    }

    #[test]
    fn objection_replies_are_due_in_3_days() {
        // Received Tue 2026-03-10: due 24:00 Fri 03-13.
        let received = cst(2026, 3, 10, 15, 0);
        for stage in [ObjectionStage::Documents, ObjectionStage::Result] {
            assert_eq!(
                objection_reply_due(&rules(), &cal(), stage, received),
                Ok(cst(2026, 3, 14, 0, 0))
            );
        }
        // On site at the opening: by the end of that day.
        assert_eq!(
            objection_reply_due(&rules(), &cal(), ObjectionStage::Opening, received),
            Ok(cst(2026, 3, 11, 0, 0))
        );
        // Received Thu 2026-02-12: + 3 = 02-15, Spring Festival → due 24:00 on 02-24.
        assert_eq!(
            objection_reply_due(
                &rules(),
                &cal(),
                ObjectionStage::Documents,
                cst(2026, 2, 12, 9, 0)
            ),
            Ok(cst(2026, 2, 25, 0, 0))
        );
    }

    #[test]
    fn procurement_challenge_within_7_working_days() {
        // Aware Tue 2025-09-30: 7 工作日 = 10-09, 10, 11, 13, 14, 15, 16.
        let aware = cst(2025, 9, 30, 9, 0);
        assert_eq!(
            check_challenge_window(&rules(), &cal(), aware, cst(2025, 10, 16, 23, 0)),
            Ok(vec![])
        );
        let v =
            check_challenge_window(&rules(), &cal(), aware, cst(2025, 10, 17, 9, 0)).expect("2025");
        assert_eq!(ids(&v), vec!["gp.challenge_max"]);
        assert_eq!(v[0].citation, "政府采购法 第五十二条");
    }

    #[test]
    fn period_deadline_is_24_00_of_the_last_day() {
        // Contract within 30 日 of an award notice on 2025-09-08: 10-08 is a holiday → 10-09.
        assert_eq!(
            period_deadline(
                &rules(),
                &cal(),
                "ztb.contract_signing_max",
                cst(2025, 9, 8, 10, 0)
            ),
            Ok(Some(cst(2025, 10, 10, 0, 0)))
        );
        assert_eq!(
            period_deadline(
                &rules(),
                &cal(),
                "ztb.candidates_max",
                cst(2025, 9, 8, 10, 0)
            ),
            Ok(None)
        );
    }

    #[test]
    fn china_time_helpers() {
        assert_eq!(china_date(cst(2026, 3, 23, 0, 30)), day(2026, 3, 23));
        // 2026-03-22T16:30Z is 00:30 on the 23rd in China.
        let t = DateTime::parse_from_rfc3339("2026-03-22T16:30:00Z")
            .expect("rfc3339")
            .with_timezone(&Utc);
        assert_eq!(china_date(t), day(2026, 3, 23));
        assert_eq!(china_last_day(cst(2026, 3, 23, 0, 0)), day(2026, 3, 22));
        assert_eq!(china_last_day(cst(2026, 3, 23, 0, 1)), day(2026, 3, 23));
        assert_eq!(end_of_day(day(2026, 3, 22)), cst(2026, 3, 23, 0, 0));
        assert_eq!("result".parse(), Ok(ObjectionStage::Result));
        assert!("results".parse::<ObjectionStage>().is_err());
    }

    #[test]
    fn every_rule_the_schedule_reads_is_in_the_catalogue() {
        for id in [
            "schedule.order",
            "ztb.documents_sale_min",
            "ztb.bid_period_min",
            "gp.bid_period_min",
            "gp.documents_available_min",
            "gp.negotiation_response_min",
            "gp.inquiry_response_min",
            "gp.consultation_response_min",
            "gp.consultation_documents_sale_min",
            "gp.single_source_publicity_min",
            "ztb.clarification_notice_min",
            "gp.clarification_notice_min",
            "gp.consultation_clarification_min",
            "ztb.objection_documents_before_deadline",
            "ztb.objection_at_opening",
            "ztb.objection_result_in_publicity",
            "ztb.objection_reply_max",
            "ztb.result_objection_reply_max",
            "ztb.publicity_min",
            "gp.challenge_max",
        ] {
            assert!(catalog::seed(id).is_some(), "{id}");
        }
    }
}
