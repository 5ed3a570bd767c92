"""Profiles and segments: the admin routes, aggregates kept by the decide path, memberships
recomputed when the profile changes, and a segment's size estimate."""

from __future__ import annotations

import pytest

from tests.conftest import eventbridge
from tests.integration.apigw import APPROVER, OTHER_APPROVER, Api

SCHEMA = {
    "aggregates": {
        "orders_90d": {"count": "order.placed", "within": "P90D"},
        "spend_365d": {"sum": "order.placed.amount", "within": "P365D"},
        "last_order_at": {"last": "order.placed"},
    }
}
BIG_SPENDERS = {
    "id": "big-spenders",
    "name": "Spent 500 or more this year",
    "when": "customer.aggregates.spend_365d >= 500",
}


@pytest.fixture
def api(aws, lambda_context) -> Api:
    from functions.admin import app

    return Api(app.lambda_handler, lambda_context)


def publish(api: Api, kind: str, doc: dict) -> dict:
    status, created = api("POST", f"/admin/{kind}", doc, user=APPROVER)
    assert status == 201, created
    entity = created["id"]
    status, body = api(
        "POST",
        f"/admin/{kind}/{entity}/publish",
        {"version": created["version"]},
        user=OTHER_APPROVER,
    )
    assert status == 200, body
    return body


def test_the_profile_schema_and_segments_are_versioned_and_published_by_another_approver(api):
    # Given a profile schema and a segment over its aggregates
    schema = publish(api, "profiles", SCHEMA)
    segment = publish(api, "segments", BIG_SPENDERS)
    # Then both are live, as documents the domain wrote back
    assert schema["id"] == "profile" and schema["state"] == "live"
    assert schema["aggregates"]["spend_365d"] == {"sum": "order.placed.amount", "within": "P365D"}
    assert segment["when"] == BIG_SPENDERS["when"] and segment["live"] is True
    # And the approver who wrote a version may not publish it (two-person rule)
    status, draft = api("POST", "/admin/segments", {**BIG_SPENDERS, "id": "other"}, user=APPROVER)
    status, body = api("POST", "/admin/segments/other/publish", {"version": 1}, user=APPROVER)
    assert status == 403 and "two-person rule" in body["error"]["message"]


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({**BIG_SPENDERS, "when": "event.total > 1"}, "when"),
        ({**BIG_SPENDERS, "when": "customer.tier = 1"}, "when"),
    ],
)
def test_a_segment_reading_an_event_or_assigning_is_refused(api, doc, field):
    status, body = api("POST", "/admin/segments", doc)
    assert status == 422 and body["error"]["field"] == field
    assert api("GET", "/admin/segments/big-spenders")[0] == 404  # nothing stored


def test_a_rule_reading_an_undeclared_aggregate_is_warned_about(api, demo_data):
    # Given the example profile schema (rules/profile.yaml) is live
    rule = {
        "id": "lapsed",
        "name": "Lapsed buyers",
        "on": "cart.abandoned",
        "when": "customer.aggregates.orders_90d == 0 and customer.aggregates.order_90d == 0 "
        'and "vip" in customer.segments',
        "then": [{"send": {"channel": "email", "content": "cart-free-shipping"}}],
    }
    # When a rule reads a declared aggregate, a misspelt one and the segments
    status, body = api("POST", "/admin/rules", rule)
    # Then it is saved, and only the misspelt aggregate is warned about
    assert status == 201, body
    warned = [w["message"] for w in body.get("warnings", [])]
    assert len(warned) == 1 and "no aggregate order_90d" in warned[0], warned


def test_events_update_the_aggregates_once_and_memberships_follow(
    handlers, demo_data, lambda_context, clock
):
    from herald.dal import customers

    # Given Bob (lifetime value 210: not a VIP) places two orders
    for i, amount in enumerate((350, 200)):
        handlers.decide.lambda_handler(
            eventbridge("order.placed", "c-bob", f"order-{i}", amount=amount), lambda_context
        )
    # When the first order is delivered again (EventBridge retries)
    again = handlers.decide.lambda_handler(
        eventbridge("order.placed", "c-bob", "order-0", amount=350), lambda_context
    )
    # Then it was counted once, and Bob joined the VIP segment in the same write
    bob = customers.get("c-bob")
    assert again["status"] == "replay"
    assert bob.aggregates["orders_90d"] == 2 and bob.aggregates["spend_365d"] == 550
    assert bob.aggregates["last_order_at"] == "2026-11-24T14:00:00.000Z"
    assert "vip" in bob.segments and "email-subscribers" not in bob.segments
    assert bob.activity.event_counts == {"order.placed": 2}
    assert bob.context["aggregates"]["spend_365d"] == 550  # what rules and content read


def test_a_profile_upsert_recomputes_memberships_in_the_same_write(demo_data):
    from herald.dal import customers
    from herald.service import ingest

    # Given Chen, in no segment
    assert customers.get("c-chen").segments == ()
    # When Chen's profile gains a lifetime value of 5,000 and an email with consent
    ingest.upsert_customer(
        "c-chen",
        {
            "email": "chen@example.com",
            "consent": {"email": True},
            "attributes": {"first_name": "Chen", "lifetime_value": 5000},
        },
    )
    # Then Chen is a VIP and an email subscriber
    assert customers.get("c-chen").segments == ("email-subscribers", "vip")
    # When the value drops again, Chen leaves the VIPs in that write
    ingest.upsert_customer("c-chen", {"email": "chen@example.com", "consent": {"email": True}})
    assert customers.get("c-chen").segments == ("email-subscribers",)


def test_the_estimate_samples_the_customers_with_an_interval(api, demo_data):
    # Given six demo customers, two of them VIPs (Ann and Dana)
    status, body = api("GET", "/admin/segments/vip/estimate")
    # Then every customer was sampled and the interval holds the share
    assert status == 200, body
    assert (body["sampled"], body["matched"], body["estimate"]) == (6, 2, 2)
    assert body["share_low"] < 2 / 6 < body["share_high"]
    assert body["low"] <= 2 <= body["high"]


def test_publishing_a_segment_backfills_its_members_through_the_broadcast_scan(
    api, demo_data, handlers, lambda_context
):
    import boto3

    from herald.dal import customers
    from herald_dev import broadcasts as local

    # Given the demo customers, upserted before any segment was live: in none
    assert customers.get("c-ann").segments == ()
    # When an approver publishes a new version of the VIP segment (platinum tier only)
    status, saved = api(
        "PUT",
        "/admin/segments/vip",
        {
            "name": "Platinum",
            "when": 'customer.attributes.tier == "platinum"',
            "expected_version": 1,
        },
        user=APPROVER,
    )
    assert status == 200, saved
    status, body = api("POST", "/admin/segments/vip/publish", {"version": 2}, user=OTHER_APPROVER)
    assert status == 200, body
    # Then a schedule starts the backfill, which the state machine's scan runs
    schedules = boto3.client("scheduler").list_schedules()["Schedules"]
    assert "segment-vip-r2" in {s["Name"] for s in schedules}
    execution = local.run(
        lambda _fn, payload: handlers.broadcast_worker.lambda_handler(payload, lambda_context),
        "vip",
        2,
        job="memberships",
    )
    assert execution.output["status"] == "done"
    # And every customer's memberships follow the live versions
    assert customers.get("c-dana").segments == ("email-subscribers", "vip")
    assert customers.get("c-ann").segments == ("email-subscribers",)
    assert customers.get("c-bob").segments == ()


def test_the_timeline_shows_the_aggregates_and_segments_rules_see(
    api, handlers, demo_data, lambda_context, clock
):
    # Given Bob placed two orders (550 spent this year: a VIP now)
    for i, amount in enumerate((350, 200)):
        handlers.decide.lambda_handler(
            eventbridge("order.placed", "c-bob", f"order-{i}", amount=amount), lambda_context
        )
    # When a marketer reads his timeline
    status, body = api("GET", "/admin/customers/c-bob/timeline")
    # Then beside the decisions it shows what rules read of him: aggregates, activity, segments
    assert status == 200
    profile = body["profile"]
    assert profile["aggregates"]["orders_90d"] == 2
    assert profile["aggregates"]["spend_365d"] == 550
    assert profile["event_counts"] == {"order.placed": 2}
    assert "vip" in profile["segments"]
    assert profile["first_seen"] and profile["last_seen"]
    assert [item["kind"] for item in body["items"]].count("trace") == 2
    # And a customer Herald doesn't know has no profile part
    assert api("GET", "/admin/customers/nobody/timeline") == (200, {"items": []})
