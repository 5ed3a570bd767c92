"""`make demo`'s wording: each action says where it went (queue, topic, fields), a deferral says
until when in the customer's own time zone, and a redelivery says only that nothing was sent."""

from __future__ import annotations

import json

from herald_dev import cli, decision_lines
from tests.builders import decide_envelope
from tests.conftest import DEMO_NOW, REPO


def _lines(name: str) -> list[str]:
    envelope = json.loads((REPO / "events" / "demo" / name).read_text())
    return cli._trace_lines(decide_envelope(envelope, DEMO_NOW).trace)


def test_a_deferred_push_says_until_when_in_the_customers_time_zone(demo_data):
    # Given 14:00 UTC, which is 23:00 in Tokyo (quiet hours for push: 21:00-08:00)
    lines = _lines("06-back-in-stock-dana.json")
    assert lines[-1] == (
        "send push back-in-stock@1 (back-in-stock-push) → deferred until "
        "2026-11-25 08:00 Asia/Tokyo (23:00 UTC): quiet hours in Asia/Tokyo"
    )


def test_routes_alerts_and_profile_updates_name_their_queue_topic_and_fields(demo_data):
    assert _lines("07-complaint-dana.json")[1:] == [
        "route vip-care → the high-priority route queue (RouteHighQueue) (complaint-top-tier): "
        "complaint from a top-tier customer",
        "alert vip-complaint → the alerts topic (complaint-top-tier): "
        "A top-tier customer filed a complaint",
    ]
    assert (
        _lines("01-signup-fay.json")[-1]
        == "update_profile (welcome-on-signup) → set welcomed: true"
    )


def test_a_normal_priority_route_names_the_route_queue():
    from herald.domain.action import ActionKind, RouteAction, RoutePriority
    from herald.domain.trace import ActionTrace, Outcome

    action = ActionTrace("complaint-top-tier", ActionKind.ROUTE, Outcome.RUN)
    body = RouteAction("customer-care", RoutePriority.NORMAL, "complaint")
    line = decision_lines.action_line(
        action, body=body, status="run", reason=None, send_at=None, timezone=None
    )
    assert (
        line == "route customer-care → the route queue (RouteQueue) (complaint-top-tier): complaint"
    )


def test_the_summary_lists_a_few_messages_per_channel_and_counts_the_rest():
    # Given 7 emails and 1 SMS accepted
    accepted = [
        {"channel": "email", "recipient": f"s{i}@example.com", "subject_or_first_line": f"Hi {i}"}
        for i in range(7)
    ] + [{"channel": "sms", "recipient": "+14155550123", "subject_or_first_line": "Shipped"}]
    # When the demo summarises them, 5 per channel
    lines = cli._accepted_lines(accepted, per_channel=5)
    # Then the first five emails and the SMS are listed, and the two other emails are counted
    assert [line.split()[1] for line in lines[:6]] == [
        *(f"s{i}@example.com" for i in range(5)),
        "+14155550123",
    ]
    assert lines[6:] == ["  … 2 more email message(s) (GET /local/outbox lists all)"]
