// Admins (list), my API tokens (create: the clear token is shown once; revoke), and my password.
import { api, busy, clear, confirmDialog, el, emptyState, failure, formatTime, reportError, t, toast } from "../core.js";

const adminsList = document.getElementById("admins");
const tokensList = document.getElementById("tokens");

async function loadAdmins() {
  try {
    const data = await api("GET", "/api/admins");
    clear(adminsList, data.items.map((admin) => el("li", { class: "chat-row" },
      el("div", { class: "row-main" },
        el("div", { class: "row-title" }, el("span", { class: "name", text: admin.username }),
          admin.is_me ? el("span", { class: "badge text-bg-success", text: t("me") }) : null,
          admin.is_active ? null : el("span", { class: "badge text-bg-secondary", text: t("disabled") })),
        el("div", { class: "row-sub", text: `${t("last_login")}: ${admin.last_login_at ? formatTime(admin.last_login_at)
          : t("never")}` })))));
  } catch (error) {
    clear(adminsList, el("li", {}, failure(error)));
  }
}

async function loadTokens() {
  try {
    const data = await api("GET", "/api/tokens");
    clear(tokensList, data.items.length ? data.items.map((token) => {
      const revoke = token.revoked_at ? null : el("button", { type: "button", class: "btn btn-sm btn-outline-danger",
        text: t("revoke") });
      revoke?.addEventListener("click", async () => {
        if (!(await confirmDialog(t("token_revoke_confirm", { name: token.name }), { danger: true, okText: t("revoke") }))) {
          return;
        }
        busy(revoke, async () => {
          try {
            await api("DELETE", `/api/tokens/${token.id}`);
            loadTokens();
          } catch (error) {
            reportError(error);
          }
        });
      });
      return el("li", { class: "chat-row", "data-token": token.id },
        el("div", { class: "row-main" },
          el("div", { class: "row-title" }, el("span", { class: "name", text: token.name }),
            el("span", { class: `badge ${token.revoked_at ? "text-bg-secondary" : "text-bg-success"}`,
              text: token.revoked_at ? t("revoked") : t("active") })),
          el("div", { class: "row-sub", text: `${formatTime(token.created_at, { full: true })} · ${t("last_used")}: ${
            token.last_used_at ? formatTime(token.last_used_at) : t("never")}` })),
        el("div", { class: "row-actions" }, revoke));
    }) : el("li", {}, emptyState(t("no_tokens"))));
  } catch (error) {
    clear(tokensList, el("li", {}, failure(error)));
  }
}

document.getElementById("token-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = document.getElementById("token-name");
  if (!input.value.trim()) {
    input.focus();
    return;
  }
  try {
    const data = await api("POST", "/api/tokens", { name: input.value.trim() });
    input.value = "";
    document.getElementById("new-token").hidden = false;
    document.getElementById("new-token-help").textContent = t("token_created");
    const value = document.getElementById("new-token-value");
    value.value = data.clear;
    value.select();
    loadTokens();
  } catch (error) {
    reportError(error);
  }
});

document.getElementById("new-token-copy").addEventListener("click", async () => {
  const value = document.getElementById("new-token-value");
  value.select();
  try {
    await navigator.clipboard.writeText(value.value);
    toast(t("copied"));
  } catch {
    document.execCommand?.("copy");
  }
});

document.getElementById("password-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  try {
    await api("POST", "/api/me/password", { current: form.elements.current.value, new: form.elements.new.value });
    form.reset();
    toast(t("password_changed"));
  } catch (error) {
    reportError(error);
  }
});

loadAdmins();
loadTokens();
