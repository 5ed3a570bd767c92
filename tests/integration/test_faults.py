"""Exactly once under faults and redelivery: throttling and 5xx injected into DynamoDB, SQS,
SES and SNS calls (botocore hooks, seeded), EventBridge-style retries of decide, SQS partial
batch responses for send. Every message decided is sent exactly once or parked with a reason."""

from __future__ import annotations

import json

import boto3

from tests.conftest import drain_send_queue, eventbridge, ses_sent, sms_sent


def test_a_thousand_events_under_faults_lose_nothing_and_send_nothing_twice(aws):
    from herald_dev import faults

    # Given 15% of HTTP attempts and 3% of whole calls (beyond botocore's retries) failing
    # When 1,000 events (plus 5% exact redeliveries) go through decide and send
    report = faults.run(aws, events=1000, rate=0.15, exhausted_rate=0.03, seed=7, redrive=True)
    # Then every message decided queued or deferred was sent exactly once or parked with a reason
    assert report.events >= 1000
    assert report.injected["attempts_failed"] > 1000 and report.injected["calls_failed"] > 100
    assert report.decide_invocations > report.events  # EventBridge-style retries happened
    assert report.outgoing > 900
    assert report.lost == []
    assert report.duplicated == {}
    assert report.dlq_without_reason == 0
    assert report.sent + report.parked + report.refused == report.outgoing
    # And once the faults are gone, re-driving the DLQs finishes the job, still exactly once
    assert report.after_redrive["lost"] == 0 and report.after_redrive["duplicated"] == 0
    assert report.after_redrive["sent"] + report.after_redrive["parked"] == report.outgoing


def test_replaying_an_event_many_times_sends_once(aws, handlers, lambda_context, clock):
    from herald.dal import customers
    from herald.domain.customer import parse_customer
    from herald_dev import faults

    faults.seed_catalog()
    customers.upsert(
        parse_customer({"customer_id": "c-1", "phone": "+14155550100", "consent": {"sms": True}})
    )
    envelope = eventbridge("fault.shipped", "c-1", "ship-1", sku="A1")
    for _ in range(5):
        handlers.decide.lambda_handler(envelope, lambda_context)
        drain_send_queue(handlers, lambda_context)
    assert len(sms_sent()) == 1


def test_a_queue_record_delivered_many_times_sends_once(aws, handlers, lambda_context, clock):
    from herald.dal import customers
    from herald.domain.customer import parse_customer
    from herald.settings import settings
    from herald_dev import faults

    faults.seed_catalog()
    customers.upsert(
        parse_customer({"customer_id": "c-1", "email": "a@example.com", "consent": {"email": True}})
    )
    handlers.decide.lambda_handler(eventbridge("fault.signup", "c-1", "signup-1"), lambda_context)
    sqs = boto3.client("sqs")
    body = sqs.receive_message(QueueUrl=settings().send_queue_url)["Messages"][0]["Body"]
    for _ in range(6):
        sqs.send_message(QueueUrl=settings().send_queue_url, MessageBody=body)
    drain_send_queue(handlers, lambda_context)
    assert len(ses_sent()) == 1


def test_a_record_that_keeps_failing_is_parked_with_its_reason_and_redrive_sends_it_once(
    aws, handlers, lambda_context, clock
):
    from herald.dal import customers, records
    from herald.domain.customer import parse_customer
    from herald.settings import settings
    from herald_dev import dlq, faults

    # Given SES throttles every call, beyond botocore's retries
    faults.seed_catalog()
    customers.upsert(
        parse_customer({"customer_id": "c-1", "email": "a@example.com", "consent": {"email": True}})
    )
    result = handlers.decide.lambda_handler(
        eventbridge("fault.signup", "c-1", "signup-1"), lambda_context
    )
    injector = faults.FaultInjector(0.0, exhausted_rate=1.0, services=("sesv2",)).install()
    try:
        pipeline = faults.Pipeline(aws, injector)
        # When the send queue is drained: retried SEND_MAX_ATTEMPTS times, then parked
        pipeline.pump_send()
    finally:
        injector.uninstall()
    (message_id,) = result["queued"]
    stored = records.get_message(message_id)
    assert stored.status == "queued" and stored.reason.startswith("parked on the send DLQ after 5")
    inspection = dlq.inspect(settings().send_dlq_url)
    (parked,) = inspection.records
    assert json.loads(parked.body)["message_id"] == message_id
    assert "TooManyRequestsException" in parked.reason
    assert inspection.reasons() == {parked.reason[:80]: 1}
    # When the DLQ is re-driven (twice: the second finds nothing) and the queue drained
    lines = []
    moved = dlq.redrive(settings().send_dlq_url, settings().send_queue_url, echo=lines.append)
    again = dlq.redrive(
        settings().send_dlq_url, settings().send_queue_url, max=5, echo=lines.append
    )
    drain_send_queue(handlers, lambda_context)
    # Then it is sent, once
    assert (moved.moved, moved.failed, moved.remaining, again.moved) == (1, 0, 0, 0)
    assert lines and records.get_message(message_id).status == "sent"
    assert len(ses_sent()) == 1


def test_the_fault_accounting_catches_a_loss_a_duplicate_a_park_and_a_refusal(aws, clock):
    """The fault test trusts ``faults.account``: here it must find what was planted."""
    from herald.dal import records
    from herald.domain.message import MessageStatus
    from herald.service import dead_letters, send
    from herald.settings import settings
    from herald_dev import faults
    from tests.builders import decide_envelope

    # Given five marketing emails decided and queued
    faults.seed_catalog()
    people = faults.seed_customers(5)
    queued = [
        decide_envelope(eventbridge("fault.cart", who, f"acc-{i}", sku="s")).queued[0]
        for i, who in enumerate(people)
    ]
    sent_once, sent_twice, lost, parked, refused = queued
    # ... one sent once, one sent twice (a second send after it was marked sent), one left
    # queued with no trace of why, one parked on the send DLQ with a reason, one failed
    send.handle(sent_once)
    send.handle(sent_twice)
    message = records.get_message(sent_twice)
    records.transition(message, MessageStatus.QUEUED, allowed_from={MessageStatus.SENT})
    send.handle(sent_twice)
    dead_letters.park(
        settings().send_dlq_url, json.dumps({"message_id": parked}), "gave up: throttled"
    )
    message = records.get_message(refused)
    records.transition(
        message, MessageStatus.FAILED, allowed_from={MessageStatus.QUEUED}, reason="bad address"
    )
    # When the harness accounts for them
    report = faults.FaultReport(events=5, distinct_events=5, rate=0, exhausted_rate=0, injected={})
    faults.account(report)
    # Then each is where it was put, and the loss and the duplicate are reported
    assert report.outgoing == 5
    assert (report.sent, report.parked, report.refused) == (1, 1, 1)
    assert report.duplicated == {sent_twice: 2}
    assert [entry["message_id"] for entry in report.lost] == [lost]
    assert report.figures()["faults_lost"] == 1 and report.figures()["faults_duplicated"] == 1
