//! Scoring formulas and ranking of sealed tenders (DOMAIN-RULES.md §3; API.md `evaluation.method`,
//! `POST /tenders/{id}/scores`, `POST /tenders/{id}/evaluation/finalize`).
//!
//! [`evaluate`] is a pure function of the tender's evaluation settings, the opened bids and the
//! committee's per-member marks. The rules it applies, in order:
//!
//! 1. **Settings** ([`validate_method_config`]): the comprehensive methods need weights in `[0, 1]`
//!    summing to exactly 1 (87号令 第五十五条: ΣAᵢ = 1); the lowest-price and highest-price
//!    methods take no weights. The SME price deduction exists only for the government-procurement
//!    methods and must lie in `[0.10, 0.20]` (财库〔2022〕19号, goods and services). `max_price`
//!    (最高投标限价) does not apply to `highest_price` (a property sale has a reserve, not a cap).
//!    Any other combination is refused rather than silently ignored, so that a promise made in the
//!    tender documents cannot be dropped at evaluation.
//! 2. **Compliance**: a bid is rejected, with one reason per ground, when
//!    - the committee's **strict majority** did not mark it compliant (a committee has an odd number
//!      of members, 招标投标法 第三十七条 / 87号令 第四十七条, so there is no tie; the members'
//!      reasons are kept, without their names, which stay secret);
//!    - its price is above `max_price` (招标投标法实施条例 第五十一条(五); 87号令 第六十三条(四));
//!    - its bid security is not confirmed (API.md; 87号令 第六十三条(一)).
//!
//!    Every member must mark every bid ([`EvaluationError::MissingScore`]).
//! 3. **Evaluated price** (评标价): the quoted price, except that for `gp_comprehensive` and
//!    `gp_lowest_price` an SME bid's price is reduced: `price × (1 − sme_deduction)` (财库〔2020〕46号
//!    第九条 as amended by 财库〔2022〕19号: the reduced price is used for both the base price and the
//!    bid's own score). It is exact (no rounding).
//! 4. **Price score** (comprehensive methods only): 评标基准价 = the lowest evaluated price among the
//!    compliant bids; `price_score = 基准价 / evaluated price × 100` (87号令 第五十五条). The same
//!    formula is used for the construction `comprehensive` method on the quoted price: 评标委员会和评标
//!    方法暂行规定 (12号令) 第二十九条至第三十七条 and the 标准施工招标文件 leave the price formula to the tender
//!    documents and no national formula exists, so the one nationally fixed formula is used.
//! 5. **Totals** (comprehensive methods only): each member's total for a compliant bid is
//!    `price_score × price_w + technical × technical_w + commercial × commercial_w`; technical and
//!    commercial scores are on a 0–100 scale and every member must give them for every compliant
//!    bid (also a member who was outvoted on compliance) when their weight is non-zero. The bid's
//!    total is the **mean of all the members' totals** — nothing is dropped (87号令 第五十五条 forbids
//!    dropping the highest or lowest) — rounded to two decimals, half up. Intermediate values keep
//!    full `Decimal` precision; only the total is rounded. The published `price_score` is the
//!    exact score rounded to two decimals for display.
//! 6. **Ranking** of the compliant bids (non-compliant bids get no rank):
//!    - comprehensive methods: rounded total descending (the published score is what 得分相同
//!      compares), then evaluated price ascending (87号令 第五十七条);
//!    - `lowest_evaluated_price` / `gp_lowest_price`: evaluated price ascending (招标投标法 第四十一条(二)
//!      / 87号令 第五十六条);
//!    - `highest_price`: quoted price descending;
//!    - remaining ties (87号令 第五十六条、第五十七条 leave them 并列, to be broken by the method stated
//!      in the tender documents) go to the **earlier submission** (`submitted_at`), and as a last
//!      resort to the smaller `bid_id` so the result is always total and reproducible. Every time a
//!      secondary key decides an adjacent pair, a [`TieBreak`] records it.
//! 7. **Candidates**: the first three ranked bids at most (招标投标法实施条例 第五十三条: 中标候选人
//!    不超过三个, 并标明排序).
//!
//! Not modelled here: abnormally low bids (招标投标法实施条例 第五十一条(五) "低于成本", 87号令 第六十条)
//! need the bidder's written explanation and are decided by the committee, which then marks the bid
//! non-compliant; same-brand grouping (87号令 第三十一条); price adjustments of 经评审的最低投标价法
//! other than the policy deduction.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The lowest SME price deduction allowed for goods and services (财库〔2022〕19号: 10%).
pub const SME_DEDUCTION_MIN: Decimal = Decimal::from_parts(10, 0, 0, false, 2);
/// The highest SME price deduction allowed for goods and services (财库〔2022〕19号: 20%).
pub const SME_DEDUCTION_MAX: Decimal = Decimal::from_parts(20, 0, 0, false, 2);
/// The most candidates a committee may name (招标投标法实施条例 第五十三条).
pub const MAX_CANDIDATES: usize = 3;

/// An evaluation method (`evaluation.method` in API.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// 综合评估法 (construction; 招标投标法 第四十一条(一), 12号令 第二十九条至第三十七条).
    Comprehensive,
    /// 经评审的最低投标价法 (construction; 招标投标法 第四十一条(二)).
    LowestEvaluatedPrice,
    /// 综合评分法 (government procurement; 87号令 第五十五条).
    GpComprehensive,
    /// 最低评标价法 (government procurement; 87号令 第五十四条).
    GpLowestPrice,
    /// Property one-shot sealed bidding: the highest price wins.
    HighestPrice,
}

impl Method {
    /// Every method, in API.md order.
    pub const ALL: [Method; 5] = [
        Method::Comprehensive,
        Method::LowestEvaluatedPrice,
        Method::GpComprehensive,
        Method::GpLowestPrice,
        Method::HighestPrice,
    ];

    /// The API name of the method (`"gp_comprehensive"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Comprehensive => "comprehensive",
            Method::LowestEvaluatedPrice => "lowest_evaluated_price",
            Method::GpComprehensive => "gp_comprehensive",
            Method::GpLowestPrice => "gp_lowest_price",
            Method::HighestPrice => "highest_price",
        }
    }

    /// Whether the method scores bids with weights (the comprehensive methods).
    pub fn is_scored(self) -> bool {
        matches!(self, Method::Comprehensive | Method::GpComprehensive)
    }

    /// Whether the method belongs to government procurement (the SME deduction applies).
    pub fn is_government_procurement(self) -> bool {
        matches!(self, Method::GpComprehensive | Method::GpLowestPrice)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Method {
    type Err = EvaluationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| EvaluationError::UnknownMethod(s.to_owned()))
    }
}

/// The weights of the price, technical and commercial parts, as fractions summing to 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weights {
    /// Weight of the price score (87号令 第五十五条: goods ≥ 0.30, services ≥ 0.10).
    pub price: Decimal,
    /// Weight of the technical score.
    pub technical: Decimal,
    /// Weight of the commercial score.
    pub commercial: Decimal,
}

/// One opened bid as the evaluation sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidInput {
    /// The bid.
    pub bid_id: Uuid,
    /// The quoted price (投标报价), positive.
    pub price: Decimal,
    /// When the bid was received, in microseconds since the epoch (the documented tie-break).
    pub submitted_at: i64,
    /// Whether the bidder is a small or micro enterprise entitled to the price deduction.
    pub sme: bool,
    /// Whether the centre confirmed the bid security's arrival.
    pub security_confirmed: bool,
}

/// One committee member's marks for one bid (API.md `POST /tenders/{id}/scores`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberScore {
    /// The committee member.
    pub member_id: Uuid,
    /// The bid marked.
    pub bid_id: Uuid,
    /// Whether the member finds the bid compliant (资格性和符合性审查).
    pub compliant: bool,
    /// The member's reason, expected when `compliant` is false.
    pub reason: Option<String>,
    /// Technical score, 0–100 (comprehensive methods).
    pub technical: Option<Decimal>,
    /// Commercial score, 0–100 (comprehensive methods).
    pub commercial: Option<Decimal>,
}

/// Everything [`evaluate`] needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluationInput {
    /// The evaluation method of the tender.
    pub method: Method,
    /// The weights; required for the comprehensive methods, refused otherwise.
    pub weights: Option<Weights>,
    /// 最高投标限价 / 最高限价, if the documents set one.
    pub max_price: Option<Decimal>,
    /// SME price deduction as a fraction (0.10 = 10 %), government procurement only.
    pub sme_deduction: Option<Decimal>,
    /// The opened bids.
    pub bids: Vec<BidInput>,
    /// Every member's marks for every bid.
    pub scores: Vec<MemberScore>,
}

/// Which secondary key decided the order of two adjacent bids whose primary key was equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TieBreakRule {
    /// Same score, lower evaluated price first (87号令 第五十七条).
    LowerPrice,
    /// Same score and price, earlier submission first (the tie-break stated in the documents).
    EarlierSubmission,
    /// Same everything including the microsecond of submission: smaller bid id first.
    BidId,
}

impl TieBreakRule {
    /// The rule's legal basis or documentary source.
    pub fn citation(self) -> &'static str {
        match self {
            TieBreakRule::LowerPrice => "政府采购货物和服务招标投标管理办法 第五十七条",
            TieBreakRule::EarlierSubmission | TieBreakRule::BidId => {
                "政府采购货物和服务招标投标管理办法 第五十六条、第五十七条 (并列: tie-break stated in the tender documents)"
            }
        }
    }
}

/// A record that a tie-break placed `ahead` directly before `behind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TieBreak {
    /// The bid placed first.
    pub ahead: Uuid,
    /// The bid placed directly after it.
    pub behind: Uuid,
    /// The key that decided.
    pub rule: TieBreakRule,
}

/// One bid's evaluation result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranked {
    /// The bid.
    pub bid_id: Uuid,
    /// 1-based rank among compliant bids; `None` for a rejected bid.
    pub rank: Option<u32>,
    /// The price used for evaluation (after the SME deduction, for government procurement).
    pub evaluated_price: Decimal,
    /// Price score rounded to two decimals (comprehensive methods, compliant bids).
    pub price_score: Option<Decimal>,
    /// Mean of the members' totals, two decimals (comprehensive methods, compliant bids).
    pub total: Option<Decimal>,
    /// Whether the bid passed the compliance checks.
    pub compliant: bool,
    /// Why the bid was rejected (empty when compliant).
    pub reasons: Vec<String>,
}

/// The evaluation result: ranked compliant bids first, then the rejected bids in input order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranking {
    /// Every bid, ranked ones first in rank order.
    pub items: Vec<Ranked>,
    /// At most three candidates in rank order (招标投标法实施条例 第五十三条).
    pub candidates: Vec<Uuid>,
    /// Every adjacent pair whose order was decided by a tie-break.
    pub tie_breaks: Vec<TieBreak>,
}

/// Why an evaluation could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluationError {
    /// The method name is not one of API.md's.
    #[error("unknown evaluation method {0:?}")]
    UnknownMethod(String),
    /// A comprehensive method without weights.
    #[error("method {0} needs price, technical and commercial weights")]
    WeightsRequired(Method),
    /// Weights given for a method that does not score.
    #[error("method {0} takes no weights")]
    WeightsNotApplicable(Method),
    /// A weight outside `[0, 1]`.
    #[error("{part} weight {value} is outside [0, 1]")]
    WeightOutOfRange {
        /// `price`, `technical` or `commercial`.
        part: &'static str,
        /// The weight given.
        value: Decimal,
    },
    /// The weights do not sum to exactly 1 (87号令 第五十五条).
    #[error("weights sum to {0}, not 1")]
    WeightsDoNotSumToOne(Decimal),
    /// An SME deduction for a method outside government procurement.
    #[error("method {0} has no SME price deduction")]
    SmeDeductionNotApplicable(Method),
    /// An SME deduction outside 10–20 % (财库〔2022〕19号).
    #[error("SME deduction {0} is outside [0.10, 0.20] (财库〔2022〕19号)")]
    SmeDeductionOutOfRange(Decimal),
    /// A maximum price for the highest-price method.
    #[error("method {0} takes no maximum price")]
    MaxPriceNotApplicable(Method),
    /// A maximum price that is not positive.
    #[error("maximum price {0} is not positive")]
    NonPositiveMaxPrice(Decimal),
    /// A bid whose price is zero or negative.
    #[error("bid {0} has a non-positive price")]
    NonPositivePrice(Uuid),
    /// The same bid twice.
    #[error("bid {0} appears twice")]
    DuplicateBid(Uuid),
    /// Bids but no member marks.
    #[error("there are bids but no committee marks")]
    NoCommittee,
    /// A mark for a bid that is not among the bids.
    #[error("member {member_id} marked unknown bid {bid_id}")]
    UnknownBid {
        /// The member.
        member_id: Uuid,
        /// The unknown bid.
        bid_id: Uuid,
    },
    /// Two marks by one member for one bid.
    #[error("member {member_id} marked bid {bid_id} twice")]
    DuplicateScore {
        /// The member.
        member_id: Uuid,
        /// The bid.
        bid_id: Uuid,
    },
    /// A member did not mark a bid.
    #[error("member {member_id} has not marked bid {bid_id}")]
    MissingScore {
        /// The member.
        member_id: Uuid,
        /// The bid.
        bid_id: Uuid,
    },
    /// A member did not give a weighted part's score for a compliant bid.
    #[error("member {member_id} has no {part} score for compliant bid {bid_id}")]
    MissingPart {
        /// The member.
        member_id: Uuid,
        /// The bid.
        bid_id: Uuid,
        /// `technical` or `commercial`.
        part: &'static str,
    },
    /// A technical or commercial score outside 0–100.
    #[error("member {member_id} gave bid {bid_id} a {part} score of {value}, outside 0–100")]
    ScoreOutOfRange {
        /// The member.
        member_id: Uuid,
        /// The bid.
        bid_id: Uuid,
        /// `technical` or `commercial`.
        part: &'static str,
        /// The score given.
        value: Decimal,
    },
    /// A price too large for exact decimal arithmetic.
    #[error("arithmetic overflow on bid {0}")]
    Overflow(Uuid),
}

/// Checks a tender's evaluation settings (rule 1 of the module docs); usable when the tender is created.
pub fn validate_method_config(
    method: Method,
    weights: Option<&Weights>,
    max_price: Option<Decimal>,
    sme_deduction: Option<Decimal>,
) -> Result<(), EvaluationError> {
    match (method.is_scored(), weights) {
        (true, None) => return Err(EvaluationError::WeightsRequired(method)),
        (false, Some(_)) => return Err(EvaluationError::WeightsNotApplicable(method)),
        (true, Some(w)) => {
            for (part, value) in [
                ("price", w.price),
                ("technical", w.technical),
                ("commercial", w.commercial),
            ] {
                if value < Decimal::ZERO || value > Decimal::ONE {
                    return Err(EvaluationError::WeightOutOfRange { part, value });
                }
            }
            // 87号令 第五十五条: ΣAᵢ = 1, exactly — decimals make an exact comparison meaningful.
            let sum = w.price + w.technical + w.commercial;
            if sum != Decimal::ONE {
                return Err(EvaluationError::WeightsDoNotSumToOne(sum));
            }
        }
        (false, None) => {}
    }
    if let Some(d) = sme_deduction {
        if !method.is_government_procurement() {
            return Err(EvaluationError::SmeDeductionNotApplicable(method));
        }
        if !(SME_DEDUCTION_MIN..=SME_DEDUCTION_MAX).contains(&d) {
            return Err(EvaluationError::SmeDeductionOutOfRange(d));
        }
    }
    if let Some(max) = max_price {
        if method == Method::HighestPrice {
            return Err(EvaluationError::MaxPriceNotApplicable(method));
        }
        if max <= Decimal::ZERO {
            return Err(EvaluationError::NonPositiveMaxPrice(max));
        }
    }
    Ok(())
}

/// Per-bid working state.
struct Work<'a> {
    bid: &'a BidInput,
    evaluated_price: Decimal,
    reasons: Vec<String>,
    price_score: Option<Decimal>,
    total: Option<Decimal>,
}

/// Rounds half up to two decimals (the published precision of scores).
fn round2(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Evaluates and ranks the bids by the tender's method (see the module docs for every rule).
pub fn evaluate(input: &EvaluationInput) -> Result<Ranking, EvaluationError> {
    let method = input.method;
    validate_method_config(
        method,
        input.weights.as_ref(),
        input.max_price,
        input.sme_deduction,
    )?;

    // Bids: unique and positive (the price score divides by the price).
    let mut seen = HashSet::new();
    for bid in &input.bids {
        if !seen.insert(bid.bid_id) {
            return Err(EvaluationError::DuplicateBid(bid.bid_id));
        }
        if bid.price <= Decimal::ZERO {
            return Err(EvaluationError::NonPositivePrice(bid.bid_id));
        }
    }
    if input.bids.is_empty() {
        return Ok(Ranking {
            items: Vec::new(),
            candidates: Vec::new(),
            tie_breaks: Vec::new(),
        });
    }

    // Marks: indexed by (member, bid); every member must mark every bid exactly once.
    let members: BTreeSet<Uuid> = input.scores.iter().map(|s| s.member_id).collect();
    if members.is_empty() {
        return Err(EvaluationError::NoCommittee);
    }
    let mut marks: HashMap<(Uuid, Uuid), &MemberScore> = HashMap::new();
    for s in &input.scores {
        if !seen.contains(&s.bid_id) {
            return Err(EvaluationError::UnknownBid {
                member_id: s.member_id,
                bid_id: s.bid_id,
            });
        }
        for (part, value) in [("technical", s.technical), ("commercial", s.commercial)] {
            if let Some(value) = value
                && (value < Decimal::ZERO || value > Decimal::ONE_HUNDRED)
            {
                return Err(EvaluationError::ScoreOutOfRange {
                    member_id: s.member_id,
                    bid_id: s.bid_id,
                    part,
                    value,
                });
            }
        }
        if marks.insert((s.member_id, s.bid_id), s).is_some() {
            return Err(EvaluationError::DuplicateScore {
                member_id: s.member_id,
                bid_id: s.bid_id,
            });
        }
    }
    for bid in &input.bids {
        for &member_id in &members {
            if !marks.contains_key(&(member_id, bid.bid_id)) {
                return Err(EvaluationError::MissingScore {
                    member_id,
                    bid_id: bid.bid_id,
                });
            }
        }
    }

    let (over_price_cite, security_cite) = if method.is_government_procurement() {
        (
            "政府采购货物和服务招标投标管理办法 第六十三条(四)",
            "政府采购货物和服务招标投标管理办法 第六十三条(一)",
        )
    } else {
        (
            "招标投标法实施条例 第五十一条(五)",
            "招标投标法实施条例 第五十一条(六)",
        )
    };

    // Compliance and evaluated price.
    let mut work: Vec<Work<'_>> = Vec::with_capacity(input.bids.len());
    for bid in &input.bids {
        let mut reasons = Vec::new();
        let bid_marks: Vec<&MemberScore> =
            members.iter().map(|m| marks[&(*m, bid.bid_id)]).collect();
        let yes = bid_marks.iter().filter(|s| s.compliant).count();
        // Strict majority: the committee is odd-sized, so this is the committee's decision
        // (招标投标法 第三十七条 / 87号令 第四十七条 fix the size; the members decide by majority).
        if yes * 2 <= bid_marks.len() {
            reasons.push(format!(
                "non-compliant by the committee's majority ({} of {} members)",
                bid_marks.len() - yes,
                bid_marks.len()
            ));
            for s in bid_marks.iter().filter(|s| !s.compliant) {
                if let Some(r) = s.reason.as_deref().filter(|r| !r.trim().is_empty()) {
                    reasons.push(format!("member's reason: {r}"));
                }
            }
        }
        if let Some(max) = input.max_price
            && bid.price > max
        {
            reasons.push(format!(
                "price {} is above the maximum price {max} ({over_price_cite})",
                bid.price
            ));
        }
        if !bid.security_confirmed {
            reasons.push(format!("bid security not confirmed ({security_cite})"));
        }
        let evaluated_price = match input.sme_deduction {
            // 财库〔2020〕46号 第九条 / 财库〔2022〕19号: the reduced price takes part in evaluation.
            Some(d) if bid.sme && method.is_government_procurement() => bid
                .price
                .checked_mul(Decimal::ONE - d)
                .ok_or(EvaluationError::Overflow(bid.bid_id))?,
            _ => bid.price,
        };
        work.push(Work {
            bid,
            evaluated_price,
            reasons,
            price_score: None,
            total: None,
        });
    }

    // Scores (comprehensive methods).
    if let (true, Some(w)) = (method.is_scored(), input.weights.as_ref()) {
        // 87号令 第五十五条: 评标基准价 = the lowest price among the bids meeting the requirements.
        let base = work
            .iter()
            .filter(|x| x.reasons.is_empty())
            .map(|x| x.evaluated_price)
            .min();
        if let Some(base) = base {
            for x in work.iter_mut().filter(|x| x.reasons.is_empty()) {
                let id = x.bid.bid_id;
                let price_score = base
                    .checked_div(x.evaluated_price)
                    .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED))
                    .ok_or(EvaluationError::Overflow(id))?;
                let mut sum = Decimal::ZERO;
                for member_id in &members {
                    let s = marks[&(*member_id, id)];
                    let part =
                        |name: &'static str, weight: Decimal, value: Option<Decimal>| match value {
                            Some(v) => Ok(v * weight),
                            None if weight.is_zero() => Ok(Decimal::ZERO),
                            None => Err(EvaluationError::MissingPart {
                                member_id: *member_id,
                                bid_id: id,
                                part: name,
                            }),
                        };
                    let member_total = price_score * w.price
                        + part("technical", w.technical, s.technical)?
                        + part("commercial", w.commercial, s.commercial)?;
                    sum += member_total;
                }
                // The mean of all members' totals: nothing dropped (87号令 第五十五条).
                let mean = sum / Decimal::from(members.len());
                x.price_score = Some(round2(price_score));
                x.total = Some(round2(mean));
            }
        }
    }

    // Ranking of the compliant bids.
    let (mut ranked, rejected): (Vec<Work<'_>>, Vec<Work<'_>>) =
        work.into_iter().partition(|x| x.reasons.is_empty());
    // Returns the ordering and the first key that decided it (None = the primary key).
    let compare = |a: &Work<'_>, b: &Work<'_>| -> (std::cmp::Ordering, Option<TieBreakRule>) {
        let primary = match method {
            Method::Comprehensive | Method::GpComprehensive => b.total.cmp(&a.total),
            Method::LowestEvaluatedPrice | Method::GpLowestPrice => {
                a.evaluated_price.cmp(&b.evaluated_price)
            }
            Method::HighestPrice => b.bid.price.cmp(&a.bid.price),
        };
        if primary.is_ne() {
            return (primary, None);
        }
        if method.is_scored() {
            let by_price = a.evaluated_price.cmp(&b.evaluated_price);
            if by_price.is_ne() {
                return (by_price, Some(TieBreakRule::LowerPrice));
            }
        }
        let by_time = a.bid.submitted_at.cmp(&b.bid.submitted_at);
        if by_time.is_ne() {
            return (by_time, Some(TieBreakRule::EarlierSubmission));
        }
        (a.bid.bid_id.cmp(&b.bid.bid_id), Some(TieBreakRule::BidId))
    };
    ranked.sort_by(|a, b| compare(a, b).0);
    let tie_breaks = ranked
        .windows(2)
        .filter_map(|pair| {
            compare(&pair[0], &pair[1]).1.map(|rule| TieBreak {
                ahead: pair[0].bid.bid_id,
                behind: pair[1].bid.bid_id,
                rule,
            })
        })
        .collect();
    let candidates = ranked
        .iter()
        .take(MAX_CANDIDATES)
        .map(|x| x.bid.bid_id)
        .collect();

    let items = ranked
        .into_iter()
        .enumerate()
        .map(|(i, x)| (Some(i as u32 + 1), x))
        .chain(rejected.into_iter().map(|x| (None, x)))
        .map(|(rank, x)| Ranked {
            bid_id: x.bid.bid_id,
            rank,
            evaluated_price: x.evaluated_price,
            price_score: x.price_score,
            total: x.total,
            compliant: x.reasons.is_empty(),
            reasons: x.reasons,
        })
        .collect();
    Ok(Ranking {
        items,
        candidates,
        tie_breaks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal literal")
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn bid(n: u128, price: &str, submitted_at: i64, sme: bool) -> BidInput {
        BidInput {
            bid_id: id(n),
            price: d(price),
            submitted_at,
            sme,
            security_confirmed: true,
        }
    }

    /// A compliant mark with technical and commercial scores.
    fn mark(member: u128, bid: u128, technical: &str, commercial: &str) -> MemberScore {
        MemberScore {
            member_id: id(member),
            bid_id: id(bid),
            compliant: true,
            reason: None,
            technical: Some(d(technical)),
            commercial: Some(d(commercial)),
        }
    }

    /// A compliance-only mark (price methods).
    fn vote(member: u128, bid: u128, compliant: bool, reason: Option<&str>) -> MemberScore {
        MemberScore {
            member_id: id(member),
            bid_id: id(bid),
            compliant,
            reason: reason.map(str::to_owned),
            technical: None,
            commercial: None,
        }
    }

    fn weights(price: &str, technical: &str, commercial: &str) -> Option<Weights> {
        Some(Weights {
            price: d(price),
            technical: d(technical),
            commercial: d(commercial),
        })
    }

    fn item(r: &Ranking, n: u128) -> &Ranked {
        r.items
            .iter()
            .find(|x| x.bid_id == id(n))
            .expect("bid in result")
    }

    fn order(r: &Ranking) -> Vec<Uuid> {
        r.items
            .iter()
            .filter(|x| x.rank.is_some())
            .map(|x| x.bid_id)
            .collect()
    }

    // Members 101, 102, 103; bids A = 1, B = 2 (small enterprise), C = 3.
    fn gp_example(max_price: &str) -> EvaluationInput {
        EvaluationInput {
            method: Method::GpComprehensive,
            weights: weights("0.30", "0.60", "0.10"),
            max_price: Some(d(max_price)),
            sme_deduction: Some(d("0.10")),
            bids: vec![
                bid(1, "1000000", 10, false),
                bid(2, "950000", 20, true),
                bid(3, "1100000", 30, false),
            ],
            scores: vec![
                mark(101, 1, "80", "90"),
                mark(101, 2, "70", "80"),
                mark(101, 3, "90", "85"),
                mark(102, 1, "85", "80"),
                mark(102, 2, "75", "70"),
                mark(102, 3, "88", "90"),
                mark(103, 1, "78", "85"),
                mark(103, 2, "72", "75"),
                mark(103, 3, "92", "80"),
            ],
        }
    }

    #[test]
    fn gp_comprehensive_worked_example() {
        // Evaluated prices: A 1,000,000; B (small enterprise) 950,000 × (1 − 0.10) = 855,000;
        // C 1,100,000. 基准价 = 855,000 (B's reduced price, 财库〔2022〕19号).
        // Price scores (87号令 第五十五条): A 855,000/1,000,000 × 100 = 85.5; B 100;
        // C 855,000/1,100,000 × 100 = 77.7272…
        // A: price part 85.5 × 0.30 = 25.65
        //    M1 25.65 + 80×0.6 + 90×0.1 = 25.65 + 48 + 9   = 82.65
        //    M2 25.65 + 85×0.6 + 80×0.1 = 25.65 + 51 + 8   = 84.65
        //    M3 25.65 + 78×0.6 + 85×0.1 = 25.65 + 46.8 + 8.5 = 80.95
        //    mean 248.25 / 3 = 82.75
        // B: price part 100 × 0.30 = 30
        //    M1 30 + 42 + 8 = 80; M2 30 + 45 + 7 = 82; M3 30 + 43.2 + 7.5 = 80.7
        //    mean 242.7 / 3 = 80.90
        // C: price part 77.7272… × 0.30 = 23.31818…
        //    M1 23.31818… + 54 + 8.5 = 85.81818…; M2 + 52.8 + 9 = 85.11818…; M3 + 55.2 + 8 = 86.51818…
        //    mean 257.4545… / 3 = 85.81818… → 85.82
        // Order: C 85.82, A 82.75, B 80.90.
        let r = evaluate(&gp_example("1200000")).unwrap();
        assert_eq!(order(&r), vec![id(3), id(1), id(2)]);
        assert_eq!(r.candidates, vec![id(3), id(1), id(2)]);
        assert!(r.tie_breaks.is_empty());

        let a = item(&r, 1);
        assert_eq!(a.evaluated_price, d("1000000"));
        assert_eq!(a.price_score, Some(d("85.50")));
        assert_eq!(a.total, Some(d("82.75")));
        assert_eq!(a.rank, Some(2));

        let b = item(&r, 2);
        assert_eq!(b.evaluated_price, d("855000"));
        assert_eq!(b.price_score, Some(d("100")));
        assert_eq!(b.total, Some(d("80.90")));
        assert_eq!(b.rank, Some(3));

        let c = item(&r, 3);
        assert_eq!(c.price_score, Some(d("77.73")));
        assert_eq!(c.total, Some(d("85.82")));
        assert_eq!(c.rank, Some(1));
        assert!(r.items.iter().all(|x| x.compliant && x.reasons.is_empty()));
    }

    #[test]
    fn bid_above_max_price_is_rejected_and_unranked() {
        // Same example with 最高限价 1,050,000: C (1,100,000) is rejected (87号令 第六十三条(四)).
        // The base price is still B's 855,000, so A and B keep 82.75 and 80.90.
        let r = evaluate(&gp_example("1050000")).unwrap();
        let c = item(&r, 3);
        assert!(!c.compliant);
        assert_eq!(c.rank, None);
        assert_eq!(c.total, None);
        assert_eq!(c.price_score, None);
        assert_eq!(c.reasons.len(), 1);
        assert!(c.reasons[0].contains("第六十三条(四)"), "{:?}", c.reasons);
        assert_eq!(order(&r), vec![id(1), id(2)]);
        assert_eq!(item(&r, 1).total, Some(d("82.75")));
        assert_eq!(item(&r, 2).total, Some(d("80.90")));
        assert_eq!(r.candidates, vec![id(1), id(2)]);
        // Rejected bids come after the ranked ones.
        assert_eq!(r.items.last().unwrap().bid_id, id(3));
    }

    #[test]
    fn rejected_bid_does_not_set_the_base_price() {
        // L (800,000) is found non-compliant by 2 of 3 members; H (1,000,000) is then the lowest
        // compliant bid, so 基准价 = 1,000,000 and H's price score is 100, not 80.
        // H: 100 × 0.5 + 60 × 0.4 + 50 × 0.1 = 50 + 24 + 5 = 79.00 for every member.
        let mut scores = Vec::new();
        for m in [101, 102, 103] {
            scores.push(mark(m, 2, "60", "50"));
        }
        scores.push(mark(101, 1, "90", "90"));
        scores.push(vote(102, 1, false, Some("技术参数不满足★条款")));
        scores.push(vote(103, 1, false, Some("")));
        let input = EvaluationInput {
            method: Method::GpComprehensive,
            weights: weights("0.5", "0.4", "0.1"),
            max_price: None,
            sme_deduction: None,
            bids: vec![bid(1, "800000", 1, false), bid(2, "1000000", 2, false)],
            scores,
        };
        let r = evaluate(&input).unwrap();
        let h = item(&r, 2);
        assert_eq!(h.price_score, Some(d("100")));
        assert_eq!(h.total, Some(d("79.00")));
        let l = item(&r, 1);
        assert!(!l.compliant);
        assert_eq!(l.rank, None);
        // The majority statement and the one non-empty member reason, without member names.
        assert_eq!(l.reasons.len(), 2, "{:?}", l.reasons);
        assert!(l.reasons[0].contains("2 of 3"));
        assert!(l.reasons[1].contains("技术参数不满足★条款"));
        assert!(!l.reasons.iter().any(|x| x.contains(&id(102).to_string())));
        assert_eq!(r.candidates, vec![id(2)]);
    }

    #[test]
    fn ties_go_to_lower_price_then_earlier_submission() {
        // gp_comprehensive, weights 0.30/0.60/0.10, no SME. 基准价 = Y's 800,000.
        // Y 800,000:   price score 100 → 30 + 70×0.6 + 80×0.1 = 30 + 42 + 8 = 80.00
        // X 1,000,000: price score 80  → 24 + 80×0.6 + 80×0.1 = 24 + 48 + 8 = 80.00
        //   equal scores → lower price first (87号令 第五十七条): Y before X.
        // Q, P 900,000: price score 88.888… → 26.666… + 60×0.6 + 60×0.1 = 68.666… → 68.67 each
        //   equal score and price → earlier submission: Q (t = 40) before P (t = 50).
        // Four ranked bids, three candidates: Y, X, Q; P is ranked 4th but not named.
        let (x, y, p, q) = (1, 2, 3, 4);
        let mut scores = Vec::new();
        for m in [101, 102, 103] {
            scores.push(mark(m, y, "70", "80"));
            scores.push(mark(m, x, "80", "80"));
            scores.push(mark(m, p, "60", "60"));
            scores.push(mark(m, q, "60", "60"));
        }
        let input = EvaluationInput {
            method: Method::GpComprehensive,
            weights: weights("0.30", "0.60", "0.10"),
            max_price: None,
            sme_deduction: None,
            bids: vec![
                bid(x, "1000000", 100, false),
                bid(y, "800000", 200, false),
                bid(p, "900000", 50, false),
                bid(q, "900000", 40, false),
            ],
            scores,
        };
        let r = evaluate(&input).unwrap();
        assert_eq!(order(&r), vec![id(y), id(x), id(q), id(p)]);
        assert_eq!(item(&r, x).total, Some(d("80.00")));
        assert_eq!(item(&r, y).total, Some(d("80.00")));
        assert_eq!(item(&r, q).total, Some(d("68.67")));
        assert_eq!(item(&r, p).rank, Some(4));
        assert_eq!(r.candidates, vec![id(y), id(x), id(q)]);
        assert_eq!(
            r.tie_breaks,
            vec![
                TieBreak {
                    ahead: id(y),
                    behind: id(x),
                    rule: TieBreakRule::LowerPrice
                },
                TieBreak {
                    ahead: id(q),
                    behind: id(p),
                    rule: TieBreakRule::EarlierSubmission
                },
            ]
        );
    }

    #[test]
    fn comprehensive_construction_five_bids() {
        // 综合评估法, weights price 0.4 / technical 0.4 / commercial 0.2, 最高投标限价 11,000,000.
        // 基准价 = B3's 9,000,000; price score = 9,000,000 / price × 100 on the quoted price.
        // A member's total is linear, so the mean of the members' totals equals
        // price part + 0.4 × mean(technical) + 0.2 × mean(commercial):
        // B1 10,000,000: ps 90          → 36          + 0.4×85 (85,88,82) + 0.2×85 (90,80,85) = 36 + 34 + 17 = 87.00
        // B2  9,500,000: ps 94.7368…    → 37.8947…    + 0.4×80 (80,78,82) + 0.2×80 (75,80,85) = 85.8947… → 85.89
        // B3  9,000,000: ps 100         → 40          + 0.4×72 (70,72,74) + 0.2×70 (70,70,70) = 40 + 28.8 + 14 = 82.80
        // B4  9,800,000: ps 91.8367…    → 36.7346…    + 0.4×92 (90,92,94) + 0.2×90 (88,90,92) = 91.5346… → 91.53
        // B5 10,500,000: ps 85.7142…    → 34.2857…    + 0.4×95 (95,95,95) + 0.2×95 (95,95,95) = 91.2857… → 91.29
        // Ranks: B4, B5, B1, B2, B3; candidates B4, B5, B1 (at most three).
        let tech = [
            ["85", "88", "82"],
            ["80", "78", "82"],
            ["70", "72", "74"],
            ["90", "92", "94"],
            ["95", "95", "95"],
        ];
        let comm = [
            ["90", "80", "85"],
            ["75", "80", "85"],
            ["70", "70", "70"],
            ["88", "90", "92"],
            ["95", "95", "95"],
        ];
        let mut scores = Vec::new();
        for b in 0..5 {
            for m in 0..3 {
                scores.push(mark(101 + m as u128, b as u128 + 1, tech[b][m], comm[b][m]));
            }
        }
        let input = EvaluationInput {
            method: Method::Comprehensive,
            weights: weights("0.4", "0.4", "0.2"),
            max_price: Some(d("11000000")),
            sme_deduction: None,
            bids: vec![
                bid(1, "10000000", 1, false),
                bid(2, "9500000", 2, false),
                bid(3, "9000000", 3, false),
                bid(4, "9800000", 4, false),
                bid(5, "10500000", 5, false),
            ],
            scores,
        };
        let r = evaluate(&input).unwrap();
        let expect = [
            (1, "90.00", "87.00", 3),
            (2, "94.74", "85.89", 4),
            (3, "100.00", "82.80", 5),
            (4, "91.84", "91.53", 1),
            (5, "85.71", "91.29", 2),
        ];
        for (n, ps, total, rank) in expect {
            let x = item(&r, n);
            assert_eq!(x.price_score, Some(d(ps)), "price score of B{n}");
            assert_eq!(x.total, Some(d(total)), "total of B{n}");
            assert_eq!(x.rank, Some(rank), "rank of B{n}");
            assert_eq!(x.evaluated_price, input.bids[n as usize - 1].price);
        }
        assert_eq!(r.candidates, vec![id(4), id(5), id(1)]);
        assert_eq!(r.items.len(), 5);
    }

    #[test]
    fn mean_of_all_members_nothing_dropped() {
        // Equal prices (price score 100 each), weights 0.30/0.60/0.10.
        // X: M1 t=100,c=100 → 30 + 60 + 10 = 100; M2, M3 t=50,c=50 → 30 + 30 + 5 = 65
        //    mean (100 + 65 + 65) / 3 = 76.666… → 76.67; dropping the highest and lowest → 65
        // Y: every member t=60,c=60 → 30 + 36 + 6 = 72; mean 72.00, trimmed 72
        // With the mean X ranks first; a trimmed mean would put Y first (87号令 第五十五条 forbids it).
        let (x, y) = (1, 2);
        let scores = vec![
            mark(101, x, "100", "100"),
            mark(102, x, "50", "50"),
            mark(103, x, "50", "50"),
            mark(101, y, "60", "60"),
            mark(102, y, "60", "60"),
            mark(103, y, "60", "60"),
        ];
        let input = EvaluationInput {
            method: Method::GpComprehensive,
            weights: weights("0.30", "0.60", "0.10"),
            max_price: None,
            sme_deduction: None,
            bids: vec![bid(x, "1000000", 20, false), bid(y, "1000000", 10, false)],
            scores,
        };
        let r = evaluate(&input).unwrap();
        assert_eq!(item(&r, x).total, Some(d("76.67")));
        assert_eq!(item(&r, y).total, Some(d("72.00")));
        assert_eq!(order(&r), vec![id(x), id(y)]);
    }

    #[test]
    fn total_rounds_half_up() {
        // One bid, price score 100, weights 0.30/0.60/0.10, every member t=66.675, c=100:
        // 30 + 66.675×0.6 + 100×0.1 = 30 + 40.005 + 10 = 80.005 → 80.01 half up
        // (banker's rounding would give 80.00).
        let scores = (101..=103).map(|m| mark(m, 1, "66.675", "100")).collect();
        let input = EvaluationInput {
            method: Method::GpComprehensive,
            weights: weights("0.30", "0.60", "0.10"),
            max_price: None,
            sme_deduction: None,
            bids: vec![bid(1, "500000", 1, false)],
            scores,
        };
        let r = evaluate(&input).unwrap();
        assert_eq!(r.items[0].total, Some(d("80.01")));
    }

    #[test]
    fn lowest_evaluated_price_ranks_compliant_bids_by_price() {
        // 经评审的最低投标价法, 最高投标限价 5,500,000, members 101–103.
        // A 5,000,000: M3 says non-compliant, 2 of 3 say compliant → compliant (strict majority)
        // B 4,800,000: bid security not confirmed → rejected (实施条例 第五十一条(六))
        // C 5,200,000: compliant
        // D 5,600,000: above the cap → rejected (实施条例 第五十一条(五))
        // E 4,900,000: 2 of 3 say non-compliant → rejected, with both reasons
        // Ranking by price ascending: A 1, C 2; no scores for a price method.
        let (a, b, c, dd, e) = (1, 2, 3, 4, 5);
        let mut scores = Vec::new();
        for m in [101, 102, 103] {
            for n in [b, c, dd] {
                scores.push(vote(m, n, true, None));
            }
        }
        scores.push(vote(101, a, true, None));
        scores.push(vote(102, a, true, None));
        scores.push(vote(103, a, false, Some("工期不满足")));
        scores.push(vote(101, e, false, Some("未提供项目经理证书")));
        scores.push(vote(102, e, false, Some("投标函未盖章")));
        scores.push(vote(103, e, true, None));
        let mut bids = vec![
            bid(a, "5000000", 1, false),
            bid(b, "4800000", 2, false),
            bid(c, "5200000", 3, false),
            bid(dd, "5600000", 4, false),
            bid(e, "4900000", 5, false),
        ];
        bids[1].security_confirmed = false;
        let input = EvaluationInput {
            method: Method::LowestEvaluatedPrice,
            weights: None,
            max_price: Some(d("5500000")),
            sme_deduction: None,
            bids,
            scores,
        };
        let r = evaluate(&input).unwrap();
        assert_eq!(order(&r), vec![id(a), id(c)]);
        assert_eq!(r.candidates, vec![id(a), id(c)]);
        let ra = item(&r, a);
        assert!(ra.compliant && ra.reasons.is_empty());
        assert_eq!((ra.price_score, ra.total), (None, None));
        assert!(item(&r, b).reasons[0].contains("第五十一条(六)"));
        assert!(item(&r, dd).reasons[0].contains("第五十一条(五)"));
        let re = item(&r, e);
        assert_eq!(re.rank, None);
        assert_eq!(re.reasons.len(), 3, "{:?}", re.reasons);
        for n in [b, dd, e] {
            assert_eq!(item(&r, n).rank, None);
            assert!(!item(&r, n).compliant);
        }
    }

    #[test]
    fn gp_lowest_price_applies_sme_deduction_and_time_tie_break() {
        // 最低评标价法 with a 10 % deduction:
        // B 1,080,000 (small enterprise) → 1,080,000 × 0.90 = 972,000 → first despite the higher quote
        // A 1,000,000 (t = 300) and C 1,000,000 (t = 100) tie on price → C (earlier) before A.
        let (a, b, c) = (1, 2, 3);
        let scores = [a, b, c]
            .into_iter()
            .flat_map(|n| (101..=103).map(move |m| vote(m, n, true, None)))
            .collect();
        let input = EvaluationInput {
            method: Method::GpLowestPrice,
            weights: None,
            max_price: None,
            sme_deduction: Some(d("0.10")),
            bids: vec![
                bid(a, "1000000", 300, false),
                bid(b, "1080000", 200, true),
                bid(c, "1000000", 100, false),
            ],
            scores,
        };
        let r = evaluate(&input).unwrap();
        assert_eq!(order(&r), vec![id(b), id(c), id(a)]);
        assert_eq!(item(&r, b).evaluated_price, d("972000"));
        assert_eq!(
            r.tie_breaks,
            vec![TieBreak {
                ahead: id(c),
                behind: id(a),
                rule: TieBreakRule::EarlierSubmission
            }]
        );
    }

    #[test]
    fn highest_price_wins_property_sale() {
        // P2 and P3 quote 3,500,000 at the same microsecond → smaller bid id (P2) first;
        // P1 quotes 3,500,000 later (t = 20) → after P3; P4 3,000,000 last.
        let scores = (1..=4)
            .flat_map(|n| (101..=103).map(move |m| vote(m, n, true, None)))
            .collect();
        let input = EvaluationInput {
            method: Method::HighestPrice,
            weights: None,
            max_price: None,
            sme_deduction: None,
            bids: vec![
                bid(1, "3500000", 20, false),
                bid(2, "3500000", 5, false),
                bid(3, "3500000", 5, false),
                bid(4, "3000000", 1, false),
            ],
            scores,
        };
        let r = evaluate(&input).unwrap();
        assert_eq!(order(&r), vec![id(2), id(3), id(1), id(4)]);
        assert_eq!(r.candidates, vec![id(2), id(3), id(1)]);
        assert_eq!(
            r.tie_breaks,
            vec![
                TieBreak {
                    ahead: id(2),
                    behind: id(3),
                    rule: TieBreakRule::BidId
                },
                TieBreak {
                    ahead: id(3),
                    behind: id(1),
                    rule: TieBreakRule::EarlierSubmission
                },
            ]
        );
        assert_eq!(item(&r, 4).rank, Some(4));
    }

    #[test]
    fn weights_are_validated() {
        let mut input = gp_example("1200000");
        input.weights = weights("0.30", "0.60", "0.20");
        assert_eq!(
            evaluate(&input),
            Err(EvaluationError::WeightsDoNotSumToOne(d("1.10")))
        );
        input.weights = weights("-0.10", "1.00", "0.10");
        assert!(matches!(
            evaluate(&input),
            Err(EvaluationError::WeightOutOfRange { part: "price", .. })
        ));
        input.weights = None;
        assert_eq!(
            evaluate(&input),
            Err(EvaluationError::WeightsRequired(Method::GpComprehensive))
        );
        assert_eq!(
            validate_method_config(
                Method::GpLowestPrice,
                weights("0.3", "0.6", "0.1").as_ref(),
                None,
                None
            ),
            Err(EvaluationError::WeightsNotApplicable(Method::GpLowestPrice))
        );
    }

    #[test]
    fn sme_deduction_range_and_scope() {
        let w = weights("0.3", "0.6", "0.1");
        let check = |m: Method, sme: &str| {
            let w = if m.is_scored() { w.as_ref() } else { None };
            validate_method_config(m, w, None, Some(d(sme)))
        };
        assert_eq!(check(Method::GpComprehensive, "0.10"), Ok(()));
        assert_eq!(check(Method::GpLowestPrice, "0.20"), Ok(()));
        // 财库〔2020〕46号's old 6 % and anything above 20 % are refused.
        assert_eq!(
            check(Method::GpComprehensive, "0.06"),
            Err(EvaluationError::SmeDeductionOutOfRange(d("0.06")))
        );
        assert_eq!(
            check(Method::GpLowestPrice, "0.21"),
            Err(EvaluationError::SmeDeductionOutOfRange(d("0.21")))
        );
        assert_eq!(
            check(Method::Comprehensive, "0.10"),
            Err(EvaluationError::SmeDeductionNotApplicable(
                Method::Comprehensive
            ))
        );
        assert_eq!(
            validate_method_config(Method::HighestPrice, None, Some(d("1")), None),
            Err(EvaluationError::MaxPriceNotApplicable(Method::HighestPrice))
        );
    }

    #[test]
    fn marks_must_be_complete_and_in_range() {
        let base = gp_example("1200000");

        let mut input = base.clone();
        input.scores.remove(0); // member 101, bid A
        assert_eq!(
            evaluate(&input),
            Err(EvaluationError::MissingScore {
                member_id: id(101),
                bid_id: id(1)
            })
        );

        let mut input = base.clone();
        input.scores.push(mark(101, 1, "1", "1"));
        assert!(matches!(
            evaluate(&input),
            Err(EvaluationError::DuplicateScore { .. })
        ));

        let mut input = base.clone();
        input.scores.push(mark(101, 99, "1", "1"));
        assert!(matches!(
            evaluate(&input),
            Err(EvaluationError::UnknownBid { .. })
        ));

        let mut input = base.clone();
        input.scores[0].technical = Some(d("100.01"));
        assert!(matches!(
            evaluate(&input),
            Err(EvaluationError::ScoreOutOfRange {
                part: "technical",
                ..
            })
        ));

        // A member outvoted on compliance must still score the compliant bid.
        let mut input = base.clone();
        input.scores[0] = vote(101, 1, false, Some("x"));
        assert_eq!(
            evaluate(&input),
            Err(EvaluationError::MissingPart {
                member_id: id(101),
                bid_id: id(1),
                part: "technical"
            })
        );

        // A rejected bid needs no scores.
        let mut input = base.clone();
        input.scores[0] = vote(101, 1, false, None);
        input.scores[3] = vote(102, 1, false, None);
        let r = evaluate(&input).unwrap();
        assert_eq!(item(&r, 1).rank, None);

        let mut input = base.clone();
        input.scores.clear();
        assert_eq!(evaluate(&input), Err(EvaluationError::NoCommittee));

        let mut input = base;
        input.bids[1].price = Decimal::ZERO;
        assert_eq!(
            evaluate(&input),
            Err(EvaluationError::NonPositivePrice(id(2)))
        );
    }

    #[test]
    fn no_bids_no_candidates() {
        let mut input = gp_example("1200000");
        input.bids.clear();
        input.scores.clear();
        let r = evaluate(&input).unwrap();
        assert!(r.items.is_empty() && r.candidates.is_empty());
    }

    #[test]
    fn method_names_round_trip() {
        for m in Method::ALL {
            assert_eq!(m.as_str().parse::<Method>(), Ok(m));
            assert_eq!(
                serde_json::to_value(m).unwrap(),
                serde_json::Value::String(m.as_str().to_owned())
            );
        }
        assert!("lowest".parse::<Method>().is_err());
    }
}
