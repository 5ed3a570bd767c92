"""The event bus: customer events put on EventBridge (``POST /events``)."""

from __future__ import annotations

import json

from herald.aws.clients import client
from herald.errors import RetryableError
from herald.settings import settings


def put_event(source: str, name: str, detail: dict) -> None:
    """Put one event on Herald's bus; :class:`RetryableError` if the bus refuses it."""
    response = client("events").put_events(
        Entries=[
            {
                "EventBusName": settings().event_bus_name,
                "Source": source,
                "DetailType": name,
                "Detail": json.dumps(detail, separators=(",", ":"), ensure_ascii=False),
            }
        ]
    )
    if response.get("FailedEntryCount"):
        entry = (response.get("Entries") or [{}])[0]
        raise RetryableError(
            f"the event bus refused the event ({entry.get('ErrorCode', 'unknown')}): retry"
        )
