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

// src/pages/supervise.js
var LEVELS = { yellow: "黄牌", red: "红牌" };
function fail(what) {
  return (e) => say(`${what}失败：${e.message}${e.code ? `（${e.code}）` : ""}`, "error");
}
async function loadWarnings() {
  const r = await api("/supervision/warnings?status=open");
  const rows = (r.items || []).map((w) => {
    const evidence = el("input", { name: "evidence", placeholder: "处理依据", required: true });
    const form = el(
      "form",
      {
        class: "inline",
        onsubmit: async (ev) => {
          ev.preventDefault();
          try {
            await api(`/supervision/warnings/${w.id}/resolve`, { method: "POST", body: { evidence: evidence.value } });
            say("预警已处理", "ok");
            await loadWarnings();
          } catch (e) {
            fail("处理预警")(e);
          }
        }
      },
      evidence,
      el("button", { type: "submit" }, "处理")
    );
    return el(
      "tr",
      { dataset: { id: w.id, level: w.level } },
      el("td", { class: `level ${w.level}` }, LEVELS[w.level] || w.level),
      el("td", {}, w.rule, el("br"), el("small", {}, w.citation || "")),
      el("td", {}, `${w.subject_type} `, el("code", {}, w.subject_id)),
      el("td", {}, w.owner || ""),
      el("td", {}, showTime(w.due_at)),
      el("td", {}, form)
    );
  });
  document.getElementById("warnings").replaceChildren(...rows);
  document.getElementById("warning-count").textContent = String(rows.length);
}
async function loadObservations() {
  const r = await api("/observations");
  const rows = (r.items || []).map((o) => {
    const text = el("input", { name: "text", placeholder: "答复", required: true });
    const answer = o.kind === "concern" && !o.answer ? el(
      "form",
      {
        class: "inline",
        onsubmit: async (ev) => {
          ev.preventDefault();
          try {
            await api(`/observations/${o.id}/answer`, { method: "POST", body: { text: text.value } });
            say("已答复", "ok");
            await loadObservations();
          } catch (e) {
            fail("答复")(e);
          }
        }
      },
      text,
      el("button", { type: "submit" }, "答复")
    ) : el("span", {}, o.answer?.text || o.status || "");
    return el(
      "tr",
      { dataset: { id: o.id } },
      el("td", {}, showTime(o.at || o.created_at)),
      el("td", {}, o.kind),
      el("td", {}, o.text),
      el("td", {}, `${o.subject_type} `, el("code", {}, o.subject_id)),
      el("td", {}, answer)
    );
  });
  document.getElementById("observations").replaceChildren(...rows);
}
document.getElementById("flags-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const id = String(new FormData(ev.target).get("subject_id") || "").trim();
  try {
    const r = await api(`/supervision/red-flags?subject_id=${encodeURIComponent(id)}`);
    const rows = (r.items || []).map(
      (f) => el(
        "tr",
        {},
        el("td", {}, f.indicator),
        el("td", {}, f.citation || ""),
        el("td", {}, (f.bidders || []).join("、")),
        el("td", {}, String(f.score ?? "")),
        el("td", {}, el("code", {}, JSON.stringify(f.evidence ?? {})))
      )
    );
    document.getElementById("flags").replaceChildren(...rows);
    say(`红旗指标 ${rows.length} 项`, "ok");
  } catch (e) {
    fail("查询红旗指标")(e);
  }
});
document.getElementById("hold-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const fd = new FormData(ev.target);
  try {
    await api("/holds", {
      method: "POST",
      body: {
        subject_type: fd.get("subject_type"),
        subject_id: String(fd.get("subject_id") || "").trim(),
        kind: fd.get("kind"),
        reason: fd.get("reason")
      }
    });
    say(fd.get("kind") === "suspend" ? "已暂停" : "已恢复", "ok");
    ev.target.reset();
  } catch (e) {
    fail("暂停/恢复")(e);
  }
});
initAuth(async () => {
  try {
    await loadWarnings();
    await loadObservations();
    say("监督数据已加载", "ok");
  } catch (e) {
    fail("加载")(e);
  }
});
