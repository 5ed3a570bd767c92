"""Segments: a named, versioned condition over the profile (``rules/segments/<id>.yaml``).

::

    id: vip
    name: Customers who spent 500 or more this year and take email
    when: customer.aggregates.spend_365d >= 500 and customer.consent.email == true

The condition is a ZEN expression like a rule's (checked and bounded by
:mod:`herald.expressions`), over ``customer`` — attributes, consent, ``aggregates``,
``first_seen``/``last_seen``/``event_counts`` and ``reachable.<channel>`` — and ``now``; a
segment has no event. A customer's memberships are kept on the customer (recomputed in the write
that changes the profile), so rules say ``"vip" in customer.segments``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from herald.domain.document import ValidationError, check_id, unknown_keys

MAX_SEGMENTS = 200  # live segments a customer is evaluated against
MAX_CONDITION = 4096


@dataclass(frozen=True, slots=True)
class Segment:
    id: str
    name: str
    when: str
    version: int = 0
    description: str | None = None

    def to_doc(self) -> dict:
        doc: dict[str, Any] = {"id": self.id, "name": self.name, "when": self.when}
        if self.description:
            doc["description"] = self.description
        return doc


def parse_segment(doc: Any, version: int = 0) -> Segment:
    """Shape of a segment document (the condition's meaning is checked by the caller, with
    :func:`herald.expressions.compile_condition`)."""
    if not isinstance(doc, dict):
        raise ValidationError("a segment must be an object", field="segment")
    unknown_keys(doc, {"id", "name", "when", "description"})
    segment_id = check_id(doc.get("id"))
    name = doc.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
        raise ValidationError("name must be 1-200 characters", field="name")
    when = doc.get("when")
    if not isinstance(when, str) or not when.strip() or len(when) > MAX_CONDITION:
        raise ValidationError(
            f"when must be a condition (1-{MAX_CONDITION} characters)", field="when"
        )
    description = doc.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 1000):
        raise ValidationError("description must be text (1,000 characters)", field="description")
    return Segment(segment_id, name, when, version, description)


def reads_event(paths: frozenset[tuple[str, ...]]) -> bool:
    """Whether a condition's paths read ``event`` (a segment has none)."""
    return any(p and p[0] == "event" for p in paths)


def reachability(profile_doc: dict, suppressed: dict) -> dict[str, bool]:
    """Per channel: an address or a live device, and not suppressed (consent is separate)."""
    push = any(not d.get("disabled") for d in profile_doc.get("push") or ())
    return {
        "email": bool(profile_doc.get("email")) and "email" not in suppressed,
        "sms": bool(profile_doc.get("phone")) and "sms" not in suppressed,
        "push": push and "push" not in suppressed,
    }
