"""Time: Herald stores and compares ISO-8601 UTC strings with millisecond precision and a ``Z``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from herald.domain.document import ValidationError

_DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime) -> str:
    """ISO-8601 in UTC with a ``Z``: the one time format Herald stores and compares."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_time(value: Any, field_name: str) -> datetime:
    """An aware datetime from an ISO-8601 string (or datetime); naive times are refused."""
    if isinstance(value, datetime):
        ts = value
    elif isinstance(value, str):
        try:
            ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValidationError(
                f"{field_name} is not an ISO-8601 time: {value[:64]!r}", field=field_name
            ) from exc
    else:
        raise ValidationError(f"{field_name} must be an ISO-8601 time string", field=field_name)
    if ts.tzinfo is None:
        raise ValidationError(
            f"{field_name} needs a time zone (e.g. a trailing Z)", field=field_name
        )
    return ts.astimezone(UTC)


def parse_duration(value: Any, field_name: str) -> timedelta:
    if not isinstance(value, str) or not (m := _DURATION.match(value)) or value in ("P", "PT"):
        raise ValidationError(
            f"{field_name} must be an ISO-8601 duration like P7D or PT12H", field=field_name
        )
    weeks, days, hours, minutes, seconds = (int(g) if g else 0 for g in m.groups())
    try:
        span = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:  # "PT99999999999999999999S": far past any limit
        span = timedelta.max
    if span <= timedelta(0) or span > timedelta(days=366):
        raise ValidationError(
            f"{field_name} must be between 1 second and 366 days", field=field_name
        )
    return span
