// The audit log (GET /api/audit?page=&q=): who did what, newest first.
import { api, clear, debounce, el, emptyState, failure, formatTime, pager, query } from "../core.js";

const rows = document.getElementById("audit");
const search = document.getElementById("audit-q");
const paging = document.getElementById("audit-pager");

function detailText(detail) {
  if (!detail) return "";
  return Object.entries(detail).map(([key, value]) => `${key}: ${typeof value === "object" ? JSON.stringify(value)
    : value}`).join(" · ");
}

async function load(page = 1) {
  let data;
  try {
    data = await api("GET", `/api/audit${query({ page, per_page: 50, q: search.value.trim() })}`);
  } catch (error) {
    clear(rows, el("tr", {}, el("td", { colspan: "6" }, failure(error, "/api/audit"))));
    return;
  }
  clear(rows, data.items.length ? data.items.map((item) => el("tr", {},
    el("td", { class: "text-nowrap" }, el("time", { datetime: item.created_at, text: formatTime(item.created_at, { full: true }) })),
    el("td", { text: item.actor }),
    el("td", {}, el("code", { text: item.action })),
    el("td", { class: "text-break", text: item.target || "" }),
    el("td", { class: "small text-secondary text-break", text: [item.reason, detailText(item.detail)].filter(Boolean).join(" · ") }),
    el("td", { class: "small text-secondary", text: item.ip || "" }))) : el("tr", {}, el("td", { colspan: "6" }, emptyState("—"))));
  clear(paging, data.total > data.per_page ? pager(data, load) : null);
}

search.addEventListener("input", debounce(() => load(1), 300));
load(1);
