"""The decide path reads the rules table only when something was published."""

from __future__ import annotations

import botocore.handlers
import pytest

from herald.domain.version import State
from tests.builders import decide_envelope
from tests.conftest import eventbridge


@pytest.fixture
def aws_calls(aws):
    """Every AWS API call made from here on: (operation, tables touched)."""
    calls: list[tuple[str, str]] = []

    def record(model, params, **kwargs):
        tables = {params.get("TableName", "")}
        for item in params.get("TransactItems", []):
            tables |= {v.get("TableName", "") for v in item.values()}
        calls.append((model.name, ",".join(sorted(t for t in tables if t))))

    hook = ("before-call.*.*", record)
    botocore.handlers.BUILTIN_HANDLERS.append(hook)
    from herald import runtime

    runtime.reset()  # new clients pick up the hook
    yield calls
    botocore.handlers.BUILTIN_HANDLERS.remove(hook)


def test_steady_state_decisions_make_at_most_three_calls_and_no_rules_reads(
    demo_data, aws_calls, clock
):

    decide_envelope(eventbridge("cart.abandoned", "c-ann", "warm", cart_total=150, item_count=1))
    aws_calls.clear()
    for i in range(20):
        decide_envelope(
            eventbridge("cart.abandoned", "c-ann", f"e-{i}", cart_total=150, item_count=1)
        )
    assert not [c for c in aws_calls if "RulesTable" in c[1] or "ContentsTable" in c[1]]
    assert len(aws_calls) / 20 <= 3
    assert {op for op, _ in aws_calls} == {"GetItem", "TransactWriteItems", "SendMessage"}


def test_a_publish_reloads_the_ruleset_after_the_refresh_interval(demo_data, aws_calls, clock):
    from herald.dal import versions
    from herald.service import ruleset

    t = [1000.0]
    ruleset.cache.clear()
    first, _ = ruleset.cache.get(clock=lambda: t[0])
    doc = versions.rules.version("order-shipped-sms", 1).doc
    versions.rules.save("order-shipped-sms", {**doc, "priority": 7}, 1, "ann")
    versions.rules.set_live("order-shipped-sms", 2, State.LIVE, "approver")
    t[0] += 1.0  # within the refresh interval (2 s): the cached snapshot is used, no reads at all
    aws_calls.clear()
    assert ruleset.cache.get(clock=lambda: t[0])[0] is first
    assert aws_calls == []
    t[0] += 1.5  # past it: one GetItem on the revision, then the reload
    live, _ = ruleset.cache.get(clock=lambda: t[0])
    assert (
        live.rules["order-shipped-sms"].version == 2
        and live.rules["order-shipped-sms"].priority == 7
    )
    t[0] += 2.5  # nothing published since: only the revision check
    aws_calls.clear()
    assert ruleset.cache.get(clock=lambda: t[0])[0] is live
    assert [op for op, _ in aws_calls] == ["GetItem"]
