// Sync buttons (`data-sync="contacts|groups|mps|all"`) with live progress bars from SSE `sync` events.
import { $$, api, busy, clear, el, reportError, setProgress, t, toast } from "./core.js";
import { on } from "./live.js";

const bars = new Map();
const KIND_LABEL = {
  contacts: "friends", groups: "groups", members: "members", mps: "mps", all: "all", avatars: "avatars",
};

function progressFor(kind) {
  const holder = document.getElementById("sync-progress");
  if (!holder) return null;
  if (!bars.has(kind)) {
    const bar = el("div", { class: "progress-bar bg-success" });
    const label = el("div", { class: "small text-secondary" });
    const row = el("div", { class: "sync-row" }, label,
      el("div", { class: "progress", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100",
        "aria-label": kind }, bar));
    holder.append(row);
    bars.set(kind, { row, bar, label });
  }
  return bars.get(kind);
}

/** Listen for sync progress; onDone(kind) runs when a kind finishes (pages reload their lists). */
export function initSync(onDone = () => {}) {
  for (const button of $$("[data-sync]")) {
    button.addEventListener("click", () => busy(button, async () => {
      try {
        await api("POST", "/api/sync", { what: button.dataset.sync });
        toast(t("sync_started"), "success");
      } catch (error) {
        if (error.status === 404) toast(`${t("not_available")}: /api/sync`, "secondary");
        else reportError(error);
      }
    }));
  }
  on("sync", (data) => {
    const key = String(data.kind || "all");
    const kind = KIND_LABEL[key] ? t(KIND_LABEL[key]) : key;
    const done = Number(data.done) || 0;
    const total = Number(data.total) || 0;
    const view = progressFor(kind);
    if (view) {
      clear(view.label, t("sync_progress", { kind, done, total }));
      setProgress(view.bar, done, total);
    }
    if (total && done >= total) {
      window.setTimeout(() => {
        view?.row.remove();
        bars.delete(kind);
      }, 1500);
      onDone(key);
      if (data.finished) toast(t("sync_done", { kind }), "success");
    }
  });
}
