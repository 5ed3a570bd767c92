"""Offers and feedback figures (issue 11).

- ``decide_api_core_p99_ms`` (goal <= 2): one ``POST /decide`` arbitration in-process, no AWS
  I/O — 500 live offers over 10 placements (ZEN eligibility, value and context-weight
  expressions, Liquid content), ~40-attribute profiles, Thompson draws from counters, the offer
  contact policy over a customer's offer log, the top 3 rendered.
- ``decide_api_aws_calls`` (goal <= 2): AWS calls on the response path of a decision (moto,
  botocore hooks): the customer with the offer log (one BatchGetItem) and the placement's
  counters (one Query). ``decide_api_trace_writes_after_response``: the trace's PutItem,
  issued by the after-response thread, not on the response path.
- ``feedback_per_s``: feedback through truncation, redaction and taxonomy matching in-process
  (Comprehend's latency excluded: a canned analysis).
"""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime

import core

ROOT = core.ROOT
NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
PLACEMENTS = [f"placement-{i}" for i in range(10)]
ELIGIBILITY = [
    'customer.attributes.tier in ["gold", "platinum"]',
    "customer.attributes.orders > {k}",
    '(customer.attributes.lifetime_value ?? 0) > {ltv} and customer.attributes.country != "JP"',
    "customer.attributes.attr_{a:02d} == true",
    None,
]
VALUES = [
    "{v}",
    "(customer.attributes.lifetime_value ?? 0) > {ltv} ? {v} : {w}",
]
WEIGHTS = ["0", "(event.cart_total ?? 0) >= {n} ? 0.5 : 0", "0.2"]


def _offers(rng: random.Random, n: int = 500) -> list:
    from herald.domain.offer import parse_offer
    from herald.service import offer_catalogue

    found = []
    for i in range(n):
        placements = rng.sample(PLACEMENTS, rng.randint(1, 3))
        fill = {
            "k": rng.randint(0, 40),
            "ltv": rng.randint(100, 4000),
            "a": rng.randint(0, 32),
            "v": rng.randint(5, 50),
            "w": rng.randint(1, 5),
            "n": rng.randint(20, 200),
        }
        eligibility = rng.choice(ELIGIBILITY)
        doc = {
            "id": f"offer-{i:03d}",
            "placements": placements,
            "value": _value(rng.choice(VALUES).format(**fill)),
            "lever": rng.choice([0, 0, 10, -20, 50]),
            "context_weight": _value(rng.choice(WEIGHTS).format(**fill)),
            "content": {
                p: {
                    "headline": "{{ customer.attributes.first_name }}, offer " + str(i),
                    "body": "Members save {{ event.cart_total | default: 0 }} today.",
                    "cta_url": f"https://shop.example.com/o/{i}",
                }
                for p in placements
            },
        }
        if eligibility:
            doc["eligibility"] = eligibility.format(**fill)
        found.append(offer_catalogue.compile_offer(parse_offer(doc, 1)))
    return found


def _value(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def decide_core_figures(decisions: int = 2000) -> dict:
    from herald.domain import policy
    from herald.domain.clock import iso
    from herald.domain.offer import OfferContact
    from herald.domain.propensity import Evidence
    from herald.service import offer_catalogue, offers

    rng = random.Random(11)
    compiled = _offers(rng)
    index = offer_catalogue.by_placement(compiled)
    evidence = {
        p: {
            c.offer.id: Evidence(n := rng.randint(0, 5000), rng.randint(0, n // 10))
            for c in index[p]
        }
        for p in PLACEMENTS
    }
    profiles = [core._profile(rng, i).context for i in range(200)]
    logs = [
        tuple(
            OfferContact(f"offer-{rng.randint(0, 499):03d}", "impression", iso(NOW))
            for _ in range(rng.randint(0, 12))
        )
        for _ in range(200)
    ]
    rules = policy.default().offers
    draws = random.Random(3)
    timings = []
    shown = 0
    for i in range(decisions + 200):
        placement = PLACEMENTS[i % 10]
        t0 = time.perf_counter()
        _, answer = offers.arbitrate(
            index[placement],
            customer_id=f"c-{i}",
            profile=profiles[i % 200],
            placement=placement,
            request_context={"cart_total": 40 + i % 100, "items": 2},
            limit=3,
            log=logs[i % 200],
            evidence=evidence[placement],
            rules=rules,
            now=NOW,
            rng=draws,
            decision_id=f"d{i}",
        )
        if i >= 200:  # warm-up: compiled templates cached, zen warm
            timings.append(time.perf_counter() - t0)
            shown += len(answer)
    timings.sort()
    per_placement = sum(len(v) for v in index.values()) / len(index)
    return {
        "decide_api_core_p99_ms": round(timings[int(len(timings) * 0.99)] * 1000, 3),
        "decide_api_core_p50_ms": round(timings[len(timings) // 2] * 1000, 3),
        "decide_api_offers_per_placement": round(per_placement, 1),
        "decide_api_offers_shown_per_decision": round(shown / decisions, 2),
    }


def aws_call_figures(decisions: int = 40) -> dict:
    import botocore.handlers

    from herald import runtime
    from herald.aws import after_response
    from herald.dal import customers
    from herald.domain.customer import parse_customer
    from herald.service import offers
    from herald_dev import rulesfiles
    from herald_dev.local import stack as local_stack

    calls: list[tuple[str, str]] = []

    def count(model, params, **kwargs) -> None:
        calls.append((model.name, threading.current_thread().name))

    hook = ("before-call.*.*", count)
    with local_stack.in_process(log_level="ERROR"):
        rulesfiles.load_into_tables(ROOT / "rules", echo=lambda _line: None)
        rng = random.Random(5)
        for i in range(20):
            doc = core._profile(rng, i).profile.to_doc()
            doc["attributes"]["tier"] = "gold"
            customers.upsert(parse_customer(doc))
        botocore.handlers.BUILTIN_HANDLERS.append(hook)
        try:
            runtime.reset()
            body = {"placement": "web-home", "context": {"cart_total": 80}, "limit": 3}
            for i in range(10):  # warm: offers loaded, clients created
                offers.decide({**body, "customer_id": f"c-{i % 20}"})
            after_response.drain()
            calls.clear()
            for i in range(decisions):
                offers.decide({**body, "customer_id": f"c-{i % 20}"})
            after_response.drain()
        finally:
            botocore.handlers.BUILTIN_HANDLERS.remove(hook)
    on_path = [op for op, thread in calls if thread != "after-response"]
    after = [op for op, thread in calls if thread == "after-response"]
    by_op: dict[str, int] = {}
    for op in on_path:
        by_op[op] = by_op.get(op, 0) + 1
    return {
        "decide_api_aws_calls": round(len(on_path) / decisions, 3),
        "decide_api_aws_calls_by_operation": {
            k: round(v / decisions, 3) for k, v in sorted(by_op.items())
        },
        "decide_api_trace_writes_after_response": round(len(after) / decisions, 3),
    }


SENTENCES = [
    "My parcel never arrived and the courier didn't even ring the bell.",
    "I was charged twice for the same order, please refund me.",
    "The kettle stopped working after two days, really poor quality.",
    "Your agent was helpful and friendly, thank you.",
    "Delivery was late again and the box was damaged.",
    "If this happens again I will cancel my membership and go to a competitor.",
    "Lovely jumper, fits perfectly.",
]


def feedback_figures(seconds: float = 1.0) -> dict:
    from herald.domain import feedback as fb
    from herald.domain.feedback import Analysis, Sentiment
    from herald.domain.taxonomy import parse_taxonomy
    from herald.service import customer_feedback
    from herald_dev import rulesfiles

    doc = rulesfiles._read_file(ROOT / "rules" / "taxonomies" / "customer-topics.yaml")
    extra = [
        {
            "id": f"topic-{i}",
            "keywords": [f"word{i}", f"thing{i}"],
            "phrases": [f"phrase number {i}"],
        }
        for i in range(40)
    ]
    topics = customer_feedback.compile_taxonomy(
        parse_taxonomy({**doc, "topics": [*doc["topics"], *extra]})
    )
    context = {"event": {"channel": "chat"}, "customer": {"attributes": {"tier": "gold"}}}
    analysis = Analysis("en", Sentiment.NEGATIVE, {"negative": 0.9}, ("the parcel",), ((0, 2),))
    n, matched = 0, 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for sentence in SENTENCES:
            text = f"Hi, I am Ann ({n}@example.com). {sentence} {sentence}"
            cut, _ = fb.truncate(text)
            redacted = fb.redact(cut, ((0, 2, "NAME"), *fb.fallback_entities(cut)))
            found = customer_feedback.match_topics(redacted, analysis.key_phrases, context, topics)
            matched += len(found)
            n += 1
    elapsed = time.perf_counter() - t0
    return {
        "feedback_per_s": round(n / elapsed),
        "feedback_topics_in_taxonomy": len(topics),
        "feedback_topics_per_feedback": round(matched / n, 2),
    }


def run() -> dict:
    return {**decide_core_figures(), **aws_call_figures(), **feedback_figures()}
