"""Migrations keep the data they run over: SQLite's batch mode rebuilds a table, and with foreign keys on the DROP
of a parent table cascades into its children (migration 0009 rebuilt `accounts` and emptied every child table)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from extensions import db

NOW = "2026-05-01 00:00:00"


def test_upgrading_over_an_archive_keeps_every_row_and_foreign_keys_stay_on(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}", "SECRET_KEY": "x"},
                     instance_path=str(tmp_path / "instance"))
    with app.app_context():
        upgrade(revision="0002")
        db.session.execute(sa.text("INSERT INTO accounts (puid, nick_name, created_at) VALUES ('self', 'bot', :t)"),
                           {"t": NOW})
        account_id = db.session.execute(sa.text("SELECT id FROM accounts")).scalar_one()
        db.session.execute(sa.text(
            "INSERT INTO contacts (account_id, puid, nick_name, remark_name, signature, province, city, is_friend,"
            " is_mp, is_blacklisted, sex, updated_at) VALUES (:a, 'p1', 'x', '', '', '', '', 1, 0, 0, 0, :t)"),
            {"a": account_id, "t": NOW})
        db.session.commit()

        upgrade()

        assert db.session.execute(sa.text("SELECT count(*) FROM contacts")).scalar_one() == 1
        assert db.session.execute(sa.text("SELECT count(*) FROM accounts")).scalar_one() == 1
        assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar_one() == 1
        db.session.remove()
        db.engine.dispose()
