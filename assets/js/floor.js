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
function openSocket(path, params = {}) {
  const t = token();
  return new WebSocket(wsUrl(path, params), t ? ["ggzy", `bearer.${t}`] : ["ggzy"]);
}
function wsUrl(path, params = {}) {
  const u = new URL(`/api/v1${path}`, location.href);
  u.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  for (const [k, v] of Object.entries(params)) {
    if (v !== void 0 && v !== null) u.searchParams.set(k, String(v));
  }
  return u.toString();
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
var STATUS_NAMES = {
  draft: "草稿",
  bidding: "投标中",
  closed: "已截标",
  opening: "开标中",
  evaluation: "评标中",
  publicity: "公示中",
  awarded: "已定标",
  contracted: "已签约",
  failed: "流标",
  cancelled: "已终止",
  scheduled: "未开始",
  listing: "挂牌期",
  free_bidding: "自由竞价",
  timed: "限时竞价",
  on_site: "现场竞价"
};
function statusName(s) {
  return STATUS_NAMES[s] || s || "—";
}
var EVENT_NAMES = {
  "auction.bid": "竞价出价",
  "auction.extended": "竞价延时",
  "auction.stage": "竞价阶段变更",
  "auction.suspended": "竞价暂停",
  "auction.resumed": "竞价恢复",
  "auction.closed": "竞价结束",
  "tender.published": "招标公告发布",
  "tender.clarified": "澄清/修改",
  "tender.closed": "截标",
  "tender.opening_shares": "持钥人提交分片",
  "tender.opened": "开标",
  "tender.failed": "流标",
  "tender.publicity_started": "中标候选人公示",
  "tender.awarded": "定标",
  "tender.contracted": "签订合同",
  "tender.cancelled": "终止招标",
  "warning.raised": "预警",
  "warning.resolved": "预警已处理",
  "observation.recorded": "社会监督意见",
  "observation.answered": "监督意见已答复",
  "complaint.filed": "投诉",
  "venue.booked": "场地预约"
};
function eventName(t) {
  return EVENT_NAMES[t] || t;
}

// src/pages/floor.js
var lastSeq = 0;
function tenderRow(t) {
  return el(
    "tr",
    { dataset: { id: t.id } },
    el("td", {}, t.code),
    el("td", {}, t.title),
    el("td", {}, statusName(t.status)),
    el("td", {}, showTime(t.bid_deadline)),
    el("td", {}, showTime(t.opening_at))
  );
}
function auctionRow(a) {
  return el(
    "tr",
    { dataset: { id: a.id } },
    el("td", {}, a.code),
    el("td", {}, a.title),
    el("td", { class: "stage" }, a.paused ? `${statusName(a.stage)}（暂停）` : statusName(a.stage)),
    el("td", { class: "price", dataset: { amount: a.current_price || "" } }, showMoney(a.current_price)),
    el("td", { class: "count" }, String(a.bid_count)),
    el("td", { class: "ends" }, showTime(a.ends_at))
  );
}
function onEvent(m) {
  if (typeof m.seq === "number") lastSeq = Math.max(lastSeq, m.seq);
  const list = document.getElementById("events");
  list.prepend(
    el(
      "li",
      { dataset: { seq: m.seq, type: m.type } },
      `${showTime(m.at)}　${eventName(m.type)}　`,
      m.data?.amount ? showMoney(m.data.amount) : ""
    )
  );
  while (list.children.length > 50) list.lastChild.remove();
  if (m.subject_type === "auction" && m.type === "auction.bid") {
    const row = document.querySelector(`#auctions tr[data-id="${m.subject_id}"]`);
    if (row && m.data?.amount) {
      const p = row.querySelector(".price");
      p.textContent = showMoney(m.data.amount);
      p.dataset.amount = m.data.amount;
      const c = row.querySelector(".count");
      c.textContent = String(Number(c.textContent || "0") + 1);
      if (m.data.ends_at) row.querySelector(".ends").textContent = showTime(m.data.ends_at);
    }
  }
}
function connect() {
  const ws = openSocket("/floor/live", { after_seq: lastSeq });
  ws.addEventListener("message", (ev) => {
    try {
      onEvent(JSON.parse(ev.data));
    } catch {
    }
  });
  ws.addEventListener("open", () => document.body.classList.add("live"));
  ws.addEventListener("close", () => {
    document.body.classList.remove("live");
    setTimeout(connect, 1e3);
  });
}
async function start() {
  try {
    const f = await api("/floor");
    lastSeq = f.seq || 0;
    document.getElementById("tenders").replaceChildren(...f.tenders.map(tenderRow));
    document.getElementById("auctions").replaceChildren(...f.auctions.map(auctionRow));
    document.getElementById("warning-count").textContent = String(f.warnings.length);
    document.getElementById("snapshot-time").textContent = showTime(f.server_time);
    connect();
    say("实时连接中", "ok");
  } catch (e) {
    say(`无法读取现场数据：${e.message}`, "error");
  }
}
initAuth(() => start());
