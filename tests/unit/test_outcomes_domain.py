"""Outcomes in the domain: SES events of every type, experiment arms, goals and their window,
engagement order, stats verdicts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from herald.domain import experiment, goal, ses_event, stats
from herald.domain.action import parse_action
from herald.domain.document import ValidationError
from herald.domain.event import BadEvent
from herald.domain.outcome import MessageRef, engagement, ref_from_tags, tags
from herald.domain.rule import parse_rule
from tests.conftest import REPO

SAMPLES = REPO / "events" / "ses"
NOW = datetime(2026, 11, 24, 14, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sample", "kind"),
    [
        ("send", None),  # counted by the send function, not here
        ("delivery", "delivered"),
        ("open", "opened"),
        ("click", "clicked"),
        ("bounce-permanent", "bounced"),
        ("bounce-transient", "soft_bounced"),
        ("complaint", "complained"),
        ("reject", "failed"),
        ("rendering-failure", "failed"),
        ("delivery-delay", "delayed"),
        ("subscription", "unsubscribed"),
    ],
)
def test_every_ses_event_type_maps_to_its_outcome_and_names_its_message(sample, kind):
    outcome = ses_event.parse(json.loads((SAMPLES / f"{sample}.json").read_text()))
    if kind is None:
        assert outcome is None
        return
    assert str(outcome.kind) == kind
    assert outcome.ref == MessageRef(
        "0123456789abcdef0123456789abcdef", "cart-abandoned-gold", 1, "cart-free-shipping",
        "2026-11-24T14", "email", "marketing",
    )  # fmt: skip
    if kind in ("bounced", "complained"):
        assert outcome.addresses == ("ann@example.com",)


def test_malformed_ses_events_say_what_is_wrong():
    for event, why in (
        ("nope", "not a JSON object"),
        ({"detail": []}, "no detail object"),
        ({"detail": {"eventType": "Teleport"}}, "unknown SES event type"),
        ({"detail": {"eventType": "Delivery"}}, "no mail object"),
    ):
        with pytest.raises(BadEvent, match=why):
            ses_event.parse(event)


def test_tags_carry_a_pinned_arm_and_read_back_exactly():
    ref = MessageRef("a" * 32, "r-1", 3, "promo@2", "2026-11-24T09", "email", "marketing")
    sent = tags(ref)
    assert all(set(t["Value"]) <= set("abcdefghijklmnopqrstuvwxyz0123456789-_T") for t in sent)
    assert ref_from_tags({t["Name"]: [t["Value"]] for t in sent}) == ref
    assert ref_from_tags({"ses:configuration-set": ["x"]}) is None  # not Herald's mail


def test_engagement_never_moves_back_whatever_the_order():
    assert engagement({"delivered", "clicked"}) == "clicked"
    assert engagement({"clicked", "delivered", "opened"}) == "clicked"
    assert engagement({"delivered", "complained"}) == "complained"
    assert engagement(set()) is None


def _send(**body):
    return parse_action({"send": {"channel": "email", "content": "a", **body}}, "then[0]")


def test_arms_split_by_weight_after_the_holdout_and_stay_put():
    action = _send(variants=[{"content": "a", "weight": 3}, {"content": "b", "weight": 1}],
                   holdout=0.2)  # fmt: skip
    drawn = [experiment.assign(action, f"c-{i}", "r").name for i in range(20_000)]
    shares = {name: drawn.count(name) / len(drawn) for name in set(drawn)}
    assert shares == pytest.approx({"holdout": 0.2, "a": 0.6, "b": 0.2}, abs=0.015)
    assert [experiment.assign(action, f"c-{i}", "r").name for i in range(200)] == drawn[:200]
    salted = parse_action({"send": {**action.to_doc()["send"], "salt": "winter"}}, "then[0]")
    moved = sum(experiment.assign(salted, f"c-{i}", "r").name != drawn[i] for i in range(1000))
    assert moved > 300  # a new salt re-draws: a new experiment
    assert {a.name: a.weight for a in experiment.arms(action)} == pytest.approx(
        {"holdout": 0.2, "a": 0.6, "b": 0.2}
    )


def test_a_variant_twice_is_refused_naming_the_field():
    with pytest.raises(ValidationError) as err:
        _send(variants=[{"content": "a", "weight": 1}, {"content": "a", "weight": 1}])
    assert err.value.field == "then[0].send.variants[1].content"


RULE = {
    "id": "r", "name": "n", "on": "product.viewed",
    "then": [{"send": {"channel": "email", "content": "a", "holdout": 0.5}}],
}  # fmt: skip


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        ({"event": "order.placed"}, "goal.within", "within is required"),
        ({"event": "order.placed", "within": "7 days"}, "goal.within", "ISO-8601 duration"),
        ({"event": "order placed", "within": "P7D"}, "goal.event", ""),
        ({"event": "order.placed", "within": "P7D", "extra": 1}, "goal.extra", "unknown"),
    ],
)
def test_a_goal_is_checked_on_save_with_the_field_to_fix(bad, field, words):
    with pytest.raises(ValidationError) as err:
        parse_rule({**RULE, "goal": bad})
    assert err.value.field == field and words in err.value.message


def test_a_goal_value_must_be_a_number_said_with_its_position():
    from herald import expressions

    with pytest.raises(expressions.ExpressionError) as err:
        expressions.compile_value('event.currency == "EUR"', "goal.value")
    assert err.value.field == "goal.value" and "must be a number" in err.value.message
    with pytest.raises(expressions.ExpressionError) as err:
        expressions.compile_value("event.amount +", "goal.value")
    assert err.value.field == "goal.value" and "column" in err.value.message


def test_the_latest_exposure_converts_once_within_its_window_edges_included():
    target = goal.parse_goal({"event": "order.placed", "within": "P7D"})
    first = goal.exposure("r", "m1", NOW, 1, "a", target)
    second = goal.exposure("r", "m2", NOW + timedelta(days=1), 1, "a", target)
    kept = goal.remember({}, [first, second], NOW + timedelta(days=1))
    edge = NOW + timedelta(days=8)  # the second exposure's deadline, exactly
    assert [e.message_id for e in goal.converting(kept, "order.placed", edge)] == ["m2"]
    assert goal.converting(kept, "order.placed", edge + timedelta(milliseconds=1)) == []
    assert goal.converting(kept, "cart.abandoned", edge) == []
    done = goal.mark_converted(kept, goal.converting(kept, "order.placed", edge))
    assert goal.converting(done, "order.placed", edge) == []  # once; m1 is not converted instead


def test_exposures_kept_on_the_customer_stay_bounded():
    target = goal.parse_goal({"event": "order.placed", "within": "P30D"})
    many = [goal.exposure(f"r{i % 80}", f"m{i}", NOW, 1, "a", target) for i in range(400)]
    kept = goal.remember({}, many, NOW)
    assert len(kept) == goal.MAX_RULES_EXPOSED
    assert max(len(v) for v in kept.values()) == goal.EXPOSURES_PER_RULE


def _report(holdout_converted: int, treated_converted: int, exposed: int = 1000) -> dict:
    rule = parse_rule({**RULE, "then": [{"send": {"channel": "email", "content": "a",
                                                  "holdout": 0.5}}]})  # fmt: skip
    buckets = {
        "v1#2026-11-24#holdout": {"exposed": exposed, "converted": holdout_converted},
        "v1#2026-11-24#a": {"exposed": exposed, "sent": exposed, "delivered": exposed,
                            "converted": treated_converted},
    }  # fmt: skip
    return stats.report(rule, 1, "2026-11-24", "2026-11-24", buckets)


@pytest.mark.parametrize(
    ("held", "treated", "exposed", "verdict"),
    [(50, 90, 1000, "better"), (90, 50, 1000, "worse"), (50, 55, 1000, "inconclusive"),
     (5, 9, 99, "collecting")],
)  # fmt: skip
def test_the_verdict_follows_the_interval_after_the_minimum_sample(held, treated, exposed, verdict):
    (comparison,) = _report(held, treated, exposed)["comparisons"]
    assert (comparison["arm"], comparison["baseline"], comparison["verdict"]) == (
        "a", "holdout", verdict,
    )  # fmt: skip
    assert comparison["summary"].endswith(".") and "a" in comparison["summary"]


def test_a_broken_split_is_flagged_as_a_sample_ratio_mismatch():
    rule = parse_rule(RULE)
    fair = {"v1#d#holdout": {"exposed": 500}, "v1#d#a": {"exposed": 520}}
    broken = {"v1#d#holdout": {"exposed": 400}, "v1#d#a": {"exposed": 600}}
    assert stats.report(rule, 1, "d", "d", fair)["srm"]["mismatch"] is False
    assert stats.report(rule, 1, "d", "d", broken)["srm"]["mismatch"] is True


EXPOSED_STATUSES = frozenset({"queued", "deferred", "held_out"})


@pytest.mark.parametrize(
    ("old", "new", "old_kinds", "new_kinds", "figures"),
    [
        (None, "queued", set(), set(), ["exposed"]),  # created in an arm: exposed
        (None, "held_out", set(), set(), ["exposed"]),  # the holdout is exposed too
        (None, "capped", set(), set(), []),  # not sent, not exposed
        ("queued", "sending", set(), set(), []),  # the lock counts nothing
        ("sending", "sent", set(), set(), ["sent"]),
        ("sent", "sent", set(), set(), []),  # a rewrite of the same status: nothing again
        ("sending", "failed", set(), set(), ["failed"]),
        ("sent", "sent", {"delivered"}, {"delivered", "clicked"}, ["clicked"]),
        ("sent", "sent", set(), {"delayed", "soft_bounced"}, []),  # flags, not figures
        ("sent", "sent", set(), {"failed"}, ["failed"]),  # SES refused it after the send
        ("sent", "sent", set(), {"sent"}, []),  # SES's Send: the status counted it
    ],
)
def test_a_change_of_a_message_counts_what_is_new_in_it_once(
    old, new, old_kinds, new_kinds, figures
):
    from herald.domain.outcome import figures_of_change

    found = figures_of_change(old, new, old_kinds, new_kinds, exposed=EXPOSED_STATUSES)
    assert found == figures
