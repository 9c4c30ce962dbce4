//! `ggzy auction replay <id>`: re-runs the pure engine over a lot's bid log and recomputes the
//! result. Read with the owner's connection in one read-only snapshot: the lot's parameters, the
//! bid log (`auction_bids` by seq), the bidders' numbers, the holds, the sealed reserve price and
//! the audit entries of the bids and the close.
//!
//! Holds are replayed as [`super::sync`] applies them: a hold freezes the lot and its resume moves
//! every pending deadline by the hold's length. The lot row stores the moved `starts_at`,
//! `free_bidding_until` and `listing_until`; the replay moves them back first (a moved instant
//! lies after `since + length`, an unmoved one at or before `since`), then replays stage changes,
//! holds and bids in time order. Each logged bid must pass [`engine::check_bid`] at its instant,
//! in the logged stage, and leave the logged `ends_at`; it must also match its `auction.bid` audit
//! entry (the audit log is hash-chained, the bid table is not). The close is replayed to the
//! recorded `closed_at` and judged with [`engine::sold`] against the reserve price.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::Context;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::engine::{self, Lot, Stage};
use super::{AuctionRow, stage_str};
use crate::core::clock;
use crate::db::schema::{
    auction_bids, auction_registrations, auction_reserve_prices, auctions, audit_entries, holds,
};

/// What the replay of a lot finds.
#[derive(Debug, Clone, Serialize)]
pub struct Replay {
    /// The lot.
    pub auction_id: Uuid,
    /// The lot's code.
    pub code: String,
    /// Bids in the log.
    pub bids: usize,
    /// The recomputed price (sold lots).
    pub price: Option<String>,
    /// The recomputed winner's anonymous number (sold lots).
    pub winner_number: Option<String>,
    /// The recomputed result, sold | unsold (closed lots).
    pub result: Option<String>,
    /// The recorded result.
    pub recorded_result: Option<String>,
    /// The recorded price (sold lots).
    pub recorded_price: Option<String>,
    /// The recorded winner's anonymous number (sold lots).
    pub recorded_winner_number: Option<String>,
    /// Whether the replay found no problem.
    pub agrees: bool,
    /// Every disagreement found, in log order.
    pub problems: Vec<String>,
}

/// A bid as logged.
#[derive(Debug, Clone, Queryable)]
struct LoggedBid {
    seq: i32,
    registration_id: Uuid,
    amount: Decimal,
    stage: String,
    at: DateTime<Utc>,
    ends_at: Option<DateTime<Utc>>,
}

/// A hold row of the lot or its project.
#[derive(Debug, Clone, Queryable)]
struct Hold {
    seq: i64,
    subject_type: String,
    kind: String,
    at: DateTime<Utc>,
}

/// Everything the replay reads.
struct Input {
    lot: AuctionRow,
    bids: Vec<LoggedBid>,
    numbers: HashMap<Uuid, Option<String>>,
    holds: Vec<Hold>,
    reserve: Option<Decimal>,
    audit: Vec<(String, Value)>,
}

/// Replays a lot's bid log (owner's connection) and compares the outcome with the record.
pub async fn replay(conn: &mut AsyncPgConnection, id: Uuid) -> anyhow::Result<Replay> {
    let input = conn
        .build_transaction()
        .read_only()
        .repeatable_read()
        .run(async |c| read(c, id).await)
        .await?;
    Ok(recompute(&input))
}

async fn read(c: &mut AsyncPgConnection, id: Uuid) -> anyhow::Result<Input> {
    let lot: AuctionRow = auctions::table
        .find(id)
        .select(AuctionRow::as_select())
        .first(c)
        .await
        .optional()?
        .with_context(|| format!("no auction {id}"))?;
    let bids: Vec<LoggedBid> = auction_bids::table
        .filter(auction_bids::auction_id.eq(id))
        .order(auction_bids::seq.asc())
        .select((
            auction_bids::seq,
            auction_bids::registration_id,
            auction_bids::amount,
            auction_bids::stage,
            auction_bids::at,
            auction_bids::ends_at,
        ))
        .load(c)
        .await?;
    let numbers: HashMap<Uuid, Option<String>> = auction_registrations::table
        .filter(auction_registrations::auction_id.eq(id))
        .select((
            auction_registrations::id,
            auction_registrations::bidder_number,
        ))
        .load::<(Uuid, Option<String>)>(c)
        .await?
        .into_iter()
        .collect();
    let holds: Vec<Hold> = holds::table
        .filter(
            (holds::subject_type
                .eq("auction")
                .and(holds::subject_id.eq(id)))
            .or(holds::subject_type
                .eq("project")
                .and(holds::subject_id.eq(lot.project_id))),
        )
        .order(holds::seq.asc())
        .select((holds::seq, holds::subject_type, holds::kind, holds::at))
        .load(c)
        .await?;
    let reserve: Option<Decimal> = auction_reserve_prices::table
        .find(id)
        .select(auction_reserve_prices::amount)
        .first(c)
        .await
        .optional()?;
    let audit: Vec<(String, Value)> = audit_entries::table
        .filter(audit_entries::subject_type.eq("auction"))
        .filter(audit_entries::subject_id.eq(id.to_string()))
        .filter(audit_entries::action.eq_any(["auction.bid", "auction.close", "auction.result"]))
        .order(audit_entries::id.asc())
        .select((audit_entries::action, audit_entries::details))
        .load(c)
        .await?;
    Ok(Input {
        lot,
        bids,
        numbers,
        holds,
        reserve,
        audit,
    })
}

/// The lot's hold periods `(since, until)` as [`super::sync`] derives them from the hold rows it
/// has applied (`until` is `None` while the lot is still held).
fn pauses(holds: &[Hold], applied_seq: i64) -> Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> {
    let mut latest: BTreeMap<&str, &str> = BTreeMap::new();
    let mut since: Option<DateTime<Utc>> = None;
    let mut out = Vec::new();
    for h in holds.iter().filter(|h| h.seq <= applied_seq) {
        latest.insert(&h.subject_type, &h.kind);
        let held = latest.values().any(|k| *k == "suspend");
        match (since, held) {
            (None, true) => since = Some(h.at),
            (Some(s), false) => {
                out.push((s, Some(h.at)));
                since = None;
            }
            _ => {}
        }
    }
    if let Some(s) = since {
        out.push((s, None));
    }
    out
}

/// Moves a stored instant back over the hold periods (the inverse of the resumes' shifts).
fn unshift(t: DateTime<Utc>, pauses: &[(DateTime<Utc>, Option<DateTime<Utc>>)]) -> DateTime<Utc> {
    pauses
        .iter()
        .rev()
        .fold(t, |t, &(since, until)| match until {
            Some(u) if t > u => t - (u - since),
            _ => t,
        })
}

/// The engine replayed in time order: stage changes and hold periods.
struct Run {
    lot: Lot,
    pauses: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    next_pause: usize,
    closed_at: Option<DateTime<Utc>>,
}

impl Run {
    /// Applies the stage changes due by `now`.
    fn steps(&mut self, now: DateTime<Utc>, quoting: usize) {
        while let Some(step) = engine::due_step(&self.lot, now, quoting) {
            engine::apply(&mut self.lot, step);
            if step.to == Stage::Closed {
                self.closed_at = Some(step.at);
            }
        }
    }

    /// Brings the lot to `now`; returns whether it is held at `now`.
    fn advance(&mut self, now: DateTime<Utc>, quoting: usize) -> bool {
        while let Some(&(since, until)) = self.pauses.get(self.next_pause) {
            if since > now {
                break;
            }
            self.steps(since, quoting);
            match until {
                Some(u) if u <= now => {
                    let delta = u - since;
                    let shift = |t: DateTime<Utc>| if t > since { t + delta } else { t };
                    let l = &mut self.lot;
                    l.ends_at = l.ends_at.map(shift);
                    l.free_bidding_until = l.free_bidding_until.map(shift);
                    l.listing_until = l.listing_until.map(shift);
                    l.starts_at = shift(l.starts_at);
                    self.next_pause += 1;
                }
                _ => return true,
            }
        }
        self.steps(now, quoting);
        false
    }
}

fn money(d: Decimal) -> String {
    format!("{d:.2}")
}

fn time_of(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn opt_time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "none".into(), clock::fmt)
}

/// Re-runs the engine over what was read and lists every disagreement.
fn recompute(input: &Input) -> Replay {
    let a = &input.lot;
    let mut problems = Vec::new();
    let number_of = |r: Uuid| input.numbers.get(&r).cloned().flatten();
    let pauses = pauses(&input.holds, a.hold_applied_seq);
    let format = match super::format_of(&a.format) {
        Ok(f) => f,
        Err(_) => {
            problems.push(format!("unknown format {:?}", a.format));
            engine::Format::English
        }
    };
    let mut run = Run {
        lot: Lot {
            format,
            stage: Stage::Scheduled,
            start_price: a.start_price,
            increment: a.increment,
            countdown: chrono::Duration::seconds(a.countdown_seconds as i64),
            starts_at: unshift(a.starts_at, &pauses),
            free_bidding_until: a.free_bidding_until.map(|t| unshift(t, &pauses)),
            listing_until: a.listing_until.map(|t| unshift(t, &pauses)),
            ends_at: None,
            current_price: None,
        },
        pauses,
        next_pause: 0,
        closed_at: None,
    };
    if run.lot.increment <= Decimal::ZERO {
        problems.push(format!("the increment {} is not above zero", a.increment));
        run.lot.increment = Decimal::ONE;
    }

    // the audit entries of the bids, by seq, and of the close
    let mut audited: BTreeMap<i64, &Value> = BTreeMap::new();
    let mut audited_close: Option<&Value> = None;
    for (action, d) in &input.audit {
        match action.as_str() {
            "auction.bid" => match d["bid_seq"].as_i64() {
                Some(s) => {
                    audited.insert(s, d);
                }
                None => problems.push(format!("an auction.bid audit entry without bid_seq: {d}")),
            },
            // since the close and the result are two steps (the reserve is revealed only after
            // the close committed), the result entry carries what the close entry used to; an
            // older lot's close entry carries the result itself
            "auction.result" => audited_close = Some(d),
            _ if d.get("result").is_some() => audited_close = Some(d),
            _ => {}
        }
    }

    let mut bidders: BTreeSet<Uuid> = BTreeSet::new();
    for (i, b) in input.bids.iter().enumerate() {
        let n = b.seq;
        if i64::from(b.seq) != i as i64 + 1 {
            problems.push(format!("bid #{n}: expected seq {} in the log", i + 1));
        }
        let number = number_of(b.registration_id);
        if number.is_none() {
            problems.push(format!(
                "bid #{n}: registration {} is not a qualified registration of this lot",
                b.registration_id
            ));
        }
        if run.advance(b.at, bidders.len()) {
            problems.push(format!(
                "bid #{n} at {}: the lot was held then",
                clock::fmt(b.at)
            ));
        }
        let stage = stage_str(run.lot.stage);
        if stage != b.stage {
            problems.push(format!(
                "bid #{n} at {}: logged in stage {}, the replay is in stage {stage}",
                clock::fmt(b.at),
                b.stage
            ));
        }
        if let Err(r) = engine::check_bid(&run.lot, b.at, b.amount) {
            problems.push(format!(
                "bid #{n} of {} at {}: the engine refuses it ({})",
                money(b.amount),
                clock::fmt(b.at),
                r.code()
            ));
        }
        engine::accept(&mut run.lot, b.at, b.amount);
        bidders.insert(b.registration_id);
        if run.lot.ends_at != b.ends_at {
            problems.push(format!(
                "bid #{n}: logged ends_at {}, the replay has {}",
                opt_time(b.ends_at),
                opt_time(run.lot.ends_at)
            ));
        }
        match audited.remove(&i64::from(b.seq)) {
            None => problems.push(format!("bid #{n}: no auction.bid audit entry")),
            Some(d) => {
                let mut differs = Vec::new();
                if d["amount"].as_str() != Some(money(b.amount).as_str()) {
                    differs.push(format!("amount {}", d["amount"]));
                }
                if d["bidder_number"].as_str() != number.as_deref() {
                    differs.push(format!("bidder_number {}", d["bidder_number"]));
                }
                if d["stage"].as_str() != Some(b.stage.as_str()) {
                    differs.push(format!("stage {}", d["stage"]));
                }
                if time_of(&d["ends_at"]) != b.ends_at {
                    differs.push(format!("ends_at {}", d["ends_at"]));
                }
                if !differs.is_empty() {
                    problems.push(format!(
                        "bid #{n}: the log differs from its audit entry ({})",
                        differs.join(", ")
                    ));
                }
            }
        }
    }
    for s in audited.keys() {
        problems.push(format!("the audit log has bid #{s}, the bid log does not"));
    }

    let last = input.bids.last();
    if a.bid_count as usize != input.bids.len() {
        problems.push(format!(
            "the lot records {} bids, the log has {}",
            a.bid_count,
            input.bids.len()
        ));
    }
    if a.current_price != run.lot.current_price {
        problems.push(format!(
            "the lot records the current price {}, the replay {}",
            a.current_price.map_or("none".into(), money),
            run.lot.current_price.map_or("none".into(), money)
        ));
    }
    if a.leader_registration != last.map(|b| b.registration_id) {
        problems.push("the lot's leader is not the last bidder of the log".into());
    }

    let recorded_sold = a.result.as_deref() == Some("sold");
    let recorded_price = a.current_price.filter(|_| recorded_sold).map(money);
    let recorded_winner_number = a
        .leader_registration
        .filter(|_| recorded_sold)
        .and_then(number_of);
    let (mut result, mut price, mut winner_number) = (None, None, None);
    match a.closed_at {
        Some(closed) => {
            run.advance(closed, bidders.len());
            if run.lot.stage != Stage::Closed {
                problems.push(format!(
                    "recorded closed at {}, the replay is still in stage {} then",
                    clock::fmt(closed),
                    stage_str(run.lot.stage)
                ));
            } else if run.closed_at != Some(closed) {
                problems.push(format!(
                    "recorded closed at {}, the replay closes at {}",
                    clock::fmt(closed),
                    opt_time(run.closed_at)
                ));
            }
            if a.stage != "closed" {
                problems.push(format!("the lot has closed_at but is in stage {}", a.stage));
            }
            let sold = engine::sold(run.lot.current_price, input.reserve);
            result = Some(if sold { "sold" } else { "unsold" }.to_string());
            price = run.lot.current_price.filter(|_| sold).map(money);
            winner_number = last
                .filter(|_| sold)
                .and_then(|b| number_of(b.registration_id));
            if a.result != result {
                problems.push(format!(
                    "recorded result {}, the replay finds {}",
                    a.result.as_deref().unwrap_or("none"),
                    result.as_deref().unwrap_or("none")
                ));
            }
            if recorded_price != price {
                problems.push(format!(
                    "recorded price {}, the replay finds {}",
                    recorded_price.as_deref().unwrap_or("none"),
                    price.as_deref().unwrap_or("none")
                ));
            }
            if recorded_winner_number != winner_number {
                problems.push(format!(
                    "recorded winner {}, the replay finds {}",
                    recorded_winner_number.as_deref().unwrap_or("none"),
                    winner_number.as_deref().unwrap_or("none")
                ));
            }
            match audited_close {
                None => problems.push("no auction.result audit entry".into()),
                Some(d) => {
                    let mut differs = Vec::new();
                    if d["result"].as_str() != result.as_deref() {
                        differs.push(format!("result {}", d["result"]));
                    }
                    if d["price"].as_str() != price.as_deref() {
                        differs.push(format!("price {}", d["price"]));
                    }
                    if d["winner_number"].as_str() != winner_number.as_deref() {
                        differs.push(format!("winner_number {}", d["winner_number"]));
                    }
                    if time_of(&d["closed_at"]) != Some(closed) {
                        differs.push(format!("closed_at {}", d["closed_at"]));
                    }
                    if d["bid_count"].as_i64() != Some(input.bids.len() as i64) {
                        differs.push(format!("bid_count {}", d["bid_count"]));
                    }
                    if !differs.is_empty() {
                        problems.push(format!(
                            "the replay differs from the auction.result audit entry ({})",
                            differs.join(", ")
                        ));
                    }
                }
            }
        }
        None => {
            if a.stage == "closed" || a.result.is_some() {
                problems.push("the lot is closed but records no closed_at".into());
            }
            if audited_close.is_some() {
                problems.push("an auction.close audit entry for a lot not closed".into());
            }
        }
    }
    Replay {
        auction_id: a.id,
        code: a.code.clone(),
        bids: input.bids.len(),
        price,
        winner_number,
        result,
        recorded_result: a.result.clone(),
        recorded_price,
        recorded_winner_number,
        agrees: problems.is_empty(),
        problems,
    }
}

/// The replay for people: a summary line, then the problems.
pub fn summary(r: &Replay) -> String {
    let head = format!(
        "auction {} ({}), {} bids in the log",
        r.code, r.auction_id, r.bids
    );
    if !r.agrees {
        let mut s = format!(
            "{head}\nreplay DISAGREES with the record ({} problems):",
            r.problems.len()
        );
        for p in &r.problems {
            s.push_str("\n  - ");
            s.push_str(p);
        }
        return s;
    }
    let line = match (r.result.as_deref(), &r.price, &r.winner_number) {
        (Some("sold"), Some(p), Some(w)) => {
            format!("replay agrees with the recorded result: sold at {p} to bidder {w}")
        }
        (Some("unsold"), _, _) if r.bids == 0 => {
            "replay agrees with the recorded result: unsold (no bids)".to_string()
        }
        (Some("unsold"), _, _) => {
            "replay agrees with the recorded result: unsold (the reserve price was not reached)"
                .to_string()
        }
        _ => "replay agrees with the log so far: the lot is not closed yet".to_string(),
    };
    format!("{head}\n{line}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    fn hold(seq: i64, subject_type: &str, kind: &str, at: i64) -> Hold {
        Hold {
            seq,
            subject_type: subject_type.into(),
            kind: kind.into(),
            at: t(at),
        }
    }

    #[test]
    fn hold_periods_follow_both_subjects_and_the_applied_rows() {
        let holds = vec![
            hold(1, "project", "suspend", 10),
            hold(2, "auction", "suspend", 20),
            hold(3, "project", "resume", 30),
            hold(4, "auction", "resume", 50),
            hold(5, "auction", "suspend", 70),
        ];
        assert_eq!(pauses(&holds, 4), vec![(t(10), Some(t(50)))]);
        assert_eq!(pauses(&holds, 5), vec![(t(10), Some(t(50))), (t(70), None)]);
    }

    #[test]
    fn unshift_inverts_the_resumes() {
        let p = vec![(t(10), Some(t(50))), (t(100), Some(t(110)))];
        // an instant after both holds moved by 40 then 10
        let orig = t(200);
        let moved = orig + (t(50) - t(10)) + (t(110) - t(100));
        assert_eq!(unshift(moved, &p), orig);
        // an instant between the holds moved by the first only (60 + 40 = 100, not after 100)
        assert_eq!(unshift(t(100), &p), t(60));
        // an instant before both stays
        assert_eq!(unshift(t(5), &p), t(5));
    }

    #[test]
    fn a_countdown_held_and_resumed_ends_later_by_the_hold() {
        let lot = Lot {
            format: engine::Format::English,
            stage: Stage::Scheduled,
            start_price: Decimal::new(100, 0),
            increment: Decimal::new(10, 0),
            countdown: chrono::Duration::seconds(60),
            starts_at: t(0),
            free_bidding_until: None,
            listing_until: None,
            ends_at: None,
            current_price: None,
        };
        let mut run = Run {
            lot,
            pauses: vec![(t(30), Some(t(130)))],
            next_pause: 0,
            closed_at: None,
        };
        assert!(run.advance(t(100), 0));
        assert!(!run.advance(t(140), 0));
        assert_eq!(run.lot.stage, Stage::Timed);
        assert_eq!(run.lot.ends_at, Some(t(160)));
        run.advance(t(1000), 0);
        assert_eq!(run.closed_at, Some(t(160)));
    }
}
