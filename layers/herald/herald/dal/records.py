"""Messages and decision traces (one table), written with the decision in one transaction.

A message item's key is its deterministic ``message_id``; its put is conditional on the key
not existing, which is what makes a replayed event unable to send twice. A trace's key is its
decision id (customer and event id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from herald.dal import counters
from herald.dal.counters import Increment
from herald.dal.customers import item_actions
from herald.dal.tables import (
    CustomerItem,
    RecordItem,
    bind,
    cancellation_codes,
    conditional_failure,
    connection,
)
from herald.domain.clock import iso, utcnow
from herald.domain.customer import CustomerUpdate
from herald.domain.event import decision_id
from herald.domain.message import Message, MessageStatus
from herald.domain.trace import Trace
from herald.errors import Conflict
from herald.settings import settings


def _expires() -> timedelta:
    return timedelta(days=settings().trace_ttl_days)


def _trace_item(trace: Trace, *, indexed: bool = True) -> RecordItem:
    """A trace's item; ``indexed=False`` leaves out the customer index's keys (a decision with
    messages: the timeline reaches its trace through them)."""
    key = decision_id(trace.customer_id, trace.event_id)
    return RecordItem(
        f"trace#{key}",
        kind="trace",
        customer_id=trace.customer_id if indexed else None,
        at=f"{trace.decided_at}#trace#{key}" if indexed else None,
        doc=trace.to_doc(),
        expires_at=_expires(),
    )


def _message_item(message: Message) -> RecordItem:
    return RecordItem(
        f"msg#{message.message_id}",
        kind="message",
        customer_id=message.customer_id,
        at=f"{message.created_at}#msg#{message.message_id}",
        doc=_doc(message),
        status=message.status,
        updated_at=message.updated_at,
        expires_at=_expires(),
    )


# Kept as item attributes (or the key) rather than in the document: a smaller item is one write
# unit per change instead of two (DynamoDB bills writes per started KB).
_OUTSIDE_DOC = ("outcomes", "message_id", "customer_id", "status", "updated_at")


def _doc(message: Message) -> dict:
    """The stored document of a message: its fields but those kept as attributes, and no
    empty ones."""
    doc = asdict(message)
    for name in _OUTSIDE_DOC:
        doc.pop(name, None)
    if not doc.get("attempts"):
        doc.pop("attempts", None)
    return {k: v for k, v in doc.items() if v is not None and v != {}}


def message_of(item: RecordItem) -> Message:
    """The message a stored item holds (older items keep every field in the document)."""
    doc = {"event": {}, **item.doc}
    return Message(
        **{
            **doc,
            "message_id": item.pk.removeprefix("msg#"),
            "customer_id": item.customer_id,
            "updated_at": item.updated_at or doc.get("updated_at") or doc["created_at"],
            "status": MessageStatus(item.status),
            "outcomes": frozenset(item.outcomes or ()),
        }
    )


def from_image(image: dict | None) -> Message | None:
    """The message of a stream record's image (None: not a message, or no image)."""
    if not image or image.get("kind", {}).get("S") != "message":
        return None
    bind()
    return message_of(RecordItem.from_raw_data(image))


def _increments(tx: TransactWrite, increments: Sequence[Increment]) -> None:
    for item, actions in counters.items(list(increments)):
        tx.update(item, actions=actions, add_version_condition=False)


class Replay(Exception):
    """The decision's messages already exist: the event was processed before."""


def write_decision(
    trace: Trace,
    messages: list[Message],
    customer_id: str,
    customer_revision: int | None,
    customer_update: CustomerUpdate,
    increments: Sequence[Increment] = (),
) -> None:
    """Trace + messages + customer state + conversion counters in one call (a transaction when
    there's more than one), so a frequency cap and a conversion move with their decision or not
    at all. (Exposures, sends and outcomes are counted from the messages table's stream.)

    The trace of a decision with messages stays out of the customer index: the timeline finds
    it from its messages, and the index takes one entry per decision, not two.

    Raises :class:`Replay` when a message exists already (nothing is written) and
    :class:`~herald.errors.Conflict` when the customer changed since it was read.
    """
    bind()
    trace_item = _trace_item(trace, indexed=not messages)
    if not messages and not customer_update and not increments:
        trace_item.save()
        return
    try:
        with TransactWrite(connection=connection()) as tx:
            # An event counted in the aggregates is counted once: its trace must be new.
            counted = customer_update.activity is not None
            tx.save(trace_item, condition=RecordItem.pk.does_not_exist() if counted else None)
            for message in messages:
                tx.save(_message_item(message), condition=RecordItem.pk.does_not_exist())
            if customer_update:
                actions = item_actions(customer_update) + [
                    CustomerItem.rev.set((customer_revision or 0) + 1),
                    CustomerItem.updated_at.set(trace.decided_at),
                ]
                condition = (
                    CustomerItem.rev == customer_revision
                    if customer_revision
                    else CustomerItem.rev.does_not_exist()
                )
                tx.update(CustomerItem(customer_id), actions=actions, condition=condition)
            _increments(tx, increments)
    except TransactWriteError as exc:
        failed = [
            i for i, code in enumerate(cancellation_codes(exc)) if code == "ConditionalCheckFailed"
        ]
        if not failed:
            raise
        message_slots = range(0 if customer_update.activity is not None else 1, 1 + len(messages))
        if any(i in message_slots for i in failed):
            raise Replay(trace.event_id) from exc
        raise Conflict(f"customer {customer_id} changed meanwhile", field="rev") from exc


def get_message(message_id: str) -> Message | None:
    bind()
    try:
        item = RecordItem.get(f"msg#{message_id}", consistent_read=True)
    except DoesNotExist:
        return None
    return message_of(item)


def transition(
    message: Message,
    to: MessageStatus,
    *,
    allowed_from: frozenset | tuple,
    **fields: Any,
) -> Message:
    """Move a message to status ``to`` iff its stored status is in ``allowed_from`` (one
    conditional write; the stream counts a move to sent or failed)."""
    bind()
    now = iso(utcnow())
    updated = replace(message, **fields, status=to, updated_at=now)
    item = RecordItem(f"msg#{message.message_id}")
    actions = [
        RecordItem.status.set(to),
        RecordItem.doc.set(_doc(updated)),
        RecordItem.updated_at.set(now),
    ]
    try:
        item.update(actions=actions, condition=RecordItem.status.is_in(*allowed_from))
    except UpdateError as exc:
        if conditional_failure(exc):
            raise Conflict(
                f"message {message.message_id} is no longer in {'/'.join(sorted(allowed_from))}",
                field="status",
            ) from exc
        raise
    return updated


def get_trace(customer_id: str, event_id: str) -> Trace | None:
    bind()
    try:
        return Trace.from_doc(RecordItem.get(f"trace#{decision_id(customer_id, event_id)}").doc)
    except DoesNotExist:
        return None


def put_trace(trace: Trace, *, indexed: bool = True) -> None:
    bind()
    _trace_item(trace, indexed=indexed).save()


def timeline(customer_id: str, limit: int = 50) -> list[Trace | Message]:
    """The customer's most recent traces and messages, newest first: the index (keys only)
    gives their keys, BatchGetItem the items, and the traces of the messages' decisions (not in
    the index) come with them."""
    bind()
    keys = [
        entry.pk
        for entry in RecordItem.by_customer.query(
            customer_id, scan_index_forward=False, limit=limit
        )
    ]
    items = list(RecordItem.batch_get(keys))
    have = {item.pk for item in items}
    decisions = {
        f"trace#{decision_id(item.customer_id, item.doc['event_id'])}"
        for item in items
        if item.kind == "message" and item.doc.get("event_id")
    }
    items += RecordItem.batch_get(sorted(decisions - have))
    entries = [
        message_of(item) if item.kind == "message" else Trace.from_doc(item.doc) for item in items
    ]

    def newest(entry: Trace | Message) -> tuple[str, int]:
        # a trace before its messages when they share a time (the timeline reads newest first)
        if isinstance(entry, Message):
            return entry.created_at, 0
        return entry.decided_at, 1

    return sorted(entries, key=newest, reverse=True)
