// Group automation settings (GET/PUT /api/settings/automation) and the blacklist (/api/blacklist).
import {
  api, bounds, busy, clear, confirmDialog, el, emptyState, failure, formatTime, loading, reportError, t, toast,
} from "../core.js";
import { chatPicker, itemsFor, namesFor } from "../picker.js";

const form = document.getElementById("automation");
const stateBox = document.getElementById("automation-state");
const TEXT_FIELDS = ["invite_text", "new_group_announcement", "already_member_reply", "welcome_text", "kick_text",
  "kicked_text", "blacklist_reply"];
const NUMBER_FIELDS = ["kick_quorum", "kick_period_minutes"];

/** An editable list of rows; each row has one text input per label, with the server's bounds of its column. */
function rowEditor(holder, labels, columnBounds, rows) {
  const body = el("div", { class: "rows" });
  const addRow = (values = []) => {
    const inputs = labels.map((label, index) => el("input", { class: "form-control form-control-sm", type: "text",
      "aria-label": label, placeholder: label, value: values[index] ?? "", ...columnBounds[index] }));
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

/** Rows of pickers (MP forwarding, relay sets): makeRow(values) → {node, read()}. */
function pickerRows(holder, rows, makeRow, addLabel) {
  const body = el("div", { class: "rows" });
  const readers = new Set();
  const addRow = (values) => {
    const row = makeRow(values);
    const node = el("div", { class: "editor-row picker-row" }, row.node,
      el("button", { type: "button", class: "btn btn-sm btn-outline-secondary align-self-start",
        "aria-label": t("delete"), text: "✕", onclick: () => {
          readers.delete(row.read);
          node.remove();
        } }));
    readers.add(row.read);
    body.append(node);
    return node;
  };
  clear(holder, body, el("button", { type: "button", class: "btn btn-sm btn-outline-success mt-1",
    text: `+ ${addLabel}`, onclick: () => addRow().querySelector("input")?.focus() }));
  for (const values of rows) addRow(values);
  return () => [...readers].map((read) => read()).filter(Boolean);
}

let readPatterns;
let readForwarding;
let readRelays;
let creators;

async function fill(settings, savedAt) {
  const forwarding = settings.mp_forwarding || [];
  const relays = settings.relay_sets || [];
  const names = await namesFor([...(settings.group_creators || []), ...forwarding.flatMap((rule) => [rule.mp,
    ...(rule.groups || [])]), ...relays.flat()]);
  form.elements.auto_accept.checked = !!settings.auto_accept;
  for (const name of TEXT_FIELDS) form.elements[name].value = settings[name] ?? "";
  for (const name of NUMBER_FIELDS) form.elements[name].value = settings[name] ?? "";
  const creatorsHolder = document.getElementById("a-group_creators");
  creators = chatPicker({ kinds: ["contacts"], label: creatorsHolder.dataset.label, id: "picker-creators",
    items: itemsFor(settings.group_creators, names, "contact") });
  clear(creatorsHolder, creators.node);
  readPatterns = rowEditor(document.getElementById("group_patterns"), [t("keyword"), t("group_name_template")],
    [bounds("automation", "pattern_keyword"), bounds("automation", "pattern_template")],
    settings.group_patterns || []);
  readForwarding = pickerRows(document.getElementById("mp_forwarding"), forwarding, (rule) => {
    const mp = chatPicker({ kinds: ["mps"], multiple: false, label: t("mp"), placeholder: t("pick_mp"),
      items: rule ? itemsFor([rule.mp], names, "mp") : [] });
    const groups = chatPicker({ kinds: ["groups"], label: t("forward_to_groups"), placeholder: t("pick_groups"),
      items: rule ? itemsFor(rule.groups, names, "group") : [] });
    return {
      node: el("div", { class: "picker-pair" }, mp.node, el("span", { class: "picker-arrow", "aria-hidden": "true",
        text: "→" }), groups.node),
      read: () => (mp.values().length || groups.values().length
        ? { mp: mp.values()[0] || "", groups: groups.values() } : null),
    };
  }, t("add_forwarding"));
  readRelays = pickerRows(document.getElementById("relay_sets"), relays, (set) => {
    const groups = chatPicker({ kinds: ["groups"], label: t("relay_set"), placeholder: t("pick_groups"),
      items: set ? itemsFor(set, names, "group") : [] });
    return { node: groups.node, read: () => (groups.values().length ? groups.values() : null) };
  }, t("add_relay_set"));
  document.getElementById("saved-at").textContent = savedAt ? `${t("saved")} ${formatTime(savedAt)}` : "";
}

function collect() {
  const settings = { auto_accept: form.elements.auto_accept.checked };
  for (const name of TEXT_FIELDS) settings[name] = form.elements[name].value;
  for (const name of NUMBER_FIELDS) {
    const value = form.elements[name].value;
    if (value !== "") settings[name] = Number(value);
  }
  settings.group_creators = creators.values();
  settings.group_patterns = readPatterns().map(([keyword, template]) => [keyword, template]);
  settings.mp_forwarding = readForwarding();
  settings.relay_sets = readRelays();
  return settings;
}

async function load() {
  clear(stateBox, loading());
  try {
    const data = await api("GET", "/api/settings/automation");
    await fill(data.settings ?? data, data.updated_at);
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
      await fill(data?.settings ?? collect(), data?.updated_at);
      toast(t("saved"));
    } catch (error) {
      showFieldError(error);
    }
  });
});

/** A 400 names the setting at fault ("group_creators", "mp_forwarding[0].groups"…): mark that part of the form. */
function showFieldError(error) {
  for (const node of form.querySelectorAll(".is-invalid")) node.classList.remove("is-invalid");
  for (const node of form.querySelectorAll(".field-error")) node.remove();
  const path = String(error?.data?.field || "");
  const name = path.split(/[.[]/)[0];
  const index = /^\w+\[(\d+)\]/.exec(path)?.[1];
  let target = name && (document.getElementById(`a-${name}`) || document.getElementById(name));
  if (target && index !== undefined) target = target.querySelectorAll(".editor-row")[Number(index)] || target;
  if (!target) {
    reportError(error);
    return;
  }
  target.classList.add("is-invalid");
  target.after(el("div", { class: "field-error invalid-feedback d-block", role: "alert", text: error.message }));
  target.scrollIntoView({ block: "center" });
}

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
