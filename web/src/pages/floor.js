// The floor board for the hall's big screen (交易现场大屏): GET /floor as a snapshot, then
// /floor/live (WebSocket) from the snapshot's seq, so a new bid shows without reloading.

import { api, openSocket, el, eventName, initAuth, say, showMoney, showTime, statusName } from "../common.js";

let lastSeq = 0;

function tenderRow(t) {
  return el(
    "tr",
    { dataset: { id: t.id } },
    el("td", {}, t.code),
    el("td", {}, t.title),
    el("td", {}, statusName(t.status)),
    el("td", {}, showTime(t.bid_deadline)),
    el("td", {}, showTime(t.opening_at)),
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
    el("td", { class: "ends" }, showTime(a.ends_at)),
  );
}

function onEvent(m) {
  if (typeof m.seq === "number") lastSeq = Math.max(lastSeq, m.seq);
  const list = document.getElementById("events");
  list.prepend(
    el("li", { dataset: { seq: m.seq, type: m.type } }, `${showTime(m.at)}　${eventName(m.type)}　`,
      m.data?.amount ? showMoney(m.data.amount) : ""),
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
      /* not JSON */
    }
  });
  ws.addEventListener("open", () => document.body.classList.add("live"));
  ws.addEventListener("close", () => {
    document.body.classList.remove("live");
    setTimeout(connect, 1000);
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
