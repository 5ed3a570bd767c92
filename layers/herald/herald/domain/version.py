"""Versioned documents (rules and contents): immutable versions and the head that says which
version is latest and which is live."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from herald.domain.approval import Submission
from herald.domain.document import ValidationError

MAX_VERSION = 999_999_999


class VersionedKind(StrEnum):
    """Each kind of versioned document; a new kind adds a member here and a table in
    ``herald.dal.tables.VERSIONED_MODELS``."""

    RULE = "rule"
    CONTENT = "content"
    OFFER = "offer"
    TAXONOMY = "taxonomy"
    PROFILE = "profile"  # the profile schema: the aggregates kept from events (one document)
    SEGMENT = "segment"


class State(StrEnum):
    """Where a document (rule, content, …) stands as a whole: its head's state."""

    DRAFT = "draft"  # never live
    LIVE = "live"  # ``published_version`` is live
    PAUSED = "paused"  # a rule that stopped matching; nothing live
    ARCHIVED = "archived"  # retired for good: no new versions

    @classmethod
    def stored(cls, value: str | None) -> State:
        """A head's stored state (items written before "live" was named say "published")."""
        if value == "published":
            return cls.LIVE
        return cls(value or cls.DRAFT)


class VersionState(StrEnum):
    """What one version is, said in one word (never "published" beside ``live: false``)."""

    DRAFT = "draft"  # never live, newer than the live version (or nothing is live yet)
    LIVE = "live"  # the version decisions use now
    PAUSED = "paused"  # the published version of a paused rule: live again when resumed
    SUPERSEDED = "superseded"  # was live once, or a newer version went live after it
    ARCHIVED = "archived"  # the document is retired


@dataclass(frozen=True, slots=True)
class Head:
    id: str
    latest_version: int
    published_version: int | None
    state: State
    updated_at: str | None
    updated_by: str | None
    paused: dict | None = None  # {reason, at, by} while paused
    submitted: Submission | None = None  # the version waiting for an approver, if any

    @property
    def live_version(self) -> int | None:
        return self.published_version if self.state == State.LIVE else None

    def version_state(self, version: Version) -> VersionState:
        """The state of one of this document's versions."""
        if self.state == State.ARCHIVED:
            return VersionState.ARCHIVED
        if version.version == self.published_version:
            return VersionState.LIVE if self.state == State.LIVE else VersionState.PAUSED
        if version.was_live or version.version < (self.published_version or 0):
            return VersionState.SUPERSEDED
        return VersionState.DRAFT


@dataclass(frozen=True, slots=True)
class Version:
    id: str
    version: int
    doc: dict
    created_at: str
    created_by: str
    live: bool
    was_live: bool = False  # it has been live at some point (published, rolled back to)


def check_version(value: Any, field: str = "version") -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_VERSION:
        raise ValidationError(f"{field} must be a positive whole number", field=field)
    return value
