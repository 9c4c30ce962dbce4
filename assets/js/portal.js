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
document.getElementById("lookup").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const id = String(new FormData(ev.target).get("tender_id") || "").trim();
  if (!/^[0-9a-f-]{36}$/i.test(id)) return say("请输入项目编号（UUID）", "error");
  location.href = `/tenders/${id}`;
});
initAuth();
api("/keys/platform").then((k) => {
  document.getElementById("platform-key").textContent = k.public_key;
}).catch(() => {
});
