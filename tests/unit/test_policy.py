"""The contact policy: consent, suppression, caps across all rules, quiet hours in the customer's
time zone (DST days included), and what transactional messages skip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from herald.domain import policy
from herald.domain.clock import iso
from herald.domain.customer import Contact, CustomerState
from herald.domain.document import ValidationError
from tests.builders import customer_state

NY, PARIS = ZoneInfo("America/New_York"), ZoneInfo("Europe/Paris")


def customer(**overrides) -> CustomerState:
    doc = {
        "customer_id": "c-1",
        "email": "c1@example.com",
        "phone": "+14155550100",
        "push": [{"platform": "fcm", "token": "t"}],
        "consent": {"email": True, "sms": True, "push": True},
    }
    return customer_state({**doc, **overrides})


def test_no_profile_or_no_address_comes_before_anything_else():
    assert policy.check(
        policy.DEFAULT, channel="email", category="transactional", customer=None,
        contact_log=[], now=datetime(2026, 6, 1, 12, tzinfo=UTC),
    ) == policy.Verdict("suppressed", "unknown customer: no profile")  # fmt: skip
    no_phone = customer(phone=None, suppressed={"sms": "bounce"})
    assert check("sms", cust=no_phone).reason == "no sms address on the profile"
    dead_devices = customer(push=[{"platform": "apns", "token": "t", "disabled": True}])
    assert check("push", cust=dead_devices).reason == "no push address on the profile"


def check(channel="sms", category="marketing", cust=None, log=(), now=None, pol=policy.DEFAULT):
    return policy.check(
        pol, channel=channel, category=category, customer=cust or customer(),
        contact_log=[Contact(*c) for c in log], now=now or datetime(2026, 6, 1, 12, tzinfo=UTC),
    )  # fmt: skip


def local(zone, *args) -> datetime:
    return datetime(*args, tzinfo=zone).astimezone(UTC)


# --------------------------------------------------------------------------- consent, suppression


def test_consent_is_per_channel():
    # Given consent for email only
    cust = customer(consent={"email": True, "sms": False})
    # Then email goes out, SMS and push are suppressed with the reason
    assert check("email", cust=cust).status == "queued"
    assert check("sms", cust=cust) == policy.Verdict("suppressed", "no sms consent")
    assert check("push", cust=cust).reason == "no push consent"


def test_suppression_wins_over_consent_and_names_its_cause():
    cust = customer(suppressed={"email": "bounce"})
    assert check("email", cust=cust) == policy.Verdict("suppressed", "suppressed: bounce")


@pytest.mark.parametrize(
    "cust", [customer(consent={}), customer(suppressed={"sms": "sms opt-out"})]
)
def test_transactional_never_skips_consent_or_suppression(cust):
    assert check("sms", "transactional", cust=cust).status == "suppressed"


def test_transactional_skips_caps_and_quiet_hours():
    # Given a full SMS cap and 03:00 in New York
    night = local(NY, 2026, 6, 1, 3, 0)
    full = [["sms", iso(night - timedelta(hours=1))]]
    cust = customer(timezone="America/New_York")
    # Then a marketing SMS waits, a transactional one (order shipped) goes now
    assert check("sms", "marketing", cust, full, night).status == "capped"
    assert check("sms", "transactional", cust, full, night).status == "queued"


# --------------------------------------------------------------------------- caps


def test_a_cap_counts_messages_inside_its_window_only():
    now = datetime(2026, 6, 8, 12, tzinfo=UTC)
    inside = [["email", iso(now - timedelta(days=6, hours=23))]] * 2
    outside = [["email", iso(now - timedelta(days=7, seconds=1))]] * 5
    assert check("email", log=inside + outside, now=now).status == "queued"  # 2 of 3 used
    at_cap = inside + [["email", iso(now - timedelta(minutes=1))]]
    verdict = check("email", log=at_cap, now=now)
    assert verdict == policy.Verdict("capped", "cap reached: email 3/3 per 7d")


def test_the_window_boundary_is_inclusive_of_exactly_one_period_ago():
    now = datetime(2026, 6, 8, 12, tzinfo=UTC)
    log = [["sms", iso(now - timedelta(days=1))]]  # exactly P1D ago: still inside
    assert check("sms", log=log, now=now).status == "capped"
    log = [["sms", iso(now - timedelta(days=1, milliseconds=1))]]
    assert check("sms", log=log, now=now).status == "queued"


def test_the_any_cap_counts_every_channel_across_all_rules():
    # Given 5 marketing messages this week spread over channels (each under its own cap)
    now = datetime(2026, 6, 8, 12, tzinfo=UTC)
    log = [["email", iso(now - timedelta(days=d))] for d in (1, 2)]
    log += [["push", iso(now - timedelta(days=d))] for d in (1, 2, 3)]
    # Then a push (no push cap) is capped by `any`
    assert check("push", log=log, now=now).reason == "cap reached: any 5/5 per 7d"


# --------------------------------------------------------------------------- quiet hours


@pytest.mark.parametrize(
    ("wall", "deferred_until"),
    [
        ((2026, 3, 8, 1, 30), (2026, 3, 8, 8, 0)),  # spring forward day (02:00 → 03:00)
        ((2026, 3, 7, 22, 0), (2026, 3, 8, 8, 0)),  # evening before: ends after the change
        ((2026, 11, 1, 1, 30), (2026, 11, 1, 8, 0)),  # fall back day (01:00-02:00 twice)
        ((2026, 10, 31, 23, 59), (2026, 11, 1, 8, 0)),
    ],
)
def test_quiet_hours_in_new_york_across_dst_end_at_8_local(wall, deferred_until):
    now = local(NY, *wall)
    verdict = check("sms", cust=customer(timezone="America/New_York"), now=now)
    assert verdict.status == "deferred"
    assert verdict.send_at == local(NY, *deferred_until)
    assert verdict.send_at.astimezone(NY).hour == 8


def test_the_night_of_spring_forward_is_an_hour_shorter_in_paris():
    # 22:00 CET on Saturday 28 March 2026 → 08:00 CEST on Sunday: 9 hours, not 10
    now = local(PARIS, 2026, 3, 28, 22, 0)
    verdict = check("push", cust=customer(timezone="Europe/Paris"), now=now)
    assert verdict.send_at - now == timedelta(hours=9)
    assert verdict.send_at == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


def test_the_night_of_fall_back_is_an_hour_longer_in_paris():
    now = local(PARIS, 2026, 10, 24, 22, 0)  # Saturday; clocks go back on Sunday 25th
    verdict = check("sms", cust=customer(timezone="Europe/Paris"), now=now)
    assert verdict.send_at - now == timedelta(hours=11)


def test_the_ambiguous_hour_of_fall_back_is_quiet_both_times():
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST
    cust = customer(timezone="America/New_York")
    assert check("sms", cust=cust, now=first).send_at == check("sms", cust=cust, now=second).send_at


def test_an_end_time_skipped_by_spring_forward_moves_later_not_earlier():
    # quiet hours ending at 02:30, on the night 02:00-03:00 doesn't exist in New York
    pol = policy.parse_policy({"quiet_hours": {"start": "21:00", "end": "02:30"}})
    now = local(NY, 2026, 3, 7, 23, 0)
    verdict = check("sms", cust=customer(timezone="America/New_York"), now=now, pol=pol)
    assert verdict.send_at == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT
    assert verdict.send_at > now


def test_a_customer_without_a_time_zone_gets_the_policy_default():
    # Given a policy whose default zone is Paris and a customer with no zone, at 23:00 Paris
    pol = policy.parse_policy({**policy.DEFAULT_POLICY, "default_timezone": "Europe/Paris"})
    now = local(PARIS, 2026, 6, 1, 23, 0)
    verdict = check("sms", cust=customer(), now=now, pol=pol)
    # Then the message waits for 08:00 Paris, and the trace says why
    assert verdict.status == "deferred"
    assert verdict.send_at == local(PARIS, 2026, 6, 2, 8, 0)
    assert verdict.reason == "quiet hours in Europe/Paris (customer has no time zone: default)"
    # And UTC is the default of the default policy
    assert check("sms", cust=customer(), now=datetime(2026, 6, 1, 23, tzinfo=UTC)).send_at == (
        datetime(2026, 6, 2, 8, tzinfo=UTC)
    )


def test_quiet_hours_that_do_not_span_midnight():
    pol = policy.parse_policy({"quiet_hours": {"start": "12:00", "end": "14:00"}})
    cust = customer(timezone="Europe/Paris")
    lunch = local(PARIS, 2026, 6, 1, 12, 30)
    assert check("sms", cust=cust, now=lunch, pol=pol).send_at == local(PARIS, 2026, 6, 1, 14, 0)
    assert check("sms", cust=cust, now=local(PARIS, 2026, 6, 1, 14, 0), pol=pol).status == "queued"
    assert check("sms", cust=cust, now=local(PARIS, 2026, 6, 1, 11, 59), pol=pol).status == "queued"
    assert check("sms", cust=cust, now=local(PARIS, 2026, 6, 1, 23, 0), pol=pol).status == "queued"


def test_quiet_hours_apply_only_to_their_channels():
    night = local(NY, 2026, 6, 1, 23, 0)
    cust = customer(timezone="America/New_York")
    assert check("email", cust=cust, now=night).status == "queued"
    assert check("push", cust=cust, now=night).status == "deferred"


def test_quiet_hours_edges_start_inclusive_end_exclusive():
    cust = customer(timezone="America/New_York")
    assert check("sms", cust=cust, now=local(NY, 2026, 6, 1, 21, 0)).status == "deferred"
    assert check("sms", cust=cust, now=local(NY, 2026, 6, 1, 20, 59)).status == "queued"
    assert check("sms", cust=cust, now=local(NY, 2026, 6, 2, 8, 0)).status == "queued"


# --------------------------------------------------------------------------- the document


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"caps": [{"channel": "fax", "max": 1, "per": "P1D"}]}, "caps[0].channel"),
        ({"caps": [{"channel": "sms", "max": -1, "per": "P1D"}]}, "caps[0].max"),
        ({"caps": [{"channel": "sms", "max": 1, "per": "1 day"}]}, "caps[0].per"),
        ({"quiet_hours": {"start": "25:00", "end": "08:00"}}, "quiet_hours.start"),
        ({"quiet_hours": {"start": "08:00", "end": "08:00"}}, "quiet_hours.end"),
        ({"default_timezone": "Mars/Olympus"}, "default_timezone"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_an_invalid_policy_names_the_field(doc, field):
    with pytest.raises(ValidationError) as err:
        policy.parse_policy(doc)
    assert err.value.field == field
