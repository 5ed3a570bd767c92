"""Producers: the PutEvents entry `herald events put` sends, and SigV4 signing for the IAM routes."""

from __future__ import annotations

import json

import pytest
from botocore.credentials import Credentials

from herald.errors import HeraldError
from herald_dev import producers

CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session")
URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/dev/events"


def test_an_event_entry_follows_the_eventbridge_contract():
    entry = producers.event_entry(
        "cart.abandoned", "c-ann", {"cart_total": 120}, "evt-1", "com.shop"
    )
    assert entry["Source"] == "com.shop"
    assert entry["DetailType"] == "cart.abandoned"
    assert json.loads(entry["Detail"]) == {
        "customer_id": "c-ann",
        "event_id": "evt-1",
        "cart_total": 120,
    }
    generated = json.loads(producers.event_entry("x.y", "c", {}, None, "s")["Detail"])
    assert len(generated["event_id"]) == 36  # a UUID: retries of the same put must reuse it
    with pytest.raises(HeraldError, match="customer_id"):
        producers.event_entry("x.y", "c", {"customer_id": "other"}, None, "s")


def test_requests_to_the_iam_routes_are_signed_for_execute_api_in_the_apis_region():
    body = json.dumps({"type": "cart.abandoned", "customer_id": "c-ann"}).encode()
    headers = producers.signed_headers("POST", URL, body, "eu-west-1", CREDENTIALS)
    authorization = headers["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/execute-api/aws4_request" in authorization
    assert "SignedHeaders=" in authorization and "host" in authorization
    assert headers["X-Amz-Security-Token"] == "session"
    # the signature covers the body: another body, another signature
    other = producers.signed_headers("POST", URL, body + b" ", "eu-west-1", CREDENTIALS)
    assert _signature(other) != _signature(headers)


def _signature(headers: dict) -> str:
    return headers["Authorization"].rsplit("Signature=", 1)[1]
