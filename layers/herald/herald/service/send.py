"""Sending one queued message: check it is still wanted, render it, hand it to the channel.

The message item is the lock: queued/deferred → sending (conditional) before the provider call,
sending → sent after it. A redelivered record finds ``sent`` and does nothing; one that finds
``sending`` (a crash between the provider call and the write) goes to the DLQ for a human
instead of risking a second send. Everything that can fail because of the content itself
(rendering, building the email, a CR/LF in a header) happens *before* ``sending``, so such a
failure is reported as what it is, never as "the provider may have accepted it".

Infrastructure errors (DynamoDB throttling, 5xx that outlasted botocore's retries) surface as
:class:`RetryableError`, so the record is retried through SQS and, after the last attempt,
parked on the DLQ with its reason. A message given up on goes back to ``queued`` with the
reason: it is waiting in the DLQ, and ``herald dlq redrive`` sends it (still at most once).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from aws_lambda_powertools.metrics import MetricUnit

from herald import rendering
from herald.aws.clients import INFRASTRUCTURE_ERRORS, describe
from herald.channels import email, push, sms
from herald.dal import customers, records
from herald.dal.contact_policy import cache as policy_cache
from herald.domain import policy
from herald.domain.broadcast import RULE_PREFIX, BroadcastStatus
from herald.domain.channel import Category, Channel
from herald.domain.customer import CustomerState, CustomerUpdate
from herald.domain.event import BadEvent
from herald.domain.message import FINAL, SENDABLE, Message, MessageStatus
from herald.domain.outcome import ref_of
from herald.errors import Conflict, DeliveryError, RetryableError
from herald.observability import logger, metrics
from herald.service import dead_letters
from herald.service.content_cache import cache as content_cache
from herald.settings import settings

WRITE_TRIES = 4  # in-handler retries of the writes that must not be lost after a provider call
SENDING_ONLY = frozenset({MessageStatus.SENDING})
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SendResult:
    message_id: str
    status: str
    reason: str | None = None
    channel: str | None = None  # set when this delivery decided the status (per-channel metrics)


def on_record(record) -> None:
    """The send function's per-record call (a powertools ``SQSRecord``): deliver it, or park it
    on the send DLQ with the reason when no retry can help; raise to have SQS retry it."""
    # Hand-made events (sam local invoke -e) may lack the attribute SQS always sets.
    attempt = int(record.attributes.get("ApproximateReceiveCount") or 1)
    last = attempt >= settings().send_max_attempts
    try:
        result = handle(parse_body(record.body), last_attempt=last)
    except Exception as exc:  # one mapping decides: retry (raise) or park with the reason
        retry = dead_letters.disposition(exc) == dead_letters.Disposition.RETRY
        if retry and not last:
            raise  # a batch item failure: SQS redelivers it after the visibility timeout
        why = dead_letters.reason(exc)
        if retry:
            why = f"gave up after {attempt} attempts: {why}"
        _persist(lambda: dead_letters.park(settings().send_dlq_url, record.body, why))
        logger.warning("record parked", reason=why, sqs_message_id=record.message_id)
        return
    logger.info("send", message_id=result.message_id, status=result.status, reason=result.reason)
    metrics.add_metric(name=f"Messages{result.status.capitalize()}", unit=MetricUnit.Count, value=1)
    if result.channel:  # the dashboard's "messages by channel and status": EmailSent, SmsFailed…
        metrics.add_metric(
            name=f"{result.channel.capitalize()}{result.status.capitalize()}",
            unit=MetricUnit.Count,
            value=1,
        )


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
    except INFRASTRUCTURE_ERRORS as exc:
        raise RetryableError(f"AWS error: {describe(exc)}") from exc


def _persist(write: Callable[[], T]) -> T:
    """A write that must land (the provider has already been called): retried in-process."""
    for attempt in range(WRITE_TRIES):
        try:
            return write()
        except INFRASTRUCTURE_ERRORS:
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
    if message.status == MessageStatus.SENDING:
        raise BadEvent(
            f"message {message_id} was being sent when a previous attempt stopped: "
            "the provider may have accepted it, so it is not sent again automatically"
        )
    held = _broadcast_hold(message)
    if held is not None:
        return held
    customer = customers.get(message.customer_id)
    blocked = _blocked(message, customer)
    if blocked:
        return _finish(message, MessageStatus.SUPPRESSED, reason=blocked)
    assert customer is not None  # _blocked() refuses unknown customers
    unsubscribe_url = _unsubscribe_url(message)
    try:
        content = content_cache.get(message.content_id, message.content_version)
        context = rendering.template_context(
            customer.profile,
            message.event,
            {
                "id": message.message_id,
                "channel": message.channel,
                "rule_id": message.rule_id,
                "unsubscribe_url": unsubscribe_url,
            },
        )
        rendered = rendering.render(content, message.channel, context, customer.profile.locale)
        prepared = _prepare(message, customer, rendered, unsubscribe_url)
    except DeliveryError as exc:  # the content itself is at fault: no retry can help
        return _finish(message, MessageStatus.FAILED, reason=exc.message)
    try:
        sending = records.transition(
            message, MessageStatus.SENDING, allowed_from=SENDABLE, attempts=message.attempts + 1
        )
    except Conflict:
        return SendResult(message_id, "skipped", "another delivery is handling it")
    try:
        provider_id = _deliver(sending, customer, prepared)
    except RetryableError as exc:
        # Not accepted by the provider: back to queued, so a retry (or a redrive from the DLQ
        # after the last attempt) can send it.
        reason = exc.message
        if last_attempt:
            reason = f"parked on the send DLQ after {sending.attempts} attempts: {exc.message}"
        _persist(
            lambda: records.transition(
                sending, MessageStatus.QUEUED, allowed_from=SENDING_ONLY, reason=reason
            )
        )
        raise
    except push.EndpointDisabled as exc:
        return _finish(sending, MessageStatus.SUPPRESSED, reason=exc.message, frm=SENDING_ONLY)
    except DeliveryError as exc:
        return _finish(sending, MessageStatus.FAILED, reason=exc.message, frm=SENDING_ONLY)
    return _finish(
        sending, MessageStatus.SENT, frm=SENDING_ONLY, provider_id=provider_id, reason=None
    )


def _broadcast_hold(message: Message) -> SendResult | None:
    """A broadcast's message waits while it is paused and is dropped once it is cancelled."""
    if not message.rule_id.startswith(RULE_PREFIX):
        return None
    from herald.service.broadcast_status import cache as broadcast_status  # noqa: PLC0415

    status = broadcast_status.get(message.rule_id[len(RULE_PREFIX) :])
    if status == BroadcastStatus.CANCELLED:
        return _finish(message, MessageStatus.SUPPRESSED, reason="the broadcast was cancelled")
    if status == BroadcastStatus.PAUSED:
        return SendResult(
            message.message_id, "skipped", "the broadcast is paused: resume queues it"
        )
    return None


def _blocked(message: Message, customer: CustomerState | None) -> str | None:
    """Re-check at send time, under the policy decide applied: an opt-out, a bounce or a
    consent change may have arrived since the decision."""
    reason = policy.unreachable(policy_cache.get(), customer, message.channel)
    if reason or message.channel == Channel.PUSH:
        return reason
    assert customer is not None
    listed = customers.suppression_reason(customer.profile.address(message.channel) or "")
    return f"suppressed: {listed}" if listed else None  # an address suppressed under any profile


def _unsubscribe_url(message: Message) -> str | None:
    if message.category != Category.MARKETING:
        return None
    from herald import unsubscribe  # noqa: PLC0415 — marketing only

    return unsubscribe.url_for(message.customer_id, message.channel, message.message_id)


def _prepare(message: Message, customer: CustomerState, rendered: dict, unsubscribe_url):
    profile = customer.profile
    if message.channel == Channel.EMAIL:
        return email.prepare(
            profile.email or "", rendered, ref_of(message), unsubscribe_url, profile.locale
        )
    if message.channel == Channel.SMS:
        return sms.prepare(profile.phone or "", rendered, message.category)
    return push.prepare(rendered, message.message_id)


def _deliver(message: Message, customer: CustomerState, prepared) -> str:
    if not isinstance(prepared, push.PreparedPush):
        return prepared.send()
    ids, errors, disabled = [], [], []
    for device in customer.profile.push:
        if device.disabled:
            continue
        try:
            ids.append(prepared.send_to(push.endpoint_for(device)))
        except push.EndpointDisabled as exc:
            disabled.append((device.token, exc.endpoint_arn))
            errors.append(exc)
        except DeliveryError as exc:
            errors.append(exc)
    if disabled:
        _disable_devices(message.customer_id, dict(disabled))
    if not ids:
        if errors and all(isinstance(e, push.EndpointDisabled) for e in errors):
            raise errors[0]
        raise DeliveryError("; ".join(e.message for e in errors) or "no enabled push device")
    return ",".join(ids)


def _disable_devices(customer_id: str, arns: dict[str, str]) -> None:
    """Mark dead push devices ``disabled`` on the profile and list their endpoints as suppressed."""
    for arn in arns.values():
        _persist(lambda arn=arn: customers.suppress(arn, "push", "push endpoint disabled"))

    def mark(current: CustomerState) -> CustomerUpdate:
        devices = tuple(
            replace(d, disabled=True, endpoint_arn=arns[d.token]) if d.token in arns else d
            for d in current.profile.push
        )
        return CustomerUpdate(profile=replace(current.profile, push=devices))

    try:
        _persist(lambda: customers.change(customer_id, mark))
    except Conflict:
        logger.warning("could not mark push devices disabled", customer_id=customer_id)


def _finish(
    message: Message, status: MessageStatus, *, frm: frozenset = SENDABLE, **fields
) -> SendResult:
    """The message's final status (the stream counts a sent or failed one)."""
    try:
        _persist(lambda: records.transition(message, status, allowed_from=frm, **fields))
    except Conflict:
        logger.warning("message changed meanwhile", message_id=message.message_id, wanted=status)
    reason = fields.get("reason")
    logger.info(
        f"message {status}",
        message_id=message.message_id,
        channel=message.channel,
        rule_id=message.rule_id,
        reason=reason,
    )
    return SendResult(message.message_id, status, reason, message.channel)
