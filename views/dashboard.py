"""The dashboard's pages: server-rendered shells whose JavaScript modules (static/js/pages/) fetch the JSON API.

Every page needs a signed-in admin (libs/auth.py denies by default); the data comes from /api and /stream.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

bp = Blueprint("dashboard", __name__)

# endpoint → (URL, template). One line per page keeps the navigation bar and the routes in step.
PAGES = {
    "index": ("/", "index.html"),
    "wechat_login": ("/wechat", "wechat_login.html"),
    "contacts": ("/contacts", "contacts.html"),
    "groups": ("/groups", "groups.html"),
    "mps": ("/mps", "mps.html"),
    "messages": ("/messages", "messages.html"),
    "send": ("/send", "send.html"),
    "automation": ("/automation", "automation.html"),
    "plugins": ("/plugins", "plugins.html"),
    "schedules": ("/schedules", "schedules.html"),
    "audit": ("/audit", "audit.html"),
    "admins": ("/admins", "admins.html"),
}


def _page(template: str):
    def view():
        return render_template(template, login_mode=current_app.config.get("WECHAT_LOGIN_MODE", "web"))

    return view


for _endpoint, (_rule, _template) in PAGES.items():
    bp.add_url_rule(_rule, _endpoint, _page(_template), methods=["GET"])
