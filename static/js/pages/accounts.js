// All accounts (GET /api/accounts/overview): each account's login state, messages today, unread and failing send
// jobs, kept current by the live events of every account (this page's stream is unfiltered: data-stream="all").
import { api, clear, el, emptyState, failure, pageData, reportError, t } from "../core.js";
import { on } from "../live.js";
import { stateBadge } from "../status.js";

const rows = document.getElementById("accounts");
const current = Number(document.body.dataset.account) || null;

async function choose(id) {
  await api("POST", "/api/accounts/current", { account_id: id });
  window.location.assign("/");
}

async function load() {
  let data;
  try {
    data = await api("GET", "/api/accounts/overview");
  } catch (error) {
    clear(rows, el("tr", {}, el("td", { colspan: "7" }, failure(error, "/api/accounts/overview"))));
    return;
  }
  clear(rows, data.items.length ? data.items.map((item) => el("tr", { "data-account": String(item.id) },
    el("td", {}, el("span", { class: item.id === current ? "fw-semibold" : "", text: item.nick_name || `#${item.id}` })),
    el("td", { text: t(`role_${item.role}`) }),
    el("td", {}, stateBadge(item.login_state), " ", item.listener_healthy === null ? null : el("span", {
      class: `badge ${item.listener_healthy ? "text-bg-success" : "text-bg-danger"}`, "data-healthy":
        String(item.listener_healthy), text: item.listener_healthy ? t("healthy") : t("unhealthy") })),
    el("td", { class: "text-end", "data-figure": "messages_today", text: String(item.messages_today) }),
    el("td", { class: "text-end", "data-figure": "unread", text: String(item.unread) }),
    el("td", { class: `text-end${item.failing_jobs ? " text-danger" : ""}`, "data-figure": "failing_jobs",
      text: String(item.failing_jobs) }),
    el("td", { class: "text-end" }, item.id === current ? null : el("button", {
      class: "btn btn-sm btn-outline-secondary", type: "button", text: t("switch_to"),
      onclick: () => choose(item.id).catch(reportError),
    })))) : el("tr", {}, el("td", { colspan: "7" }, emptyState(t("no_accounts")))));
}

// Any event of any account may change a figure: refetch at most once a second. Not a debounce: a steady stream of
// messages would postpone a debounced refetch forever.
let pending = null;
function refresh() {
  if (pending === null) pending = window.setTimeout(() => { pending = null; load(); }, 1000);
}
for (const name of pageData("events") || []) {
  if (name !== "revoked") on(name, refresh);
}
load();
