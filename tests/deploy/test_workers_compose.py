"""The many-workers compose files (docker-compose.workers.yml on one machine, docker-compose.node.yml on further
machines) against the code: the same worker everywhere, unique worker names, settings the code reads, a shared
Redis and database that come from .env, nothing a node runs besides workers and a standby beat."""

from __future__ import annotations

import re

from config import build_config
from tests.deploy.compose_file import ROOT, command, config, load, option, variables
from tests.deploy.test_compose import ours, read_variables

WORKERS = ("docker-compose.yml", "docker-compose.workers.yml")
NODE = ("docker-compose.node.yml",)


def test_the_workers_file_runs_several_workers_with_a_cap_the_code_reads(tmp_path, monkeypatch):
    services = config(*WORKERS)["services"]
    assert int(services["worker"]["deploy"]["replicas"]) == 3
    assert set(services) == set(config("docker-compose.yml")["services"])  # only the worker changes
    cap = services["worker"]["environment"]["WORKER_MAX_ACCOUNTS"]
    monkeypatch.setenv("WORKER_MAX_ACCOUNTS", str(cap))
    assert build_config(tmp_path)["WORKER_MAX_ACCOUNTS"] == int(cap)
    # Replicas tell themselves apart by name: %h is each container's own host name.
    assert option(command(services["worker"]), "--hostname") == "worker@%h"


def test_a_node_runs_the_same_worker_and_a_standby_beat_against_the_shared_redis_and_database():
    node = config(*NODE)["services"]
    main = config("docker-compose.yml")["services"]
    assert set(node) == {"worker", "beat"}
    assert command(node["worker"]) == command(main["worker"])
    assert command(node["beat"]) == command(main["beat"])
    for service in node.values():
        assert service["image"] == main["worker"]["image"]
        # The shared Redis and database come from the machine's .env, never a local default.
        assert service["env_file"] == [{"path": ".env", "required": True}]
        assert not {"REDIS_URL", "DATABASE_URL", "SECRET_KEY"} & set(service.get("environment", {}))
        assert service["environment"]["INSTANCE_PATH"] == main["worker"]["environment"]["INSTANCE_PATH"]
        assert "depends_on" not in service


def test_every_setting_is_read_by_the_code_and_documented():
    known = read_variables()
    documented = (ROOT / ".env.example").read_text()
    for names in (WORKERS, NODE):
        for service in ours(config(*names)["services"]).values():
            assert set(service.get("environment", {})) <= known | {"FLOWER_BASIC_AUTH"}
    for name in ("docker-compose.workers.yml", "docker-compose.node.yml"):
        for variable in variables(load(name)):
            assert re.search(rf"^# ?{variable}=", documented, re.M), f"{variable} ({name}) not in .env.example"


def test_the_deploy_guide_explains_several_machines():
    guide = (ROOT / "docs" / "DEPLOY.md").read_text()
    for needle in ("docker-compose.workers.yml", "docker-compose.node.yml", "WORKER_MAX_ACCOUNTS",
                   "flask accounts add"):
        assert needle in guide, needle
