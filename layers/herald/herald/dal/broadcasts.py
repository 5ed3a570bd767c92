"""Broadcasts: their definitions and status (settings items ``broadcast#<id>``, under an
optimistic lock), their progress counts (sharded counters, scope ``broadcast#<id>``, one bucket
per run) and the batched writes of a worker's page of customers.

A page's writes, exactly once per (run, scan segment, page) even when a worker is retried:
1. transactions of up to 50 customers: each message (put if it doesn't exist yet, the id is
   derived from broadcast and customer) and, for a marketing message that goes out, the
   customer's contact log (under the revision the scan read), so caps count broadcasts too;
2. one transaction with the page's counts and a marker item for the page (put if absent): a
   page counted once, whatever was retried.
A message that existed already is not written again; its stored status is read back
(BatchGetItem) so a retry can finish what a crash left (a queued message is queued again: the
send function's lock makes a second record harmless).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from herald.dal import counters, records
from herald.dal.counters import Increment
from herald.dal.customers import item_actions
from herald.dal.tables import (
    CounterItem,
    CustomerItem,
    RecordItem,
    SettingItem,
    bind,
    cancellation_codes,
    conditional_failure,
    connection,
)
from herald.domain.broadcast import COUNTS, Broadcast, stored_broadcast
from herald.domain.clock import iso, utcnow
from herald.domain.customer import CustomerUpdate
from herald.domain.message import Message, MessageStatus
from herald.errors import Conflict, NotFound

PREFIX = "broadcast#"
CUSTOMERS_PER_TRANSACTION = 50  # a message put and a customer update each: 100 items at most
MAX_TRIES = 5


def _name(broadcast_id: str) -> str:
    return f"{PREFIX}{broadcast_id}"


def scope(broadcast_id: str) -> str:
    return f"broadcast#{broadcast_id}"


def run_bucket(run: int) -> str:
    return f"r{run:05d}"


# --------------------------------------------------------------------------- definitions
def get(broadcast_id: str) -> Broadcast:
    bind()
    try:
        item = SettingItem.get(_name(broadcast_id), consistent_read=True)
    except DoesNotExist as exc:
        raise NotFound(f"broadcast {broadcast_id} does not exist", field="id") from exc
    return stored_broadcast(item.doc)


def status_of(broadcast_id: str) -> str | None:
    """The stored status alone (the send function's check), None for an unknown broadcast."""
    try:
        return str(get(broadcast_id).status)
    except NotFound:
        return None


def create(broadcast: Broadcast) -> Broadcast:
    bind()
    item = SettingItem(_name(broadcast.id), doc=broadcast.to_doc(), updated_at=iso(utcnow()))
    try:
        item.save(condition=SettingItem.name.does_not_exist())
    except PutError as exc:
        if conditional_failure(exc):
            raise Conflict(f"broadcast {broadcast.id} already exists", field="id") from exc
        raise
    return broadcast


def change(broadcast_id: str, change_for: Callable[[Broadcast], Broadcast]) -> Broadcast:
    """Read-modify-write under the item's lock; ``change_for`` may raise to refuse."""
    bind()
    for _ in range(MAX_TRIES):
        try:
            item = SettingItem.get(_name(broadcast_id), consistent_read=True)
        except DoesNotExist as exc:
            raise NotFound(f"broadcast {broadcast_id} does not exist", field="id") from exc
        updated = change_for(stored_broadcast(item.doc))
        item.doc = updated.to_doc()
        item.updated_at = iso(utcnow())
        try:
            item.save()  # the VersionAttribute makes this conditional on the lock read
            return updated
        except PutError as exc:
            if not conditional_failure(exc):
                raise
    raise Conflict(f"broadcast {broadcast_id} is being changed concurrently: retry", field="id")


def every() -> list[Broadcast]:
    bind()
    return [
        stored_broadcast(item.doc)
        for item in SettingItem.scan(SettingItem.name.startswith(PREFIX))
        if item.doc
    ]


# --------------------------------------------------------------------------- progress
def counts(broadcast_id: str, run: int) -> dict[str, int]:
    """The run's counts per state (every state listed, 0 when none)."""
    bucket = run_bucket(run)
    found = counters.read(scope(broadcast_id), bucket, bucket).get(bucket, {})
    return {name: int(found.get(name, 0)) for name in COUNTS if name not in ("sent", "failed")}


@dataclass(frozen=True, slots=True)
class PlannedWrite:
    """One customer's part of a page: the message, and what changes on the customer."""

    message: Message
    revision: int
    update: CustomerUpdate | None = None  # the contact log, for a message that goes out


@dataclass
class PageResult:
    written: list[Message]  # new messages
    existing: list[Message]  # written by an earlier attempt or run (their stored state)
    conflicts: list[str]  # customers that changed since the scan: re-read and plan again
    counted: bool  # False: this page was counted by an earlier attempt


def write_page(
    plans: Sequence[PlannedWrite],
    counts_for: Callable[[list[Message]], list[Increment]],
    marker: tuple[str, str],
    replan: Callable[[str], PlannedWrite | None] | None = None,
) -> PageResult:
    """The page's messages and customer updates, then its counts with its marker (see the
    module docstring); ``counts_for(messages)`` gives the increments of the page's messages.
    A customer that changed since the scan is planned again (``replan``: re-read); what can't
    be written after a few rounds raises, and the caller's retry does the page again."""
    bind()
    written: list[Message] = []
    existing_ids: list[str] = []
    pending = list(plans)
    for _ in range(MAX_TRIES):
        conflicts: list[str] = []
        for start in range(0, len(pending), CUSTOMERS_PER_TRANSACTION):
            chunk = pending[start : start + CUSTOMERS_PER_TRANSACTION]
            while chunk:
                failed = _write_chunk(chunk)
                if failed is None:
                    written += [p.message for p in chunk]
                    break
                for plan in chunk:
                    why = failed.get(plan.message.message_id)
                    if why == "message":
                        existing_ids.append(plan.message.message_id)
                    elif why == "customer":
                        conflicts.append(plan.message.customer_id)
                chunk = [p for p in chunk if p.message.message_id not in failed]
        if not conflicts:
            break
        if replan is None:
            raise Conflict(f"{len(conflicts)} customers changed during the page", field="rev")
        pending = [p for p in (replan(c) for c in conflicts) if p is not None]
    else:
        raise Conflict("customers kept changing during the page: retry it", field="rev")
    existing = _messages(existing_ids)
    counted = _count_page(counts_for(written + existing), marker)
    return PageResult(written, existing, [], counted)


def _write_chunk(chunk: list[PlannedWrite]) -> dict[str, str] | None:
    """None when the chunk was written; else message id → what failed (message | customer)."""
    # pynamodb sends a transaction's puts before its updates: the reasons come in that order.
    slots = [(p.message.message_id, "message") for p in chunk]
    slots += [(p.message.message_id, "customer") for p in chunk if p.update]
    try:
        with TransactWrite(connection=connection()) as tx:
            for plan in chunk:
                tx.save(
                    records._message_item(plan.message),
                    condition=RecordItem.pk.does_not_exist(),
                )
                if plan.update:
                    condition = (
                        CustomerItem.rev == plan.revision
                        if plan.revision
                        else CustomerItem.rev.does_not_exist()
                    )
                    tx.update(
                        CustomerItem(plan.message.customer_id),
                        actions=item_actions(plan.update)
                        + [CustomerItem.rev.set(plan.revision + 1)],
                        condition=condition,
                    )
    except TransactWriteError as exc:
        failed: dict[str, str] = {}
        for (message_id, what), code in zip(slots, cancellation_codes(exc), strict=False):
            if code == "ConditionalCheckFailed" and failed.get(message_id) != "message":
                failed[message_id] = what  # an existing message wins: it is not written again
        if not failed:
            raise
        return failed
    return None


def _messages(message_ids: list[str]) -> list[Message]:
    if not message_ids:
        return []
    found = []
    for item in RecordItem.batch_get([f"msg#{m}" for m in message_ids]):
        found.append(records.message_of(item))
    return found


def _count_page(increments: list[Increment], marker: tuple[str, str]) -> bool:
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(CounterItem(*marker), condition=CounterItem.pk.does_not_exist())
            for item, actions in counters.items(increments):
                tx.update(item, actions=actions, add_version_condition=False)
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in cancellation_codes(exc)[:1]:
            return False  # counted by an earlier attempt
        raise
    return True


def deferred(message: Message) -> bool:
    return message.status == MessageStatus.DEFERRED
