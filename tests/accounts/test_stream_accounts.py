"""SSE events carry their account: a client gets only the events of accounts it may see (views/stream.py)."""

from __future__ import annotations

import json

import pytest

from libs.events import publish
from libs.sse import get_hub
from tests.accounts.conftest import World


@pytest.fixture
def hub(app):
    hub = get_hub(app.config["REDIS_URL"])
    yield hub
    hub.stop()


def _events(client, token: str, last_id: str, until: str, **query) -> list[tuple[str, dict]]:
    """The events replayed after `last_id`, up to the one whose data has `"end": until`."""
    response = client.get("/stream", headers={"Authorization": f"Bearer {token}"}, buffered=False,
                          query_string={"last_event_id": last_id, **query})
    assert response.status_code == 200
    seen = []
    try:
        for chunk in response.response:
            lines = dict(line.split(": ", 1) for line in chunk.decode().strip().split("\n") if ": " in line)
            if "event" not in lines:
                continue
            data = json.loads(lines["data"])
            seen.append((lines["event"], data))
            if data.get("end") == until:
                break
    finally:
        response.close()
    return seen


@pytest.mark.usefixtures("hub")
def test_each_client_gets_only_its_accounts_events(client, world: World):
    start = publish("sync", {"kind": "marker"})
    publish("message", {"id": 1, "account_id": world.a.id, "text": "for A"})
    publish("message", {"id": 2, "account_id": world.b.id, "text": "for B"})
    publish("notification", {"unread": 4})  # about the live bot, which runs A (the most recent account)
    publish("job", {"id": 30, "account_id": world.a.id, "end": "a"})
    publish("job", {"id": 40, "account_id": world.b.id, "end": "b"})

    viewer = _events(client, world.token("viewer"), start, "a")
    assert [data.get("text") or data.get("unread") or data["id"] for _, data in viewer] == ["for A", 4, 30]

    owner_on_b = _events(client, world.token("owner"), start, "b", account=world.b.id)
    assert [data.get("text") or data["id"] for _, data in owner_on_b] == ["for B", 40]  # no live-bot event of A

    owner = _events(client, world.token("owner"), start, "b")
    assert len(owner) == 5  # an owner's unfiltered stream: everything

    refused = client.get("/stream", headers={"Authorization": f"Bearer {world.token('viewer')}"},
                         query_string={"account": world.b.id})
    assert refused.status_code == 403 and refused.json["code"] == "role"
