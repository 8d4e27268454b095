// The message archive: filters (type, chat, sender, dates, text), newest first, media inline or downloadable,
// new messages live (SSE `message`: shown from the event itself), and "mark all read".
import {
  api, avatar, busy, clear, debounce, el, emptyState, failure, formatSize, formatTime, loading, pager, query,
  reportError, safeUrl, t, timeZone, toast,
} from "../core.js";
import { on, setUnread } from "../live.js";

const form = document.getElementById("filters");
const list = document.getElementById("messages");
const paging = document.getElementById("messages-pager");
const chips = document.getElementById("filter-chips");
const PER_PAGE = 30;
const filters = { chat: null, sender: null }; // {puid, name}
const seen = new Set();
let page = 1;
let shown = null; // the page of results on screen: {total, page, per_page, ...} (the pager's input)
let loads = 0; // fetches of the list in flight: live messages wait for them (the answer may predate the message)
const waiting = [];

/** Midnight of a YYYY-MM-DD day in the configured zone, as an ISO instant (UTC). */
function zonedMidnight(day, addDays = 0) {
  const [y, m, d] = day.split("-").map(Number);
  const guess = Date.UTC(y, m - 1, d + addDays);
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
    minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(guess)).map((part) => [part.type, part.value]));
  const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return new Date(guess - (wall - guess)).toISOString();
}

function params() {
  const data = new FormData(form);
  return {
    q: String(data.get("q") || "").trim(),
    type: data.get("type") || "",
    chat: filters.chat?.puid || "",
    sender: filters.sender?.puid || "",
    since: data.get("since") ? zonedMidnight(String(data.get("since"))) : "",
    until: data.get("until") ? zonedMidnight(String(data.get("until")), 1) : "",
  };
}

function renderChips() {
  clear(chips, ["chat", "sender"].filter((name) => filters[name]).map((name) => el("span", { class: "chip" },
    `${t(name === "chat" ? "chat" : "sender")}: `, el("strong", { text: filters[name].name || filters[name].puid }),
    el("button", { type: "button", class: "btn-close btn-close-sm", "aria-label": `${t("remove")} ${t(name)}`,
      onclick: () => {
        filters[name] = null;
        load(1);
      } }))));
}

function setFilter(name, puid, label) {
  if (!puid) return;
  filters[name] = { puid, name: label };
  load(1);
}

function skippedMedia(message) {
  // The archive kept the message but not its media (too large, disk low, daily budget of the chat spent).
  return message.media_status ? el("span", { class: "badge text-bg-warning media-skipped",
    text: t(`media_skipped_${message.media_status}`) }) : null;
}

function body(message) {
  const media = message.media_url && safeUrl(message.media_url) ? message.media_url : null;
  switch (message.type) {
    case "picture":
    case "emoticon":
      return media ? el("a", { href: media, target: "_blank", rel: "noopener" },
        el("img", { class: "message-image", src: media, alt: message.file_name || t(`type_${message.type}`),
          loading: "lazy" })) : el("span", {}, el("span", { class: "text-secondary", text: t(`type_${message.type}`) }),
        " ", skippedMedia(message));
    case "recording":
    case "video":
    case "attachment": {
      const label = message.file_name || t(`type_${message.type}`);
      return el("div", { class: "file-chip" },
        el("span", { class: "file-icon", "aria-hidden": "true", text: message.type === "recording" ? "🎙" : message.type === "video" ? "🎬" : "📄" }),
        el("span", { class: "text-truncate", text: label }),
        message.file_size ? el("span", { class: "text-secondary small", text: formatSize(message.file_size) }) : null,
        skippedMedia(message),
        media ? el("a", { class: "btn btn-sm btn-outline-success", href: media, download: message.file_name || "",
          text: t("download") }) : null);
    }
    case "sharing": {
      const url = message.url && safeUrl(message.url);
      return el("div", {}, url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow",
        text: message.text || url }) : el("span", { text: message.text || "" }));
    }
    default:
      return el("div", { class: "message-text", text: message.text || "" });
  }
}

function renderMessage(message, fresh = false) {
  const chatButton = el("button", { type: "button", class: "btn btn-link p-0 chat-name", text: message.chat_name || "",
    title: t("filter_chat"), onclick: () => setFilter("chat", message.chat_puid, message.chat_name) });
  const sender = message.is_outgoing ? t("me") : (message.sender_name || "");
  const senderButton = el("button", { type: "button", class: "btn btn-link p-0 sender-name", text: sender,
    title: t("filter_sender"), onclick: () => setFilter("sender", message.sender_puid, sender) });
  return el("li", { class: `message${message.is_outgoing ? " outgoing" : ""}${fresh ? " fresh" : ""}`,
    "data-id": message.id, "data-type": message.type },
  avatar(null, sender || message.chat_name, "sm"),
  el("div", { class: "message-main" },
    el("div", { class: "message-meta" },
      chatButton,
      message.chat_kind === "group" && sender ? [" · ", senderButton] : null,
      el("span", { class: `badge type-badge type-${message.type}`, text: t(`type_${message.type}`) }),
      recalledBadge(message),
      el("time", { class: "ms-auto text-secondary small", datetime: message.created_at,
        text: formatTime(message.created_at) })),
    body(message)));
}

function recalledBadge(message) {
  // Kept in the archive although its sender took it back: say so, with who and when.
  if (!message.recalled_at) return null;
  return el("span", { class: "badge text-bg-secondary recalled-badge", text: t("recalled"),
    title: t("recalled_by", { name: message.recalled_by || "", time: formatTime(message.recalled_at) }) });
}

async function load(target = page, { live = false } = {}) {
  page = target;
  renderChips();
  if (!live) clear(list, el("li", {}, loading()));
  let result;
  loads += 1;
  try {
    result = await api("GET", `/api/messages${query({ ...params(), page, per_page: PER_PAGE })}`);
  } catch (error) {
    loads -= 1;
    shown = null;
    if (!loads) waiting.length = 0; // nothing on screen to put them into; the next load lists them
    clear(list, el("li", {}, failure(error, "/api/messages")));
    clear(paging);
    return;
  }
  const firstLoad = seen.size === 0;
  clear(list, result.items.length ? result.items.map((message) => {
    const fresh = live && !firstLoad && !seen.has(message.id);
    seen.add(message.id);
    return renderMessage(message, fresh);
  }) : el("li", { class: "empty" }, emptyState(t("no_messages"), { icon: "✉" })));
  shown = result;
  renderPager();
  loads -= 1;
  if (!loads) for (const message of waiting.splice(0)) showLive(message);
}

function renderPager() {
  clear(paging, shown && shown.total > shown.per_page ? pager(shown, (n) => load(n)) : null);
}

const liveRefresh = debounce(() => {
  if (page === 1 && !form.elements.until.value) load(1, { live: true });
}, 400);

/** Whether the filters on screen select this message, or null when only the server can tell (text search). */
function selects(message) {
  const current = params();
  if (current.q) return null; // the server's search (full-text, per engine) decides; do not guess here
  if (current.type && message.type !== current.type) return false;
  if (current.chat && message.chat_puid !== current.chat) return false;
  if (current.sender && message.sender_puid !== current.sender) return false;
  const at = Date.parse(message.created_at);
  if (current.since && at < Date.parse(current.since)) return false;
  return !(current.until && at >= Date.parse(current.until));
}

/** A live `message` event carries the message as the API lists it: show it in place, no refetch of the list. */
function showLive(message) {
  if (!message || message.id == null) return;
  if (loads) {
    waiting.push(message);
    return;
  }
  if (!shown || page !== 1) return;
  if (message.truncated) { // too long for an event: the list brings the whole text
    liveRefresh();
    return;
  }
  const match = selects(message);
  if (match === null) {
    liveRefresh();
    return;
  }
  const existing = list.querySelector(`li.message[data-id="${CSS.escape(String(message.id))}"]`);
  if (existing) { // the same message again (e.g. its media saved since): update it where it is
    existing.replaceWith(renderMessage(message, existing.classList.contains("fresh")));
    return;
  }
  if (!match) return;
  seen.add(message.id);
  list.querySelector("li.empty")?.remove();
  // Newest first, as the API orders: before the first message that is older (by time, then id).
  const at = Date.parse(message.created_at);
  const after = [...list.querySelectorAll("li.message")].find((node) => {
    const other = Date.parse(node.querySelector("time")?.getAttribute("datetime") || "");
    return other < at || (other === at && Number(node.dataset.id) < Number(message.id));
  });
  list.insertBefore(renderMessage(message, true), after || null);
  const rows = list.querySelectorAll("li.message");
  if (rows.length > PER_PAGE) rows[rows.length - 1].remove(); // now the first of page 2
  shown = { ...shown, total: shown.total + 1 };
  renderPager();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  load(1);
});
form.addEventListener("reset", () => {
  filters.chat = null;
  filters.sender = null;
  window.setTimeout(() => load(1), 0);
});
form.elements.type.addEventListener("change", () => load(1));
form.elements.q.addEventListener("input", debounce(() => load(1), 350));

const markRead = document.getElementById("mark-read");
markRead.addEventListener("click", () => busy(markRead, async () => {
  try {
    const result = await api("POST", "/api/notifications/read_all");
    setUnread(result?.unread ?? 0);
    toast(t("marked_read"));
  } catch (error) {
    reportError(error);
  }
}));

const initial = new URLSearchParams(window.location.search);
if (initial.get("chat")) filters.chat = { puid: initial.get("chat"), name: initial.get("chat_name") || "" };
if (initial.get("sender")) filters.sender = { puid: initial.get("sender"), name: initial.get("sender_name") || "" };
if (initial.get("type")) form.elements.type.value = initial.get("type");
if (initial.get("q")) form.elements.q.value = initial.get("q");

on("message", showLive);
// `reset`: the stream could not replay what we missed (history trimmed, or a fresh connection): fetch again.
on("reset", () => load(1, { live: true }));
load(1);
