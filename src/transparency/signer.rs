//! The signer's memory of the last tree head it signed (docs/TRANSPARENCY.md "The signer's
//! memory"). The database holds the leaves and heads, and its superuser can roll them back; the
//! platform key is on the signing process's disk, so the last head that key signed is kept there
//! too — in memory, and in `transparency_head.json` beside `platform_ed25519.pem` — and the
//! sequencer signs a new head only when the stored tree extends that one. A rolled-back or forked
//! tree is refused loudly (an error log line, `ggzy_state{name="sequencer_refused"}`), never
//! signed: one platform key signs one log, ever.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bytea};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Value, json};

use crate::core::sequencer::refuse;
use crate::core::signing;
use crate::transparency::merkle::{Frontier, Hash};

/// The state file's name, in the platform key's folder.
pub const STATE_FILE: &str = "transparency_head.json";

/// A head the platform key signed, with the frontier that extends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHead {
    /// The signed head exactly as served (`size, root_hash, timestamp, signature, public_key`).
    pub head: Value,
    /// The perfect subtrees' roots of that tree.
    pub frontier: Frontier,
}

impl SignedHead {
    /// The head's size.
    pub fn size(&self) -> u64 {
        self.frontier.size
    }

    /// The head's root.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// The state file's JSON: the signed head plus its frontier (hex), so that the file is also
    /// a valid `ggzy log verify --state` file.
    fn to_json(&self) -> Value {
        let mut v = self.head.clone();
        v["frontier"] = json!(
            self.frontier
                .nodes
                .iter()
                .map(hex::encode)
                .collect::<Vec<_>>()
        );
        v
    }

    fn from_json(v: &Value) -> anyhow::Result<SignedHead> {
        let size = v["size"].as_u64().context("no size")?;
        let nodes = v["frontier"]
            .as_array()
            .context("no frontier")?
            .iter()
            .map(|n| {
                hex::decode(n.as_str().unwrap_or_default())
                    .ok()
                    .and_then(|b| <Hash>::try_from(b).ok())
                    .context("a frontier node is not a hex SHA-256")
            })
            .collect::<anyhow::Result<Vec<Hash>>>()?;
        let frontier = Frontier::from_bytes(size, &nodes.concat())
            .context("the frontier does not match the size")?;
        let root = hex::encode(frontier.root());
        if v["root_hash"].as_str() != Some(root.as_str()) {
            anyhow::bail!("the frontier does not fold to the signed root");
        }
        let mut head = v.clone();
        if let Some(m) = head.as_object_mut() {
            m.remove("frontier");
        }
        signing::verify(&head).context("the head's signature does not verify")?;
        Ok(SignedHead { head, frontier })
    }
}

/// The last signed head of this signer, in memory and in its state file.
#[derive(Debug)]
pub struct HeadGuard {
    path: PathBuf,
    last: Mutex<Option<SignedHead>>,
}

#[derive(QueryableByName)]
struct LeafHash {
    #[diesel(sql_type = BigInt)]
    idx: i64,
    #[diesel(sql_type = Bytea)]
    leaf_hash: Vec<u8>,
}

impl HeadGuard {
    /// Opens the guard of the key in `keys_dir`; a state file that does not parse, or whose
    /// head is not signed by `public_key`, stops the start (it is the signer's only memory).
    pub fn open(keys_dir: &Path, public_key: &str) -> anyhow::Result<HeadGuard> {
        let guard = HeadGuard {
            path: keys_dir.join(STATE_FILE),
            last: Mutex::new(None),
        };
        let saved = guard.read_file()?;
        if let Some(s) = &saved
            && s.head["public_key"].as_str() != Some(public_key)
        {
            anyhow::bail!(
                "{} holds a head signed by another key than {}: move it aside only if this key \
                 starts a new log",
                guard.path.display(),
                public_key
            );
        }
        *guard.lock() = saved;
        Ok(guard)
    }

    /// Where the last signed head is kept.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The last signed head remembered (memory or file, whichever is larger).
    pub fn last(&self) -> Option<SignedHead> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<SignedHead>> {
        // a poisoned lock still holds the last value written
        self.last.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn read_file(&self) -> anyhow::Result<Option<SignedHead>> {
        if !self.path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&self.path)
            .with_context(|| format!("reading {}", self.path.display()))?;
        let v: Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a saved tree head", self.path.display()))?;
        SignedHead::from_json(&v)
            .map(Some)
            .with_context(|| format!("{} is not a valid signed head", self.path.display()))
    }

    /// The newest head this key signed: memory, or the file when another process sharing the
    /// key folder signed a newer one. Two different heads of one size are a fork.
    fn newest(&self) -> diesel::QueryResult<Option<SignedHead>> {
        let file = self
            .read_file()
            .map_err(|e| refuse(format!("the signer's state file: {e:#}")))?;
        let mut last = self.lock();
        match (&*last, file) {
            (Some(m), Some(f)) if m.size() == f.size() && m.root() != f.root() => {
                return Err(refuse(format!(
                    "two heads of size {} were signed with different roots ({} in memory, {} in \
                     {}): the log was forked",
                    m.size(),
                    hex::encode(m.root()),
                    hex::encode(f.root()),
                    self.path.display()
                )));
            }
            (Some(m), Some(f)) if f.size() > m.size() => *last = Some(f),
            (None, Some(f)) => *last = Some(f),
            _ => {}
        }
        Ok(last.clone())
    }

    /// Refuses (a [`crate::core::sequencer::Refused`] error) unless the stored tree `base`
    /// (`stored_root` is the root its row records) extends the last head this key signed: same
    /// size → same frontier; larger → the stored leaves after the signed size, pushed onto the
    /// signed frontier, give exactly `base`; smaller → the log was rolled back. Called before
    /// every signature; the new head then grows `base` by pushes, so it extends it by
    /// construction.
    pub async fn check_base(
        &self,
        conn: &mut AsyncPgConnection,
        base: &Frontier,
        stored_root: &Hash,
    ) -> diesel::QueryResult<()> {
        if &base.root() != stored_root {
            return Err(refuse(format!(
                "the stored head of size {} records root {} but its frontier folds to {}: the \
                 head row was edited",
                base.size,
                hex::encode(stored_root),
                hex::encode(base.root())
            )));
        }
        let Some(last) = self.newest()? else {
            // trust on first use: nothing signed by this key before (a new log, or a lost file)
            return Ok(());
        };
        let (m, n) = (last.size(), base.size);
        if n < m {
            return Err(refuse(format!(
                "the stored transparency log has {n} entries but this platform key signed a head \
                 of {m} entries (root {}, {}): the log was rolled back; restore the leaves and \
                 heads from a backup — a new head over this tree would be a fork",
                hex::encode(last.root()),
                last.head["timestamp"]
            )));
        }
        if n == m {
            if base != &last.frontier {
                return Err(refuse(format!(
                    "the stored tree of {n} entries has root {} but this platform key signed \
                     root {} for that size: the log was forked",
                    hex::encode(base.root()),
                    hex::encode(last.root())
                )));
            }
            return Ok(());
        }
        // n > m: replay the stored leaves m..n onto the signed frontier (O(n - m); in steady
        // state the base is the head signed last, and this read is skipped)
        let rows: Vec<LeafHash> = diesel::sql_query(
            "SELECT idx, leaf_hash FROM transparency_leaves \
             WHERE idx >= $1 AND idx < $2 ORDER BY idx",
        )
        .bind::<BigInt, _>(m as i64)
        .bind::<BigInt, _>(n as i64)
        .load(conn)
        .await?;
        let mut f = last.frontier.clone();
        for r in &rows {
            let h: Option<Hash> = r.leaf_hash.as_slice().try_into().ok();
            match h {
                Some(h) if r.idx as u64 == f.size => f.push(h),
                _ => break,
            }
        }
        if &f != base {
            return Err(refuse(format!(
                "the stored tree of {n} entries (root {}) does not extend the head of {m} entries \
                 this platform key signed last (root {}): the log was forked",
                hex::encode(base.root()),
                hex::encode(last.root())
            )));
        }
        Ok(())
    }

    /// Remembers a head after its transaction committed: memory first, then the file (written
    /// to a temporary file and renamed, so a crash leaves the old or the new head, never half).
    /// A head older than the one remembered is ignored.
    pub fn remember(&self, signed: SignedHead) -> anyhow::Result<()> {
        {
            let mut last = self.lock();
            if let Some(l) = &*last
                && l.size() > signed.size()
            {
                return Ok(());
            }
            *last = Some(signed.clone());
        }
        let text = serde_json::to_string_pretty(&signed.to_json())?;
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &self.path)
            .with_context(|| format!("renaming {} to {}", tmp.display(), self.path.display()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transparency::merkle::leaf_hash;
    use ed25519_dalek::SigningKey;

    fn signed(key: &signing::PlatformKey, frontier: &Frontier) -> SignedHead {
        let head = key
            .sign(crate::transparency::log::head_object(
                frontier.size,
                &frontier.root(),
                chrono::Utc::now(),
            ))
            .unwrap();
        SignedHead {
            head,
            frontier: frontier.clone(),
        }
    }

    #[test]
    fn the_state_file_round_trips_and_refuses_another_key_or_an_edit() {
        let dir = std::env::temp_dir().join(format!("ggzy-signer-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = signing::PlatformKey::from_key(SigningKey::from_bytes(&[3u8; 32]));
        let mut f = Frontier::default();
        for i in 0..5u8 {
            f.push(leaf_hash(&[i]));
        }
        let g = HeadGuard::open(&dir, key.public_key_b64()).unwrap();
        assert!(g.last().is_none());
        g.remember(signed(&key, &f)).unwrap();
        let again = HeadGuard::open(&dir, key.public_key_b64()).unwrap();
        assert_eq!(again.last().unwrap().frontier, f);
        // the file is a `ggzy log verify --state` head: its signed fields verify
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(STATE_FILE)).unwrap()).unwrap();
        let mut head = v.clone();
        head.as_object_mut().unwrap().remove("frontier");
        signing::verify(&head).unwrap();
        // another key's folder is refused
        let other = signing::PlatformKey::from_key(SigningKey::from_bytes(&[4u8; 32]));
        assert!(HeadGuard::open(&dir, other.public_key_b64()).is_err());
        // an edited frontier is refused
        let mut v2 = v.clone();
        v2["frontier"][0] = json!(hex::encode([0u8; 32]));
        std::fs::write(dir.join(STATE_FILE), v2.to_string()).unwrap();
        assert!(HeadGuard::open(&dir, key.public_key_b64()).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
