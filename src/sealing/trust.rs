//! Verified recipients for `ggzy seal --server` (issue 13, finding 1): the server's word is not
//! enough. Each branch's recipient must be the one that branch's own plane wrote into the
//! transparency log (`tender.holder_key`, writer `ggzy_<branch>`), included under a tree head
//! signed by the platform key the sealer trusts — pinned (`--platform-key`), or remembered from
//! the first use (TOFU, in `--log-state`) and then only accepted with a consistency proof from
//! the remembered head. Duplicates (two entries for one branch, one recipient for two) are
//! refused. The checks on the entries are a pure function ([`check_holder_entries`]).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;
use uuid::Uuid;

use super::pieces::Branch;
use super::seal::Recipients;
use crate::core::signing;
use crate::transparency::merkle::{self, Hash};
use crate::transparency::topics::{self, HOLDER_KEY_TOPIC};
// the log answers are read as `ggzy log verify` reads them (one parser for both verifiers)
use crate::transparency::verify::{hash_of, load_state, path_of};

/// How long a sealer waits for the holder-key entries to be in a signed head (the sequencer
/// signs asynchronously, a few tens of milliseconds after the registration commits).
const WAIT_FOR_ENTRIES: Duration = Duration::from_secs(20);

/// What the sealer trusts.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// The platform public key (base64), pinned; checked against the saved head too.
    pub platform_key: Option<String>,
    /// The file keeping the last verified tree head (and with it the key trusted on first use).
    pub state: Option<PathBuf>,
}

impl Trust {
    /// The state file: the one given, else `$XDG_STATE_HOME/ggzy/` (or `~/.local/state/ggzy/`)
    /// `log-head-<server>.json`, one per server.
    pub fn state_file(&self, server: &str) -> Option<PathBuf> {
        if let Some(p) = &self.state {
            return Some(p.clone());
        }
        let base = std::env::var_os("XDG_STATE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
        let name: String = server
            .trim_end_matches('/')
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        Some(base.join("ggzy").join(format!("log-head-{name}.json")))
    }
}

/// One holder-key entry as the sealer checked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderKeyEntry {
    /// Leaf index in the log.
    pub index: u64,
    /// The branch named in the payload.
    pub branch: Branch,
    /// The recipient it logs.
    pub recipient: String,
}

/// Checks the decoded holder-key leaves of `tender` against the recipients the server serves:
/// every leaf is a `tender.holder_key` about this tender, written by its branch's own plane;
/// one entry per branch, three different recipients, each equal to the served one. Returns the
/// logged recipients; the error names the branch.
pub fn check_holder_entries(
    tender: Uuid,
    leaves: &[(u64, Value)],
    served: &Recipients,
) -> anyhow::Result<Recipients> {
    let mut found: Vec<HolderKeyEntry> = Vec::new();
    let tid = tender.to_string();
    for (index, leaf) in leaves {
        let what = format!("log entry {index}");
        if leaf["topic"] != HOLDER_KEY_TOPIC {
            bail!("{what} is not a {HOLDER_KEY_TOPIC} entry");
        }
        if leaf["subject_type"] != "tender" || leaf["subject_id"].as_str() != Some(&tid) {
            bail!("{what} is about another subject, not tender {tender}");
        }
        let payload = &leaf["payload"];
        let branch = payload["branch"]
            .as_str()
            .and_then(Branch::parse)
            .with_context(|| format!("{what} names no branch"))?;
        if payload["tender_id"].as_str().is_some_and(|t| t != tid) {
            bail!("{what} ({branch}) is about another tender");
        }
        match topics::check_writer(leaf) {
            Ok(Some(_)) => {}
            Ok(None) => bail!("{what} ({branch} holder key) does not name its writer"),
            Err(e) => bail!(
                "the {branch} holder key in {what} was not written by the {branch} plane: {e}"
            ),
        }
        let recipient = payload["recipient"]
            .as_str()
            .with_context(|| format!("{what} ({branch}) has no recipient"))?
            .to_string();
        if let Some(dup) = found.iter().find(|e| e.branch == branch) {
            bail!(
                "the {branch} branch has two holder-key entries in the log (entries {} and \
                 {index}): refusing to seal to either",
                dup.index
            );
        }
        if let Some(dup) = found.iter().find(|e| e.recipient == recipient) {
            bail!(
                "the {branch} and {} holders logged the same recipient {recipient}: refusing to \
                 seal (one key would hold two pieces)",
                dup.branch
            );
        }
        found.push(HolderKeyEntry {
            index: *index,
            branch,
            recipient,
        });
    }
    let logged = |b: Branch| -> anyhow::Result<String> {
        let e = found
            .iter()
            .find(|e| e.branch == b)
            .with_context(|| format!("the {b} holder's key is not in the signed log"))?;
        if e.recipient != served.get(b) {
            bail!(
                "the {b} recipient the server serves ({}) is not the one the {b} plane logged \
                 ({}, entry {}): refusing to seal",
                served.get(b),
                e.recipient,
                e.index
            );
        }
        Ok(e.recipient.clone())
    };
    Ok(Recipients {
        decide: logged(Branch::Decide)?,
        execute: logged(Branch::Execute)?,
        supervise: logged(Branch::Supervise)?,
    })
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let url = format!("{}/api/v1{path}", self.base);
        let r = self
            .http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("fetching {url}"))?;
        let status = r.status();
        let body = r.text().await.with_context(|| format!("reading {url}"))?;
        if !status.is_success() {
            bail!("{url} answered {status}: {body}");
        }
        serde_json::from_str(&body).with_context(|| format!("{url} did not answer JSON"))
    }
}

/// A signed head checked against the trusted key and the saved head.
struct Head {
    json: Value,
    size: u64,
    root: Hash,
}

async fn trusted_head(
    client: &Client,
    trust: &Trust,
    saved: Option<&Value>,
) -> anyhow::Result<Head> {
    let json = client.get("/log/head").await?;
    signing::verify(&json).context("the log's tree head signature does not verify")?;
    let saved_key = saved.and_then(|s| s["public_key"].as_str());
    let trusted = match (&trust.platform_key, saved_key) {
        (Some(pinned), Some(k)) if pinned != k => bail!(
            "the pinned platform key {pinned} is not the one of the remembered tree head ({k})"
        ),
        (Some(pinned), _) => pinned.clone(),
        (None, Some(k)) => k.to_string(),
        (None, None) => {
            let k = client.get("/keys/platform").await?["public_key"]
                .as_str()
                .context("/keys/platform has no public_key")?
                .to_string();
            eprintln!(
                "warning: no platform key pinned and no remembered tree head: trusting the \
                 server's key {k} on first use (pin it with --platform-key)"
            );
            k
        }
    };
    if json["public_key"].as_str() != Some(trusted.as_str()) {
        bail!(
            "the log's tree head is signed by {} but the trusted platform key is {trusted}",
            json["public_key"]
        );
    }
    let size = json["size"].as_u64().context("the head has no size")?;
    let root = hash_of(&json["root_hash"], "the head's root_hash")?;
    if let Some(old) = saved {
        let old_size = old["size"].as_u64().context("the saved head has no size")?;
        let old_root = hash_of(&old["root_hash"], "the saved head's root_hash")?;
        if size < old_size {
            bail!("the log shrank: the remembered head had {old_size} entries, now {size}");
        }
        let proof = if old_size == 0 || old_size == size {
            Vec::new()
        } else {
            let p = client
                .get(&format!("/log/consistency?first={old_size}&second={size}"))
                .await?;
            path_of(&p["consistency_path"], "consistency_path")?
        };
        if !merkle::verify_consistency(old_size, size, &old_root, &root, &proof) {
            bail!(
                "INCONSISTENT log: the server's tree head (size {size}) does not extend the \
                 remembered one (size {old_size}): refusing to seal"
            );
        }
    }
    Ok(Head { json, size, root })
}

/// The tender's recipients as served (`GET /tenders/{id}`), verified against the holder-key
/// entries of the signed log; saves the verified head in the state file.
pub async fn verified_recipients(
    server: &str,
    tender: Uuid,
    trust: &Trust,
) -> anyhow::Result<Recipients> {
    let client = Client {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .context("building the HTTP client")?,
        base: server.trim_end_matches('/').to_string(),
    };
    let t = client.get(&format!("/tenders/{tender}")).await?;
    let served = super::cli::recipients_from_tender(&t)?;
    let state = trust.state_file(server);
    let saved = match &state {
        Some(p) => load_state(p)?,
        None => None,
    };
    let started = Instant::now();
    let (head, items) = loop {
        let head = trusted_head(&client, trust, saved.as_ref()).await?;
        let page = client
            .get(&format!(
                "/log/entries?subject_type=tender&subject_id={tender}&topic={HOLDER_KEY_TOPIC}\
                 &end={}",
                head.size
            ))
            .await?;
        let items = page["items"]
            .as_array()
            .context("the log's entries answer has no items")?
            .clone();
        // the sequencer signs heads asynchronously: wait for the three entries to be signed
        if items.len() >= Branch::ALL.len() || started.elapsed() > WAIT_FOR_ENTRIES {
            break (head, items);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let mut leaves = Vec::with_capacity(items.len());
    for item in &items {
        let index = item["index"].as_u64().context("an entry without index")?;
        if index >= head.size {
            bail!(
                "log entry {index} is beyond the signed head of {} entries",
                head.size
            );
        }
        let bytes = B64
            .decode(item["leaf"].as_str().unwrap_or_default())
            .with_context(|| format!("log entry {index}: the leaf is not base64"))?;
        let leaf_hash = merkle::leaf_hash(&bytes);
        let p = client
            .get(&format!("/log/proof?index={index}&size={}", head.size))
            .await?;
        let path = path_of(&p["inclusion_path"], "inclusion_path")?;
        if !merkle::verify_inclusion(index, head.size, &leaf_hash, &path, &head.root) {
            bail!(
                "log entry {index} is not included in the signed tree head (size {}): refusing \
                 to seal",
                head.size
            );
        }
        let leaf: Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("log entry {index}: the leaf is not JSON"))?;
        leaves.push((index, leaf));
    }
    let recipients = check_holder_entries(tender, &leaves, &served)?;
    if let Some(p) = &state {
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(p, serde_json::to_string_pretty(&head.json)?)
            .with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(recipients)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const D: &str = "age1d";
    const E: &str = "age1e";
    const S: &str = "age1s";

    fn leaf(t: Uuid, branch: &str, recipient: &str, writer: &str) -> Value {
        json!({"seq": 1, "topic": HOLDER_KEY_TOPIC, "subject_type": "tender",
               "subject_id": t.to_string(), "created_at": "2026-12-04T00:00:00.000000Z",
               "payload": {"tender_id": t, "branch": branch, "recipient": recipient},
               "writer": writer})
    }

    fn honest(t: Uuid) -> Vec<(u64, Value)> {
        vec![
            (3, leaf(t, "decide", D, "ggzy_decide")),
            (4, leaf(t, "execute", E, "ggzy_execute")),
            (5, leaf(t, "supervise", S, "ggzy_supervise")),
        ]
    }

    fn served(d: &str, e: &str, s: &str) -> Recipients {
        Recipients {
            decide: d.into(),
            execute: e.into(),
            supervise: s.into(),
        }
    }

    fn refusal(t: Uuid, leaves: &[(u64, Value)], r: &Recipients) -> String {
        format!("{:#}", check_holder_entries(t, leaves, r).unwrap_err())
    }

    #[test]
    fn the_logged_recipients_are_the_served_ones() {
        let t = Uuid::new_v4();
        let r = check_holder_entries(t, &honest(t), &served(D, E, S)).expect("honest");
        assert_eq!(r, served(D, E, S));
    }

    #[test]
    fn swapped_or_replaced_recipients_are_refused_naming_the_branch() {
        let t = Uuid::new_v4();
        let swapped = refusal(t, &honest(t), &served(E, D, S));
        assert!(
            swapped.contains("the decide recipient the server serves"),
            "{swapped}"
        );
        let rogue = refusal(t, &honest(t), &served(D, E, "age1attacker"));
        assert!(rogue.contains("supervise"), "{rogue}");
    }

    #[test]
    fn entries_by_the_wrong_plane_or_about_another_tender_are_refused() {
        let t = Uuid::new_v4();
        let mut l = honest(t);
        l[0].1 = leaf(t, "decide", D, "ggzy_execute");
        let e = refusal(t, &l, &served(D, E, S));
        assert!(e.contains("not written by the decide plane"), "{e}");
        let mut l = honest(t);
        l[0].1 = leaf(t, "decide", D, "postgres");
        assert!(refusal(t, &l, &served(D, E, S)).contains("decide"));
        let mut l = honest(t);
        l[1].1 = leaf(Uuid::new_v4(), "execute", E, "ggzy_execute");
        assert!(refusal(t, &l, &served(D, E, S)).contains("another subject"));
        let mut l = honest(t);
        l.remove(2);
        assert!(refusal(t, &l, &served(D, E, S)).contains("supervise holder's key is not"));
    }

    #[test]
    fn duplicates_are_refused() {
        let t = Uuid::new_v4();
        let mut l = honest(t);
        l.push((9, leaf(t, "decide", "age1other", "ggzy_decide")));
        let e = refusal(t, &l, &served(D, E, S));
        assert!(
            e.contains("decide branch has two holder-key entries"),
            "{e}"
        );
        let mut l = honest(t);
        l[2].1 = leaf(t, "supervise", D, "ggzy_supervise");
        let e = refusal(t, &l, &served(D, E, D));
        assert!(e.contains("same recipient"), "{e}");
    }
}
