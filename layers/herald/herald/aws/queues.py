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
