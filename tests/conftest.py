"""Shared fixtures: an app on a fresh migrated SQLite database, a client, an admin, an API token."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade

from app import create_app
from extensions import db
from models.admin import AdminUser, ApiToken
from tests.fixtures.openapi_conformance import check_response
from tests.fixtures.processes import redis_server  # noqa: F401  (fixture)

ADMIN_PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory) -> Path:
    """Run the real migrations once; each test gets a copy of the result."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "test"},
                     instance_path=str(path.parent / "instance"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


@pytest.fixture
def app_config(tmp_path, migrated_db, redis_server) -> dict:  # noqa: F811
    db_path = tmp_path / "test.db"
    shutil.copy(migrated_db, db_path)
    redis_server.client().flushall()
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
        "REDIS_URL": redis_server.url,
    }


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, as in production.

    The `app` fixture keeps a context pushed for the test body, and Flask reuses a pushed context for requests:
    `g` (Flask-Login's cached user, the token flag) would leak from one request into the next.

    Every /api JSON answer is checked against the generated OpenAPI document (tests/fixtures/openapi_conformance).
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        request = response.request
        if request.method != "HEAD":
            check_response(self.application.url_map, request.method, request.path, response)
        return response


@pytest.fixture
def app(app_config, tmp_path):
    application = create_app(app_config, instance_path=str(tmp_path / "instance"))
    application.test_client_class = IsolatedClient
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def admin(app) -> AdminUser:
    user = AdminUser(username="root")
    user.set_password(ADMIN_PASSWORD)
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def api_token(admin) -> str:
    token, clear = ApiToken.issue(admin, "tests")
    db.session.add(token)
    db.session.commit()
    return clear


def csrf_token_from(client, path: str = "/login") -> str:
    """The CSRF token the server put in a page's form (as a browser would read it)."""
    import re

    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client, username: str = "root", password: str = ADMIN_PASSWORD):
    token = csrf_token_from(client)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def logged_in(client, admin):
    response = log_in(client)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def pytest_terminal_summary(terminalreporter) -> None:
    """A test that failed and passed on its rerun still shows how it failed the first time (the tail of it)."""
    reruns = terminalreporter.stats.get("rerun", [])
    if not reruns:
        return
    terminalreporter.section("first failures of the tests that passed or failed on their rerun")
    for report in reruns:
        terminalreporter.line(f"{report.nodeid}:")
        text = getattr(report, "longreprtext", "") or str(report.longrepr or "")
        for line in text.splitlines()[-60:]:
            terminalreporter.line(f"    {line}")
