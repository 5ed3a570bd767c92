"""Property: no request to the admin or ingest handler, however malformed, yields a 5xx."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.apigw import APPROVER, MARKETER, Api

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=80)
IDS = st.one_of(
    st.sampled_from(["cart-email", "cart-rule", "policy", "x" * 65, "UPPER", "a b", "%2F", ".."]),
    st.from_regex(r"[a-z0-9-]{1,70}", fullmatch=True),
    TEXT.filter(lambda s: s and "/" not in s),
)
PATHS = st.one_of(
    st.builds(
        lambda kind, entity_id, tail: f"/admin/{kind}/{entity_id}{tail}",
        st.sampled_from(["rules", "contents", "customers", "policy", "audit"]),
        IDS,
        st.sampled_from(
            ["", "/versions", "/publish", "/rollback", "/pause", "/preview", "/timeline"]
        ),
    ),
    st.sampled_from(
        ["/admin/rules", "/admin/contents", "/admin/policy", "/admin/simulate", "/admin/audit"]
    ),
    TEXT.map(lambda s: "/admin/" + s),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=5),
    max_leaves=20,
)
RULE_KEYS = ["id", "name", "on", "priority", "when", "then", "else", "category", "active"]
DOC_KEYS = [*RULE_KEYS, "channels", "locales", "version", "expected_version", "event", "customer"]
ACTION = st.dictionaries(
    st.sampled_from(["send", "offer", "route", "alert", "update_profile"]),
    st.dictionaries(st.sampled_from(["channel", "content", "placement", "queue", "set"]), JSON),
    max_size=2,
)
DOCS = st.fixed_dictionaries(
    {},
    optional={
        **{key: JSON for key in DOC_KEYS},
        "id": IDS,
        "then": st.lists(ACTION, max_size=3),
        "version": st.integers(),
        "expected_version": st.integers(),
        "channels": st.dictionaries(st.sampled_from(["email", "sms", "push", "web", "fax"]), JSON),
    },
)
BODIES = st.one_of(st.none(), JSON.map(json.dumps), DOCS.map(json.dumps), TEXT)
USERS = st.sampled_from([None, MARKETER, APPROVER, ("eve", ""), ("x", "[approvers marketers]")])
QUERIES = st.none() | st.dictionaries(st.sampled_from(["entity", "id", "limit"]), TEXT, max_size=3)


def _check(status: int, raw: str | None) -> None:
    assert status < 500, raw
    if status >= 400 and raw:
        assert set(json.loads(raw)) == {"error"}, raw


@pytest.fixture
def admin(aws, lambda_context) -> Api:
    from functions.admin import app

    api = Api(app.lambda_handler, lambda_context)
    # Something to hit: a published content and a rule
    content = {"id": "cart-email", "channels": {"email": {"subject": "Hi", "text": "x"}}}
    api("POST", "/admin/contents", content)
    api("POST", "/admin/contents/cart-email/publish", {"version": 1}, user=APPROVER)
    rule = {
        "id": "cart-rule",
        "name": "r",
        "on": "cart",
        "then": [{"send": {"channel": "email", "content": "cart-email"}}],
    }
    api("POST", "/admin/rules", rule)
    return api


ROUTES = [
    ("GET", "/admin/rules"),
    ("POST", "/admin/rules"),
    ("GET", "/admin/rules/{id}"),
    ("PUT", "/admin/rules/{id}"),
    ("DELETE", "/admin/rules/{id}"),
    ("GET", "/admin/rules/{id}/versions"),
    ("POST", "/admin/rules/{id}/publish"),
    ("POST", "/admin/rules/{id}/rollback"),
    ("POST", "/admin/rules/{id}/pause"),
    ("GET", "/admin/contents"),
    ("POST", "/admin/contents"),
    ("GET", "/admin/contents/{id}"),
    ("PUT", "/admin/contents/{id}"),
    ("GET", "/admin/contents/{id}/versions"),
    ("POST", "/admin/contents/{id}/publish"),
    ("POST", "/admin/contents/{id}/rollback"),
    ("POST", "/admin/contents/{id}/preview"),
    ("POST", "/admin/simulate"),
    ("GET", "/admin/audit"),
    ("GET", "/admin/policy"),
    ("PUT", "/admin/policy"),
    ("GET", "/admin/customers/{id}/timeline"),
]
# Mostly real routes with hostile ids and bodies; sometimes anything at all.
REQUESTS = st.one_of(
    st.tuples(st.sampled_from(ROUTES), IDS).map(lambda r: (r[0][0], r[0][1].replace("{id}", r[1]))),
    st.tuples(st.sampled_from(ROUTES), st.sampled_from(["cart-email", "cart-rule"])).map(
        lambda r: (r[0][0], r[0][1].replace("{id}", r[1]))
    ),
    st.tuples(METHODS, PATHS),
)


@FUZZ
@given(request=REQUESTS, body=BODIES, user=USERS, query=QUERIES)
def test_admin_never_answers_5xx(admin, request, body, user, query):
    from tests.integration.apigw import event

    method, path = request
    response = admin.handler(
        event(method, path, user=user, query=query, raw_body=body), admin.context
    )
    _check(response["statusCode"], response.get("body"))


@pytest.fixture
def ingest(aws, lambda_context) -> Api:
    from functions.ingest import app

    return Api(app.lambda_handler, lambda_context)


INGEST_BODIES = st.one_of(
    BODIES,
    st.fixed_dictionaries(
        {},
        optional={
            "type": TEXT,
            "customer_id": TEXT,
            "event_id": JSON,
            "source": TEXT,
            "occurred_at": JSON,
            "data": JSON,
            "email": JSON,
            "phone": JSON,
            "push": JSON,
            "timezone": JSON,
            "consent": JSON,
            "attributes": JSON,
        },
    ).map(json.dumps),
)


@FUZZ
@given(
    method=METHODS,
    path=st.one_of(
        st.sampled_from(["/events", "/health"]),
        IDS.map(lambda i: f"/customers/{i}"),
        TEXT.map(lambda s: "/" + s),
    ),
    body=INGEST_BODIES,
)
def test_ingest_never_answers_5xx(ingest, method, path, body):
    from tests.integration.apigw import event

    response = ingest.handler(
        event(method, path, user=None, raw_body=body, resource=path), ingest.context
    )
    _check(response["statusCode"], response.get("body"))
