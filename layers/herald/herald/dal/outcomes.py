"""Outcomes on the messages table, and the counters keys they are counted under.

Recording one outcome is one conditional ``UpdateItem`` of its message: ``ADD outcomes :kind``
on the condition that the message exists and doesn't have the kind yet — so a redelivered event
(or a Lambda retry) finds it there and changes nothing. A failed condition says, with
``ReturnValuesOnConditionCheckFailure``, whether the message exists (a duplicate) or not (not
Herald's mail, or expired): no read before the write.

The counters move from the messages table's stream (:mod:`herald.service.counting`): a change
that adds a kind adds 1 to its figure, once, in the rule's bucket ``rule#<id>`` /
``v<version>#<day>#<arm>`` and the channel's ``channel#<channel>`` / ``<YYYY-MM-DDTHH>``.
Counters are spread over :data:`SHARDS` items per bucket (see :mod:`herald.dal.counters`), and a
3-arm, 90-day read is still one Query.
"""

from __future__ import annotations

from enum import StrEnum

from herald.aws.clients import client
from herald.dal import counters
from herald.dal.counters import Increment
from herald.domain.clock import iso, utcnow
from herald.domain.outcome import FIGURES, RULE_ONLY, MessageRef, OutcomeKind
from herald.domain.stats import bucket
from herald.settings import settings

SHARDS = 16


class Recorded(StrEnum):
    COUNTED = "counted"
    DUPLICATE = "duplicate"  # this message already had this outcome: nothing counted again
    UNKNOWN = "unknown"  # no such message (not sent by Herald, or expired)


def rule_scope(rule_id: str) -> str:
    return f"rule#{rule_id}"


def channel_scope(channel: str) -> str:
    return f"channel#{channel}"


def rule_increment(ref: MessageRef, values: dict[str, float], day: str | None = None) -> Increment:
    return Increment(
        rule_scope(ref.rule_id),
        bucket(ref.rule_version, day or ref.day, ref.arm),
        values,
        shard_key=ref.message_id,
        shards=SHARDS,
    )


def channel_increment(ref: MessageRef, values: dict[str, float]) -> Increment:
    return Increment(
        channel_scope(ref.channel), ref.hour, values, shard_key=ref.message_id, shards=SHARDS
    )


def increments(ref: MessageRef, kind: OutcomeKind, value: float = 0.0) -> list[Increment]:
    """The counter increments of one outcome (none for kinds that are flags only)."""
    figure = FIGURES.get(kind)
    if figure is None:
        return []
    values: dict[str, float] = {figure: 1}
    if kind == OutcomeKind.CONVERTED and value:
        values["revenue"] = value
    found = [rule_increment(ref, values)]
    if kind != OutcomeKind.CONVERTED:  # the overview is about deliverability
        found.append(channel_increment(ref, {figure: 1}))
    return found


def change_increments(ref: MessageRef, figures: list[str]) -> tuple[Increment, ...]:
    """The increments of one counted change of a message (its stream record): every figure
    to the rule's bucket, the deliverability ones to the channel's hour too."""
    if not figures:
        return ()
    found = [rule_increment(ref, dict.fromkeys(figures, 1))]
    overview = {f: 1 for f in figures if f not in RULE_ONLY}
    if overview:
        found.append(channel_increment(ref, overview))
    return tuple(found)


def record(ref: MessageRef, kind: OutcomeKind, at: str | None = None) -> Recorded:
    """Flag ``kind`` on the message, once (see the module docstring); the stream counts it."""
    ddb = client("dynamodb")
    try:
        ddb.update_item(
            TableName=settings().messages_table,
            Key={"pk": {"S": f"msg#{ref.message_id}"}},
            UpdateExpression="ADD outcomes :kinds SET last_outcome_at = :at",
            ConditionExpression="attribute_exists(pk) AND NOT contains(outcomes, :kind)",
            ExpressionAttributeValues={
                ":kinds": {"SS": [str(kind)]},
                ":kind": {"S": str(kind)},
                ":at": {"S": at or iso(utcnow())},
            },
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ddb.exceptions.ConditionalCheckFailedException as exc:
        return Recorded.DUPLICATE if exc.response.get("Item") else Recorded.UNKNOWN
    return Recorded.COUNTED


def read_rule(
    rule_id: str, version: int, first_day: str, last_day: str
) -> dict[str, dict[str, int | float]]:
    """Every (day, arm) bucket of one rule version in [first_day, last_day]: one Query."""
    return counters.read(rule_scope(rule_id), bucket(version, first_day), bucket(version, last_day))


def read_channel(channel: str, first_hour: str, last_hour: str) -> dict[str, dict]:
    """The channel's hourly buckets in [first_hour, last_hour]: one Query."""
    return counters.read(channel_scope(channel), first_hour, last_hour)
