//! The bidder's side: build a bid document and seal it into an envelope `ggzy-sealed-bid/1`
//! (API.md). Used by `ggzy seal` and by the tests; the browser's sealing page does the same in JS.

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use age::secrecy::ExposeSecret;

use super::document::{self, Sme};
use super::envelope::{FORMAT, sha256_hex};
use super::keys;
use super::pieces::{self, Branch};

/// The three holders' per-tender recipients (`age1…`), from the tender's `sealing.recipients`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipients {
    /// The decide holder's recipient.
    pub decide: String,
    /// The execute holder's recipient.
    pub execute: String,
    /// The supervise holder's recipient.
    pub supervise: String,
}

impl Recipients {
    /// The recipient of `branch`'s holder.
    pub fn get(&self, branch: Branch) -> &str {
        match branch {
            Branch::Decide => &self.decide,
            Branch::Execute => &self.execute,
            Branch::Supervise => &self.supervise,
        }
    }
}

/// An attachment to put into a bid document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// File name.
    pub name: String,
    /// Media type (e.g. `application/pdf`).
    pub media_type: String,
    /// The file's bytes.
    pub content: Vec<u8>,
}

/// Encrypts `plaintext` to one X25519 recipient as a binary age file.
pub fn encrypt_to(recipient: &age::x25519::Recipient, plaintext: &[u8]) -> anyhow::Result<Vec<u8>> {
    age::encrypt(recipient, plaintext).context("age encryption failed")
}

/// Builds a bid document's JSON with a fresh random nonce (price written with two decimals).
pub fn build_document(
    tender_id: Uuid,
    org_code: &str,
    price: Decimal,
    duration_days: Option<i32>,
    sme: Option<Sme>,
    fields: Value,
    attachments: &[Attachment],
) -> anyhow::Result<Vec<u8>> {
    if price.is_sign_negative() || price.normalize().scale() > 2 {
        bail!("the price must be a non-negative amount with at most two decimals, got {price}");
    }
    let mut fields = match fields {
        Value::Object(m) => m,
        Value::Null => Map::new(),
        _ => bail!("fields must be a JSON object"),
    };
    if let Some(s) = sme {
        fields.insert("sme".into(), s.as_str().into());
    }
    let mut nonce = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let mut doc = Map::new();
    doc.insert("tender_id".into(), tender_id.to_string().into());
    doc.insert("org_code".into(), org_code.into());
    doc.insert("nonce".into(), hex::encode(nonce).into());
    doc.insert("price".into(), format!("{price:.2}").into());
    doc.insert("currency".into(), document::CURRENCY.into());
    if let Some(d) = duration_days {
        doc.insert("duration_days".into(), d.into());
    }
    doc.insert("fields".into(), Value::Object(fields));
    let atts: Vec<Value> = attachments
        .iter()
        .map(|a| {
            json!({
                "name": a.name,
                "media_type": a.media_type,
                "sha256": sha256_hex(&a.content),
                "content": STANDARD.encode(&a.content),
            })
        })
        .collect();
    doc.insert("attachments".into(), Value::Array(atts));
    let bytes = serde_json::to_vec(&Value::Object(doc))?;
    // E.g. a bad fields.sme: never hand out a document the opening would call tampered.
    document::check(&bytes, tender_id, org_code)
        .map_err(|t| anyhow::anyhow!("the bid document would be {t}"))?;
    Ok(bytes)
}

/// Seals a bid document into the envelope JSON bytes, exactly as they are to be sent.
pub fn seal(
    tender_id: Uuid,
    bid_document_json: &[u8],
    recipients: &Recipients,
) -> anyhow::Result<Vec<u8>> {
    // Refuse here what the opening would record as tampered: better the bidder learns it now.
    let org_code = serde_json::from_slice::<Value>(bid_document_json)
        .ok()
        .and_then(|v| {
            v.get("org_code")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .context("the bid document has no org_code")?;
    document::check(bid_document_json, tender_id, &org_code)
        .map_err(|t| anyhow::anyhow!("the bid document would be {t}"))?;
    let holders = Branch::ALL.map(|b| {
        keys::parse_recipient(recipients.get(b))
            .with_context(|| format!("the {b} holder's recipient"))
    });
    let [decide, execute, supervise] = holders;
    let holders = [decide?, execute?, supervise?];

    // The one-time identity S, as the exact string age writes.
    let one_time = age::x25519::Identity::generate();
    let payload = encrypt_to(&one_time.to_public(), bid_document_json)?;
    let payload_sha256 = sha256_hex(&payload);
    let s = one_time.to_string();
    let split = pieces::split(s.expose_secret().as_bytes());

    let mut bundles = Map::new();
    for (branch, recipient) in Branch::ALL.into_iter().zip(&holders) {
        let mut ps = Map::new();
        for n in branch.pieces() {
            ps.insert(
                n.to_string(),
                STANDARD.encode(&split[usize::from(n) - 1]).into(),
            );
        }
        let bundle = json!({
            "tender_id": tender_id.to_string(),
            "payload_sha256": payload_sha256,
            "pieces": ps,
        });
        let file = encrypt_to(recipient, &serde_json::to_vec(&bundle)?)?;
        bundles.insert(branch.as_str().into(), STANDARD.encode(file).into());
    }
    let envelope = json!({
        "format": FORMAT,
        "tender_id": tender_id.to_string(),
        "payload": STANDARD.encode(&payload),
        "bundles": bundles,
    });
    Ok(serde_json::to_vec(&envelope)?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::sealing::envelope;

    pub(crate) const ORG: &str = "91440400MA4USEAL01";

    /// Three holders' test identities and their recipients.
    pub(crate) fn holders() -> ([String; 3], Recipients) {
        let [d, e, s] = [keys::keygen(), keys::keygen(), keys::keygen()];
        let r = Recipients {
            decide: d.1,
            execute: e.1,
            supervise: s.1,
        };
        ([d.0, e.0, s.0], r)
    }

    pub(crate) fn sample_document(t: Uuid, org: &str) -> Vec<u8> {
        build_document(
            t,
            org,
            "1880000.5".parse().expect("decimal"),
            Some(120),
            Some(Sme::Micro),
            json!({"brand": "甲"}),
            &[Attachment {
                name: "报价单.pdf".into(),
                media_type: "application/pdf".into(),
                content: b"%PDF price list".to_vec(),
            }],
        )
        .expect("document")
    }

    #[test]
    fn build_document_passes_the_opening_checks() {
        let t = Uuid::new_v4();
        let doc = sample_document(t, ORG);
        let d = document::check(&doc, t, ORG).expect("valid");
        assert_eq!(d.price.to_string(), "1880000.50");
        assert_eq!(d.sme, Some(Sme::Micro));
        assert_eq!(d.fields["brand"], "甲");
        assert_eq!(d.attachments[0].size, 15);
        assert_ne!(
            document::check(&sample_document(t, ORG), t, ORG)
                .expect("ok")
                .nonce,
            d.nonce
        );
        assert!(
            build_document(
                t,
                ORG,
                "1.005".parse().expect("dec"),
                None,
                None,
                Value::Null,
                &[]
            )
            .is_err()
        );
        assert!(
            build_document(
                t,
                ORG,
                "-1".parse().expect("dec"),
                None,
                None,
                Value::Null,
                &[]
            )
            .is_err()
        );
    }

    #[test]
    fn the_envelope_has_the_documented_shape() {
        let t = Uuid::new_v4();
        let (_, r) = holders();
        let body = seal(t, &sample_document(t, ORG), &r).expect("seal");
        let v: Value = serde_json::from_slice(&body).expect("json");
        let keys: Vec<&String> = v.as_object().expect("obj").keys().collect();
        assert_eq!(keys, ["format", "tender_id", "payload", "bundles"]);
        let bkeys: Vec<&String> = v["bundles"].as_object().expect("obj").keys().collect();
        assert_eq!(bkeys, ["decide", "execute", "supervise"]);
        let env = envelope::parse(&body, t).expect("the server accepts it");
        assert!(env.payload.starts_with(b"age-encryption.org/v1\n"));
    }

    #[test]
    fn bundles_hold_the_documented_json() {
        let t = Uuid::new_v4();
        let (ids, r) = holders();
        let body = seal(t, &sample_document(t, ORG), &r).expect("seal");
        let env = envelope::parse(&body, t).expect("parse");
        let id = keys::parse_identity(&ids[1]).expect("id");
        let plain = age::decrypt(&id, &env.bundles.execute).expect("execute bundle");
        let b: Value = serde_json::from_slice(&plain).expect("bundle json");
        assert_eq!(b["tender_id"], t.to_string());
        assert_eq!(b["payload_sha256"], envelope::payload_sha256(&env));
        let pkeys: Vec<&String> = b["pieces"].as_object().expect("obj").keys().collect();
        assert_eq!(pkeys, ["1", "3"]);
        // The execute holder cannot open the decide bundle.
        assert!(age::decrypt(&id, &env.bundles.decide).is_err());
    }

    #[test]
    fn seal_refuses_bad_recipients_and_foreign_documents() {
        let t = Uuid::new_v4();
        let (ids, mut r) = holders();
        let doc = sample_document(t, ORG);
        assert!(seal(Uuid::new_v4(), &doc, &r).is_err());
        r.execute = ids[1].clone();
        assert!(seal(t, &doc, &r).is_err());
    }
}
