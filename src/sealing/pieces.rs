//! Replicated 2-of-3 XOR sharing of the bidder's one-time identity `S` (API.md "The sealed
//! envelope"). `s1`, `s2` are random, `s3 = S ⊕ s1 ⊕ s2`; each holder gets two pieces, so any two
//! holders have all three and share exactly one piece, which the server compares before trusting
//! them. No dealer and no polynomial: the bidder splits, and XOR is all a browser needs.

use std::collections::BTreeMap;

use rand::RngCore;

/// The pieces a holder submits or a bundle carries: piece number (1, 2, 3) → bytes.
pub type Pieces = BTreeMap<u8, Vec<u8>>;

/// The branch (plane) whose key holder receives a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Branch {
    /// 决策 — the decide branch's holder (pieces 2 and 3).
    Decide,
    /// 执行 — the execute branch's holder (pieces 1 and 3).
    Execute,
    /// 监督 — the supervise branch's holder (pieces 1 and 2).
    Supervise,
}

impl Branch {
    /// The three branches in the envelope's order.
    pub const ALL: [Branch; 3] = [Branch::Decide, Branch::Execute, Branch::Supervise];

    /// The name used in the envelope's `bundles` object and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Branch::Decide => "decide",
            Branch::Execute => "execute",
            Branch::Supervise => "supervise",
        }
    }

    /// Parses `decide`, `execute` or `supervise` (exact, lowercase).
    pub fn parse(s: &str) -> Option<Branch> {
        match s {
            "decide" => Some(Branch::Decide),
            "execute" => Some(Branch::Execute),
            "supervise" => Some(Branch::Supervise),
            _ => None,
        }
    }

    /// The two piece numbers this branch's bundle holds, ascending.
    pub fn pieces(self) -> [u8; 2] {
        match self {
            Branch::Decide => [2, 3],
            Branch::Execute => [1, 3],
            Branch::Supervise => [1, 2],
        }
    }
}

impl serde::Serialize for Branch {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Branch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The piece two different branches both hold (decide&execute 3, decide&supervise 2,
/// execute&supervise 1); for the same branch twice, its first piece.
pub fn shared_piece(a: Branch, b: Branch) -> u8 {
    let theirs = b.pieces();
    let [first, second] = a.pieces();
    // Each branch lacks exactly one piece, so two different branches share exactly one.
    if theirs.contains(&first) {
        first
    } else {
        second
    }
}

/// Splits `identity` into pieces 1, 2, 3 (index 0 is piece 1), each of `identity.len()` bytes.
pub fn split(identity: &[u8]) -> [Vec<u8>; 3] {
    let mut rng = rand::rngs::OsRng;
    let mut s1 = vec![0u8; identity.len()];
    let mut s2 = vec![0u8; identity.len()];
    rng.fill_bytes(&mut s1);
    rng.fill_bytes(&mut s2);
    let s3 = identity
        .iter()
        .zip(&s1)
        .zip(&s2)
        .map(|((s, a), b)| s ^ a ^ b)
        .collect();
    [s1, s2, s3]
}

/// Rebuilds `S = p1 ⊕ p2 ⊕ p3`; pieces of unequal lengths give an empty vector, which is no
/// identity (the pieces come from holders, so this must not panic).
pub fn combine(p1: &[u8], p2: &[u8], p3: &[u8]) -> Vec<u8> {
    if p1.len() != p2.len() || p2.len() != p3.len() {
        return Vec::new();
    }
    p1.iter()
        .zip(p2)
        .zip(p3)
        .map(|((a, b), c)| a ^ b ^ c)
        .collect()
}

/// Checks that `pieces` are exactly `branch`'s two piece numbers, non-empty and of equal length.
pub fn check_branch_pieces(branch: Branch, pieces: &Pieces) -> Result<(), String> {
    let want = branch.pieces();
    let have: Vec<u8> = pieces.keys().copied().collect();
    if have != want {
        return Err(format!(
            "the {branch} holder's pieces are {want:?}, got {have:?}"
        ));
    }
    let lens: Vec<usize> = pieces.values().map(Vec::len).collect();
    if lens[0] == 0 || lens[0] != lens[1] {
        return Err(format!(
            "pieces must be non-empty and of equal length, got {lens:?}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: &[u8] = b"AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ";

    #[test]
    fn split_then_combine_gives_back_the_identity() {
        let [a, b, c] = split(S);
        assert_eq!(a.len(), S.len());
        assert_eq!(combine(&a, &b, &c), S);
        // The random pieces are not the secret (overwhelmingly likely; 2^-600 otherwise).
        assert_ne!(a, S);
        assert_ne!(c, S);
    }

    #[test]
    fn two_splits_differ() {
        assert_ne!(split(S), split(S));
    }

    #[test]
    fn one_holders_pieces_do_not_rebuild_s() {
        let [p1, p2, p3] = split(S);
        // Decide holds 2 and 3 only: XOR-ing what it has (with zeros, or twice one piece) is not S.
        let zeros = vec![0u8; S.len()];
        assert_ne!(combine(&zeros, &p2, &p3), S);
        assert_ne!(combine(&p2, &p2, &p3), S);
        assert_ne!(combine(&p3, &p2, &p3), S);
        // With the execute holder's piece 1 it works.
        assert_eq!(combine(&p1, &p2, &p3), S);
    }

    #[test]
    fn unequal_lengths_give_nothing() {
        assert!(combine(b"ab", b"a", b"ab").is_empty());
    }

    #[test]
    fn branch_pieces_and_shared_pieces() {
        assert_eq!(Branch::Decide.pieces(), [2, 3]);
        assert_eq!(Branch::Execute.pieces(), [1, 3]);
        assert_eq!(Branch::Supervise.pieces(), [1, 2]);
        assert_eq!(shared_piece(Branch::Decide, Branch::Execute), 3);
        assert_eq!(shared_piece(Branch::Execute, Branch::Decide), 3);
        assert_eq!(shared_piece(Branch::Decide, Branch::Supervise), 2);
        assert_eq!(shared_piece(Branch::Supervise, Branch::Decide), 2);
        assert_eq!(shared_piece(Branch::Execute, Branch::Supervise), 1);
        assert_eq!(shared_piece(Branch::Supervise, Branch::Execute), 1);
        // Any two different branches together hold all three pieces.
        for a in Branch::ALL {
            for b in Branch::ALL {
                if a != b {
                    let mut all: Vec<u8> = a.pieces().into_iter().chain(b.pieces()).collect();
                    all.sort();
                    all.dedup();
                    assert_eq!(all, [1, 2, 3]);
                }
            }
        }
    }

    #[test]
    fn branch_names_round_trip() {
        for b in Branch::ALL {
            assert_eq!(Branch::parse(b.as_str()), Some(b));
        }
        assert_eq!(Branch::parse("Decide"), None);
        assert_eq!(Branch::parse("public"), None);
    }

    #[test]
    fn branch_pieces_are_checked() {
        let ok: Pieces = [(1, vec![1, 2]), (3, vec![3, 4])].into();
        assert!(check_branch_pieces(Branch::Execute, &ok).is_ok());
        assert!(check_branch_pieces(Branch::Decide, &ok).is_err());
        let short: Pieces = [(1, vec![1, 2]), (3, vec![3])].into();
        assert!(check_branch_pieces(Branch::Execute, &short).is_err());
        let empty: Pieces = [(1, vec![]), (3, vec![])].into();
        assert!(check_branch_pieces(Branch::Execute, &empty).is_err());
        let three: Pieces = [(1, vec![1]), (2, vec![2]), (3, vec![3])].into();
        assert!(check_branch_pieces(Branch::Execute, &three).is_err());
    }
}
