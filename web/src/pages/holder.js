// The key holder's opening page (开标解密): the holder signs in, gives its per-tender age
// identity (pasted or read from a file; it never leaves the browser), and the page decrypts the
// holder's bundles locally and submits only the pieces (POST /tenders/{id}/opening/shares).

import { Decrypter } from "age-encryption";
import { api, el, initAuth, pageData, say, statusName, unb64 } from "../common.js";

const tenderId = pageData("tender");

/** The two pieces each holder's bundle carries, to check what we submit. */
const BRANCH_PIECES = { decide: ["2", "3"], execute: ["1", "3"], supervise: ["1", "2"] };

function branchOf(keys) {
  const k = keys.slice().sort().join(",");
  return Object.keys(BRANCH_PIECES).find((b) => BRANCH_PIECES[b].join(",") === k) || null;
}

async function identityText(form) {
  const file = form.querySelector("input[name=identity_file]").files[0];
  const pasted = String(new FormData(form).get("identity") || "");
  const text = file ? await file.text() : pasted;
  // age key files carry comment lines; the identity is the AGE-SECRET-KEY-1 line.
  const line = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l.startsWith("AGE-SECRET-KEY-1"));
  if (!line) throw new Error("没有找到 AGE-SECRET-KEY-1 私钥");
  return line;
}

async function onSubmit(ev) {
  ev.preventDefault();
  const form = ev.target;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const identity = await identityText(form);
    const d = new Decrypter();
    d.addIdentity(identity);
    say("正在读取本人的密钥分片包……");
    const r = await api(`/tenders/${tenderId}/opening/share-bundles`);
    const shares = [];
    let branch = null;
    for (const item of r.items || []) {
      const plain = JSON.parse(await d.decrypt(unb64(item.bundle), "text"));
      if (plain.tender_id !== tenderId) throw new Error(`分片包属于其他项目 ${plain.tender_id}`);
      const b = branchOf(Object.keys(plain.pieces || {}));
      if (!b || (branch && b !== branch)) throw new Error("分片包内容不符合 ggzy-sealed-bid/1");
      branch = b;
      shares.push({ bid_id: item.bid_id, pieces: plain.pieces });
    }
    say(`已在本机解密 ${shares.length} 份分片包，正在提交分片……`);
    const res = await api(`/tenders/${tenderId}/opening/shares`, { method: "POST", body: { shares } });
    const out = document.getElementById("result");
    out.hidden = false;
    out.replaceChildren(
      el("p", {}, "本方：", { decide: "决策方", execute: "执行方", supervise: "监督方" }[branch] || "—", "；已提交分片的投标：", String(shares.length)),
      el("p", {}, "尚待解密的投标：", el("span", { id: "waiting" }, String(res.waiting ?? "—"))),
      el("p", {}, "项目状态：", el("span", { id: "opening-status" }, statusName(res.status))),
    );
    say("分片已提交，私钥未离开本浏览器。", "ok");
  } catch (e) {
    say(`解密或提交失败：${e.message}${e.code ? `（${e.code}）` : ""}`, "error");
  } finally {
    button.disabled = false;
  }
}

document.getElementById("holder-form").addEventListener("submit", onSubmit);
initAuth();
