"""rules/ as code: the example set is valid, and every kind of mistake is reported by file and field."""

from __future__ import annotations

import shutil

import pytest

from herald_dev import rulesfiles
from tests.conftest import REPO


def test_the_example_rules_are_valid():
    contents, rules = rulesfiles.validate_dir(REPO / "rules")
    assert {c.id for c in contents} == {
        "welcome-email",
        "cart-free-shipping",
        "cart-reminder",
        "order-shipped",
        "back-in-stock",
        "winter-sale-a",
        "winter-sale-b",
    }
    assert {r.id for r in rules} == {
        "negative-delivery-gold",
        "welcome-on-signup",
        "cart-abandoned-gold",
        "order-shipped-sms",
        "back-in-stock-push",
        "complaint-top-tier",
        "winter-sale-experiment",
    }
    # `on:` is read as the key "on", not YAML 1.1's boolean
    assert {r.on for r in rules} >= {"cart.abandoned", "order.shipped"}


@pytest.fixture
def rules_copy(tmp_path):
    target = tmp_path / "rules"
    shutil.copytree(REPO / "rules", target)
    return target


@pytest.mark.parametrize(
    ("file", "old", "new", "field"),
    [
        (
            "rules/cart-abandoned-gold.yaml",
            "event.cart_total >= 100",
            "event.cart_total >=",
            "when",
        ),
        (
            "rules/order-shipped-sms.yaml",
            "content: order-shipped}",
            "content: no-such-content}",
            "then[0].send.content",
        ),
        (
            "rules/order-shipped-sms.yaml",
            "{channel: sms,",
            "{channel: email,",
            "then[0].send.content",
        ),
        (
            "contents/order-shipped.yaml",
            "{{ event.order_id }}",
            "{{ event.order_id ",
            "channels.sms.text",
        ),
        ("rules/welcome-on-signup.yaml", "priority: 50", "priority: fifty", "priority"),
    ],
)
def test_a_mistake_is_reported_with_file_and_field(rules_copy, file, old, new, field):
    path = rules_copy / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    found = rulesfiles.problems(rules_copy)
    assert [(p.file.endswith(file.split("/")[-1]), p.field) for p in found] == [(True, field)]
    with pytest.raises(rulesfiles.InvalidRules):
        rulesfiles.validate_dir(rules_copy)


def test_a_file_named_differently_from_its_id_is_refused(rules_copy):
    (rules_copy / "rules/order-shipped-sms.yaml").rename(rules_copy / "rules/shipping.yaml")
    assert rulesfiles.problems(rules_copy)
