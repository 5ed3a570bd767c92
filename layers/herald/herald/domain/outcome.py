"""Outcomes: what became of a message after it left — delivered, opened, clicked, bounced,
complained, unsubscribed, converted — and how each one is counted.

An outcome names its message through a :class:`MessageRef`: the message id plus what its
counters need (rule, rule version, arm, the hour the message was decided, channel, category).
For email the ref travels with the mail as SES message tags (:func:`tags`), so an SES event
names everything itself and recording it needs no read; elsewhere it is read from the message.

Recording is idempotent per (message, kind): a message keeps the *set* of outcome kinds it had,
and an outcome already in the set is not counted again. A message's engagement (what the
timeline shows) is the highest-ranked kind in that set, so outcomes arriving in any order (a
late Delivered after Clicked) never move a message back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from herald.domain.event import BadEvent
from herald.domain.message import Message


class OutcomeKind(StrEnum):
    SENT = "sent"  # the provider accepted it (counted by the send function)
    FAILED = "failed"  # refused for good: by Herald's send, or SES (virus, rendering)
    DELIVERED = "delivered"
    DELAYED = "delayed"  # SES is retrying (a full mailbox, greylisting): not a figure
    SOFT_BOUNCED = "soft_bounced"  # a transient bounce: not a figure, nothing suppressed
    BOUNCED = "bounced"  # a hard bounce: the address is suppressed
    COMPLAINED = "complained"
    OPENED = "opened"  # unreliable: Apple Mail Privacy Protection opens every message
    CLICKED = "clicked"
    UNSUBSCRIBED = "unsubscribed"
    CONVERTED = "converted"


# Counter figures an outcome adds to (kinds absent here are flagged on the message only).
FIGURES: dict[OutcomeKind, str] = {
    OutcomeKind.SENT: "sent",
    OutcomeKind.FAILED: "failed",
    OutcomeKind.DELIVERED: "delivered",
    OutcomeKind.BOUNCED: "bounced",
    OutcomeKind.COMPLAINED: "complained",
    OutcomeKind.OPENED: "opened",
    OutcomeKind.CLICKED: "clicked",
    OutcomeKind.UNSUBSCRIBED: "unsubscribed",
    OutcomeKind.CONVERTED: "converted",
}
COUNTS = (
    "exposed",
    "sent",
    "delivered",
    "opened",
    "clicked",
    "converted",
    "revenue",
    "bounced",
    "complained",
    "unsubscribed",
    "failed",
)

# Engagement rank: the message shows the highest it reached. Bad news outranks good news.
RANK: dict[OutcomeKind, int] = {
    OutcomeKind.SENT: 1,
    OutcomeKind.DELAYED: 2,
    OutcomeKind.SOFT_BOUNCED: 3,
    OutcomeKind.DELIVERED: 4,
    OutcomeKind.OPENED: 5,
    OutcomeKind.CLICKED: 6,
    OutcomeKind.CONVERTED: 7,
    OutcomeKind.UNSUBSCRIBED: 8,
    OutcomeKind.FAILED: 9,
    OutcomeKind.BOUNCED: 10,
    OutcomeKind.COMPLAINED: 11,
}


EXPOSED_FIGURE = "exposed"
# Figures of a rule only: the deliverability overview (per channel) doesn't count them.
RULE_ONLY = frozenset({EXPOSED_FIGURE, "converted"})
_STATUS_FIGURES = {"sent": "sent", "failed": "failed"}  # a message's final status that counts


def figures_of_change(
    old_status: str | None,
    new_status: str | None,
    old_kinds: frozenset[str] | set[str],
    new_kinds: frozenset[str] | set[str],
    *,
    exposed: frozenset[str],
) -> list[str]:
    """The counter figures one change of a stored message adds 1 to (its stream record):

    - created in an ``exposed`` status (queued, deferred, held out): ``exposed``;
    - moved to ``sent`` or ``failed``: that figure, once (a status never returns to it);
    - each outcome kind new to its set that is a figure (delivered, opened, …).

    A change that repeats nothing new (a rewrite, a retried write) counts nothing, so counting
    the stream is idempotent per (message, figure) whatever the writers did."""
    found = []
    if old_status is None and new_status in exposed:
        found.append(EXPOSED_FIGURE)
    if new_status != old_status and new_status in _STATUS_FIGURES:
        found.append(_STATUS_FIGURES[new_status])
    for kind in sorted(set(new_kinds) - set(old_kinds)):
        figure = FIGURES.get(kind)  # type: ignore[call-overload]  # StrEnum keys match str
        if figure is None or figure == "sent" or figure in found:
            continue  # not a figure, or the status counted it
        found.append(figure)  # "failed" here: SES refused it after the send (reject, rendering)
    return found


def engagement(kinds: frozenset[str] | set[str]) -> str | None:
    """The highest-ranked outcome in ``kinds`` (None: nothing reported yet)."""
    known = [OutcomeKind(k) for k in kinds if k in OutcomeKind._value2member_map_]
    return str(max(known, key=RANK.__getitem__)) if known else None


# --------------------------------------------------------------------------- message refs

TAG_PREFIX = "herald_"
# SES tag values allow ASCII letters, digits, "_" and "-" only: a pinned arm's "@" travels as
# "_v" (content ids never contain "_").
_TAG_VALUE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_HOUR = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}$")


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A message and what its counters are keyed by."""

    message_id: str
    rule_id: str
    rule_version: int
    arm: str
    hour: str  # YYYY-MM-DDTHH (UTC) of the decision: the cohort its outcomes count in
    channel: str
    category: str

    @property
    def day(self) -> str:
        return self.hour[:10]


def ref_of(message: Message) -> MessageRef:
    """The counters' view of a stored message."""
    return MessageRef(
        message.message_id,
        message.rule_id,
        message.rule_version,
        message.arm or message.content_id,
        message.created_at[:13],
        message.channel,
        message.category,
    )


def tags(ref: MessageRef) -> list[dict[str, str]]:
    """The SES message tags an email carries so its events name their message and counters."""
    values = {
        "message_id": ref.message_id,
        "rule": ref.rule_id,
        "version": str(ref.rule_version),
        "arm": ref.arm.replace("@", "_v"),
        "hour": ref.hour,
        "category": ref.category,
    }
    return [{"Name": TAG_PREFIX + name, "Value": value} for name, value in values.items()]


def ref_from_tags(found: dict, channel: str = "email") -> MessageRef | None:
    """The ref an SES event's ``mail.tags`` carry (``{name: [value]}``); None when the mail
    wasn't sent by Herald (no or incomplete tags)."""

    def tag(name: str) -> str | None:
        value = found.get(TAG_PREFIX + name)
        value = value[0] if isinstance(value, list) and value else value
        return value if isinstance(value, str) and _TAG_VALUE.match(value) else None

    message_id, rule, version, arm, hour = (
        tag(n) for n in ("message_id", "rule", "version", "arm", "hour")
    )
    if not (message_id and rule and version and arm and hour):
        return None
    if not version.isdigit() or not _HOUR.match(hour):
        raise BadEvent("the SES event's Herald tags are malformed (version or hour)")
    category = tag("category") or "marketing"
    return MessageRef(
        message_id, rule, int(version), arm.replace("_v", "@"), hour, channel, category
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """One reported outcome of one message."""

    kind: OutcomeKind
    at: str  # ISO time it happened
    ref: MessageRef | None  # None: not a message Herald sent (counted and dropped)
    value: float = 0.0  # revenue, for conversions
    addresses: tuple[str, ...] = ()  # bounced or complained recipients (suppression)
    provider_id: str | None = None
