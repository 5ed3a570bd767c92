"""decide → send end to end against moto, with every resource built from template.yaml."""

from __future__ import annotations

import json
from pathlib import Path

import boto3

from tests.builders import stored_trace
from tests.conftest import REPO, drain_send_queue, eventbridge, push_sent, ses_sent, sms_sent


def replay_demo(handlers, context) -> list[dict]:
    results = []
    for path in sorted((REPO / "events" / "demo").glob("*.json")):
        results.append(handlers.decide.lambda_handler(json.loads(path.read_text()), context))
    drain_send_queue(handlers, context)
    return results


def test_the_demo_events_produce_exactly_the_expected_messages(
    demo_data, handlers, lambda_context, clock
):
    # Given the example rules and customers, at 14:00 UTC (23:00 for Dana in Tokyo)
    # When the demo events are replayed through decide and the send queue is drained
    results = replay_demo(handlers, lambda_context)

    # Then exactly these messages reached SES and SNS
    emails = sorted((m["to"], m["subject"]) for m in ses_sent())
    assert emails == [
        ("ann@example.com", "Ann, la livraison de votre panier est offerte"),
        ("fay@example.com", "Welcome to Northwind, Fay!"),
    ]
    assert sms_sent() == [
        (
            "+14155550123",
            "Northwind: order NW-1042 has shipped. Track it: https://t.example.com/NW-1042",
        )
    ]
    pushes = push_sent()
    assert [
        (token, json.loads(p["GCM"])["fcmV1Message"]["message"]["notification"])
        for token, p in pushes
    ] == [
        (
            "fcm-token-bob-0001",
            {"title": "Still thinking it over?", "body": "Your cart (1 items) is saved for you."},
        )
    ]
    # Eve has no email consent; Dana's back-in-stock push waits for the morning in Tokyo
    statuses = {r["event_id"]: r["status"] for r in results}
    assert statuses["evt-cart-ann"] == "replay"  # 08 redelivers 03
    assert results[5]["deferred"] and not results[5]["queued"]


def test_a_redelivered_event_sends_nothing_new(demo_data, handlers, lambda_context, clock):
    envelope = json.loads((REPO / "events/demo/03-cart-ann.json").read_text())
    first = handlers.decide.lambda_handler(envelope, lambda_context)
    drain_send_queue(handlers, lambda_context)
    for _ in range(3):
        again = handlers.decide.lambda_handler(envelope, lambda_context)
        assert again["status"] == "replay"
        drain_send_queue(handlers, lambda_context)
    assert len(ses_sent()) == 1
    assert len(first["queued"]) == 1 and again["queued"] == []  # already sent: nothing re-queued


def test_a_replay_finishes_a_message_a_crash_left_queued(
    demo_data, handlers, lambda_context, clock
):
    # Given a first attempt that wrote the decision but died before enqueueing (queue purged)
    envelope = json.loads((REPO / "events/demo/01-signup-fay.json").read_text())
    handlers.decide.lambda_handler(envelope, lambda_context)
    sqs = boto3.client("sqs")
    from herald.settings import settings

    sqs.purge_queue(QueueUrl=settings().send_queue_url)
    # When EventBridge retries the event
    handlers.decide.lambda_handler(envelope, lambda_context)
    drain_send_queue(handlers, lambda_context)
    # Then the message goes out once
    assert [m["to"] for m in ses_sent()] == ["fay@example.com"]


def test_a_redelivered_queue_record_is_not_sent_twice(demo_data, handlers, lambda_context, clock):
    from herald.settings import settings

    handlers.decide.lambda_handler(
        eventbridge("order.shipped", "c-chen", "ship-1", order_id="A1", tracking_url="u"),
        lambda_context,
    )
    sqs = boto3.client("sqs")
    body = sqs.receive_message(QueueUrl=settings().send_queue_url)["Messages"][0]["Body"]
    for _ in range(3):
        sqs.send_message(QueueUrl=settings().send_queue_url, MessageBody=body)
    drain_send_queue(handlers, lambda_context)
    assert len(sms_sent()) == 1


def test_every_event_leaves_a_trace_and_messages_record_their_status(
    demo_data, handlers, lambda_context, clock
):
    from herald.dal import records
    from herald.domain.message import Message

    replay_demo(handlers, lambda_context)
    eve = stored_trace("c-eve", "evt-signup-eve")
    assert (
        eve["actions"][0]["outcome"] == "suppressed"
        and eve["actions"][0]["reason"] == "no email consent"
    )
    timeline = records.timeline("c-ann")
    message = next(t for t in timeline if isinstance(t, Message))
    assert (message.status, message.rule_id, message.content_version) == (
        "sent",
        "cart-abandoned-gold",
        1,
    )
    assert message.provider_id
    dana = stored_trace("c-dana", "evt-stock-dana")["actions"][0]
    assert dana["outcome"] == "deferred" and "Asia/Tokyo" in dana["reason"]


def test_email_is_multipart_with_one_click_unsubscribe_headers(
    demo_data, handlers, lambda_context, clock
):
    handlers.decide.lambda_handler(
        eventbridge("customer.signed_up", "c-fay", "signup-2"), lambda_context
    )
    drain_send_queue(handlers, lambda_context)
    mime = ses_sent()[0]["mime"]
    assert mime.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mime.iter_parts()] == ["text/plain", "text/html"]
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mime["List-Unsubscribe"].startswith("<https://") and "/u/" in mime["List-Unsubscribe"]
    assert mime["X-Herald-Message-Id"]
    assert "Unsubscribe: https://" in mime.get_body(("plain",)).get_content()


def test_routes_and_alerts_reach_their_queue_and_topic(demo_data, handlers, lambda_context, clock):
    from herald.settings import settings

    sqs = boto3.client("sqs")
    topic = settings().alerts_topic_arn
    inbox = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    boto3.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)

    handlers.decide.lambda_handler(
        eventbridge("feedback.complaint", "c-dana", "cmp-1", text="broken"), lambda_context
    )
    handlers.decide.lambda_handler(
        eventbridge("feedback.complaint", "c-chen", "cmp-2", text="late"), lambda_context
    )

    high = sqs.receive_message(QueueUrl=settings().route_high_queue_url)["Messages"]
    normal = sqs.receive_message(QueueUrl=settings().route_queue_url)["Messages"]
    assert [json.loads(m["Body"])["customer_id"] for m in high] == ["c-dana"]
    assert json.loads(high[0]["Body"])["queue"] == "vip-care"
    assert [json.loads(m["Body"])["queue"] for m in normal] == ["customer-care"]
    alerts = sqs.receive_message(QueueUrl=inbox)["Messages"]
    assert "A top-tier customer filed a complaint" in alerts[0]["Body"]


def test_update_profile_changes_what_later_rules_see(demo_data, handlers, lambda_context, clock):
    from herald.dal import customers

    handlers.decide.lambda_handler(
        eventbridge("customer.signed_up", "c-bob", "signup-bob"), lambda_context
    )
    bob = customers.get("c-bob")
    assert bob.profile.attributes["welcomed"] is True
    assert bob.profile.attributes["tier"] == "silver"  # the rest is kept


def test_a_malformed_event_is_parked_with_its_reason_not_retried(aws, handlers, lambda_context):
    from herald.settings import settings

    envelope = json.loads(Path(REPO / "events/decide/malformed-no-customer.json").read_text())
    result = handlers.decide.lambda_handler(envelope, lambda_context)
    assert result["status"] == "rejected"
    parked = boto3.client("sqs").receive_message(
        QueueUrl=settings().decide_dlq_url, MessageAttributeNames=["All"]
    )["Messages"][0]
    assert "customer_id" in parked["MessageAttributes"]["herald_reason"]["StringValue"]
    assert json.loads(parked["Body"])["id"] == "bad-0001"


def test_send_rechecks_under_the_policy_decide_applied(demo_data, handlers, lambda_context, clock):
    # Given a policy that doesn't require consent, and Eve, who never gave email consent
    from herald.dal import contact_policy
    from herald.domain.policy import DEFAULT_POLICY

    contact_policy.put({**DEFAULT_POLICY, "consent_required": False}, "approver")
    # When she signs up
    handlers.decide.lambda_handler(
        eventbridge("customer.signed_up", "c-eve", "signup-eve-2"), lambda_context
    )
    drain_send_queue(handlers, lambda_context)
    # Then decide queued the welcome and send, applying the same policy, delivered it
    assert [m["to"] for m in ses_sent()] == ["eve@example.com"]
