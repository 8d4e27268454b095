// Scheduled messages (/api/schedules): a list with the next run (in the configured time zone) and the state, the
// history of runs per schedule, and a form for one-off (date-time) or recurring (cron) schedules with recipients
// from contacts and groups (the Send page's picker) and files (uploaded as on the Send page).
import {
  api, busy, clear, confirmDialog, el, emptyState, failure, formatTime, loading, reportError, t, timeZone, toast,
} from "../core.js";
import { attachmentBox } from "../attachments.js";
import { clearErrors, showError } from "../forms.js";
import { itemsFor, namesFor } from "../picker.js";
import { recipientPicker } from "../recipients.js";

const list = document.getElementById("schedules");
const editor = document.getElementById("schedule-editor");
const form = document.getElementById("schedule-form");
const general = document.getElementById("schedule-form-error");
let editing = null; // the schedule being edited, or null for a new one

const picker = recipientPicker({
  panes: { contacts: document.getElementById("s-pane-contacts"), groups: document.getElementById("s-pane-groups"),
    members: document.getElementById("s-pane-members") },
  chips: document.getElementById("s-to"),
  count: document.getElementById("s-recipient-count"),
});
const attachments = attachmentBox({ input: document.getElementById("s-files"),
  list: document.getElementById("s-attachments"), dropZone: form });

// -- the form -------------------------------------------------------------------------------------------------
/** "YYYY-MM-DDTHH:MM" for a datetime-local input: the wall-clock time in the configured zone, an hour from now. */
function inAnHour() {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
    .formatToParts(new Date(Date.now() + 3600_000)).map((part) => [part.type, part.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:00`;
}

function syncKind() {
  const once = form.elements.kind.value === "once";
  document.getElementById("s-once-box").hidden = !once;
  document.getElementById("s-cron-box").hidden = once;
}
for (const radio of form.querySelectorAll("input[name=kind]")) radio.addEventListener("change", syncKind);
for (const button of document.querySelectorAll("#cron-examples [data-cron]")) {
  button.addEventListener("click", () => {
    form.elements.cron.value = button.dataset.cron;
    form.elements.cron.focus();
  });
}

function openEditor(schedule = null) {
  editing = schedule;
  form.reset();
  clearErrors(form);
  clear(general);
  attachments.clear();
  picker.set([]);
  form.elements.run_at.value = inAnHour();
  document.getElementById("schedule-form-title").textContent = schedule
    ? t("edit_schedule", { name: schedule.name || `#${schedule.id}` }) : t("new_schedule");
  editor.hidden = false;
  syncKind();
  form.elements.name.focus();
  editor.scrollIntoView({ block: "start" });
}

async function edit(schedule) {
  openEditor(schedule);
  form.elements.name.value = schedule.name || "";
  form.elements.kind.value = schedule.kind;
  if (schedule.kind === "once" && schedule.run_at_local) form.elements.run_at.value = schedule.run_at_local.slice(0, 16);
  form.elements.cron.value = schedule.cron || "";
  form.elements.text.value = schedule.text || "";
  form.elements.enabled.checked = schedule.enabled;
  syncKind();
  attachments.setExisting(schedule.files || []);
  picker.set(itemsFor(schedule.to, await namesFor(schedule.to)));
}

function closeEditor() {
  editing = null;
  editor.hidden = true;
  attachments.clear();
}

document.getElementById("schedule-new").addEventListener("click", () => openEditor());
document.getElementById("schedule-cancel").addEventListener("click", closeEditor);

form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearErrors(form);
  clear(general);
  busy(document.getElementById("schedule-save"), async () => {
    const body = { name: form.elements.name.value, to: [...picker.recipients.keys()], text: form.elements.text.value,
      files: await attachments.ids(), enabled: form.elements.enabled.checked };
    if (form.elements.kind.value === "once") Object.assign(body, { run_at: form.elements.run_at.value, cron: null });
    else Object.assign(body, { cron: form.elements.cron.value.trim(), run_at: null });
    try {
      if (editing) await api("PUT", `/api/schedules/${editing.id}`, body);
      else await api("POST", "/api/schedules", body);
      toast(t("saved"));
      closeEditor();
      load();
    } catch (error) {
      showError(form, error, { prefix: "s-", general });
    }
  });
});

// -- the list -------------------------------------------------------------------------------------------------
function runLabel(run) {
  if (run.status === "missed") return { text: t("run_missed", { n: run.missed || 1 }), kind: "warning" };
  if (run.status === "failed" || run.job_status === "failed") return { text: t("run_failed"), kind: "danger" };
  if (run.job_status === "done") return { text: t("run_sent"), kind: "success" };
  if (run.job_status === "cancelled") return { text: t("job_cancelled"), kind: "secondary" };
  return { text: t("run_sending"), kind: "info" };
}

function statusOf(item) {
  if (!item.enabled) return { text: t("paused"), kind: "secondary" };
  if (!item.next_run_at) return { text: t("finished"), kind: "light" };
  return { text: t("active"), kind: "success" };
}

function renderRuns(holder, runs) {
  clear(holder, runs.length ? el("ul", { class: "run-list list-unstyled" }, runs.map((run) => {
    const label = runLabel(run);
    return el("li", { "data-status": run.status },
      el("span", { class: "text-secondary", text: formatTime(run.due_at, { full: true }) }),
      el("span", { class: `badge text-bg-${label.kind}`, text: label.text }),
      run.ran_at && run.status !== "missed" ? el("span", { class: "text-secondary",
        text: t("ran_at", { time: formatTime(run.ran_at, { full: true }) }) }) : null,
      run.job_id ? el("span", { class: "text-secondary", text: t("job_n", { id: run.job_id }) }) : null,
      run.note ? el("span", { class: "text-secondary", text: run.note }) : null);
  })) : el("div", { class: "small text-secondary", text: t("no_runs") }));
}

function renderSchedule(item, names) {
  const toggle = el("input", { class: "form-check-input", type: "checkbox", role: "switch", checked: item.enabled,
    "aria-label": `${t("enabled")}: ${item.name || item.id}` });
  toggle.addEventListener("change", async () => {
    toggle.disabled = true;
    try {
      await api("PUT", `/api/schedules/${item.id}`, { enabled: toggle.checked });
      load();
    } catch (error) {
      toggle.checked = !toggle.checked;
      reportError(error);
    } finally {
      toggle.disabled = false;
    }
  });
  const history = el("div", { class: "schedule-history", hidden: true });
  const historyButton = el("button", { type: "button", class: "btn btn-sm btn-outline-secondary",
    "aria-expanded": "false", text: t("history") });
  historyButton.addEventListener("click", async () => {
    const show = history.hidden;
    history.hidden = !show;
    historyButton.setAttribute("aria-expanded", String(show));
    if (!show) return;
    clear(history, loading());
    try {
      renderRuns(history, (await api("GET", `/api/schedules/${item.id}`)).item.runs || []);
    } catch (error) {
      clear(history, failure(error));
    }
  });
  const editButton = el("button", { type: "button", class: "btn btn-sm btn-outline-secondary", text: t("edit"),
    onclick: () => edit(item) });
  const remove = el("button", { type: "button", class: "btn btn-sm btn-outline-danger", text: t("delete") });
  remove.addEventListener("click", async () => {
    if (!(await confirmDialog(t("delete_schedule_confirm", { name: item.name || `#${item.id}` }), { danger: true }))) {
      return;
    }
    busy(remove, async () => {
      try {
        await api("DELETE", `/api/schedules/${item.id}`);
        if (editing?.id === item.id) closeEditor();
        toast(t("deleted"));
        load();
      } catch (error) {
        reportError(error);
      }
    });
  });
  const status = statusOf(item);
  const last = item.runs?.[0];
  const recipients = (item.to || []).map((puid) => names[puid]?.name || puid);
  const zone = item.timezone && item.timezone !== timeZone ? ` (${item.timezone})` : "";
  return el("li", { class: "chat-row flex-wrap", "data-schedule": item.id },
    el("div", { class: "row-main" },
      el("div", { class: "row-title" },
        el("span", { class: "name", text: item.name || t("schedule_n", { id: item.id }) }),
        el("span", { class: `badge text-bg-${status.kind} schedule-status`, text: status.text }),
        item.kind === "cron" ? el("code", { class: "schedule-cron", text: item.cron })
          : el("span", { class: "badge badge-soft", text: t("once") }),
        last ? el("span", { class: `badge text-bg-${runLabel(last).kind}`, title: t("last_run"),
          text: `${t("last_run")}: ${runLabel(last).text}` }) : null),
      el("div", { class: "small schedule-next", "data-next": item.next_run_at || "" },
        item.next_run_at ? `${t("next_run")}: ${formatTime(item.next_run_at, { full: true })}${zone}`
          : t("no_next_run")),
      item.text ? el("div", { class: "schedule-text text-truncate", text: item.text }) : null,
      el("div", { class: "row-sub text-truncate" }, t("to_recipients", { names: recipients.join(", ") }),
        item.files?.length ? ` · ${t("files_n", { n: item.files.length })}` : "")),
    el("div", { class: "row-actions" }, el("div", { class: "form-check form-switch mb-0" }, toggle), historyButton,
      editButton, remove),
    history);
}

async function load() {
  if (!list.childElementCount) clear(list, el("li", {}, loading()));
  let data;
  try {
    data = await api("GET", "/api/schedules?per_page=200");
  } catch (error) {
    clear(list, el("li", {}, failure(error, "/api/schedules")));
    return;
  }
  const items = data.items || [];
  const names = await namesFor(items.flatMap((item) => item.to || []));
  clear(list, items.length ? items.map((item) => renderSchedule(item, names))
    : el("li", {}, emptyState(t("no_schedules"))));
}

load();
