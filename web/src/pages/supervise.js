// The supervisor console (监督控制台): open warnings (resolve with evidence), red flags of a
// tender (围标串标 indicators), social supervisors' observations (answer), and holds
// (suspend/resume a tender or auction) — all through the supervise plane's routes.

import { api, el, initAuth, say, showTime } from "../common.js";

const LEVELS = { yellow: "黄牌", red: "红牌" };

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
        },
      },
      evidence,
      el("button", { type: "submit" }, "处理"),
    );
    return el(
      "tr",
      { dataset: { id: w.id, level: w.level } },
      el("td", { class: `level ${w.level}` }, LEVELS[w.level] || w.level),
      el("td", {}, w.rule, el("br"), el("small", {}, w.citation || "")),
      el("td", {}, `${w.subject_type} `, el("code", {}, w.subject_id)),
      el("td", {}, w.owner || ""),
      el("td", {}, showTime(w.due_at)),
      el("td", {}, form),
    );
  });
  document.getElementById("warnings").replaceChildren(...rows);
  document.getElementById("warning-count").textContent = String(rows.length);
}

async function loadObservations() {
  const r = await api("/observations");
  const rows = (r.items || []).map((o) => {
    const text = el("input", { name: "text", placeholder: "答复", required: true });
    const answer =
      o.kind === "concern" && !o.answer
        ? el(
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
              },
            },
            text,
            el("button", { type: "submit" }, "答复"),
          )
        : el("span", {}, o.answer?.text || o.status || "");
    return el(
      "tr",
      { dataset: { id: o.id } },
      el("td", {}, showTime(o.at || o.created_at)),
      el("td", {}, o.kind),
      el("td", {}, o.text),
      el("td", {}, `${o.subject_type} `, el("code", {}, o.subject_id)),
      el("td", {}, answer),
    );
  });
  document.getElementById("observations").replaceChildren(...rows);
}

document.getElementById("flags-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const id = String(new FormData(ev.target).get("subject_id") || "").trim();
  try {
    const r = await api(`/supervision/red-flags?subject_id=${encodeURIComponent(id)}`);
    const rows = (r.items || []).map((f) =>
      el(
        "tr",
        {},
        el("td", {}, f.indicator),
        el("td", {}, f.citation || ""),
        el("td", {}, (f.bidders || []).join("、")),
        el("td", {}, String(f.score ?? "")),
        el("td", {}, el("code", {}, JSON.stringify(f.evidence ?? {}))),
      ),
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
        reason: fd.get("reason"),
      },
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
