"""Typed errors. One place per edge maps them to HTTP statuses or dead-letter reasons."""

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


class ValidationError(HeraldError):
    code = "validation_error"
    status = 422


class NotFound(HeraldError):
    code = "not_found"
    status = 404


class Conflict(HeraldError):
    code = "conflict"
    status = 409


class Unauthorized(HeraldError):
    code = "unauthorized"
    status = 401


class Forbidden(HeraldError):
    code = "forbidden"
    status = 403


class PayloadTooLarge(HeraldError):
    code = "payload_too_large"
    status = 413


class BadEvent(HeraldError):
    """An event or queue record that can never be processed: dead-letter it, don't retry."""

    code = "bad_event"


class DeliveryError(HeraldError):
    """A channel refused a message for good (bad address, disabled endpoint, …)."""

    code = "delivery_failed"


class RetryableError(HeraldError):
    """A transient failure (throttling, 5xx) that the caller should retry later."""

    code = "retryable"
    status = 503


class BadRequest(HeraldError):
    """A request no route can read (a body that isn't UTF-8 text, a bad header)."""

    code = "bad_request"
    status = 400


class UnsupportedMediaType(HeraldError):
    code = "unsupported_media_type"
    status = 415
