"""Rule, content, customer and event documents: what is accepted and what is refused, by field."""

from __future__ import annotations

import pytest

from herald.domain.action import SendAction
from herald.domain.content import ContentRef, parse_content
from herald.domain.customer import parse_customer
from herald.domain.document import ValidationError
from herald.domain.event import BadEvent, decision_id, from_envelope
from herald.domain.message import message_id_for
from herald.domain.rule import parse_rule

RULE = {
    "id": "cart-abandoned-gold",
    "name": "Gold members get free shipping",
    "on": "cart.abandoned",
    "priority": 100,
    "when": 'customer.attributes.tier == "gold"',
    "then": [{"send": {"channel": "email", "content": "cart-free-shipping@2"}}],
    "else": [{"send": {"channel": "push", "content": "cart-reminder"}}],
    "category": "marketing",
    "active": {"from": "2026-11-20T00:00:00Z", "until": "2026-12-31T23:59:59Z"},
}


def test_a_full_rule_round_trips_through_its_document():
    # Given the rule of PRODUCT.md, When parsed and turned back into a document
    rule = parse_rule(RULE)
    # Then nothing is lost
    assert rule.then == (SendAction("email", ContentRef("cart-free-shipping", 2)),)
    assert rule.else_[0].content == ContentRef("cart-reminder", None)
    assert parse_rule(rule.to_doc()) == rule
    assert rule.to_doc()["active"] == {
        "from": "2026-11-20T00:00:00.000Z",
        "until": "2026-12-31T23:59:59.000Z",
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "Bad Id"}, "id"),
        ({"id": "x" * 65}, "id"),
        ({"on": "has spaces"}, "on"),
        ({"priority": "high"}, "priority"),
        ({"then": []}, "then"),
        ({"then": [{"send": {"channel": "fax", "content": "a"}}]}, "then[0].send.channel"),
        (
            {"then": [{"send": {"channel": "email", "content": "Not An Id"}}]},
            "then[0].send.content",
        ),
        ({"then": [{"explode": {}}]}, "then[0].explode"),
        ({"then": [{"route": {"queue": "q", "priority": "urgent"}}]}, "then[0].route.priority"),
        (
            {"then": [{"send": {"channel": "sms", "content": "a", "holdout": 1.5}}]},
            "then[0].send.holdout",
        ),
        ({"category": "promo"}, "category"),
        ({"active": {"from": "yesterday"}}, "active.from"),
        ({"active": {"from": "2026-12-01T00:00:00"}}, "active.from"),
        (
            {"active": {"from": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"}},
            "active.until",
        ),
        ({"colour": "red"}, "colour"),
    ],
)
def test_an_invalid_rule_is_refused_naming_the_field(change, field):
    with pytest.raises(ValidationError) as err:
        parse_rule({**RULE, **change})
    assert err.value.field == field


def test_yaml_11_on_key_read_as_true_gets_a_clear_error():
    doc = {k: v for k, v in RULE.items() if k != "on"} | {True: "cart.abandoned"}
    with pytest.raises(ValidationError, match="boolean"):
        parse_rule(doc)


def test_content_needs_the_required_fields_of_each_channel():
    with pytest.raises(ValidationError) as err:
        parse_content({"id": "c", "channels": {"sms": {}}})
    assert err.value.field == "channels.sms.text"
    with pytest.raises(ValidationError) as err:
        parse_content({"id": "c", "channels": {"pigeon": {"text": "x"}}})
    assert err.value.field == "channels.pigeon"
    with pytest.raises(ValidationError) as err:
        parse_content(
            {
                "id": "c",
                "channels": {"sms": {"text": "x"}},
                "locales": {"fr": {"email": {"subject": "x"}}},
            }
        )
    assert err.value.field == "locales.fr.email"


def test_content_locale_overrides_merge_over_the_channel():
    content = parse_content(
        {
            "id": "c",
            "channels": {"email": {"subject": "Hello", "text": "Body"}},
            "locales": {"fr": {"email": {"subject": "Bonjour"}}},
        }
    )
    assert content.block("email", "fr-CA") == {"subject": "Bonjour", "text": "Body"}
    assert content.block("email", "de") == {"subject": "Hello", "text": "Body"}
    assert content.block("email", None)["subject"] == "Hello"


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"phone": "0612345678"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"consent": {"email": "yes"}}, "consent.email"),
        ({"push": [{"platform": "blackberry", "token": "t"}]}, "push[0].platform"),
    ],
)
def test_an_invalid_customer_is_refused_naming_the_field(doc, field):
    with pytest.raises(ValidationError) as err:
        parse_customer(doc, "c-1")
    assert err.value.field == field


def test_eventbridge_envelope_gives_the_event_and_its_idempotency_key():
    event = from_envelope(
        {
            "id": "eb-1",
            "detail-type": "cart.abandoned",
            "source": "shop",
            "detail": {"customer_id": "c-1", "cart_total": 5},
        }
    )
    assert (event.name, event.customer_id, event.event_id) == ("cart.abandoned", "c-1", "eb-1")
    with_id = from_envelope(
        {"id": "eb-2", "detail-type": "x", "detail": {"customer_id": "c-1", "event_id": "mine"}}
    )
    assert with_id.event_id == "mine"


@pytest.mark.parametrize(
    "envelope",
    [
        "not a dict",
        {"detail-type": "x", "detail": "text"},
        {"detail-type": "x", "detail": {"cart_total": 1}},
        {"detail-type": "x", "detail": {"customer_id": 42}},
        {"detail-type": None, "detail": {"customer_id": "c"}},
        {"detail-type": "x", "detail": {"customer_id": "c"}},  # no id anywhere
    ],
)
def test_an_unusable_event_is_a_bad_event(envelope):
    with pytest.raises(BadEvent):
        from_envelope(envelope)


def test_the_same_event_id_from_two_customers_is_two_decisions():
    # Given two customers whose systems happen to use the same event id
    ann = from_envelope({"detail-type": "x", "detail": {"customer_id": "ann", "event_id": "1"}})
    bob = from_envelope({"detail-type": "x", "detail": {"customer_id": "bob", "event_id": "1"}})
    # Then their decisions (and so their messages) have distinct keys: neither swallows the other
    assert ann.decision_id != bob.decision_id
    assert message_id_for(ann.decision_id, "r", "then", 0) != message_id_for(
        bob.decision_id, "r", "then", 0
    )
    # And a replay of one is the same decision again
    assert ann.decision_id == decision_id("ann", "1")


def test_message_ids_are_deterministic_and_distinct_per_action():
    a = message_id_for("evt-1", "rule-a", "then", 0)
    assert a == message_id_for("evt-1", "rule-a", "then", 0)
    assert (
        len(
            {
                a,
                message_id_for("evt-1", "rule-a", "then", 1),
                message_id_for("evt-1", "rule-a", "else", 0),
                message_id_for("evt-2", "rule-a", "then", 0),
                message_id_for("evt-1", "rule-b", "then", 0),
            }
        )
        == 5
    )
