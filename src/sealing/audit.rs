//! Failure attribution after the holders reveal their per-tender identities (电子招标投标办法
//! art. 31: a failure that is the bidder's fault counts as withdrawal of the bid (撤销), anyone
//! else's does not (撤回)). With the identities public, anyone can re-run every bundle decryption:
//!
//! 1. A revealed identity whose recipient is not the registered one → the holder is at fault
//!    (its bundle cannot be checked with the key the bidder sealed to).
//! 2. A bundle that does not decrypt with the holder's registered identity, names another tender
//!    or another payload hash, or has malformed pieces → the bidder is at fault.
//! 3. A holder whose submission differs from what its (good) bundle really holds, or who reported
//!    a good bundle undecryptable → the holder is at fault.
//! 4. The bid is then opened from the good bundles' true pieces with the same rule as the opening
//!    ([`open::decide`]); if the document is tampered, the bidder is at fault; if they do not open
//!    it, the bidder is, unless a bundle could not be checked because of a holder (see the code).
//!    A bid that opens now but whose holders misbehaved is `opened` with a holder fault; one
//!    that opens despite a bad bundle is `opened` with no fault (the finding stays).
//!
//! The platform's fault is not found here: it is a difference between this verdict (computed from
//! public material) and what the platform recorded at the opening, see [`against_record`].

use std::collections::BTreeMap;

use serde::Serialize;

use super::document::BidDocument;
use super::envelope::{Envelope, payload_sha256};
use super::keys;
use super::open::{self, BundleError, Outcome, Submission};
use super::pieces::{Branch, Pieces};

/// A bid's final status at the opening record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Decrypted and bound.
    Opened,
    /// Could not be decrypted.
    Undecryptable,
    /// Decrypted but not bound to this tender and bidder.
    Tampered,
}

impl Status {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Opened => "opened",
            Status::Undecryptable => "undecryptable",
            Status::Tampered => "tampered",
        }
    }
}

/// Who is at fault for a failure (API.md `fault?: bidder|platform|holder`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fault {
    /// The bidder (its bid counts as 撤销).
    Bidder,
    /// The platform.
    Platform,
    /// A key holder.
    Holder,
}

impl Fault {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Bidder => "bidder",
            Fault::Platform => "platform",
            Fault::Holder => "holder",
        }
    }
}

/// What the audit found about one holder's bundle and submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HolderFinding {
    /// The holder's branch.
    pub branch: Branch,
    /// `ok`, or what is wrong and whose fault it is, in words.
    pub finding: String,
    /// Whose fault this finding is, if any.
    pub fault: Option<Fault>,
}

/// The audit's verdict on one bid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// What the bid's status is on the correct material.
    pub status: Status,
    /// Whose fault a failure (or a delay) was; `None` when nothing went wrong.
    pub fault: Option<Fault>,
    /// One finding per branch, in decide, execute, supervise order.
    pub per_holder: Vec<HolderFinding>,
    /// Why the status is what it is (the opening rule's reason when not opened).
    pub reason: String,
    /// The document, when the bid opens.
    #[serde(skip)]
    pub document: Option<BidDocument>,
}

/// Re-runs a bid's opening with the revealed identities and says whose fault a failure was.
pub fn attribute(
    envelope: &Envelope,
    org_code: &str,
    submissions: &BTreeMap<Branch, Submission>,
    revealed: &BTreeMap<Branch, String>,
    registered: &BTreeMap<Branch, String>,
) -> Verdict {
    let expected_sha = payload_sha256(envelope);
    let mut per_holder = Vec::new();
    // The true pieces of every bundle that checks out, as submissions to the opening rule;
    // a bundle that does not is "undecryptable" there.
    let mut truth: BTreeMap<Branch, Submission> = BTreeMap::new();
    // The faults of the bundles that could not be used: the bidder's (a bad bundle) or the holder's
    // or platform's (the bundle could not be checked with the registered key).
    let mut unverified: Vec<Option<Fault>> = Vec::new();
    for branch in Branch::ALL {
        let (finding, fault, true_pieces) = check_holder(
            envelope,
            &expected_sha,
            branch,
            submissions,
            revealed,
            registered,
        );
        if let Some(p) = true_pieces {
            truth.insert(branch, Submission::Pieces(p));
        } else {
            truth.insert(branch, Submission::Undecryptable);
            unverified.push(fault);
        }
        per_holder.push(HolderFinding {
            branch,
            finding,
            fault,
        });
    }
    let any = |f: Fault| per_holder.iter().any(|h| h.fault == Some(f));
    let bad_bundles = unverified
        .iter()
        .filter(|f| **f == Some(Fault::Bidder))
        .count();
    let unchecked = unverified
        .iter()
        .find(|f| **f != Some(Fault::Bidder))
        .copied()
        .flatten();
    let (status, reason, document) =
        match open::decide(&envelope.payload, envelope.tender_id, org_code, &truth) {
            Outcome::Opened(doc) => (Status::Opened, "opened".to_string(), Some(doc)),
            Outcome::Tampered(r) => (Status::Tampered, r, None),
            // All three are always present in `truth`, so Waiting cannot happen; treat it alike.
            Outcome::Undecryptable(r) | Outcome::Waiting(r) => (Status::Undecryptable, r, None),
        };
    let fault = match status {
        // The document is the bidder's own: tampering is the bidder's.
        Status::Tampered => Some(Fault::Bidder),
        // Opened on the true pieces: a holder's misconduct delayed or blocked the opening. A bad
        // bundle of the bidder's that two good ones made up for stays a finding, not a fault: an
        // opened bid must not count as withdrawn (撤销).
        Status::Opened if any(Fault::Holder) => Some(Fault::Holder),
        Status::Opened => None,
        // Not even the true pieces open it. With two or more bad bundles no holder could have
        // helped: the bidder. Else, if a bundle could not be checked (its holder revealed a wrong
        // key or none; no registered key), that bundle might have opened it: that party. Else the
        // bundles check out and their pieces do not open the payload: the bidder.
        Status::Undecryptable if bad_bundles >= 2 => Some(Fault::Bidder),
        Status::Undecryptable => unchecked.or(Some(Fault::Bidder)),
    };
    Verdict {
        status,
        fault,
        per_holder,
        reason,
        document,
    }
}

/// The platform's fault: the recorded status differs from the audit's and no one else is at fault
/// (e.g. the platform recorded `undecryptable` for a bid the holders' true pieces open).
pub fn against_record(verdict: &Verdict, recorded: Status) -> Option<Fault> {
    if recorded != verdict.status && verdict.fault.is_none() {
        Some(Fault::Platform)
    } else {
        verdict.fault
    }
}

/// One holder: (finding, fault, the bundle's true pieces when the bundle checks out).
fn check_holder(
    envelope: &Envelope,
    expected_sha: &str,
    branch: Branch,
    submissions: &BTreeMap<Branch, Submission>,
    revealed: &BTreeMap<Branch, String>,
    registered: &BTreeMap<Branch, String>,
) -> (String, Option<Fault>, Option<Pieces>) {
    let Some(identity) = revealed.get(&branch) else {
        return (
            format!("the {branch} holder has not revealed its identity"),
            Some(Fault::Holder),
            None,
        );
    };
    let Some(registered) = registered.get(&branch) else {
        return (
            format!("no registered recipient for the {branch} holder"),
            Some(Fault::Platform),
            None,
        );
    };
    match keys::recipient_of(identity) {
        Ok(r) if &r == registered => {}
        _ => {
            return (
                format!("the {branch} holder revealed an identity that is not its registered key"),
                Some(Fault::Holder),
                None,
            );
        }
    }
    let bundle = match open::open_bundle(
        envelope.bundles.get(branch),
        identity,
        branch,
        envelope.tender_id,
    ) {
        Ok(b) => b,
        Err(e) => {
            let what = match e {
                BundleError::Decrypt(_) => {
                    "does not decrypt with the holder's registered key".to_string()
                }
                other => other.to_string(),
            };
            return (
                format!("the bidder's {branch} bundle {what}"),
                Some(Fault::Bidder),
                None,
            );
        }
    };
    if bundle.payload_sha256 != expected_sha {
        return (
            format!("the bidder's {branch} bundle names another payload (payload_sha256 differs)"),
            Some(Fault::Bidder),
            None,
        );
    }
    let finding = match submissions.get(&branch) {
        None => (format!("the {branch} holder submitted nothing"), None),
        Some(Submission::Pieces(p)) if *p == bundle.pieces => ("ok".to_string(), None),
        Some(Submission::Pieces(_)) => (
            format!("the {branch} holder submitted pieces that differ from its bundle"),
            Some(Fault::Holder),
        ),
        Some(Submission::Undecryptable) => (
            format!("the {branch} holder reported undecryptable a bundle that decrypts"),
            Some(Fault::Holder),
        ),
    };
    (finding.0, finding.1, Some(bundle.pieces))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sealing::envelope;
    use crate::sealing::open::Submission;
    use crate::sealing::pieces;
    use crate::sealing::seal::tests::{ORG, holders, sample_document};
    use crate::sealing::seal::{Recipients, encrypt_to, seal};
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use uuid::Uuid;

    struct Case {
        env: Envelope,
        ids: [String; 3],
        recipients: Recipients,
    }

    fn case() -> Case {
        let t = Uuid::new_v4();
        let (ids, recipients) = holders();
        let body = seal(t, &sample_document(t, ORG), &recipients).expect("seal");
        Case {
            env: envelope::parse(&body, t).expect("parse"),
            ids,
            recipients,
        }
    }

    fn revealed(c: &Case) -> BTreeMap<Branch, String> {
        Branch::ALL.into_iter().zip(c.ids.iter().cloned()).collect()
    }

    fn registered(c: &Case) -> BTreeMap<Branch, String> {
        Branch::ALL
            .into_iter()
            .map(|b| (b, c.recipients.get(b).to_string()))
            .collect()
    }

    fn honest(c: &Case) -> BTreeMap<Branch, Submission> {
        Branch::ALL
            .into_iter()
            .zip(&c.ids)
            .map(|(b, id)| {
                let p = open::bundle_pieces(c.env.bundles.get(b), id, b, c.env.tender_id)
                    .expect("bundle");
                (b, Submission::Pieces(p))
            })
            .collect()
    }

    fn finding(v: &Verdict, b: Branch) -> &HolderFinding {
        v.per_holder
            .iter()
            .find(|h| h.branch == b)
            .expect("finding")
    }

    #[test]
    fn an_honest_opening_has_no_fault() {
        let c = case();
        let v = attribute(&c.env, ORG, &honest(&c), &revealed(&c), &registered(&c));
        assert_eq!(v.status, Status::Opened);
        assert_eq!(v.fault, None);
        assert!(
            v.per_holder.iter().all(|h| h.finding == "ok"),
            "{:?}",
            v.per_holder
        );
        assert!(v.document.is_some());
        assert_eq!(against_record(&v, Status::Opened), None);
        // Had the platform recorded it undecryptable, that would be the platform's doing.
        assert_eq!(
            against_record(&v, Status::Undecryptable),
            Some(Fault::Platform)
        );
    }

    #[test]
    fn a_corrupted_holder_submission_is_the_holders_fault() {
        let c = case();
        let mut subs = honest(&c);
        if let Some(Submission::Pieces(p)) = subs.get_mut(&Branch::Execute)
            && let Some(piece) = p.get_mut(&1)
        {
            piece[0] ^= 0xff;
        }
        let v = attribute(&c.env, ORG, &subs, &revealed(&c), &registered(&c));
        assert_eq!(v.status, Status::Opened, "the true pieces open it");
        assert_eq!(v.fault, Some(Fault::Holder));
        let f = finding(&v, Branch::Execute);
        assert_eq!(f.fault, Some(Fault::Holder));
        assert!(f.finding.contains("differ"), "{}", f.finding);
        assert_eq!(finding(&v, Branch::Decide).finding, "ok");
    }

    #[test]
    fn a_false_undecryptable_report_is_the_holders_fault() {
        let c = case();
        let mut subs = honest(&c);
        subs.insert(Branch::Supervise, Submission::Undecryptable);
        let v = attribute(&c.env, ORG, &subs, &revealed(&c), &registered(&c));
        assert_eq!(v.status, Status::Opened);
        assert_eq!(finding(&v, Branch::Supervise).fault, Some(Fault::Holder));
    }

    #[test]
    fn a_bundle_sealed_to_a_wrong_key_is_the_bidders_fault() {
        let mut c = case();
        // The bidder encrypts the execute bundle to some other key: only execute is affected,
        // and decide + supervise still hold all three pieces.
        let (_, stranger) = crate::sealing::keys::keygen();
        let stranger = crate::sealing::keys::parse_recipient(&stranger).expect("r");
        c.env.bundles.execute = encrypt_to(&stranger, b"{}").expect("enc");
        let mut subs = honest_except(&c, Branch::Execute);
        subs.insert(Branch::Execute, Submission::Undecryptable);
        let v = attribute(&c.env, ORG, &subs, &revealed(&c), &registered(&c));
        let f = finding(&v, Branch::Execute);
        assert_eq!(f.fault, Some(Fault::Bidder));
        assert!(f.finding.contains("does not decrypt"), "{}", f.finding);
        // The other two bundles still open it: the bad bundle is on record, the bid is not
        // counted as withdrawn.
        assert_eq!(v.status, Status::Opened);
        assert_eq!(v.fault, None);
        assert_eq!(finding(&v, Branch::Execute).fault, Some(Fault::Bidder));
    }

    fn honest_except(c: &Case, skip: Branch) -> BTreeMap<Branch, Submission> {
        let mut subs = BTreeMap::new();
        for (b, id) in Branch::ALL.into_iter().zip(&c.ids) {
            if b != skip {
                let p = open::bundle_pieces(c.env.bundles.get(b), id, b, c.env.tender_id)
                    .expect("bundle");
                subs.insert(b, Submission::Pieces(p));
            }
        }
        subs
    }

    #[test]
    fn two_bad_bundles_make_it_undecryptable_by_the_bidder() {
        let mut c = case();
        let (_, stranger) = crate::sealing::keys::keygen();
        let stranger = crate::sealing::keys::parse_recipient(&stranger).expect("r");
        c.env.bundles.execute = encrypt_to(&stranger, b"{}").expect("enc");
        // The supervise bundle names another payload.
        let sup_r = crate::sealing::keys::parse_recipient(&c.recipients.supervise).expect("r");
        let p = open::bundle_pieces(
            c.env.bundles.get(Branch::Supervise),
            &c.ids[2],
            Branch::Supervise,
            c.env.tender_id,
        )
        .expect("b");
        let fake = serde_json::json!({
            "tender_id": c.env.tender_id.to_string(),
            "payload_sha256": "00".repeat(32),
            "pieces": {"1": STANDARD.encode(&p[&1]), "2": STANDARD.encode(&p[&2])},
        });
        c.env.bundles.supervise = encrypt_to(&sup_r, fake.to_string().as_bytes()).expect("enc");
        let mut subs = honest_except(&c, Branch::Execute);
        subs.insert(Branch::Execute, Submission::Undecryptable);
        let v = attribute(&c.env, ORG, &subs, &revealed(&c), &registered(&c));
        assert_eq!(v.status, Status::Undecryptable);
        assert_eq!(v.fault, Some(Fault::Bidder));
        assert!(
            finding(&v, Branch::Supervise)
                .finding
                .contains("another payload")
        );
    }

    #[test]
    fn pieces_that_do_not_rebuild_the_key_are_the_bidders_fault() {
        // A bidder whose pieces are consistent between bundles but do not XOR to S.
        let t = Uuid::new_v4();
        let (ids, recipients) = holders();
        let body = seal(t, &sample_document(t, ORG), &recipients).expect("seal");
        let mut env = envelope::parse(&body, t).expect("parse");
        let [g1, g2, g3] = pieces::split(b"AGE-SECRET-KEY-1 not the one-time key at all........");
        let sha = envelope::payload_sha256(&env);
        for (b, id) in Branch::ALL.into_iter().zip(&ids) {
            let mut ps = serde_json::Map::new();
            for n in b.pieces() {
                let piece = [&g1, &g2, &g3][usize::from(n) - 1];
                ps.insert(n.to_string(), STANDARD.encode(piece).into());
            }
            let bundle = serde_json::json!({"tender_id": t.to_string(), "payload_sha256": sha, "pieces": ps});
            let r = crate::sealing::keys::parse_recipient(
                &crate::sealing::keys::recipient_of(id).expect("r"),
            )
            .expect("r");
            match b {
                Branch::Decide => {
                    env.bundles.decide = encrypt_to(&r, bundle.to_string().as_bytes()).expect("e")
                }
                Branch::Execute => {
                    env.bundles.execute = encrypt_to(&r, bundle.to_string().as_bytes()).expect("e")
                }
                Branch::Supervise => {
                    env.bundles.supervise =
                        encrypt_to(&r, bundle.to_string().as_bytes()).expect("e")
                }
            }
        }
        let c = Case {
            env,
            ids,
            recipients,
        };
        let v = attribute(&c.env, ORG, &honest(&c), &revealed(&c), &registered(&c));
        assert_eq!(v.status, Status::Undecryptable);
        assert_eq!(v.fault, Some(Fault::Bidder));
        assert!(
            v.per_holder.iter().all(|h| h.fault.is_none()),
            "the holders did their part"
        );
    }

    #[test]
    fn a_wrong_revealed_identity_is_the_holders_fault() {
        let c = case();
        let mut rev = revealed(&c);
        rev.insert(Branch::Decide, crate::sealing::keys::keygen().0);
        let v = attribute(&c.env, ORG, &honest(&c), &rev, &registered(&c));
        assert_eq!(finding(&v, Branch::Decide).fault, Some(Fault::Holder));
        // Execute and supervise still hold all pieces: it opens, with the holder's fault noted.
        assert_eq!(v.status, Status::Opened);
        assert_eq!(v.fault, Some(Fault::Holder));
    }

    #[test]
    fn an_unverifiable_bundle_outweighs_one_bad_bundle() {
        // Execute's bundle is the bidder's fault (another tender); decide reveals a wrong key, so
        // its bundle cannot be checked. Only supervise's bundle is left: undecryptable, and since
        // decide's bundle might have opened it with supervise's, the fault is decide's holder.
        let mut c = case();
        let exec_r = crate::sealing::keys::parse_recipient(&c.recipients.execute).expect("r");
        let p = open::bundle_pieces(
            c.env.bundles.get(Branch::Execute),
            &c.ids[1],
            Branch::Execute,
            c.env.tender_id,
        )
        .expect("b");
        let foreign = serde_json::json!({
            "tender_id": Uuid::new_v4().to_string(),
            "payload_sha256": envelope::payload_sha256(&c.env),
            "pieces": {"1": STANDARD.encode(&p[&1]), "3": STANDARD.encode(&p[&3])},
        });
        c.env.bundles.execute = encrypt_to(&exec_r, foreign.to_string().as_bytes()).expect("enc");
        let mut rev = revealed(&c);
        rev.insert(Branch::Decide, crate::sealing::keys::keygen().0);
        let mut subs = honest_except(&c, Branch::Execute);
        subs.insert(Branch::Execute, Submission::Undecryptable);
        let v = attribute(&c.env, ORG, &subs, &rev, &registered(&c));
        assert_eq!(v.status, Status::Undecryptable);
        let exec = finding(&v, Branch::Execute);
        assert_eq!(exec.fault, Some(Fault::Bidder));
        assert!(exec.finding.contains("tender"), "{}", exec.finding);
        assert_eq!(finding(&v, Branch::Decide).fault, Some(Fault::Holder));
        assert_eq!(v.fault, Some(Fault::Holder));
    }

    #[test]
    fn verdicts_serialise_in_api_spelling() {
        let c = case();
        let v = attribute(&c.env, ORG, &honest(&c), &revealed(&c), &registered(&c));
        let j = serde_json::to_value(&v).expect("json");
        assert_eq!(j["status"], "opened");
        assert_eq!(j["per_holder"][0]["branch"], "decide");
        assert_eq!(Fault::Holder.as_str(), "holder");
        assert_eq!(Status::Tampered.as_str(), "tampered");
    }
}
