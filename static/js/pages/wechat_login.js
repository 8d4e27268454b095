// WeChat login: the QR code, the live state (waiting → scanned → logged in) over SSE, refresh, refused, logout.
import { api, busy, clear, confirmDialog, el, formatTime, reportError, t, toast } from "../core.js";
import { on } from "../live.js";
import { botWaitText, stateBadge, stateHelp } from "../status.js";

const stateBox = document.getElementById("login-state");
const image = document.getElementById("qr-image");
const placeholder = document.getElementById("qr-placeholder");
const accountInfo = document.getElementById("account-info");
const refresh = document.getElementById("login-refresh");
const logout = document.getElementById("login-logout");
const refusedHelp = document.getElementById("refused-help");
const botWait = document.getElementById("bot-wait");
const ORDER = ["waiting", "scanned", "logged_in"];
let qrTimer = null;
let current = null;

function showQr(state) {
  window.clearTimeout(qrTimer);
  if (state !== "waiting" && state !== "scanned") {
    image.hidden = true;
    image.removeAttribute("src");
    placeholder.hidden = false;
    return;
  }
  // The PNG may land in Redis a moment after the state: retry a few times on 404.
  let tries = 0;
  const load = () => {
    const probe = new Image();
    const url = `/api/wechat/qrcode.png?t=${Date.now()}`;
    probe.onload = () => {
      image.src = url;
      image.hidden = false;
      placeholder.hidden = true;
      image.classList.toggle("is-scanned", current === "scanned");
    };
    probe.onerror = () => {
      tries += 1;
      if (tries < 10 && (current === "waiting" || current === "scanned")) qrTimer = window.setTimeout(load, 700);
      else clear(placeholder, el("span", { class: "text-secondary", text: t("qr_missing") }));
    };
    probe.src = url;
  };
  load();
}

function render(login, account) {
  const state = login.state || "stopped";
  const changed = state !== current;
  current = state;
  clear(stateBox, stateBadge(state), el("span", { class: "ms-2", text: stateHelp(state) }));
  stateBox.dataset.state = state;
  if (changed || state === "waiting") showQr(state);
  else image.classList.toggle("is-scanned", state === "scanned");
  if (state !== "waiting" && state !== "scanned") {
    clear(placeholder, el("span", { class: "qr-placeholder-icon", "aria-hidden": "true",
      text: state === "logged_in" ? "✓" : state === "refused" ? "!" : "…" }));
  }
  const name = account?.nick_name || login.nick_name;
  accountInfo.hidden = state !== "logged_in";
  if (state === "logged_in") clear(accountInfo, el("div", { class: "account-name", text: name || "" }));
  logout.hidden = state !== "logged_in";
  refresh.hidden = state === "logged_in";
  refusedHelp.hidden = state !== "refused";
  clear(document.getElementById("refused-message"), login.message || "");
  const reached = ORDER.indexOf(state === "confirmed" ? "scanned" : state);
  for (const step of document.querySelectorAll("[data-step]")) {
    const index = ORDER.indexOf(step.dataset.step);
    step.classList.toggle("done", reached >= 0 && index < reached);
    step.classList.toggle("current", index === reached);
  }
}

// While not logged in, bot commands wait for a login: say so (and how many tasks wait), from GET /api/status.
function showBotWait(status) {
  botWait.textContent = botWaitText(status);
  botWait.hidden = !botWait.textContent;
}

// WeChat ended the last session by itself (after a day or three) or from the phone: said until the next login.
function showSessionEnd(status) {
  const notice = document.getElementById("session-end");
  const ended = status.session_end;
  notice.hidden = !ended || status.login?.state === "logged_in";
  notice.textContent = ended ? `${formatTime(new Date(ended.at * 1000).toISOString())} · ${ended.message}` : "";
}

async function loadBotWait() {
  try {
    const status = await api("GET", "/api/status");
    showBotWait(status);
    showSessionEnd(status);
  } catch {
    botWait.hidden = true;
  }
}

async function load() {
  try {
    const status = await api("GET", "/api/status");
    render(status.login || {}, status.account);
    showBotWait(status);
    showSessionEnd(status);
  } catch (error) {
    reportError(error);
  }
}

refresh.addEventListener("click", () => busy(refresh, async () => {
  try {
    await api("POST", "/api/wechat/login");
    toast(t("login_requested"));
  } catch (error) {
    reportError(error);
  }
}));

logout.addEventListener("click", async () => {
  if (!(await confirmDialog(t("logout_confirm"), { danger: true, okText: logout.textContent }))) return;
  await busy(logout, async () => {
    try {
      await api("POST", "/api/wechat/logout");
      toast(t("logout_requested"));
    } catch (error) {
      reportError(error);
    }
  });
});

on("login", (data) => {
  render(data, null);
  if (data.state === "logged_in") botWait.hidden = true;
  else loadBotWait();
});
on("reset", load);
load();
