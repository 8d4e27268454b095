// Group automation settings (GET/PUT /api/settings/automation) and the blacklist (/api/blacklist).
import {
  api, busy, clear, confirmDialog, el, emptyState, failure, formatTime, loading, reportError, t, toast,
} from "../core.js";

const form = document.getElementById("automation");
const stateBox = document.getElementById("automation-state");
const TEXT_FIELDS = ["invite_text", "new_group_announcement", "already_member_reply", "welcome_text", "kick_text",
  "kicked_text", "blacklist_reply"];
const NUMBER_FIELDS = ["kick_quorum", "kick_period_minutes"];
const splitList = (value) => String(value || "").split(/[\s,，]+/).map((part) => part.trim()).filter(Boolean);

/** An editable list of rows; each row has `columns` text inputs. */
function rowEditor(holder, labels, rows) {
  const body = el("div", { class: "rows" });
  const addRow = (values = []) => {
    const inputs = labels.map((label, index) => el("input", { class: "form-control form-control-sm", type: "text",
      "aria-label": label, placeholder: label, value: values[index] ?? "", maxlength: "1000" }));
    const row = el("div", { class: "editor-row" }, inputs,
      el("button", { type: "button", class: "btn btn-sm btn-outline-secondary", "aria-label": `${t("delete")}`,
        text: "✕", onclick: () => row.remove() }));
    body.append(row);
    return row;
  };
  clear(holder, body, el("button", { type: "button", class: "btn btn-sm btn-outline-success mt-1",
    text: `+ ${t("add_row")}`, onclick: () => addRow().querySelector("input").focus() }));
  for (const values of rows) addRow(values);
  return () => [...body.querySelectorAll(".editor-row")].map((row) => [...row.querySelectorAll("input")]
    .map((input) => input.value.trim())).filter((values) => values.some(Boolean));
}

let readPatterns;
let readForwarding;
let readRelays;

function fill(settings, savedAt) {
  form.elements.auto_accept.checked = !!settings.auto_accept;
  for (const name of TEXT_FIELDS) form.elements[name].value = settings[name] ?? "";
  for (const name of NUMBER_FIELDS) form.elements[name].value = settings[name] ?? "";
  form.elements.group_creators.value = (settings.group_creators || []).join("\n");
  readPatterns = rowEditor(document.getElementById("group_patterns"), [t("keyword"), t("group_name_template")],
    settings.group_patterns || []);
  readForwarding = rowEditor(document.getElementById("mp_forwarding"), [t("mp"), t("group_puids")],
    (settings.mp_forwarding || []).map((rule) => [rule.mp, (rule.groups || []).join(", ")]));
  readRelays = rowEditor(document.getElementById("relay_sets"), [t("relay_set")],
    (settings.relay_sets || []).map((set) => [set.join(", ")]));
  document.getElementById("saved-at").textContent = savedAt ? `${t("saved")} ${formatTime(savedAt)}` : "";
}

function collect() {
  const settings = { auto_accept: form.elements.auto_accept.checked };
  for (const name of TEXT_FIELDS) settings[name] = form.elements[name].value;
  for (const name of NUMBER_FIELDS) {
    const value = form.elements[name].value;
    if (value !== "") settings[name] = Number(value);
  }
  settings.group_creators = splitList(form.elements.group_creators.value);
  settings.group_patterns = readPatterns().map(([keyword, template]) => [keyword, template]);
  settings.mp_forwarding = readForwarding().map(([mp, groups]) => ({ mp, groups: splitList(groups) }));
  settings.relay_sets = readRelays().map(([set]) => splitList(set)).filter((set) => set.length);
  return settings;
}

async function load() {
  clear(stateBox, loading());
  try {
    const data = await api("GET", "/api/settings/automation");
    fill(data.settings ?? data, data.updated_at);
    clear(stateBox);
    form.hidden = false;
  } catch (error) {
    clear(stateBox, failure(error, "/api/settings/automation"));
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  busy(document.getElementById("automation-save"), async () => {
    try {
      const data = await api("PUT", "/api/settings/automation", collect());
      fill(data?.settings ?? collect(), data?.updated_at);
      toast(t("saved"));
    } catch (error) {
      reportError(error);
    }
  });
});

// -- blacklist ------------------------------------------------------------------------------------------------
const blacklist = document.getElementById("blacklist");

async function loadBlacklist() {
  let data;
  try {
    data = await api("GET", "/api/blacklist");
  } catch (error) {
    clear(blacklist, el("li", {}, failure(error, "/api/blacklist")));
    document.getElementById("blacklist-add").hidden = error.status === 404;
    return;
  }
  const items = Array.isArray(data) ? data : data.items || [];
  clear(blacklist, items.length ? items.map((item) => {
    const puid = typeof item === "string" ? item : item.puid;
    const name = typeof item === "string" ? item : item.name || item.nick_name || item.puid;
    const remove = el("button", { type: "button", class: "btn btn-sm btn-outline-secondary", text: t("remove") });
    remove.addEventListener("click", async () => {
      if (!(await confirmDialog(`${t("remove")}: ${name}?`))) return;
      busy(remove, async () => {
        try {
          await api("DELETE", `/api/blacklist/${encodeURIComponent(puid)}`);
          loadBlacklist();
        } catch (error) {
          reportError(error);
        }
      });
    });
    return el("li", { class: "chat-row", "data-puid": puid },
      el("div", { class: "row-main" }, el("div", { class: "name", text: name }),
        el("div", { class: "row-sub", text: puid })),
      el("div", { class: "row-actions" }, remove));
  }) : el("li", {}, emptyState(t("blacklist_empty"))));
}

document.getElementById("blacklist-add").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = document.getElementById("blacklist-puid");
  const puid = input.value.trim();
  if (!puid) return;
  try {
    await api("POST", "/api/blacklist", { puid });
    input.value = "";
    toast(t("blacklist_added"));
    loadBlacklist();
  } catch (error) {
    reportError(error);
  }
});

load();
loadBlacklist();
