"""Delivery feedback → suppression: SES bounces and complaints (SNS), SMS opt-outs (hourly sync)."""

from __future__ import annotations

import json

import pytest

from tests.builders import stored_trace
from tests.conftest import REPO, eventbridge

FIXTURES = REPO / "tests" / "events" / "feedback"


def sns_event(*messages: str) -> dict:
    """An SNS → Lambda event, one record per notification (as SES publishes to the topic)."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:ses-events:sub",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": f"sns-{i}",
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-events",
                    "Subject": None,
                    "Message": message,
                    "Timestamp": "2026-11-24T14:05:01.000Z",
                    "SignatureVersion": "1",
                    "Signature": "",
                    "SigningCertUrl": "",
                    "UnsubscribeUrl": "",
                    "MessageAttributes": {},
                },
            }
            for i, message in enumerate(messages)
        ]
    }


SCHEDULED = {
    "version": "0",
    "id": "sched-1",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-11-24T15:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/herald-sms-opt-out-sync"],
    "detail": {},
}


@pytest.fixture
def people(aws):
    from herald.dal import customers
    from herald.domain.customer import parse_customer
    from herald_dev import faults

    faults.seed_catalog()
    for doc in (
        {"customer_id": "c-ann", "email": "ann@example.com", "phone": "+447700900149",
         "consent": {"email": True, "sms": True}},
        {"customer_id": "c-ann-2", "email": "ANN@example.com", "consent": {"email": True}},
        {"customer_id": "c-bob", "email": "bob@example.com", "phone": "+14155550199",
         "consent": {"email": True, "sms": True}},
    ):  # fmt: skip
        customers.upsert(parse_customer(doc))
    return aws


def suppressed(customer_id: str) -> dict:
    from herald.dal import customers

    return customers.get(customer_id).suppressed


def test_a_permanent_bounce_suppresses_the_address_for_every_customer_using_it(
    people, handlers, lambda_context
):
    # Given SES reports a permanent bounce for Ann@Example.com
    message = (FIXTURES / "ses-bounce-permanent.json").read_text()
    # When the feedback function gets the SNS notification
    result = handlers.feedback.lambda_handler(sns_event(message), lambda_context)
    # Then the address is on the suppression list and both profiles using it are flagged
    from herald.dal import customers

    assert result == {"suppressed": 1, "rejected": 0}
    assert customers.suppression_reason("ann@example.com") == "bounce"
    assert suppressed("c-ann") == {"email": "bounce"}
    assert suppressed("c-ann-2") == {"email": "bounce"}
    assert suppressed("c-bob") == {}


def test_a_complaint_suppresses_the_address(people, handlers, lambda_context):
    message = (FIXTURES / "ses-complaint.json").read_text()
    handlers.feedback.lambda_handler(sns_event(message), lambda_context)
    assert suppressed("c-ann") == {"email": "complaint"}


def test_a_transient_bounce_suppresses_nothing(people, handlers, lambda_context):
    message = (FIXTURES / "ses-bounce-transient.json").read_text()
    result = handlers.feedback.lambda_handler(sns_event(message), lambda_context)
    assert result == {"suppressed": 0, "rejected": 0}
    assert suppressed("c-ann") == {}


def test_deliveries_and_junk_are_ignored_without_failing_the_batch(
    people, handlers, lambda_context
):
    # Given a delivery event, a non-JSON message and a JSON array next to a real bounce
    bounce = (FIXTURES / "ses-bounce-permanent.json").read_text()
    delivery = json.dumps({"eventType": "Delivery", "mail": {}, "delivery": {}})
    event = sns_event(delivery, "not json", "[1, 2]", bounce)
    # When they arrive in one invocation
    result = handlers.feedback.lambda_handler(event, lambda_context)
    # Then the bounce is applied and the two bad ones are counted, not raised
    assert result == {"suppressed": 1, "rejected": 2}
    # And an event of another kind is refused with its reason, not a KeyError
    refused = handlers.feedback.lambda_handler({"unexpected": True}, lambda_context)
    assert refused == {
        "status": "refused",
        "reason": "expected a sns/eventbridge event, got unknown",
    }


def test_the_hourly_sync_copies_sms_opt_outs_and_the_next_sms_is_suppressed(
    people, handlers, lambda_context, clock
):
    # Given +447700900149 (Ann) replied STOP: SNS lists it as opted out
    # When the scheduled sync runs (twice: the second run finds nothing new)
    first = handlers.feedback.lambda_handler(SCHEDULED, lambda_context)
    again = handlers.feedback.lambda_handler(SCHEDULED, lambda_context)
    # Then Ann's number is suppressed for SMS, and a later SMS says why it wasn't sent
    assert first["sms_opt_outs_added"] >= 1 and again == {"sms_opt_outs_added": 0}
    assert suppressed("c-ann") == {"sms": "sms opt-out"}
    result = handlers.decide.lambda_handler(
        eventbridge("fault.shipped", "c-ann", "ship-1", sku="A1"), lambda_context
    )
    assert result["queued"] == []
    (action,) = stored_trace("c-ann", "ship-1")["actions"]
    assert (action["outcome"], action["reason"]) == ("suppressed", "suppressed: sms opt-out")
