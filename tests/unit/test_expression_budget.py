"""The engine evaluates every condition within the budget: an expensive rule is skipped for the
event that makes it expensive, and the other rules still run."""

from __future__ import annotations

from datetime import UTC, datetime

from herald import engine
from herald.domain.event import Event
from herald.domain.rule import parse_rule
from tests.builders import customer_state

NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
QUADRATIC = "count(map(event.items, count(map(event.items, # > 0), true) > 0), true) > 0"


def ruleset() -> engine.Ruleset:
    rules = [
        {"id": "heavy", "when": QUADRATIC, "priority": 20},
        {"id": "plain", "when": "event.cart_total >= 100", "priority": 10},
    ]
    return engine.Ruleset(
        [
            parse_rule(
                {
                    "name": r["id"],
                    "on": "cart.abandoned",
                    "then": [{"send": {"channel": "email", "content": f"c-{r['id']}"}}],
                    **r,
                }
            )
            for r in rules
        ],
        {"c-heavy": 1, "c-plain": 1},
        "1",
    )


def decide(items: list) -> engine.Decision:
    event = Event(
        "cart.abandoned",
        "c-1",
        "evt-1",
        "2026-11-24T14:00:00Z",
        {"customer_id": "c-1", "cart_total": 150, "items": items},
    )
    customer = customer_state(
        {"customer_id": "c-1", "email": "a@example.com", "consent": {"email": True}}
    )
    return engine.decide(ruleset(), event, customer, NOW)


def test_a_rule_over_budget_is_skipped_for_this_event_and_the_others_run():
    # Given an event whose items make the heavy rule cost ~1e10 steps
    # When the engine decides
    decision = decide(list(range(100_000)))
    # Then the heavy rule is skipped with the reason (zen never ran it: tests/unit/
    # test_expressions.py watches that), and the plain rule still matches
    heavy, plain = decision.trace.to_doc()["rules"]
    assert heavy["rule_id"] == "heavy" and heavy["matched"] is None
    assert heavy["code"] == "over_budget"
    assert heavy["error"].endswith("steps on this event (budget 1,000,000): skipped")
    assert plain == {
        "rule_id": "plain",
        "version": 1,
        "priority": 10,
        "matched": True,
        "branch": "then",
    }
    assert [m.rule_id for m in decision.messages] == ["plain"]


def test_the_same_rule_runs_on_a_small_event():
    # Given an event with a few items
    # When the engine decides
    decision = decide([1, 2, 3])
    # Then both rules match
    assert [r["matched"] for r in decision.trace.to_doc()["rules"]] == [True, True]
