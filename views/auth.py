"""Admin sign-in and sign-out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from extensions import db
from libs.login_throttle import LoginThrottle
from libs.redis_client import get_redis
from models.admin import AdminUser
from models.audit import record
from models.types import utcnow

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=256)])
    remember = BooleanField("remember")


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect after login is a phishing tool."""
    if not target:
        return url_for("dashboard.chats")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("dashboard.chats")
    return target


def _throttle() -> LoginThrottle:
    config = current_app.config
    return LoginThrottle(get_redis(), config["LOGIN_RATE_LIMIT"], config["LOGIN_RATE_WINDOW"])


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        address = request.remote_addr or "unknown"
        throttle = _throttle()
        wait = throttle.retry_after(address, form.username.data)
        if wait:
            flash(_("Too many failed sign-ins: try again in %(seconds)s s.", seconds=wait), "error")
            return render_template("login.html", form=form), 429, {"Retry-After": str(wait)}
        admin = db.session.execute(
            db.select(AdminUser).where(AdminUser.username == form.username.data.strip())
        ).scalar_one_or_none()
        if admin is not None and admin.is_active and admin.check_password(form.password.data):
            throttle.succeeded(address, form.username.data)
            login_user(admin, remember=form.remember.data)
            admin.last_login_at = utcnow()
            record(admin.username, "admin.login", ip=address)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        throttle.failed(address, form.username.data)
        flash(_("Wrong username or password."), "error")
        status = 401
    elif request.method == "POST":
        flash(_("Enter a username and a password."), "error")
        status = 400
    return render_template("login.html", form=form), status


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("auth.login"))
