"""The compose files against the code: every command, module, option, port, variable and volume they name exists
and agrees with the rest (no Docker engine needed: the files are parsed, the commands are checked by their own
CLIs with --help / --check-config)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from tests.deploy.compose_file import ROOT, command, config, load, option, variables
from tests.fixtures.processes import free_port

BASE = ("docker-compose.yml",)
MYSQL = ("docker-compose.yml", "docker-compose.mysql.yml")
ALL_PROFILES = ("monitoring", "demo")
IMAGE = "wechat-admin:latest"
# Variables our image's processes may be given besides those config.py / app.py read.
RUNTIME_VARIABLES = {"FLASK_APP", "PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"}


def read_variables() -> set[str]:
    """Environment variable names the application reads (config.py, app.py)."""
    pattern = re.compile(r"""(?:os\.environ\.get|os\.getenv|_env_\w+|os\.environ\[)\(?\s*["'](\w+)["']""")
    return {name for path in ("config.py", "app.py") for name in pattern.findall((ROOT / path).read_text())}


def ours(services: dict) -> dict:
    return {name: s for name, s in services.items() if s.get("image") == IMAGE}


def container_port(mapping: str) -> int:
    return int(str(mapping).rsplit(":", 1)[1].split("/")[0])


def healthcheck_port(service: dict) -> int:
    test = " ".join(service["healthcheck"]["test"])
    return int(re.search(r"http://127\.0\.0\.1:(\d+)/", test).group(1))


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    """An environment in which the image's commands can load the app (nothing is contacted)."""
    folder = tmp_path_factory.mktemp("compose")
    return {**os.environ, "INSTANCE_PATH": str(folder), "SECRET_KEY": "x", "FLASK_APP": "app.py",
            "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite'}", "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}


@pytest.fixture(scope="module", params=[BASE, MYSQL], ids=["postgres", "mysql"])
def variant(request) -> dict:
    return config(*request.param, profiles=ALL_PROFILES)


def test_every_service_of_ours_builds_from_this_dockerfile(variant):
    services = variant["services"]
    assert set(services) >= {"redis", "migrate", "web", "worker", "beat", "flower", "sandbox"}
    for name, service in services.items():
        if "build" in service or service.get("image", "").startswith("wechat-admin"):
            assert service["image"] == IMAGE, name
            assert service["build"] == {"context": ".", "dockerfile": "Dockerfile"}, name
    assert (ROOT / "Dockerfile").is_file()


def test_dependencies_exist_in_the_default_profile():
    for names in (BASE, MYSQL):
        services = config(*names)["services"]
        for name, service in services.items():
            for target, rule in (service.get("depends_on") or {}).items():
                assert target in services, f"{name} depends on {target}, which does not run by default"
                assert rule["condition"] in ("service_healthy", "service_completed_successfully")
                if rule["condition"] == "service_healthy":
                    assert "healthcheck" in services[target], f"{target} has no health check"
        # Schema first: everything that uses the database waits for the one-shot migration.
        for name in ("web", "worker", "beat"):
            assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services["migrate"]["restart"] == "no"


def test_only_the_right_services_are_behind_profiles():
    raw = load("docker-compose.yml")["services"]
    assert raw["flower"]["profiles"] == ["monitoring"]
    assert raw["sandbox"]["profiles"] == ["demo"]
    default = config(*BASE)["services"]
    assert set(default) == {"redis", "postgres", "migrate", "web", "worker", "beat"}
    assert set(config(*MYSQL)["services"]) == {"redis", "mysql", "migrate", "web", "worker", "beat"}


def test_environment_names_are_read_by_the_code(variant):
    known = read_variables() | RUNTIME_VARIABLES
    assert {"DATABASE_URL", "REDIS_URL", "INSTANCE_PATH", "WECHAT_BASE_URL"} <= known
    for name, service in ours(variant["services"]).items():
        for variable in service.get("environment", {}):
            allowed = known | ({"FLOWER_BASIC_AUTH"} if name == "flower" else set())
            assert variable in allowed, f"{name}: {variable} is read by nothing"


def test_every_interpolated_variable_is_documented():
    documented = (ROOT / ".env.example").read_text()
    for name in ("docker-compose.yml", "docker-compose.mysql.yml"):
        for variable in variables(load(name)):
            assert re.search(rf"^# ?{variable}=", documented, re.M), f"{variable} ({name}) not in .env.example"


def test_database_and_redis_urls_point_at_their_services(variant):
    services = variant["services"]
    redis = urlsplit(services["web"]["environment"]["REDIS_URL"])
    assert (redis.hostname, redis.port) == ("redis", 6379) and "redis" in services
    database = urlsplit(services["web"]["environment"]["DATABASE_URL"])
    if database.scheme.startswith("postgresql"):
        server = services["postgres"]["environment"]
        assert database.scheme == "postgresql+psycopg2" and database.port == 5432
        assert (database.hostname, database.username, database.password, database.path) == (
            "postgres", server["POSTGRES_USER"], server["POSTGRES_PASSWORD"], "/" + server["POSTGRES_DB"])
    else:
        server = services["mysql"]["environment"]
        assert database.scheme == "mysql+pymysql" and database.port == 3306 and "charset=utf8mb4" in database.query
        assert (database.hostname, database.username, database.password, database.path) == (
            "mysql", server["MARIADB_USER"], server["MARIADB_PASSWORD"], "/" + server["MARIADB_DATABASE"])
        assert "--character-set-server=utf8mb4" in services["mysql"]["command"]
    # Every process of ours talks to the same database and Redis.
    for name, service in ours(services).items():
        if name != "sandbox":
            assert service["environment"]["DATABASE_URL"] == services["web"]["environment"]["DATABASE_URL"], name
            assert service["environment"]["REDIS_URL"] == services["web"]["environment"]["REDIS_URL"], name


def test_one_instance_folder_shared_by_web_workers_and_beat(variant):
    services = variant["services"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    instance = services["web"]["environment"]["INSTANCE_PATH"]
    assert f"INSTANCE_PATH={instance}" in dockerfile and f'VOLUME ["{instance}"]' in dockerfile
    for name in ("migrate", "web", "worker", "beat"):
        assert services[name]["environment"]["INSTANCE_PATH"] == instance
        assert f"instance:{instance}" in services[name]["volumes"], name
    declared = set(variant["volumes"])
    for name, service in services.items():
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in declared, f"{name}: undeclared volume {volume}"
    schedule = option(command(services["beat"]), "--schedule")
    assert schedule.startswith(instance + "/")


def test_web_is_gunicorn_gevent_on_the_published_port(variant):
    web = variant["services"]["web"]
    argv = command(web)
    assert argv[0] == "gunicorn" and argv[-1] == "app:app"
    assert option(argv, "--worker-class") == "gevent" or option(argv, "-k") == "gevent"
    assert option(argv, "--worker-connections") == "2000" and "--no-control-socket" in argv
    port = int(option(argv, "--bind").rsplit(":", 1)[1])
    assert option(argv, "--bind").startswith("0.0.0.0:")  # reachable from outside the container
    assert [container_port(p) for p in web["ports"]] == [port]
    assert healthcheck_port(web) == port
    assert f"EXPOSE {port}" in (ROOT / "Dockerfile").read_text()


def test_gunicorn_loads_app_with_these_options(env):
    argv = command(config(*BASE)["services"]["web"])
    result = subprocess.run([sys.executable, "-m", "gunicorn", "--check-config", *argv[1:]], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def known_option(name: str, arg: str, help_text: str) -> bool:
    if name == "flower":  # Flower's options are tornado options, not in the click help
        import flower.options  # noqa: F401  (defines them)
        from tornado.options import options

        return arg[2:] in options
    return arg in help_text


def celery_help(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "celery", *args, "--help"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_celery_commands_resolve_the_app_and_their_options(env):
    services = config(*BASE, profiles=ALL_PROFILES)["services"]
    argvs = {name: command(services[name]) for name in ("worker", "beat", "flower")}
    probe = services["worker"]["healthcheck"]["test"][1].replace("$${HOSTNAME}", "x").replace("${HOSTNAME}", "x")
    argvs["healthcheck"] = probe.split()
    running = {}
    for name, argv in argvs.items():
        assert argv[:3] == ["celery", "-A", "wechat"], argv
        running[name] = (argv, celery_help(env, *argv[1:4]))  # -A wechat <subcommand> --help loads the app
    for name, (argv, process) in running.items():
        output = process.communicate(timeout=90)[0]
        assert process.returncode == 0, f"{name}: {output}"
        for arg in argv[4:]:
            if arg.startswith("--"):
                assert known_option(name, arg.split("=")[0], output), f"{name}: celery does not know {arg}"
    worker = argvs["worker"]
    assert option(worker, "--pool") == "gevent"
    # The health check pings exactly this container's worker, by the name the worker gives itself.
    assert option(worker, "--hostname") == "worker@%h" and "--destination worker@$${HOSTNAME}" in \
        load("docker-compose.yml")["services"]["worker"]["healthcheck"]["test"][1]


def test_exactly_one_beat(variant):
    beats = [name for name, s in variant["services"].items() if "command" in s and "beat" in command(s)[:4]]
    assert beats == ["beat"]
    assert variant["services"]["beat"].get("deploy", {}).get("replicas", 1) == 1


def test_migrate_runs_flask_db_upgrade(env):
    argv = command(config(*BASE)["services"]["migrate"])
    assert argv == ["flask", "db", "upgrade"]
    assert "FLASK_APP=app.py" in (ROOT / "Dockerfile").read_text()
    result = subprocess.run([sys.executable, "-m", "flask", *argv[1:], "--help"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "Upgrade to a later version" in result.stdout, result.stderr


def test_flower_and_sandbox_ports_agree(variant):
    from sandbox.__main__ import parse_args

    services = variant["services"]
    flower = command(services["flower"])
    port = int(option(flower, "--port"))
    assert [container_port(p) for p in services["flower"]["ports"]] == [port] == [healthcheck_port(services["flower"])]
    assert "FLOWER_BASIC_AUTH" in services["flower"]["command"][2]  # it refuses to start without a login
    sandbox = command(services["sandbox"])
    assert sandbox[:3] == ["python", "-m", "sandbox"]
    args = parse_args(sandbox[3:])
    assert args.host == "0.0.0.0"  # the worker reaches it at http://sandbox:<port>
    assert [container_port(p) for p in services["sandbox"]["ports"]] == [args.port] == [
        healthcheck_port(services["sandbox"])]


def test_published_ports_are_loopback_only(variant):
    for name, service in variant["services"].items():
        for mapping in service.get("ports", []):
            assert str(mapping).startswith("127.0.0.1:"), f"{name} publishes {mapping} on every interface"


def test_flower_is_pinned_in_the_image_requirements():
    assert re.search(r"^flower==[\d.]+$", (ROOT / "requirements.txt").read_text(), re.M)


def test_the_gateway_is_the_operators_own_image_behind_its_profile():
    """WECHAT_DRIVER=padpro: a placeholder for the operator's gateway, never built or published by us."""
    gateway = load("docker-compose.yml")["services"]["gateway"]
    assert gateway["profiles"] == ["padpro"]
    assert "build" not in gateway and "ports" not in gateway
    assert gateway["image"].startswith("${PADPRO_GATEWAY_IMAGE")
