"""The event catalogue: every event name Herald has seen, with the fields its events carried
and a count, and the profile attributes customers carry.

It is what makes a typo that is still valid syntax visible: a rule on ``product.veiwed``, a
condition on ``event.cart_totl`` or a template using ``customer.attributes.frist_name`` is saved,
but the save answers with a warning, because no event or profile ever carried that name.

Kept cheaply: each function container samples what it sees and writes a summary at most once a
minute per event name (see :mod:`herald.service.catalogue`), never once per event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from herald.domain.channel import MESSAGE_CHANNELS
from herald.domain.customer import PROFILE_FIELDS
from herald.domain.warning import FieldWarning

MAX_FIELDS = 200  # per event name: hostile data with random keys must not grow an item forever
MAX_FIELD_DEPTH = 3  # address.city.zip; deeper fields are not catalogued (and not warned about)
MAX_FIELD_CHARS = 128


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    count: int
    fields: frozenset[str]  # dotted paths under the event's detail: cart_total, address.city
    first_seen: str | None = None
    last_seen: str | None = None

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "count": self.count,
            "fields": sorted(self.fields),
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
        }


@dataclass(frozen=True, slots=True)
class Catalogue:
    events: Mapping[str, EventType] = field(default_factory=dict)
    profile_attributes: frozenset[str] = frozenset()  # dotted paths under customer.attributes

    @property
    def empty(self) -> bool:
        """Nothing seen yet (a new installation): warnings would only be noise."""
        return not self.events and not self.profile_attributes


def field_paths(value: Mapping[str, Any], depth: int = MAX_FIELD_DEPTH) -> set[str]:
    """The dotted paths of an object's fields, objects descended into up to ``depth`` levels
    (a list is a field; its items are not catalogued)."""
    found: set[str] = set()
    stack: list[tuple[Mapping, str, int]] = [(value, "", 1)]
    while stack and len(found) < MAX_FIELDS:
        node, prefix, level = stack.pop()
        for key, item in node.items():
            if not isinstance(key, str) or len(prefix) + len(key) >= MAX_FIELD_CHARS:
                continue
            path = f"{prefix}{key}"
            found.add(path)
            if isinstance(item, Mapping) and level < depth:
                stack.append((item, f"{path}.", level + 1))
    return found


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
) -> list[FieldWarning]:
    """Warnings for the fields a condition or template reads that nothing ever carried.

    ``event_name`` is the rule's event (a condition); None for a template, whose ``event`` may
    be any of the events that send it: an event field is then unknown only if no event at all
    carried it.
    """
    if catalogue.empty:
        return []
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
            problem = _profile_problem(keys, catalogue.profile_attributes)
        elif root == "now":
            problem = ("unknown_field", "now is the decision time as text: it has no fields")
        if problem:
            warnings.append(FieldWarning(problem[0], problem[1], field, ref.line, ref.column))
    return warnings


def _profile_problem(keys: tuple[str, ...], attributes: frozenset[str]) -> tuple | None:
    head = keys[0]
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
