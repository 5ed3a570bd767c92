"""Messages and decision traces (one table), written with the decision in one transaction.

A message item's key is its deterministic ``message_id``; its put is conditional on the key
not existing, which is what makes a replayed event unable to send twice.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from herald.dal.tables import CustomerItem, RecordItem, bind, connection
from herald.errors import Conflict
from herald.model import Message, iso, utcnow
from herald.settings import settings


def _expires() -> timedelta:
    return timedelta(days=settings().trace_ttl_days)


def _trace_item(trace: dict) -> RecordItem:
    return RecordItem(
        f"trace#{trace['event_id']}",
        kind="trace",
        customer_id=trace["customer_id"],
        at=f"{trace['decided_at']}#trace#{trace['event_id']}",
        doc=trace,
        expires_at=_expires(),
    )


def _message_item(message: Message) -> RecordItem:
    return RecordItem(
        f"msg#{message.message_id}",
        kind="message",
        customer_id=message.customer_id,
        at=f"{message.created_at}#msg#{message.message_id}",
        doc=asdict(message),
        status=message.status,
        updated_at=message.updated_at,
        expires_at=_expires(),
    )


class Replay(Exception):
    """The decision's messages already exist: the event was processed before."""


def write_decision(
    trace: dict,
    messages: list[Message],
    customer_id: str,
    customer_rev: int | None,
    customer_changes: dict,
) -> None:
    """Trace + messages + customer state in one call (a transaction when there's more than one).

    Raises :class:`Replay` when a message exists already (nothing is written) and
    :class:`~herald.errors.Conflict` when the customer changed since it was read.
    """
    bind()
    trace_item = _trace_item(trace)
    if not messages and not customer_changes:
        trace_item.save()
        return
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(trace_item)
            for message in messages:
                tx.save(_message_item(message), condition=RecordItem.pk.does_not_exist())
            if customer_changes:
                actions = [getattr(CustomerItem, k).set(v) for k, v in customer_changes.items()]
                actions += [
                    CustomerItem.rev.set((customer_rev or 0) + 1),
                    CustomerItem.updated_at.set(trace["decided_at"]),
                ]
                condition = (
                    CustomerItem.rev == customer_rev
                    if customer_rev
                    else CustomerItem.rev.does_not_exist()
                )
                tx.update(CustomerItem(customer_id), actions=actions, condition=condition)
    except TransactWriteError as exc:
        reasons = [
            getattr(r, "code", None) if r else None for r in (exc.cancellation_reasons or [])
        ]
        failed = [i for i, code in enumerate(reasons) if code == "ConditionalCheckFailed"]
        if not failed:
            raise
        message_slots = range(1, 1 + len(messages))
        if any(i in message_slots for i in failed):
            raise Replay(trace["event_id"]) from exc
        raise Conflict(f"customer {customer_id} changed meanwhile", field="rev") from exc


def get_message(message_id: str) -> Message | None:
    bind()
    try:
        item = RecordItem.get(f"msg#{message_id}", consistent_read=True)
    except DoesNotExist:
        return None
    return Message(**{**item.doc, "status": item.status})


def transition(
    message: Message, to: str, *, allowed_from: tuple[str, ...], **fields: Any
) -> Message:
    """Move a message to status ``to`` iff its stored status is in ``allowed_from``."""
    bind()
    now = iso(utcnow())
    updated = Message(**{**asdict(message), **fields, "status": to, "updated_at": now})
    condition = RecordItem.status.is_in(*allowed_from)
    try:
        RecordItem(f"msg#{message.message_id}").update(
            actions=[
                RecordItem.status.set(to),
                RecordItem.doc.set(asdict(updated)),
                RecordItem.updated_at.set(now),
            ],
            condition=condition,
        )
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise Conflict(
                f"message {message.message_id} is no longer in {'/'.join(allowed_from)}",
                field="status",
            ) from exc
        raise
    return updated


def get_trace(event_id: str) -> dict | None:
    bind()
    try:
        return RecordItem.get(f"trace#{event_id}").doc
    except DoesNotExist:
        return None


def timeline(customer_id: str, limit: int = 50) -> list[dict]:
    """The customer's most recent traces and messages, newest first."""
    bind()
    items = RecordItem.by_customer.query(customer_id, scan_index_forward=False, limit=limit)
    out = []
    for item in items:
        doc = dict(item.doc)
        if item.kind == "message":
            doc["status"] = item.status
        out.append({"kind": item.kind, **doc})
    return out


def put_trace(trace: dict) -> None:
    bind()
    _trace_item(trace).save()
