"""Celery tasks: thin shells over plain functions."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="wechat.ping", ignore_result=False, soft_time_limit=10)
def ping(payload: dict) -> dict:
    """Round trip for health and tests: proves the broker, the msgpack serializer and a worker all work."""
    return {"pong": payload}
