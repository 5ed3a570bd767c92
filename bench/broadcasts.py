"""Audiences and broadcasts (issue 12).

- ``profile_update_us``: one event folded into a profile with 5 declared aggregates (day
  buckets) and the values read back, in-process;
- ``broadcast_worker_customers_per_s`` (goal >= 5,000 per worker): the worker's in-process
  part per customer — segment evaluation, contact policy, arm, message planning and batching
  (transaction groups and SQS bodies) — excluding AWS latency;
- ``broadcast_aws_calls_per_1k`` (goal <= 150): AWS calls the workers make per 1,000 members
  (moto, counted with botocore hooks), by operation; ``broadcast_aws_calls_per_run`` the
  plan and finish steps' calls, once a run whatever its size;
- ``broadcast_local_20k_s``: 20,000 customers through the broadcast state machine of
  template.yaml (local interpreter, worker in-process, moto), end to end up to the send queue
  (every member queued, the counts checked). moto's TransactWriteItems deep-copies each table it
  touches; the run uses ``herald_dev.local.moto_transactions`` (item snapshots, the same
  rollback) so that it measures Herald rather than moto's copying;
- ``broadcast_10m_model_s``: the modelled time to queue 10 M customers with 100 concurrent
  workers (per-worker rate from the calls per 1,000 at ``AWS_CALL_MS`` a call plus the
  in-process cost), and ``broadcast_10m_send_h_at_1000_per_s``: delivering them at an SES
  quota of 1,000 a second (the send side is what a quota governs).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
import warnings
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CUSTOMERS_LOCAL = 20_000
CUSTOMERS_CPU = 10_000
AWS_CALL_MS = 8.0  # a DynamoDB / SQS call from Lambda in-region, batched writes included
WORKERS = 100
TEN_MILLION = 10_000_000
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)

SCHEMA = {
    "aggregates": {
        "orders_90d": {"count": "order.placed", "within": "P90D"},
        "spend_365d": {"sum": "order.placed.amount", "within": "P365D"},
        "last_order_at": {"last": "order.placed"},
        "views_7d": {"count": "product.viewed", "within": "P7D"},
        "carts_30d": {"count": "cart.abandoned", "within": "P30D"},
    }
}


def profile_figures() -> dict:
    from datetime import timedelta

    from herald.domain import profile

    schema = profile.parse_profile_schema(SCHEMA)
    activity = profile.NO_ACTIVITY
    names = ("order.placed", "product.viewed", "cart.abandoned")
    n = 5_000
    t0 = time.perf_counter()
    for i in range(n):
        at = NOW - timedelta(minutes=105 * (n - i))  # a year of events
        activity = profile.observe(activity, schema, names[i % 3], {"amount": 12.5}, at, at)
        profile.values(activity, schema, at)
    elapsed = time.perf_counter() - t0
    return {
        "profile_update_us": round(elapsed / n * 1e6, 1),
        "profile_stored_numbers": activity.size,
    }


def _states(count: int, prefix: str = "c"):
    from herald.domain.customer import CustomerState, stored_customer

    return [
        CustomerState(
            stored_customer(
                {
                    "customer_id": f"{prefix}-{i:06d}",
                    "email": f"{prefix}{i}@example.com",
                    "timezone": ("Europe/Paris", "America/New_York", "Asia/Tokyo")[i % 3],
                    "consent": {"email": True},
                    "attributes": {"tier": "gold" if i % 2 else "silver", "lifetime_value": i},
                },
                f"{prefix}-{i:06d}",
            ),
            revision=1,
        )
        for i in range(count)
    ]


def _setup():
    from herald.domain import policy, profile
    from herald.domain.broadcast import parse_broadcast
    from herald.domain.segment import parse_segment
    from herald.service import audience
    from herald.service.broadcast import Setup

    broadcast = parse_broadcast(
        {
            "id": "bench",
            "name": "Bench",
            "segment": "gold",
            "channel": "email",
            "variants": [{"content": "a", "weight": 1}, {"content": "b", "weight": 1}],
            "holdout": 0.1,
        }
    )
    segment = audience.compile_segment(
        parse_segment(
            {
                "id": "gold",
                "name": "Gold",
                "when": 'customer.attributes.tier == "gold" or customer.consent.email == true',
            }
        )
    )
    live = audience.Audience(profile.parse_profile_schema(SCHEMA), (segment,), "bench")
    return Setup(broadcast, segment, live, policy.default(), {"a": 1, "b": 1}, NOW)


def worker_cpu_figures() -> dict:
    from herald.aws.queues import send_request
    from herald.dal.broadcasts import CUSTOMERS_PER_TRANSACTION
    from herald.dal.records import _message_item
    from herald.service.broadcast import plan_customer

    setup = _setup()
    states = _states(CUSTOMERS_CPU)
    plan_customer(setup, states[0])  # warm
    t0 = time.perf_counter()
    plans = [p for p in (plan_customer(setup, s) for s in states) if p is not None]
    groups = [plans[i : i + CUSTOMERS_PER_TRANSACTION] for i in range(0, len(plans), 50)]
    items = [_message_item(p.message) for group in groups for p in group]
    bodies = [send_request(p.message.message_id, p.message.customer_id) for p in plans]
    elapsed = time.perf_counter() - t0
    assert len(items) == len(bodies) == len(plans) == CUSTOMERS_CPU
    return {"broadcast_worker_customers_per_s": int(CUSTOMERS_CPU / elapsed)}


def _load_customers(count: int) -> None:
    """Customers written straight to the table in batches (the upsert path costs a read each)."""
    from herald.dal.tables import CustomerItem

    with CustomerItem.batch_write() as batch:
        for state in _states(count):
            profile = state.profile
            batch.save(
                CustomerItem(
                    profile.customer_id,
                    email=profile.email,
                    doc=profile.to_doc(),
                    contact_log=[],
                    rev=1,
                )
            )


def _broadcast(broadcast_id: str) -> None:
    from herald.admin import broadcasts
    from herald.admin.users import User

    doc = {
        "id": broadcast_id,
        "name": "Bench",
        "segment": "email-subscribers",
        "channel": "email",
        "content": "winter-sale-a",
    }
    broadcasts.create(User("mia", frozenset({"marketers"})), doc)
    broadcasts.approve(User("ada", frozenset({"approvers"})), broadcast_id)


def aws_figures(customers: int = CUSTOMERS_LOCAL) -> dict:
    import os

    import botocore.handlers

    from herald import runtime
    from herald.dal import broadcasts as store
    from herald.observability import logger
    from herald.service import broadcast
    from herald.settings import settings
    from herald_dev import broadcasts as local
    from herald_dev import rulesfiles
    from herald_dev.local import stack as local_stack
    from herald_dev.local.moto_transactions import item_snapshots

    logger.setLevel(logging.CRITICAL)
    calls: list[str] = []
    run_calls: list[str] = []
    step = [""]

    def count(model, params, **kwargs) -> None:
        (calls if step[0] == "segment" else run_calls).append(model.name)

    def invoke(_function: str, payload: dict) -> dict:
        step[0] = payload.get("step", "")
        return broadcast.on_step(payload)  # the worker function's one call

    # The send function consumes the send queue while a broadcast runs; here the bench takes
    # each batch off moto's queue as it lands (counted, not sent): moto's SendMessage walks the
    # whole queue for its attributes, so a queue left to fill to 20,000 would measure moto.
    from herald.aws import queues

    taken = [0]
    put_batch = queues.put_batch

    def put_and_take(queue_url: str, bodies: list[tuple[str, str]]) -> list[str]:
        from moto.sqs.models import sqs_backends

        queue = sqs_backends["123456789012"][settings().region].get_queue(
            queue_url.rsplit("/", 1)[-1]
        )
        refused = []
        for start in range(0, len(bodies), queues.SEND_BATCH):  # the same SendMessageBatch calls
            refused += put_batch(queue_url, bodies[start : start + queues.SEND_BATCH])
            taken[0] += len(queue._messages)
            queue._messages.clear()
        return refused

    hook = ("before-call.*.*", count)
    with (
        local_stack.in_process(log_level="ERROR"),
        item_snapshots(),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        os.environ["BROADCAST_SEND_RATE"] = "0"
        settings.cache_clear()
        rulesfiles.load_into_tables(ROOT / "rules", echo=lambda _line: None)
        _load_customers(customers)
        _broadcast("bench")
        botocore.handlers.BUILTIN_HANDLERS.append(hook)
        runtime.reset()  # new clients: they pick the hook up
        queues.put_batch = put_and_take
        try:
            t0 = time.perf_counter()  # the worker function's one call, for each task
            execution = local.run(invoke, "bench", 1)
            local_s = time.perf_counter() - t0
        finally:
            botocore.handlers.BUILTIN_HANDLERS.remove(hook)
            queues.put_batch = put_batch
        counts = store.counts("bench", 1)
    if not counts["queued"] == taken[0] == customers:  # every bench customer is a member
        raise RuntimeError(f"queued {counts['queued']}, on the queue {taken[0]}, of {customers}")
    per_1k = len(calls) * 1000 / customers
    return {
        "broadcast_aws_calls_per_1k": round(per_1k, 1),
        "broadcast_aws_calls_by_operation_per_1k": {
            k: round(v * 1000 / customers, 1) for k, v in sorted(Counter(calls).items())
        },
        "broadcast_aws_calls_per_run": dict(sorted(Counter(run_calls).items())),
        "broadcast_local_20k_s": round(local_s, 1),
        "broadcast_local_run": {
            "customers": customers,
            "queued": counts["queued"],
            "on_the_send_queue": taken[0],
            "worker_calls": execution.tasks,
        },
        "_per_1k": per_1k,
    }


def cpu_figures() -> dict:
    """The in-process figures (run before anything else loads the machine)."""
    from herald.observability import logger

    logger.setLevel(logging.CRITICAL)
    return {**profile_figures(), **worker_cpu_figures()}


def start_local_run(customers: int = CUSTOMERS_LOCAL) -> subprocess.Popen:
    """The 20,000-customer local run in a process of its own (about a minute of moto work), so
    that ``make bench`` runs it beside the other moto-bound sections on the second core."""
    return subprocess.Popen(
        [sys.executable, str(Path(__file__)), "--local", str(customers)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def finish(found: dict, local_run: subprocess.Popen) -> dict:
    """The local run's figures, and the 10 M model from them and the in-process cost."""
    out, _ = local_run.communicate(timeout=600)
    if local_run.returncode != 0:
        raise RuntimeError(f"the broadcast local run failed ({local_run.returncode})")
    found = {**found, **json.loads(out.strip().splitlines()[-1])}
    per_1k = found.pop("_per_1k")
    cpu_s_per_customer = 1 / found["broadcast_worker_customers_per_s"]
    io_s_per_customer = per_1k * AWS_CALL_MS / 1000 / 1000
    per_worker = 1 / (cpu_s_per_customer + io_s_per_customer)
    found["broadcast_worker_modelled_customers_per_s"] = int(per_worker)
    found["broadcast_10m_model_s"] = round(TEN_MILLION / (WORKERS * per_worker), 1)
    found["broadcast_10m_model"] = (
        f"{WORKERS} workers x {int(per_worker)} customers/s ({per_1k:.0f} calls per 1,000 at "
        f"{AWS_CALL_MS} ms + in-process cost): queued in {found['broadcast_10m_model_s']} s"
    )
    found["broadcast_10m_send_h_at_1000_per_s"] = round(TEN_MILLION / 1000 / 3600, 2)
    return found


def run() -> dict:
    """Every figure of this module, one after the other (``python bench/broadcasts.py``)."""
    found = cpu_figures()
    return finish(found, start_local_run())


if __name__ == "__main__":
    if sys.argv[1:2] == ["--local"]:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(aws_figures(int(sys.argv[2]))))
    else:
        print(json.dumps(run(), indent=2))
