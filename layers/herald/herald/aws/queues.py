"""SQS: the send queue, the route queues and the dead-letter queues."""

from __future__ import annotations

import json

from herald.aws.clients import client

MAX_REASON_CHARS = 1000
REASON_ATTRIBUTE = "herald_reason"


def send_request(message_id: str, customer_id: str) -> str:
    """The body of a send-queue record (also the Scheduler's target input)."""
    return json.dumps({"message_id": message_id, "customer_id": customer_id})


def put(queue_url: str, body: str) -> None:
    client("sqs").send_message(QueueUrl=queue_url, MessageBody=body)


def put_json(queue_url: str, doc: dict) -> None:
    put(queue_url, json.dumps(doc, default=str))


def park(queue_url: str, body: str, reason: str) -> None:
    """Put a record on a dead-letter queue with the reason it is there (``herald_reason``)."""
    client("sqs").send_message(
        QueueUrl=queue_url,
        MessageBody=body,
        MessageAttributes={
            REASON_ATTRIBUTE: {"DataType": "String", "StringValue": reason[:MAX_REASON_CHARS]}
        },
    )


SEND_BATCH = 10  # SendMessageBatch takes at most 10 entries


def put_batch(queue_url: str, bodies: list[tuple[str, str]]) -> list[str]:
    """Send ``(entry id, body)`` pairs in batches of 10; return the ids SQS refused (the
    caller retries them: a failed entry is not an exception)."""
    failed: list[str] = []
    sqs = client("sqs")
    for start in range(0, len(bodies), SEND_BATCH):
        chunk = bodies[start : start + SEND_BATCH]
        answer = sqs.send_message_batch(
            QueueUrl=queue_url, Entries=[{"Id": i, "MessageBody": b} for i, b in chunk]
        )
        failed += [f["Id"] for f in answer.get("Failed", ())]
    return failed
