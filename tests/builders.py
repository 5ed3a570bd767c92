"""Domain objects for tests, from the documents tests find easiest to write."""

from __future__ import annotations

from herald.domain.customer import PROFILE_FIELDS, Contact, CustomerState, stored_customer


def customer_state(doc: dict) -> CustomerState:
    """A stored customer from a profile document plus ``suppressed``/``contact_log``/``rev``."""
    profile = stored_customer({k: doc[k] for k in PROFILE_FIELDS if k in doc}, doc["customer_id"])
    return CustomerState(
        profile=profile,
        contact_log=tuple(Contact(channel, at) for channel, at in doc.get("contact_log") or ()),
        suppressed=dict(doc.get("suppressed") or {}),
        revision=int(doc.get("rev") or 0),
    )


def stored_trace(customer_id: str, event_id: str) -> dict:
    """The stored decision trace of a customer's event, as the API shows it."""
    from herald.dal import records

    trace = records.get_trace(customer_id, event_id)
    assert trace is not None, f"no trace for {customer_id}/{event_id}"
    return trace.to_doc()


def decide_envelope(envelope: dict, now=None):
    """The decide service on an EventBridge envelope (its Outcome), as the handler calls it."""
    from herald.domain.event import from_envelope
    from herald.service import decide

    return decide.handle(from_envelope(envelope), now)


def tap_bus(bus: str, pattern: dict, queue: str = "bus-tap") -> str:
    """An SQS queue that receives what ``pattern`` matches on ``bus``; returns its URL."""
    import json

    import boto3

    sqs, events = boto3.client("sqs"), boto3.client("events")
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name=queue, EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=queue, EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    return url
