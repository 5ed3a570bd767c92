"""Bad input never crashes a handler into a retry loop: each case ends with a clear reason in
the decision trace, on the message, or on a dead-letter queue (``herald_reason``)."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.builders import stored_trace
from tests.conftest import drain_send_queue, eventbridge, ses_sent, sqs_record


@pytest.fixture
def catalog(aws):
    from herald.dal import customers
    from herald.domain.customer import parse_customer
    from herald_dev import faults

    faults.seed_catalog()
    faults.publish(
        [
            {"id": "big-cart", "channels": {"email": {
                "subject": "Hi {{ customer.attributes.first_name }}",
                "html": "<p>Hi {{ customer.attributes.first_name }}</p>",
                "text": "Hi {{ customer.attributes.first_name }}"}}},
            {"id": "loop", "channels": {"email": {
                "subject": "Loop",
                "text": "{% for i in (1..event.n) %}x{% endfor %}"}}},
        ],
        [
            {"id": "big-cart", "name": "Big carts", "on": "cart.big", "category": "marketing",
             "when": "event.cart_total >= 100",
             "then": [{"send": {"channel": "email", "content": "big-cart"}}]},
            {"id": "loop", "name": "Loop", "on": "loop.test", "category": "transactional",
             "then": [{"send": {"channel": "email", "content": "loop"}}]},
        ],
    )  # fmt: skip
    for doc in (
        {"customer_id": "c-ann", "email": "ann@example.com", "consent": {"email": True},
         "attributes": {"first_name": "Ann"}},
        {"customer_id": "c-nomail", "phone": "+14155550100", "consent": {"email": True, "sms": True}},
        {"customer_id": "c-evil", "email": "evil@example.com", "consent": {"email": True},
         "attributes": {"first_name": "<script>alert(1)</script>{{ 6 | times: 7 }}{% raw %}"}},
    ):  # fmt: skip
        customers.upsert(parse_customer(doc))
    return aws


def dead_letters(url_attr: str) -> list[tuple[str, str]]:
    """(body, herald_reason) of every record on a DLQ."""
    from herald.settings import settings
    from herald_dev import dlq

    parked = dlq.inspect(getattr(settings(), url_attr)).records
    return [(p.body, p.reason) for p in parked]


def actions(customer_id: str, event_id: str) -> list[dict]:
    return stored_trace(customer_id, event_id)["actions"]


# --------------------------------------------------------------------------- events


def test_an_event_without_customer_id_is_dead_lettered_with_the_reason(
    catalog, handlers, lambda_context
):
    envelope = eventbridge("fault.cart", "x", "e-1")
    del envelope["detail"]["customer_id"]
    result = handlers.decide.lambda_handler(envelope, lambda_context)
    assert result["status"] == "rejected"
    ((body, reason),) = dead_letters("decide_dlq_url")
    assert "customer_id" in reason and json.loads(body)["id"] == "eb-e-1"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda e: e["detail"].update(customer_id=42), "customer_id"),
        (lambda e: e.update(detail="not an object"), "detail"),
        (lambda e: e.update({"detail-type": ["cart"]}), "detail-type"),
        (lambda e: e["detail"].update(event_id={"nested": 1}) or e.pop("id"), "id"),
    ],
)
def test_events_with_wrong_types_are_dead_lettered(
    catalog, handlers, lambda_context, change, field
):
    envelope = eventbridge("fault.cart", "c-ann", "e-types")
    change(envelope)
    assert handlers.decide.lambda_handler(envelope, lambda_context)["status"] == "rejected"
    ((_body, reason),) = dead_letters("decide_dlq_url")
    assert field in reason


def test_a_field_of_the_wrong_type_in_a_condition_is_a_trace_error_not_a_crash(
    catalog, handlers, lambda_context, clock
):
    result = handlers.decide.lambda_handler(
        eventbridge("cart.big", "c-ann", "e-cond", cart_total="lots"), lambda_context
    )
    assert result["status"] == "decided" and result["queued"] == []
    # The rule was not evaluated, and the trace says why (zen's words: the comparison failed)
    (rule,) = stored_trace("c-ann", "e-cond")["rules"]
    assert rule["rule_id"] == "big-cart" and rule["matched"] is None
    assert "Unsupported type" in rule["error"] or "compare" in rule["error"].lower()


def test_an_unknown_event_name_leaves_a_trace_and_sends_nothing(
    catalog, handlers, lambda_context, clock
):
    result = handlers.decide.lambda_handler(
        eventbridge("no.such.event", "c-ann", "e-unk"), lambda_context
    )
    assert result == {"status": "decided", "event_id": "e-unk", "queued": [], "deferred": []}
    trace = stored_trace("c-ann", "e-unk")
    assert trace["rules"] == [] and trace["actions"] == []


def test_a_256_kb_payload_is_dead_lettered_not_retried(catalog, handlers, lambda_context):
    envelope = eventbridge("fault.cart", "c-ann", "e-big", blob="x" * 256 * 1024)
    result = handlers.decide.lambda_handler(envelope, lambda_context)
    assert result["status"] == "rejected"
    ((body, reason),) = dead_letters("decide_dlq_url")
    assert "larger than" in reason
    assert len(body.encode()) < 256 * 1024  # fits an SQS message


def test_invalid_utf8_in_strings_is_dead_lettered_with_the_reason(
    catalog, handlers, lambda_context
):
    # Lambda hands over what json.loads makes of invalid UTF-8: lone surrogates
    raw = b'{"customer_id": "c-ann", "event_id": "e-utf", "sku": "\\udcff\\ud800"}'
    envelope = eventbridge("fault.cart", "c-ann", "e-utf")
    envelope["detail"] = json.loads(raw)
    result = handlers.decide.lambda_handler(envelope, lambda_context)
    assert result["status"] == "rejected"
    ((_body, reason),) = dead_letters("decide_dlq_url")
    assert "UTF-8" in reason


def test_an_unknown_customer_is_suppressed_with_the_reason(
    catalog, handlers, lambda_context, clock
):
    result = handlers.decide.lambda_handler(
        eventbridge("fault.cart", "c-nobody", "e-nobody"), lambda_context
    )
    assert result["queued"] == []
    (action,) = actions("c-nobody", "e-nobody")
    assert (action["outcome"], action["reason"]) == ("suppressed", "unknown customer: no profile")


def test_a_customer_without_an_address_for_the_channel(catalog, handlers, lambda_context, clock):
    handlers.decide.lambda_handler(
        eventbridge("fault.cart", "c-nomail", "e-nomail"), lambda_context
    )
    (action,) = actions("c-nomail", "e-nomail")
    assert (action["outcome"], action["reason"]) == (
        "suppressed",
        "no email address on the profile",
    )


# --------------------------------------------------------------------------- queue records


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "not JSON"),
        (json.dumps({"customer_id": "c-ann"}), "no message_id"),
        (json.dumps(["a", "list"]), "no message_id"),
        (json.dumps({"message_id": "0" * 32}), "does not exist"),
    ],
)
def test_malformed_queue_records_are_parked_with_the_reason(
    catalog, handlers, lambda_context, body, reason
):
    from herald.settings import settings

    record = sqs_record(
        {"MessageId": "m-1", "ReceiptHandle": "r", "Body": body}, settings().send_queue_arn
    )
    response = handlers.send.lambda_handler({"Records": [record]}, lambda_context)
    assert response == {"batchItemFailures": []}  # parked, not retried forever
    ((parked_body, parked_reason),) = dead_letters("send_dlq_url")
    assert parked_body == body and reason in parked_reason


# --------------------------------------------------------------------------- template data


def test_liquid_and_html_injection_in_customer_data_is_inert(
    catalog, handlers, lambda_context, clock
):
    handlers.decide.lambda_handler(
        eventbridge("cart.big", "c-evil", "e-evil", cart_total=150), lambda_context
    )
    drain_send_queue(handlers, lambda_context)
    (sent,) = ses_sent()
    html = sent["mime"].get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "{{ 6 | times: 7 }}" in html and "42" not in html  # data is never evaluated


def test_a_huge_loop_is_bounded_and_the_message_fails_with_the_reason(
    catalog, handlers, lambda_context, clock
):
    from herald.dal import records

    result = handlers.decide.lambda_handler(
        eventbridge("loop.test", "c-ann", "e-loop", n=10**9), lambda_context
    )
    responses = drain_send_queue(handlers, lambda_context)
    assert responses == [{"batchItemFailures": []}]
    stored = records.get_message(result["queued"][0])
    assert stored.status == "failed" and "limit" in stored.reason.lower()
    assert ses_sent() == []


def test_nothing_reaches_the_send_dlq_by_sqs_redrive_without_a_reason(
    catalog, handlers, lambda_context
):
    # The handler parks records itself; SQS's own redrive (which records no reason) stays empty.
    from herald.settings import settings

    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=settings().send_queue_url, MessageBody="{broken")
    drain_send_queue(handlers, lambda_context)
    # The one broken record is parked by the handler, with its reason, and nothing else is
    assert dead_letters("send_dlq_url") == [("{broken", "queue record body is not JSON")]


# --------------------------------------------------------------------------- hostile data


def test_a_crlf_in_a_rendered_subject_is_sanitised_and_the_email_sent(
    catalog, handlers, lambda_context, clock
):
    from herald.dal import customers, records
    from herald.domain.customer import parse_customer

    # Given a first name (from a CRM sync) carrying a header injection
    customers.upsert(
        parse_customer(
            {
                "customer_id": "c-crlf",
                "email": "crlf@example.com",
                "consent": {"email": True},
                "attributes": {"first_name": "Ann\r\nBcc: victim@example.com"},
            }
        )
    )
    # When a marketing email whose subject uses it is decided and sent
    result = handlers.decide.lambda_handler(
        eventbridge("fault.cart", "c-crlf", "e-crlf", sku="s"), lambda_context
    )
    drain_send_queue(handlers, lambda_context)
    # Then it is sent with the line break turned into a space: no injected header, nothing stuck
    (sent,) = ses_sent()
    assert sent["mime"]["Subject"] == "Ann Bcc: victim@example.com, your cart is waiting"
    assert sent["mime"]["Bcc"] is None and sent["to"] == "crlf@example.com"
    assert records.get_message(result["queued"][0]).status == "sent"


def test_a_message_that_cannot_be_built_fails_before_sending_with_its_reason(
    catalog, handlers, lambda_context, clock, monkeypatch
):
    from herald.channels import email
    from herald.dal import records

    # Given the MIME library refuses what was rendered (whatever slips past sanitising)
    def refuse(**_kwargs):
        raise ValueError("Header values may not contain linefeed or carriage return characters")

    monkeypatch.setattr(email, "build_mime", refuse)
    result = handlers.decide.lambda_handler(
        eventbridge("fault.cart", "c-ann", "e-unbuildable", sku="s"), lambda_context
    )
    # When the send function takes it
    responses = drain_send_queue(handlers, lambda_context)
    # Then the message failed with the real reason, never reached `sending` (no provider call,
    # no "the provider may have accepted it"), and nothing was parked or retried
    stored = records.get_message(result["queued"][0])
    assert stored.status == "failed" and stored.attempts == 0
    assert "can't be built" in stored.reason and "linefeed" in stored.reason
    assert responses == [{"batchItemFailures": []}]
    assert dead_letters("send_dlq_url") == [] and ses_sent() == []


@pytest.mark.parametrize(
    ("detail", "words"),
    [
        ({"label": "\ud800"}, "invalid Unicode"),
        ({"total": float("nan")}, "not a finite number"),
        ({"deep": json.loads("[" * 900 + "]" * 900)}, "nested more than 32 levels"),
    ],
    ids=["lone surrogate", "NaN", "nested 900 deep"],
)
def test_an_event_put_on_the_bus_directly_with_unsendable_data_is_parked_at_once(
    catalog, handlers, lambda_context, clock, detail, words
):
    # Given an event that bypassed POST /events (PutEvents straight onto the bus)
    envelope = eventbridge("fault.cart", "c-ann", "e-hostile", **detail)
    # When decide gets it, Then it is parked on the first attempt, with the reason: no retries
    # that fail the same way, no "no reason recorded", no message queued to die in send
    result = handlers.decide.lambda_handler(envelope, lambda_context)
    assert result["status"] == "rejected" and words in result["reason"]
    ((_body, reason),) = dead_letters("decide_dlq_url")
    assert words in reason
    assert dead_letters("send_dlq_url") == []


def test_an_unexpected_error_while_deciding_is_parked_with_its_name(
    catalog, handlers, lambda_context, clock, monkeypatch
):
    from herald import engine

    # Given a defect that raises on this event (a RecursionError deep in a library, say)
    def broken(*_args, **_kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(engine, "decide", broken)
    result = handlers.decide.lambda_handler(
        eventbridge("fault.cart", "c-ann", "e-defect", sku="s"), lambda_context
    )
    # Then it is parked once with a reason an operator can act on, not retried three times
    assert result["status"] == "rejected"
    ((body, reason),) = dead_letters("decide_dlq_url")
    assert reason == "the record is nested too deeply to process"
    assert json.loads(body)["detail"]["event_id"] == "e-defect"


def test_the_same_event_id_from_two_customers_decides_both(
    catalog, handlers, lambda_context, clock
):
    from herald.dal import customers
    from herald.domain.customer import parse_customer

    customers.upsert(
        parse_customer(
            {"customer_id": "c-bea", "email": "bea@example.com", "consent": {"email": True}}
        )
    )
    # Given two shops' systems that both number their events from 1
    first = handlers.decide.lambda_handler(
        eventbridge("fault.cart", "c-ann", "1", sku="a"), lambda_context
    )
    second = handlers.decide.lambda_handler(
        eventbridge("fault.cart", "c-bea", "1", sku="b"), lambda_context
    )
    # Then neither is taken for a replay of the other: both decided, both emails go out
    assert first["status"] == second["status"] == "decided"
    assert len(first["queued"]) == len(second["queued"]) == 1
    drain_send_queue(handlers, lambda_context)
    assert sorted(m["to"] for m in ses_sent()) == ["ann@example.com", "bea@example.com"]
    # And a redelivery of one is still a replay
    again = handlers.decide.lambda_handler(
        eventbridge("fault.cart", "c-bea", "1", sku="b"), lambda_context
    )
    assert again["status"] == "replay"


@pytest.mark.parametrize(
    ("function", "event", "expected"),
    [
        ("admin", {"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}, "api"),
        ("ingest", {"detail-type": "x", "detail": {}}, "api"),
        ("send", {"httpMethod": "GET", "requestContext": {}, "path": "/"}, "sqs"),
        ("decide", {"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}, "eventbridge"),
        ("unsubscribe", {"Records": [{"EventSource": "aws:sns"}]}, "api"),
    ],
)
def test_a_function_given_another_kind_of_event_refuses_it_with_one_log_line(
    aws, handlers, lambda_context, caplog, function, event, expected
):
    caplog.set_level("ERROR")
    result = getattr(handlers, function).lambda_handler(event, lambda_context)
    assert result["status"] == "refused" and f"expected a {expected}" in result["reason"]
    refusals = [r for r in caplog.records if "wrong kind" in r.getMessage()]
    assert len(refusals) == 1


def test_a_rule_over_its_budget_is_skipped_per_event_and_alerted_once(
    catalog, handlers, lambda_context, clock
):
    from herald import runtime
    from herald.settings import settings
    from herald_dev import faults

    # Given a live rule whose condition is quadratic in event.items, and a watcher on the alerts
    faults.publish(
        [],
        [{"id": "heavy", "name": "Heavy", "on": "cart.heavy", "category": "marketing",
          "when": "count(map(event.items, count(map(event.items, # > 0), true) > 0), true) > 0",
          "then": [{"send": {"channel": "email", "content": "big-cart"}}]}],
    )  # fmt: skip
    sqs = boto3.client("sqs")
    inbox = sqs.create_queue(QueueName="alerts-watch")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]
    boto3.client("sns").subscribe(
        TopicArn=settings().alerts_topic_arn, Protocol="sqs", Endpoint=arn["QueueArn"]
    )
    big = list(range(1_000))  # ~7 million steps: over the 1 million budget
    # When three large events arrive (the second after a cold start: a new container), and a
    # small one
    for event_id in ("h-1", "h-2"):
        result = handlers.decide.lambda_handler(
            eventbridge("cart.heavy", "c-ann", event_id, items=big), lambda_context
        )
        assert result["status"] == "decided" and result["queued"] == []
        runtime.reset()
    handlers.decide.lambda_handler(
        eventbridge("cart.heavy", "c-ann", "h-3", items=big), lambda_context
    )
    small = handlers.decide.lambda_handler(
        eventbridge("cart.heavy", "c-ann", "h-4", items=[1, 2]), lambda_context
    )
    # Then each large one skipped the rule, the trace saying why; the small one ran it
    (rule,) = stored_trace("c-ann", "h-3")["rules"]
    assert (rule["matched"], rule["code"]) == (None, "over_budget")
    assert "budget 1,000,000" in rule["error"]
    assert len(small["queued"]) == 1
    # And the alert was sent once, naming the rule and version
    alerts = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10).get("Messages", [])
    assert len(alerts) == 1
    body = json.loads(alerts[0]["Body"])
    assert body["MessageAttributes"]["topic"]["Value"] == "rule-over-budget"
    assert "Rule heavy (version 1)" in body["Message"] and "h-1" in body["Message"]
