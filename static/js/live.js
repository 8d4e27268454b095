// Live events (SSE at /stream), shared by the page's modules, and the parts of the navigation bar they drive:
// the connection dot and the unread badge. EventSource reconnects by itself and sends Last-Event-ID.
import { api, t } from "./core.js";

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

function connect() {
  if (source || document.body.dataset.auth !== "1") return;
  source = new EventSource("/stream");
  source.addEventListener("open", () => setStatus(true));
  source.addEventListener("error", () => setStatus(false));
  // `revoked`: our session was ended elsewhere (password change, sign out everywhere, deactivation). Stop
  // reconnecting; the 401 of the next API call shows the "session ended" notice and goes to the sign-in page.
  source.addEventListener("revoked", () => {
    source.close();
    setStatus(false);
    api("GET", "/api/me").catch(() => {});
  });
  // `reset`: the server no longer has the history after our last event; pages reload their state.
  for (const name of ["login", "notification", "sync", "message", "listener", "job", "reset"]) {
    source.addEventListener(name, (event) => {
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

/** Call handler(data) for every live event of that name (`reset` too). */
export function on(name, handler) {
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
