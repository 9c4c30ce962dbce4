//! The server's checks of a sealed envelope `ggzy-sealed-bid/1` (API.md "The sealed envelope";
//! 电子招标投标办法 art. 26: a bid that is not encrypted is refused). The server cannot decrypt
//! anything, so it checks the structure: the JSON shape, strict base64, and that each of the four
//! blobs is a binary age file whose header holds exactly one X25519 stanza. The header is parsed
//! here rather than by the `age` crate because the crate exposes no header API and accepts
//! passphrase (scrypt) files, which would let a bidder seal to a password it later discloses.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::pieces::Branch;

/// The suite name carried in the envelope's `format` field.
pub const FORMAT: &str = "ggzy-sealed-bid/1";

/// The API error code for every envelope refusal (`400 not_sealed`).
pub const ERROR_CODE: &str = "not_sealed";

/// The first line of a binary age v1 file.
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";
/// The first line of an ASCII-armored age file (refused: the format says binary).
const ARMOR_BEGIN: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";
/// age's stream nonce (16 bytes) plus at least one chunk's Poly1305 tag (16 bytes).
const MIN_PAYLOAD: usize = 32;
/// A bound on stanzas so that a crafted header cannot make the check loop for long.
const MAX_STANZAS: usize = 64;

/// The three holders' bundles, each a binary age file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundles {
    /// The decide holder's bundle (pieces 2 and 3).
    pub decide: Vec<u8>,
    /// The execute holder's bundle (pieces 1 and 3).
    pub execute: Vec<u8>,
    /// The supervise holder's bundle (pieces 1 and 2).
    pub supervise: Vec<u8>,
}

impl Bundles {
    /// The bundle of `branch`'s holder.
    pub fn get(&self, branch: Branch) -> &[u8] {
        match branch {
            Branch::Decide => &self.decide,
            Branch::Execute => &self.execute,
            Branch::Supervise => &self.supervise,
        }
    }
}

/// A checked envelope: the tender, the payload age file and the three bundles (decoded bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The tender the bid is for (equal to the request path's tender).
    pub tender_id: Uuid,
    /// The payload: the bid document as a binary age file to the one-time recipient.
    pub payload: Vec<u8>,
    /// The holders' bundles.
    pub bundles: Bundles,
}

/// Why a blob is not an acceptable age file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgeFileError {
    /// ASCII armor (`-----BEGIN AGE ENCRYPTED FILE-----`); the format wants binary files.
    #[error("is an armored age file; binary age files are required")]
    Armored,
    /// Not an age file at all (e.g. a plaintext bid).
    #[error("is not an age file ({0})")]
    NotAge(&'static str),
    /// The age header is malformed.
    #[error("has a malformed age header: {0}")]
    Header(String),
    /// A stanza type other than X25519 and grease.
    #[error("has a refused {0} stanza; only X25519 is allowed")]
    Refused(String),
    /// Not exactly one X25519 stanza.
    #[error("has {0} X25519 stanzas; exactly one is required")]
    X25519Count(usize),
    /// Nothing, or too little, after the header.
    #[error("has no encrypted payload after the header")]
    NoPayload,
}

/// Why an envelope is refused; every variant is API code `not_sealed` ([`ERROR_CODE`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Not a JSON object with exactly the envelope's fields.
    #[error("the body is not a ggzy-sealed-bid/1 envelope: {0}")]
    Structure(String),
    /// `format` is not `ggzy-sealed-bid/1`.
    #[error("unsupported format {0:?}; expected \"ggzy-sealed-bid/1\"")]
    Format(String),
    /// `tender_id` is not a UUID.
    #[error("tender_id {0:?} is not a UUID")]
    TenderId(String),
    /// `tender_id` names another tender than the request path.
    #[error("the envelope is sealed for tender {found}, not for this tender {expected}")]
    TenderMismatch {
        /// The tender of the request path.
        expected: Uuid,
        /// The tender named in the envelope.
        found: Uuid,
    },
    /// A field is not strict standard padded base64.
    #[error("{field} is not standard padded base64: {reason}")]
    Base64 {
        /// `payload` or `bundles.<branch>`.
        field: String,
        /// The decoder's complaint.
        reason: String,
    },
    /// A field does not decode to an acceptable age file.
    #[error("{field} {error}")]
    AgeFile {
        /// `payload` or `bundles.<branch>`.
        field: String,
        /// What is wrong with it.
        error: AgeFileError,
    },
}

impl EnvelopeError {
    /// The API error code: always `not_sealed` (a tender mismatch too, with its own detail).
    pub fn code(&self) -> &'static str {
        ERROR_CODE
    }

    /// The human detail for the problem+json body.
    pub fn detail(&self) -> String {
        self.to_string()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvelope {
    format: String,
    tender_id: String,
    payload: String,
    bundles: RawBundles,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBundles {
    decide: String,
    execute: String,
    supervise: String,
}

/// Checks a request body and returns the decoded envelope, or why it is `not_sealed`.
pub fn parse(body: &[u8], expected_tender: Uuid) -> Result<Envelope, EnvelopeError> {
    // serde would also read a struct from a JSON array; the format is an object.
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(EnvelopeError::Structure("not a JSON object".into()));
    }
    // deny_unknown_fields and serde's duplicate-field check make the field set exact.
    let raw: RawEnvelope =
        serde_json::from_slice(body).map_err(|e| EnvelopeError::Structure(e.to_string()))?;
    if raw.format != FORMAT {
        return Err(EnvelopeError::Format(truncate(&raw.format)));
    }
    let found = Uuid::try_parse(&raw.tender_id)
        .map_err(|_| EnvelopeError::TenderId(truncate(&raw.tender_id)))?;
    if found != expected_tender {
        return Err(EnvelopeError::TenderMismatch {
            expected: expected_tender,
            found,
        });
    }
    let payload = decode_age_field("payload", &raw.payload)?;
    let decide = decode_age_field("bundles.decide", &raw.bundles.decide)?;
    let execute = decode_age_field("bundles.execute", &raw.bundles.execute)?;
    let supervise = decode_age_field("bundles.supervise", &raw.bundles.supervise)?;
    Ok(Envelope {
        tender_id: found,
        payload,
        bundles: Bundles {
            decide,
            execute,
            supervise,
        },
    })
}

/// Lowercase hex SHA-256 of the payload's age file bytes (the bundles' `payload_sha256`).
pub fn payload_sha256(envelope: &Envelope) -> String {
    sha256_hex(&envelope.payload)
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn decode_age_field(field: &str, b64: &str) -> Result<Vec<u8>, EnvelopeError> {
    // STANDARD requires canonical padding and zero trailing bits, and refuses whitespace.
    let bytes = STANDARD.decode(b64).map_err(|e| EnvelopeError::Base64 {
        field: field.into(),
        reason: e.to_string(),
    })?;
    check_age_file(&bytes).map_err(|error| EnvelopeError::AgeFile {
        field: field.into(),
        error,
    })?;
    Ok(bytes)
}

/// Echo at most 64 characters of bidder-supplied text in a detail.
fn truncate(s: &str) -> String {
    let mut out: String = s.chars().take(64).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// What a recipient stanza is, for the one-X25519 rule.
enum StanzaKind {
    X25519,
    /// age's "grease": ignored by every age implementation, and by us.
    Grease,
    Refused(String),
}

/// Classifies a stanza by its type (the first word after `-> `).
///
/// Grease: age-core's `grease_the_joint` (str4d/rage, `age-core/src/format.rs`), which the `age`
/// crate and pyrage add to every non-scrypt file, makes the tag `format!("{}-grease", s)` with `s`
/// 1 to 8 random printable ASCII characters, random arguments and a random 0–99 byte body. So a
/// stanza is grease when its type ends in `-grease` with at least one character before it; its
/// arguments and body are not looked at. Any other type that is not `X25519` is refused: `scrypt`
/// (a passphrase the bidder could disclose), `ssh-rsa`/`ssh-ed25519`, plugin types and types age
/// may add later (e.g. post-quantum ones) are not part of `ggzy-sealed-bid/1`.
fn classify(tag: &str) -> StanzaKind {
    match tag {
        "X25519" => StanzaKind::X25519,
        "scrypt" => StanzaKind::Refused("scrypt (passphrase)".into()),
        "ssh-rsa" | "ssh-ed25519" => StanzaKind::Refused(format!("{tag} (ssh)")),
        t if t.len() > "-grease".len() && t.ends_with("-grease") => StanzaKind::Grease,
        t => StanzaKind::Refused(format!("{:?}", truncate(t))),
    }
}

/// An age "arbitrary string": one or more printable ASCII characters (33–126).
fn is_arbitrary_string(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|b| (33..=126).contains(b))
}

/// The next `\n`-terminated line from `pos`, without its newline, and the position after it.
fn next_line(bytes: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let rest = bytes.get(pos..)?;
    let end = rest.iter().position(|&b| b == b'\n')?;
    Some((&rest[..end], pos + end + 1))
}

fn header_err(msg: impl Into<String>) -> AgeFileError {
    AgeFileError::Header(msg.into())
}

/// Checks that `bytes` is a binary age v1 file with exactly one X25519 stanza, grease ignored
/// and every other stanza type refused (c2sp.org/age header grammar, canonical encoding only).
pub fn check_age_file(bytes: &[u8]) -> Result<(), AgeFileError> {
    if bytes.starts_with(ARMOR_BEGIN) {
        return Err(AgeFileError::Armored);
    }
    if !bytes.starts_with(AGE_MAGIC) {
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        return Err(AgeFileError::NotAge(match first {
            None => "empty",
            Some(b'{') | Some(b'[') => "it looks like plaintext JSON",
            Some(_) if bytes.starts_with(b"age-encryption.org/") => "unsupported age version",
            Some(_) => "no age-encryption.org/v1 header",
        }));
    }
    let mut pos = AGE_MAGIC.len();
    let mut x25519 = 0usize;
    let mut stanzas = 0usize;
    loop {
        let (line, next) =
            next_line(bytes, pos).ok_or_else(|| header_err("the header has no --- line"))?;
        pos = next;
        if let Some(mac) = line.strip_prefix(b"--- ") {
            // HMAC-SHA-256: 32 bytes, 43 characters of unpadded canonical base64.
            match STANDARD_NO_PAD.decode(mac) {
                Ok(m) if m.len() == 32 => break,
                _ => return Err(header_err("the header MAC is not 32 bytes of base64")),
            }
        }
        let Some(stanza) = line.strip_prefix(b"-> ") else {
            return Err(header_err("a header line is neither a stanza nor the MAC"));
        };
        stanzas += 1;
        if stanzas > MAX_STANZAS {
            return Err(header_err("too many stanzas"));
        }
        let words: Vec<&[u8]> = stanza.split(|&b| b == b' ').collect();
        if !words.iter().all(|w| is_arbitrary_string(w)) {
            return Err(header_err(
                "a stanza's type or arguments are not printable words",
            ));
        }
        // The body: canonical unpadded base64 in 64-column lines, ended by a shorter line.
        let mut body_b64 = Vec::new();
        loop {
            let (l, n) = next_line(bytes, pos)
                .ok_or_else(|| header_err("a stanza body is not terminated"))?;
            pos = n;
            if l.len() > 64 {
                return Err(header_err("a stanza body line is longer than 64 columns"));
            }
            body_b64.extend_from_slice(l);
            if l.len() < 64 {
                break;
            }
        }
        let body = STANDARD_NO_PAD
            .decode(&body_b64)
            .map_err(|_| header_err("a stanza body is not canonical base64"))?;
        let tag = String::from_utf8_lossy(words[0]);
        match classify(&tag) {
            StanzaKind::Grease => {}
            StanzaKind::Refused(what) => return Err(AgeFileError::Refused(what)),
            StanzaKind::X25519 => {
                // c2sp.org/age: one argument, the 32-byte ephemeral share; a 32-byte body
                // (the 16-byte file key and its 16-byte tag).
                let share_ok = words.len() == 2
                    && matches!(STANDARD_NO_PAD.decode(words[1]), Ok(s) if s.len() == 32);
                if !share_ok || body.len() != 32 {
                    return Err(header_err("an X25519 stanza is malformed"));
                }
                x25519 += 1;
            }
        }
    }
    if x25519 != 1 {
        return Err(AgeFileError::X25519Count(x25519));
    }
    if bytes.len() - pos < MIN_PAYLOAD {
        return Err(AgeFileError::NoPayload);
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use age::secrecy::ExposeSecret;

    /// A binary age file of `plaintext` to a fresh X25519 recipient (with age's grease).
    pub(crate) fn age_file(plaintext: &[u8]) -> Vec<u8> {
        let id = age::x25519::Identity::generate();
        age::encrypt(&id.to_public(), plaintext).expect("encrypt")
    }

    /// Splits an age file into its header lines (up to and excluding the MAC line) and the rest.
    fn header_and_rest(file: &[u8]) -> (Vec<String>, Vec<u8>) {
        let mac_at = file
            .windows(5)
            .position(|w| w == b"\n--- ")
            .expect("mac line")
            + 1;
        let header = String::from_utf8(file[..mac_at].to_vec()).expect("utf8 header");
        let lines = header.lines().map(str::to_string).collect();
        (lines, file[mac_at..].to_vec())
    }

    /// Rebuilds a file from header lines and the MAC line onwards (the MAC is not recomputed:
    /// the server does not check it, it cannot).
    fn rebuild(lines: &[String], rest: &[u8]) -> Vec<u8> {
        let mut out = lines.join("\n").into_bytes();
        out.push(b'\n');
        out.extend_from_slice(rest);
        out
    }

    /// Removes age's random grease stanzas so that tests see a deterministic header.
    fn without_grease(lines: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        let mut skipping = false;
        for l in lines {
            if let Some(st) = l.strip_prefix("-> ") {
                skipping = st.split(' ').next().is_some_and(|t| t.ends_with("-grease"));
            }
            if !skipping {
                out.push(l.clone());
            }
        }
        out
    }

    fn b64(bytes: &[u8]) -> String {
        STANDARD.encode(bytes)
    }

    fn envelope_json(tender: Uuid, payload: &[u8], bundles: [&[u8]; 3]) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "format": FORMAT,
            "tender_id": tender.to_string(),
            "payload": b64(payload),
            "bundles": {
                "decide": b64(bundles[0]),
                "execute": b64(bundles[1]),
                "supervise": b64(bundles[2]),
            }
        }))
        .expect("json")
    }

    fn valid(tender: Uuid) -> (Vec<u8>, [Vec<u8>; 4]) {
        let files = [
            age_file(b"payload"),
            age_file(b"d"),
            age_file(b"e"),
            age_file(b"s"),
        ];
        let body = envelope_json(tender, &files[0], [&files[1], &files[2], &files[3]]);
        (body, files)
    }

    fn with_payload(tender: Uuid, payload: &[u8]) -> Vec<u8> {
        let b = age_file(b"bundle");
        envelope_json(tender, payload, [&b, &b, &b])
    }

    fn age_error(r: Result<Envelope, EnvelopeError>) -> AgeFileError {
        match r {
            Err(EnvelopeError::AgeFile { error, .. }) => error,
            other => panic!("expected an age file error, got {other:?}"),
        }
    }

    #[test]
    fn accepts_a_well_formed_envelope() {
        let t = Uuid::new_v4();
        let (body, files) = valid(t);
        let env = parse(&body, t).expect("valid");
        assert_eq!(env.tender_id, t);
        assert_eq!(env.payload, files[0]);
        assert_eq!(env.bundles.get(Branch::Decide), files[1].as_slice());
        assert_eq!(env.bundles.get(Branch::Execute), files[2].as_slice());
        assert_eq!(env.bundles.get(Branch::Supervise), files[3].as_slice());
        assert_eq!(payload_sha256(&env), hex::encode(Sha256::digest(&files[0])));
        assert_eq!(payload_sha256(&env).len(), 64);
    }

    #[test]
    fn refuses_another_tender_with_a_clear_detail() {
        let t = Uuid::new_v4();
        let other = Uuid::new_v4();
        let (body, _) = valid(other);
        let err = parse(&body, t).expect_err("mismatch");
        assert_eq!(
            err,
            EnvelopeError::TenderMismatch {
                expected: t,
                found: other
            }
        );
        assert_eq!(err.code(), "not_sealed");
        assert!(err.detail().contains(&other.to_string()));
        assert!(err.detail().contains("not for this tender"));
    }

    #[test]
    fn refuses_an_armored_payload() {
        let t = Uuid::new_v4();
        let armored = b"-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCg==\n-----END AGE ENCRYPTED FILE-----\n";
        assert_eq!(
            age_error(parse(&with_payload(t, armored), t)),
            AgeFileError::Armored
        );
    }

    #[test]
    fn refuses_a_plaintext_json_bid() {
        let t = Uuid::new_v4();
        let doc = format!(r#"{{"tender_id":"{t}","org_code":"X","price":"100.00"}}"#);
        let err = parse(&with_payload(t, doc.as_bytes()), t).expect_err("plaintext");
        assert!(matches!(
            err,
            EnvelopeError::AgeFile { ref field, error: AgeFileError::NotAge(_) } if field == "payload"
        ));
        assert!(err.detail().contains("plaintext"), "{}", err.detail());
        assert_eq!(err.code(), "not_sealed");
    }

    #[test]
    fn refuses_two_x25519_stanzas() {
        let t = Uuid::new_v4();
        let a = age::x25519::Identity::generate().to_public();
        let b = age::x25519::Identity::generate().to_public();
        let enc = age::Encryptor::with_recipients(
            [&a as &dyn age::Recipient, &b as &dyn age::Recipient].into_iter(),
        )
        .expect("encryptor");
        let mut file = Vec::new();
        let mut w = enc.wrap_output(&mut file).expect("wrap");
        std::io::Write::write_all(&mut w, b"two recipients").expect("write");
        w.finish().expect("finish");
        assert_eq!(
            age_error(parse(&with_payload(t, &file), t)),
            AgeFileError::X25519Count(2)
        );
    }

    #[test]
    fn refuses_a_scrypt_stanza() {
        let t = Uuid::new_v4();
        let enc = age::Encryptor::with_user_passphrase(age::secrecy::SecretString::from(
            "correct horse battery staple".to_string(),
        ));
        let mut file = Vec::new();
        let mut w = enc.wrap_output(&mut file).expect("wrap");
        std::io::Write::write_all(&mut w, b"password protected").expect("write");
        w.finish().expect("finish");
        let err = age_error(parse(&with_payload(t, &file), t));
        assert!(
            matches!(err, AgeFileError::Refused(ref s) if s.starts_with("scrypt")),
            "{err:?}"
        );
    }

    #[test]
    fn refuses_an_ssh_and_an_unknown_stanza_next_to_x25519() {
        let t = Uuid::new_v4();
        let file = age_file(b"x");
        let (lines, rest) = header_and_rest(&file);
        let lines = without_grease(&lines);
        for extra in [
            "-> ssh-ed25519 Zm9v YmFy",
            "-> piv-p256 Zm9v",
            "-> mlkem768x25519 YQ",
        ] {
            let mut l = lines.clone();
            l.insert(1, extra.to_string());
            l.insert(2, "AAAA".to_string());
            let err = age_error(parse(&with_payload(t, &rebuild(&l, &rest)), t));
            assert!(matches!(err, AgeFileError::Refused(_)), "{extra}: {err:?}");
        }
    }

    #[test]
    fn accepts_grease_stanzas() {
        let t = Uuid::new_v4();
        let file = age_file(b"x");
        let (lines, rest) = header_and_rest(&file);
        let mut l = without_grease(&lines);
        // Two grease stanzas of the shapes age-core makes: odd tag characters, arguments, a
        // body of exactly 64 columns followed by the required short line.
        l.insert(1, "-> O-?-grease H`: $ JJ|cJP".into());
        l.insert(2, "hQVqPTgKdXGumaUv5gvH6DckLWxzyvdtxrRD2GAlY41H".into());
        l.push("-> ~-grease".into());
        l.push("A".repeat(64));
        l.push(String::new());
        let env = parse(&with_payload(t, &rebuild(&l, &rest)), t).expect("grease is ignored");
        assert!(env.payload.windows(9).any(|w| w == b"-> ~-grea"));
        // "-grease" alone is not grease (it needs a prefix); neither is a bare "grease".
        for tag in ["-grease", "grease"] {
            let mut l = without_grease(&lines);
            l.insert(1, format!("-> {tag}"));
            l.insert(2, String::new());
            let err = age_error(parse(&with_payload(t, &rebuild(&l, &rest)), t));
            assert!(matches!(err, AgeFileError::Refused(_)), "{tag}: {err:?}");
        }
    }

    #[test]
    fn refuses_a_file_with_only_grease() {
        let t = Uuid::new_v4();
        let file = age_file(b"x");
        let (lines, rest) = header_and_rest(&file);
        let l: Vec<String> = vec![lines[0].clone(), "-> a-grease".into(), String::new()];
        assert_eq!(
            age_error(parse(&with_payload(t, &rebuild(&l, &rest)), t)),
            AgeFileError::X25519Count(0)
        );
    }

    #[test]
    fn refuses_malformed_headers() {
        let t = Uuid::new_v4();
        let file = age_file(b"x");
        let (lines, rest) = header_and_rest(&file);
        let lines = without_grease(&lines);
        // A non-canonical body line (padding), an X25519 stanza without its argument, a stray line.
        let mut padded = lines.clone();
        padded[2] = format!("{}=", padded[2]);
        let mut no_arg = lines.clone();
        no_arg[1] = "-> X25519".into();
        let mut stray = lines.clone();
        stray.insert(1, "hello".into());
        for l in [padded, no_arg, stray] {
            let err = age_error(parse(&with_payload(t, &rebuild(&l, &rest)), t));
            assert!(matches!(err, AgeFileError::Header(_)), "{err:?}");
        }
        // Truncated after the header: no payload.
        let mac_end =
            file.len() - rest.len() + rest.iter().position(|&b| b == b'\n').expect("nl") + 1;
        let err = age_error(parse(&with_payload(t, &file[..mac_end]), t));
        assert_eq!(err, AgeFileError::NoPayload);
        // Truncated inside the header.
        let err = age_error(parse(&with_payload(t, &file[..30]), t));
        assert!(matches!(err, AgeFileError::Header(_)), "{err:?}");
    }

    #[test]
    fn refuses_bad_base64() {
        let t = Uuid::new_v4();
        // A payload whose base64 has padding, so that dropping it is a change (age's grease makes
        // the length vary, so a few tries find one).
        let good = (0..100)
            .map(|_| b64(&age_file(b"payload")))
            .find(|s| s.ends_with('='))
            .expect("a padded encoding");
        let b = age_file(b"bundle");
        let body = envelope_json(t, &STANDARD.decode(&good).expect("b64"), [&b, &b, &b]);
        assert!(parse(&body, t).is_ok());
        let mut v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        for bad in [
            good.trim_end_matches('=').to_string(),    // unpadded
            format!("{}\n{}", &good[..8], &good[8..]), // a newline inside
            format!("{}!", good.replace('+', "-").replace('/', "_")), // url-safe alphabet / junk
            format!("{good}="),                        // extra padding
        ] {
            v["payload"] = serde_json::Value::String(bad);
            let err = parse(&serde_json::to_vec(&v).expect("json"), t).expect_err("bad base64");
            assert!(
                matches!(err, EnvelopeError::Base64 { ref field, .. } if field == "payload"),
                "{err:?}"
            );
        }
    }

    #[test]
    fn refuses_a_missing_bundle_and_extra_fields() {
        let t = Uuid::new_v4();
        let (body, _) = valid(t);
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");

        let mut missing = v.clone();
        missing["bundles"]
            .as_object_mut()
            .expect("obj")
            .remove("supervise");
        let err = parse(&serde_json::to_vec(&missing).expect("json"), t).expect_err("missing");
        assert!(
            matches!(err, EnvelopeError::Structure(ref d) if d.contains("supervise")),
            "{err:?}"
        );

        let mut extra = v.clone();
        extra["signature"] = "x".into();
        let err = parse(&serde_json::to_vec(&extra).expect("json"), t).expect_err("extra");
        assert!(
            matches!(err, EnvelopeError::Structure(ref d) if d.contains("signature")),
            "{err:?}"
        );

        let mut extra_bundle = v.clone();
        extra_bundle["bundles"]["public"] = v["bundles"]["decide"].clone();
        let err = parse(&serde_json::to_vec(&extra_bundle).expect("json"), t).expect_err("extra");
        assert!(matches!(err, EnvelopeError::Structure(_)), "{err:?}");

        let mut format = v.clone();
        format["format"] = "ggzy-sealed-bid/2".into();
        let err = parse(&serde_json::to_vec(&format).expect("json"), t).expect_err("format");
        assert!(matches!(err, EnvelopeError::Format(_)), "{err:?}");

        // A duplicated field, an array, garbage.
        let dup =
            String::from_utf8(body.clone())
                .expect("utf8")
                .replacen('{', r#"{"format":"x","#, 1);
        assert!(matches!(
            parse(dup.as_bytes(), t),
            Err(EnvelopeError::Structure(_))
        ));
        let arr =
            serde_json::to_vec(&serde_json::json!([FORMAT, t.to_string(), "", {}])).expect("json");
        assert!(matches!(parse(&arr, t), Err(EnvelopeError::Structure(_))));
        assert!(matches!(
            parse(b"\xff\xfe", t),
            Err(EnvelopeError::Structure(_))
        ));
        assert!(matches!(parse(b"", t), Err(EnvelopeError::Structure(_))));

        let mut bad_id = v.clone();
        bad_id["tender_id"] = "not-a-uuid".into();
        let err = parse(&serde_json::to_vec(&bad_id).expect("json"), t).expect_err("id");
        assert!(matches!(err, EnvelopeError::TenderId(_)));
    }

    #[test]
    fn refuses_a_bundle_that_is_not_an_age_file() {
        let t = Uuid::new_v4();
        let p = age_file(b"payload");
        let b = age_file(b"bundle");
        let body = envelope_json(t, &p, [&b, b"{\"pieces\":{}}", &b]);
        let err = parse(&body, t).expect_err("plaintext bundle");
        assert!(
            matches!(err, EnvelopeError::AgeFile { ref field, .. } if field == "bundles.execute")
        );
    }

    #[test]
    fn x25519_identity_strings_are_what_age_writes() {
        // The sharing relies on S being age's own uppercase string.
        let id = age::x25519::Identity::generate();
        let s = id.to_string().expose_secret().to_string();
        assert!(s.starts_with("AGE-SECRET-KEY-1"));
        assert_eq!(s, s.to_uppercase());
    }
}
