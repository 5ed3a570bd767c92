"""Delivery feedback → suppression: SES bounces and complaints (EventBridge), SMS opt-outs
(hourly sync)."""

from __future__ import annotations

import json

import pytest

from tests.builders import stored_trace
from tests.conftest import REPO, eventbridge

SES = REPO / "events" / "ses"


def ses(name: str) -> dict:
    """An SES event as EventBridge delivers it (events/ses/<name>.json)."""
    return json.loads((SES / f"{name}.json").read_text())


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
    # When the feedback function gets the EventBridge event
    result = handlers.feedback.lambda_handler(ses("bounce-permanent"), lambda_context)
    # Then the address is on the suppression list and both profiles using it are flagged
    from herald.dal import customers

    assert result["suppressed"] == 2  # the customers flagged: c-ann and c-ann-2
    assert customers.suppression_reason("ann@example.com") == "bounce"
    assert suppressed("c-ann") == {"email": "bounce"}
    assert suppressed("c-ann-2") == {"email": "bounce"}
    assert suppressed("c-bob") == {}


def test_a_complaint_suppresses_the_address(people, handlers, lambda_context):
    handlers.feedback.lambda_handler(ses("complaint"), lambda_context)
    assert suppressed("c-ann") == {"email": "complaint"}


def test_a_transient_bounce_suppresses_nothing(people, handlers, lambda_context):
    result = handlers.feedback.lambda_handler(ses("bounce-transient"), lambda_context)
    assert result["suppressed"] == 0 and result["outcome"] == "soft_bounced"
    assert suppressed("c-ann") == {}


def test_deliveries_suppress_nothing_and_junk_is_parked_with_its_reason(
    people, handlers, lambda_context
):
    from herald.dal import customers
    from herald_dev import dlq

    # Given a delivery, an event that isn't SES's and one whose detail is not an object
    delivery = handlers.feedback.lambda_handler(ses("delivery"), lambda_context)
    foreign = {**ses("delivery"), "source": "com.example.other"}
    broken = {**ses("delivery"), "detail": "not an object"}
    # When they arrive, one invocation each (as EventBridge invokes)
    results = [handlers.feedback.lambda_handler(e, lambda_context) for e in (foreign, broken)]
    # Then the delivery suppressed nothing, and the bad ones were parked with their reasons
    assert delivery["suppressed"] == 0 and customers.suppression_reason("ann@example.com") is None
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    parked = dlq.inspect(handlers.stack.environment()["FEEDBACK_DLQ_URL"]).reasons()
    assert parked == {
        "not an SES event (source 'com.example.other')": 1,
        "the SES event has no detail object": 1,
    }
    # And an event of another kind is refused with its reason, not a KeyError
    refused = handlers.feedback.lambda_handler({"unexpected": True}, lambda_context)
    assert refused == {"status": "refused", "reason": "expected a eventbridge event, got unknown"}


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
