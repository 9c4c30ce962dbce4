//! Who may write each kind of public entry (issue 13, finding 12): the topic → plane table that
//! `ggzy log verify` and the sealers apply to the signed log. The database refuses the same
//! writes at INSERT (`public_topic_planes` and `ggzy_check_public_writer()` in
//! `migrations/2026-12-04-000001_sealing_recipients`); a test keeps the two tables equal.

use serde_json::Value;

/// The owner of a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// One plane (`identity`, `decide`, `execute`, `supervise`) or the sequencer itself.
    Plane(&'static str),
    /// The plane of the branch named in the payload's `branch` (key holders' own entries).
    Branch,
}

/// The topic of a branch's key-holder designation (指定持钥人), written by that branch's plane.
pub const KEY_HOLDER_TOPIC: &str = "tender.key_holder";
/// The topic of a holder's registered recipient (持钥人公钥), written by that branch's plane.
pub const HOLDER_KEY_TOPIC: &str = "tender.holder_key";

/// Every public topic and its owner. `audit.head` is the sequencer's own leaf (not an outbox
/// row, so not in the database's table).
pub const TOPICS: &[(&str, Owner)] = &[
    ("account.official_created", Owner::Plane("identity")),
    ("rule.set", Owner::Plane("decide")),
    ("calendar.set", Owner::Plane("decide")),
    ("tender.filing", Owner::Plane("decide")),
    ("auction.filing", Owner::Plane("decide")),
    ("hold.suspend", Owner::Plane("supervise")),
    ("hold.resume", Owner::Plane("supervise")),
    ("committee.contribution", Owner::Plane("supervise")),
    ("tender.notice", Owner::Plane("execute")),
    ("tender.clarification", Owner::Plane("execute")),
    ("tender.schedule_resumed", Owner::Plane("execute")),
    ("tender.closing_manifest", Owner::Plane("execute")),
    ("tender.opening_record", Owner::Plane("execute")),
    ("tender.opening_postponed", Owner::Plane("execute")),
    ("tender.failed", Owner::Plane("execute")),
    ("tender.holder_identity_revealed", Owner::Plane("execute")),
    ("tender.round", Owner::Plane("execute")),
    ("tender.candidates", Owner::Plane("execute")),
    ("tender.award", Owner::Plane("execute")),
    ("tender.contract", Owner::Plane("execute")),
    ("tender.cancellation", Owner::Plane("execute")),
    ("committee.seed_commitment", Owner::Plane("execute")),
    ("auction.announcement", Owner::Plane("execute")),
    ("auction.extension", Owner::Plane("execute")),
    ("auction.result", Owner::Plane("execute")),
    (KEY_HOLDER_TOPIC, Owner::Branch),
    (HOLDER_KEY_TOPIC, Owner::Branch),
    (
        crate::transparency::log::AUDIT_HEAD_TOPIC,
        Owner::Plane("sequencer"),
    ),
];

/// The owner of `topic`, if it is a known public topic.
pub fn owner(topic: &str) -> Option<Owner> {
    TOPICS.iter().find(|(t, _)| *t == topic).map(|(_, o)| *o)
}

/// The database role that must have written an entry of `topic` with `payload`
/// (`ggzy_<plane>`), or why none can.
pub fn expected_writer(topic: &str, payload: &Value) -> Result<String, String> {
    let plane = match owner(topic) {
        None => return Err(format!("{topic:?} is not a known public topic")),
        Some(Owner::Plane(p)) => p,
        Some(Owner::Branch) => match payload.get("branch").and_then(Value::as_str) {
            Some(b @ ("decide" | "execute" | "supervise")) => b,
            _ => return Err(format!("a {topic} entry must name its branch")),
        },
    };
    Ok(format!("ggzy_{plane}"))
}

/// Checks a decoded leaf's writer against its topic. `Ok(None)` for a leaf appended before
/// leaves named their writer (no `writer` field: its bytes are kept as they were signed).
pub fn check_writer(entry: &Value) -> Result<Option<String>, String> {
    let topic = entry.get("topic").and_then(Value::as_str).unwrap_or("");
    let Some(writer) = entry.get("writer") else {
        return Ok(None);
    };
    let writer = writer
        .as_str()
        .ok_or_else(|| format!("the {topic} entry's writer is not a role name"))?;
    let payload = entry.get("payload").unwrap_or(&Value::Null);
    let want = expected_writer(topic, payload)?;
    if writer != want {
        return Err(format!(
            "a {topic} entry written by {writer}: only {want} writes that kind of entry"
        ));
    }
    Ok(Some(writer.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn topics_are_owned_by_their_plane() {
        let filing = json!({"topic": "tender.filing", "writer": "ggzy_decide", "payload": {}});
        assert_eq!(check_writer(&filing), Ok(Some("ggzy_decide".into())));
        let rogue = json!({"topic": "tender.filing", "writer": "ggzy_execute", "payload": {}});
        assert!(check_writer(&rogue).unwrap_err().contains("ggzy_execute"));
        let key = json!({"topic": HOLDER_KEY_TOPIC, "writer": "ggzy_supervise",
                         "payload": {"branch": "supervise"}});
        assert!(check_writer(&key).is_ok());
        let swapped = json!({"topic": HOLDER_KEY_TOPIC, "writer": "ggzy_execute",
                             "payload": {"branch": "decide"}});
        assert!(check_writer(&swapped).is_err());
        let unknown = json!({"topic": "tender.secret", "writer": "ggzy_execute", "payload": {}});
        assert!(check_writer(&unknown).is_err());
        let legacy = json!({"topic": "tender.filing", "payload": {}});
        assert_eq!(check_writer(&legacy), Ok(None));
        let superuser = json!({"topic": "tender.notice", "writer": "postgres", "payload": {}});
        assert!(check_writer(&superuser).is_err());
    }
}
