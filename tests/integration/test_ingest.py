"""The ingest function: POST /events onto the bus, PUT /customers/{id}, GET /health."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.builders import tap_bus
from tests.integration.apigw import Api, snapshot

IAM = None  # IAM-signed requests carry no Cognito claims


@pytest.fixture
def api(aws, lambda_context) -> Api:
    from functions.ingest import app

    return Api(app.lambda_handler, lambda_context)


@pytest.fixture
def bus_tap(aws) -> str:
    """An SQS queue receiving every event on the Herald bus (what the decide rule would see)."""
    return tap_bus(
        aws.environment()["EVENT_BUS_NAME"], {"detail": {"customer_id": [{"exists": True}]}}
    )


def _received(url: str) -> list[dict]:
    messages = (
        boto3.client("sqs")
        .receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        .get("Messages", [])
    )
    return [json.loads(m["Body"]) for m in messages]


def test_health_needs_no_auth(api):
    assert api("GET", "/health", user=None, resource="/health") == (200, {"status": "ok"})


def test_post_event_puts_it_on_the_bus(api, bus_tap):
    # Given an event with its fields under data
    body = {"type": "cart.abandoned", "customer_id": "ann", "data": {"cart_total": 120}}
    # When it is posted
    status, answer = api("POST", "/events", body, user=IAM, resource="/events")
    # Then 202 with a generated event id
    assert status == 202 and len(answer["event_id"]) == 36
    # And the bus carries it: detail-type = type, data fields at the top of detail
    (event,) = _received(bus_tap)
    assert event["detail-type"] == "cart.abandoned" and event["source"] == "herald.api"
    assert event["detail"]["customer_id"] == "ann" and event["detail"]["cart_total"] == 120
    assert event["detail"]["event_id"] == answer["event_id"]
    assert event["detail"]["occurred_at"].endswith("Z")


def test_post_event_keeps_the_callers_event_id_and_source(api, bus_tap):
    body = {
        "type": "order.shipped",
        "customer_id": "bob",
        "event_id": "ord-1",
        "source": "shop",
        "data": {},
    }
    status, answer = api("POST", "/events", body, user=IAM, resource="/events")
    assert (status, answer) == (202, {"event_id": "ord-1"})
    (event,) = _received(bus_tap)
    assert event["source"] == "shop" and event["detail"]["event_id"] == "ord-1"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customer_id": "ann"}, "type"),
        ({"type": "bad name!", "customer_id": "ann"}, "type"),
        ({"type": "x"}, "customer_id"),
        ({"type": "x", "customer_id": "ann", "data": [1]}, "data"),
        ({"type": "x", "customer_id": "ann", "data": {"customer_id": "eve"}}, "data.customer_id"),
        ({"type": "x", "customer_id": "ann", "cart_total": 1}, "cart_total"),
        ({"type": "x", "customer_id": "ann", "source": "aws.events"}, "source"),
        ({"type": "x", "customer_id": "ann", "occurred_at": "yesterday"}, "occurred_at"),
    ],
)
def test_invalid_events_are_refused(api, bus_tap, body, field):
    status, answer = api("POST", "/events", body, user=IAM, resource="/events")
    assert status == 422 and answer["error"]["field"] == field
    assert _received(bus_tap) == []


def test_oversized_and_malformed_events(api, bus_tap):
    def post(body=None, raw_body=None) -> tuple[int, str, str | None]:
        status, answer = api(
            "POST", "/events", body, user=IAM, resource="/events", raw_body=raw_body
        )
        return status, answer["error"]["code"], answer["error"].get("field")

    big = {"type": "x", "customer_id": "ann", "data": {"blob": "x" * (300 * 1024)}}
    assert post(big) == (413, "payload_too_large", "body")
    assert post(raw_body="{") == (422, "invalid_request", "body")
    assert post() == (422, "validation_error", "body")  # no body
    assert post(raw_body="[" * 50_000 + "]" * 50_000) == (422, "invalid_request", "body")
    assert post([{"type": "x"}]) == (422, "validation_error", "body")
    assert _received(bus_tap) == []


def test_bus_refusal_is_503(api, monkeypatch):
    from herald.aws import bus

    class RefusingBus:
        def put_events(self, Entries):  # botocore's parameter name
            return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "ThrottlingException"}]}

    monkeypatch.setattr(bus, "client", lambda service: RefusingBus())
    body = {"type": "x", "customer_id": "ann", "data": {}}
    status, answer = api("POST", "/events", body, user=IAM, resource="/events")
    assert status == 503 and answer["error"]["code"] == "retryable"
    assert "ThrottlingException" in answer["error"]["message"]


def test_put_customer_upserts_the_profile(api):
    from herald.dal import customers

    # Given a profile
    profile = {
        "email": "Ann@Example.com",
        "phone": "+14155550100",
        "consent": {"email": True},
        "attributes": {"tier": "gold"},
    }
    # When it is PUT
    status, body = api("PUT", "/customers/ann", profile, user=IAM, resource="/customers/{id}")
    # Then it is stored and returned
    assert status == 200, body
    assert body["customer_id"] == "ann" and body["attributes"] == {"tier": "gold"}
    stored = customers.get("ann").profile
    assert stored.email == "Ann@Example.com" and stored.consent == {"email": True}
    # When it is PUT again with a change, it replaces the profile
    status, body = api(
        "PUT",
        "/customers/ann",
        {**profile, "attributes": {"tier": "silver"}},
        user=IAM,
        resource="/customers/{id}",
    )
    assert status == 200 and customers.get("ann").profile.attributes == {"tier": "silver"}


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        ({"phone": "555-0100"}, "phone"),
        ({"email": "not an email"}, "email"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"consent": {"email": "yes"}}, "consent.email"),
        ({"customer_id": "someone-else"}, "customer_id"),
        ({"shoe_size": 9}, "shoe_size"),
    ],
)
def test_invalid_profiles_are_refused(api, aws, profile, field):
    before = snapshot(aws.environment())
    status, body = api("PUT", "/customers/ann", profile, user=IAM, resource="/customers/{id}")
    assert status == 422 and body["error"]["field"] == field
    assert snapshot(aws.environment()) == before


def test_customer_id_too_long(api):
    status, body = api("PUT", "/customers/" + "x" * 200, {}, user=IAM, resource="/customers/{id}")
    assert status == 422 and body["error"]["field"] == "customer_id"


# --------------------------------------------------------------------------- hostile JSON


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        # A lone surrogate: what invalid UTF-8 decodes to; no AWS API can carry it
        ('{"type":"x","customer_id":"ann","data":{"name":"\\ud800"}}', "data.name", "Unicode"),
        ('{"type":"x","customer_id":"ann","data":{"total":NaN}}', "body", "NaN is not JSON"),
        ('{"type":"x","customer_id":"ann","data":{"total":-Infinity}}', "body", "not JSON"),
        ('{"type":"x","customer_id":"ann","data":{"n":' + "9" * 5000 + "}}", "body", "digits"),
        (
            '{"type":"x","customer_id":"ann","data":{"deep":' + "[" * 900 + "]" * 900 + "}}",
            "data.deep",
            "nested more than 32 levels",
        ),
    ],
    ids=["lone surrogate", "NaN", "Infinity", "5,000-digit number", "nested 900 deep"],
)
def test_json_no_aws_api_can_carry_is_refused_at_the_door(api, bus_tap, raw, field, words):
    # When such a body is posted, Then 422 naming the path and the problem, and nothing is
    # put on the bus (today: 502s, or a 202 and an event that dies in decide three times)
    status, answer = api("POST", "/events", user=IAM, resource="/events", raw_body=raw)
    assert status == 422, answer
    assert answer["error"]["field"].startswith(field)
    assert words in answer["error"]["message"]
    assert _received(bus_tap) == []


def test_a_profile_with_nan_or_a_lone_surrogate_is_refused(api):
    from herald.dal import customers

    for raw in (
        '{"email":"a@example.com","attributes":{"score":NaN}}',
        '{"email":"a@example.com","attributes":{"name":"\\udfff"}}',
    ):
        status, answer = api(
            "PUT", "/customers/ann", user=IAM, resource="/customers/{id}", raw_body=raw
        )
        assert status == 422 and answer["error"]["code"] in ("invalid_request", "validation_error")
    assert customers.get("ann") is None


def test_an_upserted_profile_feeds_the_catalogue_of_profile_attributes(api):
    from herald.dal import catalogue

    body = {"email": "a@example.com", "attributes": {"tier": "gold", "address": {"city": "Lyon"}}}
    api("PUT", "/customers/ann", body, user=IAM, resource="/customers/{id}")
    assert catalogue.read().profile_attributes == {"tier", "address", "address.city"}
