"""ZEN conditions: refused at save with plain words and positions, bounded at run time, the
paths a condition reads and the context projection."""

from __future__ import annotations

import dataclasses

import pytest
import zen
from hypothesis import given, settings
from hypothesis import strategies as st

from herald import expressions
from herald.errors import HeraldError
from herald.expressions import condition as condition_module


def _zen_must_not_run(*_args, **_kwargs):
    raise AssertionError("zen was handed a text the checks should have refused first")


def refusal(source: str, field: str = "when") -> expressions.ExpressionError:
    with pytest.raises(expressions.ExpressionError) as err:
        expressions.validate(source, field)
    assert err.value.code == "invalid_expression"
    assert err.value.field == field
    return err.value


# -- syntax errors, in plain words with line and column --------------------------------------


def test_a_syntax_error_names_the_field_line_and_column():
    # Given a condition that stops after `and` (zen: "Unexpected end of unary expression at (38, 38)")
    # When it is validated
    err = refusal('customer.attributes.tier == "gold" and', "when")
    # Then the marketer reads where and what, in words
    assert err.message == (
        "the expression ends too early at line 1, column 39: something is missing after `and`"
    )
    assert (err.line, err.column) == (1, 39)
    assert err.to_dict() == {
        "code": "invalid_expression",
        "message": err.message,
        "field": "when",
        "line": 1,
        "column": 39,
    }


def test_positions_count_lines_and_characters_not_bytes():
    # Given a condition over two lines, with an accented letter before the error
    source = 'customer.attributes.city == "Zürich" and\n  event.total >= 10 )'
    # When it is validated
    err = refusal(source)
    # Then the position is the stray `)` on line 2, counted in characters
    assert err.message == "unexpected `)` at line 2, column 21: it has no matching opening bracket"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            'event.plan == "pro',
            'this text is never closed at line 1, column 15: add the closing " (there are no escapes)',
        ),
        (
            "event.total > 3 && event.x",
            "`&` is not allowed in a condition at line 1, column 17: write `and`",
        ),
        ("lenght(event.items) > 2", "`lenght` is not a function ZEN knows at line 1, column 1"),
        ("len(event.items, 2) > 2", "`len` takes 1 argument, got 2 at line 1, column 1"),
        ("d(now).isBefore()", "`isBefore` takes 1 to 2 arguments, got 0 at line 1, column 1"),
        (
            "event.total == 1; true",
            "unexpected `;` at line 1, column 17: a condition is a single expression, `;` is not allowed",
        ),
        (
            "event.total + 1 = 2",
            "unexpected `=` at line 1, column 17: `=` assigns; use `==` to compare",
        ),
        (
            'event.plan == "pro" "team"',
            'unexpected `"` at line 1, column 21: join conditions with `and` or `or`',
        ),
    ],
)
def test_syntax_errors_say_what_to_fix(source, message):
    # Given a condition zen refuses
    assert zen.validate_expression(source) is not None
    # When it is validated
    # Then the message is plain words at the right place
    assert refusal(source).message == message


# -- what zen accepts but a condition must not do --------------------------------------------


def test_an_assignment_is_refused():
    # Given an assignment, which zen 2.x accepts and evaluates to the context it rewrote
    source = 'customer.tier = "gold"'
    assert zen.evaluate_expression(source, {"customer": {"tier": "x"}}) == {
        "customer": {"tier": "gold"}
    }
    # When it is validated
    err = refusal(source)
    # Then the marketer is told to compare
    assert err.message == "`=` assigns a value at line 1, column 15: use `==` to compare"


@pytest.mark.parametrize("source", ['customer.tier = "gold"; true', "a = 1;", "a.b = 1; c = 2; a"])
def test_a_sequence_of_assignments_is_refused(source):
    # Given `;` sequences zen accepts
    assert zen.validate_expression(source) is None
    # When validated
    # Then refused as an assignment
    assert "`=` assigns a value" in refusal(source).message


def test_an_unquoted_word_is_not_a_known_name():
    # Given `tier == gold`: zen reads two unknown names, both null, so it is true for everyone
    assert zen.evaluate_expression("tier == gold", {"customer": {"tier": "silver"}}) is True
    # When conditions with unknown names are validated
    # Then they are refused, the unknown name marked and the fix suggested
    assert refusal("customer.attributes.tier == gold").message == (
        "`gold` is not a known name at line 1, column 29: names start from event, customer or "
        'now; for text, quote it: "gold"'
    )
    assert refusal("tier == gold").message.startswith("`tier` is not a known name at line 1")


@pytest.mark.parametrize(
    ("source", "start"),
    [
        ("$root.customer.tier == 1", "`$root` is not allowed at line 1, column 1"),
        ("$.tier == 1", "`$` is not allowed at line 1, column 1"),
        (
            "# > 1",
            "`#` is only the current item inside map, filter, some, all, … at line 1, column 1",
        ),
        ("event.flag == True", "`True` is not a known name at line 1, column 15: write `true`"),
    ],
)
def test_names_that_reach_the_context_another_way_are_refused(source, start):
    # Given names zen accepts but that bypass event/customer/now (or are a typo of a literal)
    # When validated
    # Then refused
    assert refusal(source).message.startswith(start)


@pytest.mark.parametrize(
    ("source", "gives"),
    [
        ("event.cart_total + 1", "a number"),
        ('"gold"', "text"),
        ("map(event.items, #.sku)", "a list"),
        ("event.total > 1 and event.total * 2", "a number"),
        ("now", "text"),
        ("[1..5]", "a range"),
    ],
)
def test_a_condition_that_is_not_true_or_false_is_refused(source, gives):
    # Given an expression whose result is statically not true/false (the engine would never match)
    # When validated
    err = refusal(source)
    # Then the marketer learns what it gives instead
    assert f"a condition must be true or false, but this expression gives {gives}" in err.message


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("len(5) > 1", "`len` expects text or a list, got a number at line 1, column 5"),
        ("upper(null) == 'A'", "`upper` expects text, got null at line 1, column 7"),
        ("not 5", "`not` expects true or false, got a number at line 1, column 5"),
        (
            '1 + "a" == 2',
            "`+` cannot add text to a number at line 1, column 5: convert one side with string(…) "
            "or number(…)",
        ),
        (
            "some(\"abc\", # == 'a')",
            "`some` expects a list or a range, got text at line 1, column 6",
        ),
        (
            'now > "2026-01-01"',
            "`>` compares numbers or dates, got text at line 1, column 1: for dates, compare "
            'd(…): d(now) > d("2026-01-01")',
        ),
        (
            "now.isToday()",
            "`.isToday()` works on a date, got text at line 1, column 1: wrap it in d(…), e.g. "
            "d(now).isToday(…)",
        ),
        (
            "event.sku in 'abc'",
            "`in` looks into a list, an object or a range, got text at line 1, column 14",
        ),
    ],
)
def test_an_operand_of_the_wrong_type_names_the_expected_type(source, message):
    # Given an operand whose type is statically wrong (zen would fail on every event)
    # When validated
    # Then the message says what was expected and what was found, and where
    assert refusal(source).message == message


@pytest.mark.parametrize(
    "source",
    [
        'customer.attributes.tier in ["gold", "platinum"]',
        "event.cart_total > 100 and not customer.consent.email",
        "some(event.items, #.price > 50)",
        "date(event.occurred_at) > date(now)",
        "event.amount in [100..100000]",
        "event.cart_total in [1..100000000]",
        'startsWith(customer.email, "a")',
        '`${customer.attributes.tier}-${event.plan}` == "gold-pro"',
        "event.sku in customer.attributes.wishlist and customer.attributes.tier != 'bronze'",
        "d(event.occurred_at).isAfter(d(now).sub(7, 'd'))",
        "len(filter(event.items, #.qty > 1)) >= 2",
        "all(event.items as item, item.price > 0 and some(item.tags, # == 'sale'))",
        "count(map([1..1000], count(map([1..10], # > 0), true) > 0), true) > 0",
        "customer.attributes.score ?? 0 > 10",
        "event.total > 100 ? customer.attributes.vip : false",
        "contains(lower(event.title), 'sale')",
        "customer.attributes.tier",
        "event.items[0].sku == 'a' and event['plan'] == 'pro'",
    ],
)
def test_real_world_conditions_are_accepted(source):
    # Given a condition a marketer would write
    # When it is validated
    # Then it passes
    expressions.validate(source)


# -- limits: what would hurt production at save ----------------------------------------------


def test_a_huge_range_used_as_a_list_is_refused():
    # Given `len(map([1..100000000], #)) > 0`: today zen aborts the process trying to allocate
    # ~3 GB (measured in a subprocess under ulimit -v: "memory allocation of 1073741824 bytes failed")
    # When validated
    err = refusal("len(map([1..100000000], #)) > 0")
    # Then the range is refused where it starts, with the limit and the cheap alternative
    assert err.message == (
        "this range holds 100,000,000 numbers at line 1, column 9: a range used as a list may "
        "hold at most 10,000 (`x in [a..b]` has no limit)"
    )


def test_a_range_used_as_a_list_needs_literal_bounds():
    # Given a range whose size depends on the event
    # When validated
    err = refusal("count([1..event.n], # > 2) > 0")
    # Then it is refused (`x in [a..b]` would be fine)
    assert err.message.startswith(
        "a range used as a list needs numbers written out as its bounds at line 1, column 7"
    )
    expressions.validate("event.x in [1..event.n]")


def test_closure_functions_nested_three_deep_are_refused():
    # Given the triple nesting that runs ~1e9 steps (over 60 s in a subprocess today)
    source = (
        "count(map([1..1000], count(map([1..1000], count(map([1..1000], # > 0), true) > 0), "
        "true) > 0), true) > 0"
    )
    # When validated
    err = refusal(source)
    # Then the innermost `map` is refused, naming the chain and the limit
    assert err.message == (
        "`map` inside `map` inside `map` nests too deeply at line 1, column 49: functions that "
        "go over a list (map, filter, count, …) may nest 2 deep"
    )


def test_a_static_cost_over_budget_is_refused_at_save():
    # Given two nested closures over literal ranges: 10,000 × 10,000 steps whatever the event
    # When validated
    err = refusal("count([1..10000], count([1..10000], true) > 0) > 0")
    # Then it is refused with the estimate and the budget
    assert err.message == (
        "this condition would take ~300,080,006 steps on any event (budget 1,000,000) "
        "at line 1, column 1: go over fewer or shorter lists"
    )


@pytest.mark.parametrize(
    ("source", "start"),
    [
        ("event.x == 1 and " * 300 + "true", "the expression is longer than 4096 characters"),
        (
            "(" * 9 + "event.x" + ")" * 9 + " == 1",
            "brackets nest more than 8 deep at line 1, column 9",
        ),
        ("event.x in [" + ", ".join(["1"] * 1100) + "]", "the expression has more than 1000 parts"),
        (" or ".join(["event.x == 1"] * 70), "the expression nests more than 64 levels deep"),
        ("!" * 300 + "event.x", "the expression nests too deeply"),
        (
            " and ".join(["[[[[[[[[1]]]]]]]] in [1..2]"] * 30),
            "this expression nests too many brackets around its ranges to be parsed quickly",
        ),
    ],
)
def test_size_limits_bound_the_parsing_itself(source, start, monkeypatch):
    # Given a text past one of the size limits; those zen's own parser would choke on (length,
    # bracket nesting, parse work) must be refused before zen sees the text
    if not start.startswith(("the expression has", "the expression nests")):
        monkeypatch.setattr(condition_module.zen, "validate_expression", _zen_must_not_run)
        monkeypatch.setattr(condition_module.zen, "compile_expression", _zen_must_not_run)
    # When validated
    err = refusal(source)
    # Then it is refused, naming the limit
    assert err.message.startswith(start)


# -- bounded evaluation at run time ----------------------------------------------------------

NESTED = "count(map(event.items, count(map(event.items, # > 0), true) > 0), true) > 0"


def test_the_same_condition_runs_on_a_small_event_and_is_skipped_on_a_large_one():
    # Given a condition quadratic in the size of event.items
    condition = expressions.compile_condition(NESTED)
    assert condition.bounded is False
    # When it is evaluated on 10 items
    # Then zen runs it
    assert condition.evaluate({"event": {"items": list(range(10))}}) is True
    # When it is evaluated on 100,000 items (~1e10 steps: hours of zen)
    with pytest.raises(expressions.BudgetExceeded) as err:
        condition.evaluate({"event": {"items": list(range(100_000))}})
    # Then it is refused (before zen runs: see the test with a watched expression below),
    # with the estimate and the budget
    assert err.value.code == "over_budget"
    assert err.value.message == (
        "this condition would take ~70,001,100,007 steps on this event (budget 1,000,000): skipped"
    )
    assert isinstance(err.value, HeraldError)


def test_the_budget_is_checked_before_zen_is_called():
    # Given an unbounded condition whose zen evaluation is watched
    calls = []

    class Watched:
        def evaluate(self, context):
            calls.append(context)
            return True

    condition = dataclasses.replace(expressions.compile_condition(NESTED), compiled=Watched())
    # When it is evaluated on a context over budget
    with pytest.raises(expressions.BudgetExceeded):
        condition.evaluate({"event": {"items": list(range(5000))}})
    # Then zen was never called
    assert calls == []


def test_the_estimate_follows_the_items_a_closure_goes_over():
    # Given nested closures over each item's own tags (1,000 items, 5 tags each)
    condition = expressions.compile_condition("some(event.items, some(#.tags, # == 'sale'))")
    items = [{"tags": ["a", "b", "c", "d", "e"]} for _ in range(1000)]
    # When its cost is estimated
    steps = condition.cost({"event": {"items": items}})
    # Then it counts 1,000 × 5 inner steps, not 1,000 × (all tags of all items)
    assert 20_000 < steps < 40_000
    assert condition.evaluate({"event": {"items": items}}) is False


UNBOUNDED = [
    "some(event.items, #.price > 50) and event.amount >= 100",
    "event.sku in customer.attributes.wishlist and all(event.items, #.qty > 0)",
    "len(filter(event.items, #.qty > 1)) >= 2",
    "count([1..100], # > event.n) > 2",
    "some(event.items as it, it.price > 5 ? true : false)",
    "`${event.sku}-${len(map(event.items, #.qty))}` == 'a-1'",
    "some(event.items, #.sku in customer.attributes.wishlist)",
    NESTED,
    "count(map(event.items, #.qty), # > 1) > 0",
    "some(flatMap(event.items, #.tags), # == 'x')",
    "some(event.items, some(#.tags, # == 'x'))",
]


@settings(max_examples=100, deadline=None)
@given(
    source=st.sampled_from(UNBOUNDED),
    items=st.lists(
        st.fixed_dictionaries(
            {"qty": st.integers(0, 3), "tags": st.lists(st.just("x"), max_size=4)}
        ),
        max_size=12,
    ),
    wishlist=st.lists(st.just("a"), max_size=6),
)
def test_the_prepared_estimate_equals_the_full_walk(source, items, wishlist):
    # Given an unbounded condition (most get a formula prepared at compile time)
    from herald.expressions import budget

    condition = expressions.compile_condition(source)
    context = {
        "event": {"items": items, "n": 3, "sku": "a"},
        "customer": {"attributes": {"wishlist": wishlist}},
    }
    # When its cost is estimated on an event
    # Then the prepared formula gives exactly what walking the tree with the context gives
    assert condition.cost(context) == budget.cost(condition.tree, context)


def test_simple_closures_get_a_formula_at_compile_time():
    # Given a closure over a context list with a plain body (the common case)
    condition = expressions.compile_condition("some(event.items, #.price > 50)")
    # Then its estimate is a constant and a weight per item, known before any event
    assert condition.model.constant == 4
    assert condition.model.terms == ((("event", "items"), 6),)
    assert condition.cost({"event": {"items": [{}] * 10}}) == 64


def test_conditions_without_closures_over_data_are_bounded():
    # Given conditions whose cost does not depend on the size of lists in the event
    # Then they need no run-time estimate
    for source in [
        'customer.attributes.tier == "gold" and event.cart_total >= 100',
        "event.sku in customer.attributes.wishlist",
        "count([1, 2, 3], # > 1) == 2",
        "event.amount in [100..100000]",
    ]:
        assert expressions.compile_condition(source).bounded is True, source
    # And closures that read the event are not
    assert expressions.compile_condition("some(event.items, # > 1)").bounded is False
    assert expressions.compile_condition("some([1, 2], # > event.n)").bounded is False


def test_a_zen_failure_is_an_evaluation_error_in_plain_words():
    # Given a comparison that meets a text on this event
    condition = expressions.compile_condition("event.cart_total > 3")
    # When evaluated
    with pytest.raises(expressions.EvaluationError) as err:
        condition.evaluate({"event": {"cart_total": "lots"}})
    # Then the error is typed and says which part failed
    assert err.value.code == "evaluation_error"
    assert err.value.message == (
        "`<`, `>`, `<=` or `>=` got a value that is not a number or a date (Unsupported type)"
    )


# -- paths and references --------------------------------------------------------------------


def test_references_carry_their_full_path_and_position():
    # Given a condition over two lines
    source = 'customer.attributes.tier == "gold" and\n  event.items[0].sku in customer.attributes.wishlist'
    # When compiled
    condition = expressions.compile_condition(source)
    # Then each read path is listed with where it starts
    assert [(r.path, r.line, r.column) for r in condition.references] == [
        (("customer", "attributes", "tier"), 1, 1),
        (("event", "items"), 2, 3),
        (("customer", "attributes", "wishlist"), 2, 25),
    ]
    assert condition.paths == frozenset(
        {
            ("customer", "attributes", "tier"),
            ("event", "items"),
            ("customer", "attributes", "wishlist"),
        }
    )


def test_read_paths_of_an_invalid_expression_is_an_expression_error():
    # Given a text that is not ZEN
    # When its paths are read
    # Then the error is the typed one, with its position
    with pytest.raises(expressions.ExpressionError) as err:
        expressions.read_paths("event.total >= ")
    assert (err.value.line, err.value.column) == (1, 15)


def test_paths_are_cut_to_the_root_and_two_keys():
    # Given a deep path
    # Then the projection copies its first two keys' value whole
    assert expressions.read_paths("customer.attributes.address.city == 'Paris'") == frozenset(
        {("customer", "attributes", "address")}
    )


def test_read_paths_finds_every_root_path_but_not_strings():
    paths = expressions.read_paths(
        'customer.attributes.tier == "event.fake" and event.cart_total >= 100 and now > "x"'
    )
    assert paths == frozenset(
        {("customer", "attributes", "tier"), ("event", "cart_total"), ("now",)}
    )


def test_a_literal_key_is_a_path_and_a_computed_key_needs_the_whole_value():
    # Given `event["cart_total"]` (zen reads it exactly like event.cart_total) and a key
    # computed from the profile
    paths = expressions.read_paths('event["cart_total"] > 3 and customer[event.kind] == 1')
    # Then the literal key is a path, the computed one reads the whole customer
    assert paths == frozenset({("event", "cart_total"), ("customer",), ("event", "kind")})


def test_closure_names_and_items_are_not_context_paths():
    # Given a closure with an `as` name that shadows a root, and `#`
    paths = expressions.read_paths("some(event.items as event, event.price > #.min)")
    # Then only the list it goes over is read from the context
    assert paths == frozenset({("event", "items")})


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
    'some(event.items, #.kind == customer.attributes.tier) or event["amount"] == 1',
    "customer.attributes[event.kind] == event.amount",
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
        "event": {
            "amount": amount,
            "kind": kind,
            "items": [{"kind": kind}, {"kind": tier}],
            "noise": {"deep": True},
        },
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
