"""Feeding the event catalogue cheaply: each container samples the events (and profiles) it sees
and writes one summary per event name at most every ``FLUSH_SECONDS`` — never a write per event
— plus one at once when it sees a name for the first time, so a new event shows up in
``GET /admin/events`` (and stops causing warnings) within seconds.

Counts are those of the events sampled in full plus a tally of the rest, so they are exact per
container until it is frozen or recycled with a summary not yet written (at most a minute of
counts is lost): the catalogue is for warnings and discovery, not billing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from herald.aws.clients import INFRASTRUCTURE_ERRORS, describe
from herald.dal import catalogue as store
from herald.domain.catalogue import MAX_FIELDS, field_paths
from herald.domain.clock import iso, utcnow
from herald.domain.customer import Customer
from herald.domain.event import Event
from herald.observability import logger
from herald.runtime import register_cache

FLUSH_SECONDS = 60.0
FULL_SAMPLES = 20  # events per name and interval whose fields are read; the rest are counted
MAX_PENDING_NAMES = 200  # a flood of new names flushes early rather than growing memory


@dataclass
class _Pending:
    seen: int = 0
    sampled: int = 0
    fields: set[str] = field(default_factory=set)


class Sampler:
    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.pending: dict[tuple[str, str], _Pending] = {}
        self.known: set[tuple[str, str]] = set()  # names this container has written once
        self.flushed_at = time.monotonic()

    def observe(self, kind: str, name: str, fields_of) -> None:
        entry = self.pending.get((kind, name))
        if entry is None:
            entry = self.pending[(kind, name)] = _Pending()
        entry.seen += 1
        if entry.sampled < FULL_SAMPLES and len(entry.fields) < MAX_FIELDS:
            entry.sampled += 1
            entry.fields |= fields_of()
        if (
            (kind, name) not in self.known
            or time.monotonic() - self.flushed_at >= FLUSH_SECONDS
            or len(self.pending) > MAX_PENDING_NAMES
        ):
            self.flush()

    def flush(self) -> None:
        """Write the summaries; a failure is logged and the counts kept for the next flush
        (the catalogue is advisory: it must never fail an event)."""
        self.flushed_at = time.monotonic()
        at = iso(utcnow())
        for (kind, name), entry in list(self.pending.items()):
            try:
                store.add(kind, name, entry.seen, entry.fields, at)
            except INFRASTRUCTURE_ERRORS as exc:
                logger.warning("event catalogue not updated", event_name=name, error=describe(exc))
                return
            del self.pending[(kind, name)]
            self.known.add((kind, name))


sampler = register_cache(Sampler())


def observe_event(event: Event) -> None:
    sampler.observe(store.EVENT, event.name, lambda: field_paths(event.detail))


def observe_profile(profile: Customer) -> None:
    if profile.attributes:
        sampler.observe(store.PROFILE, store.ATTRIBUTES, lambda: field_paths(profile.attributes))
