//! The bid document, the payload's plaintext (API.md "Bid document"), and the binding checks made
//! once it is decrypted: a document that names another tender or bidder, whose attachments do not
//! match their hashes, or that is malformed is `tampered` — the decryption proves it is the
//! bidder's own, so a bad document is the bidder's doing, not the platform's.

use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The only currency of `ggzy-sealed-bid/1` documents.
pub const CURRENCY: &str = "CNY";

/// SME status declared in `fields.sme` (for the price deduction of 政府采购促进中小企业发展).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sme {
    /// 微型企业.
    Micro,
    /// 小型企业.
    Small,
    /// 中型企业.
    Medium,
}

impl Sme {
    /// The value written in `fields.sme`.
    pub fn as_str(self) -> &'static str {
        match self {
            Sme::Micro => "micro",
            Sme::Small => "small",
            Sme::Medium => "medium",
        }
    }

    /// Parses `micro`, `small` or `medium`.
    pub fn parse(s: &str) -> Option<Sme> {
        match s {
            "micro" => Some(Sme::Micro),
            "small" => Some(Sme::Small),
            "medium" => Some(Sme::Medium),
            _ => None,
        }
    }
}

/// An attachment as checked: its metadata and the size of its decoded content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentInfo {
    /// File name as the bidder gave it.
    pub name: String,
    /// Media type as the bidder gave it.
    pub media_type: String,
    /// Lowercase hex SHA-256 of the decoded content (checked).
    pub sha256: String,
    /// Decoded content size in bytes.
    pub size: u64,
}

/// A decrypted and checked bid document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BidDocument {
    /// The tender (equal to the envelope's).
    pub tender_id: Uuid,
    /// The bidder's 统一社会信用代码 (equal to the submitting bidder's).
    pub org_code: String,
    /// 32 hex characters, so that equal bids do not give equal ciphertext hashes.
    pub nonce: String,
    /// The bid price, at most two decimals.
    pub price: Decimal,
    /// Always `CNY`.
    pub currency: String,
    /// The offered duration in days, if the tender asks for one.
    pub duration_days: Option<i32>,
    /// SME status from `fields.sme`.
    pub sme: Option<Sme>,
    /// The attachments' metadata.
    pub attachments: Vec<AttachmentInfo>,
    /// The free-form `fields` object (`{}` when absent).
    pub fields: Value,
}

/// Why a decrypted document is `tampered`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tampered: {reason}")]
pub struct Tampered {
    /// What is wrong, for the opening record.
    pub reason: String,
}

fn tampered(reason: impl Into<String>) -> Tampered {
    Tampered {
        reason: reason.into(),
    }
}

/// Checks a decrypted payload against the tender and the submitting bidder's org code.
pub fn check(plaintext: &[u8], tender_id: Uuid, org_code: &str) -> Result<BidDocument, Tampered> {
    let value: Value = serde_json::from_slice(plaintext)
        .map_err(|e| tampered(format!("the bid document is not JSON: {e}")))?;
    let Value::Object(obj) = value else {
        return Err(tampered("the bid document is not a JSON object"));
    };

    let doc_tender = string(&obj, "tender_id")?;
    let doc_tender = Uuid::try_parse(doc_tender)
        .map_err(|_| tampered("the bid document's tender_id is not a UUID"))?;
    if doc_tender != tender_id {
        return Err(tampered(format!(
            "the bid document is for tender {doc_tender}, not {tender_id}"
        )));
    }
    let doc_org = string(&obj, "org_code")?;
    if doc_org != org_code {
        return Err(tampered(format!(
            "the bid document names org_code {doc_org:?}, not the submitting bidder's {org_code:?}"
        )));
    }
    let nonce = string(&obj, "nonce")?;
    if nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(tampered("the nonce is not 32 hex characters"));
    }
    let price = parse_money(string(&obj, "price")?)
        .ok_or_else(|| tampered("the price is not a money string with at most two decimals"))?;
    let currency = string(&obj, "currency")?;
    if currency != CURRENCY {
        return Err(tampered(format!("the currency is {currency:?}, not CNY")));
    }
    let duration_days = match obj.get("duration_days") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .and_then(|d| i32::try_from(d).ok())
                .filter(|d| *d >= 0)
                .ok_or_else(|| tampered("duration_days is not a non-negative integer"))?,
        ),
    };
    let fields = match obj.get("fields") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => return Err(tampered("fields is not an object")),
    };
    let sme = match fields.get("sme") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_str()
                .and_then(Sme::parse)
                .ok_or_else(|| tampered("fields.sme is not micro, small or medium"))?,
        ),
    };
    let attachments = match obj.get("attachments") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, a)| attachment(i, a))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(tampered("attachments is not an array")),
    };
    Ok(BidDocument {
        tender_id: doc_tender,
        org_code: doc_org.to_string(),
        nonce: nonce.to_string(),
        price,
        currency: currency.to_string(),
        duration_days,
        sme,
        attachments,
        fields,
    })
}

fn string<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a str, Tampered> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(tampered(format!("{key} is not a string"))),
        None => Err(tampered(format!("{key} is missing"))),
    }
}

fn attachment(i: usize, a: &Value) -> Result<AttachmentInfo, Tampered> {
    let Value::Object(obj) = a else {
        return Err(tampered(format!("attachment {i} is not an object")));
    };
    let field =
        |k: &str| string(obj, k).map_err(|t| tampered(format!("attachment {i}: {}", t.reason)));
    let name = field("name")?;
    let media_type = field("media_type")?;
    let sha256 = field("sha256")?.to_ascii_lowercase();
    let content = STANDARD
        .decode(field("content")?)
        .map_err(|_| tampered(format!("attachment {i} ({name:?}): content is not base64")))?;
    let actual = hex::encode(Sha256::digest(&content));
    if actual != sha256 {
        return Err(tampered(format!(
            "attachment {i} ({name:?}): its content's SHA-256 is {actual}, not the declared {sha256}"
        )));
    }
    Ok(AttachmentInfo {
        name: name.to_string(),
        media_type: media_type.to_string(),
        sha256,
        size: content.len() as u64,
    })
}

/// Parses a money string: digits, optionally `.` and one or two digits; no sign, exponent,
/// spaces or superfluous leading zeros (so one amount has one spelling, up to trailing zeros).
pub fn parse_money(s: &str) -> Option<Decimal> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || (int.len() > 1 && int.starts_with('0')) || int.len() > 18 {
        return None;
    }
    if let Some(f) = frac
        && (!digits(f) || f.len() > 2)
    {
        return None;
    }
    Decimal::from_str(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ORG: &str = "91440400MA4UTEST01";

    fn doc(t: Uuid) -> Value {
        let content = b"%PDF-1.7 qualification";
        json!({
            "tender_id": t.to_string(),
            "org_code": ORG,
            "nonce": "0123456789abcdef0123456789ABCDEF",
            "price": "1234567.80",
            "currency": "CNY",
            "duration_days": 90,
            "fields": {"sme": "small", "warranty_years": 2},
            "attachments": [{
                "name": "qualification.pdf",
                "media_type": "application/pdf",
                "sha256": hex::encode(Sha256::digest(content)),
                "content": STANDARD.encode(content),
            }],
            "comment": "ignored",
        })
    }

    fn run(v: &Value, t: Uuid) -> Result<BidDocument, Tampered> {
        check(&serde_json::to_vec(v).expect("json"), t, ORG)
    }

    #[test]
    fn accepts_a_good_document() {
        let t = Uuid::new_v4();
        let d = run(&doc(t), t).expect("good");
        assert_eq!(d.tender_id, t);
        assert_eq!(d.org_code, ORG);
        assert_eq!(d.price, Decimal::from_str("1234567.80").expect("dec"));
        assert_eq!(d.duration_days, Some(90));
        assert_eq!(d.sme, Some(Sme::Small));
        assert_eq!(d.attachments.len(), 1);
        assert_eq!(d.attachments[0].size, 22);
        assert_eq!(d.fields["warranty_years"], 2);
    }

    #[test]
    fn optional_parts_may_be_absent() {
        let t = Uuid::new_v4();
        let mut v = doc(t);
        let o = v.as_object_mut().expect("obj");
        o.remove("duration_days");
        o.remove("fields");
        o.remove("attachments");
        let d = run(&v, t).expect("good");
        assert_eq!(d.duration_days, None);
        assert_eq!(d.sme, None);
        assert!(d.attachments.is_empty());
        assert_eq!(d.fields, json!({}));
    }

    fn assert_tampered(v: &Value, t: Uuid, needle: &str) {
        let err = run(v, t).expect_err("tampered");
        assert!(
            err.reason.contains(needle),
            "{needle:?} not in {:?}",
            err.reason
        );
    }

    #[test]
    fn another_tender_or_bidder_is_tampered() {
        let t = Uuid::new_v4();
        assert_tampered(&doc(Uuid::new_v4()), t, "not");
        let mut v = doc(t);
        v["org_code"] = "91440400MA4UOTHER1".into();
        assert_tampered(&v, t, "org_code");
    }

    #[test]
    fn an_attachment_hash_mismatch_is_tampered() {
        let t = Uuid::new_v4();
        let mut v = doc(t);
        v["attachments"][0]["content"] = STANDARD.encode(b"%PDF-1.7 forged").into();
        assert_tampered(&v, t, "SHA-256");
    }

    #[test]
    fn malformed_fields_are_tampered() {
        let t = Uuid::new_v4();
        let cases: Vec<(&str, Value, &str)> = vec![
            ("nonce", json!("abc"), "nonce"),
            ("nonce", json!("0123456789abcdef0123456789abcdeg"), "nonce"),
            ("price", json!(1234.5), "price"),
            ("price", json!("12.345"), "price"),
            ("price", json!("-1.00"), "price"),
            ("price", json!("1e5"), "price"),
            ("price", json!("01.00"), "price"),
            ("price", json!(" 1.00"), "price"),
            ("price", json!("1."), "price"),
            ("currency", json!("USD"), "currency"),
            ("duration_days", json!(1.5), "duration_days"),
            ("duration_days", json!("90"), "duration_days"),
            ("fields", json!({"sme": "large"}), "sme"),
            ("fields", json!([]), "fields"),
            ("attachments", json!({}), "attachments"),
        ];
        for (key, value, needle) in cases {
            let mut v = doc(t);
            v[key] = value;
            assert_tampered(&v, t, needle);
        }
        let mut v = doc(t);
        v.as_object_mut().expect("obj").remove("currency");
        assert_tampered(&v, t, "currency is missing");
        let err = check(b"{not json", t, ORG).expect_err("json");
        assert!(err.reason.contains("not JSON"));
        let err = check(b"[1,2]", t, ORG).expect_err("array");
        assert!(err.reason.contains("object"));
    }

    #[test]
    fn money_strings() {
        for ok in ["0", "0.5", "100", "100.00", "1234567.89"] {
            assert!(parse_money(ok).is_some(), "{ok}");
        }
        for bad in ["", ".5", "1.234", "+1", "-1", "1,000", "00", "1e2", "１"] {
            assert!(parse_money(bad).is_none(), "{bad}");
        }
        assert_eq!(parse_money("100.50"), Decimal::from_str("100.5").ok());
    }
}
