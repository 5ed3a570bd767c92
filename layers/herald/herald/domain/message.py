"""Messages: one piece of content to one customer on one channel, and where it stands.

A message's id is derived from (customer, event, rule, branch, action index), so a replayed
event maps to the same message and can never send twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum


class MessageStatus(StrEnum):
    QUEUED = "queued"  # on the send queue
    DEFERRED = "deferred"  # quiet hours: scheduled for later
    SENDING = "sending"  # the send function is calling the provider (the lock)
    SENT = "sent"
    FAILED = "failed"  # refused for good (bad address, broken template, …)
    SUPPRESSED = "suppressed"  # consent, suppression list, no address
    CAPPED = "capped"  # a frequency cap was reached
    HELD_OUT = "held_out"  # the customer drew the experiment's holdout: recorded, never sent


SENDABLE = frozenset({MessageStatus.QUEUED, MessageStatus.DEFERRED})
OUTGOING = SENDABLE  # what a decision hands to the send path
FINAL = frozenset(
    {
        MessageStatus.SENT,
        MessageStatus.FAILED,
        MessageStatus.SUPPRESSED,
        MessageStatus.CAPPED,
        MessageStatus.HELD_OUT,
    }
)
# A rule's exposures: the customer was eligible and drew an arm (a variant, or the holdout).
EXPOSED = frozenset({MessageStatus.QUEUED, MessageStatus.DEFERRED, MessageStatus.HELD_OUT})


def message_id_for(decision_id: str, rule_id: str, branch: str, index: int) -> str:
    """Deterministic id: a replayed event maps to the same message, so it can't send twice."""
    key = f"{decision_id}\x1f{rule_id}\x1f{branch}\x1f{index}".encode()
    return hashlib.sha256(key).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Message:
    message_id: str
    customer_id: str
    event_id: str
    event_name: str
    rule_id: str
    rule_version: int
    content_id: str
    content_version: int
    channel: str
    category: str
    status: MessageStatus
    created_at: str
    updated_at: str
    reason: str | None = None
    provider_id: str | None = None
    send_at: str | None = None
    event: dict = field(default_factory=dict)
    attempts: int = 0
    arm: str | None = None  # the experiment arm: the content ref, or "holdout"
    outcomes: frozenset[str] = frozenset()  # what SES/SNS and the customer reported since
