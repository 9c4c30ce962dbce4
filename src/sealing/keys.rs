//! age X25519 keys: the holders' per-tender identities and recipients, and the one-time identity
//! `S` a bidder seals to. Recipients are accepted only in age's canonical lowercase `age1…` form so
//! that the recipient logged in the notice is byte-for-byte the one holders and bidders compare.

use std::str::FromStr;

use age::secrecy::ExposeSecret;
use age::x25519::{Identity, Recipient};

/// Why a key string is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not a canonical `age1…` X25519 recipient.
    #[error("not an age X25519 recipient (age1…): {0}")]
    Recipient(&'static str),
    /// Not an `AGE-SECRET-KEY-1…` X25519 identity.
    #[error("not an age X25519 identity (AGE-SECRET-KEY-1…): {0}")]
    Identity(&'static str),
}

/// Makes a fresh identity; returns (`AGE-SECRET-KEY-1…`, `age1…`).
pub fn keygen() -> (String, String) {
    let id = Identity::generate();
    let secret = id.to_string().expose_secret().to_string();
    (secret, id.to_public().to_string())
}

/// Parses a recipient a holder registers or a bidder seals to: canonical lowercase `age1…` only.
pub fn parse_recipient(s: &str) -> Result<Recipient, KeyError> {
    if !s.starts_with("age1") {
        return Err(KeyError::Recipient("it does not start with age1"));
    }
    let r = Recipient::from_str(s).map_err(KeyError::Recipient)?;
    // bech32 also decodes the all-uppercase spelling; one key must have one spelling here.
    if r.to_string() != s {
        return Err(KeyError::Recipient("not in canonical lowercase form"));
    }
    Ok(r)
}

/// Parses an `AGE-SECRET-KEY-1…` identity string (exact: no whitespace, no comments).
pub fn parse_identity(s: &str) -> Result<Identity, KeyError> {
    if !s.starts_with("AGE-SECRET-KEY-1") {
        return Err(KeyError::Identity(
            "it does not start with AGE-SECRET-KEY-1",
        ));
    }
    Identity::from_str(s).map_err(KeyError::Identity)
}

/// The `age1…` recipient of an `AGE-SECRET-KEY-1…` identity.
pub fn recipient_of(identity: &str) -> Result<String, KeyError> {
    Ok(parse_identity(identity)?.to_public().to_string())
}

/// The identity in an identity file as `ggzy keygen` or `age-keygen` writes it: `#` comments and
/// blank lines skipped, exactly one key line.
pub fn identity_from_file_text(text: &str) -> Result<String, KeyError> {
    let mut keys = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    let key = keys
        .next()
        .ok_or(KeyError::Identity("the file holds no key"))?;
    if keys.next().is_some() {
        return Err(KeyError::Identity("the file holds more than one key"));
    }
    parse_identity(key)?;
    Ok(key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keygen_gives_a_matching_pair() {
        let (secret, recipient) = keygen();
        assert!(secret.starts_with("AGE-SECRET-KEY-1"));
        assert!(recipient.starts_with("age1"));
        assert_eq!(recipient_of(&secret).expect("identity"), recipient);
        assert!(parse_recipient(&recipient).is_ok());
        let (other, _) = keygen();
        assert_ne!(recipient_of(&other).expect("identity"), recipient);
    }

    #[test]
    fn recipients_must_be_canonical_age1() {
        let (secret, recipient) = keygen();
        assert!(parse_recipient(&recipient.to_uppercase()).is_err());
        assert!(parse_recipient(&format!(" {recipient}")).is_err());
        assert!(parse_recipient(&format!("{recipient}\n")).is_err());
        assert!(parse_recipient(&secret).is_err());
        assert!(parse_recipient("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk").is_err());
        // A flipped character breaks the bech32 checksum.
        let mut broken = recipient.clone().into_bytes();
        let last = broken.len() - 1;
        broken[last] = if broken[last] == b'q' { b'p' } else { b'q' };
        assert!(parse_recipient(&String::from_utf8(broken).expect("ascii")).is_err());
    }

    #[test]
    fn identity_files_with_comments() {
        let (secret, recipient) = keygen();
        let text = format!("# created: today\n# public key: {recipient}\n{secret}\n");
        assert_eq!(identity_from_file_text(&text).expect("file"), secret);
        assert!(identity_from_file_text("# nothing\n").is_err());
        assert!(identity_from_file_text(&format!("{secret}\n{secret}\n")).is_err());
        assert!(recipient_of(&recipient).is_err());
    }
}
