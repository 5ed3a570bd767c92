"""Arbitration: which eligible offers a placement shows, in which order.

Each eligible offer is scored ``propensity × value × (1 + context weight) × (1 + lever)``
(Pega's next-best-action arithmetic): propensity is a Thompson draw from the offer's posterior
in this placement (:mod:`herald.domain.propensity`), value what the offer is worth, the context
weight how well it fits the situation the placement reports, the lever the marketer's thumb on
the scale (−100..+100 %, so 1 + lever is 0..2).

A deterministic 2 % of customers, chosen by a hash of the customer id and the month, form the
random-control group: their offers are ranked at random, so the learnt ranking's accept rate can
be compared with what no learning at all would get (``GET /admin/offers/{id}/stats``).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

CONTROL_SHARE = 0.02
_HASH_SPACE = 2**64


class Arm(StrEnum):
    """How a decision ranked its offers: learnt (scored) or random (the control group)."""

    LEARNT = "learnt"
    CONTROL = "control"


def in_random_control(customer_id: str, when: datetime, share: float = CONTROL_SHARE) -> bool:
    """Whether the customer is in this month's random-control group (stable within a month)."""
    digest = hashlib.sha256(f"control#{customer_id}#{when:%Y-%m}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _HASH_SPACE < share


@dataclass(slots=True)  # built per eligible offer on the hot path: not frozen, for speed
class Factors:
    """The factors of one offer's score, as the response and the trace show them."""

    propensity: float  # the Thompson draw
    value: float
    context_weight: float
    lever: float  # a fraction: 0.2 for +20 %

    @property
    def score(self) -> float:
        return self.propensity * self.value * (1 + self.context_weight) * (1 + self.lever)

    def to_dict(self) -> dict:
        return {
            "propensity": round(self.propensity, 6),
            "value": self.value,
            "context_weight": self.context_weight,
            "lever": self.lever,
            "score": round(self.score, 6),
        }


def score(propensity: float, value: float, context_weight: float, lever_percent: float) -> Factors:
    """The factors of an offer's score (``lever_percent`` as the marketer sets it: −100..100)."""
    return Factors(propensity, value, context_weight, lever_percent / 100.0)


def rank(
    scored: list[tuple[str, Factors]], arm: Arm, rng: random.Random, limit: int
) -> list[tuple[str, Factors]]:
    """The ``limit`` offers shown, best first: by score, or shuffled for the control group.
    Ties keep the offers' id order, so a ranking is reproducible with a seeded ``rng``."""
    ordered = sorted(scored, key=lambda item: item[0])
    if arm == Arm.CONTROL:
        rng.shuffle(ordered)
    else:
        ordered.sort(key=lambda item: item[1].score, reverse=True)
    return ordered[:limit]
