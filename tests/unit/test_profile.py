"""Profile aggregates: the schema's documents, and the day-bucket windows at their edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from herald.domain import profile
from herald.domain.document import ValidationError

SCHEMA = profile.parse_profile_schema(
    {
        "aggregates": {
            "orders_90d": {"count": "order.placed", "within": "P90D"},
            "spend_365d": {"sum": "order.placed.amount", "within": "P365D"},
            "spend_all": {"sum": "order.placed.amount"},
            "last_order_at": {"last": "order.placed"},
            "views_1d": {"count": "product.viewed", "within": "P1D"},
        }
    }
)
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def feed(events, now=NOW, activity=profile.NO_ACTIVITY):
    for name, at, detail in events:
        activity = profile.observe(activity, SCHEMA, name, detail, at, now)
    return activity


def test_a_schema_round_trips_and_splits_sum_fields_at_the_last_dot():
    # Given the schema above, When read back from its document
    again = profile.parse_profile_schema(SCHEMA.to_doc())
    # Then nothing is lost, and sum reads the field after the last dot
    assert again == SCHEMA
    spend = next(a for a in SCHEMA.aggregates if a.name == "spend_365d")
    assert (spend.event, spend.field, spend.within_days) == ("order.placed", "amount", 365)


@pytest.mark.parametrize(
    ("aggregates", "field"),
    [
        ({"Orders": {"count": "order.placed"}}, "aggregates.Orders"),
        ({"x": {"count": "a", "sum": "a.b"}}, "aggregates.x"),
        ({"x": {"sum": "amount"}}, "aggregates.x.sum"),
        ({"x": {"count": "a", "within": "PT12H"}}, "aggregates.x.within"),
        ({"x": {"last": "a", "within": "P7D"}}, "aggregates.x.within"),
        ({"x": {"count": "has space"}}, "aggregates.x.count"),
        ({"x": {"count": "a", "every": "P1D"}}, "aggregates.x.every"),
    ],
)
def test_a_wrong_aggregate_is_refused_naming_its_field(aggregates, field):
    with pytest.raises(ValidationError) as raised:
        profile.parse_profile_schema({"aggregates": aggregates})
    assert raised.value.field == field


def test_a_window_counts_today_and_the_days_before_it_up_to_its_length():
    # Given orders on the first day inside the 90-day window, and on the last day outside it
    first_inside = NOW - timedelta(days=89)
    last_outside = NOW - timedelta(days=90)
    activity = feed(
        [
            ("order.placed", first_inside.replace(hour=0, minute=0), {"amount": 10}),
            ("order.placed", last_outside.replace(hour=23, minute=59), {"amount": 5}),
            ("order.placed", NOW, {"amount": 2.5}),
        ]
    )
    # Then the window takes the day 89 days ago and today, not the day 90 days ago
    values = profile.values(activity, SCHEMA, NOW)
    assert values["orders_90d"] == 2
    assert values["spend_365d"] == 17.5 and values["spend_all"] == 17.5
    assert values["last_order_at"] == "2026-12-02T10:00:00.000Z"


def test_the_window_slides_without_events_and_buckets_stay_bounded():
    # Given an order every day for 400 days
    start = NOW - timedelta(days=399)
    activity = feed(
        [("order.placed", start + timedelta(days=d), {"amount": 1}) for d in range(400)]
    )
    # Then each windowed aggregate keeps at most one bucket per day of its window
    assert len(activity.buckets["orders_90d"]) == 90
    assert len(activity.buckets["spend_365d"]) == 365
    assert profile.values(activity, SCHEMA, NOW)["orders_90d"] == 90
    # When a day passes with no event, the oldest day leaves the window
    assert profile.values(activity, SCHEMA, NOW + timedelta(days=1))["orders_90d"] == 89
    assert profile.values(activity, SCHEMA, NOW + timedelta(days=91))["orders_90d"] == 0
    assert profile.values(activity, SCHEMA, NOW + timedelta(days=91))["spend_all"] == 400


def test_a_one_day_window_is_today_in_utc():
    activity = feed(
        [
            ("product.viewed", NOW.replace(hour=0, minute=0), {}),
            ("product.viewed", NOW - timedelta(days=1), {}),
        ]
    )
    assert profile.values(activity, SCHEMA, NOW)["views_1d"] == 1
    assert profile.values(activity, SCHEMA, NOW.replace(hour=23, minute=59))["views_1d"] == 1


def test_future_events_count_now_and_non_numbers_do_not_add():
    activity = feed(
        [
            ("order.placed", NOW + timedelta(days=3), {"amount": "12"}),
            ("order.placed", NOW, {"amount": True}),
        ]
    )
    values = profile.values(activity, SCHEMA, NOW)
    assert values["orders_90d"] == 2 and values["spend_365d"] == 0
    assert activity.last_seen == "2026-12-02T10:00:00.000Z"


def test_first_last_seen_and_counts_per_event_name_come_for_free():
    activity = feed(
        [
            ("signup", NOW - timedelta(days=10), {}),
            ("product.viewed", NOW - timedelta(days=2), {}),
            ("product.viewed", NOW, {}),
        ]
    )
    context = profile.derived_context(activity, profile.EMPTY_SCHEMA, NOW)
    assert context["first_seen"] == "2026-11-22T10:00:00.000Z"
    assert context["last_seen"] == "2026-12-02T10:00:00.000Z"
    assert context["event_counts"] == {"signup": 1, "product.viewed": 2}
    assert context["aggregates"] == {}


def test_event_names_are_bounded_the_rarest_makes_room():
    activity = feed([("often", NOW, {})] * 3)
    activity = feed([(f"e{i}", NOW, {}) for i in range(profile.MAX_EVENT_NAMES)], activity=activity)
    assert len(activity.event_counts) == profile.MAX_EVENT_NAMES
    assert activity.event_counts["often"] == 3


def test_an_aggregate_dropped_from_the_schema_drops_its_buckets():
    activity = feed([("order.placed", NOW, {"amount": 1})])
    smaller = profile.parse_profile_schema({"aggregates": {"n": {"count": "order.placed"}}})
    after = profile.observe(activity, smaller, "order.placed", {}, NOW, NOW)
    assert set(after.buckets) == {"n"}
    assert profile.stored_activity(after.to_doc()) == after
