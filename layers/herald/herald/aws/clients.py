"""botocore clients, created lazily once per container, and the errors AWS calls raise.

Every client (pynamodb's included, see :mod:`herald.dal.tables`) comes from one botocore
session per thread: a fresh session re-reads and parses the service model files, ~70 ms per
client, which a function touching six tables would pay on every cold start.

Clients use standard-mode retries: throttling and 5xx are retried with backoff before an error
reaches our code. What still fails is one of :data:`INFRASTRUCTURE_ERRORS` — transient, so the
caller retries (SQS redelivery, a Lambda retry) rather than giving the work up.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from herald.runtime import register_cache
from herald.settings import settings

INFRASTRUCTURE_ERRORS: tuple[type[Exception], ...] = (BotoCoreError, ClientError, PynamoDBException)


class _Clients(dict):
    pass


class _Sessions(threading.local):
    """One botocore session per thread (sessions are not thread-safe; clients are)."""

    session: Any = None

    def clear(self) -> None:  # a new stack (tests, the local runner): a session of its own
        self.session = None


_clients = register_cache(_Clients())
_sessions = register_cache(_Sessions())


def session() -> Any:
    """This thread's botocore session."""
    if _sessions.session is None:
        import botocore.session  # noqa: PLC0415 — pynamodb already imported botocore

        _sessions.session = botocore.session.get_session()
    return _sessions.session


def client(service: str) -> Any:
    """A botocore client for ``service`` in the configured region (cached per container)."""
    found = _clients.get(service)
    if found is None:
        from botocore.config import Config  # noqa: PLC0415

        found = session().create_client(
            service,
            region_name=settings().region,
            config=Config(
                retries={"mode": "standard", "max_attempts": 5}, connect_timeout=3, read_timeout=10
            ),
        )
        _clients[service] = found
    return found


def describe(exc: BaseException) -> str:
    """A short name for an AWS failure (the error code, or the exception's type)."""
    cause = getattr(exc, "cause", None) or exc
    if isinstance(cause, ClientError):
        return cause.response.get("Error", {}).get("Code") or type(cause).__name__
    return getattr(exc, "cause_response_code", None) or type(cause).__name__


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a ClientError (None for anything else)."""
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code")
    return None
