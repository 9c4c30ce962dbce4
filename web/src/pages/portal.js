// The public portal (门户): the announcements of every line of business with a category filter,
// a Chinese text search and "more" paging by the sequencer's cursor; the results (awards,
// auction results, contracts) with their amounts; the statistics per line of business; and the
// lookup of a tender's public record by its id and the platform's signing key. Everything shown
// comes from the public API (no token needed) and goes into the page as text, never as HTML.

import { api, el, initAuth, say, showMoney, showTime } from "../common.js";

/** The API's line-of-business codes with their zh-CN names (docs/PUBLIC.md). */
const CATEGORY_NAMES = {
  construction: "工程建设",
  procurement: "政府采购",
  property: "产权交易",
  land: "土地",
};

/** The announcement kinds (docs/PUBLIC.md) with their zh-CN names. */
const KIND_NAMES = {
  notice: "招标（采购）公告",
  clarification: "澄清（变更）公告",
  closing_manifest: "投标截止清单",
  opening_record: "开标记录",
  candidates: "中标候选人公示",
  award: "中标（成交）结果",
  contract: "合同公告",
  cancellation: "终止公告",
  auction_notice: "拍卖（挂牌）公告",
  auction_result: "竞价结果",
};

const categoryName = (c) => CATEGORY_NAMES[c] || c || "—";
const kindName = (k) => KIND_NAMES[k] || k || "—";

/** The page of the subject an item is about: a tender's or a lot's public page. */
function subjectLink(item) {
  const id = String(item.subject_id || "");
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  if (item.subject_type === "tender") return `/tenders/${id}`;
  if (item.subject_type === "auction") return `/auctions/${id}`;
  return null;
}

/** The title cell: a link to the subject's page when there is one, with the summary under it. */
function titleCell(item) {
  const href = subjectLink(item);
  const title = href ? el("a", { href, class: "title" }, item.title) : el("span", { class: "title" }, item.title);
  const cell = el("td", {}, title);
  if (item.summary) cell.append(el("div", { class: "muted" }, item.summary));
  return cell;
}

/** A query string of the set parameters. */
function query(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") u.set(k, String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : "";
}

/**
 * A paged list: `load(more)` fetches the first page (replacing the rows) or the next one
 * (`after=<next>`, appending), and shows the "more" button while the API has a `next`.
 */
function pagedList({ path, params, tbody, empty, more, row }) {
  let next = null;
  let generation = 0;
  const load = async (append) => {
    const mine = ++generation;
    const p = { ...params(), limit: 20 };
    if (append && next !== null) p.after = next;
    const page = await api(`${path}${query(p)}`);
    if (mine !== generation) return; // a newer search replaced this one
    if (!append) tbody.replaceChildren();
    for (const item of page.items) tbody.append(row(item));
    next = page.next ?? null;
    more.hidden = next === null;
    empty.hidden = tbody.children.length > 0;
  };
  more.addEventListener("click", () => load(true).catch((e) => say(`加载失败：${e.message}`, "error")));
  return load;
}

const filter = document.getElementById("filter");
const filterParams = () => {
  const fd = new FormData(filter);
  return { category: fd.get("category"), q: String(fd.get("q") || "").trim() };
};

const loadAnnouncements = pagedList({
  path: "/public/announcements",
  params: filterParams,
  tbody: document.querySelector("#announcements tbody"),
  empty: document.getElementById("announcements-empty"),
  more: document.getElementById("announcements-more"),
  row: (a) =>
    el(
      "tr",
      { class: "announcement", dataset: { seq: a.seq, kind: a.kind } },
      titleCell(a),
      el("td", {}, kindName(a.kind)),
      el("td", {}, categoryName(a.category)),
      el("td", {}, showTime(a.published_at)),
    ),
});

/** Who won and how a result ended, in one line. */
function outcome(r) {
  if (r.kind === "auction_result") return r.result === "sold" ? "成交" : r.result === "unsold" ? "流拍" : "—";
  const who = r.winner_name || "—";
  return r.kind === "contract" && r.signed_at ? `${who}（${showTime(r.signed_at)} 签订）` : who;
}

const loadResults = pagedList({
  path: "/public/results",
  params: () => ({ category: filterParams().category }),
  tbody: document.querySelector("#results tbody"),
  empty: document.getElementById("results-empty"),
  more: document.getElementById("results-more"),
  row: (r) =>
    el(
      "tr",
      { class: "result", dataset: { seq: r.seq, kind: r.kind } },
      titleCell(r),
      el("td", {}, kindName(r.kind)),
      el("td", {}, categoryName(r.category)),
      el("td", {}, outcome(r)),
      el("td", { class: "price" }, showMoney(r.amount)),
      el("td", {}, showTime(r.published_at)),
    ),
});

/** A percentage string ("12.50") as "12.50%", or "—" when its base was zero. */
const showRate = (r) => (r === null || r === undefined ? "—" : `${r}%`);

async function loadStats() {
  const s = await api("/public/stats");
  const tbody = document.querySelector("#stats tbody");
  tbody.replaceChildren(
    ...s.items.map((i) =>
      el(
        "tr",
        { class: "stat", dataset: { category: i.category } },
        el("th", {}, categoryName(i.category)),
        el("td", { class: "count" }, String(i.count)),
        el("td", {}, showMoney(i.budget)),
        el("td", {}, showMoney(i.contract_value)),
        el("td", {}, showMoney(i.savings)),
        el("td", {}, showRate(i.savings_rate)),
        el("td", {}, showMoney(i.premium)),
        el("td", {}, showRate(i.premium_rate)),
        el("td", {}, `${showRate(i.on_time_rate)}（${i.on_time}/${i.on_time_steps}）`),
      ),
    ),
  );
}

const failed = (what) => (e) => say(`${what}加载失败：${e.message}`, "error");

filter.addEventListener("submit", (ev) => {
  ev.preventDefault();
  say("");
  loadAnnouncements(false).catch(failed("公告"));
  loadResults(false).catch(failed("结果"));
});
filter.elements.category.addEventListener("change", () => filter.requestSubmit());

document.getElementById("lookup").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const id = String(new FormData(ev.target).get("tender_id") || "").trim();
  if (!/^[0-9a-f-]{36}$/i.test(id)) return say("请输入项目编号（UUID）", "error");
  location.href = `/tenders/${id}`;
});

initAuth();
loadAnnouncements(false).catch(failed("公告"));
loadResults(false).catch(failed("结果"));
loadStats().catch(failed("统计"));
api("/keys/platform")
  .then((k) => {
    document.getElementById("platform-key").textContent = k.public_key;
  })
  .catch(() => {});
