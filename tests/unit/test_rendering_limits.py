"""Bounded rendering: hostile templates fail fast, naming the limit, instead of eating the box.

The hostile inputs are sized so that an unbounded implementation would take seconds and
gigabytes; they run only through Herald's bounded path, and each test also asserts the peak
memory the render allocated (deterministic, unlike time on a shared machine).
"""

from __future__ import annotations

import tracemalloc

import pytest
from liquid import Environment

from herald import rendering
from herald.domain.content import parse_content

BILLION = 1_000_000_000
PEAK_BYTES = 32 * 1024 * 1024  # a bounded render allocates a few MB at most


def _content(text: str):
    return parse_content({"id": "c", "channels": {"sms": {"text": text}}})


def _render_failure(text: str, **context) -> rendering.RenderError:
    """Check ``text`` for saving (it must pass), render it, return the RenderError it raises."""
    content = _content(text)
    rendering.check_content(content)
    tracemalloc.start()
    try:
        with pytest.raises(rendering.RenderError) as err:
            rendering.render(content, "sms", context)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < PEAK_BYTES, f"the render allocated {peak:,} bytes"
    assert err.value.field == "channels.sms.text"
    return err.value


def _render(text: str, **context) -> str:
    return rendering.render(_content(text), "sms", context)["text"]


# ------------------------------------------------------------------------------- ranges


def test_the_huge_range_literal_is_refused_at_save():
    # Given the template that rendered for 26 s into 2.8 GB, on line 2
    content = _content("Hello\n{{ (1..100000000) | join: ',' | size }}")
    # When it is checked for saving
    with pytest.raises(rendering.TemplateSyntaxError) as err:
        rendering.check_content(content)
    # Then it is refused naming the field, the line, the range and the limit
    assert err.value.field == "channels.sms.text"
    assert "line 2" in err.value.message
    assert "(1..100000000) has 100,000,000 items" in err.value.message
    assert "limit of 10,000 items per array or range" in err.value.message


def test_a_range_literal_within_the_limit_is_accepted():
    # Given a range literal of exactly the limit
    content = _content("{{ (1..10000) | join: ',' | size }}")
    # When it is checked and rendered
    rendering.check_content(content)
    # Then it works like any other
    assert rendering.render(content, "sms", {})["text"] == "48893"


def test_a_dynamic_range_fails_fast_at_render_naming_the_limit():
    # Given a range whose bound comes from the event: nothing to refuse at save
    template = "{% assign n = event.n %}{{ (1..n) | join: ',' }}"
    # When an event with n = 100,000,000 is rendered
    err = _render_failure(template, event={"n": 100_000_000})
    # Then the render fails before building the range, saying which limit and where
    assert err.message == (
        "channels.sms.text line 1: the array or range given to 'join' has 100,000,000 items, "
        "over the limit of 10,000 items per array or range"
    )


@pytest.mark.parametrize("name", ["join", "map: 'x'", "sort", "sort_natural", "uniq", "reverse",
                                  "compact", "where: 'x'", "sum", "slice: 0, 2"])  # fmt: skip
def test_every_array_filter_checks_a_range_before_materialising_it(name):
    # Given a billion-item range passed to an array filter
    template = f"{{{{ (1..event.n) | {name} }}}}"
    # When it is rendered
    err = _render_failure(template, event={"n": BILLION})
    # Then the filter refuses it by its length
    assert f"given to '{name.split(':')[0]}' has 1,000,000,000 items" in err.message


def test_cheap_operations_on_a_huge_range_still_work():
    # Given a billion-item range from the event
    event = {"n": BILLION}
    # When its size, ends or a bounded forward loop over it are rendered
    out = _render(
        "{{ (1..event.n) | size }} {{ (1..event.n) | first }} {{ (1..event.n) | last }} "
        "{% for i in (1..event.n) limit: 3 %}{{ i }}{% endfor %}",
        event=event,
    )
    # Then they need no materialised range and render
    assert out == "1000000000 1 1000000000 123"


def test_a_reversed_loop_over_a_huge_range_fails_before_reversing_it():
    # Given a reversed loop (python-liquid builds the list to reverse it)
    template = "{% for i in (1..event.n) reversed %}{% break %}{% endfor %}"
    # When it is rendered with a billion items
    err = _render_failure(template, event={"n": BILLION})
    # Then it fails on the size of the collection, not on memory
    assert "reversed loop has 1,000,000,000 items" in err.message


def test_a_runaway_loop_names_the_loop_limit_and_the_line():
    # Given a loop whose bound comes from the event, on line 2
    template = "Hi\n{% for i in (1..event.n) %}x{% endfor %}"
    # When it is rendered with a billion iterations
    err = _render_failure(template, event={"n": BILLION})
    # Then the loop limit stops it, in plain words
    assert err.message == (
        "channels.sms.text line 2: loops would run more than 10,000 iterations (the loop limit)"
    )


def test_a_loop_with_a_large_body_is_bounded_by_the_statements_it_would_run():
    # Given 10,000 iterations of 1,000 conditions (23 s of rendering without a bound)
    template = "{% for i in (1..10000) %}" + "{% if i == 1 %}x{% endif %}" * 1000 + "{% endfor %}"
    # When it is rendered
    err = _render_failure(template)
    # Then it is stopped before the first iteration by the statements it would run
    assert "more than 250,000 statements in one render" in err.message
    assert "the limit on loop work" in err.message


def test_nested_loops_charge_their_statements_too():
    # Given 100 × 100 iterations of 100 conditions (each loop alone is small)
    inner = "{% for j in (1..100) %}" + "{% if j == 1 %}x{% endif %}" * 100 + "{% endfor %}"
    # When it is rendered
    err = _render_failure("{% for i in (1..100) %}" + inner + "{% endfor %}")
    # Then the inner loop's charges add up to the limit
    assert "the limit on loop work" in err.message


# ------------------------------------------------------------------------------ texts


def test_replace_growth_in_a_loop_is_bounded():
    # Given the replace-growth loop: each pass makes the text ten times longer
    template = (
        "{% assign s = 'a' %}{% for i in (1..50) %}"
        "{% assign s = s | replace: 'a', 'aaaaaaaaaa' %}{% endfor %}{{ s | size }}"
    )
    # When it is rendered
    err = _render_failure(template)
    # Then a limit stops it long before the 10^50 characters (here: what variables may hold)
    assert "limit on assigned variables" in err.message


def test_a_chain_of_replaces_is_refused_before_the_text_is_built():
    # Given replaces chained in one expression (no variable, so nothing else would stop them)
    template = "{{ 'a'" + " | replace: 'a', 'aaaaaaaaaa'" * 12 + " | size }}"
    # When it is rendered
    err = _render_failure(template)
    # Then the replace whose output would pass the limit is refused before it runs
    assert "'replace' would make a text of 10,000,000 characters" in err.message
    assert "limit of 1,000,000 characters per text" in err.message


def test_a_replace_with_a_big_replacement_is_refused_before_it_runs():
    # Given a text of 30,000 'a's each replaced by 30,000 characters (900 MB if built)
    event = {"s": "a" * 30_000, "big": "b" * 30_000}
    # When it is rendered
    err = _render_failure("{{ event.s | replace: 'a', event.big | size }}", event=event)
    # Then the predicted size refuses it
    assert "'replace' would make a text of 900,000,000 characters" in err.message


@pytest.mark.parametrize("step", ["append: event.s", "prepend: event.s"])
def test_append_and_prepend_are_bounded(step):
    # Given a 300,000-character text appended to itself in one expression
    template = "{{ event.s" + f" | {step}" * 5 + " | size }}"
    # When it is rendered
    err = _render_failure(template, event={"s": "x" * 300_000})
    # Then the step that would pass 1,000,000 characters is refused
    assert "would make a text of 1,200,000 characters" in err.message


def test_join_is_bounded_by_the_length_of_its_output():
    # Given 10,000 items of 1,000 characters (10 MB joined)
    event = {"items": ["x" * 1000] * 10_000}
    # When they are joined
    err = _render_failure("{{ event.items | join: ',' | size }}", event=event)
    # Then join stops counting once over the limit, before building anything
    assert "'join' would make a text of" in err.message


def test_outputting_an_array_built_by_filters_is_bounded():
    # Given an array of references to one 30,000-character text, multiplied by concat
    event = {"s": ",".join(["x" * 30_000] * 100)}
    template = "{% assign a = event.s | split: ',' %}{{ a" + " | concat: a" * 20 + " }}"
    # When the array itself is output (python-liquid builds its text whole)
    err = _render_failure(template, event=event)
    # Then its length is counted first
    assert "outputting an array would make a text of" in err.message


def test_split_into_too_many_items_is_refused_before_splitting():
    # Given a text that would split into 500,001 items
    err = _render_failure("{{ event.s | split: ',' | size }}", event={"s": "," * 500_000})
    # Then split refuses by counting separators
    assert "'split' would make an array of more than 10,000 items" in err.message


# ------------------------------------------------------------------- numbers and work


def test_multiplying_a_number_by_itself_is_bounded():
    # Given a number squared in a loop (2^(2^30) would be 128 MB)
    template = (
        "{% assign n = 10 %}{% for i in (1..30) %}{% assign n = n | times: n %}{% endfor %}{{ n }}"
    )
    # When it is rendered
    err = _render_failure(template)
    # Then the number limit stops it
    assert "'times' would make a number over 10,000 bits" in err.message


def test_array_filters_in_a_loop_are_bounded_by_the_work_budget():
    # Given a full-size sort in a 10,000-iteration loop (100 million items sorted)
    template = "{% for i in (1..10000) %}{% assign x = (1..10000) | sort | size %}{% endfor %}"
    # When it is rendered
    err = _render_failure(template)
    # Then the per-render budget of filter work stops it
    assert "more than 500,000 array items in one render (the last was 'sort')" in err.message


def test_text_filters_in_a_loop_are_bounded_by_the_work_budget():
    # Given a 100,000-character text upcased in a 10,000-iteration loop (1 G characters)
    template = "{% for i in (1..10000) %}{% assign t = event.s | upcase | size %}{% endfor %}"
    # When it is rendered
    err = _render_failure(template, event={"s": "x" * 100_000})
    # Then the per-render budget of filter work stops it
    assert "more than 10,000,000 characters in one render (the last was 'upcase')" in err.message


def test_split_in_a_loop_is_charged_to_the_work_budget():
    # Given a text of 10,000 pieces split in a 10,000-iteration loop (100 million pieces)
    template = "{% for i in (1..10000) %}{% assign x = event.s | split: ',' | size %}{% endfor %}"
    # When it is rendered
    err = _render_failure(template, event={"s": ",".join(["ab"] * 9999)})
    # Then the pieces count as array items
    assert "array items in one render (the last was 'split')" in err.message


def test_slow_text_filters_spend_the_budget_faster():
    # Given strip_html (which parses HTML in Python, up to 1 µs a character) run 20 times on
    # 10 KB: 220,000 characters, far within the budget at a cheap filter's rate
    template = "{% for i in (1..20) %}{% assign x = event.html | strip_html | size %}{% endfor %}"
    # When it is rendered
    err = _render_failure(template, event={"html": "<b>x</b>" * 1250})
    # Then its characters count a hundred times, and the budget stops it
    assert "characters in one render (the last was 'strip_html')" in err.message


def test_uniq_of_mappings_is_charged_for_its_pairwise_comparisons():
    # Given 2,000 distinct mappings (python-liquid compares them pairwise: 2 million comparisons)
    event = {"items": [{"sku": i} for i in range(2000)]}
    # When uniq runs on them
    err = _render_failure("{{ event.items | uniq | size }}", event=event)
    # Then the comparisons are charged to the budget first
    assert "(the last was 'uniq')" in err.message


class _Counted:
    """A value that counts how often it is compared for equality."""

    comparisons = 0

    def __init__(self, n: int):
        self.n = n

    def __hash__(self) -> int:
        return hash(self.n)

    def __eq__(self, other: object) -> bool:
        _Counted.comparisons += 1
        return isinstance(other, _Counted) and self.n == other.n


def test_uniq_of_hashable_values_is_linear():
    # Given 2,000 distinct values (python-liquid's uniq compares them pairwise: 2 million times)
    event = {"items": [_Counted(i) for i in range(2000)]}
    _Counted.comparisons = 0
    # When uniq runs on them
    out = _render("{{ event.items | uniq | size }}", event=event)
    # Then all are kept, after fewer comparisons than items
    assert out == "2000"
    assert _Counted.comparisons < 2000


# ---------------------------------------------------------------- unchanged behaviour

SAME_AS_LIQUID = [
    "{{ list | uniq | join: ',' }}",
    "{{ records | uniq: 'k' | map: 'k' | join: ',' }}",
    "{{ records | uniq | size }}",
    "{{ 'a b  c' | split: ' ' | join: '|' }} {{ 'a,b' | split: '' | size }} {{ 'x' | split: nope }}",
    "{{ s | replace: 'b', 'XY' }} {{ s | replace_first: 'b', '' }} {{ s | replace_last: 'b', 1 }}",
    "{{ s | append: 3 | prepend: nil }} {{ s | replace: '', '-' }} {{ n | times: n | plus: 1 }}",
    "{{ list | concat: list | reverse | join }} {{ list | sort_natural | first }} {{ list }}",
    "{% for i in (1..5) reversed %}{{ i }}{% endfor %}{% cycle 'a', 'b' %}{% echo list %}",
    "{{ s | escape | upcase | truncate: 4 }} {{ '<b>' | escape }} {{ '<b>' }} {{ 2.5 | round }}",
]


@pytest.mark.parametrize("html", [False, True], ids=["text", "html"])
@pytest.mark.parametrize("template", SAME_AS_LIQUID)
def test_bounded_filters_render_like_python_liquid(template, html):
    # Given everyday templates and data
    data = {
        "list": ["b", 1, "a", True, "b", 1.0, None, "<i>"],
        "records": [{"k": 1}, {"k": 2}, {"k": 1}, {"j": 3}],
        "s": "abcabc",
        "n": 12,
    }
    # When Herald and plain python-liquid render them
    expected = Environment(autoescape=html).from_string(template).render(**data)
    content = parse_content(
        {"id": "c", "channels": {"email": {"subject": "s", "html": template, "text": template}}}
    )
    out = rendering.render(content, "email", data)["html" if html else "text"]
    # Then the output is the same
    assert out == expected.strip()
