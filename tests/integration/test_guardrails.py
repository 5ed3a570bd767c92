"""Guardrails end to end against moto: caps under concurrency, deferral through EventBridge
Scheduler, suppression at decision and send time, disabled push endpoints, one-click
unsubscribe (RFC 8058) and the SMS STOP wording."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest

from tests.builders import decide_envelope, stored_trace
from tests.conftest import DEMO_NOW, eventbridge, push_sent, ses_sent, sms_sent, sqs_record

TOKYO_NIGHT = DEMO_NOW  # 14:00 UTC = 23:00 in Tokyo


def add_customer(customer_id: str, **fields) -> dict:
    from herald.dal import customers
    from herald.domain.customer import parse_customer

    doc = {
        "customer_id": customer_id,
        "email": f"{customer_id}@example.com",
        "phone": "+14155550100",
        "push": [{"platform": "fcm", "token": f"fcm-{customer_id}"}],
        "timezone": "Europe/Paris",
        "consent": {"email": True, "sms": True, "push": True},
        "attributes": {"first_name": "Ann"},
        **fields,
    }
    return customers.upsert(parse_customer(doc))


@pytest.fixture
def catalog(aws):
    """fault.cart → marketing email, fault.shipped → transactional SMS,
    fault.restock → marketing push, promo.sms → marketing SMS without STOP wording."""
    from herald_dev import faults

    faults.seed_catalog()
    faults.publish(
        [{"id": "promo-sms", "channels": {"sms": {"text": "Northwind: 20% off this weekend"}}}],
        [{"id": "promo-sms", "name": "SMS promo", "on": "promo.sms", "category": "marketing",
          "then": [{"send": {"channel": "sms", "content": "promo-sms"}}]}],
    )  # fmt: skip
    return aws


def trace_actions(customer_id: str, event_id: str) -> list[dict]:
    return [a for a in stored_trace(customer_id, event_id)["actions"] if a["kind"] == "send"]


def use_contact_log(customer_id: str, entries: list[list[str]]) -> None:
    from herald.dal import customers
    from herald.domain.customer import Contact, CustomerUpdate

    current = customers.get(customer_id)
    update = CustomerUpdate(contact_log=tuple(Contact(*e) for e in entries))
    customers.update(customer_id, current.revision, update)


def message(message_id: str):
    from herald.dal import records

    return records.get_message(message_id)


# --------------------------------------------------------------------------- caps


def test_the_cap_race_interleaved_deterministically(catalog, monkeypatch, clock):
    # Given the last slot under the email cap, and decision A reading the profile...
    from herald import engine
    from herald.domain.clock import iso

    add_customer("c-inter")
    use_contact_log("c-inter", [["email", iso(DEMO_NOW - timedelta(hours=h))] for h in (1, 2)])
    real_decide, interleaved = engine.decide, []

    def decide_then_let_b_commit(ruleset, event, customer, now, pol):
        decision = real_decide(ruleset, event, customer, now, pol)
        if event.event_id == "inter-a" and not interleaved:
            interleaved.append(True)  # ...then B decides and commits before A writes
            decide_envelope(eventbridge("fault.cart", "c-inter", "inter-b", sku="s"))
        return decision

    monkeypatch.setattr(engine, "decide", decide_then_let_b_commit)
    # When A writes
    a = decide_envelope(eventbridge("fault.cart", "c-inter", "inter-a", sku="s"))
    # Then A's write failed on the profile revision, A decided again and was capped
    assert a.queued == []
    assert trace_actions("c-inter", "inter-a")[0]["outcome"] == "capped"
    assert trace_actions("c-inter", "inter-b")[0]["outcome"] == "queued"


# --------------------------------------------------------------------------- deferral


def test_a_night_push_is_deferred_by_a_one_time_schedule_and_sent_when_it_fires(
    catalog, handlers, lambda_context, clock
):
    # Given a customer in Tokyo at 23:00 local
    from herald.settings import settings

    add_customer("c-tokyo", timezone="Asia/Tokyo")
    # When a marketing push is decided
    result = handlers.decide.lambda_handler(
        eventbridge("fault.restock", "c-tokyo", "restock-1", sku="s"), lambda_context
    )
    # Then it is deferred to 08:00 Tokyo (23:00 UTC) with a one-time schedule
    (message_id,) = result["deferred"]
    assert result["queued"] == []
    schedule = boto3.client("scheduler").get_schedule(
        Name=f"msg-{message_id}", GroupName=settings().scheduler_group
    )
    assert schedule["ScheduleExpression"] == "at(2026-11-24T23:00:00)"
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["Target"]["Arn"] == settings().send_queue_arn
    assert json.loads(schedule["Target"]["Input"]) == {
        "message_id": message_id,
        "customer_id": "c-tokyo",
    }
    assert message(message_id).status == "deferred"
    assert message(message_id).send_at == "2026-11-24T23:00:00.000Z"
    # When the schedule fires: Scheduler sends its Input to the send queue
    record = sqs_record(
        {"MessageId": "sched-1", "ReceiptHandle": "r", "Body": schedule["Target"]["Input"]},
        settings().send_queue_arn,
    )
    response = handlers.send.lambda_handler({"Records": [record]}, lambda_context)
    # Then the push is sent, once
    assert response == {"batchItemFailures": []}
    assert message(message_id).status == "sent"
    assert len(push_sent()) == 1
    handlers.send.lambda_handler({"Records": [record]}, lambda_context)  # fires twice
    assert len(push_sent()) == 1


# --------------------------------------------------------------------------- suppression


def test_a_suppressed_address_is_skipped_at_decision_with_the_reason(
    catalog, handlers, lambda_context, clock
):
    from herald.dal import customers

    add_customer("c-bounced")
    customers.suppress("c-bounced@example.com", "email", "bounce")
    result = handlers.decide.lambda_handler(
        eventbridge("fault.cart", "c-bounced", "cart-b", sku="s"), lambda_context
    )
    assert result["queued"] == []
    (action,) = trace_actions("c-bounced", "cart-b")
    assert (action["outcome"], action["reason"]) == ("suppressed", "suppressed: bounce")


def test_a_bounce_between_decision_and_send_stops_the_send(
    catalog, handlers, lambda_context, clock
):
    from herald.dal import customers
    from tests.conftest import drain_send_queue

    add_customer("c-late")
    result = handlers.decide.lambda_handler(
        eventbridge("fault.cart", "c-late", "cart-late", sku="s"), lambda_context
    )
    customers.suppress("c-late@example.com", "email", "complaint")  # arrives meanwhile
    drain_send_queue(handlers, lambda_context)
    stored = message(result["queued"][0])
    assert (stored.status, stored.reason) == ("suppressed", "suppressed: complaint")
    assert ses_sent() == []


def test_a_disabled_push_endpoint_is_marked_and_the_message_suppressed(
    catalog, handlers, lambda_context, clock
):
    from herald.dal import customers
    from herald.settings import settings
    from tests.conftest import drain_send_queue

    # Given a device whose endpoint APNs/FCM has disabled (the app was uninstalled)
    add_customer("c-gone", timezone="Europe/Paris")
    sns = boto3.client("sns")
    arn = sns.create_platform_endpoint(
        PlatformApplicationArn=settings().fcm_app_arn, Token="fcm-c-gone"
    )["EndpointArn"]
    sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})
    # When a push is decided and sent
    result = handlers.decide.lambda_handler(
        eventbridge("fault.restock", "c-gone", "restock-gone", sku="s"), lambda_context
    )
    drain_send_queue(handlers, lambda_context)
    # Then the message is suppressed with the reason, the device is marked, the endpoint listed
    stored = message(result["queued"][0])
    assert (stored.status, stored.reason) == ("suppressed", "push endpoint disabled")
    (device,) = customers.get("c-gone").profile.push
    assert device.disabled is True and device.endpoint_arn == arn
    assert customers.suppression_reason(arn) == "push endpoint disabled"
    assert push_sent() == []
    # And the next push decision skips the device with the reason
    handlers.decide.lambda_handler(
        eventbridge("fault.restock", "c-gone", "restock-gone-2", sku="s"), lambda_context
    )
    (action,) = trace_actions("c-gone", "restock-gone-2")
    assert (action["outcome"], action["reason"]) == ("suppressed", "no push address on the profile")


# --------------------------------------------------------------------------- unsubscribe


def api_event(method: str, token: str, body: str | None = None) -> dict:
    """An API Gateway REST proxy event for /u/{token}, as the public route receives it."""
    return {
        "resource": "/u/{token}",
        "path": f"/u/{token}",
        "httpMethod": method,
        "headers": {"Content-Type": "application/x-www-form-urlencoded"} if body else {},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"token": token},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/u/{token}",
            "httpMethod": method,
            "path": f"/dev/u/{token}",
            "stage": "dev",
            "requestId": "req-1",
            "identity": {"sourceIp": "203.0.113.9"},
        },
        "body": body,
        "isBase64Encoded": False,
    }


def test_a_marketing_email_unsubscribes_in_one_click_and_the_next_is_suppressed(
    catalog, handlers, lambda_context, clock
):
    from herald.dal import customers
    from tests.conftest import drain_send_queue

    # Given a marketing email sent to Ann
    add_customer("c-ann")
    handlers.decide.lambda_handler(
        eventbridge("fault.cart", "c-ann", "cart-1", sku="s"), lambda_context
    )
    drain_send_queue(handlers, lambda_context)
    (sent,) = ses_sent()
    # Then it carries both RFC 8058 headers, pointing at /u/<token>
    mime = sent["mime"]
    url = mime["List-Unsubscribe"].strip("<>")
    assert url.startswith("https://") and "/u/" in url
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = url.rsplit("/u/", 1)[1]
    # When her mail provider posts the one-click body
    response = handlers.unsubscribe.lambda_handler(
        api_event("POST", token, "List-Unsubscribe=One-Click"), lambda_context
    )
    # Then she is unsubscribed from email in that one request
    assert response["statusCode"] == 200
    assert "no longer receive" in response["body"]
    ann = customers.get("c-ann")
    assert ann.profile.consent["email"] is False and ann.profile.consent["sms"] is True
    assert ann.suppressed == {"email": "unsubscribed"}
    assert customers.suppression_reason("c-ann@example.com") == "unsubscribed"
    # And the next marketing email is suppressed, with the reason in the trace
    handlers.decide.lambda_handler(
        eventbridge("fault.cart", "c-ann", "cart-2", sku="s"), lambda_context
    )
    drain_send_queue(handlers, lambda_context)
    (action,) = trace_actions("c-ann", "cart-2")
    assert (action["outcome"], action["reason"]) == ("suppressed", "suppressed: unsubscribed")
    assert len(ses_sent()) == 1
    # And a second click is harmless
    again = handlers.unsubscribe.lambda_handler(
        api_event("POST", token, "List-Unsubscribe=One-Click"), lambda_context
    )
    assert again["statusCode"] == 200


def test_the_page_offers_channels_and_posts_the_choice(catalog, handlers, lambda_context):
    from herald import unsubscribe
    from herald.dal import customers

    add_customer("c-page")
    token = unsubscribe.url_for("c-page", "email").rsplit("/", 1)[1]
    page = handlers.unsubscribe.lambda_handler(api_event("GET", token), lambda_context)
    assert page["statusCode"] == 200
    assert page["multiValueHeaders"]["Content-Type"][0].startswith("text/html")
    assert 'value="email" checked' in page["body"] and 'value="sms"' in page["body"]
    assert '<form method="post"' in page["body"]
    done = handlers.unsubscribe.lambda_handler(
        api_event("POST", token, "channels=sms&channels=push"), lambda_context
    )
    assert done["statusCode"] == 200
    consent = customers.get("c-page").profile.consent
    assert consent == {"email": True, "sms": False, "push": False}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_tampered_or_garbled_token_is_forbidden(catalog, handlers, lambda_context, method):
    from herald import unsubscribe
    from herald.dal import customers

    add_customer("c-victim")
    token = unsubscribe.url_for("c-victim", "email").rsplit("/", 1)[1]
    forged = unsubscribe.sign("c-victim", "email", b"guessed-key")
    for bad in (token[:-3] + "xyz", forged, "garbage", token.split(".")[0]):
        body = "List-Unsubscribe=One-Click" if method == "POST" else None
        response = handlers.unsubscribe.lambda_handler(api_event(method, bad, body), lambda_context)
        assert response["statusCode"] == 403, bad
    assert customers.get("c-victim").profile.consent["email"] is True


# --------------------------------------------------------------------------- SMS wording


def test_a_marketing_sms_carries_the_stop_wording_when_the_content_lacks_it(
    catalog, handlers, lambda_context, clock
):
    from tests.conftest import drain_send_queue

    add_customer("c-sms")
    handlers.decide.lambda_handler(eventbridge("promo.sms", "c-sms", "promo-1"), lambda_context)
    handlers.decide.lambda_handler(
        eventbridge("fault.shipped", "c-sms", "ship-1", sku="A1"), lambda_context
    )
    drain_send_queue(handlers, lambda_context)
    promo, shipped = sorted(text for _phone, text in sms_sent())
    assert promo == "Northwind: 20% off this weekend Reply STOP to opt out."
    assert "STOP" not in shipped  # transactional: no marketing opt-out line


def test_marketing_caps_do_not_hold_back_transactional_messages(
    catalog, handlers, lambda_context, clock
):
    from tests.conftest import drain_send_queue

    add_customer("c-busy")
    for i in range(3):  # SMS cap is 1 per day for marketing
        handlers.decide.lambda_handler(eventbridge("promo.sms", "c-busy", f"p-{i}"), lambda_context)
        handlers.decide.lambda_handler(
            eventbridge("fault.shipped", "c-busy", f"s-{i}", sku=str(i)), lambda_context
        )
    drain_send_queue(handlers, lambda_context)
    assert sum("STOP" in text for _p, text in sms_sent()) == 1
    assert sum("Shipped" in text for _p, text in sms_sent()) == 3
    assert trace_actions("c-busy", "p-1")[0]["outcome"] == "capped"
