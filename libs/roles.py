"""Who may do what with which account: the one table and the one decision for every route.

An admin is an `owner` (everything) or a `member` whose rights come from per-account grants: `viewer` (read) or
`operator` (read and use the account: send, automation, schedules, auto-replies). views/account_context.py
resolves the request's account and the admin's role on it, then asks `role_allows` before any view runs; a token
is further narrowed by its scope (libs/auth.scope_allows), so a token never exceeds its admin.

Endpoints are classified here and nowhere else. Anything not listed is account-owned: reading it needs `viewer`,
changing it `operator`. A test walks every route of the app with every role (tests/security/test_roles.py).
"""

from __future__ import annotations

# Rank of what a role may do on one account; "none" is a member without a grant on it.
RANK = {"none": 0, "viewer": 1, "operator": 2, "owner": 3}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# The installation itself: admins, grants, which WeChat accounts run, installation-wide plugin configuration (one
# set for every account until plugin configuration is per account), starting a WeChat login (which adds or replaces
# the live account), and the Prometheus metrics (counts over every account).
OWNER_ENDPOINTS = frozenset({
    "pages.list_admins", "pages.activate_admin", "pages.deactivate_admin",
    "accounts.admin_grants", "accounts.set_admin_grants",
    # Which WeChat accounts the installation runs (views/account_admin.py): add, pause, resume, remove.
    "account_admin.add_account", "account_admin.pause_account", "account_admin.resume_account",
    "account_admin.remove_account",
    "plugins.update_plugin", "plugins.reload_plugins",
    "wechat.login",
    "metrics.metrics",
})

# About the signed-in admin, not about an account: every admin, whatever their grants, may sign out, change their
# own password, manage their own tokens, see the accounts they may use and pick one, and read the API reference.
SELF_ENDPOINTS = frozenset({
    "api.me", "auth.logout",
    "pages.change_password", "pages.sign_out_everywhere", "pages.list_tokens", "pages.create_token",
    "pages.revoke_token",
    "accounts.list_accounts", "accounts.choose_account", "accounts.overview",
    "dashboard.admins", "dashboard.accounts", "dashboard.api_reference", "api_reference.openapi_spec",
    # The stream carries only the events of accounts the admin may see (views/stream.py filters them).
    "stream.stream",
})


def needed_role(endpoint: str | None, method: str) -> str:
    """The least role a request needs on its account: "owner", "operator", "viewer" or "none" (self-service)."""
    if endpoint in OWNER_ENDPOINTS:
        return "owner"
    if endpoint in SELF_ENDPOINTS:
        return "none"
    return "viewer" if method in SAFE_METHODS else "operator"


def role_allows(role: str, endpoint: str | None, method: str) -> bool:
    """Whether an admin whose role on the request's account is `role` may make this request."""
    return RANK.get(role, 0) >= RANK[needed_role(endpoint, method)]


def effective_role(is_owner: bool, grant: str | None) -> str:
    """An admin's role on one account: owners are owners everywhere; members have their grant, or none."""
    if is_owner:
        return "owner"
    return grant if grant in RANK and grant != "owner" else "none"
