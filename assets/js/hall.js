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
function msBetween(a, b) {
  return new Date(b).getTime() - new Date(a).getTime();
}
function showDuration(ms) {
  const total = Math.max(0, Math.ceil(ms / 1e3));
  const h = Math.floor(total / 3600);
  const m = Math.floor(total % 3600 / 60);
  const s = total % 60;
  const two = (n) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
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
function pageData(name) {
  return document.querySelector("main").dataset[name];
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

// src/pages/hall.js
var auctionId = pageData("auction");
var remainingAtAnchor = null;
var serverAtAnchor = null;
var anchorMono = 0;
var lastSeq = null;
var closed = false;
var socket = null;
function anchor(state) {
  anchorMono = performance.now();
  serverAtAnchor = new Date(state.server_time).getTime();
  remainingAtAnchor = state.ends_at ? msBetween(state.server_time, state.ends_at) : null;
}
function apply(state) {
  if (state.seq !== void 0 && state.seq !== null) lastSeq = Math.max(lastSeq ?? 0, state.seq);
  if (state.server_time) anchor(state);
  const status = state.status || state.stage;
  if (status) {
    document.getElementById("stage").textContent = status === "closed" ? "已结束" : statusName(status);
    closed = status === "closed";
  }
  if (state.type === "closed") closed = true;
  if (state.type === "suspended") document.getElementById("stage").textContent = "已暂停";
  const price = state.current_price ?? state.amount;
  if (price) {
    const p = document.getElementById("price");
    p.textContent = showMoney(price);
    p.dataset.amount = price;
  }
  const leader = state.leader_number ?? state.bidder_number;
  if (leader) document.getElementById("leader").textContent = leader;
  if (state.bid_count !== void 0) document.getElementById("bid-count").textContent = String(state.bid_count);
  if (state.ends_at) document.getElementById("ends-at").textContent = showTime(state.ends_at);
  tick();
}
function tick() {
  const c = document.getElementById("countdown");
  const elapsed = performance.now() - anchorMono;
  if (serverAtAnchor !== null) {
    document.getElementById("server-time").textContent = showTime(new Date(serverAtAnchor + elapsed).toISOString());
  }
  if (remainingAtAnchor === null || closed) {
    c.textContent = closed ? "已结束" : "—";
    c.dataset.remainingMs = "";
    return;
  }
  const left = Math.max(0, remainingAtAnchor - elapsed);
  c.textContent = showDuration(left);
  c.dataset.remainingMs = String(Math.round(left));
}
function connect() {
  socket = openSocket(`/auctions/${auctionId}/live`, { after_seq: lastSeq });
  socket.addEventListener("message", (m) => {
    try {
      apply(JSON.parse(m.data));
    } catch {
    }
  });
  socket.addEventListener("close", () => {
    if (!closed) setTimeout(connect, 1e3);
  });
}
async function start() {
  try {
    apply(await api(`/auctions/${auctionId}`));
    connect();
    say("已连接竞价大厅", "ok");
  } catch (e) {
    say(`无法读取竞价：${e.message}`, "error");
  }
}
document.getElementById("bid-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const amount = String(new FormData(ev.target).get("amount") || "").trim();
  if (!/^\d+(\.\d{1,2})?$/.test(amount)) return say("报价须为不超过两位小数的金额", "error");
  try {
    const r = await api(`/auctions/${auctionId}/bids`, { method: "POST", body: { amount } });
    apply({ ...r, current_price: r.amount });
    say(`报价 ${showMoney(r.amount)} 已被接受`, "ok");
  } catch (e) {
    say(`报价未被接受：${e.message}${e.code ? `（${e.code}）` : ""}`, "error");
  }
});
setInterval(tick, 200);
initAuth(() => start());
