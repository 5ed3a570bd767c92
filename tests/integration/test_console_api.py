"""The admin API the console needs: submit for approval and the approvals queue, validation as
you type (errors with line and column, nothing stored), the live preview of an unsaved draft in
a chosen locale, and what the caller may do (``/admin/me``)."""

from __future__ import annotations

import pytest

from tests.integration.apigw import APPROVER, MARKETER, OTHER_APPROVER, Api, snapshot

EMAIL = {"subject": "Hi {{ customer.attributes.name }}", "text": "Your cart: {{ event.total }}"}


def rule_doc(rule_id: str = "cart-rule", **extra) -> dict:
    return {
        "id": rule_id,
        "name": "Cart reminder",
        "on": "cart.abandoned",
        "when": "event.total >= 100",
        "then": [{"send": {"channel": "email", "content": "cart-email"}}],
        **extra,
    }


@pytest.fixture
def api(aws, lambda_context) -> Api:
    from functions.admin import app

    return Api(app.lambda_handler, lambda_context)


@pytest.fixture
def rule_v2(api) -> None:
    """A live content, and a rule with two versions written by the marketer (mia)."""
    content = {"id": "cart-email", "channels": {"email": EMAIL}}
    assert api("POST", "/admin/contents", content)[0] == 201
    assert (
        api("POST", "/admin/contents/cart-email/publish", {"version": 1}, user=APPROVER)[0] == 200
    )
    assert api("POST", "/admin/rules", rule_doc())[0] == 201
    changed = {**rule_doc(), "when": "event.total >= 50", "expected_version": 1}
    assert api("PUT", "/admin/rules/cart-rule", changed)[0] == 200


# ----------------------------------------------------------------------------- approvals


def test_a_submitted_version_waits_in_the_queue_until_it_is_published(api, rule_v2):
    # When the marketer submits version 2
    status, view = api("POST", "/admin/rules/cart-rule/submit", {"version": 2})
    # Then the answer and the rule say it is submitted, by whom
    assert status == 200, view
    assert view["version"] == 2 and view["submitted"]["version"] == 2
    assert view["submitted"]["by"] == "mia"
    assert api("GET", "/admin/rules/cart-rule")[1]["submitted"]["version"] == 2
    listed = api("GET", "/admin/rules")[1]["items"]
    assert [(i["id"], i["submitted"]["version"]) for i in listed] == [("cart-rule", 2)]
    # And the audit trail records who submitted which version
    audit = api("GET", "/admin/audit", query={"entity": "rule", "id": "cart-rule"})[1]["items"]
    assert (audit[0]["action"], audit[0]["user"], audit[0]["to_version"]) == ("submit", "mia", 2)
    # And an approver sees it in the queue, free to publish it
    status, queue = api("GET", "/admin/approvals", user=APPROVER)
    assert status == 200
    assert [(i["kind"], i["id"], i["version"], i["submitted_by"]) for i in queue["items"]] == [
        ("rule", "cart-rule", 2, "mia")
    ]
    item = queue["items"][0]
    assert item["blocked"] is None and item["state"] == "draft" and item["created_by"] == "mia"
    assert item["name"] == "Cart reminder"
    # When the approver publishes it
    assert api("POST", "/admin/rules/cart-rule/publish", {"version": 2}, user=APPROVER)[0] == 200
    # Then it leaves the queue and the rule no longer says it is submitted
    assert api("GET", "/admin/approvals", user=APPROVER)[1]["items"] == []
    assert api("GET", "/admin/rules/cart-rule")[1]["submitted"] is None


def test_publishing_another_version_keeps_the_submission_and_archiving_drops_it(api, rule_v2):
    # Given version 2 submitted
    api("POST", "/admin/rules/cart-rule/submit", {"version": 2})
    # When an approver publishes version 1 instead
    assert api("POST", "/admin/rules/cart-rule/publish", {"version": 1}, user=APPROVER)[0] == 200
    # Then version 2 still waits
    assert [i["version"] for i in api("GET", "/admin/approvals")[1]["items"]] == [2]
    # And once the rule is archived nothing waits
    assert api("DELETE", "/admin/rules/cart-rule", user=APPROVER)[0] == 200
    assert api("GET", "/admin/approvals")[1]["items"] == []


def test_the_queue_says_why_the_caller_may_not_publish(api, aws):
    # Given a content written and submitted by an approver (alex)
    content = {"id": "promo", "name": "Promo", "channels": {"sms": {"text": "20% off"}}}
    assert api("POST", "/admin/contents", content, user=APPROVER)[0] == 201
    assert api("POST", "/admin/contents/promo/submit", {"version": 1}, user=APPROVER)[0] == 200

    def blocked(user) -> str | None:
        (item,) = api("GET", "/admin/approvals", user=user)[1]["items"]
        assert (item["kind"], item["id"], item["created_by"]) == ("content", "promo", "alex")
        return item["blocked"]

    # Then its author is told the two-person rule stops them, a marketer that they are no
    # approver, and another approver may publish it
    assert "two-person rule" in blocked(APPROVER) and "another approver" in blocked(APPROVER)
    assert "approvers group" in blocked(MARKETER)
    assert blocked(OTHER_APPROVER) is None
    # And what the queue says is what publishing answers
    status, body = api("POST", "/admin/contents/promo/publish", {"version": 1}, user=APPROVER)
    assert status == 403 and body["error"]["message"] == blocked(APPROVER)
    assert (
        api("POST", "/admin/contents/promo/publish", {"version": 1}, user=OTHER_APPROVER)[0] == 200
    )


def test_submitting_the_live_version_or_one_that_does_not_exist_is_refused(api, rule_v2):
    api("POST", "/admin/rules/cart-rule/publish", {"version": 2}, user=APPROVER)
    status, body = api("POST", "/admin/rules/cart-rule/submit", {"version": 2})
    assert status == 409 and "live already" in body["error"]["message"]
    status, body = api("POST", "/admin/rules/cart-rule/submit", {"version": 7})
    assert status == 404 and body["error"]["field"] == "version"
    assert api("POST", "/admin/rules/nope/submit", {"version": 1})[0] == 404
    # nothing of that reached the queue or the audit trail
    assert api("GET", "/admin/approvals")[1]["items"] == []
    audit = api("GET", "/admin/audit", query={"entity": "rule", "id": "cart-rule"})[1]["items"]
    assert "submit" not in {e["action"] for e in audit}


def test_submitting_needs_a_group(api, rule_v2):
    status, _ = api("POST", "/admin/rules/cart-rule/submit", {"version": 2}, user=("eve", ""))
    assert status == 403
    assert api("POST", "/admin/rules/cart-rule/submit", {"version": 2}, user=None)[0] == 401


# ----------------------------------------------------------------------------- validate


def test_a_condition_typo_is_an_error_at_its_line_and_column_and_nothing_is_stored(api, aws):
    # Given an editor midway: a condition with an unclosed text, and no action yet
    before = snapshot(aws.environment())
    doc = {"id": "gold", "name": "Gold", "on": "cart.abandoned"}
    doc["when"] = 'customer.attributes.tier == "gold'
    # When it asks what a save would say
    status, report = api("POST", "/admin/validate/rules", doc)
    # Then the condition's error is marked where it is, and the missing actions are said too
    assert status == 200, report
    assert report["valid"] is False
    by_field = {e["field"]: e for e in report["errors"]}
    assert set(by_field) == {"when", "then"}
    assert (by_field["when"]["line"], by_field["when"]["column"]) == (1, 29)
    assert by_field["when"]["code"] == "invalid_expression"
    # And nothing was written anywhere
    assert snapshot(aws.environment()) == before


def test_a_valid_rule_validates_with_the_catalogues_warnings(api, aws):
    # Given a content to send and events of the rule's name seen without a `totl` field
    from herald.dal import catalogue

    catalogue.add("event", "cart.abandoned", 3, {"total"}, "2026-11-24T10:00:00Z")
    content = {"id": "cart-email", "channels": {"email": EMAIL}}
    assert api("POST", "/admin/contents", content)[0] == 201
    doc = rule_doc(when="event.totl >= 100")
    # When the rule is validated
    status, report = api("POST", "/admin/validate/rules", doc)
    # Then it is valid, with one warning at the misspelt field
    assert status == 200 and report["valid"] is True and report["errors"] == []
    (warning,) = report["warnings"]
    assert warning["code"] == "unknown_field" and warning["field"] == "when"
    assert (warning["line"], warning["column"]) == (1, 1) and "event.totl" in warning["message"]
    # And an unknown content is an error that names the action's field
    report = api("POST", "/admin/validate/rules", rule_doc(rule_id="x", when=None))[1]
    assert report["valid"] is True
    bad = rule_doc(then=[{"send": {"channel": "email", "content": "missing"}}])
    report = api("POST", "/admin/validate/rules", bad)[1]
    assert [e["field"] for e in report["errors"]] == ["then[0].send.content"]


def test_every_broken_template_of_a_content_is_said_with_its_position(api):
    doc = {
        "id": "promo",
        "channels": {
            "email": {"subject": "Hi {{ customer.name", "text": "ok"},
            "sms": {"text": "line one\n{% if event.total %}big"},
        },
    }
    status, report = api("POST", "/admin/validate/contents", doc)
    assert status == 200 and report["valid"] is False
    positions = {e["field"]: (e["line"], e["column"]) for e in report["errors"]}
    assert positions == {"channels.email.subject": (1, 4), "channels.sms.text": (2, 4)}
    assert api("GET", "/admin/contents")[1]["items"] == []
    # A fixed one is valid
    doc["channels"]["email"]["subject"] = "Hi {{ customer.attributes.name }}"
    doc["channels"]["sms"]["text"] = "{% if event.total %}big{% endif %}"
    assert api("POST", "/admin/validate/contents", doc)[1]["valid"] is True


def test_validation_bodies_are_checked_at_the_edge(api):
    status, body = api("POST", "/admin/validate/rules", {"when": 5})
    assert status == 422 and body["error"]["field"] == "when"
    status, body = api("POST", "/admin/validate/rules", {"whne": "x"})
    assert status == 422 and "whne" in body["error"]["message"]


# ----------------------------------------------------------------------------- preview


def test_an_unsaved_draft_renders_for_a_stored_customer_in_a_chosen_locale(api, aws):
    # Given a stored customer (English) and a draft nobody has saved, with a French override
    from herald.dal import customers
    from herald.domain.customer import parse_customer

    customers.upsert(
        parse_customer({"customer_id": "c-1", "locale": "en", "attributes": {"name": "Ann"}})
    )
    draft = {
        "channels": {
            "email": {
                "subject": "Hi {{ customer.attributes.name }}",
                "html": "<p>{{ event.x }}</p>",
            }
        },
        "locales": {"fr": {"email": {"subject": "Bonjour {{ customer.attributes.name }}"}}},
    }
    body = {"customer": "c-1", "event": {"x": "<b>"}, "draft": draft}
    # When it is previewed, then previewed in French
    status, shown = api("POST", "/admin/contents/new-one/preview", body)
    assert status == 200, shown
    assert shown["version"] is None and shown["locale"] == "en"
    assert shown["rendered"]["email"]["subject"] == "Hi Ann"
    assert shown["rendered"]["email"]["html"] == "<p>&lt;b&gt;</p>"  # HTML fields autoescape
    status, shown = api("POST", "/admin/contents/new-one/preview", {**body, "locale": "fr"})
    assert status == 200 and shown["locale"] == "fr"
    assert shown["rendered"]["email"]["subject"] == "Bonjour Ann"
    # And nothing was stored
    assert api("GET", "/admin/contents/new-one")[0] == 404


def test_a_broken_draft_is_refused_naming_its_field_and_a_version_with_a_draft_too(api):
    draft = {"channels": {"sms": {"text": "Hi {{ customer.name"}}}
    status, body = api("POST", "/admin/contents/x/preview", {"draft": draft})
    assert status == 422 and body["error"]["field"] == "draft.channels.sms.text"
    assert body["error"]["line"] == 1
    draft = {"channels": {"sms": {"text": "ok"}}}
    status, body = api("POST", "/admin/contents/x/preview", {"draft": draft, "version": 1})
    assert status == 422 and body["error"]["field"] == "version"


# ----------------------------------------------------------------------------- me


@pytest.mark.parametrize(
    ("user", "publish"),
    [(MARKETER, False), (APPROVER, True), (("sam", "marketers,approvers"), True)],
)
def test_me_says_who_the_caller_is_and_what_they_may_do(api, user, publish):
    status, me = api("GET", "/admin/me", user=user)
    assert status == 200
    assert me["user"] == user[0] and me["groups"] == sorted(user[1].split(","))
    assert me["may"] == {"edit": True, "publish": publish, "edit_policy": publish}
    assert me["two_person_rule"] is True


def test_me_needs_an_identity(api):
    assert api("GET", "/admin/me", user=None)[0] == 401
    status, me = api("GET", "/admin/me", user=("eve", ""))
    assert status == 200 and me["may"] == {"edit": False, "publish": False, "edit_policy": False}
