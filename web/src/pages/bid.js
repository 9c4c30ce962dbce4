// The sealing page (投标文件加密): the bidder signs in, fills the price and attachments, and the
// page seals the envelope in the browser (./seal.js) and submits it with
// PUT /api/v1/tenders/{id}/bids/mine. Only ciphertext leaves the browser.

import { api, el, fingerprint, initAuth, pageData, say, sha256Hex, showMoney, showTime, statusName } from "../common.js";
import { attachment, buildDocument, normalizePrice, seal } from "../seal.js";
import { SealingRefused, verifyRecipients } from "../logcheck.js";

const tenderId = pageData("tender");
let recipients = null;

async function loadTender() {
  try {
    const t = await api(`/tenders/${tenderId}`);
    document.getElementById("tender-title").textContent = `${t.code || ""} ${t.title || ""}`;
    document.getElementById("tender-deadline").textContent = showTime(t.bid_deadline);
    document.getElementById("tender-status").textContent = statusName(t.status);
    document.getElementById("tender-max").textContent = showMoney(t.max_price);
    const s = t.sealing;
    if (!s || s.format !== "ggzy-sealed-bid/1") throw new Error("该招标项目没有加密公钥（尚未发布？）");
    // the recipients as served, checked against the entries each branch wrote into the signed
    // transparency log before anything is sealed to them (../logcheck.js)
    say("正在核验持钥人公钥与透明日志……");
    try {
      await verifyRecipients(tenderId, s.recipients);
    } catch (e) {
      const why = e instanceof SealingRefused ? e.message : `无法核验透明日志：${e.message}`;
      const box = document.getElementById("recipients-check");
      box.textContent = `拒绝加密：${why}`;
      box.className = "error";
      say(`拒绝加密：${why}`, "error");
      return;
    }
    recipients = s.recipients;
    const check = document.getElementById("recipients-check");
    check.textContent = "三方持钥人公钥已与透明日志核验一致（各方平台写入、平台签名、包含证明）";
    check.className = "ok";
    say("持钥人公钥已核验，可以加密投标文件。", "ok");
    const list = document.getElementById("recipients");
    list.replaceChildren(
      ...["decide", "execute", "supervise"].map((b) =>
        el("li", {}, `${{ decide: "决策方", execute: "执行方", supervise: "监督方" }[b]}：`, el("code", {}, recipients[b])),
      ),
    );
    document.getElementById("seal-form").hidden = false;
  } catch (e) {
    say(`无法读取招标项目：${e.message}`, "error");
  }
}

async function onSubmit(ev) {
  ev.preventDefault();
  const form = ev.target;
  const fd = new FormData(form);
  const price = normalizePrice(fd.get("price"));
  if (!price) return say("投标报价须为不超过两位小数的金额", "error");
  const orgCode = String(fd.get("org_code") || "").trim().toUpperCase();
  if (!/^[0-9A-Z]{18}$/.test(orgCode)) return say("请填写18位统一社会信用代码", "error");
  const days = String(fd.get("duration_days") || "").trim();
  if (days && !/^\d{1,5}$/.test(days)) return say("工期须为整数天数", "error");
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    say("正在浏览器内加密……");
    const files = Array.from(form.querySelector("input[name=attachments]").files);
    const attachments = await Promise.all(files.map(attachment));
    const fields = {};
    const pm = String(fd.get("project_manager") || "").trim();
    if (pm) fields.project_manager = pm;
    const doc = buildDocument({
      tenderId,
      orgCode,
      price,
      durationDays: days ? Number(days) : null,
      sme: fd.get("sme") || null,
      fields,
      attachments,
    });
    const envelope = await seal(tenderId, doc, recipients);
    const localSha = await sha256Hex(new TextEncoder().encode(envelope));
    say("正在提交密封投标文件……");
    const r = await api(`/tenders/${tenderId}/bids/mine`, {
      method: "PUT",
      body: envelope,
      headers: { "X-Client-Fingerprint": await fingerprint() },
    });
    const receipt = r.receipt || {};
    const match = receipt.envelope_sha256 === localSha;
    const box = document.getElementById("receipt");
    box.hidden = false;
    box.replaceChildren(
      el("h3", {}, "投标回执"),
      el("p", {}, "回执编号：", el("code", { id: "receipt-id" }, receipt.id || "")),
      el("p", {}, "递交序号：", String(receipt.submission_no ?? "")),
      el("p", {}, "递交时间：", showTime(receipt.submitted_at || receipt.received_at)),
      el("p", {}, "密封文件 SHA-256：", el("code", { id: "receipt-sha" }, receipt.envelope_sha256 || "")),
      el("p", { class: match ? "ok" : "error", id: "receipt-check" }, match ? "与本机计算的哈希一致" : "与本机计算的哈希不一致！"),
    );
    say(`投标文件已加密递交：报价 ${showMoney(price)} 只以密文离开本浏览器。`, match ? "ok" : "error");
    box.scrollIntoView();
  } catch (e) {
    say(`递交失败：${e.message}${e.code ? `（${e.code}）` : ""}`, "error");
  } finally {
    button.disabled = false;
  }
}

document.getElementById("seal-form").addEventListener("submit", onSubmit);
initAuth();
loadTender();
