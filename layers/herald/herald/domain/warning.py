"""Warnings: saved, but said. A save or preview answers with these when the input is valid yet
probably not what the marketer meant: an event name never seen, a field no event or profile ever
carried (checked against the event catalogue), a template variable outside the context."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from herald.domain.catalogue import MAX_FIELD_DEPTH, Catalogue
from herald.domain.channel import MESSAGE_CHANNELS
from herald.domain.customer import DERIVED_FIELDS, PROFILE_FIELDS


@dataclass(frozen=True, slots=True)
class FieldWarning:
    code: str  # unknown_event | unknown_field | unknown_variable | …
    message: str
    field: str  # the JSON path of the document field (``when``, ``channels.email.subject``)
    line: int | None = None  # where in that field's text, when known (1-based)
    column: int | None = None

    def to_dict(self) -> dict:
        doc: dict = {"code": self.code, "message": self.message, "field": self.field}
        if self.line is not None:
            doc["line"] = self.line
        if self.column is not None:
            doc["column"] = self.column
        return doc


@dataclass(frozen=True, slots=True)
class Reference:
    """A path a condition or template reads (``("event", "cart_total")``) and where."""

    path: tuple[str, ...]
    line: int | None = None
    column: int | None = None


def _unknown(keys: tuple[str, ...], known: frozenset[str]) -> str | None:
    """The first dotted prefix of ``keys`` that ``known`` lacks, if its parent is known to be an
    object (or it is top level); None when every catalogued level is known."""
    for depth in range(1, min(len(keys), MAX_FIELD_DEPTH) + 1):
        path = ".".join(keys[:depth])
        if path in known:
            continue
        parent = ".".join(keys[: depth - 1])
        if depth == 1 or any(k.startswith(parent + ".") for k in known):
            return path
        return None  # the parent is a list or a scalar: its inside isn't catalogued
    return None


def check_references(
    references: Iterable[Reference],
    catalogue: Catalogue,
    field: str,
    event_name: str | None = None,
    aggregates: frozenset[str] | None = None,
) -> list[FieldWarning]:
    """Warnings for the fields a condition or template reads that nothing ever carried.

    ``event_name`` is the rule's event (a condition); None for a template, whose ``event`` may
    be any of the events that send it: an event field is then unknown only if no event at all
    carried it.
    """
    if catalogue.empty:  # nothing seen yet: only the declared aggregates can be checked
        return _aggregate_warnings(references, aggregates, field) if aggregates is not None else []
    if event_name is None:
        event_fields = frozenset().union(*(e.fields for e in catalogue.events.values()))
        where = "any event"
    elif event_name in catalogue.events:
        event_fields = catalogue.events[event_name].fields
        where = f"{event_name} events"
    else:
        event_fields, where = None, ""  # the event itself is unknown: warned about once, on `on`
    warnings: list[FieldWarning] = []
    seen: set[tuple] = set()
    for ref in references:
        if ref.path in seen or len(ref.path) < 2:
            continue
        seen.add(ref.path)
        root, keys = ref.path[0], ref.path[1:]
        problem = None
        if root == "event" and event_fields is not None:
            missing = _unknown(keys, event_fields)
            if missing:
                problem = ("unknown_field", f"no {where} ever carried the field event.{missing}")
        elif root == "customer":
            problem = _profile_problem(keys, catalogue.profile_attributes, aggregates)
        elif root == "now":
            problem = ("unknown_field", "now is the decision time as text: it has no fields")
        if problem:
            warnings.append(FieldWarning(problem[0], problem[1], field, ref.line, ref.column))
    return warnings


def _aggregate_warnings(
    references: Iterable[Reference], aggregates: frozenset[str], field: str
) -> list[FieldWarning]:
    found = []
    for ref in references:
        if ref.path[:2] == ("customer", "aggregates") and len(ref.path) > 2:
            problem = _profile_problem(ref.path[1:], frozenset(), aggregates)
            if problem:
                found.append(FieldWarning(problem[0], problem[1], field, ref.line, ref.column))
    return found


def _profile_problem(
    keys: tuple[str, ...], attributes: frozenset[str], aggregates: frozenset[str] | None = None
) -> tuple | None:
    head = keys[0]
    if head == "aggregates" and len(keys) > 1 and aggregates is not None:
        if keys[1] not in aggregates:
            declared = ", ".join(sorted(aggregates)) or "none yet"
            return (
                "unknown_field",
                f"the live profile schema declares no aggregate {keys[1]} ({declared})",
            )
        return None
    if head in DERIVED_FIELDS:
        return None
    if head not in PROFILE_FIELDS:
        return (
            "unknown_field",
            f"a customer profile has no field {head} (it has {', '.join(PROFILE_FIELDS)}; "
            "your own fields are under customer.attributes)",
        )
    if head == "consent" and len(keys) > 1 and keys[1] not in MESSAGE_CHANNELS:
        return ("unknown_field", f"consent is kept per channel ({', '.join(MESSAGE_CHANNELS)})")
    if head == "attributes" and len(keys) > 1:
        missing = _unknown(keys[1:], attributes)
        if missing:
            return (
                "unknown_field",
                f"no customer profile ever carried customer.attributes.{missing}",
            )
    return None


def check_event_name(name: str, catalogue: Catalogue, field: str = "on") -> list[FieldWarning]:
    if catalogue.empty or not catalogue.events or name in catalogue.events:
        return []
    close = [n for n in catalogue.events if _close(n, name)]
    hint = f" (did you mean {close[0]}?)" if close else ""
    return [FieldWarning("unknown_event", f"no {name} event has been seen yet{hint}", field)]


def _close(a: str, b: str) -> bool:
    """Same letters give or take a swap, a missing or an extra one (``veiwed``/``viewed``)."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    from difflib import SequenceMatcher  # noqa: PLC0415 — admin saves only

    return SequenceMatcher(None, a, b).ratio() >= 0.85
