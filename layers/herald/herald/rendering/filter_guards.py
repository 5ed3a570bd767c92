"""Guards on every built-in filter: Herald's limits held before and after each one runs.

- array filters check the length of their input *before* materialising it (a range knows its
  length without being built); ``first``/``last``/``size`` are free;
- filters whose output grows with their arguments (``append``, ``prepend``, ``replace*``,
  ``join``) compute its size first, ``split`` counts its pieces first;
- every text, array or integer a filter returns is checked, and the items and characters
  filters go through are charged to the render's budget (slow filters' characters count more);
- ``uniq`` runs in linear time for hashable values (python-liquid's is quadratic).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import wraps
from typing import TYPE_CHECKING, Any

from liquid import Undefined, soft_str
from liquid.builtin.filters.array import uniq as liquid_uniq
from liquid.exceptions import FilterArgumentError
from liquid.filter import flatten, sequence_filter, with_context

from herald.rendering.limits import (
    MAX_INTEGER_BITS,
    MAX_ITEMS,
    MAX_TEXT,
    BudgetedContext,
    LimitError,
    joined_length,
    length_of,
    too_long,
    too_many_items,
)

if TYPE_CHECKING:
    from liquid import Environment

_WORD = re.compile(r"\S+")


def _text(value: object) -> str:
    """A filter's value or argument as text, as python-liquid's string filters coerce it."""
    if isinstance(value, str):
        return value
    return "" if value is None else soft_str(value)


def _as_sequence(value: object) -> Iterable[Any]:
    """What python-liquid's ``sequence_filter`` makes of a filter's left value."""
    if isinstance(value, (list, tuple)):
        return flatten(value)
    if isinstance(value, (dict, str)) or not isinstance(value, Iterable):
        return [value]
    return value


def _items(value: object, *_: Any, **__: Any) -> int:
    return length_of(value)


def _concat_items(value: object, other: object = None, *_: Any, **__: Any) -> int:
    return length_of(value) + length_of(other)


def _appended(value: object, other: object = "", *_: Any, **__: Any) -> int:
    return len(_text(value)) + len(_text(other))


def _replaced(value: object, old: object = "", new: object = "", *_: Any, **__: Any) -> int:
    text, old, new = _text(value), _text(old), _text(new)
    return len(text) + text.count(old) * (len(new) - len(old))


def _replaced_once(value: object, old: object = "", new: object = "", *_: Any, **__: Any) -> int:
    return len(_text(value)) + len(_text(new))


def _joined(value: object, separator: object = " ", *_: Any, **__: Any) -> int:
    return joined_length(_as_sequence(value), _text(separator), "'join'")


def _split_items(value: object, separator: object = None, *_: Any, **__: Any) -> int:
    text = _text(value)
    if separator is None or isinstance(separator, Undefined) or separator == "":
        return len(text)  # split into characters
    separator = _text(separator)
    if separator != " ":
        return text.count(separator) + 1
    # " " splits on runs of whitespace: count the words, but no further than the limit
    if len(text) // 2 + 1 <= MAX_ITEMS:
        return len(text) // 2 + 1
    words = 0
    for words, _ in enumerate(_WORD.finditer(text), start=1):
        if words > MAX_ITEMS:
            break
    return words


ARRAY_FILTERS: dict[str, Callable[..., int]] = {
    **dict.fromkeys(
        (
            "join", "map", "sort", "sort_natural", "uniq", "reverse", "compact", "where",
            "reject", "find", "find_index", "has", "sum", "slice",
        ),
        _items,
    ),
    "concat": _concat_items,
}  # fmt: skip
"""Filters that go through their input's items: the count is checked before they run. Not
``first``/``last``/``size``, which don't (a range's size is arithmetic)."""

GROWING_FILTERS: dict[str, Callable[..., int]] = {
    "append": _appended,
    "prepend": _appended,
    "replace": _replaced,
    "replace_first": _replaced_once,
    "replace_last": _replaced_once,
    "join": _joined,
}
"""Filters whose output grows with their arguments: its length is computed before they run.
The others make at most a few times their input (``escape``, ``url_encode``, ``upcase``…),
which is itself bounded, and are checked after."""

SPLITTING_FILTERS = {"split": _split_items}
"""Filters that make an array out of a text: the number of items is computed before."""

TEXT_COST = {
    "strip_html": 100,
    "url_encode": 10,
    "url_decode": 10,
    "escapejs": 10,
    "escape_once": 5,
    "squish": 5,
}
"""What a character costs these filters, in the budget's characters: most text filters run in C
at a few ns a character, these in Python (``strip_html`` parses HTML: up to 1 µs a character),
so the budget stays ~0.1 s of work whichever filters spend it."""


def _guard(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` registered as filter ``name``, held to the limits and charged to the budget."""
    count_items = ARRAY_FILTERS.get(name)
    size_text = GROWING_FILTERS.get(name)
    count_pieces = SPLITTING_FILTERS.get(name)
    cost = TEXT_COST.get(name, 1)
    wants_context = getattr(func, "with_context", False)

    @wraps(func)
    def guarded(value: Any, *args: Any, context: BudgetedContext, **kwargs: Any) -> Any:
        if count_items is not None:
            count = count_items(value, *args)
            if count > MAX_ITEMS:
                raise too_many_items(count, f"the array or range given to '{name}'")
            context.budget.spend_items(count, name)
        if size_text is not None:
            length = size_text(value, *args, **kwargs)
            if length > MAX_TEXT:
                raise too_long(length, f"'{name}'")
        if count_pieces is not None:
            count = count_pieces(value, *args)
            if count > MAX_ITEMS:
                raise LimitError(
                    f"'{name}' would make an array of more than {MAX_ITEMS:,} items, the limit "
                    "per array or range"
                )
            context.budget.spend_items(count, name)
        if wants_context:
            kwargs["context"] = context
        result = func(value, *args, **kwargs)
        if result is not value:
            _check_result(result, value, name, cost, context)
        return result

    guarded.with_context = True  # type: ignore[attr-defined] — python-liquid's filter protocol
    return guarded


def _check_result(result: Any, value: Any, name: str, cost: int, context: BudgetedContext) -> None:
    """Hold a filter's result to the limits; charge the text it read and made to the budget."""
    text = len(value) if isinstance(value, str) else 0
    if isinstance(result, str):
        if len(result) > MAX_TEXT:
            raise too_long(len(result), f"'{name}'")
        text += len(result)
    elif isinstance(result, list):
        if len(result) > MAX_ITEMS:
            raise too_many_items(len(result), f"the array '{name}' made")
    elif isinstance(result, int) and result.bit_length() > MAX_INTEGER_BITS:
        raise LimitError(
            f"'{name}' would make a number over {MAX_INTEGER_BITS:,} bits (~3,000 digits), "
            "the limit per number"
        )
    if text:
        context.budget.spend_text(text * cost, name)


_MISSING = object()


@with_context
@sequence_filter
def uniq(sequence: list[Any], key: object = None, *, context: BudgetedContext) -> list[Any]:
    """python-liquid's ``uniq`` (the first item of each distinct value, or distinct ``key``), in
    linear time when the values are hashable; when they aren't (mappings), python-liquid's own
    pairwise comparison runs, and its quadratic work is charged to the budget first."""
    try:
        values = sequence if key is None else [_value_at(obj, key) for obj in sequence]
        seen: set[Any] = set()
        out = []
        for obj, value in zip(sequence, values, strict=True):
            if value not in seen:
                seen.add(value)
                out.append(obj)
        return out
    except TypeError:  # an unhashable value
        context.budget.spend_items(len(sequence) * len(sequence) // 2, "uniq")
        return liquid_uniq(sequence, key)


def _value_at(obj: Any, key: object) -> Any:
    try:
        return obj[key]
    except KeyError:
        return _MISSING
    except TypeError as err:
        raise FilterArgumentError(f"can't read property '{key}' of {obj}", token=None) from err


UNGUARDED_FILTERS = frozenset(
    ("default", "safe", "size", "first", "last", "abs", "ceil", "floor", "round", "at_least",
     "at_most", "divided_by", "modulo")
)  # fmt: skip
"""Filters that make nothing larger than their input and don't go through items (``default``
returns one of its arguments; these numbers only shrink or keep their size): left as they are,
which keeps the common ones (``default``, ``round``) free."""


def guard_filters(env: Environment) -> None:
    """Wrap every filter registered with ``env`` (call after registering them)."""
    env.filters["uniq"] = uniq
    env.filters = {
        name: func if name in UNGUARDED_FILTERS else _guard(name, func)
        for name, func in env.filters.items()
    }
