"""Offers: what a placement (a web page slot, an app screen, an agent's desktop) may show now.

An offer is versioned like content. It names the placements it may appear in, who is eligible
(a ZEN condition over ``customer``, ``event`` — the placement's request context — and ``now``),
what it is worth (a number or a ZEN number expression), the marketer's lever (−100..+100 %),
a context weight (a number or ZEN number expression: how well the offer fits the situation the
placement reports), a validity window, and per placement its Liquid content (headline, body,
cta_url, image_url). Arbitration (:mod:`herald.domain.arbitration`) scores the eligible ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from herald.domain.channel import Category
from herald.domain.clock import iso, parse_time
from herald.domain.document import ValidationError, document_head

PLACEMENT_PATTERN = re.compile(r"^[a-z0-9-]{1,64}$")
PLACEMENT_FIELDS = ("headline", "body", "cta_url", "image_url")
MAX_PLACEMENTS = 20
MAX_FIELD = 10_000
MAX_LEVER = 100.0  # percent, either way
MAX_CONTEXT_WEIGHT = 10.0
OFFER_FIELDS = frozenset(
    {
        "id",
        "name",
        "placements",
        "eligibility",
        "value",
        "lever",
        "context_weight",
        "valid",
        "content",
        "category",
    }
)


@dataclass(frozen=True, slots=True)
class Offer:
    """One version of an offer, checked for shape (conditions are compiled by the service)."""

    id: str
    name: str
    placements: tuple[str, ...]
    content: dict[str, dict[str, str]]  # placement -> {headline, body, cta_url, image_url}
    eligibility: str | None = None  # ZEN condition; None: everyone
    value: float | str = 1.0  # a number, or a ZEN number expression
    lever: float = 0.0  # percent, -100..+100
    context_weight: float | str = 0.0  # a number, or a ZEN number expression
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    category: Category = Category.MARKETING
    version: int = 0
    doc: dict = field(default_factory=dict, compare=False)

    def valid_at(self, now: datetime) -> bool:
        if self.valid_from is not None and now < self.valid_from:
            return False
        return self.valid_until is None or now <= self.valid_until

    def to_doc(self) -> dict:
        doc: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "placements": list(self.placements),
            "value": self.value,
            "lever": self.lever,
            "context_weight": self.context_weight,
            "category": str(self.category),
            "content": {p: dict(c) for p, c in self.content.items()},
        }
        if self.eligibility:
            doc["eligibility"] = self.eligibility
        if self.valid_from or self.valid_until:
            doc["valid"] = {
                k: iso(v)
                for k, v in (("from", self.valid_from), ("until", self.valid_until))
                if v is not None
            }
        return doc


def _number_or_expression(value: Any, field_name: str, low: float, high: float) -> float | str:
    if isinstance(value, bool) or value is None:
        raise ValidationError(
            f"{field_name} must be a number or a ZEN expression", field=field_name
        )
    if isinstance(value, int | float):
        if not low <= value <= high:
            raise ValidationError(f"{field_name} must be {low:g}..{high:g}", field=field_name)
        return float(value)
    if isinstance(value, str) and value.strip() and len(value) <= 4096:
        return value
    raise ValidationError(f"{field_name} must be a number or a ZEN expression", field=field_name)


def _content(doc: Any, placements: tuple[str, ...]) -> dict[str, dict[str, str]]:
    if not isinstance(doc, dict) or not doc:
        raise ValidationError("content must map each placement to its fields", field="content")
    out: dict[str, dict[str, str]] = {}
    for placement, block in doc.items():
        p = f"content.{placement}"
        if placement not in placements:
            raise ValidationError(f"{p}: {placement!r} is not one of placements", field=p)
        if not isinstance(block, dict) or not block.get("headline"):
            raise ValidationError(f"{p} needs at least a headline", field=p)
        extra = sorted(set(block) - set(PLACEMENT_FIELDS))
        if extra:
            raise ValidationError(f"unknown field {p}.{extra[0]}", field=f"{p}.{extra[0]}")
        for name, value in block.items():
            if not isinstance(value, str) or len(value) > MAX_FIELD:
                raise ValidationError(
                    f"{p}.{name} must be a Liquid template of at most {MAX_FIELD} characters",
                    field=f"{p}.{name}",
                )
        out[placement] = dict(block)
    missing = [pl for pl in placements if pl not in out]
    if missing:
        raise ValidationError(f"content.{missing[0]} is missing", field=f"content.{missing[0]}")
    return out


def parse_offer(doc: Any, version: int = 0) -> Offer:
    """Check an offer document's shape; raise :class:`ValidationError` naming the field."""
    offer_id, name = document_head(doc, OFFER_FIELDS, "an offer")
    raw = doc.get("placements")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_PLACEMENTS:
        raise ValidationError(
            f"placements must list 1-{MAX_PLACEMENTS} placements", field="placements"
        )
    for i, placement in enumerate(raw):
        if not isinstance(placement, str) or not PLACEMENT_PATTERN.match(placement):
            raise ValidationError("a placement matches [a-z0-9-]{1,64}", field=f"placements[{i}]")
    placements = tuple(dict.fromkeys(raw))
    eligibility = doc.get("eligibility")
    if eligibility is not None and (not isinstance(eligibility, str) or not eligibility.strip()):
        raise ValidationError("eligibility must be a ZEN condition", field="eligibility")
    lever = doc.get("lever", 0)
    if isinstance(lever, bool) or not isinstance(lever, int | float) or abs(lever) > MAX_LEVER:
        raise ValidationError("lever must be a percentage from -100 to 100", field="lever")
    valid = doc.get("valid") or {}
    if not isinstance(valid, dict) or set(valid) - {"from", "until"}:
        raise ValidationError("valid must be {from?, until?}", field="valid")
    valid_from = parse_time(valid["from"], "valid.from") if valid.get("from") else None
    valid_until = parse_time(valid["until"], "valid.until") if valid.get("until") else None
    if valid_from and valid_until and valid_until <= valid_from:
        raise ValidationError("valid.until must be after valid.from", field="valid.until")
    category = doc.get("category", "marketing")
    if category not in tuple(Category):
        raise ValidationError("category must be marketing or transactional", field="category")
    return Offer(
        offer_id,
        name,
        placements,
        _content(doc.get("content"), placements),
        eligibility,
        _number_or_expression(doc.get("value", 1), "value", 0, 1e9),
        float(lever),
        _number_or_expression(
            doc.get("context_weight", 0), "context_weight", -1, MAX_CONTEXT_WEIGHT
        ),
        valid_from,
        valid_until,
        Category(category),
        version,
        doc,
    )


class OfferOutcome:
    """What a placement reports about an offer it showed (a plain namespace of names)."""

    IMPRESSION = "impression"
    CLICK = "click"
    ACCEPT = "accept"
    REJECT = "reject"
    ALL = ("impression", "click", "accept", "reject")


@dataclass(frozen=True, slots=True)
class OfferContact:
    """One entry of a customer's offer log: an offer shown (or accepted, …) at a time."""

    offer_id: str
    outcome: str  # an OfferOutcome name
    at: str  # ISO time

    def to_row(self) -> list[str]:
        return [self.offer_id, self.outcome, self.at]

    @classmethod
    def from_row(cls, row: list) -> OfferContact:
        return cls(str(row[0]), str(row[1]), str(row[2]))
