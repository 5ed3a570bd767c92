"""Outcomes end to end: SES events join their message and count once in any order, holdouts
and variants are exposures, goals convert, the stats answer, the guardrail pauses and an
approver resumes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import DEMO_NOW, count_changes, drain_send_queue, eventbridge
from tests.integration.apigw import APPROVER, Api

RULE = "winter-sale-experiment"


def ses_event(message, kind: str) -> dict:
    """What SES publishes for a message Herald sent (its tags, as the send attached them)."""
    from herald.domain.outcome import ref_of, tags
    from herald_dev.local.ses_events import SentEmail, record

    found = {t["Name"]: [t["Value"]] for t in tags(ref_of(message))}
    sent = SentEmail("ses-1", "hello@example.com", ["ann@example.com"], found, "herald-dev", "t")
    return record(sent, kind, "us-east-1", at="2026-11-24T14:05:00.000Z")


def stats(first: str, last: str, rule_id: str = RULE) -> dict:
    from herald.admin import stats as use_case
    from herald.admin.users import User

    return use_case.rule_stats(User("mia", frozenset({"marketers"})), rule_id, None, first, last)


def arm(report: dict, name: str) -> dict:
    return next(a for a in report["arms"] if a["arm"] == name)["counts"]


@pytest.fixture
def shoppers(demo_data, clock):
    """60 customers browsing outerwear, each drawn into an arm of the winter-sale experiment."""
    from herald.dal import customers, records
    from herald.domain.customer import parse_customer
    from tests.builders import decide_envelope

    by_arm: dict[str, list] = {}
    for i in range(60):
        cid = f"c-shop-{i}"
        customers.upsert(parse_customer({
            "customer_id": cid, "email": f"shop{i}@example.com",
            "consent": {"email": True}, "attributes": {"first_name": f"S{i}"},
        }))  # fmt: skip
        outcome = decide_envelope(
            eventbridge("product.viewed", cid, f"view-{i}", category="outerwear"), DEMO_NOW
        )
        (action,) = outcome.trace.actions
        message = records.get_message(action.message_id)
        by_arm.setdefault(message.arm, []).append(message)
    return by_arm


def test_holdout_customers_are_recorded_not_sent_and_every_arm_is_exposed(shoppers, handlers):
    # Then each arm drew customers; the held-out ones have a message that is never sent
    assert set(shoppers) == {"holdout", "winter-sale-a", "winter-sale-b"}
    assert {m.status for m in shoppers["holdout"]} == {"held_out"}
    assert {m.status for m in shoppers["winter-sale-a"] + shoppers["winter-sale-b"]} == {"queued"}
    drain_send_queue(handlers)
    assert count_changes(handlers) > 0
    report = stats("2026-11-24", "2026-11-24")
    for name, messages in shoppers.items():
        counts = arm(report, name)
        assert counts["exposed"] == len(messages)
        assert counts["sent"] == (0 if name == "holdout" else len(messages))
    # And the weights are the configured split: 20% holdout, the rest halved
    assert [(a["arm"], a["weight"]) for a in report["arms"]] == [
        ("holdout", 0.2), ("winter-sale-a", 0.4), ("winter-sale-b", 0.4),
    ]  # fmt: skip


def test_ses_events_count_once_per_message_and_kind_in_any_order(
    shoppers, handlers, lambda_context
):
    from herald.dal import records
    from herald.domain.outcome import engagement

    drain_send_queue(handlers)
    message = records.get_message(shoppers["winter-sale-a"][0].message_id)
    assert message.status == "sent"
    feedback = handlers.feedback.lambda_handler
    # Given a click arrives before the delivery, then the delivery twice and an open
    results = [
        feedback(ses_event(message, kind), lambda_context)
        for kind in ("Click", "Delivery", "Delivery", "Open")
    ]
    # Then each kind counted once, the repeat was a duplicate, and nothing moved back
    assert [r["status"] for r in results] == ["counted", "counted", "duplicate", "counted"]
    count_changes(handlers)
    counts = arm(stats("2026-11-24", "2026-11-24"), "winter-sale-a")
    assert (counts["delivered"], counts["clicked"], counts["opened"]) == (1, 1, 1)
    stored = records.get_message(message.message_id)
    assert engagement(stored.outcomes) == "clicked"


def test_mail_herald_did_not_send_is_counted_and_dropped(shoppers, handlers, lambda_context):
    from dataclasses import replace

    message = replace(shoppers["winter-sale-b"][0], message_id="f" * 32)  # no such message
    result = handlers.feedback.lambda_handler(ses_event(message, "Delivery"), lambda_context)
    assert result["status"] == "unknown"
    untagged = ses_event(message, "Delivery")
    untagged["detail"]["mail"]["tags"] = {"ses:configuration-set": ["herald-dev"]}
    assert handlers.feedback.lambda_handler(untagged, lambda_context)["status"] == "unknown"
    assert arm(stats("2026-11-24", "2026-11-24"), "winter-sale-b")["delivered"] == 0


def test_an_order_converts_the_latest_exposure_once_holdout_included(shoppers, clock):
    from tests.builders import decide_envelope

    held, treated = shoppers["holdout"][0], shoppers["winter-sale-a"][0]
    later = DEMO_NOW + timedelta(days=2)
    clock(later)
    # When both order within the week, and the treated customer orders again
    for customer, n, amount in ((held, 1, 40), (treated, 2, 120), (treated, 3, 75)):
        decide_envelope(
            eventbridge("order.placed", customer.customer_id, f"order-{n}", amount=amount), later
        )
    # Then each exposure converted once, with the first order's value as revenue
    report = stats("2026-11-24", "2026-11-26")
    assert (arm(report, "holdout")["converted"], arm(report, "holdout")["revenue"]) == (1, 40)
    counts = arm(report, "winter-sale-a")
    assert (counts["converted"], counts["revenue"]) == (1, 120)
    # And an order after the window converts nothing
    other = shoppers["winter-sale-b"][0]
    too_late = DEMO_NOW + timedelta(days=7, seconds=1)
    decide_envelope(eventbridge("order.placed", other.customer_id, "order-4", amount=9), too_late)
    assert arm(stats("2026-11-24", "2026-12-02"), "winter-sale-b")["converted"] == 0


def test_the_stats_answer_has_the_contract_shape(shoppers, lambda_context):
    from functions.admin import app

    api = Api(app.lambda_handler, lambda_context)
    status, body = api(
        "GET", f"/admin/rules/{RULE}/stats", query={"from": "2026-11-24", "to": "2026-11-24"}
    )
    assert status == 200
    assert set(body) >= {"rule_id", "version", "from", "to", "arms", "comparisons", "srm", "days",
                         "paused"}  # fmt: skip
    assert set(body["arms"][0]["rates"]) == {
        "delivery", "open", "click", "conversion", "unsubscribe", "complaint",
    }  # fmt: skip
    assert [(c["arm"], c["baseline"], c["verdict"]) for c in body["comparisons"]] == [
        ("winter-sale-a", "holdout", "collecting"),
        ("winter-sale-b", "holdout", "collecting"),
    ]
    assert body["srm"]["mismatch"] is False and body["paused"] is None
    overview = api("GET", "/admin/stats/overview")
    assert overview[0] == 200 and set(overview[1]["channels"]) == {"email", "sms", "push"}


def _seed(rule_id: str, sent: int, complained: int) -> None:
    from herald.dal import counters, outcomes

    day = DEMO_NOW.date().isoformat()
    counters.add(
        counters.Increment(
            outcomes.rule_scope(rule_id),
            f"v1#{day}#winter-sale-a",
            {"sent": sent, "complained": complained},
            shards=outcomes.SHARDS,
        )
    )


@pytest.mark.parametrize(("complaints", "paused"), [(3, False), (4, True)])
def test_the_guardrail_pauses_above_the_complaint_threshold_and_an_approver_resumes(
    shoppers, lambda_context, monkeypatch, complaints, paused
):
    from herald.dal.audit import for_entity
    from herald.domain.outcome import MessageRef
    from herald.service import guardrail

    alerts = []
    monkeypatch.setattr(guardrail.alerts, "publish", lambda *a, **k: alerts.append(a))
    # Given 1,000 sends with 3 complaints (0.3%: at the ceiling) or 4 (0.4%: above it)
    _seed(RULE, 1000, complaints)
    ref = MessageRef("m" * 32, RULE, 1, "winter-sale-a", "2026-11-24T14", "email", "marketing")
    # When the guardrail looks after a complaint
    reason = guardrail.after_bad_outcome(ref, DEMO_NOW)
    # Then the rule is paused only above it, with its audit entry, alert and reason
    from functions.admin import app

    api = Api(app.lambda_handler, lambda_context)
    status, rule = api("GET", f"/admin/rules/{RULE}")
    assert (reason is not None) is paused and len(alerts) == int(paused)
    assert rule["entity_state"] == ("paused" if paused else "live")
    if not paused:
        return
    assert rule["paused"]["by"] == "herald-guardrail" and "0.40%" in rule["paused"]["reason"]
    assert for_entity("rule", RULE)[0].user == "herald-guardrail"
    assert stats("2026-11-24", "2026-11-24")["paused"]["reason"] == reason
    # And an approver resumes it: live again, the reason gone
    status, resumed = api("POST", f"/admin/rules/{RULE}/resume", user=APPROVER)
    assert status == 200 and resumed["entity_state"] == "live" and resumed["paused"] is None
    assert for_entity("rule", RULE)[0].action == "resume"


def _messages_stream(limit: int = 500) -> list[dict]:
    from herald.settings import settings
    from herald_dev.local import streams

    return streams.reader(settings().messages_table).read(limit)


def test_a_batch_delivered_again_counts_nothing_twice_and_a_longer_one_only_what_is_new(
    shoppers, handlers
):
    from herald.service import counting

    # Given the stream of 60 decisions (messages created: exposures)
    first = _messages_stream()
    exposed = sum(len(m) for m in shoppers.values())
    assert len(first) >= exposed == 60
    # When the counting function gets the batch, then the same batch again (a retry)
    once = counting.on_stream({"Records": first})
    again = counting.on_stream({"Records": first})
    # Then the retry found the batch's markers and counted nothing
    assert (once["counted"], once["skipped"]) == (exposed, 0)
    assert (again["counted"], again["skipped"], again["transactions"]) == (0, exposed, 0)
    report = stats("2026-11-24", "2026-11-24")
    assert sum(a["counts"]["exposed"] for a in report["arms"]) == exposed
    # When the messages are sent and the retried batch comes back longer (the sends appended)
    drain_send_queue(handlers)
    longer = first + _messages_stream()
    result = counting.on_stream({"Records": longer})
    # Then only the sends counted, once
    sent = len(shoppers["winter-sale-a"]) + len(shoppers["winter-sale-b"])
    assert (result["skipped"], result["counted"]) == (exposed, sent)
    report = stats("2026-11-24", "2026-11-24")
    assert sum(a["counts"]["exposed"] for a in report["arms"]) == exposed
    assert sum(a["counts"]["sent"] for a in report["arms"]) == sent


def test_a_complaint_counted_from_the_stream_pauses_the_rule_above_the_threshold(
    shoppers, handlers, lambda_context, monkeypatch
):
    from herald.dal.versions import rules
    from herald.service import guardrail

    alerts = []
    monkeypatch.setattr(guardrail.alerts, "publish", lambda *a, **k: alerts.append(a))
    drain_send_queue(handlers)
    count_changes(handlers)
    # Given 1,000 sends with 3 complaints (0.3%: at the ceiling) already counted
    _seed(RULE, 1000, 3)
    message = shoppers["winter-sale-a"][0]
    # When SES reports a complaint on one more message and the stream is counted
    result = handlers.feedback.lambda_handler(ses_event(message, "Complaint"), lambda_context)
    assert result["status"] == "counted" and rules.head(RULE).state == "live"
    count_changes(handlers)
    # Then the complaint is counted and the rule is paused, with its alert
    assert arm(stats("2026-11-24", "2026-11-24"), "winter-sale-a")["complained"] == 4
    assert rules.head(RULE).state == "paused" and len(alerts) == 1
