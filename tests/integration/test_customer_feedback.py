"""POST /feedback and the retry path against moto, with a fake Comprehend (moto's answers are
canned): real sentences, personal data redacted before storage, Comprehend failing."""

from __future__ import annotations

import json
import re

import boto3
import pytest

from herald.domain.feedback import Analysis, Sentiment
from tests.builders import tap_bus
from tests.integration.apigw import APPROVER, Api, call

NEGATIVE = ("never", "late", "rude", "broken", "twice", "damaged", "unhappy")
NAMES = ("Ann Lee", "Bob")


def fake_comprehend(text: str) -> Analysis:
    """What Comprehend would say, computed from the text: PII offsets are real offsets."""
    pii = []
    for name in NAMES:
        for m in re.finditer(re.escape(name), text):
            pii.append((m.start(), m.end(), "NAME"))
    for m in re.finditer(r"[\w.]+@[\w.]+", text):
        pii.append((m.start(), m.end(), "EMAIL"))
    negative = any(w in text.lower() for w in NEGATIVE)
    sentiment = Sentiment.NEGATIVE if negative else Sentiment.POSITIVE
    scores = (
        {"negative": 0.9, "positive": 0.05} if negative else {"negative": 0.05, "positive": 0.9}
    )
    return Analysis(
        "en", sentiment, scores, ("the delivery",) if "deliver" in text else (), tuple(pii)
    )


def failing_comprehend(text: str) -> Analysis:
    from herald.aws.comprehend import ComprehendUnavailable

    raise ComprehendUnavailable("ThrottlingException")


@pytest.fixture
def bus_tap(demo_data) -> str:
    return tap_bus(
        demo_data.environment()["EVENT_BUS_NAME"],
        {"detail-type": ["feedback.received"]},
        queue="feedback-tap",
    )


def _received(url: str) -> list[dict]:
    found = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in found.get("Messages", [])]


def _stored_items(environment: dict) -> str:
    """Every item of every table, as text (to look for personal data)."""
    ddb = boto3.client("dynamodb")
    return json.dumps(
        [ddb.scan(TableName=v)["Items"] for k, v in environment.items() if k.endswith("_TABLE")]
    )


def test_feedback_is_redacted_before_storage_and_published_with_topics(bus_tap, demo_data):
    from herald.service import customer_feedback

    # Given Ann's chat message naming herself and her email
    body = {
        "customer_id": "c-ann",
        "channel": "chat",
        "text": "I am Ann Lee (ann.lee@example.com). My parcel never arrived, the courier lied.",
        "rating": 1,
        "ref": "chat-1",
    }
    # When it is submitted
    answer = customer_feedback.submit(body, analyse=fake_comprehend)
    # Then it is negative, about delivery, and nothing stored carries the name or the address
    assert answer["sentiment"] == "negative" and answer["topics"] == ["delivery"]
    stored = _stored_items(demo_data.environment())
    assert "ann.lee@example.com" not in stored and "Ann Lee" not in stored
    record = json.loads(
        boto3.client("dynamodb").get_item(
            TableName=demo_data.environment()["MESSAGES_TABLE"],
            Key={"pk": {"S": f"feedback#{answer['feedback_id']}"}},
        )["Item"]["doc"]["S"]
    )
    assert record["text"].startswith("I am [NAME] ([EMAIL]). My parcel never arrived")
    # And feedback.received goes on the bus with what rules need, no text
    (event,) = _received(bus_tap)
    detail = event["detail"]
    assert {k: detail[k] for k in ("sentiment", "topics", "language", "rating", "channel")} == {
        "sentiment": "negative",
        "topics": ["delivery"],
        "language": "en",
        "rating": 1.0,
        "channel": "chat",
    }
    assert detail["scores"]["negative"] == 0.9 and "text" not in detail
    # And a resubmission (same ref) is recognised, not counted or published again
    assert customer_feedback.submit(body, analyse=fake_comprehend)["duplicate"] is True
    assert _received(bus_tap) == []


def test_comprehend_failing_still_publishes_unknown_and_the_retry_re_enriches(bus_tap, demo_data):
    from herald.service import customer_feedback

    env = demo_data.environment()
    # Given Comprehend throttled
    body = {
        "customer_id": "c-ann",
        "channel": "email",
        "text": "Mail me at ann.lee@example.com: the delivery was late.",
    }
    answer = customer_feedback.submit(body, analyse=failing_comprehend)
    # Then the event goes out with sentiment unknown, the address redacted by pattern
    assert answer["sentiment"] == "unknown" and answer["enriched"] is False
    (event,) = _received(bus_tap)
    assert event["detail"]["sentiment"] == "unknown"
    assert "ann.lee@example.com" not in _stored_items(env)
    # And the retry queue holds one record for later (delayed: Comprehend needs time)
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=env["FEEDBACK_RETRY_QUEUE_URL"], AttributeNames=["All"]
    )["Attributes"]
    assert int(attributes["ApproximateNumberOfMessagesDelayed"]) == 1
    # When the retry runs with Comprehend back
    detail = customer_feedback.retry(answer["feedback_id"], analyse=fake_comprehend)
    # Then the feedback is enriched and published again
    assert detail["sentiment"] == "negative" and detail["re_enriched"] is True
    assert detail["topics"] == ["delivery"]
    (again,) = _received(bus_tap)
    assert again["detail"]["sentiment"] == "negative"
    # And a second retry does nothing
    assert customer_feedback.retry(answer["feedback_id"], analyse=fake_comprehend) is None


def test_long_text_is_truncated_at_a_sentence_and_marked(demo_data):
    from herald.service import customer_feedback

    text = "The delivery was late again. " * 250
    answer = customer_feedback.submit(
        {"customer_id": "c-bob", "channel": "review", "text": text}, analyse=fake_comprehend
    )
    assert answer["truncated"] is True


def test_post_feedback_over_http_and_the_topics_report(demo_data, lambda_context, monkeypatch):
    from functions.admin import app as admin_app
    from functions.customer_feedback import app
    from herald.aws import comprehend

    monkeypatch.setattr(comprehend, "analyse", fake_comprehend)
    for i, text in enumerate(
        [
            "My parcel never arrived.",
            "Delivery was quick, thank you Bob!",
            "I was charged twice for one order.",
        ]
    ):
        status, body = call(
            app.lambda_handler,
            lambda_context,
            "POST",
            "/feedback",
            {"customer_id": "c-ann", "channel": "survey", "text": text, "ref": f"s-{i}"},
            user=None,
            resource="/feedback",
        )
        assert status == 200, body
    admin = Api(admin_app.lambda_handler, lambda_context)
    status, report = admin("GET", "/admin/feedback/topics", user=APPROVER)
    assert status == 200, report
    rows = {r["topic"]: r for r in report["topics"]}
    assert rows["delivery"]["count"] == 2 and rows["delivery"]["negative_share"] == 0.5
    assert rows["billing"]["count"] == 1
    snippets = [s["text"] for s in rows["delivery"]["snippets"]]
    assert "Delivery was quick, thank you [NAME]!" in snippets  # redacted


def test_negative_delivery_feedback_from_a_gold_customer_routes_high_and_alerts(
    demo_data, lambda_context
):
    """The example rule acts on feedback.received."""
    from functions.decide import app as decide_app
    from tests.conftest import eventbridge

    detail = {"sentiment": "negative", "topics": ["delivery"], "channel": "chat", "rating": 1}
    decide_app.lambda_handler(
        eventbridge("feedback.received", "c-ann", "fb-1", **detail), lambda_context
    )
    env = demo_data.environment()
    # `herald routes tail` shows it as an agent's tool would (peeking: it stays on the queue)
    from herald_dev import routes as routes_cli

    lines: list[str] = []
    assert routes_cli.tail({"high": env["ROUTE_HIGH_QUEUE_URL"]}, echo=lines.append) == 1
    assert "vip-care" in lines[0] and "c-ann tier gold value 1840" in lines[0]
    assert "negative about delivery" in lines[0]
    found = (
        boto3.client("sqs")
        .receive_message(QueueUrl=env["ROUTE_HIGH_QUEUE_URL"])
        .get("Messages", [])
    )
    routes = [json.loads(m["Body"]) for m in found]
    assert [r["queue"] for r in routes] == ["vip-care"]
    assert routes[0]["reason"] == "negative delivery feedback from a gold customer"
    # And the message keeps its documented contract: customer summary, sentiment, topics, SLA
    route = routes[0]
    assert _route_contract_errors(route) == []
    assert route["customer"]["tier"] == "gold" and route["customer"]["value"] == 1840
    assert (route["sentiment"], route["topics"]) == ("negative", ["delivery"])
    assert route["sla_deadline"] > route["created_at"]


def _route_contract_errors(message: dict) -> list[str]:
    from jsonschema import Draft202012Validator

    from tests.conftest import REPO

    schema = json.loads((REPO / "events/schemas/route.message.schema.json").read_text())
    return [e.message for e in Draft202012Validator(schema).iter_errors(message)]


def test_the_route_contract_refuses_a_message_without_its_summary_or_sla():
    from datetime import UTC, datetime

    from herald.domain import route

    message = route.route_message(
        route_id="e-1:r-1",
        queue="customer-care",
        priority="normal",
        reason="complaint",
        event_name="feedback.complaint",
        event_id="e-1",
        detail={"customer_id": "c-1"},
        summary=route.customer_summary(None, "c-1", []),
        now=datetime(2026, 11, 24, 14, 0, tzinfo=UTC),
    )
    assert _route_contract_errors(message) == []
    assert message["sla_deadline"] == "2026-11-25T14:00:00.000Z"  # normal: 24 hours
    assert _route_contract_errors({k: v for k, v in message.items() if k != "sla_deadline"})
    assert _route_contract_errors({**message, "customer": {"customer_id": "c-1"}})


def test_raw_feedback_reaches_the_feedback_function_and_never_the_rules():
    from herald_dev.local import template as tpl

    resources = tpl.load()["Resources"]
    decide = resources["DecideFunction"]["Properties"]["Events"]["CustomerEvents"]
    feedback = resources["CustomerFeedbackFunction"]["Properties"]["Events"]["FeedbackSubmitted"]
    assert decide["Properties"]["Pattern"]["detail-type"] == [
        {"anything-but": ["feedback.submitted"]}
    ]
    assert feedback["Properties"]["Pattern"]["detail-type"] == ["feedback.submitted"]
