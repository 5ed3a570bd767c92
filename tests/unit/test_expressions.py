"""ZEN conditions: validation with positions, the paths a condition reads, context projection."""

from __future__ import annotations

import pytest
import zen
from hypothesis import given, settings
from hypothesis import strategies as st

from herald import expressions


def test_a_syntax_error_names_the_field_and_column():
    with pytest.raises(expressions.ExpressionError) as err:
        expressions.validate('customer.attributes.tier == "gold" and', "when")
    assert err.value.field == "when"
    assert "column" in err.value.message


def test_a_valid_expression_passes():
    expressions.validate(
        'event.sku in customer.attributes.wishlist and customer.attributes.tier != "bronze"'
    )


def test_read_paths_finds_every_root_path_but_not_strings():
    paths = expressions.read_paths(
        'customer.attributes.tier == "event.fake" and event.cart_total >= 100 and now > "x"'
    )
    assert paths == frozenset(
        {("customer", "attributes", "tier"), ("event", "cart_total"), ("now",)}
    )


def test_dynamic_access_needs_the_whole_root():
    assert ("event",) in expressions.read_paths('event["cart_total"] > 3')


def test_projection_keeps_exactly_the_planned_paths():
    context = {
        "customer": {"attributes": {"tier": "gold", "other": 1}, "email": "x"},
        "event": {"a": 1, "b": 2},
    }
    plan = expressions.plan(
        frozenset({("customer", "attributes", "tier"), ("event", "a"), ("event", "missing")})
    )
    assert expressions.project(context, plan) == {
        "customer": {"attributes": {"tier": "gold"}},
        "event": {"a": 1},
    }


def test_a_whole_ancestor_path_wins_over_its_children():
    plan = expressions.plan(frozenset({("event",), ("event", "a")}))
    assert expressions.project({"event": {"a": 1, "b": 2}}, plan) == {"event": {"a": 1, "b": 2}}


values = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(["gold", "silver", ""])
)
EXPRESSIONS = [
    'customer.attributes.tier == "gold" and event.amount >= 2',
    "event.amount > 1 or customer.attributes.orders > 3",
    'customer.attributes.tier in ["gold", "silver"]',
    "customer.attributes.orders == event.amount",
    'event.kind != "x" and customer.email != null',
]


@settings(max_examples=150, deadline=None)
@given(
    tier=values,
    orders=values,
    amount=values,
    kind=values,
    expression=st.sampled_from(EXPRESSIONS),
)
def test_a_projected_context_evaluates_exactly_like_the_full_one(
    tier, orders, amount, kind, expression
):
    # Given a context with more than the expression reads
    context = {
        "customer": {
            "email": "a@b.c",
            "attributes": {"tier": tier, "orders": orders, "noise": list(range(5))},
        },
        "event": {"amount": amount, "kind": kind, "noise": {"deep": True}},
        "now": "2026-11-24T12:00:00.000Z",
    }
    compiled = zen.compile_expression(expression)
    plan = expressions.plan(expressions.read_paths(expression))

    def outcome(ctx):
        try:
            return ("ok", compiled.evaluate(ctx))
        except RuntimeError:
            return ("error", None)

    # Then the engine's projection never changes the result
    assert outcome(expressions.project(context, plan)) == outcome(context)
