"""POST /decide, POST /decide/{id}/outcome, GET /admin/offers/{id}/stats against moto, with the
example offers of rules/offers published."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from tests.integration.apigw import APPROVER, Api, call

NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


@pytest.fixture
def offers_api(demo_data, lambda_context):
    from functions.offers import app

    def post(path: str, body: dict, resource: str = "/decide"):
        return call(
            app.lambda_handler, lambda_context, "POST", path, body, user=None, resource=resource
        )

    return post


@pytest.fixture
def admin(demo_data, lambda_context) -> Api:
    from functions.admin import app

    return Api(app.lambda_handler, lambda_context)


def _outcome(offers_api, decision_id: str, offer_id: str, outcome: str):
    return offers_api(
        f"/decide/{decision_id}/outcome",
        {"offer_id": offer_id, "outcome": outcome},
        resource="/decide/{decision_id}/outcome",
    )


def test_decide_ranks_renders_and_traces_after_the_response(offers_api):
    from herald.aws import after_response
    from herald.dal import offers as offer_data

    # Given Ann (gold, lifetime value 1840) on the home page with a big cart
    # When the page asks for two offers
    status, body = offers_api(
        "/decide",
        {
            "customer_id": "c-ann",
            "placement": "web-home",
            "context": {"cart_total": 80},
            "limit": 2,
        },
    )
    # Then two offers come back, ranked by score, rendered for the placement, with factors
    assert status == 200, body
    shown = body["offers"]
    assert [o["rank"] for o in shown] == [1, 2]
    assert shown[0]["factors"]["score"] >= shown[1]["factors"]["score"] or body["arm"] == "control"
    by_id = {o["offer_id"]: o for o in shown}
    if "free-shipping-gold" in by_id:
        assert by_id["free-shipping-gold"]["content"]["headline"].startswith("Ann, express")
        assert by_id["free-shipping-gold"]["factors"]["context_weight"] == 0.5
    for offer in shown:
        f = offer["factors"]
        expected = f["propensity"] * f["value"] * (1 + f["context_weight"]) * (1 + f["lever"])
        assert f["score"] == pytest.approx(expected, rel=1e-5)
    # And the trace lands after the response: eligible, filtered with why, each factor
    after_response.drain()
    trace = offer_data.get_trace(body["decision_id"])
    assert trace["shown"] == [o["offer_id"] for o in shown]
    eligible = {e["offer_id"] for e in trace["eligible"]}
    assert {"free-shipping-gold", "winter-coat-sale", "credit-card-signup"} == eligible
    assert all("propensity" in e["factors"] for e in trace["eligible"])


def test_silver_customer_is_filtered_with_the_reason(offers_api):
    from herald.aws import after_response
    from herald.dal import offers as offer_data

    status, body = offers_api("/decide", {"customer_id": "c-bob", "placement": "web-home"})
    assert status == 200
    after_response.drain()
    trace = offer_data.get_trace(body["decision_id"])
    filtered = {f["offer_id"]: f for f in trace["filtered"]}
    assert filtered["free-shipping-gold"]["filtered"] == "not_eligible"
    assert "free-shipping-gold" not in [o["offer_id"] for o in body["offers"]]


def test_outcomes_are_counted_once_and_feed_the_stats(offers_api, admin):
    from herald.aws import after_response

    # Given a decision that showed offers to Ann
    _, body = offers_api("/decide", {"customer_id": "c-ann", "placement": "app-cart", "limit": 3})
    after_response.drain()
    offer_id = body["offers"][0]["offer_id"]
    # When the placement reports the impression twice and an accept
    first = _outcome(offers_api, body["decision_id"], offer_id, "impression")
    again = _outcome(offers_api, body["decision_id"], offer_id, "impression")
    accept = _outcome(offers_api, body["decision_id"], offer_id, "accept")
    # Then the repeat counts nothing
    assert first == (200, {**first[1], "counted": True})
    assert again[1]["counted"] is False
    assert accept[1]["counted"] is True
    # And the stats show one impression and one accept, with an interval and the propensity
    status, stats = admin("GET", f"/admin/offers/{offer_id}/stats", user=APPROVER)
    assert status == 200, stats
    cart = next(p for p in stats["placements"] if p["placement"] == "app-cart")
    assert (cart["impressions"], cart["accepts"]) == (1, 1)
    assert cart["accept_rate"]["value"] == 1.0 and cart["accept_rate"]["low"] < 1.0
    assert cart["propensity"] == pytest.approx(2 / 3, abs=1e-6)  # Beta(1+1, 1+0)
    assert stats["impressions"] == 1


def test_outcome_of_an_offer_not_shown_or_unknown_decision(offers_api):
    from herald.aws import after_response

    _, body = offers_api("/decide", {"customer_id": "c-bob", "placement": "web-home"})
    after_response.drain()
    status, error = _outcome(offers_api, body["decision_id"], "free-shipping-gold", "accept")
    assert status == 422 and error["error"]["field"] == "offer_id"
    status, error = _outcome(offers_api, "0" * 32, "free-shipping-gold", "accept")
    assert status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"placement": "web-home"}, "customer_id"),
        ({"customer_id": "c-ann", "placement": "Web Home"}, "placement"),
        ({"customer_id": "c-ann", "placement": "web-home", "limit": 11}, "limit"),
        ({"customer_id": "c-ann", "placement": "web-home", "extra": 1}, "extra"),
    ],
)
def test_bad_requests_name_the_field(offers_api, body, field):
    status, error = offers_api("/decide", body)
    assert status == 422 and error["error"]["field"] == field


def test_offer_contact_policy_rests_an_offer_shown_too_often(offers_api):
    from herald.aws import after_response
    from herald.dal import offers as offer_data
    from herald.service import offers

    # Given an offer shown three times to Ann without an accept (the default policy: 3 in P7D)
    seen = []
    for _ in range(3):
        decision = offers.decide(
            {"customer_id": "c-ann", "placement": "agent-desktop", "limit": 3},
            rng=random.Random(1),
        )
        after_response.drain()
        ids = [o["offer_id"] for o in decision["offers"]]
        assert "credit-card-signup" in ids
        offers.outcome(
            decision["decision_id"], {"offer_id": "credit-card-signup", "outcome": "impression"}
        )
        seen.append(decision)
    # When the agent desktop asks again
    decision = offers.decide({"customer_id": "c-ann", "placement": "agent-desktop"})
    after_response.drain()
    # Then that offer rests, and the trace says why
    assert "credit-card-signup" not in [o["offer_id"] for o in decision["offers"]]
    trace = offer_data.get_trace(decision["decision_id"])
    resting = {f["offer_id"]: f for f in trace["filtered"]}["credit-card-signup"]
    assert resting["filtered"] == "resting" and "3 times within 7d" in resting["reason"]


def test_offers_are_versioned_through_the_admin_api(admin):
    # Given a new offer saved by a marketer
    doc = {
        "id": "new-offer",
        "name": "A new offer",
        "placements": ["web-home"],
        "eligibility": 'customer.attributes.tier == "gold"',
        "value": 5,
        "content": {"web-home": {"headline": "Hi {{ customer.attributes.first_name }}"}},
    }
    status, created = admin("POST", "/admin/offers", doc)
    assert status == 201, created
    assert created["version"] == 1 and created["state"] == "draft"
    # When it is published (by an approver who did not write it)
    status, live = admin("POST", "/admin/offers/new-offer/publish", {"version": 1}, user=APPROVER)
    assert status == 200 and live["live"] is True
    # And a broken eligibility is refused with the field
    status, error = admin(
        "PUT",
        "/admin/offers/new-offer",
        {**doc, "eligibility": "customer.(", "expected_version": 1},
    )
    assert status == 422 and error["error"]["field"] == "eligibility"
    status, audit = admin("GET", "/admin/audit", query={"entity": "offer", "id": "new-offer"})
    assert status == 200 and [e["action"] for e in audit["items"]][-2:] in (
        ["create", "publish"],
        ["publish", "create"],
    )
