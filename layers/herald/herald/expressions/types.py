"""The kinds of values a ZEN expression handles, and how to name them to a marketer."""

from __future__ import annotations

import enum


class Type(enum.Enum):
    ANY = "any"  # not known before the event arrives
    BOOL = "bool"
    NUMBER = "number"
    STRING = "string"
    DATE = "date"
    ARRAY = "array"
    OBJECT = "object"
    INTERVAL = "interval"
    NULL = "null"

    @property
    def words(self) -> str:
        return _WORDS[self]


_WORDS = {
    Type.ANY: "a value",
    Type.BOOL: "true or false",
    Type.NUMBER: "a number",
    Type.STRING: "text",
    Type.DATE: "a date",
    Type.ARRAY: "a list",
    Type.OBJECT: "an object",
    Type.INTERVAL: "a range",
    Type.NULL: "null",
}


def either(types: frozenset[Type] | set[Type]) -> str:
    """``text or a list``: the words for any of several types, in a stable order."""
    ordered = [t.words for t in Type if t in types]
    if len(ordered) <= 2:
        return " or ".join(ordered)
    return ", ".join(ordered[:-1]) + " or " + ordered[-1]
