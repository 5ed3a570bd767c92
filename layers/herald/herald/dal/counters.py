"""Sharded counters: figures that many writers ADD to at once, read back as sums in one Query.

One DynamoDB item takes about 1,000 writes a second. A popular rule, a broadcast or a home-page
placement can drive more outcomes than that into one figure, so every counter is spread over
``SHARDS`` items: a write ADDs to one shard (chosen at random, or by a key), a read queries the
scope and sums the shards of each bucket. The key shape makes that one Query:

- ``pk`` — the *scope*, what the figures are about: ``rule#cart-abandoned-gold``, ``offer#…``;
- ``sk`` — ``<bucket>#<shard>``: the bucket is the caller's (``v3#2026-11-24#arm:a``: version,
  day, arm), so a range of buckets is a range of sort keys, read with BETWEEN.

Counter values are numbers (counts, revenue); a write ADDs every field given, atomically.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pynamodb.expressions.operand import Path, Value

from herald.aws.clients import client
from herald.dal.tables import CounterItem, bind
from herald.settings import settings

SHARDS = 8  # 8 items x ~1,000 writes/s each: 8,000 writes/s per bucket before throttling
SHARD_DIGITS = 2
KEY_ATTRIBUTES = frozenset({"pk", "sk"})
_LAST = "\U0010ffff"  # sorts after every bucket suffix: the end of a BETWEEN range


MAX_SHARDS = 10**SHARD_DIGITS


def shard_of(key: str | None, shards: int = SHARDS) -> int:
    """The shard a write goes to: by ``key`` (stable) when given, else at random."""
    if key is None:
        return random.randrange(shards)  # spreading load, not security: any shard will do
    return zlib.crc32(key.encode()) % shards


def _sk(bucket: str, shard: int) -> str:
    return f"{bucket}#{shard:0{SHARD_DIGITS}d}"


def _bucket_of(sk: str) -> str:
    return sk[: -(SHARD_DIGITS + 1)]


def _check_figures(values: Mapping[str, int | float]) -> None:
    """Figures are top-level attributes of the shard's item, never its key."""
    for name in values:
        if name in KEY_ATTRIBUTES or not name.isidentifier():
            raise ValueError(f"counter figure {name!r} is not a plain attribute name")


@dataclass(frozen=True, slots=True)
class Increment:
    """What one write adds: ``values`` (figure → number) to ``bucket`` of ``scope``.

    Figures are top-level number attributes of the shard's item (ADD works on top-level
    attributes only), named by the caller: ``sent``, ``revenue``, ``impressions``, …
    """

    scope: str
    bucket: str
    values: Mapping[str, int | float]
    shard_key: str | None = None  # the same key always lands on the same shard
    # Shards of this scope: reads sum whatever shards exist, so a feature may spread a hotter
    # scope wider (at most MAX_SHARDS); every write to one scope should use the same number.
    shards: int = SHARDS

    def key(self) -> tuple[str, str]:
        """(pk, sk) of the shard item this increment goes to."""
        if not 1 <= self.shards <= MAX_SHARDS:
            raise ValueError(f"shards must be 1-{MAX_SHARDS}")
        return self.scope, _sk(self.bucket, shard_of(self.shard_key, self.shards))

    def item(self) -> tuple[CounterItem, list[Any]]:
        """The item and its ADD actions, for :func:`add` or a transaction's ``tx.update``."""
        _check_figures(self.values)
        item = CounterItem(*self.key())
        actions = [
            Path(name).add(Value({"N": str(value)})) for name, value in self.values.items() if value
        ]
        return item, actions


def merged(increments: list[Increment]) -> dict[tuple[str, str], dict[str, float]]:
    """``increments`` summed per shard item: (pk, sk) → figure → total. DynamoDB refuses two
    operations on one item in a transaction, and two increments of one bucket may land on the
    same shard."""
    found: dict[tuple[str, str], dict[str, float]] = {}
    for increment in increments:
        into = found.setdefault(increment.key(), {})
        for name, value in increment.values.items():
            into[name] = into.get(name, 0) + value
    return found


def items(increments: list[Increment]) -> list[tuple[CounterItem, list[Any]]]:
    """The items and ADD actions of ``increments`` for one transaction, merged per item."""
    found = []
    for (pk, sk), values in merged(increments).items():
        item, actions = Increment(pk, "", values).item()
        found.append((CounterItem(pk, sk), actions))
    return [(item, actions) for item, actions in found if actions]


def add(increment: Increment) -> None:
    """Apply one increment (one UpdateItem). Nothing happens for an increment of zeros."""
    bind()
    item, actions = increment.item()
    if actions:
        item.update(actions=actions)


def transaction_add(increment: Increment) -> dict | None:
    """``increment`` as one TransactWriteItems entry (an ADD of its non-zero figures, in the
    low-level shape) for a transaction that counts exactly once; None when nothing moves."""
    return transaction_update(*increment.key(), increment.values)


def transaction_update(pk: str, sk: str, values: dict[str, float]) -> dict | None:
    """An ADD of ``values`` to the shard item (pk, sk), as one TransactWriteItems entry."""
    _check_figures(values)
    values = {name: v for name, v in values.items() if v}
    if not values:
        return None
    return {
        "Update": {
            "TableName": settings().counters_table,
            "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
            "UpdateExpression": "ADD " + ", ".join(f"#f{i} :v{i}" for i in range(len(values))),
            "ExpressionAttributeNames": {f"#f{i}": name for i, name in enumerate(values)},
            "ExpressionAttributeValues": {
                f":v{i}": {"N": str(v)} for i, v in enumerate(values.values())
            },
        }
    }


def _number(value: dict) -> int | float:
    number = Decimal(value["N"])
    return int(number) if number == number.to_integral_value() else float(number)


def read(scope: str, first_bucket: str, last_bucket: str) -> dict[str, dict[str, int | float]]:
    """Every bucket of ``scope`` from ``first_bucket`` to ``last_bucket`` (inclusive, as
    prefixes: ``v3#2026-11-01`` .. ``v3#2026-11-30`` takes every arm of those days), shards
    summed: bucket → figure → total. One Query (another page only past 1 MB of counters).

    Read with the low-level client: the figures are attributes the model doesn't declare
    (each feature names its own), which pynamodb would drop on reading."""
    paginator = client("dynamodb").get_paginator("query")
    pages = paginator.paginate(
        TableName=settings().counters_table,
        KeyConditionExpression="pk = :scope AND sk BETWEEN :first AND :last",
        ExpressionAttributeValues={
            ":scope": {"S": scope},
            ":first": {"S": first_bucket},
            ":last": {"S": last_bucket + _LAST},
        },
    )
    totals: dict[str, dict[str, int | float]] = {}
    for page in pages:
        for raw in page.get("Items", ()):
            into = totals.setdefault(_bucket_of(raw["sk"]["S"]), {})
            for name, value in raw.items():
                if name not in KEY_ATTRIBUTES and "N" in value:
                    into[name] = into.get(name, 0) + _number(value)
    return totals
