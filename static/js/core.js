// Shared helpers for every dashboard page: DOM building, the JSON API, toasts, dialogs, times, paging.
//
// Everything WeChat users control (nicknames, group names, message text, file names) is hostile: it reaches the
// DOM only as text nodes (textContent / el(...) children), never through innerHTML.

const body = document.body;
const strings = JSON.parse(document.getElementById("i18n-strings")?.textContent || "{}");
// Lists the server owns (libs/page_data.py): live event names, message types, form bounds. Never copy them here.
const serverData = JSON.parse(document.getElementById("page-data")?.textContent || "{}");

export const locale = body.dataset.locale || "zh-CN";
export const timeZone = body.dataset.timezone || "Asia/Shanghai";

/** A translated string; `{name}` placeholders are filled from params. */
export function t(key, params = {}) {
  const text = strings[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** One list the server rendered into the page: "events", "message_types" or "bounds". */
export function pageData(key) {
  return serverData[key];
}

/** The server's bounds of a form field as element attributes ({min, max} or {maxlength}), for el(...). */
export function bounds(form, field) {
  const found = serverData.bounds?.[form]?.[field];
  if (!found) throw new Error(`no bounds for ${form}.${field}`);
  return Object.fromEntries(Object.entries(found).map(([name, value]) => [name, String(value)]));
}

/** createElement with attributes and children. Strings become text nodes; null/false children are skipped. */
export function el(tag, attrs = {}, ...children) {
  const node = tag === "svg" || attrs.svg ? document.createElementNS("http://www.w3.org/2000/svg", tag)
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false || name === "svg") continue;
    if (name === "class") node.setAttribute("class", value);
    else if (name === "text") node.textContent = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "checked" || name === "disabled" || name === "selected" || name === "value") node[name] = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

export function svg(tag, attrs = {}, ...children) {
  return el(tag, { ...attrs, svg: true }, ...children);
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

// -- API ------------------------------------------------------------------------------------------------------
export class ApiError extends Error {
  constructor(status, message, data) {
    super(message);
    this.status = status;
    this.data = data;
  }
}

const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content || "";

/** Call the JSON API. Resolves with the parsed body; rejects with ApiError (status 0: network down). */
export async function api(method, path, payload) {
  const headers = { Accept: "application/json" };
  // Every call names the account the page was rendered for (the switcher's, views/account_context.py): a switch
  // in another tab does not mix a second account into this page.
  const account = document.body?.dataset.account;
  if (account) headers["X-WeChat-Account"] = account;
  let requestBody;
  if (method !== "GET" && method !== "HEAD") headers["X-CSRFToken"] = csrfToken;
  if (payload instanceof FormData) requestBody = payload;
  else if (payload !== undefined) {
    headers["Content-Type"] = "application/json";
    requestBody = JSON.stringify(payload);
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: requestBody, credentials: "same-origin" });
  } catch {
    throw new ApiError(0, t("network_error"));
  }
  let data = null;
  if ((response.headers.get("Content-Type") || "").includes("application/json")) {
    data = await response.json().catch(() => null);
  }
  if (response.status === 401 && !path.startsWith("/api/me/password")) {
    toast(t("session_expired"), "danger");
    window.setTimeout(() => {
      window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
    }, 1200);
  }
  if (!response.ok) throw new ApiError(response.status, data?.error || `${response.status} ${response.statusText}`, data);
  return data;
}

/** Build a query string from the non-empty values of params. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** Show an API failure as a toast (and return it for callers that want to render it too). */
export function reportError(error) {
  console.warn(error);
  toast(error instanceof ApiError ? error.message : String(error), "danger");
  return error;
}

// -- Toasts ---------------------------------------------------------------------------------------------------
export function toast(message, kind = "success") {
  const holder = document.getElementById("toasts");
  if (!holder) return;
  const node = el("div", {
    class: `toast align-items-center border-0 text-bg-${kind}`, role: kind === "danger" ? "alert" : "status",
    "aria-live": kind === "danger" ? "assertive" : "polite", "aria-atomic": "true",
  }, el("div", { class: "d-flex" },
    el("div", { class: "toast-body", text: message }),
    el("button", { type: "button", class: "btn-close btn-close-white me-2 m-auto", "data-bs-dismiss": "toast",
      "aria-label": t("close") })));
  holder.append(node);
  const instance = window.bootstrap.Toast.getOrCreateInstance(node, { delay: kind === "danger" ? 8000 : 4000 });
  node.addEventListener("hidden.bs.toast", () => node.remove());
  instance.show();
}

// -- Dialogs --------------------------------------------------------------------------------------------------
function modal(title, content, { okText = t("confirm"), danger = false, onOk } = {}) {
  return new Promise((resolve) => {
    const ok = el("button", { type: "submit", class: `btn ${danger ? "btn-danger" : "btn-success"}`, text: okText });
    const form = el("form", { class: "modal-content" },
      el("div", { class: "modal-header" },
        el("h2", { class: "modal-title fs-5", text: title }),
        el("button", { type: "button", class: "btn-close", "data-bs-dismiss": "modal", "aria-label": t("close") })),
      el("div", { class: "modal-body" }, content),
      el("div", { class: "modal-footer" },
        el("button", { type: "button", class: "btn btn-outline-secondary", "data-bs-dismiss": "modal",
          text: t("cancel") }),
        ok));
    const node = el("div", { class: "modal fade", tabindex: "-1", "aria-modal": "true", role: "dialog" },
      el("div", { class: "modal-dialog modal-dialog-centered" }, form));
    let result = null;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      result = onOk ? onOk() : true;
      instance.hide();
    });
    node.addEventListener("shown.bs.modal", () => (form.querySelector("input, textarea") || ok).focus());
    node.addEventListener("hidden.bs.modal", () => {
      instance.dispose();
      node.remove();
      resolve(result);
    });
    document.body.append(node);
    const instance = new window.bootstrap.Modal(node);
    instance.show();
  });
}

/** Ask a yes/no question; resolves true when confirmed. */
export async function confirmDialog(message, { title = t("confirm"), okText, danger = false } = {}) {
  return (await modal(title, el("p", { class: "mb-0", text: message }), { okText, danger })) === true;
}

/** Ask for one line (or a few lines) of text; resolves with the text, or null when cancelled. */
export function promptDialog(label, { title = label, value = "", multiline = false, okText } = {}) {
  const id = `prompt-${Date.now()}`;
  const input = multiline ? el("textarea", { id, class: "form-control", rows: "3", maxlength: "200" })
    : el("input", { id, class: "form-control", type: "text", maxlength: "200" });
  input.value = value;
  const content = el("div", {}, el("label", { for: id, class: "form-label", text: label }), input);
  return modal(title, content, { okText, onOk: () => input.value });
}

// -- Formatting -----------------------------------------------------------------------------------------------
const dateTimeFormat = new Intl.DateTimeFormat(locale, {
  timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false,
});
const timeFormat = new Intl.DateTimeFormat(locale, { timeZone, hour: "2-digit", minute: "2-digit", hour12: false });
const dayKeyFormat = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });

/** An ISO 8601 time (UTC) in the configured zone; today's times show the clock only. */
export function formatTime(iso, { full = false } = {}) {
  if (!iso) return "";
  const date = typeof iso === "number" ? new Date(iso * 1000) : new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  if (!full && dayKeyFormat.format(date) === dayKeyFormat.format(new Date())) return timeFormat.format(date);
  return dateTimeFormat.format(date);
}

export function formatSize(bytes) {
  if (bytes === null || bytes === undefined) return "";
  const units = ["B", "KB", "MB", "GB"];
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** A link target only when it is http(s): `javascript:` and friends from a message never become links. */
export function safeUrl(url) {
  try {
    const parsed = new URL(url, window.location.origin);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

// -- Building blocks ------------------------------------------------------------------------------------------
/** An avatar image, or the first letter of the name when there is none (or it fails to load). */
export function avatar(url, name, size = "md") {
  const letter = el("span", { class: `avatar avatar-${size} avatar-letter`, "aria-hidden": "true",
    text: Array.from((name || "?").trim())[0] || "?" });
  if (!url || !safeUrl(url)) return letter;
  const image = el("img", { class: `avatar avatar-${size}`, src: url, alt: "", loading: "lazy", decoding: "async" });
  image.addEventListener("error", () => image.replaceWith(letter), { once: true });
  return image;
}

export function emptyState(text, { icon = "○", action = null } = {}) {
  return el("div", { class: "empty-state" },
    el("div", { class: "empty-icon", "aria-hidden": "true", text: icon }),
    el("p", { class: "mb-2", text }), action);
}

export function notAvailable(what = "") {
  return el("div", { class: "empty-state not-available", role: "status" },
    el("div", { class: "empty-icon", "aria-hidden": "true", text: "⧗" }),
    el("h2", { class: "h6", text: t("not_available") }),
    el("p", { class: "text-secondary mb-0", text: `${t("not_available_text")}${what ? ` (${what})` : ""}` }));
}

export function loading() {
  return el("div", { class: "empty-state text-secondary", role: "status" },
    el("span", { class: "spinner-border spinner-border-sm me-2", "aria-hidden": "true" }), t("loading"));
}

/** Render an error in place of a list: a 404 means the API is not built yet. */
export function failure(error, what) {
  if (error instanceof ApiError && error.status === 404) return notAvailable(what);
  return el("div", { class: "alert alert-danger", role: "alert", text: error.message || String(error) });
}

/**
 * Previous/next paging for `{page, per_page, total, total_capped?}`; onPage(n) loads page n. A capped total
 * (the server stops counting at 10,000) shows as "10,000+", and "next" stays available while pages are full.
 */
export function pager(result, onPage) {
  const total = result.total || 0;
  const perPage = result.per_page || 1;
  const page = result.page || 1;
  const capped = Boolean(result.total_capped);
  const pages = Math.max(1, Math.ceil(total / perPage), capped ? page : 1);
  const more = capped ? "+" : "";
  const label = t("page_of", {
    page, pages: `${pages}${more}`, total: capped ? `${total.toLocaleString(locale)}+` : total,
  });
  const lastPage = capped ? (result.items || []).length < perPage : page >= pages;
  const button = (text, target, disabled) => el("button", {
    type: "button", class: "btn btn-sm btn-outline-secondary", text, disabled,
    onclick: () => onPage(target),
  });
  return el("nav", { class: "pager", "aria-label": label },
    button(`‹ ${t("prev")}`, page - 1, page <= 1),
    el("span", { class: "text-secondary small", text: label }),
    button(`${t("next")} ›`, page + 1, lastPage));
}

/** Call fn at most once per `wait` ms, after the last call (search boxes). */
export function debounce(fn, wait = 250) {
  let timer;
  return (...args) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => fn(...args), wait);
  };
}

/** Disable a button while an async action runs. */
export async function busy(button, action) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

export function setProgress(bar, done, total) {
  const percent = total ? Math.min(100, Math.round((done / total) * 100)) : 0;
  bar.style.width = `${percent}%`;
  bar.parentElement?.setAttribute("aria-valuenow", String(percent));
}
