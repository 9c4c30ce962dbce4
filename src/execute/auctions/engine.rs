//! The ascending-auction engine as pure functions (DESIGN.md §3, API.md "Auctions and listings"):
//! one engine for land 拍卖 (`english`), land 挂牌 (`listing`, with its on-site stage) and property
//! 网络竞价 (`online_multi_round`: free bidding, then a timed period). Stage changes happen at the
//! boundary instants themselves (never "when a timer happened to run"), so applying them late —
//! from a timer, a bid or a read — always gives the same history.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Formats of sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// 拍卖: an English auction with a countdown restarted by each bid.
    English,
    /// 挂牌: a listing period of quotes; competing bidders go on to an on-site stage.
    Listing,
    /// 网络竞价 多次报价: free bidding, then a timed period with a restarting countdown.
    OnlineMultiRound,
}

/// Stages of a lot (API.md `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Announced, not started.
    Scheduled,
    /// 挂牌期: quotes raise the listed price.
    Listing,
    /// 自由报价期.
    FreeBidding,
    /// 限时报价期 / the auction itself: a countdown restarted by each valid bid.
    Timed,
    /// 现场竞价 after a listing with competing bidders.
    OnSite,
    /// Over.
    Closed,
}

impl Stage {
    /// Whether a bid restarts the countdown in this stage.
    pub fn counts_down(self) -> bool {
        matches!(self, Stage::Timed | Stage::OnSite)
    }
}

/// Why a bid is refused (`409` codes of API.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Before the start.
    #[error("auction_not_started")]
    NotStarted,
    /// After the close.
    #[error("auction_closed")]
    Closed,
    /// Not above the current price, or below the start price.
    #[error("below_minimum")]
    BelowMinimum,
    /// Not the start price plus a whole number of increments.
    #[error("not_increment_multiple")]
    NotIncrementMultiple,
}

impl Refusal {
    /// The stable API code.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotStarted => "auction_not_started",
            Refusal::Closed => "auction_closed",
            Refusal::BelowMinimum => "below_minimum",
            Refusal::NotIncrementMultiple => "not_increment_multiple",
        }
    }
}

/// The engine state of one lot.
#[derive(Debug, Clone, PartialEq)]
pub struct Lot {
    /// Format.
    pub format: Format,
    /// Stage.
    pub stage: Stage,
    /// 起始价.
    pub start_price: Decimal,
    /// 加价幅度.
    pub increment: Decimal,
    /// The countdown.
    pub countdown: Duration,
    /// Start of bidding.
    pub starts_at: DateTime<Utc>,
    /// End of free bidding (multi-round).
    pub free_bidding_until: Option<DateTime<Utc>>,
    /// End of the listing period.
    pub listing_until: Option<DateTime<Utc>>,
    /// When the current stage ends (timed and on-site stages move it).
    pub ends_at: Option<DateTime<Utc>>,
    /// The current price.
    pub current_price: Option<Decimal>,
}

/// A stage change due at an instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// When it happens (the boundary itself).
    pub at: DateTime<Utc>,
    /// The new stage.
    pub to: Stage,
    /// The new stage's end.
    pub ends_at: Option<DateTime<Utc>>,
}

/// The next stage change due at or before `now`, if any. `quoting_bidders` is the number of
/// distinct bidders who quoted during the listing (a listing with two or more goes on site).
pub fn due_step(lot: &Lot, now: DateTime<Utc>, quoting_bidders: usize) -> Option<Step> {
    let step = match lot.stage {
        Stage::Scheduled => {
            let at = lot.starts_at;
            match lot.format {
                Format::English => Step {
                    at,
                    to: Stage::Timed,
                    ends_at: Some(at + lot.countdown),
                },
                Format::OnlineMultiRound => Step {
                    at,
                    to: Stage::FreeBidding,
                    ends_at: lot.free_bidding_until,
                },
                Format::Listing => Step {
                    at,
                    to: Stage::Listing,
                    ends_at: lot.listing_until,
                },
            }
        }
        Stage::FreeBidding => {
            let at = lot.ends_at?;
            Step {
                at,
                to: Stage::Timed,
                ends_at: Some(at + lot.countdown),
            }
        }
        Stage::Listing => {
            let at = lot.ends_at?;
            if quoting_bidders >= 2 {
                // L39 第十九条: competing bidders continue on site from the top quote
                Step {
                    at,
                    to: Stage::OnSite,
                    ends_at: Some(at + lot.countdown),
                }
            } else {
                Step {
                    at,
                    to: Stage::Closed,
                    ends_at: None,
                }
            }
        }
        Stage::Timed | Stage::OnSite => Step {
            at: lot.ends_at?,
            to: Stage::Closed,
            ends_at: None,
        },
        Stage::Closed => return None,
    };
    (step.at <= now).then_some(step)
}

/// Applies a step.
pub fn apply(lot: &mut Lot, step: Step) {
    lot.stage = step.to;
    lot.ends_at = step.ends_at;
}

/// The next instant at which a step is due (for the timer), if the lot is not closed.
pub fn next_boundary(lot: &Lot) -> Option<DateTime<Utc>> {
    match lot.stage {
        Stage::Scheduled => Some(lot.starts_at),
        Stage::Closed => None,
        _ => lot.ends_at,
    }
}

/// Checks a bid of `amount` at `now` (stage changes due by `now` already applied).
pub fn check_bid(lot: &Lot, now: DateTime<Utc>, amount: Decimal) -> Result<(), Refusal> {
    match lot.stage {
        Stage::Scheduled => return Err(Refusal::NotStarted),
        Stage::Closed => return Err(Refusal::Closed),
        _ => {}
    }
    if lot.ends_at.is_some_and(|e| now >= e) {
        return Err(Refusal::Closed);
    }
    if amount < lot.start_price {
        return Err(Refusal::BelowMinimum);
    }
    let steps = (amount - lot.start_price) / lot.increment;
    if steps.fract() != Decimal::ZERO {
        return Err(Refusal::NotIncrementMultiple);
    }
    // the first bid may take the start price; every later one must be above the current price
    if lot.current_price.is_some_and(|p| amount <= p) {
        return Err(Refusal::BelowMinimum);
    }
    Ok(())
}

/// Records an accepted bid: the price, and in a counting-down stage `ends_at = max(ends_at, now +
/// countdown)` (API.md). Returns whether the end moved.
pub fn accept(lot: &mut Lot, now: DateTime<Utc>, amount: Decimal) -> bool {
    lot.current_price = Some(amount);
    if lot.stage.counts_down() {
        let restarted = now + lot.countdown;
        if lot.ends_at.is_none_or(|e| restarted > e) {
            lot.ends_at = Some(restarted);
            return true;
        }
    }
    false
}

/// Sold or not at the close: a bid at or above the reserve (no reserve: any bid).
pub fn sold(current_price: Option<Decimal>, reserve: Option<Decimal>) -> bool {
    match (current_price, reserve) {
        (Some(p), Some(r)) => p >= r,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    fn lot(format: Format) -> Lot {
        Lot {
            format,
            stage: Stage::Scheduled,
            start_price: Decimal::new(1_000_000, 0),
            increment: Decimal::new(50_000, 0),
            countdown: Duration::seconds(60),
            starts_at: t(0),
            free_bidding_until: (format == Format::OnlineMultiRound).then(|| t(600)),
            listing_until: (format == Format::Listing).then(|| t(1000)),
            ends_at: None,
            current_price: None,
        }
    }

    fn run_until(l: &mut Lot, now: DateTime<Utc>, quoting: usize) {
        while let Some(s) = due_step(l, now, quoting) {
            apply(l, s);
        }
    }

    #[test]
    fn english_auction_countdown_restarts_from_each_bid() {
        let mut l = lot(Format::English);
        assert_eq!(
            check_bid(&l, t(-1), Decimal::new(1_000_000, 0)),
            Err(Refusal::NotStarted)
        );
        run_until(&mut l, t(10), 0);
        assert_eq!(l.stage, Stage::Timed);
        assert_eq!(l.ends_at, Some(t(60)));
        // the first bid may be the start price
        check_bid(&l, t(10), Decimal::new(1_000_000, 0)).unwrap();
        assert!(accept(&mut l, t(10), Decimal::new(1_000_000, 0)));
        assert_eq!(l.ends_at, Some(t(70)));
        // a later bid whose restart would end earlier leaves the end alone
        l.ends_at = Some(t(200));
        assert!(!accept(&mut l, t(20), Decimal::new(1_050_000, 0)));
        assert_eq!(l.ends_at, Some(t(200)));
    }

    #[test]
    fn a_bid_in_the_last_seconds_restarts_the_countdown_from_its_own_time() {
        let mut l = lot(Format::English);
        run_until(&mut l, t(0), 0);
        assert!(accept(&mut l, t(58), Decimal::new(1_000_000, 0)));
        assert_eq!(l.ends_at, Some(t(118)));
        // a bid right after the end is refused even before the timer closes the lot
        assert_eq!(
            check_bid(&l, t(118), Decimal::new(1_050_000, 0)),
            Err(Refusal::Closed)
        );
        run_until(&mut l, t(118), 0);
        assert_eq!(l.stage, Stage::Closed);
    }

    #[test]
    fn amounts_are_start_plus_whole_increments_and_above_the_current_price() {
        let mut l = lot(Format::English);
        run_until(&mut l, t(0), 0);
        assert_eq!(
            check_bid(&l, t(1), Decimal::new(999_999, 0)),
            Err(Refusal::BelowMinimum)
        );
        assert_eq!(
            check_bid(&l, t(1), Decimal::new(1_020_000, 0)),
            Err(Refusal::NotIncrementMultiple)
        );
        accept(&mut l, t(1), Decimal::new(1_100_000, 0));
        assert_eq!(
            check_bid(&l, t(2), Decimal::new(1_100_000, 0)),
            Err(Refusal::BelowMinimum)
        );
        assert_eq!(
            check_bid(&l, t(2), Decimal::new(1_050_000, 0)),
            Err(Refusal::BelowMinimum)
        );
        check_bid(&l, t(2), Decimal::new(1_150_000, 0)).unwrap();
    }

    #[test]
    fn multi_round_free_bidding_then_timed() {
        let mut l = lot(Format::OnlineMultiRound);
        run_until(&mut l, t(5), 0);
        assert_eq!(l.stage, Stage::FreeBidding);
        // free bidding: no countdown
        assert!(!accept(&mut l, t(590), Decimal::new(1_000_000, 0)));
        assert_eq!(l.ends_at, Some(t(600)));
        // applied late, the timed period still starts at the boundary
        run_until(&mut l, t(630), 0);
        assert_eq!(l.stage, Stage::Timed);
        assert_eq!(l.ends_at, Some(t(660)));
    }

    #[test]
    fn a_listing_with_competition_goes_on_site_and_without_it_closes() {
        let mut l = lot(Format::Listing);
        run_until(&mut l, t(5), 0);
        assert_eq!(l.stage, Stage::Listing);
        let mut single = l.clone();
        run_until(&mut l, t(1000), 2);
        assert_eq!(l.stage, Stage::OnSite);
        assert_eq!(l.ends_at, Some(t(1060)));
        run_until(&mut single, t(1000), 1);
        assert_eq!(single.stage, Stage::Closed);
    }

    #[test]
    fn sold_only_at_or_above_the_reserve() {
        let p = Some(Decimal::new(100, 0));
        assert!(sold(p, Some(Decimal::new(100, 0))));
        assert!(!sold(p, Some(Decimal::new(101, 0))));
        assert!(sold(p, None));
        assert!(!sold(None, Some(Decimal::ONE)));
    }
}
