//! The sealing subcommands of `ggzy`: `keygen` (a holder's per-tender key), `seal` (a bidder's
//! offline envelope) and `unseal-shares` (a holder's step at the opening). The network part is
//! thin; what can be tested without a server is in pure functions ([`build_shares`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::document::parse_money;
use super::envelope::{FORMAT, sha256_hex};
use super::keys;
use super::open;
use super::pieces::Branch;
use super::seal::{self, Attachment, Recipients};

/// `ggzy keygen`.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Write the identity to this file (mode 0600, never overwritten) instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `ggzy seal`.
#[derive(Debug, clap::Args)]
pub struct SealArgs {
    /// The tender's id.
    #[arg(long)]
    pub tender: Uuid,
    /// The decide holder's recipient (age1…), from the tender's notice.
    #[arg(long)]
    pub decide: Option<String>,
    /// The execute holder's recipient (age1…).
    #[arg(long)]
    pub execute: Option<String>,
    /// The supervise holder's recipient (age1…).
    #[arg(long)]
    pub supervise: Option<String>,
    /// Take the three recipients from GET {server}/api/v1/tenders/{tender} instead, each
    /// verified against the entry its branch wrote into the signed transparency log.
    #[arg(long, conflicts_with_all = ["decide", "execute", "supervise"])]
    pub server: Option<String>,
    /// With --server: the platform's public key (base64) the log's tree heads must be signed
    /// with; without it the key of the remembered head, else the server's, trusted on first use.
    #[arg(long, env = "GGZY_PLATFORM_KEY")]
    pub platform_key: Option<String>,
    /// With --server: the file remembering the last verified tree head (default
    /// ~/.local/state/ggzy/log-head-<server>.json); a later head must extend it.
    #[arg(long, env = "GGZY_LOG_STATE")]
    pub log_state: Option<PathBuf>,
    /// The bid: a JSON file {org_code, price, duration_days?, fields?}.
    #[arg(long)]
    pub bid: PathBuf,
    /// An attachment file (repeatable).
    #[arg(long = "attach")]
    pub attach: Vec<PathBuf>,
    /// Write the envelope here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `ggzy unseal-shares`.
#[derive(Debug, clap::Args)]
pub struct UnsealSharesArgs {
    /// The platform's base URL (e.g. https://ggzy.example.gov.cn).
    #[arg(long)]
    pub server: String,
    /// The tender's id.
    #[arg(long)]
    pub tender: Uuid,
    /// This holder's per-tender identity file (from `ggzy keygen`).
    #[arg(long)]
    pub identity: PathBuf,
    /// This holder's branch: decide, execute or supervise.
    #[arg(long)]
    pub branch: String,
    /// Bearer token of the holder's session.
    #[arg(long, env = "GGZY_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Decrypt and summarise, but submit nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs `ggzy keygen`.
pub fn keygen(args: KeygenArgs) -> anyhow::Result<()> {
    let (identity, recipient) = keys::keygen();
    let text = format!(
        "# created: {}\n# public key: {recipient}\n{identity}\n",
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    match args.out {
        Some(path) => {
            write_new_private(&path, text.as_bytes())?;
            eprintln!("identity written to {} (mode 0600)", path.display());
            eprintln!("register this recipient for the tender:");
            println!("{recipient}");
        }
        None => {
            print!("{text}");
            eprintln!("Public key: {recipient}");
        }
    }
    Ok(())
}

/// Creates `path` with owner-only permissions; refuses to overwrite an existing file.
fn write_new_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// Runs `ggzy seal`.
pub async fn seal(args: SealArgs) -> anyhow::Result<()> {
    let recipients = match (&args.server, &args.decide, &args.execute, &args.supervise) {
        (Some(server), None, None, None) => {
            let trust = super::trust::Trust {
                platform_key: args.platform_key.clone(),
                state: args.log_state.clone(),
            };
            super::trust::verified_recipients(server, args.tender, &trust)
                .await
                .context("the tender's recipients do not match the transparency log")?
        }
        (None, Some(d), Some(e), Some(s)) => Recipients {
            decide: d.clone(),
            execute: e.clone(),
            supervise: s.clone(),
        },
        _ => bail!("give either --server, or all of --decide, --execute and --supervise"),
    };
    let bid =
        std::fs::read(&args.bid).with_context(|| format!("reading {}", args.bid.display()))?;
    let mut attachments = Vec::new();
    for path in &args.attach {
        attachments.push(read_attachment(path)?);
    }
    let document = document_from_bid_file(args.tender, &bid, &attachments)?;
    let envelope = seal::seal(args.tender, &document, &recipients)?;
    match &args.out {
        Some(path) => std::fs::write(path, &envelope)
            .with_context(|| format!("writing {}", path.display()))?,
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&envelope)?;
        }
    }
    eprintln!(
        "sealed for tender {} to decide {}, execute {}, supervise {}",
        args.tender, recipients.decide, recipients.execute, recipients.supervise
    );
    eprintln!(
        "envelope_sha256 {} ({} bytes): check it against your receipt and the closing manifest",
        sha256_hex(&envelope),
        envelope.len()
    );
    eprintln!(
        "submit with: PUT /api/v1/tenders/{}/bids/mine (Content-Type: application/json)",
        args.tender
    );
    Ok(())
}

/// Builds the bid document from a bid file `{org_code, price, duration_days?, fields?}`.
pub fn document_from_bid_file(
    tender_id: Uuid,
    bid_json: &[u8],
    attachments: &[Attachment],
) -> anyhow::Result<Vec<u8>> {
    let v: Value = serde_json::from_slice(bid_json).context("the bid file is not JSON")?;
    let Value::Object(obj) = v else {
        bail!("the bid file must be a JSON object");
    };
    // Unknown keys are refused here so that a typo does not silently drop a bid term.
    for k in obj.keys() {
        if !["org_code", "price", "duration_days", "fields"].contains(&k.as_str()) {
            bail!("unknown key {k:?} in the bid file (org_code, price, duration_days, fields)");
        }
    }
    let org_code = obj
        .get("org_code")
        .and_then(Value::as_str)
        .context("the bid file needs org_code (a string)")?;
    let price_text = match obj.get("price") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => bail!("the bid file needs price (a money string such as \"1880000.50\")"),
    };
    let price = parse_money(&price_text).with_context(|| {
        format!("price {price_text:?} is not an amount with at most two decimals")
    })?;
    let duration_days = match obj.get("duration_days") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .and_then(|d| i32::try_from(d).ok())
                .filter(|d| *d >= 0)
                .context("duration_days must be a non-negative integer")?,
        ),
    };
    let fields = obj
        .get("fields")
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    seal::build_document(
        tender_id,
        org_code,
        price,
        duration_days,
        None,
        fields,
        attachments,
    )
}

fn read_attachment(path: &Path) -> anyhow::Result<Attachment> {
    let content = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .context("an attachment path has no file name")?;
    Ok(Attachment {
        media_type: media_type_of(&name).to_string(),
        name,
        content,
    })
}

/// The media type for a file name's extension, `application/octet-stream` when unknown.
pub fn media_type_of(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "ofd" => "application/ofd",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "zip" => "application/zip",
        "json" => "application/json",
        "xml" => "application/xml",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    }
}

fn http() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .context("building the HTTP client")
}

fn api(server: &str, path: &str) -> String {
    format!("{}/api/v1{path}", server.trim_end_matches('/'))
}

/// GETs JSON; a non-2xx answer becomes an error carrying the problem+json body.
async fn get_json(req: reqwest::RequestBuilder) -> anyhow::Result<Value> {
    let resp = req.send().await.context("the request failed")?;
    let status = resp.status();
    let body = resp.text().await.context("reading the response")?;
    if !status.is_success() {
        bail!("the server answered {status}: {body}");
    }
    serde_json::from_str(&body).context("the server's answer is not JSON")
}

/// Reads `sealing.recipients.{decide,execute,supervise}` (and checks the format) from a tender,
/// as the server serves them: unverified (`trust::verified_recipients` checks them against the
/// log; the demo and the load generator, which run the server they seal to, use this).
pub fn recipients_from_tender(tender: &Value) -> anyhow::Result<Recipients> {
    let sealing = tender
        .get("sealing")
        .filter(|s| !s.is_null())
        .context("the tender has no sealing recipients (not published yet?)")?;
    if let Some(f) = sealing.get("format").and_then(Value::as_str)
        && f != FORMAT
    {
        bail!("the tender uses sealing format {f:?}; this tool makes {FORMAT}");
    }
    let get = |b: Branch| {
        sealing
            .get("recipients")
            .and_then(|r| r.get(b.as_str()))
            .and_then(Value::as_str)
            .map(str::to_string)
            .with_context(|| format!("the tender has no {b} recipient"))
    };
    Ok(Recipients {
        decide: get(Branch::Decide)?,
        execute: get(Branch::Execute)?,
        supervise: get(Branch::Supervise)?,
    })
}

/// Runs `ggzy unseal-shares`.
pub async fn unseal_shares(args: UnsealSharesArgs) -> anyhow::Result<()> {
    let branch = Branch::parse(&args.branch).with_context(|| {
        format!(
            "--branch must be decide, execute or supervise, not {:?}",
            args.branch
        )
    })?;
    let token = args
        .token
        .as_deref()
        .filter(|t| !t.is_empty())
        .context("give --token or set GGZY_TOKEN")?;
    let text = std::fs::read_to_string(&args.identity)
        .with_context(|| format!("reading {}", args.identity.display()))?;
    let identity = keys::identity_from_file_text(&text)?;
    let mine = keys::recipient_of(&identity)?;
    eprintln!("holder key {mine} ({branch})");

    let client = http()?;
    // The registered recipient must be ours, or every bundle will look undecryptable.
    match get_json(client.get(api(&args.server, &format!("/tenders/{}", args.tender)))).await {
        Ok(t) => {
            if let Ok(r) = recipients_from_tender(&t)
                && r.get(branch) != mine
            {
                bail!(
                    "this identity's recipient {mine} is not the tender's {branch} recipient {}",
                    r.get(branch)
                );
            }
        }
        Err(e) => eprintln!("warning: could not check the tender's recipients: {e:#}"),
    }

    let listing = get_json(
        client
            .get(api(
                &args.server,
                &format!("/tenders/{}/opening/share-bundles", args.tender),
            ))
            .bearer_auth(token),
    )
    .await?;
    let items = listing
        .get("items")
        .and_then(Value::as_array)
        .context("the share-bundles answer has no items array")?;
    let (shares, notes) = build_shares_with_notes(items, &identity, branch, args.tender);
    for n in &notes {
        eprintln!("{n}");
    }
    let (ok, bad) = count(&shares);
    eprintln!("{} bundles: {ok} decrypted, {bad} undecryptable", ok + bad);
    if args.dry_run {
        eprintln!("dry run: nothing submitted");
        return Ok(());
    }
    let resp = client
        .post(api(
            &args.server,
            &format!("/tenders/{}/opening/shares", args.tender),
        ))
        .bearer_auth(token)
        .json(&shares)
        .send()
        .await
        .context("submitting the shares failed")?;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("the server refused the shares ({status}): {body}");
    }
    println!("submitted: {body}");
    Ok(())
}

fn count(shares: &Value) -> (usize, usize) {
    let list = shares["shares"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let bad = list.iter().filter(|s| s.get("error").is_some()).count();
    (list.len() - bad, bad)
}

/// Decrypts each `{bid_id, bundle}` with the holder's identity into the `opening/shares` body.
pub fn build_shares(items: &[Value], identity: &str, branch: Branch, tender_id: Uuid) -> Value {
    build_shares_with_notes(items, identity, branch, tender_id).0
}

/// [`build_shares`], plus a note per bundle that did not decrypt (or item that was skipped).
pub fn build_shares_with_notes(
    items: &[Value],
    identity: &str,
    branch: Branch,
    tender_id: Uuid,
) -> (Value, Vec<String>) {
    let mut shares = Vec::new();
    let mut notes = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(bid_id) = item.get("bid_id").and_then(Value::as_str) else {
            notes.push(format!("item {i} has no bid_id; skipped"));
            continue;
        };
        let pieces = item
            .get("bundle")
            .and_then(Value::as_str)
            .ok_or_else(|| "no bundle".to_string())
            .and_then(|b| {
                STANDARD
                    .decode(b)
                    .map_err(|_| "the bundle is not base64".to_string())
            })
            .and_then(|bytes| {
                open::bundle_pieces(&bytes, identity, branch, tender_id).map_err(|e| e.to_string())
            });
        match pieces {
            Ok(p) => {
                let map: Map<String, Value> = p
                    .iter()
                    .map(|(n, bytes)| (n.to_string(), Value::String(STANDARD.encode(bytes))))
                    .collect();
                shares.push(json!({"bid_id": bid_id, "pieces": map}));
            }
            Err(reason) => {
                notes.push(format!("bid {bid_id}: undecryptable: {reason}"));
                shares.push(json!({"bid_id": bid_id, "error": "undecryptable"}));
            }
        }
    }
    (json!({ "shares": shares }), notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sealing::envelope;
    use crate::sealing::seal::tests::{ORG, holders, sample_document};

    #[test]
    fn build_shares_decrypts_own_bundles_and_reports_the_rest() {
        let t = Uuid::new_v4();
        let (ids, r) = holders();
        let body = seal::seal(t, &sample_document(t, ORG), &r).expect("seal");
        let env = envelope::parse(&body, t).expect("parse");
        let other_t = Uuid::new_v4();
        let other = seal::seal(other_t, &sample_document(other_t, ORG), &r).expect("seal");
        let other = envelope::parse(&other, other_t).expect("parse");
        let items = vec![
            json!({"bid_id": "b1", "bundle": STANDARD.encode(&env.bundles.supervise)}),
            // The decide holder's bundle: not for this key.
            json!({"bid_id": "b2", "bundle": STANDARD.encode(&env.bundles.decide)}),
            json!({"bid_id": "b3", "bundle": "%%%"}),
            // A bundle of another tender, sealed to this holder.
            json!({"bid_id": "b4", "bundle": STANDARD.encode(&other.bundles.supervise)}),
            json!({"bundle": "x"}),
        ];
        let (v, notes) = build_shares_with_notes(&items, &ids[2], Branch::Supervise, t);
        let shares = v["shares"].as_array().expect("array");
        assert_eq!(shares.len(), 4);
        assert_eq!(shares[0]["bid_id"], "b1");
        let keys: Vec<&String> = shares[0]["pieces"]
            .as_object()
            .expect("obj")
            .keys()
            .collect();
        assert_eq!(keys, ["1", "2"]);
        let want =
            open::bundle_pieces(&env.bundles.supervise, &ids[2], Branch::Supervise, t).expect("p");
        assert_eq!(shares[0]["pieces"]["1"], STANDARD.encode(&want[&1]));
        for s in &shares[1..] {
            assert_eq!(s["error"], "undecryptable", "{s}");
            assert!(s.get("pieces").is_none());
        }
        assert_eq!(notes.len(), 4);
        assert_eq!(count(&v), (1, 3));
        assert_eq!(build_shares(&items, &ids[2], Branch::Supervise, t), v);
    }

    #[test]
    fn bid_files_become_documents() {
        let t = Uuid::new_v4();
        let bid = json!({"org_code": ORG, "price": "99.5", "duration_days": 30, "fields": {"sme": "medium"}});
        let att = Attachment {
            name: "a.pdf".into(),
            media_type: "application/pdf".into(),
            content: b"x".to_vec(),
        };
        let doc = document_from_bid_file(t, bid.to_string().as_bytes(), &[att]).expect("doc");
        let d = crate::sealing::document::check(&doc, t, ORG).expect("valid");
        assert_eq!(d.price.to_string(), "99.50");
        assert_eq!(d.duration_days, Some(30));
        assert_eq!(d.sme, Some(crate::sealing::document::Sme::Medium));
        let numeric = json!({"org_code": ORG, "price": 100});
        assert!(document_from_bid_file(t, numeric.to_string().as_bytes(), &[]).is_ok());
        for bad in [
            json!({"org_code": ORG, "price": "1.234"}),
            json!({"org_code": ORG}),
            json!({"price": "1"}),
            json!({"org_code": ORG, "price": "1", "duration": 3}),
            json!({"org_code": ORG, "price": "1", "fields": {"sme": "huge"}}),
        ] {
            assert!(
                document_from_bid_file(t, bad.to_string().as_bytes(), &[]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn recipients_come_from_the_tender() {
        let v = json!({"sealing": {"format": FORMAT, "recipients": {"decide": "age1d", "execute": "age1e", "supervise": "age1s"}}});
        let r = recipients_from_tender(&v).expect("r");
        assert_eq!(r.get(Branch::Execute), "age1e");
        assert!(recipients_from_tender(&json!({"sealing": null})).is_err());
        assert!(
            recipients_from_tender(&json!({"sealing": {"format": "sm2/1", "recipients": {}}}))
                .is_err()
        );
    }

    #[test]
    fn media_types() {
        assert_eq!(media_type_of("报价.PDF"), "application/pdf");
        assert_eq!(media_type_of("a.tar.gz"), "application/octet-stream");
        assert_eq!(media_type_of("README"), "application/octet-stream");
    }

    #[test]
    fn keygen_files_are_private_and_never_overwritten() {
        let dir = std::env::temp_dir().join(format!("ggzy-keygen-{}", Uuid::new_v4()));
        std::fs::create_dir(&dir).expect("dir");
        let path = dir.join("holder.key");
        keygen(KeygenArgs {
            out: Some(path.clone()),
        })
        .expect("keygen");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(keys::identity_from_file_text(&text).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(
            keygen(KeygenArgs {
                out: Some(path.clone())
            })
            .is_err()
        );
        assert_eq!(std::fs::read_to_string(&path).expect("read"), text);
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
