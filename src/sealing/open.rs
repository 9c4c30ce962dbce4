//! The opening (开标) as pure functions: a holder turns its bundle into pieces
//! ([`bundle_pieces`]), and the server decides from the holders' submissions whether a bid opens
//! ([`decide`]). API.md `POST /tenders/{id}/opening/shares`: two holders whose shared piece matches
//! and whose pieces decrypt the payload open the bid; a disagreement or an "undecryptable" report
//! waits for the third holder; only with all three in and no pair that opens it is the bid
//! recorded undecryptable (and the revealed identities later say whose fault it was, `audit`).

use std::collections::BTreeMap;
use std::io::Read;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use uuid::Uuid;

use super::document::{self, BidDocument};
use super::keys;
use super::pieces::{self, Branch, Pieces, shared_piece};

/// What a holder submitted for one bid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submission {
    /// The two pieces of the holder's branch (piece number → bytes).
    Pieces(Pieces),
    /// The holder reports that its bundle does not decrypt (or is not a valid bundle).
    Undecryptable,
}

/// The opening decision for one bid.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Decrypted and bound to the tender and bidder.
    Opened(BidDocument),
    /// Decrypted, but the document is not the bidder's bid for this tender (the reason).
    Tampered(String),
    /// Not yet decided: waiting for another holder (the reason).
    Waiting(String),
    /// All three holders are in and no two of them open it (the reason).
    Undecryptable(String),
}

/// The pairs of holders, in the order they are tried.
const PAIRS: [(Branch, Branch); 3] = [
    (Branch::Decide, Branch::Execute),
    (Branch::Decide, Branch::Supervise),
    (Branch::Execute, Branch::Supervise),
];

/// Decides a bid from the holders' submissions so far (see the module doc for the rules).
pub fn decide(
    payload: &[u8],
    tender_id: Uuid,
    org_code: &str,
    submissions: &BTreeMap<Branch, Submission>,
) -> Outcome {
    let mut reasons = Vec::new();
    for (branch, sub) in submissions {
        match sub {
            Submission::Undecryptable => {
                reasons.push(format!(
                    "the {branch} holder reports its bundle undecryptable"
                ));
            }
            Submission::Pieces(p) => {
                if let Err(e) = pieces::check_branch_pieces(*branch, p) {
                    reasons.push(format!(
                        "the {branch} holder's submission is malformed: {e}"
                    ));
                }
            }
        }
    }
    for (a, b) in PAIRS {
        let (Some(Submission::Pieces(pa)), Some(Submission::Pieces(pb))) =
            (submissions.get(&a), submissions.get(&b))
        else {
            continue;
        };
        if pieces::check_branch_pieces(a, pa).is_err()
            || pieces::check_branch_pieces(b, pb).is_err()
        {
            continue;
        }
        let shared = shared_piece(a, b);
        if pa.get(&shared) != pb.get(&shared) {
            reasons.push(format!(
                "the {a} and {b} holders disagree on piece {shared}"
            ));
            continue;
        }
        let mut all = pa.clone();
        all.extend(pb.iter().map(|(k, v)| (*k, v.clone())));
        match open_with_pieces(payload, &all) {
            Ok(plaintext) => {
                return match document::check(&plaintext, tender_id, org_code) {
                    Ok(doc) => Outcome::Opened(doc),
                    Err(t) => Outcome::Tampered(t.reason),
                };
            }
            Err(e) => reasons.push(format!(
                "the {a} and {b} holders agree on piece {shared} but their pieces do not open the payload: {e}"
            )),
        }
    }
    let reason = if reasons.is_empty() {
        match submissions.len() {
            0 => "no holder has submitted pieces yet".to_string(),
            _ => "only one holder has submitted pieces so far".to_string(),
        }
    } else {
        reasons.join("; ")
    };
    if submissions.len() < Branch::ALL.len() {
        Outcome::Waiting(reason)
    } else {
        Outcome::Undecryptable(reason)
    }
}

/// Rebuilds `S` from pieces 1, 2, 3 and decrypts the payload with it.
pub fn open_with_pieces(payload: &[u8], all: &Pieces) -> Result<Vec<u8>, String> {
    let (Some(p1), Some(p2), Some(p3)) = (all.get(&1), all.get(&2), all.get(&3)) else {
        return Err("pieces 1, 2 and 3 are needed".into());
    };
    open_with_identity_bytes(payload, &pieces::combine(p1, p2, p3))
}

/// Decrypts the payload with the one-time identity `S` given as bytes.
///
/// Any string age parses as an X25519 identity is tried (not only the canonical uppercase form):
/// the pieces are the bidder's own, and refusing a key that decrypts would punish a spelling.
pub fn open_with_identity_bytes(payload: &[u8], s: &[u8]) -> Result<Vec<u8>, String> {
    let s = std::str::from_utf8(s).map_err(|_| "the rebuilt identity is not text".to_string())?;
    let id =
        keys::parse_identity(s).map_err(|e| format!("the rebuilt identity is invalid ({e})"))?;
    decrypt(&id, payload)
}

/// Decrypts a binary age file with one X25519 identity.
pub fn decrypt(identity: &age::x25519::Identity, file: &[u8]) -> Result<Vec<u8>, String> {
    let decryptor =
        age::Decryptor::new_buffered(file).map_err(|e| format!("not an age file: {e}"))?;
    let mut reader = decryptor
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .map_err(|e| format!("does not decrypt: {e}"))?;
    let mut out = Vec::new();
    reader
        .read_to_end(&mut out)
        .map_err(|e| format!("the ciphertext is corrupt: {e}"))?;
    Ok(out)
}

/// Why a holder cannot use a bundle (it then reports the bid `undecryptable`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// The holder's identity string is not an age X25519 identity.
    #[error("the holder identity is invalid: {0}")]
    Identity(String),
    /// The bundle does not decrypt with the holder's identity.
    #[error("the bundle {0}")]
    Decrypt(String),
    /// The decrypted bundle is not the bundle JSON.
    #[error("the bundle is not bundle JSON: {0}")]
    Malformed(String),
    /// The bundle names another tender.
    #[error("the bundle is for tender {0}, not this one")]
    OtherTender(String),
    /// The bundle's pieces are not this branch's two pieces of equal length.
    #[error("the bundle's pieces are wrong: {0}")]
    Pieces(String),
}

/// A decrypted bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The tender it names (checked).
    pub tender_id: Uuid,
    /// The payload hash it names (the holder cannot check it; the audit does).
    pub payload_sha256: String,
    /// This branch's two pieces (checked).
    pub pieces: Pieces,
}

#[derive(Deserialize)]
struct RawBundle {
    tender_id: String,
    payload_sha256: String,
    pieces: BTreeMap<String, String>,
}

/// Decrypts and checks a bundle: tender, and exactly `branch`'s two pieces of equal length.
pub fn open_bundle(
    bundle_age_file: &[u8],
    holder_identity: &str,
    branch: Branch,
    tender_id: Uuid,
) -> Result<Bundle, BundleError> {
    let id =
        keys::parse_identity(holder_identity).map_err(|e| BundleError::Identity(e.to_string()))?;
    let plain = decrypt(&id, bundle_age_file).map_err(BundleError::Decrypt)?;
    let raw: RawBundle =
        serde_json::from_slice(&plain).map_err(|e| BundleError::Malformed(e.to_string()))?;
    let bundle_tender = Uuid::try_parse(&raw.tender_id)
        .map_err(|_| BundleError::Malformed("tender_id is not a UUID".into()))?;
    if bundle_tender != tender_id {
        return Err(BundleError::OtherTender(bundle_tender.to_string()));
    }
    let mut ps = Pieces::new();
    for (k, v) in &raw.pieces {
        let n = match k.as_str() {
            "1" => 1,
            "2" => 2,
            "3" => 3,
            _ => return Err(BundleError::Pieces(format!("unknown piece {k:?}"))),
        };
        let bytes = STANDARD
            .decode(v)
            .map_err(|_| BundleError::Pieces(format!("piece {k} is not base64")))?;
        ps.insert(n, bytes);
    }
    pieces::check_branch_pieces(branch, &ps).map_err(BundleError::Pieces)?;
    Ok(Bundle {
        tender_id: bundle_tender,
        payload_sha256: raw.payload_sha256,
        pieces: ps,
    })
}

/// A holder's step: decrypt its bundle of a bid and return the pieces to submit.
pub fn bundle_pieces(
    bundle_age_file: &[u8],
    holder_identity: &str,
    branch: Branch,
    tender_id: Uuid,
) -> Result<Pieces, BundleError> {
    open_bundle(bundle_age_file, holder_identity, branch, tender_id).map(|b| b.pieces)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sealing::envelope::{self, Envelope};
    use crate::sealing::seal::tests::{ORG, holders, sample_document};
    use crate::sealing::seal::{Recipients, seal};

    struct Sealed {
        t: Uuid,
        env: Envelope,
        ids: [String; 3],
    }

    fn sealed_with(t: Uuid, doc: &[u8], ids: [String; 3], r: &Recipients) -> Sealed {
        let body = seal(t, doc, r).expect("seal");
        Sealed {
            t,
            env: envelope::parse(&body, t).expect("parse"),
            ids,
        }
    }

    fn sealed() -> Sealed {
        let t = Uuid::new_v4();
        let (ids, r) = holders();
        sealed_with(t, &sample_document(t, ORG), ids, &r)
    }

    fn pieces_of(s: &Sealed, b: Branch) -> Pieces {
        let i = Branch::ALL.iter().position(|x| *x == b).expect("branch");
        bundle_pieces(s.env.bundles.get(b), &s.ids[i], b, s.t).expect("bundle")
    }

    fn subs(items: &[(Branch, Submission)]) -> BTreeMap<Branch, Submission> {
        items.iter().cloned().collect()
    }

    #[test]
    fn round_trip_seal_parse_bundles_open() {
        let s = sealed();
        for (a, b) in PAIRS {
            let out = decide(
                &s.env.payload,
                s.t,
                ORG,
                &subs(&[
                    (a, Submission::Pieces(pieces_of(&s, a))),
                    (b, Submission::Pieces(pieces_of(&s, b))),
                ]),
            );
            let Outcome::Opened(doc) = out else {
                panic!("{a}+{b}: {out:?}")
            };
            assert_eq!(doc.org_code, ORG);
            assert_eq!(doc.price.to_string(), "1880000.50");
            assert_eq!(doc.duration_days, Some(120));
        }
    }

    #[test]
    fn one_holder_alone_waits_and_cannot_rebuild_s() {
        let s = sealed();
        let d = pieces_of(&s, Branch::Decide);
        let out = decide(
            &s.env.payload,
            s.t,
            ORG,
            &subs(&[(Branch::Decide, Submission::Pieces(d.clone()))]),
        );
        assert!(
            matches!(out, Outcome::Waiting(ref r) if r.contains("only one holder")),
            "{out:?}"
        );
        // With its own two pieces and any guess for the third (here: zeros, or a repeat), no key.
        let zeros = vec![0u8; d[&2].len()];
        for guess in [zeros, d[&2].clone(), d[&3].clone()] {
            let mut all = d.clone();
            all.insert(1, guess);
            assert!(open_with_pieces(&s.env.payload, &all).is_err());
        }
        assert_eq!(
            decide(&s.env.payload, s.t, ORG, &BTreeMap::new()),
            Outcome::Waiting("no holder has submitted pieces yet".into())
        );
    }

    #[test]
    fn a_corrupted_piece_waits_for_the_third_holder() {
        let s = sealed();
        let mut bad = pieces_of(&s, Branch::Decide);
        // Corrupt the piece decide shares with execute (3).
        if let Some(p) = bad.get_mut(&3) {
            p[0] ^= 0x01;
        }
        let two = subs(&[
            (Branch::Decide, Submission::Pieces(bad.clone())),
            (
                Branch::Execute,
                Submission::Pieces(pieces_of(&s, Branch::Execute)),
            ),
        ]);
        let out = decide(&s.env.payload, s.t, ORG, &two);
        assert!(
            matches!(out, Outcome::Waiting(ref r) if r.contains("disagree on piece 3")),
            "{out:?}"
        );
        let mut three = two.clone();
        three.insert(
            Branch::Supervise,
            Submission::Pieces(pieces_of(&s, Branch::Supervise)),
        );
        assert!(matches!(
            decide(&s.env.payload, s.t, ORG, &three),
            Outcome::Opened(_)
        ));
    }

    #[test]
    fn a_corrupted_unshared_piece_also_waits() {
        // Decide corrupts piece 2 (which execute does not hold): decide+execute agree on piece 3,
        // but the rebuilt key is wrong; the supervise holder's piece 2 then shows the conflict.
        let s = sealed();
        let mut bad = pieces_of(&s, Branch::Decide);
        if let Some(p) = bad.get_mut(&2) {
            p[5] ^= 0x20;
        }
        let two = subs(&[
            (Branch::Decide, Submission::Pieces(bad)),
            (
                Branch::Execute,
                Submission::Pieces(pieces_of(&s, Branch::Execute)),
            ),
        ]);
        assert!(
            matches!(decide(&s.env.payload, s.t, ORG, &two), Outcome::Waiting(ref r) if r.contains("do not open"))
        );
        let mut three = two.clone();
        three.insert(
            Branch::Supervise,
            Submission::Pieces(pieces_of(&s, Branch::Supervise)),
        );
        assert!(matches!(
            decide(&s.env.payload, s.t, ORG, &three),
            Outcome::Opened(_)
        ));
    }

    #[test]
    fn undecryptable_reports_wait_then_decide() {
        let s = sealed();
        let two = subs(&[
            (Branch::Decide, Submission::Undecryptable),
            (
                Branch::Supervise,
                Submission::Pieces(pieces_of(&s, Branch::Supervise)),
            ),
        ]);
        assert!(
            matches!(decide(&s.env.payload, s.t, ORG, &two), Outcome::Waiting(ref r) if r.contains("undecryptable"))
        );
        let mut three = two.clone();
        three.insert(
            Branch::Execute,
            Submission::Pieces(pieces_of(&s, Branch::Execute)),
        );
        assert!(matches!(
            decide(&s.env.payload, s.t, ORG, &three),
            Outcome::Opened(_)
        ));
        let mut two_bad = two.clone();
        two_bad.insert(Branch::Execute, Submission::Undecryptable);
        assert!(matches!(
            decide(&s.env.payload, s.t, ORG, &two_bad),
            Outcome::Undecryptable(_)
        ));
    }

    #[test]
    fn a_foreign_org_code_is_tampered() {
        let t = Uuid::new_v4();
        let (ids, r) = holders();
        // The bidder seals a document naming another org (a copied bid); seal() itself would
        // accept it since it checks against the document's own org_code.
        let s = sealed_with(t, &sample_document(t, "91440400MA4UOTHER1"), ids, &r);
        let out = decide(
            &s.env.payload,
            s.t,
            ORG,
            &subs(&[
                (
                    Branch::Execute,
                    Submission::Pieces(pieces_of(&s, Branch::Execute)),
                ),
                (
                    Branch::Supervise,
                    Submission::Pieces(pieces_of(&s, Branch::Supervise)),
                ),
            ]),
        );
        assert!(
            matches!(out, Outcome::Tampered(ref r) if r.contains("org_code")),
            "{out:?}"
        );
    }

    #[test]
    fn malformed_submissions_do_not_open() {
        let s = sealed();
        let mut wrong = pieces_of(&s, Branch::Execute);
        wrong.insert(2, vec![1, 2, 3]);
        let out = decide(
            &s.env.payload,
            s.t,
            ORG,
            &subs(&[
                (
                    Branch::Decide,
                    Submission::Pieces(pieces_of(&s, Branch::Decide)),
                ),
                (Branch::Execute, Submission::Pieces(wrong)),
            ]),
        );
        assert!(
            matches!(out, Outcome::Waiting(ref r) if r.contains("malformed")),
            "{out:?}"
        );
    }

    #[test]
    fn bundle_pieces_checks_key_tender_and_branch() {
        let s = sealed();
        let d = pieces_of(&s, Branch::Decide);
        assert_eq!(d.keys().copied().collect::<Vec<_>>(), [2, 3]);
        // Wrong holder key.
        let err = bundle_pieces(
            s.env.bundles.get(Branch::Decide),
            &s.ids[1],
            Branch::Decide,
            s.t,
        );
        assert!(matches!(err, Err(BundleError::Decrypt(_))), "{err:?}");
        // Another tender.
        let err = bundle_pieces(
            s.env.bundles.get(Branch::Decide),
            &s.ids[0],
            Branch::Decide,
            Uuid::new_v4(),
        );
        assert!(matches!(err, Err(BundleError::OtherTender(_))), "{err:?}");
        // The right bundle read as another branch's.
        let err = bundle_pieces(
            s.env.bundles.get(Branch::Decide),
            &s.ids[0],
            Branch::Execute,
            s.t,
        );
        assert!(matches!(err, Err(BundleError::Pieces(_))), "{err:?}");
        // Not an identity.
        let err = bundle_pieces(
            s.env.bundles.get(Branch::Decide),
            "age1xyz",
            Branch::Decide,
            s.t,
        );
        assert!(matches!(err, Err(BundleError::Identity(_))), "{err:?}");
    }

    #[test]
    fn a_bundle_with_bad_json_is_malformed() {
        let (id, r) = keys::keygen();
        let rcpt = keys::parse_recipient(&r).expect("r");
        let t = Uuid::new_v4();
        let file = age::encrypt(&rcpt, b"{\"pieces\": 1}").expect("enc");
        assert!(matches!(
            bundle_pieces(&file, &id, Branch::Decide, t),
            Err(BundleError::Malformed(_))
        ));
        let json = format!(
            r#"{{"tender_id":"{t}","payload_sha256":"","pieces":{{"2":"AAAA","3":"AAA="}}}}"#
        );
        let file = age::encrypt(&rcpt, json.as_bytes()).expect("enc");
        assert!(matches!(
            bundle_pieces(&file, &id, Branch::Decide, t),
            Err(BundleError::Pieces(_))
        ));
    }

    /// The vector made by tests/interop/make_vector.py, an independent Python implementation of
    /// API.md (pyrage, and the Go `age` CLI when it was installed).
    #[test]
    fn interop_vector_from_the_python_implementation_opens() {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/interop/vector.json")).expect("vector");
        let t = Uuid::try_parse(v["tender_id"].as_str().expect("tender")).expect("uuid");
        let org = v["org_code"].as_str().expect("org");
        let body = v["envelope"].as_str().expect("envelope");
        let env =
            envelope::parse(body.as_bytes(), t).expect("the envelope passes the server's checks");
        let mut submissions = BTreeMap::new();
        for b in Branch::ALL {
            let h = &v["holders"][b.as_str()];
            let identity = h["identity"].as_str().expect("identity");
            assert_eq!(
                keys::recipient_of(identity).expect("id"),
                h["recipient"].as_str().expect("r")
            );
            let p = bundle_pieces(env.bundles.get(b), identity, b, t).expect("bundle");
            submissions.insert(b, Submission::Pieces(p));
        }
        let out = decide(&env.payload, t, org, &submissions);
        let Outcome::Opened(doc) = out else {
            panic!("{out:?}")
        };
        assert_eq!(
            doc.price.to_string(),
            v["expected_price"].as_str().expect("price")
        );
        assert_eq!(doc.org_code, org);
        assert_eq!(
            doc.attachments.len(),
            v["expected_attachments"].as_u64().expect("n") as usize
        );
        // Every pair of the vector's holders opens it on its own as well.
        for (a, b) in PAIRS {
            let pair: BTreeMap<_, _> = submissions
                .iter()
                .filter(|(k, _)| **k == a || **k == b)
                .map(|(k, v)| (*k, v.clone()))
                .collect();
            assert!(
                matches!(decide(&env.payload, t, org, &pair), Outcome::Opened(_)),
                "{a}+{b}"
            );
        }
    }
}
