//! Access tokens: JWTs signed with Ed25519 (EdDSA) by the identity plane. The other planes hold
//! only the public key, so they can verify but not mint. Only EdDSA is accepted: `alg: none`,
//! HS256 (with the public key as secret) and every other algorithm are refused.

use std::path::{Path, PathBuf};

use anyhow::Context;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::roles::{Plane, Role};

/// Lifetime of an access token (API.md: `exp` ≤ 12 h).
pub const TOKEN_TTL_SECS: i64 = 8 * 3600;
/// How far ahead of this node's clock a token's `iat` or `nbf` may be: the clock skew between
/// the identity node that minted it and the node that checks it. A token "issued" later than
/// that was not minted by an honest identity plane (issue 13, finding 14).
pub const ISSUED_AT_LEEWAY_SECS: i64 = 30;

/// The claims of an access token (API.md "Auth").
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenClaims {
    /// User id.
    pub sub: Uuid,
    /// Role.
    pub role: Role,
    /// Plane of the role.
    pub plane: Plane,
    /// Org id or null.
    pub org: Option<Uuid>,
    /// Issued at (Unix seconds, real time).
    pub iat: i64,
    /// Expires at (Unix seconds, real time).
    pub exp: i64,
    /// Token id: the id of its row in `sessions`, checked by the gate on every request.
    pub jti: Uuid,
    /// Not before (Unix seconds), if set; our tokens leave it out (valid from `iat`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Set while the account is on a one-time password.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pwd_change: bool,
}

/// What the gate needs from a verified token.
#[derive(Debug, Clone)]
pub struct Verified {
    /// User id.
    pub user_id: Uuid,
    /// Role.
    pub role: Role,
    /// Plane.
    pub plane: Plane,
    /// Org.
    pub org_id: Option<Uuid>,
    /// One-time password still to change.
    pub must_change_password: bool,
    /// The token id (`jti`), the session it belongs to.
    pub session_id: Uuid,
}

/// Signing (identity plane only) and verification keys.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: Option<EncodingKey>,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtKeys {
    /// Loads the identity key pair from `dir`, creating it on first start.
    pub fn load_or_create(dir: &Path) -> anyhow::Result<JwtKeys> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let private = dir.join("identity_ed25519.pem");
        let public = dir.join("identity_ed25519.pub.pem");
        if !private.exists() {
            let key = SigningKey::generate(&mut rand::rngs::OsRng);
            let pem = key
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| anyhow::anyhow!("encoding the JWT key: {e}"))?;
            write_private(&private, pem.as_bytes())?;
            let pub_pem = key
                .verifying_key()
                .to_public_key_pem(LineEnding::LF)
                .map_err(|e| anyhow::anyhow!("encoding the JWT public key: {e}"))?;
            std::fs::write(&public, pub_pem)?;
            tracing::info!(path = %private.display(), "created the identity signing key");
        }
        let priv_pem = std::fs::read(&private)?;
        let pub_pem = std::fs::read(&public)?;
        Ok(JwtKeys {
            encoding: Some(EncodingKey::from_ed_pem(&priv_pem).context("reading the JWT key")?),
            decoding: DecodingKey::from_ed_pem(&pub_pem).context("reading the JWT public key")?,
            validation: validation(),
        })
    }

    /// Verification only, from a public key file (plane processes other than identity).
    pub fn verify_only(public: &Path) -> anyhow::Result<JwtKeys> {
        let pub_pem = std::fs::read(public)
            .with_context(|| format!("reading the JWT public key {}", public.display()))?;
        Ok(JwtKeys {
            encoding: None,
            decoding: DecodingKey::from_ed_pem(&pub_pem).context("reading the JWT public key")?,
            validation: validation(),
        })
    }

    /// The public key file next to the private one in `dir`.
    pub fn public_key_path(dir: &Path) -> PathBuf {
        dir.join("identity_ed25519.pub.pem")
    }

    /// Mints a token (identity plane).
    pub fn sign(&self, claims: &TokenClaims) -> AppResult<String> {
        let key = self.encoding.as_ref().ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("this process cannot mint tokens"))
        })?;
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), claims, key)
            .map_err(|e| AppError::internal(anyhow::anyhow!("signing a token: {e}")))
    }

    /// Verifies a token: signature, algorithm, expiry, and that role and plane agree.
    pub fn verify(&self, token: &str) -> AppResult<Verified> {
        use jsonwebtoken::errors::ErrorKind;
        let data = jsonwebtoken::decode::<TokenClaims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => {
                    AppError::unauthorized("token_expired", "the access token has expired")
                }
                _ => AppError::unauthorized("invalid_token", "the access token is not valid"),
            })?;
        let c = data.claims;
        if c.role.plane() != c.plane || c.exp - c.iat > 12 * 3600 {
            return Err(AppError::unauthorized(
                "invalid_token",
                "the access token is not valid",
            ));
        }
        // a token from the future: `iat` (or `nbf`) later than now plus the skew allowance
        let now = chrono::Utc::now().timestamp();
        if c.iat.max(c.nbf.unwrap_or(i64::MIN)) > now + ISSUED_AT_LEEWAY_SECS {
            return Err(AppError::unauthorized(
                "token_not_yet_valid",
                "the access token is issued in the future",
            ));
        }
        Ok(Verified {
            user_id: c.sub,
            role: c.role,
            plane: c.plane,
            org_id: c.org,
            must_change_password: c.pwd_change,
            session_id: c.jti,
        })
    }
}

fn validation() -> Validation {
    let mut v = Validation::new(Algorithm::EdDSA);
    v.algorithms = vec![Algorithm::EdDSA];
    v.leeway = 5;
    v.validate_exp = true;
    v.set_required_spec_claims(&["exp", "sub", "iat"]);
    v
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
