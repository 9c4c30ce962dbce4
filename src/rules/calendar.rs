//! The holiday calendar and day counting (DOMAIN-RULES.md §1E, DESIGN.md §3).
//!
//! Periods are counted as 民法典 第二百零一条–第二百零三条 (and 87号令 第八十五条) say:
//! - the start day is not counted; counting begins the next day (第二百零一条);
//! - if the last day of a period counted in 日 is a 法定休假日, the period ends on the first day
//!   after it (第二百零三条). A 法定休假日 here is a State Council holiday or a weekend that is
//!   not a make-up working day (调休上班);
//! - a period in 工作日 counts only working days, which need the State Council's yearly notice
//!   including the make-up weekends. That notice is data (one [`YearCalendar`] per year, kept by
//!   the regulator, `PUT /calendar/{year}`), never a weekday formula.
//! - a year without the notice is *provisional* (DOMAIN-RULES §8.12): its statutory days off are
//!   fixed by 国务院令第795号 and computed here ([`statutory_days_off`], the lunar dates and the
//!   清明 solar term by the 寿星 astronomical algorithms of `tyme4rs`); its 调休 is unknown, so
//!   every weekday near a holiday may still become a day off and every weekend day near one a
//!   make-up working day. Such a year is read the long way by default ([`Reading::Longest`]:
//!   every possible day off is a day off, no make-up working day), so a minimum period is never
//!   shorter than the notice can make it and a party's window never closes before the notice
//!   could close it; a due date owed to a party can be read the short way
//!   ([`Calendar::earliest`]). Only years outside [`SEED_FIRST_YEAR`]..=[`PROVISIONAL_LAST_YEAR`]
//!   are [`CalendarMissing`] (`422 calendar_missing`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Serialize;

/// A period's unit: 日 (calendar days) or 工作日 (working days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// 日: calendar days; a last day that is a rest day moves to the next working day.
    Day,
    /// 工作日: working days per the State Council calendar.
    WorkingDay,
}

impl Unit {
    /// The stored name (`day`, `working_day`).
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Day => "day",
            Unit::WorkingDay => "working_day",
        }
    }

    /// The Chinese name used in violation details (日, 工作日).
    pub fn chinese(self) -> &'static str {
        match self {
            Unit::Day => "日",
            Unit::WorkingDay => "工作日",
        }
    }
}

/// A date needed by a period falls in a year with no calendar (`422 calendar_missing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("no holiday calendar for {year}: a period reaching it cannot be counted")]
pub struct CalendarMissing {
    /// The year without a calendar.
    pub year: i32,
}

/// Why a year's calendar is refused (`PUT /calendar/{year}` validation).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidCalendar {
    /// A listed date is not in the calendar's year.
    #[error("{date} is not in {year}")]
    OutsideYear {
        /// The calendar's year.
        year: i32,
        /// The offending date.
        date: NaiveDate,
    },
    /// A date is listed both as a holiday and as a make-up working day.
    #[error("{0} is listed both as a holiday and as a make-up working day")]
    Both(NaiveDate),
    /// A make-up working day that is not a Saturday or Sunday (weekdays are working days anyway).
    #[error("{0} is a weekday; make-up working days are weekends")]
    WorkdayNotWeekend(NaiveDate),
    /// The year is outside what the database accepts (2000–2200).
    #[error("year {0} is out of range")]
    Year(i32),
}

/// One year's State Council notice (国务院办公厅关于<year>年部分节假日安排的通知) as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearCalendar {
    /// The year.
    pub year: i32,
    /// Statutory holidays (放假), weekend days inside a holiday included.
    pub holidays: BTreeSet<NaiveDate>,
    /// Make-up working days on weekends (调休上班).
    pub workdays: BTreeSet<NaiveDate>,
    /// Where the data comes from.
    pub source: String,
    /// No State Council notice behind it: the statutory days off of 国务院令第795号 only, the
    /// 调休 unknown (DOMAIN-RULES §8.12).
    pub provisional: bool,
    /// Provisional years only: weekdays near a holiday that the notice may still make days off
    /// (bridging 调休 or 补休 for a holiday on a weekend).
    pub possible_days_off: BTreeSet<NaiveDate>,
    /// Provisional years only: weekend days near a holiday that the notice may still make
    /// make-up working days (调休上班).
    pub possible_workdays: BTreeSet<NaiveDate>,
}

/// How the unknown 调休 of a provisional year is read (DECISIONS 111).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reading {
    /// Every possible day off is a day off and no weekend is a make-up working day: every
    /// period ends on or after the day the notice can make it end (minimum periods, a party's
    /// own window).
    #[default]
    Longest,
    /// No possible day off is one and every possible make-up day is a working day: every
    /// period ends on or before the day the notice can make it end (a due date owed to a party).
    Shortest,
}

impl YearCalendar {
    /// Checks the data is self-consistent: dates in the year, no date both holiday and workday,
    /// make-up working days on weekends.
    pub fn validate(&self) -> Result<(), InvalidCalendar> {
        if !(2000..=2200).contains(&self.year) {
            return Err(InvalidCalendar::Year(self.year));
        }
        for &date in self.holidays.iter().chain(&self.workdays) {
            if date.year() != self.year {
                return Err(InvalidCalendar::OutsideYear {
                    year: self.year,
                    date,
                });
            }
        }
        if let Some(&d) = self.holidays.intersection(&self.workdays).next() {
            return Err(InvalidCalendar::Both(d));
        }
        if let Some(&d) = self.workdays.iter().find(|d| !is_weekend(**d)) {
            return Err(InvalidCalendar::WorkdayNotWeekend(d));
        }
        Ok(())
    }

    /// Whether `date` (which must be in this year) is a working day: a weekday that is not a
    /// holiday, or a listed make-up working day; on a provisional year as `reading` takes the
    /// unknown 调休.
    fn is_working_day(&self, date: NaiveDate, reading: Reading) -> bool {
        if self.workdays.contains(&date) {
            return true;
        }
        if self.holidays.contains(&date) {
            return false;
        }
        if !self.provisional {
            return !is_weekend(date);
        }
        match reading {
            Reading::Longest => !is_weekend(date) && !self.possible_days_off.contains(&date),
            Reading::Shortest => !is_weekend(date) || self.possible_workdays.contains(&date),
        }
    }
}

/// Set when a count read a provisional year; shared by the clones of one calendar so a request
/// can say `"calendar": "provisional"` (it never takes part in equality).
#[derive(Debug, Clone, Default)]
pub struct ProvisionalUse(Arc<AtomicBool>);

impl ProvisionalUse {
    /// Whether a count has read a provisional year.
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

impl PartialEq for ProvisionalUse {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for ProvisionalUse {}

/// The regulator's calendar: the years it has data for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    /// One calendar per year.
    pub years: BTreeMap<i32, YearCalendar>,
    /// Years not in `years` but in [`SEED_FIRST_YEAR`]..=[`PROVISIONAL_LAST_YEAR`] are read as
    /// provisional ([`provisional_year`]) instead of [`CalendarMissing`].
    pub provisional_fallback: bool,
    /// How provisional years are read.
    pub reading: Reading,
    /// Whether a count read a provisional year.
    pub used_provisional: ProvisionalUse,
}

impl Calendar {
    /// An empty calendar (every date is [`CalendarMissing`]).
    pub fn new() -> Calendar {
        Calendar::default()
    }

    /// A calendar holding `years`.
    pub fn from_years(years: impl IntoIterator<Item = YearCalendar>) -> Calendar {
        let mut c = Calendar::new();
        for y in years {
            c.insert(y);
        }
        c
    }

    /// The calendar seeded from the `chinese_holiday` crate ([`seed_years`]).
    pub fn seeded() -> Calendar {
        Calendar::from_years(seed_years())
    }

    /// Adds or replaces a year; returns the year it replaced.
    pub fn insert(&mut self, year: YearCalendar) -> Option<YearCalendar> {
        self.years.insert(year.year, year)
    }

    /// This calendar with the years without a notice read as provisional.
    pub fn with_provisional_years(mut self) -> Calendar {
        self.provisional_fallback = true;
        self
    }

    /// The same calendar read the short way ([`Reading::Shortest`]), for a due date owed to a
    /// party (e.g. a reply); it shares the provisional-use flag with `self`.
    pub fn earliest(&self) -> Calendar {
        Calendar {
            reading: Reading::Shortest,
            ..self.clone()
        }
    }

    /// The calendar of `year`: the regulator's, or the provisional one if this calendar falls
    /// back to them.
    pub fn year(&self, year: i32) -> Option<&YearCalendar> {
        self.years.get(&year).or_else(|| {
            self.provisional_fallback
                .then(|| PROVISIONAL_YEARS.get(&year))
                .flatten()
        })
    }

    /// Whether a count on this calendar has read a provisional year.
    pub fn used_provisional(&self) -> bool {
        self.used_provisional.get()
    }

    fn year_of(&self, date: NaiveDate) -> Result<&YearCalendar, CalendarMissing> {
        let y = self
            .year(date.year())
            .ok_or(CalendarMissing { year: date.year() })?;
        if y.provisional {
            self.used_provisional.set();
        }
        Ok(y)
    }

    /// Whether `date` is a working day (a weekday that is not a holiday, or a make-up workday).
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarMissing> {
        Ok(self.year_of(date)?.is_working_day(date, self.reading))
    }

    /// Whether `date` is a rest day (a holiday, or a weekend that is not a make-up workday).
    pub fn is_rest_day(&self, date: NaiveDate) -> Result<bool, CalendarMissing> {
        Ok(!self.is_working_day(date)?)
    }

    /// The first working day on or after `date`.
    pub fn next_working_day_from(&self, date: NaiveDate) -> Result<NaiveDate, CalendarMissing> {
        let mut d = date;
        while self.is_rest_day(d)? {
            d = next_day(d)?;
        }
        Ok(d)
    }

    /// The last day of a period of `n` units starting on `start` (民法典 第二百零一条–第二百零三条).
    ///
    /// The start day is not counted. For [`Unit::Day`] the `n`-th calendar day after `start` is
    /// the last day, moved to the next working day when it is a rest day; for
    /// [`Unit::WorkingDay`] it is the `n`-th working day after `start`. With `n = 0` the period
    /// ends on `start` (moved past rest days for `Day`). Only the dates the count needs must
    /// have a calendar: for `Day` the last day and any it moves across, for `WorkingDay` every
    /// day after `start` up to the last.
    pub fn period_end(
        &self,
        start: NaiveDate,
        n: u32,
        unit: Unit,
    ) -> Result<NaiveDate, CalendarMissing> {
        match unit {
            Unit::Day => {
                let last =
                    start
                        .checked_add_days(Days::new(u64::from(n)))
                        .ok_or(CalendarMissing {
                            year: NaiveDate::MAX.year(),
                        })?;
                self.next_working_day_from(last)
            }
            Unit::WorkingDay => {
                let mut d = start;
                let mut left = n;
                while left > 0 {
                    d = next_day(d)?;
                    if self.is_working_day(d)? {
                        left -= 1;
                    }
                }
                Ok(d)
            }
        }
    }

    /// The number of working days `d` with `a < d ≤ b` (the start day is not counted); 0 when
    /// `b ≤ a`.
    pub fn working_days_between(&self, a: NaiveDate, b: NaiveDate) -> Result<u32, CalendarMissing> {
        let mut count = 0;
        let mut d = a;
        while d < b {
            d = next_day(d)?;
            if self.is_working_day(d)? {
                count += 1;
            }
        }
        Ok(count)
    }

    /// The last date on which an act may be done that must come `n` units before `end` (e.g.
    /// 投标截止时间10日前, 招标投标法实施条例 第二十二条): the latest `s` with
    /// `s + n units ≤ end`, counting as [`Calendar::period_end`] does but without the rest-day
    /// extension, which would only shorten the party's time.
    pub fn latest_day_before(
        &self,
        end: NaiveDate,
        n: u32,
        unit: Unit,
    ) -> Result<NaiveDate, CalendarMissing> {
        let missing = CalendarMissing {
            year: NaiveDate::MIN.year(),
        };
        match unit {
            Unit::Day => end.checked_sub_days(Days::new(u64::from(n))).ok_or(missing),
            Unit::WorkingDay => {
                // The n-th working day counting back from `end` (inclusive) is w; any s < w has
                // n working days in (s, end].
                let mut d = end;
                let mut left = n;
                while left > 0 {
                    if self.is_working_day(d)? {
                        left -= 1;
                        if left == 0 {
                            break;
                        }
                    }
                    d = d.pred_opt().ok_or(missing)?;
                }
                d.pred_opt().ok_or(missing)
            }
        }
    }
}

fn next_day(d: NaiveDate) -> Result<NaiveDate, CalendarMissing> {
    d.succ_opt().ok_or(CalendarMissing {
        year: NaiveDate::MAX.year(),
    })
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The `chinese_holiday` crate version the seed is built from (Cargo.lock).
pub const CHINESE_HOLIDAY_VERSION: &str = "2026.0.1";
/// The first year the crate covers.
pub const SEED_FIRST_YEAR: i32 = 2004;
/// The last year the crate covers.
pub const SEED_LAST_YEAR: i32 = 2026;
/// The crate refuses (panics on) later dates: the last days of its last year belong to the
/// following year's notice, not yet published.
const SEED_LAST_DAY: (i32, u32, u32) = (2026, 12, 25);

/// Every year the `chinese_holiday` crate covers (2004–2026), as State Council calendars.
///
/// Holidays are the days the crate marks as a named holiday (weekend days inside a holiday
/// included); workdays are the weekend days it marks as make-up working days. Dates are filed
/// under their own year: a late-December holiday announced in the next year's notice (e.g.
/// 2018-12-30/31 for New Year 2019) belongs to the December's year. The crate stops at
/// 2026-12-25 (the 2027 notice may still move 2026-12-26..31); those days are taken as
/// ordinary weekdays and weekends until the regulator replaces 2026 with a new version.
pub fn seed_years() -> Vec<YearCalendar> {
    use chinese_holiday::{DayKind, Ymd, chinese_holiday};

    let (ly, lm, ld) = SEED_LAST_DAY;
    let last = NaiveDate::from_ymd_opt(ly, lm, ld).expect("valid date");
    (SEED_FIRST_YEAR..=SEED_LAST_YEAR)
        .map(|year| {
            let mut holidays = BTreeSet::new();
            let mut workdays = BTreeSet::new();
            let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid date");
            for date in first.iter_days().take_while(|d| d.year() == year && *d <= last) {
                let ymd = Ymd::new(
                    u16::try_from(date.year()).expect("year in range"),
                    u8::try_from(date.month()).expect("month"),
                    u8::try_from(date.day()).expect("day"),
                );
                let kind = chinese_holiday(ymd);
                if kind.is_holiday() && kind != DayKind::NormalHoliday {
                    holidays.insert(date);
                } else if kind.is_workday() && kind != DayKind::NormalWorkday && is_weekend(date) {
                    workdays.insert(date);
                }
            }
            YearCalendar {
                year,
                holidays,
                workdays,
                source: format!(
                    "chinese_holiday crate {CHINESE_HOLIDAY_VERSION}: 国务院办公厅关于{year}年部分节假日安排的通知"
                ),
                provisional: false,
                possible_days_off: BTreeSet::new(),
                possible_workdays: BTreeSet::new(),
            }
        })
        .collect()
}

/// The last year read as provisional when the regulator has no notice for it; later years are
/// [`CalendarMissing`] (no period of the platform reaches them).
pub const PROVISIONAL_LAST_YEAR: i32 = 2099;

/// The `source` of a provisional year (API.md: `source: "provisional"`).
pub const PROVISIONAL_SOURCE: &str = "provisional";

/// What a provisional year is computed from, as `GET /calendar/{year}` shows it.
pub const PROVISIONAL_BASIS: &str = "全国年节及纪念日放假办法（国务院令第795号）: statutory days off      computed (元旦, 春节 除夕–正月初三, 清明, 劳动节 5月1–2日, 端午, 中秋, 国庆 10月1–3日); the      调休 of the State Council's yearly notice is unknown";

/// One statutory holiday of 国务院令第795号 第二条 in a year, with how far from it the yearly
/// notice's 调休 may reach, in days before its first and after its last day: weekdays up to
/// `bridge` away may become days off, weekend days up to `makeup` away make-up working days.
/// The notices of 2008–2026 reached (bridging days off, before/after): 春节 0/4, 国庆 2/5,
/// 劳动节 2/3, the one-day holidays 2/2; (make-up days): 春节 5/9, 国庆 4/9, 劳动节 8/9, the
/// one-day holidays 4/5. The margins add a day or more to each (DECISIONS 111), and a unit test
/// reads every notice since 2008 as if it were unknown.
struct Statutory {
    name: &'static str,
    days: Vec<NaiveDate>,
    bridge: (u64, u64),
    makeup: (u64, u64),
}

fn statutory_holidays(year: i32) -> Vec<Statutory> {
    use tyme4rs::tyme::Tyme;
    use tyme4rs::tyme::lunar::LunarDay;
    use tyme4rs::tyme::solar::{SolarDay, SolarTerm};

    let date = |s: SolarDay| {
        NaiveDate::from_ymd_opt(
            i32::try_from(s.get_year()).expect("year"),
            u32::try_from(s.get_month()).expect("month"),
            u32::try_from(s.get_day()).expect("day"),
        )
        .expect("tyme4rs gives valid dates")
    };
    let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d).expect("valid date");
    let y = year as isize;
    // 除夕 is the day before 正月初一 (the last day of the twelfth month, 29 or 30 days long)
    let new_year = date(LunarDay::from_ymd(y, 1, 1).get_solar_day());
    let eve = date(LunarDay::from_ymd(y, 1, 1).get_solar_day().next(-1));
    let spring: Vec<NaiveDate> = eve.iter_days().take(4).collect();
    debug_assert_eq!(spring[1], new_year);
    let one = |name, d: NaiveDate| Statutory {
        name,
        days: vec![d],
        bridge: (3, 3),
        makeup: (6, 8),
    };
    vec![
        one("元旦", ymd(1, 1)),
        Statutory {
            name: "春节",
            days: spring,
            bridge: (1, 5),
            makeup: (7, 12),
        },
        one(
            "清明",
            date(SolarTerm::from_name(y, "清明").get_solar_day()),
        ),
        Statutory {
            name: "劳动节",
            days: vec![ymd(5, 1), ymd(5, 2)],
            bridge: (3, 4),
            makeup: (10, 11),
        },
        one("端午", date(LunarDay::from_ymd(y, 5, 5).get_solar_day())),
        one("中秋", date(LunarDay::from_ymd(y, 8, 15).get_solar_day())),
        Statutory {
            name: "国庆",
            days: vec![ymd(10, 1), ymd(10, 2), ymd(10, 3)],
            bridge: (3, 6),
            makeup: (6, 12),
        },
    ]
}

/// The statutory days off of `year` under 国务院令第795号 第二条 (DOMAIN-RULES §8.12), by
/// holiday name, computed: the lunar dates (除夕–正月初三, 端午 五月初五, 中秋 八月十五) and the
/// 清明 solar term by astronomy, never typed in.
pub fn statutory_days_off(year: i32) -> Vec<(&'static str, Vec<NaiveDate>)> {
    statutory_holidays(year)
        .into_iter()
        .map(|s| (s.name, s.days))
        .collect()
}

/// The provisional calendar of a year without the State Council's notice: its statutory days
/// off, and the days its 调休 may still change ([`YearCalendar::possible_days_off`],
/// [`YearCalendar::possible_workdays`]). The 元旦 of the next year counts too: its bridging
/// days may fall at the end of this December.
pub fn provisional_year(year: i32) -> YearCalendar {
    let mut holidays = BTreeSet::new();
    let mut possible_days_off = BTreeSet::new();
    let mut possible_workdays = BTreeSet::new();
    let mut all = statutory_holidays(year);
    all.extend(
        statutory_holidays(year + 1)
            .into_iter()
            .filter(|s| s.name == "元旦"),
    );
    for s in &all {
        holidays.extend(s.days.iter().copied().filter(|d| d.year() == year));
    }
    for s in &all {
        let (first, last) = (s.days[0], s.days[s.days.len() - 1]);
        let from = first - Days::new(s.makeup.0);
        let to = last + Days::new(s.makeup.1);
        for d in from.iter_days().take_while(|d| *d <= to) {
            if d.year() != year || holidays.contains(&d) {
                continue;
            }
            let (away, bridge, makeup) = if d < first {
                ((first - d).num_days(), s.bridge.0, s.makeup.0)
            } else {
                ((d - last).num_days(), s.bridge.1, s.makeup.1)
            };
            let away = away.unsigned_abs();
            if is_weekend(d) {
                if away <= makeup {
                    possible_workdays.insert(d);
                }
            } else if away <= bridge {
                possible_days_off.insert(d);
            }
        }
    }
    YearCalendar {
        year,
        holidays,
        workdays: BTreeSet::new(),
        source: PROVISIONAL_SOURCE.to_string(),
        provisional: true,
        possible_days_off,
        possible_workdays,
    }
}

/// The provisional calendars of [`SEED_FIRST_YEAR`]..=[`PROVISIONAL_LAST_YEAR`], computed once.
static PROVISIONAL_YEARS: LazyLock<BTreeMap<i32, YearCalendar>> = LazyLock::new(|| {
    (SEED_FIRST_YEAR..=PROVISIONAL_LAST_YEAR)
        .map(|y| (y, provisional_year(y)))
        .collect()
});

#[cfg(test)]
mod tests {
    use chinese_holiday::{Ymd, chinese_holiday};

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    fn cal() -> Calendar {
        Calendar::seeded()
    }

    fn range(a: NaiveDate, b: NaiveDate) -> Vec<NaiveDate> {
        a.iter_days().take_while(|x| *x <= b).collect()
    }

    #[test]
    fn seed_covers_2004_to_2026_and_validates() {
        let years = seed_years();
        assert_eq!(
            years.iter().map(|y| y.year).collect::<Vec<_>>(),
            (2004..=2026).collect::<Vec<_>>()
        );
        for y in &years {
            y.validate().expect("seed year is consistent");
            assert!(!y.provisional);
            assert!(!y.holidays.is_empty(), "{}", y.year);
            assert_eq!(
                y.source,
                format!(
                    "chinese_holiday crate 2026.0.1: 国务院办公厅关于{}年部分节假日安排的通知",
                    y.year
                )
            );
        }
    }

    #[test]
    fn seed_agrees_with_the_crate_on_every_covered_day() {
        let c = cal();
        for date in range(d(2004, 1, 1), d(2026, 12, 25)) {
            let ymd = Ymd::new(date.year() as u16, date.month() as u8, date.day() as u8);
            assert_eq!(
                c.is_working_day(date),
                Ok(chinese_holiday(ymd).is_workday()),
                "{date}"
            );
        }
    }

    #[test]
    fn national_day_2025_is_the_official_schedule() {
        // 国务院办公厅关于2025年部分节假日安排的通知: 10月1日至8日放假调休, 9月28日（周日）、
        // 10月11日（周六）上班.
        let c = cal();
        for date in range(d(2025, 10, 1), d(2025, 10, 8)) {
            assert_eq!(c.is_rest_day(date), Ok(true), "{date}");
            assert!(c.year(2025).expect("2025").holidays.contains(&date));
        }
        assert_eq!(d(2025, 9, 28).weekday(), Weekday::Sun);
        assert_eq!(d(2025, 10, 11).weekday(), Weekday::Sat);
        assert_eq!(c.is_working_day(d(2025, 9, 28)), Ok(true));
        assert_eq!(c.is_working_day(d(2025, 10, 11)), Ok(true));
        assert_eq!(c.is_working_day(d(2025, 10, 9)), Ok(true));
        assert_eq!(c.is_working_day(d(2025, 10, 12)), Ok(false)); // an ordinary Sunday
        let workdays_sep_oct: Vec<_> = c
            .year(2025)
            .expect("2025")
            .workdays
            .range(d(2025, 9, 1)..d(2025, 11, 1))
            .copied()
            .collect();
        assert_eq!(workdays_sep_oct, vec![d(2025, 9, 28), d(2025, 10, 11)]);
    }

    #[test]
    fn spring_festival_2026_is_the_official_schedule() {
        // 2026: 2月15日至23日放假调休, 2月14日（周六）、2月28日（周六）上班.
        let c = cal();
        for date in range(d(2026, 2, 15), d(2026, 2, 23)) {
            assert_eq!(c.is_rest_day(date), Ok(true), "{date}");
        }
        assert_eq!(c.is_working_day(d(2026, 2, 14)), Ok(true));
        assert_eq!(c.is_working_day(d(2026, 2, 28)), Ok(true));
        assert_eq!(c.is_working_day(d(2026, 2, 24)), Ok(true));
        assert_eq!(c.is_rest_day(d(2026, 2, 13)), Ok(false));
    }

    #[test]
    fn spring_festival_2025_is_the_official_schedule() {
        // 2025: 1月28日至2月4日放假调休, 1月26日（周日）、2月8日（周六）上班.
        let c = cal();
        for date in range(d(2025, 1, 28), d(2025, 2, 4)) {
            assert_eq!(c.is_rest_day(date), Ok(true), "{date}");
        }
        assert_eq!(c.is_working_day(d(2025, 1, 26)), Ok(true));
        assert_eq!(c.is_working_day(d(2025, 2, 8)), Ok(true));
        assert_eq!(c.is_rest_day(d(2025, 1, 27)), Ok(false));
        assert_eq!(c.is_rest_day(d(2025, 2, 5)), Ok(false));
    }

    #[test]
    fn day_period_ending_in_a_holiday_ends_on_the_next_working_day() {
        let c = cal();
        // 2025-09-12 + 20 日 = 2025-10-02, inside the National Day holiday → 2025-10-09.
        assert_eq!(
            c.period_end(d(2025, 9, 12), 20, Unit::Day),
            Ok(d(2025, 10, 9))
        );
        // Spring Festival 2026: 2026-01-27 + 20 = 2026-02-16 → 2026-02-24.
        assert_eq!(
            c.period_end(d(2026, 1, 27), 20, Unit::Day),
            Ok(d(2026, 2, 24))
        );
        // An ordinary weekday end stays put; the start day is not counted.
        assert_eq!(
            c.period_end(d(2026, 3, 3), 20, Unit::Day),
            Ok(d(2026, 3, 23))
        );
        // An ordinary Sunday end moves to Monday.
        assert_eq!(
            c.period_end(d(2026, 3, 2), 20, Unit::Day),
            Ok(d(2026, 3, 23))
        );
    }

    #[test]
    fn day_period_ending_on_a_make_up_saturday_ends_that_saturday() {
        let c = cal();
        // 2025-10-11 (Sat) is a make-up working day.
        assert_eq!(
            c.period_end(d(2025, 10, 1), 10, Unit::Day),
            Ok(d(2025, 10, 11))
        );
        // 2026-02-28 (Sat) too.
        assert_eq!(
            c.period_end(d(2026, 2, 25), 3, Unit::Day),
            Ok(d(2026, 2, 28))
        );
    }

    #[test]
    fn working_days_skip_holidays_and_count_make_up_days() {
        let c = cal();
        // From Tue 2025-09-30: working days after it are 10-09 (Thu), 10-10 (Fri),
        // 10-11 (make-up Sat), 10-13 (Mon), 10-14 (Tue).
        assert_eq!(
            c.period_end(d(2025, 9, 30), 5, Unit::WorkingDay),
            Ok(d(2025, 10, 14))
        );
        // Without the make-up Saturday it would be 10-15; make sure the test can tell.
        let mut no_makeup = c.clone();
        let mut y = no_makeup.year(2025).expect("2025").clone();
        y.workdays.remove(&d(2025, 10, 11));
        no_makeup.insert(y);
        assert_eq!(
            no_makeup.period_end(d(2025, 9, 30), 5, Unit::WorkingDay),
            Ok(d(2025, 10, 15))
        );
        // Spring Festival 2026: from Fri 2026-02-13, the make-up Sat 02-14 counts, then 02-24…
        assert_eq!(
            c.period_end(d(2026, 2, 13), 5, Unit::WorkingDay),
            Ok(d(2026, 2, 27))
        );
        assert_eq!(
            c.working_days_between(d(2026, 2, 13), d(2026, 2, 27)),
            Ok(5)
        );
        assert_eq!(
            c.working_days_between(d(2026, 2, 27), d(2026, 2, 13)),
            Ok(0)
        );
        assert_eq!(
            c.period_end(d(2026, 2, 13), 0, Unit::WorkingDay),
            Ok(d(2026, 2, 13))
        );
    }

    #[test]
    fn missing_year_is_refused_not_guessed() {
        // without the provisional fallback (pure data) a year with no row is missing
        let c = cal();
        assert_eq!(
            c.is_working_day(d(2027, 3, 1)),
            Err(CalendarMissing { year: 2027 })
        );
        assert_eq!(
            c.period_end(d(2026, 12, 20), 20, Unit::Day),
            Err(CalendarMissing { year: 2027 })
        );
        assert_eq!(
            Calendar::new().period_end(d(2026, 3, 3), 1, Unit::Day),
            Err(CalendarMissing { year: 2026 })
        );
        // with it, only years past PROVISIONAL_LAST_YEAR (or before the seed) are missing
        let p = cal().with_provisional_years();
        assert!(p.year(2027).expect("2027").provisional);
        assert!(!p.year(2026).expect("2026").provisional);
        assert_eq!(
            p.is_working_day(d(2100, 3, 1)),
            Err(CalendarMissing { year: 2100 })
        );
        assert!(p.is_working_day(d(2099, 3, 2)).is_ok());
    }

    #[test]
    fn statutory_days_off_are_computed_and_match_the_2025_and_2026_notices() {
        // 795号 in force 2025-01-01: every statutory day off is a holiday of the notice.
        let c = cal();
        for year in [2025, 2026] {
            let days = statutory_days_off(year);
            assert_eq!(
                days.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
                ["元旦", "春节", "清明", "劳动节", "端午", "中秋", "国庆"]
            );
            assert_eq!(days.iter().map(|(_, v)| v.len()).sum::<usize>(), 13);
            for (name, dates) in &days {
                for date in dates {
                    assert!(
                        c.year(year).expect("seeded").holidays.contains(date),
                        "{name} {date} is a holiday of the {year} notice"
                    );
                }
            }
        }
        let get = |y, name| {
            statutory_days_off(y)
                .into_iter()
                .find(|(n, _)| *n == name)
                .expect("holiday")
                .1
        };
        // 2025: 除夕 1月28日, 清明 4月4日, 端午 5月31日, 中秋 10月6日
        assert_eq!(get(2025, "春节")[0], d(2025, 1, 28));
        assert_eq!(get(2025, "清明"), vec![d(2025, 4, 4)]);
        assert_eq!(get(2025, "端午"), vec![d(2025, 5, 31)]);
        assert_eq!(get(2025, "中秋"), vec![d(2025, 10, 6)]);
        // 2026: 除夕 2月16日, 清明 4月5日, 端午 6月19日, 中秋 9月25日
        assert_eq!(get(2026, "春节"), range(d(2026, 2, 16), d(2026, 2, 19)));
        assert_eq!(get(2026, "清明"), vec![d(2026, 4, 5)]);
        assert_eq!(get(2026, "端午"), vec![d(2026, 6, 19)]);
        assert_eq!(get(2026, "中秋"), vec![d(2026, 9, 25)]);
        // the lunar and solar-term dates of the older notices too (statutory since 2008):
        // 正月初一, 清明, 端午, 中秋 are holidays of every notice 2008–2026
        for year in 2008..=2026 {
            let y = c.year(year).expect("seeded");
            assert!(y.holidays.contains(&get(year, "春节")[1]), "初一 {year}");
            for name in ["清明", "端午", "中秋"] {
                let day = get(year, name)[0];
                assert!(y.holidays.contains(&day), "{name} {year}: {day}");
            }
        }
        // 2027: 元旦 Fri 1月1日, 除夕 2月5日, 清明 4月5日, 端午 6月9日, 中秋 9月15日
        assert_eq!(get(2027, "元旦"), vec![d(2027, 1, 1)]);
        assert_eq!(get(2027, "春节"), range(d(2027, 2, 5), d(2027, 2, 8)));
        assert_eq!(get(2027, "清明"), vec![d(2027, 4, 5)]);
        assert_eq!(get(2027, "端午"), vec![d(2027, 6, 9)]);
        assert_eq!(get(2027, "中秋"), vec![d(2027, 9, 15)]);
    }

    /// Days off no yearly notice under 795号 can make: the 2015 抗战胜利70周年 commemoration
    /// (国务院 2015-05) and the 2020 Spring Festival extension for the epidemic (国办发明电〔2020〕1号),
    /// each a separate State Council act; a regulator enters such an act with `PUT /calendar`.
    const ONE_OFF_DAYS_OFF: [(i32, u32, u32); 5] = [
        (2015, 9, 3),
        (2015, 9, 4),
        (2020, 1, 31),
        (2020, 2, 1),
        (2020, 2, 2),
    ];

    #[test]
    fn the_possible_tiaoxiu_covers_every_notice_since_2008() {
        // Read each real notice as if it were unknown: its days off lie in the statutory days,
        // the weekends or the possible days off; its make-up days in the possible make-up days.
        let c = cal();
        for year in 2008..=2026 {
            let real = c.year(year).expect("seeded");
            let p = provisional_year(year);
            p.validate().expect("consistent");
            for h in &real.holidays {
                if ONE_OFF_DAYS_OFF.contains(&(h.year(), h.month(), h.day())) {
                    continue;
                }
                assert!(
                    p.holidays.contains(h) || is_weekend(*h) || p.possible_days_off.contains(h),
                    "{year}: day off {h} not foreseen"
                );
            }
            for w in &real.workdays {
                if *w == d(2015, 9, 6) {
                    continue; // the make-up day of the 2015 commemoration
                }
                assert!(
                    p.possible_workdays.contains(w),
                    "{year}: make-up day {w} not foreseen"
                );
            }
        }
    }

    #[test]
    fn a_provisional_year_counts_minimums_long_and_due_dates_short() {
        // The real 2025 and 2026 notices lie between the two readings of the same years taken
        // as provisional, for every start and period length: Shortest ≤ notice ≤ Longest.
        let real = cal();
        let mut prov = Calendar::new().with_provisional_years();
        prov.insert(cal().year(2024).expect("2024").clone());
        let long = prov.clone();
        let short = prov.earliest();
        for start in range(d(2025, 1, 1), d(2026, 10, 31)) {
            for n in [1, 3, 5, 7, 10, 15, 20, 30] {
                for unit in [Unit::Day, Unit::WorkingDay] {
                    let r = real.period_end(start, n, unit).expect("seeded");
                    let l = long.period_end(start, n, unit).expect("provisional");
                    let s = short.period_end(start, n, unit).expect("provisional");
                    assert!(s <= r && r <= l, "{start} +{n} {unit:?}: {s} {r} {l}");
                }
            }
        }
        assert!(long.used_provisional() && short.used_provisional());
        assert!(!real.used_provisional());
    }

    #[test]
    fn year_2027_is_provisional_with_new_year_a_holiday() {
        let c = cal().with_provisional_years();
        assert!(!c.used_provisional());
        let y = c.year(2027).expect("2027");
        assert_eq!(y.source, "provisional");
        assert!(y.workdays.is_empty());
        // 元旦 2027-01-01 (a Friday) is a day off, not a working day
        assert_eq!(c.is_working_day(d(2027, 1, 1)), Ok(false));
        assert!(
            c.used_provisional(),
            "the count says it read a provisional year"
        );
        // Mon 2027-01-04 may be a bridging day: a minimum counts it as a day off ...
        assert_eq!(c.is_working_day(d(2027, 1, 4)), Ok(false));
        // ... a due date as a working day, and the weekend after 元旦 as make-up days
        assert_eq!(c.earliest().is_working_day(d(2027, 1, 4)), Ok(true));
        assert_eq!(c.earliest().is_working_day(d(2027, 1, 2)), Ok(true));
        // documents from 2026-12-20, 20 日: 2027-01-09 is a Saturday → Mon 01-11
        assert_eq!(
            c.period_end(d(2026, 12, 20), 20, Unit::Day),
            Ok(d(2027, 1, 11))
        );
        // 5 工作日 from Mon 2026-12-28: 12-29, 12-30, 12-31, (元旦, weekend, 01-04 possible
        // bridging day) 01-05, 01-06
        assert_eq!(
            c.period_end(d(2026, 12, 28), 5, Unit::WorkingDay),
            Ok(d(2027, 1, 6))
        );
        assert_eq!(
            c.earliest()
                .period_end(d(2026, 12, 28), 5, Unit::WorkingDay),
            Ok(d(2027, 1, 3))
        );
        // 春节 2027: 除夕 Fri 02-05 to 初三 Mon 02-08, a 20-日 period ending in it moves out of
        // every possible bridging day
        let end = c.period_end(d(2027, 1, 17), 20, Unit::Day).expect("2027");
        assert!(end > d(2027, 2, 8), "{end}");
        assert!(!y.possible_days_off.contains(&end) && !y.holidays.contains(&end));
    }

    #[test]
    fn a_far_year_is_provisional_too() {
        let c = cal().with_provisional_years();
        let y = c.year(2061).expect("2061");
        assert!(y.provisional);
        assert_eq!(y.holidays.len(), 13);
        for m in [(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)] {
            assert!(y.holidays.contains(&d(2061, m.0, m.1)), "{m:?}");
        }
        // 2061: 正月初一 1月21日 (除夕 1月20日), two Metonic cycles after 2023 (1月22日)
        let spring = statutory_days_off(2061)
            .into_iter()
            .find(|(n, _)| *n == "春节")
            .expect("春节")
            .1;
        assert_eq!(spring, range(d(2061, 1, 20), d(2061, 1, 23)));
        // a 10-工作日 minimum across 国庆 skips the holidays and every possible bridging day
        let end = c
            .period_end(d(2061, 9, 28), 10, Unit::WorkingDay)
            .expect("2061");
        let counted: Vec<_> = range(d(2061, 9, 29), end)
            .into_iter()
            .filter(|x| c.is_working_day(*x).expect("2061"))
            .collect();
        assert_eq!(counted.len(), 10);
        assert!(counted.iter().all(|x| !y.possible_days_off.contains(x)
            && !y.holidays.contains(x)
            && !is_weekend(*x)));
    }

    #[test]
    fn latest_day_before_counts_back() {
        let c = cal();
        // 10 日 before a 2026-03-23 deadline: up to 2026-03-13.
        assert_eq!(
            c.latest_day_before(d(2026, 3, 23), 10, Unit::Day),
            Ok(d(2026, 3, 13))
        );
        // 2 工作日 before Tue 2025-10-14: working days 10-14 and 10-13 → up to Sun 10-12.
        assert_eq!(
            c.latest_day_before(d(2025, 10, 14), 2, Unit::WorkingDay),
            Ok(d(2025, 10, 12))
        );
        // Consistency with period_end: s + n working days ≤ end.
        for n in 1..8 {
            let end = d(2025, 10, 14);
            let s = c.latest_day_before(end, n, Unit::WorkingDay).expect("2025");
            assert!(c.period_end(s, n, Unit::WorkingDay).expect("2025") <= end);
            let next = s.succ_opt().expect("date");
            assert!(c.period_end(next, n, Unit::WorkingDay).expect("2025") > end);
        }
    }

    #[test]
    fn validation_rejects_bad_years() {
        let mut y = provisional_year(2030);
        assert_eq!(y.validate(), Ok(()));
        y.workdays.insert(d(2030, 1, 2)); // a Wednesday
        assert_eq!(
            y.validate(),
            Err(InvalidCalendar::WorkdayNotWeekend(d(2030, 1, 2)))
        );
        let mut y = provisional_year(2030);
        y.holidays.insert(d(2031, 1, 1));
        assert!(matches!(
            y.validate(),
            Err(InvalidCalendar::OutsideYear { .. })
        ));
        let mut y = provisional_year(2030);
        y.holidays.insert(d(2030, 1, 5));
        y.workdays.insert(d(2030, 1, 5));
        assert_eq!(y.validate(), Err(InvalidCalendar::Both(d(2030, 1, 5))));
        assert_eq!(
            provisional_year(1999).validate(),
            Err(InvalidCalendar::Year(1999))
        );
    }
}
