//! The rule set the checks read: the catalogue overlaid with the regulator's versions.
//!
//! The `rules` table holds versioned rows (a change is a new version, never an edit in place,
//! API.md `PUT /rules/{rule_id}`); [`RuleSet::from_rows`] takes the newest version of each rule
//! on top of the statutory catalogue, so that a rule missing from the table still applies at its
//! statutory value instead of silently lapsing.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use super::calendar::Unit;
use super::catalog::{CATALOG, RuleSeed, citation_is_well_formed};

/// Lines of business (the project's `category`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 工程建设项目招标投标.
    Construction,
    /// 政府采购.
    Procurement,
    /// 企业国有产权 / 资产交易.
    Property,
    /// 国有建设用地使用权出让.
    Land,
}

/// Procurement methods (the tender's `method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// 公开招标.
    OpenTender,
    /// 邀请招标.
    InvitedTender,
    /// 竞争性谈判.
    CompetitiveNegotiation,
    /// 竞争性磋商.
    CompetitiveConsultation,
    /// 询价.
    Inquiry,
    /// 单一来源.
    SingleSource,
}

/// A kind of rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// A time limit.
    Period,
    /// A number of things (bids, members).
    Count,
    /// A fraction (0.02 = 2 %).
    Ratio,
    /// An amount of money.
    Amount,
    /// A qualitative rule without a value.
    Procedure,
}

/// A rule's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleUnit {
    /// 日.
    Day,
    /// 工作日.
    WorkingDay,
    /// Hours.
    Hour,
    /// Years.
    Year,
    /// Percent.
    Percent,
    /// 人民币元.
    Cny,
    /// A count.
    Count,
    /// No unit (procedures, ratios).
    None,
}

/// A name that is not one of an enum's stored names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what}: {name:?}")]
pub struct UnknownName {
    /// Which enum.
    pub what: &'static str,
    /// The name given.
    pub name: String,
}

macro_rules! names {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &[$ty] = &[$($ty::$variant),+];

            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl FromStr for $ty {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<$ty, UnknownName> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    _ => Err(UnknownName { what: $what, name: s.to_owned() }),
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

names!(Category, "category", {
    Construction => "construction",
    Procurement => "procurement",
    Property => "property",
    Land => "land",
});
names!(Method, "method", {
    OpenTender => "open_tender",
    InvitedTender => "invited_tender",
    CompetitiveNegotiation => "competitive_negotiation",
    CompetitiveConsultation => "competitive_consultation",
    Inquiry => "inquiry",
    SingleSource => "single_source",
});
names!(RuleKind, "rule kind", {
    Period => "period",
    Count => "count",
    Ratio => "ratio",
    Amount => "amount",
    Procedure => "procedure",
});
names!(RuleUnit, "rule unit", {
    Day => "day",
    WorkingDay => "working_day",
    Hour => "hour",
    Year => "year",
    Percent => "percent",
    Cny => "cny",
    Count => "count",
    None => "none",
});

impl RuleUnit {
    /// The calendar unit of a day-counted period, if this is one.
    pub fn calendar_unit(self) -> Option<Unit> {
        match self {
            RuleUnit::Day => Some(Unit::Day),
            RuleUnit::WorkingDay => Some(Unit::WorkingDay),
            _ => None,
        }
    }
}

/// A row of the `rules` table (one version of one rule), as the server loads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRow {
    /// Stable id.
    pub rule_id: String,
    /// Procedures it governs (see [`RuleValue::applies`]).
    pub applies_to: String,
    /// period | count | ratio | amount | procedure.
    pub kind: String,
    /// The limit; `None` for procedures or a rule switched off.
    pub value: Option<Decimal>,
    /// day | working_day | hour | year | percent | cny | count | none.
    pub unit: String,
    /// `"<law> 第N条"`.
    pub citation: String,
    /// national, or a region code for local rules.
    pub jurisdiction: String,
    /// The version (1 = the catalogue seed).
    pub version: i32,
    /// Whether the value is uncertain or local.
    pub configurable: bool,
    /// Applies only to 依法必须招标 projects.
    pub must_tender_only: bool,
    /// What the rule says.
    pub summary: String,
}

impl RuleRow {
    /// Version 1 of a catalogue rule, as seeded into the table.
    pub fn from_seed(seed: &RuleSeed) -> RuleRow {
        RuleRow {
            rule_id: seed.rule_id.to_owned(),
            applies_to: seed.applies_to.to_owned(),
            kind: seed.kind.to_owned(),
            value: seed
                .value
                .map(|v| v.parse().expect("catalogue values are decimals (tested)")),
            unit: seed.unit.to_owned(),
            citation: seed.citation.to_owned(),
            jurisdiction: seed.jurisdiction.to_owned(),
            version: 1,
            configurable: seed.configurable,
            must_tender_only: seed.must_tender_only,
            summary: seed.summary.to_owned(),
        }
    }

    /// The catalogue as version-1 rows (what the seed migration inserts).
    pub fn catalog_rows() -> Vec<RuleRow> {
        CATALOG.iter().map(RuleRow::from_seed).collect()
    }
}

/// A row that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The kind or unit is not one of the known names.
    #[error("rule {rule_id}: {source}")]
    Name {
        /// The rule.
        rule_id: String,
        /// What was wrong.
        source: UnknownName,
    },
    /// A period with a value that is not a whole, non-negative number.
    #[error("rule {rule_id}: a period needs a whole number of units, not {value}")]
    PeriodValue {
        /// The rule.
        rule_id: String,
        /// The value given.
        value: Decimal,
    },
    /// A period in a unit that is not a time unit.
    #[error("rule {rule_id}: a period cannot be counted in {unit}")]
    PeriodUnit {
        /// The rule.
        rule_id: String,
        /// The unit given.
        unit: RuleUnit,
    },
    /// The citation is not `"<law> 第N条"`.
    #[error("rule {rule_id}: citation {citation:?} is not \"<law> 第N条\"")]
    Citation {
        /// The rule.
        rule_id: String,
        /// The citation given.
        citation: String,
    },
}

/// The current version of one rule, typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleValue {
    /// Stable id.
    pub rule_id: String,
    /// Procedures it governs (see [`RuleValue::applies`]).
    pub applies_to: String,
    /// Kind.
    pub kind: RuleKind,
    /// The limit; `None` for procedures or a rule the regulator switched off.
    pub value: Option<Decimal>,
    /// Unit.
    pub unit: RuleUnit,
    /// `"<law> 第N条"`.
    pub citation: String,
    /// national, or a region code.
    pub jurisdiction: String,
    /// The version in force.
    pub version: i32,
    /// Whether the value is uncertain or local.
    pub configurable: bool,
    /// Applies only to 依法必须招标 projects.
    pub must_tender_only: bool,
    /// What the rule says.
    pub summary: String,
}

impl RuleValue {
    fn from_row(row: RuleRow) -> Result<RuleValue, RuleError> {
        let name = |source| RuleError::Name {
            rule_id: row.rule_id.clone(),
            source,
        };
        let kind: RuleKind = row.kind.parse().map_err(name)?;
        let unit: RuleUnit = row.unit.parse().map_err(name)?;
        if !citation_is_well_formed(&row.citation) {
            return Err(RuleError::Citation {
                rule_id: row.rule_id,
                citation: row.citation,
            });
        }
        if kind == RuleKind::Period {
            if !matches!(
                unit,
                RuleUnit::Day | RuleUnit::WorkingDay | RuleUnit::Hour | RuleUnit::Year
            ) {
                return Err(RuleError::PeriodUnit {
                    rule_id: row.rule_id,
                    unit,
                });
            }
            if let Some(v) = row.value
                && (!v.is_integer() || v.is_sign_negative() || v.to_u32().is_none())
            {
                return Err(RuleError::PeriodValue {
                    rule_id: row.rule_id,
                    value: v,
                });
            }
        }
        Ok(RuleValue {
            rule_id: row.rule_id,
            applies_to: row.applies_to,
            kind,
            value: row.value,
            unit,
            citation: row.citation,
            jurisdiction: row.jurisdiction,
            version: row.version,
            configurable: row.configurable,
            must_tender_only: row.must_tender_only,
            summary: row.summary,
        })
    }

    /// Whether the rule governs a `category`/`method` tender of a project whose 依法必须招标 flag
    /// is `must_tender`.
    ///
    /// `applies_to` is a comma-separated list of `*`, `<category>.*`, `<category>.<method>` or
    /// `<category>.must_tender`; a `must_tender_only` rule never applies to other projects.
    pub fn applies(&self, category: Category, method: Method, must_tender: bool) -> bool {
        if self.must_tender_only && !must_tender {
            return false;
        }
        self.applies_to.split(',').map(str::trim).any(|entry| {
            if entry == "*" {
                return true;
            }
            let Some((cat, rest)) = entry.split_once('.') else {
                return false;
            };
            cat == category.as_str()
                && (rest == "*"
                    || rest == method.as_str()
                    || (rest == "must_tender" && must_tender))
        })
    }

    /// The period as a whole number of 日 or 工作日, if the rule is a day-counted period with a
    /// value (`None` for other rules or a switched-off one).
    pub fn period(&self) -> Option<(u32, Unit)> {
        if self.kind != RuleKind::Period {
            return None;
        }
        let unit = self.unit.calendar_unit()?;
        let n = self.value.filter(Decimal::is_integer)?.to_u32()?;
        Some((n, unit))
    }
}

/// The rules in force, by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSet {
    rules: BTreeMap<String, RuleValue>,
}

impl RuleSet {
    /// The statutory catalogue, every rule at version 1.
    pub fn from_catalog() -> RuleSet {
        let rules = RuleRow::catalog_rows()
            .into_iter()
            .map(|row| {
                let v = RuleValue::from_row(row).expect("the catalogue is valid (tested)");
                (v.rule_id.clone(), v)
            })
            .collect();
        RuleSet { rules }
    }

    /// The catalogue overlaid with the newest version of each rule in `rows` (any order; rules
    /// not in the catalogue, e.g. local ones, are added). A malformed row is an error, not
    /// skipped: a rule set that silently lost a rule would let schedules through.
    pub fn from_rows(rows: Vec<RuleRow>) -> Result<RuleSet, RuleError> {
        let mut newest: BTreeMap<String, RuleRow> = BTreeMap::new();
        for row in rows {
            match newest.get(&row.rule_id) {
                Some(have) if have.version >= row.version => {}
                _ => {
                    newest.insert(row.rule_id.clone(), row);
                }
            }
        }
        let mut set = RuleSet::from_catalog();
        for (id, row) in newest {
            set.rules.insert(id, RuleValue::from_row(row)?);
        }
        Ok(set)
    }

    /// This set with a new version of `rule_id` (value, unit and citation replaced, version
    /// bumped). A rule not in the set is added as a `period` (day units) or `count`/`amount`
    /// rule applying everywhere.
    pub fn with(
        mut self,
        rule_id: &str,
        value: Option<Decimal>,
        unit: RuleUnit,
        citation: &str,
    ) -> RuleSet {
        match self.rules.get_mut(rule_id) {
            Some(r) => {
                r.value = value;
                r.unit = unit;
                r.citation = citation.to_owned();
                r.version += 1;
            }
            None => {
                let kind = match unit {
                    RuleUnit::Day | RuleUnit::WorkingDay | RuleUnit::Hour | RuleUnit::Year => {
                        RuleKind::Period
                    }
                    RuleUnit::Cny => RuleKind::Amount,
                    RuleUnit::Percent => RuleKind::Ratio,
                    RuleUnit::Count => RuleKind::Count,
                    RuleUnit::None => RuleKind::Procedure,
                };
                self.rules.insert(
                    rule_id.to_owned(),
                    RuleValue {
                        rule_id: rule_id.to_owned(),
                        applies_to: "*".to_owned(),
                        kind,
                        value,
                        unit,
                        citation: citation.to_owned(),
                        jurisdiction: "national".to_owned(),
                        version: 1,
                        configurable: true,
                        must_tender_only: false,
                        summary: String::new(),
                    },
                );
            }
        }
        self
    }

    /// The rule in force with this id.
    pub fn get(&self, rule_id: &str) -> Option<&RuleValue> {
        self.rules.get(rule_id)
    }

    /// Every rule, by id.
    pub fn iter(&self) -> impl Iterator<Item = &RuleValue> {
        self.rules.values()
    }

    /// The minimum number of bids for a method (`ztb.min_bids.*` for construction, `gp.min_bids.*`
    /// otherwise), if the rule set has one with a value.
    pub fn min_bids(&self, category: Category, method: Method) -> Option<u32> {
        let prefix = match category {
            Category::Construction => "ztb",
            _ => "gp",
        };
        self.get(&format!("{prefix}.min_bids.{}", method.as_str()))?
            .value?
            .to_u32()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(rule_id: &str, version: i32, value: &str) -> RuleRow {
        RuleRow {
            version,
            value: Some(value.parse().expect("decimal")),
            ..RuleRow::from_seed(super::super::catalog::seed(rule_id).expect("seed"))
        }
    }

    #[test]
    fn names_round_trip() {
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>(), Ok(*c));
        }
        for m in Method::ALL {
            assert_eq!(m.as_str().parse::<Method>(), Ok(*m));
            assert_eq!(
                serde_json::to_value(m).expect("json"),
                serde_json::json!(m.as_str())
            );
        }
        for k in RuleKind::ALL {
            assert_eq!(k.as_str().parse::<RuleKind>(), Ok(*k));
        }
        for u in RuleUnit::ALL {
            assert_eq!(u.as_str().parse::<RuleUnit>(), Ok(*u));
        }
        assert!("open-tender".parse::<Method>().is_err());
    }

    #[test]
    fn catalog_loads_into_a_rule_set() {
        let set = RuleSet::from_catalog();
        assert_eq!(set.iter().count(), CATALOG.len());
        let r = set.get("ztb.bid_period_min").expect("rule");
        assert_eq!(r.period(), Some((20, Unit::Day)));
        assert_eq!(r.version, 1);
        assert_eq!(
            set.get("gp.documents_available_min")
                .and_then(RuleValue::period),
            Some((5, Unit::WorkingDay))
        );
        // Not day-counted periods.
        assert_eq!(
            set.get("gp.records_retention_min")
                .and_then(RuleValue::period),
            None
        );
        assert_eq!(
            set.get("ztb.candidates_max").and_then(RuleValue::period),
            None
        );
    }

    #[test]
    fn applies_to_follows_category_method_and_must_tender() {
        use Category::*;
        use Method::*;
        let set = RuleSet::from_catalog();
        let bid = set.get("ztb.bid_period_min").expect("rule");
        assert!(bid.applies(Construction, OpenTender, true));
        assert!(bid.applies(Construction, InvitedTender, true));
        assert!(!bid.applies(Construction, OpenTender, false));
        assert!(!bid.applies(Procurement, OpenTender, true));
        let gp = set.get("gp.bid_period_min").expect("rule");
        assert!(gp.applies(Procurement, OpenTender, false));
        assert!(gp.applies(Procurement, InvitedTender, false));
        assert!(!gp.applies(Procurement, Inquiry, false));
        assert!(!gp.applies(Construction, OpenTender, false));
        let sale = set.get("ztb.documents_sale_min").expect("rule");
        assert!(sale.applies(Construction, SingleSource, false));
        assert!(
            set.get("schedule.order")
                .expect("rule")
                .applies(Land, OpenTender, false)
        );
    }

    #[test]
    fn from_rows_takes_the_newest_version_over_the_catalogue() {
        let rows = vec![
            row("ztb.bid_period_min", 3, "25"),
            row("ztb.bid_period_min", 2, "22"),
            row("gp.bid_period_min", 1, "20"),
        ];
        let set = RuleSet::from_rows(rows).expect("valid");
        let r = set.get("ztb.bid_period_min").expect("rule");
        assert_eq!((r.version, r.period()), (3, Some((25, Unit::Day))));
        // A rule absent from the rows keeps its statutory value.
        assert_eq!(
            set.get("ztb.documents_sale_min")
                .and_then(RuleValue::period),
            Some((5, Unit::Day))
        );
        assert_eq!(
            RuleSet::from_rows(RuleRow::catalog_rows()),
            Ok(RuleSet::from_catalog())
        );
    }

    #[test]
    fn from_rows_refuses_malformed_rows() {
        let mut bad_unit = row("ztb.bid_period_min", 2, "20");
        bad_unit.unit = "days".to_owned();
        assert!(matches!(
            RuleSet::from_rows(vec![bad_unit]),
            Err(RuleError::Name { .. })
        ));
        let fraction = row("ztb.bid_period_min", 2, "20.5");
        assert!(matches!(
            RuleSet::from_rows(vec![fraction]),
            Err(RuleError::PeriodValue { .. })
        ));
        let negative = row("ztb.bid_period_min", 2, "-1");
        assert!(matches!(
            RuleSet::from_rows(vec![negative]),
            Err(RuleError::PeriodValue { .. })
        ));
        let mut money_period = row("ztb.bid_period_min", 2, "20");
        money_period.unit = "cny".to_owned();
        assert!(matches!(
            RuleSet::from_rows(vec![money_period]),
            Err(RuleError::PeriodUnit { .. })
        ));
        let mut citation = row("ztb.bid_period_min", 2, "20");
        citation.citation = "招标投标法第24条".to_owned();
        assert!(matches!(
            RuleSet::from_rows(vec![citation]),
            Err(RuleError::Citation { .. })
        ));
    }

    #[test]
    fn with_overrides_value_unit_and_citation() {
        let set = RuleSet::from_catalog().with(
            "ztb.bid_period_min",
            Some(Decimal::from(15)),
            RuleUnit::WorkingDay,
            "某省招标投标条例 第十条",
        );
        let r = set.get("ztb.bid_period_min").expect("rule");
        assert_eq!(r.period(), Some((15, Unit::WorkingDay)));
        assert_eq!(r.citation, "某省招标投标条例 第十条");
        assert_eq!(r.version, 2);
        let added = set.with(
            "local.x",
            Some(Decimal::ONE),
            RuleUnit::Day,
            "某条例 第一条",
        );
        assert_eq!(
            added.get("local.x").and_then(RuleValue::period),
            Some((1, Unit::Day))
        );
    }

    #[test]
    fn min_bids_per_method() {
        let set = RuleSet::from_catalog();
        assert_eq!(
            set.min_bids(Category::Construction, Method::OpenTender),
            Some(3)
        );
        assert_eq!(
            set.min_bids(Category::Construction, Method::SingleSource),
            None
        );
        assert_eq!(
            set.min_bids(Category::Procurement, Method::SingleSource),
            Some(1)
        );
        assert_eq!(
            set.min_bids(Category::Procurement, Method::Inquiry),
            Some(3)
        );
    }
}
