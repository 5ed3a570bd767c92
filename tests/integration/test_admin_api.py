"""The admin API through its handler, with API Gateway proxy events, against moto."""

from __future__ import annotations

import base64
import json

import pytest

from tests.integration.apigw import APPROVER, MARKETER, OTHER_APPROVER, Api, snapshot

EMAIL = {"subject": "Hi {{ customer.attributes.name }}", "text": "Your cart: {{ event.total }}"}


def content_doc(content_id: str = "cart-email", **channels) -> dict:
    return {"id": content_id, "channels": channels or {"email": EMAIL}}


def rule_doc(rule_id: str = "cart-rule", content: str = "cart-email", **extra) -> dict:
    return {
        "id": rule_id,
        "name": "Cart reminder",
        "on": "cart.abandoned",
        "priority": 10,
        "when": "event.total >= 100",
        "then": [{"send": {"channel": "email", "content": content}}],
        **extra,
    }


@pytest.fixture
def api(aws, lambda_context) -> Api:
    from functions.admin import app

    return Api(app.lambda_handler, lambda_context)


@pytest.fixture
def env(aws) -> dict:
    return aws.environment()


@pytest.fixture
def live_content(api) -> dict:
    """A published content the rules can send."""
    assert api("POST", "/admin/contents", content_doc())[0] == 201
    status, body = api("POST", "/admin/contents/cart-email/publish", {"version": 1}, user=APPROVER)
    assert status == 200, body
    return body


# ----------------------------------------------------------------------------- drafts


def test_create_get_list_and_versions(api):
    # Given a marketer
    # When they create a content
    status, created = api("POST", "/admin/contents", content_doc())
    # Then it is version 1, a draft, written by them
    assert status == 201
    assert created["id"] == "cart-email" and created["version"] == 1
    assert created["state"] == "draft" and created["published_version"] is None
    assert created["latest_version"] == 1 and created["created_by"] == "mia"
    assert created["channels"] == {"email": EMAIL}
    # And it can be read back, listed and its versions listed
    assert api("GET", "/admin/contents/cart-email") == (200, created)
    status, listing = api("GET", "/admin/contents")
    assert status == 200
    assert [i["id"] for i in listing["items"]] == ["cart-email"]
    status, versions = api("GET", "/admin/contents/cart-email/versions")
    assert status == 200 and [v["version"] for v in versions["items"]] == [1]


def test_create_existing_id_is_a_conflict(api):
    # Given a content
    api("POST", "/admin/contents", content_doc())
    # When it is created again
    status, body = api("POST", "/admin/contents", content_doc())
    # Then 409 names the id
    assert status == 409
    assert body["error"]["code"] == "conflict" and body["error"]["field"] == "id"


def test_save_makes_a_new_version_and_stale_saves_conflict(api, live_content, env):
    # Given a rule at version 1
    api("POST", "/admin/rules", rule_doc())
    # When it is saved with the latest expected_version
    status, saved = api(
        "PUT", "/admin/rules/cart-rule", {**rule_doc(priority=50), "expected_version": 1}
    )
    # Then version 2 is a draft with the change; version 1 is untouched
    assert status == 200, saved
    assert saved["version"] == 2 and saved["priority"] == 50 and saved["latest_version"] == 2
    status, versions = api("GET", "/admin/rules/cart-rule/versions")
    assert [(v["version"], v["priority"]) for v in versions["items"]] == [(2, 50), (1, 10)]
    # When another marketer saves with the stale version 1
    before = snapshot(env)
    status, body = api(
        "PUT", "/admin/rules/cart-rule", {**rule_doc(priority=70), "expected_version": 1}
    )
    # Then 409, and nothing changed anywhere (no version, no audit entry)
    assert status == 409
    assert body["error"]["field"] == "expected_version"
    assert snapshot(env) == before


def test_save_needs_expected_version_and_matching_id(api, live_content):
    api("POST", "/admin/rules", rule_doc())
    # When expected_version is missing, or the body names another id
    missing = api("PUT", "/admin/rules/cart-rule", rule_doc())
    other = api("PUT", "/admin/rules/cart-rule", {**rule_doc("other"), "expected_version": 1})
    # Then both are 422 naming the field
    assert missing[0] == 422 and missing[1]["error"]["field"] == "expected_version"
    assert other[0] == 422 and other[1]["error"]["field"] == "id"


def test_unknown_rule_is_404(api):
    status, body = api("GET", "/admin/rules/nothing-here")
    assert status == 404 and body["error"]["code"] == "not_found"


# ----------------------------------------------------------------------------- validation

INVALID = [
    # (what, route, body, status, field, words in the message)
    ("zen syntax", "rules", rule_doc(when="event.total >= "), 422, "when", "column"),
    (
        "liquid syntax",
        "contents",
        content_doc(email={"subject": "ok", "html": "<p>\n{% if customer %}\n{{ x }"}),
        422,
        "channels.email.html",
        "line",
    ),
    (
        "unknown content",
        "rules",
        rule_doc(content="no-such-content"),
        422,
        "then[0].send.content",
        "unknown content",
    ),
    (
        "unknown channel",
        "rules",
        {**rule_doc(), "then": [{"send": {"channel": "fax", "content": "cart-email"}}]},
        422,
        "then[0].send.channel",
        "fax",
    ),
    (
        "channel the content lacks",
        "rules",
        {**rule_doc(), "then": [{"send": {"channel": "sms", "content": "cart-email"}}]},
        422,
        "then[0].send.content",
        "no sms channel",
    ),
    (
        "offer of a content without web",
        "rules",
        {**rule_doc(), "then": [{"offer": {"placement": "home", "content": "cart-email"}}]},
        422,
        "then[0].offer.content",
        "no web channel",
    ),
    (
        "pinned version that doesn't exist",
        "rules",
        rule_doc(content="cart-email@7"),
        422,
        "then[0].send.content",
        "no version 7",
    ),
    ("bad id", "rules", rule_doc("Not_An_Id"), 422, "id", "[a-z0-9-]"),
    ("bad content id", "contents", content_doc("UPPER"), 422, "id", "[a-z0-9-]"),
    (
        "malformed active window",
        "rules",
        rule_doc(active={"from": "next tuesday"}),
        422,
        "active.from",
        "ISO-8601",
    ),
    (
        "active window ending before it starts",
        "rules",
        rule_doc(active={"from": "2026-12-31T00:00:00Z", "until": "2026-12-01T00:00:00Z"}),
        422,
        "active.until",
        "after",
    ),
    (
        "unknown content channel",
        "contents",
        content_doc(fax={"text": "x"}),
        422,
        "channels.fax",
        "unknown field",
    ),
    ("body that is a list", "rules", [rule_doc()], 422, None, ""),
]


@pytest.mark.parametrize(
    ("route", "body", "status", "field", "words"),
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
def test_invalid_documents_are_refused_and_nothing_is_stored(
    api, live_content, env, route, body, status, field, words
):
    # Given a published content and the tables as they are
    before = snapshot(env)
    # When an invalid document is created
    got, answer = api("POST", f"/admin/{route}", body)
    # Then the error names the field (and position) and nothing was stored
    assert got == status, answer
    assert set(answer) == {"error"}
    if field:
        assert answer["error"]["field"] == field
    assert words in answer["error"]["message"]
    assert snapshot(env) == before


def test_invalid_save_stores_no_version(api, live_content, env):
    # Given a rule at version 1
    api("POST", "/admin/rules", rule_doc())
    before = snapshot(env)
    # When a save carries a ZEN syntax error
    status, body = api(
        "PUT", "/admin/rules/cart-rule", {**rule_doc(when="(("), "expected_version": 1}
    )
    # Then 422 naming when, and still only version 1
    assert status == 422 and body["error"]["field"] == "when"
    assert snapshot(env) == before


def test_oversized_and_malformed_bodies(api, env):
    before = snapshot(env)
    # When the body is over 256 KB
    huge = content_doc(email={"subject": "x", "text": "y" * (300 * 1024)})
    status, body = api("POST", "/admin/contents", huge)
    # Then 413 before anything parses it
    assert status == 413 and body["error"]["code"] == "payload_too_large"
    # When the body is not JSON
    status, body = api("POST", "/admin/contents", raw_body="{not json")
    # Then 422 in the same error shape
    assert status == 422 and body["error"]["code"] == "invalid_request"
    # When the body is nested deeper than the JSON parser goes
    status, body = api("POST", "/admin/contents", raw_body="[" * 50_000 + "]" * 50_000)
    assert status == 422 and body["error"]["code"] == "invalid_request"
    # When a publish body has the wrong type
    status, body = api("POST", "/admin/contents/x/publish", {"version": "one"}, user=APPROVER)
    assert status == 422 and body["error"]["field"] == "version"
    assert snapshot(env) == before


def test_unknown_route_is_404_in_the_error_shape(api):
    status, body = api("GET", "/admin/nothing")
    assert status == 404 and body["error"]["code"] == "not_found"


# ----------------------------------------------------------------------------- roles


def test_no_identity_is_401(api):
    for method, path, body in [
        ("GET", "/admin/rules", None),
        ("POST", "/admin/contents", content_doc()),
        ("GET", "/admin/policy", None),
        ("GET", "/admin/events", None),
    ]:
        status, answer = api(method, path, body, user=None)
        assert status == 401, (method, path)
        assert answer["error"]["code"] == "unauthorized"


def test_users_in_neither_group_are_403(api, env):
    before = snapshot(env)
    status, body = api("POST", "/admin/contents", content_doc(), user=("sam", ""))
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert snapshot(env) == before


def test_marketers_cannot_publish_rollback_pause_archive_or_change_policy(api, live_content, env):
    # Given a published rule
    api("POST", "/admin/rules", rule_doc())
    api("POST", "/admin/rules/cart-rule/publish", {"version": 1}, user=APPROVER)
    before = snapshot(env)
    # When a marketer tries each approver action
    attempts = [
        ("POST", "/admin/rules/cart-rule/publish", {"version": 1}),
        ("POST", "/admin/rules/cart-rule/rollback", {"version": 1}),
        ("POST", "/admin/rules/cart-rule/pause", None),
        ("DELETE", "/admin/rules/cart-rule", None),
        ("POST", "/admin/contents/cart-email/publish", {"version": 1}),
        ("PUT", "/admin/policy", {"consent_required": True}),
    ]
    for method, path, body in attempts:
        status, answer = api(method, path, body, user=MARKETER)
        # Then 403, and nothing changed
        assert status == 403, (method, path, answer)
        assert "approvers" in answer["error"]["message"]
    assert snapshot(env) == before


def test_groups_claim_formats(api):
    # API Gateway passes groups as "a,b"; some setups send "[a b]"
    for groups in ("marketers,approvers", "[approvers marketers]", "approvers"):
        status, _ = api(
            "POST", "/admin/contents", content_doc(f"c-{len(groups)}"), user=("x", groups)
        )
        assert status == 201, groups
        status, _ = api(
            "POST", f"/admin/contents/c-{len(groups)}/publish", {"version": 1}, user=("y", groups)
        )
        assert status == 200, groups


def test_two_person_rule_is_enforced_by_default(api):
    # Given the template's defaults, and an approver who wrote a content version
    api("POST", "/admin/contents", content_doc(), user=APPROVER)
    # When the same approver publishes it
    status, body = api("POST", "/admin/contents/cart-email/publish", {"version": 1}, user=APPROVER)
    # Then 403 explains the rule
    assert status == 403
    assert "two-person rule" in body["error"]["message"]
    # When another approver publishes it
    status, body = api(
        "POST", "/admin/contents/cart-email/publish", {"version": 1}, user=OTHER_APPROVER
    )
    # Then it is live
    assert status == 200 and body["state"] == "live" and body["entity_state"] == "live"


def test_two_person_rule_is_off_when_the_parameter_says_so(api, monkeypatch):
    from herald.settings import settings
    from herald_dev.local import stack

    # Given a stack deployed with TwoPersonRule=false (the functions' environment it yields)
    off = stack.describe(parameters={"TwoPersonRule": "false"}).environment()
    monkeypatch.setenv("TWO_PERSON_RULE", off["TWO_PERSON_RULE"])
    settings.cache_clear()
    api("POST", "/admin/contents", content_doc(), user=APPROVER)
    # When the approver who wrote the version publishes it
    status, body = api("POST", "/admin/contents/cart-email/publish", {"version": 1}, user=APPROVER)
    # Then it is live
    assert status == 200 and body["state"] == "live" and body["entity_state"] == "live"


# ----------------------------------------------------------------------------- live pointer


def test_publish_needs_the_contents_to_be_live(api):
    # Given a rule whose content is only a draft
    api("POST", "/admin/contents", content_doc())
    api("POST", "/admin/rules", rule_doc())
    # When the rule is published
    status, body = api("POST", "/admin/rules/cart-rule/publish", {"version": 1}, user=APPROVER)
    # Then 409 says to publish the content first
    assert status == 409
    assert body["error"]["field"] == "then[0].send.content"
    assert "publish it first" in body["error"]["message"]
    # When the content is published, the rule can be
    api("POST", "/admin/contents/cart-email/publish", {"version": 1}, user=APPROVER)
    status, body = api("POST", "/admin/rules/cart-rule/publish", {"version": 1}, user=APPROVER)
    assert status == 200
    assert body["state"] == "live" and body["published_version"] == 1 and body["live"]


def test_publish_of_a_pinned_content_version_needs_no_live_content(api):
    # Given a draft content (never published) and a rule pinning its version 1
    api("POST", "/admin/contents", content_doc())
    api("POST", "/admin/rules", rule_doc(content="cart-email@1"))
    # When the rule is published
    status, body = api("POST", "/admin/rules/cart-rule/publish", {"version": 1}, user=APPROVER)
    # Then it is live, still pinning version 1, while the content itself stays a draft
    assert status == 200, body
    assert (body["state"], body["published_version"], body["live"]) == ("live", 1, True)
    assert body["then"] == [{"send": {"channel": "email", "content": "cart-email@1"}}]
    assert api("GET", "/admin/contents/cart-email")[1]["state"] == "draft"


def test_publish_unknown_version_is_404(api, live_content):
    status, body = api("POST", "/admin/contents/cart-email/publish", {"version": 9}, user=APPROVER)
    assert status == 404 and body["error"]["field"] == "version"


def test_content_version_dropping_a_channel_a_live_rule_uses_cannot_go_live(api, live_content):
    # Given a live rule sending cart-email by email
    api("POST", "/admin/rules", rule_doc())
    api("POST", "/admin/rules/cart-rule/publish", {"version": 1}, user=APPROVER)
    # And a new content version with only sms
    api(
        "PUT",
        "/admin/contents/cart-email",
        {**content_doc(sms={"text": "hi"}), "expected_version": 1},
    )
    # When it is published
    status, body = api("POST", "/admin/contents/cart-email/publish", {"version": 2}, user=APPROVER)
    # Then 409 names the live rule
    assert status == 409 and "cart-rule" in body["error"]["message"]


def test_rollback_pause_and_archive(api, live_content):
    # Given versions 1 and 2 of a rule, 2 published after 1
    api("POST", "/admin/rules", rule_doc())
    api("POST", "/admin/rules/cart-rule/publish", {"version": 1}, user=APPROVER)
    api("PUT", "/admin/rules/cart-rule", {**rule_doc(priority=99), "expected_version": 1})
    status, body = api("POST", "/admin/rules/cart-rule/publish", {"version": 2}, user=APPROVER)
    assert body["published_version"] == 2
    # When it is rolled back to 1
    status, body = api("POST", "/admin/rules/cart-rule/rollback", {"version": 1}, user=APPROVER)
    # Then version 1 is live again, version 2 still exists
    assert status == 200
    assert body["version"] == 1 and body["published_version"] == 1 and body["latest_version"] == 2
    # And a "rollback" forward is refused
    status, body = api("POST", "/admin/rules/cart-rule/rollback", {"version": 2}, user=APPROVER)
    assert status == 409
    # When it is paused
    status, body = api("POST", "/admin/rules/cart-rule/pause", user=APPROVER)
    assert status == 200 and body["entity_state"] == "paused" and not body["live"]
    assert api("POST", "/admin/rules/cart-rule/pause", user=APPROVER)[0] == 409
    # When it is archived
    status, body = api("DELETE", "/admin/rules/cart-rule", user=APPROVER)
    assert status == 200 and body["state"] == "archived" and body["entity_state"] == "archived"
    # Then it takes no new versions and can't be published
    save = api("PUT", "/admin/rules/cart-rule", {**rule_doc(), "expected_version": 2})
    assert save[0] == 409
    assert api("POST", "/admin/rules/cart-rule/publish", {"version": 1}, user=APPROVER)[0] == 409


def _states(api, path: str) -> dict[int, str]:
    status, body = api("GET", f"{path}/versions")
    assert status == 200, body
    return {v["version"]: v["state"] for v in body["items"]}


def test_each_version_says_what_it_is(api, live_content):
    # Given a rule with three versions, none live yet
    api("POST", "/admin/rules", rule_doc())
    for expected in (1, 2):
        api(
            "PUT",
            "/admin/rules/cart-rule",
            {**rule_doc(priority=expected), "expected_version": expected},
        )
    assert _states(api, "/admin/rules/cart-rule") == {3: "draft", 2: "draft", 1: "draft"}
    # When version 2 goes live
    api("POST", "/admin/rules/cart-rule/publish", {"version": 2}, user=APPROVER)
    # Then 1 is superseded (a newer one went live), 2 live, 3 still a draft
    assert _states(api, "/admin/rules/cart-rule") == {3: "draft", 2: "live", 1: "superseded"}
    # When 3 goes live and the rule is rolled back to 2
    api("POST", "/admin/rules/cart-rule/publish", {"version": 3}, user=APPROVER)
    api("POST", "/admin/rules/cart-rule/rollback", {"version": 2}, user=APPROVER)
    # Then 3 was live once: superseded, not a draft
    assert _states(api, "/admin/rules/cart-rule") == {3: "superseded", 2: "live", 1: "superseded"}
    # When the rule is paused, its published version says so, and the list says the rule is
    api("POST", "/admin/rules/cart-rule/pause", user=APPROVER)
    assert _states(api, "/admin/rules/cart-rule")[2] == "paused"
    listed = {i["id"]: i["state"] for i in api("GET", "/admin/rules")[1]["items"]}
    assert listed == {"cart-rule": "paused"}
    # And no answer says "published" any more
    versions = api("GET", "/admin/rules/cart-rule/versions")[1]["items"]
    assert {v["entity_state"] for v in versions} == {"paused"}


# ----------------------------------------------------------------------------- audit


def test_every_change_is_audited(api, live_content):
    # Given a rule's whole life
    api("POST", "/admin/rules", rule_doc())
    api("PUT", "/admin/rules/cart-rule", {**rule_doc(priority=1), "expected_version": 1})
    api("POST", "/admin/rules/cart-rule/publish", {"version": 2}, user=APPROVER)
    api("POST", "/admin/rules/cart-rule/rollback", {"version": 1}, user=APPROVER)
    api("POST", "/admin/rules/cart-rule/pause", user=APPROVER)
    api("DELETE", "/admin/rules/cart-rule", user=APPROVER)
    # When its audit trail is read
    status, body = api("GET", "/admin/audit", query={"entity": "rule", "id": "cart-rule"})
    # Then every change is there, newest first, with who and which versions
    assert status == 200
    got = [(e["action"], e["user"], e["from_version"], e["to_version"]) for e in body["items"]]
    assert got == [
        ("archive", "alex", None, None),
        ("pause", "alex", 1, None),
        ("rollback", "alex", 2, 1),
        ("publish", "alex", None, 2),
        ("save", "mia", 1, 2),
        ("create", "mia", None, 1),
    ]
    assert all(e["entity"] == "rule" and e["id"] == "cart-rule" and e["at"] for e in body["items"])
    # And the unfiltered trail has the content's changes too, newest first, limited
    status, body = api("GET", "/admin/audit", query={"limit": "3"})
    assert status == 200 and len(body["items"]) == 3
    assert body["items"][0]["action"] == "archive"
    status, body = api("GET", "/admin/audit")
    assert {(e["entity"], e["action"]) for e in body["items"]} >= {
        ("content", "create"),
        ("content", "publish"),
    }
    ats = [e["at"] for e in body["items"]]
    assert ats == sorted(ats, reverse=True)


def test_audit_query_validation_and_filters(api, live_content):
    # Each mistake is named: the field, and what was expected
    status, body = api("GET", "/admin/audit", query={"entity": "nope", "id": "x"})
    assert (status, body["error"]["field"]) == (422, "entity")
    assert (
        "'rule', 'content', 'policy', 'offer', 'taxonomy', 'profile' or 'segment'"
        in body["error"]["message"]
    )
    status, body = api("GET", "/admin/audit", query={"limit": "0"})
    assert (status, body["error"]["field"]) == (422, "limit")
    assert "greater than or equal to 1" in body["error"]["message"]
    status, body = api("GET", "/admin/audit", query={"limit": "many"})
    assert (status, body["error"]["field"], body["error"]["code"]) == (
        422,
        "limit",
        "invalid_request",
    )
    # And the filters combine freely: one kind of entity, one id, or both
    api("POST", "/admin/rules", rule_doc())
    _, by_kind = api("GET", "/admin/audit", query={"entity": "rule"})
    assert [(e["entity"], e["id"], e["action"]) for e in by_kind["items"]] == [
        ("rule", "cart-rule", "create")
    ]
    _, by_id = api("GET", "/admin/audit", query={"id": "cart-email"})
    assert {(e["entity"], e["action"]) for e in by_id["items"]} == {
        ("content", "create"),
        ("content", "publish"),
    }


# ----------------------------------------------------------------------------- policy


def test_policy_get_put_revision_and_audit(api, env):
    from herald.dal import contact_policy

    # Given no policy change yet: the default, at version 0
    status, body = api("GET", "/admin/policy")
    assert status == 200 and body["version"] == 0 and body["consent_required"] is True
    revision_before = _revision(env)
    # When an approver replaces it
    new = {"consent_required": True, "caps": [{"channel": "email", "max": 1, "per": "P1D"}]}
    status, body = api("PUT", "/admin/policy", {**new, "expected_version": 0}, user=APPROVER)
    # Then it is stored, versioned and read by the decide path; the ruleset revision moved
    assert status == 200, body
    assert body["version"] == 1 and body["updated_by"] == "alex"
    assert body["caps"] == new["caps"]
    assert api("GET", "/admin/policy")[1]["caps"] == new["caps"]
    assert contact_policy.current().caps[0].max == 1
    assert _revision(env) == revision_before + 1
    # And audited
    status, trail = api("GET", "/admin/audit", query={"entity": "policy", "id": "policy"})
    assert [(e["action"], e["from_version"], e["to_version"]) for e in trail["items"]] == [
        ("update", 0, 1)
    ]
    # When someone PUTs with the stale version 0
    before = snapshot(env)
    status, body = api("PUT", "/admin/policy", {**new, "expected_version": 0}, user=APPROVER)
    # Then 409 and nothing changed
    assert status == 409 and snapshot(env) == before
    # When the policy is invalid
    status, body = api(
        "PUT",
        "/admin/policy",
        {"caps": [{"channel": "email", "max": 1, "per": "P0D"}]},
        user=APPROVER,
    )
    # Then 422 names the field, nothing stored
    assert status == 422 and body["error"]["field"] == "caps[0].per"
    assert "between 1 second and 366 days" in body["error"]["message"]
    assert snapshot(env) == before


def _revision(env: dict) -> int:
    import boto3

    item = (
        boto3.client("dynamodb")
        .get_item(TableName=env["SETTINGS_TABLE"], Key={"name": {"S": "ruleset"}})
        .get("Item")
    )
    return int(item["revision"]["N"]) if item else 0


# ----------------------------------------------------------------------------- preview


def test_preview_renders_every_channel(api):
    # Given a content with email and sms, and a French override
    doc = content_doc(
        email=EMAIL,
        sms={"text": "{{ customer.attributes.name | upcase }}: {{ event.total }}"},
    )
    doc["locales"] = {"fr": {"email": {"subject": "Salut {{ customer.attributes.name }}"}}}
    api("POST", "/admin/contents", doc)
    # When it is previewed for a French customer and an event
    status, body = api(
        "POST",
        "/admin/contents/cart-email/preview",
        {"customer": {"locale": "fr", "attributes": {"name": "Ann"}}, "event": {"total": 120}},
    )
    # Then every channel is rendered, with the locale's override
    assert status == 200, body
    assert body["rendered"]["email"]["subject"] == "Salut Ann"
    assert body["rendered"]["email"]["text"] == "Your cart: 120"
    assert body["rendered"]["sms"]["text"] == "ANN: 120"


def test_preview_errors(api):
    api("POST", "/admin/contents", content_doc())
    status, body = api("POST", "/admin/contents/none-such/preview", {})
    assert (status, body["error"]["field"]) == (404, "id")
    assert "content none-such does not exist" in body["error"]["message"]
    status, body = api("POST", "/admin/contents/cart-email/preview", {"version": 3})
    assert (status, body["error"]["field"]) == (404, "version")
    assert "no version 3" in body["error"]["message"]
    status, body = api("POST", "/admin/contents/cart-email/preview", {"customer": {"phone": "12"}})
    assert status == 422 and body["error"]["field"] == "customer.phone"
    status, body = api("POST", "/admin/contents/cart-email/preview", {"customer": "ghost"})
    assert (status, body["error"]["field"]) == (404, "customer")
    assert "customer 'ghost' does not exist" in body["error"]["message"]


# ----------------------------------------------------------------------------- simulate


def test_simulate_returns_the_trace_and_writes_nothing(api, live_content, env):
    # Given a live rule and a draft version 2 that lowers the threshold
    api("POST", "/admin/rules", rule_doc())
    api("POST", "/admin/rules/cart-rule/publish", {"version": 1}, user=APPROVER)
    api(
        "PUT",
        "/admin/rules/cart-rule",
        {**rule_doc(when="event.total >= 10"), "expected_version": 1},
    )
    before = snapshot(env)
    event = {"type": "cart.abandoned", "customer_id": "ann", "data": {"total": 50}}
    customer = {
        "email": "ann@example.com",
        "consent": {"email": True},
        "attributes": {"name": "Ann"},
    }
    # When the event is simulated against the live ruleset
    status, live = api("POST", "/admin/simulate", {"event": event, "customer": customer})
    # Then the trace shows the live version did not match
    assert status == 200, live
    assert live["trace"]["rules"] == [
        {"rule_id": "cart-rule", "version": 1, "priority": 10, "matched": False, "branch": None}
    ]
    assert live["messages"] == [] and live["sent"] is False
    # When it is simulated with the draft version 2
    status, draft = api(
        "POST", "/admin/simulate", {"event": event, "customer": customer, "rules": {"cart-rule": 2}}
    )
    # Then the draft matches and would queue an email
    assert status == 200
    assert draft["trace"]["rules"][0]["version"] == 2 and draft["trace"]["rules"][0]["matched"]
    assert [(m["channel"], m["content"], m["status"]) for m in draft["messages"]] == [
        ("email", "cart-email@1", "queued")
    ]
    # And nothing was written, queued or sent
    assert snapshot(env) == before


def test_simulate_uses_the_stored_customer_and_an_eventbridge_envelope(api, live_content, env):
    from herald.dal import customers
    from herald.domain.customer import parse_customer

    api("POST", "/admin/rules", rule_doc())
    api("POST", "/admin/rules/cart-rule/publish", {"version": 1}, user=APPROVER)
    customers.upsert(parse_customer({"customer_id": "bob", "consent": {"email": False}}))
    envelope = {"detail-type": "cart.abandoned", "detail": {"customer_id": "bob", "total": 500}}
    before = snapshot(env)
    status, body = api("POST", "/admin/simulate", {"event": envelope})
    assert status == 200
    assert body["customer_known"] is True
    assert body["messages"][0]["status"] == "suppressed"
    assert snapshot(env) == before


def test_simulate_errors(api):
    status, body = api("POST", "/admin/simulate", {"event": {"type": "x"}})
    assert status == 422 and body["error"]["field"].startswith("event.")
    status, body = api(
        "POST",
        "/admin/simulate",
        {"event": {"type": "x", "customer_id": "c"}, "rules": {"no-rule": 1}},
    )
    assert status == 404 and body["error"]["field"] == "rules.no-rule"
    status, body = api("POST", "/admin/simulate", {"event": "cart"})
    assert status == 422 and body["error"]["field"] == "event"


# ----------------------------------------------------------------------------- timeline


def test_customer_timeline_shows_decisions_and_messages(api, live_content):
    from herald.dal import customers
    from herald.domain.customer import parse_customer
    from herald.domain.event import from_envelope
    from herald.service import decide

    # Given a live rule and a customer who triggered it
    api("POST", "/admin/rules", rule_doc())
    api("POST", "/admin/rules/cart-rule/publish", {"version": 1}, user=APPROVER)
    customers.upsert(
        parse_customer(
            {"customer_id": "ann", "email": "ann@example.com", "consent": {"email": True}}
        )
    )
    decide.handle(
        from_envelope(
            {
                "id": "e-1",
                "detail-type": "cart.abandoned",
                "detail": {"customer_id": "ann", "total": 150},
            }
        )
    )
    # When the timeline is read
    status, body = api("GET", "/admin/customers/ann/timeline")
    # Then the trace and the message are there, each with its why
    assert status == 200
    kinds = {item["kind"]: item for item in body["items"]}
    assert kinds["trace"]["rules"][0]["matched"] is True
    assert kinds["message"]["rule_id"] == "cart-rule" and kinds["message"]["status"] == "queued"
    assert api("GET", "/admin/customers/nobody/timeline") == (200, {"items": []})


# ----------------------------------------------------------------------------- openapi


def test_openapi_document_lists_every_route(api):
    # The document (and Swagger UI) describe routes, not data: served without an identity
    status, doc = api("GET", "/admin/openapi.json", user=None)
    assert status == 200
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    expected = {
        ("/admin/rules", "get"),
        ("/admin/rules", "post"),
        ("/admin/rules/{entity_id}", "get"),
        ("/admin/rules/{entity_id}", "put"),
        ("/admin/rules/{entity_id}", "delete"),
        ("/admin/rules/{entity_id}/versions", "get"),
        ("/admin/rules/{entity_id}/publish", "post"),
        ("/admin/rules/{entity_id}/rollback", "post"),
        ("/admin/rules/{entity_id}/pause", "post"),
        ("/admin/rules/{entity_id}/resume", "post"),
        ("/admin/rules/{entity_id}/stats", "get"),
        ("/admin/stats/overview", "get"),
        ("/admin/contents", "get"),
        ("/admin/contents", "post"),
        ("/admin/contents/{entity_id}", "get"),
        ("/admin/contents/{entity_id}", "put"),
        ("/admin/contents/{entity_id}/versions", "get"),
        ("/admin/contents/{entity_id}/publish", "post"),
        ("/admin/contents/{entity_id}/rollback", "post"),
        ("/admin/contents/{entity_id}/preview", "post"),
        ("/admin/simulate", "post"),
        ("/admin/events", "get"),
        ("/admin/audit", "get"),
        ("/admin/policy", "get"),
        ("/admin/policy", "put"),
        ("/admin/customers/{customer_id}/timeline", "get"),
        # the console's (submit for approval, the approvals queue, validate as you type, me)
        ("/admin/validate/rules", "post"),
        ("/admin/rules/{entity_id}/submit", "post"),
        ("/admin/validate/contents", "post"),
        ("/admin/contents/{entity_id}/submit", "post"),
        ("/admin/approvals", "get"),
        ("/admin/me", "get"),
        # offers and feedback taxonomies (versioned like contents), offer stats, feedback topics
        *(
            (f"/admin/{kind}{suffix}", method)
            for kind in ("offers", "taxonomies")
            for suffix, method in (
                ("", "get"),
                ("", "post"),
                ("/{entity_id}", "get"),
                ("/{entity_id}", "put"),
                ("/{entity_id}/versions", "get"),
                ("/{entity_id}/submit", "post"),
                ("/{entity_id}/publish", "post"),
                ("/{entity_id}/rollback", "post"),
            )
        ),
        ("/admin/offers/{entity_id}/stats", "get"),
        ("/admin/feedback/topics", "get"),
        # audiences: the profile schema, segments
        ("/admin/profiles", "get"),
        ("/admin/profiles", "post"),
        ("/admin/profiles/{entity_id}", "get"),
        ("/admin/profiles/{entity_id}", "put"),
        ("/admin/profiles/{entity_id}/versions", "get"),
        ("/admin/profiles/{entity_id}/submit", "post"),
        ("/admin/profiles/{entity_id}/publish", "post"),
        ("/admin/profiles/{entity_id}/rollback", "post"),
        ("/admin/segments", "get"),
        ("/admin/segments", "post"),
        ("/admin/segments/{entity_id}", "get"),
        ("/admin/segments/{entity_id}", "put"),
        ("/admin/segments/{entity_id}/versions", "get"),
        ("/admin/segments/{entity_id}/submit", "post"),
        ("/admin/segments/{entity_id}/publish", "post"),
        ("/admin/segments/{entity_id}/rollback", "post"),
        ("/admin/segments/{entity_id}/estimate", "get"),
        # broadcasts
        ("/admin/broadcasts", "get"),
        ("/admin/broadcasts", "post"),
        ("/admin/broadcasts/{entity_id}", "get"),
        ("/admin/broadcasts/{entity_id}/submit", "post"),
        ("/admin/broadcasts/{entity_id}/approve", "post"),
        ("/admin/broadcasts/{entity_id}/pause", "post"),
        ("/admin/broadcasts/{entity_id}/resume", "post"),
        ("/admin/broadcasts/{entity_id}/cancel", "post"),
        ("/admin/broadcasts/{entity_id}/rerun", "post"),
    }
    assert {(p, m) for p, ops in paths.items() for m in ops} == expected


def test_a_json_body_sent_as_a_form_is_read_as_json(aws, lambda_context):
    # Given a client that posts JSON with curl -d's default Content-Type
    import json

    from functions.admin import app
    from tests.integration.apigw import event

    request = event("POST", "/admin/contents", content_doc(), user=MARKETER)
    request["headers"] = {"content-type": "application/x-www-form-urlencoded"}
    request["multiValueHeaders"] = {"content-type": ["application/x-www-form-urlencoded"]}
    # When it reaches the admin function
    response = app.lambda_handler(request, lambda_context)
    # Then the document is created, not refused as form fields
    assert response["statusCode"] == 201, response["body"]
    assert json.loads(response["body"])["id"] == "cart-email"


# ----------------------------------------------------------------------------- hostile bodies


def _raw(api, method, path, body: str, headers: dict, base64_encoded: bool = False):
    from tests.integration.apigw import event

    request = event(method, path, raw_body=body, user=MARKETER)
    request["headers"] = headers
    request["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
    request["isBase64Encoded"] = base64_encoded
    response = api.handler(request, api.context)
    return response["statusCode"], json.loads(response["body"])


@pytest.mark.parametrize(
    ("body", "headers", "encoded", "status", "code"),
    [
        (
            '--x\r\nContent-Disposition: form-data; name="id"\r\n\r\nc\r\n--x--',
            {"Content-Type": "multipart/form-data; boundary=x"},
            False,
            415,
            "unsupported_media_type",
        ),
        (
            base64.b64encode(b'{"id": "\xff\xfe"}').decode(),
            {"Content-Type": "application/json"},
            True,
            400,
            "bad_request",
        ),
        (
            '{"id": "c", "channels": {"sms": {"text": "x"}}, "n": ' + "7" * 4400 + "}",
            {"Content-Type": "application/json"},
            False,
            422,
            "invalid_request",
        ),
        (
            '{"id": "c", "channels": {"sms": {"text": "x"}}, "name": NaN}',
            {"Content-Type": "application/json"},
            False,
            422,
            "invalid_request",
        ),
    ],
    ids=["multipart", "base64 not UTF-8", "4,400-digit integer", "NaN"],
)
def test_bodies_that_used_to_502_get_a_4xx_in_the_error_shape(
    api, env, body, headers, encoded, status, code
):
    before = snapshot(env)
    got, answer = _raw(api, "POST", "/admin/contents", body, headers, encoded)
    assert (got, answer["error"]["code"]) == (status, code), answer
    assert answer["error"]["message"]
    assert snapshot(env) == before


def test_a_preview_event_with_a_lone_surrogate_is_refused(api):
    api("POST", "/admin/contents", content_doc())
    raw = '{"event": {"total": "\\ud800"}}'
    status, answer = _raw(
        api, "POST", "/admin/contents/cart-email/preview", raw, {"Content-Type": "application/json"}
    )
    assert status == 422 and answer["error"]["field"] == "event.total"
    assert "invalid Unicode" in answer["error"]["message"]


def test_a_method_a_route_does_not_take_is_405_naming_the_ones_it_does(api):
    from tests.integration.apigw import event

    response = api.handler(event("PATCH", "/admin/rules", user=MARKETER), api.context)
    assert response["statusCode"] == 405
    allow = response["multiValueHeaders"].get("Allow") or [response["headers"].get("Allow")]
    assert allow == ["GET, POST"]
    assert json.loads(response["body"])["error"]["code"] == "method_not_allowed"
