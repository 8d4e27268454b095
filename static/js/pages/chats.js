// Conversations: the chat list (pinned first, latest first, unread badges, search, live order over SSE) and one
// chat at a time (history loaded backwards by cursor as you scroll up, live messages from the SSE payload, replies
// through the paced send path with their state: sending, sent, failed).
//
// Everything WeChat users control (names, texts, file names, URLs) reaches the DOM as text nodes through el().
import { attachmentBox } from "../attachments.js";
import { $, ApiError, api, avatar, clear, debounce, el, formatSize, formatTime, query, reportError, safeUrl, t,
  timeZone, locale } from "../core.js";
import { displayName, listMembers } from "../data.js";
import { EMOJI } from "../emoji.js";
import { on } from "../live.js";

const PAGE = 50;
const MENTION_SPACE = "\u2005"; // what WeChat puts after an @name: the member is notified
const root = $("#chats");
const listNode = $("#chat-list");
const history = $("#history");
const messageList = $("#message-list");
const pendingList = $("#pending-list");
const placeholder = $("#chat-placeholder");
const composer = $("#composer");
const textBox = $("#composer-text");

const chats = new Map(); // puid -> chat item (GET /api/chats)
let searching = "";
const open = { puid: null, messages: [], ids: new Set(), hasMore: false, loading: false, token: 0 };
const pending = new Map(); // job id -> reply entry {node, stateNode, status, parts}
const replies = []; // the replies of this chat in this page, newest last (they claim their archived copies)

// -- times and days -------------------------------------------------------------------------------------------
const dayKey = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
const dayLabel = new Intl.DateTimeFormat(locale, { timeZone, year: "numeric", month: "long", day: "numeric",
  weekday: "short" });
const clock = new Intl.DateTimeFormat(locale, { timeZone, hour: "2-digit", minute: "2-digit", hour12: false });
const dayOf = (iso) => dayKey.format(new Date(iso));

// -- the chat list --------------------------------------------------------------------------------------------
function preview(chat) {
  const last = chat.last_message;
  if (!last) return "";
  let text = last.type === "text" || last.type === "note" || last.type === "system" ? last.text
    : `[${t(`type_${last.type}`)}]${last.file_name ? ` ${last.file_name}` : ""}`;
  if (last.recalled) text = `${t("recalled")}: ${text}`;
  const who = chat.kind === "group" && !last.is_outgoing && last.sender_name ? `${last.sender_name}: ` : "";
  return `${who}${text}`;
}

function sortedChats() {
  const at = (chat) => (chat.last_message ? Date.parse(chat.last_message.created_at) : 0);
  const id = (chat) => chat.last_message?.id || 0; // WeChat's times are whole seconds: arrival order breaks ties
  return [...chats.values()].sort((a, b) => (b.pinned - a.pinned) || (at(b) - at(a)) || (id(b) - id(a)));
}

function chatRow(chat) {
  const badge = chat.unread > 0 ? el("span", { class: "badge rounded-pill text-bg-danger convo-unread",
    "aria-label": t("unread_n", { n: chat.unread }), text: chat.unread > 99 ? "99+" : String(chat.unread) }) : null;
  return el("li", { class: `convo-row${chat.pinned ? " is-pinned" : ""}${chat.puid === open.puid ? " is-open" : ""}`,
    "data-puid": chat.puid },
  el("button", { type: "button", class: "convo-item", "aria-current": chat.puid === open.puid ? "true" : null,
    onclick: () => openChat(chat.puid) },
  el("span", { class: "convo-avatar" }, avatar(chat.avatar_url, chat.name), badge),
  el("span", { class: "convo-item-main" },
    el("span", { class: "convo-item-top" },
      el("span", { class: "convo-name text-truncate", text: chat.name }),
      el("time", { class: "convo-time", text: chat.last_message ? formatTime(chat.last_message.created_at) : "" })),
    el("span", { class: "convo-preview text-truncate", text: preview(chat) })),
  chat.pinned ? el("span", { class: "convo-pin-mark", title: t("pinned"), "aria-label": t("pinned"), text: "📌" }) : null));
}

function renderList() {
  const items = sortedChats();
  clear(listNode, items.length ? items.map(chatRow)
    : el("li", { class: "empty-state text-secondary", text: searching ? t("chats_none_found") : t("chats_empty") }));
}

async function loadChats() {
  try {
    const data = await api("GET", `/api/chats${query({ q: searching, limit: 100 })}`);
    chats.clear();
    for (const chat of data.items) chats.set(chat.puid, chat);
    renderList();
    if (open.puid && chats.has(open.puid)) renderHead(chats.get(open.puid));
  } catch (error) {
    clear(listNode, el("li", { class: "alert alert-danger", text: error.message }));
  }
}
const reloadChats = debounce(loadChats, 400);

$("#chat-q").addEventListener("input", debounce((event) => {
  searching = event.target.value.trim();
  loadChats();
}, 250));

// -- rendering one message ------------------------------------------------------------------------------------
function mediaNote(message) {
  return message.media_status ? el("div", { class: "small text-secondary media-note",
    text: t(`media_${message.media_status}`) }) : null;
}

function fileCard(message, icon) {
  const media = message.media_url && safeUrl(message.media_url);
  return el("div", { class: "file-card" },
    el("span", { class: "file-icon", "aria-hidden": "true", text: icon }),
    el("span", { class: "file-card-main" },
      el("span", { class: "file-card-name text-truncate", text: message.file_name || t(`type_${message.type}`) }),
      el("span", { class: "small text-secondary", text: formatSize(message.file_size) })),
    media ? el("a", { class: "btn btn-sm btn-outline-success", href: media, download: message.file_name || "",
      text: t("download") }) : null);
}

function body(message) {
  const media = message.media_url && safeUrl(message.media_url);
  switch (message.type) {
    case "picture":
    case "emoticon":
      if (!media) return [el("span", { class: "text-secondary", text: `[${t(`type_${message.type}`)}]` }), mediaNote(message)];
      return el("button", { type: "button", class: "thumb-button", "aria-label": t("image_viewer"),
        onclick: () => showImage(media) },
      el("img", { class: `thumb${message.type === "emoticon" ? " is-sticker" : ""}`, src: media, alt: "",
        loading: "lazy", decoding: "async" }));
    case "recording": {
      const playable = media && document.createElement("audio").canPlayType("audio/mpeg");
      return playable ? el("audio", { controls: true, preload: "none", src: media, class: "voice" })
        : [fileCard(message, "🎙"), mediaNote(message)];
    }
    case "video":
      return media ? el("video", { controls: true, preload: "metadata", src: media, class: "video", playsinline: true })
        : [fileCard(message, "🎬"), mediaNote(message)];
    case "attachment":
      return [fileCard(message, "📄"), mediaNote(message)];
    case "sharing": {
      const url = message.url && safeUrl(message.url);
      const title = message.file_name || message.text.split("\n")[0] || url || t("type_sharing");
      let host = "";
      try {
        host = url ? new URL(url).host : "";
      } catch { /* no host line then */ }
      const card = [el("span", { class: "link-title", text: title }), el("span", { class: "small text-secondary", text: host })];
      return url ? el("a", { class: "link-card", href: url, target: "_blank", rel: "noopener noreferrer nofollow",
        title: t("open_link") }, card) : el("div", { class: "link-card" }, card);
    }
    default: {
      const text = message.type === "text" ? message.text
        : `[${t(`type_${message.type}`)}]${message.text ? ` ${message.text}` : ""}`;
      return el("div", { class: "msg-text", text: text || t("no_text") });
    }
  }
}

function messageNode(message) {
  if (message.type === "note" || message.type === "system") {
    return el("li", { class: `msg-note${message.recalled ? " is-recalled" : ""}`, "data-id": message.id },
      el("span", { text: message.recalled ? `↩ ${message.text}` : message.text }));
  }
  const group = message.chat_kind === "group";
  const incoming = !message.is_outgoing;
  const sender = message.sender_name || message.sender_puid || "";
  return el("li", { class: `msg${incoming ? "" : " is-out"}${message.recalled ? " is-recalled" : ""}`,
    "data-id": message.id, "data-type": message.type },
    incoming ? el("span", { class: "msg-avatar" },
      avatar(message.sender_avatar_url || null, group ? sender : message.chat_name, "sm")) : null,
    el("div", { class: "msg-main" },
      group && incoming ? el("div", { class: "msg-sender", text: sender }) : null,
      el("div", { class: "bubble" }, body(message)),
      message.recalled ? el("div", { class: "msg-recalled small text-secondary",
        text: `↩ ${t("recalled")}${message.recalled_by ? ` · ${message.recalled_by}` : ""}` }) : null,
      el("time", { class: "msg-time", datetime: message.created_at, title: formatTime(message.created_at, { full: true }),
        text: clock.format(new Date(message.created_at)) })));
}

function daySeparator(iso) {
  return el("li", { class: "day-separator", role: "separator", "data-day": dayOf(iso) },
    el("span", { text: dayLabel.format(new Date(iso)) }));
}

function withSeparators(messages, previousDay = null) {
  const nodes = [];
  let day = previousDay;
  for (const message of messages) {
    const key = dayOf(message.created_at);
    if (key !== day) nodes.push(daySeparator(message.created_at));
    day = key;
    nodes.push(messageNode(message));
  }
  return nodes;
}

function renderTop() {
  clear($("#history-top"), open.hasMore ? el("button", { type: "button", class: "btn btn-sm btn-link",
    text: t("load_older"), onclick: loadOlder }) : open.messages.length ? el("div", { class: "small text-secondary",
    text: t("history_start") }) : null);
}

// -- the image viewer -----------------------------------------------------------------------------------------
const viewer = $("#viewer");
function showImage(url) {
  $("#viewer-image").src = url;
  viewer.showModal();
}
viewer.addEventListener("click", (event) => {
  if (event.target === viewer) viewer.close();
});

// -- one open chat --------------------------------------------------------------------------------------------
function renderHead(chat) {
  clear($("#chat-title"), chat.name);
  clear($("#chat-avatar"), avatar(chat.avatar_url, chat.name, "sm"));
  clear($("#chat-subtitle"), chat.kind === "group" && chat.member_count ? t("members_n", { n: chat.member_count }) : "");
  const pin = $("#chat-pin");
  pin.hidden = false;
  pin.textContent = chat.pinned ? t("unpin_chat") : t("pin_chat");
  pin.setAttribute("aria-pressed", chat.pinned ? "true" : "false");
  $("#mention-button").hidden = chat.kind !== "group";
}

function atBottom() {
  return history.scrollHeight - history.scrollTop - history.clientHeight < 80;
}

function scrollToBottom() {
  followEnd = true;
  history.scrollTop = history.scrollHeight;
  $("#new-below").hidden = true;
}

async function openChat(puid, { push = true } = {}) {
  const token = ++open.token;
  Object.assign(open, { puid, messages: [], ids: new Set(), hasMore: false, loading: true });
  root.dataset.view = "conversation";
  composer.hidden = false;
  placeholder.hidden = true;
  clear(messageList);
  clear(pendingList);
  pending.clear();
  replies.length = 0;
  closePanels();
  if (push) window.history.replaceState(null, "", `/chats?chat=${encodeURIComponent(puid)}`);
  const chat = chats.get(puid) || { puid, name: puid, kind: "friend", pinned: false };
  renderHead(chat);
  renderList();
  try {
    const page = await api("GET", `/api/chats/${encodeURIComponent(puid)}/messages?limit=${PAGE}`);
    if (token !== open.token) return;
    open.messages = page.items;
    open.hasMore = page.has_more;
    for (const message of page.items) open.ids.add(message.id);
    clear(messageList, withSeparators(page.items));
    renderTop();
    scrollToBottom();
  } catch (error) {
    reportError(error);
  } finally {
    if (token === open.token) open.loading = false;
  }
  markRead(puid);
  textBox.focus({ preventScroll: true });
}

async function loadOlder() {
  if (!open.puid || open.loading || !open.hasMore || !open.messages.length) return;
  const token = open.token;
  open.loading = true;
  const before = open.messages[0].cursor;
  try {
    const page = await api("GET", `/api/chats/${encodeURIComponent(open.puid)}/messages${query({ before, limit: PAGE })}`);
    if (token !== open.token) return;
    const fresh = page.items.filter((message) => !open.ids.has(message.id));
    for (const message of fresh) open.ids.add(message.id);
    open.hasMore = page.has_more;
    const height = history.scrollHeight;
    const top = history.scrollTop;
    // The first day of the loaded page may continue into what is shown: that day's separator moves up.
    const first = messageList.firstElementChild;
    if (first?.classList.contains("day-separator") && fresh.length
        && first.dataset.day === dayOf(fresh[fresh.length - 1].created_at)) first.remove();
    messageList.prepend(...withSeparators(fresh));
    open.messages = [...fresh, ...open.messages];
    renderTop();
    history.scrollTop = top + (history.scrollHeight - height);
  } catch (error) {
    reportError(error);
  } finally {
    if (token === open.token) open.loading = false;
  }
}

// Following the end: pictures that load after the page was scrolled down would push the newest messages out.
let followEnd = true;
history.addEventListener("scroll", () => {
  followEnd = atBottom();
  if (history.scrollTop < 300) loadOlder();
  if (followEnd) $("#new-below").hidden = true;
}, { passive: true });
history.addEventListener("load", () => {
  if (followEnd) history.scrollTop = history.scrollHeight;
}, true); // load does not bubble: listen while it goes down to the image

function appendMessage(message) {
  if (open.ids.has(message.id)) return;
  const stick = atBottom();
  const last = open.messages[open.messages.length - 1];
  open.ids.add(message.id);
  open.messages.push(message);
  messageList.append(...withSeparators([message], last ? dayOf(last.created_at) : null));
  renderTop();
  if (stick || message.is_outgoing) scrollToBottom();
  else {
    const below = $("#new-below");
    below.hidden = false;
    below.textContent = t("new_below");
  }
}
$("#new-below").addEventListener("click", scrollToBottom);

/** Fetch what came after the newest message shown (after a reconnect gap, or for a cut-off live payload). */
async function catchUp() {
  if (!open.puid) return;
  const token = open.token;
  let last = open.messages[open.messages.length - 1];
  for (let round = 0; round < 20; round += 1) {
    const path = `/api/chats/${encodeURIComponent(open.puid)}/messages${query({ after: last?.cursor, limit: 200 })}`;
    const page = await api("GET", path);
    if (token !== open.token) return;
    for (const message of page.items) appendMessage(message);
    last = open.messages[open.messages.length - 1];
    if (!page.has_more || !last) return;
  }
}

const markRead = debounce(async (puid) => {
  try {
    await api("POST", `/api/chats/${encodeURIComponent(puid)}/read`);
    const chat = chats.get(puid);
    if (chat && chat.unread) {
      chat.unread = 0;
      renderList();
    }
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 0) console.warn(error);
  }
}, 300);

$("#chat-back").addEventListener("click", () => {
  root.dataset.view = "list";
  open.puid = null;
  open.token += 1;
  window.history.replaceState(null, "", "/chats");
  composer.hidden = true;
  $("#chat-pin").hidden = true;
  clear(messageList);
  clear(pendingList);
  clear($("#history-top"));
  placeholder.hidden = false;
  renderList();
});

$("#chat-pin").addEventListener("click", async () => {
  const chat = chats.get(open.puid);
  if (!chat) return;
  try {
    const result = await api(chat.pinned ? "DELETE" : "PUT", `/api/chats/${encodeURIComponent(chat.puid)}/pin`);
    chat.pinned = result.pinned;
    renderHead(chat);
    renderList();
  } catch (error) {
    reportError(error);
  }
});

// -- live events ----------------------------------------------------------------------------------------------
on("message", (message) => {
  if (!message || !message.chat_puid) return;
  const chat = chats.get(message.chat_puid);
  const isOpen = message.chat_puid === open.puid;
  if (isOpen) {
    if (message.is_outgoing && claimedByPending(message)) { /* shown as the reply being sent */ }
    else if (message.truncated) catchUp().catch(reportError);
    else appendMessage(message);
    if (!message.is_outgoing && document.visibilityState === "visible") markRead(message.chat_puid);
  }
  if (!chat) {
    if (!searching) reloadChats();
    return;
  }
  chat.last_message = message;
  if (!isOpen && !message.is_outgoing) chat.unread = (chat.unread || 0) + 1;
  renderList();
});

on("reset", () => {
  loadChats();
  catchUp().catch(reportError);
});

// A short job can finish before its POST has answered: keep the latest event of recent jobs to apply later.
const jobEvents = new Map();
on("job", (job) => {
  jobEvents.set(job.id, job);
  if (jobEvents.size > 50) jobEvents.delete(jobEvents.keys().next().value);
  applyJob(job);
});

function applyJob(job) {
  const entry = pending.get(job.id);
  if (!entry || entry.status !== "sending") return;
  if (job.status === "done" && job.sent > 0) setPending(entry, "sent");
  else if (job.status === "done" || job.status === "failed" || job.status === "cancelled") {
    entry.status = "failing";
    failedReason(job).then((reason) => setPending(entry, "failed", reason));
  }
}

async function failedReason(job) {
  if (job.error) return job.error;
  try {
    const detail = await api("GET", `/api/jobs/${job.id}`);
    return detail.items?.find((item) => item.error)?.error || detail.status;
  } catch {
    return job.status;
  }
}

/** A reply the bot sent is archived and announced like any message: the reply's own bubble (with its state)
 * stands for it, so it is not shown twice. */
function claimedByPending(message) {
  for (const entry of replies) {
    const index = entry.parts.findIndex((part) => (message.type === "text" ? part.text === message.text
      : part.file === message.file_name));
    if (index >= 0) {
      entry.parts.splice(index, 1);
      open.ids.add(message.id);
      return true;
    }
  }
  return false;
}

function setPending(entry, status, reason = "") {
  if (status !== "sending") messageList.append(entry.node); // in order with what arrives after it
  entry.status = status;
  entry.node.dataset.status = status;
  entry.stateNode.textContent = status === "sent" ? t("msg_sent") : status === "failed"
    ? t("msg_failed", { reason }) : t("msg_sending");
  entry.stateNode.classList.toggle("text-danger", status === "failed");
}

// -- the composer ---------------------------------------------------------------------------------------------
const attachments = attachmentBox({ input: $("#composer-file"), list: $("#composer-files"), dropZone: $("#conversation") });

textBox.addEventListener("paste", (event) => {
  const files = [...(event.clipboardData?.files || [])];
  if (files.length) {
    event.preventDefault();
    attachments.add(files);
  }
});

function insertText(text, replaceBefore = 0) {
  const start = Math.max(0, textBox.selectionStart - replaceBefore);
  const end = textBox.selectionEnd;
  textBox.setRangeText(text, start, end, "end");
  textBox.focus();
  autosize();
}

function autosize() {
  textBox.style.height = "auto";
  textBox.style.height = `${Math.min(textBox.scrollHeight, 160)}px`;
}
textBox.addEventListener("input", autosize);

textBox.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    composer.requestSubmit();
  }
});

function closePanels() {
  for (const [panel, button] of [["#emoji-panel", "#emoji-button"], ["#mention-panel", "#mention-button"]]) {
    $(panel).hidden = true;
    $(button).setAttribute("aria-expanded", "false");
  }
}

function togglePanel(panel, button) {
  const show = $(panel).hidden;
  closePanels();
  $(panel).hidden = !show;
  $(button).setAttribute("aria-expanded", String(show));
  return show;
}

clear($("#emoji-panel"), EMOJI.map((emoji) => el("button", { type: "button", class: "emoji-choice", text: emoji,
  "aria-label": emoji, onclick: () => insertText(emoji) })));
$("#emoji-button").addEventListener("click", () => togglePanel("#emoji-panel", "#emoji-button"));

// @mentions: the picker lists the group's members by the name they show in the group.
let mentionTyped = false;
async function showMembers() {
  const chat = chats.get(open.puid);
  if (!chat) return;
  const q = $("#mention-q").value.trim();
  try {
    const page = await listMembers({ id: chat.group_id, puid: chat.puid }, { q, per_page: 20 });
    clear($("#mention-list"), page.items.length ? page.items.map((member) => {
      const name = displayName(member);
      return el("li", {}, el("button", { type: "button", class: "mention-choice", onclick: () => {
        insertText(`@${name}${MENTION_SPACE}`, mentionTyped ? 1 : 0);
        mentionTyped = false;
        closePanels();
      } }, avatar(member.avatar_url, name, "sm"), el("span", { text: name })));
    }) : el("li", { class: "small text-secondary", text: t("no_members") }));
  } catch (error) {
    clear($("#mention-list"), el("li", { class: "small text-danger", text: error.message }));
  }
}
function openMentions(typed) {
  mentionTyped = typed;
  if (togglePanel("#mention-panel", "#mention-button")) {
    $("#mention-q").value = "";
    showMembers();
    $("#mention-q").focus();
  }
}
$("#mention-button").addEventListener("click", () => openMentions(false));
$("#mention-q").addEventListener("input", debounce(showMembers, 200));
$("#mention-q").addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    closePanels();
    textBox.focus();
  }
});
textBox.addEventListener("input", (event) => {
  if (event.data === "@" && chats.get(open.puid)?.kind === "group") openMentions(true);
});

composer.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!open.puid) return;
  const puid = open.puid;
  const text = textBox.value;
  const files = await attachments.ids();
  if (!text.trim() && !files.length) return;
  const names = [...$("#composer-files").children].map((node) => node.dataset.name).filter(Boolean);
  const stateNode = el("span", { class: "msg-state small text-secondary", text: t("msg_sending") });
  const node = el("li", { class: "msg is-out is-pending", "data-status": "sending" },
    el("div", { class: "msg-main" },
      text ? el("div", { class: "bubble" }, el("div", { class: "msg-text", text })) : null,
      names.map((name) => el("div", { class: "bubble" }, el("div", { class: "file-card" },
        el("span", { class: "file-icon", "aria-hidden": "true", text: "📄" }),
        el("span", { class: "file-card-name text-truncate", text: name })))),
      stateNode));
  pendingList.append(node);
  scrollToBottom();
  textBox.value = "";
  autosize();
  attachments.clear();
  closePanels();
  const entry = { node, stateNode, status: "sending",
    parts: [...(text ? [{ text }] : []), ...names.map((file) => ({ file }))] };
  replies.push(entry);
  try {
    const result = await api("POST", `/api/chats/${encodeURIComponent(puid)}/messages`, { text, files });
    if (open.puid !== puid) return;
    pending.set(result.job.id, entry);
    node.dataset.job = result.job.id;
    applyJob(jobEvents.get(result.job.id) || result.job);
  } catch (error) {
    setPending(entry, "failed", error.message);
  }
});

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && open.puid) markRead(open.puid);
});

// -- start ----------------------------------------------------------------------------------------------------
clear(placeholder, t("pick_chat"));
await loadChats();
const wanted = new URLSearchParams(window.location.search).get("chat");
if (wanted) openChat(wanted, { push: false });
