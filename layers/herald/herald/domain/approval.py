"""Approval: a version submitted for an approver to publish, and who submitted it when.

One pending submission per document (the latest one wins): a marketer submits the version they
want live, an approver publishes it (which clears the submission) or publishes another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Submission:
    version: int
    by: str
    at: str

    def to_dict(self) -> dict:
        return {"version": self.version, "by": self.by, "at": self.at}

    @classmethod
    def stored(cls, value: Any) -> Submission | None:
        """The submission a head item keeps (None when there is none, or it is unreadable)."""
        if not isinstance(value, dict):
            return None
        version, by, at = value.get("version"), value.get("by"), value.get("at")
        if not isinstance(version, int | float) or not isinstance(by, str) or not by:
            return None
        return cls(int(version), by, at if isinstance(at, str) else "")
