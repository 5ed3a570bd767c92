"""The error contract: :class:`HeraldError` (a stable ``code``, an HTTP ``status`` and the
offending ``field``) and the outcomes every layer shares. Errors that belong to one concept live
with it: ``ValidationError`` in :mod:`herald.domain.document`, ``BadEvent`` in
:mod:`herald.domain.event`, ``Unauthorized``/``Forbidden`` in :mod:`herald.admin.users`, the
request-level ones in :mod:`herald.admin.api`. One place per edge maps them to HTTP statuses or
dead-letter reasons."""

from __future__ import annotations


class HeraldError(Exception):
    """Base class: ``code`` is a stable machine-readable name, ``field`` the offending input."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


class NotFound(HeraldError):
    code = "not_found"
    status = 404


class Conflict(HeraldError):
    code = "conflict"
    status = 409


class DeliveryError(HeraldError):
    """A channel refused a message for good (bad address, disabled endpoint, …)."""

    code = "delivery_failed"


class RetryableError(HeraldError):
    """A transient failure (throttling, 5xx) that the caller should retry later."""

    code = "retryable"
    status = 503
