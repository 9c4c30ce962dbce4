//! The mails' zh-CN texts. Plain Rust formatting: each template is a function whose arguments
//! are exactly what the text needs, so a missing value is a compile error, not an empty blank.
//! Subjects start with a bracketed kind (【投标回执】…) so that mail filters can sort them.

use chrono::{DateTime, FixedOffset, Utc};

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub body: String,
}

const FOOTER: &str =
    "\n\n——\n本邮件由公共资源交易平台自动发送，请勿直接回复。\n以平台公布的信息为准。";

/// Beijing time (UTC+8), as every zh-CN text shows times.
pub fn beijing(t: DateTime<Utc>) -> String {
    let tz = FixedOffset::east_opt(8 * 3600).expect("a valid offset");
    format!(
        "{}（北京时间）",
        t.with_timezone(&tz).format("%Y年%m月%d日 %H:%M")
    )
}

/// A line of business in Chinese.
pub fn category_zh(category: &str) -> &'static str {
    match category {
        "construction" => "工程建设",
        "procurement" => "政府采购",
        "property" => "产权交易",
        "land" => "土地使用权出让",
        _ => "其他",
    }
}

fn mail(subject: String, body: String) -> Mail {
    Mail {
        subject,
        body: format!("{body}{FOOTER}"),
    }
}

/// A tender's identification as the texts quote it.
#[derive(Debug, Clone)]
pub struct TenderRef<'a> {
    /// The tender code (项目编号).
    pub code: &'a str,
    /// The title.
    pub title: &'a str,
}

/// To subscribers: a new notice in their line of business (招标公告).
pub fn tender_published(
    t: &TenderRef,
    category: &str,
    bid_deadline: DateTime<Utc>,
    opening_at: DateTime<Utc>,
) -> Mail {
    mail(
        format!("【招标公告】{}（{}）", t.title, t.code),
        format!(
            "您订阅的{}类交易有新公告发布。\n\n项目名称：{}\n项目编号：{}\n投标截止时间：{}\n开标时间：{}\n\n请登录平台查看公告全文并获取招标文件。",
            category_zh(category),
            t.title,
            t.code,
            beijing(bid_deadline),
            beijing(opening_at)
        ),
    )
}

/// To subscribers: a new auction or listing announcement (出让公告 / 交易公告).
pub fn auction_published(
    code: &str,
    title: &str,
    category: &str,
    format: &str,
    start_price: &str,
    deposit: &str,
    starts_at: DateTime<Utc>,
) -> Mail {
    let kind = if category == "land" {
        "出让公告"
    } else {
        "交易公告"
    };
    let format = match format {
        "english" => "拍卖（增价）",
        "listing" => "挂牌",
        "online_multi_round" => "网络多次报价",
        _ => "竞价",
    };
    mail(
        format!("【{kind}】{title}（{code}）"),
        format!(
            "您订阅的{}类交易有新公告发布。\n\n标的名称：{title}\n标的编号：{code}\n交易方式：{format}\n起始价：{start_price} 元\n竞买保证金：{deposit} 元\n竞价开始时间：{}\n\n请登录平台查看公告全文并报名。",
            category_zh(category),
            beijing(starts_at)
        ),
    )
}

/// To an auction's registered bidders (竞买人): the start moved by 延牌.
pub fn auction_extended(code: &str, title: &str, starts_at: DateTime<Utc>) -> Mail {
    mail(
        format!("【延期公告】{title}（{code}）"),
        format!(
            "您报名的交易标的因报名竞买人不足延期交易（延牌）。\n\n标的名称：{title}\n标的编号：{code}\n新的竞价开始时间：{}",
            beijing(starts_at)
        ),
    )
}

/// To an auction's registered bidders (竞买人): the result (成交 / 未成交).
pub fn auction_result(code: &str, title: &str, price: Option<&str>) -> Mail {
    match price {
        Some(p) => mail(
            format!("【成交公告】{title}（{code}）"),
            format!(
                "您报名的交易标的已成交。\n\n标的名称：{title}\n标的编号：{code}\n成交价：{p} 元\n\n未竞得的竞买人，竞买保证金将在规定期限内退还。"
            ),
        ),
        None => mail(
            format!("【未成交公告】{title}（{code}）"),
            format!(
                "您报名的交易标的未成交。\n\n标的名称：{title}\n标的编号：{code}\n\n竞买保证金将在规定期限内退还。"
            ),
        ),
    }
}

/// To registered bidders: a clarification or amendment (澄清或者修改).
pub fn clarification(t: &TenderRef, text: &str, bid_deadline: DateTime<Utc>, moved: bool) -> Mail {
    let deadline = if moved {
        format!("投标截止时间已变更为：{}", beijing(bid_deadline))
    } else {
        format!("投标截止时间不变：{}", beijing(bid_deadline))
    };
    mail(
        format!("【澄清/修改】{}（{}）", t.title, t.code),
        format!(
            "您已获取招标文件的项目发布了澄清或者修改。\n\n项目名称：{}\n项目编号：{}\n{}\n\n澄清内容：\n{}",
            t.title, t.code, deadline, text
        ),
    )
}

/// To registered bidders and the key holders: the opening moved (开标时间变更).
pub fn opening_postponed(t: &TenderRef, new_time: DateTime<Utc>, reason: &str) -> Mail {
    mail(
        format!("【开标时间变更】{}（{}）", t.title, t.code),
        format!(
            "项目开标时间已变更。\n\n项目名称：{}\n项目编号：{}\n新的开标时间：{}\n变更原因：{}",
            t.title,
            t.code,
            beijing(new_time),
            reason
        ),
    )
}

/// To the bidder: the receipt of a submission or a withdrawal (投标回执 / 撤回回执).
pub fn bid_receipt(
    t: &TenderRef,
    withdrawal: bool,
    receipt_id: &str,
    submission_no: i64,
    at: DateTime<Utc>,
) -> Mail {
    let (kind, what) = if withdrawal {
        ("撤回回执", "撤回投标文件")
    } else {
        ("投标回执", "递交投标文件")
    };
    mail(
        format!("【{kind}】{}（{}）", t.title, t.code),
        format!(
            "平台已收到您的{what}操作。\n\n项目名称：{}\n项目编号：{}\n回执编号：{}\n第 {} 次递交\n接收时间：{}\n\n回执由平台签名，可在平台核验。投标文件在开标前保持加密，任何人无法查看。",
            t.title,
            t.code,
            receipt_id,
            submission_no,
            beijing(at)
        ),
    )
}

/// To the key holders: bidding has closed, the opening is due (开标提醒).
pub fn opening_due(t: &TenderRef, opening_at: DateTime<Utc>, bids: usize) -> Mail {
    mail(
        format!("【开标提醒】{}（{}）", t.title, t.code),
        format!(
            "投标已截止，共收到 {} 份投标文件，开标时间已到。\n\n项目名称：{}\n项目编号：{}\n开标时间：{}\n\n请作为开标密钥持有人按时登录平台提交解密份额。",
            bids,
            t.title,
            t.code,
            beijing(opening_at)
        ),
    )
}

/// To the bidders: the opening record is published (开标记录).
pub fn opening_record(t: &TenderRef, opened: i64, failed: Option<&str>) -> Mail {
    let outcome = match failed {
        Some(reason) => format!("本项目开标后不足法定家数，招标失败：{reason}"),
        None => format!("共开启 {opened} 份投标文件。"),
    };
    mail(
        format!("【开标记录】{}（{}）", t.title, t.code),
        format!(
            "项目开标记录已公布。\n\n项目名称：{}\n项目编号：{}\n{}\n\n如对开标有异议，请在开标现场或规定期限内提出。",
            t.title, t.code, outcome
        ),
    )
}

/// To the bidders: the result (中标结果).
pub fn award(t: &TenderRef, winner: &str, price: Option<&str>) -> Mail {
    let price = price
        .map(|p| format!("\n中标价格：{p} 元"))
        .unwrap_or_default();
    mail(
        format!("【中标结果】{}（{}）", t.title, t.code),
        format!(
            "项目中标结果已公布。\n\n项目名称：{}\n项目编号：{}\n中标人：{}{}",
            t.title, t.code, winner, price
        ),
    )
}

/// A warning rule's name in Chinese.
pub fn warning_rule_zh(rule: &str) -> &str {
    match rule {
        "objection_reply_due" => "异议答复即将到期",
        "objection_reply_overdue" => "异议答复逾期",
        "concern_answer_due" => "社会监督意见答复即将到期",
        "concern_overdue" => "社会监督意见答复逾期",
        "publicity_too_short" => "中标候选人公示期不足",
        "award_overdue" => "确定中标人逾期",
        "contract_overdue" => "签订合同逾期",
        "committee_redrawn" => "评标委员会成员被替换",
        "few_downloads" => "获取招标文件的单位不足三家",
        "calendar_notice_missing" => "尚未录入国务院节假日安排通知（按法定节假日暂行计算）",
        other => other,
    }
}

/// To the owner of a warning card (红黄牌预警): what, why, by when.
pub fn warning(
    level: &str,
    rule: &str,
    citation: &str,
    subject: &str,
    due: Option<DateTime<Utc>>,
) -> Mail {
    let card = if level == "red" { "红牌" } else { "黄牌" };
    let due = due
        .map(|d| format!("\n处理时限：{}", beijing(d)))
        .unwrap_or_default();
    mail(
        format!("【{card}预警】{}（{subject}）", warning_rule_zh(rule)),
        format!(
            "电子监察对您负责的事项发出{card}预警，请及时处理。\n\n事项：{subject}\n预警内容：{}\n依据：{citation}{due}\n\n处理完毕后由监督人员核实关闭。",
            warning_rule_zh(rule)
        ),
    )
}

/// To the complainant: the decision on the complaint (投诉处理决定).
pub fn complaint_decision(upheld: bool, text: &str, late: bool) -> Mail {
    let verdict = if upheld {
        "投诉成立"
    } else {
        "驳回投诉"
    };
    let late = if late {
        "\n（本决定超过法定处理期限作出。）"
    } else {
        ""
    };
    mail(
        format!("【投诉处理决定】{verdict}"),
        format!("您提交的投诉已作出处理决定：{verdict}。\n\n决定内容：\n{text}{late}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_are_shown_in_beijing_time() {
        let t = Utc.with_ymd_and_hms(2026, 11, 30, 16, 30, 0).unwrap();
        assert_eq!(beijing(t), "2026年12月01日 00:30（北京时间）");
    }

    #[test]
    fn a_receipt_names_the_tender_and_the_kind() {
        let t = TenderRef {
            code: "T-1",
            title: "道路工程",
        };
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let m = bid_receipt(&t, false, "r1", 2, at);
        assert_eq!(m.subject, "【投标回执】道路工程（T-1）");
        assert!(m.body.contains("第 2 次递交"));
        assert_eq!(
            bid_receipt(&t, true, "r1", 3, at).subject,
            "【撤回回执】道路工程（T-1）"
        );
    }
}
