// Admins (list), my API tokens (create: the clear token is shown once; revoke), and my password.
import { api, busy, clear, confirmDialog, el, emptyState, failure, formatTime, reportError, t, toast } from "../core.js";

const adminsList = document.getElementById("admins");
const tokensList = document.getElementById("tokens");

async function loadAdmins() {
  if (!adminsList) return; // not an owner: the page has no admins section
  try {
    const [data, accounts] = await Promise.all([api("GET", "/api/admins"), api("GET", "/api/accounts")]);
    clear(adminsList, data.items.map((admin) => {
      const editor = el("div", { class: "grants mt-2", hidden: true });
      const access = admin.is_me ? null : el("button", { type: "button", class: "btn btn-sm btn-outline-secondary",
        text: t("access"), "aria-expanded": "false" });
      access?.addEventListener("click", () => toggleGrants(admin, accounts.items, editor, access));
      return el("li", { class: "chat-row flex-wrap", "data-admin": admin.id },
        el("div", { class: "row-main" },
          el("div", { class: "row-title" }, el("span", { class: "name", text: admin.username }),
            admin.is_me ? el("span", { class: "badge text-bg-success", text: t("me") }) : null,
            el("span", { class: "badge text-bg-light", "data-role": admin.role, text: t(`role_${admin.role}`) }),
            admin.is_active ? null : el("span", { class: "badge text-bg-secondary", text: t("disabled") })),
          el("div", { class: "row-sub", text: `${t("last_login")}: ${admin.last_login_at ? formatTime(admin.last_login_at)
            : t("never")}` })),
        el("div", { class: "row-actions" }, access, admin.is_me ? null : activeToggle(admin)),
        editor);
    }));
  } catch (error) {
    clear(adminsList, el("li", {}, failure(error)));
  }
}

// An admin's access (owners only): owner, or member with a role per WeChat account (none, viewer, operator).
async function toggleGrants(admin, accounts, editor, button) {
  if (!editor.hidden) {
    editor.hidden = true;
    button.setAttribute("aria-expanded", "false");
    return;
  }
  let current;
  try {
    current = await api("GET", `/api/admins/${admin.id}/grants`);
  } catch (error) {
    reportError(error);
    return;
  }
  const granted = new Map(current.grants.map((grant) => [grant.account_id, grant.role]));
  const option = (value, label, selected) => el("option", { value, text: label, selected: value === selected });
  const roleSelect = el("select", { class: "form-select form-select-sm", name: "role", "aria-label": t("admin_role") },
    option("owner", t("role_owner"), current.role), option("member", t("role_member"), current.role));
  const rows = accounts.map((account) => el("div", { class: "d-flex gap-2 align-items-center mb-1" },
    el("span", { class: "flex-grow-1 text-truncate", text: account.nick_name || account.puid }),
    el("select", { class: "form-select form-select-sm w-auto", "data-grant": account.id,
      "aria-label": `${t("access")}: ${account.nick_name || account.puid}` },
    option("", t("no_access"), granted.get(account.id) || ""),
    option("viewer", t("role_viewer"), granted.get(account.id) || ""),
    option("operator", t("role_operator"), granted.get(account.id) || ""))));
  const perAccount = el("div", { class: "mt-2", hidden: current.role === "owner" }, ...rows);
  roleSelect.addEventListener("change", () => { perAccount.hidden = roleSelect.value === "owner"; });
  const save = el("button", { type: "submit", class: "btn btn-sm btn-success mt-2", text: t("save_changes") });
  const form = el("form", { novalidate: true }, roleSelect, perAccount, save);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const grants = [...form.querySelectorAll("select[data-grant]")].filter((select) => select.value)
      .map((select) => ({ account_id: Number(select.dataset.grant), role: select.value }));
    busy(save, async () => {
      try {
        await api("PUT", `/api/admins/${admin.id}/grants`, { role: roleSelect.value, grants });
        toast(t("access_saved"));
        loadAdmins();
      } catch (error) {
        reportError(error);
      }
    });
  });
  clear(editor, form);
  editor.hidden = false;
  button.setAttribute("aria-expanded", "true");
}

// Deactivating another admin ends their sessions and tokens at once; activating lets them sign in again.
function activeToggle(admin) {
  const deactivate = admin.is_active;
  const button = el("button", { type: "button", class: `btn btn-sm ${deactivate ? "btn-outline-danger"
    : "btn-outline-secondary"}`, text: deactivate ? t("deactivate") : t("activate") });
  button.addEventListener("click", async () => {
    if (deactivate && !(await confirmDialog(t("admin_deactivate_confirm", { name: admin.username }),
      { danger: true, okText: t("deactivate") }))) {
      return;
    }
    busy(button, async () => {
      try {
        await api("POST", `/api/admins/${admin.id}/${deactivate ? "deactivate" : "activate"}`);
        loadAdmins();
      } catch (error) {
        reportError(error);
      }
    });
  });
  return button;
}

const STATE_BADGES = { active: "text-bg-success", revoked: "text-bg-secondary", expired: "text-bg-secondary",
  superseded: "text-bg-secondary" };

function tokenDetails(token) {
  const parts = [t(`scope_${token.scope}`), formatTime(token.created_at, { full: true })];
  if (token.expires_at) parts.push(`${t("expires")}: ${formatTime(token.expires_at, { full: true })}`);
  parts.push(`${t("last_used")}: ${token.last_used_at ? formatTime(token.last_used_at) : t("never")}`);
  return parts.join(" · ");
}

async function loadTokens() {
  try {
    const data = await api("GET", "/api/tokens");
    clear(tokensList, data.items.length ? data.items.map((token) => {
      const revoke = token.state !== "active" ? null : el("button", { type: "button", class: "btn btn-sm btn-outline-danger",
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
            el("span", { class: `badge ${STATE_BADGES[token.state] || "text-bg-secondary"}`,
              text: t(`token_${token.state}`) })),
          el("div", { class: "row-sub", text: tokenDetails(token) })),
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
    const expires = document.getElementById("token-expires");
    const scope = document.getElementById("token-scope");
    // A chosen day means "until the end of that day" where the admin is.
    const expiresAt = expires.value ? new Date(`${expires.value}T23:59:59`).toISOString() : null;
    const data = await api("POST", "/api/tokens", { name: input.value.trim(), scope: scope.value,
      expires_at: expiresAt });
    input.value = "";
    expires.value = "";
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

// The API accepts an expiry between now and ten years ahead; let the date picker say so.
const expiresInput = document.getElementById("token-expires");
const dayOffset = (days) => new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);
expiresInput.min = dayOffset(1);
expiresInput.max = dayOffset(3650);

document.getElementById("sign-out-everywhere").addEventListener("click", async (event) => {
  const button = event.currentTarget;
  if (!(await confirmDialog(t("sign_out_everywhere_confirm"), { danger: true, okText: t("sign_out_everywhere") }))) {
    return;
  }
  busy(button, async () => {
    try {
      await api("POST", "/api/me/sessions/revoke");
      window.location.assign("/login");
    } catch (error) {
      reportError(error);
    }
  });
});

loadAdmins();
loadTokens();
