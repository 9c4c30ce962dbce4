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

// src/pages/tender.js
var tenderId = pageData("tender");
async function section(id, path, render) {
  const box = document.getElementById(id);
  try {
    box.replaceChildren(...render(await api(path)));
  } catch (e) {
    box.replaceChildren(el("p", { class: "muted" }, e.status === 404 ? "尚未公开" : `无法读取（${e.message}）`));
  }
}
var METHODS = {
  open_tender: "公开招标",
  invited_tender: "邀请招标",
  competitive_negotiation: "竞争性谈判",
  competitive_consultation: "竞争性磋商",
  inquiry: "询价",
  single_source: "单一来源"
};
var kv = (k, v) => el("tr", {}, el("th", {}, k), el("td", {}, v ?? "—"));
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
      kv("加密格式", t.sealing?.format)
    ),
    el(
      "p",
      {},
      el("a", { href: `/bid/${tenderId}` }, "投标人：加密递交投标文件"),
      "　",
      el("a", { href: `/holder/${tenderId}` }, "持钥人：开标解密")
    )
  ];
});
section("files", `/tenders/${tenderId}/files`, (r) => [
  el("ul", {}, ...(r.items || []).map((f) => el("li", {}, f.name, " ", el("code", {}, f.sha256 || ""))))
]);
section("manifest", `/tenders/${tenderId}/closing-manifest`, (m) => [
  el("p", {}, `截标时共收到 ${(m.bids || []).length} 份密封投标文件`)
]);
section("opening", `/tenders/${tenderId}/opening`, (o) => [
  el(
    "table",
    {},
    el("tr", {}, el("th", {}, "投标人"), el("th", {}, "状态"), el("th", {}, "报价"), el("th", {}, "工期")),
    ...(o.bids || []).map(
      (b) => el(
        "tr",
        {},
        el("td", {}, b.bidder_name || b.org_code || ""),
        el("td", {}, b.status === "opened" ? "已解密" : b.status),
        el("td", { class: "price" }, showMoney(b.price)),
        el("td", {}, b.duration_days ?? "—")
      )
    )
  )
]);
section("candidates", `/tenders/${tenderId}/candidates`, (c) => [
  el(
    "table",
    {},
    el("tr", {}, el("th", {}, "排名"), el("th", {}, "中标候选人"), el("th", {}, "报价"), el("th", {}, "得分")),
    ...(c.items || []).map(
      (x) => el(
        "tr",
        {},
        el("td", {}, String(x.rank)),
        el("td", {}, x.bidder_name),
        el("td", {}, showMoney(x.price)),
        el("td", {}, x.score ?? "—")
      )
    )
  ),
  el("p", { class: "muted" }, `公示截止：${showTime(c.publicity_ends_at)}`)
]);
say("");
