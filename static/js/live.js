// Live events (SSE at /stream), shared by the page's modules, and the parts of the navigation bar they drive:
// the connection dot and the unread badge. EventSource reconnects by itself and sends Last-Event-ID.
import { api, pageData, t } from "./core.js";

const handlers = new Map();
let source = null;

function dispatch(name, data) {
  for (const handler of handlers.get(name) || []) {
    try {
      handler(data);
    } catch (error) {
      console.error(error);
    }
  }
}

function setStatus(connected) {
  for (const dot of document.querySelectorAll(".live-dot")) {
    dot.classList.toggle("is-live", connected);
    dot.title = connected ? t("live_connected") : t("live_lost");
    const label = dot.querySelector(".visually-hidden");
    if (label) label.textContent = dot.title;
  }
}

// The id of the last event received. The browser resends it (Last-Event-ID) when it reconnects by itself, and the
// server replays what was missed, so pages keep what they built from the events. When the browser gives up
// (the stream answered an error: readyState CLOSED) we reconnect from this id; only without one is there a gap
// the server cannot fill, and pages get `reset` to fetch their state again.
let lastId = "";
let revoked = false;
const REOPEN_MS = 5000;

function openStream() {
  const resume = lastId;
  // A page shows one WeChat account (the switcher's, rendered into <body data-account>): its stream carries only
  // that account's events. The all-accounts overview (<body data-stream="all">) gets every account it may see.
  const params = {};
  const account = document.body.dataset.account;
  if (account && document.body.dataset.stream !== "all") params.account = account;
  if (resume) params.last_event_id = resume;
  const search = new URLSearchParams(params).toString();
  const stream = new EventSource(search ? `/stream?${search}` : "/stream");
  const reopened = source !== null;
  source = stream;
  stream.addEventListener("open", () => {
    setStatus(true);
    if (reopened && !resume) dispatch("reset", { reason: "reconnected without an event id" });
  });
  stream.addEventListener("error", () => {
    setStatus(false);
    if (stream.readyState === EventSource.CLOSED && !revoked && source === stream) window.setTimeout(reopen, REOPEN_MS);
  });
  // `revoked`: our session was ended elsewhere (password change, sign out everywhere, deactivation). Stop
  // reconnecting; the 401 of the next API call shows the "session ended" notice and goes to the sign-in page.
  stream.addEventListener("revoked", () => {
    revoked = true;
    stream.close();
    setStatus(false);
    api("GET", "/api/me").catch(() => {});
  });
  // The names come from the server (libs/events.py, rendered into the page): a new event needs no edit here.
  // `reset`: the server no longer has the history after our last event; pages reload their state.
  for (const name of pageData("events") || []) {
    if (name === "revoked") continue;
    stream.addEventListener(name, (event) => {
      if (event.lastEventId) lastId = event.lastEventId;
      let data = {};
      try {
        data = JSON.parse(event.data || "{}");
      } catch {
        return;
      }
      dispatch(name, data);
    });
  }
}

// Reopen only while still signed in: a 401 from /api/me shows the "session ended" notice (core.js) and stops here.
async function reopen() {
  try {
    await api("GET", "/api/me");
  } catch (error) {
    if (error.status !== 401 && error.status !== 403) window.setTimeout(reopen, REOPEN_MS);
    return;
  }
  openStream();
}

function connect() {
  if (source || document.body.dataset.auth !== "1") return;
  openStream();
}

/** Call handler(data) for every live event of that name (`reset` too). */
export function on(name, handler) {
  if (!(pageData("events") || []).includes(name)) console.error(`live.js: no event named ${name}`);
  if (!handlers.has(name)) handlers.set(name, []);
  handlers.get(name).push(handler);
  connect();
}

// -- the unread badge -----------------------------------------------------------------------------------------
export function setUnread(count) {
  const badge = document.getElementById("nav-unread");
  if (!badge) return;
  const n = Number(count) || 0;
  badge.textContent = n > 99 ? "99+" : String(n);
  badge.hidden = n <= 0;
  badge.setAttribute("aria-label", `${t("unread")}: ${n}`);
  document.dispatchEvent(new CustomEvent("unread", { detail: n }));
}

async function loadUnread() {
  try {
    const data = await api("GET", "/api/notifications");
    setUnread(data.unread);
  } catch {
    setUnread(0); // not built yet, or not reachable: no badge rather than a wrong one
  }
}

if (document.body.dataset.auth === "1") {
  on("notification", (data) => {
    if (data && "unread" in data) setUnread(data.unread);
  });
  on("reset", loadUnread);
  loadUnread();
  connect();
}
