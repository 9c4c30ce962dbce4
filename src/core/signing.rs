//! The platform's Ed25519 signing key (receipts, closing manifests, later log heads) and the
//! signature format of API.md: Ed25519 over the RFC 8785 (JCS) serialisation of every field but
//! `signature` and `public_key`, both carried base64 in the object itself.

use std::path::Path;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde_json::{Map, Value};

/// The platform signing key of this process.
pub struct PlatformKey {
    key: SigningKey,
    public_b64: String,
}

impl std::fmt::Debug for PlatformKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // never print the private half
        f.debug_struct("PlatformKey")
            .field("public_key", &self.public_b64)
            .finish()
    }
}

impl PlatformKey {
    /// Loads `platform_ed25519.pem` from `dir`, creating it (mode 0600) on first start.
    pub fn load_or_create(dir: &Path) -> anyhow::Result<PlatformKey> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join("platform_ed25519.pem");
        if !path.exists() {
            let key = SigningKey::generate(&mut rand::rngs::OsRng);
            let pem = key
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| anyhow::anyhow!("encoding the platform key: {e}"))?;
            write_private(&path, pem.as_bytes())?;
            tracing::info!(path = %path.display(), "created the platform signing key");
        }
        let pem = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let key = SigningKey::from_pkcs8_pem(&pem)
            .map_err(|e| anyhow::anyhow!("reading the platform key {}: {e}", path.display()))?;
        Ok(PlatformKey::from_key(key))
    }

    /// A key from its secret bytes (tests, tools).
    pub fn from_key(key: SigningKey) -> PlatformKey {
        let public_b64 = B64.encode(key.verifying_key().as_bytes());
        PlatformKey { key, public_b64 }
    }

    /// base64 of the 32 raw public key bytes.
    pub fn public_key_b64(&self) -> &str {
        &self.public_b64
    }

    /// Signs an object: returns it with `signature` and `public_key` added.
    pub fn sign(&self, mut object: Map<String, Value>) -> anyhow::Result<Value> {
        object.remove("signature");
        object.remove("public_key");
        let bytes = serde_jcs::to_vec(&Value::Object(object.clone()))
            .context("canonicalising the signed object")?;
        let signature = self.key.sign(&bytes);
        object.insert(
            "signature".into(),
            Value::String(B64.encode(signature.to_bytes())),
        );
        object.insert("public_key".into(), Value::String(self.public_b64.clone()));
        Ok(Value::Object(object))
    }
}

/// The bytes a signature covers: the JCS form of the object without `signature` and `public_key`.
pub fn signed_bytes(object: &Value) -> anyhow::Result<Vec<u8>> {
    let mut map = object
        .as_object()
        .context("a signed object must be a JSON object")?
        .clone();
    map.remove("signature");
    map.remove("public_key");
    serde_jcs::to_vec(&Value::Object(map)).context("canonicalising")
}

/// Verifies a signed object against the public key it carries (callers compare that key with
/// the one published at `GET /keys/platform`).
pub fn verify(object: &Value) -> anyhow::Result<()> {
    let field = |name: &str| {
        object
            .get(name)
            .and_then(Value::as_str)
            .with_context(|| format!("missing {name}"))
    };
    let public: [u8; 32] = B64
        .decode(field("public_key")?)?
        .try_into()
        .map_err(|_| anyhow::anyhow!("public_key must be 32 bytes"))?;
    let signature: [u8; 64] = B64
        .decode(field("signature")?)?
        .try_into()
        .map_err(|_| anyhow::anyhow!("signature must be 64 bytes"))?;
    let key = VerifyingKey::from_bytes(&public)?;
    key.verify(&signed_bytes(object)?, &Signature::from_bytes(&signature))
        .context("bad signature")
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)?;
    Ok(())
}

static PLATFORM: std::sync::OnceLock<std::sync::Arc<PlatformKey>> = std::sync::OnceLock::new();

/// Installs this process's platform key (the first installation wins: one key per process).
pub fn install(key: PlatformKey) -> std::sync::Arc<PlatformKey> {
    PLATFORM.get_or_init(|| std::sync::Arc::new(key)).clone()
}

/// The process's platform key; timers sign with it too, so it is process-wide.
pub fn platform() -> crate::error::AppResult<std::sync::Arc<PlatformKey>> {
    PLATFORM.get().cloned().ok_or_else(|| {
        crate::error::AppError::internal(anyhow::anyhow!(
            "no platform signing key in this process (the execute plane loads it)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sign_then_verify_and_detect_any_change() {
        let key = PlatformKey::from_key(SigningKey::from_bytes(&[7u8; 32]));
        let Value::Object(map) =
            json!({"b": 2, "a": "x", "received_at": "2026-01-01T00:00:00.000000Z"})
        else {
            unreachable!()
        };
        let signed = key.sign(map).unwrap();
        verify(&signed).unwrap();
        // field order does not matter (JCS), content does
        let mut reordered = json!({"a": "x", "received_at": "2026-01-01T00:00:00.000000Z", "b": 2});
        reordered["signature"] = signed["signature"].clone();
        reordered["public_key"] = signed["public_key"].clone();
        verify(&reordered).unwrap();
        let mut changed = signed.clone();
        changed["b"] = json!(3);
        assert!(verify(&changed).is_err());
        assert_eq!(
            String::from_utf8(signed_bytes(&signed).unwrap()).unwrap(),
            r#"{"a":"x","b":2,"received_at":"2026-01-01T00:00:00.000000Z"}"#
        );
    }
}
