//! The mapping from the platform's public log entries to OCDS 1.1 releases (docs/DATA.md):
//! pure functions over an entry and the procedure it belongs to. A release describes one event,
//! from the entry's own payload (what was published at that moment) and from the procedure's
//! fixed facts (title, method, parties), so that it reads the same on every call.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::core::clock;

/// The org-id.guide scheme of the 统一社会信用代码 (GB 32100-2015): the register of the State
/// Administration for Industry and Commerce (now 国家市场监督管理总局), listed as `CN-SAIC`.
pub const ORG_SCHEME: &str = "CN-SAIC";
/// The currency of every amount.
pub const CURRENCY: &str = "CNY";
/// The OCDS bid extension, which carries `bids.statistics` and `bids.details`.
pub const BID_EXTENSION: &str = "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json";

/// One sequenced public log entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The sequencer's number.
    pub seq: i64,
    /// When it was written (platform time).
    pub created_at: DateTime<Utc>,
    /// What it is (`tender.notice`, …).
    pub topic: String,
    /// The procedure it belongs to.
    pub subject_id: Option<String>,
    /// What was published.
    pub payload: Value,
}

/// An organisation as the public sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Org {
    /// Name.
    pub name: String,
    /// 统一社会信用代码.
    pub code: String,
}

/// The project a procedure belongs to.
#[derive(Debug, Clone)]
pub struct Project {
    /// Project code.
    pub code: String,
    /// Line of business: construction, procurement, property, land.
    pub category: String,
    /// Title.
    pub title: String,
    /// The tenderer / purchaser / seller (招标人/采购人/出让人).
    pub owner: Option<Org>,
    /// Its agency (招标代理机构), if any.
    pub agency: Option<Org>,
}

/// The fixed facts of a procedure.
#[derive(Debug, Clone)]
pub enum Procedure {
    /// A sealed tender (标段).
    Tender {
        /// Tender id.
        id: Uuid,
        /// Tender code.
        code: String,
        /// Title.
        title: String,
        /// Method (`open_tender`, …).
        method: String,
        /// Evaluation method (`comprehensive`, …).
        evaluation: String,
        /// 最高投标限价, published in the notice.
        max_price: Option<Decimal>,
        /// The awarded bid, once awarded.
        award_bid: Option<Uuid>,
        /// The project.
        project: Project,
    },
    /// An auction or listing lot (拍卖/挂牌/网络竞价).
    Auction {
        /// Auction id.
        id: Uuid,
        /// Lot code.
        code: String,
        /// Title.
        title: String,
        /// `english`, `listing`, `online_multi_round`.
        format: String,
        /// 起始价.
        start_price: Decimal,
        /// 加价幅度.
        increment: Decimal,
        /// The buyer (竞得人), once the lot is closed and sold.
        buyer: Option<Org>,
        /// The project.
        project: Project,
    },
}

impl Procedure {
    /// The procedure's id, the stable part of its ocid.
    pub fn id(&self) -> Uuid {
        match self {
            Procedure::Tender { id, .. } | Procedure::Auction { id, .. } => *id,
        }
    }

    fn project(&self) -> &Project {
        match self {
            Procedure::Tender { project, .. } | Procedure::Auction { project, .. } => project,
        }
    }
}

/// The topics that become releases, with their tag (the platform's other public entries —
/// rules, calendars, accounts, holds, committee draws — describe no contracting process).
pub const TOPICS: &[(&str, &str)] = &[
    ("tender.notice", "tender"),
    ("tender.clarification", "tenderAmendment"),
    ("tender.opening_postponed", "tenderAmendment"),
    ("tender.round", "tenderAmendment"),
    ("tender.closing_manifest", "tenderUpdate"),
    ("tender.opening_record", "tenderUpdate"),
    ("tender.candidates", "award"),
    ("tender.award", "award"),
    ("tender.contract", "contract"),
    ("tender.cancellation", "tenderCancellation"),
    ("tender.failed", "tenderCancellation"),
    ("auction.announcement", "tender"),
    ("auction.extension", "tenderAmendment"),
    ("auction.result", "award"),
];

/// The tag of a topic, if it becomes a release.
pub fn tag_of(topic: &str, payload: &Value) -> Option<&'static str> {
    if topic == "auction.result" && payload["result"] != json!("sold") {
        // 流拍: nobody bought the lot
        return Some("tenderCancellation");
    }
    TOPICS
        .iter()
        .find(|(t, _)| *t == topic)
        .map(|(_, tag)| *tag)
}

/// The ocid of a procedure: the publisher's prefix and the procedure's id.
pub fn ocid(prefix: &str, procedure: Uuid) -> String {
    format!("{prefix}-{procedure}")
}

/// The procedure id inside an ocid of this publisher, if it is one.
pub fn procedure_of(prefix: &str, ocid: &str) -> Option<Uuid> {
    let rest = ocid.strip_prefix(prefix)?.strip_prefix('-')?;
    Uuid::from_str(rest).ok()
}

/// An OCDS amount: a JSON number converted from the decimal string, with the currency. The
/// nearest binary double is taken and written in its shortest form, which reads back as the same
/// two-decimal amount for every amount below 2^53 fen (about 9×10^13 yuan).
pub fn value(amount: &str) -> Option<Value> {
    let d = Decimal::from_str(amount).ok()?;
    let f: f64 = d.normalize().to_string().parse().ok()?;
    Some(json!({"amount": f, "currency": CURRENCY}))
}

fn value_of(d: Decimal) -> Value {
    value(&d.to_string()).unwrap_or_else(|| json!({"amount": d.to_f64(), "currency": CURRENCY}))
}

/// A party's id in this publisher's data: the scheme and the 统一社会信用代码.
pub fn party_id(org: &Org) -> String {
    format!("{ORG_SCHEME}-{}", org.code)
}

/// A party with its roles and its identifier.
pub fn party(org: &Org, roles: &[&str]) -> Value {
    json!({
        "id": party_id(org), "name": org.name,
        "identifier": {"scheme": ORG_SCHEME, "id": org.code, "legalName": org.name},
        "roles": roles,
    })
}

fn org_ref(org: &Org) -> Value {
    json!({"id": party_id(org), "name": org.name})
}

fn org_from(name: &Value, code: &Value) -> Option<Org> {
    Some(Org {
        name: name.as_str()?.to_string(),
        code: code.as_str()?.to_string(),
    })
}

/// OCDS procurement method of a platform method (closed codelist), with the Chinese name.
pub fn method(m: &str) -> (&'static str, &'static str) {
    match m {
        "open_tender" => ("open", "公开招标"),
        "invited_tender" => ("selective", "邀请招标"),
        "competitive_negotiation" => ("limited", "竞争性谈判"),
        "competitive_consultation" => ("limited", "竞争性磋商"),
        "inquiry" => ("limited", "询价"),
        "single_source" => ("direct", "单一来源采购"),
        _ => ("open", "其他"),
    }
}

/// OCDS award criteria of an evaluation method (open codelist), with the Chinese name.
pub fn award_criteria(e: &str) -> (&'static str, &'static str) {
    match e {
        "comprehensive" => ("ratedCriteria", "综合评估法"),
        "lowest_evaluated_price" => ("lowestCost", "经评审的最低投标价法"),
        "gp_comprehensive" => ("ratedCriteria", "综合评分法"),
        "gp_lowest_price" => ("priceOnly", "最低评标价法"),
        "highest_price" => ("priceOnly", "价高者得"),
        _ => ("ratedCriteria", "其他"),
    }
}

fn main_category(category: &str) -> Option<&'static str> {
    // construction bidding is works; a procurement may be goods or services, which the platform
    // does not record, so the field is left out rather than guessed
    (category == "construction").then_some("works")
}

fn auction_details(category: &str, format: &str) -> String {
    let what = match category {
        "land" => "国有建设用地使用权出让",
        "property" => "企业国有产权/资产交易",
        _ => "公共资源交易",
    };
    let how = match format {
        "english" => "拍卖 (english auction)",
        "listing" => "挂牌 (listing)",
        _ => "网络竞价 (online multi-round bidding)",
    };
    format!("{what}：{how}")
}

/// The parties every release of the procedure names: the buyer (招标人/采购人; for a lot, the
/// seller 出让人 as procuring entity) and the agency as procuring entity.
fn base_parties(p: &Procedure) -> (Vec<Value>, Option<Value>, Option<Value>) {
    let project = p.project();
    let mut parties = Vec::new();
    let is_sale = matches!(p, Procedure::Auction { .. });
    let mut buyer = None;
    let mut procuring = None;
    if let Some(owner) = &project.owner {
        let mut roles = if is_sale { vec![] } else { vec!["buyer"] };
        if project.agency.is_none() || is_sale {
            roles.push("procuringEntity");
            procuring = Some(org_ref(owner));
        }
        if !is_sale {
            buyer = Some(org_ref(owner));
        }
        parties.push(party(owner, &roles));
    }
    if let Some(agency) = &project.agency
        && !is_sale
    {
        parties.push(party(agency, &["procuringEntity"]));
        procuring = Some(org_ref(agency));
    }
    (parties, buyer, procuring)
}

/// The release of an entry, or `None` if the entry describes no contracting process.
/// `candidates` is the tender's published candidate list, for an award's losing candidates.
pub fn release(
    prefix: &str,
    e: &Entry,
    p: &Procedure,
    candidates: Option<&Value>,
) -> Option<Value> {
    let tag = tag_of(&e.topic, &e.payload)?;
    let ocid = ocid(prefix, p.id());
    let (mut parties, buyer, procuring) = base_parties(p);
    let pl = &e.payload;
    let mut tender = Map::new();
    let mut out = Map::new();
    out.insert("ocid".into(), json!(ocid));
    out.insert("id".into(), json!(format!("{ocid}-{}", e.seq)));
    out.insert("date".into(), json!(clock::fmt(e.created_at)));
    out.insert("tag".into(), json!([tag]));
    out.insert("initiationType".into(), json!("tender"));
    out.insert("language".into(), json!("zh"));
    if let Some(b) = buyer {
        out.insert("buyer".into(), b);
    }
    tender.insert("id".into(), json!(p.id().to_string()));
    match p {
        Procedure::Tender { code, title, .. } | Procedure::Auction { code, title, .. } => {
            tender.insert("title".into(), json!(title));
            tender.insert(
                "description".into(),
                json!(format!(
                    "{}（{}；项目 {}：{}）",
                    title,
                    code,
                    p.project().code,
                    p.project().title
                )),
            );
        }
    }
    if let Some(pe) = procuring {
        tender.insert("procuringEntity".into(), pe);
    }
    let mut awards: Vec<Value> = Vec::new();
    let mut contracts: Vec<Value> = Vec::new();
    let mut bids: Option<Value> = None;
    match (e.topic.as_str(), p) {
        (
            "tender.notice",
            Procedure::Tender {
                method: m,
                evaluation,
                max_price,
                project,
                ..
            },
        ) => {
            let (pm, pm_zh) = method(m);
            let (ac, ac_zh) = award_criteria(evaluation);
            tender.insert("status".into(), json!("active"));
            tender.insert("procurementMethod".into(), json!(pm));
            tender.insert(
                "procurementMethodDetails".into(),
                json!(format!("{pm_zh} ({m})")),
            );
            tender.insert("awardCriteria".into(), json!(ac));
            tender.insert(
                "awardCriteriaDetails".into(),
                json!(format!("{ac_zh} ({evaluation})")),
            );
            tender.insert("submissionMethod".into(), json!(["electronicSubmission"]));
            tender.insert(
                "submissionMethodDetails".into(),
                json!("密封电子投标 ggzy-sealed-bid/1（age X25519，三方持钥 2-of-3）"),
            );
            if let Some(c) = main_category(&project.category) {
                tender.insert("mainProcurementCategory".into(), json!(c));
            }
            if let Some(v) = max_price {
                // 最高投标限价: the upper estimated value the notice publishes
                tender.insert("value".into(), value_of(*v));
            }
            tender.insert(
                "tenderPeriod".into(),
                json!({
                "startDate": pl["published_at"], "endDate": pl["bid_deadline"]}),
            );
            tender.insert(
                "enquiryPeriod".into(),
                json!({
                "startDate": pl["documents_from"], "endDate": pl["documents_until"]}),
            );
            tender.insert("hasEnquiries".into(), json!(false));
        }
        ("tender.clarification", _) => {
            tender.insert("status".into(), json!("active"));
            tender.insert("hasEnquiries".into(), json!(true));
            tender.insert(
                "tenderPeriod".into(),
                json!({"endDate": pl["bid_deadline"]}),
            );
            tender.insert(
                "amendments".into(),
                json!([{
                    "id": pl["clarification_id"], "date": clock::fmt(e.created_at),
                    "rationale": "澄清或者修改 (clarification)", "description": pl["text"],
                }]),
            );
        }
        ("tender.opening_postponed", _) => {
            tender.insert("status".into(), json!("active"));
            tender.insert(
                "amendments".into(),
                json!([{
                    "id": format!("postponement-{}", e.seq), "date": clock::fmt(e.created_at),
                    "rationale": "开标延期 (opening postponed)",
                    "description": format!("{}（新开标时间 {}）", pl["reason"].as_str().unwrap_or(""),
                        pl["new_time"].as_str().unwrap_or("")),
                }]),
            );
        }
        ("tender.round", _) => {
            tender.insert("status".into(), json!("active"));
            tender.insert(
                "tenderPeriod".into(),
                json!({"endDate": pl["bid_deadline"]}),
            );
            tender.insert(
                "amendments".into(),
                json!([{
                    "id": format!("round-{}", pl["round"]), "date": clock::fmt(e.created_at),
                    "rationale": format!("第{}轮最终报价 (round of final offers)", pl["round"]),
                }]),
            );
        }
        ("tender.closing_manifest", _) => {
            // the number of bids is public once the deadline has passed (the manifest is
            // published then), never before
            let n = pl["bids"].as_array().map_or(0, Vec::len);
            tender.insert("numberOfTenderers".into(), json!(n));
            bids = Some(json!({"statistics": [
                {"id": format!("r{}-bids", pl["round"]), "measure": "bids", "value": n,
                 "date": pl["closed_at"], "notes": format!("round {}", pl["round"])},
                {"id": format!("r{}-electronicBids", pl["round"]), "measure": "electronicBids",
                 "value": n, "date": pl["closed_at"]},
            ]}));
        }
        ("tender.opening_record", _) => {
            let list = pl["bids"].as_array().cloned().unwrap_or_default();
            let round = &pl["round"];
            let mut tenderers = Vec::new();
            let mut details = Vec::new();
            let mut prices: Vec<Decimal> = Vec::new();
            for b in &list {
                let Some(org) = org_from(&b["bidder_name"], &b["org_code"]) else {
                    continue;
                };
                parties.push(party(&org, &["tenderer"]));
                tenderers.push(org_ref(&org));
                let opened = b["status"] == json!("opened");
                let mut d = json!({"id": b["bid_id"], "date": pl["opened_at"],
                    "status": if opened { "pending" } else { "disqualified" },
                    "tenderers": [org_ref(&org)]});
                if let Some(price) = b["price"].as_str() {
                    if let Some(v) = value(price) {
                        d["value"] = v;
                    }
                    if opened && let Ok(p) = Decimal::from_str(price) {
                        prices.push(p);
                    }
                }
                details.push(d);
            }
            let opened = prices.len();
            tender.insert("numberOfTenderers".into(), json!(tenderers.len()));
            tender.insert("tenderers".into(), json!(tenderers));
            let mut stats = vec![
                json!({"id": format!("r{round}-opened"), "measure": "bids", "value": list.len(),
                       "date": pl["opened_at"], "notes": "开标时的投标文件数 (bids at the opening)"}),
                json!({"id": format!("r{round}-decrypted"), "measure": "validBids", "value": opened,
                       "date": pl["opened_at"], "notes": "成功解密的投标文件 (bids opened)"}),
            ];
            if let (Some(lo), Some(hi)) = (prices.iter().min(), prices.iter().max()) {
                stats.push(json!({"id": format!("r{round}-lowest"), "measure": "lowestValidBidValue",
                    "value": value_of(*lo)["amount"], "currency": CURRENCY, "date": pl["opened_at"]}));
                stats.push(json!({"id": format!("r{round}-highest"), "measure": "highestValidBidValue",
                    "value": value_of(*hi)["amount"], "currency": CURRENCY, "date": pl["opened_at"]}));
            }
            bids = Some(json!({"statistics": stats, "details": details}));
        }
        ("tender.candidates", _) => {
            tender.insert(
                "awardPeriod".into(),
                json!({
                "startDate": pl["publicity_starts_at"], "endDate": pl["publicity_ends_at"]}),
            );
            for c in pl["candidates"].as_array().cloned().unwrap_or_default() {
                let Some(org) = org_from(&c["bidder_name"], &c["org_code"]) else {
                    continue;
                };
                parties.push(party(&org, &["tenderer"]));
                awards.push(candidate_award(
                    &c,
                    &org,
                    "pending",
                    &pl["publicity_starts_at"],
                ));
            }
        }
        ("tender.award", _) => {
            tender.insert("status".into(), json!("complete"));
            tender.insert("awardPeriod".into(), json!({"endDate": pl["awarded_at"]}));
            // the other published candidates are not awarded
            for c in candidates
                .and_then(|c| c["candidates"].as_array())
                .cloned()
                .unwrap_or_default()
            {
                if c["bid_id"] == pl["bid_id"] {
                    continue;
                }
                let Some(org) = org_from(&c["bidder_name"], &c["org_code"]) else {
                    continue;
                };
                parties.push(party(&org, &["tenderer"]));
                awards.push(candidate_award(&c, &org, "unsuccessful", &pl["awarded_at"]));
            }
            if let Some(org) = org_from(&pl["winner_name"], &pl["org_code"]) {
                parties.push(party(&org, &["tenderer", "supplier"]));
                let mut a = json!({"id": pl["bid_id"], "status": "active", "date": pl["awarded_at"],
                    "title": "中标（成交）通知", "suppliers": [org_ref(&org)]});
                if let Some(v) = pl["price"].as_str().and_then(value) {
                    a["value"] = v;
                }
                awards.push(a);
            }
        }
        ("tender.contract", Procedure::Tender { id, award_bid, .. }) => {
            let award_id = award_bid.map(|b| b.to_string())?;
            let mut c = json!({"id": format!("{id}-contract"), "awardID": award_id,
                "status": "active", "dateSigned": pl["signed_at"], "title": "合同",
                "description": format!("合同文本 SHA-256 {}", pl["document_sha256"].as_str().unwrap_or(""))});
            if let Some(v) = pl["amount"].as_str().and_then(value) {
                c["value"] = v;
            }
            contracts.push(c);
        }
        ("tender.cancellation", _) => {
            tender.insert("status".into(), json!("cancelled"));
            tender.insert(
                "amendments".into(),
                json!([{
                "id": format!("cancellation-{}", e.seq), "date": clock::fmt(e.created_at),
                "rationale": "终止招标 (cancelled by the tenderer)", "description": pl["reason"]}]),
            );
        }
        ("tender.failed", _) => {
            tender.insert("status".into(), json!("unsuccessful"));
            tender.insert(
                "amendments".into(),
                json!([{
                "id": format!("failure-{}", e.seq), "date": pl["failed_at"],
                "rationale": format!("流标 (failed at the {})", pl["stage"].as_str().unwrap_or("")),
                "description": pl["reason"]}]),
            );
        }
        (
            "auction.announcement",
            Procedure::Auction {
                format,
                start_price,
                increment,
                project,
                ..
            },
        ) => {
            tender.insert("status".into(), json!("active"));
            tender.insert("procurementMethod".into(), json!("open"));
            tender.insert(
                "procurementMethodDetails".into(),
                json!(auction_details(&project.category, format)),
            );
            tender.insert("awardCriteria".into(), json!("priceOnly"));
            tender.insert(
                "awardCriteriaDetails".into(),
                json!(format!("价高者得，加价幅度 {increment:.2} 元")),
            );
            tender.insert("submissionMethod".into(), json!(["electronicAuction"]));
            // 起始价: the price bidding starts from (the sealed reserve price is never shown)
            tender.insert("minValue".into(), value_of(*start_price));
            // registration runs from the announcement to the start of bidding
            tender.insert(
                "tenderPeriod".into(),
                json!({"startDate": pl["announcement_at"], "endDate": pl["starts_at"]}),
            );
        }
        ("auction.extension", _) => {
            tender.insert("status".into(), json!("active"));
            tender.insert("tenderPeriod".into(), json!({"endDate": pl["starts_at"]}));
            tender.insert(
                "amendments".into(),
                json!([{
                "id": format!("extension-{}", e.seq), "date": clock::fmt(e.created_at),
                "rationale": "无人报名，延期 (extended for lack of bidders)"}]),
            );
        }
        ("auction.result", Procedure::Auction { id, buyer, .. }) => {
            if pl["result"] == json!("sold") {
                tender.insert("status".into(), json!("complete"));
                let mut a = json!({"id": format!("{id}-award"), "status": "active",
                                   "date": pl["closed_at"], "title": "成交确认"});
                if let Some(b) = buyer {
                    parties.push(party(b, &["tenderer", "supplier"]));
                    a["suppliers"] = json!([org_ref(b)]);
                }
                if let Some(v) = pl["price"].as_str().and_then(value) {
                    a["value"] = v;
                }
                awards.push(a);
            } else {
                tender.insert("status".into(), json!("unsuccessful"));
                tender.insert(
                    "amendments".into(),
                    json!([{
                    "id": format!("unsold-{}", e.seq), "date": pl["closed_at"],
                    "rationale": "流拍 (unsold)"}]),
                );
            }
        }
        _ => return None,
    }
    out.insert("parties".into(), Value::Array(dedupe_parties(parties)));
    out.insert("tender".into(), Value::Object(tender));
    if !awards.is_empty() {
        out.insert("awards".into(), Value::Array(awards));
    }
    if !contracts.is_empty() {
        out.insert("contracts".into(), Value::Array(contracts));
    }
    if let Some(b) = bids {
        out.insert("bids".into(), b);
    }
    Some(Value::Object(out))
}

fn candidate_award(c: &Value, org: &Org, status: &str, date: &Value) -> Value {
    let mut a = json!({"id": c["bid_id"], "status": status, "date": date,
        "title": format!("第{}中标（成交）候选人", c["rank"]), "suppliers": [org_ref(org)]});
    if let Some(v) = c["price"].as_str().and_then(value) {
        a["value"] = v;
    }
    a
}

/// One party per id, its roles united in first-seen order.
fn dedupe_parties(parties: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for p in parties {
        if let Some(seen) = out.iter_mut().find(|q| q["id"] == p["id"]) {
            let mut roles: Vec<Value> = seen["roles"].as_array().cloned().unwrap_or_default();
            for r in p["roles"].as_array().cloned().unwrap_or_default() {
                if !roles.contains(&r) {
                    roles.push(r);
                }
            }
            seen["roles"] = Value::Array(roles);
        } else {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_numbers_that_read_back_as_the_same_cents() {
        assert_eq!(value("7200000.00").unwrap()["amount"], json!(7200000.0));
        assert_eq!(value("0.10").unwrap()["amount"], json!(0.1));
        let big = "9000000000000.99";
        let f = value(big).unwrap()["amount"].as_f64().unwrap();
        assert_eq!(format!("{f:.2}"), big);
        assert!(value("abc").is_none());
    }

    #[test]
    fn ocids_round_trip_and_foreign_prefixes_are_refused() {
        let id = Uuid::now_v7();
        let o = ocid("ocds-xxxxxx-440400", id);
        assert_eq!(procedure_of("ocds-xxxxxx-440400", &o), Some(id));
        assert_eq!(procedure_of("ocds-yyyyyy-440400", &o), None);
        assert_eq!(
            procedure_of("ocds-xxxxxx-440400", "ocds-xxxxxx-440400-notauuid"),
            None
        );
    }

    #[test]
    fn an_unsold_lot_is_a_cancellation_and_a_sold_one_an_award() {
        assert_eq!(
            tag_of("auction.result", &json!({"result": "unsold"})),
            Some("tenderCancellation")
        );
        assert_eq!(
            tag_of("auction.result", &json!({"result": "sold"})),
            Some("award")
        );
        assert_eq!(tag_of("rule.set", &json!({})), None);
    }
}
