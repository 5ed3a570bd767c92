"""One mapping from an error to what happens to the record that caused it.

Every asynchronous handler (decide, send, feedback) asks :func:`disposition`:

- **retry** — AWS was throttled or unavailable (:data:`~herald.aws.clients.INFRASTRUCTURE_ERRORS`,
  :class:`~herald.errors.RetryableError`): raise, so Lambda or SQS delivers it again;
- **park** — the record itself can never work (a :class:`~herald.errors.HeraldError` such as
  :class:`~herald.domain.event.BadEvent`, or data that breaks a parser: nesting too deep, invalid
  Unicode): put it on the function's dead-letter queue *with the reason*, at once, instead of
  failing the same way three times and landing there with none.

:func:`park` writes the record; ``herald dlq inspect`` shows the reason and ``herald dlq redrive``
puts records back once the cause is fixed.
"""

from __future__ import annotations

import json
from enum import StrEnum

from herald.aws import queues
from herald.aws.clients import INFRASTRUCTURE_ERRORS, describe
from herald.errors import HeraldError, RetryableError

MAX_BODY_BYTES = 200 * 1024  # SQS takes 256 KB; leave room for attributes


class Disposition(StrEnum):
    RETRY = "retry"
    PARK = "park"


def disposition(exc: BaseException) -> Disposition:
    if isinstance(exc, (RetryableError, *INFRASTRUCTURE_ERRORS)):
        return Disposition.RETRY
    return Disposition.PARK


def reason(exc: BaseException) -> str:
    """Why a record was parked, in words an operator can act on (never empty)."""
    if isinstance(exc, HeraldError):
        return exc.message
    if isinstance(exc, RecursionError):
        return "the record is nested too deeply to process"
    if isinstance(exc, UnicodeError):
        return "the record contains invalid Unicode (invalid UTF-8 or unpaired surrogates)"
    if isinstance(exc, INFRASTRUCTURE_ERRORS):
        return f"AWS error: {describe(exc)}"
    # A defect in Herald rather than in the record: name it so the logs can be found.
    return f"internal error {type(exc).__name__}: {str(exc)[:200]}"


def body_of(record: object) -> str:
    """The record as a dead-letter body: JSON with ASCII escapes (survives invalid UTF-8),
    truncated (and marked so) when it is too large for SQS."""
    if isinstance(record, str):
        # As received, unless it can't be sent at all (unpaired surrogates): then escaped.
        body = record.encode("utf-8", "backslashreplace").decode("utf-8")
    else:
        body = json.dumps(record, default=str)
    if len(body.encode()) > MAX_BODY_BYTES:
        body = json.dumps({"truncated": True, "head": body[: MAX_BODY_BYTES // 2]})
    return body


def park(queue_url: str, record: object, why: str | BaseException) -> str:
    """Put ``record`` on the dead-letter queue ``queue_url`` with its reason; returns the reason."""
    text = why if isinstance(why, str) else reason(why)
    queues.park(queue_url, body_of(record), text or "no reason given")
    return text


def retry_or_park(queue_url: str, record: object, exc: BaseException) -> str:
    """Raise ``exc`` again when a retry can help (Lambda or SQS delivers the record again);
    otherwise park ``record`` on ``queue_url`` with the reason, and return the reason."""
    if disposition(exc) == Disposition.RETRY:
        raise exc
    return park(queue_url, record, exc)
