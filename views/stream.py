"""GET /stream: the dashboard's live events as server-sent events (auth is enforced globally by libs.auth)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, g, request
from flask_login import current_user

from libs.auth import credential_is_valid, current_credential, json_error
from libs.events import EVENT_NAMES
from libs.redis_client import get_redis
from libs.sse import StreamOptions, event_stream, get_hub, valid_event_id
from libs.sse_revocation import RevocationWatch, close_when_revoked

bp = Blueprint("stream", __name__)


def _wanted_events() -> frozenset[str] | None:
    raw = request.args.get("events", "").strip()
    if not raw:
        return None
    names = frozenset(name.strip() for name in raw.split(",") if name.strip())
    unknown = names - EVENT_NAMES
    if unknown:
        raise ValueError(f"unknown events: {', '.join(sorted(unknown))}; known: {', '.join(sorted(EVENT_NAMES))}")
    return names


def _visible_accounts() -> tuple[frozenset[int] | None, bool]:
    """Which accounts' events this client gets: the one named by the request (?account= or the header, already
    checked by views/account_context.py), else every account the admin may see (owners: all, unfiltered)."""
    from views.account_context import live_account, visible_accounts

    context = g.get("account_context")  # the guard resolved it when the request named an account
    if context is not None and context.explicit:
        allowed = frozenset({context.account.id})
    elif current_user.is_owner:
        return None, True
    else:
        allowed = frozenset(account.id for account, _ in visible_accounts(current_user))
    live = live_account()
    return allowed, live is not None and live.id in allowed


def revocation_watch(app: Flask) -> RevocationWatch:
    """The app's watcher that ends open streams whose session or token was revoked (libs/sse_revocation.py)."""
    watch = app.extensions.get("sse_revocation_watch")
    if watch is None:
        def is_valid(credential) -> bool:
            with app.app_context():  # the watcher's own context: a fresh database session per sweep
                return credential_is_valid(credential)

        watch = app.extensions["sse_revocation_watch"] = RevocationWatch(
            is_valid, float(app.config["SSE_AUTH_RECHECK_SECONDS"]))
    return watch


@bp.get("/stream")
def stream():
    try:
        wanted = _wanted_events()
    except ValueError as error:
        return json_error(str(error), 400)
    config = current_app.config
    # The browser's reconnect header wins over the query (which keeps the first connect's value forever). A browser
    # only sends back an id this server gave it: anything else is refused before the stream starts.
    last_id = None
    for source, raw in (("Last-Event-ID", request.headers.get("Last-Event-ID")),
                        ("last_event_id", request.args.get("last_event_id"))):
        if raw is not None and raw.strip() and valid_event_id(raw) is None:
            return json_error(f"'{source}' must be a stream id such as 1700000000000-0 (two numbers below 2^64)",
                              400, field=source)
        last_id = last_id or valid_event_id(raw)
    accounts, slot_events = _visible_accounts()
    options = StreamOptions(
        accounts=accounts,
        slot_events=slot_events,
        last_id=last_id,
        wanted=wanted,
        heartbeat_seconds=float(config["SSE_HEARTBEAT_SECONDS"]),
        retry_ms=int(config["SSE_RETRY_MS"]),
        queue_size=int(config["SSE_CLIENT_QUEUE_SIZE"]),
    )
    hub = get_hub(config["REDIS_URL"])
    try:
        subscriber = hub.subscribe(options.queue_size)
    except TimeoutError:
        return json_error("live events are unavailable (Redis unreachable)", 503)
    # Not stream_with_context: the request's app context (and its DB connection) ends before streaming starts.
    body = event_stream(hub, get_redis(), subscriber, options)
    watch = revocation_watch(current_app._get_current_object())
    watched = watch.watch(current_credential(), subscriber)
    body = close_when_revoked(body, watch, watched)
    response = Response(body, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event through at once
    # Also when the server closes a body it never started (the generator's `finally` would not run then).
    response.call_on_close(lambda: hub.unsubscribe(subscriber))
    response.call_on_close(lambda: watch.forget(watched))
    return response
