// Plugins (GET /api/plugins, PUT /api/plugins/<name> {enabled, settings, clear_error}) and auto-reply rules
// (/api/autoreplies). Secrets arrive masked; a masked value left as it is never goes back to the server.
import {
  api, bounds, busy, clear, confirmDialog, el, emptyState, failure, formatTime, loading, reportError, t, toast,
} from "../core.js";
import { clearErrors, showError } from "../forms.js";
import { chatPicker, itemsFor, namesFor } from "../picker.js";

const list = document.getElementById("plugins");
const safeId = (text) => String(text).replace(/[^\w-]/g, "_");

// -- plugins --------------------------------------------------------------------------------------------------
function secretHint(plugin, key) {
  const info = plugin.secrets?.[key] || {};
  if (info.source === "settings") return t("secret_stored");
  if (info.source === "environment") return t("secret_from_env", { env: info.env });
  return t("secret_unset", { env: info.env || "" });
}

/** One input per setting, typed after its current value (bool, number, list of strings, string). */
function settingControl(plugin, key, value, id) {
  const secret = key in (plugin.secrets || {});
  if (typeof value === "boolean") {
    return el("div", { class: "form-check form-switch" },
      el("input", { class: "form-check-input", type: "checkbox", role: "switch", id, name: key, checked: value,
        "aria-describedby": `${id}-error` }),
      el("label", { class: "form-check-label", for: id }, el("code", { text: key })));
  }
  let control;
  if (typeof value === "number") {
    const [min, max] = plugin.limits?.[key] ?? [];
    control = el("input", { class: "form-control form-control-sm", type: "number", step: "any", id, name: key,
      value: String(value), ...(min === undefined ? {} : { min: String(min), max: String(max) }) });
  } else if (Array.isArray(value)) {
    control = el("textarea", { class: "form-control form-control-sm", rows: "3", id, name: key });
    control.value = value.join("\n");
  } else if (!secret && (String(value).length > 60 || /prompt|text$/.test(key))) {
    control = el("textarea", { class: "form-control form-control-sm", rows: "3", id, name: key,
      ...bounds("plugin", "text") });
    control.value = String(value ?? "");
  } else {
    control = el("input", { class: "form-control form-control-sm", type: "text", id, name: key, ...bounds("plugin", "text"),
      autocomplete: "off", spellcheck: "false", value: String(value ?? "") });
  }
  control.setAttribute("aria-describedby", `${id}-error${secret ? ` ${id}-hint` : ""}`);
  return [el("label", { class: "form-label small mb-1", for: id }, el("code", { text: key }),
    secret ? el("span", { class: "badge text-bg-light ms-1", text: t("secret") }) : null), control,
  secret ? el("div", { class: "form-text", id: `${id}-hint`, text: secretHint(plugin, key) }) : null];
}

/** What changed in the form: only those settings go to the server (a masked secret left alone never does). */
function changedSettings(form, plugin) {
  const changes = {};
  for (const [key, before] of Object.entries(plugin.settings || {})) {
    const control = form.elements[key];
    if (!control) continue;
    let value;
    if (typeof before === "boolean") value = control.checked;
    else if (typeof before === "number") value = control.value.trim() === "" ? control.value : Number(control.value);
    else if (Array.isArray(before)) value = control.value.split("\n").map((line) => line.trim()).filter(Boolean);
    else value = control.value;
    if (JSON.stringify(value) !== JSON.stringify(before)) changes[key] = value;
  }
  return changes;
}

function renderPlugin(plugin) {
  const base = `p-${safeId(plugin.name)}`;
  const node = el("section", { class: "card plugin-card", "data-plugin": plugin.name,
    "aria-labelledby": `${base}-title` });
  const toggle = el("input", { class: "form-check-input", type: "checkbox", role: "switch", id: `${base}-enabled`,
    checked: !!plugin.enabled });
  toggle.addEventListener("change", async () => {
    toggle.disabled = true;
    try {
      const { item } = await api("PUT", `/api/plugins/${encodeURIComponent(plugin.name)}`, { enabled: toggle.checked });
      toast(`${plugin.name}: ${item.enabled ? t("enabled") : t("disabled")}`);
      node.replaceWith(renderPlugin(item));
    } catch (error) {
      toggle.checked = !toggle.checked;
      reportError(error);
    } finally {
      toggle.disabled = false;
    }
  });
  const meta = [
    plugin.source ? el("span", { class: "badge text-bg-light", title: t("plugin_source"), text: plugin.source }) : null,
    plugin.enabled_by_default ? null : el("span", { class: "badge text-bg-light", text: t("off_by_default") }),
    plugin.exclusive ? el("span", { class: "badge text-bg-light", text: t("exclusive") }) : null,
  ];
  const patterns = plugin.patterns?.length
    ? el("div", { class: "row-sub" }, `${t("patterns")}: `, plugin.patterns.map((p, i) => [i ? ", " : "",
      el("code", { text: p })]))
    : el("div", { class: "row-sub", text: t("every_message") });
  let errorBox = null;
  if (plugin.last_error) {
    const clearButton = el("button", { type: "button", class: "btn btn-sm btn-outline-secondary ms-auto flex-none",
      text: t("clear_error") });
    clearButton.addEventListener("click", () => busy(clearButton, async () => {
      try {
        const { item } = await api("PUT", `/api/plugins/${encodeURIComponent(plugin.name)}`, { clear_error: true });
        node.replaceWith(renderPlugin(item));
        toast(t("error_cleared"));
      } catch (error) {
        reportError(error);
      }
    }));
    errorBox = el("div", { class: "alert alert-warning d-flex gap-2 align-items-start mt-2 mb-0 plugin-last-error",
      role: "status" },
    el("div", { class: "row-main" },
      el("div", { class: "small fw-semibold", text: t("last_error", { time: formatTime(plugin.last_error_at, { full: true }),
        n: plugin.error_count || 1 }) }),
      el("div", { class: "plugin-error small", text: plugin.last_error })),
    clearButton);
  }
  let settingsForm = null;
  const keys = Object.keys(plugin.settings || {});
  if (keys.length) {
    const general = el("div", { class: "form-error" });
    const save = el("button", { type: "submit", class: "btn btn-sm btn-success", text: t("save_settings") });
    settingsForm = el("form", { class: "plugin-settings mt-3", novalidate: true }, general,
      el("div", { class: "row g-2" }, keys.map((key) => {
        const id = `${base}-s-${safeId(key)}`;
        return el("div", { class: "col-md-6 setting-row", "data-setting": key },
          settingControl(plugin, key, plugin.settings[key], id),
          el("div", { class: "invalid-feedback", id: `${id}-error` }));
      })),
      el("div", { class: "d-flex justify-content-end mt-2" }, save));
    settingsForm.addEventListener("submit", (event) => {
      event.preventDefault();
      clearErrors(settingsForm);
      const settings = changedSettings(settingsForm, plugin);
      if (!Object.keys(settings).length) {
        toast(t("nothing_changed"), "secondary");
        return;
      }
      busy(save, async () => {
        try {
          const { item } = await api("PUT", `/api/plugins/${encodeURIComponent(plugin.name)}`, { settings });
          node.replaceWith(renderPlugin(item));
          toast(t("saved"));
        } catch (error) {
          const key = String(error.data?.field || "").replace(/^settings\./, "");
          showError(settingsForm, error, { prefix: `${base}-s-`, aliases: { [error.data?.field]: safeId(key) },
            general });
        }
      });
    });
  }
  const details = keys.length ? el("details", { class: "mt-2" },
    el("summary", { class: "small text-secondary", text: t("settings_count", { n: keys.length }) }), settingsForm)
    : null;
  clear(node, el("div", { class: "card-body" },
    el("div", { class: "plugin-head" },
      el("div", { class: "row-main" },
        el("div", { class: "d-flex align-items-center gap-2 flex-wrap" },
          el("h2", { class: "plugin-name", id: `${base}-title`, text: plugin.name }), meta),
        plugin.description ? el("p", { class: "mb-1 mt-1", text: plugin.description }) : null,
        patterns),
      el("div", { class: "form-check form-switch mb-0" }, toggle,
        el("label", { class: "form-check-label", for: toggle.id, text: t("enabled") }))),
    errorBox, details));
  return node;
}

async function loadPlugins() {
  clear(list, loading());
  let data;
  try {
    data = await api("GET", "/api/plugins");
  } catch (error) {
    clear(list, failure(error, "/api/plugins"));
    return;
  }
  showPlugins(data);
}

function showPlugins(data) {
  const errors = data.load_errors || [];
  clear(document.getElementById("load-errors"), errors.length ? el("div", { class: "alert alert-danger", role: "alert" },
    el("div", { class: "fw-semibold mb-1", text: t("load_errors") }),
    el("ul", { class: "mb-0 small" }, errors.map((item) => el("li", {},
      el("code", { text: item.source || "" }), " — ", item.error || "")))) : null);
  const items = data.items || [];
  clear(list, items.length ? items.map(renderPlugin) : emptyState(t("no_plugins")));
}

const reloadButton = document.getElementById("reload-plugins");
reloadButton.addEventListener("click", () => busy(reloadButton, async () => {
  try {
    const data = await api("POST", "/api/plugins/reload");
    showPlugins(data);
    toast(t("plugins_reloaded", { n: (data.items || []).length }));
  } catch (error) {
    reportError(error);
  }
}));

// -- auto-reply rules -----------------------------------------------------------------------------------------
const rules = document.getElementById("rules");
const form = document.getElementById("rule-form");
const scope = document.getElementById("r-scope");
const groupsHolder = document.getElementById("r-group_puids");
const groupPicker = chatPicker({ kinds: ["groups"], label: groupsHolder.dataset.label, id: "picker-rule-groups" });
groupsHolder.append(groupPicker.node);
let editing = null; // the rule being edited, or null for a new one

const MODE_LABEL = () => ({ exact: t("mode_exact"), contains: t("mode_contains"), regex: t("mode_regex") });
const SCOPE_LABEL = () => ({ friends: t("scope_friends"), groups: t("scope_groups"), all: t("scope_all"),
  chosen: t("scope_chosen") });

function syncScope() {
  document.getElementById("r-groups-box").hidden = scope.value !== "chosen";
  document.getElementById("r-require_at-box").hidden = scope.value === "friends";
}
scope.addEventListener("change", syncScope);

function resetForm() {
  editing = null;
  form.reset();
  clearErrors(form);
  groupPicker.set([]);
  document.getElementById("rule-form-title").textContent = t("new_rule");
  document.getElementById("rule-save").textContent = t("add_rule");
  document.getElementById("rule-cancel").hidden = true;
  for (const row of rules.querySelectorAll(".rule-editing")) row.classList.remove("rule-editing");
  syncScope();
}

async function edit(rule, row) {
  resetForm();
  editing = rule;
  row.classList.add("rule-editing");
  form.elements.mode.value = rule.mode;
  form.elements.pattern.value = rule.pattern;
  form.elements.reply.value = rule.reply;
  form.elements.scope.value = rule.scope;
  form.elements.require_at.checked = rule.require_at;
  form.elements.enabled.checked = rule.enabled;
  form.elements.position.value = rule.position ?? 0;
  groupPicker.set(itemsFor(rule.group_puids, await namesFor(rule.group_puids), "group"));
  document.getElementById("rule-form-title").textContent = t("edit_rule", { id: rule.id });
  document.getElementById("rule-save").textContent = t("save_changes");
  document.getElementById("rule-cancel").hidden = false;
  syncScope();
  form.elements.pattern.focus();
}

function renderRule(rule, names) {
  const toggle = el("input", { class: "form-check-input", type: "checkbox", role: "switch", checked: rule.enabled,
    "aria-label": `${t("enabled")}: ${rule.pattern}` });
  toggle.addEventListener("change", async () => {
    toggle.disabled = true;
    try {
      await api("PUT", `/api/autoreplies/${rule.id}`, { enabled: toggle.checked });
      rule.enabled = toggle.checked;
    } catch (error) {
      toggle.checked = !toggle.checked;
      reportError(error);
    } finally {
      toggle.disabled = false;
    }
  });
  const editButton = el("button", { type: "button", class: "btn btn-sm btn-outline-secondary", text: t("edit") });
  const remove = el("button", { type: "button", class: "btn btn-sm btn-outline-danger", text: t("delete") });
  const where = rule.scope === "chosen"
    ? `${SCOPE_LABEL().chosen}: ${rule.group_puids.map((puid) => names[puid]?.name || puid).join(", ")}`
    : SCOPE_LABEL()[rule.scope] || rule.scope;
  const row = el("li", { class: "chat-row", "data-rule": rule.id },
    el("div", { class: "row-main" },
      el("div", { class: "row-title" },
        el("span", { class: "badge badge-soft", text: MODE_LABEL()[rule.mode] || rule.mode }),
        el("code", { class: "rule-pattern", text: rule.pattern })),
      el("div", { class: "rule-reply", text: `→ ${rule.reply}` }),
      el("div", { class: "row-sub" }, where,
        rule.scope !== "friends" ? ` · ${rule.require_at ? t("needs_at") : t("no_at_needed")}` : "",
        ` · ${t("position_n", { n: rule.position })}`)),
    el("div", { class: "row-actions" }, el("div", { class: "form-check form-switch mb-0" }, toggle), editButton,
      remove));
  editButton.addEventListener("click", () => edit(rule, row));
  remove.addEventListener("click", async () => {
    if (!(await confirmDialog(t("delete_rule_confirm", { pattern: rule.pattern }), { danger: true }))) return;
    busy(remove, async () => {
      try {
        await api("DELETE", `/api/autoreplies/${rule.id}`);
        if (editing?.id === rule.id) resetForm();
        toast(t("deleted"));
        loadRules();
      } catch (error) {
        reportError(error);
      }
    });
  });
  return row;
}

async function loadRules() {
  if (!rules.childElementCount) clear(rules, el("li", {}, loading()));
  let data;
  try {
    data = await api("GET", "/api/autoreplies");
  } catch (error) {
    clear(rules, el("li", {}, failure(error, "/api/autoreplies")));
    return;
  }
  const items = data.items || [];
  const names = await namesFor(items.flatMap((rule) => rule.group_puids || []));
  const count = document.getElementById("rule-count");
  count.hidden = !items.length;
  count.textContent = String(items.length);
  clear(rules, items.length ? items.map((rule) => renderRule(rule, names))
    : el("li", {}, emptyState(t("no_rules"))));
  if (editing) rules.querySelector(`[data-rule="${editing.id}"]`)?.classList.add("rule-editing");
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearErrors(form);
  const body = {
    mode: form.elements.mode.value, pattern: form.elements.pattern.value, reply: form.elements.reply.value,
    scope: form.elements.scope.value, require_at: form.elements.require_at.checked,
    enabled: form.elements.enabled.checked, group_puids: form.elements.scope.value === "chosen" ? groupPicker.values() : [],
  };
  const position = form.elements.position.value.trim();
  body.position = position === "" ? 0 : Number(position);
  busy(document.getElementById("rule-save"), async () => {
    try {
      if (editing) await api("PUT", `/api/autoreplies/${editing.id}`, body);
      else await api("POST", "/api/autoreplies", body);
      toast(t("saved"));
      resetForm();
      loadRules();
    } catch (error) {
      showError(form, error, { prefix: "r-", general: document.getElementById("rule-form-error") });
    }
  });
});
document.getElementById("rule-cancel").addEventListener("click", resetForm);

if (window.location.hash === "#autoreplies") {
  window.bootstrap?.Tab.getOrCreateInstance(document.getElementById("tab-autoreplies")).show();
}
syncScope();
loadPlugins();
loadRules();
