"""Counting the messages table's stream into the counters table, exactly once per record.

The counting function gets the stream in batches, each from one shard, in order. A batch may be
delivered again (the function failed or timed out after writing): what it counted must not be
counted twice. So a batch is applied in *chunks*, each one ``TransactWriteItems`` of

- one ADD per counter item the chunk moves (its records' increments merged: a batch of 500
  sends of one rule is one write to that rule's bucket, not 500), and
- a *marker* keyed by the chunk's first record (``batch#<eventID>``) holding the sequence
  number of its last, put only if absent.

A chunk whose marker exists already is refused whole (the marker's condition), and only then
is the marker read: the records up to its last sequence number were counted by an earlier
delivery and are skipped. A retried batch starts with the same record (Lambda retries a failed
batch whole; the template turns bisecting off), so it meets its markers and counts only what
none covers; a first delivery, the usual case, reads nothing. Markers expire after
:data:`MARKER_DAYS` (the stream keeps records for one).

All of a chunk's increments to one bucket go to one shard, chosen by the chunk's first record:
a counter item takes one write per chunk, far from DynamoDB's ~1,000 writes/s per item.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from herald.aws.clients import client
from herald.dal import counters
from herald.dal.counters import Increment
from herald.settings import settings

MAX_ITEMS = 100  # DynamoDB's limit of items in one transaction (one is the marker)
MARKER_DAYS = 2


@dataclass(frozen=True, slots=True)
class Counted:
    """One stream record: its id, its sequence number (ordered within the shard) and what it
    adds to the counters (nothing, for most changes of a trace or a message)."""

    event_id: str
    sequence: int
    increments: tuple[Increment, ...]


@dataclass(frozen=True, slots=True)
class Applied:
    records: int  # records that move a counter, counted now
    skipped: int  # records that move a counter, counted by an earlier delivery of the batch
    transactions: int


def _counting(records: Sequence[Counted]) -> int:
    return sum(1 for r in records if r.increments)


def _marker_key(event_id: str) -> dict:
    return {"pk": {"S": f"batch#{event_id}"}, "sk": {"S": "marker"}}


def _marker(event_id: str) -> int | None:
    found = client("dynamodb").get_item(
        TableName=settings().counters_table, Key=_marker_key(event_id), ConsistentRead=True
    )
    item = found.get("Item")
    return int(item["last"]["N"]) if item else None


def _chunk_end(records: Sequence[Counted], start: int) -> int:
    """The end of the chunk from ``start``: as many records as fit one transaction."""
    keys: set[tuple[str, str]] = set()
    shard_key = records[start].event_id
    end = start
    while end < len(records):
        mine = {replace(i, shard_key=shard_key).key() for i in records[end].increments}
        if len(keys | mine) > MAX_ITEMS - 1 and end > start:
            break
        keys |= mine
        end += 1
    return end


def _write(chunk: Sequence[Counted]) -> bool:
    """The chunk's merged ADDs and its marker in one transaction; False when an earlier
    delivery of the batch wrote the marker (nothing written here)."""
    first = chunk[0]
    increments = [replace(i, shard_key=first.event_id) for c in chunk for i in c.increments]
    merged = counters.merged(increments)
    items = [
        u
        for (pk, sk), values in merged.items()
        if (u := counters.transaction_update(pk, sk, values))
    ]
    marker = {
        "Put": {
            "TableName": settings().counters_table,
            "Item": {
                **_marker_key(first.event_id),
                "last": {"N": str(chunk[-1].sequence)},
                "records": {"N": str(len(chunk))},
                "expires_at": {"N": str(int(time.time()) + MARKER_DAYS * 86400)},
            },
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }
    ddb = client("dynamodb")
    try:
        ddb.transact_write_items(TransactItems=[*items, marker])
    except ddb.exceptions.TransactionCanceledException as exc:
        reasons = exc.response.get("CancellationReasons") or []
        if reasons and reasons[-1].get("Code") == "ConditionalCheckFailed":
            return False
        raise  # throttling or a conflict: the batch is retried, and counts once
    return True


def apply(records: Sequence[Counted]) -> Applied:
    """Count one batch of stream records (in stream order), each once across deliveries."""
    counted = skipped = transactions = 0
    i = 0
    while i < len(records):
        if not records[i].increments:
            i += 1  # nothing to count: no marker needed either
            continue
        end = _chunk_end(records, i)
        if _write(records[i:end]):
            counted += _counting(records[i:end])
            transactions += 1
            i = end
            continue
        # Counted by an earlier delivery up to its marker's last record: skip those.
        last = _marker(records[i].event_id)
        start = i
        while i < len(records) and last is not None and records[i].sequence <= last:
            i += 1
        i = max(i, start + 1)
        skipped += _counting(records[start:i])
    return Applied(counted, skipped, transactions)
