"""Publish → live: the decide path picks up a published change within its refresh interval."""

from __future__ import annotations

import pytest

from tests.builders import stored_trace
from tests.integration.apigw import APPROVER, Api

RULE = {
    "id": "cart-rule",
    "name": "Cart reminder",
    "on": "cart.abandoned",
    "when": "event.total >= 100",
    "then": [{"send": {"channel": "email", "content": "cart-email"}}],
}
CONTENT = {"id": "cart-email", "channels": {"email": {"subject": "Hi", "text": "Come back"}}}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def api(aws, lambda_context) -> Api:
    from functions.admin import app

    api = Api(app.lambda_handler, lambda_context)
    assert api("POST", "/admin/contents", CONTENT)[0] == 201
    assert (
        api("POST", "/admin/contents/cart-email/publish", {"version": 1}, user=APPROVER)[0] == 200
    )
    assert api("POST", "/admin/rules", RULE)[0] == 201
    return api


def _live_version(clock) -> int | None:
    from herald.service.ruleset import cache

    ruleset, _ = cache.get(clock=clock)
    rule = ruleset.rules.get("cart-rule")
    return rule.version if rule else None


def test_publish_is_live_after_the_refresh_interval_and_not_before(api):
    from herald.service.ruleset import cache
    from herald.settings import settings

    refresh = settings().ruleset_refresh_seconds
    clock = FakeClock()
    cache.clear()
    # Given a warm decide container that loaded the ruleset before the publish
    assert _live_version(clock) is None
    # When an approver publishes version 1
    assert api("POST", "/admin/rules/cart-rule/publish", {"version": 1}, user=APPROVER)[0] == 200
    # Then within the refresh interval the container still uses its snapshot
    clock.now += refresh * 0.9
    assert _live_version(clock) is None
    # And once the interval has passed, the next event sees version 1
    clock.now += refresh * 0.2
    assert _live_version(clock) == 1
    # When version 2 is saved and published
    api("PUT", "/admin/rules/cart-rule", {**RULE, "priority": 5, "expected_version": 1})
    api("POST", "/admin/rules/cart-rule/publish", {"version": 2}, user=APPROVER)
    clock.now += refresh + 0.01
    assert _live_version(clock) == 2
    # When it is rolled back to 1
    api("POST", "/admin/rules/cart-rule/rollback", {"version": 1}, user=APPROVER)
    clock.now += refresh + 0.01
    assert _live_version(clock) == 1
    # When it is paused, it stops matching
    api("POST", "/admin/rules/cart-rule/pause", user=APPROVER)
    clock.now += refresh + 0.01
    assert _live_version(clock) is None


def test_the_decide_function_uses_the_published_version(api, lambda_context):
    from functions.decide import app as decide_app
    from herald.dal import customers
    from herald.domain.customer import parse_customer
    from herald.service.ruleset import cache

    customers.upsert(
        parse_customer(
            {"customer_id": "ann", "email": "ann@example.com", "consent": {"email": True}}
        )
    )
    api("POST", "/admin/rules/cart-rule/publish", {"version": 1}, user=APPROVER)
    api(
        "PUT",
        "/admin/rules/cart-rule",
        {**RULE, "when": "event.total >= 10", "expected_version": 1},
    )
    api("POST", "/admin/rules/cart-rule/publish", {"version": 2}, user=APPROVER)
    cache.clear()  # a container that starts now (or one whose refresh interval has passed)
    # When an event of 50 arrives (matches version 2 only)
    envelope = {
        "id": "e-50",
        "detail-type": "cart.abandoned",
        "detail": {"customer_id": "ann", "total": 50},
    }
    result = decide_app.lambda_handler(envelope, lambda_context)
    # Then version 2 decided it and queued the email
    assert result["status"] == "decided" and len(result["queued"]) == 1
    trace = stored_trace("ann", "e-50")
    assert trace["rules"][0]["version"] == 2 and trace["rules"][0]["matched"] is True
