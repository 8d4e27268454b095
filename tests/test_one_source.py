"""Every list the code keeps in more than one place is checked against its one source.

`LISTS` holds one entry per list: where its source is, and each copy (a module, a template, a script) read the
way that copy holds it. A name in a copy and not in its source, or the reverse, fails the test with both named.
To cover another list (e.g. the queue names once Celery's task_routes decides them), add an entry to LISTS.

The form bounds are checked by behaviour instead: each bound the forms render (and one past it) is fed to the
server's own validation.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from config import celery_settings
from libs.events import EVENT_NAMES, STREAM_EVENTS
from libs.i18n import MESSAGE_TYPE_LABELS
from libs.queues import BOT_TASKS, bot_queue
from libs.validation import ValueInvalid
from models.message import MESSAGE_TYPES
from wechat import autoreply
from wechat.automation import settings as automation
from wechat.form_bounds import form_bounds
from wechat.plugins import settings as plugin_settings
from wechat.plugins.spec import PluginSpec
from wechat.schedules import service as schedules

ROOT = Path(__file__).resolve().parent.parent
JS_FILES = sorted((ROOT / "static" / "js").rglob("*.js"))


@dataclass
class Listed:
    """A list with one source and the copies that must hold exactly (or, with subset=True, only) its names."""

    name: str
    source: Callable[[], set[str]]
    copies: dict[str, Callable[[], set[str]]]
    subset: frozenset[str] = field(default_factory=frozenset)  # copies that may name fewer than the source


# -- how each copy holds its names ------------------------------------------------------------------------------
def _archive_types() -> set[str]:
    """Every type wechat/messages/archive.event_record can give a stored message."""
    from wechat.messages.archive import EVENT_TYPES

    return set(EVENT_TYPES.values())


def _bench_types() -> set[str]:
    from bench.data import TYPE_WEIGHTS

    return set(TYPE_WEIGHTS)


def _media_types() -> set[str]:
    from views.messages import INLINE_TYPES
    from wechat.messages.media import MEDIA_TYPES

    return set(MEDIA_TYPES) | set(INLINE_TYPES)


def _pages_js_types() -> set[str]:
    """The types the message pages branch on (they show media differently per type)."""
    text = "".join((ROOT / "static/js/pages" / name).read_text() for name in ("messages.js", "chats.js"))
    return set(re.findall(r'case "(\w+)":', text)) | set(re.findall(r'\b(?:message|last)\.type === "(\w+)"', text))


def _js_event_listeners() -> set[str]:
    """Every event a script listens to with live.js' on(name, ...)."""
    return {name for path in JS_FILES for name in re.findall(r'\bon\(\s*"(\w+)"', path.read_text())}


def _published_events() -> set[str]:
    """Event names given as literals to publish(...) / publish_many([...]) anywhere in the Python code."""
    names: set[str] = set()
    for path in ROOT.glob("*/**/*.py"):
        if any(part in {".venv", "tests", "migrations", "sandbox"} for part in path.relative_to(ROOT).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            callee = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if callee == "publish" and node.args and isinstance(node.args[0], ast.Constant):
                names.add(node.args[0].value)
            elif callee == "publish_many":
                names |= {item.elts[0].value for arg in node.args for item in ast.walk(arg)
                          if isinstance(item, ast.Tuple) and item.elts and isinstance(item.elts[0], ast.Constant)
                          and isinstance(item.elts[0].value, str)}
    return names


def _stream_control_events() -> set[str]:
    """Events the SSE code writes on the wire itself (not through publish)."""
    text = "".join((ROOT / "libs" / name).read_text() for name in ("sse.py", "sse_revocation.py"))
    return set(re.findall(r"event: (\w+)\\n", text))


def _routed_queues() -> set[str]:
    """Every bot task is routed by Celery's task_routes (no `queue=` at call sites: tests/wiring)."""
    (router,) = celery_settings("redis://127.0.0.1:1/0", account="default")["task_routes"]
    return {router(name, [], {}, {})["queue"] for name in BOT_TASKS}


LISTS = [
    Listed("message types", source=lambda: set(MESSAGE_TYPES), copies={
        "libs/i18n.py MESSAGE_TYPE_LABELS": lambda: set(MESSAGE_TYPE_LABELS),
        # Rows stored before the neutral events may also say "friends" (a friend request) or "note".
        "wechat/messages/archive.py EVENT_TYPES": _archive_types,
        "bench/data.py TYPE_WEIGHTS": _bench_types,
        "media types (wechat/messages/media.py, views/messages.py)": _media_types,
        "static/js/pages/messages.js, chats.js": _pages_js_types,
    }, subset=frozenset({"media types (wechat/messages/media.py, views/messages.py)",
                         "wechat/messages/archive.py EVENT_TYPES",
                         "static/js/pages/messages.js, chats.js"})),
    Listed("SSE events", source=lambda: set(EVENT_NAMES), copies={
        "publish(...) calls": _published_events,
    }, subset=frozenset({"publish(...) calls"})),
    Listed("SSE events a page may listen to", source=lambda: set(EVENT_NAMES | STREAM_EVENTS), copies={
        "on(...) in static/js": _js_event_listeners,
    }, subset=frozenset({"on(...) in static/js"})),
    Listed("stream-only SSE events", source=lambda: set(STREAM_EVENTS), copies={
        "libs/sse.py, libs/sse_revocation.py": _stream_control_events,
    }),
    # The bot's queue, named by libs/queues.bot_queue; Celery's task_routes is the one place that routes to it.
    Listed("queue names", source=lambda: {bot_queue("default")}, copies={
        "config.py task_routes": _routed_queues,
    }),
]


@pytest.mark.parametrize("listed", LISTS, ids=[listed.name for listed in LISTS])
def test_every_copy_holds_the_names_of_its_source(listed: Listed):
    source = listed.source()
    assert source, f"{listed.name}: the source is empty"
    for where, read in listed.copies.items():
        copy = read()
        assert copy, f"{listed.name}: found nothing in {where} (did the copy move? update LISTS)"
        assert not copy - source, f"{listed.name}: {where} names {sorted(copy - source)}, which the source lacks"
        if where not in listed.subset:
            assert not source - copy, f"{listed.name}: {where} lacks {sorted(source - copy)}"


def test_no_script_keeps_its_own_list_of_event_names():
    """live.js takes the names from the page; an array literal of event names anywhere is a copy that drifts."""
    known = EVENT_NAMES | STREAM_EVENTS
    for path in JS_FILES:
        for items in re.findall(r"\[([^\[\]]*)\]", path.read_text()):
            names = re.findall(r'"(\w+)"', items)
            assert not (len(names) >= 2 and set(names) <= known), f"{path.name} lists events itself: [{items}]"


# -- what the pages get from the server ------------------------------------------------------------------------
def _page_data(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html, re.S)
    assert found, "the page has no #page-data block"
    return json.loads(found.group(1))


def test_pages_get_the_lists_from_their_sources(logged_in):
    html = logged_in.get("/messages").get_data(as_text=True)
    data = _page_data(html)
    assert set(data["events"]) == EVENT_NAMES | STREAM_EVENTS
    assert data["message_types"] == list(MESSAGE_TYPES)
    assert data["bounds"] == form_bounds()
    options = re.findall(r'<option value="(\w*)">', html.split('id="f-type"')[1].split("</select>")[0])
    assert options == ["", *MESSAGE_TYPES]  # "" is "all types"


@pytest.mark.parametrize("path", ["/automation", "/plugins", "/schedules", "/send", "/admins", "/chats",
                                  "/accounts"])
def test_forms_render_the_servers_bounds(logged_in, path):
    html = logged_in.get(path).get_data(as_text=True)
    checked = 0
    for tag in re.findall(r"<(?:input|textarea)\b[^>]*>", html):
        bounded = {key: int(value) for key, value in re.findall(r'\b(min|max|maxlength)="(\d+)"', tag)}
        if not bounded:
            continue
        source = re.search(r'\bdata-bounds="(\w+)\.(\w+)"', tag)
        assert source, f"{path}: {tag} has bounds of its own"
        assert bounded == form_bounds()[source.group(1)][source.group(2)], tag
        checked += 1
    assert checked
    if path == "/automation":
        assert 'min="2" max="500" id="a-kick_quorum"' in html


# Numbers that are no copy of a server list: the password rule's hint (views/pages.py checks it and says why),
# and the generic prompt dialog, whose callers' own limits the server checks.
OWN_NUMBERS = {("admins.html", 'minlength="10'), ("core.js", 'maxlength: "200')}


def test_no_form_writes_its_own_bounds():
    """Templates use bounds(form, field) and scripts bounds(form, field) / the plugin's limits, never a number."""
    for path in [*(ROOT / "templates").glob("*.html"), *JS_FILES]:
        for found in re.findall(r'\b(?:maxlength|minlength|min|max)(?:="|: ")\d+', path.read_text()):
            assert (path.name, found) in OWN_NUMBERS, f"{path.name}: {found}\" (render bounds(form, field))"


# -- each bound against the validation that enforces it -------------------------------------------------------
def _automation_accepts(name: str, value) -> bool:
    try:
        automation.validate({name: value})
    except ValueInvalid:
        return False
    return True


def _pattern(keyword: str, template: str) -> list:
    return [[keyword, template]]


def test_automation_bounds_are_the_validators():
    bounds = form_bounds()["automation"]
    for name, limits in bounds.items():
        if "min" in limits:
            low, high = limits["min"], limits["max"]
            assert _automation_accepts(name, low) and _automation_accepts(name, high), name
            assert not _automation_accepts(name, low - 1) and not _automation_accepts(name, high + 1), name
        elif name in automation.TEXT_FIELDS:
            assert _automation_accepts(name, "字" * limits["maxlength"]), name
            assert not _automation_accepts(name, "字" * (limits["maxlength"] + 1)), name
    keyword, template = bounds["pattern_keyword"]["maxlength"], bounds["pattern_template"]["maxlength"]
    assert _automation_accepts("group_patterns", _pattern("k" * keyword, "g" * (template - 2) + "{}"))
    assert not _automation_accepts("group_patterns", _pattern("k" * (keyword + 1), "g{}"))
    assert not _automation_accepts("group_patterns", _pattern("k", "g" * (template - 1) + "{}"))


def test_autoreply_bounds_are_the_validators(app):
    bounds = form_bounds()["autoreply"]
    for name in ("pattern", "reply"):
        longest = bounds[name]["maxlength"]
        rule = {"mode": "contains", "pattern": "hi", "reply": "hello"}
        autoreply.validate({**rule, name: "x" * longest})
        with pytest.raises(ValueInvalid):
            autoreply.validate({**rule, name: "x" * (longest + 1)})


def test_plugin_text_bound_is_the_validator():
    spec = PluginSpec(name="demo", main=lambda *a: None, settings={"prompt": ""})
    longest = form_bounds()["plugin"]["text"]["maxlength"]
    assert plugin_settings.validate(spec, {"prompt": "x" * longest}, None) == {"prompt": "x" * longest}
    with pytest.raises(ValueInvalid):
        plugin_settings.validate(spec, {"prompt": "x" * (longest + 1)}, None)


def test_schedule_bounds_are_the_validators(app):
    bounds = form_bounds()["schedule"]

    def accepts(**changes) -> bool:
        data = {"name": "n", "to": ["p"], "text": "t", "cron": "0 9 * * 1", **changes}
        try:
            schedules.validate(data, datetime.now(UTC), "UTC", lambda _: True)
        except ValueInvalid:
            return False
        return True

    assert accepts(name="n" * bounds["name"]["maxlength"]) and not accepts(name="n" * (bounds["name"]["maxlength"] + 1))
    assert accepts(text="t" * bounds["text"]["maxlength"]) and not accepts(text="t" * (bounds["text"]["maxlength"] + 1))
    longest_cron = "0 9 * * " + ",".join(["1"] * 200)
    assert not accepts(cron=longest_cron[:bounds["cron"]["maxlength"] + 1])


def test_account_bounds_are_the_validators(app):
    from wechat.account_admin import AccountRefused, check_settings
    from wechat.workers.slots import SlotError, check_slot

    bounds = form_bounds()["account"]
    longest = bounds["slot"]["maxlength"]
    assert check_slot("s" * longest)
    with pytest.raises(SlotError):
        check_slot("s" * (longest + 1))

    def accepts(**settings) -> bool:
        try:
            check_settings("padpro", {"key": "k", "base_url": "http://8.8.8.8/", **settings})
        except AccountRefused:
            return False
        return True

    assert accepts(key="k" * bounds["key"]["maxlength"]) and not accepts(key="k" * (bounds["key"]["maxlength"] + 1))
    url = "http://8.8.8.8/" + "a" * bounds["base_url"]["maxlength"]
    assert accepts(base_url=url[:bounds["base_url"]["maxlength"]])
    assert not accepts(base_url=url[:bounds["base_url"]["maxlength"] + 1])


def test_plugin_number_ranges_reach_the_form_and_are_the_validators(logged_in, app):
    """plugins.js sets min/max of a numeric plugin setting from the plugin's `limits` in GET /api/plugins."""
    from wechat.plugins import registry

    items = {item["name"]: item for item in logged_in.get("/api/plugins").get_json()["items"]}
    specs = registry.loaded(app).plugins
    assert items["llm"]["limits"]  # the built-in LLM plugin has ranges: the check below is not vacuous
    for name, item in items.items():
        spec = specs[name]
        assert item["limits"] == {key: list(limits) for key, limits in spec.limits.items()}
        for key, (low, high) in item["limits"].items():
            step = 1 if isinstance(spec.settings[key], int) else 0.5
            assert plugin_settings.validate(spec, {key: low}, None) == {key: low}
            assert plugin_settings.validate(spec, {key: high}, None) == {key: high}
            for outside in (low - step, high + step):
                with pytest.raises(ValueInvalid):
                    plugin_settings.validate(spec, {key: outside}, None)
