// src/common.js
var TOKEN_KEY = "ggzy.token";
var USER_KEY = "ggzy.user";
function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}
function currentUser() {
  const u = sessionStorage.getItem(USER_KEY);
  return u ? JSON.parse(u) : null;
}
var ApiError = class extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code || "";
  }
};
async function api(path, { method = "GET", body, headers = {} } = {}) {
  const h = { Accept: "application/json", ...headers };
  const t = token();
  if (t) h.Authorization = `Bearer ${t}`;
  let payload;
  if (body !== void 0) {
    if (typeof body === "string" || body instanceof Uint8Array) {
      payload = body;
    } else {
      payload = JSON.stringify(body);
    }
    h["Content-Type"] = h["Content-Type"] || "application/json";
  }
  const r = await fetch(`/api/v1${path}`, { method, headers: h, body: payload });
  const text = await r.text();
  let json = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = { detail: text };
    }
  }
  if (!r.ok) throw new ApiError(r.status, json);
  return json;
}
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "dataset") Object.assign(e.dataset, v);
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== void 0 && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) {
    if (c === null || c === void 0) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
function say(text, kind = "info") {
  const s = document.getElementById("status");
  if (!s) return;
  s.textContent = text;
  s.className = `status ${kind}`;
}
var TIME_FMT = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false
});
function showTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : TIME_FMT.format(d);
}
function showMoney(s) {
  if (s === null || s === void 0 || s === "") return "—";
  const [int, frac] = String(s).split(".");
  const neg = int.startsWith("-");
  const digits = neg ? int.slice(1) : int;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${neg ? "-" : ""}¥${grouped}${frac !== void 0 ? `.${frac}` : ""}`;
}
var ROLE_NAMES = {
  admin: "系统管理员",
  agency: "招标代理",
  purchaser: "采购人/招标人",
  bidder: "投标人/竞买人",
  expert: "评标专家",
  center_staff: "交易中心工作人员",
  regulator: "行政监督部门",
  supervisor: "监督人员",
  social_supervisor: "社会监督员"
};
function roleName(r) {
  return ROLE_NAMES[r] || r;
}
function initAuth(onReady) {
  const form = document.getElementById("login");
  const who = document.getElementById("who");
  const logout = document.getElementById("logout");
  const render = () => {
    const u = currentUser();
    if (u && token()) {
      form.hidden = true;
      who.hidden = false;
      who.querySelector(".name").textContent = `${u.display_name || u.username}（${roleName(u.role)}）`;
    } else {
      form.hidden = false;
      who.hidden = true;
    }
  };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    try {
      const r = await api("/auth/login", {
        method: "POST",
        body: { username: fd.get("username"), password: fd.get("password") }
      });
      sessionStorage.setItem(TOKEN_KEY, r.access_token);
      sessionStorage.setItem(USER_KEY, JSON.stringify(r.user));
      form.reset();
      render();
      say("已登录", "ok");
      if (onReady) onReady(r.user);
    } catch (e) {
      say(`登录失败：${e.message}`, "error");
    }
  });
  logout.addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
    location.reload();
  });
  render();
  if (token() && currentUser() && onReady) onReady(currentUser());
}

// src/pages/portal.js
var CATEGORY_NAMES = {
  construction: "工程建设",
  procurement: "政府采购",
  property: "产权交易",
  land: "土地"
};
var KIND_NAMES = {
  notice: "招标（采购）公告",
  clarification: "澄清（变更）公告",
  closing_manifest: "投标截止清单",
  opening_record: "开标记录",
  candidates: "中标候选人公示",
  award: "中标（成交）结果",
  contract: "合同公告",
  cancellation: "终止公告",
  auction_notice: "拍卖（挂牌）公告",
  auction_result: "竞价结果"
};
var categoryName = (c) => CATEGORY_NAMES[c] || c || "—";
var kindName = (k) => KIND_NAMES[k] || k || "—";
function subjectLink(item) {
  const id = String(item.subject_id || "");
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  if (item.subject_type === "tender") return `/tenders/${id}`;
  if (item.subject_type === "auction") return `/auctions/${id}`;
  return null;
}
function titleCell(item) {
  const href = subjectLink(item);
  const title = href ? el("a", { href, class: "title" }, item.title) : el("span", { class: "title" }, item.title);
  const cell = el("td", {}, title);
  if (item.summary) cell.append(el("div", { class: "muted" }, item.summary));
  return cell;
}
function query(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== void 0 && v !== null && v !== "") u.set(k, String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : "";
}
function pagedList({ path, params, tbody, empty, more, row }) {
  let next = null;
  let generation = 0;
  const load = async (append) => {
    const mine = ++generation;
    const p = { ...params(), limit: 20 };
    if (append && next !== null) p.after = next;
    const page = await api(`${path}${query(p)}`);
    if (mine !== generation) return;
    if (!append) tbody.replaceChildren();
    for (const item of page.items) tbody.append(row(item));
    next = page.next ?? null;
    more.hidden = next === null;
    empty.hidden = tbody.children.length > 0;
  };
  more.addEventListener("click", () => load(true).catch((e) => say(`加载失败：${e.message}`, "error")));
  return load;
}
var filter = document.getElementById("filter");
var filterParams = () => {
  const fd = new FormData(filter);
  return { category: fd.get("category"), q: String(fd.get("q") || "").trim() };
};
var loadAnnouncements = pagedList({
  path: "/public/announcements",
  params: filterParams,
  tbody: document.querySelector("#announcements tbody"),
  empty: document.getElementById("announcements-empty"),
  more: document.getElementById("announcements-more"),
  row: (a) => el(
    "tr",
    { class: "announcement", dataset: { seq: a.seq, kind: a.kind } },
    titleCell(a),
    el("td", {}, kindName(a.kind)),
    el("td", {}, categoryName(a.category)),
    el("td", {}, showTime(a.published_at))
  )
});
function outcome(r) {
  if (r.kind === "auction_result") return r.result === "sold" ? "成交" : r.result === "unsold" ? "流拍" : "—";
  const who = r.winner_name || "—";
  return r.kind === "contract" && r.signed_at ? `${who}（${showTime(r.signed_at)} 签订）` : who;
}
var loadResults = pagedList({
  path: "/public/results",
  params: () => ({ category: filterParams().category }),
  tbody: document.querySelector("#results tbody"),
  empty: document.getElementById("results-empty"),
  more: document.getElementById("results-more"),
  row: (r) => el(
    "tr",
    { class: "result", dataset: { seq: r.seq, kind: r.kind } },
    titleCell(r),
    el("td", {}, kindName(r.kind)),
    el("td", {}, categoryName(r.category)),
    el("td", {}, outcome(r)),
    el("td", { class: "price" }, showMoney(r.amount)),
    el("td", {}, showTime(r.published_at))
  )
});
var showRate = (r) => r === null || r === void 0 ? "—" : `${r}%`;
async function loadStats() {
  const s = await api("/public/stats");
  const tbody = document.querySelector("#stats tbody");
  tbody.replaceChildren(
    ...s.items.map(
      (i) => el(
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
        el("td", {}, `${showRate(i.on_time_rate)}（${i.on_time}/${i.on_time_steps}）`)
      )
    )
  );
}
var failed = (what) => (e) => say(`${what}加载失败：${e.message}`, "error");
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
api("/keys/platform").then((k) => {
  document.getElementById("platform-key").textContent = k.public_key;
}).catch(() => {
});
