"""Outcomes on the messages table and the counters they move, written together.

Recording one outcome is one ``TransactWriteItems`` of up to three items:

1. the message: ``ADD outcomes :kind`` on the condition that it exists and doesn't have the
   kind yet — so a redelivered event (or a Lambda retry) finds it there and counts nothing;
2. the rule's counter shard: ``ADD <figure> :1`` in ``rule#<id>`` / ``v<version>#<day>#<arm>``;
3. the channel's counter shard: the same figure in ``channel#<channel>`` / ``<YYYY-MM-DDTHH>``,
   for the deliverability overview.

A failed condition on the message says, with ``ReturnValuesOnConditionCheckFailure``, whether
the message exists (a duplicate) or not (not Herald's mail, or expired): no read before the
write. Counters are spread over :data:`SHARDS` items per bucket (see :mod:`herald.dal.counters`):
at 3,000 outcomes a second into one rule, each shard item takes ~190 writes a second, well under
DynamoDB's ~1,000 per item, and a 3-arm, 90-day read is still one Query.
"""

from __future__ import annotations

from enum import StrEnum

from herald.aws.clients import client
from herald.dal import counters
from herald.dal.counters import Increment
from herald.domain.clock import iso, utcnow
from herald.domain.outcome import FIGURES, MessageRef, OutcomeKind
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


def record(
    ref: MessageRef, kind: OutcomeKind, at: str | None = None, value: float = 0.0
) -> Recorded:
    """Flag ``kind`` on the message and move its counters, once (see the module docstring)."""
    message = {
        "Update": {
            "TableName": settings().messages_table,
            "Key": {"pk": {"S": f"msg#{ref.message_id}"}},
            "UpdateExpression": "ADD outcomes :kinds SET last_outcome_at = :at",
            "ConditionExpression": "attribute_exists(pk) AND NOT contains(outcomes, :kind)",
            "ExpressionAttributeValues": {
                ":kinds": {"SS": [str(kind)]},
                ":kind": {"S": str(kind)},
                ":at": {"S": at or iso(utcnow())},
            },
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }
    items = [message] + [
        u for i in increments(ref, kind, value) if (u := counters.transaction_add(i))
    ]
    ddb = client("dynamodb")
    try:
        ddb.transact_write_items(TransactItems=items)
    except ddb.exceptions.TransactionCanceledException as exc:
        reasons = exc.response.get("CancellationReasons") or []
        first = reasons[0] if reasons else {}
        if first.get("Code") != "ConditionalCheckFailed":
            raise  # a conflict or throttling: the caller retries (idempotent)
        return Recorded.DUPLICATE if first.get("Item") else Recorded.UNKNOWN
    return Recorded.COUNTED


def read_rule(
    rule_id: str, version: int, first_day: str, last_day: str
) -> dict[str, dict[str, int | float]]:
    """Every (day, arm) bucket of one rule version in [first_day, last_day]: one Query."""
    return counters.read(rule_scope(rule_id), bucket(version, first_day), bucket(version, last_day))


def read_channel(channel: str, first_hour: str, last_hour: str) -> dict[str, dict]:
    """The channel's hourly buckets in [first_hour, last_hour]: one Query."""
    return counters.read(channel_scope(channel), first_hour, last_hour)
