// Group insights: all groups compared, or one group's members over time, activity, heatmap and member tables.
// Every name is a WeChat user's text: tables get it as text nodes (el()), charts through charts.js (canvas, plain).
import { api, clear, el, emptyState, failure, formatTime, loading, query, t } from "../core.js";
import { daysChart, namedBars, palette, weekHeatmap } from "../charts.js";

const form = document.getElementById("insight-controls");
const groupSelect = document.getElementById("insight-group");
const preset = document.getElementById("insight-preset");
const fromInput = document.getElementById("insight-from");
const toInput = document.getElementById("insight-to");
const status = document.getElementById("insight-status");
const compareView = document.getElementById("compare-view");
const groupView = document.getElementById("group-view");
const weekdays = t("weekdays_short").split(",");
let groupsLoaded = false;

const isoDay = (date) => new Intl.DateTimeFormat("en-CA", { timeZone: document.body.dataset.timezone,
  year: "numeric", month: "2-digit", day: "2-digit" }).format(date);

function applyPreset() {
  if (preset.value === "custom") return;
  const to = new Date();
  const from = new Date(to.getTime() - (Number(preset.value) - 1) * 86400000);
  fromInput.value = isoDay(from);
  toInput.value = isoDay(to);
}

function params() {
  return { group: groupSelect.value || undefined, from: fromInput.value, to: toInput.value };
}

function syncUrl() {
  const url = new URL(window.location.href);
  url.search = query(params());
  window.history.replaceState(null, "", url);
}

function csvLinks() {
  const { group, from, to } = params();
  for (const link of document.querySelectorAll(".csv-link")) {
    const table = link.dataset.table;
    link.href = `/api/insights/export/${table}.csv${query({ group: table === "groups" ? undefined : group, from, to })}`;
  }
}

/** A table: columns = [[header, (row) => cell content, className?]]; cells are text or nodes. */
function table(rows, columns, { rowAttrs = () => ({}) } = {}) {
  if (!rows.length) return emptyState(t("empty"));
  return el("table", { class: "table table-sm align-middle" },
    el("thead", {}, el("tr", {}, columns.map(([header]) => el("th", { scope: "col", text: header })))),
    el("tbody", {}, rows.map((row) => el("tr", rowAttrs(row),
      columns.map(([, cell, className]) => el("td", { class: className || null }, cell(row)))))));
}

function summaryTile(label, value, key) {
  return el("div", { class: "col-6 col-md-3" },
    el("div", { class: "card stat", "data-summary": key },
      el("div", { class: "card-body" },
        el("div", { class: "stat-value", text: String(value) }),
        el("div", { class: "stat-label text-secondary", text: label }))));
}

const ACTIONS = { "automation.kick": "action_vote_kick", "automation.kick.failed": "action_vote_kick_failed",
  "group.remove_members": "action_removed_by_admin" };

function renderGroup(data) {
  const days = data.days || [];
  const sum = (key) => days.reduce((total, day) => total + (Number(day[key]) || 0), 0);
  clear(document.getElementById("group-summary"),
    summaryTile(t("members_now"), data.group.members, "members"),
    summaryTile(t("joins"), sum("joins"), "joins"),
    summaryTile(t("leaves"), sum("leaves"), "leaves"),
    summaryTile(t("messages_label"), sum("messages"), "messages"));
  const dates = days.map((day) => day.date);
  daysChart(document.getElementById("members-chart"), dates, [
    { name: t("joins"), values: days.map((day) => day.joins), color: palette.green },
    { name: t("leaves"), values: days.map((day) => -day.leaves), color: palette.red },
  ], { stack: true, mirrored: true });
  daysChart(document.getElementById("count-chart"), dates,
    [{ name: t("members_now"), values: days.map((day) => day.members), color: palette.green, type: "line" }],
    { scaled: true });
  daysChart(document.getElementById("messages-chart"), dates,
    [{ name: t("messages_label"), values: days.map((day) => day.messages), color: palette.blue }]);
  weekHeatmap(document.getElementById("heatmap-chart"), data.heatmap, weekdays);

  const active = days.filter((day) => day.joins || day.leaves || day.messages).reverse();
  clear(document.getElementById("days-table"), table(active, [
    [t("date"), (d) => d.date], [t("joins"), (d) => String(d.joins), "joins"],
    [t("leaves"), (d) => String(d.leaves), "leaves"], [t("members_now"), (d) => String(d.members ?? "—"), "members"],
    [t("messages_label"), (d) => String(d.messages), "messages"],
  ], { rowAttrs: (d) => ({ "data-date": d.date }) }));
  clear(document.getElementById("top-table"), table(data.top_members, [
    ["#", (row) => String(data.top_members.indexOf(row) + 1)], [t("member"), (row) => row.name, "name"],
    [t("messages_label"), (row) => String(row.messages)],
  ]));
  clear(document.getElementById("silent-table"), table(data.silent, [
    [t("member"), (row) => row.name, "name"], [t("last_spoken"), (row) => row.last_spoken || t("never")],
  ]));
  clear(document.getElementById("newcomers-table"), table(data.newcomers, [
    [t("member"), (row) => row.name, "name"], [t("joined_at"), (row) => formatTime(row.joined_at, { full: true })],
  ]));
  clear(document.getElementById("leaves-table"), table(data.leaves, [
    [t("time"), (row) => formatTime(row.time, { full: true })], [t("member"), (row) => row.name, "name"],
    [t("source"), (row) => t(row.source === "note" ? "source_note" : "source_sync")],
  ]));
  clear(document.getElementById("removals-table"), table(data.removals, [
    [t("time"), (row) => formatTime(row.time, { full: true })],
    [t("action"), (row) => (ACTIONS[row.action] ? t(ACTIONS[row.action]) : row.action)],
    [t("member"), (row) => row.member || "—", "name"], [t("actor"), (row) => row.actor],
    [t("reason"), (row) => row.reason, "name"],
  ]));
}

function renderComparison(groups) {
  const busiest = [...groups].sort((a, b) => b.messages - a.messages).slice(0, 15);
  const chartBox = document.getElementById("compare-chart");
  if (busiest.some((g) => g.messages)) {
    namedBars(chartBox, busiest.map((g) => g.name), busiest.map((g) => g.messages), t("messages_label"));
  } else {
    window.echarts.getInstanceByDom(chartBox)?.dispose();
    clear(chartBox, emptyState(t("no_messages_in_range"), { icon: "▁▂▃" }));
  }
  clear(document.getElementById("compare-table"), table(groups, [
    [t("group_name"), (g) => el("a", { href: `/insights${query({ group: g.puid, from: fromInput.value,
      to: toInput.value })}`, text: g.name }), "name"],
    [t("members_now"), (g) => String(g.members)], [t("joins"), (g) => String(g.joins)],
    [t("leaves"), (g) => String(g.leaves)], [t("net"), (g) => (g.net > 0 ? `+${g.net}` : String(g.net))],
    [t("messages_label"), (g) => String(g.messages)], [t("active_members"), (g) => String(g.active_members)],
  ], { rowAttrs: (g) => ({ "data-puid": g.puid }) }));
}

function fillGroups(groups) {
  const chosen = groupSelect.value;
  clear(groupSelect, groupSelect.options[0],
    groups.map((g) => el("option", { value: g.puid, text: g.name || g.puid, selected: g.puid === chosen })));
  groupsLoaded = true;
}

async function load() {
  if (!fromInput.value || !toInput.value) applyPreset();
  syncUrl();
  csvLinks();
  status.textContent = t("loading");
  const { group, from, to } = params();
  try {
    if (!group || !groupsLoaded) {
      const data = await api("GET", `/api/insights/groups${query({ from, to })}`);
      fillGroups(data.groups || []);
      if (!group) {
        groupView.hidden = true;
        compareView.hidden = false;
        renderComparison(data.groups || []);
      }
    }
    if (group) {
      const data = await api("GET", `/api/insights/groups/${encodeURIComponent(group)}${query({ from, to })}`);
      compareView.hidden = true;
      groupView.hidden = false;
      renderGroup(data);
    }
    status.textContent = t("range_shown", { from, to });
    document.body.dataset.insightsLoaded = `${group || ""}|${from}|${to}`;
  } catch (error) {
    clear(status, failure(error));
  }
}

const initial = new URLSearchParams(window.location.search);
if (initial.get("from") && initial.get("to")) {
  fromInput.value = initial.get("from");
  toInput.value = initial.get("to");
  preset.value = "custom";
} else {
  applyPreset();
}
if (initial.get("group")) {
  groupSelect.append(el("option", { value: initial.get("group"), text: initial.get("group"), selected: true }));
}
clear(document.getElementById("compare-table"), loading());

preset.addEventListener("change", () => {
  applyPreset();
  if (preset.value !== "custom") load();
});
for (const input of [fromInput, toInput]) input.addEventListener("change", () => { preset.value = "custom"; });
groupSelect.addEventListener("change", load);
form.addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});
load();
