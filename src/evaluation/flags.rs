//! Collusion red flags (串标围标, DOMAIN-RULES.md §5A–5C) as pure functions: the evidence the
//! platform records about a tender's bidders goes in, scored indicators with their citations come
//! out. Nothing is stored: the flags are recomputed from the evidence on every read.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

/// 招标投标法实施条例 第四十条: the circumstances deemed (视为) collusion.
pub const ZTBSS_40: &str = "招标投标法实施条例 第四十条";
/// 发改法规规〔2022〕1117号 (十一): market-level signals such as a "标王" winning abnormally often.
pub const G1117_11: &str = "发改法规规〔2022〕1117号 第十一条";

/// Score of a trigger indicator (§5C).
pub const TRIGGER: u32 = 30;
/// Score of a core indicator (§5C).
pub const CORE: u32 = 10;
/// Score of a base indicator (§5C).
pub const BASE: u32 = 5;

/// Final submissions this close together (seconds) are clustered.
pub const CLUSTER_SECONDS: i64 = 10;
/// Wins by one bidder with one purchaser from which the pair is flagged.
pub const REPEATED_WINS: usize = 3;

/// What the platform recorded about one bidder of a tender.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BidderEvidence {
    /// The bidder's org.
    pub org_id: Uuid,
    /// Its 统一社会信用代码.
    pub org_code: String,
    /// Its name.
    pub name: String,
    /// Client fingerprints of its downloads and submissions.
    pub fingerprints: Vec<String>,
    /// Client addresses of its downloads and submissions.
    pub addresses: Vec<String>,
    /// SHA-256 of the attachments of its opened bid.
    pub attachment_hashes: Vec<String>,
    /// Accounts its bid security was paid from.
    pub payer_accounts: Vec<String>,
    /// Its opened price.
    pub price: Option<Decimal>,
    /// When its final submission was received.
    pub submitted_at: Option<DateTime<Utc>>,
}

/// The evidence of one tender.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    /// The bidders.
    pub bidders: Vec<BidderEvidence>,
    /// Past awards as (winner org code, purchaser org code).
    pub award_history: Vec<(String, String)>,
}

/// One raised indicator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    /// Indicator id (snake_case).
    pub indicator: &'static str,
    /// The rule it rests on, `<law> 第N条`.
    pub citation: String,
    /// Org codes of the bidders concerned (sorted).
    pub bidders: Vec<String>,
    /// What was found.
    pub evidence: Value,
    /// Points (§5C).
    pub score: u32,
}

/// Every indicator raised by the evidence, highest score first.
pub fn flags(e: &Evidence) -> Vec<Flag> {
    let mut out = Vec::new();
    out.extend(shared(e, "same_fingerprint", "fingerprints", |b| {
        &b.fingerprints
    }));
    out.extend(shared(e, "same_address", "addresses", |b| &b.addresses));
    out.extend(shared(e, "identical_attachments", "sha256", |b| {
        &b.attachment_hashes
    }));
    out.extend(shared(e, "same_payer_account", "payer_accounts", |b| {
        &b.payer_accounts
    }));
    out.extend(price_patterns(e));
    out.extend(clustered(e));
    out.extend(repeated_winners(e));
    out.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.indicator.cmp(b.indicator))
            .then(a.bidders.cmp(&b.bidders))
    });
    out
}

/// Bidders sharing a value: one flag per group of bidders, listing every value they share.
fn shared(
    e: &Evidence,
    indicator: &'static str,
    key: &str,
    values: impl Fn(&BidderEvidence) -> &Vec<String>,
) -> Vec<Flag> {
    let mut by_value: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for b in &e.bidders {
        for v in values(b) {
            let v = v.trim();
            if !v.is_empty() {
                by_value.entry(v).or_default().insert(&b.org_code);
            }
        }
    }
    let mut by_group: BTreeMap<BTreeSet<&str>, Vec<&str>> = BTreeMap::new();
    for (v, orgs) in by_value {
        if orgs.len() >= 2 {
            by_group.entry(orgs).or_default().push(v);
        }
    }
    by_group
        .into_iter()
        .map(|(orgs, vals)| Flag {
            indicator,
            citation: ZTBSS_40.into(),
            bidders: orgs.into_iter().map(String::from).collect(),
            evidence: json!({ key: vals }),
            score: TRIGGER,
        })
        .collect()
}

/// Runs of ≥ 3 consecutive sorted prices with equal gaps (exact) or equal ratios (4 places).
fn price_patterns(e: &Evidence) -> Vec<Flag> {
    let mut priced: Vec<(Decimal, &str)> = e
        .bidders
        .iter()
        .filter_map(|b| b.price.map(|p| (p, b.org_code.as_str())))
        .collect();
    priced.sort();
    let mut out = Vec::new();
    let step = |a: &(Decimal, &str), b: &(Decimal, &str)| {
        let d = b.0 - a.0;
        (!d.is_zero()).then_some(d)
    };
    for (start, end, gap) in runs(&priced, step) {
        out.push(price_flag(
            "price_progression",
            &priced[start..end],
            json!({"step": gap.normalize().to_string()}),
        ));
    }
    let ratio = |a: &(Decimal, &str), b: &(Decimal, &str)| {
        if a.0 <= Decimal::ZERO || a.0 == b.0 {
            return None;
        }
        b.0.checked_div(a.0).map(|r| r.round_dp(4))
    };
    for (start, end, r) in runs(&priced, ratio) {
        out.push(price_flag(
            "price_constant_ratio",
            &priced[start..end],
            json!({"ratio": r.normalize().to_string()}),
        ));
    }
    out
}

/// Maximal runs `[start, end)` of ≥ 3 items whose successive measures are equal.
fn runs<T>(
    items: &[T],
    measure: impl Fn(&T, &T) -> Option<Decimal>,
) -> Vec<(usize, usize, Decimal)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 2 < items.len() {
        let Some(m) = measure(&items[i], &items[i + 1]) else {
            i += 1;
            continue;
        };
        let mut end = i + 2;
        while end < items.len() && measure(&items[end - 1], &items[end]) == Some(m) {
            end += 1;
        }
        if end - i >= 3 {
            out.push((i, end, m));
            i = end - 1;
        } else {
            i += 1;
        }
    }
    out
}

fn price_flag(indicator: &'static str, run: &[(Decimal, &str)], mut evidence: Value) -> Flag {
    evidence["prices"] = json!(run.iter().map(|p| p.0.to_string()).collect::<Vec<_>>());
    let mut bidders: Vec<String> = run.iter().map(|p| p.1.to_string()).collect();
    bidders.sort();
    Flag {
        indicator,
        citation: ZTBSS_40.into(),
        bidders,
        evidence,
        score: CORE,
    }
}

/// Groups of ≥ 2 final submissions, each within `CLUSTER_SECONDS` of the previous one.
fn clustered(e: &Evidence) -> Vec<Flag> {
    let mut timed: Vec<(DateTime<Utc>, &str)> = e
        .bidders
        .iter()
        .filter_map(|b| b.submitted_at.map(|t| (t, b.org_code.as_str())))
        .collect();
    timed.sort();
    let mut groups: Vec<Vec<(DateTime<Utc>, &str)>> = Vec::new();
    for t in timed {
        match groups.last_mut() {
            Some(g)
                if g.last()
                    .is_some_and(|l| (t.0 - l.0).num_milliseconds() <= CLUSTER_SECONDS * 1000) =>
            {
                g.push(t)
            }
            _ => groups.push(vec![t]),
        }
    }
    groups
        .into_iter()
        .filter(|g| g.len() >= 2)
        .map(|g| {
            let mut bidders: Vec<String> = g.iter().map(|t| t.1.to_string()).collect();
            bidders.sort();
            let span = (g[g.len() - 1].0 - g[0].0).num_milliseconds() as f64 / 1000.0;
            Flag {
                indicator: "clustered_submissions",
                citation: ZTBSS_40.into(),
                bidders,
                evidence: json!({
                    "received_at": g.iter().map(|t| t.0.to_rfc3339()).collect::<Vec<_>>(),
                    "span_seconds": span,
                    "window_seconds": CLUSTER_SECONDS,
                }),
                score: CORE,
            }
        })
        .collect()
}

/// A bidder of this tender that won ≥ `REPEATED_WINS` times with the same purchaser.
fn repeated_winners(e: &Evidence) -> Vec<Flag> {
    let ours: BTreeSet<&str> = e.bidders.iter().map(|b| b.org_code.as_str()).collect();
    let mut wins: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (winner, purchaser) in &e.award_history {
        *wins.entry((winner, purchaser)).or_default() += 1;
    }
    wins.into_iter()
        .filter(|((w, _), n)| *n >= REPEATED_WINS && ours.contains(w))
        .map(|((w, p), n)| Flag {
            indicator: "repeated_winner",
            citation: G1117_11.into(),
            bidders: vec![w.to_string()],
            evidence: json!({"purchaser": p, "wins": n}),
            score: BASE,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn bidder(code: &str) -> BidderEvidence {
        BidderEvidence {
            org_id: Uuid::new_v4(),
            org_code: code.into(),
            name: format!("{code} 公司"),
            ..Default::default()
        }
    }

    fn priced(code: &str, price: &str) -> BidderEvidence {
        BidderEvidence {
            price: Some(price.parse().unwrap()),
            ..bidder(code)
        }
    }

    fn of<'a>(f: &'a [Flag], indicator: &str) -> Vec<&'a Flag> {
        f.iter().filter(|x| x.indicator == indicator).collect()
    }

    #[test]
    fn shared_fingerprint_groups_every_bidder_that_shares_it() {
        let mut a = bidder("A");
        let mut b = bidder("B");
        let mut c = bidder("C");
        let mut d = bidder("D");
        a.fingerprints = vec!["m1".into(), "m1".into()];
        b.fingerprints = vec!["m1".into(), "m2".into()];
        c.fingerprints = vec!["m1".into()];
        d.fingerprints = vec!["m9".into(), "".into()];
        let f = flags(&Evidence {
            bidders: vec![a, b, c, d],
            ..Default::default()
        });
        let fp = of(&f, "same_fingerprint");
        assert_eq!(fp.len(), 1);
        assert_eq!(fp[0].bidders, ["A", "B", "C"]);
        assert_eq!(fp[0].citation, "招标投标法实施条例 第四十条");
        assert_eq!(fp[0].score, 30);
        assert_eq!(fp[0].evidence["fingerprints"], json!(["m1"]));
    }

    #[test]
    fn addresses_attachments_and_payer_accounts_are_trigger_indicators() {
        let mut a = bidder("A");
        let mut b = bidder("B");
        a.addresses = vec!["10.0.0.1".into()];
        b.addresses = vec!["10.0.0.1".into()];
        a.attachment_hashes = vec!["h1".into(), "h2".into()];
        b.attachment_hashes = vec!["h2".into(), "h1".into()];
        a.payer_accounts = vec!["6222".into()];
        b.payer_accounts = vec!["6222".into()];
        let f = flags(&Evidence {
            bidders: vec![a, b],
            ..Default::default()
        });
        for i in [
            "same_address",
            "identical_attachments",
            "same_payer_account",
        ] {
            let x = of(&f, i);
            assert_eq!(x.len(), 1, "{i}");
            assert_eq!(x[0].bidders, ["A", "B"]);
            assert_eq!(x[0].score, 30);
        }
        assert_eq!(
            of(&f, "identical_attachments")[0].evidence["sha256"],
            json!(["h1", "h2"])
        );
        assert!(of(&f, "same_fingerprint").is_empty());
    }

    #[test]
    fn arithmetic_progression_of_prices() {
        let f = flags(&Evidence {
            bidders: vec![
                priced("C", "110.00"),
                priced("A", "100.00"),
                priced("B", "105.00"),
                priced("D", "200.00"),
            ],
            ..Default::default()
        });
        let p = of(&f, "price_progression");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].bidders, ["A", "B", "C"]);
        assert_eq!(p[0].score, 10);
        assert_eq!(p[0].evidence["step"], "5");
        assert!(of(&f, "price_constant_ratio").is_empty());
        // two prices, or unequal gaps, or equal prices: nothing
        for prices in [
            vec!["100", "105"],
            vec!["100", "105", "111"],
            vec!["100", "100", "100"],
        ] {
            let bidders = prices
                .iter()
                .enumerate()
                .map(|(i, p)| priced(&i.to_string(), p))
                .collect();
            let f = flags(&Evidence {
                bidders,
                ..Default::default()
            });
            assert!(of(&f, "price_progression").is_empty(), "{prices:?}");
        }
    }

    #[test]
    fn constant_ratio_of_prices() {
        let f = flags(&Evidence {
            bidders: vec![
                priced("A", "100.00"),
                priced("B", "110.00"),
                priced("C", "121.00"),
                priced("D", "133.10"),
            ],
            ..Default::default()
        });
        let r = of(&f, "price_constant_ratio");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].bidders, ["A", "B", "C", "D"]);
        assert_eq!(r[0].evidence["ratio"], "1.1");
        assert!(of(&f, "price_progression").is_empty());
    }

    #[test]
    fn submissions_within_ten_seconds_cluster() {
        let t = |s: i64| Some(Utc.timestamp_opt(1_800_000_000 + s, 0).unwrap());
        let mut bs: Vec<_> = ["A", "B", "C", "D"].iter().map(|c| bidder(c)).collect();
        bs[0].submitted_at = t(0);
        bs[1].submitted_at = t(10);
        bs[2].submitted_at = t(100);
        bs[3].submitted_at = t(111);
        let f = flags(&Evidence {
            bidders: bs,
            ..Default::default()
        });
        let c = of(&f, "clustered_submissions");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].bidders, ["A", "B"]);
        assert_eq!(c[0].score, 10);
    }

    #[test]
    fn a_repeated_winner_with_one_purchaser() {
        let h = |w: &str, p: &str| (w.to_string(), p.to_string());
        let f = flags(&Evidence {
            bidders: vec![bidder("A"), bidder("B")],
            award_history: vec![
                h("A", "P"),
                h("A", "P"),
                h("A", "P"),
                h("B", "P"),
                h("B", "Q"),
                h("B", "P"),
                h("X", "P"),
                h("X", "P"),
                h("X", "P"),
            ],
        });
        let r = of(&f, "repeated_winner");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].bidders, ["A"]);
        assert_eq!(r[0].score, 5);
        assert_eq!(r[0].evidence, json!({"purchaser": "P", "wins": 3}));
        assert!(r[0].citation.ends_with("第十一条"));
    }

    #[test]
    fn flags_come_highest_score_first() {
        let mut a = priced("A", "100");
        let mut b = priced("B", "105");
        let c = priced("C", "110");
        a.fingerprints = vec!["m".into()];
        b.fingerprints = vec!["m".into()];
        let f = flags(&Evidence {
            bidders: vec![a, b, c],
            ..Default::default()
        });
        assert_eq!(f[0].indicator, "same_fingerprint");
        assert!(f.windows(2).all(|w| w[0].score >= w[1].score));
    }
}
