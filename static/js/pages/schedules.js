// Scheduled messages: /api/schedules (list, create, enable/disable, delete); "not available yet" on 404.
import { api, busy, clear, confirmDialog, el, emptyState, failure, formatTime, loading, reportError, t, toast }
  from "../core.js";

const list = document.getElementById("schedules");
const form = document.getElementById("schedule-form");

async function load() {
  clear(list, el("li", {}, loading()));
  let data;
  try {
    data = await api("GET", "/api/schedules");
  } catch (error) {
    clear(list, el("li", {}, failure(error, "/api/schedules")));
    return;
  }
  document.getElementById("schedule-form-card").hidden = false;
  const items = Array.isArray(data) ? data : data.items || [];
  clear(list, items.length ? items.map((item) => {
    const toggle = el("input", { class: "form-check-input", type: "checkbox", role: "switch",
      checked: item.enabled !== false, "aria-label": t("enabled") });
    toggle.addEventListener("change", async () => {
      try {
        await api("PUT", `/api/schedules/${encodeURIComponent(item.id)}`, { enabled: toggle.checked });
      } catch (error) {
        toggle.checked = !toggle.checked;
        reportError(error);
      }
    });
    const remove = el("button", { type: "button", class: "btn btn-sm btn-outline-danger", text: t("delete") });
    remove.addEventListener("click", async () => {
      if (!(await confirmDialog(`${t("delete")}?`, { danger: true }))) return;
      busy(remove, async () => {
        try {
          await api("DELETE", `/api/schedules/${encodeURIComponent(item.id)}`);
          load();
        } catch (error) {
          reportError(error);
        }
      });
    });
    const recipients = Array.isArray(item.to) ? item.to.join(", ") : item.to || "";
    return el("li", { class: "chat-row" },
      el("div", { class: "row-main" },
        el("div", { class: "row-title" }, el("code", { text: item.cron || item.schedule || "" }),
          item.next_run ? el("span", { class: "small text-secondary", text: `→ ${formatTime(item.next_run)}` }) : null),
        el("div", { class: "text-truncate", text: item.text || item.name || "" }),
        recipients ? el("div", { class: "row-sub text-truncate", text: recipients }) : null),
      el("div", { class: "row-actions" }, el("div", { class: "form-check form-switch mb-0" }, toggle), remove));
  }) : el("li", {}, emptyState(t("no_schedules"))));
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  try {
    await api("POST", "/api/schedules", {
      cron: String(data.get("cron")).trim(), text: String(data.get("text")),
      to: String(data.get("to")).split(/[\s,，]+/).filter(Boolean),
    });
    form.reset();
    toast(t("saved"));
    load();
  } catch (error) {
    reportError(error);
  }
});

load();
