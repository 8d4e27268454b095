"""The sandbox's second face: a WeChatPadPro-style gateway (8059-era HTTP + WebSocket API) on the same world.

| module | its one reason to change |
|---|---|
| ``ids`` | stable wxids for the world's entities (the gateway's ids never change per login) |
| ``state`` | auth keys, the admin key, per-key logins and sync positions |
| ``render`` | the world and the log as gateway JSON (message, contact and member shapes) |
| ``web`` | the blueprint, ``?key=`` auth, ``{"Code", "Data", "Text"}`` envelopes, request helpers |
| ``login``, ``contacts``, ``groups``, ``messages`` | the HTTP endpoints, by area |
| ``media`` | received media downloads (sections, voice, CDN), file uploads, head images |
| ``ws`` | ``/ws/GetSyncMsg``: pushes new messages over a WebSocket |

The endpoint list and the client each shape was modelled on are in docs/SANDBOX.md ("Gateway face").
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Mount the gateway face on the sandbox app (one process, one world, two faces)."""
    from sandbox.gateway import contacts, groups, login, media, messages, web, ws  # noqa: F401  (routes on web.bp)
    from sandbox.gateway.state import GatewayState

    app.extensions["sandbox_gateway"] = GatewayState()
    app.register_blueprint(web.bp)
    ws.register(app)
