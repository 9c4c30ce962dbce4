//! The statutory rule catalogue as data (DOMAIN-RULES.md §1A and §1B, DESIGN.md §3).
//!
//! Every row of the two tables is here, some split into several rules where one row states
//! several limits (e.g. §1B row 28). The catalogue seeds the `rules` table (version 1 of each
//! rule); the regulator's later versions override it (`PUT /rules/{rule_id}`), and
//! [`crate::rules::set::RuleSet`] is what the checks read.
//!
//! Conventions:
//! - `rule_id` is stable snake_case, prefixed by the line of business: `ztb.` (工程建设项目招标投标),
//!   `gp.` (政府采购), `schedule.` (consistency of a schedule, any line).
//! - `applies_to` is a comma-separated list of `<category>.<method>`, `<category>.*`,
//!   `<category>.must_tender` (only 依法必须招标 projects) or `*`.
//! - `kind` ∈ period | count | ratio | amount | procedure (a qualitative rule, no value).
//! - `unit` ∈ day (日) | working_day (工作日) | hour | year | percent | cny | count | none.
//!   Ratios are fractions with unit `none` (0.02 = 2 %), matching the evaluation formulas.
//! - `citation` is `"<law short name> 第N条"` with the article in Chinese numerals; where a row
//!   cites several articles, the primary one is cited and the others are named in `summary`.
//! - Rows marked ⚠ or ◐ in DOMAIN-RULES.md (secondary sources, unconfirmed numbers) are
//!   `configurable: true`, as are rules the law leaves to local practice.

/// One statutory rule as shipped with the platform (version 1 of the rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSeed {
    /// Stable id, e.g. `ztb.bid_period_min`.
    pub rule_id: &'static str,
    /// Procedures it governs, e.g. `construction.*` or `procurement.open_tender,procurement.invited_tender`.
    pub applies_to: &'static str,
    /// period | count | ratio | amount | procedure.
    pub kind: &'static str,
    /// The limit as a decimal string; `None` for procedure rules.
    pub value: Option<&'static str>,
    /// day | working_day | hour | year | percent | cny | count | none.
    pub unit: &'static str,
    /// `"<law short name> 第N条"`.
    pub citation: &'static str,
    /// Where the rule comes from; the catalogue is all `national`.
    pub jurisdiction: &'static str,
    /// Whether the value is uncertain or left to local practice (⚠/◐ rows).
    pub configurable: bool,
    /// Applies only to 依法必须招标 projects (the project's `must_tender` flag).
    pub must_tender_only: bool,
    /// The DOMAIN-RULES.md row it encodes (`1A.3`), or `""` for rules outside the tables.
    pub row: &'static str,
    /// What the rule says, in words.
    pub summary: &'static str,
}

/// Defaults shared by every row; each row overrides what differs.
const BASE: RuleSeed = RuleSeed {
    rule_id: "",
    applies_to: "*",
    kind: "procedure",
    value: None,
    unit: "none",
    citation: "",
    jurisdiction: "national",
    configurable: false,
    must_tender_only: false,
    row: "",
    summary: "",
};

// Law short names, so that a citation is never misspelt.
const ZTB: &str = "招标投标法";
const ZTBSS: &str = "招标投标法实施条例";
const ZCF: &str = "政府采购法";
const ZCFSS: &str = "政府采购法实施条例";

/// The statutory rule catalogue (DOMAIN-RULES.md §1A, §1B, minimum bids, committees).
pub const CATALOG: &[RuleSeed] = &[
    // ------------------------------------------------------------------ consistency
    RuleSeed {
        rule_id: "schedule.order",
        applies_to: "*",
        citation: "招标投标法 第二十四条",
        summary: "A schedule runs documents_from < documents_until ≤ bid_deadline, and the deadline \
                  follows the publication. ZTB 24 defines the span 自招标文件开始发出之日起至提交投标文件截止之日止; \
                  procurement violations cite 政府采购法 第三十五条 instead.",
        ..BASE
    },
    // ------------------------------------------------------------------ §1A 工程建设项目招标投标
    RuleSeed {
        rule_id: "ztb.documents_sale_min",
        applies_to: "construction.*",
        kind: "period",
        value: Some("5"),
        unit: "day",
        citation: "招标投标法实施条例 第十六条",
        row: "1A.1",
        summary: "资格预审文件或者招标文件的发售期不得少于5日.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.prequalification_submission_min",
        applies_to: "construction.must_tender",
        kind: "period",
        value: Some("5"),
        unit: "day",
        citation: "招标投标法实施条例 第十七条",
        must_tender_only: true,
        row: "1A.2",
        summary: "依法必须进行招标的项目: 提交资格预审申请文件的时间自资格预审文件停止发售之日起不得少于5日.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.bid_period_min",
        applies_to: "construction.must_tender",
        kind: "period",
        value: Some("20"),
        unit: "day",
        citation: "招标投标法 第二十四条",
        must_tender_only: true,
        row: "1A.3",
        summary: "依法必须进行招标的项目: 自招标文件开始发出之日起至提交投标文件截止之日止, 最短不得少于二十日.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.clarification_notice_min",
        applies_to: "construction.*",
        kind: "period",
        value: Some("15"),
        unit: "day",
        citation: "招标投标法实施条例 第二十一条",
        row: "1A.4",
        summary: "A clarification or amendment that may affect bid preparation is notified at least 15 日 \
                  before the bid deadline (also 招标投标法 第二十三条); otherwise the deadline is extended.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.prequalification_clarification_min",
        applies_to: "construction.*",
        kind: "period",
        value: Some("3"),
        unit: "day",
        citation: "招标投标法实施条例 第二十一条",
        row: "1A.5",
        summary: "Same, at least 3 日 before the pre-qualification submission deadline.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.clarification_extends_deadline",
        applies_to: "construction.*",
        citation: "招标投标法实施条例 第二十一条",
        row: "1A.6",
        summary: "不足3日或者15日的, 招标人应当顺延提交资格预审申请文件或者投标文件的截止时间.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.objection_prequalification_before_deadline",
        applies_to: "construction.*",
        kind: "period",
        value: Some("2"),
        unit: "day",
        citation: "招标投标法实施条例 第二十二条",
        row: "1A.7",
        summary: "异议 against the pre-qualification documents: raised 2 日 before the pre-qualification deadline.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.objection_documents_before_deadline",
        applies_to: "construction.*",
        kind: "period",
        value: Some("10"),
        unit: "day",
        citation: "招标投标法实施条例 第二十二条",
        row: "1A.8",
        summary: "异议 against the tender documents: raised 10 日 before the bid deadline.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.objection_reply_max",
        applies_to: "construction.*",
        kind: "period",
        value: Some("3"),
        unit: "day",
        citation: "招标投标法实施条例 第二十二条",
        row: "1A.9",
        summary: "The tenderer replies to an objection against the documents within 3 日 of receiving it.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.objection_suspends",
        applies_to: "construction.*",
        citation: "招标投标法实施条例 第二十二条",
        row: "1A.9",
        summary: "作出答复前, 应当暂停招标投标活动 (the step the objection concerns waits for the reply).",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.objection_at_opening",
        applies_to: "construction.*",
        citation: "招标投标法实施条例 第四十四条",
        row: "1A.10",
        summary: "投标人对开标有异议的, 应当在开标现场提出, 招标人应当当场作出答复, 并制作记录.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.min_bids.open_tender",
        applies_to: "construction.open_tender",
        kind: "count",
        value: Some("3"),
        unit: "count",
        citation: "招标投标法 第二十八条",
        row: "1A.11",
        summary: "投标人少于三个的, 重新招标; no opening with fewer than 3 bids (also 招标投标法实施条例 第四十四条).",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.min_bids.invited_tender",
        applies_to: "construction.invited_tender",
        kind: "count",
        value: Some("3"),
        unit: "count",
        citation: "招标投标法 第二十八条",
        row: "1A.11",
        summary: "Same for invited tenders.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.candidates_max",
        applies_to: "construction.*",
        kind: "count",
        value: Some("3"),
        unit: "count",
        citation: "招标投标法实施条例 第五十三条",
        row: "1A.12",
        summary: "中标候选人应当不超过3个, 并标明排序.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.publicity_start_max",
        applies_to: "construction.must_tender",
        kind: "period",
        value: Some("3"),
        unit: "day",
        citation: "招标投标法实施条例 第五十四条",
        must_tender_only: true,
        row: "1A.13",
        summary: "依法必须进行招标的项目: candidates are publicised within 3 日 of receiving the 评标报告.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.publicity_min",
        applies_to: "construction.must_tender",
        kind: "period",
        value: Some("3"),
        unit: "day",
        citation: "招标投标法实施条例 第五十四条",
        must_tender_only: true,
        row: "1A.14",
        summary: "依法必须进行招标的项目: 中标候选人公示期不得少于3日 (the platform uses it for every tender).",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.objection_result_in_publicity",
        applies_to: "construction.must_tender",
        citation: "招标投标法实施条例 第五十四条",
        must_tender_only: true,
        row: "1A.15",
        summary: "异议 against the evaluation result is raised during the candidate publicity; activity is \
                  suspended until the reply.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.result_objection_reply_max",
        applies_to: "construction.must_tender",
        kind: "period",
        value: Some("3"),
        unit: "day",
        citation: "招标投标法实施条例 第五十四条",
        must_tender_only: true,
        row: "1A.15",
        summary: "The tenderer replies to an objection against the result within 3 日 of receiving it.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.complaint_max",
        applies_to: "construction.*",
        kind: "period",
        value: Some("10"),
        unit: "day",
        citation: "招标投标法实施条例 第六十条",
        row: "1A.16",
        summary: "投诉 within 10 日 of knowing or when one ought to have known; time spent on a required \
                  prior 异议 is not counted.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.complaint_requires_objection",
        applies_to: "construction.*",
        citation: "招标投标法实施条例 第六十条",
        row: "1A.17",
        summary: "A 投诉 on matters under 第二十二条, 第四十四条 and 第五十四条 must first be raised as an 异议.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.complaint_acceptance_max",
        applies_to: "construction.*",
        kind: "period",
        value: Some("3"),
        unit: "working_day",
        citation: "招标投标法实施条例 第六十一条",
        row: "1A.18",
        summary: "The supervisor decides whether to accept a 投诉 within 3 工作日.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.complaint_decision_max",
        applies_to: "construction.*",
        kind: "period",
        value: Some("30"),
        unit: "working_day",
        citation: "招标投标法实施条例 第六十一条",
        row: "1A.19",
        summary: "Written decision within 30 工作日 of acceptance, excluding testing, appraisal and expert review.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.complaint_suspension",
        applies_to: "construction.*",
        citation: "招标投标法实施条例 第六十二条",
        row: "1A.20",
        summary: "必要时, 行政监督部门可以责令暂停招标投标活动.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.award_after_report_max",
        applies_to: "construction.*",
        kind: "period",
        value: Some("15"),
        unit: "day",
        citation: "工程建设项目施工招标投标办法 第五十六条",
        configurable: true,
        row: "1A.21",
        summary: "◐ The winner is generally named within 15 日 of the evaluation report (secondary source); \
                  some local rules use 30 日.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.award_before_validity_end_min",
        applies_to: "construction.*",
        kind: "period",
        value: Some("30"),
        unit: "working_day",
        citation: "评标委员会和评标方法暂行规定 第四十条",
        configurable: true,
        row: "1A.21",
        summary: "◐ Evaluation and award are completed at least 30 工作日 before the bid validity ends \
                  (edited copy; the official text may read 30日).",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.report_to_supervisor_max",
        applies_to: "construction.must_tender",
        kind: "period",
        value: Some("15"),
        unit: "day",
        citation: "招标投标法 第四十七条",
        must_tender_only: true,
        row: "1A.22",
        summary: "依法必须进行招标的项目: written report to the supervisor within 15 日 of naming the winner.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.contract_signing_max",
        applies_to: "construction.*",
        kind: "period",
        value: Some("30"),
        unit: "day",
        citation: "招标投标法 第四十六条",
        row: "1A.23",
        summary: "The contract is signed within 30 日 of the 中标通知书.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.bid_security_max_ratio",
        applies_to: "construction.*",
        kind: "ratio",
        value: Some("0.02"),
        unit: "none",
        citation: "招标投标法实施条例 第二十六条",
        row: "1A.24",
        summary: "投标保证金不得超过招标项目估算价的2%.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.bid_security_validity",
        applies_to: "construction.*",
        citation: "招标投标法实施条例 第二十六条",
        row: "1A.24",
        summary: "投标保证金有效期应当与投标有效期一致.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.bid_security_refund_withdrawal_max",
        applies_to: "construction.*",
        kind: "period",
        value: Some("5"),
        unit: "day",
        citation: "招标投标法实施条例 第三十五条",
        row: "1A.25",
        summary: "Bond refunded within 5 日 of a written withdrawal before the deadline.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.bid_security_refund_after_contract_max",
        applies_to: "construction.*",
        kind: "period",
        value: Some("5"),
        unit: "day",
        citation: "招标投标法实施条例 第五十七条",
        row: "1A.26",
        summary: "Bonds refunded to all bidders within 5 日 of signing the contract, with bank interest.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.termination_refund",
        applies_to: "construction.*",
        citation: "招标投标法实施条例 第三十一条",
        row: "1A.27",
        summary: "A terminated tender refunds document fees and bonds with interest 及时.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.performance_security_max_ratio",
        applies_to: "construction.*",
        kind: "ratio",
        value: Some("0.10"),
        unit: "none",
        citation: "招标投标法实施条例 第五十八条",
        row: "1A.28",
        summary: "履约保证金不得超过中标合同金额的10%.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.must_tender_threshold_works",
        applies_to: "construction.*",
        kind: "amount",
        value: Some("4000000"),
        unit: "cny",
        citation: "必须招标的工程项目规定 第五条",
        row: "1A.29",
        summary: "施工单项合同估算价在400万元人民币以上 must be tendered.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.must_tender_threshold_goods",
        applies_to: "construction.*",
        kind: "amount",
        value: Some("2000000"),
        unit: "cny",
        citation: "必须招标的工程项目规定 第五条",
        row: "1A.29",
        summary: "重要设备、材料等货物的采购, 单项合同估算价在200万元人民币以上 must be tendered.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.must_tender_threshold_services",
        applies_to: "construction.*",
        kind: "amount",
        value: Some("1000000"),
        unit: "cny",
        citation: "必须招标的工程项目规定 第五条",
        row: "1A.29",
        summary: "勘察、设计、监理等服务的采购, 单项合同估算价在100万元人民币以上 must be tendered.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.price_limits",
        applies_to: "construction.*",
        citation: "招标投标法实施条例 第二十七条",
        row: "1A.30",
        summary: "标底 confidential, one per project; a 最高投标限价 must be published; 不得规定最低投标限价.",
        ..BASE
    },
    RuleSeed {
        rule_id: "ztb.committee_min_size",
        applies_to: "construction.*",
        kind: "count",
        value: Some("5"),
        unit: "count",
        citation: "招标投标法 第三十七条",
        summary: "评标委员会成员人数为五人以上单数, 技术、经济等方面的专家不得少于成员总数的三分之二.",
        ..BASE
    },
    // ------------------------------------------------------------------ §1B 政府采购
    RuleSeed {
        rule_id: "gp.bid_period_min",
        applies_to: "procurement.open_tender,procurement.invited_tender",
        kind: "period",
        value: Some("20"),
        unit: "day",
        citation: "政府采购法 第三十五条",
        row: "1B.1",
        summary: "自招标文件开始发出之日起至投标人提交投标文件截止之日止, 不得少于二十日.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.tender_notice_period",
        applies_to: "procurement.open_tender,procurement.invited_tender",
        kind: "period",
        value: Some("5"),
        unit: "working_day",
        citation: "政府采购货物和服务招标投标管理办法 第十六条",
        row: "1B.2",
        summary: "招标公告、资格预审公告的公告期限为5个工作日 (exactly), from the first publication on a \
                  provincial-or-higher designated medium.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.documents_available_min",
        applies_to: "procurement.open_tender,procurement.invited_tender",
        kind: "period",
        value: Some("5"),
        unit: "working_day",
        citation: "政府采购法实施条例 第三十一条",
        row: "1B.3",
        summary: "招标文件的提供期限自开始发出之日起不得少于5个工作日 (also 87号令 第十八条; may be extended \
                  if fewer than 3 suppliers obtain them).",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.prequalification_submission_min",
        applies_to: "procurement.*",
        kind: "period",
        value: Some("5"),
        unit: "working_day",
        citation: "政府采购法实施条例 第二十一条",
        row: "1B.4",
        summary: "提交资格预审申请文件的时间自公告发布之日起不得少于5个工作日.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.clarification_notice_min",
        applies_to: "procurement.open_tender,procurement.invited_tender",
        kind: "period",
        value: Some("15"),
        unit: "day",
        citation: "政府采购法实施条例 第三十一条",
        row: "1B.5",
        summary: "A clarification that may affect bid preparation is notified at least 15 日 before the bid \
                  deadline (also 87号令 第二十七条); otherwise the deadline is extended.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.prequalification_clarification_min",
        applies_to: "procurement.open_tender,procurement.invited_tender",
        kind: "period",
        value: Some("3"),
        unit: "day",
        citation: "政府采购货物和服务招标投标管理办法 第二十七条",
        row: "1B.5",
        summary: "Same, at least 3 日 before the pre-qualification submission deadline; otherwise extend.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.bid_security_max_ratio",
        applies_to: "procurement.*",
        kind: "ratio",
        value: Some("0.02"),
        unit: "none",
        citation: "政府采购法实施条例 第三十三条",
        row: "1B.6",
        summary: "投标保证金不得超过采购项目预算金额的2%, 以非现金形式提交.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.bid_security_refund_max",
        applies_to: "procurement.*",
        kind: "period",
        value: Some("5"),
        unit: "working_day",
        citation: "政府采购法实施条例 第三十三条",
        row: "1B.7",
        summary: "Losers' bonds within 5 工作日 of the 中标通知书, the winner's within 5 工作日 of the contract, \
                  a withdrawn bid's within 5 工作日 (87号令 第三十八条).",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.bid_security_late_interest",
        applies_to: "procurement.*",
        citation: "政府采购货物和服务招标投标管理办法 第三十八条",
        row: "1B.7",
        summary: "A late refund also pays 超期资金占用费 at the PBoC loan base rate +20%.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.min_bids.open_tender",
        applies_to: "procurement.open_tender",
        kind: "count",
        value: Some("3"),
        unit: "count",
        citation: "政府采购货物和服务招标投标管理办法 第四十一条",
        row: "1B.8",
        summary: "投标人不足3家的, 不得开标.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.min_bids.invited_tender",
        applies_to: "procurement.invited_tender",
        kind: "count",
        value: Some("3"),
        unit: "count",
        citation: "政府采购货物和服务招标投标管理办法 第四十一条",
        row: "1B.8",
        summary: "Same for invited tenders.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.min_qualified_bids",
        applies_to: "procurement.open_tender,procurement.invited_tender",
        kind: "count",
        value: Some("3"),
        unit: "count",
        citation: "政府采购货物和服务招标投标管理办法 第四十四条",
        row: "1B.8",
        summary: "合格投标人不足3家的, 不得评标.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.evaluation_report_max",
        applies_to: "procurement.*",
        kind: "period",
        value: Some("2"),
        unit: "working_day",
        citation: "政府采购法实施条例 第四十三条",
        row: "1B.9",
        summary: "The agency sends the 评审报告 to the purchaser within 2 工作日 of the evaluation (87号令 第六十八条).",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.winner_confirmation_max",
        applies_to: "procurement.*",
        kind: "period",
        value: Some("5"),
        unit: "working_day",
        citation: "政府采购法实施条例 第四十三条",
        row: "1B.10",
        summary: "The purchaser names the winner within 5 工作日; silence counts as choosing rank 1.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.result_notice_max",
        applies_to: "procurement.*",
        kind: "period",
        value: Some("2"),
        unit: "working_day",
        citation: "政府采购法实施条例 第四十三条",
        row: "1B.11",
        summary: "中标/成交结果 announced within 2 工作日 of naming the winner, with the tender documents \
                  (87号令 第六十九条).",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.result_notice_period",
        applies_to: "procurement.open_tender,procurement.invited_tender",
        kind: "period",
        value: Some("1"),
        unit: "working_day",
        citation: "政府采购货物和服务招标投标管理办法 第六十九条",
        row: "1B.12",
        summary: "中标公告期限为1个工作日.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.contract_signing_max",
        applies_to: "procurement.*",
        kind: "period",
        value: Some("30"),
        unit: "day",
        citation: "政府采购法 第四十六条",
        row: "1B.13",
        summary: "The contract is signed within 30 日 of the 中标/成交通知书 (87号令 第七十一条).",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.contract_publication_max",
        applies_to: "procurement.*",
        kind: "period",
        value: Some("2"),
        unit: "working_day",
        citation: "政府采购法实施条例 第五十条",
        row: "1B.14",
        summary: "The contract is published within 2 工作日 of signing.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.contract_filing_max",
        applies_to: "procurement.*",
        kind: "period",
        value: Some("7"),
        unit: "working_day",
        citation: "政府采购法 第四十七条",
        row: "1B.15",
        summary: "The contract copy is filed (备案) within 7 工作日 of signing.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.performance_security_max_ratio",
        applies_to: "procurement.*",
        kind: "ratio",
        value: Some("0.10"),
        unit: "none",
        citation: "政府采购法实施条例 第四十八条",
        row: "1B.16",
        summary: "履约保证金的数额不得超过政府采购合同金额的10%, 以非现金形式提交.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.question_reply_max",
        applies_to: "procurement.*",
        kind: "period",
        value: Some("3"),
        unit: "working_day",
        citation: "政府采购法实施条例 第五十二条",
        row: "1B.17",
        summary: "A 询问 is answered within 3 工作日.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.challenge_max",
        applies_to: "procurement.*",
        kind: "period",
        value: Some("7"),
        unit: "working_day",
        citation: "政府采购法 第五十二条",
        configurable: true,
        row: "1B.18",
        summary: "◐ 质疑 within 7 工作日 of the 应知 date: for documents, receipt or the end of the notice \
                  period; for the result, the end of the result notice period (政府采购法实施条例 第五十三条; \
                  财政部令94号 第十条).",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.challenge_reply_max",
        applies_to: "procurement.*",
        kind: "period",
        value: Some("7"),
        unit: "working_day",
        citation: "政府采购法 第五十三条",
        row: "1B.19",
        summary: "A 质疑 is answered within 7 工作日.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.challenge_suspension",
        applies_to: "procurement.*",
        citation: "政府采购法实施条例 第五十四条",
        row: "1B.20",
        summary: "A 质疑 that may affect the result suspends contract signing, or performance if signed.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.complaint_max",
        applies_to: "procurement.*",
        kind: "period",
        value: Some("15"),
        unit: "working_day",
        citation: "政府采购法 第五十五条",
        row: "1B.21",
        summary: "投诉 within 15 工作日 after the reply period expires, limited to what the 质疑 raised \
                  (政府采购法实施条例 第五十五条).",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.complaint_acceptance_max",
        applies_to: "procurement.*",
        kind: "period",
        value: Some("5"),
        unit: "working_day",
        citation: "政府采购质疑和投诉办法 第二十一条",
        configurable: true,
        row: "1B.22",
        summary: "⚠ The finance department reviews a 投诉 for acceptance within 5 工作日 (unconfirmed).",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.complaint_decision_max",
        applies_to: "procurement.*",
        kind: "period",
        value: Some("30"),
        unit: "working_day",
        citation: "政府采购法 第五十六条",
        row: "1B.23",
        summary: "投诉 decided within 30 工作日, excluding testing, expert review and supplementing documents \
                  (政府采购法实施条例 第五十八条).",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.complaint_suspension_max",
        applies_to: "procurement.*",
        kind: "period",
        value: Some("30"),
        unit: "day",
        citation: "政府采购法 第五十七条",
        row: "1B.24",
        summary: "Procurement may be suspended while a 投诉 is handled, for at most 30 日.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.single_source_publicity_min",
        applies_to: "procurement.single_source",
        kind: "period",
        value: Some("5"),
        unit: "working_day",
        citation: "政府采购法实施条例 第三十八条",
        row: "1B.25",
        summary: "单一来源 above the 公开招标 threshold: 公示期不得少于5个工作日.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.negotiation_response_min",
        applies_to: "procurement.competitive_negotiation",
        kind: "period",
        value: Some("3"),
        unit: "working_day",
        citation: "政府采购非招标采购方式管理办法 第二十九条",
        configurable: true,
        row: "1B.26",
        summary: "◐ 从谈判文件发出之日起至供应商提交首次响应文件截止之日止不得少于3个工作日.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.inquiry_response_min",
        applies_to: "procurement.inquiry",
        kind: "period",
        value: Some("3"),
        unit: "working_day",
        citation: "政府采购非招标采购方式管理办法 第四十五条",
        configurable: true,
        row: "1B.27",
        summary: "◐ 从询价通知书发出之日起至供应商提交响应文件截止之日止不得少于3个工作日.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.consultation_response_min",
        applies_to: "procurement.competitive_consultation",
        kind: "period",
        value: Some("10"),
        unit: "day",
        citation: "政府采购竞争性磋商采购方式管理暂行办法 第十条",
        configurable: true,
        row: "1B.28",
        summary: "◐ 从磋商文件发出之日起至供应商提交首次响应文件截止之日止不得少于10日.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.consultation_documents_sale_min",
        applies_to: "procurement.competitive_consultation",
        kind: "period",
        value: Some("5"),
        unit: "working_day",
        citation: "政府采购竞争性磋商采购方式管理暂行办法 第十条",
        configurable: true,
        row: "1B.28",
        summary: "◐ 磋商文件的发售期限自开始之日起不得少于5个工作日.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.consultation_clarification_min",
        applies_to: "procurement.competitive_consultation",
        kind: "period",
        value: Some("5"),
        unit: "day",
        citation: "政府采购竞争性磋商采购方式管理暂行办法 第十条",
        configurable: true,
        row: "1B.28",
        summary: "◐ A clarification that may affect the responses is notified at least 5 日 before the \
                  response deadline; otherwise the deadline is extended.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.consultation_report_max",
        applies_to: "procurement.competitive_consultation",
        kind: "period",
        value: Some("2"),
        unit: "working_day",
        citation: "政府采购竞争性磋商采购方式管理暂行办法 第二十八条",
        configurable: true,
        row: "1B.29",
        summary: "◐ Review report sent to the purchaser within 2 工作日 (article number unconfirmed).",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.consultation_confirmation_max",
        applies_to: "procurement.competitive_consultation",
        kind: "period",
        value: Some("5"),
        unit: "working_day",
        citation: "政府采购竞争性磋商采购方式管理暂行办法 第二十八条",
        configurable: true,
        row: "1B.29",
        summary: "◐ The purchaser confirms the supplier within 5 工作日 of the report (article number unconfirmed).",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.consultation_result_notice_max",
        applies_to: "procurement.competitive_consultation",
        kind: "period",
        value: Some("2"),
        unit: "working_day",
        citation: "政府采购竞争性磋商采购方式管理暂行办法 第二十九条",
        configurable: true,
        row: "1B.29",
        summary: "◐ 成交结果 announced within 2 工作日 of the confirmation (article number unconfirmed).",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.consultation_contract_signing_max",
        applies_to: "procurement.competitive_consultation",
        kind: "period",
        value: Some("30"),
        unit: "day",
        citation: "政府采购竞争性磋商采购方式管理暂行办法 第三十条",
        configurable: true,
        row: "1B.29",
        summary: "◐ The contract is signed within 30 日 of the 成交通知书 (article number unconfirmed).",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.records_retention_min",
        applies_to: "procurement.*",
        kind: "period",
        value: Some("15"),
        unit: "year",
        citation: "政府采购法 第四十二条",
        row: "1B.30",
        summary: "采购文件的保存期限为从采购结束之日起至少保存十五年.",
        ..BASE
    },
    // ------------------------------------------------------------------ minimum bids, other methods
    RuleSeed {
        rule_id: "gp.min_bids.competitive_negotiation",
        applies_to: "procurement.competitive_negotiation",
        kind: "count",
        value: Some("3"),
        unit: "count",
        citation: "政府采购非招标采购方式管理办法 第十二条",
        configurable: true,
        summary: "◐ 邀请不少于3家符合相应资格条件的供应商参与竞争性谈判 (财库〔2015〕124号 allows 2 in \
                  some cases: configurable).",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.min_bids.competitive_consultation",
        applies_to: "procurement.competitive_consultation",
        kind: "count",
        value: Some("3"),
        unit: "count",
        citation: "政府采购竞争性磋商采购方式管理暂行办法 第六条",
        configurable: true,
        summary: "◐ 邀请不少于3家符合相应资格条件的供应商参与竞争性磋商 (exceptions allow 2: configurable).",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.min_bids.inquiry",
        applies_to: "procurement.inquiry",
        kind: "count",
        value: Some("3"),
        unit: "count",
        citation: "政府采购非招标采购方式管理办法 第十二条",
        configurable: true,
        summary: "◐ 邀请不少于3家符合相应资格条件的供应商参与询价采购活动.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.min_bids.single_source",
        applies_to: "procurement.single_source",
        kind: "count",
        value: Some("1"),
        unit: "count",
        citation: "政府采购法 第三十一条",
        summary: "单一来源: procurement from the one supplier (只能从唯一供应商处采购).",
        ..BASE
    },
    // ------------------------------------------------------------------ committees, SME policy
    RuleSeed {
        rule_id: "gp.committee_min_size",
        applies_to: "procurement.open_tender,procurement.invited_tender",
        kind: "count",
        value: Some("5"),
        unit: "count",
        citation: "政府采购货物和服务招标投标管理办法 第四十七条",
        summary: "评标委员会成员人数应当为5人以上单数, 评审专家不得少于成员总数的三分之二.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.committee_large_threshold",
        applies_to: "procurement.open_tender,procurement.invited_tender",
        kind: "amount",
        value: Some("10000000"),
        unit: "cny",
        citation: "政府采购货物和服务招标投标管理办法 第四十七条",
        summary: "采购预算金额在1000万元以上 (or technically complex, or of wide social impact): the \
                  committee has gp.committee_large_min_size members.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.committee_large_min_size",
        applies_to: "procurement.open_tender,procurement.invited_tender",
        kind: "count",
        value: Some("7"),
        unit: "count",
        citation: "政府采购货物和服务招标投标管理办法 第四十七条",
        summary: "评标委员会成员人数应当为7人以上单数 above gp.committee_large_threshold.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.sme_deduction",
        applies_to: "procurement.*",
        kind: "ratio",
        value: Some("0.10"),
        unit: "none",
        citation: "政府采购促进中小企业发展管理办法 第九条",
        configurable: true,
        summary: "◐ Price deduction for small and micro enterprises in goods and services: 10%–20% \
                  (财库〔2022〕19号 raised the 财库〔2020〕46号 range of 6%–10%); default 10%.",
        ..BASE
    },
    RuleSeed {
        rule_id: "gp.sme_deduction_max",
        applies_to: "procurement.*",
        kind: "ratio",
        value: Some("0.20"),
        unit: "none",
        citation: "政府采购促进中小企业发展管理办法 第九条",
        configurable: true,
        summary: "◐ Upper end of the SME price deduction range (财库〔2022〕19号).",
        ..BASE
    },
    // §1C land (招拍挂) and §1D property rights: the periods the auction engine checks
    RuleSeed {
        rule_id: "land.announcement_min",
        applies_to: "land.*",
        kind: "period",
        value: Some("20"),
        unit: "day",
        citation: "招标拍卖挂牌出让国有建设用地使用权规定 第十条",
        configurable: true,
        row: "1C.1",
        summary: "出让公告应当至迟在招标拍卖挂牌活动开始日前20日发布 ⚠ (article number unconfirmed).",
        ..BASE
    },
    RuleSeed {
        rule_id: "land.listing_min",
        applies_to: "land.*",
        kind: "period",
        value: Some("10"),
        unit: "working_day",
        citation: "招标拍卖挂牌出让国有建设用地使用权规定 第十八条",
        configurable: true,
        row: "1C.3",
        summary: "挂牌时间不得少于10日 (令39); 国土资源部令11 said 10个工作日: the stricter unit is the default ⚠.",
        ..BASE
    },
    RuleSeed {
        rule_id: "land.deposit_refund_max",
        applies_to: "land.*",
        kind: "period",
        value: Some("5"),
        unit: "working_day",
        citation: "招标拍卖挂牌出让国有建设用地使用权规定 第二十一条",
        configurable: true,
        row: "1C.9",
        summary: "未竞得人的保证金在5个工作日内退还, 不计利息 ⚠.",
        ..BASE
    },
    RuleSeed {
        rule_id: "property.disclosure_min",
        applies_to: "property.*",
        kind: "period",
        value: Some("20"),
        unit: "working_day",
        citation: "企业国有资产交易监督管理办法 第十三条",
        configurable: true,
        row: "1D.2",
        summary: "产权转让信息正式披露不少于20个工作日 ◐.",
        ..BASE
    },
    RuleSeed {
        rule_id: "property.result_announcement_min",
        applies_to: "property.*",
        kind: "period",
        value: Some("5"),
        unit: "working_day",
        citation: "企业国有资产交易监督管理办法 第二十九条",
        configurable: true,
        row: "1D.8",
        summary: "交易结果公告不少于5个工作日 ◐.",
        ..BASE
    },
];

// Keep the short-name constants in use: they document the statutes the catalogue cites, and the
// test below checks every citation starts with one of the known names.
const KNOWN_LAWS: &[&str] = &[
    ZTB,
    ZTBSS,
    ZCF,
    ZCFSS,
    "政府采购货物和服务招标投标管理办法",
    "必须招标的工程项目规定",
    "评标委员会和评标方法暂行规定",
    "工程建设项目施工招标投标办法",
    "政府采购竞争性磋商采购方式管理暂行办法",
    "政府采购非招标采购方式管理办法",
    "政府采购质疑和投诉办法",
    "政府采购促进中小企业发展管理办法",
    "招标拍卖挂牌出让国有建设用地使用权规定",
    "企业国有资产交易监督管理办法",
];

/// The catalogue row for `rule_id`, if there is one.
pub fn seed(rule_id: &str) -> Option<&'static RuleSeed> {
    CATALOG.iter().find(|s| s.rule_id == rule_id)
}

/// Whether `law` is one of the statutes the catalogue cites.
pub fn is_known_law(law: &str) -> bool {
    KNOWN_LAWS.contains(&law)
}

/// Whether a citation has the form `^\S+ 第[一二三四五六七八九十百]+条$`.
pub fn citation_is_well_formed(citation: &str) -> bool {
    let Some((law, article)) = citation.split_once(' ') else {
        return false;
    };
    let Some(number) = article
        .strip_prefix('第')
        .and_then(|rest| rest.strip_suffix('条'))
    else {
        return false;
    };
    !law.is_empty()
        && !law.chars().any(char::is_whitespace)
        && !number.is_empty()
        && number.chars().all(|c| "一二三四五六七八九十百".contains(c))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use rust_decimal::Decimal;

    use super::*;

    /// Reads a Chinese article number (一 … 九百九十九).
    fn cn_number(s: &str) -> u32 {
        let digit = |c: char| "一二三四五六七八九".find(c).map(|i| i as u32 / 3 + 1);
        let (mut total, mut pending) = (0, 0);
        for c in s.chars() {
            match c {
                '百' => {
                    total += pending.max(1) * 100;
                    pending = 0;
                }
                '十' => {
                    total += pending.max(1) * 10;
                    pending = 0;
                }
                c => pending = digit(c).expect("a Chinese digit"),
            }
        }
        total + pending
    }

    fn article(citation: &str) -> u32 {
        let (_, a) = citation.split_once(' ').expect("law and article");
        cn_number(
            a.strip_prefix('第')
                .and_then(|a| a.strip_suffix('条'))
                .expect("第N条"),
        )
    }

    #[test]
    fn rule_ids_are_unique_and_well_formed() {
        let mut seen = BTreeSet::new();
        for s in CATALOG {
            assert!(seen.insert(s.rule_id), "duplicate rule id {}", s.rule_id);
            // The database's CHECK (rule_id ~ '^[a-z0-9_.]+$') and a line-of-business prefix.
            assert!(
                s.rule_id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'),
                "{}",
                s.rule_id
            );
            assert!(
                ["ztb.", "gp.", "schedule.", "land.", "property."]
                    .iter()
                    .any(|p| s.rule_id.starts_with(p)),
                "{}",
                s.rule_id
            );
            assert_eq!(seed(s.rule_id), Some(s));
        }
        assert_eq!(seed("ztb.no_such_rule"), None);
    }

    #[test]
    fn every_citation_matches_the_citation_pattern() {
        for s in CATALOG {
            assert!(
                citation_is_well_formed(s.citation),
                "{}: {:?}",
                s.rule_id,
                s.citation
            );
            let (law, _) = s.citation.split_once(' ').expect("checked");
            assert!(is_known_law(law), "{}: unknown law {law}", s.rule_id);
            assert_eq!(s.jurisdiction, "national");
        }
        // The pattern must reject what it should.
        for bad in [
            "招标投标法第二十四条",
            "招标投标法 第24条",
            "招标投标法 第二十四",
            " 第二十四条",
            "招标 投标法 第二十四条",
            "招标投标法 第条",
        ] {
            assert!(!citation_is_well_formed(bad), "{bad}");
        }
    }

    #[test]
    fn ztb_row_3_is_the_20_day_must_tender_rule_of_article_24() {
        let s = seed("ztb.bid_period_min").expect("present");
        assert_eq!(s.row, "1A.3");
        assert_eq!(s.citation, "招标投标法 第二十四条");
        assert_eq!(article(s.citation), 24);
        assert_eq!((s.kind, s.value, s.unit), ("period", Some("20"), "day"));
        assert!(s.must_tender_only);
        assert_eq!(s.applies_to, "construction.must_tender");
    }

    #[test]
    fn article_numbers_read_back() {
        assert_eq!(cn_number("十"), 10);
        assert_eq!(cn_number("十六"), 16);
        assert_eq!(cn_number("二十一"), 21);
        assert_eq!(cn_number("一百二十"), 120);
        for (id, n) in [
            ("ztb.documents_sale_min", 16),
            ("ztb.clarification_notice_min", 21),
            ("ztb.publicity_min", 54),
            ("ztb.complaint_acceptance_max", 61),
            ("gp.bid_period_min", 35),
            ("gp.documents_available_min", 31),
            ("gp.single_source_publicity_min", 38),
            ("gp.committee_large_threshold", 47),
            ("gp.negotiation_response_min", 29),
            ("gp.inquiry_response_min", 45),
            ("gp.records_retention_min", 42),
        ] {
            assert_eq!(article(seed(id).expect(id).citation), n, "{id}");
        }
    }

    #[test]
    fn every_row_of_tables_1a_and_1b_is_encoded() {
        for table in ["1A", "1B"] {
            for n in 1..=30 {
                let row = format!("{table}.{n}");
                assert!(
                    CATALOG.iter().any(|s| s.row == row),
                    "DOMAIN-RULES row {row} is missing"
                );
            }
        }
        assert!(CATALOG.iter().all(|s| {
            s.row.is_empty()
                || ["1A.", "1B.", "1C.", "1D."]
                    .iter()
                    .any(|t| s.row.starts_with(t))
        }));
    }

    #[test]
    fn kinds_units_and_values_are_consistent() {
        for s in CATALOG {
            let id = s.rule_id;
            assert!(
                ["period", "count", "ratio", "amount", "procedure"].contains(&s.kind),
                "{id}"
            );
            assert!(
                [
                    "day",
                    "working_day",
                    "hour",
                    "year",
                    "percent",
                    "cny",
                    "count",
                    "none"
                ]
                .contains(&s.unit),
                "{id}"
            );
            let value = s.value.map(|v| v.parse::<Decimal>().expect(id));
            match s.kind {
                "procedure" => assert_eq!((value, s.unit), (None, "none"), "{id}"),
                "period" => {
                    let v = value.expect(id);
                    assert!(v.is_integer() && v > Decimal::ZERO, "{id}");
                    assert!(
                        ["day", "working_day", "hour", "year"].contains(&s.unit),
                        "{id}"
                    );
                }
                "count" => {
                    assert!(value.expect(id).is_integer(), "{id}");
                    assert_eq!(s.unit, "count", "{id}");
                }
                "ratio" => {
                    let v = value.expect(id);
                    assert!(v > Decimal::ZERO && v < Decimal::ONE, "{id}");
                    assert_eq!(s.unit, "none", "{id}");
                }
                "amount" => assert_eq!(s.unit, "cny", "{id}"),
                _ => unreachable!(),
            }
            // must_tender_only and applies_to say the same thing.
            assert_eq!(
                s.must_tender_only,
                s.applies_to.contains(".must_tender"),
                "{id}"
            );
        }
    }

    #[test]
    fn minimum_bids_cover_every_method() {
        for (id, n) in [
            ("ztb.min_bids.open_tender", "3"),
            ("ztb.min_bids.invited_tender", "3"),
            ("gp.min_bids.open_tender", "3"),
            ("gp.min_bids.invited_tender", "3"),
            ("gp.min_bids.competitive_negotiation", "3"),
            ("gp.min_bids.competitive_consultation", "3"),
            ("gp.min_bids.inquiry", "3"),
            ("gp.min_bids.single_source", "1"),
        ] {
            let s = seed(id).expect(id);
            assert_eq!((s.kind, s.value), ("count", Some(n)), "{id}");
        }
        for id in [
            "gp.min_bids.competitive_negotiation",
            "gp.min_bids.competitive_consultation",
            "gp.min_bids.inquiry",
            "gp.sme_deduction",
        ] {
            assert!(seed(id).expect(id).configurable, "{id}");
        }
        assert_eq!(
            seed("gp.committee_large_threshold").map(|s| s.value),
            Some(Some("10000000"))
        );
        assert_eq!(
            seed("gp.sme_deduction").map(|s| s.value),
            Some(Some("0.10"))
        );
    }

    #[test]
    fn uncertain_rows_are_configurable() {
        // Every summary flagged ◐ or ⚠ is configurable, and vice versa for the table rows.
        for s in CATALOG {
            let flagged = s.summary.contains('◐') || s.summary.contains('⚠');
            assert_eq!(flagged, s.configurable, "{}", s.rule_id);
        }
    }
}
