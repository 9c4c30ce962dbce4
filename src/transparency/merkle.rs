//! The Merkle tree of RFC 9162 §2.1 (Certificate Transparency 2.0) over SHA-256: leaf hashes
//! `SHA-256(0x00 ‖ leaf)`, interior nodes `SHA-256(0x01 ‖ left ‖ right)`, the tree split at the
//! largest power of two below its size; inclusion (§2.1.3) and consistency (§2.1.4) proofs,
//! generated from the leaf hashes and verified from nothing but the proof and the roots.

use sha2::{Digest, Sha256};

/// A SHA-256 value.
pub type Hash = [u8; 32];

/// The hash of a leaf's bytes: `SHA-256(0x00 ‖ bytes)`.
pub fn leaf_hash(bytes: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(bytes);
    h.finalize().into()
}

/// An interior node: `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two strictly below `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// MTH(D[n]) from the leaf hashes (O(n) hashing).
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The inclusion proof PATH(index, D[n]) of RFC 9162 §2.1.3.1; `None` when `index ≥ n`.
pub fn inclusion_proof(index: usize, leaves: &[Hash]) -> Option<Vec<Hash>> {
    if index >= leaves.len() {
        return None;
    }
    let mut out = Vec::new();
    path(index, leaves, &mut out);
    Some(out)
}

fn path(m: usize, leaves: &[Hash], out: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m < k {
        path(m, &leaves[..k], out);
        out.push(root(&leaves[k..]));
    } else {
        path(m - k, &leaves[k..], out);
        out.push(root(&leaves[..k]));
    }
}

/// The consistency proof PROOF(m, D[n]) of RFC 9162 §2.1.4.1 between the first `m` leaves and
/// all of `leaves`; empty when `m` is 0 or `n`; `None` when `m > n`.
pub fn consistency_proof(m: usize, leaves: &[Hash]) -> Option<Vec<Hash>> {
    if m > leaves.len() {
        return None;
    }
    let mut out = Vec::new();
    if m > 0 && m < leaves.len() {
        subproof(m, leaves, true, &mut out);
    }
    Some(out)
}

fn subproof(m: usize, leaves: &[Hash], complete: bool, out: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !complete {
            out.push(root(leaves));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, &leaves[..k], complete, out);
        out.push(root(&leaves[k..]));
    } else {
        subproof(m - k, &leaves[k..], false, out);
        out.push(root(&leaves[..k]));
    }
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root_hash: &Hash,
) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && &r == root_hash
}

/// Verifies a consistency proof between two tree heads (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> bool {
    if first > second {
        return false;
    }
    if first == second {
        return proof.is_empty() && first_root == second_root;
    }
    if first == 0 {
        // the empty tree is a prefix of every tree
        return proof.is_empty();
    }
    if proof.is_empty() {
        return false;
    }
    let mut nodes: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        nodes.push(*first_root);
    }
    nodes.extend_from_slice(proof);
    let (mut fnode, mut snode) = (first - 1, second - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (nodes[0], nodes[0]);
    for c in &nodes[1..] {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    &fr == first_root && &sr == second_root && snode == 0
}

/// The roots of the perfect subtrees that make up a tree of `size` leaves, largest first (one per
/// set bit of `size`): enough to append leaves and compute the root without the earlier leaves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    /// Number of leaves.
    pub size: u64,
    /// Perfect subtree roots, largest (leftmost) first.
    pub nodes: Vec<Hash>,
}

impl Frontier {
    /// Rebuilds a frontier from its stored form (the node hashes concatenated).
    pub fn from_bytes(size: u64, bytes: &[u8]) -> Option<Frontier> {
        if bytes.len() != 32 * size.count_ones() as usize {
            return None;
        }
        let nodes = bytes
            .chunks_exact(32)
            .map(|c| c.try_into().expect("32-byte chunks"))
            .collect();
        Some(Frontier { size, nodes })
    }

    /// The stored form: the node hashes concatenated.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.nodes.concat()
    }

    /// Appends one leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = leaf;
        // merge equal-sized subtrees: one merge per trailing set bit of the old size
        let mut s = self.size;
        while s & 1 == 1 {
            let left = self.nodes.pop().expect("a node per set bit");
            node = node_hash(&left, &node);
            s >>= 1;
        }
        self.nodes.push(node);
        self.size += 1;
    }

    /// The tree's root: the subtrees folded from the right.
    pub fn root(&self) -> Hash {
        let mut it = self.nodes.iter().rev();
        let Some(last) = it.next() else {
            return empty_root();
        };
        it.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree as RFC 9162 defines it, written the slow, obvious way over the leaf bytes.
    fn brute_root(data: &[Vec<u8>]) -> Hash {
        match data.len() {
            0 => Sha256::digest([]).into(),
            1 => {
                let mut v = vec![0u8];
                v.extend_from_slice(&data[0]);
                Sha256::digest(&v).into()
            }
            n => {
                let k = (0..)
                    .map(|i| 1usize << i)
                    .take_while(|&p| p < n)
                    .last()
                    .unwrap();
                let mut v = vec![1u8];
                v.extend_from_slice(&brute_root(&data[..k]));
                v.extend_from_slice(&brute_root(&data[k..]));
                Sha256::digest(&v).into()
            }
        }
    }

    fn data(n: usize) -> Vec<Vec<u8>> {
        (0..n).map(|i| format!("leaf {i}").into_bytes()).collect()
    }

    #[test]
    fn roots_and_the_frontier_agree_with_the_definition_for_every_size_up_to_64() {
        let mut f = Frontier::default();
        assert_eq!(f.root(), brute_root(&[]));
        for n in 1..=64 {
            let d = data(n);
            let leaves: Vec<Hash> = d.iter().map(|b| leaf_hash(b)).collect();
            assert_eq!(root(&leaves), brute_root(&d), "size {n}");
            f.push(leaves[n - 1]);
            assert_eq!(f.root(), brute_root(&d), "frontier of size {n}");
            let again = Frontier::from_bytes(f.size, &f.to_bytes()).unwrap();
            assert_eq!(again, f);
        }
    }

    #[test]
    fn every_inclusion_proof_verifies_and_any_change_fails() {
        for n in 1..=64usize {
            let leaves: Vec<Hash> = data(n).iter().map(|b| leaf_hash(b)).collect();
            let r = root(&leaves);
            for i in 0..n {
                let p = inclusion_proof(i, &leaves).unwrap();
                assert!(
                    verify_inclusion(i as u64, n as u64, &leaves[i], &p, &r),
                    "{i}/{n}"
                );
                // a different leaf, index, size or a flipped proof node fails
                let other = leaf_hash(b"other");
                assert!(!verify_inclusion(i as u64, n as u64, &other, &p, &r));
                if n > 1 {
                    let j = (i + 1) % n;
                    assert!(!verify_inclusion(j as u64, n as u64, &leaves[i], &p, &r));
                    let mut bad = p.clone();
                    bad[0][0] ^= 1;
                    assert!(!verify_inclusion(i as u64, n as u64, &leaves[i], &bad, &r));
                }
            }
            assert!(inclusion_proof(n, &leaves).is_none());
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_a_rewritten_prefix_fails() {
        for n in 1..=64usize {
            let leaves: Vec<Hash> = data(n).iter().map(|b| leaf_hash(b)).collect();
            let second = root(&leaves);
            for m in 0..=n {
                let first = root(&leaves[..m]);
                let p = consistency_proof(m, &leaves).unwrap();
                assert!(
                    verify_consistency(m as u64, n as u64, &first, &second, &p),
                    "{m}→{n}"
                );
                if m == 0 || m == n {
                    continue;
                }
                // the old head of a log whose past leaf was changed afterwards
                let mut rewritten = leaves.clone();
                rewritten[m - 1] = leaf_hash(b"forged");
                let forged = consistency_proof(m, &rewritten).unwrap();
                assert!(
                    !verify_consistency(m as u64, n as u64, &first, &root(&rewritten), &forged),
                    "forged {m}→{n}"
                );
                // a proof for another size, or a wrong old root, fails
                assert!(!verify_consistency(
                    m as u64, n as u64, &second, &second, &p
                ));
                if m + 1 < n {
                    assert!(!verify_consistency(
                        m as u64 + 1,
                        n as u64,
                        &root(&leaves[..m + 1]),
                        &second,
                        &p
                    ));
                }
            }
            assert!(consistency_proof(n + 1, &leaves).is_none());
        }
    }

    #[test]
    fn proofs_over_100k_leaves_verify() {
        // the documented cost: proofs hash about n nodes; this must stay well within a request
        let n = 100_000usize;
        let leaves: Vec<Hash> = (0..n as u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let started = std::time::Instant::now();
        let r = root(&leaves);
        let p = inclusion_proof(12_345, &leaves).unwrap();
        let c = consistency_proof(77_777, &leaves).unwrap();
        let elapsed = started.elapsed();
        assert!(verify_inclusion(12_345, n as u64, &leaves[12_345], &p, &r));
        assert!(verify_consistency(
            77_777,
            n as u64,
            &root(&leaves[..77_777]),
            &r,
            &c
        ));
        let mut f = Frontier::default();
        for l in &leaves {
            f.push(*l);
        }
        assert_eq!(f.root(), r);
        eprintln!("root + two proofs over {n} leaves: {elapsed:?}");
    }
}
