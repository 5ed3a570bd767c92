"""The event catalogue's items: one per event name (``kind`` "event") and one for the profile
attributes customers carry (``kind`` "profile"). Written as summaries, read by the admin API."""

from __future__ import annotations

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import size

from herald.dal.tables import CatalogueItem, bind, conditional_failure
from herald.domain.catalogue import MAX_FIELDS, Catalogue, EventType

EVENT, PROFILE = "event", "profile"
ATTRIBUTES = "attributes"


def add(kind: str, name: str, seen: int, fields: set[str], at: str) -> None:
    """Add ``seen`` to the count and ``fields`` to the set (the set is capped at MAX_FIELDS: once
    full, only the count and times move)."""
    bind()
    item = CatalogueItem(kind, name)
    counts = [
        CatalogueItem.seen.add(seen),
        CatalogueItem.last_seen.set(at),
        CatalogueItem.first_seen.set(CatalogueItem.first_seen | at),
    ]
    if fields:
        try:
            item.update(
                actions=[*counts, CatalogueItem.fields.add(fields)],
                condition=CatalogueItem.fields.does_not_exist()
                | (size(CatalogueItem.fields) < MAX_FIELDS),
            )
            return
        except UpdateError as exc:
            if not conditional_failure(exc):
                raise
    item.update(actions=counts)


def _event_type(item: CatalogueItem) -> EventType:
    return EventType(
        item.name,
        int(item.seen or 0),
        frozenset(item.fields or ()),
        item.first_seen,
        item.last_seen,
    )


def events() -> list[EventType]:
    bind()
    return sorted((_event_type(i) for i in CatalogueItem.query(EVENT)), key=lambda e: e.name)


def read() -> Catalogue:
    """The whole catalogue (two queries; hundreds of items at most)."""
    bind()
    profile = next(iter(CatalogueItem.query(PROFILE, CatalogueItem.name == ATTRIBUTES)), None)
    return Catalogue(
        events={e.name: e for e in events()},
        profile_attributes=frozenset(profile.fields or ()) if profile else frozenset(),
    )
