"""The decision engine: rule selection, branches, windows, arbitration, policy, holdouts, traces."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from herald import engine
from herald.domain import policy
from herald.domain.customer import CustomerState
from herald.domain.event import Event
from herald.domain.rule import parse_rule
from tests.builders import customer_state

NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # 15:00 in Paris


def rule(rule_id: str, **overrides) -> dict:
    return {
        "id": rule_id,
        "name": rule_id,
        "on": "cart.abandoned",
        "priority": 10,
        "then": [{"send": {"channel": "email", "content": "c-email"}}],
        **overrides,
    }


def ruleset(*docs: dict, contents=("c-email", "c-push", "c-sms", "c-a", "c-b")) -> engine.Ruleset:
    return engine.Ruleset([parse_rule(d) for d in docs], {c: 1 for c in contents}, "7")


def event(**detail) -> Event:
    return Event(
        "cart.abandoned", "c-1", "evt-1", "2026-11-24T14:00:00Z", {"customer_id": "c-1", **detail}
    )


def customer(**overrides) -> CustomerState:
    return customer_state(
        {
            "customer_id": "c-1",
            "email": "ann@example.com",
            "phone": "+33612345678",
            "push": [{"platform": "fcm", "token": "t"}],
            "timezone": "Europe/Paris",
            "consent": {"email": True, "sms": True, "push": True},
            "attributes": {"tier": "gold"},
            "suppressed": {},
            "contact_log": [],
            **overrides,
        }
    )


def outcomes(decision: engine.Decision) -> list[tuple]:
    return [
        (a["rule_id"], a.get("outcome"), a.get("reason"))
        for a in decision.trace.to_doc()["actions"]
    ]


def test_then_branch_when_the_condition_holds_else_branch_otherwise():
    rs = ruleset(
        rule(
            "gold",
            when='customer.attributes.tier == "gold" and event.cart_total >= 100',
            then=[{"send": {"channel": "email", "content": "c-email"}}],
            **{"else": [{"send": {"channel": "push", "content": "c-push"}}]},
        )
    )
    big = engine.decide(rs, event(cart_total=150), customer(), NOW)
    small = engine.decide(rs, event(cart_total=50), customer(), NOW)
    assert [(m.channel, m.content_id, m.verdict.status) for m in big.messages] == [
        ("email", "c-email", "queued")
    ]
    assert [(m.channel, m.content_id) for m in small.messages] == [("push", "c-push")]
    assert (
        big.trace.to_doc()["rules"][0]["branch"] == "then"
        and small.trace.to_doc()["rules"][0]["branch"] == "else"
    )


def test_only_rules_for_the_event_name_are_considered():
    rs = ruleset(rule("cart"), rule("other", on="order.shipped"))
    decision = engine.decide(rs, event(), customer(), NOW)
    assert [r["rule_id"] for r in decision.trace.to_doc()["rules"]] == ["cart"]
    assert (
        engine.decide(rs, Event("unknown.event", "c-1", "e", "t", {}), customer(), NOW).messages
        == ()
    )


def test_highest_priority_wins_arbitration_and_the_rest_are_not_chosen():
    rs = ruleset(
        rule("low", priority=1),
        rule("high", priority=99, then=[{"send": {"channel": "sms", "content": "c-sms"}}]),
    )
    decision = engine.decide(rs, event(), customer(), NOW)
    assert [m.rule_id for m in decision.outgoing] == ["high"]
    assert outcomes(decision)[1][:2] == ("low", "not_chosen")


def test_max_messages_per_event_comes_from_the_policy():
    rs = ruleset(
        rule("a", priority=2),
        rule("b", priority=1, then=[{"send": {"channel": "sms", "content": "c-sms"}}]),
    )
    two = policy.parse_policy({**policy.DEFAULT_POLICY, "max_messages_per_event": 2})
    assert len(engine.decide(rs, event(), customer(), NOW, two).outgoing) == 2


def test_a_suppressed_candidate_lets_the_next_one_through():
    # Given no email consent, the highest-priority email is filtered before arbitration
    rs = ruleset(
        rule("email", priority=9),
        rule("sms", priority=1, then=[{"send": {"channel": "sms", "content": "c-sms"}}]),
    )
    decision = engine.decide(rs, event(), customer(consent={"email": False, "sms": True}), NOW)
    assert outcomes(decision) == [
        ("email", "suppressed", "no email consent"),
        ("sms", "queued", None),
    ]


def test_inactive_rules_are_skipped_with_a_reason():
    rs = ruleset(rule("future", active={"from": "2027-01-01T00:00:00Z"}))
    decision = engine.decide(rs, event(), customer(), NOW)
    assert decision.messages == ()
    assert decision.trace.to_doc()["rules"][0]["skipped"] == "outside its active window"


def test_an_expression_error_is_traced_and_runs_neither_branch():
    rs = ruleset(
        rule(
            "typed",
            when="event.cart_total > 3",
            **{"else": [{"send": {"channel": "sms", "content": "c-sms"}}]},
        )
    )
    decision = engine.decide(rs, event(cart_total="lots"), customer(), NOW)
    assert decision.messages == ()
    assert decision.trace.to_doc()["rules"][0]["matched"] is None
    assert "error" in decision.trace.to_doc()["rules"][0]


def test_unknown_customer_and_missing_address_are_suppressed_with_reasons():
    rs = ruleset(rule("r"))
    assert outcomes(engine.decide(rs, event(), None, NOW))[0][1:] == (
        "suppressed",
        "unknown customer: no profile",
    )
    no_email = outcomes(engine.decide(rs, event(), customer(email=None), NOW))[0]
    assert no_email[1:] == ("suppressed", "no email address on the profile")


def test_content_without_a_published_version_fails_the_action():
    rs = ruleset(rule("r", then=[{"send": {"channel": "email", "content": "never-published"}}]))
    assert outcomes(engine.decide(rs, event(), customer(), NOW))[0][1] == "failed"


def test_pinned_content_versions_are_used_as_written():
    rs = ruleset(rule("r", then=[{"send": {"channel": "email", "content": "c-email@5"}}]))
    assert engine.decide(rs, event(), customer(), NOW).messages[0].content_version == 5


def test_route_alert_and_profile_updates_run_alongside_messages():
    rs = ruleset(
        rule(
            "complaint",
            then=[
                {"route": {"queue": "vip", "priority": "high"}},
                {"alert": {"topic": "vip", "message": "m"}},
                {"update_profile": {"set": {"flag": True}}},
                {"send": {"channel": "email", "content": "c-email"}},
            ],
        ),
        rule("second", priority=1, then=[{"route": {"queue": "care"}}]),
    )
    decision = engine.decide(rs, event(), customer(), NOW)
    assert [(e.rule_id, e.action.kind) for e in decision.effects] == [
        ("complaint", "route"),
        ("complaint", "alert"),
        ("complaint", "update_profile"),
        ("second", "route"),
    ]
    assert len(decision.outgoing) == 1


def test_holdout_and_variants_are_deterministic_per_customer():
    rs = ruleset(
        rule(
            "ab",
            then=[
                {
                    "send": {
                        "channel": "email",
                        "content": "c-email",
                        "variants": [
                            {"content": "c-a", "weight": 1},
                            {"content": "c-b", "weight": 1},
                        ],
                        "holdout": 0.2,
                    }
                }
            ],
        )
    )
    picks = {}
    held = 0
    for i in range(400):
        ev = Event("cart.abandoned", f"c-{i}", f"e-{i}", "t", {"customer_id": f"c-{i}"})
        first = engine.decide(rs, ev, customer(customer_id=f"c-{i}"), NOW)
        again = engine.decide(rs, ev, customer(customer_id=f"c-{i}"), NOW)
        assert first.trace.to_doc()["actions"] == again.trace.to_doc()["actions"]
        if first.trace.to_doc()["actions"][0]["outcome"] == "holdout":
            held += 1
        else:
            picks[first.messages[0].content_id] = picks.get(first.messages[0].content_id, 0) + 1
    assert 40 <= held <= 130  # ~20 % of 400
    assert set(picks) == {"c-a", "c-b"} and min(picks.values()) > 100


def test_marketing_messages_extend_the_contact_log_and_caps_apply():
    rs = ruleset(rule("r"))
    log = [
        ["email", "2026-11-23T10:00:00.000Z"],
        ["email", "2026-11-22T10:00:00.000Z"],
        ["email", "2026-11-21T10:00:00.000Z"],
    ]
    capped = engine.decide(rs, event(), customer(contact_log=log), NOW)
    assert outcomes(capped)[0][1] == "capped"
    fresh = engine.decide(rs, event(), customer(contact_log=log[:2]), NOW)
    assert fresh.contact_log is not None and fresh.contact_log[-1].channel == "email"


def test_transactional_messages_skip_caps_and_quiet_hours():
    night = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # 00:30 in Paris
    sms = rule(
        "ship", category="transactional", then=[{"send": {"channel": "sms", "content": "c-sms"}}]
    )
    decision = engine.decide(
        ruleset(sms), event(), customer(contact_log=[["sms", "2026-11-24T23:00:00.000Z"]]), night
    )
    assert outcomes(decision) == [("ship", "queued", None)]
    assert decision.contact_log is None


def test_marketing_sms_at_night_is_deferred_to_the_morning_in_the_customers_zone():
    night = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    sms = rule("promo", then=[{"send": {"channel": "sms", "content": "c-sms"}}])
    decision = engine.decide(ruleset(sms), event(), customer(), night)
    message = decision.messages[0]
    assert message.verdict.status == "deferred"
    assert message.verdict.send_at == datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # 08:00 Paris


@pytest.mark.parametrize("when", ["event.cart_total >= 100", None])
def test_the_trace_names_every_rule_and_the_ruleset_revision(when):
    decision = engine.decide(ruleset(rule("r", when=when)), event(cart_total=120), customer(), NOW)
    assert decision.trace.to_doc()["ruleset_revision"] == "7"
    assert decision.trace.to_doc()["rules"] == [
        {"rule_id": "r", "version": 1, "priority": 10, "matched": True, "branch": "then"}
    ]
