//! The holiday calendar and day counting (DOMAIN-RULES.md §1E, DESIGN.md §3).
//!
//! Periods are counted as 民法典 第二百零一条–第二百零三条 (and 87号令 第八十五条) say:
//! - the start day is not counted; counting begins the next day (第二百零一条);
//! - if the last day of a period counted in 日 is a 法定休假日, the period ends on the first day
//!   after it (第二百零三条). A 法定休假日 here is a State Council holiday or a weekend that is
//!   not a make-up working day (调休上班);
//! - a period in 工作日 counts only working days, which need the State Council's yearly notice
//!   including the make-up weekends. That notice is data (one [`YearCalendar`] per year, kept by
//!   the regulator, `PUT /calendar/{year}`), never a weekday formula: a period that needs a year
//!   with no calendar is refused with [`CalendarMissing`] (`422 calendar_missing`), never guessed.

use std::collections::{BTreeMap, BTreeSet};

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
    /// Weekends only, no notice behind it (sandbox mode only).
    pub provisional: bool,
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
    /// holiday, or a listed make-up working day.
    fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.workdays.contains(&date) {
            return true;
        }
        !is_weekend(date) && !self.holidays.contains(&date)
    }
}

/// The regulator's calendar: the years it has data for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    /// One calendar per year.
    pub years: BTreeMap<i32, YearCalendar>,
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

    /// The calendar of `year`, if loaded.
    pub fn year(&self, year: i32) -> Option<&YearCalendar> {
        self.years.get(&year)
    }

    fn year_of(&self, date: NaiveDate) -> Result<&YearCalendar, CalendarMissing> {
        self.years
            .get(&date.year())
            .ok_or(CalendarMissing { year: date.year() })
    }

    /// Whether `date` is a working day (a weekday that is not a holiday, or a make-up workday).
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarMissing> {
        Ok(self.year_of(date)?.is_working_day(date))
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
            }
        })
        .collect()
}

/// A weekends-only calendar for a year without a notice, marked provisional (sandbox mode
/// only: production refuses such periods with [`CalendarMissing`]).
pub fn provisional_year(year: i32) -> YearCalendar {
    YearCalendar {
        year,
        holidays: BTreeSet::new(),
        workdays: BTreeSet::new(),
        source: format!("provisional: weekends only, no State Council notice for {year} (sandbox)"),
        provisional: true,
    }
}

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
        let c = cal();
        assert_eq!(
            c.is_working_day(d(2027, 3, 1)),
            Err(CalendarMissing { year: 2027 })
        );
        // A 20-日 period from 2026-12-20 ends in 2027.
        assert_eq!(
            c.period_end(d(2026, 12, 20), 20, Unit::Day),
            Err(CalendarMissing { year: 2027 })
        );
        assert_eq!(
            c.period_end(d(2026, 12, 28), 5, Unit::WorkingDay),
            Err(CalendarMissing { year: 2027 })
        );
        assert_eq!(
            Calendar::new().period_end(d(2026, 3, 3), 1, Unit::Day),
            Err(CalendarMissing { year: 2026 })
        );
        // A provisional year (sandbox) makes 2027 countable by weekends alone.
        let mut sandbox = c.clone();
        sandbox.insert(provisional_year(2027));
        assert!(sandbox.year(2027).expect("2027").provisional);
        // 2027-01-01 is a Friday: no holiday data, so it counts as a working day.
        assert_eq!(sandbox.is_working_day(d(2027, 1, 1)), Ok(true));
        assert_eq!(
            sandbox.period_end(d(2026, 12, 20), 20, Unit::Day),
            Ok(d(2027, 1, 11))
        );
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
