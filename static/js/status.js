// The bot's login state (GET /api/status, SSE `login` / `listener`) as words and badges, shared by pages.
import { el, t } from "./core.js";

export const STATE_CLASS = {
  logged_in: "text-bg-success", waiting: "text-bg-warning", scanned: "text-bg-info", confirmed: "text-bg-info",
  starting: "text-bg-secondary", logged_out: "text-bg-secondary", stopped: "text-bg-secondary",
  refused: "text-bg-danger", no_listener: "text-bg-dark", not_connected: "text-bg-light",
};

/** The short name of a login state (badge). */
export function stateLabel(state) {
  const key = `state_${state}`;
  const text = t(key);
  return text === key ? String(state) : text;
}

export function stateBadge(state) {
  return el("span", { class: `badge ${STATE_CLASS[state] || "text-bg-secondary"}`, "data-state": state,
    text: stateLabel(state) });
}

/** What a login state means for the operator (one sentence). */
export function stateHelp(state) {
  const key = `login_${state}`;
  const text = t(key);
  return text === key ? "" : text;
}

/** While not logged in: bot commands wait for a login (GET /api/status `bot_queue`), as one line of text. */
export function botWaitText(status) {
  if (!status || status.login?.state === "logged_in") return "";
  const queue = status.bot_queue || {};
  const minutes = Math.round((Number(queue.expires_seconds) || 300) / 60);
  const waiting = Number(queue.waiting) || 0;
  return t("bot_waits_for_login", { minutes }) + (waiting ? ` ${t("bot_queue_waiting", { n: waiting })}` : "");
}
