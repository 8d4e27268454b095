// Overview: account, listener health, counts, unread, messages per day (ECharts, see charts.js) and the most
// active groups.
import { daysChart, palette } from "../charts.js";
import {
  api, clear, debounce, el, emptyState, failure, formatDuration, formatTime, t, timeZone,
} from "../core.js";
import { on } from "../live.js";
import { botWaitText, stateBadge } from "../status.js";
import { initSync } from "../sync.js";

const accountCard = document.getElementById("account-card");
const listenerCard = document.getElementById("listener-card");

function row(label, value) {
  return el("div", { class: "kv" }, el("span", { class: "text-secondary", text: label }), el("span", {}, value));
}

async function loadStatus() {
  let status;
  try {
    status = await api("GET", "/api/status");
  } catch (error) {
    clear(accountCard, failure(error));
    return;
  }
  const login = status.login || {};
  const name = status.account?.nick_name || login.nick_name || "";
  clear(accountCard,
    el("div", { class: "d-flex align-items-center gap-2 mb-2" },
      el("span", { class: "account-name", text: name || "—" }), stateBadge(login.state)),
    login.message && login.state !== "logged_in" ? el("p", { class: "small text-secondary mb-2", text: login.message })
      : null,
    botWaitText(status) ? el("p", { class: "small text-secondary mb-2", "data-bot-wait": "", text: botWaitText(status) })
      : null,
    el("a", { class: "btn btn-sm btn-outline-success", href: "/wechat",
      text: login.state === "logged_in" ? t("manage_login") : t("go_login") }));
  const listener = status.listener || {};
  const wechat = status.wechat || {};
  clear(listenerCard,
    el("div", { class: "mb-2 d-flex flex-wrap gap-1" }, el("span", {
      class: `badge ${listener.healthy ? "text-bg-success" : "text-bg-danger"}`, "data-healthy": String(!!listener.healthy),
      text: listener.healthy ? t("healthy") : t("unhealthy") }),
    // Logged in but WeChat keeps failing (or the heartbeat stopped): say so instead of a green "healthy" alone.
    status.degraded ? el("span", { class: "badge text-bg-warning", "data-degraded": "true", text: t("wechat_degraded") })
      : null),
    row(t("uptime"), formatDuration(listener.uptime)),
    row(t("heartbeat"), listener.last_heartbeat ? formatTime(listener.last_heartbeat) : t("never")),
    row(t("starts"), String(listener.starts ?? 0)),
    // The error text comes from WeChat's answers: el() sets it as text, never as markup.
    wechat.last_error ? row(t("wechat_last_error"), el("span", { class: "small", "data-last-error": "",
      text: `${wechat.last_error_at ? formatTime(wechat.last_error_at) + " · " : ""}${wechat.last_error}` })) : null);
}

function tile(key, value) {
  return el("div", { class: "col-6 col-md-4 col-xl" },
    el("div", { class: "card stat", "data-count": key },
      el("div", { class: "card-body" },
        el("div", { class: "stat-value", text: String(value ?? 0) }),
        el("div", { class: "stat-label text-secondary", text: t(key) }))));
}

function chart(box, days) {
  const total = days.reduce((sum, day) => sum + (Number(day.count) || 0), 0);
  if (!total) {
    window.echarts.getInstanceByDom(box)?.dispose();
    clear(box, emptyState(t("no_messages_yet"), { icon: "▁▂▃" }));
    return;
  }
  box.classList.add("echart");
  box.setAttribute("aria-label", `${t("messages_per_day")}: ${days.map((day) => `${day.date} ${day.count}`).join(", ")}`);
  daysChart(box, days.map((day) => day.date),
    [{ name: t("messages_per_day"), values: days.map((day) => Number(day.count) || 0), color: palette.green }]);
}

const ACTIVE_GROUPS = 5; // as many as /api/overview lists
let overview = null; // the last /api/overview answer, kept current by live messages
let fetching = false;
let missed = false; // a live message came while fetching: the answer may or may not count it

async function loadOverview() {
  const counts = document.getElementById("counts");
  const chartBox = document.getElementById("chart");
  const groups = document.getElementById("active-groups");
  let data;
  fetching = true;
  try {
    data = await api("GET", "/api/overview");
  } catch (error) {
    overview = null;
    clear(counts, el("div", { class: "col" }, failure(error, "/api/overview")));
    clear(chartBox, failure(error, "/api/overview"));
    clear(groups, failure(error, "/api/overview"));
    return;
  } finally {
    fetching = false;
  }
  overview = data;
  renderOverview(data);
  if (missed) {
    missed = false;
    refreshOverview();
  }
}

function renderOverview(data) {
  const counts = document.getElementById("counts");
  const chartBox = document.getElementById("chart");
  const groups = document.getElementById("active-groups");
  const c = data.counts || {};
  clear(counts, ["friends", "groups", "members", "mps", "messages_today"].map((key) => tile(key, c[key])));
  chart(chartBox, data.messages_per_day || []);
  const active = data.active_groups || [];
  const top = Math.max(1, ...active.map((group) => Number(group.count) || 0));
  clear(groups, active.length ? el("ol", { class: "active-groups list-unstyled mb-0" }, active.map((group) => {
    const meter = el("div", { class: "meter-bar" });
    meter.style.width = `${Math.round(((Number(group.count) || 0) / top) * 100)}%`;
    return el("li", {},
      el("div", { class: "d-flex justify-content-between gap-2" },
        el("a", { class: "text-truncate", href: `/messages?chat=${encodeURIComponent(group.puid)}`, text: group.name }),
        el("span", { class: "text-secondary small text-nowrap", text: t("message_count", { n: group.count }) })),
      el("div", { class: "meter" }, meter));
  })) : emptyState(t("no_active_groups")));
}

document.addEventListener("unread", (event) => {
  document.getElementById("unread-count").textContent = String(event.detail);
});

const refreshOverview = debounce(loadOverview, 1500);
const localDay = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });

/** Count a live `message` event into the figures on screen (the event carries the message: no refetch). */
function countMessage(message) {
  if (fetching) {
    missed = true;
    return;
  }
  if (!overview || !message?.created_at) return;
  const days = overview.messages_per_day || [];
  const day = days.find((entry) => entry.date === localDay.format(new Date(message.created_at)));
  let exact = Boolean(day);
  if (day) {
    day.count = (Number(day.count) || 0) + 1;
    if (day === days[days.length - 1]) overview.counts.messages_today = (Number(overview.counts.messages_today) || 0) + 1;
  }
  if (message.chat_kind === "group" && message.chat_puid && day) {
    const active = overview.active_groups || (overview.active_groups = []);
    const group = active.find((entry) => entry.puid === message.chat_puid);
    if (group) group.count += 1;
    else if (active.length < ACTIVE_GROUPS) active.push({ puid: message.chat_puid, name: message.chat_name, count: 1 });
    else exact = false; // a group outside the top list: only the server knows its count
    active.sort((a, b) => b.count - a.count);
  }
  renderOverview(overview);
  if (!exact) refreshOverview(); // a new day since the page loaded, or a group the page cannot rank
}

on("login", loadStatus);
on("listener", loadStatus);
on("message", countMessage);
on("reset", () => {
  loadStatus();
  loadOverview();
});
initSync(refreshOverview);
loadStatus();
loadOverview();
window.setInterval(loadStatus, 10000);
