"""Versioned documents (rules and contents): immutable versions and the head that says which
version is latest and which is live."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from herald.domain.document import ValidationError

MAX_VERSION = 999_999_999


class VersionedKind(StrEnum):
    RULE = "rule"
    CONTENT = "content"


class State(StrEnum):
    DRAFT = "draft"  # never published
    PUBLISHED = "published"  # ``published_version`` is live
    PAUSED = "paused"  # a rule that stopped matching; nothing live
    ARCHIVED = "archived"  # retired for good: no new versions


@dataclass(frozen=True, slots=True)
class Head:
    id: str
    latest_version: int
    published_version: int | None
    state: State
    updated_at: str | None
    updated_by: str | None

    @property
    def live_version(self) -> int | None:
        return self.published_version if self.state == State.PUBLISHED else None


@dataclass(frozen=True, slots=True)
class Version:
    id: str
    version: int
    doc: dict
    created_at: str
    created_by: str
    live: bool


def check_version(value: Any, field: str = "version") -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_VERSION:
        raise ValidationError(f"{field} must be a positive whole number", field=field)
    return value
