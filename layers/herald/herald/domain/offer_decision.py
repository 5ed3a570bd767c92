"""An offer decision and its trace: what ``POST /decide`` answered and why.

The trace (stored for ``TRACE_TTL_DAYS``) lists every offer of the placement: the ones shown
with their score factors and the sample drawn, the eligible ones ranked below the limit, and the
filtered ones with the reason (not valid now, not eligible, resting under the offer contact
policy, an expression or template that failed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from herald.domain.arbitration import Arm, Factors


class Filtered(StrEnum):
    """Why an offer of the placement was not considered."""

    NOT_VALID = "not_valid_now"
    NOT_ELIGIBLE = "not_eligible"
    RESTING = "resting"  # the offer contact policy
    FAILED = "failed"  # an expression or template failed on this customer


@dataclass(slots=True)  # one per offer of the placement per decision: not frozen, for speed
class Considered:
    offer_id: str
    version: int
    factors: Factors | None = None  # eligible: the factors of its score
    filtered: Filtered | None = None
    reason: str | None = None
    rank: int | None = None  # 1 = first shown; None: eligible but below the limit, or filtered

    def to_doc(self) -> dict:
        doc: dict = {"offer_id": self.offer_id, "version": self.version}
        if self.factors is not None:
            doc["factors"] = self.factors.to_dict()
        if self.filtered is not None:
            doc["filtered"] = str(self.filtered)
            doc["reason"] = self.reason
        if self.rank is not None:
            doc["rank"] = self.rank
        return doc


@dataclass(frozen=True, slots=True)
class OfferDecision:
    decision_id: str
    customer_id: str
    placement: str
    arm: Arm
    decided_at: str
    limit: int
    considered: tuple[Considered, ...] = field(default_factory=tuple)

    @property
    def shown(self) -> list[Considered]:
        return sorted((c for c in self.considered if c.rank), key=lambda c: c.rank or 0)

    def to_doc(self) -> dict:
        return {
            "decision_id": self.decision_id,
            "customer_id": self.customer_id,
            "placement": self.placement,
            "arm": str(self.arm),
            "decided_at": self.decided_at,
            "limit": self.limit,
            "shown": [c.offer_id for c in self.shown],
            "eligible": [c.to_doc() for c in self.considered if c.filtered is None],
            "filtered": [c.to_doc() for c in self.considered if c.filtered is not None],
        }
