"""moto's TransactWriteItems, snapshotting items instead of tables.

For its rollback, moto deep-copies every table a transaction touches, before each transaction:
a local broadcast over 20,000 customers (400 transactions against two tables that grow to
20,000 items) spends minutes copying tables and measures moto, not Herald. Inside
:func:`item_snapshots` a transaction copies only the items it names and, when it is cancelled,
puts them back and takes the stream records its applied writes made off the tables' streams:
the same all-or-nothing outcome, at a cost that doesn't grow with the table.
Used by ``make bench`` for its 20,000-customer local run; the tests keep moto as it is.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def item_snapshots() -> Iterator[None]:
    import moto.dynamodb.models as models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    class _TablesNotCopied:
        """Stands in for the ``copy`` module inside moto's backend: a table is its own
        "backup" (the items are saved below), everything else is copied as before."""

        @staticmethod
        def deepcopy(obj: Any, memo: Any = None) -> Any:
            return obj if isinstance(obj, Table) else copy.deepcopy(obj, memo)

        copy = staticmethod(copy.copy)

    original = DynamoDBBackend.transact_write_items

    def _keys(table: Table, key: dict) -> tuple[Any, Any]:
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        return hash_key, range_key

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict]) -> None:
        saved = []
        streams = {}  # table -> its stream's length before the transaction
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            try:
                key = op.get("Key") or {
                    name: op["Item"][name]
                    for name in (table.hash_key_attr, table.range_key_attr)
                    if name
                }
                hash_key, range_key = _keys(table, key)
            except (KeyError, TypeError):
                continue  # an invalid request: moto refuses it before writing anything
            item = table.get_item(hash_key, range_key)
            saved.append((table, hash_key, range_key, copy.deepcopy(item)))
            if table.stream_shard is not None:
                streams.setdefault(table, len(table.stream_shard.items))
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(saved):
                if item is None:
                    if range_key is None:
                        table.items.pop(hash_key, None)
                    else:
                        table.items.get(hash_key, {}).pop(range_key, None)
                elif range_key is None:
                    table.items[hash_key] = item
                else:
                    table.items[hash_key][range_key] = item
            for table, length in streams.items():  # moto records each write as it applies it
                del table.stream_shard.items[length:]
            raise

    real_copy = models.copy
    models.copy = _TablesNotCopied
    DynamoDBBackend.transact_write_items = transact_write_items
    try:
        yield
    finally:
        DynamoDBBackend.transact_write_items = original
        models.copy = real_copy
