from app import create_app


def test_healthz_is_public_and_reports_db_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "db": "ok", "redis": "ok"}


def test_healthz_reports_redis_down_without_leaking_details(app_config, tmp_path):
    from tests.fixtures.processes import free_port

    config = {**app_config, "REDIS_URL": f"redis://:secret-password@127.0.0.1:{free_port()}/0"}
    app = create_app(config, instance_path=str(tmp_path / "i"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "degraded", "db": "ok", "redis": "down"}
    assert "secret-password" not in response.get_data(as_text=True)
