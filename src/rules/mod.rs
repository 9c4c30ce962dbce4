//! Rule sets as data (DESIGN.md §3, DOMAIN-RULES.md §1): the statutory catalogue with citations,
//! the holiday calendar and day counting (民法典 arts. 201–203), and the schedule checks.

pub mod calendar;
pub mod catalog;
pub mod schedule;
pub mod set;

pub use calendar::{Calendar, CalendarMissing, Unit, YearCalendar};
pub use set::{Category, Method, RuleRow, RuleSet, RuleUnit, RuleValue};
