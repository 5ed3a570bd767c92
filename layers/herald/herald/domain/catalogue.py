"""The event catalogue: every event name Herald has seen, with the fields its events carried
and a count, and the profile attributes customers carry.

It is what makes a typo that is still valid syntax visible: a rule on ``product.veiwed``, a
condition on ``event.cart_totl`` or a template using ``customer.attributes.frist_name`` is saved,
but the save answers with a warning (:mod:`herald.domain.warning`), because no event or profile
ever carried that name.

Kept cheaply: each function container samples what it sees and writes a summary at most once a
minute per event name (see :mod:`herald.service.catalogue`), never once per event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
