"""Experiments: which arm of a ``send`` action a customer draws — a variant or the holdout.

The draw is one stable number in [0, 1) per (customer, rule, salt): below ``holdout`` the
customer is held out (recorded as a ``held_out`` message, nothing sent), above it the rest of
the range is split between the variants by weight. One draw, not one per question, so the arms'
shares are exactly the configured weights (the sample-ratio check compares against them) and a
customer keeps their arm on every event until the salt changes (a new salt is a new experiment).

Arms are named by their content (``cart-free-shipping``, or ``cart-free-shipping@3`` when
pinned) or ``holdout``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from herald.domain.action import SendAction
from herald.domain.content import ContentRef

HOLDOUT = "holdout"


def draw(customer_id: str, rule_id: str, salt: str = "") -> float:
    """A stable number in [0, 1) for (customer, rule, salt)."""
    key = f"{customer_id}\x1f{rule_id}\x1f{salt}".encode()
    return zlib.crc32(key) / 0x1_0000_0000


def arm_name(ref: ContentRef) -> str:
    return str(ref)


@dataclass(frozen=True, slots=True)
class Arm:
    name: str  # the content ref as written, or "holdout"
    weight: float  # the share of customers expected in it, in [0, 1]
    content: ContentRef | None  # None for the holdout


def arms(action: SendAction) -> tuple[Arm, ...]:
    """Every arm of ``action`` with its expected share (holdout first when there is one)."""
    found = []
    if action.holdout:
        found.append(Arm(HOLDOUT, action.holdout, None))
    rest = 1.0 - action.holdout
    if not action.variants:
        found.append(Arm(arm_name(action.content), rest, action.content))
        return tuple(found)
    total = sum(v.weight for v in action.variants)
    for variant in action.variants:
        found.append(Arm(arm_name(variant.content), rest * variant.weight / total, variant.content))
    return tuple(found)


def assign(action: SendAction, customer_id: str, rule_id: str) -> Arm:
    """The arm ``customer_id`` draws for ``rule_id``'s ``action`` (deterministic)."""
    point = draw(customer_id, rule_id, action.salt)
    if point < action.holdout:
        return Arm(HOLDOUT, action.holdout, None)
    if not action.variants:
        return Arm(arm_name(action.content), 1.0 - action.holdout, action.content)
    total = sum(v.weight for v in action.variants)
    # The rest of [holdout, 1) rescaled to [0, total): the variants share it by weight.
    position = (point - action.holdout) / (1.0 - action.holdout) * total
    for variant in action.variants:
        position -= variant.weight
        if position < 0:
            break
    return Arm(
        arm_name(variant.content),
        (1.0 - action.holdout) * variant.weight / total,
        variant.content,
    )
