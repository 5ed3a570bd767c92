"""Offers, pure logic: arbitration arithmetic, Thompson sampling, the random-control group,
the offer contact policy."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from herald.domain import arbitration, policy
from herald.domain.arbitration import Arm
from herald.domain.clock import iso
from herald.domain.document import ValidationError
from herald.domain.offer import OfferContact, parse_offer
from herald.domain.propensity import Evidence

NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def test_score_is_propensity_times_value_times_context_and_lever():
    # Given a propensity of 0.1, a value of 40, a context weight of 0.5 and a lever of -30 %
    factors = arbitration.score(0.1, 40.0, 0.5, -30)
    # Then the score is 0.1 x 40 x 1.5 x 0.7
    assert factors.score == pytest.approx(4.2)
    assert factors.to_dict() == {
        "propensity": 0.1,
        "value": 40.0,
        "context_weight": 0.5,
        "lever": -0.3,
        "score": 4.2,
    }


def test_a_lever_of_minus_100_percent_zeroes_the_score():
    assert arbitration.score(0.9, 100.0, 2.0, -100).score == 0


def test_rank_orders_by_score_and_cuts_at_the_limit():
    scored = [
        ("a", arbitration.score(0.1, 10, 0, 0)),  # 1.0
        ("b", arbitration.score(0.5, 10, 0, 0)),  # 5.0
        ("c", arbitration.score(0.2, 10, 1, 0)),  # 4.0
    ]
    ranked = arbitration.rank(scored, Arm.LEARNT, random.Random(0), 2)
    assert [offer for offer, _ in ranked] == ["b", "c"]


def test_the_control_group_ranks_at_random_but_reproducibly():
    scored = [(f"o{i}", arbitration.score(i / 10, 1, 0, 0)) for i in range(1, 9)]
    first = [o for o, _ in arbitration.rank(scored, Arm.CONTROL, random.Random(7), 8)]
    again = [o for o, _ in arbitration.rank(scored, Arm.CONTROL, random.Random(7), 8)]
    learnt = [o for o, _ in arbitration.rank(scored, Arm.LEARNT, random.Random(7), 8)]
    assert first == again
    assert first != learnt  # not the score order
    assert sorted(first) == sorted(learnt)


def test_thompson_explores_without_evidence_and_the_better_offer_wins_after_evidence():
    rng = random.Random(42)
    # Given two offers without evidence: each wins a fair share of draws (exploration)
    fresh = Evidence()
    wins = sum(fresh.sample(rng) > fresh.sample(rng) for _ in range(2000))
    assert 800 < wins < 1200
    # Given evidence: 10% accepts against 5% over 1,000 impressions each
    better, worse = Evidence(1000, 100), Evidence(1000, 50)
    wins = sum(better.sample(rng) > worse.sample(rng) for _ in range(2000))
    # Then the better offer wins most draws
    assert wins > 1900
    assert better.mean == pytest.approx(101 / 1002)


def test_thompson_draws_are_reproducible_with_a_seed():
    evidence = Evidence(20, 3)
    assert [evidence.sample(random.Random(5)) for _ in range(3)] == [
        evidence.sample(random.Random(5)) for _ in range(3)
    ]


def test_random_control_is_deterministic_per_customer_and_month_and_about_two_percent():
    # Given the same customer, twice in November and once in December
    nov = datetime(2026, 11, 3, tzinfo=UTC)
    members = [f"c-{i}" for i in range(20_000) if arbitration.in_random_control(f"c-{i}", nov)]
    # Then membership does not change within the month
    later = nov + timedelta(days=20)
    assert all(arbitration.in_random_control(c, later) for c in members[:200])
    assert members  # not an empty group
    # And it is about 2 % of customers, redrawn the next month
    assert 0.015 < len(members) / 20_000 < 0.025
    dec = datetime(2026, 12, 3, tzinfo=UTC)
    assert sum(arbitration.in_random_control(c, dec) for c in members) < len(members) / 5


def _log(*entries: tuple[str, str, timedelta]) -> tuple[OfferContact, ...]:
    return tuple(OfferContact(offer, outcome, iso(NOW - ago)) for offer, outcome, ago in entries)


RULES = policy.OfferPolicy(3, timedelta(days=7), timedelta(days=14))


def test_an_offer_shown_three_times_in_a_week_without_accept_rests():
    log = _log(
        ("o1", "impression", timedelta(days=6)),
        ("o1", "impression", timedelta(days=3)),
        ("o1", "impression", timedelta(days=1)),
        ("o2", "impression", timedelta(days=1)),
    )
    reason = policy.offer_resting(RULES, log, "o1", NOW)
    assert reason is not None and "3 times within 7d" in reason
    assert policy.offer_resting(RULES, log, "o2", NOW) is None


def test_an_accept_resets_the_count_and_the_rest_ends_after_pause_for():
    accepted = _log(
        ("o1", "impression", timedelta(days=6)),
        ("o1", "impression", timedelta(days=3)),
        ("o1", "accept", timedelta(days=2)),
        ("o1", "impression", timedelta(days=1)),
    )
    assert policy.offer_resting(RULES, accepted, "o1", NOW) is None
    spread = _log(
        ("o1", "impression", timedelta(days=20)),
        ("o1", "impression", timedelta(days=10)),
        ("o1", "impression", timedelta(days=1)),
    )
    assert policy.offer_resting(RULES, spread, "o1", NOW) is None  # not within 7 days
    rested = _log(
        ("o1", "impression", timedelta(days=18)),
        ("o1", "impression", timedelta(days=17)),
        ("o1", "impression", timedelta(days=15)),
    )
    assert policy.offer_resting(RULES, rested, "o1", NOW) is None  # 14 days have passed


def test_the_offers_block_of_the_contact_policy_is_validated():
    parsed = policy.parse_policy(
        {**policy.DEFAULT_POLICY, "offers": {"max_shown": 5, "within": "P3D", "pause_for": "P1D"}}
    )
    assert parsed.offers == policy.OfferPolicy(5, timedelta(days=3), timedelta(days=1))
    assert policy.default().offers == policy.OfferPolicy()
    with pytest.raises(ValidationError) as err:
        policy.parse_policy({"offers": {"max_shown": 0}})
    assert err.value.field == "offers.max_shown"
    with pytest.raises(ValidationError) as err:
        policy.parse_policy({"offers": {"within": "7 days"}})
    assert err.value.field == "offers.within"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lever": 101}, "lever"),
        ({"placements": []}, "placements"),
        (
            {"content": {"web-home": {"headline": "x"}, "elsewhere": {"headline": "y"}}},
            "content.elsewhere",
        ),
        ({"value": -1}, "value"),
        (
            {"valid": {"from": "2026-12-01T00:00:00Z", "until": "2026-11-01T00:00:00Z"}},
            "valid.until",
        ),
        ({"colour": "red"}, "colour"),
    ],
)
def test_offer_documents_are_checked_field_by_field(change, field):
    doc = {
        "id": "o1",
        "placements": ["web-home"],
        "content": {"web-home": {"headline": "Hello"}},
        **change,
    }
    with pytest.raises(ValidationError) as err:
        parse_offer(doc)
    assert err.value.field == field


def test_offer_expressions_are_checked_for_meaning():
    from herald.service import offer_catalogue

    base = {"id": "o1", "placements": ["web-home"], "content": {"web-home": {"headline": "Hi"}}}
    for field, text in (("eligibility", "basket.total > 3"), ("value", '"ten"')):
        with pytest.raises(ValidationError) as err:
            offer_catalogue.check({**base, field: text})
        assert err.value.field == field
    with pytest.raises(ValidationError) as err:
        offer_catalogue.check({**base, "content": {"web-home": {"headline": "{% if %}"}}})
    assert err.value.field == "content.web-home.headline"


def test_a_draw_with_much_evidence_keeps_the_posteriors_mean_and_spread():
    # Given 20,000 impressions and 2,000 accepts (the normal approximation's range)
    evidence = Evidence(20_000, 2_000)
    rng = random.Random(9)
    draws = [evidence.sample(rng) for _ in range(4000)]
    mean = sum(draws) / len(draws)
    spread = (sum((d - mean) ** 2 for d in draws) / len(draws)) ** 0.5
    a, b = evidence.alpha, evidence.beta
    assert mean == pytest.approx(a / (a + b), abs=0.0005)
    assert spread == pytest.approx((a * b / ((a + b) ** 2 * (a + b + 1))) ** 0.5, rel=0.1)


def test_an_absurdly_long_duration_is_refused_not_crashed_on():
    with pytest.raises(ValidationError) as err:
        policy.parse_policy({"offers": {"within": "PT99999999999999999999999S"}})
    assert err.value.field == "offers.within"
