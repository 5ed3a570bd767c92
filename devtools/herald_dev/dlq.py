"""Dead-letter queues: look at what was parked and why, and re-drive it once the cause is fixed.

Records parked by Herald carry their reason in the ``herald_reason`` message attribute; those
parked by Lambda (an asynchronous invocation that failed every retry) in ``ErrorMessage``.
Re-driving is safe to repeat: the send function sends a message at most once whatever number
of records point at it, and the decide function treats a re-driven event as a replay.

The counters DLQ is shown, never re-driven: Lambda parks there a *description* of a stream
batch it gave up on (shard, sequence numbers), not the message changes themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from herald.aws import clients

REASON_ATTRIBUTES = ("herald_reason", "ErrorMessage", "ErrorCode")
PEEK_SECONDS = 30  # how long inspected records stay hidden before they are released again
# DLQ logical id -> why `herald dlq redrive` refuses it.
NOT_REDRIVABLE = {
    "CountersDLQ": (
        "counted batches can't be redriven: the counters DLQ holds Lambda's description of a "
        "batch of message changes it gave up on (shard, sequence number range), not the "
        "changes, and the stream keeps them 24 hours only; the messages themselves are intact "
        "in the messages table, their counters miss those changes"
    ),
}


@dataclass(frozen=True, slots=True)
class Parked:
    """One dead-lettered record."""

    sqs_message_id: str
    body: str
    reason: str | None
    receive_count: int
    sent_at: str | None
    attributes: dict = field(default_factory=dict)

    @property
    def doc(self) -> Any:
        """The body as JSON, or None when it isn't JSON (a malformed record)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def event_of(record: Parked) -> str:
    """Which event a parked record is about: the EventBridge event (decide's DLQ), the message and
    the event that queued it (send's), the SNS notification (feedback's), or why it can't say."""
    doc = record.doc
    if not isinstance(doc, dict):
        return "not JSON: no event id"
    detail = doc.get("detail")
    if isinstance(detail, dict) and "detail-type" in doc:
        event_id = detail.get("event_id") or doc.get("id") or "?"
        return f"event {event_id} ({doc['detail-type']}, customer {detail.get('customer_id', '?')})"
    if isinstance(doc.get("message_id"), str):
        return _message_event(doc["message_id"])
    batch = doc.get("DDBStreamBatchInfo")
    if isinstance(batch, dict):
        return (
            f"stream batch of {batch.get('batchSize', '?')} change(s), sequence numbers "
            f"{batch.get('startSequenceNumber', '?')}…{batch.get('endSequenceNumber', '?')} "
            f"(shard {batch.get('shardId', '?')}, "
            f"from {batch.get('approximateArrivalOfFirstRecord', '?')})"
        )
    records = doc.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        sns = records[0].get("Sns") or {}
        return f"SNS notification {sns.get('MessageId', '?')}"
    return "no event id in the record"


def _message_event(message_id: str) -> str:
    from herald.dal import records  # lazily: only a send-DLQ record needs the messages table

    try:
        message = records.get_message(message_id)
    except clients.INFRASTRUCTURE_ERRORS as exc:
        return f"message {message_id} (its event unknown: {exc})"
    if message is None:
        return f"message {message_id} (no longer in the messages table)"
    return f"event {message.event_id} ({message.event_name}, customer {message.customer_id}), message {message_id}"


@dataclass
class Inspection:
    queue_url: str
    approximate_count: int
    records: list[Parked]

    def reasons(self) -> dict[str, int]:
        """How many records per reason (the first 80 characters of it)."""
        counts: dict[str, int] = {}
        for r in self.records:
            key = (r.reason or "no reason recorded")[:80]
            counts[key] = counts.get(key, 0) + 1
        return counts


@dataclass
class RedriveResult:
    moved: int = 0
    failed: int = 0
    remaining: int = 0


def _reason(message: dict) -> str | None:
    attributes = message.get("MessageAttributes") or {}
    for name in REASON_ATTRIBUTES:
        value = (attributes.get(name) or {}).get("StringValue")
        if value:
            return value
    return _destination_reason(message.get("Body", ""))


def _destination_reason(body: str) -> str | None:
    """Why Lambda gave up, from an OnFailure destination record (its reason is in its body)."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    context = doc.get("requestContext") if isinstance(doc, dict) else None
    if not isinstance(context, dict) or "condition" not in context:
        return None
    error = (doc.get("responseContext") or {}).get("functionError") or "no error recorded"
    attempts = context.get("approximateInvokeCount", "?")
    return f"{context['condition']} ({error}, {attempts} attempts)"


def _parked(message: dict) -> Parked:
    attrs = message.get("Attributes") or {}
    return Parked(
        sqs_message_id=message["MessageId"],
        body=message.get("Body", ""),
        reason=_reason(message),
        receive_count=int(attrs.get("ApproximateReceiveCount", 0)),
        sent_at=attrs.get("SentTimestamp"),
        attributes={
            k: v.get("StringValue") for k, v in (message.get("MessageAttributes") or {}).items()
        },
    )


def count(queue_url: str) -> int:
    """Records waiting in ``queue_url`` (visible ones; SQS's approximate count)."""
    attrs = clients.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attrs.get("ApproximateNumberOfMessages", 0))


def _receive(queue_url: str, up_to: int) -> list[dict]:
    """Up to ``up_to`` records, hidden for PEEK_SECONDS while we look at or move them."""
    return (
        clients.client("sqs")
        .receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=up_to,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            VisibilityTimeout=PEEK_SECONDS,
            WaitTimeSeconds=0,
        )
        .get("Messages", [])
    )


def inspect(queue_url: str, limit: int = 100) -> Inspection:
    """Read up to ``limit`` records without consuming them (they are released right after)."""
    sqs = clients.client("sqs")
    seen: dict[str, Parked] = {}
    handles = []
    while len(seen) < limit:
        got = _receive(queue_url, min(10, limit - len(seen)))
        if not got:
            break
        for message in got:
            seen.setdefault(message["MessageId"], _parked(message))
            handles.append(message["ReceiptHandle"])
    for start in range(0, len(handles), 10):  # release them: inspecting must not hide records
        sqs.change_message_visibility_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0}
                for i, h in enumerate(handles[start : start + 10])
            ],
        )
    return Inspection(queue_url, count(queue_url), list(seen.values()))


def redrive(
    dlq_url: str,
    target_url: str,
    *,
    max: int | None = None,  # named like the CLI option (--max)
    echo: Callable[[str], None] = print,
) -> RedriveResult:
    """Move up to ``max`` records (default: all) from ``dlq_url`` back to ``target_url``.

    ``target_url`` is an SQS queue URL (the send queue) or an EventBridge bus name or ARN (for
    the decide DLQ, whose records are EventBridge envelopes: they are put back on the bus).
    Each record is deleted from the DLQ only after the target accepted it, so an interrupted
    re-drive loses nothing (at worst a record is delivered twice, which Herald absorbs).
    """
    sqs = clients.client("sqs")
    to_bus = not target_url.startswith(("https://", "http://"))
    result = RedriveResult()
    while max is None or result.moved + result.failed < max:
        want = 10 if max is None else min(10, max - result.moved - result.failed)
        got = _receive(dlq_url, want)
        if not got:
            break
        for message in got:
            try:
                if _is_batch_description(message.get("Body", "")):
                    raise ValueError(NOT_REDRIVABLE["CountersDLQ"])
                if to_bus:
                    _put_event(target_url, message["Body"])
                else:
                    sqs.send_message(QueueUrl=target_url, MessageBody=message["Body"])
            except (ValueError, KeyError, ClientError, BotoCoreError) as exc:
                result.failed += 1
                echo(f"  kept {message['MessageId']}: {exc}")
                continue
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            result.moved += 1
        echo(f"  re-driven {result.moved}, kept {result.failed}")
    result.remaining = count(dlq_url)
    return result


def _is_batch_description(body: str) -> bool:
    """A stream batch's OnFailure description (nothing in it to put back)."""
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    return isinstance(doc, dict) and isinstance(doc.get("DDBStreamBatchInfo"), dict)


def _put_event(bus: str, body: str) -> None:
    envelope = json.loads(body)
    if envelope.get("truncated") or "detail-type" not in envelope:
        raise ValueError("not an EventBridge envelope (a truncated or malformed event)")
    detail = envelope.get("detail", {})
    if isinstance(detail, dict) and envelope.get("id"):
        # Keep the idempotency key: the re-driven event must replay, not decide anew.
        detail = {**detail, "event_id": detail.get("event_id") or envelope["id"]}
    response = clients.client("events").put_events(
        Entries=[
            {
                "EventBusName": bus,
                "Source": envelope.get("source", "herald.redrive"),
                "DetailType": envelope["detail-type"],
                "Detail": detail if isinstance(detail, str) else json.dumps(detail),
            }
        ]
    )
    if response.get("FailedEntryCount"):
        raise ValueError(response["Entries"][0].get("ErrorMessage", "PutEvents refused the event"))
