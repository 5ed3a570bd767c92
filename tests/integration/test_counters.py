"""Sharded counters: many writers ADD to one figure; a read sums the shards in one Query."""

from __future__ import annotations

import pytest


@pytest.fixture
def calls(aws):
    """DynamoDB operations made from here on."""
    from herald.aws.clients import session

    seen: list[str] = []

    def record(model, **_):
        seen.append(model.name)

    session().register("before-call.dynamodb", record)
    yield seen
    session().unregister("before-call.dynamodb", record)


def test_increments_spread_over_shards_and_sum_on_read(aws, calls):
    from herald.dal import counters
    from herald.dal.tables import CounterItem

    # Given 400 increments of one bucket, at random shards, and one of another day
    for _ in range(400):
        counters.add(
            counters.Increment("rule#r", "v1#2026-11-24#arm:a", {"sent": 1, "revenue": 2.5})
        )
    counters.add(counters.Increment("rule#r", "v1#2026-11-25#arm:a", {"sent": 1, "clicked": 1}))
    counters.add(counters.Increment("rule#other", "v1#2026-11-24#arm:a", {"sent": 7}))
    # Then the writes landed on several items, none of them carrying them all
    items = list(CounterItem.query("rule#r"))
    day_one = [i for i in items if i.sk.startswith("v1#2026-11-24")]
    assert 2 <= len(day_one) <= counters.SHARDS
    # When the two days are read
    calls.clear()
    totals = counters.read("rule#r", "v1#2026-11-24", "v1#2026-11-25")
    # Then the shards are summed per bucket, other scopes untouched, in one call
    assert totals == {
        "v1#2026-11-24#arm:a": {"sent": 400, "revenue": 1000.0},
        "v1#2026-11-25#arm:a": {"sent": 1, "clicked": 1},
    }
    assert calls == ["Query"]
    # And a range that ends at the first day leaves the second out
    assert set(counters.read("rule#r", "v1#2026-11-24", "v1#2026-11-24")) == {"v1#2026-11-24#arm:a"}


def test_a_shard_key_always_lands_on_the_same_shard(aws):
    from herald.dal import counters
    from herald.dal.tables import CounterItem

    # Given increments that all carry the same shard key
    for _ in range(20):
        counters.add(counters.Increment("offer#o", "d1", {"impressions": 1}, shard_key="c-42"))
    # Then one item holds them all
    items = list(CounterItem.query("offer#o"))
    assert len(items) == 1
    assert counters.read("offer#o", "d1", "d1") == {"d1": {"impressions": 20}}


def test_increments_inside_a_transaction(aws):
    from pynamodb.transactions import TransactWrite

    from herald.dal import counters
    from herald.dal.tables import connection

    # Given increments of one bucket written in one transaction (on random shards: two may
    # fall on one item, which a transaction may write only once: items() merges them)
    increments = [
        counters.Increment("rule#t", "b", {figure: 1})
        for figure in ("delivered", "opened", "delivered")
    ]
    with TransactWrite(connection=connection()) as tx:
        for item, actions in counters.items(increments):
            tx.update(item, actions=actions)
    # Then all landed
    assert counters.read("rule#t", "b", "b") == {"b": {"delivered": 2, "opened": 1}}
    # And increments of one shard merge into one update
    same = [counters.Increment("rule#t", "c", {"sent": 1}, shard_key="k")] * 2
    assert len(counters.items(same)) == 1


def test_a_figure_must_be_a_plain_name(aws):
    from herald.dal import counters

    with pytest.raises(ValueError, match="plain attribute name"):
        counters.Increment("rule#r", "b", {"sk": 1}).item()
    with pytest.raises(ValueError, match="plain attribute name"):
        counters.Increment("rule#r", "b", {"a.b": 1}).item()
