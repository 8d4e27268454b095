// All accounts (GET /api/accounts/overview): each account's login state, messages today, unread and failing send
// jobs, kept current by the live events of every account (this page's stream is unfiltered: data-stream="all").
// Owners also add, pause, resume and remove accounts here (views/account_admin.py).
import { api, bounds, busy, clear, el, emptyState, failure, pageData, reportError, t, toast } from "../core.js";
import { clearErrors, showError } from "../forms.js";
import { on } from "../live.js";
import { stateBadge } from "../status.js";

const rows = document.getElementById("accounts");
const current = Number(document.body.dataset.account) || null;
const manage = document.getElementById("accounts-card")?.dataset.manage === "1";
const removing = new Set(); // accounts whose removal form is open: a refresh keeps it open

async function choose(id) {
  await api("POST", "/api/accounts/current", { account_id: id });
  window.location.assign("/");
}

function badges(item) {
  if (item.archived) return el("span", { class: "badge text-bg-secondary", "data-badge": "archived", text: t("badge_archived") });
  if (item.paused) return el("span", { class: "badge text-bg-warning", "data-badge": "paused", text: t("badge_paused") });
  // No slot of its own: the installation's default account (WECHAT_ACCOUNT), managed on the server, not here.
  if (!item.slot) return el("span", { class: "badge text-bg-light", "data-badge": "default", text: t("badge_default") });
  return null;
}

function stateCell(item) {
  if (item.archived) return el("td", {}, badges(item));
  return el("td", {}, stateBadge(item.login_state), " ", item.listener_healthy === null ? null : el("span", {
    class: `badge ${item.listener_healthy ? "text-bg-success" : "text-bg-danger"}`, "data-healthy":
      String(item.listener_healthy), text: item.listener_healthy ? t("healthy") : t("unhealthy") }), " ", badges(item));
}

function label(item) {
  return item.slot || item.archived_slot || "";
}

async function setPaused(item, paused) {
  await api("POST", `/api/accounts/${item.id}/${paused ? "pause" : "resume"}`);
  toast(t(paused ? "account_paused" : "account_resumed", { slot: label(item) }));
  await load();
}

function removeForm(item) {
  const name = label(item);
  const prefix = `remove-${item.id}-`;
  const choice = (value, text, checked) => el("div", { class: "form-check" },
    el("input", { class: "form-check-input", type: "radio", name: `archive-${item.id}`, id: `${prefix}${value}`,
      value, checked, disabled: item.archived && value === "keep" }),
    el("label", { class: "form-check-label", for: `${prefix}${value}`, text }));
  const confirm = el("input", { class: "form-control form-control-sm", id: `${prefix}confirm`, autocomplete: "off",
    ...bounds("account", "slot"), "data-confirm": "" });
  const error = el("div", { class: "invalid-feedback", id: `${prefix}confirm-error` });
  const submit = el("button", { type: "submit", class: "btn btn-sm btn-danger", text: t("remove") });
  const form = el("form", { class: "d-flex flex-column gap-2", novalidate: "", "data-remove-form": String(item.id) },
    choice("keep", t("remove_keep"), !item.archived), choice("delete", t("remove_delete"), item.archived),
    el("div", {}, el("label", { class: "form-label small", for: `${prefix}confirm`,
      text: t("remove_confirm_label", { slot: name }) }), confirm, error),
    el("div", { class: "d-flex gap-2" }, submit, el("button", { type: "button", class: "btn btn-sm btn-outline-secondary",
      text: t("cancel"), onclick: () => { removing.delete(item.id); load(); } })));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearErrors(form);
    if (confirm.value !== name) { // the typed confirmation: the API checks it again
      confirm.classList.add("is-invalid");
      error.textContent = t("remove_confirm_mismatch");
      error.classList.add("d-block");
      confirm.focus();
      return;
    }
    const archive = form.querySelector("input[type=radio]:checked")?.value || "keep";
    busy(submit, async () => {
      try {
        await api("DELETE", `/api/accounts/${item.id}?archive=${archive}&confirm=${encodeURIComponent(confirm.value)}`);
      } catch (failed) {
        showError(form, failed, { prefix });
        if (failed.status === 409) { // e.g. stopped and archived, its listener still letting go: show the new state
          removing.delete(item.id);
          await load();
        }
        return;
      }
      removing.delete(item.id);
      toast(t(archive === "keep" ? "account_archived" : "account_deleted", { slot: name }));
      await load();
    });
  });
  return el("tr", { "data-remove-row": String(item.id) }, el("td", { colspan: "7" }, form));
}

function actions(item) {
  const buttons = [];
  if (manage && item.slot && !item.archived) {
    buttons.push(el("button", { class: "btn btn-sm btn-outline-warning", type: "button", "data-action":
      item.paused ? "resume" : "pause", text: t(item.paused ? "resume" : "pause"),
      onclick: () => setPaused(item, !item.paused).catch(reportError) }));
  }
  if (manage && (item.slot || item.archived)) {
    buttons.push(el("button", { class: "btn btn-sm btn-outline-danger", type: "button", "data-action": "remove",
      text: t("remove"), onclick: () => { removing.add(item.id); load(); } }));
  }
  if (item.id !== current) { // archives too: their data stays readable
    buttons.push(el("button", { class: "btn btn-sm btn-outline-secondary", type: "button", text: t("switch_to"),
      onclick: () => choose(item.id).catch(reportError) }));
  }
  return el("td", { class: "text-end" }, el("div", { class: "d-inline-flex gap-1 flex-wrap justify-content-end" },
    ...buttons));
}

function row(item) {
  const name = item.nick_name || label(item) || `#${item.id}`;
  const slot = label(item) && label(item) !== name ? el("span", { class: "text-secondary small ms-1",
    "data-slot": "", text: `(${label(item)})` }) : null;
  const line = el("tr", { "data-account": String(item.id) },
    el("td", {}, el("span", { class: item.id === current ? "fw-semibold" : "", text: name }), slot),
    el("td", { text: t(`role_${item.role}`) }),
    stateCell(item),
    el("td", { class: "text-end", "data-figure": "messages_today", text: String(item.messages_today) }),
    el("td", { class: "text-end", "data-figure": "unread", text: String(item.unread) }),
    el("td", { class: `text-end${item.failing_jobs ? " text-danger" : ""}`, "data-figure": "failing_jobs",
      text: String(item.failing_jobs) }),
    actions(item));
  return removing.has(item.id) ? [line, removeForm(item)] : [line];
}

async function load() {
  let data;
  try {
    data = await api("GET", "/api/accounts/overview");
  } catch (error) {
    clear(rows, el("tr", {}, el("td", { colspan: "7" }, failure(error, "/api/accounts/overview"))));
    return;
  }
  // An open removal form is not rebuilt by a live refresh (the admin may be typing in it).
  const typing = document.activeElement?.closest?.("[data-remove-form]");
  if (typing && data.items.some((item) => removing.has(item.id))) return;
  clear(rows, ...(data.items.length ? data.items.flatMap(row)
    : [el("tr", {}, el("td", { colspan: "7" }, emptyState(t("no_accounts"))))]));
}

const addForm = document.getElementById("add-account-form");
if (addForm) {
  const driver = document.getElementById("account-driver");
  const showGateway = () => {
    for (const node of addForm.querySelectorAll("[data-driver-only]")) node.hidden = node.dataset.driverOnly !== driver.value;
  };
  driver.addEventListener("change", showGateway);
  showGateway();
  addForm.addEventListener("submit", (event) => {
    event.preventDefault();
    clearErrors(addForm);
    const field = (name) => addForm.elements[name].value.trim();
    const body = { slot: field("slot"), driver: driver.value };
    if (driver.value === "padpro") {
      if (field("base_url")) body.base_url = field("base_url");
      if (addForm.elements.key.value) body.key = addForm.elements.key.value;
    }
    busy(addForm.querySelector("button[type=submit]"), async () => {
      try {
        await api("POST", "/api/accounts", body);
      } catch (failed) {
        showError(addForm, failed, { prefix: "account-", general: addForm.querySelector(".form-error") });
        return;
      }
      addForm.reset();
      showGateway();
      toast(t("account_added", { slot: body.slot }));
      await load();
    });
  });
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
