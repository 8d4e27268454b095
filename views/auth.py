"""Admin sign-in and sign-out."""

from __future__ import annotations

from urllib.parse import urlsplit

import redis
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from extensions import db
from libs.login_throttle import client_address, login_throttle
from models.admin import AdminUser, check_password_of
from models.audit import record
from models.types import utcnow

bp = Blueprint("auth", __name__)

MAX_NEXT_LENGTH = 2048


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=256)])
    remember = BooleanField("remember")


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect after login is a phishing tool. Control characters are refused too:
    browsers drop tabs and newlines inside URLs ("/\t/evil.example" becomes "//evil.example") and CR/LF would split
    the Location header."""
    home = url_for("dashboard.chats")
    if not target or len(target) > MAX_NEXT_LENGTH or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return home
    return target


def _find_admin(username: str) -> AdminUser | None:
    return db.session.execute(db.select(AdminUser).where(AdminUser.username == username)).scalar_one_or_none()


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        address = client_address()
        username = form.username.data.strip()
        try:
            attempt = login_throttle().acquire(address, username)
        except redis.RedisError:
            flash(_("Sign-in is unavailable right now; try again in a moment."), "error")
            return render_template("login.html", form=form), 503
        if attempt.wait_seconds:
            if attempt.newly_throttled:
                record("anonymous", "admin.login_throttled", target=username, ip=address,
                       detail={"retry_after": attempt.wait_seconds})
                db.session.commit()
            flash(_("Too many failed sign-ins: try again in %(seconds)s s.", seconds=attempt.wait_seconds), "error")
            return render_template("login.html", form=form), 429, {"Retry-After": str(attempt.wait_seconds)}
        admin = _find_admin(username)
        if check_password_of(admin, form.password.data):
            login_throttle().succeeded(address, username)
            login_user(admin, remember=form.remember.data)
            admin.last_login_at = utcnow()
            record(admin.username, "admin.login", ip=address)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        record("anonymous", "admin.login_failed", target=username, ip=address,
               reason="inactive" if admin is not None and not admin.is_active else None)
        db.session.commit()
        flash(_("Wrong username or password."), "error")
        status = 401
    elif request.method == "POST":
        flash(_("Enter a username and a password."), "error")
        status = 400
    return render_template("login.html", form=form), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        record(current_user.username, "admin.logout", ip=client_address())
        db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))
