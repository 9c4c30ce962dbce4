// The public portal (门户): finds a tender's public record by its id and shows the platform's
// signing key. The announcement, result and statistics lists come with the public API.

import { api, initAuth, say } from "../common.js";

document.getElementById("lookup").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const id = String(new FormData(ev.target).get("tender_id") || "").trim();
  if (!/^[0-9a-f-]{36}$/i.test(id)) return say("请输入项目编号（UUID）", "error");
  location.href = `/tenders/${id}`;
});

initAuth();
api("/keys/platform")
  .then((k) => {
    document.getElementById("platform-key").textContent = k.public_key;
  })
  .catch(() => {});
