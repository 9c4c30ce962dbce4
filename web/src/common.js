// Shared by every page: the bearer token in sessionStorage, the JSON API client, the login
// box, and zh-CN display helpers (times in Asia/Shanghai, money strings never through floats).

const TOKEN_KEY = "ggzy.token";
const USER_KEY = "ggzy.user";

/** The bearer token of this tab, or null. */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** The signed-in user ({id, username, role, ...}) of this tab, or null. */
export function currentUser() {
  const u = sessionStorage.getItem(USER_KEY);
  return u ? JSON.parse(u) : null;
}

/** An API error with the problem+json `code` and `detail`. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code || "";
  }
}

/** Calls the JSON API under /api/v1 with the tab's token; `body` is JSON or raw bytes/string. */
export async function api(path, { method = "GET", body, headers = {} } = {}) {
  const h = { Accept: "application/json", ...headers };
  const t = token();
  if (t) h.Authorization = `Bearer ${t}`;
  let payload;
  if (body !== undefined) {
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

/**
 * Opens a live route's WebSocket. Browsers cannot send an Authorization header on a WebSocket,
 * so the token travels as the subprotocol `bearer.<token>` next to `ggzy` (which the server
 * selects), not in the URL, where it would land in access logs.
 */
export function openSocket(path, params = {}) {
  const t = token();
  return new WebSocket(wsUrl(path, params), t ? ["ggzy", `bearer.${t}`] : ["ggzy"]);
}

/** The WebSocket URL of a live route (without the token). */
export function wsUrl(path, params = {}) {
  const u = new URL(`/api/v1${path}`, location.href);
  u.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null) u.searchParams.set(k, String(v));
  }
  return u.toString();
}

/** Creates an element: el("td", {class: "x", dataset: {id: 1}}, "text", child...). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "dataset") Object.assign(e.dataset, v);
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** Shows a message in the page's status line (`kind` = ok | error | info). */
export function say(text, kind = "info") {
  const s = document.getElementById("status");
  if (!s) return;
  s.textContent = text;
  s.className = `status ${kind}`;
}

const TIME_FMT = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});

/** An RFC 3339 instant shown in Beijing time (Asia/Shanghai), or "—". */
export function showTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : TIME_FMT.format(d);
}

/** A money string ("1234567.50") with thousands separators, as text: never a float. */
export function showMoney(s) {
  if (s === null || s === undefined || s === "") return "—";
  const [int, frac] = String(s).split(".");
  const neg = int.startsWith("-");
  const digits = neg ? int.slice(1) : int;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${neg ? "-" : ""}¥${grouped}${frac !== undefined ? `.${frac}` : ""}`;
}

/** Milliseconds between two RFC 3339 instants (b − a). */
export function msBetween(a, b) {
  return new Date(b).getTime() - new Date(a).getTime();
}

/** "hh:mm:ss" (or "mm:ss") of a non-negative duration in ms, rounded up to whole seconds. */
export function showDuration(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

const ROLE_NAMES = {
  admin: "系统管理员",
  agency: "招标代理",
  purchaser: "采购人/招标人",
  bidder: "投标人/竞买人",
  expert: "评标专家",
  center_staff: "交易中心工作人员",
  regulator: "行政监督部门",
  supervisor: "监督人员",
  social_supervisor: "社会监督员",
};

/** The zh-CN name of a role. */
export function roleName(r) {
  return ROLE_NAMES[r] || r;
}

/**
 * Wires the login box of the page header. `onReady(user)` runs once a token is present (at
 * load when the tab already signed in, or after a successful login); a page that needs no
 * sign-in passes nothing.
 */
export function initAuth(onReady) {
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
        body: { username: fd.get("username"), password: fd.get("password") },
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

/** The value of `data-<name>` on the page's <main>. */
export function pageData(name) {
  return document.querySelector("main").dataset[name];
}

/** Lowercase hex of bytes. */
export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Standard padded base64 of bytes (what the server's strict decoder wants). */
export function b64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Bytes of standard base64. */
export function unb64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Lowercase hex SHA-256 (WebCrypto). */
export async function sha256Hex(bytes) {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

/**
 * The client machine fingerprint sent as X-Client-Fingerprint with bids (as `ggzy seal` and the
 * demo do): a SHA-256 over stable browser traits, so that the supervision's collusion check
 * (围标串标) can see several bidders submitting from one machine. It identifies a browser
 * profile, not a person, and carries nothing secret.
 */
export async function fingerprint() {
  const traits = [
    navigator.userAgent,
    navigator.language,
    navigator.hardwareConcurrency,
    screen.width,
    screen.height,
    screen.colorDepth,
    Intl.DateTimeFormat().resolvedOptions().timeZone,
  ].join("|");
  return `web-${(await sha256Hex(new TextEncoder().encode(traits))).slice(0, 32)}`;
}

const STATUS_NAMES = {
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
  on_site: "现场竞价",
};

/** The zh-CN name of a tender status or an auction stage (the code itself when unknown). */
export function statusName(s) {
  return STATUS_NAMES[s] || s || "—";
}

const EVENT_NAMES = {
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
  "venue.booked": "场地预约",
};

/** The zh-CN name of a live event type, with the code for the unknown ones. */
export function eventName(t) {
  return EVENT_NAMES[t] || t;
}
