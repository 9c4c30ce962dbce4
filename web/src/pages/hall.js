// The auction hall (网上竞价大厅): current price, leader number and a live countdown.
// The countdown is ends_at − server_time as of the last message, advanced by performance.now()
// (monotonic): the browser's own clock (Date.now()) is never used, so a wrong clock on the
// bidder's machine shows the true remaining time.

import { api, openSocket, initAuth, msBetween, pageData, say, showDuration, showMoney, showTime, statusName } from "../common.js";

const auctionId = pageData("auction");

// The anchor: remaining ms and platform time at `anchorMono` (performance.now()).
let remainingAtAnchor = null;
let serverAtAnchor = null;
let anchorMono = 0;
let lastSeq = null;
let closed = false;
let socket = null;

function anchor(state) {
  anchorMono = performance.now();
  serverAtAnchor = new Date(state.server_time).getTime();
  remainingAtAnchor = state.ends_at ? msBetween(state.server_time, state.ends_at) : null;
}

function apply(state) {
  if (state.seq !== undefined && state.seq !== null) lastSeq = Math.max(lastSeq ?? 0, state.seq);
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
  if (state.bid_count !== undefined) document.getElementById("bid-count").textContent = String(state.bid_count);
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
      /* a ping or an unknown frame */
    }
  });
  socket.addEventListener("close", () => {
    if (!closed) setTimeout(connect, 1000);
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
