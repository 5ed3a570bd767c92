"""Counting a batch of stream records: chunks of one transaction each, every record once, also
when a delivery dies midway and the batch comes again."""

from __future__ import annotations

import pytest


def _batch(n: int) -> list:
    """``n`` records, each adding 1 to a bucket of its own (more than one transaction holds)."""
    from herald.dal.counters import Increment
    from herald.dal.counting import Counted

    return [
        Counted(
            f"ev-{i}",
            1000 + i,
            (Increment("rule#many", f"v1#2026-11-24#arm-{i:03d}", {"sent": 1}),),
        )
        for i in range(n)
    ]


def _total(scope: str = "rule#many") -> dict:
    from herald.dal import counters

    totals = counters.read(scope, "v1#", "v1#~")
    return {"buckets": len(totals), "sent": sum(f.get("sent", 0) for f in totals.values())}


def test_a_batch_over_one_transaction_counts_each_record_once_even_after_a_failure_midway(
    aws, monkeypatch
):
    from herald.aws.clients import client
    from herald.dal import counting

    ddb = client("dynamodb")
    real = ddb.transact_write_items
    calls = []

    def dies_on_the_second(**kwargs):
        calls.append(len(kwargs["TransactItems"]))
        if len(calls) == 2:
            raise ConnectionError("injected: the function died writing its second chunk")
        return real(**kwargs)

    # Given a batch of 250 records, each to its own counter item (99 fit one transaction)
    batch = _batch(250)
    monkeypatch.setattr(ddb, "transact_write_items", dies_on_the_second)
    # When the first delivery dies on its second transaction
    with pytest.raises(ConnectionError):
        counting.apply(batch)
    assert _total() == {"buckets": 99, "sent": 99}
    # And the batch is delivered again
    applied = counting.apply(batch)
    # Then the first chunk is skipped, the rest counted: every record exactly once
    assert (applied.skipped, applied.records, applied.transactions) == (99, 151, 2)
    assert _total() == {"buckets": 250, "sent": 250}
    # 99 ADDs + the marker each; the retry's first chunk refused by its marker; 52 + marker
    assert calls == [100, 100, 100, 100, 53]
    # And a third delivery counts nothing
    assert counting.apply(batch).records == 0 and _total()["sent"] == 250


def test_records_of_one_bucket_are_one_write_per_chunk(aws, monkeypatch):
    from herald.aws.clients import client
    from herald.dal import counters, counting
    from herald.dal.counters import Increment
    from herald.dal.counting import Counted

    sizes = []
    ddb = client("dynamodb")
    real = ddb.transact_write_items
    monkeypatch.setattr(
        ddb,
        "transact_write_items",
        lambda **k: (sizes.append(len(k["TransactItems"])), real(**k))[1],
    )
    # Given 500 deliveries of one rule's arm, each a record of its own (16 shards per bucket)
    batch = [
        Counted(
            f"ev-{i}", i, (Increment("rule#hot", "v1#2026-11-24#a", {"delivered": 1}, f"m{i}", 16),)
        )
        for i in range(500)
    ]
    # When the batch is counted
    counting.apply(batch)
    # Then it was one transaction of one ADD (and the marker), and the figure is whole
    assert sizes == [2]
    assert counters.read("rule#hot", "v1#", "v1#~") == {"v1#2026-11-24#a": {"delivered": 500}}
