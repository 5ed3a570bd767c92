"""Engine, ZEN, rendering, AWS-calls-per-event and cold-import figures (issue 2)."""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVENT_NAMES = [f"event.kind_{i:02d}" for i in range(50)]
TIERS = ["bronze", "silver", "gold", "platinum"]


def _profile(rng: random.Random, i: int):
    """A realistic stored customer: ~40 attributes of mixed types."""
    from herald.domain.customer import CustomerState, stored_customer

    attributes = {
        "tier": rng.choice(TIERS),
        "first_name": f"Customer{i}",
        "lifetime_value": round(rng.uniform(0, 5000), 2),
        "orders": rng.randint(0, 60),
        "wishlist": [f"sku-{rng.randint(1, 500)}" for _ in range(rng.randint(0, 8))],
        "newsletter": rng.random() < 0.5,
        "country": rng.choice(["FR", "DE", "US", "GB", "JP"]),
    }
    for k in range(33):
        attributes[f"attr_{k:02d}"] = rng.choice(
            [rng.randint(0, 100), f"v{rng.randint(0, 9)}", rng.random() < 0.5]
        )
    profile = {
        "customer_id": f"c-{i}",
        "email": f"c{i}@example.com",
        "phone": "+14155550100",
        "timezone": "Europe/Paris",
        "locale": "fr",
        "consent": {"email": True, "sms": True, "push": True},
        "attributes": attributes,
    }
    return CustomerState(stored_customer(profile, f"c-{i}"), revision=1)


def _rules(rng: random.Random, n: int = 1000, closures: bool = False) -> list:
    from herald.domain.rule import parse_rule

    templates = [
        'customer.attributes.tier == "{tier}" and event.amount >= {n}',
        'customer.attributes.orders > {k} and customer.attributes.country in ["FR", "DE"]',
        "event.amount > {n} or customer.attributes.lifetime_value > {ltv}",
        'event.sku in customer.attributes.wishlist and customer.attributes.tier != "bronze"',
        "customer.attributes.attr_{a:02d} == true and event.amount < {n}",
    ]
    if closures:  # a closure over customer data: the kind of condition costed at run time
        templates.append(
            "some(customer.attributes.wishlist, # == event.sku) and event.amount > {n}"
        )
    rules = []
    for i in range(n):
        when = rng.choice(templates).format(
            tier=rng.choice(TIERS),
            n=rng.randint(10, 500),
            k=rng.randint(0, 40),
            ltv=rng.randint(100, 4000),
            a=rng.randint(0, 32),
        )
        rules.append(
            parse_rule(
                {
                    "id": f"rule-{i:04d}",
                    "name": f"Rule {i}",
                    "on": EVENT_NAMES[i % len(EVENT_NAMES)],
                    "priority": rng.randint(0, 1000),
                    "when": when,
                    "then": [
                        {
                            "send": {
                                "channel": rng.choice(["email", "sms", "push"]),
                                "content": f"content-{i % 20}",
                            }
                        }
                    ],
                    "else": [{"update_profile": {"set": {"seen": True}}}] if i % 7 == 0 else [],
                    "category": "marketing" if i % 3 else "transactional",
                }
            )
        )
    return rules


def _fixture(closures: bool = False):
    """1,000 rules over 50 event names, 200 customers, 2,000 events (the same on every run);
    with ``closures``, a sixth of the conditions iterate a list (``some(…)``)."""
    from herald import engine
    from herald.domain.event import Event

    rng = random.Random(7)
    ruleset = engine.Ruleset(
        _rules(rng, closures=closures), {f"content-{i}": 1 for i in range(20)}, "1"
    )
    customers = [_profile(rng, i) for i in range(200)]
    events = [
        Event(
            name=EVENT_NAMES[i % len(EVENT_NAMES)],
            customer_id=f"c-{i % 200}",
            event_id=f"e-{i}",
            occurred_at="2026-11-24T12:00:00Z",
            detail={
                "customer_id": f"c-{i % 200}",
                "amount": rng.randint(0, 600),
                "sku": f"sku-{rng.randint(1, 500)}",
                "channel": "web",
            },
        )
        for i in range(2000)
    ]
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    return ruleset, customers, events, now


def engine_figures(seconds: float = 3.0) -> dict:
    import zen

    from herald import engine

    ruleset, customers, events, now = _fixture()
    # warm up (compile caches, branch predictors)
    for i in range(500):
        engine.decide(ruleset, events[i], customers[i % 200], now)
    latencies = []
    rules_evaluated = 0
    start = time.perf_counter()
    i = 0
    while time.perf_counter() - start < seconds:
        ev = events[i % len(events)]
        t0 = time.perf_counter()
        engine.decide(ruleset, ev, customers[i % 200], now)
        latencies.append(time.perf_counter() - t0)
        rules_evaluated += len(ruleset.by_event[ev.name])
        i += 1
    elapsed = sum(latencies)
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)] * 1000

    # raw compiled ZEN evaluation: the same conditions, no engine, full and projected contexts
    from herald import expressions

    conditions = [c.condition.compiled for c in ruleset.by_event[EVENT_NAMES[0]]]
    full = {
        "event": events[0].detail,
        "customer": customers[0].context,
        "now": "2026-11-24T12:00:00.000Z",
    }
    projected = expressions.project(full, ruleset.paths_by_event[EVENT_NAMES[0]])
    raw_full_us = _us_per_evaluation(conditions, full)
    raw_projected_us = _us_per_evaluation(conditions, projected)
    single = zen.compile_expression('customer.attributes.tier == "gold" and event.amount >= 100')
    return {
        "decide_core_events_per_s": round(i / elapsed),
        "decide_core_p99_ms": round(p99, 4),
        "decide_core_p50_ms": round(latencies[len(latencies) // 2] * 1000, 4),
        "rules": len(ruleset),
        "rules_per_event": round(rules_evaluated / i, 1),
        "zen_raw_eval_us": round(raw_full_us, 3),
        "zen_raw_eval_projected_us": round(raw_projected_us, 3),
        "zen_raw_eval_single_small_us": round(
            _timeit(
                lambda: single.evaluate(
                    {"customer": {"attributes": {"tier": "gold"}}, "event": {"amount": 120}}
                )
            ),
            3,
        ),
        "engine_us_per_rule": round(elapsed / rules_evaluated * 1e6, 3),
    }


def budget_overhead_figures(rounds: int = 7, seconds: float = 0.4) -> dict:
    """What the evaluation budget costs on the decide core: the engine as shipped against the
    same engine whose conditions call zen directly (no cost model, no error mapping), on a rule
    set where a sixth of the conditions iterate lists (without closures no condition needs the
    cost model and the budget costs nothing). Rounds alternate between the two so that machine
    noise falls on both alike; medians compared."""
    from herald import engine
    from herald.expressions.condition import Condition
    from herald.expressions.errors import EvaluationError, describe_error

    ruleset, customers, events, now = _fixture(closures=True)
    budgeted = Condition.evaluate

    def unbudgeted(self, context: dict) -> object:
        try:
            return self.compiled.evaluate(context)
        except RuntimeError as exc:
            raise EvaluationError(describe_error(exc)) from exc

    def events_per_s() -> float:
        n = 0
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            engine.decide(ruleset, events[n % len(events)], customers[n % 200], now)
            n += 1
        return n / (time.perf_counter() - t0)

    checked = sum(not r.condition.bounded for rules in ruleset.by_event.values() for r in rules)
    with_budget, without = [], []
    try:
        for i in range(500):  # warm up
            engine.decide(ruleset, events[i], customers[i % 200], now)
        for _ in range(rounds):
            Condition.evaluate = unbudgeted
            without.append(events_per_s())
            Condition.evaluate = budgeted
            with_budget.append(events_per_s())
    finally:
        Condition.evaluate = budgeted
    slower = statistics.median(without) / statistics.median(with_budget) - 1
    return {
        "eval_budget_overhead_pct": round(slower * 100, 1),
        "eval_budget_checked_rules": checked,
        "decide_core_closure_mix_events_per_s": round(statistics.median(with_budget)),
        "decide_core_closure_mix_unbudgeted_events_per_s": round(statistics.median(without)),
    }


def _us_per_evaluation(conditions: list, context: dict, seconds: float = 1.0) -> float:
    n = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for condition in conditions:
            condition.evaluate(context)
        n += len(conditions)
    return (time.perf_counter() - t0) / n * 1e6


def _timeit(fn, seconds: float = 0.5) -> float:
    n = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        fn()
        n += 1
    return (time.perf_counter() - t0) / n * 1e6


def render_figures(seconds: float = 2.0) -> dict:
    from herald import rendering
    from herald.domain.content import parse_content

    content = parse_content(
        {
            "id": "bench-email",
            "channels": {
                "email": {
                    "subject": "{{ customer.attributes.first_name }}, your cart of {{ event.item_count }} items ships free",
                    "html": (
                        "<html><body><h1>Hi {{ customer.attributes.first_name | default: 'there' }}</h1>"
                        "<p>Your cart ({{ event.cart_total | times: 1.0 | round: 2 }} {{ event.currency }}) is waiting.</p>"
                        "<table>{% for item in event.items %}<tr><td>{{ item.name | escape }}</td>"
                        "<td>{{ item.qty }}</td><td>{{ item.price | round: 2 }}</td></tr>{% endfor %}</table>"
                        "{% if customer.attributes.tier == 'gold' %}<p>Gold: shipping is on us.</p>{% endif %}"
                        "<p><a href='{{ message.unsubscribe_url }}'>Unsubscribe</a></p></body></html>"
                    ),
                    "text": (
                        "Hi {{ customer.attributes.first_name }}, your cart is waiting.\n"
                        "{% for item in event.items %}- {{ item.name }} x{{ item.qty }}\n{% endfor %}"
                        "Unsubscribe: {{ message.unsubscribe_url }}"
                    ),
                }
            },
        }
    )
    rng = random.Random(3)
    context = {
        "customer": _profile(rng, 1).context,
        "event": {
            "cart_total": 180.5,
            "currency": "EUR",
            "item_count": 3,
            "items": [{"name": f"Item <{k}>", "qty": k + 1, "price": 19.99 + k} for k in range(3)],
        },
        "message": {"id": "m1", "unsubscribe_url": "https://example.com/u/token"},
    }
    rendering.render(content, "email", context)
    n = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        rendering.render(content, "email", context)
        n += 1
    return {"render_per_s": round(n / (time.perf_counter() - t0))}


def aws_call_figures(events: int = 200) -> dict:
    """AWS API calls per event on the decide path in steady state, counted with botocore hooks."""
    import botocore.handlers

    from herald import runtime
    from herald.dal import customers
    from herald.domain.customer import parse_customer
    from herald.domain.event import from_envelope
    from herald.service import decide
    from herald_dev import rulesfiles
    from herald_dev.local import stack as local_stack

    calls: list[tuple[str, str]] = []

    def count(model, params, **kwargs) -> None:
        tables = {params.get("TableName", "")}
        for item in params.get("TransactItems", []):
            tables |= {v.get("TableName", "") for v in item.values()}
        calls.append((model.name, ",".join(sorted(t for t in tables if t))))

    def envelope(i: int) -> dict:
        return {
            "id": f"bench-{i}",
            "detail-type": "cart.abandoned",
            "source": "bench",
            "time": "2026-11-24T12:00:00Z",
            "detail": {
                "customer_id": f"c-{i % 50}",
                "event_id": f"bench-{i}",
                "cart_total": 150,
                "item_count": 2,
            },
        }

    hook = ("before-call.*.*", count)
    with local_stack.in_process(log_level="ERROR"):
        rulesfiles.load_into_tables(ROOT / "rules", echo=lambda _line: None)
        rng = random.Random(5)
        for i in range(50):
            doc = _profile(rng, i).profile.to_doc()
            doc["attributes"]["tier"] = "gold"
            customers.upsert(parse_customer(doc))
        # A botocore event hook on every client created from here on (pynamodb's included).
        botocore.handlers.BUILTIN_HANDLERS.append(hook)
        try:
            runtime.reset()
            for i in range(20):  # warm: ruleset loaded, clients created
                decide.handle(from_envelope(envelope(i)))
            calls.clear()
            t0 = time.perf_counter()
            for i in range(20, 20 + events):
                decide.handle(from_envelope(envelope(i)))
            elapsed = time.perf_counter() - t0
        finally:
            botocore.handlers.BUILTIN_HANDLERS.remove(hook)
    by_op: dict[str, int] = {}
    for op, _tables in calls:
        by_op[op] = by_op.get(op, 0) + 1
    return {
        "aws_calls_per_event": round(len(calls) / events, 3),
        "aws_calls_by_operation": {k: round(v / events, 3) for k, v in sorted(by_op.items())},
        "rules_table_reads": sum(1 for _, tables in calls if "RulesTable" in tables),
        "decide_moto_events_per_s": round(events / elapsed, 1),
    }


HANDLERS = {
    "decide": "functions/decide/app.py",
    "send": "functions/send/app.py",
    "admin": "functions/admin/app.py",
    "ingest": "functions/ingest/app.py",
    "feedback": "functions/feedback/app.py",
    "unsubscribe": "functions/unsubscribe/app.py",
    "offers": "functions/offers/app.py",
    "customer_feedback": "functions/customer_feedback/app.py",
    "broadcast_worker": "functions/broadcast_worker/app.py",
}


def cold_import_figures(runs: int = 5) -> dict:
    """Median wall time of importing each handler module in a fresh interpreter, with the
    bytecode compiled as the layer ships it (layers/herald/Makefile), as pip compiled boto3's."""
    import compileall

    for folder in ("layers/herald/herald", "functions"):
        compileall.compile_dir(ROOT / folder, quiet=2)
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    # every table/queue name set so the handlers' cold-start checks pass
    for name in (
        "RULES_TABLE",
        "CONTENTS_TABLE",
        "CUSTOMERS_TABLE",
        "MESSAGES_TABLE",
        "SETTINGS_TABLE",
        "AUDIT_TABLE",
        "SUPPRESSION_TABLE",
        "CATALOGUE_TABLE",
        "COUNTERS_TABLE",
        "FEEDBACK_DLQ_URL",
        "SEND_QUEUE_URL",
        "SEND_DLQ_URL",
        "DECIDE_DLQ_URL",
        "SENDER_EMAIL",
        "EVENT_BUS_NAME",
        "UNSUBSCRIBE_KEY_PARAM",
        "OFFERS_TABLE",
        "TAXONOMIES_TABLE",
        "SEGMENTS_TABLE",
        "PROFILES_TABLE",
    ):
        env.setdefault(name, "bench")
    snippet = (
        "import time,sys,importlib.util;t=time.perf_counter();"
        "s=importlib.util.spec_from_file_location('h',sys.argv[1]);m=importlib.util.module_from_spec(s);"
        "s.loader.exec_module(m);print((time.perf_counter()-t)*1000)"
    )
    bare = "import time;t=time.perf_counter();import boto3;print((time.perf_counter()-t)*1000)"
    commands = {"boto3": [bare]}
    commands.update(
        {name: [snippet, path] for name, path in HANDLERS.items() if (ROOT / path).exists()}
    )

    def once(args: list[str]) -> float:
        out = subprocess.run(
            [sys.executable, "-c", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=True,
        )
        return float(out.stdout.strip().splitlines()[-1])

    # Rounds interleave boto3 and the handlers, so that a busy moment weighs on all of them.
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, args in commands.items():
            samples[name].append(once(args))
    result = {name: round(statistics.median(values), 1) for name, values in samples.items()}
    ratio = {k: round(v / result["boto3"], 2) for k, v in result.items() if k != "boto3"}
    return {"cold_import_ms": result, "cold_import_ratio_to_boto3": ratio}


if __name__ == "__main__":
    print(json.dumps(engine_figures(), indent=2))
