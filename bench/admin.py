"""Admin API figures: save and publish latency through the handler, and publish-to-live.

- ``admin_p99_ms``: p99 of ``PUT /admin/rules/{id}`` (save) and ``POST .../publish`` through the
  admin handler in-process against moto (150 of each). moto dominates: its TransactWriteItems
  deep-copies every table for rollback, so latency grows with the tables and GC adds spikes.
- ``admin_publish_to_live_s``: wall time from a publish returning to the first event decided by
  the decide service (in a loop, fresh event ids, a warm container) whose trace shows the new
  version. Set by ``RULESET_REFRESH_SECONDS`` (default 2 s): a warm container re-reads the
  ruleset revision at most that often, so the figure lies between 0 and the interval plus
  one decide call.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import statistics
import time
from pathlib import Path

from herald_dev.local.context import LambdaContext

ROOT = Path(__file__).resolve().parent.parent
APPROVER = ("bench-approver", "approvers")
MARKETER = ("bench-marketer", "marketers")
RULE = {
    "id": "bench-rule",
    "name": "Bench rule",
    "on": "bench.event",
    "when": "event.total >= 0",
    "then": [{"send": {"channel": "email", "content": "bench-email"}}],
}
CONTENT = {"id": "bench-email", "channels": {"email": {"subject": "Hi", "text": "Hello"}}}


def _event(method: str, path: str, body: dict | None, user: tuple[str, str]) -> dict:
    import json

    return {
        "resource": "/admin/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "queryStringParameters": None,
        "requestContext": {
            "httpMethod": method,
            "path": path,
            "stage": "dev",
            "requestId": "bench",
            "authorizer": {"claims": {"cognito:username": user[0], "cognito:groups": user[1]}},
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def _p99(samples: list[float]) -> float:
    return round(statistics.quantiles(samples, n=100)[98], 2)


def _load_handler(name: str):
    spec = importlib.util.spec_from_file_location(
        f"bench_fn_{name}", ROOT / f"functions/{name}/app.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


def run(ops: int = 80) -> dict:
    from herald_dev.local import stack as local_stack

    # RULESET_REFRESH_SECONDS stays the template's default: it is what the figure depends on.
    # powertools flushes a metric set that reaches 100 values by printing it, even with
    # POWERTOOLS_METRICS_DISABLED (the check is only on the final flush): keep it off the output.
    with local_stack.in_process(log_level="ERROR"), contextlib.redirect_stdout(io.StringIO()):
        return _measure(ops)


def _measure(ops: int) -> dict:
    import warnings

    from herald.dal import customers
    from herald.domain.customer import parse_customer
    from herald.domain.event import from_envelope
    from herald.service import decide
    from herald.settings import settings

    warnings.filterwarnings("ignore", message="No application metrics to publish")
    handler = _load_handler("admin")
    context = LambdaContext(
        "bench-admin", "arn:aws:lambda:us-east-1:123456789012:function:bench-admin"
    )

    def call(method: str, path: str, body: dict | None, user=MARKETER) -> dict:
        response = handler(_event(method, path, body, user), context)
        if response["statusCode"] >= 300:
            raise RuntimeError(f"{method} {path}: {response['statusCode']} {response['body']}")
        return response

    call("POST", "/admin/contents", CONTENT)
    call("POST", "/admin/contents/bench-email/publish", {"version": 1}, APPROVER)
    call("POST", "/admin/rules", RULE)

    saves, publishes = [], []
    for i in range(ops):
        body = {**RULE, "priority": i % 100, "expected_version": i + 1}
        t0 = time.perf_counter()
        call("PUT", "/admin/rules/bench-rule", body)
        saves.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        call("POST", "/admin/rules/bench-rule/publish", {"version": i + 2}, APPROVER)
        publishes.append((time.perf_counter() - t0) * 1000)

    # Publish → live, against a warm decide container (its ruleset cache already loaded).
    customers.upsert(
        parse_customer(
            {"customer_id": "bench-c", "email": "c@example.com", "consent": {"email": True}}
        )
    )
    n = [0]

    def decided_version() -> int | None:
        n[0] += 1
        outcome = decide.handle(
            from_envelope(
                {
                    "id": f"live-{n[0]}",
                    "detail-type": "bench.event",
                    "detail": {"customer_id": "bench-c", "total": 1},
                }
            )
        )
        rules = [r for r in outcome.trace.rules if r.rule_id == "bench-rule"]
        return rules[0].version if rules else None

    current = decided_version()  # warm: the cache holds the live version
    body = {**RULE, "priority": 7, "expected_version": ops + 1}
    call("PUT", "/admin/rules/bench-rule", body)
    target = ops + 2
    call("POST", "/admin/rules/bench-rule/publish", {"version": target}, APPROVER)
    published_at = time.perf_counter()
    seen = current
    while seen != target:
        if time.perf_counter() - published_at > 10:
            raise RuntimeError("the published version was not live within 10 s")
        seen = decided_version()
        time.sleep(0.05)  # ~20 events/s: a modest, steady stream
    to_live = time.perf_counter() - published_at
    return {
        "admin_p99_ms": {"save": _p99(saves), "publish": _p99(publishes)},
        "admin_median_ms": {
            "save": round(statistics.median(saves), 2),
            "publish": round(statistics.median(publishes), 2),
        },
        "admin_publish_to_live_s": round(to_live, 2),
        "admin_publish_to_live_set_by": (
            f"RULESET_REFRESH_SECONDS={settings().ruleset_refresh_seconds:g} "
            "(warm decide containers re-read the ruleset revision at most that often)"
        ),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
