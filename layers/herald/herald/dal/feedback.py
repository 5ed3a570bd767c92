"""Customer feedback records (redacted), topic counters per week, redacted snippets.

- A record (messages table, ``feedback#<id>``, TTL'd like traces, outside the timeline index)
  holds only the redacted text and the enrichment; its first put is conditional, so a
  resubmitted feedback (same customer and ref) is recognised.
- Topic figures are sharded counters (:mod:`herald.dal.counters`): scope ``feedback#topics``,
  bucket ``<ISO week>#<topic>``, figures ``count`` and ``negative``.
- Snippets: up to a few redacted examples per week and topic, items of the counters table
  (``feedback-snippets#<week>#<topic>``, sorted by time), read with a limited Query.
"""

from __future__ import annotations

import json
import time

from herald.aws.clients import client
from herald.dal import counters
from herald.dal.counters import Increment
from herald.settings import settings

TOPICS_SCOPE = "feedback#topics"
SNIPPETS_PER_TOPIC = 3


def _key(feedback_id: str) -> dict:
    return {"pk": {"S": f"feedback#{feedback_id}"}}


def put_record(feedback_id: str, doc: dict, *, replace: bool = False) -> bool:
    """Store the (redacted) record; False when it existed already (and ``replace`` is off)."""
    ddb = client("dynamodb")
    item = {
        **_key(feedback_id),
        "kind": {"S": "feedback"},
        "doc": {"S": json.dumps(doc, separators=(",", ":"), ensure_ascii=False)},
        "expires_at": {"N": str(int(time.time()) + settings().trace_ttl_days * 86_400)},
    }
    extra = {} if replace else {"ConditionExpression": "attribute_not_exists(pk)"}
    try:
        ddb.put_item(TableName=settings().messages_table, Item=item, **extra)
    except ddb.exceptions.ConditionalCheckFailedException:
        return False
    return True


def get_record(feedback_id: str) -> dict | None:
    found = client("dynamodb").get_item(
        TableName=settings().messages_table, Key=_key(feedback_id), ConsistentRead=True
    )
    item = found.get("Item")
    return json.loads(item["doc"]["S"]) if item else None


def count_topics(week: str, topics: list[str], count: int, negative: int) -> None:
    for topic in topics:
        counters.add(
            Increment(TOPICS_SCOPE, f"{week}#{topic}", {"count": count, "negative": negative})
        )


def put_snippet(week: str, topic: str, at: str, feedback_id: str, text: str, sentiment: str):
    client("dynamodb").put_item(
        TableName=settings().counters_table,
        Item={
            "pk": {"S": f"feedback-snippets#{week}#{topic}"},
            "sk": {"S": f"{at}#{feedback_id}"},
            "snippet": {"S": text},
            "sentiment": {"S": sentiment},
        },
    )


def topic_figures(first_week: str, last_week: str) -> dict[str, dict[str, int]]:
    """``<week>#<topic>`` → {count, negative} for the weeks in range."""
    totals = counters.read(TOPICS_SCOPE, first_week, last_week)
    return {bucket: {k: int(v) for k, v in figures.items()} for bucket, figures in totals.items()}


def snippets(week: str, topic: str, limit: int = SNIPPETS_PER_TOPIC) -> list[dict]:
    """The newest redacted snippets of a week's topic."""
    found = client("dynamodb").query(
        TableName=settings().counters_table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"feedback-snippets#{week}#{topic}"}},
        ScanIndexForward=False,
        Limit=limit,
    )
    return [
        {"text": i["snippet"]["S"], "sentiment": i.get("sentiment", {}).get("S", "unknown")}
        for i in found.get("Items") or ()
    ]
