// A tender's public page (招标公告与公开记录): the notice, the tender documents list, the closing
// manifest, the opening record and the candidates, each from its public route once published.

import { api, el, initAuth, pageData, say, showMoney, showTime, statusName } from "../common.js";

const tenderId = pageData("tender");

async function section(id, path, render) {
  const box = document.getElementById(id);
  try {
    box.replaceChildren(...render(await api(path)));
  } catch (e) {
    box.replaceChildren(el("p", { class: "muted" }, e.status === 404 ? "尚未公开" : `无法读取（${e.message}）`));
  }
}

const METHODS = {
  open_tender: "公开招标",
  invited_tender: "邀请招标",
  competitive_negotiation: "竞争性谈判",
  competitive_consultation: "竞争性磋商",
  inquiry: "询价",
  single_source: "单一来源",
};

const kv = (k, v) => el("tr", {}, el("th", {}, k), el("td", {}, v ?? "—"));

initAuth();
section("notice", `/tenders/${tenderId}`, (t) => {
  document.getElementById("title").textContent = `${t.code || ""} ${t.title || ""}`;
  return [
    el(
      "table",
      { class: "kv" },
      kv("状态", statusName(t.status)),
      kv("招标方式", METHODS[t.method] || t.method),
      kv("最高投标限价", showMoney(t.max_price)),
      kv("文件获取", `${showTime(t.documents_from)} 至 ${showTime(t.documents_until)}`),
      kv("投标截止", showTime(t.bid_deadline)),
      kv("开标时间", showTime(t.opening_at)),
      kv("加密格式", t.sealing?.format),
    ),
    el("p", {}, el("a", { href: `/bid/${tenderId}` }, "投标人：加密递交投标文件"), "　",
      el("a", { href: `/holder/${tenderId}` }, "持钥人：开标解密")),
  ];
});
section("files", `/tenders/${tenderId}/files`, (r) => [
  el("ul", {}, ...(r.items || []).map((f) => el("li", {}, f.name, " ", el("code", {}, f.sha256 || "")))),
]);
section("manifest", `/tenders/${tenderId}/closing-manifest`, (m) => [
  el("p", {}, `截标时共收到 ${(m.bids || []).length} 份密封投标文件`),
]);
section("opening", `/tenders/${tenderId}/opening`, (o) => [
  el(
    "table",
    {},
    el("tr", {}, el("th", {}, "投标人"), el("th", {}, "状态"), el("th", {}, "报价"), el("th", {}, "工期")),
    ...(o.bids || []).map((b) =>
      el("tr", {}, el("td", {}, b.bidder_name || b.org_code || ""), el("td", {}, b.status === "opened" ? "已解密" : b.status),
        el("td", { class: "price" }, showMoney(b.price)), el("td", {}, b.duration_days ?? "—")),
    ),
  ),
]);
section("candidates", `/tenders/${tenderId}/candidates`, (c) => [
  el(
    "table",
    {},
    el("tr", {}, el("th", {}, "排名"), el("th", {}, "中标候选人"), el("th", {}, "报价"), el("th", {}, "得分")),
    ...(c.items || []).map((x) =>
      el("tr", {}, el("td", {}, String(x.rank)), el("td", {}, x.bidder_name), el("td", {}, showMoney(x.price)),
        el("td", {}, x.score ?? "—")),
    ),
  ),
  el("p", { class: "muted" }, `公示截止：${showTime(c.publicity_ends_at)}`),
]);
say("");
