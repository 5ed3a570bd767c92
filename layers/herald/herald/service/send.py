"""Sending one queued message: check it is still wanted, render it, hand it to the channel.

The message item is the lock: queued/deferred → sending (conditional) before the provider call,
sending → sent after it. A redelivered record finds ``sent`` and does nothing; one that finds
``sending`` (a crash between the provider call and the write) goes to the DLQ for a human
instead of risking a second send.

Infrastructure errors (DynamoDB throttling, 5xx that outlasted botocore's retries) surface as
:class:`RetryableError`, so the record is retried through SQS and, after the last attempt,
parked on the DLQ with its reason. A message given up on goes back to ``queued`` with the
reason: it is waiting in the DLQ, and ``herald dlq redrive`` sends it (still at most once).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from herald import policy, rendering, runtime
from herald.channels import email, push, sms
from herald.dal import customers, records
from herald.dal.contact_policy import cache as policy_cache
from herald.dal.content_cache import cache as content_cache
from herald.errors import BadEvent, Conflict, DeliveryError, RetryableError
from herald.model import Message, profile
from herald.observability import logger
from herald.settings import settings

SENDABLE = ("queued", "deferred")
FINAL = ("sent", "failed", "suppressed", "capped")
INFRA_ERRORS = (PynamoDBException, BotoCoreError, ClientError)
WRITE_TRIES = 4  # in-handler retries of the writes that must not be lost after a provider call
T = TypeVar("T")


@dataclass
class SendResult:
    message_id: str
    status: str
    reason: str | None = None


def parse_body(body: str) -> str:
    try:
        doc = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise BadEvent("queue record body is not JSON") from exc
    message_id = doc.get("message_id") if isinstance(doc, dict) else None
    if not isinstance(message_id, str) or not 8 <= len(message_id) <= 64:
        raise BadEvent("queue record has no message_id")
    return message_id


def handle(message_id: str, *, last_attempt: bool = False) -> SendResult:
    """Deliver one message. Raises :class:`RetryableError` when a retry may succeed and
    :class:`BadEvent` when no retry can (the caller parks the record with the reason)."""
    try:
        return _handle(message_id, last_attempt)
    except INFRA_ERRORS as exc:
        raise RetryableError(f"AWS error: {_describe(exc)}") from exc


def _describe(exc: Exception) -> str:
    cause = getattr(exc, "cause", None) or exc
    if isinstance(cause, ClientError):
        return cause.response.get("Error", {}).get("Code") or type(cause).__name__
    return getattr(exc, "cause_response_code", None) or type(cause).__name__


def _persist(write: Callable[[], T]) -> T:
    """A write that must land (the provider has already been called): retried in-process."""
    for attempt in range(WRITE_TRIES):
        try:
            return write()
        except INFRA_ERRORS:
            if attempt == WRITE_TRIES - 1:
                raise
            time.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")


def _handle(message_id: str, last_attempt: bool) -> SendResult:
    message = records.get_message(message_id)
    if message is None:
        raise BadEvent(f"message {message_id} does not exist")
    if message.status in FINAL:
        return SendResult(message_id, message.status, "already final: duplicate delivery ignored")
    if message.status == "sending":
        raise BadEvent(
            f"message {message_id} was being sent when a previous attempt stopped: "
            "the provider may have accepted it, so it is not sent again automatically"
        )
    customer = customers.get(message.customer_id)
    blocked = _blocked(message, customer)
    if blocked:
        _finish(message, "suppressed", reason=blocked)
        return SendResult(message_id, "suppressed", blocked)
    try:
        content = content_cache.get(message.content_id, message.content_version)
        context = rendering.template_context(
            customer,
            message.event,
            {
                "id": message.message_id,
                "channel": message.channel,
                "rule_id": message.rule_id,
                "unsubscribe_url": _unsubscribe_url(message),
            },
        )
        rendered = rendering.render(content, message.channel, context, customer.get("locale"))
    except DeliveryError as exc:
        _finish(message, "failed", reason=exc.message)
        return SendResult(message_id, "failed", exc.message)
    try:
        sending = records.transition(
            message, "sending", allowed_from=SENDABLE, attempts=message.attempts + 1
        )
    except Conflict:
        return SendResult(message_id, "skipped", "another delivery is handling it")
    try:
        provider_id = _deliver(sending, customer, rendered, context["message"]["unsubscribe_url"])
    except RetryableError as exc:
        # Not accepted by the provider: back to queued, so a retry (or a redrive from the DLQ
        # after the last attempt) can send it.
        reason = exc.message
        if last_attempt:
            reason = f"parked on the send DLQ after {sending.attempts} attempts: {exc.message}"
        _persist(
            lambda: records.transition(sending, "queued", allowed_from=("sending",), reason=reason)
        )
        raise
    except push.EndpointDisabled as exc:
        _finish(sending, "suppressed", reason=exc.message, frm=("sending",))
        return SendResult(message_id, "suppressed", exc.message)
    except DeliveryError as exc:
        _finish(sending, "failed", reason=exc.message, frm=("sending",))
        return SendResult(message_id, "failed", exc.message)
    except UnicodeError:  # raised while building the request, before any provider call
        reason = "the rendered message contains invalid UTF-8"
        _finish(sending, "failed", reason=reason, frm=("sending",))
        return SendResult(message_id, "failed", reason)
    _finish(sending, "sent", frm=("sending",), provider_id=provider_id, reason=None)
    return SendResult(message_id, "sent")


def _blocked(message: Message, customer: dict | None) -> str | None:
    """Re-check at send time, under the policy decide applied: an opt-out, a bounce or a
    consent change may have arrived since the decision."""
    reason = policy.unreachable(policy_cache.get(), customer, message.channel)
    if reason or message.channel == "push":
        return reason
    address = customer["email"].lower() if message.channel == "email" else customer["phone"]
    listed = customers.suppression_reason(address)  # an address suppressed under any profile
    return f"suppressed: {listed}" if listed else None


def _unsubscribe_url(message: Message) -> str | None:
    if message.category != "marketing":
        return None
    from herald import unsubscribe  # noqa: PLC0415 — marketing only

    return unsubscribe.url_for(message.customer_id, message.channel)


def _deliver(message: Message, customer: dict, rendered: dict, unsubscribe_url: str | None) -> str:
    if message.channel == "email":
        return email.send(customer["email"], rendered, message.message_id, unsubscribe_url)
    if message.channel == "sms":
        return sms.send(customer["phone"], rendered, message.category)
    ids, errors, disabled = [], [], []
    for device in customer.get("push") or []:
        if device.get("disabled"):
            continue
        try:
            ids.append(push.send(push.endpoint_for(device), rendered, message.message_id))
        except push.EndpointDisabled as exc:
            disabled.append((device["token"], exc.endpoint_arn))
            errors.append(exc)
        except DeliveryError as exc:
            errors.append(exc)
    if disabled:
        _disable_devices(message.customer_id, disabled)
    if not ids:
        if errors and all(isinstance(e, push.EndpointDisabled) for e in errors):
            raise errors[0]
        raise DeliveryError("; ".join(e.message for e in errors) or "no enabled push device")
    return ",".join(ids)


def _disable_devices(customer_id: str, disabled: list[tuple[str, str]]) -> None:
    """Mark dead push devices ``disabled`` on the profile and list their endpoints as suppressed."""
    arns = dict(disabled)
    for arn in arns.values():
        _persist(lambda arn=arn: customers.suppress(arn, "push", "push endpoint disabled"))

    def mark(current: dict) -> dict:
        doc = profile(current)
        doc["push"] = [
            {**d, "disabled": True, "endpoint_arn": arns[d["token"]]}
            if d.get("token") in arns
            else d
            for d in current.get("push") or []
        ]
        return {"doc": doc}

    try:
        _persist(lambda: customers.change(customer_id, mark))
    except Conflict:
        logger.warning("could not mark push devices disabled", customer_id=customer_id)


def _finish(message: Message, status: str, *, frm: tuple[str, ...] = SENDABLE, **fields) -> None:
    try:
        _persist(lambda: records.transition(message, status, allowed_from=frm, **fields))
    except Conflict:
        logger.warning("message changed meanwhile", message_id=message.message_id, wanted=status)
    logger.info(
        "message " + status,
        message_id=message.message_id,
        channel=message.channel,
        rule_id=message.rule_id,
        reason=fields.get("reason"),
    )


def dead_letter(body: str, reason: str) -> None:
    """Park a record on the send DLQ with its reason (for ``herald dlq redrive``)."""
    _persist(
        lambda: runtime.client("sqs").send_message(
            QueueUrl=settings().send_dlq_url,
            MessageBody=body,
            MessageAttributes={
                "herald_reason": {"DataType": "String", "StringValue": reason[:1000]}
            },
        )
    )
