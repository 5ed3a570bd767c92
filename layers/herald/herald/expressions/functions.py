"""ZEN's built-in functions and date methods: names, arities and types.

Transcribed from zen-engine's ``functions/internal.rs``, ``deprecated.rs``, ``date_method.rs``
and the closure functions of ``functions/mod.rs`` (the unit tests check every name and arity
against the installed zen). A parameter typed DATE accepts text and numbers too (zen parses
them), so only the other types are checked statically.
"""

from __future__ import annotations

from dataclasses import dataclass

from herald.expressions.types import Type

ANY, BOOL, NUMBER, STRING = Type.ANY, Type.BOOL, Type.NUMBER, Type.STRING
DATE, ARRAY, OBJECT = Type.DATE, Type.ARRAY, Type.OBJECT


@dataclass(frozen=True, slots=True)
class Signature:
    params: tuple[Type, ...]
    returns: Type


@dataclass(frozen=True, slots=True)
class Builtin:
    name: str
    signatures: tuple[Signature, ...]
    closure: bool = False  # map, filter, …: (list, expression evaluated per item)

    @property
    def arity(self) -> tuple[int, int]:
        counts = [len(s.params) for s in self.signatures]
        return min(counts), max(counts)

    def accepts(self, index: int) -> frozenset[Type]:
        """The types any signature accepts at ``index`` (ANY among them: anything goes)."""
        return frozenset(s.params[index] for s in self.signatures if index < len(s.params))

    def returns(self, arguments: list[Type]) -> Type:
        """The result type for these argument types, ANY when it depends on unknown ones."""
        results = {
            s.returns
            for s in self.signatures
            if len(s.params) == len(arguments)
            and all(a in (ANY, p) or p is ANY for a, p in zip(arguments, s.params, strict=True))
        } or {s.returns for s in self.signatures}
        return results.pop() if len(results) == 1 else ANY


def _one(returns: Type, *params: Type) -> tuple[Signature, ...]:
    return (Signature(params, returns),)


def _overloads(*signatures: tuple[tuple[Type, ...], Type]) -> tuple[Signature, ...]:
    return tuple(Signature(params, returns) for params, returns in signatures)


_CLOSURE = {
    "all": BOOL,
    "none": BOOL,
    "some": BOOL,
    "one": BOOL,
    "filter": ARRAY,
    "map": ARRAY,
    "flatMap": ARRAY,
    "count": NUMBER,
}

_FUNCTIONS = {
    # general
    "len": _overloads(((STRING,), NUMBER), ((ARRAY,), NUMBER)),
    "contains": _overloads(((STRING, STRING), BOOL), ((ARRAY, ANY), BOOL)),
    "flatten": _one(ARRAY, ARRAY),
    "merge": _overloads(((ARRAY,), ARRAY), ((ARRAY,), OBJECT)),
    "mergeDeep": _one(OBJECT, ARRAY),
    # text
    "upper": _one(STRING, STRING),
    "lower": _one(STRING, STRING),
    "trim": _one(STRING, STRING),
    "startsWith": _one(BOOL, STRING, STRING),
    "endsWith": _one(BOOL, STRING, STRING),
    "matches": _one(BOOL, STRING, STRING),
    "extract": _one(ARRAY, STRING, STRING),
    "fuzzyMatch": _overloads(((STRING, STRING), NUMBER), ((ARRAY, STRING), ARRAY)),
    "split": _one(ARRAY, STRING, STRING),
    # math
    "abs": _one(NUMBER, NUMBER),
    "sum": _one(NUMBER, ARRAY),
    "avg": _one(NUMBER, ARRAY),
    "min": _overloads(((ARRAY,), NUMBER), ((ARRAY,), DATE)),
    "max": _overloads(((ARRAY,), NUMBER), ((ARRAY,), DATE)),
    "rand": _one(NUMBER, NUMBER),
    "median": _one(NUMBER, ARRAY),
    "mode": _one(NUMBER, ARRAY),
    "floor": _one(NUMBER, NUMBER),
    "ceil": _one(NUMBER, NUMBER),
    "round": _overloads(((NUMBER,), NUMBER), ((NUMBER, NUMBER), NUMBER)),
    "trunc": _overloads(((NUMBER,), NUMBER), ((NUMBER, NUMBER), NUMBER)),
    # types
    "isNumeric": _one(BOOL, ANY),
    "string": _one(STRING, ANY),
    "number": _one(NUMBER, ANY),
    "bool": _one(BOOL, ANY),
    "type": _one(STRING, ANY),
    # objects
    "keys": _overloads(((OBJECT,), ARRAY), ((ARRAY,), ARRAY)),
    "values": _one(ARRAY, OBJECT),
    # dates
    "d": _overloads(((), DATE), ((ANY,), DATE), ((ANY, STRING), DATE)),
    # deprecated date functions (numbers of seconds, or text)
    "date": _one(NUMBER, ANY),
    "time": _one(NUMBER, ANY),
    "duration": _one(NUMBER, ANY),
    "year": _one(NUMBER, ANY),
    "dayOfWeek": _one(NUMBER, ANY),
    "dayOfMonth": _one(NUMBER, ANY),
    "dayOfYear": _one(NUMBER, ANY),
    "weekOfYear": _one(NUMBER, ANY),
    "monthOfYear": _one(NUMBER, ANY),
    "monthString": _one(STRING, ANY),
    "dateString": _one(STRING, ANY),
    "weekdayString": _one(STRING, ANY),
    "startOf": _one(NUMBER, ANY, STRING),
    "endOf": _one(NUMBER, ANY, STRING),
}

FUNCTIONS: dict[str, Builtin] = {
    **{name: Builtin(name, sigs) for name, sigs in _FUNCTIONS.items()},
    **{name: Builtin(name, _one(r, ARRAY, ANY), closure=True) for name, r in _CLOSURE.items()},
}
CLOSURES = frozenset(_CLOSURE)

_COMPARE = _overloads(((DATE, DATE), BOOL), ((DATE, DATE, STRING), BOOL))
_SHIFT = _overloads(((DATE, STRING), DATE), ((DATE, NUMBER, STRING), DATE))
_METHODS = {
    "add": _SHIFT,
    "sub": _SHIFT,
    "set": _one(DATE, DATE, STRING, NUMBER),
    "format": _overloads(((DATE,), STRING), ((DATE, STRING), STRING)),
    "startOf": _one(DATE, DATE, STRING),
    "endOf": _one(DATE, DATE, STRING),
    "diff": _overloads(((DATE, DATE), NUMBER), ((DATE, DATE, STRING), NUMBER)),
    "tz": _one(DATE, DATE, STRING),
    "isSame": _COMPARE,
    "isBefore": _COMPARE,
    "isAfter": _COMPARE,
    "isSameOrBefore": _COMPARE,
    "isSameOrAfter": _COMPARE,
    **{
        getter: _one(NUMBER, DATE)
        for getter in (
            [
                "second",
                "minute",
                "hour",
                "day",
                "weekday",
                "dayOfYear",
                "week",
                "month",
                "quarter",
                "year",
                "timestamp",
            ]
        )
    },
    "offsetName": _one(STRING, DATE),
    **{
        check: _one(BOOL, DATE)
        for check in ["isValid", "isYesterday", "isToday", "isTomorrow", "isLeapYear"]
    },
}
# A method's first parameter is the date it is called on: ``d(x).add(1, "d")``.
METHODS: dict[str, Builtin] = {name: Builtin(name, sigs) for name, sigs in _METHODS.items()}
