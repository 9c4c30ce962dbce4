//! Evaluation committee: the size rules and the witnessed random draw (DESIGN.md §5; API.md
//! `POST /tenders/{id}/committee/draw`, `POST /committee-draws/{draw_id}/contribution`,
//! `GET /tenders/{id}/committee`).
//!
//! The centre commits to a secret 32-byte seed by publishing [`seed_commitment`]; a supervisor on
//! site then gives a 32-byte contribution; the draw runs on both, so neither side alone can choose
//! the committee. After the result the seed, the contribution, the pool list and its
//! [`pool_snapshot_hash`] are published and anyone can re-run the draw with the algorithm below.
//!
//! # Algorithm `ggzy-committee-draw/1` (byte level)
//!
//! Notation: `‖` is concatenation, `SHA256` is FIPS 180-4 SHA-256, `BE32(k)` is `k` as 4 bytes
//! big-endian, `BE64` likewise with 8 bytes. A UUID is its 16 bytes in RFC 9562 order (the order in
//! which the hyphenated lowercase text is written), and "sorted by user id" means ascending by those
//! 16 bytes, which is also the ascending order of the hyphenated lowercase text.
//!
//! 1. **Commitment.** `commitment = hex(SHA256(seed))`, 64 lowercase hex digits, published before
//!    the contribution is taken.
//! 2. **Randomness.** `r = SHA256(seed ‖ contribution)` (64 bytes in, 32 out).
//! 3. **Stream.** Block `k` (k = 0, 1, 2, …) is `SHA256(r ‖ BE32(k))`; the stream is
//!    block 0 ‖ block 1 ‖ …. A *word* is the next 8 unused stream bytes read as a big-endian
//!    unsigned 64-bit integer (each block yields exactly four words; nothing is skipped).
//! 4. **Uniform index below n** (n ≥ 1): let `m = 2^64 mod n` and `limit = 2^64 − m`; take words
//!    until one, `x`, satisfies `x < limit` (the rejected words are consumed); the index is
//!    `x mod n`. This avoids modulo bias.
//! 5. **Eligibility.** Start from the pool sorted by user id. Drop every expert whose
//!    `employer_org_code` equals one of `excluded_org_codes` (the bidders' organisations: recusal,
//!    政府采购评审专家管理办法 / 87号令 第四十二条) or whose user id is in `excluded_users`. Of the rest:
//!    - the **economic list** is the experts with `economic == true`, whatever their specialties;
//!    - the **technical list** is the experts with `economic == false` having at least one
//!      specialty equal (byte for byte) to one of the request's `specialties`.
//!
//!    An economic expert sits only as an economic expert, so the lists are disjoint. Both keep the
//!    sorted order.
//! 6. **Draw.** First `economic` times from the economic list, then `size_experts − economic` times
//!    from the technical list: `i = index below len(list)` (step 4, continuing the one stream),
//!    take `list[i]`, remove it (the later entries move down one place). The members are the taken
//!    experts in the order taken (economic ones first). If a list is shorter than the number to take,
//!    the draw fails with [`DrawError::PoolTooSmall`] before any word is read.
//! 7. **Redraw** after conflict declarations (API.md `POST /tenders/{id}/committee/declarations`):
//!    given the conflicted members in the order they declared, re-run steps 2–6 with the same
//!    inputs, then for each conflicted member `c` in turn: take the list of `c`'s kind (step 5),
//!    remove every expert drawn so far (all the initial members and all earlier replacements,
//!    whether still sitting or not), draw one index from the same stream continuing where it
//!    stopped, and put the expert taken in `c`'s place. So a redraw never disturbs the sitting
//!    members and every redraw is reproducible from the published data.
//!
//! # Pool snapshot `ggzy-expert-pool/1`
//!
//! [`pool_snapshot_hash`] is `hex(SHA256(bytes))` where `bytes` is:
//!
//! ```text
//! "ggzy-expert-pool/1"                 18 ASCII bytes
//! BE32(number of experts)
//! per expert, sorted by user id (equal ids: by their encoded bytes):
//!   user id                            16 bytes
//!   economic                           1 byte, 0x01 or 0x00
//!   BE32(len) employer_org_code        UTF-8 bytes
//!   BE32(number of distinct specialties)
//!   per specialty, sorted ascending by UTF-8 bytes, duplicates removed:
//!     BE32(len) specialty              UTF-8 bytes
//! ```
//!
//! Strings are taken as given (no Unicode normalisation, no trimming). The length prefixes make the
//! encoding unambiguous whatever characters the strings contain.

use std::collections::{BTreeSet, HashSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The budget from which a procurement committee needs seven members (87号令 第四十七条: 1000万元以上).
pub const LARGE_PROCUREMENT_THRESHOLD: Decimal = Decimal::from_parts(10_000_000, 0, 0, false, 0);
/// The domain-separation prefix of the pool snapshot encoding.
pub const POOL_SNAPSHOT_FORMAT: &str = "ggzy-expert-pool/1";

/// One expert of the pool as published with the draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolExpert {
    /// The expert's user id.
    pub user_id: Uuid,
    /// The expert's specialties (professional categories of the pool).
    pub specialties: Vec<String>,
    /// The expert's employer (unified social credit code), for recusal.
    pub employer_org_code: String,
    /// Whether the expert is registered as an economic expert.
    pub economic: bool,
}

/// What the centre asks the draw for (API.md `POST /tenders/{id}/committee/draw`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawRequest {
    /// How many experts to draw in all (economic ones included).
    pub size_experts: u32,
    /// How many of them must be economic experts.
    pub economic: u32,
    /// Specialties qualifying a technical expert (any one suffices).
    pub specialties: Vec<String>,
    /// Organisations whose staff may not sit (the bidders: recusal).
    pub excluded_org_codes: Vec<String>,
    /// Users who may not sit (declared conflicts, previous members).
    pub excluded_users: Vec<Uuid>,
}

/// The two kinds of drawn expert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpertKind {
    /// An economic expert (`economic == true`).
    Economic,
    /// A technical expert with one of the requested specialties.
    Technical,
}

/// Why a draw could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    /// Fewer eligible experts than needed.
    #[error("not enough eligible {kind:?} experts: {needed} needed, {eligible} eligible")]
    PoolTooSmall {
        /// The list that ran short.
        kind: ExpertKind,
        /// How many were needed from it.
        needed: u32,
        /// How many it held.
        eligible: u32,
    },
    /// An inconsistent request.
    #[error("invalid draw request: {0}")]
    InvalidRequest(&'static str),
    /// The pool lists one user twice.
    #[error("expert {0} appears twice in the pool")]
    DuplicateExpert(Uuid),
    /// A redraw for someone who is not a sitting member.
    #[error("{0} is not a sitting member of the committee")]
    NotAMember(Uuid),
}

/// A breach of the committee size rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizeViolation {
    /// Machine name of the rule.
    pub rule: &'static str,
    /// Legal basis.
    pub citation: &'static str,
    /// What is wrong, with the numbers.
    pub detail: String,
}

const ZTB_37: &str = "招标投标法 第三十七条";
const O87_47: &str = "政府采购货物和服务招标投标管理办法（财政部令第87号）第四十七条";

/// Checks a committee's size and composition; an empty result means it is lawful.
///
/// `category` is `construction` (招标投标法 第三十七条) or `procurement` (87号令 第四十七条):
/// at least five members, an odd number, experts at least two thirds; procurement at or above
/// `large_threshold` ([`LARGE_PROCUREMENT_THRESHOLD`]) needs at least seven.
pub fn check_size(
    category: &str,
    budget: Decimal,
    size: u32,
    experts: u32,
    representatives: u32,
    large_threshold: Decimal,
) -> Vec<SizeViolation> {
    let mut out = Vec::new();
    let citation = match category {
        "construction" => ZTB_37,
        "procurement" => O87_47,
        other => {
            out.push(SizeViolation {
                rule: "committee_category",
                citation: "DOMAIN-RULES.md §3",
                detail: format!("no committee rule for category {other:?}"),
            });
            // The general rules are the same in both laws; still check them.
            ZTB_37
        }
    };
    if u64::from(experts) + u64::from(representatives) != u64::from(size) {
        out.push(SizeViolation {
            rule: "committee_composition",
            citation,
            detail: format!(
                "{experts} experts and {representatives} representatives do not make {size} members"
            ),
        });
    }
    if size < 5 {
        out.push(SizeViolation {
            rule: "committee_min_size",
            citation,
            detail: format!("{size} members, at least 5 required"),
        });
    }
    if size.is_multiple_of(2) {
        out.push(SizeViolation {
            rule: "committee_odd_size",
            citation,
            detail: format!("{size} members, an odd number required"),
        });
    }
    // Experts ≥ 2/3 of the members, compared in integers: 3·experts ≥ 2·size.
    if u64::from(experts) * 3 < u64::from(size) * 2 {
        out.push(SizeViolation {
            rule: "committee_expert_share",
            citation,
            detail: format!("{experts} experts of {size} members, at least two thirds required"),
        });
    }
    // 87号令 第四十七条: 采购预算金额在1000万元以上 → 7人以上单数 ("以上" includes the amount).
    if category == "procurement" && budget >= large_threshold && size < 7 {
        out.push(SizeViolation {
            rule: "committee_min_size_large",
            citation: O87_47,
            detail: format!(
                "budget {budget} is at least {large_threshold}: {size} members, at least 7 required"
            ),
        });
    }
    out
}

/// The published commitment to the centre's seed: lowercase hex of SHA-256(seed).
pub fn seed_commitment(seed: &[u8; 32]) -> String {
    hex::encode(Sha256::digest(seed))
}

/// The draw's randomness `r = SHA-256(seed ‖ contribution)` (step 2 of the module docs).
pub fn randomness(seed: &[u8; 32], contribution: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(seed);
    h.update(contribution);
    h.finalize().into()
}

/// Appends a length-prefixed UTF-8 string.
fn put_str(out: &mut Vec<u8>, s: &str) {
    // A string of 4 GiB cannot come from the pool; saturating keeps this total anyway.
    let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Encodes one expert (the per-expert record of `ggzy-expert-pool/1`).
fn encode_expert(e: &PoolExpert) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(e.user_id.as_bytes());
    out.push(u8::from(e.economic));
    put_str(&mut out, &e.employer_org_code);
    let specialties: BTreeSet<&str> = e.specialties.iter().map(String::as_str).collect();
    let n = u32::try_from(specialties.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&n.to_be_bytes());
    for s in specialties {
        put_str(&mut out, s);
    }
    out
}

/// The canonical bytes of the pool (`ggzy-expert-pool/1`, module docs), the input of its hash.
pub fn pool_snapshot_bytes(pool: &[PoolExpert]) -> Vec<u8> {
    let mut records: Vec<(Uuid, Vec<u8>)> =
        pool.iter().map(|e| (e.user_id, encode_expert(e))).collect();
    // The record starts with the user id, so sorting the records sorts by user id first.
    records.sort();
    let mut out = Vec::from(POOL_SNAPSHOT_FORMAT.as_bytes());
    let n = u32::try_from(records.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&n.to_be_bytes());
    for (_, r) in records {
        out.extend_from_slice(&r);
    }
    out
}

/// The pool's snapshot hash: lowercase hex of SHA-256 of [`pool_snapshot_bytes`].
pub fn pool_snapshot_hash(pool: &[PoolExpert]) -> String {
    hex::encode(Sha256::digest(pool_snapshot_bytes(pool)))
}

/// The deterministic word stream of step 3.
struct Stream {
    r: [u8; 32],
    next_block: u32,
    block: [u8; 32],
    used: usize,
}

impl Stream {
    fn new(r: [u8; 32]) -> Self {
        Stream {
            r,
            next_block: 0,
            block: [0; 32],
            used: 32,
        }
    }

    fn word(&mut self) -> u64 {
        if self.used == self.block.len() {
            let mut h = Sha256::new();
            h.update(self.r);
            h.update(self.next_block.to_be_bytes());
            self.block = h.finalize().into();
            // 2^32 blocks would take 2^34 words; each index needs one word but with probability
            // below n/2^64, so this cannot be reached.
            self.next_block = self
                .next_block
                .checked_add(1)
                .expect("draw stream exhausted");
            self.used = 0;
        }
        let mut w = [0u8; 8];
        w.copy_from_slice(&self.block[self.used..self.used + 8]);
        self.used += 8;
        u64::from_be_bytes(w)
    }

    /// A uniform index below `n` (step 4): rejection sampling against modulo bias.
    fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "index below zero");
        let n = n as u128;
        let limit = (1u128 << 64) - (1u128 << 64) % n;
        loop {
            let x = u128::from(self.word());
            if x < limit {
                // x mod n < n ≤ usize::MAX.
                return (x % n) as usize;
            }
        }
    }
}

/// The state after the initial draw, shared by [`draw`] and [`redraw`].
struct Drawn<'a> {
    members: Vec<Uuid>,
    kinds: Vec<ExpertKind>,
    economic: Vec<&'a PoolExpert>,
    technical: Vec<&'a PoolExpert>,
    stream: Stream,
}

/// Steps 2–6 of the module docs.
fn run<'a>(
    seed: &[u8; 32],
    contribution: &[u8; 32],
    pool: &'a [PoolExpert],
    request: &DrawRequest,
) -> Result<Drawn<'a>, DrawError> {
    if request.size_experts == 0 {
        return Err(DrawError::InvalidRequest("size_experts must be at least 1"));
    }
    if request.economic > request.size_experts {
        return Err(DrawError::InvalidRequest(
            "economic must not exceed size_experts",
        ));
    }
    let technical_needed = request.size_experts - request.economic;
    if technical_needed > 0 && request.specialties.is_empty() {
        return Err(DrawError::InvalidRequest(
            "technical experts need at least one specialty",
        ));
    }
    let mut sorted: Vec<&PoolExpert> = pool.iter().collect();
    sorted.sort_by_key(|e| e.user_id);
    if let Some(w) = sorted.windows(2).find(|w| w[0].user_id == w[1].user_id) {
        return Err(DrawError::DuplicateExpert(w[0].user_id));
    }
    let excluded_orgs: HashSet<&str> = request
        .excluded_org_codes
        .iter()
        .map(String::as_str)
        .collect();
    let excluded_users: HashSet<Uuid> = request.excluded_users.iter().copied().collect();
    let wanted: HashSet<&str> = request.specialties.iter().map(String::as_str).collect();
    let allowed = sorted.into_iter().filter(|e| {
        !excluded_orgs.contains(e.employer_org_code.as_str())
            && !excluded_users.contains(&e.user_id)
    });
    let (economic, technical): (Vec<&PoolExpert>, Vec<&PoolExpert>) =
        allowed.partition(|e| e.economic);
    let technical: Vec<&PoolExpert> = technical
        .into_iter()
        .filter(|e| e.specialties.iter().any(|s| wanted.contains(s.as_str())))
        .collect();

    for (kind, needed, list) in [
        (ExpertKind::Economic, request.economic, &economic),
        (ExpertKind::Technical, technical_needed, &technical),
    ] {
        if (list.len() as u64) < u64::from(needed) {
            return Err(DrawError::PoolTooSmall {
                kind,
                needed,
                eligible: u32::try_from(list.len()).unwrap_or(u32::MAX),
            });
        }
    }

    let mut stream = Stream::new(randomness(seed, contribution));
    let mut members = Vec::with_capacity(request.size_experts as usize);
    let mut kinds = Vec::with_capacity(request.size_experts as usize);
    for (kind, needed, list) in [
        (ExpertKind::Economic, request.economic, &economic),
        (ExpertKind::Technical, technical_needed, &technical),
    ] {
        let mut remaining = list.clone();
        for _ in 0..needed {
            let i = stream.below(remaining.len());
            members.push(remaining.remove(i).user_id);
            kinds.push(kind);
        }
    }
    Ok(Drawn {
        members,
        kinds,
        economic,
        technical,
        stream,
    })
}

/// Draws the committee's experts (algorithm `ggzy-committee-draw/1`, steps 2–6 of the module docs).
pub fn draw(
    seed: &[u8; 32],
    contribution: &[u8; 32],
    pool: &[PoolExpert],
    request: &DrawRequest,
) -> Result<Vec<Uuid>, DrawError> {
    run(seed, contribution, pool, request).map(|d| d.members)
}

/// Replaces conflicted members, in declaration order, from the same stream (step 7 of the module docs).
///
/// `seed`, `contribution`, `pool` and `request` must be exactly those of the original draw (a
/// conflicted member goes in `conflicted`, not in `request.excluded_users`). Returns the sitting
/// members, each replacement in its predecessor's place.
pub fn redraw(
    seed: &[u8; 32],
    contribution: &[u8; 32],
    pool: &[PoolExpert],
    request: &DrawRequest,
    conflicted: &[Uuid],
) -> Result<Vec<Uuid>, DrawError> {
    let Drawn {
        mut members,
        kinds,
        economic,
        technical,
        mut stream,
    } = run(seed, contribution, pool, request)?;
    let mut ever_drawn: HashSet<Uuid> = members.iter().copied().collect();
    for c in conflicted {
        let seat = members
            .iter()
            .position(|m| m == c)
            .ok_or(DrawError::NotAMember(*c))?;
        let kind = kinds[seat];
        let list = match kind {
            ExpertKind::Economic => &economic,
            ExpertKind::Technical => &technical,
        };
        let remaining: Vec<&PoolExpert> = list
            .iter()
            .copied()
            .filter(|e| !ever_drawn.contains(&e.user_id))
            .collect();
        if remaining.is_empty() {
            return Err(DrawError::PoolTooSmall {
                kind,
                needed: 1,
                eligible: 0,
            });
        }
        let chosen = remaining[stream.below(remaining.len())].user_id;
        ever_drawn.insert(chosen);
        members[seat] = chosen;
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal literal")
    }

    fn expert(n: u128, specialties: &[&str], org: &str, economic: bool) -> PoolExpert {
        PoolExpert {
            user_id: Uuid::from_u128(n),
            specialties: specialties.iter().map(|s| s.to_string()).collect(),
            employer_org_code: org.to_owned(),
            economic,
        }
    }

    /// The 12-expert pool of the pinned vectors (the same one /tmp reference scripts used):
    /// ids 0x1000 + i·0x111, employer ORG(i mod 4), economic for i ∈ {4, 5, 8}.
    fn small_pool() -> Vec<PoolExpert> {
        let specs: [&[&str]; 12] = [
            &["建筑工程", "市政"],
            &["建筑工程"],
            &["市政"],
            &["水利"],
            &["造价"],
            &["造价", "建筑工程"],
            &["建筑工程", "水利"],
            &["市政", "建筑工程"],
            &["造价"],
            &["建筑工程"],
            &["水利"],
            &["建筑工程"],
        ];
        (0..12u128)
            .map(|i| {
                expert(
                    0x1000 + i * 0x111,
                    specs[i as usize],
                    &format!("ORG{}", i % 4),
                    matches!(i, 4 | 5 | 8),
                )
            })
            .collect()
    }

    fn small_request() -> DrawRequest {
        DrawRequest {
            size_experts: 4,
            economic: 1,
            specialties: vec!["建筑工程".into(), "市政".into()],
            excluded_org_codes: vec!["ORG3".into()],
            excluded_users: vec![Uuid::from_u128(0x1111)],
        }
    }

    /// 200 experts, 10 employers, 40 economic ones, specialties A/B/C.
    fn large_pool() -> Vec<PoolExpert> {
        (0..200u128)
            .map(|i| {
                let spec = ["A", "B", "C"][(i % 3) as usize];
                // Spread ids over the whole range so the sort order is not the index order.
                let n = i.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835) | 1;
                expert(n, &[spec], &format!("ORG{}", i % 10), i % 5 == 0)
            })
            .collect()
    }

    const SEED: [u8; 32] = [1; 32];
    const CONTRIBUTION: [u8; 32] = [2; 32];

    fn ids(v: &[u128]) -> Vec<Uuid> {
        v.iter().map(|n| Uuid::from_u128(*n)).collect()
    }

    #[test]
    fn size_rules() {
        let t = LARGE_PROCUREMENT_THRESHOLD;
        let rules = |c: &str, budget: &str, size, experts, reps| -> Vec<&'static str> {
            check_size(c, d(budget), size, experts, reps, t)
                .into_iter()
                .map(|v| v.rule)
                .collect()
        };
        assert!(rules("construction", "50000000", 5, 4, 1).is_empty());
        // 9 members of whom 6 experts: exactly two thirds is enough.
        assert!(rules("construction", "1", 9, 6, 3).is_empty());
        assert_eq!(
            rules("construction", "1", 4, 4, 0),
            vec!["committee_min_size", "committee_odd_size"]
        );
        // 3 experts of 5: 3·3 = 9 < 2·5 = 10.
        assert_eq!(
            rules("procurement", "1", 5, 3, 2),
            vec!["committee_expert_share"]
        );
        assert_eq!(
            rules("procurement", "10000000", 5, 5, 0),
            vec!["committee_min_size_large"]
        );
        assert!(rules("procurement", "9999999.99", 5, 5, 0).is_empty());
        assert!(rules("procurement", "10000000", 7, 5, 2).is_empty());
        // Construction has no 7-member rule by budget.
        assert!(rules("construction", "10000000", 5, 5, 0).is_empty());
        assert_eq!(
            rules("construction", "1", 5, 4, 0),
            vec!["committee_composition"]
        );
        assert_eq!(rules("land", "1", 5, 5, 0), vec!["committee_category"]);
        let v = check_size("procurement", d("20000000"), 6, 6, 0, t);
        assert!(v.iter().all(|x| x.citation.contains("第四十七条")));
        assert!(v.iter().any(|x| x.detail.contains("20000000")));
    }

    #[test]
    fn seed_commitment_is_sha256_hex() {
        // SHA-256 of 32 zero bytes (a well-known vector).
        assert_eq!(
            seed_commitment(&[0; 32]),
            "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
        );
        // r = SHA-256(0x01×32 ‖ 0x02×32), computed with Python's hashlib.
        assert_eq!(
            hex::encode(randomness(&SEED, &CONTRIBUTION)),
            "f818afd37a6dc3bc92fb44731011277006db4efa6e9023cd7468c02335d22a4d"
        );
    }

    #[test]
    fn pool_snapshot_matches_documented_bytes() {
        // Build the bytes by hand for a two-expert pool given out of order with a duplicate
        // specialty: "ggzy-expert-pool/1" ‖ BE32(2) ‖ expert 1 ‖ expert 2.
        let pool = vec![
            expert(2, &["市政", "建筑", "市政"], "ORG-B", true),
            expert(1, &["水利"], "ORG-A", false),
        ];
        let mut want = b"ggzy-expert-pool/1".to_vec();
        want.extend_from_slice(&2u32.to_be_bytes());
        want.extend_from_slice(Uuid::from_u128(1).as_bytes());
        want.push(0);
        want.extend_from_slice(&5u32.to_be_bytes());
        want.extend_from_slice(b"ORG-A");
        want.extend_from_slice(&1u32.to_be_bytes());
        want.extend_from_slice(&6u32.to_be_bytes());
        want.extend_from_slice("水利".as_bytes());
        want.extend_from_slice(Uuid::from_u128(2).as_bytes());
        want.push(1);
        want.extend_from_slice(&5u32.to_be_bytes());
        want.extend_from_slice(b"ORG-B");
        want.extend_from_slice(&2u32.to_be_bytes());
        // "建" is E5 BB BA and "市" is E5 B8 82: 市政 sorts before 建筑 by bytes.
        for s in ["市政", "建筑"] {
            want.extend_from_slice(&6u32.to_be_bytes());
            want.extend_from_slice(s.as_bytes());
        }
        assert_eq!(pool_snapshot_bytes(&pool), want);
        assert_eq!(
            pool_snapshot_hash(&pool),
            hex::encode(Sha256::digest(&want))
        );
    }

    #[test]
    fn pool_snapshot_hash_is_canonical_and_pinned() {
        let pool = small_pool();
        // Computed by an independent Python implementation of the documented format.
        assert_eq!(
            pool_snapshot_hash(&pool),
            "770015400f0110d60d22b4686a877b61c6867e5ddaad0aa9eaf8bb702baeffcd"
        );
        let mut shuffled = pool.clone();
        shuffled.reverse();
        for e in &mut shuffled {
            e.specialties.reverse();
        }
        assert_eq!(pool_snapshot_hash(&shuffled), pool_snapshot_hash(&pool));
        let mut changed = pool.clone();
        changed[0].economic = true;
        assert_ne!(pool_snapshot_hash(&changed), pool_snapshot_hash(&pool));
        let mut changed = pool;
        changed[3].employer_org_code.push('X');
        assert_ne!(
            pool_snapshot_hash(&changed),
            pool_snapshot_hash(&small_pool())
        );
    }

    #[test]
    fn draw_matches_reference_vector() {
        // Eligible (sorted): economic 0x1444, 0x1555, 0x1888; technical 0x1000, 0x1222, 0x1666,
        // 0x1999 (0x1111 excluded by user, ORG3 = 0x1333/0x1777/0x1bbb excluded, 0x1aaa is 水利).
        // Drawn by the independent Python implementation of the documented algorithm.
        let m = draw(&SEED, &CONTRIBUTION, &small_pool(), &small_request()).unwrap();
        assert_eq!(m, ids(&[0x1555, 0x1000, 0x1666, 0x1222]));
    }

    #[cfg(target_pointer_width = "64")]
    #[test]
    fn rejection_sampling_matches_reference() {
        // With n = 2^63 + 1 about half the words are rejected (limit = 2^64 − (2^63 − 1)).
        // The Python reference consumed 16 words (10 rejected) for these six indices; a plain
        // `word % n` would give 13458923994574463992 mod n first instead.
        let mut s = Stream::new(randomness(&SEED, &CONTRIBUTION));
        let n = (1usize << 63) + 1;
        let got: Vec<usize> = (0..6).map(|_| s.below(n)).collect();
        assert_eq!(
            got,
            vec![
                2210866824080633452,
                8345213547242819628,
                5844913068838355381,
                3216725392249841047,
                7256986663540373490,
                316099713366371801
            ]
        );
        let mut s = Stream::new(randomness(&SEED, &CONTRIBUTION));
        let words: Vec<u64> = (0..6).map(|_| s.word()).collect();
        assert_eq!(words[0], 13458923994574463992);
        assert_eq!(words[5], 2210866824080633452);
    }

    #[test]
    fn draw_is_deterministic() {
        let pool = large_pool();
        let req = DrawRequest {
            size_experts: 7,
            economic: 2,
            specialties: vec!["A".into(), "B".into()],
            excluded_org_codes: vec![],
            excluded_users: vec![],
        };
        let a = draw(&SEED, &CONTRIBUTION, &pool, &req).unwrap();
        let mut reversed = pool.clone();
        reversed.reverse();
        // Same inputs (the pool in any order) → same members.
        assert_eq!(draw(&SEED, &CONTRIBUTION, &reversed, &req).unwrap(), a);
        assert_eq!(a.len(), 7);
        let unique: HashSet<Uuid> = a.iter().copied().collect();
        assert_eq!(unique.len(), 7);
        // Economic first, then technical experts with a requested specialty.
        let by_id = |u: &Uuid| pool.iter().find(|e| e.user_id == *u).unwrap();
        assert!(a[..2].iter().all(|u| by_id(u).economic));
        assert!(a[2..].iter().all(|u| {
            let e = by_id(u);
            !e.economic && e.specialties.iter().any(|s| s == "A" || s == "B")
        }));
    }

    #[test]
    fn different_contributions_give_different_members() {
        let pool = large_pool();
        let req = DrawRequest {
            size_experts: 7,
            economic: 2,
            specialties: vec!["A".into(), "B".into(), "C".into()],
            excluded_org_codes: vec![],
            excluded_users: vec![],
        };
        let mut seen = HashSet::new();
        for k in 0..20u8 {
            let mut c = CONTRIBUTION;
            c[31] = k;
            let mut m = draw(&SEED, &c, &pool, &req).unwrap();
            m.sort();
            assert!(seen.insert(m), "contribution {k} repeated a committee");
        }
        // The seed matters too.
        let mut other_seed = SEED;
        other_seed[0] ^= 0x80;
        assert_ne!(
            draw(&other_seed, &CONTRIBUTION, &pool, &req).unwrap(),
            draw(&SEED, &CONTRIBUTION, &pool, &req).unwrap()
        );
    }

    #[test]
    fn excluded_employers_and_users_are_never_drawn() {
        let pool = large_pool();
        let excluded_user = pool[1].user_id; // ORG1 is not excluded, so only the user list bars it
        let req = DrawRequest {
            size_experts: 9,
            economic: 3,
            specialties: vec!["A".into(), "B".into(), "C".into()],
            excluded_org_codes: vec!["ORG0".into(), "ORG7".into()],
            excluded_users: vec![excluded_user],
        };
        let mut drawn = HashSet::new();
        for k in 0..200u16 {
            let mut c = [0u8; 32];
            c[..2].copy_from_slice(&k.to_be_bytes());
            for u in draw(&SEED, &c, &pool, &req).unwrap() {
                let e = pool.iter().find(|e| e.user_id == u).unwrap();
                assert!(
                    e.employer_org_code != "ORG0" && e.employer_org_code != "ORG7",
                    "drew {u} of {}",
                    e.employer_org_code
                );
                assert_ne!(u, excluded_user);
                drawn.insert(u);
            }
        }
        // Over 200 draws most of the eligible pool shows up: the exclusion is not an accident
        // of a narrow draw (160 − 1 eligible).
        assert!(drawn.len() > 120, "only {} distinct experts", drawn.len());
    }

    #[test]
    fn pool_too_small_and_bad_requests() {
        let pool = small_pool();
        let mut req = small_request();
        req.economic = 4;
        req.size_experts = 5;
        assert_eq!(
            draw(&SEED, &CONTRIBUTION, &pool, &req),
            Err(DrawError::PoolTooSmall {
                kind: ExpertKind::Economic,
                needed: 4,
                eligible: 3
            })
        );
        let mut req = small_request();
        req.size_experts = 6; // 5 technical needed, 4 eligible
        assert_eq!(
            draw(&SEED, &CONTRIBUTION, &pool, &req),
            Err(DrawError::PoolTooSmall {
                kind: ExpertKind::Technical,
                needed: 5,
                eligible: 4
            })
        );
        let mut req = small_request();
        req.economic = 5;
        assert!(matches!(
            draw(&SEED, &CONTRIBUTION, &pool, &req),
            Err(DrawError::InvalidRequest(_))
        ));
        let mut req = small_request();
        req.specialties.clear();
        assert!(matches!(
            draw(&SEED, &CONTRIBUTION, &pool, &req),
            Err(DrawError::InvalidRequest(_))
        ));
        let mut dup = pool.clone();
        dup.push(pool[2].clone());
        assert_eq!(
            draw(&SEED, &CONTRIBUTION, &dup, &small_request()),
            Err(DrawError::DuplicateExpert(pool[2].user_id))
        );
    }

    #[test]
    fn redraw_continues_the_stream() {
        let pool = small_pool();
        let req = small_request();
        let first = draw(&SEED, &CONTRIBUTION, &pool, &req).unwrap();
        assert_eq!(
            redraw(&SEED, &CONTRIBUTION, &pool, &req, &[]).unwrap(),
            first
        );
        // 0x1666 (technical) then 0x1555 (economic) declare conflicts. The Python reference gives
        // 0x1999 (the one technical expert never drawn) and 0x1444, each in its predecessor's seat.
        let m = redraw(&SEED, &CONTRIBUTION, &pool, &req, &ids(&[0x1666, 0x1555])).unwrap();
        assert_eq!(m, ids(&[0x1444, 0x1000, 0x1999, 0x1222]));
        // Sitting members are untouched and the replacement is of the same kind.
        assert_eq!((m[1], m[3]), (first[1], first[3]));
        assert!(pool.iter().any(|e| e.user_id == m[0] && e.economic));
        // Replacing the replacement: the technical list is exhausted (0x1666 drawn before).
        assert_eq!(
            redraw(&SEED, &CONTRIBUTION, &pool, &req, &ids(&[0x1666, 0x1999])),
            Err(DrawError::PoolTooSmall {
                kind: ExpertKind::Technical,
                needed: 1,
                eligible: 0
            })
        );
        // Someone who no longer sits cannot be replaced again.
        assert_eq!(
            redraw(&SEED, &CONTRIBUTION, &pool, &req, &ids(&[0x1666, 0x1666])),
            Err(DrawError::NotAMember(Uuid::from_u128(0x1666)))
        );
    }

    #[test]
    fn redraw_on_large_pool_never_reuses_drawn_experts() {
        let pool = large_pool();
        let req = DrawRequest {
            size_experts: 7,
            economic: 2,
            specialties: vec!["A".into()],
            excluded_org_codes: vec!["ORG3".into()],
            excluded_users: vec![],
        };
        let first = draw(&SEED, &CONTRIBUTION, &pool, &req).unwrap();
        let conflicted = vec![first[0], first[4], first[6]];
        let m = redraw(&SEED, &CONTRIBUTION, &pool, &req, &conflicted).unwrap();
        assert_eq!(
            m,
            redraw(&SEED, &CONTRIBUTION, &pool, &req, &conflicted).unwrap()
        );
        for (seat, u) in m.iter().enumerate() {
            if [0, 4, 6].contains(&seat) {
                assert!(!first.contains(u), "seat {seat} reused a drawn expert");
            } else {
                assert_eq!(*u, first[seat]);
            }
            let e = pool.iter().find(|e| e.user_id == *u).unwrap();
            assert_ne!(e.employer_org_code, "ORG3");
            assert_eq!(e.economic, seat < 2);
        }
        let unique: HashSet<Uuid> = m.iter().copied().collect();
        assert_eq!(unique.len(), 7);
    }
}
