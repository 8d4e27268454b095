from extensions import db
from models.admin import AdminUser, ApiToken, hash_token


def test_create_admin_with_password(runner):
    result = runner.invoke(args=["create-admin", "alice", "--password", "s3cret-pass"])
    assert result.exit_code == 0, result.output
    admin = db.session.execute(db.select(AdminUser)).scalar_one()
    assert admin.username == "alice" and admin.check_password("s3cret-pass")
    assert "s3cret-pass" not in admin.password_hash


def test_create_admin_prompts_for_password(runner):
    result = runner.invoke(args=["create-admin", "bob"], input="long-enough\nlong-enough\n")
    assert result.exit_code == 0, result.output
    assert db.session.execute(db.select(AdminUser)).scalar_one().check_password("long-enough")


def test_create_admin_refuses_short_password_and_duplicates(runner):
    assert runner.invoke(args=["create-admin", "carol", "--password", "short"]).exit_code != 0
    assert runner.invoke(args=["create-admin", "carol", "--password", "long-enough"]).exit_code == 0
    again = runner.invoke(args=["create-admin", "carol", "--password", "other-password"])
    assert again.exit_code != 0 and "--update" in again.output
    updated = runner.invoke(args=["create-admin", "carol", "--password", "other-password", "--update"])
    assert updated.exit_code == 0
    assert db.session.execute(db.select(AdminUser)).scalar_one().check_password("other-password")


def test_create_token_prints_it_once_and_stores_a_hash(runner, admin, client):
    result = runner.invoke(args=["create-token", "ci"])
    assert result.exit_code == 0, result.output
    clear = result.output.strip()
    assert clear.startswith("wxa_")
    assert db.session.execute(db.select(ApiToken.token_hash)).scalar_one() == hash_token(clear)
    assert client.get("/api/me", headers={"Authorization": f"Bearer {clear}"}).status_code == 200


def test_create_token_needs_an_admin(runner):
    result = runner.invoke(args=["create-token", "ci"])
    assert result.exit_code != 0 and "create an admin first" in result.output


def test_ensure_admin_creates_one_random_admin_only_once(runner):
    first = runner.invoke(args=["ensure-admin"])
    assert first.exit_code == 0 and "password:" in first.output
    password = first.output.split("password:")[1].split()[0]
    admin = db.session.execute(db.select(AdminUser)).scalar_one()
    assert admin.username == "admin" and admin.check_password(password)
    second = runner.invoke(args=["ensure-admin"])
    assert second.exit_code == 0 and second.output == ""
    assert db.session.execute(db.select(db.func.count(AdminUser.id))).scalar_one() == 1
