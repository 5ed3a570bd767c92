"""events/schemas: the producer contract as JSON Schemas, held to the sample events and to what
Herald itself accepts (a sample that drifts from its schema, or a schema from the code, fails)."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from herald.domain.customer import parse_customer
from herald.domain.event import from_envelope
from herald_dev import rulesfiles
from tests.conftest import REPO

SCHEMAS = REPO / "events" / "schemas"
SAMPLES = sorted([*(REPO / "events/demo").glob("*.json"), *(REPO / "events/decide").glob("*.json")])
MALFORMED = {"malformed-no-customer.json"}


def _schemas() -> dict[str, dict]:
    return {p.name: json.loads(p.read_text()) for p in SCHEMAS.glob("*.schema.json")}


def _validator(name: str) -> Draft202012Validator:
    schemas = _schemas()
    registry = Registry().with_resources(
        (doc["$id"], Resource.from_contents(doc)) for doc in schemas.values()
    )
    return Draft202012Validator(schemas[name], registry=registry)


def _errors(name: str, doc) -> list[str]:
    return [e.message for e in _validator(name).iter_errors(doc)]


def test_every_schema_is_a_valid_json_schema():
    assert len(_schemas()) >= 8
    for name, doc in _schemas().items():
        Draft202012Validator.check_schema(doc)
        assert doc["$id"].endswith(name)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_each_sample_event_matches_the_envelope_and_its_events_schema(sample):
    envelope = json.loads(sample.read_text())
    if sample.name in MALFORMED:
        assert any("customer_id" in e for e in _errors("envelope.schema.json", envelope))
        return
    assert _errors("envelope.schema.json", envelope) == []
    assert _errors(f"{envelope['detail-type']}.schema.json", envelope) == []
    from_envelope(envelope)  # and Herald reads it as an event


def test_every_event_the_rules_and_samples_use_has_a_schema_and_every_schema_a_sample():
    _, rules = rulesfiles.validate_dir(REPO / "rules")
    used = {json.loads(p.read_text())["detail-type"] for p in SAMPLES} | {r.on for r in rules}
    used |= {r.goal.event for r in rules if r.goal is not None}  # goals are events too
    # an event's schema is one that extends the envelope (others: profiles, bodies, messages)
    documented = {
        name.removesuffix(".schema.json")
        for name, doc in _schemas().items()
        if {"$ref": "envelope.schema.json"} in doc.get("allOf", [])
    }
    assert used == documented


def test_an_event_schema_refuses_what_decide_would_refuse_or_rules_could_not_read():
    good = json.loads((REPO / "events/demo/03-cart-ann.json").read_text())
    no_total = {**good, "detail": {"customer_id": "c-ann"}}
    assert any("cart_total" in e for e in _errors("cart.abandoned.schema.json", no_total))
    aws_source = {**good, "source": "aws.events"}
    assert _errors("envelope.schema.json", aws_source)


def test_the_customer_schema_matches_the_sample_profiles_and_the_profile_parser():
    profiles = json.loads((REPO / "events/customers.json").read_text())
    for profile in profiles:
        assert _errors("customer.schema.json", profile) == [], profile["customer_id"]
        parse_customer(profile)
    assert _errors("customer.schema.json", {"customer_id": "c", "phone": "0612345678"})
    assert _errors("customer.schema.json", {"customer_id": "c", "consent": {"fax": True}})


def test_the_post_event_schema_takes_an_ingest_body_and_refuses_reserved_fields_in_data():
    body = {"type": "cart.abandoned", "customer_id": "c-ann", "data": {"cart_total": 120}}
    assert _errors("post-event.schema.json", body) == []
    assert _errors("post-event.schema.json", {**body, "data": {"customer_id": "x"}})
    assert _errors("post-event.schema.json", {**body, "extra": 1})
