"""Delivery channels: email (SES v2), SMS (SNS), mobile push (SNS platform endpoints).

Each channel first *prepares* a message — builds the exact request, so anything wrong with the
rendered content fails there, before the message is marked ``sending`` — and then sends it:
:meth:`Prepared.send` returns the provider's message id, raises
:class:`~herald.errors.RetryableError` for throttling and 5xx (after botocore's own retries) and
:class:`~herald.errors.DeliveryError` when the provider refuses the message for good.
"""

from __future__ import annotations

import re
from typing import Protocol

from botocore.exceptions import BotoCoreError, ClientError

from herald.errors import DeliveryError, RetryableError

RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "LimitExceededException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalError",
        "InternalErrorException",
        "KMSThrottlingException",
        "RequestLimitExceeded",
        "SendingPausedException",
    }
)


class Prepared(Protocol):
    def send(self) -> str:
        """Hand the prepared request to the provider; its message id."""
        ...


_ADDRESS = re.compile(r"[^\s@<>\"']+@[^\s@<>\"']+|\+?\d[\d ()-]{6,}\d")


def redact(text: str) -> str:
    """Provider messages can quote the recipient; reasons are logged and shown, so strip them."""
    return _ADDRESS.sub("<redacted>", text)


def classify(exc: Exception, what: str) -> Exception:
    """Map a botocore error to RetryableError or DeliveryError (kept in one place)."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in RETRYABLE_CODES or status >= 500 or status == 429:
            return RetryableError(f"{what}: {code or status}")
        detail = redact(exc.response.get("Error", {}).get("Message", ""))
        return DeliveryError(f"{what}: {code}: {detail}"[:300])
    if isinstance(exc, BotoCoreError):  # connection errors, timeouts
        return RetryableError(f"{what}: {type(exc).__name__}")
    return exc
